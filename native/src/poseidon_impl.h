/*
 * The Poseidon permutation, instantiated once per field multiplication (poseidon.c):
 * FE_MUL(r, a, b), FE_MUL_WIDE(w, a, b), FE_MAC_WIDE(w, a, b), FE_REDC(r, w, k) and FE_NAME(x)
 * are defined by the includer. Sums of products (the matrix mix, the partial rounds' dot
 * product) are reduced once (fe_ops.h: lazy reduction), which gives the same field element as
 * reducing every product.
 */
static inline __attribute__((always_inline)) void FE_NAME(pow5)(fe *x) {
  fe x2, x4;
  FE_MUL(&x2, x, x);
  FE_MUL(&x4, &x2, &x2);
  FE_MUL(x, &x4, x);
}


/* r = sum_{j < k} a[j * stride] * b[j]: k wide products, added, and one reduction. */
static inline __attribute__((always_inline)) void FE_NAME(dot)(fe *r, const fe *a, int stride, const fe *b, int k) {
  fe_wide acc;
  FE_MUL_WIDE(&acc, &a[0], &b[0]);
  for (int j = 1; j < k; j++) FE_MAC_WIDE(&acc, &a[j * stride], &b[j]);
  FE_REDC(r, &acc, k);
}

/* s = s x Mat, i.e. s'[i] = sum_j Mat[j][i] s[j] (Mat stored row-major, t x t). */
static inline __attribute__((always_inline)) void FE_NAME(mix)(fe *s, const fe *mat, int t) {
  fe out[POSEIDON_MAX_INPUTS + 1];
  for (int i = 0; i < t; i++) FE_NAME(dot)(&out[i], &mat[i], t, s, t);
  for (int i = 0; i < t; i++) s[i] = out[i];
}

/* s'[0] only: the last round's one output. */
static inline __attribute__((always_inline)) void FE_NAME(mix_first)(fe *r, const fe *s, const fe *mat, int t) {
  FE_NAME(dot)(r, mat, t, s, t);
}

static inline __attribute__((always_inline)) void FE_NAME(full_round)(fe *s, const fe *c, const fe *mat, int t) {
  for (int i = 0; i < t; i++) {
    FE_NAME(pow5)(&s[i]);
    fe_add(&s[i], &s[i], &c[i]);
  }
  FE_NAME(mix)(s, mat, t);
}

static inline __attribute__((always_inline)) void FE_NAME(permute)(fe *out, const fe *in, const int n) {
  const poseidon_params *prm = &POSEIDON_PARAMS[n - 1];
  const int t = prm->t;
  const int np = prm->n_rounds_p;
  const fe *C = prm->C;
  const fe *S = prm->S;
  fe s[POSEIDON_MAX_INPUTS + 1];

  /* initial state (0, inputs...) + C[0..t) */
  s[0] = C[0];
  for (int i = 1; i < t; i++) {
    FE_MUL(&s[i], &in[i - 1], &FE_R2);
    fe_add(&s[i], &s[i], &C[i]);
  }
  for (int r = 0; r < N_ROUNDS_F / 2 - 1; r++) FE_NAME(full_round)(s, &C[(r + 1) * t], prm->M, t);
  FE_NAME(full_round)(s, &C[(N_ROUNDS_F / 2) * t], prm->P, t);

  const fe *cp = &C[(N_ROUNDS_F / 2 + 1) * t];
  for (int r = 0; r < np; r++) {
    const fe *sr = &S[(2 * t - 1) * r];
    fe s0, acc, prod;
    FE_NAME(pow5)(&s[0]);
    fe_add(&s[0], &s[0], &cp[r]);
    s0 = s[0];
    FE_NAME(dot)(&acc, sr, 1, s, t);
    for (int k = 1; k < t; k++) {
      FE_MUL(&prod, &s0, &sr[t + k - 1]);
      fe_add(&s[k], &s[k], &prod);
    }
    s[0] = acc;
  }

  const fe *cf = &C[(N_ROUNDS_F / 2 + 1) * t + np];
  for (int r = 0; r < N_ROUNDS_F / 2 - 1; r++) FE_NAME(full_round)(s, &cf[r * t], prm->M, t);
  for (int i = 0; i < t; i++) FE_NAME(pow5)(&s[i]);
  fe res;
  FE_NAME(mix_first)(&res, s, prm->M, t);
  FE_MUL(out, &res, &FE_CANONICAL_ONE);
}

/* One copy of the permutation per width, so that loops over t unroll and constants fold. */
static void FE_NAME(poseidon)(fe *out, const fe *in, int n) {
  switch (n) {
#define FE_CASE(k) \
  case k:          \
    FE_NAME(permute)(out, in, k); \
    break;
    FE_CASE(1) FE_CASE(2) FE_CASE(3) FE_CASE(4) FE_CASE(5) FE_CASE(6) FE_CASE(7) FE_CASE(8)
    FE_CASE(9) FE_CASE(10) FE_CASE(11) FE_CASE(12) FE_CASE(13) FE_CASE(14) FE_CASE(15) FE_CASE(16)
#undef FE_CASE
    default:
      break;
  }
}
