/**
 * The fill window of one account's market-maker protection in one underlying (engine.ts
 * `protectMakers`): the maker fills of the last `windowMs`, with their count, summed size and
 * summed delta kept as running totals, so that counting a fill and reading the totals costs O(1)
 * amortised instead of a pass over the window.
 *
 * Guarantee: after `prune(since)` the window holds exactly the entries pushed since the last
 * `clear` whose `time > since` (in push order), and `quantity`, `delta` and `count` are their
 * size sum, delta sum and number — the same as filtering the entry list and reducing it. Entries
 * are dropped from the head while times are non-decreasing (the usual case); an entry older than
 * the one before it (the clock stepped back) makes the next prunes filter the whole window, as
 * the list filter did, until the window is in time order again.
 */

/** One maker fill counted against the protection. */
export interface MmpFill {
  /** Unix ms of the fill. */
  readonly time: bigint;
  /** Filled size, 1e-4 units. */
  readonly size: bigint;
  /** Signed delta (engine.ts `fillDelta`), 1e-4 units of the underlying. */
  readonly delta: bigint;
}

/** Dropped head entries are compacted away once there are this many and they are half the array. */
const COMPACT_AT = 1024;

export class MmpWindow {
  private entries: MmpFill[] = [];
  /** Index of the oldest live entry: `entries[head..]` is the window. */
  private head = 0;
  /** False once an entry was pushed with a time below its predecessor's. */
  private ordered = true;
  /** Σ size of the window's entries. */
  quantity = 0n;
  /** Σ delta of the window's entries. */
  delta = 0n;

  /** Entries in the window. */
  get count(): number {
    return this.entries.length - this.head;
  }

  /** Drops the entries with `time <= since`. */
  prune(since: bigint): void {
    if (this.ordered) {
      const e = this.entries;
      while (this.head < e.length && e[this.head]!.time <= since) {
        const x = e[this.head++]!;
        this.quantity -= x.size;
        this.delta -= x.delta;
      }
      if (this.head === e.length) {
        this.entries = [];
        this.head = 0;
      } else if (this.head >= COMPACT_AT && this.head * 2 >= e.length) {
        this.entries = e.slice(this.head);
        this.head = 0;
      }
      return;
    }
    this.reset(this.fills().filter((x) => x.time > since));
  }

  /** Counts a fill in at the window's end. */
  push(fill: MmpFill): void {
    const last = this.entries.length > this.head ? this.entries[this.entries.length - 1]! : null;
    if (last !== null && fill.time < last.time) this.ordered = false;
    this.entries.push(fill);
    this.quantity += fill.size;
    this.delta += fill.delta;
  }

  /** Empties the window. */
  clear(): void {
    this.reset([]);
  }

  /** The window's entries, oldest first (a copy). */
  fills(): MmpFill[] {
    return this.entries.slice(this.head);
  }

  /** A window holding `fills` (in that order): a snapshot's. */
  static of(fills: readonly MmpFill[]): MmpWindow {
    const w = new MmpWindow();
    w.reset([...fills]);
    return w;
  }

  private reset(fills: MmpFill[]): void {
    this.entries = fills;
    this.head = 0;
    this.quantity = 0n;
    this.delta = 0n;
    this.ordered = true;
    for (let i = 0; i < fills.length; i++) {
      const x = fills[i]!;
      this.quantity += x.size;
      this.delta += x.delta;
      if (i > 0 && x.time < fills[i - 1]!.time) this.ordered = false;
    }
  }
}
