/**
 * Reading a batch slot's public data `f0, f1` (docs/protocol.md §7) for the batch explorer:
 * the inverse of protocol/pubdata.ts's packers, field by field.
 */
import { BITS } from "../../protocol/constants.ts";
import { ACCOUNT_ID_BITS, FUNDING_DELTA_OFFSET } from "../../protocol/pubdata.ts";
import { TxType } from "../../protocol/types.ts";
import type { SideCode } from "../../protocol/types.ts";

function bits(value: bigint, offset: number, width: number): bigint {
  return (value >> BigInt(offset)) & ((1n << BigInt(width)) - 1n);
}

const A = 4; // account id / first field offset
const AMOUNT = A + ACCOUNT_ID_BITS; // 36
const AFTER_AMOUNT = AMOUNT + BITS.amount; // 92

export type DecodedSlot =
  | { readonly type: typeof TxType.NOOP }
  | {
      readonly type: typeof TxType.DEPOSIT;
      readonly accountId: bigint;
      readonly amount: bigint;
      readonly owner: bigint;
      readonly pkHash: bigint;
    }
  | {
      readonly type: typeof TxType.WITHDRAW;
      readonly accountId: bigint;
      readonly amount: bigint;
      readonly orderId: bigint;
    }
  | {
      readonly type: typeof TxType.FORCED_WITHDRAW;
      readonly accountId: bigint;
      readonly served: bigint;
      readonly requested: bigint;
    }
  | {
      readonly type: typeof TxType.TRADE | typeof TxType.LIQUIDATE;
      readonly maker: bigint;
      readonly taker: bigint;
      readonly size: bigint;
      readonly price: bigint;
      readonly takerSide: SideCode;
      readonly makerOrderId: bigint;
      readonly instrument: bigint;
      readonly takerOrderId: bigint;
    }
  | { readonly type: typeof TxType.FUNDING; readonly underlying: number; readonly delta: bigint }
  | { readonly type: typeof TxType.SETTLE; readonly accountId: bigint; readonly instrument: bigint }
  | { readonly type: typeof TxType.FEE_SWEEP; readonly amount: bigint }
  | { readonly type: "unknown"; readonly code: number };

export function decodeSlot(f0: bigint, f1: bigint): DecodedSlot {
  const type = Number(bits(f0, 0, 4));
  switch (type) {
    case TxType.NOOP:
      return { type };
    case TxType.DEPOSIT:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        amount: bits(f0, AMOUNT, BITS.amount),
        owner: bits(f0, AFTER_AMOUNT, BITS.owner),
        pkHash: f1,
      };
    case TxType.WITHDRAW:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        amount: bits(f0, AMOUNT, BITS.amount),
        orderId: bits(f0, AFTER_AMOUNT, BITS.orderId),
      };
    case TxType.FORCED_WITHDRAW:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        served: bits(f0, AMOUNT, BITS.amount),
        requested: bits(f0, AFTER_AMOUNT, BITS.amount),
      };
    case TxType.TRADE:
    case TxType.LIQUIDATE: {
      const q = 4 + 2 * ACCOUNT_ID_BITS; // 68
      const p = q + BITS.size; // 116
      const s = p + BITS.price; // 156
      return {
        type,
        maker: bits(f0, A, ACCOUNT_ID_BITS),
        taker: bits(f0, AMOUNT, ACCOUNT_ID_BITS),
        size: bits(f0, q, BITS.size),
        price: bits(f0, p, BITS.price),
        takerSide: Number(bits(f0, s, 1)) as SideCode,
        makerOrderId: bits(f0, s + 1, BITS.orderId),
        instrument: bits(f1, 0, BITS.instrument),
        takerOrderId: bits(f1, BITS.instrument, BITS.orderId),
      };
    }
    case TxType.FUNDING:
      return {
        type,
        underlying: Number(bits(f0, 4, BITS.underlying)),
        delta: bits(f0, 4 + BITS.underlying, 64) - FUNDING_DELTA_OFFSET,
      };
    case TxType.SETTLE:
      return { type, accountId: bits(f0, A, ACCOUNT_ID_BITS), instrument: bits(f1, 0, BITS.instrument) };
    case TxType.FEE_SWEEP:
      return { type, amount: bits(f0, AMOUNT, BITS.amount) };
    default:
      return { type: "unknown", code: type };
  }
}

export const TX_TYPE_NAMES: Readonly<Record<number, string>> = {
  [TxType.NOOP]: "No-op",
  [TxType.DEPOSIT]: "Deposit",
  [TxType.WITHDRAW]: "Withdrawal",
  [TxType.FORCED_WITHDRAW]: "Forced withdrawal",
  [TxType.TRADE]: "Trade",
  [TxType.LIQUIDATE]: "Liquidation",
  [TxType.FUNDING]: "Funding",
  [TxType.SETTLE]: "Settlement",
  [TxType.FEE_SWEEP]: "Fee sweep",
};
