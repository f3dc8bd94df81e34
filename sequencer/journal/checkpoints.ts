/**
 * The journal's WAL checkpoints, off the venue's thread.
 *
 * SQLite in WAL mode appends every commit to the write-ahead log and copies the log back into the
 * database file in a checkpoint. By default the connection that commits runs one itself, inside
 * the `COMMIT` that takes the log past 1,000 pages: it syncs the log, copies the pages and syncs
 * the database. On the benchmark machine that `COMMIT` took 3–4 ms instead of 0.015 ms, once per
 * thousand or so signed orders (bench/journal.ts; 10–13 ms where the log had not just been
 * synced): at 2,000 orders a second, every order that arrived meanwhile waited for it, twice a
 * second.
 *
 * Here the venue's connection never checkpoints (`wal_autocheckpoint = 0`). A thread of its own
 * (checkpoint-worker.ts), with a connection of its own, runs a PASSIVE checkpoint once 1,000
 * commands were appended since its last one, or a second after any command. PASSIVE waits for no
 * reader and no writer: the venue goes on committing while the pages are copied.
 *
 * The log restarts from its beginning only when a write transaction starts while every frame of
 * it has been copied. Under steady load a command usually lands while a checkpoint runs, so that
 * moment may not come: past `restartFrames` frames the thread runs a RESTART checkpoint, which
 * holds the write lock while it copies what the PASSIVE one left (a few pages) and syncs, and waits
 * at most `restartBusyMs` for readers. The venue's next write waits for it (its busy timeout),
 * once per 64 MiB of log at the default.
 *
 * Durability is unchanged (journal.ts): a checkpoint syncs the log before it copies and the
 * database after (the thread's `synchronous = NORMAL`), and the log is rewritten from its start
 * only after a checkpoint copied and synced all of it. The venue's `fdatasync` of the log file
 * covers its commits whether or not a checkpoint ran meanwhile.
 *
 * The thread starts once `startAfterCommands` commands were appended after open: a journal opened
 * for a few commands (a test, a tool) never starts one, and SQLite's own checkpoint at close
 * empties its log. If the thread fails or exits, checkpoints go back to SQLite's default on the
 * venue's connection (`mode` "sqlite"): the stalls come back, the log stays bounded.
 *
 * The thread keeps the venue's priority: it holds the write lock during a restart, and a thread
 * at a lower priority could be kept off the CPU meanwhile while the venue waits for it. What it
 * does is mostly waiting on the disk.
 */
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

export interface CheckpointPolicy {
  /** Commands appended since the last checkpoint that start the next one (SQLite's own threshold is 1,000 pages). */
  readonly everyCommands: number;
  /** A checkpoint runs at least this often while any command was appended since the last one, ms. */
  readonly maxDelayMs: number;
  /** Frames in the log beyond which a checkpoint restarts it (RESTART, see the header). */
  readonly restartFrames: number;
  /** How long a restart waits for the write lock and for readers before it gives up until the next one, ms. */
  readonly restartBusyMs: number;
  /** Commands appended after open before the thread starts. */
  readonly startAfterCommands: number;
  /** How often the thread looks at the count of commands appended, ms. */
  readonly pollMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {
  everyCommands: 1_000,
  maxDelayMs: 1_000,
  // 64 MiB of 4 KiB pages.
  restartFrames: 16_384,
  restartBusyMs: 20,
  startAfterCommands: 1_000,
  pollMs: 50,
};

/** SQLite's default `wal_autocheckpoint` (pages), restored when the thread is gone. */
export const SQLITE_AUTOCHECKPOINT = 1_000;

/** Slots of the shared counters (an `Int32Array` over a `SharedArrayBuffer`). */
export const CTL = {
  /** Commands appended by the venue (wraps; differences are taken modulo 2^32). */
  appended: 0,
  /** Set to 1 by the venue to stop the thread. */
  stop: 1,
  /** The thread's state (`STATE`). */
  state: 2,
  /** Checkpoints run. */
  passes: 3,
  /** Restarts of the log that completed. */
  restarts: 4,
  /** Frames in the log at the last checkpoint. */
  logFrames: 5,
  length: 6,
} as const;

export const STATE = {
  /** Not yet running: the venue may cancel it without waiting. */
  starting: 0,
  /** Its connection is open: the venue waits for `closed` when it stops it. */
  open: 1,
  closed: 2,
  /** Cancelled before it opened the file: it exits without touching it. */
  cancelled: 3,
} as const;

export interface CheckpointWorkerData {
  readonly file: string;
  readonly ctl: SharedArrayBuffer;
  readonly policy: CheckpointPolicy;
}

export interface CheckpointStats {
  /**
   * "idle": no thread yet (fewer than `startAfterCommands` commands since open), and no checkpoint
   * but SQLite's at close; "thread": checkpoints off the venue's thread; "sqlite": the thread
   * failed or exited, and the venue's connection checkpoints as SQLite does by default.
   */
  readonly mode: "idle" | "thread" | "sqlite";
  readonly passes: number;
  readonly restarts: number;
  /** Frames in the log at the last checkpoint. */
  readonly logFrames: number;
  /** Why the thread stopped, when `mode` is "sqlite". */
  readonly error: string | null;
}

export class WalCheckpointer {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * CTL.length));
  private worker: Worker | null = null;
  private mode: CheckpointStats["mode"] = "idle";
  private error: string | null = null;
  private closed = false;

  /** `db` is the venue's connection to `file`, in WAL mode; from now on it never checkpoints itself. */
  constructor(
    private readonly file: string,
    private readonly db: Database.Database,
    readonly policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
  ) {
    db.pragma("wal_autocheckpoint = 0");
  }

  /** Counts `n` commands appended (the venue's thread; a few nanoseconds). */
  appended(n = 1): void {
    // The count since open (`Atomics.add` returns the one before).
    const appended = Atomics.add(this.ctl, CTL.appended, n) + n;
    if (this.mode === "idle" && !this.closed && appended >= this.policy.startAfterCommands) this.start();
  }

  private start(): void {
    this.mode = "thread";
    const workerData: CheckpointWorkerData = {
      file: this.file,
      ctl: this.ctl.buffer as SharedArrayBuffer,
      policy: this.policy,
    };
    const worker = new Worker(new URL("./checkpoint-worker.ts", import.meta.url), { workerData });
    this.worker = worker;
    // Never what keeps the process alive; `close` stops it.
    worker.unref();
    worker.on("error", (e) => this.fallBack(`the checkpoint thread failed: ${e.message}`));
    worker.on("exit", (code) => this.fallBack(`the checkpoint thread exited (${code})`));
  }

  /** The thread is gone unasked: SQLite checkpoints on the venue's connection again. */
  private fallBack(reason: string): void {
    this.worker = null;
    if (this.closed || this.mode === "sqlite") return;
    this.mode = "sqlite";
    this.error = reason;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`);
  }

  stats(): CheckpointStats {
    return {
      mode: this.mode,
      passes: Atomics.load(this.ctl, CTL.passes),
      restarts: Atomics.load(this.ctl, CTL.restarts),
      logFrames: Atomics.load(this.ctl, CTL.logFrames),
      error: this.error,
    };
  }

  /**
   * Stops the thread, on return with its connection closed (the venue's close is then the last
   * one, which checkpoints and removes the log). Waits at most as long as a running checkpoint.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return;
    if (Atomics.compareExchange(this.ctl, CTL.state, STATE.starting, STATE.cancelled) === STATE.starting) {
      // It has not opened the file, and will not.
      void worker.terminate();
      return;
    }
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.notify(this.ctl, CTL.stop);
    // Bounded: a checkpoint's copy and syncs, or a restart's busy wait.
    Atomics.wait(this.ctl, CTL.state, STATE.open, 10_000);
  }

  /** The thread, while it runs: for tests that stop it unasked. */
  get thread(): Worker | null {
    return this.worker;
  }
}
