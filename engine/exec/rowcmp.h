/* rowcmp.h: ordering of rows by sort keys (Spark's ORDER BY semantics):
 * ASC/DESC, NULLS FIRST/LAST, doubles with -0.0 == 0.0 and NaN greater than
 * every number, strings bytewise; plus the 64-bit normalised prefix of a key
 * that decides most comparisons without touching the rows. */
#ifndef KINDLING_ENGINE_EXEC_ROWCMP_H
#define KINDLING_ENGINE_EXEC_ROWCMP_H

#include <stdint.h>

#include "engine/vec/batch.h"

struct rowcmp_key {
  int col;          /* column of the batches compared */
  enum type_id type;
  int desc;
  int nulls_first;
};

/* <0, 0, >0 as row ia of a sorts before, with, after row ib of b, over keys
 * [from, nkeys). */
int rowcmp_cmp(const struct rowcmp_key *keys, int from, int nkeys, const struct batch *a,
               uint32_t ia, const struct batch *b, uint32_t ib);

/* Order-preserving unsigned image of row i of v's value for ASC (callers
 * complement it for DESC). For strings, only the first 8 bytes: equal
 * prefixes need a full comparison. */
uint64_t rowcmp_norm(const struct vector *v, uint32_t i);

#endif
