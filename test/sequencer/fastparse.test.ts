/**
 * The intake's fast paths of the order messages (sequencer/wire.ts `fastSignedOrder`,
 * sequencer/intake/schemas.ts `fastPlaceOne`, `fastPlaceBatch`, `fastWsMessage`) against the zod
 * schemas they stand in for, differentially: every message below is built from a valid one by
 * changing one field to an edge of its width (0, 1, 2^n − 1, 2^n, −1, leading zeros, the field
 * modulus, other types, missing, extra keys, `__proto__`), as JSON text parsed the way the
 * intake parses it. Wherever the fast path answers, zod accepts and gives the same values with
 * the same keys in the same order; and it answers for every message zod accepts, so the fast path
 * is the one taken (a refusal still gets zod's words).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { z } from "zod";
import { BITS } from "../../protocol/constants.ts";
import { FIELD_MODULUS } from "../../protocol/field.ts";
import {
  fastPlaceBatch,
  fastPlaceOne,
  fastWsMessage,
  MAX_BATCH_ITEMS,
  placeBatchSchema,
  placeOneSchema,
  wsMessageSchema,
} from "../../sequencer/intake/schemas.ts";
import { fastSignedOrder, signedOrderSchema, toJson } from "../../sequencer/wire.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const VALID_ORDER = {
  accountId: "12",
  instrument: "1",
  side: 0,
  size: "10",
  price: "300000",
  orderId: "7",
  expiry: "0",
  flags: "0",
};
const VALID_SIGNED = {
  order: VALID_ORDER,
  signature: { R8x: "1", R8y: "2", S: "3" },
  publicKey: { x: "4", y: "5" },
};

/** The edges of an unsigned field of `bits` bits (and the forms zod's decimal rule refuses). */
function uintEdges(bits: number): Json[] {
  const top = 1n << BigInt(bits);
  return [
    "0",
    "1",
    (top - 1n).toString(),
    top.toString(),
    (top + 1n).toString(),
    "-1",
    "-0",
    "01",
    "00",
    "",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "9".repeat(78),
    "9".repeat(79),
    1,
    0,
    null,
    true,
    [],
    {},
  ];
}

function fieldEdges(): Json[] {
  return [
    "0",
    "1",
    (FIELD_MODULUS - 1n).toString(),
    FIELD_MODULUS.toString(),
    (FIELD_MODULUS + 1n).toString(),
    ((1n << 254n) - 1n).toString(),
    "-1",
    "01",
    "",
    "9".repeat(78),
    "9".repeat(79),
    5,
    null,
    {},
  ];
}

const ORDER_FIELDS: Readonly<Record<string, Json[]>> = {
  accountId: uintEdges(BITS.maxAccountDepth),
  instrument: uintEdges(BITS.instrument),
  side: [0, 1, 2, -1, -0, 0.5, "0", "1", true, false, null, [], {}],
  size: uintEdges(BITS.size),
  price: uintEdges(BITS.price),
  orderId: uintEdges(BITS.orderId),
  expiry: uintEdges(BITS.timestamp),
  flags: uintEdges(BITS.flags),
};

const MISSING: unique symbol = Symbol("missing");
type Variant = Json | typeof MISSING;

/** `base` with `key` set to `value` (or removed), a copy. */
function withKey(base: Record<string, Json>, key: string, value: Variant): Record<string, Json> {
  const out = { ...base };
  if (value === MISSING) delete out[key];
  else out[key] = value;
  return out;
}

/** Signed orders: each field of the order, the signature and the key at its edges; shapes broken. */
function signedOrderVariants(): Json[] {
  const out: Json[] = [VALID_SIGNED];
  for (const [field, edges] of Object.entries(ORDER_FIELDS))
    for (const v of [...edges, MISSING] as Variant[])
      out.push({ ...VALID_SIGNED, order: withKey(VALID_ORDER, field, v) });
  for (const part of ["signature", "publicKey"] as const) {
    const base = VALID_SIGNED[part] as Record<string, Json>;
    for (const field of Object.keys(base))
      for (const v of [...fieldEdges(), MISSING] as Variant[])
        out.push({ ...VALID_SIGNED, [part]: withKey(base, field, v) });
    out.push({ ...VALID_SIGNED, [part]: { ...base, extra: "1" } });
    out.push({ ...VALID_SIGNED, [part]: null }, { ...VALID_SIGNED, [part]: [] });
  }
  out.push({ ...VALID_SIGNED, order: { ...VALID_ORDER, extra: "1" } }, { ...VALID_SIGNED, extra: 1 });
  for (const key of Object.keys(VALID_SIGNED)) out.push(withKey(VALID_SIGNED, key, MISSING));
  out.push(null, [], "order", 1);
  return out;
}

const CLIENT_IDS: Variant[] = ["a", "A-z_0.9:x", "x".repeat(36), "x".repeat(37), "", "a b", "ü", 5, null, MISSING];
const CONNECTION_IDS: Variant[] = ["c1", "A_b-9", "x".repeat(64), "x".repeat(65), "", "a.b", 3, null, MISSING];
const REQUEST_IDS: Variant[] = [
  "r1",
  "",
  "x".repeat(64),
  "x".repeat(65),
  0,
  -5,
  2 ** 53 - 1,
  2 ** 53,
  1e21,
  1.5,
  true,
  null,
  [],
  MISSING,
];

/** JSON text parsed as the intake parses it; `__proto__` keys are written into the text itself. */
function wire(value: Json): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The same message with an own `__proto__` key (JSON.parse makes it an own property). */
function withProto(value: Record<string, Json>): unknown {
  const text = JSON.stringify(value);
  return JSON.parse(`{"__proto__":{"x":1},${text.slice(1)}`);
}

/**
 * Asserts that `fast` agrees with `schema` on `input`: where it answers, zod accepts with the same
 * output (values, keys and their order); and it answers wherever zod accepts.
 */
function agree<S extends z.ZodType>(
  schema: S,
  fast: (v: unknown) => z.output<S> | undefined,
  input: unknown,
  tally: { fast: number; zodOnly: number; refused: number },
): void {
  const expected = schema.safeParse(input);
  const got = fast(input);
  const shown = JSON.stringify(input)?.slice(0, 200);
  if (got !== undefined) {
    assert.ok(expected.success, `the fast path accepted what zod refuses: ${shown}`);
    assert.deepStrictEqual(got, expected.data, shown);
    assert.equal(toJson(got), toJson(expected.data), `key order: ${shown}`);
    tally.fast += 1;
  } else if (expected.success) {
    tally.zodOnly += 1;
    assert.fail(`zod accepts what the fast path passes on: ${shown}`);
  } else tally.refused += 1;
}

describe("fast paths of the order messages", () => {
  test("signed orders: the fast path answers exactly where zod accepts, with zod's output", () => {
    const tally = { fast: 0, zodOnly: 0, refused: 0 };
    for (const v of signedOrderVariants()) agree(signedOrderSchema, fastSignedOrder, wire(v), tally);
    agree(signedOrderSchema, fastSignedOrder, withProto(VALID_SIGNED), tally);
    assert.ok(tally.fast >= 20 && tally.refused >= 200, JSON.stringify(tally));
  });

  test("POST /v1/orders and /v1/orders/batch bodies", () => {
    const tally = { fast: 0, zodOnly: 0, refused: 0 };
    const one = (extra: Record<string, Json>) => ({ order: VALID_SIGNED, ...extra });
    for (const order of signedOrderVariants()) agree(placeOneSchema, fastPlaceOne, wire({ order }), tally);
    for (const c of CLIENT_IDS)
      for (const d of CONNECTION_IDS) {
        let body = withKey(one({}), "clientOrderId", c);
        body = withKey(body, "cancelOnDisconnect", d);
        agree(placeOneSchema, fastPlaceOne, wire(body), tally);
      }
    agree(placeOneSchema, fastPlaceOne, wire(one({ extra: 1 })), tally);
    agree(placeOneSchema, fastPlaceOne, withProto(one({})), tally);
    agree(placeOneSchema, fastPlaceOne, wire(withKey(one({}), "order", MISSING)), tally);

    const item = (c: Variant) => withKey({ order: VALID_SIGNED }, "clientOrderId", c);
    for (const n of [0, 1, 2, MAX_BATCH_ITEMS, MAX_BATCH_ITEMS + 1])
      for (const d of CONNECTION_IDS) {
        const orders = Array.from({ length: n }, (_, i) => item(i % 2 === 0 ? "c" + i : MISSING));
        agree(placeBatchSchema, fastPlaceBatch, wire(withKey({ orders }, "cancelOnDisconnect", d)), tally);
      }
    for (const c of CLIENT_IDS) agree(placeBatchSchema, fastPlaceBatch, wire({ orders: [item(c), item("ok")] }), tally);
    for (const order of signedOrderVariants().slice(0, 60))
      agree(placeBatchSchema, fastPlaceBatch, wire({ orders: [item("a"), { order }] }), tally);
    agree(placeBatchSchema, fastPlaceBatch, wire({ orders: [{ ...item("a"), extra: 1 }] }), tally);
    agree(placeBatchSchema, fastPlaceBatch, wire({ orders: {} }), tally);
    agree(placeBatchSchema, fastPlaceBatch, wire({ orders: [item("a")], extra: 1 }), tally);
    assert.ok(tally.fast >= 40 && tally.refused >= 200, JSON.stringify(tally));
  });

  test("WebSocket place and placeBatch messages; other messages are left to zod", () => {
    const tally = { fast: 0, zodOnly: 0, refused: 0 };
    for (const id of REQUEST_IDS)
      for (const c of CLIENT_IDS) {
        const place = withKey(withKey({ op: "place", order: VALID_SIGNED }, "id", id), "clientOrderId", c);
        agree(wsMessageSchema, fastWsMessage, wire(place), tally);
        const batch = withKey(
          { op: "placeBatch", orders: [withKey({ order: VALID_SIGNED }, "clientOrderId", c)] },
          "id",
          id,
        );
        agree(wsMessageSchema, fastWsMessage, wire(batch), tally);
      }
    for (const order of signedOrderVariants())
      agree(wsMessageSchema, fastWsMessage, wire({ op: "place", id: 1, order }), tally);
    for (const op of ["place", "placeBatch", "cancel", "ping", "PLACE", "", 1, null, MISSING] as Variant[])
      agree(wsMessageSchema, fastWsMessage, wire(withKey({ order: VALID_SIGNED, id: 2 }, "op", op)), tally);
    agree(wsMessageSchema, fastWsMessage, wire({ op: "place", order: VALID_SIGNED, extra: 1 }), tally);
    agree(wsMessageSchema, fastWsMessage, wire({ op: "placeBatch", orders: [], id: 3 }), tally);
    agree(wsMessageSchema, fastWsMessage, withProto({ op: "place", order: VALID_SIGNED }), tally);
    // Not an order message: zod's alone, valid or not.
    for (const m of [{ op: "ping" }, { op: "cancel", orderId: "1" }, { op: "auth", token: "t" }] as Json[])
      assert.equal(fastWsMessage(wire(m)), undefined);
    assert.ok(tally.fast >= 60 && tally.refused >= 200, JSON.stringify(tally));
  });
});
