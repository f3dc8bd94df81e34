/*
 * Poseidon hashed ahead on a thread of its own, and the calling thread's memo of the results
 * (poseidon_memo.h).
 *
 * The memo is per thread (`_Thread_local`, allocated on first use), as the EdDSA key cache is:
 * a job's thread only hashes into the job's own `out`, which the caller reads after joining it;
 * the calling thread alone reads and writes its memo, so no memo is ever shared between threads.
 *
 * Open addressing over MEMO_SLOTS slots, a run of at most MEMO_PROBES from the home slot. A slot
 * belongs to the memo's current generation or is free; `poseidon_memo_reset` starts a new
 * generation, which frees every slot in O(1). A pair whose run is full is not remembered
 * (`dropped`): a later hash of it is computed, as without the memo. The key is the whole input,
 * compared limb by limb, never a digest of it: two inputs share an output only if they are equal.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "poseidon.h"
#include "poseidon_memo.h"

#define MEMO_BITS 14
#define MEMO_SLOTS (1u << MEMO_BITS)
#define MEMO_PROBES 8

typedef struct {
  uint32_t gen;
  uint32_t n;
  fe in[POSEIDON_MEMO_MAX_INPUTS];
  fe out;
} memo_slot;

typedef struct {
  uint32_t gen;
  uint32_t entries;
  uint32_t dropped;
  uint64_t hits;
  uint64_t misses;
  memo_slot slots[MEMO_SLOTS];
} memo_table;

static _Thread_local memo_table *memo = NULL;

static memo_table *memo_table_get(void) {
  if (memo == NULL) {
    memo = calloc(1, sizeof(memo_table));
    if (memo != NULL) memo->gen = 1; /* slots start at generation 0: free */
  }
  return memo;
}

static uint32_t memo_home(const fe *in, int n) {
  uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < n; i++) {
    h ^= in[i].v[0] + 0x632BE59BD9B4E019ull * in[i].v[1];
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  return (uint32_t)(h >> (64 - MEMO_BITS));
}

static int memo_same(const memo_slot *s, const fe *in, int n) {
  return s->n == (uint32_t)n && memcmp(s->in, in, (size_t)n * sizeof(fe)) == 0;
}

int poseidon_memo_lookup(fe *out, const fe *in, int n) {
  memo_table *t = memo;
  if (t == NULL || t->entries == 0 || n < 1 || n > POSEIDON_MEMO_MAX_INPUTS) return 0;
  uint32_t i = memo_home(in, n);
  for (int p = 0; p < MEMO_PROBES; p++, i = (i + 1) & (MEMO_SLOTS - 1)) {
    const memo_slot *s = &t->slots[i];
    if (s->gen != t->gen) break; /* a free slot ends the run */
    if (memo_same(s, in, n)) {
      *out = s->out;
      t->hits++;
      return 1;
    }
  }
  t->misses++;
  return 0;
}

static void memo_store(memo_table *t, const fe *out, const fe *in, int n) {
  uint32_t i = memo_home(in, n);
  for (int p = 0; p < MEMO_PROBES; p++, i = (i + 1) & (MEMO_SLOTS - 1)) {
    memo_slot *s = &t->slots[i];
    if (s->gen != t->gen) {
      s->gen = t->gen;
      s->n = (uint32_t)n;
      memcpy(s->in, in, (size_t)n * sizeof(fe));
      s->out = *out;
      t->entries++;
      return;
    }
    if (memo_same(s, in, n)) return;
  }
  t->dropped++;
}

void poseidon_memo_reset(void) {
  memo_table *t = memo;
  if (t == NULL) return;
  t->gen++;
  if (t->gen == 0) { /* wrapped: every slot's generation could look current again */
    memset(t->slots, 0, sizeof t->slots);
    t->gen = 1;
  }
  t->entries = 0;
  t->dropped = 0;
}

void poseidon_memo_get_stats(poseidon_memo_stats *s) {
  const memo_table *t = memo;
  memset(s, 0, sizeof *s);
  if (t == NULL) return;
  s->hits = t->hits;
  s->misses = t->misses;
  s->entries = t->entries;
  s->dropped = t->dropped;
}

struct poseidon_job {
  uint32_t rows, nlit;
  uint8_t *width;
  int32_t *spec;
  fe *lit;
  fe *out;
  pthread_t thread;
  int running;  /* started on its own thread and not joined yet */
  int finished; /* poseidon_job_finish ran */
};

static void job_inputs(const poseidon_job *j, uint32_t r, fe *in) {
  for (uint32_t i = 0; i < j->width[r]; i++) {
    const int32_t s = j->spec[4 * (size_t)r + i];
    in[i] = s >= 0 ? j->lit[s] : j->out[-(int64_t)s - 1];
  }
}

static void *job_run(void *arg) {
  poseidon_job *j = arg;
  fe in[POSEIDON_MEMO_MAX_INPUTS];
  /* Validated by poseidon_job_start: every input is canonical (literals checked, outputs are). */
  for (uint32_t r = 0; r < j->rows; r++) {
    job_inputs(j, r, in);
    poseidon_hash(&j->out[r], in, (int)j->width[r]);
  }
  return NULL;
}

void poseidon_job_free(poseidon_job *j) {
  if (j == NULL) return;
  if (j->running) pthread_join(j->thread, NULL);
  free(j->width);
  free(j->spec);
  free(j->lit);
  free(j->out);
  free(j);
}

int poseidon_job_start(poseidon_job **job, const uint8_t *width, const int32_t *spec, uint32_t rows, const fe *lit,
                       uint32_t nlit) {
  for (uint32_t r = 0; r < rows; r++) {
    if (width[r] < 1 || width[r] > POSEIDON_MEMO_MAX_INPUTS) return -1;
    for (uint32_t i = 0; i < width[r]; i++) {
      const int32_t s = spec[4 * (size_t)r + i];
      if (s >= 0 ? (uint32_t)s >= nlit : (uint64_t)(-(int64_t)s - 1) >= r) return -2;
    }
  }
  for (uint32_t k = 0; k < nlit; k++)
    if (!poseidon_is_canonical(&lit[k])) return -3;
  poseidon_job *j = calloc(1, sizeof *j);
  if (j == NULL) return -4;
  j->rows = rows;
  j->nlit = nlit;
  j->width = malloc(rows > 0 ? rows : 1);
  j->spec = malloc(sizeof(int32_t) * 4 * (rows > 0 ? rows : 1));
  j->lit = malloc(sizeof(fe) * (nlit > 0 ? nlit : 1));
  j->out = malloc(sizeof(fe) * (rows > 0 ? rows : 1));
  if (j->width == NULL || j->spec == NULL || j->lit == NULL || j->out == NULL) {
    poseidon_job_free(j);
    return -4;
  }
  memcpy(j->width, width, rows);
  memcpy(j->spec, spec, sizeof(int32_t) * 4 * (size_t)rows);
  memcpy(j->lit, lit, sizeof(fe) * (size_t)nlit);
  j->running = pthread_create(&j->thread, NULL, job_run, j) == 0;
  if (!j->running) job_run(j);
  *job = j;
  return 0;
}

void poseidon_job_finish(poseidon_job *j) {
  if (j->running) {
    pthread_join(j->thread, NULL);
    j->running = 0;
  }
  if (j->finished) return;
  j->finished = 1;
  memo_table *t = memo_table_get();
  if (t == NULL) return;
  fe in[POSEIDON_MEMO_MAX_INPUTS];
  for (uint32_t r = 0; r < j->rows; r++) {
    job_inputs(j, r, in);
    memo_store(t, &j->out[r], in, (int)j->width[r]);
  }
}

const fe *poseidon_job_outputs(const poseidon_job *j, uint32_t *rows) {
  *rows = j->rows;
  return j->out;
}
