/* exprs.h: bound expressions built by hand for the operator tests
 * (test_ops.c, test_join.c). Every expression comes from one pool, so the
 * operators can borrow them for a whole test; exprs_free() frees the pool.
 * Header-only (static inline) because each test is one translation unit. */
#ifndef KINDLING_TESTS_EXPRS_H
#define KINDLING_TESTS_EXPRS_H

#include <stdint.h>
#include <stdlib.h>

#include "engine/plan/expr.h"

static struct expr **exprs_pool;
static int exprs_n, exprs_cap;

/* A zeroed expression owned by the pool. */
static inline struct expr *newexpr(void) {
  struct expr *e = calloc(1, sizeof *e);
  if (exprs_n == exprs_cap) {
    exprs_cap = exprs_cap ? 2 * exprs_cap : 256;
    exprs_pool = realloc(exprs_pool, sizeof *exprs_pool * (size_t)exprs_cap);
  }
  exprs_pool[exprs_n++] = e;
  return e;
}

/* Column `index` of the operator's input, nullable, of type t. */
static inline struct expr *col(int index, struct type t) {
  struct expr *e = newexpr();
  e->kind = EXPR_COL;
  e->type = t;
  e->nullable = 1;
  e->u.col.id = index + 1;
  e->u.col.index = index;
  return e;
}

/* f(a, b) of result type t. */
static inline struct expr *fn2(enum expr_fn f, struct type t, struct expr *a, struct expr *b) {
  struct expr *e = newexpr();
  e->kind = EXPR_FUNC;
  e->type = t;
  e->nullable = 1;
  e->u.func.fn = f;
  e->u.func.args = calloc(2, sizeof(struct expr *));
  e->u.func.args[0] = a;
  e->u.func.args[1] = b;
  e->u.func.nargs = 2;
  return e;
}

/* An integer literal of integral type t. */
static inline struct expr *lit_int(int64_t v, struct type t) {
  struct expr *e = newexpr();
  e->kind = EXPR_LIT;
  e->type = t;
  e->u.lit.type = t;
  e->u.lit.i = v;
  e->u.lit.d = (double)v;
  return e;
}

/* Free every expression made since the last call. */
static inline void exprs_free(void) {
  for (int i = 0; i < exprs_n; i++) {
    if (exprs_pool[i]->kind == EXPR_FUNC) free(exprs_pool[i]->u.func.args);
    free(exprs_pool[i]);
  }
  free(exprs_pool);
  exprs_pool = NULL;
  exprs_n = exprs_cap = 0;
}

#endif
