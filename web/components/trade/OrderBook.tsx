"use client";
/** The order book with cumulative depth bars, and the recent trades, in one tabbed panel. */
import { useId, useState } from "react";
import { Side } from "../../../protocol/types.ts";
import { formatClock, formatPercent, formatPrice, formatSize } from "../../lib/format.ts";
import { useBook, useTrades } from "../../lib/market.ts";
import type { BookLevel } from "../../lib/market.ts";
import { explain } from "../../lib/errors.ts";
import { Empty, TabList, TabPanel, tabId } from "../ui.tsx";

const DEPTH = 14;

function Row({
  level,
  max,
  kind,
  onPick,
}: {
  readonly level: BookLevel;
  readonly max: bigint;
  readonly kind: "bid" | "ask";
  readonly onPick: (price: bigint) => void;
}) {
  const width = max === 0n ? 0 : Number((level.cumulative * 1000n) / max) / 10;
  return (
    <button
      className={`book-row ${kind}`}
      onClick={() => onPick(level.price)}
      aria-label={`${kind === "bid" ? "Bid" : "Ask"} ${formatPrice(level.price)}, size ${formatSize(level.size)}. Use this price.`}
    >
      <span className="px">{formatPrice(level.price)}</span>
      <span>{formatSize(level.size)}</span>
      <span className="muted">{formatSize(level.cumulative)}</span>
      <span className="bar" style={{ width: `${width}%` }} aria-hidden="true" />
    </button>
  );
}

function Book({ instrument, onPick }: { readonly instrument: bigint; readonly onPick: (price: bigint) => void }) {
  const book = useBook(instrument, DEPTH);
  if (book === null) return <Empty>Loading the book…</Empty>;
  const max = [book.bids.at(-1)?.cumulative ?? 0n, book.asks.at(-1)?.cumulative ?? 0n].reduce((a, b) =>
    a > b ? a : b,
  );
  const bestBid = book.bids[0]?.price;
  const bestAsk = book.asks[0]?.price;
  return (
    <div className="book" role="region" aria-label="Order book">
      <div className="book-row muted" aria-hidden="true" style={{ fontSize: 11 }}>
        <span>Price</span>
        <span>Size</span>
        <span>Total</span>
      </div>
      <div aria-label="Asks" role="group">
        {[...book.asks].reverse().map((l) => (
          <Row key={`a${l.price}`} level={l} max={max} kind="ask" onPick={onPick} />
        ))}
      </div>
      <div className="spread" aria-live="off">
        <span>Spread</span>
        <span className="num">
          {bestBid !== undefined && bestAsk !== undefined
            ? `${formatPrice(bestAsk - bestBid)} (${formatPercent(bestAsk - bestBid, bestAsk, 3)})`
            : "—"}
        </span>
      </div>
      <div aria-label="Bids" role="group">
        {book.bids.map((l) => (
          <Row key={`b${l.price}`} level={l} max={max} kind="bid" onPick={onPick} />
        ))}
      </div>
      {book.bids.length === 0 && book.asks.length === 0 && <Empty>No resting orders.</Empty>}
    </div>
  );
}

function Trades({ instrument }: { readonly instrument: bigint }) {
  const trades = useTrades(instrument);
  if (trades.error !== null) return <p className="error">{explain(trades.error)}</p>;
  if (trades.data === undefined) return <Empty>Loading trades…</Empty>;
  if (trades.data.length === 0) return <Empty>No trades yet.</Empty>;
  return (
    <table aria-label="Recent trades">
      <thead>
        <tr>
          <th>Price</th>
          <th className="num">Size</th>
          <th className="num">Time (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {trades.data.map((t) => (
          <tr key={t.tradeId}>
            <td className={`num ${t.takerSide === Side.BUY ? "pos" : "neg"}`} style={{ textAlign: "left" }}>
              {formatPrice(t.price)}
            </td>
            <td className="num">{formatSize(t.size)}</td>
            <td className="num muted">{formatClock(t.time)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BookAndTrades({
  instrument,
  onPick,
}: {
  readonly instrument: bigint | null;
  readonly onPick: (price: bigint) => void;
}) {
  const [tab, setTab] = useState<"book" | "trades">("book");
  const ids = useId();
  return (
    <section className="panel area-book" aria-label="Order book and trades">
      <TabList
        label="Order book and trades"
        idPrefix={`${ids}-book`}
        panelId={`${ids}-book-panel`}
        selected={tab}
        onSelect={setTab}
        tabs={[
          { value: "book", label: "Order book" },
          { value: "trades", label: "Trades" },
        ]}
      />
      <TabPanel id={`${ids}-book-panel`} labelledBy={tabId(`${ids}-book`, tab)} className="scroll">
        {instrument === null ? (
          <Empty>Pick a market.</Empty>
        ) : tab === "book" ? (
          <Book instrument={instrument} onPick={onPick} />
        ) : (
          <Trades instrument={instrument} />
        )}
      </TabPanel>
    </section>
  );
}
