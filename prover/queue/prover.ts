/**
 * One prover of the fleet: takes leased proof jobs from the BullMQ queue, one at a time, proves
 * each with the proving engine (prover/engine.ts: key kept loaded, native witness when built),
 * verifies its own proof against the verification key, and returns proof and public signals.
 *
 * - Proving runs in a child process (prover/pool.ts, one prover process per circuit profile, the
 *   key loaded at start), never on this process's event loop: snarkjs holds the loop it runs on
 *   for seconds at a time (witness, MSM set-up, verification), and this loop renews the lease
 *   and writes the heartbeat. A lease is therefore lost only when this process stops, never
 *   because a proof is slow.
 * - Lease: BullMQ's job lock, renewed every `lockMs / 2` while proving (the heartbeat on the job).
 *   A prover killed mid-proof stops renewing (its proving process ends with it); the stalled-job
 *   check of any prover gives the job to another once the lease ran out.
 * - Time limit: a proof that runs longer than `jobTimeoutMs` is stopped (its proving process
 *   killed and replaced) and the job fails with that reason; the venue retries it
 *   (prover/queue/client.ts, up to its `maxAttempts`).
 * - Presence: every `heartbeatMs` the prover writes its status (idle, proving which job, counts) to
 *   a key that expires after three missed beats; the venue reads these for `/v1/status`.
 * - Artifacts: the job names its circuit profile and the sha256 of the venue's verification key.
 *   The prover builds or finds that profile's artifacts (scripts/zk/build.ts, cached under
 *   build/zk/) and hands back, untouched, any job whose key differs from its own, or that the
 *   venue excluded it from (it returned a proof the venue rejected).
 */
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { DelayedError, Worker } from "bullmq";
import type { Job } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Groth16ProofJson } from "../../protocol/proof.ts";
import { BASE_FIELD_MODULUS } from "../../protocol/proof.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import type { ProverArtifacts } from "../messages.ts";
import { ProverPool } from "../pool.ts";
import { jobDataSchema, KEY_PREFIX, proverKey, proversSetKey, vkeyHash } from "./config.ts";
import type { Heartbeat, ProofJobData, ProofJobResult, QueueTiming, QueueUrl } from "./config.ts";

export interface QueueProverOptions {
  readonly queue: QueueUrl;
  readonly queueName: string;
  /** Unique in the fleet; shown in the venue's status (default host-pid). */
  readonly id: string;
  readonly timing: QueueTiming;
  /** A proof that runs longer than this is stopped and its job failed (the venue retries it). */
  readonly jobTimeoutMs: number;
  /** Profiles to build or load at start, so the first job does not wait for them. */
  readonly preload: readonly string[];
  readonly log: Logger;
  /**
   * DEVELOPMENT AND TESTS ONLY: return every proof with its `A` point negated (a valid curve
   * point, a wrong proof) after the prover's own check passed. prover/main.ts refuses it unless
   * NODE_ENV=test. It exists so the fleet tests can show the venue catching a lying prover.
   */
  readonly devCorruptProofs?: boolean;
}

/** Time a handed-back job waits before a prover may take it again. */
const HAND_BACK_MS = 250;

/** One circuit profile's proving process (a pool of one) and the hash of its verification key. */
interface Engine {
  readonly pool: ProverPool;
  readonly witness: "native" | "wasm" | undefined;
  readonly vkeyHash: string;
}

/** Negates the proof's A point: on the curve, well-formed, and wrong. */
function corrupt(proof: Groth16ProofJson): Groth16ProofJson {
  const y = BigInt(proof.pi_a[1]);
  return { ...proof, pi_a: [proof.pi_a[0], ((BASE_FIELD_MODULUS - y) % BASE_FIELD_MODULUS).toString(), proof.pi_a[2]] };
}

export class QueueProver {
  private readonly engines = new Map<string, Promise<Engine>>();
  private readonly redis: Redis;
  private readonly worker: Worker<ProofJobData, ProofJobResult>;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private status: Heartbeat;
  private closing: Promise<void> | null = null;
  private lastError = "";

  private constructor(private readonly options: QueueProverOptions) {
    const now = Date.now();
    this.status = {
      id: options.id,
      host: hostname(),
      pid: process.pid,
      state: "idle",
      job: null,
      batch: null,
      since: now,
      lastSeen: now,
      proved: 0,
      failed: 0,
    };
    this.redis = new Redis(options.queue.url, { maxRetriesPerRequest: 1 });
    this.redis.on("error", (e: Error) => this.logError("heartbeat connection", e));
    this.worker = new Worker<ProofJobData, ProofJobResult>(
      options.queueName,
      (job, token) => this.process(job, token),
      {
        connection: { url: options.queue.url },
        prefix: KEY_PREFIX,
        name: options.id,
        concurrency: 1,
        autorun: false,
        lockDuration: options.timing.lockMs,
        stalledInterval: options.timing.stalledMs,
        maxStalledCount: options.timing.maxStalledCount,
        // The venue's job options decide how long finished jobs stay (prover/queue/client.ts).
        removeOnComplete: { age: 3_600, count: 1_000 },
        removeOnFail: { age: 86_400, count: 1_000 },
      },
    );
    this.worker.on("error", (e: Error) => this.logError("queue connection", e));
  }

  /** Loads the preloaded profiles, announces the prover, and starts taking jobs. */
  static async start(options: QueueProverOptions): Promise<QueueProver> {
    const p = new QueueProver(options);
    for (const profile of options.preload) {
      const engine = await p.engine(profile);
      options.log.info({ profile, witness: engine.witness, vkeyHash: engine.vkeyHash }, "circuit artifacts loaded");
    }
    await p.beat();
    p.heartbeatTimer = setInterval(() => void p.beat(), options.timing.heartbeatMs);
    void p.worker.run().catch((e: unknown) => p.logError("worker loop", e));
    await p.worker.waitUntilReady();
    options.log.info(
      { id: options.id, queue: options.queue.redacted, name: options.queueName, timing: options.timing },
      "prover ready",
    );
    return p;
  }

  get id(): string {
    return this.options.id;
  }

  private logError(where: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    // A Redis outage repeats the same error on every retry: log each distinct one once.
    if (message === this.lastError) return;
    this.lastError = message;
    this.options.log.warn({ where, err: message }, "queue error (retrying)");
  }

  private async beat(): Promise<void> {
    this.status = { ...this.status, lastSeen: Date.now() };
    const { queueName, timing, id } = this.options;
    try {
      await this.redis
        .multi()
        .set(proverKey(queueName, id), JSON.stringify(this.status), "PX", 3 * timing.heartbeatMs)
        .sadd(proversSetKey(queueName), id)
        .exec();
      this.lastError = "";
    } catch (e) {
      this.logError("heartbeat", e);
    }
  }

  private setState(state: Heartbeat["state"], job: ProofJobData | null): void {
    this.status = { ...this.status, state, job: job?.jobId ?? null, batch: job?.batch ?? null, since: Date.now() };
    void this.beat();
  }

  /**
   * The engine of `profile`: its artifacts built or found once, and a proving process that keeps
   * the proving key loaded. One job at a time reaches it (the worker's concurrency is 1), so its
   * pool makes one attempt per job: retries are the venue's, through the queue.
   */
  private engine(profile: string): Promise<Engine> {
    let e = this.engines.get(profile);
    if (e === undefined) {
      e = (async () => {
        const built = await ensureProfileBuilt(profile, { quiet: true });
        const artifacts: ProverArtifacts = { wasm: built.wasm, zkey: built.zkey, vkey: built.vkey };
        const pool = new ProverPool({
          artifacts,
          provers: 1,
          maxAttempts: 1,
          timeoutMs: this.options.jobTimeoutMs,
          preload: true,
        });
        try {
          const ready = await pool.whenReady();
          return { pool, witness: ready.witness, vkeyHash: vkeyHash(built.vkey) };
        } catch (err) {
          await pool.close();
          throw err;
        }
      })();
      this.engines.set(profile, e);
      e.catch(() => this.engines.delete(profile));
    }
    return e;
  }

  /** Puts a job back in the queue, untouched, for another prover. */
  private async handBack(job: Job<ProofJobData, ProofJobResult>, token: string | undefined): Promise<never> {
    await job.moveToDelayed(Date.now() + HAND_BACK_MS, token);
    throw new DelayedError();
  }

  private async process(job: Job<ProofJobData, ProofJobResult>, token: string | undefined): Promise<ProofJobResult> {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new Error(`malformed proof job ${job.id}: ${parsed.error.message}`);
    const data = parsed.data;
    const log = this.options.log.child({ job: data.jobId, batch: data.batch, queueJob: job.id });
    if (data.exclude.includes(this.options.id)) {
      log.info("handing back a job whose earlier proof by this prover the venue rejected");
      return this.handBack(job, token);
    }
    const engine = await this.engine(data.profile);
    if (engine.vkeyHash !== data.vkeyHash) {
      log.error(
        { profile: data.profile, mine: engine.vkeyHash, venue: data.vkeyHash },
        "this prover's verification key differs from the venue's: handing the job back. Build the " +
          "profile from the venue's ceremony (TESSERA_PTAU, docs/deployment.md) or point this prover at its own venue's queue",
      );
      return this.handBack(job, token);
    }
    this.setState("proving", data);
    log.info("proving");
    // The longest the lease's event loop waited during the job (logged with "proved"; the fleet
    // bench reports it as `prover_loop_delay_max_ms`): proving in a child process keeps it short.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    try {
      const out = await engine.pool.prove(data.jobId, data.input);
      this.status = { ...this.status, proved: this.status.proved + 1 };
      log.info(
        {
          witness: out.witness,
          witnessMs: Math.round(out.witnessMs),
          proveMs: Math.round(out.proveMs),
          verifyMs: Math.round(out.verifyMs ?? 0),
          loopDelayMaxMs: Math.round(loop.max / 1e6),
        },
        "proved",
      );
      return {
        v: 1,
        jobId: data.jobId,
        batch: data.batch,
        prover: this.options.id,
        proof: this.options.devCorruptProofs === true ? corrupt(out.proof) : out.proof,
        publicSignals: [...out.publicSignals],
        witnessMs: out.witnessMs,
        proveMs: out.proveMs,
        verifyMs: out.verifyMs ?? 0,
      };
    } catch (e) {
      this.status = { ...this.status, failed: this.status.failed + 1 };
      log.error({ err: e instanceof Error ? e.message : String(e) }, "proof failed");
      throw e;
    } finally {
      loop.disable();
      this.setState("idle", null);
    }
  }

  /**
   * Stops taking jobs, lets the running one finish (`force`: abandons it; its lease expires and
   * another prover takes it), withdraws the heartbeat and closes every connection.
   */
  close(force = false): Promise<void> {
    if (this.closing !== null && !force) return this.closing;
    this.closing = (async () => {
      this.status = { ...this.status, state: "stopping", since: Date.now() };
      await this.beat();
      await this.worker.close(force);
      if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
      const { queueName, id } = this.options;
      await this.redis
        .multi()
        .del(proverKey(queueName, id))
        .srem(proversSetKey(queueName), id)
        .exec()
        .catch(() => undefined);
      this.redis.disconnect();
      for (const e of this.engines.values()) await (await e.catch(() => null))?.pool.close();
    })();
    return this.closing;
  }
}
