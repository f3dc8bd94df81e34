/**
 * Building orders: flags, order ids that respect the order-tree rule, and rounding to a
 * market's tick and lot (docs/protocol.md §5.1, §5.3).
 *
 * Order ids: an id is a 48-bit nonce; slot `id mod 2^orderDepth` of the account's order tree
 * records it, and a new id must be above every id its slot has recorded but less than 2^32 above
 * it (`ORDER_ID_WINDOW`: a slot posts only an id's low 32 bits; an empty slot holds 0). The
 * venue also refuses an id whose slot holds one of the account's resting orders
 * (`ORDER_SLOT_BUSY`). `OrderIdAllocator` hands out strictly increasing ids from the venue's
 * next id for the account (`GET /v1/accounts/{id}/nextOrderId`, one above every id the venue
 * has seen from it), so a restarted process starts above every id it used before and stays in
 * every slot's window, and skips slots its caller marks busy.
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

/**
 * The smallest size `market` takes at `price` (cents): its minimum size, or the lots its minimum
 * notional (`minNotional`, collateral units) needs at that price when more. The venue takes a
 * buy's notional at the lower of its limit and the best ask, so pass that price for a buy.
 */
export function minimumSize(market: Market, price: bigint): bigint {
  if (price <= 0n) return market.minSize;
  const lots = ceilTo((market.minNotional + price - 1n) / price, market.lotSize);
  return lots > market.minSize ? lots : market.minSize;
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

const MAX_ORDER_ID = (1n << BigInt(BITS.orderId)) - 1n;

export class OrderIdAllocator {
  private last: bigint;
  private readonly slotMask: bigint;
  /** Slots of the order tree: `2^orderDepth`. */
  readonly slotCount: number;

  /**
   * @param orderDepth the profile's order-tree depth (`Profile.orderDepth`).
   * @param firstOrderId the first id to hand out: the venue's `nextOrderId` for the account
   *   (`TesseraClient.nextOrderId`), above every id the venue has seen from it. Never seed from
   *   the clock: a fresh slot takes only ids below 2^32 (`ORDER_ID_WINDOW`).
   */
  constructor(orderDepth: number, firstOrderId: bigint) {
    if (firstOrderId < 1n || firstOrderId > MAX_ORDER_ID)
      throw new TesseraSdkError(`the first order id must be in 1..2^48 − 1, got ${firstOrderId}`);
    this.slotMask = (1n << BigInt(orderDepth)) - 1n;
    this.slotCount = 2 ** orderDepth;
    this.last = firstOrderId - 1n;
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

  /**
   * Records an id used elsewhere, so later ids exceed it: an open order found at start, or one
   * below the venue's `nextOrderId` after another client of the account used ids.
   */
  observe(orderId: bigint): void {
    if (orderId > this.last) this.last = orderId;
  }
}
