/**
 * The SDK's REST client against a real sequencer: keys from ethers and viem wallets, every
 * endpoint decoded, place / fill / cancel / replace, and refusals as typed errors.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { KEY_MESSAGE_V1, tradingKeyFromSignatureHex } from "../../protocol/keys.ts";
import { publicKeyFast } from "../../protocol/eddsa-fast.ts";
import { TesseraClient } from "../../sdk/client.ts";
import { RateLimitError, TesseraApiError, TesseraConnectionError, TesseraSdkError } from "../../sdk/errors.ts";
import { TradingKey } from "../../sdk/keys.ts";
import { ETH_PRICE, ONE, RICH, startSdkVenue, walletOf } from "./venue.ts";
import type { SdkVenue } from "./venue.ts";

async function rejection(p: Promise<unknown>): Promise<TesseraApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TesseraApiError, `expected a TesseraApiError, got ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.ok(e.message.length > 10, "the message says what to do");
    return e;
  }
  assert.fail("the request was accepted");
}

describe("trading keys", () => {
  test("ethers Wallet, viem account and viem WalletClient derive the same key from one signature", async () => {
    const wallet = walletOf("keys");
    const fromEthers = await TradingKey.fromWallet(wallet);
    const account = privateKeyToAccount(wallet.privateKey as `0x${string}`);
    const fromAccount = await TradingKey.fromWallet(account);
    const client = createWalletClient({ account, chain: hardhat, transport: http("http://127.0.0.1:1") });
    const fromClient = await TradingKey.fromWallet(client);
    assert.equal(fromAccount.exportHex(), fromEthers.exportHex());
    assert.equal(fromClient.exportHex(), fromEthers.exportHex());
    // The protocol's derivation: keccak256 of the 65-byte signature.
    const expected = tradingKeyFromSignatureHex(await wallet.signMessage(KEY_MESSAGE_V1));
    assert.equal(fromEthers.exportHex(), "0x" + Buffer.from(expected).toString("hex"));
    assert.deepEqual(fromEthers.publicKey, publicKeyFast(expected));
    const other = await TradingKey.fromWallet(walletOf("someone else"));
    assert.notEqual(other.pkHash, fromEthers.pkHash);
  });

  test("a key round-trips through its hex export; malformed keys are refused", async () => {
    const key = await TradingKey.fromWallet(walletOf("hex"));
    const back = await TradingKey.fromHex(key.exportHex());
    assert.equal(back.pkHash, key.pkHash);
    await assert.rejects(TradingKey.fromHex("0x1234"), TesseraSdkError);
  });
});

describe("REST client against a real sequencer", () => {
  let v: SdkVenue;
  let maker: TesseraClient;
  let taker: TesseraClient;
  let poor: TesseraClient;

  before(async () => {
    v = await startSdkVenue();
    maker = await v.trader("maker", 2n);
    taker = await v.trader("taker", 3n);
    poor = await v.trader("poor", 4n, 1_000_000n);
  });
  after(async () => {
    await v.close();
  });

  test("market data endpoints decode to typed values", async () => {
    assert.equal(await maker.health(), true);
    const status = await maker.status();
    assert.equal(status.profile, "demo");
    assert.equal(typeof status.domain, "bigint");
    // The health gate, typed: a venue without L1 and with fresh prices runs normally.
    assert.equal(status.halt, null);
    assert.equal(status.health.mode, "normal");
    assert.equal(status.health.code, null);
    assert.deepEqual(status.health.staleFeeds, []);
    assert.equal(status.health.failedBatch, null);
    const instruments = await maker.instruments();
    const perp = instruments.find((m) => m.name === "ETH-PERP")!;
    assert.equal(perp.instrument, 1n);
    assert.equal(perp.tickSize, 1n);
    assert.equal(perp.lotSize, 10n);
    assert.ok(
      (await maker.instruments({ kind: "option", underlying: 1 })).every(
        (m) => m.kind !== "perp" && m.underlying === 1,
      ),
    );
    assert.equal((await maker.market("ETH-PERP")).instrument, 1n);
    const chain = await maker.optionChain(1);
    assert.ok(chain.rows.length > 0 && chain.rows.every((r) => r.call !== null && r.put !== null && r.strike > 0n));
    const oracle = await maker.oracle();
    assert.equal(oracle[0]!.indexPrice, ETH_PRICE);
    assert.equal((await maker.funding()).interval, 60n);
    assert.ok((await maker.tickers()).some((t) => t.name === "BTC-PERP" && t.indexPrice === 6_000_000n));
    const book = await maker.book("ETH-PERP", 10);
    assert.equal(book.instrument, 1n);
    assert.equal(typeof book.seq, "bigint");
    assert.equal((await maker.batch(status.openBatch)).status, "open");
  });

  test("place, fill, and both sides see the fill; positions and margins follow", async () => {
    const ask = await maker.placeOrder({
      instrument: 1n,
      side: "sell",
      size: ONE,
      price: ETH_PRICE,
      postOnly: true,
      clientOrderId: "ask-1",
    });
    assert.equal(ask.status, "resting");
    assert.equal(ask.clientOrderId, "ask-1");
    const book = await taker.book(1n);
    assert.deepEqual(book.asks[0], { price: ETH_PRICE, size: ONE, orders: 1 });
    const buy = await taker.placeOrder({
      instrument: 1n,
      side: "buy",
      size: ONE,
      price: ETH_PRICE + 100n,
      timeInForce: "IOC",
    });
    assert.equal(buy.status, "filled");
    assert.equal(buy.fills.length, 1);
    assert.equal(buy.fills[0]!.price, ETH_PRICE, "fills at the maker's price");
    assert.equal(buy.fills[0]!.maker.orderId, ask.orderId);
    const [makerFill] = await maker.fills(1);
    assert.equal(makerFill!.tradeId, buy.fills[0]!.tradeId);
    const account = await taker.account();
    assert.equal(account.positions[0]!.size, ONE);
    assert.equal(account.positions[0]!.name, "ETH-PERP");
    assert.ok(account.collateral < RICH, "the taker paid its fee");
    assert.ok(account.initialMargin > 0n);
    assert.equal((await maker.account()).positions[0]!.size, -ONE);
    assert.equal((await taker.trades("ETH-PERP", 1))[0]!.tradeId, buy.fills[0]!.tradeId);
  });

  test("cancel by id, by client id, all, and replace", async () => {
    const a = await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 1000n });
    const b = await maker.placeOrder({
      instrument: 1n,
      side: "buy",
      size: ONE,
      price: ETH_PRICE - 1100n,
      clientOrderId: "bid-b",
    });
    const c = await maker.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 1200n });
    assert.notEqual(a.orderId, b.orderId);
    assert.equal((await maker.openOrders()).length, 3);
    assert.equal((await maker.cancelOrder(a.orderId))[0]!.orderId, a.orderId);
    assert.equal((await maker.cancelByClientId("bid-b"))[0]!.orderId, b.orderId);
    const replaced = await maker.replaceOrder(c.orderId, {
      instrument: 1n,
      side: "buy",
      size: 2n * ONE,
      price: ETH_PRICE - 1300n,
    });
    assert.equal(replaced.replaced.orderId, c.orderId);
    assert.equal(replaced.order.status, "resting");
    assert.equal(replaced.rejection, null);
    const open = await maker.openOrders();
    assert.deepEqual(
      open.map((o) => [o.orderId, o.price, o.size]),
      [[replaced.order.orderId, ETH_PRICE - 1300n, 2n * ONE]],
    );
    assert.equal((await maker.cancelAll("ETH-PERP")).length, 1);
    assert.equal((await maker.openOrders()).length, 0);
  });

  test("more orders than order-tree slots over time: ids never collide with busy slots", async () => {
    const slots = (await maker.profile()).orderDepth;
    const count = 2 ** slots + 3;
    const ids = new Set<bigint>();
    for (let i = 0; i < count; i++) {
      const r = await maker.placeOrder({
        instrument: 1n,
        side: "buy",
        size: ONE,
        price: ETH_PRICE - 5000n - BigInt(i),
      });
      assert.equal(r.status, "resting");
      ids.add(r.orderId);
      if (i % 2 === 0) await maker.cancelOrder(r.orderId);
    }
    assert.equal(ids.size, count);
    await maker.cancelAll();
  });

  test("refusals are typed: code, HTTP status and the server's message", async () => {
    const tick = await rejection(maker.placeOrder({ instrument: 2n, side: "buy", size: ONE, price: 6_000_005n }));
    assert.equal(tick.code, "TICK_SIZE");
    assert.equal(tick.status, 422);
    const missing = await rejection(maker.cancelOrder(12345n));
    assert.equal(missing.code, "ORDER_NOT_FOUND");
    assert.equal(missing.status, 404);
    const ask = await maker.placeOrder({ instrument: 1n, side: "sell", size: 10n * ONE, price: ETH_PRICE + 100n });
    const margin = await rejection(
      poor.placeOrder({ instrument: 1n, side: "buy", size: 10n * ONE, price: ETH_PRICE + 100n, timeInForce: "IOC" }),
    );
    assert.equal(margin.code, "MARGIN");
    assert.equal(margin.status, 422);
    await maker.cancelOrder(ask.orderId);
    const badAdmin = new TesseraClient({ url: v.url, adminToken: "not-the-operator-token" });
    const unauthorized = await rejection(badAdmin.closeBatch());
    assert.equal(unauthorized.code, "UNAUTHORIZED");
    assert.equal(unauthorized.status, 401);
    const unknown = await rejection(maker.book("DOGE-PERP"));
    assert.equal(unknown.code, "UNKNOWN_INSTRUMENT");
    // Not a TesseraApiError: the venue is unreachable.
    const nowhere = new TesseraClient({ url: "http://127.0.0.1:1" });
    await assert.rejects(
      nowhere.status(),
      (e: unknown) => e instanceof TesseraConnectionError && e.code === "CONNECTION",
    );
  });

  test("a rate-limited account gets RateLimitError with the wait the venue asked for", async () => {
    const small = await startSdkVenue({ orderRatePerSecond: 1, orderBurst: 2 });
    try {
      const trader = await small.trader("limited", 2n);
      // The same trader through a fetch that records the Retry-After header of each reply.
      const retryAfter: (string | null)[] = [];
      const exactMs: (string | null)[] = [];
      const t = new TesseraClient({
        url: small.url,
        key: trader.key,
        accountId: 2n,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          retryAfter.push(res.headers.get("retry-after"));
          exactMs.push(res.headers.get("x-retry-after-ms"));
          return res;
        },
      });
      let error: unknown = null;
      for (let i = 0; i < 4 && error === null; i++) {
        try {
          await t.placeOrder({ instrument: 1n, side: "buy", size: ONE, price: ETH_PRICE - 100n * BigInt(i + 1) });
        } catch (e) {
          error = e;
        }
      }
      assert.ok(error instanceof RateLimitError, `expected RateLimitError, got ${String(error)}`);
      assert.equal(error.code, "RATE_LIMITED");
      assert.equal(error.status, 429);
      assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= 1000, `retryAfterMs ${error.retryAfterMs}`);
      const header = retryAfter.at(-1);
      assert.ok(header !== null && header !== undefined && /^\d+$/.test(header), `Retry-After ${String(header)}`);
      assert.equal(error.retryAfterMs, Number(exactMs.at(-1)), "the wait is the exact X-Retry-After-Ms");
      assert.equal(
        Number(header),
        Math.ceil(error.retryAfterMs / 1000),
        "Retry-After is the same wait in whole seconds",
      );
    } finally {
      await small.close();
    }
  });
});

describe("order ids from the venue's nextOrderId", () => {
  let v: SdkVenue;

  before(async () => {
    v = await startSdkVenue();
  });
  after(async () => {
    await v.close();
  });

  test("the allocator starts at the venue's next id, follows another client of the account, and a restart", async () => {
    const first = await v.trader("ids", 5n);
    assert.equal(await first.nextOrderId(), 1n, "an account that used no id starts at 1");
    // Only the account's own session reads it: it moves with every order the account sends.
    const other = await v.trader("ids-other", 6n);
    const foreign = await fetch(`${v.url}/v1/accounts/5/nextOrderId`, {
      headers: { authorization: `Bearer ${(await other.sessionToken()).token}` },
    });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { code: string }).code, "FORBIDDEN");
    const anonymous = await fetch(`${v.url}/v1/accounts/5/nextOrderId`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: string }).code, "UNAUTHORIZED");
    const quote = { instrument: 1n, side: "buy", size: ONE } as const;
    const a = await first.placeOrder({ ...quote, price: ETH_PRICE - 1000n });
    assert.equal(a.orderId, 1n);
    assert.equal((await first.placeOrder({ ...quote, price: ETH_PRICE - 1100n })).orderId, 2n);
    // A second client of the same account (another process, or the web app) asks the venue and
    // counts on from 3; the first one's next id, 3, is then burned: it resyncs once and retries.
    const second = new TesseraClient({ url: v.url, key: first.key, accountId: 5n });
    assert.equal((await second.placeOrder({ ...quote, price: ETH_PRICE - 1200n })).orderId, 3n);
    assert.equal((await first.placeOrder({ ...quote, price: ETH_PRICE - 1300n })).orderId, 4n);
    // A withdrawal takes its id from the same allocator.
    const w = await second.withdraw(1_000_000n);
    assert.equal(w.orderId, 5n, "the second client resynced from the venue's next id too");
    assert.equal(await first.nextOrderId(), 6n);
    // Every id is far below 2^32, the window of a slot never used.
    assert.ok((await first.openOrders()).every((o) => o.orderId < 1n << 32n));
    await first.cancelAll();
    // A restarted venue answers the same next id; a new client starts there.
    await v.restart();
    const third = new TesseraClient({ url: v.url, key: first.key, accountId: 5n });
    // The first request may meet a keep-alive socket of the stopped server: retry it.
    let next: bigint | undefined;
    for (let i = 0; i < 5 && next === undefined; i++) next = await third.nextOrderId().catch(() => undefined);
    assert.equal(next, 6n);
    assert.equal((await third.placeOrder({ ...quote, price: ETH_PRICE - 1400n })).orderId, 6n);
    // An explicit id out of the window is refused with ORDER_ID_WINDOW (no retry: it was given).
    const far = await rejection(third.placeOrder({ ...quote, price: ETH_PRICE - 1500n, orderId: 1n << 32n }));
    assert.equal(far.code, "ORDER_ID_WINDOW");
    assert.equal(far.status, 422);
  });
});
