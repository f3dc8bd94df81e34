/**
 * The reference replay of the end-to-end test. The batches the rollup accepted are read back
 * from L1 (`BatchVerified` events and the `submitBatch` calldata of their transactions: header
 * and per-slot public data). They are replayed from genesis through a protocol/ `RollupState`,
 * each under its own context: a slot of a user transaction (deposit, trade, withdrawal, forced
 * withdrawal) takes the next transaction the test itself sent; a slot the venue generated on
 * its own (funding, liquidation, settlement, fee sweep) is decoded from its public data
 * (docs/protocol.md §7). Every replayed slot must produce exactly the public data L1 received,
 * and every batch must end on the state root L1 accepted.
 */
import type { Contract, Provider } from "ethers";
import { decodeSlot, unpackSettlement, unpackSlots } from "../../protocol/pubdata.ts";
import { RollupState } from "../../protocol/state.ts";
import type { SystemAccountKeys } from "../../protocol/state.ts";
import { TxType } from "../../protocol/types.ts";
import type { BatchContext, Profile, Tx, TxTypeCode } from "../../protocol/types.ts";

/** One batch as L1 accepted it. */
export interface AcceptedBatch {
  readonly number: bigint;
  /** The L1 block that verified it. */
  readonly blockNumber: number;
  readonly newStateRoot: bigint;
  readonly context: BatchContext;
  /** Public data per slot, `[f0, f1]`, NOOP padding included. */
  readonly slots: readonly (readonly [bigint, bigint])[];
  /** The header's deposit records `owner, pkHash` (2·D words, docs/protocol.md §8). */
  readonly deposits: readonly bigint[];
  /** The header's instrument table (I words, §8). */
  readonly instruments: readonly bigint[];
}

/** Every batch `rollup` verified, in order, decoded from its `submitBatch` calldata. */
export async function acceptedBatches(rollup: Contract, provider: Provider, domain: bigint): Promise<AcceptedBatch[]> {
  const events = await rollup.queryFilter(rollup.filters["BatchVerified"]!(), 0);
  const batches: AcceptedBatch[] = [];
  for (const event of events) {
    const tx = await provider.getTransaction(event.transactionHash);
    const call = rollup.interface.parseTransaction({ data: tx!.data });
    if (call?.name !== "submitBatch") throw new Error(`batch event from ${call?.name ?? "an unknown call"}`);
    const header = call.args.getValue("header") as {
      newStateRoot: bigint;
      timestamp: bigint;
      prices: bigint[];
      settlements: bigint[];
      instruments: bigint[];
      deposits: bigint[];
    };
    const words = unpackSlots(call.args.getValue("slots") as string);
    const log = rollup.interface.parseLog(event)!;
    batches.push({
      number: log.args.getValue("batchNumber") as bigint,
      blockNumber: event.blockNumber,
      newStateRoot: header.newStateRoot,
      context: {
        timestamp: header.timestamp,
        domain,
        prices: [...header.prices],
        settlements: [...header.settlements].filter((s) => s !== 0n).map(unpackSettlement),
      },
      slots: Array.from({ length: words.length / 2 }, (_, i) => [words[2 * i]!, words[2 * i + 1]!] as const),
      deposits: [...header.deposits],
      instruments: [...header.instruments],
    });
  }
  return batches;
}

/** The transaction of a slot the venue generated, from its public data; null for a user slot. */
function venueTx(f0: bigint, f1: bigint, instruments: readonly bigint[]): Tx | null {
  const d = decodeSlot(f0, f1);
  switch (d.type) {
    case TxType.FUNDING:
      return { type: d.type, underlying: d.underlying, delta: d.delta };
    case TxType.LIQUIDATE:
      return {
        type: d.type,
        accountId: d.taker,
        size: d.size,
        instrument: instruments[Number(d.instrumentIndex)] ?? 0n,
        insurance: d.maker,
      };
    case TxType.SETTLE:
      return { type: d.type, accountId: d.accountId, instrument: d.instrument };
    case TxType.FEE_SWEEP:
      return { type: d.type, amount: d.amount };
    default:
      return null;
  }
}

/** What a withdrawal slot pays out to the account's L1 owner (public data, §7). */
export interface Payout {
  readonly accountId: bigint;
  readonly amount: bigint;
}

export interface Applied {
  readonly batch: bigint;
  readonly tx: Tx;
  /** Set for WITHDRAW and FORCED_WITHDRAW (served amount, possibly 0). */
  readonly payout: Payout | null;
}

export interface Replay {
  readonly state: RollupState;
  /** Every applied transaction in order. */
  readonly applied: readonly Applied[];
  /** The state right before each applied transaction (same index as `applied`). */
  readonly before: readonly RollupState[];
}

/** Replays `batches` from genesis, user slots from `userTxs` in order (see the module comment). */
export function replay(
  profile: Profile,
  system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
  batches: readonly AcceptedBatch[],
  userTxs: readonly Tx[],
): Replay {
  const state = RollupState.genesis(profile, system);
  const applied: Applied[] = [];
  const before: RollupState[] = [];
  let nextUser = 0;
  for (const batch of batches) {
    for (const [slot, [f0, f1]] of batch.slots.entries()) {
      const type = Number(f0 & 0xfn) as TxTypeCode;
      if (type === TxType.NOOP) continue;
      let tx = venueTx(f0, f1, batch.instruments);
      if (tx === null) {
        tx = userTxs[nextUser++] ?? null;
        if (tx?.type !== type) {
          throw new Error(
            `batch ${batch.number} slot ${slot}: L1 has a type ${type} transaction, the test sent ${tx?.type ?? "nothing"}`,
          );
        }
      }
      before.push(state.clone());
      const d = decodeSlot(f0, f1);
      const posted = d.type === TxType.TRADE || d.type === TxType.LIQUIDATE ? d.instrumentIndex : undefined;
      const witness = state.applyTx(tx, batch.context, { instruments: { table: batch.instruments, posted } });
      if (witness.publicData[0] !== f0 || witness.publicData[1] !== f1) {
        throw new Error(`batch ${batch.number} slot ${slot}: the replay's public data differs from L1's`);
      }
      const payout =
        d.type === TxType.WITHDRAW
          ? { accountId: d.accountId, amount: d.amount }
          : d.type === TxType.FORCED_WITHDRAW
            ? { accountId: d.accountId, amount: d.served }
            : null;
      applied.push({ batch: batch.number, tx, payout });
    }
    if (state.stateRoot !== batch.newStateRoot) {
      throw new Error(`batch ${batch.number}: the replay's state root differs from the one L1 accepted`);
    }
  }
  if (nextUser !== userTxs.length) throw new Error(`${userTxs.length - nextUser} sent transactions are in no batch`);
  return { state, applied, before };
}
