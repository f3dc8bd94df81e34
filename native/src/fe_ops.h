/*
 * Field operations over FE_P (poseidon_constants.h, generated). All inputs and outputs are in
 * [0, p). fe_mul_c is portable CIOS Montgomery multiplication without the final carry word, valid
 * because the top limb of p is below 2^63 - 1 (p < 2^254).
 *
 * Lazy reduction (sums of products: Poseidon's matrix mix and dot products). fe_mul_wide_* gives
 * the full 512-bit product of two values below p, fe_mac_wide_* adds one to a running sum
 * (fe_wide_add is the 8-word addition), and fe_redc_*(r, T, k) reduces a sum T of k products
 * once, to T * R^-1 mod p in [0, p) (R = 2^256): one reduction instead of k, and no modular
 * additions. The bounds, with p = 0.18906 * 2^256 (so R/p = 5.290):
 *   - T < k * p^2 < 2^512 while k < (R/p)^2 = 27.98: 8 words hold the sum, no carry leaves it.
 *   - REDC(T) = T_hi + q, T_hi = floor(T / R) < k * p^2 / R and q = (T_lo + m * p) / R <= p
 *     (m = -T_lo * p^-1 mod R), so REDC(T) < p * (k * p/R + 1). It fits in 4 words while
 *     k <= 22, and is below 2p for k <= 5 (R/p = 5.29), below 4p for k <= 15 (3R/p = 15.87),
 *     below 8p for k <= 37 (7R/p = 37.03).
 *   - So k <= 5 needs one conditional subtraction of p, k <= 15 two (2p, then p), k <= 22
 *     three (4p, 2p, p). Poseidon's widths go up to t = 17, i.e. k <= 17.
 * Both flavours (fe_mul_wide_c / fe_mul_wide_adx, fe_redc_c / fe_redc_adx) compute exactly the
 * same integers (a product, and REDC's m is determined by T), so the hash is the same whichever
 * is selected, and the same as with a reduction after every product: the result is canonical.
 */
#ifndef TESSERA_FE_OPS_H
#define TESSERA_FE_OPS_H
#include "poseidon_constants.h" /* FE_P, FE_2P, FE_4P, FE_INV, FE_R2 */

/* A 512-bit value, little-endian: a product of two field elements, or a sum of such products. */
typedef struct {
  uint64_t v[8];
} fe_wide;

/* The most products one fe_redc_* call accepts (see above: 4-word result). */
#define FE_WIDE_MAX_TERMS 22

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FE_X86_64 1
/* r = t - m if t >= m, else t (t < 2^256): sub/sbb, then cmov on the borrow (branch-free). */
static inline void fe_csub(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3, const fe *m) {
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
          : [t0] "r"(t0), [t1] "r"(t1), [t2] "r"(t2), [t3] "r"(t3), [p] "r"(m->v), "m"(*m)
          : "cc");
  r->v[0] = s0, r->v[1] = s1, r->v[2] = s2, r->v[3] = s3;
}

/* r = t - p if t >= p, else t (t < 2p). */
static inline void fe_reduce_once(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3) {
  fe_csub(r, t0, t1, t2, t3, &FE_P);
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

/* acc += w (512 bits): add/adc. No carry leaves acc.v[7] while the sum stays below 2^512. */
static inline void fe_wide_add(fe_wide *acc, const fe_wide *w) {
  __asm__("addq %[w0], %[a0]\n\t"
          "adcq %[w1], %[a1]\n\t"
          "adcq %[w2], %[a2]\n\t"
          "adcq %[w3], %[a3]\n\t"
          "adcq %[w4], %[a4]\n\t"
          "adcq %[w5], %[a5]\n\t"
          "adcq %[w6], %[a6]\n\t"
          "adcq %[w7], %[a7]\n\t"
          : [a0] "+rm"(acc->v[0]), [a1] "+rm"(acc->v[1]), [a2] "+rm"(acc->v[2]), [a3] "+rm"(acc->v[3]),
            [a4] "+rm"(acc->v[4]), [a5] "+rm"(acc->v[5]), [a6] "+rm"(acc->v[6]), [a7] "+rm"(acc->v[7])
          : [w0] "r"(w->v[0]), [w1] "r"(w->v[1]), [w2] "r"(w->v[2]), [w3] "r"(w->v[3]), [w4] "r"(w->v[4]),
            [w5] "r"(w->v[5]), [w6] "r"(w->v[6]), [w7] "r"(w->v[7])
          : "cc");
}

#else
/* r = t - m if t >= m, else t (t < 2^256). */
static inline void fe_csub(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3, const fe *m) {
  u128 d;
  uint64_t s0, s1, s2, s3, borrow;
  d = (u128)t0 - m->v[0];
  s0 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t1 - m->v[1] - borrow;
  s1 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t2 - m->v[2] - borrow;
  s2 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  d = (u128)t3 - m->v[3] - borrow;
  s3 = (uint64_t)d;
  borrow = (uint64_t)(d >> 64) & 1;
  /* branch-free select: the comparison is data-dependent and would mispredict */
  const uint64_t keep = (uint64_t)0 - borrow; /* all ones: t < m, keep t */
  r->v[0] = (t0 & keep) | (s0 & ~keep);
  r->v[1] = (t1 & keep) | (s1 & ~keep);
  r->v[2] = (t2 & keep) | (s2 & ~keep);
  r->v[3] = (t3 & keep) | (s3 & ~keep);
}

/* r = t - p if t >= p, else t (t < 2p). */
static inline void fe_reduce_once(fe *r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3) {
  fe_csub(r, t0, t1, t2, t3, &FE_P);
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

/* acc += w (512 bits). No carry leaves acc->v[7] while the sum stays below 2^512. */
static inline void fe_wide_add(fe_wide *acc, const fe_wide *w) {
  u128 c = 0;
  for (int i = 0; i < 8; i++) {
    c = (u128)acc->v[i] + w->v[i] + (uint64_t)(c >> 64);
    acc->v[i] = (uint64_t)c;
  }
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


/* w = a * b, the full 512-bit product (no reduction): schoolbook, one row per limb of b. */
static inline void fe_mul_wide_c(fe_wide *w, const fe *a, const fe *b) {
  uint64_t t[8] = {0};
  for (int i = 0; i < 4; i++) {
    const uint64_t bi = b->v[i];
    uint64_t c = 0;
    for (int j = 0; j < 4; j++) {
      /* < 2^128: (2^64 - 1)^2 + 2 (2^64 - 1) */
      const u128 x = (u128)a->v[j] * bi + t[i + j] + c;
      t[i + j] = (uint64_t)x;
      c = (uint64_t)(x >> 64);
    }
    t[i + 4] = c;
  }
  for (int i = 0; i < 8; i++) w->v[i] = t[i];
}

/* acc += a * b. */
static inline void fe_mac_wide_c(fe_wide *acc, const fe *a, const fe *b) {
  fe_wide w;
  fe_mul_wide_c(&w, a, b);
  fe_wide_add(acc, &w);
}

/* Conditional subtractions after reducing a sum of k products (the bounds at the top). */
#define FE_REDC_SUBTRACTIONS(k) ((k) <= 5 ? 1 : (k) <= 15 ? 2 : 3)

/*
 * r = v mod p for v = REDC(T), T a sum of k products, v < p * (k * p/R + 1) <= 8p: subtract 4p,
 * then 2p, then p, each when it fits, as many as that bound needs. k is a compile-time constant
 * wherever this is inlined, so the count is.
 */
static inline __attribute__((always_inline)) void fe_redc_finish(fe *r, uint64_t v0, uint64_t v1, uint64_t v2,
                                                                 uint64_t v3, int k) {
  fe x = {{v0, v1, v2, v3}};
  if (FE_REDC_SUBTRACTIONS(k) >= 3) fe_csub(&x, x.v[0], x.v[1], x.v[2], x.v[3], &FE_4P); /* now < 4p */
  if (FE_REDC_SUBTRACTIONS(k) >= 2) fe_csub(&x, x.v[0], x.v[1], x.v[2], x.v[3], &FE_2P); /* now < 2p */
  fe_csub(r, x.v[0], x.v[1], x.v[2], x.v[3], &FE_P);
}

/*
 * r = T * R^-1 mod p for T a sum of 1 <= k <= FE_WIDE_MAX_TERMS products of values below p.
 * Montgomery reduction of the low half alone, q = (T_lo + m * p) / R <= p, one row per limb
 * (the window stays below 2^256: (W + m_i * p) / 2^64 < 2^192 + p), then q + T_hi < 2^256.
 */
static inline __attribute__((always_inline)) void fe_redc_c(fe *r, const fe_wide *T, int k) {
  uint64_t t0 = T->v[0], t1 = T->v[1], t2 = T->v[2], t3 = T->v[3];
  for (int i = 0; i < 4; i++) {
    const uint64_t m = t0 * FE_INV;
    u128 x = (u128)m * FE_P.v[0] + t0; /* low word 0 */
    x = (u128)m * FE_P.v[1] + t1 + (uint64_t)(x >> 64);
    t0 = (uint64_t)x;
    x = (u128)m * FE_P.v[2] + t2 + (uint64_t)(x >> 64);
    t1 = (uint64_t)x;
    x = (u128)m * FE_P.v[3] + t3 + (uint64_t)(x >> 64);
    t2 = (uint64_t)x;
    t3 = (uint64_t)(x >> 64);
  }
  u128 c = (u128)t0 + T->v[4];
  t0 = (uint64_t)c;
  c = (u128)t1 + T->v[5] + (uint64_t)(c >> 64);
  t1 = (uint64_t)c;
  c = (u128)t2 + T->v[6] + (uint64_t)(c >> 64);
  t2 = (uint64_t)c;
  c = (u128)t3 + T->v[7] + (uint64_t)(c >> 64);
  t3 = (uint64_t)c; /* no carry out: q + T_hi < 2^256 */
  fe_redc_finish(r, t0, t1, t2, t3, k);
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

/*
 * w = a * b (512 bits) with mulx: row 0 (b[0]) with one carry chain into fresh words, rows 1..3
 * with two (adox for the low halves, adcx for the high ones). Row i's top word T4 is fresh: mulx
 * writes it, then both carries go in (no overflow: the partial product after row i is below
 * 2^(64 (i + 5))).
 */
#define FE_WROW0                            \
  "movq 0(%[b]), %%rdx\n\t"                 \
  "mulxq 0(%[a]), %[t0], %[t1]\n\t"         \
  "mulxq 8(%[a]), %[lo], %[t2]\n\t"         \
  "addq %[lo], %[t1]\n\t"                   \
  "mulxq 16(%[a]), %[lo], %[t3]\n\t"        \
  "adcq %[lo], %[t2]\n\t"                   \
  "mulxq 24(%[a]), %[lo], %[t4]\n\t"        \
  "adcq %[lo], %[t3]\n\t"                   \
  "adcq $0, %[t4]\n\t"

#define FE_WROW(i, T0, T1, T2, T3, T4)      \
  "movq " #i "(%[b]), %%rdx\n\t"            \
  "xorl %k[lo], %k[lo]\n\t"                 \
  "mulxq 0(%[a]), %[lo], %[hi]\n\t"         \
  "adoxq %[lo], %[" #T0 "]\n\t"             \
  "adcxq %[hi], %[" #T1 "]\n\t"             \
  "mulxq 8(%[a]), %[lo], %[hi]\n\t"         \
  "adoxq %[lo], %[" #T1 "]\n\t"             \
  "adcxq %[hi], %[" #T2 "]\n\t"             \
  "mulxq 16(%[a]), %[lo], %[hi]\n\t"        \
  "adoxq %[lo], %[" #T2 "]\n\t"             \
  "adcxq %[hi], %[" #T3 "]\n\t"             \
  "mulxq 24(%[a]), %[lo], %[" #T4 "]\n\t"   \
  "adoxq %[lo], %[" #T3 "]\n\t"             \
  "movl $0, %k[lo]\n\t"                     \
  "adcxq %[lo], %[" #T4 "]\n\t"             \
  "adoxq %[lo], %[" #T4 "]\n\t"

static inline void fe_mul_wide_adx(fe_wide *w, const fe *a, const fe *b) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
  __asm__(FE_WROW0 FE_WROW(8, t1, t2, t3, t4, t5) FE_WROW(16, t2, t3, t4, t5, t6) FE_WROW(24, t3, t4, t5, t6, t7)
          : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
            [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi)
          : [a] "r"(a->v), [b] "r"(b->v), "m"(*(const fe(*)[1])a), "m"(*(const fe(*)[1])b)
          : "rdx", "cc");
  w->v[0] = t0, w->v[1] = t1, w->v[2] = t2, w->v[3] = t3;
  w->v[4] = t4, w->v[5] = t5, w->v[6] = t6, w->v[7] = t7;
}

/* acc += a * b: the product above, added into acc with one add/adc chain (one asm block: it
 * saves storing and reloading the product, a few per cent of a hash). */
static inline void fe_mac_wide_adx(fe_wide *acc, const fe *a, const fe *b) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
  __asm__(FE_WROW0 FE_WROW(8, t1, t2, t3, t4, t5) FE_WROW(16, t2, t3, t4, t5, t6) FE_WROW(24, t3, t4, t5, t6, t7)
          "addq %[t0], 0(%[acc])\n\t"
          "adcq %[t1], 8(%[acc])\n\t"
          "adcq %[t2], 16(%[acc])\n\t"
          "adcq %[t3], 24(%[acc])\n\t"
          "adcq %[t4], 32(%[acc])\n\t"
          "adcq %[t5], 40(%[acc])\n\t"
          "adcq %[t6], 48(%[acc])\n\t"
          "adcq %[t7], 56(%[acc])\n\t"
          : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
            [t6] "=&r"(t6), [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi), "+m"(*acc)
          : [a] "r"(a->v), [b] "r"(b->v), [acc] "r"(acc->v), "m"(*(const fe(*)[1])a), "m"(*(const fe(*)[1])b)
          : "rdx", "cc");
}

/*
 * fe_redc_c with mulx: FE_ROW's second half on the low half of T. After a row its lowest word
 * is 0 (that is how m is chosen), so it serves as the next row's zero top word: the window
 * rotates through five registers instead of moving. Then q + T_hi, and the subtractions.
 */
#define FE_RROW(T0, T1, T2, T3, T4)         \
  "movq %[" #T0 "], %%rdx\n\t"              \
  "imulq %[inv], %%rdx\n\t"                 \
  "xorl %k[lo], %k[lo]\n\t"                 \
  "mulxq 0(%[p]), %[lo], %[hi]\n\t"         \
  "adoxq %[lo], %[" #T0 "]\n\t"             \
  "adcxq %[hi], %[" #T1 "]\n\t"             \
  "mulxq 8(%[p]), %[lo], %[hi]\n\t"         \
  "adoxq %[lo], %[" #T1 "]\n\t"             \
  "adcxq %[hi], %[" #T2 "]\n\t"             \
  "mulxq 16(%[p]), %[lo], %[hi]\n\t"        \
  "adoxq %[lo], %[" #T2 "]\n\t"             \
  "adcxq %[hi], %[" #T3 "]\n\t"             \
  "mulxq 24(%[p]), %[lo], %[hi]\n\t"        \
  "adoxq %[lo], %[" #T3 "]\n\t"             \
  "adcxq %[hi], %[" #T4 "]\n\t"             \
  "movl $0, %k[lo]\n\t"                     \
  "adoxq %[lo], %[" #T4 "]\n\t"

static inline __attribute__((always_inline)) void fe_redc_adx(fe *r, const fe_wide *T, int k) {
  uint64_t t0 = T->v[0], t1 = T->v[1], t2 = T->v[2], t3 = T->v[3], t4 = 0, lo, hi;
  __asm__(FE_RROW(t0, t1, t2, t3, t4) FE_RROW(t1, t2, t3, t4, t0) FE_RROW(t2, t3, t4, t0, t1)
          FE_RROW(t3, t4, t0, t1, t2)
          "addq 32(%[T]), %[t4]\n\t"
          "adcq 40(%[T]), %[t0]\n\t"
          "adcq 48(%[T]), %[t1]\n\t"
          "adcq 56(%[T]), %[t2]\n\t"
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [lo] "=&r"(lo),
            [hi] "=&r"(hi)
          : [T] "r"(T->v), [p] "r"(FE_P.v), [inv] "m"(FE_INV), "m"(*T), "m"(FE_P)
          : "rdx", "cc");
  fe_redc_finish(r, t4, t0, t1, t2, k); /* the window ended in t4, t0, t1, t2 */
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
