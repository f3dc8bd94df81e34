/**
 * A resting order never fills after its signed expiry. protocol/ checks a maker's expiry only
 * against the batch's timestamp (set when the batch opened), so within an open batch a
 * short-expiry quote could be picked off after it expired; the engine checks it against the
 * command's time (venue time) and cancels it as a maker protocol/ rejects (`maker_rejected`,
 * `ORDER_EXPIRED`), in matching and in the fill-or-kill planner alike.
 *
 * Journals written before the rule replay their older commands as executed (`MAKER_EXPIRY_FROM`).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { MAX_FILLS_PER_ORDER, planFillOrKill } from "../../sequencer/core/engine/engine.ts";
import type { PlaceResult } from "../../sequencer/core/engine/engine.ts";
import { MAKER_EXPIRY_FROM, ReplayDivergenceError, Sequencer } from "../../sequencer/core/sequencer.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import {
  depositAt,
  ETH_PERP,
  openInline,
  placeAt,
  replayDifferences,
  setJournalMeta,
  tempDb,
  Trader,
  venueConfig,
} from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;
/** Venue time zero, unix seconds. */
const T0 = 1_800_000_000n;
/** `T0 + s` seconds and `ms` milliseconds, as a command's time (unix ms). */
const at = (s: bigint, ms = 0n): bigint => (T0 + s) * 1000n + ms;

const MAKER = new Trader("mx-maker", 2n);
const TAKER = new Trader("mx-taker", 3n);
const THIRD = new Trader("mx-third", 4n);
const MAKER2 = new Trader("mx-maker2", 5n);

const open = (file: string): Promise<Sequencer> => openInline(file);

const deposit = (venue: Sequencer, t: Trader, now: bigint): void => depositAt(venue, t, RICH, now);
const place: typeof placeAt = placeAt;

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SequencerError && e.code === code);
}

/** The cancelled makers of a result as [account, order id, reason, code]. */
function cancelledOf(r: PlaceResult): [bigint, bigint, string, string | null][] {
  return r.cancelled.map((c) => [c.order.accountId, c.order.orderId, c.reason, c.code]);
}

/**
 * Deposits, a closed batch, then at T0 MAKER's ask at P expiring at T0 + 5 s; at T0 + 1 s a bid
 * of TAKER's at P − 1,000 that THIRD's IOC sell fills at T0 + 4 s, opening a batch (timestamp
 * T0 + 4 s, before the ask's expiry). Returns that trade's batch.
 */
function reproduction(venue: Sequencer): bigint {
  for (const t of [MAKER, TAKER, THIRD, MAKER2]) deposit(venue, t, at(-10n));
  venue.execute({ kind: "closeBatch" }, at(-9n));
  place(venue, MAKER, { side: Side.SELL, size: ONE, price: P, orderId: 1n, expiry: T0 + 5n }, at(0n));
  place(venue, TAKER, { side: Side.BUY, size: ONE, price: P - 1_000n, orderId: 1n }, at(1n));
  const opened = place(
    venue,
    THIRD,
    { side: Side.SELL, size: ONE, price: P - 1_000n, orderId: 1n, tif: "IOC" },
    at(4n),
  );
  assert.equal(opened.status, "filled");
  return opened.fills[0]!.batch;
}

describe("a resting order past its expiry never fills", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("the reproduction: the expired quote is cancelled (maker_rejected, ORDER_EXPIRED), the next live level fills; expiry = the command's second still fills; replay = live", async () => {
    const venue = await open(db.file);
    try {
      const batch = reproduction(venue);
      // MAKER2's ask one level up expires at T0 + 8 s (live through that second), MAKER's second
      // ask above it at T0 + 6 s.
      place(venue, MAKER2, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n, expiry: T0 + 8n }, at(5n));
      place(venue, MAKER, { side: Side.SELL, size: ONE, price: P + 200n, orderId: 2n, expiry: T0 + 6n }, at(5n, 1n));

      // At T0 + 8 s, in the batch opened at T0 + 4 s: an IOC at P meets only the expired ask.
      const missed = place(venue, TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 2n, tif: "IOC" }, at(8n));
      assert.equal(venue.ledger.currentBatch, batch, "still the batch opened at T0 + 4 s");
      assert.deepEqual(missed.fills, [], "no fill of the quote that expired at T0 + 5 s");
      assert.equal(missed.status, "cancelled");
      assert.equal(missed.stopCode, "IOC_UNFILLED");
      assert.equal(missed.rejection, null);
      assert.deepEqual(cancelledOf(missed), [[MAKER.accountId, 1n, "maker_rejected", "ORDER_EXPIRED"]]);
      assert.equal(venue.engine.findOpen(MAKER.accountId, 1n), null, "the expired quote left the book");

      // Still at second T0 + 8: MAKER2's ask (expiry T0 + 8) fills; MAKER's at P + 200 (T0 + 6) is cancelled.
      const swept = place(
        venue,
        TAKER,
        { side: Side.BUY, size: 2n * ONE, price: P + 200n, orderId: 3n, tif: "IOC" },
        at(8n, 900n),
      );
      assert.deepEqual(
        swept.fills.map((f) => [f.makerAccount, f.makerOrderId, f.price, f.size, f.batch]),
        [[MAKER2.accountId, 1n, P + 100n, ONE, batch]],
      );
      assert.deepEqual(cancelledOf(swept), [[MAKER.accountId, 2n, "maker_rejected", "ORDER_EXPIRED"]]);
      assert.equal(swept.filled, ONE);
      assert.equal(swept.stopCode, "IOC_UNFILLED");
      assert.equal(venue.engine.book(ETH_PERP).best(Side.SELL), null, "no ask left");

      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live");
    } finally {
      venue.close();
    }
  });
});

describe("fill-or-kill counts no expired maker as liquidity", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("a FOK whose only liquidity is expired is refused FOK_UNFILLED, nothing filled or cancelled; with live liquidity it fills and cancels the expired one", async () => {
    const venue = await open(db.file);
    try {
      reproduction(venue);
      const fok = (size: bigint, price: bigint, orderId: bigint) =>
        TAKER.sign({ side: Side.BUY, size, price, orderId, tif: "FOK" });

      // At T0 + 8 s the only ask (P, expiry T0 + 5 s) is expired.
      const journal = venue.journal.length;
      rejects(
        () => place(venue, TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 2n, tif: "FOK" }, at(8n)),
        "FOK_UNFILLED",
      );
      assert.equal(venue.journal.length, journal, "nothing journaled");
      assert.notEqual(venue.engine.findOpen(MAKER.accountId, 1n), null, "a refused FOK cancels nothing");
      const asks = () => venue.engine.book(ETH_PERP).levels(Side.SELL);
      assert.equal(planFillOrKill(asks(), fok(ONE, P, 2n), MAX_FILLS_PER_ORDER, T0 + 8n).unfilled, ONE);
      // Before the expiry (or with the rule off) the planner counts it.
      assert.equal(planFillOrKill(asks(), fok(ONE, P, 2n), MAX_FILLS_PER_ORDER, T0 + 5n).unfilled, 0n);
      assert.equal(planFillOrKill(asks(), fok(ONE, P, 2n), MAX_FILLS_PER_ORDER).unfilled, 0n);

      // A live ask one level up: a FOK for both is short by the expired one's size, never partial.
      place(venue, MAKER2, { side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n }, at(8n, 100n));
      const journal2 = venue.journal.length;
      assert.throws(
        () =>
          place(
            venue,
            TAKER,
            { side: Side.BUY, size: 2n * ONE, price: P + 100n, orderId: 3n, tif: "FOK" },
            at(8n, 200n),
          ),
        (e: unknown) =>
          e instanceof SequencerError && e.code === "FOK_UNFILLED" && /only 10000 of 20000/.test(e.message),
      );
      assert.equal(venue.journal.length, journal2, "nothing journaled");
      assert.notEqual(venue.engine.findOpen(MAKER2.accountId, 1n), null, "nothing filled");

      // A FOK the live ask covers fills from it; the expired ask it steps over is cancelled.
      const filled = place(
        venue,
        TAKER,
        { side: Side.BUY, size: ONE, price: P + 100n, orderId: 4n, tif: "FOK" },
        at(8n, 300n),
      );
      assert.equal(filled.status, "filled");
      assert.deepEqual(
        filled.fills.map((f) => [f.makerAccount, f.makerOrderId, f.price]),
        [[MAKER2.accountId, 1n, P + 100n]],
      );
      assert.deepEqual(cancelledOf(filled), [[MAKER.accountId, 1n, "maker_rejected", "ORDER_EXPIRED"]]);

      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live");
    } finally {
      venue.close();
    }
  });
});

describe("a journal written before the maker-expiry rule", () => {
  const db = tempDb();
  after(() => db.cleanup());

  function setCutover(value: string | null): void {
    setJournalMeta(db.file, [MAKER_EXPIRY_FROM], value);
  }

  test("replays its fills of expired makers as executed, and takes the rule from the next command on", async () => {
    let venue = await open(db.file);
    venue.close();
    // Everything from here was executed without the rule: a release before it.
    setCutover(String(Number.MAX_SAFE_INTEGER));
    venue = await open(db.file);
    const batch = reproduction(venue);
    // A command that changes no ledger state, which the rebuild below leaves out.
    venue.execute({ kind: "scheduleCancel", accountId: THIRD.accountId, at: null }, at(4n, 500n));
    // The bug as it was: at T0 + 8 s the quote that expired at T0 + 5 s fills (protocol/ checks
    // it against the batch's timestamp, T0 + 4 s).
    const old = place(venue, TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 2n, tif: "IOC" }, at(8n));
    assert.deepEqual(
      old.fills.map((f) => [f.makerAccount, f.makerOrderId, f.batch]),
      [[MAKER.accountId, 1n, batch]],
    );
    assert.deepEqual(old.cancelled, []);
    const length = venue.journal.length;
    venue.close();

    // This release's rule on that journal diverges: the old commands need the old rule.
    setCutover("1");
    await assert.rejects(open(db.file), (e: unknown) => e instanceof ReplayDivergenceError);

    // The file as an older release left it: no cut-over recorded. This release records the seq
    // after its last command and replays everything before as executed.
    setCutover(null);
    venue = await open(db.file);
    try {
      assert.equal(Journal.peekMeta(db.file, MAKER_EXPIRY_FROM), String(length + 1n));
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live");
      // The old fill stands.
      assert.equal(venue.engine.findOpen(MAKER.accountId, 1n), null);
      // From the next command on, the rule: a quote expiring at T0 + 9 s is cancelled at T0 + 10 s.
      place(venue, MAKER, { side: Side.SELL, size: ONE, price: P, orderId: 3n, expiry: T0 + 9n }, at(8n, 500n));
      const now = place(venue, TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 3n, tif: "IOC" }, at(10n));
      assert.deepEqual(now.fills, []);
      assert.deepEqual(cancelledOf(now), [[MAKER.accountId, 3n, "maker_rejected", "ORDER_EXPIRED"]]);
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live, across the cut-over");
    } finally {
      venue.close();
    }
  });

  test("a rebuild keeps the cut-over where the old journal's commands crossed it: the old fill of the expired maker and the later cancellation both stand", async () => {
    const cutover = BigInt(Journal.peekMeta(db.file, MAKER_EXPIRY_FROM)!);
    const old = await open(db.file);
    const taker = (v: Sequencer) =>
      v.ledger.state.account(TAKER.accountId).positions.map((p) => [p.instrument, p.size, p.cost]);
    const expected = taker(old);
    assert.notDeepEqual(
      expected.filter(([, size]) => size !== 0n),
      [],
      "the taker holds the old fill",
    );
    old.close();
    // Drop the scheduleCancel (before the cut-over, no ledger effect, so the batches stay as they
    // were: protocol/ checks a maker's expiry against its batch's timestamp): the seqs shift by one.
    const to = tempDb();
    try {
      const drop = (c: Command) => c.kind === "scheduleCancel";
      const { venue: rebuilt, dropped } = Sequencer.rebuild(venueConfig(), db.file, to.file, drop);
      try {
        assert.deepEqual(
          dropped.map((d) => d.kind),
          ["scheduleCancel"],
          "only the dropped command: no later command was refused",
        );
        assert.deepEqual(taker(rebuilt), expected, "the fill made before the rule rebuilt as executed");
        assert.equal(rebuilt.engine.findOpen(MAKER.accountId, 1n), null);
        assert.equal(rebuilt.engine.findOpen(MAKER.accountId, 3n), null, "the quote cancelled under the rule");
      } finally {
        rebuilt.close();
      }
      assert.equal(Journal.peekMeta(to.file, MAKER_EXPIRY_FROM), String(cutover - 1n));
      const reopened = await open(to.file);
      try {
        assert.deepEqual(taker(reopened), expected, "and replayed as rebuilt");
        assert.deepEqual(await replayDifferences(reopened, to.file), [], "full replay of the rebuilt journal = live");
      } finally {
        reopened.close();
      }
    } finally {
      to.cleanup();
    }
  });
});
