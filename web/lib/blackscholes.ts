/**
 * Black-Scholes analytics for the options screen: fair value, implied volatility and greeks of
 * a European option (zero rates; the venue settles in USDC and pays no carry).
 *
 * This is display analytics, not protocol: the protocol never prices an option, it only marks
 * expired ones at intrinsic value (docs/protocol.md §6.1). Inputs arrive as the protocol's exact
 * integers and are converted to floating point once, here at the edge (`fromProtocol`); results
 * that go back into an order are converted once, to whole cents (`premiumToCents`).
 */
import { PRICE_DECIMALS } from "../../protocol/constants.ts";

export type OptionType = "call" | "put";

/** Black-Scholes inputs in floating point: prices in USDC per unit, time in years. */
export interface BsInputs {
  readonly type: OptionType;
  readonly spot: number;
  readonly strike: number;
  /** Years to expiry, > 0. */
  readonly years: number;
  /** Annualised volatility, e.g. 0.6 for 60%. */
  readonly vol: number;
}

export interface Greeks {
  /** Fair value in USDC per unit. */
  readonly price: number;
  /** dV/dS per unit. */
  readonly delta: number;
  /** d²V/dS² per unit. */
  readonly gamma: number;
  /** dV/dσ for one volatility point (0.01). */
  readonly vega: number;
  /** dV/dt per calendar day (negative for a long option). */
  readonly theta: number;
}

const SECONDS_PER_YEAR = 365 * 24 * 3600;
const CENTS = 10 ** PRICE_DECIMALS;

/**
 * The standard normal cumulative distribution, Hart (1968) as given by West (2005): absolute
 * error below 1e-14 over the whole line.
 */
export function normCdf(x: number): number {
  const a = Math.abs(x);
  let c: number;
  if (a > 37) {
    c = 0;
  } else {
    const e = Math.exp((-a * a) / 2);
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
      c = (e * n) / d;
    } else {
      let d = a + 0.65;
      d = a + 4 / d;
      d = a + 3 / d;
      d = a + 2 / d;
      d = a + 1 / d;
      c = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

export function normPdf(x: number): number {
  return Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
}

/** Converts the protocol's integers (cents, unix seconds) to Black-Scholes inputs. */
export function fromProtocol(
  type: OptionType,
  spotCents: bigint,
  strikeCents: bigint,
  expiry: bigint,
  now: bigint,
  vol: number,
): BsInputs {
  return {
    type,
    spot: Number(spotCents) / CENTS,
    strike: Number(strikeCents) / CENTS,
    years: Number(expiry - now) / SECONDS_PER_YEAR,
    vol,
  };
}

/** Intrinsic value in USDC per unit. */
export function intrinsic(type: OptionType, spot: number, strike: number): number {
  return Math.max(type === "call" ? spot - strike : strike - spot, 0);
}

/** Fair value and greeks. At or after expiry, or with zero volatility, the option is intrinsic. */
export function greeks(inputs: BsInputs): Greeks {
  const { type, spot, strike, years, vol } = inputs;
  if (years <= 0 || vol <= 0 || spot <= 0 || strike <= 0) {
    const itm = type === "call" ? spot > strike : spot < strike;
    const sign = type === "call" ? 1 : -1;
    return { price: intrinsic(type, spot, strike), delta: itm ? sign : 0, gamma: 0, vega: 0, theta: 0 };
  }
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + (vol * vol * years) / 2) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const pdf = normPdf(d1);
  const price =
    type === "call" ? spot * normCdf(d1) - strike * normCdf(d2) : strike * normCdf(-d2) - spot * normCdf(-d1);
  const delta = type === "call" ? normCdf(d1) : normCdf(d1) - 1;
  const gamma = pdf / (spot * vol * sqrtT);
  const vega = (spot * pdf * sqrtT) / 100;
  const theta = -(spot * pdf * vol) / (2 * sqrtT) / 365;
  return { price, delta, gamma, vega, theta };
}

/**
 * The volatility at which the model price equals `price` (USDC per unit), by bisection on the
 * monotone price-volatility curve. Returns null when the price is outside the no-arbitrage band
 * (below intrinsic or above the upper bound), where no volatility fits.
 */
export function impliedVol(inputs: Omit<BsInputs, "vol">, price: number): number | null {
  const { type, spot, strike, years } = inputs;
  if (years <= 0 || spot <= 0 || strike <= 0) return null;
  const lower = intrinsic(type, spot, strike);
  const upper = type === "call" ? spot : strike;
  if (!(price > lower && price < upper)) return null;
  let lo = 1e-6;
  let hi = 20;
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (greeks({ ...inputs, vol: mid }).price < price) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A model value in USDC per unit as whole cents (the protocol's premium unit), rounded. */
export function premiumToCents(price: number): bigint {
  if (!Number.isFinite(price) || price < 0) return 0n;
  return BigInt(Math.round(price * CENTS));
}
