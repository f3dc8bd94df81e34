/**
 * Choosing order ids. An order id is the signed 48-bit nonce of an order; it also picks the
 * order-tree slot `orderId mod 2^orderDepth` (docs/protocol.md §5.3). A newer id in a slot
 * evicts the older order for good, so a new order must not share a slot with one of the
 * account's open orders (the sequencer refuses it with ORDER_SLOT_BUSY), and ids must grow —
 * but by less than 2^32 past the id a slot holds (ORDER_ID_WINDOW: a slot posts only an id's
 * low 32 bits; a slot never used holds 0). So ids are not drawn from the clock: they count up
 * from the venue's next id for the account (`GET /v1/accounts/{id}/nextOrderId`, one above every
 * id it has seen from the account), asked right before signing.
 */
import { BITS } from "../../protocol/constants.ts";
import { ORDER_ID_WINDOW } from "../../protocol/pubdata.ts";

/**
 * The smallest id at least `venueNext` (the venue's next order id for the account) and above
 * `lastUsed` (the last id this app handed out, which the venue may not have seen yet) whose slot
 * no open order occupies, or null when every slot is busy. A `lastUsed` 2^32 or more above
 * `venueNext` is ignored: no slot would take an id there (an id of the old clock-seeded scheme,
 * or of another deployment).
 */
export function nextOrderId(
  lastUsed: bigint,
  venueNext: bigint,
  openOrderIds: readonly bigint[],
  orderDepth: number,
): bigint | null {
  const slots = 1n << BigInt(orderDepth);
  const busy = new Set(openOrderIds.map((id) => id % slots));
  if (BigInt(busy.size) >= slots) return null;
  const remembered = lastUsed - venueNext < ORDER_ID_WINDOW ? lastUsed + 1n : 0n;
  let id = remembered > venueNext ? remembered : venueNext;
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
 * next call never hands it out again: `max(last used here + 1, venueNext)`, where `venueNext` is
 * the venue's next order id for the account, asked right before signing (so the web app and an
 * SDK process trading the same account follow each other's ids), in a slot no open order holds.
 * Null when every slot is busy.
 */
export function allocateOrderId(
  store: OrderIdStore,
  accountId: bigint,
  venueNext: bigint,
  openOrderIds: readonly bigint[],
  orderDepth: number,
): bigint | null {
  const saved = store.getItem(lastOrderIdKey(accountId));
  const last = saved !== null && /^\d+$/.test(saved) ? BigInt(saved) : 0n;
  const id = nextOrderId(last, venueNext, openOrderIds, orderDepth);
  if (id !== null) store.setItem(lastOrderIdKey(accountId), id.toString());
  return id;
}
