/**
 * `TesseraClient`: the typed REST client of the venue (reference: docs/api.md, /openapi.json).
 *
 * Every endpoint is a method; replies are validated and decoded (sdk/wire.ts), refusals throw
 * `TesseraApiError` with the server's code, status and message (`RateLimitError` for 429).
 * Private routes open a session by themselves (challenge signed with the trading key) and
 * renew it before it expires or when the venue answers `UNAUTHORIZED`.
 */
import { z } from "zod";
import { getProfile } from "../protocol/profiles.ts";
import { marketDataBaseUrl, nextOrderIdPath } from "./endpoints.ts";
import { withdrawalOrder } from "../protocol/signing.ts";
import type { Profile, SignedOrder } from "../protocol/types.ts";
import { apiError, TesseraApiError, TesseraConnectionError, TesseraSdkError } from "./errors.ts";
import type { TradingKey } from "./keys.ts";
import { buildOrder, OrderIdAllocator } from "./orders.ts";
import type { OrderRequest } from "./orders.ts";
import {
  accountSchema,
  cancelBatchResultSchema,
  mmpListSchema,
  placeBatchResultSchema,
  rateLimitsSchema,
  scheduleCancelResultSchema,
  batchPageSchema,
  batchProofSchema,
  batchStatusSchema,
  bookSnapshotSchema,
  cancelResultSchema,
  challengeSchema,
  closeBatchResultSchema,
  depositResultSchema,
  depositSchema,
  errorReplySchema,
  fillSchema,
  fundingSchema,
  marketSchema,
  nextOrderIdSchema,
  openOrderSchema,
  optionChainSchema,
  oracleSchema,
  placeResultSchema,
  replaceResultSchema,
  sessionSchema,
  setOracleResultSchema,
  settlementSchema,
  statusSchema,
  tickerSchema,
  toJsonText,
  verificationKeySchema,
  withdrawalSchema,
} from "./wire.ts";
import type {
  CancelBatchItem,
  MmpEntry,
  PlaceBatchItem,
  RateLimits,
  AccountSummary,
  BatchPage,
  BatchProof,
  BatchStatus,
  BookSnapshot,
  CancelledOrder,
  Deposit,
  Fill,
  Funding,
  Market,
  OpenOrder,
  OptionChain,
  OracleUnderlying,
  PlaceResult,
  ReplaceResult,
  SessionToken,
  Settlement,
  Ticker,
  VenueStatus,
  VerificationKey,
  Withdrawal,
} from "./wire.ts";

/** An instrument by id or by name (`ETH-PERP`, `ETH-20261127-3000-C`). */
export type InstrumentRef = bigint | string;

export interface ClientOptions {
  /** Base URL of the venue, e.g. `http://127.0.0.1:8600`. */
  readonly url: string;
  /** The trading key: needed to place orders and for private routes. */
  readonly key?: TradingKey;
  /** The account the key trades for (assigned at the first deposit). */
  readonly accountId?: bigint;
  /** Operator bearer token, for the `/v1/admin/*` routes only. */
  readonly adminToken?: string;
  /**
   * Lifetime in seconds of a resting (GTC) order or quote when a request gives no expiry
   * (default `DEFAULT_ORDER_TTL_SECONDS`, 10 minutes): a quote left behind expires soon.
   */
  readonly orderTtlSeconds?: bigint;
  /**
   * Lifetime in seconds of an IOC, FOK or market order when a request gives no expiry (default
   * `DEFAULT_IMMEDIATE_TTL_SECONDS`, 10 s): such an order never rests, so its signature must not
   * stay fillable long after it was sent.
   */
  readonly immediateTtlSeconds?: bigint;
  /** Wall clock, unix milliseconds (default `Date.now`). */
  readonly clock?: () => number;
  /** The fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
  /**
   * Where `account()`, `openOrders()`, `fills()`, `settlements()` and `nextOrderId()` read:
   * `"venue"` (default), or `"marketData"`: the market-data endpoint `/v1/status` names, off the
   * venue's matching thread, with the newest `X-Tessera-Seq` the venue gave this client, so a read
   * sees this client's own orders, fills and ids; the venue answers when the endpoint is absent,
   * unreachable or behind.
   */
  readonly accountReads?: "venue" | "marketData";
}

type Auth = "none" | "session" | "admin";

interface RequestSpec {
  readonly auth?: Auth;
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** An account read the market-data endpoint also serves (`accountReads`). */
  readonly accountRead?: boolean;
}

/** Codes after which an account read goes to the venue instead of the market-data endpoint. */
const READ_FALLBACK = new Set(["CONNECTION", "UNAVAILABLE", "WRONG_ENDPOINT", "NOT_FOUND"]);

/** Renew a session this long before it expires, milliseconds. */
const SESSION_MARGIN_MS = 30_000;
/** Orders per batch request (the venue's limit). */
const MAX_BATCH = 50;
/** Default lifetime of a resting order or quote, seconds (10 minutes). */
export const DEFAULT_ORDER_TTL_SECONDS = 600n;
/** Default lifetime of an IOC, FOK or market order, seconds. */
export const DEFAULT_IMMEDIATE_TTL_SECONDS = 10n;

function refOf(instrument: InstrumentRef): string {
  return typeof instrument === "bigint" ? instrument.toString() : instrument;
}

export class TesseraClient {
  readonly url: string;
  private readonly options: ClientOptions;
  private readonly clock: () => number;
  private readonly fetchImpl: typeof fetch;
  private statusCache: VenueStatus | null = null;
  private marketsCache: Map<bigint, Market> | null = null;
  private session: SessionToken | null = null;
  private sessionPending: Promise<SessionToken> | null = null;
  private allocator: OrderIdAllocator | null = null;
  /** The allocator's first fetch of the venue's next order id, shared by concurrent callers. */
  private allocatorPending: Promise<OrderIdAllocator> | null = null;
  /** A live WebSocket connection with cancel-on-disconnect whose group REST orders join. */
  private cancelOnDisconnect: string | null = null;
  /** Order-tree slot → id of this client's order believed resting there. */
  private readonly busy = new Map<bigint, bigint>();
  /** The newest journal seq the venue answered with (`X-Tessera-Seq`). */
  private seq = 0n;
  /** Base URL of account reads (`accountReads`); null: ask `/v1/status`. */
  private reads: Promise<string> | null = null;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  get accountId(): bigint {
    if (this.options.accountId === undefined) throw new TesseraSdkError("this client has no accountId");
    return this.options.accountId;
  }

  get key(): TradingKey {
    if (this.options.key === undefined) throw new TesseraSdkError("this client has no trading key");
    return this.options.key;
  }

  // --- transport -----------------------------------------------------------------------------

  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    spec: RequestSpec = {},
  ): Promise<z.output<S>> {
    const auth = spec.auth ?? "none";
    const base = spec.accountRead === true ? await this.readBase() : this.url;
    const send = async (): Promise<z.output<S>> => {
      const token = auth === "session" ? (await this.sessionToken()).token : undefined;
      if (base === this.url) return this.send(method, path, schema, spec, token);
      try {
        return await this.send(method, path, schema, spec, token, base);
      } catch (e) {
        if (!(e instanceof TesseraApiError || e instanceof TesseraConnectionError) || !READ_FALLBACK.has(e.code))
          throw e;
        this.reads = null;
        return this.send(method, path, schema, spec, token);
      }
    };
    try {
      return await send();
    } catch (e) {
      // A session the venue forgot (restart, expiry): open a new one and retry once.
      if (auth !== "session" || !isUnauthorized(e)) throw e;
      this.session = null;
      return send();
    }
  }

  /** Where account reads go: the market-data endpoint with `accountReads: "marketData"`. */
  private readBase(): Promise<string> {
    if (this.options.accountReads !== "marketData") return Promise.resolve(this.url);
    this.reads ??= this.marketDataUrl().catch(() => {
      this.reads = null;
      return this.url;
    });
    return this.reads;
  }

  private async send<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    spec: RequestSpec,
    sessionToken: string | undefined,
    base: string = this.url,
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = {};
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (sessionToken !== undefined) headers.authorization = `Bearer ${sessionToken}`;
    if (base !== this.url) headers["x-tessera-min-seq"] = this.seq.toString();
    if (spec.auth === "admin") {
      if (this.options.adminToken === undefined)
        throw new TesseraSdkError("operator routes need the adminToken option");
      headers.authorization = `Bearer ${this.options.adminToken}`;
    }
    const query = Object.entries(spec.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    const qs = query.length === 0 ? "" : "?" + new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString();
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(base + path + qs, {
        method,
        headers,
        body: spec.body === undefined ? undefined : toJsonText(spec.body),
      });
      text = await res.text();
    } catch (e) {
      throw new TesseraConnectionError("CONNECTION", `${method} ${path}: the venue at ${base} is unreachable`, {
        cause: e,
      });
    }
    const seq = res.headers.get("x-tessera-seq");
    if (base === this.url && seq !== null && /^\d{1,19}$/.test(seq) && BigInt(seq) > this.seq) this.seq = BigInt(seq);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TesseraConnectionError(
        "BAD_RESPONSE",
        `${method} ${path}: HTTP ${res.status} with a body that is not JSON`,
      );
    }
    if (!res.ok) {
      const err = errorReplySchema.safeParse(json);
      if (!err.success)
        throw new TesseraConnectionError("BAD_RESPONSE", `${method} ${path}: HTTP ${res.status} without an error code`);
      throw apiError(
        err.data.code,
        res.status,
        err.data.message,
        res.headers.get("retry-after"),
        res.headers.get("x-retry-after-ms"),
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new TesseraConnectionError(
        "BAD_RESPONSE",
        `${method} ${path}: unexpected reply: ${parsed.error.issues[0]?.message ?? ""}`,
      );
    }
    return parsed.data;
  }

  // --- venue -----------------------------------------------------------------------------------

  /** `GET /v1/status`: profile, domain, open batch, journal length, state root. */
  async status(): Promise<VenueStatus> {
    const s = await this.request("GET", "/v1/status", statusSchema);
    this.statusCache = s;
    return s;
  }

  /**
   * The base URL to read public market data from: the market-data endpoint named by
   * `/v1/status` (its advertised URL, else this venue's host at its port), or this venue's own
   * URL when it runs none. Public channels there never load the venue's matching thread:
   * `new TesseraStream({ url: await client.marketDataUrl() })` (no `client`: public only).
   * Asks the venue every time, so a moved endpoint is found again.
   */
  async marketDataUrl(): Promise<string> {
    return marketDataBaseUrl(this.url, (await this.status()).marketData);
  }

  /** The deployment's signature domain (fetched once). */
  async domain(): Promise<bigint> {
    return (this.statusCache ?? (await this.status())).domain;
  }

  /** The venue's circuit profile (order-tree depth, position slots, ...), fetched once. */
  async profile(): Promise<Profile> {
    return getProfile((this.statusCache ?? (await this.status())).profile);
  }

  /** `GET /health`: resolves when the venue serves requests. */
  async health(): Promise<boolean> {
    return (await this.request("GET", "/health", z.object({ ok: z.boolean() }))).ok;
  }

  /** `GET /v1/batches/:number`: a batch's proof status, its detail and packed proof. */
  batch(number: bigint): Promise<BatchStatus> {
    return this.request("GET", `/v1/batches/${number}`, batchStatusSchema);
  }

  /**
   * `GET /v1/batches`: one page of closed batches, newest first (`limit` 1..100, default 20).
   * Pass the page's `nextBefore` as `before` for the next, older page.
   */
  batches(page: { limit?: number; before?: bigint } = {}): Promise<BatchPage> {
    return this.request("GET", "/v1/batches", batchPageSchema, {
      query: { limit: page.limit, before: page.before?.toString() },
    });
  }

  /** `GET /v1/batches/:number/proof`: the Groth16 proof and public signals; `NOT_FOUND` until proved. */
  batchProof(number: bigint): Promise<BatchProof> {
    return this.request("GET", `/v1/batches/${number}/proof`, batchProofSchema);
  }

  /** `GET /v1/verification-key`: the circuit's snarkjs key; `NOT_FOUND` on a venue without provers. */
  verificationKey(): Promise<VerificationKey> {
    return this.request("GET", "/v1/verification-key", verificationKeySchema);
  }

  // --- market data ---------------------------------------------------------------------------

  /** `GET /v1/instruments`: listed markets with tick and lot sizes, status and settlement price. */
  async instruments(
    filter: { kind?: "perp" | "option"; underlying?: number; status?: Market["status"] } = {},
  ): Promise<Market[]> {
    const r = await this.request("GET", "/v1/instruments", z.object({ instruments: z.array(marketSchema) }), {
      query: { kind: filter.kind, underlying: filter.underlying, status: filter.status },
    });
    return r.instruments;
  }

  /** One listed market by id or name (the listing is fetched once and cached). */
  async market(instrument: InstrumentRef): Promise<Market> {
    if (this.marketsCache === null)
      this.marketsCache = new Map((await this.instruments()).map((m) => [m.instrument, m]));
    const found =
      typeof instrument === "bigint"
        ? this.marketsCache.get(instrument)
        : [...this.marketsCache.values()].find((m) => m.name === instrument || m.instrument.toString() === instrument);
    if (found === undefined) throw new TesseraSdkError(`instrument ${refOf(instrument)} is not listed`);
    return found;
  }

  /** `GET /v1/option-chain`: calls and puts per expiry and strike, with best bid and ask. */
  optionChain(underlying: number): Promise<OptionChain> {
    return this.request("GET", "/v1/option-chain", optionChainSchema, { query: { underlying } });
  }

  /** `GET /v1/instruments/:instrument/book`: a snapshot with its sequence number. */
  book(instrument: InstrumentRef, depth?: number): Promise<BookSnapshot> {
    return this.request("GET", `/v1/instruments/${encodeURIComponent(refOf(instrument))}/book`, bookSnapshotSchema, {
      query: { depth },
    });
  }

  /** `GET /v1/instruments/:instrument/trades`: recent trades, newest first. */
  async trades(instrument: InstrumentRef, limit?: number): Promise<Fill[]> {
    const r = await this.request(
      "GET",
      `/v1/instruments/${encodeURIComponent(refOf(instrument))}/trades`,
      z.object({ trades: z.array(fillSchema) }),
      { query: { limit } },
    );
    return r.trades;
  }

  /** `GET /v1/tickers`: best bid/ask, last price, volume, index and mark price per market. */
  async tickers(): Promise<Ticker[]> {
    return (await this.request("GET", "/v1/tickers", z.object({ tickers: z.array(tickerSchema) }))).tickers;
  }

  /** `GET /v1/oracle`: index and mark prices and funding indices per underlying. */
  async oracle(): Promise<OracleUnderlying[]> {
    return (await this.request("GET", "/v1/oracle", oracleSchema)).underlyings;
  }

  /** `GET /v1/funding`: funding index, last and next update, last delta and rate per underlying. */
  funding(): Promise<Funding> {
    return this.request("GET", "/v1/funding", fundingSchema);
  }

  // --- sessions --------------------------------------------------------------------------------

  /**
   * A valid session token for this client's account (opened or renewed as needed): the
   * challenge of `POST /v1/auth/challenge` signed with the trading key, posted to
   * `/v1/auth/session`. Concurrent callers share one login. `fresh` forces a new session
   * (after a reconnect: a restarted venue forgets its sessions).
   */
  async sessionToken(options: { fresh?: boolean } = {}): Promise<SessionToken> {
    if (options.fresh === true && this.sessionPending === null) this.session = null;
    if (this.session !== null && this.session.expiresAt - SESSION_MARGIN_MS > this.clock()) return this.session;
    this.sessionPending ??= this.login().finally(() => {
      this.sessionPending = null;
    });
    return this.sessionPending;
  }

  private async login(): Promise<SessionToken> {
    const accountId = this.accountId;
    const key = this.key;
    const { challenge } = await this.request("POST", "/v1/auth/challenge", challengeSchema, { body: { accountId } });
    const signature = key.signChallenge(await this.domain(), accountId, challenge);
    const session = await this.request("POST", "/v1/auth/session", sessionSchema, {
      body: { accountId, challenge, publicKey: key.publicKey, signature },
    });
    this.session = session;
    return session;
  }

  // --- account ---------------------------------------------------------------------------------

  /** `GET /v1/account`: collateral, equity, margins, positions with PnL and liquidation price. */
  account(): Promise<AccountSummary> {
    return this.request("GET", "/v1/account", accountSchema, { auth: "session", accountRead: true });
  }

  /** `GET /v1/account/orders`: the account's open orders (also resets the slot bookkeeping). */
  async openOrders(): Promise<OpenOrder[]> {
    const r = await this.request("GET", "/v1/account/orders", z.object({ orders: z.array(openOrderSchema) }), {
      auth: "session",
      accountRead: true,
    });
    const allocator = await this.orderIds();
    this.busy.clear();
    for (const o of r.orders) {
      allocator.observe(o.orderId);
      this.busy.set(allocator.slotOf(o.orderId), o.orderId);
    }
    return r.orders;
  }

  /** `GET /v1/account/fills`: the account's fills, newest first, with proof status. */
  async fills(limit?: number): Promise<Fill[]> {
    const r = await this.request("GET", "/v1/account/fills", z.object({ fills: z.array(fillSchema) }), {
      auth: "session",
      query: { limit },
      accountRead: true,
    });
    return r.fills;
  }

  /** `GET /v1/account/withdrawals`: withdrawals and forced withdrawals, newest first, with status. */
  async withdrawals(limit?: number): Promise<Withdrawal[]> {
    const r = await this.request(
      "GET",
      "/v1/account/withdrawals",
      z.object({ withdrawals: z.array(withdrawalSchema) }),
      {
        auth: "session",
        query: { limit },
      },
    );
    return r.withdrawals;
  }

  /**
   * `GET /v1/account/settlements`: the account's option positions closed by their series'
   * settlement, newest first: price, round, value, cost and realised PnL.
   */
  async settlements(limit?: number): Promise<Settlement[]> {
    const r = await this.request(
      "GET",
      "/v1/account/settlements",
      z.object({ settlements: z.array(settlementSchema) }),
      { auth: "session", query: { limit }, accountRead: true },
    );
    return r.settlements;
  }

  /**
   * `GET /v1/accounts/:accountId/nextOrderId` of this client's account, with its session: the
   * order id to sign next, one above the highest the venue has seen from it (orders of any
   * outcome, withdrawal messages), 1 when none. Read where account reads go (`accountReads`).
   * The client's allocator asks it once (`orderIds()`) and counts up. No other account's can be
   * read: it moves with each order sent, so it would tie the anonymous book's changes to it.
   */
  async nextOrderId(): Promise<bigint> {
    const r = await this.request("GET", nextOrderIdPath(this.accountId), nextOrderIdSchema, {
      auth: "session",
      accountRead: true,
    });
    return r.nextOrderId;
  }

  /** `GET /v1/account/deposits`: L1 deposits as applied, newest first, with status. */
  async deposits(limit?: number): Promise<Deposit[]> {
    const r = await this.request("GET", "/v1/account/deposits", z.object({ deposits: z.array(depositSchema) }), {
      auth: "session",
      query: { limit },
    });
    return r.deposits;
  }

  // --- withdrawals -----------------------------------------------------------------------------

  /**
   * Signs the withdrawal message of `amount` USDC base units (docs/protocol.md §5.2): an order
   * with instrument 0, a fresh order id from the same allocator as orders (its slot must hold
   * no open order; the id is burned) and the default expiry.
   */
  async signWithdrawal(amount: bigint, options: { orderId?: bigint; expiry?: bigint } = {}): Promise<SignedOrder> {
    const order = withdrawalOrder(
      this.accountId,
      amount,
      await this.allocateOrderId(options.orderId),
      this.expiryOf(options.expiry),
    );
    return this.key.signOrder(order, await this.domain());
  }

  /**
   * `POST /v1/withdrawals`: withdraws `amount` USDC base units to the account's L1 owner (who
   * claims it once the batch is verified). Resolves with the withdrawal and its status; throws
   * `TesseraApiError` (e.g. `INSUFFICIENT_FREE_COLLATERAL`) when refused.
   */
  async withdraw(amount: bigint, options: { orderId?: bigint; expiry?: bigint } = {}): Promise<Withdrawal> {
    try {
      return await this.submitWithdrawal(await this.signWithdrawal(amount, options));
    } catch (e) {
      // Our id bookkeeping was stale (an order rests in the slot we picked, or another client of
      // the account used the id): resync once and retry with a fresh id.
      if (options.orderId !== undefined || !(await this.resyncAfter(e))) throw e;
      return this.submitWithdrawal(await this.signWithdrawal(amount, options));
    }
  }

  /** `POST /v1/withdrawals` with a withdrawal message already signed (`signWithdrawal`). */
  async submitWithdrawal(withdrawal: SignedOrder): Promise<Withdrawal> {
    const w = await this.request("POST", "/v1/withdrawals", withdrawalSchema, { body: { withdrawal } });
    // Its id is burned: later ids of the allocator exceed it.
    this.allocator?.observe(withdrawal.order.orderId);
    return w;
  }

  // --- orders ----------------------------------------------------------------------------------

  /**
   * The client's order-id allocator, sized by the venue's profile. It starts at the venue's
   * `nextOrderId` for this account, asked once per client (concurrent first callers share the
   * request), then counts up; a refusal that shows it stale resyncs it (`placeOrder`).
   */
  async orderIds(): Promise<OrderIdAllocator> {
    if (this.allocator !== null) return this.allocator;
    this.allocatorPending ??= Promise.all([this.profile(), this.nextOrderId()])
      .then(([profile, next]) => new OrderIdAllocator(profile.orderDepth, next))
      .finally(() => {
        this.allocatorPending = null;
      });
    const allocator = await this.allocatorPending;
    this.allocator ??= allocator;
    return this.allocator;
  }

  /**
   * After a refusal that shows the id bookkeeping stale, resyncs it and says whether a retry with
   * a fresh id may succeed: `ORDER_SLOT_BUSY` (an order rests in the slot we picked: reread the
   * open orders) or `DUPLICATE_ORDER_ID` (another client of the account used the id: count on
   * from the venue's `nextOrderId`). Either refusal changed nothing at the venue.
   */
  private async resyncAfter(e: unknown): Promise<boolean> {
    if (isCode(e, "ORDER_SLOT_BUSY")) {
      await this.openOrders();
      return true;
    }
    if (isCode(e, "DUPLICATE_ORDER_ID")) {
      await this.resyncOrderIds();
      return true;
    }
    return false;
  }

  /** Moves the allocator up to the venue's `nextOrderId` (ids another client of the account used). */
  private async resyncOrderIds(): Promise<void> {
    const allocator = await this.orderIds();
    allocator.observe((await this.nextOrderId()) - 1n);
  }

  /**
   * Signs a request with the trading key: a fresh order id unless given; unless `expiry` is
   * given, it expires after `immediateTtlSeconds` (IOC, FOK, market) or `orderTtlSeconds` (GTC).
   */
  async signOrder(r: OrderRequest): Promise<SignedOrder> {
    const orderId = await this.allocateOrderId(r.orderId);
    const immediate = (r.timeInForce ?? "GTC") !== "GTC";
    const expiry =
      r.expiry ??
      BigInt(Math.floor(this.clock() / 1000)) +
        (immediate
          ? (this.options.immediateTtlSeconds ?? DEFAULT_IMMEDIATE_TTL_SECONDS)
          : (this.options.orderTtlSeconds ?? DEFAULT_ORDER_TTL_SECONDS));
    return this.key.signOrder(buildOrder(this.accountId, r, orderId, expiry), await this.domain());
  }

  /**
   * Makes later REST orders join the cancel-on-disconnect group of a live WebSocket connection of
   * this account (`TesseraStream` calls it with its `connectionId`; null stops).
   */
  useCancelOnDisconnect(connectionId: string | null): void {
    this.cancelOnDisconnect = connectionId;
  }

  /** `given` (recorded with the allocator once accepted), else a fresh id in a slot with no open order of ours. */
  private async allocateOrderId(given: bigint | undefined): Promise<bigint> {
    const allocator = await this.orderIds();
    // A given id is recorded once the venue accepts it (`track`): a refused one (an id out of its
    // slot's window, ORDER_ID_WINDOW) must not move the allocator.
    if (given !== undefined) return given;
    if (this.busy.size >= allocator.slotCount) await this.openOrders();
    return allocator.next(new Set(this.busy.keys()));
  }

  /** `given`, else now + the order lifetime: unix seconds. */
  private expiryOf(given: bigint | undefined): bigint {
    return (
      given ?? BigInt(Math.floor(this.clock() / 1000)) + (this.options.orderTtlSeconds ?? DEFAULT_ORDER_TTL_SECONDS)
    );
  }

  /**
   * `POST /v1/orders`: signs and places an order. Resolves with the venue's result (resting,
   * filled or cancelled with `stopCode`); throws `TesseraApiError` when it is refused.
   */
  async placeOrder(r: OrderRequest): Promise<PlaceResult> {
    try {
      return await this.placeSigned(await this.signOrder(r), r.clientOrderId);
    } catch (e) {
      // Our id bookkeeping was stale (an order filled or cancelled elsewhere, or another client of
      // the account used the id): resync once and retry with a fresh id.
      if (r.orderId !== undefined || !(await this.resyncAfter(e))) throw e;
      return this.placeSigned(await this.signOrder(r), r.clientOrderId);
    }
  }

  /** `POST /v1/orders` with an order signed elsewhere. */
  async placeSigned(signed: SignedOrder, clientOrderId?: string): Promise<PlaceResult> {
    const group = this.cancelOnDisconnect;
    const result = await this.request("POST", "/v1/orders", placeResultSchema, {
      body: {
        order: signed,
        ...(clientOrderId === undefined ? {} : { clientOrderId }),
        ...(group === null ? {} : { cancelOnDisconnect: group }),
      },
    });
    this.track(result);
    return result;
  }

  /** `DELETE /v1/orders/:orderId`. Throws `ORDER_NOT_FOUND` when it is not open. */
  async cancelOrder(orderId: bigint): Promise<CancelledOrder[]> {
    const r = await this.request("DELETE", `/v1/orders/${orderId}`, cancelResultSchema, { auth: "session" });
    this.untrack(r.cancelled);
    return r.cancelled;
  }

  /** `DELETE /v1/orders/by-client-id/:clientOrderId`. */
  async cancelByClientId(clientOrderId: string): Promise<CancelledOrder[]> {
    const r = await this.request(
      "DELETE",
      `/v1/orders/by-client-id/${encodeURIComponent(clientOrderId)}`,
      cancelResultSchema,
      {
        auth: "session",
      },
    );
    this.untrack(r.cancelled);
    return r.cancelled;
  }

  /** `POST /v1/orders/cancel-all`: every open order, or those of one instrument. */
  async cancelAll(instrument?: InstrumentRef): Promise<CancelledOrder[]> {
    const r = await this.request("POST", "/v1/orders/cancel-all", cancelResultSchema, {
      auth: "session",
      body: instrument === undefined ? {} : { instrument: refOf(instrument) },
    });
    this.untrack(r.cancelled);
    return r.cancelled;
  }

  /**
   * `POST /v1/orders/:orderId/replace`: cancels `oldOrderId` and places the new order in one
   * step. The new order may reuse the old one's slot, so its id only has to be fresh.
   */
  async replaceOrder(oldOrderId: bigint, r: OrderRequest): Promise<ReplaceResult> {
    const allocator = await this.orderIds();
    const oldSlot = allocator.slotOf(oldOrderId);
    const busy = new Set([...this.busy.keys()].filter((s) => s !== oldSlot));
    const signed = await this.signOrder({ ...r, orderId: r.orderId ?? allocator.next(busy) });
    const group = this.cancelOnDisconnect;
    const result = await this.request("POST", `/v1/orders/${oldOrderId}/replace`, replaceResultSchema, {
      auth: "session",
      body: {
        order: signed,
        ...(r.clientOrderId === undefined ? {} : { clientOrderId: r.clientOrderId }),
        ...(group === null ? {} : { cancelOnDisconnect: group }),
      },
    });
    this.untrack([result.replaced]);
    this.track(result.order);
    return result;
  }

  /**
   * `POST /v1/orders/batch`: signs and places up to 50 orders in one request. Each gets its own
   * entry, in order: `{ok: true, result}` or `{ok: false, code, status, message}`.
   */
  async placeOrders(requests: readonly OrderRequest[]): Promise<PlaceBatchItem[]> {
    if (requests.length === 0 || requests.length > MAX_BATCH)
      throw new TesseraSdkError(`a batch holds 1 to ${MAX_BATCH} orders, got ${requests.length}`);
    const orders = [];
    const ids = new Set<bigint>();
    for (const r of requests) {
      // Fresh ids in distinct free slots: mark each allocated slot busy for the next one.
      const signed = await this.signOrder(r);
      const slot = (await this.orderIds()).slotOf(signed.order.orderId);
      if (!this.busy.has(slot)) {
        this.busy.set(slot, signed.order.orderId);
        ids.add(signed.order.orderId);
      }
      orders.push({ order: signed, ...(r.clientOrderId === undefined ? {} : { clientOrderId: r.clientOrderId }) });
    }
    const group = this.cancelOnDisconnect;
    let reply;
    try {
      reply = await this.request("POST", "/v1/orders/batch", placeBatchResultSchema, {
        body: { orders, ...(group === null ? {} : { cancelOnDisconnect: group }) },
      });
    } finally {
      // Provisional reservations are replaced by what the venue says below.
      const allocator = await this.orderIds();
      for (const id of ids) if (this.busy.get(allocator.slotOf(id)) === id) this.busy.delete(allocator.slotOf(id));
    }
    for (const item of reply.results) if (item.ok) this.track(item.result);
    // Another client of the account used some of our ids: the next batch counts on from the
    // venue's next id (a batch is not retried: its other orders were placed).
    if (
      reply.results.some(
        (item, i) => !item.ok && item.code === "DUPLICATE_ORDER_ID" && requests[i]!.orderId === undefined,
      )
    )
      await this.resyncOrderIds();
    return reply.results;
  }

  /** `POST /v1/orders/cancel-batch`: cancels up to 50 orders by id and/or client id, each with its result. */
  async cancelOrders(
    ids: { orderIds?: readonly bigint[]; clientOrderIds?: readonly string[] } | readonly bigint[],
  ): Promise<CancelBatchItem[]> {
    const body = Array.isArray(ids)
      ? { orderIds: ids as readonly bigint[], clientOrderIds: [] }
      : {
          orderIds: (ids as { orderIds?: readonly bigint[] }).orderIds ?? [],
          clientOrderIds: (ids as { clientOrderIds?: readonly string[] }).clientOrderIds ?? [],
        };
    const reply = await this.request("POST", "/v1/orders/cancel-batch", cancelBatchResultSchema, {
      auth: "session",
      body,
    });
    for (const item of reply.results) if (item.ok) this.untrack(item.cancelled);
    return reply.results;
  }

  /**
   * `POST /v1/orders/:orderId/amend`: reduces an open order's total size to `size` (filled
   * included) in place; it keeps its time priority. Raising the size or moving the price is a
   * `replaceOrder`.
   */
  async amendOrder(orderId: bigint, size: bigint): Promise<OpenOrder> {
    const r = await this.request("POST", `/v1/orders/${orderId}/amend`, z.object({ order: openOrderSchema }), {
      auth: "session",
      body: { size },
    });
    return r.order;
  }

  /**
   * `POST /v1/orders/schedule-cancel`: the dead-man switch. Unless called again within
   * `afterMs` (1,000 to 600,000), the venue cancels every open order of the account; 0 disarms.
   * Resolves with the time it will fire (unix ms) or null.
   */
  async scheduleCancel(afterMs: number): Promise<bigint | null> {
    const r = await this.request("POST", "/v1/orders/schedule-cancel", scheduleCancelResultSchema, {
      auth: "session",
      body: { afterMs },
    });
    return r.cancelAt;
  }

  /** `GET /v1/orders/schedule-cancel`: when the account's dead-man switch fires (unix ms), or null. */
  async scheduledCancel(): Promise<bigint | null> {
    return (await this.request("GET", "/v1/orders/schedule-cancel", scheduleCancelResultSchema, { auth: "session" }))
      .cancelAt;
  }

  /**
   * `POST /v1/mmp`: market-maker protection in an underlying. When the account's orders there
   * fill `maxQuantity` (1e-4 units) or `maxCount` times within `windowMs`, or the net delta of
   * those fills reaches `maxDelta` either way (1e-4 units of the underlying; a perp counts 1 per
   * unit, an option the bound of its delta: call +1, put −1), the venue cancels them and refuses
   * new GTC orders there (`MMP_FROZEN`) until `resetMmp`. `maxQuantity` 0 removes it; `maxDelta`
   * absent or 0 sets no delta limit.
   */
  async setMmp(p: {
    underlying: number;
    windowMs: number;
    maxQuantity: bigint;
    maxCount: number;
    maxDelta?: bigint;
  }): Promise<MmpEntry[]> {
    return (await this.request("POST", "/v1/mmp", mmpListSchema, { auth: "session", body: p })).mmp;
  }

  /** `POST /v1/mmp/reset`: unfreezes the account's quotes in an underlying. */
  async resetMmp(underlying: number): Promise<MmpEntry[]> {
    return (await this.request("POST", "/v1/mmp/reset", mmpListSchema, { auth: "session", body: { underlying } })).mmp;
  }

  /** `GET /v1/mmp`: the account's protection per underlying (limits, window use, frozen). */
  async mmp(): Promise<MmpEntry[]> {
    return (await this.request("GET", "/v1/mmp", mmpListSchema, { auth: "session" })).mmp;
  }

  /** `GET /v1/ratelimits`: the budgets of this client's IP and (with a key) of its account. */
  rateLimits(): Promise<RateLimits> {
    return this.request(
      "GET",
      "/v1/ratelimits",
      rateLimitsSchema,
      this.options.key === undefined ? {} : { auth: "session" },
    );
  }

  /** Updates the slot bookkeeping from a stream `fill` or `orders` message of this account. */
  observeOrders(update: { placed: PlaceResult | null; cancelled: readonly CancelledOrder[] }): void {
    if (update.placed !== null) this.track(update.placed);
    this.untrack(update.cancelled);
  }

  private track(result: PlaceResult): void {
    const allocator = this.allocator;
    if (allocator === null) return;
    // Accepted, so burned: later ids exceed it (an id given by the caller, or from another client).
    if (result.accountId === this.options.accountId) allocator.observe(result.orderId);
    if (result.status === "resting") this.busy.set(allocator.slotOf(result.orderId), result.orderId);
    this.untrack(result.cancelled);
  }

  private untrack(cancelled: readonly CancelledOrder[]): void {
    const allocator = this.allocator;
    if (allocator === null) return;
    for (const c of cancelled) {
      if (this.options.accountId !== c.accountId) continue;
      const slot = allocator.slotOf(c.orderId);
      if (this.busy.get(slot) === c.orderId) this.busy.delete(slot);
    }
  }

  // --- operator --------------------------------------------------------------------------------

  /** `POST /v1/admin/deposits` (operator): credits an L1 deposit, registering the key if new. */
  deposit(d: {
    accountId: bigint;
    owner: bigint;
    pkHash: bigint;
    amount: bigint;
  }): Promise<{ batch: bigint; slot: number }> {
    return this.request("POST", "/v1/admin/deposits", depositResultSchema, { auth: "admin", body: d });
  }

  /** `POST /v1/admin/oracle` (operator): new oracle prices in cents, index u−1 for underlying u. */
  async setOracle(prices: readonly bigint[]): Promise<bigint[]> {
    return (await this.request("POST", "/v1/admin/oracle", setOracleResultSchema, { auth: "admin", body: { prices } }))
      .prices;
  }

  /**
   * `POST /v1/admin/settlements` (operator, venues without L1): settles the expired series of
   * `underlying` expiring at `expiry` (unix seconds) at `price` (cents), the answer of feed round
   * `roundId` if given; resolves with the settlement record of every position it closed.
   */
  async settle(s: { underlying: number; expiry: bigint; price: bigint; roundId?: bigint }): Promise<Settlement[]> {
    return (
      await this.request("POST", "/v1/admin/settlements", z.object({ settled: z.array(settlementSchema) }), {
        auth: "admin",
        body: s,
      })
    ).settled;
  }

  /** `POST /v1/admin/close-batch` (operator): closes the open batch; its number or null. */
  async closeBatch(): Promise<bigint | null> {
    return (await this.request("POST", "/v1/admin/close-batch", closeBatchResultSchema, { auth: "admin" })).batch;
  }
}

function isCode(e: unknown, code: string): e is TesseraApiError {
  return e instanceof TesseraApiError && e.code === code;
}

function isUnauthorized(e: unknown): boolean {
  return isCode(e, "UNAUTHORIZED");
}
