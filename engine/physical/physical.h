/* physical.h: the physical plan -- the optimized logical plan cut into stages
 * at exchanges, with the operator choices made (partial/final aggregation,
 * broadcast or shuffled hash join, top-N, local/global limit) -- and the
 * construction of one task's operator tree from it.
 *
 * Distribution (Spark's EnsureRequirements, simplified): every node's output
 * is either
 *   SPLITS  -- one partition per input split of the stage's scan (tasks of a
 *              scan-driven stage),
 *   HASH    -- hash partitioned on some output columns by a shuffle, or
 *   SINGLE  -- one partition.
 * Operators needing co-location get an exchange below them when their input
 * does not already satisfy it: final aggregation needs HASH on (a subset of)
 * its keys, a shuffled join HASH on the join keys on both sides, a global
 * sort / limit / top-N SINGLE. A join whose build side is estimated under
 * spark.sql.autoBroadcastJoinThreshold instead gets a broadcast exchange on
 * the build side and stays in the probe side's stage. A shuffled inner or
 * semi join may filter its larger side, before that side's exchange, by a
 * semi join against the full output of the smaller side's stage (a runtime
 * join filter; see plan_join), so only rows that can match are shuffled.
 *
 * A stage is the subtree between exchanges; its leaves are scans (the stage
 * then has one task per split, enumerated over all its scans in order) or
 * exchange reads. The last stage is the result stage.
 *
 * Morsels: a scan of a cached table with fewer splits than twice the task
 * slots cuts each split into nmorsels tasks (at most 8, each at least 1/64
 * of spark.sql.files.maxPartitionBytes of the file): the stored block of a
 * split is shared by its morsels (op_scan), which the executor's task
 * threads take from its queue as they free up, so a stage over a table of
 * one or two splits keeps every core busy and a slow thread takes fewer
 * morsels. Tasks are numbered morsel-major (task = morsel * nsplits +
 * split): the first tasks cover distinct splits, so the threads that find a
 * split not yet stored decode different splits in parallel.
 *
 * Determinism: physical_plan depends only on its inputs (plan, conf, file
 * sizes recorded in the catalog), so the driver and every executor derive
 * the same stages and the same column ids; executors re-plan from the job
 * description instead of receiving a serialised plan.
 *
 * Memory: nodes live in the plan_ctx arena. */
#ifndef KINDLING_ENGINE_PHYSICAL_PHYSICAL_H
#define KINDLING_ENGINE_PHYSICAL_PHYSICAL_H

#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/exec/op.h"
#include "engine/plan/plan.h"

struct physical_conf {
  int shuffle_partitions;        /* spark.sql.shuffle.partitions (200) */
  int64_t broadcast_threshold;   /* spark.sql.autoBroadcastJoinThreshold (10 MiB); -1 off */
  int64_t max_partition_bytes;   /* spark.sql.files.maxPartitionBytes (128 MiB) */
  int64_t open_cost_bytes;       /* spark.sql.files.openCostInBytes (4 MiB) */
  int parallelism;               /* total task slots (executors x cores) */
  int ansi;                      /* spark.sql.ansi.enabled (false); read by the
                                  * statement's planner into plan_ctx.ansi */
};

void physical_conf_defaults(struct physical_conf *c);

enum pnode_kind {
  P_SCAN, P_VALUES, P_RANGE, P_FILTER, P_PROJECT, P_AGG, P_HASH_JOIN, P_NL_JOIN, P_SORT,
  P_LIMIT, P_UNION, P_WINDOW, P_EXPAND,
  P_EXCHANGE, /* a read of another stage's output (the stage boundary) */
  P_GENERATE  /* explode / posexplode (PLAN_GENERATE) */
};

enum pdist { DIST_SPLITS, DIST_HASH, DIST_SINGLE };

/* One input split of a scan: a byte range of one file. */
struct psplit {
  int file;
  int64_t start, end; /* end < 0: to the end of the file */
};

struct pnode {
  enum pnode_kind kind;
  int ncols;
  int *ids;            /* output column ids */
  struct type *types;
  struct pnode **child;
  int nchild;
  const struct plan *logical; /* the logical node it came from (may be NULL) */
  union {
    struct {
      int nsplits;
      struct psplit *splits;
      int nmorsels;     /* tasks per split (> 1 only for cached sources) */
      int split_base;   /* first global task index of this scan in its stage */
    } scan;
    struct {
      struct expr *cond;
    } filter;
    struct {
      struct expr **exprs; /* ncols entries */
    } project;
    struct {
      struct expr **exprs; /* nsets * ncols entries, set-major */
      int nsets;
    } expand;
    struct {
      struct expr *arg;    /* the ARRAY, bound to the child */
      int *keep;           /* child column per passed-through output column */
      int nkeep;           /* the first nkeep outputs; the generated ones follow */
      int with_pos, outer;
    } generate;
    struct {
      struct expr **partition;
      int npartition;
      struct plan_sort_key *order;
      int norder;
      const struct plan_win_call *calls;
      int ncalls;
    } window;
    struct {
      enum agg_mode mode;
      struct expr **keys;
      int nkeys;
      struct plan_agg_call *calls;
      int ncalls;
    } agg;
    struct {
      enum plan_join_type type;
      struct expr **probe_keys, **build_keys; /* child[0] probe, child[1] build */
      int *null_safe;
      int nkeys;
      struct expr *cond;
      int null_aware;
    } join;
    struct {
      struct plan_sort_key *keys;
      int nkeys;
      int64_t limit;
    } sort;
    struct {
      int64_t limit, offset;
    } limit;
    struct {
      int stage;        /* the stage read */
      int broadcast;    /* read every partition of every map output */
    } exchange;
  } u;
};

struct pstage {
  int id;
  struct pnode *root;
  enum pdist dist;      /* distribution of the stage's tasks */
  int ntasks;           /* SPLITS: splits x morsels; HASH: partitions; SINGLE: 1 */
  /* Output: nparts_out partitions hashed on key_cols (indexes into root's
   * columns); 0 for the result stage. Broadcast and single exchanges write
   * one partition. */
  int nparts_out;
  int *key_cols;
  int nkeys;
  int *parents;
  int nparents;
  int coalesce;         /* reads hash partitions: tasks get coalesced ranges */
  const char *name;     /* "Stage 1: HashAggregate (final)" */
};

struct pplan {
  struct pstage *stages;
  int nstages;          /* stages[nstages - 1] is the result stage */
  /* The result's columns, in the query's order: positions in the result
   * stage root's output. */
  int *result_cols;
  int nresult;
};

/* Plan p (optimized logical plan, borrowed) into stages. Returns 0 and *out
 * (in ctx's arena) or an error. */
int physical_plan(struct plan_ctx *ctx, const struct plan *p, const struct physical_conf *conf,
                  struct pplan **out, struct err *err);

/* Text for EXPLAIN: the stages with their operators and exchanges. */
int physical_dump(const struct pplan *pp, const struct plan_ctx *ctx, struct buf *out);

/* Where a task's exchange reads come from: for the exchange reading stage
 * s, the data files of its map outputs and the partition range. */
struct ptask_inputs {
  int ninputs;
  const int *input_stage;
  const char *const *const *inputs;
  const int *ninput_files;
  int part_lo, part_hi;
};

/* Build the operator tree of task `task` of stage `st` (its root's output
 * columns). Scan splits come from the plan; exchange reads from in. Returns
 * the root operator or NULL with err set. */
struct op *physical_build(const struct pplan *pp, int st, int task, const struct ptask_inputs *in,
                          struct task_ctx *t, struct err *err);

#endif
