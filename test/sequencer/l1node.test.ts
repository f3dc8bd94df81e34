/**
 * Issue 14 F15 on a real Hardhat node (the venue as a child process with its prover, L1 watcher
 * and submitter, as chain.test.ts and l1health.test.ts):
 *
 * - a stuck `submitBatch` (automine off, the next blocks' base fee above its fee cap) is replaced
 *   after `replaceAfterMs` with the same nonce and fees raised by `feeBumpPercent`: exactly one
 *   transaction of that nonce is mined, the replacement, and the batch lands once and becomes final
 *   after `confirmations` blocks; a send the node dropped (`hardhat_dropTransaction`) is sent anew;
 * - a reorg deeper than the confirmation depth (`evm_snapshot` / `evm_revert`, then another
 *   history mined) under a deposit the watcher credited, or under a batch the submitter held
 *   final: the venue halts (`HALTED`, `L1_REORG`, the block or batch named, the operator's steps
 *   given) and sends nothing more.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import { keepLog, startChild, stopChild } from "./child.ts";
import { FUNDS, fundedRollup } from "./rollup-fixture.ts";
import { Client, tempDb, Trader } from "./traders.ts";
import { sleep, until } from "./wait.ts";

const PORT = 20_545 + (process.pid % 1000);

type Status = {
  openBatch: string;
  health: { mode: string; code: string | null; reasons: string[] };
};
type RpcTx = {
  hash: string;
  from: string;
  nonce: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
};

/** `fee` raised by `percent` as the submitter does (`fee · (100 + p) / 100 + 1`). */
const bump = (fee: bigint, percent = 25n): bigint => (fee * (100n + percent)) / 100n + 1n;

test(
  "finding F15 on a Hardhat node: a stuck batch transaction is replaced (same nonce, higher fees), a dropped one sent anew, a reorg under a credited deposit halts the venue",
  { timeout: 600_000 },
  async () => {
    await buildContracts();
    const chain = await startChain(PORT);
    const db = tempDb();
    try {
      const { ethers, d, operator, alice, bob, env } = await fundedRollup(PORT, db.file);
      const provider = ethers.provider;
      const rollup = d.rollup;
      const send = (method: string, params: unknown[] = []) => provider.send(method, params);
      // The deposits 2 blocks deep; then blocks only when the test mines them.
      await send("hardhat_mine", ["0x3"]);
      await send("evm_setAutomine", [false]);
      await send("evm_setIntervalMining", [0]);
      const pendingSends = async (): Promise<RpcTx[]> => {
        const block = (await send("eth_getBlockByNumber", ["pending", true])) as { transactions: RpcTx[] };
        return block.transactions.filter((t) => t.from.toLowerCase() === operator.address.toLowerCase());
      };
      const mineAbove = async (cap: bigint): Promise<void> => {
        await send("hardhat_setNextBlockBaseFeePerGas", [`0x${cap.toString(16)}`]);
        await send("evm_mine");
      };
      const batchCount = async () => (await rollup.getFunction("batchNumber")()) as bigint;

      const venue = await startChild({
        ...env,
        TESSERA_BATCH_MAX_AGE_MS: "1000",
        TESSERA_L1_CONFIRMATIONS: "2",
        TESSERA_L1_REPLACE_AFTER_MS: "1500",
        TESSERA_L1_FEE_BUMP_PERCENT: "25",
      });
      keepLog(venue, "l1node", "stuck");
      try {
        const client = new Client(venue.url);
        const status = async () => (await client.get("/v1/status")).body as Status;
        const batch = async (n: bigint) =>
          (await client.get(`/v1/batches/${n}`)).body as { status: string; detail?: string };

        // Batch 1 (both deposits) is proved and sent: its transaction waits in the node's pool.
        const [first] = await until("batch 1's send", pendingSends, (p) => p.length === 1);
        const nonce = BigInt(first!.nonce);
        const fee = { max: BigInt(first!.maxFeePerGas!), tip: BigInt(first!.maxPriorityFeePerGas!) };
        // Stuck: a block is mined at a base fee above its fee cap, without it.
        await mineAbove(fee.max + 1n);
        assert.equal((await provider.getBlock("latest", false))!.transactions.length, 0, "the send is not mined");
        assert.equal(await batchCount(), 0n);

        // After replaceAfterMs the submitter replaces it: the same nonce, 25 % more on both fees.
        const [replacement] = await until(
          "the replacement",
          pendingSends,
          (p) => p.length === 1 && p[0]!.hash !== first!.hash,
          30_000,
        );
        assert.equal(BigInt(replacement!.nonce), nonce, "the same nonce");
        assert.equal(BigInt(replacement!.maxFeePerGas!), bump(fee.max));
        assert.equal(BigInt(replacement!.maxPriorityFeePerGas!), bump(fee.tip));
        // Another block at a base fee the first send cannot pay and the replacement can.
        await mineAbove(fee.max + 1n);
        const block = await provider.getBlock("latest", true);
        const mined = block!.prefetchedTransactions.filter((t) => t.from === operator.address);
        assert.equal(mined.length, 1, "one transaction of the operator mined");
        const tx = mined[0]!;
        assert.equal(BigInt(tx.nonce), nonce);
        // The one mined is a replacement (one or more bumps if the submitter replaced again meanwhile).
        let expected = fee.max;
        let bumps = 0;
        while (expected < tx.maxFeePerGas! && bumps < 10) {
          expected = bump(expected);
          bumps++;
        }
        assert.ok(bumps >= 1 && expected === tx.maxFeePerGas, `mined fee cap ${tx.maxFeePerGas}, sent ${fee.max}`);
        assert.equal(await provider.getTransactionReceipt(first!.hash), null, "the stuck send was never mined");
        assert.equal(await provider.getTransaction(first!.hash), null, "and is gone from the pool");
        assert.equal((await pendingSends()).length, 0, "no other send of the operator is left");
        assert.equal(await provider.getTransactionCount(operator.address, "latest"), Number(nonce) + 1);
        assert.equal(await batchCount(), 1n, "the batch landed once");
        const verified = await rollup.queryFilter(rollup.filters["BatchVerified"]!(), 0);
        assert.equal(verified.length, 1);
        assert.equal(verified[0]!.transactionHash, tx.hash);

        // Final only after 2 confirmations: one block on top is not enough.
        await mineAbove(1n);
        await sleep(1500);
        const waiting = await batch(1n);
        assert.notEqual(waiting.status, "submitted", "one confirmation of two");
        await mineAbove(1n);
        await until(
          "batch 1 final",
          () => batch(1n),
          (b) => b.status === "submitted",
          30_000,
        );
        assert.equal((await provider.getTransactionCount(operator.address, "latest")) - Number(nonce), 1);

        // A send the node drops is sent anew.
        await client.session(alice);
        await client.session(bob);
        await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
        const fill = await client.place(
          bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
        );
        assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));
        const [second] = await until("batch 2's send", pendingSends, (p) => p.length === 1);
        assert.equal(BigInt(second!.nonce), nonce + 1n);
        assert.equal(await send("hardhat_dropTransaction", [second!.hash]), true);
        assert.equal(await provider.getTransaction(second!.hash), null, "dropped");
        const [again] = await until("the send anew", pendingSends, (p) => p.length === 1, 30_000);
        assert.equal(BigInt(again!.nonce), nonce + 1n, "the nonce the dropped send left free");
        await mineAbove(1n);
        assert.equal(await batchCount(), 2n);
        await mineAbove(1n);
        await mineAbove(1n);
        await until(
          "batch 2 final",
          () => batch(2n),
          (b) => b.status === "submitted",
          30_000,
        );
        assert.equal((await status()).health.mode, "normal");

        // A reorg deeper than the confirmation depth under a credited deposit.
        await send("evm_setAutomine", [true]);
        const snapshot = (await send("evm_snapshot")) as string;
        const atSnapshot = await batchCount();
        const signers = await ethers.getSigners();
        const carolWallet = signers[6]!;
        const carol = new Trader("carol", 4n, d.domain);
        await (await d.collateral.getFunction("mint")(carolWallet.address, FUNDS)).wait();
        await (
          await (d.collateral.connect(carolWallet) as Contract).getFunction("approve")(await rollup.getAddress(), FUNDS)
        ).wait();
        await (
          await (rollup.connect(carolWallet) as Contract).getFunction("registerAndDeposit")(carol.pkHash, FUNDS)
        ).wait();
        await send("hardhat_mine", ["0x2"]);
        await until(
          "carol's deposit credited",
          () =>
            client.session(carol).then(
              () => true,
              () => false,
            ),
          (ok) => ok,
          30_000,
        );
        const countBefore = await batchCount();
        assert.equal(await send("evm_revert", [snapshot]), true);
        // Another history, longer than the one the deposit was in.
        for (let i = 0; i < 6; i++) await (await d.collateral.getFunction("mint")(signers[7]!.address, 1n)).wait();
        const halted = await until("the halt", status, (s) => s.health.mode === "halted", 30_000);
        assert.equal(halted.health.code, "HALTED");
        const reason = halted.health.reasons.join(" ");
        assert.match(
          reason,
          /^L1_REORG: L1 block \d+ \(hash 0x[0-9a-f]{64}\), from which the venue credited L1 queue operations 2\.\.2, now has hash 0x[0-9a-f]{64}; the first queue index that may be lost is 2: a reorg deeper than the confirmation depth \(2 blocks\)/,
        );
        assert.match(reason, /Operator: stop the venue.*sequencer\/tools\/rebuild\.ts/);
        const refused = await client.place(
          alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 2n }),
        );
        assert.equal(refused.status, 503);
        assert.equal(refused.body.code, "HALTED");
        // Nothing more reaches L1.
        await sleep(3000);
        assert.ok((await batchCount()) <= countBefore);
        assert.equal(await batchCount(), atSnapshot);
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
  "finding F15 on a Hardhat node: a reorg deeper than the confirmation depth under a final batch halts the venue",
  { timeout: 600_000 },
  async () => {
    await buildContracts();
    const chain = await startChain(PORT + 1);
    const db = tempDb();
    let miner: NodeJS.Timeout | null = null;
    try {
      const { ethers, d, alice, bob, env } = await fundedRollup(PORT + 1, db.file);
      const provider = ethers.provider;
      const rollup = d.rollup;
      await provider.send("hardhat_mine", ["0x3"]);
      // Before the venue starts: it credits the deposits from a block at or below this one (2
      // blocks under the head), so the reorg below leaves them alone and takes only batch 1.
      const snapshot = (await provider.send("evm_snapshot", [])) as string;
      const venue = await startChild({ ...env, TESSERA_L1_CONFIRMATIONS: "2", TESSERA_BATCH_MAX_AGE_MS: "1000" });
      keepLog(venue, "l1node", "final");
      try {
        const client = new Client(venue.url);
        const status = async () => (await client.get("/v1/status")).body as Status;
        const batch = async (n: bigint) => (await client.get(`/v1/batches/${n}`)).body as { status: string };
        for (const t of [alice, bob])
          await until(
            `${t.name}'s deposit credited`,
            () =>
              client.session(t).then(
                () => true,
                () => false,
              ),
            (ok) => ok,
          );
        miner = setInterval(() => void provider.send("evm_mine", []).catch(() => undefined), 300);
        await until(
          "batch 1 final",
          () => batch(1n),
          (b) => b.status === "submitted",
        );
        assert.equal(await rollup.getFunction("batchNumber")(), 1n);
        clearInterval(miner);
        miner = null;

        // The reorg: L1 forgets batch 1, final 2 blocks deep; another history is mined.
        assert.equal(await provider.send("evm_revert", [snapshot]), true);
        assert.equal(await rollup.getFunction("batchNumber")(), 0n);
        await provider.send("hardhat_mine", ["0x6"]);
        const halted = await until("the halt", status, (s) => s.health.mode === "halted", 30_000);
        assert.equal(halted.health.code, "HALTED");
        const reason = halted.health.reasons.join(" ");
        assert.match(
          reason,
          /^L1_REORG: batch 1 was final on L1 \(its final batch count was 1\) but L1's final count is now 0 \(batches 1\.\.1 are gone\): a reorg deeper than the confirmation depth \(2 blocks\)/,
        );
        assert.match(reason, /Operator: stop the venue/);
        assert.equal((await batch(1n)).status, "failed");
        // It does not silently send batch 1 again or anything after it.
        await provider.send("hardhat_mine", ["0x4"]);
        await sleep(3000);
        assert.equal(await rollup.getFunction("batchNumber")(), 0n);
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
