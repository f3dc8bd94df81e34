/**
 * Messages between the core (sequencer/marketdata/feed.ts) and the market-data process
 * (sequencer/marketdata/process.ts), over the fork's IPC channel with `advanced` serialization
 * (bigints and Maps pass as they are).
 *
 * core → process: one `init` (the public state as it stands), then `updates`, each holding the
 * public events of one event-loop turn of the core, in order. process → core: `listening`
 * once its server is up.
 */
import type { BookSnapshot } from "../core/engine/book.ts";
import type { Fill } from "../core/engine/engine.ts";
import type { Market } from "../core/engine/markets.ts";
import type { healthView } from "../core/health.ts";
import type { MarketStats, VenueEvent } from "../core/sequencer.ts";
import type { WsLimits } from "../intake/ws.ts";

/** The health gate as the WebSocket `status` message carries it. */
export type HealthWire = ReturnType<typeof healthView>;

export interface MarketDataOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly ws: WsLimits;
  /** Requests and WebSocket messages per second and burst, per client IP. */
  readonly ipRatePerSecond: number;
  readonly ipBurst: number;
  /** fastify `trustProxy`, as the API's. */
  readonly trustProxy: boolean | string;
  readonly version: string;
  readonly logLevel: string;
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
  | { readonly type: "updates"; readonly events: readonly MarketDataEvent[] };

export type MarketDataToCore =
  { readonly type: "listening"; readonly port: number } | { readonly type: "failed"; readonly message: string };
