/* op_scan.h: the file scan operator -- a CSV or JSON-lines reader over one
 * byte range of one file, producing the projected columns.
 *
 * Options are parsed when the operator is built (per task); the schema and
 * options array are borrowed from the plan and must outlive the operator. */
#ifndef KINDLING_ENGINE_EXEC_OP_SCAN_H
#define KINDLING_ENGINE_EXEC_OP_SCAN_H

#include "engine/exec/op.h"
#include "engine/plan/plan.h"

/* Scan bytes [start, end) of src->paths[file], producing file-schema columns
 * proj[0..nproj) (copied). Returns the operator or NULL with err set (bad
 * options, unreadable file naming the path).
 *
 * Cached sources (src->cached) are served from the executor's block of the
 * split, decoded and stored by the first task that needs it. Such a split
 * may be shared by nmorsels tasks (morsels): task `morsel` (0-based) serves
 * only its share of the block's batches, [n*morsel/nmorsels,
 * n*(morsel+1)/nmorsels) of n, so the morsels together produce the split
 * once. Uncached sources take nmorsels = 1. */
struct op *op_scan(struct task_ctx *t, const struct plan_source *src, int file, int64_t start,
                   int64_t end, const int *proj, int nproj, int morsel, int nmorsels,
                   struct err *err);

/* An operator producing nothing, with the given column types (copied): the
 * scans of a union that a task does not own. */
struct op *op_empty(struct task_ctx *t, const struct type *types, int ncols, struct err *err);

/* An operator producing batch b (taken: freed by close) once, or nothing
 * when b has no rows: VALUES rows. NULL with err set on OOM (b freed). */
struct op *op_one_batch(struct task_ctx *t, struct batch *b, struct err *err);

#endif
