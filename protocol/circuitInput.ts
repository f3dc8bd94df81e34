/**
 * Maps a protocol `Batch` to the input signals of `circuits/batch.circom`'s `Batch` template.
 *
 * This is the only place where circuit signal names meet protocol types. Every value is a
 * field element as a decimal string; signed values (collateral, position size and cost,
 * funding index and delta) go through `toField`. Unused parts of a slot are zero: no order
 * means all order signals 0 (the circuit's disabled signature check substitutes its own key).
 */
import { positionsHash } from "./account.ts";
import { toField } from "./field.ts";
import { decodeSlot } from "./pubdata.ts";
import { proofLength } from "./tree.ts";
import { TxType } from "./types.ts";
import type { Account, AccountUpdate, Batch, OrderUpdate, Profile, TxWitness } from "./types.ts";

/** One input signal value: a decimal string, or a (nested) array of them. */
export type SignalValue = string | SignalValue[];

/** The circuit's input signals by name. */
export type CircuitInput = Record<string, SignalValue>;

const dec = (v: bigint): string => toField(v).toString();

/** Per-slot transaction parameters (`TxParams` in circuits/tx.circom). */
interface TxParams {
  readonly amount: bigint;
  readonly fillSize: bigint;
  readonly fillPrice: bigint;
  /** Trade, liquidation: the instrument's entry in the batch's instrument table (§8), as posted. */
  readonly instIdx: bigint;
  readonly underlying: bigint;
  readonly delta: bigint;
  /** Forced close: the requested instrument and the forced-settlement flag. */
  readonly instrument: bigint;
  readonly flag: bigint;
  /** Forced withdrawal: the amount served (the circuit proves it is min(requested, withdrawable)). */
  readonly served: bigint;
}

const NO_PARAMS: TxParams = {
  amount: 0n,
  fillSize: 0n,
  fillPrice: 0n,
  instIdx: 0n,
  underlying: 0n,
  delta: 0n,
  instrument: 0n,
  flag: 0n,
  served: 0n,
};

/** The instrument-table index a trade's or liquidation's public data posts. */
function postedInstrumentIndex(w: TxWitness): bigint {
  const slot = decodeSlot(...w.publicData);
  return slot.type === TxType.TRADE || slot.type === TxType.LIQUIDATE ? slot.instrumentIndex : 0n;
}

function txParams(w: TxWitness): TxParams {
  const tx = w.tx;
  switch (tx.type) {
    case TxType.DEPOSIT:
      // The owner and key are the batch's deposit record of this slot (public data, §8).
      return { ...NO_PARAMS, amount: tx.amount };
    case TxType.WITHDRAW:
      return { ...NO_PARAMS, amount: tx.withdrawal.order.size };
    case TxType.FORCED_WITHDRAW:
      return { ...NO_PARAMS, amount: tx.requested, served: w.served };
    case TxType.TRADE:
      return { ...NO_PARAMS, fillSize: tx.size, fillPrice: tx.price, instIdx: postedInstrumentIndex(w) };
    case TxType.LIQUIDATE:
      return { ...NO_PARAMS, fillSize: tx.size, instIdx: postedInstrumentIndex(w) };
    case TxType.FUNDING:
      return { ...NO_PARAMS, underlying: BigInt(tx.underlying), delta: tx.delta };
    case TxType.FEE_SWEEP:
      return { ...NO_PARAMS, amount: tx.amount };
    case TxType.FORCED_CLOSE:
      return { ...NO_PARAMS, instrument: tx.instrument, flag: tx.settlement ? 1n : 0n };
    case TxType.NOOP:
    case TxType.SETTLE:
      return NO_PARAMS;
  }
}

/** Account signals `<prefix>Id`, `<prefix>PkHash`, ... of one slot (the account before the slot). */
function accountSignals(update: AccountUpdate): Record<string, SignalValue> {
  const acc: Account = update.before;
  return {
    Id: dec(update.accountId),
    PkHash: dec(acc.pkHash),
    Owner: dec(acc.owner),
    Collateral: dec(acc.collateral),
    OrderRoot: dec(acc.orderRoot),
    PosInst: acc.positions.map((p) => dec(p.instrument)),
    PosSize: acc.positions.map((p) => dec(p.size)),
    PosCost: acc.positions.map((p) => dec(p.cost)),
    Siblings: update.proof.siblings.map(dec),
  };
}

/** Order signals `<prefix>Instrument`, ... of one slot; all zero when the slot has no order. */
function orderSignals(update: OrderUpdate | null, profile: Profile): Record<string, SignalValue> {
  if (update === null) {
    const zero = "0";
    return {
      Instrument: zero,
      Side: zero,
      Size: zero,
      Price: zero,
      OrderId: zero,
      Expiry: zero,
      Flags: zero,
      Ax: zero,
      Ay: zero,
      R8x: zero,
      R8y: zero,
      S: zero,
      StoredId: zero,
      StoredFilled: zero,
      Siblings: Array.from({ length: proofLength(profile.orderDepth) }, () => zero),
    };
  }
  const { order, signature, publicKey } = update.signed;
  return {
    Instrument: dec(order.instrument),
    Side: dec(BigInt(order.side)),
    Size: dec(order.size),
    Price: dec(order.price),
    OrderId: dec(order.orderId),
    Expiry: dec(order.expiry),
    Flags: dec(order.flags),
    Ax: dec(publicKey.x),
    Ay: dec(publicKey.y),
    R8x: dec(signature.R8x),
    R8y: dec(signature.R8y),
    S: dec(signature.S),
    StoredId: dec(update.storedId),
    StoredFilled: dec(update.storedFilled),
    Siblings: update.proof.siblings.map(dec),
  };
}

/** Appends one slot's value of every signal in `signals` to the arrays named `<prefix><key>`. */
function push(out: Record<string, SignalValue[]>, prefix: string, signals: Record<string, SignalValue>): void {
  for (const [key, value] of Object.entries(signals)) {
    (out[`${prefix}${key}`] ??= []).push(value);
  }
}

/**
 * The complete input of the `Batch` circuit for `batch` (docs/circuits.md lists every signal).
 * Throws `RangeError` when the batch does not have exactly `profile.nTx` slots.
 */
export function toCircuitInput(batch: Batch): CircuitInput {
  const { profile } = batch;
  if (batch.witnesses.length !== profile.nTx) {
    throw new RangeError(`batch has ${batch.witnesses.length} slots, profile ${profile.name} needs ${profile.nTx}`);
  }
  const slots: Record<string, SignalValue[]> = {};
  for (const w of batch.witnesses) {
    const p = txParams(w);
    push(slots, "", {
      txType: dec(BigInt(w.tx.type)),
      amount: dec(p.amount),
      fillSize: dec(p.fillSize),
      fillPrice: dec(p.fillPrice),
      instIdx: dec(p.instIdx),
      underlying: dec(p.underlying),
      delta: dec(p.delta),
      instrument: dec(p.instrument),
      flag: dec(p.flag),
      served: dec(p.served),
      settleIdx: dec(BigInt(w.settlementIndex)),
      posSlotA: dec(BigInt(w.posSlotA)),
      posSlotB: dec(BigInt(w.posSlotB)),
    });
    push(slots, "a", accountSignals(w.a));
    push(slots, "b", accountSignals(w.b));
    push(slots, "oa", orderSignals(w.orderA, profile));
    push(slots, "ob", orderSignals(w.orderB, profile));
  }
  const fund = batch.insurance.account;
  return {
    commitment: dec(batch.commitment),
    publicData: batch.publicData.map(dec),
    accountRoot0: dec(batch.accountRootBefore),
    insPkHash: dec(fund.pkHash),
    insOwner: dec(fund.owner),
    insCollateral: dec(fund.collateral),
    insOrderRoot: dec(fund.orderRoot),
    insPositionsHash: dec(positionsHash(fund.positions, profile)),
    insSiblings: batch.insurance.proof.siblings.map(dec),
    feePool0: dec(batch.globalBefore.feePool),
    funding0: batch.globalBefore.fundingIndex.map(dec),
    lastFunding0: batch.globalBefore.lastFundingTime.map(dec),
    ...slots,
  };
}
