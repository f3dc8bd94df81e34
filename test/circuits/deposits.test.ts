/**
 * The deposit records gadget (circuits/lib/deposits.circom, docs/protocol.md §8) at a shape where
 * the records can run out (nTx 4, D 2): the k-th deposit slot gets record k and every other slot
 * 0; a third deposit, or a record no deposit uses, has no satisfying witness. The complete
 * adversarial witness (asserts ignored) is checked against the R1CS. protocol/ refuses the same
 * batches (`depositRecords`, BatchBuilder: BATCH_FULL).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { depositRecords } from "../../protocol/batch.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { TxType } from "../../protocol/types.ts";
import type { Tx } from "../../protocol/types.ts";
import { Circuit } from "./harness.ts";

const N_TX = 4;
const D = 2;
const circuit = await Circuit.ofTemplate("deposits-test", "lib/deposits.circom", "DepositRecords", [N_TX, D]);

const OWNERS = [(1n << 160n) - 1n, 0xabcn];
const KEYS = [123n, (1n << 253n) + 7n];

function inputs(isDeposit: readonly number[], owner: readonly bigint[] = OWNERS, pkHash: readonly bigint[] = KEYS) {
  return { isDeposit: isDeposit.map(String), owner: owner.map(String), pkHash: pkHash.map(String) };
}

function slots(w: readonly bigint[]): { owner: bigint[]; pkHash: bigint[] } {
  return {
    owner: Array.from({ length: N_TX }, (_, i) => circuit.get(w, `slotOwner[${i}]`)),
    pkHash: Array.from({ length: N_TX }, (_, i) => circuit.get(w, `slotPkHash[${i}]`)),
  };
}

const deposit = (k: number): Tx => ({
  type: TxType.DEPOSIT,
  accountId: 2n + BigInt(k),
  owner: OWNERS[k] ?? 1n,
  pkHash: KEYS[k] ?? 1n,
  amount: 1n,
});
const noop: Tx = { type: TxType.NOOP };

describe("deposit records: the k-th deposit slot takes record k", () => {
  for (const pattern of [
    [1, 0, 1, 0],
    [0, 0, 1, 1],
    [1, 1, 0, 0],
  ]) {
    test(`deposits at ${pattern.join("")}: each gets its record, the others 0; protocol/ lays out the same records`, () => {
      const w = circuit.witness(inputs(pattern));
      assert.deepEqual(circuit.violated(w), []);
      let k = 0;
      const expected = pattern.map((on) => (on === 1 ? k++ : -1));
      assert.deepEqual(slots(w), {
        owner: expected.map((j) => (j < 0 ? 0n : OWNERS[j]!)),
        pkHash: expected.map((j) => (j < 0 ? 0n : KEYS[j]!)),
      });
      let n = 0;
      const txs = pattern.map((on) => (on === 1 ? deposit(n++) : noop));
      assert.deepEqual(depositRecords({ deposits: D }, txs), [OWNERS[0], KEYS[0], OWNERS[1], KEYS[1]]);
    });
  }

  test("one deposit: record 1 must be zero, and is accepted as zero", () => {
    const w = circuit.witness(inputs([0, 1, 0, 0], [OWNERS[0]!, 0n], [KEYS[0]!, 0n]));
    assert.deepEqual(circuit.violated(w), []);
    assert.deepEqual(slots(w).owner, [0n, OWNERS[0], 0n, 0n]);
  });

  test("attack: a record no deposit uses (a prover's free value) has no satisfying witness", () => {
    for (const [owner, pkHash] of [
      [
        [OWNERS[0]!, 1n],
        [KEYS[0]!, 0n],
      ],
      [
        [OWNERS[0]!, 0n],
        [KEYS[0]!, 1n],
      ],
    ] as const) {
      const { witness, failedAsserts } = circuit.witnessIgnoringAsserts(inputs([1, 0, 0, 0], owner, pkHash));
      assert.ok(failedAsserts > 0);
      assert.ok(circuit.violated(witness).length > 0, "the R1CS rejects the complete witness");
    }
    const stray = [deposit(0), noop, noop, noop];
    assert.deepEqual(depositRecords({ deposits: D }, stray).slice(2), [0n, 0n], "protocol/ leaves it zero");
  });

  test("attack: a third deposit with two records has no satisfying witness; protocol/ says BATCH_FULL", () => {
    const { witness, failedAsserts } = circuit.witnessIgnoringAsserts(inputs([1, 1, 1, 0]));
    assert.ok(failedAsserts > 0);
    assert.ok(circuit.violated(witness).length > 0, "the R1CS rejects the complete witness");
    assert.throws(
      () => depositRecords({ deposits: D }, [deposit(0), deposit(1), deposit(0), noop]),
      (e: unknown) => e instanceof ProtocolError && e.code === "BATCH_FULL",
    );
  });

  test("constraints: pinned at nTx 4, D 2", () => {
    assert.equal(circuit.r1cs.nConstraints, PINNED);
  });
});

const PINNED = 73;
