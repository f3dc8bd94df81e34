/**
 * Order flags (docs/protocol.md §5.1): bit 0 reduce-only, bit 1 post-only, bits 2-3 time in
 * force. The bits are signed with the order, so the sequencer reads its instructions from them.
 */
import { FLAG_POST_ONLY, FLAG_REDUCE_ONLY, TIF_SHIFT, TimeInForce } from "../../../protocol/constants.ts";
import { SequencerError } from "../../errors.ts";

export type TimeInForceName = "GTC" | "IOC" | "FOK";

export interface DecodedFlags {
  readonly reduceOnly: boolean;
  readonly postOnly: boolean;
  readonly timeInForce: TimeInForceName;
}

const TIF_MASK = 3n;
const KNOWN_BITS = FLAG_REDUCE_ONLY | FLAG_POST_ONLY | (TIF_MASK << TIF_SHIFT);

export function decodeFlags(flags: bigint): DecodedFlags {
  if (flags < 0n || (flags & ~KNOWN_BITS) !== 0n)
    throw new SequencerError("BAD_ORDER", `flags ${flags} set bits other than 0-3`);
  const tif = (flags >> TIF_SHIFT) & TIF_MASK;
  let timeInForce: TimeInForceName;
  if (tif === TimeInForce.GTC) timeInForce = "GTC";
  else if (tif === TimeInForce.IOC) timeInForce = "IOC";
  else if (tif === TimeInForce.FOK) timeInForce = "FOK";
  else throw new SequencerError("BAD_ORDER", `time-in-force code ${tif} is not 0 (GTC), 1 (IOC) or 2 (FOK)`);
  return {
    reduceOnly: (flags & FLAG_REDUCE_ONLY) !== 0n,
    postOnly: (flags & FLAG_POST_ONLY) !== 0n,
    timeInForce,
  };
}

export function encodeFlags(f: DecodedFlags): bigint {
  const tif = f.timeInForce === "GTC" ? TimeInForce.GTC : f.timeInForce === "IOC" ? TimeInForce.IOC : TimeInForce.FOK;
  return (f.reduceOnly ? FLAG_REDUCE_ONLY : 0n) | (f.postOnly ? FLAG_POST_ONLY : 0n) | (tif << TIF_SHIFT);
}
