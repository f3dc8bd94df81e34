"use client";
/**
 * An account's list kept live: read over REST with the session, merged with the private
 * stream's messages of its kind as they arrive, and polled as a safety net (each caller says how
 * often, e.g. faster while the feed is down). Withdrawals and settlements use it.
 */
import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { SequencerClient } from "./api.ts";
import { useSession } from "./session.tsx";
import { useLiveStatus, useVenue } from "./venue.tsx";

export interface AccountFeed<T> {
  /** The list's name in the react-query key, under "account" (refreshed on the account's changes). */
  readonly name: string;
  /** Reads the list, newest first. */
  readonly read: (api: SequencerClient, token: string) => Promise<T[]>;
  /** The entry a private message carries, or null when the message is of another kind. */
  readonly fromMessage: (data: unknown) => T | null;
  /** `list` with `entry` added or replacing the entry it updates. */
  readonly merge: (list: readonly T[], entry: T) => T[];
  /** Poll interval (ms) given the list so far and whether the live feed is up; false: none. */
  readonly pollMs: (list: readonly T[] | undefined, live: boolean) => number | false;
}

/** The react-query key of the list `name` of `accountId`. */
const keyOf = (name: string, accountId: bigint | null) => ["account", accountId?.toString(), name] as const;

/** The account's list described by `feed` (a module-level constant: its functions never change). */
export function useAccountFeed<T>(feed: AccountFeed<T>) {
  const { api, live } = useVenue();
  const { token, accountId } = useSession();
  const client = useQueryClient();
  const status = useLiveStatus();
  const query = useQuery({
    queryKey: keyOf(feed.name, accountId),
    enabled: token !== null,
    queryFn: () => feed.read(api, token!),
    refetchInterval: (q) => feed.pollMs(q.state.data, status === "live"),
  });
  useEffect(
    () =>
      live.onPrivate((data) => {
        const entry = feed.fromMessage(data);
        if (entry === null) return;
        client.setQueryData<T[]>(keyOf(feed.name, accountId), (old) => feed.merge(old ?? [], entry));
      }),
    [live, client, accountId, feed],
  );
  return query;
}
