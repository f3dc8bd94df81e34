/**
 * The verified batches, read from L1 alone: the `BatchVerified` events of the rollup and the
 * `submitBatch` calldata of the transactions that emitted them (docs/protocol.md §8.1). The batch
 * explorer shows them; the exodus exit replays them (protocol/rebuild.ts).
 */
import { decodeFunctionData } from "viem";
import type { Address, Hash, PublicClient } from "viem";
import type { BatchHeader } from "../../protocol/batch.ts";
import { unpackSlots } from "../../protocol/pubdata.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import { rollupAbi } from "./contracts.ts";

/** One `BatchVerified` event. */
export interface VerifiedBatch {
  readonly number: bigint;
  readonly oldStateRoot: bigint;
  readonly newStateRoot: bigint;
  readonly timestamp: bigint;
  readonly priorityOps: bigint;
  readonly txHash: Hash;
  readonly block: bigint;
}

/** The `submitBatch` arguments of a verified batch. */
export interface BatchCalldata {
  readonly header: BatchHeader;
  /** f0, f1 of every slot, unpacked from the calldata's 24 bytes per slot (`unpackSlots`, §7). */
  readonly slots: readonly bigint[];
  readonly proof: SolidityProof;
}

/** Every verified batch of `rollup` since `fromBlock`, oldest first. */
export async function readVerifiedBatches(
  client: PublicClient,
  rollup: Address,
  fromBlock: bigint,
): Promise<VerifiedBatch[]> {
  const logs = await client.getContractEvents({
    address: rollup,
    abi: rollupAbi,
    eventName: "BatchVerified",
    fromBlock,
  });
  return logs.map((l) => ({
    number: l.args.batchNumber!,
    oldStateRoot: l.args.oldStateRoot!,
    newStateRoot: l.args.newStateRoot!,
    timestamp: l.args.timestamp!,
    priorityOps: l.args.priorityOpsConsumed!,
    txHash: l.transactionHash,
    block: l.blockNumber,
  }));
}

/** The `submitBatch` arguments of a verified batch, read from its L1 transaction. */
export async function readBatchCalldata(client: PublicClient, batch: VerifiedBatch): Promise<BatchCalldata> {
  const tx = await client.getTransaction({ hash: batch.txHash });
  const call = decodeFunctionData({ abi: rollupAbi, data: tx.input });
  if (call.functionName !== "submitBatch") {
    throw new Error(
      `Batch ${batch.number} was submitted through another contract, so its calldata cannot be read directly.`,
    );
  }
  const [header, slots, proof] = call.args;
  return { header, slots: unpackSlots(slots), proof: proof as unknown as SolidityProof };
}
