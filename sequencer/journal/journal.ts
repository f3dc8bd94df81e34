/**
 * The sequencer's write-ahead journal: SQLite (better-sqlite3) in WAL mode.
 *
 * Every command that changed the venue is appended, with its `now` and a digest of its
 * outcome, in one SQLite transaction together with the fills and settlement records it made —
 * before the caller acknowledges it. Replaying the commands in `seq` order with their recorded `now` rebuilds
 * the same books, rollup state and batches; the digests let the replay prove it did.
 *
 * Durability promise: a command the venue acknowledged survives a crash of the process and of
 * the machine (power loss). The default, `synchronous = FULL`, keeps it: the WAL holding a
 * command is on disk (fsynced) before the venue acknowledges it. Without group commit SQLite
 * fsyncs each commit itself, before `append` returns. With group commit the fsync leaves the
 * caller's thread (`syncsApart`): SQLite commits without one (its `NORMAL`, which in WAL mode
 * still syncs the WAL before each checkpoint and the database after it), and `sync()` runs
 * `fdatasync` on the WAL file on a thread of its own (sync-thread.ts: the native addon's, which
 * asks for a sync without waking a thread while syncs are recent; libuv's thread pool without
 * the addon), covering every commit made before it was called; the venue acknowledges a group once a sync started after its commit has finished.
 * Because the WAL is only ever appended (and rewritten from its start only after a checkpoint
 * copied and synced it into the database), a power loss keeps a prefix of the commits: never a
 * later one without an earlier one. `NORMAL` (an explicit choice, `TESSERA_SYNCHRONOUS=NORMAL`)
 * keeps the promise only for a crash of the process (SIGKILL): a power loss may drop the last
 * acknowledged commands.
 *
 * Group commit (`groupCommit`): appends join one open SQLite transaction until `commit()`, so
 * one commit (one fsync) covers every command of the group. The venue (sequencer/core/sequencer.ts)
 * commits at the end of each event-loop turn, or sooner when the group is full, and holds every
 * reply and event about the group's commands until then. Without it, each append commits alone.
 * Every other write (batch status, proofs) commits the open group first, then itself.
 *
 * Checkpoints (copying the WAL back into the database file) run on a thread of their own
 * (checkpoints.ts), never inside the venue's commits.
 *
 * Snapshots (sequencer/journal/snapshot.ts) are kept beside the journal in a file of their own,
 * written off the caller's thread (`snapshots`, snapshot-store.ts): a restart loads the newest
 * valid one and replays `entries(after)` only.
 * Closed batches, as the builder built them, are stored once each until submitted, in the
 * snapshots file (table `built_batches` there, written by the same thread), and snapshots name
 * them by number. Journals written before kept them in a table of their own, moved on open.
 */
import { randomUUID } from "node:crypto";
import { closeSync, fdatasync, fdatasyncSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { Command } from "../core/commands.ts";
import { commandSchema } from "../core/commands.ts";
import type { SettledPosition } from "../core/sequencer.ts";
import type { Fill } from "../core/engine/engine.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import { WalCheckpointer } from "./checkpoints.ts";
import type { CheckpointPolicy } from "./checkpoints.ts";
import { DEFAULT_SYNC_POLL_US, WalSyncThread } from "./sync-thread.ts";
import { openSnapshotStore } from "./snapshot-store.ts";
import type { SnapshotStore } from "./snapshot-store.ts";
import { toJson } from "../wire.ts";
import { placeCommandJson } from "../core/journal-text.ts";
import { decodePlaceBody, encodePlaceBody } from "./place-body.ts";

export type Synchronous = "NORMAL" | "FULL";

export interface JournalEntry {
  readonly seq: bigint;
  /** Unix milliseconds at which the command was applied. */
  readonly now: bigint;
  readonly command: Command;
  /** The outcome digest written with it. */
  readonly outcome: string;
}

/** Where a closed batch is in the proof pipeline ("closed" = not picked up yet). */
export type ProofStatus = "closed" | "proving" | "proved" | "submitted" | "failed";

export interface StoredFill extends Fill {
  /** Status recorded for the fill's batch, or null when none was recorded (open or closed). */
  readonly proofStatus: ProofStatus | null;
}

/** Thrown when a journal was written by a venue with another configuration. */
export class JournalMismatchError extends Error {
  readonly code = "JOURNAL_MISMATCH";
  constructor(message: string) {
    super(message);
    this.name = "JournalMismatchError";
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  seq INTEGER PRIMARY KEY,
  now TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL, -- JSON text; a place command's binary body (place-body.ts) as a BLOB
  outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fills (
  trade_id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  instrument TEXT NOT NULL,
  price TEXT NOT NULL,
  size TEXT NOT NULL,
  taker_side INTEGER NOT NULL,
  maker_account INTEGER NOT NULL,
  maker_order TEXT NOT NULL,
  taker_account INTEGER NOT NULL,
  taker_order TEXT NOT NULL,
  batch INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  time TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'trade'
);
CREATE INDEX IF NOT EXISTS fills_maker ON fills (maker_account, trade_id);
CREATE INDEX IF NOT EXISTS fills_taker ON fills (taker_account, trade_id);
CREATE TABLE IF NOT EXISTS settlements (
  batch INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  account INTEGER NOT NULL,
  instrument TEXT NOT NULL,
  size TEXT NOT NULL,
  price TEXT NOT NULL,
  round_id TEXT NOT NULL,
  value TEXT NOT NULL,
  cost TEXT NOT NULL,
  pnl TEXT NOT NULL,
  time TEXT NOT NULL,
  PRIMARY KEY (batch, slot)
);
CREATE INDEX IF NOT EXISTS settlements_account ON settlements (account, batch, slot);
-- Snapshots lived here up to format version 3; they have a file of their own now
-- (snapshot-store.ts), and this release cannot read those anyway.
DROP TABLE IF EXISTS snapshots;
CREATE TABLE IF NOT EXISTS batches (
  number INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  proof TEXT
);
`;

interface FillRow {
  trade_id: number;
  instrument: string;
  price: string;
  size: string;
  taker_side: number;
  maker_account: number;
  maker_order: string;
  taker_account: number;
  taker_order: string;
  batch: number;
  slot: number;
  time: string;
  kind: string;
  status: string | null;
}

interface SettlementRow {
  batch: number;
  slot: number;
  account: number;
  instrument: string;
  size: string;
  price: string;
  round_id: string;
  value: string;
  cost: string;
  pnl: string;
  time: string;
}

/**
 * A stored snapshot of the venue (sequencer/journal/snapshot.ts): the state the replay of
 * commands 1..`seq` reaches, at the boundary after batch `batch`. `core` and `builder` are
 * `v8.serialize`d; `hash` covers every other column.
 */
export interface StoredSnapshot {
  /** The id of the journal it was taken from (`Journal.id`): the two files are only ever used together. */
  readonly journal: string;
  readonly seq: bigint;
  readonly batch: bigint;
  readonly version: number;
  readonly hash: string;
  readonly core: Buffer;
  readonly builder: Buffer;
}

/** An account's fills as maker or taker below a trade id, newest first, with their batch's status. */
const FILLS_PAGE = `SELECT f.*, b.status AS status FROM (
     SELECT * FROM (SELECT * FROM fills WHERE maker_account = @account AND trade_id < @below
                    ORDER BY trade_id DESC LIMIT @limit)
     UNION
     SELECT * FROM (SELECT * FROM fills WHERE taker_account = @account AND trade_id < @below
                    ORDER BY trade_id DESC LIMIT @limit)
   ) f LEFT JOIN batches b ON b.number = f.batch ORDER BY f.trade_id DESC LIMIT @limit`;

function fillsPage(
  statement: Database.Statement,
  accountId: bigint,
  limit: number,
  before: bigint | null,
): StoredFill[] {
  // Bound as an exact integer (better-sqlite3 binds a bigint as INTEGER): no id loses precision.
  const below = before ?? (1n << 63n) - 1n;
  const rows = statement.all({ account: accountId, below, limit }) as FillRow[];
  return rows.map((r) => ({
    tradeId: BigInt(r.trade_id),
    kind: r.kind === "liquidation" ? "liquidation" : "trade",
    instrument: BigInt(r.instrument),
    price: BigInt(r.price),
    size: BigInt(r.size),
    takerSide: r.taker_side === 0 ? 0 : 1,
    makerAccount: BigInt(r.maker_account),
    makerOrderId: BigInt(r.maker_order),
    takerAccount: BigInt(r.taker_account),
    takerOrderId: BigInt(r.taker_order),
    batch: BigInt(r.batch),
    slot: r.slot,
    time: BigInt(r.time),
    proofStatus: r.status as ProofStatus | null,
  }));
}

function settlementsOf(db: Database.Database, accountId: bigint, limit: number): SettledPosition[] {
  const rows = db
    .prepare("SELECT * FROM settlements WHERE account = ? ORDER BY batch DESC, slot DESC LIMIT ?")
    .all(accountId, limit) as SettlementRow[];
  return rows.map((r) => ({
    accountId: BigInt(r.account),
    instrument: BigInt(r.instrument),
    size: BigInt(r.size),
    price: BigInt(r.price),
    roundId: BigInt(r.round_id),
    value: BigInt(r.value),
    cost: BigInt(r.cost),
    pnl: BigInt(r.pnl),
    batch: BigInt(r.batch),
    slot: r.slot,
    time: BigInt(r.time),
  }));
}

function batchStatusOf(db: Database.Database, batch: bigint): ProofStatus | null {
  const row = db.prepare("SELECT status FROM batches WHERE number = ?").get(batch) as { status: string } | undefined;
  return (row?.status ?? null) as ProofStatus | null;
}

/**
 * The journal's account reads from another process (the market-data process): a read-only
 * connection to the venue's file. Under WAL it sees every committed command and none that is not,
 * and it never blocks the venue's writes.
 */
export class JournalReader {
  private readonly db: Database.Database;
  private readonly fillsPage: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.fillsPage = this.db.prepare(FILLS_PAGE);
  }

  /** As `Journal.fillsOf`. */
  fillsOf(accountId: bigint, limit: number, before: bigint | null = null): StoredFill[] {
    return fillsPage(this.fillsPage, accountId, limit, before);
  }

  /** As `Journal.settlementsOf`. */
  settlementsOf(accountId: bigint, limit: number): SettledPosition[] {
    return settlementsOf(this.db, accountId, limit);
  }

  /** As `Journal.batchStatus`. */
  batchStatus(batch: bigint): ProofStatus | null {
    return batchStatusOf(this.db, batch);
  }

  close(): void {
    this.db.close();
  }
}

export class Journal {
  private readonly db: Database.Database;
  private readonly insertCommand: Database.Statement;
  private readonly insertFill: Database.Statement;
  private readonly insertSettlement: Database.Statement;
  private readonly fillsPage: Database.Statement;
  private readonly restoreSettlementsTx: (
    rebuilt: readonly { readonly seq: bigint; readonly settled: readonly SettledPosition[] }[],
  ) => void;
  private readonly appendTx: (
    now: bigint,
    command: Command,
    outcome: string,
    fills: readonly Fill[],
    settled: readonly SettledPosition[],
  ) => bigint;
  private nextSeq: bigint;
  /** Group commit: a transaction is open for the group (`BEGIN` run, `COMMIT` not yet). */
  private groupOpen = false;
  /** Commands appended in the open group. */
  private grouped = 0;
  /**
   * Group commit under `synchronous = FULL`: commits do not fsync; `sync()` does, off the
   * caller's thread (see the durability promise above). False otherwise, or when the database
   * is not in WAL mode (an in-memory one).
   */
  readonly syncsApart: boolean;
  /** The WAL file, opened for `sync()` (read-only: fdatasync needs no write access). */
  private walFd: number | null = null;
  /** `sync()`'s thread (sync-thread.ts), or null: libuv's thread pool (no native addon, or asked for). */
  private syncThread: WalSyncThread | null = null;
  /** A commit was made since the last `sync()` was called. */
  private dirty = false;
  /** The venue's snapshots: a file of their own, written off this thread (snapshot-store.ts). */
  readonly snapshots: SnapshotStore;
  /**
   * The write-ahead log's checkpoints, off this thread (checkpoints.ts); null for a database not
   * in WAL mode (an in-memory one).
   */
  readonly checkpoints: WalCheckpointer | null;
  /** This journal's identity (a random UUID made when the file was created; meta `journal_id`). */
  readonly id: string;

  private constructor(
    file: string,
    synchronous: Synchronous,
    readonly groupCommit: boolean,
    checkpoints: CheckpointPolicy | undefined,
    syncPollUs: number | null,
  ) {
    this.db = new Database(file);
    const wal = this.db.pragma("journal_mode = WAL", { simple: true }) === "wal";
    this.syncsApart = wal && groupCommit && synchronous === "FULL";
    this.db.pragma(`synchronous = ${this.syncsApart ? "NORMAL" : synchronous}`);
    this.checkpoints = wal ? new WalCheckpointer(file, this.db, checkpoints) : null;
    this.db.exec(SCHEMA);
    // The journal's identity, made once: its snapshots, in a file of their own, carry it, so a
    // snapshots file left beside another journal is never read as this one's.
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('journal_id', ?)").run(randomUUID());
    this.id = (this.db.prepare("SELECT value FROM meta WHERE key = 'journal_id'").get() as { value: string }).value;
    this.snapshots = openSnapshotStore(file, this.id);
    this.tidyBuiltBatches();
    // The schema's write created the WAL file; it keeps its inode while this connection is
    // open (SQLite deletes it only when the last connection closes).
    if (this.syncsApart) {
      this.walFd = openSync(`${file}-wal`, "r");
      if (syncPollUs !== null) this.syncThread = WalSyncThread.open(this.walFd, syncPollUs);
    }
    // Journals written before liquidations existed have no fill kind: every fill was a trade.
    const columns = this.db.prepare("PRAGMA table_info(fills)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "kind"))
      this.db.exec("ALTER TABLE fills ADD COLUMN kind TEXT NOT NULL DEFAULT 'trade'");
    this.insertCommand = this.db.prepare("INSERT INTO commands (seq, now, kind, body, outcome) VALUES (?, ?, ?, ?, ?)");
    this.insertFill = this.db.prepare(
      `INSERT INTO fills (trade_id, seq, instrument, price, size, taker_side, maker_account, maker_order,
         taker_account, taker_order, batch, slot, time, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.fillsPage = this.db.prepare(FILLS_PAGE);
    // OR IGNORE: a replay restores the records of journals written before they existed.
    this.insertSettlement = this.db.prepare(
      `INSERT OR IGNORE INTO settlements (batch, slot, seq, account, instrument, size, price, round_id, value, cost,
         pnl, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.restoreSettlementsTx = this.db.transaction(
      (rebuilt: readonly { readonly seq: bigint; readonly settled: readonly SettledPosition[] }[]) => {
        for (const { seq, settled } of rebuilt) for (const p of settled) this.writeSettlement(seq, p);
      },
    );
    const last = this.db.prepare("SELECT MAX(seq) AS seq FROM commands").get() as { seq: number | null };
    this.nextSeq = BigInt(last.seq ?? 0) + 1n;
    this.appendTx = this.db.transaction(
      (now: bigint, command: Command, outcome: string, fills: readonly Fill[], settled: readonly SettledPosition[]) => {
        const seq = this.nextSeq;
        this.writeCommand(seq, now, command, outcome);
        for (const f of fills) {
          this.insertFill.run(
            f.tradeId,
            seq,
            f.instrument.toString(),
            f.price.toString(),
            f.size.toString(),
            f.takerSide,
            f.makerAccount,
            f.makerOrderId.toString(),
            f.takerAccount,
            f.takerOrderId.toString(),
            f.batch,
            f.slot,
            f.time.toString(),
            f.kind,
          );
        }
        for (const p of settled) this.writeSettlement(seq, p);
        this.nextSeq = seq + 1n;
        return seq;
      },
    );
  }

  private writeCommand(seq: bigint, now: bigint, command: Command, outcome: string): void {
    // A place command (every order) in binary (place-body.ts); the rest, rarer, as JSON text.
    const body = command.kind === "place" ? (encodePlaceBody(command) ?? placeCommandJson(command)) : toJson(command);
    this.insertCommand.run(seq, now.toString(), command.kind, body, outcome);
  }

  private writeSettlement(seq: bigint, p: SettledPosition): void {
    this.insertSettlement.run(
      p.batch,
      p.slot,
      seq,
      p.accountId,
      p.instrument.toString(),
      p.size.toString(),
      p.price.toString(),
      p.roundId.toString(),
      p.value.toString(),
      p.cost.toString(),
      p.pnl.toString(),
      p.time.toString(),
    );
  }

  /**
   * Opens (or creates) the journal at `file`. `meta` identifies the venue configuration
   * (profile, domain, genesis, markets); a journal written under another one is refused.
   */
  static open(
    file: string,
    meta: Readonly<Record<string, string>>,
    synchronous: Synchronous = "FULL",
    groupCommit = false,
    /** When the write-ahead log is checkpointed (checkpoints.ts `DEFAULT_CHECKPOINT_POLICY`). */
    checkpoints?: CheckpointPolicy,
    /**
     * How long `sync()`'s thread polls after a sync, µs (sync-thread.ts, default
     * `DEFAULT_SYNC_POLL_US`); null syncs through libuv's thread pool instead.
     */
    syncPollUs: number | null = DEFAULT_SYNC_POLL_US,
  ): Journal {
    const journal = new Journal(file, synchronous, groupCommit, checkpoints, syncPollUs);
    try {
      journal.checkMeta(meta);
    } catch (e) {
      // Refused (another venue's file): nothing of this one stays open, its threads included.
      journal.close();
      throw e;
    }
    return journal;
  }

  /**
   * The meta value of `key`; when the journal has none, `initial(length)` (the journal's command
   * count then) is recorded and returned. For a venue rule that changed in a release: a journal
   * written before records the seq from which the new rule applies, so that its older commands
   * replay under the rule they were executed with.
   */
  metaOnce(key: string, initial: (length: bigint) => string): string {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    if (row !== undefined) return row.value;
    const value = initial(this.length);
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(key, value);
    return value;
  }

  /** Records `value` as the meta value of `key`, replacing any (the venue's rebuild). */
  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** A configuration value recorded by an earlier run, or null (new or absent file). */
  static peekMeta(file: string, key: string): string | null {
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch {
      return null;
    }
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
      return row?.value ?? null;
    } catch {
      return null;
    } finally {
      db.close();
    }
  }

  private checkMeta(meta: Readonly<Record<string, string>>): void {
    const get = this.db.prepare("SELECT value FROM meta WHERE key = ?");
    const put = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(meta)) {
        const row = get.get(key) as { value: string } | undefined;
        if (row === undefined) put.run(key, value);
        else if (row.value !== value)
          throw new JournalMismatchError(
            `journal ${key} is ${row.value} but this venue is configured with ${value}: use another database file`,
          );
      }
    })();
  }

  /**
   * Appends one command with its outcome digest, fills and settlement records (all or none).
   * Returns its seq. Durable on return without group commit; with it, at the next `commit()`.
   */
  append(
    now: bigint,
    command: Command,
    outcome: string,
    fills: readonly Fill[],
    settled: readonly SettledPosition[] = [],
  ): bigint {
    if (this.groupCommit && !this.groupOpen) {
      this.db.exec("BEGIN IMMEDIATE");
      this.groupOpen = true;
    }
    let seq: bigint;
    if (fills.length === 0 && settled.length === 0) {
      // One row (a resting order, a cancel): one statement, which SQLite applies whole or not
      // at all, so it needs no savepoint of its own (one costs about 3 µs, a fifth of the
      // append). A failed insert leaves the group's earlier commands in place.
      seq = this.nextSeq;
      this.writeCommand(seq, now, command, outcome);
      this.nextSeq = seq + 1n;
    } else {
      // Several rows: inside an open group, better-sqlite3 runs the append as a savepoint, so a
      // failed append leaves neither part of this command nor a gap in the group's earlier ones.
      seq = this.appendTx(now, command, outcome, fills, settled);
    }
    if (this.groupOpen) this.grouped += 1;
    this.checkpoints?.appended();
    return seq;
  }

  /**
   * The sync thread's counts (sync-thread.ts): requests that woke it, its looks while polling,
   * syncs run; null when syncs go through libuv's thread pool or need no thread.
   */
  get syncStats(): { readonly signals: number; readonly polls: number; readonly syncs: number } | null {
    return this.syncThread?.stats ?? null;
  }

  /** Commands appended since the last commit (group commit; 0 without it). */
  get uncommitted(): number {
    return this.grouped;
  }

  /**
   * Commits the open group, if any: one WAL commit. Under `synchronous = FULL` it is durable
   * on return, or, when `syncsApart`, once a `sync()` called after it has resolved.
   */
  commit(): void {
    if (!this.groupOpen) return;
    this.db.exec("COMMIT");
    this.groupOpen = false;
    this.grouped = 0;
    this.dirty = true;
  }

  /**
   * Makes every commit made so far durable (`syncsApart`): `fdatasync` of the WAL file on the
   * addon's sync thread (sync-thread.ts; libuv's thread pool without the addon), so the caller's
   * thread goes on (matching the next group) meanwhile.
   * Resolves at once when nothing was committed since the last call, or when commits fsync
   * themselves. Rejects when the file could not be synced: the commits it covers may not be
   * durable, so nothing they hold may be acknowledged.
   */
  sync(): Promise<void> {
    const fd = this.walFd;
    if (!this.dirty || fd === null) return Promise.resolve();
    this.dirty = false;
    if (this.syncThread !== null) return this.syncThread.sync();
    return new Promise((resolve, reject) => {
      fdatasync(fd, (err) => {
        // Closed meanwhile: `close()` synced everything first.
        if (this.walFd === null || err === null) resolve();
        else reject(err);
      });
    });
  }

  /**
   * Makes every commit made so far durable before returning, on the caller's thread: for the
   * rare writes outside the command stream (batch status, proofs) when `syncsApart`.
   */
  private syncNow(): void {
    if (this.walFd === null) return;
    fdatasyncSync(this.walFd);
    this.dirty = false;
  }

  /**
   * Writes the settlement records of journaled settle commands (by `seq`) as a replay rebuilt
   * them, where they are missing (a journal from before settlement records); existing rows are
   * kept. Call after iterating `entries()` (SQLite writes nothing while a read is open).
   */
  restoreSettlements(rebuilt: readonly { readonly seq: bigint; readonly settled: readonly SettledPosition[] }[]): void {
    this.commit();
    if (rebuilt.length > 0) this.restoreSettlementsTx(rebuilt);
  }

  get length(): bigint {
    return this.nextSeq - 1n;
  }

  /** The seq of the last committed command (`length` less the open group's). */
  get committedLength(): bigint {
    return this.nextSeq - 1n - BigInt(this.grouped);
  }

  /** Every command in order, decoded; with `after`, only those with a greater seq. */
  *entries(after = 0n): Generator<JournalEntry> {
    const rows = this.db
      .prepare("SELECT seq, now, body, outcome FROM commands WHERE seq > ? ORDER BY seq")
      .iterate(after) as Iterable<{
      seq: number;
      now: string;
      /** JSON text, or a place command's binary body (place-body.ts). */
      body: string | Uint8Array;
      outcome: string;
    }>;
    for (const row of rows) {
      yield {
        seq: BigInt(row.seq),
        now: BigInt(row.now),
        command:
          typeof row.body === "string"
            ? (commandSchema.parse(JSON.parse(row.body)) as Command)
            : decodePlaceBody(row.body),
        outcome: row.outcome,
      };
    }
  }

  /**
   * An account's fills, newest first, with the proof status of their batch: at most `limit`,
   * with trade ids below `before` when given (the previous page's last trade id). Two index
   * range scans (as maker, as taker) of at most `limit` rows each, whatever the account's history.
   */
  fillsOf(accountId: bigint, limit: number, before: bigint | null = null): StoredFill[] {
    return fillsPage(this.fillsPage, accountId, limit, before);
  }

  /** An account's settled option positions, newest first. */
  settlementsOf(accountId: bigint, limit: number): SettledPosition[] {
    return settlementsOf(this.db, accountId, limit);
  }

  /**
   * Records a batch's proof pipeline status (outside the replayed command stream). A submitted
   * batch's built form is dropped with it: the venue no longer holds it (L1 has its data).
   */
  setBatchStatus(batch: bigint, status: ProofStatus, detail = ""): void {
    this.commit();
    this.db
      .prepare(
        `INSERT INTO batches (number, status, detail) VALUES (?, ?, ?)
         ON CONFLICT(number) DO UPDATE SET status = excluded.status, detail = excluded.detail`,
      )
      .run(batch, status, detail);
    this.syncNow();
    if (status === "submitted") this.snapshots.dropBatches([batch]);
  }

  /**
   * Hands a closed batch as the builder built it (`v8.serialize`d `Batch`: witnesses and public
   * inputs) to the snapshots file's writer thread, so that a snapshot names the batches it needs
   * instead of carrying them (sequencer/journal/snapshot.ts). This thread only copies the bytes
   * (about 1.2 MB at prod); the write is made off it, before any snapshot handed later. Resolves
   * once stored; rejects with the reason if it could not be (a snapshot naming the batch is then
   * refused by the writer, and the venue goes on). `commitment` is the batch's public inputs,
   * kept with it (`hasBuiltBatch`).
   */
  storeBuiltBatch(batch: bigint, commitment: string, encoded: Uint8Array): Promise<number> {
    return this.snapshots.storeBatch(batch, commitment, encoded);
  }

  /**
   * Whether batch `batch` is stored, or handed over to be, with this commitment: a replay that
   * builds it again to the same commitment need not store it again. The snapshots file and the
   * journal are synced apart, so after a power loss a stored batch may have been built from
   * commands the journal lost: built again from what the journal holds, its commitment differs,
   * and the new form replaces it.
   */
  hasBuiltBatch(batch: bigint, commitment: string): boolean {
    return this.snapshots.hasBatch(batch, commitment);
  }

  /** A batch's stored built form (see `storeBuiltBatch`), or null when none is stored. */
  builtBatch(batch: bigint): Buffer | null {
    return this.snapshots.batch(batch);
  }

  /** Whether the snapshots file holds batch `batch` with `commitment` now (writes handed over aside). */
  holdsBuiltBatch(batch: bigint, commitment: string): boolean {
    return this.snapshots.holdsBatch(batch, commitment);
  }

  /**
   * A batch's built form as stored with `commitment`, read without waiting for the snapshots
   * file's queued writes: for a batch whose `storeBuiltBatch` has resolved (a closed batch that
   * left its bytes there, `ClosedBatch.release`). Null when it is no longer stored so.
   */
  storedBuiltBatch(batch: bigint, commitment: string): Buffer | null {
    return this.snapshots.storedBatch(batch, commitment);
  }

  /**
   * On open: moves built batches out of the journal file, where journals written before kept
   * them (table `built_batches`, read back as they are; their commitment unknown, so a replay
   * that builds one again stores it again), and drops stored batches that were submitted since
   * (a drop lost to a crash).
   */
  private tidyBuiltBatches(): void {
    const legacy = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'built_batches'").get();
    if (legacy !== undefined) {
      const numbers: bigint[] = [];
      const rows = this.db
        .prepare("SELECT number, batch FROM built_batches ORDER BY number")
        .iterate() as IterableIterator<{ number: number; batch: Buffer }>;
      for (const row of rows) {
        numbers.push(BigInt(row.number));
        this.snapshots.storeBatch(BigInt(row.number), "", row.batch).catch(() => {});
      }
      // Dropped once every one is stored (`batchNumbers` waits for the writer): a move that
      // failed keeps them here for the next open.
      const moved = new Set(this.snapshots.batchNumbers());
      if (numbers.every((n) => moved.has(n))) this.db.exec("DROP TABLE built_batches");
    }
    const stored = this.snapshots.batchNumbers();
    if (stored.length === 0) return;
    const submitted = new Set(
      (
        this.db.prepare("SELECT number FROM batches WHERE status = 'submitted' AND number >= ?").all(stored[0]!) as {
          number: number;
        }[]
      ).map((r) => BigInt(r.number)),
    );
    this.snapshots.dropBatches(stored.filter((n) => submitted.has(n)));
  }

  /** The recorded status of a batch, or null when none was recorded. */
  batchStatus(batch: bigint): ProofStatus | null {
    return batchStatusOf(this.db, batch);
  }

  /** Stores a batch's packed proof (`uint256[8]`) and marks it proved. */
  recordProof(batch: bigint, proof: SolidityProof): void {
    this.commit();
    this.db
      .prepare(
        `INSERT INTO batches (number, status, detail, proof) VALUES (?, 'proved', '', ?)
         ON CONFLICT(number) DO UPDATE SET status = 'proved', detail = '', proof = excluded.proof`,
      )
      .run(batch, toJson(proof));
    this.syncNow();
  }

  /** The recorded status of a batch with its detail (the L1 transaction hash once submitted). */
  batchRecord(batch: bigint): { status: ProofStatus; detail: string } | null {
    const row = this.db.prepare("SELECT status, detail FROM batches WHERE number = ?").get(batch) as
      { status: string; detail: string } | undefined;
    return row === undefined ? null : { status: row.status as ProofStatus, detail: row.detail };
  }

  /** The stored proof of a batch, or null. */
  proofOf(batch: bigint): SolidityProof | null {
    const row = this.db.prepare("SELECT proof FROM batches WHERE number = ?").get(batch) as
      { proof: string | null } | undefined;
    if (row?.proof == null) return null;
    const values = (JSON.parse(row.proof) as string[]).map(BigInt);
    if (values.length !== 8) throw new Error(`batch ${batch}: stored proof has ${values.length} elements`);
    return values as unknown as SolidityProof;
  }

  /**
   * Commits the open group (every appended command is whole) and closes the file. A group
   * whose commit fails is rolled back: its commands were never acknowledged.
   */
  close(): void {
    if (!this.db.open) return;
    this.snapshots.close();
    try {
      this.commit();
      this.syncNow();
    } catch {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    }
    // Its connection closed first: this one is then the last, whose close empties the log.
    this.checkpoints?.close();
    // Stopped before the file it syncs is closed; every commit was synced just above.
    this.syncThread?.close();
    this.syncThread = null;
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.db.close();
  }
}
