/**
 * The sequencer's typed errors. Every rejection the venue returns carries a stable `code`
 * (documented in docs/api.md) and the HTTP status the API maps it to. Protocol rule failures
 * (`ProtocolError` from protocol/) keep their protocol code and are reported as 422.
 */

import type { BucketState } from "./intake/ratelimit.ts";

/** HTTP status for each sequencer error code. One table, so the API and the docs agree. */
export const SEQUENCER_ERRORS = {
  BAD_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  BAD_SIGNATURE: 401,
  KEY_MISMATCH: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_INSTRUMENT: 404,
  UNKNOWN_ACCOUNT: 404,
  ORDER_NOT_FOUND: 404,
  DUPLICATE_ORDER_ID: 409,
  ORDER_SLOT_BUSY: 409,
  DUPLICATE_CLIENT_ORDER_ID: 409,
  L1_OUT_OF_ORDER: 409,
  ALREADY_SETTLED: 409,
  TICK_SIZE: 422,
  LOT_SIZE: 422,
  MIN_SIZE: 422,
  /** Below the venue's minimum order notional (sequencer/intake/dust.ts). */
  MIN_NOTIONAL: 422,
  /** A withdrawal below the venue's minimum that does not empty a flat account (dust.ts). */
  MIN_WITHDRAWAL: 422,
  /** Size or price beyond what a trade slot posts (32 bits each, docs/protocol.md §7). */
  MAX_SIZE: 422,
  MAX_PRICE: 422,
  BAD_ORDER: 422,
  /**
   * An order id 2^32 or more above the id its order-tree slot holds (docs/protocol.md §5.3): a slot
   * posts only an id's low 32 bits. Count up from `GET /v1/accounts/{id}/nextOrderId`.
   */
  ORDER_ID_WINDOW: 422,
  ORDER_EXPIRED: 422,
  INSTRUMENT_EXPIRED: 422,
  POST_ONLY_WOULD_CROSS: 422,
  MMP_FROZEN: 422,
  FOK_UNFILLED: 422,
  PROTOCOL_REJECTED: 422,
  RATE_LIMITED: 429,
  TOO_MANY_SUBSCRIPTIONS: 429,
  /** An account holds the most authenticated WebSocket connections it may on the venue's endpoint. */
  TOO_MANY_CONNECTIONS: 429,
  TOO_MANY_OPEN_ORDERS: 429,
  /** A client IP holds the most pending session challenges it may (sequencer/intake/sessions.ts). */
  TOO_MANY_CHALLENGES: 429,
  /** An op the market-data endpoint does not serve (auth, order entry): use the venue's endpoint. */
  WRONG_ENDPOINT: 421,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  OVERLOADED: 503,
  /**
   * A public channel of the venue's own WebSocket endpoint holds the most subscribers without a
   * session it takes: subscribe on the market-data endpoint, or after `auth`.
   */
  CHANNEL_FULL: 503,
  HALTED: 503,
  /** The venue's health gate (issue 14 F15): only cancels are taken while the proving backlog drains. */
  CANCEL_ONLY: 503,
  /**
   * An order that would give an instrument nobody holds its first fill while the insurance fund
   * has no free position slot to back it (sequencer/core/risk/fund-capacity.ts).
   */
  NO_FUND_CAPACITY: 503,
  /** A feed's round is older than L1's maxOracleAge (issue 14 F14): price-dependent commands wait. */
  PRICE_STALE: 503,
} as const;

export type SequencerErrorCode = keyof typeof SEQUENCER_ERRORS;

/** A rejection with a stable code, an HTTP status and a message a person can act on. */
export class SequencerError extends Error {
  readonly code: string;
  readonly status: number;
  /** For RATE_LIMITED: milliseconds until a retry can succeed (sent as `Retry-After`). */
  retryAfterMs: number | undefined;
  /** For RATE_LIMITED: the state of the bucket that refused (sent as `X-RateLimit-*`). */
  rateLimit: BucketState | undefined;

  constructor(code: SequencerErrorCode, message: string);
  /** A protocol rule failure, reported with the protocol's own code (docs/protocol.md §10). */
  constructor(code: string, message: string, status: number);
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = "SequencerError";
    this.code = code;
    this.status = status ?? SEQUENCER_ERRORS[code as SequencerErrorCode];
  }
}
