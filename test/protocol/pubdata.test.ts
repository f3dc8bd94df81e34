import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  depositData,
  depositQueueEntry,
  decodeSlot,
  packSlots,
  SLOT_BYTES,
  unpackSlots,
  forcedCloseData,
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
  test("deposit: 1 │ accountId<<4 │ amount<<28, f1 = 0; L1 queues it with owner<<84 and f1 = pkHash", () => {
    const owner = MAX(160);
    const [f0, f1] = depositData(MAX(24), MAX(56));
    assert.equal(bits(f0, 0, 4), 1n);
    assert.equal(bits(f0, 4, 24), MAX(24));
    assert.equal(bits(f0, 28, 56), MAX(56));
    assert.equal(f0 >> 84n, 0n, "the owner is the batch's deposit record, not the slot's");
    assert.equal(f1, 0n);
    const [q0, q1] = depositQueueEntry(MAX(24), MAX(56), owner, 123n);
    assert.equal(q0 & MAX(84), f0, "the queue entry's low 84 bits are the slot's f0");
    assert.equal(q0 >> 84n, owner);
    assert.equal(q1, 123n);
  });

  test("withdraw and forced withdrawal: flat at 84, the order id's low 32 bits and the requested amount in f1", () => {
    const [w, w1] = withdrawData(9n, 1000n, MAX(48), true);
    assert.deepEqual([bits(w, 0, 4), bits(w, 4, 24), bits(w, 28, 56), w >> 84n, w1], [2n, 9n, 1000n, 1n, MAX(32)]);
    const [fw, f1] = forcedWithdrawData(9n, 5n, 777n);
    assert.deepEqual([bits(fw, 0, 4), bits(fw, 4, 24), bits(fw, 28, 56), fw >> 84n, f1], [3n, 9n, 5n, 0n, 777n]);
  });

  test("trade: maker, taker, q and p in 32 bits, takerSide, instrument index; order ids' low 32 bits in f1", () => {
    const [f0, f1] = tradeData({
      maker: 5n,
      taker: 6n,
      size: MAX(32),
      price: MAX(32),
      takerSide: 1,
      makerOrderId: MAX(48) - 1n,
      takerOrderId: 42n,
      instrumentIndex: MAX(8),
    });
    assert.deepEqual(
      [
        bits(f0, 0, 4),
        bits(f0, 4, 24),
        bits(f0, 28, 24),
        bits(f0, 52, 32),
        bits(f0, 84, 32),
        bits(f0, 116, 1),
        f0 >> 117n,
      ],
      [4n, 5n, 6n, MAX(32), MAX(32), 1n, MAX(8)],
    );
    assert.deepEqual([bits(f1, 0, 32), f1 >> 32n], [MAX(32) - 1n, 42n]);
  });

  test("liquidation: insurance, liquidatee, q in 48 bits, closing side, instrument index; p = X in f1", () => {
    const [l0, l1] = liquidationData(1n, 7n, MAX(48), MAX(40), 1, 3n);
    assert.deepEqual(
      [bits(l0, 0, 4), bits(l0, 4, 24), bits(l0, 28, 24), bits(l0, 52, 48), bits(l0, 100, 1), l0 >> 101n, l1],
      [5n, 1n, 7n, MAX(48), 1n, 3n, MAX(40)],
    );
  });

  test("forced close: account, instrument at 28, settlement at 110, served at 111; f1 = insurance", () => {
    const [c0, c1] = forcedCloseData(MAX(24), 3n, true, false, MAX(82));
    assert.deepEqual(
      [bits(c0, 0, 4), bits(c0, 4, 24), bits(c0, 28, 82), bits(c0, 110, 1), c0 >> 111n, c1],
      [9n, MAX(24), MAX(82), 0n, 1n, 3n],
    );
    const [q0, q1] = forcedCloseData(5n, 0n, false, true, ETH);
    assert.deepEqual([q0, q1], [9n + (5n << 4n) + (ETH << 28n) + (1n << 110n), 0n], "as L1 queues it: served 0, f1 0");
  });

  test("funding packs delta + 2^63; settlement, fee sweep, settlement records", () => {
    const [f] = fundingData(2, -5n);
    assert.deepEqual([bits(f, 0, 4), bits(f, 4, 8), f >> 12n], [6n, 2n, (1n << 63n) - 5n]);
    const [s0, s1] = settlementData(12n, ETH);
    assert.deepEqual([s0, s1], [7n + (12n << 4n) + (ETH << 28n), 0n]);
    assert.deepEqual(feeSweepData(99n), [8n + (99n << 28n), 0n]);
    assert.equal(packSettlement({ underlying: 2, expiry: 1000n, price: 55n }), 2n + (1000n << 8n) + (55n << 40n));
  });

  test("a value wider than its field is OUT_OF_RANGE", () => {
    const isRange = (e: unknown) => e instanceof ProtocolError && e.code === "OUT_OF_RANGE";
    const fill = {
      maker: 1n,
      taker: 2n,
      size: 1n,
      price: 1n,
      takerSide: 0 as const,
      makerOrderId: 1n,
      takerOrderId: 1n,
      instrumentIndex: 0n,
    };
    assert.throws(() => depositData(1n << 24n, 1n), isRange);
    assert.throws(() => depositQueueEntry(1n, 1n, 1n << 160n, 1n), isRange);
    assert.throws(() => withdrawData(1n, 1n << 56n, 1n), isRange);
    assert.throws(() => forcedWithdrawData(1n, 1n, -1n), isRange);
    assert.throws(() => tradeData({ ...fill, size: 1n << 32n }), isRange);
    assert.throws(() => tradeData({ ...fill, price: 1n << 32n }), isRange);
    assert.throws(() => tradeData({ ...fill, instrumentIndex: 1n << 8n }), isRange);
    assert.throws(() => tradeData({ ...fill, takerOrderId: 1n << 48n }), isRange);
    assert.throws(() => withdrawData(1n, 1n, 1n << 48n), isRange);
    assert.throws(() => settlementData(1n, 1n << 82n), isRange);
    assert.throws(() => forcedCloseData(1n, 1n << 24n, true, false, 1n), isRange);
    assert.throws(() => liquidationData(1n, 2n, 1n << 48n, 1n, 0, 0n), isRange);
    assert.throws(() => packSettlement({ underlying: 1, expiry: 1n << 32n, price: 1n }), isRange);
  });
});

describe("packed slots (§7): 16 bytes of f0, 8 of f1", () => {
  const maxima = (): [string, readonly [bigint, bigint]][] => [
    ["deposit", depositData(MAX(24), MAX(56))],
    ["withdraw", withdrawData(MAX(24), MAX(56), MAX(48), true)],
    ["forced withdrawal", forcedWithdrawData(MAX(24), MAX(56), MAX(56), true)],
    [
      "trade",
      tradeData({
        maker: MAX(24),
        taker: MAX(24),
        size: MAX(32),
        price: MAX(32),
        takerSide: 1,
        makerOrderId: MAX(48),
        takerOrderId: MAX(48),
        instrumentIndex: MAX(8),
      }),
    ],
    ["liquidation", liquidationData(MAX(24), MAX(24), MAX(48), MAX(40), 1, MAX(8))],
    ["funding", fundingData(255, (1n << 63n) - 1n)],
    ["settlement", settlementData(MAX(24), MAX(82))],
    ["fee sweep", feeSweepData(MAX(56))],
    ["forced close", forcedCloseData(MAX(24), MAX(24), true, true, MAX(82))],
  ];

  test("every type at its largest values fits the slot's widths and round-trips through the bytes", () => {
    for (const [name, [f0, f1]] of maxima()) {
      assert.ok(f0 < 1n << BigInt(8 * SLOT_BYTES.f0), `${name}: f0 fits ${SLOT_BYTES.f0} bytes`);
      assert.ok(f1 < 1n << BigInt(8 * SLOT_BYTES.f1), `${name}: f1 fits ${SLOT_BYTES.f1} bytes`);
    }
    const words = maxima().flatMap(([, d]) => d);
    const hex = packSlots(words);
    assert.equal(hex.length, 2 + 2 * 24 * maxima().length);
    assert.deepEqual(unpackSlots(hex), words);
    assert.deepEqual(unpackSlots(Buffer.from(hex.slice(2), "hex")), words);
    assert.deepEqual(decodeSlot(...(unpackSlots(hex).slice(0, 2) as [bigint, bigint])).type, 1);
  });

  test("edges: 0, 1 and 2^n − 1 of each width pack big-endian; 2^n and a partial slot are refused", () => {
    for (const [f0, f1] of [
      [0n, 0n],
      [1n, 1n],
      [MAX(128), MAX(64)],
    ] as const) {
      const hex = packSlots([f0, f1]);
      assert.equal(hex, `0x${f0.toString(16).padStart(32, "0")}${f1.toString(16).padStart(16, "0")}`);
      assert.deepEqual(unpackSlots(hex), [f0, f1]);
    }
    const isRange = (e: unknown) => e instanceof ProtocolError && e.code === "OUT_OF_RANGE";
    assert.throws(() => packSlots([1n << 128n, 0n]), isRange);
    assert.throws(() => packSlots([0n, 1n << 64n]), isRange);
    assert.throws(() => packSlots([-1n, 0n]), isRange);
    assert.throws(() => packSlots([0n]), isRange);
    assert.throws(() => unpackSlots(`0x${"00".repeat(23)}`), isRange);
    assert.throws(() => unpackSlots(`0x${"zz".repeat(24)}`), isRange);
  });
});
