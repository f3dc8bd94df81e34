/**
 * The proving engine of one prover process: holds a circuit's proving key in memory across jobs,
 * computes each witness natively when the build made a native generator (else with the wasm
 * calculator; prover/witness.ts), proves with snarkjs Groth16, and verifies every proof against
 * the verification key before returning it. A proof that does not verify is never returned.
 *
 * Used by prover/worker.ts (one engine per process) and by the fleet's provers; jobs on one
 * engine run one at a time, since snarkjs's curve and its worker threads are shared in a process.
 */
import { readFile } from "node:fs/promises";
import * as snarkjs from "snarkjs";
import type { Groth16ProofJson } from "../protocol/proof.ts";
import type { ProverArtifacts } from "./messages.ts";
import { calculateWitness, chooseGenerator, findNative } from "./witness.ts";
import type { WitnessGenerator } from "./witness.ts";

export interface ProverOptions {
  /**
   * Keep the zkey in memory across jobs (default true). False re-reads it from disk on every
   * job, as snarkjs does when given a file name: only for measuring what keeping it saves.
   */
  readonly keepKey?: boolean;
  /** Force a witness generator; default `TESSERA_WITNESS`, else native when built, else wasm. */
  readonly witness?: WitnessGenerator;
  /**
   * Prove on the calling thread only (ffjavascript's `singleThread`). Default false: one worker
   * thread per core (`os.cpus()`), measured faster for a dedicated prover (docs/build.md).
   */
  readonly singleThread?: boolean;
}

export interface ProveOutput {
  readonly proof: Groth16ProofJson;
  readonly publicSignals: string[];
  readonly witness: WitnessGenerator;
  readonly witnessMs: number;
  readonly proveMs: number;
  readonly verifyMs: number;
}

export interface ProveHooks {
  /** Called as each stage of a job starts (after the jobs queued before it on this engine). */
  readonly onStage?: (stage: "witness" | "prove" | "verify") => void;
}

/** A proof that failed verification against the engine's own verification key. */
export class ProofVerificationError extends Error {
  readonly code = "PROOF_DOES_NOT_VERIFY";
  constructor(message: string) {
    super(message);
    this.name = "ProofVerificationError";
  }
}

export class ProverClosedError extends Error {
  readonly code = "PROVER_CLOSED";
  constructor() {
    super("the prover engine is closed");
    this.name = "ProverClosedError";
  }
}

interface MemFile {
  type: "mem";
  data: Uint8Array;
}

const groth16Prove = snarkjs.groth16.prove as unknown as (
  zkey: string | MemFile,
  wtns: MemFile,
  logger?: unknown,
  options?: { singleThread?: boolean },
) => Promise<{ proof: unknown; publicSignals: string[] }>;

/** Engines open in this process: the shared curve's threads stop when the last one closes. */
let openEngines = 0;

async function releaseSharedCurve(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  if (curve) await curve.terminate();
}

export class Prover {
  #closed = false;
  /** Jobs run one after another on this engine. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly artifacts: ProverArtifacts & { readonly native?: string | undefined },
    readonly witnessGenerator: WitnessGenerator,
    private readonly options: ProverOptions,
    private readonly zkey: Uint8Array | undefined,
    private readonly wasmBytes: Uint8Array,
    private readonly vkey: unknown,
  ) {}

  /**
   * Loads the proving key (unless `keepKey: false`), the wasm and the verification key, and picks
   * the witness generator. Fails at once if `TESSERA_WITNESS=native` and there is no binary.
   */
  static async open(
    artifacts: ProverArtifacts & { readonly native?: string | undefined },
    options: ProverOptions = {},
  ): Promise<Prover> {
    const generator = options.witness ?? chooseGenerator(artifacts);
    if (generator === "native" && findNative(artifacts) === undefined)
      throw new Error(`no native witness generator for ${artifacts.wasm}`);
    const [zkey, wasmBytes, vkeyText] = await Promise.all([
      options.keepKey === false ? Promise.resolve(undefined) : readFile(artifacts.zkey),
      readFile(artifacts.wasm),
      readFile(artifacts.vkey, "utf8"),
    ]);
    openEngines += 1;
    return new Prover(
      artifacts,
      generator,
      options,
      zkey === undefined ? undefined : new Uint8Array(zkey.buffer, zkey.byteOffset, zkey.byteLength),
      new Uint8Array(wasmBytes.buffer, wasmBytes.byteOffset, wasmBytes.byteLength),
      JSON.parse(vkeyText) as unknown,
    );
  }

  /** The native witness binary this engine runs, if it uses one. */
  get nativeBinary(): string | undefined {
    return this.witnessGenerator === "native" ? findNative(this.artifacts) : undefined;
  }

  /**
   * Witness, proof and verification of `input` (circuit input signals, protocol/circuitInput.ts).
   * Rejects with WitnessError (input breaks a constraint), ProofVerificationError or
   * ProverClosedError.
   */
  prove(input: unknown, hooks: ProveHooks = {}): Promise<ProveOutput> {
    if (this.#closed) return Promise.reject(new ProverClosedError());
    const run = this.#tail.then(
      () => this.#prove(input, hooks),
      () => this.#prove(input, hooks),
    );
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #prove(input: unknown, hooks: ProveHooks): Promise<ProveOutput> {
    if (this.#closed) throw new ProverClosedError();
    hooks.onStage?.("witness");
    const w = await calculateWitness(input, this.artifacts, {
      generator: this.witnessGenerator,
      wasmBytes: this.wasmBytes,
    });
    hooks.onStage?.("prove");
    const t1 = performance.now();
    const zkey: string | MemFile = this.zkey === undefined ? this.artifacts.zkey : { type: "mem", data: this.zkey };
    const { proof, publicSignals } = await groth16Prove(zkey, { type: "mem", data: w.wtns }, undefined, {
      singleThread: this.options.singleThread === true,
    });
    const t2 = performance.now();
    hooks.onStage?.("verify");
    const ok = await snarkjs.groth16.verify(this.vkey, publicSignals, proof);
    const t3 = performance.now();
    if (!ok) throw new ProofVerificationError("the proof does not verify against the verification key");
    return {
      proof: proof as Groth16ProofJson,
      publicSignals,
      witness: w.generator,
      witnessMs: w.ms,
      proveMs: t2 - t1,
      verifyMs: t3 - t2,
    };
  }

  /** Waits for the running job, then frees the key; the last engine stops snarkjs's threads. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    openEngines -= 1;
    if (openEngines === 0) await releaseSharedCurve();
  }
}
