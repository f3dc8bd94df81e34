/**
 * Assembles the venue: crypto, the journaled core (replayed on start), the signature pool,
 * sessions, rate limits, metrics, the HTTP/WS server, the proving stage on its backend (the
 * embedded prover pool, or the queue of a prover fleet: `proverQueue`), and the venue timer that
 * runs the housekeeping commands when due (option expiry, funding, fee sweep:
 * `Sequencer.dueCommands`) and closes a partial batch on age: once it has been open
 * `batchMaxAgeMs` if a prover is idle, and in any case once it has been open
 * `batchHardMaxAgeMs` (capped at a quarter of L1's `maxBatchLag`). Under load batches close on
 * size; a full batch always closes at once.
 */
import type { ContractRunner } from "ethers";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import type { Logger } from "pino";
import { initCrypto } from "../protocol/index.ts";
import { getProfile } from "../protocol/profiles.ts";
import { VerifyPool } from "./intake/verify-pool.ts";
import { VenueMetrics } from "./intake/metrics.ts";
import { ApiLimits, DEFAULT_RATE_LIMITS } from "./intake/ratelimit.ts";
import { DEFAULT_MIN_ORDER_NOTIONAL, DEFAULT_MIN_WITHDRAWAL } from "./intake/dust.ts";
import { buildServer, DEFAULT_MAX_OPEN_ORDERS } from "./intake/server.ts";
import { DEFAULT_HTTP_LIMITS } from "./intake/httplimits.ts";
import { DEFAULT_WS_LIMITS } from "./intake/ws.ts";
import { MarketDataFeed } from "./marketdata/feed.ts";
import type { ApiOptions } from "./intake/server.ts";
import { DEFAULT_CHALLENGE_LIMITS, SessionStore } from "./intake/sessions.ts";
import { Sequencer } from "./core/sequencer.ts";
import type { SystemAccountKeys } from "../protocol/state.ts";
import type { CheckpointPolicy } from "./journal/checkpoints.ts";
import type { Synchronous } from "./journal/journal.ts";
import type { SnapshotPolicy } from "./journal/snapshot.ts";
import { defaultListing } from "./core/listing.ts";
import { ProvingStage } from "./provers/proving.ts";
import { WitnessCheck } from "./provers/witness.ts";
import { L1Submitter, rollupSubmission } from "./l1/submitter.ts";
import type { SubmitterOptions } from "./l1/submitter.ts";
import { readFinalBatchCount, readL1Limits } from "./l1/contracts.ts";
import type { HealthBounds } from "./core/health.ts";
import { L1Watcher } from "./l1/watcher.ts";
import type { ProofBackend } from "../prover/backend.ts";
import { ProverPool } from "../prover/pool.ts";
import { QueueBackend } from "../prover/queue/client.ts";
import { DEFAULT_QUEUE_NAME, parseQueueUrl } from "../prover/queue/config.ts";
import { ensureProfileBuilt } from "../scripts/zk/build.ts";
import { releaseCurve } from "../scripts/zk/ptau.ts";

export interface ServiceConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly dbFile: string;
  readonly profile: string;
  readonly domain: bigint;
  readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
  /** Oracle prices until the first oracle update, cents per underlying; also the strike-grid centre. */
  readonly initialPrices: readonly bigint[];
  /** Option listing time, unix seconds (see listing.ts). */
  readonly listedAt: bigint;
  readonly optionWeeks: number;
  /** Further option expiries, unix seconds, besides the weekly ones (listing.ts); default none. */
  readonly optionExpiries?: readonly bigint[];
  readonly strikesEachSide: number;
  readonly adminToken: string | null;
  /** The intake's signature verifiers (threads, or processes with the js crypto backend; 0: inline). */
  readonly verifyWorkers: number;
  /** A partial batch closes once open this long if a prover is idle (see the file comment). */
  readonly batchMaxAgeMs: number;
  /**
   * A partial batch closes once open this long whatever the provers do (default 4 x
   * `batchMaxAgeMs`; capped at a quarter of L1's `maxBatchLag` when linked to L1).
   */
  readonly batchHardMaxAgeMs?: number;
  readonly sessionTtlMs: number;
  readonly orderRatePerSecond: number;
  readonly orderBurst: number;
  readonly bodyLimit: number;
  readonly synchronous: Synchronous;
  /** Group commit of the journal (default true): one commit per event-loop turn, replies after it. */
  readonly groupCommit?: boolean;
  /** Where closed batches are built (default "process": off the core's thread, sequencer/builder). */
  readonly builder?: "inline" | "process";
  /** The builder process's own signature verifiers, threads or processes as the intake's (default `DEFAULT_BUILDER_VERIFIERS`: 1 on 2 or more cores, else 0; sequencer/builder/builder-worker.ts). */
  readonly builderVerifiers?: number;
  /** How much lower the builder process's priority is (default `DEFAULT_BUILDER_NICE`, 10; sequencer/builder/remote.ts). */
  readonly builderNice?: number;
  /** The builder process hashes the next batch's order trees while it builds this one (default `DEFAULT_BUILDER_PREHASH`; sequencer/builder/prehash.ts). */
  readonly builderPrehash?: boolean;
  /**
   * Snapshots (sequencer/journal/snapshot.ts; default `DEFAULT_SNAPSHOT_POLICY`), or false for
   * none: a restart then replays the whole journal.
   */
  readonly snapshots?: SnapshotPolicy | false;
  /** When the journal's write-ahead log is checkpointed, off the core's thread (sequencer/journal/checkpoints.ts). */
  readonly checkpoints?: Partial<CheckpointPolicy>;
  /**
   * How long the journal's sync thread polls for the next group's sync after one, µs
   * (sequencer/journal/sync-thread.ts); null syncs through libuv's thread pool.
   */
  readonly syncPollUs?: number | null;
  readonly logLevel: string;
  /**
   * Prover processes of the embedded pool; 0 runs the venue without proving (batches stay
   * `closed`), unless `proverQueue` is set.
   */
  readonly provers: number;
  /**
   * `redis://…`: prove through the queue of a prover fleet (`npm run prover -- --queue <url>`)
   * instead of the embedded pool (docs/deployment.md, "Provers as a fleet"). Null: embedded.
   */
  readonly proverQueue?: string | null;
  /** The queue's name (default `tessera-proofs`; one per venue sharing a Redis). */
  readonly proverQueueName?: string;
  /** How often the venue checks its waiting jobs and reads the fleet's status (default 1000 ms). */
  readonly proverQueuePollMs?: number;
  /** Attempts per batch proof before it is marked failed. */
  readonly proofAttempts: number;
  readonly proofTimeoutMs: number;
  /**
   * The fee pool is swept to the fee account once it exceeds this many quote base units
   * (default `DEFAULT_FEE_SWEEP_THRESHOLD`, 1,000 USDC).
   */
  readonly feeSweepThreshold?: bigint;
  /** Rate limits, WebSocket limits, open-order cap, proxy trust (defaults: docs/api.md). */
  readonly api?: ApiOptions;
  /** Backlog bounds of the health gate (default DEFAULT_HEALTH_BOUNDS, docs/deployment.md). */
  readonly health?: HealthBounds;
  /**
   * The market-data endpoint (sequencer/marketdata/): public channels and public reads served
   * by a process of their own on this port (0: a free one). Null or absent: none, and the
   * venue's own endpoint serves them on the core's thread. `publicUrl`: the base URL clients
   * reach it at through a proxy, advertised by `/v1/status` (null or absent: the venue's host
   * with this port).
   */
  readonly marketData?: { readonly port: number; readonly publicUrl?: string | null } | null;
}

/** The L1 link: the rollup contract and a runner that signs as the operator. */
export interface L1Link {
  readonly rollup: string;
  readonly runner: ContractRunner;
  readonly pollMs: number;
  /**
   * Blocks on top of the block the watcher reads (priority operations, oracle rounds) and of a
   * batch's block before it is final (default 0: the local dev chain).
   */
  readonly confirmations?: number;
  /** Retry, backoff and replacement policy of the L1 submitter (defaults DEFAULT_SUBMITTER). */
  readonly submitter?: SubmitterOptions;
}

export interface Service {
  readonly url: string;
  /** `http://host:port` of the market-data endpoint, or null. */
  readonly marketDataUrl: string | null;
  readonly venue: Sequencer;
  readonly app: FastifyInstance;
  readonly log: Logger;
  /** The proving stage, when `provers > 0` or `proverQueue` is set. */
  readonly proving: ProvingStage | null;
  /** Checks every closed batch's witness at once (null without circuit artifacts). */
  readonly witnessCheck: WitnessCheck | null;
  /** The intake's signature verifiers (`verifyWorkers`). */
  readonly verifier: VerifyPool;
  close(): Promise<void>;
}

export const DEFAULT_FEE_SWEEP_THRESHOLD = 1_000_000_000n;

/** A monotonic wall clock in unix ms: never returns less than it did before. */
function monotonicClock(): () => bigint {
  let last = 0n;
  return () => {
    const now = BigInt(Date.now());
    last = now > last ? now : last;
    return last;
  };
}

/**
 * The venue's configuration from the service's and the rollup's limits (read before any replay,
 * so that the replay takes the decisions the venue took: a round too old for L1 opens no batch,
 * issue 14 F14). Shared by the service and the rebuild tool (sequencer/tools/rebuild.ts).
 */
export async function venueSetup(cfg: ServiceConfig, l1: L1Link | null) {
  const profile = getProfile(cfg.profile);
  const markets = defaultListing({
    listedAt: cfg.listedAt,
    spot: cfg.initialPrices,
    weeks: cfg.optionWeeks,
    expiries: cfg.optionExpiries ?? [],
    strikesEachSide: cfg.strikesEachSide,
    underlyings: profile.underlyings,
  });
  const limits = l1 === null ? undefined : await readL1Limits(l1.rollup, l1.runner);
  return {
    profile,
    domain: cfg.domain,
    markets,
    system: cfg.system,
    initialPrices: cfg.initialPrices,
    ...(limits === undefined ? {} : { limits }),
  };
}

export async function startService(cfg: ServiceConfig, l1: L1Link | null = null): Promise<Service> {
  const log = pino({ level: cfg.logLevel, base: { service: "tessera-sequencer" } });
  // A bad queue URL fails the start before anything opens.
  const queueUrl = cfg.proverQueue === undefined || cfg.proverQueue === null ? null : parseQueueUrl(cfg.proverQueue);
  await initCrypto();
  const setup = await venueSetup(cfg, l1);
  const { profile, markets, limits } = setup;
  // L1's final batch count: batches the journal calls submitted beyond it were dropped by a deep
  // reorg and are sent again (the rebuild from L1 plus the journal, docs/deployment.md).
  const l1Batches = l1 === null ? undefined : await readFinalBatchCount(l1.rollup, l1.runner, l1.confirmations ?? 0);
  if (limits !== undefined)
    log.info(
      Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, String(v)])),
      "L1 limits read from the rollup contract",
    );
  const started = performance.now();
  const venue = Sequencer.open(
    {
      ...setup,
      // The backlog gate needs batches that become final: only with L1.
      ...(cfg.health === undefined || l1 === null ? {} : { health: cfg.health }),
      ...(l1Batches === undefined ? {} : { l1Batches }),
    },
    cfg.dbFile,
    cfg.synchronous,
    { listedAt: cfg.listedAt.toString() },
    {
      groupCommit: cfg.groupCommit ?? true,
      builder: cfg.builder ?? "process",
      ...(cfg.builderVerifiers === undefined ? {} : { builderVerifiers: cfg.builderVerifiers }),
      ...(cfg.builderNice === undefined ? {} : { builderNice: cfg.builderNice }),
      ...(cfg.builderPrehash === undefined ? {} : { builderPrehash: cfg.builderPrehash }),
      snapshots: cfg.snapshots ?? {},
      ...(cfg.checkpoints === undefined ? {} : { checkpoints: cfg.checkpoints }),
      ...(cfg.syncPollUs === undefined ? {} : { syncPollUs: cfg.syncPollUs }),
      log: (level, message, fields) => log[level](fields, message),
    },
  );
  // The snapshots file's writer thread, up before the first order rather than when the first
  // batch closes under load (it stores the built batches and the snapshots).
  venue.journal.snapshots.start();
  // Served once the replayed batches are built again too: status, roots and the proving
  // pipeline then read the same state as before the restart.
  await venue.built();
  log.info(
    {
      commands: venue.journal.length.toString(),
      snapshotSeq: venue.restored.snapshotSeq.toString(),
      replayed: venue.restored.replayed,
      ms: Math.round(performance.now() - started),
    },
    "journal replayed",
  );
  // Intake keeps uncovered ≤ freeSlots from here on, but a journal written before the rule (or a
  // rebuild that lost a fund account's deposit) can restore past it: a liquidation or forced
  // close may then find no fund slot until the operator registers another fund account.
  const fund = venue.ledger.fundCapacity;
  if (fund.uncovered > fund.freeSlots)
    log.warn(
      { freeSlots: fund.freeSlots, uncoveredInstruments: fund.uncovered },
      "the insurance fund backs more instruments than it has free position slots: register another " +
        "insurance fund account (docs/deployment.md) before a forced close finds none",
    );
  const clock = monotonicClock();
  const built = cfg.provers > 0 || queueUrl !== null ? await ensureProfileBuilt(profile.name, { quiet: true }) : null;
  // The proof backend: a fleet's queue (checked now, so a bad URL fails the start), or the pool.
  let backend: ProofBackend | null = null;
  if (built !== null) {
    if (built.testOnlyCeremony) log.warn({ zkey: built.zkey }, "proving with TEST-ONLY keys: anyone can forge proofs");
    if (queueUrl !== null) {
      const queue = await QueueBackend.connect({
        queue: queueUrl,
        queueName: cfg.proverQueueName ?? DEFAULT_QUEUE_NAME,
        profile: profile.name,
        vkeyFile: built.vkey,
        maxAttempts: cfg.proofAttempts,
        pollMs: cfg.proverQueuePollMs ?? 1000,
        log,
      }).catch((e: unknown) => {
        venue.close();
        throw e;
      });
      log.info(
        { queue: queueUrl.redacted, name: cfg.proverQueueName ?? DEFAULT_QUEUE_NAME, redis: queue.server },
        "proving through the prover fleet's queue",
      );
      backend = queue;
    } else
      backend = new ProverPool({
        artifacts: { wasm: built.wasm, zkey: built.zkey, vkey: built.vkey },
        provers: cfg.provers,
        maxAttempts: cfg.proofAttempts,
        timeoutMs: cfg.proofTimeoutMs,
        onEvent: (e) => log.debug(e, "proof job"),
      });
  }
  const metrics = new VenueMetrics();
  let onProved = (): void => undefined;
  const proving =
    backend === null
      ? null
      : new ProvingStage(venue, backend, log, {
          maxRuns: cfg.proofAttempts,
          vkeyFile: built?.vkey ?? null,
          onResult: (outcome, result) => {
            metrics.proofs.inc({ outcome });
            if (outcome === "accepted" && result?.roundTripMs !== undefined)
              metrics.proofRoundTrip.observe(result.roundTripMs / 1000);
            if (outcome === "accepted") onProved();
          },
        });
  const verifier = new VerifyPool(
    cfg.verifyWorkers,
    cfg.api?.verifyQueue,
    cfg.api?.verifyPollUs === undefined ? {} : { pollWindowUs: cfg.api.verifyPollUs },
  );
  const api = {
    venue,
    verifier,
    sessions: new SessionStore(cfg.sessionTtlMs, undefined, {
      ...DEFAULT_CHALLENGE_LIMITS,
      ...cfg.api?.challenges,
    }),
    limits: new ApiLimits({
      ...DEFAULT_RATE_LIMITS,
      ...cfg.api?.rateLimits,
      orderRate: cfg.orderRatePerSecond,
      orderBurst: cfg.orderBurst,
    }),
    maxOpenOrders: cfg.api?.maxOpenOrders ?? DEFAULT_MAX_OPEN_ORDERS,
    minOrderNotional: cfg.api?.minOrderNotional ?? DEFAULT_MIN_ORDER_NOTIONAL,
    minWithdrawal: cfg.api?.minWithdrawal ?? DEFAULT_MIN_WITHDRAWAL,
    liveGroups: new Map<string, bigint>(),
    metrics,
    clock,
    batchMaxAgeMs: BigInt(cfg.batchMaxAgeMs),
    verificationKeyFile: built?.vkey ?? null,
    proving,
    marketData: () =>
      marketData === null ? null : { port: marketData.listeningPort, url: cfg.marketData?.publicUrl ?? null },
  };
  venue.on((e) => {
    if (e.type === "health")
      log[e.health.mode === "normal" ? "info" : "warn"](
        { mode: e.health.mode, code: e.health.code, reasons: e.health.reasons },
        "venue health",
      );
    if (e.type === "batch") {
      metrics.batches.inc();
      log.info({ batch: e.closed.number.toString(), txs: e.closed.txCount }, "batch closed");
    }
    if (e.type === "halted") log.fatal({ err: e.error }, "venue halted: restart it to replay the journal");
  });
  const app = await buildServer(api, log, {
    bodyLimit: cfg.bodyLimit,
    adminToken: cfg.adminToken,
    version: "0.1.0",
    trustProxy: cfg.api?.trustProxy ?? false,
    l1Linked: l1 !== null,
    ws: cfg.api?.ws ?? {},
    http: cfg.api?.http ?? {},
  });
  const url = await app.listen({ host: cfg.host, port: cfg.port });
  // The market-data process: the public fan-out and reads, off the core's thread.
  let marketData: MarketDataFeed | null = null;
  if (cfg.marketData !== undefined && cfg.marketData !== null) {
    const rate = { ...DEFAULT_RATE_LIMITS, ...cfg.api?.rateLimits };
    marketData = await MarketDataFeed.start(
      venue,
      clock,
      {
        host: cfg.host,
        port: cfg.marketData.port,
        ws: { ...DEFAULT_WS_LIMITS, ...cfg.api?.ws },
        http: { ...DEFAULT_HTTP_LIMITS, ...cfg.api?.http },
        ipRatePerSecond: rate.ipRate,
        ipBurst: rate.ipBurst,
        trustProxy: cfg.api?.trustProxy ?? false,
        version: "0.1.0",
        logLevel: cfg.logLevel,
        // Account reads need the journal's file (a read-only connection there) and the key of
        // the venue's session tokens.
        accounts:
          cfg.dbFile === ":memory:" || cfg.dbFile === ""
            ? null
            : {
                sessionKey: api.sessions.key.bytes,
                journalFile: cfg.dbFile,
                readRatePerSecond: rate.readRate,
                readBurst: rate.readBurst,
              },
      },
      log,
    ).catch(async (e: unknown) => {
      await app.close();
      await verifier.close();
      venue.close();
      throw e;
    });
  }
  const marketDataUrl =
    marketData === null ? null : ((u) => ((u.port = String(marketData.listeningPort)), u.origin))(new URL(url));

  // A partial batch waits for idle proving capacity up to `batchMaxAgeMs`, then up to the hard
  // bound; L1 refuses a batch more than maxBatchLag behind, and it still has to be proved and sent.
  const hardMaxAgeMs = ((): bigint => {
    const configured = BigInt(Math.max(cfg.batchHardMaxAgeMs ?? 4 * cfg.batchMaxAgeMs, cfg.batchMaxAgeMs));
    const l1Bound = limits === undefined ? null : (limits.maxBatchLag * 1000n) / 4n;
    return l1Bound !== null && l1Bound < configured ? l1Bound : configured;
  })();
  const closeOnAge = (age: bigint): boolean =>
    age >= hardMaxAgeMs || (age >= BigInt(cfg.batchMaxAgeMs) && (proving?.idleCapacity() ?? true));
  let scheduling = l1 === null;
  const closeIfDue = (): void => {
    const since = venue.ledger.openSince;
    if (!scheduling || since === null || !closeOnAge(clock() - since)) return;
    try {
      venue.execute({ kind: "closeBatch" }, clock());
    } catch (e) {
      log.error({ err: e }, "closing the batch on time failed");
    }
  };

  // With L1 attached, nothing is scheduled (funding, expiry, closing batches) until an L1 poll
  // has brought a round of every feed: a batch submitted to L1 needs real round ids.
  const timer = setInterval(
    () => {
      // Backlog ages and price ages move with time: push the health when it changes.
      venue.checkHealth(clock());
      if (!scheduling) return;
      for (const command of venue.dueCommands(clock(), cfg.feeSweepThreshold ?? DEFAULT_FEE_SWEEP_THRESHOLD)) {
        try {
          venue.execute(command, clock());
        } catch (e) {
          log.error({ err: e, command: command.kind }, "scheduled command failed");
        }
      }
      closeIfDue();
    },
    Math.max(50, Math.floor(cfg.batchMaxAgeMs / 4)),
  );
  timer.unref();

  proving?.start();
  // The backend's queue and provers, for the close policy, /v1/status and /metrics.
  let statsTimer: NodeJS.Timeout | null = null;
  if (proving !== null) {
    let reading = false;
    const read = (): void => {
      if (reading) return;
      reading = true;
      void proving.refresh().finally(() => (reading = false));
    };
    read();
    statsTimer = setInterval(read, Math.min(cfg.proverQueuePollMs ?? 1000, 1000));
    // A prover just came free: a batch waiting for capacity closes now, not at the next tick.
    onProved = () => void proving.refresh().then(closeIfDue);
    statsTimer.unref();
  }
  // Every closed batch's witness at once: a batch the circuit refuses halts the venue in seconds.
  const witnessCheck = built !== null ? new WitnessCheck(venue, built.wasm, log) : null;
  witnessCheck?.start();

  let l1Timer: NodeJS.Timeout | null = null;
  let l1Poll: Promise<void> = Promise.resolve();
  if (l1 !== null) {
    const watcher = new L1Watcher(venue, l1.rollup, l1.runner, clock, log, l1.confirmations ?? 0);
    const submitter = new L1Submitter(venue, rollupSubmission(l1.rollup, l1.runner), log, {
      ...l1.submitter,
      confirmations: l1.confirmations ?? 0,
    });
    // The submitter runs whatever the watcher met: a failed read must not stop batches draining.
    const poll = (): void => {
      l1Poll = Promise.all([
        watcher
          .poll()
          .then(() => {
            scheduling ||= venue.ledger.oracleRoundIds.every((id) => id !== 0n);
          })
          .catch((e: unknown) => log.error({ err: e }, "L1 watcher poll failed")),
        submitter.poll().catch((e: unknown) => log.error({ err: e }, "L1 submitter poll failed")),
      ]).then(() => undefined);
    };
    l1Timer = setInterval(poll, l1.pollMs);
    poll();
  }

  log.info(
    {
      url,
      marketDataUrl,
      profile: profile.name,
      markets: markets.length,
      provers: queueUrl === null ? cfg.provers : "queue",
      l1: l1?.rollup ?? null,
    },
    "listening",
  );
  return {
    url,
    marketDataUrl,
    venue,
    app,
    log,
    proving,
    witnessCheck,
    verifier,
    async close() {
      clearInterval(timer);
      if (statsTimer !== null) clearInterval(statsTimer);
      if (l1Timer !== null) clearInterval(l1Timer);
      await l1Poll;
      proving?.stop();
      witnessCheck?.stop();
      marketData?.close();
      await app.close();
      await backend?.close();
      // Proofs from a queue are verified here: snarkjs's curve threads would keep the process up.
      if (queueUrl !== null) await releaseCurve();
      await verifier.close();
      venue.close();
    },
  };
}
