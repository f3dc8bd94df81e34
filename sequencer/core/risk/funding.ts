/**
 * The funding rate (docs/protocol.md §6.5, the operator's choice within the cap). Guarantee:
 * each interval the funding index of an underlying moves by the time-weighted average, over
 * the interval, of the perpetual book's premium over the oracle, clamped to
 * `|delta| ≤ ⌊FUNDING_CAP_BPS × oracle / 10^4⌋` so that protocol/'s `FUNDING_CAP` check holds.
 *
 * The premium at an instant is `mid − oracle` in cents per unit, `mid = ⌊(bestBid + bestAsk) /
 * 2⌋`, with the oracle price of that instant; without both sides of the book it is 0. A
 * premium that one order can set for a moment (a thin book pushed just before the update)
 * therefore weighs only for the time it stood. A positive delta raises the index: longs pay
 * shorts (the perp traded above the oracle). The update still happens with delta 0 when there
 * was no premium, so the schedule keeps its pace.
 *
 * Everything here is bigint and takes time as an argument (unix ms): the venue samples at each
 * journaled command with that command's `now`, so a replay computes the same averages.
 */
import { BPS, FUNDING_CAP_BPS } from "../../../protocol/constants.ts";

/** The largest |delta| the protocol accepts at oracle price `oracle` (cents). */
export function fundingCap(oracle: bigint): bigint {
  return (FUNDING_CAP_BPS * oracle) / BPS;
}

/** The book's premium over the oracle at one instant (cents per unit, signed; 0 without both sides). */
export function premiumOf(bestBid: bigint | null, bestAsk: bigint | null, oracle: bigint): bigint {
  if (bestBid === null || bestAsk === null) return 0n;
  return (bestBid + bestAsk) / 2n - oracle;
}

/** `premium` clamped to the protocol's funding cap at `oracle`. */
export function clampFunding(premium: bigint, oracle: bigint): bigint {
  const cap = fundingCap(oracle);
  return premium > cap ? cap : premium < -cap ? -cap : premium;
}

/** The funding delta from one instant's best bid/ask and the oracle (the premium, clamped). */
export function fundingDelta(bestBid: bigint | null, bestAsk: bigint | null, oracle: bigint): bigint {
  return clampFunding(premiumOf(bestBid, bestAsk, oracle), oracle);
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
