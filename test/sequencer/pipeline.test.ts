/**
 * The proving pipeline end to end on the `test` profile's real circuit: closed batches are
 * proved by the prover pool, the circuit's public signals equal the reference model's public
 * inputs, proofs are journaled and fills report their batch as proved — also after a restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { startService } from "../../sequencer/service.ts";
import { ADMIN_TOKEN, Client, serviceConfig, tempDb, Trader } from "./helpers.ts";

test("closed batches are proved, journaled and reported with their fills", { timeout: 900_000 }, async () => {
  const db = tempDb();
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  try {
    const service = await startService(serviceConfig(db.file, { profile: "test", provers: 1, optionWeeks: 0 }));
    const client = new Client(service.url);
    try {
      for (const t of [alice, bob]) assert.equal((await client.deposit(t, 100_000_000_000n)).status, 200);
      await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
      const trade = await client.place(
        bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }),
      );
      assert.equal(trade.body.status, "filled");
      assert.equal((await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).body.batch, "2");
      await service.proving!.idle();
      for (const n of [1, 2]) {
        const b = (await client.get(`/v1/batches/${n}`)).body;
        assert.equal(b.status, "proved", JSON.stringify(b));
        assert.equal((b.proof as string[]).length, 8);
      }
      const token = await client.session(bob);
      const fills = (await client.get("/v1/account/fills", token)).body.fills as Record<string, string>[];
      assert.equal(fills[0]!.batch, "2");
      assert.equal(fills[0]!.proofStatus, "proved");
      assert.deepEqual((await client.get("/v1/status")).body.unprovedBatches, []);
    } finally {
      await service.close();
    }
    // A restart replays the batches and finds them proved: nothing is proved twice.
    const again = await startService(serviceConfig(db.file, { profile: "test", provers: 0, optionWeeks: 0 }));
    try {
      const client = new Client(again.url);
      assert.deepEqual((await client.get("/v1/status")).body.unprovedBatches, []);
      assert.equal((await client.get("/v1/batches/2")).body.status, "proved");
    } finally {
      await again.close();
    }
  } finally {
    db.cleanup();
  }
});
