/**
 * Settlement records and withdrawal status pushes through the SDK against a real sequencer:
 * an option series listed to expire seconds after start is traded, expires and is settled;
 * `client.settlements()` lists what each position paid and `TesseraStream` pushes the same
 * record as a `settlement` event; a withdrawal is pushed again when its batch closes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { TesseraClient } from "../../sdk/client.ts";
import { TesseraApiError } from "../../sdk/errors.ts";
import { TesseraStream } from "../../sdk/stream.ts";
import type { Market } from "../../sdk/wire.ts";
import { ETH_PRICE, ONE, startSdkVenue } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

/** Seconds from the venue's start to the expiry of the short-lived series. */
const LIFETIME_S = 5n;
/** ETH settles at 3,200.00: the 3,000 call is worth 200.00 USD per contract. */
const PRICE = 320_000n;

describe("settlements and withdrawal statuses through the SDK", () => {
  let v: SdkVenue;
  let alice: TesseraClient;
  let bob: TesseraClient;
  let call: Market;
  let stream: TesseraStream;
  const expiry = BigInt(Math.floor(Date.now() / 1000)) + LIFETIME_S;

  before(async () => {
    v = await startSdkVenue({ optionExpiries: [expiry] });
    alice = await v.trader("settle-alice", 2n);
    bob = await v.trader("settle-bob", 3n);
    call = (await bob.instruments({ kind: "option", underlying: 1 })).find(
      (m) => m.expiry === expiry && m.kind === "call" && m.strike === ETH_PRICE,
    )!;
    assert.ok(call !== undefined, "the short-lived series is listed");
    await alice.placeOrder({ instrument: call.instrument, side: "sell", size: ONE, price: 10_000n });
    const bought = await bob.placeOrder({
      instrument: call.instrument,
      side: "buy",
      size: ONE,
      price: 10_000n,
      timeInForce: "IOC",
    });
    assert.equal(bought.status, "filled");
    stream = new TesseraStream({ url: v.url, client: bob });
    await stream.connect();
  });
  after(async () => {
    stream.close();
    await v.close();
  });

  test("settlements() lists what settling paid and the stream pushes the same record", async () => {
    assert.deepEqual(await bob.settlements(), [], "nothing settled yet");
    const pushed = stream.next("settlement");
    const wait = Number(expiry * 1000n) + 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const settled = await v.admin.settle({ underlying: 1, expiry, price: PRICE, roundId: 3n });
    assert.equal(settled.length, 2, "the buyer's and the writer's positions");

    const [record, ...rest] = await bob.settlements();
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [record!.accountId, record!.instrument, record!.name, record!.size, record!.price, record!.roundId],
      [3n, call.instrument, call.name, ONE, PRICE, 3n],
    );
    assert.deepEqual([record!.value, record!.cost, record!.pnl], [200_000_000n, 100_000_000n, 100_000_000n]);
    assert.ok(record!.time >= expiry * 1000n);
    assert.deepEqual(await pushed, record, "the stream's settlement is the REST record");
    assert.deepEqual(
      settled.find((r) => r.accountId === 3n),
      record,
      "the operator's answer is the same record",
    );

    const writer = await alice.settlements(1);
    assert.deepEqual(
      writer.map((s) => [s.size, s.value, s.cost, s.pnl]),
      [[-ONE, -200_000_000n, -100_000_000n, -100_000_000n]],
    );
    const bad = await alice.settlements(0).catch((e: unknown) => e);
    assert.ok(bad instanceof TesseraApiError && bad.code === "BAD_REQUEST", String(bad));
  });

  test("a withdrawal is pushed again when its batch closes", async () => {
    const applied = stream.next("withdrawal", (w) => w.status === "pending");
    const w = await bob.withdraw(1_000_000n);
    assert.deepEqual(await applied, w);
    const closed = stream.next("withdrawal", (x) => x.orderId === w.orderId && x.status === "in_batch");
    assert.equal(await v.admin.closeBatch(), w.batch);
    const update = await closed;
    assert.deepEqual(update, { ...w, status: "in_batch", estimatedBatchCloseAt: null });
    assert.deepEqual(await bob.withdrawals(1), [update]);
  });
});
