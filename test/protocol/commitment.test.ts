/**
 * protocol/'s commitment (docs/protocol.md §8): the serialization's widths and byte order, the
 * 253-bit reduction, and the words it refuses. The circuit and the contract are checked against
 * it in test/circuits/commitment.test.ts and test/contracts/commitment.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  batchCommitment,
  COMMITMENT_BOUND,
  commitmentBytes,
  FIELD_MODULUS,
  getProfile,
  publicDataWidths,
} from "../../protocol/index.ts";
import { commitmentCases } from "./commitment-table.ts";

const TEST = getProfile("test");
const DEMO = getProfile("demo");
const PROD = getProfile("prod");

describe("batch commitment", () => {
  test("widths: t 4, a price 5, a settlement record 10, an instrument 11, a deposit record 20 + 32, a slot 16 + 8; 304, 478 and 13,030 bytes", () => {
    assert.deepEqual(publicDataWidths(TEST), [32, 32, 4, 32, 5, 5, 10, 10, 11, 11, 20, 32, 20, 32, 16, 8, 16, 8]);
    const total = (p: typeof TEST): number => publicDataWidths(p).reduce((a, b) => a + b, 0);
    assert.deepEqual([total(TEST), total(DEMO), total(PROD)], [304, 478, 13_030]);
    // A slot is 24 bytes at every profile: what L1 posts per slot and what the circuit hashes.
    assert.equal(total({ ...PROD, nTx: PROD.nTx + 1 }) - total(PROD), 24);
    assert.equal(total({ ...PROD, instruments: PROD.instruments + 1 }) - total(PROD), 11);
  });

  test("big-endian at each width, in order", () => {
    const data = [
      1n,
      2n,
      0x01020304n,
      4n,
      0x0102030405n,
      6n,
      0x0102030405060708090an,
      8n,
      0xddn << 80n,
      9n,
      0xaan << 152n,
      10n,
      11n,
      12n,
      0xbbn << 120n,
      0xccn << 56n,
      15n,
      16n,
    ];
    const bytes = commitmentBytes(TEST, data);
    assert.equal(bytes.length, 304);
    assert.equal(bytes[31], 1);
    assert.equal(bytes[63], 2);
    assert.deepEqual([...bytes.slice(64, 68)], [1, 2, 3, 4]);
    assert.equal(bytes[99], 4);
    assert.deepEqual([...bytes.slice(100, 105)], [1, 2, 3, 4, 5]);
    assert.deepEqual([...bytes.slice(105, 110)], [0, 0, 0, 0, 6]);
    assert.deepEqual([...bytes.slice(110, 120)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(bytes[129], 8);
    assert.deepEqual([bytes[130], bytes[140]], [0xdd, 0], "instrument: 11 bytes, most significant first");
    assert.equal(bytes[151], 9);
    assert.deepEqual([bytes[152], bytes[171]], [0xaa, 0], "owner: 20 bytes, most significant first");
    assert.equal(bytes[203], 10);
    assert.equal(bytes[223], 11);
    assert.equal(bytes[255], 12);
    assert.deepEqual([bytes[256], bytes[271]], [0xbb, 0], "f0: 16 bytes");
    assert.deepEqual([bytes[272], bytes[279]], [0xcc, 0], "f1: 8 bytes");
    assert.equal(bytes[295], 15);
    assert.equal(bytes[303], 16);
  });

  test("the commitment is the digest with its top 3 bits cleared, below r, on every table case", () => {
    for (const { name, data } of commitmentCases(TEST)) {
      const digest = sha256(commitmentBytes(TEST, data));
      const full = BigInt(`0x${Buffer.from(digest).toString("hex")}`);
      const c = batchCommitment(TEST, data);
      assert.equal(c, full & (COMMITMENT_BOUND - 1n), name);
      assert.ok(c < FIELD_MODULUS, name);
    }
  });

  test("refuses a word that does not fit its width, a word not below r, and a wrong length", () => {
    const zero = publicDataWidths(TEST).map(() => 0n);
    for (const [i, v] of [
      [2, 1n << 32n],
      [4, 1n << 40n],
      [6, 1n << 80n],
      [8, 1n << 88n],
      [10, 1n << 160n],
      [14, 1n << 128n],
      [15, 1n << 96n],
      [0, FIELD_MODULUS],
      [11, FIELD_MODULUS],
      [1, -1n],
    ] as const) {
      const data = zero.slice();
      data[i] = v;
      assert.throws(() => batchCommitment(TEST, data), { code: "OUT_OF_RANGE" }, `word ${i} = ${v}`);
    }
    assert.throws(() => batchCommitment(TEST, zero.slice(1)), { code: "OUT_OF_RANGE" });
  });
});
