/**
 * The risk engine through the journaled core: liquidations on oracle moves (insurance fund
 * takes the position, resting orders cancelled, fills recorded), funding on schedule from the
 * book's premium (clamped to the protocol cap), the fee sweep, and replay of all of them.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FUNDING_IMPACT_FROM, Sequencer } from "../../sequencer/core/sequencer.ts";
import {
  FUNDING_IMPACT_MAX_LEVELS,
  FUNDING_IMPACT_NOTIONAL,
  fundingCap,
  fundingDelta,
  impactPrice,
  PremiumAverage,
} from "../../sequencer/core/risk/funding.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../protocol/constants.ts";
import { belowMM } from "../../protocol/margin.ts";
import { Side } from "../../protocol/types.ts";
import Database from "better-sqlite3";
import { WebSocket } from "ws";
import { Journal } from "../../sequencer/journal/journal.ts";
import { ADMIN_TOKEN, ETH_PERP, openVenue, startVenue, tempDb, Trader, venueConfig } from "./helpers.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;
const BTC = 6_000_000n;
/** What liquidating alice's 1 ETH long at 2,700 may take (protocol/'s largestLiquidation). */
const LIQUIDATED = 3_380n;

let now = 1_800_000_000_000n;
const tick = (ms = 1000n): bigint => (now += ms);

function place(venue: Sequencer, t: Trader, spec: OrderSpec) {
  const outcome = venue.execute({ kind: "place", order: t.sign(spec), clientOrderId: null }, tick());
  if (outcome.kind !== "place") throw new Error("expected a place outcome");
  return outcome.result;
}

function deposit(venue: Sequencer, t: Trader, amount: bigint): void {
  venue.execute(
    { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount, queueIndex: null },
    tick(),
  );
}

function fingerprint(venue: Sequencer): string {
  return JSON.stringify(
    {
      root: venue.ledger.currentStateRoot(),
      batch: venue.ledger.currentBatch,
      unproved: venue.unprovedBatches().map((b) => [b.number, b.batch.publicInputs]),
      fills: [2n, 3n, 4n].map((id) => venue.journal.fillsOf(id, 100)),
      funding: [1, 2].map((u) => venue.lastFundingOf(u)),
    },
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
  );
}

describe("funding rate", () => {
  test("is one-sided: the impact bid above the oracle or the impact ask below it, clamped to the protocol cap", () => {
    assert.equal(fundingCap(P), 300n, "10 bps of 3,000.00 USD is 3.00 USD");
    assert.equal(fundingDelta(P + 50n, P + 150n, P), 50n, "buyers above the index: the bid's excess");
    assert.equal(fundingDelta(P - 150n, P - 50n, P), -50n, "sellers below the index: the ask's shortfall");
    assert.equal(fundingDelta(P - 50n, P + 50n, P), 0n, "a book around the index: no premium");
    assert.equal(fundingDelta(P, P + 1n, P), 0n, "a bid at the index is not above it");
    assert.equal(fundingDelta(P - 1n, P, P), 0n, "an ask at the index is not below it");
    assert.equal(fundingDelta(P + 5_000n, P + 6_000n, P), 300n, "clamped above");
    assert.equal(fundingDelta(P - 6_000n, P - 5_000n, P), -300n, "clamped below");
    assert.equal(fundingDelta(null, P, P), 0n);
    assert.equal(fundingDelta(P, null, P), 0n);
    assert.equal(fundingDelta(P + 100n, null, P), 100n, "one side with depth is enough for its own term");
    // The manipulation the mid allowed: a bid at one cent under a fair ask put the mid near half
    // the oracle, the premium at −cap for as long as it stood. One-sided, it moves nothing.
    assert.equal(fundingDelta(1n, P + 1n, P), 0n, "attack: a far bid under a fair ask");
    assert.equal(fundingDelta(P - 1n, 10n * P, P), 0n, "attack: a far ask over a fair bid");
  });

  test("an impact price needs the impact notional within the level bound; dust at the touch has none", () => {
    const level = (price: bigint, total: bigint) => ({ price, total });
    // 1,000 USDC of notional: at 3,000.00 that is 1/3 of a unit (3,334 size units, rounded up).
    const third = FUNDING_IMPACT_NOTIONAL / P + 1n;
    assert.equal(impactPrice([level(P, third)]), P, "one level deep enough");
    assert.equal(impactPrice([level(P, third - 1n)]), null, "one level just short, nothing behind it");
    assert.equal(
      impactPrice([level(P + 500n, 1n), level(P + 400n, 1n), level(P - 100n, third)]),
      P - 100n,
      "attack: one-lot bids above the index do not set the impact bid; the depth below them does",
    );
    assert.equal(fundingDelta(impactPrice([level(P + 500n, 1n), level(P - 100n, third)]), null, P), 0n);
    // Dust spread over more levels than the walk takes has no impact price at all.
    const dust = Array.from({ length: FUNDING_IMPACT_MAX_LEVELS + 1 }, (_, i) => level(P + 1_000n - BigInt(i), 1n));
    assert.equal(impactPrice([...dust, level(P, third)]), null, "more levels than the bound");
    assert.equal(impactPrice(dust.slice(1, FUNDING_IMPACT_MAX_LEVELS).concat(level(P, third))), P, "exactly the bound");
    assert.equal(impactPrice([]), null, "an empty side");
  });

  test("the premium is averaged over the interval, weighted by the time each value stood", () => {
    const t0 = 1_800_000_000_000n;
    const avg = new PremiumAverage();
    assert.equal(avg.average(t0), 0n, "nothing observed");
    avg.observe(100n, t0);
    assert.equal(avg.average(t0), 100n, "no time passed: the current premium");
    // 100 for 50 min, then a spike of 10,000 for the last minute: (100·50 + 10,000·1) / 51.
    avg.observe(10_000n, t0 + 50n * 60_000n);
    assert.equal(avg.average(t0 + 51n * 60_000n), (100n * 50n + 10_000n) / 51n);
    assert.equal(avg.average(t0 + 51n * 60_000n), 294n, "asking twice changes nothing");
    // An observation of the same value splits nothing; time never runs backwards.
    avg.observe(10_000n, t0 + 51n * 60_000n);
    avg.observe(10_000n, t0);
    assert.equal(avg.average(t0 + 51n * 60_000n), 294n);
    // Negative premiums round toward zero.
    avg.restart(t0 + 51n * 60_000n);
    avg.observe(-1n, t0 + 51n * 60_000n);
    avg.observe(0n, t0 + 51n * 60_000n + 2n);
    assert.equal(avg.average(t0 + 51n * 60_000n + 3n), 0n, "−2/3 → 0");
    assert.equal(avg.since, t0 + 51n * 60_000n);
    // The clamp applies to the average (the venue clamps with fundingCap at the update).
    assert.equal(fundingDelta(P + 10_000n, P + 10_000n, P), fundingCap(P));
  });
});

describe("funding from the averaged premium", () => {
  const db = tempDb();
  let venue: Sequencer;
  const bob = new Trader("bob-twap", 2n);
  const carol = new Trader("carol-twap", 3n);
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("a premium pushed just before the update weighs only for the time it stood; a replay agrees", async () => {
    venue = await openVenue(db.file);
    const interval = venue.config.profile.fundingInterval * 1000n;
    deposit(venue, bob, RICH);
    deposit(venue, carol, RICH);
    venue.execute({ kind: "expire" }, tick());
    // The oracle is 3,000.00 (ETH). A full unit bid at 3,000.50 (premium 50 cents) for the interval.
    place(venue, bob, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n, postOnly: true });
    place(venue, carol, { side: Side.BUY, size: ONE, price: P + 50n, orderId: 1n, postOnly: true });
    venue.execute({ kind: "funding" }, tick(interval));
    const start = now;
    // Most of the interval at premium 50; in its last second the quotes move to 3,030.00 /
    // 3,040.00 (premium 3,000 cents: a single sample would give the cap, 300).
    const spike = start + interval - 1000n;
    const sign = (t: Trader, spec: OrderSpec) => ({ kind: "place" as const, order: t.sign(spec), clientOrderId: null });
    venue.execute({ kind: "cancel", accountId: bob.accountId, orderId: 1n, reason: "user" }, spike);
    venue.execute(sign(bob, { side: Side.SELL, size: ONE, price: P + 4_000n, orderId: 2n, postOnly: true }), spike);
    venue.execute(sign(carol, { side: Side.BUY, size: ONE, price: P + 3_000n, orderId: 2n, postOnly: true }), spike);
    now = start + interval;
    const outcome = venue.execute({ kind: "funding" }, now);
    assert.equal(outcome.kind, "funding");
    if (outcome.kind !== "funding") return;
    const eth = outcome.updates.find((u) => u.underlying === 1)!;
    assert.equal(eth.delta, (50n * (interval - 1000n) + 3_000n * 1000n) / interval, "the time-weighted average");
    assert.ok(eth.delta < fundingCap(P));
    const before = JSON.stringify(venue.lastFundingOf(1), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    venue.close();
    venue = await openVenue(db.file);
    assert.equal(
      JSON.stringify(venue.lastFundingOf(1), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
      before,
    );
  });
});

describe("attack: a market maker quoting to move funding", () => {
  const db = tempDb();
  let venue: Sequencer;
  const mallory = new Trader("mallory-funding", 2n);
  const carol = new Trader("carol-funding", 3n);
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("attack: a bid at one cent under a fair ask, and thin bids above the index, leave the premium at 0", async () => {
    venue = await openVenue(db.file);
    const interval = venue.config.profile.fundingInterval * 1000n;
    deposit(venue, mallory, RICH);
    deposit(venue, carol, RICH);
    venue.execute({ kind: "expire" }, tick());
    venue.execute({ kind: "funding" }, tick(interval));
    const ethDelta = () => {
      const outcome = venue.execute({ kind: "funding" }, tick(interval));
      assert.equal(outcome.kind, "funding");
      return outcome.kind === "funding" ? outcome.updates.find((u) => u.underlying === 1)!.delta : null;
    };
    // A fair ask a unit deep just above the oracle (3,000.00), and Mallory's bid at one cent for
    // a thousand units: under the mid rule the mid sat near half the oracle, the premium at −cap
    // for the whole interval.
    place(venue, carol, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n, postOnly: true });
    place(venue, mallory, { side: Side.BUY, size: 1_000n * ONE, price: 1n, orderId: 1n, postOnly: true });
    assert.equal(ethDelta(), 0n, "a far bid under a fair ask moves nothing");
    // A fair bid a unit deep under the oracle, and Mallory's three bids of the minimum size above
    // the index: under the mid rule the best bid made the premium 75 cents. Too thin to be the
    // price a real sell of 1,000 USDC gets, they do not set the impact bid.
    place(venue, carol, { side: Side.BUY, size: ONE, price: P - 100n, orderId: 2n, postOnly: true });
    for (const [i, above] of [50n, 40n, 30n].entries())
      place(venue, mallory, { side: Side.BUY, size: 10n, price: P + above, orderId: BigInt(i + 2), postOnly: true });
    assert.equal(ethDelta(), 0n, "thin bids above the index move nothing");
    // Real depth above the index does: a unit bid at 3,000.20 (3,000 USDC) behind them reaches
    // the impact notional there, 20 cents above the oracle, from the second it was placed.
    place(venue, carol, { side: Side.BUY, size: ONE, price: P + 20n, orderId: 3n, postOnly: true });
    assert.equal(ethDelta(), (20n * interval) / (interval + 1000n), "a unit bid 20 cents above the index");
  });
});

describe("a journal written under the mid rule", () => {
  const db = tempDb();
  after(() => db.cleanup());

  /** Sets (or with null removes) the journal's funding rule cut-over, as a file of an older release has none. */
  function setCutover(value: string | null): void {
    const raw = new Database(db.file);
    try {
      if (value === null) raw.prepare("DELETE FROM meta WHERE key = ?").run(FUNDING_IMPACT_FROM);
      else raw.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(FUNDING_IMPACT_FROM, value);
    } finally {
      raw.close();
    }
  }

  test("replays its commands under the mid rule, and takes the impact rule from the next command on", async () => {
    const mallory = new Trader("mallory-legacy", 2n);
    const carol = new Trader("carol-legacy", 3n);
    let venue = await openVenue(db.file);
    const interval = venue.config.profile.fundingInterval * 1000n;
    const ethDelta = () => {
      const outcome = venue.execute({ kind: "funding" }, tick(interval));
      return outcome.kind === "funding" ? outcome.updates.find((u) => u.underlying === 1)!.delta : null;
    };
    venue.close();
    // Everything until now was executed under the mid rule: a release before the impact prices.
    setCutover(String(Number.MAX_SAFE_INTEGER));
    venue = await openVenue(db.file);
    deposit(venue, mallory, RICH);
    deposit(venue, carol, RICH);
    venue.execute({ kind: "expire" }, tick());
    venue.execute({ kind: "funding" }, tick(interval));
    place(venue, carol, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n, postOnly: true });
    place(venue, mallory, { side: Side.BUY, size: 1_000n * ONE, price: 1n, orderId: 1n, postOnly: true });
    assert.equal(ethDelta(), -fundingCap(P), "the mid rule: a far bid put the premium at −cap");
    const length = venue.journal.length;
    venue.close();
    // The file as an older release left it: no cut-over recorded. This release records the seq
    // after its last command and replays everything before under the mid rule (a divergence
    // would throw here).
    setCutover(null);
    venue = await openVenue(db.file);
    assert.equal(Journal.peekMeta(db.file, FUNDING_IMPACT_FROM), String(length + 1n));
    assert.equal(venue.lastFundingOf(1)!.delta, -fundingCap(P), "the replayed update is the journaled one");
    // The interval begun under the mid rule ends with the premium it sampled; its update is the
    // first command under the impact rule, whose sample starts the next interval at 0.
    assert.equal(ethDelta(), -fundingCap(P), "the interval sampled under the mid rule");
    assert.equal(ethDelta(), 0n, "from the next command on, the impact rule: the far bid moves nothing");
    const last = JSON.stringify(venue.lastFundingOf(1), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    venue.close();
    // Both rules replay as executed.
    venue = await openVenue(db.file);
    assert.equal(
      JSON.stringify(venue.lastFundingOf(1), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
      last,
    );
    venue.close();
  });

  test("a rebuild keeps the cut-over where the old journal's commands crossed it", async () => {
    const old = await openVenue(db.file);
    const cutover = BigInt(Journal.peekMeta(db.file, FUNDING_IMPACT_FROM)!);
    const fundingIndex = (v: Sequencer) => v.ledger.state.marks(v.ledger.oraclePrices).fundingIndex;
    const expected = fundingIndex(old);
    assert.equal(expected[0], -2n * fundingCap(P), "two updates at −cap under the mid rule, then 0");
    old.close();
    // Drop the first `expire` (before the cut-over): the rebuilt journal's seqs shift by one.
    const to = tempDb();
    try {
      let first = true;
      const drop = (c: Command) => {
        if (c.kind !== "expire" || !first) return false;
        first = false;
        return true;
      };
      const { venue: rebuilt, dropped } = Sequencer.rebuild(venueConfig(), db.file, to.file, drop);
      assert.equal(dropped.length, 1);
      assert.deepEqual(fundingIndex(rebuilt), expected, "the mid rule's updates rebuilt as executed");
      rebuilt.close();
      assert.equal(Journal.peekMeta(to.file, FUNDING_IMPACT_FROM), String(cutover - 1n));
      const reopened = await openVenue(to.file);
      assert.deepEqual(fundingIndex(reopened), expected, "and replayed as rebuilt");
      reopened.close();
    } finally {
      to.cleanup();
    }
  });
});

describe("risk engine", () => {
  const db = tempDb();
  let venue: Sequencer;
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  const carol = new Trader("carol", 4n);

  before(async () => {
    venue = await openVenue(db.file);
    deposit(venue, alice, 400_000_000n); // 400 USDC: 1 ETH long at 3,000 needs 300 (IM) and 150 (MM)
    deposit(venue, bob, RICH);
    deposit(venue, carol, RICH);
    // The listed options expired long before this clock: stop them so only risk commands are due.
    venue.execute({ kind: "expire" }, tick());
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("an oracle move below maintenance margin liquidates the account before any further fill", () => {
    place(venue, bob, { side: Side.SELL, size: ONE, price: P, orderId: 1n });
    assert.equal(
      place(venue, alice, { side: Side.BUY, size: ONE, price: P, orderId: 1n, tif: "IOC" }).status,
      "filled",
    );
    place(venue, alice, { side: Side.BUY, size: ONE / 10n, price: 200_000n, orderId: 2n });
    assert.equal(venue.engine.openOrders(alice.accountId).length, 1);

    // 3,000 → 2,900: equity ≈ 298.5 USDC ≥ MM 145: healthy, nothing happens.
    const calm = venue.execute({ kind: "oracle", prices: [290_000n, BTC], roundIds: [1n, 1n] }, tick());
    assert.equal(calm.kind === "oracle" && calm.risk.fills.length, 0);
    assert.equal(venue.ledger.positionSize(alice.accountId, ETH_PERP), ONE);

    // 2,900 → 2,700: equity ≈ 98.5 USDC < MM 135: liquidated at the oracle price for no more than
    // brings it back to maintenance (finding F6): each unit releases 135 USDC of MM and costs a
    // 27 USDC penalty, so 36.5 / 108 of a unit: 3,380 size units.
    const batchBefore = venue.ledger.currentBatch;
    const outcome = venue.execute({ kind: "oracle", prices: [270_000n, BTC], roundIds: [2n, 1n] }, tick());
    assert.equal(outcome.kind, "oracle");
    if (outcome.kind !== "oracle") return;
    assert.equal(outcome.risk.fills.length, 1);
    const fill = outcome.risk.fills[0]!;
    assert.equal(fill.kind, "liquidation");
    assert.equal(fill.makerAccount, INSURANCE_ACCOUNT);
    assert.equal(fill.takerAccount, alice.accountId);
    assert.equal(fill.takerSide, Side.SELL, "the liquidatee closes its long");
    assert.equal(fill.size, LIQUIDATED);
    assert.equal(fill.price, 270_000n);
    assert.ok(fill.batch > batchBefore - 1n);
    assert.equal(venue.ledger.positionSize(alice.accountId, ETH_PERP), ONE - LIQUIDATED);
    assert.equal(
      belowMM(venue.ledger.state.account(alice.accountId), venue.ledger.state.marks([270_000n, BTC])),
      false,
      "back at maintenance margin",
    );
    assert.equal(venue.ledger.positionSize(INSURANCE_ACCOUNT, ETH_PERP), LIQUIDATED, "the insurance fund took it");
    assert.equal(venue.ledger.positionSize(bob.accountId, ETH_PERP), -ONE, "the healthy counterparty is untouched");
    assert.deepEqual(
      outcome.risk.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason]),
      [[alice.accountId, 2n, "liquidation"]],
    );
    assert.equal(venue.engine.openOrders(alice.accountId).length, 0);

    // The liquidation ran in a batch priced at the new oracle prices.
    venue.execute({ kind: "closeBatch" }, tick());
    const liquidated = venue.unprovedBatches().find((b) => b.number === fill.batch)!;
    assert.deepEqual(liquidated.batch.context.prices, [270_000n, BTC]);
    assert.deepEqual(liquidated.priceRoundIds, [2n, 1n]);

    // It is in the account's history and the public trades.
    const history = venue.journal.fillsOf(alice.accountId, 10);
    assert.equal(history[0]!.kind, "liquidation");
    assert.equal(history[1]!.kind, "trade");
    assert.equal(venue.recentTrades(ETH_PERP, 1)[0]!.kind, "liquidation");
  });

  test("funding runs once per interval with the premium of the book, then is not due until the next", () => {
    const interval = venue.config.profile.fundingInterval;
    place(venue, bob, { side: Side.SELL, size: ONE, price: 275_000n, orderId: 2n, postOnly: true });
    place(venue, carol, { side: Side.BUY, size: ONE, price: 274_000n, orderId: 1n, postOnly: true });
    assert.deepEqual(
      venue.dueCommands(now, RICH).map((c) => c.kind),
      ["funding"],
    );
    const outcome = venue.execute({ kind: "funding" }, tick());
    assert.equal(outcome.kind, "funding");
    if (outcome.kind !== "funding") return;
    // impact bid 2,740.00 (a full unit: 2,740 USDC of depth) − oracle 2,700.00 = 4,000 cents,
    // capped at 10 bps of 2,700.00 = 270 cents.
    assert.deepEqual(
      outcome.updates.map((u) => [u.underlying, u.delta, u.index]),
      [
        [1, 270n, 270n],
        [2, 0n, 0n],
      ],
    );
    const t = now / 1000n;
    assert.deepEqual(venue.ledger.state.globalState.lastFundingTime, [t, t]);
    assert.equal(venue.lastFundingOf(1)!.delta, 270n);

    const journaled = venue.journal.length;
    const again = venue.execute({ kind: "funding" }, tick());
    assert.equal(again.kind === "funding" && again.updates.length, 0, "not due again within the interval");
    assert.equal(venue.journal.length, journaled, "a funding command with nothing due is not journaled");
    assert.deepEqual(venue.dueCommands(now, RICH), []);

    tick(interval * 1000n);
    assert.deepEqual(
      venue.dueCommands(now, RICH).map((c) => c.kind),
      ["funding"],
    );
    const next = venue.execute({ kind: "funding" }, tick());
    assert.equal(next.kind === "funding" && next.updates[0]!.index, 540n, "the index accumulates");
  });

  test("the fee pool is swept to the fee account once it exceeds the threshold", () => {
    const pool = venue.ledger.state.globalState.feePool;
    assert.ok(pool > 0n, "trades paid fees");
    assert.deepEqual(venue.dueCommands(now, pool), [], "not above the threshold");
    assert.deepEqual(
      venue.dueCommands(now, pool - 1n).map((c) => c.kind),
      ["sweepFees"],
    );
    const feeBefore = venue.ledger.state.account(FEE_ACCOUNT).collateral;
    const outcome = venue.execute({ kind: "sweepFees" }, tick());
    assert.equal(outcome.kind === "sweepFees" && outcome.amount, pool);
    assert.equal(venue.ledger.state.globalState.feePool, 0n);
    assert.equal(venue.ledger.state.account(FEE_ACCOUNT).collateral, feeBefore + pool);
  });

  test("replaying the journal reproduces liquidations, funding and sweeps", async () => {
    venue.execute({ kind: "closeBatch" }, tick());
    const before = fingerprint(venue);
    const replayed = await openVenue(db.file);
    try {
      assert.equal(fingerprint(replayed), before);
    } finally {
      replayed.close();
    }
  });
});

describe("liquidations over the API", () => {
  test("a liquidation shows in the account's fills, positions, trades and WebSocket channel", async () => {
    const v = await startVenue();
    try {
      const { client } = v;
      const alice = new Trader("alice", 2n);
      const bob = new Trader("bob", 3n);
      await client.deposit(alice, 400_000_000n);
      await client.deposit(bob, RICH);
      await client.place(bob.sign({ side: Side.SELL, size: ONE, price: P, orderId: 1n }));
      const filled = await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P, orderId: 1n, tif: "IOC" }));
      assert.equal(filled.body.status, "filled");

      const token = await client.session(alice);
      const ws = new WebSocket(v.service.url.replace("http", "ws") + "/v1/ws");
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const pushed = new Promise<Record<string, unknown>>((resolve) => {
        ws.on("message", (data: Buffer) => {
          const m = JSON.parse(data.toString()) as Record<string, unknown>;
          if (m.type === "fill" && m.kind === "liquidation") resolve(m);
        });
      });
      ws.send(JSON.stringify({ op: "auth", token }));
      await new Promise((r) => setTimeout(r, 100));

      const oracle = await client.post("/v1/admin/oracle", { prices: ["270000", BTC.toString()] }, ADMIN_TOKEN);
      assert.equal(oracle.status, 200);
      const message = await pushed;
      ws.close();
      assert.equal(message.price, "270000");
      assert.deepEqual(message.maker, { accountId: "1", orderId: "0" });

      const fills = (await client.get("/v1/account/fills", token)).body.fills as Record<string, unknown>[];
      assert.deepEqual(
        fills.map((f) => [f.kind, f.takerSide, f.size]),
        [
          ["liquidation", "sell", LIQUIDATED.toString()],
          ["trade", "buy", ONE.toString()],
        ],
      );
      const positions = (await client.get("/v1/account", token)).body.positions as Record<string, unknown>[];
      assert.deepEqual(
        positions.map((p) => p.size),
        [(ONE - LIQUIDATED).toString()],
        "what restores maintenance margin is gone",
      );
      const trades = (await client.get("/v1/instruments/ETH-PERP/trades")).body.trades as Record<string, unknown>[];
      assert.equal(trades[0]!.kind, "liquidation");
    } finally {
      await v.cleanup();
    }
  });
});
