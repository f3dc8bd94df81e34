import { test } from "node:test";
import assert from "node:assert/strict";
import { initPoseidon, poseidon } from "../../protocol/poseidon.ts";
import { FIELD_MODULUS, fromFieldSigned, toField } from "../../protocol/field.ts";

test("poseidon matches circomlib's published vector for [1, 2]", async () => {
  await initPoseidon();
  // Reference value from circomlib's poseidon tests.
  assert.equal(poseidon([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
});

test("signed values hash as their field encoding", async () => {
  await initPoseidon();
  assert.equal(poseidon([-1n]), poseidon([FIELD_MODULUS - 1n]));
  assert.equal(toField(-5n), FIELD_MODULUS - 5n);
  assert.equal(fromFieldSigned(toField(-5n)), -5n);
  assert.throws(() => poseidon([]), RangeError);
});
