/*
 * The BN254 scalar field (circomlib's field, p < 2^254) in 4 x 64-bit limbs, little-endian,
 * Montgomery form with R = 2^256. Values are kept fully reduced in [0, p).
 */
#ifndef TESSERA_FIELD_H
#define TESSERA_FIELD_H
#include <stdint.h>

typedef struct {
  uint64_t v[4];
} fe;

typedef unsigned __int128 u128;

#endif
