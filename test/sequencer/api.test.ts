/**
 * The HTTP/WS API of a real sequencer on 127.0.0.1 with a temp database: bad inputs get their
 * 4xx and code and change nothing, sessions, account data, market data, streams.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import { ADMIN_TOKEN, startVenue, Trader } from "./helpers.ts";
import type { Client } from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;

type Venue = Awaited<ReturnType<typeof startVenue>>;

/** What a rejected request must leave untouched. */
async function fingerprint(client: Client): Promise<string> {
  const status = await client.get("/v1/status");
  const book = await client.get("/v1/instruments/ETH-PERP/book");
  return JSON.stringify([status.body.journal, status.body.stateRoot, book.body]);
}

async function expectRejected(
  client: Client,
  send: () => Promise<{ status: number; body: Record<string, unknown> }>,
  status: number,
  code: string,
): Promise<void> {
  const before = await fingerprint(client);
  const r = await send();
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code);
  assert.equal(typeof r.body.message, "string");
  assert.ok((r.body.message as string).length > 10, "the message says what to do");
  assert.equal(await fingerprint(client), before, "a rejected request changes nothing");
  assert.equal((await client.get("/health")).status, 200, "the service keeps serving");
}

function nextMessage(ws: WebSocket, match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (match(m)) {
        ws.off("message", onMessage);
        resolve(m);
      }
    };
    ws.on("message", onMessage);
    ws.once("error", reject);
  });
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace("http", "ws") + "/v1/ws");
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

describe("sequencer API", () => {
  let v: Venue;
  let client: Client;
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  const poor = new Trader("poor", 4n);
  const stranger = new Trader("stranger", 9n);
  let orderId = 100n;
  const nextId = (): bigint => (orderId += 1n);

  before(async () => {
    v = await startVenue();
    client = v.client;
    for (const t of [alice, bob]) assert.equal((await client.deposit(t, RICH)).status, 200);
    assert.equal((await client.deposit(poor, 1_000_000n)).status, 200);
    // Some depth to trade against.
    const r = await client.place(alice.sign({ side: Side.SELL, size: ONE, price: P, orderId: 1n }));
    assert.equal(r.status, 200);
  });
  after(async () => {
    await v.cleanup();
  });

  test("bad input: malformed JSON is rejected with 400 BAD_REQUEST", async () => {
    await expectRejected(
      client,
      () => client.request("POST", "/v1/orders", undefined, undefined, '{"order": {'),
      400,
      "BAD_REQUEST",
    );
  });

  test("bad input: a __proto__ or constructor key is refused with a message that names it", async () => {
    for (const body of ['{"__proto__": {"admin": true}}', '{"order": {"constructor": {"prototype": {}}}}']) {
      await expectRejected(
        client,
        () => client.request("POST", "/v1/orders", undefined, undefined, body),
        400,
        "BAD_REQUEST",
      );
      const r = await client.request("POST", "/v1/orders", undefined, undefined, body);
      assert.match(String(r.body.message), /__proto__ or constructor/, "the message says which key is refused");
    }
  });

  test("bad input: wrong types, missing and unknown fields are rejected with 400 BAD_REQUEST", async () => {
    const good = toWire(bob.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: nextId() })) as Record<
      string,
      Record<string, unknown>
    >;
    const variants = [
      { order: { ...good, order: { ...good.order, size: 10000 } } },
      { order: { ...good, order: { ...good.order, side: 2 } } },
      { order: { ...good, order: { ...good.order, price: "-5" } } },
      { order: { ...good, order: { ...good.order, orderId: "281474976710656" } } },
      { order: { order: good.order, publicKey: good.publicKey } },
      { order: good, extra: true },
      [1, 2, 3],
    ];
    for (const body of variants)
      await expectRejected(client, () => client.post("/v1/orders", body), 400, "BAD_REQUEST");
    await expectRejected(client, () => client.get("/v1/instruments/ETH-PERP/book?depth=abc"), 400, "BAD_REQUEST");
  });

  test("bad input: a huge body is rejected with 413 BODY_TOO_LARGE", async () => {
    const huge = JSON.stringify({ order: "x".repeat(64 * 1024) });
    await expectRejected(
      client,
      () => client.request("POST", "/v1/orders", undefined, undefined, huge),
      413,
      "BODY_TOO_LARGE",
    );
  });

  test("bad input: a body that is not JSON is rejected with 415", async () => {
    const send = async () => {
      const res = await fetch(client.url + "/v1/orders", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "hello",
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await expectRejected(client, send, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  test("bad input: bad signatures are rejected with 401 BAD_SIGNATURE, foreign keys with 403 KEY_MISMATCH", async () => {
    const signed = bob.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: nextId() });
    const tampered = { ...signed, order: { ...signed.order, price: P - 90n } };
    await expectRejected(client, () => client.place(tampered), 401, "BAD_SIGNATURE");
    const wrongS = { ...signed, signature: { ...signed.signature, S: signed.signature.S + 1n } };
    await expectRejected(client, () => client.place(wrongS), 401, "BAD_SIGNATURE");
    // Signed correctly, but by a key that is not account 3's.
    const impostor = new Trader("bob", 3n);
    Object.assign(impostor, { privateKey: stranger.privateKey, publicKey: stranger.publicKey });
    await expectRejected(client, () => client.place(impostor.sign(signed.order)), 403, "KEY_MISMATCH");
  });

  test("bad input: a replayed order id is rejected with 409 DUPLICATE_ORDER_ID", async () => {
    const signed = bob.sign({ side: Side.BUY, size: ONE, price: P - 200n, orderId: nextId() });
    assert.equal((await client.place(signed)).status, 200);
    await expectRejected(client, () => client.place(signed), 409, "DUPLICATE_ORDER_ID");
    const token = await client.session(bob);
    assert.equal((await client.request("DELETE", `/v1/orders/${signed.order.orderId}`, undefined, token)).status, 200);
    await expectRejected(client, () => client.place(signed), 409, "DUPLICATE_ORDER_ID");
  });

  test("bad input: unknown instruments and accounts are rejected with 404", async () => {
    await expectRejected(
      client,
      () => client.place(bob.sign({ side: Side.BUY, size: ONE, price: P, orderId: nextId(), instrument: 3n })),
      404,
      "UNKNOWN_INSTRUMENT",
    );
    await expectRejected(client, () => client.get("/v1/instruments/DOGE-PERP/book"), 404, "UNKNOWN_INSTRUMENT");
    await expectRejected(
      client,
      () => client.place(stranger.sign({ side: Side.BUY, size: ONE, price: P, orderId: 1n })),
      404,
      "UNKNOWN_ACCOUNT",
    );
  });

  test("bad input: tick and lot violations are rejected with 422 TICK_SIZE and LOT_SIZE", async () => {
    await expectRejected(
      client,
      () => client.place(bob.sign({ side: Side.BUY, size: 15n, price: P, orderId: nextId() })),
      422,
      "LOT_SIZE",
    );
    await expectRejected(
      client,
      () => client.place(bob.sign({ side: Side.BUY, size: ONE, price: 6_000_005n, orderId: nextId(), instrument: 2n })),
      422,
      "TICK_SIZE",
    );
  });

  test("bad input: a margin violation is rejected with 422 MARGIN", async () => {
    await expectRejected(
      client,
      () => client.place(poor.sign({ side: Side.BUY, size: ONE, price: P, orderId: nextId(), tif: "IOC" })),
      422,
      "MARGIN",
    );
  });

  test("bad input: private and operator routes without credentials are rejected with 401", async () => {
    await expectRejected(client, () => client.get("/v1/account"), 401, "UNAUTHORIZED");
    await expectRejected(client, () => client.get("/v1/account/orders", "not-a-token"), 401, "UNAUTHORIZED");
    await expectRejected(
      client,
      () => client.post("/v1/admin/deposits", bob.deposit(1n), "wrong-admin-token"),
      401,
      "UNAUTHORIZED",
    );
    const c = await client.post("/v1/auth/challenge", { accountId: bob.accountId.toString() });
    const forged = alice.signSession(BigInt(c.body.challenge as string)) as Record<string, unknown>;
    await expectRejected(
      client,
      () => client.post("/v1/auth/session", { ...forged, accountId: "3" }),
      403,
      "KEY_MISMATCH",
    );
  });

  test("bad input: an account over its rate limit gets 429 RATE_LIMITED", async () => {
    const small = await startVenue({ orderRatePerSecond: 1, orderBurst: 2 });
    try {
      assert.equal((await small.client.deposit(bob, RICH)).status, 200);
      const statuses: number[] = [];
      let last: Record<string, unknown> = {};
      for (let i = 1n; i <= 4n; i++) {
        const r = await small.client.place(bob.sign({ side: Side.BUY, size: ONE, price: P - 100n * i, orderId: i }));
        statuses.push(r.status);
        last = r.body;
      }
      assert.deepEqual(statuses.slice(0, 2), [200, 200]);
      assert.equal(statuses[3], 429);
      assert.equal(last.code, "RATE_LIMITED");
      assert.match(last.message as string, /retry in \d+ ms/);
    } finally {
      await small.cleanup();
    }
  });

  test("a session reads the account: collateral, positions with PnL and liquidation price, orders, fills", async () => {
    const fill = await client.place(bob.sign({ side: Side.BUY, size: ONE, price: P, orderId: nextId(), tif: "IOC" }));
    assert.equal(fill.body.status, "filled");
    const token = await client.session(bob);
    const account = (await client.get("/v1/account", token)).body;
    const positions = account.positions as Record<string, unknown>[];
    assert.equal(positions.length, 1);
    assert.equal(positions[0]!.name, "ETH-PERP");
    assert.equal(positions[0]!.size, ONE.toString());
    assert.equal(typeof positions[0]!.pnl, "string");
    assert.ok(BigInt(account.collateral as string) < RICH, "the taker fee was paid");
    assert.ok(BigInt(account.initialMargin as string) > 0n);
    const fills = (await client.get("/v1/account/fills", token)).body.fills as Record<string, unknown>[];
    assert.equal(fills[0]!.price, P.toString());
    assert.equal(typeof fills[0]!.batch, "string");
    assert.ok(["open", "closed"].includes(fills[0]!.proofStatus as string));
    const resting = await client.place(
      bob.sign({ side: Side.BUY, size: ONE, price: P - 300n, orderId: nextId() }),
      "my-bid",
    );
    assert.equal(resting.body.status, "resting");
    const orders = (await client.get("/v1/account/orders", token)).body.orders as Record<string, unknown>[];
    assert.ok(orders.some((o) => o.clientOrderId === "my-bid"));
    assert.equal((await client.request("DELETE", "/v1/orders/by-client-id/my-bid", undefined, token)).status, 200);
    const cancelAll = await client.post("/v1/orders/cancel-all", {}, token);
    assert.equal(cancelAll.status, 200);
    assert.equal(((await client.get("/v1/account/orders", token)).body.orders as unknown[]).length, 0);
  });

  test("market data: instruments with the option chain, tickers, oracle, funding, openapi, metrics", async () => {
    const instruments = (await client.get("/v1/instruments")).body.instruments as Record<string, unknown>[];
    assert.ok(instruments.some((i) => i.name === "ETH-PERP" && i.tickSize === "1" && i.lotSize === "10"));
    assert.ok(instruments.some((i) => i.kind === "call") && instruments.some((i) => i.kind === "put"));
    const chain = (await client.get("/v1/option-chain?underlying=1")).body.rows as Record<string, unknown>[];
    assert.ok(chain.length > 0);
    assert.ok(chain.every((r) => r.call !== null && r.put !== null));
    const tickers = (await client.get("/v1/tickers")).body.tickers as Record<string, unknown>[];
    const eth = tickers.find((t) => t.name === "ETH-PERP")!;
    assert.equal(eth.lastPrice, P.toString());
    assert.equal(eth.indexPrice, "300000");
    const oracle = (await client.get("/v1/oracle")).body.underlyings as Record<string, unknown>[];
    assert.equal(oracle[0]!.symbol, "ETH");
    assert.equal((await client.get("/v1/funding")).body.interval, "60");
    const api = (await client.get("/openapi.json")).body;
    assert.equal(api.openapi, "3.1.0");
    const paths = api.paths as Record<string, Record<string, unknown>>;
    assert.ok(paths["/v1/orders"]!.post !== undefined);
    assert.ok(paths["/v1/orders/{orderId}"]!.delete !== undefined);
    const metrics = await fetch(client.url + "/metrics").then((r) => r.text());
    assert.match(metrics, /tessera_orders_total\{outcome="filled"\} [1-9]/);
    assert.match(metrics, /tessera_order_ack_seconds_bucket/);
  });

  test("operator routes close batches and set oracle prices", async () => {
    const closed = await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
    assert.equal(closed.status, 200);
    const status = (await client.get("/v1/status")).body;
    assert.ok((status.unprovedBatches as string[]).length > 0);
    assert.equal((await client.post("/v1/admin/oracle", { prices: ["301000", "6000000"] }, ADMIN_TOKEN)).status, 200);
    assert.equal(
      ((await client.get("/v1/oracle")).body.underlyings as Record<string, unknown>[])[0]!.indexPrice,
      "301000",
    );
    const b = (await client.get("/v1/batches/1")).body;
    assert.equal(b.status, "closed");
  });

  test("websocket: book snapshot then sequenced updates, trades, private order updates", async () => {
    const ws = await openWs(client.url);
    try {
      const token = await client.session(alice);
      ws.send(JSON.stringify({ op: "auth", token }));
      await nextMessage(ws, (m) => m.type === "authenticated");
      ws.send(JSON.stringify({ op: "subscribe", channel: "book", instrument: "ETH-PERP" }));
      const snap = await nextMessage(ws, (m) => m.type === "book_snapshot");
      ws.send(JSON.stringify({ op: "subscribe", channel: "trades", instrument: "1" }));
      await nextMessage(ws, (m) => m.type === "subscribed" && m.channel === "trades");
      const update = nextMessage(ws, (m) => m.type === "book");
      const privateUpdate = nextMessage(ws, (m) => m.type === "orders");
      await client.place(alice.sign({ side: Side.SELL, size: ONE, price: P + 500n, orderId: nextId() }));
      const u = await update;
      assert.equal(BigInt(u.seq as string), BigInt(snap.seq as string) + 1n);
      assert.deepEqual(u.changes, [{ side: 1, price: (P + 500n).toString(), size: ONE.toString(), orders: 1 }]);
      assert.equal(((await privateUpdate).placed as Record<string, unknown>).status, "resting");
      const trade = nextMessage(ws, (m) => m.type === "trade");
      const fill = nextMessage(ws, (m) => m.type === "fill");
      await client.place(bob.sign({ side: Side.BUY, size: ONE, price: P + 500n, orderId: nextId(), tif: "IOC" }));
      assert.equal((await trade).price, (P + 500n).toString());
      assert.equal(((await fill).maker as Record<string, unknown>).accountId, "2");
      ws.send("{oops");
      assert.equal((await nextMessage(ws, (m) => m.type === "error")).code, "BAD_REQUEST");
    } finally {
      ws.close();
    }
  });

  test("websocket: a fill reaches each side once, encoded once: the maker its fill, the taker its fill and its order", async () => {
    const PRIVATE = new Set(["fill", "orders", "withdrawal", "settlement"]);
    const socket = async (t: Trader) => {
      const ws = await openWs(client.url);
      const seen: Record<string, unknown>[] = [];
      ws.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString()) as Record<string, unknown>;
        if (PRIVATE.has(m.type as string)) seen.push(m);
      });
      ws.send(JSON.stringify({ op: "auth", token: await client.session(t) }));
      await nextMessage(ws, (m) => m.type === "authenticated");
      return { ws, seen };
    };
    // Every message the venue sent a socket before the pong was sent before it.
    const settle = async (ws: WebSocket) => {
      const pong = nextMessage(ws, (m) => m.type === "pong");
      ws.send(JSON.stringify({ op: "ping" }));
      await pong;
    };
    const maker = await socket(alice);
    const taker = await socket(bob);
    const watcher = await openWs(client.url);
    try {
      watcher.send(JSON.stringify({ op: "subscribe", channel: "trades", instrument: "ETH-PERP" }));
      await nextMessage(watcher, (m) => m.type === "subscribed");
      const price = P + 700n;
      await client.place(alice.sign({ side: Side.SELL, size: ONE, price, orderId: nextId() }));
      await settle(maker.ws);
      const makerBefore = maker.seen.length;
      const publicTrade = nextMessage(watcher, (m) => m.type === "trade" && m.price === price.toString());
      const taken = await client.place(bob.sign({ side: Side.BUY, size: ONE, price, orderId: nextId(), tif: "IOC" }));
      assert.equal(taken.status, 200);
      await Promise.all([settle(maker.ws), settle(taker.ws)]);
      const makerGot = maker.seen.slice(makerBefore);
      assert.deepEqual(
        makerGot.map((m) => m.type),
        ["fill"],
        "the maker hears of its fill once, and no empty `orders` update",
      );
      assert.deepEqual(taker.seen.map((m) => m.type).sort(), ["fill", "orders"]);
      for (const { seen } of [maker, taker])
        assert.deepEqual(
          seen.map((m) => Number(m.seq)),
          seen.map((_, i) => i + 1),
          "private messages numbered 1, 2, ... without a gap",
        );
      const strip = ({ type: _t, seq: _s, ...rest }: Record<string, unknown>) => rest;
      const fill = strip(makerGot[0]!);
      assert.deepEqual(strip(taker.seen.find((m) => m.type === "fill")!), fill, "both sides get the same fill");
      assert.deepEqual(strip(await publicTrade), fill, "the public trade carries the same fields");
      assert.equal((fill.maker as Record<string, unknown>).accountId, "2");
      assert.equal((fill.taker as Record<string, unknown>).accountId, "3");
    } finally {
      for (const ws of [maker.ws, taker.ws, watcher]) ws.close();
    }
  });

  test("websocket: cancel-on-disconnect cancels the connection's orders when the socket closes", async () => {
    const token = await client.session(alice);
    const ws = await openWs(client.url);
    ws.send(JSON.stringify({ op: "auth", token, cancelOnDisconnect: true }));
    const auth = await nextMessage(ws, (m) => m.type === "authenticated");
    const placed = await client.post("/v1/orders", {
      order: toWire(alice.sign({ side: Side.SELL, size: ONE, price: P + 900n, orderId: nextId() })),
      cancelOnDisconnect: auth.connectionId,
    });
    assert.equal(placed.status, 200);
    assert.ok(((await client.get("/v1/account/orders", token)).body.orders as unknown[]).length > 0);
    ws.close();
    let open = -1;
    for (let i = 0; i < 100 && open !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      open = ((await client.get("/v1/account/orders", token)).body.orders as unknown[]).length;
    }
    assert.equal(open, 0);
  });
});
