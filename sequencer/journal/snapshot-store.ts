/**
 * Where the venue's snapshots are kept (sequencer/journal/snapshot.ts has what they hold): a
 * SQLite file of their own beside the journal, `<journal>.snapshots` (table `snapshots`), with
 * the built batches they name (table `built_batches`).
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
 * Built batches (`storeBatch`) are stored the same way: each closed batch as the builder built
 * it, about 1.2 MB per 256 slots (2.4 MB at prod's 512), several a second under load. Inserting one into the
 * journal took 4.5–6 ms of the core's thread a batch (docs/benchmarks.md); the core now copies
 * the bytes into a reused shared buffer (about 0.3 ms) and the writer does the rest. One writer, one queue: a batch handed before a snapshot that
 * names it is stored before that snapshot, and the writer refuses a snapshot naming a batch the
 * file does not hold (`SnapshotToStore.batches`), so a stored snapshot always finds its batches.
 * A batch is read back on open only (a restore), after the queue has drained.
 *
 * A journal in memory (`:memory:`) keeps its snapshots in memory too, stored on the caller's
 * thread: there is no restart to serve and no file to write.
 */
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { StoredSnapshot } from "./journal.ts";
import { BUILT_TABLE, sealSnapshot, SNAPSHOT_TABLE, SNAPSHOT_VERSION } from "./snapshot.ts";

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
  /** The built batches it names (a restore reads them): the writer refuses it unless it holds each. */
  readonly batches?: readonly bigint[];
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
  /**
   * Hands batch `number`'s built form over to be stored, replacing any stored under that number.
   * Resolves with the milliseconds the store took once it is stored; rejects if it could not be.
   * The bytes are copied: the caller keeps them.
   */
  storeBatch(number: bigint, commitment: string, encoded: Uint8Array): Promise<number>;
  /** Whether batch `number` is stored, or handed over to be, with this `commitment`. */
  hasBatch(number: bigint, commitment: string): boolean;
  /** Whether the file holds batch `number` with this `commitment` now (handed-over writes aside). */
  holdsBatch(number: bigint, commitment: string): boolean;
  /** Batch `number`'s stored built form, or null (after every write handed over is made). */
  batch(number: bigint): Buffer | null;
  /**
   * Batch `number`'s built form as stored with this `commitment`, read at once, without waiting
   * for the writes handed over since: for a batch whose `storeBatch` has resolved. Null when the
   * file no longer holds it (dropped) or holds another form under its number.
   */
  storedBatch(number: bigint, commitment: string): Buffer | null;
  /** The numbers of the stored batches, ascending (after every write handed over is made). */
  batchNumbers(): bigint[];
  /**
   * Hands over the dropping of these batches (submitted: L1 holds their data). Not waited for:
   * a drop lost to a crash leaves a batch no one reads, dropped again when the journal opens.
   */
  dropBatches(numbers: readonly bigint[]): void;
  /** Starts the writer thread now, rather than with the first write (a service at start). */
  start(): void;
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
      readonly batches: readonly bigint[];
    }
  | {
      readonly type: "batch";
      readonly id: number;
      readonly journal: string;
      readonly number: bigint;
      readonly commitment: string;
      readonly encoded: Uint8Array;
    }
  | { readonly type: "drop"; readonly id: number; readonly numbers: readonly bigint[] }
  | { readonly type: "close" };

/** The bytes a request hands over (what the store holds until it is written). */
export function requestBytes(m: Exclude<WriterRequest, { type: "close" }>): number {
  if (m.type === "write") return m.core.byteLength + m.builder.byteLength;
  return m.type === "batch" ? m.encoded.byteLength : 0;
}

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

/** Shared buffers kept for reuse, and the unit their sizes are rounded up to. */
const SPARE_BUFFERS = 4;
const SPARE_UNIT = 1 << 20;

/** Longest `flush` wait by default: a writer that takes longer is broken, not slow. */
const FLUSH_TIMEOUT_MS = 60_000;
/** How long `close` waits for the writer to close its connection after the queue is flushed. */
const CLOSE_TIMEOUT_MS = 10_000;

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

  /** `holdsBatch`'s query (and `hasBatch`'s), prepared once: it runs on the core's thread for every closed batch. */
  private readonly holds: Database.Statement;
  /** `storedBatch`'s query, prepared once: a batch waiting for its proof is read from here. */
  private readonly stored: Database.Statement;
  /** Batches handed over and not answered yet, with their commitments (`hasBatch`). */
  private readonly handed = new Map<bigint, string>();
  /** Shared buffers of built batches the writer has stored, for the next ones (`sharedCopy`). */
  private readonly spare: SharedArrayBuffer[] = [];

  constructor(
    readonly file: string,
    private readonly journal: string,
  ) {
    ({ done: this.done, bytes: this.doneBytes } = progressCounters(this.progress));
    this.reader = new Database(file);
    this.reader.pragma("journal_mode = WAL");
    this.reader.exec(SNAPSHOT_TABLE);
    this.reader.exec(BUILT_TABLE);
    this.holds = this.reader.prepare("SELECT 1 FROM built_batches WHERE number = ? AND journal = ? AND commitment = ?");
    this.stored = this.reader.prepare(
      "SELECT batch FROM built_batches WHERE number = ? AND journal = ? AND commitment = ?",
    );
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
    return this.post(
      (id) => ({
        type: "write",
        id,
        journal: this.journal,
        seq: snapshot.seq,
        batch: snapshot.batch,
        version: SNAPSHOT_VERSION,
        core: snapshot.core,
        builder: snapshot.builder,
        keep,
        batches: snapshot.batches ?? [],
      }),
      movable([snapshot.core, snapshot.builder]),
    );
  }

  storeBatch(number: bigint, commitment: string, encoded: Uint8Array): Promise<number> {
    this.handed.set(number, commitment);
    const shared = this.sharedCopy(encoded);
    const stored = this.post(
      (id) => ({ type: "batch", id, journal: this.journal, number, commitment, encoded: shared }),
      [],
    );
    // Answered, the writer is done with the memory (a writer that stopped reads nothing more),
    // and the file says whether the batch is held.
    const answered = () => {
      if (this.spare.length < SPARE_BUFFERS) this.spare.push(shared.buffer as SharedArrayBuffer);
      if (this.handed.get(number) === commitment) this.handed.delete(number);
    };
    stored.then(answered, answered);
    return stored;
  }

  /**
   * `bytes` copied into memory the writer thread shares, so the message carries no bytes. A
   * posted view would be serialized into the message and copied out of it again, and fresh
   * memory pays a page fault at the first touch of every page: 2.5–4.5 ms of this thread for a
   * 1.2 MB batch on the benchmark machine, against 4.5–6 ms for inserting it here. A buffer the
   * writer has finished with is reused, so this is one copy into warm memory.
   */
  private sharedCopy(bytes: Uint8Array): Uint8Array {
    const i = this.spare.findIndex((b) => b.byteLength >= bytes.byteLength);
    const buffer =
      i >= 0
        ? this.spare.splice(i, 1)[0]!
        : new SharedArrayBuffer(Math.ceil(bytes.byteLength / SPARE_UNIT) * SPARE_UNIT);
    const view = new Uint8Array(buffer, 0, bytes.byteLength);
    view.set(bytes);
    return view;
  }

  hasBatch(number: bigint, commitment: string): boolean {
    if (this.handed.has(number)) return this.handed.get(number) === commitment;
    return this.holdsBatch(number, commitment);
  }

  holdsBatch(number: bigint, commitment: string): boolean {
    return this.holds.get(number, this.journal, commitment) !== undefined;
  }

  batch(number: bigint): Buffer | null {
    this.flush();
    const row = this.reader
      .prepare("SELECT batch FROM built_batches WHERE number = ? AND journal = ?")
      .get(number, this.journal) as { batch: Buffer } | undefined;
    return row?.batch ?? null;
  }

  storedBatch(number: bigint, commitment: string): Buffer | null {
    const row = this.stored.get(number, this.journal, commitment) as { batch: Buffer } | undefined;
    return row?.batch ?? null;
  }

  batchNumbers(): bigint[] {
    this.flush();
    const rows = this.reader
      .prepare("SELECT number FROM built_batches WHERE journal = ? ORDER BY number")
      .all(this.journal) as { number: number }[];
    return rows.map((r) => BigInt(r.number));
  }

  start(): void {
    this.writer();
  }

  dropBatches(numbers: readonly bigint[]): void {
    if (numbers.length === 0) return;
    for (const n of numbers) this.handed.delete(n);
    // A failed drop leaves batches no one reads (`Journal` drops them again on open).
    this.post((id) => ({ type: "drop", id, numbers }), []).catch(() => {});
  }

  /** Posts one request to the writer; resolves with its milliseconds once made. */
  private post(
    make: (id: number) => Exclude<WriterRequest, { type: "close" }>,
    transfer: ArrayBuffer[],
  ): Promise<number> {
    const worker = this.writer();
    const request = make(this.nextId++);
    const stored = new Promise<number>((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.posted += 1;
      this.postedBytes += BigInt(requestBytes(request));
      worker.ref();
      worker.postMessage(request, transfer);
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

  /**
   * Flushes, then has the writer close its connection and waits for that too (bounded like
   * `flush`): once this returns, nothing of this store touches the file or its WAL, so the
   * journal's directory can be removed or copied.
   */
  close(): void {
    this.flush();
    const worker = this.worker;
    if (worker !== null) {
      // The writer counts the close as an answered request once its connection is closed.
      this.posted += 1;
      worker.postMessage({ type: "close" } satisfies WriterRequest);
      this.flush(CLOSE_TIMEOUT_MS);
    }
    this.worker = null;
    if (this.reader.open) this.reader.close();
  }
}

class MemorySnapshotStore implements SnapshotStore {
  private readonly stored = new Map<bigint, StoredSnapshot>();
  private readonly batches = new Map<bigint, { readonly commitment: string; readonly encoded: Buffer }>();

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
    const missing = (snapshot.batches ?? []).find((n) => !this.batches.has(n));
    if (missing !== undefined) return Promise.reject(new Error(unheldBatch(missing)));
    this.stored.set(
      snapshot.seq,
      sealSnapshot(this.journal, snapshot.seq, snapshot.batch, snapshot.core, snapshot.builder),
    );
    for (const seq of this.seqs().slice(keep)) this.stored.delete(seq);
    return Promise.resolve(performance.now() - started);
  }

  storeBatch(number: bigint, commitment: string, encoded: Uint8Array): Promise<number> {
    this.batches.set(number, { commitment, encoded: Buffer.from(encoded) });
    return Promise.resolve(0);
  }

  hasBatch(number: bigint, commitment: string): boolean {
    return this.batches.get(number)?.commitment === commitment;
  }

  holdsBatch(number: bigint, commitment: string): boolean {
    return this.hasBatch(number, commitment);
  }

  batch(number: bigint): Buffer | null {
    return this.batches.get(number)?.encoded ?? null;
  }

  storedBatch(number: bigint, commitment: string): Buffer | null {
    const stored = this.batches.get(number);
    return stored?.commitment === commitment ? stored.encoded : null;
  }

  batchNumbers(): bigint[] {
    return [...this.batches.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  dropBatches(numbers: readonly bigint[]): void {
    for (const n of numbers) this.batches.delete(n);
  }

  start(): void {}

  settled(): Promise<void> {
    return Promise.resolve();
  }

  flush(): void {}

  close(): void {
    this.stored.clear();
    this.batches.clear();
  }
}

/** Why a snapshot naming batch `number` is not stored: the store does not hold the batch. */
export function unheldBatch(number: bigint): string {
  return `it names batch ${number}, which the snapshots file does not hold (its write failed)`;
}
