/*
 * Polling while work is recent, shared by the verifier threads (verify_pool.c) and the journal's
 * sync thread (sync_thread.c): for a window after its last job an idle thread looks for work every
 * POLL_INTERVAL_NS instead of sleeping on a condition variable, so that a request finds it awake
 * and wakes nobody (a cross-core wake on the requester's thread costs tens of microseconds on a
 * virtual machine). The timer's wake is paid on the poller's core.
 */
#ifndef TESSERA_POLL_H
#define TESSERA_POLL_H
#include <stdint.h>
#include <time.h>

/* How often a polling thread looks for work. */
#define POLL_INTERVAL_NS 200000L

static inline int64_t poll_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* One interval's sleep of a polling thread (the caller holds no lock). */
static inline void poll_sleep(void) {
  const struct timespec interval = {0, POLL_INTERVAL_NS};
  nanosleep(&interval, NULL);
}

#endif
