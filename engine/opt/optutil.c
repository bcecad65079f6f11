/* optutil.c: helpers shared by the optimizer's rules (see optutil.h). */
#include "engine/opt/optutil.h"

#include <string.h>

#define OPTUTIL_ID_SLACK 64

int optutil_ids_init(struct plan_ctx *ctx, struct optutil_ids *s) {
  s->n = ctx->next_id + OPTUTIL_ID_SLACK;
  s->bits = plan_alloc(ctx, (size_t)s->n);
  return s->bits ? 0 : ERR_NOMEM;
}

void optutil_ids_add(struct optutil_ids *s, int id) {
  if (id >= 0 && id < s->n) s->bits[id] = 1;
}

int optutil_ids_has(const struct optutil_ids *s, int id) {
  return id >= 0 && id < s->n && s->bits[id];
}

int optutil_exprs_push(struct plan_ctx *ctx, struct optutil_exprs *a, struct expr *e) {
  if (a->n == a->cap) {
    int cap = a->cap ? a->cap * 2 : 8;
    struct expr **v = plan_alloc(ctx, sizeof(*v) * (size_t)cap);
    if (!v) return ERR_NOMEM;
    if (a->n) memcpy(v, a->v, sizeof(*v) * (size_t)a->n);
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = e;
  return 0;
}

int optutil_exprs_conjuncts(struct plan_ctx *ctx, struct optutil_exprs *a, struct expr *e) {
  if (!e) return 0;
  if (e->kind == EXPR_FUNC && e->u.func.fn == FN_AND) {
    for (int i = 0; i < e->u.func.nargs; i++) {
      int rc = optutil_exprs_conjuncts(ctx, a, e->u.func.args[i]);
      if (rc) return rc;
    }
    return 0;
  }
  return optutil_exprs_push(ctx, a, e);
}

static int slot(struct expr **s, optutil_slot_fn fn, void *arg) {
  return *s ? fn(s, arg) : 0;
}

static int agg_call_slots(struct plan_agg_call *c, optutil_slot_fn fn, void *arg) {
  int rc = slot(&c->arg, fn, arg);
  if (!rc) rc = slot(&c->filter, fn, arg);
  return rc;
}

int optutil_node_exprs(struct plan *p, optutil_slot_fn fn, void *arg) {
  int rc = 0;
  switch (p->kind) {
  case PLAN_SCAN:
    for (int i = 0; !rc && i < p->u.scan.nfilters; i++) rc = slot(&p->u.scan.filters[i], fn, arg);
    break;
  case PLAN_VALUES:
    for (int i = 0; !rc && i < p->u.values.nrows * p->ncols; i++)
      rc = slot(&p->u.values.cells[i], fn, arg);
    break;
  case PLAN_RANGE:
  case PLAN_LIMIT:
  case PLAN_UNION:
    break;
  case PLAN_FILTER:
    rc = slot(&p->u.filter.cond, fn, arg);
    break;
  case PLAN_PROJECT:
    for (int i = 0; !rc && i < p->ncols; i++) rc = slot(&p->u.project.exprs[i], fn, arg);
    break;
  case PLAN_AGG:
    for (int i = 0; !rc && i < p->u.agg.nkeys; i++) rc = slot(&p->u.agg.keys[i], fn, arg);
    for (int i = 0; !rc && i < p->u.agg.ncalls; i++) rc = agg_call_slots(&p->u.agg.calls[i], fn, arg);
    break;
  case PLAN_JOIN:
    for (int i = 0; !rc && i < p->u.join.nkeys; i++) {
      rc = slot(&p->u.join.left_keys[i], fn, arg);
      if (!rc) rc = slot(&p->u.join.right_keys[i], fn, arg);
    }
    if (!rc) rc = slot(&p->u.join.cond, fn, arg);
    break;
  case PLAN_SORT:
    for (int i = 0; !rc && i < p->u.sort.nkeys; i++) rc = slot(&p->u.sort.keys[i].expr, fn, arg);
    break;
  case PLAN_WINDOW:
    for (int i = 0; !rc && i < p->u.window.npartition; i++)
      rc = slot(&p->u.window.partition[i], fn, arg);
    for (int i = 0; !rc && i < p->u.window.norder; i++)
      rc = slot(&p->u.window.order[i].expr, fn, arg);
    for (int i = 0; !rc && i < p->u.window.ncalls; i++) {
      struct plan_win_call *c = &p->u.window.calls[i];
      rc = agg_call_slots(&c->agg, fn, arg);
      if (!rc) rc = slot(&c->arg, fn, arg);
      if (!rc) rc = slot(&c->dflt, fn, arg);
    }
    break;
  case PLAN_EXPAND:
    for (int i = 0; !rc && i < p->u.expand.nsets * p->ncols; i++)
      rc = slot(&p->u.expand.exprs[i], fn, arg);
    break;
  case PLAN_GENERATE: rc = slot(&p->u.generate.arg, fn, arg); break;
  }
  return rc;
}

int optutil_expr_walk(const struct expr *e, optutil_expr_fn fn, void *arg) {
  if (!e) return 0;
  int rc = fn(e, arg);
  if (rc) return rc;
  switch (e->kind) {
  case EXPR_LIT:
  case EXPR_COL:
  case EXPR_SUBQUERY:
  case EXPR_EXISTS:
    return 0;
  case EXPR_IN_SUBQUERY:
    return optutil_expr_walk(e->u.sub.arg, fn, arg);
  case EXPR_FUNC:
    for (int i = 0; i < e->u.func.nargs; i++) {
      rc = optutil_expr_walk(e->u.func.args[i], fn, arg);
      if (rc) return rc;
    }
    return 0;
  case EXPR_CASE:
    for (int i = 0; i < e->u.cases.n; i++) {
      rc = optutil_expr_walk(e->u.cases.when[i], fn, arg);
      if (!rc) rc = optutil_expr_walk(e->u.cases.then[i], fn, arg);
      if (rc) return rc;
    }
    return optutil_expr_walk(e->u.cases.otherwise, fn, arg);
  case EXPR_CAST:
    return optutil_expr_walk(e->u.cast.arg, fn, arg);
  case EXPR_IN_LIST:
    rc = optutil_expr_walk(e->u.in_list.arg, fn, arg);
    for (int i = 0; !rc && i < e->u.in_list.n; i++) rc = optutil_expr_walk(e->u.in_list.list[i], fn, arg);
    return rc;
  case EXPR_LIKE:
    return optutil_expr_walk(e->u.like.arg, fn, arg);
  }
  return 0;
}

struct ids_walk {
  struct plan_ctx *ctx;
  struct optutil_ids *s;
};

static int ids_cb(const struct expr *e, void *arg) {
  struct ids_walk *w = arg;
  if (e->kind == EXPR_COL) {
    optutil_ids_add(w->s, e->u.col.id);
  } else if (e->kind == EXPR_SUBQUERY || e->kind == EXPR_IN_SUBQUERY || e->kind == EXPR_EXISTS) {
    int *refs = NULL, n = 0;
    if (optutil_outer_refs(w->ctx, e->u.sub.plan, &refs, &n)) return ERR_NOMEM;
    for (int i = 0; i < n; i++) optutil_ids_add(w->s, refs[i]);
  }
  return 0;
}

int optutil_expr_ids(struct plan_ctx *ctx, const struct expr *e, struct optutil_ids *s) {
  struct ids_walk w = {ctx, s};
  return optutil_expr_walk(e, ids_cb, &w);
}

struct outer_walk {
  struct plan_ctx *ctx;
  struct optutil_ids used, made;
};

static int outer_slot(struct expr **slot_, void *arg) {
  struct outer_walk *w = arg;
  return optutil_expr_ids(w->ctx, *slot_, &w->used);
}

static int outer_node(struct outer_walk *w, struct plan *p, int depth) {
  if (depth > 100000) return 0;
  for (int i = 0; i < p->ncols; i++) optutil_ids_add(&w->made, p->cols[i].id);
  int rc = optutil_node_exprs(p, outer_slot, w);
  for (int i = 0; !rc && i < p->nchild; i++) rc = outer_node(w, p->child[i], depth + 1);
  return rc;
}

int optutil_outer_refs(struct plan_ctx *ctx, const struct plan *p, int **out, int *n) {
  struct outer_walk w;
  w.ctx = ctx;
  *out = NULL;
  *n = 0;
  if (optutil_ids_init(ctx, &w.used) || optutil_ids_init(ctx, &w.made)) return ERR_NOMEM;
  /* The walk only reads: the slot interface takes non-const pointers. */
  int rc = outer_node(&w, (struct plan *)p, 0);
  if (rc) return rc;
  int cnt = 0;
  for (int i = 0; i < w.used.n; i++)
    if (w.used.bits[i] && !w.made.bits[i]) cnt++;
  if (!cnt) return 0;
  int *v = plan_alloc(ctx, sizeof(int) * (size_t)cnt);
  if (!v) return ERR_NOMEM;
  cnt = 0;
  for (int i = 0; i < w.used.n; i++)
    if (w.used.bits[i] && !w.made.bits[i]) v[cnt++] = i;
  *out = v;
  *n = cnt;
  return 0;
}

static int has_sub_cb(const struct expr *e, void *arg) {
  (void)arg;
  return e->kind == EXPR_SUBQUERY || e->kind == EXPR_IN_SUBQUERY || e->kind == EXPR_EXISTS;
}

int optutil_has_subquery(const struct expr *e) {
  return optutil_expr_walk(e, has_sub_cb, NULL) != 0;
}

static int pred_sub_cb(const struct expr *e, void *arg) {
  if (e->kind == EXPR_IN_SUBQUERY || e->kind == EXPR_EXISTS) {
    *(const struct expr **)arg = e;
    return 1;
  }
  return 0;
}

int optutil_find_pred_subquery(const struct expr *e, const struct expr **where) {
  *where = NULL;
  return optutil_expr_walk(e, pred_sub_cb, (void *)where) != 0;
}

struct within_walk {
  struct plan_ctx *ctx;
  const struct optutil_ids *s;
};

static int within_cb(const struct expr *e, void *arg) {
  struct within_walk *w = arg;
  if (e->kind == EXPR_COL) return optutil_ids_has(w->s, e->u.col.id) ? 0 : 1;
  if (e->kind == EXPR_SUBQUERY || e->kind == EXPR_IN_SUBQUERY || e->kind == EXPR_EXISTS) {
    int *refs = NULL, n = 0;
    if (optutil_outer_refs(w->ctx, e->u.sub.plan, &refs, &n)) return 1;
    for (int i = 0; i < n; i++)
      if (!optutil_ids_has(w->s, refs[i])) return 1;
  }
  return 0;
}

int optutil_expr_within(struct plan_ctx *ctx, const struct expr *e, const struct optutil_ids *s) {
  struct within_walk w = {ctx, s};
  return optutil_expr_walk(e, within_cb, &w) == 0;
}

static struct expr **subst_array(struct plan_ctx *ctx, struct expr *const *a, int n, const int *from,
                                 struct expr *const *to, int nmap, int *oom) {
  if (n <= 0) return NULL;
  struct expr **v = plan_alloc(ctx, sizeof(*v) * (size_t)n);
  if (!v) {
    *oom = 1;
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    if (!a[i]) continue;
    v[i] = optutil_subst(ctx, a[i], from, to, nmap);
    if (!v[i]) *oom = 1;
  }
  return v;
}

struct expr *optutil_subst(struct plan_ctx *ctx, const struct expr *e, const int *from,
                           struct expr *const *to, int n) {
  if (e->kind == EXPR_COL) {
    for (int i = 0; i < n; i++)
      if (from[i] == e->u.col.id) return optutil_subst(ctx, to[i], NULL, NULL, 0);
  }
  struct expr *c = plan_alloc(ctx, sizeof(*c));
  if (!c) return NULL;
  *c = *e;
  int oom = 0;
  switch (e->kind) {
  case EXPR_LIT:
  case EXPR_SUBQUERY:
  case EXPR_EXISTS:
    break;
  case EXPR_COL:
    c->u.col.index = -1;
    break;
  case EXPR_IN_SUBQUERY:
    if (e->u.sub.arg) {
      c->u.sub.arg = optutil_subst(ctx, e->u.sub.arg, from, to, n);
      if (!c->u.sub.arg) oom = 1;
    }
    break;
  case EXPR_FUNC:
    c->u.func.args = subst_array(ctx, e->u.func.args, e->u.func.nargs, from, to, n, &oom);
    break;
  case EXPR_CASE:
    c->u.cases.when = subst_array(ctx, e->u.cases.when, e->u.cases.n, from, to, n, &oom);
    c->u.cases.then = subst_array(ctx, e->u.cases.then, e->u.cases.n, from, to, n, &oom);
    if (e->u.cases.otherwise) {
      c->u.cases.otherwise = optutil_subst(ctx, e->u.cases.otherwise, from, to, n);
      if (!c->u.cases.otherwise) oom = 1;
    }
    break;
  case EXPR_CAST:
    c->u.cast.arg = optutil_subst(ctx, e->u.cast.arg, from, to, n);
    if (!c->u.cast.arg) oom = 1;
    break;
  case EXPR_IN_LIST:
    c->u.in_list.arg = optutil_subst(ctx, e->u.in_list.arg, from, to, n);
    if (!c->u.in_list.arg) oom = 1;
    c->u.in_list.list = subst_array(ctx, e->u.in_list.list, e->u.in_list.n, from, to, n, &oom);
    break;
  case EXPR_LIKE:
    c->u.like.arg = optutil_subst(ctx, e->u.like.arg, from, to, n);
    if (!c->u.like.arg) oom = 1;
    break;
  }
  return oom ? NULL : c;
}

struct expr *optutil_bool(struct plan_ctx *ctx, int v) {
  struct value val;
  memset(&val, 0, sizeof(val));
  val.type.id = TYPE_BOOLEAN;
  val.i = v ? 1 : 0;
  struct expr *e = expr_lit(ctx, &val);
  if (e) {
    e->type.id = TYPE_BOOLEAN;
    e->nullable = 0;
  }
  return e;
}

int optutil_is_true(const struct expr *e) {
  return e && e->kind == EXPR_LIT && !e->u.lit.is_null && e->type.id == TYPE_BOOLEAN && e->u.lit.i;
}

int optutil_is_false_or_null(const struct expr *e) {
  return e && e->kind == EXPR_LIT &&
         (e->u.lit.is_null || (e->type.id == TYPE_BOOLEAN && !e->u.lit.i));
}

struct expr *optutil_eq(struct plan_ctx *ctx, struct expr *a, struct expr *b, int null_safe) {
  struct expr *args[2] = {a, b};
  struct type t = {TYPE_BOOLEAN, 0, 0};
  struct expr *e = expr_func(ctx, null_safe ? FN_NSEQ : FN_EQ, t, args, 2);
  if (e) e->nullable = null_safe ? 0 : (a->nullable || b->nullable);
  return e;
}

struct expr *optutil_colref(struct plan_ctx *ctx, const struct plan_col *c) {
  return expr_col(ctx, c->id, c->type, c->nullable);
}

struct plan *optutil_filter(struct plan_ctx *ctx, struct plan *child, struct expr **c, int n) {
  if (n <= 0) return child;
  struct expr *cond = n == 1 ? c[0] : expr_and(ctx, c, n);
  if (!cond) return NULL;
  struct plan *f = plan_new(ctx, PLAN_FILTER, &child, 1, child->ncols);
  if (!f) return NULL;
  if (child->ncols) memcpy(f->cols, child->cols, sizeof(*f->cols) * (size_t)child->ncols);
  f->u.filter.cond = cond;
  f->est_rows = f->est_bytes = -1;
  return f;
}

struct plan *optutil_passthrough(struct plan_ctx *ctx, struct plan *child,
                                 const struct plan_col *cols, int n) {
  struct plan *p = plan_new(ctx, PLAN_PROJECT, &child, 1, n);
  if (!p) return NULL;
  if (n) memcpy(p->cols, cols, sizeof(*p->cols) * (size_t)n);
  p->u.project.exprs = plan_alloc(ctx, sizeof(struct expr *) * (size_t)(n ? n : 1));
  if (!p->u.project.exprs) return NULL;
  for (int i = 0; i < n; i++) {
    p->u.project.exprs[i] = optutil_colref(ctx, &cols[i]);
    if (!p->u.project.exprs[i]) return NULL;
  }
  p->est_rows = p->est_bytes = -1;
  return p;
}

int optutil_join_cols(struct plan_ctx *ctx, struct plan *j) {
  struct plan *l = j->child[0], *r = j->child[1];
  int semi = j->u.join.type == JOIN_SEMI || j->u.join.type == JOIN_ANTI;
  int n = l->ncols + (semi ? 0 : r->ncols);
  struct plan_col *c = plan_alloc(ctx, sizeof(*c) * (size_t)(n ? n : 1));
  if (!c) return ERR_NOMEM;
  if (l->ncols) memcpy(c, l->cols, sizeof(*c) * (size_t)l->ncols);
  if (!semi && r->ncols) memcpy(c + l->ncols, r->cols, sizeof(*c) * (size_t)r->ncols);
  /* Outer joins make the inner side's columns nullable. */
  if (j->u.join.type == JOIN_LEFT || j->u.join.type == JOIN_FULL)
    for (int i = l->ncols; i < n; i++) c[i].nullable = 1;
  if (j->u.join.type == JOIN_RIGHT || j->u.join.type == JOIN_FULL)
    for (int i = 0; i < l->ncols; i++) c[i].nullable = 1;
  j->cols = c;
  j->ncols = n;
  return 0;
}

int optutil_same_ids(const struct plan *p, const struct plan_col *cols, int n) {
  if (p->ncols != n) return 0;
  for (int i = 0; i < n; i++)
    if (p->cols[i].id != cols[i].id) return 0;
  return 1;
}

int optutil_type_eq(struct type a, struct type b) {
  return a.id == b.id && a.precision == b.precision && a.scale == b.scale;
}
