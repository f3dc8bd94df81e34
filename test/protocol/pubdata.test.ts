import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  depositData,
  feeSweepData,
  forcedWithdrawData,
  fundingData,
  liquidationData,
  packSettlement,
  ProtocolError,
  settlementData,
  tradeData,
  withdrawData,
} from "../../protocol/index.ts";
import { ETH } from "./fixtures.ts";

/** Bits [offset, offset + width) of v. */
const bits = (v: bigint, offset: number, width: number): bigint => (v >> BigInt(offset)) & ((1n << BigInt(width)) - 1n);
const MAX = (w: number) => (1n << BigInt(w)) - 1n;

describe("public data layouts (§7)", () => {
  test("deposit: 1 │ accountId<<4 │ amount<<36 │ owner<<92, f1 = pkHash", () => {
    const owner = MAX(160);
    const [f0, f1] = depositData(MAX(32), MAX(56), owner, 123n);
    assert.equal(bits(f0, 0, 4), 1n);
    assert.equal(bits(f0, 4, 32), MAX(32));
    assert.equal(bits(f0, 36, 56), MAX(56));
    assert.equal(f0 >> 92n, owner);
    assert.equal(f1, 123n);
    assert.ok(f0 < 1n << 253n);
  });

  test("withdraw and forced withdrawal", () => {
    const [w] = withdrawData(9n, 1000n, MAX(48));
    assert.deepEqual([bits(w, 0, 4), bits(w, 4, 32), bits(w, 36, 56), w >> 92n], [2n, 9n, 1000n, MAX(48)]);
    const [fw, f1] = forcedWithdrawData(9n, 0n, 777n);
    assert.deepEqual([bits(fw, 0, 4), bits(fw, 4, 32), bits(fw, 36, 56), fw >> 92n, f1], [3n, 9n, 0n, 777n, 0n]);
  });

  test("trade: maker, taker, q, p, takerSide, order ids; liquidation shares the layout", () => {
    const [f0, f1] = tradeData({
      maker: 5n,
      taker: 6n,
      size: MAX(48),
      price: MAX(40),
      takerSide: 1,
      makerOrderId: MAX(48) - 1n,
      takerOrderId: 42n,
      instrument: MAX(82),
    });
    assert.deepEqual(
      [
        bits(f0, 0, 4),
        bits(f0, 4, 32),
        bits(f0, 36, 32),
        bits(f0, 68, 48),
        bits(f0, 116, 40),
        bits(f0, 156, 1),
        f0 >> 157n,
      ],
      [4n, 5n, 6n, MAX(48), MAX(40), 1n, MAX(48) - 1n],
    );
    assert.deepEqual([bits(f1, 0, 82), f1 >> 82n], [MAX(82), 42n]);
    const [l0, l1] = liquidationData(1n, 7n, 3n, 300_000n, 0, ETH);
    assert.deepEqual(
      [
        bits(l0, 0, 4),
        bits(l0, 4, 32),
        bits(l0, 36, 32),
        bits(l0, 68, 48),
        bits(l0, 116, 40),
        bits(l0, 156, 1),
        l0 >> 157n,
        l1,
      ],
      [5n, 1n, 7n, 3n, 300_000n, 0n, 0n, ETH],
    );
  });

  test("funding packs delta + 2^63; settlement, fee sweep, settlement records", () => {
    const [f] = fundingData(2, -5n);
    assert.deepEqual([bits(f, 0, 4), bits(f, 4, 8), f >> 12n], [6n, 2n, (1n << 63n) - 5n]);
    const [s0, s1] = settlementData(12n, ETH);
    assert.deepEqual([s0, s1], [7n + (12n << 4n), ETH]);
    assert.deepEqual(feeSweepData(99n), [8n + (99n << 36n), 0n]);
    assert.equal(packSettlement({ underlying: 2, expiry: 1000n, price: 55n }), 2n + (1000n << 8n) + (55n << 40n));
  });

  test("a value wider than its field is OUT_OF_RANGE", () => {
    const isRange = (e: unknown) => e instanceof ProtocolError && e.code === "OUT_OF_RANGE";
    assert.throws(() => depositData(1n << 32n, 1n, 1n, 1n), isRange);
    assert.throws(() => withdrawData(1n, 1n << 56n, 1n), isRange);
    assert.throws(() => forcedWithdrawData(1n, 1n, -1n), isRange);
    assert.throws(() => packSettlement({ underlying: 1, expiry: 1n << 32n, price: 1n }), isRange);
  });
});
