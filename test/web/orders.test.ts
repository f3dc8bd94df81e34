import { test } from "node:test";
import assert from "node:assert/strict";
import { belowMinimumNotional, leverageX100, orderFlags, previewFill } from "../../web/lib/orders.ts";
import { optionId, perpId } from "../../protocol/instruments.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account, SideCode } from "../../protocol/types.ts";

const ETH = perpId(1);
const marks = { prices: [300000n, 6000000n], fundingIndex: [0n, 0n] };
const empty = { instrument: 0n, size: 0n, cost: 0n };

function account(collateral: bigint, positions = [empty, empty]): Account {
  return { pkHash: 1n, owner: 2n, collateral, orderRoot: 0n, positions };
}

test("flags encode reduce-only, post-only and time in force (§5.1)", () => {
  assert.equal(orderFlags({ reduceOnly: false, postOnly: false, timeInForce: "GTC" }), 0n);
  assert.equal(orderFlags({ reduceOnly: true, postOnly: false, timeInForce: "IOC" }), 0b0101n);
  assert.equal(orderFlags({ reduceOnly: false, postOnly: true, timeInForce: "FOK" }), 0b1010n);
});

test("buying 1 ETH at 3,000 with 1,000 USDC needs 300 USDC of initial margin", () => {
  const p = previewFill(account(1_000_000_000n), marks, ETH, Side.BUY, 10000n, 300000n);
  assert.equal(p.notional, 3_000_000_000n);
  assert.equal(p.fee, 1_500_000n); // 5 bps taker
  assert.equal(p.initialMargin, 300_000_000n); // 10%
  assert.equal(p.maintenanceMargin, 150_000_000n); // 5%
  assert.equal(p.equityAfter, 998_500_000n);
  assert.equal(p.accepted, true);
  assert.equal(p.reduces, false);
  // equity = 998.5 + (P − 3000) = 0.05 P  ⇒  P = 2001.5 / 0.95 ≈ 2,106.84
  assert.ok(p.liquidationPrice !== null && p.liquidationPrice >= 210_684n && p.liquidationPrice <= 210_685n);
});

test("an order beyond 10x is refused, a closing order is a reduction", () => {
  const tooBig = previewFill(account(1_000_000_000n), marks, ETH, Side.BUY, 40000n, 300000n);
  assert.equal(tooBig.accepted, false);
  const long = account(1_000_000_000n, [{ instrument: ETH, size: 10000n, cost: 3_000_000_000n }, empty]);
  const close = previewFill(long, marks, ETH, Side.SELL, 10000n, 300000n);
  assert.equal(close.reduces, true);
  assert.equal(close.accepted, true);
  assert.equal(close.liquidationPrice, null);
  assert.equal(close.after.positions[0]!.size, 0n);
  assert.equal(leverageX100(long, marks), 300n);
});

test("no free slot for a third instrument; a held instrument keeps its slot", () => {
  const full = account(1_000_000_000n, [
    { instrument: ETH, size: 1n, cost: 300000n },
    { instrument: perpId(2), size: 1n, cost: 6000000n },
  ]);
  const call = optionId(1, InstrumentKind.CALL, 300000n, 2_000_000_000n);
  assert.equal(previewFill(full, marks, call, Side.BUY, 1n, 100n).noSlot, true);
  assert.equal(previewFill(full, marks, ETH, Side.BUY, 1n, 300000n).noSlot, false);
});

test("the order ticket's dust check agrees with the venue's rule at its edges (sequencer/intake/dust.ts)", () => {
  const MIN = 1_000_000n; // 1 USD in collateral units
  const P = 300_000n; // 3,000 USD: 4 size units (1e-4 ETH) are 1.2 USD, 3 are 0.9 USD
  const order = (side: SideCode, size: bigint, price: bigint, reduceOnly = false, immediate = false) => ({
    side,
    size,
    price,
    reduceOnly,
    immediate,
  });
  const cases: [ReturnType<typeof order>, bigint, bigint | null, bigint, boolean][] = [
    [order(Side.SELL, 4n, P), MIN, null, 0n, false],
    [order(Side.SELL, 3n, P), MIN, null, 0n, true],
    [order(Side.SELL, 1n, MIN), MIN, null, 0n, false],
    [order(Side.SELL, 1n, MIN - 1n), MIN, null, 0n, true],
    [order(Side.BUY, 4n, P), MIN, null, 0n, false],
    // A buy through the book is valued at the best ask.
    [order(Side.BUY, 4n, 2n * P), MIN, P - 100_000n, 0n, true],
    [order(Side.BUY, 4n, 2n * P), MIN, 250_000n, 0n, false],
    [order(Side.BUY, 4n, 2n * P), MIN, 249_999n, 0n, true],
    [order(Side.BUY, 4n, 2n * P), MIN, P, 0n, false],
    [order(Side.BUY, 3n, P), MIN, P + 1n, 0n, true],
    // Exempt: an immediate reduce-only close of the whole position; not part of it, not resting.
    [order(Side.SELL, 3n, P, true, true), MIN, null, 3n, false],
    [order(Side.BUY, 3n, P, true, true), MIN, null, -3n, false],
    [order(Side.SELL, 3n, P, true, true), MIN, null, -3n, true],
    [order(Side.SELL, 2n, P, true, true), MIN, null, 3n, true],
    [order(Side.SELL, 3n, P, true, false), MIN, null, 3n, true],
    [order(Side.SELL, 3n, P, false, true), MIN, null, 3n, true],
    // A venue without a minimum.
    [order(Side.SELL, 1n, 1n), 0n, null, 0n, false],
  ];
  for (const [o, min, bestAsk, held, below] of cases)
    assert.equal(
      belowMinimumNotional(o, min, bestAsk, held),
      below,
      JSON.stringify(o, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    );
});
