/**
 * Unit tests of the SDK's pure parts: the local book's sequence handling, order ids and flags,
 * tick rounding, rate-limit waits, and the bot's quoter (perp skew, option quotes on ticks with
 * greeks, hedges, margin).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EMPTY_POSITION } from "../../protocol/account.ts";
import { FLAG_POST_ONLY, FLAG_REDUCE_ONLY } from "../../protocol/constants.ts";
import { optionId, perpId } from "../../protocol/instruments.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account } from "../../protocol/types.ts";
import { LocalOrderBook } from "../../sdk/book.ts";
import { RateLimitError, retryAfterMs, apiError, TesseraSdkError } from "../../sdk/errors.ts";
import { ceilTo, floorTo, minimumSize, OrderIdAllocator, orderFlags } from "../../sdk/orders.ts";
import { fitsMargin, hedgeOrder, optionModel, quoteOption, quotePerp } from "../../sdk/bot/quoter.ts";
import type { OptionParams } from "../../sdk/bot/quoter.ts";
import { DEFAULT_SURFACE, VolSurface } from "../../sdk/bot/volsurface.ts";
import type { Market } from "../../sdk/wire.ts";

const level = (price: bigint, size: bigint) => ({ price, size, orders: 1 });

describe("local order book", () => {
  test("applies a snapshot, then deltas in sequence; stale deltas change nothing", () => {
    const book = new LocalOrderBook(1n);
    assert.equal(book.applyDelta({ seq: 1n, changes: [] }), "unsynced");
    book.applySnapshot({ seq: 10n, bids: [level(99n, 5n), level(98n, 1n)], asks: [level(101n, 2n)] });
    assert.equal(
      book.applyDelta({
        seq: 11n,
        changes: [
          { side: Side.BUY, price: 100n, size: 3n },
          { side: Side.BUY, price: 99n, size: 0n },
        ],
      }),
      "applied",
    );
    assert.deepEqual(book.levels(Side.BUY), [
      { price: 100n, size: 3n },
      { price: 98n, size: 1n },
    ]);
    assert.equal(book.applyDelta({ seq: 11n, changes: [{ side: Side.SELL, price: 101n, size: 0n }] }), "stale");
    assert.deepEqual(book.bestAsk(), { price: 101n, size: 2n });
    assert.equal(book.seq, 11n);
  });

  test("a skipped sequence number is a gap: the book is out of sync until the next snapshot", () => {
    const book = new LocalOrderBook(1n);
    book.applySnapshot({ seq: 5n, bids: [level(99n, 5n)], asks: [] });
    assert.equal(book.applyDelta({ seq: 7n, changes: [{ side: Side.SELL, price: 105n, size: 1n }] }), "gap");
    assert.equal(book.synced, false);
    assert.equal(book.bestAsk(), null, "the gapped delta was not applied");
    assert.equal(book.applyDelta({ seq: 8n, changes: [] }), "unsynced");
    book.applySnapshot({ seq: 8n, bids: [], asks: [level(105n, 1n)] });
    assert.equal(book.synced, true);
    assert.equal(book.bestBid(), null);
  });

  test("asks sort ascending and bids descending, whatever order the deltas came in", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(0 as const, 1 as const),
            fc.bigInt({ min: 1n, max: 1000n }),
            fc.bigInt({ min: 0n, max: 9n }),
          ),
          { maxLength: 60 },
        ),
        (changes) => {
          const book = new LocalOrderBook(1n);
          book.applySnapshot({ seq: 0n, bids: [], asks: [] });
          const model = [new Map<bigint, bigint>(), new Map<bigint, bigint>()];
          changes.forEach(([side, price, size], i) => {
            book.applyDelta({ seq: BigInt(i + 1), changes: [{ side, price, size }] });
            if (size === 0n) model[side]!.delete(price);
            else model[side]!.set(price, size);
          });
          const bids = book.levels(Side.BUY);
          const asks = book.levels(Side.SELL);
          assert.ok(bids.every((l, i) => i === 0 || bids[i - 1]!.price > l.price));
          assert.ok(asks.every((l, i) => i === 0 || asks[i - 1]!.price < l.price));
          assert.equal(bids.length, model[0]!.size);
          assert.ok(asks.every((l) => model[1]!.get(l.price) === l.size));
        },
      ),
    );
  });
});

describe("orders", () => {
  test("ids start at the venue's next id, increase, and skip busy order-tree slots", () => {
    // The venue's nextOrderId for the account: 1 + the highest id it has seen from it.
    const a = new OrderIdAllocator(4, 33n);
    const first = a.next();
    assert.equal(first, 33n);
    assert.equal(a.slotOf(first), 1n);
    const next = a.next(new Set([2n, 3n]));
    assert.equal(next, 36n);
    assert.equal(a.slotOf(next), 4n);
    a.observe(next + 100n);
    assert.equal(a.next(), next + 101n);
    // An observed id below the last handed out changes nothing.
    a.observe(5n);
    assert.equal(a.next(), next + 102n);
    assert.throws(() => a.next(new Set(Array.from({ length: 16 }, (_, i) => BigInt(i)))), TesseraSdkError);
    // A restarted process asks the venue again: it starts above every id the venue saw.
    assert.equal(new OrderIdAllocator(4, next + 103n).next(), next + 103n);
    // A fresh account's ids (venue next 1) stay far below 2^32, the window of an empty slot.
    assert.equal(new OrderIdAllocator(12, 1n).next(), 1n);
    assert.throws(() => new OrderIdAllocator(4, 0n), TesseraSdkError);
    assert.throws(() => new OrderIdAllocator(4, 1n << 48n), TesseraSdkError);
  });

  test("flags: reduce-only bit 0, post-only bit 1, time in force in bits 2-3", () => {
    assert.equal(orderFlags({}), 0n);
    assert.equal(orderFlags({ reduceOnly: true }), FLAG_REDUCE_ONLY);
    assert.equal(orderFlags({ postOnly: true }), FLAG_POST_ONLY);
    assert.equal(orderFlags({ timeInForce: "IOC" }), 4n);
    assert.equal(orderFlags({ timeInForce: "FOK", reduceOnly: true }), 9n);
  });

  test("tick rounding: floor toward −∞, ceil toward +∞, exact multiples unchanged", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -1_000_000_000_000n, max: 1_000_000_000_000n }),
        fc.bigInt({ min: 1n, max: 10_000n }),
        (v, step) => {
          const f = floorTo(v, step);
          const c = ceilTo(v, step);
          assert.ok(f <= v && v - f < step && f % step === 0n);
          assert.ok(c >= v && c - v < step && c % step === 0n);
        },
      ),
    );
  });

  test("rate-limit waits come from Retry-After, else the message, else one second", () => {
    assert.equal(retryAfterMs("2", "whatever"), 2000);
    assert.equal(retryAfterMs(null, "account 2 exceeds 1 requests per second (burst 2): retry in 734 ms"), 734);
    assert.equal(retryAfterMs(null, "slow down"), 1000);
    const e = apiError("RATE_LIMITED", 429, "retry in 5 ms", null);
    assert.ok(e instanceof RateLimitError && e.retryAfterMs === 5 && e.status === 429);
    assert.ok(!(apiError("MARGIN", 422, "no", null) instanceof RateLimitError));
  });
});

// --- quoter ------------------------------------------------------------------------------------

const NOW = 1_795_132_800n; // 2026-11-20 00:00 UTC
const EXPIRY = NOW + 7n * 86_400n + 8n * 3600n;
const INDEX = 300_000n; // 3,000.00 USD

const perp: Market = {
  instrument: perpId(1),
  name: "ETH-PERP",
  kind: "perp",
  underlying: 1,
  strike: 0n,
  expiry: 0n,
  tickSize: 1n,
  lotSize: 10n,
  minSize: 10n,
  minNotional: 10_000_000n,
  status: "active",
  settlementPrice: null,
};

function option(kind: "call" | "put", strike: bigint): Market {
  return {
    instrument: optionId(1, kind === "call" ? InstrumentKind.CALL : InstrumentKind.PUT, strike, EXPIRY),
    name: `ETH-${kind}-${strike}`,
    kind,
    underlying: 1,
    strike,
    expiry: EXPIRY,
    tickSize: 10n,
    lotSize: 100n,
    minSize: 100n,
    minNotional: 10_000_000n,
    status: "active",
    settlementPrice: null,
  };
}

const surface = new VolSurface(DEFAULT_SURFACE);
const optionParams: OptionParams = {
  volSpread: 0.03,
  minSpreadTicks: 1n,
  size: 10_000n,
  maxPosition: 100_000n,
  skewVolAtMax: 0.05,
  minSecondsToExpiry: 3600n,
  rate: 0,
};
const perpParams = { halfSpreadBps: 10n, size: 10_005n, maxDelta: 100_000n, skewBpsAtMax: 20n };

describe("quoter", () => {
  test("perp quotes straddle the index on ticks and lots, and skew against net delta", () => {
    const flat = quotePerp(perp, INDEX, 0n, perpParams);
    assert.equal(flat.theo, INDEX);
    assert.deepEqual([flat.bid!.price, flat.ask!.price], [299_700n, 300_300n]);
    assert.equal(flat.bid!.size, 10_000n, "rounded down to the lot");
    const long = quotePerp(perp, INDEX, 50_000n, perpParams);
    assert.ok(long.ask!.price < flat.ask!.price && long.bid!.price < flat.bid!.price, "long: quotes lower to sell");
    const short = quotePerp(perp, INDEX, -50_000n, perpParams);
    assert.ok(short.bid!.price > flat.bid!.price, "short: quotes higher to buy");
    const full = quotePerp(perp, INDEX, 100_000n, perpParams);
    assert.equal(full.bid, null, "at the delta limit the adding side stops");
    assert.notEqual(full.ask, null);
  });

  test("option quotes: bid < theo < ask on the tick, greeks of the model, no quote near expiry", () => {
    for (const m of [option("call", 300_000n), option("put", 280_000n), option("call", 330_000n)]) {
      const q = quoteOption(m, INDEX, NOW, 0n, surface, optionParams)!;
      assert.ok(
        q.bid!.price < q.theo && q.theo < q.ask!.price,
        `${m.name}: ${q.bid!.price} < ${q.theo} < ${q.ask!.price}`,
      );
      assert.equal(q.bid!.price % m.tickSize, 0n);
      assert.equal(q.ask!.price % m.tickSize, 0n);
      const model = optionModel(m, INDEX, NOW, surface, 0);
      assert.equal(q.vol, model.vol);
      assert.deepEqual(q.greeks, model.greeks);
      assert.ok(m.kind === "call" ? q.greeks.delta > 0 : q.greeks.delta < 0);
      assert.ok(q.greeks.gamma > 0 && q.greeks.vega > 0 && q.greeks.theta < 0);
    }
    const atm = quoteOption(option("call", 300_000n), INDEX, NOW, 0n, surface, optionParams)!;
    // 7.33 days, ~64% vol: ATM call ≈ 0.4·S·σ·√T ≈ 108 USD.
    assert.ok(atm.theo > 9_000n && atm.theo < 12_000n, `ATM theo ${atm.theo}`);
    assert.equal(quoteOption(option("call", 300_000n), INDEX, EXPIRY - 60n, 0n, surface, optionParams), null);
  });

  test("an option position skews the quotes in vol and stops the adding side at its limit", () => {
    const m = option("put", 290_000n);
    const flat = quoteOption(m, INDEX, NOW, 0n, surface, optionParams)!;
    const long = quoteOption(m, INDEX, NOW, 50_000n, surface, optionParams)!;
    assert.ok(long.vol! < flat.vol! && long.ask!.price <= flat.ask!.price);
    assert.equal(quoteOption(m, INDEX, NOW, 100_000n, surface, optionParams)!.bid, null);
    assert.equal(quoteOption(m, INDEX, NOW, -100_000n, surface, optionParams)!.ask, null);
  });

  test("a hedge sells positive delta and buys negative delta outside the band, on the perp's ticks", () => {
    assert.equal(hedgeOrder(perp, INDEX, 0.4, 0.5, 50n), null);
    const sell = hedgeOrder(perp, INDEX, 1.23456, 0.5, 50n)!;
    assert.deepEqual(sell, { instrument: perp.instrument, side: "sell", price: 298_500n, size: 12_340n });
    const buy = hedgeOrder(perp, INDEX, -2, 0.5, 50n)!;
    assert.deepEqual([buy.side, buy.price, buy.size], ["buy", 301_500n, 20_000n]);
  });

  test("the venue's minimum notional: the smallest size at a price, quotes raised to it, small hedges held", () => {
    // 10 USD at 3,000 USD is 0.00334 ETH, rounded up to the 0.001 lot; never below the minimum size.
    assert.equal(minimumSize(perp, INDEX), 40n);
    assert.equal(minimumSize(perp, 100_000_000n), perp.minSize);
    assert.equal(minimumSize({ ...perp, minNotional: 0n }, INDEX), perp.minSize);
    for (const price of [1n, 10n, 333n, INDEX - 1n, INDEX, INDEX + 1n, 1_000_000n, 100_000_000n]) {
      const least = minimumSize(perp, price);
      assert.ok(least * price >= perp.minNotional && least % perp.lotSize === 0n, `${least} at ${price}`);
      assert.ok(least === perp.minSize || (least - perp.lotSize) * price < perp.minNotional, "and no smaller");
    }
    // A far out-of-the-money option quoted for 1 contract: each side carries at least 10 USD.
    const far = option("call", 450_000n);
    const q = quoteOption(far, INDEX, NOW, 0n, surface, optionParams)!;
    for (const side of [q.bid, q.ask]) {
      if (side === null) continue;
      assert.ok(side.size * side.price >= far.minNotional, `${side.side} ${side.size} at ${side.price}`);
      assert.ok(side.size > optionParams.size, "raised above the configured size");
    }
    assert.ok(q.ask !== null);
    // A hedge below the minimum (0.002 ETH, 6 USD) waits for more delta.
    assert.equal(hedgeOrder(perp, INDEX, 0.002, 0.001, 50n), null);
    assert.notEqual(hedgeOrder(perp, INDEX, 0.004, 0.001, 50n), null);
  });

  test("margin: a quote is kept only if its full fill would keep the buffer over initial margin", () => {
    const positions = [EMPTY_POSITION, EMPTY_POSITION, EMPTY_POSITION, EMPTY_POSITION];
    const account = (collateral: bigint): Account => ({ pkHash: 0n, owner: 0n, collateral, orderRoot: 0n, positions });
    const marks = { prices: [INDEX, 6_000_000n], fundingIndex: [0n, 0n] };
    const bid = { instrument: perp.instrument, side: "buy" as const, price: INDEX, size: 10_000n };
    // 1 ETH at 3,000 USD needs 300 USD of initial margin; with a 150% buffer, 450 USD.
    assert.equal(fitsMargin(account(460_000_000n), marks, bid, 15_000n), true);
    assert.equal(fitsMargin(account(440_000_000n), marks, bid, 15_000n), false);
    assert.equal(fitsMargin(account(310_000_000n), marks, bid, 10_000n), true);
    // A short call needs margin; a long one only its premium.
    const call = option("call", 300_000n);
    const shortCall = { instrument: call.instrument, side: "sell" as const, price: 10_000n, size: 10_000n };
    assert.equal(fitsMargin(account(400_000_000n), marks, shortCall, 15_000n), false);
    assert.equal(fitsMargin(account(400_000_000n), marks, { ...shortCall, side: "buy" }, 15_000n), true);
    // No free position slot: refused whatever the collateral.
    const full: Account = {
      ...account(1_000_000_000_000n),
      positions: [2n, 3n, 4n, 5n].map((i) => ({
        instrument: optionId(1, InstrumentKind.PUT, i * 100_000n, EXPIRY),
        size: 100n,
        cost: 1000n,
      })),
    };
    assert.equal(fitsMargin(full, marks, bid, 10_000n), false);
  });
});
