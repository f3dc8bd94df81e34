/*
 * EdDSA-Poseidon verification on Baby Jubjub with the acceptance rule of
 * protocol/eddsa-fast.ts `verifyFast` (circomlib's EdDSAPoseidonVerifier restricted to canonical
 * points on the curve). Extended twisted Edwards coordinates with the complete
 * add-2008-hwcd / dbl-2008-hwcd formulas (a is a square and d is not on Baby Jubjub, so the
 * addition has no exceptional inputs). The equation is checked as S·Base8 + h·(−8A) == R8:
 *  - S·Base8 from a fixed-base table (4-bit signed windows: 64 windows of 1..8 times 16^i·Base8),
 *    built once per thread: at most 64 additions, no doublings;
 *  - h·(−8A) from the same kind of table for the key when the key has one (the per-key cache
 *    below: a key gets a table after KEY_BUILD_AFTER successful verifications, so invalid
 *    signatures cannot make tables), else by 4-bit signed windows over 252 doublings.
 * The tables change the cost, never the answer: the sum is the same point.
 */
#include "eddsa.h"
#include <stdlib.h>
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

/* ---- 4-bit signed windows ----------------------------------------------------------------- */

/* Scalars here are below 2^253 (S < L, h < L), so 64 windows of 4 bits hold them, and the top
 * nibble (bits 252..255) is at most 1: the recoding below never carries out of window 63. */
#define WINDOWS 64

/* k = sum d[i]·16^i with d[i] in [-8, 7] (k < 2^253, little-endian limbs, not Montgomery). */
static void recode(int8_t d[WINDOWS], const fe *k) {
  int carry = 0;
  for (int i = 0; i < WINDOWS; i++) {
    const int v = (int)((k->v[i >> 4] >> ((i & 15) * 4)) & 15) + carry;
    carry = v >= 8;
    d[i] = (int8_t)(v - (carry << 4));
  }
}

static void negate(point *p) {
  static const fe zero = {{0, 0, 0, 0}};
  sub(&p->X, &zero, &p->X);
  sub(&p->T, &zero, &p->T);
}

/* acc += d·row[|d| - 1] (row holds 1..8 times a point). */
static void add_digit(point *acc, const point row[8], int d) {
  if (d > 0) {
    add(acc, &row[d - 1]);
  } else if (d < 0) {
    point n = row[-d - 1];
    negate(&n);
    add(acc, &n);
  }
}

static void identity(point *p) {
  p->X = (fe){{0, 0, 0, 0}};
  p->Y = FE_ONE_MONT;
  p->Z = FE_ONE_MONT;
  p->T = (fe){{0, 0, 0, 0}};
}

/* row[j] = (j + 1)·P for j = 0..7. */
static void multiples(point row[8], const point *p) {
  row[0] = *p;
  for (int j = 1; j < 8; j++) {
    row[j] = row[j - 1];
    add(&row[j], p);
  }
}

/* A fixed-base table of P: row i holds 1..8 times 16^i·P (64 KiB). */
typedef struct {
  point row[WINDOWS][8];
} table;

static void build_table(table *t, const point *base) {
  point b = *base;
  for (int i = 0; i < WINDOWS; i++) {
    multiples(t->row[i], &b);
    b = t->row[i][7]; /* 8·16^i·P */
    dbl(&b);          /* 16^(i+1)·P */
  }
}

/* acc += k·P from P's table: at most 64 additions. */
static void add_mul_table(point *acc, const table *t, const fe *k) {
  int8_t d[WINDOWS];
  recode(d, k);
  for (int i = 0; i < WINDOWS; i++) add_digit(acc, t->row[i], d[i]);
}

/* acc += k·P without a table: 1..8 times P, then 4 doublings per window, highest first. acc
 * must hold the identity (the doublings apply to it). */
static void mul_windowed(point *acc, const point *p, const fe *k) {
  int8_t d[WINDOWS];
  point row[8];
  recode(d, k);
  multiples(row, p);
  for (int i = WINDOWS - 1; i >= 0; i--) {
    if (i != WINDOWS - 1)
      for (int j = 0; j < 4; j++) dbl(acc);
    add_digit(acc, row, d[i]);
  }
}

/* ---- tables: Base8 (one per thread) and the per-key cache ------------------------------------ */

static _Thread_local table *base8_table = NULL;

static const table *base8(void) {
  if (base8_table == NULL) {
    table *t = malloc(sizeof(table));
    if (t == NULL) return NULL;
    point b8;
    from_affine(&b8, &BJJ_BASE8_X, &BJJ_BASE8_Y);
    build_table(t, &b8);
    base8_table = t;
  }
  return base8_table;
}

/*
 * Keys remembered per thread (KEY_SLOTS, 64 KiB per table). A key is remembered after a
 * successful verification only; its table (of q = −8·A) is built at its KEY_BUILD_AFTER-th, so
 * building one costs about as much as two uncached verifications and pays for itself after a few
 * more. Market makers sign most orders with a few keys; eviction (remember_key) spares keys with
 * a table while keys without one remain.
 */
#define KEY_SLOTS 128
#define KEY_BUILD_AFTER 4

typedef struct {
  fe ax, ay; /* canonical, not Montgomery */
  uint64_t last_used;
  uint32_t uses;
  table *t; /* NULL until built */
} key_slot;

static _Thread_local key_slot keys[KEY_SLOTS];
static _Thread_local uint64_t key_clock = 0;

static key_slot *find_key(const fe *ax, const fe *ay) {
  for (int i = 0; i < KEY_SLOTS; i++)
    if (keys[i].uses > 0 && eq(&keys[i].ax, ax) && eq(&keys[i].ay, ay)) return &keys[i];
  return NULL;
}

/* A successful verification of (ax, ay), whose q is `q`: count it, and build its table when due. */
static void remember_key(key_slot *k, const fe *ax, const fe *ay, const point *q) {
  if (k == NULL) {
    /* An empty slot, else the least recently used key without a table, else the least recently
     * used key: a crowd of keys seen once or twice churns among themselves and never evicts the
     * tables of the keys that sign most orders. */
    key_slot *plain = NULL, *any = &keys[0];
    for (int i = 0; i < KEY_SLOTS && k == NULL; i++) {
      if (keys[i].uses == 0) k = &keys[i];
      else {
        if (keys[i].t == NULL && (plain == NULL || keys[i].last_used < plain->last_used)) plain = &keys[i];
        if (keys[i].last_used < any->last_used) any = &keys[i];
      }
    }
    if (k == NULL) k = plain != NULL ? plain : any;
    free(k->t);
    k->t = NULL;
    k->ax = *ax;
    k->ay = *ay;
    k->uses = 0;
  }
  k->uses += 1;
  k->last_used = ++key_clock;
  if (k->t == NULL && k->uses >= KEY_BUILD_AFTER) {
    table *t = malloc(sizeof(table));
    if (t != NULL) build_table(t, q);
    k->t = t;
  }
}

int eddsa_cache_stats(int *remembered, int *tables) {
  *remembered = 0;
  *tables = 0;
  for (int i = 0; i < KEY_SLOTS; i++) {
    if (keys[i].uses > 0) *remembered += 1;
    if (keys[i].t != NULL) *tables += 1;
  }
  return 0;
}

void eddsa_cache_clear(void) {
  for (int i = 0; i < KEY_SLOTS; i++) {
    free(keys[i].t);
    keys[i] = (key_slot){0};
  }
  key_clock = 0;
}

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
  negate(&q);

  /* h = Poseidon(R8x, R8y, Ax, Ay, msg) mod L */
  fe in[5] = {*r8x, *r8y, *ax, *ay, *msg}, h;
  if (poseidon_hash(&h, in, 5) != 0) return 0;
  while (!lt(&h, &BJJ_L)) sub_plain(&h, &h, &BJJ_L);

  /* acc = h·q + S·Base8 */
  const table *tb = base8();
  if (tb == NULL) return 0;
  key_slot *key = find_key(ax, ay);
  point acc;
  identity(&acc);
  if (key != NULL && key->t != NULL)
    add_mul_table(&acc, key->t, &h);
  else
    mul_windowed(&acc, &q, &h);
  add_mul_table(&acc, tb, s);
  /* acc == R8 (affine, Z = 1): X == R8x·Z and Y == R8y·Z */
  fe t1, t2;
  mul(&t1, &rxm, &acc.Z);
  mul(&t2, &rym, &acc.Z);
  if (!(eq(&acc.X, &t1) && eq(&acc.Y, &t2))) return 0;
  remember_key(key, ax, ay, &q);
  return 1;
}
