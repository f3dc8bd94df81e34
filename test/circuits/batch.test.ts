/**
 * The batch circuit accepts every batch the reference model builds, for every transaction
 * type, and computes the same new state root and public inputs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TxType } from "../../protocol/index.ts";
import { adversarialWitness, buildScenarios, computedPublicInputs, inputOf, testCircuit } from "./scenarios.ts";

const circuit = await testCircuit();
const scenarios = buildScenarios();

describe("batch circuit (test profile) accepts protocol batches", () => {
  for (const s of scenarios) {
    test(`${s.name}: accepted, same new root and public inputs`, () => {
      const input = inputOf(s.batch);
      const w = circuit.witness(input);
      assert.deepEqual(circuit.violated(w), []);
      // Blank the public outputs, let the circuit compute them, and compare with protocol's.
      const blanked = structuredClone(input);
      const pub = blanked["publicData"] as string[];
      for (const j of computedPublicInputs(s.batch.profile.nTx)) pub[j] = "0";
      const closed = adversarialWitness(circuit, blanked);
      assert.ok(closed.failedAsserts > 0, "blank public outputs fail their equality asserts");
      const computed = computedPublicInputs(s.batch.profile.nTx).map((j) => closed.published[j]);
      const expected = computedPublicInputs(s.batch.profile.nTx).map((j) => s.batch.publicData[j]);
      assert.equal(computed[0], s.batch.newStateRoot);
      assert.deepEqual(computed, expected);
      assert.deepEqual(closed.witness, w);
    });
  }

  test("the scenarios cover every transaction type", () => {
    const seen = new Set(scenarios.flatMap((s) => s.batch.witnesses.map((w) => w.tx.type)));
    assert.deepEqual([...seen].sort(), Object.values(TxType).sort());
  });

  test("the liquidation leaves a shortfall that the insurance fund absorbs", () => {
    const liq = scenarios.flatMap((s) => s.batch.witnesses).find((w) => w.tx.type === TxType.LIQUIDATE);
    assert.ok(liq !== undefined);
    assert.equal(liq.b.after.collateral, 0n);
    assert.ok(liq.b.after.positions.every((p) => p.size === 0n));
    assert.ok(liq.a.after.collateral < liq.a.before.collateral, "the insurance fund paid the deficit");
  });

  test("a settlement leaves a shortfall that the insurance fund absorbs", () => {
    const settled = scenarios
      .flatMap((s) => s.batch.witnesses)
      .filter((w) => w.tx.type === TxType.SETTLE && w.a.accountId === 6n);
    assert.equal(settled.length, 1);
    const w = settled[0]!;
    assert.equal(w.a.after.collateral, 0n);
    assert.ok(w.b.after.collateral < w.b.before.collateral, "the insurance fund paid the deficit");
  });

  test("a forced withdrawal is served in one batch and refused in another", () => {
    const served = scenarios.flatMap((s) => s.batch.witnesses).filter((w) => w.tx.type === TxType.FORCED_WITHDRAW);
    assert.deepEqual(
      served.map((w) => w.served > 0n),
      [true, false, true, true],
    );
  });
});
