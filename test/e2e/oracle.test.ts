/** The demo's oracle walk (scripts/demo/oracle.ts): deterministic per seed, bounded per step. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OracleWalk, SeededRandom, walkStep } from "../../scripts/demo/oracle.ts";

describe("demo oracle walk", () => {
  test("the same seed gives the same path, another seed another path", () => {
    const path = (seed: bigint): bigint[][] => {
      const walk = new OracleWalk([300_000_000_000n, 6_000_000_000_000n], seed, 15n);
      return Array.from({ length: 50 }, () => [...walk.step()]);
    };
    assert.deepEqual(path(1n), path(1n));
    assert.notDeepEqual(path(1n), path(2n));
  });

  test("each step moves at most maxStepBps, and answers stay positive", () => {
    const random = new SeededRandom(7n);
    let answer = 300_000_000_000n;
    for (let i = 0; i < 1000; i++) {
      const next = walkStep(answer, random, 15n);
      const moveBps = ((next > answer ? next - answer : answer - next) * 10_000n) / answer;
      assert.ok(moveBps <= 15n, `step ${i}: ${moveBps} bps`);
      answer = next;
    }
    assert.equal(walkStep(1n, new SeededRandom(3n), 9_999n) > 0n, true);
  });

  test("between() covers its whole range and nothing outside it", () => {
    const random = new SeededRandom(11n);
    const seen = new Set<bigint>();
    for (let i = 0; i < 2000; i++) {
      const v = random.between(-3n, 3n);
      assert.ok(v >= -3n && v <= 3n);
      seen.add(v);
    }
    assert.equal(seen.size, 7);
  });
});
