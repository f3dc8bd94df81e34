/**
 * OHLCV candles built from trades, for the price chart. Exact: prices stay cents and volumes
 * 1e-4 units; a candle's time is the start of its interval in unix seconds.
 */
export interface Candle {
  readonly time: bigint;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly close: bigint;
  readonly volume: bigint;
}

/** Aggregates trades (any order) into candles of `interval` seconds, oldest first. */
export function candlesFromTrades(
  trades: readonly { readonly time: bigint; readonly price: bigint; readonly size: bigint }[],
  interval: bigint,
): Candle[] {
  const sorted = [...trades].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const out: Candle[] = [];
  for (const t of sorted) {
    const start = t.time - (t.time % interval);
    const last = out.at(-1);
    if (last !== undefined && last.time === start) {
      out[out.length - 1] = {
        time: start,
        open: last.open,
        high: t.price > last.high ? t.price : last.high,
        low: t.price < last.low ? t.price : last.low,
        close: t.price,
        volume: last.volume + t.size,
      };
    } else {
      out.push({ time: start, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.size });
    }
  }
  return out;
}
