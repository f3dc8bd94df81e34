/*
 * EdDSA-Poseidon verification on threads of the calling process (verify_pool.h).
 *
 * One FIFO of jobs under a mutex; each thread takes the oldest job, verifies it with no lock
 * held and hands it to `done`. A job belongs to exactly one party at a time: the submitter until
 * `verify_pool_submit` returns 0, then the queue, then the thread that took it, then `done`.
 * The key cache and the Poseidon memo are per thread (eddsa.c, poseidon_memo.c), so the threads
 * share nothing but the queue; a market maker's key gets its table in each thread that sees it
 * often (a cost, never a rule: verification is the same function with or without it).
 *
 * Wakes on demand: a submit signals a sleeping thread only when the queue holds more jobs than
 * there are threads awake to take them. Waking a thread that sleeps on another core cost the
 * submitter 37–53 µs on the benchmark machine (a virtual machine: the wake is an
 * inter-processor interrupt through the hypervisor), about a tenth of the venue thread's time
 * per order when every order woke one; a thread that is awake takes the next job when it
 * finishes its own, and a burst still wakes every thread it needs.
 *
 * Polls while work is recent: orders that come one at a time (2,000 a second is one every
 * 500 µs) find every thread idle, and each would pay that wake on the submitter's thread, the
 * venue's. So for `poll_window_ns` after its last job one idle thread (at most one) looks at the
 * queue every POLL_INTERVAL_NS instead of sleeping on `wake`. It counts as awake, so a submit it
 * will find does not signal; the job waits at most one interval, and the timer's wake is paid on
 * the poller's core, not the submitter's. Past the window it sleeps on `wake` like the others,
 * so an idle pool costs nothing.
 */
#include <pthread.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <string.h>
#include "eddsa.h"
#include "poll.h"
#include "poseidon.h"
#include "verify_pool.h"

#define VERIFY_POOL_MAX_THREADS 64

struct verify_pool {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  verify_job *head, *tail;
  int stopping;
  int queued;  /* jobs in the queue */
  int waiting; /* threads asleep on `wake` */
  int polling; /* threads polling the queue (0 or 1), not asleep on `wake` */
  int started; /* threads started (0 until the first submit) */
  int threads; /* threads asked for */
  int64_t poll_window_ns; /* how long after its last job a thread polls (0: never) */
  uint64_t signals;       /* sleepers signalled by submits */
  uint64_t polls;         /* looks at the queue by a polling thread */
  pthread_t thread[VERIFY_POOL_MAX_THREADS];
  verify_done_fn done;
  void *ctx;
};

verify_job *verify_job_new(uint32_t id, uint32_t n, uint32_t items) {
  verify_job *j = calloc(1, sizeof *j);
  if (j == NULL) return NULL;
  j->id = id;
  j->n = n;
  j->width = malloc(n > 0 ? n : 1);
  j->item = malloc(sizeof(fe) * (items > 0 ? items : 1));
  j->ok = calloc(n > 0 ? n : 1, 1);
  j->msg = calloc(n > 0 ? n : 1, sizeof(fe));
  if (j->width == NULL || j->item == NULL || j->ok == NULL || j->msg == NULL) {
    verify_job_free(j);
    return NULL;
  }
  return j;
}

void verify_job_free(verify_job *j) {
  if (j == NULL) return;
  free(j->width);
  free(j->item);
  free(j->ok);
  free(j->msg);
  free(j);
}

void verify_job_run(verify_job *j) {
  const fe *it = j->item;
  for (uint32_t k = 0; k < j->n; k++) {
    const uint8_t w = j->width[k];
    const fe *m = it + VERIFY_KEY_AND_SIG;
    fe msg;
    if (w == 0) {
      msg = *m;
    } else if (poseidon_hash(&msg, m, (int)w) != 0) {
      /* An input that is not canonical: no message, so no valid signature of it. */
      memset(&j->msg[k], 0, sizeof(fe));
      j->ok[k] = 0;
      it += verify_request_items(w);
      continue;
    }
    j->msg[k] = msg;
    j->ok[k] = (uint8_t)(eddsa_verify(&it[0], &it[1], &it[2], &it[3], &it[4], &msg) != 0);
    it += verify_request_items(w);
  }
}

static void *pool_thread(void *arg) {
  verify_pool *p = arg;
#ifdef __linux__
  /* Named, so that its CPU time can be told from the event loop's (/proc/<pid>/task/<tid>/comm). */
  prctl(PR_SET_NAME, VERIFY_THREAD_NAME, 0, 0, 0);
#endif
  int64_t last_job = poll_now_ns();
  for (;;) {
    pthread_mutex_lock(&p->lock);
    while (p->head == NULL && !p->stopping) {
      if (p->polling == 0 && poll_now_ns() - last_job < p->poll_window_ns) {
        /* The poller: counted awake, so a submit leaves its job to this look (see the header). */
        p->polling = 1;
        pthread_mutex_unlock(&p->lock);
        poll_sleep();
        pthread_mutex_lock(&p->lock);
        p->polling = 0;
        p->polls += 1;
        continue;
      }
      p->waiting += 1;
      pthread_cond_wait(&p->wake, &p->lock);
      p->waiting -= 1;
    }
    if (p->stopping) {
      pthread_mutex_unlock(&p->lock);
      return NULL;
    }
    verify_job *j = p->head;
    p->head = j->next;
    if (p->head == NULL) p->tail = NULL;
    p->queued -= 1;
    pthread_mutex_unlock(&p->lock);
    j->next = NULL;
    verify_job_run(j);
    p->done(p->ctx, j);
    last_job = poll_now_ns();
  }
}

verify_pool *verify_pool_new(int threads, int64_t poll_window_ns, verify_done_fn done, void *ctx) {
  if (threads < 1 || threads > VERIFY_POOL_MAX_THREADS || poll_window_ns < 0) return NULL;
  verify_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->wake, NULL) != 0) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
  }
  p->threads = threads;
  p->poll_window_ns = poll_window_ns;
  p->done = done;
  p->ctx = ctx;
  return p;
}

int verify_pool_submit(verify_pool *p, verify_job *j) {
  pthread_mutex_lock(&p->lock);
  if (p->stopping) {
    pthread_mutex_unlock(&p->lock);
    return -1;
  }
  /* Started here, not at creation: threads inherit the scheduling priority of the thread that
   * creates them, and a process whose priority is lowered after it starts (the batch builder)
   * has been lowered by its first submit. */
  while (p->started < p->threads && pthread_create(&p->thread[p->started], NULL, pool_thread, p) == 0)
    p->started += 1;
  if (p->started == 0) {
    pthread_mutex_unlock(&p->lock);
    verify_job_run(j);
    p->done(p->ctx, j);
    return 0;
  }
  j->next = NULL;
  if (p->tail == NULL) p->head = j;
  else p->tail->next = j;
  p->tail = j;
  p->queued += 1;
  /* The threads awake (working, or about to look at the queue under this lock) each take a job
   * before they can sleep: a sleeper is needed only for the jobs beyond them. Both counts are
   * read under the lock that a thread holds from its last look at the queue into its wait, so
   * a job is never left with every thread asleep. A poller counts as awake: it looks again
   * within one interval, whatever it finds now. */
  int wake = p->waiting > 0 && p->queued > p->started - p->waiting;
  if (wake) p->signals += 1;
  pthread_mutex_unlock(&p->lock);
  /* Signalled after the unlock: a woken thread does not block at once on the lock held here. */
  if (wake) pthread_cond_signal(&p->wake);
  return 0;
}

void verify_pool_stats(verify_pool *p, uint64_t *signals, uint64_t *polls) {
  pthread_mutex_lock(&p->lock);
  *signals = p->signals;
  *polls = p->polls;
  pthread_mutex_unlock(&p->lock);
}

void verify_pool_stop(verify_pool *p) {
  pthread_mutex_lock(&p->lock);
  if (p->stopping) {
    pthread_mutex_unlock(&p->lock);
    return;
  }
  p->stopping = 1;
  verify_job *queued = p->head;
  p->head = p->tail = NULL;
  p->queued = 0;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  while (queued != NULL) {
    verify_job *next = queued->next;
    verify_job_free(queued);
    queued = next;
  }
  for (int i = 0; i < p->started; i++) pthread_join(p->thread[i], NULL);
}

void verify_pool_free(verify_pool *p) {
  if (p == NULL) return;
  verify_pool_stop(p);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
