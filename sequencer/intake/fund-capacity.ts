/**
 * Intake's side of the insurance fund's capacity (sequencer/core/risk/fund-capacity.ts): an order
 * that would fill in an instrument nobody holds yet, while every free fund slot is already needed
 * by an instrument the fund would have to take without holding it, is refused with
 * NO_FUND_CAPACITY. Such a fill would let a liquidation or a forced close find no fund slot, and
 * an unservable forced close opens the exodus.
 *
 * Only an order that crosses another account's resting order is refused: a resting order fills
 * only when a taker meets it, and the taker is checked then; the taker's own orders it meets are
 * cancelled by self-trade prevention, never filled. The book and the counts are read in the same
 * synchronous step that executes the order, so nothing moves them in between. Venue policy, not a
 * protocol rule: not replayed (the journal holds the orders that passed it).
 */
import { instrumentName } from "../../protocol/instruments.ts";
import { Side } from "../../protocol/types.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import type { RestingOrder } from "../core/engine/book.ts";
import { decodeFlags } from "../core/engine/flags.ts";
import type { Sequencer } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";

/** Throws NO_FUND_CAPACITY (after the order-id errors) when `signed` would open an instrument the fund cannot back. */
export function checkFundCapacity(venue: Sequencer, signed: SignedOrder, replacing: RestingOrder | null = null): void {
  const o = signed.order;
  const capacity = venue.ledger.fundCapacity;
  if (!capacity.opens(o.instrument)) return;
  // A post-only order that crosses is refused for that (POST_ONLY_WOULD_CROSS), never filled.
  if (decodeFlags(o.flags).postOnly) return;
  if (!meetsAnotherAccount(venue, signed)) return;
  venue.engine.checkOrderId(o.accountId, o.orderId, replacing);
  throw new SequencerError(
    "NO_FUND_CAPACITY",
    `${instrumentName(o.instrument)} has no open positions yet, and the insurance fund has no free position slot ` +
      `to back a first fill in it (${capacity.freeSlots} free, all needed by the ${capacity.uncovered} instruments ` +
      `it backs without holding them): the order may rest without crossing, or retry once the operator ` +
      `has registered another insurance fund account (GET /v1/status, insuranceFund)`,
  );
}

/**
 * Whether `signed` crosses a resting order of another account: the engine steps over the taker's
 * own orders (self-trade prevention cancels them), so only another account's order can fill. A
 * maker the engine would reject at that moment (an expired one) still counts: refusing is the safe
 * side. Walks the crossing part of the book as the engine does, stopping at the first such order.
 */
function meetsAnotherAccount(venue: Sequencer, signed: SignedOrder): boolean {
  const o = signed.order;
  for (const level of venue.engine.book(o.instrument).levels(o.side === Side.BUY ? Side.SELL : Side.BUY)) {
    if (o.side === Side.BUY ? level.price > o.price : level.price < o.price) return false;
    for (let m = level.head; m !== null; m = m.next) if (m.accountId !== o.accountId) return true;
  }
  return false;
}
