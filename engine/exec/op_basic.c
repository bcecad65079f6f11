/* op_basic.c: the stateless operators -- in-memory batches, filter,
 * project, limit/offset, union all and range. */
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"

#define OUT_MAX (2 * BATCH_DEFAULT_ROWS)

/* ---- op_batches ---- */

struct batches_op {
  struct op op;
  struct batch *const *batches;
  int n, pos;
};

static int batches_next(struct op *op, struct batch **out, struct err *err) {
  struct batches_op *o = (struct batches_op *)op;
  while (o->pos < o->n) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    struct batch *b = o->batches[o->pos++];
    if (b && b->nrows) {
      op->task->rows_out += b->nrows;
      *out = b;
      return 1;
    }
  }
  return 0;
}

static void batches_close(struct op *op) {
  free(op->types);
  free(op);
}

static const struct op_vt batches_vt = {batches_next, batches_close};

struct op *op_batches(struct task_ctx *t, const struct type *types, int ncols,
                      struct batch *const *batches, int nbatches, struct err *err) {
  struct batches_op *o = calloc(1, sizeof *o);
  if (!o || opx_set_types(&o->op, types, ncols)) {
    free(o);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &batches_vt;
  o->op.task = t;
  o->batches = batches;
  o->n = nbatches;
  return &o->op;
}

/* ---- op_filter ---- */

struct filter_op {
  struct op op;
  struct op *child;
  const struct expr *cond;
  struct eval_prog *prog;
  int col;                /* >= 0: the condition is a BOOLEAN column */
  struct batch *cur;      /* child's batch being drained (borrowed) */
  uint32_t *sel;
  uint32_t nsel, pos, selcap;
  struct batch *out;
  int eof;
  uint8_t *skip;          /* columns nobody reads: not copied (op_filter_needed) */
};

static int filter_select(struct filter_op *o, struct batch *b, struct err *err) {
  if (b->nrows > o->selcap) {
    uint32_t *s = realloc(o->sel, sizeof *s * b->nrows);
    if (!s) return err_set(err, ERR_NOMEM, "out of memory in a filter");
    o->sel = s;
    o->selcap = b->nrows;
  }
  if (o->col >= 0) {
    const struct vector *v = &b->cols[o->col];
    const uint8_t *d = vector_u8(v);
    uint32_t m = 0;
    for (uint32_t i = 0; i < b->nrows; i++) {
      o->sel[m] = i;
      m += (uint32_t)(d[i] != 0) & (uint32_t)bitmap_get(v->validity, i);
    }
    o->nsel = m;
    return 0;
  }
  return eval_select(o->prog, b, o->sel, &o->nsel, err);
}

static int filter_next(struct op *op, struct batch **out, struct err *err) {
  struct filter_op *o = (struct filter_op *)op;
  if (o->out) batch_reset(o->out);
  for (;;) {
    if (o->cur && o->pos < o->nsel) {
      uint32_t have = o->out ? o->out->nrows : 0;
      if (have == 0 && o->pos == 0 && o->nsel == o->cur->nrows) {
        /* Every row passed: hand the child's batch on untouched. */
        o->pos = o->nsel;
        op->task->rows_out += o->cur->nrows;
        *out = o->cur;
        return 1;
      }
      if (!o->out) {
        o->out = opx_batch_new(op->types, op->ncols, OUT_MAX);
        if (!o->out) return err_set(err, ERR_NOMEM, "out of memory in a filter");
      }
      uint32_t take = o->nsel - o->pos;
      if (take > OUT_MAX - have) take = OUT_MAX - have;
      if (batch_append_cols(o->out, o->cur, o->sel + o->pos, take, o->skip))
        return err_set(err, ERR_NOMEM, "out of memory in a filter");
      o->pos += take;
      if (o->out->nrows >= BATCH_DEFAULT_ROWS) break;
      continue;
    }
    if (o->eof) break;
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    struct batch *b;
    int rc = op_next(o->child, &b, err);
    if (rc < 0) return rc;
    if (rc == 0) {
      o->eof = 1;
      o->cur = NULL;
      break;
    }
    o->cur = b;
    o->pos = 0;
    if ((rc = filter_select(o, b, err))) return rc;
  }
  if (o->out && o->out->nrows) {
    op->task->rows_out += o->out->nrows;
    *out = o->out;
    return 1;
  }
  return 0;
}

static void filter_close(struct op *op) {
  struct filter_op *o = (struct filter_op *)op;
  op_close(o->child);
  if (o->prog) eval_free(o->prog);
  free(o->sel);
  free(o->skip);
  batch_free(o->out);
  free(op->types);
  free(o);
}

static const struct op_vt filter_vt = {filter_next, filter_close};

struct op *op_filter(struct task_ctx *t, struct op *child, const struct expr *cond,
                     struct err *err) {
  struct filter_op *o = calloc(1, sizeof *o);
  if (!o || opx_set_types(&o->op, child->types, child->ncols)) {
    free(o);
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &filter_vt;
  o->op.task = t;
  o->child = child;
  o->cond = cond;
  o->col = -1;
  int idx;
  if (exprcol_is_col(cond, &idx) && idx < child->ncols && child->types[idx].id == TYPE_BOOLEAN) {
    o->col = idx;
  } else if (eval_compile(cond, &o->prog, err)) {
    filter_close(&o->op);
    return NULL;
  }
  return &o->op;
}

void op_filter_needed(struct op *op, const uint8_t *needed) {
  if (!op || op->vt != &filter_vt) return;
  struct filter_op *o = (struct filter_op *)op;
  free(o->skip);
  o->skip = calloc((size_t)(op->ncols ? op->ncols : 1), 1);
  if (!o->skip) return; /* copy every column */
  for (int c = 0; c < op->ncols; c++) o->skip[c] = !needed[c];
}

/* ---- op_project ---- */

struct project_op {
  struct op op;
  struct op *child;
  int n;
  struct exprcol *cols;
  struct batch out; /* shallow: columns alias the input or exprcol vectors */
};

static int project_next(struct op *op, struct batch **out, struct err *err) {
  struct project_op *o = (struct project_op *)op;
  if (opx_cancelled(op->task)) return opx_cancel_err(err);
  struct batch *b;
  int rc = op_next(o->child, &b, err);
  if (rc <= 0) return rc;
  for (int i = 0; i < o->n; i++) {
    const struct vector *v;
    if ((rc = exprcol_eval(&o->cols[i], b, &v, err))) return rc;
    o->out.cols[i] = *v;
  }
  o->out.nrows = b->nrows;
  o->out.capacity = b->nrows;
  for (int i = 0; i < o->n; i++) o->out.cols[i].count = b->nrows;
  op->task->rows_out += b->nrows;
  *out = &o->out;
  return 1;
}

static void project_close(struct op *op) {
  struct project_op *o = (struct project_op *)op;
  op_close(o->child);
  if (o->cols)
    for (int i = 0; i < o->n; i++) exprcol_fini(&o->cols[i]);
  free(o->cols);
  free(o->out.cols);
  arena_fini(&o->out.arena);
  free(op->types);
  free(o);
}

static const struct op_vt project_vt = {project_next, project_close};

struct op *op_project(struct task_ctx *t, struct op *child, struct expr *const *exprs, int n,
                      struct err *err) {
  struct project_op *o = calloc(1, sizeof *o);
  if (!o) {
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &project_vt;
  o->op.task = t;
  o->child = child;
  arena_init(&o->out.arena, ARENA_UNLIMITED);
  o->op.types = calloc((size_t)(n ? n : 1), sizeof *o->op.types);
  o->cols = calloc((size_t)(n ? n : 1), sizeof *o->cols);
  o->out.cols = calloc((size_t)(n ? n : 1), sizeof *o->out.cols);
  if (!o->op.types || !o->cols || !o->out.cols) {
    project_close(&o->op);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.ncols = n;
  o->out.ncols = n;
  for (int i = 0; i < n; i++) {
    int idx;
    o->op.types[i] = exprcol_is_col(exprs[i], &idx) && idx < child->ncols ? child->types[idx]
                                                                             : exprs[i]->type;
    /* exprcol_init clears its struct: count the initialised ones via n. */
    o->n = i + 1;
    if (exprcol_init(&o->cols[i], exprs[i], err)) {
      project_close(&o->op);
      return NULL;
    }
  }
  o->n = n;
  return &o->op;
}

/* ---- op_expand ---- */

struct expand_op {
  struct op op;
  struct op *child;
  int n, nsets, ninit;
  struct exprcol *cols; /* nsets * n, set-major */
  struct batch *in;     /* the child's current batch (valid until its next()) */
  int set;              /* next set to emit for in */
  struct batch out;     /* shallow, as in op_project */
};

static int expand_next(struct op *op, struct batch **out, struct err *err) {
  struct expand_op *o = (struct expand_op *)op;
  if (opx_cancelled(op->task)) return opx_cancel_err(err);
  if (!o->in || o->set == o->nsets) {
    int rc = op_next(o->child, &o->in, err);
    if (rc <= 0) return rc;
    o->set = 0;
  }
  struct batch *b = o->in;
  struct exprcol *cs = o->cols + (size_t)o->set * (size_t)o->n;
  for (int i = 0; i < o->n; i++) {
    const struct vector *v;
    int rc = exprcol_eval(&cs[i], b, &v, err);
    if (rc) return rc;
    o->out.cols[i] = *v;
    o->out.cols[i].count = b->nrows;
  }
  o->set++;
  o->out.nrows = b->nrows;
  o->out.capacity = b->nrows;
  op->task->rows_out += b->nrows;
  *out = &o->out;
  return 1;
}

static void expand_close(struct op *op) {
  struct expand_op *o = (struct expand_op *)op;
  op_close(o->child);
  for (int i = 0; o->cols && i < o->ninit; i++) exprcol_fini(&o->cols[i]);
  free(o->cols);
  free(o->out.cols);
  arena_fini(&o->out.arena);
  free(op->types);
  free(o);
}

static const struct op_vt expand_vt = {expand_next, expand_close};

struct op *op_expand(struct task_ctx *t, struct op *child, struct expr *const *exprs, int nsets,
                     int n, struct err *err) {
  struct expand_op *o = calloc(1, sizeof *o);
  if (!o) {
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &expand_vt;
  o->op.task = t;
  o->child = child;
  arena_init(&o->out.arena, ARENA_UNLIMITED);
  size_t total = (size_t)nsets * (size_t)n;
  o->op.types = calloc((size_t)(n ? n : 1), sizeof *o->op.types);
  o->cols = calloc(total ? total : 1, sizeof *o->cols);
  o->out.cols = calloc((size_t)(n ? n : 1), sizeof *o->out.cols);
  if (!o->op.types || !o->cols || !o->out.cols || nsets < 1) {
    expand_close(&o->op);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->n = n;
  o->nsets = nsets;
  o->op.ncols = n;
  o->out.ncols = n;
  /* every set computes the same types (the analyzer typed the NULLs) */
  for (int i = 0; i < n; i++) {
    int idx;
    o->op.types[i] = exprcol_is_col(exprs[i], &idx) && idx < child->ncols ? child->types[idx]
                                                                             : exprs[i]->type;
  }
  for (size_t i = 0; i < total; i++) {
    o->ninit = (int)i + 1; /* exprcol_init clears its struct */
    if (exprcol_init(&o->cols[i], exprs[i], err)) {
      expand_close(&o->op);
      return NULL;
    }
  }
  return &o->op;
}

/* ---- op_limit ---- */

struct limit_op {
  struct op op;
  struct op *child;
  int64_t limit, offset; /* remaining */
  struct batch *out;
  uint32_t *idx;
};

static int limit_next(struct op *op, struct batch **out, struct err *err) {
  struct limit_op *o = (struct limit_op *)op;
  for (;;) {
    if (o->limit == 0) return 0;
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    struct batch *b;
    int rc = op_next(o->child, &b, err);
    if (rc <= 0) return rc;
    uint32_t n = b->nrows, from = 0;
    if (o->offset > 0) {
      if ((int64_t)n <= o->offset) {
        o->offset -= n;
        continue;
      }
      from = (uint32_t)o->offset;
      o->offset = 0;
    }
    uint32_t take = n - from;
    if (o->limit >= 0 && (int64_t)take > o->limit) take = (uint32_t)o->limit;
    if (o->limit > 0) o->limit -= take;
    if (from == 0 && take == n) {
      op->task->rows_out += n;
      *out = b;
      return 1;
    }
    if (!o->out || o->out->capacity < take) {
      batch_free(o->out);
      free(o->idx);
      uint32_t cap = take > OUT_MAX ? take : OUT_MAX;
      o->out = opx_batch_new(op->types, op->ncols, cap);
      o->idx = malloc(sizeof *o->idx * cap);
      if (!o->out || !o->idx) return err_set(err, ERR_NOMEM, "out of memory in a limit");
    }
    batch_reset(o->out);
    for (uint32_t k = 0; k < take; k++) o->idx[k] = from + k;
    if (batch_append_rows(o->out, b, o->idx, take))
      return err_set(err, ERR_NOMEM, "out of memory in a limit");
    op->task->rows_out += take;
    *out = o->out;
    return 1;
  }
}

static void limit_close(struct op *op) {
  struct limit_op *o = (struct limit_op *)op;
  op_close(o->child);
  batch_free(o->out);
  free(o->idx);
  free(op->types);
  free(o);
}

static const struct op_vt limit_vt = {limit_next, limit_close};

struct op *op_limit(struct task_ctx *t, struct op *child, int64_t limit, int64_t offset,
                    struct err *err) {
  struct limit_op *o = calloc(1, sizeof *o);
  if (!o || opx_set_types(&o->op, child->types, child->ncols)) {
    free(o);
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &limit_vt;
  o->op.task = t;
  o->child = child;
  o->limit = limit < 0 ? -1 : limit;
  o->offset = offset > 0 ? offset : 0;
  return &o->op;
}

/* ---- op_union ---- */

struct union_op {
  struct op op;
  struct op **children;
  int n, pos;
};

static int union_next(struct op *op, struct batch **out, struct err *err) {
  struct union_op *o = (struct union_op *)op;
  while (o->pos < o->n) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    int rc = op_next(o->children[o->pos], out, err);
    if (rc < 0) return rc;
    if (rc > 0) {
      op->task->rows_out += (*out)->nrows;
      return 1;
    }
    /* Free a finished input early: its memory is no longer needed. */
    op_close(o->children[o->pos]);
    o->children[o->pos++] = NULL;
  }
  return 0;
}

static void union_close(struct op *op) {
  struct union_op *o = (struct union_op *)op;
  for (int i = 0; i < o->n; i++) op_close(o->children[i]);
  free(o->children);
  free(op->types);
  free(o);
}

static const struct op_vt union_vt = {union_next, union_close};

struct op *op_union(struct task_ctx *t, struct op **children, int n, struct err *err) {
  struct union_op *o = calloc(1, sizeof *o);
  struct op **ch = calloc((size_t)(n ? n : 1), sizeof *ch);
  if (!o || !ch || n < 1 || opx_set_types(&o->op, children[0]->types, children[0]->ncols)) {
    for (int i = 0; i < n; i++) op_close(children[i]);
    free(ch);
    free(o);
    err_set(err, n < 1 ? ERR_INVAL : ERR_NOMEM, n < 1 ? "union of no inputs" : "out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) ch[i] = children[i];
  o->op.vt = &union_vt;
  o->op.task = t;
  o->children = ch;
  o->n = n;
  for (int i = 1; i < n; i++) {
    if (ch[i]->ncols != o->op.ncols) {
      union_close(&o->op);
      err_set(err, ERR_INVAL, "union inputs have different column counts");
      return NULL;
    }
  }
  return &o->op;
}

/* ---- op_range ---- */

struct range_op {
  struct op op;
  int64_t next, step;
  uint64_t left; /* values still to produce */
  struct batch *out;
};

static int range_next(struct op *op, struct batch **out, struct err *err) {
  struct range_op *o = (struct range_op *)op;
  if (o->left == 0) return 0;
  if (opx_cancelled(op->task)) return opx_cancel_err(err);
  uint32_t n = o->left < BATCH_DEFAULT_ROWS ? (uint32_t)o->left : BATCH_DEFAULT_ROWS;
  int64_t *d = vector_i64(&o->out->cols[0]);
  uint64_t v = (uint64_t)o->next;
  for (uint32_t i = 0; i < n; i++) {
    d[i] = (int64_t)v;
    v += (uint64_t)o->step;
  }
  o->next = (int64_t)v;
  o->left -= n;
  bitmap_set_range(o->out->cols[0].validity, 0, n);
  batch_set_rows(o->out, n);
  op->task->rows_out += n;
  *out = o->out;
  return 1;
}

static void range_close(struct op *op) {
  struct range_op *o = (struct range_op *)op;
  batch_free(o->out);
  free(op->types);
  free(o);
}

static const struct op_vt range_vt = {range_next, range_close};

struct op *op_range(struct task_ctx *t, int64_t start, int64_t end, int64_t step,
                    struct err *err) {
  if (step == 0) {
    err_set(err, ERR_INVAL, "range: the step must not be 0");
    return NULL;
  }
  struct type bt = {TYPE_BIGINT, 0, 0};
  struct range_op *o = calloc(1, sizeof *o);
  if (!o || opx_set_types(&o->op, &bt, 1) ||
      !(o->out = batch_new(&bt, 1, BATCH_DEFAULT_ROWS, ARENA_UNLIMITED))) {
    if (o) free(o->op.types);
    free(o);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &range_vt;
  o->op.task = t;
  o->next = start;
  o->step = step;
  __int128 span = (__int128)end - start;
  if ((step > 0 && span > 0) || (step < 0 && span < 0)) {
    __int128 s = step;
    o->left = (uint64_t)((span + s + (step > 0 ? -1 : 1)) / s);
  }
  return &o->op;
}
