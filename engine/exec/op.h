/* op.h: physical operators -- pull-based iterators over columnar batches,
 * the building blocks of one task's pipeline inside an executor.
 *
 * A task runs one plan fragment on one thread: the executor builds a tree of
 * operators for it and pulls batches from the root until the end. Operators
 * are therefore single-threaded (a task's operators are never shared across
 * threads); parallelism comes from several tasks per executor (cores) and
 * several executors, as in Spark.
 *
 * Column references: every expression given to an operator is bound
 * (expr_bind) to positions in that operator's input -- for a join's residual
 * condition, the left columns followed by the right columns.
 *
 * Batches returned by next() are owned by the operator and valid until the
 * next call to next() or close() on it; a consumer that needs rows longer
 * copies them. Batches may carry up to BATCH_DEFAULT_ROWS * 2 rows; an empty
 * batch (nrows == 0) is never returned.
 *
 * Memory: operators that hold state (hash aggregate, hash join build, sort,
 * window) charge it to the task's memory budget (mem.h) and spill to files
 * under task->spill_dir when a reservation is refused, so a query finishes
 * with the same answer under any budget >= a few MB. Every spill file is
 * removed by close(), also after an error or a cancel.
 *
 * Cancellation: long loops check *task->cancel (and return ERR_CANCELLED)
 * at least once per batch. */
#ifndef KINDLING_ENGINE_EXEC_OP_H
#define KINDLING_ENGINE_EXEC_OP_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/err.h"
#include "engine/exec/mem.h"
#include "engine/plan/plan.h"
#include "engine/vec/batch.h"

/* Per-task environment shared by the task's operators (borrowed by each). */
struct task_ctx {
  struct mem_budget *mem;     /* the executor's budget, shared by its tasks */
  const char *spill_dir;      /* existing directory for spill files */
  const atomic_int *cancel;   /* non-zero: stop with ERR_CANCELLED */
  struct join_cache *joins;   /* broadcast join tables shared by the job's
                               * tasks in this process (borrowed; may be NULL) */
  /* metrics, added to by operators (single task: no atomics needed) */
  int64_t rows_in, rows_out;
  int64_t spill_bytes;
  int64_t peak_mem;
};

struct op;

struct op_vt {
  /* Produce the next batch: 1 with *out set, 0 at the end, < 0 on error
   * (err filled). After 0 or an error, next() is not called again. */
  int (*next)(struct op *op, struct batch **out, struct err *err);
  /* Release everything, children included (spill files removed). */
  void (*close)(struct op *op);
};

struct op {
  const struct op_vt *vt;
  int ncols;
  struct type *types;     /* output types, ncols entries (owned by the op) */
  struct task_ctx *task;  /* borrowed */
};

static inline int op_next(struct op *op, struct batch **out, struct err *err) {
  return op->vt->next(op, out, err);
}
static inline void op_close(struct op *op) {
  if (op) op->vt->close(op);
}

/* ---- constructors ----
 * Each returns a new operator (closed with op_close, which also closes the
 * children it took) or NULL with err set (ERR_NOMEM, ERR_UNSUPPORTED).
 * Children are *taken*: on failure the constructor closes them. Expression
 * arrays and the expressions are borrowed and must outlive the operator
 * (they live in the plan arena). */

/* Rows from already materialised batches (borrowed, must outlive the op);
 * used for VALUES, broadcast inputs held in memory and cached partitions. */
struct op *op_batches(struct task_ctx *t, const struct type *types, int ncols,
                      struct batch *const *batches, int nbatches, struct err *err);

/* Keep rows where cond is true. */
struct op *op_filter(struct task_ctx *t, struct op *child, const struct expr *cond,
                     struct err *err);

/* Tell a filter (op from op_filter; other operators ignore it) that its
 * consumer reads only the columns c with needed[c] != 0 (ncols entries,
 * borrowed): the others are not copied when rows are compacted, and hold
 * unspecified values. */
void op_filter_needed(struct op *op, const uint8_t *needed);

/* Compute n expressions per row. */
struct op *op_project(struct task_ctx *t, struct op *child, struct expr *const *exprs, int n,
                      struct err *err);

/* Spark's Expand (GROUPING SETS): every input batch is emitted nsets times,
 * the s-th time computing column c with exprs[s * n + c]. */
struct op *op_expand(struct task_ctx *t, struct op *child, struct expr *const *exprs, int nsets,
                     int n, struct err *err);

/* Spark's Generate for explode / posexplode [_outer] (op_generate.c): per
 * input row, one output row per element of the ARRAY arg (bound to the
 * child), none for an empty or NULL array unless outer (one row, generated
 * columns NULL). Output: the child columns keep[0..nkeep), then pos (INT,
 * 0-based) when with_pos, then the element. keep is borrowed. */
struct op *op_generate(struct task_ctx *t, struct op *child, const struct expr *arg,
                       const int *keep, int nkeep, int with_pos, int outer, struct err *err);

/* Hash aggregation.
 * mode COMPLETE: input rows -> keys then final aggregate values.
 * mode PARTIAL:  input rows -> keys then the aggregate *states* (layout below).
 * mode FINAL:    input is PARTIAL output (keys are bound column refs 0..nkeys-1
 *                and states follow) -> keys then final values.
 * State layout per call, in call order: COUNT/COUNT_STAR: BIGINT count;
 * SUM: the sum type (NULL when no value); AVG: DOUBLE sum (DECIMAL(18,s) for
 * decimal input) then BIGINT count; MIN/MAX/FIRST: the value; STDDEV/VAR:
 * BIGINT n, DOUBLE mean, DOUBLE m2. Calls with distinct are allowed only in
 * COMPLETE mode. With nkeys == 0, exactly one row is produced even for empty
 * input in COMPLETE and FINAL modes (count 0, sum NULL), none in PARTIAL
 * mode for empty input. */
enum agg_mode { AGG_COMPLETE, AGG_PARTIAL, AGG_FINAL };
struct op *op_hash_agg(struct task_ctx *t, struct op *child, enum agg_mode mode,
                       struct expr *const *keys, int nkeys, const struct plan_agg_call *calls,
                       int ncalls, struct err *err);

/* Output types of a PARTIAL aggregate's states for calls (as above):
 * appends to types (room for 3 * ncalls) and returns how many. */
int op_agg_state_types(const struct plan_agg_call *calls, int ncalls, struct type *types);

/* Hash join: the build side is read completely first (spilling by hash
 * partition past the budget), then probe batches stream through.
 * probe_keys / build_keys are bound to the probe / build input; cond (or
 * NULL) to probe columns then build columns.
 * Output: INNER/LEFT/RIGHT/FULL: probe columns then build columns (NULLs for
 * the missing side); SEMI/ANTI: probe columns only. `type` is from the probe
 * side's point of view (LEFT = keep unmatched probe rows, RIGHT = keep
 * unmatched build rows). null_aware: NOT IN semantics for ANTI (a NULL probe
 * key, or any NULL build key, drops the row unless the build side is empty). */
struct op *op_hash_join(struct task_ctx *t, struct op *probe, struct op *build,
                        enum plan_join_type type, struct expr *const *probe_keys,
                        struct expr *const *build_keys, const int *null_safe, int nkeys,
                        const struct expr *cond, int null_aware, struct err *err);

/* Broadcast join build sides shared by the tasks of one job that run in
 * one process: every task of a stage reads the same broadcast input, so the
 * first task to get there builds the hash table and the others wait for it
 * and probe it read-only, instead of each decoding, copying and hashing the
 * same rows again. The tables are freed with the cache (when the job's plan
 * is freed); once built they are not charged to any task's budget (as
 * Spark's broadcast relations live outside execution memory). A build that
 * fails or spills is not shared: every task then builds its own. */
struct join_cache;

/* New empty cache, or NULL when out of memory (callers then do not share). */
struct join_cache *join_cache_new(void);

/* Free every table. No join may still use the cache. NULL allowed. */
void join_cache_free(struct join_cache *c);

/* op_hash_join whose build side (a broadcast input, identical for every
 * task using the same key) is shared through t->joins under key (any
 * pointer stable for the job, e.g. the plan node). Types must keep no
 * unmatched build rows (INNER, LEFT, SEMI, ANTI); otherwise, or without
 * t->joins, this is op_hash_join. */
struct op *op_hash_join_shared(struct task_ctx *t, struct op *probe, struct op *build,
                               enum plan_join_type type, struct expr *const *probe_keys,
                               struct expr *const *build_keys, const int *null_safe, int nkeys,
                               const struct expr *cond, int null_aware, const void *key,
                               struct err *err);

/* Nested-loop join for joins without equality keys (CROSS or a
 * non-equi condition); the build side must fit the budget. Same output
 * layout and type meaning as op_hash_join. */
struct op *op_nl_join(struct task_ctx *t, struct op *probe, struct op *build,
                      enum plan_join_type type, const struct expr *cond, struct err *err);

/* Sort by keys (bound to the input). limit >= 0: keep only the first limit
 * rows (top-N heap, no spill needed); -1: full sort with external merge when
 * the budget is refused. Stable for equal keys is not promised. */
struct op *op_sort(struct task_ctx *t, struct op *child, const struct plan_sort_key *keys,
                   int nkeys, int64_t limit, struct err *err);

/* Skip offset rows, then pass at most limit rows (-1 = all). Stops pulling
 * from the child once the limit is reached. */
struct op *op_limit(struct task_ctx *t, struct op *child, int64_t limit, int64_t offset,
                    struct err *err);

/* Window functions over input already sorted by (partition keys, order
 * keys): appends one column per call to the input columns. partition and
 * order are bound to the input. */
struct op *op_window(struct task_ctx *t, struct op *child, struct expr *const *partition,
                     int npartition, const struct plan_sort_key *order, int norder,
                     const struct plan_win_call *calls, int ncalls, struct err *err);

/* Concatenate children (same column types) in order. */
struct op *op_union(struct task_ctx *t, struct op **children, int n, struct err *err);

/* Integers [start, end) by step as one BIGINT column. */
struct op *op_range(struct task_ctx *t, int64_t start, int64_t end, int64_t step,
                    struct err *err);

#endif
