"use client";
/** Option positions with their greeks (per position: per-unit greek × size), and expired series. */
import type { Instrument, PositionView, Ticker } from "../../lib/api.ts";
import { formatPrice, formatSize, formatUsdc, formatUtc } from "../../lib/format.ts";
import { SIZE_DECIMALS } from "../../../protocol/constants.ts";
import { Empty, Signed } from "../ui.tsx";
import { quoteOf } from "./analytics.ts";

const UNIT = 10 ** SIZE_DECIMALS;

export function OptionPositions({
  positions,
  instruments,
  tickers,
  spotOf,
  now,
}: {
  readonly positions: readonly PositionView[];
  readonly instruments: readonly Instrument[];
  readonly tickers: readonly Ticker[];
  readonly spotOf: (underlying: number) => bigint;
  readonly now: bigint;
}) {
  const byId = new Map(instruments.map((i) => [i.instrument, i]));
  const tick = new Map(tickers.map((t) => [t.instrument, t]));
  const rows = positions.filter((p) => {
    const kind = byId.get(p.instrument)?.kind;
    return kind === "call" || kind === "put";
  });
  if (rows.length === 0) return <Empty>No option positions.</Empty>;
  return (
    <table aria-label="Option positions">
      <thead>
        <tr>
          <th>Series</th>
          <th className="num">Size</th>
          <th className="num">Mark</th>
          <th className="num">PnL (at intrinsic)</th>
          <th className="num">Delta</th>
          <th className="num">Gamma</th>
          <th className="num">Vega</th>
          <th className="num">Theta/day</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => {
          const option = byId.get(p.instrument)!;
          const expired = option.expiry <= now;
          const q = quoteOf(option, tick.get(p.instrument), spotOf(option.underlying), now);
          const units = Number(p.size) / UNIT;
          const g = q.greeks;
          return (
            <tr key={p.instrument.toString()}>
              <td>{p.name}</td>
              <td className={`num ${p.size > 0n ? "pos" : "neg"}`}>{formatSize(p.size, { plus: true })}</td>
              <td className="num">{q.mark === null ? formatPrice(p.mark) : formatPrice(q.mark)}</td>
              <td className="num">
                <Signed value={p.pnl}>{formatUsdc(p.pnl, { plus: true })}</Signed>
              </td>
              <td className="num">{g === null ? "—" : (g.delta * units).toFixed(3)}</td>
              <td className="num">{g === null ? "—" : (g.gamma * units).toFixed(5)}</td>
              <td className="num">{g === null ? "—" : (g.vega * units).toFixed(2)}</td>
              <td className="num">{g === null ? "—" : (g.theta * units).toFixed(2)}</td>
              <td className="muted">
                {expired ? `Expired ${formatUtc(option.expiry)}; settles at the oracle price at expiry` : "Open"}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
