/**
 * Per-slot public data `f0, f1` (docs/protocol.md §7). Offsets are from the least significant
 * bit; each packer checks every field against its width.
 */
import { BITS } from "./constants.ts";
import { ensure } from "./errors.ts";
import { fitsUnsigned, lowMask } from "./field.ts";
import { TxType } from "./types.ts";
import type { SideCode } from "./types.ts";

/** Bits of the account id field in public data (any profile's accountDepth fits in it). */
export const ACCOUNT_ID_BITS = BITS.accountId;
/** Offset of the funding delta: it is packed as `delta + 2^63` in 64 bits. */
export const FUNDING_DELTA_OFFSET = 1n << 63n;

type Field = readonly [value: bigint, bits: number, name: string];

/** Packs `fields` from bit 0 upwards, checking each fits its width. */
export function packBits(fields: readonly Field[]): bigint {
  let out = 0n;
  let offset = 0n;
  for (const [value, bits, name] of fields) {
    ensure(fitsUnsigned(value, bits), "OUT_OF_RANGE", () => `${name} = ${value} does not fit ${bits} bits`);
    out |= value << offset;
    offset += BigInt(bits);
  }
  return out;
}

export type PublicData = readonly [f0: bigint, f1: bigint];

export const NOOP_DATA: PublicData = [0n, 0n];

/**
 * Deposit (type 1): `1 │ accountId<<4 │ amount<<28`, f1 = 0. The account's owner and key are the
 * batch's deposit record k for the k-th deposit slot (§8, `BatchHeader.deposits`), so no slot
 * needs more than 16 + 8 bytes.
 */
export function depositData(accountId: bigint, amount: bigint): PublicData {
  const f0 = packBits([
    [BigInt(TxType.DEPOSIT), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [amount, BITS.amount, "amount"],
  ]);
  return [f0, 0n];
}

/**
 * A deposit as L1 queues it (`TesseraRollup.deposit`, the priority queue's `f0, f1`): the slot's
 * f0 with the owner at bit 84, and the key hash. The batch posts `depositData` in the slot and
 * the owner and key as the deposit's record (§8); L1 matches the three.
 */
export function depositQueueEntry(accountId: bigint, amount: bigint, owner: bigint, pkHash: bigint): PublicData {
  const f0 = packBits([
    [BigInt(TxType.DEPOSIT), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [amount, BITS.amount, "amount"],
    [owner, BITS.owner, "owner"],
  ]);
  return [f0, pkHash];
}

/** A deposit record of the batch's table (§8): the L1 owner and key hash the k-th deposit sets. */
export interface DepositRecord {
  readonly owner: bigint;
  readonly pkHash: bigint;
}

/** Bytes of a slot's f0 and f1 in calldata and in the commitment (§7): every type fits. */
export const SLOT_BYTES = { f0: 16, f1: 8 } as const;
/** Bytes a slot posts: f0 then f1, big-endian. */
export const SLOT_LENGTH = SLOT_BYTES.f0 + SLOT_BYTES.f1;

/**
 * `submitBatch`'s `slots`: every slot's f0 (16 bytes) then f1 (8 bytes), big-endian, as hex.
 * Throws `OUT_OF_RANGE` for a value that does not fit its width.
 */
export function packSlots(words: readonly bigint[]): `0x${string}` {
  ensure(words.length % 2 === 0, "OUT_OF_RANGE", () => `slot data has an odd number of words (${words.length})`);
  let hex = "0x";
  words.forEach((v, i) => {
    const bytes = i % 2 === 0 ? SLOT_BYTES.f0 : SLOT_BYTES.f1;
    ensure(
      fitsUnsigned(v, 8 * bytes),
      "OUT_OF_RANGE",
      () => `slot ${i >> 1} ${i % 2 === 0 ? "f0" : "f1"} = ${v} does not fit ${bytes} bytes`,
    );
    hex += v.toString(16).padStart(2 * bytes, "0");
  });
  return hex as `0x${string}`;
}

/** Inverse of `packSlots`: the f0, f1 of every slot. Throws `OUT_OF_RANGE` for a length not a whole number of slots. */
export function unpackSlots(slots: string | Uint8Array): bigint[] {
  const hex =
    typeof slots === "string"
      ? slots.replace(/^0x/, "")
      : Array.from(slots, (b) => b.toString(16).padStart(2, "0")).join("");
  ensure(
    /^[0-9a-fA-F]*$/.test(hex) && hex.length % (2 * SLOT_LENGTH) === 0,
    "OUT_OF_RANGE",
    () => `slot data is ${hex.length / 2} bytes, not a whole number of ${SLOT_LENGTH}-byte slots`,
  );
  const out: bigint[] = [];
  for (let at = 0; at < hex.length; at += 2 * SLOT_LENGTH) {
    out.push(BigInt(`0x${hex.slice(at, at + 2 * SLOT_BYTES.f0)}`));
    out.push(BigInt(`0x${hex.slice(at + 2 * SLOT_BYTES.f0, at + 2 * SLOT_LENGTH)}`));
  }
  return out;
}

/** 2^32: an order id is below its slot's stored id plus this (§5.3). */
export const ORDER_ID_WINDOW = 1n << BigInt(BITS.postedOrderId);
const ORDER_ID_WINDOW_MASK = ORDER_ID_WINDOW - 1n;

/**
 * The bits of an order id a slot posts: its low 32 (`BITS.postedOrderId`). The order-tree rule
 * keeps an id within 2^32 of the id its slot held (§5.3), so `fullOrderId` gets it back.
 */
export function postedOrderId(orderId: bigint): bigint {
  return orderId & ORDER_ID_WINDOW_MASK;
}

/**
 * The full order id whose posted bits are `posted`, for an order-tree slot that held `storedId`:
 * the one id in `[storedId, storedId + 2^32)` with those low bits (§5.3).
 */
export function fullOrderId(storedId: bigint, posted: bigint): bigint {
  return storedId + ((posted - storedId) & ORDER_ID_WINDOW_MASK);
}

/**
 * Withdrawal (type 2): `2 │ accountId<<4 │ amount<<28 │ flat<<84`, f1 = the order id's low 32
 * bits. `flat`: the account holds no position (every size 0), proven by the circuit; such a
 * withdrawal reads no price, so it goes on through an oracle outage (issue 14 F13,
 * protocol/priceUse.ts).
 */
export function withdrawData(accountId: bigint, amount: bigint, orderId: bigint, flat = false): PublicData {
  const f0 = packBits([
    [BigInt(TxType.WITHDRAW), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [amount, BITS.amount, "amount"],
    [flat ? 1n : 0n, 1, "flat"],
  ]);
  ensure(
    fitsUnsigned(orderId, BITS.orderId),
    "OUT_OF_RANGE",
    () => `orderId = ${orderId} does not fit ${BITS.orderId} bits`,
  );
  return [f0, postedOrderId(orderId)];
}

/**
 * Forced withdrawal (type 3): `3 │ accountId<<4 │ served<<28 │ flat<<84`, f1 = requested. L1
 * queues it with `served` and `flat` 0 and compares with both masked; `flat` as for type 2.
 */
export function forcedWithdrawData(accountId: bigint, served: bigint, requested: bigint, flat = false): PublicData {
  const f0 = packBits([
    [BigInt(TxType.FORCED_WITHDRAW), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [served, BITS.amount, "served"],
    [flat ? 1n : 0n, 1, "flat"],
  ]);
  return [f0, packBits([[requested, BITS.amount, "requested"]])];
}

/** Bit offset of the `flat` flag of a withdrawal and a forced withdrawal (84). */
export const WITHDRAW_FLAT_BIT = 4 + ACCOUNT_ID_BITS + BITS.amount;
export const FORCED_WITHDRAW_FLAT_BIT = WITHDRAW_FLAT_BIT;

/**
 * Trade (type 4): `4 │ maker<<4 │ taker<<28 │ q<<52 │ p<<84 │ takerSide<<116 │ instrumentIndex<<117`
 * (q and p 32 bits: lots and ticks, `BITS.fillSize`, `BITS.fillPrice`), f1 = the low 32 bits of
 * `makerOrderId │ takerOrderId<<32` (`postedOrderId`). The instrument is entry `instrumentIndex`
 * of the batch's instrument table (§8).
 */
export function tradeData(fill: {
  readonly maker: bigint;
  readonly taker: bigint;
  readonly size: bigint;
  readonly price: bigint;
  readonly takerSide: SideCode;
  readonly makerOrderId: bigint;
  readonly takerOrderId: bigint;
  readonly instrumentIndex: bigint;
}): PublicData {
  const f0 = packBits([
    [BigInt(TxType.TRADE), 4, "type"],
    [fill.maker, ACCOUNT_ID_BITS, "maker"],
    [fill.taker, ACCOUNT_ID_BITS, "taker"],
    [fill.size, BITS.fillSize, "q"],
    [fill.price, BITS.fillPrice, "p"],
    [BigInt(fill.takerSide), 1, "takerSide"],
    [fill.instrumentIndex, BITS.instrumentIndex, "instrumentIndex"],
  ]);
  for (const [id, name] of [
    [fill.makerOrderId, "makerOrderId"],
    [fill.takerOrderId, "takerOrderId"],
  ] as const)
    ensure(fitsUnsigned(id, BITS.orderId), "OUT_OF_RANGE", () => `${name} = ${id} does not fit ${BITS.orderId} bits`);
  const f1 = packBits([
    [postedOrderId(fill.makerOrderId), BITS.postedOrderId, "makerOrderId"],
    [postedOrderId(fill.takerOrderId), BITS.postedOrderId, "takerOrderId"],
  ]);
  return [f0, f1];
}

/**
 * Liquidation (type 5): `5 │ insurance<<4 │ liquidatee<<28 │ q<<52 │ closingSide<<100 │
 * instrumentIndex<<101` (q 48 bits: a whole position may go), f1 = p = X (40 bits).
 */
export function liquidationData(
  insurance: bigint,
  liquidatee: bigint,
  size: bigint,
  price: bigint,
  closingSide: SideCode,
  instrumentIndex: bigint,
): PublicData {
  const f0 = packBits([
    [BigInt(TxType.LIQUIDATE), 4, "type"],
    [insurance, ACCOUNT_ID_BITS, "insurance"],
    [liquidatee, ACCOUNT_ID_BITS, "liquidatee"],
    [size, BITS.size, "q"],
    [BigInt(closingSide), 1, "closingSide"],
    [instrumentIndex, BITS.instrumentIndex, "instrumentIndex"],
  ]);
  return [f0, packBits([[price, BITS.price, "p"]])];
}

export function fundingData(underlying: number, delta: bigint): PublicData {
  const f0 = packBits([
    [BigInt(TxType.FUNDING), 4, "type"],
    [BigInt(underlying), BITS.underlying, "underlying"],
    [delta + FUNDING_DELTA_OFFSET, 64, "delta + 2^63"],
  ]);
  return [f0, 0n];
}

/** Settlement (type 7): `7 │ accountId<<4 │ instrument<<28`, f1 = 0. */
export function settlementData(accountId: bigint, instrument: bigint): PublicData {
  const f0 = packBits([
    [BigInt(TxType.SETTLE), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [instrument, BITS.instrument, "instrument"],
  ]);
  return [f0, 0n];
}

/** Fee sweep: the amount sits at bit 28 like the other amounts (bits 4..27 are zero). */
export function feeSweepData(amount: bigint): PublicData {
  const f0 = packBits([
    [BigInt(TxType.FEE_SWEEP), 4, "type"],
    [0n, ACCOUNT_ID_BITS, "unused"],
    [amount, BITS.amount, "amount"],
  ]);
  return [f0, 0n];
}

/**
 * Forced close (type 9, §6.10): `9 │ accountId<<4 │ instrument<<28 │ settlement<<110 │
 * served<<111`, f1 = insurance. L1 queues f0 with `served` 0 (and f1 0) and compares the slot's f0
 * with `served` masked; the insurance fund account is the operator's pick, proven by the circuit.
 */
export function forcedCloseData(
  accountId: bigint,
  insurance: bigint,
  served: boolean,
  settlement: boolean,
  instrument: bigint,
): PublicData {
  const f0 = packBits([
    [BigInt(TxType.FORCED_CLOSE), 4, "type"],
    [accountId, ACCOUNT_ID_BITS, "accountId"],
    [instrument, BITS.instrument, "instrument"],
    [settlement ? 1n : 0n, 1, "settlement"],
    [served ? 1n : 0n, 1, "served"],
  ]);
  return [f0, packBits([[insurance, ACCOUNT_ID_BITS, "insurance"]])];
}

/** Bit offset of the instrument of a settlement and of a forced close in f0 (28). */
export const SLOT_INSTRUMENT_BIT = 4 + ACCOUNT_ID_BITS;
/** Bit offsets of a forced close's `settlement` and `served` flags in f0. */
export const FORCED_CLOSE_SETTLEMENT_BIT = SLOT_INSTRUMENT_BIT + BITS.instrument; // 110
export const FORCED_CLOSE_SERVED_BIT = FORCED_CLOSE_SETTLEMENT_BIT + 1; // 111

/** A settlement record packed for the public inputs: `underlying │ expiry<<8 │ price<<40`. */
export function packSettlement(record: { underlying: number; expiry: bigint; price: bigint }): bigint {
  return packBits([
    [BigInt(record.underlying), BITS.underlying, "underlying"],
    [record.expiry, BITS.timestamp, "expiry"],
    [record.price, BITS.price, "price"],
  ]);
}

/** Inverse of `packSettlement`. */
export function unpackSettlement(packed: bigint): { underlying: number; expiry: bigint; price: bigint } {
  return {
    underlying: Number(bits(packed, 0, BITS.underlying)),
    expiry: bits(packed, BITS.underlying, BITS.timestamp),
    price: bits(packed, BITS.underlying + BITS.timestamp, BITS.price),
  };
}

/** `width` bits of `value` from bit `offset`. */
export function bits(value: bigint, offset: number, width: number): bigint {
  return (value >> BigInt(offset)) & lowMask(width);
}

const A = 4; // account id / first field offset
const AMOUNT = A + ACCOUNT_ID_BITS; // 28, also the second account id
const FILL_SIZE = AMOUNT + ACCOUNT_ID_BITS; // 52

/** A slot's public data decoded back into its fields (§7): the inverse of the packers above. */
export type DecodedSlot =
  | { readonly type: typeof TxType.NOOP }
  | {
      readonly type: typeof TxType.DEPOSIT;
      readonly accountId: bigint;
      readonly amount: bigint;
    }
  | {
      readonly type: typeof TxType.WITHDRAW;
      readonly accountId: bigint;
      readonly amount: bigint;
      /** The low 32 bits of the withdrawal's order id (`fullOrderId` recovers it from the state). */
      readonly orderIdLow: bigint;
      /** The account held no position: the withdrawal read no price. */
      readonly flat: boolean;
    }
  | {
      readonly type: typeof TxType.FORCED_WITHDRAW;
      readonly accountId: bigint;
      readonly served: bigint;
      readonly requested: bigint;
      /** The account held no position: the forced withdrawal read no price. */
      readonly flat: boolean;
    }
  | {
      readonly type: typeof TxType.TRADE | typeof TxType.LIQUIDATE;
      readonly maker: bigint;
      readonly taker: bigint;
      readonly size: bigint;
      readonly price: bigint;
      readonly takerSide: SideCode;
      /** The low 32 bits of each order id (`fullOrderId` recovers it from the state); 0 in a liquidation. */
      readonly makerOrderIdLow: bigint;
      readonly takerOrderIdLow: bigint;
      /** The instrument's entry in the batch's instrument table (`BatchHeader.instruments`, §8). */
      readonly instrumentIndex: bigint;
    }
  | { readonly type: typeof TxType.FUNDING; readonly underlying: number; readonly delta: bigint }
  | { readonly type: typeof TxType.SETTLE; readonly accountId: bigint; readonly instrument: bigint }
  | { readonly type: typeof TxType.FEE_SWEEP; readonly amount: bigint }
  | {
      readonly type: typeof TxType.FORCED_CLOSE;
      readonly accountId: bigint;
      readonly insurance: bigint;
      readonly served: boolean;
      readonly settlement: boolean;
      readonly instrument: bigint;
    }
  | { readonly type: "unknown"; readonly code: number };

/** Decodes a slot's `f0, f1`; an unknown type code decodes as `{ type: "unknown" }`. */
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
      };
    case TxType.WITHDRAW:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        amount: bits(f0, AMOUNT, BITS.amount),
        orderIdLow: bits(f1, 0, BITS.postedOrderId),
        flat: bits(f0, WITHDRAW_FLAT_BIT, 1) === 1n,
      };
    case TxType.FORCED_WITHDRAW:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        served: bits(f0, AMOUNT, BITS.amount),
        requested: bits(f1, 0, BITS.amount),
        flat: bits(f0, FORCED_WITHDRAW_FLAT_BIT, 1) === 1n,
      };
    case TxType.TRADE: {
      const p = FILL_SIZE + BITS.fillSize; // 84
      const side = p + BITS.fillPrice; // 116
      return {
        type,
        maker: bits(f0, A, ACCOUNT_ID_BITS),
        taker: bits(f0, AMOUNT, ACCOUNT_ID_BITS),
        size: bits(f0, FILL_SIZE, BITS.fillSize),
        price: bits(f0, p, BITS.fillPrice),
        takerSide: Number(bits(f0, side, 1)) as SideCode,
        makerOrderIdLow: bits(f1, 0, BITS.postedOrderId),
        takerOrderIdLow: bits(f1, BITS.postedOrderId, BITS.postedOrderId),
        instrumentIndex: bits(f0, side + 1, BITS.instrumentIndex),
      };
    }
    case TxType.LIQUIDATE: {
      const side = FILL_SIZE + BITS.size; // 100
      return {
        type,
        maker: bits(f0, A, ACCOUNT_ID_BITS),
        taker: bits(f0, AMOUNT, ACCOUNT_ID_BITS),
        size: bits(f0, FILL_SIZE, BITS.size),
        price: bits(f1, 0, BITS.price),
        takerSide: Number(bits(f0, side, 1)) as SideCode,
        makerOrderIdLow: 0n,
        takerOrderIdLow: 0n,
        instrumentIndex: bits(f0, side + 1, BITS.instrumentIndex),
      };
    }
    case TxType.FUNDING:
      return {
        type,
        underlying: Number(bits(f0, 4, BITS.underlying)),
        delta: bits(f0, 4 + BITS.underlying, 64) - FUNDING_DELTA_OFFSET,
      };
    case TxType.SETTLE:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        instrument: bits(f0, SLOT_INSTRUMENT_BIT, BITS.instrument),
      };
    case TxType.FEE_SWEEP:
      return { type, amount: bits(f0, AMOUNT, BITS.amount) };
    case TxType.FORCED_CLOSE:
      return {
        type,
        accountId: bits(f0, A, ACCOUNT_ID_BITS),
        insurance: bits(f1, 0, ACCOUNT_ID_BITS),
        served: bits(f0, FORCED_CLOSE_SERVED_BIT, 1) === 1n,
        settlement: bits(f0, FORCED_CLOSE_SETTLEMENT_BIT, 1) === 1n,
        instrument: bits(f0, SLOT_INSTRUMENT_BIT, BITS.instrument),
      };
    default:
      return { type: "unknown", code: type };
  }
}

/** Names of the transaction types, for people. */
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
  [TxType.FORCED_CLOSE]: "Forced close",
};
