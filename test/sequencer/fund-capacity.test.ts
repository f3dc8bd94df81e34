/**
 * The insurance fund's capacity (sequencer/core/risk/fund-capacity.ts,
 * sequencer/intake/fund-capacity.ts) as an invariant, not an example.
 *
 * A liquidation or a forced close moves a position to an insurance fund account that holds the
 * instrument or has an empty slot. A forced close that finds none cannot be served, its L1
 * deadline runs out and the rollup enters exodus; a griefer could aim at that by holding a lot in
 * more instruments than the fund has free slots. The property: over random order flow in every
 * listed instrument (each order through intake's check, as the API runs it), fund accounts
 * registered at random moments and forced closes served along the way,
 * - the counts the venue keeps equal a recount from the records after every command;
 * - the instruments held by others that no fund account holds never outnumber the fund's free
 *   slots;
 * - and so every forced close of a held position is served, all of them queued at once at the end
 *   included (a live short option is refused by the rule of finding F17, never for want of a slot).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { INSURANCE_ACCOUNT } from "../../protocol/constants.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import { FORCED_CLOSE_HOLDER_FROM, ReplayDivergenceError, Sequencer } from "../../sequencer/core/sequencer.ts";
import type { VenueConfig } from "../../sequencer/core/sequencer.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import type { Market } from "../../sequencer/core/engine/markets.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { checkFundCapacity } from "../../sequencer/intake/fund-capacity.ts";
import {
  depositAt,
  LISTED_AT,
  openInline,
  replayDifferences,
  setJournalMeta,
  tempDb,
  Trader,
  venueConfig,
} from "./helpers.ts";

const RICH = 100_000_000_000n;
const config = venueConfig();
const markets: readonly Market[] = config.markets;
const TRADERS = Array.from({ length: 6 }, (_, i) => new Trader(`capacity-${i}`, BigInt(2 + i)));
const RUNS = 40;
const PERP_INDICES = markets.flatMap((m, i) => (m.kind === InstrumentKind.PERP ? [i] : []));
/** Registered with the insurance fund's owner and key: insurance fund accounts (docs/protocol.md §4.1). */
const FUND_IDS = [10n, 11n, 12n];

/** A price on the market's tick, within the protocol's bounds: a perp at its oracle price, an option at a premium. */
function priceOf(m: Market): bigint {
  if (m.kind === InstrumentKind.PERP) return config.initialPrices[m.underlying - 1]!;
  return 50n * m.tickSize * 10n;
}

type Step =
  | {
      readonly kind: "trade";
      readonly market: number;
      readonly maker: number;
      readonly taker: number;
      readonly buy: boolean;
      readonly lots: number;
    }
  | { readonly kind: "fund" }
  | { readonly kind: "forcedClose"; readonly pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      // The perps a third of the time: both of their sides can be force-closed, so the fund's
      // positions in them grow, shrink and net to zero (a live short option's forced close waits).
      market: fc.oneof(
        { weight: 1, arbitrary: fc.constantFrom(...PERP_INDICES) },
        { weight: 2, arbitrary: fc.nat({ max: markets.length - 1 }) },
      ),
      maker: fc.nat({ max: TRADERS.length - 1 }),
      taker: fc.nat({ max: TRADERS.length - 1 }),
      buy: fc.boolean(),
      lots: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "fund" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("forcedClose" as const), pick: fc.nat() }) },
);

/** The counts recomputed from the records: fund accounts are account 1 and the registered ones with its owner and key. */
function recount(venue: Sequencer): { free: number; uncovered: number } {
  const state = venue.ledger.state;
  const ids = [INSURANCE_ACCOUNT, ...[...venue.ledger.registeredAccounts()].filter((id) => id !== INSURANCE_ACCOUNT)];
  const held = new Set<bigint>();
  const fundHeld = new Set<bigint>();
  let free = 0;
  for (const id of ids) {
    const fund = state.isInsuranceAccount(id);
    for (const p of state.account(id).positions) {
      if (p.size === 0n) free += fund ? 1 : 0;
      else (fund ? fundHeld : held).add(p.instrument);
    }
  }
  return { free, uncovered: [...held].filter((i) => !fundHeld.has(i)).length };
}

/** The venue's counts equal a recount from the records, and the bound holds. */
function checkBound(venue: Sequencer): void {
  const { free, uncovered } = recount(venue);
  assert.equal(venue.ledger.fundCapacity.freeSlots, free, "free slots as recounted");
  assert.equal(venue.ledger.fundCapacity.uncovered, uncovered, "uncovered instruments as recounted");
  assert.ok(uncovered <= free, `${uncovered} uncovered instruments, ${free} free fund slots`);
}

/** Every position held by an account other than a fund account, as (account, instrument, size). */
function positions(venue: Sequencer): { accountId: bigint; instrument: bigint; size: bigint }[] {
  const state = venue.ledger.state;
  return TRADERS.flatMap((t) =>
    state
      .account(t.accountId)
      .positions.filter((p) => p.size !== 0n)
      .map((p) => ({ accountId: t.accountId, instrument: p.instrument, size: p.size })),
  );
}

/** The size account `id` holds in `m` (0: none). */
function fundPosition(venue: Sequencer, id: bigint, m: Market): bigint {
  return (
    venue.ledger.state.account(id).positions.find((p) => p.size !== 0n && p.instrument === m.instrument)?.size ?? 0n
  );
}

function isLiveShortOption(instrument: bigint, size: bigint): boolean {
  const m = markets.find((x) => x.instrument === instrument)!;
  return m.kind !== InstrumentKind.PERP && size < 0n;
}

describe("insurance fund capacity", () => {
  const cleanups: (() => void)[] = [];
  after(() => cleanups.forEach((c) => c()));

  /**
   * The review's scenario: account 1's slots all used by forced closes, a second fund account
   * holding a perp, one of account 1's slots freed, the fund's free slots all needed by new
   * instruments; then a forced close of the perp's other side. Returns after that close, or (the
   * new rule) after every new instrument's forced close. `oldRule`: on a journal marked as written
   * before the fund-holder rule, where account 1 took the close into its free slot.
   */
  async function holderScenario(
    file: string,
    oldRule: boolean,
  ): Promise<{ venue: Sequencer; held: Market; open: { trader: Trader; market: Market } }> {
    if (oldRule) {
      (await openInline(file)).close();
      setJournalMeta(file, [FORCED_CLOSE_HOLDER_FROM], String(Number.MAX_SAFE_INTEGER));
    }
    const venue = await openInline(file);
    let now = LISTED_AT * 1000n + 1000n;
    const tick = (): bigint => (now += 1000n);
    const traders = Array.from({ length: 8 }, (_, i) => new Trader(`holder-${i}`, BigInt(2 + i)));
    for (const t of traders) depositAt(venue, t, RICH, tick());
    const ids = new Map<bigint, bigint>();
    const check = (): void => checkBound(venue);
    /** `long` buys one order's size from `short` in market `m`, through intake's check. */
    const trade = (m: Market, long: Trader, short: Trader): void => {
      const sign = (t: Trader, side: 0 | 1, tif: "GTC" | "IOC") => {
        const orderId = (ids.get(t.accountId) ?? 0n) + 1n;
        ids.set(t.accountId, orderId);
        return t.sign({ instrument: m.instrument, side, size: 10n * m.lotSize, price: priceOf(m), orderId, tif });
      };
      venue.execute({ kind: "place", order: sign(short, Side.SELL, "GTC"), clientOrderId: null }, tick());
      const take = sign(long, Side.BUY, "IOC");
      checkFundCapacity(venue, take);
      const out = venue.execute({ kind: "place", order: take, clientOrderId: null }, tick());
      assert.ok(out.kind === "place" && out.result.fills.length === 1, `a fill in ${m.name}`);
      check();
    };
    const forcedClose = (t: Trader, m: Market): void => {
      const out = venue.execute(
        { kind: "forcedClose", accountId: t.accountId, instrument: m.instrument, settlement: false, queueIndex: null },
        tick(),
      );
      assert.ok(out.kind === "forcedClose" && out.served, `forced close of ${m.name}`);
      if (!oldRule) check();
    };
    const perps = markets.filter((m) => m.kind === InstrumentKind.PERP);
    const options = markets.filter((m) => m.kind !== InstrumentKind.PERP);
    const [a, b, c, d, e, f] = traders as [Trader, Trader, Trader, Trader, Trader, Trader];
    // Account 1 takes four longs by forced close: all its slots used.
    const first = [perps[0]!, options[0]!, options[1]!, options[2]!];
    for (const m of first) trade(m, a, b);
    for (const m of first) forcedClose(a, m);
    // A second fund account; the next instrument's long goes to it (account 1 is full). A perp,
    // so that both sides can be force-closed (a live short option waits, F17).
    const keys = config.system.insurance;
    venue.execute(
      { kind: "deposit", accountId: 50n, owner: keys.owner, pkHash: keys.pkHash, amount: 0n, queueIndex: null },
      tick(),
    );
    const held = perps[1]!;
    trade(held, c, d);
    forcedClose(c, held);
    assert.ok(fundPosition(venue, 50n, held) > 0n, "fund account 50 holds it");
    // B's perp short nets account 1's long to 0: a slot of account 1 is free again.
    forcedClose(b, perps[0]!);
    assert.equal(fundPosition(venue, INSURANCE_ACCOUNT, perps[0]!), 0n);
    // Four new instruments open, up to the fund's free slots.
    const fresh = options.slice(3, 7);
    for (const [k, m] of fresh.entries()) trade(m, k < 2 ? e : f, k < 2 ? c : a);
    assert.equal(venue.ledger.fundCapacity.uncovered, venue.ledger.fundCapacity.freeSlots);
    forcedClose(d, held);
    if (oldRule) return { venue, held, open: { trader: e, market: fresh[0]! } };
    // D's short went to account 50, which holds the perp, not into account 1's free slot.
    assert.equal(fundPosition(venue, 50n, held), 0n, "account 50's long and D's short net out");
    assert.equal(fundPosition(venue, INSURANCE_ACCOUNT, held), 0n, "account 1 took nothing");
    // Every new instrument's forced close is served.
    for (const [k, m] of fresh.entries()) forcedClose(k < 2 ? e : f, m);
    return { venue, held, open: { trader: e, market: fresh[0]! } };
  }

  test("finding (review of 12-07): a forced close goes to the fund account that holds the instrument, never into a new slot of account 1", async () => {
    // Before the fund-holder rule, account 1 took a forced close into a free slot even when
    // another fund account held the instrument: a slot spent, nothing covered, and a griefer
    // could then open one more instrument than the fund could take and queue its forced close.
    const db = tempDb();
    cleanups.push(db.cleanup);
    const { venue } = await holderScenario(db.file, false);
    try {
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live");
    } finally {
      venue.close();
    }
  });

  test("a journal written before the fund-holder rule replays its forced closes as executed, on both sides of the cut-over and through a rebuild", async () => {
    const db = tempDb();
    cleanups.push(db.cleanup);
    const scenario = await holderScenario(db.file, true);
    const { held, open } = scenario;
    let venue = scenario.venue;
    // The rule as it was: account 1 took D's short into its free slot.
    assert.ok(fundPosition(venue, INSURANCE_ACCOUNT, held) < 0n);
    const length = venue.journal.length;
    venue.close();
    // The file as an older release left it: no cut-over recorded. This release records the seq
    // after its last command, and the replay serves the old forced close as it was served.
    setJournalMeta(db.file, [FORCED_CLOSE_HOLDER_FROM], null);
    venue = await openInline(db.file);
    try {
      assert.equal(Journal.peekMeta(db.file, FORCED_CLOSE_HOLDER_FROM), String(length + 1n));
      assert.ok(fundPosition(venue, INSURANCE_ACCOUNT, held) < 0n, "replayed as executed");
      // A forced close after the cut-over: account 1 is full and nobody holds the instrument, so
      // fund account 50 takes it; the journal now holds closes of both rules.
      const later = venue.execute(
        {
          kind: "forcedClose",
          accountId: open.trader.accountId,
          instrument: open.market.instrument,
          settlement: false,
          queueIndex: null,
        },
        LISTED_AT * 1000n + 1_000_000n,
      );
      assert.ok(later.kind === "forcedClose" && later.served);
      assert.equal(later.insurance, 50n);
      assert.deepEqual(await replayDifferences(venue, db.file), [], "full replay = live, across the cut-over");
    } finally {
      venue.close();
    }
    // A rebuild carries the cut-over to its own journal.
    const to = tempDb();
    cleanups.push(to.cleanup);
    const { venue: rebuilt, dropped } = Sequencer.rebuild(venueConfig(), db.file, to.file, () => false);
    try {
      assert.deepEqual(dropped, []);
      assert.ok(fundPosition(rebuilt, INSURANCE_ACCOUNT, held) < 0n, "rebuilt as executed");
      assert.ok(fundPosition(rebuilt, 50n, open.market) > 0n);
    } finally {
      rebuilt.close();
    }
    assert.equal(Journal.peekMeta(to.file, FORCED_CLOSE_HOLDER_FROM), String(length + 1n));
    // This release's rule from the start serves the old close otherwise, and the replay says so.
    setJournalMeta(db.file, [FORCED_CLOSE_HOLDER_FROM], "1");
    await assert.rejects(openInline(db.file), (e: unknown) => e instanceof ReplayDivergenceError);
  });

  // The test profile's two slots an account bring the fund's bound within reach of short flows.
  for (const profile of ["test", "demo"] as const) {
    const cfg: VenueConfig = { ...config, profile: getProfile(profile) };
    test(`fund capacity: whatever the flow, every held instrument is one the fund can take, and every forced close is served (${profile} profile)`, async () => {
      let runs = 0;
      let refusedTotal = 0;
      let closedTotal = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 30, maxLength: 120 }), async (steps) => {
          const db = tempDb();
          cleanups.push(db.cleanup);
          const venue = await openInline(db.file, cfg);
          try {
            let now = LISTED_AT * 1000n + 1000n;
            const tick = (): bigint => (now += 1000n);
            for (const t of TRADERS) depositAt(venue, t, RICH, tick());
            const orderIds = new Map<bigint, bigint>();
            const nextId = (t: Trader): bigint => {
              const id = (orderIds.get(t.accountId) ?? 0n) + 1n;
              orderIds.set(t.accountId, id);
              return id;
            };
            let funds = 0;
            const check = (): void => checkBound(venue);
            const forcedClose = (p: { accountId: bigint; instrument: bigint; size: bigint }): void => {
              const out = venue.execute(
                {
                  kind: "forcedClose",
                  accountId: p.accountId,
                  instrument: p.instrument,
                  settlement: false,
                  queueIndex: null,
                },
                tick(),
              );
              assert.ok(out.kind === "forcedClose");
              assert.equal(out.served, !isLiveShortOption(p.instrument, p.size), "served unless a live short option");
              if (out.served) closedTotal += 1;
            };
            check();
            for (const s of steps) {
              if (process.env.FC_TRACE) console.error("step", JSON.stringify(s));
              if (s.kind === "fund") {
                if (funds === FUND_IDS.length) continue;
                const id = FUND_IDS[funds++]!;
                const keys = config.system.insurance;
                venue.execute(
                  {
                    kind: "deposit",
                    accountId: id,
                    owner: keys.owner,
                    pkHash: keys.pkHash,
                    amount: 0n,
                    queueIndex: null,
                  },
                  tick(),
                );
              } else if (s.kind === "forcedClose") {
                const held = positions(venue);
                if (held.length > 0) forcedClose(held[s.pick % held.length]!);
              } else {
                const m = markets[s.market]!;
                const maker = TRADERS[s.maker]!;
                const taker = TRADERS[s.taker === s.maker ? (s.taker + 1) % TRADERS.length : s.taker]!;
                const size = BigInt(s.lots) * m.lotSize;
                const price = priceOf(m);
                const spec = (side: 0 | 1, t: Trader, tif: "GTC" | "IOC") =>
                  t.sign({ instrument: m.instrument, side, size, price, orderId: nextId(t), tif });
                const rest = spec(s.buy ? Side.SELL : Side.BUY, maker, "GTC");
                const take = spec(s.buy ? Side.BUY : Side.SELL, taker, "IOC");
                for (const signed of [rest, take]) {
                  try {
                    // Intake's check, in the same step as the execution, as placeVerified runs it.
                    checkFundCapacity(venue, signed);
                  } catch (e) {
                    if (!(e instanceof SequencerError) || e.code !== "NO_FUND_CAPACITY") throw e;
                    assert.equal(signed, take, "only an order that would fill is refused");
                    refusedTotal += 1;
                    break;
                  }
                  try {
                    venue.execute({ kind: "place", order: signed, clientOrderId: null }, tick());
                  } catch (e) {
                    // The trader's own limits (a full position slot, margin): refused, nothing changed.
                    if (!(e instanceof SequencerError)) throw e;
                    if (signed === rest) break;
                  }
                }
                // The maker's rest is cancelled, so a later taker meets only its own step's order.
                venue.execute(
                  { kind: "cancelAll", accountId: maker.accountId, instrument: null, reason: "user" },
                  tick(),
                );
              }
              check();
            }
            // Every position queued for a forced close at once: each is served.
            for (const p of positions(venue)) {
              forcedClose(p);
              check();
            }
            runs += 1;
          } catch (e) {
            if (process.env.FC_TRACE) console.error(e);
            throw e;
          } finally {
            venue.close();
          }
        }),
        { numRuns: RUNS, seed: 20261207, endOnFailure: true },
      );
      assert.equal(runs, RUNS);
      // The property exercised both sides of the rule.
      assert.ok(refusedTotal > 0, "some first fills were refused for want of fund capacity");
      assert.ok(closedTotal > 50, `${closedTotal} forced closes served`);
    });
  }
});
