/*
 * Field operations over FE_P (poseidon_constants.h, generated). All inputs and outputs are in
 * [0, p). Multiplication is CIOS Montgomery multiplication without the final carry word, valid
 * because the top limb of p is below 2^63 - 1 (p < 2^254).
 */
#ifndef TESSERA_FE_OPS_H
#define TESSERA_FE_OPS_H
#include "poseidon_constants.h"

/* r = t - p if t >= p, else t (t < 2p). */
static inline void fe_reduce_once(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3) {
  u128 d;
  uint64_t s0, s1, s2, s3, borrow;
  d = (u128)t0 - FE_P.v[0];
  s0 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t1 - FE_P.v[1] - borrow;
  s1 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t2 - FE_P.v[2] - borrow;
  s2 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t3 - FE_P.v[3] - borrow;
  s3 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  if (borrow) {
    r->v[0] = t0, r->v[1] = t1, r->v[2] = t2, r->v[3] = t3;
  } else {
    r->v[0] = s0, r->v[1] = s1, r->v[2] = s2, r->v[3] = s3;
  }
}

static inline void fe_add(fe *r, const fe *a, const fe *b) {
  u128 c;
  uint64_t t0, t1, t2, t3;
  c = (u128)a->v[0] + b->v[0];
  t0 = (uint64_t)c;
  c = (u128)a->v[1] + b->v[1] + (uint64_t)(c >> 64);
  t1 = (uint64_t)c;
  c = (u128)a->v[2] + b->v[2] + (uint64_t)(c >> 64);
  t2 = (uint64_t)c;
  c = (u128)a->v[3] + b->v[3] + (uint64_t)(c >> 64);
  t3 = (uint64_t)c; /* no carry out: a + b < 2p < 2^255 */
  fe_reduce_once(r, t0, t1, t2, t3);
}

static inline void fe_mul(fe *r, const fe *a, const fe *b) {
  uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  const uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
  for (int i = 0; i < 4; i++) {
    const uint64_t bi = b->v[i];
    u128 x;
    uint64_t A, C, m;
    x = (u128)a0 * bi + t0;
    A = (uint64_t)(x >> 64);
    t0 = (uint64_t)x;
    m = t0 * FE_INV;
    x = (u128)m * FE_P.v[0] + t0;
    C = (uint64_t)(x >> 64);
    x = (u128)a1 * bi + t1 + A;
    A = (uint64_t)(x >> 64);
    t1 = (uint64_t)x;
    x = (u128)m * FE_P.v[1] + t1 + C;
    C = (uint64_t)(x >> 64);
    t0 = (uint64_t)x;
    x = (u128)a2 * bi + t2 + A;
    A = (uint64_t)(x >> 64);
    t2 = (uint64_t)x;
    x = (u128)m * FE_P.v[2] + t2 + C;
    C = (uint64_t)(x >> 64);
    t1 = (uint64_t)x;
    x = (u128)a3 * bi + t3 + A;
    A = (uint64_t)(x >> 64);
    t3 = (uint64_t)x;
    x = (u128)m * FE_P.v[3] + t3 + C;
    C = (uint64_t)(x >> 64);
    t2 = (uint64_t)x;
    t3 = C + A;
  }
  fe_reduce_once(r, t0, t1, t2, t3);
}

static inline void fe_pow5(fe *x) {
  fe x2, x4;
  fe_mul(&x2, x, x);
  fe_mul(&x4, &x2, &x2);
  fe_mul(x, &x4, x);
}

/* Canonical little-endian limbs to Montgomery form, and back. */
static inline void fe_to_mont(fe *r, const fe *a) { fe_mul(r, a, &FE_R2); }

static inline void fe_from_mont(fe *r, const fe *a) {
  static const fe one = {{1, 0, 0, 0}};
  fe_mul(r, a, &one);
}

/* 1 when a < p (a canonical encoding). */
static inline int fe_is_canonical(const fe *a) {
  for (int i = 3; i >= 0; i--) {
    if (a->v[i] < FE_P.v[i]) return 1;
    if (a->v[i] > FE_P.v[i]) return 0;
  }
  return 0;
}
#endif
