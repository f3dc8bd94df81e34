/**
 * The HTTP + WebSocket server: fastify routes from the route table, zod validation at the
 * edge, errors as `{ code, message }` with the status of their code, `/openapi.json`,
 * `/metrics` (prom-client) and `/v1/ws` (ws via @fastify/websocket).
 */
import cors from "@fastify/cors";
import { timingSafeEqual } from "node:crypto";
import websocket from "@fastify/websocket";
import Fastify, { LogController } from "fastify";
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { SequencerError } from "../errors.ts";
import { pipelineView } from "../provers/proving.ts";
import { openApiDocument } from "./openapi.ts";
import type { Reply } from "./route.ts";
import type { ApiContext } from "./routes.ts";
import { BATCH_BODY_LIMIT, buildRoutes } from "./routes.ts";
import { bearerToken } from "./sessions.ts";
import type { ChallengeLimits, Session } from "./sessions.ts";
import { RequestLimits } from "./ratelimit.ts";
import type { BucketState, RateLimitConfig } from "./ratelimit.ts";
import { DEFAULT_WS_LIMITS, StreamHub } from "./ws.ts";
import type { WsLimits } from "./ws.ts";
import { clientKey } from "./clientip.ts";
import { DEFAULT_HTTP_LIMITS, fastifyHttpOptions, limitConnections } from "./httplimits.ts";
import type { HttpLimits } from "./httplimits.ts";

export interface ServerOptions {
  /** Largest accepted request body, bytes. */
  readonly bodyLimit: number;
  /** Bearer token of the operator routes; null disables them. */
  readonly adminToken: string | null;
  readonly version: string;
  /**
   * Which proxies to trust for the client IP (`X-Forwarded-For`), as fastify's `trustProxy`:
   * false (default: the socket's address is the client), true, a hop count, or addresses/CIDRs.
   */
  readonly trustProxy?: boolean | string;
  /**
   * The venue is linked to L1: operator routes that stand in for L1 (deposits, forced
   * withdrawals, oracle, settlements) are not registered.
   */
  readonly l1Linked?: boolean;
  /** WebSocket limits (defaults: `DEFAULT_WS_LIMITS`). */
  readonly ws?: Partial<WsLimits>;
  /** HTTP timeouts and connection caps (defaults: `DEFAULT_HTTP_LIMITS`). */
  readonly http?: Partial<HttpLimits>;
}

/**
 * The API's limits and trust settings (`ServiceConfig.api`; from `TESSERA_*` in config.ts).
 * Every field has a default (docs/api.md "Rate limits", "WebSocket").
 */
export interface ApiOptions {
  /** Budgets besides the order budget (which is `TESSERA_ORDER_RATE`/`_BURST`). */
  readonly rateLimits?: Partial<RateLimitConfig>;
  readonly ws?: Partial<WsLimits>;
  /** HTTP timeouts and connection caps (httplimits.ts). */
  readonly http?: Partial<HttpLimits>;
  /** Open orders per account (default 1,000). */
  readonly maxOpenOrders?: number;
  /** The smallest order notional, collateral units (default 1 USD; 0: none; dust.ts). */
  readonly minOrderNotional?: bigint;
  /** The smallest withdrawal but one that empties a flat account, collateral units (default 1 USD; dust.ts). */
  readonly minWithdrawal?: bigint;
  /** Signatures that may wait for a verifier (default 4,096). */
  readonly verifyQueue?: number;
  /** How long a verifier thread polls after its last job, µs (verify-pool.ts `DEFAULT_POLL_WINDOW_US`). */
  readonly verifyPollUs?: number;
  /** fastify `trustProxy` (default false). */
  readonly trustProxy?: boolean | string;
  /** Bounds of the pending session challenges (sessions.ts `DEFAULT_CHALLENGE_LIMITS`). */
  readonly challenges?: Partial<ChallengeLimits>;
}

export const DEFAULT_MAX_OPEN_ORDERS = 1000;

/** Response header: the last committed journal entry when the reply was sent. */
export const SEQ_HEADER = "x-tessera-seq";

/** How often due dead-man switches are looked for, ms (their resolution). */
const DEAD_MAN_TICK_MS = 100;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Maps any thrown error to the API's error reply. */
function toReply(err: unknown, log: Logger): { status: number; code: string; message: string } {
  if (err instanceof SequencerError) return { status: err.status, code: err.code, message: err.message };
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 413)
      return { status: 413, code: "BODY_TOO_LARGE", message: `request body too large: ${fe.message ?? ""}` };
    if (fe.statusCode === 415)
      return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "send Content-Type: application/json" };
    // Fastify gives malformed JSON and a body with a prototype-poisoning key the same words.
    if (fe.code === "FST_ERR_CTP_INVALID_JSON_BODY")
      return {
        status: 400,
        code: "BAD_REQUEST",
        message: "the body is not valid JSON, or it has a key named __proto__ or constructor, which is refused",
      };
    return { status: 400, code: "BAD_REQUEST", message: fe.message ?? "bad request" };
  }
  log.error({ err }, "internal error");
  return { status: 500, code: "INTERNAL", message: "internal error: the request may be retried" };
}

/** Exposed to browsers (CORS) and sent on every reply. */
const RATE_HEADERS = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-bucket"];

function rateHeaders(reply: FastifyReply, state: BucketState): void {
  void reply.header("x-ratelimit-limit", String(state.limit));
  void reply.header("x-ratelimit-remaining", String(state.remaining));
  void reply.header("x-ratelimit-reset", String(state.resetMs));
  void reply.header("x-ratelimit-bucket", state.bucket);
}

export async function buildServer(api: ApiContext, log: Logger, options: ServerOptions): Promise<FastifyInstance> {
  const http: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy ?? false,
    ...fastifyHttpOptions(http),
  });
  // Per-IP counts are of socket addresses: behind a trusted proxy they would be the proxy's.
  limitConnections(app, http, (options.trustProxy ?? false) === false);
  // Each request's rate-limit charges, for the headers of its reply.
  const charged = new WeakMap<FastifyRequest, RequestLimits>();
  const limitsOf = (req: FastifyRequest): RequestLimits => {
    let l = charged.get(req);
    if (l === undefined)
      charged.set(req, (l = new RequestLimits(api.limits, clientKey(req.ip), () => Number(api.clock()))));
    return l;
  };
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser("text/plain");
  // Routes this venue serves: no operator routes without a token, no L1 stand-ins with L1.
  const routes = buildRoutes(api).filter(
    (r) => !(r.auth === "admin" && options.adminToken === null) && !(r.l1Source && options.l1Linked === true),
  );
  const document = openApiDocument(routes, options.version);

  app.setErrorHandler((err, req, reply) => {
    const r = toReply(err, log);
    api.metrics.rejections.inc({ code: r.code });
    const limits = limitsOf(req);
    if (err instanceof SequencerError && err.rateLimit !== undefined) limits.last = err.rateLimit;
    // A request refused before its route ran (malformed JSON, too large, wrong type) was not
    // charged yet: it is unauthenticated traffic of its IP.
    else if (limits.last === null) limits.tryChargeIp();
    if (err instanceof SequencerError && err.retryAfterMs !== undefined) {
      // HTTP's Retry-After is whole seconds (rounded up); the exact wait rides beside it.
      void reply.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      void reply.header("x-retry-after-ms", String(err.retryAfterMs));
    }
    void reply.status(r.status).send({ code: r.code, message: r.message });
  });
  app.setNotFoundHandler((req, reply) => {
    limitsOf(req).tryChargeIp();
    void reply.status(404).send({ code: "NOT_FOUND", message: `no route ${req.method} ${req.url}: see /openapi.json` });
  });

  // Browsers (the web app) call the API cross-origin. Authentication is a bearer token, never a
  // cookie, so any origin may call; the token is what is checked.
  await app.register(cors, {
    origin: true,
    methods: ["GET", "POST", "PUT", "DELETE"],
    allowedHeaders: ["authorization", "content-type"],
    exposedHeaders: ["retry-after", "x-retry-after-ms", SEQ_HEADER, ...RATE_HEADERS],
    maxAge: 600,
  });
  // A batch of 50 signed orders is about 35 KiB.
  await app.register(websocket, { options: { maxPayload: BATCH_BODY_LIMIT } });
  // Every reply carries the state of the bucket the request was charged to (else its IP's), and
  // the last committed journal entry: a client sends it to the market-data endpoint's account
  // reads as `X-Tessera-Min-Seq` to read its own writes there.
  app.addHook("onSend", (req, reply, payload, done) => {
    rateHeaders(reply, limitsOf(req).report());
    void reply.header(SEQ_HEADER, api.venue.journal.committedLength.toString());
    done(null, payload);
  });
  const hub = new StreamHub(api, log, { ...DEFAULT_WS_LIMITS, ...options.ws });
  // Dead-man switches (`/v1/orders/schedule-cancel`): fired as journaled commands when due,
  // including those that ran out while the venue was down (they are replayed armed).
  const deadMan = setInterval(() => {
    for (const accountId of api.venue.engine.dueScheduledCancels(api.clock())) {
      try {
        const outcome = api.venue.execute({ kind: "cancelScheduled", accountId }, api.clock());
        if (outcome.kind === "cancelScheduled" && outcome.cancelled.length > 0)
          log.info({ accountId: accountId.toString(), cancelled: outcome.cancelled.length }, "dead-man switch fired");
      } catch (e) {
        log.error({ err: e }, "dead-man switch failed");
      }
    }
  }, DEAD_MAN_TICK_MS);
  deadMan.unref();
  // Disconnects are handled before the server (and then the venue's journal) closes.
  app.addHook("preClose", (done) => {
    clearInterval(deadMan);
    hub.disconnectAll();
    done();
  });
  app.get("/v1/ws", { websocket: true }, (socket, req) => hub.handle(socket, clientKey(req.ip), req.socket));

  app.get("/openapi.json", () => document);
  app.get("/health", () => ({ ok: true }));
  app.get("/metrics", async (_req, reply) => {
    api.metrics.journalLength.set(Number(api.venue.journal.length));
    api.metrics.setCheckpoints(api.venue.journal.checkpoints?.stats() ?? null);
    api.metrics.rateLimitKeys.set(api.limits.size);
    api.metrics.verifyQueue.set(api.verifier.queued);
    api.metrics.setVerifyWakes(api.verifier.wakes);
    api.metrics.setSyncWakes(api.venue.journal.syncStats);
    api.metrics.setPipeline(pipelineView(api.venue, api.proving ?? null, api.clock()));
    api.metrics.fundFreeSlots.set(api.venue.ledger.fundCapacity.freeSlots);
    api.metrics.fundUncovered.set(api.venue.ledger.fundCapacity.uncovered);
    void reply.header("content-type", api.metrics.registry.contentType);
    return api.metrics.registry.metrics();
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimit === undefined ? {} : { bodyLimit: Math.max(route.bodyLimit, options.bodyLimit) }),
      handler: async (req, reply) => {
        let session: Session | null = null;
        const limits = limitsOf(req);
        const token = bearerToken(req.headers.authorization);
        if (route.auth === "session") {
          try {
            session = api.sessions.check(token, Number(api.clock()));
          } catch (e) {
            // A request that fails authentication is charged to its IP.
            limits.chargeIp();
            throw e;
          }
          limits.chargeAccount(
            session.accountId,
            route.budget === "ip" || route.budget === "auth" ? "read" : route.budget,
          );
        } else if (route.auth === "admin") {
          if (token === undefined || !sameSecret(token, options.adminToken!)) {
            limits.chargeIp();
            throw new SequencerError("UNAUTHORIZED", "operator route: send the operator bearer token");
          }
        } else if (route.budget === "auth") limits.chargeAuth();
        else limits.chargeIp();
        let r: Reply;
        try {
          r = await route.run(
            { params: req.params, query: req.query, body: req.body },
            session,
            clientKey(req.ip),
            Date.now(),
            limits,
            token,
          );
        } finally {
          // No reply before the journal commit that covers what the request changed (group
          // commit): an acknowledged command survives kill -9. A rejection may have journaled a
          // purge on the way, so errors wait too; a failed commit answers 503 UNAVAILABLE.
          await api.venue.durable();
        }
        return reply.status(r.status).send(r.body);
      },
    });
  }
  return app;
}
