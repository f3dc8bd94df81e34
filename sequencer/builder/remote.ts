/**
 * The batch builder in a process of its own (builder-worker.ts), off the core's thread: the
 * core hands it each closed batch with a snapshot of the records the batch touched, and goes on
 * taking commands while it builds. Batches are built one at a time in batch order (each starts
 * from the trees the previous one left), and answered in that order.
 *
 * Guarantee: a batch comes back built and checked against the core's records, or as a
 * disagreement (`onRefused`): the venue halts then (fail closed). If the process dies, nothing
 * it held is answered and `onLost` halts the venue: a restart replays the journal and builds
 * the batches again.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SystemAccountKeys } from "../../protocol/state.ts";
import type { Batch, Profile } from "../../protocol/types.ts";
import type { AcceptedBatch, RecordsSnapshot } from "./builder.ts";

export type BuilderRequest =
  | {
      readonly type: "genesis";
      readonly profile: Profile;
      readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
    }
  | { readonly type: "build"; readonly accepted: AcceptedBatch; readonly records: RecordsSnapshot };

export type BuilderReply =
  | { readonly type: "built"; readonly number: bigint; readonly batch: Batch; readonly ms: number }
  | { readonly type: "refused"; readonly number: bigint; readonly reason: string };

export interface BuilderCallbacks {
  readonly onBuilt: (number: bigint, batch: Batch, ms: number) => void;
  readonly onRefused: (number: bigint, reason: string) => void;
  readonly onLost: (message: string) => void;
}

export class RemoteBuilder {
  private readonly child: ChildProcess;
  private closing = false;

  constructor(
    profile: Profile,
    system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
    private readonly callbacks: BuilderCallbacks,
  ) {
    this.child = fork(fileURLToPath(new URL("./builder-worker.ts", import.meta.url)), {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: BuilderReply) => {
      if (m.type === "built") this.callbacks.onBuilt(m.number, m.batch, m.ms);
      else this.callbacks.onRefused(m.number, m.reason);
    });
    this.child.once("exit", (code, signal) => {
      if (!this.closing) this.callbacks.onLost(`the batch builder process exited (${signal ?? code})`);
    });
    this.child.on("error", (e) => {
      if (!this.closing) this.callbacks.onLost(`the batch builder process failed: ${e.message}`);
    });
    this.send({ type: "genesis", profile, system });
  }

  build(accepted: AcceptedBatch, records: RecordsSnapshot): void {
    this.send({ type: "build", accepted, records });
  }

  private send(m: BuilderRequest): void {
    this.child.send(m);
  }

  /** Stops the process; an answer already on its way is dropped (no callback after close). */
  close(): void {
    this.closing = true;
    this.child.removeAllListeners("message");
    this.child.kill();
  }
}
