"use client";
/**
 * The forced withdrawal request (`requestForcedWithdrawal` on L1): the way out that needs no
 * cooperation from the operator. The next batches must serve it, paying it or proving it would
 * break the margin rule (docs/protocol.md §6.8), before the deadline; otherwise anyone may start
 * the exodus.
 */
import { useWriteContract } from "wagmi";
import { useUsdcInput } from "../../lib/amountInput.ts";
import { rollupAbi } from "../../lib/contracts.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { ErrorText, TxStatus } from "../ui.tsx";

export function WithdrawRequest({ onDone }: { readonly onDone?: () => void }) {
  const { deployment } = useVenue();
  const session = useSession();
  const { mutateAsync: write } = useWriteContract();
  const withdraw = useL1Tx(onDone);
  const amount = useUsdcInput();
  return (
    <>
      <div className="field">
        <label htmlFor="withdraw-amount">Amount (USDC)</label>
        <input
          id="withdraw-amount"
          inputMode="decimal"
          value={amount.text}
          onChange={(e) => amount.setText(e.target.value)}
          aria-invalid={amount.error !== null}
        />
      </div>
      {amount.error !== null && <ErrorText>{amount.error}</ErrorText>}
      <button
        disabled={amount.amount === null || session.accountId === null || withdraw.busy}
        onClick={() =>
          void withdraw.run(() =>
            write({
              address: deployment.contracts.rollup,
              abi: rollupAbi,
              functionName: "requestForcedWithdrawal",
              args: [session.accountId!, amount.amount!],
            }),
          )
        }
      >
        {txLabel(withdraw.state, "Request withdrawal on L1")}
      </button>
      {session.accountId === null && <p className="muted">You need an account (make a deposit) to withdraw.</p>}
      <TxStatus state={withdraw.state} done="Requested. It is served by a proven batch, then claimable." />
    </>
  );
}
