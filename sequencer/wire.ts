/**
 * The wire format shared by the API and the journal: JSON with every bigint as a decimal
 * string (field elements, amounts, sizes, prices, ids, timestamps), validated by zod at each
 * edge. Decoding yields the protocol types of protocol/types.ts.
 */
import { z } from "zod";
import { FIELD_MODULUS } from "../protocol/field.ts";
import { BITS } from "../protocol/constants.ts";
import type { SideCode, SignedOrder } from "../protocol/types.ts";

/** An unsigned integer below 2^bits, as a decimal string. */
export function uint(bits: number, description: string) {
  const limit = 1n << BigInt(bits);
  const digits = /^(0|[1-9]\d{0,77})$/;
  // zod runs every check even after one failed: the refinement re-tests the format so that
  // `BigInt` never sees a malformed string.
  return z
    .string()
    .regex(digits, "expected a decimal integer string without leading zeros")
    .refine((s) => digits.test(s) && BigInt(s) < limit, `must be below 2^${bits}`)
    .transform((s) => BigInt(s))
    .describe(description);
}

/** A signed integer with |v| < 2^bits, as a decimal string. */
export function int(bits: number, description: string) {
  const limit = 1n << BigInt(bits);
  const digits = /^(0|-?[1-9]\d{0,77})$/;
  return z
    .string()
    .regex(digits, "expected a decimal integer string without leading zeros")
    .refine((s) => {
      if (!digits.test(s)) return false;
      const v = BigInt(s);
      return v < limit && v > -limit;
    }, `must be within ±2^${bits}`)
    .transform((s) => BigInt(s))
    .describe(description);
}

/** A BN254 scalar field element as a decimal string. */
export const fieldElement = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, "expected a decimal field element")
  .refine(
    (s) => /^(0|[1-9]\d{0,77})$/.test(s) && BigInt(s) < FIELD_MODULUS,
    "must be below the BN254 scalar field modulus",
  )
  .transform((s) => BigInt(s));

export const accountIdSchema = uint(BITS.maxAccountDepth, "account id");
export const orderIdSchema = uint(BITS.orderId, "order id (the signed 48-bit nonce)");
export const instrumentSchema = uint(BITS.instrument, "instrument id (docs/protocol.md §3)");
export const sideSchema = z
  .union([z.literal(0), z.literal(1)])
  .describe("0 buy, 1 sell")
  .transform((s) => s as SideCode);
export const clientOrderIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,36}$/, "1-36 characters of A-Z a-z 0-9 _ . : -")
  .describe("optional client order id, unique among the account's open orders");

export const orderSchema = z
  .object({
    accountId: accountIdSchema,
    instrument: instrumentSchema,
    side: sideSchema,
    size: uint(BITS.size, "size in 1e-4 units"),
    price: uint(BITS.price, "limit price in cents (for a market order: the worst acceptable price)"),
    orderId: orderIdSchema,
    expiry: uint(BITS.timestamp, "unix seconds"),
    flags: uint(BITS.flags, "bit 0 reduce-only, bit 1 post-only, bits 2-3 time in force (0 GTC, 1 IOC, 2 FOK)"),
  })
  .strict();

export const signedOrderSchema = z
  .object({
    order: orderSchema,
    signature: z.object({ R8x: fieldElement, R8y: fieldElement, S: fieldElement }).strict(),
    publicKey: z.object({ x: fieldElement, y: fieldElement }).strict(),
  })
  .strict()
  .transform((s): SignedOrder => s);

/** JSON with bigints written as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A plain JSON value with bigints as decimal strings (for fastify replies). */
export function toWire<T>(value: T): unknown {
  return JSON.parse(toJson(value));
}
