"use client";
/**
 * The normal way out: an L2 withdrawal from the trading account. The trading key signs the
 * withdrawal message (protocol/signing.ts `withdrawalOrder`, docs/protocol.md §5.2), an order of
 * instrument 0 whose id comes from the same allocator as the order ticket's (withdrawals burn an
 * id of the same order tree; counted up from the venue's next id, asked right before signing),
 * and the venue puts it in the open batch. Once the batch is
 * verified on L1 the amount is claimable by the wallet.
 */
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { QUOTE_DECIMALS } from "../../../protocol/constants.ts";
import { withdrawalOrder } from "../../../protocol/signing.ts";
import { useUsdcInput } from "../../lib/amountInput.ts";
import { explainWithdrawal } from "../../lib/errors.ts";
import { formatFixed, formatUsdc } from "../../lib/format.ts";
import { useAccount, useFetchNextOrderId, useOpenOrders } from "../../lib/market.ts";
import { allocateOrderId } from "../../lib/orderIds.ts";
import { sign } from "../../lib/orders.ts";
import { useSession, venueSessionBlocker } from "../../lib/session.tsx";
import { useVenue } from "../../lib/venue.tsx";
import { ErrorText } from "../ui.tsx";

/** Lifetime of a withdrawal message: it must reach the venue within this many seconds. */
const WITHDRAWAL_LIFETIME = 300n;

/** Every base unit of a USDC amount, ungrouped, so the field parses back to exactly it. */
function exactUsdc(amount: bigint): string {
  return formatFixed(amount, QUOTE_DECIMALS, { group: false });
}

export function L2Withdraw() {
  const { api, domain, deployment } = useVenue();
  const session = useSession();
  const client = useQueryClient();
  const account = useAccount();
  const openOrders = useOpenOrders();
  const fetchNextOrderId = useFetchNextOrderId();
  const amount = useUsdcInput();
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<{ readonly ok: boolean; readonly text: string } | null>(null);
  const free = account.data?.freeCollateral ?? null;
  const freeShown = free === null ? null : free > 0n ? free : 0n;

  let blocker: string | null = null;
  if (session.key === null) blocker = "Unlock trading to sign a withdrawal.";
  else if (session.accountId === null) blocker = "You need an account (make a deposit) to withdraw.";
  else if (session.token === null) blocker = venueSessionBlocker(session);
  else if (amount.amount !== null && freeShown !== null && amount.amount > freeShown)
    blocker = `Only ${formatUsdc(freeShown)} USDC is free: the rest of your collateral backs open positions.`;

  const submit = async () => {
    if (blocker !== null || amount.amount === null || session.key === null || session.accountId === null) return;
    setSending(true);
    setResult(null);
    try {
      // The venue's next id for the account, asked now: ids count up from it (never the clock).
      const venueNext = await fetchNextOrderId(session.accountId);
      const nowSeconds = BigInt(Math.floor(Date.now() / 1000));
      const orderId = allocateOrderId(
        localStorage,
        session.accountId,
        venueNext,
        (openOrders.data ?? []).map((o) => o.orderId),
        deployment.profile.orderDepth,
      );
      if (orderId === null) throw new Error("Every order slot holds an open order: cancel one first.");
      const order = withdrawalOrder(session.accountId, amount.amount, orderId, nowSeconds + WITHDRAWAL_LIFETIME);
      const accepted = await api.withdraw(sign(session.key.privateKey, order, domain));
      setResult({
        ok: true,
        text: `Withdrawal of ${formatUsdc(accepted.requested)} USDC accepted into batch ${accepted.batch}.`,
      });
      amount.setText("");
      void client.invalidateQueries({ queryKey: ["account", session.accountId.toString()] });
    } catch (e) {
      setResult({ ok: false, text: explainWithdrawal(e, freeShown) });
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      className="form"
      aria-labelledby="l2-withdraw-title"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="l2-withdraw-title" style={{ fontSize: 13, margin: 0 }}>
        Withdraw from your trading account
      </h3>
      <dl className="summary">
        <dt>Free collateral</dt>
        <dd>{freeShown === null ? "—" : `${formatUsdc(freeShown)} USDC`}</dd>
      </dl>
      <div className="field">
        <label htmlFor="l2-withdraw-amount">Amount to withdraw (USDC)</label>
        <div className="row">
          <input
            id="l2-withdraw-amount"
            inputMode="decimal"
            autoComplete="off"
            value={amount.text}
            onChange={(e) => amount.setText(e.target.value)}
            aria-invalid={amount.error !== null || blocker !== null}
            aria-describedby="l2-withdraw-help"
          />
          <button
            type="button"
            style={{ flex: "none" }}
            disabled={freeShown === null || freeShown === 0n}
            aria-label={freeShown === null ? "Max" : `Max: ${formatUsdc(freeShown)} USDC`}
            onClick={() => freeShown !== null && amount.setText(exactUsdc(freeShown))}
          >
            Max
          </button>
        </div>
      </div>
      {amount.error !== null && <ErrorText>{amount.error}</ErrorText>}
      {amount.amount !== null && blocker !== null && <ErrorText>{blocker}</ErrorText>}
      <p id="l2-withdraw-help" className="muted" style={{ margin: 0 }}>
        Signed with your trading key and paid out by the next batch: claimable here once that batch is verified on L1.
      </p>
      <button className="primary" type="submit" disabled={amount.amount === null || blocker !== null || sending}>
        {sending ? "Signing and sending…" : "Sign and withdraw"}
      </button>
      {result !== null &&
        (result.ok ? (
          <p className="ok" role="status">
            {result.text}
          </p>
        ) : (
          <ErrorText>{result.text}</ErrorText>
        ))}
    </form>
  );
}
