"use client";
/**
 * Funds: test USDC from the faucet, approve and deposit into the rollup (registering the
 * account with the trading key on first deposit), withdraw through the L1 queue, and claim.
 * Every step shows its L1 state; deposits and withdrawals also show their rollup state:
 * queued on L1 → served by a verified batch → done (or claimable).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { usePublicClient, useReadContract, useWriteContract } from "wagmi";
import { rollupAbi, usdcAbi } from "../../lib/contracts.ts";
import { useUsdcInput } from "../../lib/amountInput.ts";
import { formatUsdc } from "../../lib/format.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { Badge, Empty, ErrorText, Panel, TxStatus } from "../ui.tsx";
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

function useMyRequests() {
  const { deployment } = useVenue();
  const { address, accountId } = useSession();
  const client = usePublicClient({ chainId: deployment.chainId });
  return useQuery({
    queryKey: ["l1requests", address, accountId?.toString()],
    enabled: address !== undefined && client !== undefined,
    refetchInterval: 5_000,
    queryFn: async () => {
      const base = {
        address: deployment.contracts.rollup,
        abi: rollupAbi,
        fromBlock: BigInt(deployment.deployBlock),
      } as const;
      const [deposits, forced, credited, claimed] = await Promise.all([
        client!.getContractEvents({ ...base, eventName: "DepositQueued", args: { depositor: address } }),
        accountId === null
          ? Promise.resolve([])
          : client!.getContractEvents({ ...base, eventName: "ForcedWithdrawalRequested", args: { accountId } }),
        client!.getContractEvents({ ...base, eventName: "WithdrawalCredited", args: { owner: address } }),
        client!.getContractEvents({ ...base, eventName: "Claimed", args: { owner: address } }),
      ]);
      return {
        deposits: deposits.map((l) => ({
          queueIndex: l.args.queueIndex!,
          accountId: l.args.accountId!,
          amount: l.args.amount!,
        })),
        forced: forced.map((l) => ({ queueIndex: l.args.queueIndex!, amount: l.args.amount! })),
        credited: credited.map((l) => ({ batch: l.args.batchNumber!, amount: l.args.amount!, forced: l.args.forced! })),
        claimed: claimed.reduce((sum, l) => sum + l.args.amount!, 0n),
      };
    },
  });
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
  const requests = useMyRequests();

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
    <div className="two-col" style={{ gridTemplateColumns: "minmax(0,1fr) minmax(0,1fr)" }}>
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
          <p className="muted" style={{ margin: 0 }}>
            A withdrawal is requested on L1 and served by the next batches: the proof shows it was paid, or refused
            because it would leave your positions under-margined. Verified withdrawals become claimable here.
          </p>
          <WithdrawRequest onDone={refresh} />
          <dl className="summary">
            <dt>Claimable now</dt>
            <dd>{claimable.data === undefined ? "—" : `${formatUsdc(claimable.data)} USDC`}</dd>
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
          <h3 className="muted" style={{ fontSize: 12, margin: "8px 0 0" }}>
            Your withdrawals
          </h3>
          {requests.data === undefined || (requests.data.forced.length === 0 && requests.data.credited.length === 0) ? (
            <Empty>No withdrawals yet.</Empty>
          ) : (
            <table aria-label="Withdrawals">
              <thead>
                <tr>
                  <th>Request</th>
                  <th className="num">Amount</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {requests.data.forced.map((f) => (
                  <tr key={`q${f.queueIndex}`}>
                    <td>Queue #{f.queueIndex.toString()}</td>
                    <td className="num">{formatUsdc(f.amount)}</td>
                    <td>
                      {head !== null && f.queueIndex < head ? (
                        <Badge status="verified" />
                      ) : (
                        <span className="badge pending">waiting for a batch</span>
                      )}
                    </td>
                  </tr>
                ))}
                {requests.data.credited.map((c, i) => (
                  <tr key={`c${c.batch}-${i}`}>
                    <td>Batch {c.batch.toString()}</td>
                    <td className="num">{formatUsdc(c.amount)}</td>
                    <td>
                      <span className="badge done">credited{c.forced ? " (forced)" : ""}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {requests.data !== undefined && (
            <p className="muted" style={{ margin: 0 }}>
              Claimed so far: {formatUsdc(requests.data.claimed)} USDC.
            </p>
          )}
        </div>
      </Panel>
    </div>
  );
}
