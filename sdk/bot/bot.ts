/**
 * The market-maker bot, built only on the SDK: each cycle reads the oracle, its account and its
 * open orders, hedges its net delta with the perpetual, prices perp and option quotes
 * (sdk/bot/quoter.ts) with several levels a side on the perp (sizes growing away from the
 * touch), drops any quote its margin could not carry, and reconciles the book with the SDK's
 * batch calls: unchanged quotes stay, a quote whose size only went down is amended in place (it
 * keeps its priority), changed ones are cancelled and placed again in one batch each, unwanted
 * ones are cancelled. Each quote carries its level in its client order id (`q:instrument:side:level`).
 *
 * It streams its fills with cancel-on-disconnect: a fill triggers an immediate requote, and if
 * the bot loses the venue its quotes are pulled by the venue itself.
 *
 * Money and sizes are bigint (quote units 1e-6 USDC, cents, 1e-4 units); only the option model
 * uses floating point, converted to ticks in the quoter.
 */
import type { Logger } from "pino";
import { EMPTY_POSITION } from "../../protocol/account.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import type { Marks } from "../../protocol/margin.ts";
import type { Account, Position, Profile } from "../../protocol/types.ts";
import type { TesseraClient } from "../client.ts";
import { RateLimitError, TesseraApiError } from "../errors.ts";
import { TesseraStream } from "../stream.ts";
import type { AccountSummary, Market, OpenOrder, OracleUnderlying } from "../wire.ts";
import { fitsMargin, hedgeOrder, ladder, portfolioGreeks, quoteOption, quotePerp } from "./quoter.ts";
import type { Greeks, OptionParams, Quote, TwoSidedQuote } from "./quoter.ts";
import { DEFAULT_SURFACE, VolSurface } from "./volsurface.ts";
import type { SurfaceParams } from "./volsurface.ts";

export interface BotConfig {
  /** Underlyings to make markets in (1 = ETH, 2 = BTC). */
  readonly underlyings: readonly number[];
  /** Notional of each perp quote, quote units (1e-6 USDC). */
  readonly perpNotional: bigint;
  readonly perpHalfSpreadBps: bigint;
  /** Perp quote levels a side: level i sits i steps behind the touch with (i + 1)× the size. */
  readonly perpLevels: number;
  /** Distance between levels, basis points of the price (at least one tick). */
  readonly levelStepBps: bigint;
  /** Reservation-price shift at the delta limit, basis points. */
  readonly perpSkewBpsAtMax: bigint;
  /** Net delta limit per underlying as notional, quote units: beyond it the adding side stops. */
  readonly maxDeltaNotional: bigint;
  /** Hedge when |net delta| exceeds this notional, quote units. */
  readonly hedgeBandNotional: bigint;
  /** Worst price of a hedge, basis points from the index. */
  readonly hedgeSlippageBps: bigint;
  /** Option instruments quoted per underlying: nearest expiry, strikes nearest the money. */
  readonly optionsPerUnderlying: number;
  /** Options nearest the money to leave to other bots before this one's (a shared chain). */
  readonly optionOffset: number;
  /** Notional of each option quote (contracts × spot), quote units. */
  readonly optionNotional: bigint;
  /** Option position limit per instrument as notional, quote units. */
  readonly maxOptionNotional: bigint;
  readonly option: Omit<OptionParams, "size" | "maxPosition">;
  readonly surface: SurfaceParams;
  /** A quote must leave equity ≥ bufferBps/10^4 × initial margin if it filled (15000 = 150%). */
  readonly marginBufferBps: bigint;
  /** Requote interval, ms. */
  readonly intervalMs: number;
}

export const DEFAULT_BOT_CONFIG: BotConfig = {
  underlyings: [1],
  perpNotional: 3_000_000_000n, // 3,000 USDC
  perpHalfSpreadBps: 5n,
  perpLevels: 3,
  levelStepBps: 5n,
  perpSkewBpsAtMax: 10n,
  maxDeltaNotional: 30_000_000_000n,
  hedgeBandNotional: 6_000_000_000n,
  hedgeSlippageBps: 50n,
  optionsPerUnderlying: 2,
  optionOffset: 0,
  optionNotional: 3_000_000_000n,
  maxOptionNotional: 30_000_000_000n,
  option: { volSpread: 0.03, minSpreadTicks: 1n, skewVolAtMax: 0.05, minSecondsToExpiry: 3600n, rate: 0 },
  surface: DEFAULT_SURFACE,
  marginBufferBps: 15_000n,
  intervalMs: 2000,
};

/** What one cycle did, for logs and tests. */
export interface CycleReport {
  /** Unix seconds. */
  readonly time: bigint;
  readonly quotes: readonly TwoSidedQuote[];
  /** Net greeks per underlying after the cycle's hedge (USD; delta in units). */
  readonly greeks: ReadonlyMap<number, Greeks>;
  readonly hedge: { readonly order: Quote; readonly status: string; readonly filled: bigint } | null;
  readonly kept: number;
  /** Quotes whose size only went down: amended in place. */
  readonly amended: number;
  readonly placed: number;
  readonly replaced: number;
  readonly cancelled: number;
  /** Quotes dropped before sending: margin or position slots. */
  readonly droppedForMargin: number;
  readonly rejected: readonly { readonly name: string; readonly side: string; readonly code: string }[];
  readonly equity: bigint;
  readonly initialMargin: bigint;
}

const SIZE_SCALE = 10_000n;
/** Orders per batch request (the venue's limit). */
const BATCH = 50;

/** The client order id of a quote: its instrument, side and level. */
function quoteId(q: Quote, level: number): string {
  return `q:${q.instrument}:${q.side}:${level}`;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

/** The account as protocol/margin sees it (keys and order root do not affect margin). */
function protocolAccount(summary: AccountSummary, profile: Profile): Account {
  const positions: Position[] = summary.positions.map((p) => ({
    instrument: p.instrument,
    size: p.size,
    cost: p.cost,
  }));
  while (positions.length < profile.positions) positions.push(EMPTY_POSITION);
  return { pkHash: 0n, owner: 0n, collateral: summary.collateral, orderRoot: 0n, positions };
}

function marksOf(oracle: readonly OracleUnderlying[]): Marks {
  const sorted = [...oracle].sort((a, b) => a.underlying - b.underlying);
  return { prices: sorted.map((u) => u.indexPrice), fundingIndex: sorted.map((u) => u.fundingIndex) };
}

export class MarketMaker {
  private readonly surface: VolSurface;
  private stream: TesseraStream | null = null;
  private running = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: TesseraClient,
    private readonly config: BotConfig,
    private readonly log: Logger,
    /** Wall clock, unix ms. */
    private readonly clock: () => number = Date.now,
  ) {
    this.surface = new VolSurface(config.surface);
  }

  /** One quoting cycle (see the module comment). */
  async cycle(): Promise<CycleReport> {
    const now = BigInt(Math.floor(this.clock() / 1000));
    const [profile, markets, oracle] = await Promise.all([
      this.client.profile(),
      this.client.instruments(),
      this.client.oracle(),
    ]);
    const marks = marksOf(oracle);
    const byId = new Map(markets.map((m) => [m.instrument, m]));

    // Hedge first, so quotes are skewed by the delta that remains.
    let summary = await this.client.account();
    let hedge: CycleReport["hedge"] = null;
    for (const u of this.config.underlyings) {
      const perp = markets.find((m) => m.kind === "perp" && m.underlying === u)!;
      const index = marks.prices[u - 1]!;
      const g = this.greeksOf(summary, byId, u, index, now);
      // Units of the underlying: notional (1e-6 USDC) / (cents × 10^4 size units per unit).
      const band = Number(this.config.hedgeBandNotional) / Number(index * SIZE_SCALE);
      const order = hedgeOrder(perp, index, g.delta, band, this.config.hedgeSlippageBps);
      // The venue checks the hedge's margin (a reducing trade passes with equity ≥ 0).
      if (order === null) continue;
      try {
        const r = await this.client.placeOrder({ ...order, timeInForce: "IOC" });
        hedge = { order, status: r.status, filled: r.filled };
        this.log.info(
          { instrument: perp.name, side: order.side, size: order.size.toString(), filled: r.filled.toString() },
          "delta hedge",
        );
      } catch (e) {
        if (!(e instanceof TesseraApiError) || e instanceof RateLimitError) throw e;
        this.log.warn({ code: e.code, message: e.message }, "hedge refused");
      }
      summary = await this.client.account();
    }

    const account = protocolAccount(summary, profile);
    const quotes: TwoSidedQuote[] = [];
    const greeks = new Map<number, Greeks>();
    const held = new Set(summary.positions.map((p) => p.instrument));
    let freeSlots = profile.positions - held.size;
    for (const u of this.config.underlyings) {
      const index = marks.prices[u - 1]!;
      const g = this.greeksOf(summary, byId, u, index, now);
      greeks.set(u, g);
      const perp = markets.find((m) => m.kind === "perp" && m.underlying === u)!;
      const netDelta = BigInt(Math.round(g.delta * Number(SIZE_SCALE)));
      quotes.push(
        quotePerp(perp, index, netDelta, {
          halfSpreadBps: this.config.perpHalfSpreadBps,
          // size × price = notional exactly (docs/protocol.md §1).
          size: this.config.perpNotional / index,
          maxDelta: this.config.maxDeltaNotional / index,
          skewBpsAtMax: this.config.perpSkewBpsAtMax,
        }),
      );
      // Keep a position slot for the perpetual hedge if it is not held yet.
      if (!held.has(perp.instrument)) freeSlots -= 1;
      for (const m of this.optionUniverse(markets, u, index, now)) {
        if (!held.has(m.instrument)) {
          if (freeSlots <= 0) continue;
          freeSlots -= 1;
        }
        const position = summary.positions.find((p) => p.instrument === m.instrument)?.size ?? 0n;
        const q = quoteOption(m, index, now, position, this.surface, {
          ...this.config.option,
          size: this.config.optionNotional / index,
          maxPosition: this.config.maxOptionNotional / index,
        });
        if (q !== null) quotes.push(q);
      }
    }

    // Respect the order tree: one slot stays free for the next hedge. Touches first (every
    // instrument keeps a two-sided quote), then the deeper perp levels while slots remain.
    const capacity = 2 ** profile.orderDepth - 1;
    const candidates: { quote: Quote; id: string; level: number }[] = [];
    for (const q of quotes) {
      const market = byId.get(q.instrument)!;
      const levels = market.kind === "perp" ? this.config.perpLevels : 1;
      for (const side of [q.bid, q.ask]) {
        if (side === null) continue;
        ladder(side, market, levels, this.config.levelStepBps).forEach((quote, level) =>
          candidates.push({ quote, id: quoteId(quote, level), level }),
        );
      }
    }
    candidates.sort((a, b) => a.level - b.level);
    const wanted: { quote: Quote; id: string }[] = [];
    let droppedForMargin = 0;
    for (const c of candidates) {
      if (wanted.length >= capacity) continue;
      if (fitsMargin(account, marks, c.quote, this.config.marginBufferBps)) wanted.push(c);
      else droppedForMargin += 1;
    }
    const result = await this.reconcile(wanted, await this.client.openOrders());
    const report: CycleReport = {
      time: now,
      quotes,
      greeks,
      hedge,
      droppedForMargin,
      equity: summary.equity,
      initialMargin: summary.initialMargin,
      ...result,
    };
    this.log.info(
      {
        quotes: quotes.map((q) => ({
          name: q.name,
          bid: q.bid?.price.toString() ?? null,
          ask: q.ask?.price.toString() ?? null,
          theo: q.theo.toString(),
          vol: q.vol,
          ...q.greeks,
        })),
        greeks: Object.fromEntries(greeks),
        kept: result.kept,
        amended: result.amended,
        placed: result.placed,
        replaced: result.replaced,
        cancelled: result.cancelled,
        rejected: result.rejected,
        droppedForMargin,
        equity: summary.equity.toString(),
        initialMargin: summary.initialMargin.toString(),
      },
      "quotes",
    );
    return report;
  }

  /** Net greeks of the account's positions in underlying `u`. */
  private greeksOf(
    summary: AccountSummary,
    markets: Map<bigint, Market>,
    u: number,
    index: bigint,
    now: bigint,
  ): Greeks {
    const positions = summary.positions
      .filter((p) => decodeInstrument(p.instrument).underlying === u && markets.has(p.instrument))
      .map((p) => ({ market: markets.get(p.instrument)!, size: p.size }));
    return portfolioGreeks(positions, index, now, this.surface, this.config.option.rate);
  }

  /**
   * The nearest live expiry's options, strikes nearest the money, calls and puts alternately,
   * from `optionOffset` on.
   */
  private optionUniverse(markets: readonly Market[], u: number, index: bigint, now: bigint): Market[] {
    const live = markets.filter(
      (m) => m.kind !== "perp" && m.underlying === u && m.expiry - now >= this.config.option.minSecondsToExpiry,
    );
    if (live.length === 0) return [];
    const expiry = live.reduce((e, m) => (m.expiry < e ? m.expiry : e), live[0]!.expiry);
    const distance = (m: Market): bigint => (m.strike > index ? m.strike - index : index - m.strike);
    return live
      .filter((m) => m.expiry === expiry)
      .sort((a, b) => {
        const d = distance(a) - distance(b);
        return d !== 0n ? (d < 0n ? -1 : 1) : a.kind === b.kind ? 0 : a.kind === "call" ? -1 : 1;
      })
      .slice(this.config.optionOffset, this.config.optionOffset + this.config.optionsPerUnderlying);
  }

  /**
   * Makes the open orders equal `wanted` (matched by client order id): keep, amend a size that
   * went down at the same price, cancel the rest in batches, then place what is missing in
   * batches (post-only). Cancels go first so that slots free up and a moved quote never meets
   * its old self.
   */
  private async reconcile(wanted: readonly { quote: Quote; id: string }[], open: readonly OpenOrder[]) {
    let kept = 0;
    let amended = 0;
    let replaced = 0;
    const rejected: { name: string; side: string; code: string }[] = [];
    const existing = new Map<string, OpenOrder>();
    const cancel: OpenOrder[] = [];
    for (const o of open) {
      if (o.clientOrderId === null || existing.has(o.clientOrderId)) cancel.push(o);
      else existing.set(o.clientOrderId, o);
    }
    const wantedIds = new Set(wanted.map((w) => w.id));
    for (const [id, o] of existing) if (!wantedIds.has(id)) cancel.push(o);
    const unwanted = cancel.length;
    const place: { quote: Quote; id: string; replacing: boolean }[] = [];
    for (const w of wanted) {
      const o = existing.get(w.id);
      if (o !== undefined && o.price === w.quote.price && o.remaining === w.quote.size) kept += 1;
      else if (o !== undefined && o.price === w.quote.price && w.quote.size < o.remaining) {
        try {
          await this.client.amendOrder(o.orderId, o.filled + w.quote.size);
          amended += 1;
        } catch (e) {
          if (!(e instanceof TesseraApiError) || e instanceof RateLimitError) throw e;
          rejected.push({ name: o.name, side: o.side, code: e.code });
        }
      } else {
        if (o !== undefined) cancel.push(o);
        place.push({ ...w, replacing: o !== undefined });
      }
    }
    for (const batch of chunks(cancel)) await this.client.cancelOrders(batch.map((o) => o.orderId));
    let placed = 0;
    for (const batch of chunks(place)) {
      const results = await this.client.placeOrders(
        batch.map((w) => ({ ...w.quote, postOnly: true, clientOrderId: w.id })),
      );
      results.forEach((r, i) => {
        if (r.ok && batch[i]!.replacing) replaced += 1;
        else if (r.ok) placed += 1;
        else rejected.push({ name: batch[i]!.id, side: batch[i]!.quote.side, code: r.code });
      });
    }
    return { kept, amended, placed, replaced, cancelled: unwanted, rejected };
  }

  /**
   * Quotes every `intervalMs` and after each own fill, until `stop()`. Streams with
   * cancel-on-disconnect; rate limits pause the loop for the wait the venue asks.
   */
  async run(): Promise<void> {
    this.running = true;
    this.stream = new TesseraStream({ url: this.client.url, client: this.client, cancelOnDisconnect: true });
    this.stream.on("fill", () => this.wake?.());
    this.stream.on("open", ({ reconnect }) => {
      if (reconnect) this.wake?.();
    });
    this.stream.on("close", ({ retryInMs }) => {
      if (retryInMs !== null)
        this.log.warn({ retryInMs }, "stream dropped: the venue cancels the quotes; reconnecting");
    });
    await this.stream.connect();
    while (this.running) {
      let waitMs = this.config.intervalMs;
      try {
        await this.cycle();
      } catch (e) {
        if (e instanceof RateLimitError) waitMs = Math.max(waitMs, e.retryAfterMs);
        this.log.error({ err: e }, "cycle failed");
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Stops the loop, pulls every quote and closes the stream. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    try {
      await this.client.cancelAll();
    } finally {
      this.stream?.close();
    }
  }
}
