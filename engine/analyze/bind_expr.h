/* bind_expr.h: syntax-tree expressions -> bound, typed expressions
 * (engine/plan/expr.h), with Spark's implicit coercion; aggregate and
 * window calls are registered in the context's bind_agg / bind_win and
 * replaced by references to the columns those nodes will output. */
#ifndef KINDLING_ENGINE_ANALYZE_BIND_EXPR_H
#define KINDLING_ENGINE_ANALYZE_BIND_EXPR_H

#include "engine/analyze/bind.h"

/* Bind a (borrowed) into *out (new, in the plan arena). 0 or an error code
 * with x->b->e filled. In an aggregation context (x->agg) the result still
 * refers to FROM columns outside aggregates: see bind_expr_regroup. */
int bind_expr(struct bind_ectx *x, const struct ast_expr *a, struct expr **out);

/* bind_expr, then (x->agg set) bind_expr_regroup over x->sc. */
int bind_expr_top(struct bind_ectx *x, const struct ast_expr *a, struct expr **out);

/* e coerced to BOOLEAN for a clause (what: "WHERE", "HAVING", "ON", ...);
 * error when it cannot be. *out new or e. */
int bind_expr_bool(struct bind *b, struct expr *e, const struct ast_expr *a, const char *what,
                   struct expr **out);

/* Structural equality of bound expressions (subquery plans by identity). */
int bind_expr_equal(const struct expr *a, const struct expr *b);

/* Rewrite e (bound over scope `from`) for use above the aggregate agg:
 * subexpressions equal to a group key become references to the key's
 * output column; any other reference to a `from` column is an error
 * (MISSING_AGGREGATION). *out is new (e is not modified). */
int bind_expr_regroup(struct bind *b, const struct bind_agg *agg, const struct bind_scope *from,
                      struct expr *e, struct expr **out);

/* 1 when a contains an aggregate call outside subqueries (window calls'
 * own aggregate is not counted, aggregates in their arguments are). */
int bind_expr_has_agg(const struct ast_expr *a);

/* A constant integer (LIMIT, OFFSET, range() bounds, frame offsets):
 * what names it in messages. 0 and *v or an error. */
int bind_expr_const_int(struct bind *b, const struct ast_expr *a, const char *what, int64_t *v);

/* 0, or the AnalysisException for sorting by e when its type has no order
 * in the engine (ARRAY); clause names the context in the message. */
int bind_check_orderable(struct bind *b, const struct expr *e, const char *clause);

/* The comparison fn(l, r) with both sides coerced to their common type;
 * pos/text for the error message. 0 and *out or an error. */
int bind_expr_compare(struct bind *b, enum expr_fn fn, struct expr *l, struct expr *r,
                      struct ast_pos pos, const char *text, struct expr **out);

#endif
