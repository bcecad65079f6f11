/* cluster.h: the engine's runtime -- executors (separate processes, or
 * threads of the driver in local[N] mode), a DAG scheduler that runs stages
 * of tasks on them with retries, and the driver <-> executor protocol over
 * ZeroMQ.
 *
 * The scheduler knows nothing of SQL. A job is a DAG of stages; a stage is a
 * number of tasks that run the same plan fragment on different partitions;
 * what a fragment *is* lives in an opaque job description (the driver's
 * JSON text, shipped once to each executor that runs a task of the job) that
 * the executor hands to the task function registered with executor_main or
 * cluster_start. Map stages write shuffle output (shuffle.h) and report its
 * file and partition sizes; the result stage streams batches back to the
 * driver.
 *
 * Scheduling (Spark's DAGScheduler + TaskSetManager, simplified):
 *   - a stage is submitted when all its parent stages have their outputs;
 *     tasks are FIFO within and across stages (FAIR is accepted as a mode
 *     name and behaves as FIFO: one job at a time per cluster);
 *   - a reduce stage's partitions are coalesced from its parents' map output
 *     sizes (Spark AQE): consecutive partitions merge until their bytes reach
 *     conf.advisory_partition_bytes; each task then reads [part_lo, part_hi);
 *   - a failed task attempt is retried (on any executor) until it has failed
 *     conf.max_failures times, which fails the job with the last error;
 *   - an executor that dies (process exit, or no heartbeat for
 *     conf.executor_timeout_ms) is replaced by a new process; its running
 *     tasks are resubmitted (not counted as failures) and the map outputs it
 *     wrote are treated as lost: the parent stage's tasks that made them run
 *     again before the reduce stage continues. An event message says so;
 *   - a task that reports a missing or corrupt shuffle input (FetchFailed)
 *     makes the scheduler recompute that map output, also without counting
 *     a failure;
 *   - result batches of a task attempt are buffered in the driver and
 *     delivered only when that attempt succeeds, in task order, so a retried
 *     task never duplicates rows;
 *   - a task may name a block (cached data); it is preferably scheduled on
 *     the executor that reported holding that block.
 *
 * Processes: executors are started with fork+exec of conf.exe with
 * "executor --connect ENDPOINT --id N ..." and die with the driver
 * (PR_SET_PDEATHSIG plus a parent check), so no executor outlives a killed
 * driver; cluster_stop terminates and reaps every child. Each cluster has
 * its own scratch directory under conf.local_dir (removed by cluster_stop),
 * and its own ipc endpoint inside it, so two drivers never collide. */
#ifndef KINDLING_ENGINE_CLUSTER_CLUSTER_H
#define KINDLING_ENGINE_CLUSTER_CLUSTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/err.h"
#include "engine/exec/op.h"
#include "engine/vec/batch.h"

struct cluster_conf {
  int executors;            /* spark.executor.instances; 0 = in-process (local[N]) */
  int cores;                /* task threads per executor (or N of local[N]) */
  int64_t executor_memory;  /* bytes, spark.executor.memory */
  double memory_fraction;   /* spark.memory.fraction (0.6) */
  const char *local_dir;    /* spark.local.dir (a scratch root, e.g. /tmp) */
  int max_failures;         /* spark.task.maxFailures (4) */
  int64_t advisory_partition_bytes; /* 64 MiB */
  int heartbeat_ms;         /* executor heartbeat interval (1000) */
  int executor_timeout_ms;  /* declare an executor lost after this (10000) */
  const char *exe;          /* executable to exec for executor processes */
  const char *log_dir;      /* where executor stderr logs go (NULL: scratch) */
};

/* Fill c with Spark's defaults (1 executor... see fields). */
void cluster_conf_defaults(struct cluster_conf *c);

/* What a task function is given. */
struct cluster_task {
  const char *job;          /* the job description (borrowed), job_len bytes */
  size_t job_len;
  uint64_t job_id;          /* unique per job within the cluster: cache key
                             * for whatever the executor derives from `job` */
  int stage;                /* stage id as given in cluster_job */
  int task;                 /* 0..ntasks-1 */
  int attempt;
  int part_lo, part_hi;     /* reduce partitions to read (reduce stages) */
  /* Map outputs of each parent stage: inputs[k] lists the data files of
   * parent stage parents[k], one per map task (in map task order). */
  int ninputs;
  const int *input_stage;
  const char *const *const *inputs;
  const int *ninput_files;
  int nparts_out;           /* map stages: partitions to write; 0 = result */
  const char *shuffle_dir;  /* where to write map output */
  char shuffle_name[64];    /* unique base name for this attempt's output */
  struct task_ctx *ctx;     /* memory, spill dir, cancel flag */
};

/* What a task function reports through. */
struct cluster_task_io {
  /* Result stage: send one batch (borrowed; encoded immediately). */
  int (*emit)(struct cluster_task_io *io, const struct batch *b, struct err *err);
  /* Map stage: the committed output (shuffle_writer_commit's results). */
  int (*map_output)(struct cluster_task_io *io, const char *data_path,
                    const int64_t *part_bytes, const int64_t *part_rows, int nparts);
  /* Say this executor now holds block `name` (cached data). */
  void (*block_stored)(struct cluster_task_io *io, const char *name);
  /* Free-form warning for the user (e.g. corrupt rows dropped). */
  void (*warn)(struct cluster_task_io *io, const char *msg);
  void *impl;
};

/* Runs one task. Returns 0, or an error with err filled; ERR_IO with the
 * message starting "FetchFailed:" marks a lost shuffle input. */
typedef int (*cluster_task_fn)(void *arg, struct cluster_task *t, struct cluster_task_io *io,
                               struct err *err);

/* A stage of a job. Stage ids are 0..nstages-1 in the job; parents must
 * have smaller ids; the last stage is the result stage. */
struct cluster_stage {
  int ntasks;               /* map/scan stages: fixed; reduce stages with
                             * coalesce != 0: the uncoalesced partition count */
  int nparts_out;           /* partitions this stage's tasks write (0: result) */
  const int *parents;
  int nparents;
  int coalesce;             /* 1: tasks read ranges of the parents' partitions */
  const char *block_prefix; /* task i prefers the holder of "<prefix>/<i>" */
  const char *name;         /* for progress ("Stage 2: HashAggregate") */
};

struct cluster_job {
  const char *desc;         /* job description text (copied) */
  size_t desc_len;
  const struct cluster_stage *stages;
  int nstages;
};

/* Progress and events, called on the thread running cluster_run_job. */
struct cluster_stage_progress {
  int stage, ntasks, done, running, failed;
  int64_t rows, bytes, spill_bytes; /* metrics of finished tasks */
  int64_t elapsed_us;
};

struct cluster_callbacks {
  void (*progress)(void *arg, const struct cluster_stage_progress *p);
  /* A result batch (taken: the callee frees it with batch_free), in task
   * order. Non-zero return aborts the job (e.g. a LIMIT was satisfied). */
  int (*result)(void *arg, int task, struct batch *b);
  void (*event)(void *arg, const char *message); /* warnings for the user */
  void *arg;
};

struct cluster;

/* Start the executors (processes, or threads when conf->executors == 0) and
 * wait until all registered (10 s timeout). fn/fn_arg run tasks in the
 * in-process mode; processes run the fn given to executor_main. */
int cluster_start(struct cluster **out, const struct cluster_conf *conf, cluster_task_fn fn,
                  void *fn_arg, struct err *err);

/* Run a job to completion. Returns 0, ERR_CANCELLED (cluster_cancel), or
 * the error that failed the job (err filled, message naming stage/task). */
int cluster_run_job(struct cluster *c, const struct cluster_job *job,
                    const struct cluster_callbacks *cb, struct err *err);

/* From any thread: cancel the running job; its tasks are told to stop and
 * cluster_run_job returns ERR_CANCELLED within a second. */
void cluster_cancel(struct cluster *c);

/* Describe executors for %%info / logs: pids, state, log file paths. JSON
 * text appended to out. */
int cluster_describe(struct cluster *c, struct buf *out);

/* Kill one executor (tests: fault injection). Returns 0 or ERR_NOTFOUND. */
int cluster_kill_executor(struct cluster *c, int index, int sig);

/* Stop executors, reap them, remove the scratch directory. NULL allowed. */
void cluster_stop(struct cluster *c);

/* Keep freed heap memory in the process instead of returning it to the
 * kernel after every operator: a query's hash tables and buffers are freed
 * and reallocated at the same sizes by the next job, and fresh pages cost a
 * fault and a clear each (glibc only; no-op elsewhere). Called by
 * cluster_start and executor_main. */
void cluster_tune_malloc(void);

/* Entry point of an executor process (argv from cluster_start). Returns
 * the process exit status. */
int executor_main(int argc, char **argv, cluster_task_fn fn, void *fn_arg);

#endif
