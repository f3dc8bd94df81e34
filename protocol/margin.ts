/**
 * Valuation and margin (docs/protocol.md §6.1, §6.2). Cross margin over all slots.
 *
 * Margins are returned ×10^4 (in quote base units × 10^4) so that no division happens:
 *   IM×10^4 = Σ perps |size|·price·IM_BPS + Σ short options |size|·max(OPT_A_IM·price − 10^4·otm, OPT_B_IM·price)
 * `meetsIM ⇔ 10^4·equity ≥ IM×10^4`, `belowMM ⇔ 10^4·equity < MM×10^4`.
 */
import { BPS, IM_BPS, MM_BPS, OPT_A_IM, OPT_A_MM, OPT_B_IM, OPT_B_MM } from "./constants.ts";
import { abs, max, min } from "./field.ts";
import { decodeInstrument } from "./instruments.ts";
import { InstrumentKind } from "./types.ts";
import type { Account, InstrumentSpec, Position } from "./types.ts";

/** Prices and funding indices a valuation uses; index u−1 holds underlying u, in cents. */
export interface Marks {
  readonly prices: readonly bigint[];
  readonly fundingIndex: readonly bigint[];
}

function priceOf(marks: Marks, underlying: number): bigint {
  const p = marks.prices[underlying - 1];
  if (p === undefined) throw new RangeError(`no price for underlying ${underlying}`);
  return p;
}

/** Intrinsic value per unit of an option at underlying price `price` (cents). */
export function intrinsic(spec: InstrumentSpec, price: bigint): bigint {
  if (spec.kind === InstrumentKind.CALL) return max(price - spec.strike, 0n);
  if (spec.kind === InstrumentKind.PUT) return max(spec.strike - price, 0n);
  throw new RangeError("intrinsic value of a perpetual");
}

/** How far out of the money an option is at `price`: call `max(K − price, 0)`, put `max(price − K, 0)`. */
export function outOfTheMoney(spec: InstrumentSpec, price: bigint): bigint {
  if (spec.kind === InstrumentKind.CALL) return max(spec.strike - price, 0n);
  if (spec.kind === InstrumentKind.PUT) return max(price - spec.strike, 0n);
  throw new RangeError("moneyness of a perpetual");
}

/** Mark per unit (cents): perp `price − F`, option its intrinsic value. */
export function markOf(spec: InstrumentSpec, marks: Marks): bigint {
  const price = priceOf(marks, spec.underlying);
  if (spec.kind === InstrumentKind.PERP) {
    const f = marks.fundingIndex[spec.underlying - 1];
    if (f === undefined) throw new RangeError(`no funding index for underlying ${spec.underlying}`);
    return price - f;
  }
  return intrinsic(spec, price);
}

/** `value(pos) = size × mark − cost` (quote units); 0 for an empty slot. */
export function positionValue(pos: Position, marks: Marks): bigint {
  if (pos.size === 0n) return 0n;
  return pos.size * markOf(decodeInstrument(pos.instrument), marks) - pos.cost;
}

/** `equity = collateral + Σ value(pos)` (quote units, signed). */
export function equity(account: Account, marks: Marks): bigint {
  return account.positions.reduce((sum, pos) => sum + positionValue(pos, marks), account.collateral);
}

interface MarginRates {
  readonly perp: bigint;
  readonly optA: bigint;
  readonly optB: bigint;
}
const INITIAL: MarginRates = { perp: IM_BPS, optA: OPT_A_IM, optB: OPT_B_IM };
const MAINTENANCE: MarginRates = { perp: MM_BPS, optA: OPT_A_MM, optB: OPT_B_MM };

function positionMarginScaled(pos: Position, marks: Marks, rates: MarginRates): bigint {
  if (pos.size === 0n) return 0n;
  const spec = decodeInstrument(pos.instrument);
  const price = priceOf(marks, spec.underlying);
  if (spec.kind === InstrumentKind.PERP) return abs(pos.size) * price * rates.perp;
  if (pos.size > 0n) return 0n; // long options: the premium, paid through cost, is the whole risk
  const perUnit = max(rates.optA * price - BPS * outOfTheMoney(spec, price), rates.optB * price);
  return -pos.size * perUnit;
}

function marginScaled(account: Account, marks: Marks, rates: MarginRates): bigint {
  return account.positions.reduce((sum, pos) => sum + positionMarginScaled(pos, marks, rates), 0n);
}

/** Initial margin × 10^4. */
export function initialMarginScaled(account: Account, marks: Marks): bigint {
  return marginScaled(account, marks, INITIAL);
}

/** Maintenance margin × 10^4. */
export function maintenanceMarginScaled(account: Account, marks: Marks): bigint {
  return marginScaled(account, marks, MAINTENANCE);
}

export function meetsIM(account: Account, marks: Marks): boolean {
  return BPS * equity(account, marks) >= initialMarginScaled(account, marks);
}

export function belowMM(account: Account, marks: Marks): boolean {
  return BPS * equity(account, marks) < maintenanceMarginScaled(account, marks);
}

/**
 * Maintenance headroom `10^4·equity − MM×10^4` (§6.2): negative exactly when the account is
 * below maintenance margin.
 */
export function maintenanceHeadroomScaled(account: Account, marks: Marks): bigint {
  return BPS * equity(account, marks) - maintenanceMarginScaled(account, marks);
}

/**
 * The first option the account holds whose expiry is at or before `t`, or null (§6.2.1). Such a
 * series is worth its settlement value, which only a settlement record gives: every margin check
 * refuses an account holding one until it is settled, so no check ever values an expired
 * series at a later price.
 */
export function expiredOption(account: Account, t: bigint): bigint | null {
  for (const p of account.positions) {
    if (p.size === 0n) continue;
    const spec = decodeInstrument(p.instrument);
    if (spec.kind !== InstrumentKind.PERP && spec.expiry <= t) return p.instrument;
  }
  return null;
}

/**
 * The most collateral a withdrawal can take now: the largest `w ≥ 0` with
 * `collateral − w ≥ 0` and `10^4·(equity − w) ≥ IM×10^4` (§6.8), or 0.
 */
export function freeCollateral(account: Account, marks: Marks): bigint {
  const headroom = BPS * equity(account, marks) - initialMarginScaled(account, marks);
  if (headroom <= 0n || account.collateral <= 0n) return 0n;
  return min(account.collateral, headroom / BPS);
}

/** `10^4·equity − MM×10^4` with underlying `u` priced at `price`, everything else held. */
function maintenanceHeadroom(account: Account, marks: Marks, underlying: number, price: bigint): bigint {
  const prices = marks.prices.slice();
  prices[underlying - 1] = price;
  const moved = { prices, fundingIndex: marks.fundingIndex };
  return BPS * equity(account, moved) - maintenanceMarginScaled(account, moved);
}

/** Upper bound of the price search (prices are 40-bit cents). */
const PRICE_LIMIT = (1n << 40n) - 1n;

/**
 * The prices in `[0, 2^40)` where the maintenance headroom of `account`, as a function of
 * underlying `u`'s price with everything else held, may change slope, with `0`, `2^40 − 1` and
 * `current`; sorted, distinct. Between two consecutive ones the headroom is affine on the
 * integers: perps are linear in the price, an option's value kinks only at its strike, and a
 * short option's margin `max(OPT_A·x − 10^4·otm(x), OPT_B·x)` kinks at the strike and where its
 * two terms meet (a rational point: both integers around it are listed).
 */
export function headroomBreakpoints(account: Account, u: number, current: bigint): bigint[] {
  const breakpoints = new Set<bigint>([0n, PRICE_LIMIT, current]);
  for (const p of account.positions) {
    if (p.size === 0n) continue;
    const spec = decodeInstrument(p.instrument);
    if (spec.underlying !== u || spec.kind === InstrumentKind.PERP) continue;
    breakpoints.add(spec.strike);
    // OPT_A·x − 10^4·otm(x) = OPT_B·x: for a call otm = K − x, for a put otm = x − K.
    const k = spec.strike * BPS;
    const kink = spec.kind === InstrumentKind.CALL ? k / (BPS + OPT_A_MM - OPT_B_MM) : k / (BPS + OPT_B_MM - OPT_A_MM);
    for (const b of [kink - 1n, kink, kink + 1n]) if (b > 0n && b < PRICE_LIMIT) breakpoints.add(b);
  }
  return [...breakpoints].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Prices `[lo, hi]` (cents) of one underlying within which an account stays at or above MM. */
export interface MaintenanceInterval {
  readonly lo: bigint;
  readonly hi: bigint;
}

/**
 * The largest price interval `[lo, hi]` of underlying `u` (within `[0, 2^40)`) that holds the
 * current price and in which `account` keeps at least `1 − 1/shares` of its maintenance
 * headroom `H` (§6.2): `shares · H_u(x) ≥ (shares − 1) · H` for every integer `x` in it, where
 * `H_u(x)` is the headroom with `u` priced at `x` and every other price and funding index held;
 * null when the account is below MM now (`H < 0`, the predicate of `belowMM`).
 *
 * With `shares = 1` this is the interval in which the account is not `belowMM`: `lo − 1` and
 * `hi + 1` fail it, or lie outside the price range. With `shares = n`, the number of
 * underlyings the account holds positions in, the intervals hold jointly: the headroom is a sum
 * of one term per underlying (every position's value and margin depend on its own underlying's
 * price only), so `H(P) = H + Σ_u (H_u(P_u) − H) ≥ H − n · H/n = 0` whenever every price `P_u`
 * lies in its interval, however many move at once. The sequencer's liquidation index
 * (sequencer/core/risk/candidates.ts) re-examines an account only when a price leaves one.
 *
 * `H_u` is affine between consecutive `headroomBreakpoints`, so a segment whose two ends pass
 * passes everywhere, and in the first segment whose far end fails, the crossing is found by
 * interpolation (checked on both sides, with a bisection as fallback).
 */
export function maintenanceInterval(account: Account, marks: Marks, u: number, shares = 1): MaintenanceInterval | null {
  if (!Number.isInteger(shares) || shares < 1) throw new RangeError(`shares must be a positive integer, got ${shares}`);
  const current = priceOf(marks, u);
  const now = maintenanceHeadroom(account, marks, u, current);
  if (now < 0n) return null;
  const n = BigInt(shares);
  const floor = (n - 1n) * now;
  // ≥ 0 exactly where the interval's condition holds; equals `now` at the current price.
  const slack = (price: bigint): bigint => n * maintenanceHeadroom(account, marks, u, price) - floor;
  const sorted = headroomBreakpoints(account, u, current);
  const at = sorted.indexOf(current);
  // The last passing price from `good` (slack sg ≥ 0) toward `bad` (slack sb < 0).
  const lastPassing = (good: bigint, sg: bigint, bad: bigint, sb: bigint): bigint => {
    const step = bad > good ? 1n : -1n;
    const guess = good + step * ((sg * abs(bad - good)) / (sg - sb));
    if (guess !== bad && slack(guess) >= 0n && slack(guess + step) < 0n) return guess;
    let g = good;
    let b = bad;
    while (abs(b - g) > 1n) {
      const mid = (g + b) / 2n;
      if (slack(mid) < 0n) b = mid;
      else g = mid;
    }
    return g;
  };
  const edge = (step: 1 | -1): bigint => {
    let prev = current;
    let sPrev = now;
    for (let i = at + step; i >= 0 && i < sorted.length; i += step) {
      const b = sorted[i]!;
      const sb = slack(b);
      if (sb < 0n) return lastPassing(prev, sPrev, b, sb);
      prev = b;
      sPrev = sb;
    }
    return prev;
  };
  return { lo: edge(-1), hi: edge(1) };
}

/**
 * Display only: the oracle price of the underlying of slot `index` at which the account
 * reaches maintenance margin (`equity = MM`) with all other prices held, nearest to the current
 * price; `null` when no price in `[0, 2^40)` makes it fall below MM, or the slot is empty. An
 * account already below MM gets the current price.
 *
 * The ends of `maintenanceInterval`'s interval, one step beyond.
 */
export function liquidationPrice(account: Account, index: number, marks: Marks): bigint | null {
  const pos = account.positions[index];
  if (pos === undefined || pos.size === 0n) return null;
  const u = decodeInstrument(pos.instrument).underlying;
  const current = priceOf(marks, u);
  const interval = maintenanceInterval(account, marks, u);
  if (interval === null) return current;
  // The first prices below MM on either side, unless the interval reaches the price range's end.
  const down = interval.lo > 0n ? interval.lo - 1n : null;
  const up = interval.hi < PRICE_LIMIT ? interval.hi + 1n : null;
  if (down === null) return up;
  if (up === null) return down;
  return current - down <= up - current ? down : up;
}
