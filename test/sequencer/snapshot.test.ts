/**
 * Snapshots (issue 16 item 3): a venue restored from a snapshot plus the journal tail is the
 * venue a full replay from genesis rebuilds — records, ledger, books, every venue map, closed
 * batches and the builder's Merkle trees node by node — across random histories with fills,
 * liquidations, funding, settlements, withdrawals, dead-man switches and market-maker
 * protection; both then react to the same commands with the same outcomes and events. A
 * corrupted or foreign-version snapshot is skipped for an older one or genesis.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { deserialize } from "node:v8";
import Database from "better-sqlite3";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { batchHead } from "../../sequencer/builder/builder.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { OpenOptions, Outcome, VenueEvent } from "../../sequencer/core/sequencer.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { SequencerError } from "../../sequencer/errors.ts";
import { snapshotsFile } from "../../sequencer/journal/snapshot-store.ts";
import type { Market } from "../../sequencer/core/engine/markets.ts";
import { compareWithFullReplay, stateDifferences } from "../../sequencer/tools/snapshot-check.ts";
import { initCrypto } from "../../protocol/index.ts";
import { ETH_PERP, FAR_EXPIRY, tempDb, Trader, venueConfig } from "./helpers.ts";
import { mulberry32 } from "../random.ts";

await initCrypto();

const P = 300_000n;
const BTC = 6_000_000n;
const RICH = 100_000_000_000n;
const THIN = 600_000_000n;

/** A random history's command source: orders, cancels, oracle moves, funding, withdrawals... */
class History {
  readonly traders = [2n, 3n, 4n, 5n, 6n].map((id) => new Trader(`snap-${id}`, id));
  private readonly nextId = new Map<bigint, bigint>();
  private price = P;
  private round = 1n;
  now: bigint;
  private readonly call: Market;
  private readonly put: Market;
  private settled = false;

  constructor(
    private readonly venue: () => Sequencer,
    private readonly random: () => number,
  ) {
    const markets = venue().engine.listMarkets();
    const of = (kind: number) => markets.find((m) => m.underlying === 1 && m.kind === kind && m.strike === P)!;
    this.call = of(InstrumentKind.CALL);
    this.put = of(InstrumentKind.PUT);
    this.now = (this.call.expiry - 300n) * 1000n;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private id(t: Trader): bigint {
    const id = (this.nextId.get(t.accountId) ?? 0n) + 1n;
    this.nextId.set(t.accountId, id);
    return id;
  }

  deposits(): Command[] {
    return this.traders.map((t, i) => ({
      kind: "deposit" as const,
      accountId: t.accountId,
      owner: t.owner,
      pkHash: t.pkHash,
      amount: i === 0 ? THIN : RICH,
      queueIndex: null,
    }));
  }

  /** The next random command (time moves on by 0.5–3 s, funding intervals pass). */
  next(): Command {
    this.now += BigInt(500 + Math.floor(this.random() * 2500));
    const r = this.random();
    const t = this.pick(this.traders);
    const expired = this.now / 1000n >= this.call.expiry;
    if (expired && !this.settled && r < 0.1) {
      this.settled = true;
      return { kind: "settle", underlying: 1, expiry: this.call.expiry, price: this.price, roundId: this.round };
    }
    if (r < 0.55) {
      const option = !expired && this.random() < 0.2;
      const market = option ? this.pick([this.call, this.put]) : null;
      const side: SideCode = this.random() < 0.5 ? Side.BUY : Side.SELL;
      const offset = BigInt(Math.floor(this.random() * 9) - 4);
      const price = market === null ? this.price + offset * 100n : 5_000n + offset * 500n;
      const size = market === null ? BigInt(1 + Math.floor(this.random() * 20)) * 500n : 1_000n;
      const tif = this.random() < 0.3 ? "IOC" : "GTC";
      const order = t.sign({
        instrument: market?.instrument ?? ETH_PERP,
        side,
        size,
        price,
        orderId: this.id(t),
        tif,
        reduceOnly: this.random() < 0.05,
      });
      return { kind: "place", order, clientOrderId: this.random() < 0.2 ? `c${this.now}` : null };
    }
    if (r < 0.7) {
      const open = this.venue().engine.openOrders(t.accountId);
      if (open.length > 0)
        return { kind: "cancel", accountId: t.accountId, orderId: this.pick(open).orderId, reason: "user" };
      return { kind: "closeBatch" };
    }
    if (r < 0.8) {
      // Moves of up to ±6 %: enough to liquidate the thin account now and then.
      const bps = BigInt(Math.floor(this.random() * 1200) - 600);
      this.price = (this.price * (10_000n + bps)) / 10_000n;
      this.round += 1n;
      return { kind: "oracle", prices: [this.price, BTC], roundIds: [this.round, this.round] };
    }
    if (r < 0.85) return { kind: "funding" };
    if (r < 0.88) {
      const order = t.sign(withdrawalOrder(t.accountId, 1_000_000n, this.id(t), FAR_EXPIRY));
      return { kind: "withdraw", withdrawal: order };
    }
    if (r < 0.91) return { kind: "closeBatch" };
    if (r < 0.94) return { kind: "scheduleCancel", accountId: t.accountId, at: this.now + 5_000n };
    if (r < 0.96) return { kind: "cancelScheduled", accountId: t.accountId };
    if (r < 0.98)
      return {
        kind: "mmpConfig",
        accountId: t.accountId,
        underlying: 1,
        config: { windowMs: 10_000n, maxQuantity: 20_000n, maxCount: 5, maxDelta: 0n },
      };
    return { kind: "expire" };
  }
}

/** Executes `command`, keeping the outcome or the rejection's code. */
function run(venue: Sequencer, command: Command, now: bigint): Outcome | string {
  try {
    return venue.execute(command, now);
  } catch (e) {
    if (e instanceof SequencerError || e instanceof ProtocolError) return e.code;
    throw e;
  }
}

function open(file: string, options: OpenOptions = {}): Sequencer {
  return Sequencer.open(venueConfig(), file, "NORMAL", {}, options);
}

/** Copies a closed journal and its snapshots file (and their WALs, if any) to `to`. */
function copyJournal(from: string, to: string): void {
  for (const [a, b] of [
    [from, to],
    [snapshotsFile(from), snapshotsFile(to)],
  ] as const) {
    copyFileSync(a, b);
    for (const ext of ["-wal", "-shm"]) if (existsSync(a + ext)) copyFileSync(a + ext, b + ext);
  }
}

function snapshotRows(file: string): { seq: number; version: number }[] {
  const db = new Database(snapshotsFile(file), { readonly: true });
  try {
    return db.prepare("SELECT seq, version FROM snapshots ORDER BY seq DESC").all() as {
      seq: number;
      version: number;
    }[];
  } finally {
    db.close();
  }
}

/** The pid of this process's batch builder process (Linux /proc: the child running builder-worker.ts). */
function builderPid(): number {
  const found = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, "utf8").includes("builder-worker");
      } catch {
        return false; // gone meanwhile
      }
    });
  assert.equal(found.length, 1, `one builder process: ${found.join(", ")}`);
  return Number(found[0]);
}

/** Runs `sql` with `seq` on the SQLite file `file` (the journal, or its `snapshotsFile`). */
function corrupt(file: string, sql: string, seq: number): void {
  const db = new Database(file);
  try {
    db.prepare(sql).run(seq);
  } finally {
    db.close();
  }
}

describe("snapshot + tail equals a full replay", () => {
  let liquidations = 0;
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random history ${seed}: state, then outcomes and events after the restart`, { timeout: 240_000 }, () => {
      const db = tempDb();
      const copy = tempDb();
      try {
        const random = mulberry32(seed);
        // Even seeds run with group commit in groups of at most 2 (a full group commits
        // inside a command, where no snapshot may be taken) and commit now and then.
        const grouped = seed % 2 === 0;
        const venue = open(db.file, {
          snapshots: {
            everyEntries: 20 + Math.floor(random() * 40),
            everyBatches: 3 + Math.floor(random() * 8),
            keep: 3,
          },
          ...(grouped ? { groupCommit: true, maxGroup: 2 } : {}),
        });
        const history = new History(() => venue, random);
        for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
        const kinds = new Map<string, number>();
        for (let i = 0; i < 260; i++) {
          const c = history.next();
          const r = run(venue, c, history.now);
          if (grouped && i % 5 === 4) venue.commit();
          const key = typeof r === "string" ? `rejected:${c.kind}` : c.kind;
          kinds.set(key, (kinds.get(key) ?? 0) + 1);
          if (typeof r !== "string" && (r.kind === "oracle" || r.kind === "funding"))
            kinds.set("liquidations", (kinds.get("liquidations") ?? 0) + r.risk.fills.length);
          if (typeof r !== "string" && r.kind === "place")
            kinds.set("fills", (kinds.get("fills") ?? 0) + r.result.fills.length);
        }
        assert.ok((kinds.get("fills") ?? 0) > 10, `the history fills orders: ${[...kinds].join(" ")}`);
        assert.ok((kinds.get("withdraw") ?? 0) > 0, "the history withdraws");
        assert.ok((kinds.get("funding") ?? 0) > 0, "the history runs funding");
        assert.equal(kinds.get("settle"), 1, "the history settles an option series");
        liquidations += kinds.get("liquidations") ?? 0;
        if (seed === 8) assert.ok(liquidations > 0, "the histories liquidate accounts");
        const length = venue.journal.length;
        venue.close();
        assert.ok(snapshotRows(db.file).length > 0, "snapshots were taken");
        assert.ok(snapshotRows(db.file).length <= 3, "only the newest three are kept");

        const check = compareWithFullReplay(venueConfig(), db.file);
        assert.ok(check.snapshotSeq > 0n, "the restart loaded a snapshot");
        assert.equal(BigInt(check.full), length, "the full replay ran every command");
        assert.equal(BigInt(check.tail), length - check.snapshotSeq, "the restart replayed only the tail");
        assert.deepEqual(check.skipped, []);
        assert.deepEqual(check.differences, [], "snapshot + tail rebuilt what the full replay rebuilt");

        // Both go on from here identically: the same commands, outcomes and events.
        copyJournal(db.file, copy.file);
        const restored = open(db.file, { snapshots: false });
        const full = open(copy.file, { snapshots: false, loadSnapshot: false });
        try {
          assert.equal(restored.restored.snapshotSeq, check.snapshotSeq);
          assert.equal(full.restored.snapshotSeq, 0n);
          // The liquidation index comes back with the snapshot: no rebuild (every account
          // examined) on the first tick after the restart.
          const index = restored.ledger.liquidationIndex.toSnapshot();
          assert.ok(index.ordinal.size > 0, "the snapshot's liquidation index was restored");
          assert.equal(index.ordinal.size, [...restored.ledger.registeredAccounts()].length);
          const events: [VenueEvent[], VenueEvent[]] = [[], []];
          restored.on((e) => events[0].push(e));
          full.on((e) => events[1].push(e));
          const more = new History(() => restored, mulberry32(seed + 100));
          more.now = restored.now;
          for (let i = 0; i < 60; i++) {
            const c = more.next();
            assert.deepEqual(run(restored, c, more.now), run(full, c, more.now), `command ${i} (${c.kind})`);
          }
          assert.ok(events[0].length > 0);
          assert.deepEqual(events[0], events[1]);
          assert.deepEqual(stateDifferences(restored, full), []);
          assert.equal(restored.ledger.currentStateRoot(), full.ledger.currentStateRoot());
          // The comparison sees a difference: one more command on one of them.
          const t = more.traders[1]!;
          run(
            restored,
            { kind: "scheduleCancel", accountId: t.accountId, at: more.now + 99_000n },
            (more.now += 1000n),
          );
          assert.deepEqual(stateDifferences(restored, full), ["seq", "lastNow", "engine.deadlines", "premiums"]);
        } finally {
          restored.close();
          full.close();
        }
      } finally {
        db.cleanup();
        copy.cleanup();
      }
    });
  }
});

describe("a snapshot that does not check out is skipped", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("corrupted bytes and another format version fall back to older snapshots, then genesis", () => {
    const random = mulberry32(9);
    const venue = open(db.file, { snapshots: { everyEntries: 25, everyBatches: 1000, keep: 4 } });
    const history = new History(() => venue, random);
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    for (let i = 0; i < 200; i++) run(venue, history.next(), history.now);
    venue.close();
    const rows = snapshotRows(db.file);
    assert.ok(rows.length >= 3, `at least three snapshots: ${rows.length}`);
    const [newest, second, third] = rows.map((r) => r.seq);

    // The newest snapshot's core part zeroed (same length): its hash no longer matches.
    corrupt(
      snapshotsFile(db.file),
      "UPDATE snapshots SET core = CAST(zeroblob(length(core)) AS BLOB) WHERE seq = ?",
      newest!,
    );
    let check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, BigInt(second!));
    assert.equal(check.skipped.length, 1);
    assert.match(check.skipped[0]!.reason, /hash mismatch/);
    assert.deepEqual(check.differences, []);

    // A snapshot of another format version is not read.
    corrupt(snapshotsFile(db.file), "UPDATE snapshots SET version = 99 WHERE seq = ?", second!);
    check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, BigInt(third!));
    assert.match(check.skipped[1]!.reason, /format version 99/);
    assert.deepEqual(check.differences, []);

    // Every snapshot unusable: the journal is replayed from genesis.
    for (const r of rows) corrupt(snapshotsFile(db.file), "UPDATE snapshots SET builder = X'00' WHERE seq = ?", r.seq);
    check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, 0n);
    assert.equal(check.skipped.length, rows.length);
    assert.equal(check.tail, check.full);
    assert.deepEqual(check.differences, []);
  });
});

describe("snapshots belong to their journal", () => {
  test("a snapshots file left beside another journal is not read: its snapshots are skipped, the journal replayed", () => {
    const db = tempDb();
    try {
      // A venue's history with snapshots; then its journal is replaced by a new one (the
      // snapshots file, a file of its own, stays behind) that runs a different, longer history.
      let venue = open(db.file, { snapshots: { everyEntries: 25, everyBatches: 1000, keep: 3 } });
      let history = new History(() => venue, mulberry32(41));
      for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
      for (let i = 0; i < 120; i++) run(venue, history.next(), history.now);
      const first = venue.journal.length;
      venue.close();
      const left = snapshotRows(db.file);
      assert.ok(left.length > 0, "the first journal's snapshots were stored");
      for (const ext of ["", "-wal", "-shm"]) rmSync(db.file + ext, { force: true });

      venue = open(db.file, { snapshots: false });
      history = new History(() => venue, mulberry32(42));
      for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
      for (let i = 0; i < 200; i++) run(venue, history.next(), history.now);
      assert.ok(venue.journal.length >= first, "the new journal is as long as the old snapshots' seqs");
      venue.close();

      const check = compareWithFullReplay(venueConfig(), db.file);
      assert.equal(check.snapshotSeq, 0n, "no snapshot of the other journal was loaded");
      assert.equal(check.skipped.length, left.length);
      for (const s of check.skipped) assert.match(s.reason, /taken from another journal/);
      assert.equal(check.tail, check.full);
      assert.deepEqual(check.differences, []);
    } finally {
      db.cleanup();
    }
  });
});

describe("a snapshot names its closed batches: the snapshots file stores each built batch once", () => {
  const db = tempDb();
  after(() => db.cleanup());

  /** The newest snapshot's core part: the batches it names and what it stores for each. */
  function newestPending(file: string): { seq: number; pending: Record<string, unknown>[] } {
    const handle = new Database(snapshotsFile(file), { readonly: true });
    try {
      const row = handle.prepare("SELECT seq, core FROM snapshots ORDER BY seq DESC LIMIT 1").get() as {
        seq: number;
        core: Buffer;
      };
      const outer = deserialize(row.core) as { core: Uint8Array };
      const core = deserialize(outer.core) as { pending: Record<string, unknown>[] };
      return { seq: row.seq, pending: core.pending };
    } finally {
      handle.close();
    }
  }

  /** The built batches stored beside the journal (the snapshots file), and their sizes. */
  function storedBatches(file: string): Map<number, number> {
    const handle = new Database(snapshotsFile(file), { readonly: true });
    try {
      const rows = handle.prepare("SELECT number, length(batch) AS bytes FROM built_batches").all() as {
        number: number;
        bytes: number;
      }[];
      return new Map(rows.map((r) => [r.number, r.bytes]));
    } finally {
      handle.close();
    }
  }

  test("a snapshot carries none, a batch missing from the store skips it, a submitted batch leaves it", () => {
    let venue = open(db.file, { snapshots: { everyEntries: 40, everyBatches: 1000, keep: 8 } });
    const history = new History(() => venue, mulberry32(33));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    for (let i = 0; i < 300; i++) run(venue, history.next(), history.now);
    const closedBatches = Number(venue.ledger.currentBatch - 1n);
    venue.close();
    assert.ok(closedBatches >= 3, `batches closed: ${closedBatches}`);

    // Every closed batch (no L1: none submitted) is stored once, in its built form, in the
    // snapshots file and not in the journal's.
    const stored = storedBatches(db.file);
    const journalTables = new Database(db.file, { readonly: true });
    try {
      assert.equal(
        journalTables.prepare("SELECT 1 FROM sqlite_master WHERE name = 'built_batches'").get(),
        undefined,
        "the journal's file holds no built batch",
      );
    } finally {
      journalTables.close();
    }
    assert.deepEqual(
      [...stored.keys()].sort((a, b) => a - b),
      Array.from({ length: closedBatches }, (_, i) => i + 1),
    );
    for (const [n, bytes] of stored) assert.ok(bytes > 1_000, `batch ${n} stored with its witnesses: ${bytes} bytes`);
    // The newest snapshot names its closed batches and carries none of them.
    const newest = newestPending(db.file);
    assert.ok(newest.pending.length >= 2, `batches named: ${newest.pending.length}`);
    for (const b of newest.pending) {
      assert.equal("batch" in b, false, `batch ${String(b.number)} is named, not carried`);
      assert.ok(stored.has(Number(b.number)));
    }
    let check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, BigInt(newest.seq));
    assert.deepEqual(check.differences, []);

    // A submitted batch leaves the stored batches; a snapshot that named it restores
    // without it, as a replay does (the pipeline no longer holds it).
    venue = open(db.file);
    venue.setBatchStatus(1n, "submitted", "0x01");
    assert.equal(venue.journal.builtBatch(1n), null);
    assert.notEqual(venue.journal.builtBatch(2n), null);
    assert.equal(
      venue.unprovedBatches().some((b) => b.number === 1n),
      false,
    );
    venue.close();
    check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, BigInt(newest.seq));
    assert.deepEqual(check.skipped, []);
    assert.deepEqual(check.differences, []);

    assert.equal(storedBatches(db.file).has(1), false, "the submitted batch is dropped from the file");
    // A batch the snapshots name, missing from the store: every one of them is skipped with the
    // reason, and the journal is replayed from genesis (which stores the batch again).
    corrupt(snapshotsFile(db.file), "DELETE FROM built_batches WHERE number = ?", 2);
    check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, 0n);
    assert.ok(check.skipped.length >= 1);
    for (const s of check.skipped) assert.match(s.reason, /does not hold batch 2, which it names/);
    assert.deepEqual(check.differences, []);
    assert.ok(storedBatches(db.file).has(2), "the replay stored batch 2 again");
  });
});

describe("built batches of an older journal, kept in the journal's own file", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("are moved to the snapshots file on open, and the snapshots naming them restore", () => {
    const venue = open(db.file, { snapshots: { everyEntries: 40, everyBatches: 1000, keep: 8 } });
    const history = new History(() => venue, mulberry32(35));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    for (let i = 0; i < 200; i++) run(venue, history.next(), history.now);
    venue.close();
    // As releases before this one left it: the built batches in a table of the journal's file.
    const side = new Database(snapshotsFile(db.file));
    const rows = side.prepare("SELECT number, batch FROM built_batches ORDER BY number").all() as {
      number: number;
      batch: Buffer;
    }[];
    side.exec("DELETE FROM built_batches");
    side.close();
    assert.ok(rows.length >= 2, `batches built: ${rows.length}`);
    const journal = new Database(db.file);
    journal.exec("CREATE TABLE built_batches (number INTEGER PRIMARY KEY, batch BLOB NOT NULL)");
    const insert = journal.prepare("INSERT INTO built_batches (number, batch) VALUES (?, ?)");
    for (const r of rows) insert.run(r.number, r.batch);
    journal.close();

    const check = compareWithFullReplay(venueConfig(), db.file);
    assert.ok(check.snapshotSeq > 0n, "restored from a snapshot, not replayed from genesis");
    assert.deepEqual(check.skipped, []);
    assert.deepEqual(check.differences, []);
    const after = new Database(db.file, { readonly: true });
    try {
      assert.equal(after.prepare("SELECT 1 FROM sqlite_master WHERE name = 'built_batches'").get(), undefined);
    } finally {
      after.close();
    }
    const moved = new Database(snapshotsFile(db.file), { readonly: true });
    try {
      const numbers = moved.prepare("SELECT number FROM built_batches ORDER BY number").pluck().all();
      assert.deepEqual(
        numbers,
        rows.map((r) => r.number),
      );
    } finally {
      moved.close();
    }
  });
});

describe("snapshots with the builder in its own process and group commit", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("the builder process's trees are stored and a restart starts it from them", async () => {
    const written: Record<string, unknown>[] = [];
    const options: OpenOptions = {
      builder: "process",
      groupCommit: true,
      snapshots: { everyEntries: 30, everyBatches: 5, keep: 2 },
      log: (_level, message, fields) => {
        if (message === "snapshot written") written.push(fields);
      },
    };
    let venue = open(db.file, options);
    const history = new History(() => venue, mulberry32(21));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    for (let i = 0; i < 150; i++) {
      run(venue, history.next(), history.now);
      if (i % 10 === 9) {
        await venue.durable();
        await venue.built();
      }
    }
    await venue.durable();
    await venue.built();
    run(venue, { kind: "closeBatch" }, (history.now += 1000n));
    await venue.built();
    await venue.snapshotsStored();
    // Snapshots were taken while batches waited for the builder process (stored with their built form).
    assert.ok(
      written.some((w) => (w.building as number) > 0),
      `a snapshot with batches building: ${JSON.stringify(written.map((w) => w.building))}`,
    );
    const check = compareWithFullReplay(venueConfig(), db.file);
    assert.ok(check.snapshotSeq > 0n);
    assert.deepEqual(check.differences, []);
    const forced = await venue.snapshot();
    assert.equal(forced, venue.journal.length, "a snapshot at the boundary after the last command");
    const root = venue.ledger.committedRoot;
    venue.close();

    venue = open(db.file, options);
    assert.equal(venue.restored.snapshotSeq, forced);
    assert.equal(venue.restored.replayed, 0);
    // A new batch is built by the restored builder process on the snapshot's trees.
    const t = history.traders[1]!;
    run(
      venue,
      { kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount: 5n, queueIndex: null },
      (history.now += 1000n),
    );
    run(venue, { kind: "closeBatch" }, (history.now += 1000n));
    await venue.durable();
    await venue.built();
    assert.equal(venue.halt, null);
    assert.notEqual(venue.ledger.committedRoot, root);
    const after = venue.ledger.committedRoot;
    venue.close();

    assert.deepEqual(compareWithFullReplay(venueConfig(), db.file).differences, []);
    const full = open(db.file, { snapshots: false, loadSnapshot: false });
    assert.equal(full.ledger.committedRoot, after, "the process-built trees equal a full replay's");
    full.close();
  });
});

describe("a closed batch lets go of its built form once the snapshots file holds it", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("read back from the file it is the same batch, after a restart too; a form the file lost is an error, never another batch", async () => {
    const options: OpenOptions = {
      builder: "process",
      groupCommit: true,
      snapshots: { everyEntries: 50, everyBatches: 2, keep: 2 },
    };
    let venue = open(db.file, options);
    const history = new History(() => venue, mulberry32(57));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    for (let i = 0; i < 160; i++) {
      run(venue, history.next(), history.now);
      if (i % 20 === 19) {
        await venue.durable();
        await venue.built();
      }
    }
    run(venue, { kind: "closeBatch" }, (history.now += 1000n));
    await venue.durable();
    await venue.built();
    await venue.snapshotsStored();
    // Waiting for L1 (none here), every closed batch is in the pipeline, its bytes in the file only.
    const pending = venue.unprovedBatches();
    assert.ok(pending.length >= 3, `closed batches: ${pending.length}`);
    const heads = new Map<bigint, unknown>();
    for (const c of pending) {
      assert.equal(c.held, false, `batch ${c.number}: no bytes held once stored`);
      assert.deepEqual(batchHead(c.batch), c.head, `batch ${c.number} read back is the batch built`);
      assert.deepEqual(Buffer.from(c.encoded()), venue.journal.builtBatch(c.number));
      heads.set(c.number, c.head);
    }
    venue.close();

    // Restored from a snapshot (which names the batches) or replayed: released as well.
    venue = open(db.file, options);
    assert.ok(venue.restored.snapshotSeq > 0n, "restored from a snapshot");
    // The batches the tail closes are built again by the builder process, then found stored.
    await venue.built();
    const restored = venue.unprovedBatches();
    assert.deepEqual(
      restored.map((c) => c.number),
      pending.map((c) => c.number),
    );
    for (const c of restored) {
      assert.equal(c.held, false, `restored batch ${c.number}: no bytes held`);
      assert.deepEqual(c.head, heads.get(c.number));
      assert.deepEqual(batchHead(c.batch), c.head);
    }
    // The file holds another form under a batch's number (or none): reading it fails with the
    // batch's number; it never hands out bytes it was not built as.
    const victim = restored[0]!;
    corrupt(
      snapshotsFile(db.file),
      "UPDATE built_batches SET commitment = 'other' WHERE number = ?",
      Number(victim.number),
    );
    assert.throws(() => victim.encoded(), new RegExp(`batch ${victim.number}: its built form is no longer stored`));
    venue.close();
  });
});

describe("a snapshot is never taken in the middle of a command", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("a group filled by a command commits inside it, and the snapshot waits for the command to be published", () => {
    // Every command fills its group (maxGroup 1) and a snapshot is due at every commit.
    const venue = open(db.file, {
      groupCommit: true,
      maxGroup: 1,
      snapshots: { everyEntries: 1, everyBatches: 1, keep: 2 },
    });
    const history = new History(() => venue, mulberry32(5));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    const [a, b] = history.traders;
    // A two-sided perp book: each later command samples its premium at the command's time.
    run(
      venue,
      {
        kind: "place",
        order: a!.sign({ side: Side.BUY, size: 500n, price: P - 100n, orderId: 1n }),
        clientOrderId: null,
      },
      (history.now += 1000n),
    );
    run(
      venue,
      {
        kind: "place",
        order: b!.sign({ side: Side.SELL, size: 500n, price: P + 300n, orderId: 1n }),
        clientOrderId: null,
      },
      (history.now += 1000n),
    );
    run(
      venue,
      { kind: "scheduleCancel", accountId: a!.accountId, at: history.now + 1_000_000n },
      (history.now += 1000n),
    );
    venue.commit();
    const length = venue.journal.length;
    venue.close();
    const check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, length, "the snapshot covers the last command, published");
    assert.deepEqual(check.differences, []);
  });
});

describe("a snapshot does not wait for a builder process that lags", () => {
  const db = tempDb();
  after(() => db.cleanup());

  test("it stores the build requests of the batches not in the builder's trees, and a restart builds them", async () => {
    const written: Record<string, unknown>[] = [];
    const options: OpenOptions = {
      builder: "process",
      groupCommit: true,
      // Only the snapshot this test asks for.
      snapshots: { everyEntries: 1_000_000, everyBatches: 1_000_000, keep: 2 },
      log: (_level, message, fields) => {
        if (message === "snapshot written") written.push(fields);
      },
    };
    let venue = open(db.file, options);
    const history = new History(() => venue, mulberry32(33));
    for (const c of history.deposits()) run(venue, c, (history.now += 1000n));
    // The builder process up and idle (a request before its genesis waits behind it).
    run(venue, { kind: "closeBatch" }, (history.now += 1000n));
    await venue.built();
    // Batches closed while the builder process is stopped (SIGSTOP), then the snapshot: when it
    // runs again, the snapshot's request is in its pipe behind dozens of builds, and is answered
    // between two of them, not after the backlog.
    const builder = builderPid();
    process.kill(builder, "SIGSTOP");
    const closed: bigint[] = [];
    try {
      for (let b = 0; b < 40; b++) {
        for (let i = 0; i < 4; i++) run(venue, history.next(), history.now);
        const o = run(venue, { kind: "closeBatch" }, (history.now += 1000n));
        if (typeof o !== "string" && o.kind === "closeBatch" && o.batch !== null) closed.push(o.batch);
      }
    } finally {
      setTimeout(() => process.kill(builder, "SIGCONT"), 50);
    }
    assert.ok(closed.length >= 10, `batches closed: ${closed.length}`);
    const seq = await venue.snapshot();
    assert.notEqual(seq, null);
    const w = written.at(-1)!;
    assert.ok((w.requests as number) > 0, `the builder's trees lagged the core's batches: ${JSON.stringify(w)}`);
    assert.ok((w.requests as number) <= (w.building as number));
    await venue.durable();
    await venue.built();
    assert.equal(venue.halt, null);
    const root = venue.ledger.committedRoot;
    venue.close();

    // On this thread: the restore builds the stored requests on the snapshot's trees.
    const check = compareWithFullReplay(venueConfig(), db.file);
    assert.equal(check.snapshotSeq, seq);
    assert.deepEqual(check.differences, []);
    // In a builder process: it is sent them first, and reaches the root the venue had.
    venue = open(db.file, { ...options, log: () => {} });
    assert.equal(venue.restored.snapshotSeq, seq);
    await venue.built();
    assert.equal(venue.halt, null);
    assert.equal(venue.ledger.committedRoot, root);
    venue.close();
  });
});
