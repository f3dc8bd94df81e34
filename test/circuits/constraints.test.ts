/**
 * Pinned constraint counts (docs/circuits.md): a change that drops or adds constraints fails
 * here and must update the numbers and the docs together.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getProfile } from "../../protocol/profiles.ts";
import { compile } from "../../scripts/zk/compile.ts";
import { batchCount, partCount, parts } from "./costs.ts";
import { readR1cs } from "./harness.ts";

/**
 * Whole batch circuits per profile (issue 17: 59,252 and 160,802 before the sha256 commitment;
 * 211,543 and 374,753 with it before the deposit records and 43-byte slots, which added one
 * SHA-256 block at test and two at demo, where D records of 52 bytes outweigh what 2 or 4 slots
 * save: 242,104 and 435,827; the 28-byte slots and the instrument table take one block off demo:
 * 241,954 and 406,389; the 24-byte slots one off test, and a 32-bit order-id window replaces a
 * 48-bit comparison in every order-tree update: 212,009 and 405,109; quaternary trees, a 4-input
 * Poseidon per two index bits: 207,345 and 387,165; the risk after a slot's update evaluated
 * on its one changed position: 205,981 and 378,917; the leaf after hashing only its changed pair
 * of positions, which at P = 2 is all of them: 205,981 and 376,197; a forced close of a live short
 * option refused, its held size read from the slot that holds it (finding F17): 206,093 and
 * 376,429).
 */
const BATCH = { test: 206_093, demo: 376_429 } as const;

/**
 * The commitment gadget alone at the test profile's shape (U 2, K 2, I 2, D 2, nTx 2) with the
 * widths in use (t 4 bytes, a price 5, a settlement record 10, an instrument 11, a deposit record
 * 52, a slot 24: 304 bytes, 5 SHA-256 blocks). Before the deposit records (258 bytes, 5 blocks) it
 * was 152,291; with them and 43-byte slots (320 bytes) 183,119; with 28-byte slots (312) 182,825.
 */
const COMMITMENT = { test: 153_334 } as const;

/** Parts of a slot with the test profile's parameters (docs/circuits.md "Per part"). */
const TEST_PARTS: Readonly<Record<string, number>> = {
  AccountLeaf: 675,
  AccountLeafAfter: 675,
  "MerkleUpdate (account)": 1_212,
  OrderHash: 417,
  OrderSignature: 4_468,
  OrderTreeUpdate: 1_464,
  InstrumentMarket: 94,
  AssertTradable: 107,
  OptionMoneyness: 47,
  PositionUpdate: 295,
  AccountRisk: 702,
  AccountRiskAfter: 357,
  MeetsRequirement: 130,
  "DivByConst(82, 10^4)": 124,
  "DivByConst(92, 10^8)": 173,
};

describe("constraint counts", () => {
  test("test profile batch: 206,093 constraints, within a 2^18 ceremony", async () => {
    const n = await batchCount(getProfile("test"));
    assert.equal(n, BATCH.test);
    assert.ok(n <= 1 << 18);
  });

  test("demo profile batch: 376,429 constraints, within a 2^19 ceremony", async () => {
    const n = await batchCount(getProfile("demo"));
    assert.equal(n, BATCH.demo);
    assert.ok(n <= 1 << 19);
  });

  test("the commitment gadget at the test profile's shape: 153,334 constraints (5 SHA-256 blocks)", async () => {
    // The same main as test/circuits/commitment.test.ts, so the compile is shared.
    const source = `pragma circom 2.1.6;\ninclude "lib/commitment.circom";\ncomponent main = PublicCommitment(2, 2, 2, 2, 2, 1);\n`;
    const compiled = await compile({ name: "commitment-test", source });
    assert.equal(readR1cs(compiled.r1cs).nConstraints, COMMITMENT.test);
  });

  test("every part of a test-profile slot has its pinned count", async () => {
    const measured: Record<string, number> = {};
    for (const part of parts(getProfile("test"))) measured[part.name] = await partCount(part);
    assert.deepEqual(measured, TEST_PARTS);
  });
});
