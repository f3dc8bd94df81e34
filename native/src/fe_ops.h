/*
 * Field operations over FE_P (poseidon_constants.h, generated). All inputs and outputs are in
 * [0, p). fe_mul_c is portable CIOS Montgomery multiplication without the final carry word, valid
 * because the top limb of p is below 2^63 - 1 (p < 2^254).
 */
#ifndef TESSERA_FE_OPS_H
#define TESSERA_FE_OPS_H
#include "poseidon_constants.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FE_X86_64 1
/* r = t - p if t >= p, else t (t < 2p): sub/sbb, then cmov on the borrow (branch-free). */
static inline void fe_reduce_once(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3) {
  uint64_t s0 = t0, s1 = t1, s2 = t2, s3 = t3;
  __asm__("subq 0(%[p]), %[s0]\n\t"
          "sbbq 8(%[p]), %[s1]\n\t"
          "sbbq 16(%[p]), %[s2]\n\t"
          "sbbq 24(%[p]), %[s3]\n\t"
          "cmovcq %[t0], %[s0]\n\t"
          "cmovcq %[t1], %[s1]\n\t"
          "cmovcq %[t2], %[s2]\n\t"
          "cmovcq %[t3], %[s3]\n\t"
          : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3)
          : [t0] "r"(t0), [t1] "r"(t1), [t2] "r"(t2), [t3] "r"(t3), [p] "r"(FE_P.v), "m"(FE_P)
          : "cc");
  r->v[0] = s0, r->v[1] = s1, r->v[2] = s2, r->v[3] = s3;
}

/* r = a + b mod p: add/adc (no carry out: a + b < 2p < 2^255), then the reduction above. */
static inline void fe_add(fe *r, const fe *a, const fe *b) {
  uint64_t t0 = a->v[0], t1 = a->v[1], t2 = a->v[2], t3 = a->v[3];
  __asm__("addq 0(%[b]), %[t0]\n\t"
          "adcq 8(%[b]), %[t1]\n\t"
          "adcq 16(%[b]), %[t2]\n\t"
          "adcq 24(%[b]), %[t3]\n\t"
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3)
          : [b] "r"(b->v), "m"(*b)
          : "cc");
  fe_reduce_once(r, t0, t1, t2, t3);
}
#else
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
  /* branch-free select: the comparison is data-dependent and would mispredict */
  const uint64_t keep = (uint64_t)0 - borrow; /* all ones: t < p, keep t */
  r->v[0] = (t0 & keep) | (s0 & ~keep);
  r->v[1] = (t1 & keep) | (s1 & ~keep);
  r->v[2] = (t2 & keep) | (s2 & ~keep);
  r->v[3] = (t3 & keep) | (s3 & ~keep);
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

#endif

static inline void fe_mul_c(fe *r, const fe *a, const fe *b) {
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


#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FE_HAVE_ADX 1
/*
 * The same Montgomery multiplication with BMI2 and ADX (mulx, and two carry chains with adcx
 * and adox): one row per limb of b, t (5 words) += a * b[i], then += m * p and shifted down a
 * word. t stays below 2^320 (t < 2p on entry to each row), so no carry leaves t4. The output
 * is < 2p before the final subtraction. Only called when cpuid reports BMI2 and ADX.
 */
#define FE_ROW(i)                                   \
  "movq " #i "(%[b]), %%rdx\n\t"                    \
  "xorl %k[lo], %k[lo]\n\t"                         \
  "mulxq 0(%[a]), %[lo], %[hi]\n\t"                 \
  "adoxq %[lo], %[t0]\n\t"                          \
  "adcxq %[hi], %[t1]\n\t"                          \
  "mulxq 8(%[a]), %[lo], %[hi]\n\t"                 \
  "adoxq %[lo], %[t1]\n\t"                          \
  "adcxq %[hi], %[t2]\n\t"                          \
  "mulxq 16(%[a]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[t2]\n\t"                          \
  "adcxq %[hi], %[t3]\n\t"                          \
  "mulxq 24(%[a]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[t3]\n\t"                          \
  "adcxq %[hi], %[t4]\n\t"                          \
  "movl $0, %k[lo]\n\t"                             \
  "adoxq %[lo], %[t4]\n\t"                          \
  "movq %[t0], %%rdx\n\t"                           \
  "imulq %[inv], %%rdx\n\t"                         \
  "xorl %k[lo], %k[lo]\n\t"                         \
  "mulxq 0(%[p]), %[lo], %[hi]\n\t"                 \
  "adoxq %[lo], %[t0]\n\t"                          \
  "adcxq %[hi], %[t1]\n\t"                          \
  "mulxq 8(%[p]), %[lo], %[hi]\n\t"                 \
  "adoxq %[lo], %[t1]\n\t"                          \
  "adcxq %[hi], %[t2]\n\t"                          \
  "mulxq 16(%[p]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[t2]\n\t"                          \
  "adcxq %[hi], %[t3]\n\t"                          \
  "mulxq 24(%[p]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[t3]\n\t"                          \
  "adcxq %[hi], %[t4]\n\t"                          \
  "movl $0, %k[lo]\n\t"                             \
  "adoxq %[lo], %[t4]\n\t"                          \
  "movq %[t1], %[t0]\n\t"                           \
  "movq %[t2], %[t1]\n\t"                           \
  "movq %[t3], %[t2]\n\t"                           \
  "movq %[t4], %[t3]\n\t"                           \
  "xorl %k[t4], %k[t4]\n\t"

static inline void fe_mul_adx(fe *r, const fe *a, const fe *b) {
  uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, lo, hi;
  __asm__(FE_ROW(0) FE_ROW(8) FE_ROW(16) FE_ROW(24)
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [lo] "=&r"(lo),
            [hi] "=&r"(hi)
          : [a] "r"(a->v), [b] "r"(b->v), [p] "r"(FE_P.v), [inv] "m"(FE_INV), "m"(*(const fe(*)[1])a), "m"(*(const fe(*)[1])b)
          : "rdx", "cc");
  fe_reduce_once(r, t0, t1, t2, t3);
}
#endif

/* 1 when a < p (a canonical encoding). */
static inline int fe_is_canonical(const fe *a) {
  for (int i = 3; i >= 0; i--) {
    if (a->v[i] < FE_P.v[i]) return 1;
    if (a->v[i] > FE_P.v[i]) return 0;
  }
  return 0;
}
#endif
