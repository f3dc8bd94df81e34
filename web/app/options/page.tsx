"use client";
/**
 * The options screen: a chain per underlying and expiry, the ticket, positions with greeks, and
 * the expired series with their settlement (`GET /v1/instruments?status=settled`).
 */
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { OptionChain } from "../../components/options/OptionChain.tsx";
import { settlementOf } from "../../components/options/analytics.ts";
import { OptionPositions } from "../../components/options/OptionPositions.tsx";
import { useSettlements } from "../../components/options/useSettlements.ts";
import { OrderTicket } from "../../components/trade/OrderTicket.tsx";
import { Empty, ErrorText, Panel, TableScroll, TabList, TabPanel, tabId } from "../../components/ui.tsx";
import { explain } from "../../lib/errors.ts";
import { formatPrice, formatUtc } from "../../lib/format.ts";
import { useAccount, useInstruments, useMarks, useNow, useTickers } from "../../lib/market.ts";
import { UNDERLYINGS } from "../../../protocol/instruments.ts";
import type { Instrument } from "../../lib/api.ts";
import { useVenue } from "../../lib/venue.tsx";

/** How often the settled series are read while an expired series awaits settlement, ms. */
const SETTLEMENT_POLL_MS = 3_000;
/** How often they are read otherwise, ms. */
const SETTLED_POLL_MS = 60_000;

/** Settlement price (cents) of each settled option series, by instrument id. */
function useSettlementPrices(expired: readonly Instrument[]): ReadonlyMap<bigint, bigint> {
  const { api } = useVenue();
  const settled = useQuery({
    queryKey: ["instruments", "settled"],
    queryFn: () => api.instruments("settled"),
    refetchInterval: (q) => {
      const known = new Set((q.state.data ?? []).map((m) => m.instrument));
      return expired.some((o) => !known.has(o.instrument)) ? SETTLEMENT_POLL_MS : SETTLED_POLL_MS;
    },
  });
  return useMemo(
    () =>
      new Map(
        (settled.data ?? []).flatMap((m) => (m.settlementPrice === null ? [] : [[m.instrument, m.settlementPrice]])),
      ),
    [settled.data],
  );
}

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
  const settlementPrices = useSettlementPrices(expired);
  const settled = useSettlements();
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
          <TabList
            label="Expiry"
            idPrefix="expiry"
            panelId="option-chain-panel"
            selected={activeExpiry}
            onSelect={setExpiry}
            tabs={expiries.map((e) => ({ value: e, label: formatUtc(e).slice(0, 10) }))}
          />
          {activeExpiry === null ? (
            <div className="scroll">
              <Empty>No open option series for this underlying.</Empty>
            </div>
          ) : (
            <TabPanel id="option-chain-panel" labelledBy={tabId("expiry", activeExpiry)} className="scroll">
              <OptionChain
                options={live.filter((o) => o.expiry === activeExpiry)}
                tickers={tickers.data ?? []}
                spot={spot}
                now={now}
                selected={selected?.instrument ?? null}
                onPick={setSelected}
              />
            </TabPanel>
          )}
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
            settlementPrices={settlementPrices}
            settled={settled.data ?? []}
            now={now}
          />
        )}
      </Panel>
      <Panel title="Expired series" labelId="expired-title">
        {expired.length === 0 ? (
          <Empty>No expired series.</Empty>
        ) : (
          <TableScroll label="Expired series, scrollable">
            <table aria-label="Expired series">
              <thead>
                <tr>
                  <th>Series</th>
                  <th>Expired (UTC)</th>
                  <th className="num">Settlement price</th>
                  <th className="num">Intrinsic per contract</th>
                </tr>
              </thead>
              <tbody>
                {expired.map((o) => {
                  const settlement = settlementOf(o, settlementPrices.get(o.instrument) ?? o.settlementPrice);
                  return (
                    <tr key={o.instrument.toString()}>
                      <td>{o.name}</td>
                      <td>{formatUtc(o.expiry)}</td>
                      {settlement === null ? (
                        <td className="muted" colSpan={2}>
                          awaiting settlement
                        </td>
                      ) : (
                        <>
                          <td className="num">{formatPrice(settlement.price)}</td>
                          <td className="num">{formatPrice(settlement.intrinsic)}</td>
                        </>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Panel>
    </main>
  );
}
