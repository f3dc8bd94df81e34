/**
 * `attack:` tests (issue 15): each class of abuse runs from this process against a venue in a
 * child process (sequencer/main.ts) over 127.0.0.1, bounded in count, and ends by checking that
 * the venue still serves. No assertion is about time: waits are bounded polls.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WebSocket } from "ws";
import { getProfile } from "../../protocol/profiles.ts";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import {
  authedWs,
  CHILD_PROFILE,
  ChildVenueHandle,
  closed,
  eventually,
  fund,
  metric,
  nextMessage,
  openWs,
  pool,
  SilentProxy,
} from "./attackers.ts";
import type { WsMessage } from "./attackers.ts";
import { Trader } from "./traders.ts";
import type { Client, HttpReply } from "./traders.ts";

const P = 300_000n;
const ONE = 10_000n;
/** ETH-PERP's lot and minimum size. */
const LOT = 10n;
/** Order-tree slots per account of the profile the child venues run. */
const ORDER_SLOTS = 1n << BigInt(getProfile(CHILD_PROFILE).orderDepth);
const TIMEOUT = { timeout: 180_000 };

/** An order of `victim`'s account signed by someone else's key but carrying the victim's public key. */
function forged(mallory: Trader, victim: Trader, spec: Parameters<Trader["order"]>[0]) {
  const order = victim.order(spec);
  const signed = mallory.sign(order);
  return toWire({ ...signed, publicKey: victim.publicKey });
}

async function openOrders(client: Client, token: string): Promise<Record<string, string>[]> {
  const r = await client.get("/v1/account/orders", token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.orders as Record<string, string>[];
}

async function stillServes(client: Client): Promise<void> {
  assert.equal((await client.get("/health")).status, 200);
  const book = await eventually(
    () => client.get("/v1/instruments/ETH-PERP/book?depth=5"),
    (r) => r.status === 200,
  );
  assert.equal(book.status, 200);
}

describe("attack: rate limits", () => {
  test("attack: junk orders naming a victim do not block the victim's cancels", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({
      TESSERA_IP_RATE: "5",
      TESSERA_IP_BURST: "100",
      TESSERA_ORDER_RATE: "20",
      TESSERA_ORDER_BURST: "40",
    });
    try {
      const client = v.client;
      const victim = new Trader("victim", 2n);
      const mallory = new Trader("mallory", 3n);
      await fund(client, victim);
      // The victim uses its whole order budget (burst 40) on quotes.
      const ids: bigint[] = [];
      for (let i = 1n; i <= 40n; i++) {
        const r = await client.place(victim.sign({ side: Side.SELL, size: ONE, price: P + 100n * i, orderId: i }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        ids.push(i);
      }
      const token = await client.session(victim);

      // 600 junk orders naming the victim (its key, a wrong signature) while it cancels every quote.
      // The IP refills 5 a second: the attacker is limited unless its 600 requests take 100 s.
      const junk = pool(600, 16, (i) =>
        client.post("/v1/orders", {
          order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 1000n + BigInt(i) }),
        }),
      );
      const cancels: HttpReply[] = [];
      const cancelHeaders: string[] = [];
      for (const id of ids) {
        const res = await fetch(`${client.url}/v1/orders/${id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${token}` },
        });
        cancels.push({ status: res.status, body: (await res.json()) as Record<string, unknown> });
        cancelHeaders.push(res.headers.get("x-ratelimit-bucket") ?? "");
      }
      const junkReplies = await junk;

      assert.deepEqual(
        cancels.map((c) => c.status),
        ids.map(() => 200),
        "every cancel of the victim succeeded",
      );
      assert.ok(
        cancelHeaders.every((b) => b === "cancel"),
        "cancels are charged to the cancel budget",
      );
      const junkCodes = new Set(junkReplies.map((r) => `${r.status} ${r.body.code as string}`));
      assert.ok(junkCodes.has("429 RATE_LIMITED"), `the attacker's IP was limited: ${[...junkCodes].join(", ")}`);
      assert.ok(
        [...junkCodes].every((c) => c === "429 RATE_LIMITED" || c === "401 BAD_SIGNATURE"),
        [...junkCodes].join(", "),
      );
      assert.equal((await openOrders(client, token)).length, 0);
      // The victim's account budgets were charged only by its own authenticated traffic.
      const reply = await eventually(
        () => client.get("/v1/ratelimits", token),
        (r) => r.status === 200,
      );
      const limits = reply.body as Record<string, Record<string, unknown>>;
      const account = limits.account as Record<string, Record<string, number>>;
      assert.equal(account.cancel!.limit, 800);
      assert.ok(account.cancel!.remaining >= 800 - 40 - 1);
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });

  test("attack: 10k distinct account ids create no account buckets and leave the venue serving", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({
      TESSERA_IP_RATE: "5000",
      TESSERA_IP_BURST: "5000",
      TESSERA_RATE_LIMIT_KEYS: "1000",
    });
    try {
      const client = v.client;
      const mallory = new Trader("mallory", 3n);
      const signed = toWire(mallory.sign({ side: Side.BUY, size: ONE, price: P, orderId: 1n })) as Record<
        string,
        unknown
      >;
      const order = signed.order as Record<string, string>;
      const replies = await pool(10_000, 32, (i) =>
        client.post("/v1/orders", { order: { ...signed, order: { ...order, accountId: String(1000 + i) } } }),
      );
      const codes = new Map<string, number>();
      for (const r of replies) {
        const k = `${r.status} ${r.body.code as string}`;
        codes.set(k, (codes.get(k) ?? 0) + 1);
      }
      assert.ok(
        [...codes.keys()].every((k) => k === "404 UNKNOWN_ACCOUNT" || k === "429 RATE_LIMITED"),
        JSON.stringify([...codes]),
      );
      assert.equal(replies.length, 10_000, "bounded in count");
      const challenges = await pool(2000, 16, (i) =>
        client.post("/v1/auth/challenge", { accountId: String(20_000 + i) }),
      );
      assert.ok(
        challenges.some((r) => r.status === 429),
        "challenges are limited per IP",
      );
      const buckets = await metric(client.url, "tessera_ratelimit_buckets");
      assert.ok(buckets <= 5, `only IP buckets exist, no bucket per named account: ${buckets}`);

      const trader = new Trader("honest", 2n);
      await fund(client, trader);
      const placed = await eventually(
        () => client.place(trader.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 1n })),
        (r) => r.status !== 429,
      );
      assert.equal(placed.status, 200, JSON.stringify(placed.body));
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });
});

describe("attack: matching", () => {
  test("attack: a self-trade ladder costs one pass, and the taker still fills behind it", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({ TESSERA_ORDER_RATE: "100000", TESSERA_ORDER_BURST: "100000" });
    try {
      const client = v.client;
      const ladder = new Trader("ladder", 2n);
      const other = new Trader("other", 3n);
      await fund(client, ladder);
      await fund(client, other);
      const N = 1000;
      // Lot-sized rungs (0.001 ETH): the account can carry all of them at initial margin.
      const rungs = await pool(N, 8, (i) =>
        client.place(ladder.sign({ side: Side.SELL, size: LOT, price: P + BigInt(i + 1), orderId: BigInt(i + 1) })),
      );
      assert.ok(rungs.every((r) => r.status === 200 && r.body.status === "resting"));
      for (let i = 1n; i <= 10n; i++) {
        const r = await client.place(other.sign({ side: Side.SELL, size: ONE, price: P + 2000n + i, orderId: i }));
        assert.equal(r.status, 200);
      }
      const taker = await client.place(
        ladder.sign({ side: Side.BUY, size: 10n * ONE, price: P + 3000n, orderId: BigInt(N + 1), tif: "IOC" }),
      );
      assert.equal(taker.status, 200, JSON.stringify(taker.body));
      assert.equal(taker.body.status, "filled");
      assert.equal((taker.body.fills as unknown[]).length, 10);
      const cancelled = taker.body.cancelled as { reason: string }[];
      assert.equal(cancelled.length, N);
      assert.ok(cancelled.every((c) => c.reason === "self_trade"));
      const book = (await client.get("/v1/instruments/ETH-PERP/book?depth=5")).body;
      assert.deepEqual(book.asks, []);
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });
});

describe("attack: liquidity", () => {
  test("attack: unfunded orders cannot rest at the touch", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start();
    try {
      const client = v.client;
      const poor = new Trader("poor", 2n);
      const maker = new Trader("maker", 3n);
      const taker = new Trader("taker", 4n);
      await fund(client, poor, 1_000_000n);
      await fund(client, maker);
      await fund(client, taker);
      assert.equal(
        (await client.place(maker.sign({ side: Side.SELL, size: ONE, price: P + 100n, orderId: 1n }))).status,
        200,
      );
      // 200 orders of 1 ETH at the touch from an account holding 1 USDC: every one refused.
      const replies = await pool(200, 8, (i) =>
        client.place(poor.sign({ side: Side.SELL, size: ONE, price: P + 10n, orderId: BigInt(i + 1) })),
      );
      assert.ok(
        replies.every((r) => r.status === 422 && r.body.code === "MARGIN"),
        JSON.stringify(replies.find((r) => r.status !== 422)?.body),
      );
      const book = (await client.get("/v1/instruments/ETH-PERP/book?depth=5")).body;
      assert.deepEqual(book.asks, [{ price: (P + 100n).toString(), size: ONE.toString(), orders: 1 }]);
      // A taker meets real liquidity only: no maker is purged on the way.
      const r = await client.place(taker.sign({ side: Side.BUY, size: ONE, price: P + 200n, orderId: 1n, tif: "IOC" }));
      assert.equal(r.body.status, "filled");
      assert.deepEqual(r.body.cancelled, []);
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });

  test("attack: a deep sweep stops at the fill cap and the book stays consistent", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({ TESSERA_ORDER_RATE: "100000", TESSERA_ORDER_BURST: "100000" });
    try {
      const client = v.client;
      const maker = new Trader("maker", 2n);
      const taker = new Trader("taker", 3n);
      await fund(client, maker);
      await fund(client, taker);
      const N = 600;
      await pool(N, 8, (i) =>
        client.place(maker.sign({ side: Side.SELL, size: LOT, price: P + BigInt(i + 1), orderId: BigInt(i + 1) })),
      );
      const sweep = await client.place(
        taker.sign({ side: Side.BUY, size: BigInt(N) * LOT, price: P + 10_000n, orderId: 1n }),
      );
      assert.equal(sweep.status, 200, JSON.stringify(sweep.body));
      assert.equal((sweep.body.fills as unknown[]).length, 500);
      assert.equal(sweep.body.status, "cancelled");
      assert.equal(sweep.body.stopCode, "MAX_FILLS");
      const book = (await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body;
      const asks = book.asks as { price: string; size: string }[];
      assert.equal(asks.length, N - 500);
      assert.equal(asks[0]!.price, (P + 501n).toString());
      assert.deepEqual(book.bids, [], "the remainder did not rest crossed");
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });
});

describe("attack: WebSocket", () => {
  test("attack: a WebSocket that never reads is closed at its send-buffer bound", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({
      TESSERA_IP_RATE: "100000",
      TESSERA_IP_BURST: "100000",
      TESSERA_ORDER_RATE: "100000",
      TESSERA_ORDER_BURST: "100000",
      TESSERA_WS_MAX_BUFFERED_BYTES: "262144",
    });
    let reader: WebSocket | null = null;
    let stalled: WebSocket | null = null;
    try {
      const client = v.client;
      const maker = new Trader("deep", 2n);
      await fund(client, maker);
      // A deep book: 50 levels a side, so every snapshot is several kilobytes.
      await pool(100, 8, (i) =>
        client.place(
          maker.sign({
            side: i % 2 === 0 ? Side.BUY : Side.SELL,
            size: ONE,
            price: i % 2 === 0 ? P - 10n * BigInt(i + 1) : P + 10n * BigInt(i + 1),
            orderId: BigInt(i + 1),
          }),
        ),
      );
      reader = await openWs(client.url);
      reader.send(JSON.stringify({ op: "subscribe", channel: "book", instrument: "ETH-PERP" }));
      await nextMessage(reader, (m) => m.type === "book_snapshot");

      stalled = await openWs(client.url);
      const stalledClosed = closed(stalled);
      stalled.on("error", () => undefined);
      (stalled as unknown as { _socket: { pause(): void } })._socket.pause();
      let sent = 0;
      let dropped = 0;
      const subscribe = JSON.stringify({ op: "subscribe", channel: "book", instrument: "ETH-PERP" });
      while (sent < 20_000 && dropped === 0) {
        for (let i = 0; i < 250; i++) stalled.send(subscribe);
        sent += 250;
        dropped = await metric(client.url, "tessera_ws_closed_total", 'reason="slow_consumer"');
      }
      assert.equal(dropped, 1, `the non-reading client was closed after ${sent} requests`);
      (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
      const code = await stalledClosed;
      assert.ok(code === 4001 || code === 1006, `closed as a slow consumer (${code})`);

      // The reading client is unaffected.
      const update = nextMessage(reader, (m) => m.type === "book");
      await client.place(maker.sign({ side: Side.SELL, size: ONE, price: P + 5000n, orderId: 500n }));
      assert.equal(((await update).changes as unknown[]).length, 1);
      assert.equal(await metric(client.url, "tessera_ws_clients"), 1);
      await stillServes(client);
    } finally {
      reader?.close();
      stalled?.terminate();
      await v.stop();
    }
  });

  test("attack: 1,000 subscriptions and connections beyond the per-IP cap are refused", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({
      TESSERA_IP_RATE: "100000",
      TESSERA_IP_BURST: "100000",
      TESSERA_WS_MAX_SUBSCRIPTIONS: "100",
      TESSERA_WS_MAX_CONNECTIONS_PER_IP: "10",
    });
    const sockets: WebSocket[] = [];
    try {
      const client = v.client;
      const instruments = ((await client.get("/v1/instruments")).body.instruments as { instrument: string }[]).map(
        (i) => i.instrument,
      );
      const keys = ["book", "trades", "ticker"].flatMap((channel) =>
        instruments.map((instrument) => ({ channel, instrument })),
      );
      assert.ok(keys.length > 100, `${keys.length} distinct channels exist`);
      const ws = await openWs(client.url);
      sockets.push(ws);
      let subscribed = 0;
      let refused = 0;
      const all = new Promise<void>((resolve) => {
        ws.on("message", (data: Buffer) => {
          const m = JSON.parse(data.toString()) as WsMessage;
          if (m.type === "subscribed") subscribed++;
          if (m.type === "error") {
            assert.equal(m.code, "TOO_MANY_SUBSCRIPTIONS");
            refused++;
          }
          if (subscribed + refused === 1000) resolve();
        });
      });
      for (let i = 0; i < 1000; i++) ws.send(JSON.stringify({ op: "subscribe", ...keys[i % keys.length]! }));
      await all;
      // Re-subscribing to a held channel is not a new subscription.
      assert.ok(subscribed >= 100 && refused >= 1000 - keys.length * Math.ceil(1000 / keys.length));
      assert.ok(refused > 0);

      // Connections: 10 per IP; this one is the first.
      const more = await Promise.all(Array.from({ length: 15 }, () => openWs(client.url)));
      sockets.push(...more);
      const codes = await Promise.all(
        more.map((s) => Promise.race([closed(s), new Promise<number>((r) => setTimeout(() => r(0), 2000))])),
      );
      assert.equal(codes.filter((c) => c === 4002).length, 6, `codes ${codes.join(",")}`);
      for (const s of sockets) s.close();
      await eventually(
        () => metric(client.url, "tessera_ws_clients"),
        (n) => n === 0,
      );
      const again = await openWs(client.url);
      sockets.push(again);
      again.send(JSON.stringify({ op: "ping" }));
      assert.equal((await nextMessage(again, (m) => m.type === "pong")).type, "pong");
      await stillServes(client);
    } finally {
      for (const s of sockets) s.terminate();
      await v.stop();
    }
  });

  test(
    "attack: what a client without an account, or one account, can make the venue's matching thread write over WebSocket is capped",
    TIMEOUT,
    async () => {
      // The venue writes every public message to each subscriber, and every private one to each of
      // the account's connections, on its matching thread. Without a session a channel takes at
      // most 4 subscribers here (CHANNEL_FULL, pointing at the market-data endpoint); an account at
      // most 2 authenticated connections (TOO_MANY_CONNECTIONS on the auth, the connection kept).
      const v = await ChildVenueHandle.start({
        TESSERA_IP_RATE: "100000",
        TESSERA_IP_BURST: "100000",
        TESSERA_WS_MAX_ANONYMOUS_SUBSCRIBERS: "4",
        TESSERA_WS_MAX_CONNECTIONS_PER_ACCOUNT: "2",
      });
      const sockets: WebSocket[] = [];
      try {
        const client = v.client;
        // The reply to `message` (book snapshots, tickers and `status` messages aside).
        const replies = new Set(["subscribed", "unsubscribed", "authenticated", "error"]);
        const ask = async (ws: WebSocket, message: Record<string, unknown>): Promise<WsMessage> => {
          const reply = nextMessage(ws, (m) => replies.has(String(m.type)));
          ws.send(JSON.stringify(message));
          return reply;
        };
        const book = { op: "subscribe", channel: "book", instrument: "ETH-PERP" };
        const anonymous: WebSocket[] = [];
        for (let i = 0; i < 6; i++) {
          const ws = await openWs(client.url);
          sockets.push(ws);
          anonymous.push(ws);
        }
        const answers = [];
        for (const ws of anonymous) answers.push(await ask(ws, book));
        assert.deepEqual(
          answers.map((m) => (m.type === "error" ? m.code : m.type)),
          ["subscribed", "subscribed", "subscribed", "subscribed", "CHANNEL_FULL", "CHANNEL_FULL"],
        );
        assert.match(String(answers[4]!.message), /market-data endpoint/);
        // Re-subscribing to a held channel is no new subscriber; another channel has its own room.
        assert.equal((await ask(anonymous[0]!, book)).type, "subscribed");
        assert.equal((await ask(anonymous[4]!, { ...book, channel: "trades" })).type, "subscribed");

        // An authenticated connection subscribes past the cap (it is bounded per account instead).
        const maker = new Trader("maker", 2n);
        await fund(client, maker);
        const first = (await authedWs(client, maker)).ws;
        sockets.push(first);
        assert.equal((await ask(first, book)).type, "subscribed");
        const second = (await authedWs(client, maker)).ws;
        sockets.push(second);
        const third = await openWs(client.url);
        sockets.push(third);
        const refused = await ask(third, { op: "auth", token: await client.session(maker) });
        assert.equal(refused.type, "error");
        assert.equal(refused.code, "TOO_MANY_CONNECTIONS");
        // The refused connection stays open, without a session.
        third.send(JSON.stringify({ op: "ping" }));
        assert.equal((await nextMessage(third, (m) => m.type === "pong")).type, "pong");
        const denied = await ask(third, { op: "cancel", orderId: "1" });
        assert.equal(denied.code, "UNAUTHORIZED", JSON.stringify(denied));

        // Room is given back: a closed connection frees its account's, unsubscribing the channel's.
        second.close();
        await closed(second);
        const again = await eventually(
          async () => ask(third, { op: "auth", token: await client.session(maker) }),
          (m) => m.type === "authenticated",
          20,
        );
        assert.equal(again.type, "authenticated");
        for (const ws of anonymous.slice(0, 2)) {
          const gone = nextMessage(ws, (m) => m.type === "unsubscribed");
          ws.send(JSON.stringify({ op: "unsubscribe", channel: "book", instrument: "ETH-PERP" }));
          await gone;
        }
        // 2 anonymous + 1 authenticated subscriber left: room for one more without a session.
        assert.equal((await ask(anonymous[4]!, book)).type, "subscribed");
        assert.equal((await ask(anonymous[5]!, book)).code, "CHANNEL_FULL");
        await stillServes(client);
      } finally {
        for (const s of sockets) s.terminate();
        await v.stop();
      }
    },
  );

  test("attack: a half-open connection (no FIN) still cancels its orders, and only its orders", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({ TESSERA_WS_PING_MS: "200", TESSERA_WS_PONG_TIMEOUT_MS: "400" });
    const proxy = await SilentProxy.start(v.url);
    try {
      const client = v.client;
      const maker = new Trader("maker", 2n);
      await fund(client, maker);
      const token = await client.session(maker);
      const { ws } = await authedWs(client, maker, true, proxy.url);
      ws.on("error", () => undefined);
      const placed = nextMessage(ws, (m) => m.type === "placed" || m.type === "error");
      ws.send(
        JSON.stringify({
          op: "place",
          id: "q1",
          order: toWire(maker.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 1n })),
        }),
      );
      const reply = await placed;
      assert.equal(reply.type, "placed", JSON.stringify(reply));
      assert.equal(reply.id, "q1");
      // An order placed over REST without the connection: not covered.
      assert.equal(
        (await client.place(maker.sign({ side: Side.BUY, size: ONE, price: P - 200n, orderId: 2n }))).status,
        200,
      );
      assert.equal((await openOrders(client, token)).length, 2);

      proxy.silence();
      const left = await eventually(
        () => openOrders(client, token),
        (o) => o.length < 2,
      );
      assert.deepEqual(
        left.map((o) => o.orderId),
        ["2"],
        "the silent connection's order was cancelled, the other stayed",
      );
      assert.ok((await metric(client.url, "tessera_ws_closed_total", 'reason="no_pong"')) >= 1);
      await stillServes(client);
    } finally {
      await proxy.close();
      await v.stop();
    }
  });

  test("attack: cancel-on-disconnect survives a crash of the venue", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start();
    try {
      let client = v.client;
      const maker = new Trader("maker", 2n);
      await fund(client, maker);
      const { ws, connectionId } = await authedWs(client, maker, true);
      ws.on("error", () => undefined);
      const covered = await client.post("/v1/orders", {
        order: toWire(maker.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 1n })),
        cancelOnDisconnect: connectionId,
      });
      assert.equal(covered.status, 200, JSON.stringify(covered.body));
      const plain = await client.place(maker.sign({ side: Side.BUY, size: ONE, price: P - 200n, orderId: 2n }));
      assert.equal(plain.status, 200);
      // Another account cannot attach its orders to this connection.
      const stranger = new Trader("stranger", 3n);
      await fund(client, stranger);
      const hijack = await client.post("/v1/orders", {
        order: toWire(stranger.sign({ side: Side.BUY, size: ONE, price: P - 300n, orderId: 1n })),
        cancelOnDisconnect: connectionId,
      });
      assert.equal(hijack.status, 400);

      await v.restart("SIGKILL");
      client = v.client;
      ws.terminate();
      const token = await client.session(maker);
      assert.deepEqual(
        (await openOrders(client, token)).map((o) => o.orderId),
        ["2"],
        "after the restart the connection's order is cancelled",
      );
      await v.restart("SIGTERM");
      client = v.client;
      assert.deepEqual(
        (await openOrders(client, await client.session(maker))).map((o) => o.orderId),
        ["2"],
        "the cancellation was journaled",
      );
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });
});

describe("attack: leaks", () => {
  test("attack: pre-auth probes learn nothing of another account's orders or position", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start();
    try {
      const client = v.client;
      const victim = new Trader("victim", 2n);
      const counterparty = new Trader("counterparty", 3n);
      const mallory = new Trader("mallory", 4n);
      for (const t of [victim, counterparty, mallory]) await fund(client, t);
      // The victim: long 1 ETH-PERP and an open order (id 5, client id v-quote).
      assert.equal(
        (await client.place(counterparty.sign({ side: Side.SELL, size: ONE, price: P, orderId: 1n }))).status,
        200,
      );
      const buy = await client.place(victim.sign({ side: Side.BUY, size: ONE, price: P, orderId: 1n, tif: "IOC" }));
      assert.equal(buy.body.status, "filled");
      assert.equal(
        (await client.place(victim.sign({ side: Side.SELL, size: ONE, price: P + 500n, orderId: 5n }), "v-quote"))
          .status,
        200,
      );

      const probes: { name: string; body: unknown }[] = [
        {
          name: "the open order's id",
          body: { order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 5n }) },
        },
        {
          name: "a used id",
          body: { order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 1n }) },
        },
        {
          name: "the open order's slot",
          body: { order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 5n + ORDER_SLOTS }) },
        },
        {
          name: "the open order's client id",
          body: {
            order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 900n }),
            clientOrderId: "v-quote",
          },
        },
        {
          name: "reduce-only sell",
          body: {
            order: forged(mallory, victim, { side: Side.SELL, size: ONE, price: P, orderId: 901n, reduceOnly: true }),
          },
        },
        {
          name: "reduce-only buy",
          body: {
            order: forged(mallory, victim, { side: Side.BUY, size: ONE, price: P, orderId: 902n, reduceOnly: true }),
          },
        },
      ];
      for (const p of probes) {
        const r = await client.post("/v1/orders", p.body);
        assert.equal(r.status, 401, `${p.name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, "BAD_SIGNATURE", p.name);
        const message = r.body.message as string;
        assert.doesNotMatch(message, /open order|position|highest|slot|client/i, `${p.name}: ${message}`);
      }
      // Private routes: nothing without the victim's session.
      for (const [method, route] of [
        ["GET", "/v1/account/orders"],
        ["GET", "/v1/account"],
        ["GET", "/v1/account/fills"],
        ["DELETE", "/v1/orders/5"],
        ["DELETE", "/v1/orders/by-client-id/v-quote"],
      ] as const) {
        for (const token of [undefined, "forged-token"]) {
          const r = await client.request(method, route, undefined, token);
          assert.equal(r.status, 401, `${method} ${route}`);
          assert.equal(r.body.code, "UNAUTHORIZED");
        }
      }
      // WebSocket order entry without a session.
      const ws = await openWs(client.url);
      const err = nextMessage(ws, (m) => m.type === "error");
      ws.send(JSON.stringify({ op: "cancel", orderId: "5" }));
      assert.equal((await err).code, "UNAUTHORIZED");
      ws.close();
      // The victim's order is untouched.
      const open = await openOrders(client, await client.session(victim));
      assert.deepEqual(
        open.map((o) => [o.orderId, o.clientOrderId]),
        [["5", "v-quote"]],
      );
      await stillServes(client);
    } finally {
      await v.stop();
    }
  });
});
