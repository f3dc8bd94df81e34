/**
 * A price-time priority limit order book for one instrument.
 *
 * Prices are cents and sizes are 1e-4 units (docs/protocol.md §1), both bigint. Each price
 * level is a FIFO doubly linked list of resting orders, so adding at the tail, removing any
 * order and reducing the head are O(1); the sorted price ladders use binary search (O(log n)
 * lookup of a level and of the level after a price). Ladders keep their prices worst first, so
 * the best level — the one a sweep removes — is dropped from the end in O(1); inserting or
 * dropping a level behind the touch moves the prices better than it.
 *
 * Invariants: a level exists iff it holds at least one order; `level.total` is the sum of its
 * orders' `remaining`; every resting order has `remaining > 0`; the best bid is below the best
 * ask (the engine never leaves a crossed book).
 */
import type { SideCode, SignedOrder } from "../../../protocol/types.ts";
import { Side } from "../../../protocol/types.ts";

/** An order resting in the book. `remaining` is the only mutable field besides the links. */
export interface RestingOrder {
  readonly signed: SignedOrder;
  readonly accountId: bigint;
  readonly orderId: bigint;
  readonly instrument: bigint;
  readonly side: SideCode;
  /** Limit price, cents. */
  readonly price: bigint;
  readonly clientOrderId: string | null;
  /** Cancel-on-disconnect group (a WebSocket connection id) the order belongs to, if any. */
  readonly group?: string | null;
  readonly reduceOnly: boolean;
  /** Acceptance time, unix milliseconds (display only: priority is the list order). */
  readonly acceptedAt: bigint;
  /** Size still open, 1e-4 units; > 0 while resting. */
  remaining: bigint;
  /** Size filled so far (the order tree's `filled`), 1e-4 units. */
  filled: bigint;
  prev: RestingOrder | null;
  next: RestingOrder | null;
}

export class PriceLevel {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  /** Sum of `remaining` over the level's orders. */
  total = 0n;
  count = 0;
  constructor(readonly price: bigint) {}
}

/**
 * One changed price level: `size` is the level's new total (0 = level removed) and `orders` its
 * new count of resting orders.
 */
export interface LevelChange {
  readonly side: SideCode;
  readonly price: bigint;
  readonly size: bigint;
  readonly orders: number;
}

export interface BookSnapshot {
  readonly instrument: bigint;
  /** Sequence number of the last change included. */
  readonly seq: bigint;
  /** Best first: [price, size, orderCount]. */
  readonly bids: readonly (readonly [bigint, bigint, number])[];
  readonly asks: readonly (readonly [bigint, bigint, number])[];
}

/**
 * A book as plain data (`OrderBook.toSnapshot`): each side's levels best first, each level's
 * orders in time priority, and the book's sequence number.
 */
export interface BookSnapshotData {
  readonly seq: bigint;
  readonly bids: readonly (readonly RestingOrder[])[];
  readonly asks: readonly (readonly RestingOrder[])[];
}

class Ladder {
  readonly levels = new Map<bigint, PriceLevel>();
  /** Prices sorted worst first: the best price is the last. */
  readonly prices: bigint[] = [];

  /** `descending` for bids (best = highest), ascending for asks. */
  constructor(private readonly descending: boolean) {}

  private better(a: bigint, b: bigint): boolean {
    return this.descending ? a > b : a < b;
  }

  /** Index of the first price not worse than `price` (binary search). */
  private indexOf(price: bigint): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(price, this.prices[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The best level strictly worse than `price`, or null (O(log n)). */
  after(price: bigint): PriceLevel | null {
    const i = this.indexOf(price) - 1;
    return i < 0 ? null : this.levels.get(this.prices[i]!)!;
  }

  level(price: bigint): PriceLevel {
    let level = this.levels.get(price);
    if (level === undefined) {
      level = new PriceLevel(price);
      this.levels.set(price, level);
      this.prices.splice(this.indexOf(price), 0, price);
    }
    return level;
  }

  drop(level: PriceLevel): void {
    this.levels.delete(level.price);
    const last = this.prices.length - 1;
    if (this.prices[last] === level.price) {
      this.prices.pop();
      return;
    }
    const i = this.indexOf(level.price);
    if (this.prices[i] === level.price) this.prices.splice(i, 1);
  }

  best(): PriceLevel | null {
    const p = this.prices[this.prices.length - 1];
    return p === undefined ? null : this.levels.get(p)!;
  }
}

export class OrderBook {
  private readonly bids = new Ladder(true);
  private readonly asks = new Ladder(false);
  private readonly dirty = new Map<string, { side: SideCode; price: bigint }>();
  /** Incremented once per published batch of level changes. */
  seq = 0n;

  constructor(readonly instrument: bigint) {}

  private ladder(side: SideCode): Ladder {
    return side === Side.BUY ? this.bids : this.asks;
  }

  private touch(side: SideCode, price: bigint): void {
    this.dirty.set(`${side}:${price}`, { side, price });
  }

  /** Appends an order at the tail of its price level (lowest time priority). */
  add(order: RestingOrder): void {
    const level = this.ladder(order.side).level(order.price);
    order.prev = level.tail;
    order.next = null;
    if (level.tail === null) level.head = order;
    else level.tail.next = order;
    level.tail = order;
    level.total += order.remaining;
    level.count += 1;
    this.touch(order.side, order.price);
  }

  /** Removes a resting order (cancel, or fully filled). */
  remove(order: RestingOrder): void {
    const ladder = this.ladder(order.side);
    const level = ladder.levels.get(order.price);
    if (level === undefined) throw new Error(`order ${order.orderId} is not in the book`);
    if (order.prev === null) level.head = order.next;
    else order.prev.next = order.next;
    if (order.next === null) level.tail = order.prev;
    else order.next.prev = order.prev;
    order.prev = null;
    order.next = null;
    level.total -= order.remaining;
    level.count -= 1;
    if (level.count === 0) ladder.drop(level);
    this.touch(order.side, order.price);
  }

  /** Records a fill of `q` against a resting order; removes it when nothing remains. */
  fill(order: RestingOrder, q: bigint): void {
    const level = this.ladder(order.side).levels.get(order.price)!;
    order.remaining -= q;
    order.filled += q;
    level.total -= q;
    this.touch(order.side, order.price);
    if (order.remaining === 0n) {
      // remove() subtracts `remaining` (now 0) again: harmless.
      this.remove(order);
    }
  }

  /** Reduces a resting order's open size by `q` (< remaining) in place: it keeps its priority. */
  reduce(order: RestingOrder, q: bigint): void {
    const level = this.ladder(order.side).levels.get(order.price)!;
    order.remaining -= q;
    level.total -= q;
    this.touch(order.side, order.price);
  }

  /**
   * The book as plain data for a snapshot (sequencer/journal/snapshot.ts). Holds the resting
   * order objects themselves: serialize before the book changes again.
   */
  toSnapshot(): BookSnapshotData {
    if (this.dirty.size > 0) throw new Error(`internal: book ${this.instrument} has unpublished changes`);
    const side = (s: SideCode): RestingOrder[][] => {
      const out: RestingOrder[][] = [];
      for (const level of this.levels(s)) {
        const orders: RestingOrder[] = [];
        for (let o = level.head; o !== null; o = o.next) orders.push(o);
        out.push(orders);
      }
      return out;
    };
    return { seq: this.seq, bids: side(Side.BUY), asks: side(Side.SELL) };
  }

  /** The book `toSnapshot` wrote; its orders are linked in (their `prev`/`next` are rewritten). */
  static fromSnapshot(instrument: bigint, snapshot: BookSnapshotData): OrderBook {
    const book = new OrderBook(instrument);
    // Worst level first: each new level goes to the front of the ladder's worst-first prices.
    for (const levels of [snapshot.bids, snapshot.asks])
      for (let i = levels.length - 1; i >= 0; i--) for (const order of levels[i]!) book.add(order);
    book.dirty.clear();
    book.seq = snapshot.seq;
    return book;
  }

  /** Best level on `side`, or null when that side is empty. */
  best(side: SideCode): PriceLevel | null {
    return this.ladder(side).best();
  }

  /** The best level of `side` strictly worse than `price`, or null (binary search). */
  levelAfter(side: SideCode, price: bigint): PriceLevel | null {
    return this.ladder(side).after(price);
  }

  /** Levels of `side`, best first. Do not modify the book while iterating. */
  *levels(side: SideCode): Generator<PriceLevel> {
    const ladder = this.ladder(side);
    for (let i = ladder.prices.length - 1; i >= 0; i--) yield ladder.levels.get(ladder.prices[i]!)!;
  }

  /** Level changes since the last call, with the new sequence number (null when none). */
  flushChanges(): { seq: bigint; changes: LevelChange[] } | null {
    if (this.dirty.size === 0) return null;
    const changes: LevelChange[] = [];
    for (const { side, price } of this.dirty.values()) {
      const level = this.ladder(side).levels.get(price);
      changes.push({ side, price, size: level?.total ?? 0n, orders: level?.count ?? 0 });
    }
    this.dirty.clear();
    this.seq += 1n;
    return { seq: this.seq, changes };
  }

  snapshot(depth: number): BookSnapshot {
    const side = (s: SideCode): [bigint, bigint, number][] => {
      const out: [bigint, bigint, number][] = [];
      for (const level of this.levels(s)) {
        if (out.length >= depth) break;
        out.push([level.price, level.total, level.count]);
      }
      return out;
    };
    return { instrument: this.instrument, seq: this.seq, bids: side(Side.BUY), asks: side(Side.SELL) };
  }
}
