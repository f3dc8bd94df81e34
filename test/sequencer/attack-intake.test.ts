/**
 * `attack:` tests of the intake (review of the sequencer): a replace that would dodge the
 * resting-order margin rule, HTTP connections held open (idle, slow headers, slow body) or
 * piled up from one address, a flood of session challenges from several addresses, and junk
 * signatures in WebSocket batches. Each runs from this process against a venue in a child
 * process (sequencer/main.ts) over 127.0.0.x, bounded in count; waits are bounded polls.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { WebSocket } from "ws";
import { Side } from "../../protocol/types.ts";
import { toWire } from "../../sequencer/wire.ts";
import { authedWs, ChildVenueHandle, eventually, fund, metric, nextMessage, openWs, pool, wsUrl } from "./attackers.ts";
import type { WsMessage } from "./attackers.ts";
import { Trader } from "./traders.ts";
import type { Client, HttpReply } from "./traders.ts";

const TIMEOUT = { timeout: 180_000 };
const BOOK = "/v1/instruments/ETH-PERP/book?depth=5";

async function openOrderIds(client: Client, token: string): Promise<string[]> {
  const r = await client.get("/v1/account/orders", token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.orders as Record<string, string>[]).map((o) => o.orderId!).sort();
}

describe("attack: replace", () => {
  test("attack: a replace cannot rest more than the account's margin carries", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start();
    try {
      const client = v.client;
      const dust = new Trader("dust", 2n);
      const taker = new Trader("taker", 3n);
      await fund(client, dust, 1_000_000n);
      await fund(client, taker);
      const token = await client.session(dust);
      // A small bid far below the market: within margin.
      let r = await client.place(dust.sign({ side: Side.BUY, size: 10_000n, price: 100_000n, orderId: 1n }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const book = (await client.get(BOOK)).body;
      // The same huge bid placed directly is refused...
      const huge = (orderId: bigint) => dust.sign({ side: Side.BUY, size: 4_000_000_000n, price: 299_900n, orderId });
      r = await client.place(huge(2n));
      assert.equal(r.status, 422);
      assert.equal(r.body.code, "MARGIN");
      // ...and so is it as a replace: nothing changes, the old bid still rests.
      r = await client.post("/v1/orders/1/replace", { order: toWire(huge(3n)) }, token);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.code, "MARGIN");
      assert.match(r.body.message as string, /initial margin/);
      assert.deepEqual((await client.get(BOOK)).body, book);
      assert.deepEqual(await openOrderIds(client, token), ["1"]);
      // A taker selling at the touch meets no phantom bid and purges no one.
      r = await client.place(taker.sign({ side: Side.SELL, size: 10_000n, price: 299_900n, orderId: 1n, tif: "IOC" }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.fills, []);
      assert.deepEqual(r.body.cancelled, []);
      assert.equal((await client.get("/health")).status, 200);
    } finally {
      await v.stop();
    }
  });

  test("attack: a replace within margin succeeds, the replaced order's reservation released", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start();
    try {
      const client = v.client;
      const mm = new Trader("mm", 2n);
      const mallory = new Trader("mallory", 3n);
      // About 3,340 lots of ETH-PERP bids at 2,999 fit this deposit (prod profile).
      await fund(client, mm, 100_000_000n);
      const token = await client.session(mm);
      const bid = (orderId: bigint, size: bigint, price: bigint) => mm.sign({ side: Side.BUY, size, price, orderId });
      let r = await client.place(bid(1n, 2_000n, 299_900n));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      // A second bid of the same size does not fit beside it...
      r = await client.place(bid(2n, 2_000n, 299_800n));
      assert.equal(r.status, 422);
      assert.equal(r.body.code, "MARGIN");
      // ...but it fits in its place: the replace releases the old order's reservation.
      r = await client.post("/v1/orders/1/replace", { order: toWire(bid(3n, 2_000n, 299_800n)) }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((r.body.replaced as Record<string, string>).orderId, "1");
      assert.deepEqual(await openOrderIds(client, token), ["3"]);
      // A smaller replace passes too; a bigger-than-margin one does not, and changes nothing.
      r = await client.post("/v1/orders/3/replace", { order: toWire(bid(4n, 1_000n, 299_700n)) }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      r = await client.post("/v1/orders/4/replace", { order: toWire(bid(5n, 4_000n, 299_700n)) }, token);
      assert.equal(r.status, 422);
      assert.equal(r.body.code, "MARGIN");
      assert.deepEqual(await openOrderIds(client, token), ["4"]);
      // A field error is caught before the signature is checked (and changes nothing): here the
      // signature is another key's, and the answer is still the field's.
      const forged = { ...mallory.sign(mm.order({ side: Side.BUY, size: 1_005n, price: 299_700n, orderId: 6n })) };
      r = await client.post("/v1/orders/4/replace", { order: toWire({ ...forged, publicKey: mm.publicKey }) }, token);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.code, "LOT_SIZE");
      assert.deepEqual(await openOrderIds(client, token), ["4"]);
    } finally {
      await v.stop();
    }
  });
});

/** A raw TCP connection to the venue: what it received and when it closed. */
interface Raw {
  readonly socket: net.Socket;
  readonly closed: Promise<number>;
  data: string;
}

function raw(port: number, localAddress = "127.0.0.1"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    const r: Raw = {
      socket,
      data: "",
      closed: new Promise((done) => socket.once("close", () => done(Date.now()))),
    };
    socket.on("data", (d: Buffer) => (r.data += d.toString()));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve(r));
    socket.once("error", reject);
  });
}

/** Resolves with `p`'s value, or `fallback` after `ms`. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);
}

describe("attack: HTTP connections", () => {
  test("attack: idle, slow-header and slow-body connections are closed; others are served", TIMEOUT, async () => {
    const v = await ChildVenueHandle.start({
      TESSERA_HTTP_IDLE_TIMEOUT_MS: "500",
      TESSERA_HTTP_HEADERS_TIMEOUT_MS: "800",
      TESSERA_HTTP_REQUEST_TIMEOUT_MS: "1200",
      TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
    });
    const timers: NodeJS.Timeout[] = [];
    const sockets: net.Socket[] = [];
    let ws: WebSocket | null = null;
    try {
      const client = v.client;
      const port = Number(new URL(client.url).port);
      // A WebSocket is not an HTTP request: the HTTP timeouts must not cut it once upgraded.
      ws = await openWs(client.url);
      const t0 = Date.now();
      const idle = await raw(port);
      const slowHeaders = await raw(port);
      const slowBody = await raw(port);
      sockets.push(idle.socket, slowHeaders.socket, slowBody.socket);
      slowHeaders.socket.write("GET /v1/status HTTP/1.1\r\nHost: x\r\n");
      slowBody.socket.write(
        "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{",
      );
      // Each trickles a byte every 100 ms: never idle long enough for the idle timeout.
      timers.push(setInterval(() => slowHeaders.socket.write("X-a: b\r\n"), 100));
      timers.push(setInterval(() => slowBody.socket.write(" "), 100));
      // A normal client is served all along.
      let served = 0;
      const normal = (async () => {
        while (Date.now() - t0 < 3000) {
          assert.equal((await client.get("/health")).status, 200);
          served++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      // Unfixed, none closes within 80 s (the review's slowloris.mts); the bound here is 10 s.
      const FAR = t0 + 60_000;
      const ends = await Promise.all([idle, slowHeaders, slowBody].map((s) => within(s.closed, 10_000, FAR)));
      await normal;
      for (const t of timers) clearInterval(t);
      const [idleAt, headersAt, bodyAt] = ends.map((t) => t - t0) as [number, number, number];
      assert.ok(idleAt < 10_000, `idle connection closed after ${idleAt} ms`);
      assert.ok(headersAt < 10_000, `slow-header connection closed after ${headersAt} ms`);
      assert.ok(bodyAt < 10_000, `slow-body connection closed after ${bodyAt} ms`);
      // The slow ones were told why (Node answers 408 when it can).
      assert.match(slowHeaders.data, /^HTTP\/1\.1 408/);
      assert.match(slowBody.data, /^HTTP\/1\.1 408/);
      assert.ok(served > 10, `normal client served ${served} times`);
      // The WebSocket outlived every HTTP timeout, silent all along, and still answers.
      assert.equal(ws.readyState, WebSocket.OPEN);
      ws.send(JSON.stringify({ op: "ping" }));
      assert.equal((await nextMessage(ws, (m) => m.type === "pong")).type, "pong");
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      ws?.terminate();
      await v.stop();
    }
  });

  test("attack: HTTP connections beyond the per-IP cap are refused; WebSockets still connect", TIMEOUT, async () => {
    const CAP = 4;
    const v = await ChildVenueHandle.start({ TESSERA_HTTP_MAX_CONNECTIONS_PER_IP: String(CAP) });
    const sockets: net.Socket[] = [];
    const wss: WebSocket[] = [];
    try {
      const client = v.client;
      const port = Number(new URL(client.url).port);
      // A WebSocket first: once upgraded it holds no HTTP slot.
      const early = await openWs(client.url);
      wss.push(early);
      // CAP connections from 127.0.0.1, each served a request and kept alive.
      const held: Raw[] = [];
      for (let i = 0; i < CAP; i++) {
        const r = await raw(port);
        sockets.push(r.socket);
        r.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        await eventually(
          async () => r.data,
          (d) => d.includes("\r\n\r\n"),
        );
        assert.match(r.data, /^HTTP\/1\.1 200/, `connection ${i + 1}`);
        held.push(r);
      }
      // Connection CAP+1 is answered 429 TOO_MANY_CONNECTIONS and closed; its request never runs.
      const over = await raw(port);
      sockets.push(over.socket);
      over.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.notEqual(await within(over.closed, 10_000, -1), -1, "the refused connection is closed");
      assert.match(over.data, /^HTTP\/1\.1 429/);
      assert.match(over.data, /"code":"TOO_MANY_CONNECTIONS"/);
      assert.equal(over.data.match(/HTTP\/1\.1/g)?.length, 1, "only the refusal was sent");
      // The held ones are untouched; the early WebSocket still answers.
      for (const r of held) assert.equal(r.socket.destroyed, false);
      early.send(JSON.stringify({ op: "ping" }));
      assert.equal((await nextMessage(early, (m) => m.type === "pong")).type, "pong");
      // Another address still connects, over HTTP and WebSocket (127.0.0.2 is loopback too).
      const other = await raw(port, "127.0.0.2");
      sockets.push(other.socket);
      other.socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await within(other.closed, 10_000, -1);
      assert.match(other.data, /^HTTP\/1\.1 200/);
      const ws2 = new WebSocket(wsUrl(client.url), { localAddress: "127.0.0.2" });
      wss.push(ws2);
      await new Promise<void>((resolve, reject) => {
        ws2.once("open", () => resolve());
        ws2.once("error", reject);
      });
      ws2.send(JSON.stringify({ op: "ping" }));
      assert.equal((await nextMessage(ws2, (m) => m.type === "pong")).type, "pong");
      // A slot freed is a slot given back: 127.0.0.1 connects again.
      held[0]!.socket.destroy();
      await held[0]!.closed;
      const again = await eventually(
        async () => {
          const r = await raw(port);
          sockets.push(r.socket);
          r.socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
          await within(r.closed, 10_000, -1);
          return r.data;
        },
        (d) => d.startsWith("HTTP/1.1 200"),
        20,
        50,
      );
      assert.match(again, /^HTTP\/1\.1 200/);
    } finally {
      for (const s of sockets) s.destroy();
      for (const w of wss) w.terminate();
      await v.stop();
    }
  });
});

/** A JSON POST from `localAddress` (any 127.0.0.x is loopback): another client address. */
function postFrom(url: string, route: string, body: unknown, localAddress: string): Promise<HttpReply> {
  const target = new URL(url + route);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: Number(target.port),
        path: target.pathname,
        method: "POST",
        localAddress,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), connection: "close" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, headers });
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

describe("attack: sessions", () => {
  test(
    "attack: a challenge flood from five addresses is refused with stable codes and evicts no one; the victim's session still works",
    TIMEOUT,
    async () => {
      const PER_IP = 16;
      const MAX = 60;
      const v = await ChildVenueHandle.start({
        TESSERA_AUTH_CHALLENGES_PER_IP: String(PER_IP),
        TESSERA_AUTH_MAX_CHALLENGES: String(MAX),
      });
      try {
        const client = v.client;
        const alice = new Trader("alice", 2n);
        await fund(client, alice);
        // Alice asks for a challenge (from 127.0.0.1) and signs it later.
        const c = await client.post("/v1/auth/challenge", { accountId: "2" });
        assert.equal(c.status, 200, JSON.stringify(c.body));

        // Five addresses, one after the other, 40 challenges each (their whole auth burst), naming
        // alice and others: the first three meet their own cap, the last two the venue's.
        const flooders = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];
        const replies: HttpReply[] = [];
        for (const ip of flooders)
          replies.push(
            ...(await pool(40, 4, (i) =>
              postFrom(client.url, "/v1/auth/challenge", { accountId: String(i % 3 === 0 ? 2 : 100 + i) }, ip),
            )),
          );
        const codes = new Map<string, number>();
        for (const r of replies) {
          const k = r.status === 200 ? "200" : `${r.status} ${r.body.code as string}`;
          codes.set(k, (codes.get(k) ?? 0) + 1);
          if (r.status === 503) assert.ok(Number(r.headers?.get("retry-after")) >= 1, "OVERLOADED says when to retry");
        }
        assert.equal(codes.get("200"), MAX - 1, `the flood got the places alice's left: ${JSON.stringify([...codes])}`);
        assert.deepEqual(
          [...codes.keys()].sort(),
          ["200", "429 TOO_MANY_CHALLENGES", "503 OVERLOADED"],
          JSON.stringify([...codes]),
        );
        // No address got more than its share; the last ones found the venue full.
        flooders.forEach((ip, k) => {
          const got = replies.slice(40 * k, 40 * k + 40).filter((r) => r.status === 200).length;
          assert.equal(got, k < 3 ? PER_IP : k === 3 ? MAX - 1 - 3 * PER_IP : 0, ip);
        });

        // Alice's challenge survived the flood: she signs it and reads her account.
        const s = await client.post("/v1/auth/session", alice.signSession(BigInt(c.body.challenge as string)));
        assert.equal(s.status, 200, JSON.stringify(s.body));
        const account = await client.get("/v1/account", s.body.token as string);
        assert.equal(account.status, 200, JSON.stringify(account.body));
        assert.equal((await client.get("/health")).status, 200);
      } finally {
        await v.stop();
      }
    },
  );
});

describe("attack: signature checks", () => {
  test(
    "attack: WebSocket batches of junk signatures pay per order and are RATE_LIMITED; another account's orders never see OVERLOADED",
    TIMEOUT,
    async () => {
      // An order budget of one batch (50) that barely refills (a token in 100 s), and a signature
      // queue a little deeper than that.
      const v = await ChildVenueHandle.start({
        TESSERA_ORDER_RATE: "0.01",
        TESSERA_ORDER_BURST: "50",
        TESSERA_VERIFY_QUEUE: "64",
      });
      const sockets: WebSocket[] = [];
      try {
        const client = v.client;
        const dust = new Trader("dust", 2n);
        const forger = new Trader("forger", 3n);
        const honest = new Trader("honest", 4n);
        await fund(client, dust, 1_000_000n);
        await fund(client, honest);
        const { ws } = await authedWs(client, dust);
        sockets.push(ws);
        ws.on("error", () => undefined);
        // 20 rounds of 10 messages of 50 orders (the dust account's key, another key's
        // signature), each round followed by one order of the honest account over REST: without a
        // per-order charge the round's 500 signatures would fill the queue (64) as the honest
        // order arrives.
        const ROUNDS = 20;
        const MESSAGES = 10 * ROUNDS;
        const junk = (orderId: bigint) => {
          const signed = forger.sign(dust.order({ side: Side.BUY, size: 10_000n, price: 290_000n, orderId }));
          return { order: toWire({ ...signed, publicKey: dust.publicKey }) };
        };
        const answers: WsMessage[] = [];
        const all = new Promise<void>((resolve) => {
          ws.on("message", (data: Buffer) => {
            const m = JSON.parse(data.toString()) as WsMessage;
            if (typeof m.id !== "string" || !m.id.startsWith("junk")) return;
            answers.push(m);
            if (answers.length === MESSAGES) resolve();
          });
        });
        const honestCodes: string[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          for (let j = 0; j < 10; j++) {
            const i = 10 * round + j;
            ws.send(
              JSON.stringify({
                op: "placeBatch",
                id: `junk${i}`,
                orders: Array.from({ length: 50 }, (_, k) => junk(BigInt(1 + ((i * 50 + k) % 4000)))),
              }),
            );
          }
          const id = BigInt(round + 1);
          const r = await client.place(
            honest.sign({ side: Side.BUY, size: 10_000n, price: 280_000n - id, orderId: id }),
          );
          honestCodes.push(r.status === 200 ? "ok" : `${r.status} ${r.body.code as string}`);
        }
        await all;

        assert.deepEqual(honestCodes, Array(ROUNDS).fill("ok"), "the honest account's orders never met a full queue");
        const refused = answers.filter((m) => m.type === "error");
        const checked = answers.filter((m) => m.type === "placedBatch");
        assert.ok(refused.length > 0 && refused.every((m) => m.code === "RATE_LIMITED"), JSON.stringify(refused[0]));
        const itemCodes = new Set(checked.flatMap((m) => (m.results as { code?: string }[]).map((r) => r.code)));
        assert.deepEqual(
          [...itemCodes],
          ["BAD_SIGNATURE"],
          "every junk order checked was refused as such, none OVERLOADED",
        );
        // The budget bounds the work: 50 tokens, a batch, with at most a token or two refilled
        // meanwhile, against the 10,000 signatures the flood asked for.
        assert.equal(checked.length, 1, `${checked.length} batches were checked`);
        assert.ok(
          (await metric(client.url, "tessera_orders_total", 'outcome="BAD_SIGNATURE"')) <= 50,
          "at most the budget's worth of signatures checked",
        );
        assert.equal((await client.get("/health")).status, 200);
      } finally {
        for (const s of sockets) s.terminate();
        await v.stop();
      }
    },
  );
});
