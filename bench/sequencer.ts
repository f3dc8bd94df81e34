/**
 * Sequencer benchmark: `npx tsx bench/sequencer.ts` prints and writes bench/sequencer.json.
 *
 * - coreGroup: the core as issue 16 measures it (group commit, check, the builder in its own
 *   process, 20,000 orders of each kind): `core_orders_per_s`, `core_fills_per_s`, the builder's
 *   rate, and the fill rate the whole pipeline sustains (core and builder);
 * - core: journaled order placements per second through `Sequencer.execute` (book + SQLite
 *   journal, no HTTP, no signature check), and fills per second through protocol/'s
 *   `applyTx` (the pre-trade risk check; it verifies both orders' signatures itself);
 * - http: acknowledgement latency p50/p99 and throughput of signed orders sent by the load
 *   generator from a separate process over 127.0.0.1 (signature check in the verifier pool),
 *   at moderate (4 in flight) and saturating (32 in flight) load;
 * - verify: fast EdDSA-Poseidon verifications per second on one core.
 */
import { execFile } from "node:child_process";
import { cpus } from "node:os";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { domainSeparator } from "../protocol/batch.ts";
import { publicKeyFast, signFast, verifyFast } from "../protocol/eddsa-fast.ts";
import { initCrypto } from "../protocol/index.ts";
import { pkHash } from "../protocol/keys.ts";
import { getProfile } from "../protocol/profiles.ts";
import { orderHash, verifyOrderSignature } from "../protocol/signing.ts";
import type { Order, SignedOrder } from "../protocol/types.ts";
import { Sequencer } from "../sequencer/core.ts";
import type { OpenOptions } from "../sequencer/core.ts";
import { defaultListing } from "../sequencer/listing.ts";
import { startService } from "../sequencer/service.ts";
import { loadgenPkHash } from "../sequencer/tools/loadgen.ts";
import type { LoadOptions, LoadReport } from "../sequencer/tools/loadgen.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "sequencer.json");
const DOMAIN = domainSeparator(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const PRICES = [300_000n, 6_000_000n];
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

/** A prod venue on `file` with the maker (account 2) and the taker (account 3) funded. */
function fundedVenue(
  file: string,
  options: OpenOptions = {},
): { venue: Sequencer; maker: ReturnType<typeof key>; taker: ReturnType<typeof key>; now: bigint } {
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
  for (const [id, k] of [
    [2n, maker],
    [3n, taker],
  ] as const)
    venue.execute({ kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null }, (now += 1n));
  return { venue, maker, taker, now };
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
async function coreGroup(): Promise<Record<string, number>> {
  const { venue, maker, taker, now: start } = fundedVenue("core-group.db", { groupCommit: true, builder: "process" });
  const profile = venue.config.profile;
  let now = start;
  venue.commit();
  const n = 20_000;
  // Resting asks at 500 levels; each taker buys one lot at the best ask.
  const makers = Array.from({ length: n }, (_, i) => sign(maker, order(2n, 1, 10n, 300_000n + BigInt(1 + (i % 500)), BigInt(i + 1))));
  const takers = Array.from({ length: n }, (_, i) => sign(taker, order(3n, 0, 10n, 310_000n, BigInt(i + 1), true)));
  for (const o of [...makers, ...takers]) verifyOrderSignature(o, DOMAIN);
  await venue.built();
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
    batchesBuilt: batches,
    builderLagAtEnd: lagAtEnd,
    builderMsPerBatch: Math.round((buildMs / batches) * 10) / 10,
    builderTxPerSecond: Math.round(((batches * profile.nTx) / buildMs) * 1000),
    sustainedFillsPerSecond: Math.round((fills / sustainedMs) * 1000),
  };
}

async function http(concurrency: number, count: number): Promise<Record<string, number>> {
  const accounts = [20n, 21n, 22n, 23n, 24n, 25n, 26n, 27n];
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    dbFile: path.join(dir, `http-${concurrency}.db`),
    profile: PROFILE,
    domain: DOMAIN,
    system: { feeAccount: { pkHash: 1n, owner: 0n }, insurance: { pkHash: 1n, owner: 0n } },
    initialPrices: PRICES,
    listedAt: 1_795_132_800n,
    optionWeeks: 0,
    strikesEachSide: 0,
    adminToken: "bench-admin-token-0123456789",
    verifyWorkers: 2,
    batchMaxAgeMs: 600_000,
    sessionTtlMs: 60_000,
    orderRatePerSecond: 1_000_000,
    orderBurst: 1_000_000,
    bodyLimit: 16 * 1024,
    synchronous: "NORMAL",
    logLevel: "warn",
    provers: 0,
    proofAttempts: 1,
    proofTimeoutMs: 60_000,
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

function verify(): Record<string, number> {
  const k = key("verify");
  const n = 500;
  const sigs = Array.from({ length: n }, (_, i) => signFast(k.prv, BigInt(i + 1)));
  const t = performance.now();
  for (let i = 0; i < n; i++) if (!verifyFast(k.pk, BigInt(i + 1), sigs[i]!)) throw new Error("bad signature");
  return { verificationsPerSecond: Math.round((n / (performance.now() - t)) * 1000) };
}

try {
  const result = {
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
    profile: PROFILE,
    measuredAt: new Date().toISOString(),
    core: await core(),
    coreGroup: await coreGroup(),
    http: { moderate: await http(4, 1000), saturated: await http(32, 3000) },
    verify: verify(),
  };
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
