/**
 * Issue 14, finding F5 on the venue side: L1 accepts a batch price only at the feed round in
 * force at the batch timestamp, so the submitter sends that round's id (protocol/feedRounds.ts
 * through sequencer/l1/contracts.ts) and never sends a batch whose price a later round had
 * already replaced: it fails it with PRICE_ROUND_NOT_IN_FORCE instead.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import type { BatchHeader } from "../../protocol/batch.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import type { Sequencer } from "../../sequencer/core/sequencer.ts";
import { priceRoundsAt, PriceRoundError } from "../../sequencer/l1/contracts.ts";
import type { FeedReader } from "../../sequencer/l1/contracts.ts";
import { L1Submitter } from "../../sequencer/l1/submitter.ts";
import type { RollupSubmission } from "../../sequencer/l1/submitter.ts";
import { openVenue, tempDb, Trader } from "./helpers.ts";

const PROOF: SolidityProof = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
const log = pino({ level: "silent" });

/** An 8-decimal feed with rounds 1..n: (updatedAt, answer in cents). */
function feed(rounds: readonly (readonly [bigint, bigint])[]): { contract: FeedReader; decimals: number } {
  const data = (id: bigint) => {
    const [at, cents] = rounds[Number(id) - 1]!;
    return [id, cents * 1_000_000n, at, at, id];
  };
  return {
    decimals: 8,
    contract: {
      getFunction:
        (name) =>
        (...args: bigint[]) => {
          if (name === "latestRoundData") return Promise.resolve(data(BigInt(rounds.length)));
          const id = args[0]!;
          if (id < 1n || id > BigInt(rounds.length)) return Promise.reject(new Error("no data present"));
          return Promise.resolve(data(id));
        },
    },
  };
}

describe("finding F5: the venue sends the price round in force at the batch timestamp", () => {
  test("priceRoundsAt picks the round in force, and refuses a price a later round replaced", async () => {
    const eth = feed([
      [100n, 300_000n],
      [200n, 310_000n],
      [300n, 320_000n],
    ]);
    const btc = feed([[50n, 6_000_000n]]);
    assert.deepEqual(await priceRoundsAt([eth, btc], 250n, [310_000n, 6_000_000n]), [2n, 1n]);
    assert.deepEqual(await priceRoundsAt([eth, btc], 200n, [310_000n, 6_000_000n]), [2n, 1n], "updated at t");
    await assert.rejects(
      priceRoundsAt([eth, btc], 300n, [310_000n, 6_000_000n]),
      (e: unknown) => e instanceof PriceRoundError && e.code === "PRICE_ROUND_NOT_IN_FORCE",
    );
    await assert.rejects(priceRoundsAt([eth, btc], 99n, [300_000n, 6_000_000n]), PriceRoundError);
  });

  test("the batch's own round is kept while L1's grace allows it, and only then", async () => {
    const eth = feed([
      [100n, 300_000n],
      [200n, 310_000n],
    ]);
    const btc = feed([[50n, 6_000_000n]]);
    // Priced with round 1, stamped 5 s after round 2: within a 10 s grace, not with none.
    assert.deepEqual(await priceRoundsAt([eth, btc], 205n, [300_000n, 6_000_000n], [1n, 1n], 10n), [1n, 1n]);
    await assert.rejects(priceRoundsAt([eth, btc], 210n, [300_000n, 6_000_000n], [1n, 1n], 10n), PriceRoundError);
    await assert.rejects(priceRoundsAt([eth, btc], 205n, [300_000n, 6_000_000n], [1n, 1n], 0n), PriceRoundError);
    // A stale round id with the price of the round in force: the round in force is sent.
    assert.deepEqual(await priceRoundsAt([eth, btc], 250n, [310_000n, 6_000_000n], [1n, 1n], 0n), [2n, 1n]);
  });

  describe("the submitter", () => {
    const db = tempDb();
    let venue: Sequencer;
    let now = 1_800_000_000_000n;
    const trader = new Trader("alice", 2n);

    before(async () => {
      venue = await openVenue(db.file);
    });
    after(() => {
      venue.close();
      db.cleanup();
    });

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

    class Rollup implements RollupSubmission {
      sent: BatchHeader[] = [];
      constructor(
        public root: bigint,
        private readonly rounds: (t: bigint, prices: readonly bigint[]) => Promise<readonly bigint[]>,
      ) {}
      stateRoot(): Promise<bigint> {
        return Promise.resolve(this.root);
      }
      priceRoundsAt(t: bigint, prices: readonly bigint[]): Promise<readonly bigint[]> {
        return this.rounds(t, prices);
      }
      submitBatch(header: BatchHeader) {
        this.sent.push(header);
        this.root = header.newStateRoot;
        return Promise.resolve({ hash: `0x${"cd".repeat(32)}`, wait: () => Promise.resolve(null) });
      }
    }

    test("sends the ids of the rounds in force at the batch timestamp", async () => {
      const b = provedBatch();
      const seen: bigint[] = [];
      const rollup = new Rollup(b.batch.oldStateRoot, (t) => {
        seen.push(t);
        return Promise.resolve([41n, 42n]);
      });
      await new L1Submitter(venue, rollup, log).poll();
      assert.deepEqual(seen, [b.batch.context.timestamp]);
      assert.deepEqual(rollup.sent[0]!.priceRoundIds, [41n, 42n]);
      assert.equal(venue.batchStatus(b.number), "submitted");
    });

    test("a batch whose price is no longer in force is failed, not sent", async () => {
      const b = provedBatch();
      const rollup = new Rollup(b.batch.oldStateRoot, () =>
        Promise.reject(new PriceRoundError("underlying 1: the round in force says otherwise")),
      );
      const submitter = new L1Submitter(venue, rollup, log);
      await submitter.poll();
      assert.deepEqual(rollup.sent, []);
      assert.equal(venue.batchStatus(b.number), "failed");
      assert.match(venue.journal.batchRecord(b.number)!.detail, /^PRICE_ROUND_NOT_IN_FORCE: /);
      assert.match(submitter.stoppedBecause ?? "", /round in force/);
    });
  });
});
