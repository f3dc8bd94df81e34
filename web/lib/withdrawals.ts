/**
 * Where a withdrawal is on its way out, in the words the Funds panel shows (docs/api.md
 * "Withdrawals"). The venue reports the progress of the batch that carries it (pending →
 * in_batch → proven → claimable, or failed); L1 adds the last step: the rollup credits the
 * owner when the batch is verified (`WithdrawalCredited`) and `claim(owner)` pays out the whole
 * credited balance at once (`Claimed`), so a withdrawal is claimed exactly when a `Claimed`
 * event of its owner follows the credit of its batch.
 *
 * Pure: the clock is passed in (unix seconds) and only used for the displayed estimate.
 */
import type { Withdrawal } from "./api.ts";
import { formatDuration, formatUsdc } from "./format.ts";

/** The position of an L1 event in the chain: `blockNumber · 2^32 + logIndex`, totally ordered. */
export function logPosition(blockNumber: bigint, logIndex: number): bigint {
  return (blockNumber << 32n) + BigInt(logIndex);
}

/** One withdrawal's identity: its transaction's place in the rollup. */
function withdrawalKey(w: Withdrawal): string {
  return `${w.batch}:${w.slot}`;
}

/** `update` in place of the entry with the same key, or first (the list is newest first). */
export function mergeWithdrawal(list: readonly Withdrawal[], update: Withdrawal): Withdrawal[] {
  const key = withdrawalKey(update);
  return list.some((w) => withdrawalKey(w) === key)
    ? list.map((w) => (withdrawalKey(w) === key ? update : w))
    : [update, ...list];
}

/** What L1 says about the account's withdrawals (events of the rollup). */
export interface L1Withdrawals {
  /** Position of the `WithdrawalCredited` event of each batch that credited this account. */
  readonly creditedAt: ReadonlyMap<number, bigint>;
  /** Position of the owner's latest `Claimed` event, or null when the owner never claimed. */
  readonly lastClaimAt: bigint | null;
}

export type WithdrawalStep = "pending" | "in_batch" | "proven" | "claimable" | "claimed" | "refused" | "failed";

export interface WithdrawalStage {
  readonly step: WithdrawalStep;
  /** A few words for the status column. */
  readonly label: string;
  /** One sentence: what is happening, what comes next, with an estimate or the L1 transaction. */
  readonly detail: string;
  /** The badge style of lib ui's `Badge` palette: `pending`, `proven`, `done` or `failed`. */
  readonly tone: "pending" | "proven" | "done" | "failed";
  /** Nothing further happens to it. */
  readonly final: boolean;
}

/**
 * The stage of `w` given the L1 events, the display clock `nowSeconds`, and the venue's
 * batches still waiting for a proof (`GET /v1/status` `unprovedBatches`): those before the
 * withdrawal's batch are proved first, which is the estimate shown while it is being proved.
 */
export function withdrawalStage(
  w: Withdrawal,
  l1: L1Withdrawals,
  nowSeconds: bigint,
  unprovedBatches: readonly number[] = [],
): WithdrawalStage {
  const batch = `batch ${w.batch}`;
  if (w.status === "failed") {
    return {
      step: "failed",
      label: "failed",
      detail: `The proof or L1 submission of ${batch} failed; the operator must act. If nothing happens, request the withdrawal on L1.`,
      tone: "failed",
      final: false,
    };
  }
  if (w.outcome === "refused") {
    const proven = w.status === "claimable" ? "verified on L1" : w.status === "pending" ? "waiting" : "proving";
    return {
      step: "refused",
      label: "refused",
      detail: `Refused in ${batch} (${proven}): paying ${formatUsdc(w.requested)} USDC would have left your positions under-margined.`,
      tone: "failed",
      final: w.status === "claimable",
    };
  }
  switch (w.status) {
    case "pending": {
      const left = w.estimatedBatchCloseAt === null ? null : w.estimatedBatchCloseAt - nowSeconds;
      const eta = left === null ? "" : left > 0n ? ` (closes in about ${formatDuration(left)})` : " (closing now)";
      return {
        step: "pending",
        label: "waiting for batch",
        detail: `Waiting for ${batch} to close${eta}; then it is proved and verified on L1.`,
        tone: "pending",
        final: false,
      };
    }
    case "in_batch": {
      const ahead = unprovedBatches.filter((b) => b < w.batch).length;
      const queue = ahead === 0 ? "next in line" : `${ahead} batch${ahead === 1 ? "" : "es"} ahead of it`;
      return {
        step: "in_batch",
        label: `in ${batch}: proving`,
        detail: `In ${batch}, which is being proved (${queue}); it becomes claimable once the proof is verified on L1.`,
        tone: "pending",
        final: false,
      };
    }
    case "proven":
      return {
        step: "proven",
        label: "proven",
        detail: `Batch ${w.batch} is proven; waiting for its verification on L1.`,
        tone: "proven",
        final: false,
      };
    case "claimable": {
      const credited = l1.creditedAt.get(w.batch);
      if (credited !== undefined && l1.lastClaimAt !== null && l1.lastClaimAt > credited) {
        return {
          step: "claimed",
          label: "claimed",
          detail: `Verified on L1 and claimed: ${formatUsdc(w.served)} USDC went to your wallet.`,
          tone: "done",
          final: true,
        };
      }
      return {
        step: "claimable",
        label: "claimable",
        detail: `Verified on L1: claim ${formatUsdc(w.served)} USDC to your wallet.`,
        tone: "done",
        final: false,
      };
    }
  }
}
