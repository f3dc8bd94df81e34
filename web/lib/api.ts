/**
 * The sequencer's REST API (sequencer/intake/routes.ts; reference docs/api.md), behind one module:
 * every request the app makes and every response shape it relies on is here, validated with
 * zod at the edge, so the rest of the app works with typed bigints only. Integers cross JSON
 * as decimal strings; event times arrive in unix milliseconds and become unix seconds here.
 *
 * Private reads and cancels need a session: the trading key signs a one-time challenge
 * (protocol/signing.ts `sessionMessage`) and the venue returns a short-lived bearer token.
 */
import { z } from "zod";
import { sessionMessage } from "../../protocol/signing.ts";
import { marketDataBaseUrl, nextOrderIdPath } from "../../sdk/endpoints.ts";
import { Side } from "../../protocol/types.ts";
import type { PublicKey, SideCode, Signature, SignedOrder } from "../../protocol/types.ts";

/** A request the sequencer refused or could not answer; `code` is the API's stable code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

// ---------------------------------------------------------------- primitives

const int = z
  .union([z.string().regex(/^-?\d+$/), z.number().int()])
  .transform((v) => BigInt(v))
  .describe("an integer as a decimal string");
/** A small count or number (batch, slot, journal length): a decimal string or a JSON number. */
const count = z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]).transform((v) => Number(v));
/** An event time: unix milliseconds on the wire, unix seconds in the app. */
const timeMs = int.transform((ms) => ms / 1000n);
const sideName = z.enum(["buy", "sell"]).transform((s): SideCode => (s === "buy" ? Side.BUY : Side.SELL));

// ---------------------------------------------------------------- market data

export const INSTRUMENT_STATUSES = ["active", "expired", "settled"] as const;
export type InstrumentStatus = (typeof INSTRUMENT_STATUSES)[number];

const instrumentSchema = z.object({
  instrument: int,
  name: z.string(),
  kind: z.enum(["perp", "call", "put"]),
  underlying: z.number().int(),
  /** Cents; 0 for perps. */
  strike: int,
  /** Unix seconds; 0 for perps. */
  expiry: int,
  /** Every price is a multiple of this many cents. */
  tickSize: int,
  /** Every size is a multiple of this many 1e-4 units. */
  lotSize: int,
  /** Smallest order size, 1e-4 units. */
  minSize: int,
  /** Smallest order notional (size × price), collateral units of 1e-6 USD; 0 when none. */
  minNotional: int.default(0n),
  /** `active`, `expired` (an option past expiry, awaiting settlement) or `settled`. */
  status: z.enum(INSTRUMENT_STATUSES),
  /** Cents: the price a settled option series was settled at; null until then. */
  settlementPrice: int.nullable(),
});
export type Instrument = z.infer<typeof instrumentSchema>;

const tickerSchema = z.object({
  instrument: int,
  name: z.string(),
  bid: int.nullable(),
  ask: int.nullable(),
  lastPrice: int.nullable(),
  /** Cumulative traded size, 1e-4 units. */
  volume: int,
  trades: count,
  /** Oracle price of the underlying, cents. */
  indexPrice: int,
  /** Perps: the index; options: intrinsic value at the index. Cents. */
  markPrice: int,
});
export type Ticker = z.infer<typeof tickerSchema>;

const oracleSchema = z.object({
  underlyings: z.array(
    z.object({
      underlying: z.number().int(),
      symbol: z.string(),
      indexPrice: int,
      markPrice: int,
      /** Cents per unit, signed (docs/protocol.md §6.5). */
      fundingIndex: int,
      /** Unix seconds. */
      lastFundingTime: int,
    }),
  ),
});
export type OracleState = z.infer<typeof oracleSchema>;

const fundingSchema = z.object({
  interval: int,
  underlyings: z.array(
    z.object({ underlying: z.number().int(), fundingIndex: int, lastFundingTime: int, nextFundingTime: int }),
  ),
});
export type FundingState = z.infer<typeof fundingSchema>;

const bookLevel = z.object({ price: int, size: int, orders: count });
const bookSchema = z.object({ instrument: int, seq: int, bids: z.array(bookLevel), asks: z.array(bookLevel) });
export type Book = z.infer<typeof bookSchema>;

const fillSchema = z.object({
  tradeId: z.union([z.string(), z.number()]).transform(String),
  instrument: int,
  name: z.string(),
  price: int,
  size: int,
  takerSide: sideName,
  maker: z.object({ accountId: int, orderId: int }),
  taker: z.object({ accountId: int, orderId: int }),
  /** The batch that carries the fill. */
  batch: count,
  slot: count,
  time: timeMs,
  /** Account fills only: open, closed, proving, proved, submitted, failed. */
  proofStatus: z.string().optional(),
});
/** A trade (public) or one of the account's fills. */
export type Fill = z.infer<typeof fillSchema>;

/** The venue's health gate (docs/api.md "Health gate", issue 14 F14, F15). */
const healthSchema = z.object({
  mode: z.enum(["normal", "price_stale", "cancel_only", "halted"]),
  code: z.string().nullable(),
  reasons: z.array(z.string()),
  staleFeeds: z.array(z.object({ underlying: z.number().int(), roundId: int, updatedAt: int, ageSeconds: int })),
  backlog: z.object({ batches: z.number().int(), unproved: z.number().int() }),
  failedBatch: z.object({ batch: int, reason: z.string() }).nullable(),
});
export type VenueHealth = z.infer<typeof healthSchema>;

/**
 * The proving pipeline (docs/api.md "Proving pipeline", issue 18): how far proving trails the
 * book, the proof queue and each prover.
 */
const pipelineSchema = z.object({
  backend: z.string(),
  openBatch: count,
  provedThrough: count,
  unprovedBatches: count,
  /** Milliseconds since the oldest unproved batch closed (0: none). */
  provingLagMs: count,
  queue: z
    .object({ waiting: count, active: count, oldestJobAgeMs: count.nullable(), requeued: count, lost: count })
    .nullable(),
  proofsPerMinute: z.number().nonnegative(),
  proofs: z.object({ accepted: count, rejected: count, discarded: count }).nullable(),
  idleCapacity: z.boolean().nullable(),
  provers: z.array(
    z.object({
      id: z.string(),
      host: z.string(),
      state: z.string(),
      job: z.string().nullable(),
      batch: count.nullable(),
      forMs: count,
      lastSeenMs: count,
      proved: count,
      failed: count,
    }),
  ),
});
export type ProvingPipeline = z.infer<typeof pipelineSchema>;

const statusSchema = z.object({
  profile: z.string(),
  domain: int,
  openBatch: count,
  openSince: timeMs.nullable().optional(),
  journal: count,
  stateRoot: int,
  unprovedBatches: z.array(count),
  /** Absent from venues older than the health gate. */
  health: healthSchema.optional(),
  /** Absent from venues older than the prover fleet. */
  pipeline: pipelineSchema.optional(),
  /**
   * The market-data endpoint (public channels off the venue's matching thread): its port on
   * the venue's host, or the URL the deployment advertises. Null: none runs; absent: an older venue.
   */
  marketData: z
    .object({ port: z.number().int().min(0).max(65535), url: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export type VenueStatus = z.infer<typeof statusSchema>;

export const BATCH_STATUSES = ["open", "closed", "proving", "proved", "submitted", "failed"] as const;
const batchStatusSchema = z.object({ number: count, status: z.enum(BATCH_STATUSES) });
export type BatchStatus = z.infer<typeof batchStatusSchema>;

// ---------------------------------------------------------------- account (session)

const positionSchema = z.object({
  instrument: int,
  name: z.string(),
  size: int,
  cost: int,
  mark: int,
  pnl: int,
  liquidationPrice: int.nullable(),
});
export type PositionView = z.infer<typeof positionSchema>;

const accountSchema = z.object({
  accountId: int,
  collateral: int,
  equity: int,
  initialMargin: int,
  maintenanceMargin: int,
  freeCollateral: int,
  marginUsageBps: int.nullable(),
  positions: z.array(positionSchema),
  openOrders: count,
});
export type AccountView = z.infer<typeof accountSchema>;

const openOrderSchema = z.object({
  orderId: int,
  clientOrderId: z.string().nullable(),
  instrument: int,
  name: z.string(),
  side: sideName,
  price: int,
  size: int,
  filled: int,
  remaining: int,
  flags: int,
  expiry: int,
  acceptedAt: timeMs,
});
export type OpenOrder = z.infer<typeof openOrderSchema>;

const placeResultSchema = z.object({
  orderId: int,
  status: z.string(),
  filled: int,
  remaining: int,
  stopCode: z.string().nullable(),
  fills: z.array(fillSchema),
});
export type PlaceResult = z.infer<typeof placeResultSchema>;

export const WITHDRAWAL_STATUSES = ["pending", "in_batch", "proven", "claimable", "failed"] as const;

/**
 * A withdrawal of the account (docs/api.md "Withdrawals"): an L2 withdrawal it signed
 * (`kind: "withdrawal"`) or a forced withdrawal from the L1 queue (`kind: "forced"`), with the
 * progress of the batch that carries it.
 */
const withdrawalSchema = z.object({
  kind: z.enum(["withdrawal", "forced"]),
  accountId: int,
  /** USDC base units asked for. */
  requested: int,
  /** USDC base units paid to the L1 owner once verified; 0 when refused. */
  served: int,
  outcome: z.enum(["served", "refused"]),
  /** The withdrawal message's order id; null for a forced withdrawal. */
  orderId: int.nullable(),
  batch: count,
  slot: count,
  /** When it was applied. */
  time: timeMs,
  status: z.enum(WITHDRAWAL_STATUSES),
  /** The L1 `submitBatch` transaction once `claimable`, else null. */
  l1TxHash: z.string().nullable(),
  /** While `pending`: when its batch closes by age; else null. */
  estimatedBatchCloseAt: timeMs.nullable(),
});
export type Withdrawal = z.infer<typeof withdrawalSchema>;

/**
 * One of the account's option positions closed by its series' settlement (docs/api.md
 * "Option expiry"), as the venue recorded it: `value = size × intrinsic(price)` and
 * `pnl = value − cost`, what settling added to collateral.
 */
const settlementSchema = z.object({
  accountId: int,
  instrument: int,
  name: z.string(),
  /** Signed, 1e-4 contracts. */
  size: int,
  /** The series' settlement price, cents. */
  price: int,
  /** The feed round that gave the price (0: settled by the operator without L1). */
  roundId: int,
  /** USDC base units, signed. */
  value: int,
  /** The position's cost just before settlement, USDC base units, signed. */
  cost: int,
  /** Realised PnL, USDC base units, signed. */
  pnl: int,
  batch: count,
  slot: count,
  /** When the series settled. */
  time: timeMs,
});
export type Settlement = z.infer<typeof settlementSchema>;

/** `GET /v1/accounts/{accountId}/nextOrderId`: the order id the account should sign next. */
const nextOrderIdSchema = z.object({ accountId: int, nextOrderId: int });

const challengeSchema = z.object({ challenge: int, expiresAt: count });
const sessionSchema = z.object({ token: z.string(), accountId: int, expiresAt: count });
export type ApiSession = z.infer<typeof sessionSchema>;

// ---------------------------------------------------------------- client

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

const errorBodySchema = z.object({ code: z.string(), message: z.string() });

/** The app's client of one sequencer. */
export class SequencerClient {
  /** The newest journal seq the venue answered with (`X-Tessera-Seq`). */
  private seq = 0n;
  /** Where account reads go (the market-data endpoint, or the venue); null: ask `/v1/status`. */
  private reads: Promise<string> | null = null;

  constructor(readonly baseUrl: string) {}

  private async request<T>(
    path: string,
    schema: z.ZodType<T>,
    init: { method?: string; body?: unknown; token?: string; minSeq?: bigint } = {},
    base: string = this.baseUrl,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    if (init.minSeq !== undefined) headers["x-tessera-min-seq"] = init.minSeq.toString();
    let response: Response;
    try {
      response = await fetch(new URL(path, base), {
        method: init.method ?? "GET",
        headers,
        ...(init.body === undefined ? {} : { body: toJson(init.body) }),
      });
    } catch {
      throw new ApiError("UNREACHABLE", 0, `The exchange server at ${base} is not responding.`);
    }
    const seq = response.headers.get("x-tessera-seq");
    if (base === this.baseUrl && seq !== null && /^\d{1,19}$/.test(seq) && BigInt(seq) > this.seq)
      this.seq = BigInt(seq);
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = errorBodySchema.safeParse(body);
      throw error.success
        ? new ApiError(error.data.code, response.status, error.data.message)
        : new ApiError("HTTP_ERROR", response.status, `The exchange server answered ${response.status}.`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError("BAD_RESPONSE", response.status, `Unexpected answer from the exchange server for ${path}.`);
    }
    return parsed.data;
  }

  /** Listed instruments; with `status`, only those in that state (e.g. settled option series). */
  instruments(status?: InstrumentStatus): Promise<Instrument[]> {
    return this.request(
      status === undefined ? "/v1/instruments" : `/v1/instruments?status=${status}`,
      z.object({ instruments: z.array(instrumentSchema) }),
    ).then((r) => r.instruments);
  }

  tickers(): Promise<Ticker[]> {
    return this.request("/v1/tickers", z.object({ tickers: z.array(tickerSchema) })).then((r) => r.tickers);
  }

  oracle(): Promise<OracleState> {
    return this.request("/v1/oracle", oracleSchema);
  }

  funding(): Promise<FundingState> {
    return this.request("/v1/funding", fundingSchema);
  }

  status(): Promise<VenueStatus> {
    return this.request("/v1/status", statusSchema);
  }

  /**
   * The base URL of the public market data: the market-data endpoint `/v1/status` names (its
   * advertised URL, else this sequencer's host at its port), or this sequencer when none runs.
   */
  async marketDataUrl(): Promise<string> {
    return marketDataBaseUrl(this.baseUrl, (await this.status()).marketData);
  }

  batchStatus(number: number): Promise<BatchStatus> {
    return this.request(`/v1/batches/${number}`, batchStatusSchema);
  }

  book(instrument: bigint, depth = 50): Promise<Book> {
    return this.request(`/v1/instruments/${instrument}/book?depth=${depth}`, bookSchema);
  }

  trades(instrument: bigint, limit = 100): Promise<Fill[]> {
    return this.request(
      `/v1/instruments/${instrument}/trades?limit=${limit}`,
      z.object({ trades: z.array(fillSchema) }),
    ).then((r) => r.trades);
  }

  placeOrder(signed: SignedOrder, clientOrderId?: string): Promise<PlaceResult> {
    return this.request("/v1/orders", placeResultSchema, {
      method: "POST",
      body: clientOrderId === undefined ? { order: signed } : { order: signed, clientOrderId },
    });
  }

  cancelOrder(token: string, orderId: bigint): Promise<void> {
    return this.request(`/v1/orders/${orderId}`, z.unknown(), { method: "DELETE", token }).then(() => undefined);
  }

  cancelAll(token: string, instrument?: bigint): Promise<void> {
    return this.request("/v1/orders/cancel-all", z.unknown(), {
      method: "POST",
      token,
      body: instrument === undefined ? {} : { instrument: instrument.toString() },
    }).then(() => undefined);
  }

  /**
   * An account read the market-data endpoint also serves (docs/api.md "Market-data endpoint"):
   * a session read, or the public next order id (no `token`). Sent there, off the venue's
   * matching thread, with the newest seq the venue answered this app with: the endpoint answers
   * once its copy includes it, so the app reads its own orders, fills and order ids. The venue
   * answers instead when the endpoint is absent, unreachable or behind.
   */
  private async accountRead<T>(path: string, schema: z.ZodType<T>, token?: string): Promise<T> {
    this.reads ??= this.marketDataUrl().catch(() => {
      this.reads = null;
      return this.baseUrl;
    });
    const base = await this.reads;
    if (base === this.baseUrl) return this.request(path, schema, { token });
    try {
      return await this.request(path, schema, { token, minSeq: this.seq }, base);
    } catch (e) {
      if (!(e instanceof ApiError) || !["UNREACHABLE", "UNAVAILABLE", "WRONG_ENDPOINT", "NOT_FOUND"].includes(e.code))
        throw e;
      this.reads = null;
      return this.request(path, schema, { token });
    }
  }

  account(token: string): Promise<AccountView> {
    return this.accountRead("/v1/account", accountSchema, token);
  }

  openOrders(token: string): Promise<OpenOrder[]> {
    return this.accountRead("/v1/account/orders", z.object({ orders: z.array(openOrderSchema) }), token).then(
      (r) => r.orders,
    );
  }

  fills(token: string, limit = 100): Promise<Fill[]> {
    return this.accountRead(`/v1/account/fills?limit=${limit}`, z.object({ fills: z.array(fillSchema) }), token).then(
      (r) => r.fills,
    );
  }

  /** The account's option positions closed by settlement, newest first. */
  settlements(token: string, limit = 100): Promise<Settlement[]> {
    return this.accountRead(
      `/v1/account/settlements?limit=${limit}`,
      z.object({ settlements: z.array(settlementSchema) }),
      token,
    ).then((r) => r.settlements);
  }

  /**
   * The order id the account should sign next: one above the highest the venue has seen from it
   * (orders of any outcome, withdrawal messages), 1 when none (docs/api.md "Choosing order ids").
   * Read with the account's session `token`; asked right before signing (web/lib/orderIds.ts
   * `allocateOrderId`).
   */
  nextOrderId(accountId: bigint, token: string): Promise<bigint> {
    return this.accountRead(nextOrderIdPath(accountId), nextOrderIdSchema, token).then((r) => r.nextOrderId);
  }

  /** Posts a signed withdrawal message (protocol/signing.ts `withdrawalOrder`, §5.2). */
  withdraw(signed: SignedOrder): Promise<Withdrawal> {
    return this.request("/v1/withdrawals", withdrawalSchema, { method: "POST", body: { withdrawal: signed } });
  }

  /** The account's withdrawals and forced withdrawals, newest first. */
  withdrawals(token: string, limit = 100): Promise<Withdrawal[]> {
    return this.request(
      `/v1/account/withdrawals?limit=${limit}`,
      z.object({ withdrawals: z.array(withdrawalSchema) }),
      { token },
    ).then((r) => r.withdrawals);
  }

  /** Opens a session: asks a challenge, signs it with `signMessage`, trades it for a token. */
  async openSession(
    accountId: bigint,
    domain: bigint,
    publicKey: PublicKey,
    signMessage: (message: bigint) => Signature,
  ): Promise<ApiSession> {
    const { challenge } = await this.request("/v1/auth/challenge", challengeSchema, {
      method: "POST",
      body: { accountId },
    });
    const signature = signMessage(sessionMessage(domain, accountId, challenge));
    return this.request("/v1/auth/session", sessionSchema, {
      method: "POST",
      body: { accountId, challenge, publicKey, signature },
    });
  }
}

/** Live message payloads (sequencer/intake/ws.ts), parsed with the same schemas as REST. */
export const livePayload = {
  book: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("book_snapshot"),
      instrument: int,
      seq: int,
      bids: z.array(bookLevel),
      asks: z.array(bookLevel),
    }),
    z.object({
      type: z.literal("book"),
      instrument: int,
      seq: int,
      /** Changed levels: `size` is the level's new total, 0 = removed. */
      changes: z.array(z.object({ side: z.union([z.literal(0), z.literal(1)]), price: int, size: int })),
    }),
  ]),
  trade: fillSchema,
  /** The live part of a ticker; the rest comes from REST. */
  ticker: z.object({
    instrument: int,
    bid: int.nullable(),
    ask: int.nullable(),
    lastPrice: int.nullable(),
    volume: int,
  }),
  /** A withdrawal of the account, on its private stream (the fields of the REST list). */
  withdrawal: withdrawalSchema.extend({ type: z.literal("withdrawal") }),
  /** A position of the account closed by settlement, on its private stream (the fields of the REST list). */
  settlement: settlementSchema.extend({ type: z.literal("settlement") }),
} as const;
