/* eval.h: vectorized evaluation of bound expressions (engine/plan/expr.h)
 * over columnar batches.
 *
 * Column references must be bound (expr_bind) to positions of the input
 * batch. Evaluation is batch-at-a-time with type-specialised inner loops: no
 * per-row dispatch on type or node kind on the hot paths (comparisons,
 * arithmetic, AND/OR, IN lists, LIKE prefix/suffix/contains, CASE, CAST of
 * numbers and dates). Constant subtrees are computed once per batch at most.
 *
 * Subquery nodes (EXPR_SUBQUERY, EXPR_IN_SUBQUERY, EXPR_EXISTS) cannot be
 * evaluated: the driver replaces scalar subqueries by literals before
 * execution and the optimizer turns IN/EXISTS into joins; meeting one is
 * ERR_UNSUPPORTED.
 *
 * Thread safety: a compiled program is immutable after eval_compile and may
 * be shared by threads only if each thread has its own struct eval_scratch. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_H
#define KINDLING_ENGINE_EXEC_EVAL_H

#include <stdint.h>

#include "common/err.h"
#include "engine/plan/expr.h"
#include "engine/vec/batch.h"
#include "engine/vec/vector.h"

struct eval_prog;

/* Prepare e (borrowed; must outlive the program; indices bound) for
 * evaluation. Returns 0 and a new program in *out, ERR_UNSUPPORTED for a
 * function/type combination the evaluator lacks (message names it), or
 * ERR_NOMEM. */
int eval_compile(const struct expr *e, struct eval_prog **out, struct err *err);

void eval_free(struct eval_prog *p);

/* Evaluate p over rows [0, in->nrows) of in. out must be initialised by the
 * caller (vector_init) with p's result type and capacity >= in->nrows; its
 * strings go to out->heap (which must be non-NULL for STRING results and
 * must outlive the use of out). On return out->count == in->nrows.
 * Returns 0 or an error (ERR_NOMEM when the heap is exhausted). */
int eval_run(struct eval_prog *p, const struct batch *in, struct vector *out, struct err *err);

/* Evaluate a BOOLEAN predicate and write the indexes of rows where it is
 * true (not false, not NULL) into sel (room for in->nrows), in increasing
 * order; *nsel receives their number. */
int eval_select(struct eval_prog *p, const struct batch *in, uint32_t *sel, uint32_t *nsel,
                struct err *err);

/* Evaluate a constant expression (expr_is_constant) to a value; strings are
 * copied with plan_alloc into ctx. Used for constant folding and LIMIT. */
int eval_constant(const struct expr *e, struct plan_ctx *ctx, struct value *out, struct err *err);

/* Cast one value to type t with the CAST semantics of the evaluator (NULL
 * on failure, is_null set); strings allocated in ctx. */
int eval_cast_value(const struct value *v, struct type t, struct plan_ctx *ctx, struct value *out);

#endif
