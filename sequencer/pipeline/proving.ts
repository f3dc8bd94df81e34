/**
 * The proving stage of the batch pipeline: every closed batch (including those a restart
 * finds unproved in the journal) goes to the prover pool as `toCircuitInput(batch)`; its
 * proof's public signals must equal the batch's `publicInputs` (the reference model and the
 * circuit agree), then the packed proof is journaled and the batch is `proved`.
 *
 * Proofs may finish out of order (several provers); L1 submission (next stage) takes them in
 * batch order.
 */
import type { Logger } from "pino";
import { toCircuitInput } from "../../protocol/circuitInput.ts";
import { packProof } from "../../protocol/proof.ts";
import type { ProverPool } from "../../prover/pool.ts";
import { ProvingError } from "../../prover/pool.ts";
import type { Sequencer } from "../core.ts";
import type { ClosedBatch } from "../ledger.ts";

/** The circuit's public signals differ from the reference model's public inputs. */
export class PublicInputMismatchError extends Error {
  readonly code = "PUBLIC_INPUT_MISMATCH";
}

export class ProvingStage {
  private readonly inFlight = new Map<bigint, Promise<void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly venue: Sequencer,
    private readonly pool: ProverPool,
    private readonly log: Logger,
  ) {}

  /** Proves what the journal left unproved, then every batch as it closes. */
  start(): void {
    for (const closed of this.venue.unprovedBatches()) this.enqueue(closed);
    this.unsubscribe = this.venue.on((e) => {
      if (e.type === "batch") this.enqueue(e.closed);
    });
  }

  private enqueue(closed: ClosedBatch): void {
    if (this.inFlight.has(closed.number)) return;
    const done = this.prove(closed).finally(() => this.inFlight.delete(closed.number));
    this.inFlight.set(closed.number, done);
  }

  private async prove(closed: ClosedBatch): Promise<void> {
    const n = closed.number;
    this.venue.setBatchStatus(n, "proving");
    try {
      const result = await this.pool.prove(`batch-${n}`, toCircuitInput(closed.batch));
      const expected = closed.batch.publicInputs.map((v) => v.toString());
      if (result.publicSignals.join(",") !== expected.join(","))
        throw new PublicInputMismatchError(
          `batch ${n}: the circuit's public signals differ from the reference model's`,
        );
      this.venue.recordProof(n, packProof(result.proof));
      this.log.info(
        {
          batch: n.toString(),
          attempts: result.attempts,
          witnessMs: Math.round(result.witnessMs),
          proveMs: Math.round(result.proveMs),
        },
        "batch proved",
      );
    } catch (e) {
      // A failed batch stays in the journal with its reason; the operator retries it after a fix.
      this.venue.setBatchStatus(n, "failed", e instanceof Error ? e.message : String(e));
      const kind = e instanceof ProvingError ? "prover" : e instanceof PublicInputMismatchError ? "mismatch" : "input";
      this.log.error({ batch: n.toString(), kind, err: e }, "batch proof failed");
    }
  }

  /** Resolves when every batch handed to the stage so far is proved or failed. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
