/**
 * One prover of the fleet: takes leased proof jobs from the BullMQ queue, one at a time, proves
 * each with the proving engine (prover/engine.ts: key kept loaded, native witness when built),
 * verifies its own proof against the verification key, and returns proof and public signals.
 *
 * - Lease: BullMQ's job lock, renewed every `lockMs / 2` while proving (the heartbeat on the job).
 *   A prover killed mid-proof stops renewing; the stalled-job check of any prover gives the job
 *   to another once the lease ran out.
 * - Presence: every `heartbeatMs` the prover writes its status (idle, proving which job, counts) to
 *   a key that expires after three missed beats; the venue reads these for `/v1/status`.
 * - Artifacts: the job names its circuit profile and the sha256 of the venue's verification key.
 *   The prover builds or finds that profile's artifacts (scripts/zk/build.ts, cached under
 *   build/zk/) and hands back, untouched, any job whose key differs from its own, or that the
 *   venue excluded it from (it returned a proof the venue rejected).
 */
import { hostname } from "node:os";
import { DelayedError, Worker } from "bullmq";
import type { Job } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Groth16ProofJson } from "../../protocol/proof.ts";
import { BASE_FIELD_MODULUS } from "../../protocol/proof.ts";
import { ensureProfileBuilt } from "../../scripts/zk/build.ts";
import { Prover } from "../engine.ts";
import type { ProverArtifacts } from "../messages.ts";
import { jobDataSchema, KEY_PREFIX, proverKey, proversSetKey, vkeyHash } from "./config.ts";
import type { Heartbeat, ProofJobData, ProofJobResult, QueueTiming, QueueUrl } from "./config.ts";

export interface QueueProverOptions {
  readonly queue: QueueUrl;
  readonly queueName: string;
  /** Unique in the fleet; shown in the venue's status (default host-pid). */
  readonly id: string;
  readonly timing: QueueTiming;
  /** A job that runs longer than this ends the process (its lease then passes the job on). */
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
  /** Called when the process must end (a job past `jobTimeoutMs`); default process.exit. */
  readonly exit?: (code: number) => void;
}

/** Time a handed-back job waits before a prover may take it again. */
const HAND_BACK_MS = 250;

interface Engine {
  readonly prover: Prover;
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
      options.log.info(
        { profile, witness: engine.prover.witnessGenerator, vkeyHash: engine.vkeyHash },
        "circuit artifacts loaded",
      );
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

  /** The engine of `profile`: its artifacts built or found once, the proving key kept loaded. */
  private engine(profile: string): Promise<Engine> {
    let e = this.engines.get(profile);
    if (e === undefined) {
      e = (async () => {
        const built = await ensureProfileBuilt(profile, { quiet: true });
        const artifacts: ProverArtifacts = { wasm: built.wasm, zkey: built.zkey, vkey: built.vkey };
        return { prover: await Prover.open(artifacts), vkeyHash: vkeyHash(built.vkey) };
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
    const timeout = setTimeout(() => {
      log.fatal({ timeoutMs: this.options.jobTimeoutMs }, "job timed out: exiting so that the lease passes it on");
      (this.options.exit ?? process.exit)(3);
    }, this.options.jobTimeoutMs);
    try {
      const out = await engine.prover.prove(data.input);
      this.status = { ...this.status, proved: this.status.proved + 1 };
      log.info(
        {
          witness: out.witness,
          witnessMs: Math.round(out.witnessMs),
          proveMs: Math.round(out.proveMs),
          verifyMs: Math.round(out.verifyMs),
        },
        "proved",
      );
      return {
        v: 1,
        jobId: data.jobId,
        batch: data.batch,
        prover: this.options.id,
        proof: this.options.devCorruptProofs === true ? corrupt(out.proof) : out.proof,
        publicSignals: out.publicSignals,
        witnessMs: out.witnessMs,
        proveMs: out.proveMs,
        verifyMs: out.verifyMs,
      };
    } catch (e) {
      this.status = { ...this.status, failed: this.status.failed + 1 };
      log.error({ err: e instanceof Error ? e.message : String(e) }, "proof failed");
      throw e;
    } finally {
      clearTimeout(timeout);
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
      for (const e of this.engines.values()) await (await e.catch(() => null))?.prover.close();
    })();
    return this.closing;
  }
}
