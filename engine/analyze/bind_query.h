/* bind_query.h: one query (SELECT, set operation or VALUES, with its WITH,
 * ORDER BY, LIMIT and OFFSET) -> logical plan, shaped as analyzer.h
 * describes. Used for the top-level query, subqueries, derived tables,
 * CTE and view expansions. */
#ifndef KINDLING_ENGINE_ANALYZE_BIND_QUERY_H
#define KINDLING_ENGINE_ANALYZE_BIND_QUERY_H

#include "engine/analyze/bind.h"

/* Plan q (borrowed). outer is the enclosing query's scope for correlated
 * references (NULL at top level). 0 and *out (plan arena) or an error. */
int bind_query(struct bind *b, const struct ast_query *q, const struct bind_scope *outer,
               struct plan **out);

#endif
