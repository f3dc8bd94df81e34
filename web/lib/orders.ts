/**
 * Building, previewing and signing orders (docs/protocol.md §5.1, §6.3).
 *
 * `previewFill` is the order ticket's what-if: the account as it would be if the whole order
 * filled at `price`, valued with protocol/margin at the current marks. It mirrors the trade
 * rule (§6.3 steps 7, 8, 10) for display; the sequencer's `applyTx` is the authority.
 */
import { applyFill, findSlot, slotFor } from "../../protocol/account.ts";
import {
  BPS,
  FLAG_POST_ONLY,
  FLAG_REDUCE_ONLY,
  TAKER_FEE_BPS,
  TIF_SHIFT,
  TimeInForce,
} from "../../protocol/constants.ts";
import { abs } from "../../protocol/field.ts";
import { decodeInstrument } from "../../protocol/instruments.ts";
import type { PrivateKey } from "../../protocol/keys.ts";
import {
  equity,
  freeCollateral,
  initialMarginScaled,
  liquidationPrice,
  maintenanceMarginScaled,
} from "../../protocol/margin.ts";
import type { Marks } from "../../protocol/margin.ts";
import { signOrder } from "../../protocol/signing.ts";
import { InstrumentKind, Side } from "../../protocol/types.ts";
import type { Account, Order, SideCode, SignedOrder } from "../../protocol/types.ts";

export type TimeInForceName = keyof typeof TimeInForce;

/** Flags word of §5.1: bit 0 reduce-only, bit 1 post-only, bits 2-3 time in force. */
export function orderFlags(options: {
  readonly reduceOnly: boolean;
  readonly postOnly: boolean;
  readonly timeInForce: TimeInForceName;
}): bigint {
  return (
    (options.reduceOnly ? FLAG_REDUCE_ONLY : 0n) |
    (options.postOnly ? FLAG_POST_ONLY : 0n) |
    (TimeInForce[options.timeInForce] << TIF_SHIFT)
  );
}

/**
 * Whether the venue would refuse an order as dust (`MIN_NOTIONAL`, sequencer/intake/dust.ts): its
 * size times the lowest price it can fill at (a buy's limit, or the best ask when lower) below
 * `minNotional`, and it is not an immediate reduce-only order closing the whole position `held`
 * (signed size in the instrument).
 */
export function belowMinimumNotional(
  order: {
    readonly side: SideCode;
    readonly size: bigint;
    readonly price: bigint;
    readonly reduceOnly: boolean;
    readonly immediate: boolean;
  },
  minNotional: bigint,
  bestAsk: bigint | null,
  held: bigint,
): boolean {
  const floor = order.side === Side.BUY && bestAsk !== null && bestAsk < order.price ? bestAsk : order.price;
  if (order.size * floor >= minNotional) return false;
  const closesAll = order.reduceOnly && order.immediate && order.size === (order.side === Side.BUY ? -held : held);
  return !closesAll;
}

/** Signs `order` with the trading key for this deployment's domain. */
export function sign(privateKey: PrivateKey, order: Order, domain: bigint): SignedOrder {
  return signOrder(privateKey, order, domain);
}

/** Cost per unit of a fill at `price`: `price − F[u]` for perps, `price` for options (§6.1). */
function unitCost(instrument: bigint, price: bigint, marks: Marks): bigint {
  const spec = decodeInstrument(instrument);
  if (spec.kind !== InstrumentKind.PERP) return price;
  return price - (marks.fundingIndex[spec.underlying - 1] ?? 0n);
}

export interface FillPreview {
  /** The account after the fill and the taker fee. */
  readonly after: Account;
  /** Taker fee (the worst case), USDC base units. */
  readonly fee: bigint;
  /** `size × price`, USDC base units. */
  readonly notional: bigint;
  readonly equityAfter: bigint;
  /** Initial and maintenance margin after, USDC base units (rounded up for display). */
  readonly initialMargin: bigint;
  readonly maintenanceMargin: bigint;
  /** Margin the order adds (negative when it frees margin). */
  readonly marginDelta: bigint;
  readonly freeAfter: bigint;
  /** The position after shrinks toward zero without flipping (what reduce-only allows). */
  readonly reduces: boolean;
  /** Meets initial margin after, or reduces with non-negative equity (§6.3.10). */
  readonly accepted: boolean;
  /** Liquidation price of the resulting position (cents), null when none or closed. */
  readonly liquidationPrice: bigint | null;
  /** No free position slot for a new instrument. */
  readonly noSlot: boolean;
}

function ceilDiv(n: bigint, d: bigint): bigint {
  return n <= 0n ? n / d : (n + d - 1n) / d;
}

export function previewFill(
  account: Account,
  marks: Marks,
  instrument: bigint,
  side: SideCode,
  size: bigint,
  price: bigint,
): FillPreview {
  const notional = size * price;
  const fee = (notional * TAKER_FEE_BPS) / BPS;
  const slot = slotFor(account, instrument);
  const imBefore = ceilDiv(initialMarginScaled(account, marks), BPS);
  if (slot < 0) {
    return {
      after: account,
      fee,
      notional,
      equityAfter: equity(account, marks),
      initialMargin: imBefore,
      maintenanceMargin: ceilDiv(maintenanceMarginScaled(account, marks), BPS),
      marginDelta: 0n,
      freeAfter: freeCollateral(account, marks),
      reduces: false,
      accepted: false,
      liquidationPrice: null,
      noSlot: true,
    };
  }
  const q = side === Side.BUY ? size : -size;
  const filled = applyFill(account, slot, instrument, q, q * unitCost(instrument, price, marks));
  const after = { ...filled, collateral: filled.collateral - fee };
  const before = account.positions[slot]!.size;
  const sizeAfter = after.positions[slot]!.size;
  const reduces = before !== 0n && abs(sizeAfter) < abs(before) && (sizeAfter === 0n || sizeAfter > 0n === before > 0n);
  const imScaled = initialMarginScaled(after, marks);
  const equityAfter = equity(after, marks);
  const initialMargin = ceilDiv(imScaled, BPS);
  const held = findSlot(after, instrument);
  return {
    after,
    fee,
    notional,
    equityAfter,
    initialMargin,
    maintenanceMargin: ceilDiv(maintenanceMarginScaled(after, marks), BPS),
    marginDelta: initialMargin - imBefore,
    freeAfter: freeCollateral(after, marks),
    reduces,
    accepted: BPS * equityAfter >= imScaled || (reduces && equityAfter >= 0n),
    liquidationPrice: held < 0 ? null : liquidationPrice(after, held, marks),
    noSlot: false,
  };
}

/**
 * Effective leverage: perp notional at the marks over equity, as a ratio ×100 (so 250n is
 * 2.50×); null when equity is not positive.
 */
export function leverageX100(account: Account, marks: Marks): bigint | null {
  const eq = equity(account, marks);
  if (eq <= 0n) return null;
  let notional = 0n;
  for (const p of account.positions) {
    if (p.size === 0n) continue;
    const spec = decodeInstrument(p.instrument);
    if (spec.kind !== InstrumentKind.PERP) continue;
    notional += abs(p.size) * (marks.prices[spec.underlying - 1] ?? 0n);
  }
  return (notional * 100n) / eq;
}
