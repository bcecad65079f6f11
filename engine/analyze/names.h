/* names.h: Spark's automatic column names for unaliased select items
 * (toPrettySQL of the expression as written): "sum(l_quantity)",
 * "(a + b)", "count(1)" for count(*), "CAST(x AS INT)", "1" for a literal,
 * "DATE '1998-12-01'". Also the quoted expression text of error messages.
 *
 * Works on the syntax tree, not the bound expression, because Spark names a
 * column before type coercion inserts implicit casts. */
#ifndef KINDLING_ENGINE_ANALYZE_NAMES_H
#define KINDLING_ENGINE_ANALYZE_NAMES_H

#include "common/buf.h"
#include "engine/sql/ast.h"

/* Append the auto name of e to out. 0, ERR_NOMEM or ERR_TOOBIG. Output is
 * truncated (with "...") past a few KB: names of huge expressions are not
 * useful and the walk must stay bounded. */
int names_expr(const struct ast_expr *e, struct buf *out);

/* Spark's SQL type spelling (INT, DECIMAL(10,2), STRING). */
int names_type(struct type t, struct buf *out);

#endif
