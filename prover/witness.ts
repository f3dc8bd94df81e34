/**
 * Witness generation for a prover: circom's native C++ witness generator when the circuit build
 * made one (scripts/zk/native.ts), else circom's wasm witness calculator in process. Both write
 * the same `.wtns` bytes (test/circuits/witness-native.test.ts checks it).
 *
 * Selection: `TESSERA_WITNESS=native|wasm` forces one (native fails loudly when there is no
 * binary); otherwise native when the binary exists, else wasm.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";

export type WitnessGenerator = "native" | "wasm";

/** Where a circuit's witness generators are (absolute paths, from scripts/zk/build.ts). */
export interface WitnessArtifacts {
  readonly wasm: string;
  /**
   * The native generator binary (its `.dat` file sits next to it). When absent, the binary the
   * circuit build puts beside the zkey (`<build dir>/witness/witness`) is used if it exists.
   */
  readonly native?: string | undefined;
  /** The zkey, only to find the native binary beside it. */
  readonly zkey?: string | undefined;
}

export class WitnessError extends Error {
  readonly code = "WITNESS_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "WitnessError";
  }
}

/** The native binary's conventional place in a circuit build directory (scripts/zk/native.ts). */
export function nativeBesideZkey(zkey: string): string {
  return path.join(path.dirname(zkey), "witness", "witness");
}

/** The native binary of `artifacts` if it exists on disk. */
export function findNative(artifacts: WitnessArtifacts): string | undefined {
  const candidate = artifacts.native ?? (artifacts.zkey === undefined ? undefined : nativeBesideZkey(artifacts.zkey));
  return candidate !== undefined && existsSync(candidate) && existsSync(`${candidate}.dat`) ? candidate : undefined;
}

/** The generator `calculateWitness` will use: `TESSERA_WITNESS` if set, else native when built. */
export function chooseGenerator(
  artifacts: WitnessArtifacts,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WitnessGenerator {
  const forced = env["TESSERA_WITNESS"];
  if (forced !== undefined && forced !== "") {
    if (forced !== "native" && forced !== "wasm")
      throw new WitnessError(`TESSERA_WITNESS must be "native" or "wasm", not ${JSON.stringify(forced)}`);
    if (forced === "native" && findNative(artifacts) === undefined)
      throw new WitnessError(
        `TESSERA_WITNESS=native but there is no native witness generator for ${artifacts.wasm} ` +
          `(build it with npm run circuits:build; it needs g++, make, nasm, libgmp-dev and nlohmann-json3-dev)`,
      );
    return forced;
  }
  return findNative(artifacts) !== undefined ? "native" : "wasm";
}

export interface WitnessResult {
  /** The `.wtns` file's bytes. */
  readonly wtns: Uint8Array;
  readonly generator: WitnessGenerator;
  readonly ms: number;
}

/** JSON for circom inputs: bigints as decimal strings (the native generator parses strings). */
function inputJson(input: unknown): string {
  return JSON.stringify(input, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Runs the native generator: input JSON to a temp file, `<bin> input.json out.wtns`, read back. */
export async function nativeWitness(input: unknown, binary: string): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tessera-wtns-"));
  try {
    const inFile = path.join(dir, "input.json");
    const outFile = path.join(dir, "out.wtns");
    await writeFile(inFile, inputJson(input));
    await new Promise<void>((resolve, reject) => {
      execFile(binary, [inFile, outFile], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err === null) resolve();
        else
          reject(
            new WitnessError(
              `native witness generator ${binary} failed (${err.signal ?? `exit ${String(err.code)}`}): ` +
                `${`${stderr}${stdout}`.trim().slice(-2000)}`,
            ),
          );
      });
    });
    return new Uint8Array(await readFile(outFile));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `{ type: "mem" }` fastfile sources snarkjs reads a wasm from and writes a witness into. */
interface MemFile {
  type: "mem";
  data?: Uint8Array;
}

const wasmCalculate = snarkjs.wtns.calculate as unknown as (
  input: unknown,
  wasm: string | MemFile,
  wtns: MemFile,
  options?: unknown,
) => Promise<void>;

/**
 * Runs circom's wasm witness calculator in process. `wasmBytes` (the file's content, kept by a
 * long-lived prover) saves re-reading the file.
 */
export async function wasmWitness(input: unknown, wasm: string, wasmBytes?: Uint8Array): Promise<Uint8Array> {
  const out: MemFile = { type: "mem" };
  await wasmCalculate(input, wasmBytes === undefined ? wasm : { type: "mem", data: wasmBytes }, out);
  if (out.data === undefined) throw new WitnessError(`the wasm witness calculator wrote nothing for ${wasm}`);
  return out.data;
}

/**
 * The witness of `input` as `.wtns` bytes, from the native generator or the wasm one
 * (`chooseGenerator`, or `opts.generator`). Throws WitnessError when the input breaks a
 * constraint the generator checks (both check every `===` they can evaluate).
 */
export async function calculateWitness(
  input: unknown,
  artifacts: WitnessArtifacts,
  opts: { readonly generator?: WitnessGenerator; readonly wasmBytes?: Uint8Array } = {},
): Promise<WitnessResult> {
  const generator = opts.generator ?? chooseGenerator(artifacts);
  const t0 = performance.now();
  let wtns: Uint8Array;
  if (generator === "native") {
    const binary = findNative(artifacts);
    if (binary === undefined) throw new WitnessError(`no native witness generator for ${artifacts.wasm}`);
    wtns = await nativeWitness(input, binary);
  } else {
    wtns = await wasmWitness(input, artifacts.wasm, opts.wasmBytes);
  }
  return { wtns, generator, ms: performance.now() - t0 };
}
