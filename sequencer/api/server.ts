/**
 * The HTTP + WebSocket server: fastify routes from the route table, zod validation at the
 * edge, errors as `{ code, message }` with the status of their code, `/openapi.json`,
 * `/metrics` (prom-client) and `/v1/ws` (ws via @fastify/websocket).
 */
import cors from "@fastify/cors";
import { timingSafeEqual } from "node:crypto";
import websocket from "@fastify/websocket";
import Fastify, { LogController } from "fastify";
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { SequencerError } from "../errors.ts";
import { openApiDocument } from "./openapi.ts";
import type { ApiContext } from "./routes.ts";
import { buildRoutes } from "./routes.ts";
import type { Session } from "./sessions.ts";
import { StreamHub } from "./ws.ts";

export interface ServerOptions {
  /** Largest accepted request body, bytes. */
  readonly bodyLimit: number;
  /** Bearer token of the operator routes; null disables them. */
  readonly adminToken: string | null;
  readonly version: string;
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer (\S+)$/.exec(header);
  return m === null ? undefined : m[1];
}

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
    return { status: 400, code: "BAD_REQUEST", message: fe.message ?? "bad request" };
  }
  log.error({ err }, "internal error");
  return { status: 500, code: "INTERNAL", message: "internal error: the request may be retried" };
}

export async function buildServer(api: ApiContext, log: Logger, options: ServerOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    trustProxy: false,
  });
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser("text/plain");
  const routes = buildRoutes(api);
  const document = openApiDocument(routes, options.version);

  app.setErrorHandler((err, _req, reply) => {
    const r = toReply(err, log);
    api.metrics.rejections.inc({ code: r.code });
    if (err instanceof SequencerError && err.retryAfterMs !== undefined) {
      void reply.header("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
    }
    void reply.status(r.status).send({ code: r.code, message: r.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: "NOT_FOUND", message: `no route ${req.method} ${req.url}: see /openapi.json` });
  });

  // Browsers (the web app) call the API cross-origin. Authentication is a bearer token, never a
  // cookie, so any origin may call; the token is what is checked.
  await app.register(cors, {
    origin: true,
    methods: ["GET", "POST", "PUT", "DELETE"],
    allowedHeaders: ["authorization", "content-type"],
    exposedHeaders: ["retry-after"],
    maxAge: 600,
  });
  await app.register(websocket, { options: { maxPayload: 16 * 1024 } });
  const hub = new StreamHub(api, log);
  // Disconnects are handled before the server (and then the venue's journal) closes.
  app.addHook("preClose", (done) => {
    hub.disconnectAll();
    done();
  });
  app.get("/v1/ws", { websocket: true }, (socket, req) => hub.handle(socket, req.ip));

  app.get("/openapi.json", () => document);
  app.get("/health", () => ({ ok: true }));
  app.get("/metrics", async (_req, reply) => {
    api.metrics.journalLength.set(Number(api.venue.journal.length));
    void reply.header("content-type", api.metrics.registry.contentType);
    return api.metrics.registry.metrics();
  });

  for (const route of routes) {
    if (route.auth === "admin" && options.adminToken === null) continue;
    app.route({
      method: route.method,
      url: route.url,
      handler: async (req, reply) => {
        let session: Session | null = null;
        const token = bearer(req.headers.authorization);
        if (route.auth === "session") session = api.sessions.check(token, Number(api.clock()));
        if (route.auth === "admin" && (token === undefined || !sameSecret(token, options.adminToken!)))
          throw new SequencerError("UNAUTHORIZED", "operator route: send the operator bearer token");
        const r = await route.run(
          { params: req.params, query: req.query, body: req.body },
          session,
          req.ip,
          Date.now(),
        );
        return reply.status(r.status).send(r.body);
      },
    });
  }
  return app;
}
