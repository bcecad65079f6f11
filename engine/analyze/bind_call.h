/* bind_call.h: binding of function calls (scalar, aggregate, window) and
 * subquery expressions; the part of bind_expr that builds plans or
 * registers calls in the aggregation / window being built. */
#ifndef KINDLING_ENGINE_ANALYZE_BIND_CALL_H
#define KINDLING_ENGINE_ANALYZE_BIND_CALL_H

#include "engine/analyze/bind.h"

/* An AST_FUNC: scalar function, aggregate (registered in x->agg, result
 * is a reference to its output column) or window call (registered in
 * x->win, likewise). 0 and *out (new) or an error. */
int bind_call_func(struct bind_ectx *x, const struct ast_expr *a, struct expr **out);

/* [NOT] EXISTS (a is the AST_EXISTS node). */
int bind_call_exists(struct bind_ectx *x, const struct ast_expr *a, int negated, struct expr **out);

/* x [NOT] IN (query) (a is the AST_IN_QUERY node; negated as resolved by
 * the caller). */
int bind_call_in_query(struct bind_ectx *x, const struct ast_expr *a, int negated,
                       struct expr **out);

/* A scalar subquery (AST_SUBQUERY). */
int bind_call_scalar(struct bind_ectx *x, const struct ast_expr *a, struct expr **out);

#endif
