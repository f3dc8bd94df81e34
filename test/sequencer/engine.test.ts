/**
 * Matching through the journaled core with the real protocol/ state: priority, time in force,
 * post-only, reduce-only, self-trade prevention, increments, margin, cancel/replace, replay; a
 * fill-or-kill order's plan stops at the fill cap (cap + 1 resting orders looked at, however
 * deep the book).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { encodeInstrument } from "../../protocol/instruments.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import { fillDelta, MAX_FILLS_PER_ORDER, planFillOrKill } from "../../sequencer/core/engine/engine.ts";
import { initCrypto } from "../../protocol/index.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { BTC_PERP, ETH_PERP, openVenue, tempDb, Trader, venueConfig } from "./helpers.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n; // 100,000 USDC
const ONE = 10_000n; // 1 ETH in 1e-4 units
const P = 300_000n; // 3,000.00 USD

let now = 1_800_000_000_000n;
const tick = (): bigint => (now += 1000n);

function place(venue: Sequencer, t: Trader, spec: OrderSpec, clientOrderId: string | null = null) {
  const outcome = venue.execute({ kind: "place", order: t.sign(spec), clientOrderId }, tick());
  if (outcome.kind !== "place") throw new Error("expected a place outcome");
  return outcome.result;
}

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SequencerError && e.code === code);
}

function deposit(venue: Sequencer, t: Trader, amount: bigint): void {
  venue.execute(
    { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount, queueIndex: null },
    tick(),
  );
}

/** Everything a replay must reproduce. */
function fingerprint(venue: Sequencer): string {
  const books = venue.engine.listMarkets().map((m) => venue.engine.snapshot(m.instrument, 100));
  return JSON.stringify(
    {
      books,
      root: venue.ledger.currentStateRoot(),
      batch: venue.ledger.currentBatch,
      unproved: venue.unprovedBatches().map((b) => [b.number, b.batch.newStateRoot, b.batch.publicInputs]),
      open: [2n, 3n, 4n, 5n, 6n].map((id) => venue.engine.openOrders(id).map((o) => [o.orderId, o.remaining])),
    },
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
  );
}

describe("matching engine", () => {
  const db = tempDb();
  let venue: Sequencer;
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  const carol = new Trader("carol", 4n);
  const poor = new Trader("poor", 5n);
  const dave = new Trader("dave", 6n);

  before(async () => {
    venue = await openVenue(db.file);
    for (const t of [alice, bob, carol, dave]) deposit(venue, t, RICH);
    deposit(venue, poor, 1_000_000n);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("a crossing order fills in price-time priority at the makers' prices", () => {
    place(venue, alice, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n });
    place(venue, carol, { side: Side.SELL, size: ONE, price: P, orderId: 1n });
    place(venue, alice, { side: Side.SELL, size: ONE, price: P, orderId: 2n });
    const r = place(venue, bob, { side: Side.BUY, size: 3n * ONE, price: P + 100n, orderId: 1n, tif: "IOC" });
    assert.equal(r.status, "filled");
    assert.deepEqual(
      r.fills.map((f) => [f.makerAccount, f.makerOrderId, f.price, f.size]),
      [
        [4n, 1n, P, ONE],
        [2n, 2n, P, ONE],
        [2n, 1n, P + 100n, ONE],
      ],
    );
    assert.deepEqual(venue.engine.snapshot(ETH_PERP, 5).asks, []);
    assert.equal(venue.ledger.positionSize(bob.accountId, ETH_PERP), 3n * ONE);
    assert.equal(venue.ledger.positionSize(alice.accountId, ETH_PERP), -2n * ONE);
  });

  test("a GTC remainder rests; an IOC remainder is cancelled with IOC_UNFILLED", () => {
    place(venue, carol, { side: Side.SELL, size: ONE, price: P, orderId: 2n });
    const gtc = place(venue, dave, { side: Side.BUY, size: 2n * ONE, price: P, orderId: 1n });
    assert.equal(gtc.status, "resting");
    assert.equal(gtc.filled, ONE);
    assert.equal(gtc.remaining, ONE);
    assert.deepEqual(venue.engine.snapshot(ETH_PERP, 5).bids, [[P, ONE, 1]]);
    const ioc = place(venue, carol, { side: Side.SELL, size: 3n * ONE, price: P, orderId: 3n, tif: "IOC" });
    assert.equal(ioc.status, "cancelled");
    assert.equal(ioc.filled, ONE);
    assert.equal(ioc.stopCode, "IOC_UNFILLED");
    assert.deepEqual(venue.engine.snapshot(ETH_PERP, 5).bids, []);
  });

  test("fill-or-kill fills completely or not at all", () => {
    place(venue, alice, { side: Side.SELL, size: ONE, price: P, orderId: 3n });
    const journal = venue.journal.length;
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: 2n * ONE, price: P, orderId: 2n, tif: "FOK" }),
      "FOK_UNFILLED",
    );
    assert.equal(venue.journal.length, journal, "a rejected FOK is not journaled");
    assert.deepEqual(venue.engine.snapshot(ETH_PERP, 5).asks, [[P, ONE, 1]]);
    const r = place(venue, bob, { side: Side.BUY, size: ONE, price: P, orderId: 3n, tif: "FOK" });
    assert.equal(r.status, "filled");
  });

  test("post-only is rejected when it would cross and rests otherwise", () => {
    place(venue, alice, { side: Side.SELL, size: ONE, price: P + 50n, orderId: 4n });
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: P + 50n, orderId: 4n, postOnly: true }),
      "POST_ONLY_WOULD_CROSS",
    );
    const r = place(venue, bob, { side: Side.BUY, size: ONE, price: P + 40n, orderId: 5n, postOnly: true });
    assert.equal(r.status, "resting");
  });

  test("self-trade prevention cancels the resting order of the same account", () => {
    // alice's ask at P+50 (order 4) meets alice's own bid.
    const r = place(venue, alice, { side: Side.BUY, size: ONE, price: P + 50n, orderId: 5n });
    assert.equal(r.fills.length, 0);
    assert.deepEqual(
      r.cancelled.map((c) => [c.order.orderId, c.reason]),
      [[4n, "self_trade"]],
    );
    assert.equal(r.status, "resting");
    assert.equal(venue.engine.findOpen(alice.accountId, 4n), null);
    venue.execute({ kind: "cancelAll", accountId: alice.accountId, instrument: null, reason: "user" }, tick());
    venue.execute({ kind: "cancelAll", accountId: bob.accountId, instrument: null, reason: "user" }, tick());
  });

  test("tick, lot, minimum size, unknown instruments and expired orders are rejected before any change", () => {
    const journal = venue.journal.length;
    rejects(() => place(venue, bob, { side: Side.BUY, size: ONE, price: 0n, orderId: 10n }), "TICK_SIZE");
    rejects(() => place(venue, bob, { side: Side.BUY, size: 15n, price: P, orderId: 10n }), "LOT_SIZE");
    // A trade slot posts 32-bit sizes and prices (docs/protocol.md §7): beyond, an order could never fill.
    rejects(() => place(venue, bob, { side: Side.BUY, size: 1n << 32n, price: P, orderId: 10n }), "MAX_SIZE");
    rejects(() => place(venue, bob, { side: Side.BUY, size: ONE, price: 1n << 32n, orderId: 10n }), "MAX_PRICE");
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: 3_000_005n, orderId: 10n, instrument: BTC_PERP }),
      "TICK_SIZE",
    );
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: P, orderId: 10n, instrument: 3n }),
      "UNKNOWN_INSTRUMENT",
    );
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: P, orderId: 10n, expiry: 1000n }),
      "ORDER_EXPIRED",
    );
    assert.equal(venue.journal.length, journal);
  });

  test("a taker without margin is rejected with MARGIN and changes nothing", () => {
    place(venue, carol, { side: Side.SELL, size: ONE, price: P, orderId: 4n });
    const root = venue.ledger.currentStateRoot();
    const journal = venue.journal.length;
    rejects(() => place(venue, poor, { side: Side.BUY, size: ONE, price: P, orderId: 1n }), "MARGIN");
    assert.equal(venue.ledger.currentStateRoot(), root);
    assert.equal(venue.journal.length, journal);
    assert.deepEqual(venue.engine.snapshot(ETH_PERP, 5).asks, [[P, ONE, 1]]);
    // The rejected id was not burned: the same order id may be used again.
    const r = place(venue, poor, { side: Side.BUY, size: 10n, price: P - 1000n, orderId: 1n });
    assert.equal(r.status, "resting");
    venue.execute({ kind: "cancel", accountId: poor.accountId, orderId: 1n, reason: "user" }, tick());
  });

  test("a maker that cannot trade is cancelled and the taker continues with the next maker", () => {
    // poor rests an ask it cannot carry; carol's ask (order 4, at P) is behind it in price.
    place(venue, poor, { side: Side.SELL, size: ONE, price: P - 10n, orderId: 2n });
    const r = place(venue, bob, { side: Side.BUY, size: ONE, price: P, orderId: 6n, tif: "IOC" });
    assert.deepEqual(
      r.cancelled.map((c) => [c.order.accountId, c.reason, c.code]),
      [[poor.accountId, "maker_rejected", "MARGIN"]],
    );
    assert.deepEqual(
      r.fills.map((f) => [f.makerAccount, f.price]),
      [[carol.accountId, P]],
    );
  });

  test("reduce-only orders need a position to reduce and may not grow it", () => {
    rejects(
      () => place(venue, dave, { side: Side.BUY, size: ONE, price: P - 10n, orderId: 2n, reduceOnly: true }),
      "PROTOCOL_REJECTED",
    );
    // dave is long 2 ETH: a reduce-only sell rests and later closes the position.
    assert.equal(venue.ledger.positionSize(dave.accountId, ETH_PERP), 2n * ONE);
    const r = place(venue, dave, { side: Side.SELL, size: 2n * ONE, price: P + 10n, orderId: 3n, reduceOnly: true });
    assert.equal(r.status, "resting");
    const t = place(venue, bob, { side: Side.BUY, size: 2n * ONE, price: P + 10n, orderId: 7n, tif: "IOC" });
    assert.equal(t.fills.length, 1);
    assert.equal(venue.ledger.positionSize(dave.accountId, ETH_PERP), 0n);
  });

  test("order ids are burned once accepted and share order-tree slots", () => {
    place(venue, bob, { side: Side.BUY, size: ONE, price: P - 500n, orderId: 20n });
    venue.execute({ kind: "cancel", accountId: bob.accountId, orderId: 20n, reason: "user" }, tick());
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: P - 500n, orderId: 20n }),
      "DUPLICATE_ORDER_ID",
    );
    place(venue, bob, { side: Side.BUY, size: ONE, price: P - 500n, orderId: 21n });
    // demo profile: 16 order slots, 21 + 16 = 37 shares 21's slot.
    rejects(() => place(venue, bob, { side: Side.BUY, size: ONE, price: P - 500n, orderId: 37n }), "ORDER_SLOT_BUSY");
  });

  test("replace swaps an open order atomically and keeps the old one when the new one is invalid", () => {
    place(venue, bob, { side: Side.BUY, size: ONE, price: P - 600n, orderId: 22n }, "bid-1");
    assert.throws(() =>
      venue.execute(
        {
          kind: "replace",
          accountId: bob.accountId,
          oldOrderId: 22n,
          order: bob.sign({ side: Side.BUY, size: 15n, price: P - 600n, orderId: 23n }),
          clientOrderId: "bid-1",
        },
        tick(),
      ),
    );
    assert.notEqual(venue.engine.findOpen(bob.accountId, 22n), null);
    const outcome = venue.execute(
      {
        kind: "replace",
        accountId: bob.accountId,
        oldOrderId: 22n,
        order: bob.sign({ side: Side.BUY, size: 2n * ONE, price: P - 700n, orderId: 23n }),
        clientOrderId: "bid-1",
      },
      tick(),
    );
    assert.equal(outcome.kind, "replace");
    assert.equal(venue.engine.findOpen(bob.accountId, 22n), null);
    assert.equal(venue.engine.findByClientId(bob.accountId, "bid-1")?.orderId, 23n);
    rejects(
      () => place(venue, bob, { side: Side.BUY, size: ONE, price: P - 800n, orderId: 24n }, "bid-1"),
      "DUPLICATE_CLIENT_ORDER_ID",
    );
  });

  test("replaying the journal rebuilds the same books, state, open orders and batches", async () => {
    venue.execute({ kind: "oracle", prices: [301_000n, 6_000_000n], roundIds: [7n, 9n] }, tick());
    venue.execute({ kind: "closeBatch" }, tick());
    place(venue, carol, { side: Side.SELL, size: ONE, price: P + 20n, orderId: 5n });
    const before = fingerprint(venue);
    const replayed = await openVenue(db.file);
    try {
      assert.equal(fingerprint(replayed), before);
      assert.ok(replayed.unprovedBatches().length > 0);
    } finally {
      replayed.close();
    }
  });
});

test("a journal write failure halts the venue instead of acknowledging an unjournaled change", async () => {
  const db = tempDb();
  const venue = await openVenue(db.file);
  const alice = new Trader("alice", 2n);
  try {
    deposit(venue, alice, RICH);
    const halted: Error[] = [];
    venue.on((e) => {
      if (e.type === "halted") halted.push(e.error);
    });
    venue.journal.close();
    rejects(() => place(venue, alice, { side: Side.BUY, size: ONE, price: P, orderId: 1n }), "UNAVAILABLE");
    assert.equal(halted.length, 1);
    rejects(() => venue.execute({ kind: "closeBatch" }, tick()), "UNAVAILABLE");
  } finally {
    db.cleanup();
  }
});

describe("market-maker protection: the delta of a maker's fill", () => {
  test("perps count 1 per unit, options the bound of their delta (call +1, put −1), signed by the maker's side", () => {
    const option = (kind: 1 | 2) => encodeInstrument({ underlying: 1, kind, strike: 300_000n, expiry: 4_000_000_000n });
    const call = option(InstrumentKind.CALL);
    const put = option(InstrumentKind.PUT);
    assert.equal(fillDelta(ETH_PERP, Side.BUY, 7n), 7n);
    assert.equal(fillDelta(ETH_PERP, Side.SELL, 7n), -7n);
    assert.equal(fillDelta(call, Side.BUY, 5n), 5n);
    assert.equal(fillDelta(call, Side.SELL, 5n), -5n);
    assert.equal(fillDelta(put, Side.BUY, 5n), -5n, "a long put is short the underlying");
    assert.equal(fillDelta(put, Side.SELL, 5n), 5n);
  });
});

describe("fill-or-kill planning", () => {
  test("planning stops past the fill cap: the same FOK_UNFILLED, at most cap + 1 resting orders looked at", async () => {
    const db = tempDb();
    await initCrypto();
    // The prod order tree (4,096 slots an account): 600 one-lot asks from two makers.
    const venue = Sequencer.open(
      { ...venueConfig(), profile: getProfile("prod") },
      db.file,
      "FULL",
      {},
      { snapshots: false },
    );
    const makers = [new Trader("fok-maker-a", 2n), new Trader("fok-maker-b", 3n)];
    const taker = new Trader("fok-taker", 4n);
    try {
      for (const t of [...makers, taker]) deposit(venue, t, RICH);
      const LOT = 10n;
      for (let i = 0; i < 600; i++)
        place(venue, makers[i % 2]!, {
          side: Side.SELL,
          size: LOT,
          price: P + BigInt(i % 7),
          orderId: BigInt(1 + (i >> 1)),
        });
      const asks = () => venue.engine.book(ETH_PERP).levels(Side.SELL);
      const journal = venue.journal.length;
      const fok = (size: bigint, orderId: bigint) =>
        taker.sign({ side: Side.BUY, size, price: P + 10n, orderId, tif: "FOK" });

      // 600 fills available, 501 needed: refused, and the planner stopped at the 501st ask.
      const over = planFillOrKill(asks(), fok(501n * LOT, 1n), MAX_FILLS_PER_ORDER);
      assert.equal(over.over, true);
      assert.equal(over.visited, MAX_FILLS_PER_ORDER + 1, "at most cap + 1 resting orders looked at, of 600");
      assert.throws(
        () => venue.execute({ kind: "place", order: fok(501n * LOT, 1n), clientOrderId: null }, tick()),
        (e: unknown) =>
          e instanceof SequencerError &&
          e.code === "FOK_UNFILLED" &&
          e.status === 422 &&
          /more than the 500 fills/.test(e.message),
      );
      // More than the book holds, and more than the cap: the same code, the same bound on the walk.
      const short = planFillOrKill(asks(), fok(700n * LOT, 2n), MAX_FILLS_PER_ORDER);
      assert.equal(short.visited, MAX_FILLS_PER_ORDER + 1);
      rejects(
        () => venue.execute({ kind: "place", order: fok(700n * LOT, 2n), clientOrderId: null }, tick()),
        "FOK_UNFILLED",
      );
      assert.equal(venue.journal.length, journal, "nothing journaled");
      assert.equal(venue.engine.openOrders(2n).length + venue.engine.openOrders(3n).length, 600, "nothing traded");
      // Within the cap, the plan is complete and the order fills.
      const exact = planFillOrKill(asks(), fok(500n * LOT, 3n), MAX_FILLS_PER_ORDER);
      assert.deepEqual([exact.over, exact.unfilled, exact.plan.length, exact.visited], [false, 0n, 500, 500]);
      const filled = place(venue, taker, { side: Side.BUY, size: 500n * LOT, price: P + 10n, orderId: 3n, tif: "FOK" });
      assert.equal(filled.status, "filled");
      assert.equal(filled.fills.length, MAX_FILLS_PER_ORDER);
      // Less liquidity than the size, within the cap: FOK_UNFILLED naming what is available.
      rejects(
        () => place(venue, taker, { side: Side.BUY, size: 101n * LOT, price: P + 10n, orderId: 4n, tif: "FOK" }),
        "FOK_UNFILLED",
      );
      assert.equal(planFillOrKill(asks(), fok(101n * LOT, 4n), MAX_FILLS_PER_ORDER).unfilled, LOT);
    } finally {
      venue.close();
      db.cleanup();
    }
  });
});
