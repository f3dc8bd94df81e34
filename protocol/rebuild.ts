/**
 * Rebuilding the rollup state from L1 alone (docs/protocol.md §12): the `submitBatch` calldata
 * of the verified batches (header and every slot's `f0, f1`) is enough to recompute every
 * account, so anyone can produce the exit proof of `RollupState.exitProof` once the operator
 * stops.
 *
 * Each slot's public data is decoded back into the transaction it proves and replayed through
 * the ordinary state transition with `{ proven: true }`. A trade's or withdrawal's public data
 * has no signature, limit or order size: the batch's validity proof already showed them valid,
 * so the replay uses synthetic orders (fill price as the limit, the largest size, the latest
 * expiry, no flags, the posted order id) with the key and signature checks off. Every other rule
 * still runs, and each slot's recomputed public data and each batch's root must equal the
 * posted ones.
 */
import { BITS } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { toField } from "./field.ts";
import { WITHDRAWAL_INSTRUMENT } from "./instruments.ts";
import type { BatchHeader } from "./batch.ts";
import { decodeSlot, fullOrderId, unpackSettlement } from "./pubdata.ts";
import type { DecodedSlot, DepositRecord } from "./pubdata.ts";
import type { ExitProof, RollupState } from "./state.ts";
import { Side, TxType } from "./types.ts";
import type { BatchContext, Order, SignedOrder, Tx } from "./types.ts";

export type RebuildErrorCode =
  "BAD_CALLDATA" | "UNKNOWN_TX_TYPE" | "TX_REJECTED" | "PUBDATA_MISMATCH" | "ROOT_MISMATCH";

/** The posted data does not replay: where (batch number, slot) and why (`code`). */
export class RebuildError extends Error {
  readonly code: RebuildErrorCode;
  /** 1-based number of the batch on L1. */
  readonly batchNumber: bigint;
  /** Slot index in the batch, when the failure is one slot's. */
  readonly slot: number | undefined;

  constructor(code: RebuildErrorCode, batchNumber: bigint, slot: number | undefined, message: string) {
    super(`${code}: batch ${batchNumber}${slot === undefined ? "" : `, slot ${slot}`}: ${message}`);
    this.name = "RebuildError";
    this.code = code;
    this.batchNumber = batchNumber;
    this.slot = slot;
  }
}

/** One verified batch as posted to L1: the `submitBatch` arguments but the proof. */
export interface PostedBatch {
  readonly header: BatchHeader;
  /** `f0, f1` of every slot, `2 · profile.nTx` values (`unpackSlots` of the calldata's `slots`). */
  readonly slots: readonly bigint[];
}

const MAX_SIZE = (1n << BigInt(BITS.size)) - 1n;
const MAX_EXPIRY = (1n << BigInt(BITS.timestamp)) - 1n;
/** Stands in for the signature and key of a synthetic order; never checked in a proven replay. */
const NO_SIGNATURE: Pick<SignedOrder, "signature" | "publicKey"> = {
  signature: { R8x: 0n, R8y: 0n, S: 0n },
  publicKey: { x: 0n, y: 0n },
};

function synthetic(order: Order): SignedOrder {
  return { order, ...NO_SIGNATURE };
}

/** The batch context a header proves: its time and prices, the settlement records in use, `domain`. */
export function contextOf(header: BatchHeader, domain: bigint): BatchContext {
  const used = header.settlements.findIndex((packed) => packed === 0n);
  const records = used < 0 ? header.settlements : header.settlements.slice(0, used);
  return {
    timestamp: header.timestamp,
    domain,
    prices: header.prices.slice(),
    settlements: records.map(unpackSettlement),
  };
}

/**
 * The full id of account `accountId`'s order whose low 32 bits a slot posted, from the state the
 * slot applies to: `fullOrderId` of the id its order-tree slot holds (§5.3).
 */
export type OrderIdOf = (accountId: bigint, posted: bigint) => bigint;

/** `OrderIdOf` reading `state`'s order trees (orderDepth ≤ 32, so the posted bits name the slot). */
export function orderIdsOf(state: Pick<RollupState, "orderState">): OrderIdOf {
  return (accountId, posted) => fullOrderId(state.orderState(accountId, posted).orderId, posted);
}

/**
 * The transaction a decoded slot proves, with synthetic orders for trades and withdrawals; null
 * if unknown. A trade's or withdrawal's order ids come back from their posted bits through
 * `orderIdOf`. A deposit takes its owner and key from `record`, the batch's deposit record of
 * that slot (§8); a trade or liquidation its instrument from `instrument`, the entry of the
 * batch's instrument table its slot names (§8). Null if either is missing where needed.
 */
export function provenTx(
  slot: DecodedSlot,
  orderIdOf: OrderIdOf,
  record?: DepositRecord,
  instrument?: bigint,
): Tx | null {
  switch (slot.type) {
    case TxType.NOOP:
      return { type: TxType.NOOP };
    case TxType.DEPOSIT:
      if (record === undefined) return null;
      return {
        type: TxType.DEPOSIT,
        accountId: slot.accountId,
        owner: record.owner,
        pkHash: record.pkHash,
        amount: slot.amount,
      };
    case TxType.WITHDRAW:
      return {
        type: TxType.WITHDRAW,
        withdrawal: synthetic({
          accountId: slot.accountId,
          instrument: WITHDRAWAL_INSTRUMENT,
          side: Side.BUY,
          size: slot.amount,
          price: 0n,
          orderId: orderIdOf(slot.accountId, slot.orderIdLow),
          expiry: MAX_EXPIRY,
          flags: 0n,
        }),
      };
    case TxType.FORCED_WITHDRAW:
      return { type: TxType.FORCED_WITHDRAW, accountId: slot.accountId, requested: slot.requested };
    case TxType.TRADE: {
      if (instrument === undefined) return null;
      const common = { instrument, size: MAX_SIZE, price: slot.price, expiry: MAX_EXPIRY, flags: 0n };
      const makerSide = slot.takerSide === Side.BUY ? Side.SELL : Side.BUY;
      return {
        type: TxType.TRADE,
        maker: synthetic({
          ...common,
          accountId: slot.maker,
          side: makerSide,
          orderId: orderIdOf(slot.maker, slot.makerOrderIdLow),
        }),
        taker: synthetic({
          ...common,
          accountId: slot.taker,
          side: slot.takerSide,
          orderId: orderIdOf(slot.taker, slot.takerOrderIdLow),
        }),
        size: slot.size,
        price: slot.price,
      };
    }
    case TxType.LIQUIDATE:
      if (instrument === undefined) return null;
      return {
        type: TxType.LIQUIDATE,
        accountId: slot.taker,
        instrument,
        size: slot.size,
        insurance: slot.maker,
      };
    case TxType.FUNDING:
      return { type: TxType.FUNDING, underlying: slot.underlying, delta: slot.delta };
    case TxType.SETTLE:
      return { type: TxType.SETTLE, accountId: slot.accountId, instrument: slot.instrument };
    case TxType.FEE_SWEEP:
      return { type: TxType.FEE_SWEEP, amount: slot.amount };
    case TxType.FORCED_CLOSE:
      return {
        type: TxType.FORCED_CLOSE,
        accountId: slot.accountId,
        instrument: slot.instrument,
        settlement: slot.settlement,
        insurance: slot.insurance,
      };
    default:
      return null;
  }
}

/**
 * Applies one verified batch to `state` in place (batch number `batchNumber`, 1-based, for the
 * errors). Throws `RebuildError` when a slot does not replay, its recomputed public data differs
 * from the posted one, or the resulting state root is not the header's `newStateRoot`; the state
 * is then partly updated and must be discarded.
 */
export function applyPostedBatch(state: RollupState, batch: PostedBatch, domain: bigint, batchNumber: bigint): void {
  const nTx = state.profile.nTx;
  if (batch.slots.length !== 2 * nTx) {
    throw new RebuildError(
      "BAD_CALLDATA",
      batchNumber,
      undefined,
      `expected ${2 * nTx} slot values, got ${batch.slots.length}`,
    );
  }
  const records = batch.header.deposits;
  if (records.length !== 2 * state.profile.deposits) {
    throw new RebuildError(
      "BAD_CALLDATA",
      batchNumber,
      undefined,
      `expected ${2 * state.profile.deposits} deposit record words, got ${records.length}`,
    );
  }
  const table = batch.header.instruments;
  if (table.length !== state.profile.instruments) {
    throw new RebuildError(
      "BAD_CALLDATA",
      batchNumber,
      undefined,
      `expected ${state.profile.instruments} instrument-table entries, got ${table.length}`,
    );
  }
  const ctx = contextOf(batch.header, domain);
  const orderIdOf = orderIdsOf(state);
  let deposits = 0;
  for (let i = 0; i < nTx; i++) {
    const f0 = batch.slots[2 * i]!;
    const f1 = batch.slots[2 * i + 1]!;
    const slot = decodeSlot(f0, f1);
    let record: DepositRecord | undefined;
    if (slot.type === TxType.DEPOSIT) {
      if (deposits >= state.profile.deposits) {
        throw new RebuildError("BAD_CALLDATA", batchNumber, i, `more than ${state.profile.deposits} deposits`);
      }
      record = { owner: records[2 * deposits]!, pkHash: records[2 * deposits + 1]! };
      deposits++;
    }
    const posted = slot.type === TxType.TRADE || slot.type === TxType.LIQUIDATE ? slot.instrumentIndex : undefined;
    if (posted !== undefined && posted >= BigInt(table.length)) {
      throw new RebuildError("BAD_CALLDATA", batchNumber, i, `instrument index ${posted} is past the table`);
    }
    let publicData: readonly [bigint, bigint];
    try {
      const tx = provenTx(slot, orderIdOf, record, posted === undefined ? undefined : table[Number(posted)]);
      if (tx === null) throw new RebuildError("UNKNOWN_TX_TYPE", batchNumber, i, `type code ${Number(f0 & 15n)}`);
      publicData = state.applyTx(tx, ctx, { proven: true, instruments: { table, posted } }).publicData;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      throw new RebuildError("TX_REJECTED", batchNumber, i, e.message);
    }
    if (publicData[0] !== f0 || publicData[1] !== f1) {
      throw new RebuildError(
        "PUBDATA_MISMATCH",
        batchNumber,
        i,
        "the replayed slot's public data differs from the posted one",
      );
    }
  }
  if (records.slice(2 * deposits).some((w) => w !== 0n)) {
    throw new RebuildError("BAD_CALLDATA", batchNumber, undefined, "a deposit record no deposit uses is not 0");
  }
  if (state.stateRoot !== batch.header.newStateRoot) {
    throw new RebuildError(
      "ROOT_MISMATCH",
      batchNumber,
      undefined,
      `rebuilt root ${state.stateRoot} is not the posted ${batch.header.newStateRoot}`,
    );
  }
}

/**
 * The state after the verified `batches` (in L1 order, the first one right after `genesis`),
 * computed from their posted data only. `genesis` is left untouched; `domain` is the rollup's
 * signature domain (`domainSeparator`). `onBatch(done)` reports progress after each batch.
 */
export function rebuildState(
  genesis: RollupState,
  batches: Iterable<PostedBatch>,
  domain: bigint,
  onBatch?: (done: number) => void,
): RollupState {
  const state = genesis.clone();
  let n = 0;
  for (const batch of batches) {
    n++;
    applyPostedBatch(state, batch, domain, BigInt(n));
    onBatch?.(n);
  }
  return state;
}

/** The `exit` arguments of `TesseraRollup` but the settlement round ids, field-encoded (§1). */
export interface ExitArguments {
  readonly accountId: bigint;
  /** `pkHash, owner, collateral, orderRoot`, then `instrument, size, cost` of every position slot. */
  readonly leafPreimage: readonly bigint[];
  /** The account's Merkle path, bottom-up, `profile.accountDepth` values. */
  readonly siblings: readonly bigint[];
  /** `feePool, fundingIndex[1..U], lastFundingTime[1..U]`. */
  readonly globalPreimage: readonly bigint[];
}

/** Encodes an exit proof (`RollupState.exitProof`) the way `TesseraRollup.exit` reads it. */
export function exitArguments(proof: ExitProof): ExitArguments {
  const a = proof.account;
  const g = proof.global;
  return {
    accountId: proof.accountId,
    leafPreimage: [
      a.pkHash,
      a.owner,
      toField(a.collateral),
      a.orderRoot,
      ...a.positions.flatMap((p) => [p.instrument, toField(p.size), toField(p.cost)]),
    ],
    siblings: proof.proof.siblings.slice(),
    globalPreimage: [g.feePool, ...g.fundingIndex.map(toField), ...g.lastFundingTime],
  };
}
