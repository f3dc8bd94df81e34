/**
 * The demo's taker flow: a small, seeded stream of market orders (IOC with a protective limit)
 * on the perpetuals, so that the chart, the trades and the fills move from the first minute.
 * Sides and sizes come from a seeded generator (the same sequence in every run); when the
 * account's position in a perp reaches `maxPosition` the flow only reduces it, so it never
 * runs out of margin. It never outruns the provers: while `maxBacklog` or more batches wait for
 * their proof it skips its turn (each trade closes a batch within the batch age, and a demo
 * proof takes seconds to minutes on a busy machine; past the venue's backlog bound the health
 * gate would turn the venue cancel-only). Only the SDK is used.
 */
import type { TesseraClient } from "../../sdk/client.ts";
import { TesseraApiError } from "../../sdk/errors.ts";
import { ceilTo, floorTo, minimumSize } from "../../sdk/orders.ts";
import type { Market } from "../../sdk/wire.ts";
import { SeededRandom } from "./oracle.ts";

export interface TakerFlowOptions {
  /** Time between orders, ms. */
  readonly intervalMs: number;
  readonly seed: bigint;
  /** Largest order, as a multiple of the market's minimum size. */
  readonly maxLots: bigint;
  /** |position| (1e-4 units) from which the flow only reduces, per perp. */
  readonly maxPosition: bigint;
  /** Protective limit of each market order, basis points through the index. */
  readonly slippageBps: bigint;
  /** The flow waits while this many batches or more are not proved yet. */
  readonly maxBacklog: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_TAKER_FLOW: Omit<TakerFlowOptions, "seed" | "log"> = {
  intervalMs: 5000,
  maxLots: 20n,
  maxPosition: 20_000n, // 2 units
  slippageBps: 100n,
  maxBacklog: 3,
};

/** One order of the flow: which perp, side and size, from the generator and the positions. */
export function nextTake(
  random: SeededRandom,
  perps: readonly Market[],
  positions: ReadonlyMap<bigint, bigint>,
  maxLots: bigint,
  maxPosition: bigint,
): { market: Market; side: "buy" | "sell"; size: bigint } {
  const market = perps[Number(random.between(0n, BigInt(perps.length - 1)))]!;
  const held = positions.get(market.instrument) ?? 0n;
  let side: "buy" | "sell" = random.between(0n, 1n) === 0n ? "buy" : "sell";
  if (held >= maxPosition) side = "sell";
  if (held <= -maxPosition) side = "buy";
  const lots = random.between(1n, maxLots);
  return { market, side, size: floorTo(lots * market.minSize, market.lotSize) };
}

/** Starts the flow; the returned function stops it (after the order in flight). */
export function startTakerFlow(client: TesseraClient, options: TakerFlowOptions): () => Promise<void> {
  const random = new SeededRandom(options.seed);
  let running = true;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.intervalMs);
      });
      if (!running) break;
      try {
        const status = await client.status();
        if (status.unprovedBatches.length >= options.maxBacklog) {
          options.log(`waiting: ${status.unprovedBatches.length} batches not proved yet`);
          continue;
        }
        const [markets, oracle, account] = await Promise.all([client.instruments(), client.oracle(), client.account()]);
        const perps = markets.filter((m) => m.kind === "perp" && m.status === "active");
        if (perps.length === 0) continue;
        const positions = new Map(account.positions.map((p) => [p.instrument, p.size]));
        const take = nextTake(random, perps, positions, options.maxLots, options.maxPosition);
        const index = oracle.find((u) => u.underlying === take.market.underlying)!.indexPrice;
        const low = floorTo((index * (10_000n - options.slippageBps)) / 10_000n, take.market.tickSize);
        const limit =
          take.side === "buy" ? ceilTo((index * (10_000n + options.slippageBps)) / 10_000n, take.market.tickSize) : low;
        // The venue's minimum notional, at the lowest price either side's protective limit allows
        // (a buy meets the asks from the best up, which a sell's limit bounds here).
        const least = minimumSize(take.market, low);
        const size = take.size >= least ? take.size : least;
        const r = await client.placeOrder({
          instrument: take.market.instrument,
          side: take.side,
          size,
          price: limit,
          timeInForce: "IOC",
        });
        options.log(
          `${take.side} ${size} ${take.market.name}: ${r.status}, filled ${r.filled} in ${r.fills.length} fill(s)`,
        );
      } catch (e) {
        options.log(`order failed: ${e instanceof TesseraApiError ? e.code : ""} ${String(e)}`);
      }
    }
  })();
  return async () => {
    running = false;
    if (timer !== null) clearTimeout(timer);
    (wake as (() => void) | null)?.();
    await loop;
  };
}
