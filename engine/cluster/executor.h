/* executor.h: running tasks inside an executor -- shared by executor
 * processes (executor_main, cluster.h) and the driver's in-process mode.
 *
 * A task is described by a struct executor_task; executor_run_task gives it
 * a spill directory, registers it with the executor's memory budget, calls
 * the task function and records the outcome (status, map output, metrics)
 * in the struct for whoever reports it to the scheduler. */
#ifndef KINDLING_ENGINE_CLUSTER_EXECUTOR_H
#define KINDLING_ENGINE_CLUSTER_EXECUTOR_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/cluster/cluster.h"

struct executor_job;

struct executor_task {
  struct cluster_task t;     /* what the task fn sees: its pointers refer to
                              * the storage below (process mode) or to the
                              * driver's job (in-process mode) */
  struct task_ctx ctx;
  atomic_int cancel;         /* t.ctx->cancel points here */
  uint64_t tid;              /* driver-assigned attempt id */
  int slot;                  /* driver side: executor slot it runs on */
  /* process mode storage (owned) */
  struct executor_job *job;
  char *dir;
  int *in_stage, *nin;
  char ***in;
  /* outcome */
  int rc;
  struct err err;
  char *out_path;            /* owned */
  int64_t *out_bytes, *out_rows; /* owned, nout entries */
  int nout;
  int64_t rows, bytes;       /* emitted/written */
  /* in-process mode: copies of emitted batches in order (owned) */
  struct batch **res;
  int nres, capres;
  void *owner;               /* mode-specific emitter state */
  void *desc_ref;            /* in-process mode: reference on the job's
                              * description, so a cancelled task may outlive
                              * its job */
  struct executor_task *next;
};

/* Run x with fn/arg: a fresh spill directory <spill_root>/task-<tid>
 * (removed afterwards), mem (borrowed) as the budget. io (borrowed) must
 * have impl == x; executor_task_map_output may be used as its map_output.
 * Fills x->rc, x->err and the metrics. */
void executor_run_task(struct executor_task *x, cluster_task_fn fn, void *arg,
                       struct mem_budget *mem, const char *spill_root, struct cluster_task_io *io);

/* cluster_task_io.map_output for an io whose impl is an executor_task:
 * copies the path and sizes into the task. */
int executor_task_map_output(struct cluster_task_io *io, const char *data_path,
                             const int64_t *part_bytes, const int64_t *part_rows, int nparts);

/* Free the outcome fields and result copies of x (not x itself). */
void executor_task_clear(struct executor_task *x);

#endif
