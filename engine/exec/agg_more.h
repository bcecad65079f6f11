/* agg_more.h: the final step of percentile and percentile_approx, whose
 * per-group state is the collect_list element stream of the values
 * (agg_collect.h), so it is budgeted, spilled and shuffled as a list is. */
#ifndef KINDLING_ENGINE_EXEC_AGG_MORE_H
#define KINDLING_ENGINE_EXEC_AGG_MORE_H

#include <stdint.h>

#include "engine/exec/agg_collect.h"
#include "engine/types.h"

/* The percentile p (0..1) of the values in s (elements of type elem; s is
 * borrowed and unchanged).
 *   approx = 0: Spark's percentile, elem DOUBLE: linear interpolation between
 *     the values at ranks floor and ceil of (n - 1) * p, into *d;
 *   approx = 1: Spark's percentile_approx computed exactly: the smallest value
 *     v such that at least ceil(p * n) values are <= v, into *d (DOUBLE) or
 *     *i (INT/DATE/BIGINT/DECIMAL/TIMESTAMP).
 * Returns 1 with a value, 0 when s is empty (the result is NULL), ERR_NOMEM
 * or ERR_INVAL (an element type without an order here). */
int agg_percentile(const struct agg_collect *s, enum type_id elem, double p, int approx,
                   int64_t *i, double *d);

#endif
