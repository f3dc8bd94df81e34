/**
 * Group commit (issue 16 item 3): the commands of one event-loop turn share one journal commit,
 * and nothing about them is told (events, `durable()`) before that commit. Another connection to
 * the journal file (what a restart after kill -9 would read) sees a command exactly when the
 * venue may acknowledge it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync } from "node:fs";
import Database from "better-sqlite3";
import { initCrypto } from "../../protocol/index.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import type { OpenOptions, VenueEvent } from "../../sequencer/core/sequencer.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import type { Fill } from "../../sequencer/core/engine/engine.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import { tempDb, Trader, venueConfig } from "./helpers.ts";
import { eventually } from "./wait.ts";

const alice = new Trader("alice", 2n);
const bob = new Trader("bob", 3n);
let now = 1_800_000_000_000n;
const tick = (): bigint => (now += 1000n);

function deposit(venue: Sequencer, t: Trader): void {
  venue.execute(
    {
      kind: "deposit",
      accountId: t.accountId,
      owner: t.owner,
      pkHash: t.pkHash,
      amount: 10_000_000n,
      queueIndex: null,
    },
    tick(),
  );
}

/** Commands a separate connection reads from the file: what survives a crash now. */
function onDisk(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM commands").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function open(file: string, options: OpenOptions): Promise<{ venue: Sequencer; events: VenueEvent[] }> {
  await initCrypto();
  const venue = Sequencer.open(venueConfig(), file, "FULL", {}, options);
  const events: VenueEvent[] = [];
  venue.on((e) => events.push(e));
  return { venue, events };
}

/** The journal's syncs, held open by the test: each runs the real fdatasync and resolves when the test says. */
function holdSyncs(venue: Sequencer): { readonly done: () => void }[] {
  const syncs: { readonly done: () => void }[] = [];
  const realSync = venue.journal.sync.bind(venue.journal);
  venue.journal.sync = () =>
    new Promise<void>((resolve, reject) => {
      syncs.push({ done: () => void realSync().then(resolve, reject) });
    });
  return syncs;
}

describe("group commit", () => {
  test("one commit covers a turn's commands; events and durable() come after it, never before", async () => {
    const db = tempDb();
    const { venue, events } = await open(db.file, { groupCommit: true });
    try {
      deposit(venue, alice);
      deposit(venue, bob);
      venue.execute({ kind: "closeBatch" }, tick());
      assert.equal(venue.journal.uncommitted, 3, "three commands wait for one commit");
      assert.equal(onDisk(db.file), 0, "nothing is on disk yet");
      assert.equal(events.length, 0, "nothing is told before the commit");
      await venue.durable();
      assert.equal(venue.journal.uncommitted, 0);
      assert.equal(onDisk(db.file), 3, "the commit wrote all three");
      assert.deepEqual(
        events.map((e) => e.type),
        ["batch"],
        "the batch event went out with the commit",
      );
      // Nothing waiting: durable() resolves at once, and a command of the next turn starts a new group.
      await venue.durable();
      deposit(venue, alice);
      assert.equal(venue.journal.uncommitted, 1);
    } finally {
      venue.close();
    }
    assert.equal(onDisk(db.file), 4, "close commits the open group");
    db.cleanup();
  });

  test("a full group commits at once, inside the command that filled it", async () => {
    const db = tempDb();
    const { venue } = await open(db.file, { groupCommit: true, maxGroup: 2 });
    try {
      deposit(venue, alice);
      assert.equal(onDisk(db.file), 0);
      deposit(venue, bob);
      assert.equal(venue.journal.uncommitted, 0);
      assert.equal(onDisk(db.file), 2);
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("without group commit each command is on disk when execute returns", async () => {
    const db = tempDb();
    const { venue, events } = await open(db.file, {});
    try {
      deposit(venue, alice);
      venue.execute({ kind: "closeBatch" }, tick());
      assert.equal(onDisk(db.file), 2);
      assert.deepEqual(
        events.map((e) => e.type),
        ["batch"],
      );
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("with the fsync apart, a committed group is told and acknowledged only after a sync that started after its commit", async () => {
    const db = tempDb();
    const { venue, events } = await open(db.file, { groupCommit: true, maxGroup: 1 });
    const syncs = holdSyncs(venue);
    try {
      assert.equal(venue.journal.syncsApart, true, "FULL with group commit syncs apart");
      let acked = 0;
      deposit(venue, alice); // a full group (maxGroup 1): committed inside execute
      void venue.durable().then(() => (acked += 1));
      venue.execute({ kind: "closeBatch" }, tick());
      void venue.durable().then(() => (acked += 1));
      await new Promise((r) => setImmediate(r));
      assert.equal(onDisk(db.file), 2, "both groups are committed (another connection reads them)");
      assert.equal(syncs.length, 1, "one sync runs; the second group waits for the next");
      assert.equal(acked, 0, "nothing acknowledged before a sync");
      assert.equal(events.length, 0, "nothing told before a sync");
      syncs[0]!.done(); // the real fdatasync, then the first sync resolves
      await eventually("the first group acknowledged after its sync", () => acked === 1, 10_000);
      assert.equal(events.length, 0, "the second group's batch event waits for its own sync");
      assert.equal(syncs.length, 2, "the second sync started when the first ended");
      assert.equal(acked, 1, "the second group is not acknowledged before its own sync");
      syncs[1]!.done();
      await eventually("the second group acknowledged after its sync", () => acked === 2, 10_000);
      assert.deepEqual(
        events.map((e) => e.type),
        ["batch"],
      );
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("with the fsync apart, the turns a sync spans share one commit after it, and are acknowledged after the next", async () => {
    const db = tempDb();
    const { venue, events } = await open(db.file, { groupCommit: true });
    const syncs = holdSyncs(venue);
    // The commits that wrote something, and how many commands each held.
    const commits: number[] = [];
    const realCommit = venue.journal.commit.bind(venue.journal);
    venue.journal.commit = () => {
      if (venue.journal.uncommitted > 0) commits.push(venue.journal.uncommitted);
      realCommit();
    };
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    try {
      let acked = 0;
      deposit(venue, alice);
      void venue.durable().then(() => (acked += 1));
      await turn();
      assert.deepEqual(commits, [1], "the first turn's command is committed at the end of its turn");
      assert.equal(syncs.length, 1, "and its sync runs");
      // Three more turns while that sync runs: their commands wait in the open group.
      deposit(venue, bob);
      void venue.durable().then(() => (acked += 1));
      await turn();
      venue.execute({ kind: "closeBatch" }, tick());
      void venue.durable().then(() => (acked += 1));
      await turn();
      deposit(venue, alice);
      void venue.durable().then(() => (acked += 1));
      await turn();
      assert.deepEqual(commits, [1], "no commit while the sync runs");
      assert.equal(onDisk(db.file), 1, "another connection sees only the first command");
      assert.equal(venue.journal.uncommitted, 3);
      syncs[0]!.done();
      await eventually("the first command acknowledged after its sync", () => acked === 1, 10_000);
      assert.deepEqual(commits, [1, 3], "one commit for the three turns, when the sync ended");
      assert.equal(onDisk(db.file), 4);
      assert.equal(syncs.length, 2, "and one sync for them");
      assert.equal(events.length, 0, "the batch event waits for that sync");
      assert.equal(acked, 1, "as do their acknowledgements");
      syncs[1]!.done();
      await eventually("the three acknowledged after the second sync", () => acked === 4, 10_000);
      assert.deepEqual(
        events.map((e) => e.type),
        ["batch"],
      );
      assert.equal(syncs.length, 2, "nothing left to sync");
    } finally {
      venue.close();
    }
    assert.equal(onDisk(db.file), 4);
    db.cleanup();
  });

  test("a failed sync halts the venue and acknowledges nothing it covered", async () => {
    const db = tempDb();
    const { venue, events } = await open(db.file, { groupCommit: true });
    venue.journal.sync = () => Promise.reject(new Error("EIO: i/o error, fdatasync"));
    try {
      deposit(venue, alice);
      await assert.rejects(venue.durable(), (e: Error & { code?: string }) => e.code === "UNAVAILABLE");
      assert.deepEqual(
        events.map((e) => e.type),
        ["halted"],
      );
      await assert.rejects(venue.durable(), (e: Error & { code?: string }) => e.code === "UNAVAILABLE");
      assert.throws(
        () => deposit(venue, bob),
        (e: Error & { code?: string }) => e.code === "UNAVAILABLE",
      );
    } finally {
      venue.close();
      db.cleanup();
    }
  });

  test("a restart replays exactly the committed commands", async () => {
    const db = tempDb();
    const first = await open(db.file, { groupCommit: true });
    deposit(first.venue, alice);
    await first.venue.durable();
    deposit(first.venue, bob);
    // A crash before the second commit: the files as they are now (copied without yielding,
    // so the commit cannot run), the WAL with whatever uncommitted frames it holds.
    const copy = tempDb();
    copyFileSync(db.file, copy.file);
    if (existsSync(`${db.file}-wal`)) copyFileSync(`${db.file}-wal`, `${copy.file}-wal`);
    first.venue.close();
    const { venue } = await open(copy.file, { groupCommit: true });
    try {
      assert.equal(venue.journal.length, 1n);
      assert.equal(venue.ledger.state.account(alice.accountId).collateral, 10_000_000n);
      assert.equal(venue.ledger.state.account(bob.accountId).pkHash, 0n, "the uncommitted deposit is not there");
    } finally {
      venue.close();
      copy.cleanup();
      db.cleanup();
    }
  });

  test("a failed append, of one row or of several, leaves nothing of itself and keeps the group's other commands", () => {
    const db = tempDb();
    const journal = Journal.open(db.file, { profile: "test" }, "FULL", true);
    // Another connection installs the failures: the third command (one row) and the fourth
    // command's second fill (several rows: the command, then its fills) are refused by SQLite.
    const trigger = new Database(db.file);
    trigger.exec(`
      CREATE TRIGGER refuse_one BEFORE INSERT ON commands WHEN NEW.body LIKE '%refused-group%'
        BEGIN SELECT RAISE(ABORT, 'refused'); END;
      CREATE TRIGGER refuse_fill BEFORE INSERT ON fills WHEN NEW.trade_id = 99
        BEGIN SELECT RAISE(ABORT, 'refused'); END;`);
    trigger.close();
    const cancel = (group: string): Command => ({ kind: "cancelGroup", group, reason: "disconnect" });
    const fill = (tradeId: bigint): Fill => ({
      tradeId,
      kind: "trade",
      instrument: 1n,
      price: 100n,
      size: 1n,
      takerSide: 0,
      makerAccount: 2n,
      makerOrderId: 1n,
      takerAccount: 3n,
      takerOrderId: 2n,
      batch: 1n,
      slot: 0,
      time: 1n,
    });
    try {
      assert.equal(journal.append(1n, cancel("a"), "o1", []), 1n);
      assert.equal(journal.append(2n, cancel("b"), "o2", [fill(1n)]), 2n);
      assert.throws(() => journal.append(3n, cancel("refused-group"), "o3", []), /refused/);
      assert.throws(() => journal.append(4n, cancel("c"), "o4", [fill(98n), fill(99n)]), /refused/);
      // No seq is lost to a failure: the next command takes the next number.
      assert.equal(journal.append(5n, cancel("d"), "o5", [fill(100n)]), 3n);
      assert.equal(journal.uncommitted, 3);
      journal.commit();
      const reader = new Database(db.file, { readonly: true });
      try {
        const commands = reader.prepare("SELECT seq, outcome FROM commands ORDER BY seq").all();
        assert.deepEqual(commands, [
          { seq: 1, outcome: "o1" },
          { seq: 2, outcome: "o2" },
          { seq: 3, outcome: "o5" },
        ]);
        const fills = reader.prepare("SELECT trade_id, seq FROM fills ORDER BY trade_id").all();
        assert.deepEqual(fills, [
          { trade_id: 1, seq: 2 },
          { trade_id: 100, seq: 3 },
        ]);
      } finally {
        reader.close();
      }
    } finally {
      journal.close();
      db.cleanup();
    }
  });
});
