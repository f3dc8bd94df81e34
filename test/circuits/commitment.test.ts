/**
 * The commitment gadget (circuits/lib/commitment.circom) agrees with protocol/'s
 * `batchCommitment` on every case of the shared table of fields and edges, and refuses a word
 * wider than its width (the range check of t, the prices, the records, f0 and f1).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { batchCommitment, COMMITMENT_BOUND, commitmentBytes } from "../../protocol/commitment.ts";
import { getProfile } from "../../protocol/profiles.ts";
import { commitmentCases, commitmentFields } from "../protocol/commitment-table.ts";
import { Circuit } from "./harness.ts";

const TEST = getProfile("test");
const args = [TEST.underlyings, TEST.settlements, TEST.instruments, TEST.deposits, TEST.nTx, 1];
const circuit = await Circuit.ofTemplate("commitment-test", "lib/commitment.circom", "PublicCommitment", args);
/** Wire of the output `out` (wire 0 is the constant 1). */
const OUT = 1;

describe("commitment: circuit and protocol/ agree (test profile shape)", () => {
  for (const { name, data } of commitmentCases(TEST)) {
    test(name, () => {
      const expected = batchCommitment(TEST, data);
      assert.ok(expected < COMMITMENT_BOUND);
      const w = circuit.witness({ words: data.map(String) });
      assert.deepEqual(circuit.violated(w), []);
      assert.equal(w[OUT], expected);
    });
  }

  test("the serialization: t 4 bytes, a price 5, a settlement record 10, an instrument 11, a deposit record 52, a slot 24", () => {
    const fields = commitmentFields(TEST);
    const bytes = commitmentBytes(
      TEST,
      fields.map(() => 0n),
    );
    assert.equal(
      bytes.length,
      100 + 5 * TEST.underlyings + 10 * TEST.settlements + 11 * TEST.instruments + 52 * TEST.deposits + 24 * TEST.nTx,
    );
  });

  const table = 4 + TEST.underlyings + TEST.settlements;
  const records = table + TEST.instruments;
  const slots = records + 2 * TEST.deposits;
  for (const [index, bits] of [
    [2, 32],
    [4, 40],
    [4 + TEST.underlyings, 80],
    [table, 88],
    [records, 160],
    [slots, 128],
    [slots + 1, 64],
  ] as const) {
    test(`a word ${index} of 2^${bits} does not fit: the circuit and protocol/ refuse it`, () => {
      const data = commitmentFields(TEST).map(() => 0n);
      data[index] = 1n << BigInt(bits);
      assert.throws(() => circuit.witness({ words: data.map(String) }));
      assert.throws(() => batchCommitment(TEST, data), { code: "OUT_OF_RANGE" });
    });
  }
});
