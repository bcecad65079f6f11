/* optimizer.h: the logical optimizer (Catalyst's role) -- rewrites an
 * analyzed plan (plan.h) into a cheaper equivalent one.
 *
 * Rules, in order: IN/EXISTS subqueries to semi/anti joins (subquery.h),
 * constant folding (fold.h), predicate push-down (pushdown.h), join
 * extraction and greedy join ordering on size estimates (joinorder.h,
 * estimate.h), push-down again, column pruning (prune.h), sort/limit
 * simplification and removal of trivial projects and filters. Uncorrelated
 * scalar subqueries stay in place (the driver evaluates them first); their
 * plans are optimized too.
 *
 * Guarantees:
 *   - the root's output columns (ids, names, types, order) are unchanged;
 *   - deterministic: the same input plan gives the same output plan (no
 *     hash-order or pointer-value dependence), so executors that re-plan
 *     independently agree with the driver;
 *   - every node of the result has est_rows / est_bytes set. */
#ifndef KINDLING_ENGINE_OPT_OPTIMIZER_H
#define KINDLING_ENGINE_OPT_OPTIMIZER_H

#include <stdint.h>

#include "common/err.h"
#include "engine/plan/plan.h"

struct optimizer_conf {
  /* spark.sql.autoBroadcastJoinThreshold in bytes (default 10 MiB, -1
   * disables). Used only for estimates; the broadcast choice itself is the
   * physical planner's. */
  int64_t broadcast_threshold;
};

#define OPTIMIZER_DEFAULT_BROADCAST_THRESHOLD (10LL * 1024 * 1024)

/* Fill conf with Spark's defaults. */
void optimizer_conf_init(struct optimizer_conf *conf);

/* Optimize in (borrowed; may be rewritten in place: do not use it after the
 * call) into *out (in ctx's arena). conf may be NULL (defaults). Returns 0,
 * or ERR_UNSUPPORTED for a query shape the engine cannot run (an IN/EXISTS
 * subquery outside a top-level AND of a WHERE, a correlated scalar
 * subquery...; e names it and its position), ERR_NOMEM, or ERR_INVAL for an
 * inconsistent plan. */
int optimizer_run(struct plan_ctx *ctx, struct plan *in, const struct optimizer_conf *conf,
                  struct plan **out, struct err *e);

#endif
