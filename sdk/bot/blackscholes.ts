/**
 * Black-Scholes prices and greeks of European options (a model: floating point is fine here;
 * the quoter converts results once to exact bigint ticks at the edge).
 *
 * Units: spot, strike and prices in the same currency unit (the bot uses USD per underlying
 * unit); time in years; volatility and rate as annual decimals (0.6 = 60%), continuously
 * compounded; no dividends (crypto underlyings; a perpetual hedges at spot).
 *
 * Greeks per one option on one unit:
 *   delta = ∂V/∂S,  gamma = ∂²V/∂S²,  vega = ∂V/∂σ (per 1.00 of volatility, so per vol point
 *   it is vega / 100),  theta = ∂V/∂t (per year of calendar time passing, so per day / 365).
 */

export type OptionType = "call" | "put";

export interface OptionInputs {
  readonly type: OptionType;
  /** Underlying price. */
  readonly spot: number;
  readonly strike: number;
  /** Time to expiry, years (> 0). */
  readonly years: number;
  /** Annual volatility (> 0). */
  readonly vol: number;
  /** Annual risk-free rate, continuously compounded (default 0). */
  readonly rate?: number;
}

export interface OptionValue {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Standard normal density. */
export function normPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * Standard normal cumulative distribution, to about 1e-15 absolute error: Hart's (1968)
 * rational approximation for |x| < 7.07 and a continued fraction beyond, as given by
 * G. West, "Better approximations to cumulative normal functions" (2005).
 */
export function normCdf(x: number): number {
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) tail = 0;
  else {
    const e = Math.exp(-0.5 * a * a);
    if (a < 7.07106781186547) {
      let n = 3.52624965998911e-2 * a + 0.700383064443688;
      n = n * a + 6.37396220353165;
      n = n * a + 33.912866078383;
      n = n * a + 112.079291497871;
      n = n * a + 221.213596169931;
      n = n * a + 220.206867912376;
      let d = 8.83883476483184e-2 * a + 1.75566716318264;
      d = d * a + 16.064177579207;
      d = d * a + 86.7807322029461;
      d = d * a + 296.564248779674;
      d = d * a + 637.333633378831;
      d = d * a + 793.826512519948;
      d = d * a + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

function check(o: OptionInputs): void {
  if (!(o.spot > 0 && o.strike > 0 && o.years > 0 && o.vol > 0)) {
    throw new RangeError(`Black-Scholes needs spot, strike, years and vol > 0: ${JSON.stringify(o)}`);
  }
}

/** Price and greeks of a European option. */
export function blackScholes(o: OptionInputs): OptionValue {
  check(o);
  const r = o.rate ?? 0;
  const sqrtT = Math.sqrt(o.years);
  const volSqrtT = o.vol * sqrtT;
  const d1 = (Math.log(o.spot / o.strike) + (r + 0.5 * o.vol * o.vol) * o.years) / volSqrtT;
  const d2 = d1 - volSqrtT;
  const discount = Math.exp(-r * o.years);
  const pdf1 = normPdf(d1);
  const gamma = pdf1 / (o.spot * volSqrtT);
  const vega = o.spot * pdf1 * sqrtT;
  const decay = (-o.spot * pdf1 * o.vol) / (2 * sqrtT);
  if (o.type === "call") {
    const nd2 = normCdf(d2);
    return {
      price: o.spot * normCdf(d1) - o.strike * discount * nd2,
      delta: normCdf(d1),
      gamma,
      vega,
      theta: decay - r * o.strike * discount * nd2,
    };
  }
  const nmd2 = normCdf(-d2);
  return {
    price: o.strike * discount * nmd2 - o.spot * normCdf(-d1),
    delta: normCdf(d1) - 1,
    gamma,
    vega,
    theta: decay + r * o.strike * discount * nmd2,
  };
}

/**
 * The volatility at which the model price equals `price` (bisection on [1e-4, 10], monotone
 * in vol); null when the price is outside the model's range (below intrinsic or above spot).
 */
export function impliedVol(price: number, o: Omit<OptionInputs, "vol">): number | null {
  let lo = 1e-4;
  let hi = 10;
  const at = (vol: number): number => blackScholes({ ...o, vol }).price;
  if (price < at(lo) || price > at(hi)) return null;
  for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) < price) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
