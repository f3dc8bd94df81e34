/**
 * The market maker's tools through the SDK against a real sequencer: batch place and cancel with
 * per-item results, amend that keeps priority, the dead-man switch (also across a restart),
 * rate-limit headers and budgets, and the short default expiries of immediate orders and quotes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_IMMEDIATE_TTL_SECONDS, DEFAULT_ORDER_TTL_SECONDS } from "../../sdk/client.ts";
import type { TesseraClient } from "../../sdk/client.ts";
import { ETH_PRICE, ONE, startSdkVenue } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

describe("market-maker tools", () => {
  let v: SdkVenue;
  let maker: TesseraClient;
  let taker: TesseraClient;
  let price = ETH_PRICE - 50_000n;
  const nextBid = (): bigint => (price += 100n);

  before(async () => {
    v = await startSdkVenue({ orderRatePerSecond: 10_000, orderBurst: 10_000 });
    maker = await v.trader("mm-maker", 2n);
    taker = await v.trader("mm-taker", 3n);
  });
  after(async () => {
    await v.close();
  });

  test("batch place: one request, one result per order, refusals in place", async () => {
    const results = await maker.placeOrders([
      { instrument: 1n, side: "buy", size: ONE, price: nextBid(), clientOrderId: "b-1" },
      { instrument: 1n, side: "buy", size: ONE, price: nextBid(), clientOrderId: "b-2" },
      { instrument: 1n, side: "buy", size: 7n, price: nextBid() },
      { instrument: 1n, side: "buy", size: ONE, price: nextBid(), clientOrderId: "b-1" },
    ]);
    assert.equal(results.length, 4);
    assert.ok(results[0]!.ok && results[0]!.result.status === "resting");
    assert.ok(results[1]!.ok && results[1]!.result.status === "resting");
    assert.ok(!results[2]!.ok && ["LOT_SIZE", "MIN_SIZE"].includes(results[2]!.code));
    assert.ok(!results[3]!.ok && results[3]!.code === "DUPLICATE_CLIENT_ORDER_ID");
    assert.equal(results[3]!.ok ? 0 : results[3]!.status, 409);
  });

  test("batch cancel: by order id and client id, unknown ones refused in place", async () => {
    const placed = await maker.placeOrders([
      { instrument: 1n, side: "buy", size: ONE, price: nextBid() },
      { instrument: 1n, side: "buy", size: ONE, price: nextBid(), clientOrderId: "c-1" },
    ]);
    const id = placed[0]!.ok ? placed[0]!.result.orderId : 0n;
    // 999,999: an id the account never used (ids count up from 1, the venue's first next id).
    const results = await maker.cancelOrders({ orderIds: [id, 999_999n], clientOrderIds: ["c-1"] });
    assert.equal(results.length, 3);
    assert.ok(results[0]!.ok && results[0]!.cancelled[0]!.orderId === id);
    assert.ok(!results[1]!.ok && results[1]!.code === "ORDER_NOT_FOUND");
    assert.ok(results[2]!.ok && results[2]!.clientOrderId === "c-1");
    await assert.rejects(
      maker.cancelOrders(Array.from({ length: 51 }, (_, i) => BigInt(i + 1))),
      (e: Error & { code?: string }) => e.code === "BAD_REQUEST",
    );
  });

  test("amend: a smaller size keeps the order's place in the queue", async () => {
    const p = ETH_PRICE + 40_000n;
    const first = await maker.placeOrder({ instrument: 1n, side: "sell", size: 3n * ONE, price: p });
    const other = await v.trader("mm-other", 4n);
    const second = await other.placeOrder({ instrument: 1n, side: "sell", size: 3n * ONE, price: p });
    const amended = await maker.amendOrder(first.orderId, 2n * ONE);
    assert.equal(amended.remaining, 2n * ONE);
    assert.equal(amended.size, 2n * ONE);
    const book = await maker.book(1n, 50);
    assert.equal(book.asks.find((l) => l.price === p)!.size, 5n * ONE);
    const fill = await taker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: p, timeInForce: "IOC" });
    assert.equal(fill.fills[0]!.maker.orderId, first.orderId, "the amended order is still first");
    await assert.rejects(
      maker.amendOrder(first.orderId, 5n * ONE),
      (e: Error & { code?: string }) => e.code === "BAD_ORDER",
    );
    await maker.cancelOrder(first.orderId);
    await other.cancelOrder(second.orderId);
  });

  test("dead-man switch: armed, journaled across a restart, fired, disarmed", async () => {
    const dm = await v.trader("mm-deadman", 5n);
    const armed = await dm.scheduleCancel(600_000);
    assert.ok(armed !== null);
    assert.equal(await dm.scheduledCancel(), armed);
    await v.restart();
    // The first request may meet a keep-alive socket of the stopped server: retry it.
    let after: bigint | null | undefined;
    for (let i = 0; i < 5 && after === undefined; i++) after = await dm.scheduledCancel().catch(() => undefined);
    assert.equal(after, armed, "the switch survived the restart");
    assert.equal(await dm.scheduleCancel(0), null);
    assert.equal(await dm.scheduledCancel(), null);

    await dm.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: nextBid() });
    await dm.scheduleCancel(1000);
    let open = 1;
    for (let i = 0; i < 200 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      open = (await dm.openOrders()).length;
    }
    assert.equal(open, 0, "the switch cancelled the account's orders");
    assert.equal(await dm.scheduledCancel(), null, "and disarmed itself");
  });

  test("market-maker protection: tripped by fills in its window, quotes cancelled and refused until reset", async () => {
    const mm = await v.trader("mm-protected", 6n);
    const p = ETH_PRICE + 60_000n;
    const set = await mm.setMmp({ underlying: 1, windowMs: 60_000, maxQuantity: 100n * ONE, maxCount: 2 });
    assert.deepEqual(
      set.map((e) => [e.underlying, e.maxCount, e.frozen]),
      [[1, 2, false]],
    );
    const quotes = await mm.placeOrders(
      [1n, 2n, 3n].map((i) => ({ instrument: 1n, side: "sell", size: ONE, price: p + i })),
    );
    assert.ok(quotes.every((q) => q.ok));
    // Two fills in one sweep trip it: the third quote goes with it.
    const sweep = await taker.placeOrder({
      instrument: 1n,
      side: "buy",
      size: 2n * ONE,
      price: p + 2n,
      timeInForce: "IOC",
    });
    assert.equal(sweep.fills.length, 2);
    assert.deepEqual(
      sweep.cancelled.map((c) => c.reason),
      ["mmp"],
    );
    assert.equal((await mm.openOrders()).length, 0);
    const [state] = await mm.mmp();
    assert.equal(state!.frozen, true);
    await assert.rejects(
      mm.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: p + 10n }),
      (e: Error & { code?: string }) => e.code === "MMP_FROZEN",
    );
    const [after] = await mm.resetMmp(1);
    assert.equal(after!.frozen, false);
    const again = await mm.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: p + 10n });
    assert.equal(again.status, "resting");
    await mm.cancelAll();
  });

  test("market-maker protection by delta: net signed delta of the window's fills, journaled across a restart", async () => {
    const mm = await v.trader("mm-delta", 7n);
    const bid = ETH_PRICE - 10_000n;
    const ask = ETH_PRICE + 70_000n;
    const set = await mm.setMmp({
      underlying: 1,
      windowMs: 60_000,
      maxQuantity: 1_000n * ONE,
      maxCount: 1_000,
      maxDelta: 2n * ONE,
    });
    assert.deepEqual(
      set.map((e) => [e.maxDelta, e.deltaInWindow, e.frozen]),
      [[2n * ONE, 0n, false]],
    );
    await v.restart();
    let entries: Awaited<ReturnType<TesseraClient["mmp"]>> | undefined;
    for (let i = 0; i < 5 && entries === undefined; i++) entries = await mm.mmp().catch(() => undefined);
    assert.equal(entries![0]!.maxDelta, 2n * ONE, "the delta limit survived the restart");
    const quotes = await mm.placeOrders([
      { instrument: 1n, side: "buy", size: 4n * ONE, price: bid },
      { instrument: 1n, side: "sell", size: 3n * ONE, price: ask },
    ]);
    assert.ok(quotes.every((q) => q.ok));
    const hit = (side: "buy" | "sell", size: bigint) =>
      taker.placeOrder({ instrument: 1n, side, size, price: side === "buy" ? ask : bid, timeInForce: "IOC" });
    // The maker buys 1, sells 1, buys 1: size 3 filled but net delta +1: not tripped.
    for (const side of ["sell", "buy", "sell"] as const) assert.equal((await hit(side, ONE)).fills.length, 1);
    let [state] = await mm.mmp();
    assert.deepEqual([state!.deltaInWindow, state!.filledInWindow, state!.frozen], [ONE, 3n * ONE, false]);
    // One more unit bought: net +2 reaches maxDelta: tripped, the remaining quotes cancelled.
    const trip = await hit("sell", ONE);
    assert.equal(trip.fills.length, 1);
    assert.deepEqual(
      trip.cancelled.map((c) => c.reason),
      ["mmp", "mmp"],
    );
    [state] = await mm.mmp();
    assert.deepEqual([state!.deltaInWindow, state!.frozen], [2n * ONE, true]);
    assert.equal((await mm.openOrders()).length, 0);
    await assert.rejects(
      mm.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: bid }),
      (e: Error & { code?: string }) => e.code === "MMP_FROZEN",
    );
    [state] = await mm.resetMmp(1);
    assert.deepEqual([state!.deltaInWindow, state!.frozen], [0n, false]);
    // Without maxDelta the limit is off (0).
    [state] = await mm.setMmp({ underlying: 1, windowMs: 60_000, maxQuantity: 1_000n * ONE, maxCount: 1_000 });
    assert.equal(state!.maxDelta, 0n);
  });

  test("rate limits: headers on every reply, Retry-After in seconds beside the exact milliseconds", async () => {
    const res = await fetch(`${v.url}/v1/tickers`);
    assert.equal(res.headers.get("x-ratelimit-bucket"), "ip");
    assert.ok(Number(res.headers.get("x-ratelimit-limit")) > 0);
    assert.ok(res.headers.get("x-ratelimit-remaining") !== null);
    assert.ok(res.headers.get("x-ratelimit-reset") !== null);
    const missing = await fetch(`${v.url}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.ok(missing.headers.get("x-ratelimit-limit") !== null);

    const limits = await maker.rateLimits();
    assert.equal(limits.account!.accountId, 2n);
    assert.equal(limits.account!.order.bucket, "order");
    assert.equal(limits.account!.cancel.bucket, "cancel");

    // The auth budget (20/s, burst 40) runs out: 429 RATE_LIMITED with both headers. On the way
    // the IP's pending challenges reach their cap (32): 429 TOO_MANY_CHALLENGES, a different
    // limit, which the budget still pays for.
    let refused: Response | null = null;
    const codes = new Set<string>();
    for (let i = 0; i < 100 && refused === null; i++) {
      const r = await fetch(`${v.url}/v1/auth/challenge`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ accountId: "2" }),
      });
      if (r.status !== 429) continue;
      const { code } = (await r.json()) as { code: string };
      codes.add(code);
      if (code === "RATE_LIMITED") refused = r;
    }
    assert.ok(refused !== null);
    assert.deepEqual([...codes].sort(), ["RATE_LIMITED", "TOO_MANY_CHALLENGES"]);
    const ms = Number(refused.headers.get("x-retry-after-ms"));
    assert.ok(ms >= 1);
    assert.equal(refused.headers.get("retry-after"), String(Math.max(1, Math.ceil(ms / 1000))));
    assert.equal(refused.headers.get("x-ratelimit-bucket"), "auth");
    assert.equal(refused.headers.get("x-ratelimit-remaining"), "0");
  });

  test("immediate orders are signed to expire in seconds, quotes in minutes", async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const ioc = await maker.signOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE, timeInForce: "IOC" });
    const quote = await maker.signOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE });
    assert.equal(DEFAULT_IMMEDIATE_TTL_SECONDS, 10n);
    assert.ok(ioc.order.expiry - now <= DEFAULT_IMMEDIATE_TTL_SECONDS + 1n);
    assert.ok(quote.order.expiry - now >= DEFAULT_ORDER_TTL_SECONDS - 1n);
    assert.ok(quote.order.expiry - now <= DEFAULT_ORDER_TTL_SECONDS + 1n);
  });
});
