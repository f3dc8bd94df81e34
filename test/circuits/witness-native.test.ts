/**
 * circom's native C++ witness generator (scripts/zk/native.ts) against the wasm calculator: the
 * build makes it whenever the toolchain is installed (CI installs it: a missing toolchain fails
 * here rather than skipping), and both give byte-identical `.wtns` files on real batches of the
 * `test` profile — ordinary, boundary values, liquidation and shortfall paths, forced closes —
 * and both refuse a batch whose public data was tampered with. The demo profile, which CI does not
 * build, is compared by the `prover` bench (bench/prover.ts fails on any difference).
 * The proving engine (prover/engine.ts) proves with the native witness, and its proof verifies
 * with exactly the batch's public inputs.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import * as snarkjs from "snarkjs";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { Prover } from "../../prover/engine.ts";
import { chooseGenerator, nativeWitness, wasmWitness, WitnessError } from "../../prover/witness.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import type { BuiltCircuit } from "../../scripts/zk/build.ts";
import { BUS_CALLOC_BUG, detectToolchain, patchMainCpp } from "../../scripts/zk/native.ts";
import { releaseCurve } from "../../scripts/zk/ptau.ts";
import { inputOf, scenario } from "./scenarios.ts";

after(releaseCurve);

/** Real batches: the common case, boundary values, both shortfall paths, forced closes. */
const SCENARIOS = [
  "deposit and perp trade",
  "boundary orders",
  "liquidations into two insurance fund accounts",
  "settlement into a shortfall",
  "forced close of a perp and of a short option",
  "refused forced withdrawal and fee sweep",
] as const;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

describe("native witness generator", { timeout: 1_800_000 }, () => {
  let built: BuiltCircuit;
  let native: string;

  before(async () => {
    const toolchain = await detectToolchain();
    assert.ok(
      toolchain.available,
      `the C++ toolchain for circom's native witness generator is missing: ${toolchain.available ? "" : toolchain.reason}`,
    );
    built = await ensureProfileBuilt("test", { quiet: true, native: true });
    assert.ok(built.native !== undefined, "the test profile's build has no native witness generator");
    native = built.native;
  });

  test("the build puts the generator and its .dat beside the zkey", () => {
    assert.equal(native, path.join(built.dir, "witness", "witness"));
    assert.ok(existsSync(native) && existsSync(`${native}.dat`));
    assert.equal(chooseGenerator(built, {}), "native");
    assert.equal(chooseGenerator(built, { TESSERA_WITNESS: "wasm" }), "wasm");
    assert.throws(() => chooseGenerator({ wasm: built.wasm }, { TESSERA_WITNESS: "native" }), WitnessError);
  });

  test("the main.cpp patch is exact: it changes the one calloc and refuses a changed file", () => {
    const fixed = patchMainCpp(`a\n${BUS_CALLOC_BUG}\nb\n`);
    assert.equal(fixed, "a\np.defs = (IOFieldDef*)calloc(p.len, sizeof(IOFieldDef));\nb\n");
    assert.throws(() => patchMainCpp("no such line"), /expected exactly 1/);
    assert.throws(() => patchMainCpp(`${BUS_CALLOC_BUG}\n${BUS_CALLOC_BUG}`), /expected exactly 1/);
  });

  for (const name of SCENARIOS) {
    test(`"${name}": native and wasm witnesses are byte-identical`, async () => {
      const input = toCircuitInput(scenario(name).batch);
      const [a, b] = [await nativeWitness(input, native), await wasmWitness(input, built.wasm)];
      assert.ok(a.length > 1000);
      assert.ok(same(a, b), `the ${a.length}-byte native witness differs from the wasm one`);
    });
  }

  test("a tampered public data word (new state root) is refused by both generators", async () => {
    const input = inputOf(scenario("deposit and perp trade").batch);
    const pub = input["publicData"] as string[];
    pub[1] = (BigInt(pub[1]!) + 1n).toString();
    await assert.rejects(nativeWitness(input, native), WitnessError);
    await assert.rejects(wasmWitness(input, built.wasm));
  });

  test("the engine proves with the native witness; the proof verifies with the batch's public inputs", async () => {
    const batch = scenario("liquidations into two insurance fund accounts").batch;
    const prover = await Prover.open(built);
    try {
      assert.equal(prover.witnessGenerator, "native");
      const r = await prover.prove(toCircuitInput(batch));
      assert.equal(r.witness, "native");
      assert.deepEqual(r.publicSignals, batch.publicInputs.map(String));
      const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
      assert.equal(await snarkjs.groth16.verify(vkey, r.publicSignals, r.proof), true);
      // The key stays loaded: a second job on the same engine proves too.
      const again = await prover.prove(toCircuitInput(scenario("boundary orders").batch));
      assert.deepEqual(again.publicSignals, scenario("boundary orders").batch.publicInputs.map(String));
    } finally {
      await prover.close();
    }
  });
});
