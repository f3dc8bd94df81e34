import { test } from "node:test";
import assert from "node:assert/strict";
import { candlesFromTrades } from "../../web/lib/candles.ts";

test("trades aggregate into exact OHLCV candles, oldest first", () => {
  const candles = candlesFromTrades(
    [
      { time: 125n, price: 300100n, size: 5n },
      { time: 61n, price: 300000n, size: 10n },
      { time: 119n, price: 299900n, size: 20n },
      { time: 90n, price: 300500n, size: 1n },
    ],
    60n,
  );
  assert.deepEqual(candles, [
    { time: 60n, open: 300000n, high: 300500n, low: 299900n, close: 299900n, volume: 31n },
    { time: 120n, open: 300100n, high: 300100n, low: 300100n, close: 300100n, volume: 5n },
  ]);
  assert.deepEqual(candlesFromTrades([], 60n), []);
});
