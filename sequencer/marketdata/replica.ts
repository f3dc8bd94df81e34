/**
 * The market-data process's copy of the venue's public state: every book's price levels with
 * their sequence number, each market's recent trades and running stats, the oracle prices and
 * the health gate. It is built from an `init` message and kept current by the core's `updates`
 * (sequencer/marketdata/messages.ts), in the core's order.
 *
 * Guarantee: after applying the core's messages, every snapshot, trade list and ticker equals
 * what the core's own routes answer for the same state (test/sequencer/marketdata.test.ts). The
 * core may take `init` while the events of its last commands wait for their journal commit: a
 * book update or a trade that `init` already holds (by the book's `seq`, by `tradeId`) is
 * skipped. A book update that skips a sequence number throws: the copy would be wrong from then
 * on.
 */
import { Side } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";
import type { BookSnapshot, LevelChange } from "../core/engine/book.ts";
import type { Fill } from "../core/engine/engine.ts";
import type { Market } from "../core/engine/markets.ts";
import type { MarketStats } from "../core/sequencer.ts";
import { SequencerError } from "../errors.ts";
import type { HealthWire, MarketDataInit, MarketDataEvent } from "./messages.ts";

interface Level {
  size: bigint;
  orders: number;
}

class BookCopy {
  seq: bigint;
  private readonly sides: readonly [Map<bigint, Level>, Map<bigint, Level>] = [new Map(), new Map()];

  constructor(snapshot: BookSnapshot) {
    this.seq = snapshot.seq;
    for (const [price, size, orders] of snapshot.bids) this.sides[Side.BUY].set(price, { size, orders });
    for (const [price, size, orders] of snapshot.asks) this.sides[Side.SELL].set(price, { size, orders });
  }

  /** Applies one published batch of level changes; false when the copy already holds it. */
  apply(instrument: bigint, seq: bigint, changes: readonly LevelChange[]): boolean {
    if (seq <= this.seq) return false;
    if (seq !== this.seq + 1n) throw new Error(`market data: book ${instrument} jumped from seq ${this.seq} to ${seq}`);
    for (const c of changes) {
      const side = this.sides[c.side];
      if (c.size === 0n) side.delete(c.price);
      else side.set(c.price, { size: c.size, orders: c.orders });
    }
    this.seq = seq;
    return true;
  }

  /** Best `side` price, or null. */
  best(side: SideCode): bigint | null {
    let best: bigint | null = null;
    for (const price of this.sides[side].keys())
      if (best === null || (side === Side.BUY ? price > best : price < best)) best = price;
    return best;
  }

  snapshot(instrument: bigint, depth: number): BookSnapshot {
    const side = (s: SideCode): [bigint, bigint, number][] =>
      [...this.sides[s]]
        .sort(([a], [b]) => (s === Side.BUY ? (a > b ? -1 : a < b ? 1 : 0) : a < b ? -1 : a > b ? 1 : 0))
        .slice(0, depth)
        .map(([price, l]) => [price, l.size, l.orders]);
    return { instrument, seq: this.seq, bids: side(Side.BUY), asks: side(Side.SELL) };
  }
}

export class MarketReplica {
  private readonly markets = new Map<bigint, Market>();
  private readonly books = new Map<bigint, BookCopy>();
  private readonly trades = new Map<bigint, Fill[]>();
  private readonly stats = new Map<bigint, MarketStats>();
  private oracle: readonly bigint[] = [];
  /** The newest trade held (trade ids are the venue's fill sequence, across markets). */
  private lastTradeId = -1n;
  health: HealthWire;
  private readonly recentTrades: number;

  constructor(init: MarketDataInit) {
    this.recentTrades = init.recentTrades;
    this.health = init.health;
    this.oracle = init.oraclePrices;
    for (const m of init.markets) this.list(m);
    for (const b of init.books) this.books.set(b.instrument, new BookCopy(b));
    for (const [instrument, fills] of init.trades) {
      this.trades.set(instrument, [...fills]);
      for (const f of fills) if (f.tradeId > this.lastTradeId) this.lastTradeId = f.tradeId;
    }
    for (const [instrument, s] of init.stats) this.stats.set(instrument, { ...s });
  }

  private list(m: Market): void {
    if (this.markets.has(m.instrument)) return;
    this.markets.set(m.instrument, m);
    this.books.set(m.instrument, new BookCopy({ instrument: m.instrument, seq: 0n, bids: [], asks: [] }));
    this.trades.set(m.instrument, []);
    this.stats.set(m.instrument, { lastPrice: null, volume: 0n, trades: 0n });
  }

  /** Applies one event in the core's order; true when it is news to publish. */
  apply(e: MarketDataEvent): boolean {
    switch (e.type) {
      case "markets":
        for (const m of e.markets) this.list(m);
        return false;
      case "oracle":
        this.oracle = e.prices;
        return false;
      case "health":
        this.health = e.health;
        return true;
      case "book":
        return this.bookOf(e.instrument).apply(e.instrument, e.seq, e.changes);
      case "trade": {
        const f = e.fill;
        if (f.tradeId <= this.lastTradeId) return false;
        this.lastTradeId = f.tradeId;
        const list = this.trades.get(f.instrument);
        const s = this.stats.get(f.instrument);
        if (list === undefined || s === undefined) throw new Error(`market data: trade in unlisted ${f.instrument}`);
        // The same running figures as Sequencer.publish.
        list.push(f);
        if (list.length > this.recentTrades) list.shift();
        s.lastPrice = f.price;
        s.volume += f.size;
        s.trades += 1n;
        return true;
      }
    }
  }

  private bookOf(instrument: bigint): BookCopy {
    const b = this.books.get(instrument);
    if (b === undefined) throw new Error(`market data: book of unlisted ${instrument}`);
    return b;
  }

  /** The market of `instrument`; throws UNKNOWN_INSTRUMENT as the core does. */
  market(instrument: bigint): Market {
    const m = this.markets.get(instrument);
    if (m === undefined) throw new SequencerError("UNKNOWN_INSTRUMENT", `instrument ${instrument} is not listed`);
    return m;
  }

  listMarkets(): Market[] {
    return [...this.markets.values()];
  }

  snapshot(instrument: bigint, depth: number): BookSnapshot {
    this.market(instrument);
    return this.bookOf(instrument).snapshot(instrument, depth);
  }

  best(instrument: bigint): { bid: bigint | null; ask: bigint | null } {
    const b = this.bookOf(instrument);
    return { bid: b.best(Side.BUY), ask: b.best(Side.SELL) };
  }

  /** Newest first, as `Sequencer.recentTrades`. */
  recent(instrument: bigint, limit: number): Fill[] {
    this.market(instrument);
    return (this.trades.get(instrument) ?? []).slice(-limit).reverse();
  }

  marketStats(instrument: bigint): MarketStats {
    this.market(instrument);
    return this.stats.get(instrument)!;
  }

  /** Oracle prices, index u-1 for underlying u, cents. */
  get oraclePrices(): readonly bigint[] {
    return this.oracle;
  }

  /** Oracle price of underlying `u` (1-based), cents. */
  oraclePrice(u: number): bigint {
    return this.oracle[u - 1]!;
  }
}
