/*
 * Poseidon with circomlibjs's optimised constants (C, S, M, P; the neptune optimisation):
 * the same round structure as circomlibjs/src/poseidon_opt.js, whose output its wasm
 * `buildPoseidon` also gives. State in Montgomery form.
 */
#include "poseidon.h"
#include "fe_ops.h"

#define N_ROUNDS_F 8
static const fe FE_CANONICAL_ONE = {{1, 0, 0, 0}};

/* One reduction per sum of t products (fe_ops.h): t = POSEIDON_MAX_INPUTS + 1 must fit. */
_Static_assert(POSEIDON_MAX_INPUTS + 1 <= FE_WIDE_MAX_TERMS, "Poseidon's widest sum does not fit fe_redc");

#define FE_MUL fe_mul_c
#define FE_MUL_WIDE fe_mul_wide_c
#define FE_MAC_WIDE fe_mac_wide_c
#define FE_REDC fe_redc_c
#define FE_NAME(x) x##_c
#include "poseidon_impl.h"
#undef FE_MUL
#undef FE_MUL_WIDE
#undef FE_MAC_WIDE
#undef FE_REDC
#undef FE_NAME

#ifdef FE_HAVE_ADX
#include <cpuid.h>
#define FE_MUL fe_mul_adx
#define FE_MUL_WIDE fe_mul_wide_adx
#define FE_MAC_WIDE fe_mac_wide_adx
#define FE_REDC fe_redc_adx
#define FE_NAME(x) x##_adx
#include "poseidon_impl.h"
#undef FE_MUL
#undef FE_MUL_WIDE
#undef FE_MAC_WIDE
#undef FE_REDC
#undef FE_NAME

/* BMI2 (mulx) and ADX (adcx, adox): CPUID leaf 7, EBX bits 8 and 19. */
static int cpu_has_adx(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & (1u << 8)) && (b & (1u << 19));
}
#endif

typedef void (*permutation_fn)(fe *, const fe *, int);
static permutation_fn permutation = poseidon_c;

__attribute__((constructor)) static void select_multiplier(void) {
#ifdef FE_HAVE_ADX
  if (cpu_has_adx()) permutation = poseidon_adx;
#endif
}

const char *poseidon_multiplier(void) { return permutation == poseidon_c ? "c" : "adx"; }

int poseidon_hash(fe *out, const fe *in, int n) {
  if (n < 1 || n > POSEIDON_MAX_INPUTS) return -1;
  for (int i = 0; i < n; i++)
    if (!fe_is_canonical(&in[i])) return -2 - i;
  permutation(out, in, n);
  return 0;
}

int poseidon_hash_portable(fe *out, const fe *in, int n) {
  if (n < 1 || n > POSEIDON_MAX_INPUTS) return -1;
  for (int i = 0; i < n; i++)
    if (!fe_is_canonical(&in[i])) return -2 - i;
  poseidon_c(out, in, n);
  return 0;
}

int poseidon_is_canonical(const fe *a) { return fe_is_canonical(a); }

int field_dot_montgomery(fe *out, const fe *a, const fe *b, int k, int portable) {
  if (k < 1 || k > POSEIDON_MAX_INPUTS + 1) return -1;
  for (int i = 0; i < k; i++)
    if (!fe_is_canonical(&a[i]) || !fe_is_canonical(&b[i])) return -2;
  /* The very sum Poseidon's rounds compute (poseidon_impl.h `dot`), with k given at run time. */
#ifdef FE_HAVE_ADX
  if (!portable && permutation == poseidon_adx) {
    dot_adx(out, a, 1, b, k);
    return 0;
  }
#endif
  (void)portable;
  dot_c(out, a, 1, b, k);
  return 0;
}
