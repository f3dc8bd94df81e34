/**
 * Snapshots of the venue, so that a restart costs "snapshot + journal tail" however long the
 * history (issue 16 item 3).
 *
 * Guarantee: a snapshot at `seq` holds exactly the state the replay of journal commands
 * 1..`seq` reaches — the core (`CheckState` records, ledger, open batch, books and every venue
 * map) and the batch builder's Merkle state (`RollupState`) after some batch K closed by then,
 * with the built form or the build request of every batch closed after K (a builder process
 * that lags is not waited for: the restore builds those requests again) — taken between two
 * commands the journal has committed. Built batches are not in it: the snapshots file stores each
 * once (table `built_batches`, `Journal.storeBuiltBatch`), written by the same writer thread in
 * the order handed, and a snapshot names them by number, so its size does not grow with the
 * batches waiting for proofs or L1. The writer refuses a snapshot that names a batch it does not
 * hold, and a restore that cannot find one skips the snapshot with the reason.
 * On open, the newest snapshot whose hash, version and contents check out is loaded and only the
 * commands after its `seq` are replayed, with the same outcome digests as a full replay; one that
 * fails a check is skipped with the reason, for an older one or genesis.
 *
 * Storage: a row of the snapshots file, a SQLite file of its own beside the journal
 * (`<journal>.snapshots`, sequencer/journal/snapshot-store.ts), written off the core's thread by
 * a writer thread in a transaction of its own (fsynced) that also drops all but the newest
 * `keep`. Contents: `v8.serialize` of plain data (Map, Set and bigint survive; shared
 * objects such as a resting order held by its book and its indexes stay shared), and a SHA-256
 * over the version, seq, batch and both blobs.
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type { StoredSnapshot } from "./journal.ts";

/** Bumped whenever the snapshot's contents change shape: an older one is skipped, not misread. */
export const SNAPSHOT_VERSION = 6; // 6: quaternary trees (tree nodes carry `children`)

/** The snapshots file's one table (sequencer/journal/snapshot-store.ts). */
export const SNAPSHOT_TABLE = `CREATE TABLE IF NOT EXISTS snapshots (
  seq INTEGER PRIMARY KEY,
  journal TEXT NOT NULL,
  batch INTEGER NOT NULL,
  version INTEGER NOT NULL,
  hash TEXT NOT NULL,
  core BLOB NOT NULL,
  builder BLOB NOT NULL
);`;

/**
 * The snapshots file's table of built batches: each closed batch as the builder built it, stored
 * once until submitted, named by number in the snapshots that need it. `commitment` is the
 * batch's public inputs: a replay that builds the batch again to the same commitment need not
 * store it again, one that builds it otherwise (the journal lost commands the stored form was
 * built from: a power loss, since this file and the journal are synced apart) replaces it.
 */
export const BUILT_TABLE = `CREATE TABLE IF NOT EXISTS built_batches (
  number INTEGER PRIMARY KEY,
  journal TEXT NOT NULL,
  commitment TEXT NOT NULL,
  batch BLOB NOT NULL
);`;

/** When the venue takes snapshots and how many it keeps. */
export interface SnapshotPolicy {
  /** A snapshot once this many journal entries were written since the last one... */
  readonly everyEntries: number;
  /** ...or once this many batches closed since the last one (whichever comes first). */
  readonly everyBatches: number;
  /** Snapshots kept (the newest); older ones are deleted when a new one is written. */
  readonly keep: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { everyEntries: 50_000, everyBatches: 500, keep: 3 };

/** A stored snapshot that cannot be used (it is skipped on open, for an older one or genesis). */
export class SnapshotError extends Error {
  readonly code = "SNAPSHOT_INVALID";
  constructor(
    readonly seq: bigint,
    reason: string,
  ) {
    super(`snapshot at journal seq ${seq}: ${reason}`);
    this.name = "SnapshotError";
  }
}

/** The hash a stored snapshot carries: SHA-256 over its journal id, version, seq, batch and both blobs. */
export function snapshotHash(s: Omit<StoredSnapshot, "hash">): string {
  const head = Buffer.from(
    `tessera-snapshot|${s.journal}|${s.version}|${s.seq}|${s.batch}|${s.core.length}|${s.builder.length}|`,
  );
  return createHash("sha256").update(head).update(s.core).update(s.builder).digest("hex");
}

/** A snapshot ready to store: both parts serialized and hashed. */
export function sealSnapshot(
  journal: string,
  seq: bigint,
  batch: bigint,
  core: Buffer,
  builder: Buffer,
): StoredSnapshot {
  const s = { journal, seq, batch, version: SNAPSHOT_VERSION, core, builder };
  return { ...s, hash: snapshotHash(s) };
}

/**
 * Checks a stored snapshot's version, hash, journal and place in it (`journal`: the open
 * journal's id and length); throws `SnapshotError`.
 */
export function checkStored(s: StoredSnapshot, journal: { readonly id: string; readonly length: bigint }): void {
  if (s.version !== SNAPSHOT_VERSION)
    throw new SnapshotError(s.seq, `format version ${s.version}, this release reads ${SNAPSHOT_VERSION}`);
  if (snapshotHash(s) !== s.hash) throw new SnapshotError(s.seq, "hash mismatch (the stored bytes are corrupted)");
  if (s.journal !== journal.id)
    throw new SnapshotError(s.seq, `it was taken from another journal (${s.journal}), not this one (${journal.id})`);
  if (s.seq > journal.length)
    throw new SnapshotError(s.seq, `it is ahead of the journal, which holds ${journal.length} commands`);
}

export function encodePart(value: unknown): Buffer {
  return serialize(value);
}

/** Deserializes one part; an unreadable blob is a `SnapshotError`. */
export function decodePart<T>(seq: bigint, part: string, bytes: Buffer): T {
  try {
    return deserialize(bytes) as T;
  } catch (e) {
    throw new SnapshotError(
      seq,
      `its ${part} part does not deserialize: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
