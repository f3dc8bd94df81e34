/**
 * A real proof: a `test`-profile batch built by protocol/ proved with snarkjs (Groth16, keys
 * from the pipeline's TEST-ONLY ceremony via `ensureProfileBuilt`) and verified with its
 * verification key; the same proof fails for a changed public input.
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
  forged[1] = (BigInt(forged[1]!) + 1n).toString(); // another new state root
  assert.equal(await snarkjs.groth16.verify(vkey, forged, proof), false);
});
