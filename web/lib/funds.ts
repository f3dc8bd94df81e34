"use client";
/**
 * Funds data hooks: the account's withdrawals at the venue (REST, merged with the private
 * stream's `withdrawal` messages, which the venue pushes at every status change; a slow poll
 * while one is under way is the safety net, a fast one while the feed is down) and the
 * rollup's L1 events of the wallet (deposits, forced requests, credits and claims).
 */
import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";
import { useAccountFeed } from "./accountFeed.ts";
import type { AccountFeed } from "./accountFeed.ts";
import { livePayload } from "./api.ts";
import type { Withdrawal } from "./api.ts";
import { rollupAbi } from "./contracts.ts";
import { useSession } from "./session.tsx";
import { useVenue } from "./venue.tsx";
import { logPosition, mergeWithdrawal } from "./withdrawals.ts";
import type { L1Withdrawals } from "./withdrawals.ts";

/**
 * Poll interval while a withdrawal's batch is on its way to L1, ms: the stream pushes each
 * status change, so this only repairs a missed message.
 */
const IN_PROGRESS_POLL_MS = 30_000;
/** Poll interval while the live feed is down, ms. */
const OFFLINE_POLL_MS = 3_000;
/** Poll interval of the L1 event scan, ms. */
const L1_POLL_MS = 4_000;

const WITHDRAWALS: AccountFeed<Withdrawal> = {
  name: "withdrawals",
  read: (api, token) => api.withdrawals(token),
  fromMessage: (data) => {
    const parsed = livePayload.withdrawal.safeParse(data);
    if (!parsed.success) return null;
    const { type: _type, ...withdrawal } = parsed.data;
    return withdrawal;
  },
  merge: mergeWithdrawal,
  pollMs: (list, live) => {
    if (!live) return OFFLINE_POLL_MS;
    const underWay = (list ?? []).some((w) => w.status !== "claimable" && w.status !== "failed");
    return underWay ? IN_PROGRESS_POLL_MS : false;
  },
};

/** The account's withdrawals and forced withdrawals, newest first. */
export function useWithdrawals() {
  return useAccountFeed(WITHDRAWALS);
}

/** The wallet's rollup events on L1: deposits, forced requests, credited withdrawals, claims. */
export function useL1Funds() {
  const { deployment } = useVenue();
  const { address, accountId } = useSession();
  const client = usePublicClient({ chainId: deployment.chainId });
  return useQuery({
    queryKey: ["l1funds", deployment.contracts.rollup, address, accountId?.toString()],
    enabled: address !== undefined && client !== undefined,
    refetchInterval: L1_POLL_MS,
    queryFn: async () => {
      const base = {
        address: deployment.contracts.rollup,
        abi: rollupAbi,
        fromBlock: BigInt(deployment.deployBlock),
      } as const;
      const [deposits, credited, claimed] = await Promise.all([
        client!.getContractEvents({ ...base, eventName: "DepositQueued", args: { depositor: address } }),
        client!.getContractEvents({ ...base, eventName: "WithdrawalCredited", args: { owner: address } }),
        client!.getContractEvents({ ...base, eventName: "Claimed", args: { owner: address } }),
      ]);
      const creditedAt = new Map<number, bigint>();
      for (const l of credited) {
        if (accountId !== null && l.args.accountId === accountId) {
          creditedAt.set(Number(l.args.batchNumber!), logPosition(l.blockNumber, l.logIndex));
        }
      }
      const last = claimed.at(-1);
      const withdrawals: L1Withdrawals = {
        creditedAt,
        lastClaimAt: last === undefined ? null : logPosition(last.blockNumber, last.logIndex),
      };
      return {
        deposits: deposits.map((l) => ({
          queueIndex: l.args.queueIndex!,
          accountId: l.args.accountId!,
          amount: l.args.amount!,
        })),
        withdrawals,
        /** USDC base units the wallet has claimed so far. */
        claimed: claimed.reduce((sum, l) => sum + l.args.amount!, 0n),
      };
    },
  });
}
