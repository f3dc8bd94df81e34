/**
 * L1 priority operations (the rollup contract's queue: `priorityOp(i)` → `{f0, f1}`) as
 * sequencer commands. The words are the slot public data of docs/protocol.md §7, packed by
 * protocol/pubdata.ts; for a queued deposit f0 also holds the owner (bit 84) and f1 the key
 * hash, which the batch posts as the deposit's record (§8) rather than in its slot; for a queued
 * forced withdrawal the `served` and `flat` bits are 0 (the batch fills them in) and f1 is the
 * requested amount; a queued forced close is the slot's f0 with `served` 0, and f1 0 (the slot's
 * f1 is the insurance account the batch picks). Decoding is the inverse of those packers (tests
 * round-trip through them).
 */
import { BITS } from "../../protocol/constants.ts";
import { ACCOUNT_ID_BITS, FORCED_CLOSE_SETTLEMENT_BIT, SLOT_INSTRUMENT_BIT } from "../../protocol/pubdata.ts";
import { TxType } from "../../protocol/types.ts";
import type { Command } from "../core/commands.ts";

/** A queue entry the venue cannot apply (unknown type or malformed words). */
export class PriorityOpError extends Error {
  readonly code = "BAD_PRIORITY_OP";
}

const TYPE_BITS = 4;
const ACCOUNT_OFFSET = BigInt(TYPE_BITS);
const AMOUNT_OFFSET = ACCOUNT_OFFSET + BigInt(ACCOUNT_ID_BITS);
const AFTER_AMOUNT_OFFSET = AMOUNT_OFFSET + BigInt(BITS.amount);

function bits(word: bigint, offset: bigint, width: number): bigint {
  return (word >> offset) & ((1n << BigInt(width)) - 1n);
}

/** The command for priority operation `queueIndex` with public data `(f0, f1)`. */
export function priorityOpCommand(queueIndex: bigint, f0: bigint, f1: bigint): Command {
  const type = Number(bits(f0, 0n, TYPE_BITS));
  const accountId = bits(f0, ACCOUNT_OFFSET, ACCOUNT_ID_BITS);
  if (type === TxType.DEPOSIT) {
    const owner = bits(f0, AFTER_AMOUNT_OFFSET, BITS.owner);
    if (f0 >> (AFTER_AMOUNT_OFFSET + BigInt(BITS.owner)) !== 0n)
      throw new PriorityOpError(`priority op ${queueIndex}: deposit f0 has bits above the owner`);
    return { kind: "deposit", accountId, owner, pkHash: f1, amount: bits(f0, AMOUNT_OFFSET, BITS.amount), queueIndex };
  }
  if (type === TxType.FORCED_WITHDRAW) {
    if (f0 >> AMOUNT_OFFSET !== 0n)
      throw new PriorityOpError(`priority op ${queueIndex}: a queued forced withdrawal has served = 0 and flat = 0`);
    if (f1 >> BigInt(BITS.amount) !== 0n)
      throw new PriorityOpError(`priority op ${queueIndex}: forced-withdrawal amount ${f1} exceeds 56 bits`);
    return { kind: "forcedWithdrawal", accountId, requested: f1, queueIndex };
  }
  if (type === TxType.FORCED_CLOSE) {
    // Queued as `9 │ accountId<<4 │ instrument<<28 │ settlement<<110` with f1 = 0: the served bit
    // (111) and the insurance account (the slot's f1) are the batch's to fill in.
    const instrument = bits(f0, BigInt(SLOT_INSTRUMENT_BIT), BITS.instrument);
    if (f0 >> BigInt(FORCED_CLOSE_SETTLEMENT_BIT + 1) !== 0n || f1 !== 0n)
      throw new PriorityOpError(
        `priority op ${queueIndex}: a queued forced close has only type, account, instrument and flag`,
      );
    if (instrument === 0n)
      throw new PriorityOpError(`priority op ${queueIndex}: forced-close instrument is not 1..2^82-1`);
    return {
      kind: "forcedClose",
      accountId,
      instrument,
      settlement: bits(f0, BigInt(FORCED_CLOSE_SETTLEMENT_BIT), 1) === 1n,
      queueIndex,
    };
  }
  throw new PriorityOpError(
    `priority op ${queueIndex}: type ${type} is not a deposit (1), forced withdrawal (3) or forced close (9)`,
  );
}
