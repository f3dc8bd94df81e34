/**
 * The resting orders by their signed expiry, earliest first: a binary min-heap the engine pushes
 * every order into as it comes to rest, so that the orders whose expiry passed are found without
 * a scan of the book (`MatchingEngine.cancelExpired`).
 *
 * Orders that leave the book (filled, cancelled) are not looked for in the heap: the engine
 * tells it with `left()`, and an entry is dropped when it reaches the top and is no longer
 * resting (`isResting`). Once the entries of departed orders outnumber the resting ones (and at
 * least `COMPACT_AT`), the heap is rebuilt from the resting orders, so it never holds more than
 * about twice them.
 */

/** Stale entries tolerated before a rebuild is considered. */
const COMPACT_AT = 1024;

interface Expiring {
  readonly signed: { readonly order: { readonly expiry: bigint } };
}

interface Entry<T> {
  /** The order's signed expiry, unix seconds (at most 2^32: exact as a double). */
  readonly at: number;
  readonly order: T;
}

export class ExpiryHeap<T extends Expiring> {
  private heap: Entry<T>[] = [];
  private stale = 0;

  constructor(
    /** Whether `order` still rests in the book. */
    private readonly isResting: (order: T) => boolean,
    /** Every resting order, for a rebuild. */
    private readonly resting: () => Iterable<T>,
  ) {}

  /** Entries held, stale ones included (for tests). */
  get size(): number {
    return this.heap.length;
  }

  /** An order came to rest. */
  push(order: T): void {
    const heap = this.heap;
    let i = heap.length;
    const entry = { at: Number(order.signed.order.expiry), order };
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  /** An order left the book (its entry stays until it reaches the top, or a rebuild). */
  left(): void {
    this.stale += 1;
    if (this.stale >= COMPACT_AT && this.stale * 2 > this.heap.length) this.rebuild();
  }

  /** The earliest expiry among the resting orders, unix seconds, or null when none rests. */
  earliest(): bigint | null {
    this.dropStale();
    const top = this.heap[0];
    return top === undefined ? null : top.order.signed.order.expiry;
  }

  /**
   * The resting order with the earliest expiry if that expiry is before `nowSeconds` (`expiry <
   * now`, the rule a taker's expiry is held to), else null. The caller takes it out of the book
   * (and calls `left()`), and asks again.
   */
  nextExpired(nowSeconds: bigint): T | null {
    this.dropStale();
    const top = this.heap[0];
    return top !== undefined && top.order.signed.order.expiry < nowSeconds ? top.order : null;
  }

  /** Rebuilds the heap from the resting orders (after a restore, or when mostly stale). */
  rebuild(): void {
    this.heap = [];
    this.stale = 0;
    for (const order of this.resting()) this.push(order);
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.isResting(this.heap[0]!.order)) {
      this.pop();
      if (this.stale > 0) this.stale -= 1;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && heap[r]!.at < heap[l]!.at ? r : l;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
