/* EdDSA-Poseidon verification over Baby Jubjub, as protocol/eddsa-fast.ts `verifyFast`. */
#ifndef TESSERA_EDDSA_H
#define TESSERA_EDDSA_H
#include "field.h"

/*
 * 1 iff (R8, S) is a valid signature of msg under A: all of ax, ay, r8x, r8y, msg canonical
 * (< p), S < L, A and R8 on the curve, 8·A not the identity, and S·Base8 == R8 + h·(8·A) with
 * h = Poseidon(R8x, R8y, Ax, Ay, msg) mod L. Canonical little-endian limbs in, never fails.
 */
int eddsa_verify(const fe *ax, const fe *ay, const fe *r8x, const fe *r8y, const fe *s, const fe *msg);

/* The calling thread's key cache (eddsa.c): keys remembered and keys with a table. */
int eddsa_cache_stats(int *remembered, int *tables);

/* Forgets the calling thread's keys and frees their tables (tests). */
void eddsa_cache_clear(void);

#endif
