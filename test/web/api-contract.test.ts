/**
 * The web app's API client against the real sequencer service (in process, temp database):
 * every response the app reads must parse with the app's schemas, and the app's order signing
 * and session opening must be accepted.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { signFast } from "../../protocol/eddsa-fast.ts";
import { Side } from "../../protocol/types.ts";
import type { Order } from "../../protocol/types.ts";
import { startService } from "../../sequencer/service.ts";
import type { Service } from "../../sequencer/service.ts";
import { ApiError, SequencerClient } from "../../web/lib/api.ts";
import { orderFlags, sign } from "../../web/lib/orders.ts";
import { ADMIN_TOKEN, domain, ETH_PERP, FAR_EXPIRY, serviceConfig, tempDb, Trader } from "../sequencer/helpers.ts";

const alice = new Trader("web-alice", 2n);
const bob = new Trader("web-bob", 3n);
let service: Service;
let api: SequencerClient;
let cleanup: () => void;

function order(
  trader: Trader,
  side: 0 | 1,
  size: bigint,
  price: bigint,
  orderId: bigint,
  tif: "GTC" | "IOC" = "GTC",
): Order {
  return {
    accountId: trader.accountId,
    instrument: ETH_PERP,
    side,
    size,
    price,
    orderId,
    expiry: FAR_EXPIRY,
    flags: orderFlags({ reduceOnly: false, postOnly: false, timeInForce: tif }),
  };
}

before(async () => {
  const db = tempDb();
  cleanup = db.cleanup;
  service = await startService(serviceConfig(db.file));
  api = new SequencerClient(service.url);
  for (const t of [alice, bob]) {
    const res = await fetch(`${service.url}/v1/admin/deposits`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        accountId: t.accountId.toString(),
        owner: t.owner.toString(),
        pkHash: t.pkHash.toString(),
        amount: "10000000000",
      }),
    });
    assert.equal(res.status, 200);
  }
});

after(async () => {
  await service.close();
  cleanup();
});

describe("web API client against the sequencer", () => {
  test("market data parses", async () => {
    const instruments = await api.instruments();
    assert.ok(instruments.some((i) => i.instrument === ETH_PERP && i.kind === "perp" && i.name === "ETH-PERP"));
    assert.ok(instruments.some((i) => i.kind === "call" && i.strike > 0n && i.expiry > 0n));
    const oracle = await api.oracle();
    assert.equal(oracle.underlyings[0]!.indexPrice, 300_000n);
    const funding = await api.funding();
    assert.ok(funding.interval > 0n);
    const status = await api.status();
    assert.equal(status.domain, domain());
    const tickers = await api.tickers();
    assert.ok(tickers.find((t) => t.instrument === ETH_PERP)?.indexPrice === 300_000n);
  });

  test("orders signed by the app rest, trade, and show in book, trades and fills", async () => {
    const resting = await api.placeOrder(
      sign(alice.privateKey, order(alice, Side.SELL, 10_000n, 300_100n, 1_000n), domain()),
    );
    assert.equal(resting.status, "resting");
    const book = await api.book(ETH_PERP);
    assert.deepEqual(
      book.asks.map((l) => [l.price, l.size]),
      [[300_100n, 10_000n]],
    );
    const taken = await api.placeOrder(
      sign(bob.privateKey, order(bob, Side.BUY, 4_000n, 300_100n, 2_000n, "IOC"), domain()),
    );
    assert.equal(taken.filled, 4_000n);
    const trades = await api.trades(ETH_PERP);
    assert.equal(trades[0]!.price, 300_100n);
    assert.equal(trades[0]!.takerSide, Side.BUY);
    assert.equal(trades[0]!.maker.accountId, alice.accountId);

    const session = await api.openSession(alice.accountId, domain(), alice.publicKey, (m) =>
      signFast(alice.privateKey, m),
    );
    const account = await api.account(session.token);
    assert.equal(account.accountId, alice.accountId);
    assert.equal(account.positions[0]!.size, -4_000n);
    const open = await api.openOrders(session.token);
    assert.equal(open[0]!.remaining, 6_000n);
    assert.equal(open[0]!.side, Side.SELL);
    const fills = await api.fills(session.token);
    assert.equal(fills[0]!.size, 4_000n);
    await api.cancelOrder(session.token, 1_000n);
    assert.deepEqual(await api.openOrders(session.token), []);
    // The next order id the app counts up from: one above the account's highest id, read with its
    // own session only (another account's session is refused).
    assert.equal(await api.nextOrderId(alice.accountId, session.token), 1_001n);
    await assert.rejects(
      api.nextOrderId(bob.accountId, session.token),
      (e: unknown) => e instanceof ApiError && e.code === "FORBIDDEN",
    );
    const batch = await api.batchStatus(0);
    assert.equal(batch.number, 0);
  });

  test("refusals arrive as ApiError with the venue's code", async () => {
    await assert.rejects(
      api.placeOrder(sign(bob.privateKey, order(alice, Side.BUY, 1_000n, 299_000n, 3_000n), domain())),
      (e: unknown) => e instanceof ApiError && e.status >= 400 && e.code.length > 0,
    );
    await assert.rejects(
      api.account("not-a-token"),
      (e: unknown) => e instanceof ApiError && e.code === "UNAUTHORIZED",
    );
    await assert.rejects(
      api.nextOrderId(99n, "not-a-token"),
      (e: unknown) => e instanceof ApiError && e.code === "UNAUTHORIZED",
    );
    // An id out of its slot's window, as the old clock-seeded ids were: a plain-words refusal.
    await assert.rejects(
      api.placeOrder(sign(bob.privateKey, order(bob, Side.BUY, 1_000n, 299_000n, 1_795_000_000n << 16n), domain())),
      (e: unknown) => e instanceof ApiError && e.code === "ORDER_ID_WINDOW" && e.status === 422,
    );
  });
});
