/* fold.c: constant folding and boolean simplification (fold.h). */
#include "engine/opt/fold.h"

#include <string.h>

#include "engine/exec/eval.h"
#include "engine/opt/optutil.h"

#define FOLD_MAX_DEPTH 5000

static int is_lit(const struct expr *e) { return e && e->kind == EXPR_LIT; }

static int fold_rec(struct plan_ctx *ctx, struct expr *e, struct expr **out, int depth);

static int fold_array(struct plan_ctx *ctx, struct expr **a, int n, int *all_lit, int depth) {
  for (int i = 0; i < n; i++) {
    if (!a[i]) continue;
    int rc = fold_rec(ctx, a[i], &a[i], depth + 1);
    if (rc) return rc;
    if (!is_lit(a[i])) *all_lit = 0;
  }
  return 0;
}

/* AND / OR: drop the neutral element, collapse on the absorbing one. */
static int simplify_andor(struct plan_ctx *ctx, struct expr *e, struct expr **out) {
  int is_and = e->u.func.fn == FN_AND;
  int k = 0;
  for (int i = 0; i < e->u.func.nargs; i++) {
    struct expr *a = e->u.func.args[i];
    if (is_lit(a) && !a->u.lit.is_null) {
      int v = a->u.lit.i != 0;
      if (v == is_and) continue; /* neutral */
      *out = optutil_bool(ctx, !is_and); /* absorbing: false AND x, true OR x */
      return *out ? 0 : ERR_NOMEM;
    }
    e->u.func.args[k++] = a;
  }
  if (k == 0) {
    *out = optutil_bool(ctx, is_and);
    return *out ? 0 : ERR_NOMEM;
  }
  if (k == 1) {
    *out = e->u.func.args[0];
    return 0;
  }
  e->u.func.nargs = k;
  *out = e;
  return 0;
}

static int fold_rec(struct plan_ctx *ctx, struct expr *e, struct expr **out, int depth) {
  *out = e;
  if (depth > FOLD_MAX_DEPTH) return 0;
  int all_lit = 1, rc = 0;
  switch (e->kind) {
  case EXPR_LIT:
  case EXPR_COL:
  case EXPR_SUBQUERY:
  case EXPR_EXISTS:
    return 0;
  case EXPR_IN_SUBQUERY:
    if (e->u.sub.arg) rc = fold_rec(ctx, e->u.sub.arg, &e->u.sub.arg, depth + 1);
    return rc;
  case EXPR_FUNC:
    if ((rc = fold_array(ctx, e->u.func.args, e->u.func.nargs, &all_lit, depth))) return rc;
    if (e->u.func.fn == FN_AND || e->u.func.fn == FN_OR) {
      struct expr *s;
      if ((rc = simplify_andor(ctx, e, &s))) return rc;
      if (s != e) {
        *out = s;
        return 0;
      }
      all_lit = 1;
      for (int i = 0; i < e->u.func.nargs; i++)
        if (!is_lit(e->u.func.args[i])) all_lit = 0;
    }
    if (e->u.func.fn == FN_NOT && e->u.func.nargs == 1) {
      struct expr *a = e->u.func.args[0];
      if (a->kind == EXPR_FUNC && a->u.func.fn == FN_NOT && a->u.func.nargs == 1) {
        *out = a->u.func.args[0];
        return 0;
      }
    }
    break;
  case EXPR_CASE:
    if ((rc = fold_array(ctx, e->u.cases.when, e->u.cases.n, &all_lit, depth))) return rc;
    if ((rc = fold_array(ctx, e->u.cases.then, e->u.cases.n, &all_lit, depth))) return rc;
    if (e->u.cases.otherwise) {
      if ((rc = fold_rec(ctx, e->u.cases.otherwise, &e->u.cases.otherwise, depth + 1))) return rc;
      if (!is_lit(e->u.cases.otherwise)) all_lit = 0;
    }
    break;
  case EXPR_CAST:
    if ((rc = fold_rec(ctx, e->u.cast.arg, &e->u.cast.arg, depth + 1))) return rc;
    all_lit = is_lit(e->u.cast.arg);
    break;
  case EXPR_IN_LIST:
    if ((rc = fold_rec(ctx, e->u.in_list.arg, &e->u.in_list.arg, depth + 1))) return rc;
    all_lit = is_lit(e->u.in_list.arg);
    if ((rc = fold_array(ctx, e->u.in_list.list, e->u.in_list.n, &all_lit, depth))) return rc;
    break;
  case EXPR_LIKE:
    if ((rc = fold_rec(ctx, e->u.like.arg, &e->u.like.arg, depth + 1))) return rc;
    all_lit = is_lit(e->u.like.arg);
    break;
  }
  /* Children are literals now, so the constancy check and the evaluation
   * are both O(arity), not O(subtree). */
  if (!all_lit || !expr_is_constant(e)) return 0;
  struct value v;
  struct err tmp;
  err_clear(&tmp);
  memset(&v, 0, sizeof(v));
  rc = eval_constant(e, ctx, &v, &tmp);
  if (rc == ERR_NOMEM) return rc;
  /* Not foldable here: leave it to run time. That includes ANSI errors
   * (ERR_SQL: 1/0, a malformed CAST under spark.sql.ansi.enabled): folding
   * them to NULL would hide the error, and raising it now would fail
   * queries that never evaluate the expression (a CASE arm not taken, a
   * filter over no rows); the evaluator raises it for rows that reach it. */
  if (rc) return 0;
  struct expr *lit = expr_lit(ctx, &v);
  if (!lit) return ERR_NOMEM;
  lit->type = e->type;
  lit->u.lit.type = e->type;
  lit->nullable = v.is_null;
  lit->pos = e->pos;
  *out = lit;
  return 0;
}

int fold_expr(struct plan_ctx *ctx, struct expr *e, struct expr **out, struct err *err) {
  int rc = fold_rec(ctx, e, out, 0);
  if (rc) return err_set(err, rc, "out of memory while folding constants");
  return 0;
}

static struct plan *empty_values(struct plan_ctx *ctx, const struct plan *like) {
  struct plan *v = plan_new(ctx, PLAN_VALUES, NULL, 0, like->ncols);
  if (!v) return NULL;
  if (like->ncols) memcpy(v->cols, like->cols, sizeof(*v->cols) * (size_t)like->ncols);
  v->u.values.nrows = 0;
  v->u.values.cells = NULL;
  return v;
}

static int is_empty(const struct plan *p) {
  return p->kind == PLAN_VALUES && p->u.values.nrows == 0;
}

struct fold_slot_arg {
  struct plan_ctx *ctx;
};

static int fold_slot(struct expr **slot, void *arg) {
  struct fold_slot_arg *a = arg;
  return fold_rec(a->ctx, *slot, slot, 0);
}

/* 1 if the node produces no rows whenever an input named below is empty. */
static int empty_propagates(const struct plan *p) {
  switch (p->kind) {
  case PLAN_FILTER: case PLAN_PROJECT: case PLAN_SORT: case PLAN_LIMIT: case PLAN_WINDOW:
  case PLAN_EXPAND: case PLAN_GENERATE:
    return is_empty(p->child[0]);
  case PLAN_AGG:
    return p->u.agg.nkeys > 0 && is_empty(p->child[0]);
  case PLAN_JOIN:
    switch (p->u.join.type) {
    case JOIN_INNER: case JOIN_CROSS: case JOIN_SEMI:
      return is_empty(p->child[0]) || is_empty(p->child[1]);
    case JOIN_LEFT: case JOIN_ANTI: return is_empty(p->child[0]);
    case JOIN_RIGHT: return is_empty(p->child[1]);
    case JOIN_FULL: return is_empty(p->child[0]) && is_empty(p->child[1]);
    }
    return 0;
  default:
    return 0;
  }
}

static int fold_node(struct plan_ctx *ctx, struct plan *p, struct plan **out, int depth) {
  *out = p;
  if (depth > FOLD_MAX_DEPTH) return 0;
  int rc;
  for (int i = 0; i < p->nchild; i++)
    if ((rc = fold_node(ctx, p->child[i], &p->child[i], depth + 1))) return rc;
  struct fold_slot_arg a = {ctx};
  if ((rc = optutil_node_exprs(p, fold_slot, &a))) return rc;
  if (empty_propagates(p)) {
    *out = empty_values(ctx, p);
    return *out ? 0 : ERR_NOMEM;
  }
  switch (p->kind) {
  case PLAN_FILTER:
    if (p->u.filter.cond->kind == EXPR_FUNC && p->u.filter.cond->u.func.fn == FN_AND) {
      /* a NULL conjunct never lets a row through: the AND is NULL or false */
      const struct expr *c = p->u.filter.cond;
      for (int i = 0; i < c->u.func.nargs; i++)
        if (optutil_is_false_or_null(c->u.func.args[i])) {
          *out = empty_values(ctx, p);
          return *out ? 0 : ERR_NOMEM;
        }
    }
    if (optutil_is_true(p->u.filter.cond)) {
      *out = p->child[0];
    } else if (optutil_is_false_or_null(p->u.filter.cond)) {
      *out = empty_values(ctx, p);
      if (!*out) return ERR_NOMEM;
    }
    break;
  case PLAN_SCAN: {
    int k = 0;
    for (int i = 0; i < p->u.scan.nfilters; i++) {
      struct expr *f = p->u.scan.filters[i];
      if (optutil_is_true(f)) continue;
      if (optutil_is_false_or_null(f)) {
        *out = empty_values(ctx, p);
        return *out ? 0 : ERR_NOMEM;
      }
      p->u.scan.filters[k++] = f;
    }
    p->u.scan.nfilters = k;
    break;
  }
  case PLAN_JOIN:
    if (p->u.join.cond && optutil_is_true(p->u.join.cond)) {
      p->u.join.cond = NULL;
      if (p->u.join.type == JOIN_INNER && p->u.join.nkeys == 0) p->u.join.type = JOIN_CROSS;
    }
    if (p->u.join.cond && optutil_is_false_or_null(p->u.join.cond) &&
        (p->u.join.type == JOIN_INNER || p->u.join.type == JOIN_CROSS ||
         p->u.join.type == JOIN_SEMI)) {
      *out = empty_values(ctx, p);
      if (!*out) return ERR_NOMEM;
    }
    break;
  case PLAN_AGG:
    for (int i = 0; i < p->u.agg.ncalls; i++)
      if (p->u.agg.calls[i].filter && optutil_is_true(p->u.agg.calls[i].filter))
        p->u.agg.calls[i].filter = NULL;
    break;
  default:
    break;
  }
  return 0;
}

int fold_plan(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *err) {
  int rc = fold_node(ctx, p, out, 0);
  if (rc) return err_set(err, rc, "out of memory while folding constants");
  return 0;
}
