/**
 * The batch builder: the commit half of protocol/'s transition, off the per-command path.
 *
 * The core (sequencer/core/sequencer.ts, through ProtocolLedger) accepts each transaction with `check`
 * alone: protocol/'s rules on plain records (protocol/check.ts), no hashing. When a batch
 * closes, the builder replays its transactions on the commit state (protocol/'s `RollupState`
 * and `BatchBuilder`: Merkle trees, every signature and key binding checked again, the slot
 * witnesses and public inputs), then compares the records it reached with the core's.
 *
 * Guarantee (fail closed): a batch the full transition refuses, or whose accounts, order slots
 * or global state differ from the core's, is never handed to the provers. `build` throws
 * `BuilderDisagreementError`; the venue takes no further command (HALTED, with the batch and
 * the reason in `GET /v1/status`), since every acknowledgement from there on would rest on a
 * state no proof can reach. Both halves run the same rule code, so this is a bug in protocol/'s
 * stores or in the sequencer, never a trader's doing.
 */
import type { StateView } from "../../protocol/check.ts";
import type { OrderSlot } from "../../protocol/transition.ts";
import { BatchBuilder } from "../../protocol/batch.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import type { RollupState } from "../../protocol/state.ts";
import { FEE_ACCOUNT } from "../../protocol/constants.ts";
import { TxType } from "../../protocol/types.ts";
import type { Account, Batch, BatchContext, GlobalState, Tx } from "../../protocol/types.ts";

/** A closed batch as the core accepted it: what the builder replays. */
export interface AcceptedBatch {
  readonly number: bigint;
  readonly context: BatchContext;
  /** Opened while a price round was older than L1's maxOracleAge (no price-reading slot). */
  readonly pricesStale: boolean;
  readonly txs: readonly Tx[];
}

/**
 * What the builder compares its records with: the core's records a batch touched, at the end of
 * the batch, as plain data (it crosses to the builder's process): every account its
 * transactions wrote (and account 0, which padding and one-account types use), every order slot
 * its fills and withdrawals wrote, the global state.
 */
export interface RecordsSnapshot {
  readonly accounts: readonly (readonly [bigint, Account])[];
  readonly orders: readonly (readonly [bigint, bigint, OrderSlot])[];
  readonly global: GlobalState;
}

/** The order slots `tx` writes: `[accountId, orderId]` of its orders. */
export function ordersOf(tx: Tx): (readonly [bigint, bigint])[] {
  if (tx.type === TxType.TRADE)
    return [
      [tx.maker.order.accountId, tx.maker.order.orderId],
      [tx.taker.order.accountId, tx.taker.order.orderId],
    ];
  if (tx.type === TxType.WITHDRAW) return [[tx.withdrawal.order.accountId, tx.withdrawal.order.orderId]];
  return [];
}

export function snapshotRecords(
  core: Pick<StateView, "account" | "orderState" | "globalState">,
  accounts: Iterable<bigint>,
  orders: Iterable<readonly [bigint, bigint]>,
): RecordsSnapshot {
  const ids = new Set<bigint>(accounts).add(FEE_ACCOUNT);
  return {
    accounts: [...ids].map((id) => [id, core.account(id)] as const),
    orders: [...orders].map(([a, o]) => [a, o, core.orderState(a, o)] as const),
    global: core.globalState,
  };
}

/** The builder refused a batch the core accepted, or reached other records (see the header). */
export class BuilderDisagreementError extends Error {
  readonly code = "BUILDER_DISAGREEMENT";

  constructor(
    readonly batch: bigint,
    /** What differs, without the batch. */
    readonly reason: string,
  ) {
    super(`batch ${batch}: the batch builder disagrees with the core: ${reason}`);
    this.name = "BuilderDisagreementError";
  }
}

function sameAccount(x: Account, y: Account): boolean {
  return (
    x.pkHash === y.pkHash &&
    x.owner === y.owner &&
    x.collateral === y.collateral &&
    x.positions.length === y.positions.length &&
    x.positions.every((p, i) => {
      const q = y.positions[i]!;
      return p.instrument === q.instrument && p.size === q.size && p.cost === q.cost;
    })
  );
}

function sameGlobal(x: GlobalState, y: GlobalState): boolean {
  const same = (a: readonly bigint[], b: readonly bigint[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  return x.feePool === y.feePool && same(x.fundingIndex, y.fundingIndex) && same(x.lastFundingTime, y.lastFundingTime);
}

/**
 * Replays `accepted` on `committed` (which it advances to the batch's end) and returns the
 * batch with its witnesses and public inputs. `core` holds the core's records at the same point,
 * the end of this batch; a record the builder wrote and the core did not is a disagreement too.
 * Throws `BuilderDisagreementError` (see the header).
 */
/**
 * What the core reads of a built batch (its summary for `/v1/batches` and its root); the
 * witnesses, the bulk of a batch, only the provers and the submitter read. The builder process
 * sends it beside the batch's bytes, so the core never decodes a batch it only records.
 */
export interface BatchHead {
  readonly oldStateRoot: bigint;
  readonly newStateRoot: bigint;
  /** The batch context's time, unix seconds. */
  readonly timestamp: bigint;
  readonly publicInputs: readonly bigint[];
  /** Transactions by type name (lower case, `TxType`'s names), padding no-ops included. */
  readonly txTypes: Readonly<Record<string, number>>;
}

const TX_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(TxType).map(([name, code]) => [code, name.toLowerCase()]),
);

export function batchHead(batch: Batch): BatchHead {
  const txTypes: Record<string, number> = {};
  for (const w of batch.witnesses) {
    const name = TX_TYPE_NAMES[w.tx.type]!;
    txTypes[name] = (txTypes[name] ?? 0) + 1;
  }
  return {
    oldStateRoot: batch.oldStateRoot,
    newStateRoot: batch.newStateRoot,
    timestamp: batch.context.timestamp,
    publicInputs: batch.publicInputs,
    txTypes,
  };
}

export function buildBatch(committed: RollupState, accepted: AcceptedBatch, core: RecordsSnapshot): Batch {
  const fail = (why: string): never => {
    throw new BuilderDisagreementError(accepted.number, why);
  };
  let builder: BatchBuilder;
  try {
    builder = new BatchBuilder(committed, accepted.context, { pricesStale: accepted.pricesStale });
  } catch (e) {
    if (e instanceof ProtocolError) fail(`its context is refused (${e.code}: ${e.message})`);
    throw e;
  }
  accepted.txs.forEach((tx, slot) => {
    try {
      builder.add(tx);
    } catch (e) {
      if (e instanceof ProtocolError) fail(`slot ${slot} (type ${tx.type}) is refused: ${e.code}: ${e.message}`);
      throw e;
    }
  });
  const batch = builder.close();
  const accounts = new Set<bigint>();
  const orders: { accountId: bigint; orderId: bigint }[] = [];
  for (const w of batch.witnesses) {
    accounts.add(w.a.accountId).add(w.b.accountId);
    for (const o of [w.orderA, w.orderB])
      if (o !== null) orders.push({ accountId: o.signed.order.accountId, orderId: o.signed.order.orderId });
  }
  const coreAccounts = new Map(core.accounts);
  const coreOrders = new Map(core.orders.map(([a, o, slot]) => [`${a}:${o}`, slot]));
  for (const id of accounts) {
    const y = coreAccounts.get(id) ?? fail(`account ${id} was written by the builder, not by the core`);
    if (!sameAccount(committed.account(id), y)) fail(`account ${id} ends the batch with other records than the core's`);
  }
  for (const { accountId, orderId } of orders) {
    const x = committed.orderState(accountId, orderId);
    const y =
      coreOrders.get(`${accountId}:${orderId}`) ??
      fail(`order ${orderId} of account ${accountId} was filled by the builder, not by the core`);
    if (x.orderId !== y.orderId || x.filled !== y.filled)
      fail(`order ${orderId} of account ${accountId} ends the batch with another fill than the core's`);
  }
  if (!sameGlobal(committed.globalState, core.global))
    fail("the global state (fee pool, funding) ends the batch other than the core's");
  return batch;
}
