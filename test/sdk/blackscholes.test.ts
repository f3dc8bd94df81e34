/**
 * Black-Scholes and greeks: known values (Hull), put-call parity, greeks against finite
 * differences, implied-vol round trips, and the vol surface's smile and term structure.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { blackScholes, impliedVol, normCdf } from "../../sdk/bot/blackscholes.ts";
import type { OptionInputs } from "../../sdk/bot/blackscholes.ts";
import { DEFAULT_SURFACE, VolSurface } from "../../sdk/bot/volsurface.ts";

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (±${tolerance})`);
}

const inputs = fc.record({
  spot: fc.double({ min: 10, max: 100_000, noNaN: true }),
  moneyness: fc.double({ min: 0.5, max: 2, noNaN: true }),
  years: fc.double({ min: 1 / 365, max: 3, noNaN: true }),
  vol: fc.double({ min: 0.05, max: 2, noNaN: true }),
  rate: fc.double({ min: 0, max: 0.1, noNaN: true }),
});

describe("normal distribution", () => {
  test("the cdf matches tabulated values to 1e-14", () => {
    const table: [number, number][] = [
      [0, 0.5],
      [1, 0.841344746068543],
      [-1, 0.158655253931457],
      [-1.96, 0.0249978951482204],
      [2, 0.977249868051821],
      [-3, 0.00134989803163009],
      [-8, 6.22096057427178e-16],
    ];
    for (const [x, p] of table) close(normCdf(x), p, 1e-14, `N(${x})`);
    assert.equal(normCdf(-40), 0);
    assert.equal(normCdf(40), 1);
  });
});

describe("Black-Scholes", () => {
  test("Hull's example: S=42, K=40, r=10%, σ=20%, T=0.5 gives call 4.7594 and put 0.8086", () => {
    const o = { spot: 42, strike: 40, years: 0.5, vol: 0.2, rate: 0.1 };
    const call = blackScholes({ ...o, type: "call" });
    const put = blackScholes({ ...o, type: "put" });
    close(call.price, 4.759422, 1e-6, "call");
    close(put.price, 0.808599, 1e-6, "put");
    close(call.delta, 0.779131, 1e-6, "call delta");
    close(put.delta, -0.220869, 1e-6, "put delta");
    close(call.gamma, 0.049963, 1e-6, "gamma");
    close(call.vega, 8.813415, 1e-6, "vega");
    close(call.theta, -4.559092, 1e-6, "call theta per year");
  });

  test("at the money with no rate: call = put ≈ 0.3989·S·σ·√T", () => {
    const o = { spot: 3000, strike: 3000, years: 7 / 365, vol: 0.6, rate: 0 };
    const call = blackScholes({ ...o, type: "call" }).price;
    close(call, blackScholes({ ...o, type: "put" }).price, 1e-9, "call = put");
    close(call, 0.398942 * 3000 * 0.6 * Math.sqrt(7 / 365), 0.2, "ATM approximation");
  });

  test("put-call parity: C − P = S − K·e^(−rT), and deltas differ by exactly 1", () => {
    fc.assert(
      fc.property(inputs, ({ spot, moneyness, years, vol, rate }) => {
        const o = { spot, strike: spot * moneyness, years, vol, rate };
        const c = blackScholes({ ...o, type: "call" });
        const p = blackScholes({ ...o, type: "put" });
        close(c.price - p.price, spot - o.strike * Math.exp(-rate * years), 1e-9 * spot, "parity");
        close(c.delta - p.delta, 1, 1e-12, "delta parity");
        close(c.gamma, p.gamma, 1e-15, "same gamma");
        close(c.vega, p.vega, 1e-9 * spot, "same vega");
      }),
    );
  });

  test("greeks equal finite differences of the price", () => {
    fc.assert(
      fc.property(
        inputs,
        fc.constantFrom("call" as const, "put" as const),
        ({ spot, moneyness, years, vol, rate }, type) => {
          const o: OptionInputs = { type, spot, strike: spot * moneyness, years, vol, rate };
          const v = blackScholes(o);
          const price = (d: Partial<OptionInputs>): number => blackScholes({ ...o, ...d }).price;
          const hS = spot * 1e-5;
          close(v.delta, (price({ spot: spot + hS }) - price({ spot: spot - hS })) / (2 * hS), 1e-5, "delta");
          // gamma as the derivative of the analytic delta (less truncation error than a second difference).
          const delta = (d: Partial<OptionInputs>): number => blackScholes({ ...o, ...d }).delta;
          const hG = spot * 1e-5;
          const fdGamma = (delta({ spot: spot + hG }) - delta({ spot: spot - hG })) / (2 * hG);
          close(v.gamma, fdGamma, 1e-3 * v.gamma + 1e-9, "gamma");
          const hV = 1e-5;
          close(v.vega, (price({ vol: vol + hV }) - price({ vol: vol - hV })) / (2 * hV), 1e-4 * spot, "vega");
          const hT = Math.min(1e-5, years / 10);
          // theta is the change as calendar time passes: −∂V/∂T.
          close(
            v.theta,
            -(price({ years: years + hT }) - price({ years: years - hT })) / (2 * hT),
            1e-3 * spot,
            "theta",
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("prices stay within no-arbitrage bounds and rise with volatility", () => {
    fc.assert(
      fc.property(inputs, ({ spot, moneyness, years, vol, rate }) => {
        const o = { spot, strike: spot * moneyness, years, vol, rate, type: "call" as const };
        const c = blackScholes(o).price;
        assert.ok(c >= Math.max(0, spot - o.strike * Math.exp(-rate * years)) - 1e-9 * spot && c <= spot);
        assert.ok(blackScholes({ ...o, vol: vol * 1.1 }).price >= c - 1e-12 * spot, "vega ≥ 0");
      }),
    );
  });

  test("implied vol inverts the price", () => {
    fc.assert(
      fc.property(inputs, ({ spot, moneyness, years, vol, rate }) => {
        const o = { spot, strike: spot * moneyness, years, rate, type: "put" as const };
        const price = blackScholes({ ...o, vol }).price;
        // Far out of the money the price carries no information about vol.
        fc.pre(blackScholes({ ...o, vol }).vega > 1e-6 * spot);
        close(impliedVol(price, o)!, vol, 1e-6, "implied vol");
      }),
    );
    assert.equal(impliedVol(-1, { spot: 100, strike: 100, years: 1, type: "call" }), null);
  });

  test("bad inputs are refused", () => {
    assert.throws(() => blackScholes({ type: "call", spot: 100, strike: 100, years: 0, vol: 0.5 }), RangeError);
    assert.throws(() => blackScholes({ type: "call", spot: 100, strike: 100, years: 1, vol: 0 }), RangeError);
  });
});

describe("vol surface", () => {
  const surface = new VolSurface(DEFAULT_SURFACE);

  test("the term structure moves from the short to the long at-the-money vol", () => {
    close(surface.atm(1e-9), DEFAULT_SURFACE.shortVol, 1e-6, "short end");
    close(surface.atm(100), DEFAULT_SURFACE.longVol, 1e-6, "long end");
    close(surface.vol(3000, 3000, 0.5), surface.atm(0.5), 1e-12, "at the money");
  });

  test("the smile: downside strikes richer than upside, both wings above the money", () => {
    const T = 30 / 365;
    const atm = surface.vol(3000, 3000, T);
    assert.ok(surface.vol(2400, 3000, T) > surface.vol(3600, 3000, T), "skew");
    assert.ok(surface.vol(2400, 3000, T) > atm && surface.vol(4500, 3000, T) > atm, "convexity");
    // Moneyness scales with √T: the same relative strike is further out at a shorter expiry.
    assert.ok(surface.vol(2400, 3000, 7 / 365) - surface.atm(7 / 365) > surface.vol(2400, 3000, 1) - surface.atm(1));
  });

  test("vols are clamped to [minVol, maxVol]; bad parameters are refused", () => {
    const steep = new VolSurface({ ...DEFAULT_SURFACE, curvature: 10 });
    assert.equal(steep.vol(100, 3000, 1 / 365), DEFAULT_SURFACE.maxVol);
    const flatLow = new VolSurface({ ...DEFAULT_SURFACE, shortVol: 0, longVol: 0, skew: 0, curvature: 0 });
    assert.equal(flatLow.vol(3000, 3000, 1), DEFAULT_SURFACE.minVol);
    assert.throws(() => new VolSurface({ ...DEFAULT_SURFACE, minVol: 0 }), RangeError);
  });
});
