/**
 * Building orders: flags, order ids that respect the order-tree rule, and rounding to a
 * market's tick and lot (docs/protocol.md §5.1, §5.3).
 *
 * Order ids: an id is a 48-bit nonce; slot `id mod 2^orderDepth` of the account's order tree
 * records it, and a new id must be above every id its slot has recorded. The venue also
 * refuses an id whose slot holds one of the account's resting orders (`ORDER_SLOT_BUSY`).
 * `OrderIdAllocator` hands out strictly increasing ids, seeded from the clock so that a restarted
 * process starts above every id it used before, and skips slots its caller marks busy.
 */
import { BITS, FLAG_POST_ONLY, FLAG_REDUCE_ONLY, TIF_SHIFT, TimeInForce } from "../protocol/constants.ts";
import { Side } from "../protocol/types.ts";
import type { Order, SideCode } from "../protocol/types.ts";
import { TesseraSdkError } from "./errors.ts";
import type { Market } from "./wire.ts";

export type TimeInForceName = keyof typeof TimeInForce;
export type SideName = "buy" | "sell";

/** What a caller specifies; the SDK fills in account, order id and expiry. */
export interface OrderRequest {
  /** Instrument id (docs/protocol.md §3). */
  readonly instrument: bigint;
  readonly side: SideName;
  /** 1e-4 units; a multiple of the market's lot size. */
  readonly size: bigint;
  /** Cents; a multiple of the market's tick size. For a market order, the worst acceptable price. */
  readonly price: bigint;
  /** Default GTC. A market order is `IOC` with a protective `price`. */
  readonly timeInForce?: TimeInForceName;
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
  /** Unix seconds; default: the client's `orderTtlSeconds` from now. */
  readonly expiry?: bigint;
  /** Default: the next id of the client's allocator. */
  readonly orderId?: bigint;
  readonly clientOrderId?: string;
}

export function sideCode(side: SideName): SideCode {
  return side === "buy" ? Side.BUY : Side.SELL;
}

/** The flag bits of §5.1: bit 0 reduce-only, bit 1 post-only, bits 2-3 time in force. */
export function orderFlags(o: Pick<OrderRequest, "timeInForce" | "postOnly" | "reduceOnly">): bigint {
  const tif = TimeInForce[o.timeInForce ?? "GTC"];
  return (
    (o.reduceOnly === true ? FLAG_REDUCE_ONLY : 0n) | (o.postOnly === true ? FLAG_POST_ONLY : 0n) | (tif << TIF_SHIFT)
  );
}

/** The protocol order of a request, with every field given. */
export function buildOrder(accountId: bigint, r: OrderRequest, orderId: bigint, expiry: bigint): Order {
  if (r.size <= 0n) throw new TesseraSdkError(`order size must be positive, got ${r.size}`);
  if (r.price <= 0n) throw new TesseraSdkError(`order price must be positive, got ${r.price}`);
  return {
    accountId,
    instrument: r.instrument,
    side: sideCode(r.side),
    size: r.size,
    price: r.price,
    orderId,
    expiry,
    flags: orderFlags(r),
  };
}

/** Checks an order against a market's increments before it is signed (the venue checks too). */
export function checkIncrements(market: Market, size: bigint, price: bigint): void {
  if (size < market.minSize || size % market.lotSize !== 0n)
    throw new TesseraSdkError(
      `${market.name}: size ${size} must be a multiple of ${market.lotSize}, at least ${market.minSize}`,
    );
  if (price <= 0n || price % market.tickSize !== 0n)
    throw new TesseraSdkError(`${market.name}: price ${price} must be a positive multiple of ${market.tickSize}`);
}

/** The largest multiple of `step` at most `v` (toward −∞). */
export function floorTo(v: bigint, step: bigint): bigint {
  const r = ((v % step) + step) % step;
  return v - r;
}

/** The smallest multiple of `step` at least `v` (toward +∞). */
export function ceilTo(v: bigint, step: bigint): bigint {
  const f = floorTo(v, step);
  return f === v ? v : f + step;
}

/** Ids per second of clock the allocator's seed reserves: 2^16 (valid until the year 2106). */
const IDS_PER_SECOND_SHIFT = 16n;
const MAX_ORDER_ID = (1n << BigInt(BITS.orderId)) - 1n;

/**
 * The first order id a client seeded at `nowSeconds` uses: `nowSeconds · 2^16`. Every client of
 * an account (this SDK, the web app) seeds its ids this way, so ids keep growing across
 * processes and clients unless one placed over 65,536 orders a second.
 */
export function firstOrderIdAt(nowSeconds: bigint): bigint {
  return nowSeconds << IDS_PER_SECOND_SHIFT;
}

export class OrderIdAllocator {
  private last: bigint;
  private readonly slotMask: bigint;
  /** Slots of the order tree: `2^orderDepth`. */
  readonly slotCount: number;

  /**
   * @param orderDepth the profile's order-tree depth (`Profile.orderDepth`).
   * @param nowSeconds unix seconds; ids start at `nowSeconds · 2^16`, above every id an
   *   earlier process seeded this way used, unless it placed over 65,536 orders a second.
   */
  constructor(orderDepth: number, nowSeconds: bigint) {
    this.slotMask = (1n << BigInt(orderDepth)) - 1n;
    this.slotCount = 2 ** orderDepth;
    this.last = firstOrderIdAt(nowSeconds) - 1n;
  }

  /** The order-tree slot of an id. */
  slotOf(orderId: bigint): bigint {
    return orderId & this.slotMask;
  }

  /**
   * The next id above every id handed out (or `observe`d), whose slot is not in `busySlots`.
   * @throws TesseraSdkError when every slot is busy or ids are exhausted.
   */
  next(busySlots: ReadonlySet<bigint> = new Set()): bigint {
    if (BigInt(busySlots.size) > this.slotMask) throw new TesseraSdkError("every order-tree slot holds an open order");
    let id = this.last + 1n;
    while (busySlots.has(this.slotOf(id))) id += 1n;
    if (id > MAX_ORDER_ID) throw new TesseraSdkError("order ids exhausted (48 bits)");
    this.last = id;
    return id;
  }

  /** Records an id used elsewhere (e.g. an open order found at start), so later ids exceed it. */
  observe(orderId: bigint): void {
    if (orderId > this.last) this.last = orderId;
  }
}
