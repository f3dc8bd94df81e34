/**
 * Load generator: pre-signs orders for a set of accounts, sends them to a running sequencer
 * with bounded concurrency, count and time, and records every acknowledgement.
 *
 * Library (`runLoad`) and CLI: `npx tsx sequencer/tools/loadgen.ts '<LoadOptions as JSON>'`
 * prints a `LoadReport` as JSON on stdout. Accounts sign with `loadgenKey(accountId)`, a
 * deterministic TEST-ONLY key; register them first with deposits of `loadgenPkHash(id)`.
 *
 * Modes: `rest` places non-crossing GTC orders only (bids below, asks above `mid`), so no
 * order ever fills and every acknowledged order must stay open; `cross` makes every second
 * order an IOC that takes the previous resting order of another account.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { TIF_SHIFT, TimeInForce } from "../../protocol/constants.ts";
import { publicKeyFast, signFast } from "../../protocol/eddsa-fast.ts";
import { initCrypto } from "../../protocol/index.ts";
import { pkHash } from "../../protocol/keys.ts";
import { orderHash, sessionMessage } from "../../protocol/signing.ts";
import type { Order, SignedOrder } from "../../protocol/types.ts";
import { toJson } from "../wire.ts";

export interface LoadOptions {
  readonly url: string;
  readonly domain: string;
  readonly accounts: readonly string[];
  readonly instrument: string;
  /** Mid price, cents; orders are placed `tick × (1..levels)` away from it. */
  readonly mid: string;
  readonly tick: string;
  readonly lot: string;
  readonly levels: number;
  readonly count: number;
  readonly concurrency: number;
  readonly maxMs: number;
  /**
   * First order id of every account; default: each account's own next order id from the venue
   * (`GET /v1/accounts/{id}/nextOrderId`, with its session), so runs against one venue never reuse an id.
   */
  readonly firstOrderId?: string;
  readonly mode: "rest" | "cross";
}

export interface Ack {
  readonly accountId: string;
  readonly orderId: string;
  readonly status: string;
  readonly filled: string;
  readonly remaining: string;
  readonly fills: number;
}

export interface LoadReport {
  readonly sent: number;
  readonly acked: readonly Ack[];
  /** Rejections by code (including `NETWORK` for requests that got no reply). */
  readonly errors: Readonly<Record<string, number>>;
  readonly ms: number;
  /** Acknowledgement latency percentiles, milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly signMs: number;
}

/** TEST-ONLY deterministic trading key of a load-generator account. */
export function loadgenKey(accountId: bigint): Uint8Array {
  return keccak_256(new TextEncoder().encode(`tessera loadgen TEST-ONLY key ${accountId}`));
}

export function loadgenPkHash(accountId: bigint): bigint {
  return pkHash(publicKeyFast(loadgenKey(accountId)));
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: toJson(body) });
  const reply = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${String(reply.code)}: ${String(reply.message)}`);
  return reply;
}

/** A session token of load account `accountId` at the venue at `url`: the challenge signed with its key. */
export async function loadgenSession(url: string, domain: bigint, accountId: bigint): Promise<string> {
  const base = url.replace(/\/+$/, "");
  const prv = loadgenKey(accountId);
  const { challenge } = await post(`${base}/v1/auth/challenge`, { accountId: accountId.toString() });
  const signature = signFast(prv, sessionMessage(domain, accountId, BigInt(String(challenge))));
  const { token } = await post(`${base}/v1/auth/session`, {
    accountId: accountId.toString(),
    challenge,
    publicKey: publicKeyFast(prv),
    signature,
  });
  return String(token);
}

/**
 * The order id load account `accountId` should sign next, from the venue at `url` (docs/api.md
 * "Choosing order ids", read with the account's session): one above the highest it has seen from
 * the account. Load tools count up from it.
 */
export async function venueNextOrderId(url: string, domain: bigint, accountId: bigint): Promise<bigint> {
  const token = await loadgenSession(url, domain, accountId);
  const res = await fetch(`${url.replace(/\/+$/, "")}/v1/accounts/${accountId}/nextOrderId`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof body.nextOrderId !== "string")
    throw new Error(`nextOrderId of account ${accountId}: ${res.status} ${String(body.code)}: ${String(body.message)}`);
  return BigInt(body.nextOrderId);
}

/** The first order id of each account: `firstOrderId` when given, else the venue's next id. */
export function firstOrderIds(
  url: string,
  domain: bigint,
  accounts: readonly bigint[],
  firstOrderId?: string,
): Promise<bigint[]> {
  if (firstOrderId !== undefined) return Promise.resolve(accounts.map(() => BigInt(firstOrderId)));
  return Promise.all(accounts.map((a) => venueNextOrderId(url, domain, a)));
}

function plan(o: LoadOptions, firstIds: readonly bigint[]): SignedOrder[] {
  const domain = BigInt(o.domain);
  const accounts = o.accounts.map(BigInt);
  const keys = accounts.map((a) => ({ prv: loadgenKey(a), pub: publicKeyFast(loadgenKey(a)) }));
  const nextId = [...firstIds];
  const mid = BigInt(o.mid);
  const tick = BigInt(o.tick);
  const lot = BigInt(o.lot);
  const out: SignedOrder[] = [];
  for (let i = 0; i < o.count; i++) {
    const a = i % accounts.length;
    const sell = Math.floor(i / accounts.length) % 2 === 1;
    const taking = o.mode === "cross" && i % 2 === 1;
    const distance = BigInt(1 + (i % o.levels));
    const order: Order = {
      accountId: accounts[a]!,
      instrument: BigInt(o.instrument),
      side: sell ? 1 : 0,
      size: lot * BigInt(1 + (i % 3)),
      // A taking order crosses to the far side; a resting one stays on its own side.
      price: taking
        ? sell
          ? mid - tick * 1000n
          : mid + tick * 1000n
        : sell
          ? mid + tick * distance
          : mid - tick * distance,
      orderId: nextId[a]!,
      expiry: 4_000_000_000n,
      flags: taking ? TimeInForce.IOC << TIF_SHIFT : TimeInForce.GTC << TIF_SHIFT,
    };
    nextId[a]! += 1n;
    out.push({ order, signature: signFast(keys[a]!.prv, orderHash(order, domain)), publicKey: keys[a]!.pub });
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the load; `onAck` sees each acknowledgement as it arrives. */
export async function runLoad(o: LoadOptions, onAck: (ack: Ack) => void = () => undefined): Promise<LoadReport> {
  await initCrypto();
  const firstIds = await firstOrderIds(o.url, BigInt(o.domain), o.accounts.map(BigInt), o.firstOrderId);
  const t0 = performance.now();
  const orders = plan(o, firstIds);
  const signMs = performance.now() - t0;
  const acked: Ack[] = [];
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const start = performance.now();
  let next = 0;
  let sent = 0;
  let dead = false;
  const worker = async (): Promise<void> => {
    while (!dead && next < orders.length && performance.now() - start < o.maxMs) {
      const signed = orders[next++]!;
      sent += 1;
      const t = performance.now();
      try {
        const res = await fetch(`${o.url}/v1/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: toJson({ order: signed }),
        });
        const body = (await res.json()) as Record<string, unknown>;
        if (res.status === 200) {
          latencies.push(performance.now() - t);
          const ack: Ack = {
            accountId: body.accountId as string,
            orderId: body.orderId as string,
            status: body.status as string,
            filled: body.filled as string,
            remaining: body.remaining as string,
            fills: (body.fills as unknown[]).length,
          };
          acked.push(ack);
          onAck(ack);
        } else {
          const code = String(body.code);
          errors[code] = (errors[code] ?? 0) + 1;
        }
      } catch {
        errors.NETWORK = (errors.NETWORK ?? 0) + 1;
        // The server is gone (or the connection failed): stop sending.
        dead = true;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const ms = performance.now() - start;
  const sorted = latencies.slice().sort((a, b) => a - b);
  return { sent, acked, errors, ms, p50: percentile(sorted, 50), p99: percentile(sorted, 99), signMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = JSON.parse(process.argv[2] ?? "{}") as LoadOptions;
  const report = await runLoad(options);
  process.stdout.write(JSON.stringify(report) + "\n");
}
