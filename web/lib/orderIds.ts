/**
 * Choosing order ids. An order id is the signed 48-bit nonce of an order; it also picks the
 * order-tree slot `orderId mod 2^orderDepth` (docs/protocol.md §5.3). A newer id in a slot
 * evicts the older order for good, so a new order must not share a slot with one of the
 * account's open orders (the sequencer refuses it with ORDER_SLOT_BUSY), and ids must grow.
 */
import { BITS } from "../../protocol/constants.ts";

/**
 * The smallest id above both `lastUsed` and `floor` (a clock reading, so ids keep growing
 * across sessions) whose slot no open order occupies, or null when every slot is busy.
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
