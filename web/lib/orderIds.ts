/**
 * Choosing order ids. An order id is the signed 48-bit nonce of an order; it also picks the
 * order-tree slot `orderId mod 2^orderDepth` (docs/protocol.md §5.3). A newer id in a slot
 * evicts the older order for good, so a new order must not share a slot with one of the
 * account's open orders (the sequencer refuses it with ORDER_SLOT_BUSY), and ids must grow.
 */
import { BITS } from "../../protocol/constants.ts";
import { firstOrderIdAt } from "../../sdk/orders.ts";

/**
 * The smallest id above both `lastUsed` and `floor` (from the clock, so ids keep growing across
 * sessions) whose slot no open order occupies, or null when every slot is busy.
 */
export function nextOrderId(
  lastUsed: bigint,
  floor: bigint,
  openOrderIds: readonly bigint[],
  orderDepth: number,
): bigint | null {
  const slots = 1n << BigInt(orderDepth);
  const busy = new Set(openOrderIds.map((id) => id % slots));
  if (BigInt(busy.size) >= slots) return null;
  let id = (lastUsed >= floor ? lastUsed : floor) + 1n;
  while (busy.has(id % slots)) id++;
  return id < 1n << BigInt(BITS.orderId) ? id : null;
}

/** The key-value store that remembers the last id used per account (the tab's localStorage). */
export type OrderIdStore = Pick<Storage, "getItem" | "setItem">;

/** Where the last order id of `accountId` is remembered (shared by orders and withdrawals). */
export function lastOrderIdKey(accountId: bigint): string {
  return `tessera:lastOrderId:${accountId}`;
}

/**
 * Allocates the next order id of `accountId` for an order or a withdrawal message (both burn an
 * id of the same order tree, docs/protocol.md §5.2) and records it in `store` as used, so the
 * next call never hands it out again: ids above the last one used here and at least the SDK's
 * seed for the clock `nowSeconds` (`firstOrderIdAt`, so the web app and an SDK process trading
 * the same account do not collide), in a slot no open order holds. Null when every slot is busy.
 */
export function allocateOrderId(
  store: OrderIdStore,
  accountId: bigint,
  nowSeconds: bigint,
  openOrderIds: readonly bigint[],
  orderDepth: number,
): bigint | null {
  const saved = store.getItem(lastOrderIdKey(accountId));
  const last = saved !== null && /^\d+$/.test(saved) ? BigInt(saved) : 0n;
  const id = nextOrderId(last, firstOrderIdAt(nowSeconds) - 1n, openOrderIds, orderDepth);
  if (id !== null) store.setItem(lastOrderIdKey(accountId), id.toString());
  return id;
}
