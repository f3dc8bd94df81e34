/**
 * The L1 submitter's retry and idempotency rules against an in-memory rollup (the two contract
 * calls it makes): a failed send is retried on the next poll, a batch whose new root is already
 * on L1 is never sent again, a diverged L1 root stops the submitter, and repeated failures mark
 * the batch failed. The real contract path is covered by chain.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import type { BatchHeader } from "../../protocol/batch.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { L1Submitter } from "../../sequencer/l1/submitter.ts";
import type { RollupSubmission } from "../../sequencer/l1/submitter.ts";
import { openVenue, tempDb, Trader } from "./helpers.ts";

const PROOF: SolidityProof = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
const log = pino({ level: "silent" });

/** An in-memory rollup: accepts a batch by moving its root; `failures` sends throw first. */
class MemoryRollup implements RollupSubmission {
  sent: bigint[] = [];
  failures = 0;
  /** When set, a failing send is still "mined" (the root moves) before the error surfaces. */
  minedDespiteError = false;

  constructor(public root: bigint) {}

  stateRoot(): Promise<bigint> {
    return Promise.resolve(this.root);
  }

  submitBatch(header: BatchHeader, _slots: string, proof: SolidityProof) {
    assert.deepEqual(proof, PROOF);
    if (this.failures > 0) {
      this.failures -= 1;
      if (this.minedDespiteError) this.root = header.newStateRoot;
      return Promise.reject(new Error("connection reset"));
    }
    this.sent.push(header.newStateRoot);
    this.root = header.newStateRoot;
    return Promise.resolve({ hash: `0x${"ab".repeat(32)}`, wait: () => Promise.resolve(null) });
  }
}

describe("L1 submitter", () => {
  const db = tempDb();
  let venue: Sequencer;
  let now = 1_800_000_000_000n;
  const trader = new Trader("alice", 2n);

  /** Closes a batch holding one deposit and records a proof for it; returns it. */
  function provedBatch() {
    venue.execute(
      { kind: "deposit", accountId: 2n, owner: trader.owner, pkHash: trader.pkHash, amount: 1n, queueIndex: null },
      (now += 1000n),
    );
    venue.execute({ kind: "closeBatch" }, (now += 1000n));
    const closed = venue.unprovedBatches().at(-1)!;
    venue.recordProof(closed.number, PROOF);
    return closed;
  }

  before(async () => {
    venue = await openVenue(db.file);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("a failed send is retried on the next poll and submitted once", async () => {
    const b = provedBatch();
    const rollup = new MemoryRollup(b.batch.oldStateRoot);
    rollup.failures = 1;
    const submitter = new L1Submitter(venue, rollup, log, { backoffMs: 0 });
    await submitter.poll();
    assert.equal(venue.batchStatus(b.number), "proved", "kept for a retry");
    assert.match(venue.journal.batchRecord(b.number)!.detail, /retrying: .*connection reset/);
    assert.equal(submitter.stoppedBecause, null);
    await submitter.poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
    assert.equal(venue.journal.batchRecord(b.number)!.detail, `0x${"ab".repeat(32)}`);
    assert.deepEqual(rollup.sent, [b.batch.newStateRoot]);
  });

  test("a batch already on L1 is marked submitted without sending it again", async () => {
    const b = provedBatch();
    const rollup = new MemoryRollup(b.batch.newStateRoot);
    await new L1Submitter(venue, rollup, log).poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
    assert.deepEqual(rollup.sent, []);
  });

  test("a send that failed but was mined is not sent again", async () => {
    const b = provedBatch();
    const rollup = new MemoryRollup(b.batch.oldStateRoot);
    rollup.failures = 1;
    rollup.minedDespiteError = true;
    await new L1Submitter(venue, rollup, log).poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
    assert.deepEqual(rollup.sent, []);
  });

  test("an L1 root that is neither the batch's old nor new root stops the submitter", async () => {
    const b = provedBatch();
    const rollup = new MemoryRollup(12_345n);
    const submitter = new L1Submitter(venue, rollup, log);
    await submitter.poll();
    assert.match(submitter.stoppedBecause ?? "", /neither the batch's old nor its new root/);
    assert.equal(venue.batchStatus(b.number), "proved");
    assert.deepEqual(rollup.sent, []);
    // Cleared for the next test: the same batch then goes through.
    await new L1Submitter(venue, new MemoryRollup(b.batch.oldStateRoot), log).poll();
    assert.equal(venue.batchStatus(b.number), "submitted");
  });

  test("after the last allowed failure the batch is failed and the submitter stops", async () => {
    const b = provedBatch();
    const rollup = new MemoryRollup(b.batch.oldStateRoot);
    rollup.failures = 10;
    const submitter = new L1Submitter(venue, rollup, log, { maxAttempts: 3, backoffMs: 0 });
    for (let i = 0; i < 3; i++) await submitter.poll();
    assert.equal(venue.batchStatus(b.number), "failed");
    assert.match(submitter.stoppedBecause ?? "", /connection reset/);
    await submitter.poll();
    assert.equal(rollup.failures, 7, "no send after it stopped");
  });
});
