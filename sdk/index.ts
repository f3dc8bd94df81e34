/**
 * The Tessera TypeScript SDK for market makers (docs/sdk.md): a typed REST client, a
 * self-healing WebSocket stream with local order books, trading keys from a wallet, and order
 * helpers. Amounts are bigint everywhere: prices in cents, sizes in 1e-4 units, collateral in
 * USDC base units (docs/protocol.md §1).
 */
export { LocalOrderBook } from "./book.ts";
export type { BookLevel, DeltaOutcome } from "./book.ts";
export { DEFAULT_IMMEDIATE_TTL_SECONDS, DEFAULT_ORDER_TTL_SECONDS, TesseraClient } from "./client.ts";
export type { ClientOptions, InstrumentRef } from "./client.ts";
export { marketDataBaseUrl, nextOrderIdPath } from "./endpoints.ts";
export type { MarketDataEndpoint } from "./endpoints.ts";
export { RateLimitError, TesseraApiError, TesseraConnectionError, TesseraSdkError } from "./errors.ts";
export { TradingKey } from "./keys.ts";
export type { KeyWallet } from "./keys.ts";
export { buildOrder, ceilTo, checkIncrements, floorTo, OrderIdAllocator, orderFlags } from "./orders.ts";
export type { OrderRequest, SideName, TimeInForceName } from "./orders.ts";
export { backoffDelay, TesseraStream } from "./stream.ts";
export type { BackoffOptions, StreamEvents, StreamOptions, TickerUpdate } from "./stream.ts";
export type {
  AccountSummary,
  BatchPage,
  BatchProof,
  BatchStatus,
  BatchSummary,
  BookSnapshot,
  CancelBatchItem,
  CancelledOrder,
  Deposit,
  Fill,
  Funding,
  Groth16Proof,
  Level,
  Market,
  MmpEntry,
  OpenOrder,
  OptionChain,
  OracleUnderlying,
  PlaceBatchItem,
  PlaceResult,
  ProvingPipeline,
  RateLimits,
  ReplaceResult,
  Settlement,
  Ticker,
  VenueHealth,
  VenueStatus,
  VerificationKey,
  Withdrawal,
} from "./wire.ts";
