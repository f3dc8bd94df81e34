/**
 * Instrument ids (docs/protocol.md §3): the id encodes its own parameters.
 *
 *   id = underlying + kind·2^8 + strike·2^10 + expiry·2^50      (82 bits)
 *
 * Names: `ETH-PERP`, `BTC-20261225-100000-C` (expiry date, strike in whole USD or with cents,
 * C/P). Options expire at 08:00 UTC of their date; another expiry time is written
 * `YYYYMMDDTHHMMSS`.
 */
import { BITS } from "./constants.ts";
import { ensure, ProtocolError } from "./errors.ts";
import { fitsUnsigned, lowMask } from "./field.ts";
import { InstrumentKind } from "./types.ts";
import type { InstrumentKindCode, InstrumentSpec, Profile } from "./types.ts";

/** Instrument id 0 is the withdrawal message (§5.2), never a tradable instrument. */
export const WITHDRAWAL_INSTRUMENT = 0n;

/** The listed underlyings, id 1..U. */
export const UNDERLYINGS = [
  { id: 1, symbol: "ETH" },
  { id: 2, symbol: "BTC" },
] as const;

/** Seconds after midnight UTC at which an option whose name has only a date expires. */
export const OPTION_EXPIRY_SECOND_OF_DAY = 8n * 3600n;

const SECONDS_PER_DAY = 86_400n;
const KIND_SHIFT = 8n;
const STRIKE_SHIFT = 10n;
const EXPIRY_SHIFT = 50n;

/** Packs a spec into its id. Checks the field widths only; `validateInstrument` checks the rest. */
export function encodeInstrument(spec: InstrumentSpec): bigint {
  ensure(
    Number.isInteger(spec.underlying) && fitsUnsigned(BigInt(spec.underlying), BITS.underlying),
    "OUT_OF_RANGE",
    () => `underlying ${spec.underlying}`,
  );
  ensure(fitsUnsigned(BigInt(spec.kind), BITS.kind), "OUT_OF_RANGE", () => `kind ${spec.kind}`);
  ensure(fitsUnsigned(spec.strike, BITS.price), "OUT_OF_RANGE", () => `strike ${spec.strike}`);
  ensure(fitsUnsigned(spec.expiry, BITS.timestamp), "OUT_OF_RANGE", () => `expiry ${spec.expiry}`);
  return (
    BigInt(spec.underlying) +
    (BigInt(spec.kind) << KIND_SHIFT) +
    (spec.strike << STRIKE_SHIFT) +
    (spec.expiry << EXPIRY_SHIFT)
  );
}

/**
 * Decoded ids, kept for the next call: the rules decode the same few instruments many times per
 * order (each position's margin, each fill). Bounded, since ids come from users: emptied when
 * full. The specs are frozen, so a caller cannot change another's.
 */
const decoded = new Map<bigint, InstrumentSpec>();
const DECODED_CACHE_SIZE = 4096;

/** Unpacks an id (any 82-bit value; the kind may be the invalid 3, which `validate` rejects). */
export function decodeInstrument(id: bigint): InstrumentSpec {
  const known = decoded.get(id);
  if (known !== undefined) return known;
  ensure(fitsUnsigned(id, BITS.instrument), "OUT_OF_RANGE", () => `instrument id ${id} exceeds 82 bits`);
  const spec: InstrumentSpec = Object.freeze({
    underlying: Number(id & lowMask(BITS.underlying)),
    kind: Number((id >> KIND_SHIFT) & lowMask(BITS.kind)) as InstrumentKindCode,
    strike: (id >> STRIKE_SHIFT) & lowMask(BITS.price),
    expiry: (id >> EXPIRY_SHIFT) & lowMask(BITS.timestamp),
  });
  if (decoded.size >= DECODED_CACHE_SIZE) decoded.clear();
  decoded.set(id, spec);
  return spec;
}

/**
 * Decodes and checks an instrument against §6.3.2: `1 ≤ underlying ≤ U`, kind ≤ 2, perps have
 * strike = expiry = 0, options strike > 0 and expiry > 0 (`BAD_INSTRUMENT`). When `now` is
 * given, an option must also have `expiry > now` (`INSTRUMENT_EXPIRED`).
 */
export function validateInstrument(id: bigint, profile: Profile, now?: bigint): InstrumentSpec {
  ensure(fitsUnsigned(id, BITS.instrument), "BAD_INSTRUMENT", () => `instrument id ${id} exceeds 82 bits`);
  const spec = decodeInstrument(id);
  ensure(
    spec.underlying >= 1 && spec.underlying <= profile.underlyings,
    "BAD_INSTRUMENT",
    () => `underlying ${spec.underlying} not in 1..${profile.underlyings}`,
  );
  ensure(spec.kind <= InstrumentKind.PUT, "BAD_INSTRUMENT", () => `kind ${spec.kind}`);
  if (spec.kind === InstrumentKind.PERP) {
    ensure(spec.strike === 0n && spec.expiry === 0n, "BAD_INSTRUMENT", "a perpetual has strike = expiry = 0");
  } else {
    ensure(spec.strike > 0n && spec.expiry > 0n, "BAD_INSTRUMENT", "an option has strike > 0 and expiry > 0");
    if (now !== undefined) {
      ensure(spec.expiry > now, "INSTRUMENT_EXPIRED", () => `option expired at ${spec.expiry}, batch time ${now}`);
    }
  }
  return spec;
}

export function isOption(spec: InstrumentSpec): boolean {
  return spec.kind !== InstrumentKind.PERP;
}

export function perpId(underlying: number): bigint {
  return encodeInstrument({ underlying, kind: InstrumentKind.PERP, strike: 0n, expiry: 0n });
}

export function optionId(underlying: number, kind: InstrumentKindCode, strike: bigint, expiry: bigint): bigint {
  ensure(kind !== InstrumentKind.PERP, "BAD_INSTRUMENT", "optionId needs a call or a put");
  return encodeInstrument({ underlying, kind, strike, expiry });
}

// --- names ---------------------------------------------------------------------------------

function symbolOf(underlying: number): string {
  const u = UNDERLYINGS.find((x) => x.id === underlying);
  if (u === undefined) throw new ProtocolError("BAD_INSTRUMENT", `no listed underlying ${underlying}`);
  return u.symbol;
}

/** Days since 1970-01-01 → civil date (proleptic Gregorian, H. Hinnant's algorithm). */
function civilFromDays(days: bigint): { y: bigint; m: bigint; d: bigint } {
  const z = days + 719_468n;
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n;
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return { y: yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d };
}

/** Civil date → days since 1970-01-01. */
function daysFromCivil(y: bigint, m: bigint, d: bigint): bigint {
  const yy = m <= 2n ? y - 1n : y;
  const era = (yy >= 0n ? yy : yy - 399n) / 400n;
  const yoe = yy - era * 400n;
  const doy = (153n * (m > 2n ? m - 3n : m + 9n) + 2n) / 5n + d - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146_097n + doe - 719_468n;
}

function pad(v: bigint, width: number): string {
  return v.toString().padStart(width, "0");
}

function formatExpiry(expiry: bigint): string {
  const { y, m, d } = civilFromDays(expiry / SECONDS_PER_DAY);
  const date = `${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}`;
  const sod = expiry % SECONDS_PER_DAY;
  if (sod === OPTION_EXPIRY_SECOND_OF_DAY) return date;
  return `${date}T${pad(sod / 3600n, 2)}${pad((sod / 60n) % 60n, 2)}${pad(sod % 60n, 2)}`;
}

function parseExpiry(text: string): bigint {
  const match = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?$/.exec(text);
  if (match === null) throw new ProtocolError("BAD_INSTRUMENT", `bad expiry ${text}`);
  const [y, m, d] = [BigInt(match[1]!), BigInt(match[2]!), BigInt(match[3]!)];
  ensure(m >= 1n && m <= 12n && d >= 1n && d <= 31n, "BAD_INSTRUMENT", () => `bad date ${text}`);
  const days = daysFromCivil(y, m, d);
  const back = civilFromDays(days);
  ensure(back.m === m && back.d === d, "BAD_INSTRUMENT", () => `no such date ${text}`);
  const sod =
    match[4] === undefined
      ? OPTION_EXPIRY_SECOND_OF_DAY
      : BigInt(match[4]) * 3600n + BigInt(match[5]!) * 60n + BigInt(match[6]!);
  ensure(sod < SECONDS_PER_DAY, "BAD_INSTRUMENT", () => `bad time ${text}`);
  return days * SECONDS_PER_DAY + sod;
}

/** Cents → "100000" or "3000.25". */
function formatStrike(strike: bigint): string {
  const cents = strike % 100n;
  return cents === 0n ? (strike / 100n).toString() : `${strike / 100n}.${pad(cents, 2)}`;
}

function parseStrike(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (match === null) throw new ProtocolError("BAD_INSTRUMENT", `bad strike ${text}`);
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? "0").padEnd(2, "0"));
}

/** The display name of an instrument, e.g. `ETH-PERP` or `BTC-20261225-100000-C`. */
export function instrumentName(id: bigint): string {
  const spec = decodeInstrument(id);
  const symbol = symbolOf(spec.underlying);
  if (spec.kind === InstrumentKind.PERP) return `${symbol}-PERP`;
  const cp = spec.kind === InstrumentKind.CALL ? "C" : spec.kind === InstrumentKind.PUT ? "P" : "?";
  return `${symbol}-${formatExpiry(spec.expiry)}-${formatStrike(spec.strike)}-${cp}`;
}

/** Inverse of `instrumentName`. */
export function parseInstrumentName(name: string): bigint {
  const parts = name.split("-");
  const u = UNDERLYINGS.find((x) => x.symbol === parts[0]);
  if (u === undefined) throw new ProtocolError("BAD_INSTRUMENT", `unknown underlying in ${name}`);
  if (parts.length === 2 && parts[1] === "PERP") return perpId(u.id);
  if (parts.length !== 4 || (parts[3] !== "C" && parts[3] !== "P")) {
    throw new ProtocolError("BAD_INSTRUMENT", `bad instrument name ${name}`);
  }
  const kind = parts[3] === "C" ? InstrumentKind.CALL : InstrumentKind.PUT;
  return optionId(u.id, kind, parseStrike(parts[2]!), parseExpiry(parts[1]!));
}

/** One row of an option chain: the call and the put at one strike and expiry. */
export interface OptionChainRow {
  readonly expiry: bigint;
  readonly strike: bigint;
  readonly call: bigint;
  readonly put: bigint;
}

/** The chain `expiries × strikes` of one underlying, sorted by expiry then strike. */
export function optionChain(
  underlying: number,
  expiries: readonly bigint[],
  strikes: readonly bigint[],
): OptionChainRow[] {
  const byValue = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
  const rows: OptionChainRow[] = [];
  for (const expiry of [...new Set(expiries)].sort(byValue)) {
    for (const strike of [...new Set(strikes)].sort(byValue)) {
      rows.push({
        expiry,
        strike,
        call: optionId(underlying, InstrumentKind.CALL, strike, expiry),
        put: optionId(underlying, InstrumentKind.PUT, strike, expiry),
      });
    }
  }
  return rows;
}

/** `count` strikes either side of `spot` on a grid of `step` cents (strikes > 0). */
export function strikeGrid(spot: bigint, step: bigint, count: number): bigint[] {
  ensure(step > 0n && count >= 0, "OUT_OF_RANGE", "strike step must be positive");
  const atm = ((spot + step / 2n) / step) * step;
  const strikes: bigint[] = [];
  for (let i = -count; i <= count; i++) {
    const k = atm + BigInt(i) * step;
    if (k > 0n) strikes.push(k);
  }
  return strikes;
}

/** Next expiry at 08:00 UTC strictly after `now` on the given weekday (0 = Sunday … 5 = Friday). */
export function nextWeeklyExpiry(now: bigint, weekday: number): bigint {
  // 1970-01-01 was a Thursday (weekday 4).
  let day = now / SECONDS_PER_DAY;
  for (;;) {
    const candidate = day * SECONDS_PER_DAY + OPTION_EXPIRY_SECOND_OF_DAY;
    if (Number((day + 4n) % 7n) === weekday && candidate > now) return candidate;
    day += 1n;
  }
}
