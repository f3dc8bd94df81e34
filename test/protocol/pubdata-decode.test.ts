import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeSlot,
  depositData,
  feeSweepData,
  forcedCloseData,
  forcedWithdrawData,
  fundingData,
  liquidationData,
  NOOP_DATA,
  settlementData,
  fullOrderId,
  ORDER_ID_WINDOW,
  postedOrderId,
  tradeData,
  withdrawData,
} from "../../protocol/pubdata.ts";
import { optionId } from "../../protocol/instruments.ts";
import { InstrumentKind, Side, TxType } from "../../protocol/types.ts";

const max = (bits: number) => (1n << BigInt(bits)) - 1n;

test("decodeSlot inverts every packer of protocol/pubdata.ts, at maximal field values (order ids: their posted low 32 bits)", () => {
  assert.deepEqual(decodeSlot(...depositData(max(24), max(56))), {
    type: TxType.DEPOSIT,
    accountId: max(24),
    amount: max(56),
  });
  assert.deepEqual(decodeSlot(...withdrawData(7n, 1000n, max(48))), {
    type: TxType.WITHDRAW,
    accountId: 7n,
    amount: 1000n,
    orderIdLow: max(32),
    flat: false,
  });
  assert.deepEqual(decodeSlot(...withdrawData(7n, 1n, 1n, true)), {
    type: TxType.WITHDRAW,
    accountId: 7n,
    amount: 1n,
    orderIdLow: 1n,
    flat: true,
  });
  assert.deepEqual(decodeSlot(...forcedWithdrawData(9n, 0n, max(56))), {
    type: TxType.FORCED_WITHDRAW,
    accountId: 9n,
    served: 0n,
    requested: max(56),
    flat: false,
  });
  assert.deepEqual(decodeSlot(...forcedWithdrawData(9n, max(56), 1n, true)), {
    type: TxType.FORCED_WITHDRAW,
    accountId: 9n,
    served: max(56),
    requested: 1n,
    flat: true,
  });
  const instrument = optionId(2, InstrumentKind.PUT, max(40), max(32));
  assert.deepEqual(
    decodeSlot(
      ...tradeData({
        maker: max(24),
        taker: 3n,
        size: max(32),
        price: max(32),
        takerSide: Side.SELL,
        makerOrderId: max(48),
        takerOrderId: max(48) - 1n,
        instrumentIndex: max(8),
      }),
    ),
    {
      type: TxType.TRADE,
      maker: max(24),
      taker: 3n,
      size: max(32),
      price: max(32),
      takerSide: Side.SELL,
      makerOrderIdLow: max(32),
      takerOrderIdLow: max(32) - 1n,
      instrumentIndex: max(8),
    },
  );
  assert.deepEqual(decodeSlot(...liquidationData(1n, max(24), max(48), max(40), Side.BUY, 3n)), {
    type: TxType.LIQUIDATE,
    maker: 1n,
    taker: max(24),
    size: max(48),
    price: max(40),
    takerSide: Side.BUY,
    makerOrderIdLow: 0n,
    takerOrderIdLow: 0n,
    instrumentIndex: 3n,
  });
  assert.deepEqual(decodeSlot(...fundingData(2, -300n)), { type: TxType.FUNDING, underlying: 2, delta: -300n });
  assert.deepEqual(decodeSlot(...settlementData(4n, instrument)), { type: TxType.SETTLE, accountId: 4n, instrument });
  assert.deepEqual(decodeSlot(...feeSweepData(max(56))), { type: TxType.FEE_SWEEP, amount: max(56) });
  assert.deepEqual(decodeSlot(...forcedCloseData(max(24), 1n, true, false, instrument)), {
    type: TxType.FORCED_CLOSE,
    accountId: max(24),
    insurance: 1n,
    served: true,
    settlement: false,
    instrument,
  });
  assert.deepEqual(decodeSlot(...NOOP_DATA), { type: TxType.NOOP });
  assert.deepEqual(decodeSlot(15n, 0n), { type: "unknown", code: 15 });
});

test("fullOrderId recovers every id in the window [storedId, storedId + 2^32) from its posted bits, and only those", () => {
  const W = 1n << 32n;
  for (const stored of [0n, 1n, W - 1n, W, W + 1n, max(48) - W, max(48) - 1n]) {
    for (const ahead of [0n, 1n, W - 2n, W - 1n]) {
      const id = stored + ahead;
      if (id > max(48)) continue;
      assert.equal(fullOrderId(stored, postedOrderId(id)), id, `stored ${stored}, id ${id}`);
    }
    // One past the window, or below the stored id, aliases to another id: the rule refuses both.
    assert.notEqual(fullOrderId(stored, postedOrderId(stored + W)), stored + W);
    if (stored > 0n) assert.notEqual(fullOrderId(stored, postedOrderId(stored - 1n)), stored - 1n);
  }
  assert.equal(ORDER_ID_WINDOW, W);
});
