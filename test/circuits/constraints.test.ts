/**
 * Pinned constraint counts (docs/circuits.md): a change that drops or adds constraints fails
 * here and must update the numbers and the docs together.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getProfile } from "../../protocol/profiles.ts";
import { batchCount, partCount, parts } from "./costs.ts";

/** Whole batch circuits per profile. */
const BATCH = { test: 59_252, demo: 160_802 } as const;

/** Parts of a slot with the test profile's parameters (docs/circuits.md "Per part"). */
const TEST_PARTS: Readonly<Record<string, number>> = {
  AccountLeaf: 675,
  "MerkleUpdate (account)": 1_930,
  OrderHash: 417,
  OrderSignature: 4_468,
  OrderTreeUpdate: 1_936,
  InstrumentMarket: 94,
  AssertTradable: 107,
  OptionMoneyness: 47,
  PositionUpdate: 295,
  AccountRisk: 698,
  MeetsRequirement: 130,
  "DivByConst(82, 10^4)": 124,
  "DivByConst(92, 10^8)": 173,
};

describe("constraint counts", () => {
  test("test profile batch: 59,252 constraints, within a 2^16 ceremony", async () => {
    const n = await batchCount(getProfile("test"));
    assert.equal(n, BATCH.test);
    assert.ok(n <= 1 << 16);
  });

  test("demo profile batch: 160,802 constraints", async () => {
    assert.equal(await batchCount(getProfile("demo")), BATCH.demo);
  });

  test("every part of a test-profile slot has its pinned count", async () => {
    const measured: Record<string, number> = {};
    for (const part of parts(getProfile("test"))) measured[part.name] = await partCount(part);
    assert.deepEqual(measured, TEST_PARTS);
  });
});
