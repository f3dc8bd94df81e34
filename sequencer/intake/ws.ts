/**
 * WebSocket streams (`/v1/ws`): public book / trades / ticker channels per instrument and, after
 * `auth` with a session token, the account's private order, fill (trades and liquidations,
 * `kind`), withdrawal (on acceptance and at each status change of its batch) and settlement
 * updates; order entry (`place`, `cancel`, `placeBatch`, `cancelBatch`) on an authenticated
 * connection.
 *
 * Guarantee: one connection costs the venue bounded memory and is closed when it stops
 * serving its purpose. Per connection the send buffer is bounded (`maxBufferedBytes`: a client
 * that does not read is closed with 4001), subscriptions are capped (`maxSubscriptions`), a
 * connection that neither authenticates nor subscribes is closed after `idleTimeoutMs` (4003),
 * an authenticated one when its session expires (4004); per IP, connections are capped (4002).
 * Since the venue writes every stream message on its matching thread, what anyone can make it
 * write is bounded too: a public channel takes `maxAnonymousSubscribersPerChannel` subscribers
 * without a session (`CHANNEL_FULL`; public data at scale is the market-data endpoint's job), and
 * an account `maxConnectionsPerAccount` authenticated connections (`TOO_MANY_CONNECTIONS`).
 * The server pings every `pingIntervalMs` and drops a connection that has not answered within
 * `pongTimeoutMs`, so a half-open connection (no FIN) is detected and its cancel-on-disconnect
 * fires.
 *
 * Rate limits: before `auth` every message is the IP's (charged before the frame is parsed);
 * after it the account's, by op, before the message is checked: `place` and `placeBatch` one
 * order token per order (before any signature is checked: junk signatures cost their sender),
 * `cancel` and `cancelBatch` one cancel token per order id (and nothing else, so order traffic
 * never blocks a cancel), every other message one read token.
 *
 * Private messages (`fill`, `orders`, `withdrawal`, `settlement`) carry `seq`, numbered per
 * connection from 1: a gap means a lost message, and a new connection starts again at 1 —
 * reconcile from REST (open orders, fills) after either. Public trades carry `tradeId`, the
 * venue's fill sequence.
 *
 * Book stream: on subscribe the client gets a `book_snapshot` with `seq`, then `book` messages
 * with `seq + 1, seq + 2, ...` holding changed levels (`size` is the level's new total, 0 =
 * removed). A gap in `seq` means a lost message: resubscribe.
 *
 * Cancel-on-disconnect: `{op: "auth", token, cancelOnDisconnect: true}` makes this connection a
 * cancel-on-disconnect group (its `connectionId` is in the `authenticated` reply). Orders placed
 * on this connection, and REST orders that name its `connectionId` (`cancelOnDisconnect`), are
 * cancelled when this connection goes away — and only those: the account's other orders stay.
 * The group of each order is journaled with it; on restart every group is cancelled (no
 * connection outlives a restart), so the promise survives a crash.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import type { VenueEvent } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";
import { healthView } from "../core/health.ts";
import { toJson } from "../wire.ts";
import {
  Connections,
  decodeFrame,
  errorMessage,
  frameOp,
  parseFrame,
  sweepPeriodMs,
  validateFrame,
  WS_CLOSE,
} from "./connections.ts";
import type { Connection, CorkableStream } from "./connections.ts";
import { RequestLimits } from "./ratelimit.ts";
import type { AccountBudget } from "./ratelimit.ts";
import type { ApiContext } from "./routes.ts";
import {
  bookSnapshotView,
  cancelledView,
  fillView,
  itemError,
  placeBatchOrders,
  placeOrder,
  placeView,
  resolveInstrument,
  settlementView,
  withdrawalView,
} from "./routes.ts";
import type { WsMessage } from "./schemas.ts";
import type { Session } from "./sessions.ts";

/** Limits of the WebSocket endpoint (docs/api.md "WebSocket limits"). */
export interface WsLimits {
  /** Open connections per IP. */
  readonly maxConnectionsPerIp: number;
  /** Channel subscriptions per connection. */
  readonly maxSubscriptions: number;
  /** Bytes a connection may have queued for sending before it is closed as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** A connection with no session and no subscription is closed after this long without a message. */
  readonly idleTimeoutMs: number;
  /** Server ping interval. */
  readonly pingIntervalMs: number;
  /** A ping unanswered for this long drops the connection. */
  readonly pongTimeoutMs: number;
  /**
   * The venue's endpoint only: a connection without a session may subscribe to a public channel
   * holding fewer subscribers than this (else `CHANNEL_FULL`). The venue writes every public
   * message to every subscriber on its matching thread, so the channel's cost per event is
   * bounded by this plus the authenticated subscribers; the market-data endpoint serves any
   * number off that thread.
   */
  readonly maxAnonymousSubscribersPerChannel: number;
  /**
   * The venue's endpoint only: connections authenticated for one account (an `auth` past it is
   * refused `TOO_MANY_CONNECTIONS`; the connection stays as it was). Every private message goes
   * to each of them, on the matching thread.
   */
  readonly maxConnectionsPerAccount: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  maxConnectionsPerIp: 20,
  maxSubscriptions: 100,
  maxBufferedBytes: 1 << 20,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 15_000,
  pongTimeoutMs: 10_000,
  maxAnonymousSubscribersPerChannel: 32,
  maxConnectionsPerAccount: 16,
};

export { WS_CLOSE };

interface Client extends Connection {
  readonly id: string;
  session: Session | null;
  cancelOnDisconnect: boolean;
  /** Sequence number of the last private message sent on this connection (from 1). */
  privateSeq: number;
}

/** The account budget a message of an authenticated connection is charged to, by its op. */
function budgetOf(op: string | undefined): AccountBudget {
  if (op === "place" || op === "placeBatch") return "order";
  if (op === "cancel" || op === "cancelBatch") return "cancel";
  return "read";
}

/** Levels per side of the `book_snapshot` a subscription starts with. */
export const BOOK_SNAPSHOT_DEPTH = 50;

export class StreamHub {
  private readonly conns: Connections<Client>;
  private readonly accounts = new Map<bigint, Set<Client>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly api: ApiContext,
    private readonly log: Logger,
    private readonly limits: WsLimits = DEFAULT_WS_LIMITS,
  ) {
    this.conns = new Connections<Client>(limits, {
      opened: () => api.metrics.wsClients.inc(),
      closed: (reason) => api.metrics.wsClosed.inc({ reason }),
      onRelease: (c) => this.onRelease(c),
    });
    api.venue.on((e) => this.onEvent(e));
    // No connection outlives a restart: orders left in a cancel-on-disconnect group are cancelled.
    for (const group of api.venue.engine.liveGroups()) this.cancelGroup(group, null);
    this.timer = setInterval(() => this.sweep(), sweepPeriodMs(limits));
    this.timer.unref();
  }

  private now(): number {
    return Number(this.api.clock());
  }

  private send(client: Client, message: unknown): void {
    this.conns.sendText(client, toJson(message));
  }

  /**
   * A private message of `type` to every connection of `accountId`, numbered per connection
   * (`seq` 1, 2, ...) so that a client sees any loss. `body` gives the message's other fields as
   * JSON (`toJson` of a non-empty object); it is called once, and only if the account has a
   * connection, whatever their count.
   */
  private sendPrivate(accountId: bigint, type: string, body: () => string): void {
    const clients = this.accounts.get(accountId);
    if (clients === undefined || clients.size === 0) return;
    const head = `{"type":${JSON.stringify(type)},"seq":`;
    const rest = `,${body().slice(1)}`;
    for (const c of [...clients]) {
      if (c.gone) continue;
      c.privateSeq += 1;
      this.conns.sendText(c, head + String(c.privateSeq) + rest);
    }
  }

  private ticker(instrument: bigint) {
    const book = this.api.venue.engine.book(instrument);
    const s = this.api.venue.marketStats(instrument);
    return {
      type: "ticker",
      instrument,
      bid: book.best(Side.BUY)?.price ?? null,
      ask: book.best(Side.SELL)?.price ?? null,
      lastPrice: s.lastPrice,
      volume: s.volume,
    };
  }

  private onEvent(e: VenueEvent): void {
    switch (e.type) {
      case "book":
        this.conns.broadcast(`book:${e.instrument}`, () =>
          toJson({ type: "book", instrument: e.instrument, seq: e.seq, changes: e.changes }),
        );
        this.conns.broadcast(`ticker:${e.instrument}`, () => toJson(this.ticker(e.instrument)));
        return;
      case "trade": {
        // One encoding of the fill for the public trade and both accounts' private `fill`.
        const body = toJson(fillView(e.fill));
        this.conns.broadcast(`trades:${e.fill.instrument}`, () => `{"type":"trade",${body.slice(1)}`);
        for (const id of [e.fill.makerAccount, e.fill.takerAccount]) this.sendPrivate(id, "fill", () => body);
        return;
      }
      case "orders":
        this.sendPrivate(e.accountId, "orders", () =>
          toJson({ placed: e.placed === null ? null : placeView(e.placed), cancelled: e.cancelled.map(cancelledView) }),
        );
        return;
      case "withdrawal":
        this.sendPrivate(e.withdrawal.accountId, "withdrawal", () =>
          toJson(withdrawalView(this.api.venue, e.withdrawal, this.api.batchMaxAgeMs)),
        );
        return;
      case "settlement":
        this.sendPrivate(e.settlement.accountId, "settlement", () => toJson(settlementView(e.settlement)));
        return;
      case "health":
        // Every connection hears when the venue turns cancel-only, halted or price-stale, and back.
        for (const c of [...this.conns.clients]) this.send(c, { type: "status", ...healthView(e.health) });
        return;
      case "batch":
      case "halted":
        return;
    }
  }

  /** Open connections (for tests and metrics). */
  get size(): number {
    return this.conns.clients.size;
  }

  /** Serves one connection until it closes. */
  handle(socket: WebSocket, ip: string, stream: CorkableStream | null = null): void {
    const now = this.now();
    const client: Client = {
      socket,
      stream,
      id: randomBytes(16).toString("base64url"),
      ip,
      channels: new Set(),
      session: null,
      cancelOnDisconnect: false,
      lastMessageAt: now,
      pingSentAt: now,
      awaitingPong: false,
      privateSeq: 0,
      gone: false,
    };
    if (!this.conns.admit(client)) return;
    // The health gate as it stands, so a client never trades blind until the next change.
    this.send(client, { type: "status", ...healthView(this.api.venue.health(this.api.clock())) });
    socket.on("message", (data, isBinary) => {
      client.lastMessageAt = this.now();
      void this.onRaw(client, data.toString(), isBinary);
    });
  }

  private async onRaw(client: Client, text: string, isBinary: boolean): Promise<void> {
    // A connection the venue dropped (limit, no pong, expiry) is not served while it closes.
    if (client.gone) return;
    const ref: { id?: string | number } = {};
    try {
      const limits = new RequestLimits(this.api.limits, client.ip, () => this.now());
      let msg: WsMessage;
      // Unauthenticated traffic is the IP's, charged before the frame is even parsed. An
      // authenticated connection's is its account's, charged by op before the message is checked
      // (as a REST route's budget is known from its URL): `place` and `placeBatch` to the order
      // budget, `cancel` and `cancelBatch` to the cancel budget — which order traffic can never
      // use up — and everything else to the read budget.
      if (client.session === null) {
        limits.chargeIp();
        msg = decodeFrame(text, isBinary, ref);
      } else {
        const accountId = client.session.accountId;
        let raw: unknown;
        try {
          raw = parseFrame(text, isBinary, ref);
        } catch (e) {
          limits.chargeAccount(accountId, "read");
          throw e;
        }
        limits.chargeAccount(accountId, budgetOf(frameOp(raw)));
        msg = validateFrame(raw);
      }
      await this.onMessage(client, msg, limits);
    } catch (e) {
      // A rejection may have journaled a purge on the way: answered after its commit too.
      await this.api.venue.durable().catch(() => undefined);
      if (!(e instanceof SequencerError)) this.log.error({ err: e }, "websocket message failed");
      this.send(client, errorMessage(e, ref));
    }
  }

  private async onMessage(client: Client, msg: WsMessage, limits: RequestLimits): Promise<void> {
    switch (msg.op) {
      case "ping":
        this.send(client, { type: "pong" });
        return;
      case "auth": {
        const session = this.api.sessions.check(msg.token, this.now());
        const previous = client.session;
        const held = this.accounts.get(session.accountId);
        if (previous?.accountId !== session.accountId && (held?.size ?? 0) >= this.limits.maxConnectionsPerAccount)
          throw new SequencerError(
            "TOO_MANY_CONNECTIONS",
            `account ${session.accountId} holds ${this.limits.maxConnectionsPerAccount} authenticated connections ` +
              "on this endpoint, the most it may: close one, or place and cancel over one connection",
          );
        if (previous !== null) {
          this.accounts.get(previous.accountId)?.delete(client);
          // Another account on this connection: the old account's group is cancelled.
          if (previous.accountId !== session.accountId && client.cancelOnDisconnect)
            this.cancelGroup(client.id, client);
        }
        client.session = session;
        client.cancelOnDisconnect ||= msg.cancelOnDisconnect;
        if (client.cancelOnDisconnect) this.api.liveGroups.set(client.id, session.accountId);
        let set = this.accounts.get(session.accountId);
        if (set === undefined) this.accounts.set(session.accountId, (set = new Set()));
        set.add(client);
        this.send(client, {
          type: "authenticated",
          accountId: session.accountId,
          cancelOnDisconnect: client.cancelOnDisconnect,
          connectionId: client.id,
          expiresAt: session.expiresAt,
        });
        return;
      }
      case "place": {
        const session = this.requireSession(client);
        if (msg.order.order.accountId !== session.accountId)
          throw new SequencerError(
            "FORBIDDEN",
            `this connection is authenticated for account ${session.accountId}, the order is for ${msg.order.order.accountId}`,
          );
        // The message paid one token of the account's order budget (`onRaw`).
        const result = await placeOrder(
          this.api,
          msg.order,
          msg.clientOrderId ?? null,
          client.cancelOnDisconnect ? client.id : null,
          limits,
          "account",
        );
        // Acknowledged after the journal commit that covers it (group commit).
        await this.api.venue.durable();
        this.send(client, { type: "placed", id: msg.id ?? null, result: placeView(result) });
        return;
      }
      case "cancel": {
        // The message paid one token of the account's cancel budget (`onRaw`).
        const session = this.requireSession(client);
        const outcome = this.api.venue.execute(
          { kind: "cancel", accountId: session.accountId, orderId: msg.orderId, reason: "user" },
          this.api.clock(),
        );
        if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
        this.api.metrics.cancels.inc(outcome.cancelled.length);
        // Acknowledged after the journal commit that covers it (group commit).
        await this.api.venue.durable();
        this.send(client, { type: "cancelled", id: msg.id ?? null, cancelled: outcome.cancelled.map(cancelledView) });
        return;
      }
      case "placeBatch": {
        const session = this.requireSession(client);
        if (msg.orders.some((o) => o.order.order.accountId !== session.accountId))
          throw new SequencerError("FORBIDDEN", `this connection is authenticated for account ${session.accountId}`);
        // One token of the account's order budget per order, before any signature is checked:
        // the message paid the first (`onRaw`), the batch the rest.
        const results = await placeBatchOrders(
          this.api,
          msg.orders,
          client.cancelOnDisconnect ? client.id : null,
          limits,
          "account",
        );
        // Acknowledged after the journal commit that covers it (group commit).
        await this.api.venue.durable();
        this.send(client, { type: "placedBatch", id: msg.id ?? null, results });
        return;
      }
      case "cancelBatch": {
        // One token of the account's cancel budget per order id: the message paid the first.
        const session = this.requireSession(client);
        if (msg.orderIds.length > 1) limits.chargeAccount(session.accountId, "cancel", msg.orderIds.length - 1);
        const results = msg.orderIds.map((orderId) => {
          try {
            const outcome = this.api.venue.execute(
              { kind: "cancel", accountId: session.accountId, orderId, reason: "user" },
              this.api.clock(),
            );
            if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
            this.api.metrics.cancels.inc(outcome.cancelled.length);
            return { orderId, ok: true, cancelled: outcome.cancelled.map(cancelledView) };
          } catch (e) {
            return { orderId, ...itemError(e) };
          }
        });
        // Acknowledged after the journal commit that covers it (group commit).
        await this.api.venue.durable();
        this.send(client, { type: "cancelledBatch", id: msg.id ?? null, results });
        return;
      }
      case "subscribe": {
        const instrument = resolveInstrument(this.api, msg.instrument);
        this.conns.subscribe(
          client,
          `${msg.channel}:${instrument}`,
          client.session === null ? this.limits.maxAnonymousSubscribersPerChannel : null,
        );
        this.send(client, { type: "subscribed", channel: msg.channel, instrument });
        if (msg.channel === "book") {
          const snap = this.api.venue.engine.snapshot(instrument, BOOK_SNAPSHOT_DEPTH);
          this.send(client, { type: "book_snapshot", ...bookSnapshotView(snap) });
        }
        if (msg.channel === "ticker") this.send(client, this.ticker(instrument));
        return;
      }
      case "unsubscribe": {
        this.conns.unsubscribe(client, `${msg.channel}:${resolveInstrument(this.api, msg.instrument)}`);
        this.send(client, { type: "unsubscribed", channel: msg.channel, instrument: msg.instrument });
        return;
      }
    }
  }

  private requireSession(client: Client): Session {
    if (client.session === null)
      throw new SequencerError("UNAUTHORIZED", "authenticate this connection first: {op: 'auth', token}");
    return client.session;
  }

  /** Pings, pong deadlines, idle connections and expired sessions. */
  private sweep(): void {
    const now = this.now();
    for (const c of [...this.conns.clients]) {
      if (!this.conns.keepAlive(c, now)) continue;
      if (c.session !== null && c.session.expiresAt < now) {
        this.conns.drop(
          c,
          WS_CLOSE.SESSION_EXPIRED,
          "session expired: reconnect with a new session",
          "session_expired",
        );
        continue;
      }
      if (c.session === null && c.channels.size === 0 && now - c.lastMessageAt >= this.limits.idleTimeoutMs)
        this.conns.drop(c, WS_CLOSE.IDLE, "idle: authenticate or subscribe", "idle");
    }
  }

  /**
   * Shutdown: handles every connection's disconnect now (cancel-on-disconnect included, while
   * the journal is still open) and closes the sockets. Call before the venue closes.
   */
  disconnectAll(): void {
    clearInterval(this.timer);
    this.conns.closeAll("venue shutting down");
  }

  private cancelGroup(group: string, client: Client | null): void {
    try {
      const outcome = this.api.venue.execute({ kind: "cancelGroup", group, reason: "disconnect" }, this.api.clock());
      if (outcome.kind === "cancel" && outcome.cancelled.length > 0)
        this.log.info(
          { connection: group, restart: client === null, cancelled: outcome.cancelled.length },
          "cancel on disconnect",
        );
    } catch (e) {
      this.log.error({ err: e }, "cancel on disconnect failed");
    }
  }

  /** The disconnect of `client` (released by `conns`): its account's streams, its group's orders. */
  private onRelease(client: Client): void {
    this.api.metrics.wsClients.dec();
    const session = client.session;
    if (session === null) return;
    const set = this.accounts.get(session.accountId);
    set?.delete(client);
    if (set?.size === 0) this.accounts.delete(session.accountId);
    if (!client.cancelOnDisconnect) return;
    this.api.liveGroups.delete(client.id);
    this.cancelGroup(client.id, client);
  }
}
