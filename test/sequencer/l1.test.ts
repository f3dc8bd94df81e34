/**
 * L1-facing commands: priority operations decoded from their public data words, applied in
 * queue order; forced withdrawals served or refused by protocol/; oracle round ids carried
 * into the batches they price.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT } from "../../protocol/constants.ts";
import { optionId, perpId } from "../../protocol/instruments.ts";
import { depositQueueEntry, forcedCloseData, forcedWithdrawData } from "../../protocol/pubdata.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";
import { accountView } from "../../sequencer/intake/views.ts";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { priorityOpCommand, PriorityOpError } from "../../sequencer/l1/priority.ts";
import { openVenue, tempDb, Trader } from "./helpers.ts";

describe("L1 priority operations", () => {
  const db = tempDb();
  let venue: Sequencer;
  let now = 1_800_000_000_000n;
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);

  before(async () => {
    venue = await openVenue(db.file);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("deposit and forced-withdrawal words decode to the commands protocol/ packed them from", () => {
    const [f0, f1] = depositQueueEntry(7n, 123_456n, 0xabcdefn, 42n);
    assert.deepEqual(priorityOpCommand(5n, f0, f1), {
      kind: "deposit",
      accountId: 7n,
      owner: 0xabcdefn,
      pkHash: 42n,
      amount: 123_456n,
      queueIndex: 5n,
    });
    const [g0, g1] = forcedWithdrawData(9n, 0n, (1n << 56n) - 1n);
    assert.deepEqual(priorityOpCommand(6n, g0, g1), {
      kind: "forcedWithdrawal",
      accountId: 9n,
      requested: (1n << 56n) - 1n,
      queueIndex: 6n,
    });
    const [s0] = forcedWithdrawData(9n, 1n, 1n);
    assert.throws(() => priorityOpCommand(7n, s0, 0n), PriorityOpError);
    assert.throws(() => priorityOpCommand(7n, 4n, 0n), PriorityOpError);
    // Forced close (9): queued as the slot's f0 with served 0 (bit 110 = settlement) and f1 = 0.
    const call = optionId(1, InstrumentKind.CALL, 300_000n, 1_800_000_000n);
    for (const settlement of [false, true]) {
      const [c0, c1] = forcedCloseData(9n, 0n, false, settlement, call);
      assert.deepEqual(priorityOpCommand(8n, c0, c1), {
        kind: "forcedClose",
        accountId: 9n,
        instrument: call,
        settlement,
        queueIndex: 8n,
      });
    }
    const [d0, d1] = forcedCloseData(9n, 1n, true, false, call);
    assert.throws(() => priorityOpCommand(8n, d0, d1), PriorityOpError, "served, with an insurance account");
    assert.throws(() => priorityOpCommand(8n, d0, 0n), PriorityOpError, "the served bit set");
    assert.throws(() => priorityOpCommand(8n, forcedCloseData(9n, 0n, false, false, call)[0], 1n), PriorityOpError);
    assert.throws(() => priorityOpCommand(8n, 9n | (9n << 4n), 0n), PriorityOpError, "no instrument");
  });

  test("priority operations apply in queue order only", () => {
    const op = (i: bigint, t: Trader) =>
      priorityOpCommand(i, ...depositQueueEntry(t.accountId, 100_000_000_000n, t.owner, t.pkHash));
    assert.throws(
      () => venue.execute(op(1n, alice), (now += 1000n)),
      (e: unknown) => e instanceof SequencerError && e.code === "L1_OUT_OF_ORDER",
    );
    venue.execute(op(0n, alice), (now += 1000n));
    venue.execute(op(1n, bob), (now += 1000n));
    assert.equal(venue.expectedQueueIndex, 2n);
    assert.equal(venue.ledger.state.account(alice.accountId).collateral, 100_000_000_000n);
  });

  test("a forced withdrawal is served min(requested, withdrawable), 0 when nothing is withdrawable", () => {
    // bob opens a position so that part of his collateral is margin.
    venue.execute(
      {
        kind: "place",
        order: alice.sign({ side: Side.SELL, size: 100_000n, price: 300_000n, orderId: 1n }),
        clientOrderId: null,
      },
      (now += 1000n),
    );
    venue.execute(
      {
        kind: "place",
        order: bob.sign({ side: Side.BUY, size: 100_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
        clientOrderId: null,
      },
      (now += 1000n),
    );
    const served = venue.execute(
      { kind: "forcedWithdrawal", accountId: bob.accountId, requested: 1_000_000n, queueIndex: 2n },
      (now += 1000n),
    );
    assert.equal(served.kind === "forcedWithdrawal" && served.served, 1_000_000n);
    // All of his collateral is more than he may take while his position needs margin: he gets
    // what initial margin leaves (finding F11: no longer all or nothing).
    const all = venue.ledger.state.account(bob.accountId).collateral;
    const withdrawable = accountView(venue, bob.accountId).freeCollateral;
    assert.ok(withdrawable > 0n && withdrawable < all);
    const part = venue.execute(
      { kind: "forcedWithdrawal", accountId: bob.accountId, requested: all, queueIndex: 3n },
      (now += 1000n),
    );
    assert.equal(part.kind === "forcedWithdrawal" && part.served, withdrawable);
    assert.equal(venue.ledger.state.account(bob.accountId).collateral, all - withdrawable);
    const rest = venue.ledger.state.account(bob.accountId).collateral;
    const refused = venue.execute(
      { kind: "forcedWithdrawal", accountId: bob.accountId, requested: 1n, queueIndex: 4n },
      (now += 1000n),
    );
    assert.equal(refused.kind === "forcedWithdrawal" && refused.served, 0n);
    assert.equal(venue.ledger.state.account(bob.accountId).collateral, rest, "a refused request changes nothing");
    assert.equal(venue.expectedQueueIndex, 5n);
  });

  test("finding F11: a queued forced close is served in the next batch and the venue's views see it", () => {
    const perp = perpId(1);
    const before = accountView(venue, bob.accountId);
    assert.equal(before.positions.find((p) => p.instrument === perp)?.size, 100_000n);
    const fundBefore = venue.ledger.state.account(INSURANCE_ACCOUNT).positions.find((p) => p.instrument === perp);
    const closed = venue.execute(
      { kind: "forcedClose", accountId: bob.accountId, instrument: perp, settlement: false, queueIndex: 5n },
      (now += 1000n),
    );
    assert.ok(closed.kind === "forcedClose" && closed.served);
    const after = accountView(venue, bob.accountId);
    assert.deepEqual(after.positions, [], "the position is gone from the account view");
    // Closed at the oracle price with the penalty (1% of the notional): equity falls by the penalty only.
    const notional = 100_000n * venue.ledger.oraclePrices[0]!;
    assert.equal(after.equity, before.equity - notional / 100n);
    assert.equal(
      venue.ledger.state.account(INSURANCE_ACCOUNT).positions.find((p) => p.instrument === perp)?.size,
      (fundBefore?.size ?? 0n) + 100_000n,
    );
    // Nothing held any more: the next one is refused, and both landed in the open batch.
    const refused = venue.execute(
      { kind: "forcedClose", accountId: bob.accountId, instrument: perp, settlement: false, queueIndex: 6n },
      (now += 1000n),
    );
    assert.ok(refused.kind === "forcedClose" && !refused.served);
    assert.equal(venue.expectedQueueIndex, 7n);
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const witnesses = venue.unprovedBatches().at(-1)!.batch.witnesses;
    assert.deepEqual(
      witnesses.filter((w) => w.tx.type === TxType.FORCED_CLOSE).map((w) => w.served),
      [1n, 0n],
    );
  });

  test("oracle round ids travel with the batch they price, and survive a replay", async () => {
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    venue.execute({ kind: "oracle", prices: [301_000n, 6_100_000n], roundIds: [11n, 12n] }, (now += 1000n));
    venue.execute(
      {
        kind: "place",
        order: alice.sign({ side: Side.SELL, size: 10n, price: 300_000n, orderId: 2n }),
        clientOrderId: null,
      },
      (now += 1000n),
    );
    venue.execute(
      {
        kind: "place",
        order: bob.sign({ side: Side.BUY, size: 10n, price: 300_000n, orderId: 2n, tif: "IOC" }),
        clientOrderId: null,
      },
      (now += 1000n),
    );
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const last = venue.unprovedBatches().at(-1)!;
    assert.deepEqual(last.priceRoundIds, [11n, 12n]);
    assert.deepEqual(last.batch.context.prices, [301_000n, 6_100_000n]);
    const replayed = await openVenue(db.file);
    try {
      const again = replayed.unprovedBatches().at(-1)!;
      assert.deepEqual(again.priceRoundIds, [11n, 12n]);
      assert.deepEqual(again.batch.publicInputs, last.batch.publicInputs);
      assert.equal(replayed.expectedQueueIndex, 7n);
    } finally {
      replayed.close();
    }
  });
});
