/**
 * Typed protocol errors with stable codes (docs/protocol.md §10).
 */

export const ERROR_CODES = [
  "BAD_SIGNATURE",
  "SIDE_MISMATCH",
  "INSTRUMENT_MISMATCH",
  "SELF_TRADE",
  "BAD_INSTRUMENT",
  "INSTRUMENT_EXPIRED",
  "ORDER_EXPIRED",
  "ORDER_SLOT_REUSED",
  "ORDER_ID_WINDOW",
  "OVERFILL",
  "PRICE_LIMIT",
  "POST_ONLY_TAKER",
  "NO_POSITION_SLOT",
  "NO_POSITION",
  "REDUCE_ONLY",
  "MARGIN",
  "NEGATIVE_COLLATERAL",
  "ACCOUNT_HEALTHY",
  "BAD_LIQUIDATION",
  "FUNDING_CAP",
  "FUNDING_TOO_EARLY",
  "NOT_EXPIRED",
  "NO_SETTLEMENT_PRICE",
  "INSUFFICIENT_FREE_COLLATERAL",
  "FEE_POOL",
  "ACCOUNT_MISMATCH",
  "UNKNOWN_ACCOUNT",
  "OUT_OF_RANGE",
  "BAD_MESSAGE",
  "BAD_CONTEXT",
  "BAD_PROFILE",
  "BATCH_FULL",
  "UNSETTLED_EXPIRY",
  "PRICE_BAND",
] as const;

export type ProtocolErrorCode = (typeof ERROR_CODES)[number];

/**
 * Every rule violation of the protocol. `code` is stable; the message is for people.
 * `accountId` names the account whose own rule failed (its order, position slot, margin,
 * collateral), when the failure is one account's; a venue uses it to decide whose order to drop.
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly accountId: bigint | undefined;

  constructor(code: ProtocolErrorCode, message: string, accountId?: bigint) {
    super(`${code}: ${message}`);
    this.name = "ProtocolError";
    this.code = code;
    this.accountId = accountId;
  }
}

/**
 * Throws `ProtocolError(code, message, accountId)` unless `condition` holds. A message that
 * names values is given as a function, called only when the check fails: the rules run these
 * checks many times per order, and writing 254-bit values as decimal text each time, for a
 * message almost never read, was most of their cost and a good share of the venue's garbage.
 */
export function ensure(
  condition: boolean,
  code: ProtocolErrorCode,
  message: string | (() => string),
  accountId?: bigint,
): asserts condition {
  if (!condition) throw new ProtocolError(code, typeof message === "string" ? message : message(), accountId);
}
