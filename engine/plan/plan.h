/* plan.h: the logical plan -- a tree of relational operators over bound
 * expressions (expr.h) -- shared by the analyzer (builds it), the optimizer
 * (rewrites it) and the physical planner (cuts it into stages).
 *
 * Columns: every node lists its output columns (cols[0..ncols)), each with a
 * query-wide unique id, a display name and a type. A node's expressions refer
 * to columns of its children by id (never by position). Ids are handed out
 * by plan_ctx_new_id; a node that computes a value (project, aggregate,
 * window) gives its outputs fresh ids, a node that passes columns through
 * (filter, sort, limit, join) repeats its children's ids.
 *
 * Invariants the optimizer and the physical planner rely on:
 *   - ids are unique within one output list;
 *   - every id an expression uses is produced by the node's children (or, in
 *     a correlated subquery, by an enclosing query: see expr.h);
 *   - PLAN_JOIN's output is the left columns then the right columns, except
 *     SEMI/ANTI joins which output the left columns only;
 *   - PLAN_AGG's output is the group keys (one column per key, in order)
 *     then one column per aggregate, in order;
 *   - PLAN_WINDOW's output is the child's columns then one per window call.
 *
 * Memory: every node, expression, name and array of a query lives in its
 * plan_ctx's arena and is freed with plan_ctx_free. */
#ifndef KINDLING_ENGINE_PLAN_PLAN_H
#define KINDLING_ENGINE_PLAN_PLAN_H

#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/plan/expr.h"
#include "engine/source/readopt.h"
#include "engine/types.h"
#include "engine/vec/schema.h"

/* Per-query planning context: the arena and the id counter. */
struct plan_ctx {
  struct ast_arena *arena; /* owned */
  int next_id;             /* next column id */
  int64_t now_us;          /* CURRENT_TIMESTAMP of this query (UTC micros) */
  int ansi;                /* spark.sql.ansi.enabled: stamped on every new
                            * expression node (struct expr.ansi) */
  const char **id_names;   /* owned array (names borrowed from the arena):
                            * display name per column id, for dumps */
  int id_names_cap;
};

/* New context (now_us taken from the clock). NULL when out of memory. */
struct plan_ctx *plan_ctx_new(void);
void plan_ctx_free(struct plan_ctx *ctx);
int plan_ctx_new_id(struct plan_ctx *ctx);
/* Remember name (borrowed; should live in the arena) as the display name of
 * column id, so expr_dump prints "name#id" (or "name" without ids). The
 * analyzer calls it for every column it creates; plan_dump also records the
 * names of every node's output columns. Out of memory just loses the name. */
void plan_ctx_set_name(struct plan_ctx *ctx, int id, const char *name);
/* The display name of id, or NULL. */
const char *plan_ctx_name(const struct plan_ctx *ctx, int id);
/* Arena helpers: zeroed memory / string copy in ctx's arena, NULL on OOM. */
void *plan_alloc(struct plan_ctx *ctx, size_t n);
char *plan_strdup(struct plan_ctx *ctx, const char *s);

struct plan_col {
  int id;
  const char *name;      /* as the user will see it ("sum_qty", "l_orderkey") */
  const char *qualifier; /* table or alias it came from, or NULL */
  struct type type;
  int nullable;
};

enum plan_kind {
  PLAN_SCAN,    /* u.scan: a file table (CSV / JSON-lines) */
  PLAN_VALUES,  /* u.values: literal rows (also the FROM-less SELECT) */
  PLAN_RANGE,   /* u.range: range(start, end, step) -> one BIGINT "id" */
  PLAN_FILTER,  /* u.filter */
  PLAN_PROJECT, /* u.project: exprs[i] computes cols[i] */
  PLAN_AGG,     /* u.agg */
  PLAN_JOIN,    /* u.join */
  PLAN_SORT,    /* u.sort (limit >= 0 makes it a top-N) */
  PLAN_LIMIT,   /* u.limit */
  PLAN_UNION,   /* UNION ALL of nchild inputs (same column count/types);
                 * output ids are fresh */
  PLAN_WINDOW,  /* u.window */
  PLAN_EXPAND,  /* u.expand: GROUPING SETS -- every input row once per set */
  PLAN_GENERATE /* u.generate: explode/posexplode -- a row per array element */
};

/* What a scan reads: resolved by the catalog. Paths are files (directories
 * already expanded), in a stable order. proj lists the file-schema columns
 * the scan outputs, in output order (projection push-down narrows it). */
struct plan_source {
  const char *name;         /* table name for EXPLAIN, or "csv.`path`" */
  const char *format;       /* "csv" | "json" */
  const char **paths;
  int npaths;
  int64_t *sizes;           /* file sizes in bytes (for estimates, splits) */
  struct readopt_kv *opts;  /* data source options, as given */
  int nopts;
  const struct schema *schema; /* the file schema (borrowed from catalog) */
  int cached;               /* 1: read from the executor cache (CACHE TABLE) */
  const char *cache_key;    /* cache identity when cached */
};

struct plan_sort_key {
  struct expr *expr;
  int desc;
  int nulls_first; /* resolved: Spark's default is ASC NULLS FIRST, DESC LAST */
};

enum agg_fn {
  AGG_COUNT_STAR, /* count(*): no argument, BIGINT, never NULL */
  AGG_COUNT,      /* count(x): non-NULL values, BIGINT, never NULL */
  AGG_SUM,        /* INT/BIGINT -> BIGINT; DOUBLE -> DOUBLE;
                   * DECIMAL(p,s) -> DECIMAL(min(18,p+10),s); NULL if no non-NULL value */
  AGG_AVG,        /* num -> DOUBLE; DECIMAL(p,s) -> DECIMAL(min(18,p+4),s+4) */
  AGG_MIN, AGG_MAX, /* T -> T */
  AGG_FIRST,      /* first non-NULL value seen (any_value, first(x, true)) */
  AGG_STDDEV_SAMP, AGG_VAR_SAMP, /* DOUBLE -> DOUBLE; NULL for < 2 values */
  AGG_COLLECT_LIST, AGG_COLLECT_SET, /* T -> ARRAY<T>, NULLs skipped, never NULL
                                      * ([] for no values); partial state ARRAY<T> */
  AGG_VAR_POP, AGG_STDDEV_POP, /* DOUBLE -> DOUBLE; NULL for no values */
  AGG_APPROX_COUNT_DISTINCT, /* T -> BIGINT, never NULL: HyperLogLog++ (hll.h)
                              * with precision param; partial state the
                              * registers as a STRING of 2^param bytes */
  AGG_LAST,       /* last non-NULL value seen (last(x, true)) */
  AGG_FIRST_NULLS, AGG_LAST_NULLS, /* first(x) / last(x): the first / last row's
                                    * value even if NULL; NULL for no rows;
                                    * partial state (value, BOOLEAN seen) */
  AGG_MAX_BY, AGG_MIN_BY, /* arg: agg_ordkey(ord, x) (a STRING ordered as ord);
                           * result x's type: x at the max / min ord */
  AGG_PERCENTILE, /* num -> DOUBLE at fraction dparam, linear interpolation;
                   * partial state ARRAY<DOUBLE> of the values */
  AGG_PERCENTILE_APPROX, /* T -> T: the smallest value v with at least
                          * dparam * n values <= v (exact); state ARRAY<T> */
  AGG_BOOL_AND, AGG_BOOL_OR, AGG_COUNT_IF, AGG_MEDIAN, /* names only: the analyzer
                          * binds them as min / max / count / percentile */
  AGG__COUNT
};

/* One aggregate call. The argument refers to the aggregate's child columns.
 * distinct: count(DISTINCT x) etc.; filter: FILTER (WHERE ...) or NULL. */
struct plan_agg_call {
  enum agg_fn fn;
  struct expr *arg;    /* NULL for AGG_COUNT_STAR */
  int distinct;
  struct expr *filter;
  struct type type;    /* result type */
  int param;           /* APPROX_COUNT_DISTINCT: HLL++ precision p (0: default) */
  double dparam;       /* PERCENTILE / PERCENTILE_APPROX: the fraction in [0, 1] */
};

enum win_fn {
  WIN_ROW_NUMBER, WIN_RANK, WIN_DENSE_RANK, /* () -> INT */
  WIN_LAG, WIN_LEAD,  /* (x[, offset INT const[, default]]) -> type of x */
  WIN_AGG             /* an aggregate over the frame: agg below */
};

enum plan_frame_bound {
  FRAME_UNBOUNDED_PRECEDING, FRAME_PRECEDING, FRAME_CURRENT_ROW, FRAME_FOLLOWING,
  FRAME_UNBOUNDED_FOLLOWING
};

/* One window call. All calls of a PLAN_WINDOW share partition and order.
 * Frame defaults (Spark): with ORDER BY, RANGE BETWEEN UNBOUNDED PRECEDING
 * AND CURRENT ROW (rows with equal order keys are peers); without, the whole
 * partition. */
struct plan_win_call {
  enum win_fn fn;
  struct plan_agg_call agg;    /* WIN_AGG */
  struct expr *arg;            /* LAG/LEAD value */
  int64_t offset;              /* LAG/LEAD, default 1 */
  struct expr *dflt;           /* LAG/LEAD default, or NULL */
  int rows_frame;              /* 1: ROWS frame; 0: RANGE (peer-based) */
  enum plan_frame_bound start_kind, end_kind;
  int64_t start_off, end_off;  /* for PRECEDING / FOLLOWING */
  struct type type;
};

enum plan_join_type {
  JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, JOIN_CROSS,
  JOIN_SEMI,  /* left rows with at least one match */
  JOIN_ANTI   /* left rows with no match */
};

struct plan {
  enum plan_kind kind;
  struct plan_col *cols;
  int ncols;
  struct plan **child;
  int nchild;
  double est_rows;  /* optimizer's estimate; < 0 unknown */
  double est_bytes; /* estimated output bytes; < 0 unknown */
  union {
    struct {
      struct plan_source src;
      int *proj;           /* file-schema column index per output column */
      struct expr **filters; /* conjuncts pushed into the scan (evaluated by
                              * the scan right after decoding; ids are the
                              * scan's own output ids) */
      int nfilters;
    } scan;
    struct {
      /* row-major literals: rows[r * ncols + c], typed as cols[c] */
      struct expr **cells;
      int nrows;
    } values;
    struct {
      int64_t start, end, step;
    } range;
    struct {
      struct expr *cond;
    } filter;
    struct {
      struct expr **exprs; /* ncols entries */
    } project;
    struct {
      struct expr **keys;
      int nkeys;
      struct plan_agg_call *calls;
      int ncalls;
    } agg;
    /* Equi-join keys left_keys[i] = right_keys[i] (same type; null_safe[i]
     * for <=>), plus a residual condition over left+right columns (or
     * NULL). A join with nkeys == 0 is a nested-loop join. For SEMI/ANTI
     * built from NOT IN, null_aware is set: a NULL on either side of the key
     * makes the row's membership unknown (NOT IN semantics). */
    struct {
      enum plan_join_type type;
      struct expr **left_keys, **right_keys;
      int *null_safe;
      int nkeys;
      struct expr *cond;
      int null_aware;
    } join;
    struct {
      struct plan_sort_key *keys;
      int nkeys;
      int64_t limit; /* -1: full sort; >= 0: top-N (ORDER BY ... LIMIT) */
    } sort;
    struct {
      int64_t limit;  /* -1: none (OFFSET only) */
      int64_t offset;
    } limit;
    struct {
      struct expr **partition;
      int npartition;
      struct plan_sort_key *order;
      int norder;
      struct plan_win_call *calls;
      int ncalls;
    } window;
    /* Spark's Expand: each input row is emitted nsets times, the s-th copy
     * computing cols[c] with exprs[s * ncols + c] (over the child). */
    struct {
      struct expr **exprs;
      int nsets;
    } expand;
    /* Spark's Generate for explode / posexplode [_outer]: one output row per
     * element of arg (an ARRAY over the child), none for an empty or NULL
     * array unless outer (then one row with the generated columns NULL).
     * Output: cols[0 .. ncols - ngen) are child columns passed through (same
     * ids), then the ngen generated ones: pos (INT, 0-based) when with_pos,
     * then the element. Filters on the generated columns stay above. */
    struct {
      struct expr *arg;
      int with_pos;
      int outer;
    } generate;
  } u;
};

/* Number of generated columns at the end of a PLAN_GENERATE's output. */
static inline int plan_generate_ngen(const struct plan *p) { return 1 + (p->u.generate.with_pos != 0); }

/* New node of kind with nchild children (borrowed; same arena) and room for
 * ncols output columns (zeroed; the caller fills them). NULL on OOM. */
struct plan *plan_new(struct plan_ctx *ctx, enum plan_kind kind, struct plan **child, int nchild,
                      int ncols);

/* Output column ids of p into ids (room for p->ncols). */
void plan_ids(const struct plan *p, int *ids);

/* Index of id among p's output columns, or -1. */
int plan_find_id(const struct plan *p, int id);

/* Ids used by p and its descendants that no node inside p produces: the
 * outer references of a correlated subquery. Appends to *out (arena). */
int plan_outer_refs(struct plan_ctx *ctx, const struct plan *p, int **out, int *n);

/* Multi-line tree text for EXPLAIN ("Aggregate [keys] [aggs]" etc., children
 * indented). Appends to out. */
int plan_dump(const struct plan *p, const struct plan_ctx *ctx, struct buf *out);

const char *plan_join_type_name(enum plan_join_type t);
const char *agg_fn_name(enum agg_fn fn);

#endif
