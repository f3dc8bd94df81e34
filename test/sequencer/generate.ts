/**
 * A deterministic generator for the sequencer's generated-case tests, so a failure names its
 * case: xorshift64*, and a pick from a list.
 */

/** 64-bit values from `seed` (xorshift64*). */
export function rng(seed: bigint): () => bigint {
  let x = seed | 1n;
  return () => {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 27n;
    return (x * 0x2545_f491_4f6c_dd1dn) & 0xffff_ffff_ffff_ffffn;
  };
}

/** One of `xs`, chosen by `next`. */
export function pick<T>(next: () => bigint, xs: readonly T[]): T {
  return xs[Number(next() % BigInt(xs.length))]!;
}
