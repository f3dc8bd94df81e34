/**
 * The venue's default listing: a perpetual per underlying and a weekly option chain around a
 * reference spot, with the tick and lot sizes the engine enforces, plus any explicitly dated
 * series (short-dated ones for tests and demos). The listing is part of the venue
 * configuration recorded in the journal; it is computed from an explicit `listedAt` and
 * explicit expiries (unix seconds) so that a restart lists exactly the same markets.
 */
import { InstrumentKind } from "../../protocol/types.ts";
import {
  instrumentName,
  nextWeeklyExpiry,
  optionChain,
  perpId,
  strikeGrid,
  UNDERLYINGS,
} from "../../protocol/instruments.ts";
import type { Market } from "./engine/markets.ts";

interface UnderlyingPolicy {
  /** Perp tick, cents. */
  readonly perpTick: bigint;
  /** Perp lot, 1e-4 units. */
  readonly perpLot: bigint;
  /** Option premium tick, cents. */
  readonly optionTick: bigint;
  /** Option lot, 1e-4 contracts. */
  readonly optionLot: bigint;
  /** Strike spacing, cents. */
  readonly strikeStep: bigint;
}

const POLICY: Readonly<Record<number, UnderlyingPolicy>> = {
  1: { perpTick: 1n, perpLot: 10n, optionTick: 10n, optionLot: 100n, strikeStep: 10_000n },
  2: { perpTick: 10n, perpLot: 1n, optionTick: 500n, optionLot: 100n, strikeStep: 100_000n },
};

const FRIDAY = 5;

export interface ListingOptions {
  /** Listing time, unix seconds: options expire on the next `weeks` Fridays after it. */
  readonly listedAt: bigint;
  /** Reference spot per underlying (cents, index u−1), the centre of the strike grid. */
  readonly spot: readonly bigint[];
  readonly weeks: number;
  /**
   * Further option expiries, unix seconds, listed with the same strikes besides the weekly
   * ones (a date already among them is listed once). Default: none.
   */
  readonly expiries?: readonly bigint[];
  /** Strikes either side of the money. */
  readonly strikesEachSide: number;
  readonly underlyings: number;
}

export function defaultListing(o: ListingOptions): Market[] {
  const markets: Market[] = [];
  for (const u of UNDERLYINGS) {
    if (u.id > o.underlyings) continue;
    const policy = POLICY[u.id]!;
    const perp = perpId(u.id);
    markets.push({
      instrument: perp,
      name: instrumentName(perp),
      underlying: u.id,
      kind: InstrumentKind.PERP,
      strike: 0n,
      expiry: 0n,
      tickSize: policy.perpTick,
      lotSize: policy.perpLot,
      minSize: policy.perpLot,
    });
    const expiries: bigint[] = [...(o.expiries ?? [])];
    let from = o.listedAt;
    for (let w = 0; w < o.weeks; w++) {
      from = nextWeeklyExpiry(from, FRIDAY);
      expiries.push(from);
    }
    const strikes = strikeGrid(o.spot[u.id - 1]!, policy.strikeStep, o.strikesEachSide);
    for (const row of optionChain(u.id, expiries, strikes)) {
      for (const [id, kind] of [
        [row.call, InstrumentKind.CALL],
        [row.put, InstrumentKind.PUT],
      ] as const) {
        markets.push({
          instrument: id,
          name: instrumentName(id),
          underlying: u.id,
          kind,
          strike: row.strike,
          expiry: row.expiry,
          tickSize: policy.optionTick,
          lotSize: policy.optionLot,
          minSize: policy.optionLot,
        });
      }
    }
  }
  return markets;
}
