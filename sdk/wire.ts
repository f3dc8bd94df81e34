/**
 * The SDK's one wire-type module: zod schemas of every reply and stream message of the venue's
 * REST and WebSocket API, decoding each decimal string into a bigint, and the JSON encoder of
 * requests. The server's reply shapes are in sequencer/api/routes.ts (views) and ws.ts; the
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
});
export type Market = z.output<typeof marketSchema>;

export const fillSchema = z.object({
  tradeId: big,
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
    }),
  ),
});
export type Funding = z.output<typeof fundingSchema>;

export const statusSchema = z.object({
  profile: z.string(),
  domain: big,
  openBatch: big,
  /** Unix milliseconds, null when the open batch is empty. */
  openSince: big.nullable(),
  journal: big,
  stateRoot: big,
  unprovedBatches: z.array(big),
});
export type VenueStatus = z.output<typeof statusSchema>;

export const batchStatusSchema = z.object({ number: big, status: z.string() });
export type BatchStatus = z.output<typeof batchStatusSchema>;

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

export const depositResultSchema = z.object({ batch: big, slot: z.number().int() });
export const setOracleResultSchema = z.object({ prices: z.array(big) });
export const closeBatchResultSchema = z.object({ batch: big.nullable() });

/** An error reply of the REST API and the `error` stream message. */
export const errorReplySchema = z.object({ code: z.string(), message: z.string() });

/** Server → client WebSocket messages (sequencer/api/ws.ts). */
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
  fillSchema.extend({ type: z.literal("fill") }),
  z.object({ type: z.literal("orders"), placed: placeResultSchema.nullable(), cancelled: z.array(cancelledSchema) }),
  z.object({ type: z.literal("authenticated"), accountId: big, cancelOnDisconnect: z.boolean() }),
  errorReplySchema.extend({ type: z.literal("error") }),
  z.object({ type: z.literal("pong") }),
]);
export type StreamMessage = z.output<typeof streamMessageSchema>;
export type BookDelta = Extract<StreamMessage, { type: "book" }>;

/** JSON text with every bigint written as a decimal string (the API's request encoding). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
