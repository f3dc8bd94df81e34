/**
 * The REST routes of the venue (reference: docs/api.md, generated: /openapi.json).
 */
import { readFileSync } from "node:fs";
import { ProtocolError } from "../../protocol/errors.ts";
import { unpackProof } from "../../protocol/proof.ts";
import { decodeInstrument, instrumentName, parseInstrumentName, UNDERLYINGS } from "../../protocol/instruments.ts";
import { intrinsic } from "../../protocol/margin.ts";
import { verifyOrderSignatureRemote } from "../../protocol/signing.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { SideCode, SignedOrder } from "../../protocol/types.ts";
import { VerifierBusyError, VerifierUnavailableError } from "./verify-pool.ts";
import type { VerifyPool } from "./verify-pool.ts";
import { batchStage } from "../core/sequencer.ts";
import type {
  BatchSummary,
  DepositRecord,
  MarketStats,
  Sequencer,
  SettledPosition,
  WithdrawalRecord,
} from "../core/sequencer.ts";
import type { BookSnapshot } from "../core/engine/book.ts";
import type { CancelledOrder, Fill, OrderRecord, PlaceResult } from "../core/engine/engine.ts";
import { decodeFlags } from "../core/engine/flags.ts";
import type { Market } from "../core/engine/markets.ts";
import { SequencerError } from "../errors.ts";
import { healthView } from "../core/health.ts";
import { pipelineView } from "../provers/proving.ts";
import type { ProvingStage } from "../provers/proving.ts";
import { accountView } from "./views.ts";
import { toWire } from "../wire.ts";
import type { VenueMetrics } from "./metrics.ts";
import type { ApiLimits, BucketState, RequestLimits } from "./ratelimit.ts";
import { checkMinAmend, checkMinNotional, checkMinWithdrawal } from "./dust.ts";
import { checkFundCapacity } from "./fund-capacity.ts";
import { checkOpenOrderMargin } from "./reserve.ts";
import type { Reply, Route } from "./route.ts";
import { defineRoute } from "./route.ts";
import {
  accountParamsSchema,
  batchParamsSchema,
  batchesQuerySchema,
  cancelAllSchema,
  chainQuerySchema,
  challengeSchema,
  clientOrderIdParamsSchema,
  depositSchema,
  forcedCloseSchema,
  forcedWithdrawalSchema,
  depthQuerySchema,
  fillsQuerySchema,
  instrumentParamsSchema,
  instrumentsQuerySchema,
  limitQuerySchema,
  oracleSchema,
  orderIdParamsSchema,
  placeOneSchema,
  placeBatchSchema,
  cancelBatchSchema,
  amendSchema,
  scheduleCancelSchema,
  mmpSchema,
  mmpResetSchema,
  replaceOrderSchema,
  sessionSchema,
  settlementSchema,
  withdrawalSchema,
} from "./schemas.ts";
import type { Session, SessionStore } from "./sessions.ts";
import { sessionMessage } from "../../protocol/signing.ts";

export interface ApiContext {
  readonly venue: Sequencer;
  readonly verifier: VerifyPool;
  readonly sessions: SessionStore;
  /** Every rate-limit budget (sequencer/intake/ratelimit.ts). */
  readonly limits: ApiLimits;
  /** Open orders an account may have at most (TOO_MANY_OPEN_ORDERS beyond). */
  readonly maxOpenOrders: number;
  /** The smallest order notional, collateral units (MIN_NOTIONAL below; 0: none; dust.ts). */
  readonly minOrderNotional: bigint;
  /** The smallest withdrawal, collateral units, unless it empties a flat account (dust.ts). */
  readonly minWithdrawal: bigint;
  /**
   * Cancel-on-disconnect groups (WebSocket connection ids) that are live, with their account:
   * a REST order may join only a live group of its own account.
   */
  readonly liveGroups: Map<string, bigint>;
  /** Check initial margin for resting orders at placement (default true; sequencer/intake/reserve.ts). */
  readonly reserveMargin?: boolean;
  readonly metrics: VenueMetrics;
  /** Wall clock, unix ms (the API's only clock; the engine takes it as an argument). */
  readonly clock: () => bigint;
  /** How long a batch stays open at most (ms): the basis of withdrawal estimates. */
  readonly batchMaxAgeMs: bigint;
  /** The Groth16 verification key (snarkjs JSON file) of the venue's circuit, when it proves. */
  readonly verificationKeyFile: string | null;
  /** The proving stage (null or absent: the venue does not prove), for the pipeline's status. */
  readonly proving?: ProvingStage | null;
  /**
   * The market-data endpoint (sequencer/marketdata/) for `/v1/status`: its port and the public
   * URL the deployment advertises (null: the venue's host with that port); null or absent when
   * the venue runs none.
   */
  readonly marketData?: () => { readonly port: number; readonly url: string | null } | null;
}

// --- views -----------------------------------------------------------------------------------

const sideName = (s: SideCode): "buy" | "sell" => (s === Side.BUY ? "buy" : "sell");
const kindName = (k: number): "perp" | "call" | "put" =>
  k === InstrumentKind.PERP ? "perp" : k === InstrumentKind.CALL ? "call" : "put";

export function marketView(m: Market, minNotional: bigint) {
  return {
    instrument: m.instrument,
    name: m.name,
    kind: kindName(m.kind),
    underlying: m.underlying,
    strike: m.strike,
    expiry: m.expiry,
    tickSize: m.tickSize,
    lotSize: m.lotSize,
    minSize: m.minSize,
    minNotional,
  };
}

export function fillView(f: Fill, proofStatus?: string) {
  return {
    tradeId: f.tradeId,
    kind: f.kind,
    instrument: f.instrument,
    name: instrumentName(f.instrument),
    price: f.price,
    size: f.size,
    takerSide: sideName(f.takerSide),
    maker: { accountId: f.makerAccount, orderId: f.makerOrderId },
    taker: { accountId: f.takerAccount, orderId: f.takerOrderId },
    batch: f.batch,
    slot: f.slot,
    time: f.time,
    ...(proofStatus === undefined ? {} : { proofStatus }),
  };
}

export function restingView(o: OrderRecord) {
  return {
    accountId: o.accountId,
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    instrument: o.instrument,
    name: instrumentName(o.instrument),
    side: sideName(o.side),
    price: o.price,
    // The signed size, less what an amend took off.
    size: o.filled + o.remaining,
    filled: o.filled,
    remaining: o.remaining,
    flags: o.signed.order.flags,
    expiry: o.signed.order.expiry,
    acceptedAt: o.acceptedAt,
  };
}

export function cancelledView(c: CancelledOrder) {
  return {
    accountId: c.order.accountId,
    orderId: c.order.orderId,
    clientOrderId: c.order.clientOrderId,
    reason: c.reason,
    code: c.code,
  };
}

export function placeView(r: PlaceResult) {
  return {
    accountId: r.accountId,
    orderId: r.orderId,
    clientOrderId: r.clientOrderId,
    instrument: r.instrument,
    status: r.status,
    filled: r.filled,
    remaining: r.remaining,
    stopCode: r.stopCode,
    fills: r.fills.map((f) => fillView(f)),
    cancelled: r.cancelled.map(cancelledView),
  };
}

/**
 * Where a transaction's batch is (`batchStage`): `pending` (the batch is open;
 * `estimatedBatchCloseAt` says when it closes by age), `in_batch` (closed or being proven),
 * `proven`, `verified` (accepted on L1, with the transaction hash) or `failed`.
 */
function batchProgress(venue: Sequencer, batch: bigint, batchMaxAgeMs: bigint) {
  const pipeline = venue.batchStatus(batch);
  const status = batchStage(pipeline);
  const openSince = venue.ledger.openSince;
  return {
    status,
    l1TxHash: pipeline === "submitted" ? (venue.journal.batchRecord(batch)?.detail ?? null) : null,
    estimatedBatchCloseAt: status === "pending" && openSince !== null ? openSince + batchMaxAgeMs : null,
  } as const;
}

export function withdrawalView(venue: Sequencer, w: WithdrawalRecord, batchMaxAgeMs: bigint) {
  const progress = batchProgress(venue, w.batch, batchMaxAgeMs);
  return {
    kind: w.kind,
    accountId: w.accountId,
    requested: w.requested,
    served: w.served,
    outcome: w.served === 0n ? "refused" : "served",
    orderId: w.orderId,
    batch: w.batch,
    slot: w.slot,
    time: w.time,
    ...progress,
    // Verified on L1 means the owner can claim it there.
    status: progress.status === "verified" ? "claimable" : progress.status,
  };
}

/**
 * A position closed by its option series' settlement: `value = size × intrinsic(price)`, and
 * `pnl = value − cost`, what settling added to collateral (quote units, signed).
 */
export function settlementView(p: SettledPosition) {
  return {
    accountId: p.accountId,
    instrument: p.instrument,
    name: instrumentName(p.instrument),
    size: p.size,
    price: p.price,
    roundId: p.roundId,
    value: p.value,
    cost: p.cost,
    pnl: p.pnl,
    batch: p.batch,
    slot: p.slot,
    time: p.time,
  };
}

/**
 * `GET /v1/accounts/{accountId}/nextOrderId` (the venue's and the market-data endpoint's, with
 * the account's own session): the id to sign next, one above the highest the venue has seen
 * from the account.
 */
export function nextOrderIdView(accountId: bigint, nextOrderId: bigint) {
  return { accountId, nextOrderId };
}

/** A deposit: credited on L2 from `pending` on; `verified` once its batch is accepted on L1. */
export function depositView(venue: Sequencer, d: DepositRecord, batchMaxAgeMs: bigint) {
  return {
    accountId: d.accountId,
    amount: d.amount,
    queueIndex: d.queueIndex,
    batch: d.batch,
    slot: d.slot,
    time: d.time,
    ...batchProgress(venue, d.batch, batchMaxAgeMs),
  };
}

export function batchSummaryView(venue: Sequencer, b: BatchSummary) {
  const record = venue.journal.batchRecord(b.number);
  return {
    number: b.number,
    oldStateRoot: b.oldStateRoot,
    newStateRoot: b.newStateRoot,
    timestamp: b.timestamp,
    openedAt: b.openedAt,
    closedAt: b.closedAt,
    txCount: b.txCount,
    txTypes: b.txTypes,
    proofStatus: record?.status ?? "closed",
    l1TxHash: record?.status === "submitted" ? record.detail : null,
  };
}

const ok = (body: unknown, status = 200): Reply => ({ status, body: toWire(body) });

// --- helpers ---------------------------------------------------------------------------------

/** An instrument id from an id or a name; must be listed. */
function resolveInstrument(api: ApiContext, ref: string): bigint {
  const id = parseInstrumentRef(ref);
  api.venue.engine.market(id);
  return id;
}

/** An instrument id or name (`ETH-PERP`) as an id; throws UNKNOWN_INSTRUMENT for a bad name. */
export function parseInstrumentRef(ref: string): bigint {
  if (/^[0-9]+$/.test(ref)) return BigInt(ref);
  try {
    return parseInstrumentName(ref);
  } catch (e) {
    if (e instanceof ProtocolError) throw new SequencerError("UNKNOWN_INSTRUMENT", `${ref} is not an instrument name`);
    throw e;
  }
}

/** A book snapshot as the API sends it (REST `book`, WebSocket `book_snapshot`). */
export function bookSnapshotView(snap: BookSnapshot) {
  return {
    instrument: snap.instrument,
    seq: snap.seq,
    bids: snap.bids.map(([price, size, orders]) => ({ price, size, orders })),
    asks: snap.asks.map(([price, size, orders]) => ({ price, size, orders })),
  };
}

/** One row of `/v1/tickers`. `index`: the underlying's oracle price, cents. */
export function tickerRow(
  m: Market,
  best: { readonly bid: bigint | null; readonly ask: bigint | null },
  s: MarketStats,
  index: bigint,
) {
  return {
    instrument: m.instrument,
    name: m.name,
    bid: best.bid,
    ask: best.ask,
    lastPrice: s.lastPrice,
    volume: s.volume,
    trades: s.trades,
    indexPrice: index,
    markPrice: m.kind === InstrumentKind.PERP ? index : intrinsic(decodeInstrument(m.instrument), index),
  };
}

/** A verifier failure as the API reports it: 503 UNAVAILABLE (retry) or OVERLOADED (queue full). */
function verifierError(e: unknown): unknown {
  if (e instanceof VerifierUnavailableError) return new SequencerError("UNAVAILABLE", e.message);
  if (e instanceof VerifierBusyError) {
    const err = new SequencerError("OVERLOADED", e.message);
    err.retryAfterMs = 1000;
    return err;
  }
  return e;
}

async function verifyOrder(api: ApiContext, signed: SignedOrder): Promise<void> {
  let valid: boolean;
  try {
    // Remembered once valid, so the order's fills and batch are not verified again (protocol/signing.ts).
    valid = await verifyOrderSignatureRemote(signed, api.venue.config.domain, (o, domain) =>
      api.verifier.verifyOrder(o, domain),
    );
  } catch (e) {
    throw verifierError(e);
  }
  if (!valid)
    throw new SequencerError(
      "BAD_SIGNATURE",
      `the signature does not verify for order ${signed.order.orderId}: sign orderHash (docs/protocol.md §5.1) with this deployment's domain`,
    );
}

function sessionOf(session: Session | null): Session {
  if (session === null) throw new SequencerError("UNAUTHORIZED", "this route needs a session token");
  return session;
}

/**
 * Refuses a session of account `sessionAccount` a read of account `accountId`'s next order id
 * (FORBIDDEN): the venue's route and the market-data endpoint's.
 */
export function requireOwnAccount(sessionAccount: bigint, accountId: bigint): void {
  if (sessionAccount !== accountId)
    throw new SequencerError(
      "FORBIDDEN",
      `this session is account ${sessionAccount}'s: an account's next order id is read with its own session`,
    );
}

function requireOwnOrder(session: Session, signed: SignedOrder): void {
  if (signed.order.accountId !== session.accountId)
    throw new SequencerError(
      "FORBIDDEN",
      `the session is for account ${session.accountId}, the order for ${signed.order.accountId}`,
    );
}

/**
 * Who paid for an order before its signature was checked: `ip`, the caller's IP (a request
 * without a session: the order budget of the account is charged once the signature checks out,
 * and the IP's token given back); `account`, the order budget of the session's account (an
 * authenticated WebSocket: the orders are its own, and nothing more is charged).
 */
export type OrderPayer = "ip" | "account";

/**
 * Places a signed order for the REST route and the WebSocket `place` op. Until the signature
 * checks out the request is its payer's (the server charged the IP, or the WebSocket hub the
 * session account's order budget); only the checks that reveal nothing about the account run
 * before it (`MatchingEngine.check`). Then the account's order budget is charged (paid by the IP)
 * and the open-order cap applies.
 */
export async function placeOrder(
  api: ApiContext,
  signed: SignedOrder,
  clientOrderId: string | null,
  group: string | null,
  limits: RequestLimits,
  payer: OrderPayer = "ip",
): Promise<PlaceResult> {
  const t0 = performance.now();
  try {
    api.venue.engine.check(signed, api.clock());
    await verifyOrder(api, signed);
    if (payer === "ip") limits.authenticated(signed.order.accountId, "order");
  } catch (e) {
    if (e instanceof SequencerError) api.metrics.orders.inc({ outcome: e.code });
    api.metrics.ackLatency.observe((performance.now() - t0) / 1000);
    throw e;
  }
  return placeVerified(api, signed, clientOrderId, group, t0);
}

/** Places an order whose signature checked out and whose account's budget was charged. */
export function placeVerified(
  api: ApiContext,
  signed: SignedOrder,
  clientOrderId: string | null,
  group: string | null,
  t0: number = performance.now(),
): PlaceResult {
  const { venue, metrics } = api;
  try {
    const accountId = signed.order.accountId;
    if (group !== null) requireLiveGroup(api, group, accountId);
    // The cap counts resting orders: an IOC or FOK order never rests.
    if (decodeFlags(signed.order.flags).timeInForce === "GTC" && venue.engine.openCount(accountId) >= api.maxOpenOrders)
      throw new SequencerError(
        "TOO_MANY_OPEN_ORDERS",
        `account ${accountId} has ${api.maxOpenOrders} open orders, the most allowed: cancel some first`,
      );
    checkMinNotional(venue, signed, api.minOrderNotional);
    if (api.reserveMargin !== false && decodeFlags(signed.order.flags).timeInForce === "GTC")
      checkOpenOrderMargin(venue, signed);
    // After the resting-order margin refusal (a 503 invites a retry that would fail anyway); an
    // IOC or FOK order's own margin is checked by protocol/ at its fill, after this.
    checkFundCapacity(venue, signed);
    const outcome = venue.execute({ kind: "place", order: signed, clientOrderId, group }, api.clock());
    if (outcome.kind !== "place") throw new Error("unexpected outcome");
    metrics.orders.inc({ outcome: outcome.result.status });
    metrics.fills.inc(outcome.result.fills.length);
    return outcome.result;
  } catch (e) {
    if (e instanceof SequencerError) metrics.orders.inc({ outcome: e.code });
    throw e;
  } finally {
    metrics.ackLatency.observe((performance.now() - t0) / 1000);
  }
}

/** One item's outcome in a batch: its result, or its error (code, status, message). */
export function itemError(e: unknown) {
  if (e instanceof SequencerError) return { ok: false, code: e.code, status: e.status, message: e.message };
  if (e instanceof ProtocolError) return { ok: false, code: e.code, status: 422, message: e.message };
  throw e;
}

/**
 * Places up to 50 signed orders of one account, in order, each with its own result (REST
 * `POST /v1/orders/batch` and the WebSocket `placeBatch` op). Every order costs its payer a token
 * before any signature is checked (the caller charged the first): for REST the IP, which gets
 * back the token of each order whose signature checks out while the account's order budget pays
 * for it instead (a junk signature stays on the IP); on an authenticated WebSocket the session
 * account's order budget, which pays for every order, valid or not. So a batch costs as many
 * tokens as it asks signature checks, whoever sends it.
 */
export async function placeBatchOrders(
  api: ApiContext,
  orders: readonly { readonly order: SignedOrder; readonly clientOrderId?: string | undefined }[],
  group: string | null,
  limits: RequestLimits,
  payer: OrderPayer = "ip",
): Promise<unknown[]> {
  const accountId = orders[0]!.order.order.accountId;
  if (orders.some((o) => o.order.order.accountId !== accountId))
    throw new SequencerError("BAD_REQUEST", "every order of a batch must be of the same account");
  if (orders.length > 1) {
    if (payer === "ip") limits.chargeIp(orders.length - 1);
    else limits.chargeAccount(accountId, "order", orders.length - 1);
  }
  // Signatures are checked together (the verifier pool batches them); the fields first.
  const now = api.clock();
  const checked = await Promise.all(
    orders.map(async (o) => {
      try {
        api.venue.engine.check(o.order, now);
        await verifyOrder(api, o.order);
        return null;
      } catch (e) {
        return e;
      }
    }),
  );
  const valid = checked.filter((e) => e === null).length;
  if (valid > 0 && payer === "ip") limits.authenticated(accountId, "order", valid, valid);
  if (group !== null && valid > 0) requireLiveGroup(api, group, accountId);
  const results: unknown[] = [];
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i]!;
    try {
      if (checked[i] !== null) throw checked[i];
      const result = placeVerified(api, o.order, o.clientOrderId ?? null, group);
      results.push({ ok: true, result: placeView(result) });
    } catch (e) {
      results.push(itemError(e));
    }
  }
  return results;
}

/** `group` is a live WebSocket connection of `accountId` with cancel-on-disconnect; else 400. */
function requireLiveGroup(api: ApiContext, group: string, accountId: bigint): void {
  if (api.liveGroups.get(group) !== accountId)
    throw new SequencerError(
      "BAD_REQUEST",
      `cancelOnDisconnect: ${group} is not a live WebSocket connection of account ${accountId} with cancel-on-disconnect: reconnect and use the new connectionId`,
    );
}

/** A bucket's state on the wire. */
export function bucketView(state: BucketState) {
  return {
    bucket: state.bucket,
    limit: state.limit,
    remaining: state.remaining,
    resetMs: state.resetMs,
    ratePerSecond: state.ratePerSecond,
  };
}

// --- routes ----------------------------------------------------------------------------------

/** Body limit of batch requests (REST and WebSocket messages): 50 signed orders fit. */
export const BATCH_BODY_LIMIT = 64 * 1024;

/** `GET /v1/status` lists at most this many unproved batches (and counts them all). */
const STATUS_UNPROVED_LIMIT = 100;

const ERR_400 = { 400: "invalid request (code BAD_REQUEST)" };
const ERR_AUTH = { 401: "missing or expired session (UNAUTHORIZED)" };
/** What an order can meet besides its own faults (docs/api.md, error table). */
const ERR_503_ORDER =
  "NO_FUND_CAPACITY (it would open an instrument the insurance fund has no free slot to back) / OVERLOADED / UNAVAILABLE / CANCEL_ONLY / PRICE_STALE / HALTED";

export function buildRoutes(api: ApiContext): Route[] {
  const { venue, metrics } = api;
  const engine = venue.engine;

  const place = defineRoute({
    method: "POST",
    url: "/v1/orders",
    summary: "Place a signed order (limit, market = IOC with a protective limit, IOC, FOK, post-only, reduce-only)",
    tag: "orders",
    auth: "none",
    body: placeOneSchema,
    responses: {
      200: "accepted: resting, filled, or cancelled (IOC remainder / stopped by a protocol rule, see stopCode)",
      ...ERR_400,
      401: "BAD_SIGNATURE",
      403: "KEY_MISMATCH",
      404: "UNKNOWN_INSTRUMENT / UNKNOWN_ACCOUNT",
      409: "DUPLICATE_ORDER_ID / ORDER_SLOT_BUSY / DUPLICATE_CLIENT_ORDER_ID",
      422: "TICK_SIZE / LOT_SIZE / MIN_SIZE / MIN_NOTIONAL / ORDER_EXPIRED / ORDER_ID_WINDOW (count up from GET /v1/accounts/{accountId}/nextOrderId) / POST_ONLY_WOULD_CROSS / FOK_UNFILLED / protocol codes (MARGIN, REDUCE_ONLY, ...)",
      429: "RATE_LIMITED",
      503: ERR_503_ORDER,
    },
    async handle({ body, limits }) {
      const result = await placeOrder(
        api,
        body.order,
        body.clientOrderId ?? null,
        body.cancelOnDisconnect ?? null,
        limits,
      );
      return ok(placeView(result));
    },
  });

  const cancel = defineRoute({
    method: "DELETE",
    url: "/v1/orders/:orderId",
    summary: "Cancel one open order of the session's account",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    params: orderIdParamsSchema,
    responses: { 200: "cancelled", ...ERR_400, ...ERR_AUTH, 404: "ORDER_NOT_FOUND", 429: "RATE_LIMITED" },
    handle({ params, session }) {
      const s = sessionOf(session);
      const outcome = venue.execute(
        { kind: "cancel", accountId: s.accountId, orderId: params.orderId, reason: "user" },
        api.clock(),
      );
      if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
      metrics.cancels.inc(outcome.cancelled.length);
      return ok({ cancelled: outcome.cancelled.map(cancelledView) });
    },
  });

  const cancelByClientId = defineRoute({
    method: "DELETE",
    url: "/v1/orders/by-client-id/:clientOrderId",
    summary: "Cancel one open order by its client order id",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    params: clientOrderIdParamsSchema,
    responses: { 200: "cancelled", ...ERR_400, ...ERR_AUTH, 404: "ORDER_NOT_FOUND", 429: "RATE_LIMITED" },
    handle({ params, session }) {
      const s = sessionOf(session);
      const order = engine.findByClientId(s.accountId, params.clientOrderId);
      if (order === null)
        throw new SequencerError(
          "ORDER_NOT_FOUND",
          `account ${s.accountId} has no open order with client id ${params.clientOrderId}`,
        );
      const outcome = venue.execute(
        { kind: "cancel", accountId: s.accountId, orderId: order.orderId, reason: "user" },
        api.clock(),
      );
      if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
      metrics.cancels.inc(outcome.cancelled.length);
      return ok({ cancelled: outcome.cancelled.map(cancelledView) });
    },
  });

  const cancelAll = defineRoute({
    method: "POST",
    url: "/v1/orders/cancel-all",
    summary: "Cancel every open order of the session's account (optionally in one instrument)",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    body: cancelAllSchema,
    responses: {
      200: "cancelled (possibly none)",
      ...ERR_400,
      ...ERR_AUTH,
      404: "UNKNOWN_INSTRUMENT",
      429: "RATE_LIMITED",
    },
    handle({ body, session }) {
      const s = sessionOf(session);
      const instrument = body.instrument === undefined ? null : resolveInstrument(api, body.instrument);
      const outcome = venue.execute(
        { kind: "cancelAll", accountId: s.accountId, instrument, reason: "user" },
        api.clock(),
      );
      if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
      metrics.cancels.inc(outcome.cancelled.length);
      return ok({ cancelled: outcome.cancelled.map(cancelledView) });
    },
  });

  const replace = defineRoute({
    method: "POST",
    url: "/v1/orders/:orderId/replace",
    summary: "Replace an open order with a new signed order (cancel + place, one step)",
    tag: "orders",
    auth: "session",
    budget: "order",
    params: orderIdParamsSchema,
    body: replaceOrderSchema,
    responses: {
      200: "old order cancelled; the new order's result (its `rejection` set if a protocol rule refused its first fill)",
      ...ERR_400,
      ...ERR_AUTH,
      403: "FORBIDDEN (order of another account) / KEY_MISMATCH",
      404: "ORDER_NOT_FOUND",
      409: "DUPLICATE_ORDER_ID / ORDER_SLOT_BUSY",
      422: "validation codes as for placing (ORDER_ID_WINDOW, ...); MARGIN / NO_POSITION_SLOT: the account's open orders, the replaced one left out and the new one in, could not be carried at initial margin (as for placing)",
      503: ERR_503_ORDER,
    },
    async handle({ params, body, session }) {
      const s = sessionOf(session);
      requireOwnOrder(s, body.order);
      // The cheap field checks first, as for placing; then the signature.
      venue.engine.check(body.order, api.clock());
      await verifyOrder(api, body.order);
      const group = body.cancelOnDisconnect ?? null;
      if (group !== null) requireLiveGroup(api, group, s.accountId);
      // The resting-order margin rule of placing, with the replaced order's reservation released
      // (the replace cancels it). Checked after the await: the order read is the current one.
      const old = venue.engine.findOpen(s.accountId, params.orderId);
      if (old === null)
        throw new SequencerError("ORDER_NOT_FOUND", `account ${s.accountId} has no open order ${params.orderId}`);
      checkMinNotional(venue, body.order, api.minOrderNotional, old);
      if (api.reserveMargin !== false && decodeFlags(body.order.order.flags).timeInForce === "GTC")
        checkOpenOrderMargin(venue, body.order, old);
      checkFundCapacity(venue, body.order, old);
      const outcome = venue.execute(
        {
          kind: "replace",
          accountId: s.accountId,
          oldOrderId: params.orderId,
          order: body.order,
          clientOrderId: body.clientOrderId ?? null,
          group,
        },
        api.clock(),
      );
      if (outcome.kind !== "replace") throw new Error("unexpected outcome");
      const r = outcome.placed.rejection;
      return ok({
        replaced: cancelledView(outcome.cancelled),
        order: placeView(outcome.placed),
        rejection: r === null ? null : { code: r.code, message: r.message },
      });
    },
  });

  // --- market-maker tools ---

  const placeBatch = defineRoute({
    method: "POST",
    url: "/v1/orders/batch",
    bodyLimit: BATCH_BODY_LIMIT,
    summary: "Place up to 50 signed orders of one account in one request, in order; each gets its own result or error",
    tag: "orders",
    auth: "none",
    body: placeBatchSchema,
    responses: {
      200: "`results`, one per order in request order: `{ok: true, result}` (as POST /v1/orders) or `{ok: false, code, status, message}` (the codes of POST /v1/orders, ORDER_ID_WINDOW included)",
      ...ERR_400,
      429: "RATE_LIMITED (the whole batch: the IP before authentication, the account's order budget after)",
    },
    async handle({ body, limits }) {
      const results = await placeBatchOrders(api, body.orders, body.cancelOnDisconnect ?? null, limits);
      return ok({ results });
    },
  });

  const cancelBatch = defineRoute({
    method: "POST",
    url: "/v1/orders/cancel-batch",
    summary:
      "Cancel up to 50 open orders of the session's account by order id and/or client order id; each gets its own result",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    body: cancelBatchSchema,
    responses: {
      200: "`results` in request order (order ids, then client ids): `{ok: true, cancelled}` or `{ok: false, code, status, message}`",
      ...ERR_400,
      ...ERR_AUTH,
      429: "RATE_LIMITED (one cancel token per order)",
    },
    handle({ body, session, limits }) {
      const s = sessionOf(session);
      const n = body.orderIds.length + body.clientOrderIds.length;
      if (n > 1) limits.chargeAccount(s.accountId, "cancel", n - 1);
      const cancelOne = (orderId: bigint) => {
        const outcome = venue.execute({ kind: "cancel", accountId: s.accountId, orderId, reason: "user" }, api.clock());
        if (outcome.kind !== "cancel") throw new Error("unexpected outcome");
        metrics.cancels.inc(outcome.cancelled.length);
        return { ok: true, cancelled: outcome.cancelled.map(cancelledView) };
      };
      const results: unknown[] = [];
      for (const orderId of body.orderIds) {
        try {
          results.push({ orderId, ...cancelOne(orderId) });
        } catch (e) {
          results.push({ orderId, ...itemError(e) });
        }
      }
      for (const clientOrderId of body.clientOrderIds) {
        try {
          const order = engine.findByClientId(s.accountId, clientOrderId);
          if (order === null)
            throw new SequencerError(
              "ORDER_NOT_FOUND",
              `account ${s.accountId} has no open order with client id ${clientOrderId}`,
            );
          results.push({ clientOrderId, ...cancelOne(order.orderId) });
        } catch (e) {
          results.push({ clientOrderId, ...itemError(e) });
        }
      }
      return ok({ results });
    },
  });

  const amend = defineRoute({
    method: "POST",
    url: "/v1/orders/:orderId/amend",
    summary:
      "Reduce an open order's size in place: it keeps its time priority (a price change or a larger size is a replace)",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    params: orderIdParamsSchema,
    body: amendSchema,
    responses: {
      200: "the amended open order",
      ...ERR_400,
      ...ERR_AUTH,
      404: "ORDER_NOT_FOUND",
      422: "BAD_ORDER (not a reduction, or nothing left open) / LOT_SIZE / MIN_NOTIONAL (an order that never filled, below the minimum order notional at its price)",
    },
    handle({ params, body, session }) {
      const s = sessionOf(session);
      checkMinAmend(venue.engine.findOpen(s.accountId, params.orderId), body.size, api.minOrderNotional);
      const outcome = venue.execute(
        { kind: "amend", accountId: s.accountId, orderId: params.orderId, size: body.size },
        api.clock(),
      );
      if (outcome.kind !== "amend") throw new Error("unexpected outcome");
      return ok({ order: restingView(outcome.order) });
    },
  });

  const scheduleCancel = defineRoute({
    method: "POST",
    url: "/v1/orders/schedule-cancel",
    summary:
      "Dead-man switch: cancel every open order of the session's account `afterMs` from now unless called again (renew); 0 disarms. Journaled: it survives a restart",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    body: scheduleCancelSchema,
    responses: { 200: "`cancelAt` (unix ms, null when disarmed)", ...ERR_400, ...ERR_AUTH },
    handle({ body, session }) {
      const s = sessionOf(session);
      const at = body.afterMs === 0 ? null : api.clock() + BigInt(body.afterMs);
      venue.execute({ kind: "scheduleCancel", accountId: s.accountId, at }, api.clock());
      return ok({ cancelAt: at });
    },
  });

  // The deployment's underlyings are 1..profile.underlyings; checked here, not in the engine, so
  // journals that recorded others replay as they ran.
  const requireUnderlying = (underlying: number): void => {
    const count = venue.ledger.profile.underlyings;
    if (underlying > count)
      throw new SequencerError(
        "BAD_REQUEST",
        `underlying ${underlying} is not listed: this deployment has underlyings 1 to ${count} (GET /v1/instruments)`,
      );
  };

  const mmpView = (accountId: bigint) =>
    engine.mmpOf(accountId).map(({ underlying, state }) => ({
      underlying,
      windowMs: state.config.windowMs,
      maxQuantity: state.config.maxQuantity,
      maxCount: state.config.maxCount,
      maxDelta: state.config.maxDelta,
      frozen: state.frozen,
      filledInWindow: state.window.quantity,
      fillsInWindow: state.window.count,
      deltaInWindow: state.window.delta,
    }));

  const mmpSet = defineRoute({
    method: "POST",
    url: "/v1/mmp",
    summary:
      "Market-maker protection: when the account's orders in an underlying fill `maxQuantity` or `maxCount` times within `windowMs`, or their net delta reaches `maxDelta` (perps 1, options at the bound of their delta), they are cancelled and new GTC orders there refused (MMP_FROZEN) until reset; maxQuantity 0 removes it",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    body: mmpSchema,
    responses: { 200: "the account's protection per underlying", ...ERR_400, ...ERR_AUTH },
    handle({ body, session }) {
      const s = sessionOf(session);
      requireUnderlying(body.underlying);
      const config =
        body.maxQuantity === 0n
          ? null
          : {
              windowMs: BigInt(body.windowMs),
              maxQuantity: body.maxQuantity,
              maxCount: body.maxCount,
              ...(body.maxDelta !== undefined && body.maxDelta > 0n ? { maxDelta: body.maxDelta } : {}),
            };
      venue.execute({ kind: "mmpConfig", accountId: s.accountId, underlying: body.underlying, config }, api.clock());
      return ok({ mmp: mmpView(s.accountId) });
    },
  });

  const mmpReset = defineRoute({
    method: "POST",
    url: "/v1/mmp/reset",
    summary: "Unfreeze the account's quotes in an underlying after market-maker protection tripped",
    tag: "orders",
    auth: "session",
    budget: "cancel",
    body: mmpResetSchema,
    responses: { 200: "the account's protection per underlying", ...ERR_400, ...ERR_AUTH, 404: "NOT_FOUND" },
    handle({ body, session }) {
      const s = sessionOf(session);
      requireUnderlying(body.underlying);
      venue.execute({ kind: "mmpReset", accountId: s.accountId, underlying: body.underlying }, api.clock());
      return ok({ mmp: mmpView(s.accountId) });
    },
  });

  const mmpGet = defineRoute({
    method: "GET",
    url: "/v1/mmp",
    summary: "The session's account's market-maker protection per underlying: limits, window use, frozen",
    tag: "orders",
    auth: "session",
    responses: { 200: "protection per underlying", ...ERR_AUTH },
    handle({ session }) {
      return ok({ mmp: mmpView(sessionOf(session).accountId) });
    },
  });

  const scheduledCancel = defineRoute({
    method: "GET",
    url: "/v1/orders/schedule-cancel",
    summary: "The session's account's dead-man switch: when it fires (unix ms), or null when disarmed",
    tag: "orders",
    auth: "session",
    responses: { 200: "`cancelAt`", ...ERR_AUTH },
    handle({ session }) {
      return ok({ cancelAt: engine.cancelDeadline(sessionOf(session).accountId) });
    },
  });

  // --- market data ---

  const instruments = defineRoute({
    method: "GET",
    url: "/v1/instruments",
    summary:
      "Listed instruments: perpetuals and the option chain, with tick and lot sizes, the minimum order notional, status (active, expired, settled) and settlement price",
    tag: "market data",
    auth: "none",
    query: instrumentsQuerySchema,
    responses: { 200: "instruments", ...ERR_400 },
    handle({ query }) {
      const list = engine
        .listMarkets()
        .filter((m) => query.kind === undefined || (query.kind === "perp") === (m.kind === InstrumentKind.PERP))
        .filter((m) => query.underlying === undefined || m.underlying === query.underlying)
        .map((m) => ({ market: m, ...venue.instrumentStatus(m.instrument) }))
        .filter((m) => query.status === undefined || m.status === query.status);
      return ok({
        instruments: list.map((m) => ({
          ...marketView(m.market, api.minOrderNotional),
          status: m.status,
          settlementPrice: m.settlement?.price ?? null,
        })),
      });
    },
  });

  const bestOf = (instrument: bigint) => {
    const book = engine.book(instrument);
    return { bid: book.best(Side.BUY)?.price ?? null, ask: book.best(Side.SELL)?.price ?? null };
  };

  const chain = defineRoute({
    method: "GET",
    url: "/v1/option-chain",
    summary: "The option chain of one underlying: per expiry and strike, the call and put with best bid/ask",
    tag: "market data",
    auth: "none",
    query: chainQuerySchema,
    responses: { 200: "rows sorted by expiry, strike", ...ERR_400 },
    handle({ query }) {
      const rows = new Map<string, { expiry: bigint; strike: bigint; call: unknown; put: unknown }>();
      for (const m of engine.listMarkets()) {
        if (m.underlying !== query.underlying || m.kind === InstrumentKind.PERP) continue;
        const key = `${m.expiry}:${m.strike}`;
        const row = rows.get(key) ?? { expiry: m.expiry, strike: m.strike, call: null, put: null };
        const leg = { instrument: m.instrument, name: m.name, ...bestOf(m.instrument) };
        if (m.kind === InstrumentKind.CALL) row.call = leg;
        else row.put = leg;
        rows.set(key, row);
      }
      const sorted = [...rows.values()].sort((a, b) =>
        a.expiry !== b.expiry ? (a.expiry < b.expiry ? -1 : 1) : a.strike < b.strike ? -1 : a.strike > b.strike ? 1 : 0,
      );
      return ok({ underlying: query.underlying, rows: sorted });
    },
  });

  const book = defineRoute({
    method: "GET",
    url: "/v1/instruments/:instrument/book",
    summary: "Order book snapshot with its sequence number (apply WebSocket `book` updates with a higher seq)",
    tag: "market data",
    auth: "none",
    params: instrumentParamsSchema,
    query: depthQuerySchema,
    responses: { 200: "snapshot", ...ERR_400, 404: "UNKNOWN_INSTRUMENT" },
    handle({ params, query }) {
      return ok(bookSnapshotView(engine.snapshot(resolveInstrument(api, params.instrument), query.depth)));
    },
  });

  const trades = defineRoute({
    method: "GET",
    url: "/v1/instruments/:instrument/trades",
    summary: "Recent trades, newest first",
    tag: "market data",
    auth: "none",
    params: instrumentParamsSchema,
    query: limitQuerySchema,
    responses: { 200: "trades", ...ERR_400, 404: "UNKNOWN_INSTRUMENT" },
    handle({ params, query }) {
      const id = resolveInstrument(api, params.instrument);
      return ok({ trades: venue.recentTrades(id, query.limit).map((f) => fillView(f)) });
    },
  });

  const oraclePrice = (u: number): bigint => venue.ledger.oraclePrices[u - 1]!;

  const tickers = defineRoute({
    method: "GET",
    url: "/v1/tickers",
    summary: "Per instrument: best bid/ask, last price, cumulative volume, index and mark price",
    tag: "market data",
    auth: "none",
    responses: { 200: "tickers" },
    handle() {
      return ok({
        tickers: engine
          .listMarkets()
          .map((m) => tickerRow(m, bestOf(m.instrument), venue.marketStats(m.instrument), oraclePrice(m.underlying))),
      });
    },
  });

  const oracle = defineRoute({
    method: "GET",
    url: "/v1/oracle",
    summary: "Oracle (index) prices, perp mark prices and funding indices per underlying",
    tag: "market data",
    auth: "none",
    responses: { 200: "prices in cents" },
    handle() {
      const g = venue.ledger.state.globalState;
      return ok({
        underlyings: UNDERLYINGS.filter((u) => u.id <= venue.config.profile.underlyings).map((u) => ({
          underlying: u.id,
          symbol: u.symbol,
          indexPrice: oraclePrice(u.id),
          markPrice: oraclePrice(u.id),
          fundingIndex: g.fundingIndex[u.id - 1],
          lastFundingTime: g.lastFundingTime[u.id - 1],
        })),
      });
    },
  });

  /** The last funding delta in basis points of the oracle price at that time (rounded toward zero). */
  const lastRateBps = (u: number): bigint | null => {
    const last = venue.lastFundingOf(u);
    return last === null ? null : (last.delta * 10_000n) / last.price;
  };

  const funding = defineRoute({
    method: "GET",
    url: "/v1/funding",
    summary: "Funding state per underlying: index (cents per unit, signed), last and next update, last rate",
    tag: "market data",
    auth: "none",
    responses: { 200: "funding" },
    handle() {
      const g = venue.ledger.state.globalState;
      const interval = venue.config.profile.fundingInterval;
      return ok({
        interval,
        underlyings: UNDERLYINGS.filter((u) => u.id <= venue.config.profile.underlyings).map((u) => ({
          underlying: u.id,
          symbol: u.symbol,
          fundingIndex: g.fundingIndex[u.id - 1],
          lastFundingTime: g.lastFundingTime[u.id - 1],
          nextFundingTime: g.lastFundingTime[u.id - 1]! + interval,
          lastDelta: venue.lastFundingOf(u.id)?.delta ?? null,
          lastRateBps: lastRateBps(u.id),
        })),
      });
    },
  });

  /** The oldest unproved batches (at most STATUS_UNPROVED_LIMIT) and how many there are. */
  const unproved = () => {
    const list = venue.unprovedBatches();
    return {
      unprovedBatches: list.slice(0, STATUS_UNPROVED_LIMIT).map((b) => b.number),
      unprovedCount: list.length,
    };
  };

  const status = defineRoute({
    method: "GET",
    url: "/v1/status",
    summary:
      "Venue status: profile, open batch, journal length, state root, health gate, proving pipeline (queue, provers, lag)",
    tag: "venue",
    auth: "none",
    responses: { 200: "status" },
    handle() {
      return ok({
        profile: venue.config.profile.name,
        domain: venue.config.domain,
        openBatch: venue.ledger.currentBatch,
        openSince: venue.ledger.openSince,
        journal: venue.journal.length,
        // The state root after the last closed batch (the open batch is built when it closes).
        stateRoot: venue.ledger.committedRoot,
        ...unproved(),
        // null while the venue runs; else why it stopped (HALTED: a batch the circuit refuses).
        halt: venue.halt,
        // The health gate (issue 14 F14, F15): normal, price_stale, cancel_only or halted, and why.
        health: healthView(venue.health(api.clock())),
        // How far proving trails the book, the proof queue and each prover (issue 18).
        pipeline: pipelineView(venue, api.proving ?? null, api.clock()),
        // The insurance fund's capacity (NO_FUND_CAPACITY): its accounts' free position slots,
        // and the instruments it would take without holding them, each needing one of those.
        insuranceFund: {
          freeSlots: venue.ledger.fundCapacity.freeSlots,
          uncoveredInstruments: venue.ledger.fundCapacity.uncovered,
        },
        // Public channels and market-data reads off the core's thread: at `url` when the
        // deployment advertises one, else on the venue's host at `port`.
        marketData: api.marketData?.() ?? null,
      });
    },
  });

  const batch = defineRoute({
    method: "GET",
    url: "/v1/batches/:number",
    summary:
      "Proof status of a batch (open, closed, proving, proved, submitted, failed), its detail (L1 transaction hash, or the last error) and its proof once proved",
    tag: "venue",
    auth: "none",
    params: batchParamsSchema,
    responses: { 200: "status", ...ERR_400 },
    handle({ params }) {
      const proof = venue.journal.proofOf(params.number);
      const detail = venue.journal.batchRecord(params.number)?.detail ?? "";
      return ok({ number: params.number, status: venue.batchStatus(params.number), detail, proof });
    },
  });

  const batches = defineRoute({
    method: "GET",
    url: "/v1/batches",
    summary:
      "Closed batches, newest first: roots, transactions by type, proof status, L1 transaction, times (page with `before`)",
    tag: "venue",
    auth: "none",
    query: batchesQuerySchema,
    responses: { 200: "a page of batches and the `nextBefore` cursor (null on the last page)", ...ERR_400 },
    handle({ query }) {
      const page = venue.batchSummaries(query.before ?? null, query.limit);
      const last = page.at(-1);
      return ok({
        batches: page.map((b) => batchSummaryView(venue, b)),
        nextBefore: last !== undefined && last.number > 1n && page.length === query.limit ? last.number : null,
      });
    },
  });

  const batchProof = defineRoute({
    method: "GET",
    url: "/v1/batches/:number/proof",
    summary: "A proved batch's Groth16 proof (snarkjs JSON) and public signals, to verify with the verification key",
    tag: "venue",
    auth: "none",
    params: batchParamsSchema,
    responses: { 200: "proof and public signals", ...ERR_400, 404: "NOT_FOUND (no such batch, or not proved yet)" },
    handle({ params }) {
      const summary = venue.batchSummary(params.number);
      const proof = venue.journal.proofOf(params.number);
      if (summary === null || proof === null)
        throw new SequencerError(
          "NOT_FOUND",
          `batch ${params.number} has no proof yet (see /v1/batches/${params.number})`,
        );
      return ok({
        number: params.number,
        proof: unpackProof(proof),
        publicSignals: summary.publicInputs.map((v) => v.toString()),
      });
    },
  });

  let verificationKeyCache: unknown = null;
  const verificationKey = defineRoute({
    method: "GET",
    url: "/v1/verification-key",
    summary: "The Groth16 verification key (snarkjs JSON) of the circuit that proves this venue's batches",
    tag: "venue",
    auth: "none",
    responses: { 200: "verification key", 404: "NOT_FOUND (the venue runs without proving)" },
    handle() {
      if (api.verificationKeyFile === null)
        throw new SequencerError("NOT_FOUND", "this venue runs without provers: it has no verification key");
      // Read and parsed once: the key of a running venue does not change.
      verificationKeyCache ??= JSON.parse(readFileSync(api.verificationKeyFile, "utf8")) as unknown;
      return { status: 200, body: verificationKeyCache };
    },
  });

  // --- withdrawals ---

  const withdraw = defineRoute({
    method: "POST",
    url: "/v1/withdrawals",
    summary:
      "Withdraw collateral to the account's L1 owner: the withdrawal message (docs/protocol.md §5.2) signed as an order",
    tag: "account",
    auth: "none",
    body: withdrawalSchema,
    responses: {
      200: "accepted: the withdrawal with its batch, slot and status",
      ...ERR_400,
      401: "BAD_SIGNATURE",
      403: "KEY_MISMATCH",
      404: "UNKNOWN_ACCOUNT",
      409: "DUPLICATE_ORDER_ID / ORDER_SLOT_BUSY",
      422: "BAD_MESSAGE / ORDER_EXPIRED / ORDER_ID_WINDOW (count up from GET /v1/accounts/{accountId}/nextOrderId) / INSUFFICIENT_FREE_COLLATERAL / OUT_OF_RANGE / MIN_WITHDRAWAL (below the venue's minimum, and not all the collateral of an account holding no position)",
      429: "RATE_LIMITED",
    },
    async handle({ body, limits }) {
      const signed = body.withdrawal;
      venue.ledger.checkKey(signed.order.accountId, signed.publicKey);
      await verifyOrder(api, signed);
      limits.authenticated(signed.order.accountId, "order");
      checkMinWithdrawal(venue, signed, api.minWithdrawal);
      const outcome = venue.execute({ kind: "withdraw", withdrawal: signed }, api.clock());
      if (outcome.kind !== "withdraw") throw new Error("unexpected outcome");
      return ok(withdrawalView(venue, outcome.withdrawal, api.batchMaxAgeMs));
    },
  });

  const withdrawals = defineRoute({
    method: "GET",
    url: "/v1/account/withdrawals",
    summary: "Withdrawals and forced withdrawals of the session's account, newest first, with status and estimate",
    tag: "account",
    auth: "session",
    query: limitQuerySchema,
    responses: { 200: "withdrawals", ...ERR_400, ...ERR_AUTH },
    handle({ session, query }) {
      const list = venue.withdrawalsOf(sessionOf(session).accountId).slice(0, query.limit);
      return ok({ withdrawals: list.map((w) => withdrawalView(venue, w, api.batchMaxAgeMs)) });
    },
  });

  const deposits = defineRoute({
    method: "GET",
    url: "/v1/account/deposits",
    summary: "L1 deposits of the session's account as applied, newest first, with batch status and estimate",
    tag: "account",
    auth: "session",
    query: limitQuerySchema,
    responses: { 200: "deposits", ...ERR_400, ...ERR_AUTH },
    handle({ session, query }) {
      const list = venue.depositsOf(sessionOf(session).accountId).slice(0, query.limit);
      return ok({ deposits: list.map((d) => depositView(venue, d, api.batchMaxAgeMs)) });
    },
  });

  // --- account (session) ---

  const nextOrderId = defineRoute({
    method: "GET",
    url: "/v1/accounts/:accountId/nextOrderId",
    summary:
      "The order id the account should sign next: 1 + the highest id the venue has seen from it (orders of any outcome, withdrawal messages, its order tree), 1 when none. Ask once, then count up (skipping slots your resting orders hold). Only with the account's own session: the id moves with every order the account sends, resting ones too, so anyone else reading it could tie the anonymous book's changes to the account",
    tag: "account",
    auth: "session",
    params: accountParamsSchema,
    responses: {
      200: "`{accountId, nextOrderId}`",
      ...ERR_400,
      ...ERR_AUTH,
      403: "FORBIDDEN (a session of another account)",
      429: "RATE_LIMITED",
    },
    handle({ params, session }) {
      requireOwnAccount(sessionOf(session).accountId, params.accountId);
      return ok(nextOrderIdView(params.accountId, engine.nextOrderId(params.accountId)));
    },
  });

  const account = defineRoute({
    method: "GET",
    url: "/v1/account",
    summary: "Collateral, equity, margin usage, positions with PnL and liquidation price",
    tag: "account",
    auth: "session",
    responses: { 200: "account", ...ERR_AUTH },
    handle({ session }) {
      return ok(accountView(venue, sessionOf(session).accountId));
    },
  });

  const openOrders = defineRoute({
    method: "GET",
    url: "/v1/account/orders",
    summary: "Open orders of the session's account",
    tag: "account",
    auth: "session",
    responses: { 200: "orders", ...ERR_AUTH },
    handle({ session }) {
      return ok({ orders: engine.openOrders(sessionOf(session).accountId).map(restingView) });
    },
  });

  const fills = defineRoute({
    method: "GET",
    url: "/v1/account/fills",
    summary:
      "Fills of the session's account, newest first, with batch number and proof status (pages of at most 500: `before` = the previous page's `nextBefore`)",
    tag: "account",
    auth: "session",
    query: fillsQuerySchema,
    responses: { 200: "fills and the `nextBefore` cursor (null on the last page)", ...ERR_400, ...ERR_AUTH },
    handle({ session, query }) {
      const id = sessionOf(session).accountId;
      const page = venue.journal.fillsOf(id, query.limit, query.before ?? null);
      const last = page.at(-1);
      return ok({
        fills: page.map((f) => fillView(f, venue.batchStatus(f.batch))),
        nextBefore: last !== undefined && page.length === query.limit ? last.tradeId : null,
      });
    },
  });

  const settlements = defineRoute({
    method: "GET",
    url: "/v1/account/settlements",
    summary:
      "Option positions of the session's account closed by their series' settlement, newest first: size, settlement price and feed round, value, cost and realised PnL",
    tag: "account",
    auth: "session",
    query: limitQuerySchema,
    responses: { 200: "settlements", ...ERR_400, ...ERR_AUTH },
    handle({ session, query }) {
      const id = sessionOf(session).accountId;
      return ok({ settlements: venue.journal.settlementsOf(id, query.limit).map(settlementView) });
    },
  });

  // --- auth ---

  const challenge = defineRoute({
    method: "POST",
    url: "/v1/auth/challenge",
    summary: "A one-time challenge to sign with the trading key (valid 60 s)",
    tag: "auth",
    auth: "none",
    budget: "auth",
    body: challengeSchema,
    responses: {
      200: "challenge",
      ...ERR_400,
      429: "RATE_LIMITED / TOO_MANY_CHALLENGES (the caller's IP holds the most pending challenges it may)",
      503: "OVERLOADED (the venue holds the most pending challenges it keeps; Retry-After)",
    },
    handle({ body, ip }) {
      const now = Number(api.clock());
      const c = api.sessions.challenge(body.accountId, now, ip);
      return ok({
        challenge: c.challenge,
        expiresAt: c.expiresAt,
        sign: "EdDSA-Poseidon over Poseidon(domain, SESSION_TAG, accountId, challenge), see docs/api.md",
      });
    },
  });

  const session = defineRoute({
    method: "POST",
    url: "/v1/auth/session",
    summary: "Exchange a signed challenge for a short-lived bearer token",
    tag: "auth",
    auth: "none",
    budget: "auth",
    body: sessionSchema,
    responses: {
      200: "token",
      ...ERR_400,
      401: "UNAUTHORIZED / BAD_SIGNATURE",
      403: "KEY_MISMATCH",
      404: "UNKNOWN_ACCOUNT",
    },
    async handle({ body }) {
      const now = Number(api.clock());
      api.sessions.consume(body.accountId, body.challenge, now);
      venue.ledger.checkKey(body.accountId, body.publicKey);
      let valid: boolean;
      try {
        valid = await api.verifier.verify(
          body.publicKey,
          sessionMessage(venue.config.domain, body.accountId, body.challenge),
          body.signature,
        );
      } catch (e) {
        throw verifierError(e);
      }
      if (!valid) throw new SequencerError("BAD_SIGNATURE", "the challenge signature does not verify");
      const s = api.sessions.open(body.accountId, now);
      return ok({ token: s.token, accountId: s.accountId, expiresAt: s.expiresAt });
    },
  });

  const rateLimits = defineRoute({
    method: "GET",
    url: "/v1/ratelimits",
    summary:
      "The caller's rate-limit budgets: its IP's (unauthenticated traffic, authentication) and, with a session, its account's order, cancel and read budgets",
    tag: "venue",
    auth: "none",
    responses: { 200: "budgets: limit (burst), remaining, resetMs, ratePerSecond", ...ERR_AUTH },
    handle({ ip, bearer }) {
      const now = Number(api.clock());
      const l = api.limits;
      const body: Record<string, unknown> = {
        ip: bucketView(l.ip.peek(`ip ${ip}`, now)),
        auth: bucketView(l.auth.peek(`ip ${ip}`, now)),
        account: null,
      };
      if (bearer !== undefined) {
        const s = api.sessions.check(bearer, now);
        const key = `${s.accountId}`;
        body.account = {
          accountId: s.accountId,
          order: bucketView(l.order.peek(key, now)),
          cancel: bucketView(l.cancel.peek(key, now)),
          read: bucketView(l.read.peek(key, now)),
        };
      }
      return ok(body);
    },
  });

  // --- operator ---

  const deposit = defineRoute({
    method: "POST",
    url: "/v1/admin/deposits",
    l1Source: true,
    summary: "Operator: apply an L1 deposit (in L1 queue order) until the L1 watcher does it",
    tag: "operator",
    auth: "admin",
    body: depositSchema,
    responses: {
      200: "applied: batch and slot",
      ...ERR_400,
      401: "UNAUTHORIZED",
      422: "ACCOUNT_MISMATCH / OUT_OF_RANGE",
    },
    handle({ body }) {
      const outcome = venue.execute({ kind: "deposit", ...body, queueIndex: body.queueIndex ?? null }, api.clock());
      if (outcome.kind !== "deposit") throw new Error("unexpected outcome");
      return ok(outcome.at);
    },
  });

  const forcedWithdrawal = defineRoute({
    method: "POST",
    url: "/v1/admin/forced-withdrawals",
    l1Source: true,
    summary: "Operator: serve an L1 forced withdrawal (min(requested, withdrawable)) until the L1 watcher does it",
    tag: "operator",
    auth: "admin",
    body: forcedWithdrawalSchema,
    responses: {
      200: "applied: batch, slot and the amount served (0 = refused)",
      ...ERR_400,
      401: "UNAUTHORIZED",
      409: "L1_OUT_OF_ORDER",
    },
    handle({ body }) {
      const outcome = venue.execute(
        { kind: "forcedWithdrawal", ...body, queueIndex: body.queueIndex ?? null },
        api.clock(),
      );
      if (outcome.kind !== "forcedWithdrawal") throw new Error("unexpected outcome");
      return ok({ ...outcome.at, served: outcome.served });
    },
  });

  const forcedClose = defineRoute({
    method: "POST",
    url: "/v1/admin/forced-closes",
    l1Source: true,
    summary:
      "Operator: serve an L1 forced close (the account's whole position to an insurance fund account) or forced settlement until the L1 watcher does it",
    tag: "operator",
    auth: "admin",
    body: forcedCloseSchema,
    responses: {
      200: "applied: batch, slot, whether it was served (false = refused by the rules, nothing changed) and the insurance fund account it names",
      ...ERR_400,
      401: "UNAUTHORIZED",
      409: "L1_OUT_OF_ORDER",
      422: "NO_POSITION_SLOT (no insurance fund account holds the instrument or has a free slot) / NO_SETTLEMENT_PRICE",
    },
    handle({ body }) {
      const outcome = venue.execute(
        {
          kind: "forcedClose",
          accountId: body.accountId,
          instrument: body.instrument,
          settlement: body.settlement,
          queueIndex: body.queueIndex ?? null,
        },
        api.clock(),
      );
      if (outcome.kind !== "forcedClose") throw new Error("unexpected outcome");
      return ok({ ...outcome.at, served: outcome.served, insurance: outcome.insurance });
    },
  });

  const setOracle = defineRoute({
    method: "POST",
    url: "/v1/admin/oracle",
    l1Source: true,
    summary: "Operator: new oracle prices (cents per underlying) and their feed round ids, used by the next batch",
    tag: "operator",
    auth: "admin",
    body: oracleSchema,
    responses: { 200: "applied", ...ERR_400, 401: "UNAUTHORIZED" },
    handle({ body }) {
      const roundIds = body.roundIds ?? body.prices.map(() => 0n);
      venue.execute({ kind: "oracle", prices: body.prices, roundIds }, api.clock());
      return ok({ prices: body.prices, roundIds });
    },
  });

  const settle = defineRoute({
    method: "POST",
    url: "/v1/admin/settlements",
    l1Source: true,
    summary:
      "Operator: settle an expired option series at a price (cents) until the L1 watcher does it from the feed round in force at expiry",
    tag: "operator",
    auth: "admin",
    body: settlementSchema,
    responses: {
      200: "settled positions",
      ...ERR_400,
      401: "UNAUTHORIZED",
      404: "UNKNOWN_INSTRUMENT (no listed series)",
      409: "ALREADY_SETTLED",
      422: "NOT_EXPIRED",
    },
    handle({ body }) {
      const outcome = venue.execute({ kind: "settle", ...body, roundId: body.roundId ?? 0n }, api.clock());
      if (outcome.kind !== "settle") throw new Error("unexpected outcome");
      return ok({ settled: outcome.settled.map(settlementView) });
    },
  });

  const closeBatch = defineRoute({
    method: "POST",
    url: "/v1/admin/close-batch",
    summary: "Operator: close the open batch now (answers once the batch is built and in the proving pipeline)",
    tag: "operator",
    auth: "admin",
    responses: { 200: "the closed batch number, or null", 401: "UNAUTHORIZED" },
    async handle() {
      const outcome = venue.execute({ kind: "closeBatch" }, api.clock());
      // The builder may run in its own process: the batch is in the pipeline once built.
      await venue.built();
      return ok({ batch: outcome.kind === "closeBatch" ? outcome.batch : null });
    },
  });

  return [
    place,
    placeBatch,
    cancelBatch,
    scheduleCancel,
    scheduledCancel,
    amend,
    mmpSet,
    mmpReset,
    mmpGet,
    cancelAll,
    cancelByClientId,
    cancel,
    replace,
    instruments,
    chain,
    book,
    trades,
    tickers,
    oracle,
    funding,
    status,
    batches,
    batchProof,
    batch,
    verificationKey,
    withdraw,
    nextOrderId,
    account,
    openOrders,
    fills,
    settlements,
    withdrawals,
    deposits,
    rateLimits,
    challenge,
    session,
    deposit,
    forcedWithdrawal,
    forcedClose,
    setOracle,
    settle,
    closeBatch,
  ];
}

export { resolveInstrument };
