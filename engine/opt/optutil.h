/* optutil.h: small helpers shared by the optimizer's rules -- id sets,
 * expression walking / substitution, conjunct lists and node builders.
 *
 * Everything allocates in the plan_ctx arena (nothing is freed one by one),
 * and nothing depends on pointer values or hash order, so every rule built on
 * these helpers is deterministic.
 *
 * Id sets are bitmaps indexed by column id, sized ctx->next_id at creation;
 * ids created later (fresh ids of new nodes) must be checked against n. */
#ifndef KINDLING_ENGINE_OPT_OPTUTIL_H
#define KINDLING_ENGINE_OPT_OPTUTIL_H

#include "engine/plan/plan.h"

struct optutil_ids {
  unsigned char *bits;
  int n; /* ids 0..n-1 */
};

/* Growable array of expressions in the arena. */
struct optutil_exprs {
  struct expr **v;
  int n, cap;
};

/* Empty set with room for every id of ctx (plus slack). 0 or ERR_NOMEM. */
int optutil_ids_init(struct plan_ctx *ctx, struct optutil_ids *s);
void optutil_ids_add(struct optutil_ids *s, int id);
int optutil_ids_has(const struct optutil_ids *s, int id);

/* Append e (borrowed) to a. 0 or ERR_NOMEM. */
int optutil_exprs_push(struct plan_ctx *ctx, struct optutil_exprs *a, struct expr *e);
/* Append the conjuncts of e (AND flattened). 0 or ERR_NOMEM. */
int optutil_exprs_conjuncts(struct plan_ctx *ctx, struct optutil_exprs *a, struct expr *e);

/* Call fn on every expression slot of node p itself (not its children, not
 * subquery plans): filter cond, project exprs, agg keys/args/filters, join
 * keys/cond, sort keys, scan filters, window exprs, values cells. fn may
 * replace *slot. Stops at and returns the first non-zero fn result. */
typedef int (*optutil_slot_fn)(struct expr **slot, void *arg);
int optutil_node_exprs(struct plan *p, optutil_slot_fn fn, void *arg);

/* Call fn on every node of e (pre-order), subquery plans not entered.
 * Returns the first non-zero fn result. */
typedef int (*optutil_expr_fn)(const struct expr *e, void *arg);
int optutil_expr_walk(const struct expr *e, optutil_expr_fn fn, void *arg);

/* Add the ids e reads to s: its column references plus the outer references
 * of subqueries inside it. 0 or ERR_NOMEM. */
int optutil_expr_ids(struct plan_ctx *ctx, const struct expr *e, struct optutil_ids *s);

/* Ids used inside p (all nodes, nested subqueries too) that no node of p
 * produces, in increasing order: the outer references of a correlated
 * subquery. *out is arena memory. 0 or ERR_NOMEM. */
int optutil_outer_refs(struct plan_ctx *ctx, const struct plan *p, int **out, int *n);

/* 1 if e contains a subquery node (any kind). */
int optutil_has_subquery(const struct expr *e);
/* 1 if e contains an IN-subquery or EXISTS node; *where gets the first. */
int optutil_find_pred_subquery(const struct expr *e, const struct expr **where);

/* 1 if every id e reads (including subquery outer references) is in s. */
int optutil_expr_within(struct plan_ctx *ctx, const struct expr *e, const struct optutil_ids *s);

/* Deep copy of e where column id from[i] becomes a copy of to[i]. Subquery
 * plans are shared. NULL on OOM. */
struct expr *optutil_subst(struct plan_ctx *ctx, const struct expr *e, const int *from,
                           struct expr *const *to, int n);

/* Literals and predicates. */
struct expr *optutil_bool(struct plan_ctx *ctx, int v);
int optutil_is_true(const struct expr *e);
/* false or a NULL literal: a filter drops every row */
int optutil_is_false_or_null(const struct expr *e);
struct expr *optutil_eq(struct plan_ctx *ctx, struct expr *a, struct expr *b, int null_safe);
struct expr *optutil_colref(struct plan_ctx *ctx, const struct plan_col *c);

/* Filter over child with the AND of c[0..n); child itself when n == 0.
 * NULL on OOM. */
struct plan *optutil_filter(struct plan_ctx *ctx, struct plan *child, struct expr **c, int n);

/* Project over child passing columns cols[0..n) through (same ids). */
struct plan *optutil_passthrough(struct plan_ctx *ctx, struct plan *child,
                                 const struct plan_col *cols, int n);

/* Recompute a join's output list from its children (left then right, left
 * only for SEMI/ANTI). 0 or ERR_NOMEM. */
int optutil_join_cols(struct plan_ctx *ctx, struct plan *j);

/* 1 if p outputs exactly the ids of cols[0..n) in that order. */
int optutil_same_ids(const struct plan *p, const struct plan_col *cols, int n);

/* 1 if types are identical (id, precision, scale). */
int optutil_type_eq(struct type a, struct type b);

#endif
