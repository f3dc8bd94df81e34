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
 */
import { applyFill, slotFor } from "../../protocol/account.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { BPS } from "../../protocol/constants.ts";
import { equity, initialMarginScaled, meetsIM } from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account, SignedOrder } from "../../protocol/types.ts";
import type { Sequencer } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";

interface SideTotal {
  size: bigint;
  cost: bigint;
}

/** Cost per unit at price `p` (§6.1): `p − F[u]` for perps, `p` for options. */
function unitCost(instrument: bigint, p: bigint, marks: Marks): bigint {
  const spec = decodeInstrument(instrument);
  return spec.kind === InstrumentKind.PERP ? p - marks.fundingIndex[spec.underlying - 1]! : p;
}

/** `account` after `total` of `instrument` filled on one side (null: no position slot). */
function filled(account: Account, instrument: bigint, total: SideTotal, sign: 1n | -1n): Account | null {
  if (total.size === 0n) return account;
  const slot = slotFor(account, instrument);
  if (slot < 0) return null;
  return applyFill(account, slot, instrument, sign * total.size, sign * total.cost);
}

/** `10^4·equity − IM×10^4`: `meetsIM` holds iff it is ≥ 0. */
function headroom(account: Account, marks: Marks): bigint {
  return BPS * equity(account, marks) - initialMarginScaled(account, marks);
}

/**
 * Throws MARGIN (422) when the account's open orders plus `incoming` could not all be carried
 * at initial margin, NO_POSITION_SLOT when they name more instruments than it has slots.
 */
export function checkOpenOrderMargin(venue: Sequencer, incoming: SignedOrder): void {
  const o = incoming.order;
  const marks = venue.ledger.state.marks(venue.ledger.oraclePrices);
  const current = venue.ledger.state.account(o.accountId);
  const totals = new Map<bigint, { buy: SideTotal; sell: SideTotal }>();
  const add = (instrument: bigint, side: number, size: bigint, price: bigint): void => {
    let t = totals.get(instrument);
    if (t === undefined) totals.set(instrument, (t = { buy: { size: 0n, cost: 0n }, sell: { size: 0n, cost: 0n } }));
    const s = side === Side.BUY ? t.buy : t.sell;
    s.size += size;
    s.cost += size * unitCost(instrument, price, marks);
  };
  for (const r of venue.engine.openOrders(o.accountId)) add(r.instrument, r.side, r.remaining, r.price);
  add(o.instrument, o.side, o.size, o.price);

  let account = current;
  for (const [instrument, t] of totals) {
    const buys = filled(account, instrument, t.buy, 1n);
    const sells = filled(account, instrument, t.sell, -1n);
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
