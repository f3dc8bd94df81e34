/**
 * A refused command changes nothing, the batch numbering included (finding F1). A transaction that
 * needs the next batch — the open one's instrument table or deposit records are used up, or its
 * context lacks the latest prices, a late enough timestamp or a settlement record — is checked
 * there first, and the open batch closes only once it passes. Before, a refused one closed the
 * batch without journaling anything, the live venue's numbering ran ahead of the journal, and
 * the next restart failed with REPLAY_DIVERGENCE.
 *
 * Journals written before the fix replay their older commands under the old rule
 * (`ACCEPTED_CLOSE_FROM`), and a property test interleaves accepted and refused commands of every
 * kind that needs the next batch, comparing the live venue with a full replay of its journal
 * after each.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CheckState, RollupState } from "../../protocol/index.ts";
import { optionId } from "../../protocol/instruments.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";
import type { BatchContext, Profile, Tx } from "../../protocol/types.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { ProtocolLedger } from "../../sequencer/core/ledger.ts";
import {
  ACCEPTED_CLOSE_FROM,
  MAKER_EXPIRY_FROM,
  ReplayDivergenceError,
  Sequencer,
} from "../../sequencer/core/sequencer.ts";
import type { VenueConfig } from "../../sequencer/core/sequencer.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import {
  BTC,
  buy,
  DEMO,
  DOMAIN,
  depositTx,
  ETH,
  ownerOf,
  pkHashOf,
  sell,
  T0,
  tradeTx,
  UNIT,
  USDC,
} from "../protocol/fixtures.ts";
import {
  BTC_PERP,
  ETH_PERP,
  openInline,
  replayDifferences,
  setJournalMeta,
  tempDb,
  Trader,
  venueConfig,
} from "./helpers.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;
const PB = 6_000_000n;

/** The ledger alone, with L1's maxOracleAge (60 s) so that prices can go stale. */
function ledgerOf(profile: Profile): ProtocolLedger {
  const system = {
    feeAccount: { pkHash: pkHashOf(0n), owner: ownerOf(0n) },
    insurance: { pkHash: pkHashOf(1n), owner: ownerOf(1n) },
  };
  return new ProtocolLedger(
    CheckState.genesis(profile, system),
    RollupState.genesis(profile, system),
    DOMAIN,
    [P, PB],
    60n,
  );
}

function throwsCode(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => (e instanceof ProtocolError || e instanceof SequencerError) && e.code === code);
}

/** Where the ledger stands: the open batch's number and transactions, the records and their revision. */
function position(l: ProtocolLedger) {
  const open = l.inspect().open as { txs: Tx[] } | null;
  return { batch: l.currentBatch, txs: open?.txs.length ?? null, revision: l.revision, records: l.state.toSnapshot() };
}

describe("a refused transaction that needs the next batch closes nothing", () => {
  const now = T0 * 1000n;
  const samePrices = (prices: readonly bigint[]) => (ctx: BatchContext) => ctx.prices.every((p, i) => p === prices[i]);
  const call = optionId(1, InstrumentKind.CALL, P, T0);

  // Each case: the ledger with an open batch, then a transaction it refuses that needs the next
  // batch, applied at `at` with what it needs of the context.
  const cases: {
    name: string;
    profile?: Partial<Profile>;
    setUp: (l: ProtocolLedger) => void;
    refused: (l: ProtocolLedger) => unknown;
    code: string;
  }[] = [
    {
      name: "instrument table used up (a trade the taker's margin cannot carry)",
      profile: { instruments: 1 },
      setUp: (l) => {
        l.apply(depositTx(4n, 0n), now);
        l.apply(
          tradeTx(sell(2n, { instrument: ETH, orderId: 1n }), buy(3n, { instrument: ETH, orderId: 1n }), UNIT, P),
          now,
        );
      },
      refused: (l) =>
        l.apply(
          tradeTx(
            sell(2n, { instrument: BTC, orderId: 2n, price: PB }),
            buy(4n, { instrument: BTC, orderId: 1n, price: PB }),
            UNIT,
            PB,
          ),
          now,
        ),
      code: "MARGIN",
    },
    {
      name: "deposit records used up (a deposit for another owner's account)",
      profile: { deposits: 1 },
      setUp: (l) => l.apply(depositTx(5n, USDC), now),
      refused: (l) => l.apply({ ...depositTx(2n, USDC), owner: ownerOf(9n) } as Tx, now),
      code: "ACCOUNT_MISMATCH",
    },
    {
      name: "new prices (a liquidation of a healthy account)",
      setUp: (l) => {
        l.apply(
          tradeTx(sell(2n, { instrument: ETH, orderId: 1n }), buy(3n, { instrument: ETH, orderId: 1n }), UNIT, P),
          now,
        );
        l.setPrices([P + 100n, PB], [1n, 1n]);
      },
      refused: (l) =>
        l.apply(
          { type: TxType.LIQUIDATE, accountId: 3n, instrument: ETH, size: 1n, insurance: 1n },
          now,
          samePrices([P + 100n, PB]),
        ),
      code: "ACCOUNT_HEALTHY",
    },
    {
      name: "a later timestamp (a funding update beyond the cap)",
      setUp: (l) => l.apply(depositTx(5n, USDC), now),
      refused: (l) =>
        l.apply({ type: TxType.FUNDING, underlying: 1, delta: P }, now + 61_000n, (ctx) => ctx.timestamp >= T0 + 61n),
      code: "FUNDING_CAP",
    },
    {
      name: "a later timestamp at a stale price round (PRICE_STALE, the venue's own refusal)",
      setUp: (l) => {
        l.setPrices([P, PB], [1n, 1n], [T0, T0]);
        l.apply(depositTx(5n, USDC), now);
      },
      refused: (l) =>
        l.apply({ type: TxType.FUNDING, underlying: 1, delta: 0n }, now + 61_000n, (ctx) => ctx.timestamp >= T0 + 61n),
      code: "PRICE_STALE",
    },
    {
      name: "a settlement record (a settlement of an account without the position)",
      setUp: (l) => l.apply(depositTx(5n, USDC), now),
      refused: (l) =>
        l.withSettlements([{ record: { underlying: 1, expiry: T0, price: P }, roundId: 1n }], now, () =>
          l.apply({ type: TxType.SETTLE, accountId: 5n, instrument: call }, now),
        ),
      code: "NO_POSITION",
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      for (const legacy of [false, true]) {
        const l = ledgerOf({ ...DEMO, ...c.profile });
        l.apply(depositTx(2n, 100_000n * USDC), now);
        l.apply(depositTx(3n, 100_000n * USDC), now);
        l.closeBatch(now);
        c.setUp(l);
        const before = position(l);
        assert.ok(before.txs !== null && before.txs > 0, "a batch is open");
        l.closeBeforeCheck = legacy;
        throwsCode(() => c.refused(l), c.code);
        if (!legacy) assert.deepEqual(position(l), before, "the open batch and the records are unchanged");
        // The rule before the fix closed it: what the test would see without it.
        else
          assert.equal(
            l.currentBatch,
            before.batch + 1n,
            "the old rule closed the open batch for a refused transaction",
          );
      }
    });
  }

  test("a transaction that needs the next batch and passes closes the open one and opens it", () => {
    const l = ledgerOf({ ...DEMO, instruments: 1 });
    l.apply(depositTx(2n, 100_000n * USDC), now);
    l.apply(depositTx(3n, 100_000n * USDC), now);
    l.closeBatch(now);
    const eth = l.apply(
      tradeTx(sell(2n, { instrument: ETH, orderId: 1n }), buy(3n, { instrument: ETH, orderId: 1n }), UNIT, P),
      now,
    );
    const btc = l.apply(
      tradeTx(
        sell(2n, { instrument: BTC, orderId: 2n, price: PB }),
        buy(3n, { instrument: BTC, orderId: 2n, price: PB }),
        UNIT,
        PB,
      ),
      now,
    );
    assert.deepEqual([eth.batch, eth.slot, btc.batch, btc.slot], [2n, 0, 3n, 0]);
    l.closeBatch(now);
    assert.equal(l.committedRoot, l.currentStateRoot(), "the builder built every batch the core closed");
  });
});

// --- the venue: journal and replay ---------------------------------------------------------

const MAKER = new Trader("f1-maker", 2n);
const TAKER = new Trader("f1-taker", 3n);
const BROKE = new Trader("f1-broke", 4n);

/** The venue's configuration with a one-entry instrument table (and `over`). */
function config(over: Partial<Profile> = { instruments: 1 }): VenueConfig {
  const base = venueConfig();
  return { ...base, profile: { ...base.profile, ...over } };
}

function open(file: string, cfg = config()): Promise<Sequencer> {
  return openInline(file, cfg);
}

function depositCommand(t: Trader, amount: bigint): Command {
  return { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount, queueIndex: null };
}

function placeCommand(t: Trader, spec: OrderSpec): Command {
  return { kind: "place", order: t.sign(spec), clientOrderId: null };
}

function fillsOf(outcome: ReturnType<Sequencer["execute"]>): [bigint, number][] {
  assert.equal(outcome.kind, "place");
  return outcome.kind === "place" ? outcome.result.fills.map((f) => [f.batch, f.slot]) : [];
}

describe("the venue: a refused order keeps the batch numbering the journal rebuilds", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("a 422 on an instrument the open batch has no room for closes nothing; the next fill keeps its batch and slot; replay = live", async () => {
    let now = 1_800_000_000_000n;
    const tick = () => (now += 1000n);
    const venue = await open(db.file);
    try {
      venue.execute(depositCommand(MAKER, RICH), tick());
      venue.execute(depositCommand(TAKER, RICH), tick());
      venue.execute(depositCommand(BROKE, 0n), tick());
      venue.execute({ kind: "closeBatch" }, tick());
      venue.execute(placeCommand(MAKER, { side: Side.SELL, size: ONE, price: P, orderId: 1n }), tick());
      const first = fillsOf(
        venue.execute(placeCommand(TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 1n, tif: "IOC" }), tick()),
      );
      assert.deepEqual(first, [[2n, 0]]);
      venue.execute(
        placeCommand(MAKER, { instrument: BTC_PERP, side: Side.SELL, size: ONE, price: PB, orderId: 2n }),
        tick(),
      );
      venue.execute(placeCommand(MAKER, { side: Side.SELL, size: ONE, price: P, orderId: 3n }), tick());
      const batch = venue.ledger.currentBatch;
      const seq = venue.journal.length;
      const revision = venue.ledger.revision;

      // An IOC on BTC-PERP (not in the open batch's one-entry table) from an account without
      // collateral: 422 MARGIN.
      assert.throws(
        () =>
          venue.execute(
            placeCommand(BROKE, {
              instrument: BTC_PERP,
              side: Side.BUY,
              size: ONE,
              price: PB,
              orderId: 1n,
              tif: "IOC",
            }),
            tick(),
          ),
        (e: unknown) => e instanceof SequencerError && e.code === "MARGIN" && e.status === 422,
      );
      assert.equal(venue.ledger.currentBatch, batch, "the open batch number is unchanged");
      assert.equal(venue.ledger.revision, revision, "the ledger is unchanged");
      assert.equal(venue.journal.length, seq, "nothing journaled");
      assert.equal(venue.halt, null);
      assert.equal(venue.engine.openOrders(MAKER.accountId).length, 2, "the maker's orders still rest");

      const next = fillsOf(
        venue.execute(placeCommand(TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 2n, tif: "IOC" }), tick()),
      );
      assert.deepEqual(next, [[2n, 1]], "the next fill keeps batch 2 and takes its next slot");
      // The BTC fill that passes closes batch 2 and opens batch 3.
      const btc = fillsOf(
        venue.execute(
          placeCommand(TAKER, { instrument: BTC_PERP, side: Side.BUY, size: ONE, price: PB, orderId: 3n, tif: "IOC" }),
          tick(),
        ),
      );
      assert.deepEqual(btc, [[3n, 0]]);
      assert.deepEqual(
        await replayDifferences(venue, db.file, config()),
        [],
        "a full replay of the journal is the live venue",
      );
    } finally {
      venue.close();
    }
    // And the restart succeeds, with the fills where the live venue put them.
    const reopened = await open(db.file);
    try {
      assert.deepEqual(
        reopened.journal
          .fillsOf(TAKER.accountId, 10)
          .map((f) => [f.batch, f.slot])
          .sort(),
        [
          [2n, 0],
          [2n, 1],
          [3n, 0],
        ].sort(),
      );
    } finally {
      reopened.close();
    }
  });
});

describe("a journal written before the fix", () => {
  const db = tempDb();
  after(() => db.cleanup());

  function setCutover(value: string | null): void {
    // A release before the fix predates the maker-expiry rule too (MAKER_EXPIRY_FROM).
    setJournalMeta(db.file, [ACCEPTED_CLOSE_FROM, MAKER_EXPIRY_FROM], value);
  }

  test("replays its commands under the old rule, and takes the new one from the next command on", async () => {
    let now = 1_800_000_000_000n;
    const tick = () => (now += 1000n);
    let venue = await open(db.file);
    venue.close();
    // Everything from here was executed under the old rule: a release before the fix.
    setCutover(String(Number.MAX_SAFE_INTEGER));
    venue = await open(db.file);
    venue.execute(depositCommand(MAKER, RICH), tick());
    venue.execute(depositCommand(TAKER, RICH), tick());
    venue.execute({ kind: "closeBatch" }, tick());
    // A BTC ask that expires while it rests, then an ETH fill: batch 2 slot 0.
    const expiry = now / 1000n + 5n;
    venue.execute(
      placeCommand(MAKER, { instrument: BTC_PERP, side: Side.SELL, size: ONE, price: PB, orderId: 1n, expiry }),
      tick(),
    );
    venue.execute(placeCommand(MAKER, { side: Side.SELL, size: 2n * ONE, price: P, orderId: 2n }), tick());
    assert.deepEqual(
      fillsOf(
        venue.execute(placeCommand(TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 1n, tif: "IOC" }), tick()),
      ),
      [[2n, 0]],
    );
    now += 10_000n;
    // A BTC IOC meets the expired ask: its fill (BTC needs the next batch) is refused and the
    // maker's order purged; the IOC is journaled (it changed the book). The old rule closed
    // batch 2 on the way.
    const purged = venue.execute(
      placeCommand(TAKER, { instrument: BTC_PERP, side: Side.BUY, size: ONE, price: PB, orderId: 2n, tif: "IOC" }),
      tick(),
    );
    assert.ok(purged.kind === "place" && purged.result.cancelled.length === 1 && purged.result.fills.length === 0);
    assert.deepEqual(
      fillsOf(
        venue.execute(placeCommand(TAKER, { side: Side.BUY, size: ONE, price: P, orderId: 3n, tif: "IOC" }), tick()),
      ),
      [[3n, 0]],
      "under the old rule the refused fill had closed batch 2",
    );
    const length = venue.journal.length;
    venue.close();

    // This release's rule on that journal diverges: the old commands need the old rule.
    setCutover("1");
    await assert.rejects(open(db.file), (e: unknown) => e instanceof ReplayDivergenceError);

    // The file as an older release left it: no cut-over recorded. This release records the seq
    // after its last command and replays everything before under the old rule.
    setCutover(null);
    venue = await open(db.file);
    try {
      assert.equal(Journal.peekMeta(db.file, ACCEPTED_CLOSE_FROM), String(length + 1n));
      assert.deepEqual(await replayDifferences(venue, db.file, config()), []);
      // From the next command on, the new rule: a refused order closes nothing.
      venue.execute(depositCommand(BROKE, 0n), tick());
      venue.execute(
        placeCommand(MAKER, { instrument: BTC_PERP, side: Side.SELL, size: ONE, price: PB, orderId: 3n }),
        tick(),
      );
      const batch = venue.ledger.currentBatch;
      assert.throws(
        () =>
          venue.execute(
            placeCommand(BROKE, {
              instrument: BTC_PERP,
              side: Side.BUY,
              size: ONE,
              price: PB,
              orderId: 1n,
              tif: "IOC",
            }),
            tick(),
          ),
        (e: unknown) => e instanceof SequencerError && e.code === "MARGIN",
      );
      assert.equal(venue.ledger.currentBatch, batch);
      assert.deepEqual(await replayDifferences(venue, db.file, config()), []);
    } finally {
      venue.close();
    }
  });
});

// --- property: random accepted and refused commands, replay = live after each ----------------

type Step =
  | { kind: "quote"; who: 0 | 1; btc: boolean; side: 0 | 1; offset: number }
  | { kind: "take"; who: 0 | 1 | 2; btc: boolean; side: 0 | 1 }
  | { kind: "deposit"; who: 0 | 1; mismatch: boolean }
  | { kind: "oracle"; pct: number }
  | { kind: "funding" }
  | { kind: "closeBatch" }
  | { kind: "cancel"; who: 0 | 1; pick: number };

const who2 = fc.constantFrom(0 as const, 1 as const);
const sideArb = fc.constantFrom(0 as const, 1 as const);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("quote" as const),
      who: who2,
      btc: fc.boolean(),
      side: sideArb,
      offset: fc.integer({ min: -3, max: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("take" as const),
      who: fc.constantFrom(0 as const, 1 as const, 2 as const),
      btc: fc.boolean(),
      side: sideArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("deposit" as const), who: who2, mismatch: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("oracle" as const), pct: fc.integer({ min: -30, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("funding" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("closeBatch" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), who: who2, pick: fc.nat() }) },
);

test(
  "property: random accepted and refused commands (those needing the next batch included) replay to the live venue after each",
  { timeout: 600_000 },
  async () => {
    // One instrument per batch and one deposit per batch: trades of the other instrument and
    // deposits keep needing the next batch.
    const cfg = config({ instruments: 1, deposits: 1 });
    const traders = [MAKER, TAKER, BROKE];
    const refusals = new Map<string, number>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 8, maxLength: 24 }), async (steps) => {
        runs += 1;
        const db = tempDb();
        const venue = await open(db.file, cfg);
        let now = 1_800_000_000_000n;
        const nextId = [0n, 0n, 0n];
        try {
          venue.execute(depositCommand(MAKER, RICH), (now += 1000n));
          venue.execute(depositCommand(TAKER, RICH), (now += 1000n));
          venue.execute(depositCommand(BROKE, 0n), (now += 1000n));
          for (const s of steps) {
            const before = {
              batch: venue.ledger.currentBatch,
              seq: venue.journal.length,
              revision: venue.ledger.revision,
            };
            let command: Command;
            switch (s.kind) {
              case "quote": {
                const t = traders[s.who]!;
                nextId[s.who]! += 1n;
                const [instrument, price] = s.btc
                  ? [BTC_PERP, PB + 10n * BigInt(s.offset)]
                  : [ETH_PERP, P + BigInt(s.offset)];
                command = placeCommand(t, {
                  instrument,
                  side: s.side === 0 ? Side.BUY : Side.SELL,
                  size: ONE,
                  price: price + (s.side === 0 ? -50n : 50n) * (s.btc ? 10n : 1n),
                  orderId: nextId[s.who]!,
                });
                break;
              }
              case "take": {
                const t = traders[s.who]!;
                nextId[s.who]! += 1n;
                const [instrument, price] = s.btc
                  ? [BTC_PERP, s.side === 0 ? 2n * PB : PB / 2n]
                  : [ETH_PERP, s.side === 0 ? 2n * P : P / 2n];
                command = placeCommand(t, {
                  instrument,
                  side: s.side === 0 ? Side.BUY : Side.SELL,
                  size: ONE,
                  price,
                  orderId: nextId[s.who]!,
                  tif: "IOC",
                });
                break;
              }
              case "deposit": {
                const t = traders[s.who]!;
                command = s.mismatch
                  ? ({ ...depositCommand(t, USDC), owner: t.owner + 1n } as Command)
                  : depositCommand(t, USDC);
                break;
              }
              case "oracle": {
                const prices = venue.ledger.oraclePrices.map((p) => (p * BigInt(100 + s.pct)) / 100n);
                command = { kind: "oracle", prices, roundIds: [0n, 0n] };
                break;
              }
              case "funding":
                now += 60_000n;
                command = { kind: "funding" };
                break;
              case "closeBatch":
                command = { kind: "closeBatch" };
                break;
              case "cancel": {
                const t = traders[s.who]!;
                const open = venue.engine.openOrders(t.accountId);
                if (open.length === 0) continue;
                command = {
                  kind: "cancel",
                  accountId: t.accountId,
                  orderId: open[s.pick % open.length]!.orderId,
                  reason: "user",
                };
                break;
              }
            }
            try {
              venue.execute(command, (now += 1000n));
            } catch (e) {
              if (!(e instanceof SequencerError)) throw e;
              assert.equal(venue.halt, null, `${e.code}: ${e.message}`);
              refusals.set(e.code, (refusals.get(e.code) ?? 0) + 1);
              assert.deepEqual(
                { batch: venue.ledger.currentBatch, seq: venue.journal.length, revision: venue.ledger.revision },
                before,
                `a refused ${command.kind} (${e.code}) changed nothing`,
              );
            }
            assert.deepEqual(await replayDifferences(venue, db.file, cfg), [], `after ${command.kind}`);
          }
        } finally {
          venue.close();
          db.cleanup();
        }
      }),
      { numRuns: 25, seed: 20261207 },
    );
    assert.equal(runs, 25);
    // The flow did refuse what it is meant to: an unfunded taker and a deposit for another owner.
    assert.ok((refusals.get("MARGIN") ?? 0) > 0, JSON.stringify([...refusals]));
    assert.ok((refusals.get("ACCOUNT_MISMATCH") ?? 0) > 0, JSON.stringify([...refusals]));
  },
);
