/**
 * The contract's commitment (`commitment(header, slots)`, the one public input `submitBatch`
 * verifies) equals protocol/'s `batchCommitment` on every case of the shared table of fields and
 * edges (test/protocol/commitment-table.ts); the circuit's side is test/circuits/commitment.test.ts.
 * The old root and the domain are the contract's own, so the table pins them. The table covers
 * the instrument table (11 bytes a word), the deposit records (owner 160 bits, pkHash a field
 * element) and the slots' narrow widths (f0 16 bytes, f1 8 bytes), which this file also checks
 * it holds.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import { batchCommitment } from "../../protocol/commitment.ts";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { packSlots } from "../../protocol/pubdata.ts";
import { commitmentCases } from "../protocol/commitment-table.ts";
import { GENESIS_ROOT, PROFILE, deployWithMockVerifier } from "./fixtures.ts";
import type { BatchHeader, Fixture } from "./fixtures.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture(): Promise<Fixture> {
  return deployWithMockVerifier(ethers);
}

const U = PROFILE.underlyings;
const K = PROFILE.settlements;
const I = PROFILE.instruments;
const D = PROFILE.deposits;
/** Index of the first instrument-table word, deposit record word and slot word in the public data. */
const INSTRUMENTS = 4 + U + K;
const RECORDS = INSTRUMENTS + I;
const SLOTS = RECORDS + 2 * D;

interface Calldata {
  header: BatchHeader;
  slots: string;
}

/** The calldata whose public data (against the contract's root and domain) is `data`. */
function calldataOf(data: readonly bigint[]): Calldata {
  return {
    header: {
      newStateRoot: data[1]!,
      timestamp: data[2]!,
      prices: data.slice(4, 4 + U),
      priceRoundIds: Array<bigint>(U).fill(0n),
      settlements: data.slice(4 + U, INSTRUMENTS),
      settlementRoundIds: Array<bigint>(K).fill(0n),
      instruments: data.slice(INSTRUMENTS, RECORDS),
      deposits: data.slice(RECORDS, SLOTS),
    },
    slots: packSlots(data.slice(SLOTS)),
  };
}

describe("commitment: contract and protocol/ agree (test profile)", () => {
  it("test_commitment_equalsProtocolOnEveryEdge", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const cases = commitmentCases(PROFILE, { 0: GENESIS_ROOT, 3: f.domain });
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    // The edges of the new fields are in the table, each alone: an instrument-table word at
    // 2^88 − 1, a deposit record's owner at 2^160 − 1 and pkHash at r − 1, a slot's f0 at
    // 2^128 − 1 and f1 at 2^64 − 1.
    const alone = (i: number, v: bigint): boolean =>
      cases.some(({ data }) => data[i] === v && data.every((w, j) => j === i || j === 0 || j === 3 || w === 0n));
    for (let j = 0; j < I; j++) {
      assert.ok(alone(INSTRUMENTS + j, (1n << 88n) - 1n), `instrument-table word ${j} at 2^88 - 1`);
    }
    for (let j = 0; j < D; j++) {
      assert.ok(alone(RECORDS + 2 * j, (1n << 160n) - 1n), `owner of record ${j} at 2^160 - 1`);
      assert.ok(alone(RECORDS + 2 * j + 1, FIELD_MODULUS - 1n), `pkHash of record ${j} at r - 1`);
    }
    for (let i = 0; i < PROFILE.nTx; i++) {
      assert.ok(alone(SLOTS + 2 * i, (1n << 128n) - 1n), `f0 of slot ${i} at 2^128 - 1`);
      assert.ok(alone(SLOTS + 2 * i + 1, (1n << 64n) - 1n), `f1 of slot ${i} at 2^64 - 1`);
    }
    for (const { name, data } of cases) {
      const { header, slots } = calldataOf(data);
      assert.deepEqual([...((await f.rollup.getFunction("publicData")(header, slots)) as bigint[])], data, name);
      assert.equal(await f.rollup.getFunction("commitment")(header, slots), batchCommitment(PROFILE, data), name);
    }
  });

  it("test_commitment_refusesWordsThatDoNotFit: r in a 32-byte word, 2^32 in t, 2^40 in a price, 2^80 in a record, 2^88 in an instrument, 2^160 in an owner", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const zero = Array<bigint>(SLOTS + 2 * PROFILE.nTx).fill(0n);
    zero[0] = GENESIS_ROOT;
    zero[3] = f.domain;
    const at = (i: number, v: bigint): Calldata => {
      const data = zero.slice();
      data[i] = v;
      return calldataOf(data);
    };
    const view = (c: Calldata): Promise<unknown> => f.rollup.getFunction("commitment")(c.header, c.slots);
    const lastPkHash = SLOTS - 1;
    // r in a narrow word is refused as no field element before its width is checked.
    for (const i of [1, INSTRUMENTS, RECORDS + 1, lastPkHash]) {
      await expect(view(at(i, FIELD_MODULUS)))
        .to.be.revertedWithCustomError(f.rollup, "PublicInputNotInField")
        .withArgs(i, FIELD_MODULUS);
    }
    for (const [i, bits] of [
      [2, 32n],
      [4, 40n],
      [4 + U, 80n],
      [INSTRUMENTS, 88n],
      [RECORDS - 1, 88n],
      [RECORDS, 160n],
      [SLOTS - 2, 160n],
    ] as const) {
      await expect(view(at(i, 1n << bits)))
        .to.be.revertedWithCustomError(f.rollup, "PublicDataTooWide")
        .withArgs(i, 1n << bits, bits);
    }
    // A slot's f0 and f1 cannot be too wide on chain: `slots` holds 16 + 8 bytes of each, and
    // protocol/ refuses to pack a wider value.
    assert.throws(() => at(SLOTS, 1n << 128n), /does not fit 16 bytes/);
    assert.throws(() => at(SLOTS + 1, 1n << 64n), /does not fit 8 bytes/);
  });
});
