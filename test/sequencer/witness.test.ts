/**
 * Finding F3 (venue side): every closed batch's witness is computed at once, and a batch the
 * circuit refuses halts the venue with a clear status and code instead of building on it.
 * The disagreement is injected: a closed batch whose published new state root is not the one
 * its transactions give (what a reference model that diverged from the circuit would publish).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { ClosedBatch } from "../../sequencer/core/ledger.ts";
import { startService } from "../../sequencer/service.ts";
import { ADMIN_TOKEN, Client, serviceConfig, tempDb, Trader } from "./helpers.ts";

test(
  "finding F3: a closed batch the circuit refuses halts the venue (HALTED) within its witness check",
  { timeout: 900_000 },
  async () => {
    const db = tempDb();
    const alice = new Trader("alice", 2n);
    const bob = new Trader("bob", 3n);
    try {
      const service = await startService(serviceConfig(db.file, { profile: "test", provers: 1, optionWeeks: 0 }));
      const client = new Client(service.url);
      const closed: ClosedBatch[] = [];
      service.venue.on((e) => {
        if (e.type === "batch") closed.push(e.closed);
      });
      try {
        for (const t of [alice, bob]) assert.equal((await client.deposit(t, 100_000_000_000n)).status, 200);
        await client.place(alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 1n }));
        await client.place(bob.sign({ side: Side.BUY, size: 10_000n, price: 300_000n, orderId: 1n, tif: "IOC" }));
        await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
        await service.witnessCheck!.idle();
        const haltOf = () => service.venue.halt;
        assert.equal(haltOf(), null, "honest batches pass the check");
        assert.ok(closed.length >= 1);

        // The diverged batch: same transactions, another published new state root.
        const last = closed[closed.length - 1]!;
        const data = last.batch.publicData.slice();
        data[1] = data[1]! + 1n;
        const diverged = new ClosedBatch(
          { ...last.meta(), number: last.number + 1n },
          { batch: { ...last.batch, publicData: data } },
        );
        await service.witnessCheck!.check(diverged);

        const halt = haltOf();
        assert.equal(halt?.code, "HALTED");
        assert.equal(halt?.batch, diverged.number);
        assert.match(halt!.reason, /circuit refuses batch/);
        assert.match(halt!.reason, /Operator:/, "it says what the operator must do");
        const refused = await client.place(
          alice.sign({ side: Side.SELL, size: 10_000n, price: 300_000n, orderId: 2n }),
        );
        assert.equal(refused.status, 503);
        assert.equal(refused.body.code, "HALTED");
        const status = (await client.get("/v1/status")).body;
        assert.equal((status.halt as Record<string, string>).code, "HALTED");
        assert.equal((status.halt as Record<string, string>).batch, diverged.number.toString());
      } finally {
        await service.close();
      }
    } finally {
      db.cleanup();
    }
  },
);
