/* batch.h: a set of equally long column vectors plus the arena their
 * strings live in -- the unit the engine's operators pass around.
 *
 * Invariants: every vector has the batch's capacity; after a producer
 * finishes a batch, every vector's count == nrows; string views of any
 * vector point into `arena` (or into memory outliving the batch). */
#ifndef KINDLING_ENGINE_VEC_BATCH_H
#define KINDLING_ENGINE_VEC_BATCH_H

#include <stdint.h>

#include "engine/types.h"
#include "engine/vec/arena.h"
#include "engine/vec/vector.h"

#define BATCH_DEFAULT_ROWS 2048

struct batch {
  int ncols;
  uint32_t nrows;
  uint32_t capacity;
  struct vector *cols; /* owned, ncols entries */
  struct arena arena;  /* owned; string bytes of all columns */
};

/* Create a batch with ncols columns of the given types (borrowed, copied)
 * and room for capacity rows. arena_max caps the string bytes per batch
 * (ARENA_UNLIMITED for none). Returns a new batch (caller frees with
 * batch_free) or NULL when out of memory or on invalid arguments. */
struct batch *batch_new(const struct type *types, int ncols, uint32_t capacity, size_t arena_max);

/* Free b and everything it owns. NULL is allowed. */
void batch_free(struct batch *b);

/* Empty every column and the arena (memory is kept for reuse). */
void batch_reset(struct batch *b);

/* Set nrows and every column's count to n (n <= capacity). */
void batch_set_rows(struct batch *b, uint32_t n);

/* Keep only the rows whose bit is set in keep (a bitmap of nrows bits),
 * preserving order. Used to drop malformed rows or apply a filter. */
void batch_compact(struct batch *b, const uint64_t *keep);

#endif
