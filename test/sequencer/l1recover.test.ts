/**
 * Issue 14 F15 on a real Hardhat node: the operator's recovery from a reorg deeper than the
 * confirmation depth (docs/deployment.md §3.4). The venue (a child process with its prover, L1
 * watcher and submitter, as l1node.test.ts) credits carol's deposit and lands it in a final batch;
 * alice and carol rest orders; then `evm_revert` takes L1 back below both and another history is
 * mined (dave deposits at the queue index carol's deposit had). The venue halts (`L1_REORG`); the
 * operator stops it, runs sequencer/tools/rebuild.ts from the old journal into a new one without
 * the lost queue operations, and starts the venue on the new journal. It matches L1's root,
 * credits dave and not carol, keeps alice's resting order (L1 knows alice) and drops carol's,
 * and lands new batches (dave's deposit, a trade against alice's order) that L1 accepts.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { promisify } from "node:util";
import type { Contract } from "ethers";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import { keepLog, ROOT, startChild, stopChild } from "./child.ts";
import type { ChildVenue } from "./child.ts";
import { FUNDS, fundedRollup } from "./rollup-fixture.ts";
import { Client, tempDb, Trader } from "./traders.ts";
import { until } from "./wait.ts";

const PORT = 21_545 + (process.pid % 1000);
const run = promisify(execFile);

type Status = {
  openBatch: string;
  stateRoot: string;
  health: { mode: string; code: string | null; reasons: string[] };
};
type Batch = { number: string; proofStatus: string; newStateRoot: string };
type Resting = { orderId: string; side: string; price: string; remaining?: string };

async function batches(client: Client): Promise<Batch[]> {
  return (await client.get("/v1/batches?limit=100")).body.batches as Batch[];
}

/** Whether `trader` has an account on the venue (a session opens). */
const known = (client: Client, trader: Trader): Promise<boolean> =>
  client.session(trader).then(
    () => true,
    () => false,
  );

test(
  "finding F15 on a Hardhat node: after a deep reorg drops a deposit and a submitted batch, the rebuilt venue matches L1, keeps the orders L1 can still take, and lands new batches",
  { timeout: 600_000 },
  async () => {
    await buildContracts();
    const chain = await startChain(PORT);
    const oldDb = tempDb();
    const newDb = tempDb();
    let miner: NodeJS.Timeout | null = null;
    const venues: ChildVenue[] = [];
    const startMiner = (mine: () => Promise<unknown>) => {
      miner = setInterval(() => void mine().catch(() => undefined), 300);
    };
    const stopMiner = () => {
      if (miner !== null) clearInterval(miner);
      miner = null;
    };
    try {
      const { ethers, d, alice, bob, env } = await fundedRollup(PORT, oldDb.file);
      const provider = ethers.provider;
      const rollup = d.rollup;
      const rollupAddress = await rollup.getAddress();
      const send = (method: string, params: unknown[] = []) => provider.send(method, params);
      const batchCount = async () => (await rollup.getFunction("batchNumber")()) as bigint;
      const l1Root = async () => (await rollup.getFunction("stateRoot")()) as bigint;
      const signers = await ethers.getSigners();
      const depositFor = async (signer: number, trader: Trader) => {
        const wallet = signers[signer]!;
        await (await d.collateral.getFunction("mint")(wallet.address, FUNDS)).wait();
        await (await (d.collateral.connect(wallet) as Contract).getFunction("approve")(rollupAddress, FUNDS)).wait();
        await (
          await (rollup.connect(wallet) as Contract).getFunction("registerAndDeposit")(trader.pkHash, FUNDS)
        ).wait();
      };
      const venueEnvFor = (file: string) => ({
        ...env,
        TESSERA_DB: file,
        TESSERA_BATCH_MAX_AGE_MS: "1000",
        TESSERA_L1_CONFIRMATIONS: "2",
      });
      await send("hardhat_mine", ["0x3"]);

      // The first life of the venue: alice's and bob's deposits in batch 1, final on L1.
      const first = await startChild(venueEnvFor(oldDb.file));
      venues.push(first);
      keepLog(first, "l1recover", "before");
      const client = new Client(first.url);
      const status = async () => (await client.get("/v1/status")).body as Status;
      startMiner(() => send("evm_mine"));
      for (const t of [alice, bob])
        await until(
          `${t.name}'s deposit credited`,
          () => known(client, t),
          (ok) => ok,
        );
      await until(
        "batch 1 final",
        () => batches(client),
        (bs) => bs.length >= 1 && bs.every((b) => b.proofStatus === "submitted"),
      );
      stopMiner();
      const snapshot = (await send("evm_snapshot")) as string;
      const before = { count: await batchCount(), root: await l1Root() };

      // After the snapshot: carol deposits (queue index 2), credited 2 blocks deep, and lands in
      // a batch that becomes final; alice (known to L1 before the snapshot) and carol rest orders.
      const carol = new Trader("carol", 4n, d.domain);
      startMiner(() => send("evm_mine"));
      await depositFor(6, carol);
      await until(
        "carol's deposit credited",
        () => known(client, carol),
        (ok) => ok,
        60_000,
      );
      const aliceOrder = await client.place(
        alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }),
      );
      assert.equal(aliceOrder.status, 200, JSON.stringify(aliceOrder.body));
      const carolOrder = await client.place(
        carol.sign({ side: Side.SELL, size: 10_000n, price: 300_500n, orderId: 1n }),
      );
      assert.equal(carolOrder.status, 200, JSON.stringify(carolOrder.body));
      const lostBatches = await until(
        "carol's batch final on L1",
        () => batches(client),
        (bs) => bs.length > Number(before.count) && bs.every((b) => b.proofStatus === "submitted"),
      );
      assert.ok((await batchCount()) > before.count, "carol's batch is on L1");
      stopMiner();

      // The reorg: L1 forgets carol's deposit and her batch, both final 2 blocks deep; another
      // history is mined in which dave deposits at queue index 2.
      assert.equal(await send("evm_revert", [snapshot]), true);
      assert.equal(await batchCount(), before.count);
      assert.equal(await l1Root(), before.root);
      const survivingQueue = (await rollup.getFunction("priorityQueueLength")()) as bigint;
      assert.equal(survivingQueue, 2n, "L1 keeps alice's and bob's deposits only");
      const dave = new Trader("dave", 4n, d.domain);
      startMiner(() => send("evm_mine"));
      await depositFor(7, dave);
      const halted = await until("the halt", status, (s) => s.health.mode === "halted", 60_000);
      assert.equal(halted.health.code, "HALTED");
      assert.match(halted.health.reasons.join(" "), /L1_REORG/);
      const refused = await client.place(bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n }));
      assert.equal(refused.status, 503);
      // The operator stops the venue ...
      await stopChild(first);
      venues.pop();
      // ... and finds the first lost queue index: the journal credited queue entries 0..2, L1's
      // surviving history holds 0..1 of them (dave's entry 2 is another deposit). The halt reason
      // names it too when the watcher saw the changed block.
      const named = /the first queue index that may be lost is (\d+)/.exec(halted.health.reasons.join(" "));
      if (named !== null) assert.equal(BigInt(named[1]!), survivingQueue);

      // The rebuild, as the operator runs it: the venue's environment, the old journal.
      const rebuilt = await run(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "sequencer/tools/rebuild.ts"), newDb.file, survivingQueue.toString()],
        { cwd: ROOT, env: { ...process.env, ...venueEnvFor(oldDb.file) }, timeout: 120_000 },
      );
      const report = JSON.parse(rebuilt.stdout) as {
        kept: number;
        dropped: { seq: string; kind: string; reason: string }[];
        nextQueueIndex: string;
        insuranceFund: { freeSlots: number; uncoveredInstruments: number; withinBound: boolean };
      };
      assert.equal(report.nextQueueIndex, "2", "the new venue's watcher reads queue entry 2 from L1 again");
      assert.equal(report.insuranceFund.withinBound, true, JSON.stringify(report.insuranceFund));
      assert.deepEqual(
        report.dropped.map((x) => [x.kind, x.reason.split(":")[0]]),
        [
          ["deposit", "dropped by the rebuild (not on L1)"],
          ["place", "UNKNOWN_ACCOUNT"],
        ],
        JSON.stringify(report),
      );
      assert.ok(report.kept > 0);

      // The second life, on the new journal.
      const second = await startChild(venueEnvFor(newDb.file));
      venues.push(second);
      keepLog(second, "l1recover", "after");
      const client2 = new Client(second.url);
      const status2 = async () => (await client2.get("/v1/status")).body as Status;
      // Its batches land: batch 1 is recognised by its root; dave's deposit (queue 2 on L1 now)
      // is credited and lands in a new batch.
      await until(
        "dave's deposit credited",
        () => known(client2, dave),
        (ok) => ok,
      );
      const afterDave = await until(
        "the rebuilt venue's batches final on L1",
        () => batches(client2),
        (bs) => bs.length > Number(before.count) && bs.every((b) => b.proofStatus === "submitted"),
      );
      assert.equal(BigInt(afterDave.length), await batchCount(), "L1 took every batch of the rebuilt venue");
      assert.ok(afterDave.length > Number(before.count));
      const top = afterDave.find((b) => BigInt(b.number) === BigInt(afterDave.length))!;
      assert.equal(top.newStateRoot, (await l1Root()).toString(), "the venue's root is L1's root");
      assert.notDeepEqual(
        afterDave.map((b) => b.newStateRoot),
        lostBatches.map((b) => b.newStateRoot),
        "another history",
      );
      assert.equal((await status2()).health.mode, "normal");

      // carol's deposit is gone: her key owns no account (account 4 is dave's, with his one
      // deposit), her resting order is gone from the book.
      assert.equal(await known(client2, carol), false, "carol's lost deposit is not credited");
      const daveAccount = (await client2.get("/v1/account", await client2.session(dave))).body;
      assert.equal(daveAccount.collateral, FUNDS.toString(), "account 4 holds dave's deposit only");
      const instrument = alice.order({ side: Side.SELL, size: 1n, price: 1n, orderId: 0n }).instrument;
      const book = (await client2.get(`/v1/instruments/${instrument}/book`)).body;
      const asks = (book.asks ?? []) as unknown[];
      // alice's order (an account L1 still knows) is still resting, and only hers.
      const aliceToken = await client2.session(alice);
      const resting = (await client2.get("/v1/account/orders", aliceToken)).body.orders as Resting[];
      assert.deepEqual(
        resting.map((o) => o.orderId),
        ["1"],
        JSON.stringify(resting),
      );
      assert.equal(asks.length, 1, `one ask on the book (alice's): ${JSON.stringify(book)}`);

      // A new trade against it lands in a new batch L1 accepts.
      const fill = await client2.place(
        bob.sign({ side: Side.BUY, size: 10_000n, price: 300_500n, orderId: 1n, tif: "IOC" }),
      );
      assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));
      const fills = fill.body.fills as { batch: string; makerAccount?: string; price: string }[];
      assert.equal(fills.length, 1);
      assert.equal(fills[0]!.price, "300000", "it took alice's order");
      const tradeBatch = BigInt(fills[0]!.batch);
      assert.ok(tradeBatch > BigInt(afterDave.length), "a new batch");
      const landed = await until(
        "the trade's batch final on L1",
        () => batches(client2),
        (bs) =>
          bs.some((b) => BigInt(b.number) === tradeBatch) &&
          bs.filter((b) => BigInt(b.number) <= tradeBatch).every((b) => b.proofStatus === "submitted"),
      );
      const count = await batchCount();
      assert.ok(count >= tradeBatch, `L1's batchNumber ${count} grew to the trade's batch ${tradeBatch}`);
      const atCount = landed.find((b) => BigInt(b.number) === count);
      assert.equal(atCount?.newStateRoot, (await l1Root()).toString(), "L1's root is the venue's");
      assert.deepEqual((await client2.get("/v1/account/orders", aliceToken)).body.orders, [], "alice's order filled");
      stopMiner();
    } finally {
      stopMiner();
      for (const v of venues) await stopChild(v);
      await stopProcess(chain);
      oldDb.cleanup();
      newDb.cleanup();
    }
  },
);
