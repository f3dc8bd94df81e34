/**
 * The liquidation engine (docs/protocol.md §6.4). After every oracle price change and every
 * funding update, each registered account below maintenance margin at the latest prices
 * (protocol/'s `belowMM`) is liquidated through protocol LIQUIDATE transactions, before any
 * further fill at those prices:
 *
 * - the open batch is closed first unless it already carries the latest prices, so the
 *   liquidations (and every later fill) are checked at them (once the first liquidation is
 *   known to pass there: a pass that liquidates nothing closes nothing);
 * - every resting order of the account is cancelled (reason `liquidation`): they were placed
 *   against margin the account no longer has;
 * - an account holding an expired option that is not settled yet waits for its settlement
 *   (protocol/ refuses every margin check of it until then, finding F4);
 * - positions that carry maintenance margin (perps, short options) are taken over by an
 *   insurance fund account one at a time, largest notional first (`|size| × price[u]`), each
 *   for the most protocol/ allows (`largestLiquidation`: no more than brings the account back
 *   to maintenance margin), until the account is no longer below it. The fund account is the
 *   first (account 1 first, then the others its owner registered) that holds the instrument,
 *   else the first with a free slot. A liquidation protocol/ refuses (e.g. `NO_POSITION_SLOT`:
 *   no fund account has room, and the fund's owner must register another) is reported as
 *   skipped and the next position is tried.
 *
 * The accounts to check come from the ledger's liquidation index (risk/candidates.ts), which
 * returns every account below maintenance margin (and perhaps others, which `belowMM` then
 * passes) without scanning every account per tick; `scan: "full"` checks every registered
 * account instead, with the same result.
 *
 * Deterministic: a pure function of the venue's state, prices and `now`.
 */
import { ProtocolError } from "../../../protocol/errors.ts";
import { findSlot } from "../../../protocol/account.ts";
import { INSURANCE_ACCOUNT } from "../../../protocol/constants.ts";
import { decodeInstrument } from "../../../protocol/instruments.ts";
import { belowMM, expiredOption } from "../../../protocol/margin.ts";
import { largestLiquidation } from "../../../protocol/transition.ts";
import type { StateView } from "../../../protocol/check.ts";
import { abs } from "../../../protocol/field.ts";
import { Side, TxType } from "../../../protocol/types.ts";
import type { BatchContext, Position } from "../../../protocol/types.ts";
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

/** The first of the insurance fund accounts `funds` that holds `instrument`, or null. */
export function holdingFund(state: StateView, funds: readonly bigint[], instrument: bigint): bigint | null {
  return funds.find((id) => findSlot(state.account(id), instrument) >= 0) ?? null;
}

/** The insurance fund account to take `instrument`: one that holds it, else one with a free slot. */
export function fundAccountFor(state: StateView, funds: readonly bigint[], instrument: bigint): bigint | null {
  return (
    holdingFund(state, funds, instrument) ??
    funds.find((id) => state.account(id).positions.some((p) => p.size === 0n)) ??
    null
  );
}

/** The insurance fund accounts (docs/protocol.md §4.1): account 1, then the registered ones, in registration order. */
export function fundAccounts(ledger: ProtocolLedger): bigint[] {
  const state = ledger.state;
  return [
    INSURANCE_ACCOUNT,
    ...[...ledger.registeredAccounts()].filter((id) => id !== INSURANCE_ACCOUNT && state.isInsuranceAccount(id)),
  ];
}

/**
 * How a pass finds the accounts to check: `index`, the ledger's liquidation index (only
 * accounts whose interval the prices left, or whose record or funding changed:
 * risk/candidates.ts); `full`, every registered account. Both liquidate the same accounts in the
 * same order (registration order); `full` is the reference the index is tested against.
 */
export type CandidateScan = "index" | "full";

/** Liquidates every registered account below maintenance margin at the latest oracle prices. */
export function liquidateUnderwater(
  ledger: ProtocolLedger,
  engine: MatchingEngine,
  now: bigint,
  scan: CandidateScan = "index",
): RiskActions {
  const prices = ledger.oraclePrices;
  const state = ledger.state;
  const t = ledger.context(now).timestamp;
  const candidates =
    scan === "index" ? ledger.liquidationIndex.candidates(state, prices) : [...ledger.registeredAccounts()];
  const underwater = candidates.filter(
    (id) =>
      !state.isInsuranceAccount(id) &&
      belowMM(state.account(id), state.marks(prices)) &&
      expiredOption(state.account(id), t) === null,
  );
  if (underwater.length === 0) return NO_RISK_ACTIONS;
  // Only when someone is liquidated: the fund accounts are found by a scan.
  const funds = fundAccounts(ledger);
  // Checked at the latest prices: an open batch without them closes once a liquidation passes.
  const latest = (ctx: BatchContext): boolean => samePrices(ctx.prices, prices);
  if (ledger.closeBeforeCheck) ledger.ensureContext(now, latest);

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
      // Long options carry no maintenance margin: largestLiquidation gives 0 for them.
      const size = largestLiquidation(account, position.instrument, state.marks(prices));
      if (size === 0n) continue;
      const insurance = fundAccountFor(state, funds, position.instrument);
      if (insurance === null) {
        skipped.push({ accountId, instrument: position.instrument, code: "NO_POSITION_SLOT" });
        continue;
      }
      try {
        const at = ledger.apply(
          { type: TxType.LIQUIDATE, accountId, instrument: position.instrument, size, insurance },
          now,
          latest,
        );
        fills.push({
          tradeId: engine.allocateTradeId(),
          kind: "liquidation",
          instrument: position.instrument,
          price: at.liquidationPrice,
          size,
          takerSide: position.size > 0n ? Side.SELL : Side.BUY,
          makerAccount: insurance,
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
