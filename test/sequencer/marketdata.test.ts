/**
 * The market-data process (sequencer/marketdata/) against the venue it copies, over 127.0.0.1:
 *
 * - differential: after a random history (resting orders, fills, partial fills, cancels, in two
 *   markets) every book at full depth, every trade list and the tickers read from the market-data
 *   endpoint equal the venue's own replies; a WebSocket subscriber of the market-data endpoint
 *   that applies `book` updates to its snapshot reaches the venue's book with no gap in `seq`,
 *   and hears every trade once, in order;
 * - the endpoint serves public channels only (`WRONG_ENDPOINT` for auth and order entry);
 * - attack: a subscriber that never reads is closed as a slow consumer by the market-data
 *   process, while the venue goes on taking orders;
 * - a market-data process killed with SIGKILL is replaced on the same port, and a new subscriber
 *   gets the venue's book.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { Side } from "../../protocol/types.ts";
import { configFromEnv } from "../../sequencer/config.ts";
import { toWire } from "../../sequencer/wire.ts";
import { mulberry32 } from "../random.ts";
import type { SideCode } from "../../protocol/types.ts";
import { ADMIN_TOKEN, BTC_PERP, ETH_PERP, FAR_EXPIRY, startVenue, Trader } from "./helpers.ts";
import type { Client } from "./helpers.ts";
import { eventually } from "./wait.ts";

/** Waits (bounded) until `check` holds. */
const RICH = 100_000_000_000n;
const ONE = 10_000n;
const MID: Readonly<Record<string, bigint>> = { [ETH_PERP.toString()]: 300_000n, [BTC_PERP.toString()]: 6_000_000n };

type Venue = Awaited<ReturnType<typeof startVenue>>;
type Message = Record<string, unknown>;

async function openWs(url: string): Promise<{ ws: WebSocket; messages: Message[] }> {
  const ws = new WebSocket(url.replace("http", "ws") + "/v1/ws");
  const messages: Message[] = [];
  ws.on("message", (data: Buffer) => messages.push(JSON.parse(data.toString()) as Message));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, messages };
}

async function get(
  url: string,
  route: string,
  token?: string,
  minSeq?: string,
): Promise<{ status: number; body: Message }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (minSeq !== undefined) headers["x-tessera-min-seq"] = minSeq;
  const res = await fetch(url + route, { headers });
  return { status: res.status, body: (await res.json()) as Message };
}

/** A book as levels `side:price → size/orders`, from a snapshot and `book` updates. */
class LocalBook {
  readonly levels = new Map<string, string>();
  seq = -1n;

  reset(snapshot: Message): void {
    this.levels.clear();
    for (const [side, key] of [
      ["0", "bids"],
      ["1", "asks"],
    ] as const)
      for (const l of snapshot[key] as Message[])
        this.levels.set(`${side}:${String(l.price)}`, `${String(l.size)}/${String(l.orders)}`);
    this.seq = BigInt(snapshot.seq as string);
  }

  apply(update: Message): void {
    const seq = BigInt(update.seq as string);
    assert.equal(seq, this.seq + 1n, "book updates arrive without a gap");
    for (const c of update.changes as Message[]) {
      const key = `${String(c.side)}:${String(c.price)}`;
      if (c.size === "0") this.levels.delete(key);
      else this.levels.set(key, `${String(c.size)}/${String(c.orders)}`);
    }
    this.seq = seq;
  }
}

describe("market-data process", () => {
  let v: Venue;
  let client: Client;
  let md: string;
  const traders = [new Trader("md-a", 2n), new Trader("md-b", 3n), new Trader("md-c", 4n)];

  before(async () => {
    v = await startVenue({ marketData: { port: 0 }, orderRatePerSecond: 100_000, orderBurst: 100_000 });
    client = v.client;
    assert.ok(v.service.marketDataUrl !== null);
    md = v.service.marketDataUrl;
    for (const t of traders) assert.equal((await client.deposit(t, RICH)).status, 200);
  });

  after(async () => {
    await v.cleanup();
  });

  test("status names the market-data port", async () => {
    const status = await client.get("/v1/status");
    assert.deepEqual(status.body.marketData, { port: Number(new URL(md).port), url: null });
    const health = await get(md, "/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.ok, true);
  });

  test("read your writes: an account read with the venue's X-Tessera-Seq sees the command at once", async () => {
    // Before the random history (an empty book: the taker fills the maker's order), with
    // accounts of their own.
    const [maker, taker] = [new Trader("md-ryw-maker", 6n), new Trader("md-ryw-taker", 7n)];
    for (const t of [maker, taker]) assert.equal((await client.deposit(t, RICH)).status, 200);
    const makerToken = await client.session(maker);
    const takerToken = await client.session(taker);
    let orderId = 50_000n;
    for (let round = 0; round < 25; round++) {
      orderId += 1n;
      const rest = await client.place(maker.sign({ side: Side.SELL, size: ONE, price: 310_000n, orderId }));
      assert.equal(rest.status, 200, JSON.stringify(rest.body));
      const seq = rest.headers!.get("x-tessera-seq");
      assert.ok(seq !== null && /^\d+$/.test(seq), "the venue names its committed journal seq");
      const orders = await get(md, "/v1/account/orders", makerToken, seq);
      assert.equal(orders.status, 200);
      assert.ok(
        (orders.body.orders as Message[]).some((o) => o.orderId === orderId.toString()),
        `round ${round}: the resting order is in the copy`,
      );
      orderId += 1n;
      const take = await client.place(taker.sign({ side: Side.BUY, size: ONE, price: 310_000n, orderId, tif: "IOC" }));
      assert.equal(take.status, 200);
      assert.equal((take.body.fills as unknown[]).length, 1);
      const fills = await get(md, "/v1/account/fills?limit=1", takerToken, take.headers!.get("x-tessera-seq")!);
      assert.equal(
        (fills.body.fills as Message[])[0]!.taker && ((fills.body.fills as Message[])[0]!.taker as Message).orderId,
        orderId.toString(),
      );
      const account = await get(md, "/v1/account", takerToken, take.headers!.get("x-tessera-seq")!);
      assert.deepEqual(account.body, (await client.get("/v1/account", takerToken)).body);
      // The next order id (the taker's own session) reads its own writes too: one above its order.
      const next = await get(
        md,
        `/v1/accounts/${taker.accountId}/nextOrderId`,
        takerToken,
        take.headers!.get("x-tessera-seq")!,
      );
      assert.deepEqual(next.body, { accountId: taker.accountId.toString(), nextOrderId: (orderId + 1n).toString() });
    }
    // A seq the venue has not reached: 503 after the bounded wait; a malformed one: 400.
    const ahead = await get(md, "/v1/account", makerToken, "999999999");
    assert.equal(ahead.status, 503);
    assert.equal(ahead.body.code, "UNAVAILABLE");
    const bad = await get(md, "/v1/account", makerToken, "-1");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "BAD_REQUEST");
  });

  test(
    "differential: a random history reads the same from the market-data endpoint as from the venue",
    { timeout: 120_000 },
    async () => {
      const instruments = [ETH_PERP, BTC_PERP];
      // Subscribed before the history starts: every update and trade must arrive.
      const sub = await openWs(md);
      for (const i of instruments)
        for (const channel of ["book", "trades", "ticker"])
          sub.ws.send(JSON.stringify({ op: "subscribe", channel, instrument: i.toString() }));
      await eventually("snapshots", () => sub.messages.filter((m) => m.type === "book_snapshot").length === 2, 10_000);
      // Trades from before the subscription (earlier tests) are not the stream's to deliver.
      const before = new Map<bigint, number>();
      for (const i of instruments) {
        const last = (await client.get(`/v1/instruments/${i}/trades?limit=1`)).body.trades as Message[];
        before.set(i, last.length === 0 ? 0 : Number(last[0]!.tradeId));
      }

      const random = mulberry32(20261204);
      const open: { trader: Trader; orderId: bigint }[] = [];
      const tokens: Record<string, string> = {};
      let orderId = 1000n;
      let fills = 0;
      for (let step = 0; step < 300; step++) {
        const trader = traders[Math.floor(random() * traders.length)]!;
        if (step === 100 || step === 200) {
          // The oracle moves every mark (account values, no book change) and a withdrawal
          // changes one account with no public event at all.
          const eth = MID[ETH_PERP.toString()]! + (step === 100 ? 1_500n : -2_500n);
          const oracle = await client.post("/v1/admin/oracle", { prices: [eth.toString(), "6000000"] }, ADMIN_TOKEN);
          assert.equal(oracle.status, 200, JSON.stringify(oracle.body));
          orderId += 1n;
          const w = await client.post("/v1/withdrawals", {
            withdrawal: toWire(trader.sign(withdrawalOrder(trader.accountId, 1_000_000n, orderId, FAR_EXPIRY))),
          });
          assert.equal(w.status, 200, JSON.stringify(w.body));
          continue;
        }
        if (open.length > 0 && random() < 0.2) {
          const [o] = open.splice(Math.floor(random() * open.length), 1);
          const token = (tokens[o!.trader.name] ??= await client.session(o!.trader));
          await client.request("DELETE", `/v1/orders/${o!.orderId}`, undefined, token);
          continue;
        }
        const instrument = instruments[Math.floor(random() * instruments.length)]!;
        const side: SideCode = random() < 0.5 ? Side.BUY : Side.SELL;
        const mid = MID[instrument.toString()]!;
        // Prices on both sides of the mid, so about half the orders cross and fill.
        const offset = BigInt(Math.floor(random() * 21) - 10) * 100n;
        const size = BigInt(1 + Math.floor(random() * 3)) * ONE;
        // An id whose order-tree slot is free (the profile has few slots per account).
        let r = { status: 409, body: {} as Message };
        for (let attempt = 0; attempt < 64 && r.status === 409; attempt++) {
          orderId += 1n;
          r = await client.place(trader.sign({ instrument, side, size, price: mid + offset, orderId }));
          if (r.status === 409) assert.equal(r.body.code, "ORDER_SLOT_BUSY");
        }
        if (r.status === 409) continue;
        // A refusal (margin) is part of the history: it must change no book.
        if (r.status === 422 && r.body.code === "MARGIN") continue;
        assert.equal(r.status, 200, JSON.stringify(r.body));
        fills += ((r.body.fills as unknown[] | undefined) ?? []).length;
        if (r.body.status === "resting") open.push({ trader, orderId });
      }
      assert.ok(fills > 20, `the history fills (${fills} fills)`);

      const venueTrades = async (i: bigint) =>
        (await client.get(`/v1/instruments/${i}/trades?limit=500`)).body.trades as Message[];
      // The copy catches up (it trails the venue by at most the messages in flight).
      for (const i of instruments) {
        const want = (await client.get(`/v1/instruments/${i}/book?depth=500`)).body;
        await eventually(
          `the market-data book of ${i} reaches the venue's`,
          async () =>
            JSON.stringify((await get(md, `/v1/instruments/${i}/book?depth=500`)).body) === JSON.stringify(want),
          10_000,
        );
        assert.deepEqual((await get(md, `/v1/instruments/${i}/trades?limit=500`)).body.trades, await venueTrades(i));
        assert.deepEqual(
          (await get(md, `/v1/instruments/${i}/trades?limit=3`)).body.trades,
          (await venueTrades(i)).slice(0, 3),
        );
      }
      assert.deepEqual((await get(md, "/v1/tickers")).body, (await client.get("/v1/tickers")).body);

      // Account reads with the venue's session tokens: the same replies from both endpoints.
      let positions = 0;
      for (const trader of traders) {
        const token = (tokens[trader.name] ??= await client.session(trader));
        const routes = [
          "/v1/account",
          "/v1/account/orders",
          "/v1/account/fills?limit=500",
          "/v1/account/fills?limit=3",
          "/v1/account/settlements",
        ];
        for (const route of routes) {
          const want = await client.get(route, token);
          assert.equal(want.status, 200, `${route}: ${JSON.stringify(want.body)}`);
          await eventually(
            `${trader.name} ${route} on the market-data endpoint reaches the venue's`,
            async () => JSON.stringify((await get(md, route, token)).body) === JSON.stringify(want.body),
            10_000,
          );
        }
        // The next page of fills, from the first page's cursor.
        const first = (await client.get("/v1/account/fills?limit=3", token)).body;
        if (first.nextBefore !== null) {
          const route = `/v1/account/fills?limit=3&before=${String(first.nextBefore)}`;
          assert.deepEqual((await get(md, route, token)).body, (await client.get(route, token)).body);
        }
        positions += ((await get(md, "/v1/account", token)).body.positions as unknown[]).length;
        // The next order id, with the account's session: the same from both endpoints.
        const route = `/v1/accounts/${trader.accountId}/nextOrderId`;
        const want = await client.get(route, token);
        assert.equal(want.status, 200, JSON.stringify(want.body));
        assert.ok(BigInt(want.body.nextOrderId as string) > 1n, "the history used ids of every trader");
        await eventually(
          `${trader.name} ${route} on the market-data endpoint reaches the venue's`,
          async () => JSON.stringify((await get(md, route, token)).body) === JSON.stringify(want.body),
          10_000,
        );
      }
      assert.ok(positions > 0, "the accounts compared hold positions");

      // The subscriber's book and trades, from the stream alone.
      for (const i of instruments) {
        const want = (await client.get(`/v1/instruments/${i}/book?depth=500`)).body;
        const book = new LocalBook();
        const trades: Message[] = [];
        for (const m of sub.messages) {
          if (m.instrument !== i.toString()) continue;
          if (m.type === "book_snapshot") book.reset(m);
          if (m.type === "book") book.apply(m);
          if (m.type === "trade") trades.push(m);
        }
        const expected = new LocalBook();
        expected.reset(want);
        assert.equal(book.seq, expected.seq, "the stream reached the venue's seq");
        assert.deepEqual([...book.levels].sort(), [...expected.levels].sort());
        const venueList = (await venueTrades(i)).reverse().filter((t) => Number(t.tradeId) > before.get(i)!);
        assert.deepEqual(
          trades.map(({ type: _type, ...rest }) => rest),
          venueList,
          "every trade once, in order, as the venue reports it",
        );
        const ticker = sub.messages.filter((m) => m.type === "ticker" && m.instrument === i.toString()).at(-1)!;
        const row = ((await client.get("/v1/tickers")).body.tickers as Message[]).find(
          (t) => t.instrument === i.toString(),
        )!;
        assert.deepEqual(
          [ticker.bid, ticker.ask, ticker.lastPrice, ticker.volume],
          [row.bid, row.ask, row.lastPrice, row.volume],
        );
      }
      sub.ws.close();
    },
  );

  test("the endpoint is public: auth and order entry get WRONG_ENDPOINT, bad input a clear error", async () => {
    const { ws, messages } = await openWs(md);
    ws.send(JSON.stringify({ op: "auth", token: "x" }));
    ws.send(JSON.stringify({ op: "place", id: 7, order: {} }));
    ws.send(JSON.stringify({ op: "subscribe", channel: "book", instrument: "NOPE-PERP" }));
    ws.send("not json");
    await eventually("four errors", () => messages.filter((m) => m.type === "error").length === 4, 5_000);
    const errors = messages.filter((m) => m.type === "error");
    assert.equal(errors[0]!.code, "WRONG_ENDPOINT");
    assert.match(errors[0]!.message as string, /venue's \/v1\/ws/);
    // A `place` without a valid order is refused by the schema first.
    assert.equal(errors[1]!.code, "BAD_REQUEST");
    assert.equal(errors[1]!.id, 7);
    assert.equal(errors[2]!.code, "UNKNOWN_INSTRUMENT");
    assert.equal(errors[3]!.code, "BAD_REQUEST");
    ws.close();
    const missing = await get(md, "/v1/instruments/NOPE-PERP/book");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "UNKNOWN_INSTRUMENT");
    const bad = await get(md, "/v1/instruments/ETH-PERP/book?depth=0");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "BAD_REQUEST");
    const none = await get(md, "/v1/oracle");
    assert.equal(none.status, 404);
    assert.equal(none.body.code, "NOT_FOUND");
    // The next order id: only with the account's own session, with the venue's refusals for none,
    // for another account's (registered or not, or beyond the tree) and for a malformed id.
    const own = await client.session(traders[0]!);
    for (const [route, token, status] of [
      [`/v1/accounts/${traders[0]!.accountId}/nextOrderId`, undefined, 401],
      [`/v1/accounts/${traders[1]!.accountId}/nextOrderId`, own, 403],
      ["/v1/accounts/99/nextOrderId", own, 403],
      ["/v1/accounts/1000/nextOrderId", own, 403],
    ] as const) {
      const [here, there] = [await get(md, route, token), await client.get(route, token)];
      assert.equal(here.status, status, route);
      assert.deepEqual(here.body, there.body, `${route}: the venue's reply`);
    }
    for (const id of ["abc", "-1", "01", (1n << 24n).toString()]) {
      const r = await get(md, `/v1/accounts/${id}/nextOrderId`, own);
      assert.equal(r.status, 400, id);
      assert.equal(r.body.code, "BAD_REQUEST");
    }
    // Account reads take the venue's session tokens, and nothing else.
    for (const token of [undefined, "forged", `s1.2.${Date.now() + 60_000}.AAAA.AAAA`]) {
      const r = await get(md, "/v1/account", token);
      assert.equal(r.status, 401, String(token));
      assert.equal(r.body.code, "UNAUTHORIZED");
    }
    const token = await client.session(traders[0]!);
    // The token names account 2: flipping it to account 3 breaks the MAC.
    const flipped = token.replace(/^s1\.2\./, "s1.3.");
    assert.notEqual(flipped, token);
    assert.equal((await get(md, "/v1/account", flipped)).status, 401);
    assert.equal((await get(md, "/v1/account", token)).status, 200);
    const badQuery = await get(md, "/v1/account/fills?limit=0", token);
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.code, "BAD_REQUEST");
    // The account's read budget (burst 200, then 100 a second, the defaults) holds here too.
    // Reads go 20 at a time until one is refused (at most 2,000): the budget refills while they
    // run, so how many are served depends on the machine's speed, never beyond
    // burst + rate x elapsed.
    const other = await client.session(traders[2]!);
    const codes = new Map<number, number>();
    const started = performance.now();
    for (let sent = 0; sent < 2_000 && !codes.has(429); sent += 20) {
      const wave = await Promise.all(Array.from({ length: 20 }, () => get(md, "/v1/account/orders", other)));
      for (const r of wave) codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
    }
    const elapsed = (performance.now() - started) / 1000;
    const served = codes.get(200) ?? 0;
    assert.ok((codes.get(429) ?? 0) > 0, `some reads over the budget are refused: ${JSON.stringify([...codes])}`);
    assert.ok(served >= 200, `the burst is served: ${served}`);
    assert.ok(served <= 200 + Math.ceil(100 * elapsed) + 1, `${served} served in ${elapsed.toFixed(2)} s`);
  });

  test(
    "attack: a market-data subscriber that never reads is closed, and the venue keeps taking orders",
    { timeout: 120_000 },
    async () => {
      const maker = new Trader("md-ioc", 5n);
      assert.equal((await client.deposit(maker, RICH)).status, 200);
      const stalled = await openWs(md);
      stalled.ws.on("error", () => undefined);
      const closed = new Promise<number>((resolve) => stalled.ws.once("close", (code) => resolve(code)));
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const subscribe = JSON.stringify({ op: "subscribe", channel: "book", instrument: "ETH-PERP" });
      let sent = 0;
      let placed = 0;
      let done = false;
      void closed.then(() => (done = true));
      // Snapshots pile up unread on the market-data side; orders keep flowing on the venue's.
      while (!done && sent < 40_000) {
        for (let i = 0; i < 200; i++) stalled.ws.send(subscribe);
        sent += 200;
        const r = await client.place(
          // IOC far below the book: taken, journaled, holds no order slot.
          maker.sign({ side: Side.BUY, size: ONE, price: 200_000n, orderId: 50_000n + BigInt(placed), tif: "IOC" }),
        );
        assert.equal(r.status, 200);
        placed += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const code = await Promise.race([
        closed,
        new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000)),
      ]);
      assert.ok(code === 4001 || code === 1006, `closed as a slow consumer (${code}) after ${sent} requests`);
      const status = await client.get("/v1/status");
      assert.equal(status.status, 200);
      await eventually("no connection left", async () => (await get(md, "/health")).body.connections === 0, 5_000);
    },
  );

  test(
    "a killed market-data process is replaced on the same port and serves the venue's book",
    { timeout: 60_000 },
    async () => {
      const pid = (await get(md, "/health")).body.pid as number;
      process.kill(pid, "SIGKILL");
      await eventually(
        "a new market-data process listens",
        async () => {
          try {
            const h = await get(md, "/health");
            return h.status === 200 && h.body.pid !== pid;
          } catch {
            return false;
          }
        },
        30_000,
      );
      await client.place(traders[1]!.sign({ side: Side.SELL, size: ONE, price: 400_000n, orderId: 90_001n }));
      const want = (await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body;
      const token = await client.session(traders[0]!);
      const account = (await client.get("/v1/account", token)).body;
      await eventually(
        "the new process serves the account as the venue",
        async () => JSON.stringify((await get(md, "/v1/account", token)).body) === JSON.stringify(account),
        10_000,
      );
      await eventually(
        "the new process has the venue's book",
        async () =>
          JSON.stringify((await get(md, "/v1/instruments/ETH-PERP/book?depth=500")).body) === JSON.stringify(want),
        10_000,
      );
    },
  );
});

describe("market-data endpoint configuration", () => {
  const env = { TESSERA_DB: "unused.db" };

  test("TESSERA_MARKET_DATA_PORT defaults to the next port, `off` runs none, and a proxy URL is advertised", () => {
    assert.deepEqual(configFromEnv({ ...env, TESSERA_PORT: "9000" }, 0).marketData, { port: 9001, publicUrl: null });
    assert.deepEqual(configFromEnv({ ...env, TESSERA_PORT: "0" }, 0).marketData, { port: 0, publicUrl: null });
    assert.equal(configFromEnv({ ...env, TESSERA_MARKET_DATA_PORT: "off" }, 0).marketData, null);
    assert.deepEqual(
      configFromEnv({ ...env, TESSERA_MARKET_DATA_PORT: "7000", TESSERA_MARKET_DATA_URL: "https://md.example.com" }, 0)
        .marketData,
      { port: 7000, publicUrl: "https://md.example.com" },
    );
    for (const bad of ["md.example.com", "ftp://md.example.com", ""])
      assert.throws(() => configFromEnv({ ...env, TESSERA_MARKET_DATA_URL: bad }, 0), /TESSERA_MARKET_DATA_URL/, bad);
  });

  test("/v1/status advertises the configured public URL, and nothing when the process is off", async () => {
    const advertised = await startVenue({ marketData: { port: 0, publicUrl: "https://md.example.com" } });
    try {
      const body = (await advertised.client.get("/v1/status")).body;
      assert.deepEqual(body.marketData, {
        port: Number(new URL(advertised.service.marketDataUrl!).port),
        url: "https://md.example.com",
      });
    } finally {
      await advertised.cleanup();
    }
    const none = await startVenue({ marketData: null });
    try {
      assert.equal((await none.client.get("/v1/status")).body.marketData, null);
      assert.equal(none.service.marketDataUrl, null);
    } finally {
      await none.cleanup();
    }
  });
});
