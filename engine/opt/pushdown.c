/* pushdown.c: predicate push-down (pushdown.h). */
#include "engine/opt/pushdown.h"

#include <string.h>

#include "engine/opt/optutil.h"

#define PUSHDOWN_MAX_DEPTH 5000

struct pd {
  struct plan_ctx *ctx;
};

static int push(struct pd *d, struct plan *p, struct optutil_exprs *preds, struct plan **out,
                int depth);

static int ids_of_plan(struct plan_ctx *ctx, const struct plan *p, struct optutil_ids *s) {
  if (optutil_ids_init(ctx, s)) return ERR_NOMEM;
  for (int i = 0; i < p->ncols; i++) optutil_ids_add(s, p->cols[i].id);
  return 0;
}

static int push_child(struct pd *d, struct plan *p, int i, struct optutil_exprs *preds, int depth) {
  struct optutil_exprs none = {0};
  return push(d, p->child[i], preds ? preds : &none, &p->child[i], depth + 1);
}

static int push_all_children(struct pd *d, struct plan *p, int depth) {
  for (int i = 0; i < p->nchild; i++) {
    int rc = push_child(d, p, i, NULL, depth);
    if (rc) return rc;
  }
  return 0;
}

static int wrap(struct pd *d, struct plan *p, struct optutil_exprs *stay, struct plan **out) {
  *out = optutil_filter(d->ctx, p, stay->v, stay->n);
  return *out ? 0 : ERR_NOMEM;
}

/* If c is `a = b` (or <=>) with a over one side and b over the other, the
 * key pair oriented left/right. */
static int as_key(struct plan_ctx *ctx, struct expr *c, const struct optutil_ids *l,
                  const struct optutil_ids *r, struct expr **lk, struct expr **rk, int *ns) {
  if (c->kind != EXPR_FUNC || (c->u.func.fn != FN_EQ && c->u.func.fn != FN_NSEQ) ||
      c->u.func.nargs != 2)
    return 0;
  struct expr *a = c->u.func.args[0], *b = c->u.func.args[1];
  if (a->kind == EXPR_LIT || b->kind == EXPR_LIT) return 0;
  if (optutil_has_subquery(a) || optutil_has_subquery(b)) return 0;
  *ns = c->u.func.fn == FN_NSEQ;
  if (optutil_expr_within(ctx, a, l) && optutil_expr_within(ctx, b, r)) {
    *lk = a;
    *rk = b;
    return 1;
  }
  if (optutil_expr_within(ctx, b, l) && optutil_expr_within(ctx, a, r)) {
    *lk = b;
    *rk = a;
    return 1;
  }
  return 0;
}

static int add_key(struct plan_ctx *ctx, struct plan *j, struct expr *lk, struct expr *rk, int ns) {
  int n = j->u.join.nkeys + 1;
  struct expr **l = plan_alloc(ctx, sizeof(*l) * (size_t)n);
  struct expr **r = plan_alloc(ctx, sizeof(*r) * (size_t)n);
  int *s = plan_alloc(ctx, sizeof(int) * (size_t)n);
  if (!l || !r || !s) return ERR_NOMEM;
  for (int i = 0; i < n - 1; i++) {
    l[i] = j->u.join.left_keys[i];
    r[i] = j->u.join.right_keys[i];
    s[i] = j->u.join.null_safe ? j->u.join.null_safe[i] : 0;
  }
  l[n - 1] = lk;
  r[n - 1] = rk;
  s[n - 1] = ns;
  j->u.join.left_keys = l;
  j->u.join.right_keys = r;
  j->u.join.null_safe = s;
  j->u.join.nkeys = n;
  return 0;
}

/* Move semi/anti join j below the inner joins of its left input, to the
 * input holding every left column it tests. */
static int sink_semi(struct pd *d, struct plan *j, struct plan **out, int depth) {
  struct plan_ctx *ctx = d->ctx;
  *out = j;
  struct plan *L = j->child[0];
  if (depth > PUSHDOWN_MAX_DEPTH || L->kind != PLAN_JOIN ||
      (L->u.join.type != JOIN_INNER && L->u.join.type != JOIN_CROSS))
    return 0;
  for (int side = 0; side < 2; side++) {
    struct plan *A = L->child[side];
    struct optutil_ids a, ar;
    if (ids_of_plan(ctx, A, &a) || ids_of_plan(ctx, A, &ar)) return ERR_NOMEM;
    for (int i = 0; i < j->child[1]->ncols; i++) optutil_ids_add(&ar, j->child[1]->cols[i].id);
    int ok = 1;
    for (int k = 0; ok && k < j->u.join.nkeys; k++)
      ok = optutil_expr_within(ctx, j->u.join.left_keys[k], &a);
    if (ok && j->u.join.cond) ok = optutil_expr_within(ctx, j->u.join.cond, &ar);
    if (!ok) continue;
    j->child[0] = A;
    if (optutil_join_cols(ctx, j)) return ERR_NOMEM;
    struct plan *moved;
    int rc = sink_semi(d, j, &moved, depth + 1);
    if (rc) return rc;
    L->child[side] = moved;
    *out = L;
    return 0;
  }
  return 0;
}

static int push_join(struct pd *d, struct plan *p, struct optutil_exprs *preds, struct plan **out,
                     int depth) {
  struct plan_ctx *ctx = d->ctx;
  struct optutil_ids l, r;
  if (ids_of_plan(ctx, p->child[0], &l) || ids_of_plan(ctx, p->child[1], &r)) return ERR_NOMEM;
  struct optutil_exprs down[2] = {{0}, {0}}, stay = {0}, cond = {0}, own = {0};
  enum plan_join_type t = p->u.join.type;
  if (optutil_exprs_conjuncts(ctx, &own, p->u.join.cond)) return ERR_NOMEM;
  int rc = 0;

  /* conjuncts from the Filter above */
  for (int i = 0; i < preds->n && !rc; i++) {
    struct expr *c = preds->v[i];
    int inl = optutil_expr_within(ctx, c, &l), inr = optutil_expr_within(ctx, c, &r);
    int to_l = inl && (t == JOIN_INNER || t == JOIN_CROSS || t == JOIN_LEFT || t == JOIN_SEMI ||
                       t == JOIN_ANTI);
    int to_r = !to_l && inr && (t == JOIN_INNER || t == JOIN_CROSS || t == JOIN_RIGHT);
    if (to_l) rc = optutil_exprs_push(ctx, &down[0], c);
    else if (to_r) rc = optutil_exprs_push(ctx, &down[1], c);
    else if ((t == JOIN_INNER || t == JOIN_CROSS) && !optutil_has_subquery(c))
      rc = optutil_exprs_push(ctx, &own, c); /* becomes part of the join */
    else rc = optutil_exprs_push(ctx, &stay, c);
  }
  if (rc) return rc;

  /* the join's own condition */
  p->u.join.cond = NULL;
  for (int i = 0; i < own.n && !rc; i++) {
    struct expr *c = own.v[i];
    int sub = optutil_has_subquery(c);
    int inl = !sub && optutil_expr_within(ctx, c, &l), inr = !sub && optutil_expr_within(ctx, c, &r);
    struct expr *lk, *rk;
    int ns;
    if (inl && (t == JOIN_INNER || t == JOIN_CROSS || t == JOIN_RIGHT || t == JOIN_SEMI))
      rc = optutil_exprs_push(ctx, &down[0], c);
    else if (inr && (t == JOIN_INNER || t == JOIN_CROSS || t == JOIN_LEFT || t == JOIN_SEMI ||
                     t == JOIN_ANTI))
      rc = optutil_exprs_push(ctx, &down[1], c);
    else if (!sub && !(p->u.join.null_aware && p->u.join.nkeys) &&
             as_key(ctx, c, &l, &r, &lk, &rk, &ns))
      rc = add_key(ctx, p, lk, rk, ns); /* any join type: hash join instead of nested loop */
    else rc = optutil_exprs_push(ctx, &cond, c);
  }
  if (rc) return rc;
  if (cond.n) {
    p->u.join.cond = expr_and(ctx, cond.v, cond.n);
    if (!p->u.join.cond) return ERR_NOMEM;
  }
  if (t == JOIN_CROSS && (p->u.join.nkeys || p->u.join.cond)) p->u.join.type = JOIN_INNER;
  if (t == JOIN_INNER && !p->u.join.nkeys && !p->u.join.cond) p->u.join.type = JOIN_CROSS;

  if ((rc = push_child(d, p, 0, &down[0], depth))) return rc;
  if ((rc = push_child(d, p, 1, &down[1], depth))) return rc;
  struct plan *res = p;
  if (t == JOIN_SEMI || t == JOIN_ANTI)
    if ((rc = sink_semi(d, p, &res, 0))) return rc;
  return wrap(d, res, &stay, out);
}

static int push(struct pd *d, struct plan *p, struct optutil_exprs *preds, struct plan **out,
                int depth) {
  struct plan_ctx *ctx = d->ctx;
  int rc = 0;
  *out = p;
  if (depth > PUSHDOWN_MAX_DEPTH) return wrap(d, p, preds, out);
  struct optutil_exprs down = {0}, stay = {0};
  switch (p->kind) {
  case PLAN_FILTER: {
    struct optutil_exprs all = {0};
    for (int i = 0; i < preds->n && !rc; i++) rc = optutil_exprs_push(ctx, &all, preds->v[i]);
    if (!rc) rc = optutil_exprs_conjuncts(ctx, &all, p->u.filter.cond);
    if (rc) return rc;
    return push(d, p->child[0], &all, out, depth + 1);
  }
  case PLAN_PROJECT: {
    int n = p->ncols;
    int *from = plan_alloc(ctx, sizeof(int) * (size_t)(n ? n : 1));
    struct optutil_ids subq; /* outputs computed with a subquery */
    if (!from || optutil_ids_init(ctx, &subq)) return ERR_NOMEM;
    for (int i = 0; i < n; i++) {
      from[i] = p->cols[i].id;
      if (optutil_has_subquery(p->u.project.exprs[i])) optutil_ids_add(&subq, p->cols[i].id);
    }
    for (int i = 0; i < preds->n && !rc; i++) {
      struct optutil_ids used;
      if (optutil_ids_init(ctx, &used) || optutil_expr_ids(ctx, preds->v[i], &used)) return ERR_NOMEM;
      int blocked = 0;
      for (int k = 0; k < used.n && !blocked; k++) blocked = used.bits[k] && subq.bits[k];
      if (blocked) {
        rc = optutil_exprs_push(ctx, &stay, preds->v[i]);
        continue;
      }
      struct expr *s = optutil_subst(ctx, preds->v[i], from, p->u.project.exprs, n);
      if (!s) return ERR_NOMEM;
      rc = optutil_exprs_push(ctx, &down, s);
    }
    if (rc || (rc = push_child(d, p, 0, &down, depth))) return rc;
    return wrap(d, p, &stay, out);
  }
  case PLAN_JOIN:
    return push_join(d, p, preds, out, depth);
  case PLAN_AGG: {
    struct optutil_ids keys;
    if (optutil_ids_init(ctx, &keys)) return ERR_NOMEM;
    int nk = p->u.agg.nkeys;
    int *from = plan_alloc(ctx, sizeof(int) * (size_t)(nk ? nk : 1));
    if (!from) return ERR_NOMEM;
    for (int i = 0; i < nk; i++) {
      from[i] = p->cols[i].id;
      optutil_ids_add(&keys, p->cols[i].id);
    }
    for (int i = 0; i < preds->n && !rc; i++) {
      struct expr *c = preds->v[i];
      if (nk > 0 && !optutil_has_subquery(c) && optutil_expr_within(ctx, c, &keys)) {
        struct expr *s = optutil_subst(ctx, c, from, p->u.agg.keys, nk);
        if (!s) return ERR_NOMEM;
        rc = optutil_exprs_push(ctx, &down, s);
      } else {
        rc = optutil_exprs_push(ctx, &stay, c);
      }
    }
    if (rc || (rc = push_child(d, p, 0, &down, depth))) return rc;
    return wrap(d, p, &stay, out);
  }
  case PLAN_UNION: {
    int n = p->ncols;
    int *from = plan_alloc(ctx, sizeof(int) * (size_t)(n ? n : 1));
    struct expr **to = plan_alloc(ctx, sizeof(*to) * (size_t)(n ? n : 1));
    if (!from || !to) return ERR_NOMEM;
    for (int i = 0; i < n; i++) from[i] = p->cols[i].id;
    for (int i = 0; i < preds->n && !rc; i++)
      if (optutil_has_subquery(preds->v[i])) rc = optutil_exprs_push(ctx, &stay, preds->v[i]);
    if (rc) return rc;
    for (int c = 0; c < p->nchild; c++) {
      struct plan *ch = p->child[c];
      if (ch->ncols != n) return ERR_INVAL;
      for (int i = 0; i < n; i++) {
        to[i] = optutil_colref(ctx, &ch->cols[i]);
        if (!to[i]) return ERR_NOMEM;
      }
      struct optutil_exprs cd = {0};
      for (int i = 0; i < preds->n && !rc; i++) {
        if (optutil_has_subquery(preds->v[i])) continue;
        struct expr *s = optutil_subst(ctx, preds->v[i], from, to, n);
        if (!s) return ERR_NOMEM;
        rc = optutil_exprs_push(ctx, &cd, s);
      }
      if (rc || (rc = push_child(d, p, c, &cd, depth))) return rc;
    }
    return wrap(d, p, &stay, out);
  }
  case PLAN_SORT:
    if (p->u.sort.limit < 0) {
      if ((rc = push_child(d, p, 0, preds, depth))) return rc;
      return 0;
    }
    break;
  case PLAN_WINDOW: {
    struct optutil_ids part;
    if (optutil_ids_init(ctx, &part)) return ERR_NOMEM;
    for (int i = 0; i < p->u.window.npartition; i++)
      if (p->u.window.partition[i]->kind == EXPR_COL)
        optutil_ids_add(&part, p->u.window.partition[i]->u.col.id);
    for (int i = 0; i < preds->n && !rc; i++) {
      struct expr *c = preds->v[i];
      int ok = p->u.window.npartition > 0 && !optutil_has_subquery(c) &&
               optutil_expr_within(ctx, c, &part);
      rc = optutil_exprs_push(ctx, ok ? &down : &stay, c);
    }
    if (rc || (rc = push_child(d, p, 0, &down, depth))) return rc;
    return wrap(d, p, &stay, out);
  }
  case PLAN_GENERATE: {
    /* Only conditions on the child's columns go below: one on a generated
     * column (the element, its position) must see the generated rows. */
    struct optutil_ids in;
    if (optutil_ids_init(ctx, &in)) return ERR_NOMEM;
    for (int i = 0; i < p->child[0]->ncols; i++) optutil_ids_add(&in, p->child[0]->cols[i].id);
    for (int i = 0; i < preds->n && !rc; i++) {
      struct expr *c = preds->v[i];
      int ok = !optutil_has_subquery(c) && optutil_expr_within(ctx, c, &in);
      rc = optutil_exprs_push(ctx, ok ? &down : &stay, c);
    }
    if (rc || (rc = push_child(d, p, 0, &down, depth))) return rc;
    return wrap(d, p, &stay, out);
  }
  case PLAN_SCAN: {
    int add = 0;
    for (int i = 0; i < preds->n; i++)
      if (!optutil_has_subquery(preds->v[i])) add++;
    if (add) {
      int n = p->u.scan.nfilters + add;
      struct expr **f = plan_alloc(ctx, sizeof(*f) * (size_t)n);
      if (!f) return ERR_NOMEM;
      int k = 0;
      for (int i = 0; i < p->u.scan.nfilters; i++) f[k++] = p->u.scan.filters[i];
      for (int i = 0; i < preds->n; i++)
        if (!optutil_has_subquery(preds->v[i])) f[k++] = preds->v[i];
      p->u.scan.filters = f;
      p->u.scan.nfilters = k;
    }
    for (int i = 0; i < preds->n && !rc; i++)
      if (optutil_has_subquery(preds->v[i])) rc = optutil_exprs_push(ctx, &stay, preds->v[i]);
    if (rc) return rc;
    return wrap(d, p, &stay, out);
  }
  default:
    break;
  }
  /* no push-down through this node: its inputs start afresh */
  if ((rc = push_all_children(d, p, depth))) return rc;
  return wrap(d, p, preds, out);
}

int pushdown_run(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e) {
  struct pd d = {ctx};
  struct optutil_exprs none = {0};
  int rc = push(&d, p, &none, out, 0);
  if (rc == ERR_INVAL) return err_set(e, rc, "optimizer: union inputs disagree in width");
  if (rc) return err_set(e, rc, "out of memory during predicate push-down");
  return 0;
}
