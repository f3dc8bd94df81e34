/**
 * The browser's proof check against a real Groth16 proof: a tiny circuit built by the project's
 * zk pipeline (TEST-ONLY ceremony, cached by content), its proof packed in the Solidity
 * calldata order snarkjs prints, then unpacked and verified by web/lib/batchProof.ts.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import { verifyGroth16 } from "../../web/lib/batchProof.ts";
import { unpackProof } from "../../protocol/proof.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import { ensureCircuitBuilt } from "../../scripts/zk/build.ts";
import { releaseCurve } from "../../scripts/zk/ptau.ts";

const SOURCE = `pragma circom 2.1.0;
template Product() {
  signal input a;
  signal input b;
  signal input c;
  signal input secret;
  signal ab <== a * b;
  c === ab + secret * 0;
}
component main {public [a, b, c]} = Product();
`;

after(releaseCurve);

/** `exportSolidityCallData` prints `[a0,a1],[[b..],[b..]],[c0,c1],[inputs]`: flatten the proof part. */
async function solidityProof(proof: unknown, publicSignals: string[]): Promise<SolidityProof> {
  const text = await snarkjs.groth16.exportSolidityCallData(proof, publicSignals);
  const words = (JSON.parse(`[${text}]`) as unknown[]).slice(0, 3).flat(2) as string[];
  assert.equal(words.length, 8);
  return words.map((w) => BigInt(w)) as unknown as SolidityProof;
}

test("a real proof survives Solidity packing and verifies in the app; a changed input does not", async () => {
  const built = await ensureCircuitBuilt(
    { name: "web-product", source: SOURCE, contractName: "WebProductVerifier" },
    { quiet: true },
  );
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    { a: 3, b: 7, c: 21, secret: 5 },
    built.wasm,
    built.zkey,
  );
  const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
  const unpacked = unpackProof(await solidityProof(proof, publicSignals));
  assert.equal(await verifyGroth16(vkey, [3n, 7n, 21n], unpacked), true);
  assert.equal(await verifyGroth16(vkey, [3n, 7n, 22n], unpacked), false);
  await assert.rejects(verifyGroth16(vkey, [3n, 7n], unpacked), /public inputs/);
});
