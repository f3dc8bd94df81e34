/**
 * HTTP connection limits of the venue's server (server.ts): how long a connection may sit idle,
 * take to send its headers and its whole request, or wait kept alive between requests, and how
 * many connections one IP and everyone together may hold (docs/api.md "Connections").
 *
 * Guarantee: a connection that sends nothing is closed after `idleTimeoutMs`; one whose headers
 * are not all in after `headersTimeoutMs`, or its request after `requestTimeoutMs`, is answered
 * 408 and closed (Node's checks run every `checkIntervalMs(limits)`, so the cut comes at most
 * that much later); a kept-alive connection idle `keepAliveTimeoutMs` after a reply is closed.
 * A connection from an IP that already holds `maxConnectionsPerIp` is answered 429
 * `TOO_MANY_CONNECTIONS` and closed; beyond `maxConnections` in all, Node drops new ones.
 * A connection upgraded to a WebSocket leaves these limits: it is no longer an HTTP connection
 * (no idle or request timeout, no HTTP slot) and the WebSocket limits hold it (ws.ts, 4002 per
 * IP, pings and idle rules).
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { clientKey } from "./clientip.ts";

export interface HttpLimits {
  /** A connection with no byte in or out for this long is closed (ms; Node's socket timeout). */
  readonly idleTimeoutMs: number;
  /** A request's headers must all be in within this long of its first byte (ms). */
  readonly headersTimeoutMs: number;
  /** A request, body included, must be all in within this long of its first byte (ms). */
  readonly requestTimeoutMs: number;
  /** A kept-alive connection waits this long for its next request (ms). */
  readonly keepAliveTimeoutMs: number;
  /** Open HTTP connections per client IP (WebSocket connections not counted). */
  readonly maxConnectionsPerIp: number;
  /** Open connections in all (`server.maxConnections`; WebSocket connections included). */
  readonly maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  idleTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerIp: 64,
  maxConnections: 10_000,
};

/** How often Node looks for requests past their headers or request timeout (ms). */
export function checkIntervalMs(limits: HttpLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/** Throws when the limits contradict each other (Node refuses headers > request timeout). */
export function validateHttpLimits(limits: HttpLimits): void {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error(
      `the HTTP headers timeout (${limits.headersTimeoutMs} ms) must not exceed the request timeout (${limits.requestTimeoutMs} ms)`,
    );
  for (const [name, v] of Object.entries(limits))
    if (!Number.isInteger(v) || v < 1) throw new Error(`HTTP limit ${name} must be a positive integer, not ${v}`);
}

/** The reply to a connection over its IP's cap: the client reads it as a response. */
function refusal(limit: number): string {
  const body = JSON.stringify({
    code: "TOO_MANY_CONNECTIONS",
    message: `over ${limit} open HTTP connections from this address: reuse connections (keep-alive) or close some`,
  });
  return (
    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A refused connection that does not close its side is cut after this long. */
const REFUSE_GRACE_MS = 1000;

/**
 * Counts `server`'s connections per remote address and refuses those over the cap (`perIp`
 * false: no per-IP cap, as behind a proxy every connection has the proxy's address). Sets the
 * total cap. An upgraded connection (WebSocket) is released from its IP's count.
 */
export class HttpConnectionLimiter {
  private readonly perIp = new Map<string, number>();
  private readonly counted = new WeakMap<Socket, string>();
  private readonly refusedSockets = new WeakSet<Socket>();
  refused = 0;

  constructor(
    server: Server,
    private readonly limits: HttpLimits,
    private readonly perIpEnabled: boolean,
  ) {
    server.maxConnections = limits.maxConnections;
    // Before the HTTP parser is attached, so a refused connection is marked before any request.
    server.prependListener("connection", (socket: Socket) => this.admit(socket));
    // The WebSocket plugin takes the socket on `upgrade`; it leaves the HTTP timeouts and count.
    server.on("upgrade", (_req: unknown, socket: Socket) => {
      socket.setTimeout(0);
      this.release(socket);
    });
  }

  /** A connection refused at its IP's cap: a request that still arrives on it must not run. */
  isRefused(socket: Socket): boolean {
    return this.refusedSockets.has(socket);
  }

  /** Open counted connections of the client key `ip` (`clientKey`; tests). */
  openFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  private admit(socket: Socket): void {
    if (!this.perIpEnabled) return;
    const ip = clientKey(socket.remoteAddress ?? "");
    const open = this.perIp.get(ip) ?? 0;
    if (open >= this.limits.maxConnectionsPerIp) {
      this.refused++;
      this.refusedSockets.add(socket);
      socket.on("error", () => undefined);
      socket.end(refusal(this.limits.maxConnectionsPerIp));
      setTimeout(() => socket.destroy(), REFUSE_GRACE_MS).unref();
      return;
    }
    this.perIp.set(ip, open + 1);
    this.counted.set(socket, ip);
    socket.once("close", () => this.release(socket));
  }

  private release(socket: Socket): void {
    const ip = this.counted.get(socket);
    if (ip === undefined) return;
    this.counted.delete(socket);
    const open = (this.perIp.get(ip) ?? 1) - 1;
    if (open <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, open);
  }
}

/**
 * Fastify's server options for `limits` (its `connectionTimeout`, `requestTimeout` and
 * `keepAliveTimeout`, and Node's header timeout and check interval). Without them a connection
 * may be held open forever: fastify 5 turns Node's own timeouts off.
 */
export function fastifyHttpOptions(limits: HttpLimits) {
  validateHttpLimits(limits);
  return {
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs(limits),
    },
  };
}

/**
 * Caps `app`'s connections (`HttpConnectionLimiter`); `perIp` false behind a trusted proxy, where
 * every socket has the proxy's address. A request on a connection refused at its IP's cap (answered
 * 429 already) does not run.
 */
export function limitConnections(app: FastifyInstance, limits: HttpLimits, perIp: boolean): HttpConnectionLimiter {
  const connections = new HttpConnectionLimiter(app.server, limits, perIp);
  app.addHook("onRequest", (req, reply, done) => {
    if (!connections.isRefused(req.raw.socket)) return done();
    void reply.hijack();
    req.raw.socket.destroy();
  });
  return connections;
}
