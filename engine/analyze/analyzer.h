/* analyzer.h: syntax tree (engine/sql/ast.h) + catalog -> logical plan
 * (engine/plan/plan.h), the way Spark's Analyzer resolves a query.
 *
 * What it does: resolves names (case-insensitive, qualified, correlated
 * outer references inside subqueries), expands views (re-parsing their
 * stored SQL text, with recursion detection) and CTEs (inlined at every
 * use), types every expression with Spark 3.x non-ANSI coercion (inserting
 * EXPR_CAST so expr.h's typing contract holds), and shapes the plan:
 *
 *   Scan/Values/Range/Join(CROSS for comma lists, WHERE above as a Filter)
 *   -> Filter(WHERE) -> Aggregate(keys, calls) -> Filter(HAVING)
 *   -> Window (one per distinct PARTITION BY / ORDER BY spec)
 *   -> Project(select list + hidden ORDER BY columns)
 *   -> [Aggregate for DISTINCT] -> Sort (top-N with LIMIT) / Limit
 *   -> Project (drops hidden columns)
 *
 * It does no optimisation: predicates stay where they were written,
 * subqueries stay in filters (EXPR_SUBQUERY / EXPR_IN_SUBQUERY /
 * EXPR_EXISTS), comma joins are cross joins. Explicit JOIN ... ON splits
 * the ON condition into equi-keys (left = right expressions) and a residual
 * condition.
 *
 * Errors are AnalysisException messages in Spark's wording with the error
 * class in brackets ("[TABLE_OR_VIEW_NOT_FOUND] ...",
 * "[UNRESOLVED_COLUMN.WITH_SUGGESTION] ...", "[MISSING_AGGREGATION] ...")
 * and the line/column of the offending syntax node; return codes are
 * ERR_SQL (analysis errors), ERR_UNSUPPORTED (valid Spark the local engine
 * does not run, e.g. INTERSECT ALL), ERR_NOMEM, ERR_TOOBIG. */
#ifndef KINDLING_ENGINE_ANALYZE_ANALYZER_H
#define KINDLING_ENGINE_ANALYZE_ANALYZER_H

#include "common/err.h"
#include "engine/catalog/catalog.h"
#include "engine/plan/plan.h"
#include "engine/sql/ast.h"

/* Most views nested inside one another (view -> view -> ...). */
#define ANALYZER_MAX_VIEW_DEPTH 64

/* Plan the query q (borrowed). sql_text is the text q's positions refer to
 * (borrowed, may be NULL). The catalog is only read, except that ad-hoc
 * file relations (csv.`path`) are memoised in it. On success *out is the
 * plan's root, allocated in ctx's arena (so are all expressions, names and
 * arrays; ctx->next_id has advanced); scan sources borrow schemas from cat,
 * which must outlive the plan. Returns 0 or an error code with e filled
 * (ename "AnalysisException", line/column of the problem). */
int analyzer_plan_query(struct catalog *cat, struct plan_ctx *ctx, const struct ast_query *q,
                        const char *sql_text, struct plan **out, struct err *e);

/* Execute a catalog statement: CREATE [TEMP] VIEW (AS query: the query is
 * analyzed to validate it and compute the view's schema; its SQL text is
 * cut from sql_text with the AST positions, so sql_text must be the text
 * the statement was parsed from), CREATE TABLE / TEMP VIEW ... USING
 * csv|json OPTIONS (...) [LOCATION], DROP TABLE/VIEW, CACHE TABLE name,
 * UNCACHE TABLE. CREATE TABLE ... AS SELECT and CACHE TABLE ... AS query
 * return ERR_UNSUPPORTED (the caller plans the query with
 * analyzer_plan_query). Returns 0 or an error with e filled. */
int analyzer_exec_catalog(struct catalog *cat, const struct ast_stmt *s, const char *sql_text,
                          struct err *e);

/* The output schema of a plan (names, types, nullability) into out
 * (initialised by this call). 0 or ERR_NOMEM / ERR_TOOBIG. */
int analyzer_plan_schema(const struct plan *p, struct schema *out);

#endif
