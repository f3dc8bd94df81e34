"use client";
/** The options screen: a chain per underlying and expiry, the ticket, positions with greeks. */
import { useMemo, useState } from "react";
import { OptionChain } from "../../components/options/OptionChain.tsx";
import { OptionPositions } from "../../components/options/OptionPositions.tsx";
import { OrderTicket } from "../../components/trade/OrderTicket.tsx";
import { Empty, ErrorText, Panel } from "../../components/ui.tsx";
import { explain } from "../../lib/errors.ts";
import { formatPrice, formatUtc } from "../../lib/format.ts";
import { useAccount, useInstruments, useMarks, useNow, useTickers } from "../../lib/market.ts";
import { UNDERLYINGS } from "../../../protocol/instruments.ts";
import type { Instrument } from "../../lib/api.ts";
import { useVenue } from "../../lib/venue.tsx";

export default function OptionsPage() {
  const { deployment } = useVenue();
  const instruments = useInstruments();
  const tickers = useTickers();
  const account = useAccount();
  const marks = useMarks();
  const now = useNow(5_000);
  const underlyings = UNDERLYINGS.filter((u) => u.id <= deployment.profile.underlyings);
  const [underlying, setUnderlying] = useState<number>(1);
  const [expiry, setExpiry] = useState<bigint | null>(null);
  const [selected, setSelected] = useState<Instrument | null>(null);

  const options = useMemo(
    () => (instruments.data ?? []).filter((m) => m.kind !== "perp" && m.underlying === underlying),
    [instruments.data, underlying],
  );
  const live = options.filter((o) => o.expiry > now);
  const expired = options.filter((o) => o.expiry <= now);
  const expiries = [...new Set(live.map((o) => o.expiry))].sort((a, b) => (a < b ? -1 : 1));
  const activeExpiry = expiry !== null && expiries.includes(expiry) ? expiry : (expiries[0] ?? null);
  const spot = marks?.prices[underlying - 1] ?? 0n;
  const ticker = tickers.data?.find((t) => t.instrument === selected?.instrument);
  const spotOf = (u: number) => marks?.prices[u - 1] ?? 0n;

  if (instruments.error !== null) {
    return (
      <main className="page">
        <ErrorText>{explain(instruments.error)}</ErrorText>
      </main>
    );
  }
  return (
    <main className="page">
      <h1 className="visually-hidden">Options</h1>
      <div className="two-col">
        <Panel
          title="Option chain"
          labelId="chain-title"
          actions={
            <div className="row" style={{ flex: "none" }}>
              <label className="visually-hidden" htmlFor="underlying">
                Underlying
              </label>
              <select
                id="underlying"
                value={underlying}
                onChange={(e) => setUnderlying(Number(e.target.value))}
                style={{ width: "auto" }}
              >
                {underlyings.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.symbol}
                  </option>
                ))}
              </select>
              <span className="num muted">Oracle {formatPrice(spot)}</span>
            </div>
          }
        >
          <div className="tabs" role="tablist" aria-label="Expiry">
            {expiries.map((e) => (
              <button key={e.toString()} role="tab" aria-selected={e === activeExpiry} onClick={() => setExpiry(e)}>
                {formatUtc(e).slice(0, 10)}
              </button>
            ))}
          </div>
          <div className="scroll">
            {activeExpiry === null ? (
              <Empty>No open option series for this underlying.</Empty>
            ) : (
              <OptionChain
                options={live.filter((o) => o.expiry === activeExpiry)}
                tickers={tickers.data ?? []}
                spot={spot}
                now={now}
                selected={selected?.instrument ?? null}
                onPick={setSelected}
              />
            )}
          </div>
        </Panel>
        <OrderTicket market={selected} bestBid={ticker?.bid ?? null} bestAsk={ticker?.ask ?? null} hint={null} />
      </div>
      <Panel title="Option positions" labelId="option-positions-title">
        {account.data === undefined ? (
          <Empty>Unlock trading to see your positions.</Empty>
        ) : (
          <OptionPositions
            positions={account.data.positions}
            instruments={instruments.data ?? []}
            tickers={tickers.data ?? []}
            spotOf={spotOf}
            now={now}
          />
        )}
      </Panel>
      <Panel title="Expired series" labelId="expired-title">
        {expired.length === 0 ? (
          <Empty>No expired series.</Empty>
        ) : (
          <table aria-label="Expired series">
            <thead>
              <tr>
                <th>Series</th>
                <th>Expired (UTC)</th>
                <th className="num">Intrinsic at today's oracle</th>
              </tr>
            </thead>
            <tbody>
              {expired.map((o) => (
                <tr key={o.instrument.toString()}>
                  <td>{o.name}</td>
                  <td>{formatUtc(o.expiry)}</td>
                  <td className="num">
                    {formatPrice(tickers.data?.find((t) => t.instrument === o.instrument)?.markPrice ?? 0n)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </main>
  );
}
