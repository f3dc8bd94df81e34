"use client";
/**
 * The account's settled option positions as the venue recorded them: `GET
 * /v1/account/settlements`, kept current by the private stream's `settlement` messages, with a
 * slow poll as the safety net (a fast one while the feed is down).
 */
import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { livePayload } from "../../lib/api.ts";
import type { Settlement } from "../../lib/api.ts";
import { useSession } from "../../lib/session.tsx";
import { useLiveStatus, useVenue } from "../../lib/venue.tsx";
import { mergeSettlement } from "./settledPositions.ts";

/** Poll interval while the live feed is up (it pushes each settlement), ms. */
const LIVE_POLL_MS = 60_000;
/** Poll interval while the live feed is down, ms. */
const OFFLINE_POLL_MS = 5_000;

/** The react-query key (under "account": refreshed on the account's changes). */
function settlementsKey(accountId: bigint | null): readonly unknown[] {
  return ["account", accountId?.toString(), "settlements"];
}

/** The account's positions closed by settlement, newest first. */
export function useSettlements() {
  const { api, live } = useVenue();
  const { token, accountId } = useSession();
  const client = useQueryClient();
  const status = useLiveStatus();
  const query = useQuery({
    queryKey: settlementsKey(accountId),
    enabled: token !== null,
    queryFn: () => api.settlements(token!),
    refetchInterval: status === "live" ? LIVE_POLL_MS : OFFLINE_POLL_MS,
  });
  useEffect(
    () =>
      live.onPrivate((data) => {
        const parsed = livePayload.settlement.safeParse(data);
        if (!parsed.success) return;
        const { type: _type, ...record } = parsed.data;
        client.setQueryData<Settlement[]>(settlementsKey(accountId), (old) => mergeSettlement(old ?? [], record));
      }),
    [live, client, accountId],
  );
  return query;
}
