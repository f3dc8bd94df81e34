/**
 * A prover process: computes the witness (circom wasm) and the Groth16 proof (snarkjs) of one
 * job at a time, verifies the proof against the verification key, and reports progress. Forked by prover/pool.ts; exits when its parent goes.
 */
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import type { Groth16ProofJson } from "../protocol/proof.ts";
import type { ProveRequest, ProverMessage } from "./messages.ts";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("prover/worker.ts must be forked with an IPC channel");
const post = (m: ProverMessage): void => {
  send(m);
};

const vkeys: Record<string, unknown> = {};

process.on("disconnect", () => process.exit(0));
process.on("message", (job: ProveRequest) => {
  void (async () => {
    try {
      post({ type: "progress", jobId: job.jobId, stage: "witness" });
      const t0 = performance.now();
      const wtns = { type: "mem" as const };
      await snarkjs.wtns.calculate(job.input, job.artifacts.wasm, wtns);
      const t1 = performance.now();
      post({ type: "progress", jobId: job.jobId, stage: "prove" });
      const { proof, publicSignals } = await snarkjs.groth16.prove(job.artifacts.zkey, wtns);
      const proveMs = performance.now() - t1;
      post({ type: "progress", jobId: job.jobId, stage: "verify" });
      vkeys[job.artifacts.vkey] ??= JSON.parse(readFileSync(job.artifacts.vkey, "utf8")) as unknown;
      if (!(await snarkjs.groth16.verify(vkeys[job.artifacts.vkey], publicSignals, proof)))
        throw new Error("the proof does not verify against the verification key");
      post({
        type: "done",
        jobId: job.jobId,
        proof: proof as Groth16ProofJson,
        publicSignals,
        witnessMs: t1 - t0,
        proveMs,
      });
    } catch (e) {
      post({ type: "failed", jobId: job.jobId, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
post({ type: "ready" });
