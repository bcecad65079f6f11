/* bind_call.c: function calls and subquery expressions (see bind_call.h). */
#include "engine/analyze/bind_call.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/analyze/bind_expr.h"
#include "engine/analyze/bind_query.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/analyze/funcs_date.h"
#include "engine/exec/hll.h"
#include "engine/vec/schema.h"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

static const char *fname(const struct ast_expr *a) {
  const struct ast_name *n = &a->u.func.name;
  return n->n > 0 ? n->parts[n->n - 1] : "";
}

/* Spark's error for an aggregate call a whose argument has type t. */
static int agg_type_error(struct bind *b, const struct ast_expr *a, struct type t) {
  const char *txt = bind_auto_name(b, a);
  char t1[32];
  return bind_error(b, ERR_SQL, a->pos,
                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to "
                    "data type mismatch: the function `%s` does not accept an argument of "
                    "type \"%s\".",
                    txt ? txt : "", fname(a), schema_type_sql(t, t1));
}

static int is_star(const struct ast_expr *a) { return a->kind == AST_STAR && a->u.col.n == 0; }

/* count(a, b, ...) and count(DISTINCT a, b, ...): one STRING key per row
 * that is NULL when any argument is (concat propagates NULL) and otherwise
 * encodes the tuple without ambiguity: each value as its length, ':' and
 * its text. Doubles get + 0.0 first so that -0.0 and 0.0 are one value, as
 * Spark's grouping normalizes them. */
static int count_tuple_key(struct bind_ectx *argx, const struct ast_expr *a, struct expr **out) {
  struct bind *b = argx->b;
  int n = a->u.func.nargs, rc;
  struct expr **parts = plan_alloc(b->ctx, sizeof *parts * (size_t)(3 * n));
  if (!parts) return bind_oom(b);
  struct value colon;
  memset(&colon, 0, sizeof colon);
  colon.type = T(TYPE_STRING);
  colon.s = ":";
  colon.len = 1;
  for (int i = 0; i < n; i++) {
    struct expr *e;
    if ((rc = bind_expr(argx, a->u.func.args[i], &e))) return rc;
    if (e->type.id == TYPE_INTERVAL || e->type.id == TYPE_ARRAY) {
      const char *txt = bind_auto_name(b, a);
      char t1[32];
      return bind_error(b, ERR_SQL, a->pos,
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to "
                        "data type mismatch: the function `count` does not accept an argument "
                        "of type \"%s\".",
                        txt ? txt : "", schema_type_sql(e->type, t1));
    }
    if (e->type.id == TYPE_DOUBLE) {
      struct value z;
      memset(&z, 0, sizeof z);
      z.type = T(TYPE_DOUBLE);
      struct expr *args[2] = {e, expr_lit(b->ctx, &z)};
      if (!args[1] || !(e = expr_func(b->ctx, FN_ADD, e->type, args, 2))) return bind_oom(b);
    }
    if (e->type.id != TYPE_STRING && !(e = expr_cast(b->ctx, e, T(TYPE_STRING)))) return bind_oom(b);
    struct expr *len = expr_func(b->ctx, FN_LENGTH, T(TYPE_INT), &e, 1);
    if (!len || !(parts[3 * i] = expr_cast(b->ctx, len, T(TYPE_STRING))) ||
        !(parts[3 * i + 1] = expr_lit(b->ctx, &colon)))
      return bind_oom(b);
    parts[3 * i + 2] = e;
  }
  if (!(*out = expr_func(b->ctx, FN_CONCAT, T(TYPE_STRING), parts, 3 * n))) return bind_oom(b);
  return 0;
}

/* approx_count_distinct's relativeSD: a DOUBLE or DECIMAL literal giving a
 * precision hll.h supports. */
static int hll_param(struct bind_ectx *argx, const struct ast_expr *a, int *p) {
  struct bind *b = argx->b;
  struct expr *e;
  int rc;
  if ((rc = bind_expr(argx, a->u.func.args[1], &e))) return rc;
  double rsd = 0;
  if (e->kind == EXPR_LIT && !e->u.lit.is_null && e->type.id == TYPE_DOUBLE) {
    rsd = e->u.lit.d;
  } else if (e->kind == EXPR_LIT && !e->u.lit.is_null && e->type.id == TYPE_DECIMAL) {
    rsd = (double)e->u.lit.i;
    for (int i = 0; i < e->type.scale; i++) rsd /= 10;
  } else {
    return bind_error(b, ERR_SQL, a->pos,
                      "The second argument of `approx_count_distinct` (relativeSD) must be a "
                      "DOUBLE literal, such as 0.05.");
  }
  /* Spark's rule (hll_precision; inlined: the analyzer does not link the
   * operators). */
  double q = rsd > 0 ? ceil(2.0 * log(1.106 / rsd) / log(2.0)) : 0;
  if (q >= HLL_P_MIN && q <= HLL_P_MAX) *p = (int)q;
  else
    return bind_error(b, ERR_SQL, a->pos,
                      "`approx_count_distinct` supports a relativeSD from 0.0022 to 0.39 (HLL++ "
                      "needs 4 to 18 bits of addressing); got %g.",
                      rsd);
  return 0;
}

/* A numeric literal (possibly negated) as a double: 0, or -1 when e is not one. */
static int lit_double(const struct expr *e, double *v) {
  int neg = 0;
  if (e->kind == EXPR_FUNC && e->u.func.fn == FN_NEG && e->u.func.nargs == 1) {
    neg = 1;
    e = e->u.func.args[0];
  }
  if (e->kind != EXPR_LIT || e->u.lit.is_null) return -1;
  switch (e->type.id) {
  case TYPE_DOUBLE: *v = e->u.lit.d; break;
  case TYPE_INT:
  case TYPE_BIGINT: *v = (double)e->u.lit.i; break;
  case TYPE_DECIMAL:
    *v = (double)e->u.lit.i;
    for (int i = 0; i < e->type.scale; i++) *v /= 10;
    break;
  default: return -1;
  }
  if (neg) *v = -*v;
  return 0;
}

/* The constant argument k of an aggregate call (percentage, accuracy) as a
 * double, with Spark's errors for a non-constant one. */
static int agg_const_arg(struct bind_ectx *argx, const struct ast_expr *a, int k,
                         const char *what, const char *sqltype, double *v) {
  struct bind *b = argx->b;
  struct expr *e;
  int rc;
  if ((rc = bind_expr(argx, a->u.func.args[k], &e))) return rc;
  if (e->type.id == TYPE_ARRAY)
    return bind_error(b, ERR_UNSUPPORTED, a->pos,
                      "`%s` with an array of percentages is not supported by the local engine; "
                      "call it once per percentage.",
                      fname(a));
  if (!lit_double(e, v)) return 0;
  const char *txt = bind_auto_name(b, a);
  return bind_error(b, ERR_SQL, a->pos,
                    "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] Cannot resolve \"%s\" due to data "
                    "type mismatch: the input `%s` should be a foldable \"%s\" expression.",
                    txt ? txt : "", what, sqltype);
}

static int agg_range_error(struct bind *b, const struct ast_expr *a, const char *what,
                           const char *range, double v) {
  const char *txt = bind_auto_name(b, a);
  return bind_error(b, ERR_SQL, a->pos,
                    "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve \"%s\" due to data "
                    "type mismatch: The `%s` must be between %s (current value = %g).",
                    txt ? txt : "", what, range, v);
}

/* bool_and/bool_or/count_if, first/last with ignoreNulls, max_by/min_by and
 * the percentiles: calls with more than one argument or bound as another
 * aggregate. Returns 1 (nothing done) for the other functions. */
static int agg_call_more(struct bind_ectx *argx, const struct ast_expr *a, enum agg_fn fn,
                         struct plan_agg_call *c) {
  struct bind *b = argx->b;
  int nargs = a->u.func.nargs, rc, lo = 1, hi = 1;
  switch (fn) {
  case AGG_FIRST:
  case AGG_LAST: hi = 2; break;
  case AGG_MAX_BY:
  case AGG_MIN_BY:
  case AGG_PERCENTILE: lo = hi = 2; break;
  case AGG_PERCENTILE_APPROX: lo = 2, hi = 3; break;
  case AGG_BOOL_AND:
  case AGG_BOOL_OR:
  case AGG_COUNT_IF:
  case AGG_MEDIAN: break;
  default: return 1;
  }
  memset(c, 0, sizeof *c);
  c->fn = fn;
  c->distinct = a->u.func.distinct;
  if (nargs < lo || nargs > hi) {
    const char *txt = bind_auto_name(b, a);
    char want[32];
    if (lo == hi) snprintf(want, sizeof want, "%d", lo);
    else snprintf(want, sizeof want, "[%d, %d]", lo, hi);
    return bind_error(b, ERR_SQL, a->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %s parameters but "
                      "the actual number is %d (in \"%s\").",
                      fname(a), want, nargs, txt ? txt : "");
  }
  struct expr *x;
  if ((rc = bind_expr(argx, a->u.func.args[0], &x))) return rc;
  struct type at, rt;
  if (funcs_agg_type(fn, x->type, &at, &rt)) return agg_type_error(b, a, x->type);
  if (!(x = coerce_to(b->ctx, x, at))) return bind_oom(b);
  c->arg = x;
  c->type = rt;
  switch (fn) {
  case AGG_FIRST:
  case AGG_LAST: {
    int ignore = 0;
    if (nargs == 2) {
      struct expr *e;
      if ((rc = bind_expr(argx, a->u.func.args[1], &e))) return rc;
      if (e->kind != EXPR_LIT || e->u.lit.is_null || e->type.id != TYPE_BOOLEAN)
        return bind_error(b, ERR_SQL, a->u.func.args[1]->pos,
                          "The second argument in %s should be a boolean literal.", fname(a));
      ignore = e->u.lit.i != 0;
    }
    if (fn == AGG_FIRST) c->fn = ignore ? AGG_FIRST : AGG_FIRST_NULLS;
    else c->fn = ignore ? AGG_LAST : AGG_LAST_NULLS;
    c->distinct = 0; /* first(DISTINCT x) is first(x) */
    break;
  }
  case AGG_BOOL_AND:
  case AGG_BOOL_OR:
    /* FALSE < TRUE: every/bool_and is min, some/any/bool_or is max. */
    c->fn = fn == AGG_BOOL_AND ? AGG_MIN : AGG_MAX;
    c->distinct = 0;
    break;
  case AGG_COUNT_IF: {
    /* count(IF(cond, TRUE, NULL)): counts the rows where cond is true. */
    struct value t, n;
    memset(&t, 0, sizeof t);
    memset(&n, 0, sizeof n);
    t.type = n.type = T(TYPE_BOOLEAN);
    t.i = 1;
    n.is_null = 1;
    struct expr *args[3] = {x, expr_lit(b->ctx, &t), expr_lit(b->ctx, &n)};
    if (!args[1] || !args[2] || !(c->arg = expr_func(b->ctx, FN_IF, T(TYPE_BOOLEAN), args, 3)))
      return bind_oom(b);
    c->fn = AGG_COUNT;
    break;
  }
  case AGG_MAX_BY:
  case AGG_MIN_BY: {
    struct expr *ord;
    if ((rc = bind_expr(argx, a->u.func.args[1], &ord))) return rc;
    switch (ord->type.id) {
    case TYPE_NULL:
    case TYPE_BOOLEAN:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DOUBLE:
    case TYPE_DECIMAL:
    case TYPE_STRING:
    case TYPE_DATE:
    case TYPE_TIMESTAMP: break;
    default: {
      const char *txt = bind_auto_name(b, a);
      char t1[32];
      return bind_error(b, ERR_UNSUPPORTED, a->pos,
                        "Cannot resolve \"%s\": the local engine cannot order `%s` by a value "
                        "of type \"%s\".",
                        txt ? txt : "", fname(a), schema_type_sql(ord->type, t1));
    }
    }
    struct expr *args[2] = {ord, x};
    if (!(c->arg = expr_func(b->ctx, FN_AGG_ORDKEY, T(TYPE_STRING), args, 2))) return bind_oom(b);
    c->distinct = 0; /* DISTINCT does not change which value is at the max */
    break;
  }
  case AGG_MEDIAN:
    c->fn = AGG_PERCENTILE;
    c->dparam = 0.5;
    break;
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX: {
    double p, acc = 10000;
    if ((rc = agg_const_arg(argx, a, 1, "percentage", "DOUBLE", &p))) return rc;
    if (!(p >= 0 && p <= 1)) return agg_range_error(b, a, "percentage", "[0.0, 1.0]", p);
    if (nargs == 3) {
      if ((rc = agg_const_arg(argx, a, 2, "accuracy", "INT", &acc))) return rc;
      if (!(acc > 0 && acc <= 2147483647.0))
        return agg_range_error(b, a, "accuracy", "(0, 2147483647]", acc);
    }
    c->dparam = p;
    break;
  }
  default: break;
  }
  if (a->u.func.filter) {
    struct expr *f;
    if ((rc = bind_expr(argx, a->u.func.filter, &f)) ||
        (rc = bind_expr_bool(b, f, a->u.func.filter, "FILTER", &c->filter)))
      return rc;
  }
  return 0;
}

/* Bind an aggregate call's argument and filter with argx into *c. */
static int agg_call(struct bind_ectx *argx, const struct ast_expr *a, enum agg_fn fn,
                    struct plan_agg_call *c) {
  struct bind *b = argx->b;
  int rc, nargs = a->u.func.nargs;
  if ((rc = agg_call_more(argx, a, fn, c)) != 1) return rc;
  memset(c, 0, sizeof *c);
  c->fn = fn;
  c->distinct = a->u.func.distinct;
  if (fn == AGG_COUNT && nargs == 1 && is_star(a->u.func.args[0])) {
    c->fn = AGG_COUNT_STAR;
    c->distinct = 0;
  } else if ((fn == AGG_COLLECT_LIST || fn == AGG_COLLECT_SET) && nargs == 1) {
    /* collect_list(DISTINCT x) is collect_set(x), which is distinct already */
    if (c->distinct) c->fn = fn = AGG_COLLECT_SET;
    c->distinct = 0;
  } else if (fn == AGG_FIRST && nargs == 2) {
    nargs = 1; /* first(x, ignoreNulls): the engine's first skips NULLs */
  } else if (fn == AGG_APPROX_COUNT_DISTINCT && (nargs == 1 || nargs == 2)) {
    /* DISTINCT changes nothing in a sketch: keep it two-phase. */
    c->distinct = 0;
    c->param = HLL_P_DEFAULT;
    if (nargs == 2 && (rc = hll_param(argx, a, &c->param))) return rc;
    nargs = 1;
  } else if (fn == AGG_COUNT && nargs > 1) {
    nargs = 1; /* the tuple key below */
  } else if (fn == AGG_APPROX_COUNT_DISTINCT) {
    const char *txt = bind_auto_name(b, a);
    return bind_error(b, ERR_SQL, a->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires [1, 2] parameters "
                      "but the actual number is %d (in \"%s\").",
                      fname(a), nargs, txt ? txt : "");
  } else if (nargs != 1) {
    const char *txt = bind_auto_name(b, a);
    return bind_error(b, nargs > 1 && fn == AGG_COUNT ? ERR_UNSUPPORTED : ERR_SQL, a->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires 1 parameters but "
                      "the actual number is %d (in \"%s\").",
                      fname(a), nargs, txt ? txt : "");
  }
  if (c->fn != AGG_COUNT_STAR) {
    struct expr *arg;
    if (fn == AGG_COUNT && a->u.func.nargs > 1) rc = count_tuple_key(argx, a, &arg);
    else rc = bind_expr(argx, a->u.func.args[0], &arg);
    if (rc) return rc;
    struct type at, rt;
    if (funcs_agg_type(fn, arg->type, &at, &rt)) return agg_type_error(b, a, arg->type);
    if (!(c->arg = coerce_to(b->ctx, arg, at))) return bind_oom(b);
    c->type = rt;
    if (fn == AGG_COUNT && arg->kind == EXPR_LIT && !arg->u.lit.is_null && !c->distinct) {
      c->fn = AGG_COUNT_STAR;
      c->arg = NULL;
    }
  } else {
    c->type = T(TYPE_BIGINT);
  }
  if (a->u.func.filter) {
    struct expr *f;
    if ((rc = bind_expr(argx, a->u.func.filter, &f)) ||
        (rc = bind_expr_bool(b, f, a->u.func.filter, "FILTER", &c->filter)))
      return rc;
  }
  return 0;
}

static int bind_agg(struct bind_ectx *x, const struct ast_expr *a, enum agg_fn fn, struct expr **out) {
  struct bind *b = x->b;
  if (x->in_agg)
    return bind_error(b, ERR_SQL, a->pos,
                      "[NESTED_AGGREGATE_FUNCTION] It is not allowed to use an aggregate function "
                      "in the argument of another aggregate function. Please use the inner "
                      "aggregate function in a sub-query.");
  if (!x->agg) {
    const char *txt = bind_auto_name(b, a);
    if (x->clause && !strcmp(x->clause, "WHERE"))
      return bind_error(b, ERR_SQL, a->pos,
                        "[INVALID_WHERE_CONDITION] The WHERE condition contains invalid "
                        "expressions: %s.\nRewrite the query to avoid window functions, aggregate "
                        "functions, and generator functions in the WHERE clause.",
                        txt ? txt : "");
    return bind_error(b, ERR_SQL, a->pos,
                      "Aggregate functions are not allowed in %s: %s.",
                      x->clause ? x->clause : "this context", txt ? txt : "");
  }
  struct bind_ectx argx = *x;
  argx.agg = NULL;
  argx.win = NULL;
  argx.in_agg = 1;
  argx.aliases = NULL;
  argx.naliases = 0;
  argx.alias_mode = BIND_ALIAS_NONE;
  struct plan_agg_call c;
  int rc = agg_call(&argx, a, fn, &c);
  if (rc) return rc;
  struct bind_agg *g = x->agg;
  int k = 0;
  for (; k < g->ncalls; k++) {
    struct plan_agg_call *o = &g->calls[k];
    if (o->fn == c.fn && o->distinct == c.distinct && o->param == c.param &&
        o->dparam == c.dparam &&
        bind_expr_equal(o->arg, c.arg) &&
        bind_expr_equal(o->filter, c.filter))
      break;
  }
  if (k == g->ncalls) {
    if (g->ncalls == g->cap) {
      int cap = g->cap ? g->cap * 2 : 8;
      struct plan_agg_call *v = plan_alloc(b->ctx, sizeof *v * (size_t)cap);
      int *ids = plan_alloc(b->ctx, sizeof *ids * (size_t)cap);
      const char **nm = plan_alloc(b->ctx, sizeof *nm * (size_t)cap);
      if (!v || !ids || !nm) return bind_oom(b);
      if (g->ncalls) {
        memcpy(v, g->calls, sizeof *v * (size_t)g->ncalls);
        memcpy(ids, g->call_ids, sizeof *ids * (size_t)g->ncalls);
        memcpy(nm, g->call_names, sizeof *nm * (size_t)g->ncalls);
      }
      g->calls = v;
      g->call_ids = ids;
      g->call_names = nm;
      g->cap = cap;
    }
    const char *name = bind_auto_name(b, a);
    if (!name) return bind_oom(b);
    g->calls[k] = c;
    g->call_names[k] = name;
    g->call_ids[k] = bind_new_id(b, name);
    g->ncalls++;
  }
  int nullable =
      !(c.fn == AGG_COUNT || c.fn == AGG_COUNT_STAR || c.fn == AGG_APPROX_COUNT_DISTINCT ||
        c.fn == AGG_COLLECT_LIST || c.fn == AGG_COLLECT_SET);
  if (!(*out = expr_col(b->ctx, g->call_ids[k], c.type, nullable))) return bind_oom(b);
  (*out)->pos = a->pos;
  return 0;
}

static enum plan_frame_bound bound_kind(enum ast_bound_kind k) {
  switch (k) {
  case AST_BOUND_UNBOUNDED_PRECEDING: return FRAME_UNBOUNDED_PRECEDING;
  case AST_BOUND_PRECEDING: return FRAME_PRECEDING;
  case AST_BOUND_CURRENT_ROW: return FRAME_CURRENT_ROW;
  case AST_BOUND_FOLLOWING: return FRAME_FOLLOWING;
  default: return FRAME_UNBOUNDED_FOLLOWING;
  }
}

/* e bound in the window's context, regrouped over an aggregate when any. */
static int win_expr(struct bind_ectx *wx, const struct ast_expr *a, struct expr **out) {
  return bind_expr_top(wx, a, out);
}

static int bind_window(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  const struct ast_window *w = a->u.func.over;
  const char *name = fname(a);
  int rc;
  if (!x->win || x->in_agg) {
    const char *txt = bind_auto_name(b, a);
    return bind_error(b, ERR_SQL, a->pos,
                      "Window functions are not allowed in %s: %s.",
                      x->in_agg ? "the argument of an aggregate function"
                                : x->clause ? x->clause : "this context",
                      txt ? txt : "");
  }
  struct bind_ectx wx = *x;
  wx.win = NULL;
  struct bind_win_call wc;
  memset(&wc, 0, sizeof wc);
  wc.npartition = w->npartition;
  wc.partition = plan_alloc(b->ctx, sizeof *wc.partition * (size_t)(w->npartition + 1));
  wc.norder = w->norder;
  wc.order = plan_alloc(b->ctx, sizeof *wc.order * (size_t)(w->norder + 1));
  if (!wc.partition || !wc.order) return bind_oom(b);
  for (int i = 0; i < w->npartition; i++)
    if ((rc = win_expr(&wx, w->partition[i], &wc.partition[i]))) return rc;
  for (int i = 0; i < w->norder; i++) {
    if ((rc = win_expr(&wx, w->order[i].expr, &wc.order[i].expr))) return rc;
    if ((rc = bind_check_orderable(b, wc.order[i].expr, "a window's ORDER BY"))) return rc;
    wc.order[i].desc = w->order[i].desc;
    wc.order[i].nulls_first = w->order[i].nulls == AST_NULLS_DEFAULT ? !w->order[i].desc
                                                                     : w->order[i].nulls == AST_NULLS_FIRST;
  }
  struct plan_win_call *c = &wc.call;
  enum win_fn wf;
  enum agg_fn af;
  int nullable = 1;
  if (funcs_window(name, &wf)) {
    c->fn = wf;
    if (wf == WIN_LAG || wf == WIN_LEAD) {
      int n = a->u.func.nargs;
      if (n < 1 || n > 3)
        return bind_error(b, ERR_SQL, a->pos,
                          "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires [1, 3] "
                          "parameters but the actual number is %d.",
                          name, n);
      if ((rc = win_expr(&wx, a->u.func.args[0], &c->arg))) return rc;
      c->offset = 1;
      if (n >= 2 && (rc = bind_expr_const_int(b, a->u.func.args[1], "offset", &c->offset))) return rc;
      c->type = c->arg->type;
      if (n == 3) {
        struct expr *d;
        if ((rc = win_expr(&wx, a->u.func.args[2], &d))) return rc;
        struct type t;
        if (coerce_wider(c->arg->type, d->type, &t)) t = c->arg->type;
        if (!(c->arg = coerce_to(b->ctx, c->arg, t)) || !(c->dflt = coerce_to(b->ctx, d, t)))
          return bind_oom(b);
        c->type = t;
      }
    } else {
      if (a->u.func.nargs)
        return bind_error(b, ERR_SQL, a->pos,
                          "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires 0 parameters "
                          "but the actual number is %d.",
                          name, a->u.func.nargs);
      if (!w->norder)
        return bind_error(b, ERR_SQL, a->pos,
                          "[WINDOW_FUNCTION_WITHOUT_ORDER] Window function %s() requires window "
                          "to be ordered, please add ORDER BY clause. For example SELECT %s()"
                          " OVER (ORDER BY col) FROM tbl.",
                          name, name);
      c->type = T(TYPE_INT);
      nullable = 0;
    }
  } else if (funcs_agg(name, &af)) {
    c->fn = WIN_AGG;
    struct bind_ectx argx = wx;
    argx.aliases = NULL;
    argx.naliases = 0;
    argx.alias_mode = BIND_ALIAS_NONE;
    if ((rc = agg_call(&argx, a, af, &c->agg))) return rc;
    if (c->agg.fn == AGG_APPROX_COUNT_DISTINCT)
      return bind_error(b, ERR_UNSUPPORTED, a->pos, "`%s` over a window is not supported yet.",
                        agg_fn_name(c->agg.fn));
    if (c->agg.distinct)
      return bind_error(b, ERR_UNSUPPORTED, a->pos,
                        "DISTINCT aggregates over a window are not supported.");
    if (c->agg.fn == AGG_COLLECT_LIST || c->agg.fn == AGG_COLLECT_SET ||
        c->agg.fn == AGG_MAX_BY || c->agg.fn == AGG_MIN_BY || c->agg.fn == AGG_PERCENTILE ||
        c->agg.fn == AGG_PERCENTILE_APPROX)
      return bind_error(b, ERR_UNSUPPORTED, a->pos,
                        "%s over a window is not supported by the local engine; use it in a "
                        "GROUP BY aggregate and join the result back.",
                        agg_fn_name(c->agg.fn));
    if (x->agg) {
      if (c->agg.arg && (rc = bind_expr_regroup(b, x->agg, x->sc, c->agg.arg, &c->agg.arg))) return rc;
      if (c->agg.filter && (rc = bind_expr_regroup(b, x->agg, x->sc, c->agg.filter, &c->agg.filter)))
        return rc;
    }
    c->type = c->agg.type;
    nullable = !(c->agg.fn == AGG_COUNT || c->agg.fn == AGG_COUNT_STAR);
  } else {
    const char *txt = bind_auto_name(b, a);
    return bind_error(b, ERR_SQL, a->pos,
                      "[UNSUPPORTED_EXPR_FOR_WINDOW] Expression \"%s\" not supported within a "
                      "window function.",
                      txt ? txt : name);
  }
  if (w->frame == AST_FRAME_NONE) {
    c->rows_frame = 0;
    c->start_kind = FRAME_UNBOUNDED_PRECEDING;
    c->end_kind = w->norder ? FRAME_CURRENT_ROW : FRAME_UNBOUNDED_FOLLOWING;
  } else {
    c->rows_frame = w->frame == AST_FRAME_ROWS;
    c->start_kind = bound_kind(w->start.kind);
    c->end_kind = bound_kind(w->end.kind);
    if (w->start.offset && (rc = bind_expr_const_int(b, w->start.offset, "frame boundary", &c->start_off)))
      return rc;
    if (w->end.offset && (rc = bind_expr_const_int(b, w->end.offset, "frame boundary", &c->end_off)))
      return rc;
  }
  wc.name = bind_auto_name(b, a);
  if (!wc.name) return bind_oom(b);
  wc.id = bind_new_id(b, wc.name);
  struct bind_win *v = x->win;
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 8;
    struct bind_win_call *nv = plan_alloc(b->ctx, sizeof *nv * (size_t)cap);
    if (!nv) return bind_oom(b);
    if (v->n) memcpy(nv, v->v, sizeof *nv * (size_t)v->n);
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = wc;
  if (!(*out = expr_col(b->ctx, wc.id, c->type, nullable))) return bind_oom(b);
  (*out)->pos = a->pos;
  return 0;
}

/* typeof(e): the bound argument's type name, a constant string (Spark folds it too). */
static int bind_typeof(struct bind *b, const struct ast_expr *a, struct expr **args, int n,
                       struct expr **out) {
  if (n != 1)
    return bind_error(b, ERR_SQL, a->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `typeof` requires 1 parameters but "
                      "the actual number is %d.",
                      n);
  char tmp[64];
  struct value v;
  memset(&v, 0, sizeof v);
  v.type = T(TYPE_STRING);
  v.s = plan_strdup(b->ctx, schema_type_name(args[0]->type, tmp));
  if (!v.s) return bind_oom(b);
  v.len = (uint32_t)strlen(v.s);
  if (!(*out = expr_lit(b->ctx, &v))) return bind_oom(b);
  (*out)->pos = a->pos;
  return 0;
}

/* The key names of agg joined with ',' (for mismatch messages). */
static void grouping_key_list(const struct bind_agg *g, char *buf, size_t cap) {
  size_t o = 0;
  buf[0] = '\0';
  for (int k = 0; k < g->nkeys && o + 1 < cap; k++)
    o += (size_t)snprintf(buf + o, cap - o, "%s%s", k ? "," : "", g->key_names[k]);
}

/* grouping(c) = bit nkeys-1-k of the grouping id (1: c is aggregated over,
 * not grouped by, in this row); grouping_id([c...]) = the grouping id.
 * Spark types grouping() TINYINT; INT here (no TINYINT type). */
static int bind_grouping(struct bind_ectx *x, const struct ast_expr *a, int is_id,
                         struct expr **out) {
  struct bind *b = x->b;
  const struct bind_agg *g = x->agg;
  if (!g || g->nsets == 0 || x->in_agg)
    return bind_error(b, ERR_SQL, a->pos,
                      "[UNSUPPORTED_GROUPING_EXPRESSION] grouping()/grouping_id() can only be used "
                      "with GroupingSets/Cube/Rollup.");
  int n = a->u.func.nargs, rc;
  if (!is_id && n != 1)
    return bind_error(b, ERR_SQL, a->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `grouping` requires 1 parameters "
                      "but the actual number is %d.",
                      n);
  int *kk = plan_alloc(b->ctx, sizeof(int) * (size_t)(n + 1));
  if (!kk) return bind_oom(b);
  for (int i = 0; i < n; i++) {
    struct bind_ectx ax = *x;
    ax.agg = NULL; /* the argument is a plain grouping expression */
    struct expr *e;
    if ((rc = bind_expr(&ax, a->u.func.args[i], &e))) return rc;
    kk[i] = -1;
    for (int k = 0; k < g->nkeys && kk[i] < 0; k++)
      if (bind_expr_equal(e, g->keys[k])) kk[i] = k;
    if (kk[i] < 0 && !is_id) {
      char keys[512];
      grouping_key_list(g, keys, sizeof keys);
      const char *txt = bind_auto_name(b, a->u.func.args[i]);
      return bind_error(b, ERR_SQL, a->pos,
                        "[GROUPING_COLUMN_MISMATCH] Column of grouping (%s) can't be found in "
                        "grouping columns %s.",
                        txt ? txt : "?", keys);
    }
  }
  struct expr *gid = expr_col(b->ctx, g->gid_id, T(TYPE_BIGINT), 0);
  if (!gid) return bind_oom(b);
  gid->pos = a->pos;
  if (is_id) {
    int same = n == 0 || n == g->nkeys;
    for (int i = 0; same && i < n; i++) same = kk[i] == i;
    if (!same) {
      char keys[512], args[512];
      grouping_key_list(g, keys, sizeof keys);
      size_t o = 0;
      args[0] = '\0';
      for (int i = 0; i < n && o + 1 < sizeof args; i++) {
        const char *t = bind_auto_name(b, a->u.func.args[i]);
        o += (size_t)snprintf(args + o, sizeof args - o, "%s%s", i ? "," : "", t ? t : "?");
      }
      return bind_error(b, ERR_SQL, a->pos,
                        "[GROUPING_ID_COLUMN_MISMATCH] Columns of grouping_id (%s) does not match "
                        "grouping columns (%s).",
                        args, keys);
    }
    *out = gid;
    return 0;
  }
  struct value v;
  memset(&v, 0, sizeof v);
  v.type = T(TYPE_BIGINT);
  v.i = (int64_t)1 << (g->nkeys - 1 - kk[0]);
  struct expr **a1 = plan_alloc(b->ctx, sizeof *a1 * 2), **a2 = plan_alloc(b->ctx, sizeof *a2 * 2);
  if (!a1 || !a2) return bind_oom(b);
  a1[0] = gid;
  if (!(a1[1] = expr_lit(b->ctx, &v))) return bind_oom(b);
  v.i = 2;
  if (!(a2[0] = expr_func(b->ctx, FN_IDIV, T(TYPE_BIGINT), a1, 2))) return bind_oom(b);
  if (!(a2[1] = expr_lit(b->ctx, &v))) return bind_oom(b);
  struct expr *bit = expr_func(b->ctx, FN_MOD, T(TYPE_BIGINT), a2, 2);
  if (!bit || !(*out = expr_cast(b->ctx, bit, T(TYPE_INT)))) return bind_oom(b);
  bit->nullable = 0;
  a2[0]->nullable = 0;
  (*out)->nullable = 0;
  (*out)->pos = a->pos;
  return 0;
}

int bind_call_func(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  const char *name = fname(a);
  enum agg_fn af;
  enum win_fn wf;
  int rc;
  if (a->u.func.over) return bind_window(x, a, out);
  if (a->u.func.name.n == 1 && (!strcasecmp(name, "grouping") || !strcasecmp(name, "grouping_id")))
    return bind_grouping(x, a, name[8] != '\0', out);
  if (funcs_agg(name, &af)) return bind_agg(x, a, af, out);
  if (funcs_window(name, &wf))
    return bind_error(b, ERR_SQL, a->pos,
                      "[WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE] Window function \"%s\" requires an "
                      "OVER clause.",
                      name);
  int n = a->u.func.nargs;
  struct expr **args = plan_alloc(b->ctx, sizeof *args * (size_t)(n + 1));
  const char **texts = plan_alloc(b->ctx, sizeof *texts * (size_t)(n + 1));
  if (!args || !texts) return bind_oom(b);
  for (int i = 0; i < n; i++) {
    const struct ast_expr *ai = a->u.func.args[i];
    if (i == 0 && ai->kind == AST_COL && ai->u.col.n == 1 &&
        funcs_date_unit_arg(name, n, ai->u.col.parts[0])) {
      /* timestampadd(HOUR, ...): the unit keyword, not a column */
      const char *u = ai->u.col.parts[0];
      if (!(args[i] = coerce_string(b->ctx, u, strlen(u)))) return bind_oom(b);
    } else if ((rc = bind_expr(x, ai, &args[i]))) {
      return rc;
    }
    if (!(texts[i] = bind_auto_name(b, ai))) return bind_oom(b);
  }
  const char *call = bind_auto_name(b, a);
  if (!call) return bind_oom(b);
  if (!strcasecmp(name, "typeof") && a->u.func.name.n == 1) return bind_typeof(b, a, args, n, out);
  if (x->clause && strcmp(x->clause, "SELECT") && a->u.func.name.n == 1 &&
      (!strcasecmp(name, "explode") || !strcasecmp(name, "posexplode") ||
       !strcasecmp(name, "explode_outer") || !strcasecmp(name, "posexplode_outer")))
    return bind_error(b, ERR_SQL, a->pos,
                      "[UNSUPPORTED_GENERATOR.OUTSIDE_SELECT] The generator is not supported: "
                      "outside the SELECT clause, found: \"%s\" in %s.",
                      call, x->clause);
  char msg[ERR_MSG_MAX];
  rc = funcs_scalar(b->ctx, name, args, n, call, texts, out, msg, sizeof msg);
  if (rc == ERR_NOTFOUND) {
    char q[600];
    bind_quote_name(&a->u.func.name, q, sizeof q);
    return bind_error(b, ERR_SQL, a->pos,
                      "[UNRESOLVED_ROUTINE] Cannot resolve function %s on search path "
                      "[`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].",
                      q);
  }
  if (rc == ERR_NOMEM) return bind_oom(b);
  if (rc) return bind_error(b, rc, a->pos, "%s", msg);
  if (a->u.func.distinct || a->u.func.filter)
    return bind_error(b, ERR_SQL, a->pos,
                      "DISTINCT and FILTER apply to aggregate functions only, not to `%s`.", name);
  if ((*out)->pos.line == 0) (*out)->pos = a->pos;
  return 0;
}

static struct expr *sub_node(struct bind *b, enum expr_kind k, struct type t, struct plan *p,
                             struct ast_pos pos) {
  struct expr *e = plan_alloc(b->ctx, sizeof *e);
  if (!e) return NULL;
  e->kind = k;
  e->type = t;
  e->nullable = 1;
  e->pos = pos;
  e->u.sub.plan = p;
  return e;
}

int bind_call_exists(struct bind_ectx *x, const struct ast_expr *a, int negated, struct expr **out) {
  struct plan *p;
  int rc = bind_query(x->b, a->u.subquery.query, x->sc, &p);
  if (rc) return rc;
  if (!(*out = sub_node(x->b, EXPR_EXISTS, T(TYPE_BOOLEAN), p, a->pos))) return bind_oom(x->b);
  (*out)->nullable = 0;
  (*out)->u.sub.negated = negated;
  return 0;
}

int bind_call_scalar(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct plan *p;
  int rc = bind_query(x->b, a->u.subquery.query, x->sc, &p);
  if (rc) return rc;
  if (p->ncols != 1)
    return bind_error(x->b, ERR_SQL, a->pos,
                      "[INVALID_SUBQUERY_EXPRESSION.SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_"
                      "COLUMN] Invalid subquery: Scalar subquery must return only one column, but "
                      "got %d.",
                      p->ncols);
  if (p->cols[0].type.id == TYPE_ARRAY) /* its value would travel in job descriptions */
    return bind_error(x->b, ERR_UNSUPPORTED, a->pos,
                      "A scalar subquery returning an array is not supported by the local "
                      "engine; join with the subquery instead.");
  if (!(*out = sub_node(x->b, EXPR_SUBQUERY, p->cols[0].type, p, a->pos))) return bind_oom(x->b);
  return 0;
}

int bind_call_in_query(struct bind_ectx *x, const struct ast_expr *a, int negated,
                       struct expr **out) {
  struct bind *b = x->b;
  struct expr *v;
  struct plan *p;
  int rc;
  if ((rc = bind_expr(x, a->u.in_query.arg, &v))) return rc;
  if ((rc = bind_query(b, a->u.in_query.query, x->sc, &p))) return rc;
  if (p->ncols != 1)
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.IN_SUBQUERY_LENGTH_MISMATCH] Cannot resolve IN "
                      "subquery: the number of columns in the left hand side of an IN subquery "
                      "does not match the number of columns in the output of subquery. Left "
                      "hand side columns(length: 1), right hand side columns(length: %d).",
                      p->ncols);
  struct expr *col = expr_col(b->ctx, p->cols[0].id, p->cols[0].type, p->cols[0].nullable);
  if (!col) return bind_oom(b);
  struct type t;
  if (coerce_compare(v, col, &t)) {
    char t1[32], t2[32];
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.IN_SUBQUERY_DATA_TYPE_MISMATCH] Cannot resolve IN "
                      "subquery: the data type of the left hand side (\"%s\") does not match the "
                      "subquery output (\"%s\").",
                      schema_type_sql(v->type, t1), schema_type_sql(col->type, t2));
  }
  if (t.id == TYPE_NULL) t = T(TYPE_INT);
  if (!(v = coerce_to(b->ctx, v, t))) return bind_oom(b);
  if (!coerce_type_eq(col->type, t)) {
    struct plan *pr = plan_new(b->ctx, PLAN_PROJECT, &p, 1, 1);
    struct expr **ex = plan_alloc(b->ctx, sizeof *ex);
    if (!pr || !ex || !(ex[0] = coerce_to(b->ctx, col, t))) return bind_oom(b);
    pr->u.project.exprs = ex;
    pr->cols[0] = p->cols[0];
    pr->cols[0].type = t;
    pr->cols[0].nullable = ex[0]->nullable;
    pr->cols[0].id = bind_new_id(b, p->cols[0].name);
    p = pr;
  }
  if (!(*out = sub_node(b, EXPR_IN_SUBQUERY, T(TYPE_BOOLEAN), p, a->pos))) return bind_oom(b);
  (*out)->u.sub.arg = v;
  (*out)->u.sub.negated = negated;
  return 0;
}
