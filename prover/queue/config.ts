/**
 * The proof queue shared by the venue (prover/queue/client.ts) and its provers
 * (prover/queue/prover.ts, `npm run prover -- --queue <url>`): BullMQ on Redis. This file holds
 * what both sides must agree on: the queue URL check, the job and result schemas, the names of
 * the heartbeat keys, the lease timing, and the errors a bad queue URL gives.
 *
 * Why BullMQ on Redis (docs/deployment.md, "Provers as a fleet"): a lease with heartbeat is
 * BullMQ's job lock (renewed while a prover works, taken back by the stalled-job check when it
 * stops), job ids deduplicate, and Redis with `--appendonly yes --appendfsync always` keeps every
 * acknowledged job across a restart.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { z } from "zod";

/** The default queue (one per venue sharing a Redis: set a name per venue). */
export const DEFAULT_QUEUE_NAME = "tessera-proofs";
/** The Redis key prefix of BullMQ's keys and the provers' heartbeats. */
export const KEY_PREFIX = "tessera";

/**
 * Lease timing. `lockMs`: a prover's lease on a job, renewed every `lockMs / 2` while it proves
 * (the heartbeat). A prover that stops renewing (killed, partitioned, its event loop blocked
 * longer than the lease) loses the job at the next stalled check (`stalledMs`), and the job goes
 * back to the queue. A job taken back more than `maxStalledCount` times fails (the venue then
 * retries it up to its attempts). `heartbeatMs`: how often a prover announces itself.
 */
export interface QueueTiming {
  readonly lockMs: number;
  readonly stalledMs: number;
  readonly maxStalledCount: number;
  readonly heartbeatMs: number;
}

/** Production defaults: a lost prover costs at most lockMs + stalledMs (45 s) of a job. */
export const DEFAULT_TIMING: QueueTiming = {
  lockMs: 30_000,
  stalledMs: 15_000,
  maxStalledCount: 3,
  heartbeatMs: 5_000,
};

export type QueueErrorCode = "BAD_QUEUE_URL" | "QUEUE_UNREACHABLE" | "QUEUE_CLOSED";

/** A queue the venue or a prover cannot use; the message says what to do. */
export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "QueueError";
  }
}

/** A parsed queue URL: `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS). */
export interface QueueUrl {
  readonly url: string;
  /** The URL with any password replaced by `***`, for logs. */
  readonly redacted: string;
}

export function parseQueueUrl(raw: string): QueueUrl {
  const hint =
    "expected redis://[user:password@]host[:port][/db] or rediss://… (TLS), e.g. redis://127.0.0.1:6379 " +
    "(docs/deployment.md, Provers as a fleet)";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new QueueError("BAD_QUEUE_URL", `the prover queue URL ${JSON.stringify(raw)} is not a URL: ${hint}`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new QueueError(
      "BAD_QUEUE_URL",
      `the prover queue URL scheme ${JSON.stringify(u.protocol)} is not supported (the queue is BullMQ on Redis): ${hint}`,
    );
  if (u.hostname === "") throw new QueueError("BAD_QUEUE_URL", `the prover queue URL has no host: ${hint}`);
  if (u.port !== "" && !(Number(u.port) > 0 && Number(u.port) < 65536))
    throw new QueueError("BAD_QUEUE_URL", `the prover queue URL's port ${u.port} is out of range: ${hint}`);
  if (u.pathname !== "" && u.pathname !== "/" && !/^\/\d{1,2}$/.test(u.pathname))
    throw new QueueError(
      "BAD_QUEUE_URL",
      `the prover queue URL's path ${JSON.stringify(u.pathname)} must be a Redis database number: ${hint}`,
    );
  const redacted = new URL(raw);
  if (redacted.password !== "") redacted.password = "***";
  return { url: raw, redacted: redacted.toString() };
}

/** What the venue learns about the Redis behind the queue at start. */
export interface QueueServerInfo {
  readonly version: string;
  /** AOF on: acknowledged jobs survive a restart (with `appendfsync always`, every one). */
  readonly appendOnly: boolean;
  readonly appendFsync: string | null;
  /** BullMQ needs `noeviction`: an evicted job key is a lost job. */
  readonly maxmemoryPolicy: string | null;
}

/**
 * Connects once to check the queue server answers, within `timeoutMs`; QUEUE_UNREACHABLE with
 * the cause otherwise. Reads the persistence settings the operator should see.
 */
export async function probeQueue(queue: QueueUrl, timeoutMs = 5_000): Promise<QueueServerInfo> {
  const redis = new Redis(queue.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError = "";
  redis.on("error", (e: Error) => (lastError = e.message));
  try {
    await redis.connect();
    const info = await redis.info();
    const field = (name: string): string | null => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? null;
    let appendFsync: string | null = null;
    try {
      const got = (await redis.call("CONFIG", "GET", "appendfsync")) as string[];
      appendFsync = got[1] ?? null;
    } catch {
      // CONFIG may be disabled on a managed Redis; then it is unknown.
    }
    return {
      version: field("redis_version") ?? "unknown",
      appendOnly: field("aof_enabled") === "1",
      appendFsync,
      maxmemoryPolicy: field("maxmemory_policy"),
    };
  } catch (e) {
    const cause = lastError || (e instanceof Error ? e.message : String(e));
    throw new QueueError(
      "QUEUE_UNREACHABLE",
      `cannot reach the prover queue at ${queue.redacted} (${cause}). Start Redis there ` +
        "(redis-server --appendonly yes --appendfsync always, docs/deployment.md) or fix the URL.",
    );
  } finally {
    redis.disconnect();
  }
}

/** Warnings about a queue server whose settings can lose jobs. */
export function serverWarnings(info: QueueServerInfo): string[] {
  const out: string[] = [];
  if (!info.appendOnly) out.push("Redis runs without AOF (appendonly no): queued proof jobs are lost if it restarts");
  else if (info.appendFsync !== null && info.appendFsync !== "always")
    out.push(`Redis fsyncs its AOF ${info.appendFsync}, not always: a crash can lose the last jobs acknowledged`);
  if (info.maxmemoryPolicy !== null && info.maxmemoryPolicy !== "noeviction")
    out.push(`Redis maxmemory-policy is ${info.maxmemoryPolicy}; BullMQ needs noeviction (an evicted job is lost)`);
  return out;
}

/** Field elements and proof coordinates cross Redis as decimal strings. */
const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "a decimal string");

/** A proof job: what a prover needs to find the circuit and prove. */
export const jobDataSchema = z.object({
  v: z.literal(1),
  /** The venue's job id (`batch-<n>`, `batch-<n>-r<k>` for a re-run). */
  jobId: z.string().min(1).max(100),
  batch: decimal.nullable(),
  /** The circuit profile (circuits/profiles.json): the prover builds or finds its artifacts. */
  profile: z.string().regex(/^[a-z0-9_-]+$/),
  /** sha256 of the venue's verification key: a prover with other keys refuses the job. */
  vkeyHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Circuit input signals (protocol/circuitInput.ts `toCircuitInput`). */
  input: z.record(z.string(), z.unknown()),
  /** Provers whose proof of this batch the venue rejected. */
  exclude: z.array(z.string()).max(64),
  enqueuedAt: z.number().int(),
});
export type ProofJobData = z.infer<typeof jobDataSchema>;

const g1 = z.tuple([decimal, decimal, decimal]).readonly();
const fp2 = z.tuple([decimal, decimal]).readonly();
const g2 = z.tuple([fp2, fp2, fp2]).readonly();

/** What a prover returns; the venue reads it as untrusted input. */
export const jobResultSchema = z.object({
  v: z.literal(1),
  jobId: z.string(),
  batch: decimal.nullable(),
  prover: z.string().min(1).max(200),
  proof: z.object({ pi_a: g1, pi_b: g2, pi_c: g1, protocol: z.literal("groth16"), curve: z.literal("bn128") }),
  publicSignals: z.array(decimal).max(64),
  witnessMs: z.number().nonnegative(),
  proveMs: z.number().nonnegative(),
  verifyMs: z.number().nonnegative(),
});
export type ProofJobResult = z.infer<typeof jobResultSchema>;

/** A prover's heartbeat record (JSON at `proverKey`, expiring after 3 heartbeats). */
export const heartbeatSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  state: z.enum(["idle", "proving", "stopping"]),
  job: z.string().nullable(),
  batch: z.string().nullable(),
  since: z.number(),
  lastSeen: z.number(),
  proved: z.number().int(),
  failed: z.number().int(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** The set of prover ids that announced themselves on `queueName`. */
export function proversSetKey(queueName: string): string {
  return `${KEY_PREFIX}:${queueName}:provers`;
}

/** One prover's heartbeat key. */
export function proverKey(queueName: string, id: string): string {
  return `${KEY_PREFIX}:${queueName}:prover:${id}`;
}

/** sha256 (hex) of a verification key file's JSON, re-serialised (formatting does not count). */
export function vkeyHash(file: string): string {
  const canonical = JSON.stringify(JSON.parse(readFileSync(file, "utf8")) as unknown);
  return createHash("sha256").update(canonical).digest("hex");
}
