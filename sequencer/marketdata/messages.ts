/**
 * Messages between the core (sequencer/marketdata/feed.ts) and the market-data process
 * (sequencer/marketdata/process.ts), over the fork's IPC channel with `advanced` serialization
 * (bigints and Maps pass as they are).
 *
 * core → process: one `init` (the public state as it stands), then `updates`, each holding the
 * public events of one event-loop turn of the core, in order, and the account records and open
 * orders that turn changed (for the account reads). process → core: `listening` once its
 * server is up.
 */
import type { BookSnapshot } from "../core/engine/book.ts";
import type { Account } from "../../protocol/types.ts";
import type { Fill, OrderRecord } from "../core/engine/engine.ts";
import type { Market } from "../core/engine/markets.ts";
import type { healthView } from "../core/health.ts";
import type { MarketStats, VenueEvent } from "../core/sequencer.ts";
import type { HttpLimits } from "../intake/httplimits.ts";
import type { WsLimits } from "../intake/ws.ts";

/** The health gate as the WebSocket `status` message carries it. */
export type HealthWire = ReturnType<typeof healthView>;

export interface MarketDataOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly ws: WsLimits;
  /** HTTP timeouts and connection caps, as the API's (intake/httplimits.ts). */
  readonly http: HttpLimits;
  /** Requests and WebSocket messages per second and burst, per client IP. */
  readonly ipRatePerSecond: number;
  readonly ipBurst: number;
  /** fastify `trustProxy`, as the API's. */
  readonly trustProxy: boolean | string;
  readonly version: string;
  readonly logLevel: string;
  /**
   * Account reads (`/v1/account`, its orders, fills and settlements) with the venue's session
   * tokens: the key that signs them, the journal file (read-only here) and the per-account read
   * budget. Null: the process serves public data only (a venue whose journal is in memory).
   */
  readonly accounts: {
    readonly sessionKey: Uint8Array;
    readonly journalFile: string;
    readonly readRatePerSecond: number;
    readonly readBurst: number;
  } | null;
}

/** The account state the account reads need, as it stands. */
export interface AccountsInit {
  /** Every account record the venue holds. */
  readonly accounts: readonly (readonly [bigint, Account])[];
  /** The record of an account never written (the profile's empty account). */
  readonly empty: Account;
  /** Every open order, per account in the venue's order. */
  readonly orders: readonly OrderRecord[];
  /** `[accountId, nextOrderId]` of every account that used an order id (others: 1). */
  readonly nextOrderIds: readonly (readonly [bigint, bigint])[];
  /** The profile's account-tree depth: ids from 2^accountDepth on name no account. */
  readonly accountDepth: number;
  /** Funding index per underlying (marks: oracle price − funding index). */
  readonly fundingIndex: readonly bigint[];
  /** The open batch's number (a fill in it is `open`). */
  readonly currentBatch: bigint;
  /** The last committed journal entry this state includes (the venue's `X-Tessera-Seq`). */
  readonly seq: bigint;
}

/** What one turn changed in the account state. */
export interface AccountUpdates {
  /** Accounts written, with their records as they stand. */
  readonly accounts: readonly (readonly [bigint, Account])[];
  /** Open orders entered or changed, as they stand (new ones in the order they entered). */
  readonly open: readonly OrderRecord[];
  /** `[accountId, orderId]` of orders that left the book. */
  readonly gone: readonly (readonly [bigint, bigint])[];
  /** `[accountId, nextOrderId]` of accounts whose next order id moved. */
  readonly nextOrderIds: readonly (readonly [bigint, bigint])[];
  /** The funding index when it moved, else null. */
  readonly fundingIndex: readonly bigint[] | null;
  /** The open batch's number when it moved, else null. */
  readonly currentBatch: bigint | null;
  /** The last committed journal entry the account state now includes. */
  readonly seq: bigint;
}

export interface MarketDataInit {
  readonly type: "init";
  readonly markets: readonly Market[];
  /** Every book at full depth. */
  readonly books: readonly BookSnapshot[];
  readonly trades: readonly (readonly [bigint, readonly Fill[]])[];
  readonly stats: readonly (readonly [bigint, MarketStats])[];
  readonly oraclePrices: readonly bigint[];
  readonly health: HealthWire;
  /** Trades kept per market (as the core keeps). */
  readonly recentTrades: number;
  /** Null when the process serves no account reads. */
  readonly accounts: AccountsInit | null;
}

/** The venue's own `book` and `trade` events, as they are; its health as the wire shows it. */
export type MarketDataEvent =
  | Extract<VenueEvent, { type: "book" | "trade" }>
  | { readonly type: "health"; readonly health: HealthWire }
  /** Markets listed since the last message. */
  | { readonly type: "markets"; readonly markets: readonly Market[] }
  | { readonly type: "oracle"; readonly prices: readonly bigint[] };

export type CoreToMarketData =
  | { readonly type: "start"; readonly options: MarketDataOptions }
  | MarketDataInit
  | {
      readonly type: "updates";
      readonly events: readonly MarketDataEvent[];
      /** Null when the process serves no account reads. */
      readonly accounts: AccountUpdates | null;
    };

export type MarketDataToCore =
  { readonly type: "listening"; readonly port: number } | { readonly type: "failed"; readonly message: string };
