/* agg_collect.h: the per-group state of collect_list / collect_set.
 *
 * A group's state is a growable element stream (engine/vec/array.h: the
 * elements of an array without header or NULLs, since both aggregates skip
 * NULLs) in malloc'd memory owned by the state. The partial state that
 * crosses shuffles and spill files is the ARRAY value itself, so merging
 * appends another array's element bytes. collect_set removes duplicates
 * whenever its stream doubled since the last pass (amortised O(n log n),
 * memory bounded by twice the distinct values) and once more when emitted.
 *
 * Every function that changes a state adds the change in allocated bytes to
 * *bytes, so the operator can hold its memory budget to it. */
#ifndef KINDLING_ENGINE_EXEC_AGG_COLLECT_H
#define KINDLING_ENGINE_EXEC_AGG_COLLECT_H

#include <stdint.h>

#include "engine/types.h"
#include "engine/vec/arena.h"
#include "engine/vec/vector.h"

struct agg_collect {
  char *p;           /* owned element stream */
  uint32_t len, cap; /* bytes used / allocated */
  uint32_t count;    /* elements in the stream */
  uint32_t dedup_at; /* collect_set: next count at which duplicates go */
};

/* Append row i of v (not NULL; v's type is the element type elem). set: the
 * state is a collect_set. Returns 0, ERR_NOMEM or ERR_TOOBIG. */
int agg_collect_add(struct agg_collect *s, enum type_id elem, int set, const struct vector *v,
                    uint32_t i, int64_t *bytes);

/* Append every non-NULL element of the array value a (a partial state).
 * Returns 0, ERR_NOMEM, ERR_TOOBIG or ERR_PARSE (malformed value). */
int agg_collect_merge(struct agg_collect *s, enum type_id elem, int set, struct sv a,
                      int64_t *bytes);

/* The state as an ARRAY value in heap (*out borrows heap); an empty state
 * gives []. set: duplicates are removed first (the state is changed). */
int agg_collect_emit(struct agg_collect *s, enum type_id elem, int set, struct arena *heap,
                     struct sv *out, int64_t *bytes);

/* Free the streams of s[0..n) and zero the entries. NULL s is allowed. */
void agg_collect_clear(struct agg_collect *s, uint32_t n);

#endif
