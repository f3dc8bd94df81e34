/**
 * The L1 submitter: sends proved batches to the rollup contract's `submitBatch` strictly in
 * batch order (each batch's old root is the contract's current root), with the header and
 * slots of protocol/batch.ts `l1Calldata` (price and settlement round ids included) and the
 * journaled packed proof, then marks them `submitted` with the transaction hash.
 *
 * Idempotent: before each send the contract's state root is read. When it already is the
 * batch's new root, the batch is on L1 (an earlier send was mined though its receipt was lost)
 * and is marked `submitted` without sending again; when it is neither the batch's old nor new
 * root, L1 diverged from the venue and the submitter stops. A failed send is retried on later
 * polls (the batch stays `proved`, the error in its detail); after `maxAttempts` failures the
 * batch is marked `failed` and the submitter stops: later batches build on it.
 *
 * Price rounds (issue 14 F5): L1 accepts only the feed round in force at the batch timestamp,
 * or one superseded less than the rollup's `priceRoundGrace` before it. Before a send the
 * submitter checks the batch's own rounds by that rule, else takes the round in force at the
 * batch time if it has the batch's price (`RollupSubmission.priceRoundsAt`, protocol/feedRounds.ts
 * through l1/contracts.ts); if neither holds (a round the venue had not seen for longer than the
 * grace), the batch is one L1 would refuse: it is marked `failed` without a send and the
 * submitter stops.
 */
import type { ContractRunner } from "ethers";
import type { Logger } from "pino";
import { l1Calldata } from "../../protocol/batch.ts";
import type { BatchHeader } from "../../protocol/batch.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import type { Sequencer } from "../core.ts";
import type { ClosedBatch } from "../ledger.ts";
import { feedContract, priceRoundsAt, PriceRoundError, rollupContract } from "./contracts.ts";
import type { FeedReader } from "./contracts.ts";

/** The two calls of the rollup contract the submitter makes. */
export interface RollupSubmission {
  /** The contract's current state root. */
  stateRoot(): Promise<bigint>;
  /** Sends `submitBatch`; `wait` resolves once it is mined and throws if it reverted. */
  submitBatch(
    header: BatchHeader,
    slots: readonly bigint[],
    proof: SolidityProof,
  ): Promise<{ readonly hash: string; wait(): Promise<unknown> }>;
  /**
   * The feed round in force at `timestamp` for each underlying, whose answer must be `prices`
   * (throws PriceRoundError otherwise). Absent: the batch's own round ids are sent.
   */
  priceRoundsAt?(timestamp: bigint, prices: readonly bigint[], roundIds: readonly bigint[]): Promise<readonly bigint[]>;
}

/** `RollupSubmission` over the deployed rollup contract, signing with `runner` (the operator). */
export function rollupSubmission(rollupAddress: string, runner: ContractRunner): RollupSubmission {
  const rollup = rollupContract(rollupAddress, runner);
  // Re-read every time: a feed may change through the rollup's timelock (F13).
  const decimals = new Map<string, Promise<number>>();
  let grace: Promise<bigint> | null = null;
  const loadFeeds = async () => {
    const addresses = (await rollup.getFunction("feeds")()) as string[];
    return Promise.all(
      addresses.map(async (a) => {
        const contract = feedContract(a, runner);
        let d = decimals.get(a);
        if (d === undefined) {
          d = (contract.getFunction("decimals")() as Promise<bigint>).then(Number);
          decimals.set(a, d);
          d.catch(() => decimals.delete(a));
        }
        return { contract: contract as FeedReader, decimals: await d };
      }),
    );
  };
  return {
    priceRoundsAt: async (timestamp, prices, roundIds) => {
      grace ??= (rollup.getFunction("priceRoundGrace")() as Promise<bigint>).catch((e: unknown) => {
        grace = null;
        throw e;
      });
      return priceRoundsAt(await loadFeeds(), timestamp, prices, roundIds, await grace);
    },
    stateRoot: async () => (await rollup.getFunction("stateRoot")()) as bigint,
    submitBatch: async (header, slots, proof) =>
      (await rollup.getFunction("submitBatch")(header, slots, [...proof])) as {
        hash: string;
        wait(): Promise<unknown>;
      },
  };
}

/** Sends of one batch before it is marked failed. */
export const DEFAULT_SUBMIT_ATTEMPTS = 5;

export class L1Submitter {
  private running: Promise<void> | null = null;
  private stopped: string | null = null;
  /** Failed sends and the last transaction hash sent, per batch number. */
  private readonly attempts = new Map<bigint, { failures: number; lastHash: string | null }>();

  constructor(
    private readonly venue: Sequencer,
    private readonly rollup: RollupSubmission,
    private readonly log: Logger,
    private readonly maxAttempts: number = DEFAULT_SUBMIT_ATTEMPTS,
  ) {}

  /** Why the submitter stopped, or null while it runs. */
  get stoppedBecause(): string | null {
    return this.stopped;
  }

  /** Submits every proved batch that is next in order; concurrent calls share the run. */
  poll(): Promise<void> {
    this.running ??= this.submitReady().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private markSubmitted(batch: ClosedBatch, hash: string, how: string): void {
    this.venue.setBatchStatus(batch.number, "submitted", hash);
    this.attempts.delete(batch.number);
    this.log.info({ batch: batch.number.toString(), tx: hash }, how);
  }

  private async submitReady(): Promise<void> {
    while (this.stopped === null) {
      const next = this.venue.provedBatches()[0];
      // Only the oldest pending batch may go: a proved batch behind an unproved one waits.
      const oldest = [...this.venue.unprovedBatches(), ...this.venue.provedBatches()].sort((a, b) =>
        a.number < b.number ? -1 : 1,
      )[0];
      if (next === undefined || oldest === undefined || next.number !== oldest.number) return;
      const proof = this.venue.journal.proofOf(next.number);
      if (proof === null) return;
      const tried = this.attempts.get(next.number) ?? { failures: 0, lastHash: null };
      this.attempts.set(next.number, tried);

      const root = await this.rollup.stateRoot();
      if (root === next.batch.newStateRoot) {
        this.markSubmitted(next, tried.lastHash ?? "", "batch already on L1: not sent again");
        continue;
      }
      if (root !== next.batch.oldStateRoot) {
        this.stopped = `batch ${next.number}: L1 root ${root} is neither the batch's old nor its new root`;
        this.log.error({ batch: next.number.toString() }, this.stopped);
        return;
      }

      let priceRoundIds = next.priceRoundIds;
      try {
        if (this.rollup.priceRoundsAt !== undefined)
          priceRoundIds = await this.rollup.priceRoundsAt(
            next.batch.context.timestamp,
            next.batch.context.prices,
            next.priceRoundIds,
          );
      } catch (e) {
        if (!(e instanceof PriceRoundError)) throw e;
        this.stopped = `batch ${next.number}: ${e.message}`;
        this.venue.setBatchStatus(next.number, "failed", `${e.code}: ${e.message}`);
        this.log.error({ batch: next.number.toString(), code: e.code }, "batch price not in force on L1: not sent");
        return;
      }
      const { header, slots } = l1Calldata(next.batch, {
        priceRoundIds,
        settlementRoundIds: next.settlementRoundIds,
      });
      try {
        const tx = await this.rollup.submitBatch(header, slots, proof);
        tried.lastHash = tx.hash;
        await tx.wait();
        this.markSubmitted(next, tx.hash, "batch submitted");
      } catch (e) {
        const reason = `batch ${next.number}: ${e instanceof Error ? e.message : String(e)}`;
        if ((await this.rollup.stateRoot()) === next.batch.newStateRoot) {
          this.markSubmitted(next, tried.lastHash ?? "", "batch on L1 despite the send error");
          continue;
        }
        tried.failures += 1;
        if (tried.failures >= this.maxAttempts) {
          this.stopped = reason;
          this.venue.setBatchStatus(next.number, "failed", reason);
          this.log.error({ batch: next.number.toString(), err: e }, "batch submission failed: submitter stopped");
        } else {
          this.venue.setBatchStatus(next.number, "proved", `send ${tried.failures} failed, retrying: ${reason}`);
          this.log.warn({ batch: next.number.toString(), err: e }, "batch submission failed: retrying");
        }
        return;
      }
    }
  }
}
