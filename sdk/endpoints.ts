/**
 * Where a client reads what: the venue's own URL takes orders and private streams; public
 * market data is better read from the market-data endpoint `/v1/status` names
 * (docs/api.md "Market-data endpoint"). Shared by the SDK and the web app.
 */

/**
 * The path of an account's next order id (`GET /v1/accounts/{accountId}/nextOrderId`, docs/api.md
 * "Choosing order ids"): `{accountId, nextOrderId}`, one above every id the venue has seen from
 * the account. Read with the account's own session; served by the venue and by the market-data
 * endpoint.
 */
export function nextOrderIdPath(accountId: bigint): string {
  return `/v1/accounts/${accountId}/nextOrderId`;
}

/** `/v1/status`'s `marketData`: null when the venue runs none, absent from older venues. */
export interface MarketDataEndpoint {
  readonly port: number;
  /** The base URL the deployment advertises (behind a proxy); null or absent: the venue's host. */
  readonly url?: string | null;
}

/**
 * The base URL of public market data: the advertised URL, else the venue's host (and scheme)
 * at the market-data port, else, with no market-data endpoint, the venue's own URL.
 */
export function marketDataBaseUrl(venueUrl: string, endpoint: MarketDataEndpoint | null | undefined): string {
  const venue = venueUrl.replace(/\/+$/, "");
  if (endpoint === undefined || endpoint === null) return venue;
  if (typeof endpoint.url === "string" && endpoint.url !== "") return endpoint.url.replace(/\/+$/, "");
  const url = new URL(venue);
  url.port = String(endpoint.port);
  return url.origin;
}
