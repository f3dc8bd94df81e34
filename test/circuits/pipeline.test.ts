/**
 * The circuit build pipeline (scripts/zk) and proof packing (protocol/proof.ts):
 * - the TEST-ONLY known-tau ptau is byte-identical to snarkjs's new → beacon → prepare phase2,
 *   and snarkjs's own verifier accepts it;
 * - a small circuit goes through setup → prove → verify with it, deterministically;
 * - packProof matches `snarkjs zkey export soliditycalldata`;
 * - the committed contracts/generated/TestVerifier.sol equals a fresh export.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import * as snarkjs from "snarkjs";
import { buildBn128 } from "ffjavascript";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import { packProof, unpackProof } from "../../protocol/proof.ts";
import type { Groth16ProofJson } from "../../protocol/proof.ts";
import {
  ensureCircuitBuilt,
  ensureProfileBuilt,
  generatedVerifierPath,
  measureProving,
  profileSource,
  renameVerifier,
} from "../../scripts/zk/build.ts";
import { ROOT } from "../../scripts/zk/compile.ts";
import { TEST_ONLY_CEREMONY, lagrangeScalars, modPow, releaseCurve, writeTestOnlyPtau } from "../../scripts/zk/ptau.ts";
import { groth16Power, readR1csHeader } from "../../scripts/zk/r1cs.ts";

const work = mkdtempSync(path.join(tmpdir(), "tessera-pipeline-"));
after(async () => {
  await releaseCurve();
  rmSync(work, { recursive: true, force: true });
});

/** A small circuit with the batch circuit's shape: one public input array. */
const TINY_SOURCE = `pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
template Tiny() {
  signal input publicInputs[3];
  signal input secret;
  signal h <== Poseidon(2)([publicInputs[0], secret]);
  h === publicInputs[1];
  signal sq <== publicInputs[2] * publicInputs[2];
  sq === secret;
}
component main {public [publicInputs]} = Tiny();
`;
const TINY = { name: "pipeline-tiny", source: TINY_SOURCE, contractName: "PipelineTinyVerifier" };

describe("TEST-ONLY known-tau ptau", () => {
  for (const power of [1, 6]) {
    test(`2^${power} is byte-identical to snarkjs new → beacon → prepare phase2`, async () => {
      const mine = path.join(work, `known-tau-${power}.ptau`);
      await writeTestOnlyPtau(power, mine);
      const curve = await buildBn128();
      const p0 = path.join(work, `snarkjs-${power}-new.ptau`);
      const p1 = path.join(work, `snarkjs-${power}-beacon.ptau`);
      const p2 = path.join(work, `snarkjs-${power}-prepared.ptau`);
      await snarkjs.powersOfTau["newAccumulator"]!(curve, power, p0);
      await snarkjs.powersOfTau["beacon"]!(
        p0,
        p1,
        TEST_ONLY_CEREMONY.name,
        TEST_ONLY_CEREMONY.beaconHash,
        TEST_ONLY_CEREMONY.numIterationsExp,
      );
      await snarkjs.powersOfTau["preparePhase2"]!(p1, p2);
      const expected = readFileSync(p2);
      const actual = readFileSync(mine);
      assert.equal(actual.length, expected.length);
      assert.ok(actual.equals(expected), "known-tau ptau differs from snarkjs's");
      if (power === 6) assert.equal(await snarkjs.powersOfTau["verify"]!(mine), true);
      await releaseCurve();
    });
  }

  test("Lagrange scalars interpolate 1 and x at tau", () => {
    const r = FIELD_MODULUS;
    const tau = 123456789012345678901234567890n;
    // A primitive 8th root of unity of BN254's Fr (ffjavascript's w[3]).
    const omega = modPow(5n, (r - 1n) / 8n, r);
    assert.notEqual(modPow(omega, 4n, r), 1n);
    const l = lagrangeScalars(tau, omega, 3, r);
    assert.equal(l.length, 8);
    assert.equal(
      l.reduce((s, v) => (s + v) % r, 0n),
      1n,
    );
    let w = 1n;
    let x = 0n;
    for (const v of l) {
      x = (x + v * w) % r;
      w = (w * omega) % r;
    }
    assert.equal(x, tau);
  });
});

describe("build pipeline on a small circuit", () => {
  test("r1cs header and power match snarkjs", async () => {
    const built = await ensureCircuitBuilt(TINY, { quiet: true });
    const header = await readR1csHeader(built.r1cs);
    const info = (await snarkjs.r1cs["info"]!(built.r1cs)) as { nConstraints: number; nPubInputs: number };
    assert.equal(header.nConstraints, info.nConstraints);
    assert.equal(header.nPubInputs, 3);
    assert.equal(header.nPubInputs, info.nPubInputs);
    assert.equal(groth16Power(header), built.power);
    assert.ok(2 ** built.power > header.nConstraints + header.nPubInputs);
    await releaseCurve();
  });

  test("setup → prove → verify, packProof matches soliditycalldata, unpackProof round-trips", async () => {
    const built = await ensureCircuitBuilt(TINY, { quiet: true });
    assert.equal(built.testOnlyCeremony, true);
    const { poseidon, initPoseidon } = await import("../../protocol/poseidon.ts");
    await initPoseidon();
    const secret = 49n;
    const input = { publicInputs: ["11", poseidon([11n, secret]).toString(), "7"], secret: secret.toString() };
    const { proof, publicSignals } = await measureProving(built, input);
    assert.deepEqual(publicSignals, input.publicInputs);
    const json = proof as Groth16ProofJson;

    const packed = packProof(json);
    const calldata = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof, publicSignals)}]`) as [
      string[],
      string[][],
      string[],
      string[],
    ];
    const [a, b, c] = calldata;
    assert.deepEqual(
      packed,
      [...a, ...b[0]!, ...b[1]!, ...c].map((h) => BigInt(h)),
    );

    const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
    assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, unpackProof(packed)), true);
    assert.equal(await snarkjs.groth16.verify(vkey, ["11", publicSignals[1]!, "8"], proof), false);
    // Valid curve points in the wrong places: a and c swapped.
    const swapped = [packed[6], packed[7], packed[2], packed[3], packed[4], packed[5], packed[0], packed[1]] as const;
    assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, unpackProof(swapped)), false);
    const manifest = JSON.parse(readFileSync(path.join(built.dir, "manifest.json"), "utf8")) as {
      proving?: { proveSeconds: number };
      testOnly: boolean;
    };
    assert.equal(manifest.testOnly, true);
    assert.ok(manifest.proving && manifest.proving.proveSeconds >= 0);
  });

  test("a rebuild from scratch gives a byte-identical verifier and vkey; a second call is cached", async () => {
    const first = await ensureCircuitBuilt(TINY, { quiet: true });
    const verifier = readFileSync(first.verifier, "utf8");
    const vkey = readFileSync(first.vkey, "utf8");
    const cached = await ensureCircuitBuilt(TINY, { quiet: true });
    assert.equal(cached.built, false);
    assert.equal(cached.dir, first.dir);
    rmSync(first.dir, { recursive: true });
    const rebuilt = await ensureCircuitBuilt(TINY, { quiet: true });
    assert.equal(rebuilt.built, true);
    assert.equal(readFileSync(rebuilt.verifier, "utf8"), verifier);
    assert.equal(readFileSync(rebuilt.vkey, "utf8"), vkey);
    assert.match(verifier, /^\/\/ SPDX-License-Identifier: GPL-3\.0\n\/\/ TEST-ONLY verifier/);
    assert.match(verifier, /contract PipelineTinyVerifier \{/);
    assert.doesNotMatch(verifier, /Groth16Verifier/);
    assert.match(
      verifier,
      /function verifyProof\(uint\[2\] calldata _pA, uint\[2\]\[2\] calldata _pB, uint\[2\] calldata _pC, uint\[3\] calldata _pubSignals\) public view returns \(bool\)/,
    );
  });

  test("--ptau: a larger prepared ceremony file gives the same verification key", async () => {
    const local = await ensureCircuitBuilt(TINY, { quiet: true });
    const file = path.join(work, "public.ptau");
    await writeTestOnlyPtau(local.power + 1, file);
    const withFile = await ensureCircuitBuilt(TINY, { quiet: true, ptau: file });
    assert.equal(withFile.testOnlyCeremony, false);
    assert.notEqual(withFile.dir, local.dir);
    assert.equal(readFileSync(withFile.vkey, "utf8"), readFileSync(local.vkey, "utf8"));
    assert.match(readFileSync(withFile.verifier, "utf8"), /TEST-ONLY verifier: phase 2 is a single public beacon/);
    rmSync(withFile.dir, { recursive: true });
  });

  test("--ptau: an unprepared or too small ceremony file is refused", async () => {
    const local = await ensureCircuitBuilt(TINY, { quiet: true });
    const unprepared = path.join(work, "unprepared.ptau");
    await snarkjs.powersOfTau["newAccumulator"]!(await buildBn128(), 2, unprepared);
    await assert.rejects(ensureCircuitBuilt(TINY, { quiet: true, ptau: unprepared }), {
      code: "CIRCUIT_BUILD",
      message: /not prepared/,
    });
    const small = path.join(work, "small.ptau");
    await writeTestOnlyPtau(local.power - 1, small);
    await assert.rejects(ensureCircuitBuilt(TINY, { quiet: true, ptau: small }), {
      code: "CIRCUIT_BUILD",
      message: /needs 2\^/,
    });
    await releaseCurve();
  });

  test("renameVerifier refuses a template without Groth16Verifier", () => {
    assert.throws(() => renameVerifier("contract Other {}", "X", "file"), { code: "CIRCUIT_BUILD" });
  });
});

describe("profiles", () => {
  test("the test profile's main source instantiates Batch with profiles.json's parameters", () => {
    assert.equal(
      profileSource("test"),
      'pragma circom 2.1.6;\ninclude "batch.circom";\ncomponent main {public [commitment]} = Batch(2, 4, 2, 2, 2, 2, 2, 2, 60);\n',
    );
    assert.throws(() => profileSource("nope"), { code: "CIRCUIT_BUILD" });
  });

  test("contracts/generated/TestVerifier.sol equals a fresh export of the test profile", async () => {
    const built = await ensureProfileBuilt("test", { quiet: true });
    assert.equal(built.contractName, "TestVerifier");
    const committed = generatedVerifierPath(built);
    assert.ok(existsSync(committed), `${path.relative(ROOT, committed)} is missing: run npm run circuits:build`);
    assert.equal(
      readFileSync(committed, "utf8"),
      readFileSync(built.verifier, "utf8"),
      `${path.relative(ROOT, committed)} is stale: run npm run circuits:build`,
    );
  });
});
