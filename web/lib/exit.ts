/**
 * The exodus exit from L1 data alone: read every verified batch's `submitBatch` calldata,
 * rebuild the state with protocol/rebuild.ts, check it against the rollup's last verified root,
 * and encode the `exit` arguments of each account the wallet owns. Nothing comes from the
 * sequencer, which may be gone.
 */
import type { Address, PublicClient } from "viem";
import { decodeInstrument, isOption } from "../../protocol/instruments.ts";
import { initPoseidon } from "../../protocol/poseidon.ts";
import { applyPostedBatch, exitArguments } from "../../protocol/rebuild.ts";
import type { ExitArguments } from "../../protocol/rebuild.ts";
import { RollupState } from "../../protocol/state.ts";
import { feedAbi, rollupAbi } from "./contracts.ts";
import type { Deployment } from "./deployment.ts";
import { readBatchCalldata, readVerifiedBatches } from "./verifiedBatches.ts";

/** Feed rounds walked back from the latest at most, looking for the one in force at an expiry. */
const MAX_ROUNDS_BACK = 10_000;

export type ExitErrorCode = "MISSING_BATCHES" | "GENESIS_MISMATCH" | "STALE_ROOT" | "NO_ACCOUNT" | "NO_ROUND";

/** The exit could not be prepared from L1; the message says why in plain words. */
export class ExitError extends Error {
  readonly code: ExitErrorCode;

  constructor(code: ExitErrorCode, message: string) {
    super(message);
    this.name = "ExitError";
    this.code = code;
  }
}

/** Where the preparation is, for the progress line. */
export type ExitProgress =
  | { readonly phase: "reading"; readonly done: number; readonly total: number }
  | { readonly phase: "rebuilding"; readonly done: number; readonly total: number }
  | { readonly phase: "proving" };

/** Everything `exit` needs for one account. */
export interface PreparedExit {
  readonly args: ExitArguments;
  /** Per position slot: the feed round in force at expiry for an option expired at the last batch, else 0. */
  readonly settlementRoundIds: readonly bigint[];
}

/** Lets the browser paint the progress between two pieces of synchronous work. */
const yieldToBrowser = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Rebuilds the last verified state from L1 and prepares the exit of every account registered to
 * `owner` that the state holds and that has not exited yet.
 */
export async function prepareExits(
  client: PublicClient,
  deployment: Deployment,
  domain: bigint,
  owner: Address,
  onProgress: (progress: ExitProgress) => void,
): Promise<PreparedExit[]> {
  const rollup = { address: deployment.contracts.rollup, abi: rollupAbi } as const;
  const fromBlock = BigInt(deployment.deployBlock);
  const ownerOf = (id: bigint) => client.readContract({ ...rollup, functionName: "accountOwner", args: [id] });
  const pkHashOf = (id: bigint) => client.readContract({ ...rollup, functionName: "accountPkHash", args: [id] });
  const [stateRoot, batchNumber, lastBatchTimestamp, feeds, feeOwner, feePkHash, insOwner, insPkHash] =
    await Promise.all([
      client.readContract({ ...rollup, functionName: "stateRoot" }),
      client.readContract({ ...rollup, functionName: "batchNumber" }),
      client.readContract({ ...rollup, functionName: "lastBatchTimestamp" }),
      client.readContract({ ...rollup, functionName: "feeds" }),
      ownerOf(0n),
      pkHashOf(0n),
      ownerOf(1n),
      pkHashOf(1n),
    ]);
  const registered = await client.getContractEvents({
    ...rollup,
    eventName: "AccountRegistered",
    args: { owner },
    fromBlock,
  });
  const candidates = registered.map((log) => log.args.accountId!);
  const exited = await Promise.all(
    candidates.map((id) => client.readContract({ ...rollup, functionName: "exited", args: [id] })),
  );
  const ids = candidates.filter((_, i) => !exited[i]);
  if (ids.length === 0) {
    throw new ExitError(
      "NO_ACCOUNT",
      candidates.length === 0
        ? "This wallet owns no account on the rollup."
        : "Every account of this wallet has already exited.",
    );
  }

  const batches = await readVerifiedBatches(client, deployment.contracts.rollup, fromBlock);
  if (BigInt(batches.length) !== batchNumber) {
    throw new ExitError(
      "MISSING_BATCHES",
      `The rollup verified ${batchNumber} batches but the node returned ${batches.length} of their events. Use a node that keeps the rollup's whole history.`,
    );
  }
  const calldata = [];
  for (const [i, batch] of batches.entries()) {
    onProgress({ phase: "reading", done: i, total: batches.length });
    calldata.push(await readBatchCalldata(client, batch));
  }

  await initPoseidon();
  const state = RollupState.genesis(deployment.profile, {
    feeAccount: { pkHash: feePkHash, owner: BigInt(feeOwner) },
    insurance: { pkHash: insPkHash, owner: BigInt(insOwner) },
  });
  const genesisRoot = batches[0]?.oldStateRoot ?? stateRoot;
  if (state.stateRoot !== genesisRoot) {
    throw new ExitError(
      "GENESIS_MISMATCH",
      `The genesis state built from the rollup's system accounts does not match the first batch. Is the deployment's profile (${deployment.profile.name}) the one the rollup runs?`,
    );
  }
  for (const [i, data] of calldata.entries()) {
    onProgress({ phase: "rebuilding", done: i, total: calldata.length });
    await yieldToBrowser();
    applyPostedBatch(state, data, domain, batches[i]!.number);
  }
  if (state.stateRoot !== stateRoot) {
    throw new ExitError("STALE_ROOT", "A new batch was verified while the state was rebuilt. Try again.");
  }

  onProgress({ phase: "proving" });
  await yieldToBrowser();
  // An account whose first deposit no batch served is not in the state: its deposit is refunded instead.
  const inState = ids.filter((id) => state.account(id).owner === BigInt(owner));
  if (inState.length === 0) {
    throw new ExitError(
      "NO_ACCOUNT",
      "No account of this wallet is in the last verified state: refund its unserved deposits instead.",
    );
  }
  return Promise.all(
    inState.map(async (id) => {
      const proof = state.exitProof(id);
      const settlementRoundIds = await Promise.all(
        proof.account.positions.map((position) => {
          if (position.size === 0n) return 0n;
          const spec = decodeInstrument(position.instrument);
          if (!isOption(spec) || spec.expiry > lastBatchTimestamp) return 0n;
          return roundInForceAt(client, feeds[spec.underlying - 1]!, spec.expiry);
        }),
      );
      return { args: exitArguments(proof), settlementRoundIds };
    }),
  );
}

/** The feed round whose answer was in force at `at`: the last one updated at or before it. */
async function roundInForceAt(client: PublicClient, feed: Address, at: bigint): Promise<bigint> {
  const latest = await client.readContract({ address: feed, abi: feedAbi, functionName: "latestRoundData" });
  let [id, , , updatedAt] = latest;
  for (let steps = 0; updatedAt > at; steps++) {
    if (steps === MAX_ROUNDS_BACK || id <= 1n) {
      throw new ExitError(
        "NO_ROUND",
        `The price feed ${feed} has no round in force at ${at}, so an option cannot be valued.`,
      );
    }
    id -= 1n;
    [, , , updatedAt] = await client.readContract({
      address: feed,
      abi: feedAbi,
      functionName: "getRoundData",
      args: [id],
    });
  }
  return id;
}
