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

/** True when `0 <= v < 2^bits`. */
export function fitsUnsigned(v: bigint, bits: number): boolean {
  return v >= 0n && v < 1n << BigInt(bits);
}

/** True when `-2^bits < v < 2^bits` (the signed ranges of docs/protocol.md §1). */
export function fitsSigned(v: bigint, bits: number): boolean {
  const bound = 1n << BigInt(bits);
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
