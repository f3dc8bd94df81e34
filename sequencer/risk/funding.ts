/**
 * The funding rate (docs/protocol.md §6.5, the operator's choice within the cap): each
 * interval the funding index of an underlying moves by the perpetual book's premium over the
 * oracle, `delta = mid − oracle` in cents per unit, clamped to
 * `|delta| ≤ ⌊FUNDING_CAP_BPS × oracle / 10^4⌋` so that protocol/'s `FUNDING_CAP` check holds.
 *
 * `mid = ⌊(bestBid + bestAsk) / 2⌋`; without both sides of the book there is no premium and
 * the delta is 0 (the update still happens, so the schedule keeps its pace). A positive delta
 * raises the index: longs pay shorts (the perp traded above the oracle).
 */
import { BPS, FUNDING_CAP_BPS } from "../../protocol/constants.ts";

/** The largest |delta| the protocol accepts at oracle price `oracle` (cents). */
export function fundingCap(oracle: bigint): bigint {
  return (FUNDING_CAP_BPS * oracle) / BPS;
}

/** The funding delta (cents per unit, signed) from the book's best bid/ask and the oracle price. */
export function fundingDelta(bestBid: bigint | null, bestAsk: bigint | null, oracle: bigint): bigint {
  if (bestBid === null || bestAsk === null) return 0n;
  const premium = (bestBid + bestAsk) / 2n - oracle;
  const cap = fundingCap(oracle);
  return premium > cap ? cap : premium < -cap ? -cap : premium;
}
