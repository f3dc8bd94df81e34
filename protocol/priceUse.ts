/**
 * Which transactions read the batch's oracle prices (issue 14 finding F13, docs/protocol.md §8, docs/contracts.md "A silent feed").
 *
 * Every rule that reads a price (margin, health, withdrawable collateral, the rules price of a
 * liquidation or forced close, the funding cap) belongs to a trade, a liquidation, a withdrawal or
 * forced withdrawal of an account that holds a position, a funding update or a forced close
 * served at the rules price. No-ops, deposits, settlements (at their series' record), fee sweeps,
 * withdrawals flagged `flat` (no position: the circuit proves the flag) and forced closes that are
 * refused or served as a settlement read none. The contract waives its `maxOracleAge` bound for a
 * batch of the latter (`slotsUsePrices` in contracts/TesseraRollup.sol): an oracle outage then
 * stops trading, not deposits.
 *
 * `slotsUsePrices` is the contract's rule on public data, bit for bit (test/contracts/findings
 * compares the two over every type and flag); `txUsesPrices` is the same rule on a transaction
 * before it is applied, for the sequencer, which must never put a price-reading transaction in a
 * batch stamped with a stale round.
 */
import {
  FORCED_CLOSE_SERVED_BIT,
  FORCED_CLOSE_SETTLEMENT_BIT,
  SLOT_INSTRUMENT_BIT,
  FORCED_WITHDRAW_FLAT_BIT,
  WITHDRAW_FLAT_BIT,
} from "./pubdata.ts";
import { BITS } from "./constants.ts";
import type { StateView } from "./check.ts";
import { InstrumentKind, TxType } from "./types.ts";
import type { Tx } from "./types.ts";

const PRICE_FREE_TYPES: ReadonlySet<number> = new Set([TxType.NOOP, TxType.DEPOSIT, TxType.SETTLE, TxType.FEE_SWEEP]);
const MASK_32 = (1n << 32n) - 1n;

/** An option (call or put), read from its id's bits. */
function isOptionId(instrument: bigint): boolean {
  const kind = Number((instrument >> 8n) & 3n);
  return kind === InstrumentKind.CALL || kind === InstrumentKind.PUT;
}

/** An option whose expiry is at or before `t`, read from its id's bits. */
function expiredOptionAt(instrument: bigint, t: bigint): boolean {
  return isOptionId(instrument) && ((instrument >> 50n) & MASK_32) <= t;
}

/**
 * Whether the slot with first word `f0` of a batch stamped `t` reads the batch's prices (the
 * contract's rule; no type needs its f1 for it).
 */
export function slotUsesPrices(f0: bigint, t: bigint): boolean {
  const type = Number(f0 & 0xfn);
  if (PRICE_FREE_TYPES.has(type)) return false;
  // A withdrawal of an account with no position: margin and free collateral are price-free.
  if (type === TxType.WITHDRAW) return ((f0 >> BigInt(WITHDRAW_FLAT_BIT)) & 1n) === 0n;
  if (type === TxType.FORCED_WITHDRAW) return ((f0 >> BigInt(FORCED_WITHDRAW_FLAT_BIT)) & 1n) === 0n;
  if (type === TxType.FORCED_CLOSE) {
    const served = (f0 >> BigInt(FORCED_CLOSE_SERVED_BIT)) & 1n;
    const settlement = (f0 >> BigInt(FORCED_CLOSE_SETTLEMENT_BIT)) & 1n;
    const instrument = (f0 >> BigInt(SLOT_INSTRUMENT_BIT)) & ((1n << BigInt(BITS.instrument)) - 1n);
    if (served === 0n || settlement === 1n || expiredOptionAt(instrument, t)) return false;
  }
  return true;
}

/** Whether any slot of the flattened `f0, f1, f0, f1, …` of a batch stamped `t` reads its prices. */
export function slotsUsePrices(slots: readonly bigint[], t: bigint): boolean {
  for (let i = 0; i + 1 < slots.length; i += 2) if (slotUsesPrices(slots[i]!, t)) return true;
  return false;
}

/**
 * Whether `tx`, applied to `state` (commit or check) in a batch stamped `t`, makes a slot that reads the batch's
 * prices. Exact: a forced close is refused (reads nothing) when the account holds no position in
 * the instrument or a short one in a live option, and is a settlement when it is flagged or its
 * option has expired at `t`.
 */
export function txUsesPrices(tx: Tx, state: Pick<StateView, "account">, t: bigint): boolean {
  if (PRICE_FREE_TYPES.has(tx.type)) return false;
  if (tx.type === TxType.WITHDRAW) return !flat(state, tx.withdrawal.order.accountId);
  if (tx.type === TxType.FORCED_WITHDRAW) return !flat(state, tx.accountId);
  if (tx.type === TxType.FORCED_CLOSE) {
    if (tx.settlement || expiredOptionAt(tx.instrument, t)) return false;
    // Served iff a slot of the account holds the instrument (the circuit's count, §6.10), unless
    // it is a short position in a (live, here) option (finding F17).
    const held = state.account(tx.accountId).positions.find((p) => p.instrument === tx.instrument);
    return held !== undefined && !(held.size < 0n && isOptionId(tx.instrument));
  }
  return true;
}

/** Every position size of the account is 0 (the circuit's `noOpenA`): its withdrawals read no price. */
function flat(state: Pick<StateView, "account">, accountId: bigint): boolean {
  return state.account(accountId).positions.every((p) => p.size === 0n);
}
