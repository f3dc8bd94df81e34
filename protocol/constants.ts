/**
 * Protocol constants (docs/protocol.md §1, §4, §6.2). The same in every profile.
 */

/** Collateral, fees, PnL, notional and cost are in USDC base units (1e-6 USDC). */
export const QUOTE_DECIMALS = 6;
/** Sizes are in 1e-4 of one underlying unit (or one option contract on one unit). */
export const SIZE_DECIMALS = 4;
/** Prices, strikes, funding index and premiums are in cents per whole underlying unit. */
export const PRICE_DECIMALS = 2;

/** Denominator of every basis-point rate. */
export const BPS = 10_000n;

/** Initial margin on perp notional: 10% (10x). */
export const IM_BPS = 1000n;
/** Maintenance margin on perp notional: 5%. */
export const MM_BPS = 500n;
/** Short option initial margin: max(OPT_A_IM × price − 10^4 × otm, OPT_B_IM × price) per unit. */
export const OPT_A_IM = 1500n;
export const OPT_B_IM = 1000n;
/** Short option maintenance margin, same shape as the initial margin. */
export const OPT_A_MM = 750n;
export const OPT_B_MM = 500n;
export const MAKER_FEE_BPS = 2n;
export const TAKER_FEE_BPS = 5n;
/**
 * Liquidation penalty as a share of the maintenance margin the liquidation releases (§6.4.3):
 * `penalty = ⌊(MM×10^4 before − MM×10^4 after) × LIQ_PENALTY_BPS / 10^8⌋`, paid by the liquidatee
 * to the insurance fund account that takes the position. For a perp that is 1% of `q × price[u]`
 * (20% of its 5% maintenance margin); a position that carries no maintenance margin (a long
 * option) cannot be liquidated at all.
 */
export const LIQ_PENALTY_BPS = 2000n;
/**
 * Price band of an insurance fund account's trades (§6.3.11): `|p − X| × 10^4 ≤ FUND_BAND_BPS ×
 * price[u]`, X the rules' price (perp: `price[u]`; option: its intrinsic value at `price[u]`).
 */
export const FUND_BAND_BPS = 500n;
/** Bound of one funding update: `|delta| × 10^4 ≤ FUNDING_CAP_BPS × price[u]`. */
export const FUNDING_CAP_BPS = 10n;

/** Account 0 receives swept fees. */
export const FEE_ACCOUNT = 0n;
/**
 * Account 1 is the insurance fund: it absorbs shortfalls. Every account with account 1's owner
 * and trading key is an insurance fund account too (§4.1): any of them may take liquidated
 * positions, so the fund's capacity grows with the accounts its owner registers.
 */
export const INSURANCE_ACCOUNT = 1n;
/** User accounts are numbered from here, in registration order. */
export const FIRST_USER_ACCOUNT = 2n;

/** Bit widths of docs/protocol.md §1 (hard limits, range-checked in the circuit). */
export const BITS = {
  orderId: 48,
  /**
   * An order id as a slot posts it (§5.3, §7): its low 32 bits. The order-tree rule keeps every
   * id within `[storedId, storedId + 2^32)` of the id its slot holds, so the posted bits and the
   * state give the full id back (the rebuild recomputes it, the circuit proves it).
   */
  postedOrderId: 32,
  /** Order size and fill size, unsigned, at least 1. */
  size: 48,
  /** Position size, signed. */
  positionSize: 48,
  price: 40,
  /**
   * A fill's size and price as a trade slot posts them (§7): in lots of 10^-SIZE_DECIMALS unit
   * and ticks of one cent, the protocol's units, at most 2^32 − 1 each (429,496.7295 units, and
   * 42,949,672.95 USD per unit). Orders keep their wider fields; a fill beyond is refused.
   */
  fillSize: 32,
  fillPrice: 32,
  /** Deposit, withdrawal, forced-withdrawal and sweep amounts in public data. */
  amount: 56,
  /** Collateral, signed. */
  collateral: 64,
  /** Position cost, signed. */
  cost: 96,
  feePool: 64,
  /** Funding index and funding delta, signed. */
  fundingIndex: 56,
  timestamp: 32,
  owner: 160,
  underlying: 8,
  kind: 2,
  /** Order flags: reduceOnly, postOnly, timeInForce (2 bits). */
  flags: 4,
  /** Instrument id (§3). */
  instrument: 82,
  /** Account ids in slot data, so the maximum account-tree depth (16,777,216 accounts). */
  accountId: 24,
  /** Maximum account-tree depth. */
  maxAccountDepth: 24,
  /** A trade's or liquidation's index into the batch's instrument table (§8). */
  instrumentIndex: 8,
} as const;

/** Order flag bits (§5.1). */
export const FLAG_REDUCE_ONLY = 1n;
export const FLAG_POST_ONLY = 2n;
/** Time in force, bits 2-3 of the flags: the sequencer's promise, not a proven rule. */
export const TimeInForce = { GTC: 0n, IOC: 1n, FOK: 2n } as const;
export const TIF_SHIFT = 2n;
