/**
 * The exodus exit from L1 data alone: read every verified batch's `submitBatch` calldata, then
 * rebuild the state from it in a dedicated Web Worker (exit.worker.ts, exitWorkerJob.ts:
 * protocol/rebuild.ts replay, root check, exit arguments) while the page shows the progress,
 * and add the feed rounds that value options expired by the last batch, each a round of the feed
 * in force at the option's expiry (the rollup's `feedInForceAt`: a feed replaced after the expiry
 * still prices it). Nothing comes from the sequencer, which may be gone.
 */
import type { Address, PublicClient } from "viem";
import { roundInForceAt as inForceAt, roundInForceAtBisect, usableAt } from "../../protocol/feedRounds.ts";
import type { FeedRound } from "../../protocol/feedRounds.ts";
import { decodeInstrument, isOption } from "../../protocol/instruments.ts";
import type { ExitArguments } from "../../protocol/rebuild.ts";
import { feedAbi, rollupAbi } from "./contracts.ts";
import type { Deployment } from "./deployment.ts";
import { ExitError, fromFailure } from "./exitWorkerJob.ts";
import type { NumberedBatch, RebuildRequest, RebuiltExit, WorkerMessage } from "./exitWorkerJob.ts";
import { readBatchCalldata, readVerifiedBatches } from "./verifiedBatches.ts";

/**
 * Feed rounds walked back from the latest at most, looking for the one in force at an expiry,
 * when the bisection (O(log n) reads however far back) finds none the rollup would accept.
 */
const MAX_ROUNDS_BACK = 10_000;

/** Where the preparation is, for the progress line. */
export type ExitProgress =
  | { readonly phase: "reading"; readonly done: number; readonly total: number }
  | {
      readonly phase: "rebuilding";
      readonly done: number;
      readonly total: number;
      /** Estimated seconds until the replay ends, from the pace so far (display only); null before the first batch. */
      readonly secondsLeft: number | null;
    };

/** Everything `exit` needs for one account. */
export interface PreparedExit {
  readonly args: ExitArguments;
  /** Per position slot: the feed round in force at expiry for an option expired at the last batch, else 0. */
  readonly settlementRoundIds: readonly bigint[];
}

const cancelled = () => new ExitError("CANCELLED", "The exit was cancelled before it was sent.");

/**
 * Reads the verified batches from L1, rebuilds the last verified state in a worker and prepares
 * the exit of every account registered to `owner` that the state holds and that has not exited
 * yet. Aborting `signal` stops the reads and terminates the worker (rejecting with `CANCELLED`).
 * Rejects with `ExitError` or, when a posted batch does not replay, protocol/rebuild.ts's `RebuildError`.
 */
export async function prepareExits(
  client: PublicClient,
  deployment: Deployment,
  domain: bigint,
  owner: Address,
  onProgress: (progress: ExitProgress) => void,
  signal: AbortSignal,
): Promise<PreparedExit[]> {
  const rollup = { address: deployment.contracts.rollup, abi: rollupAbi } as const;
  const fromBlock = BigInt(deployment.deployBlock);
  const ownerOf = (id: bigint) => client.readContract({ ...rollup, functionName: "accountOwner", args: [id] });
  const pkHashOf = (id: bigint) => client.readContract({ ...rollup, functionName: "accountPkHash", args: [id] });
  const [stateRoot, batchNumber, lastBatchTimestamp, feeOwner, feePkHash, insOwner, insPkHash] = await Promise.all([
    client.readContract({ ...rollup, functionName: "stateRoot" }),
    client.readContract({ ...rollup, functionName: "batchNumber" }),
    client.readContract({ ...rollup, functionName: "lastBatchTimestamp" }),
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
  const accountIds = candidates.filter((_, i) => !exited[i]);
  if (accountIds.length === 0) {
    throw new ExitError(
      "NO_ACCOUNT",
      candidates.length === 0
        ? "This wallet owns no account on the rollup."
        : "Every account of this wallet has already exited.",
    );
  }

  const verified = await readVerifiedBatches(client, deployment.contracts.rollup, fromBlock);
  if (BigInt(verified.length) !== batchNumber) {
    throw new ExitError(
      "MISSING_BATCHES",
      `The rollup verified ${batchNumber} batches but the node returned ${verified.length} of their events. Use a node that keeps the rollup's whole history.`,
    );
  }
  const batches: NumberedBatch[] = [];
  for (const [i, batch] of verified.entries()) {
    if (signal.aborted) throw cancelled();
    onProgress({ phase: "reading", done: i, total: verified.length });
    const { header, slots } = await readBatchCalldata(client, batch);
    batches.push({ number: batch.number, header, slots });
  }

  const rebuilt = await runRebuildWorker(
    {
      profile: deployment.profile.name,
      system: {
        feeAccount: { pkHash: feePkHash, owner: BigInt(feeOwner) },
        insurance: { pkHash: insPkHash, owner: BigInt(insOwner) },
      },
      genesisRoot: verified[0]?.oldStateRoot ?? stateRoot,
      batches,
      domain,
      stateRoot,
      owner: BigInt(owner),
      accountIds,
    },
    onProgress,
    signal,
  );
  return Promise.all(
    rebuilt.map(async ({ args, positions }) => {
      const settlementRoundIds = await Promise.all(
        positions.map((position) => {
          if (position.size === 0n) return 0n;
          const spec = decodeInstrument(position.instrument);
          if (!isOption(spec) || spec.expiry > lastBatchTimestamp) return 0n;
          return settlementRoundAt(client, rollup, spec.underlying, spec.expiry);
        }),
      );
      return { args, settlementRoundIds };
    }),
  );
}

/** The exits of a wallet registered in the claim window and not paid yet (issue 14 F12). */
export interface RegisteredExits {
  /** Account ids, with the equity each registered. */
  readonly accounts: readonly { readonly accountId: bigint; readonly equity: bigint }[];
  /** Last second of the claim window; `payExit` works after it. */
  readonly windowEnd: bigint;
  /** The chain's latest block time. */
  readonly chainTime: bigint;
}

/**
 * The accounts of `owner` whose exit is registered but not yet paid: during the claim window
 * `exit` only registers the equity; after it, `payExit` pays each the same share of the custody.
 */
export async function registeredExits(
  client: PublicClient,
  deployment: Deployment,
  owner: Address,
): Promise<RegisteredExits> {
  const rollup = { address: deployment.contracts.rollup, abi: rollupAbi } as const;
  const [registered, windowEnd, block] = await Promise.all([
    client.getContractEvents({
      ...rollup,
      eventName: "ExitRegistered",
      args: { owner },
      fromBlock: BigInt(deployment.deployBlock),
    }),
    client.readContract({ ...rollup, functionName: "exitClaimWindowEnd" }),
    client.getBlock(),
  ]);
  const accounts = await Promise.all(
    registered.map(async (log) => {
      const accountId = log.args.accountId!;
      const [paid, equity] = await Promise.all([
        client.readContract({ ...rollup, functionName: "exitPaid", args: [accountId] }),
        client.readContract({ ...rollup, functionName: "exitEquity", args: [accountId] }),
      ]);
      return paid ? null : { accountId, equity };
    }),
  );
  return {
    accounts: accounts.filter((a): a is { accountId: bigint; equity: bigint } => a !== null),
    windowEnd,
    chainTime: block.timestamp,
  };
}

/**
 * Runs one rebuild in a fresh dedicated worker, forwarding its progress with a time estimate;
 * the worker is terminated when it answers, fails or `signal` aborts.
 */
function runRebuildWorker(
  request: RebuildRequest,
  onProgress: (progress: ExitProgress) => void,
  signal: AbortSignal,
): Promise<RebuiltExit[]> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelled());
      return;
    }
    const worker = new Worker(new URL("./exit.worker.ts", import.meta.url), { type: "module", name: "tessera-exit" });
    const started = performance.now();
    const finish = () => {
      worker.terminate();
      signal.removeEventListener("abort", abort);
    };
    const abort = () => {
      finish();
      reject(cancelled());
    };
    signal.addEventListener("abort", abort, { once: true });
    worker.addEventListener("message", (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      switch (message.type) {
        case "progress": {
          const { done, total } = message;
          const perBatch = (performance.now() - started) / 1000 / done;
          onProgress({ phase: "rebuilding", done, total, secondsLeft: perBatch * (total - done) });
          return;
        }
        case "done":
          finish();
          resolve([...message.exits]);
          return;
        case "failed":
          finish();
          reject(fromFailure(message.failure));
          return;
      }
    });
    worker.addEventListener("error", (event) => {
      finish();
      reject(new ExitError("WORKER_FAILED", `The rebuild worker stopped: ${event.message || "it could not start"}.`));
    });
    onProgress({ phase: "rebuilding", done: 0, total: request.batches.length, secondsLeft: null });
    worker.postMessage(request);
  });
}

/**
 * The round `exit` values an option of `underlying` expired at `expiry` with: the round in force at
 * the expiry of the feed in force at the expiry (`feedInForceAt`), which is the feed the rollup
 * checks it against, not necessarily today's.
 */
async function settlementRoundAt(
  client: PublicClient,
  rollup: { readonly address: Address; readonly abi: typeof rollupAbi },
  underlying: number,
  expiry: bigint,
): Promise<bigint> {
  // A series whose price an earlier batch (or exit) fixed is valued at that price, whatever round
  // id is given: no feed to search.
  const [isFixed] = await client.readContract({
    ...rollup,
    functionName: "settlementPrice",
    args: [BigInt(underlying), expiry],
  });
  if (isFixed) return 0n;
  const [feed] = await client.readContract({
    ...rollup,
    functionName: "feedInForceAt",
    args: [BigInt(underlying), expiry],
  });
  return roundInForceAt(client, feed, expiry);
}

/**
 * The feed round in force at `at` by the rollup's rule, across Chainlink proxy phases
 * (protocol/feedRounds.ts).
 */
async function roundInForceAt(client: PublicClient, feed: Address, at: bigint): Promise<bigint> {
  const read = async (roundId: bigint): Promise<FeedRound | null> => {
    try {
      const [, answer, , updatedAt] = await client.readContract({
        address: feed,
        abi: feedAbi,
        functionName: "getRoundData",
        args: [roundId],
      });
      return updatedAt === 0n ? null : { roundId, answer, updatedAt };
    } catch {
      return null;
    }
  };
  const [roundId, answer, , updatedAt] = await client.readContract({
    address: feed,
    abi: feedAbi,
    functionName: "latestRoundData",
  });
  const latest = { roundId, answer, updatedAt };
  // Bisection first (an exit can come long after an expiry: a walk would read every round since),
  // checked against the rollup's rule, which a feed with out-of-order update times could break;
  // then the walk, which assumes no order.
  const bisected = await roundInForceAtBisect(read, latest, at);
  const round =
    bisected !== null && (await usableAt(read, bisected, at, 0n))
      ? bisected
      : await inForceAt(read, latest, at, MAX_ROUNDS_BACK);
  if (round === null) {
    throw new ExitError(
      "NO_ROUND",
      `The price feed ${feed} has no round in force at ${at}, so an option cannot be valued.`,
    );
  }
  return round.roundId;
}
