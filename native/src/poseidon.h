/* Poseidon over BN254 with circomlib's parameters (circomlibjs `buildPoseidon`, t = 2..17). */
#ifndef TESSERA_POSEIDON_H
#define TESSERA_POSEIDON_H
#include "field.h"

#define POSEIDON_MAX_INPUTS 16

/*
 * out = Poseidon(in[0..n)) for 1 <= n <= 16, initial state 0, one output: circomlibjs
 * `poseidon(inputs)`. Inputs and output are canonical field elements (< p) as little-endian
 * limbs, not in Montgomery form. Returns 0, or -1 if n is out of range, or -2 - i if input i
 * is not canonical (>= p); out is untouched on error.
 */
int poseidon_hash(fe *out, const fe *in, int n);

/* poseidon_hash with the portable C multiplication, whatever the CPU (for tests). */
int poseidon_hash_portable(fe *out, const fe *in, int n);

/* The field multiplication poseidon_hash uses: "adx" (x86-64 BMI2+ADX) or "c". */
const char *poseidon_multiplier(void);

/*
 * The lazy reduction Poseidon's sums use (fe_ops.h), exposed for tests: out = (sum of a[i] * b[i]
 * for i < k) * 2^-256 mod p, one Montgomery reduction of the k products' sum, with the portable
 * multiplication or the selected one. 1 <= k <= POSEIDON_MAX_INPUTS + 1, inputs canonical.
 * Returns 0, or -1 if k is out of range, or -2 if an input is not canonical.
 */
int field_dot_montgomery(fe *out, const fe *a, const fe *b, int k, int portable);

/* 1 when a < p: a canonical field element. */
int poseidon_is_canonical(const fe *a);

#endif
