/**
 * The journal's binary body of a `place` command: the one command every order makes, written
 * once per order on the core's thread and read once per order by every replay.
 *
 * Its JSON text (core/journal-text.ts `placeCommandJson`) is about 600 bytes, five of its
 * numbers 77-digit field elements printed in decimal; SQLite's insert of that text and its
 * writing were a third of a resting order's time in the core (docs/benchmarks.md, "The place
 * command's body in binary"), and a replay parsed it back with JSON.parse and zod. This body is
 * about 210 bytes, each number its big-endian bytes, and decodes without a parser.
 *
 * Layout, format 1 (every number non-negative, big-endian, minimal: no leading zero byte, 0 is
 * written with no bytes):
 *
 *     u8 format (1) · u8 side (0 | 1)
 *     12 × (u8 length n ≤ 32 · n bytes): accountId, instrument, size, price, orderId, expiry,
 *          flags, signature R8x, R8y, S, public key x, y
 *     u8 n · n ASCII bytes: clientOrderId (n = 0: null)
 *     u8 n · n ASCII bytes: group (n = 0: null; n = 0xff and nothing after: no group)
 *
 * and nothing after. SQLite keeps it as a BLOB in the `body` column, where every other command
 * (and every `place` written before this format) is JSON text: a reader tells them apart by the
 * value's type. A command this format cannot hold (none the API admits) is written as text.
 *
 * `decodePlaceBody` applies the rules `commandSchema` applies to the text (each number below its
 * bound, the identifiers' characters), so a body decodes to exactly what its text would parse
 * to, or is refused with `JournalBodyError`.
 */
import { FIELD_MODULUS } from "../../protocol/field.ts";
import type { SideCode } from "../../protocol/types.ts";
import type { Command } from "../core/commands.ts";
import { GROUP_ID } from "../core/commands.ts";
import { CLIENT_ORDER_ID, ORDER_FIELD_LIMITS } from "../wire.ts";

type PlaceCommand = Extract<Command, { readonly kind: "place" }>;

/** This layout's first byte. */
export const PLACE_BODY_FORMAT = 1;
/** The group byte of a command with no group (the field absent, not null). */
const NO_GROUP = 0xff;
/** Bytes of the largest body: 2 + 12 × 33 + 2 + 36 + 64. */
const MAX_BODY = 2 + 12 * 33 + 2 + 36 + 64;

/** A journaled `place` body that is not a well-formed body of this format. */
export class JournalBodyError extends Error {
  constructor(message: string) {
    super(`journal: a place command's binary body ${message}`);
    this.name = "JournalBodyError";
  }
}

/** Each number's exclusive bound, in the layout's order. */
const BOUNDS: readonly bigint[] = [
  ORDER_FIELD_LIMITS.accountId,
  ORDER_FIELD_LIMITS.instrument,
  ORDER_FIELD_LIMITS.size,
  ORDER_FIELD_LIMITS.price,
  ORDER_FIELD_LIMITS.orderId,
  ORDER_FIELD_LIMITS.expiry,
  ORDER_FIELD_LIMITS.flags,
  FIELD_MODULUS,
  FIELD_MODULUS,
  FIELD_MODULUS,
  FIELD_MODULUS,
  FIELD_MODULUS,
];

/** Reused for every body: SQLite copies a bound BLOB (better-sqlite3 binds it transient). */
const scratch = Buffer.alloc(MAX_BODY);

/** Writes `v` at `at`; the offset after it, or -1 when `v` is not a number below `bound`. */
function putNumber(v: bigint, bound: bigint, at: number): number {
  if (v < 0n || v >= bound) return -1;
  if (v === 0n) {
    scratch[at] = 0;
    return at + 1;
  }
  let hex = v.toString(16);
  if ((hex.length & 1) === 1) hex = `0${hex}`;
  const n = hex.length >> 1;
  scratch[at] = n;
  scratch.write(hex, at + 1, n, "hex");
  return at + 1 + n;
}

/** Writes an identifier (`id` null: length 0); -1 when it is not one `pattern` admits. */
function putId(id: string | null, pattern: RegExp, at: number): number {
  if (id === null) {
    scratch[at] = 0;
    return at + 1;
  }
  if (typeof id !== "string" || !pattern.test(id)) return -1;
  scratch[at] = id.length;
  scratch.write(id, at + 1, "latin1");
  return at + 1 + id.length;
}

/**
 * The binary body of `command`, or null when this format cannot hold it (a value the API would
 * not have admitted): the journal then writes its JSON text. The returned view is valid until
 * the next call; pass it straight to SQLite.
 */
export function encodePlaceBody(command: PlaceCommand): Uint8Array | null {
  const { order: o, signature: s, publicKey: k } = command.order;
  if (o.side !== 0 && o.side !== 1) return null;
  scratch[0] = PLACE_BODY_FORMAT;
  scratch[1] = o.side;
  let at = 2;
  const numbers = [
    o.accountId,
    o.instrument,
    o.size,
    o.price,
    o.orderId,
    o.expiry,
    o.flags,
    s.R8x,
    s.R8y,
    s.S,
    k.x,
    k.y,
  ];
  for (let i = 0; i < numbers.length && at >= 0; i++) at = putNumber(numbers[i]!, BOUNDS[i]!, at);
  if (at < 0) return null;
  at = putId(command.clientOrderId, CLIENT_ORDER_ID, at);
  if (at < 0) return null;
  if (command.group === undefined) scratch[at++] = NO_GROUP;
  else at = putId(command.group, GROUP_ID, at);
  if (at < 0) return null;
  return scratch.subarray(0, at);
}

/** Decodes a body `encodePlaceBody` wrote. @throws JournalBodyError for anything else. */
export function decodePlaceBody(body: Uint8Array): PlaceCommand {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (b.length < 2 || b[0] !== PLACE_BODY_FORMAT)
    throw new JournalBodyError(`has format ${b[0] ?? "(none)"}, not ${PLACE_BODY_FORMAT}`);
  const side = b[1]!;
  if (side !== 0 && side !== 1) throw new JournalBodyError(`has side ${side}`);
  let at = 2;
  const length = (): number => {
    if (at >= b.length) throw new JournalBodyError("ends early");
    return b[at++]!;
  };
  let index = 0;
  /** The next number, below its bound (the layout's order). */
  const num = (): bigint => {
    const n = length();
    if (n > 32 || at + n > b.length) throw new JournalBodyError(`has a number of ${n} bytes at ${at - 1}`);
    if (n > 0 && b[at] === 0) throw new JournalBodyError(`has a leading zero byte at ${at}`);
    const v = n === 0 ? 0n : BigInt(`0x${b.toString("hex", at, at + n)}`);
    if (v >= BOUNDS[index]!) throw new JournalBodyError(`has number ${index} out of range`);
    index += 1;
    at += n;
    return v;
  };
  // Evaluated in the layout's order (an object literal's values are, left to right).
  const order = {
    accountId: num(),
    instrument: num(),
    side: side as SideCode,
    size: num(),
    price: num(),
    orderId: num(),
    expiry: num(),
    flags: num(),
  };
  const signature = { R8x: num(), R8y: num(), S: num() };
  const publicKey = { x: num(), y: num() };
  const id = (pattern: RegExp, what: string): string | null => {
    const n = length();
    if (n === 0) return null;
    if (at + n > b.length) throw new JournalBodyError(`ends inside its ${what}`);
    const s = b.toString("latin1", at, at + n);
    if (!pattern.test(s)) throw new JournalBodyError(`has a malformed ${what}`);
    at += n;
    return s;
  };
  const clientOrderId = id(CLIENT_ORDER_ID, "client order id");
  let group: string | null | undefined;
  if (at < b.length && b[at] === NO_GROUP) {
    at += 1;
    group = undefined;
  } else group = id(GROUP_ID, "group");
  if (at !== b.length) throw new JournalBodyError(`has ${b.length - at} bytes after its end`);
  const command = {
    kind: "place" as const,
    order: { order, signature, publicKey },
    clientOrderId,
  };
  return group === undefined ? command : { ...command, group };
}
