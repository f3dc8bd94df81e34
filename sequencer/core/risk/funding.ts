/**
 * The funding rate (docs/protocol.md §6.5, the operator's choice within the cap). Guarantee:
 * each interval the funding index of an underlying moves by the time-weighted average, over
 * the interval, of the perpetual book's premium over the oracle, clamped to
 * `|delta| ≤ ⌊FUNDING_CAP_BPS × oracle / 10^4⌋` so that protocol/'s `FUNDING_CAP` check holds.
 *
 * The premium at an instant is one-sided, from the impact prices of the book (`premiumOf`): the
 * impact bid minus the oracle when the impact bid is above the oracle (buyers pay more than the
 * index for real size), the impact ask minus the oracle when the impact ask is below it, else 0.
 * A side's impact price is the price at which a market order of `FUNDING_IMPACT_NOTIONAL` would
 * complete against it (`impactPrice`); a side without that much depth within
 * `FUNDING_IMPACT_MAX_LEVELS` levels has none. So a quote far from the oracle on the other side
 * (a bid at one cent under a fair ask) moves nothing, and moving the premium takes real size
 * offered beyond the oracle, which anyone can take. A premium that one order sets for a moment
 * weighs only for the time it stood. A positive delta raises the index: longs pay shorts (the
 * perp traded above the oracle). The update still happens with delta 0 when there was no
 * premium, so the schedule keeps its pace.
 *
 * Everything here is bigint and takes time as an argument (unix ms): the venue samples at each
 * journaled command with that command's `now`, so a replay computes the same averages.
 */
import { BPS, FUNDING_CAP_BPS } from "../../../protocol/constants.ts";

/** The largest |delta| the protocol accepts at oracle price `oracle` (cents). */
export function fundingCap(oracle: bigint): bigint {
  return (FUNDING_CAP_BPS * oracle) / BPS;
}

/**
 * The depth a side of a perpetual book must show for its price to count in the premium: a market
 * order of this notional (USDC base units, `price × size`: 1,000 USDC) must complete against it.
 */
export const FUNDING_IMPACT_NOTIONAL = 1_000_000_000n;
/**
 * The most price levels `impactPrice` walks: a side that needs more to reach the impact notional
 * (dust spread over many levels) has no impact price. It bounds the work per sample, which runs
 * after every command.
 */
export const FUNDING_IMPACT_MAX_LEVELS = 32;

/** A price level as `impactPrice` reads it: its price (cents) and its total size (1e-4 units). */
export interface DepthLevel {
  readonly price: bigint;
  readonly total: bigint;
}

/**
 * The price at which a market order of `notional` (USDC base units) completes against `levels`
 * (one side of a book, best first): the price of the level where the cumulative `price × size`
 * first reaches it; null when `maxLevels` levels do not hold that much.
 */
export function impactPrice(
  levels: Iterable<DepthLevel>,
  notional = FUNDING_IMPACT_NOTIONAL,
  maxLevels = FUNDING_IMPACT_MAX_LEVELS,
): bigint | null {
  let depth = 0n;
  let walked = 0;
  for (const level of levels) {
    if (walked++ >= maxLevels) return null;
    depth += level.price * level.total;
    if (depth >= notional) return level.price;
  }
  return null;
}

/**
 * The book's premium over the oracle at one instant, from its impact bid and ask (cents per
 * unit, signed): `impactBid − oracle` when the impact bid is above the oracle, `impactAsk −
 * oracle` when the impact ask is below it, else 0 (both cannot hold: the bid is below the ask).
 */
export function premiumOf(impactBid: bigint | null, impactAsk: bigint | null, oracle: bigint): bigint {
  if (impactBid !== null && impactBid > oracle) return impactBid - oracle;
  if (impactAsk !== null && impactAsk < oracle) return impactAsk - oracle;
  return 0n;
}

/**
 * The premium rule before the impact prices: `⌊(bestBid + bestAsk) / 2⌋ − oracle`, 0 without a
 * two-sided book. A quote far from the oracle moved it (a bid at one cent under a fair ask put the
 * mid near half the oracle), so it is kept only to replay the commands of journals written under
 * it (the venue's `FUNDING_IMPACT_FROM`).
 */
export function midPremiumOf(bestBid: bigint | null, bestAsk: bigint | null, oracle: bigint): bigint {
  if (bestBid === null || bestAsk === null) return 0n;
  return (bestBid + bestAsk) / 2n - oracle;
}

/** `premium` clamped to the protocol's funding cap at `oracle`. */
export function clampFunding(premium: bigint, oracle: bigint): bigint {
  const cap = fundingCap(oracle);
  return premium > cap ? cap : premium < -cap ? -cap : premium;
}

/** The funding delta from one instant's impact bid and ask and the oracle (the premium, clamped). */
export function fundingDelta(impactBid: bigint | null, impactAsk: bigint | null, oracle: bigint): bigint {
  return clampFunding(premiumOf(impactBid, impactAsk, oracle), oracle);
}

/** A `PremiumAverage` as plain data (`toSnapshot`). */
export interface PremiumAverageSnapshot {
  readonly start: bigint | null;
  readonly last: bigint;
  readonly current: bigint;
  readonly area: bigint;
}

/**
 * The time-weighted average premium of one underlying over a funding interval. The premium is
 * a step function: `observe(p, t)` says it is `p` from `t` on (until the next observation). The
 * interval starts at the first observation, then at each `restart`. Observations at a time
 * earlier than the last one count from the last one (time never runs backwards here).
 */
export class PremiumAverage {
  /** Start of the interval (unix ms), or null before the first observation. */
  private start: bigint | null = null;
  /** Time of the last observation, unix ms. */
  private last = 0n;
  /** The premium since `last`. */
  private current = 0n;
  /** Σ premium × ms over [start, last]. */
  private area = 0n;

  /** The premium is `premium` from `now` on. */
  observe(premium: bigint, now: bigint): void {
    this.advance(now);
    this.current = premium;
  }

  private advance(now: bigint): void {
    if (this.start === null) {
      this.start = now;
      this.last = now;
      return;
    }
    if (now > this.last) {
      this.area += this.current * (now - this.last);
      this.last = now;
    }
  }

  /**
   * The average premium over [start, now], rounded toward zero; the current premium when no
   * time has passed in the interval (0 before any observation).
   */
  average(now: bigint): bigint {
    if (this.start === null) return 0n;
    this.advance(now);
    const elapsed = this.last - this.start;
    return elapsed === 0n ? this.current : this.area / elapsed;
  }

  /** Starts a new interval at `now`; the current premium carries on. */
  restart(now: bigint): void {
    this.advance(now);
    this.start = this.last;
    this.area = 0n;
  }

  /** The average's state as plain data, for a sequencer snapshot (sequencer/journal/snapshot.ts). */
  toSnapshot(): PremiumAverageSnapshot {
    return { start: this.start, last: this.last, current: this.current, area: this.area };
  }

  static fromSnapshot(s: PremiumAverageSnapshot): PremiumAverage {
    const average = new PremiumAverage();
    average.start = s.start;
    average.last = s.last;
    average.current = s.current;
    average.area = s.area;
    return average;
  }

  /** The interval's start (unix ms), or null before the first observation. */
  get since(): bigint | null {
    return this.start;
  }
}
