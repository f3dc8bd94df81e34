/**
 * The matching engine: one order book per market, price-time priority, and every fill run
 * through protocol/'s rules (via the `Ledger`) before it exists.
 *
 * Deterministic: the engine reads no clock and no randomness. Each command takes `now` (unix
 * milliseconds, bigint) and the same commands with the same `now` values always produce the
 * same books, fills and batches — this is what the journal replays.
 *
 * Fill rules: the maker is the resting order, the taker the incoming one, the price is the
 * maker's. A fill protocol/ rejects is never made. When the rejection is the maker's (its
 * order expired, its account lost margin, its reduce-only order no longer reduces...), the
 * maker order is cancelled and matching continues; when it is the taker's, the taker stops
 * there (rejected outright when nothing filled).
 *
 * Self-trade prevention: a taker meeting a resting order of its own account cancels that
 * resting order (cancel-resting) and continues.
 */
import { BITS } from "../../../protocol/constants.ts";
import { ProtocolError } from "../../../protocol/errors.ts";
import { decodeInstrument } from "../../../protocol/instruments.ts";
import { ORDER_ID_WINDOW } from "../../../protocol/pubdata.ts";
import type { SideCode, SignedOrder } from "../../../protocol/types.ts";
import { InstrumentKind, Side } from "../../../protocol/types.ts";
import { SequencerError } from "../../errors.ts";
import type { BookSnapshot, BookSnapshotData, LevelChange, PriceLevel, RestingOrder } from "./book.ts";
import { OrderBook } from "./book.ts";
import type { OpenTotal } from "./totals.ts";
import { OpenTotals } from "./totals.ts";
import { ExpiryHeap } from "./expiries.ts";
import { MmpWindow } from "./mmp.ts";
import type { MmpFill } from "./mmp.ts";
import type { Market } from "./markets.ts";
import type { DecodedFlags } from "./flags.ts";
import { decodeFlags } from "./flags.ts";

/** Where a fill landed: the batch and slot of its TRADE transaction. */
export interface FillLocation {
  readonly batch: bigint;
  readonly slot: number;
}

/** A fill the engine plans, for an all-or-nothing dry run (FOK). */
export interface PlannedFill {
  readonly maker: SignedOrder;
  readonly taker: SignedOrder;
  readonly size: bigint;
  readonly price: bigint;
}

/** Who a rejected fill is blamed on. */
export type Blame = "maker" | "taker";

/**
 * What the engine needs from the rollup state. Implemented by `sequencer/core/ledger.ts` on top of
 * protocol/'s `RollupState` and `BatchBuilder`; every rule check is protocol/'s own code.
 */
export interface Ledger {
  /** Applies one TRADE through protocol/ and adds it to the open batch. Throws ProtocolError. */
  trade(fill: PlannedFill, now: bigint): FillLocation;
  /** The first ProtocolError these fills would raise in sequence, or null; changes nothing. */
  dryRun(fills: readonly PlannedFill[], now: bigint): ProtocolError | null;
  /** Whose order a rejected fill is blamed on. */
  blame(error: ProtocolError, fill: PlannedFill, now: bigint): Blame;
  /** The order-tree leaf in `orderId`'s slot: `(storedId, storedFilled)`. */
  orderSlot(accountId: bigint, orderId: bigint): { readonly storedId: bigint; readonly storedFilled: bigint };
  /** Order-tree slot index of an order id (orderId mod 2^orderDepth). */
  slotOf(orderId: bigint): bigint;
  /** Signed position size of an account in an instrument (0 when none). */
  positionSize(accountId: bigint, instrument: bigint): bigint;
  /** Checks the order's signature and that its key is the account's key; throws SequencerError. */
  authenticate(signed: SignedOrder): void;
}

/** A fill from matching (`trade`) or a liquidation taken over by the insurance fund. */
export type FillKind = "trade" | "liquidation";

export interface Fill {
  /** Global fill sequence number, from 1 (liquidations share the sequence). */
  readonly tradeId: bigint;
  /**
   * `liquidation`: the insurance fund (maker, account 1) took the position of the liquidatee
   * (taker) at the rules' price (docs/protocol.md §6.4); both order ids are 0.
   */
  readonly kind: FillKind;
  readonly instrument: bigint;
  /** Cents (the maker's price). */
  readonly price: bigint;
  /** 1e-4 units. */
  readonly size: bigint;
  readonly takerSide: SideCode;
  readonly makerAccount: bigint;
  readonly makerOrderId: bigint;
  readonly takerAccount: bigint;
  readonly takerOrderId: bigint;
  readonly batch: bigint;
  readonly slot: number;
  /** Unix milliseconds. */
  readonly time: bigint;
}

export type CancelReason =
  | "user"
  | "self_trade"
  | "replaced"
  | "disconnect"
  | "maker_rejected"
  /** The account's dead-man switch (`scheduleCancel`) ran out without renewal. */
  | "scheduled"
  /** Market-maker protection tripped: the account's orders in the underlying are cancelled. */
  | "mmp"
  /** The account was liquidated: every resting order of it is cancelled. */
  | "liquidation"
  /**
   * The option reached its expiry: the series stopped trading (code null); or the order's own
   * signed expiry passed while it rested (code `ORDER_EXPIRED`, `cancelExpired`).
   */
  | "expired";

export interface CancelledOrder {
  readonly order: RestingOrder;
  readonly reason: CancelReason;
  /** For `maker_rejected`: the protocol code that made the order untradeable; `ORDER_EXPIRED` for an order whose own expiry passed. */
  readonly code: string | null;
}

/**
 * A resting order as plain data, what its views read (`restingView` in sequencer/intake/routes.ts):
 * no book links, and of the signed order only its flags and expiry.
 */
export interface OrderRecord {
  readonly accountId: bigint;
  readonly orderId: bigint;
  readonly clientOrderId: string | null;
  readonly instrument: bigint;
  readonly side: SideCode;
  readonly price: bigint;
  readonly acceptedAt: bigint;
  readonly remaining: bigint;
  readonly filled: bigint;
  readonly signed: { readonly order: { readonly flags: bigint; readonly expiry: bigint } };
}

export function orderRecord(o: RestingOrder): OrderRecord {
  return {
    accountId: o.accountId,
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    instrument: o.instrument,
    side: o.side,
    price: o.price,
    acceptedAt: o.acceptedAt,
    remaining: o.remaining,
    filled: o.filled,
    signed: { order: { flags: o.signed.order.flags, expiry: o.signed.order.expiry } },
  };
}

export type OrderStatus = "resting" | "filled" | "cancelled";

export interface PlaceResult {
  readonly accountId: bigint;
  readonly orderId: bigint;
  readonly instrument: bigint;
  readonly clientOrderId: string | null;
  readonly status: OrderStatus;
  /** 1e-4 units filled by this command. */
  readonly filled: bigint;
  /** Size left resting in the book (0 unless status is `resting`). */
  readonly remaining: bigint;
  readonly fills: readonly Fill[];
  /** Resting orders this command cancelled (self-trade prevention, untradeable makers). */
  readonly cancelled: readonly CancelledOrder[];
  /** Why an unfilled remainder was dropped: `IOC_UNFILLED` or a protocol code; null otherwise. */
  readonly stopCode: string | null;
  /**
   * Set when the taker was rejected with nothing filled. The command still changed the books
   * when `cancelled` is non-empty (untradeable makers were purged), so it is journaled then.
   */
  readonly rejection: SequencerError | null;
}

/**
 * Market-maker protection of one account in one underlying: when its resting orders are filled
 * `maxQuantity` (1e-4 units, summed over instruments) or `maxCount` times within `windowMs`, or
 * the net delta of those fills reaches `maxDelta` either way, its orders in the underlying are
 * cancelled and new GTC orders there refused (`MMP_FROZEN`) until it resets.
 */
export interface MmpConfig {
  readonly windowMs: bigint;
  readonly maxQuantity: bigint;
  readonly maxCount: number;
  /** |net delta| of the window's fills that trips it, 1e-4 units of the underlying; 0: no delta limit. */
  readonly maxDelta: bigint;
}

export interface MmpState {
  readonly config: MmpConfig;
  /** Maker fills inside the window: time (unix ms), size and signed delta (see `fillDelta`). */
  readonly window: MmpWindow;
  frozen: boolean;
}

/**
 * Market-maker protection as snapshots store it (`EngineSnapshot.mmp`), the window as a list:
 * the shape `MmpState` had before the window kept running totals, so snapshots are unchanged.
 */
export interface MmpSnapshotState {
  readonly config: MmpConfig;
  readonly fills: readonly MmpFill[];
  readonly frozen: boolean;
}

/**
 * The delta a maker's fill adds to its book, in 1e-4 units of the underlying, signed: the
 * maker's side times the size times the instrument's delta per unit. A perp's delta is 1. The
 * venue has no option pricing (it prices nothing but the book), so an option counts at the
 * bound of its delta: +1 for a call, −1 for a put. This overstates an option's delta, so the
 * limit trips early, never late: the side a market maker wants to be wrong on.
 */
export function fillDelta(instrument: bigint, makerSide: SideCode, size: bigint): bigint {
  const kind = decodeInstrument(instrument).kind;
  const perUnit = kind === InstrumentKind.PUT ? -1n : 1n;
  return (makerSide === Side.BUY ? size : -size) * perUnit;
}

export interface PlaceOptions {
  readonly clientOrderId: string | null;
  /**
   * The cancel-on-disconnect group the order joins (a WebSocket connection's id), or null. Every
   * resting order of a group is cancelled by `cancelGroup` when its connection goes away.
   */
  readonly group?: string | null;
}

function opposite(side: SideCode): SideCode {
  return side === Side.BUY ? Side.SELL : Side.BUY;
}

function crosses(takerSide: SideCode, limit: bigint, makerPrice: bigint): boolean {
  return takerSide === Side.BUY ? makerPrice <= limit : makerPrice >= limit;
}

const MS_PER_SECOND = 1000n;
/** The largest size and price a trade slot posts (docs/protocol.md §7): 2^32 − 1 lots and ticks. */
const MAX_FILL_SIZE = (1n << BigInt(BITS.fillSize)) - 1n;
const MAX_FILL_PRICE = (1n << BigInt(BITS.fillPrice)) - 1n;

/**
 * Fills one taker order may make. The rest is cancelled (`stopCode` `MAX_FILLS`): one order
 * cannot hold the matching thread for an unbounded sweep. A constant, so replays agree.
 */
export const MAX_FILLS_PER_ORDER = 500;

/** A fill-or-kill order's fills planned against the book (`planFillOrKill`). */
export interface FillOrKillPlan {
  readonly plan: PlannedFill[];
  /** The size no planned fill covers (0: the crossing liquidity suffices). */
  readonly unfilled: bigint;
  /** The plan needs more than `cap` fills: planning stopped at `cap + 1`. */
  readonly over: boolean;
  /** Resting orders of other accounts looked at: at most `cap + 1`. */
  readonly visited: number;
}

/**
 * The fills a fill-or-kill order `taker` would make against `levels` (the crossing side, best
 * price first), stepping over its own account's orders (self-trade prevention cancels those,
 * and they are capped by the open-order limit) and, when `expiredBefore` (unix seconds) is given,
 * makers whose signed expiry is before it (matching cancels those, `maker_rejected`
 * `ORDER_EXPIRED`: they are no liquidity). Planning stops once the taker is filled, at the
 * first level that does not cross, or once the plan holds `cap + 1` fills: a sweep of the whole
 * book is never walked for an order that may make at most `cap` fills.
 */
export function planFillOrKill(
  levels: Iterable<PriceLevel>,
  taker: SignedOrder,
  cap: number,
  expiredBefore: bigint | null = null,
): FillOrKillPlan {
  const o = taker.order;
  const plan: PlannedFill[] = [];
  let need = o.size;
  let visited = 0;
  for (const level of levels) {
    if (need === 0n || plan.length > cap || !crosses(o.side, o.price, level.price)) break;
    for (let m = level.head; m !== null && need > 0n && plan.length <= cap; m = m.next) {
      if (m.accountId === o.accountId) continue;
      if (expiredBefore !== null && makerExpired(m, expiredBefore)) continue;
      visited += 1;
      const q = need < m.remaining ? need : m.remaining;
      plan.push({ maker: m.signed, taker, size: q, price: m.price });
      need -= q;
    }
  }
  return { plan, unfilled: need, over: plan.length > cap, visited };
}

/**
 * A resting order whose signed expiry (unix seconds) is before `nowSeconds`: it must not fill.
 * The same rule as a taker's (`expiry < nowSeconds` is expired; an expiry equal to the current
 * second is still live).
 */
function makerExpired(maker: RestingOrder, nowSeconds: bigint): boolean {
  return maker.signed.order.expiry < nowSeconds;
}

/**
 * The engine's state as plain data (`MatchingEngine.toSnapshot`): books, the indexes of resting
 * orders (the same order objects as in the books), burned order ids (per slot, and each
 * account's highest), dead-man switches, market-maker protection and the trade id sequence.
 * Markets come from the configuration.
 */
export interface EngineSnapshot {
  readonly books: ReadonlyMap<bigint, BookSnapshotData>;
  readonly open: ReadonlyMap<bigint, ReadonlyMap<bigint, RestingOrder>>;
  readonly slots: ReadonlyMap<bigint, ReadonlyMap<bigint, RestingOrder>>;
  readonly highest: ReadonlyMap<bigint, ReadonlyMap<bigint, bigint>>;
  /** accountId → the highest order id accepted from the account (`MatchingEngine.nextOrderId`). */
  readonly highestByAccount: ReadonlyMap<bigint, bigint>;
  readonly clientIds: ReadonlyMap<bigint, ReadonlyMap<string, RestingOrder>>;
  readonly deadlines: ReadonlyMap<bigint, bigint>;
  /** `${accountId}:${underlying}` → protection, accounts in the order they first set one. */
  readonly mmp: ReadonlyMap<string, MmpSnapshotState>;
  readonly groups: ReadonlyMap<string, ReadonlySet<RestingOrder>>;
  readonly nextTradeId: bigint;
}

export class MatchingEngine {
  private readonly books = new Map<bigint, OrderBook>();
  private readonly markets = new Map<bigint, Market>();
  /** accountId → orderId → resting order. */
  private readonly open = new Map<bigint, Map<bigint, RestingOrder>>();
  /** accountId → order-tree slot → resting order occupying it. */
  private readonly slots = new Map<bigint, Map<bigint, RestingOrder>>();
  /**
   * accountId → order-tree slot → highest order id accepted in it. An accepted id is burned
   * (no replay of a cancelled order) by requiring every new id to exceed it, which is the order
   * tree's own rule (§5.3) extended to orders that never filled; memory stays bounded by the
   * slots an account uses.
   */
  private readonly highest = new Map<bigint, Map<bigint, bigint>>();
  /**
   * accountId → the highest order id accepted from the account in any slot (an order of any
   * outcome, a withdrawal message): `nextOrderId` is one above it. Kept exactly as `highest` is:
   * by `burn` (so a journal replay rebuilds it) and in snapshots. The ids the account's order
   * tree records are among them: the tree only ever records an accepted order's or withdrawal's id.
   */
  private readonly highestByAccount = new Map<bigint, bigint>();
  /** accountId → client order id → open order carrying it. */
  private readonly clientIds = new Map<bigint, Map<string, RestingOrder>>();
  /** accountId → unix ms at which the dead-man switch cancels every order of the account. */
  private readonly deadlines = new Map<bigint, bigint>();
  /** accountId → underlying → market-maker protection (an account's map is never empty). */
  private readonly mmp = new Map<bigint, Map<number, MmpState>>();
  /** Cancel-on-disconnect group → its resting orders. */
  private readonly groups = new Map<string, Set<RestingOrder>>();
  /** Each account's resting size and notional per instrument and side (derived: not in snapshots). */
  private readonly totals = new OpenTotals();
  /** The resting orders by signed expiry (derived: rebuilt on restore, not in snapshots). */
  private readonly expiries = new ExpiryHeap<RestingOrder>(
    (o) => this.open.get(o.accountId)?.get(o.orderId) === o,
    () => this.restingOrders(),
  );
  private nextTradeId = 1n;
  /**
   * Resting orders entered, shrunk or gone since the last `flushOrderChanges` (null: not
   * tracked). The market-data process keeps a copy of the open orders from them.
   */
  private orderChanges: Set<RestingOrder> | null = null;
  /** Accounts whose `nextOrderId` moved since the last `flushOrderChanges` (null: not tracked). */
  private nextOrderIdChanges: Set<bigint> | null = null;
  /**
   * Resting orders whose signed expiry is before the command's time (venue time, seconds) are
   * cancelled when a taker reaches them (`maker_rejected`, `ORDER_EXPIRED`), never filled. Off
   * only while a journal written before the rule replays its older commands, which filled such
   * makers when protocol/ let them (against the batch's timestamp): set per command by the
   * sequencer (`MAKER_EXPIRY_FROM`).
   */
  makersExpireAtVenueTime = true;

  constructor(
    private readonly ledger: Ledger,
    markets: readonly Market[],
  ) {
    for (const m of markets) {
      this.markets.set(m.instrument, m);
      this.books.set(m.instrument, new OrderBook(m.instrument));
    }
  }

  /**
   * The engine's state as plain data, for a snapshot (sequencer/journal/snapshot.ts). The maps
   * are the engine's own: serialize them (in one `v8.serialize`, which keeps the order objects
   * shared between books and indexes) before the engine changes again.
   */
  toSnapshot(): EngineSnapshot {
    const books = new Map<bigint, BookSnapshotData>();
    for (const [instrument, book] of this.books) books.set(instrument, book.toSnapshot());
    return {
      books,
      open: this.open,
      slots: this.slots,
      highest: this.highest,
      highestByAccount: this.highestByAccount,
      clientIds: this.clientIds,
      deadlines: this.deadlines,
      mmp: this.mmpSnapshot(),
      groups: this.groups,
      nextTradeId: this.nextTradeId,
    };
  }

  /**
   * Takes the state `toSnapshot` wrote (deserialized) in place of this fresh engine's. Throws
   * when the snapshot's books are not the configured markets'.
   */
  restore(snapshot: EngineSnapshot): void {
    const listed = [...this.markets.keys()].sort().join(",");
    const saved = [...snapshot.books.keys()].sort().join(",");
    if (listed !== saved) throw new Error(`the snapshot's books (${saved}) are not the listed markets (${listed})`);
    for (const [instrument, data] of snapshot.books)
      this.books.set(instrument, OrderBook.fromSnapshot(instrument, data));
    const refill = <K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>) => {
      into.clear();
      for (const [k, v] of from) into.set(k, v);
    };
    refill(this.open, snapshot.open as Map<bigint, Map<bigint, RestingOrder>>);
    refill(this.slots, snapshot.slots as Map<bigint, Map<bigint, RestingOrder>>);
    refill(this.highest, snapshot.highest as Map<bigint, Map<bigint, bigint>>);
    refill(this.highestByAccount, snapshot.highestByAccount);
    refill(this.clientIds, snapshot.clientIds as Map<bigint, Map<string, RestingOrder>>);
    refill(this.deadlines, snapshot.deadlines);
    this.mmp.clear();
    for (const [key, state] of snapshot.mmp) {
      const [account, underlying] = key.split(":");
      this.mmpStates(BigInt(account!), true).set(Number(underlying), {
        config: state.config,
        window: MmpWindow.of(state.fills),
        frozen: state.frozen,
      });
    }
    refill(this.groups, snapshot.groups as Map<string, Set<RestingOrder>>);
    this.nextTradeId = snapshot.nextTradeId;
    this.totals.clear();
    for (const order of this.restingOrders()) this.totals.add(order);
    this.expiries.rebuild();
  }

  private *restingOrders(): Generator<RestingOrder> {
    for (const byId of this.open.values()) yield* byId.values();
  }

  market(instrument: bigint): Market {
    const m = this.markets.get(instrument);
    if (m === undefined) throw new SequencerError("UNKNOWN_INSTRUMENT", `instrument ${instrument} is not listed`);
    return m;
  }

  listMarkets(): Market[] {
    return [...this.markets.values()];
  }

  hasMarket(instrument: bigint): boolean {
    return this.markets.has(instrument);
  }

  book(instrument: bigint): OrderBook {
    this.market(instrument);
    return this.books.get(instrument)!;
  }

  snapshot(instrument: bigint, depth: number): BookSnapshot {
    return this.book(instrument).snapshot(depth);
  }

  /** Book changes since the last call, per instrument, each with its new sequence number. */
  flushBookChanges(): { instrument: bigint; seq: bigint; changes: LevelChange[] }[] {
    const out: { instrument: bigint; seq: bigint; changes: LevelChange[] }[] = [];
    for (const book of this.books.values()) {
      const c = book.flushChanges();
      if (c !== null) out.push({ instrument: book.instrument, ...c });
    }
    return out;
  }

  /** Starts recording the changes of resting orders and of next order ids (`flushOrderChanges`). */
  trackOrderChanges(): void {
    this.orderChanges ??= new Set();
    this.nextOrderIdChanges ??= new Set();
  }

  /**
   * The resting orders changed since the last call: each one still open as it stands now (in the
   * order they were first touched, new orders in the order they entered), and the `[accountId,
   * orderId]` of each one gone; and `[accountId, nextOrderId]` of each account whose next order id
   * moved. Empty when changes are not tracked.
   */
  flushOrderChanges(): { open: OrderRecord[]; gone: [bigint, bigint][]; nextOrderIds: [bigint, bigint][] } {
    const out: { open: OrderRecord[]; gone: [bigint, bigint][]; nextOrderIds: [bigint, bigint][] } = {
      open: [],
      gone: [],
      nextOrderIds: [],
    };
    if (this.nextOrderIdChanges !== null && this.nextOrderIdChanges.size > 0) {
      for (const accountId of this.nextOrderIdChanges) out.nextOrderIds.push([accountId, this.nextOrderId(accountId)]);
      this.nextOrderIdChanges.clear();
    }
    if (this.orderChanges === null || this.orderChanges.size === 0) return out;
    for (const o of this.orderChanges) {
      if (this.findOpen(o.accountId, o.orderId) === o) out.open.push(orderRecord(o));
      else out.gone.push([o.accountId, o.orderId]);
    }
    this.orderChanges.clear();
    return out;
  }

  /**
   * The order id the account should sign next: one above the highest id the venue accepted from
   * it (orders resting, filled or cancelled, withdrawal messages, and so every id its order tree
   * records), 1 when none. Public: order ids are in the batches' calldata. A client counts up
   * from it (skipping slots its resting orders hold), which keeps every id within 2^32 of its
   * slot's (`ORDER_ID_WINDOW`, docs/protocol.md §5.3). O(1).
   */
  nextOrderId(accountId: bigint): bigint {
    return (this.highestByAccount.get(accountId) ?? 0n) + 1n;
  }

  /** `[accountId, nextOrderId]` of every account that used an order id. */
  nextOrderIdRecords(): [bigint, bigint][] {
    return [...this.highestByAccount].map(([accountId, highest]) => [accountId, highest + 1n]);
  }

  /** Every open order as a record, per account in `openOrders` order. */
  openOrderRecords(): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const o of this.restingOrders()) out.push(orderRecord(o));
    return out;
  }

  openOrders(accountId: bigint): RestingOrder[] {
    return [...(this.open.get(accountId)?.values() ?? [])];
  }

  /**
   * The account's resting size `Σ remaining` and notional `Σ remaining·price` per instrument and
   * side, in the order `openOrders` first names the instruments; O(instruments). Live objects:
   * read them before the engine changes again.
   */
  openTotals(accountId: bigint): OpenTotal[] {
    return this.totals.of(accountId);
  }

  /** Every account's `openTotals` as plain data (for comparing venues). */
  inspectOpenTotals(): Map<bigint, OpenTotal[]> {
    return this.totals.inspect();
  }

  findOpen(accountId: bigint, orderId: bigint): RestingOrder | null {
    return this.open.get(accountId)?.get(orderId) ?? null;
  }

  findByClientId(accountId: bigint, clientOrderId: string): RestingOrder | null {
    return this.clientIds.get(accountId)?.get(clientOrderId) ?? null;
  }

  /** Open orders of an account (O(1)). */
  openCount(accountId: bigint): number {
    return this.open.get(accountId)?.size ?? 0;
  }

  /** Cancel-on-disconnect groups that hold resting orders. */
  liveGroups(): string[] {
    return [...this.groups.keys()];
  }

  /** The cancel-on-disconnect group of a resting order, or null. */
  groupOf(order: RestingOrder): string | null {
    return order.group ?? null;
  }

  /**
   * The checks that read nothing about the account but its key: the order's own fields against
   * its market, and that `publicKey` is the account's. Safe before the signature is checked: the
   * errors reveal nothing about the account's orders or positions.
   */
  private precheck(signed: SignedOrder, flags: DecodedFlags, now: bigint): Market {
    const o = signed.order;
    const market = this.market(o.instrument);
    // A trade slot posts the fill's size and price in 32 bits each (docs/protocol.md §7): an order
    // beyond could rest but never fill.
    if (o.size > MAX_FILL_SIZE)
      throw new SequencerError("MAX_SIZE", `size ${o.size} exceeds the largest fill, ${MAX_FILL_SIZE} (2^32 − 1 lots)`);
    if (o.price > MAX_FILL_PRICE)
      throw new SequencerError(
        "MAX_PRICE",
        `price ${o.price} exceeds the largest fill price, ${MAX_FILL_PRICE} cents (2^32 − 1 ticks)`,
      );
    if (o.size < market.minSize)
      throw new SequencerError("MIN_SIZE", `size ${o.size} is below the minimum ${market.minSize} of ${market.name}`);
    if (o.size % market.lotSize !== 0n)
      throw new SequencerError("LOT_SIZE", `size ${o.size} is not a multiple of the lot size ${market.lotSize}`);
    if (o.price <= 0n || o.price % market.tickSize !== 0n)
      throw new SequencerError(
        "TICK_SIZE",
        `price ${o.price} is not a positive multiple of the tick size ${market.tickSize} of ${market.name}`,
      );
    const nowSeconds = now / MS_PER_SECOND;
    if (o.expiry < nowSeconds) throw new SequencerError("ORDER_EXPIRED", `order expired at ${o.expiry}`);
    if (market.expiry !== 0n && market.expiry <= nowSeconds)
      throw new SequencerError("INSTRUMENT_EXPIRED", `${market.name} expired at ${market.expiry}`);
    if (flags.postOnly && flags.timeInForce !== "GTC")
      throw new SequencerError("BAD_ORDER", "a post-only order must be good-till-cancelled");
    this.ledger.authenticate(signed);
    return market;
  }

  /** Every check that needs no state change; throws SequencerError. */
  private validate(
    signed: SignedOrder,
    options: PlaceOptions,
    flags: DecodedFlags,
    now: bigint,
    replacing: RestingOrder | null,
  ): Market {
    const o = signed.order;
    const market = this.precheck(signed, flags, now);
    this.checkOrderId(o.accountId, o.orderId, replacing);
    if (flags.timeInForce === "GTC" && this.mmp.get(o.accountId)?.get(market.underlying)?.frozen === true)
      throw new SequencerError(
        "MMP_FROZEN",
        `market-maker protection froze account ${o.accountId}'s quotes in underlying ${market.underlying}: reset it (POST /v1/mmp/reset)`,
      );
    if (options.clientOrderId !== null) {
      const holder = this.findByClientId(o.accountId, options.clientOrderId);
      if (holder !== null && holder !== replacing)
        throw new SequencerError(
          "DUPLICATE_CLIENT_ORDER_ID",
          `client order id ${options.clientOrderId} is already used by open order ${holder.orderId}`,
        );
    }
    if (flags.reduceOnly) {
      const pos = this.ledger.positionSize(o.accountId, o.instrument);
      const reduces = o.side === Side.BUY ? pos < 0n : pos > 0n;
      if (!reduces)
        throw new SequencerError("PROTOCOL_REJECTED", "a reduce-only order must trade against an open position");
    }
    return market;
  }

  /**
   * The order-id rules shared by orders and withdrawal messages (both use the order tree,
   * §5.3): above every id the account used in the slot, above the id the tree holds there but
   * less than 2^32 above it (a slot posts an id's low 32 bits), and the slot not held by another
   * open order. Throws DUPLICATE_ORDER_ID / ORDER_ID_WINDOW / ORDER_SLOT_BUSY and changes nothing.
   */
  checkOrderId(accountId: bigint, orderId: bigint, replacing: RestingOrder | null = null): void {
    const slot = this.ledger.slotOf(orderId);
    const highest = this.highest.get(accountId)?.get(slot);
    if (highest !== undefined && orderId <= highest)
      throw new SequencerError(
        "DUPLICATE_ORDER_ID",
        `order id ${orderId} is not above ${highest}, the highest id account ${accountId} used in its slot (orderId mod 2^orderDepth): use a higher order id`,
      );
    const stored = this.ledger.orderSlot(accountId, orderId);
    if (stored.storedId >= orderId && (stored.storedId > orderId || stored.storedFilled > 0n))
      throw new SequencerError(
        "DUPLICATE_ORDER_ID",
        `order id ${orderId} is not above the id ${stored.storedId} already recorded in its order-tree slot: use a higher order id`,
      );
    if (orderId >= stored.storedId + ORDER_ID_WINDOW)
      throw new SequencerError(
        "ORDER_ID_WINDOW",
        `order id ${orderId} is 2^32 or more above the id ${stored.storedId} its order-tree slot holds (a slot posts only an id's low 32 bits, docs/protocol.md §5.3): ask GET /v1/accounts/${accountId}/nextOrderId (now ${this.nextOrderId(accountId)}) and count up from it`,
      );
    const busy = this.slots.get(accountId)?.get(slot);
    if (busy !== undefined && busy !== replacing)
      throw new SequencerError(
        "ORDER_SLOT_BUSY",
        `order id ${orderId} shares its order-tree slot with open order ${busy.orderId}: cancel it or pick another id`,
      );
  }

  /** Burns an id used outside matching (a withdrawal message): no later order may reuse it. */
  burnOrderId(accountId: bigint, orderId: bigint): void {
    this.burn(accountId, orderId);
  }

  /** The next fill sequence number, for a fill made outside matching (a liquidation). */
  allocateTradeId(): bigint {
    return this.nextTradeId++;
  }

  /** Cancels every resting order in `instrument` (all accounts), e.g. at the option's expiry. */
  cancelInstrument(instrument: bigint, reason: CancelReason): CancelledOrder[] {
    const book = this.book(instrument);
    const out: CancelledOrder[] = [];
    for (const side of [Side.BUY, Side.SELL] as const) {
      for (const level of [...book.levels(side)]) {
        for (let m = level.head; m !== null;) {
          const next = m.next;
          this.cancelResting(m);
          out.push({ order: m, reason, code: null });
          m = next;
        }
      }
    }
    return out;
  }

  /**
   * The checks the API runs before the costly signature check: the order's fields against its
   * market and its key against the account (throws SequencerError). They read nothing else of
   * the account, so an unauthenticated caller learns nothing of its orders or positions; the
   * checks that do (order ids, client ids, reduce-only) run in `place`, after authentication.
   */
  check(signed: SignedOrder, now: bigint): void {
    this.precheck(signed, decodeFlags(signed.order.flags), now);
  }

  /**
   * Places a signed order. Throws SequencerError when the order is rejected before touching
   * anything; otherwise returns what happened (possibly a rejection after purging makers).
   */
  place(signed: SignedOrder, options: PlaceOptions, now: bigint): PlaceResult {
    return this.placeReplacing(signed, options, now, null);
  }

  /**
   * `replacing` is an open order of the same account that is cancelled once the new order has
   * passed every check that needs no state change (it may share the new order's tree slot).
   */
  private placeReplacing(
    signed: SignedOrder,
    options: PlaceOptions,
    now: bigint,
    replacing: RestingOrder | null,
  ): PlaceResult {
    const o = signed.order;
    const flags = decodeFlags(o.flags);
    this.validate(signed, options, flags, now, replacing);
    const book = this.books.get(o.instrument)!;
    const makerSide = opposite(o.side);

    if (flags.postOnly) {
      const best = book.best(makerSide);
      if (best !== null && crosses(o.side, o.price, best.price))
        throw new SequencerError(
          "POST_ONLY_WOULD_CROSS",
          `post-only ${o.side === Side.BUY ? "bid" : "ask"} at ${o.price} would cross the best price ${best.price}`,
        );
    }

    if (flags.timeInForce === "FOK") this.checkFillOrKill(signed, now);
    if (replacing !== null) this.cancelResting(replacing);

    const fills: Fill[] = [];
    const cancelled: CancelledOrder[] = [];
    // The taker's own resting orders met on the way, in book order (each met once).
    const selfTrades: RestingOrder[] = [];
    let remaining = o.size;
    let stopCode: string | null = null;
    let stopError: ProtocolError | null = null;
    const expiredBefore = this.expiredBefore(now);

    // One pass over the crossing part of the book: a cursor (level, order) moves forward only.
    // The taker's own orders are stepped over (cancelled after matching) and makers removed by a
    // fill or a rejection are unlinked behind the cursor, so matching costs O(fills + orders
    // met), plus O(log levels) to find each next level by price.
    let level = book.best(makerSide);
    let m: RestingOrder | null = level?.head ?? null;
    while (remaining > 0n && level !== null) {
      if (m === null) {
        level = book.levelAfter(makerSide, level.price);
        m = level?.head ?? null;
        continue;
      }
      if (!crosses(o.side, o.price, level.price)) break;
      if (fills.length >= MAX_FILLS_PER_ORDER) {
        stopCode = "MAX_FILLS";
        break;
      }
      const maker: RestingOrder = m;
      const next = maker.next;
      if (maker.accountId === o.accountId) {
        selfTrades.push(maker);
        m = next;
        continue;
      }
      if (expiredBefore !== null && makerExpired(maker, expiredBefore)) {
        // Past its signed expiry at venue time: protocol/ checks it only against the batch's
        // timestamp (when the batch opened), so it is removed here, as a maker protocol/ rejects.
        this.cancelResting(maker);
        cancelled.push({ order: maker, reason: "maker_rejected", code: "ORDER_EXPIRED" });
        m = next;
        continue;
      }

      const q = remaining < maker.remaining ? remaining : maker.remaining;
      const fill: PlannedFill = { maker: maker.signed, taker: signed, size: q, price: maker.price };
      try {
        const at = this.ledger.trade(fill, now);
        book.fill(maker, q);
        this.totals.reduce(maker, q);
        this.orderChanges?.add(maker);
        if (maker.remaining === 0n) this.forget(maker);
        remaining -= q;
        fills.push({
          tradeId: this.nextTradeId++,
          kind: "trade",
          instrument: o.instrument,
          price: maker.price,
          size: q,
          takerSide: o.side,
          makerAccount: maker.accountId,
          makerOrderId: maker.orderId,
          takerAccount: o.accountId,
          takerOrderId: o.orderId,
          batch: at.batch,
          slot: at.slot,
          time: now,
        });
        m = next;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        if (this.ledger.blame(e, fill, now) === "maker") {
          this.cancelResting(maker);
          cancelled.push({ order: maker, reason: "maker_rejected", code: e.code });
          m = next;
          continue;
        }
        stopCode = e.code;
        stopError = e;
        break;
      }
    }

    if (fills.length === 0 && stopError !== null) {
      // Nothing traded: the taker is rejected and its self-trade victims stay untouched.
      return this.result(signed, options, "cancelled", 0n, 0n, fills, cancelled, stopCode, stopError);
    }

    // The order is accepted: burn its id, apply self-trade prevention and makers' protection.
    this.burn(o.accountId, o.orderId);
    this.protectMakers(fills, now, cancelled);
    for (const m of selfTrades) {
      if (m.remaining === 0n || this.findOpen(m.accountId, m.orderId) !== m) continue;
      this.cancelResting(m);
      cancelled.push({ order: m, reason: "self_trade", code: null });
    }

    const filled = o.size - remaining;
    if (remaining === 0n) return this.result(signed, options, "filled", filled, 0n, fills, cancelled, null, null);
    if (stopCode !== null || flags.timeInForce !== "GTC") {
      return this.result(signed, options, "cancelled", filled, 0n, fills, cancelled, stopCode ?? "IOC_UNFILLED", null);
    }
    const resting: RestingOrder = {
      signed,
      accountId: o.accountId,
      orderId: o.orderId,
      instrument: o.instrument,
      side: o.side,
      price: o.price,
      clientOrderId: options.clientOrderId,
      group: options.group ?? null,
      reduceOnly: flags.reduceOnly,
      acceptedAt: now,
      remaining,
      filled,
      prev: null,
      next: null,
    };
    book.add(resting);
    this.index(resting);
    return this.result(signed, options, "resting", filled, remaining, fills, cancelled, null, null);
  }

  private result(
    signed: SignedOrder,
    options: PlaceOptions,
    status: OrderStatus,
    filled: bigint,
    remaining: bigint,
    fills: Fill[],
    cancelled: CancelledOrder[],
    stopCode: string | null,
    error: ProtocolError | null,
  ): PlaceResult {
    return {
      accountId: signed.order.accountId,
      orderId: signed.order.orderId,
      instrument: signed.order.instrument,
      clientOrderId: options.clientOrderId,
      status,
      filled,
      remaining,
      fills,
      cancelled,
      stopCode,
      rejection:
        error === null
          ? null
          : new SequencerError(
              error.code,
              `the order cannot trade: ${error.message}`,
              error.code === "BAD_SIGNATURE" ? 401 : 422,
            ),
    };
  }

  /**
   * Fill-or-kill: the crossing liquidity of other accounts must cover the size, and every
   * planned fill must pass protocol/ in sequence (dry run), or nothing happens.
   */
  private checkFillOrKill(signed: SignedOrder, now: bigint): void {
    const o = signed.order;
    const book = this.books.get(o.instrument)!;
    const { plan, unfilled, over } = planFillOrKill(
      book.levels(opposite(o.side)),
      signed,
      MAX_FILLS_PER_ORDER,
      this.expiredBefore(now),
    );
    if (over)
      throw new SequencerError(
        "FOK_UNFILLED",
        `fill-or-kill: filling ${o.size} takes more than the ${MAX_FILLS_PER_ORDER} fills one order may make`,
      );
    if (unfilled > 0n)
      throw new SequencerError("FOK_UNFILLED", `fill-or-kill: only ${o.size - unfilled} of ${o.size} is available`);
    const error = this.ledger.dryRun(plan, now);
    if (error !== null)
      throw new SequencerError(error.code, `fill-or-kill cannot fill completely: ${error.message}`, 422);
  }

  /** The venue time (unix seconds) before which a maker's expiry is past, or null when the rule is off. */
  private expiredBefore(now: bigint): bigint | null {
    return this.makersExpireAtVenueTime ? now / MS_PER_SECOND : null;
  }

  /** Cancels one resting order of `accountId`. Throws ORDER_NOT_FOUND. */
  cancel(accountId: bigint, orderId: bigint, reason: CancelReason = "user"): CancelledOrder {
    const order = this.findOpen(accountId, orderId);
    if (order === null)
      throw new SequencerError("ORDER_NOT_FOUND", `account ${accountId} has no open order ${orderId}`);
    this.cancelResting(order);
    return { order, reason, code: null };
  }

  /** Cancels every resting order of an account, optionally in one instrument. */
  cancelAll(accountId: bigint, instrument: bigint | null, reason: CancelReason = "user"): CancelledOrder[] {
    const out: CancelledOrder[] = [];
    for (const order of this.openOrders(accountId)) {
      if (instrument !== null && order.instrument !== instrument) continue;
      this.cancelResting(order);
      out.push({ order, reason, code: null });
    }
    return out;
  }

  /**
   * Amends a resting order's size down (the signed order's size minus what filled stays the
   * upper bound): it keeps its place in the queue. `size` is the new total size (filled
   * included); it must be below the current total, leave something open, and respect the lot.
   * A price change or a larger size is a replace (new signature, back of the queue).
   */
  amend(accountId: bigint, orderId: bigint, size: bigint): RestingOrder {
    const order = this.findOpen(accountId, orderId);
    if (order === null)
      throw new SequencerError("ORDER_NOT_FOUND", `account ${accountId} has no open order ${orderId}`);
    const market = this.market(order.instrument);
    const current = order.filled + order.remaining;
    if (size >= current)
      throw new SequencerError(
        "BAD_ORDER",
        `amend only reduces: size ${size} is not below the order's size ${current}; replace the order to raise it`,
      );
    if (size <= order.filled)
      throw new SequencerError(
        "BAD_ORDER",
        `size ${size} leaves nothing open (${order.filled} already filled): cancel the order instead`,
      );
    if (size % market.lotSize !== 0n)
      throw new SequencerError("LOT_SIZE", `size ${size} is not a multiple of the lot size ${market.lotSize}`);
    this.books.get(order.instrument)!.reduce(order, current - size);
    this.totals.reduce(order, current - size);
    this.orderChanges?.add(order);
    return order;
  }

  /**
   * Arms (at = unix ms) or disarms (null) an account's dead-man switch: at `at`, unless armed
   * again meanwhile, every order of the account is cancelled (`cancelScheduled`).
   */
  scheduleCancel(accountId: bigint, at: bigint | null): void {
    if (at === null) this.deadlines.delete(accountId);
    else this.deadlines.set(accountId, at);
  }

  /** The armed deadline of an account, or null. */
  cancelDeadline(accountId: bigint): bigint | null {
    return this.deadlines.get(accountId) ?? null;
  }

  /** The earliest signed expiry among the resting orders, unix seconds, or null when none rests. */
  earliestOrderExpiry(): bigint | null {
    return this.expiries.earliest();
  }

  /**
   * Cancels every resting order whose signed expiry is before `nowSeconds` (`expiry < now`, as
   * for a taker), earliest first (`expired`, code `ORDER_EXPIRED`): such an order can no longer
   * fill, so it must not stand in the book as liquidity (the public book, the funding premium's
   * impact prices) until a taker happens to reach it.
   */
  cancelExpired(nowSeconds: bigint): CancelledOrder[] {
    const out: CancelledOrder[] = [];
    for (let o = this.expiries.nextExpired(nowSeconds); o !== null; o = this.expiries.nextExpired(nowSeconds)) {
      this.cancelResting(o);
      out.push({ order: o, reason: "expired", code: "ORDER_EXPIRED" });
    }
    return out;
  }

  /** Accounts whose dead-man switch ran out at `now`. */
  dueScheduledCancels(now: bigint): bigint[] {
    const due: bigint[] = [];
    for (const [accountId, at] of this.deadlines) if (at <= now) due.push(accountId);
    return due;
  }

  /**
   * Fires an account's dead-man switch if it ran out at `now`: every order cancelled
   * (`scheduled`), the switch disarmed. Nothing happens when it was re-armed later or disarmed.
   */
  cancelScheduled(accountId: bigint, now: bigint): CancelledOrder[] {
    const at = this.deadlines.get(accountId);
    if (at === undefined || at > now) return [];
    this.deadlines.delete(accountId);
    return this.cancelAll(accountId, null, "scheduled");
  }

  /** Sets (or with null removes) an account's market-maker protection in an underlying. */
  setMmp(
    accountId: bigint,
    underlying: number,
    config: (Omit<MmpConfig, "maxDelta"> & { readonly maxDelta?: bigint }) | null,
  ): void {
    if (config === null) {
      const states = this.mmp.get(accountId);
      states?.delete(underlying);
      if (states?.size === 0) this.mmp.delete(accountId);
      return;
    }
    const states = this.mmpStates(accountId, true);
    states.set(underlying, {
      config: { ...config, maxDelta: config.maxDelta ?? 0n },
      window: new MmpWindow(),
      frozen: states.get(underlying)?.frozen ?? false,
    });
  }

  /** An account's protection per underlying (`create`: made when it has none). */
  private mmpStates(accountId: bigint, create: true): Map<number, MmpState>;
  private mmpStates(accountId: bigint, create?: false): Map<number, MmpState> | undefined;
  private mmpStates(accountId: bigint, create = false): Map<number, MmpState> | undefined {
    let states = this.mmp.get(accountId);
    if (states === undefined && create) this.mmp.set(accountId, (states = new Map()));
    return states;
  }

  /** The protection as snapshots store it (`MmpSnapshotState`). */
  private mmpSnapshot(): Map<string, MmpSnapshotState> {
    const out = new Map<string, MmpSnapshotState>();
    for (const [accountId, states] of this.mmp)
      for (const [underlying, s] of states)
        out.set(`${accountId}:${underlying}`, { config: s.config, fills: s.window.fills(), frozen: s.frozen });
    return out;
  }

  /** Unfreezes an account's quotes in an underlying and clears its window. */
  resetMmp(accountId: bigint, underlying: number): void {
    const state = this.mmp.get(accountId)?.get(underlying);
    if (state === undefined)
      throw new SequencerError(
        "NOT_FOUND",
        `account ${accountId} has no market-maker protection in underlying ${underlying}`,
      );
    state.frozen = false;
    state.window.clear();
  }

  /** An account's protection per underlying (O(its underlyings)). */
  mmpOf(accountId: bigint): { underlying: number; state: MmpState }[] {
    return [...(this.mmp.get(accountId) ?? [])].map(([underlying, state]) => ({ underlying, state }));
  }

  /** Counts makers' fills against their protection; a tripped one cancels the maker's orders there. */
  private protectMakers(fills: readonly Fill[], now: bigint, cancelled: CancelledOrder[]): void {
    if (this.mmp.size === 0) return;
    for (const f of fills) {
      const underlying = this.market(f.instrument).underlying;
      const state = this.mmp.get(f.makerAccount)?.get(underlying);
      if (state === undefined || state.frozen) continue;
      // O(1) amortised: expired entries leave from the head, the sums are running (mmp.ts).
      const w = state.window;
      w.prune(now - state.config.windowMs);
      w.push({ time: now, size: f.size, delta: fillDelta(f.instrument, opposite(f.takerSide), f.size) });
      const { maxQuantity, maxCount, maxDelta } = state.config;
      const deltaTripped = maxDelta > 0n && (w.delta >= maxDelta || -w.delta >= maxDelta);
      if (w.quantity < maxQuantity && w.count < maxCount && !deltaTripped) continue;
      state.frozen = true;
      for (const order of this.openOrders(f.makerAccount)) {
        if (this.market(order.instrument).underlying !== underlying) continue;
        this.cancelResting(order);
        cancelled.push({ order, reason: "mmp", code: null });
      }
    }
  }

  /** Cancels every resting order of a cancel-on-disconnect group (its connection went away). */
  cancelGroup(group: string, reason: CancelReason = "disconnect"): CancelledOrder[] {
    const out: CancelledOrder[] = [];
    for (const order of [...(this.groups.get(group) ?? [])]) {
      this.cancelResting(order);
      out.push({ order, reason, code: null });
    }
    return out;
  }

  /**
   * Replace = cancel `oldOrderId` and place the new signed order. When the new order fails a
   * check that needs no state change, nothing happens and the old order keeps its place; once
   * it passes them the old order is cancelled, even if the new one is then rejected by a
   * protocol rule on its first fill.
   */
  replace(
    accountId: bigint,
    oldOrderId: bigint,
    signed: SignedOrder,
    options: PlaceOptions,
    now: bigint,
  ): { cancelled: CancelledOrder; placed: PlaceResult } {
    if (signed.order.accountId !== accountId)
      throw new SequencerError("FORBIDDEN", "the new order belongs to another account");
    const old = this.findOpen(accountId, oldOrderId);
    if (old === null)
      throw new SequencerError("ORDER_NOT_FOUND", `account ${accountId} has no open order ${oldOrderId}`);
    const placed = this.placeReplacing(signed, options, now, old);
    return { cancelled: { order: old, reason: "replaced", code: null }, placed };
  }

  private cancelResting(order: RestingOrder): void {
    this.books.get(order.instrument)!.remove(order);
    this.forget(order);
  }

  /**
   * Enters an order that now rests into the indexes and its account's totals. Every resting order
   * enters here and leaves through `forget`; between the two only fills and amends shrink it,
   * each followed by `totals.reduce`.
   */
  private index(order: RestingOrder): void {
    let byId = this.open.get(order.accountId);
    if (byId === undefined) this.open.set(order.accountId, (byId = new Map()));
    byId.set(order.orderId, order);
    this.totals.add(order);
    this.expiries.push(order);
    this.orderChanges?.add(order);
    let bySlot = this.slots.get(order.accountId);
    if (bySlot === undefined) this.slots.set(order.accountId, (bySlot = new Map()));
    bySlot.set(this.ledger.slotOf(order.orderId), order);
    if (order.clientOrderId !== null) {
      let byClient = this.clientIds.get(order.accountId);
      if (byClient === undefined) this.clientIds.set(order.accountId, (byClient = new Map()));
      byClient.set(order.clientOrderId, order);
    }
    const g = order.group ?? null;
    if (g !== null) {
      let group = this.groups.get(g);
      if (group === undefined) this.groups.set(g, (group = new Set()));
      group.add(order);
    }
  }

  /** Drops an order that left the book (cancelled or filled) from the indexes and the totals. */
  private forget(order: RestingOrder): void {
    const byId = this.open.get(order.accountId);
    byId?.delete(order.orderId);
    if (byId?.size === 0) this.open.delete(order.accountId);
    this.totals.remove(order);
    this.expiries.left();
    this.orderChanges?.add(order);
    const bySlot = this.slots.get(order.accountId);
    bySlot?.delete(this.ledger.slotOf(order.orderId));
    if (bySlot?.size === 0) this.slots.delete(order.accountId);
    if (order.clientOrderId !== null) {
      const byClient = this.clientIds.get(order.accountId);
      if (byClient?.get(order.clientOrderId) === order) byClient.delete(order.clientOrderId);
      if (byClient?.size === 0) this.clientIds.delete(order.accountId);
    }
    const g = order.group ?? null;
    if (g !== null) {
      const group = this.groups.get(g);
      group?.delete(order);
      if (group?.size === 0) this.groups.delete(g);
    }
  }

  private burn(accountId: bigint, orderId: bigint): void {
    let slots = this.highest.get(accountId);
    if (slots === undefined) this.highest.set(accountId, (slots = new Map()));
    const slot = this.ledger.slotOf(orderId);
    const previous = slots.get(slot);
    if (previous === undefined || orderId > previous) slots.set(slot, orderId);
    const highest = this.highestByAccount.get(accountId);
    if (highest === undefined || orderId > highest) {
      this.highestByAccount.set(accountId, orderId);
      this.nextOrderIdChanges?.add(accountId);
    }
  }
}
