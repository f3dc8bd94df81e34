/**
 * The journal's group-commit sync on the native addon's thread (sequencer/journal/sync-thread.ts,
 * native/src/sync_thread.c): every `sync()` resolves after an `fdatasync` that began after it,
 * or rejects with the errno; requests made while one sync runs are covered by the next; while
 * the thread polls, a request wakes nothing; a closed thread settles what waits and refuses more.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readdirSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { loadNativeCrypto } from "../../native/index.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { Journal, JournalMismatchError } from "../../sequencer/journal/journal.ts";
import { WalSyncThread } from "../../sequencer/journal/sync-thread.ts";
import { tempDb } from "./traders.ts";

const addon = loadNativeCrypto().addon;
if (addon === null) throw new Error("the native addon did not load: npm run build:native");

/** A sync thread on a fresh file of `dir`, and the file's descriptor (closed by `done`). */
function onFile(pollUs: number): { s: WalSyncThread; fd: number; done: () => void } {
  const db = tempDb();
  const fd = openSync(db.file, "w");
  const s = WalSyncThread.open(fd, pollUs)!;
  return {
    s,
    fd,
    done: () => {
      s.close();
      closeSync(fd);
      db.cleanup();
    },
  };
}

describe("the journal's sync thread", () => {
  test("every sync resolves; requests made while a sync runs are covered by the next, not lost", async () => {
    const { s, fd, done } = onFile(10_000);
    try {
      // Bursts of requests with writes between: each burst's requests coalesce into few syncs.
      for (let round = 0; round < 20; round++) {
        const waits: Promise<void>[] = [];
        for (let k = 0; k < 50; k++) {
          writeSync(fd, Buffer.alloc(64, k));
          waits.push(s.sync());
        }
        await Promise.all(waits);
      }
      const { syncs } = s.stats;
      assert.ok(syncs >= 20, `at least a sync a round (${syncs})`);
      assert.ok(syncs < 1000, `requests made during a sync share the next one (${syncs} syncs for 1,000 requests)`);
    } finally {
      done();
    }
  });

  test("while it polls, a lone request wakes no thread; without polling, each does", async () => {
    for (const pollUs of [0, 1_000_000]) {
      const { s, fd, done } = onFile(pollUs);
      try {
        for (let k = 0; k < 30; k++) {
          writeSync(fd, Buffer.alloc(64, k));
          await s.sync();
          await sleep(2);
        }
        const { signals, polls, syncs } = s.stats;
        assert.equal(syncs, 30, `one sync per lone request (poll ${pollUs} µs)`);
        if (pollUs === 0) {
          assert.equal(polls, 0, "no polling");
          assert.ok(signals > 0, `lone requests woke the sleeping thread (${signals})`);
        } else {
          assert.equal(signals, 0, "the polling thread found every request itself");
          assert.ok(polls > 0, "it polled");
        }
      } finally {
        done();
      }
    }
  });

  test("a failed fdatasync rejects with its errno name; the thread goes on", async () => {
    // /dev/null cannot be synced (EINVAL on Linux): what a failing disk looks like to the caller.
    const fd = openSync("/dev/null", "r");
    const s = WalSyncThread.open(fd, 10_000)!;
    try {
      await assert.rejects(
        s.sync(),
        (e: Error & { code?: string }) => e.code === "EINVAL" && /fdatasync/.test(e.message),
      );
      await assert.rejects(s.sync(), (e: Error & { code?: string }) => e.code === "EINVAL");
    } finally {
      s.close();
      closeSync(fd);
    }
  });

  test("closed: what waits resolves (its caller synced), and further syncs are refused", async () => {
    const { s, fd, done } = onFile(0);
    try {
      writeSync(fd, Buffer.alloc(64, 1));
      const waiting = s.sync();
      s.close();
      await waiting;
      await assert.rejects(s.sync(), /closed/);
      s.close();
    } finally {
      done();
    }
  });

  test("the addon refuses bad arguments with clear errors", () => {
    assert.throws(() => addon.syncerCreate(-1, () => undefined, 0), /fd must be an open file descriptor/);
    assert.throws(() => addon.syncerCreate(0, () => undefined, -1), /pollWindowUs/);
    assert.throws(() => addon.syncerCreate(0, () => undefined, 1_000_001), /pollWindowUs/);
    assert.throws(
      () => addon.syncerRequest({} as Parameters<typeof addon.syncerRequest>[0], 1),
      /syncer from syncerCreate/,
    );
    const fd = openSync("/dev/null", "r");
    try {
      const h = addon.syncerCreate(fd, () => undefined, 0);
      addon.syncerClose(h);
      assert.throws(() => addon.syncerRequest(h, 1), /closed/);
      addon.syncerClose(h);
    } finally {
      closeSync(fd);
    }
  });

  test("a group-commit journal syncs on the thread (stats), or through libuv's pool when asked (null)", async () => {
    const deposit = (i: number): Command => ({
      kind: "deposit",
      accountId: BigInt(2 + i),
      owner: BigInt(0x1000 + i),
      pkHash: BigInt(i) * 7919n + 1n,
      amount: 1_000n,
      queueIndex: null,
    });
    for (const syncPollUs of [10_000, null]) {
      const db = tempDb();
      const journal = Journal.open(db.file, {}, "FULL", true, undefined, syncPollUs);
      try {
        for (let i = 0; i < 5; i++) {
          journal.append(BigInt(i + 1), deposit(i), "ok", []);
          journal.commit();
          await journal.sync();
        }
        const stats = journal.syncStats;
        if (syncPollUs === null) assert.equal(stats, null);
        else assert.equal(stats?.syncs, 5, "each committed group synced once on the thread");
      } finally {
        journal.close();
      }
      // Every group reads back after the close.
      const again = Journal.open(db.file, {}, "FULL", true);
      try {
        assert.equal(again.length, 5n);
      } finally {
        again.close();
        db.cleanup();
      }
    }
  });

  test("a journal refused for another venue's meta leaves no thread or file open behind it", async () => {
    const db = tempDb();
    const threads = (): number => readdirSync("/proc/self/task").length;
    const files = (): number => readdirSync("/proc/self/fd").length;
    Journal.open(db.file, { domain: "1" }, "FULL", true).close();
    const before = threads();
    const open = files();
    for (let i = 0; i < 3; i++)
      assert.throws(() => Journal.open(db.file, { domain: "2" }, "FULL", true), JournalMismatchError);
    // Its sync thread is joined and its checkpointer's worker told to stop; a worker thread ends
    // on its own time, so the count is awaited (bounded). Left open, they never end.
    for (let waited = 0; threads() > before && waited < 5_000; waited += 20) await sleep(20);
    assert.equal(threads(), before, "no thread outlives a refused open");
    assert.equal(files(), open, "no file descriptor outlives a refused open");
    const again = Journal.open(db.file, { domain: "1" }, "FULL", true);
    again.close();
    db.cleanup();
  });
});
