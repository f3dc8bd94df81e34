/**
 * Option expiry through the journaled core: the series stops trading at expiry (resting orders
 * cancelled with reason `expired`), SETTLE transactions settle every open position at the
 * settlement price in batches carrying the settlement record and its feed round, settled
 * series keep their settlement price, and a replay reproduces it all.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Market } from "../../sequencer/core/engine/markets.ts";
import { openVenue, tempDb, Trader } from "./helpers.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n;
const CONTRACT = 10_000n;

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SequencerError && e.code === code);
}

describe("option expiry and settlement", () => {
  const db = tempDb();
  let venue: Sequencer;
  let call: Market;
  let now = 0n;
  const tick = (): bigint => (now += 1000n);
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  const carol = new Trader("carol", 4n);

  function place(t: Trader, spec: OrderSpec) {
    const outcome = venue.execute({ kind: "place", order: t.sign(spec), clientOrderId: null }, tick());
    if (outcome.kind !== "place") throw new Error("expected a place outcome");
    return outcome.result;
  }

  before(async () => {
    venue = await openVenue(db.file);
    call = venue.engine
      .listMarkets()
      .find((m) => m.underlying === 1 && m.kind === InstrumentKind.CALL && m.strike === 300_000n)!;
    now = (call.expiry - 3600n) * 1000n;
    for (const t of [alice, bob, carol])
      venue.execute(
        { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount: RICH, queueIndex: null },
        tick(),
      );
    place(alice, { instrument: call.instrument, side: Side.SELL, size: CONTRACT, price: 10_000n, orderId: 1n });
    const r = place(bob, {
      instrument: call.instrument,
      side: Side.BUY,
      size: CONTRACT,
      price: 10_000n,
      orderId: 1n,
      tif: "IOC",
    });
    assert.equal(r.status, "filled");
    place(carol, { instrument: call.instrument, side: Side.BUY, size: CONTRACT, price: 5_000n, orderId: 1n });
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("a series cannot be settled before expiry", () => {
    rejects(
      () => venue.execute({ kind: "settle", underlying: 1, expiry: call.expiry, price: 310_000n, roundId: 5n }, tick()),
      "NOT_EXPIRED",
    );
    assert.equal(venue.instrumentStatus(call.instrument).status, "active");
  });

  test("at expiry the series stops trading and its resting orders are cancelled as expired", () => {
    now = call.expiry * 1000n;
    assert.ok(venue.dueCommands(now, RICH).some((c) => c.kind === "expire"));
    const outcome = venue.execute({ kind: "expire" }, now);
    assert.equal(outcome.kind, "expire");
    if (outcome.kind !== "expire") return;
    assert.ok(outcome.instruments.includes(call.instrument));
    assert.deepEqual(
      outcome.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason]),
      [[carol.accountId, 1n, "expired"]],
    );
    assert.equal(venue.instrumentStatus(call.instrument).status, "expired");
    assert.equal(venue.engine.book(call.instrument).best(Side.BUY), null);
    rejects(
      () => place(carol, { instrument: call.instrument, side: Side.BUY, size: CONTRACT, price: 5_000n, orderId: 2n }),
      "INSTRUMENT_EXPIRED",
    );
    assert.deepEqual(
      venue.unsettledSeries().filter((s) => s.underlying === 1),
      [{ underlying: 1, expiry: call.expiry }],
    );
  });

  test("settlement closes every position of the series at the settlement price", () => {
    const collateral = (t: Trader) => venue.ledger.state.account(t.accountId).collateral;
    const [a0, b0] = [collateral(alice), collateral(bob)];
    const outcome = venue.execute(
      { kind: "settle", underlying: 1, expiry: call.expiry, price: 310_000n, roundId: 5n },
      tick(),
    );
    assert.equal(outcome.kind, "settle");
    if (outcome.kind !== "settle") return;
    // Intrinsic value 3,100 − 3,000 = 100.00 USD per contract.
    assert.deepEqual(
      outcome.settled.map((p) => [p.accountId, p.instrument, p.size, p.value]),
      [
        [alice.accountId, call.instrument, -CONTRACT, -100_000_000n],
        [bob.accountId, call.instrument, CONTRACT, 100_000_000n],
      ],
    );
    assert.equal(venue.ledger.positionSize(alice.accountId, call.instrument), 0n);
    assert.equal(venue.ledger.positionSize(bob.accountId, call.instrument), 0n);
    // collateral += size × intrinsic − cost: the premium of 100.00 USD (in cost) equals the intrinsic value.
    assert.equal(collateral(alice), a0);
    assert.equal(collateral(bob), b0);
    const status = venue.instrumentStatus(call.instrument);
    assert.equal(status.status, "settled");
    assert.equal(status.settlement?.price, 310_000n);
    assert.equal(status.settlement?.roundId, 5n);

    venue.execute({ kind: "closeBatch" }, tick());
    const batch = venue.unprovedBatches().find((b) => b.number === outcome.settled[0]!.batch)!;
    assert.deepEqual(batch.batch.context.settlements, [{ underlying: 1, expiry: call.expiry, price: 310_000n }]);
    assert.deepEqual(batch.settlementRoundIds, [5n], "the submitter's settlementRoundIds");

    rejects(
      () => venue.execute({ kind: "settle", underlying: 1, expiry: call.expiry, price: 310_000n, roundId: 5n }, tick()),
      "ALREADY_SETTLED",
    );
    rejects(
      () => venue.execute({ kind: "settle", underlying: 1, expiry: 12_345n, price: 1n, roundId: 0n }, tick()),
      "UNKNOWN_INSTRUMENT",
    );
  });

  test("replaying the journal reproduces expiry and settlement", async () => {
    const state = (v: Sequencer) =>
      JSON.stringify(
        [v.ledger.currentStateRoot(), v.instrumentStatus(call.instrument), v.unsettledSeries(), v.ledger.currentBatch],
        (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x),
      );
    const replayed = await openVenue(db.file);
    try {
      assert.equal(state(replayed), state(venue));
    } finally {
      replayed.close();
    }
  });
});
