/**
 * `TesseraStream`: the venue's WebSocket (`/v1/ws`) with the reliability a market maker needs.
 *
 * - Local order books from snapshot + deltas; a sequence gap marks the book out of sync and
 *   resubscribes, which makes the venue send a fresh snapshot (`resync` event).
 * - Reconnects after any drop with exponential backoff and jitter, then authenticates again
 *   (a fresh session, since a restarted venue forgets sessions) and resubscribes every channel.
 * - A heartbeat (`ping` every `heartbeatMs`) detects a silent connection: no message for two
 *   heartbeats and the socket is abandoned and replaced.
 * - `cancelOnDisconnect`: the venue cancels this connection's orders when it drops, so quotes
 *   never outlive the market maker's view of the market. While connected, the stream lends its
 *   connection id to its client, whose REST orders then join the connection's group; orders
 *   placed while it is down are not covered. Orders of other clients of the account are not
 *   touched.
 * - Sessions: the venue closes a connection whose session expires; the stream authenticates
 *   again on the same connection a minute before, so its cancel-on-disconnect group lives on.
 */
import { parseInstrumentName } from "../protocol/instruments.ts";
import { LocalOrderBook } from "./book.ts";
import type { InstrumentRef, TesseraClient } from "./client.ts";
import { apiError, TesseraApiError, TesseraConnectionError } from "./errors.ts";
import { streamMessageSchema, toJsonText } from "./wire.ts";
import type {
  CancelledOrder,
  Fill,
  OpenOrder,
  PlaceResult,
  Settlement,
  StreamMessage,
  VenueHealth,
  Withdrawal,
} from "./wire.ts";

export interface BackoffOptions {
  /** First retry delay, ms (default 250). */
  readonly initialMs?: number;
  /** Largest delay, ms (default 10,000). */
  readonly maxMs?: number;
  /** Growth per failed attempt (default 2). */
  readonly factor?: number;
  /** Fraction of each delay drawn at random, 0..1 (default 0.5: delay in [d/2, d]). */
  readonly jitter?: number;
}

export interface StreamOptions {
  /** Base URL of the venue (http or ws scheme), e.g. `http://127.0.0.1:8600`. */
  readonly url: string;
  /** A client with a key and account: the stream then authenticates for private updates. */
  readonly client?: TesseraClient;
  /** Ask the venue to cancel this connection's orders (and the client's REST orders) when it drops. */
  readonly cancelOnDisconnect?: boolean;
  readonly backoff?: BackoffOptions;
  /** Ping interval, ms (default 15,000); two silent intervals close the socket. */
  readonly heartbeatMs?: number;
  /** Source of jitter in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** WebSocket constructor (default the global one of Node 22 and browsers). */
  readonly WebSocket?: typeof WebSocket;
}

export interface TickerUpdate {
  readonly instrument: bigint;
  readonly bid: bigint | null;
  readonly ask: bigint | null;
  readonly lastPrice: bigint | null;
  readonly volume: bigint;
}

/** Events and their payloads. */
export interface StreamEvents {
  /** Connected (and authenticated, when a client was given); `reconnect` is true after a drop. */
  open: { reconnect: boolean };
  /** The connection dropped; `retryInMs` until the next attempt (null after `close()`). */
  close: { retryInMs: number | null };
  /** A book changed (snapshot or delta applied). */
  book: LocalOrderBook;
  /** A book lost a message and asked for a new snapshot. */
  resync: { instrument: bigint; expected: bigint; got: bigint };
  trade: Fill;
  ticker: TickerUpdate;
  /** One of the account's fills (private): `kind` `trade`, or `liquidation` (the insurance fund took over a position). */
  fill: Fill;
  /** The account's orders changed: placed and/or cancelled (private). */
  orders: { placed: PlaceResult | null; cancelled: CancelledOrder[] };
  /**
   * One of the account's withdrawals or forced withdrawals, with its status (private): pushed
   * when applied and again each time its batch moves on (`in_batch`, `proven`, `claimable`,
   * `failed`).
   */
  withdrawal: Withdrawal;
  /** One of the account's option positions closed by its series' settlement (private). */
  settlement: Settlement;
  /**
   * The venue's health gate (public): sent on connecting and whenever it changes. In
   * `cancel_only` only cancels are taken; in `halted` nothing is; `reasons` say why.
   */
  status: VenueHealth;
  /** A refusal from the venue, or a message the SDK could not read. */
  error: TesseraApiError | TesseraConnectionError;
  /**
   * After a reconnect, or a gap in the private messages' `seq`: the account's open orders as the
   * venue has them (the client's slot bookkeeping is reset from them) and how many fills were
   * missed (each also emitted as a `fill` event, oldest first).
   */
  reconciled: { orders: OpenOrder[]; missedFills: number };
}

type Listener<K extends keyof StreamEvents> = (payload: StreamEvents[K]) => void;
type Channel = "book" | "trades" | "ticker";

/**
 * The wait before reconnect attempt `attempt` (0 = the first after a drop), ms:
 * `min(maxMs, initialMs · factor^attempt)`, its last `jitter` fraction scaled by `random` ∈ [0, 1).
 */
export function backoffDelay(b: BackoffOptions, attempt: number, random: number): number {
  const base = Math.min(b.maxMs ?? 10_000, (b.initialMs ?? 250) * (b.factor ?? 2) ** attempt);
  return Math.round(base * (1 - (b.jitter ?? 0.5) * random));
}

function instrumentId(ref: InstrumentRef): bigint {
  if (typeof ref === "bigint") return ref;
  return /^[0-9]+$/.test(ref) ? BigInt(ref) : parseInstrumentName(ref);
}

/** Re-authenticate this long before the session expires, ms. */
const SESSION_RENEW_MARGIN_MS = 60_000;

export class TesseraStream {
  private readonly wsUrl: string;
  private readonly listeners = new Map<keyof StreamEvents, Set<(payload: never) => void>>();
  private readonly subscriptions = new Set<string>();
  private readonly books = new Map<bigint, LocalOrderBook>();
  private socket: WebSocket | null = null;
  private attempt = 0;
  private connectedOnce = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  /** True from the `open` event of a connection until it drops. */
  private ready = false;
  private resyncCount = 0;
  private reconnectCount = 0;
  /** Settles when the venue answers the `auth` message of the current connection. */
  private pendingAuth: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | null = null;
  /** `seq` of the last private message on this connection (0: none yet). */
  private privateSeq = 0;
  /** The highest trade id of the account's fills seen (null: none yet). */
  private lastFillId: bigint | null = null;

  constructor(private readonly options: StreamOptions) {
    this.wsUrl = options.url.replace(/\/+$/, "").replace(/^http/, "ws") + "/v1/ws";
  }

  /** Books resynchronised after a gap, since construction. */
  get resyncs(): number {
    return this.resyncCount;
  }

  /** Successful reconnections after a drop, since construction. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === this.socket.OPEN;
  }

  on<K extends keyof StreamEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Resolves at the next `event` whose payload satisfies `match`. */
  next<K extends keyof StreamEvents>(
    event: K,
    match: (p: StreamEvents[K]) => boolean = () => true,
  ): Promise<StreamEvents[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (p) => {
        if (!match(p)) return;
        off();
        resolve(p);
      });
    });
  }

  private emit<K extends keyof StreamEvents>(event: K, payload: StreamEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) (l as Listener<K>)(payload);
  }

  /**
   * Opens the connection; resolves once it is open (and authenticated, with a client). While
   * the venue is unreachable it keeps retrying with backoff (`close` events say when).
   */
  connect(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.closed = false;
    const opened = this.next("open");
    if (this.socket === null && this.retryTimer === null) this.open();
    return opened.then(() => undefined);
  }

  /** Closes the connection for good (no reconnect). */
  close(): void {
    this.closed = true;
    this.forgetConnection();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    this.ready = false;
    const s = this.socket;
    this.socket = null;
    if (s !== null) {
      s.onclose = null;
      s.close();
    }
    for (const b of this.books.values()) b.invalidate();
    this.emit("close", { retryInMs: null });
  }

  /** Subscribes to an instrument's book; the returned book stays current across gaps and drops. */
  subscribeBook(instrument: InstrumentRef): LocalOrderBook {
    const id = instrumentId(instrument);
    let book = this.books.get(id);
    if (book === undefined) this.books.set(id, (book = new LocalOrderBook(id)));
    this.subscribe("book", id);
    return book;
  }

  /** Public trades of an instrument (`trade` events). */
  subscribeTrades(instrument: InstrumentRef): void {
    this.subscribe("trades", instrumentId(instrument));
  }

  /** Best bid/ask and last price of an instrument (`ticker` events). */
  subscribeTicker(instrument: InstrumentRef): void {
    this.subscribe("ticker", instrumentId(instrument));
  }

  unsubscribe(channel: Channel, instrument: InstrumentRef): void {
    const id = instrumentId(instrument);
    this.subscriptions.delete(`${channel}:${id}`);
    if (channel === "book") this.books.delete(id);
    this.sendOp({ op: "unsubscribe", channel, instrument: id });
  }

  private subscribe(channel: Channel, id: bigint): void {
    this.subscriptions.add(`${channel}:${id}`);
    this.sendOp({ op: "subscribe", channel, instrument: id });
  }

  private sendOp(message: Record<string, unknown>): void {
    if (this.connected) this.socket!.send(toJsonText(message));
  }

  // --- connection --------------------------------------------------------------------------

  private open(): void {
    const Impl = this.options.WebSocket ?? globalThis.WebSocket;
    const socket = new Impl(this.wsUrl);
    this.socket = socket;
    socket.onopen = () => {
      void this.onOpen(socket);
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (socket !== this.socket) return;
      this.lastMessageAt = Date.now();
      this.onText(String(ev.data));
    };
    socket.onclose = () => {
      if (socket === this.socket) this.onDrop();
    };
    socket.onerror = () => undefined; // a close event follows
  }

  private async onOpen(socket: WebSocket): Promise<void> {
    const client = this.options.client;
    this.privateSeq = 0;
    if (client !== undefined) {
      try {
        // A fresh session: the venue may have restarted and forgotten the last one.
        const { token } = await client.sessionToken({ fresh: true });
        if (socket !== this.socket) return;
        const authenticated = new Promise<void>((resolve, reject) => (this.pendingAuth = { resolve, reject }));
        socket.send(toJsonText({ op: "auth", token, cancelOnDisconnect: this.options.cancelOnDisconnect ?? false }));
        await authenticated;
      } catch (e) {
        this.pendingAuth = null;
        const error =
          e instanceof TesseraApiError || e instanceof TesseraConnectionError
            ? e
            : new TesseraConnectionError("CONNECTION", "stream authentication failed", { cause: e });
        this.emit("error", error);
        if (socket === this.socket) socket.close();
        return;
      }
    }
    if (socket !== this.socket) return;
    // The first connection learns the account's latest fill: later ones are what a loss misses.
    if (client !== undefined && !this.connectedOnce && this.lastFillId === null) await this.fillBaseline(client);
    if (socket !== this.socket) return;
    for (const key of this.subscriptions) {
      const [channel, id] = key.split(":") as [Channel, string];
      socket.send(toJsonText({ op: "subscribe", channel, instrument: id }));
    }
    const reconnect = this.connectedOnce;
    this.connectedOnce = true;
    this.attempt = 0;
    if (reconnect) this.reconnectCount += 1;
    this.lastMessageAt = Date.now();
    this.startHeartbeat(socket);
    this.ready = true;
    this.emit("open", { reconnect });
    if (reconnect && client !== undefined) void this.reconcile();
  }

  private onDrop(): void {
    this.socket = null;
    this.forgetConnection();
    this.ready = false;
    this.pendingAuth?.reject(new TesseraConnectionError("CONNECTION", "the connection dropped during authentication"));
    this.pendingAuth = null;
    this.stopHeartbeat();
    for (const b of this.books.values()) b.invalidate();
    if (this.closed) return;
    const delay = backoffDelay(this.options.backoff ?? {}, this.attempt, (this.options.random ?? Math.random)());
    this.attempt += 1;
    this.emit("close", { retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.open();
    }, delay);
  }

  /** The account's latest fill when the stream starts: later ones are what a loss can miss. */
  private async fillBaseline(client: TesseraClient): Promise<void> {
    try {
      const [latest] = await client.fills(1);
      if (latest !== undefined && (this.lastFillId === null || latest.tradeId > this.lastFillId))
        this.lastFillId = latest.tradeId;
    } catch {
      // No baseline: a loss before the first fill is reconciled from the open orders only.
    }
  }

  private emitFill(fill: Fill): void {
    if (this.lastFillId === null || fill.tradeId > this.lastFillId) this.lastFillId = fill.tradeId;
    this.emit("fill", fill);
  }

  /** A private message's `seq` must follow the last one; a gap means a loss: reconcile. */
  private checkPrivateSeq(seq: number | undefined): void {
    if (seq === undefined) return;
    const gap = seq !== this.privateSeq + 1;
    this.privateSeq = seq;
    if (gap) void this.reconcile();
  }

  /**
   * Brings the client back in line with the venue after a reconnect or a lost private message:
   * open orders (and the client's slot bookkeeping) from REST, and the fills missed since the
   * last one seen, emitted oldest first.
   */
  async reconcile(): Promise<void> {
    const client = this.options.client;
    if (client === undefined) return;
    try {
      const orders = await client.openOrders();
      const recent = await client.fills(100);
      const last = this.lastFillId;
      const missed = recent.filter((f) => last !== null && f.tradeId > last).reverse();
      for (const f of missed) this.emitFill(f);
      if (last === null && recent.length > 0) this.lastFillId = recent[0]!.tradeId;
      this.emit("reconciled", { orders, missedFills: missed.length });
    } catch (e) {
      this.emit(
        "error",
        e instanceof TesseraApiError || e instanceof TesseraConnectionError
          ? e
          : new TesseraConnectionError("CONNECTION", "reconciliation failed", { cause: e }),
      );
    }
  }

  /** Authenticates again on the same connection a minute before the session expires. */
  private scheduleRenewal(expiresAt: number): void {
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    const socket = this.socket;
    const client = this.options.client;
    if (socket === null || client === undefined) return;
    // A minute early, or a quarter of the session's life for short sessions.
    const left = expiresAt - Date.now();
    const inMs = Math.max(1000, left - Math.min(SESSION_RENEW_MARGIN_MS, Math.floor(left / 4)));
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      client.sessionToken({ fresh: true }).then(
        ({ token }) => {
          if (socket === this.socket && socket.readyState === socket.OPEN)
            socket.send(
              toJsonText({ op: "auth", token, cancelOnDisconnect: this.options.cancelOnDisconnect ?? false }),
            );
        },
        (e: unknown) =>
          this.emit("error", new TesseraConnectionError("CONNECTION", "session renewal failed", { cause: e })),
      );
    }, inMs);
  }

  private forgetConnection(): void {
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    this.options.client?.useCancelOnDisconnect(null);
  }

  private startHeartbeat(socket: WebSocket): void {
    const every = this.options.heartbeatMs ?? 15_000;
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (socket !== this.socket) return;
      if (Date.now() - this.lastMessageAt > 2 * every) {
        // Silent for two intervals: abandon the socket without waiting for a closing handshake.
        socket.onclose = null;
        socket.close();
        this.onDrop();
        return;
      }
      socket.send(toJsonText({ op: "ping" }));
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // --- messages ----------------------------------------------------------------------------

  private onText(text: string): void {
    let message: StreamMessage;
    try {
      const parsed = streamMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "invalid");
      message = parsed.data;
    } catch (e) {
      this.emit("error", new TesseraConnectionError("BAD_RESPONSE", `unreadable stream message: ${String(e)}`));
      return;
    }
    switch (message.type) {
      case "book_snapshot": {
        const book = this.books.get(message.instrument);
        if (book === undefined) return;
        book.applySnapshot(message);
        this.emit("book", book);
        return;
      }
      case "book": {
        const book = this.books.get(message.instrument);
        if (book === undefined) return;
        const expected = book.seq;
        const outcome = book.applyDelta(message);
        if (outcome === "applied" || outcome === "thin") this.emit("book", book);
        // A sweep went deeper than the snapshot: fetch the levels it uncovered.
        if (outcome === "thin") this.sendOp({ op: "subscribe", channel: "book", instrument: message.instrument });
        if (outcome === "gap" && expected !== null) {
          this.resyncCount += 1;
          this.emit("resync", { instrument: message.instrument, expected: expected + 1n, got: message.seq });
          this.sendOp({ op: "subscribe", channel: "book", instrument: message.instrument });
        }
        return;
      }
      case "trade": {
        const { type: _type, ...fill } = message;
        this.emit("trade", fill);
        return;
      }
      case "fill": {
        const { type: _type, seq, ...fill } = message;
        this.checkPrivateSeq(seq);
        this.emitFill(fill);
        return;
      }
      case "ticker": {
        const { type: _type, ...ticker } = message;
        this.emit("ticker", ticker);
        return;
      }
      case "withdrawal": {
        const { type: _type, seq, ...withdrawal } = message;
        this.checkPrivateSeq(seq);
        this.emit("withdrawal", withdrawal);
        return;
      }
      case "settlement": {
        const { type: _type, seq, ...settlement } = message;
        this.checkPrivateSeq(seq);
        this.emit("settlement", settlement);
        return;
      }
      case "orders": {
        this.checkPrivateSeq(message.seq);
        this.options.client?.observeOrders(message);
        this.emit("orders", { placed: message.placed, cancelled: message.cancelled });
        return;
      }
      case "error": {
        const error = apiError(message.code, 0, message.message, null);
        if (this.pendingAuth !== null && error.code === "UNAUTHORIZED") {
          this.pendingAuth.reject(error);
          this.pendingAuth = null;
          return;
        }
        this.emit("error", error);
        return;
      }
      case "authenticated":
        this.pendingAuth?.resolve();
        this.pendingAuth = null;
        if (message.cancelOnDisconnect && message.connectionId !== undefined)
          this.options.client?.useCancelOnDisconnect(message.connectionId);
        if (message.expiresAt !== undefined) this.scheduleRenewal(message.expiresAt);
        return;
      case "status": {
        const { type: _type, ...health } = message;
        this.emit("status", health);
        return;
      }
      case "subscribed":
      case "unsubscribed":
      case "pong":
        return;
    }
  }
}
