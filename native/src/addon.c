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
 *   verifierCreate(threads, onDone) -> verifier    EdDSA verification on `threads` threads of
 *       this process (verify_pool.h); onDone(id, results) on this thread for each submit
 *   verifierSubmit(verifier, id, widths: Uint8Array, items: bigint[])   queues one job
 *   verifierClose(verifier)                        stops and joins its threads
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
#include "sync_thread.h"
#include "verify_pool.h"

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

/*
 * Verifier threads (verify_pool.h). The JavaScript side holds a wrapped object; finished jobs
 * come back through a thread-safe function, which calls `onDone(id, results)` on the
 * JavaScript thread. The pool's struct is freed once both the wrapper's finalizer and the
 * thread-safe function's have run (whichever is last), and the threads are always joined
 * before the thread-safe function can go: by `verifierClose`, by the wrapper's finalizer, or by
 * the thread-safe function's own finalizer when the environment is torn down.
 */
typedef struct {
  verify_pool *pool;
  napi_threadsafe_function tsfn;
  int refs;      /* finalizers still to run: the wrapper's and the thread-safe function's */
  int released;  /* the thread-safe function was released (verifierClose or the wrapper's finalizer) */
  int tsfn_gone; /* its finalizer ran */
} verifier;

/* Type tag of verifier objects: an object from elsewhere is refused, never misread. */
static const napi_type_tag VERIFIER_TAG = {0x7e55e7a0c0ffee01ull, 0x5167a70e5e117e12ull};

static void verifier_unref(verifier *v) {
  if (--v->refs > 0) return;
  verify_pool_free(v->pool);
  free(v);
}

/* On a pool thread: hands the finished job to the JavaScript thread, or frees it if that is gone. */
static void verifier_done(void *ctx, verify_job *job) {
  verifier *v = ctx;
  if (napi_call_threadsafe_function(v->tsfn, job, napi_tsfn_nonblocking) != napi_ok) verify_job_free(job);
}

/* On the JavaScript thread: onDone(id, results), results[k] the message if request k is valid,
 * else null. With env NULL (the function is being torn down) the job is only freed. */
static void verifier_call_js(napi_env env, napi_value on_done, void *context, void *data) {
  (void)context;
  verify_job *job = data;
  if (env != NULL && on_done != NULL) {
    napi_value args[2], undefined, result;
    int ok = napi_get_undefined(env, &undefined) == napi_ok && napi_create_uint32(env, job->id, &args[0]) == napi_ok &&
             napi_create_array_with_length(env, job->n, &args[1]) == napi_ok;
    for (uint32_t k = 0; ok && k < job->n; k++) {
      napi_value r;
      if (job->ok[k]) ok = napi_create_bigint_words(env, 0, 4, job->msg[k].v, &r) == napi_ok;
      else ok = napi_get_null(env, &r) == napi_ok;
      ok = ok && napi_set_element(env, args[1], k, r) == napi_ok;
    }
    if (ok) napi_call_function(env, undefined, on_done, 2, args, &result);
  }
  verify_job_free(job);
}

static void verifier_tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  verifier *v = data;
  /* No pool thread may call the function after this: stop them first (a no-op after a close). */
  verify_pool_stop(v->pool);
  v->tsfn_gone = 1;
  verifier_unref(v);
}

static void verifier_release(verifier *v) {
  if (v->released) return;
  v->released = 1;
  verify_pool_stop(v->pool);
  if (!v->tsfn_gone) napi_release_threadsafe_function(v->tsfn, napi_tsfn_release);
}

static void verifier_wrap_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  verifier *v = data;
  verifier_release(v);
  verifier_unref(v);
}

/* verifierCreate(threads: number, onDone: (id, results) => void, pollWindowUs = 0) -> verifier */
static napi_value js_verifier_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name, obj;
  napi_valuetype t;
  int32_t threads;
  int64_t poll_window_us = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1 || threads > 64)
    return throw_range(env, "verifierCreate(threads, onDone, pollWindowUs): threads must be 1..64");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "INVALID_ARG", "verifierCreate: onDone must be a function");
    return NULL;
  }
  if (argc >= 3 && napi_typeof(env, argv[2], &t) == napi_ok && t != napi_undefined &&
      (t != napi_number || napi_get_value_int64(env, argv[2], &poll_window_us) != napi_ok || poll_window_us < 0 ||
       poll_window_us > 1000000))
    return throw_range(env, "verifierCreate: pollWindowUs must be 0..1,000,000 microseconds");
  verifier *v = calloc(1, sizeof *v);
  if (v == NULL || (v->pool = verify_pool_new(threads, poll_window_us * 1000, verifier_done, v)) == NULL) {
    free(v);
    napi_throw_error(env, "NO_MEMORY", "verifierCreate: out of memory");
    return NULL;
  }
  v->refs = 2;
  if (napi_create_string_utf8(env, "tessera.verifier", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, v, verifier_tsfn_finalize, NULL,
                                      verifier_call_js, &v->tsfn) != napi_ok) {
    verify_pool_free(v->pool);
    free(v);
    napi_throw_error(env, "NAPI_FAILED", "verifierCreate: napi_create_threadsafe_function failed");
    return NULL;
  }
  /* Like the verifier processes it replaces, an idle pool does not keep the process alive. */
  napi_unref_threadsafe_function(env, v->tsfn);
  if (napi_create_object(env, &obj) != napi_ok || napi_type_tag_object(env, obj, &VERIFIER_TAG) != napi_ok ||
      napi_wrap(env, obj, v, verifier_wrap_finalize, NULL, NULL) != napi_ok) {
    /* The function's finalizer frees the pool (refs 2 → 1 there, the wrapper's share here). */
    verifier_release(v);
    verifier_unref(v);
    napi_throw_error(env, "NAPI_FAILED", "verifierCreate: could not wrap the verifier");
    return NULL;
  }
  return obj;
}

/* What an argument made by `maker` and tagged `tag` wraps, or NULL after throwing: an object from
 * elsewhere is refused, never misread. */
static void *tagged_arg(napi_env env, napi_value obj, const napi_type_tag *tag, const char *fn, const char *maker) {
  bool tagged = false;
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, obj, tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, obj, &data) != napi_ok || data == NULL) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s takes a %s", fn, maker);
    napi_throw_type_error(env, "INVALID_ARG", msg);
    return NULL;
  }
  return data;
}

/* The verifier an argument wraps, or NULL after throwing. */
static verifier *verifier_arg(napi_env env, napi_value obj, const char *fn) {
  return tagged_arg(env, obj, &VERIFIER_TAG, fn, "verifier from verifierCreate");
}

/* verifierSubmit(verifier, id: number, widths: Uint8Array, items: bigint[]): request k takes
 * ax, ay, r8x, r8y, s and then its message (widths[k] = 0) or its widths[k] hash inputs. */
static napi_value js_verifier_submit(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t id, len;
  bool is_array = false;
  uint8_t *width;
  size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_range(env, "verifierSubmit(verifier, id, widths, items) takes four arguments");
  verifier *v = verifier_arg(env, argv[0], "verifierSubmit");
  if (v == NULL) return NULL;
  if (v->released) {
    napi_throw_error(env, "CLOSED", "verifierSubmit: the verifier is closed");
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok) {
    napi_throw_type_error(env, "INVALID_ARG", "verifierSubmit: id must be a number");
    return NULL;
  }
  if (get_bytes(env, argv[2], &width, &n, "widths")) return NULL;
  if (n < 1 || n > 1u << 20) return throw_range(env, "verifierSubmit: 1..2^20 requests at a time");
  uint32_t items = 0;
  for (size_t k = 0; k < n; k++) {
    if (width[k] > POSEIDON_MAX_INPUTS) return throw_range(env, "verifierSubmit: a width must be 0..16");
    items += verify_request_items(width[k]);
  }
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "INVALID_ARG", "verifierSubmit: items must be an array of bigints");
    return NULL;
  }
  CHECK(napi_get_array_length(env, argv[3], &len));
  if (len != items) return throw_range(env, "verifierSubmit: items does not hold what widths describe");
  verify_job *job = verify_job_new(id, (uint32_t)n, items);
  if (job == NULL) {
    napi_throw_error(env, "NO_MEMORY", "verifierSubmit: out of memory");
    return NULL;
  }
  memcpy(job->width, width, n);
  for (uint32_t i = 0; i < items; i++) {
    napi_value el;
    if (napi_get_element(env, argv[3], i, &el) != napi_ok) {
      verify_job_free(job);
      napi_throw_error(env, "NAPI_FAILED", "napi_get_element failed");
      return NULL;
    }
    if (read_bigint(env, el, &job->item[i], (int)i)) {
      verify_job_free(job);
      return NULL;
    }
  }
  if (verify_pool_submit(v->pool, job) != 0) {
    verify_job_free(job);
    napi_throw_error(env, "CLOSED", "verifierSubmit: the verifier is closed");
  }
  return NULL;
}

/* verifierStats(verifier) -> { signals, polls }: sleepers its submits signalled, and looks at the
 * queue by a polling thread, so far (numbers: exact up to 2^53). */
static napi_value js_verifier_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, value;
  uint64_t signals = 0, polls = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_range(env, "verifierStats(verifier) takes one argument");
  verifier *v = verifier_arg(env, argv[0], "verifierStats");
  if (v == NULL) return NULL;
  verify_pool_stats(v->pool, &signals, &polls);
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_double(env, (double)signals, &value));
  CHECK(napi_set_named_property(env, result, "signals", value));
  CHECK(napi_create_double(env, (double)polls, &value));
  CHECK(napi_set_named_property(env, result, "polls", value));
  return result;
}

/* verifierClose(verifier): stops its threads (running jobs still report, queued ones do not). */
static napi_value js_verifier_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_range(env, "verifierClose(verifier) takes one argument");
  verifier *v = verifier_arg(env, argv[0], "verifierClose");
  if (v == NULL) return NULL;
  verifier_release(v);
  return NULL;
}

/*
 * The journal's sync thread (sync_thread.h), wrapped like the verifier: `onDone(token, errno)`
 * runs on the JavaScript thread after each sync through a thread-safe function, and the struct
 * is freed once both the wrapper's and the function's finalizers have run. The thread is always
 * stopped (joined) before the function can go.
 */
typedef struct {
  sync_thread *thread;
  napi_threadsafe_function tsfn;
  int refs;
  int released;
  int tsfn_gone;
} syncer;

typedef struct {
  uint32_t token;
  int error;
} sync_report;

static const napi_type_tag SYNCER_TAG = {0x5e7c0a11fda7a5e1ull, 0x7e55e2a5f0c0ffeeull};

static void syncer_unref(syncer *s) {
  if (--s->refs > 0) return;
  sync_thread_free(s->thread);
  free(s);
}

/* On the sync thread: hands the report to the JavaScript thread (dropped if that is gone). */
static void syncer_done(void *ctx, uint32_t token, int error) {
  syncer *s = ctx;
  sync_report *r = malloc(sizeof *r);
  if (r == NULL) return;
  r->token = token;
  r->error = error;
  if (napi_call_threadsafe_function(s->tsfn, r, napi_tsfn_nonblocking) != napi_ok) free(r);
}

static void syncer_call_js(napi_env env, napi_value on_done, void *context, void *data) {
  (void)context;
  sync_report *r = data;
  if (env != NULL && on_done != NULL) {
    napi_value args[2], undefined, result;
    if (napi_get_undefined(env, &undefined) == napi_ok && napi_create_uint32(env, r->token, &args[0]) == napi_ok &&
        napi_create_int32(env, r->error, &args[1]) == napi_ok)
      napi_call_function(env, undefined, on_done, 2, args, &result);
  }
  free(r);
}

static void syncer_tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  syncer *s = data;
  if (s->thread != NULL) sync_thread_stop(s->thread);
  s->tsfn_gone = 1;
  syncer_unref(s);
}

static void syncer_release(syncer *s) {
  if (s->released) return;
  s->released = 1;
  sync_thread_stop(s->thread);
  if (!s->tsfn_gone) napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
}

static void syncer_wrap_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  syncer *s = data;
  syncer_release(s);
  syncer_unref(s);
}

/* syncerCreate(fd: number, onDone: (token, errno) => void, pollWindowUs: number) -> syncer */
static napi_value js_syncer_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name, obj;
  napi_valuetype t;
  int32_t fd;
  int64_t poll_window_us;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0)
    return throw_range(env, "syncerCreate(fd, onDone, pollWindowUs): fd must be an open file descriptor");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "INVALID_ARG", "syncerCreate: onDone must be a function");
    return NULL;
  }
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_number ||
      napi_get_value_int64(env, argv[2], &poll_window_us) != napi_ok || poll_window_us < 0 ||
      poll_window_us > 1000000)
    return throw_range(env, "syncerCreate: pollWindowUs must be 0..1,000,000 microseconds");
  syncer *s = calloc(1, sizeof *s);
  if (s == NULL) {
    napi_throw_error(env, "NO_MEMORY", "syncerCreate: out of memory");
    return NULL;
  }
  s->refs = 2;
  if (napi_create_string_utf8(env, "tessera.syncer", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, s, syncer_tsfn_finalize, NULL, syncer_call_js,
                                      &s->tsfn) != napi_ok) {
    free(s);
    napi_throw_error(env, "NAPI_FAILED", "syncerCreate: napi_create_threadsafe_function failed");
    return NULL;
  }
  /* The thread starts once the function exists: its first report has somewhere to go. */
  s->thread = sync_thread_new(fd, poll_window_us * 1000, syncer_done, s);
  if (s->thread == NULL) {
    /* No wrapper will exist: the function's finalizer frees `s` (no thread to stop). */
    s->released = 1;
    s->refs = 1;
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
    napi_throw_error(env, "NO_THREAD", "syncerCreate: could not start the sync thread");
    return NULL;
  }
  /* Like the verifier, an idle syncer does not keep the process alive. */
  napi_unref_threadsafe_function(env, s->tsfn);
  if (napi_create_object(env, &obj) != napi_ok || napi_type_tag_object(env, obj, &SYNCER_TAG) != napi_ok ||
      napi_wrap(env, obj, s, syncer_wrap_finalize, NULL, NULL) != napi_ok) {
    syncer_release(s);
    syncer_unref(s);
    napi_throw_error(env, "NAPI_FAILED", "syncerCreate: could not wrap the syncer");
    return NULL;
  }
  return obj;
}

/* The syncer an argument wraps, or NULL after throwing. */
static syncer *syncer_arg(napi_env env, napi_value obj, const char *fn) {
  return tagged_arg(env, obj, &SYNCER_TAG, fn, "syncer from syncerCreate");
}

/* syncerRequest(syncer, token: number): a sync covering every write made before this call. */
static napi_value js_syncer_request(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t token;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_range(env, "syncerRequest(syncer, token) takes two arguments");
  syncer *s = syncer_arg(env, argv[0], "syncerRequest");
  if (s == NULL) return NULL;
  if (napi_get_value_uint32(env, argv[1], &token) != napi_ok) {
    napi_throw_type_error(env, "INVALID_ARG", "syncerRequest: token must be a number");
    return NULL;
  }
  if (s->released || sync_thread_request(s->thread, token) != 0) {
    napi_throw_error(env, "CLOSED", "syncerRequest: the syncer is closed");
    return NULL;
  }
  return NULL;
}

/* syncerKeepAlive(syncer, on: boolean): while on, the syncer keeps the process alive (a sync
 * awaited); off (the default), an idle syncer does not. */
static napi_value js_syncer_keep_alive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool on = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_range(env, "syncerKeepAlive(syncer, on) takes two arguments");
  syncer *s = syncer_arg(env, argv[0], "syncerKeepAlive");
  if (s == NULL) return NULL;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, "INVALID_ARG", "syncerKeepAlive: on must be a boolean");
    return NULL;
  }
  if (s->released || s->tsfn_gone) return NULL;
  if (on) CHECK(napi_ref_threadsafe_function(env, s->tsfn));
  else CHECK(napi_unref_threadsafe_function(env, s->tsfn));
  return NULL;
}

/* syncerStats(syncer) -> { signals, polls, syncs } */
static napi_value js_syncer_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, value;
  uint64_t counts[3] = {0, 0, 0};
  const char *names[3] = {"signals", "polls", "syncs"};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_range(env, "syncerStats(syncer) takes one argument");
  syncer *s = syncer_arg(env, argv[0], "syncerStats");
  if (s == NULL) return NULL;
  sync_thread_stats(s->thread, &counts[0], &counts[1], &counts[2]);
  CHECK(napi_create_object(env, &result));
  for (int i = 0; i < 3; i++) {
    CHECK(napi_create_double(env, (double)counts[i], &value));
    CHECK(napi_set_named_property(env, result, names[i], value));
  }
  return result;
}

/* syncerClose(syncer): stops its thread (a sync running reports first). Idempotent. */
static napi_value js_syncer_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_range(env, "syncerClose(syncer) takes one argument");
  syncer *s = syncer_arg(env, argv[0], "syncerClose");
  if (s == NULL) return NULL;
  syncer_release(s);
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
      {"verifierCreate", NULL, js_verifier_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifierSubmit", NULL, js_verifier_submit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifierStats", NULL, js_verifier_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncerCreate", NULL, js_syncer_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncerRequest", NULL, js_syncer_request, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncerStats", NULL, js_syncer_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncerKeepAlive", NULL, js_syncer_keep_alive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncerClose", NULL, js_syncer_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifierClose", NULL, js_verifier_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value multiplier;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, poseidon_multiplier(), NAPI_AUTO_LENGTH, &multiplier) != napi_ok ||
      napi_set_named_property(env, exports, "multiplier", multiplier) != napi_ok)
    return NULL;
  return exports;
}
