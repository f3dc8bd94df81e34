/**
 * A local order book kept from the stream: a `book_snapshot` with sequence number `seq`, then
 * `book` deltas with `seq + 1, seq + 2, ...`, each holding changed levels (`size` is the level's
 * new total; 0 removes it). A delta whose `seq` is not the next one means a message was lost:
 * the book marks itself out of sync and its owner (`TesseraStream`) asks for a new snapshot.
 *
 * Prices in cents, sizes in 1e-4 units. The snapshot holds the venue's top 50 levels a side
 * (`SNAPSHOT_DEPTH`). A side that came full has a horizon, its worst snapshot price: beyond it
 * the book knows only the levels deltas happened to touch, so `levels()` shows nothing beyond
 * it. When a sweep eats a side down to under half the snapshot depth, `applyDelta` answers
 * `thin`: the owner asks for a new snapshot to see the levels the sweep uncovered.
 */
import { Side } from "../protocol/types.ts";
import type { SideCode } from "../protocol/types.ts";
import type { BookDelta, BookSnapshot } from "./wire.ts";

export interface BookLevel {
  /** Cents. */
  readonly price: bigint;
  /** Total resting size, 1e-4 units. */
  readonly size: bigint;
}

/** What applying a delta did (`thin`: applied, and a side needs a deeper snapshot). */
export type DeltaOutcome = "applied" | "thin" | "stale" | "gap" | "unsynced";

/** Levels a side of the venue's `book_snapshot` holds at most. */
export const SNAPSHOT_DEPTH = 50;

export class LocalOrderBook {
  private readonly bidLevels = new Map<bigint, bigint>();
  private readonly askLevels = new Map<bigint, bigint>();
  private seqValue: bigint | null = null;
  /** Per side, the worst price of a full snapshot side (null: the snapshot held the whole side). */
  private bidHorizon: bigint | null = null;
  private askHorizon: bigint | null = null;
  /** A deeper snapshot was asked for (answered `thin` once) and has not come yet. */
  private refreshing = false;

  constructor(readonly instrument: bigint) {}

  /** The sequence number of the last snapshot or delta applied; null while out of sync. */
  get seq(): bigint | null {
    return this.seqValue;
  }

  /** True between a snapshot and the next gap (or disconnect). */
  get synced(): boolean {
    return this.seqValue !== null;
  }

  /** Replaces the whole book with a snapshot. */
  applySnapshot(snapshot: Pick<BookSnapshot, "seq" | "bids" | "asks">): void {
    this.bidLevels.clear();
    this.askLevels.clear();
    for (const l of snapshot.bids) this.bidLevels.set(l.price, l.size);
    for (const l of snapshot.asks) this.askLevels.set(l.price, l.size);
    this.bidHorizon = snapshot.bids.length >= SNAPSHOT_DEPTH ? snapshot.bids.at(-1)!.price : null;
    this.askHorizon = snapshot.asks.length >= SNAPSHOT_DEPTH ? snapshot.asks.at(-1)!.price : null;
    this.seqValue = snapshot.seq;
    this.refreshing = false;
  }

  /**
   * Applies a delta. `stale` (seq already applied) and `unsynced` (waiting for a snapshot)
   * change nothing; `gap` marks the book out of sync: a new snapshot is needed.
   */
  applyDelta(delta: Pick<BookDelta, "seq" | "changes">): DeltaOutcome {
    if (this.seqValue === null) return "unsynced";
    if (delta.seq <= this.seqValue) return "stale";
    if (delta.seq !== this.seqValue + 1n) {
      this.invalidate();
      return "gap";
    }
    for (const c of delta.changes) {
      const side = c.side === Side.BUY ? this.bidLevels : this.askLevels;
      if (c.size === 0n) side.delete(c.price);
      else side.set(c.price, c.size);
    }
    this.seqValue = delta.seq;
    const thin = (side: SideCode, horizon: bigint | null): boolean =>
      horizon !== null && this.levels(side).length < SNAPSHOT_DEPTH / 2;
    if (this.refreshing || !(thin(Side.BUY, this.bidHorizon) || thin(Side.SELL, this.askHorizon))) return "applied";
    this.refreshing = true;
    return "thin";
  }

  /** Marks the book out of sync (a gap or a lost connection) until the next snapshot. */
  invalidate(): void {
    this.seqValue = null;
  }

  /** Levels of one side, best first, at most `depth`, none beyond the side's horizon. */
  levels(side: SideCode, depth = Number.POSITIVE_INFINITY): BookLevel[] {
    const map = side === Side.BUY ? this.bidLevels : this.askLevels;
    const horizon = side === Side.BUY ? this.bidHorizon : this.askHorizon;
    const known = [...map.keys()].filter((p) => horizon === null || (side === Side.BUY ? p >= horizon : p <= horizon));
    const prices = known.sort((a, b) =>
      side === Side.BUY ? (a > b ? -1 : a < b ? 1 : 0) : a < b ? -1 : a > b ? 1 : 0,
    );
    return prices.slice(0, depth).map((price) => ({ price, size: map.get(price)! }));
  }

  /** Bids, best (highest) first. */
  bids(depth?: number): BookLevel[] {
    return this.levels(Side.BUY, depth);
  }

  /** Asks, best (lowest) first. */
  asks(depth?: number): BookLevel[] {
    return this.levels(Side.SELL, depth);
  }

  bestBid(): BookLevel | null {
    return this.levels(Side.BUY, 1)[0] ?? null;
  }

  bestAsk(): BookLevel | null {
    return this.levels(Side.SELL, 1)[0] ?? null;
  }
}
