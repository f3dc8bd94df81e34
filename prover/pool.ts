/**
 * The proving service: a job queue in front of `provers` prover processes (prover/worker.ts,
 * snarkjs Groth16). Each job is retried up to `maxAttempts` times: a prover that dies or hangs
 * mid-proof (crash, OOM, `timeoutMs` exceeded) is replaced and its job goes back to the front
 * of the queue, so a lost prover costs a retry, not a batch. The prover checks each proof
 * against the verification key before reporting it, so an invalid proof is a failed attempt.
 *
 * The embedded `ProofBackend` (prover/backend.ts): the default, with no queue server.
 *
 * Processes rather than worker threads: snarkjs loads ffjavascript, whose `web-worker`
 * dependency takes over any worker thread it is imported in; a process also bounds a
 * prover's memory and can be killed cleanly.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { hostname } from "node:os";
import { ProvingError } from "./backend.ts";
import type { BackendStats, ProofBackend, ProofResult, ProverStatus } from "./backend.ts";
import type { ProverArtifacts, ProverMessage, ProveRequest } from "./messages.ts";

export { ProvingError };
export type { ProofResult };

export interface ProverPoolOptions {
  readonly artifacts: ProverArtifacts;
  readonly provers: number;
  readonly maxAttempts: number;
  /** A prover that works longer than this on one job is killed and the job retried. */
  readonly timeoutMs: number;
  /**
   * Each prover process opens the artifacts' engine (reads the proving key) as it starts, before
   * it takes a job (default false: at its first job). `whenReady` waits for it.
   */
  readonly preload?: boolean;
  readonly onEvent?: (event: JobEvent) => void;
}

export type JobStage = "queued" | "witness" | "prove" | "verify" | "done" | "retry" | "failed";

/** What a prover reports when it is ready (`whenReady`). */
export interface ReadyInfo {
  /** Its witness generator, when it opened its engine at start (`preload`). */
  readonly witness?: "native" | "wasm";
}

export interface JobEvent {
  readonly jobId: string;
  readonly stage: JobStage;
  readonly attempt: number;
  readonly detail?: string;
}

interface Job {
  readonly id: string;
  readonly queuedAt: number;
  readonly input: unknown;
  attempt: number;
  lastError: string;
  readonly resolve: (r: ProofResult) => void;
  readonly reject: (e: Error) => void;
}

interface Prover {
  readonly process: ChildProcess;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** Why the pool killed it (its job's time ran out), for the job's error. */
  killedFor: string | null;
  since: number;
  proved: number;
  failed: number;
}

export class ProverPool implements ProofBackend {
  /** Its provers verify each proof with the venue's own key, in processes the venue runs. */
  readonly trusted = true;
  private readonly queue: Job[] = [];
  private readonly provers: Prover[] = [];
  private closed = false;
  private requeued = 0;
  private readonly readyWaiters: { resolve: (w: ReadyInfo) => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly options: ProverPoolOptions) {
    for (let i = 0; i < options.provers; i++) this.provers.push(this.spawn());
  }

  /** Prover processes currently alive (replacements included). */
  get size(): number {
    return this.provers.length;
  }

  /** The pids of the provers, for operators (and tests that kill one). */
  pids(): number[] {
    return this.provers.map((p) => p.process.pid ?? -1);
  }

  private emit(job: Job, stage: JobStage, detail?: string): void {
    this.options.onEvent?.({ jobId: job.id, stage, attempt: job.attempt, ...(detail === undefined ? {} : { detail }) });
  }

  /**
   * Resolves once a prover of the pool is ready to take a job (with `preload`: its engine open),
   * with the witness generator it reported; rejects with the reason its engine did not open.
   */
  whenReady(): Promise<ReadyInfo> {
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private spawn(): Prover {
    const args = this.options.preload === true ? [JSON.stringify(this.options.artifacts)] : [];
    const child = fork(fileURLToPath(new URL("./worker.ts", import.meta.url)), args, {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const prover: Prover = {
      process: child,
      ready: false,
      job: null,
      timer: null,
      killedFor: null,
      since: Date.now(),
      proved: 0,
      failed: 0,
    };
    child.on("message", (m: ProverMessage) => this.onMessage(prover, m));
    child.on("exit", (code, signal) => this.onExit(prover, signal ?? `exit code ${code}`));
    child.on("error", () => undefined);
    return prover;
  }

  private onMessage(prover: Prover, m: ProverMessage): void {
    if (m.type === "ready") {
      prover.ready = true;
      for (const w of this.readyWaiters.splice(0)) {
        if (m.error === undefined) w.resolve(m.witness === undefined ? {} : { witness: m.witness });
        else w.reject(new Error(`the prover could not open the circuit's artifacts: ${m.error}`));
      }
      this.dispatch();
      return;
    }
    const job = prover.job;
    if (job === null || m.jobId !== job.id) return;
    if (m.type === "progress") {
      this.emit(job, m.stage);
      return;
    }
    this.release(prover);
    if (m.type === "failed") {
      prover.failed += 1;
      this.retryOrFail(job, m.message);
    } else {
      prover.proved += 1;
      this.finish(job, m, prover);
    }
    this.dispatch();
  }

  private finish(job: Job, m: Extract<ProverMessage, { type: "done" }>, prover: Prover): void {
    this.emit(job, "done");
    job.resolve({
      jobId: job.id,
      proof: m.proof,
      publicSignals: m.publicSignals,
      attempts: job.attempt,
      witnessMs: m.witnessMs,
      proveMs: m.proveMs,
      prover: `pool-${prover.process.pid ?? 0}`,
      roundTripMs: Date.now() - job.queuedAt,
      proverMs: m.witnessMs + m.proveMs + (m.verifyMs ?? 0),
      ...(m.verifyMs === undefined ? {} : { verifyMs: m.verifyMs }),
      ...(m.witness === undefined ? {} : { witness: m.witness }),
    });
  }

  private onExit(prover: Prover, how: string): void {
    if (prover.timer !== null) clearTimeout(prover.timer);
    const i = this.provers.indexOf(prover);
    if (i < 0) return;
    const job = prover.job;
    prover.job = null;
    if (this.closed) {
      this.provers.splice(i, 1);
      if (job !== null) job.reject(new ProvingError(job.id, job.attempt, "the prover pool closed"));
      return;
    }
    this.provers[i] = this.spawn();
    if (job !== null) {
      this.requeued += 1;
      this.retryOrFail(job, prover.killedFor ?? `the prover died mid-proof (${how})`);
    }
  }

  private release(prover: Prover): void {
    if (prover.timer !== null) clearTimeout(prover.timer);
    prover.timer = null;
    prover.job = null;
    prover.since = Date.now();
  }

  private retryOrFail(job: Job, message: string): void {
    job.lastError = message;
    if (job.attempt >= this.options.maxAttempts) {
      this.emit(job, "failed", message);
      job.reject(new ProvingError(job.id, job.attempt, message));
      return;
    }
    this.emit(job, "retry", message);
    // Retried first: it is the oldest work.
    this.queue.unshift(job);
    this.dispatch();
  }

  private dispatch(): void {
    for (const prover of this.provers) {
      if (this.queue.length === 0) return;
      if (!prover.ready || prover.job !== null || !prover.process.connected) continue;
      const job = this.queue.shift()!;
      job.attempt += 1;
      prover.job = job;
      prover.since = Date.now();
      prover.timer = setTimeout(() => {
        prover.killedFor = `the proof took longer than ${this.options.timeoutMs} ms: its prover was stopped`;
        prover.process.kill("SIGKILL");
      }, this.options.timeoutMs);
      const request: ProveRequest = { jobId: job.id, artifacts: this.options.artifacts, input: job.input };
      prover.process.send(request);
    }
  }

  /** Queues a proof of `input`; resolves with a verified proof or rejects with ProvingError. */
  prove(jobId: string, input: unknown): Promise<ProofResult> {
    if (this.closed) return Promise.reject(new ProvingError(jobId, 0, "the prover pool is closed"));
    return new Promise<ProofResult>((resolve, reject) => {
      const job: Job = { id: jobId, queuedAt: Date.now(), input, attempt: 0, lastError: "", resolve, reject };
      this.queue.push(job);
      this.emit(job, "queued");
      this.dispatch();
    });
  }

  /** The queue and each prover process (`ProofBackend.stats`). */
  stats(): Promise<BackendStats> {
    const now = Date.now();
    const host = hostname();
    const running = this.provers.filter((p) => p.job !== null).map((p) => p.job!.queuedAt);
    const oldest = Math.min(...this.queue.map((j) => j.queuedAt), ...running);
    const provers: ProverStatus[] = this.provers.map((p) => ({
      id: `pool-${p.process.pid ?? 0}`,
      host,
      pid: p.process.pid ?? 0,
      state: p.job !== null ? "proving" : "idle",
      job: p.job?.id ?? null,
      batch: null,
      since: p.since,
      lastSeen: now,
      proved: p.proved,
      failed: p.failed,
    }));
    return Promise.resolve({
      backend: "embedded",
      waiting: this.queue.length,
      active: running.length,
      oldestJobAgeMs: Number.isFinite(oldest) ? now - oldest : null,
      provers,
      requeued: this.requeued,
      lost: 0,
    });
  }

  /** Stops every prover; queued and running jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.readyWaiters.splice(0)) w.reject(new Error("the prover pool closed"));
    for (const job of this.queue.splice(0)) job.reject(new ProvingError(job.id, job.attempt, "the prover pool closed"));
    await Promise.all(
      this.provers.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.process.exitCode !== null || p.process.signalCode !== null) resolve();
            else {
              p.process.once("exit", () => resolve());
              p.process.kill("SIGKILL");
            }
          }),
      ),
    );
  }
}
