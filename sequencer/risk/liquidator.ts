/**
 * The liquidation engine (docs/protocol.md §6.4). After every oracle price change and every
 * funding update, each registered account below maintenance margin at the latest prices
 * (protocol/'s `belowMM`) is liquidated through protocol LIQUIDATE transactions, before any
 * further fill at those prices:
 *
 * - the open batch is closed first unless it already carries the latest prices, so the
 *   liquidations (and every later fill) are checked at them;
 * - every resting order of the account is cancelled (reason `liquidation`): they were placed
 *   against margin the account no longer has;
 * - positions are taken over by the insurance fund one at a time, largest notional first
 *   (`|size| × price[u]`), in full, until the account is no longer below maintenance margin
 *   or holds nothing. A liquidation protocol/ refuses (e.g. `NO_POSITION_SLOT`: the insurance
 *   fund has no free slot) is reported as skipped and the next position is tried.
 *
 * Deterministic: a pure function of the venue's state, prices and `now`.
 */
import { ProtocolError } from "../../protocol/errors.ts";
import { INSURANCE_ACCOUNT } from "../../protocol/constants.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import { belowMM } from "../../protocol/margin.ts";
import { abs } from "../../protocol/field.ts";
import { Side, TxType } from "../../protocol/types.ts";
import type { Position } from "../../protocol/types.ts";
import type { CancelledOrder, Fill, MatchingEngine } from "../engine/engine.ts";
import type { ProtocolLedger } from "../ledger.ts";

/** A liquidation protocol/ refused. */
export interface SkippedLiquidation {
  readonly accountId: bigint;
  readonly instrument: bigint;
  readonly code: string;
}

/** What the risk engine did: liquidation fills, cancelled orders, refused liquidations. */
export interface RiskActions {
  readonly fills: readonly Fill[];
  readonly cancelled: readonly CancelledOrder[];
  readonly skipped: readonly SkippedLiquidation[];
}

export const NO_RISK_ACTIONS: RiskActions = { fills: [], cancelled: [], skipped: [] };

function samePrices(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Open positions by notional at `prices`, largest first (ties: lower instrument id first). */
function largestFirst(positions: readonly Position[], prices: readonly bigint[]): Position[] {
  const notional = (p: Position): bigint => abs(p.size) * prices[decodeInstrument(p.instrument).underlying - 1]!;
  return positions
    .filter((p) => p.size !== 0n)
    .sort((x, y) => {
      const d = notional(y) - notional(x);
      if (d !== 0n) return d > 0n ? 1 : -1;
      return x.instrument < y.instrument ? -1 : 1;
    });
}

/** Liquidates every registered account below maintenance margin at the latest oracle prices. */
export function liquidateUnderwater(ledger: ProtocolLedger, engine: MatchingEngine, now: bigint): RiskActions {
  const prices = ledger.oraclePrices;
  const state = ledger.state;
  const underwater = [...ledger.registeredAccounts()].filter(
    (id) => id !== INSURANCE_ACCOUNT && belowMM(state.account(id), state.marks(prices)),
  );
  if (underwater.length === 0) return NO_RISK_ACTIONS;
  ledger.ensureContext(now, (ctx) => samePrices(ctx.prices, prices));

  const fills: Fill[] = [];
  const cancelled: CancelledOrder[] = [];
  const skipped: SkippedLiquidation[] = [];
  for (const accountId of underwater) {
    cancelled.push(...engine.cancelAll(accountId, null, "liquidation"));
    const tried = new Set<bigint>();
    for (;;) {
      const account = state.account(accountId);
      if (!belowMM(account, state.marks(prices))) break;
      const position = largestFirst(account.positions, prices).find((p) => !tried.has(p.instrument));
      if (position === undefined) break;
      tried.add(position.instrument);
      const size = abs(position.size);
      try {
        const at = ledger.apply({ type: TxType.LIQUIDATE, accountId, instrument: position.instrument, size }, now);
        fills.push({
          tradeId: engine.allocateTradeId(),
          kind: "liquidation",
          instrument: position.instrument,
          price: at.liquidationPrice,
          size,
          takerSide: position.size > 0n ? Side.SELL : Side.BUY,
          makerAccount: INSURANCE_ACCOUNT,
          makerOrderId: 0n,
          takerAccount: accountId,
          takerOrderId: 0n,
          batch: at.batch,
          slot: at.slot,
          time: now,
        });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        skipped.push({ accountId, instrument: position.instrument, code: e.code });
      }
    }
  }
  return { fills, cancelled, skipped };
}
