/**
 * The market maker's pricing: pure functions from market state to quotes, with no I/O.
 *
 * - Perpetuals: a reservation price around the oracle index, skewed against the bot's net
 *   delta (long → quotes lower, to sell), and a spread in basis points either side.
 * - Options: Black-Scholes at the surface's volatility for the strike and expiry, bid and ask
 *   at that volatility ∓ a vol spread, skewed in vol against the bot's position; each quote
 *   carries the model's greeks.
 * - Hedge: an IOC perpetual order that brings net delta back inside a band.
 * - Margin: a quote is kept only if the account would still meet its initial margin, with a
 *   buffer, after the quote filled completely (protocol/margin.ts, the venue's own rule).
 *
 * Exact units at the edge (docs/protocol.md §1): prices in cents and sizes in 1e-4 units,
 * bigint, on the market's tick and lot. Inside the option model: float USD and years.
 */
import { applyFill, slotFor } from "../../protocol/account.ts";
import { BPS, MAKER_FEE_BPS, SIZE_DECIMALS } from "../../protocol/constants.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { initialMarginScaled, equity } from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import { InstrumentKind } from "../../protocol/types.ts";
import type { Account } from "../../protocol/types.ts";
import { ceilTo, floorTo, minimumSize } from "../orders.ts";
import type { SideName } from "../orders.ts";
import type { Market } from "../wire.ts";
import { blackScholes } from "./blackscholes.ts";
import type { VolSurface } from "./volsurface.ts";

export const SECONDS_PER_YEAR = 365 * 86_400;
const SIZE_UNIT = 10 ** SIZE_DECIMALS;
const CENTS_PER_USD = 100;

/** One order the bot wants resting: prices in cents, sizes in 1e-4 units. */
export interface Quote {
  readonly instrument: bigint;
  readonly side: SideName;
  readonly price: bigint;
  readonly size: bigint;
}

/** Greeks per contract on one unit, in USD: delta in units, gamma per $1, vega per vol point, theta per day. */
export interface Greeks {
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
}

export interface TwoSidedQuote {
  readonly instrument: bigint;
  readonly name: string;
  /** Model value, cents (the reservation price for a perp). */
  readonly theo: bigint;
  /** The volatility used for an option; null for a perp. */
  readonly vol: number | null;
  readonly greeks: Greeks;
  readonly bid: Quote | null;
  readonly ask: Quote | null;
}

export interface PerpParams {
  /** Half the spread, basis points of the reservation price. */
  readonly halfSpreadBps: bigint;
  /** Quote size, 1e-4 units (rounded down to the lot). */
  readonly size: bigint;
  /** |net delta| (1e-4 units) at which the side that adds to it stops quoting. */
  readonly maxDelta: bigint;
  /** Reservation-price shift at maxDelta, basis points (linear in net delta). */
  readonly skewBpsAtMax: bigint;
}

export interface OptionParams {
  /** Vol spread either side of the surface, annual decimal (0.02 = 2 vol points). */
  readonly volSpread: number;
  /** Smallest spread, ticks. */
  readonly minSpreadTicks: bigint;
  /** Quote size, 1e-4 contracts (rounded down to the lot). */
  readonly size: bigint;
  /** |position| (1e-4 contracts) at which the side that adds to it stops quoting. */
  readonly maxPosition: bigint;
  /** Vol shift at maxPosition (a long position lowers both quotes). */
  readonly skewVolAtMax: number;
  /** No quotes this close to expiry, seconds. */
  readonly minSecondsToExpiry: bigint;
  /** Annual risk-free rate for the model (crypto perps hedge at spot: 0 by default). */
  readonly rate: number;
}

/**
 * A quote's size on `market` at `price`: `size` rounded down to the lot (null below the minimum
 * size), raised to the lots the venue's minimum notional needs at that price, so a cheap option
 * is quoted for at least the minimum notional rather than refused (`MIN_NOTIONAL`).
 */
function sizeOn(market: Market, size: bigint, price: bigint): bigint | null {
  const s = floorTo(size, market.lotSize);
  if (s < market.minSize) return null;
  const least = minimumSize(market, price);
  return s >= least ? s : least;
}

/** Perp quotes around the oracle index, skewed against net delta. */
export function quotePerp(market: Market, index: bigint, netDelta: bigint, p: PerpParams): TwoSidedQuote {
  const clamped = netDelta > p.maxDelta ? p.maxDelta : netDelta < -p.maxDelta ? -p.maxDelta : netDelta;
  const reservation = index - (index * p.skewBpsAtMax * clamped) / (p.maxDelta * BPS);
  const half = (reservation * p.halfSpreadBps) / BPS;
  let bidPrice = floorTo(reservation - half, market.tickSize);
  let askPrice = ceilTo(reservation + half, market.tickSize);
  if (askPrice <= bidPrice) askPrice = bidPrice + market.tickSize;
  if (bidPrice <= 0n) bidPrice = 0n;
  const bidSize = sizeOn(market, p.size, bidPrice);
  const askSize = sizeOn(market, p.size, askPrice);
  const bid =
    bidSize !== null && bidPrice > 0n && netDelta < p.maxDelta
      ? { instrument: market.instrument, side: "buy" as const, price: bidPrice, size: bidSize }
      : null;
  const ask =
    askSize !== null && netDelta > -p.maxDelta
      ? { instrument: market.instrument, side: "sell" as const, price: askPrice, size: askSize }
      : null;
  return {
    instrument: market.instrument,
    name: market.name,
    theo: reservation,
    vol: null,
    greeks: { delta: 1, gamma: 0, vega: 0, theta: 0 },
    bid,
    ask,
  };
}

/** Model value and greeks of an option market at `spot` (cents) and `now` (unix seconds). */
export function optionModel(
  market: Market,
  spot: bigint,
  now: bigint,
  surface: VolSurface,
  rate: number,
  volShift = 0,
): { years: number; vol: number; price: number; greeks: Greeks } {
  const years = Number(market.expiry - now) / SECONDS_PER_YEAR;
  const s = Number(spot) / CENTS_PER_USD;
  const k = Number(market.strike) / CENTS_PER_USD;
  const vol = Math.max(surface.params.minVol, surface.vol(k, s, years) + volShift);
  const v = blackScholes({ type: market.kind === "call" ? "call" : "put", spot: s, strike: k, years, vol, rate });
  return {
    years,
    vol,
    price: v.price,
    greeks: { delta: v.delta, gamma: v.gamma, vega: v.vega / 100, theta: v.theta / 365 },
  };
}

/** Option quotes from the surface; null inside `minSecondsToExpiry` of expiry. */
export function quoteOption(
  market: Market,
  spot: bigint,
  now: bigint,
  position: bigint,
  surface: VolSurface,
  p: OptionParams,
): TwoSidedQuote | null {
  if (market.kind === "perp") throw new RangeError(`${market.name} is not an option`);
  if (market.expiry - now < p.minSecondsToExpiry) return null;
  const clamped = position > p.maxPosition ? p.maxPosition : position < -p.maxPosition ? -p.maxPosition : position;
  const shift = (-p.skewVolAtMax * Number(clamped)) / Number(p.maxPosition);
  const mid = optionModel(market, spot, now, surface, p.rate, shift);
  const lo = optionModel(market, spot, now, surface, p.rate, shift - p.volSpread);
  const hi = optionModel(market, spot, now, surface, p.rate, shift + p.volSpread);
  // The one conversion from the model to exact ticks: bids round down, asks up.
  const bidPrice = floorTo(BigInt(Math.floor(lo.price * CENTS_PER_USD)), market.tickSize);
  let askPrice = ceilTo(BigInt(Math.ceil(hi.price * CENTS_PER_USD)), market.tickSize);
  const minAsk = bidPrice + p.minSpreadTicks * market.tickSize;
  if (askPrice < minAsk) askPrice = minAsk;
  if (askPrice <= 0n) askPrice = market.tickSize;
  const bidSize = sizeOn(market, p.size, bidPrice);
  const askSize = sizeOn(market, p.size, askPrice);
  return {
    instrument: market.instrument,
    name: market.name,
    theo: BigInt(Math.round(mid.price * CENTS_PER_USD)),
    vol: mid.vol,
    greeks: mid.greeks,
    bid:
      bidSize !== null && bidPrice > 0n && position < p.maxPosition
        ? { instrument: market.instrument, side: "buy", price: bidPrice, size: bidSize }
        : null,
    ask:
      askSize !== null && position > -p.maxPosition
        ? { instrument: market.instrument, side: "sell", price: askPrice, size: askSize }
        : null,
  };
}

/** A position of the account, for portfolio greeks. */
export interface HeldPosition {
  readonly market: Market;
  /** Signed, 1e-4 units. */
  readonly size: bigint;
}

/** Net greeks of positions in one underlying, in USD and units of the underlying. */
export function portfolioGreeks(
  positions: readonly HeldPosition[],
  spot: bigint,
  now: bigint,
  surface: VolSurface,
  rate: number,
): Greeks {
  let delta = 0;
  let gamma = 0;
  let vega = 0;
  let theta = 0;
  for (const { market, size } of positions) {
    const units = Number(size) / SIZE_UNIT;
    if (market.kind === "perp") {
      delta += units;
      continue;
    }
    if (market.expiry <= now) continue;
    const g = optionModel(market, spot, now, surface, rate).greeks;
    delta += units * g.delta;
    gamma += units * g.gamma;
    vega += units * g.vega;
    theta += units * g.theta;
  }
  return { delta, gamma, vega, theta };
}

/**
 * The IOC perpetual order that brings `netDelta` (units) back to zero when it is outside
 * ±`band` (units), limited at the index ± `slippageBps`; null inside the band.
 */
export function hedgeOrder(
  perp: Market,
  index: bigint,
  netDelta: number,
  band: number,
  slippageBps: bigint,
): Quote | null {
  if (Math.abs(netDelta) <= band) return null;
  const size = floorTo(BigInt(Math.floor(Math.abs(netDelta) * SIZE_UNIT)), perp.lotSize);
  if (size < perp.minSize) return null;
  const slip = (index * slippageBps) / BPS;
  const low = floorTo(index - slip, perp.tickSize);
  // Below the venue's minimum notional the hedge would be refused (MIN_NOTIONAL): wait for more
  // delta. A buy is valued at the best ask when lower, so both are valued at the lower limit.
  if (size * low < perp.minNotional) return null;
  return netDelta > 0
    ? { instrument: perp.instrument, side: "sell", price: low, size }
    : { instrument: perp.instrument, side: "buy", price: ceilTo(index + slip, perp.tickSize), size };
}

/**
 * Whether `account` would still meet `bufferBps`/10^4 times its initial margin after `quote`
 * filled completely at its price, maker fee paid (docs/protocol.md §6.1-6.3). False when the
 * fill would need a position slot the account does not have.
 */
/**
 * A quote and the levels behind it: `levels` orders on the quote's side, level i (from 0) priced
 * i steps further from the touch and sized (i + 1) times the quote, so that depth grows away
 * from the mid as on a real book. A step is `stepBps` of the quote's price on the market's tick
 * (at least one tick). Levels that would reach a price ≤ 0 are left out.
 */
export function ladder(touch: Quote, market: Market, levels: number, stepBps: bigint): Quote[] {
  const raw = (touch.price * stepBps) / BPS;
  const step = raw < market.tickSize ? market.tickSize : floorTo(raw, market.tickSize);
  const out: Quote[] = [];
  for (let i = 0; i < levels; i++) {
    const offset = BigInt(i) * step;
    const price = touch.side === "buy" ? touch.price - offset : touch.price + offset;
    if (price <= 0n) break;
    out.push({ ...touch, price, size: touch.size * BigInt(i + 1) });
  }
  return out;
}

export function fitsMargin(account: Account, marks: Marks, quote: Quote, bufferBps: bigint): boolean {
  const slot = slotFor(account, quote.instrument);
  if (slot < 0) return false;
  const spec = decodeInstrument(quote.instrument);
  const q = quote.side === "buy" ? quote.size : -quote.size;
  const funding = spec.kind === InstrumentKind.PERP ? (marks.fundingIndex[spec.underlying - 1] ?? 0n) : 0n;
  const fee = (quote.size * quote.price * MAKER_FEE_BPS) / BPS;
  const after = applyFill(
    { ...account, collateral: account.collateral - fee },
    slot,
    quote.instrument,
    q,
    q * (quote.price - funding),
  );
  return BPS * BPS * equity(after, marks) >= initialMarginScaled(after, marks) * bufferBps;
}
