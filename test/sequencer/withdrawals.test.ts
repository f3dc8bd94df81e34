/**
 * The API for withdrawals, the batch explorer and settled series on a real sequencer: signed
 * L2 withdrawals checked by protocol/ and tracked through the pipeline, forced withdrawals
 * served or refused, the paginated batch list, proof and verification-key routes, instrument
 * status, funding and the operator's settlement route, with the bad inputs of each.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { withdrawalOrder } from "../../protocol/signing.ts";
import type { Order } from "../../protocol/types.ts";
import { DEFAULT_MIN_WITHDRAWAL } from "../../sequencer/intake/dust.ts";
import { toWire } from "../../sequencer/wire.ts";
import { ADMIN_TOKEN, FAR_EXPIRY, startVenue, Trader } from "./helpers.ts";
import type { Client, HttpReply } from "./helpers.ts";

const FUNDS = 1_000_000_000n; // 1,000 USDC
/** The smallest withdrawal the venue takes (but one that empties an account holding no position). */
const MIN = DEFAULT_MIN_WITHDRAWAL;

type Venue = Awaited<ReturnType<typeof startVenue>>;

async function fingerprint(client: Client): Promise<string> {
  const status = await client.get("/v1/status");
  return JSON.stringify([status.body.journal, status.body.stateRoot]);
}

async function expectRejected(client: Client, send: () => Promise<HttpReply>, status: number, code: string) {
  const before = await fingerprint(client);
  const r = await send();
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code);
  assert.ok(typeof r.body.message === "string" && r.body.message.length > 10, "the message says what to do");
  assert.equal(await fingerprint(client), before, "a rejected request changes nothing");
}

describe("withdrawals, batches and settlements API", () => {
  let v: Venue;
  let client: Client;
  const alice = new Trader("alice", 2n);
  const bob = new Trader("bob", 3n);

  const withdrawal = (t: Trader, amount: bigint, orderId: bigint, patch: Partial<Order> = {}) => ({
    withdrawal: toWire(t.sign({ ...withdrawalOrder(t.accountId, amount, orderId, FAR_EXPIRY), ...patch })),
  });

  before(async () => {
    v = await startVenue();
    client = v.client;
    for (const t of [alice, bob]) assert.equal((await client.deposit(t, FUNDS)).status, 200);
    assert.equal((await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN)).status, 200);
  });
  after(async () => {
    await v.cleanup();
  });

  test("a signed withdrawal is applied, listed as pending with an estimate, then in its batch", async () => {
    const token = await client.session(alice);
    const ws = new WebSocket(v.service.url.replace("http", "ws") + "/v1/ws");
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const pushed = new Promise<Record<string, unknown>>((resolve) => {
      ws.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString()) as Record<string, unknown>;
        if (m.type === "authenticated") return;
        if (m.type === "withdrawal") resolve(m);
      });
    });
    ws.send(JSON.stringify({ op: "auth", token }));
    await new Promise((r) => setTimeout(r, 100));

    const r = await client.post("/v1/withdrawals", withdrawal(alice, 100_000_000n, 7n));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, "pending");
    assert.equal(r.body.served, "100000000");
    assert.equal(r.body.kind, "withdrawal");
    assert.equal(typeof r.body.estimatedBatchCloseAt, "string");
    assert.equal((await pushed).orderId, "7", "the account channel hears of it");
    ws.close();

    assert.equal((await client.get("/v1/account", token)).body.collateral, (FUNDS - 100_000_000n).toString());
    const closed = await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
    assert.equal(closed.body.batch, r.body.batch);
    const list = (await client.get("/v1/account/withdrawals", token)).body.withdrawals as Record<string, unknown>[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.status, "in_batch", "closed, waiting for its proof");
    assert.equal(list[0]!.estimatedBatchCloseAt, null);
  });

  test("an account's deposits are listed with their batch and status; a session is required", async () => {
    const token = await client.session(bob);
    const list = (await client.get("/v1/account/deposits", token)).body.deposits as Record<string, unknown>[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.accountId, bob.accountId.toString());
    assert.equal(list[0]!.amount, FUNDS.toString());
    assert.equal(list[0]!.batch, "1");
    assert.equal(list[0]!.status, "in_batch", "batch 1 is closed and, without provers, never proven");
    assert.equal(list[0]!.l1TxHash, null);
    assert.equal((await client.get("/v1/account/deposits")).status, 401);
  });

  test("bad withdrawals are rejected with their code and change nothing", async () => {
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(alice, FUNDS, 8n)),
      422,
      "INSUFFICIENT_FREE_COLLATERAL",
    );
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(alice, MIN, 7n)),
      409,
      "DUPLICATE_ORDER_ID",
    );
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(alice, MIN, 9n, { price: 1n })),
      422,
      "BAD_MESSAGE",
    );
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(alice, MIN, 10n, { expiry: 1n })),
      422,
      "ORDER_EXPIRED",
    );
    const forged = withdrawal(alice, MIN, 11n);
    (forged.withdrawal as { signature: { S: string } }).signature.S = "1";
    await expectRejected(client, () => client.post("/v1/withdrawals", forged), 401, "BAD_SIGNATURE");
    const mallory = new Trader("mallory", 2n);
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(mallory, MIN, 12n)),
      403,
      "KEY_MISMATCH",
    );
    await expectRejected(client, () => client.post("/v1/withdrawals", {}), 400, "BAD_REQUEST");
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", { ...withdrawal(alice, MIN, 13n), extra: 1 }),
      400,
      "BAD_REQUEST",
    );
    await expectRejected(client, () => client.get("/v1/account/withdrawals"), 401, "UNAUTHORIZED");
    // Below the venue's minimum withdrawal and not emptying the account (attack-dust.test.ts).
    await expectRejected(
      client,
      () => client.post("/v1/withdrawals", withdrawal(alice, MIN - 1n, 14n)),
      422,
      "MIN_WITHDRAWAL",
    );
  });

  test("forced withdrawals are listed as served or refused", async () => {
    const served = await client.post(
      "/v1/admin/forced-withdrawals",
      { accountId: "3", requested: "1000000" },
      ADMIN_TOKEN,
    );
    assert.equal(served.body.served, "1000000");
    // More than he has: he is served what he may withdraw (finding F11: min(requested,
    // withdrawable), no longer all or nothing), and then nothing is left to serve.
    const free = (await client.get("/v1/account", await client.session(bob))).body.freeCollateral as string;
    assert.ok(BigInt(free) > 0n);
    const part = await client.post(
      "/v1/admin/forced-withdrawals",
      { accountId: "3", requested: (FUNDS * 10n).toString() },
      ADMIN_TOKEN,
    );
    assert.equal(part.body.served, free);
    const refused = await client.post("/v1/admin/forced-withdrawals", { accountId: "3", requested: "1" }, ADMIN_TOKEN);
    assert.equal(refused.body.served, "0");
    const list = (await client.get("/v1/account/withdrawals", await client.session(bob))).body.withdrawals as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      list.map((w) => [w.kind, w.outcome, w.requested]),
      [
        ["forced", "refused", "1"],
        ["forced", "served", (FUNDS * 10n).toString()],
        ["forced", "served", "1000000"],
      ],
    );
  });

  test("the batch explorer lists closed batches newest first, by page", async () => {
    await client.post("/v1/admin/close-batch", {}, ADMIN_TOKEN);
    const all = (await client.get("/v1/batches")).body;
    const batches = all.batches as Record<string, unknown>[];
    assert.ok(batches.length >= 3);
    assert.deepEqual(
      batches.map((b) => Number(b.number)),
      [...batches.map((b) => Number(b.number))].sort((a, b) => b - a),
    );
    const first = batches.at(-1)!;
    assert.equal(first.number, "1");
    assert.deepEqual(first.txTypes, { deposit: 2, noop: 2 });
    assert.equal(first.txCount, 2);
    assert.equal(first.proofStatus, "closed");
    assert.equal(first.l1TxHash, null);
    for (const key of ["oldStateRoot", "newStateRoot", "timestamp", "openedAt", "closedAt"])
      assert.equal(typeof first[key], "string", key);
    assert.equal(all.nextBefore, null);

    const page1 = (await client.get("/v1/batches?limit=1")).body;
    assert.equal((page1.batches as unknown[]).length, 1);
    const page2 = (await client.get(`/v1/batches?limit=1&before=${page1.nextBefore as string}`)).body;
    assert.equal(
      (page2.batches as Record<string, unknown>[])[0]!.number,
      (BigInt(page1.nextBefore as string) - 1n).toString(),
    );
    await expectRejected(client, () => client.get("/v1/batches?limit=0"), 400, "BAD_REQUEST");
    await expectRejected(client, () => client.get("/v1/batches?before=-1"), 400, "BAD_REQUEST");
    await expectRejected(client, () => client.get("/v1/batches?page=2"), 400, "BAD_REQUEST");
  });

  test("proofs and the verification key are 404 on a venue without provers", async () => {
    await expectRejected(client, () => client.get("/v1/batches/1/proof"), 404, "NOT_FOUND");
    await expectRejected(client, () => client.get("/v1/batches/999/proof"), 404, "NOT_FOUND");
    await expectRejected(client, () => client.get("/v1/batches/x/proof"), 400, "BAD_REQUEST");
    await expectRejected(client, () => client.get("/v1/verification-key"), 404, "NOT_FOUND");
  });

  test("instruments carry their status; settlement needs an expired, listed, unsettled series", async () => {
    const all = (await client.get("/v1/instruments")).body.instruments as Record<string, unknown>[];
    assert.ok(all.every((i) => ["active", "expired", "settled"].includes(i.status as string)));
    assert.equal((await client.get("/v1/instruments?status=settled")).body.instruments instanceof Array, true);
    await expectRejected(client, () => client.get("/v1/instruments?status=gone"), 400, "BAD_REQUEST");

    const option = all.find((i) => i.kind === "call")!;
    const body = { underlying: option.underlying, expiry: option.expiry, price: "310000" };
    await expectRejected(client, () => client.post("/v1/admin/settlements", body), 401, "UNAUTHORIZED");
    await expectRejected(
      client,
      () => client.post("/v1/admin/settlements", { ...body, price: 310000 }, ADMIN_TOKEN),
      400,
      "BAD_REQUEST",
    );
    await expectRejected(
      client,
      () => client.post("/v1/admin/settlements", { ...body, expiry: "12345" }, ADMIN_TOKEN),
      404,
      "UNKNOWN_INSTRUMENT",
    );
    // The test listing's options expired before the wall clock: the series settles now.
    const settled = await client.post("/v1/admin/settlements", body, ADMIN_TOKEN);
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.deepEqual(settled.body.settled, [], "nobody held the series");
    const list = (await client.get("/v1/instruments?status=settled")).body.instruments as Record<string, unknown>[];
    assert.ok(list.length > 0 && list.every((i) => i.expiry === option.expiry && i.settlementPrice === "310000"));
    await expectRejected(client, () => client.post("/v1/admin/settlements", body, ADMIN_TOKEN), 409, "ALREADY_SETTLED");
  });

  test("funding shows index, last and next time and the last rate", async () => {
    const f = (await client.get("/v1/funding")).body;
    const eth = (f.underlyings as Record<string, unknown>[])[0]!;
    for (const key of ["fundingIndex", "lastFundingTime", "nextFundingTime"]) assert.equal(typeof eth[key], "string");
    assert.equal(eth.lastDelta, null, "no funding update yet");
    assert.equal(eth.lastRateBps, null);
  });
});
