/* joinorder.h: join extraction and greedy join ordering.
 *
 * A maximal tree of INNER/CROSS joins together with the Filters above and
 * among them is flattened into a join graph: relations (the non-join inputs,
 * optimized recursively) and conjuncts (Filter conjuncts, join conditions,
 * existing join keys as equalities). Conjuncts over one relation become a
 * Filter on it; equalities whose sides read disjoint sets of relations are
 * join-key edges; the rest are residual conditions, placed on the lowest
 * join covering their relations. Conjuncts reading no relation column (or
 * a column no relation produces) stay in a Filter above the tree.
 *
 * Greedy ordering: repeatedly join the pair of subtrees with the smallest
 * estimated result (estimate.h) among pairs connected by a key edge, else by
 * a residual conjunct, else (a true cross product) the smallest product.
 * The larger input goes left (probe side), the smaller right (the physical
 * planner builds its hash table on the right). Ties break on relation order
 * in the query, so the result is deterministic. A Project restores the
 * original column order when the new tree's differs.
 *
 * Works whether or not subqueries were rewritten first: an IN/EXISTS
 * conjunct is placed by the columns it reads (including a correlated
 * subquery's outer references). Graphs of more than JOINORDER_MAX_RELS
 * relations keep their order. */
#ifndef KINDLING_ENGINE_OPT_JOINORDER_H
#define KINDLING_ENGINE_OPT_JOINORDER_H

#include "common/err.h"
#include "engine/opt/estimate.h"
#include "engine/plan/plan.h"

#define JOINORDER_MAX_RELS 16

/* Rewrite every join graph of p (borrowed, rewritten in place) into *out.
 * est (borrowed) receives ndv hints from join keys. 0 or ERR_NOMEM. */
int joinorder_run(struct plan_ctx *ctx, struct estimate *est, struct plan *p, struct plan **out,
                  struct err *e);

#endif
