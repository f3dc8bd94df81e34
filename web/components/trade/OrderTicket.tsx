"use client";
/**
 * The order ticket for any instrument (perp or option): side, limit or market, size, price,
 * reduce-only, post-only and time in force, with a margin preview computed by protocol/margin
 * on the account as it would be after a full fill. Orders are signed here with the trading key.
 */
import { useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { BPS } from "../../../protocol/constants.ts";
import { decodeInstrument, isOption } from "../../../protocol/instruments.ts";
import { Side } from "../../../protocol/types.ts";
import type { Order, SideCode } from "../../../protocol/types.ts";
import type { Instrument } from "../../lib/api.ts";
import { explain, explainCode } from "../../lib/errors.ts";
import {
  AmountInputError,
  formatFixed,
  formatPrice,
  formatSize,
  formatUsdc,
  parsePrice,
  parseSize,
} from "../../lib/format.ts";
import { accountOf, useAccount, useFetchNextOrderId, useMarks, useOpenOrders } from "../../lib/market.ts";
import { allocateOrderId } from "../../lib/orderIds.ts";
import { belowMinimumNotional, leverageX100, orderFlags, previewFill, sign } from "../../lib/orders.ts";
import type { TimeInForceName } from "../../lib/orders.ts";
import { useSession, venueSessionBlocker } from "../../lib/session.tsx";
import { useVenue } from "../../lib/venue.tsx";
import { TabList } from "../ui.tsx";

/** How far past the best opposite price a market order may fill, in basis points. */
const MARKET_SLIPPAGE_BPS = 100n;
/** Lifetime of a resting (GTC) order, seconds. */
const GTC_LIFETIME = 28n * 86_400n;
/**
 * Lifetime of an IOC, FOK or market order, seconds: it never rests, so its signature must not
 * stay fillable after the venue answered (the SDK's `DEFAULT_IMMEDIATE_TTL_SECONDS`).
 */
const IMMEDIATE_LIFETIME = 10n;

export interface PriceHint {
  readonly price: bigint;
  /** Changes on every pick, so picking the same price twice still applies. */
  readonly nonce: number;
}

export function OrderTicket({
  market,
  bestBid,
  bestAsk,
  hint,
  className,
}: {
  readonly market: Instrument | null;
  readonly bestBid: bigint | null;
  readonly bestAsk: bigint | null;
  readonly hint: PriceHint | null;
  readonly className?: string;
}) {
  const { api, domain, deployment } = useVenue();
  const session = useSession();
  const client = useQueryClient();
  const account = useAccount();
  const openOrders = useOpenOrders();
  const fetchNextOrderId = useFetchNextOrderId();
  const marks = useMarks();
  const [side, setSide] = useState<SideCode>(Side.BUY);
  const [type, setType] = useState<"limit" | "market">("limit");
  const [priceText, setPriceText] = useState("");
  const [sizeText, setSizeText] = useState("");
  const [reduceOnly, setReduceOnly] = useState(false);
  const [postOnly, setPostOnly] = useState(false);
  const [tif, setTif] = useState<TimeInForceName>("GTC");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    if (hint !== null) {
      setPriceText(formatPrice(hint.price, { group: false }));
      setType("limit");
    }
  }, [hint]);

  const option = market !== null && isOption(decodeInstrument(market.instrument));

  // The account as protocol/ sees it, for the dust rule's exemption and the fill preview.
  const current = useMemo(
    () => (account.data === undefined ? null : accountOf(account.data, deployment.profile.positions)),
    [account.data, deployment.profile.positions],
  );

  // The limit price the order will carry: typed, or for a market order the worst acceptable.
  const parsed = useMemo(() => {
    try {
      const size = sizeText.trim() === "" ? null : parseSize(sizeText);
      let price: bigint | null;
      if (type === "market") {
        const ref = side === Side.BUY ? bestAsk : bestBid;
        if (ref === null) return { size, price: null, error: "The book has no opposite side to trade against." };
        price =
          side === Side.BUY ? (ref * (BPS + MARKET_SLIPPAGE_BPS)) / BPS : (ref * (BPS - MARKET_SLIPPAGE_BPS)) / BPS;
      } else {
        price = priceText.trim() === "" ? null : parsePrice(priceText);
      }
      if (market !== null && price !== null && type === "limit" && price % market.tickSize !== 0n) {
        return { size, price, error: `The price must be a multiple of ${formatPrice(market.tickSize)}.` };
      }
      if (market !== null && size !== null && size % market.lotSize !== 0n) {
        return { size, price, error: `The size must be a multiple of ${formatSize(market.lotSize)}.` };
      }
      if (market !== null && size !== null && size < market.minSize) {
        return { size, price, error: `The smallest order is ${formatSize(market.minSize)}.` };
      }
      // The venue's minimum notional (an immediate reduce-only close of the whole position is exempt).
      const held =
        market === null || current === null
          ? 0n
          : (current.positions.find((p) => p.instrument === market.instrument)?.size ?? 0n);
      const immediate = type === "market" || tif !== "GTC";
      if (
        market !== null &&
        size !== null &&
        price !== null &&
        belowMinimumNotional({ side, size, price, reduceOnly, immediate }, market.minNotional, bestAsk, held)
      ) {
        return { size, price, error: `The smallest order is ${formatUsdc(market.minNotional)} USD (size × price).` };
      }
      return { size, price, error: null };
    } catch (e) {
      return { size: null, price: null, error: e instanceof AmountInputError ? e.message : explain(e) };
    }
  }, [sizeText, priceText, type, side, bestBid, bestAsk, market, reduceOnly, tif, current]);

  const preview = useMemo(() => {
    if (current === null || marks === null || market === null) return null;
    if (parsed.size === null || parsed.price === null || parsed.size === 0n) return null;
    return previewFill(current, marks, market.instrument, side, parsed.size, parsed.price);
  }, [current, marks, market, side, parsed]);

  const leverage = preview === null || marks === null ? null : leverageX100(preview.after, marks);

  let blocker: string | null = null;
  if (market === null) blocker = "Pick a market.";
  else if (session.address === undefined) blocker = "Connect a wallet to trade.";
  else if (!session.onChain) blocker = "Switch your wallet to the venue's chain.";
  else if (session.key === null) blocker = "Unlock trading: your wallet signs one message to derive your trading key.";
  else if (session.accountId === null) blocker = "Deposit USDC on the Portfolio page to open your account.";
  else if (session.token === null) blocker = venueSessionBlocker(session);
  else if (parsed.error !== null) blocker = parsed.error;
  else if (parsed.size === null || parsed.size === 0n) blocker = "Enter a size.";
  else if (parsed.price === null) blocker = "Enter a price.";
  else if (preview?.noSlot === true) blocker = "All your position slots are in use: close a position first.";
  else if (reduceOnly && preview !== null && !preview.reduces)
    blocker = "Reduce-only: this order would not shrink a position.";
  else if (preview !== null && !preview.accepted) blocker = "Not enough margin for this order.";

  const submit = async () => {
    if (blocker !== null || market === null || session.key === null || session.accountId === null) return;
    setSending(true);
    setResult(null);
    try {
      const accountId = session.accountId;
      // The venue's next id for the account, asked now: ids count up from it (never the clock).
      const venueNext = await fetchNextOrderId(accountId);
      const nowSeconds = BigInt(Math.floor(Date.now() / 1000));
      const orderId = allocateOrderId(
        localStorage,
        accountId,
        venueNext,
        (openOrders.data ?? []).map((o) => o.orderId),
        deployment.profile.orderDepth,
      );
      if (orderId === null) throw new Error("Every order slot holds an open order: cancel one first.");
      const immediate = type === "market" || tif !== "GTC";
      const order: Order = {
        accountId,
        instrument: market.instrument,
        side,
        size: parsed.size!,
        price: parsed.price!,
        orderId,
        expiry: nowSeconds + (immediate ? IMMEDIATE_LIFETIME : GTC_LIFETIME),
        flags: orderFlags({
          reduceOnly,
          postOnly: type === "limit" && postOnly,
          timeInForce: type === "market" ? "IOC" : tif,
        }),
      };
      const signed = sign(session.key.privateKey, order, domain);
      const placed = await api.placeOrder(signed);
      const filled = placed.filled === 0n ? "" : `, ${formatSize(placed.filled)} filled`;
      const stopped = placed.stopCode === null ? "" : ` Stopped: ${explainCode(placed.stopCode, placed.stopCode)}`;
      setResult({ ok: placed.stopCode === null, text: `Order ${placed.status.replace("_", " ")}${filled}.${stopped}` });
      if (type === "limit") setSizeText("");
      void client.invalidateQueries({ queryKey: ["account", accountId.toString()] });
    } catch (e) {
      setResult({ ok: false, text: explain(e) });
    } finally {
      setSending(false);
    }
  };

  const id = option ? "option-ticket" : "perp-ticket";
  return (
    <section className={`panel ${className ?? ""}`} aria-labelledby={`${id}-title`}>
      <div className="panel-head">
        <h2 id={`${id}-title`} style={{ font: "inherit", margin: 0 }}>
          {market === null ? "Order" : market.name}
        </h2>
      </div>
      <form
        className="panel-body form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="side-switch" role="group" aria-label="Side">
          <button type="button" className="buy-tab" aria-pressed={side === Side.BUY} onClick={() => setSide(Side.BUY)}>
            {option ? "Buy" : "Buy / Long"}
          </button>
          <button
            type="button"
            className="sell-tab"
            aria-pressed={side === Side.SELL}
            onClick={() => setSide(Side.SELL)}
          >
            {option ? "Sell" : "Sell / Short"}
          </button>
        </div>
        <TabList
          label="Order type"
          idPrefix={`${id}-type`}
          selected={type}
          onSelect={setType}
          tabs={[
            { value: "limit", label: "Limit" },
            { value: "market", label: "Market" },
          ]}
        />
        {type === "limit" ? (
          <div className="field">
            <label htmlFor={`${id}-price`}>{option ? "Premium per contract (USDC)" : "Price (USDC)"}</label>
            <input
              id={`${id}-price`}
              inputMode="decimal"
              autoComplete="off"
              value={priceText}
              onChange={(e) => setPriceText(e.target.value)}
              placeholder={bestBid !== null ? formatPrice(bestBid, { group: false }) : "0.00"}
            />
          </div>
        ) : (
          <p className="muted" style={{ margin: 0 }}>
            Fills now against the book, up to {formatFixed(MARKET_SLIPPAGE_BPS, 2, { fraction: 0 })}% from the best
            price
            {parsed.price !== null ? ` (limit ${formatPrice(parsed.price)})` : ""}; the rest is cancelled.
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-size`}>Size ({option ? "contracts" : (market?.name.split("-")[0] ?? "units")})</label>
          <input
            id={`${id}-size`}
            inputMode="decimal"
            autoComplete="off"
            value={sizeText}
            onChange={(e) => setSizeText(e.target.value)}
            placeholder="0.0"
          />
        </div>
        <div className="checks">
          <label>
            <input type="checkbox" checked={reduceOnly} onChange={(e) => setReduceOnly(e.target.checked)} /> Reduce only
          </label>
          {type === "limit" && (
            <label>
              <input
                type="checkbox"
                checked={postOnly}
                onChange={(e) => {
                  setPostOnly(e.target.checked);
                  if (e.target.checked) setTif("GTC");
                }}
              />{" "}
              Post only
            </label>
          )}
          {type === "limit" && (
            <label>
              <span className="visually-hidden">Time in force</span>
              <select
                value={tif}
                onChange={(e) => setTif(e.target.value as TimeInForceName)}
                disabled={postOnly}
                aria-label="Time in force"
                style={{ width: "auto" }}
              >
                <option value="GTC">Good till cancelled</option>
                <option value="IOC">Immediate or cancel</option>
                <option value="FOK">Fill or kill</option>
              </select>
            </label>
          )}
        </div>
        <dl className="summary" aria-label="Order preview">
          <dt>{option ? "Premium" : "Notional"}</dt>
          <dd>{preview === null ? "—" : `${formatUsdc(preview.notional)} USDC`}</dd>
          <dt>Fee (taker, at most)</dt>
          <dd>{preview === null ? "—" : formatUsdc(preview.fee, { fraction: 4 })}</dd>
          <dt>Initial margin after</dt>
          <dd>{preview === null ? "—" : formatUsdc(preview.initialMargin)}</dd>
          <dt>Margin change</dt>
          <dd>{preview === null ? "—" : formatUsdc(preview.marginDelta, { plus: true })}</dd>
          <dt>Free collateral after</dt>
          <dd>{preview === null ? "—" : formatUsdc(preview.freeAfter)}</dd>
          {!option && (
            <>
              <dt>Leverage after</dt>
              <dd>{leverage === null ? "—" : `${formatFixed(leverage, 2)}×`}</dd>
            </>
          )}
          <dt>Liquidation price</dt>
          <dd>{preview?.liquidationPrice == null ? "—" : formatPrice(preview.liquidationPrice)}</dd>
        </dl>
        {blocker !== null && parsed.size !== null && (
          <p className="muted" role="status">
            {blocker}
          </p>
        )}
        <button
          type="submit"
          className={side === Side.BUY ? "buy" : "sell"}
          disabled={blocker !== null || sending}
          title={blocker ?? undefined}
        >
          {sending ? "Signing and sending…" : `${side === Side.BUY ? "Buy" : "Sell"} ${market?.name ?? ""}`}
        </button>
        {blocker !== null && parsed.size === null && (
          <p className="muted" style={{ margin: 0 }}>
            {blocker}
          </p>
        )}
        {result !== null &&
          (result.ok ? (
            <p className="ok" role="status">
              {result.text}
            </p>
          ) : (
            <p className="error" role="alert">
              {result.text}
            </p>
          ))}
      </form>
    </section>
  );
}
