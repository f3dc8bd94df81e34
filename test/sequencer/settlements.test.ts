/**
 * Settlement records and withdrawal status pushes: every position an option settlement closes
 * is journaled with its size, settlement price and round, value, cost and realised PnL, survives
 * a restart (and is rebuilt by a replay where missing), is served by
 * `GET /v1/account/settlements` and pushed as a `settlement` event; a withdrawal is pushed
 * again each time its batch changes stage.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { WebSocket } from "ws";
import { withdrawalOrder } from "../../protocol/signing.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { SolidityProof } from "../../protocol/types.ts";
import type { Sequencer, SettledPosition, VenueEvent } from "../../sequencer/core/sequencer.ts";
import type { Market } from "../../sequencer/core/engine/markets.ts";
import { startService } from "../../sequencer/service.ts";
import type { Service } from "../../sequencer/service.ts";
import { toWire } from "../../sequencer/wire.ts";
import { ADMIN_TOKEN, Client, FAR_EXPIRY, openVenue, serviceConfig, tempDb, Trader } from "./helpers.ts";
import type { OrderSpec } from "./helpers.ts";

const RICH = 100_000_000_000n;
const CONTRACT = 10_000n;
/** The settlement price: ETH at 3,200.00; the 3,000 call is worth 200.00, the 3,000 put 0. */
const PRICE = 320_000n;
const ROUND = 7n;

/** The 3,000 call and put of ETH's first listed expiry. */
function series(venue: Sequencer): { call: Market; put: Market } {
  const of = (kind: number) =>
    venue.engine.listMarkets().find((m) => m.underlying === 1 && m.kind === kind && m.strike === 300_000n)!;
  const call = of(InstrumentKind.CALL);
  const put = of(InstrumentKind.PUT);
  assert.equal(call.expiry, put.expiry);
  return { call, put };
}

/**
 * Before expiry, in-process: alice writes one call at 100.00 and one put at 50.00 to bob.
 * Returns the `now` (unix ms) after the last command.
 */
function trade(venue: Sequencer, alice: Trader, bob: Trader, { call, put }: { call: Market; put: Market }): bigint {
  let now = (call.expiry - 3600n) * 1000n;
  const run = (command: Parameters<Sequencer["execute"]>[0]) => venue.execute(command, (now += 1000n));
  for (const t of [alice, bob])
    run({ kind: "deposit", accountId: t.accountId, owner: t.owner, pkHash: t.pkHash, amount: RICH, queueIndex: null });
  const place = (t: Trader, spec: OrderSpec) => run({ kind: "place", order: t.sign(spec), clientOrderId: null });
  place(alice, { instrument: call.instrument, side: Side.SELL, size: CONTRACT, price: 10_000n, orderId: 1n });
  place(bob, { instrument: call.instrument, side: Side.BUY, size: CONTRACT, price: 10_000n, orderId: 1n, tif: "IOC" });
  place(alice, { instrument: put.instrument, side: Side.SELL, size: CONTRACT, price: 5_000n, orderId: 2n });
  place(bob, { instrument: put.instrument, side: Side.BUY, size: CONTRACT, price: 5_000n, orderId: 2n, tif: "IOC" });
  assert.equal(venue.ledger.positionSize(bob.accountId, call.instrument), CONTRACT);
  assert.equal(venue.ledger.positionSize(bob.accountId, put.instrument), CONTRACT);
  return now;
}

const settlementsRows = (file: string): unknown[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT * FROM settlements ORDER BY batch, slot").all();
  } finally {
    db.close();
  }
};

describe("settlement records in the journaled core", () => {
  const db = tempDb();
  let venue: Sequencer;
  let markets: { call: Market; put: Market };
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);
  const events: VenueEvent[] = [];
  let settledAt = 0n;
  const delta = new Map<bigint, bigint>();

  before(async () => {
    venue = await openVenue(db.file);
    markets = series(venue);
    const now = trade(venue, alice, bob, markets);
    venue.on((e) => events.push(e));
    const before = new Map([alice, bob].map((t) => [t.accountId, venue.ledger.state.account(t.accountId).collateral]));
    settledAt = markets.call.expiry * 1000n + 5_000n;
    assert.ok(settledAt > now);
    venue.execute(
      { kind: "settle", underlying: 1, expiry: markets.call.expiry, price: PRICE, roundId: ROUND },
      settledAt,
    );
    for (const [id, c] of before) delta.set(id, venue.ledger.state.account(id).collateral - c);
  });
  after(() => {
    venue.close();
    db.cleanup();
  });

  test("each settled position is recorded with its price, round, value, cost and realised PnL", () => {
    const [put, call, ...rest] = venue.journal.settlementsOf(bob.accountId, 10);
    assert.deepEqual(rest, []);
    assert.deepEqual(
      { ...call!, batch: 0n, slot: 0 },
      {
        accountId: bob.accountId,
        instrument: markets.call.instrument,
        size: CONTRACT,
        price: PRICE,
        roundId: ROUND,
        value: 200_000_000n, // 1 contract × 200.00 USD intrinsic
        cost: 100_000_000n, // the premium paid
        pnl: 100_000_000n,
        batch: 0n,
        slot: 0,
        time: settledAt,
      },
    );
    assert.deepEqual(
      [put!.instrument, put!.value, put!.cost, put!.pnl],
      [markets.put.instrument, 0n, 50_000_000n, -50_000_000n],
    );
    assert.ok(put!.batch > call!.batch || (put!.batch === call!.batch && put!.slot > call!.slot), "newest first");
    assert.deepEqual(venue.journal.settlementsOf(bob.accountId, 1), [put]);
    const writer = venue.journal.settlementsOf(alice.accountId, 10);
    assert.deepEqual(
      writer.map((s) => [s.size, s.value, s.cost, s.pnl]),
      [
        [-CONTRACT, 0n, -50_000_000n, 50_000_000n],
        [-CONTRACT, -200_000_000n, -100_000_000n, -100_000_000n],
      ],
    );
    // The realised PnL is exactly what settling added to collateral.
    for (const t of [alice, bob])
      assert.equal(
        venue.journal.settlementsOf(t.accountId, 10).reduce((sum, s) => sum + s.pnl, 0n),
        delta.get(t.accountId),
      );
  });

  test("each record is published as a settlement event", () => {
    const pushed = events.flatMap((e) => (e.type === "settlement" ? [e.settlement] : []));
    const stored = [alice, bob].flatMap((t) => venue.journal.settlementsOf(t.accountId, 10));
    const key = (s: SettledPosition) => `${s.batch}:${s.slot}`;
    assert.equal(pushed.length, 4);
    assert.deepEqual(
      [...pushed].sort((a, b) => key(a).localeCompare(key(b))),
      [...stored].sort((a, b) => key(a).localeCompare(key(b))),
    );
  });

  test("the records survive a restart, and a replay rebuilds them identically where missing", async () => {
    const rows = settlementsRows(db.file);
    assert.equal(rows.length, 4);
    venue.close();
    venue = await openVenue(db.file);
    assert.deepEqual(settlementsRows(db.file), rows);
    venue.close();
    const raw = new Database(db.file);
    raw.exec("DELETE FROM settlements");
    raw.close();
    venue = await openVenue(db.file);
    assert.deepEqual(settlementsRows(db.file), rows, "rebuilt by the replay");
  });
});

/** A WebSocket on the account channel of `token`, collecting its messages. */
async function accountSocket(url: string, token: string) {
  const ws = new WebSocket(url.replace("http", "ws") + "/v1/ws");
  const messages: Record<string, unknown>[] = [];
  ws.on("message", (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ op: "auth", token }));
  const until = async (what: string, done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(done(), `waited for ${what}; got ${JSON.stringify(messages)}`);
  };
  await until("authenticated", () => messages.some((m) => m.type === "authenticated"));
  return { ws, messages, until };
}

describe("settlements and withdrawal statuses over the API", () => {
  const db = tempDb();
  let service: Service;
  let client: Client;
  let markets: { call: Market; put: Market };
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);

  before(async () => {
    service = await startService(serviceConfig(db.file));
    client = new Client(service.url);
    markets = series(service.venue);
    trade(service.venue, alice, bob, markets);
  });
  after(async () => {
    await service.close();
    db.cleanup();
  });

  test("a settlement is pushed on the account channel and listed, newest first, with decimal strings", async () => {
    const token = await client.session(bob);
    const socket = await accountSocket(service.url, token);
    const body = { underlying: 1, expiry: markets.call.expiry.toString(), price: PRICE.toString(), roundId: "7" };
    const settled = await client.post("/v1/admin/settlements", body, ADMIN_TOKEN);
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal((settled.body.settled as unknown[]).length, 4);

    const r = await client.get("/v1/account/settlements", token);
    assert.equal(r.status, 200);
    const list = r.body.settlements as Record<string, unknown>[];
    assert.deepEqual(
      list.map((s) => [s.name, s.size, s.price, s.roundId, s.value, s.cost, s.pnl]),
      [
        [markets.put.name, "10000", "320000", "7", "0", "50000000", "-50000000"],
        [markets.call.name, "10000", "320000", "7", "200000000", "100000000", "100000000"],
      ],
    );
    for (const s of list) {
      assert.equal(s.accountId, bob.accountId.toString());
      for (const key of ["instrument", "batch", "time"]) assert.equal(typeof s[key], "string", key);
      assert.equal(typeof s.slot, "number");
    }
    assert.deepEqual((await client.get("/v1/account/settlements?limit=1", token)).body.settlements, [list[0]]);

    await socket.until(
      "two settlement events",
      () => socket.messages.filter((m) => m.type === "settlement").length === 2,
    );
    const pushed = socket.messages
      .filter((m) => m.type === "settlement")
      .map(({ type: _type, seq: _seq, ...rest }) => rest);
    assert.deepEqual(
      [...pushed].sort((a, b) => Number(a.slot) - Number(b.slot)),
      [...list].sort((a, b) => Number(a.slot) - Number(b.slot)),
      "the same fields as the REST list",
    );
    assert.ok(!socket.messages.some((m) => m.type === "settlement" && m.accountId !== bob.accountId.toString()));
    socket.ws.close();
  });

  test("the settlements route needs a session and a limit between 1 and 500", async () => {
    const token = await client.session(alice);
    assert.equal((await client.get("/v1/account/settlements")).status, 401);
    assert.equal((await client.get("/v1/account/settlements")).body.code, "UNAUTHORIZED");
    assert.equal((await client.get("/v1/account/settlements", "not-a-token")).status, 401);
    for (const q of ["limit=0", "limit=501", "limit=x", "before=1"]) {
      const r = await client.get(`/v1/account/settlements?${q}`, token);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, "BAD_REQUEST");
    }
    const own = (await client.get("/v1/account/settlements?limit=500", token)).body.settlements as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      own.map((s) => [s.accountId, s.pnl]),
      [
        [alice.accountId.toString(), "50000000"],
        [alice.accountId.toString(), "-100000000"],
      ],
      "only the session's account",
    );
  });

  test("a withdrawal is pushed again at each stage of its batch: in_batch, proven, claimable", async () => {
    const venue = service.venue;
    const token = await client.session(alice);
    const socket = await accountSocket(service.url, token);
    const signed = alice.sign(withdrawalOrder(alice.accountId, 1_000_000n, 9n, FAR_EXPIRY));
    const r = await client.post("/v1/withdrawals", { withdrawal: toWire(signed) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const batch = BigInt(r.body.batch as string);
    const statuses = () =>
      socket.messages.filter((m) => m.type === "withdrawal" && m.orderId === "9").map((m) => m.status);
    await socket.until("pending", () => statuses().length === 1);

    assert.equal((await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).body.batch, batch.toString());
    await socket.until("in_batch", () => statuses().length === 2);
    venue.setBatchStatus(batch, "proving"); // still in_batch: nothing pushed
    venue.recordProof(batch, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] as unknown as SolidityProof);
    await socket.until("proven", () => statuses().length === 3);
    venue.setBatchStatus(batch, "proved", "send 1 failed, retrying"); // still proven
    venue.setBatchStatus(batch, "submitted", "0xabc");
    await socket.until("claimable", () => statuses().length === 4);
    assert.deepEqual(statuses(), ["pending", "in_batch", "proven", "claimable"]);

    const last = socket.messages.filter((m) => m.type === "withdrawal").at(-1)!;
    // `seq` numbers the connection's private messages (docs/api.md); the rest is the REST record.
    const { type: _type, seq: _seq, ...fields } = last;
    const listed = (await client.get("/v1/account/withdrawals", token)).body.withdrawals as Record<string, unknown>[];
    assert.deepEqual(
      fields,
      listed.find((w) => w.orderId === "9"),
      "the fields of GET /v1/account/withdrawals",
    );
    assert.equal(last.l1TxHash, "0xabc");
    socket.ws.close();
  });

  test("a forced withdrawal is pushed when its batch closes and when it fails", async () => {
    const venue = service.venue;
    const socket = await accountSocket(service.url, await client.session(bob));
    const applied = await client.post(
      "/v1/admin/forced-withdrawals",
      { accountId: bob.accountId.toString(), requested: "1000000" },
      ADMIN_TOKEN,
    );
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    const forced = () =>
      socket.messages.filter((m) => m.type === "withdrawal" && m.kind === "forced").map((m) => m.status);
    await socket.until("pending", () => forced().length === 1);
    const closed = await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
    assert.equal(closed.body.batch, applied.body.batch);
    await socket.until("in_batch", () => forced().length === 2);
    venue.setBatchStatus(BigInt(applied.body.batch as string), "failed", "prover crashed");
    await socket.until("failed", () => forced().length === 3);
    assert.deepEqual(forced(), ["pending", "in_batch", "failed"]);
    socket.ws.close();
  });

  test("after a restart the settlements are served unchanged", async () => {
    const token = await client.session(bob);
    const before = (await client.get("/v1/account/settlements", token)).body;
    await service.close();
    service = await startService(serviceConfig(db.file));
    client = new Client(service.url);
    const after = (await client.get("/v1/account/settlements", await client.session(bob))).body;
    assert.deepEqual(after, before);
    assert.equal((before.settlements as unknown[]).length, 2);
  });
});
