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
import { getPriority, setPriority } from "node:os";
import type { ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { deserialize, serialize } from "node:v8";
import type { SystemAccountKeys } from "../../protocol/state.ts";
import type { Profile } from "../../protocol/types.ts";
import type { AcceptedBatch, BatchHead, RecordsSnapshot } from "./builder.ts";

/**
 * A closed batch as it is handed to the builder process: the batch and the core's records it is
 * checked against (`AcceptedBatch`, `RecordsSnapshot`), `v8.serialize`d once, when the batch
 * closes. The core keeps these bytes until the batch comes back built, and a snapshot taken
 * meanwhile stores them as they are: storing is a copy, however far the builder lags
 * (docs/benchmarks.md measured 153 ms to serialize 65 requests again inside a snapshot).
 */
export interface BuildRequest {
  readonly number: bigint;
  readonly bytes: Uint8Array;
}

/** What a `BuildRequest` holds, decoded. */
export interface BuildJob {
  readonly accepted: AcceptedBatch;
  readonly records: RecordsSnapshot;
}

export function encodeBuildRequest(accepted: AcceptedBatch, records: RecordsSnapshot): BuildRequest {
  return { number: accepted.number, bytes: serialize({ accepted, records } satisfies BuildJob) };
}

export function decodeBuildRequest(request: BuildRequest): BuildJob {
  const job = deserialize(request.bytes) as BuildJob;
  if (job.accepted.number !== request.number)
    throw new Error(`a build request for batch ${request.number} holds batch ${job.accepted.number}`);
  return job;
}

export type BuilderRequest =
  | {
      readonly type: "genesis";
      readonly profile: Profile;
      readonly system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys };
    }
  /**
   * Start from a snapshot's builder state (`v8.serialize`d `RollupStateSnapshot`, sequencer/journal/
   * snapshot.ts) instead of genesis; it must reach `root` (else the process exits: venue halted).
   */
  | { readonly type: "restore"; readonly profile: Profile; readonly state: Uint8Array; readonly root: bigint }
  | { readonly type: "build"; readonly request: BuildRequest }
  /**
   * The builder state after the last batch it built, for a snapshot: answered at once, not after
   * the builds queued (replies keep their order, so every batch built before it came back first).
   */
  | { readonly type: "snapshot"; readonly id: number };

export type BuilderReply =
  /**
   * `batch`: the built `Batch`, `v8.serialize`d (the core stores the bytes and reads `head`; the
   * provers and the submitter decode them).
   */
  | {
      readonly type: "built";
      readonly number: bigint;
      readonly batch: Uint8Array;
      readonly head: BatchHead;
      readonly ms: number;
    }
  | { readonly type: "refused"; readonly number: bigint; readonly reason: string }
  | { readonly type: "state"; readonly id: number; readonly state: Uint8Array };

export interface BuilderCallbacks {
  readonly onBuilt: (number: bigint, head: BatchHead, encoded: Uint8Array, ms: number) => void;
  readonly onRefused: (number: bigint, reason: string) => void;
  readonly onLost: (message: string) => void;
}

/**
 * The builder process's signature verifiers unless configured (`TESSERA_BUILDER_VERIFIERS`): one
 * where the machine has a second core, else none. It runs at the builder's priority (a thread the
 * builder starts, or a process it forks, inherits it), so under load it takes what the venue's
 * own threads leave, and when the builder is behind it gives the builder's thread a core's worth
 * of signature checks (docs/benchmarks.md, 12-05 evening).
 */
export const DEFAULT_BUILDER_VERIFIERS = availableParallelism() >= 2 ? 1 : 0;

/**
 * Whether the builder process hashes the next batch's order trees on a thread of its own while it
 * builds this one (`TESSERA_BUILDER_PREHASH`, sequencer/builder/prehash.ts) unless configured:
 * where the machine has a second core.
 */
export const DEFAULT_BUILDER_PREHASH = availableParallelism() >= 2;

/**
 * How much lower the builder process's scheduling priority is than the venue's (its nice value
 * above the venue's; `TESSERA_BUILDER_NICE`). Where the builder shares cores with the core and
 * the intake verifiers, the kernel then runs those first: an order's acknowledgement waits for
 * them only, and the builder takes the CPU they leave, catching up when the load eases. Its lag
 * stays bounded by the health gate's backlog bound (unbuilt batches count as unproved;
 * sequencer/core/health.ts), which turns the venue cancel-only before it grows without end.
 * docs/benchmarks.md measured the effect. 0 keeps the venue's priority.
 */
export const DEFAULT_BUILDER_NICE = 10;

/** Raises a process's nice value by `by` over this process's (at most 19); never fails the venue. */
function lowerPriority(pid: number, by: number): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + by));
  } catch {
    // A platform without priorities: the builder runs at the venue's.
  }
}

export class RemoteBuilder {
  private readonly child: ChildProcess;
  private closing = false;
  private nextSnapshotId = 0;
  private readonly snapshotWaiters = new Map<number, (state: Buffer) => void>();

  constructor(
    profile: Profile,
    system: { readonly feeAccount: SystemAccountKeys; readonly insurance: SystemAccountKeys },
    private readonly callbacks: BuilderCallbacks,
    /** A snapshot's builder state and the state root it reaches; genesis when absent. */
    from: { readonly state: Buffer; readonly root: bigint } | null = null,
    /**
     * Signature verifiers of the builder's own (threads, or processes with the js backend;
     * builder-worker.ts), which verify the
     * signatures of the next batches while it hashes this one; 0 verifies on its thread.
     */
    verifiers = DEFAULT_BUILDER_VERIFIERS,
    /** How much lower its priority is than this process's (`DEFAULT_BUILDER_NICE`; 0: the same). */
    nice = DEFAULT_BUILDER_NICE,
    /** Hashes the next batch's order trees while it builds this one (prehash.ts). */
    prehash = DEFAULT_BUILDER_PREHASH,
  ) {
    if (!Number.isInteger(verifiers) || verifiers < 0) throw new RangeError(`builder verifiers: ${verifiers}`);
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`builder nice: ${nice}`);
    const args = [String(verifiers), prehash ? "1" : "0"];
    this.child = fork(fileURLToPath(new URL("./builder-worker.ts", import.meta.url)), args, {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    if (nice > 0 && this.child.pid !== undefined) lowerPriority(this.child.pid, nice);
    this.child.on("message", (m: BuilderReply) => {
      if (m.type === "built") this.callbacks.onBuilt(m.number, m.head, m.batch, m.ms);
      else if (m.type === "refused") this.callbacks.onRefused(m.number, m.reason);
      else {
        const waiter = this.snapshotWaiters.get(m.id);
        this.snapshotWaiters.delete(m.id);
        waiter?.(Buffer.from(m.state.buffer, m.state.byteOffset, m.state.byteLength));
      }
    });
    this.child.once("exit", (code, signal) => {
      if (!this.closing) this.callbacks.onLost(`the batch builder process exited (${signal ?? code})`);
    });
    this.child.on("error", (e) => {
      if (!this.closing) this.callbacks.onLost(`the batch builder process failed: ${e.message}`);
    });
    if (from === null) this.send({ type: "genesis", profile, system });
    else this.send({ type: "restore", profile, state: from.state, root: from.root });
  }

  /**
   * Asks for the builder's state after the last batch it built (`v8.serialize`d
   * `RollupStateSnapshot`), without waiting for the batches queued behind it; `done` gets it
   * unless the builder is closed or lost first, after the `onBuilt` of every batch in it.
   */
  snapshot(done: (state: Buffer) => void): void {
    const id = this.nextSnapshotId++;
    this.snapshotWaiters.set(id, done);
    this.send({ type: "snapshot", id });
  }

  build(request: BuildRequest): void {
    this.send({ type: "build", request });
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
