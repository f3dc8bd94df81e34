import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromProtocol, greeks, impliedVol, normCdf, premiumToCents } from "../../web/lib/blackscholes.ts";

function close(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual} vs ${expected}`);
}

describe("Black-Scholes", () => {
  test("normal distribution matches reference values", () => {
    close(normCdf(0), 0.5, 1e-15, "N(0)");
    close(normCdf(1.96), 0.9750021048517795, 1e-13, "N(1.96)");
    close(normCdf(-3), 0.0013498980316301, 1e-14, "N(-3)");
    close(normCdf(8), 1 - 6.22096057427178e-16, 1e-15, "N(8)");
  });

  test("prices and greeks match textbook values (S=K=100, T=1, vol 20%)", () => {
    const call = greeks({ type: "call", spot: 100, strike: 100, years: 1, vol: 0.2 });
    close(call.price, 7.965567455405798, 1e-9, "call");
    close(call.delta, 0.539827837277029, 1e-9, "delta");
    close(call.gamma, 0.01984762737385, 1e-9, "gamma");
    close(call.vega, 0.396952547477012, 1e-9, "vega per point");
    const put = greeks({ type: "put", spot: 100, strike: 100, years: 1, vol: 0.2 });
    close(put.delta, call.delta - 1, 1e-12, "put delta");
  });

  test("put-call parity holds and implied volatility inverts the price", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 50, max: 5000, noNaN: true }),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.double({ min: 0.1, max: 1.5, noNaN: true }),
        (spot, moneyness, years, vol) => {
          const strike = spot * moneyness;
          const c = greeks({ type: "call", spot, strike, years, vol });
          const p = greeks({ type: "put", spot, strike, years, vol });
          close(c.price - p.price, spot - strike, 1e-8 * spot, "parity");
          if (c.vega > 1e-4 * spot) {
            const iv = impliedVol({ type: "call", spot, strike, years }, c.price);
            assert.notEqual(iv, null);
            close(iv!, vol, 1e-5, "implied vol");
          }
        },
      ),
    );
  });

  test("no implied volatility outside the no-arbitrage band; intrinsic at expiry", () => {
    const inputs = { type: "call" as const, spot: 3000, strike: 2500, years: 0.1 };
    assert.equal(impliedVol(inputs, 499), null);
    assert.equal(impliedVol(inputs, 3000), null);
    const expired = greeks({ ...inputs, years: 0, vol: 0.5 });
    assert.equal(expired.price, 500);
    assert.equal(expired.delta, 1);
  });

  test("converts protocol integers once at the edge", () => {
    const inputs = fromProtocol("put", 300025n, 280000n, 1_700_000_000n + 31_536_000n, 1_700_000_000n, 0.5);
    assert.equal(inputs.spot, 3000.25);
    assert.equal(inputs.strike, 2800);
    assert.equal(inputs.years, 1);
    assert.equal(premiumToCents(12.345), 1235n);
    assert.equal(premiumToCents(Number.NaN), 0n);
  });
});
