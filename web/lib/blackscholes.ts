/**
 * Black-Scholes analytics for the options screen: fair value, implied volatility and greeks of
 * a European option (zero rates; the venue settles in USDC and pays no carry). The model is the
 * SDK's (sdk/bot/blackscholes.ts, shared with the market-maker bot); this module adds the
 * screen's units and the conversions at the edge.
 *
 * This is display analytics, not protocol: the protocol never prices an option, it only marks
 * expired ones at intrinsic value (docs/protocol.md §6.1). Inputs arrive as the protocol's exact
 * integers and are converted to floating point once, here at the edge (`fromProtocol`); results
 * that go back into an order are converted once, to whole cents (`premiumToCents`).
 */
import { PRICE_DECIMALS } from "../../protocol/constants.ts";
import { blackScholes, impliedVol as modelImpliedVol, normCdf } from "../../sdk/bot/blackscholes.ts";
import type { OptionType } from "../../sdk/bot/blackscholes.ts";

export type { OptionType };

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

export { normCdf };

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

/**
 * Fair value and greeks in the screen's units (vega per volatility point, theta per day), from
 * the SDK's model. At or after expiry, or with zero volatility, the option is intrinsic.
 */
export function greeks(inputs: BsInputs): Greeks {
  const { type, spot, strike, years, vol } = inputs;
  if (years <= 0 || vol <= 0 || spot <= 0 || strike <= 0) {
    const itm = type === "call" ? spot > strike : spot < strike;
    const sign = type === "call" ? 1 : -1;
    return { price: intrinsic(type, spot, strike), delta: itm ? sign : 0, gamma: 0, vega: 0, theta: 0 };
  }
  const v = blackScholes(inputs);
  return { price: v.price, delta: v.delta, gamma: v.gamma, vega: v.vega / 100, theta: v.theta / 365 };
}

/**
 * The volatility at which the model price equals `price` (USDC per unit); null when the price
 * is outside the no-arbitrage band (at or below intrinsic, at or above the upper bound).
 */
export function impliedVol(inputs: Omit<BsInputs, "vol">, price: number): number | null {
  const { type, spot, strike, years } = inputs;
  if (years <= 0 || spot <= 0 || strike <= 0) return null;
  const upper = type === "call" ? spot : strike;
  if (!(price > intrinsic(type, spot, strike) && price < upper)) return null;
  return modelImpliedVol(price, inputs);
}

/** A model value in USDC per unit as whole cents (the protocol's premium unit), rounded. */
export function premiumToCents(price: number): bigint {
  if (!Number.isFinite(price) || price < 0) return 0n;
  return BigInt(Math.round(price * CENTS));
}
