/* estimate.h: cardinality and size estimates for the optimizer (no
 * statistics: file sizes and default selectivities, Spark-style).
 *
 *   scan       rows = file bytes / text row width (~8 per number, ~20 per
 *              string, 10 per date, +1 separator; JSON adds the key names),
 *              times the selectivity of the pushed filters
 *   filter     rows = input x selectivity: = 0.1, range 0.33, LIKE 0.25,
 *              IN list n x 0.1 (capped at 0.5), IS NULL 0.1, AND multiplies,
 *              OR adds (inclusion-exclusion), NOT complements
 *   join       |L| x |R| / prod(ndv of each key pair) x residual selectivity,
 *              where a key's ndv is the *unfiltered* row count of the
 *              relation owning it, lowered by the columns it is equated with
 *              (its equivalence class): for a foreign-key join this is
 *              max(|L|, |R|) x the selectivities applied to either side
 *   aggregate  min(input, product of key ndvs (input/2 for computed keys))
 *   bytes      rows x in-memory row width (Spark's defaultSize per type)
 *
 * Everything is a pure function of the plan (and the hints below), so it is
 * deterministic. Rows are never below 0; divisions use max(1, x). */
#ifndef KINDLING_ENGINE_OPT_ESTIMATE_H
#define KINDLING_ENGINE_OPT_ESTIMATE_H

#include "engine/plan/plan.h"

struct estimate {
  struct plan_ctx *ctx;
  /* Per column id: an upper bound on its distinct count known from the
   * query (equivalence classes of join keys), or 0 for none. */
  double *ndv_hint;
  int nhint;
  int steps; /* work budget of one distinct-count lookup (bounds the walk
              * through joins that equate the same column again and again) */
};

/* Initialise est for ctx (hint table sized for ctx's ids). 0 or ERR_NOMEM. */
int estimate_init(struct estimate *est, struct plan_ctx *ctx);

/* Set p->est_rows / est_bytes from its children's (already set) estimates. */
void estimate_node(struct estimate *est, struct plan *p);

/* Estimate every node of p, children first. */
void estimate_tree(struct estimate *est, struct plan *p);

/* Fraction of rows a predicate keeps (0..1). */
double estimate_selectivity(const struct expr *cond);

/* Unfiltered distinct-count estimate of column id in p's output (>= 1). */
double estimate_col_ndv(struct estimate *est, const struct plan *p, int id);

/* Row count of a table scan before any filter. */
double estimate_scan_rows(const struct plan *scan);

/* In-memory width of one row of p's output, bytes. */
double estimate_row_width(const struct plan *p);

#endif
