/**
 * BN254 scalar field and the protocol's one signed encoding (docs/protocol.md §1).
 */

/** The BN254 scalar field modulus (the circuit's native field). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Maps a signed integer to its field encoding `v mod r` (so -1 becomes r - 1). */
export function toField(v: bigint): bigint {
  const m = v % FIELD_MODULUS;
  return m < 0n ? m + FIELD_MODULUS : m;
}

/** Inverse of `toField` for values known to satisfy |v| < r/2. */
export function fromFieldSigned(x: bigint): bigint {
  if (x < 0n || x >= FIELD_MODULUS) throw new RangeError(`not a field element: ${x}`);
  return x > FIELD_MODULUS / 2n ? x - FIELD_MODULUS : x;
}

/** Powers of two and masks of up to `POW2_TABLE_BITS` bits, made once: the range checks and field
 * extractions of every order and fill ask for the same few, and a bigint made per call is
 * garbage the venue's collector pays for. */
const POW2_TABLE_BITS = 512;
const POW2: bigint[] = [];
const MASKS: bigint[] = [];
for (let b = 0; b <= POW2_TABLE_BITS; b++) {
  POW2.push(1n << BigInt(b));
  MASKS.push((1n << BigInt(b)) - 1n);
}

/** `2^bits` (`bits` a whole number ≥ 0). */
export function pow2(bits: number): bigint {
  return POW2[bits] ?? 1n << BigInt(bits);
}

/** `2^bits − 1`, the mask of the low `bits` bits (`bits` a whole number ≥ 0). */
export function lowMask(bits: number): bigint {
  return MASKS[bits] ?? (1n << BigInt(bits)) - 1n;
}

/** True when `0 <= v < 2^bits`. */
export function fitsUnsigned(v: bigint, bits: number): boolean {
  return v >= 0n && v < pow2(bits);
}

/** True when `-2^bits < v < 2^bits` (the signed ranges of docs/protocol.md §1). */
export function fitsSigned(v: bigint, bits: number): boolean {
  const bound = pow2(bits);
  return v > -bound && v < bound;
}

export function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
