/**
 * The SDK's one wire-type module: zod schemas of every reply and stream message of the venue's
 * REST and WebSocket API, decoding each decimal string into a bigint, and the JSON encoder of
 * requests. The server's reply shapes are in sequencer/intake/routes.ts (views) and ws.ts; the
 * SDK validates them here, at its edge, so the rest of the SDK works with typed values.
 *
 * Units (docs/protocol.md §1): prices, strikes and funding indices in cents; sizes in 1e-4
 * units; collateral, PnL and margins in USDC base units (1e-6); times in unix seconds except
 * where a field says milliseconds (`expiresAt`, `openSince`, fill `time`, `acceptedAt`).
 */
import { z } from "zod";

/** A signed decimal integer string as a bigint. */
const big = z
  .string()
  .regex(/^-?\d+$/, "expected a decimal integer string")
  .transform((s) => BigInt(s));
const side = z.enum(["buy", "sell"]);

export const marketSchema = z.object({
  instrument: big,
  name: z.string(),
  kind: z.enum(["perp", "call", "put"]),
  underlying: z.number().int(),
  /** Cents; 0 for perps. */
  strike: big,
  /** Unix seconds; 0 for perps. */
  expiry: big,
  /** Prices are multiples of this many cents. */
  tickSize: big,
  /** Sizes are multiples of this many 1e-4 units. */
  lotSize: big,
  minSize: big,
  /**
   * Smallest order notional, collateral units (1e-6 USD): size × the lowest price the order can
   * fill at (a buy's limit or the best ask when lower); 0 when the venue sets none.
   */
  minNotional: big.default(0n),
  /** `active`, `expired` (an option past expiry, awaiting settlement) or `settled`. */
  status: z.enum(["active", "expired", "settled"]),
  /** Cents; the settlement price of a settled option series, else null. */
  settlementPrice: big.nullable(),
});
export type Market = z.output<typeof marketSchema>;

export const fillSchema = z.object({
  tradeId: big,
  /** `liquidation`: the insurance fund (maker) took over the taker's position, order ids 0. */
  kind: z.enum(["trade", "liquidation"]),
  instrument: big,
  name: z.string(),
  price: big,
  size: big,
  takerSide: side,
  maker: z.object({ accountId: big, orderId: big }),
  taker: z.object({ accountId: big, orderId: big }),
  batch: big,
  slot: z.number().int(),
  /** Unix milliseconds. */
  time: big,
  /** Account fills only: open, closed, proving, proved, submitted or failed. */
  proofStatus: z.string().optional(),
});
export type Fill = z.output<typeof fillSchema>;

export const cancelledSchema = z.object({
  accountId: big,
  orderId: big,
  clientOrderId: z.string().nullable(),
  reason: z.string(),
  code: z.string().nullable(),
});
export type CancelledOrder = z.output<typeof cancelledSchema>;

export const placeResultSchema = z.object({
  accountId: big,
  orderId: big,
  clientOrderId: z.string().nullable(),
  instrument: big,
  status: z.enum(["resting", "filled", "cancelled"]),
  filled: big,
  remaining: big,
  /** Why the order stopped short: `IOC_UNFILLED` or a protocol code such as `MARGIN`. */
  stopCode: z.string().nullable(),
  fills: z.array(fillSchema),
  /** Makers purged while matching (self-trade prevention, makers a protocol rule refused). */
  cancelled: z.array(cancelledSchema),
});
export type PlaceResult = z.output<typeof placeResultSchema>;

export const replaceResultSchema = z.object({
  replaced: cancelledSchema,
  order: placeResultSchema,
  rejection: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type ReplaceResult = z.output<typeof replaceResultSchema>;

export const cancelResultSchema = z.object({ cancelled: z.array(cancelledSchema) });

/** A refused item of a batch. */
const itemErrorSchema = z.object({
  ok: z.literal(false),
  code: z.string(),
  status: z.number().int(),
  message: z.string(),
});

/** `POST /v1/orders/batch`: one entry per order, in request order. */
export const placeBatchResultSchema = z.object({
  results: z.array(
    z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), result: placeResultSchema }), itemErrorSchema]),
  ),
});
export type PlaceBatchItem = z.output<typeof placeBatchResultSchema>["results"][number];

/** `POST /v1/orders/cancel-batch`: one entry per order named (order ids, then client ids). */
export const cancelBatchResultSchema = z.object({
  results: z.array(
    z.intersection(
      z.object({ orderId: big.optional(), clientOrderId: z.string().optional() }),
      z.discriminatedUnion("ok", [
        z.object({ ok: z.literal(true), cancelled: z.array(cancelledSchema) }),
        itemErrorSchema,
      ]),
    ),
  ),
});
export type CancelBatchItem = z.output<typeof cancelBatchResultSchema>["results"][number];

/** One rate-limit budget (`GET /v1/ratelimits`). */
export const bucketSchema = z.object({
  bucket: z.string(),
  limit: z.number(),
  remaining: z.number(),
  resetMs: z.number(),
  ratePerSecond: z.number(),
});
export const rateLimitsSchema = z.object({
  ip: bucketSchema,
  auth: bucketSchema,
  account: z.object({ accountId: big, order: bucketSchema, cancel: bucketSchema, read: bucketSchema }).nullable(),
});
export type RateLimits = z.output<typeof rateLimitsSchema>;

/** Market-maker protection of one underlying (`GET /v1/mmp`). */
export const mmpEntrySchema = z.object({
  underlying: z.number().int(),
  windowMs: big,
  maxQuantity: big,
  maxCount: z.number().int(),
  /** |net delta| that trips it, 1e-4 units of the underlying; 0: no delta limit. */
  maxDelta: big,
  frozen: z.boolean(),
  filledInWindow: big,
  fillsInWindow: z.number().int(),
  /** Net signed delta of the window's fills, 1e-4 units (perps 1, calls +1, puts −1 per unit). */
  deltaInWindow: big,
});
export const mmpListSchema = z.object({ mmp: z.array(mmpEntrySchema) });
export type MmpEntry = z.output<typeof mmpEntrySchema>;

/** `POST /v1/orders/schedule-cancel`: when the dead-man switch fires (unix ms), null when disarmed. */
export const scheduleCancelResultSchema = z.object({ cancelAt: big.nullable() });

export const openOrderSchema = z.object({
  accountId: big,
  orderId: big,
  clientOrderId: z.string().nullable(),
  instrument: big,
  name: z.string(),
  side,
  price: big,
  size: big,
  filled: big,
  remaining: big,
  flags: big,
  expiry: big,
  /** Unix milliseconds. */
  acceptedAt: big,
});
export type OpenOrder = z.output<typeof openOrderSchema>;

const levelSchema = z.object({ price: big, size: big, orders: z.number().int() });
export type Level = z.output<typeof levelSchema>;

export const bookSnapshotSchema = z.object({
  instrument: big,
  seq: big,
  bids: z.array(levelSchema),
  asks: z.array(levelSchema),
});
export type BookSnapshot = z.output<typeof bookSnapshotSchema>;

const chainLegSchema = z.object({ instrument: big, name: z.string(), bid: big.nullable(), ask: big.nullable() });
export const optionChainSchema = z.object({
  underlying: z.number().int(),
  rows: z.array(
    z.object({ expiry: big, strike: big, call: chainLegSchema.nullable(), put: chainLegSchema.nullable() }),
  ),
});
export type OptionChain = z.output<typeof optionChainSchema>;

export const tickerSchema = z.object({
  instrument: big,
  name: z.string(),
  bid: big.nullable(),
  ask: big.nullable(),
  lastPrice: big.nullable(),
  volume: big,
  trades: big,
  indexPrice: big,
  markPrice: big,
});
export type Ticker = z.output<typeof tickerSchema>;

export const oracleSchema = z.object({
  underlyings: z.array(
    z.object({
      underlying: z.number().int(),
      symbol: z.string(),
      indexPrice: big,
      markPrice: big,
      fundingIndex: big,
      lastFundingTime: big,
    }),
  ),
});
export type OracleUnderlying = z.output<typeof oracleSchema>["underlyings"][number];

export const fundingSchema = z.object({
  interval: big,
  underlyings: z.array(
    z.object({
      underlying: z.number().int(),
      symbol: z.string(),
      fundingIndex: big,
      lastFundingTime: big,
      nextFundingTime: big,
      /** The last funding delta, cents per unit (positive: longs paid shorts); null before any. */
      lastDelta: big.nullable(),
      /** `lastDelta` in basis points of the oracle price then (rounded toward zero); null before any. */
      lastRateBps: big.nullable(),
    }),
  ),
});
export type Funding = z.output<typeof fundingSchema>;

/**
 * The venue's health gate (docs/api.md, "Health gate"): `normal`, `price_stale` (price-dependent
 * commands refused with `PRICE_STALE`), `cancel_only` (`CANCEL_ONLY`: the proof or L1 backlog passed
 * its first bound) or `halted` (`HALTED`), with the reasons in plain words.
 */
export const healthSchema = z.object({
  mode: z.enum(["normal", "price_stale", "cancel_only", "halted"]),
  code: z.enum(["PRICE_STALE", "CANCEL_ONLY", "HALTED"]).nullable(),
  reasons: z.array(z.string()),
  staleFeeds: z.array(z.object({ underlying: z.number().int(), roundId: big, updatedAt: big, ageSeconds: big })),
  backlog: z.object({
    batches: z.number().int(),
    unproved: z.number().int(),
    oldestBatch: big.nullable(),
    oldestAgeMs: big.nullable(),
  }),
  failedBatch: z.object({ batch: big, reason: z.string() }).nullable(),
});
export type VenueHealth = z.output<typeof healthSchema>;

/**
 * The proving pipeline (docs/api.md, "Proving pipeline"): how far proving trails the book (closed
 * batches not yet proved, and since when), the proof queue, proofs per minute and each prover.
 */
export const pipelineSchema = z.object({
  /** `none` (not proving), `embedded` (the venue's prover processes) or `queue` (a prover fleet). */
  backend: z.string(),
  openBatch: big,
  /** Every batch up to this one is proved (or on L1). */
  provedThrough: big,
  unprovedBatches: z.number().int(),
  /** Milliseconds since the oldest unproved batch closed (0: none). */
  provingLagMs: big,
  queue: z
    .object({
      waiting: z.number().int(),
      active: z.number().int(),
      oldestJobAgeMs: z.number().nullable(),
      requeued: z.number().int(),
      lost: z.number().int(),
    })
    .nullable(),
  proofsPerMinute: z.number(),
  proofs: z.object({ accepted: z.number().int(), rejected: z.number().int(), discarded: z.number().int() }).nullable(),
  /** A job given now would start at once (the venue then closes partial batches on age). */
  idleCapacity: z.boolean().nullable(),
  provers: z.array(
    z.object({
      id: z.string(),
      host: z.string(),
      /** `idle`, `proving` or `stopping`. */
      state: z.string(),
      job: z.string().nullable(),
      batch: big.nullable(),
      forMs: z.number(),
      lastSeenMs: z.number(),
      proved: z.number().int(),
      failed: z.number().int(),
    }),
  ),
});
export type ProvingPipeline = z.output<typeof pipelineSchema>;

export const statusSchema = z.object({
  profile: z.string(),
  domain: big,
  openBatch: big,
  /** Unix milliseconds, null when the open batch is empty. */
  openSince: big.nullable(),
  journal: big,
  stateRoot: big,
  unprovedBatches: z.array(big),
  /** Null while the venue runs; else why it stopped (a batch the circuit refuses) and what to do. */
  halt: z.object({ code: z.string(), batch: big.nullable(), reason: z.string() }).nullable(),
  health: healthSchema,
  /** Absent from venues older than the prover fleet (issue 18). */
  pipeline: pipelineSchema.optional(),
  /**
   * The insurance fund's capacity (docs/api.md, "Insurance fund capacity"): its accounts' free
   * position slots, and the instruments held by others that it holds none of, each needing one of
   * them. Orders that would open a new instrument are refused (NO_FUND_CAPACITY) while
   * `uncoveredInstruments ≥ freeSlots`. Absent from older venues.
   */
  insuranceFund: z.object({ freeSlots: z.number().int(), uncoveredInstruments: z.number().int() }).optional(),
  /**
   * The market-data endpoint (public channels and reads in a process of their own): its port
   * on the venue's host, and the public URL when the deployment advertises one. Null: the
   * venue runs none; absent: a venue older than it.
   */
  marketData: z
    .object({ port: z.number().int().min(0).max(65535), url: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export type VenueStatus = z.output<typeof statusSchema>;

export const batchStatusSchema = z.object({
  number: big,
  /** `open`, `closed`, `proving`, `proved`, `submitted` or `failed`. */
  status: z.string(),
  /** The L1 transaction hash once submitted, else the last error (empty when none). */
  detail: z.string(),
  /** The packed Groth16 proof (`uint256[8]`, protocol/proof.ts) once proved, else null. */
  proof: z.array(big).length(8).nullable(),
});
export type BatchStatus = z.output<typeof batchStatusSchema>;

export const batchSummarySchema = z.object({
  number: big,
  oldStateRoot: big,
  newStateRoot: big,
  /** The batch context's timestamp, unix seconds. */
  timestamp: big,
  /** Unix milliseconds. */
  openedAt: big,
  /** Unix milliseconds. */
  closedAt: big,
  /** Real (non-padding) transactions. */
  txCount: z.number().int(),
  /** Transactions per type name (`trade`, `deposit`, ..., padding `noop` included). */
  txTypes: z.record(z.string(), z.number().int()),
  /** `closed`, `proving`, `proved`, `submitted` or `failed`. */
  proofStatus: z.string(),
  l1TxHash: z.string().nullable(),
});
export type BatchSummary = z.output<typeof batchSummarySchema>;

export const batchPageSchema = z.object({
  batches: z.array(batchSummarySchema),
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: big.nullable(),
});
export type BatchPage = z.output<typeof batchPageSchema>;

/** A field element as snarkjs writes it: a decimal string (kept a string, snarkjs's input). */
const decimal = z.string().regex(/^\d+$/, "expected a decimal string");
const g1 = z.array(decimal).length(3);

/** A Groth16 proof in snarkjs JSON (`protocol/proof.ts` `unpackProof`). */
export const groth16ProofSchema = z.object({
  pi_a: g1,
  pi_b: z.array(z.array(decimal).length(2)).length(3),
  pi_c: g1,
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
});
export type Groth16Proof = z.output<typeof groth16ProofSchema>;

/** `GET /v1/batches/:number/proof`: arguments of `snarkjs.groth16.verify(vkey, publicSignals, proof)`. */
export const batchProofSchema = z.object({
  number: big,
  proof: groth16ProofSchema,
  /** The batch's public inputs (docs/protocol.md §8), decimal strings as snarkjs takes them. */
  publicSignals: z.array(decimal),
});
export type BatchProof = z.output<typeof batchProofSchema>;

/** The circuit's snarkjs verification key: its header checked, the curve points kept as sent. */
export const verificationKeySchema = z.looseObject({
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
  nPublic: z.number().int().nonnegative(),
});
export type VerificationKey = z.output<typeof verificationKeySchema>;

/**
 * Where a deposit or withdrawal's batch is: `pending` (open; `estimatedBatchCloseAt`),
 * `in_batch` (closed, being proved), `proven`, `failed`, and `verified` (deposits) or
 * `claimable` (withdrawals: the L1 owner can call `claim(owner)`).
 */
const progressFields = {
  l1TxHash: z.string().nullable(),
  /** Unix milliseconds, while `pending`; else null. */
  estimatedBatchCloseAt: big.nullable(),
};

export const withdrawalSchema = z.object({
  /** `withdrawal` (L2, signed) or `forced` (from the L1 priority queue). */
  kind: z.enum(["withdrawal", "forced"]),
  accountId: big,
  /** USDC base units asked for. */
  requested: big,
  /** USDC base units paid on L1 once verified (0 when refused). */
  served: big,
  outcome: z.enum(["served", "refused"]),
  /** The withdrawal message's order id; null for a forced withdrawal. */
  orderId: big.nullable(),
  batch: big,
  slot: z.number().int(),
  /** Unix milliseconds at which it was applied. */
  time: big,
  status: z.enum(["pending", "in_batch", "proven", "claimable", "failed"]),
  ...progressFields,
});
export type Withdrawal = z.output<typeof withdrawalSchema>;

/**
 * An option position closed by its series' settlement (docs/protocol.md §6.6), as the venue
 * recorded it: `value = size × intrinsic(price)`, `pnl = value − cost` (what settling added to
 * collateral).
 */
export const settlementSchema = z.object({
  accountId: big,
  instrument: big,
  name: z.string(),
  /** Signed, 1e-4 contracts. */
  size: big,
  /** The series' settlement price, cents. */
  price: big,
  /** The feed round that gave the price (0 when the operator settled without L1). */
  roundId: big,
  /** USDC base units, signed. */
  value: big,
  /** The position's cost just before settlement, USDC base units, signed. */
  cost: big,
  /** Realised PnL, USDC base units, signed. */
  pnl: big,
  batch: big,
  slot: z.number().int(),
  /** Unix milliseconds at which the series settled. */
  time: big,
});
export type Settlement = z.output<typeof settlementSchema>;

export const depositSchema = z.object({
  accountId: big,
  /** USDC base units. */
  amount: big,
  /** Its place in the L1 priority queue; null when the operator credited it without L1. */
  queueIndex: big.nullable(),
  batch: big,
  slot: z.number().int(),
  /** Unix milliseconds at which it was applied. */
  time: big,
  status: z.enum(["pending", "in_batch", "proven", "verified", "failed"]),
  ...progressFields,
});
export type Deposit = z.output<typeof depositSchema>;

export const accountSchema = z.object({
  accountId: big,
  collateral: big,
  equity: big,
  initialMargin: big,
  maintenanceMargin: big,
  freeCollateral: big,
  marginUsageBps: big.nullable(),
  positions: z.array(
    z.object({
      instrument: big,
      name: z.string(),
      size: big,
      cost: big,
      mark: big,
      pnl: big,
      liquidationPrice: big.nullable(),
    }),
  ),
  openOrders: z.number().int(),
});
export type AccountSummary = z.output<typeof accountSchema>;

export const challengeSchema = z.object({ challenge: big, expiresAt: z.number() });
export const sessionSchema = z.object({ token: z.string(), accountId: big, expiresAt: z.number() });
export type SessionToken = z.output<typeof sessionSchema>;

/** `GET /v1/accounts/:accountId/nextOrderId` (the account's session): the order id it should sign next. */
export const nextOrderIdSchema = z.object({ accountId: big, nextOrderId: big });

export const depositResultSchema = z.object({ batch: big, slot: z.number().int() });
export const setOracleResultSchema = z.object({ prices: z.array(big) });
export const closeBatchResultSchema = z.object({ batch: big.nullable() });

/** An error reply of the REST API and the `error` stream message. */
export const errorReplySchema = z.object({ code: z.string(), message: z.string() });

/** Server → client WebSocket messages (sequencer/intake/ws.ts). */
/** Per-connection number of a private message (from 1); absent from older venues. */
const privateSeq = z.number().int().positive().optional();

export const streamMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("subscribed"), channel: z.enum(["book", "trades", "ticker"]), instrument: big }),
  z.object({ type: z.literal("unsubscribed"), channel: z.enum(["book", "trades", "ticker"]), instrument: z.string() }),
  bookSnapshotSchema.extend({ type: z.literal("book_snapshot") }),
  z.object({
    type: z.literal("book"),
    instrument: big,
    seq: big,
    changes: z.array(z.object({ side: z.union([z.literal(0), z.literal(1)]), price: big, size: big })),
  }),
  z.object({
    type: z.literal("ticker"),
    instrument: big,
    bid: big.nullable(),
    ask: big.nullable(),
    lastPrice: big.nullable(),
    volume: big,
  }),
  fillSchema.extend({ type: z.literal("trade") }),
  fillSchema.extend({ type: z.literal("fill"), seq: privateSeq }),
  withdrawalSchema.extend({ type: z.literal("withdrawal"), seq: privateSeq }),
  settlementSchema.extend({ type: z.literal("settlement"), seq: privateSeq }),
  z.object({
    type: z.literal("orders"),
    placed: placeResultSchema.nullable(),
    cancelled: z.array(cancelledSchema),
    seq: privateSeq,
  }),
  z.object({
    type: z.literal("authenticated"),
    accountId: big,
    cancelOnDisconnect: z.boolean(),
    /** This connection's id: REST orders naming it (`cancelOnDisconnect`) are cancelled with it. */
    connectionId: z.string().optional(),
    /** The session's expiry, unix ms: re-authenticate before it or the venue closes the connection. */
    expiresAt: z.number().optional(),
  }),
  errorReplySchema.extend({ type: z.literal("error") }),
  z.object({ type: z.literal("pong") }),
  /** The venue's health gate, on connecting and whenever it changes. */
  healthSchema.extend({ type: z.literal("status") }),
]);
export type StreamMessage = z.output<typeof streamMessageSchema>;
export type BookDelta = Extract<StreamMessage, { type: "book" }>;

/** JSON text with every bigint written as a decimal string (the API's request encoding). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
