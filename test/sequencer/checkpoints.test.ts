/**
 * The journal's write-ahead log is checkpointed on a thread of its own (sequencer/journal/
 * checkpoints.ts), never inside the venue's commits: the log stays bounded while the venue
 * writes, every command reads back after a reopen, and a thread that dies hands checkpoints back
 * to SQLite on the venue's connection.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "../../sequencer/core/commands.ts";
import type { CheckpointPolicy } from "../../sequencer/journal/checkpoints.ts";
import { Journal } from "../../sequencer/journal/journal.ts";
import { ADMIN_TOKEN, startVenue, tempDb } from "./helpers.ts";
import { eventually } from "./wait.ts";

/** Small bounds, so that a few thousand commands cross them many times. */
const POLICY: CheckpointPolicy = {
  everyCommands: 50,
  maxDelayMs: 20,
  restartFrames: 300,
  restartBusyMs: 20,
  startAfterCommands: 100,
  pollMs: 5,
};

/** A journal whose thread never starts: the venue's connection alone, which never checkpoints. */
const NO_THREAD: CheckpointPolicy = { ...POLICY, startAfterCommands: Number.MAX_SAFE_INTEGER };

const COMMANDS = 6_000;
/** 4 KiB pages plus the frame header: the log's size in frames. */
const FRAME_BYTES = 4096 + 24;

function deposit(i: number): Command {
  return {
    kind: "deposit",
    accountId: BigInt(2 + (i % 1000)),
    owner: BigInt(0x1000 + i),
    pkHash: BigInt(i) * 7919n + 1n,
    amount: 1_000_000n + BigInt(i),
    queueIndex: null,
  };
}

/** Appends `n` commands from `from`, each committed alone, yielding now and then. */
async function write(journal: Journal, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    journal.append(1_800_000_000_000n + BigInt(i), deposit(i), "outcome", []);
    if (i % 100 === 99) await sleep(1);
  }
}

/**
 * Appends a few commands at a time until the thread has run a checkpoint (it starts after
 * `startAfterCommands` and takes a moment to load); returns the number of commands appended.
 */
async function untilRunning(journal: Journal, from: number): Promise<number> {
  let i = from;
  const deadline = Date.now() + 20_000;
  while ((journal.checkpoints?.stats().passes ?? 0) === 0) {
    if (Date.now() > deadline) throw new Error("the checkpoint thread never ran");
    await write(journal, i, 10);
    i += 10;
    await sleep(10);
  }
  return i - from;
}

function logFrames(file: string): number {
  return existsSync(`${file}-wal`) ? Math.ceil(statSync(`${file}-wal`).size / FRAME_BYTES) : 0;
}

function readBack(file: string): bigint[] {
  const journal = Journal.open(file, {}, "NORMAL", false, NO_THREAD);
  try {
    return [...journal.entries()].map((e) => e.seq);
  } finally {
    journal.close();
  }
}

describe("journal checkpoints", () => {
  test("a thread checkpoints and restarts the log: it stays bounded where the venue's connection alone lets it grow", async () => {
    const control = tempDb();
    const controlJournal = Journal.open(control.file, {}, "NORMAL", false, NO_THREAD);
    try {
      await write(controlJournal, 0, COMMANDS);
      assert.equal(controlJournal.checkpoints?.stats().mode, "idle");
      // Nothing but the venue's connection: it never checkpoints, so the log holds every commit.
      assert.ok(logFrames(control.file) >= COMMANDS, `the control's log holds ${logFrames(control.file)} frames`);
    } finally {
      controlJournal.close();
      control.cleanup();
    }

    const db = tempDb();
    const journal = Journal.open(db.file, {}, "NORMAL", false, POLICY);
    try {
      await write(journal, 0, POLICY.startAfterCommands - 1);
      assert.equal(journal.checkpoints?.stats().mode, "idle", "no thread for a short-lived journal");
      const started = POLICY.startAfterCommands - 1 + (await untilRunning(journal, POLICY.startAfterCommands - 1));
      let peak = 0;
      for (let from = started; from < started + COMMANDS; from += 500) {
        await write(journal, from, 500);
        peak = Math.max(peak, logFrames(db.file));
      }
      await eventually("the thread restarts the log", () => (journal.checkpoints?.stats().restarts ?? 0) >= 2, 10_000);
      const stats = journal.checkpoints!.stats();
      assert.equal(stats.mode, "thread");
      assert.ok(stats.passes >= 10, `${stats.passes} checkpoints`);
      // The log is reused from its start after each restart: its file stays a fraction of the
      // control's (one frame or more per commit), however late the thread gets the CPU here.
      assert.ok(peak <= COMMANDS / 3, `the log reached ${peak} frames (restart at ${POLICY.restartFrames})`);
    } finally {
      journal.close();
    }
    try {
      const seqs = readBack(db.file);
      assert.ok(seqs.length >= COMMANDS + POLICY.startAfterCommands, "every command reads back");
      assert.ok(
        seqs.every((s, i) => s === BigInt(i + 1)),
        "in order, with no gap",
      );
    } finally {
      db.cleanup();
    }
  });

  test("a thread that dies hands checkpoints back to SQLite on the venue's connection", async () => {
    const db = tempDb();
    const journal = Journal.open(db.file, {}, "NORMAL", false, POLICY);
    try {
      await write(journal, 0, POLICY.startAfterCommands);
      const thread = journal.checkpoints?.thread;
      assert.ok(thread !== null && thread !== undefined, "the thread started");
      await journal.checkpoints!.thread!.terminate().then(
        () => undefined,
        () => undefined,
      );
      await eventually(
        "the venue takes checkpoints back",
        () => journal.checkpoints?.stats().mode === "sqlite",
        10_000,
      );
      assert.match(journal.checkpoints!.stats().error ?? "", /checkpoint thread exited/);
      await write(journal, POLICY.startAfterCommands, COMMANDS);
      // SQLite's own checkpoints (every 1,000 pages) keep the log far below one frame per commit.
      assert.ok(logFrames(db.file) < COMMANDS / 2, `the log holds ${logFrames(db.file)} frames`);
    } finally {
      journal.close();
    }
    try {
      assert.equal(readBack(db.file).length, COMMANDS + POLICY.startAfterCommands);
    } finally {
      db.cleanup();
    }
  });

  test("a journal closed before its thread opened the file cancels the thread; one closed after waits for it", async () => {
    for (const wait of [false, true]) {
      const db = tempDb();
      const journal = Journal.open(db.file, {}, "NORMAL", false, POLICY);
      await write(journal, 0, POLICY.startAfterCommands);
      const thread = journal.checkpoints!.thread!;
      const written = POLICY.startAfterCommands + (wait ? await untilRunning(journal, POLICY.startAfterCommands) : 0);
      // Unref'd by the journal; ref'd here so that the test's loop waits for its exit.
      thread.ref();
      const exited = once(thread, "exit");
      journal.close();
      // Closed last, the venue's connection emptied the log and removed it.
      assert.equal(existsSync(`${db.file}-wal`), false, "the log is gone after close");
      await exited;
      assert.equal(readBack(db.file).length, written);
      db.cleanup();
    }
  });

  test("the venue's journal checkpoints on its thread under the configured policy, and /metrics says so", async () => {
    const { client, cleanup } = await startVenue({
      checkpoints: { everyCommands: 10, startAfterCommands: 10, restartFrames: 20, maxDelayMs: 20, pollMs: 5 },
      // As deployed: each group's sync on the journal's sync thread (sync-thread.ts).
      synchronous: "FULL",
    });
    try {
      const scrape = async (): Promise<Map<string, number>> => {
        const text = await fetch(client.url + "/metrics").then((r) => r.text());
        const values = new Map<string, number>();
        for (const m of text.matchAll(/^(tessera_journal_[a-z_]+(?:\{mode="[a-z]+"\})?) (\S+)$/gm))
          values.set(m[1]!, Number(m[2]));
        return values;
      };
      assert.equal(
        (await scrape()).get('tessera_journal_checkpoint_mode{mode="idle"}'),
        1,
        "no thread before any command",
      );
      for (let i = 0; i < 200; i++) {
        const r = await client.post(
          "/v1/admin/deposits",
          { accountId: String(10 + i), owner: String(0x3000 + i), pkHash: String(7919 * (i + 1)), amount: "1000000" },
          ADMIN_TOKEN,
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      let last = new Map<string, number>();
      await eventually(
        "checkpoints and a restart of the log on the venue's thread",
        async () => {
          last = await scrape();
          return (
            (last.get("tessera_journal_checkpoints") ?? 0) > 0 && (last.get("tessera_journal_log_restarts") ?? 0) > 0
          );
        },
        10_000,
      );
      assert.equal(last.get('tessera_journal_checkpoint_mode{mode="thread"}'), 1);
      assert.equal(last.get('tessera_journal_checkpoint_mode{mode="sqlite"}'), 0);
      // 200 deposits one after another, each acknowledged after its own group's sync: the sync
      // thread, polling between them, was found by nearly every request rather than woken.
      const polls = last.get("tessera_journal_sync_polls") ?? 0;
      const wakes = last.get("tessera_journal_sync_wakes") ?? Number.NaN;
      assert.ok(polls > 0, `the sync thread polled (${polls})`);
      assert.ok(wakes < 100, `most syncs woke no thread (${wakes} wakes for 200 groups)`);
    } finally {
      await cleanup();
    }
  });
});
