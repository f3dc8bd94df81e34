/**
 * The demo's taker flow (scripts/demo/taker.ts): seeded, on the lot, never past its position
 * bound.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../scripts/demo/oracle.ts";
import { nextTake } from "../../scripts/demo/taker.ts";
import type { Market } from "../../sdk/wire.ts";

const perp = (instrument: bigint, name: string, underlying: number): Market => ({
  instrument,
  name,
  kind: "perp",
  underlying,
  strike: 0n,
  expiry: 0n,
  tickSize: 1n,
  lotSize: 10n,
  minSize: 10n,
  minNotional: 10_000_000n,
  status: "active",
  settlementPrice: null,
});
const PERPS = [perp(1n, "ETH-PERP", 1), perp(2n, "BTC-PERP", 2)];

describe("demo taker flow", () => {
  test("the same seed gives the same orders; sizes are on the lot, within maxLots", () => {
    const run = (seed: bigint) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 50 }, () => nextTake(r, PERPS, new Map(), 20n, 20_000n));
    };
    const a = run(1n);
    assert.deepEqual(a, run(1n));
    assert.notDeepEqual(a, run(2n));
    for (const t of a) {
      assert.equal(t.size % 10n, 0n);
      assert.ok(t.size >= 10n && t.size <= 200n);
    }
    assert.ok(new Set(a.map((t) => `${t.market.name}:${t.side}`)).size === 4, "both perps, both sides");
  });

  test("at its position bound it only reduces", () => {
    const r = new SeededRandom(7n);
    for (let i = 0; i < 50; i++) {
      const t = nextTake(
        r,
        PERPS,
        new Map([
          [1n, 20_000n],
          [2n, -20_000n],
        ]),
        20n,
        20_000n,
      );
      assert.equal(t.side, t.market.instrument === 1n ? "sell" : "buy");
    }
  });
});
