/**
 * One route = method, path, auth, zod schemas and a handler. The same table drives fastify's
 * routing, edge validation and the OpenAPI document, so the document cannot drift from the
 * code.
 */
import { z } from "zod";
import { SequencerError } from "../errors.ts";
import { isRecord, onlyKeys } from "../wire.ts";
import { fastPlaceBatch, fastPlaceOne, placeBatchSchema, placeOneSchema } from "./schemas.ts";
import type { AccountBudget, RequestLimits } from "./ratelimit.ts";
import type { Session } from "./sessions.ts";

export type Auth = "none" | "session" | "admin";
export type Method = "GET" | "POST" | "DELETE";

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export interface RequestContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The caller's session when `auth` is `session`. */
  readonly session: Session | null;
  /** Client IP, for unauthenticated rate limits. */
  readonly ip: string;
  /** The request's bearer token, if any. */
  readonly bearer: string | undefined;
  /** Request arrival, unix ms. */
  readonly arrivedMs: number;
  /** The request's rate-limit charges (the server charged the route's budget already). */
  readonly limits: RequestLimits;
}

/**
 * The budget a route is charged before it runs: a session route charges the session account's
 * `order`, `cancel` or `read` budget (default `read`); a route without a session charges the
 * caller's IP (`ip`, the default) or the IP's authentication budget (`auth`).
 */
export type RouteBudget = AccountBudget | "ip" | "auth";

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: Method;
  /** fastify path syntax, e.g. `/v1/orders/:orderId`. */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: Auth;
  readonly budget?: RouteBudget;
  /**
   * An operator route that stands in for an L1 source (deposits, forced withdrawals, oracle,
   * settlements): it does not exist on a venue linked to L1.
   */
  readonly l1Source?: boolean;
  /** Largest body this route accepts, bytes (default: the server's). */
  readonly bodyLimit?: number;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Documented responses: status → description. */
  readonly responses: Readonly<Record<number, string>>;
  readonly handle: (ctx: RequestContext<z.output<P>, z.output<Q>, z.output<B>>) => Reply | Promise<Reply>;
}

/** A route with its types erased: validates raw input and runs the handler. */
export interface Route {
  readonly method: Method;
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: Auth;
  readonly budget: RouteBudget;
  readonly l1Source: boolean;
  readonly bodyLimit: number | undefined;
  readonly schemas: { readonly params?: z.ZodType; readonly query?: z.ZodType; readonly body?: z.ZodType };
  readonly responses: Readonly<Record<number, string>>;
  run(
    raw: { params: unknown; query: unknown; body: unknown },
    session: Session | null,
    ip: string,
    arrivedMs: number,
    limits: RequestLimits,
    bearer?: string,
  ): Promise<Reply>;
}

const empty = z.object({}).strict();

/** Formats zod issues as one line a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

/**
 * Fast paths tried before zod (sequencer/intake/schemas.ts): the order bodies of market makers'
 * hot routes, and the empty parameters and query of most routes. Each gives zod's output for
 * what it accepts and undefined otherwise (zod then parses, and words any error).
 */
const FAST_PARSE = new Map<z.ZodType, (v: unknown) => unknown>([
  [placeOneSchema, fastPlaceOne],
  [placeBatchSchema, fastPlaceBatch],
]);
const NO_KEYS: ReadonlySet<string> = new Set();

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  if (
    (schema as z.ZodType) === empty &&
    (value === undefined || value === null || (isRecord(value) && onlyKeys(value, NO_KEYS)))
  )
    return {} as z.output<S>;
  const fast = FAST_PARSE.get(schema)?.(value);
  if (fast !== undefined) return fast as z.output<S>;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new SequencerError("BAD_REQUEST", `invalid ${where}: ${describeIssues(r.error)}`);
  return r.data;
}

export function defineRoute<
  P extends z.ZodType = typeof empty,
  Q extends z.ZodType = typeof empty,
  B extends z.ZodType = typeof empty,
>(spec: RouteSpec<P, Q, B>): Route {
  const params = (spec.params ?? empty) as P;
  const query = (spec.query ?? empty) as Q;
  const body = spec.body as B | undefined;
  return {
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    budget: spec.budget ?? (spec.auth === "session" ? "read" : "ip"),
    l1Source: spec.l1Source ?? false,
    bodyLimit: spec.bodyLimit,
    schemas: { params: spec.params, query: spec.query, body: spec.body },
    responses: spec.responses,
    async run(raw, session, ip, arrivedMs, limits, bearer) {
      const ctx = {
        params: parse(params, raw.params, "path parameters"),
        query: parse(query, raw.query, "query"),
        body: (body === undefined ? {} : parse(body, raw.body, "body")) as z.output<B>,
        session,
        ip,
        bearer,
        arrivedMs,
        limits,
      };
      return spec.handle(ctx);
    },
  };
}
