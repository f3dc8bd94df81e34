"use client";
/** The option chain of one underlying and expiry: strikes × calls and puts. */
import type { Instrument, Ticker } from "../../lib/api.ts";
import { formatPrice } from "../../lib/format.ts";
import { quoteOf } from "./analytics.ts";
import type { OptionQuote } from "./analytics.ts";

function pct(v: number | null): string {
  return v === null ? "—" : `${(v * 100).toFixed(1)}%`;
}

function fixed(v: number | undefined, digits: number): string {
  return v === undefined ? "—" : v.toFixed(digits);
}

function Leg({
  option,
  quote,
  itm,
  onPick,
  selected,
}: {
  readonly option: Instrument | undefined;
  readonly quote: OptionQuote | null;
  readonly itm: boolean;
  readonly onPick: (option: Instrument) => void;
  readonly selected: boolean;
}) {
  const cls = `num${itm ? " itm" : ""}`;
  if (option === undefined || quote === null) {
    return (
      <>
        {Array.from({ length: 5 }, (_, i) => (
          <td key={i} className={cls}>
            —
          </td>
        ))}
      </>
    );
  }
  const pick = (
    <button
      className="cell"
      onClick={() => onPick(option)}
      aria-pressed={selected}
      aria-label={`Trade ${option.name}: bid ${quote.bid === null ? "none" : formatPrice(quote.bid)}, ask ${quote.ask === null ? "none" : formatPrice(quote.ask)}`}
    >
      {quote.bid === null ? "—" : formatPrice(quote.bid)}
    </button>
  );
  return (
    <>
      <td className={`${cls} pos`}>{pick}</td>
      <td className={`${cls} neg`}>{quote.ask === null ? "—" : formatPrice(quote.ask)}</td>
      <td className={cls}>{quote.mark === null ? "—" : formatPrice(quote.mark)}</td>
      <td className={cls}>{pct(quote.iv)}</td>
      <td className={cls}>{fixed(quote.greeks?.delta, 3)}</td>
    </>
  );
}

export function OptionChain({
  options,
  tickers,
  spot,
  now,
  selected,
  onPick,
}: {
  readonly options: readonly Instrument[];
  readonly tickers: readonly Ticker[];
  readonly spot: bigint;
  readonly now: bigint;
  readonly selected: bigint | null;
  readonly onPick: (option: Instrument) => void;
}) {
  const strikes = [...new Set(options.map((o) => o.strike))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byKey = new Map(options.map((o) => [`${o.kind}:${o.strike}`, o]));
  const tick = new Map(tickers.map((t) => [t.instrument, t]));
  const quote = (o: Instrument | undefined) => (o === undefined ? null : quoteOf(o, tick.get(o.instrument), spot, now));
  return (
    <table className="chain" aria-label="Option chain">
      <thead>
        <tr>
          <th colSpan={5} style={{ textAlign: "center" }}>
            Calls
          </th>
          <th />
          <th colSpan={5} style={{ textAlign: "center" }}>
            Puts
          </th>
        </tr>
        <tr>
          <th className="num">Bid</th>
          <th className="num">Ask</th>
          <th className="num">Mark</th>
          <th className="num">IV</th>
          <th className="num">Delta</th>
          <th style={{ textAlign: "center" }}>Strike</th>
          <th className="num">Bid</th>
          <th className="num">Ask</th>
          <th className="num">Mark</th>
          <th className="num">IV</th>
          <th className="num">Delta</th>
        </tr>
      </thead>
      <tbody>
        {strikes.map((k) => {
          const call = byKey.get(`call:${k}`);
          const put = byKey.get(`put:${k}`);
          const isSelected = selected !== null && (call?.instrument === selected || put?.instrument === selected);
          return (
            <tr key={k.toString()} className={isSelected ? "selected" : undefined}>
              <Leg
                option={call}
                quote={quote(call)}
                itm={spot > k}
                onPick={onPick}
                selected={call?.instrument === selected}
              />
              <td className="strike num">{formatPrice(k)}</td>
              <Leg
                option={put}
                quote={quote(put)}
                itm={spot < k}
                onPick={onPick}
                selected={put?.instrument === selected}
              />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
