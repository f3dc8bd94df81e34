/**
 * Initial margin for resting orders, checked when an order is placed: the account must meet
 * initial margin (protocol/'s `meetsIM`) as if its open orders, the new one included, filled at
 * their limit prices — per instrument the side that leaves the account with less headroom.
 * Positions and costs move as protocol/'s `applyFill` moves them (§6.1); fees are left out. An
 * order set that lowers the account's initial margin (it only reduces) always passes, as a
 * reducing fill does in protocol/ (§6.3.10).
 *
 * Guarantee: an account cannot show the book more resting size than its collateral could carry,
 * so unfunded orders no longer sit at the touch costing every taker a failed fill. It is a
 * placement check outside the replayed command stream (a refused order changes nothing), and
 * protocol/ still checks every fill.
 *
 * Cost: O(instruments the account has orders in), however many orders it has. The matching
 * engine keeps each account's resting size and notional per instrument and side as its orders
 * change (sequencer/core/engine/totals.ts), and a side's cost `Σ s·(p − F[u])` is read from them
 * as `notional − F[u]·size` with the funding index at check time, exactly. Instruments are taken
 * in the order the account's open orders first name them (a closing fill frees a position slot
 * for the instruments after it), the incoming order's last when it names a new one.
 */
import { applyFill, slotFor } from "../../protocol/account.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { BPS } from "../../protocol/constants.ts";
import { equity, initialMarginScaled, meetsIM } from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account, SignedOrder } from "../../protocol/types.ts";
import type { RestingOrder } from "../core/engine/book.ts";
import type { SideTotal } from "../core/engine/totals.ts";
import type { Sequencer } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";

interface SideCost {
  size: bigint;
  cost: bigint;
}

/** The per-unit cost at price `p` is `p − offset` (§6.1): `offset = F[u]` for perps, 0 for options. */
function costOffset(instrument: bigint, marks: Marks): bigint {
  const spec = decodeInstrument(instrument);
  return spec.kind === InstrumentKind.PERP ? marks.fundingIndex[spec.underlying - 1]! : 0n;
}

/**
 * One side's resting orders with `extra` at `price` on top: `size = Σ s`, and `cost = Σ s·(p −
 * offset) = Σ s·p − offset·Σ s` (exact in bigint), the sum the orders' fills would add to the
 * position's cost.
 */
function sideCost(open: SideTotal, offset: bigint, extra: bigint, price: bigint): SideCost {
  const size = open.size + extra;
  return { size, cost: open.notional + extra * price - offset * size };
}

/** `account` after `total` of `instrument` filled on one side (null: no position slot). */
function filled(account: Account, instrument: bigint, total: SideCost, sign: 1n | -1n): Account | null {
  if (total.size === 0n) return account;
  const slot = slotFor(account, instrument);
  if (slot < 0) return null;
  return applyFill(account, slot, instrument, sign * total.size, sign * total.cost);
}

/** `10^4·equity − IM×10^4`: `meetsIM` holds iff it is ≥ 0. */
function headroom(account: Account, marks: Marks): bigint {
  return BPS * equity(account, marks) - initialMarginScaled(account, marks);
}

/** `total` without the resting order `order` (its remaining size at its price). */
function without(total: SideTotal, order: RestingOrder): SideTotal {
  return { size: total.size - order.remaining, notional: total.notional - order.remaining * order.price };
}

/**
 * Throws MARGIN (422) when the account's open orders plus `incoming` could not all be carried
 * at initial margin, NO_POSITION_SLOT when they name more instruments than it has slots.
 * `replacing` (a replace): that resting order of the account is left out of its open orders, as
 * the replace cancels it — its remaining size and notional on its instrument and side.
 */
export function checkOpenOrderMargin(
  venue: Sequencer,
  incoming: SignedOrder,
  replacing: RestingOrder | null = null,
): void {
  const o = incoming.order;
  const marks = venue.ledger.state.marks(venue.ledger.oraclePrices);
  const current = venue.ledger.state.account(o.accountId);
  const none = { size: 0n, notional: 0n };
  const open = venue.engine
    .openTotals(o.accountId)
    .map((t) =>
      replacing === null || t.instrument !== replacing.instrument
        ? t
        : replacing.side === Side.BUY
          ? { instrument: t.instrument, buy: without(t.buy, replacing), sell: t.sell }
          : { instrument: t.instrument, buy: t.buy, sell: without(t.sell, replacing) },
    );
  const rows = open.some((t) => t.instrument === o.instrument)
    ? open
    : [...open, { instrument: o.instrument, buy: none, sell: none }];

  let account = current;
  for (const t of rows) {
    const offset = costOffset(t.instrument, marks);
    const mine = t.instrument === o.instrument;
    const buy = sideCost(t.buy, offset, mine && o.side === Side.BUY ? o.size : 0n, o.price);
    const sell = sideCost(t.sell, offset, mine && o.side !== Side.BUY ? o.size : 0n, o.price);
    const buys = filled(account, t.instrument, buy, 1n);
    const sells = filled(account, t.instrument, sell, -1n);
    if (buys === null || sells === null)
      throw new SequencerError(
        "NO_POSITION_SLOT",
        `account ${o.accountId} has open orders in more instruments than it has position slots: cancel some`,
        422,
      );
    // The side that leaves less headroom over initial margin (meetsIM's own comparison).
    account = headroom(buys, marks) <= headroom(sells, marks) ? buys : sells;
  }
  if (meetsIM(account, marks) || initialMarginScaled(account, marks) <= initialMarginScaled(current, marks)) return;
  throw new SequencerError(
    "MARGIN",
    `account ${o.accountId} lacks the initial margin for its open orders with this one filled at their limit prices: deposit, or cancel or shrink orders`,
    422,
  );
}
