/**
 * Option analytics for the chain and the positions: implied volatility from the book's mid
 * price and the greeks at that volatility (lib/blackscholes.ts), from the protocol's integers;
 * and what a settled series paid (protocol/margin `intrinsic` at the settlement price).
 */
import type { Instrument, Ticker } from "../../lib/api.ts";
import { fromProtocol, greeks, impliedVol } from "../../lib/blackscholes.ts";
import type { Greeks } from "../../lib/blackscholes.ts";
import { PRICE_DECIMALS } from "../../../protocol/constants.ts";
import { decodeInstrument } from "../../../protocol/instruments.ts";
import { intrinsic } from "../../../protocol/margin.ts";

export interface OptionQuote {
  readonly bid: bigint | null;
  readonly ask: bigint | null;
  /** Mid of bid and ask, else the last trade; cents. */
  readonly mark: bigint | null;
  readonly iv: number | null;
  readonly greeks: Greeks | null;
}

export function quoteOf(option: Instrument, ticker: Ticker | undefined, spot: bigint, now: bigint): OptionQuote {
  const bid = ticker?.bid ?? null;
  const ask = ticker?.ask ?? null;
  const mark = bid !== null && ask !== null ? (bid + ask) / 2n : (ticker?.lastPrice ?? null);
  if (mark === null || option.kind === "perp" || option.expiry <= now)
    return { bid, ask, mark, iv: null, greeks: null };
  const inputs = fromProtocol(option.kind, spot, option.strike, option.expiry, now, 0);
  const iv = impliedVol(inputs, Number(mark) / 10 ** PRICE_DECIMALS);
  return { bid, ask, mark, iv, greeks: iv === null ? null : greeks({ ...inputs, vol: iv }) };
}

/** What a settled option series paid: its settlement price and the intrinsic value it implies. */
export interface SeriesSettlement {
  /** Underlying price the series settled at, cents. */
  readonly price: bigint;
  /** Intrinsic value per contract (one unit of the underlying) at that price, cents. */
  readonly intrinsic: bigint;
}

/** The settlement of `option` at `settlementPrice` (cents), or null while it awaits one. */
export function settlementOf(option: Instrument, settlementPrice: bigint | null): SeriesSettlement | null {
  if (settlementPrice === null || option.kind === "perp") return null;
  return { price: settlementPrice, intrinsic: intrinsic(decodeInstrument(option.instrument), settlementPrice) };
}

/**
 * The outcome of settling a position of `size` (1e-4 units, signed) and `cost` (USDC base
 * units): `value = size × intrinsic(S)`, its worth at settlement, and `pnl = value − cost`, what
 * settling adds to collateral (docs/protocol.md §6.6). USDC base units, signed.
 */
export function settlementOutcome(
  position: { readonly size: bigint; readonly cost: bigint },
  settlement: SeriesSettlement,
): { readonly value: bigint; readonly pnl: bigint } {
  const value = position.size * settlement.intrinsic;
  return { value, pnl: value - position.cost };
}
