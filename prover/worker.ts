/**
 * A prover process: one proving engine (prover/engine.ts) kept across jobs, so the zkey is read
 * once and the witness is computed natively when the circuit build made the generator. Each proof
 * is verified against the verification key before it is reported. Forked by prover/pool.ts; exits
 * when its parent goes. Forked with the artifacts' JSON as its argument, it opens their engine
 * (reads the proving key) before it says it is ready, so the first job does not wait for that.
 */
import { Prover } from "./engine.ts";
import type { ProverArtifacts, ProveRequest, ProverMessage } from "./messages.ts";

const send = process.send?.bind(process);
if (send === undefined) throw new Error("prover/worker.ts must be forked with an IPC channel");
const post = (m: ProverMessage): void => {
  send(m);
};

/** The engine of the artifacts last asked for: one per process, replaced if the circuit changes. */
let engine: { readonly key: string; readonly prover: Promise<Prover> } | undefined;

function engineFor(artifacts: ProverArtifacts): Promise<Prover> {
  const key = JSON.stringify([artifacts.zkey, artifacts.wasm, artifacts.vkey, artifacts.native ?? null]);
  if (engine?.key !== key) {
    const previous = engine?.prover;
    const prover = (async () => {
      if (previous !== undefined) await (await previous.catch(() => undefined))?.close();
      return Prover.open(artifacts);
    })();
    // A failed open is retried on the next job.
    prover.catch(() => {
      if (engine?.prover === prover) engine = undefined;
    });
    engine = { key, prover };
  }
  return engine.prover;
}

process.on("disconnect", () => process.exit(0));
process.on("message", (job: ProveRequest) => {
  void (async () => {
    try {
      const prover = await engineFor(job.artifacts);
      const r = await prover.prove(job.input, {
        onStage: (stage) => post({ type: "progress", jobId: job.jobId, stage }),
      });
      post({
        type: "done",
        jobId: job.jobId,
        proof: r.proof,
        publicSignals: r.publicSignals,
        witnessMs: r.witnessMs,
        proveMs: r.proveMs,
        witness: r.witness,
        verifyMs: r.verifyMs,
      });
    } catch (e) {
      post({ type: "failed", jobId: job.jobId, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
const preload = process.argv[2];
if (preload === undefined) post({ type: "ready" });
else {
  engineFor(JSON.parse(preload) as ProverArtifacts).then(
    (prover) => post({ type: "ready", witness: prover.witnessGenerator }),
    (e: unknown) => post({ type: "ready", error: e instanceof Error ? e.message : String(e) }),
  );
}
