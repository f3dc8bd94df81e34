"use client";
/** The market selector and the headline numbers of the selected perpetual. */
import { decodeInstrument } from "../../../protocol/instruments.ts";
import type { Instrument } from "../../lib/api.ts";
import { formatDuration, formatPrice, formatSize } from "../../lib/format.ts";
import { useFunding, useMarks, useNow, useTicker } from "../../lib/market.ts";

export function MarketBar({
  markets,
  selected,
  onSelect,
}: {
  readonly markets: readonly Instrument[];
  readonly selected: Instrument | null;
  readonly onSelect: (instrument: bigint) => void;
}) {
  const ticker = useTicker(selected?.instrument ?? null);
  const funding = useFunding();
  const marks = useMarks();
  const now = useNow();
  const u = selected === null ? null : decodeInstrument(selected.instrument).underlying;
  const f = u === null ? undefined : funding.data?.underlyings.find((x) => x.underlying === u);
  const fundingIndex = u === null ? null : (marks?.fundingIndex[u - 1] ?? null);
  return (
    <section className="panel area-bar" aria-label="Market">
      <div className="market-bar">
        <label className="visually-hidden" htmlFor="market-select">
          Market
        </label>
        <select
          id="market-select"
          value={selected?.instrument.toString() ?? ""}
          onChange={(e) => onSelect(BigInt(e.target.value))}
        >
          {markets.map((m) => (
            <option key={m.instrument.toString()} value={m.instrument.toString()}>
              {m.name}
            </option>
          ))}
        </select>
        <dl className="stat">
          <dt>Last</dt>
          <dd className="num" style={{ fontSize: 16 }}>
            {ticker?.lastPrice == null ? "—" : formatPrice(ticker.lastPrice)}
          </dd>
        </dl>
        <dl className="stat">
          <dt>Oracle</dt>
          <dd className="num">{ticker === null ? "—" : formatPrice(ticker.indexPrice)}</dd>
        </dl>
        <dl className="stat">
          <dt>Bid / Ask</dt>
          <dd className="num">
            {ticker?.bid == null ? "—" : formatPrice(ticker.bid)} /{" "}
            {ticker?.ask == null ? "—" : formatPrice(ticker.ask)}
          </dd>
        </dl>
        <dl className="stat hide-narrow">
          <dt>Volume</dt>
          <dd className="num">{ticker === null ? "—" : formatSize(ticker.volume)}</dd>
        </dl>
        <dl className="stat hide-narrow">
          <dt>Funding index</dt>
          <dd className="num" title="Cumulative funding, USDC per unit; longs pay when it rises">
            {fundingIndex === null ? "—" : formatPrice(fundingIndex, { plus: true })}
          </dd>
        </dl>
        <dl className="stat hide-narrow">
          <dt>Next funding</dt>
          <dd className="num">
            {f === undefined ? "—" : f.nextFundingTime <= now ? "due" : formatDuration(f.nextFundingTime - now)}
          </dd>
        </dl>
      </div>
    </section>
  );
}
