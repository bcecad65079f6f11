/* op_generate.c: Spark's Generate for explode / posexplode [_outer] (op.h).
 *
 * The array of each input row is walked with an element iterator kept
 * across calls, so a row whose array is longer than a batch continues in
 * the next output batch, and memory stays one output batch whatever the
 * array sizes. The passed-through columns are gathered with
 * batch_append_cols from a view of the child's batch; the generated columns
 * are written in place (element strings copied into the output's arena). */
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"
#include "engine/vec/array.h"

#define GEN_ROWS BATCH_DEFAULT_ROWS

struct generate_op {
  struct op op;
  struct op *child;
  struct exprcol arg;
  int arg_init;
  int eof;                  /* the child said it has no more batches */
  int nkeep, with_pos, outer;
  int *keep;                /* owned copy */
  enum type_id elem;
  struct batch *in;         /* child's current batch (valid until its next()) */
  const struct vector *arr; /* arg over in (borrowed from exprcol) */
  uint32_t row;             /* next input row of in */
  int in_row;               /* 1: row's array is being walked by it */
  int32_t pos;              /* next element position of that row */
  struct array_iter it;
  struct batch *out;
  struct batch view;        /* in's kept columns + placeholders, shallow */
  uint8_t *skip;            /* view columns batch_append_cols leaves alone */
  uint32_t *sel;            /* input row of each output row of the call */
};

/* Write generated values for output row r: pos p (when with_pos), element e
 * (NULL when e is NULL or is_null). */
static int put_gen(struct generate_op *o, uint32_t r, int32_t p, const struct array_elem *e) {
  struct vector *pc = o->with_pos ? &o->out->cols[o->nkeep] : NULL;
  struct vector *ec = &o->out->cols[o->nkeep + o->with_pos];
  if (pc) {
    if (p < 0) bitmap_clear(pc->validity, r);
    else {
      bitmap_set(pc->validity, r);
      vector_i32(pc)[r] = p;
    }
  }
  if (!e || e->is_null) {
    bitmap_clear(ec->validity, r);
    return 0;
  }
  bitmap_set(ec->validity, r);
  switch (o->elem) {
  case TYPE_BOOLEAN: vector_u8(ec)[r] = (uint8_t)e->i; break;
  case TYPE_INT:
  case TYPE_DATE: vector_i32(ec)[r] = (int32_t)e->i; break;
  case TYPE_DOUBLE: vector_f64(ec)[r] = e->d; break;
  case TYPE_STRING: {
    char *m = e->s.len ? arena_alloc(&o->out->arena, e->s.len) : NULL;
    if (e->s.len && !m) return ERR_NOMEM;
    if (e->s.len) memcpy(m, e->s.ptr, e->s.len);
    vector_sv(ec)[r] = sv_make(m ? m : "", e->s.len);
    break;
  }
  default: vector_i64(ec)[r] = e->i; break;
  }
  return 0;
}

/* Fill o->out with up to GEN_ROWS rows from the current input batch.
 * Returns the rows made (0: the batch is used up) or < 0. */
static int fill(struct generate_op *o, struct err *err) {
  uint32_t base = o->out->nrows, m = 0;
  const struct sv *s = vector_sv(o->arr);
  while (o->row < o->in->nrows && base + m < GEN_ROWS) {
    uint32_t r = o->row;
    if (!o->in_row) {
      int is_null = !bitmap_get(o->arr->validity, r);
      if (is_null || array_count(s[r]) == 0) {
        o->row++;
        if (!o->outer) continue;
        if (put_gen(o, base + m, -1, NULL)) return err_set(err, ERR_NOMEM, "out of memory in explode");
        o->sel[m++] = r;
        continue;
      }
      if (array_iter_init(&o->it, s[r], o->elem))
        return err_set(err, ERR_PARSE, "internal error: malformed array value in explode");
      o->in_row = 1;
      o->pos = 0;
    }
    struct array_elem e;
    int got = array_iter_next(&o->it, &e);
    if (got < 0) return err_set(err, ERR_PARSE, "internal error: malformed array value in explode");
    if (got == 0) {
      o->in_row = 0;
      o->row++;
      continue;
    }
    if (put_gen(o, base + m, o->pos++, &e)) return err_set(err, ERR_NOMEM, "out of memory in explode");
    o->sel[m++] = r;
  }
  if (m == 0) return 0;
  /* The view's kept columns point at the input batch's current vectors. */
  for (int c = 0; c < o->nkeep; c++) o->view.cols[c] = o->in->cols[o->keep[c]];
  o->view.nrows = o->in->nrows;
  o->view.capacity = o->in->nrows;
  if (batch_append_cols(o->out, &o->view, o->sel, m, o->skip))
    return err_set(err, ERR_NOMEM, "out of memory in explode");
  return (int)m;
}

static int generate_next(struct op *op, struct batch **out, struct err *err) {
  struct generate_op *o = (struct generate_op *)op;
  batch_reset(o->out);
  for (;;) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    if (!o->in || (o->row >= o->in->nrows && !o->in_row)) {
      if (o->eof || o->out->nrows >= BATCH_DEFAULT_ROWS / 2) break; /* hand these on first */
      int rc = op_next(o->child, &o->in, err);
      if (rc < 0) return rc;
      if (rc == 0) {
        o->in = NULL;
        o->eof = 1;
        break;
      }
      if ((rc = exprcol_eval(&o->arg, o->in, &o->arr, err))) return rc;
      o->row = 0;
      o->in_row = 0;
      continue;
    }
    int rc = fill(o, err);
    if (rc < 0) return rc;
    if (o->out->nrows >= GEN_ROWS) break;
  }
  if (o->out->nrows == 0) return 0;
  op->task->rows_out += o->out->nrows;
  *out = o->out;
  return 1;
}

static void generate_close(struct op *op) {
  struct generate_op *o = (struct generate_op *)op;
  op_close(o->child);
  if (o->arg_init) exprcol_fini(&o->arg);
  batch_free(o->out);
  free(o->view.cols);
  free(o->skip);
  free(o->sel);
  free(o->keep);
  free(op->types);
  free(o);
}

static const struct op_vt generate_vt = {generate_next, generate_close};

struct op *op_generate(struct task_ctx *t, struct op *child, const struct expr *arg,
                       const int *keep, int nkeep, int with_pos, int outer, struct err *err) {
  struct generate_op *o = calloc(1, sizeof *o);
  if (!o) {
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  o->op.vt = &generate_vt;
  o->op.task = t;
  o->child = child;
  with_pos = with_pos != 0;
  int n = nkeep + with_pos + 1;
  if (arg->type.id != TYPE_ARRAY || !array_elem_ok(type_elem_id(arg->type)) || nkeep < 0) {
    generate_close(&o->op);
    err_set(err, ERR_INVAL, "internal error: explode() of a value that is not an array");
    return NULL;
  }
  for (int i = 0; i < nkeep; i++)
    if (keep[i] < 0 || keep[i] >= child->ncols) {
      generate_close(&o->op);
      err_set(err, ERR_INVAL, "internal error: explode() passes a column its input lacks");
      return NULL;
    }
  o->nkeep = nkeep;
  o->with_pos = with_pos;
  o->outer = outer;
  o->elem = type_elem_id(arg->type);
  o->op.ncols = n;
  o->op.types = calloc((size_t)n, sizeof *o->op.types);
  o->keep = calloc((size_t)(nkeep ? nkeep : 1), sizeof *o->keep);
  o->view.cols = calloc((size_t)n, sizeof *o->view.cols);
  o->skip = calloc((size_t)n, 1);
  o->sel = calloc(GEN_ROWS, sizeof *o->sel);
  if (!o->op.types || !o->keep || !o->view.cols || !o->skip || !o->sel) {
    generate_close(&o->op);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  for (int i = 0; i < nkeep; i++) {
    o->keep[i] = keep[i];
    o->op.types[i] = child->types[keep[i]];
  }
  if (with_pos) o->op.types[nkeep] = (struct type){TYPE_INT, 0, 0};
  o->op.types[n - 1] = type_elem(arg->type);
  for (int i = nkeep; i < n; i++) o->skip[i] = 1;
  o->view.ncols = n;
  if (!(o->out = opx_batch_new(o->op.types, n, GEN_ROWS))) {
    generate_close(&o->op);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  /* placeholders for the generated columns: skipped, but typed */
  for (int i = nkeep; i < n; i++) o->view.cols[i] = o->out->cols[i];
  if (exprcol_init(&o->arg, arg, err)) {
    o->arg_init = 1; /* exprcol_init leaves it safe to fini */
    generate_close(&o->op);
    return NULL;
  }
  o->arg_init = 1;
  return &o->op;
}
