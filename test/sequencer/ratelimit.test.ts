/**
 * The API's token buckets (sequencer/intake/ratelimit.ts): LRU-bounded memory that is never reset
 * wholesale, exact waits, refunds, and the charging rule of a request (IP until authenticated,
 * then the account's budget). Clocks are passed in: nothing here depends on time passing.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiLimits, DEFAULT_RATE_LIMITS, RateLimiter, RequestLimits } from "../../sequencer/intake/ratelimit.ts";
import { SequencerError } from "../../sequencer/errors.ts";

function refused(f: () => unknown): SequencerError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SequencerError);
    return e;
  }
  assert.fail("expected RATE_LIMITED");
}

describe("rate limiter", () => {
  test("a bucket refills at its rate, refuses with the exact wait and its state", () => {
    const l = new RateLimiter("order", 10, 2);
    assert.equal(l.take("a", 0).remaining, 1);
    assert.equal(l.take("a", 0).remaining, 0);
    const e = refused(() => l.take("a", 0));
    assert.equal(e.code, "RATE_LIMITED");
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 100);
    assert.deepEqual(e.rateLimit, { bucket: "order", limit: 2, remaining: 0, resetMs: 200, ratePerSecond: 10 });
    assert.equal(l.take("a", 100).remaining, 0, "one token back after 100 ms");
    assert.match(refused(() => l.take("b", 0, 3)).message, /burst of 2/);
  });

  test("memory is bounded by LRU eviction; recently used buckets keep their state", () => {
    const l = new RateLimiter("ip", 1, 5, 100);
    for (let i = 0; i < 5; i++) l.take("hot", 0);
    for (let i = 0; i < 10_000; i++) {
      l.take(`k${i}`, 0);
      if (i % 50 === 0) assert.ok(refused(() => l.take("hot", 0)).rateLimit !== undefined, "never reset");
    }
    assert.ok(l.size <= 100);
    assert.equal(l.peek("hot", 0).remaining, 0, "the busy bucket was kept, not reset");
  });

  test("a request pays on its IP until it authenticates, then on the account", () => {
    const limits = new ApiLimits({ ...DEFAULT_RATE_LIMITS, ipBurst: 3, ipRate: 1 });
    const now = (): number => 0;
    const first = new RequestLimits(limits, "10.0.0.1", now);
    first.chargeIp();
    first.authenticated(7n, "order");
    assert.equal(limits.ip.peek("ip 10.0.0.1", 0).remaining, 3, "refunded");
    assert.equal(first.report().bucket, "order");
    for (let i = 0; i < 3; i++) new RequestLimits(limits, "10.0.0.1", now).chargeIp();
    const junk = new RequestLimits(limits, "10.0.0.1", now);
    assert.equal(refused(() => junk.chargeIp()).code, "RATE_LIMITED");
    // The account's cancels are untouched by anything the IP did, and by its order budget.
    const cancels = new RequestLimits(limits, "10.0.0.1", now);
    for (let i = 1; i < DEFAULT_RATE_LIMITS.orderBurst; i++) limits.order.take("7", 0);
    assert.equal(refused(() => limits.order.take("7", 0)).code, "RATE_LIMITED");
    cancels.chargeAccount(7n, "cancel");
    assert.equal(cancels.report().bucket, "cancel");
    assert.equal(cancels.report().remaining, DEFAULT_RATE_LIMITS.cancelBurst - 1);
  });
});
