/**
 * Venue-assigned order ids (docs/api.md "Choosing order ids"): `GET /v1/accounts/{id}/nextOrderId`
 * is 1 + the highest order id the venue has seen from the account — orders of any outcome and
 * withdrawal messages, not refused ones — with the errors of the other account routes; it is
 * the same after a restart (snapshot + journal tail, full replay, and a venue killed with
 * SIGKILL); and an id 2^32 or more above its order-tree slot's id is refused with
 * `ORDER_ID_WINDOW` (422), changing nothing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { Side } from "../../protocol/types.ts";
import type { Command } from "../../sequencer/core/commands.ts";
import { Sequencer } from "../../sequencer/core/sequencer.ts";
import { toWire } from "../../sequencer/wire.ts";
import { startChild, stopChild } from "./child.ts";
import { Client, FAR_EXPIRY, LISTED_AT, startVenue, tempDb, Trader, venueConfig, venueEnv } from "./helpers.ts";
import type { HttpReply } from "./helpers.ts";

const RICH = 100_000_000_000n;
const ONE = 10_000n;
const P = 300_000n;
/** 2^32: how far above its slot's id an order id may not go (a slot posts its low 32 bits). */
const WINDOW = 1n << 32n;

type Venue = Awaited<ReturnType<typeof startVenue>>;

/** Session tokens of the traders, one each (a fresh one after a restart, which forgets them). */
const tokens = new Map<Trader, string>();

async function nextOf(client: Client, t: Trader): Promise<bigint> {
  const path = `/v1/accounts/${t.accountId}/nextOrderId`;
  let r = tokens.has(t) ? await client.get(path, tokens.get(t)) : null;
  if (r === null || r.status === 401) {
    tokens.set(t, await client.session(t));
    r = await client.get(path, tokens.get(t));
  }
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ["accountId", "nextOrderId"]);
  assert.equal(r.body.accountId, t.accountId.toString());
  assert.equal(typeof r.body.nextOrderId, "string", "a decimal string, as every id of the API");
  return BigInt(r.body.nextOrderId as string);
}

function withdrawal(t: Trader, amount: bigint, orderId: bigint) {
  return { withdrawal: toWire(t.sign(withdrawalOrder(t.accountId, amount, orderId, FAR_EXPIRY))) };
}

describe("GET /v1/accounts/{id}/nextOrderId", () => {
  let v: Venue;
  let client: Client;
  const alice = new Trader("next-alice", 2n);
  const bob = new Trader("next-bob", 3n);
  const poor = new Trader("next-poor", 4n);

  before(async () => {
    v = await startVenue();
    client = v.client;
    for (const t of [alice, bob]) assert.equal((await client.deposit(t, RICH)).status, 200);
    assert.equal((await client.deposit(poor, 1_000_000n)).status, 200);
  });
  after(async () => {
    await v.cleanup();
  });

  test("only the account's own session reads it; other accounts, no session and malformed ids are refused", async () => {
    const token = await client.session(alice);
    // The id moves with every order an account sends, resting ones too: read by anyone, it would
    // tie the anonymous book's changes to the account. Without a session, or with another
    // account's (bob's, an unregistered one, one beyond the tree), it is refused.
    const anonymous = await client.get(`/v1/accounts/${alice.accountId}/nextOrderId`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, "UNAUTHORIZED");
    for (const id of [bob.accountId, 9n, 1000n]) {
      const r = await client.get(`/v1/accounts/${id}/nextOrderId`, token);
      assert.equal(r.status, 403, id.toString());
      assert.equal(r.body.code, "FORBIDDEN");
      assert.match(r.body.message as string, /read with its own session/);
    }
    for (const id of ["abc", "-1", "01", "1.5", (1n << 24n).toString()]) {
      const r = await client.get(`/v1/accounts/${id}/nextOrderId`, token);
      assert.equal(r.status, 400, id);
      assert.equal(r.body.code, "BAD_REQUEST");
    }
    // The account's own: charged to its read budget.
    const r = await client.get(`/v1/accounts/${alice.accountId}/nextOrderId`, token);
    assert.equal(r.headers!.get("x-ratelimit-bucket"), "read");
    assert.deepEqual(r.body, { accountId: "2", nextOrderId: "1" }, "1 for an account that used no id");
    // In the OpenAPI document with its parameter, security and responses.
    const doc = (await client.get("/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const op = doc.paths["/v1/accounts/{accountId}/nextOrderId"]!.get as {
      responses: Record<string, unknown>;
      security?: unknown;
    };
    assert.deepEqual(Object.keys(op.responses).sort(), ["200", "400", "401", "403", "429"]);
    assert.deepEqual(op.security, [{ session: [] }]);
  });

  test("it follows orders (resting, cancelled, filled, IOC), withdrawals, and not refusals", async () => {
    const token = await client.session(alice);
    assert.equal(await nextOf(client, bob), 1n);
    // bob rests an ask: a maker's fill later does not move it.
    assert.equal((await client.place(bob.sign({ side: Side.SELL, size: ONE, price: P, orderId: 3n }))).status, 200);
    assert.equal(await nextOf(client, bob), 4n);
    // alice: a resting bid, then cancelled: the id stays burned.
    assert.equal(
      (await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 7n }))).body.status,
      "resting",
    );
    assert.equal(await nextOf(client, alice), 8n);
    assert.equal((await client.request("DELETE", "/v1/orders/7", undefined, token)).status, 200);
    assert.equal(await nextOf(client, alice), 8n, "a cancelled order's id stays used");
    // A taker that fills, then an IOC that finds nothing (accepted, cancelled unfilled).
    const fill = await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P, orderId: 12n, tif: "IOC" }));
    assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));
    assert.equal(await nextOf(client, alice), 13n);
    assert.equal(await nextOf(client, bob), 4n, "the maker's next id is its own highest");
    const ioc = await client.place(
      alice.sign({ side: Side.BUY, size: ONE, price: P - 500n, orderId: 20n, tif: "IOC" }),
    );
    assert.equal(ioc.body.status, "cancelled");
    assert.equal(await nextOf(client, alice), 21n);
    // Refused orders use no id: a bad lot, a replayed id, a taker refused by a protocol rule.
    const refused: [HttpReply, string][] = [
      [await client.place(alice.sign({ side: Side.BUY, size: 15n, price: P, orderId: 100n })), "LOT_SIZE"],
      [
        await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P - 200n, orderId: 12n })),
        "DUPLICATE_ORDER_ID",
      ],
    ];
    assert.equal((await client.place(bob.sign({ side: Side.SELL, size: ONE, price: P, orderId: 5n }))).status, 200);
    refused.push([
      await client.place(poor.sign({ side: Side.BUY, size: 10n * ONE, price: P, orderId: 9n, tif: "IOC" })),
      "MARGIN",
    ]);
    for (const [r, code] of refused) assert.equal(r.body.code, code, JSON.stringify(r.body));
    assert.equal(await nextOf(client, alice), 21n);
    assert.equal(await nextOf(client, poor), 1n, "a taker refused before any fill used no id");
    // A withdrawal message burns its id; a refused one does not.
    const w = await client.post("/v1/withdrawals", withdrawal(alice, 1_000_000n, 30n));
    assert.equal(w.status, 200, JSON.stringify(w.body));
    assert.equal(await nextOf(client, alice), 31n);
    const tooMuch = await client.post("/v1/withdrawals", withdrawal(alice, RICH * 2n, 40n));
    assert.equal(tooMuch.body.code, "INSUFFICIENT_FREE_COLLATERAL");
    assert.equal(await nextOf(client, alice), 31n);
    // An order below the highest id, in another slot, is fine: the next id is the highest + 1.
    assert.equal(
      (await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P - 300n, orderId: 22n }))).status,
      200,
    );
    assert.equal(await nextOf(client, alice), 31n);
    // Counting up from it always works (its slot, 31 mod 16 = 15, holds no resting order).
    const counted = await client.place(alice.sign({ side: Side.BUY, size: ONE, price: P - 300n, orderId: 31n }));
    assert.equal(counted.body.status, "resting", JSON.stringify(counted.body));
    assert.equal(await nextOf(client, alice), 32n);
    // The engine agrees with the route.
    assert.equal(v.service.venue.engine.nextOrderId(alice.accountId), 32n);
  });
});

describe("ORDER_ID_WINDOW: an id 2^32 or more above its slot's id is refused and changes nothing", () => {
  let v: Venue;
  let client: Client;
  const dave = new Trader("window-dave", 5n);
  const erin = new Trader("window-erin", 6n);
  const maker = new Trader("window-maker", 7n);

  before(async () => {
    v = await startVenue();
    client = v.client;
    for (const t of [dave, erin, maker]) assert.equal((await client.deposit(t, RICH)).status, 200);
  });
  after(async () => {
    await v.cleanup();
  });

  /** Everything a refusal must leave as it was. */
  async function fingerprint(): Promise<string> {
    const venue = v.service.venue;
    const status = (await client.get("/v1/status")).body;
    const accounts = [dave, erin].map((t) => [
      toWire(venue.ledger.state.account(t.accountId)),
      venue.engine.openOrders(t.accountId).map((o) => o.orderId.toString()),
      venue.engine.nextOrderId(t.accountId).toString(),
    ]);
    const book = (await client.get("/v1/instruments/ETH-PERP/book?depth=500")).body;
    return JSON.stringify([status.journal, status.openBatch, venue.journal.length.toString(), accounts, book]);
  }

  async function refused(send: () => Promise<HttpReply>, status = 422): Promise<HttpReply> {
    const before = await fingerprint();
    const r = await send();
    assert.equal(r.status, status, JSON.stringify(r.body));
    if (status === 422) {
      assert.equal(r.body.code, "ORDER_ID_WINDOW");
      assert.match(r.body.message as string, /GET \/v1\/accounts\/\d+\/nextOrderId/, "the message says what to do");
    }
    assert.equal(await fingerprint(), before, "a refused id changes nothing");
    return r;
  }

  test("a fresh account's ids must be below 2^32: orders, batches, replaces and withdrawals", async () => {
    // Slot 0 of a fresh account holds 0: 2^32 is out, as the clock-seeded ids of old were.
    const clockSeeded = 1_795_000_000n << 16n;
    for (const orderId of [WINDOW, WINDOW + 3n, clockSeeded])
      await refused(() => client.place(dave.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId })));
    await refused(() => client.post("/v1/withdrawals", withdrawal(dave, 1_000_000n, WINDOW + 1n)));
    // In a batch, the item carries the code; the other items go through.
    const before = v.service.venue.engine.nextOrderId(dave.accountId);
    const batch = await client.post("/v1/orders/batch", {
      orders: [WINDOW + 2n, 2n].map((orderId) => ({
        order: toWire(dave.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId })),
      })),
    });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const [bad, good] = batch.body.results as Record<string, unknown>[];
    assert.deepEqual([bad!.ok, bad!.code, bad!.status], [false, "ORDER_ID_WINDOW", 422]);
    assert.equal(good!.ok, true);
    assert.equal(before, 1n);
    assert.equal(v.service.venue.engine.nextOrderId(dave.accountId), 3n, "only the accepted id counts");
    // A replace whose new id is out of the window leaves the old order resting.
    const token = await client.session(dave);
    await refused(() =>
      client.post(
        "/v1/orders/2/replace",
        { order: toWire(dave.sign({ side: Side.BUY, size: ONE, price: P - 200n, orderId: WINDOW + 5n })) },
        token,
      ),
    );
    assert.deepEqual(
      v.service.venue.engine.openOrders(dave.accountId).map((o) => o.orderId),
      [2n],
      "the old order rests on",
    );
    // Just inside the window is accepted: 2^32 − 1 in slot 15 (demo: 16 slots).
    const edge = await client.place(dave.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: WINDOW - 1n }));
    assert.equal(edge.body.status, "resting", JSON.stringify(edge.body));
  });

  test("the window is relative to the id the order-tree slot holds", async () => {
    // erin's IOC fills: slot 1 of its order tree records id 17.
    assert.equal((await client.place(maker.sign({ side: Side.SELL, size: ONE, price: P, orderId: 1n }))).status, 200);
    const fill = await client.place(erin.sign({ side: Side.BUY, size: ONE, price: P, orderId: 17n, tif: "IOC" }));
    assert.equal(fill.body.status, "filled", JSON.stringify(fill.body));
    assert.equal(v.service.venue.ledger.orderSlot(erin.accountId, 17n).storedId, 17n);
    // 17 + 2^32 (slot 1) is out; 1 + 2^32 (slot 1) is within 2^32 of 17, so it is taken.
    await refused(() => client.place(erin.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 17n + WINDOW })));
    const inside = await client.place(erin.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 1n + WINDOW }));
    assert.equal(inside.body.status, "resting", JSON.stringify(inside.body));
    // Other slots of erin's tree hold 0: their ids must still be below 2^32.
    await refused(() => client.place(erin.sign({ side: Side.BUY, size: ONE, price: P - 100n, orderId: 2n + WINDOW })));
  });
});

describe("the next order id after a restart", () => {
  const db = tempDb();
  after(() => db.cleanup());
  const traders = [2n, 3n, 4n].map((id) => new Trader(`restart-${id}`, id));
  const [a, b, c] = traders as [Trader, Trader, Trader];
  const open = (file: string, options: Parameters<typeof Sequencer.open>[4] = {}) =>
    Sequencer.open(venueConfig(), file, "NORMAL", {}, options);

  test("snapshot + journal tail and a full replay give every account's next id back", () => {
    let now = (LISTED_AT + 60n) * 1000n;
    const run = (venue: Sequencer, command: Command) => venue.execute(command, (now += 1000n));
    const venue = open(db.file, { snapshots: { everyEntries: 6, everyBatches: 1000, keep: 2 } });
    for (const t of traders)
      run(venue, {
        kind: "deposit",
        accountId: t.accountId,
        owner: t.owner,
        pkHash: t.pkHash,
        amount: RICH,
        queueIndex: null,
      });
    const place = (t: Trader, orderId: bigint, side: 0 | 1, price: bigint, tif: "GTC" | "IOC" = "GTC") =>
      run(venue, { kind: "place", order: t.sign({ side, size: ONE, price, orderId, tif }), clientOrderId: null });
    place(a, 5n, Side.SELL, P);
    place(b, 40n, Side.BUY, P, "IOC"); // fills a's ask
    place(a, 9n, Side.SELL, P + 100n);
    run(venue, { kind: "cancel", accountId: a.accountId, orderId: 9n, reason: "user" });
    run(venue, { kind: "withdraw", withdrawal: c.sign(withdrawalOrder(c.accountId, 1_000_000n, 77n, FAR_EXPIRY)) });
    run(venue, { kind: "closeBatch" });
    // After the last snapshot: the journal tail.
    place(a, 11n, Side.SELL, P + 200n);
    place(b, 3n, Side.BUY, P - 200n);
    const want = traders.map((t) => venue.engine.nextOrderId(t.accountId));
    assert.deepEqual(want, [12n, 41n, 78n]);
    const length = venue.journal.length;
    venue.close();

    const restored = open(db.file, { snapshots: false });
    try {
      assert.ok(restored.restored.snapshotSeq > 0n, "a snapshot was loaded");
      assert.ok(restored.restored.snapshotSeq < length, "and the journal tail replayed after it");
      assert.deepEqual(
        traders.map((t) => restored.engine.nextOrderId(t.accountId)),
        want,
      );
    } finally {
      restored.close();
    }
    const full = open(db.file, { snapshots: false, loadSnapshot: false });
    try {
      assert.equal(full.restored.snapshotSeq, 0n);
      assert.deepEqual(
        traders.map((t) => full.engine.nextOrderId(t.accountId)),
        want,
      );
    } finally {
      full.close();
    }
  });

  test("a venue killed with SIGKILL answers the same next ids when it comes back", { timeout: 180_000 }, async () => {
    const file = tempDb();
    const env = venueEnv(file.file, { TESSERA_SNAPSHOT_EVERY_ENTRIES: "4" });
    let child = await startChild(env);
    try {
      let client = new Client(child.url);
      for (const t of traders) assert.equal((await client.deposit(t, RICH)).status, 200);
      const ids: [Trader, bigint, 0 | 1, bigint, "GTC" | "IOC"][] = [
        [a, 5n, Side.SELL, P, "GTC"],
        [b, 40n, Side.BUY, P, "IOC"],
        [a, 9n, Side.SELL, P + 100n, "GTC"],
        [c, 2n, Side.BUY, P - 300n, "GTC"],
        [a, 6n, Side.SELL, P + 200n, "GTC"],
      ];
      for (const [t, orderId, side, price, tif] of ids) {
        const r = await client.place(t.sign({ side, size: ONE, price, orderId, tif }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      const w = await client.post("/v1/withdrawals", withdrawal(c, 1_000_000n, 51n));
      assert.equal(w.status, 200, JSON.stringify(w.body));
      const want = await Promise.all(traders.map((t) => nextOf(client, t)));
      assert.deepEqual(want, [10n, 41n, 52n]);

      assert.equal(await stopChild(child, "SIGKILL"), "SIGKILL");
      child = await startChild(env);
      client = new Client(child.url);
      assert.deepEqual(await Promise.all(traders.map((t) => nextOf(client, t))), want);
      // Counting up from it goes on where the killed venue stopped.
      const r = await client.place(a.sign({ side: Side.SELL, size: ONE, price: P + 300n, orderId: want[0]! }));
      assert.equal(r.body.status, "resting", JSON.stringify(r.body));
      assert.equal(await nextOf(client, a), want[0]! + 1n);
    } finally {
      await stopChild(child);
      file.cleanup();
    }
  });
});
