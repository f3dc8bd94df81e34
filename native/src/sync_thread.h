/*
 * A file's `fdatasync` on a thread of its own, asked for without a wake while work is recent
 * (sync_thread.c). The journal's group commit syncs its write-ahead log once per group, off the
 * venue's thread; through libuv's thread pool each sync's submit woke a sleeping pool thread, a
 * cross-core wake that cost the venue's thread 40–55 µs on the benchmark machine (a virtual
 * machine), about as much as the rest of an order's work in its turn.
 */
#ifndef TESSERA_SYNC_THREAD_H
#define TESSERA_SYNC_THREAD_H
#include <stdint.h>

/* The name of the thread (Linux), for per-thread CPU accounting. */
#define SYNC_THREAD_NAME "tessera-sync"

/* Called on the sync thread after each sync: the highest token it covers, and 0 or the errno. */
typedef void (*sync_done_fn)(void *ctx, uint32_t token, int error);

typedef struct sync_thread sync_thread;

/*
 * A sync thread for `fd` (started at once), or NULL when out of memory or the thread could not
 * start. For `poll_window_ns` after its last sync it looks for the next request every 200 µs
 * instead of sleeping (0: it sleeps until a request signals it).
 */
sync_thread *sync_thread_new(int fd, int64_t poll_window_ns, sync_done_fn done, void *ctx);

/*
 * Asks for a sync that covers every write made to the file before this call; `done` is called
 * with `token` (or a later request's token, when one sync covers both). Returns 0, or -1 once
 * the thread is stopped.
 */
int sync_thread_request(sync_thread *s, uint32_t token);

/* Requests that signalled the sleeping thread, looks by the polling thread, and syncs run. */
void sync_thread_stats(sync_thread *s, uint64_t *signals, uint64_t *polls, uint64_t *syncs);

/* Stops the thread: a sync running finishes and reports; a request not started is dropped. Idempotent. */
void sync_thread_stop(sync_thread *s);

/* Stops the thread and frees it. */
void sync_thread_free(sync_thread *s);

#endif
