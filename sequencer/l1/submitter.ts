/**
 * The L1 submitter: sends proved batches to the rollup contract's `submitBatch` strictly in
 * batch order (each batch's old root is the contract's current root), with the header and
 * slots of protocol/batch.ts `l1Calldata` and the journaled packed proof, then marks them
 * `submitted`. A reverted submission marks the batch `failed` with the reason and stops the
 * submitter: later batches build on it.
 */
import type { Contract, ContractRunner } from "ethers";
import type { Logger } from "pino";
import { l1Calldata } from "../../protocol/batch.ts";
import type { Sequencer } from "../core.ts";
import { rollupContract } from "./contracts.ts";

export class L1Submitter {
  private readonly rollup: Contract;
  private running: Promise<void> | null = null;
  private stopped: string | null = null;

  constructor(
    private readonly venue: Sequencer,
    rollupAddress: string,
    runner: ContractRunner,
    private readonly log: Logger,
  ) {
    this.rollup = rollupContract(rollupAddress, runner);
  }

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
      const { header, slots } = l1Calldata(next.batch, { priceRoundIds: next.priceRoundIds, settlementRoundIds: [] });
      try {
        const tx = (await this.rollup.getFunction("submitBatch")(header, slots, [...proof])) as {
          hash: string;
          wait(): Promise<{ gasUsed: bigint } | null>;
        };
        const receipt = await tx.wait();
        this.venue.setBatchStatus(next.number, "submitted", tx.hash);
        this.log.info(
          { batch: next.number.toString(), tx: tx.hash, gas: receipt?.gasUsed.toString() },
          "batch submitted",
        );
      } catch (e) {
        this.stopped = `batch ${next.number}: ${e instanceof Error ? e.message : String(e)}`;
        this.venue.setBatchStatus(next.number, "failed", this.stopped);
        this.log.error({ batch: next.number.toString(), err: e }, "batch submission failed: submitter stopped");
      }
    }
  }
}
