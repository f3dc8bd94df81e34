/**
 * An implied-volatility surface: a smile in moneyness and a term structure in time.
 *
 *   m(K, T)   = ln(K / F) / √T                      (moneyness scaled by √T: the smile of every
 *                                                    expiry has the same shape in m)
 *   atm(T)    = longVol + (shortVol − longVol) · e^(−T / termDecayYears)
 *   σ(K, T)   = clamp(atm(T) + skew · m + curvature · m², minVol, maxVol)
 *
 * Crypto smiles are usually a smirk (puts richer, `skew < 0`) with convexity (`curvature > 0`);
 * the short end is usually above the long end after a move. Volatilities are annual decimals.
 */

export interface SurfaceParams {
  /** At-the-money volatility at T → 0. */
  readonly shortVol: number;
  /** At-the-money volatility at T → ∞. */
  readonly longVol: number;
  /** Years over which the term structure moves from short to long (e-folding time). */
  readonly termDecayYears: number;
  /** Slope of σ in m (negative: downside strikes richer). */
  readonly skew: number;
  /** Convexity of σ in m. */
  readonly curvature: number;
  readonly minVol: number;
  readonly maxVol: number;
}

export const DEFAULT_SURFACE: SurfaceParams = {
  shortVol: 0.65,
  longVol: 0.55,
  termDecayYears: 0.25,
  skew: -0.05,
  curvature: 0.04,
  minVol: 0.1,
  maxVol: 3,
};

export class VolSurface {
  constructor(readonly params: SurfaceParams = DEFAULT_SURFACE) {
    if (!(params.minVol > 0 && params.minVol <= params.maxVol && params.termDecayYears > 0)) {
      throw new RangeError(`bad surface parameters: ${JSON.stringify(params)}`);
    }
  }

  /** At-the-money volatility at `years` to expiry. */
  atm(years: number): number {
    const p = this.params;
    return p.longVol + (p.shortVol - p.longVol) * Math.exp(-years / p.termDecayYears);
  }

  /** Volatility of strike `strike` at `years` to expiry, with forward `forward` (same unit). */
  vol(strike: number, forward: number, years: number): number {
    if (!(strike > 0 && forward > 0 && years > 0)) throw new RangeError("strike, forward and years must be > 0");
    const p = this.params;
    const m = Math.log(strike / forward) / Math.sqrt(years);
    const v = this.atm(years) + p.skew * m + p.curvature * m * m;
    return Math.min(p.maxVol, Math.max(p.minVol, v));
  }
}
