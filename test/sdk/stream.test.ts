/**
 * The SDK's WebSocket stream against a real sequencer, through a proxy that can drop a message
 * or cut the connection: local books from snapshot + deltas, resync after a forced sequence
 * gap, reconnect with resubscription and re-authentication, cancel-on-disconnect.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import type { LocalOrderBook } from "../../sdk/book.ts";
import type { TesseraClient } from "../../sdk/client.ts";
import { TesseraApiError } from "../../sdk/errors.ts";
import { backoffDelay, TesseraStream } from "../../sdk/stream.ts";
import { DroppingProxy } from "./proxy.ts";
import { ETH_PRICE, ONE, startSdkVenue } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

/** The book as plain [price, size] lists, best first. */
function levels(book: LocalOrderBook): { bids: [bigint, bigint][]; asks: [bigint, bigint][] } {
  const flat = (side: 0 | 1) => book.levels(side).map((l): [bigint, bigint] => [l.price, l.size]);
  return { bids: flat(Side.BUY), asks: flat(Side.SELL) };
}

/** The venue's own book (REST snapshot) in the same form. */
async function venueLevels(client: TesseraClient, instrument: bigint) {
  const snap = await client.book(instrument, 500);
  return {
    bids: snap.bids.map((l): [bigint, bigint] => [l.price, l.size]),
    asks: snap.asks.map((l): [bigint, bigint] => [l.price, l.size]),
  };
}

/** Waits until the local book is in sync and equals the venue's. */
async function converged(stream: TesseraStream, book: LocalOrderBook, client: TesseraClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      book.synced &&
      JSON.stringify(levels(book), replacer) === JSON.stringify(await venueLevels(client, book.instrument), replacer)
    )
      return;
    await Promise.race([stream.next("book"), new Promise((r) => setTimeout(r, 25))]);
  }
  assert.deepEqual(levels(book), await venueLevels(client, book.instrument), "the local book converges to the venue's");
}

const replacer = (_k: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);

describe("stream against a real sequencer", () => {
  let v: SdkVenue;
  let proxy: DroppingProxy;
  let maker: TesseraClient;
  let taker: TesseraClient;
  let price = ETH_PRICE - 10_000n;
  const nextBid = (): bigint => (price -= 10n);

  before(async () => {
    v = await startSdkVenue();
    proxy = await DroppingProxy.start(v.url);
    maker = await v.trader("stream-maker", 2n);
    taker = await v.trader("stream-taker", 3n);
  });
  after(async () => {
    await proxy.close();
    // Let the venue handle the last disconnects (cancel-on-disconnect writes to its journal)
    // before its database closes.
    await new Promise((r) => setTimeout(r, 200));
    await v.close();
  });

  test("a local book follows snapshot + deltas; trades and private fills arrive", async () => {
    const stream = new TesseraStream({ url: proxy.url, client: maker });
    try {
      await stream.connect();
      const book = stream.subscribeBook("ETH-PERP");
      stream.subscribeTrades(1n);
      await stream.next("book", (b) => b.synced);
      await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: nextBid() });
      await maker.placeOrder({ instrument: 1n, side: "sell", size: 2n * ONE, price: ETH_PRICE + 500n });
      await converged(stream, book, maker);
      assert.equal(book.bestAsk()!.size, 2n * ONE);
      const trade = stream.next("trade");
      const fill = stream.next("fill");
      await taker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE + 500n, timeInForce: "IOC" });
      assert.equal((await trade).price, ETH_PRICE + 500n);
      assert.equal((await fill).maker.accountId, 2n);
      await converged(stream, book, maker);
      assert.equal(book.bestAsk()!.size, ONE);
      assert.equal(stream.resyncs, 0);
    } finally {
      stream.close();
    }
  });

  test("a dropped delta is detected as a sequence gap and the book resyncs by itself", async () => {
    const stream = new TesseraStream({ url: proxy.url });
    try {
      await stream.connect();
      const book = stream.subscribeBook(1n);
      await stream.next("book", (b) => b.synced);
      const seqBefore = book.seq!;
      proxy.dropNext((m) => m.type === "book");
      const resync = stream.next("resync");
      const lost = nextBid();
      await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: lost });
      await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: nextBid() });
      const r = await resync;
      assert.equal(proxy.dropped, 1);
      assert.equal(r.expected, seqBefore + 1n);
      assert.equal(r.got, seqBefore + 2n);
      await converged(stream, book, maker);
      assert.ok(
        book.levels(Side.BUY).some((l) => l.price === lost),
        "the level whose delta was lost is back",
      );
      assert.equal(stream.resyncs, 1);
    } finally {
      stream.close();
    }
  });

  test("a lost private message is seen in its seq and reconciled from REST, the fill replayed", async () => {
    const stream = new TesseraStream({ url: proxy.url, client: maker });
    try {
      await stream.connect();
      const p = ETH_PRICE + 700n;
      await maker.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: p });
      const droppedBefore = proxy.dropped;
      proxy.dropNext((m) => m.type === "fill");
      const reconciled = stream.next("reconciled");
      const fills: bigint[] = [];
      stream.on("fill", (f) => fills.push(f.tradeId));
      const taken = await taker.placeOrder({
        instrument: 1n,
        side: "buy",
        size: ONE,
        price: p,
        timeInForce: "IOC",
      });
      // The gap shows in the next private message's seq: an IOC far from the book (cancelled at
      // once, nothing rests) gives the maker its `orders` update.
      await maker.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: p * 2n, timeInForce: "IOC" });
      const r = await reconciled;
      assert.equal(proxy.dropped, droppedBefore + 1);
      assert.equal(r.missedFills, 1);
      assert.deepEqual(fills, [taken.fills[0]!.tradeId], "the lost fill arrived from REST");
      assert.ok(r.orders.every((o) => o.accountId === 2n));
    } finally {
      stream.close();
    }
  });

  test("after the connection is cut, the stream reconnects, re-authenticates and resubscribes", async () => {
    const stream = new TesseraStream({ url: proxy.url, client: taker, backoff: { initialMs: 20, maxMs: 200 } });
    try {
      await stream.connect();
      const book = stream.subscribeBook(1n);
      stream.subscribeTrades(1n);
      await stream.next("book", (b) => b.synced);
      const dropped = stream.next("close");
      const reopened = stream.next("open");
      proxy.cutAll();
      assert.ok((await dropped).retryInMs! > 0);
      assert.equal(book.synced, false, "a book is out of sync while disconnected");
      assert.equal((await reopened).reconnect, true);
      assert.equal(stream.reconnects, 1);
      // Resubscribed: the book syncs again and follows new orders; trades and private fills arrive.
      await maker.placeOrder({ instrument: 1n, side: "sell", size: ONE, price: ETH_PRICE + 700n });
      await converged(stream, book, maker);
      const trade = stream.next("trade");
      const fill = stream.next("fill");
      await taker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE + 700n, timeInForce: "IOC" });
      assert.equal((await trade).size, ONE);
      assert.equal((await fill).taker.accountId, 3n);
    } finally {
      stream.close();
    }
  });

  test("a connection that goes silent is detected by the heartbeat and replaced", async () => {
    const stream = new TesseraStream({ url: proxy.url, heartbeatMs: 100, backoff: { initialMs: 20 } });
    try {
      await stream.connect();
      const book = stream.subscribeBook(1n);
      await stream.next("book", (b) => b.synced);
      const connections = proxy.connections;
      const dropped = stream.next("close");
      proxy.muted = true;
      await dropped;
      proxy.muted = false;
      assert.equal((await stream.next("open")).reconnect, true);
      assert.ok(proxy.connections > connections, "a new connection replaced the silent one");
      await converged(stream, book, maker);
    } finally {
      proxy.muted = false;
      stream.close();
    }
  });

  test("the venue's health gate arrives typed on connecting, and no error with it", async () => {
    const stream = new TesseraStream({ url: proxy.url });
    const errors: unknown[] = [];
    stream.on("error", (e) => errors.push(e));
    try {
      const status = stream.next("status");
      await stream.connect();
      const health = await status;
      assert.equal(health.mode, "normal");
      assert.equal(health.code, null);
      assert.deepEqual(health.reasons, []);
      assert.equal(health.failedBatch, null);
      assert.equal(typeof health.backlog.batches, "number");
      assert.deepEqual(errors, []);
    } finally {
      stream.close();
    }
  });

  test("stream refusals arrive as typed errors", async () => {
    const stream = new TesseraStream({ url: proxy.url });
    try {
      await stream.connect();
      const error = stream.next("error");
      stream.subscribeTrades(999n);
      const e = await error;
      assert.ok(e instanceof TesseraApiError);
      assert.equal(e.code, "UNKNOWN_INSTRUMENT");
      assert.equal(e.status, 0, "no HTTP status on the stream");
      stream.unsubscribe("trades", 999n);
    } finally {
      stream.close();
    }
  });

  test("cancel-on-disconnect: a cut connection cancels the connection's orders; the stream comes back", async () => {
    const stream = new TesseraStream({
      url: proxy.url,
      client: maker,
      cancelOnDisconnect: true,
      backoff: { initialMs: 20 },
    });
    try {
      await stream.connect();
      const covered = await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: nextBid() });
      const isOpen = async (): Promise<boolean> =>
        (await maker.openOrders()).some((o) => o.orderId === covered.orderId);
      assert.ok(await isOpen());
      const reopened = stream.next("open");
      proxy.cutAll();
      await reopened;
      let open = true;
      for (let i = 0; i < 100 && open; i++) {
        await new Promise((r) => setTimeout(r, 20));
        open = await isOpen();
      }
      assert.equal(open, false, "the venue cancelled the order placed under the connection");
      // Private updates flow on the new connection.
      const update = stream.next("orders");
      await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: nextBid() });
      assert.equal((await update).placed!.status, "resting");
    } finally {
      stream.close();
    }
  });
});

describe("stream across a venue restart", () => {
  test(
    "the venue restarts on its journal: the stream reconnects with a new session and resyncs",
    { timeout: 60_000 },
    async () => {
      const v = await startSdkVenue();
      const maker = await v.trader("restart-maker", 2n);
      const stream = new TesseraStream({ url: v.url, client: maker, backoff: { initialMs: 50, maxMs: 500 } });
      try {
        await stream.connect();
        const book = stream.subscribeBook(1n);
        await stream.next("book", (b) => b.synced);
        const resting = await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 2000n });
        await converged(stream, book, maker);
        const reopened = stream.next("open");
        await v.restart();
        assert.equal((await reopened).reconnect, true);
        // The replayed book still holds the order; the REST client's old session is gone and renewed.
        await converged(stream, book, maker);
        assert.deepEqual(
          (await maker.openOrders()).map((o) => o.orderId),
          [resting.orderId],
        );
        const update = stream.next("orders");
        await maker.cancelOrder(resting.orderId);
        assert.equal(
          (await update).cancelled[0]!.orderId,
          resting.orderId,
          "private updates flow after re-authentication",
        );
        await converged(stream, book, maker);
        assert.equal(book.bestBid(), null);
      } finally {
        stream.close();
        await new Promise((r) => setTimeout(r, 100));
        await v.close();
      }
    },
  );
});

describe("backoff", () => {
  test("delays grow by the factor up to the cap, with the jitter fraction drawn at random", () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    const delays = (random: number): number[] =>
      [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(options, attempt, random));
    assert.deepEqual(delays(0), [100, 200, 400, 800, 1000, 1000]);
    assert.deepEqual(delays(0.999999), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual(
      [0, 1, 2, 6].map((attempt) => backoffDelay({}, attempt, 0)),
      [250, 500, 1000, 10_000],
      "defaults: 250 ms doubling to 10 s",
    );
  });
});
