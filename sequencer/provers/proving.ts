/**
 * The proving stage of the batch pipeline: every closed batch (including those a restart finds
 * unproved in the journal) goes to the proof backend (prover/backend.ts: the embedded prover pool,
 * or the queue of a prover fleet) as `toCircuitInput(batch)`. A result is used only if its public
 * signals equal the batch's own `publicInputs` and, from a backend whose provers the venue does
 * not run, its proof verifies with the venue's verification key; then the packed proof is
 * journaled and the batch is `proved`. A wrong result is counted, logged and never recorded: the
 * job runs again without the prover that made it.
 *
 * Proofs may finish out of order (several provers); L1 submission (next stage) takes them in
 * batch order. A result for a batch that is no longer being proved is discarded.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { packProof } from "../../protocol/proof.ts";
import { hasIdleProver, MalformedResultError, ProvingError } from "../../prover/backend.ts";
import type { BackendStats, ProofBackend, ProofResult } from "../../prover/backend.ts";
import type { Sequencer } from "../core/sequencer.ts";
import type { ClosedBatch } from "../core/ledger.ts";

/** The circuit's public signals differ from the reference model's public inputs. */
export class PublicInputMismatchError extends Error {
  readonly code = "PUBLIC_INPUT_MISMATCH";
}

/** Every run of a batch's job returned a result the venue rejected. */
export class RejectedProofsError extends Error {
  readonly code = "PROOFS_REJECTED";
}

export interface ProvingStageOptions {
  /** Runs of one batch's job that may return a rejected result before the batch fails (default 3). */
  readonly maxRuns?: number;
  /** The venue's verification key (snarkjs JSON): proofs from an untrusted backend are verified with it. */
  readonly vkeyFile?: string | null;
  /** Called on every result: accepted, rejected (wrong), or discarded (late or duplicate). */
  readonly onResult?: (outcome: "accepted" | "rejected" | "discarded", result: ProofResult | null) => void;
}

/** Proofs per minute are counted over this window. */
const RATE_WINDOW_MS = 60_000;

export class ProvingStage {
  private readonly inFlight = new Map<bigint, Promise<void>>();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private vkey: unknown = null;
  private readonly acceptedAt: number[] = [];
  private snapshot: BackendStats | null = null;
  private readonly counts = { accepted: 0, rejected: 0, discarded: 0 };

  constructor(
    private readonly venue: Sequencer,
    private readonly backend: ProofBackend,
    private readonly log: Logger,
    private readonly options: ProvingStageOptions = {},
  ) {}

  /** Proves what the journal left unproved, then every batch as it closes. */
  start(): void {
    for (const closed of this.venue.unprovedBatches()) this.enqueue(closed);
    this.unsubscribe = this.venue.on((e) => {
      if (e.type === "batch") this.enqueue(e.closed);
    });
  }

  private enqueue(closed: ClosedBatch): void {
    if (this.inFlight.has(closed.number)) return;
    const done = this.prove(closed).finally(() => this.inFlight.delete(closed.number));
    this.inFlight.set(closed.number, done);
  }

  private async prove(closed: ClosedBatch): Promise<void> {
    const n = closed.number;
    this.venue.setBatchStatus(n, "proving");
    try {
      const input = toCircuitInput(closed.batch);
      const expected = closed.head.publicInputs.map((v) => v.toString());
      const inputKey = createHash("sha256").update(expected.join(",")).digest("hex");
      const exclude: string[] = [];
      const maxRuns = this.options.maxRuns ?? 3;
      for (let run = 1; ; run++) {
        const jobId = run === 1 ? `batch-${n}` : `batch-${n}-r${run}`;
        let result: ProofResult | null = null;
        let problem: string | null;
        let prover: string | undefined;
        try {
          result = await this.backend.prove(jobId, input, { exclude, inputKey, batch: n });
          prover = result.prover;
          problem = await this.check(jobId, result, expected);
        } catch (e) {
          if (!(e instanceof MalformedResultError)) throw e;
          problem = e.message;
          prover = e.prover;
        }
        if (this.stopped) return;
        if (problem === null && result !== null) {
          this.accept(n, jobId, result);
          return;
        }
        this.counts.rejected += 1;
        this.options.onResult?.("rejected", result);
        this.log.warn({ batch: n.toString(), job: jobId, prover, problem, run }, "proof rejected: never recorded");
        // The venue's own provers verified with the venue's key: a mismatch there is the circuit
        // and the reference model disagreeing, which no re-run changes.
        if (this.backend.trusted && result !== null)
          throw new PublicInputMismatchError(`batch ${n}: ${problem ?? "rejected"}`);
        if (run >= maxRuns)
          throw new RejectedProofsError(`batch ${n}: ${run} proofs rejected, the last: ${problem ?? "rejected"}`);
        if (prover !== undefined && !exclude.includes(prover)) exclude.push(prover);
      }
    } catch (e) {
      if (this.stopped) return;
      // A failed batch stays in the journal with its reason; the operator retries it after a fix.
      this.venue.setBatchStatus(n, "failed", e instanceof Error ? e.message : String(e));
      const kind =
        e instanceof ProvingError
          ? "prover"
          : e instanceof PublicInputMismatchError
            ? "mismatch"
            : e instanceof RejectedProofsError
              ? "rejected"
              : "input";
      this.log.error({ batch: n.toString(), kind, err: e }, "batch proof failed");
    }
  }

  /** Why `result` must not be used for job `jobId`, or null when it is good. */
  private async check(jobId: string, result: ProofResult, expected: readonly string[]): Promise<string | null> {
    if (result.jobId !== jobId) return `the result is for job ${result.jobId}, not ${jobId}`;
    if (result.publicSignals.join(",") !== expected.join(","))
      return "the circuit's public signals differ from the batch's public inputs (reference model)";
    if (this.backend.trusted) return null;
    try {
      packProof(result.proof);
    } catch (e) {
      return `the proof is malformed: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (this.options.vkeyFile === undefined || this.options.vkeyFile === null)
      return "no verification key to check a proof from outside the venue";
    this.vkey ??= JSON.parse(readFileSync(this.options.vkeyFile, "utf8")) as unknown;
    const ok = await snarkjs.groth16.verify(this.vkey, [...expected], result.proof);
    return ok ? null : "the proof does not verify with the venue's verification key";
  }

  private accept(n: bigint, jobId: string, result: ProofResult): void {
    // Idempotent by batch: a result for a batch already proved (or no longer pending) is late.
    const status = this.venue.batchStatus(n);
    if (status !== "proving") {
      this.counts.discarded += 1;
      this.options.onResult?.("discarded", result);
      this.log.info({ batch: n.toString(), job: jobId, status }, "late or duplicate proof discarded");
      return;
    }
    this.venue.recordProof(n, packProof(result.proof));
    this.counts.accepted += 1;
    this.acceptedAt.push(Date.now());
    this.options.onResult?.("accepted", result);
    this.log.info(
      {
        batch: n.toString(),
        job: jobId,
        prover: result.prover,
        attempts: result.attempts,
        witnessMs: Math.round(result.witnessMs),
        proveMs: Math.round(result.proveMs),
        ...(result.roundTripMs === undefined ? {} : { roundTripMs: Math.round(result.roundTripMs) }),
      },
      "batch proved",
    );
  }

  /** Resolves when every batch handed to the stage so far is proved or failed. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** Reads the backend's queue and provers (kept for `status`; a failed read keeps the last). */
  async refresh(): Promise<void> {
    try {
      this.snapshot = await this.backend.stats();
    } catch (e) {
      if (this.stopped) return;
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, "reading the prover backend's status failed");
    }
  }

  /**
   * Whether a job given now would start at once (a prover idle, nothing waiting): the venue then
   * closes a partial batch on age. Null before the first read.
   */
  idleCapacity(): boolean | null {
    return this.snapshot === null ? null : hasIdleProver(this.snapshot);
  }

  /** The backend's last stats and the stage's counts. */
  status(now = Date.now()) {
    while (this.acceptedAt.length > 0 && this.acceptedAt[0]! < now - RATE_WINDOW_MS) this.acceptedAt.shift();
    return {
      backend: this.snapshot,
      trusted: this.backend.trusted,
      proofsPerMinute: this.acceptedAt.length,
      ...this.counts,
      inFlight: this.inFlight.size,
    };
  }

  /** Stops taking batches; results that arrive later are not recorded (a restart proves them). */
  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/**
 * The pipeline as `GET /v1/status` (`pipeline`) and `/metrics` show it: how far proving trails
 * the book (closed batches not yet proved, and how long ago the oldest of them closed), the proof
 * queue and each prover.
 */
export function pipelineView(venue: Sequencer, stage: ProvingStage | null, nowMs: bigint) {
  const unproved = venue.unprovedBatches();
  const oldest = unproved[0];
  const openBatch = venue.ledger.currentBatch;
  const s = stage?.status(Number(nowMs)) ?? null;
  const b = s?.backend ?? null;
  const now = Number(nowMs);
  return {
    backend: stage === null ? "none" : (b?.backend ?? "unknown"),
    openBatch,
    /** Every batch up to this one is proved (or on L1). */
    provedThrough: (oldest?.number ?? openBatch) - 1n,
    /** Closed batches not yet proved: how far proving trails the book, in batches. */
    unprovedBatches: unproved.length,
    /** Since the oldest unproved batch closed, ms: how far proving trails the book, in time. */
    provingLagMs: oldest === undefined ? 0n : nowMs > oldest.closedAt ? nowMs - oldest.closedAt : 0n,
    queue:
      b === null
        ? null
        : {
            waiting: b.waiting,
            active: b.active,
            oldestJobAgeMs: b.oldestJobAgeMs,
            requeued: b.requeued,
            lost: b.lost,
          },
    proofsPerMinute: s?.proofsPerMinute ?? 0,
    proofs: s === null ? null : { accepted: s.accepted, rejected: s.rejected, discarded: s.discarded },
    idleCapacity: stage?.idleCapacity() ?? null,
    provers: (b?.provers ?? []).map((p) => ({
      id: p.id,
      host: p.host,
      state: p.state,
      job: p.job,
      batch: p.batch,
      forMs: Math.max(0, now - p.since),
      lastSeenMs: Math.max(0, now - p.lastSeen),
      proved: p.proved,
      failed: p.failed,
    })),
  };
}

export type PipelineView = ReturnType<typeof pipelineView>;
