/**
 * The WebSocket connection bookkeeping the venue's hub (ws.ts) and the market-data process's
 * (sequencer/marketdata/process.ts) share, so both endpoints hold the same limits the same way:
 * connections per IP (4002), subscriptions per connection (`TOO_MANY_SUBSCRIPTIONS`), unread
 * bytes (4001, slow consumer), pings with a pong deadline, and the close handshake a peer that
 * does not complete it is cut after. A hub adds its own rules (sessions, idle) around them.
 *
 * Guarantee: a connection is released exactly once, whatever closes it (the peer, a limit, the
 * pong deadline, shutdown), and its IP count, its subscriptions and the hub's own state for it
 * (`onRelease`) go with it.
 */
import type { WebSocket } from "ws";
import { SequencerError } from "../errors.ts";
import { describeIssues } from "./route.ts";
import { fastWsMessage, wsMessageSchema } from "./schemas.ts";
import type { WsMessage } from "./schemas.ts";
import type { WsLimits } from "./ws.ts";

/** Close codes the venue uses (docs/api.md). */
export const WS_CLOSE = {
  SHUTDOWN: 1001,
  SLOW_CONSUMER: 4001,
  TOO_MANY_CONNECTIONS: 4002,
  IDLE: 4003,
  SESSION_EXPIRED: 4004,
  NO_PONG: 4005,
} as const;

/** After a close frame, a peer that does not complete the close is cut after this long. */
const CLOSE_GRACE_MS = 1000;

/** The connection's TCP stream, as its upgrade request had it: what `sendText` corks. */
export interface CorkableStream {
  cork(): void;
  uncork(): void;
}

/** What every connection of a hub carries. */
export interface Connection {
  readonly socket: WebSocket;
  /**
   * The stream under `socket` (the upgrade request's socket, which the WebSocket writes to), or
   * null: frames sent to the connection within one turn of the event loop are then written
   * together (see `sendText`).
   */
  readonly stream: CorkableStream | null;
  readonly ip: string;
  /** Channel keys (`book:<instrument>`, ...) it is subscribed to. */
  readonly channels: Set<string>;
  lastMessageAt: number;
  pingSentAt: number;
  awaitingPong: boolean;
  /** Set once it has been released. */
  gone: boolean;
}

export interface ConnectionHooks<C extends Connection> {
  /** A connection was admitted. */
  readonly opened?: () => void;
  /** The hub closed a connection, for `reason` (metrics: `slow_consumer`, `no_pong`, ...). */
  readonly closed?: (reason: string) => void;
  /** A connection is released: the hub drops its own state for it. */
  readonly onRelease?: (c: C) => void;
}

/** The sweep's period for `limits`: half the shorter of the ping interval and the pong deadline. */
export function sweepPeriodMs(limits: WsLimits): number {
  return Math.max(10, Math.min(1000, Math.floor(Math.min(limits.pingIntervalMs, limits.pongTimeoutMs) / 2)));
}

export class Connections<C extends Connection> {
  readonly clients = new Set<C>();
  private readonly channels = new Map<string, Set<C>>();
  private readonly perIp = new Map<string, number>();
  /** Connections whose stream `sendText` has corked in this turn. */
  private readonly corked = new Set<C>();

  constructor(
    private readonly limits: WsLimits,
    private readonly hooks: ConnectionHooks<C> = {},
  ) {}

  /** Admits `c` unless its IP holds `maxConnectionsPerIp` already (then it is closed with 4002). */
  admit(c: C): boolean {
    c.socket.on("error", () => undefined);
    const open = this.perIp.get(c.ip) ?? 0;
    if (open >= this.limits.maxConnectionsPerIp) {
      this.hooks.closed?.("too_many_connections");
      c.socket.close(
        WS_CLOSE.TOO_MANY_CONNECTIONS,
        `over ${this.limits.maxConnectionsPerIp} connections from this address`,
      );
      setTimeout(() => c.socket.terminate(), CLOSE_GRACE_MS).unref();
      return false;
    }
    this.perIp.set(c.ip, open + 1);
    this.clients.add(c);
    this.hooks.opened?.();
    c.socket.on("pong", () => {
      c.awaitingPong = false;
    });
    c.socket.on("close", () => this.release(c));
    return true;
  }

  /** Sends a text frame, or closes the connection when its send buffer is over the bound. */
  sendText(c: C, text: string): void {
    if (c.gone || c.socket.readyState !== c.socket.OPEN) return;
    if (c.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.drop(
        c,
        WS_CLOSE.SLOW_CONSUMER,
        `slow consumer: over ${this.limits.maxBufferedBytes} bytes unread; read faster or subscribe to less`,
        "slow_consumer",
      );
      return;
    }
    this.cork(c);
    c.socket.send(text);
  }

  /**
   * Holds `c`'s writes until the end of this turn (`process.nextTick`), so that the frames a turn
   * sends to one connection (an order's acknowledgement, its fills, its order updates, a batch's
   * worth of them after a group commit) leave in one write instead of one system call each.
   * The WebSocket library corks and uncorks around each frame it writes; corks nest, so its frames
   * wait for this one.
   */
  private cork(c: C): void {
    if (c.stream === null || this.corked.has(c)) return;
    c.stream.cork();
    this.corked.add(c);
    if (this.corked.size === 1) process.nextTick(() => this.uncorkAll());
  }

  private uncorkAll(): void {
    for (const c of this.corked) c.stream!.uncork();
    this.corked.clear();
  }

  /** The subscribers of `key`, or undefined when it has none. */
  subscribers(key: string): ReadonlySet<C> | undefined {
    const set = this.channels.get(key);
    return set === undefined || set.size === 0 ? undefined : set;
  }

  /** `text()` (computed once, only if someone listens) to every subscriber of `key`. */
  broadcast(key: string, text: () => string): void {
    const set = this.subscribers(key);
    if (set === undefined) return;
    const t = text();
    for (const c of [...set]) this.sendText(c, t);
  }

  /**
   * Subscribes `c` to `key`; throws TOO_MANY_SUBSCRIPTIONS past the connection's cap, and
   * CHANNEL_FULL when `channelCap` is given and the channel already has that many subscribers
   * (re-subscribing is free).
   */
  subscribe(c: C, key: string, channelCap: number | null = null): void {
    if (c.channels.has(key)) return;
    if (c.channels.size >= this.limits.maxSubscriptions)
      throw new SequencerError(
        "TOO_MANY_SUBSCRIPTIONS",
        `a connection may hold ${this.limits.maxSubscriptions} subscriptions: unsubscribe first or open another connection`,
      );
    let set = this.channels.get(key);
    if (channelCap !== null && (set?.size ?? 0) >= channelCap)
      throw new SequencerError(
        "CHANNEL_FULL",
        `${key} already has ${channelCap} subscribers on the venue's endpoint, which writes public data ` +
          "on its matching thread: without a session, subscribe on the market-data endpoint " +
          "(GET /v1/status names it: marketData), or send auth first",
      );
    if (set === undefined) this.channels.set(key, (set = new Set()));
    set.add(c);
    c.channels.add(key);
  }

  unsubscribe(c: C, key: string): void {
    const set = this.channels.get(key);
    set?.delete(c);
    if (set?.size === 0) this.channels.delete(key);
    c.channels.delete(key);
  }

  /**
   * The sweep's ping step for `c` at `now`: pings when due, and drops a connection whose ping
   * went unanswered past the deadline (no close handshake can complete on a dead path). False
   * when `c` is gone.
   */
  keepAlive(c: C, now: number): boolean {
    if (c.gone) return false;
    if (c.awaitingPong) {
      if (now - c.pingSentAt >= this.limits.pongTimeoutMs) {
        this.release(c);
        this.hooks.closed?.("no_pong");
        c.socket.terminate();
        return false;
      }
    } else if (now - c.pingSentAt >= this.limits.pingIntervalMs) {
      c.awaitingPong = true;
      c.pingSentAt = now;
      try {
        c.socket.ping();
      } catch {
        // closing already
      }
    }
    return true;
  }

  /** Closes a connection the hub gives up on: it is released now. */
  drop(c: C, code: number, reason: string, metric: string): void {
    if (c.gone) return;
    this.release(c);
    this.hooks.closed?.(metric);
    try {
      c.socket.close(code, reason);
    } catch {
      // already closing
    }
    setTimeout(() => c.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Releases `c` once: its IP count, its subscriptions, then the hub's state (`onRelease`). */
  release(c: C): void {
    if (c.gone) return;
    c.gone = true;
    this.clients.delete(c);
    const open = (this.perIp.get(c.ip) ?? 1) - 1;
    if (open <= 0) this.perIp.delete(c.ip);
    else this.perIp.set(c.ip, open);
    for (const key of [...c.channels]) this.unsubscribe(c, key);
    this.hooks.onRelease?.(c);
  }

  /** Shutdown: releases every connection and closes it with 1001. */
  closeAll(reason: string): void {
    for (const c of [...this.clients]) {
      this.release(c);
      c.socket.close(WS_CLOSE.SHUTDOWN, reason);
    }
  }
}

/**
 * A client's frame as a message: its `id` (echoed in an error; undefined if it has none) is read
 * first, so a message the schema refuses is still answered with it. Throws BAD_REQUEST for a
 * binary frame, malformed JSON or a message outside `wsMessageSchema`; `id` is set before.
 */
export function decodeFrame(text: string, isBinary: boolean, ref: { id?: string | number }): WsMessage {
  return validateFrame(parseFrame(text, isBinary, ref));
}

/** A frame's JSON (its `id` into `ref`), not yet checked against the schema; throws BAD_REQUEST. */
export function parseFrame(text: string, isBinary: boolean, ref: { id?: string | number }): unknown {
  if (isBinary) throw new SequencerError("BAD_REQUEST", "send JSON text messages");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SequencerError("BAD_REQUEST", "malformed JSON");
  }
  if (typeof raw === "object" && raw !== null && "id" in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === "string" || typeof id === "number") ref.id = id;
  }
  return raw;
}

/** The `op` a parsed frame names, if it names one (before the schema checks it). */
export function frameOp(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const op = (raw as { op?: unknown }).op;
  return typeof op === "string" ? op : undefined;
}

/** A parsed frame checked against the message schema; throws BAD_REQUEST. */
export function validateFrame(raw: unknown): WsMessage {
  // The order messages' fast path first: zod's output, or undefined for zod to parse.
  const fast = fastWsMessage(raw);
  if (fast !== undefined) return fast;
  const r = wsMessageSchema.safeParse(raw);
  if (!r.success) throw new SequencerError("BAD_REQUEST", `invalid message: ${describeIssues(r.error)}`);
  return r.data;
}

/** The `error` message answering a refused frame (`INTERNAL` for anything but a SequencerError). */
export function errorMessage(e: unknown, ref: { id?: string | number }) {
  if (e instanceof SequencerError)
    return {
      type: "error",
      code: e.code,
      message: e.message,
      ...ref,
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    };
  return { type: "error", code: "INTERNAL", message: "internal error", ...ref };
}
