"use client";
/**
 * The account's withdrawals, L2 and forced, newest first, each with where it is on its way to
 * the wallet (lib/withdrawals.ts): waiting for its batch → proving → proven → claimable →
 * claimed, or the outcome of a forced request (served or refused).
 */
import type { Withdrawal } from "../../lib/api.ts";
import { formatUsdc, shortHex } from "../../lib/format.ts";
import { withdrawalStage } from "../../lib/withdrawals.ts";
import type { L1Withdrawals } from "../../lib/withdrawals.ts";
import { Empty } from "../ui.tsx";

function kindLabel(w: Withdrawal): string {
  return w.kind === "forced" ? "Forced (L1 request)" : "Withdrawal";
}

export function WithdrawalList({
  withdrawals,
  l1,
  unprovedBatches,
  now,
}: {
  readonly withdrawals: readonly Withdrawal[];
  readonly l1: L1Withdrawals;
  /** Closed batches of the venue not proved yet (`GET /v1/status`). */
  readonly unprovedBatches: readonly number[];
  /** Display clock, unix seconds. */
  readonly now: bigint;
}) {
  if (withdrawals.length === 0) return <Empty>No withdrawals yet.</Empty>;
  const latest = withdrawals[0]!;
  const latestStage = withdrawalStage(latest, l1, now, unprovedBatches);
  return (
    <>
      <p className="muted" role="status" style={{ margin: 0 }}>
        Latest: {kindLabel(latest).toLowerCase()} of {formatUsdc(latest.requested)} USDC, {latestStage.label}.
      </p>
      <ul aria-label="Your withdrawals" style={{ listStyle: "none", margin: 0, padding: 0 }}>
        {withdrawals.map((w) => {
          const stage = withdrawalStage(w, l1, now, unprovedBatches);
          const amount = w.outcome === "served" ? w.served : w.requested;
          return (
            <li key={`${w.batch}:${w.slot}`} style={{ borderTop: "1px solid var(--line)", padding: "6px 0" }}>
              <div className="row" style={{ justifyContent: "space-between", flexWrap: "wrap", gap: 6 }}>
                <span style={{ flex: "1 1 auto" }}>
                  <span className="num">{formatUsdc(amount)} USDC</span>{" "}
                  <span className="muted">
                    {kindLabel(w)} · batch {w.batch}
                  </span>
                </span>
                <span className={`badge ${stage.tone}`} style={{ flex: "none" }}>
                  {stage.label}
                </span>
              </div>
              <p className="muted" style={{ margin: "2px 0 0", fontSize: 12, overflowWrap: "anywhere" }}>
                {stage.detail}
                {w.l1TxHash !== null && (
                  <>
                    {" "}
                    <span className="num" title={w.l1TxHash}>
                      <span aria-hidden="true">L1 tx {shortHex(w.l1TxHash, 6)}</span>
                      <span className="visually-hidden">L1 transaction {w.l1TxHash}</span>
                    </span>
                  </>
                )}
              </p>
            </li>
          );
        })}
      </ul>
    </>
  );
}
