"use client";
/**
 * Custody: what protects the trader's funds without trusting the operator. Time since the last
 * verified batch, the L1 queue of deposits and forced withdrawals with their deadlines, the
 * forced withdrawal request, and the exodus: once a queued request is overdue anyone may
 * activate it, and then accounts exit with their equity at the last verified state. Above them,
 * the venue's own health (`GET /v1/status` `health`): normal, prices stale, cancel-only or
 * halted, and why (issue 14 F14, F15).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useBlock, usePublicClient, useReadContract, useReadContracts, useWriteContract } from "wagmi";
import { TxType } from "../../../protocol/types.ts";
import { rollupAbi, usdcAbi } from "../../lib/contracts.ts";
import { explain } from "../../lib/errors.ts";
import { fieldHex, formatDuration, formatUsdc, shortHex } from "../../lib/format.ts";
import { useL1Funds } from "../../lib/funds.ts";
import { useNow, useVenueStatus } from "../../lib/market.ts";
import { decodeSlot } from "../../../protocol/pubdata.ts";
import { useSession } from "../../lib/session.tsx";
import { txLabel, useL1Tx } from "../../lib/tx.ts";
import { useVenue } from "../../lib/venue.tsx";
import { ForceCloseRequest } from "../funds/ForceCloseRequest.tsx";
import { WithdrawRequest } from "../funds/WithdrawRequest.tsx";
import { ExitWithFunds } from "./ExitWithFunds.tsx";
import { Empty, ErrorText, Panel, TxStatus } from "../ui.tsx";

/** Pending queue entries shown at most (the wallet's own deposits are refundable wherever they wait). */
const SHOWN = 20n;

const MODE_LABEL = {
  normal: "Normal: trading, batches proved and sent to L1",
  price_stale: "Prices stale: trading paused until a fresh oracle round (cancels work)",
  cancel_only: "Cancel-only: batches are waiting for proofs or L1 (cancels work)",
  halted: "Halted: the venue takes no new orders (cancels work)",
} as const;

/** What the venue says about itself: mode and the reasons, as `GET /v1/status` gives them. */
function VenueHealth() {
  const status = useVenueStatus();
  const health = status.data?.health;
  return (
    <section aria-label="Venue health" className="summary">
      <dl className="summary" style={{ gridTemplateColumns: "auto 1fr" }}>
        <dt>Venue</dt>
        <dd className={health === undefined || health.mode === "normal" ? undefined : "neg"}>
          {status.error !== null
            ? "not answering (the operator may be gone: your funds stay on L1)"
            : health === undefined
              ? "—"
              : `${MODE_LABEL[health.mode]}${health.code === null ? "" : ` (${health.code})`}`}
        </dd>
        {health !== undefined && (
          <>
            <dt>Batches not final on L1</dt>
            <dd>
              {health.backlog.batches} ({health.backlog.unproved} unproved)
            </dd>
          </>
        )}
      </dl>
      {health !== undefined && health.reasons.length > 0 && (
        <ul aria-label="Why" className="muted" style={{ margin: 0 }}>
          {health.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function CustodyPanel() {
  const { deployment } = useVenue();
  const { rollup, usdc } = deployment.contracts;
  const session = useSession();
  const client = usePublicClient({ chainId: deployment.chainId });
  const queryClient = useQueryClient();
  const { mutateAsync: write } = useWriteContract();
  const wallClock = useNow();
  const latestBlock = useBlock({ chainId: deployment.chainId, query: { refetchInterval: 5_000 } });
  // Deadlines are the chain's (`block.timestamp`); a development chain moved ahead in time runs
  // ahead of the wall clock, and the next block is never earlier than the latest one.
  const chainTime = latestBlock.data?.timestamp;
  const now = chainTime !== undefined && chainTime > wallClock ? chainTime : wallClock;
  const refresh = () => void queryClient.invalidateQueries();
  const activate = useL1Tx(refresh);
  const refund = useL1Tx(refresh);

  const base = { address: rollup, abi: rollupAbi } as const;
  const reads = useReadContracts({
    contracts: [
      { ...base, functionName: "stateRoot" },
      { ...base, functionName: "batchNumber" },
      { ...base, functionName: "lastBatchTimestamp" },
      { ...base, functionName: "queueHead" },
      { ...base, functionName: "priorityQueueLength" },
      { ...base, functionName: "exodus" },
      { ...base, functionName: "forcedRequestDeadline" },
      { address: usdc, abi: usdcAbi, functionName: "balanceOf", args: [rollup] },
    ],
    allowFailure: false,
    query: { refetchInterval: 5_000 },
  });
  const claimable = useReadContract({
    ...base,
    functionName: "claimable",
    args: session.address === undefined ? undefined : [session.address],
    query: { enabled: session.address !== undefined },
  });

  const [stateRoot, batchNumber, lastBatch, head, length, exodus, deadline, held] = reads.data ?? [];
  const pending = useQuery({
    queryKey: ["queue", head?.toString(), length?.toString()],
    enabled: head !== undefined && length !== undefined && client !== undefined,
    queryFn: async () => {
      const end = length! - head! > SHOWN ? head! + SHOWN : length!;
      const ops = [];
      for (let i = head!; i < end; i++) {
        ops.push(
          Promise.all([
            client!.readContract({ ...base, functionName: "priorityOp", args: [i] }),
            // The contract's deadline: the fixed one plus a share for each operation that was
            // ahead of it when it was queued (a flood cannot open the exodus).
            client!.readContract({ ...base, functionName: "overdueAt", args: [i] }),
          ]).then(([op, overdueAt]) => ({ index: i, ...op, overdueAt })),
        );
      }
      return Promise.all(ops);
    },
  });
  // In the exodus, the wallet's deposits that no batch consumed and that are not refunded yet,
  // found from its own DepositQueued events (however far behind the queue's head they wait).
  const l1funds = useL1Funds();
  const refundable = useQuery({
    queryKey: [
      "refundable",
      rollup,
      session.address,
      head?.toString(),
      l1funds.data?.deposits.map((d) => d.queueIndex.toString()).join(","),
    ],
    enabled: exodus === true && head !== undefined && l1funds.data !== undefined && client !== undefined,
    refetchInterval: 5_000,
    queryFn: async () => {
      const waiting = l1funds.data!.deposits.filter((d) => d.queueIndex >= head!);
      const ops = await Promise.all(
        waiting.map((d) => client!.readContract({ ...base, functionName: "priorityOp", args: [d.queueIndex] })),
      );
      return waiting.filter((_, i) => !ops[i]!.refunded);
    },
  });

  if (reads.error !== null) return <ErrorText>{explain(reads.error)}</ErrorText>;
  if (reads.data === undefined) return <Empty>Reading the rollup contract…</Empty>;

  // The waiting request whose own deadline comes first (not always the oldest: a deadline counts
  // the queue that was ahead of its request); the exodus may be activated on any overdue one.
  const waiting = pending.data ?? [];
  const first = waiting.length === 0 ? undefined : waiting.reduce((a, op) => (op.overdueAt < a.overdueAt ? op : a));
  const overdueAt = first === undefined ? null : first.overdueAt;

  return (
    <div className="two-col" style={{ gridTemplateColumns: "minmax(0,1fr) minmax(0,1fr)" }}>
      <Panel title="Custody" labelId="custody-title">
        <div className="panel-body form">
          <VenueHealth />
          {exodus === true && (
            <p className="error" role="alert">
              Exodus mode: the operator missed a deadline. Trading has stopped; every account can exit with its equity
              at the last verified state, and unserved deposits can be refunded.
            </p>
          )}
          <dl className="summary" style={{ gridTemplateColumns: "auto 1fr" }}>
            <dt>Last verified batch</dt>
            <dd>
              {batchNumber === 0n ? "none yet" : `#${batchNumber!.toString()}, ${formatDuration(now - lastBatch!)} ago`}
            </dd>
            <dt>State root on L1</dt>
            <dd className="hex">{shortHex(fieldHex(stateRoot!), 10)}</dd>
            <dt>USDC held by the rollup</dt>
            <dd>{formatUsdc(held!)}</dd>
            <dt>Waiting in the L1 queue</dt>
            <dd>{(length! - head!).toString()}</dd>
            <dt>Deadline per request (longer behind a long queue)</dt>
            <dd>{formatDuration(deadline!)}</dd>
            <dt>Next request overdue</dt>
            <dd className={overdueAt !== null && now >= overdueAt ? "neg" : undefined}>
              {overdueAt === null ? "—" : now >= overdueAt ? "now" : `in ${formatDuration(overdueAt - now)}`}
            </dd>
          </dl>
          {pending.data !== undefined && pending.data.length > 0 && (
            <table aria-label="Pending L1 requests">
              <thead>
                <tr>
                  <th>Queue #</th>
                  <th>Type</th>
                  <th>Requester</th>
                  <th className="num">Waiting</th>
                  <th className="num">Overdue</th>
                </tr>
              </thead>
              <tbody>
                {pending.data.map((op) => {
                  const slot = decodeSlot(op.f0, op.f1);
                  return (
                    <tr key={op.index.toString()}>
                      <td className="num">{op.index.toString()}</td>
                      <td>
                        {slot.type === TxType.DEPOSIT
                          ? `Deposit ${formatUsdc(slot.amount)}`
                          : slot.type === TxType.FORCED_WITHDRAW
                            ? `Withdrawal ${formatUsdc(slot.requested)}`
                            : "Request"}
                      </td>
                      <td className="hex">{shortHex(op.requester)}</td>
                      <td className="num">{formatDuration(now - op.queuedAt)}</td>
                      <td className="num">
                        {now >= op.overdueAt ? "now" : `in ${formatDuration(op.overdueAt - now)}`}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {exodus === false && (
            <>
              <button
                disabled={overdueAt === null || now < overdueAt || activate.busy}
                onClick={() =>
                  void activate.run(() => write({ ...base, functionName: "activateExodus", args: [first!.index] }))
                }
                title="Possible only when a waiting request is past its deadline"
              >
                {txLabel(activate.state, "Activate exodus")}
              </button>
              <TxStatus state={activate.state} done="Exodus activated." />
            </>
          )}
        </div>
      </Panel>
      <Panel title={exodus === true ? "Exit" : "Forced withdrawal"} labelId="exit-title">
        <div className="panel-body form">
          {exodus === true ? (
            <>
              <p className="muted" style={{ margin: 0 }}>
                Refund your deposits that no batch served, then exit your account with its equity at the last verified
                state root: during the claim window the exit registers it, and after the window every registered account
                is paid the same share of the rollup&apos;s custody (all of its equity unless the system carries bad
                debt).
              </p>
              {(refundable.data ?? []).map((d) => (
                <button
                  key={d.queueIndex.toString()}
                  disabled={refund.busy}
                  onClick={() =>
                    void refund.run(() => write({ ...base, functionName: "refundDeposit", args: [d.queueIndex] }))
                  }
                >
                  Refund deposit #{d.queueIndex.toString()} ({formatUsdc(d.amount)} USDC)
                </button>
              ))}
              <TxStatus state={refund.state} done="Refunded to your wallet." />
              <p className="muted" style={{ margin: 0 }}>
                The app reads every verified batch from L1, rebuilds your account in a background worker of this browser
                and sends its exit proof: nothing comes from the operator.
              </p>
              <ExitWithFunds onDone={refresh} />
            </>
          ) : (
            <>
              <p className="muted" style={{ margin: 0 }}>
                Ask for your collateral on L1 without the operator. The next batches must serve the request within{" "}
                {formatDuration(deadline!)} (longer behind a long queue: its deadline is in the table above), or anyone
                can stop the exchange and let every account exit.
              </p>
              <WithdrawRequest onDone={refresh} />
              <p className="muted" style={{ margin: 0 }}>
                Margin held in a position is freed by a forced close first: the insurance fund takes the whole position
                at the oracle price, for the liquidation penalty, under the same deadline. A short option waits for its
                expiry, when the forced close settles it.
              </p>
              <ForceCloseRequest onDone={refresh} />
            </>
          )}
          <dl className="summary">
            <dt>Claimable by you</dt>
            <dd>{claimable.data === undefined ? "—" : `${formatUsdc(claimable.data)} USDC`}</dd>
          </dl>
        </div>
      </Panel>
    </div>
  );
}
