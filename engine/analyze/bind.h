/* bind.h: the analyzer's internal state, shared by analyzer.c and the
 * bind_*.c files (not a public API: see analyzer.h).
 *
 * struct bind lives for one analyzer_plan_query call and is shared by every
 * nested query (subqueries, derived tables, CTE and view expansions); the
 * fields that depend on where we are (sql text, visible CTEs) are saved and
 * restored around view and CTE expansion.
 *
 * A scope lists the columns a query's expressions may name: the FROM
 * clause's output, each with the qualifier (table alias) it can be reached
 * by. Hidden columns are reachable by qualified name only (the right-hand
 * key of JOIN ... USING) and are not expanded by '*'. `outer` links to the
 * enclosing query's scope, for correlated references.
 *
 * Memory: everything is allocated in the plan_ctx arena; nothing points
 * into a syntax tree once analysis returns (view trees are freed). */
#ifndef KINDLING_ENGINE_ANALYZE_BIND_H
#define KINDLING_ENGINE_ANALYZE_BIND_H

#include <stdarg.h>

#include "common/err.h"
#include "engine/analyze/analyzer.h"
#include "engine/catalog/catalog.h"
#include "engine/plan/plan.h"
#include "engine/sql/ast.h"

/* A visible CTE definition; a linked list, innermost first. */
struct bind_cte {
  const struct ast_cte *cte;
  const char *sql;            /* the text its positions refer to */
  const struct bind_cte *env; /* the CTEs visible inside its definition */
  const struct bind_cte *next;
};

struct bind {
  struct catalog *cat;
  struct plan_ctx *ctx;
  struct err *e;
  const char *sql;             /* text the current positions refer to, or NULL */
  const struct bind_cte *ctes; /* visible CTEs */
  const char *views[ANALYZER_MAX_VIEW_DEPTH]; /* views being expanded */
  int nviews;
};

struct bind_col {
  int id;
  const char *name;
  const char *qual; /* or NULL */
  struct type type;
  int nullable;
  int hidden;
};

struct bind_scope {
  struct bind_col *cols;
  int n, cap;
  const struct bind_scope *outer;
};

/* A select-list alias for HAVING / ORDER BY / GROUP BY resolution: bound
 * is the item's bound expression (copied at every use), or NULL for GROUP
 * BY, which binds the item's syntax tree in the grouping context. */
struct bind_alias {
  const char *name;
  const struct ast_expr *ast;
  struct expr *bound;
};

enum bind_alias_mode { BIND_ALIAS_NONE, BIND_ALIAS_FALLBACK, BIND_ALIAS_FIRST };

/* Aggregation being built: group keys (bound over the FROM scope) with
 * their output ids, and the aggregate calls found so far. */
struct bind_agg {
  struct expr **keys;
  int *key_ids;
  const char **key_names;
  int nkeys;
  struct plan_agg_call *calls;
  int *call_ids;
  const char **call_names;
  int ncalls, cap;
  /* GROUPING SETS (nsets > 0): set s groups by the keys k with bit k of
   * sets[s]; the aggregate also groups by its grouping id (gid_id), whose
   * bit nkeys-1-k is set when key k is not in the row's set (Spark's
   * spark_grouping_id). */
  uint64_t *sets;
  int nsets;
  int gid_id;
};

/* Window calls found so far; each carries its own spec. */
struct bind_win_call {
  struct expr **partition;
  int npartition;
  struct plan_sort_key *order;
  int norder;
  struct plan_win_call call;
  int id;
  const char *name;
};

struct bind_win {
  struct bind_win_call *v;
  int n, cap;
};

/* Expression binding context. */
struct bind_ectx {
  struct bind *b;
  const struct bind_scope *sc;
  struct bind_agg *agg; /* non-NULL: aggregate calls allowed, registered here */
  struct bind_win *win; /* non-NULL: window functions allowed */
  const struct bind_alias *aliases;
  int naliases;
  enum bind_alias_mode alias_mode;
  const char *clause;   /* "WHERE", "GROUP BY"...: where aggregates are refused */
  int in_agg;           /* binding an aggregate's argument */
  /* Lateral column aliases: the aliases of the select items before the one
   * being bound, resolved after the FROM scope and before outer scopes.
   * Argument contexts of aggregate and window calls keep them (copies of
   * the context) so a reference there gets Spark's error, not a binding. */
  const struct bind_alias *lateral;
  int nlateral;
};

/* Record an AnalysisException at pos (line 0: none). Returns code. */
int bind_error(struct bind *b, int code, struct ast_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ERR_NOMEM with a message. */
int bind_oom(struct bind *b);

/* A fresh column id named name (borrowed: should live in the arena). */
int bind_new_id(struct bind *b, const char *name);
/* Arena copy of s (NULL stays NULL). */
const char *bind_strdup(struct bind *b, const char *s);
/* Spark's auto name of an expression as written, in the arena; NULL on OOM. */
const char *bind_auto_name(struct bind *b, const struct ast_expr *a);

/* Append a column to a scope. 0 or ERR_NOMEM. */
int bind_scope_add(struct bind *b, struct bind_scope *s, int id, const char *name,
                   const char *qual, struct type t, int nullable, int hidden);
/* Append every output column of p with qualifier qual. */
int bind_scope_from_plan(struct bind *b, struct bind_scope *s, const struct plan *p,
                         const char *qual);
/* 1 when id is one of s's own columns (not an outer scope's). */
int bind_scope_has_id(const struct bind_scope *s, int id);

/* Resolve a column name in x: local scope, select aliases (per
 * x->alias_mode), then outer scopes. 0 and *out (a new EXPR_COL, or a copy
 * of the aliased expression), or an error (UNRESOLVED_COLUMN with
 * suggestions, AMBIGUOUS_REFERENCE). */
int bind_resolve(struct bind_ectx *x, const struct ast_name *n, struct expr **out);

/* Backquoted display of a name: `a`.`b`, into buf. */
void bind_quote_name(const struct ast_name *n, char *buf, size_t sz);

#endif
