/* exprcol.c: see exprcol.h. */
#include "engine/exec/exprcol.h"

#include <string.h>

int exprcol_is_col(const struct expr *e, int *index) {
  if (e && e->kind == EXPR_COL && e->u.col.index >= 0) {
    if (index) *index = e->u.col.index;
    return 1;
  }
  return 0;
}

int exprcol_init(struct exprcol *c, const struct expr *e, struct err *err) {
  memset(c, 0, sizeof *c);
  c->e = e;
  c->index = -1;
  arena_init(&c->heap, ARENA_UNLIMITED);
  if (exprcol_is_col(e, &c->index)) return 0;
  if (e->kind == EXPR_LIT) return 0;
  return eval_compile(e, &c->prog, err);
}

static int ensure_vec(struct exprcol *c, uint32_t n, struct err *err) {
  if (c->have_vec && c->vec.capacity >= n) return 0;
  if (c->have_vec) vector_fini(&c->vec);
  c->have_vec = 0;
  uint32_t cap = n < 2 * BATCH_DEFAULT_ROWS ? 2 * BATCH_DEFAULT_ROWS : n;
  struct type t = c->e->type;
  if (t.id == TYPE_NULL || t.id == TYPE_INTERVAL) t.id = TYPE_BOOLEAN; /* all-NULL stand-in */
  if (vector_init(&c->vec, t, cap, &c->heap))
    return err_set(err, ERR_NOMEM, "out of memory evaluating an expression");
  c->have_vec = 1;
  return 0;
}

static void fill_lit(struct vector *v, const struct value *lit, uint32_t n) {
  if (lit->is_null || lit->type.id == TYPE_NULL) {
    memset(v->data, 0, (size_t)n * vector_elem_size(v->type.id));
    bitmap_clear_all(v->validity, n);
  } else {
    switch (v->type.id) {
    case TYPE_BOOLEAN: memset(v->data, lit->i ? 1 : 0, n); break;
    case TYPE_INT:
    case TYPE_DATE:
      for (uint32_t i = 0; i < n; i++) vector_i32(v)[i] = (int32_t)lit->i;
      break;
    case TYPE_DOUBLE:
      for (uint32_t i = 0; i < n; i++) vector_f64(v)[i] = lit->d;
      break;
    case TYPE_STRING:
    case TYPE_ARRAY: {
      struct sv s = sv_make(lit->s ? lit->s : "", lit->len);
      for (uint32_t i = 0; i < n; i++) vector_sv(v)[i] = s;
      break;
    }
    default:
      for (uint32_t i = 0; i < n; i++) vector_i64(v)[i] = lit->i;
      break;
    }
    bitmap_clear_all(v->validity, v->capacity);
    bitmap_set_range(v->validity, 0, n);
  }
  v->count = n;
}

int exprcol_eval(struct exprcol *c, const struct batch *in, const struct vector **out,
                 struct err *err) {
  if (c->index >= 0) {
    if (c->index >= in->ncols)
      return err_set(err, ERR_INVAL, "internal error: column %d out of range", c->index);
    *out = &in->cols[c->index];
    return 0;
  }
  int rc = ensure_vec(c, in->nrows ? in->nrows : 1, err);
  if (rc) return rc;
  if (c->e->kind == EXPR_LIT) {
    fill_lit(&c->vec, &c->e->u.lit, in->nrows);
  } else {
    arena_reset(&c->heap);
    c->vec.count = 0;
    if ((rc = eval_run(c->prog, in, &c->vec, err))) return rc;
  }
  *out = &c->vec;
  return 0;
}

void exprcol_fini(struct exprcol *c) {
  if (c->prog) eval_free(c->prog);
  c->prog = NULL;
  if (c->have_vec) vector_fini(&c->vec);
  c->have_vec = 0;
  arena_fini(&c->heap);
}
