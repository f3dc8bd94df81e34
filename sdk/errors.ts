/**
 * The SDK's typed errors. Every error has a stable `code`:
 * - `TesseraApiError`: the venue refused a request; `code`, `status` and `message` are the
 *   server's (docs/api.md lists the codes; protocol rule failures keep their protocol code,
 *   docs/protocol.md §10).
 * - `RateLimitError`: a `TesseraApiError` with code `RATE_LIMITED` and the wait the venue asked for.
 * - `TesseraConnectionError`: the venue could not be reached or answered something that is not
 *   the API (code `CONNECTION` or `BAD_RESPONSE`).
 * - `TesseraSdkError`: the caller asked for something the SDK cannot do (code `SDK_USAGE`),
 *   e.g. an order size that is not a whole number of lots.
 */

/** The venue refused a request with an error reply `{ code, message }` and an HTTP status. */
export class TesseraApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = "TesseraApiError";
    this.code = code;
    this.status = status;
  }
}

/** `RATE_LIMITED` (HTTP 429 or a WebSocket error): retry after `retryAfterMs` milliseconds. */
export class RateLimitError extends TesseraApiError {
  /** The wait the venue asked for, milliseconds (from `Retry-After` or the message). */
  readonly retryAfterMs: number;

  constructor(status: number, message: string, retryAfterMs: number) {
    super("RATE_LIMITED", status, message);
    this.name = "RateLimitError";
    this.retryAfterMs = retryAfterMs;
  }
}

export type ConnectionErrorCode = "CONNECTION" | "BAD_RESPONSE";

/** The venue could not be reached, or replied with something that is not the Tessera API. */
export class TesseraConnectionError extends Error {
  readonly code: ConnectionErrorCode;

  constructor(code: ConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TesseraConnectionError";
    this.code = code;
  }
}

/** A call the SDK refuses before sending anything (a usage error in the caller's code). */
export class TesseraSdkError extends Error {
  readonly code = "SDK_USAGE";

  constructor(message: string) {
    super(message);
    this.name = "TesseraSdkError";
  }
}

/** Default wait when a rate-limit reply states none, milliseconds. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * The wait of a rate-limit reply: the exact `X-Retry-After-Ms` header when present, else the
 * `Retry-After` header (whole seconds, RFC 9110), else the `retry in N ms` the venue writes in
 * its message, else one second.
 */
export function retryAfterMs(retryAfterHeader: string | null, message: string, exactMsHeader?: string | null): number {
  if (exactMsHeader != null && /^\d+$/.test(exactMsHeader.trim())) return Number(exactMsHeader.trim());
  if (retryAfterHeader !== null && /^\d+(\.\d+)?$/.test(retryAfterHeader.trim())) {
    return Math.ceil(Number(retryAfterHeader.trim()) * 1000);
  }
  const m = /retry in (\d+) ms/.exec(message);
  return m === null ? DEFAULT_RETRY_AFTER_MS : Number(m[1]);
}

/** The typed error of an API error reply. */
export function apiError(
  code: string,
  status: number,
  message: string,
  retryAfterHeader: string | null,
  exactMsHeader: string | null = null,
): TesseraApiError {
  if (code === "RATE_LIMITED")
    return new RateLimitError(status, message, retryAfterMs(retryAfterHeader, message, exactMsHeader));
  return new TesseraApiError(code, status, message);
}
