/**
 * Where the venue's snapshots are kept (sequencer/journal/snapshot.ts has what they hold): a
 * SQLite file of their own beside the journal, `<journal>.snapshots` (table `snapshots`).
 *
 * Storing a snapshot is off the core's thread. The core serializes its part (it must: the part
 * is the state between two commands) and hands the bytes to a writer thread
 * (snapshot-writer.ts), which hashes them, writes them and drops old ones while the core goes on
 * matching. Storing used to pause the core for as long as hashing and writing took: 80–120 ms
 * for the 16 MB snapshot of the restart bench, and more with build requests to store
 * (docs/benchmarks.md). A file of its own, because SQLite lets one connection write a file at a
 * time: a writer thread holding the journal's file would hold up the core's next group commit
 * for as long, a pause moved, not removed.
 *
 * Guarantees: snapshots are stored in the order handed, each in one transaction, so a stored
 * snapshot is whole or absent (a `kill -9` mid-write leaves the older ones). Each carries its
 * journal's id (`Journal.id`) under its hash: the two files are separate, and a snapshot of
 * another journal must never restore as this one's state (`checkStored` refuses it). The journal and
 * this file are synced apart, so after a power loss a snapshot may be ahead of the journal's
 * last durable command: `checkStored` refuses it on open, for an older one or genesis. `flush()`
 * waits on the caller's thread until every snapshot handed is stored; `close()` flushes first.
 *
 * A journal in memory (`:memory:`) keeps its snapshots in memory too, stored on the caller's
 * thread: there is no restart to serve and no file to write.
 */
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { StoredSnapshot } from "./journal.ts";
import { sealSnapshot, SNAPSHOT_TABLE, SNAPSHOT_VERSION } from "./snapshot.ts";

/** The snapshots file of the journal at `journalFile`. */
export function snapshotsFile(journalFile: string): string {
  return `${journalFile}.snapshots`;
}

/** A snapshot to store: both parts serialized (the store hashes them). */
export interface SnapshotToStore {
  readonly seq: bigint;
  readonly batch: bigint;
  readonly core: Buffer;
  readonly builder: Buffer;
}

export interface SnapshotStore {
  /** The seqs of the stored snapshots, newest first. */
  seqs(): bigint[];
  /** The stored snapshot at `seq`, or null. */
  read(seq: bigint): StoredSnapshot | null;
  /**
   * Hands `snapshot` over to be stored, then all but the newest `keep` dropped. Resolves with
   * the milliseconds the store took once it is stored; rejects if it could not be. The parts'
   * bytes may be moved to the writer: the caller must not use them afterwards.
   */
  write(snapshot: SnapshotToStore, keep: number): Promise<number>;
  /** Snapshots handed over and not stored (or failed) yet. */
  readonly queued: number;
  /** Their bytes: what the store holds in memory until it has written them. */
  readonly queuedBytes: number;
  /** Resolves once every snapshot handed over so far is stored or failed. */
  settled(): Promise<void>;
  /** Waits on this thread until every snapshot handed over is stored or failed (at most `timeoutMs`). */
  flush(timeoutMs?: number): void;
  /** Flushes, then closes the file. */
  close(): void;
}

/**
 * Opens the snapshot store of the journal at `journalFile` whose id is `journal` (in memory for
 * `:memory:`). Every snapshot written carries the id; reading returns what the file holds, and
 * `checkStored` refuses a snapshot of another journal.
 */
export function openSnapshotStore(journalFile: string, journal: string): SnapshotStore {
  return journalFile === ":memory:" || journalFile === ""
    ? new MemorySnapshotStore(journal)
    : new FileSnapshotStore(snapshotsFile(journalFile), journal);
}

/** What the writer thread starts with: its file and the counters of the requests it has finished. */
export interface WriterData {
  readonly file: string;
  /** `PROGRESS_BYTES`: requests answered so far (stored or failed), and their bytes. */
  readonly progress: SharedArrayBuffer;
}

/** The progress counters: Int32 at 0 (requests answered), BigInt64 at byte 8 (their bytes). */
export const PROGRESS_BYTES = 16;

/** The counters on `progress`: `done[0]`, requests answered; `bytes[0]`, their bytes. */
export function progressCounters(progress: SharedArrayBuffer): { done: Int32Array; bytes: BigInt64Array } {
  return { done: new Int32Array(progress, 0, 1), bytes: new BigInt64Array(progress, 8, 1) };
}

export type WriterRequest =
  | {
      readonly type: "write";
      readonly id: number;
      readonly journal: string;
      readonly seq: bigint;
      readonly batch: bigint;
      readonly version: number;
      readonly core: Uint8Array;
      readonly builder: Uint8Array;
      readonly keep: number;
    }
  | { readonly type: "close" };

export interface WriterReply {
  readonly id: number;
  /** Why the snapshot was not stored, or null. */
  readonly error: string | null;
  readonly ms: number;
}

type Row = {
  journal: string;
  seq: number;
  batch: number;
  version: number;
  hash: string;
  core: Buffer;
  builder: Buffer;
};

function fromRow(row: Row): StoredSnapshot {
  return { ...row, seq: BigInt(row.seq), batch: BigInt(row.batch) };
}

/** The ArrayBuffers of `parts` that can move to another thread without a copy: each one whole. */
function movable(parts: readonly Buffer[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const p of parts) {
    const b = p.buffer;
    if (b instanceof ArrayBuffer && p.byteOffset === 0 && p.byteLength === b.byteLength && !out.includes(b))
      out.push(b);
  }
  return out;
}

/** Longest `flush` wait by default: a writer that takes longer is broken, not slow. */
const FLUSH_TIMEOUT_MS = 60_000;

class FileSnapshotStore implements SnapshotStore {
  /** Reads on this thread (open time); the writer thread has its own connection. */
  private readonly reader: Database.Database;
  private worker: Worker | null = null;
  private readonly progress = new SharedArrayBuffer(PROGRESS_BYTES);
  private readonly done: Int32Array;
  private readonly doneBytes: BigInt64Array;
  /** Requests posted to the current writer, and their bytes (its counters count from 0). */
  private posted = 0;
  private postedBytes = 0n;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (ms: number) => void; reject: (e: Error) => void }>();
  /** The promises of the writes not answered yet (`settled`). */
  private readonly unanswered = new Set<Promise<number>>();

  constructor(
    readonly file: string,
    private readonly journal: string,
  ) {
    ({ done: this.done, bytes: this.doneBytes } = progressCounters(this.progress));
    this.reader = new Database(file);
    this.reader.pragma("journal_mode = WAL");
    this.reader.exec(SNAPSHOT_TABLE);
  }

  seqs(): bigint[] {
    const rows = this.reader.prepare("SELECT seq FROM snapshots ORDER BY seq DESC").all() as { seq: number }[];
    return rows.map((r) => BigInt(r.seq));
  }

  read(seq: bigint): StoredSnapshot | null {
    const row = this.reader.prepare("SELECT * FROM snapshots WHERE seq = ?").get(seq) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  get queued(): number {
    return this.posted - Atomics.load(this.done, 0);
  }

  get queuedBytes(): number {
    return Number(this.postedBytes - Atomics.load(this.doneBytes, 0));
  }

  private writer(): Worker {
    if (this.worker !== null) return this.worker;
    Atomics.store(this.done, 0, 0);
    Atomics.store(this.doneBytes, 0, 0n);
    this.posted = 0;
    this.postedBytes = 0n;
    const worker = new Worker(new URL("./snapshot-writer.ts", import.meta.url), {
      workerData: { file: this.file, progress: this.progress } satisfies WriterData,
    });
    worker.on("message", (reply: WriterReply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error === null) w?.resolve(reply.ms);
      else w?.reject(new Error(reply.error));
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      // What it never answered is no longer queued: it is failed below.
      this.posted = Atomics.load(this.done, 0);
      this.postedBytes = Atomics.load(this.doneBytes, 0);
      for (const w of this.waiting.values()) w.reject(new Error(`the snapshot writer stopped: ${why}`));
      this.waiting.clear();
    };
    worker.on("error", (e) => lost(e.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    // Idle, it keeps no process alive; with writes to answer it does (`write` refs it).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  write(snapshot: SnapshotToStore, keep: number): Promise<number> {
    const worker = this.writer();
    const id = this.nextId++;
    const request: WriterRequest = {
      type: "write",
      id,
      journal: this.journal,
      seq: snapshot.seq,
      batch: snapshot.batch,
      version: SNAPSHOT_VERSION,
      core: snapshot.core,
      builder: snapshot.builder,
      keep,
    };
    const stored = new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.posted += 1;
      this.postedBytes += BigInt(snapshot.core.length + snapshot.builder.length);
      worker.ref();
      worker.postMessage(request, movable([snapshot.core, snapshot.builder]));
    });
    this.unanswered.add(stored);
    const answered = () => void this.unanswered.delete(stored);
    stored.then(answered, answered);
    return stored;
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.unanswered]);
  }

  flush(timeoutMs = FLUSH_TIMEOUT_MS): void {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.done, 0);
      const left = until - performance.now();
      if (this.worker === null || done >= this.posted || left <= 0) return;
      Atomics.wait(this.done, 0, done, left);
    }
  }

  close(): void {
    this.flush();
    const worker = this.worker;
    this.worker = null;
    worker?.postMessage({ type: "close" } satisfies WriterRequest);
    if (this.reader.open) this.reader.close();
  }
}

class MemorySnapshotStore implements SnapshotStore {
  private readonly stored = new Map<bigint, StoredSnapshot>();

  constructor(private readonly journal: string) {}

  seqs(): bigint[] {
    return [...this.stored.keys()].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  }

  read(seq: bigint): StoredSnapshot | null {
    return this.stored.get(seq) ?? null;
  }

  readonly queued = 0;
  readonly queuedBytes = 0;

  write(snapshot: SnapshotToStore, keep: number): Promise<number> {
    const started = performance.now();
    this.stored.set(
      snapshot.seq,
      sealSnapshot(this.journal, snapshot.seq, snapshot.batch, snapshot.core, snapshot.builder),
    );
    for (const seq of this.seqs().slice(keep)) this.stored.delete(seq);
    return Promise.resolve(performance.now() - started);
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  flush(): void {}

  close(): void {
    this.stored.clear();
  }
}
