"use client";
/**
 * The account's positions, open orders and fills, and its margin health. Values come from the
 * sequencer's account view (computed there with protocol/margin); fees of fills are recomputed
 * here with the protocol's fee rates.
 */
import { useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { BPS, MAKER_FEE_BPS, TAKER_FEE_BPS } from "../../../protocol/constants.ts";
import { abs } from "../../../protocol/field.ts";
import { decodeInstrument, isOption } from "../../../protocol/instruments.ts";
import { Side } from "../../../protocol/types.ts";
import type { AccountView, Fill, PositionView } from "../../lib/api.ts";
import { explain } from "../../lib/errors.ts";
import { formatClock, formatFixed, formatPercent, formatPrice, formatSize, formatUsdc } from "../../lib/format.ts";
import { useAccount, useFills, useMarks, useOpenOrders } from "../../lib/market.ts";
import type { Marks } from "../../../protocol/margin.ts";
import { useSession } from "../../lib/session.tsx";
import { useVenue } from "../../lib/venue.tsx";
import { Badge, Empty, ErrorText, Signed, TabList, TabPanel, tabId } from "../ui.tsx";

type Tab = "positions" | "orders" | "fills";

/**
 * The oracle price at which the position's PnL is zero, cents (display only, rounded). A perp's
 * `cost` accumulates `q·(p − F)` (§6.1), so PnL `size·(price − F) − cost` is zero at
 * `price = cost/size + F` with today's funding index: the entry price adjusted for funding.
 */
function breakEven(p: PositionView, marks: Marks | null): bigint {
  const spec = decodeInstrument(p.instrument);
  const perUnit = (2n * p.cost + p.size) / (2n * p.size);
  if (isOption(spec)) return perUnit;
  return perUnit + (marks?.fundingIndex[spec.underlying - 1] ?? 0n);
}

function Positions({
  view,
  filter,
}: {
  readonly view: AccountView;
  readonly filter?: (instrument: bigint) => boolean;
}) {
  const marks = useMarks();
  const rows = view.positions.filter((p) => filter === undefined || filter(p.instrument));
  if (rows.length === 0) return <Empty>No open positions.</Empty>;
  return (
    <table aria-label="Positions">
      <thead>
        <tr>
          <th>Market</th>
          <th className="num">Size</th>
          <th
            className="num"
            title="Entry price adjusted for the funding paid or received: the price at which PnL is zero"
          >
            Break-even
          </th>
          <th className="num">Mark</th>
          <th className="num">Unrealised PnL</th>
          <th className="num">Liq. price</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr key={p.instrument.toString()}>
            <td>{p.name}</td>
            <td className={`num ${p.size > 0n ? "pos" : "neg"}`}>{formatSize(p.size, { plus: true })}</td>
            <td className="num">{formatPrice(breakEven(p, marks))}</td>
            <td className="num">{formatPrice(p.mark)}</td>
            <td className="num">
              <Signed value={p.pnl}>{formatUsdc(p.pnl, { plus: true })}</Signed>
            </td>
            <td className="num warn">{p.liquidationPrice === null ? "—" : formatPrice(p.liquidationPrice)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Orders() {
  const { api } = useVenue();
  const { token } = useSession();
  const orders = useOpenOrders();
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const cancel = async (orderId: bigint | null) => {
    if (token === null) return;
    setError(null);
    try {
      if (orderId === null) await api.cancelAll(token);
      else await api.cancelOrder(token, orderId);
      await client.invalidateQueries({ queryKey: ["account"] });
    } catch (e) {
      setError(explain(e));
    }
  };
  if (orders.error !== null) return <ErrorText>{explain(orders.error)}</ErrorText>;
  const list = orders.data ?? [];
  if (list.length === 0) return <Empty>No open orders.</Empty>;
  return (
    <>
      {error !== null && <ErrorText>{error}</ErrorText>}
      <table aria-label="Open orders">
        <thead>
          <tr>
            <th>Market</th>
            <th>Side</th>
            <th className="num">Price</th>
            <th className="num">Size</th>
            <th className="num">Filled</th>
            <th className="num">Placed (UTC)</th>
            <th className="num">
              <button className="link" onClick={() => void cancel(null)}>
                Cancel all
              </button>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((o) => (
            <tr key={o.orderId.toString()}>
              <td>{o.name}</td>
              <td className={o.side === Side.BUY ? "pos" : "neg"}>{o.side === Side.BUY ? "Buy" : "Sell"}</td>
              <td className="num">{formatPrice(o.price)}</td>
              <td className="num">{formatSize(o.size)}</td>
              <td className="num">{formatSize(o.filled)}</td>
              <td className="num muted">{formatClock(o.acceptedAt)}</td>
              <td className="num">
                <button
                  className="link"
                  onClick={() => void cancel(o.orderId)}
                  aria-label={`Cancel order ${o.orderId} on ${o.name}`}
                >
                  Cancel
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The account's side, liquidity and fee of a fill (§6.3.8). */
export function fillOf(f: Fill, accountId: bigint) {
  const maker = f.maker.accountId === accountId;
  const side = maker ? (f.takerSide === Side.BUY ? Side.SELL : Side.BUY) : f.takerSide;
  const fee = (f.size * f.price * (maker ? MAKER_FEE_BPS : TAKER_FEE_BPS)) / BPS;
  return { maker, side, fee };
}

function Fills() {
  const { accountId } = useSession();
  const fills = useFills();
  if (fills.error !== null) return <ErrorText>{explain(fills.error)}</ErrorText>;
  const list = fills.data ?? [];
  if (list.length === 0 || accountId === null) return <Empty>No fills yet.</Empty>;
  return (
    <table aria-label="Fills">
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th>Market</th>
          <th>Side</th>
          <th className="num">Price</th>
          <th className="num">Size</th>
          <th className="num">Fee</th>
          <th>Role</th>
          <th className="num">Batch</th>
          <th>Proof</th>
        </tr>
      </thead>
      <tbody>
        {list.map((f) => {
          const mine = fillOf(f, accountId);
          return (
            <tr key={f.tradeId}>
              <td className="muted">{formatClock(f.time)}</td>
              <td>{f.name}</td>
              <td className={mine.side === Side.BUY ? "pos" : "neg"}>{mine.side === Side.BUY ? "Buy" : "Sell"}</td>
              <td className="num">{formatPrice(f.price)}</td>
              <td className="num">{formatSize(f.size)}</td>
              <td className="num">{formatUsdc(mine.fee, { fraction: 4 })}</td>
              <td className="muted">{mine.maker ? "Maker" : "Taker"}</td>
              <td className="num">{f.batch}</td>
              <td>
                <Badge status={f.proofStatus ?? "open"} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Equity, margins and a health bar (maintenance margin over equity). */
export function MarginHealth({ view }: { readonly view: AccountView }) {
  const mmRatio = view.equity > 0n ? (view.maintenanceMargin * 10_000n) / view.equity : null;
  const pct = mmRatio === null ? 100 : Math.min(Number(mmRatio) / 100, 100);
  const color = pct >= 80 ? "var(--sell)" : pct >= 50 ? "var(--warn)" : "var(--buy)";
  const notional = view.positions.reduce(
    (sum, p) => (isOption(decodeInstrument(p.instrument)) ? sum : sum + abs(p.size) * p.mark),
    0n,
  );
  return (
    <div className="panel-body form" aria-label="Margin health">
      <dl className="summary">
        <dt>Equity</dt>
        <dd>{formatUsdc(view.equity)}</dd>
        <dt>Collateral</dt>
        <dd>{formatUsdc(view.collateral)}</dd>
        <dt>Initial margin</dt>
        <dd>{formatUsdc(view.initialMargin)}</dd>
        <dt>Maintenance margin</dt>
        <dd>{formatUsdc(view.maintenanceMargin)}</dd>
        <dt>Free collateral</dt>
        <dd>{formatUsdc(view.freeCollateral)}</dd>
        <dt>Leverage</dt>
        <dd>{view.equity > 0n ? `${formatFixed((notional * 100n) / view.equity, 2)}×` : "—"}</dd>
      </dl>
      <div>
        <div className="row" style={{ justifyContent: "space-between" }}>
          <span className="muted">Maintenance margin used</span>
          <span className="num">{mmRatio === null ? "—" : formatPercent(view.maintenanceMargin, view.equity, 1)}</span>
        </div>
        <div
          className="health"
          role="meter"
          aria-label="Maintenance margin used"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(pct)}
        >
          <div style={{ width: `${pct}%`, background: color }} />
        </div>
        {pct >= 100 && (
          <p className="error" role="alert">
            Your account is below maintenance margin and can be liquidated. Add collateral or reduce positions.
          </p>
        )}
      </div>
    </div>
  );
}

export function AccountPanel({
  filter,
  className,
}: {
  readonly filter?: (instrument: bigint) => boolean;
  readonly className?: string;
}) {
  const session = useSession();
  const account = useAccount();
  const [tab, setTab] = useState<Tab>("positions");
  const ids = useId();
  let body;
  if (session.key === null || session.accountId === null) {
    body = <Empty>Connect your wallet and unlock trading to see your positions and orders.</Empty>;
  } else if (session.token === null) {
    body =
      session.tokenError !== null ? (
        <ErrorText>{explain(session.tokenError)}</ErrorText>
      ) : (
        <Empty>Opening a session with the exchange…</Empty>
      );
  } else if (tab === "positions") {
    body =
      account.error !== null ? (
        <ErrorText>{explain(account.error)}</ErrorText>
      ) : account.data === undefined ? (
        <Empty>Loading…</Empty>
      ) : (
        <Positions view={account.data} {...(filter === undefined ? {} : { filter })} />
      );
  } else if (tab === "orders") {
    body = <Orders />;
  } else {
    body = <Fills />;
  }
  return (
    <section className={`panel ${className ?? ""}`} aria-label="Account">
      <TabList
        label="Account"
        idPrefix={`${ids}-account`}
        panelId={`${ids}-account-panel`}
        selected={tab}
        onSelect={setTab}
        tabs={[
          { value: "positions", label: `Positions${account.data ? ` (${account.data.positions.length})` : ""}` },
          { value: "orders", label: `Open orders${account.data ? ` (${account.data.openOrders})` : ""}` },
          { value: "fills", label: "Fills" },
        ]}
      />
      <TabPanel
        id={`${ids}-account-panel`}
        labelledBy={tabId(`${ids}-account`, tab)}
        className="scroll"
        style={{ maxHeight: 320 }}
      >
        {body}
      </TabPanel>
    </section>
  );
}
