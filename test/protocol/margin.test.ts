import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  belowMM,
  EMPTY_POSITION,
  emptyAccount,
  equity,
  freeCollateral,
  initialMarginScaled,
  InstrumentKind,
  liquidationPrice,
  maintenanceMarginScaled,
  meetsIM,
  optionId,
  positionValue,
} from "../../protocol/index.ts";
import type { Account, Position } from "../../protocol/index.ts";
import { BTC, DEMO, ETH, ETH_PRICE, UNIT, USDC } from "./fixtures.ts";

const EXP = 1_900_000_000n;
const marks = { prices: [ETH_PRICE, 6_000_000n], fundingIndex: [0n, 0n] };
function acc(collateral: bigint, ...positions: Position[]): Account {
  const slots = [...positions, ...Array.from({ length: DEMO.positions - positions.length }, () => EMPTY_POSITION)];
  return { ...emptyAccount(DEMO), collateral, positions: slots };
}

describe("valuation (§6.1)", () => {
  test("perps are marked at price − F, options at intrinsic value", () => {
    // Long 1 ETH bought at 2,900 with F = 0: worth 100 USDC at 3,000.
    const long: Position = { instrument: ETH, size: UNIT, cost: UNIT * 290_000n };
    assert.equal(positionValue(long, marks), 100n * USDC);
    // F rose by 5 USDC: the long paid 5 USDC of funding.
    assert.equal(positionValue(long, { ...marks, fundingIndex: [500n, 0n] }), 95n * USDC);
    const call: Position = {
      instrument: optionId(1, InstrumentKind.CALL, 280_000n, EXP),
      size: -2n * UNIT,
      cost: -2n * UNIT * 30_000n,
    };
    // Short 2 calls sold at 300 USDC, intrinsic 200 USDC: worth +200 USDC to the writer.
    assert.equal(positionValue(call, marks), 200n * USDC);
    assert.equal(equity(acc(7n, long, call), marks), 7n + 300n * USDC);
  });
});

describe("margin (§6.2)", () => {
  test("perp IM and MM are 10% and 5% of notional, ×10^4", () => {
    const a = acc(
      0n,
      { instrument: ETH, size: -UNIT, cost: -UNIT * ETH_PRICE },
      { instrument: BTC, size: UNIT / 2n, cost: 0n },
    );
    const notional = UNIT * ETH_PRICE + (UNIT / 2n) * 6_000_000n;
    assert.equal(initialMarginScaled(a, marks), notional * 1000n);
    assert.equal(maintenanceMarginScaled(a, marks), notional * 500n);
  });

  test("short options: max(OPT_A·price − 10^4·otm, OPT_B·price); long options need none", () => {
    const deepOtmCall = optionId(1, InstrumentKind.CALL, 400_000n, EXP); // otm 1,000 USDC
    const nearCall = optionId(1, InstrumentKind.CALL, 310_000n, EXP); // otm 100 USDC
    const itmPut = optionId(1, InstrumentKind.PUT, 350_000n, EXP); // otm 0
    const short = (instrument: bigint): Account => acc(0n, { instrument, size: -UNIT, cost: 0n });
    assert.equal(initialMarginScaled(short(deepOtmCall), marks), UNIT * 1000n * ETH_PRICE);
    assert.equal(initialMarginScaled(short(nearCall), marks), UNIT * (1500n * ETH_PRICE - 10_000n * 10_000n));
    assert.equal(initialMarginScaled(short(itmPut), marks), UNIT * 1500n * ETH_PRICE);
    assert.equal(maintenanceMarginScaled(short(nearCall), marks), UNIT * 500n * ETH_PRICE); // OPT_B_MM term wins
    assert.equal(maintenanceMarginScaled(short(itmPut), marks), UNIT * 750n * ETH_PRICE);
    assert.equal(initialMarginScaled(acc(0n, { instrument: nearCall, size: UNIT, cost: 1n }), marks), 0n);
  });

  test("meetsIM holds exactly at the boundary and fails one unit below", () => {
    const pos: Position = { instrument: ETH, size: UNIT, cost: UNIT * ETH_PRICE };
    const im = (UNIT * ETH_PRICE) / 10n;
    assert.ok(meetsIM(acc(im, pos), marks));
    assert.equal(meetsIM(acc(im - 1n, pos), marks), false);
  });

  test("belowMM is false exactly at MM and true one unit below", () => {
    const pos: Position = { instrument: ETH, size: -UNIT, cost: -UNIT * ETH_PRICE };
    const mm = (UNIT * ETH_PRICE) / 20n;
    assert.equal(belowMM(acc(mm, pos), marks), false);
    assert.ok(belowMM(acc(mm - 1n, pos), marks));
  });

  test("free collateral is exactly what a withdrawal may take", () => {
    const pos: Position = { instrument: ETH, size: UNIT, cost: UNIT * 310_000n }; // 100 USDC loss
    const a = acc(1000n * USDC, pos);
    const free = freeCollateral(a, marks);
    assert.equal(free, 1000n * USDC - 100n * USDC - 300n * USDC);
    assert.ok(meetsIM({ ...a, collateral: a.collateral - free }, marks));
    assert.equal(meetsIM({ ...a, collateral: a.collateral - free - 1n }, marks), false);
    // Capped by cash: a profitable position does not make its profit withdrawable beyond collateral.
    const rich = acc(10n, { instrument: ETH, size: UNIT, cost: 0n });
    assert.equal(freeCollateral(rich, marks), 10n);
    assert.equal(freeCollateral(acc(0n, pos), marks), 0n);
  });
});

describe("liquidation price (display)", () => {
  test("a long perp: below MM at that price, not one cent above", () => {
    const a = acc(500n * USDC, { instrument: ETH, size: UNIT, cost: UNIT * ETH_PRICE });
    const x = liquidationPrice(a, 0, marks);
    assert.ok(x !== null && x < ETH_PRICE);
    const at = (p: bigint) => ({ prices: [p, 6_000_000n], fundingIndex: [0n, 0n] });
    assert.ok(belowMM(a, at(x)));
    assert.equal(belowMM(a, at(x + 1n)), false);
  });

  test("a short perp liquidates above; a short call with a kinked margin is found too", () => {
    const a = acc(500n * USDC, { instrument: ETH, size: -UNIT, cost: -UNIT * ETH_PRICE });
    const x = liquidationPrice(a, 0, marks)!;
    assert.ok(x > ETH_PRICE);
    const at = (p: bigint) => ({ prices: [p, 6_000_000n], fundingIndex: [0n, 0n] });
    assert.ok(belowMM(a, at(x)) && !belowMM(a, at(x - 1n)));
    const call = optionId(1, InstrumentKind.CALL, 320_000n, EXP);
    const b = acc(400n * USDC, { instrument: call, size: -UNIT, cost: -UNIT * 5_000n });
    const y = liquidationPrice(b, 0, marks)!;
    assert.ok(belowMM(b, at(y)) && !belowMM(b, at(y - 1n)));
  });

  test("none for a fully collateralised long or an empty slot", () => {
    const a = acc(3000n * USDC, { instrument: ETH, size: UNIT, cost: UNIT * ETH_PRICE });
    assert.equal(liquidationPrice(a, 0, marks), null);
    assert.equal(liquidationPrice(a, 1, marks), null);
  });
});
