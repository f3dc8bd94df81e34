/** Messages between the prover pool (prover/pool.ts) and its prover processes (prover/worker.ts). */
import type { Groth16ProofJson } from "../protocol/proof.ts";

/** Circuit artifacts a prover proves with (absolute paths, from scripts/zk/build.ts). */
export interface ProverArtifacts {
  readonly wasm: string;
  readonly zkey: string;
  /** Verification key JSON: every proof is verified before it is reported done. */
  readonly vkey: string;
  /**
   * circom's native C++ witness generator (its `.dat` beside it), when the build made one;
   * prover/witness.ts also finds it beside the zkey. Absent: the wasm calculator.
   */
  readonly native?: string | undefined;
}

export interface ProveRequest {
  readonly jobId: string;
  readonly artifacts: ProverArtifacts;
  /** Circuit input signals (protocol/circuitInput.ts `toCircuitInput`). */
  readonly input: unknown;
}

export type ProverMessage =
  /**
   * The process takes jobs. Forked with artifacts to preload (`ProverPoolOptions.preload`), it
   * says so once their engine is open: `witness` names its generator, or `error` says why the
   * engine did not open (the next job tries again and fails with the reason).
   */
  | { readonly type: "ready"; readonly witness?: "native" | "wasm"; readonly error?: string }
  | { readonly type: "progress"; readonly jobId: string; readonly stage: "witness" | "prove" | "verify" }
  | {
      readonly type: "done";
      readonly jobId: string;
      readonly proof: Groth16ProofJson;
      readonly publicSignals: readonly string[];
      readonly witnessMs: number;
      readonly proveMs: number;
      /** Which witness generator ran (prover/witness.ts); absent from older provers. */
      readonly witness?: "native" | "wasm";
      readonly verifyMs?: number;
    }
  | { readonly type: "failed"; readonly jobId: string; readonly message: string };
