/**
 * WebSocket load generator: signed orders over `/v1/ws` from a process of its own, for the
 * `orders_accepted_per_s` and `ack_p99_ms` figures of issue 16 (docs/benchmarks.md).
 *
 * Library (`runWsLoad`) and CLI: `npx tsx sequencer/tools/wsload.ts '<WsLoadOptions as JSON>'`
 * prints a `WsLoadReport` as JSON on stdout. Two accounts sign with `loadgenKey(accountId)` (the
 * TEST-ONLY keys of loadgen.ts; register them first with deposits of `loadgenPkHash(id)`): a
 * maker, whose GTC asks go `tick × (levels, levels − 1, ..., 1)` above `mid` and round again,
 * and a taker, whose GTC bids at `mid + levels ticks` cross them, so half of the orders fill.
 * Each account opens a session (challenge signed with its key) and one authenticated
 * connection; every order is signed, and every message encoded, before the clock starts
 * (signing is the client's cost, not the venue's, and the client stays light while it measures).
 *
 * Before the clock the maker rests `seed` asks (not counted) above the taker's price, at
 * `tick × (levels + 1, ...)`: the book's depth, which rests the whole run. The measured orders
 * alternate maker, taker, maker, taker... Every order is one lot, so each fill pairs one maker
 * and one taker order; each ask is at or below the asks still resting from its round, so the
 * next bid takes it and no measured ask rests longer than the two connections drift apart (an
 * account's order tree holds a bounded number of live orders, docs/protocol.md §9). The taker's
 * orders are limit orders, not IOC, so the count does not depend on how the venue interleaves
 * the two connections: a bid that overtakes the asks rests and the next ask fills it. The maker
 * sends at least as many asks as the taker sends bids, so once every order is acknowledged
 * there is exactly one fill per pair (reported in the acknowledgement of whichever order came
 * second) and no taker order rests. The taker ends up long and the maker short, one lot per
 * pair.
 *
 * Modes:
 * - `saturate`: at most `inFlight` orders unacknowledged at any time (pipelining over both
 *   connections); throughput is accepted orders over the time from the first measured send to
 *   the last measured acknowledgement. Latency is measured from each message's send.
 * - `paced`: open loop at `rate` orders per second: message `m` is due at `start + m × batch /
 *   rate` and is sent then whatever the replies; latency is measured from the time it was due, not
 *   from when it went out, so a stalled venue (or a late sender) shows in the figures instead of
 *   slowing the load down (no coordinated omission).
 *
 * `warmup` orders go first, in the same mode and at the same pace, with no pause between them and
 * the measured ones: the venue's code is compiled by the JIT, its caches and its threads are up
 * and its batch builder is at work when the clock starts, as in a venue that has been trading.
 * They are reported apart (`warmup`), never in the measured figures. One fill per pair holds for
 * the two parts together: the pair that straddles the boundary may report its fill in either.
 *
 * `batch` > 1 sends `placeBatch` messages of that many orders (both counts are reported); the
 * venue acknowledges each message after the group commit that covers it (`Sequencer.durable()`).
 * An order counts as accepted only if its acknowledgement is a placement (`placed`, or an
 * `ok: true` item of `placedBatch`); rejections are counted by code.
 */
import { WebSocket } from "ws";
import { TIF_SHIFT, TimeInForce } from "../../protocol/constants.ts";
import { publicKeyFast, signFast } from "../../protocol/eddsa-fast.ts";
import { initCrypto } from "../../protocol/index.ts";
import { orderHash } from "../../protocol/signing.ts";
import type { Order, SignedOrder } from "../../protocol/types.ts";
import { toJson } from "../wire.ts";
import { firstOrderIds, loadgenKey, loadgenSession } from "./loadgen.ts";

export interface WsLoadOptions {
  /** The venue's base URL (`http://127.0.0.1:port`); the socket is `/v1/ws` on it. */
  readonly url: string;
  readonly domain: string;
  readonly maker: string;
  readonly taker: string;
  readonly instrument: string;
  /** Mid price, cents: maker asks go `tick × (1..levels)` above it, seeds above those, taker bids `levels` ticks above. */
  readonly mid: string;
  readonly tick: string;
  readonly lot: string;
  readonly levels: number;
  /** Maker asks rested before the clock starts (not counted; at most 900, under the open-order cap). */
  readonly seed: number;
  /** Measured orders, maker and taker together (rounded down to whole pairs of messages). */
  readonly count: number;
  /**
   * Orders sent before the measured ones, in the same mode and at the same pace, and reported
   * apart (rounded down to whole pairs of messages; default 0).
   */
  readonly warmup?: number;
  /** Orders per message: 1 sends `place`, more sends `placeBatch` (at most 50). */
  readonly batch: number;
  readonly mode: "saturate" | "paced";
  /** `saturate`: orders in flight at most. */
  readonly inFlight: number;
  /** `paced`: orders per second. */
  readonly rate: number;
  /** Sending (warm-up included) stops after this long; acknowledgements are awaited up to `maxMs + 10 s`. */
  readonly maxMs: number;
  /**
   * First order id of each account (seed orders included); default: each account's next order
   * id from the venue (`GET /v1/accounts/{id}/nextOrderId`), so runs against one venue never
   * reuse an id.
   */
  readonly firstOrderId?: string;
  /**
   * The venue profile's order-tree depth. When given, the maker's measured orders skip the
   * order-tree slots (`id mod 2^orderDepth`) of its seed orders, which far from the taker's
   * prices rest the whole run, as an id allocator would (sdk/orders.ts `OrderIdAllocator`);
   * else ids simply count up.
   */
  readonly orderDepth?: number;
}

/** Acknowledgement latency, milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** The warm-up's orders (`WsLoadOptions.warmup`), counted apart from the measured ones. */
export interface WsWarmupReport {
  readonly orders: number;
  readonly accepted: number;
  /** Rejected orders, every code (`NO_REPLY` included). */
  readonly rejected: number;
  readonly filledOrders: number;
  readonly fills: number;
  /** From the warm-up's first send (or due time) to its last acknowledgement, milliseconds. */
  readonly ms: number;
  readonly latency: Latency;
}

export interface WsLoadReport {
  readonly mode: "saturate" | "paced";
  /** Orders and messages sent in the measured run. */
  readonly orders: number;
  readonly messages: number;
  /** Orders acknowledged as placed. */
  readonly accepted: number;
  /** Rejected orders by code (`NO_REPLY`: no acknowledgement by `maxMs + 10 s` after the start). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Accepted orders by status (`resting`, `filled`, `cancelled`, ...), maker and taker. */
  readonly makerStatus: Readonly<Record<string, number>>;
  readonly takerStatus: Readonly<Record<string, number>>;
  /** Measured orders whose acknowledgement carried a fill (the second order of each pair). */
  readonly filledOrders: number;
  /** Fills reported in the acknowledgements. */
  readonly fills: number;
  /** From the first measured send (paced: its due time) to the last measured acknowledgement, milliseconds. */
  readonly ms: number;
  readonly ordersPerSecond: number;
  readonly messagesPerSecond: number;
  /** `paced`: the rate asked for, orders per second, and the longest a measured message went out late, ms. */
  readonly targetRate: number | null;
  readonly maxSendLagMs: number | null;
  /** Of the accepted orders only: a rejection is not an acknowledgement of the order. */
  readonly latency: Latency;
  /** CPU time this process (the client) spent from the first send to the last acknowledgement, warm-up included, ms. */
  readonly clientCpuMs: number;
  /** Signing and encoding all orders before the clock, milliseconds. */
  readonly signMs: number;
  readonly seedOrders: number;
  readonly connections: number;
  /** How a connection closed during the run (`code reason`), or null if both stayed open. */
  readonly closed: string | null;
  /** The warm-up, or null without one. */
  readonly warmup: WsWarmupReport | null;
}

/** What the acknowledgements of one part of the run (the warm-up, or the measured orders) said. */
class Tally {
  readonly rejected: Record<string, number> = {};
  readonly makerStatus: Record<string, number> = {};
  readonly takerStatus: Record<string, number> = {};
  readonly latencies: Float64Array;
  accepted = 0;
  filledOrders = 0;
  fills = 0;
  sentOrders = 0;
  sentMessages = 0;
  inFlight = 0;
  /** The first send (paced: its due time) and the last acknowledgement, `performance.now()`. */
  firstSend: number | null = null;
  lastAck = 0;
  maxSendLagMs = 0;

  constructor(orders: number) {
    this.latencies = new Float64Array(orders);
  }

  count(into: Record<string, number>, key: string, n = 1): void {
    into[key] = (into[key] ?? 0) + n;
  }

  result(statuses: Record<string, number>, result: { status: string; fills: unknown[] }, latency: number): void {
    this.latencies[this.accepted] = latency;
    this.accepted += 1;
    this.count(statuses, result.status);
    if (result.fills.length > 0) this.filledOrders += 1;
    this.fills += result.fills.length;
  }

  /** Milliseconds from the first send to the last acknowledgement. */
  get ms(): number {
    return this.firstSend === null ? 1e-9 : Math.max(1e-9, this.lastAck - this.firstSend);
  }

  latency(): Latency {
    const sorted = this.latencies.subarray(0, this.accepted).sort();
    return {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      p999: round(percentile(sorted, 99.9)),
      max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!),
    };
  }
}

interface Account {
  readonly id: bigint;
  readonly prv: Uint8Array;
  readonly pub: ReturnType<typeof publicKeyFast>;
  nextOrderId: bigint;
}

/** One authenticated connection with replies matched to requests by `id`. */
class Connection {
  private readonly pending = new Map<string, (reply: Record<string, unknown>) => void>();
  private nextId = 0;
  closed: string | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const text = data.toString();
      // Private updates (`orders`, `fill`) and `status` are not replies: skip them unparsed.
      if (!text.startsWith('{"type":"placed') && !text.startsWith('{"type":"error')) return;
      const reply = JSON.parse(text) as Record<string, unknown>;
      const id = reply.id;
      if (typeof id !== "string") return;
      const resolve = this.pending.get(id);
      if (resolve === undefined) return;
      this.pending.delete(id);
      resolve(reply);
    });
    // A failing socket also closes: `closed` says how, and its unanswered orders count as NO_REPLY.
    socket.on("error", () => undefined);
    socket.on("close", (code, reason) => {
      this.closed = `${code} ${reason.toString()}`;
    });
  }

  static async open(base: string, token: string): Promise<Connection> {
    const socket = new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const authenticated = new Promise<void>((resolve, reject) => {
      const onMessage = (data: Buffer): void => {
        const m = JSON.parse(data.toString()) as { type?: string; code?: string; message?: string };
        if (m.type === "authenticated") {
          socket.off("message", onMessage);
          resolve();
        } else if (m.type === "error") {
          socket.off("message", onMessage);
          reject(new Error(`WebSocket auth refused: ${m.code}: ${m.message}`));
        }
      };
      socket.on("message", onMessage);
    });
    socket.send(JSON.stringify({ op: "auth", token }));
    await authenticated;
    return new Connection(socket);
  }

  /** Sends one request; `onReply` gets its reply. */
  send(message: Record<string, unknown>, onReply: (reply: Record<string, unknown>) => void): void {
    const id = `r${++this.nextId}`;
    this.sendText(id, toJson({ ...message, id }), onReply);
  }

  /** Sends a request already encoded with its `id` (unique on this connection). */
  sendText(id: string, text: string, onReply: (reply: Record<string, unknown>) => void): void {
    this.pending.set(id, onReply);
    this.socket.send(text);
  }

  /** Sends one request and resolves with its reply. */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.send(message, resolve));
  }

  close(): void {
    this.socket.close();
  }
}

function account(id: string, firstOrderId: bigint): Account {
  const prv = loadgenKey(BigInt(id));
  return { id: BigInt(id), prv, pub: publicKeyFast(prv), nextOrderId: firstOrderId };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Runs the load and reports it; throws if the venue refuses a session or a seed order. */
export async function runWsLoad(o: WsLoadOptions): Promise<WsLoadReport> {
  if (!Number.isInteger(o.batch) || o.batch < 1 || o.batch > 50) throw new Error("batch must be 1..50");
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 900) throw new Error("seed must be 0..900");
  if (o.mode === "paced" && !(o.rate > 0)) throw new Error("paced mode needs a positive rate");
  if (o.mode === "saturate" && !(o.inFlight >= o.batch)) throw new Error("inFlight must be at least batch");
  await initCrypto();
  const domain = BigInt(o.domain);
  const instrument = BigInt(o.instrument);
  const mid = BigInt(o.mid);
  const tick = BigInt(o.tick);
  const lot = BigInt(o.lot);
  const base = o.url.replace(/\/$/, "");
  const [makerFirst, takerFirst] = await firstOrderIds(
    base,
    domain,
    [BigInt(o.maker), BigInt(o.taker)],
    o.firstOrderId,
  );
  const maker = account(o.maker, makerFirst!);
  const taker = account(o.taker, takerFirst!);
  // The seed orders' order-tree slots, filled in once they are signed.
  const slotMask = o.orderDepth === undefined ? null : (1n << BigInt(o.orderDepth)) - 1n;
  const seedSlots = new Set<bigint>();
  const nextId = (a: Account): bigint => {
    if (slotMask !== null && a === maker) while (seedSlots.has(a.nextOrderId & slotMask)) a.nextOrderId++;
    return a.nextOrderId++;
  };
  const sign = (a: Account, side: 0 | 1, price: bigint): SignedOrder => {
    const order: Order = {
      accountId: a.id,
      instrument,
      side,
      size: lot,
      price,
      orderId: nextId(a),
      expiry: 4_000_000_000n,
      flags: TimeInForce.GTC << TIF_SHIFT,
    };
    return { order, signature: signFast(a.prv, orderHash(order, domain)), publicKey: a.pub };
  };
  const levels = BigInt(o.levels);
  const ask = (i: number): SignedOrder => sign(maker, 1, mid + tick * (levels - BigInt(i % o.levels)));
  const depth = (i: number): SignedOrder => sign(maker, 1, mid + tick * (levels + 1n + BigInt(i % o.levels)));

  const t0 = performance.now();
  const seeds: SignedOrder[] = [];
  for (let i = 0; i < o.seed; i++) seeds.push(depth(i));
  if (slotMask !== null) for (const s of seeds) seedSlots.add(s.order.orderId & slotMask);
  // Message m: maker's when m is even, taker's when odd; each holds `batch` orders. The warm-up's
  // messages come first, then the measured ones.
  const wholePairs = (orders: number): number => Math.floor(orders / (2 * o.batch)) * o.batch;
  const warmPairs = wholePairs(o.warmup ?? 0);
  const pairs = wholePairs(o.count);
  const makerOrders: SignedOrder[] = [];
  const takerOrders: SignedOrder[] = [];
  for (let i = 0; i < warmPairs + pairs; i++) {
    makerOrders.push(ask(i));
    takerOrders.push(sign(taker, 0, mid + tick * levels));
  }
  const warmMessages = (2 * warmPairs) / o.batch;
  const messages = warmMessages + (2 * pairs) / o.batch;
  // Every message encoded before the clock too, with its id (`m`): during the run the client
  // only sends text and reads replies, so its own work and garbage collection stay small
  // beside what it measures.
  const texts: string[] = [];
  for (let m = 0; m < messages; m++) {
    const list = m % 2 === 0 ? makerOrders : takerOrders;
    const from = Math.floor(m / 2) * o.batch;
    const message =
      o.batch === 1
        ? { op: "place", order: list[from]! }
        : { op: "placeBatch", orders: list.slice(from, from + o.batch).map((order) => ({ order })) };
    texts.push(toJson({ ...message, id: String(m) }));
  }
  makerOrders.length = 0;
  takerOrders.length = 0;
  const signMs = performance.now() - t0;

  const connections = [
    await Connection.open(base, await loadgenSession(base, domain, maker.id)),
    await Connection.open(base, await loadgenSession(base, domain, taker.id)),
  ];
  const [makerConn, takerConn] = connections as [Connection, Connection];
  try {
    for (let i = 0; i < seeds.length; i += 50) {
      const reply = await makerConn.request({
        op: "placeBatch",
        orders: seeds.slice(i, i + 50).map((order) => ({ order })),
      });
      const results = (reply.results ?? []) as { ok: boolean; code?: string; result?: { status: string } }[];
      const bad = results.find((r) => !r.ok || r.result?.status !== "resting");
      if (reply.type !== "placedBatch" || bad !== undefined)
        throw new Error(`a seed order was not rested: ${JSON.stringify(bad ?? reply)}`);
    }

    const warm = new Tally(2 * warmPairs);
    const measured = new Tally(2 * pairs);
    // Orders in flight, warm-up and measured together (the saturating mode's bound).
    let inFlight = 0;

    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let pump: () => void = () => undefined;
    /** Sends message `m`; `since` is when it went out (saturating) or was due (paced). */
    const send = (m: number, since: number, lagMs = 0): void => {
      const tally = m < warmMessages ? warm : measured;
      const statuses = m % 2 === 0 ? tally.makerStatus : tally.takerStatus;
      const conn = m % 2 === 0 ? makerConn : takerConn;
      tally.firstSend ??= since;
      tally.maxSendLagMs = Math.max(tally.maxSendLagMs, lagMs);
      tally.sentMessages += 1;
      tally.sentOrders += o.batch;
      tally.inFlight += o.batch;
      inFlight += o.batch;
      conn.sendText(String(m), texts[m]!, (reply) => {
        const now = performance.now();
        tally.lastAck = now;
        tally.inFlight -= o.batch;
        inFlight -= o.batch;
        if (reply.type === "placed")
          tally.result(statuses, reply.result as { status: string; fills: unknown[] }, now - since);
        else if (reply.type === "placedBatch")
          for (const item of reply.results as {
            ok: boolean;
            code?: string;
            result?: { status: string; fills: unknown[] };
          }[])
            if (item.ok) tally.result(statuses, item.result!, now - since);
            else tally.count(tally.rejected, String(item.code));
        else tally.count(tally.rejected, String(reply.code), o.batch);
        pump();
      });
    };

    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let next = 0;
    const stopped = (): boolean =>
      performance.now() - start >= o.maxMs || makerConn.closed !== null || takerConn.closed !== null;
    if (o.mode === "saturate") {
      pump = () => {
        while (next < messages && inFlight + o.batch <= o.inFlight && !stopped()) send(next++, performance.now());
        if (inFlight === 0) done();
      };
      pump();
    } else {
      const interval = (1000 * o.batch) / o.rate;
      const due = (): void => {
        const now = performance.now();
        while (next < messages && start + next * interval <= now && !stopped()) {
          const at = start + next * interval;
          send(next++, at, now - at);
        }
        if (next < messages && !stopped()) setTimeout(due, Math.max(0, start + next * interval - performance.now()));
        else {
          pump = () => {
            if (inFlight === 0) done();
          };
          pump();
        }
      };
      due();
    }
    // Replies are awaited until `maxMs + 10 s` after the start; what is unanswered then is NO_REPLY.
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (
            (stopped() && performance.now() - start >= o.maxMs + 10_000) ||
            makerConn.closed !== null ||
            takerConn.closed !== null
          )
            resolve();
          else deadline = setTimeout(check, 100);
        };
        check();
      }),
    ]);
    clearTimeout(deadline);
    const cpu = process.cpuUsage(cpuStart);
    for (const tally of [warm, measured])
      if (tally.inFlight > 0) tally.count(tally.rejected, "NO_REPLY", tally.inFlight);
    const ms = measured.ms;
    const total = (counts: Readonly<Record<string, number>>): number =>
      Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      mode: o.mode,
      orders: measured.sentOrders,
      messages: measured.sentMessages,
      accepted: measured.accepted,
      rejected: measured.rejected,
      makerStatus: measured.makerStatus,
      takerStatus: measured.takerStatus,
      filledOrders: measured.filledOrders,
      fills: measured.fills,
      ms: round(ms),
      ordersPerSecond: Math.round((measured.accepted / ms) * 1000),
      messagesPerSecond: Math.round((measured.sentMessages / ms) * 1000),
      targetRate: o.mode === "paced" ? o.rate : null,
      maxSendLagMs: o.mode === "paced" ? round(measured.maxSendLagMs) : null,
      latency: measured.latency(),
      clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      signMs: Math.round(signMs),
      seedOrders: seeds.length,
      connections: connections.length,
      closed: makerConn.closed ?? takerConn.closed,
      warmup:
        warmMessages === 0
          ? null
          : {
              orders: warm.sentOrders,
              accepted: warm.accepted,
              rejected: total(warm.rejected),
              filledOrders: warm.filledOrders,
              fills: warm.fills,
              ms: round(warm.ms),
              latency: warm.latency(),
            },
    };
  } finally {
    for (const c of connections) c.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = JSON.parse(process.argv[2] ?? "{}") as WsLoadOptions;
  const report = await runWsLoad(options);
  process.stdout.write(JSON.stringify(report) + "\n");
}
