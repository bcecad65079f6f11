/* prune.h: projection push-down / column pruning.
 *
 * Top-down with the set of column ids the parent needs: scans read only the
 * needed file columns (plus those their pushed filters read; at least one,
 * the narrowest, so row counts survive), projects drop unused expressions,
 * aggregates drop unused calls (keys always stay), windows drop unused
 * calls, unions drop unused positions in every input, pass-through nodes
 * shrink with their input. The root's output is exactly as given (a Project
 * restores it if needed); a Union input keeps its positional shape. */
#ifndef KINDLING_ENGINE_OPT_PRUNE_H
#define KINDLING_ENGINE_OPT_PRUNE_H

#include "common/err.h"
#include "engine/plan/plan.h"

/* Prune p (borrowed, rewritten in place) into *out. 0 or ERR_NOMEM. */
int prune_run(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e);

/* prune_run, and moreover narrow filters, sorts, limits and joins whose
 * output keeps columns only they read (a filter's or a join key's column
 * nobody above needs): a pass-through Project above them drops those, so
 * exchanges and join build sides carry only what is used. Run after join
 * ordering (the Projects would split the join trees it reorders). */
int prune_run_narrow(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e);

#endif
