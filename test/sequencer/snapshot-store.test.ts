/**
 * The snapshot store (sequencer/journal/snapshot-store.ts): snapshots are written off the
 * caller's thread, in the order handed, each whole, keeping the newest `keep`; `close` waits for
 * every one handed over, without an event-loop turn; a write that cannot be made is reported,
 * never half made. Built batches go through the same writer, so a snapshot is stored only when
 * every batch it names is. The venue-level guarantees (snapshot + tail equals a full replay, corrupted
 * snapshots skipped, kill -9) are test/sequencer/snapshot.test.ts and crash.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { checkStored, SNAPSHOT_VERSION } from "../../sequencer/journal/snapshot.ts";
import { openSnapshotStore, snapshotsFile } from "../../sequencer/journal/snapshot-store.ts";
import type { SnapshotStore } from "../../sequencer/journal/snapshot-store.ts";
import { encodeBuildRequest, decodeBuildRequest } from "../../sequencer/builder/remote.ts";
import { tempDb } from "./helpers.ts";

/** The id of the journal the stores below belong to. */
const JOURNAL = "6a0e2c9e-0b7d-4b8e-9a51-3f2d1c7e5a44";

/** Parts whose bytes name their snapshot, so a read can be matched to its write. */
function parts(seq: number, size: number): { core: Buffer; builder: Buffer } {
  return { core: Buffer.alloc(size, seq % 251), builder: Buffer.from(`builder trees at ${seq}`) };
}

/** Hands snapshots `seqs` over without waiting, each `size` bytes of core part. */
function handOver(store: SnapshotStore, seqs: readonly number[], keep: number, size: number): Promise<number>[] {
  return seqs.map((seq) => store.write({ seq: BigInt(seq), batch: BigInt(seq) / 10n, ...parts(seq, size) }, keep));
}

function checkContents(store: SnapshotStore, seqs: readonly number[], size: number): void {
  assert.deepEqual(store.seqs(), seqs.map(BigInt));
  for (const seq of seqs) {
    const s = store.read(BigInt(seq));
    assert.ok(s !== null, `snapshot ${seq} stored`);
    assert.equal(s.version, SNAPSHOT_VERSION);
    assert.equal(s.batch, BigInt(seq) / 10n);
    assert.deepEqual(s.core, parts(seq, size).core);
    assert.deepEqual(s.builder, parts(seq, size).builder);
    assert.equal(s.journal, JOURNAL);
    checkStored(s, { id: JOURNAL, length: 1_000_000n }); // hash, version and journal check out
    assert.throws(
      () => checkStored(s, { id: "another", length: 1_000_000n }),
      /taken from another journal \(6a0e2c9e-.*\), not this one \(another\)/,
    );
  }
}

describe("the snapshot store", () => {
  test("writes off this thread in order, keeps the newest, and close waits for every one handed over", () => {
    const db = tempDb();
    try {
      const size = 4 * 1024 * 1024;
      const store = openSnapshotStore(db.file, JOURNAL);
      // Handed over and never awaited: this test turns no event loop.
      handOver(store, [10, 20, 30, 40, 50], 3, size);
      assert.ok(store.queued > 0, "the writes are still being made when write() returns");
      assert.ok(store.queuedBytes >= size, `the store holds what it has not written: ${store.queuedBytes}`);
      store.close();
      assert.ok(existsSync(snapshotsFile(db.file)), "a file of its own beside the journal");
      const again = openSnapshotStore(db.file, JOURNAL);
      try {
        checkContents(again, [50, 40, 30], size);
      } finally {
        again.close();
      }
    } finally {
      db.cleanup();
    }
  });

  test("close returns once the writer has closed the file: its WAL is gone and the directory can be removed at once", () => {
    for (let round = 0; round < 5; round++) {
      const db = tempDb();
      const store = openSnapshotStore(db.file, JOURNAL);
      handOver(store, [10, 20], 2, 64 * 1024);
      store.flush();
      assert.ok(existsSync(`${snapshotsFile(db.file)}-wal`), "the writer's WAL while it is open");
      store.close();
      assert.equal(existsSync(`${snapshotsFile(db.file)}-wal`), false, "no connection holds the file after close");
      assert.equal(existsSync(`${snapshotsFile(db.file)}-shm`), false);
      // What a test's (or an operator's) clean-up does right after a venue closes.
      rmSync(path.dirname(db.file), { recursive: true });
      assert.equal(existsSync(path.dirname(db.file)), false);
    }
  });

  test("each write resolves once stored; settled() waits for all of them", async () => {
    const db = tempDb();
    const store = openSnapshotStore(db.file, JOURNAL);
    try {
      const writes = handOver(store, [1, 2, 3], 2, 1024);
      await store.settled();
      assert.equal(store.queued, 0);
      assert.equal(store.queuedBytes, 0);
      for (const ms of await Promise.all(writes)) assert.ok(ms >= 0);
      checkContents(store, [3, 2], 1024);
    } finally {
      store.close();
      db.cleanup();
    }
  });

  test("a write that cannot be made rejects with the reason and is no longer queued", async () => {
    // No directory for the file: the store does not open, and says why.
    const gone = tempDb();
    gone.cleanup();
    assert.throws(() => openSnapshotStore(gone.file, JOURNAL), /directory does not exist/);
    // The directory removed after the store opened: its writer cannot open the file.
    const db = tempDb();
    const store = openSnapshotStore(db.file, JOURNAL);
    try {
      rmSync(path.dirname(db.file), { recursive: true, force: true });
      await assert.rejects(handOver(store, [8], 3, 64)[0]!, /the snapshot writer stopped: .*directory does not exist/);
      assert.equal(store.queued, 0);
    } finally {
      store.close();
      db.cleanup();
    }
  });

  test("an in-memory journal keeps its snapshots in memory, with the same rules", async () => {
    const store = openSnapshotStore(":memory:", JOURNAL);
    await Promise.all(handOver(store, [5, 6, 7, 8], 2, 256));
    checkContents(store, [8, 7], 256);
    store.close();
    assert.deepEqual(store.seqs(), []);
  });

  for (const where of ["file", "memory"] as const)
    test(`built batches (${where}): stored off this thread in the order handed, before the snapshots naming them`, async () => {
      const db = tempDb();
      const file = where === "file" ? db.file : ":memory:";
      const batchBytes = (n: number, size = 1024 * 1024): Buffer => Buffer.alloc(size, n % 251);
      let store = openSnapshotStore(file, JOURNAL);
      try {
        // Handed over without waiting, then a snapshot naming them: it is stored, since they are.
        const encoded = batchBytes(1);
        const stored = [1, 2, 3].map((n) => store.storeBatch(BigInt(n), `c${n}`, n === 1 ? encoded : batchBytes(n)));
        assert.equal(encoded[0], 1, "the caller keeps its bytes (copied, not moved)");
        assert.ok(store.hasBatch(2n, "c2"), "a batch handed over counts as held before it is written");
        assert.equal(store.hasBatch(2n, "another commitment"), false);
        const named = store.write({ seq: 10n, batch: 3n, ...parts(10, 64), batches: [1n, 2n, 3n] }, 5);
        for (const ms of await Promise.all(stored)) assert.ok(ms >= 0);
        assert.ok((await named) >= 0);
        assert.deepEqual(store.batchNumbers(), [1n, 2n, 3n]);
        assert.deepEqual(store.batch(2n), batchBytes(2));
        assert.equal(store.batch(4n), null);

        // A snapshot naming a batch the store does not hold is refused, and nothing of it stored.
        await assert.rejects(
          store.write({ seq: 20n, batch: 4n, ...parts(20, 64), batches: [2n, 4n] }, 5),
          /it names batch 4, which the snapshots file does not hold/,
        );
        assert.deepEqual(store.seqs(), [10n]);

        // Stored again under its number (built again from another journal tail): replaced.
        await store.storeBatch(2n, "c2'", batchBytes(7));
        assert.deepEqual(store.batch(2n), batchBytes(7));
        assert.ok(store.hasBatch(2n, "c2'"));
        // Dropped (submitted): gone, and a snapshot naming it is refused.
        store.dropBatches([1n, 3n]);
        await store.settled();
        assert.deepEqual(store.batchNumbers(), [2n]);
        assert.equal(store.hasBatch(1n, "c1"), false);
        await assert.rejects(store.write({ seq: 30n, batch: 3n, ...parts(30, 64), batches: [3n] }, 5), /batch 3/);
        if (where === "memory") return;

        // Reopened: what was written is there, with its commitment; another journal's store
        // beside the same file reads none of them.
        store.close();
        store = openSnapshotStore(file, JOURNAL);
        assert.deepEqual(store.batchNumbers(), [2n]);
        assert.ok(store.hasBatch(2n, "c2'"));
        assert.equal(store.hasBatch(2n, "c2"), false);
        store.close();
        store = openSnapshotStore(file, "another journal");
        assert.deepEqual(store.batchNumbers(), []);
        assert.equal(store.batch(2n), null);
        assert.equal(store.hasBatch(2n, "c2'"), false);
      } finally {
        store.close();
        db.cleanup();
      }
    });

  test("a build request is the bytes of its batch, decoded to the batch it names", () => {
    const accepted = { number: 12n, context: null, pricesStale: false, txs: [] } as unknown as Parameters<
      typeof encodeBuildRequest
    >[0];
    const records = { accounts: new Map(), orders: new Map() } as unknown as Parameters<typeof encodeBuildRequest>[1];
    const request = encodeBuildRequest(accepted, records);
    assert.equal(request.number, 12n);
    assert.ok(request.bytes instanceof Uint8Array);
    assert.deepEqual(decodeBuildRequest(request), { accepted, records });
    assert.throws(
      () => decodeBuildRequest({ number: 13n, bytes: request.bytes }),
      /a build request for batch 13 holds batch 12/,
    );
  });
});
