/**
 * Market-maker order entry on the WebSocket: batch place and batch cancel with a result per
 * item, and cancel-on-disconnect covering the orders a connection placed. REST batches are
 * covered through the SDK (test/sdk/mmtools.test.ts).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import { authedWs, eventually, nextMessage } from "./attackers.ts";
import { startVenue, Trader } from "./helpers.ts";
import type { Client } from "./helpers.ts";

const P = 300_000n;
const ONE = 10_000n;

describe("WebSocket order entry", () => {
  let v: Awaited<ReturnType<typeof startVenue>>;
  let client: Client;
  const maker = new Trader("ws-maker", 2n);

  before(async () => {
    v = await startVenue({ profile: "prod" });
    client = v.client;
    assert.equal((await client.deposit(maker, 100_000_000_000n)).status, 200);
  });
  after(async () => {
    await v.cleanup();
  });

  const request = async (ws: WebSocket, message: Record<string, unknown>) => {
    const reply = nextMessage(ws, (m) => m.id === message.id);
    ws.send(JSON.stringify(message));
    return reply;
  };

  test("placeBatch and cancelBatch answer one result per item; the connection's orders go with it", async () => {
    const { ws } = await authedWs(client, maker, true);
    const placed = await request(ws, {
      op: "placeBatch",
      id: "b1",
      orders: [
        { order: toWire(maker.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 1n })) },
        { order: toWire(maker.sign({ side: Side.BUY, size: ONE, price: P - 101n, orderId: 2n })) },
        { order: toWire(maker.sign({ side: Side.BUY, size: 7n, price: P - 102n, orderId: 3n })) },
        {
          order: toWire({
            ...maker.sign({ side: Side.BUY, size: ONE, price: P - 103n, orderId: 4n }),
            publicKey: new Trader("x", 9n).publicKey,
          }),
        },
      ],
    });
    assert.equal(placed.type, "placedBatch");
    const results = placed.results as { ok: boolean; code?: string; result?: { status: string } }[];
    assert.deepEqual(
      results.map((r) => (r.ok ? r.result!.status : r.code)),
      ["resting", "resting", "MIN_SIZE", "KEY_MISMATCH"],
    );
    const cancelled = await request(ws, { op: "cancelBatch", id: "c1", orderIds: ["2", "77"] });
    assert.deepEqual(
      (cancelled.results as { ok: boolean; code?: string }[]).map((r) => r.ok || r.code),
      [true, "ORDER_NOT_FOUND"],
    );
    const token = await client.session(maker);
    const open = async () =>
      ((await client.get("/v1/account/orders", token)).body.orders as { orderId: string }[]).map((o) => o.orderId);
    assert.deepEqual(await open(), ["1"]);
    ws.close();
    assert.deepEqual(
      await eventually(open, (o) => o.length === 0),
      [],
      "closing the connection cancelled the order it placed",
    );
  });

  test("REST batches take 50 orders and no more", async () => {
    const orders = Array.from({ length: 51 }, (_, i) => ({
      order: toWire(
        maker.sign({ side: Side.BUY, size: ONE, price: P - 1000n - BigInt(i), orderId: 1000n + BigInt(i) }),
      ),
    }));
    const r = await client.post("/v1/orders/batch", { orders });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "BAD_REQUEST");
    const full = await client.post("/v1/orders/batch", { orders: orders.slice(0, 50) });
    assert.equal(full.status, 200, JSON.stringify(full.body).slice(0, 300));
    const results = full.body.results as { ok: boolean }[];
    assert.equal(results.length, 50);
    assert.ok(results.every((r) => r.ok));
  });
});
