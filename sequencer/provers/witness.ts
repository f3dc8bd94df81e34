/**
 * The witness check of the batch pipeline. Guarantee: every closed batch's witness is computed
 * as soon as the batch closes (circom's wasm witness calculator, in a separate process), so a
 * batch that the circuit refuses — the reference model and the circuit disagree (finding F3's
 * class of bug) — is found in about a second, not minutes later at proving time.
 *
 * A refusal halts the venue for good (`Sequencer.refuseBatch`, error code HALTED): it takes no
 * further command, nothing after the refused batch is proved or submitted (L1 submission is in
 * batch order), and `GET /v1/status` says which batch and why. docs/deployment.md gives the
 * operator's procedure. A restart checks the journal's unproved batches again first.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { Sequencer } from "../core/sequencer.ts";
import type { ClosedBatch } from "../core/ledger.ts";

export interface WitnessRequest {
  readonly id: number;
  readonly wasm: string;
  /** The built batch, `v8.serialize`d (`ClosedBatch.encoded`): decoded and turned into the
   * circuit's input in the checker process, off the venue's thread. */
  readonly batch: Uint8Array;
}

export interface WitnessReply {
  readonly id: number;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
  /** The checking process died before it answered: no verdict. */
  readonly lost?: boolean;
}

export class WitnessCheck {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly waiting = new Map<number, (reply: WitnessReply) => void>();
  private nextId = 1;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly venue: Sequencer,
    private readonly wasm: string,
    private readonly log: Logger,
  ) {}

  /** Checks what the journal left unproved, then every batch as it closes, in batch order. */
  start(): void {
    for (const closed of this.venue.unprovedBatches()) this.enqueue(closed);
    this.unsubscribe = this.venue.on((e) => {
      if (e.type === "batch") this.enqueue(e.closed);
    });
  }

  /** Resolves when every batch handed over so far has been checked. */
  idle(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.child?.kill();
    this.child = null;
    for (const [id, resolve] of this.waiting) resolve({ id, ok: false, ms: 0, lost: true, error: "stopped" });
    this.waiting.clear();
  }

  /** Checks one batch now (also used by tests to inject a batch the circuit must refuse). */
  check(closed: ClosedBatch): Promise<void> {
    const run = async (): Promise<void> => {
      let encoded: Uint8Array;
      try {
        encoded = closed.encoded();
      } catch (e) {
        // Read back from the snapshots file (the batch let go of its bytes): gone only once
        // submitted, when L1 took it and there is nothing left to check.
        this.log.warn({ batch: closed.number.toString(), error: String(e) }, "batch witness not checked");
        return;
      }
      const reply = await this.compute(encoded);
      if (reply.ok) {
        this.log.debug({ batch: closed.number.toString(), ms: Math.round(reply.ms) }, "batch witness checked");
        return;
      }
      if (reply.lost === true) {
        // The checker process died twice: no verdict on the batch (the prover will still find a
        // refusal), so the venue goes on.
        this.log.error({ batch: closed.number.toString(), error: reply.error }, "batch witness check lost");
        return;
      }
      const reason = `the circuit refuses batch ${closed.number}: ${reply.error ?? "unknown error"}`;
      this.log.fatal(
        { batch: closed.number.toString(), error: reply.error },
        "batch refused by the circuit: venue halted",
      );
      this.venue.refuseBatch(closed.number, reason);
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private enqueue(closed: ClosedBatch): void {
    void this.check(closed);
  }

  private spawn(): Promise<void> {
    if (this.ready !== null) return this.ready;
    const child = fork(fileURLToPath(new URL("./witness-worker.ts", import.meta.url)), {
      execArgv: process.execArgv,
      serialization: "advanced",
    });
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.on("message", (m: WitnessReply | "ready") => {
        if (m === "ready") return resolve();
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      });
      child.once("exit", (code) => {
        this.child = null;
        this.ready = null;
        // A checker that died answers nothing: the batches it held are checked again by the
        // next process rather than refused.
        for (const [id, resolve] of this.waiting) {
          resolve({ id, ok: false, ms: 0, lost: true, error: `checker exited (${code})` });
        }
        this.waiting.clear();
      });
    });
    this.child.unref();
    return this.ready;
  }

  private async compute(batch: Uint8Array): Promise<WitnessReply> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return { id: 0, ok: false, ms: 0, lost: true, error: "stopped" };
      await this.spawn();
      const id = this.nextId++;
      const reply = await new Promise<WitnessReply>((resolve) => {
        this.waiting.set(id, resolve);
        this.child!.send({ id, wasm: this.wasm, batch } satisfies WitnessRequest);
      });
      // Only the calculator's own verdict counts; a lost process is retried once.
      if (reply.lost !== true || attempt >= 1) return reply;
    }
  }
}
