import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  equity,
  InstrumentKind,
  INSURANCE_ACCOUNT,
  largestLiquidation,
  maintenanceHeadroomScaled,
  optionId,
  TxType,
} from "../../protocol/index.ts";
import type { BatchContext, RollupState, Tx } from "../../protocol/index.ts";
import {
  BTC,
  BTC_PRICE,
  checkWitness,
  ownerOf,
  pkHashOf,
  ctx,
  ETH,
  ETH_PRICE,
  rejects,
  T0,
  TEST,
  tradeTx,
  UNIT,
  USDC,
  world,
  buy,
  sell,
} from "./fixtures.ts";

const BIG = 100_000n * USDC;
const at = (ethPrice: bigint, over: Partial<BatchContext> = {}) => ctx({ prices: [ethPrice, BTC_PRICE], ...over });
const liquidate = (accountId: bigint, size: bigint, instrument = ETH, insurance?: bigint): Tx => ({
  type: TxType.LIQUIDATE,
  accountId,
  instrument,
  size,
  ...(insurance === undefined ? {} : { insurance }),
});

/** Account 3 long 1 ETH at 3,000 with exactly 300 USDC of collateral left (the IM). */
function leveragedLong(): RollupState {
  const s = world([BIG, 300n * USDC + (UNIT * ETH_PRICE * 5n) / 10_000n]);
  s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
  assert.equal(s.account(3n).collateral, 300n * USDC);
  return s;
}

describe("liquidation (§6.4)", () => {
  test("a healthy account is ACCOUNT_HEALTHY, down to one cent above the MM price", () => {
    const s = leveragedLong();
    rejects(s, "ACCOUNT_HEALTHY", () => s.applyTx(liquidate(3n, UNIT), ctx()));
    // equity = MM where 300 − (3000 − x) = 0.05·x, x = 2,842.105… USDC.
    rejects(s, "ACCOUNT_HEALTHY", () => s.applyTx(liquidate(3n, UNIT), at(284_211n)));
    assert.equal(s.dryRun(liquidate(3n, 1n), at(284_210n)).liquidationPrice, 284_210n);
  });

  test("below MM the position moves to the insurance fund at mark, with the penalty", () => {
    const s = leveragedLong();
    // At 2,800: equity 100, MM 140 USDC. Each whole unit liquidated releases 140 of MM and costs
    // a 28 USDC penalty (20% of it): 40 / 112 of a unit restores MM, so 3,572 units is the most.
    const q = largestLiquidation(s.account(3n), ETH, s.marks([280_000n, BTC_PRICE]));
    assert.equal(q, 3_572n);
    const w = s.applyTx(liquidate(3n, q), at(280_000n));
    checkWitness(w, TEST);
    assert.deepEqual([w.a.accountId, w.b.accountId, w.liquidationPrice], [INSURANCE_ACCOUNT, 3n, 280_000n]);
    const penalty = (q * 280_000n * 500n * 2_000n) / 10n ** 8n;
    assert.equal(s.account(3n).collateral, 300n * USDC - penalty);
    assert.deepEqual(s.account(3n).positions[0], {
      instrument: ETH,
      size: UNIT - q,
      cost: UNIT * ETH_PRICE - q * 280_000n,
    });
    const ins = s.account(INSURANCE_ACCOUNT);
    assert.deepEqual(ins.positions[0], { instrument: ETH, size: q, cost: q * 280_000n });
    assert.equal(ins.collateral, penalty);
    const [f0, f1] = w.publicData;
    assert.equal(f0, 5n + (1n << 4n) + (3n << 28n) + (q << 52n) + (1n << 100n) + (0n << 101n));
    assert.equal(f1, 280_000n, "p = X");
    assert.equal(s.globalState.feePool, (UNIT * ETH_PRICE * 7n) / 10_000n, "no fees on liquidations");
    assert.ok(maintenanceHeadroomScaled(s.account(3n), s.marks([280_000n, BTC_PRICE])) >= 0n, "back at MM");
  });

  test("finding F6: a liquidation stops once the account is back above maintenance margin", () => {
    const s = leveragedLong();
    const marks = s.marks([280_000n, BTC_PRICE]);
    const q = largestLiquidation(s.account(3n), ETH, marks);
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(3n, q + 1n), at(280_000n)));
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(3n, UNIT), at(280_000n)));
    s.applyTx(liquidate(3n, q - 1n), at(280_000n));
    // One unit short of the largest leaves it below MM: the next liquidation may take one more.
    assert.equal(largestLiquidation(s.account(3n), ETH, marks), 1n);
  });

  test("finding F6: a long option carries no maintenance margin and cannot be liquidated", () => {
    const call = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 86_400n);
    const s = world([BIG, 300n * USDC + (UNIT * ETH_PRICE * 5n) / 10_000n + 60n * USDC]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    s.applyTx(
      tradeTx(
        sell(2n, { instrument: call, price: 5_000n, orderId: 2n }),
        buy(3n, { instrument: call, price: 6_000n, orderId: 2n }),
        UNIT,
        5_000n,
      ),
      ctx(),
    );
    // At 2,800 the account is below MM through its perp; its long call is out of the money.
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(3n, 1n, call), at(280_000n)));
    assert.equal(largestLiquidation(s.account(3n), call, s.marks([280_000n, BTC_PRICE])), 0n);
    assert.ok(largestLiquidation(s.account(3n), ETH, s.marks([280_000n, BTC_PRICE])) > 0n);
  });

  test("a partial liquidation leaves the rest of the position", () => {
    const s = leveragedLong();
    s.applyTx(liquidate(3n, UNIT / 4n), at(280_000n));
    assert.equal(s.account(3n).positions[0]?.size, (3n * UNIT) / 4n);
  });

  test("shortfall: the insurance fund absorbs negative collateral and may go negative", () => {
    const s = leveragedLong();
    s.applyTx(liquidate(3n, UNIT), at(260_000n));
    assert.equal(s.account(3n).collateral, 0n);
    // L: 300 − 400 − 26 = −126 USDC, absorbed; insurance got the 26 USDC penalty.
    assert.equal(s.account(INSURANCE_ACCOUNT).collateral, 26n * USDC - 126n * USDC);
  });

  test("bad liquidations: the insurance fund, sizes outside [1, |size|], no position, expired options", () => {
    const s = leveragedLong();
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(INSURANCE_ACCOUNT, 1n), at(260_000n)));
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(3n, UNIT + 1n), at(260_000n)));
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(3n, 0n), at(260_000n)));
    rejects(s, "NO_POSITION", () => s.applyTx(liquidate(3n, 1n, BTC), at(260_000n)));
    rejects(s, "NO_POSITION", () => s.applyTx(liquidate(5n, 1n), at(260_000n)));
  });

  test("finding F7: a liquidation beyond account 1's slots goes to another insurance fund account", () => {
    // Account 1 already holds ETH and BTC (P = 2); account 3's short call needs a third slot.
    const call = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 86_400n);
    const s = world([BIG, 300n * USDC + (UNIT * ETH_PRICE * 5n) / 10_000n, BIG, 650n * USDC, 45n * USDC]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    s.applyTx(
      tradeTx(
        sell(2n, { instrument: BTC, price: BTC_PRICE, orderId: 2n }),
        buy(5n, { instrument: BTC, price: BTC_PRICE }),
        UNIT / 10n,
        BTC_PRICE,
      ),
      ctx(),
    );
    s.applyTx(
      tradeTx(
        buy(4n, { instrument: call, price: 5_000n }),
        sell(6n, { instrument: call, price: 5_000n }),
        UNIT / 10n,
        5_000n,
      ),
      ctx(),
    );
    const crash = ctx({ prices: [270_000n, 5_000_000n] });
    const marks = s.marks(crash.prices);
    s.applyTx(liquidate(3n, largestLiquidation(s.account(3n), ETH, marks)), crash);
    s.applyTx(liquidate(5n, largestLiquidation(s.account(5n), BTC, marks), BTC), crash);
    assert.ok(
      s.account(INSURANCE_ACCOUNT).positions.every((p) => p.size !== 0n),
      "account 1 is full",
    );
    // Account 6 (short call) goes below MM when ETH rallies.
    const rally = ctx({ prices: [340_000n, 5_000_000n] });
    const q = largestLiquidation(s.account(6n), call, s.marks(rally.prices));
    assert.ok(q > 0n);
    rejects(s, "NO_POSITION_SLOT", () => s.applyTx(liquidate(6n, q, call), rally));
    // An ordinary account cannot take it; an account registered with account 1's owner and key can.
    rejects(s, "BAD_LIQUIDATION", () => s.applyTx(liquidate(6n, q, call, 4n), rally));
    s.applyTx({ type: TxType.DEPOSIT, accountId: 7n, owner: ownerOf(1n), pkHash: pkHashOf(1n), amount: USDC }, rally);
    assert.ok(s.isInsuranceAccount(7n));
    const w = s.applyTx(liquidate(6n, q, call, 7n), rally);
    checkWitness(w, TEST);
    assert.equal(w.a.accountId, 7n);
    assert.equal((w.publicData[0] >> 4n) & 0xffffffn, 7n, "the fund account is in the slot's public data");
    assert.deepEqual(s.account(7n).positions[0], { instrument: call, size: -q, cost: -q * 40_000n });
  });

  test("a short option is liquidated at its intrinsic value", () => {
    const call = optionId(1, InstrumentKind.CALL, 300_000n, T0 + 86_400n);
    const s = world([BIG, 401n * USDC]);
    s.applyTx(
      tradeTx(
        buy(2n, { instrument: call, price: 5_000n }),
        sell(3n, { instrument: call, price: 5_000n }),
        UNIT,
        5_000n,
      ),
      ctx(),
    );
    const q = largestLiquidation(s.account(3n), call, s.marks([330_000n, BTC_PRICE]));
    assert.ok(q > 0n && q < UNIT, `partial: ${q}`);
    const w = s.applyTx(liquidate(3n, q, call), at(330_000n));
    assert.equal(w.liquidationPrice, 30_000n);
    assert.equal((w.publicData[0] >> 100n) & 1n, 0n, "the short closes by buying");
    assert.deepEqual(s.account(INSURANCE_ACCOUNT).positions[0], {
      instrument: call,
      size: -q,
      cost: -q * 30_000n,
    });
    checkWitness(w, TEST);
    const s2 = world([BIG, 401n * USDC]);
    s2.applyTx(
      tradeTx(
        buy(2n, { instrument: call, price: 5_000n }),
        sell(3n, { instrument: call, price: 5_000n }),
        UNIT,
        5_000n,
      ),
      ctx(),
    );
    rejects(s2, "INSTRUMENT_EXPIRED", () =>
      s2.applyTx(liquidate(3n, UNIT, call), at(330_000n, { timestamp: T0 + 86_400n })),
    );
  });
});

describe("funding (§6.5)", () => {
  // Cap at 3,000: |delta| ≤ 10 bps of 300,000 cents = 300 cents.
  test("at the cap passes, beyond it is FUNDING_CAP, both signs", () => {
    const s = world();
    rejects(s, "FUNDING_CAP", () => s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 301n }, ctx()));
    rejects(s, "FUNDING_CAP", () => s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: -301n }, ctx()));
    const w = s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: -300n }, ctx());
    checkWitness(w, TEST);
    assert.deepEqual(s.globalState.fundingIndex, [-300n, 0n]);
    assert.deepEqual(s.globalState.lastFundingTime, [T0, 0n]);
    assert.deepEqual([w.a.accountId, w.b.accountId], [0n, 0n]);
    assert.equal(w.publicData[0], 6n + (1n << 4n) + (((1n << 63n) - 300n) << 12n));
    rejects(s, "BAD_INSTRUMENT", () => s.applyTx({ type: TxType.FUNDING, underlying: 3, delta: 0n }, ctx()));
  });

  test("before the interval has passed is FUNDING_TOO_EARLY; exactly at it passes; per underlying", () => {
    const s = world();
    s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 1n }, ctx());
    rejects(s, "FUNDING_TOO_EARLY", () =>
      s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 1n }, ctx({ timestamp: T0 + 59n })),
    );
    s.applyTx({ type: TxType.FUNDING, underlying: 2, delta: 1n }, ctx({ timestamp: T0 + 59n }));
    s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 1n }, ctx({ timestamp: T0 + TEST.fundingInterval }));
    assert.deepEqual(s.globalState.fundingIndex, [2n, 1n]);
  });

  test("longs pay when F rises: equity moves by size × delta", () => {
    const s = world([BIG, BIG]);
    s.applyTx(tradeTx(sell(2n), buy(3n), UNIT, ETH_PRICE), ctx());
    const marks = () => s.marks([ETH_PRICE, BTC_PRICE]);
    const [long, short] = [equity(s.account(3n), marks()), equity(s.account(2n), marks())];
    s.applyTx({ type: TxType.FUNDING, underlying: 1, delta: 250n }, ctx());
    assert.equal(equity(s.account(3n), marks()), long - UNIT * 250n);
    assert.equal(equity(s.account(2n), marks()), short + UNIT * 250n);
  });
});

describe("option settlement (§6.6)", () => {
  const EXP = T0 + 86_400n;
  const call = optionId(1, InstrumentKind.CALL, 300_000n, EXP);
  const put = optionId(1, InstrumentKind.PUT, 300_000n, EXP);
  const settleTx = (accountId: bigint, instrument: bigint): Tx => ({ type: TxType.SETTLE, accountId, instrument });
  const after = (price: bigint) => ctx({ timestamp: EXP + 10n, settlements: [{ underlying: 1, expiry: EXP, price }] });
  /** Account 3 buys one `instrument` from account 2 at a 50 USDC premium. */
  function written(instrument: bigint, writerCollateral = BIG): RollupState {
    const s = world([writerCollateral, BIG]);
    s.applyTx(
      tradeTx(sell(2n, { instrument, price: 5_000n }), buy(3n, { instrument, price: 5_000n }), UNIT, 5_000n),
      ctx(),
    );
    return s;
  }

  test("a call in the money pays the holder S − K and charges the writer", () => {
    const s = written(call);
    const [c2, c3] = [s.account(2n).collateral, s.account(3n).collateral];
    const w = s.applyTx(settleTx(3n, call), after(320_000n));
    checkWitness(w, TEST);
    assert.deepEqual([w.a.accountId, w.b.accountId, w.posSlotA, w.settlementIndex], [3n, INSURANCE_ACCOUNT, 0, 0]);
    assert.deepEqual(w.b.before, w.b.after);
    assert.deepEqual(w.publicData, [7n + (3n << 4n) + (call << 28n), 0n]);
    assert.equal(s.account(3n).collateral, c3 + 150n * USDC);
    assert.deepEqual(s.account(3n).positions[0], { instrument: 0n, size: 0n, cost: 0n });
    s.applyTx(settleTx(2n, call), after(320_000n));
    assert.equal(s.account(2n).collateral, c2 - 150n * USDC);
  });

  test("out of the money the premium stays with the writer; puts pay K − S", () => {
    const s = written(call);
    const c3 = s.account(3n).collateral;
    s.applyTx(settleTx(3n, call), after(290_000n));
    assert.equal(s.account(3n).collateral, c3 - 50n * USDC);
    const p = written(put);
    const p3 = p.account(3n).collateral;
    p.applyTx(settleTx(3n, put), after(290_000n));
    assert.equal(p.account(3n).collateral, p3 + 50n * USDC);
    const q = written(put);
    const q2 = q.account(2n).collateral;
    q.applyTx(settleTx(2n, put), after(310_000n));
    assert.equal(q.account(2n).collateral, q2 + 50n * USDC);
  });

  test("not before expiry (NOT_EXPIRED), only with a record (NO_SETTLEMENT_PRICE), only options", () => {
    const s = written(call);
    const early = ctx({ timestamp: EXP - 1n, settlements: [{ underlying: 1, expiry: EXP - 1n, price: 1n }] });
    rejects(s, "NOT_EXPIRED", () => s.applyTx(settleTx(3n, call), early));
    rejects(s, "NO_SETTLEMENT_PRICE", () => s.applyTx(settleTx(3n, call), ctx({ timestamp: EXP })));
    rejects(s, "NO_SETTLEMENT_PRICE", () =>
      s.applyTx(settleTx(3n, call), ctx({ timestamp: EXP, settlements: [{ underlying: 2, expiry: EXP, price: 1n }] })),
    );
    rejects(s, "BAD_INSTRUMENT", () => s.applyTx(settleTx(3n, ETH), after(1n)));
    rejects(s, "NO_POSITION", () => s.applyTx(settleTx(4n, call), after(1n)));
    // Settling exactly at expiry works.
    s.applyTx(settleTx(3n, call), ctx({ timestamp: EXP, settlements: [{ underlying: 1, expiry: EXP, price: 1n }] }));
  });

  test("a writer's deficit at settlement goes to the insurance fund", () => {
    const s = written(call, 401n * USDC);
    const c2 = s.account(2n).collateral;
    const w = s.applyTx(settleTx(2n, call), after(400_000n));
    checkWitness(w, TEST);
    assert.equal(s.account(2n).collateral, 0n);
    assert.equal(s.account(INSURANCE_ACCOUNT).collateral, c2 + 50n * USDC - 1000n * USDC);
    assert.equal(w.b.after.collateral, c2 + 50n * USDC - 1000n * USDC);
  });
});
