/**
 * Sequencer benchmark: `npx tsx bench/sequencer.ts` prints and writes bench/sequencer.json.
 *
 * - coreGroup: the core as issue 16 measures it (group commit, check, the builder in its own
 *   process, 20,000 orders of each kind): `core_orders_per_s`, `core_fills_per_s`, the builder's
 *   rate, and the fill rate the whole pipeline sustains (core and builder). `--only core` runs it
 *   alone and prints it; `--builder-verifiers N` sets the builder process's verifier processes
 *   (default `DEFAULT_BUILDER_VERIFIERS`: 1 on 2 or more cores; 0 verifies on the
 *   builder's thread) and `--builder-prehash 0|1` whether it hashes the next batch's order trees
 *   while it builds this one (default `DEFAULT_BUILDER_PREHASH`: with a second core;
 *   sequencer/builder/prehash.ts);
 * - core: journaled order placements per second through `Sequencer.execute` (book + SQLite
 *   journal, no HTTP, no signature check), and fills per second through protocol/'s
 *   `applyTx` (the pre-trade risk check; it verifies both orders' signatures itself);
 * - http: acknowledgement latency p50/p99 and throughput of signed orders sent by the load
 *   generator from a separate process over 127.0.0.1 (signature check in the verifier pool),
 *   at moderate (4 in flight) and saturating (32 in flight) load;
 * - ws: signed orders over WebSocket from the WS load generator (sequencer/tools/wsload.ts) in a
 *   separate process over 127.0.0.1, a maker resting and a taker crossing so half of them fill,
 *   each acknowledged after the group commit that covers it, against the service as deployed
 *   (prod profile, group commit, `synchronous` FULL, the builder in its own process, 2 verifier
 *   processes): saturating (`orders_accepted_per_s`), and open loop at 2,000 orders/s for 30 s
 *   (`ack_p99_ms`, latency from each order's due time); each run's measured orders follow
 *   WS_WARMUP_ORDERS sent the same way, reported apart;
 * - verify: fast EdDSA-Poseidon verifications per second on one core;
 * - restart: `restart_ms`, kill -9 then restart to serving with 1,000,000 journal entries behind
 *   (from the newest snapshot plus the tail), and the same from genesis for comparison
 *   (bench/restart.ts). `--only restart` runs it alone and prints it without writing the file.
 *
 * `--only ws` runs the WebSocket section alone and prints it without writing the file;
 * `--ws-seconds N` shortens the paced run to N seconds and the saturating run to N × 2,500
 * orders (a quick check; the figures are defined at 30 s); with `--only ws`, `--ws-batch N`
 * sends `placeBatch` messages of N orders instead of one `place` per order, and
 * `--builder-nice N` sets the builder process's nice value (0–19; the default is the service's,
 * `TESSERA_BUILDER_NICE`).
 * - fanout: the paced load (2,000 orders/s, 10 s after the same warm-up) with 100 subscribers in
 *   another process, on the venue's endpoint, then on the market-data process's
 *   (sequencer/marketdata/): the CPU of the service's process per order in each case.
 *   `--only fanout` runs it alone and merges it into the existing bench/sequencer.json.
 * - reads: session reads of 16 accounts (account, open orders, fills) from another process, 16 in
 *   flight for 10 s, on the venue's endpoint, then on the market-data process's: reads per second
 *   and CPU per read of each process. `--only reads` runs it alone and merges it likewise.
 */
import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cpus, loadavg } from "node:os";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { publicKeyFast, signFast, verifyFast } from "../protocol/eddsa-fast.ts";
import { initCrypto } from "../protocol/index.ts";
import { pkHash } from "../protocol/keys.ts";
import { getProfile } from "../protocol/profiles.ts";
import { orderHash, sessionMessage, verifyOrderSignature } from "../protocol/signing.ts";
import type { Order, SignedOrder } from "../protocol/types.ts";
import { DEFAULT_BUILDER_PREHASH, DEFAULT_BUILDER_VERIFIERS } from "../sequencer/builder/remote.ts";
import { Sequencer } from "../sequencer/core/sequencer.ts";
import { DEFAULT_SNAPSHOT_POLICY } from "../sequencer/journal/snapshot.ts";
import { snapshotsFile } from "../sequencer/journal/snapshot-store.ts";
import Database from "better-sqlite3";
import type { OpenOptions } from "../sequencer/core/sequencer.ts";
import { defaultListing } from "../sequencer/core/listing.ts";
import { DEFAULT_MAX_OPEN_ORDERS } from "../sequencer/intake/server.ts";
import { startService } from "../sequencer/service.ts";
import { loadgenPkHash } from "../sequencer/tools/loadgen.ts";
import type { LoadOptions, LoadReport } from "../sequencer/tools/loadgen.ts";
import type { WsLoadOptions, WsLoadReport } from "../sequencer/tools/wsload.ts";
import type { SubscriberOptions, SubscriberReport } from "../sequencer/tools/subscribers.ts";
import type { ReadLoadOptions, ReadLoadReport } from "../sequencer/tools/readload.ts";
import { toWire } from "../sequencer/wire.ts";
import { BENCH_VENUE, DOMAIN, PRICES } from "./lib/venue.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "sequencer.json");
const PROFILE = "prod";
const RICH = 1_000_000_000_000n;

await initCrypto();
const dir = mkdtempSync(path.join(tmpdir(), "tessera-bench-"));

function key(name: string): { prv: Uint8Array; pk: ReturnType<typeof publicKeyFast> } {
  const prv = keccak_256(new TextEncoder().encode(`tessera bench ${name}`));
  return { prv, pk: publicKeyFast(prv) };
}

function sign(k: ReturnType<typeof key>, order: Order): SignedOrder {
  return { order, signature: signFast(k.prv, orderHash(order, DOMAIN)), publicKey: k.pk };
}

function order(accountId: bigint, side: 0 | 1, size: bigint, price: bigint, orderId: bigint, ioc = false): Order {
  return { accountId, instrument: 1n, side, size, price, orderId, expiry: 4_000_000_000n, flags: ioc ? 4n : 0n };
}

/**
 * A prod venue on `file` with the taker (account 3) and the maker's accounts funded: account 2,
 * then 4, 5, ... up to `makerAccounts` accounts, all with the maker's key.
 */
function fundedVenue(
  file: string,
  options: OpenOptions = {},
  makerAccounts = 1,
): {
  venue: Sequencer;
  maker: ReturnType<typeof key>;
  makers: readonly bigint[];
  taker: ReturnType<typeof key>;
  now: bigint;
} {
  const system = { pkHash: 1n, owner: 0n };
  const venue = Sequencer.open(
    {
      profile: getProfile(PROFILE),
      domain: DOMAIN,
      system: { feeAccount: system, insurance: system },
      initialPrices: PRICES,
      markets: defaultListing({ listedAt: 1_795_132_800n, spot: PRICES, weeks: 0, strikesEachSide: 0, underlyings: 2 }),
    },
    path.join(dir, file),
    "FULL",
    {},
    options,
  );
  const maker = key("maker");
  const taker = key("taker");
  let now = 1_800_000_000_000n;
  const makers = Array.from({ length: makerAccounts }, (_, i) => (i === 0 ? 2n : BigInt(i + 3)));
  for (const [id, k] of [...makers.map((m) => [m, maker] as const), [3n, taker] as const])
    venue.execute({ kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null }, (now += 1n));
  return { venue, maker, makers, taker, now };
}

async function core(): Promise<Record<string, number>> {
  const { venue, maker, taker, now: start } = fundedVenue("core.db");
  let now = start;
  const resting = 3000;
  const makers = Array.from({ length: resting }, (_, i) =>
    sign(maker, order(2n, 1, 10n, 300_000n + BigInt(1 + (i % 500)), BigInt(i + 1))),
  );
  let t = performance.now();
  for (const m of makers) venue.execute({ kind: "place", order: m, clientOrderId: null }, (now += 1n));
  const restingMs = performance.now() - t;

  const trades = 30;
  const takers = Array.from({ length: trades }, (_, i) => sign(taker, order(3n, 0, 10n, 310_000n, BigInt(i + 1), true)));
  t = performance.now();
  let fills = 0;
  for (const o of takers) {
    const r = venue.execute({ kind: "place", order: o, clientOrderId: null }, (now += 1n));
    if (r.kind === "place") fills += r.result.fills.length;
  }
  const tradeMs = performance.now() - t;
  venue.close();
  return {
    restingOrders: resting,
    restingOrdersPerSecond: Math.round((resting / restingMs) * 1000),
    fills,
    fillsPerSecond: Math.round((fills / tradeMs) * 10_000) / 10,
    msPerFill: Math.round((tradeMs / fills) * 10) / 10,
  };
}

/**
 * The core with group commit (issue 16): resting orders, then taker orders that each fill one
 * resting order once, through `Sequencer.execute` (matching, protocol/'s `check` on plain
 * records, the journal in groups). Signatures are verified before the clock starts, as intake
 * does in its worker pool (the core then finds each order already verified). Batches close at
 * the profile's size and are built by the builder's own process (the service's default), which
 * goes on after the core is done: `sustainedFillsPerSecond` waits for it.
 */
async function coreGroup(
  builderVerifiers = DEFAULT_BUILDER_VERIFIERS,
  builderPrehash = DEFAULT_BUILDER_PREHASH,
): Promise<Record<string, number>> {
  const n = 20_000;
  // The resting orders spread over maker accounts of at most DEFAULT_MAX_OPEN_ORDERS each, as the
  // API's cap would have them (one account's order tree holds 4,096 live orders at prod).
  const accounts = Math.ceil(n / DEFAULT_MAX_OPEN_ORDERS);
  const {
    venue,
    maker,
    makers: makerIds,
    taker,
    now: start,
  } = fundedVenue(
    `core-group-${builderVerifiers}-${builderPrehash}.db`,
    { groupCommit: true, builder: "process", builderVerifiers, builderPrehash },
    accounts,
  );
  const profile = venue.config.profile;
  let now = start;
  venue.commit();
  // Resting asks at 500 levels; each taker buys one lot at the best ask.
  const makers = Array.from({ length: n }, (_, i) =>
    sign(maker, order(makerIds[i % accounts]!, 1, 10n, 300_000n + BigInt(1 + (i % 500)), BigInt(Math.floor(i / accounts) + 1))),
  );
  const takers = Array.from({ length: n }, (_, i) => sign(taker, order(3n, 0, 10n, 310_000n, BigInt(i + 1), true)));
  for (const o of [...makers, ...takers]) verifyOrderSignature(o, DOMAIN);
  await venue.built();
  // The built batches of the set-up stored: the snapshots file's writer thread is up (it starts
  // with the first batch it is handed) before anything is timed.
  await venue.snapshotsStored();
  let t = performance.now();
  for (const m of makers) venue.execute({ kind: "place", order: m, clientOrderId: null }, (now += 1n));
  venue.commit();
  const restingMs = performance.now() - t;
  const before = { ...venue.ledger.builder };
  t = performance.now();
  let fills = 0;
  for (const o of takers) {
    const r = venue.execute({ kind: "place", order: o, clientOrderId: null }, (now += 1n));
    if (r.kind === "place") fills += r.result.fills.length;
  }
  venue.commit();
  const fillMs = performance.now() - t;
  const lagAtEnd = venue.ledger.builderLag;
  await venue.built();
  const sustainedMs = performance.now() - t;
  const buildMs = venue.ledger.builder.ms - before.ms;
  const batches = venue.ledger.builder.batches - before.batches;
  const halt = venue.halt;
  venue.close();
  if (halt !== null) throw new Error(`the venue halted: ${halt.reason}`);
  if (fills !== n) throw new Error(`expected ${n} fills, got ${fills}`);
  return {
    restingOrders: n,
    restingOrdersPerSecond: Math.round((n / restingMs) * 1000),
    fills,
    fillsPerSecond: Math.round((fills / fillMs) * 1000),
    builderVerifiers,
    builderPrehash: builderPrehash ? 1 : 0,
    batchesBuilt: batches,
    builderLagAtEnd: lagAtEnd,
    builderMsPerBatch: Math.round((buildMs / batches) * 10) / 10,
    builderTxPerSecond: Math.round(((batches * profile.nTx) / buildMs) * 1000),
    sustainedFillsPerSecond: Math.round((fills / sustainedMs) * 1000),
  };
}

/** The per-account budgets of a market maker: one account sends thousands of orders a second. */
const MM_RATE = 1_000_000;

async function http(concurrency: number, count: number): Promise<Record<string, number>> {
  const accounts = [20n, 21n, 22n, 23n, 24n, 25n, 26n, 27n];
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    dbFile: path.join(dir, `http-${concurrency}.db`),
    profile: PROFILE,
    domain: DOMAIN,
    ...BENCH_VENUE,
    verifyWorkers: 2,
    batchMaxAgeMs: 600_000,
    sessionTtlMs: 60_000,
    orderRatePerSecond: MM_RATE,
    orderBurst: MM_RATE,
    synchronous: "NORMAL",
  });
  try {
    let now = BigInt(Date.now());
    for (const id of accounts)
      service.venue.execute(
        { kind: "deposit", accountId: id, owner: id, pkHash: loadgenPkHash(id), amount: RICH, queueIndex: null },
        (now += 1n),
      );
    const options: LoadOptions = {
      url: service.url,
      domain: DOMAIN.toString(),
      accounts: accounts.map(String),
      instrument: "1",
      mid: "300000",
      tick: "1",
      lot: "10",
      levels: 500,
      count,
      concurrency,
      maxMs: 120_000,
      firstOrderId: "1",
      mode: "rest",
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...process.execArgv, path.join(ROOT, "sequencer/tools/loadgen.ts"), JSON.stringify(options)],
      { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as LoadReport;
    return {
      orders: report.acked.length,
      rejected: report.sent - report.acked.length,
      concurrency: options.concurrency,
      ordersPerSecond: Math.round((report.acked.length / report.ms) * 1000),
      ackP50Ms: Math.round(report.p50 * 10) / 10,
      ackP99Ms: Math.round(report.p99 * 10) / 10,
    };
  } finally {
    await service.close();
  }
}

/**
 * CPU time of this process's child processes by pid, ms, with their role (Linux `/proc`; empty
 * elsewhere): the service's verifier processes and its batch builder.
 */
type ChildRole = "verifier" | "builder" | "marketData" | "other";

function childrenCpuMs(): Map<number, { role: ChildRole; ms: number }> {
  const out = new Map<number, { role: ChildRole; ms: number }>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const { ppid, cpuMs } = procStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (ppid !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const role: ChildRole = cmd.includes("verify-worker")
        ? "verifier"
        : cmd.includes("builder-worker")
          ? "builder"
          : cmd.includes("marketdata/process")
            ? "marketData"
            : "other";
      out.set(Number(pid), { role, ms: cpuMs });
    } catch {
      // the process is gone
    }
  }
  return out;
}

/** Linux's USER_HZ, the unit of `/proc/<pid>/stat` times. */
const CLOCK_TICKS = 100;

/** The parent and the CPU time (user + system, ms) of a `/proc/<pid>[/task/<tid>]/stat` line. */
function procStat(stat: string): { readonly ppid: number; readonly cpuMs: number } {
  // Fields after the command (which may hold spaces) start at state: ppid is 2nd, utime 12th, stime 13th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(f[1]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS };
}

/** The name of the native addon's verifier threads (native/src/verify_pool.h). */
const VERIFY_THREAD_NAME = "tessera-verify";

/**
 * CPU time of this process's signature verifier threads (the addon's, by their name), ms, by
 * thread id (Linux `/proc`; empty elsewhere): counted as the verifiers', not the main thread's.
 */
function verifierThreadsCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${process.pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const task = `/proc/${process.pid}/task/${tid}`;
      if (readFileSync(`${task}/comm`, "utf8").trim() !== VERIFY_THREAD_NAME) continue;
      out.set(Number(tid), procStat(readFileSync(`${task}/stat`, "utf8")).cpuMs);
    } catch {
      // the thread is gone
    }
  }
  return out;
}

/** CPU time of this process's main thread (the venue's: matching, journal, WebSocket), ms (0 without /proc). */
function venueThreadCpuMs(): number {
  try {
    return procStat(readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8")).cpuMs;
  } catch {
    return 0;
  }
}

/** The growth of per-thread CPU times from `before` to `after`, summed, ms. */
function threadsCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [tid, now] of after) ms += now - (before.get(tid) ?? 0);
  return ms;
}


/**
 * The venue process's garbage-collection pauses from now until `stop()`: each stops the venue's
 * thread, so the longest show in the acknowledgement tail. Young-generation scavenges and full
 * mark-compacts apart (incremental marking steps and weak-callback passes count in the totals
 * only). With them, the event loop's delay (how late a 1 ms timer ran: how long the thread was
 * held by anything, GC included) at its 99th percentile and worst.
 */
function venueStalls(): { stop(): VenueStalls } {
  const all = { n: 0, ms: 0, max: 0, over5: 0 };
  const scavenges = { n: 0, max: 0 };
  const markCompacts = { n: 0, max: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      all.n += 1;
      all.ms += e.duration;
      all.max = Math.max(all.max, e.duration);
      if (e.duration > 5) all.over5 += 1;
      const kind = (e as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind;
      const k = kind === constants.NODE_PERFORMANCE_GC_MINOR ? scavenges : kind === constants.NODE_PERFORMANCE_GC_MAJOR ? markCompacts : null;
      if (k !== null) {
        k.n += 1;
        k.max = Math.max(k.max, e.duration);
      }
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  return {
    stop() {
      observer.disconnect();
      loop.disable();
      const ms = (x: number): number => Math.round(x * 10) / 10;
      return {
        gcPauses: all.n,
        gcMs: Math.round(all.ms),
        gcMaxMs: ms(all.max),
        gcPausesOver5Ms: all.over5,
        gcScavenges: scavenges.n,
        gcScavengeMaxMs: ms(scavenges.max),
        gcMarkCompacts: markCompacts.n,
        gcMarkCompactMaxMs: ms(markCompacts.max),
        loopDelayP99Ms: ms(loop.percentile(99) / 1e6),
        loopDelayMaxMs: ms(loop.max / 1e6),
      };
    },
  };
}

interface VenueStalls {
  readonly gcPauses: number;
  readonly gcMs: number;
  readonly gcMaxMs: number;
  readonly gcPausesOver5Ms: number;
  readonly gcScavenges: number;
  readonly gcScavengeMaxMs: number;
  readonly gcMarkCompacts: number;
  readonly gcMarkCompactMaxMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** A service as deployed (sequencer/config.ts defaults) with a market maker's order budgets. */
const DEPLOYED_SERVICE = {
  ...BENCH_VENUE,
  batchMaxAgeMs: 60_000,
  sessionTtlMs: 15 * 60_000,
  orderRatePerSecond: MM_RATE,
  orderBurst: MM_RATE,
  synchronous: "FULL",
  groupCommit: true,
  builder: "process",
} as const;

/**
 * One WS load run against a fresh service configured as deployed (sequencer/config.ts defaults:
 * group commit, `synchronous` FULL, the builder in its own process, 2 verifier threads), with
 * the maker's and the taker's order and message budgets and open-order cap raised to a market
 * maker's.
 */
async function wsRun(
  name: string,
  load: Omit<WsLoadOptions, "url" | "domain">,
  /** Subscribers in a process of their own, on the venue's endpoint or the market-data one. */
  subscribers: { readonly connections: number; readonly endpoint: "venue" | "marketData" } | null = null,
): Promise<WsLoadReport & WsCpu> {
  const service = await startService({
    marketData: subscribers?.endpoint === "marketData" ? { port: 0 } : null,
    host: "127.0.0.1",
    port: 0,
    dbFile: path.join(dir, `ws-${name}.db`),
    profile: PROFILE,
    domain: DOMAIN,
    ...DEPLOYED_SERVICE,
    ...(wsBuilderNice === undefined ? {} : { builderNice: wsBuilderNice }),
    verifyWorkers: 2,
    // A market maker's budgets; the open-order cap too: when the venue falls behind a paced
    // load, one connection's orders can run ahead of the other's and rest for a while.
    // The fan-out's subscribers all come from 127.0.0.1: the per-IP connection caps (WebSocket,
    // and HTTP on both endpoints, which counts the upgraded sockets too) are raised, and so is
    // the venue endpoint's cap on subscribers without a session, whose cost this run measures.
    api: {
      rateLimits: { readRate: MM_RATE, readBurst: MM_RATE },
      maxOpenOrders: MM_RATE,
      ws: { maxConnectionsPerIp: 10 * FANOUT_CONNECTIONS, maxAnonymousSubscribersPerChannel: 10 * FANOUT_CONNECTIONS },
      http: { maxConnectionsPerIp: 10 * FANOUT_CONNECTIONS },
    },
  });
  try {
    let now = BigInt(Date.now());
    for (const id of [BigInt(load.maker), BigInt(load.taker)])
      service.venue.execute(
        { kind: "deposit", accountId: id, owner: id, pkHash: loadgenPkHash(id), amount: RICH, queueIndex: null },
        (now += 1n),
      );
    const options: WsLoadOptions = { ...load, url: service.url, domain: DOMAIN.toString() };
    const watchers = subscribers === null ? null : await startSubscribers(service, subscribers, load.instrument);
    // CPU of the venue's processes over the run (signing in the client leaves them idle).
    const mainBefore = process.cpuUsage();
    const childrenBefore = childrenCpuMs();
    const threadsBefore = verifierThreadsCpuMs();
    const venueThreadBefore = venueThreadCpuMs();
    const wakesBefore = service.verifier.wakes;
    const syncBefore = service.venue.journal.syncStats;
    const stalls = venueStalls();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...process.execArgv, path.join(ROOT, "sequencer/tools/wsload.ts"), JSON.stringify(options)],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as WsLoadReport;
    // The subscribers have read what the run made once the venue's processes are idle again.
    const fanout = watchers === null ? null : await watchers.stop();
    const venueStallsReport = stalls.stop();
    if (service.venue.halt !== null) throw new Error(`the venue halted: ${service.venue.halt.reason}`);
    const main = process.cpuUsage(mainBefore);
    // The verifier threads (the default) run in this process: theirs is the verifiers' share.
    const verifierThreads = threadsCpuSince(threadsBefore, verifierThreadsCpuMs());
    const cpu = { verifier: verifierThreads, builder: 0, marketData: 0, other: 0 };
    for (const [pid, { role, ms }] of childrenCpuMs()) cpu[role] += ms - (childrenBefore.get(pid)?.ms ?? 0);
    const wakes = service.verifier.wakes;
    const sync = service.venue.journal.syncStats;
    return {
      fanout,
      verifierWakes: (wakes?.signals ?? 0) - (wakesBefore?.signals ?? 0),
      verifierPolls: (wakes?.polls ?? 0) - (wakesBefore?.polls ?? 0),
      syncWakes: (sync?.signals ?? 0) - (syncBefore?.signals ?? 0),
      syncs: (sync?.syncs ?? 0) - (syncBefore?.syncs ?? 0),
      venueStalls: venueStallsReport,
      venueMarketDataCpuMs: Math.round(cpu.marketData),
      ...report,
      // The load averages at the end: other work on the machine shows in them.
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      builderLagAtEnd: Number(service.venue.ledger.builderLag),
      venueMainCpuMs: Math.round((main.user + main.system) / 1000 - verifierThreads),
      venueThreadCpuMs: Math.round(venueThreadCpuMs() - venueThreadBefore),
      venueVerifiersCpuMs: Math.round(cpu.verifier),
      venueBuilderCpuMs: Math.round(cpu.builder),
    };
  } finally {
    await service.close();
  }
}

interface WsCpu {
  /** What the subscribers received over the run (null: none). */
  readonly fanout: SubscriberReport | null;
  /** CPU of the market-data process, ms (0 without one). */
  readonly venueMarketDataCpuMs: number;
  readonly loadAverage: number[];
  /** Closed batches the builder had not built when the last acknowledgement came. */
  readonly builderLagAtEnd: number;
  /** CPU of the service's own process, ms: its main thread (matching, journal, WebSocket) and V8's and libuv's helper threads, not its verifier threads. */
  readonly venueMainCpuMs: number;
  /** Of that, the main thread's alone (the venue's thread; not its writer, GC or I/O threads), ms. */
  readonly venueThreadCpuMs: number;
  /** CPU of the signature verifiers, ms: the service's verifier threads (or processes). */
  readonly venueVerifiersCpuMs: number;
  /** CPU of the batch builder's process, its verifier threads included (batches it had not built by the end are not in it), ms. */
  readonly venueBuilderCpuMs: number;
  /** Verifier threads the venue's thread woke (each a cross-core wake on it), over the run. */
  readonly verifierWakes: number;
  /** Looks at the verify queue by a polling verifier thread over the run (TESSERA_VERIFY_POLL_US). */
  readonly verifierPolls: number;
  /** Group-commit syncs that woke the journal's sleeping sync thread, and syncs run, over the run. */
  readonly syncWakes: number;
  readonly syncs: number;
  /** The venue process's GC pauses and event-loop delay over the run, warm-up included (`venueStalls`). */
  readonly venueStalls: VenueStalls;
}

function wsFigures(r: WsLoadReport & WsCpu): Record<string, unknown> {
  // The processes' CPU is read around the whole run, warm-up included: per order of both parts.
  const processed = r.accepted + (r.warmup?.accepted ?? 0);
  const perOrder = (ms: number): number => (processed === 0 ? 0 : Math.round((ms / processed) * 1000) / 1000);
  return {
    loadAverageAtEnd: r.loadAverage,
    orders: r.orders,
    messages: r.messages,
    accepted: r.accepted,
    rejected: Object.values(r.rejected).reduce((a, b) => a + b, 0),
    rejectedByCode: r.rejected,
    connectionClosed: r.closed,
    filledOrders: r.filledOrders,
    filledShare: r.orders === 0 ? 0 : Math.round((r.filledOrders / r.orders) * 1000) / 1000,
    seconds: Math.round(r.ms / 10) / 100,
    ordersPerSecond: r.ordersPerSecond,
    messagesPerSecond: r.messagesPerSecond,
    ackP50Ms: r.latency.p50,
    ackP90Ms: r.latency.p90,
    ackP99Ms: r.latency.p99,
    ackP999Ms: r.latency.p999,
    ackMaxMs: r.latency.max,
    signMs: r.signMs,
    connections: r.connections,
    builderLagAtEnd: r.builderLagAtEnd,
    // CPU per accepted order: unlike rates, these hold when other work shares the cores.
    mainCpuMsPerOrder: perOrder(r.venueMainCpuMs),
    venueThreadCpuMsPerOrder: perOrder(r.venueThreadCpuMs),
    verifiersCpuMsPerOrder: perOrder(r.venueVerifiersCpuMs),
    builderCpuMsPerOrder: perOrder(r.venueBuilderCpuMs),
    marketDataCpuMsPerOrder: perOrder(r.venueMarketDataCpuMs),
    ...(r.fanout === null ? {} : { subscribers: r.fanout }),
    clientCpuMsPerOrder: perOrder(r.clientCpuMs),
    // Per accepted order, warm-up included as the CPU: how often an order cost the venue's
    // thread a wake of a verifier thread, and how often a polling thread looked meanwhile.
    verifierWakesPerOrder: processed === 0 ? 0 : Math.round((r.verifierWakes / processed) * 1000) / 1000,
    verifierPollsPerOrder: processed === 0 ? 0 : Math.round((r.verifierPolls / processed) * 1000) / 1000,
    // The same for the journal's group-commit syncs (TESSERA_SYNC_POLL_US).
    syncsPerOrder: processed === 0 ? 0 : Math.round((r.syncs / processed) * 1000) / 1000,
    syncWakesPerOrder: processed === 0 ? 0 : Math.round((r.syncWakes / processed) * 1000) / 1000,
    // The venue process's GC pauses (its thread stops for each): per order, the longest, how
    // many were longer than ack_p99_ms's goal; and how late its event loop ran.
    gcMsPerOrder: perOrder(r.venueStalls.gcMs),
    ...r.venueStalls,
    warmup:
      r.warmup === null
        ? null
        : {
            orders: r.warmup.orders,
            accepted: r.warmup.accepted,
            rejected: r.warmup.rejected,
            seconds: Math.round(r.warmup.ms / 10) / 100,
            ackP50Ms: r.warmup.latency.p50,
            ackP99Ms: r.warmup.latency.p99,
            ackMaxMs: r.warmup.latency.max,
          },
  };
}

/**
 * Orders sent before each WebSocket run's measured ones, at its pace (3 s at 2,000 orders/s), and
 * reported apart: the figures describe a venue that has been trading, not the first second of a
 * fresh process (JIT compilation, the verifier threads' first keys, the builder's first batches).
 */
const WS_WARMUP_ORDERS = 6_000;

/** `orders_accepted_per_s` (saturating) and `ack_p99_ms` (2,000 orders/s, open loop). */
/** The two accounts, the market and the maker's ladder of every WebSocket run. */
const WS_LOAD = {
  maker: "30",
  taker: "31",
  instrument: "1",
  mid: "300000",
  tick: "1",
  lot: "10",
  levels: 200,
  seed: 200,
  firstOrderId: "1",
  orderDepth: getProfile(PROFILE).orderDepth,
} as const;

async function ws(seconds: number, batch = 1): Promise<Record<string, unknown>> {
  const common = { ...WS_LOAD, batch };
  const rate = 2000;
  const saturatedReport = await wsRun("saturated", {
    ...common,
    mode: "saturate",
    count: seconds * 2500,
    warmup: WS_WARMUP_ORDERS,
    inFlight: 128,
    rate: 0,
    maxMs: 120_000,
  });
  const pacedReport = await wsRun("paced", {
    ...common,
    mode: "paced",
    count: seconds * rate,
    warmup: WS_WARMUP_ORDERS,
    inFlight: 0,
    rate,
    maxMs: ((seconds * rate + WS_WARMUP_ORDERS) / rate) * 1000 + 30_000,
  });
  return {
    ordersPerMessage: batch,
    saturated: { inFlight: 128, ...wsFigures(saturatedReport) },
    paced: {
      targetRate: rate,
      targetSeconds: seconds,
      maxSendLagMs: pacedReport.maxSendLagMs,
      ...wsFigures(pacedReport),
    },
  };
}

/** Subscriber connections of the fan-out figures. */
const FANOUT_CONNECTIONS = 100;

/** Starts sequencer/tools/subscribers.ts against `endpoint` and waits until every subscription holds. */
async function startSubscribers(
  service: Awaited<ReturnType<typeof startService>>,
  o: { readonly connections: number; readonly endpoint: "venue" | "marketData" },
  instrument: string,
): Promise<{ stop(): Promise<SubscriberReport> }> {
  const url = o.endpoint === "venue" ? service.url : service.marketDataUrl;
  if (url === null) throw new Error("the venue runs no market-data endpoint");
  const options: SubscriberOptions = { url, connections: o.connections, instrument };
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "sequencer/tools/subscribers.ts"), JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("subscribers did not get ready in 60 s")), 60_000);
    child.stdout.on("data", () => {
      if (out.includes("ready\n")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`subscribers exited (${code})`)));
  });
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 1000));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
      return JSON.parse(out.slice(out.indexOf("ready\n") + 6).trim()) as SubscriberReport;
    },
  };
}

/**
 * Market data off the core's thread: the paced load of `ack_p99_ms` with FANOUT_CONNECTIONS
 * subscribers (book, trades, ticker of the traded market) in a process of their own, first on the
 * venue's endpoint (fan-out on the core's thread), then on the market-data endpoint.
 */
async function fanout(seconds: number): Promise<Record<string, unknown>> {
  const load = {
    ...WS_LOAD,
    batch: 1,
    mode: "paced",
    count: seconds * 2000,
    warmup: WS_WARMUP_ORDERS,
    inFlight: 0,
    rate: 2000,
    maxMs: ((seconds * 2000 + WS_WARMUP_ORDERS) / 2000) * 1000 + 30_000,
  } as const;
  const out: Record<string, unknown> = { connections: FANOUT_CONNECTIONS, targetRate: 2000, targetSeconds: seconds };
  for (const endpoint of ["venue", "marketData"] as const)
    out[endpoint] = wsFigures(await wsRun(`fanout-${endpoint}`, load, { connections: FANOUT_CONNECTIONS, endpoint }));
  return out;
}

/** Accounts, session reads in flight and their routes of the `reads` figures. */
const READ_ACCOUNTS = 16;
const READ_CONCURRENCY = 16;
const READ_ROUTES = ["/v1/account", "/v1/account/orders", "/v1/account/fills?limit=100"];

/**
 * Account reads off the core's thread: READ_ACCOUNTS accounts, each with resting orders and
 * fills, read by sequencer/tools/readload.ts (another process) with READ_CONCURRENCY session
 * reads in flight for `seconds`, first from the venue's endpoint, then from the market-data
 * process's: reads per second and the CPU of the service's own process and of the market-data
 * process per read.
 */
async function reads(seconds: number): Promise<Record<string, unknown>> {
  const service = await startService({
    marketData: { port: 0 },
    host: "127.0.0.1",
    port: 0,
    dbFile: path.join(dir, "reads.db"),
    profile: PROFILE,
    domain: DOMAIN,
    ...DEPLOYED_SERVICE,
    verifyWorkers: 1,
    // The reader is one client of many accounts on 127.0.0.1: budgets that never bind.
    api: { rateLimits: { readRate: MM_RATE, readBurst: MM_RATE, ipRate: MM_RATE, ipBurst: MM_RATE } },
  });
  try {
    const venue = service.venue;
    let now = BigInt(Date.now());
    const tokens: string[] = [];
    const keys = Array.from({ length: READ_ACCOUNTS }, (_, i) => ({ id: BigInt(10 + i), k: key(`reader ${i}`) }));
    for (const { id, k } of keys)
      venue.execute(
        { kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null },
        (now += 1n),
      );
    // Five resting bids each, and five fills: account i sells into account i+1's bids.
    let orderId = 1n;
    for (const { id, k } of keys)
      for (let j = 0; j < 5; j++)
        venue.execute(
          { kind: "place", order: sign(k, order(id, 0, 10n, 290_000n - BigInt(j) * 100n, orderId++)), clientOrderId: null },
          (now += 1n),
        );
    for (const { id, k } of keys)
      for (let j = 0; j < 5; j++)
        venue.execute({ kind: "place", order: sign(k, order(id, 1, 10n, 280_000n, orderId++, true)), clientOrderId: null }, (now += 1n));
    venue.commit();
    for (const { id, k } of keys) {
      const post = async (route: string, body: unknown): Promise<Record<string, string>> => {
        const res = await fetch(service.url + route, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(toWire(body)),
        });
        if (res.status !== 200) throw new Error(`${route}: ${res.status} ${await res.text()}`);
        return (await res.json()) as Record<string, string>;
      };
      const { challenge } = await post("/v1/auth/challenge", { accountId: id });
      const message = sessionMessage(DOMAIN, id, BigInt(challenge!));
      const session = await post("/v1/auth/session", {
        accountId: id,
        challenge: BigInt(challenge!),
        publicKey: k.pk,
        signature: signFast(k.prv, message),
      });
      tokens.push(session.token!);
    }
    const out: Record<string, unknown> = {
      accounts: READ_ACCOUNTS,
      concurrency: READ_CONCURRENCY,
      seconds,
      routes: READ_ROUTES,
    };
    for (const endpoint of ["venue", "marketData"] as const) {
      const url = endpoint === "venue" ? service.url : service.marketDataUrl!;
      const options: ReadLoadOptions = { url, tokens, routes: READ_ROUTES, concurrency: READ_CONCURRENCY, seconds };
      const mainBefore = process.cpuUsage();
      const childrenBefore = childrenCpuMs();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...process.execArgv, path.join(ROOT, "sequencer/tools/readload.ts"), JSON.stringify(options)],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      );
      const report = JSON.parse(stdout) as ReadLoadReport;
      const main = process.cpuUsage(mainBefore);
      let marketDataMs = 0;
      for (const [pid, { role, ms }] of childrenCpuMs())
        if (role === "marketData") marketDataMs += ms - (childrenBefore.get(pid)?.ms ?? 0);
      if (Object.keys(report.failures).length > 0)
        throw new Error(`reads failed on the ${endpoint} endpoint: ${JSON.stringify(report.failures)}`);
      const perRead = (us: number): number => Math.round((us / report.reads) * 10) / 10;
      out[endpoint] = {
        reads: report.reads,
        readsPerSecond: Math.round((report.reads / report.ms) * 1000),
        p50Ms: report.p50Ms,
        p99Ms: report.p99Ms,
        mainCpuUsPerRead: perRead(main.user + main.system),
        marketDataCpuUsPerRead: perRead(marketDataMs * 1000),
        loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      };
    }
    return out;
  } finally {
    await service.close();
  }
}

function verify(): Record<string, number> {
  const k = key("verify");
  const n = 500;
  const sigs = Array.from({ length: n }, (_, i) => signFast(k.prv, BigInt(i + 1)));
  const t = performance.now();
  for (let i = 0; i < n; i++) if (!verifyFast(k.pk, BigInt(i + 1), sigs[i]!)) throw new Error("bad signature");
  return { verificationsPerSecond: Math.round((n / (performance.now() - t)) * 1000) };
}

/** Journal entries behind the restart of `restart_ms` (issue 16); TESSERA_BENCH_RESTART_ENTRIES for a quick check. */
const RESTART_ENTRIES = Number(process.env.TESSERA_BENCH_RESTART_ENTRIES ?? 1_000_000);
/**
 * The generator goes on past RESTART_ENTRIES until this many entries follow the newest stored
 * snapshot (90% of the default interval), so that the kill falls late in a snapshot interval and
 * the restart replays a long tail: near the worst case, not a lucky kill right after a snapshot.
 */
const RESTART_TAIL = Math.floor(DEFAULT_SNAPSHOT_POLICY.everyEntries * 0.9);

/**
 * `restart_ms` (issue 16): bench/restart.ts writes a journal of RESTART_ENTRIES commands or more (RESTART_TAIL after its newest snapshot) in a
 * child process as the service would (resting orders and cancels, a fill every 200 commands,
 * group commit, the builder in its own process, snapshots on the default policy), which is then
 * killed with SIGKILL. Measured: from starting a new process on that journal to its serving (the
 * venue opened from the newest snapshot plus the journal tail, the replayed batches built again),
 * and the same replaying the whole journal from genesis without reading a snapshot. Both must
 * reach the same state root.
 */
async function restart(): Promise<Record<string, number>> {
  const file = path.join(dir, "restart.db");
  const script = path.join(ROOT, "bench/restart.ts");
  const generator = spawn(process.execPath, [...process.execArgv, script, "generate", file, String(RESTART_ENTRIES), String(RESTART_TAIL)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<string>((resolve) => generator.once("exit", (code, signal) => resolve(signal ?? String(code))));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: generator.stdout! }).once("line", resolve);
    void exited.then((how) => reject(new Error(`the restart journal's generator exited (${how})`)));
  });
  const written = JSON.parse(line) as Record<string, number | number[]>;
  generator.kill("SIGKILL");
  if ((await exited) !== "SIGKILL") throw new Error("the generator was not killed");
  // A snapshot stored within RESTART_TAIL of the end (the generator's last commit may take one)
  // is removed: the kill falls before it was written, so the restart replays a long tail.
  const db = new Database(snapshotsFile(file));
  try {
    const length = Number(written.entries);
    for (;;) {
      const seqs = (db.prepare("SELECT seq FROM snapshots ORDER BY seq DESC").all() as { seq: number }[]).map((r) => r.seq);
      if (seqs.length < 2 || length - seqs[0]! >= RESTART_TAIL) break;
      db.prepare("DELETE FROM snapshots WHERE seq = ?").run(seqs[0]!);
    }
  } finally {
    db.close();
  }
  const open = async (from: "snapshot" | "genesis") => {
    const t = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, script, "open", file, from], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const opened = JSON.parse(stdout) as { openMs: number; snapshotSeq: number; replayed: number; stateRoot: string };
    return { ms: performance.now() - t, ...opened };
  };
  const fromSnapshot = await open("snapshot");
  const fromGenesis = await open("genesis");
  if (fromSnapshot.stateRoot !== fromGenesis.stateRoot)
    throw new Error(`restart from the snapshot reached root ${fromSnapshot.stateRoot}, from genesis ${fromGenesis.stateRoot}`);
  if (Number(fromSnapshot.snapshotSeq) === 0) throw new Error("the restart found no snapshot");
  return {
    entries: Number(written.entries),
    fills: Number(written.fills),
    batches: Number(written.batches),
    restingOrders: Number(written.restingOrders),
    generateMs: Number(written.generateMs),
    snapshotBytes: Number(written.snapshotBytes),
    snapshotSeq: Number(fromSnapshot.snapshotSeq),
    tailReplayed: Number(fromSnapshot.replayed),
    restartMs: Math.round(fromSnapshot.ms),
    openMs: Number(fromSnapshot.openMs),
    noSnapshotRestartMs: Math.round(fromGenesis.ms),
    noSnapshotOpenMs: Number(fromGenesis.openMs),
  };
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const wsSeconds = Number(flag("--ws-seconds") ?? 30);
if (!Number.isInteger(wsSeconds) || wsSeconds < 1) throw new Error("--ws-seconds takes a whole number of seconds");
const wsBatch = Number(flag("--ws-batch") ?? 1);
if (!Number.isInteger(wsBatch) || wsBatch < 1 || wsBatch > 50) throw new Error("--ws-batch takes 1..50 orders per message");
if (wsBatch !== 1 && flag("--only") !== "ws") throw new Error("--ws-batch is for --only ws: the figures are one order per message");
const niceFlag = flag("--builder-nice");
const wsBuilderNice = niceFlag === undefined ? undefined : Number(niceFlag);
if (wsBuilderNice !== undefined && (!Number.isInteger(wsBuilderNice) || wsBuilderNice < 0 || wsBuilderNice > 19))
  throw new Error("--builder-nice takes 0..19");
if (wsBuilderNice !== undefined && flag("--only") !== "ws") throw new Error("--builder-nice is for --only ws: the figures use the default");

try {
  if (flag("--only") === "ws") console.log(JSON.stringify(await ws(wsSeconds, wsBatch), null, 2));
  else if (flag("--only") === "fanout") {
    // Merged into the last full run's file, so that the report can take it without a full run.
    const fan = await fanout(Math.min(wsSeconds, 10));
    const last = JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>;
    writeFileSync(OUT, `${JSON.stringify({ ...last, fanout: fan }, null, 2)}\n`);
    console.log(JSON.stringify(fan, null, 2));
  }
  else if (flag("--only") === "reads") {
    // Merged into the last full run's file, as the fan-out.
    const r = await reads(Math.min(wsSeconds, 10));
    const last = JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>;
    writeFileSync(OUT, `${JSON.stringify({ ...last, reads: r }, null, 2)}\n`);
    console.log(JSON.stringify(r, null, 2));
  }
  else if (flag("--only") === "restart") console.log(JSON.stringify(await restart(), null, 2));
  else if (flag("--only") === "core") {
    const v = Number(flag("--builder-verifiers") ?? DEFAULT_BUILDER_VERIFIERS);
    if (!Number.isInteger(v) || v < 0) throw new Error("--builder-verifiers takes a whole number");
    const h = flag("--builder-prehash") ?? (DEFAULT_BUILDER_PREHASH ? "1" : "0");
    if (h !== "0" && h !== "1") throw new Error("--builder-prehash takes 0 or 1");
    console.log(JSON.stringify(await coreGroup(v, h === "1"), null, 2));
  }
  else await all();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function all(): Promise<void> {
  const result = {
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
    profile: PROFILE,
    measuredAt: new Date().toISOString(),
    core: await core(),
    coreGroup: await coreGroup(),
    http: { moderate: await http(4, 1000), saturated: await http(32, 3000) },
    ws: await ws(wsSeconds),
    fanout: await fanout(Math.min(wsSeconds, 10)),
    reads: await reads(Math.min(wsSeconds, 10)),
    verify: verify(),
    restart: await restart(),
  };
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}
