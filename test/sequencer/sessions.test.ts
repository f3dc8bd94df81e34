/**
 * Pending session challenges (sequencer/intake/sessions.ts): issuing one costs O(1 + the
 * challenges that expired since), not a scan of every pending one; an address holds at most
 * `perIp` of them; when `max` are pending a new one is refused with a stable code, and no pending
 * challenge is ever evicted, so a flood from other addresses cannot take a user's challenge
 * away. Clocks are passed in: nothing here depends on time passing.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SequencerError } from "../../sequencer/errors.ts";
import { CHALLENGE_TTL_MS, SessionStore } from "../../sequencer/intake/sessions.ts";

function refusal(f: () => unknown): SequencerError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SequencerError, String(e));
    return e;
  }
  assert.fail("expected a refusal");
}

describe("session challenges", () => {
  test("issuing one visits the expired challenges and the first live one, however many are pending", () => {
    const store = new SessionStore(60_000, undefined, { max: 1_000_000, perIp: 1_000_000 });
    // 500 issued at t = 0, then 20,000 at t = 1,000.
    for (let i = 0; i < 500; i++) store.challenge(BigInt(i), 0, "10.0.0.1");
    for (let i = 0; i < 20_000; i++) store.challenge(BigInt(i), 1_000, `10.1.${i % 250}.${i % 199}`);
    assert.equal(store.pending, 20_500);
    const visits = (now: number): number => {
      const before = store.pruneVisits;
      store.challenge(7n, now, "10.2.0.1");
      return store.pruneVisits - before;
    };
    assert.equal(visits(2_000), 1, "nothing expired: the head only");
    // At 60,001 the first 500 (expiring at 60,000) have expired, the others (61,000) not.
    assert.equal(visits(CHALLENGE_TTL_MS + 1), 501, "the 500 expired ones and the first live one");
    assert.equal(store.pending, 20_002);
    assert.equal(visits(CHALLENGE_TTL_MS + 2), 1, "and then the head only again");
    // The old rule scanned every pending challenge on every call: 20,000 visits here.
  });

  test("an address holds at most perIp pending challenges; a used or expired one frees its place", () => {
    const store = new SessionStore(60_000, undefined, { max: 1_000, perIp: 3 });
    const issued = [1n, 2n, 3n].map((id) => store.challenge(id, 0, "10.0.0.9"));
    const e = refusal(() => store.challenge(4n, 0, "10.0.0.9"));
    assert.equal(e.code, "TOO_MANY_CHALLENGES");
    assert.equal(e.status, 429);
    assert.match(e.message, /sign one at \/v1\/auth\/session, or wait/);
    // Another address is not affected.
    store.challenge(4n, 0, "10.0.0.10");
    // Using one frees a place.
    store.consume(1n, issued[0]!.challenge, 10);
    store.challenge(5n, 10, "10.0.0.9");
    assert.equal(refusal(() => store.challenge(6n, 10, "10.0.0.9")).code, "TOO_MANY_CHALLENGES");
    // So does a consume for the wrong account (the challenge is gone either way) and expiry.
    assert.equal(refusal(() => store.consume(9n, issued[1]!.challenge, 20)).code, "UNAUTHORIZED");
    store.challenge(6n, 20, "10.0.0.9");
    assert.equal(refusal(() => store.challenge(7n, 20, "10.0.0.9")).code, "TOO_MANY_CHALLENGES");
    store.challenge(7n, CHALLENGE_TTL_MS + 21, "10.0.0.9");
    assert.equal(store.pending, 1, "every earlier challenge expired, with its address's count");
  });

  test("a flood from other addresses cannot evict a user's challenge: beyond max, new ones are refused", () => {
    const store = new SessionStore(60_000, undefined, { max: 100, perIp: 10 });
    const alice = store.challenge(2n, 0, "192.168.1.5");
    const codes = new Map<string, number>();
    for (let ip = 0; ip < 30; ip++)
      for (let i = 0; i < 20; i++) {
        try {
          store.challenge(BigInt(1000 + i), 1 + ip, `10.9.0.${ip}`);
          codes.set("ok", (codes.get("ok") ?? 0) + 1);
        } catch (e) {
          assert.ok(e instanceof SequencerError);
          codes.set(`${e.status} ${e.code}`, (codes.get(`${e.status} ${e.code}`) ?? 0) + 1);
          if (e.code === "OVERLOADED") assert.ok(e.retryAfterMs !== undefined && e.retryAfterMs > 0);
        }
      }
    assert.equal(codes.get("ok"), 99, "the flood got the places left, no more");
    assert.deepEqual(
      [...codes.keys()].sort(),
      ["429 TOO_MANY_CHALLENGES", "503 OVERLOADED", "ok"],
      JSON.stringify([...codes]),
    );
    assert.equal(store.pending, 100);
    // Alice's challenge is still there, and hers.
    store.consume(2n, alice.challenge, 5_000);
    assert.equal(store.pending, 99);
    // Once the flood expires, challenges are issued again.
    const later = store.challenge(3n, CHALLENGE_TTL_MS + 100, "192.168.1.5");
    assert.equal(store.pending, 1);
    store.consume(3n, later.challenge, CHALLENGE_TTL_MS + 101);
  });
});
