/**
 * Settled option positions. Settlement closes every position of an expired series (SETTLE,
 * docs/protocol.md §6.6), so the account view no longer lists them; the venue records what each
 * settlement paid (`GET /v1/account/settlements`, pushed live as `settlement` messages) and the
 * options page shows those records.
 *
 * Pure: no I/O, no clock.
 */
import type { Settlement } from "../../lib/api.ts";
import { formatPrice, formatUsdc } from "../../lib/format.ts";

/** What settling one position paid, as the positions table states it. */
export interface SettlementFigures {
  /** The series' settlement price, cents. */
  readonly price: bigint;
  /** Intrinsic value per contract at that price, cents. */
  readonly intrinsic: bigint;
  /** The position's worth at settlement, USDC base units, signed. */
  readonly value: bigint;
  /** What settling added to collateral, USDC base units, signed. */
  readonly pnl: bigint;
}

/** "Settled at P: I per contract, worth V USDC (PnL X)". */
export function describeSettlement(s: SettlementFigures): string {
  return `Settled at ${formatPrice(s.price)}: ${formatPrice(s.intrinsic)} per contract, worth ${formatUsdc(s.value, { plus: true })} USDC (PnL ${formatUsdc(s.pnl, { plus: true })})`;
}

const newestFirst = (a: Settlement, b: Settlement): number =>
  a.batch !== b.batch ? b.batch - a.batch : b.slot - a.slot;

/**
 * `list` (newest first) with `record` from the live stream: added, or replacing the record of
 * the same transaction (batch and slot), keeping the venue's order (newest first).
 */
export function mergeSettlement(list: readonly Settlement[], record: Settlement): Settlement[] {
  return [record, ...list.filter((s) => s.batch !== record.batch || s.slot !== record.slot)].sort(newestFirst);
}
