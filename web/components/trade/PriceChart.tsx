"use client";
/**
 * Candles and volume of one instrument (lightweight-charts). Prices are cents and volumes
 * 1e-4 units; the chart draws with floating point, which is display only.
 */
import { useEffect, useRef, useState } from "react";
import { CandlestickSeries, ColorType, createChart, HistogramSeries } from "lightweight-charts";
import type { IChartApi, ISeriesApi, UTCTimestamp } from "lightweight-charts";
import { PRICE_DECIMALS, SIZE_DECIMALS } from "../../../protocol/constants.ts";
import { useCandles } from "../../lib/market.ts";
import { explain } from "../../lib/errors.ts";

const INTERVALS = [
  { seconds: 60, label: "1m" },
  { seconds: 300, label: "5m" },
  { seconds: 900, label: "15m" },
  { seconds: 3600, label: "1h" },
] as const;

const CENTS = 10 ** PRICE_DECIMALS;
const UNITS = 10 ** SIZE_DECIMALS;

export function PriceChart({ instrument, name }: { readonly instrument: bigint | null; readonly name: string }) {
  const [interval, setIntervalSeconds] = useState<number>(60);
  const container = useRef<HTMLDivElement | null>(null);
  const chart = useRef<IChartApi | null>(null);
  const candlesSeries = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const volumeSeries = useRef<ISeriesApi<"Histogram"> | null>(null);
  const candles = useCandles(instrument, interval);

  useEffect(() => {
    if (container.current === null) return;
    const c = createChart(container.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "#11151c" }, textColor: "#8390a4", fontSize: 11 },
      grid: { vertLines: { color: "#1a212c" }, horzLines: { color: "#1a212c" } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#222a36" },
      rightPriceScale: { borderColor: "#222a36" },
      crosshair: { mode: 0 },
    });
    candlesSeries.current = c.addSeries(CandlestickSeries, {
      upColor: "#22c58b",
      downColor: "#f0506e",
      borderVisible: false,
      wickUpColor: "#22c58b",
      wickDownColor: "#f0506e",
    });
    volumeSeries.current = c.addSeries(HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" } });
    c.priceScale("volume").applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    chart.current = c;
    return () => {
      c.remove();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const data = candles.candles;
    candlesSeries.current?.setData(
      data.map((k) => ({
        time: Number(k.time) as UTCTimestamp,
        open: Number(k.open) / CENTS,
        high: Number(k.high) / CENTS,
        low: Number(k.low) / CENTS,
        close: Number(k.close) / CENTS,
      })),
    );
    volumeSeries.current?.setData(
      data.map((k) => ({
        time: Number(k.time) as UTCTimestamp,
        value: Number(k.volume) / UNITS,
        color: k.close >= k.open ? "rgba(34,197,139,0.35)" : "rgba(240,80,110,0.35)",
      })),
    );
  }, [candles.candles]);

  return (
    <section className="panel area-chart" aria-labelledby="chart-title">
      <div className="panel-head">
        <h2 id="chart-title" style={{ font: "inherit", margin: 0 }}>
          {name} chart
        </h2>
        <span className="spacer" />
        <div role="group" aria-label="Candle interval" className="row" style={{ flex: "none" }}>
          {INTERVALS.map((i) => (
            <button
              key={i.seconds}
              className="link"
              aria-pressed={interval === i.seconds}
              style={{ color: interval === i.seconds ? "var(--text)" : undefined }}
              onClick={() => setIntervalSeconds(i.seconds)}
            >
              {i.label}
            </button>
          ))}
        </div>
      </div>
      {candles.error !== null && (
        <p className="error" role="alert">
          {explain(candles.error)}
        </p>
      )}
      <div ref={container} style={{ flex: 1, minHeight: 240 }} role="figure" aria-label={`Price chart of ${name}`} />
    </section>
  );
}
