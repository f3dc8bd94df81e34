/**
 * Running totals of each account's resting orders per instrument and side, kept by the matching
 * engine as its orders rest, shrink and leave the book, so that the margin check on placement
 * (sequencer/intake/reserve.ts) reads an account's open orders in O(instruments), not O(orders).
 *
 * Guarantee: `of(accountId)` holds, per instrument the account has resting orders in,
 * `size = Σ remaining` and `notional = Σ remaining·price` of those orders on each side (exact
 * bigints), listed in the order in which the engine's `openOrders(accountId)` first names each
 * instrument. Every change costs O(1). Derived state: not in snapshots, rebuilt from the
 * restored resting orders.
 */
import { Side } from "../../../protocol/types.ts";
import type { RestingOrder } from "./book.ts";

/** One side of an account's resting orders in one instrument. */
export interface SideTotal {
  /** Σ remaining, 1e-4 units. */
  readonly size: bigint;
  /** Σ remaining·price, 1e-4 units × cents. */
  readonly notional: bigint;
}

/** An account's resting orders in one instrument, both sides. */
export interface OpenTotal {
  readonly instrument: bigint;
  readonly buy: SideTotal;
  readonly sell: SideTotal;
}

interface Sum {
  size: bigint;
  notional: bigint;
}

interface Entry {
  readonly instrument: bigint;
  readonly buy: Sum;
  readonly sell: Sum;
  /** The entry's orders, oldest first (a list, so that dropping any of them is O(1)). */
  head: Link | null;
  tail: Link | null;
}

interface Link {
  /** When the order was added: the order of the engine's per-account order index. */
  readonly seq: number;
  readonly entry: Entry;
  prev: Link | null;
  next: Link | null;
}

export class OpenTotals {
  /** accountId → instrument → totals (present iff the account has resting orders there). */
  private readonly accounts = new Map<bigint, Map<bigint, Entry>>();
  private readonly links = new Map<RestingOrder, Link>();
  private seq = 0;

  /**
   * Counts a resting order in. Call in the order the engine indexes its orders (the order of
   * `openOrders`), once per order.
   */
  add(order: RestingOrder): void {
    let entries = this.accounts.get(order.accountId);
    if (entries === undefined) this.accounts.set(order.accountId, (entries = new Map()));
    let entry = entries.get(order.instrument);
    if (entry === undefined)
      entries.set(
        order.instrument,
        (entry = {
          instrument: order.instrument,
          buy: { size: 0n, notional: 0n },
          sell: { size: 0n, notional: 0n },
          head: null,
          tail: null,
        }),
      );
    const link: Link = { seq: this.seq++, entry, prev: entry.tail, next: null };
    if (entry.tail === null) entry.head = link;
    else entry.tail.next = link;
    entry.tail = link;
    this.links.set(order, link);
    this.count(entry, order, order.remaining);
  }

  /** Takes `q` off a counted order's open size (a partial or full fill, an amend). */
  reduce(order: RestingOrder, q: bigint): void {
    this.count(this.links.get(order)!.entry, order, -q);
  }

  /** Counts a resting order out with what it still has open (0 once filled). */
  remove(order: RestingOrder): void {
    const link = this.links.get(order)!;
    const entry = link.entry;
    this.count(entry, order, -order.remaining);
    this.links.delete(order);
    if (link.prev === null) entry.head = link.next;
    else link.prev.next = link.next;
    if (link.next === null) entry.tail = link.prev;
    else link.next.prev = link.prev;
    if (entry.head !== null) return;
    const entries = this.accounts.get(order.accountId)!;
    entries.delete(order.instrument);
    if (entries.size === 0) this.accounts.delete(order.accountId);
  }

  /** Forgets every order (before counting restored ones in). */
  clear(): void {
    this.accounts.clear();
    this.links.clear();
    this.seq = 0;
  }

  /**
   * An account's totals per instrument, in the order `openOrders` first names the instruments
   * (empty: no resting order). The totals are live: read them before the engine changes again.
   */
  of(accountId: bigint): OpenTotal[] {
    const entries = this.accounts.get(accountId);
    if (entries === undefined) return [];
    return [...entries.values()].sort((a, b) => a.head!.seq - b.head!.seq);
  }

  /** Every account's totals as plain data, for comparing venues (`Sequencer.inspectState`). */
  inspect(): Map<bigint, OpenTotal[]> {
    const out = new Map<bigint, OpenTotal[]>();
    for (const accountId of this.accounts.keys())
      out.set(
        accountId,
        this.of(accountId).map((t) => ({ instrument: t.instrument, buy: { ...t.buy }, sell: { ...t.sell } })),
      );
    return out;
  }

  private count(entry: Entry, order: RestingOrder, size: bigint): void {
    const sum = order.side === Side.BUY ? entry.buy : entry.sell;
    sum.size += size;
    sum.notional += size * order.price;
  }
}
