/**
 * The venue's side of the proof queue: a `ProofBackend` (prover/backend.ts) that puts each proof
 * job in a BullMQ queue on Redis and hands back what a prover of the fleet returned.
 *
 * - Idempotent: the BullMQ job id is the venue's job id plus a digest of the batch's public
 *   inputs. Adding an id that exists adds nothing, so a venue that restarts finds its jobs (and
 *   their results) where it left them; two different batches never share an id.
 * - Durable: the job is in Redis before `prove` waits on it; with AOF (`appendfsync always`)
 *   it survives a Redis restart. While Redis is down, adding and polling retry until it is back;
 *   a job that vanished anyway (Redis restarted without its data) is added again.
 * - Leases: a prover that stops renewing its lock loses the job to the stalled check; a job
 *   that failed (a prover threw, or it lost its lease more than `maxStalledCount` times) is
 *   retried up to `maxAttempts` times, then `prove` rejects with ProvingError.
 * - Untrusted (`trusted: false`): the result is schema-checked here; the proving stage then
 *   checks its public signals against the batch and verifies the proof with the venue's key.
 *
 * Completion is pushed by BullMQ's queue events and also polled every `pollMs`, so a missed event
 * (a reconnect) delays a result by at most one poll.
 */
import { Queue, QueueEvents } from "bullmq";
import type { Job } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { MalformedResultError, ProvingError } from "../backend.ts";
import type { BackendStats, ProofBackend, ProofResult, ProveOptions, ProverStatus } from "../backend.ts";
import {
  heartbeatSchema,
  jobResultSchema,
  KEY_PREFIX,
  probeQueue,
  proverKey,
  proversSetKey,
  QueueError,
  serverWarnings,
  vkeyHash,
} from "./config.ts";
import type { ProofJobData, ProofJobResult, QueueServerInfo, QueueUrl } from "./config.ts";

export interface QueueBackendOptions {
  readonly queue: QueueUrl;
  readonly queueName: string;
  /** The venue's circuit profile and verification key (the provers must hold the same). */
  readonly profile: string;
  readonly vkeyFile: string;
  /** Runs of one job (failed runs, leases lost too often) before `prove` rejects. */
  readonly maxAttempts: number;
  /** How often waiting jobs are checked besides the pushed events (default 1000 ms). */
  readonly pollMs?: number;
  readonly log: Logger;
}

interface Waiter {
  readonly bullId: string;
  readonly data: ProofJobData;
  readonly started: number;
  attempts: number;
  checking: boolean;
  readonly resolve: (r: ProofResult) => void;
  readonly reject: (e: Error) => void;
}

const RETRY_MS = 500;
/** Finished jobs (they hold the batch's whole circuit input) stay this long, seconds. */
const FINISHED_KEEP_S = 3600;

export class QueueBackend implements ProofBackend {
  readonly trusted = false;
  private readonly queue: Queue<ProofJobData, ProofJobResult>;
  private readonly events: QueueEvents;
  private readonly redis: Redis;
  private readonly waiters = new Map<string, Waiter>();
  private readonly vkeyHash: string;
  private readonly pollTimer: NodeJS.Timeout;
  private closed = false;
  private requeued = 0;
  private lost = 0;
  private lastError = "";

  private constructor(
    private readonly options: QueueBackendOptions,
    readonly server: QueueServerInfo,
  ) {
    const connection = { url: options.queue.url };
    this.vkeyHash = vkeyHash(options.vkeyFile);
    this.queue = new Queue<ProofJobData, ProofJobResult>(options.queueName, { connection, prefix: KEY_PREFIX });
    this.queue.on("error", (e: Error) => this.logError("queue", e));
    this.events = new QueueEvents(options.queueName, { connection, prefix: KEY_PREFIX });
    this.events.on("error", (e: Error) => this.logError("queue events", e));
    for (const event of ["completed", "failed"] as const)
      this.events.on(event, ({ jobId }: { jobId: string }) => {
        const w = this.waiters.get(jobId);
        if (w !== undefined) void this.check(w);
      });
    this.redis = new Redis(options.queue.url, { maxRetriesPerRequest: 1 });
    this.redis.on("error", (e: Error) => this.logError("status connection", e));
    this.pollTimer = setInterval(() => {
      for (const w of this.waiters.values()) void this.check(w);
    }, options.pollMs ?? 1000);
  }

  /**
   * Checks the queue answers (QueueError BAD_QUEUE_URL / QUEUE_UNREACHABLE otherwise, at start
   * rather than at the first batch), warns about settings that can lose jobs, and connects.
   */
  static async connect(options: QueueBackendOptions): Promise<QueueBackend> {
    const server = await probeQueue(options.queue);
    for (const w of serverWarnings(server)) options.log.warn({ queue: options.queue.redacted }, w);
    const backend = new QueueBackend(options, server);
    await Promise.all([backend.queue.waitUntilReady(), backend.events.waitUntilReady()]);
    return backend;
  }

  private logError(where: string, e: unknown): void {
    if (this.closed) return;
    const message = e instanceof Error ? e.message : String(e);
    if (message === this.lastError) return;
    this.lastError = message;
    this.options.log.warn({ where, err: message, queue: this.options.queue.redacted }, "prover queue error (retrying)");
  }

  /** Runs `op` until it succeeds or the backend closes (Redis restarting, network down). */
  private async retrying<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.closed) throw new QueueError("QUEUE_CLOSED", `the prover queue closed while ${what}`);
      try {
        const r = await op();
        this.lastError = "";
        return r;
      } catch (e) {
        this.logError(what, e);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private add(w: Waiter): Promise<unknown> {
    return this.retrying("adding a proof job", () =>
      this.queue.add("prove", w.data, {
        jobId: w.bullId,
        attempts: 1,
        // A result is read within seconds; kept an hour for a venue that restarts (then re-proved).
        removeOnComplete: { age: FINISHED_KEEP_S, count: 1000 },
        removeOnFail: { age: 24 * FINISHED_KEEP_S, count: 1000 },
      }),
    );
  }

  prove(jobId: string, input: unknown, options: ProveOptions = {}): Promise<ProofResult> {
    if (this.closed) return Promise.reject(new ProvingError(jobId, 0, "the prover queue client is closed"));
    // BullMQ job ids may not contain ':'.
    const bullId = `${jobId}.${(options.inputKey ?? "").slice(0, 16) || "0"}`.replace(/[^A-Za-z0-9_.-]/g, "_");
    const data: ProofJobData = {
      v: 1,
      jobId,
      batch: options.batch === undefined ? null : options.batch.toString(),
      profile: this.options.profile,
      vkeyHash: this.vkeyHash,
      input: input as Record<string, unknown>,
      exclude: [...(options.exclude ?? [])],
      enqueuedAt: Date.now(),
    };
    return new Promise<ProofResult>((resolve, reject) => {
      const w: Waiter = { bullId, data, started: Date.now(), attempts: 1, checking: false, resolve, reject };
      this.waiters.set(bullId, w);
      this.add(w).then(
        () => void this.check(w),
        (e: unknown) => this.settle(w, e instanceof Error ? e : new Error(String(e))),
      );
    });
  }

  private settle(w: Waiter, outcome: ProofResult | Error): void {
    if (this.waiters.get(w.bullId) !== w) return;
    this.waiters.delete(w.bullId);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  /** Reads the job's state once; settles the waiter when it finished for good. */
  private async check(w: Waiter): Promise<void> {
    if (w.checking || this.closed) return;
    w.checking = true;
    try {
      // The state first, then the job: a job read before its state could have finished in
      // between, and its copy would hold no result (read as a malformed, rejected proof). A
      // finished job's data no longer changes.
      const state = await this.queue.getJobState(w.bullId);
      const job =
        state === "unknown"
          ? undefined
          : ((await this.queue.getJob(w.bullId)) as Job<ProofJobData, ProofJobResult> | undefined);
      if (job === undefined) {
        // Gone: Redis restarted without its data, or an operator removed it. Add it again.
        this.lost += 1;
        this.options.log.warn({ job: w.bullId }, "proof job missing from the queue: adding it again");
        await this.add(w);
        return;
      }
      if (state === "completed") this.completed(w, job);
      else if (state === "failed") await this.failed(w, job);
    } catch (e) {
      this.logError("reading a proof job", e);
    } finally {
      w.checking = false;
    }
  }

  private completed(w: Waiter, job: Job<ProofJobData, ProofJobResult>): void {
    const parsed = jobResultSchema.safeParse(job.returnvalue);
    if (!parsed.success || parsed.data.jobId !== w.data.jobId || parsed.data.batch !== w.data.batch) {
      // A prover's reply the venue cannot read is a wrong proof: the stage counts and re-runs it.
      const reason = parsed.success
        ? `the result names job ${parsed.data.jobId} (batch ${parsed.data.batch}), not ${w.data.jobId} (batch ${w.data.batch})`
        : `malformed result: ${parsed.error.message.slice(0, 300)}`;
      this.settle(w, new MalformedResultError(w.data.jobId, reason, stringField(job.returnvalue, "prover")));
      return;
    }
    const r = parsed.data;
    this.settle(w, {
      jobId: w.data.jobId,
      proof: r.proof,
      publicSignals: r.publicSignals,
      attempts: w.attempts,
      witnessMs: r.witnessMs,
      proveMs: r.proveMs,
      prover: r.prover,
      roundTripMs: Date.now() - w.started,
      proverMs: r.witnessMs + r.proveMs + r.verifyMs,
    });
  }

  private async failed(w: Waiter, job: Job<ProofJobData, ProofJobResult>): Promise<void> {
    const reason = job.failedReason || "unknown";
    if (w.attempts >= this.options.maxAttempts) {
      this.settle(w, new ProvingError(w.data.jobId, w.attempts, reason));
      return;
    }
    w.attempts += 1;
    this.requeued += 1;
    this.options.log.warn({ job: w.bullId, attempt: w.attempts, reason }, "proof job failed: retrying it");
    await this.retrying("retrying a proof job", () => job.retry("failed"));
  }

  async stats(): Promise<BackendStats> {
    const { queueName } = this.options;
    const counts = await this.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    const unfinished = await this.queue.getJobs(["active", "waiting", "delayed", "prioritized"], 0, 199);
    const now = Date.now();
    const oldest = Math.min(...unfinished.map((j) => j.timestamp));
    const ids = await this.redis.smembers(proversSetKey(queueName));
    const beats = ids.length === 0 ? [] : await this.redis.mget(...ids.map((id) => proverKey(queueName, id)));
    const provers: ProverStatus[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const raw = beats[i];
      const parsed = raw === null || raw === undefined ? null : heartbeatSchema.safeParse(JSON.parse(raw) as unknown);
      if (parsed === null || !parsed.success) gone.push(id);
      else provers.push(parsed.data);
    });
    // A prover whose heartbeat expired is gone (its job, if any, comes back with its lease).
    if (gone.length > 0) await this.redis.srem(proversSetKey(queueName), ...gone);
    provers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      backend: "queue",
      waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      oldestJobAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : null,
      provers,
      requeued: this.requeued,
      lost: this.lost,
    };
  }

  /**
   * Stops waiting and closes the connections. Jobs stay in the queue: provers keep proving them,
   * and a restarted venue picks their results up by job id.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    for (const w of [...this.waiters.values()])
      this.settle(w, new ProvingError(w.data.jobId, w.attempts, "the prover queue client closed"));
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }
}

function stringField(v: unknown, key: string): string | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const f = (v as Record<string, unknown>)[key];
  return typeof f === "string" ? f : undefined;
}
