/**
 * Read models for the API, computed from the live state with protocol/'s margin code:
 * account collateral, positions with PnL and liquidation price, margin usage.
 *
 * Units: quote amounts (collateral, PnL, margins) in USDC base units (1e-6); prices in cents;
 * sizes in 1e-4 units. Margins are reported unscaled (IM×10^4 / 10^4, rounded toward zero).
 */
import { BPS } from "../../protocol/constants.ts";
import { decodeInstrument, instrumentName } from "../../protocol/instruments.ts";
import {
  equity,
  freeCollateral,
  initialMarginScaled,
  liquidationPrice,
  maintenanceMarginScaled,
  markOf,
  positionValue,
} from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import type { Account } from "../../protocol/types.ts";
import type { Sequencer } from "../core/sequencer.ts";

export interface PositionView {
  readonly instrument: bigint;
  readonly name: string;
  /** Signed, 1e-4 units (positive = long). */
  readonly size: bigint;
  /** The protocol's accumulated cost (§6.1), quote units. */
  readonly cost: bigint;
  /** Mark per unit used for valuation, cents (perps: oracle − funding index). */
  readonly mark: bigint;
  /** Unrealised PnL including funding: `size × mark − cost`, quote units. */
  readonly pnl: bigint;
  /** Oracle price of the underlying at which the account hits maintenance margin, or null. */
  readonly liquidationPrice: bigint | null;
}

export interface AccountView {
  readonly accountId: bigint;
  readonly collateral: bigint;
  readonly equity: bigint;
  readonly initialMargin: bigint;
  readonly maintenanceMargin: bigint;
  /** Most collateral a withdrawal could take now. */
  readonly freeCollateral: bigint;
  /** Initial margin / equity in basis points (null when equity ≤ 0). */
  readonly marginUsageBps: bigint | null;
  readonly positions: readonly PositionView[];
  readonly openOrders: number;
}

/** Marks at the latest oracle prices and the current funding indices. */
export function currentMarks(venue: Sequencer): Marks {
  return venue.ledger.state.marks(venue.ledger.oraclePrices);
}

export function accountView(venue: Sequencer, accountId: bigint): AccountView {
  return accountViewOf(
    accountId,
    venue.ledger.state.account(accountId),
    currentMarks(venue),
    venue.engine.openOrders(accountId).length,
  );
}

/**
 * The view of `account` at `marks`, with its count of open orders: what `GET /v1/account` answers,
 * on the venue and in the market-data process alike.
 */
export function accountViewOf(accountId: bigint, account: Account, marks: Marks, openOrders: number): AccountView {
  const eq = equity(account, marks);
  const im = initialMarginScaled(account, marks);
  const positions: PositionView[] = [];
  account.positions.forEach((p, i) => {
    if (p.size === 0n) return;
    positions.push({
      instrument: p.instrument,
      name: instrumentName(p.instrument),
      size: p.size,
      cost: p.cost,
      mark: markOf(decodeInstrument(p.instrument), marks),
      pnl: positionValue(p, marks),
      liquidationPrice: liquidationPrice(account, i, marks),
    });
  });
  return {
    accountId,
    collateral: account.collateral,
    equity: eq,
    initialMargin: im / BPS,
    maintenanceMargin: maintenanceMarginScaled(account, marks) / BPS,
    freeCollateral: freeCollateral(account, marks),
    marginUsageBps: eq > 0n ? im / eq : null,
    positions,
    openOrders,
  };
}
