/**
 * What the venue's proving stage (sequencer/provers/proving.ts) proves with: one interface, two
 * implementations.
 *
 * - `ProverPool` (prover/pool.ts, the default): prover processes forked by the venue, an
 *   in-memory queue. Nothing to install; it cannot grow past the venue's machine.
 * - `QueueBackend` (prover/queue/client.ts, `TESSERA_PROVER_QUEUE=redis://…`): jobs in a BullMQ
 *   queue on Redis, proved by `npm run prover -- --queue <url>` processes on any machine.
 *
 * A backend hands back what a prover returned. The stage decides whether to use it: the public
 * signals must equal the batch's own public inputs, and a proof from an untrusted backend
 * (`trusted: false`) must verify against the venue's verification key.
 */
import type { Groth16ProofJson } from "../protocol/proof.ts";

export interface ProofResult {
  readonly jobId: string;
  readonly proof: Groth16ProofJson;
  readonly publicSignals: readonly string[];
  /** Attempts the backend made (lost provers, failed runs) before this result. */
  readonly attempts: number;
  readonly witnessMs: number;
  readonly proveMs: number;
  /** The prover that made it (queue: its `--id`; pool: `pool-<pid>`), if known. */
  readonly prover?: string;
  /** From `prove` being called to the result in hand (queue: enqueue, lease, prove, return), ms. */
  readonly roundTripMs?: number;
  /** The prover's own time on the job (witness + prove + its verification), ms. */
  readonly proverMs?: number;
  /** The prover's check of its own proof against the verification key, ms, if reported. */
  readonly verifyMs?: number;
  /** Which witness generator ran (prover/witness.ts), if reported. */
  readonly witness?: "native" | "wasm";
}

/** A job that failed `maxAttempts` times (or a backend that closed under it). */
export class ProvingError extends Error {
  readonly code = "PROVING_FAILED";
  constructor(
    readonly jobId: string,
    readonly attempts: number,
    message: string,
  ) {
    super(`job ${jobId} failed after ${attempts} attempts: ${message}`);
    this.name = "ProvingError";
  }
}

/**
 * A prover's result the venue cannot read, or one that names another job: handled like a wrong
 * proof (counted, the job re-run without that prover).
 */
export class MalformedResultError extends Error {
  readonly code = "MALFORMED_PROOF_RESULT";
  constructor(
    readonly jobId: string,
    reason: string,
    readonly prover: string | undefined,
  ) {
    super(`job ${jobId}: ${reason}`);
    this.name = "MalformedResultError";
  }
}

export interface ProveOptions {
  /** Provers whose proof of this job the venue rejected: the job is not given to them again. */
  readonly exclude?: readonly string[];
  /**
   * A digest of what is proved (the batch's public inputs): two different batches under the same
   * job id (a journal started afresh against the same queue) never share a queued job.
   */
  readonly inputKey?: string;
  /** The batch number, carried in the job for logs and the prover's status. */
  readonly batch?: bigint;
}

/** One prover as the venue sees it. */
export interface ProverStatus {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly state: "idle" | "proving" | "stopping";
  /** The job it is proving, or null. */
  readonly job: string | null;
  readonly batch: string | null;
  /** Since when it is in `state`, unix ms. */
  readonly since: number;
  /** Last heartbeat, unix ms. */
  readonly lastSeen: number;
  readonly proved: number;
  readonly failed: number;
}

/** A backend's queue and provers, as `/metrics` and `GET /v1/status` show them. */
export interface BackendStats {
  readonly backend: "embedded" | "queue";
  /** Jobs waiting for a prover. */
  readonly waiting: number;
  /** Jobs a prover is working on. */
  readonly active: number;
  /** Age of the oldest unfinished job (waiting or active), ms, or null. */
  readonly oldestJobAgeMs: number | null;
  readonly provers: readonly ProverStatus[];
  /** Jobs re-queued after a lost prover or a failed run since start. */
  readonly requeued: number;
  /** Jobs found missing from the queue (its server lost them) and added again since start. */
  readonly lost: number;
}

export interface ProofBackend {
  /** False: results come from processes the venue does not run; each proof is verified again. */
  readonly trusted: boolean;
  /** Proves `input`; resolves with what a prover returned or rejects with ProvingError. */
  prove(jobId: string, input: unknown, options?: ProveOptions): Promise<ProofResult>;
  stats(): Promise<BackendStats>;
  /** Stops taking jobs and releases processes and connections. */
  close(): Promise<void>;
}

/** Idle capacity: a job given now would start at once. */
export function hasIdleProver(stats: BackendStats): boolean {
  return stats.waiting === 0 && stats.provers.some((p) => p.state === "idle");
}
