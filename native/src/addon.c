/*
 * Node-API bindings of the native crypto (ABI-stable: one build loads in every Node with
 * Node-API 8). No mutable global state (the EdDSA key cache and the Poseidon memo are per
 * thread): safe in worker threads.
 *
 *   poseidon(inputs: bigint[]) -> bigint          also poseidon(a, b, ...) with bigint arguments
 *   poseidonPortable(inputs: bigint[]) -> bigint  poseidon with the portable C multiplication
 *   multiplier: "adx" | "c"                        the multiplication poseidon uses on this CPU
 *   eddsaVerify(ax, ay, r8x, r8y, s, msg: bigint) -> boolean   as protocol/eddsa-fast.ts verifyFast
 *   eddsaCacheStats() -> { keys, tables }          the calling thread's key cache (eddsa.c)
 *   eddsaCacheClear()                              forgets it (tests)
 *   poseidonMany(inputs: bigint[], width: number) -> bigint[]
 *       inputs.length / width hashes, hash k of inputs[k*width .. (k+1)*width)
 *   poseidonBytes(input: Uint8Array, out: Uint8Array) -> void
 *       input: n x 32 bytes, each a little-endian field element; out: 32 bytes
 *   poseidonBatch(input: Uint8Array, width: number, out: Uint8Array) -> void
 *       input: count x width x 32 bytes; out: count x 32 bytes (hash k of inputs k*width..)
 *   fieldDotMontgomery(a: bigint[], b: bigint[], portable: boolean) -> bigint
 *       (sum a[i]·b[i]) · 2^-256 mod p with one reduction, 1..17 terms: the lazy reduction
 *       Poseidon's sums use, for tests at the bounds hashing never reaches (fe_ops.h)
 *   poseidonJobStart(widths: Uint8Array, spec: Int32Array, literals: bigint[]) -> job
 *       starts hashing a plan of dependent rows on a thread of its own (poseidon_memo.h)
 *   poseidonJobFinish(job) -> bigint[]             waits for it, remembers its rows (the first
 *       time) for the calling thread, and returns every row's hash
 *   poseidonMemoReset()                            forgets what the calling thread remembers
 *   poseidonMemoStats() -> { hits, misses, entries, dropped }   the calling thread's memo
 *
 * Inputs must be canonical field elements (0 <= x < p); anything else throws a RangeError.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include "eddsa.h"
#include "poseidon.h"
#include "poseidon_memo.h"

#define CHECK(call)                                          \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, "NAPI_FAILED", #call " failed"); \
      return NULL;                                           \
    }                                                        \
  } while (0)

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "OUT_OF_RANGE", msg);
  return NULL;
}

static napi_value throw_hash_error(napi_env env, int rc, int base) {
  char msg[160];
  if (rc == -1) return throw_range(env, "Poseidon takes 1..16 inputs");
  snprintf(msg, sizeof msg, "Poseidon input %d is not a canonical field element (0 <= x < p)", base + (-2 - rc));
  return throw_range(env, msg);
}

static void fe_read_le(fe *r, const uint8_t *b) {
  for (int i = 0; i < 4; i++) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; k--) w = (w << 8) | b[8 * i + k];
    r->v[i] = w;
  }
}

static void fe_write_le(uint8_t *b, const fe *a) {
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 8; k++) b[8 * i + k] = (uint8_t)(a->v[i] >> (8 * k));
}

/* Reads a non-negative bigint below 2^256; returns 0 on success, else throws and returns -1. */
static int read_bigint(napi_env env, napi_value v, fe *out, int index) {
  int sign = 0;
  size_t count = 4;
  out->v[0] = out->v[1] = out->v[2] = out->v[3] = 0;
  if (napi_get_value_bigint_words(env, v, &sign, &count, out->v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "Poseidon input %d is not a bigint", index);
    napi_throw_type_error(env, "INVALID_ARG", msg);
    return -1;
  }
  if (sign || count > 4) {
    out->v[3] = ~(uint64_t)0; /* marks it non-canonical */
  }
  return 0;
}

static napi_value make_bigint(napi_env env, const fe *a) {
  napi_value r;
  CHECK(napi_create_bigint_words(env, 0, 4, a->v, &r));
  return r;
}

typedef int (*hash_fn)(fe *, const fe *, int);

static napi_value poseidon_call(napi_env env, napi_callback_info info, hash_fn hash) {
  size_t argc = POSEIDON_MAX_INPUTS + 1;
  napi_value argv[POSEIDON_MAX_INPUTS + 1];
  fe in[POSEIDON_MAX_INPUTS], out;
  bool is_array = false;
  uint32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) CHECK(napi_is_array(env, argv[0], &is_array));
  if (is_array) {
    CHECK(napi_get_array_length(env, argv[0], &n));
    if (n < 1 || n > POSEIDON_MAX_INPUTS) return throw_range(env, "Poseidon takes 1..16 inputs");
    for (uint32_t i = 0; i < n; i++) {
      napi_value el;
      CHECK(napi_get_element(env, argv[0], i, &el));
      if (read_bigint(env, el, &in[i], (int)i)) return NULL;
    }
  } else {
    n = (uint32_t)argc;
    if (n < 1 || n > POSEIDON_MAX_INPUTS) return throw_range(env, "Poseidon takes 1..16 inputs");
    for (uint32_t i = 0; i < n; i++)
      if (read_bigint(env, argv[i], &in[i], (int)i)) return NULL;
  }
  int rc = hash(&out, in, (int)n);
  if (rc) return throw_hash_error(env, rc, 0);
  return make_bigint(env, &out);
}

/* poseidon_hash, answered from the calling thread's memo when it holds the inputs. */
static int poseidon_hash_memo(fe *out, const fe *in, int n) {
  if (poseidon_memo_lookup(out, in, n)) return 0;
  return poseidon_hash(out, in, n);
}

static napi_value js_poseidon(napi_env env, napi_callback_info info) {
  return poseidon_call(env, info, poseidon_hash_memo);
}

static napi_value js_poseidon_portable(napi_env env, napi_callback_info info) {
  return poseidon_call(env, info, poseidon_hash_portable);
}

/* Bytes of a Uint8Array argument; throws and returns -1 if it is not one. */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what) {
  bool ok = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  if (napi_is_typedarray(env, v, &ok) != napi_ok || !ok ||
      napi_get_typedarray_info(env, v, &type, len, &p, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    napi_throw_type_error(env, "INVALID_ARG", msg);
    return -1;
  }
  *data = (uint8_t *)p;
  return 0;
}

static napi_value js_poseidon_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *src, *dst;
  size_t len, out_len;
  fe in[POSEIDON_MAX_INPUTS], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_range(env, "poseidonBytes(input, out) takes two arguments");
  if (get_bytes(env, argv[0], &src, &len, "input") || get_bytes(env, argv[1], &dst, &out_len, "out")) return NULL;
  if (len % 32 != 0 || len / 32 < 1 || len / 32 > POSEIDON_MAX_INPUTS)
    return throw_range(env, "input must hold 1..16 field elements of 32 bytes");
  if (out_len < 32) return throw_range(env, "out must hold 32 bytes");
  int n = (int)(len / 32);
  for (int i = 0; i < n; i++) fe_read_le(&in[i], src + 32 * i);
  int rc = poseidon_hash(&out, in, n);
  if (rc) return throw_hash_error(env, rc, 0);
  fe_write_le(dst, &out);
  return NULL;
}

static napi_value js_poseidon_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *src, *dst;
  size_t len, out_len;
  int32_t width;
  fe in[POSEIDON_MAX_INPUTS], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_range(env, "poseidonBatch(input, width, out) takes three arguments");
  if (get_bytes(env, argv[0], &src, &len, "input")) return NULL;
  if (napi_get_value_int32(env, argv[1], &width) != napi_ok) {
    napi_throw_type_error(env, "INVALID_ARG", "width must be a number");
    return NULL;
  }
  if (get_bytes(env, argv[2], &dst, &out_len, "out")) return NULL;
  if (width < 1 || width > POSEIDON_MAX_INPUTS) return throw_range(env, "width must be 1..16");
  size_t stride = 32 * (size_t)width;
  if (len % stride != 0) return throw_range(env, "input length must be a multiple of width x 32 bytes");
  size_t count = len / stride;
  if (out_len < 32 * count) return throw_range(env, "out must hold 32 bytes per hash");
  /* Validate everything first so that an error leaves out untouched. */
  for (size_t k = 0; k < count * (size_t)width; k++) {
    fe x;
    fe_read_le(&x, src + 32 * k);
    if (!poseidon_is_canonical(&x)) {
      char msg[160];
      snprintf(msg, sizeof msg, "Poseidon batch input %zu is not a canonical field element (0 <= x < p)", k);
      return throw_range(env, msg);
    }
  }
  for (size_t k = 0; k < count; k++) {
    for (int i = 0; i < width; i++) fe_read_le(&in[i], src + k * stride + 32 * (size_t)i);
    poseidon_hash(&out, in, width);
    fe_write_le(dst + 32 * k, &out);
  }
  return NULL;
}

static napi_value js_poseidon_many(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t width;
  uint32_t len;
  bool is_array = false;
  fe in[POSEIDON_MAX_INPUTS], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_range(env, "poseidonMany(inputs, width) takes two arguments");
  CHECK(napi_is_array(env, argv[0], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, "INVALID_ARG", "inputs must be an array of bigints");
    return NULL;
  }
  if (napi_get_value_int32(env, argv[1], &width) != napi_ok) {
    napi_throw_type_error(env, "INVALID_ARG", "width must be a number");
    return NULL;
  }
  if (width < 1 || width > POSEIDON_MAX_INPUTS) return throw_range(env, "width must be 1..16");
  CHECK(napi_get_array_length(env, argv[0], &len));
  if (len % (uint32_t)width != 0) return throw_range(env, "inputs length must be a multiple of width");
  uint32_t count = len / (uint32_t)width;
  CHECK(napi_create_array_with_length(env, count, &result));
  for (uint32_t k = 0; k < count; k++) {
    for (int i = 0; i < width; i++) {
      napi_value el;
      uint32_t idx = k * (uint32_t)width + (uint32_t)i;
      CHECK(napi_get_element(env, argv[0], idx, &el));
      if (read_bigint(env, el, &in[i], (int)idx)) return NULL;
    }
    int rc = poseidon_hash(&out, in, width);
    if (rc) return throw_hash_error(env, rc, (int)(k * (uint32_t)width));
    napi_value h = make_bigint(env, &out);
    if (h == NULL) return NULL;
    CHECK(napi_set_element(env, result, k, h));
  }
  return result;
}

static void job_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poseidon_job_free(data);
}

/* poseidonJobStart(widths: Uint8Array, spec: Int32Array, literals: bigint[]) -> external */
static napi_value js_poseidon_job_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  bool ok = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_range(env, "poseidonJobStart(widths, spec, literals) takes three arguments");
  uint8_t *width;
  size_t rows;
  if (get_bytes(env, argv[0], &width, &rows, "widths")) return NULL;
  napi_typedarray_type type;
  size_t spec_len, offset;
  void *spec;
  napi_value ab;
  if (napi_is_typedarray(env, argv[1], &ok) != napi_ok || !ok ||
      napi_get_typedarray_info(env, argv[1], &type, &spec_len, &spec, &ab, &offset) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, "INVALID_ARG", "spec must be an Int32Array");
    return NULL;
  }
  if (spec_len != 4 * rows) return throw_range(env, "spec must hold 4 entries per row");
  if (rows > 0x7fffffff) return throw_range(env, "too many rows");
  CHECK(napi_is_array(env, argv[2], &ok));
  if (!ok) {
    napi_throw_type_error(env, "INVALID_ARG", "literals must be an array of bigints");
    return NULL;
  }
  uint32_t nlit;
  CHECK(napi_get_array_length(env, argv[2], &nlit));
  fe *lit = malloc(sizeof(fe) * (nlit > 0 ? nlit : 1));
  if (lit == NULL) {
    napi_throw_error(env, "NO_MEMORY", "poseidonJobStart: out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < nlit; i++) {
    napi_value el;
    if (napi_get_element(env, argv[2], i, &el) != napi_ok) {
      free(lit);
      napi_throw_error(env, "NAPI_FAILED", "napi_get_element failed");
      return NULL;
    }
    if (read_bigint(env, el, &lit[i], (int)i)) {
      free(lit);
      return NULL;
    }
  }
  poseidon_job *job = NULL;
  const int rc = poseidon_job_start(&job, width, spec, (uint32_t)rows, lit, nlit);
  free(lit);
  if (rc == -1) return throw_range(env, "poseidonJobStart: a row's width must be 1..4");
  if (rc == -2) return throw_range(env, "poseidonJobStart: an input refers to a literal or row out of range");
  if (rc == -3) return throw_range(env, "poseidonJobStart: a literal is not a canonical field element (0 <= x < p)");
  if (rc != 0) {
    napi_throw_error(env, "NO_MEMORY", "poseidonJobStart: out of memory");
    return NULL;
  }
  if (napi_create_external(env, job, job_finalize, NULL, &result) != napi_ok) {
    poseidon_job_free(job);
    napi_throw_error(env, "NAPI_FAILED", "napi_create_external failed");
    return NULL;
  }
  return result;
}

/* poseidonJobFinish(job) -> bigint[] */
static napi_value js_poseidon_job_finish(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_valuetype t;
  void *data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "INVALID_ARG", "poseidonJobFinish takes a job from poseidonJobStart");
    return NULL;
  }
  poseidon_job_finish(data);
  uint32_t rows;
  const fe *out = poseidon_job_outputs(data, &rows);
  CHECK(napi_create_array_with_length(env, rows, &result));
  for (uint32_t r = 0; r < rows; r++) {
    napi_value h = make_bigint(env, &out[r]);
    if (h == NULL) return NULL;
    CHECK(napi_set_element(env, result, r, h));
  }
  return result;
}

static napi_value js_poseidon_memo_reset(napi_env env, napi_callback_info info) {
  (void)info;
  poseidon_memo_reset();
  napi_value undefined;
  CHECK(napi_get_undefined(env, &undefined));
  return undefined;
}

static napi_value js_poseidon_memo_stats(napi_env env, napi_callback_info info) {
  (void)info;
  poseidon_memo_stats st;
  poseidon_memo_get_stats(&st);
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_double(env, (double)st.hits, &v));
  CHECK(napi_set_named_property(env, obj, "hits", v));
  CHECK(napi_create_double(env, (double)st.misses, &v));
  CHECK(napi_set_named_property(env, obj, "misses", v));
  CHECK(napi_create_uint32(env, st.entries, &v));
  CHECK(napi_set_named_property(env, obj, "entries", v));
  CHECK(napi_create_uint32(env, st.dropped, &v));
  CHECK(napi_set_named_property(env, obj, "dropped", v));
  return obj;
}

/* eddsaVerify(ax, ay, r8x, r8y, s, msg: bigint) -> boolean (eddsa.h); false for values out of
 * range, a TypeError for values that are not bigints. */
static napi_value js_eddsa_verify(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], result;
  fe v[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return throw_range(env, "eddsaVerify(ax, ay, r8x, r8y, s, msg) takes six bigints");
  for (int i = 0; i < 6; i++)
    if (read_bigint(env, argv[i], &v[i], i)) return NULL;
  CHECK(napi_get_boolean(env, eddsa_verify(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 0, &result));
  return result;
}

/* eddsaCacheStats() -> { keys, tables }: the calling thread's remembered keys (eddsa.c). */
static napi_value js_eddsa_cache_stats(napi_env env, napi_callback_info info) {
  (void)info;
  int remembered = 0, tables = 0;
  napi_value result, k, t;
  eddsa_cache_stats(&remembered, &tables);
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, remembered, &k));
  CHECK(napi_create_int32(env, tables, &t));
  CHECK(napi_set_named_property(env, result, "keys", k));
  CHECK(napi_set_named_property(env, result, "tables", t));
  return result;
}

/* eddsaCacheClear(): forgets the calling thread's keys (tests). */
static napi_value js_eddsa_cache_clear(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  eddsa_cache_clear();
  return NULL;
}

/* Reads an array of 1..17 bigints; returns its length, or 0 after throwing. */
static int read_terms(napi_env env, napi_value arr, fe *out) {
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, arr, &n) != napi_ok || n < 1 || n > POSEIDON_MAX_INPUTS + 1) {
    throw_range(env, "fieldDotMontgomery takes arrays of 1..17 bigints");
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok) {
      napi_throw_error(env, "NAPI_FAILED", "napi_get_element failed");
      return 0;
    }
    if (read_bigint(env, el, &out[i], (int)i)) return 0;
  }
  return (int)n;
}

static napi_value js_field_dot_montgomery(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  fe a[POSEIDON_MAX_INPUTS + 1], b[POSEIDON_MAX_INPUTS + 1], out;
  bool portable = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_range(env, "fieldDotMontgomery(a, b, portable)");
  int k = read_terms(env, argv[0], a);
  if (k == 0) return NULL;
  const int kb = read_terms(env, argv[1], b);
  if (kb == 0) return NULL;
  if (kb != k) return throw_range(env, "fieldDotMontgomery: a and b differ in length");
  CHECK(napi_get_value_bool(env, argv[2], &portable));
  if (field_dot_montgomery(&out, a, b, k, portable) != 0)
    return throw_range(env, "fieldDotMontgomery: inputs must be canonical field elements");
  return make_bigint(env, &out);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"poseidon", NULL, js_poseidon, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonBytes", NULL, js_poseidon_bytes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonPortable", NULL, js_poseidon_portable, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eddsaVerify", NULL, js_eddsa_verify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eddsaCacheStats", NULL, js_eddsa_cache_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eddsaCacheClear", NULL, js_eddsa_cache_clear, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonMany", NULL, js_poseidon_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonBatch", NULL, js_poseidon_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fieldDotMontgomery", NULL, js_field_dot_montgomery, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonJobStart", NULL, js_poseidon_job_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonJobFinish", NULL, js_poseidon_job_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonMemoReset", NULL, js_poseidon_memo_reset, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poseidonMemoStats", NULL, js_poseidon_memo_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value multiplier;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, poseidon_multiplier(), NAPI_AUTO_LENGTH, &multiplier) != napi_ok ||
      napi_set_named_property(env, exports, "multiplier", multiplier) != napi_ok)
    return NULL;
  return exports;
}
