/**
 * The smallest order (`TESSERA_MIN_ORDER_NOTIONAL`) and the smallest withdrawal
 * (`TESSERA_MIN_WITHDRAWAL`) the venue takes: venue policy at intake, not protocol rules.
 *
 * Why: a batch slot costs the operator the same L1 gas and proving whatever the fill's size, while
 * a fill's fee is its notional times 2 or 5 bps, rounded down: a lot of a cheap option pays no fee
 * at all. With every order at least the minimum at the lowest price it can fill at, a fill of a
 * whole order is at least the minimum, and a fill below it must complete an order that filled
 * before (its remainder): one such fill per order at most, so the slots an account can take stay
 * proportional to the notional it trades (test/sequencer/attack-dust.test.ts).
 *
 * An order's notional is taken at the lowest price it can fill at. A sell fills at its limit or
 * above (as taker against bids at or above it; resting, at its limit). A buy fills at the lower of
 * its limit and the book's best ask (as taker it meets the asks from the best up; resting, at its
 * limit). The book is read in the same synchronous step that executes the order, so nothing moves
 * it in between.
 *
 * An amend (a reduction in place) of an order that never filled is held to the same minimum at
 * the order's own price (it rests, so it fills there).
 *
 * Exempt: an immediate (IOC or FOK) reduce-only order for exactly the account's whole position
 * in the instrument, so a position the market moved below the minimum (an option's premium
 * decays) can always be closed. Its fills are the one kind below the minimum that need not
 * complete an order that filled before, at most one per position closed (a maker order that never
 * filled is at least the minimum, so this taker completes no such order): to close a dust position
 * again the account needs a new one, which takes a fill of its own. A resting order is never
 * exempt: many of them, each the size of one small position, would each be a dust fill.
 *
 * A withdrawal takes a slot too, and pays no fee: it must be at least the minimum withdrawal, or
 * empty the account (its whole collateral, no position held), so a balance below the minimum can
 * leave once, and another needs a deposit or a trade first.
 *
 * Both exemptions read the account, so the order id is checked first: a replayed message gets
 * DUPLICATE_ORDER_ID, as before, and learns nothing of the account's position or balance.
 *
 * Not replayed: the journal records the orders that passed it and a rebuild re-executes them as
 * they are, so changing the minimum needs no cut-over.
 */
import { Side } from "../../protocol/types.ts";
import type { SignedOrder } from "../../protocol/types.ts";
import type { RestingOrder } from "../core/engine/book.ts";
import { decodeFlags } from "../core/engine/flags.ts";
import type { Sequencer } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";

/**
 * Collateral units (1e-6 USD): 1 USD, at which both fees of a fill of a whole order are non-zero
 * (2 bps of 1 USD is 200 units). docs/api.md says what it bounds and when to raise it.
 */
export const DEFAULT_MIN_ORDER_NOTIONAL = 1_000_000n;

/** Collateral units (1e-6 USD): 1 USD. */
export const DEFAULT_MIN_WITHDRAWAL = 1_000_000n;

/**
 * Throws MIN_NOTIONAL when `signed` is below `min` (collateral units) and not exempt (and the
 * order-id errors first, `replacing` being the order a replace cancels).
 */
export function checkMinNotional(
  venue: Sequencer,
  signed: SignedOrder,
  min: bigint,
  replacing: RestingOrder | null = null,
): void {
  if (min === 0n) return;
  const o = signed.order;
  let price = o.price;
  if (o.side === Side.BUY) {
    const ask = venue.engine.book(o.instrument).best(Side.SELL);
    if (ask !== null && ask.price < price) price = ask.price;
  }
  if (o.size * price >= min) return;
  venue.engine.checkOrderId(o.accountId, o.orderId, replacing);
  const flags = decodeFlags(o.flags);
  if (flags.reduceOnly && flags.timeInForce !== "GTC") {
    const position = venue.ledger.positionSize(o.accountId, o.instrument);
    if (position === (o.side === Side.BUY ? -o.size : o.size)) return;
  }
  throw new SequencerError(
    "MIN_NOTIONAL",
    `size ${o.size} at ${price === o.price ? "its limit" : "the best ask"} of ${price} cents is ${o.size * price} in collateral units (1e-6 USD), below the venue's minimum order notional ${min}: send a larger size (an IOC or FOK reduce-only order for the whole position is exempt)`,
  );
}

/**
 * Throws MIN_NOTIONAL when amending `order` (never filled) down to `size` would leave it below
 * `min` at its own price. An order that filled before may shrink to any size: its last fill is
 * the one fill below the minimum the rule allows it.
 */
export function checkMinAmend(order: RestingOrder | null, size: bigint, min: bigint): void {
  if (min === 0n || order === null || order.filled > 0n || size * order.price >= min) return;
  throw new SequencerError(
    "MIN_NOTIONAL",
    `size ${size} at the order's price of ${order.price} cents is ${size * order.price} in collateral units (1e-6 USD), below the venue's minimum order notional ${min}: amend to a larger size, or cancel`,
  );
}

/**
 * Throws MIN_WITHDRAWAL when the withdrawal message `signed` takes less than `min` (collateral
 * units) and does not empty the account (and the order-id errors first).
 */
export function checkMinWithdrawal(venue: Sequencer, signed: SignedOrder, min: bigint): void {
  const w = signed.order;
  if (min === 0n || w.size >= min) return;
  venue.engine.checkOrderId(w.accountId, w.orderId);
  const account = venue.ledger.state.account(w.accountId);
  if (w.size > 0n && w.size === account.collateral && account.positions.every((p) => p.size === 0n)) return;
  throw new SequencerError(
    "MIN_WITHDRAWAL",
    `a withdrawal of ${w.size} is below the venue's minimum withdrawal ${min} (collateral units, 1e-6 USD): withdraw at least ${min}, or all the collateral of an account that holds no position`,
  );
}
