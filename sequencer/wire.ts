/**
 * The wire format shared by the API and the journal: JSON with every bigint as a decimal
 * string (field elements, amounts, sizes, prices, ids, timestamps), validated by zod at each
 * edge. Decoding yields the protocol types of protocol/types.ts.
 */
import { z } from "zod";
import { FIELD_MODULUS } from "../protocol/field.ts";
import { BITS } from "../protocol/constants.ts";
import type { SideCode, SignedOrder } from "../protocol/types.ts";

/** A non-negative decimal integer without leading zeros, at most 78 digits (the schemas and their fast paths). */
const DECIMAL = /^(0|[1-9]\d{0,77})$/;

/** An unsigned integer below 2^bits, as a decimal string. */
export function uint(bits: number, description: string) {
  const limit = 1n << BigInt(bits);
  // zod runs every check even after one failed: the refinement re-tests the format so that
  // `BigInt` never sees a malformed string.
  return z
    .string()
    .regex(DECIMAL, "expected a decimal integer string without leading zeros")
    .refine((s) => DECIMAL.test(s) && BigInt(s) < limit, `must be below 2^${bits}`)
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
  .regex(DECIMAL, "expected a decimal field element")
  .refine((s) => DECIMAL.test(s) && BigInt(s) < FIELD_MODULUS, "must be below the BN254 scalar field modulus")
  .transform((s) => BigInt(s));

export const accountIdSchema = uint(BITS.maxAccountDepth, "account id");
export const orderIdSchema = uint(BITS.orderId, "order id (the signed 48-bit nonce)");
export const instrumentSchema = uint(BITS.instrument, "instrument id (docs/protocol.md §3)");
export const sideSchema = z
  .union([z.literal(0), z.literal(1)])
  .describe("0 buy, 1 sell")
  .transform((s) => s as SideCode);
/** What a client order id may be (`clientOrderIdSchema`). */
export const CLIENT_ORDER_ID = /^[A-Za-z0-9_.:-]{1,36}$/;
export const clientOrderIdSchema = z
  .string()
  .regex(CLIENT_ORDER_ID, "1-36 characters of A-Z a-z 0-9 _ . : -")
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

/*
 * Fast paths of the hot schemas: a market maker's order messages. Each returns exactly what the
 * zod schema's parse returns (the same values, keys in the same order) for an input it accepts,
 * and undefined for any other, valid or not: the caller then parses with zod, which accepts it or
 * words the error. A fast path may turn away more than zod, never less
 * (test/sequencer/fastparse.test.ts compares the two on the edges of every field). zod tests each
 * decimal three times and converts it twice, and allocates for every step; these test once.
 */

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Whether every enumerable key of `v` is its own and among `allowed` (what a strict zod object
 * requires of unknown keys); the caller checks the required ones by their values.
 */
export function onlyKeys(v: Readonly<Record<string, unknown>>, allowed: ReadonlySet<string>): boolean {
  for (const k in v) if (!Object.hasOwn(v, k) || !allowed.has(k)) return false;
  return true;
}

function fastBelow(v: unknown, limit: bigint): bigint | undefined {
  if (typeof v !== "string" || !DECIMAL.test(v)) return undefined;
  const b = BigInt(v);
  return b < limit ? b : undefined;
}

/** Each order field's exclusive upper bound (`orderSchema`'s bit widths). */
export const ORDER_FIELD_LIMITS = {
  accountId: 1n << BigInt(BITS.maxAccountDepth),
  instrument: 1n << BigInt(BITS.instrument),
  size: 1n << BigInt(BITS.size),
  price: 1n << BigInt(BITS.price),
  orderId: 1n << BigInt(BITS.orderId),
  expiry: 1n << BigInt(BITS.timestamp),
  flags: 1n << BigInt(BITS.flags),
} as const;

const ORDER_KEYS: ReadonlySet<string> = new Set(Object.keys(orderSchema.shape));
const SIGNATURE_KEYS: ReadonlySet<string> = new Set(["R8x", "R8y", "S"]);
const PUBLIC_KEY_KEYS: ReadonlySet<string> = new Set(["x", "y"]);
const SIGNED_ORDER_KEYS: ReadonlySet<string> = new Set(["order", "signature", "publicKey"]);

/** `signedOrderSchema`'s parse, fast (see above). */
export function fastSignedOrder(v: unknown): SignedOrder | undefined {
  if (!isRecord(v) || !onlyKeys(v, SIGNED_ORDER_KEYS)) return undefined;
  const o = v["order"];
  const sig = v["signature"];
  const pk = v["publicKey"];
  if (!isRecord(o) || !onlyKeys(o, ORDER_KEYS)) return undefined;
  if (!isRecord(sig) || !onlyKeys(sig, SIGNATURE_KEYS) || !isRecord(pk) || !onlyKeys(pk, PUBLIC_KEY_KEYS))
    return undefined;
  const side = o["side"];
  if (side !== 0 && side !== 1) return undefined;
  const accountId = fastBelow(o["accountId"], ORDER_FIELD_LIMITS.accountId);
  const instrument = fastBelow(o["instrument"], ORDER_FIELD_LIMITS.instrument);
  const size = fastBelow(o["size"], ORDER_FIELD_LIMITS.size);
  const price = fastBelow(o["price"], ORDER_FIELD_LIMITS.price);
  const orderId = fastBelow(o["orderId"], ORDER_FIELD_LIMITS.orderId);
  const expiry = fastBelow(o["expiry"], ORDER_FIELD_LIMITS.expiry);
  const flags = fastBelow(o["flags"], ORDER_FIELD_LIMITS.flags);
  const R8x = fastBelow(sig["R8x"], FIELD_MODULUS);
  const R8y = fastBelow(sig["R8y"], FIELD_MODULUS);
  const S = fastBelow(sig["S"], FIELD_MODULUS);
  const x = fastBelow(pk["x"], FIELD_MODULUS);
  const y = fastBelow(pk["y"], FIELD_MODULUS);
  if (
    accountId === undefined ||
    instrument === undefined ||
    size === undefined ||
    price === undefined ||
    orderId === undefined ||
    expiry === undefined ||
    flags === undefined ||
    R8x === undefined ||
    R8y === undefined ||
    S === undefined ||
    x === undefined ||
    y === undefined
  )
    return undefined;
  return {
    order: { accountId, instrument, side, size, price, orderId, expiry, flags },
    signature: { R8x, R8y, S },
    publicKey: { x, y },
  };
}

/** `clientOrderIdSchema`'s parse, fast: the string, or undefined. */
export function fastClientOrderId(v: unknown): string | undefined {
  return typeof v === "string" && CLIENT_ORDER_ID.test(v) ? v : undefined;
}
