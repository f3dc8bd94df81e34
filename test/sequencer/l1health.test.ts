/**
 * Issue 14, findings F14 and F15 on a real Hardhat node (the venue as a child process with its
 * prover, L1 watcher and submitter, as chain.test.ts):
 *
 * - a feed quiet for longer than the rollup's `maxOracleAge`: the venue takes no trade and
 *   credits no deposit while its round is stale, never sends a batch L1 refuses, takes cancels,
 *   and resumes (the waiting deposit credited, trades matched, batches accepted) when a round
 *   arrives;
 * - a reorg (`evm_snapshot` / `evm_revert`) that drops a deposit and two submitted batches: with
 *   a confirmation depth of 4 the deposit was never credited, the batches were kept (not final)
 *   and are sent again; L1 ends at the venue's root with the acknowledged trade in it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import { startChild, stopChild } from "./child.ts";
import { FUNDS, fundedRollup } from "./rollup-fixture.ts";
import { Client, tempDb, Trader } from "./traders.ts";
import { until } from "./wait.ts";

const PORT = 19_545 + (process.pid % 1000);

type Status = {
  openBatch: string;
  stateRoot: string;
  health: { mode: string; code: string | null; reasons: string[] };
};
type Batch = { number: string; proofStatus: string };

/** L1's root is the root of the venue's batch numbered as L1's count: L1 took what the venue built. */
async function sameRootAsL1(client: Client, rollup: Contract): Promise<void> {
  const count = (await rollup.getFunction("batchNumber")()) as bigint;
  const root = (await rollup.getFunction("stateRoot")()) as bigint;
  const page = (await client.get(`/v1/batches?before=${count + 1n}&limit=1`)).body.batches as {
    number: string;
    newStateRoot: string;
  }[];
  assert.equal(page[0]!.number, count.toString());
  assert.equal(page[0]!.newStateRoot, root.toString());
}

async function batches(client: Client): Promise<Batch[]> {
  return (await client.get("/v1/batches")).body.batches as Batch[];
}

test(
  "finding F14: a feed quiet for longer than maxOracleAge: nothing L1 would refuse, cancels work, a new round resumes",
  { timeout: 600_000 },
  async () => {
    await buildContracts();
    const chain = await startChain(PORT);
    const db = tempDb();
    try {
      const { d, aliceWallet, alice, bob, env } = await fundedRollup(PORT, db.file, {
        maxOracleAge: 30n,
        priceRoundGrace: 5n,
      });
      const push = async (answers: readonly bigint[]) => {
        for (const [i, feed] of d.feeds.entries()) await (await feed.getFunction("pushAnswer")(answers[i]!)).wait();
      };
      const venue = await startChild({ ...env, TESSERA_BATCH_MAX_AGE_MS: "1000" });
      try {
        // Fresh rounds once the venue runs (its start may take longer than maxOracleAge here).
        const pushedAt = Date.now(); // before the rounds are mined: their updatedAt is at or after it
        await push([300_012_345_678n, 6_000_050_000_000n]);
        const client = new Client(venue.url);
        const status = async () => (await client.get("/v1/status")).body as Status;
        await until("both deposits", status, (s) => Number(s.openBatch) >= 2 && s.health.mode === "normal");
        const aliceToken = await client.session(alice);
        const bobToken = await client.session(bob);
        const r = await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
        assert.equal(r.status, 200, JSON.stringify(r.body));

        // The feed goes quiet: past maxOracleAge the venue says so and takes no price-dependent command.
        const stale = await until("a stale price", status, (s) => s.health.mode === "price_stale", 60_000);
        assert.ok(Date.now() - pushedAt >= 29_000, `not stale before maxOracleAge: ${Date.now() - pushedAt} ms`);
        assert.equal(stale.health.code, "PRICE_STALE");
        assert.match(stale.health.reasons.join(" "), /older than L1's maxOracleAge \(30 s\)/);
        const refused = await client.place(
          bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
        );
        assert.equal(refused.status, 503);
        assert.equal(refused.body.code, "PRICE_STALE");
        // Cancels work.
        const cancelled = await client.request("DELETE", "/v1/orders/1", undefined, aliceToken);
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
        // A deposit reads no price (finding F13): it is credited in a batch at the stale rounds,
        // which L1 accepts because none of its slots reads a price.
        const before = await until(
          "the fresh batches on L1",
          () => batches(client),
          (bs) => bs.length >= 1 && bs.every((b) => b.proofStatus === "submitted"),
          120_000,
        );
        const more = 1_000_000n;
        await (await d.collateral.getFunction("mint")(aliceWallet.address, more)).wait();
        await (
          await (d.collateral.connect(aliceWallet) as Contract).getFunction("approve")(
            await d.rollup.getAddress(),
            more,
          )
        ).wait();
        await (await (d.rollup.connect(aliceWallet) as Contract).getFunction("deposit")(alice.accountId, more)).wait();
        await until(
          "the deposit credited on a stale price",
          async () => (await client.get("/v1/account", aliceToken)).body.collateral,
          (c) => c === (FUNDS + more).toString(),
          30_000,
        );
        assert.equal((await status()).health.mode, "price_stale", "still stale: the deposit did not need a round");
        // Every batch the venue made reaches L1 (none failed: nothing L1 refuses was sent), the
        // stale one included ...
        const sent = await until(
          "the batches on L1",
          () => batches(client),
          (bs) => bs.length > before.length && bs.every((b) => b.proofStatus === "submitted"),
          120_000,
        );
        assert.equal((await d.rollup.getFunction("batchNumber")()).toString(), String(sent.length));
        // ... at the rounds in force, the silent feeds' latest.
        const latestRounds = await Promise.all(
          d.feeds.map(async (feed) => ((await feed.getFunction("latestRoundData")()) as bigint[])[0]!),
        );
        assert.deepEqual([...((await d.rollup.getFunction("lastPriceRoundIds")()) as bigint[])], latestRounds);
        const lastAt = (await d.rollup.getFunction("lastBatchTimestamp")()) as bigint;
        const roundAt = ((await d.feeds[0]!.getFunction("latestRoundData")()) as bigint[])[3]!;
        assert.ok(
          lastAt - roundAt > 30n,
          `L1 took a batch whose price round is older than maxOracleAge: batch t ${lastAt}, round at ${roundAt}, batches ${JSON.stringify(sent)}`,
        );
        await sameRootAsL1(client, d.rollup);

        // A fresh round: trading resumes, batches land.
        await push([301_000_000_000n, 6_010_000_000_000n]);
        await until("trading resumes", status, (s) => s.health.mode === "normal", 30_000);
        await until(
          "the deposit",
          async () => (await client.get("/v1/account", aliceToken)).body.collateral,
          (c) => c === (FUNDS + more).toString(),
          30_000,
        );
        await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 301_000n, orderId: 2n }));
        const fill = await client.place(
          bob.sign({ side: Side.BUY, size: 10_000n, price: 301_000n, orderId: 2n, tif: "IOC" }),
        );
        assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));
        await until(
          "the trade on L1",
          () => batches(client),
          (bs) => bs.length > sent.length && bs.every((b) => b.proofStatus === "submitted"),
        );
        const fills = (await client.get("/v1/account/fills", bobToken)).body.fills as { proofStatus: string }[];
        assert.equal(fills[0]!.proofStatus, "submitted");
        await sameRootAsL1(client, d.rollup);
      } finally {
        await stopChild(venue);
      }
    } finally {
      await stopProcess(chain);
      db.cleanup();
    }
  },
);

test(
  "finding F15: a reorg drops a deposit and the sent batches: nothing credited early, batches sent again, no acknowledged order lost",
  { timeout: 600_000 },
  async () => {
    await buildContracts();
    const chain = await startChain(PORT);
    const db = tempDb();
    let miner: NodeJS.Timeout | null = null;
    try {
      const { ethers, d, alice, bob, env } = await fundedRollup(PORT, db.file);
      const provider = ethers.provider;
      await provider.send("hardhat_mine", ["0x5"]);
      const venue = await startChild({ ...env, TESSERA_BATCH_MAX_AGE_MS: "1000", TESSERA_L1_CONFIRMATIONS: "4" });
      try {
        const client = new Client(venue.url);
        const status = async () => (await client.get("/v1/status")).body as Status;
        await until("both deposits", status, (s) => Number(s.openBatch) >= 2);
        const snapshot = (await provider.send("evm_snapshot", [])) as string;

        // carol deposits on L1 after the snapshot: the reorg will drop it.
        const signers = await ethers.getSigners();
        const carolWallet = signers[6]!;
        const carol = new Trader("carol", 4n, d.domain);
        await (await d.collateral.getFunction("mint")(carolWallet.address, FUNDS)).wait();
        await (
          await (d.collateral.connect(carolWallet) as Contract).getFunction("approve")(
            await d.rollup.getAddress(),
            FUNDS,
          )
        ).wait();
        await (
          await (d.rollup.connect(carolWallet) as Contract).getFunction("registerAndDeposit")(carol.pkHash, FUNDS)
        ).wait();

        // An acknowledged trade (batch 2).
        await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
        const fill = await client.place(
          bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
        );
        assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));

        // The batches go to L1 but stay unconfirmed (4 blocks): kept, not `submitted`. (Funding,
        // every 60 s in this profile, may make more batches; the trade is in one of them.)
        const tradeBatch = BigInt((fill.body.fills as { batch: string }[])[0]!.batch);
        const onL1 = await until(
          "the trade's batch on L1",
          async () => (await d.rollup.getFunction("batchNumber")()) as bigint,
          (n) => n >= tradeBatch,
        );
        const kept = (await batches(client)).filter((b) => BigInt(b.number) <= onL1);
        assert.ok(
          kept.every((b) => b.proofStatus === "proved"),
          `on L1 but not final: kept as proved, ${JSON.stringify(kept)}`,
        );
        await assert.rejects(
          client.session(carol),
          /UNKNOWN_ACCOUNT/,
          "carol's deposit, not 4 blocks deep, is not credited",
        );

        // The reorg: L1 forgets carol's deposit and the batches.
        assert.equal(await provider.send("evm_revert", [snapshot]), true);
        assert.equal(await d.rollup.getFunction("batchNumber")(), 0n);
        assert.equal(await d.rollup.getFunction("priorityQueueLength")(), 2n);
        // The chain goes on: a block every 250 ms.
        miner = setInterval(() => void provider.send("evm_mine", []).catch(() => undefined), 250);

        await until(
          "the trade's batch final on L1 again",
          () => batches(client),
          (bs) => bs.filter((b) => BigInt(b.number) <= tradeBatch).every((b) => b.proofStatus === "submitted"),
        );
        assert.ok(((await d.rollup.getFunction("batchNumber")()) as bigint) >= tradeBatch);
        await sameRootAsL1(client, d.rollup);
        const fills = (await client.get("/v1/account/fills", await client.session(bob))).body.fills as {
          proofStatus: string;
        }[];
        assert.equal(fills.length, 1, "the acknowledged trade is kept");
        assert.equal(fills[0]!.proofStatus, "submitted");
        assert.equal((await status()).health.mode, "normal");
        // carol's deposit is gone from L1 and never reached the venue.
        await assert.rejects(client.session(carol), /UNKNOWN_ACCOUNT/);
      } finally {
        if (miner !== null) clearInterval(miner);
        await stopChild(venue);
      }
    } finally {
      await stopProcess(chain);
      db.cleanup();
    }
  },
);
