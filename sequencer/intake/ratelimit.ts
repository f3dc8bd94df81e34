/**
 * Token buckets for the API, bounded in memory.
 *
 * Guarantee: a bucket is charged only to the party the venue has authenticated for it. Traffic
 * that has not authenticated (market data, a signed order before its signature is checked, a
 * bad session token) is charged to the caller's IP; an account's buckets are charged only after
 * its session token or its order signature checked out. Every order costs a token before its
 * signature is checked: the IP's for an order sent without a session (given back for each
 * signature that checks out, when the account pays instead), the session account's order budget
 * for one sent on an authenticated WebSocket. Cancels have their own bucket, so order traffic
 * can never use up an account's cancels. Each limiter keeps at most `maxKeys` buckets and
 * evicts the least recently used one (an evicted bucket comes back full, which is what an idle
 * bucket would have refilled to anyway); it never resets all of them.
 */
import { SequencerError } from "../errors.ts";

/** The state of one bucket, as the `X-RateLimit-*` headers report it. */
export interface BucketState {
  /** Which budget: `ip`, `order`, `cancel`, `read` or `auth`. */
  readonly bucket: string;
  /** Burst size (the bucket's capacity). */
  readonly limit: number;
  /** Whole tokens left. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Sustained rate, tokens per second. */
  readonly ratePerSecond: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export const DEFAULT_MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** Name of the budget (reported as `bucket`). */
    readonly name: string,
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly maxKeys: number = DEFAULT_MAX_KEYS,
  ) {}

  /** Buckets held (at most `maxKeys`). */
  get size(): number {
    return this.buckets.size;
  }

  /** The bucket of `key` refilled to `nowMs`, most recently used from now on. */
  private bucket(key: string, nowMs: number): Bucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.burst, updatedMs: nowMs };
    } else {
      this.buckets.delete(key);
      const elapsed = Math.max(0, nowMs - b.updatedMs);
      b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.ratePerSecond) / 1000);
      b.updatedMs = Math.max(nowMs, b.updatedMs);
    }
    this.buckets.set(key, b);
    return b;
  }

  private state(b: Bucket): BucketState {
    return {
      bucket: this.name,
      limit: this.burst,
      remaining: Math.max(0, Math.floor(b.tokens)),
      resetMs: Math.max(0, Math.ceil(((this.burst - b.tokens) * 1000) / this.ratePerSecond)),
      ratePerSecond: this.ratePerSecond,
    };
  }

  /**
   * Takes `cost` tokens for `key`, or throws RATE_LIMITED (taking nothing) with the exact wait
   * in `retryAfterMs` and the bucket's state in `rateLimit`.
   */
  take(key: string, nowMs: number, cost = 1): BucketState {
    const b = this.bucket(key, nowMs);
    if (b.tokens < cost) {
      const waitMs = Math.max(1, Math.ceil(((cost - b.tokens) * 1000) / this.ratePerSecond));
      const err = new SequencerError(
        "RATE_LIMITED",
        cost > this.burst
          ? `${cost} ${this.name} actions exceed the ${this.name} budget's burst of ${this.burst}: send fewer at once`
          : `the ${this.name} budget (${this.ratePerSecond} per second, burst ${this.burst}) is used up: retry in ${waitMs} ms`,
      );
      err.retryAfterMs = waitMs;
      err.rateLimit = this.state(b);
      throw err;
    }
    b.tokens -= cost;
    return this.state(b);
  }

  /** Gives back `cost` tokens taken for `key` (never above the burst). */
  refund(key: string, nowMs: number, cost = 1): BucketState {
    const b = this.bucket(key, nowMs);
    b.tokens = Math.min(this.burst, b.tokens + cost);
    return this.state(b);
  }

  /** The state of `key`'s bucket without taking anything (a full bucket if it has none). */
  peek(key: string, nowMs: number): BucketState {
    const b = this.buckets.get(key);
    if (b === undefined) return this.state({ tokens: this.burst, updatedMs: nowMs });
    const elapsed = Math.max(0, nowMs - b.updatedMs);
    return this.state({
      tokens: Math.min(this.burst, b.tokens + (elapsed * this.ratePerSecond) / 1000),
      updatedMs: nowMs,
    });
  }
}

/** Rates and bursts of the API's budgets (docs/api.md "Rate limits"). */
export interface RateLimitConfig {
  /** Unauthenticated traffic per IP. */
  readonly ipRate: number;
  readonly ipBurst: number;
  /** Order actions (place, replace, withdraw) per account, charged after authentication. */
  readonly orderRate: number;
  readonly orderBurst: number;
  /** Cancels per account: a separate budget order traffic cannot use up. */
  readonly cancelRate: number;
  readonly cancelBurst: number;
  /** Session-authenticated reads per account. */
  readonly readRate: number;
  readonly readBurst: number;
  /** Authentication requests (challenge, session) per IP. */
  readonly authRate: number;
  readonly authBurst: number;
  /** Buckets kept per budget (least recently used evicted). */
  readonly maxKeys: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  ipRate: 500,
  ipBurst: 1000,
  orderRate: 200,
  orderBurst: 400,
  cancelRate: 400,
  cancelBurst: 800,
  readRate: 100,
  readBurst: 200,
  authRate: 20,
  authBurst: 40,
  maxKeys: DEFAULT_MAX_KEYS,
};

export type AccountBudget = "order" | "cancel" | "read";

/** Every budget of the API. */
export class ApiLimits {
  readonly ip: RateLimiter;
  readonly order: RateLimiter;
  readonly cancel: RateLimiter;
  readonly read: RateLimiter;
  readonly auth: RateLimiter;

  constructor(readonly config: RateLimitConfig = DEFAULT_RATE_LIMITS) {
    const c = config;
    this.ip = new RateLimiter("ip", c.ipRate, c.ipBurst, c.maxKeys);
    this.order = new RateLimiter("order", c.orderRate, c.orderBurst, c.maxKeys);
    this.cancel = new RateLimiter("cancel", c.cancelRate, c.cancelBurst, c.maxKeys);
    this.read = new RateLimiter("read", c.readRate, c.readBurst, c.maxKeys);
    this.auth = new RateLimiter("auth", c.authRate, c.authBurst, c.maxKeys);
  }

  account(budget: AccountBudget): RateLimiter {
    return budget === "order" ? this.order : budget === "cancel" ? this.cancel : this.read;
  }

  /** Buckets held across every budget (bounded by 5 × maxKeys). */
  get size(): number {
    return this.ip.size + this.order.size + this.cancel.size + this.read.size + this.auth.size;
  }
}

/**
 * What one request was charged: the last bucket charged is the one its `X-RateLimit-*` headers
 * report. Created per request by the server (or per message by the WebSocket hub).
 */
export class RequestLimits {
  last: BucketState | null = null;
  private ipCharged = 0;

  constructor(
    private readonly limits: ApiLimits,
    readonly ip: string,
    private readonly clock: () => number,
  ) {}

  /** Charges unauthenticated traffic to the caller's IP. */
  chargeIp(cost = 1): void {
    this.last = this.limits.ip.take(`ip ${this.ip}`, this.clock(), cost);
    this.ipCharged += cost;
  }

  /** Charges the IP if it has a token left (for a request refused anyway); never throws. */
  tryChargeIp(): void {
    try {
      this.chargeIp();
    } catch {
      // already refused: nothing more to take
    }
  }

  /**
   * The request (or `refund` of the actions it paid for on its IP) authenticated as `accountId`:
   * the account's `budget` is charged `cost`, then what those actions paid on the IP is given
   * back (at most what the request paid). When the account's budget refuses, the IP keeps the
   * charge: the venue did the work of checking the signatures.
   */
  authenticated(accountId: bigint, budget: AccountBudget, cost = 1, refund = this.ipCharged): void {
    this.chargeAccount(accountId, budget, cost);
    const back = Math.min(refund, this.ipCharged);
    if (back > 0) {
      this.limits.ip.refund(`ip ${this.ip}`, this.clock(), back);
      this.ipCharged -= back;
    }
  }

  /** Charges an account's budget (the caller has authenticated it). */
  chargeAccount(accountId: bigint, budget: AccountBudget, cost = 1): void {
    this.last = this.limits.account(budget).take(`${accountId}`, this.clock(), cost);
  }

  /** Charges an authentication request to the caller's IP. */
  chargeAuth(): void {
    this.last = this.limits.auth.take(`ip ${this.ip}`, this.clock());
  }

  /** The state to report when nothing was charged: the IP bucket's. */
  report(): BucketState {
    return this.last ?? this.limits.ip.peek(`ip ${this.ip}`, this.clock());
  }
}
