/**
 * protocol/feedRounds.ts: the round in force at a time, across Chainlink proxy phases, against
 * hand-worked cases and, for random feeds, against a brute-force reading of the contract's rule
 * (the last round, in feed order, updated at or before the time).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  lastRoundOfPhase,
  previousRound,
  roundIdOf,
  roundInForceAt,
  roundInForceAtBisect,
  type FeedRound,
  type RoundReader,
} from "../../protocol/feedRounds.ts";

/** A feed whose phase p holds rounds with the given update times (phase numbers as given). */
function feed(phases: ReadonlyMap<bigint, readonly bigint[]>): {
  read: RoundReader;
  rounds: FeedRound[];
  reads: () => number;
} {
  const rounds: FeedRound[] = [];
  for (const [phase, times] of [...phases].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    times.forEach((t, i) =>
      rounds.push({ roundId: roundIdOf(phase, BigInt(i + 1)), answer: 1000n + BigInt(rounds.length), updatedAt: t }),
    );
  }
  const byId = new Map(rounds.map((r) => [r.roundId, r]));
  let count = 0;
  return {
    rounds,
    reads: () => count,
    read: (id) => {
      count += 1;
      return Promise.resolve(byId.get(id) ?? null);
    },
  };
}

describe("feed rounds across phases", () => {
  // Phase 1: five rounds at 100..500; phase 2: three rounds at 600..800 (a new aggregator).
  const f = feed(
    new Map([
      [1n, [100n, 200n, 300n, 400n, 500n]],
      [2n, [600n, 700n, 800n]],
    ]),
  );
  const latest = f.rounds.at(-1)!;

  // The walk and the bisection give the same answers.
  const searches = [
    ["walk", (l: FeedRound, t: bigint) => roundInForceAt(f.read, l, t, 100)],
    ["bisection", (l: FeedRound, t: bigint) => roundInForceAtBisect(f.read, l, t)],
  ] as const;

  for (const [name, search] of searches) {
    test(`${name}: inside the latest phase, the round updated last at or before the time`, async () => {
      assert.equal((await search(latest, 650n))?.roundId, roundIdOf(2n, 1n));
      assert.equal((await search(latest, 800n))?.roundId, roundIdOf(2n, 3n));
      assert.equal((await search(latest, 10_000n))?.roundId, latest.roundId);
    });

    test(`${name}: before the new aggregator's first round, the last round of the previous phase`, async () => {
      assert.equal((await search(latest, 599n))?.roundId, roundIdOf(1n, 5n));
      assert.equal((await search(latest, 250n))?.roundId, roundIdOf(1n, 2n));
      assert.equal(await search(latest, 99n), null, "no round yet");
    });
  }

  test("bisection: a round far back in a long phase in O(log n) reads; a missing round gives null", async () => {
    const n = 1_000_000;
    // A million rounds a second apart, served without materialising them.
    const read: RoundReader = (id) => {
      reads += 1;
      const k = id & ((1n << 64n) - 1n);
      return Promise.resolve(
        id >> 64n === 5n && k >= 1n && k <= BigInt(n) ? { roundId: id, answer: 7n, updatedAt: 1_000n + k } : null,
      );
    };
    let reads = 0;
    const last: FeedRound = { roundId: roundIdOf(5n, BigInt(n)), answer: 7n, updatedAt: 1_000n + BigInt(n) };
    assert.equal((await roundInForceAtBisect(read, last, 1_005n))?.roundId, roundIdOf(5n, 5n));
    assert.ok(reads <= Math.ceil(Math.log2(n)) + 1, `${reads} reads`);
    // A feed that stops serving old rounds: the bisection gives up instead of guessing.
    const gap: RoundReader = (id) => (id === roundIdOf(2n, 2n) ? Promise.resolve(null) : f.read(id));
    assert.equal(await roundInForceAtBisect(gap, latest, 650n), null);
  });

  test("the walk stops after maxSteps rounds", async () => {
    assert.equal(await roundInForceAt(f.read, latest, 250n, 4), null);
    assert.equal((await roundInForceAt(f.read, latest, 250n, 6))?.roundId, roundIdOf(1n, 2n));
  });

  test("plain ids 1, 2, 3 (phase 0) have no earlier phase", async () => {
    const plain = feed(new Map([[0n, [100n, 200n, 300n]]]));
    assert.equal(await previousRound(plain.read, 1n), null);
    assert.equal((await roundInForceAt(plain.read, plain.rounds.at(-1)!, 250n, 10))?.roundId, 2n);
  });

  test("a phase's last round is found in O(log n) reads", async () => {
    for (const n of [1, 2, 3, 7, 8, 1000, 1025]) {
      const big = feed(new Map([[3n, Array.from({ length: n }, (_, i) => BigInt(i + 1))]]));
      const last = await lastRoundOfPhase(big.read, 3n);
      assert.equal(last?.roundId, roundIdOf(3n, BigInt(n)));
      assert.ok(big.reads() <= 2 * Math.ceil(Math.log2(n + 1)) + 2, `${big.reads()} reads for ${n} rounds`);
    }
    assert.equal(await lastRoundOfPhase(feed(new Map()).read, 1n), null, "an empty phase");
  });

  test("property: the result is the last round, in feed order, updated at or before the time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 60, maxLength: 60 }),
        fc.integer({ min: 0, max: 2_000 }),
        async (counts, gaps, time) => {
          // Phases 1..k with non-decreasing update times across the whole feed.
          let t = 1n; // updatedAt 0 means "no round" on a feed
          let g = 0;
          const phases = new Map<bigint, bigint[]>();
          counts.forEach((count, p) => {
            phases.set(
              BigInt(p + 1),
              Array.from({ length: count }, () => (t += BigInt(gaps[g++ % gaps.length]!))),
            );
          });
          const fd = feed(phases);
          const expected = fd.rounds.filter((r) => r.updatedAt <= BigInt(time)).at(-1) ?? null;
          const found = await roundInForceAt(fd.read, fd.rounds.at(-1)!, BigInt(time), 1_000);
          assert.equal(found?.roundId ?? null, expected?.roundId ?? null);
          const bisected = await roundInForceAtBisect(fd.read, fd.rounds.at(-1)!, BigInt(time));
          assert.equal(bisected?.roundId ?? null, expected?.roundId ?? null, "the bisection agrees");
        },
      ),
      { numRuns: 200 },
    );
  });
});
