/**
 * Request schemas of the REST and WebSocket API (zod, validated at the edge only). Every
 * integer that is money, size, price, id or time travels as a decimal string.
 */
import { z } from "zod";
import { BITS } from "../../protocol/constants.ts";
import {
  accountIdSchema,
  clientOrderIdSchema,
  fastClientOrderId,
  fastSignedOrder,
  fieldElement,
  isRecord,
  onlyKeys,
  orderIdSchema,
  signedOrderSchema,
  uint,
} from "../wire.ts";

export const emptySchema = z.object({}).strict();

/** An instrument by id (decimal) or by name (`ETH-PERP`, `BTC-20261225-100000-C`). */
export const instrumentRefSchema = z
  .string()
  .regex(/^([0-9]{1,25}|[A-Z]{2,6}-[0-9A-Z.-]{2,40})$/, "an instrument id or name such as ETH-PERP")
  .describe("instrument id (decimal) or name");

export const placeOrderSchema = z
  .object({
    order: signedOrderSchema,
    clientOrderId: clientOrderIdSchema.optional(),
  })
  .strict();

/** A cancel-on-disconnect group: the `connectionId` a WebSocket `authenticated` message gave. */
const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const connectionIdSchema = z
  .string()
  .regex(CONNECTION_ID, "the connectionId of a WebSocket authenticated with cancelOnDisconnect");

/** `POST /v1/orders`: optionally covered by a live WebSocket connection's cancel-on-disconnect. */
export const placeOneSchema = placeOrderSchema.extend({ cancelOnDisconnect: connectionIdSchema.optional() }).strict();
export const replaceOrderSchema = placeOneSchema;

/** Orders per batch request (place or cancel). */
export const MAX_BATCH_ITEMS = 50;

export const placeBatchSchema = z
  .object({
    orders: z.array(placeOrderSchema).min(1).max(MAX_BATCH_ITEMS),
    cancelOnDisconnect: connectionIdSchema.optional(),
  })
  .strict();

export const cancelBatchSchema = z
  .object({
    orderIds: z.array(orderIdSchema).max(MAX_BATCH_ITEMS).default([]),
    clientOrderIds: z.array(clientOrderIdSchema).max(MAX_BATCH_ITEMS).default([]),
  })
  .strict()
  .refine((b) => b.orderIds.length + b.clientOrderIds.length >= 1, "name at least one order")
  .refine(
    (b) => b.orderIds.length + b.clientOrderIds.length <= MAX_BATCH_ITEMS,
    `at most ${MAX_BATCH_ITEMS} orders per request`,
  );

export const amendSchema = z
  .object({ size: uint(BITS.size, "the order's new total size (filled included), 1e-4 units; below the current") })
  .strict();

/**
 * The most fills a market-maker protection window may count before it trips: the window holds at
 * most this many entries per account and underlying (sequencer/core/engine/mmp.ts), which bounds
 * its memory and a snapshot's share of it (docs/api.md, `POST /v1/mmp`).
 */
export const MAX_MMP_COUNT = 10_000;

/**
 * Market-maker protection of one underlying; `maxQuantity` 0 removes it. `underlying` is also
 * checked against the deployment's profile by the route (1..profile underlyings).
 */
export const mmpSchema = z
  .object({
    underlying: z.number().int().min(1).max(255),
    windowMs: z.coerce.number().int().min(100).max(86_400_000),
    maxQuantity: uint(BITS.size, "filled size that trips it, 1e-4 units (0 removes the protection)"),
    maxCount: z
      .number()
      .int()
      .min(1)
      .max(MAX_MMP_COUNT, `at most ${MAX_MMP_COUNT} fills per window: trip on quantity or delta for more`),
    maxDelta: uint(
      BITS.size,
      "|net delta| of the window's fills that trips it, 1e-4 units of the underlying (0 or absent: no delta limit)",
    ).optional(),
  })
  .strict();
export const mmpResetSchema = z.object({ underlying: z.number().int().min(1).max(255) }).strict();

/** Dead-man switch: cancel every order of the account after `afterMs` unless called again; 0 disarms. */
export const scheduleCancelSchema = z
  .object({
    afterMs: z.coerce
      .number()
      .int()
      .refine((v) => v === 0 || (v >= 1000 && v <= 600_000), "0 (disarm) or 1,000 to 600,000 ms"),
  })
  .strict();

export const orderIdParamsSchema = z.object({ orderId: orderIdSchema }).strict();
/** `/v1/accounts/:accountId/...`: an account id (decimal, below 2^maxAccountDepth). */
export const accountParamsSchema = z.object({ accountId: accountIdSchema }).strict();
export const clientOrderIdParamsSchema = z.object({ clientOrderId: clientOrderIdSchema }).strict();
export const instrumentParamsSchema = z.object({ instrument: instrumentRefSchema }).strict();

export const cancelAllSchema = z.object({ instrument: instrumentRefSchema.optional() }).strict();

export const depthQuerySchema = z
  .object({ depth: z.coerce.number().int().min(1).max(500).default(50).describe("levels per side") })
  .strict();
export const fillsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100).describe("fills per page, newest first"),
    before: uint(63, "list fills with trade ids below this (the previous page's nextBefore)").optional(),
  })
  .strict();
export const limitQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100).describe("most recent first") })
  .strict();
export const instrumentsQuerySchema = z
  .object({
    kind: z.enum(["perp", "option"]).optional(),
    underlying: z.coerce.number().int().min(1).max(255).optional(),
    status: z
      .enum(["active", "expired", "settled"])
      .optional()
      .describe("active: trading; expired: past expiry, awaiting settlement; settled: with its settlement price"),
  })
  .strict();
export const chainQuerySchema = z.object({ underlying: z.coerce.number().int().min(1).max(255) }).strict();
export const batchParamsSchema = z.object({ number: uint(63, "batch number") }).strict();
export const batchesQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe("batches per page, newest first"),
    before: uint(63, "list batches numbered below this (the previous page's nextBefore)").optional(),
  })
  .strict();

/** An L2 withdrawal: the withdrawal message of docs/protocol.md §5.2, signed as an order. */
export const withdrawalSchema = z.object({ withdrawal: signedOrderSchema }).strict();

export const settlementSchema = z
  .object({
    underlying: z.number().int().min(1).max(255),
    expiry: uint(BITS.timestamp, "the series' expiry, unix seconds"),
    price: uint(BITS.price, "settlement price, cents"),
    roundId: uint(80, "feed round in force at expiry (omit without L1)").optional(),
  })
  .strict();

export const challengeSchema = z.object({ accountId: accountIdSchema }).strict();
export const sessionSchema = z
  .object({
    accountId: accountIdSchema,
    challenge: fieldElement,
    publicKey: z.object({ x: fieldElement, y: fieldElement }).strict(),
    signature: z.object({ R8x: fieldElement, R8y: fieldElement, S: fieldElement }).strict(),
  })
  .strict();

export const depositSchema = z
  .object({
    accountId: accountIdSchema,
    owner: uint(BITS.owner, "L1 owner address as an integer"),
    pkHash: fieldElement,
    amount: uint(BITS.amount, "USDC base units"),
    queueIndex: uint(64, "L1 priority queue index (omit without L1)").optional(),
  })
  .strict();
export const forcedWithdrawalSchema = z
  .object({
    accountId: accountIdSchema,
    requested: uint(BITS.amount, "USDC base units"),
    queueIndex: uint(64, "L1 priority queue index (omit without L1)").optional(),
  })
  .strict();
export const forcedCloseSchema = z
  .object({
    accountId: accountIdSchema,
    /** Any instrument id L1 queues (1 ≤ id < 2^82): one the account does not hold is refused (served false). */
    instrument: uint(82, "instrument id"),
    /** A forced settlement of an expired option rather than a close (docs/protocol.md §6.10). */
    settlement: z.boolean().default(false),
    queueIndex: uint(64, "L1 priority queue index (omit without L1)").optional(),
  })
  .strict();
export const oracleSchema = z
  .object({
    prices: z.array(uint(BITS.price, "cents")).min(1).max(8),
    roundIds: z.array(uint(80, "feed round id")).min(1).max(8).optional(),
  })
  .strict();

const wsRequestIdSchema = z.union([z.string().max(64), z.number().int()]);

/** Client → server WebSocket messages. */
export const wsMessageSchema = z.discriminatedUnion("op", [
  z
    .object({
      op: z.literal("subscribe"),
      channel: z.enum(["book", "trades", "ticker"]),
      instrument: instrumentRefSchema,
    })
    .strict(),
  z
    .object({
      op: z.literal("unsubscribe"),
      channel: z.enum(["book", "trades", "ticker"]),
      instrument: instrumentRefSchema,
    })
    .strict(),
  z
    .object({
      op: z.literal("auth"),
      token: z.string().min(1).max(100),
      cancelOnDisconnect: z.boolean().default(false),
    })
    .strict(),
  z.object({ op: z.literal("ping") }).strict(),
  z
    .object({
      op: z.literal("place"),
      /** Echoed in the reply (`placed` or `error`) to match it. */
      id: wsRequestIdSchema.optional(),
      order: signedOrderSchema,
      clientOrderId: clientOrderIdSchema.optional(),
    })
    .strict(),
  z.object({ op: z.literal("cancel"), id: wsRequestIdSchema.optional(), orderId: orderIdSchema }).strict(),
  z
    .object({
      op: z.literal("placeBatch"),
      id: wsRequestIdSchema.optional(),
      orders: z.array(placeOrderSchema).min(1).max(MAX_BATCH_ITEMS),
    })
    .strict(),
  z
    .object({
      op: z.literal("cancelBatch"),
      id: wsRequestIdSchema.optional(),
      orderIds: z.array(orderIdSchema).min(1).max(MAX_BATCH_ITEMS),
    })
    .strict(),
]);
export type WsMessage = z.output<typeof wsMessageSchema>;

/*
 * Fast paths of the order messages (as sequencer/wire.ts `fastSignedOrder`): exactly the zod
 * parse's output for what they accept, undefined for anything else (zod then parses it). The
 * intake tries them first: `POST /v1/orders`, `POST /v1/orders/batch`, and the WebSocket's
 * `place` and `placeBatch` (test/sequencer/fastparse.test.ts).
 */

type PlaceOrder = z.output<typeof placeOrderSchema>;
const PLACE_ORDER_KEYS: ReadonlySet<string> = new Set(["order", "clientOrderId"]);
const PLACE_ONE_KEYS: ReadonlySet<string> = new Set(["order", "clientOrderId", "cancelOnDisconnect"]);
const PLACE_BATCH_KEYS: ReadonlySet<string> = new Set(["orders", "cancelOnDisconnect"]);
const WS_PLACE_KEYS: ReadonlySet<string> = new Set(["op", "id", "order", "clientOrderId"]);
const WS_PLACE_BATCH_KEYS: ReadonlySet<string> = new Set(["op", "id", "orders"]);

/** The order and client order id of `v` (keys already checked), in the schema's order. */
function orderAndClientId(v: Readonly<Record<string, unknown>>): PlaceOrder | undefined {
  const order = fastSignedOrder(v["order"]);
  if (order === undefined) return undefined;
  if (!Object.hasOwn(v, "clientOrderId")) return { order };
  const clientOrderId = fastClientOrderId(v["clientOrderId"]);
  return clientOrderId === undefined ? undefined : { order, clientOrderId };
}

function fastPlaceOrders(v: unknown): PlaceOrder[] | undefined {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_BATCH_ITEMS) return undefined;
  const out: PlaceOrder[] = [];
  for (const item of v as unknown[]) {
    if (!isRecord(item) || !onlyKeys(item, PLACE_ORDER_KEYS)) return undefined;
    const parsed = orderAndClientId(item);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

function fastConnectionId(v: unknown): string | undefined {
  return typeof v === "string" && CONNECTION_ID.test(v) ? v : undefined;
}

/** `placeOneSchema`'s parse, fast. */
export function fastPlaceOne(v: unknown): z.output<typeof placeOneSchema> | undefined {
  if (!isRecord(v) || !onlyKeys(v, PLACE_ONE_KEYS)) return undefined;
  const parsed = orderAndClientId(v);
  if (parsed === undefined || !Object.hasOwn(v, "cancelOnDisconnect")) return parsed;
  const cancelOnDisconnect = fastConnectionId(v["cancelOnDisconnect"]);
  return cancelOnDisconnect === undefined ? undefined : { ...parsed, cancelOnDisconnect };
}

/** `placeBatchSchema`'s parse, fast. */
export function fastPlaceBatch(v: unknown): z.output<typeof placeBatchSchema> | undefined {
  if (!isRecord(v) || !onlyKeys(v, PLACE_BATCH_KEYS)) return undefined;
  const orders = fastPlaceOrders(v["orders"]);
  if (orders === undefined || !Object.hasOwn(v, "cancelOnDisconnect")) return orders && { orders };
  const cancelOnDisconnect = fastConnectionId(v["cancelOnDisconnect"]);
  return cancelOnDisconnect === undefined ? undefined : { orders, cancelOnDisconnect };
}

/** A WebSocket request id as `wsRequestIdSchema` takes it (a string of at most 64, or an integer), or undefined. */
function fastRequestId(v: unknown): string | number | undefined {
  return (typeof v === "string" && v.length <= 64) || Number.isSafeInteger(v) ? (v as string | number) : undefined;
}

/** `wsMessageSchema`'s parse of a `place` or `placeBatch` message, fast; undefined for any other. */
export function fastWsMessage(v: unknown): WsMessage | undefined {
  if (!isRecord(v)) return undefined;
  const op = v["op"];
  if (op !== "place" && op !== "placeBatch") return undefined;
  if (!onlyKeys(v, op === "place" ? WS_PLACE_KEYS : WS_PLACE_BATCH_KEYS)) return undefined;
  let id: string | number | undefined;
  if (Object.hasOwn(v, "id")) {
    id = fastRequestId(v["id"]);
    if (id === undefined) return undefined;
  }
  if (op === "place") {
    const parsed = orderAndClientId(v);
    if (parsed === undefined) return undefined;
    return id === undefined ? { op, ...parsed } : { op, id, ...parsed };
  }
  const orders = fastPlaceOrders(v["orders"]);
  if (orders === undefined) return undefined;
  return id === undefined ? { op, orders } : { op, id, orders };
}
