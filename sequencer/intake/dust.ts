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
 * Exempt: a reduce-only order for exactly the account's whole position in the instrument, so a
 * position the market moved below the minimum (an option's premium decays) can always be closed.
 *
 * A withdrawal takes a slot too, and pays no fee: it must be at least the minimum withdrawal, or
 * exactly the account's whole free collateral (what protocol/ would let it take now), so a
 * balance below the minimum can always leave, once.
 *
 * Not replayed: the journal records the orders that passed it and a rebuild re-executes them as
 * they are, so changing the minimum needs no cut-over.
 */
import { freeCollateral } from "../../protocol/margin.ts";
import { Side } from "../../protocol/types.ts";
import type { SignedOrder } from "../../protocol/types.ts";
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

/** Throws MIN_NOTIONAL when `signed` is below `min` (collateral units) and not exempt. */
export function checkMinNotional(venue: Sequencer, signed: SignedOrder, min: bigint): void {
  if (min === 0n) return;
  const o = signed.order;
  let price = o.price;
  if (o.side === Side.BUY) {
    const ask = venue.engine.book(o.instrument).best(Side.SELL);
    if (ask !== null && ask.price < price) price = ask.price;
  }
  if (o.size * price >= min) return;
  if (decodeFlags(o.flags).reduceOnly) {
    const position = venue.ledger.positionSize(o.accountId, o.instrument);
    if (position === (o.side === Side.BUY ? -o.size : o.size)) return;
  }
  throw new SequencerError(
    "MIN_NOTIONAL",
    `size ${o.size} at ${price === o.price ? "its limit" : "the best ask"} of ${price} cents is ${o.size * price} in collateral units (1e-6 USD), below the venue's minimum order notional ${min}: send a larger size (a reduce-only order for the whole position is exempt)`,
  );
}

/**
 * Throws MIN_WITHDRAWAL when the withdrawal message `signed` takes less than `min` (collateral
 * units) and is not the account's whole free collateral. Call it after the signature checked:
 * its message tells the free collateral.
 */
export function checkMinWithdrawal(venue: Sequencer, signed: SignedOrder, min: bigint): void {
  const amount = signed.order.size;
  if (min === 0n || amount >= min) return;
  const account = venue.ledger.state.account(signed.order.accountId);
  const whole = freeCollateral(account, venue.ledger.state.marks(venue.ledger.oraclePrices));
  if (amount > 0n && amount === whole) return;
  throw new SequencerError(
    "MIN_WITHDRAWAL",
    `a withdrawal of ${amount} is below the venue's minimum withdrawal ${min} (collateral units, 1e-6 USD): withdraw at least ${min}, or exactly the account's whole free collateral, now ${whole}`,
  );
}
