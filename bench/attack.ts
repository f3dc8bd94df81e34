/**
 * Market-maker and attack benchmark (issue 15): `npx tsx bench/attack.ts` prints and writes
 * bench/attack.json. Benchmark figures, not timed assertions.
 *
 * - sweep: matching time when the book holds 10,000 resting orders of one account (prod
 *   profile, in-process `Sequencer.execute`, journal included):
 *   - `selfTrade`: the taker's own 10,000 orders sit ahead of the touch; one IOC order cancels
 *     them all (self-trade prevention) and fills 10 times behind them;
 *   - `maker`: a taker sweeps 500 fills (the per-order cap) into a maker that holds 10,000
 *     resting orders.
 *   Each is also run with 1,000 orders: the ratio of the two times shows how the cost grows
 *   (10 for linear, 100 for quadratic). Orders are signature-checked before they are placed, as
 *   the intake does, so the figures are matching and risk, not EdDSA.
 * - wsStalled: the memory a WebSocket client that never reads holds in the venue. The venue
 *   runs in this process (so its sockets can be inspected); the client is a child process over
 *   127.0.0.1 that subscribes to a 100-level book, stops reading and keeps asking for
 *   snapshots. Records the largest send buffer the venue held for it (`bufferedAmount`: the
 *   memory held for the client), the venue's peak memory growth meanwhile (heap + external +
 *   array buffers; it includes garbage not collected yet), what stays after the close and a
 *   collection (run with --expose-gc), and how long until the venue closed it as a slow
 *   consumer (the `tessera_ws_closed_total{reason="slow_consumer"}` metric).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { WebSocketServer } from "ws";
import { publicKeyFast, signFast } from "../protocol/eddsa-fast.ts";
import { initCrypto } from "../protocol/index.ts";
import { pkHash } from "../protocol/keys.ts";
import { getProfile } from "../protocol/profiles.ts";
import { orderHash, verifyOrderSignature } from "../protocol/signing.ts";
import type { Order, SignedOrder } from "../protocol/types.ts";
import { DEFAULT_WS_LIMITS } from "../sequencer/intake/ws.ts";
import { Sequencer } from "../sequencer/core/sequencer.ts";
import { defaultListing } from "../sequencer/core/listing.ts";
import { startService } from "../sequencer/service.ts";
import { BENCH_VENUE, DOMAIN, PRICES } from "./lib/venue.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", "attack.json");
const PROFILE = "prod";
const RICH = 1_000_000_000_000n;
const P = 300_000n;
/** 0.001 ETH, the prod lot: 10,000 of them are 10 ETH. */
const LOT = 10n;
const ONE = 10_000n;

await initCrypto();
const dir = mkdtempSync(path.join(tmpdir(), "tessera-bench-attack-"));
const log = (msg: string): void => void process.stderr.write(`[attack] ${msg}\n`);

type Key = { prv: Uint8Array; pk: ReturnType<typeof publicKeyFast> };

function key(name: string): Key {
  const prv = keccak_256(new TextEncoder().encode(`tessera bench ${name}`));
  return { prv, pk: publicKeyFast(prv) };
}

function sign(k: Key, order: Order): SignedOrder {
  return { order, signature: signFast(k.prv, orderHash(order, DOMAIN)), publicKey: k.pk };
}

function order(accountId: bigint, side: 0 | 1, size: bigint, price: bigint, orderId: bigint, ioc = false): Order {
  return { accountId, instrument: 1n, side, size, price, orderId, expiry: 4_000_000_000n, flags: ioc ? 4n : 0n };
}

function openVenue(name: string): Sequencer {
  const profile = getProfile(PROFILE);
  const system = { pkHash: 1n, owner: 0n };
  return Sequencer.open(
    {
      profile,
      domain: DOMAIN,
      system: { feeAccount: system, insurance: system },
      initialPrices: PRICES,
      markets: defaultListing({ listedAt: 1_795_132_800n, spot: PRICES, weeks: 0, strikesEachSide: 0, underlyings: 2 }),
    },
    path.join(dir, `${name}.db`),
    "NORMAL",
  );
}

interface SweepRun {
  readonly resting: number;
  readonly ms: number;
  readonly fills: number;
  readonly cancelled: number;
}

const ladderKey = key("ladder");
const otherKey = key("other");
/** Signed once and reused by every run (signing 10,000 orders takes seconds here). */
const signedCache = new Map<string, SignedOrder[]>();
function rungs(k: Key, accountId: bigint, n: number, tag: string): SignedOrder[] {
  const cacheKey = `${tag}:${n}`;
  let list = signedCache.get(cacheKey);
  if (list === undefined) {
    list = Array.from({ length: n }, (_, i) => sign(k, order(accountId, 1, LOT, P + BigInt(i + 1), BigInt(i + 1))));
    signedCache.set(cacheKey, list);
  }
  return list;
}

/** The taker's own `n` asks ahead of 10 asks of another account; one IOC buy through all of them. */
function selfTradeSweep(n: number, run: number): SweepRun {
  const venue = openVenue(`self-${n}-${run}`);
  let now = 1_800_000_000_000n;
  for (const [id, k] of [
    [2n, ladderKey],
    [3n, otherKey],
  ] as const)
    venue.execute({ kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null }, (now += 1n));
  for (const o of rungs(ladderKey, 2n, n, "ladder")) venue.execute({ kind: "place", order: o, clientOrderId: null }, (now += 1n));
  const behind = Array.from({ length: 10 }, (_, i) =>
    sign(otherKey, order(3n, 1, ONE, P + BigInt(n) + 100n + BigInt(i), BigInt(i + 1))),
  );
  for (const o of behind) {
    verifyOrderSignature(o, DOMAIN); // the intake's check
    venue.execute({ kind: "place", order: o, clientOrderId: null }, (now += 1n));
  }
  const taker = sign(ladderKey, order(2n, 0, 10n * ONE, P + BigInt(n) + 1_000n, 1_000_000n, true));
  verifyOrderSignature(taker, DOMAIN);
  const t = performance.now();
  const r = venue.execute({ kind: "place", order: taker, clientOrderId: null }, (now += 1n));
  const ms = performance.now() - t;
  venue.close();
  if (r.kind !== "place") throw new Error("expected a place outcome");
  return { resting: n, ms, fills: r.result.fills.length, cancelled: r.result.cancelled.length };
}

/** A maker with `n` resting asks; a taker sweeps 500 fills (MAX_FILLS) into them. */
function makerSweep(n: number, run: number): SweepRun {
  const venue = openVenue(`maker-${n}-${run}`);
  let now = 1_800_000_000_000n;
  for (const [id, k] of [
    [2n, ladderKey],
    [3n, otherKey],
  ] as const)
    venue.execute({ kind: "deposit", accountId: id, owner: id, pkHash: pkHash(k.pk), amount: RICH, queueIndex: null }, (now += 1n));
  const makers = rungs(ladderKey, 2n, n, "ladder");
  for (const o of makers.slice(0, 500)) verifyOrderSignature(o, DOMAIN);
  for (const o of makers) venue.execute({ kind: "place", order: o, clientOrderId: null }, (now += 1n));
  const taker = sign(otherKey, order(3n, 0, BigInt(n) * LOT, P + BigInt(n) + 1n, 1n, true));
  verifyOrderSignature(taker, DOMAIN);
  const t = performance.now();
  const r = venue.execute({ kind: "place", order: taker, clientOrderId: null }, (now += 1n));
  const ms = performance.now() - t;
  venue.close();
  if (r.kind !== "place") throw new Error("expected a place outcome");
  return { resting: n, ms, fills: r.result.fills.length, cancelled: r.result.cancelled.length };
}

/** The median of `runs` runs (the first run of each size warms the JIT and is dropped). */
function median(f: (n: number, run: number) => SweepRun, n: number, runs: number): SweepRun {
  f(n, -1);
  const got = Array.from({ length: runs }, (_, i) => f(n, i)).sort((a, b) => a.ms - b.ms);
  return got[Math.floor(runs / 2)]!;
}

function sweeps(): Record<string, unknown> {
  const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
  const out: Record<string, unknown> = {};
  for (const [name, f] of [
    ["selfTrade", selfTradeSweep],
    ["maker", makerSweep],
  ] as const) {
    const small = median(f, 1_000, 3);
    const large = median(f, 10_000, 3);
    log(`${name}: 1k ${round(small.ms)} ms, 10k ${round(large.ms)} ms (${large.fills} fills, ${large.cancelled} cancelled)`);
    out[name] = {
      resting: large.resting,
      ms: round(large.ms),
      fills: large.fills,
      cancelled: large.cancelled,
      usPerFill: round((large.ms * 1000) / large.fills, 1),
      usPerOrderRemoved: round((large.ms * 1000) / (large.fills + large.cancelled), 2),
      ms1k: round(small.ms),
      ratio10kTo1k: round(large.ms / small.ms),
    };
  }
  return out;
}

/** The stalled client: subscribes, stops reading, keeps asking for snapshots until closed. */
const STALLED_CLIENT = `
const { WebSocket } = require("ws");
const ws = new WebSocket(process.argv[1]);
const sub = JSON.stringify({ op: "subscribe", channel: "book", instrument: "ETH-PERP" });
let sent = 0;
ws.on("open", () => {
  ws._socket.pause();
  const t = setInterval(() => {
    for (let i = 0; i < 50; i++) ws.send(sub);
    sent += 50;
    if (sent >= 200000) clearInterval(t);
  }, 5);
  ws.on("close", (code) => { clearInterval(t); console.log(JSON.stringify({ code, sent })); process.exit(0); });
});
ws.on("error", () => undefined);
setTimeout(() => { console.log(JSON.stringify({ code: null, sent })); process.exit(0); }, 60000);
`;

async function wsStalled(): Promise<Record<string, unknown>> {
  const maxBufferedBytes = DEFAULT_WS_LIMITS.maxBufferedBytes;
  const service = await startService({
    host: "127.0.0.1",
    port: 0,
    dbFile: path.join(dir, "ws.db"),
    profile: PROFILE,
    domain: DOMAIN,
    ...BENCH_VENUE,
    verifyWorkers: 0,
    batchMaxAgeMs: 600_000,
    sessionTtlMs: 60_000,
    orderRatePerSecond: 1_000_000,
    orderBurst: 1_000_000,
    synchronous: "NORMAL",
    api: {
      rateLimits: { ipRate: 1_000_000, ipBurst: 1_000_000 },
      ws: { maxBufferedBytes, maxSubscriptions: 1_000_000 },
    },
  });
  try {
    // A 100-level book (50 a side): every snapshot is several kilobytes.
    let now = BigInt(Date.now());
    const maker = key("ws-maker");
    service.venue.execute(
      { kind: "deposit", accountId: 2n, owner: 2n, pkHash: pkHash(maker.pk), amount: RICH, queueIndex: null },
      (now += 1n),
    );
    for (let i = 0; i < 100; i++) {
      const buy = i % 2 === 0;
      const price = buy ? P - 10n * BigInt(i + 1) : P + 10n * BigInt(i + 1);
      service.venue.execute(
        { kind: "place", order: sign(maker, order(2n, buy ? 0 : 1, ONE, price, BigInt(i + 1))), clientOrderId: null },
        (now += 1n),
      );
    }
    const wss = (service.app as unknown as { websocketServer: WebSocketServer }).websocketServer;
    const mem = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external + m.arrayBuffers;
    };
    global.gc?.();
    const baseline = mem();
    let peakBuffered = 0;
    let peakMem = baseline;
    const sampler = setInterval(() => {
      for (const c of wss.clients) peakBuffered = Math.max(peakBuffered, c.bufferedAmount);
      peakMem = Math.max(peakMem, mem());
    }, 1);
    const wsUrl = service.url.replace(/^http/, "ws") + "/v1/ws";
    const t = performance.now();
    const child = spawn(process.execPath, ["-e", STALLED_CLIENT, wsUrl], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    await new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const ms = performance.now() - t;
    clearInterval(sampler);
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { code: number | null; sent: number };
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const slow = metrics.split("\n").find((l) => l.startsWith('tessera_ws_closed_total{reason="slow_consumer"} '));
    await new Promise((r) => setTimeout(r, 200));
    global.gc?.();
    const retained = mem() - baseline;
    log(
      `stalled client: closed after ${Math.round(ms)} ms (${slow ?? "no slow_consumer close"}), peak send buffer ${peakBuffered} B (bound ${maxBufferedBytes}), memory +${peakMem - baseline} B at peak, ${retained} B after`,
    );
    return {
      maxBufferedBytes,
      peakBufferedBytes: peakBuffered,
      peakMemoryGrowthBytes: peakMem - baseline,
      retainedAfterCloseBytes: global.gc === undefined ? null : retained,
      closedAsSlowConsumer: slow !== undefined && Number(slow.split(" ")[1]) >= 1,
      clientSawCloseCode: result.code,
      closedAfterMs: Math.round(ms),
      requestsSent: result.sent,
    };
  } finally {
    await service.close();
  }
}

const only = process.argv.slice(2);
const result: Record<string, unknown> = { profile: PROFILE };
try {
  if (only.length === 0 || only.includes("sweep")) result.sweep = sweeps();
  if (only.length === 0 || only.includes("ws")) result.wsStalled = await wsStalled();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
