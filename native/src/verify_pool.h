/*
 * EdDSA-Poseidon verification on threads of the calling process (verify_pool.c).
 *
 * The venue verifies every order's signature off its event loop. In separate processes each
 * request crosses a pipe twice: serialized, written, read and parsed on both sides, which cost
 * more than the verification itself at one order per message. Here a request is copied into a
 * job on the calling thread and verified by one of the pool's threads, each with its own EdDSA
 * key cache (eddsa.c, per thread); the finished job is handed to `done`, which the addon turns
 * into a call on the JavaScript thread.
 */
#ifndef TESSERA_VERIFY_POOL_H
#define TESSERA_VERIFY_POOL_H
#include <stdint.h>
#include "field.h"

/* The name of the pool's threads (Linux), for per-thread CPU accounting. */
#define VERIFY_THREAD_NAME "tessera-verify"

/* The elements of one request: ax, ay, r8x, r8y, s, then the message or its hash inputs. */
#define VERIFY_KEY_AND_SIG 5

/*
 * Requests verified together. Request k is `width[k]`: 0 when its message is given (one element),
 * else the number (1..16) of inputs whose Poseidon hash is the message (an order's
 * `orderHashInputs`). Its elements follow the previous request's in `item`. After the job ran,
 * `ok[k]` is 1 iff the signature is valid for the message, which is in `msg[k]`; an input that is
 * not canonical gives ok 0 (and msg 0), never an error.
 */
typedef struct verify_job {
  struct verify_job *next;
  uint32_t id;
  uint32_t n;
  uint8_t *width;
  fe *item;
  uint8_t *ok;
  fe *msg;
} verify_job;

/* The elements request k of `width` takes. */
static inline uint32_t verify_request_items(uint8_t width) {
  return VERIFY_KEY_AND_SIG + (width == 0 ? 1u : (uint32_t)width);
}

/* A job for n requests holding `items` elements in all (uninitialised), or NULL. */
verify_job *verify_job_new(uint32_t id, uint32_t n, uint32_t items);
void verify_job_free(verify_job *job);

/* Verifies every request of the job on the calling thread. */
void verify_job_run(verify_job *job);

/* Called on the pool's thread that ran the job (or the submitter's, see below); owns the job. */
typedef void (*verify_done_fn)(void *ctx, verify_job *job);

typedef struct verify_pool verify_pool;

/*
 * A pool of `threads` (1..64) threads, started at the first submit; NULL when out of memory or
 * when an argument is out of range. For `poll_window_ns` after its last job one idle thread polls
 * the queue instead of sleeping (verify_pool.c; 0: every idle thread sleeps until signalled).
 */
verify_pool *verify_pool_new(int threads, int64_t poll_window_ns, verify_done_fn done, void *ctx);

/* Sleepers signalled by submits, and looks at the queue by a polling thread, so far. */
void verify_pool_stats(verify_pool *pool, uint64_t *signals, uint64_t *polls);

/*
 * Queues the job; the pool's next free thread runs it and hands it to `done`. If no thread can
 * be started, the job runs on the calling thread and `done` is called before this returns.
 * Returns 0, or -1 once the pool is stopped (the job is the caller's again).
 */
int verify_pool_submit(verify_pool *pool, verify_job *job);

/*
 * Stops the pool: the jobs that are running finish and go to `done`, the queued ones are freed
 * without it, and the threads are joined. Idempotent.
 */
void verify_pool_stop(verify_pool *pool);

/* Stops the pool and frees it. */
void verify_pool_free(verify_pool *pool);

#endif
