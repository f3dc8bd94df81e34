"use client";
/**
 * The account's settled option positions as the venue recorded them: `GET
 * /v1/account/settlements`, kept current by the private stream's `settlement` messages, with a
 * slow poll as the safety net (a fast one while the feed is down).
 */
import { livePayload } from "../../lib/api.ts";
import type { Settlement } from "../../lib/api.ts";
import { useAccountFeed } from "../../lib/accountFeed.ts";
import type { AccountFeed } from "../../lib/accountFeed.ts";
import { mergeSettlement } from "./settledPositions.ts";

/** Poll interval while the live feed is up (it pushes each settlement), ms. */
const LIVE_POLL_MS = 60_000;
/** Poll interval while the live feed is down, ms. */
const OFFLINE_POLL_MS = 5_000;

const SETTLEMENTS: AccountFeed<Settlement> = {
  name: "settlements",
  read: (api, token) => api.settlements(token),
  fromMessage: (data) => {
    const parsed = livePayload.settlement.safeParse(data);
    if (!parsed.success) return null;
    const { type: _type, ...record } = parsed.data;
    return record;
  },
  merge: mergeSettlement,
  pollMs: (_list, live) => (live ? LIVE_POLL_MS : OFFLINE_POLL_MS),
};

/** The account's positions closed by settlement, newest first. */
export function useSettlements() {
  return useAccountFeed(SETTLEMENTS);
}
