import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  FLAG_POST_ONLY,
  FLAG_REDUCE_ONLY,
  InstrumentKind,
  INSURANCE_ACCOUNT,
  largestLiquidation,
  optionId,
  perpId,
  TxType,
} from "../../protocol/index.ts";
import type { Tx } from "../../protocol/index.ts";
import {
  BTC,
  BTC_PRICE,
  checkWitness,
  ctx,
  ETH,
  ETH_PRICE,
  keyOf,
  rejects,
  sign,
  T0,
  TEST,
  tradeTx,
  UNIT,
  USDC,
  world,
  buy,
  sell,
} from "./fixtures.ts";

const fee = (q: bigint, p: bigint, bps: bigint) => (q * p * bps) / 10_000n;
const BIG = 100_000n * USDC;

describe("trades (§6.3)", () => {
  test("fills summing exactly to the order size pass, one unit over is OVERFILL", () => {
    const s = world([BIG, BIG]);
    const maker = sell(2n);
    const taker = buy(3n);
    const w1 = s.applyTx(tradeTx(maker, taker, 6000n, ETH_PRICE), ctx());
    checkWitness(w1, TEST);
    const w2 = s.applyTx(tradeTx(maker, taker, 4000n, ETH_PRICE), ctx());
    checkWitness(w2, TEST);
    assert.equal(w2.orderA?.storedFilled, 6000n);
    assert.deepEqual(s.orderState(2n, 1n), { orderId: 1n, filled: UNIT });
    rejects(s, "OVERFILL", () => s.applyTx(tradeTx(maker, taker, 1n, ETH_PRICE), ctx()));
    assert.deepEqual(s.account(3n).positions[0], { instrument: ETH, size: UNIT, cost: UNIT * ETH_PRICE });
    assert.deepEqual(s.account(2n).positions[0], { instrument: ETH, size: -UNIT, cost: -UNIT * ETH_PRICE });
  });

  test("witness roles: A = maker, B = taker, fees to the pool, public data", () => {
    const s = world([BIG, BIG]);
    const w = s.applyTx(tradeTx(sell(2n, { orderId: 7n }), buy(3n, { orderId: 9n }), UNIT, ETH_PRICE), ctx());
    assert.deepEqual([w.a.accountId, w.b.accountId, w.posSlotA, w.posSlotB], [2n, 3n, 0, 0]);
    assert.equal(w.a.after.collateral, BIG - fee(UNIT, ETH_PRICE, 2n));
    assert.equal(w.b.after.collateral, BIG - fee(UNIT, ETH_PRICE, 5n));
    assert.equal(w.globalAfter.feePool, fee(UNIT, ETH_PRICE, 7n));
    const [f0, f1] = w.publicData;
    // The instrument is entry 0 of the batch's instrument table (§8): the only one named so far.
    assert.equal(f0, 4n + (2n << 4n) + (3n << 28n) + (UNIT << 52n) + (ETH_PRICE << 84n) + (0n << 116n) + (0n << 117n));
    assert.equal(f1, 7n + (9n << 32n));
  });

  test("the fill price must lie within both limits (PRICE_LIMIT); the limits themselves are fine", () => {
    const s = world([BIG, BIG]);
    const maker = sell(2n, { price: 299_000n });
    const taker = buy(3n, { price: 301_000n });
    rejects(s, "PRICE_LIMIT", () => s.applyTx(tradeTx(maker, taker, 1n, 301_001n), ctx()));
    rejects(s, "PRICE_LIMIT", () => s.applyTx(tradeTx(maker, taker, 1n, 298_999n), ctx()));
    s.applyTx(tradeTx(maker, taker, 1n, 301_000n), ctx());
    s.applyTx(tradeTx(maker, taker, 1n, 299_000n), ctx());
    assert.equal(s.account(3n).positions[0]?.size, 2n);
  });

  test("a fill posts q and p in 32 bits (§7): 2^32 − 1 lots or ticks pass the width, 2^32 is OUT_OF_RANGE", () => {
    const s = world([BIG, BIG]);
    const MAX32 = (1n << 32n) - 1n;
    const big = { size: 1n << 40n, price: 1n << 39n };
    const maker = sell(2n, { ...big, price: 1n });
    const taker = buy(3n, big);
    rejects(s, "OUT_OF_RANGE", () => s.applyTx(tradeTx(maker, taker, MAX32 + 1n, 300_000n), ctx()));
    rejects(s, "OUT_OF_RANGE", () => s.applyTx(tradeTx(maker, taker, 1n, MAX32 + 1n), ctx()));
    // The message names the value (written only when the check fails, protocol/errors.ts `ensure`).
    assert.throws(
      () => s.applyTx(tradeTx(maker, taker, MAX32 + 1n, 300_000n), ctx()),
      (e: unknown) =>
        e instanceof Error && e.message.startsWith("OUT_OF_RANGE: ") && e.message.includes(`${MAX32 + 1n}`),
    );
    // At 2^32 − 1 the width passes: 2^32 − 1 lots fail on margin, one lot at 2^32 − 1 ticks fills.
    rejects(s, "MARGIN", () => s.applyTx(tradeTx(maker, taker, MAX32, 300_000n), ctx()));
    const w = s.applyTx(tradeTx(maker, taker, 1n, MAX32), ctx());
    assert.equal(w.publicData[0] >> 84n, MAX32, "p at the top of its 32 bits, takerSide and the index 0 above it");
  });

  test("same side, different instruments and self-trades are refused", () => {
    const s = world([BIG, BIG]);
    rejects(s, "SIDE_MISMATCH", () => s.applyTx(tradeTx(buy(2n), buy(3n), 1n, ETH_PRICE), ctx()));
    rejects(s, "INSTRUMENT_MISMATCH", () =>
      s.applyTx(tradeTx(sell(2n), buy(3n, { instrument: BTC }), 1n, ETH_PRICE), ctx()),
    );
    rejects(s, "SELF_TRADE", () => s.applyTx(tradeTx(sell(2n), buy(2n, { orderId: 2n }), 1n, ETH_PRICE), ctx()));
  });

  test("a post-only order can make but not take (POST_ONLY_TAKER)", () => {
    const s = world([BIG, BIG]);
    rejects(s, "POST_ONLY_TAKER", () =>
      s.applyTx(tradeTx(sell(2n), buy(3n, { flags: FLAG_POST_ONLY }), 1n, ETH_PRICE), ctx()),
    );
    s.applyTx(tradeTx(sell(2n, { flags: FLAG_POST_ONLY }), buy(3n), 1n, ETH_PRICE), ctx());
    assert.equal(s.account(3n).positions[0]?.size, 1n);
  });

  test("an order expired before the batch time is ORDER_EXPIRED; expiry = t is still valid", () => {
    const s = world([BIG, BIG]);
    rejects(s, "ORDER_EXPIRED", () => s.applyTx(tradeTx(sell(2n, { expiry: T0 - 1n }), buy(3n), 1n, ETH_PRICE), ctx()));
    rejects(s, "ORDER_EXPIRED", () => s.applyTx(tradeTx(sell(2n), buy(3n, { expiry: T0 - 1n }), 1n, ETH_PRICE), ctx()));
    s.applyTx(tradeTx(sell(2n, { expiry: T0 }), buy(3n, { expiry: T0 }), 1n, ETH_PRICE), ctx());
  });

  test("expired, invalid and withdrawal instruments cannot trade", () => {
    const s = world([BIG, BIG]);
    const option = optionId(1, InstrumentKind.CALL, 300_000n, T0);
    rejects(s, "INSTRUMENT_EXPIRED", () =>
      s.applyTx(tradeTx(sell(2n, { instrument: option }), buy(3n, { instrument: option }), 1n, 100n), ctx()),
    );
    for (const instrument of [perpId(3), 0n]) {
      rejects(s, "BAD_INSTRUMENT", () =>
        s.applyTx(tradeTx(sell(2n, { instrument }), buy(3n, { instrument }), 1n, 1n), ctx()),
      );
    }
  });

  test("a signature by another key, or of another order, is BAD_SIGNATURE", () => {
    const s = world([BIG, BIG]);
    const forged: Tx = {
      type: TxType.TRADE,
      maker: sign(sell(2n), undefined, keyOf(3n)),
      taker: sign(buy(3n)),
      size: 1n,
      price: ETH_PRICE,
    };
    rejects(s, "BAD_SIGNATURE", () => s.applyTx(forged, ctx()));
    const signed = sign(buy(3n));
    const altered: Tx = {
      type: TxType.TRADE,
      maker: sign(sell(2n)),
      taker: { ...signed, order: { ...signed.order, size: 2n * UNIT } },
      size: 1n,
      price: ETH_PRICE,
    };
    rejects(s, "BAD_SIGNATURE", () => s.applyTx(altered, ctx()));
  });

  test("a newer order id evicts an older one from its slot; the older is then ORDER_SLOT_REUSED", () => {
    const s = world([BIG, BIG]);
    // orderDepth 2: ids 1 and 5 share slot 1.
    s.applyTx(tradeTx(sell(2n, { orderId: 1n }), buy(3n, { orderId: 1n }), 1n, ETH_PRICE), ctx());
    const w = s.applyTx(tradeTx(sell(2n, { orderId: 5n }), buy(3n, { orderId: 2n }), 1n, ETH_PRICE), ctx());
    assert.deepEqual([w.orderA?.storedId, w.orderA?.storedFilled], [1n, 1n]);
    checkWitness(w, TEST);
    assert.equal(s.filledOf(2n, 5n), 1n);
    assert.equal(s.filledOf(2n, 1n), null);
    rejects(s, "ORDER_SLOT_REUSED", () =>
      s.applyTx(tradeTx(sell(2n, { orderId: 1n }), buy(3n, { orderId: 3n }), 1n, ETH_PRICE), ctx()),
    );
  });

  test("an id up to 2^32 − 1 above the one its slot holds passes; 2^32 above is ORDER_ID_WINDOW", () => {
    const s = world([BIG, BIG]);
    const W = 1n << 32n;
    const trade = (makerId: bigint, takerId: bigint) =>
      tradeTx(sell(2n, { orderId: makerId }), buy(3n, { orderId: takerId }), 1n, ETH_PRICE);
    // orderDepth 2: ids ≡ 1 mod 4 share slot 1. An empty slot holds 0, so its first id is below 2^32.
    rejects(s, "ORDER_ID_WINDOW", () => s.applyTx(trade(W + 1n, 1n), ctx()));
    const first = s.applyTx(trade(W - 3n, 1n), ctx());
    checkWitness(first, TEST);
    // From W − 3 the window reaches 2W − 4; 2W + 1 (ahead exactly 2^32 + 4) and 2W − 3 (2^32) are refused.
    rejects(s, "ORDER_ID_WINDOW", () => s.applyTx(trade(2n * W + 1n, 2n), ctx()));
    rejects(s, "ORDER_ID_WINDOW", () => s.applyTx(trade(2n * W - 3n, 2n), ctx()));
    const edge = s.applyTx(trade(2n * W - 7n, 2n), ctx());
    checkWitness(edge, TEST);
    assert.deepEqual([edge.orderA?.storedId, edge.publicData[1] & (W - 1n)], [W - 3n, W - 7n]);
    assert.deepEqual(s.orderState(2n, 1n), { orderId: 2n * W - 7n, filled: 1n });
  });

  test("unregistered accounts cannot trade (UNKNOWN_ACCOUNT)", () => {
    const s = world([BIG]);
    rejects(s, "UNKNOWN_ACCOUNT", () => s.applyTx(tradeTx(sell(2n), buy(3n), 1n, ETH_PRICE), ctx()));
  });
});

describe("reduce-only (§6.3.9)", () => {
  test("shrinking passes; growing, flipping or opening is REDUCE_ONLY", () => {
    const s = world([BIG, BIG, BIG]);
    rejects(s, "REDUCE_ONLY", () =>
      s.applyTx(tradeTx(sell(2n), buy(3n, { flags: FLAG_REDUCE_ONLY }), 1n, ETH_PRICE), ctx()),
    );
    s.applyTx(tradeTx(sell(2n), buy(3n), 100n, ETH_PRICE), ctx());
    // Account 3 is long 100.
    rejects(s, "REDUCE_ONLY", () =>
      s.applyTx(tradeTx(sell(4n), buy(3n, { orderId: 2n, flags: FLAG_REDUCE_ONLY }), 1n, ETH_PRICE), ctx()),
    );
    rejects(s, "REDUCE_ONLY", () =>
      s.applyTx(tradeTx(buy(4n), sell(3n, { orderId: 3n, flags: FLAG_REDUCE_ONLY }), 101n, ETH_PRICE), ctx()),
    );
    s.applyTx(tradeTx(buy(4n), sell(3n, { orderId: 3n, flags: FLAG_REDUCE_ONLY }), 60n, ETH_PRICE), ctx());
    s.applyTx(tradeTx(buy(4n), sell(3n, { orderId: 3n, flags: FLAG_REDUCE_ONLY }), 40n, ETH_PRICE), ctx());
    assert.equal(s.account(3n).positions[0]?.size, 0n);
  });
});

describe("margin on trades (§6.3.10)", () => {
  // Buying 1 ETH at 3,000 needs IM = 300 USDC plus the 1.5 USDC taker fee.
  const needed = (UNIT * ETH_PRICE) / 10n + fee(UNIT, ETH_PRICE, 5n);

  test("exactly enough collateral passes; one unit less is MARGIN", () => {
    const ok = world([BIG, needed]);
    ok.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    assert.equal(ok.account(3n).collateral, (UNIT * ETH_PRICE) / 10n);
    const short = world([BIG, needed - 1n]);
    rejects(short, "MARGIN", () => short.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx()));
  });

  test("below IM, a reducing trade passes while equity ≥ 0 and an increasing one is MARGIN", () => {
    const s = world([BIG, needed, BIG]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    const lower = ctx({ prices: [290_000n, BTC_PRICE] });
    rejects(s, "MARGIN", () =>
      s.applyTx(tradeTx(sell(4n, { price: 290_000n }), buy(3n, { orderId: 2n }), 1n, 290_000n), lower),
    );
    s.applyTx(tradeTx(buy(4n), sell(3n, { orderId: 3n, price: 290_000n }), UNIT / 2n, 290_000n), lower);
    assert.equal(s.account(3n).positions[0]?.size, UNIT / 2n);
  });

  test("finding F2: the insurance fund cannot open positions by trading, at any price", () => {
    const s = world([BIG, BIG]);
    rejects(s, "REDUCE_ONLY", () => s.applyTx(tradeTx(sell(2n), buy(INSURANCE_ACCOUNT), UNIT, ETH_PRICE), ctx()));
    // The original attack: the fund sells at an absurd price to a colluder (who buys back at the oracle).
    rejects(s, "REDUCE_ONLY", () =>
      s.applyTx(tradeTx(sell(INSURANCE_ACCOUNT, { price: 1n }), buy(2n, { price: 1n }), UNIT, 1n), ctx()),
    );
  });

  test("finding F2: the fund reduces a liquidated position only within FUND_BAND_BPS of the mark", () => {
    const s = world([BIG, BIG, 300n * USDC + fee(UNIT, ETH_PRICE, 5n)]);
    s.applyTx(tradeTx(sell(2n), buy(4n), UNIT, ETH_PRICE), ctx());
    const low = ctx({ prices: [280_000n, BTC_PRICE] });
    const q = largestLiquidation(s.account(4n), ETH, s.marks(low.prices));
    s.applyTx({ type: TxType.LIQUIDATE, accountId: 4n, instrument: ETH, size: q }, low);
    // 5% of 2,800 is 140: the fund may sell at 2,660 .. 2,940, not a cent beyond.
    rejects(s, "PRICE_BAND", () =>
      s.applyTx(tradeTx(buy(3n, { price: 265_999n }), sell(INSURANCE_ACCOUNT, { price: 265_999n }), q, 265_999n), low),
    );
    rejects(s, "PRICE_BAND", () =>
      s.applyTx(tradeTx(buy(3n, { price: 294_001n }), sell(INSURANCE_ACCOUNT, { price: 294_001n }), q, 294_001n), low),
    );
    s.applyTx(
      tradeTx(buy(3n, { price: 266_000n }), sell(INSURANCE_ACCOUNT, { price: 266_000n }), q / 2n, 266_000n),
      low,
    );
    s.applyTx(
      tradeTx(
        buy(3n, { price: 294_000n, orderId: 2n }),
        sell(INSURANCE_ACCOUNT, { price: 294_000n, orderId: 2n }),
        1n,
        294_000n,
      ),
      low,
    );
    assert.equal(s.account(INSURANCE_ACCOUNT).positions[0]?.size, q - q / 2n - 1n);
  });

  test("finding F10: an account below IM cannot strip its equity by reducing at an absurd price", () => {
    const s = world([BIG, needed, BIG]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    const lower = ctx({ prices: [290_000n, BTC_PRICE] });
    // Equity 200, MM 145 USDC at 2,900. Selling half the long at 2,600 to a friend moves 150 USDC
    // of equity out and leaves the account solvent (equity ≈ 50), which the old rule allowed; its
    // maintenance headroom falls from 55 to about −22.5 USDC, so it is refused.
    rejects(s, "MARGIN", () =>
      s.applyTx(
        tradeTx(buy(4n, { price: 260_000n }), sell(3n, { orderId: 3n, price: 260_000n }), UNIT / 2n, 260_000n),
        lower,
      ),
    );
    // At the mark the same reduction raises the maintenance headroom and passes.
    s.applyTx(tradeTx(buy(4n), sell(3n, { orderId: 4n, price: 290_000n }), UNIT / 2n, 290_000n), lower);
  });
});

describe("positions and cost (§6.1)", () => {
  test("closing realises PnL into collateral and clears the slot", () => {
    const s = world([BIG, BIG, BIG]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    s.applyTx(
      tradeTx(buy(4n, { price: 310_000n }), sell(3n, { orderId: 2n, price: 310_000n }), UNIT, 310_000n),
      ctx({ prices: [310_000n, BTC_PRICE] }),
    );
    const a = s.account(3n);
    assert.deepEqual(a.positions[0], { instrument: 0n, size: 0n, cost: 0n });
    assert.equal(a.collateral, BIG + 100n * USDC - fee(UNIT, ETH_PRICE, 5n) - fee(UNIT, 310_000n, 5n));
  });

  test("perp cost records p − F; option cost records the premium", () => {
    const s = world([BIG, BIG]);
    s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 300n }, ctx());
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    assert.equal(s.account(3n).positions[0]?.cost, UNIT * (ETH_PRICE - 300n));
    const call = optionId(1, InstrumentKind.CALL, 320_000n, T0 + 86_400n);
    s.applyTx(
      tradeTx(
        sell(2n, { instrument: call, orderId: 2n, price: 5_000n }),
        buy(3n, { instrument: call, orderId: 2n, price: 5_000n }),
        UNIT,
        5_000n,
      ),
      ctx(),
    );
    assert.deepEqual(s.account(3n).positions[1], { instrument: call, size: UNIT, cost: UNIT * 5_000n });
    assert.equal(s.account(2n).positions[1]?.cost, -UNIT * 5_000n);
  });

  test("a third instrument with two slots is NO_POSITION_SLOT", () => {
    const s = world([BIG, BIG]);
    s.applyTx(tradeTx(sell(2n), buy(3n), 1n, ETH_PRICE), ctx());
    s.applyTx(
      tradeTx(
        sell(2n, { instrument: BTC, orderId: 2n, price: BTC_PRICE }),
        buy(3n, { instrument: BTC, orderId: 2n, price: BTC_PRICE }),
        1n,
        BTC_PRICE,
      ),
      ctx(),
    );
    const call = optionId(1, InstrumentKind.CALL, 320_000n, T0 + 86_400n);
    rejects(s, "NO_POSITION_SLOT", () =>
      s.applyTx(
        tradeTx(
          sell(2n, { instrument: call, orderId: 3n, price: 1n }),
          buy(3n, { instrument: call, orderId: 3n, price: 1n }),
          1n,
          1n,
        ),
        ctx(),
      ),
    );
  });
});
