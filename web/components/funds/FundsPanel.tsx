"use client";
/**
 * Funds: test USDC from the faucet, approve and deposit into the rollup (registering the
 * account with the trading key on first deposit); withdraw with a signed L2 withdrawal (or,
 * if the operator ignores it, through the L1 queue), follow each withdrawal to L1, and claim.
 * Every step shows its L1 state; deposits and withdrawals also show their rollup state.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useReadContract, useWriteContract } from "wagmi";
import { rollupAbi, usdcAbi } from "../../lib/contracts.ts";
import { useUsdcInput } from "../../lib/amountInput.ts";
import { formatUsdc } from "../../lib/format.ts";
import { useL1Funds, useWithdrawals } from "../../lib/funds.ts";
import { useNow, useVenueStatus } from "../../lib/market.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { explain } from "../../lib/errors.ts";
import { Badge, Empty, ErrorText, Panel, TxStatus } from "../ui.tsx";
import { ClaimElsewhere } from "./ClaimElsewhere.tsx";
import { L2Withdraw } from "./L2Withdraw.tsx";
import { WithdrawalList } from "./WithdrawalList.tsx";
import { WithdrawRequest } from "./WithdrawRequest.tsx";

/** The L1 queue as the rollup sees it: what batches have consumed so far. */
function useQueue() {
  const { deployment } = useVenue();
  const rollup = deployment.contracts.rollup;
  const head = useReadContract({
    address: rollup,
    abi: rollupAbi,
    functionName: "queueHead",
    query: { refetchInterval: 5_000 },
  });
  return head.data ?? null;
}

export function FundsPanel() {
  const { deployment } = useVenue();
  const session = useSession();
  const client = useQueryClient();
  const { mutateAsync: write } = useWriteContract();
  const { rollup, usdc } = deployment.contracts;
  const me = session.address;
  const refresh = () => void client.invalidateQueries();

  const balance = useReadContract({
    address: usdc,
    abi: usdcAbi,
    functionName: "balanceOf",
    args: me === undefined ? undefined : [me],
    query: { enabled: me !== undefined, refetchInterval: 5_000 },
  });
  const allowance = useReadContract({
    address: usdc,
    abi: usdcAbi,
    functionName: "allowance",
    args: me === undefined ? undefined : [me, rollup],
    query: { enabled: me !== undefined, refetchInterval: 5_000 },
  });
  const claimable = useReadContract({
    address: rollup,
    abi: rollupAbi,
    functionName: "claimable",
    args: me === undefined ? undefined : [me],
    query: { enabled: me !== undefined, refetchInterval: 5_000 },
  });
  const head = useQueue();
  const requests = useL1Funds();
  const withdrawals = useWithdrawals();
  const now = useNow();
  const venueStatus = useVenueStatus();

  const faucet = useL1Tx(refresh);
  const approve = useL1Tx(refresh);
  const deposit = useL1Tx(() => {
    refresh();
    session.refreshAccount();
  });
  const claim = useL1Tx(refresh);
  const depositAmount = useUsdcInput();

  if (me === undefined) return <Empty>Connect a wallet to manage funds.</Empty>;
  if (!session.onChain) return <Empty>Switch your wallet to chain {deployment.chainId}.</Empty>;

  const needsApproval = depositAmount.amount !== null && (allowance.data ?? 0n) < depositAmount.amount;
  const canDeposit = depositAmount.amount !== null && session.key !== null && !needsApproval;

  return (
    <div className="two-col" style={{ gridTemplateColumns: "repeat(auto-fit, minmax(min(100%, 360px), 1fr))" }}>
      <Panel title="Deposit" labelId="deposit-title">
        <div className="panel-body form">
          <dl className="summary">
            <dt>Wallet balance</dt>
            <dd>{balance.data === undefined ? "—" : `${formatUsdc(balance.data)} USDC`}</dd>
            <dt>Approved for the rollup</dt>
            <dd>{allowance.data === undefined ? "—" : formatUsdc(allowance.data)}</dd>
          </dl>
          <button
            disabled={faucet.busy}
            onClick={() => void faucet.run(() => write({ address: usdc, abi: usdcAbi, functionName: "faucet" }))}
          >
            {txLabel(faucet.state, "Get 10,000 test USDC")}
          </button>
          <TxStatus state={faucet.state} done="10,000 test USDC arrived in your wallet." />
          <div className="field">
            <label htmlFor="deposit-amount">Amount (USDC)</label>
            <input
              id="deposit-amount"
              inputMode="decimal"
              value={depositAmount.text}
              onChange={(e) => depositAmount.setText(e.target.value)}
              aria-invalid={depositAmount.error !== null}
              aria-describedby="deposit-help"
            />
          </div>
          {depositAmount.error !== null && <ErrorText>{depositAmount.error}</ErrorText>}
          <p id="deposit-help" className="muted" style={{ margin: 0 }}>
            {session.key === null
              ? "Unlock trading first: the first deposit registers your account with your trading key."
              : session.accountId === null
                ? "Your first deposit registers your account (one transaction)."
                : `Deposits to account #${session.accountId}. Funds are usable once the next batch includes them.`}
          </p>
          <div className="row">
            <button
              disabled={!needsApproval || approve.busy}
              onClick={() =>
                void approve.run(() =>
                  write({
                    address: usdc,
                    abi: usdcAbi,
                    functionName: "approve",
                    args: [rollup, depositAmount.amount!],
                  }),
                )
              }
            >
              {txLabel(approve.state, "1. Approve")}
            </button>
            <button
              className="primary"
              disabled={!canDeposit || deposit.busy}
              onClick={() =>
                void deposit.run(() =>
                  session.accountId === null
                    ? write({
                        address: rollup,
                        abi: rollupAbi,
                        functionName: "registerAndDeposit",
                        args: [session.key!.pkHash, depositAmount.amount!],
                      })
                    : write({
                        address: rollup,
                        abi: rollupAbi,
                        functionName: "deposit",
                        args: [session.accountId, depositAmount.amount!],
                      }),
                )
              }
            >
              {txLabel(deposit.state, "2. Deposit")}
            </button>
          </div>
          <TxStatus state={approve.state} done="Approved." />
          <TxStatus
            state={deposit.state}
            done="Deposit queued on L1. It is credited when the next batch is verified."
          />
          <h3 className="muted" style={{ fontSize: 12, margin: "8px 0 0" }}>
            Your deposits
          </h3>
          {requests.data === undefined || requests.data.deposits.length === 0 ? (
            <Empty>No deposits yet.</Empty>
          ) : (
            <table aria-label="Deposits">
              <thead>
                <tr>
                  <th>Queue #</th>
                  <th>Account</th>
                  <th className="num">Amount</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {[...requests.data.deposits].reverse().map((d) => (
                  <tr key={d.queueIndex.toString()}>
                    <td className="num">{d.queueIndex.toString()}</td>
                    <td>#{d.accountId.toString()}</td>
                    <td className="num">{formatUsdc(d.amount)}</td>
                    <td>
                      {head !== null && d.queueIndex < head ? (
                        <Badge status="done" />
                      ) : (
                        <span className="badge pending">waiting for a batch</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </Panel>
      <Panel title="Withdraw" labelId="withdraw-title">
        <div className="panel-body form">
          <L2Withdraw />
          <h3 className="muted" style={{ fontSize: 12, margin: "8px 0 0" }}>
            Your withdrawals
          </h3>
          {withdrawals.error !== null && <ErrorText>{explain(withdrawals.error)}</ErrorText>}
          {withdrawals.data === undefined ? (
            <Empty>{session.token === null ? "Unlock trading to see your withdrawals." : "Loading withdrawals…"}</Empty>
          ) : (
            <WithdrawalList
              withdrawals={withdrawals.data}
              l1={requests.data?.withdrawals ?? { creditedAt: new Map(), lastClaimAt: null }}
              unprovedBatches={venueStatus.data?.unprovedBatches ?? []}
              now={now}
            />
          )}
          <dl className="summary">
            <dt>Claimable now</dt>
            <dd>{claimable.data === undefined ? "—" : `${formatUsdc(claimable.data)} USDC`}</dd>
            <dt>Claimed so far</dt>
            <dd>{requests.data === undefined ? "—" : `${formatUsdc(requests.data.claimed)} USDC`}</dd>
          </dl>
          <button
            className="primary"
            disabled={(claimable.data ?? 0n) === 0n || claim.busy}
            onClick={() =>
              void claim.run(() => write({ address: rollup, abi: rollupAbi, functionName: "claim", args: [me] }))
            }
          >
            {txLabel(claim.state, "Claim to wallet")}
          </button>
          <TxStatus state={claim.state} done="Claimed: the USDC is in your wallet." />
          <ClaimElsewhere claimable={claimable.data ?? 0n} onDone={refresh} />
          <h3 className="muted" style={{ fontSize: 12, margin: "8px 0 0" }}>
            If the operator ignores you
          </h3>
          <p className="muted" style={{ margin: 0 }}>
            Ask on L1 instead: the next batches must serve the request (or prove it would under-margin your positions)
            before a deadline, or anyone may freeze the rollup and everyone exits with their funds.
          </p>
          <WithdrawRequest onDone={refresh} />
        </div>
      </Panel>
    </div>
  );
}
