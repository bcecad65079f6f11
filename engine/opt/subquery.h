/* subquery.h: predicate subqueries to joins (Catalyst's
 * RewritePredicateSubquery).
 *
 * In a Filter, a top-level conjunct
 *   x IN (q)       -> LEFT SEMI join, key x = q's column
 *   x NOT IN (q)   -> null-aware LEFT ANTI join, key x = q's column
 *   [NOT] EXISTS q -> LEFT SEMI / ANTI join
 * where the correlated predicates of q (conjuncts of q's Filters that read
 * columns of the outer query) are pulled up: outer = inner equalities become
 * join keys, the rest the join's residual condition; q's own predicates stay.
 * The remaining conjuncts of the Filter stay in a Filter below the joins.
 *
 * Rejected with ERR_UNSUPPORTED (message and position in e): an IN/EXISTS
 * anywhere else (under OR, in a SELECT list...), a correlated scalar
 * subquery, a correlated reference the pull-up cannot reach (below an
 * aggregate, a LIMIT...), a correlated NOT IN over nullable columns.
 * Uncorrelated scalar subqueries are left alone. */
#ifndef KINDLING_ENGINE_OPT_SUBQUERY_H
#define KINDLING_ENGINE_OPT_SUBQUERY_H

#include "common/err.h"
#include "engine/plan/plan.h"

/* Rewrite p (borrowed, rewritten in place where convenient) into *out.
 * Scalar subquery plans are not entered (the optimizer handles each as its
 * own query) but are checked for correlation. 0 or a negative ERR_*. */
int subquery_rewrite(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e);

#endif
