/**
 * WebSocket streams (`/v1/ws`): public book / trades / ticker channels per instrument and, after
 * `auth` with a session token, the account's private order, fill (trades and liquidations,
 * `kind`), withdrawal (on acceptance and at each status change of its batch) and settlement
 * updates.
 *
 * Book stream: on subscribe the client gets a `book_snapshot` with `seq`, then `book` messages
 * with `seq + 1, seq + 2, ...` holding changed levels (`size` is the level's new total, 0 =
 * removed). A gap in `seq` means a lost message: resubscribe.
 *
 * Cancel-on-disconnect: `{op: "auth", token, cancelOnDisconnect: true}` cancels every open order
 * of the account when this connection closes.
 */
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import type { VenueEvent } from "../core.ts";
import { SequencerError } from "../errors.ts";
import { toJson } from "../wire.ts";
import type { ApiContext } from "./routes.ts";
import { cancelledView, fillView, placeView, resolveInstrument, settlementView, withdrawalView } from "./routes.ts";
import { describeIssues } from "./route.ts";
import { wsMessageSchema } from "./schemas.ts";
import type { Session } from "./sessions.ts";

interface Client {
  readonly socket: WebSocket;
  readonly id: number;
  readonly channels: Set<string>;
  session: Session | null;
  cancelOnDisconnect: boolean;
  /** Set once the disconnect has been handled (by the socket's close or by shutdown). */
  gone: boolean;
}

const BOOK_SNAPSHOT_DEPTH = 50;

export class StreamHub {
  private readonly channels = new Map<string, Set<Client>>();
  private readonly accounts = new Map<bigint, Set<Client>>();
  private readonly clients = new Set<Client>();
  private nextId = 1;

  constructor(
    private readonly api: ApiContext,
    private readonly log: Logger,
  ) {
    api.venue.on((e) => this.onEvent(e));
  }

  private send(client: Client, message: unknown): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(toJson(message));
  }

  private broadcast(channel: string, message: unknown): void {
    const set = this.channels.get(channel);
    if (set === undefined || set.size === 0) return;
    const text = toJson(message);
    for (const c of set) if (c.socket.readyState === c.socket.OPEN) c.socket.send(text);
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
        this.broadcast(`book:${e.instrument}`, {
          type: "book",
          instrument: e.instrument,
          seq: e.seq,
          changes: e.changes,
        });
        this.broadcast(`ticker:${e.instrument}`, this.ticker(e.instrument));
        return;
      case "trade": {
        const view = fillView(e.fill);
        this.broadcast(`trades:${e.fill.instrument}`, { type: "trade", ...view });
        for (const id of [e.fill.makerAccount, e.fill.takerAccount])
          for (const c of this.accounts.get(id) ?? []) this.send(c, { type: "fill", ...view });
        return;
      }
      case "orders":
        for (const c of this.accounts.get(e.accountId) ?? [])
          this.send(c, {
            type: "orders",
            placed: e.placed === null ? null : placeView(e.placed),
            cancelled: e.cancelled.map(cancelledView),
          });
        return;
      case "withdrawal":
        for (const c of this.accounts.get(e.withdrawal.accountId) ?? [])
          this.send(c, {
            type: "withdrawal",
            ...withdrawalView(this.api.venue, e.withdrawal, this.api.batchMaxAgeMs),
          });
        return;
      case "settlement":
        for (const c of this.accounts.get(e.settlement.accountId) ?? [])
          this.send(c, { type: "settlement", ...settlementView(e.settlement) });
        return;
      case "batch":
      case "halted":
        return;
    }
  }

  /** Serves one connection until it closes. */
  handle(socket: WebSocket, ip: string): void {
    const client: Client = {
      socket,
      id: this.nextId++,
      channels: new Set(),
      session: null,
      cancelOnDisconnect: false,
      gone: false,
    };
    this.clients.add(client);
    this.api.metrics.wsClients.inc();
    socket.on("message", (data, isBinary) => {
      try {
        this.api.limiter.take(`ws ${ip}`, Number(this.api.clock()));
        if (isBinary) throw new SequencerError("BAD_REQUEST", "send JSON text messages");
        this.onMessage(client, data.toString());
      } catch (e) {
        if (e instanceof SequencerError) this.send(client, { type: "error", code: e.code, message: e.message });
        else {
          this.log.error({ err: e }, "websocket message failed");
          this.send(client, { type: "error", code: "INTERNAL", message: "internal error" });
        }
      }
    });
    socket.on("close", () => this.onClose(client));
    socket.on("error", () => undefined);
  }

  private onMessage(client: Client, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new SequencerError("BAD_REQUEST", "malformed JSON");
    }
    const r = wsMessageSchema.safeParse(raw);
    if (!r.success) throw new SequencerError("BAD_REQUEST", `invalid message: ${describeIssues(r.error)}`);
    const msg = r.data;
    switch (msg.op) {
      case "ping":
        this.send(client, { type: "pong" });
        return;
      case "auth": {
        const session = this.api.sessions.check(msg.token, Number(this.api.clock()));
        if (client.session !== null) this.accounts.get(client.session.accountId)?.delete(client);
        client.session = session;
        client.cancelOnDisconnect = msg.cancelOnDisconnect;
        let set = this.accounts.get(session.accountId);
        if (set === undefined) this.accounts.set(session.accountId, (set = new Set()));
        set.add(client);
        this.send(client, {
          type: "authenticated",
          accountId: session.accountId,
          cancelOnDisconnect: msg.cancelOnDisconnect,
        });
        return;
      }
      case "subscribe": {
        const instrument = resolveInstrument(this.api, msg.instrument);
        const key = `${msg.channel}:${instrument}`;
        let set = this.channels.get(key);
        if (set === undefined) this.channels.set(key, (set = new Set()));
        set.add(client);
        client.channels.add(key);
        this.send(client, { type: "subscribed", channel: msg.channel, instrument });
        if (msg.channel === "book") {
          const snap = this.api.venue.engine.snapshot(instrument, BOOK_SNAPSHOT_DEPTH);
          this.send(client, {
            type: "book_snapshot",
            instrument,
            seq: snap.seq,
            bids: snap.bids.map(([price, size, orders]) => ({ price, size, orders })),
            asks: snap.asks.map(([price, size, orders]) => ({ price, size, orders })),
          });
        }
        if (msg.channel === "ticker") this.send(client, this.ticker(instrument));
        return;
      }
      case "unsubscribe": {
        const key = `${msg.channel}:${resolveInstrument(this.api, msg.instrument)}`;
        this.channels.get(key)?.delete(client);
        client.channels.delete(key);
        this.send(client, { type: "unsubscribed", channel: msg.channel, instrument: msg.instrument });
        return;
      }
    }
  }

  /**
   * Shutdown: handles every connection's disconnect now (cancel-on-disconnect included, while
   * the journal is still open) and closes the sockets. Call before the venue closes.
   */
  disconnectAll(): void {
    for (const client of [...this.clients]) {
      this.onClose(client);
      client.socket.close(1001, "venue shutting down");
    }
  }

  private onClose(client: Client): void {
    if (client.gone) return;
    client.gone = true;
    this.clients.delete(client);
    this.api.metrics.wsClients.dec();
    for (const key of client.channels) this.channels.get(key)?.delete(client);
    const session = client.session;
    if (session === null) return;
    this.accounts.get(session.accountId)?.delete(client);
    if (!client.cancelOnDisconnect) return;
    try {
      const outcome = this.api.venue.execute(
        { kind: "cancelAll", accountId: session.accountId, instrument: null, reason: "disconnect" },
        this.api.clock(),
      );
      if (outcome.kind === "cancel" && outcome.cancelled.length > 0)
        this.log.info(
          { accountId: session.accountId.toString(), cancelled: outcome.cancelled.length },
          "cancel on disconnect",
        );
    } catch (e) {
      this.log.error({ err: e }, "cancel on disconnect failed");
    }
  }
}
