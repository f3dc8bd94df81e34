/**
 * Tools for the `attack:` and market-maker feature tests: a venue in a child process
 * (sequencer/main.ts, so every attack comes from another process over 127.0.0.1), WebSocket
 * helpers, a TCP proxy that can go silent (a half-open connection), `/metrics` reads and a
 * bounded-concurrency runner. Nothing here loads better-sqlite3.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocket } from "ws";
import { startChild, stopChild } from "./child.ts";
import type { ChildVenue } from "./child.ts";
import { nextWeeklyExpiry } from "../../protocol/instruments.ts";
import { toWire } from "../../sequencer/wire.ts";
import { ADMIN_TOKEN, Client, tempDb, venueEnv } from "./traders.ts";
import type { Trader } from "./traders.ts";

export const RICH = 100_000_000_000n;

/** The profile the child venues run. */
export const CHILD_PROFILE = "prod";

/** A venue in a child process on a temp journal; `restart` keeps the journal. */
export class ChildVenueHandle {
  private constructor(
    private child: ChildVenue,
    readonly env: Record<string, string>,
    private readonly cleanupDb: () => void,
  ) {}

  static async start(extra: Record<string, string> = {}): Promise<ChildVenueHandle> {
    const db = tempDb();
    const env = venueEnv(db.file, {
      TESSERA_PROFILE: CHILD_PROFILE,
      TESSERA_VERIFY_WORKERS: "1",
      TESSERA_SYNCHRONOUS: "NORMAL",
      ...extra,
    });
    return new ChildVenueHandle(await startChild(env), env, db.cleanup);
  }

  get url(): string {
    return this.child.url;
  }

  get client(): Client {
    return new Client(this.child.url);
  }

  /** SIGKILL (a crash) or SIGTERM, then a start on the same journal. */
  async restart(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await stopChild(this.child, signal);
    this.child = await startChild(this.env);
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    this.cleanupDb();
  }
}

/** Registers and funds a trader through the operator route (not charged to any budget). */
export async function fund(client: Client, trader: Trader, amount = RICH): Promise<void> {
  const r = await client.deposit(trader, amount);
  if (r.status !== 200) throw new Error(`deposit failed: ${JSON.stringify(r.body)}`);
}

/** The insurance fund's owner and trading-key hash in the child venues (sequencer/config.ts's defaults). */
export const FUND_KEYS = { owner: 0n, pkHash: 1n } as const;

/**
 * Registers insurance fund accounts `ids` through the operator route: accounts with the fund's
 * owner and key (docs/protocol.md §4.1), as docs/deployment.md ("Insurance fund capacity") has an
 * operator do before trading opens in more instruments than account 1 has position slots.
 */
export async function registerFundAccounts(client: Client, ids: readonly bigint[]): Promise<void> {
  for (const accountId of ids) {
    const r = await client.post(
      "/v1/admin/deposits",
      toWire({ accountId, owner: FUND_KEYS.owner, pkHash: FUND_KEYS.pkHash, amount: 0n }),
      ADMIN_TOKEN,
    );
    if (r.status !== 200) throw new Error(`fund account ${accountId}: ${JSON.stringify(r.body)}`);
  }
}

/** A market as `GET /v1/instruments` lists it (the fields the attack tests read). */
export interface Listed {
  readonly instrument: string;
  readonly name: string;
  readonly kind: string;
  readonly underlying: number;
  readonly tickSize: string;
  readonly lotSize: string;
}

/**
 * Child venue settings listing, besides the perps, one option expiry 60 days out (a Friday) with
 * two strikes each side: live whatever today's date, with enough series for many instruments.
 */
export function farOptionsEnv(): Record<string, string> {
  const expiry = nextWeeklyExpiry(BigInt(Math.floor(Date.now() / 1000)) + 60n * 86_400n, 5);
  return { TESSERA_OPTION_WEEKS: "0", TESSERA_OPTION_EXPIRIES: String(expiry), TESSERA_STRIKES_EACH_SIDE: "2" };
}

/** Runs `fn(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** The value of a Prometheus sample (`name{labels}`), 0 when absent. */
export async function metric(url: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(url + "/metrics")).text();
  const key = labels === "" ? name : `${name}{${labels}}`;
  for (const line of text.split("\n")) {
    if (line.startsWith(key + " ")) return Number(line.slice(key.length + 1));
  }
  return 0;
}

export function wsUrl(url: string): string {
  return url.replace(/^http/, "ws") + "/v1/ws";
}

/** Each socket's close code, listened for from its creation (a close can beat any later listener). */
const closeCodes = new WeakMap<WebSocket, Promise<number>>();

export async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(url));
  closeCodes.set(ws, new Promise((resolve) => ws.once("close", (code: number) => resolve(code))));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

export type WsMessage = Record<string, unknown>;

/** Resolves with the next message that matches (rejects when the socket closes first). */
export function nextMessage(ws: WebSocket, match: (m: WsMessage) => boolean): Promise<WsMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const m = JSON.parse(data.toString()) as WsMessage;
      if (match(m)) {
        done();
        resolve(m);
      }
    };
    const onClose = (code: number): void => {
      done();
      reject(new Error(`socket closed (${code}) before the message came`));
    };
    const done = (): void => {
      ws.off("message", onMessage);
      ws.off("close", onClose);
    };
    ws.on("message", onMessage);
    ws.once("close", onClose);
  });
}

/** Resolves with the close code of a socket (sockets of `openWs` report it even if already closed). */
export function closed(ws: WebSocket): Promise<number> {
  const known = closeCodes.get(ws);
  if (known !== undefined) return known;
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => ws.once("close", (code: number) => resolve(code)));
}

/** An authenticated WebSocket of `trader`. */
export async function authedWs(
  client: Client,
  trader: Trader,
  cancelOnDisconnect = false,
  url = client.url,
): Promise<{ ws: WebSocket; connectionId: string }> {
  const token = await client.session(trader);
  const ws = await openWs(url);
  const auth = nextMessage(ws, (m) => m.type === "authenticated" || m.type === "error");
  ws.send(JSON.stringify({ op: "auth", token, cancelOnDisconnect }));
  const m = await auth;
  if (m.type !== "authenticated") throw new Error(`auth failed: ${JSON.stringify(m)}`);
  return { ws, connectionId: m.connectionId as string };
}

/**
 * A TCP proxy on 127.0.0.1 in front of the venue. `silence()` makes every connection a
 * half-open one: nothing is forwarded either way and nothing is closed (no FIN, no RST), as when
 * a network path dies.
 */
export class SilentProxy {
  private readonly sockets = new Set<net.Socket>();
  private silent = false;

  private constructor(private readonly server: net.Server) {}

  static async start(targetUrl: string): Promise<SilentProxy> {
    const target = new URL(targetUrl);
    const server = net.createServer();
    const proxy = new SilentProxy(server);
    server.on("connection", (inbound) => {
      const outbound = net.connect(Number(target.port), "127.0.0.1");
      for (const [from, to] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        proxy.sockets.add(from);
        from.on("data", (chunk) => {
          if (!proxy.silent) to.write(chunk);
        });
        from.on("error", () => undefined);
        from.on("close", () => {
          proxy.sockets.delete(from);
          if (!proxy.silent) to.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on nothing passes and nothing closes. */
  silence(): void {
    this.silent = true;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `check` up to `attempts` times, `everyMs` apart; resolves with its last value. */
export async function eventually<T>(
  check: () => Promise<T>,
  done: (v: T) => boolean,
  attempts = 200,
  everyMs = 50,
): Promise<T> {
  let v = await check();
  for (let i = 0; i < attempts && !done(v); i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = await check();
  }
  return v;
}

export { ADMIN_TOKEN };
