/**
 * Markets the venue lists: one per instrument id (docs/protocol.md §3), with the trading
 * increments the sequencer enforces at the edge. Tick and lot sizes are venue policy, not
 * protocol rules: the circuit accepts any price and size within their bit widths.
 */
import type { InstrumentKindCode } from "../../../protocol/types.ts";

export interface Market {
  readonly instrument: bigint;
  /** Display name, e.g. `ETH-PERP` or `BTC-20261225-100000-C` (protocol/instruments.ts). */
  readonly name: string;
  readonly underlying: number;
  readonly kind: InstrumentKindCode;
  /** Cents; 0 for perps. */
  readonly strike: bigint;
  /** Unix seconds; 0 for perps. */
  readonly expiry: bigint;
  /** Every price must be a multiple of this many cents. */
  readonly tickSize: bigint;
  /** Every size must be a multiple of this many 1e-4 units. */
  readonly lotSize: bigint;
  /** Smallest order size, 1e-4 units (a multiple of lotSize). */
  readonly minSize: bigint;
}
