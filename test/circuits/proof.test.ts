/**
 * A real proof: a `test`-profile batch built by protocol/ proved with snarkjs (Groth16, keys
 * from the pipeline's TEST-ONLY ceremony via `ensureProfileBuilt`) and verified with its
 * verification key; the same proof fails for a changed public input. The boundary batch of
 * finding F3 and a forced close (F11) prove too.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import * as snarkjs from "snarkjs";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import { releaseCurve } from "../../scripts/zk/ptau.ts";
import { scenario } from "./scenarios.ts";

after(releaseCurve);

test("real proof: a test-profile batch (deposit and trade) proves and verifies; a changed public input does not", async () => {
  const built = await ensureProfileBuilt("test", { quiet: true });
  const batch = scenario("deposit and perp trade").batch;
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(toCircuitInput(batch), built.wasm, built.zkey);
  assert.deepEqual(publicSignals, batch.publicInputs.map(String));
  const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
  assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
  const forged = publicSignals.slice();
  assert.deepEqual(publicSignals, [batch.commitment.toString()], "one public input: the commitment");
  forged[0] = (BigInt(forged[0]!) + 1n).toString(); // another commitment (another new root, say)
  assert.equal(await snarkjs.groth16.verify(vkey, forged, proof), false);
});

// The boundary transaction of finding F3 and the forced close of F11 are not only accepted by the
// constraints: each proves with the real keys and verifies, with exactly protocol/'s public inputs.
for (const name of ["boundary orders", "forced close of a perp and of a short option"]) {
  test(`real proof: "${name}" proves and verifies`, async () => {
    const built = await ensureProfileBuilt("test", { quiet: true });
    const batch = scenario(name).batch;
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(toCircuitInput(batch), built.wasm, built.zkey);
    assert.deepEqual(publicSignals, batch.publicInputs.map(String));
    const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
    assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
  });
}
