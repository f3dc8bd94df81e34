/**
 * The market-data process (forked by sequencer/marketdata/feed.ts): it serves the venue's public
 * market data and its account reads from a copy of them (replica.ts, accounts.ts), so the fan-out
 * to subscribers and the reads never run on the core's thread.
 *
 * - `GET /v1/ws`: the public WebSocket channels `book`, `trades` and `ticker` with the same
 *   messages, sequence numbers and limits as the venue's own `/v1/ws` (docs/api.md "Market-data
 *   endpoint"), and the `status` message at connect and at each change of the health gate.
 *   Authentication and order entry are the venue's: those ops get `WRONG_ENDPOINT`.
 * - `GET /v1/instruments/:instrument/book`, `/v1/instruments/:instrument/trades`, `/v1/tickers`:
 *   the same replies as the venue's routes of those names.
 * - `GET /v1/account`, `/v1/account/orders`, `/v1/account/fills`, `/v1/account/settlements` with
 *   the venue's session tokens, and `GET /v1/accounts/:accountId/nextOrderId` (with the account's own);
 *   `X-Tessera-Min-Seq` makes a read wait until the copy includes the client's own last command
 *   (accountRoutes).
 * - `GET /health`: `{ ok, version, pid, connections }`.
 *
 * Guarantee: a message published here was published by the core after the journal commit that
 * covers it, in the core's order; the book's `seq` is the core's, so a client can move between
 * this endpoint and the venue's without a gap going unnoticed. The process exits when the core
 * goes away (its IPC channel closes); the core starts a new one (feed.ts).
 */
import cors from "@fastify/cors";
import websocket from "@fastify/websocket";
import Fastify from "fastify";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pino } from "pino";
import type { z } from "zod";
import type { WebSocket } from "ws";
import { SequencerError } from "../errors.ts";
import { clientKey } from "../intake/clientip.ts";
import { fastifyHttpOptions, limitConnections } from "../intake/httplimits.ts";
import { RateLimiter } from "../intake/ratelimit.ts";
import { describeIssues } from "../intake/route.ts";
import {
  bookSnapshotView,
  fillView,
  nextOrderIdView,
  parseInstrumentRef,
  requireOwnAccount,
  restingView,
  settlementView,
  tickerRow,
} from "../intake/routes.ts";
import {
  accountParamsSchema,
  depthQuerySchema,
  fillsQuerySchema,
  instrumentParamsSchema,
  limitQuerySchema,
} from "../intake/schemas.ts";
import { bearerToken, SessionKey } from "../intake/sessions.ts";
import type { Session } from "../intake/sessions.ts";
import { accountViewOf } from "../intake/views.ts";
import { JournalReader } from "../journal/journal.ts";
import { Connections, decodeFrame, errorMessage, sweepPeriodMs, WS_CLOSE } from "../intake/connections.ts";
import type { Connection, CorkableStream } from "../intake/connections.ts";
import { BOOK_SNAPSHOT_DEPTH } from "../intake/ws.ts";
import type { WsLimits } from "../intake/ws.ts";
import { toJson } from "../wire.ts";
import type { CoreToMarketData, MarketDataEvent, MarketDataOptions, MarketDataToCore } from "./messages.ts";
import { AccountReplica } from "./accounts.ts";
import { MarketReplica } from "./replica.ts";

type Client = Connection;

/** Public subscriptions of the market-data endpoint. */
class PublicHub {
  private readonly conns: Connections<Client>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly replica: () => MarketReplica,
    private readonly limits: WsLimits,
    private readonly ipLimiter: RateLimiter,
  ) {
    this.conns = new Connections<Client>(limits);
    this.timer = setInterval(() => this.sweep(), sweepPeriodMs(limits));
    this.timer.unref();
  }

  get size(): number {
    return this.conns.clients.size;
  }

  private send(c: Client, message: unknown): void {
    this.conns.sendText(c, toJson(message));
  }

  private ticker(instrument: bigint) {
    const s = this.replica().marketStats(instrument);
    return { type: "ticker", instrument, ...this.replica().best(instrument), lastPrice: s.lastPrice, volume: s.volume };
  }

  /** Publishes one event the replica has just applied. */
  publish(e: MarketDataEvent): void {
    switch (e.type) {
      case "book":
        this.conns.broadcast(`book:${e.instrument}`, () =>
          toJson({ type: "book", instrument: e.instrument, seq: e.seq, changes: e.changes }),
        );
        this.conns.broadcast(`ticker:${e.instrument}`, () => toJson(this.ticker(e.instrument)));
        return;
      case "trade":
        this.conns.broadcast(`trades:${e.fill.instrument}`, () => toJson({ type: "trade", ...fillView(e.fill) }));
        return;
      case "health": {
        const text = toJson({ type: "status", ...e.health });
        for (const c of [...this.conns.clients]) this.conns.sendText(c, text);
        return;
      }
      case "markets":
      case "oracle":
        return;
    }
  }

  handle(socket: WebSocket, ip: string, stream: CorkableStream | null = null): void {
    const now = Date.now();
    const client: Client = {
      socket,
      stream,
      ip,
      channels: new Set(),
      lastMessageAt: now,
      pingSentAt: now,
      awaitingPong: false,
      gone: false,
    };
    if (!this.conns.admit(client)) return;
    this.send(client, { type: "status", ...this.replica().health });
    socket.on("message", (data, isBinary) => {
      client.lastMessageAt = Date.now();
      this.onRaw(client, data.toString(), isBinary);
    });
  }

  private onRaw(client: Client, text: string, isBinary: boolean): void {
    if (client.gone) return;
    const ref: { id?: string | number } = {};
    try {
      this.ipLimiter.take(`ip ${client.ip}`, Date.now());
      const msg = decodeFrame(text, isBinary, ref);
      switch (msg.op) {
        case "ping":
          this.send(client, { type: "pong" });
          return;
        case "subscribe": {
          const instrument = parseInstrumentRef(msg.instrument);
          this.replica().market(instrument);
          this.conns.subscribe(client, `${msg.channel}:${instrument}`);
          this.send(client, { type: "subscribed", channel: msg.channel, instrument });
          if (msg.channel === "book")
            this.send(client, {
              type: "book_snapshot",
              ...bookSnapshotView(this.replica().snapshot(instrument, BOOK_SNAPSHOT_DEPTH)),
            });
          if (msg.channel === "ticker") this.send(client, this.ticker(instrument));
          return;
        }
        case "unsubscribe": {
          this.conns.unsubscribe(client, `${msg.channel}:${parseInstrumentRef(msg.instrument)}`);
          this.send(client, { type: "unsubscribed", channel: msg.channel, instrument: msg.instrument });
          return;
        }
        default:
          throw new SequencerError(
            "WRONG_ENDPOINT",
            `this is the market-data endpoint (public channels only): send "${msg.op}" on the venue's /v1/ws`,
          );
      }
    } catch (e) {
      this.send(client, errorMessage(e, ref));
    }
  }

  /** Pings, pong deadlines and idle connections, as the venue's hub. */
  private sweep(): void {
    const now = Date.now();
    for (const c of [...this.conns.clients]) {
      if (!this.conns.keepAlive(c, now)) continue;
      if (c.channels.size === 0 && now - c.lastMessageAt >= this.limits.idleTimeoutMs)
        this.conns.drop(c, WS_CLOSE.IDLE, "idle: subscribe to a channel", "idle");
    }
  }

  closeAll(): void {
    clearInterval(this.timer);
    this.conns.closeAll("market data shutting down");
  }
}

function parsed<S extends z.ZodType>(schema: S, v: unknown): z.output<S> {
  const r = schema.safeParse(v);
  if (!r.success) throw new SequencerError("BAD_REQUEST", describeIssues(r.error));
  return r.data;
}

/** Request header: the journal seq an account read must include (`X-Tessera-Seq` of the venue). */
export const MIN_SEQ_HEADER = "x-tessera-min-seq";
/** How long an account read waits for the copy to reach its `X-Tessera-Min-Seq`. */
const MIN_SEQ_WAIT_MS = 2000;

/**
 * The account reads, as the venue's routes of the same names answer them: `GET /v1/account`,
 * `/v1/account/orders`, `/v1/account/fills`, `/v1/account/settlements`, with the venue's session
 * tokens (checked with the key it shares) and a per-account read budget of this process's own.
 * A request without a valid token is charged to its IP. And `GET /v1/accounts/:accountId/nextOrderId`,
 * with the account's own session, charged the same way. Returns the
 * journal reader to close, or null when the process serves no account reads (then these routes
 * answer `WRONG_ENDPOINT`).
 */
function accountRoutes(
  app: FastifyInstance,
  options: MarketDataOptions,
  replica: () => MarketReplica,
  accounts: () => AccountReplica,
  ipLimiter: RateLimiter,
): JournalReader | null {
  const config = options.accounts;
  const json = (reply: FastifyReply, body: unknown): FastifyReply =>
    reply.header("content-type", "application/json").send(toJson(body));
  if (config === null) {
    app.get("/v1/account*", () => {
      throw new SequencerError("WRONG_ENDPOINT", "account reads are served by the venue's endpoint here");
    });
    return null;
  }
  const key = new SessionKey(config.sessionKey);
  const readLimiter = new RateLimiter("read", config.readRatePerSecond, config.readBurst);
  const reader = new JournalReader(config.journalFile);
  /**
   * With `X-Tessera-Min-Seq` (the venue's `X-Tessera-Seq` of the client's last command): once the
   * copy includes that journal entry, so a client reads its own writes here.
   */
  const minSeq = async (req: FastifyRequest): Promise<void> => {
    const header = req.headers[MIN_SEQ_HEADER];
    if (header === undefined) return;
    if (typeof header !== "string" || !/^(0|[1-9]\d{0,18})$/.test(header))
      throw new SequencerError("BAD_REQUEST", `${MIN_SEQ_HEADER} must be a journal seq (a decimal integer)`);
    if (!(await accounts().reached(BigInt(header), MIN_SEQ_WAIT_MS)))
      throw new SequencerError(
        "UNAVAILABLE",
        `the market-data endpoint has not reached journal entry ${header} within ${MIN_SEQ_WAIT_MS} ms: read from the venue`,
      );
  };
  /** The session's account, charged one read, once the copy includes `X-Tessera-Min-Seq`. */
  const accountOf = async (req: FastifyRequest): Promise<bigint> => {
    const now = Date.now();
    let session: Session;
    try {
      session = key.check(bearerToken(req.headers.authorization), now);
    } catch (e) {
      ipLimiter.take(`ip ${clientKey(req.ip)}`, now);
      throw e;
    }
    readLimiter.take(`${session.accountId}`, now);
    await minSeq(req);
    return session.accountId;
  };
  const batchStatus = (batch: bigint): string =>
    batch >= accounts().currentBatch ? "open" : (reader.batchStatus(batch) ?? "closed");
  app.get("/v1/account", async (req, reply) => {
    const id = await accountOf(req);
    const a = accounts();
    return json(reply, accountViewOf(id, a.account(id), a.marks(replica().oraclePrices), a.openOrders(id).length));
  });
  app.get("/v1/account/orders", async (req, reply) => {
    const id = await accountOf(req);
    return json(reply, { orders: accounts().openOrders(id).map(restingView) });
  });
  app.get("/v1/account/fills", async (req, reply) => {
    const id = await accountOf(req);
    const query = parsed(fillsQuerySchema, req.query);
    const page = reader.fillsOf(id, query.limit, query.before ?? null);
    const last = page.at(-1);
    return json(reply, {
      fills: page.map((f) => fillView(f, batchStatus(f.batch))),
      nextBefore: last !== undefined && page.length === query.limit ? last.tradeId : null,
    });
  });
  app.get("/v1/account/settlements", async (req, reply) => {
    const id = await accountOf(req);
    const query = parsed(limitQuerySchema, req.query);
    return json(reply, { settlements: reader.settlementsOf(id, query.limit).map(settlementView) });
  });
  // With the account's own session, as on the venue: the id moves with every order sent, resting
  // ones too, so anyone else reading it could tie the anonymous book's changes to the account.
  app.get("/v1/accounts/:accountId/nextOrderId", async (req, reply) => {
    const { accountId } = parsed(accountParamsSchema, req.params);
    requireOwnAccount(await accountOf(req), accountId);
    return json(reply, nextOrderIdView(accountId, accounts().nextOrderId(accountId)));
  });
  return reader;
}

async function serve(
  options: MarketDataOptions,
  replica: () => MarketReplica,
  accounts: () => AccountReplica,
  hub: PublicHub,
  ipLimiter: RateLimiter,
) {
  const log = pino({ level: options.logLevel, name: "market-data" });
  const app: FastifyInstance = Fastify({ trustProxy: options.trustProxy, ...fastifyHttpOptions(options.http) });
  // Per-IP counts are of socket addresses: behind a trusted proxy they would be the proxy's.
  limitConnections(app, options.http, options.trustProxy === false);
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler((err: FastifyError | SequencerError, _req, reply) => {
    if (err instanceof SequencerError) {
      if (err.retryAfterMs !== undefined) {
        void reply.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
        void reply.header("x-retry-after-ms", String(err.retryAfterMs));
      }
      void reply.status(err.status).send({ code: err.code, message: err.message });
      return;
    }
    if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      void reply.status(400).send({ code: "BAD_REQUEST", message: err.message });
      return;
    }
    log.error({ err }, "market data: internal error");
    void reply.status(500).send({ code: "INTERNAL", message: "internal error: the request may be retried" });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ code: "NOT_FOUND", message: `no route ${req.method} ${req.url} on the market-data endpoint` });
  });
  await app.register(cors, {
    origin: true,
    methods: ["GET"],
    allowedHeaders: ["authorization", MIN_SEQ_HEADER],
    exposedHeaders: ["retry-after", "x-retry-after-ms"],
    maxAge: 600,
  });
  await app.register(websocket, { options: { maxPayload: 4096 } });
  // Every request is charged to its IP (WebSocket messages are, one by one, in the hub).
  app.addHook("onRequest", (req, _reply, done) => {
    try {
      // Session account reads (`/v1/account...`, an account's next order id) are charged to the
      // account once authenticated (accountRoutes).
      if (
        req.url !== "/v1/ws" &&
        !/^\/v1\/account(\/|\?|$)/.test(req.url) &&
        !/^\/v1\/accounts\/[^/?]+\/nextOrderId(\?|$)/.test(req.url)
      )
        ipLimiter.take(`ip ${clientKey(req.ip)}`, Date.now());
    } catch (e) {
      done(e as SequencerError);
      return;
    }
    done();
  });
  app.get("/v1/ws", { websocket: true }, (socket, req) => hub.handle(socket, clientKey(req.ip), req.socket));
  app.get("/health", () => ({ ok: true, version: options.version, pid: process.pid, connections: hub.size }));
  app.get("/v1/instruments/:instrument/book", (req, reply) => {
    const params = parsed(instrumentParamsSchema, req.params);
    const query = parsed(depthQuerySchema, req.query);
    const snap = replica().snapshot(parseInstrumentRef(params.instrument), query.depth);
    void reply.header("content-type", "application/json").send(toJson(bookSnapshotView(snap)));
  });
  app.get("/v1/instruments/:instrument/trades", (req, reply) => {
    const params = parsed(instrumentParamsSchema, req.params);
    const query = parsed(limitQuerySchema, req.query);
    const trades = replica().recent(parseInstrumentRef(params.instrument), query.limit);
    void reply.header("content-type", "application/json").send(toJson({ trades: trades.map((f) => fillView(f)) }));
  });
  app.get("/v1/tickers", (_req, reply) => {
    const r = replica();
    const tickers = r
      .listMarkets()
      .map((m) => tickerRow(m, r.best(m.instrument), r.marketStats(m.instrument), r.oraclePrice(m.underlying)));
    void reply.header("content-type", "application/json").send(toJson({ tickers }));
  });
  const reader = accountRoutes(app, options, replica, accounts, ipLimiter);
  app.addHook("preClose", (done) => {
    hub.closeAll();
    reader?.close();
    done();
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  return { app, port: typeof address === "object" && address !== null ? address.port : options.port };
}

function main(): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("the market-data process must be forked with an IPC channel");
  const reply = (m: MarketDataToCore) => send(m);
  let replica: MarketReplica | null = null;
  let accounts: AccountReplica | null = null;
  let hub: PublicHub | null = null;
  const current = (): MarketReplica => {
    if (replica === null) throw new SequencerError("UNAVAILABLE", "market data is starting: retry in a moment");
    return replica;
  };
  const currentAccounts = (): AccountReplica => {
    if (accounts === null) throw new SequencerError("UNAVAILABLE", "market data is starting: retry in a moment");
    return accounts;
  };
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: CoreToMarketData) => {
    try {
      if (m.type === "start") {
        const ipLimiter = new RateLimiter("ip", m.options.ipRatePerSecond, m.options.ipBurst);
        hub = new PublicHub(current, m.options.ws, ipLimiter);
        serve(m.options, current, currentAccounts, hub, ipLimiter).then(
          ({ port }) => reply({ type: "listening", port }),
          (e: unknown) => reply({ type: "failed", message: e instanceof Error ? e.message : String(e) }),
        );
      } else if (m.type === "init") {
        replica = new MarketReplica(m);
        accounts = m.accounts === null ? null : new AccountReplica(m.accounts);
      } else {
        // The whole turn first, then its messages: a ticker sent with a book update then
        // counts the trades of the same turn, as the venue's (it publishes after the commit).
        const news: MarketDataEvent[] = [];
        for (const e of m.events) if (current().apply(e)) news.push(e);
        for (const e of news) hub?.publish(e);
        if (m.accounts !== null) currentAccounts().apply(m.accounts);
      }
    } catch (e) {
      // A copy that no longer follows the core must not serve: the core starts a fresh process.
      reply({ type: "failed", message: e instanceof Error ? e.message : String(e) });
      process.exit(1);
    }
  });
}

main();
