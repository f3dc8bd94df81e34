/**
 * The snapshot store's writer thread (snapshot-store.ts). It owns the write connection to the
 * snapshots file and stores each snapshot the venue hands it, in the order handed: it hashes
 * the snapshot (sequencer/journal/snapshot.ts `snapshotHash`), inserts it and drops all but the
 * newest `keep`, in one transaction that is on disk (`synchronous = FULL`) before it answers.
 * The core's thread only serializes its part and hands the bytes over.
 *
 * After each request, answered or failed, it counts it and its bytes on the shared counters
 * (`progressCounters`), adds 1 to `done` and wakes any
 * waiter: `SnapshotStore.flush` waits on it without an event loop turn (a venue closing, or a
 * test that runs a venue synchronously).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { SNAPSHOT_TABLE, snapshotHash } from "./snapshot.ts";
import { progressCounters } from "./snapshot-store.ts";
import type { WriterData, WriterReply, WriterRequest } from "./snapshot-store.ts";

const port = parentPort;
if (port === null) throw new Error("snapshot-writer must run in a worker thread");
const { file, progress } = workerData as WriterData;
const { done, bytes } = progressCounters(progress);

const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(SNAPSHOT_TABLE);
const insert = db.prepare(
  "INSERT OR REPLACE INTO snapshots (seq, journal, batch, version, hash, core, builder) VALUES (?, ?, ?, ?, ?, ?, ?)",
);
const prune = db.prepare(
  "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
);
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
  ) => {
    insert.run(seq, journal, batch, version, hash, core, builder);
    prune.run(keep);
  },
);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

port.on("message", (m: WriterRequest) => {
  if (m.type === "close") {
    db.close();
    port.close();
    return;
  }
  const started = performance.now();
  let error: string | null = null;
  try {
    const core = asBuffer(m.core);
    const builder = asBuffer(m.builder);
    const hash = snapshotHash({ journal: m.journal, seq: m.seq, batch: m.batch, version: m.version, core, builder });
    store(m.seq, m.journal, m.batch, m.version, hash, core, builder, m.keep);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const reply: WriterReply = { id: m.id, error, ms: performance.now() - started };
  // Bytes first: a waiter woken by `done` sees them counted.
  Atomics.add(bytes, 0, BigInt(m.core.byteLength + m.builder.byteLength));
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
  port.postMessage(reply);
});
