/**
 * What order entry costs, on the WebSocket and REST alike (sequencer/intake/ratelimit.ts): every
 * order a token before its signature is checked — on an authenticated WebSocket the session
 * account's order budget, for junk signatures too; on REST the caller's IP, which gets back only
 * the tokens of the orders whose signatures check out — and a WebSocket `cancel` only its cancel
 * budget, so quoting faster than the read budget never blocks a cancel. In-process, with rates
 * so low that no bucket refills during a test (nothing here depends on time passing).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import { authedWs, nextMessage } from "./attackers.ts";
import type { WsMessage } from "./attackers.ts";
import { startVenue, Trader } from "./helpers.ts";
import type { Client } from "./helpers.ts";

const P = 300_000n;
const ONE = 10_000n;
/** A token in 1,000 s: no bucket refills while a test runs. */
const SLOW = 0.001;
const ORDER_BURST = 30;
const READ_BURST = 5;

describe("order entry budgets", () => {
  let v: Awaited<ReturnType<typeof startVenue>>;
  let client: Client;
  let seq = 0;

  before(async () => {
    v = await startVenue({
      profile: "prod",
      orderRatePerSecond: SLOW,
      orderBurst: ORDER_BURST,
      api: { rateLimits: { readRate: SLOW, readBurst: READ_BURST, ipRate: SLOW, ipBurst: 100 } },
    });
    client = v.client;
  });
  after(async () => {
    await v.cleanup();
  });

  const request = async (ws: WebSocket, message: Record<string, unknown>): Promise<WsMessage> => {
    const id = `m${++seq}`;
    const reply = nextMessage(ws, (m) => m.id === id);
    ws.send(JSON.stringify({ ...message, id }));
    return reply;
  };

  async function budgets(token: string): Promise<{ order: number; cancel: number; read: number; ip: number }> {
    const r = await client.get("/v1/ratelimits", token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const account = r.body.account as Record<string, { remaining: number }>;
    const ip = r.body.ip as { remaining: number };
    return {
      order: account.order!.remaining,
      cancel: account.cancel!.remaining,
      read: account.read!.remaining,
      ip: ip.remaining,
    };
  }

  test("a WebSocket quoting past its read budget still cancels: places pay the order budget, cancels the cancel budget", async () => {
    const mm = new Trader("budget-mm", 2n);
    assert.equal((await client.deposit(mm, 100_000_000_000n)).status, 200);
    const { ws } = await authedWs(client, mm);
    try {
      // Twice the read budget in places, each answered.
      for (let i = 1n; i <= BigInt(2 * READ_BURST); i++) {
        const m = await request(ws, {
          op: "place",
          order: toWire(mm.sign({ side: Side.BUY, size: ONE, price: P - 100n * i, orderId: i })),
        });
        assert.equal(m.type, "placed", JSON.stringify(m));
      }
      const cancelled = await request(ws, { op: "cancel", orderId: "1" });
      assert.equal(cancelled.type, "cancelled", JSON.stringify(cancelled));
      const batch = await request(ws, { op: "cancelBatch", orderIds: ["2", "3"] });
      assert.equal(batch.type, "cancelledBatch", JSON.stringify(batch));
      const token = await client.session(mm);
      const left = await budgets(token);
      assert.equal(left.order, ORDER_BURST - 2 * READ_BURST, "one order token per place");
      assert.equal(left.read, READ_BURST, "places and cancels took nothing from the read budget");
      // The read budget is still the read ops': a subscription pays it.
      const sub = nextMessage(ws, (m) => m.type === "subscribed" || m.type === "error");
      ws.send(JSON.stringify({ op: "subscribe", channel: "ticker", instrument: "ETH-PERP" }));
      assert.equal((await sub).type, "subscribed");
      assert.equal((await budgets(token)).read, READ_BURST - 1);
    } finally {
      ws.terminate();
    }
  });

  test("a WebSocket placeBatch of junk signatures pays one order token per order, then RATE_LIMITED", async () => {
    const dust = new Trader("budget-dust", 3n);
    const other = new Trader("budget-other", 4n);
    assert.equal((await client.deposit(dust, 1_000_000n)).status, 200);
    const { ws } = await authedWs(client, dust);
    // The dust account's key with another key's signature: every field checks, the signature not.
    const junk = (orderId: bigint) => {
      const signed = other.sign(dust.order({ side: Side.BUY, size: ONE, price: P - 1_000n, orderId }));
      return { order: toWire({ ...signed, publicKey: dust.publicKey }) };
    };
    try {
      const first = await request(ws, {
        op: "placeBatch",
        orders: Array.from({ length: 20 }, (_, i) => junk(BigInt(i + 1))),
      });
      assert.equal(first.type, "placedBatch", JSON.stringify(first));
      const codes = (first.results as { ok: boolean; code?: string }[]).map((r) => r.code);
      assert.deepEqual(codes, Array(20).fill("BAD_SIGNATURE"));
      // 10 tokens left: a batch of 11 is refused whole, before any signature is checked.
      const refused = await request(ws, {
        op: "placeBatch",
        orders: Array.from({ length: 11 }, (_, i) => junk(BigInt(i + 100))),
      });
      assert.equal(refused.type, "error");
      assert.equal(refused.code, "RATE_LIMITED");
      const left = await budgets(await client.session(dust));
      assert.equal(left.order, ORDER_BURST - 20 - 1, "20 junk orders, and the refused message's first token");
      assert.equal(left.read, READ_BURST, "nothing on the read budget");
    } finally {
      ws.terminate();
    }
  });

  test("a REST batch: the IP keeps the tokens of junk signatures and gets back those of valid orders, which the account pays", async () => {
    const mm = new Trader("budget-rest", 5n);
    const other = new Trader("budget-rest-other", 6n);
    assert.equal((await client.deposit(mm, 100_000_000_000n)).status, 200);
    const token = await client.session(mm);
    const before = await budgets(token);
    const valid = [1n, 2n, 3n].map((i) => ({
      order: toWire(mm.sign({ side: Side.BUY, size: ONE, price: P - 100n * i, orderId: i })),
    }));
    const junk = [4n, 5n, 6n, 7n].map((i) => ({
      order: toWire({
        ...other.sign(mm.order({ side: Side.BUY, size: ONE, price: P - 100n * i, orderId: i })),
        publicKey: mm.publicKey,
      }),
    }));
    const r = await client.post("/v1/orders/batch", { orders: [...valid, ...junk] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const codes = (r.body.results as { ok: boolean; code?: string }[]).map((x) => (x.ok ? "ok" : x.code));
    assert.deepEqual(codes, ["ok", "ok", "ok", "BAD_SIGNATURE", "BAD_SIGNATURE", "BAD_SIGNATURE", "BAD_SIGNATURE"]);
    const after = await budgets(token);
    assert.equal(after.order, before.order - 3, "the account pays for its 3 valid orders");
    // The IP paid 7 before the signatures were checked, got 3 back; the two /v1/ratelimits
    // reads and the session's reads in between are on the IP too (1 each).
    assert.equal(before.ip - after.ip, 4 + 1, "4 junk orders stay on the IP (and the ratelimits read)");
  });
});
