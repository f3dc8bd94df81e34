/*
 * EdDSA-Poseidon verification on Baby Jubjub with the acceptance rule of
 * protocol/eddsa-fast.ts `verifyFast` (circomlib's EdDSAPoseidonVerifier restricted to canonical
 * points on the curve). Extended twisted Edwards coordinates with the complete
 * add-2008-hwcd / dbl-2008-hwcd formulas (a is a square and d is not on Baby Jubjub, so the
 * addition has no exceptional inputs). The equation is checked as
 * S·Base8 + h·(−8A) == R8 with one shared chain of doublings (Straus, one bit at a time).
 */
#include "eddsa.h"
#include "fe_ops.h"
#include "poseidon.h"

#ifdef FE_HAVE_ADX
#include <cpuid.h>
static int use_adx = 0;
__attribute__((constructor)) static void eddsa_select(void) {
  unsigned a, b, c, d;
  use_adx = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 8)) && (b & (1u << 19));
}
static inline void mul(fe *r, const fe *a, const fe *b) {
  if (use_adx)
    fe_mul_adx(r, a, b);
  else
    fe_mul_c(r, a, b);
}
#else
static inline void mul(fe *r, const fe *a, const fe *b) { fe_mul_c(r, a, b); }
#endif

/* r = a - b mod p (a, b < p). */
static inline void sub(fe *r, const fe *a, const fe *b) {
  u128 d;
  uint64_t t[4], borrow = 0;
  for (int i = 0; i < 4; i++) {
    d = (u128)a->v[i] - b->v[i] - borrow;
    t[i] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  const uint64_t mask = (uint64_t)0 - borrow;
  uint64_t c = 0;
  for (int i = 0; i < 4; i++) {
    u128 s = (u128)t[i] + (FE_P.v[i] & mask) + c;
    r->v[i] = (uint64_t)s;
    c = (uint64_t)(s >> 64);
  }
}

static inline int is_zero(const fe *a) { return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0; }

static inline int eq(const fe *a, const fe *b) {
  return a->v[0] == b->v[0] && a->v[1] == b->v[1] && a->v[2] == b->v[2] && a->v[3] == b->v[3];
}

typedef struct {
  fe X, Y, Z, T;
} point;

static void dbl(point *p) {
  fe A, B, C, D, E, F, G, H, s;
  mul(&A, &p->X, &p->X);
  mul(&B, &p->Y, &p->Y);
  mul(&C, &p->Z, &p->Z);
  fe_add(&C, &C, &C);
  mul(&D, &BJJ_A, &A);
  fe_add(&s, &p->X, &p->Y);
  mul(&E, &s, &s);
  sub(&E, &E, &A);
  sub(&E, &E, &B);
  fe_add(&G, &D, &B);
  sub(&F, &G, &C);
  sub(&H, &D, &B);
  mul(&p->X, &E, &F);
  mul(&p->Y, &G, &H);
  mul(&p->T, &E, &H);
  mul(&p->Z, &F, &G);
}

/* p += q */
static void add(point *p, const point *q) {
  fe A, B, C, D, E, F, G, H, s1, s2;
  mul(&A, &p->X, &q->X);
  mul(&B, &p->Y, &q->Y);
  mul(&C, &p->T, &q->T);
  mul(&C, &C, &BJJ_D);
  mul(&D, &p->Z, &q->Z);
  fe_add(&s1, &p->X, &p->Y);
  fe_add(&s2, &q->X, &q->Y);
  mul(&E, &s1, &s2);
  sub(&E, &E, &A);
  sub(&E, &E, &B);
  sub(&F, &D, &C);
  fe_add(&G, &D, &C);
  mul(&H, &BJJ_A, &A);
  sub(&H, &B, &H);
  mul(&p->X, &E, &F);
  mul(&p->Y, &G, &H);
  mul(&p->T, &E, &H);
  mul(&p->Z, &F, &G);
}

static void from_affine(point *p, const fe *x, const fe *y) {
  p->X = *x;
  p->Y = *y;
  p->Z = FE_ONE_MONT;
  mul(&p->T, x, y);
}

/* a·x² + y² == 1 + d·x²·y² (Montgomery form). */
static int on_curve(const fe *x, const fe *y) {
  fe x2, y2, l, r, t;
  mul(&x2, x, x);
  mul(&y2, y, y);
  mul(&l, &BJJ_A, &x2);
  fe_add(&l, &l, &y2);
  mul(&t, &x2, &y2);
  mul(&t, &t, &BJJ_D);
  fe_add(&r, &FE_ONE_MONT, &t);
  return eq(&l, &r);
}

/* a < b for 256-bit values. */
static int lt(const fe *a, const fe *b) {
  for (int i = 3; i >= 0; i--) {
    if (a->v[i] != b->v[i]) return a->v[i] < b->v[i];
  }
  return 0;
}

static void sub_plain(fe *r, const fe *a, const fe *b) {
  uint64_t borrow = 0;
  for (int i = 0; i < 4; i++) {
    u128 d = (u128)a->v[i] - b->v[i] - borrow;
    r->v[i] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
}

static int bit(const fe *k, int i) { return (int)((k->v[i >> 6] >> (i & 63)) & 1); }

int eddsa_verify(const fe *ax, const fe *ay, const fe *r8x, const fe *r8y, const fe *s, const fe *msg) {
  if (!fe_is_canonical(ax) || !fe_is_canonical(ay) || !fe_is_canonical(r8x) || !fe_is_canonical(r8y) ||
      !fe_is_canonical(msg) || !lt(s, &BJJ_L))
    return 0;
  fe axm, aym, rxm, rym;
  fe_mul_c(&axm, ax, &FE_R2);
  fe_mul_c(&aym, ay, &FE_R2);
  fe_mul_c(&rxm, r8x, &FE_R2);
  fe_mul_c(&rym, r8y, &FE_R2);
  if (!on_curve(&axm, &aym) || !on_curve(&rxm, &rym)) return 0;

  /* q = -(8·A); reject 8·A = identity (x = 0: the circuit's isZero(dbl3.x)) */
  point q;
  from_affine(&q, &axm, &aym);
  dbl(&q);
  dbl(&q);
  dbl(&q);
  if (is_zero(&q.X)) return 0;
  static const fe zero = {{0, 0, 0, 0}};
  sub(&q.X, &zero, &q.X);
  sub(&q.T, &zero, &q.T);

  /* h = Poseidon(R8x, R8y, Ax, Ay, msg) mod L */
  fe in[5] = {*r8x, *r8y, *ax, *ay, *msg}, h;
  if (poseidon_hash(&h, in, 5) != 0) return 0;
  while (!lt(&h, &BJJ_L)) sub_plain(&h, &h, &BJJ_L);

  /* acc = S·Base8 + h·q, bits 252..0 */
  point b8, both, acc;
  from_affine(&b8, &BJJ_BASE8_X, &BJJ_BASE8_Y);
  both = b8;
  add(&both, &q);
  acc.X = (fe){{0, 0, 0, 0}};
  acc.Y = FE_ONE_MONT;
  acc.Z = FE_ONE_MONT;
  acc.T = (fe){{0, 0, 0, 0}};
  for (int i = 252; i >= 0; i--) {
    dbl(&acc);
    const int sb = bit(s, i), hb = bit(&h, i);
    if (sb && hb)
      add(&acc, &both);
    else if (sb)
      add(&acc, &b8);
    else if (hb)
      add(&acc, &q);
  }
  /* acc == R8 (affine, Z = 1): X == R8x·Z and Y == R8y·Z */
  fe t1, t2;
  mul(&t1, &rxm, &acc.Z);
  mul(&t2, &rym, &acc.Z);
  return eq(&acc.X, &t1) && eq(&acc.Y, &t2);
}
