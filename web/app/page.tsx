"use client";
/** The perpetuals screen: chart, book and trades, order ticket, positions and margin. */
import { useMemo, useState } from "react";
import { AccountPanel, MarginHealth } from "../components/trade/AccountPanel.tsx";
import { MarketBar } from "../components/trade/MarketBar.tsx";
import { BookAndTrades } from "../components/trade/OrderBook.tsx";
import { OrderTicket } from "../components/trade/OrderTicket.tsx";
import type { PriceHint } from "../components/trade/OrderTicket.tsx";
import { PriceChart } from "../components/trade/PriceChart.tsx";
import { Empty, ErrorText } from "../components/ui.tsx";
import { explain } from "../lib/errors.ts";
import { useAccount, useInstruments, useTicker } from "../lib/market.ts";

export default function PerpsPage() {
  const instruments = useInstruments();
  const perps = useMemo(() => (instruments.data ?? []).filter((m) => m.kind === "perp"), [instruments.data]);
  const [chosen, setChosen] = useState<bigint | null>(null);
  const market = perps.find((m) => m.instrument === chosen) ?? perps[0] ?? null;
  const ticker = useTicker(market?.instrument ?? null);
  const account = useAccount();
  const [hint, setHint] = useState<PriceHint | null>(null);

  if (instruments.error !== null) {
    return (
      <main className="page">
        <ErrorText>{explain(instruments.error)}</ErrorText>
      </main>
    );
  }
  return (
    <main className="trade-grid">
      <h1 className="visually-hidden">Perpetual futures</h1>
      <MarketBar markets={perps} selected={market} onSelect={setChosen} />
      <PriceChart instrument={market?.instrument ?? null} name={market?.name ?? ""} />
      <BookAndTrades
        instrument={market?.instrument ?? null}
        onPick={(price) => setHint((h) => ({ price, nonce: (h?.nonce ?? 0) + 1 }))}
      />
      <div className="area-ticket" style={{ display: "grid", gap: 6, alignContent: "start" }}>
        <OrderTicket market={market} bestBid={ticker?.bid ?? null} bestAsk={ticker?.ask ?? null} hint={hint} />
        <section className="panel" aria-labelledby="margin-title">
          <h2 id="margin-title">Margin</h2>
          {account.data === undefined ? <Empty>No account data yet.</Empty> : <MarginHealth view={account.data} />}
        </section>
      </div>
      <AccountPanel className="area-account" />
    </main>
  );
}
