/*
 * Poseidon hashed ahead, on a thread of its own, and remembered for the calling thread
 * (poseidon_memo.c).
 *
 * A caller that knows which hashes it will need (the batch builder knows every order-tree write
 * of the next batch while it replays this one, sequencer/builder/prehash.ts) has them computed
 * ahead by a job on another thread; once it has waited for the job, the calling thread remembers
 * each (inputs, output) pair, and `poseidon_memo_lookup` answers a later hash of the same inputs
 * from that memo. Poseidon is a function: a remembered output is the output, so the memo
 * changes how fast a hash is, never what it is, whatever was hashed ahead (or not).
 */
#ifndef TESSERA_POSEIDON_MEMO_H
#define TESSERA_POSEIDON_MEMO_H
#include <stdint.h>
#include "field.h"

/* Hashes of at most this many inputs are remembered (a quaternary tree node has 4). */
#define POSEIDON_MEMO_MAX_INPUTS 4

/* 1 and *out set when the calling thread remembers Poseidon(in[0..n)), else 0. */
int poseidon_memo_lookup(fe *out, const fe *in, int n);

/*
 * A plan of dependent hashes computed on a thread of its own while the caller goes on (the
 * builder replays batch k while the order trees of batch k + 1 are hashed). Row r hashes
 * width[r] (1..POSEIDON_MEMO_MAX_INPUTS) inputs; input i of row r is spec[4·r + i]: a literal
 * (lit[s], s >= 0) or an earlier row's output (s < 0: row -s - 1 < r). `poseidon_job_finish`
 * waits for it and remembers every row for the calling thread.
 */
typedef struct poseidon_job poseidon_job;

/*
 * Copies the plan and starts hashing it (on the calling thread if no thread can be started).
 * Returns 0 and *job, or -1 for a width out of range, -2 for a reference out of range, -3 for a
 * literal that is not canonical, -4 when out of memory.
 */
int poseidon_job_start(poseidon_job **job, const uint8_t *width, const int32_t *spec, uint32_t rows, const fe *lit,
                       uint32_t nlit);

/* Waits for the job; the first call also remembers its rows for the calling thread. */
void poseidon_job_finish(poseidon_job *job);

/* The rows' outputs (valid after poseidon_job_finish, until poseidon_job_free), and their count. */
const fe *poseidon_job_outputs(const poseidon_job *job, uint32_t *rows);

/* Waits for the job if it runs, and frees it. */
void poseidon_job_free(poseidon_job *job);

/* Forgets everything the calling thread remembers (the memo holds one batch's hashes). */
void poseidon_memo_reset(void);

typedef struct {
  uint64_t hits;
  uint64_t misses;
  /* Pairs remembered now, and pairs not remembered because their probe run was full. */
  uint32_t entries;
  uint32_t dropped;
} poseidon_memo_stats;

void poseidon_memo_get_stats(poseidon_memo_stats *s);

#endif
