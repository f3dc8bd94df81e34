/**
 * Liquidation candidates by price (issue 16 item 2): the accounts a liquidation pass must look
 * at, without scanning every registered account on every oracle tick or funding update.
 * Guarantee: `candidates()` returns every registered account that is `belowMM` at the prices
 * and funding indices it is given (a superset; the liquidator re-checks each with `belowMM`).
 *
 * For every registered account the index keeps, per underlying `u` the account holds a position
 * in, an interval `[lo, hi]` of `u`'s price: protocol/'s `maintenanceInterval` with one share of
 * the account's maintenance headroom per underlying it holds, computed at the prices and funding
 * indices of the account's last examination. While every price lies in its interval the account
 * is not `belowMM`, however many prices move at once (the headroom is a sum of one term per
 * underlying; see `maintenanceInterval`). The intervals sit in two heaps per underlying, by `hi`
 * (least first) and by `lo` (greatest first), so a move of `u` to `p` pops exactly the accounts
 * with `hi < p` or `lo > p`: the ones whose interval it left.
 *
 * An account is a candidate, and is examined again (`belowMM`, then its intervals recomputed at
 * the current prices), when:
 * - a transaction wrote its record since the last pass (`touch`, from `ProtocolLedger.apply`:
 *   fills, deposits, withdrawals, liquidations, settlements, forced operations);
 * - the price of an underlying it holds left that underlying's interval;
 * - the funding index of an underlying it holds changed (a funding update re-examines every
 *   holder of that underlying: once per funding interval, not per tick);
 * - it was below maintenance margin at its last examination (it stays a candidate until it is
 *   not), or it was never examined.
 * Otherwise its record and the funding indices it depends on are as at its last examination and
 * every price it depends on lies in its interval: the account is not below maintenance margin.
 * The index never misses an account (test/sequencer/candidates.test.ts checks it against the
 * full scan over random histories).
 *
 * Derived state: everything here is a function of the account records, the registered accounts
 * (in registration order) and the prices, and the liquidations the venue makes do not depend on
 * it (only how many accounts a pass examines). A snapshot stores it anyway (`toSnapshot`), since
 * rebuilding it examines every registered account once (about 50 µs each: a minute of the
 * matching thread at a million accounts, on the first tick after a restart). An index that does
 * not match the registered set (a ledger restored without one) rebuilds itself on the next pass.
 * Pure and deterministic: no clock, no I/O.
 */
import { belowMM, maintenanceInterval } from "../../../protocol/margin.ts";
import { decodeInstrument } from "../../../protocol/instruments.ts";
import type { StateView } from "../../../protocol/check.ts";
import type { Account } from "../../../protocol/types.ts";

/** A heap entry: an interval end of account `id`, valid while the account's `version` is this one. */
export interface Entry {
  readonly key: bigint;
  readonly id: bigint;
  readonly version: number;
}

/** A binary heap of entries; `first(a, b)` is true when `a` comes out before `b`. */
class Heap {
  private items: Entry[] = [];

  constructor(private readonly first: (a: bigint, b: bigint) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  /** The entries in heap order (a snapshot; `load` takes them back). */
  entries(): readonly Entry[] {
    return this.items;
  }

  /** Replaces the contents with entries `entries()` returned (already in heap order). */
  load(items: readonly Entry[]): void {
    this.items = items.slice();
  }

  push(e: Entry): void {
    const items = this.items;
    let i = items.length;
    items.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.first(e.key, items[parent]!.key)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = e;
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) this.siftDown(last, 0);
    return top;
  }

  /** Keeps only the entries `keep` accepts (dropping stale ones), in O(n). */
  retain(keep: (e: Entry) => boolean): void {
    const kept = this.items.filter(keep);
    this.items = kept;
    for (let i = (kept.length >> 1) - 1; i >= 0; i--) this.siftDown(kept[i]!, i);
  }

  private siftDown(e: Entry, from: number): void {
    const items = this.items;
    const n = items.length;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.first(items[child + 1]!.key, items[child]!.key)) child += 1;
      if (!this.first(items[child]!.key, e.key)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = e;
  }
}

/** What the index holds for one account since its last examination. */
export interface Watched {
  readonly version: number;
  /** Underlyings (0-based) with an entry in the heaps and in `holders`. */
  readonly underlyings: readonly number[];
}

/** Underlyings (0-based, ascending) of the account's open positions. */
function underlyingsOf(account: Account): number[] {
  const out: number[] = [];
  for (const p of account.positions) {
    if (p.size === 0n) continue;
    const u = decodeInstrument(p.instrument).underlying - 1;
    if (!out.includes(u)) out.push(u);
  }
  return out.sort((a, b) => a - b);
}

/** How many stale entries a heap may carry (beyond its live ones) before it is compacted. */
const SLACK = 1024;

/** A `LiquidationIndex` as plain data (`toSnapshot`), for the ledger's snapshot. */
export interface LiquidationIndexSnapshot {
  readonly ordinal: ReadonlyMap<bigint, number>;
  readonly dirty: ReadonlySet<bigint>;
  readonly below: ReadonlySet<bigint>;
  readonly watched: ReadonlyMap<bigint, Watched>;
  readonly holders: readonly ReadonlySet<bigint>[];
  readonly his: readonly (readonly Entry[])[];
  readonly los: readonly (readonly Entry[])[];
  readonly version: number;
  readonly funding: readonly bigint[] | null;
}

/** The liquidation index (see the file's header). */
export class LiquidationIndex {
  /** Registration order of each account the index knows (the order the full scan uses). */
  private readonly ordinal = new Map<bigint, number>();
  /** Accounts written since the last pass, or never examined. */
  private readonly dirty = new Set<bigint>();
  /** Accounts below maintenance margin at their last examination. */
  private readonly below = new Set<bigint>();
  private readonly watched = new Map<bigint, Watched>();
  /** Per underlying: accounts holding a position in it (healthy at their last examination). */
  private readonly holders: Set<bigint>[];
  /** Per underlying: interval ends `hi`, least first, and `lo`, greatest first. */
  private readonly his: Heap[];
  private readonly los: Heap[];
  /** The last version handed out: each examination stamps the account's entries with a new one. */
  private version = 0;
  /** Funding indices of the last pass (null before the first). */
  private funding: readonly bigint[] | null = null;
  /** Counters since construction: passes, and accounts examined (returned as candidates). */
  readonly stats = { passes: 0, examined: 0 };

  constructor(
    /** The ledger's registered accounts, in registration order (read, never written). */
    private readonly registered: ReadonlySet<bigint>,
    underlyings: number,
  ) {
    const per = <T>(make: () => T): T[] => Array.from({ length: underlyings }, make);
    this.holders = per(() => new Set());
    this.his = per(() => new Heap((a, b) => a < b));
    this.los = per(() => new Heap((a, b) => a > b));
  }

  /**
   * Accounts a transaction wrote (`CheckOutcome.accounts`), after the ledger registered a
   * deposit's account: each registered one is examined again at the next pass.
   */
  touch(ids: readonly bigint[]): void {
    for (const id of ids) {
      if (!this.ordinal.has(id)) {
        if (!this.registered.has(id)) continue;
        // Registered by a deposit just now (the newest registration), or restored: then the
        // registration order comes from the ledger's set, all at once.
        if (this.registered.size !== this.ordinal.size + 1) {
          this.rebuild();
          continue;
        }
        this.ordinal.set(id, this.ordinal.size);
      }
      this.dirty.add(id);
    }
  }

  /**
   * The index as plain data. It references the live structures: serialize it at once (the
   * ledger's snapshot is encoded before the next command runs).
   */
  toSnapshot(): LiquidationIndexSnapshot {
    return {
      ordinal: this.ordinal,
      dirty: this.dirty,
      below: this.below,
      watched: this.watched,
      holders: this.holders,
      his: this.his.map((h) => h.entries()),
      los: this.los.map((h) => h.entries()),
      version: this.version,
      funding: this.funding,
    };
  }

  /** Takes the state `toSnapshot` wrote (on an index of the same underlyings and registered set). */
  restore(s: LiquidationIndexSnapshot): void {
    if (s.holders.length !== this.holders.length || s.his.length !== this.his.length)
      throw new Error(
        `internal: a liquidation index of ${s.holders.length} underlyings restored on ${this.holders.length}`,
      );
    const refill = <K, V>(to: Map<K, V>, from: ReadonlyMap<K, V>) => {
      to.clear();
      for (const [k, v] of from) to.set(k, v);
    };
    const refillSet = <K>(to: Set<K>, from: ReadonlySet<K>) => {
      to.clear();
      for (const k of from) to.add(k);
    };
    refill(this.ordinal, s.ordinal);
    refillSet(this.dirty, s.dirty);
    refillSet(this.below, s.below);
    refill(this.watched, s.watched);
    this.holders.forEach((h, u) => refillSet(h, s.holders[u]!));
    this.his.forEach((h, u) => h.load(s.his[u]!));
    this.los.forEach((h, u) => h.load(s.los[u]!));
    this.version = s.version;
    this.funding = s.funding;
  }

  /** Forgets everything and takes every registered account as never examined (after a restore). */
  rebuild(): void {
    this.ordinal.clear();
    this.dirty.clear();
    this.below.clear();
    this.watched.clear();
    for (const s of this.holders) s.clear();
    for (const h of [...this.his, ...this.los]) h.retain(() => false);
    this.funding = null;
    for (const id of this.registered) {
      this.ordinal.set(id, this.ordinal.size);
      this.dirty.add(id);
    }
  }

  /**
   * Every registered account that may be below maintenance margin at `prices` and `state`'s
   * funding indices (all that are, perhaps more), in registration order. Each returned account
   * is examined again (its intervals recomputed at these prices), so the next pass returns it
   * only if something moves again; the caller's later writes reach the index through `touch`.
   */
  candidates(state: StateView, prices: readonly bigint[]): bigint[] {
    if (this.registered.size !== this.ordinal.size) this.rebuild();
    const marks = state.marks(prices);
    const funding = marks.fundingIndex;
    const out = new Set<bigint>(this.dirty);
    for (const id of this.below) out.add(id);
    for (let u = 0; u < this.holders.length; u++) {
      const p = prices[u]!;
      const current = (e: Entry): boolean => this.watched.get(e.id)?.version === e.version;
      for (const [heap, left] of [
        [this.his[u]!, (k: bigint) => k < p],
        [this.los[u]!, (k: bigint) => k > p],
      ] as const) {
        for (let top = heap.peek(); top !== undefined && left(top.key); top = heap.peek()) {
          heap.pop();
          if (current(top)) out.add(top.id);
        }
      }
      if (this.funding !== null && this.funding[u] !== funding[u]) for (const id of this.holders[u]!) out.add(id);
    }
    for (const id of out) this.examine(id, state.account(id), marks);
    this.dirty.clear();
    this.funding = funding.slice();
    for (let u = 0; u < this.holders.length; u++) {
      const live = this.holders[u]!.size;
      for (const heap of [this.his[u]!, this.los[u]!])
        if (heap.size > 2 * live + SLACK) heap.retain((e) => this.watched.get(e.id)?.version === e.version);
    }
    this.stats.passes += 1;
    this.stats.examined += out.size;
    const ordinal = this.ordinal;
    return [...out].sort((a, b) => ordinal.get(a)! - ordinal.get(b)!);
  }

  /** Recomputes one account's intervals at `marks` (its old heap entries go stale). */
  private examine(id: bigint, account: Account, marks: ReturnType<StateView["marks"]>): void {
    const old = this.watched.get(id);
    if (old !== undefined) for (const u of old.underlyings) this.holders[u]!.delete(id);
    this.below.delete(id);
    const version = ++this.version;
    if (belowMM(account, marks)) {
      this.below.add(id);
      this.watched.set(id, { version, underlyings: [] });
      return;
    }
    const underlyings = underlyingsOf(account);
    for (const u of underlyings) {
      const interval = maintenanceInterval(account, marks, u + 1, underlyings.length);
      if (interval === null) throw new Error(`internal: account ${id} passes belowMM but has no interval`);
      this.his[u]!.push({ key: interval.hi, id, version });
      this.los[u]!.push({ key: interval.lo, id, version });
      this.holders[u]!.add(id);
    }
    this.watched.set(id, { version, underlyings });
  }
}
