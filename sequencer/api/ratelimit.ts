/**
 * Per-key token buckets: each account may send `ratePerSecond` order actions on average with
 * bursts of `burst`. Rejections carry RATE_LIMITED and the wait in milliseconds.
 */
import { SequencerError } from "../errors.ts";

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `key` or throws RATE_LIMITED. */
  take(key: string, nowMs: number): void {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
      b = { tokens: this.burst, updatedMs: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.updatedMs) * this.ratePerSecond) / 1000);
    b.updatedMs = nowMs;
    if (b.tokens < 1) {
      const waitMs = Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond);
      const err = new SequencerError(
        "RATE_LIMITED",
        `${key} exceeds ${this.ratePerSecond} requests per second (burst ${this.burst}): retry in ${waitMs} ms`,
      );
      err.retryAfterMs = waitMs;
      throw err;
    }
    b.tokens -= 1;
  }
}
