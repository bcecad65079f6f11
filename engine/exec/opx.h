/* opx.h: small helpers shared by the operator implementations (op_*.c):
 * cancellation checks and per-operator memory accounting against the task's
 * budget. Not a public API. */
#ifndef KINDLING_ENGINE_EXEC_OPX_H
#define KINDLING_ENGINE_EXEC_OPX_H

#include <stdlib.h>
#include <string.h>

#include "engine/exec/op.h"

/* Per-operator reservation: what this operator holds of the budget. */
struct opx_mem {
  struct task_ctx *task;
  int64_t held;
  int64_t peak;
};

static inline int opx_cancelled(const struct task_ctx *t) {
  return t && t->cancel && atomic_load(t->cancel) != 0;
}

static inline int opx_cancel_err(struct err *err) {
  return err_set(err, ERR_CANCELLED, "the task was cancelled");
}

/* Reserve n more bytes: 1 granted, 0 refused (spill or fail). */
static inline int opx_reserve(struct opx_mem *m, int64_t n) {
  if (n <= 0) return 1;
  if (m->task && m->task->mem && !mem_reserve(m->task->mem, m->held, n)) return 0;
  m->held += n;
  if (m->held > m->peak) m->peak = m->held;
  return 1;
}

/* Account n bytes already allocated whether or not the budget agrees (small
 * overshoots that are freed right after); returns what mem_reserve said. */
static inline int opx_force(struct opx_mem *m, int64_t n) {
  if (n <= 0) return 1;
  int ok = opx_reserve(m, n);
  if (!ok) {
    /* Count it anyway so that release stays balanced. */
    if (m->task && m->task->mem) {
      atomic_fetch_add(&m->task->mem->used, n);
    }
    m->held += n;
    if (m->held > m->peak) m->peak = m->held;
  }
  return ok;
}

static inline void opx_release(struct opx_mem *m, int64_t n) {
  if (n <= 0) return;
  if (n > m->held) n = m->held;
  if (m->task && m->task->mem) mem_release(m->task->mem, n);
  m->held -= n;
}

/* Release everything and report the peak to the task's metrics. */
static inline void opx_mem_done(struct opx_mem *m) {
  opx_release(m, m->held);
  if (m->task && m->peak > m->task->peak_mem) m->task->peak_mem = m->peak;
  m->peak = 0;
}

/* Fill op's header: copy types (borrowed) into a new array. */
static inline int opx_set_types(struct op *op, const struct type *types, int ncols) {
  op->ncols = ncols;
  op->types = malloc(sizeof *op->types * (size_t)(ncols ? ncols : 1));
  if (!op->types) return ERR_NOMEM;
  if (ncols) memcpy(op->types, types, sizeof *types * (size_t)ncols);
  return 0;
}

/* Output batch types: TYPE_NULL has no vector storage; it travels as an
 * all-NULL BOOLEAN column. */
static inline struct type opx_storage_type(struct type t) {
  if (t.id == TYPE_NULL || t.id == TYPE_INTERVAL) t.id = TYPE_BOOLEAN;
  return t;
}


/* batch_new over op types (TYPE_NULL mapped to storage types). */
static inline struct batch *opx_batch_new(const struct type *types, int ncols, uint32_t cap) {
  struct type tt[64] = {{TYPE_NULL, 0, 0}};
  struct type *tp = ncols <= 64 ? tt : malloc(sizeof *tp * (size_t)ncols);
  if (!tp) return NULL;
  for (int i = 0; i < ncols; i++) tp[i] = opx_storage_type(types[i]);
  struct batch *b = batch_new(tp, ncols, cap, ARENA_UNLIMITED);
  if (tp != tt) free(tp);
  return b;
}

#endif
