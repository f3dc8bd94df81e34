/**
 * Service configuration from the environment (`TESSERA_*`), validated by zod. Every variable
 * has a default that suits a local devnet; docs/api.md lists them.
 */
import { z } from "zod";
import { domainSeparator } from "../protocol/batch.ts";
import { Journal } from "./journal/journal.ts";
import { JsonRpcProvider, Wallet } from "ethers";
import { DEFAULT_FEE_SWEEP_THRESHOLD } from "./service.ts";
import type { L1Link, ServiceConfig } from "./service.ts";
import { fieldElement, uint } from "./wire.ts";
import { DEFAULT_RATE_LIMITS } from "./intake/ratelimit.ts";
import { DEFAULT_CHALLENGE_LIMITS } from "./intake/sessions.ts";
import { DEFAULT_MIN_ORDER_NOTIONAL, DEFAULT_MIN_WITHDRAWAL } from "./intake/dust.ts";
import { DEFAULT_MAX_OPEN_ORDERS } from "./intake/server.ts";
import { DEFAULT_WS_LIMITS } from "./intake/ws.ts";
import { DEFAULT_HTTP_LIMITS } from "./intake/httplimits.ts";
import { DEFAULT_MAX_QUEUE, DEFAULT_POLL_WINDOW_US } from "./intake/verify-pool.ts";
import { DEFAULT_HEALTH_BOUNDS } from "./core/health.ts";
import { DEFAULT_SUBMITTER } from "./l1/submitter.ts";
import { DEFAULT_QUEUE_NAME, parseQueueUrl } from "../prover/queue/config.ts";
import { DEFAULT_CHECKPOINT_POLICY } from "./journal/checkpoints.ts";
import { DEFAULT_SYNC_POLL_US } from "./journal/sync-thread.ts";
import { DEFAULT_SNAPSHOT_POLICY } from "./journal/snapshot.ts";
import { DEFAULT_BUILDER_NICE, DEFAULT_BUILDER_PREHASH, DEFAULT_BUILDER_VERIFIERS } from "./builder/remote.ts";

const envSchema = z.object({
  TESSERA_HOST: z.string().default("127.0.0.1"),
  TESSERA_PORT: z.coerce.number().int().min(0).max(65535).default(8600),
  /**
   * The market-data endpoint's port (public channels and reads in a process of their own),
   * `off` for none; default TESSERA_PORT + 1 (a free port when TESSERA_PORT is 0).
   */
  TESSERA_MARKET_DATA_PORT: z.union([z.literal("off"), z.coerce.number().int().min(0).max(65535)]).optional(),
  /**
   * The market-data endpoint's public base URL, when clients reach it through a proxy (for
   * example `https://md.example.com`); `/v1/status` advertises it. Unset: clients use the
   * venue's host with the market-data port.
   */
  TESSERA_MARKET_DATA_URL: z
    .string()
    .url()
    .regex(/^(https?|wss?):\/\//, "an http(s) or ws(s) URL")
    .optional(),
  TESSERA_DB: z.string().min(1).default("tessera-sequencer.db"),
  TESSERA_PROFILE: z.string().default("demo"),
  TESSERA_CHAIN_ID: uint(64, "chain id").default(31337n),
  TESSERA_ROLLUP_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .default("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
  /** pkHash and L1 owner of the system accounts (fee account 0, insurance fund 1) at genesis. */
  TESSERA_FEE_PK_HASH: fieldElement.default(1n),
  TESSERA_FEE_OWNER: uint(160, "owner").default(0n),
  TESSERA_INSURANCE_PK_HASH: fieldElement.default(1n),
  TESSERA_INSURANCE_OWNER: uint(160, "owner").default(0n),
  TESSERA_PRICES: z
    .string()
    .regex(/^\d+(,\d+)*$/)
    .default("300000,6000000")
    .transform((s) => s.split(",").map(BigInt)),
  TESSERA_LISTED_AT: uint(32, "unix seconds").optional(),
  TESSERA_OPTION_WEEKS: z.coerce.number().int().min(0).max(8).default(2),
  /** Further option expiries, comma-separated unix seconds (short-dated test and demo series). */
  TESSERA_OPTION_EXPIRIES: z
    .string()
    .regex(/^[1-9]\d{0,9}(,[1-9]\d{0,9})*$/, "comma-separated unix seconds")
    .transform((s) => s.split(",").map(BigInt))
    .refine((expiries) => expiries.every((t) => t < 1n << 32n), "each expiry fits 32 bits (unix seconds)")
    .optional(),
  TESSERA_STRIKES_EACH_SIDE: z.coerce.number().int().min(0).max(20).default(3),
  TESSERA_ADMIN_TOKEN: z.string().min(16).optional(),
  /**
   * Signature verifiers of the intake (sequencer/intake/verify-pool.ts): threads of the native
   * addon, or processes with the js crypto backend; 0 verifies on the venue's thread.
   */
  TESSERA_VERIFY_WORKERS: z.coerce.number().int().min(0).max(16).default(2),
  /** A partial batch closes once open this long if a prover is idle (service.ts). */
  TESSERA_BATCH_MAX_AGE_MS: z.coerce.number().int().min(100).default(5000),
  /** ... and once open this long whatever the provers do (default 4 x the above, capped by L1). */
  TESSERA_BATCH_HARD_MAX_AGE_MS: z.coerce.number().int().min(100).optional(),
  TESSERA_SESSION_TTL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  TESSERA_ORDER_RATE: z.coerce.number().positive().default(200),
  TESSERA_ORDER_BURST: z.coerce.number().positive().default(400),
  TESSERA_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1 << 20)
    .default(16 * 1024),
  /** FULL (default) keeps the journal's promise across power loss; NORMAL only across a process crash. */
  TESSERA_SYNCHRONOUS: z.enum(["NORMAL", "FULL"]).default("FULL"),
  /** Where closed batches are built: in a process of their own (default) or on the core's thread. */
  TESSERA_BUILDER: z.enum(["process", "inline"]).default("process"),
  /**
   * Signature verifiers of the builder process (TESSERA_BUILDER=process; threads, or processes
   * with the js crypto backend): they verify the next batches' signatures while it hashes; 0
   * verifies on the builder's thread.
   */
  TESSERA_BUILDER_VERIFIERS: z.coerce.number().int().min(0).max(16).default(DEFAULT_BUILDER_VERIFIERS),
  /**
   * How much lower the builder process's scheduling priority is than the venue's (0–19, added to
   * its nice value): the core and the intake verifiers run first on shared cores.
   */
  TESSERA_BUILDER_NICE: z.coerce.number().int().min(0).max(19).default(DEFAULT_BUILDER_NICE),
  /**
   * The builder process hashes the next batch's order trees on a thread of its own while it builds
   * this one (sequencer/builder/prehash.ts). Default: on where the machine has a second core.
   */
  TESSERA_BUILDER_PREHASH: z
    .enum(["0", "1", "false", "true"])
    .default(DEFAULT_BUILDER_PREHASH ? "1" : "0")
    .transform((v) => v === "1" || v === "true"),
  /** Snapshots of the venue (default on): restart = newest valid snapshot + journal tail. */
  TESSERA_SNAPSHOTS: z
    .enum(["0", "1", "false", "true"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  /** A snapshot once this many journal entries were written since the last one... */
  TESSERA_SNAPSHOT_EVERY_ENTRIES: z.coerce.number().int().min(1).default(DEFAULT_SNAPSHOT_POLICY.everyEntries),
  /** ...or once this many batches closed since it, whichever comes first (at a batch boundary). */
  TESSERA_SNAPSHOT_EVERY_BATCHES: z.coerce.number().int().min(1).default(DEFAULT_SNAPSHOT_POLICY.everyBatches),
  /** Snapshots kept in the journal file (the newest). */
  TESSERA_SNAPSHOT_KEEP: z.coerce.number().int().min(1).max(100).default(DEFAULT_SNAPSHOT_POLICY.keep),
  /**
   * The journal's write-ahead log is checkpointed on a thread of its own once this many commands
   * were appended since the last checkpoint (sequencer/journal/checkpoints.ts)...
   */
  TESSERA_CHECKPOINT_EVERY_COMMANDS: z.coerce.number().int().min(1).default(DEFAULT_CHECKPOINT_POLICY.everyCommands),
  /** ...and restarted once it holds this many frames (pages; 16,384 = 64 MiB). */
  TESSERA_CHECKPOINT_RESTART_FRAMES: z.coerce.number().int().min(1).default(DEFAULT_CHECKPOINT_POLICY.restartFrames),
  /**
   * How long the journal's sync thread polls for the next group's sync after one, µs
   * (sequencer/journal/sync-thread.ts); 0 never polls (each sync wakes it).
   */
  TESSERA_SYNC_POLL_US: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_SYNC_POLL_US),
  /** Group commit (default on): the commands of one event-loop turn share one journal commit. */
  TESSERA_GROUP_COMMIT: z
    .enum(["0", "1", "false", "true"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  TESSERA_IP_RATE: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.ipRate),
  TESSERA_IP_BURST: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.ipBurst),
  TESSERA_CANCEL_RATE: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.cancelRate),
  TESSERA_CANCEL_BURST: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.cancelBurst),
  TESSERA_READ_RATE: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.readRate),
  TESSERA_READ_BURST: z.coerce.number().positive().default(DEFAULT_RATE_LIMITS.readBurst),
  TESSERA_RATE_LIMIT_KEYS: z.coerce.number().int().min(100).default(DEFAULT_RATE_LIMITS.maxKeys),
  /** Session challenges pending in all, and per client IP (sequencer/intake/sessions.ts). */
  TESSERA_AUTH_MAX_CHALLENGES: z.coerce.number().int().min(1).default(DEFAULT_CHALLENGE_LIMITS.max),
  TESSERA_AUTH_CHALLENGES_PER_IP: z.coerce.number().int().min(1).default(DEFAULT_CHALLENGE_LIMITS.perIp),
  TESSERA_MAX_OPEN_ORDERS: z.coerce.number().int().min(1).default(DEFAULT_MAX_OPEN_ORDERS),
  /** The smallest order notional (sequencer/intake/dust.ts); 0 turns the rule off. */
  TESSERA_MIN_ORDER_NOTIONAL: uint(64, "collateral units (1e-6 USD)").default(DEFAULT_MIN_ORDER_NOTIONAL),
  /** The smallest withdrawal but one that empties a flat account (dust.ts); 0 turns it off. */
  TESSERA_MIN_WITHDRAWAL: uint(64, "collateral units (1e-6 USD)").default(DEFAULT_MIN_WITHDRAWAL),
  TESSERA_VERIFY_QUEUE: z.coerce.number().int().min(1).default(DEFAULT_MAX_QUEUE),
  /** How long a verifier thread polls the queue after its last job (verify-pool.ts), µs; 0 never. */
  TESSERA_VERIFY_POLL_US: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_POLL_WINDOW_US),
  /** `false` (default), `true`, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed. */
  TESSERA_TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v): boolean | string => (v === "false" ? false : v === "true" ? true : v)),
  TESSERA_WS_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(DEFAULT_WS_LIMITS.maxConnectionsPerIp),
  TESSERA_WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(DEFAULT_WS_LIMITS.maxSubscriptions),
  TESSERA_WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_WS_LIMITS.maxBufferedBytes),
  TESSERA_WS_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_WS_LIMITS.idleTimeoutMs),
  TESSERA_WS_PING_MS: z.coerce.number().int().min(50).default(DEFAULT_WS_LIMITS.pingIntervalMs),
  TESSERA_WS_PONG_TIMEOUT_MS: z.coerce.number().int().min(50).default(DEFAULT_WS_LIMITS.pongTimeoutMs),
  TESSERA_WS_MAX_ANONYMOUS_SUBSCRIBERS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_WS_LIMITS.maxAnonymousSubscribersPerChannel),
  TESSERA_WS_MAX_CONNECTIONS_PER_ACCOUNT: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_WS_LIMITS.maxConnectionsPerAccount),
  /** HTTP (sequencer/intake/httplimits.ts): a connection with no traffic this long is closed. */
  TESSERA_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_LIMITS.idleTimeoutMs),
  /** A request's headers must be in within this long (at most TESSERA_HTTP_REQUEST_TIMEOUT_MS)... */
  TESSERA_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_LIMITS.headersTimeoutMs),
  /** ...and the whole request, body included, within this long; else 408 and closed. */
  TESSERA_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_LIMITS.requestTimeoutMs),
  /** A kept-alive connection is closed after this long without a next request. */
  TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs),
  /** Open HTTP connections per client IP (not with TESSERA_TRUST_PROXY; WebSockets apart). */
  TESSERA_HTTP_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(DEFAULT_HTTP_LIMITS.maxConnectionsPerIp),
  /** Open connections in all, HTTP and WebSocket. */
  TESSERA_HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(DEFAULT_HTTP_LIMITS.maxConnections),
  TESSERA_PROVERS: z.coerce.number().int().min(0).max(8).default(0),
  /** `redis://…`: prove through a prover fleet's queue instead of TESSERA_PROVERS local processes. */
  TESSERA_PROVER_QUEUE: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseQueueUrl(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : String(e) });
      }
    })
    .optional(),
  TESSERA_PROVER_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 of A-Z a-z 0-9 _ -")
    .default(DEFAULT_QUEUE_NAME),
  TESSERA_PROVER_QUEUE_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  TESSERA_PROOF_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  TESSERA_PROOF_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
  TESSERA_FEE_SWEEP_THRESHOLD: uint(56, "quote base units").default(DEFAULT_FEE_SWEEP_THRESHOLD),
  TESSERA_L1_RPC: z.string().url().optional(),
  TESSERA_OPERATOR_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .optional(),
  TESSERA_L1_POLL_MS: z.coerce.number().int().min(100).default(2000),
  /** Blocks on top of what the watcher reads and of a batch before it is final (issue 14 F15). */
  TESSERA_L1_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).default(0),
  TESSERA_L1_SUBMIT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(DEFAULT_SUBMITTER.maxAttempts),
  TESSERA_L1_BACKOFF_MS: z.coerce.number().int().min(0).default(DEFAULT_SUBMITTER.backoffMs),
  TESSERA_L1_MAX_BACKOFF_MS: z.coerce.number().int().min(0).default(DEFAULT_SUBMITTER.maxBackoffMs),
  TESSERA_L1_REPLACE_AFTER_MS: z.coerce.number().int().min(1000).default(DEFAULT_SUBMITTER.replaceAfterMs),
  TESSERA_L1_FEE_BUMP_PERCENT: z.coerce
    .number()
    .int()
    .min(10)
    .max(1000)
    .default(Number(DEFAULT_SUBMITTER.feeBumpPercent)),
  /** Health gate: cancel-only, then halted, past these backlog bounds (sequencer/core/health.ts). */
  TESSERA_BACKLOG_CANCEL_ONLY_BATCHES: z.coerce.number().int().min(1).default(DEFAULT_HEALTH_BOUNDS.cancelOnlyBatches),
  TESSERA_BACKLOG_CANCEL_ONLY_AGE_MS: uint(63, "ms").default(DEFAULT_HEALTH_BOUNDS.cancelOnlyAgeMs),
  TESSERA_BACKLOG_HALT_BATCHES: z.coerce.number().int().min(1).default(DEFAULT_HEALTH_BOUNDS.haltBatches),
  TESSERA_BACKLOG_HALT_AGE_MS: uint(63, "ms").default(DEFAULT_HEALTH_BOUNDS.haltAgeMs),
  TESSERA_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

/**
 * The option listing time: explicit, else the one recorded in the journal, else the first start's
 * second (then recorded by the journal, so restarts list the same markets). Weekly series expire
 * on the Fridays strictly after it, so none is listed expired (today's midnight listed today's
 * 08:00 series on a Friday afternoon).
 */
function listingTime(explicit: bigint | undefined, dbFile: string, nowMs: number): bigint {
  if (explicit !== undefined) return explicit;
  const recorded = Journal.peekMeta(dbFile, "listedAt");
  if (recorded !== null) return BigInt(recorded);
  return BigInt(Math.floor(nowMs / 1000));
}

/** The L1 link from `TESSERA_L1_RPC` + `TESSERA_OPERATOR_KEY`, or null when either is unset. */
export function l1FromEnv(env: NodeJS.ProcessEnv): L1Link | null {
  const e = envSchema.parse(env);
  if (e.TESSERA_L1_RPC === undefined || e.TESSERA_OPERATOR_KEY === undefined) return null;
  const provider = new JsonRpcProvider(e.TESSERA_L1_RPC);
  return {
    rollup: e.TESSERA_ROLLUP_ADDRESS,
    runner: new Wallet(e.TESSERA_OPERATOR_KEY, provider),
    pollMs: e.TESSERA_L1_POLL_MS,
    confirmations: e.TESSERA_L1_CONFIRMATIONS,
    submitter: {
      maxAttempts: e.TESSERA_L1_SUBMIT_ATTEMPTS,
      backoffMs: e.TESSERA_L1_BACKOFF_MS,
      maxBackoffMs: e.TESSERA_L1_MAX_BACKOFF_MS,
      replaceAfterMs: e.TESSERA_L1_REPLACE_AFTER_MS,
      feeBumpPercent: BigInt(e.TESSERA_L1_FEE_BUMP_PERCENT),
    },
  };
}

export function configFromEnv(env: NodeJS.ProcessEnv, nowMs: number): ServiceConfig {
  const r = envSchema
    .refine((e) => e.TESSERA_HTTP_HEADERS_TIMEOUT_MS <= e.TESSERA_HTTP_REQUEST_TIMEOUT_MS, {
      path: ["TESSERA_HTTP_HEADERS_TIMEOUT_MS"],
      message: "must not exceed TESSERA_HTTP_REQUEST_TIMEOUT_MS",
    })
    .safeParse(env);
  if (!r.success)
    throw new Error(`bad configuration: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const e = r.data;
  return {
    host: e.TESSERA_HOST,
    port: e.TESSERA_PORT,
    dbFile: e.TESSERA_DB,
    profile: e.TESSERA_PROFILE,
    domain: domainSeparator(e.TESSERA_CHAIN_ID, e.TESSERA_ROLLUP_ADDRESS),
    system: {
      feeAccount: { pkHash: e.TESSERA_FEE_PK_HASH, owner: e.TESSERA_FEE_OWNER },
      insurance: { pkHash: e.TESSERA_INSURANCE_PK_HASH, owner: e.TESSERA_INSURANCE_OWNER },
    },
    initialPrices: e.TESSERA_PRICES,
    listedAt: listingTime(e.TESSERA_LISTED_AT, e.TESSERA_DB, nowMs),
    optionWeeks: e.TESSERA_OPTION_WEEKS,
    optionExpiries: e.TESSERA_OPTION_EXPIRIES ?? [],
    strikesEachSide: e.TESSERA_STRIKES_EACH_SIDE,
    adminToken: e.TESSERA_ADMIN_TOKEN ?? null,
    verifyWorkers: e.TESSERA_VERIFY_WORKERS,
    batchMaxAgeMs: e.TESSERA_BATCH_MAX_AGE_MS,
    ...(e.TESSERA_BATCH_HARD_MAX_AGE_MS === undefined ? {} : { batchHardMaxAgeMs: e.TESSERA_BATCH_HARD_MAX_AGE_MS }),
    sessionTtlMs: e.TESSERA_SESSION_TTL_MS,
    orderRatePerSecond: e.TESSERA_ORDER_RATE,
    orderBurst: e.TESSERA_ORDER_BURST,
    bodyLimit: e.TESSERA_BODY_LIMIT,
    synchronous: e.TESSERA_SYNCHRONOUS,
    groupCommit: e.TESSERA_GROUP_COMMIT,
    builder: e.TESSERA_BUILDER,
    builderVerifiers: e.TESSERA_BUILDER_VERIFIERS,
    builderNice: e.TESSERA_BUILDER_NICE,
    builderPrehash: e.TESSERA_BUILDER_PREHASH,
    marketData:
      e.TESSERA_MARKET_DATA_PORT === "off"
        ? null
        : {
            port: e.TESSERA_MARKET_DATA_PORT ?? (e.TESSERA_PORT === 0 ? 0 : e.TESSERA_PORT + 1),
            publicUrl: e.TESSERA_MARKET_DATA_URL ?? null,
          },
    snapshots: e.TESSERA_SNAPSHOTS
      ? {
          everyEntries: e.TESSERA_SNAPSHOT_EVERY_ENTRIES,
          everyBatches: e.TESSERA_SNAPSHOT_EVERY_BATCHES,
          keep: e.TESSERA_SNAPSHOT_KEEP,
        }
      : false,
    checkpoints: {
      everyCommands: e.TESSERA_CHECKPOINT_EVERY_COMMANDS,
      startAfterCommands: e.TESSERA_CHECKPOINT_EVERY_COMMANDS,
      restartFrames: e.TESSERA_CHECKPOINT_RESTART_FRAMES,
    },
    syncPollUs: e.TESSERA_SYNC_POLL_US,
    logLevel: e.TESSERA_LOG_LEVEL,
    provers: e.TESSERA_PROVERS,
    proverQueue: e.TESSERA_PROVER_QUEUE ?? null,
    proverQueueName: e.TESSERA_PROVER_QUEUE_NAME,
    proverQueuePollMs: e.TESSERA_PROVER_QUEUE_POLL_MS,
    proofAttempts: e.TESSERA_PROOF_ATTEMPTS,
    proofTimeoutMs: e.TESSERA_PROOF_TIMEOUT_MS,
    feeSweepThreshold: e.TESSERA_FEE_SWEEP_THRESHOLD,
    health: {
      cancelOnlyBatches: e.TESSERA_BACKLOG_CANCEL_ONLY_BATCHES,
      cancelOnlyAgeMs: e.TESSERA_BACKLOG_CANCEL_ONLY_AGE_MS,
      haltBatches: e.TESSERA_BACKLOG_HALT_BATCHES,
      haltAgeMs: e.TESSERA_BACKLOG_HALT_AGE_MS,
    },
    api: {
      rateLimits: {
        ipRate: e.TESSERA_IP_RATE,
        ipBurst: e.TESSERA_IP_BURST,
        cancelRate: e.TESSERA_CANCEL_RATE,
        cancelBurst: e.TESSERA_CANCEL_BURST,
        readRate: e.TESSERA_READ_RATE,
        readBurst: e.TESSERA_READ_BURST,
        maxKeys: e.TESSERA_RATE_LIMIT_KEYS,
      },
      maxOpenOrders: e.TESSERA_MAX_OPEN_ORDERS,
      minOrderNotional: e.TESSERA_MIN_ORDER_NOTIONAL,
      minWithdrawal: e.TESSERA_MIN_WITHDRAWAL,
      challenges: { max: e.TESSERA_AUTH_MAX_CHALLENGES, perIp: e.TESSERA_AUTH_CHALLENGES_PER_IP },
      verifyQueue: e.TESSERA_VERIFY_QUEUE,
      verifyPollUs: e.TESSERA_VERIFY_POLL_US,
      trustProxy: e.TESSERA_TRUST_PROXY,
      http: {
        idleTimeoutMs: e.TESSERA_HTTP_IDLE_TIMEOUT_MS,
        headersTimeoutMs: e.TESSERA_HTTP_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: e.TESSERA_HTTP_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: e.TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS,
        maxConnectionsPerIp: e.TESSERA_HTTP_MAX_CONNECTIONS_PER_IP,
        maxConnections: e.TESSERA_HTTP_MAX_CONNECTIONS,
      },
      ws: {
        maxConnectionsPerIp: e.TESSERA_WS_MAX_CONNECTIONS_PER_IP,
        maxSubscriptions: e.TESSERA_WS_MAX_SUBSCRIPTIONS,
        maxBufferedBytes: e.TESSERA_WS_MAX_BUFFERED_BYTES,
        idleTimeoutMs: e.TESSERA_WS_IDLE_TIMEOUT_MS,
        pingIntervalMs: e.TESSERA_WS_PING_MS,
        pongTimeoutMs: e.TESSERA_WS_PONG_TIMEOUT_MS,
        maxAnonymousSubscribersPerChannel: e.TESSERA_WS_MAX_ANONYMOUS_SUBSCRIBERS,
        maxConnectionsPerAccount: e.TESSERA_WS_MAX_CONNECTIONS_PER_ACCOUNT,
      },
    },
  };
}
