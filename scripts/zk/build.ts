/**
 * The circuit build pipeline: circom main source → r1cs/wasm → ceremony file → Groth16 zkey →
 * deterministic phase-2 beacon → verification key and Solidity verifier.
 *
 * Library: `ensureProfileBuilt(profile)` for tests, the prover and the demo.
 * CLI: `npm run circuits:build [profile...] [--ptau <file>] [--verbose] [--prove-input <json>]
 * [--no-native]` (default profiles: test and demo; env `TESSERA_PTAU` is the same as `--ptau`).
 * The CLI also writes `contracts/generated/<Profile>Verifier.sol` and builds circom's native C++
 * witness generator (scripts/zk/native.ts) unless `--no-native`.
 *
 * TEST-ONLY: without `--ptau` the ceremony is the local known-tau one (scripts/zk/ptau.ts), and
 * phase 2 is always a single public beacon; the resulting keys let anyone forge proofs. A real
 * deployment needs a public phase-1 file and a phase-2 MPC. With the known-tau ceremony the final
 * zkey is written directly from the known scalars (scripts/zk/zkey.ts), byte-identical to snarkjs's
 * `zkey new` + `zkey beacon` on the known-tau ptau, which is then never generated; a ceremony file
 * goes through snarkjs.
 *
 * Everything is cached under `build/zk/<profile>-<key>/`; the key hashes the compile key (all
 * circuit sources, circom2 and circomlib versions, the main source), the ceremony's identity, the
 * snarkjs version and this pipeline's version. An unchanged circuit is never rebuilt.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";
import { findNative } from "../../prover/witness.ts";
import { BUILD_DIR, ROOT, compile } from "./compile.ts";
import type { CompiledCircuit } from "./compile.ts";
import { withLock } from "./lock.ts";
import { MEASURED_RATES, Step, formatSeconds } from "./progress.ts";
import type { ProgressOptions } from "./progress.ts";
import { readPtauInfo, releaseCurve, testOnlyPtauPath } from "./ptau.ts";
import { ensureNativeWitness, installBeside } from "./native.ts";
import { groth16Power, readR1csHeader } from "./r1cs.ts";
import type { R1csHeader } from "./r1cs.ts";
import { groth16VerifierTemplate, snarkjsVersion } from "./snarkjs-package.ts";
import { KNOWN_TAU_ZKEY_SECONDS_PER_1000_CONSTRAINTS, knownTauZkey } from "./zkey.ts";

/** Bump when the pipeline's output for the same inputs changes. */
const PIPELINE_VERSION = 1;

/** TEST-ONLY phase-2 contribution: a public beacon, so the zkey is deterministic. */
export const TEST_ONLY_PHASE2_BEACON = {
  name: "TESSERA TEST-ONLY phase-2 beacon",
  /** sha256("TESSERA TEST-ONLY PHASE 2: delta is public, never use it for anything of value"). */
  beaconHash: createHash("sha256")
    .update("TESSERA TEST-ONLY PHASE 2: delta is public, never use it for anything of value")
    .digest("hex"),
  numIterationsExp: 10,
} as const;

export const ZK_BUILD_DIR = path.join(BUILD_DIR, "zk");
export const GENERATED_CONTRACTS_DIR = path.join(ROOT, "contracts", "generated");
const PROFILES_FILE = path.join(ROOT, "circuits", "profiles.json");

export class BuildError extends Error {
  readonly code = "CIRCUIT_BUILD";
}

export interface BuildOptions {
  /** A prepared public ceremony file; default env `TESSERA_PTAU`, else the TEST-ONLY local one. */
  readonly ptau?: string | undefined;
  /** Let snarkjs log (to stderr). */
  readonly verbose?: boolean | undefined;
  /** Print no progress lines. */
  readonly quiet?: boolean | undefined;
  /**
   * Also build circom's native C++ witness generator (scripts/zk/native.ts) and put it beside
   * the zkey, where prover/witness.ts finds it. Default false here, true in the CLI: a first
   * build compiles tens of MB of C++ (about a minute for `test` on 2 cores). Without the
   * compiler or a library the build says what is missing and provers use the wasm calculator.
   */
  readonly native?: boolean | undefined;
}

/** A built circuit: absolute paths and sizes. */
export interface BuiltCircuit {
  readonly name: string;
  readonly dir: string;
  readonly wasm: string;
  readonly zkey: string;
  /** Verification key JSON. */
  readonly vkey: string;
  readonly r1cs: string;
  readonly sym: string;
  /** The snarkjs Solidity verifier with the contract renamed to `contractName`. */
  readonly verifier: string;
  readonly contractName: string;
  readonly nConstraints: number;
  /** Ceremony power the setup used (the circuit's minimum). */
  readonly power: number;
  readonly key: string;
  /** True when the keys come from the local known-tau ceremony. Always true for phase 2. */
  readonly testOnlyCeremony: boolean;
  /** False when the cache answered. */
  readonly built: boolean;
  /**
   * circom's native witness generator beside the zkey (`<dir>/witness/witness`, its `.dat` beside
   * it), when built (`BuildOptions.native`, now or by an earlier build); else undefined.
   */
  readonly native: string | undefined;
}

export interface CircuitRequest {
  /** `[a-z0-9_-]+`: the build directory's name prefix. */
  readonly name: string;
  /** Full circom main source. */
  readonly source: string;
  /** Solidity contract name of the exported verifier. */
  readonly contractName: string;
}

export interface ProfileParams {
  readonly nTx: number;
  readonly accountDepth: number;
  readonly orderDepth: number;
  readonly positions: number;
  readonly underlyings: number;
  readonly settlements: number;
  readonly instruments: number;
  readonly deposits: number;
  readonly fundingInterval: number;
}

interface ProfilesFile {
  readonly template: string;
  readonly file: string;
  readonly profiles: Readonly<Record<string, ProfileParams>>;
}

export interface Manifest {
  readonly name: string;
  readonly key: string;
  readonly testOnly: true;
  readonly testOnlyReason: string;
  readonly ceremony: {
    readonly kind: "test-only-known-tau" | "file";
    /** The ceremony file; for the known-tau ceremony the ptau the zkey equals a setup from (not generated). */
    readonly file: string;
    readonly identity: string;
  };
  readonly snarkjs: string;
  readonly compileKey: string;
  readonly nConstraints: number;
  readonly nWires: number;
  readonly nPubInputs: number;
  readonly nOutputs: number;
  readonly nPrvInputs: number;
  readonly power: number;
  readonly zkeyBytes: number;
  /**
   * Seconds per step of the first build (0 when an earlier build had cached that step). With the
   * known-tau ceremony `setup` is the whole zkey, beacon included, and `beacon` is 0.
   */
  readonly firstBuildSeconds: Readonly<Record<"compile" | "setup" | "beacon" | "export" | "total", number>>;
  /** Seconds a cached `ensure…Built` took, last measured. */
  cachedBuildSeconds?: number;
  /** Witness and proof of one input, last measured (`measureProving`). */
  proving?: { readonly witnessSeconds: number; readonly proveSeconds: number; readonly verifySeconds: number };
}

export function loadProfiles(): ProfilesFile {
  return JSON.parse(readFileSync(PROFILES_FILE, "utf8")) as ProfilesFile;
}

/** The `Batch` template's arguments for a profile's parameters, in its order (circuits/batch.circom). */
export function batchArgs(
  p: Omit<ProfileParams, "fundingInterval"> & { readonly fundingInterval: number | bigint },
): string {
  return [
    p.nTx,
    p.accountDepth,
    p.orderDepth,
    p.positions,
    p.underlyings,
    p.settlements,
    p.instruments,
    p.deposits,
    p.fundingInterval,
  ].join(", ");
}

/** The circom main source of a profile (docs/protocol.md section 9). */
export function profileSource(profile: string): string {
  const profiles = loadProfiles();
  const p = profiles.profiles[profile];
  if (!p)
    throw new BuildError(
      `unknown profile ${JSON.stringify(profile)}; known: ${Object.keys(profiles.profiles).join(", ")}`,
    );
  return (
    `pragma circom 2.1.6;\n` +
    `include "${profiles.file}";\n` +
    `component main {public [commitment]} = ${profiles.template}(${batchArgs(p)});\n`
  );
}

/** `TestVerifier` for `test`, `DemoVerifier` for `demo`. */
export function verifierContractName(profile: string): string {
  return `${profile.charAt(0).toUpperCase()}${profile.slice(1)}Verifier`;
}

/** Builds (or finds in the cache) the circuit of a profile from circuits/profiles.json. */
export function ensureProfileBuilt(profile: string, opts: BuildOptions = {}): Promise<BuiltCircuit> {
  return ensureCircuitBuilt(
    { name: profile, source: profileSource(profile), contractName: verifierContractName(profile) },
    opts,
  );
}

/** Builds (or finds in the cache) any circom main source. */
export async function ensureCircuitBuilt(req: CircuitRequest, opts: BuildOptions = {}): Promise<BuiltCircuit> {
  const started = performance.now();
  const progress: ProgressOptions = { prefix: `[zk ${req.name}]`, enabled: !opts.quiet };
  const logger = opts.verbose ? snarkjsLogger() : undefined;

  const compileStep = new Step(progress, "compile (circom2 --O2)", previousSeconds(req.name, "compile"));
  const compiled = await compile({ name: req.name, source: req.source });
  const compileSeconds = compiled.compiled ? compileStep.done() : 0;
  if (!compiled.compiled) compileStep.done("cached");

  const header = await readR1csHeader(compiled.r1cs);
  const power = groth16Power(header);
  const ceremony = await ceremonyFor(power, opts.ptau ?? process.env["TESSERA_PTAU"]);
  const key = createHash("sha256")
    .update(
      JSON.stringify({
        pipeline: PIPELINE_VERSION,
        compileKey: compiled.key,
        ceremony: ceremony.identity,
        snarkjs: snarkjsVersion(),
        phase2: TEST_ONLY_PHASE2_BEACON,
        contractName: req.contractName,
      }),
    )
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(ZK_BUILD_DIR, `${req.name}-${key}`);
  const built = (wasBuilt: boolean): BuiltCircuit => ({
    name: req.name,
    dir,
    wasm: path.join(dir, "main.wasm"),
    zkey: path.join(dir, "main.zkey"),
    vkey: path.join(dir, "vkey.json"),
    r1cs: path.join(dir, "main.r1cs"),
    sym: path.join(dir, "main.sym"),
    verifier: path.join(dir, `${req.contractName}.sol`),
    contractName: req.contractName,
    nConstraints: header.nConstraints,
    power,
    key,
    testOnlyCeremony: ceremony.kind === "test-only-known-tau",
    built: wasBuilt,
    native: undefined,
  });

  const fromCache = (): BuiltCircuit | undefined => {
    if (!existsSync(path.join(dir, "DONE"))) return undefined;
    updateManifest(dir, (m) => (m.cachedBuildSeconds = round((performance.now() - started) / 1000)));
    if (progress.enabled) console.error(`${progress.prefix} cached: ${path.relative(ROOT, dir)}`);
    return built(false);
  };
  const build = async (): Promise<BuiltCircuit> => {
    await buildInto(dir, req, compiled, header, ceremony, progress, logger, started, compileSeconds);
    return built(true);
  };
  const circuit =
    fromCache() ??
    (await withLock(
      dir,
      async () => fromCache() ?? (await build()),
      () => progress.enabled && console.error(`${progress.prefix} waiting for another process building ${dir}`),
    ));
  if (opts.native) await ensureNativeBeside(req, circuit, progress);
  return { ...circuit, native: findNative({ wasm: circuit.wasm, zkey: circuit.zkey }) };
}

/** Builds (or finds) the native witness generator and installs it in the circuit's build dir. */
async function ensureNativeBeside(
  req: CircuitRequest,
  circuit: BuiltCircuit,
  progress: ProgressOptions,
): Promise<void> {
  const native = await ensureNativeWitness({ name: req.name, source: req.source }, progress);
  if (!native.available) {
    // Said even when quiet: a prover without it is several times slower at the witness.
    console.error(
      `${progress.prefix} native witness generator not built: ${native.reason}. Provers use the wasm calculator.`,
    );
    return;
  }
  await installBeside(native, circuit.dir);
  if (progress.enabled)
    console.error(
      `${progress.prefix} native witness generator ${native.built ? "built" : "cached"}: ` +
        `${path.relative(ROOT, path.join(circuit.dir, "witness", "witness"))}`,
    );
}

/** The build proper, into `<dir>.tmp-<pid>` then renamed to `dir`. */
async function buildInto(
  dir: string,
  req: CircuitRequest,
  compiled: CompiledCircuit,
  header: R1csHeader,
  ceremony: Ceremony,
  progress: ProgressOptions,
  logger: ReturnType<typeof snarkjsLogger> | undefined,
  started: number,
  compileSeconds: number,
): Promise<void> {
  const power = groth16Power(header);
  const key = path.basename(dir).slice(req.name.length + 1);
  if (progress.enabled) {
    console.error(
      `${progress.prefix} ${header.nConstraints} constraints → power 2^${power}` +
        (ceremony.kind === "test-only-known-tau" ? " (TEST-ONLY known-tau ceremony)" : ` (ceremony ${ceremony.file})`),
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const k = header.nConstraints / 1000;
    let ptauFile: string;
    let setupSeconds: number;
    let beaconSeconds = 0;
    if (ceremony.kind === "test-only-known-tau") {
      // The ptau is not needed: the zkey comes straight from the known tau, alpha, beta and delta.
      ptauFile = testOnlyPtauPath(power);
      const setupStep = new Step(
        progress,
        "TEST-ONLY known-tau groth16 setup and phase-2 beacon",
        KNOWN_TAU_ZKEY_SECONDS_PER_1000_CONSTRAINTS * k,
      );
      await knownTauZkey(
        compiled.r1cs,
        { ptauPower: power, beacon: TEST_ONLY_PHASE2_BEACON, progress },
        path.join(tmp, "main.zkey"),
      );
      setupSeconds = setupStep.done();
    } else {
      ptauFile = ceremony.file;
      const setupStep = new Step(progress, "groth16 setup (zkey new)", MEASURED_RATES.setupPer1000Constraints * k);
      await snarkjs.zKey["newZKey"]!(compiled.r1cs, ptauFile, path.join(tmp, "phase1.zkey"), logger);
      setupSeconds = setupStep.done();

      const beaconStep = new Step(progress, "TEST-ONLY phase-2 beacon", MEASURED_RATES.beaconPer1000Constraints * k);
      const ok: unknown = await snarkjs.zKey["beacon"]!(
        path.join(tmp, "phase1.zkey"),
        path.join(tmp, "main.zkey"),
        TEST_ONLY_PHASE2_BEACON.name,
        TEST_ONLY_PHASE2_BEACON.beaconHash,
        TEST_ONLY_PHASE2_BEACON.numIterationsExp,
        logger,
      );
      if (ok === false) throw new BuildError("snarkjs zkey beacon failed");
      rmSync(path.join(tmp, "phase1.zkey"));
      beaconSeconds = beaconStep.done();
    }

    const exportStep = new Step(progress, "export vkey and Solidity verifier", 2);
    const vkey: unknown = await snarkjs.zKey["exportVerificationKey"]!(path.join(tmp, "main.zkey"), logger);
    writeFileSync(path.join(tmp, "vkey.json"), `${JSON.stringify(vkey, null, 2)}\n`);
    const solidity = (await snarkjs.zKey["exportSolidityVerifier"]!(
      path.join(tmp, "main.zkey"),
      { groth16: groth16VerifierTemplate() },
      logger,
    )) as string;
    writeFileSync(path.join(tmp, `${req.contractName}.sol`), renameVerifier(solidity, req.contractName, ceremony.kind));
    for (const f of ["main.r1cs", "main.sym"])
      writeFileSync(path.join(tmp, f), readFileSync(path.join(compiled.dir, f)));
    writeFileSync(path.join(tmp, "main.wasm"), readFileSync(compiled.wasm));
    const exportSeconds = exportStep.done();

    const manifest: Manifest = {
      name: req.name,
      key,
      testOnly: true,
      testOnlyReason:
        ceremony.kind === "test-only-known-tau"
          ? "TEST-ONLY: known-tau phase 1 and public-beacon phase 2; anyone can forge proofs"
          : "TEST-ONLY: phase 2 is a single public beacon; anyone can forge proofs",
      ceremony: { kind: ceremony.kind, file: path.relative(ROOT, ptauFile), identity: ceremony.identity },
      snarkjs: snarkjsVersion(),
      compileKey: compiled.key,
      nConstraints: header.nConstraints,
      nWires: header.nWires,
      nPubInputs: header.nPubInputs,
      nOutputs: header.nOutputs,
      nPrvInputs: header.nPrvInputs,
      power,
      zkeyBytes: statSync(path.join(tmp, "main.zkey")).size,
      firstBuildSeconds: {
        compile: round(compileSeconds),
        setup: round(setupSeconds),
        beacon: round(beaconSeconds),
        export: round(exportSeconds),
        total: round((performance.now() - started) / 1000),
      },
    };
    writeFileSync(path.join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(path.join(tmp, "DONE"), "");
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await releaseCurve();
  }
}

/**
 * Computes the witness of `input` and a Groth16 proof, verifies it, and records the times in the
 * build's manifest (the README and benchmark figures). Returns the proof and public signals.
 */
export async function measureProving(
  built: BuiltCircuit,
  input: unknown,
): Promise<{ proof: unknown; publicSignals: string[]; witnessSeconds: number; proveSeconds: number }> {
  try {
    const t0 = performance.now();
    const wtns = { type: "mem" as const };
    await snarkjs.wtns.calculate(input, built.wasm, wtns);
    const t1 = performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(built.zkey, wtns);
    const t2 = performance.now();
    const vkey: unknown = JSON.parse(readFileSync(built.vkey, "utf8"));
    if (!(await snarkjs.groth16.verify(vkey, publicSignals, proof))) {
      throw new BuildError(`${built.name}: a freshly made proof does not verify`);
    }
    const t3 = performance.now();
    updateManifest(built.dir, (m) => {
      m.proving = {
        witnessSeconds: round((t1 - t0) / 1000),
        proveSeconds: round((t2 - t1) / 1000),
        verifySeconds: round((t3 - t2) / 1000),
      };
    });
    return { proof, publicSignals, witnessSeconds: (t1 - t0) / 1000, proveSeconds: (t2 - t1) / 1000 };
  } finally {
    await releaseCurve();
  }
}

/** Reads, changes and atomically rewrites a build's manifest.json (readers never see half a file). */
function updateManifest(dir: string, change: (m: Manifest) => void): void {
  const file = path.join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  change(manifest);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The committed copy of a built verifier: `contracts/generated/<ContractName>.sol`. */
export function generatedVerifierPath(built: BuiltCircuit): string {
  return path.join(GENERATED_CONTRACTS_DIR, `${built.contractName}.sol`);
}

/** Copies a built verifier to contracts/generated/ (what the CLI does); true if it changed. */
export function writeGeneratedVerifier(built: BuiltCircuit): boolean {
  const target = generatedVerifierPath(built);
  const content = readFileSync(built.verifier, "utf8");
  if (existsSync(target) && readFileSync(target, "utf8") === content) return false;
  mkdirSync(GENERATED_CONTRACTS_DIR, { recursive: true });
  writeFileSync(target, content);
  return true;
}

/** Renames snarkjs's `Groth16Verifier` and labels the file; the ABI is unchanged. */
export function renameVerifier(
  solidity: string,
  contractName: string,
  ceremony: "test-only-known-tau" | "file",
): string {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(contractName)) throw new BuildError(`bad contract name ${contractName}`);
  const renamed = solidity.replace(/\bcontract Groth16Verifier\b/, `contract ${contractName}`);
  if (renamed === solidity) throw new BuildError("snarkjs verifier template changed: no `contract Groth16Verifier`");
  const label =
    ceremony === "test-only-known-tau"
      ? "// TEST-ONLY verifier: its keys come from Tessera's known-tau ceremony and a public phase-2 beacon\n" +
        "// (scripts/zk/ptau.ts, scripts/zk/build.ts). Anyone can forge proofs for it. Generated; do not edit.\n"
      : "// TEST-ONLY verifier: phase 2 is a single public beacon (scripts/zk/build.ts). Generated; do not edit.\n";
  return renamed.replace(/^(\/\/ SPDX-License-Identifier: [^\n]*\n)/, `$1${label}`);
}

type Ceremony =
  | { readonly kind: "test-only-known-tau"; readonly identity: string }
  | { readonly kind: "file"; readonly file: string; readonly identity: string };

async function ceremonyFor(power: number, ptau: string | undefined): Promise<Ceremony> {
  if (!ptau) return { kind: "test-only-known-tau", identity: path.basename(testOnlyPtauPath(power)) };
  const file = path.resolve(ptau);
  if (!existsSync(file)) throw new BuildError(`ceremony file ${file} does not exist`);
  const info = await readPtauInfo(file);
  if (!info.prepared) {
    throw new BuildError(`${file} is not prepared for phase 2 (run snarkjs powersoftau prepare phase2 on it)`);
  }
  if (info.power < power) throw new BuildError(`${file} has power 2^${info.power}; the circuit needs 2^${power}`);
  return { kind: "file", file, identity: `sha256:${await sha256File(file)}` };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** The time a step took in the most recent earlier build of `name` (progress estimate). */
function previousSeconds(name: string, step: keyof Manifest["firstBuildSeconds"]): number {
  if (!existsSync(ZK_BUILD_DIR)) return 0;
  let best = 0;
  for (const entry of readdirSync(ZK_BUILD_DIR)) {
    const file = path.join(ZK_BUILD_DIR, entry, "manifest.json");
    if (!entry.startsWith(`${name}-`) || !existsSync(file)) continue;
    const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
    best = Math.max(best, m.firstBuildSeconds[step]);
  }
  return best;
}

function snarkjsLogger() {
  const log = (...args: unknown[]): void => console.error("[snarkjs]", ...args);
  return { debug: log, info: log, warn: log, error: log, log };
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}

async function main(argv: readonly string[]): Promise<void> {
  const profiles: string[] = [];
  let ptau: string | undefined;
  let proveInput: string | undefined;
  let verbose = false;
  let native = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--ptau") ptau = argv[++i];
    else if (arg === "--no-native") native = false;
    else if (arg === "--prove-input") proveInput = argv[++i];
    else if (arg === "--verbose") verbose = true;
    else if (arg.startsWith("--")) throw new BuildError(`unknown option ${arg}`);
    else profiles.push(arg);
  }
  if (profiles.length === 0) profiles.push("test", "demo");
  if (proveInput && profiles.length !== 1) throw new BuildError("--prove-input needs exactly one profile");
  for (const profile of profiles) {
    const started = performance.now();
    const built = await ensureProfileBuilt(profile, { ptau, verbose, native });
    const changed = writeGeneratedVerifier(built);
    console.error(
      `[zk ${profile}] ${built.built ? "built" : "cached"} in ${formatSeconds((performance.now() - started) / 1000)}: ` +
        `${built.nConstraints} constraints, power 2^${built.power}, ${path.relative(ROOT, built.dir)}` +
        `${built.testOnlyCeremony ? " (TEST-ONLY ceremony)" : ""}; ` +
        `${path.relative(ROOT, generatedVerifierPath(built))} ${changed ? "written" : "unchanged"}`,
    );
    if (proveInput) {
      const r = await measureProving(built, JSON.parse(readFileSync(proveInput, "utf8")));
      console.error(
        `[zk ${profile}] witness ${formatSeconds(r.witnessSeconds)}, proof ${formatSeconds(r.proveSeconds)}`,
      );
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
