/**
 * Option analytics for the chain and the positions: implied volatility from the book's mid
 * price and the greeks at that volatility (lib/blackscholes.ts), from the protocol's integers.
 */
import type { Instrument, Ticker } from "../../lib/api.ts";
import { fromProtocol, greeks, impliedVol } from "../../lib/blackscholes.ts";
import type { Greeks } from "../../lib/blackscholes.ts";
import { PRICE_DECIMALS } from "../../../protocol/constants.ts";

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
