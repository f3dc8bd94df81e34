/**
 * The settlement round rule the L1 watcher applies (the contract's `_priceInForceAt`): the
 * round in force at expiry is the last one updated at or before it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { roundInForceAt } from "../../sequencer/l1/contracts.ts";
import type { FeedReader } from "../../sequencer/l1/contracts.ts";

/** A feed with rounds 1..n updated at the given times; rounds below `oldest` are not served. */
function feed(updatedAt: readonly bigint[], oldest = 1n): FeedReader {
  const data = (id: bigint) => [id, 1000n * id, updatedAt[Number(id) - 1]!, updatedAt[Number(id) - 1]!, id];
  return {
    getFunction:
      (name) =>
      (...args: bigint[]) => {
        if (name === "latestRoundData") return Promise.resolve(data(BigInt(updatedAt.length)));
        const id = args[0]!;
        if (id < oldest || id > BigInt(updatedAt.length)) return Promise.reject(new Error("no data present"));
        return Promise.resolve(data(id));
      },
  };
}

describe("round in force at expiry", () => {
  const times = [100n, 200n, 300n];

  test("is the last round updated at or before the expiry", async () => {
    assert.deepEqual(await roundInForceAt(feed(times), 250n), { roundId: 2n, answer: 2000n, updatedAt: 200n });
    assert.equal((await roundInForceAt(feed(times), 200n))?.roundId, 2n, "updated exactly at expiry");
    assert.equal((await roundInForceAt(feed(times), 199n))?.roundId, 1n);
  });

  test("is the latest round when no round came after the expiry", async () => {
    assert.equal((await roundInForceAt(feed(times), 1_000n))?.roundId, 3n);
  });

  test("is none when every round is after the expiry or older rounds are not served", async () => {
    assert.equal(await roundInForceAt(feed(times), 99n), null);
    assert.equal(await roundInForceAt(feed(times, 3n), 250n), null);
  });
});
