/**
 * The contract's commitment (`commitment(header, slots)`, the one public input `submitBatch`
 * verifies) equals protocol/'s `batchCommitment` on every case of the shared table of fields and
 * edges (test/protocol/commitment-table.ts); the circuit's side is test/circuits/commitment.test.ts.
 * The old root and the domain are the contract's own, so the table pins them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import { batchCommitment } from "../../protocol/commitment.ts";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { commitmentCases } from "../protocol/commitment-table.ts";
import { GENESIS_ROOT, PROFILE, deployWithMockVerifier } from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture(): Promise<Fixture> {
  return deployWithMockVerifier(ethers);
}

const U = PROFILE.underlyings;
const K = PROFILE.settlements;

/** The calldata whose public data (against the contract's root and domain) is `data`. */
function calldataOf(data: readonly bigint[]): { header: BatchHeader; slots: bigint[] } {
  return {
    header: {
      newStateRoot: data[1]!,
      timestamp: data[2]!,
      prices: data.slice(4, 4 + U),
      priceRoundIds: Array<bigint>(U).fill(0n),
      settlements: data.slice(4 + U, 4 + U + K),
      settlementRoundIds: Array<bigint>(K).fill(0n),
    },
    slots: data.slice(4 + U + K),
  };
}

describe("commitment: contract and protocol/ agree (test profile)", () => {
  it("test_commitment_equalsProtocolOnEveryEdge", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const cases = commitmentCases(PROFILE, { 0: GENESIS_ROOT, 3: f.domain });
    assert.ok(cases.length >= 30, `${cases.length} cases`);
    for (const { name, data } of cases) {
      const { header, slots } = calldataOf(data);
      assert.deepEqual([...((await f.rollup.getFunction("publicData")(header, slots)) as bigint[])], data, name);
      assert.equal(await f.rollup.getFunction("commitment")(header, slots), batchCommitment(PROFILE, data), name);
    }
  });

  it("test_commitment_refusesWordsThatDoNotFit: r in a 32-byte word, 2^32 in t, 2^40 in a price, 2^80 in a record", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const zero = Array<bigint>(4 + U + K + 2 * PROFILE.nTx).fill(0n);
    zero[0] = GENESIS_ROOT;
    zero[3] = f.domain;
    const at = (i: number, v: bigint): { header: BatchHeader; slots: bigint[] } => {
      const data = zero.slice();
      data[i] = v;
      return calldataOf(data);
    };
    const view = (c: { header: BatchHeader; slots: bigint[] }): Promise<unknown> =>
      f.rollup.getFunction("commitment")(c.header, c.slots);
    const last = zero.length - 1;
    await expect(view(at(last, FIELD_MODULUS)))
      .to.be.revertedWithCustomError(f.rollup, "PublicInputNotInField")
      .withArgs(last, FIELD_MODULUS);
    for (const [i, bits] of [
      [2, 32n],
      [4, 40n],
      [4 + U, 80n],
    ] as const) {
      await expect(view(at(i, 1n << bits)))
        .to.be.revertedWithCustomError(f.rollup, "PublicDataTooWide")
        .withArgs(i, 1n << bits, bits);
    }
  });
});
