/**
 * Which positions a forced close can take (docs/protocol.md §6.10): every position but a short
 * one in an option that has not expired yet. That one the rules refuse (finding F17: the
 * insurance fund would take the option's time value for its intrinsic value); once expired, the
 * forced close settles it at its series' settlement price.
 */
import { decodeInstrument, isOption } from "../../protocol/instruments.ts";

export interface HeldPosition {
  readonly instrument: bigint;
  readonly size: bigint;
}

/**
 * `positions` split into those a forced close serves and the short options that wait for their
 * expiry, at `nowSeconds` (Unix seconds). The batch's time decides in the end: a request sent
 * just before an expiry may be served as a settlement or refused, and then be sent again.
 */
export function forceClosable<P extends HeldPosition>(
  positions: readonly P[],
  nowSeconds: bigint,
): { readonly closable: P[]; readonly waiting: P[] } {
  const closable: P[] = [];
  const waiting: P[] = [];
  for (const p of positions) {
    const spec = decodeInstrument(p.instrument);
    if (isOption(spec) && p.size < 0n && spec.expiry > nowSeconds) waiting.push(p);
    else closable.push(p);
  }
  return { closable, waiting };
}
