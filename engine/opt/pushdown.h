/* pushdown.h: predicate push-down (Catalyst's PushDownPredicates family).
 *
 * Filter conjuncts move as far down as they stay correct: Filters merge;
 * through a Project by substituting the projected expressions; through
 * inner joins to the side holding their columns (the rest become the join's
 * condition, equalities across the sides its keys); through outer joins only
 * to the preserved side (and an outer join's ON conjuncts over the other
 * side into that side); through semi/anti joins to the left (their ON
 * conjuncts over the right into the right); through an Aggregate when they
 * read group keys only; through Union into every input; through a Sort
 * without limit; through a Window when they read plain partition columns
 * only; into a Scan as pushed filters. Conjuncts containing a subquery move
 * only as Filters (never into scans or join conditions).
 *
 * Semi and anti joins themselves are pushed below inner joins to the side
 * holding the columns they test, so a subquery rewritten over a comma join
 * becomes a filter on one relation of the join graph. */
#ifndef KINDLING_ENGINE_OPT_PUSHDOWN_H
#define KINDLING_ENGINE_OPT_PUSHDOWN_H

#include "common/err.h"
#include "engine/plan/plan.h"

/* Rewrite p (borrowed, rewritten in place) into *out; the root's output is
 * unchanged. 0 or ERR_NOMEM. */
int pushdown_run(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e);

#endif
