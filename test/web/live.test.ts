/**
 * The web app's live feed (web/lib/live.ts) against the real sequencer service with its
 * market-data process, over 127.0.0.1, with Node's WebSocket (the browser's API):
 * - public channels go to the market-data endpoint `/v1/status` names, private messages to the
 *   venue's own endpoint after authentication;
 * - a killed market-data process is found again (same port, new process) and the book goes on;
 * - with no market-data process the public channels fall back to the venue's endpoint.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Side } from "../../protocol/types.ts";
import { SequencerClient } from "../../web/lib/api.ts";
import { LiveFeed } from "../../web/lib/live.ts";
import { signFast } from "../../protocol/eddsa-fast.ts";
import { sign } from "../../web/lib/orders.ts";
import { domain, ETH_PERP, startVenue, Trader } from "../sequencer/helpers.ts";
import type { Client } from "../sequencer/helpers.ts";
import { eventually } from "../sequencer/wait.ts";

const RICH = 1_000_000_000_000n;
const ONE = 10_000n;

type Message = Record<string, unknown>;

/** A feed of the venue at `url` as the app builds it (web/lib/venue.tsx). */
function appFeed(url: string): LiveFeed {
  const api = new SequencerClient(url);
  return new LiveFeed(LiveFeed.urlFor(url), async () => LiveFeed.urlFor(await api.marketDataUrl()));
}

/** Collects a channel's messages. */
function collect(feed: LiveFeed, channel: "book" | "trades" | "ticker", instrument: bigint): Message[] {
  const out: Message[] = [];
  feed.subscribe(channel, instrument, (m) => out.push(m as Message));
  return out;
}

describe("live feed with a market-data process", () => {
  let v: Awaited<ReturnType<typeof startVenue>>;
  let client: Client;
  let md: string;
  const maker = new Trader("live-maker", 2n);
  const taker = new Trader("live-taker", 3n);
  let feed: LiveFeed;

  before(async () => {
    v = await startVenue({ marketData: { port: 0 } });
    client = v.client;
    md = v.service.marketDataUrl!;
    for (const t of [maker, taker]) assert.equal((await client.deposit(t, RICH)).status, 200);
  });

  after(async () => {
    feed?.stop();
    await v.cleanup();
  });

  test("public channels come from the market-data endpoint, the account's fills from the venue", async () => {
    feed = appFeed(v.service.url);
    const statuses: string[] = [];
    feed.onStatus((s) => statuses.push(s));
    const book = collect(feed, "book", ETH_PERP);
    const trades = collect(feed, "trades", ETH_PERP);
    const fills: Message[] = [];
    feed.onPrivate((m) => fills.push(m as Message));
    feed.start();
    await eventually("the book snapshot", () => book.some((m) => m.type === "book_snapshot"), 10_000);
    assert.equal(feed.publicUrl, LiveFeed.urlFor(md), "public channels on the market-data port");
    assert.equal(feed.status, "live");

    feed.authenticate(await client.session(taker));
    await eventually("the private stream is up", () => feed.status === "live", 10_000);
    const mdConnections = async (): Promise<number> =>
      ((await (await fetch(`${md}/health`)).json()) as { connections: number }).connections;
    assert.equal(await mdConnections(), 1, "one public connection on the market-data endpoint");

    assert.equal(
      (await client.place(maker.sign({ side: Side.SELL, size: ONE, price: 301_000n, orderId: 1n }))).status,
      200,
    );
    await eventually(
      "the resting ask in a book update",
      () => book.some((m) => m.type === "book" && JSON.stringify(m).includes('"301000"')),
      10_000,
    );
    // The private stream authenticates asynchronously: the crossing order waits until a fill
    // could reach it, which a round trip on the venue's socket after `auth` guarantees.
    await new Promise((r) => setTimeout(r, 200));
    const placed = await client.place(
      taker.sign({ side: Side.BUY, size: ONE, price: 301_000n, orderId: 2n, tif: "IOC" }),
    );
    assert.equal(placed.status, 200);
    await eventually("the public trade", () => trades.some((m) => m.type === "trade"), 10_000);
    await eventually("the taker's private fill", () => fills.some((m) => m.type === "fill"), 10_000);
    assert.equal(fills.filter((m) => m.type === "fill").length, 1);
    assert.ok(!statuses.includes("offline"), `no outage: ${statuses.join(",")}`);
  });

  test("a killed market-data process is found again and the book goes on", { timeout: 60_000 }, async () => {
    const book = collect(feed, "book", ETH_PERP);
    const pid = ((await (await fetch(`${md}/health`)).json()) as { pid: number }).pid;
    process.kill(pid, "SIGKILL");
    await eventually("the feed notices the drop", () => feed.status !== "live", 10_000);
    await eventually("the feed is live again", () => feed.status === "live", 30_000);
    await eventually("a fresh snapshot", () => book.some((m) => m.type === "book_snapshot"), 10_000);
    assert.equal(feed.publicUrl, LiveFeed.urlFor(md));
    assert.equal(
      (await client.place(maker.sign({ side: Side.SELL, size: ONE, price: 302_000n, orderId: 3n }))).status,
      200,
    );
    await eventually(
      "the new ask through the new process",
      () => book.some((m) => m.type === "book" && JSON.stringify(m).includes('"302000"')),
      10_000,
    );
  });

  test("signing out closes the private stream and leaves the public one", async () => {
    feed.authenticate(null);
    assert.equal(feed.status, "live");
    const fills: Message[] = [];
    feed.onPrivate((m) => fills.push(m as Message));
    assert.equal(
      (await client.place(taker.sign({ side: Side.BUY, size: ONE, price: 302_000n, orderId: 4n, tif: "IOC" }))).status,
      200,
    );
    const trades = collect(feed, "trades", ETH_PERP);
    await client.place(maker.sign({ side: Side.SELL, size: ONE, price: 303_000n, orderId: 5n }));
    await client.place(taker.sign({ side: Side.BUY, size: ONE, price: 303_000n, orderId: 6n, tif: "IOC" }));
    await eventually("the public trade", () => trades.some((m) => m.type === "trade"), 10_000);
    assert.deepEqual(fills, [], "no private message without a session");
  });
});

describe("account reads through the market-data endpoint", () => {
  test("the app's account reads go to the market-data process and see its own orders at once", async () => {
    const v = await startVenue({ marketData: { port: 0 } });
    const md = new URL(v.service.marketDataUrl!).origin;
    const trader = new Trader("live-reads", 4n);
    const realFetch = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = (input, init) => {
      seen.push(new URL(input instanceof Request ? input.url : input.toString()).origin);
      return realFetch(input, init);
    };
    try {
      assert.equal((await v.client.deposit(trader, RICH)).status, 200);
      const api = new SequencerClient(v.service.url);
      const session = await api.openSession(trader.accountId, domain(), trader.publicKey, (m) =>
        signFast(trader.privateKey, m),
      );
      for (let i = 1n; i <= 3n; i++) {
        const placed = await api.placeOrder(
          sign(
            trader.privateKey,
            trader.order({ side: Side.SELL, size: ONE, price: 320_000n + i * 100n, orderId: i }),
            domain(),
          ),
        );
        assert.equal(placed.status, "resting");
        seen.length = 0;
        const open = await api.openOrders(session.token);
        assert.deepEqual(
          open.map((o) => o.orderId),
          Array.from({ length: Number(i) }, (_, k) => BigInt(k + 1)),
          "the order just placed is listed",
        );
        // The first read asks the venue's /v1/status where the endpoint is; then only there.
        assert.deepEqual(
          seen,
          i === 1n ? [new URL(v.service.url).origin, md] : [md],
          "read from the market-data endpoint",
        );
      }
      const account = await api.account(session.token);
      assert.equal(account.openOrders, 3);
    } finally {
      globalThis.fetch = realFetch;
      await v.cleanup();
    }
  });
});

describe("live feed without a market-data process", () => {
  test("public channels fall back to the venue's endpoint", async () => {
    const v = await startVenue({ marketData: null });
    const feed = appFeed(v.service.url);
    try {
      const book = collect(feed, "book", ETH_PERP);
      feed.start();
      await eventually("the book snapshot", () => book.some((m) => m.type === "book_snapshot"), 10_000);
      assert.equal(feed.publicUrl, LiveFeed.urlFor(v.service.url));
    } finally {
      feed.stop();
      await v.cleanup();
    }
  });
});
