/**
 * The journal's checkpoint thread (checkpoints.ts): a connection of its own to the journal file,
 * which checkpoints the write-ahead log while the venue's thread goes on committing. It looks at
 * the shared count of appended commands every `pollMs` and, when the policy says so, runs a
 * PASSIVE checkpoint, then a RESTART one if the log has grown past `restartFrames`.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { CTL, STATE } from "./checkpoints.ts";
import type { CheckpointWorkerData } from "./checkpoints.ts";

if (parentPort === null) throw new Error("checkpoint-worker must run in a worker thread");
const { file, ctl: buffer, policy } = workerData as CheckpointWorkerData;
const ctl = new Int32Array(buffer);

interface CheckpointRow {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

function checkpoint(db: Database.Database, mode: "PASSIVE" | "RESTART"): CheckpointRow {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0]!;
}

function run(): void {
  // Claimed before the file is opened: a venue that closes first cancels it instead.
  if (Atomics.compareExchange(ctl, CTL.state, STATE.starting, STATE.open) !== STATE.starting) return;
  let db: Database.Database | null = null;
  try {
    // The busy timeout bounds how long a restart waits for the write lock and for readers.
    db = new Database(file, { fileMustExist: true, timeout: policy.restartBusyMs });
    // A checkpoint syncs the log before it copies and the database after (NORMAL or FULL).
    db.pragma("synchronous = NORMAL");
    let seen = Atomics.load(ctl, CTL.appended);
    let last = performance.now();
    // The log is past `restartFrames`: a RESTART is tried at every look until one completes
    // (while it waits for the write lock it holds nothing, and the venue goes on).
    let restartDue = false;
    while (Atomics.load(ctl, CTL.stop) === 0) {
      Atomics.wait(ctl, CTL.stop, 0, policy.pollMs);
      if (Atomics.load(ctl, CTL.stop) !== 0) break;
      const appended = Atomics.load(ctl, CTL.appended);
      const fresh = (appended - seen) >>> 0;
      const due = fresh > 0 && (fresh >= policy.everyCommands || performance.now() - last >= policy.maxDelayMs);
      if (due) {
        seen = appended;
        last = performance.now();
        const row = checkpoint(db, "PASSIVE");
        Atomics.add(ctl, CTL.passes, 1);
        Atomics.store(ctl, CTL.logFrames, row.log);
        restartDue = row.log >= policy.restartFrames;
      }
      if (restartDue) {
        // busy: the write lock, or a reader, held on past the timeout; tried again at the next look.
        const row = checkpoint(db, "RESTART");
        if (row.busy === 0) {
          Atomics.add(ctl, CTL.restarts, 1);
          restartDue = false;
        }
      }
    }
  } finally {
    db?.close();
    Atomics.store(ctl, CTL.state, STATE.closed);
    Atomics.notify(ctl, CTL.state);
  }
}

run();
