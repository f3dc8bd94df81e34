/**
 * The snapshot store's writer thread (snapshot-store.ts). It owns the write connection to the
 * snapshots file and makes each request the venue hands it, in the order handed, each in one
 * transaction, before it answers:
 * - a snapshot: it hashes it (sequencer/journal/snapshot.ts `snapshotHash`), checks that the file
 *   holds every built batch it names, inserts it and drops all but the newest `keep`, on disk
 *   (`synchronous = FULL`) before it answers;
 * - a built batch: inserted, replacing any stored under its number, without a sync of its own
 *   (the next snapshot's sync, later in the same write-ahead log, makes it durable);
 * - a drop of built batches (submitted ones).
 * The core's thread only serializes its part (or copies a batch's bytes) and hands them over.
 *
 * After each request, answered or failed, it counts it and its bytes on the shared counters
 * (`progressCounters`), adds 1 to `done` and wakes any
 * waiter: `SnapshotStore.flush` waits on it without an event loop turn (a venue closing, or a
 * test that runs a venue synchronously).
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { BUILT_TABLE, SNAPSHOT_TABLE, snapshotHash } from "./snapshot.ts";
import { progressCounters, requestBytes, unheldBatch } from "./snapshot-store.ts";
import type { WriterData, WriterReply, WriterRequest } from "./snapshot-store.ts";

const port = parentPort;
if (port === null) throw new Error("snapshot-writer must run in a worker thread");
const { file, progress } = workerData as WriterData;
const { done, bytes } = progressCounters(progress);

/**
 * This thread runs at a lower priority than the venue's threads (nice + `WRITER_NICE`), as the
 * batch builder's process does (sequencer/builder/remote.ts `DEFAULT_BUILDER_NICE`): where the
 * writer shares the cores with the core and the intake verifiers, the kernel runs those first,
 * and the writes (about 5 ms of CPU for a 1.2 MB built batch) take what they leave. Its queue is
 * bounded: no new snapshot while it holds 256 MiB not written (sequencer/core/sequencer.ts).
 * Linux only (a thread's id from /proc/thread-self; `setpriority` on a thread id sets that
 * thread's); elsewhere the writer keeps the venue's priority.
 */
const WRITER_NICE = 10;
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority() + WRITER_NICE));
} catch {
  // No /proc, or no priorities: the venue's priority.
}

const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(SNAPSHOT_TABLE);
db.exec(BUILT_TABLE);
const insert = db.prepare(
  "INSERT OR REPLACE INTO snapshots (seq, journal, batch, version, hash, core, builder) VALUES (?, ?, ?, ?, ?, ?, ?)",
);
const prune = db.prepare(
  "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
);
const holds = db.prepare("SELECT 1 FROM built_batches WHERE number = ? AND journal = ?").pluck();
const store = db.transaction(
  (
    seq: bigint,
    journal: string,
    batch: bigint,
    version: number,
    hash: string,
    core: Buffer,
    builder: Buffer,
    keep: number,
    batches: readonly bigint[],
  ) => {
    for (const n of batches) if (holds.get(n, journal) === undefined) throw new Error(unheldBatch(n));
    insert.run(seq, journal, batch, version, hash, core, builder);
    prune.run(keep);
  },
);
const insertBatch = db.prepare(
  "INSERT OR REPLACE INTO built_batches (number, journal, commitment, batch) VALUES (?, ?, ?, ?)",
);
const deleteBatch = db.prepare("DELETE FROM built_batches WHERE number = ?");
const drop = db.transaction((numbers: readonly bigint[]) => {
  for (const n of numbers) deleteBatch.run(n);
});

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

port.on("message", (m: WriterRequest) => {
  if (m.type === "close") {
    db.close();
    // Answered once the file is closed: the store's `close` waits for this.
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
    port.close();
    return;
  }
  const started = performance.now();
  let error: string | null = null;
  try {
    if (m.type === "write") {
      const core = asBuffer(m.core);
      const builder = asBuffer(m.builder);
      const hash = snapshotHash({ journal: m.journal, seq: m.seq, batch: m.batch, version: m.version, core, builder });
      store(m.seq, m.journal, m.batch, m.version, hash, core, builder, m.keep, m.batches);
    } else if (m.type === "batch") {
      // Not synced alone: only a snapshot reads a built batch (it names it), and the snapshot's
      // own synced commit, later in the same write-ahead log, makes every batch before it durable.
      db.pragma("synchronous = NORMAL");
      try {
        insertBatch.run(m.number, m.journal, m.commitment, asBuffer(m.encoded));
      } finally {
        db.pragma("synchronous = FULL");
      }
    } else drop(m.numbers);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const reply: WriterReply = { id: m.id, error, ms: performance.now() - started };
  // Bytes first: a waiter woken by `done` sees them counted.
  Atomics.add(bytes, 0, BigInt(requestBytes(m)));
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
  port.postMessage(reply);
});
