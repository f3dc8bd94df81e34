/**
 * The TEST-ONLY known-tau zkey (scripts/zk/zkey.ts) against snarkjs:
 * - byte-identical to `zkey new` on the known-tau ptau followed by the build's phase-2 beacon, for a
 *   small circuit with a ceremony of the circuit's power and of a larger one, and for a mid-size
 *   circuit whose domain (2^15) takes snarkjs's whole-chunk path when hashing the H points;
 * - a proof made with it verifies, and a wrong public input does not.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import * as snarkjs from "snarkjs";
import { TEST_ONLY_PHASE2_BEACON } from "../../scripts/zk/build.ts";
import { compile } from "../../scripts/zk/compile.ts";
import { releaseCurve, writeTestOnlyPtau } from "../../scripts/zk/ptau.ts";
import { groth16Power, readR1csHeader } from "../../scripts/zk/r1cs.ts";
import { knownTauZkey } from "../../scripts/zk/zkey.ts";

const work = mkdtempSync(path.join(tmpdir(), "tessera-zkey-"));
after(async () => {
  await releaseCurve();
  rmSync(work, { recursive: true, force: true });
});

/** Public inputs (two of them), an output, private signals, linear and quadratic constraints. */
const SMALL_SOURCE = `pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
template Small() {
  signal input publicInputs[2];
  signal input secret;
  signal output out;
  signal h <== Poseidon(2)([publicInputs[0], secret]);
  h === publicInputs[1];
  out <== secret * secret + 3 * publicInputs[0];
}
component main {public [publicInputs]} = Small();
`;

/** 16,400 quadratic constraints: a 2^15 domain, the smallest past snarkjs's 2^14 H-hash chunk. */
const MID_SOURCE = `pragma circom 2.1.6;
template Mid(n) {
  signal input publicInputs[1];
  signal x[n];
  x[0] <== publicInputs[0] * publicInputs[0];
  for (var i = 1; i < n; i++) x[i] <== x[i - 1] * x[i - 1] + i;
}
component main {public [publicInputs]} = Mid(16400);
`;

/** snarkjs `zkey new` then the build's TEST-ONLY beacon: the reference this module must equal. */
async function snarkjsZkey(r1cs: string, ptau: string, out: string): Promise<void> {
  const phase1 = `${out}.phase1`;
  await snarkjs.zKey["newZKey"]!(r1cs, ptau, phase1);
  const ok: unknown = await snarkjs.zKey["beacon"]!(
    phase1,
    out,
    TEST_ONLY_PHASE2_BEACON.name,
    TEST_ONLY_PHASE2_BEACON.beaconHash,
    TEST_ONLY_PHASE2_BEACON.numIterationsExp,
  );
  assert.notEqual(ok, false);
  await releaseCurve();
}

function assertSameBytes(actual: string, expected: string): void {
  const a = readFileSync(actual);
  const e = readFileSync(expected);
  assert.equal(a.length, e.length, "zkey sizes differ");
  let i = 0;
  while (i < a.length && a[i] === e[i]) i++;
  assert.equal(i, a.length, `zkeys differ from byte ${i}`);
}

describe("TEST-ONLY known-tau zkey", () => {
  test("small circuit: byte-identical to snarkjs zkey new + beacon, ceremony of the circuit's power and one more", async () => {
    const { r1cs } = await compile({ name: "zkey-small", source: SMALL_SOURCE });
    const header = await readR1csHeader(r1cs);
    assert.equal(header.nPubInputs, 2);
    assert.equal(header.nOutputs, 1);
    const power = groth16Power(header);
    for (const ptauPower of [power, power + 1]) {
      const ptau = path.join(work, `small-${ptauPower}.ptau`);
      await writeTestOnlyPtau(ptauPower, ptau);
      const expected = path.join(work, `small-${ptauPower}-snarkjs.zkey`);
      await snarkjsZkey(r1cs, ptau, expected);
      const actual = path.join(work, `small-${ptauPower}-known-tau.zkey`);
      await knownTauZkey(r1cs, { ptauPower, beacon: TEST_ONLY_PHASE2_BEACON }, actual);
      assertSameBytes(actual, expected);
    }
  });

  test("small circuit: a proof with the known-tau zkey verifies; a wrong public input does not", async () => {
    const { r1cs, wasm } = await compile({ name: "zkey-small", source: SMALL_SOURCE });
    const power = groth16Power(await readR1csHeader(r1cs));
    const zkey = path.join(work, "prove.zkey");
    await knownTauZkey(r1cs, { ptauPower: power, beacon: TEST_ONLY_PHASE2_BEACON }, zkey);
    const { poseidon, initPoseidon } = await import("../../protocol/poseidon.ts");
    await initPoseidon();
    const secret = 7n;
    const input = { publicInputs: ["5", poseidon([5n, secret]).toString()], secret: secret.toString() };
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, zkey);
    assert.deepEqual(publicSignals, [(secret * secret + 15n).toString(), ...input.publicInputs]);
    const vkey: unknown = await snarkjs.zKey["exportVerificationKey"]!(zkey);
    assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
    assert.equal(await snarkjs.groth16.verify(vkey, ["65", ...input.publicInputs], proof), false);
    await releaseCurve();
  });

  test("mid-size circuit (2^15 domain): byte-identical to snarkjs zkey new + beacon", async () => {
    const { r1cs } = await compile({ name: "zkey-mid", source: MID_SOURCE });
    const header = await readR1csHeader(r1cs);
    assert.equal(header.nConstraints, 16400);
    const power = groth16Power(header);
    assert.equal(power, 15);
    const ptau = path.join(work, "mid.ptau");
    await writeTestOnlyPtau(power, ptau);
    const expected = path.join(work, "mid-snarkjs.zkey");
    await snarkjsZkey(r1cs, ptau, expected);
    const actual = path.join(work, "mid-known-tau.zkey");
    await knownTauZkey(r1cs, { ptauPower: power, beacon: TEST_ONLY_PHASE2_BEACON }, actual);
    assertSameBytes(actual, expected);
  });
});
