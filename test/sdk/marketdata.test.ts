/**
 * The SDK finds the market-data endpoint (`client.marketDataUrl()`, sdk/endpoints.ts) and a
 * public-only `TesseraStream` there keeps a book equal to the venue's own, against a real
 * sequencer with its market-data process on 127.0.0.1.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { marketDataBaseUrl } from "../../sdk/endpoints.ts";
import { TesseraStream } from "../../sdk/stream.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { ETH_PRICE, ONE, RICH, startSdkVenue, walletOf } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

describe("marketDataBaseUrl", () => {
  test("the advertised URL, else the venue's host and scheme at the port, else the venue", () => {
    assert.equal(marketDataBaseUrl("http://127.0.0.1:8600/", null), "http://127.0.0.1:8600");
    assert.equal(marketDataBaseUrl("http://127.0.0.1:8600", undefined), "http://127.0.0.1:8600");
    assert.equal(marketDataBaseUrl("https://venue.example.com/api", { port: 8601 }), "https://venue.example.com:8601");
    assert.equal(marketDataBaseUrl("http://10.0.0.5:8600", { port: 9000, url: null }), "http://10.0.0.5:9000");
    assert.equal(
      marketDataBaseUrl("https://venue.example.com", { port: 8601, url: "https://md.example.com/" }),
      "https://md.example.com",
    );
    // An empty advertised URL counts as none.
    assert.equal(marketDataBaseUrl("http://h:1", { port: 2, url: "" }), "http://h:2");
  });
});

describe("the SDK on the market-data endpoint", () => {
  let v: SdkVenue;
  let maker: TesseraClient;

  before(async () => {
    v = await startSdkVenue({ marketData: { port: 0 } });
    maker = await v.trader("sdk-md-maker", 2n);
  });

  after(async () => {
    await v.close();
  });

  test("marketDataUrl names the market-data process, and a public stream there keeps the venue's book", async () => {
    const url = await maker.marketDataUrl();
    assert.notEqual(url, v.url);
    const health = (await (await fetch(`${url}/health`)).json()) as { ok: boolean; pid: number };
    assert.equal(health.ok, true);
    assert.notEqual(health.pid, process.pid, "a process of its own");

    const stream = new TesseraStream({ url });
    try {
      await stream.connect();
      const book = stream.subscribeBook("ETH-PERP");
      await stream.next("book", (b) => b.synced);
      const placed = await maker.placeOrder({
        instrument: 1n,
        side: "sell",
        size: 3n * ONE,
        price: ETH_PRICE + 1_000n,
        postOnly: true,
      });
      assert.equal(placed.status, "resting");
      await stream.next("book", (b) => b.asks().some((l) => l.price === ETH_PRICE + 1_000n));
      const venueBook = await maker.book("ETH-PERP");
      assert.deepEqual(
        book.asks().map((l) => [l.price, l.size]),
        venueBook.asks.map((l) => [l.price, l.size]),
      );
      assert.equal(book.seq, venueBook.seq);
    } finally {
      stream.close();
    }
  });

  test('accountReads: "marketData" reads the account there and sees the client\'s own orders and fills', async () => {
    const md = await maker.marketDataUrl();
    const wallet = walletOf("sdk-md-reader");
    const key = await TradingKey.fromWallet(wallet);
    await v.admin.deposit({ accountId: 9n, owner: BigInt(wallet.address), pkHash: key.pkHash, amount: RICH });
    const origins: string[] = [];
    const reader = new TesseraClient({
      url: v.url,
      key,
      accountId: 9n,
      accountReads: "marketData",
      fetch: (input, init) => {
        origins.push(new URL(input instanceof Request ? input.url : input.toString()).origin);
        return fetch(input, init);
      },
    });
    for (let i = 1n; i <= 3n; i++) {
      const placed = await reader.placeOrder({
        instrument: 1n,
        side: "buy",
        size: ONE,
        price: ETH_PRICE - 1_000n * i,
        postOnly: true,
      });
      origins.length = 0;
      const open = await reader.openOrders();
      assert.ok(
        open.some((o) => o.orderId === placed.orderId),
        "the order just placed is listed",
      );
      // The first read opens a session and asks /v1/status at the venue; then only the endpoint.
      assert.equal(origins.at(-1), md, "read from the market-data endpoint");
      if (i > 1n) assert.deepEqual(origins, [md]);
    }
    // A fill: the taker's own fill is in its first read after the order.
    const taken = await reader.placeOrder({
      instrument: 1n,
      side: "buy",
      size: ONE,
      price: ETH_PRICE + 1_000n,
      timeInForce: "IOC",
    });
    assert.equal(taken.fills.length, 1);
    const fills = await reader.fills(1);
    assert.equal(fills[0]!.tradeId, taken.fills[0]!.tradeId);
    assert.deepEqual(await reader.account(), await new TesseraClient({ url: v.url, key, accountId: 9n }).account());
  });

  test("with the process off, marketDataUrl is the venue's own URL", async () => {
    const off = await startSdkVenue({ marketData: null });
    try {
      assert.equal(await off.admin.marketDataUrl(), off.url);
    } finally {
      await off.close();
    }
  });
});
