/*
 * The journal's sync thread (sync_thread.h). One request slot: a request made while a sync runs
 * is served by the next sync, which covers it and every request before it (a group commit needs
 * no more). While syncs are recent the thread polls the slot every POLL_INTERVAL_NS rather than
 * sleeping on a condition variable, so that a request is a store under a lock and never a wake
 * on the requester's thread (the venue's); the timer's wake is paid on this thread's core. Past
 * the window it sleeps, and a request signals it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "poll.h"
#include "sync_thread.h"

struct sync_thread {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  int fd;
  int64_t poll_window_ns;
  int requested; /* a request waits for the next sync */
  uint32_t token; /* the latest request's token */
  int sleeping;  /* the thread waits on `wake` */
  int stopping; /* set once, by the stop that joins the thread */
  uint64_t signals, polls, syncs;
  sync_done_fn done;
  void *ctx;
};

static void *sync_main(void *arg) {
  sync_thread *s = arg;
#ifdef __linux__
  prctl(PR_SET_NAME, SYNC_THREAD_NAME, 0, 0, 0);
#endif
  int64_t last = poll_now_ns();
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (!s->requested && !s->stopping) {
      if (poll_now_ns() - last < s->poll_window_ns) {
        pthread_mutex_unlock(&s->lock);
        poll_sleep();
        pthread_mutex_lock(&s->lock);
        s->polls += 1;
        continue;
      }
      s->sleeping = 1;
      pthread_cond_wait(&s->wake, &s->lock);
      s->sleeping = 0;
    }
    if (s->stopping) break;
    const uint32_t token = s->token;
    s->requested = 0;
    pthread_mutex_unlock(&s->lock);
    const int error = fdatasync(s->fd) == 0 ? 0 : errno;
    /* Counted before the caller hears of it: a caller that reads the stats once its sync
     * resolved sees that sync counted. */
    pthread_mutex_lock(&s->lock);
    s->syncs += 1;
    pthread_mutex_unlock(&s->lock);
    s->done(s->ctx, token, error);
    last = poll_now_ns();
    pthread_mutex_lock(&s->lock);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

sync_thread *sync_thread_new(int fd, int64_t poll_window_ns, sync_done_fn done, void *ctx) {
  if (fd < 0 || poll_window_ns < 0) return NULL;
  sync_thread *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->fd = fd;
  s->poll_window_ns = poll_window_ns;
  s->done = done;
  s->ctx = ctx;
  if (pthread_mutex_init(&s->lock, NULL) != 0) {
    free(s);
    return NULL;
  }
  if (pthread_cond_init(&s->wake, NULL) != 0) {
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
  }
  if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
  }
  return s;
}

int sync_thread_request(sync_thread *s, uint32_t token) {
  pthread_mutex_lock(&s->lock);
  if (s->stopping) {
    pthread_mutex_unlock(&s->lock);
    return -1;
  }
  s->requested = 1;
  s->token = token;
  const int wake = s->sleeping;
  if (wake) s->signals += 1;
  pthread_mutex_unlock(&s->lock);
  if (wake) pthread_cond_signal(&s->wake);
  return 0;
}

void sync_thread_stats(sync_thread *s, uint64_t *signals, uint64_t *polls, uint64_t *syncs) {
  pthread_mutex_lock(&s->lock);
  *signals = s->signals;
  *polls = s->polls;
  *syncs = s->syncs;
  pthread_mutex_unlock(&s->lock);
}

void sync_thread_stop(sync_thread *s) {
  pthread_mutex_lock(&s->lock);
  if (s->stopping) {
    pthread_mutex_unlock(&s->lock);
    return;
  }
  s->stopping = 1;
  pthread_cond_broadcast(&s->wake);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
}

void sync_thread_free(sync_thread *s) {
  if (s == NULL) return;
  sync_thread_stop(s);
  pthread_cond_destroy(&s->wake);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
