/**
 * The venue against a real rollup contract: a Hardhat node (child process), the contracts
 * deployed by scripts/deploy.ts with the generated TestVerifier, and the sequencer as a child
 * process with its L1 watcher, prover pool and submitter. Deposits registered on L1 reach the
 * venue through the watcher, the feeds' rounds price the batches, a trade is matched, and the
 * batches are proved and accepted on chain by `submitBatch`, in order. The batch explorer's
 * proof and verification key verify with snarkjs (as a browser would), and an L2 withdrawal
 * goes from pending to claimable on L1.
 *
 * Two processes because better-sqlite3 (the journal) and Hardhat's EDR native addon crash
 * when loaded into one process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as snarkjs from "snarkjs";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { toWire } from "../../sequencer/wire.ts";
import { Side } from "../../protocol/types.ts";
import { buildContracts, startChain } from "../../scripts/demo/stack.ts";
import { stopProcess } from "../../scripts/demo/processes.ts";
import { releaseCurve } from "../../scripts/zk/ptau.ts";
import { startChild, stopChild } from "./child.ts";
import { FUNDS, fundedRollup } from "./rollup-fixture.ts";
import { ADMIN_TOKEN, Client, FAR_EXPIRY, tempDb } from "./traders.ts";

const PORT = 18_545 + (process.pid % 1000);

test("L1 deposits, oracle rounds, matching, proving and submitBatch on chain", { timeout: 900_000 }, async () => {
  await buildContracts();
  const chain = await startChain(PORT);
  const db = tempDb();
  try {
    const { d, aliceWallet, alice, bob, env } = await fundedRollup(PORT, db.file);
    const signers = [alice, bob] as const;
    const venue = await startChild(env);
    try {
      const client = new Client(venue.url);
      // The watcher applies the oracle round, then both deposits (batch 1).
      let openBatch = "";
      for (let i = 0; i < 200 && openBatch !== "2"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        openBatch = (await client.get("/v1/status")).body.openBatch as string;
      }
      assert.equal(openBatch, "2", "both deposits filled batch 1");
      const [aliceSigner, bobSigner] = signers;
      const token = await client.session(aliceSigner);
      assert.equal((await client.get("/v1/account", token)).body.collateral, FUNDS.toString());

      await client.place(aliceSigner.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
      const trade = await client.place(
        bobSigner.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
      );
      assert.equal(trade.body.status, "filled", JSON.stringify(trade.body));
      assert.equal((await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).body.batch, "2");

      let status = "";
      for (let i = 0; i < 1200 && status !== "submitted" && status !== "failed"; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await client.get("/v1/batches/2")).body.status as string;
      }
      assert.equal(
        status,
        "submitted",
        JSON.stringify([(await client.get("/v1/batches/1")).body, (await client.get("/v1/batches/2")).body]),
      );
      assert.equal((await client.get("/v1/batches/1")).body.status, "submitted");
      const root = (await client.get("/v1/status")).body.stateRoot as string;
      assert.equal((await d.rollup.getFunction("stateRoot")()).toString(), root, "L1 holds the venue's state root");
      const fills = (await client.get("/v1/account/fills", await client.session(bobSigner))).body.fills as Record<
        string,
        string
      >[];
      assert.equal(fills[0]!.proofStatus, "submitted");

      // The batch explorer lists batch 2 with its L1 transaction; its proof verifies in snarkjs.
      const listed = (await client.get("/v1/batches")).body.batches as Record<string, unknown>[];
      const b2 = listed.find((b) => b.number === "2")!;
      assert.equal(b2.proofStatus, "submitted");
      assert.match(b2.l1TxHash as string, /^0x[0-9a-f]{64}$/);
      assert.deepEqual(b2.txTypes, { trade: 1, noop: 1 });
      const download = (await client.get("/v1/batches/2/proof")).body;
      const vkey = (await client.get("/v1/verification-key")).body;
      try {
        assert.equal(await snarkjs.groth16.verify(vkey, download.publicSignals as string[], download.proof), true);
      } finally {
        await releaseCurve(); // snarkjs's worker threads would keep this process alive
      }

      // An L2 withdrawal: pending, then in a batch, then claimable on L1 by alice's wallet.
      const aliceToken = await client.session(aliceSigner);
      const amountOut = 1_000_000n;
      const w = await client.post("/v1/withdrawals", {
        withdrawal: toWire(aliceSigner.sign(withdrawalOrder(2n, amountOut, 5n, FAR_EXPIRY))),
      });
      assert.equal(w.status, 200, JSON.stringify(w.body));
      assert.equal(w.body.status, "pending");
      await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
      let mine: Record<string, unknown> = {};
      for (let i = 0; i < 1200 && mine.status !== "claimable" && mine.status !== "failed"; i++) {
        await new Promise((r) => setTimeout(r, 250));
        mine = (
          (await client.get("/v1/account/withdrawals", aliceToken)).body.withdrawals as Record<string, unknown>[]
        )[0]!;
      }
      assert.equal(mine.status, "claimable", JSON.stringify(mine));
      assert.match(mine.l1TxHash as string, /^0x[0-9a-f]{64}$/);
      assert.equal(await d.rollup.getFunction("claimable")(aliceWallet.address), amountOut);
    } finally {
      await stopChild(venue);
    }
  } finally {
    await stopProcess(chain);
    db.cleanup();
  }
});
