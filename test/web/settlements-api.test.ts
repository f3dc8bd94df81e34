/**
 * The web app's settlement records against the real sequencer service (in process, temp
 * database): `SequencerClient.settlements()` and the live `settlement` payload parse into the
 * same records, and the options table's wording of one is what the venue paid.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { signFast } from "../../protocol/eddsa-fast.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import { startService } from "../../sequencer/service.ts";
import type { Service } from "../../sequencer/service.ts";
import { describeSettlement } from "../../web/components/options/settledPositions.ts";
import { settlementOf } from "../../web/components/options/analytics.ts";
import { livePayload, SequencerClient } from "../../web/lib/api.ts";
import { ADMIN_TOKEN, domain, serviceConfig, tempDb, Trader } from "../sequencer/helpers.ts";

const alice = new Trader("web-settle-alice", 2n);
const bob = new Trader("web-settle-bob", 3n);
const CONTRACT = 10_000n;
let service: Service;
let cleanup: () => void;

before(async () => {
  const db = tempDb();
  cleanup = db.cleanup;
  service = await startService(serviceConfig(db.file));
});
after(async () => {
  await service.close();
  cleanup();
});

test("settlements() and the live settlement payload read the venue's record", async () => {
  const venue = service.venue;
  const call = venue.engine
    .listMarkets()
    .find((m) => m.underlying === 1 && m.kind === InstrumentKind.CALL && m.strike === 300_000n)!;
  // Trade before expiry (the test listing expired before the wall clock), in process.
  let now = (call.expiry - 60n) * 1000n;
  for (const t of [alice, bob])
    venue.execute(
      {
        kind: "deposit",
        accountId: t.accountId,
        owner: t.owner,
        pkHash: t.pkHash,
        amount: 10_000_000_000n,
        queueIndex: null,
      },
      (now += 1000n),
    );
  const spec = { instrument: call.instrument, size: CONTRACT, price: 10_000n, orderId: 1n };
  venue.execute(
    { kind: "place", order: alice.sign({ ...spec, side: Side.SELL }), clientOrderId: null },
    (now += 1000n),
  );
  venue.execute(
    { kind: "place", order: bob.sign({ ...spec, side: Side.BUY, tif: "IOC" }), clientOrderId: null },
    (now += 1000n),
  );

  const api = new SequencerClient(service.url);
  const session = await api.openSession(bob.accountId, domain(), bob.publicKey, (m) => signFast(bob.privateKey, m));
  const ws = new WebSocket(service.url.replace("http", "ws") + "/v1/ws");
  const pushed = new Promise<unknown>((resolve) =>
    ws.on("message", (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string };
      if (m.type === "authenticated") void settle();
      if (m.type === "settlement") resolve(m);
    }),
  );
  const settle = async () => {
    const res = await fetch(`${service.url}/v1/admin/settlements`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ underlying: 1, expiry: call.expiry.toString(), price: "305000", roundId: "4" }),
    });
    assert.equal(res.status, 200);
  };
  ws.once("open", () => ws.send(JSON.stringify({ op: "auth", token: session.token })));
  const live = livePayload.settlement.parse(await pushed);
  ws.close();

  const [record, ...rest] = await api.settlements(session.token);
  assert.deepEqual(rest, []);
  const { type: _type, ...fields } = live;
  assert.deepEqual(fields, record);
  assert.deepEqual(
    [record!.instrument, record!.size, record!.price, record!.roundId, record!.value, record!.cost, record!.pnl],
    [call.instrument, CONTRACT, 305_000n, 4n, 50_000_000n, 100_000_000n, -50_000_000n],
  );
  // Unix seconds in the app: settled at the wall clock, after the series' expiry.
  assert.ok(record!.time > call.expiry && record!.time <= BigInt(Math.ceil(Date.now() / 1000)), String(record!.time));
  const option = (await api.instruments()).find((i) => i.instrument === call.instrument)!;
  const intrinsic = settlementOf(option, record!.price)!.intrinsic;
  assert.equal(
    describeSettlement({ ...record!, intrinsic }),
    "Settled at 3,050.00: 50.00 per contract, worth +50.00 USDC (PnL −50.00)",
  );
});
