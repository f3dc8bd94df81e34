"use client";
/**
 * Option positions with their greeks (per position: per-unit greek × size); an expired
 * position shows that it awaits settlement, and a position its settlement closed what that
 * paid, from the venue's settlement record (settledPositions.ts).
 */
import type { Instrument, PositionView, Settlement, Ticker } from "../../lib/api.ts";
import { formatPrice, formatSize, formatUsdc, formatUtc } from "../../lib/format.ts";
import { SIZE_DECIMALS } from "../../../protocol/constants.ts";
import { Empty, Signed, TableScroll } from "../ui.tsx";
import { quoteOf, settlementOf, settlementOutcome } from "./analytics.ts";
import { describeSettlement } from "./settledPositions.ts";

const UNIT = 10 ** SIZE_DECIMALS;

/**
 * Open, or awaiting settlement; a held position whose series just settled (the account view
 * not yet refreshed) shows what settling it pays.
 */
function statusOf(p: PositionView, option: Instrument, settlementPrice: bigint | null, expired: boolean): string {
  if (!expired) return "Open";
  const settlement = settlementOf(option, settlementPrice ?? option.settlementPrice);
  if (settlement === null)
    return `Expired ${formatUtc(option.expiry)}; awaiting settlement at the oracle price at expiry`;
  return describeSettlement({ ...settlement, ...settlementOutcome(p, settlement) });
}

interface Row {
  readonly position: PositionView;
  /** The venue's record once settlement closed the position. */
  readonly settled: Settlement | null;
}

/** A settled position as a row: valued at intrinsic, its PnL realised by settling. */
function settledRow(s: Settlement, option: Instrument): Row {
  return {
    position: {
      instrument: s.instrument,
      name: s.name,
      size: s.size,
      cost: s.cost,
      mark: settlementOf(option, s.price)?.intrinsic ?? 0n,
      pnl: s.pnl,
      liquidationPrice: null,
    },
    settled: s,
  };
}

export function OptionPositions({
  positions,
  instruments,
  tickers,
  spotOf,
  settlementPrices,
  settled,
  now,
}: {
  readonly positions: readonly PositionView[];
  readonly instruments: readonly Instrument[];
  readonly tickers: readonly Ticker[];
  readonly spotOf: (underlying: number) => bigint;
  /** Settlement price (cents) of each settled series, by instrument id. */
  readonly settlementPrices: ReadonlyMap<bigint, bigint>;
  /** The venue's records of the account's positions closed by settlement. */
  readonly settled: readonly Settlement[];
  readonly now: bigint;
}) {
  const byId = new Map(instruments.map((i) => [i.instrument, i]));
  const tick = new Map(tickers.map((t) => [t.instrument, t]));
  const held = positions.filter((p) => {
    const kind = byId.get(p.instrument)?.kind;
    return kind === "call" || kind === "put";
  });
  const closed = new Set(settled.map((s) => s.instrument));
  const rows: Row[] = [
    ...held.filter((p) => !closed.has(p.instrument)).map((p) => ({ position: p, settled: null })),
    ...settled.flatMap((s) => {
      const option = byId.get(s.instrument);
      return option === undefined ? [] : [settledRow(s, option)];
    }),
  ];
  if (rows.length === 0) return <Empty>No option positions.</Empty>;
  return (
    <TableScroll label="Option positions, scrollable">
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
          {rows.map(({ position: p, settled: record }) => {
            const option = byId.get(p.instrument)!;
            const expired = option.expiry <= now;
            const q = quoteOf(option, tick.get(p.instrument), spotOf(option.underlying), now);
            const units = Number(p.size) / UNIT;
            const g = q.greeks;
            return (
              <tr key={p.instrument.toString()}>
                <td>{p.name}</td>
                <td className={`num ${p.size > 0n ? "pos" : "neg"}`}>{formatSize(p.size, { plus: true })}</td>
                <td className="num">
                  {q.mark === null || record !== null ? formatPrice(p.mark) : formatPrice(q.mark)}
                </td>
                <td className="num">
                  <Signed value={p.pnl}>{formatUsdc(p.pnl, { plus: true })}</Signed>
                </td>
                <td className="num">{g === null ? "—" : (g.delta * units).toFixed(3)}</td>
                <td className="num">{g === null ? "—" : (g.gamma * units).toFixed(5)}</td>
                <td className="num">{g === null ? "—" : (g.vega * units).toFixed(2)}</td>
                <td className="num">{g === null ? "—" : (g.theta * units).toFixed(2)}</td>
                <td className="muted">
                  {record !== null
                    ? describeSettlement({ ...record, intrinsic: p.mark })
                    : statusOf(p, option, settlementPrices.get(p.instrument) ?? null, expired)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
