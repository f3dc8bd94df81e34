"use client";
/**
 * Market and account data hooks: a REST snapshot through react-query, kept current by the live
 * feed (and by polling as a fallback while the feed is down). Book channels are sequenced and
 * resynchronise on a gap.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { EMPTY_POSITION } from "../../protocol/account.ts";
import type { Marks } from "../../protocol/margin.ts";
import { Side } from "../../protocol/types.ts";
import type { Account } from "../../protocol/types.ts";
import { livePayload } from "./api.ts";
import type { AccountView, Fill, Ticker } from "./api.ts";
import { candlesFromTrades } from "./candles.ts";
import { useSession } from "./session.tsx";
import { useLiveStatus, useVenue } from "./venue.tsx";

/** Poll interval while the live feed is down, ms. */
function usePollMs(liveMs: number | false, offlineMs: number): number | false {
  return useLiveStatus() === "live" ? liveMs : offlineMs;
}

export function useInstruments() {
  const { api } = useVenue();
  return useQuery({
    queryKey: ["instruments"],
    queryFn: () => api.instruments(),
    staleTime: 60_000,
    refetchInterval: 60_000,
  });
}

/** Oracle prices and funding indices per underlying. */
export function useOracle() {
  const { api } = useVenue();
  return useQuery({ queryKey: ["oracle"], queryFn: () => api.oracle(), refetchInterval: 5_000 });
}

export function useFunding() {
  const { api } = useVenue();
  return useQuery({ queryKey: ["funding"], queryFn: () => api.funding(), refetchInterval: 15_000 });
}

export function useVenueStatus() {
  const { api } = useVenue();
  return useQuery({ queryKey: ["status"], queryFn: () => api.status(), refetchInterval: 5_000 });
}

/** The marks protocol/margin values positions with: the oracle prices and funding indices. */
export function useMarks(): Marks | null {
  const { data } = useOracle();
  const { deployment } = useVenue();
  return useMemo(() => {
    if (data === undefined) return null;
    const prices: bigint[] = [];
    const fundingIndex: bigint[] = [];
    for (let u = 1; u <= deployment.profile.underlyings; u++) {
      const row = data.underlyings.find((x) => x.underlying === u);
      prices.push(row?.indexPrice ?? 0n);
      fundingIndex.push(row?.fundingIndex ?? 0n);
    }
    return { prices, fundingIndex };
  }, [data, deployment.profile.underlyings]);
}

export function useTickers() {
  const { api } = useVenue();
  const poll = usePollMs(5_000, 2_000);
  return useQuery({ queryKey: ["tickers"], queryFn: () => api.tickers(), refetchInterval: poll });
}

/** The ticker of one instrument, updated live from its `ticker` channel. */
export function useTicker(instrument: bigint | null): Ticker | null {
  const { live } = useVenue();
  const client = useQueryClient();
  const tickers = useTickers();
  useEffect(() => {
    if (instrument === null) return;
    return live.subscribe("ticker", instrument, (data) => {
      const parsed = livePayload.ticker.safeParse(data);
      if (!parsed.success) return;
      client.setQueryData<Ticker[]>(["tickers"], (old) =>
        (old ?? []).map((t) => (t.instrument === parsed.data.instrument ? { ...t, ...parsed.data } : t)),
      );
    });
  }, [live, client, instrument]);
  return tickers.data?.find((t) => t.instrument === instrument) ?? null;
}

export interface BookLevel {
  readonly price: bigint;
  readonly size: bigint;
  /** Running total from the best level, 1e-4 units (for the depth bars). */
  readonly cumulative: bigint;
}

export interface BookView {
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
  readonly seq: bigint;
}

interface BookState {
  readonly seq: bigint;
  readonly bids: Map<bigint, bigint>;
  readonly asks: Map<bigint, bigint>;
}

function ladder(levels: Map<bigint, bigint>, descending: boolean, depth: number): BookLevel[] {
  const prices = [...levels.keys()].sort((a, b) => (a === b ? 0 : a < b === descending ? 1 : -1)).slice(0, depth);
  let cumulative = 0n;
  return prices.map((price) => {
    const size = levels.get(price)!;
    cumulative += size;
    return { price, size, cumulative };
  });
}

type LevelUpdate = { readonly price: bigint; readonly size: bigint };

/** Applies changed levels (size 0 removes the level) to a copy of `levels`. */
function applyLevels(levels: Map<bigint, bigint>, changes: readonly LevelUpdate[]): Map<bigint, bigint> {
  const next = new Map(levels);
  for (const { price, size } of changes) {
    if (size === 0n) next.delete(price);
    else next.set(price, size);
  }
  return next;
}

/** The order book of `instrument`, live; resynchronises from REST when a sequence number is missed. */
export function useBook(instrument: bigint | null, depth = 20): BookView | null {
  const { api, live } = useVenue();
  const status = useLiveStatus();
  const [book, setBook] = useState<BookState | null>(null);
  const [epoch, setEpoch] = useState(0);

  // While the feed is down, refresh the snapshot every few seconds.
  useEffect(() => {
    if (status === "live") return;
    const t = setInterval(() => setEpoch((e) => e + 1), 3_000);
    return () => clearInterval(t);
  }, [status]);

  useEffect(() => {
    if (instrument === null) return;
    let current: BookState | null = null;
    let alive = true;
    const fromSnapshot = (snapshot: { seq: bigint; bids: readonly LevelUpdate[]; asks: readonly LevelUpdate[] }) => {
      // A snapshot older than what we hold (REST racing the live feed) is ignored.
      if (current !== null && snapshot.seq <= current.seq) return;
      current = {
        seq: snapshot.seq,
        bids: new Map(snapshot.bids.map((l) => [l.price, l.size])),
        asks: new Map(snapshot.asks.map((l) => [l.price, l.size])),
      };
      setBook(current);
    };
    const unsubscribe = live.subscribe("book", instrument, (data) => {
      const parsed = livePayload.book.safeParse(data);
      if (!alive || !parsed.success || parsed.data.instrument !== instrument) return;
      const message = parsed.data;
      if (message.type === "book_snapshot") {
        fromSnapshot(message);
        return;
      }
      if (current === null || message.seq <= current.seq) return;
      if (message.seq !== current.seq + 1n) {
        setEpoch((e) => e + 1); // gap: resubscribe for a fresh snapshot
        return;
      }
      const bids = message.changes.filter((c) => c.side === Side.BUY);
      const asks = message.changes.filter((c) => c.side === Side.SELL);
      current = { seq: message.seq, bids: applyLevels(current.bids, bids), asks: applyLevels(current.asks, asks) };
      setBook(current);
    });
    api.book(instrument, 100).then(
      (snapshot) => {
        if (alive) fromSnapshot(snapshot);
      },
      () => undefined,
    );
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [api, live, instrument, epoch]);

  return useMemo(
    () =>
      book === null
        ? null
        : { seq: book.seq, bids: ladder(book.bids, true, depth), asks: ladder(book.asks, false, depth) },
    [book, depth],
  );
}

const TRADE_HISTORY = 500;

/** Recent trades of `instrument`, newest first, live. */
export function useTrades(instrument: bigint | null) {
  const { api, live } = useVenue();
  const client = useQueryClient();
  const poll = usePollMs(false, 3_000);
  const query = useQuery({
    queryKey: ["trades", instrument?.toString()],
    enabled: instrument !== null,
    queryFn: () => api.trades(instrument!, TRADE_HISTORY),
    refetchInterval: poll,
  });
  useEffect(() => {
    if (instrument === null) return;
    return live.subscribe("trades", instrument, (data) => {
      const parsed = livePayload.trade.safeParse(data);
      if (!parsed.success) return;
      client.setQueryData<Fill[]>(["trades", instrument.toString()], (old) =>
        (old ?? []).some((t) => t.tradeId === parsed.data.tradeId)
          ? old
          : [parsed.data, ...(old ?? [])].slice(0, TRADE_HISTORY),
      );
    });
  }, [live, client, instrument]);
  return query;
}

/** Candles of `instrument` from its recent trades. */
export function useCandles(instrument: bigint | null, intervalSeconds: number) {
  const trades = useTrades(instrument);
  const candles = useMemo(
    () => candlesFromTrades(trades.data ?? [], BigInt(intervalSeconds)),
    [trades.data, intervalSeconds],
  );
  return { candles, error: trades.error, loading: trades.isLoading };
}

/** Refetches the account's queries whenever the private stream reports a change. */
function usePrivateStream(): void {
  const { live } = useVenue();
  const client = useQueryClient();
  useEffect(() => live.onPrivate(() => void client.invalidateQueries({ queryKey: ["account"] })), [live, client]);
}

export function useAccount() {
  const { api } = useVenue();
  const { token, accountId } = useSession();
  usePrivateStream();
  const poll = usePollMs(10_000, 3_000);
  return useQuery({
    queryKey: ["account", accountId?.toString(), "view"],
    enabled: token !== null,
    queryFn: () => api.account(token!),
    refetchInterval: poll,
  });
}

export function useOpenOrders() {
  const { api } = useVenue();
  const { token, accountId } = useSession();
  const poll = usePollMs(10_000, 3_000);
  return useQuery({
    queryKey: ["account", accountId?.toString(), "orders"],
    enabled: token !== null,
    queryFn: () => api.openOrders(token!),
    refetchInterval: poll,
  });
}

export function useFills() {
  const { api } = useVenue();
  const { token, accountId } = useSession();
  const poll = usePollMs(10_000, 5_000);
  return useQuery({
    queryKey: ["account", accountId?.toString(), "fills"],
    enabled: token !== null,
    queryFn: () => api.fills(token!),
    refetchInterval: poll,
  });
}

/**
 * Asks the venue for an account's next order id (`GET /v1/accounts/{id}/nextOrderId`, with the
 * session's token) through the query cache, always fresh: called right before signing an order
 * or a withdrawal message, whose id is `allocateOrderId(store, accountId, next, ...)`
 * (web/lib/orderIds.ts).
 */
export function useFetchNextOrderId(): (accountId: bigint) => Promise<bigint> {
  const { api } = useVenue();
  const { token } = useSession();
  const client = useQueryClient();
  return useCallback(
    (accountId: bigint) => {
      if (token === null)
        return Promise.reject(new Error("The venue session is still opening: try again in a moment."));
      return client.fetchQuery({
        queryKey: ["account", accountId.toString(), "nextOrderId"],
        queryFn: () => api.nextOrderId(accountId, token),
        staleTime: 0,
      });
    },
    [api, client, token],
  );
}

/**
 * The protocol `Account` behind an account view, for what-if margin previews: its collateral
 * and positions, padded with empty slots to the profile's slot count.
 */
export function accountOf(view: AccountView, slots: number): Account {
  const positions = view.positions.map((p) => ({ instrument: p.instrument, size: p.size, cost: p.cost }));
  while (positions.length < slots) positions.push(EMPTY_POSITION);
  return { pkHash: 0n, owner: 0n, collateral: view.collateral, orderRoot: 0n, positions };
}

/** A clock for display (seconds), ticking every `everyMs`. Never used for protocol values. */
export function useNow(everyMs = 1000): bigint {
  const [now, setNow] = useState(() => BigInt(Math.floor(Date.now() / 1000)));
  useEffect(() => {
    const t = setInterval(() => setNow(BigInt(Math.floor(Date.now() / 1000))), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
