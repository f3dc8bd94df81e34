/*
 * Poseidon with circomlibjs's optimised constants (C, S, M, P; the neptune optimisation):
 * the same round structure as circomlibjs/src/poseidon_opt.js, whose output its wasm
 * `buildPoseidon` also gives. State in Montgomery form.
 */
#include "poseidon.h"
#include "fe_ops.h"

#define N_ROUNDS_F 8

/* s = s x Mat, i.e. s'[i] = sum_j Mat[j][i] s[j] (Mat stored row-major, t x t). */
static inline void mix(fe *s, const fe *mat, int t) {
  fe out[POSEIDON_MAX_INPUTS + 1];
  for (int i = 0; i < t; i++) {
    fe acc, prod;
    fe_mul(&acc, &mat[i], &s[0]);
    for (int j = 1; j < t; j++) {
      fe_mul(&prod, &mat[j * t + i], &s[j]);
      fe_add(&acc, &acc, &prod);
    }
    out[i] = acc;
  }
  for (int i = 0; i < t; i++) s[i] = out[i];
}

/* s'[0] only: the last round's one output. */
static inline void mix_first(fe *r, const fe *s, const fe *mat, int t) {
  fe acc, prod;
  fe_mul(&acc, &mat[0], &s[0]);
  for (int j = 1; j < t; j++) {
    fe_mul(&prod, &mat[j * t], &s[j]);
    fe_add(&acc, &acc, &prod);
  }
  *r = acc;
}

static inline void full_round(fe *s, const fe *c, const fe *mat, int t) {
  for (int i = 0; i < t; i++) {
    fe_pow5(&s[i]);
    fe_add(&s[i], &s[i], &c[i]);
  }
  mix(s, mat, t);
}

int poseidon_hash(fe *out, const fe *in, int n) {
  if (n < 1 || n > POSEIDON_MAX_INPUTS) return -1;
  for (int i = 0; i < n; i++)
    if (!fe_is_canonical(&in[i])) return -2 - i;

  const poseidon_params *prm = &POSEIDON_PARAMS[n - 1];
  const int t = prm->t;
  const int np = prm->n_rounds_p;
  const fe *C = prm->C;
  const fe *S = prm->S;
  fe s[POSEIDON_MAX_INPUTS + 1];

  /* initial state (0, inputs...) + C[0..t) */
  s[0] = C[0];
  for (int i = 1; i < t; i++) {
    fe_to_mont(&s[i], &in[i - 1]);
    fe_add(&s[i], &s[i], &C[i]);
  }
  for (int r = 0; r < N_ROUNDS_F / 2 - 1; r++) full_round(s, &C[(r + 1) * t], prm->M, t);
  full_round(s, &C[(N_ROUNDS_F / 2) * t], prm->P, t);

  const fe *cp = &C[(N_ROUNDS_F / 2 + 1) * t];
  for (int r = 0; r < np; r++) {
    const fe *sr = &S[(2 * t - 1) * r];
    fe s0, acc, prod;
    fe_pow5(&s[0]);
    fe_add(&s[0], &s[0], &cp[r]);
    s0 = s[0];
    fe_mul(&acc, &sr[0], &s0);
    for (int j = 1; j < t; j++) {
      fe_mul(&prod, &sr[j], &s[j]);
      fe_add(&acc, &acc, &prod);
    }
    for (int k = 1; k < t; k++) {
      fe_mul(&prod, &s0, &sr[t + k - 1]);
      fe_add(&s[k], &s[k], &prod);
    }
    s[0] = acc;
  }

  const fe *cf = &C[(N_ROUNDS_F / 2 + 1) * t + np];
  for (int r = 0; r < N_ROUNDS_F / 2 - 1; r++) full_round(s, &cf[r * t], prm->M, t);
  for (int i = 0; i < t; i++) fe_pow5(&s[i]);
  fe res;
  mix_first(&res, s, prm->M, t);
  fe_from_mont(out, &res);
  return 0;
}

int poseidon_is_canonical(const fe *a) { return fe_is_canonical(a); }
