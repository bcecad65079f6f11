/* fold.h: constant folding and boolean simplification.
 *
 * Constant subexpressions (expr_is_constant) become literals computed by
 * eval_constant; AND/OR drop neutral literals and collapse on absorbing
 * ones (x AND true -> x, false AND x -> false, x OR true -> true); NOT NOT x
 * -> x. A Filter (or a scan's pushed filter) that folds to true disappears;
 * one that folds to false or NULL turns its subtree into an empty
 * LocalRelation with the same columns. An expression the evaluator cannot
 * compute is left as it is (the error surfaces at run time, as in Spark). */
#ifndef KINDLING_ENGINE_OPT_FOLD_H
#define KINDLING_ENGINE_OPT_FOLD_H

#include "common/err.h"
#include "engine/plan/plan.h"

/* Fold e (borrowed, rewritten in place) into *out. 0 or ERR_NOMEM. */
int fold_expr(struct plan_ctx *ctx, struct expr *e, struct expr **out, struct err *err);

/* Fold every expression of the tree p (scalar subquery plans not entered)
 * into *out. 0 or ERR_NOMEM. */
int fold_plan(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *err);

#endif
