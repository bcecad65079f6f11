/* subquery.c: IN / EXISTS subqueries to semi and anti joins (subquery.h). */
#include "engine/opt/subquery.h"

#include <string.h>

#include "engine/opt/optutil.h"

#define SUBQUERY_MAX_DEPTH 2000

struct sq {
  struct plan_ctx *ctx;
  struct err *e;
};

static int unsupported(struct err *e, struct ast_pos pos, const char *msg) {
  int rc;
  if (pos.line > 0)
    rc = err_set_at(e, ERR_UNSUPPORTED, pos.line, pos.column, "%s", msg);
  else
    rc = err_set(e, ERR_UNSUPPORTED, "%s", msg);
  err_set_ename(e, "AnalysisException");
  return rc;
}

/* ---- checks on expressions that are not rewritten ---- */

struct check {
  struct sq *s;
  int rc;
};

static int check_cb(const struct expr *x, void *arg) {
  struct check *c = arg;
  if (x->kind == EXPR_IN_SUBQUERY || x->kind == EXPR_EXISTS) {
    c->rc = unsupported(c->s->e, x->pos,
                        x->kind == EXPR_EXISTS
                            ? "EXISTS subqueries are only supported as a top-level AND condition "
                              "of WHERE or HAVING (not under OR, NOT of a compound condition, or "
                              "in a SELECT list); rewrite the query with a join"
                            : "IN (subquery) is only supported as a top-level AND condition of "
                              "WHERE or HAVING (not under OR or in a SELECT list); rewrite the "
                              "query with a join");
    return 1;
  }
  if (x->kind == EXPR_SUBQUERY) {
    int *refs = NULL, n = 0;
    if (optutil_outer_refs(c->s->ctx, x->u.sub.plan, &refs, &n)) {
      c->rc = err_set(c->s->e, ERR_NOMEM, "out of memory");
      return 1;
    }
    if (n > 0) {
      c->rc = unsupported(c->s->e, x->pos, "correlated scalar subqueries are not supported");
      return 1;
    }
  }
  return 0;
}

static int check_expr(struct sq *s, const struct expr *x) {
  struct check c = {s, 0};
  optutil_expr_walk(x, check_cb, &c);
  return c.rc;
}

static int check_slot(struct expr **slot, void *arg) {
  return check_expr(arg, *slot);
}

/* ---- pulling correlated predicates out of a subquery plan ---- */

struct pull {
  struct sq *s;
  struct optutil_ids outer;   /* the outer references */
  struct optutil_exprs got;   /* pulled conjuncts */
};

static int refs_outer(struct pull *pl, const struct expr *x, int *yes) {
  struct optutil_ids ids;
  if (optutil_ids_init(pl->s->ctx, &ids) || optutil_expr_ids(pl->s->ctx, x, &ids)) return ERR_NOMEM;
  *yes = 0;
  for (int i = 0; i < ids.n && i < pl->outer.n; i++)
    if (ids.bits[i] && pl->outer.bits[i]) {
      *yes = 1;
      break;
    }
  return 0;
}

struct need_walk {
  struct pull *pl;
  struct plan *proj;
  struct plan_col *extra;
  int nextra;
};

/* Make every inner column the pulled predicates since index `from` read
 * visible through project p (appended as pass-through columns). */
static int expose_through_project(struct pull *pl, struct plan *p, int from) {
  struct plan_ctx *ctx = pl->s->ctx;
  struct plan *child = p->child[0];
  struct optutil_ids ids;
  if (optutil_ids_init(ctx, &ids)) return ERR_NOMEM;
  for (int i = from; i < pl->got.n; i++)
    if (optutil_expr_ids(ctx, pl->got.v[i], &ids)) return ERR_NOMEM;
  int add = 0;
  for (int i = 0; i < child->ncols; i++) {
    int id = child->cols[i].id;
    if (optutil_ids_has(&ids, id) && plan_find_id(p, id) < 0) add++;
  }
  if (!add) return 0;
  int n = p->ncols + add;
  struct plan_col *cols = plan_alloc(ctx, sizeof(*cols) * (size_t)n);
  struct expr **ex = plan_alloc(ctx, sizeof(*ex) * (size_t)n);
  if (!cols || !ex) return ERR_NOMEM;
  memcpy(cols, p->cols, sizeof(*cols) * (size_t)p->ncols);
  memcpy(ex, p->u.project.exprs, sizeof(*ex) * (size_t)p->ncols);
  int k = p->ncols;
  for (int i = 0; i < child->ncols; i++) {
    int id = child->cols[i].id;
    if (optutil_ids_has(&ids, id) && plan_find_id(p, id) < 0) {
      cols[k] = child->cols[i];
      ex[k] = optutil_colref(ctx, &child->cols[i]);
      if (!ex[k]) return ERR_NOMEM;
      k++;
    }
  }
  p->cols = cols;
  p->ncols = n;
  p->u.project.exprs = ex;
  return 0;
}

static int pull_rec(struct pull *pl, struct plan *p, struct plan **out, int depth) {
  struct plan_ctx *ctx = pl->s->ctx;
  int rc;
  *out = p;
  if (depth > SUBQUERY_MAX_DEPTH) return 0;
  switch (p->kind) {
  case PLAN_FILTER: {
    struct plan *c;
    if ((rc = pull_rec(pl, p->child[0], &c, depth + 1))) return rc;
    p->child[0] = c;
    p->cols = c->cols;
    p->ncols = c->ncols;
    struct optutil_exprs cj = {0};
    if (optutil_exprs_conjuncts(ctx, &cj, p->u.filter.cond)) return ERR_NOMEM;
    struct optutil_exprs keep = {0};
    for (int i = 0; i < cj.n; i++) {
      int yes;
      if ((rc = refs_outer(pl, cj.v[i], &yes))) return rc;
      if (optutil_exprs_push(ctx, yes ? &pl->got : &keep, cj.v[i])) return ERR_NOMEM;
    }
    if (keep.n == cj.n) return 0;
    if (keep.n == 0) {
      *out = c;
      return 0;
    }
    p->u.filter.cond = expr_and(ctx, keep.v, keep.n);
    return p->u.filter.cond ? 0 : ERR_NOMEM;
  }
  case PLAN_PROJECT: {
    int from = pl->got.n;
    struct plan *c;
    if ((rc = pull_rec(pl, p->child[0], &c, depth + 1))) return rc;
    p->child[0] = c;
    return expose_through_project(pl, p, from);
  }
  case PLAN_SORT:
    if (p->u.sort.limit >= 0) return 0;
    {
      struct plan *c;
      if ((rc = pull_rec(pl, p->child[0], &c, depth + 1))) return rc;
      p->child[0] = c;
      p->cols = c->cols;
      p->ncols = c->ncols;
    }
    return 0;
  case PLAN_JOIN: {
    /* A predicate may move above a join from an input whose rows the join
     * never invents (both sides of an inner join, the preserved side of an
     * outer join, the left of a semi/anti join). */
    int l = 0, r = 0;
    switch (p->u.join.type) {
    case JOIN_INNER: case JOIN_CROSS: l = r = 1; break;
    case JOIN_LEFT: case JOIN_SEMI: case JOIN_ANTI: l = 1; break;
    case JOIN_RIGHT: r = 1; break;
    case JOIN_FULL: break;
    }
    for (int i = 0; i < 2; i++) {
      if (!(i ? r : l)) continue;
      struct plan *c;
      if ((rc = pull_rec(pl, p->child[i], &c, depth + 1))) return rc;
      p->child[i] = c;
    }
    if ((l || r) && p->u.join.type == JOIN_INNER && p->u.join.nkeys == 0 && !p->u.join.cond)
      p->u.join.type = JOIN_CROSS;
    return optutil_join_cols(ctx, p);
  }
  default:
    return 0;
  }
}

/* Set pl up to pull subquery q's correlated conditions up to a join with
 * left: pl->outer gets q's references to outer columns (*nrefs of them),
 * which must all be left's (pos: the subquery, for the error). */
static int pull_start(struct sq *s, struct plan *q, const struct plan *left, struct ast_pos pos,
                      struct pull *pl, int *nrefs) {
  memset(pl, 0, sizeof(*pl));
  pl->s = s;
  int *refs = NULL;
  *nrefs = 0;
  if (optutil_ids_init(s->ctx, &pl->outer) || optutil_outer_refs(s->ctx, q, &refs, nrefs))
    return err_set(s->e, ERR_NOMEM, "out of memory");
  for (int i = 0; i < *nrefs; i++) {
    if (plan_find_id(left, refs[i]) < 0)
      return unsupported(s->e, pos,
                         "this subquery refers to a column of a query other than the one "
                         "directly enclosing it; such nested correlation is not supported");
    optutil_ids_add(&pl->outer, refs[i]);
  }
  return 0;
}

/* ---- building the joins ---- */

static int within_plan(struct plan_ctx *ctx, const struct expr *x, const struct plan *p, int *yes) {
  struct optutil_ids ids;
  if (optutil_ids_init(ctx, &ids)) return ERR_NOMEM;
  for (int i = 0; i < p->ncols; i++) optutil_ids_add(&ids, p->cols[i].id);
  *yes = optutil_expr_within(ctx, x, &ids);
  return 0;
}

/* Turn conjunct `sub` (IN_SUBQUERY or EXISTS, negation folded into neg)
 * into a semi/anti join over left. */
static int build_join(struct sq *s, struct plan *left, const struct expr *sub, int neg,
                      struct plan **out, int depth);

static int rewrite_rec(struct sq *s, struct plan *p, struct plan **out, int depth);

static int build_join(struct sq *s, struct plan *left, const struct expr *sub, int neg,
                      struct plan **out, int depth) {
  struct plan_ctx *ctx = s->ctx;
  int rc;
  struct plan *q;
  if ((rc = rewrite_rec(s, sub->u.sub.plan, &q, depth + 1))) return rc;
  int is_in = sub->kind == EXPR_IN_SUBQUERY;
  if (is_in && q->ncols < 1) return err_set(s->e, ERR_INVAL, "IN subquery without output column");

  struct pull pl;
  int nrefs = 0;
  if ((rc = pull_start(s, q, left, sub->pos, &pl, &nrefs))) return rc;
  if (nrefs > 0) {
    if ((rc = pull_rec(&pl, q, &q, 0))) return err_set(s->e, rc, "out of memory");
    int *left_refs = NULL, nleft = 0;
    if (optutil_outer_refs(ctx, q, &left_refs, &nleft))
      return err_set(s->e, ERR_NOMEM, "out of memory");
    if (nleft > 0)
      return unsupported(s->e, sub->pos,
                         "a correlated column reference in this subquery is used below an "
                         "aggregate, LIMIT, window or outer join; only correlated conditions "
                         "in the subquery's WHERE clause are supported");
  }

  /* keys and residual */
  int cap = pl.got.n + 1;
  struct expr **lk = plan_alloc(ctx, sizeof(*lk) * (size_t)cap);
  struct expr **rk = plan_alloc(ctx, sizeof(*rk) * (size_t)cap);
  int *ns = plan_alloc(ctx, sizeof(int) * (size_t)cap);
  if (!lk || !rk || !ns) return err_set(s->e, ERR_NOMEM, "out of memory");
  int nkeys = 0;
  struct optutil_exprs resid = {0};
  if (is_in) {
    struct expr *r = optutil_colref(ctx, &q->cols[0]);
    if (!r) return err_set(s->e, ERR_NOMEM, "out of memory");
    if (!optutil_type_eq(r->type, sub->u.sub.arg->type)) {
      r = expr_cast(ctx, r, sub->u.sub.arg->type);
      if (!r) return err_set(s->e, ERR_NOMEM, "out of memory");
      r->nullable = 1;
    }
    lk[nkeys] = sub->u.sub.arg;
    rk[nkeys] = r;
    ns[nkeys++] = 0;
  }
  for (int i = 0; i < pl.got.n; i++) {
    struct expr *c = pl.got.v[i];
    if (c->kind == EXPR_FUNC && (c->u.func.fn == FN_EQ || c->u.func.fn == FN_NSEQ) &&
        c->u.func.nargs == 2) {
      struct expr *a = c->u.func.args[0], *b = c->u.func.args[1];
      int al, ar, bl, br;
      if (within_plan(ctx, a, left, &al) || within_plan(ctx, a, q, &ar) ||
          within_plan(ctx, b, left, &bl) || within_plan(ctx, b, q, &br))
        return err_set(s->e, ERR_NOMEM, "out of memory");
      /* a side reading no column at all is not a key */
      int a_has = a->kind != EXPR_LIT, b_has = b->kind != EXPR_LIT;
      if (a_has && b_has && al && !ar && br && !bl) {
        lk[nkeys] = a; rk[nkeys] = b; ns[nkeys++] = c->u.func.fn == FN_NSEQ;
        continue;
      }
      if (a_has && b_has && bl && !br && ar && !al) {
        lk[nkeys] = b; rk[nkeys] = a; ns[nkeys++] = c->u.func.fn == FN_NSEQ;
        continue;
      }
    }
    if (optutil_exprs_push(ctx, &resid, c)) return err_set(s->e, ERR_NOMEM, "out of memory");
  }

  int null_aware = 0;
  if (is_in && neg) {
    if (nrefs == 0) {
      null_aware = 1;
    } else if (sub->u.sub.arg->nullable || q->cols[0].nullable) {
      return unsupported(s->e, sub->pos,
                         "correlated NOT IN subqueries over nullable columns are not supported; "
                         "use NOT EXISTS instead");
    }
  }

  struct plan *ch[2] = {left, q};
  struct plan *j = plan_new(ctx, PLAN_JOIN, ch, 2, 0);
  if (!j) return err_set(s->e, ERR_NOMEM, "out of memory");
  j->est_rows = j->est_bytes = -1;
  j->u.join.type = neg ? JOIN_ANTI : JOIN_SEMI;
  j->u.join.left_keys = lk;
  j->u.join.right_keys = rk;
  j->u.join.null_safe = ns;
  j->u.join.nkeys = nkeys;
  j->u.join.null_aware = null_aware;
  j->u.join.cond = resid.n ? expr_and(ctx, resid.v, resid.n) : NULL;
  if (resid.n && !j->u.join.cond) return err_set(s->e, ERR_NOMEM, "out of memory");
  if (optutil_join_cols(ctx, j)) return err_set(s->e, ERR_NOMEM, "out of memory");
  *out = j;
  return 0;
}

static int rewrite_filter(struct sq *s, struct plan *p, struct plan **out, int depth) {
  struct plan_ctx *ctx = s->ctx;
  struct optutil_exprs cj = {0}, rest = {0}, subs = {0};
  if (optutil_exprs_conjuncts(ctx, &cj, p->u.filter.cond))
    return err_set(s->e, ERR_NOMEM, "out of memory");
  int *neg = plan_alloc(ctx, sizeof(int) * (size_t)(cj.n + 1));
  if (!neg) return err_set(s->e, ERR_NOMEM, "out of memory");
  for (int i = 0; i < cj.n; i++) {
    struct expr *c = cj.v[i];
    int n = 0;
    /* NOT (x IN q) / NOT EXISTS written with an explicit NOT */
    while (c->kind == EXPR_FUNC && c->u.func.fn == FN_NOT && c->u.func.nargs == 1 &&
           (c->u.func.args[0]->kind == EXPR_IN_SUBQUERY || c->u.func.args[0]->kind == EXPR_EXISTS ||
            (c->u.func.args[0]->kind == EXPR_FUNC && c->u.func.args[0]->u.func.fn == FN_NOT))) {
      n = !n;
      c = c->u.func.args[0];
    }
    if (c->kind == EXPR_IN_SUBQUERY || c->kind == EXPR_EXISTS) {
      int rc = 0;
      if (c->kind == EXPR_IN_SUBQUERY) rc = check_expr(s, c->u.sub.arg);
      if (rc) return rc;
      neg[subs.n] = n ^ (c->u.sub.negated ? 1 : 0);
      if (optutil_exprs_push(ctx, &subs, c)) return err_set(s->e, ERR_NOMEM, "out of memory");
    } else {
      int rc = check_expr(s, cj.v[i]);
      if (rc) return rc;
      if (optutil_exprs_push(ctx, &rest, cj.v[i])) return err_set(s->e, ERR_NOMEM, "out of memory");
    }
  }
  if (!subs.n) {
    *out = p;
    return 0;
  }
  struct plan *cur = p->child[0];
  if (rest.n) {
    cur = optutil_filter(ctx, cur, rest.v, rest.n);
    if (!cur) return err_set(s->e, ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < subs.n; i++) {
    int rc = build_join(s, cur, subs.v[i], neg[i], &cur, depth);
    if (rc) return rc;
  }
  *out = cur;
  return 0;
}

/* ---- correlated scalar subqueries ----
 * Spark's rewrite: an aggregated subquery whose correlated conditions are
 * equalities, (SELECT agg(...) FROM t WHERE t.k = outer.k), becomes a LEFT
 * JOIN of the outer input with the aggregate grouped by t.k; the subquery's
 * value is then a column of the join (count's empty group gives 0, as the
 * aggregate over no rows would). */

struct scal {
  struct sq *s;
  struct plan *left; /* the node's input, joined with each decorrelated subquery */
  int depth;
};

static int must_aggregate(struct sq *s, const struct expr *x) {
  return unsupported(s->e, x->pos,
                     "[UNSUPPORTED_SUBQUERY_EXPRESSION_CATEGORY.MUST_AGGREGATE_CORRELATED_SCALAR_"
                     "SUBQUERY] Unsupported subquery expression: Correlated scalar subqueries must "
                     "be aggregated to return at most one row.");
}

static int never_null_on_empty(enum agg_fn fn) {
  return fn == AGG_COUNT || fn == AGG_COUNT_STAR || fn == AGG_APPROX_COUNT_DISTINCT ||
         fn == AGG_COLLECT_LIST || fn == AGG_COLLECT_SET;
}

static int decorrelate(struct scal *sc, struct expr *x, struct expr **slot) {
  struct sq *s = sc->s;
  struct plan_ctx *ctx = s->ctx;
  int rc;
  struct plan *q;
  if ((rc = rewrite_rec(s, x->u.sub.plan, &q, sc->depth + 1))) return rc;
  struct pull pl;
  int nrefs = 0;
  if ((rc = pull_start(s, q, sc->left, x->pos, &pl, &nrefs))) return rc;
  /* Projects over one global aggregate */
  struct plan *chain[64];
  int nch = 0;
  struct plan *a = q;
  while (a->kind == PLAN_PROJECT && nch < 64) {
    chain[nch++] = a;
    a = a->child[0];
  }
  if (a->kind != PLAN_AGG || a->u.agg.nkeys != 0) return must_aggregate(s, x);
  struct plan *c;
  if ((rc = pull_rec(&pl, a->child[0], &c, 0))) return err_set(s->e, rc, "out of memory");
  a->child[0] = c;
  int *left_refs = NULL, nleft = 0;
  if (optutil_outer_refs(ctx, q, &left_refs, &nleft)) return err_set(s->e, ERR_NOMEM, "out of memory");
  if (nleft > 0 || pl.got.n == 0)
    return unsupported(s->e, x->pos,
                       "a correlated column reference in this scalar subquery is used outside "
                       "its WHERE clause; only correlated conditions in the subquery's WHERE "
                       "clause are supported");
  int nk = pl.got.n;
  struct expr **lk = plan_alloc(ctx, sizeof(*lk) * (size_t)nk);
  struct expr **ik = plan_alloc(ctx, sizeof(*ik) * (size_t)nk);
  int *ns = plan_alloc(ctx, sizeof(int) * (size_t)nk);
  struct plan_col *cols = plan_alloc(ctx, sizeof(*cols) * (size_t)(nk + a->ncols));
  struct expr **rk = plan_alloc(ctx, sizeof(*rk) * (size_t)nk);
  if (!lk || !ik || !ns || !cols || !rk) return err_set(s->e, ERR_NOMEM, "out of memory");
  for (int i = 0; i < nk; i++) {
    struct expr *e = pl.got.v[i];
    int ok = 0;
    if (e->kind == EXPR_FUNC && (e->u.func.fn == FN_EQ || e->u.func.fn == FN_NSEQ) &&
        e->u.func.nargs == 2) {
      struct expr *u = e->u.func.args[0], *v = e->u.func.args[1];
      int ul, ui, vl, vi;
      if (within_plan(ctx, u, sc->left, &ul) || within_plan(ctx, u, c, &ui) ||
          within_plan(ctx, v, sc->left, &vl) || within_plan(ctx, v, c, &vi))
        return err_set(s->e, ERR_NOMEM, "out of memory");
      if (u->kind != EXPR_LIT && v->kind != EXPR_LIT && optutil_type_eq(u->type, v->type)) {
        if (ul && !ui && vi && !vl) lk[i] = u, ik[i] = v, ok = 1;
        else if (vl && !vi && ui && !ul) lk[i] = v, ik[i] = u, ok = 1;
      }
      ns[i] = e->u.func.fn == FN_NSEQ;
    }
    if (!ok)
      return unsupported(s->e, x->pos,
                         "only equality conditions between a column of a correlated scalar "
                         "subquery and a column of the outer query are supported; rewrite the "
                         "query with a join");
    cols[i].id = plan_ctx_new_id(ctx);
    cols[i].name = "key";
    cols[i].type = ik[i]->type;
    cols[i].nullable = ik[i]->nullable;
    plan_ctx_set_name(ctx, cols[i].id, cols[i].name);
  }
  /* the value: a column of the aggregate; NULL from the outer join where the
   * aggregate over no rows would not be NULL */
  struct plan_col vc = q->cols[0]; /* before the aggregate gains its key columns */
  vc.nullable = 1;
  int vid = vc.id;
  for (int i = 0; i < nch; i++) {
    int k = plan_find_id(chain[i], vid);
    struct expr *ve = k >= 0 ? chain[i]->u.project.exprs[k] : NULL;
    vid = ve && ve->kind == EXPR_COL ? ve->u.col.id : -1;
  }
  int direct = -1;
  for (int i = 0; i < a->u.agg.ncalls; i++) {
    if (a->cols[i].id == vid) direct = i;
    if (never_null_on_empty(a->u.agg.calls[i].fn) && vid != a->cols[i].id)
      return unsupported(s->e, x->pos,
                         "a correlated scalar subquery computing an expression over count(...) "
                         "is not supported; select the count itself");
  }
  memcpy(cols + nk, a->cols, sizeof(*cols) * (size_t)a->ncols);
  a->u.agg.keys = ik;
  a->u.agg.nkeys = nk;
  a->cols = cols;
  a->ncols += nk;
  for (int i = nch - 1; i >= 0; i--) {
    struct plan *p = chain[i];
    struct plan_col *pc = plan_alloc(ctx, sizeof(*pc) * (size_t)(p->ncols + nk));
    struct expr **pe = plan_alloc(ctx, sizeof(*pe) * (size_t)(p->ncols + nk));
    if (!pc || !pe) return err_set(s->e, ERR_NOMEM, "out of memory");
    memcpy(pc, p->cols, sizeof(*pc) * (size_t)p->ncols);
    memcpy(pe, p->u.project.exprs, sizeof(*pe) * (size_t)p->ncols);
    for (int k = 0; k < nk; k++) {
      pc[p->ncols + k] = cols[k];
      if (!(pe[p->ncols + k] = optutil_colref(ctx, &cols[k])))
        return err_set(s->e, ERR_NOMEM, "out of memory");
    }
    p->cols = pc;
    p->u.project.exprs = pe;
    p->ncols += nk;
  }
  for (int k = 0; k < nk; k++)
    if (!(rk[k] = optutil_colref(ctx, &cols[k]))) return err_set(s->e, ERR_NOMEM, "out of memory");
  struct plan *ch[2] = {sc->left, q};
  struct plan *j = plan_new(ctx, PLAN_JOIN, ch, 2, 0);
  if (!j) return err_set(s->e, ERR_NOMEM, "out of memory");
  j->est_rows = j->est_bytes = -1;
  j->u.join.type = JOIN_LEFT;
  j->u.join.left_keys = lk;
  j->u.join.right_keys = rk;
  j->u.join.null_safe = ns;
  j->u.join.nkeys = nk;
  if (optutil_join_cols(ctx, j)) return err_set(s->e, ERR_NOMEM, "out of memory");
  sc->left = j;
  struct expr *v = optutil_colref(ctx, &vc);
  if (!v) return err_set(s->e, ERR_NOMEM, "out of memory");
  if (direct >= 0 && (a->u.agg.calls[direct].fn == AGG_COUNT ||
                      a->u.agg.calls[direct].fn == AGG_COUNT_STAR ||
                      a->u.agg.calls[direct].fn == AGG_APPROX_COUNT_DISTINCT)) {
    struct value zero;
    memset(&zero, 0, sizeof zero);
    zero.type = v->type;
    struct expr *args[2] = {v, expr_lit(ctx, &zero)};
    if (!args[1] || !(v = expr_func(ctx, FN_COALESCE, v->type, args, 2)))
      return err_set(s->e, ERR_NOMEM, "out of memory");
    v->nullable = 0;
  } else if (direct >= 0 && never_null_on_empty(a->u.agg.calls[direct].fn)) {
    return unsupported(s->e, x->pos,
                       "a correlated scalar subquery over collect_list/collect_set is not "
                       "supported");
  }
  v->pos = x->pos;
  *slot = v;
  return 0;
}

/* Decorrelate the correlated scalar subqueries in *slot's tree. */
static int scal_expr(struct scal *sc, struct expr **slot, int depth) {
  struct expr *x = *slot;
  if (!x) return 0;
  if (depth > SUBQUERY_MAX_DEPTH)
    return err_set(sc->s->e, ERR_TOOBIG, "expression is nested too deeply to optimize");
  int rc = 0;
  switch (x->kind) {
  case EXPR_SUBQUERY: {
    int *refs = NULL, n = 0;
    if (optutil_outer_refs(sc->s->ctx, x->u.sub.plan, &refs, &n))
      return err_set(sc->s->e, ERR_NOMEM, "out of memory");
    return n > 0 ? decorrelate(sc, x, slot) : 0;
  }
  case EXPR_FUNC:
    for (int i = 0; i < x->u.func.nargs && !rc; i++) rc = scal_expr(sc, &x->u.func.args[i], depth + 1);
    return rc;
  case EXPR_CASE:
    for (int i = 0; i < x->u.cases.n && !rc; i++) {
      rc = scal_expr(sc, &x->u.cases.when[i], depth + 1);
      if (!rc) rc = scal_expr(sc, &x->u.cases.then[i], depth + 1);
    }
    return rc ? rc : scal_expr(sc, &x->u.cases.otherwise, depth + 1);
  case EXPR_CAST: return scal_expr(sc, &x->u.cast.arg, depth + 1);
  case EXPR_IN_LIST:
    rc = scal_expr(sc, &x->u.in_list.arg, depth + 1);
    for (int i = 0; i < x->u.in_list.n && !rc; i++) rc = scal_expr(sc, &x->u.in_list.list[i], depth + 1);
    return rc;
  case EXPR_LIKE: return scal_expr(sc, &x->u.like.arg, depth + 1);
  default: return 0;
  }
}

/* Correlated scalar subqueries of a projection or filter p become outer
 * joins under it; a filter then gets a projection restoring its columns. */
static int rewrite_scalars(struct sq *s, struct plan *p, struct plan **out, int depth) {
  *out = p;
  struct scal sc = {s, p->child[0], depth};
  int rc = 0;
  if (p->kind == PLAN_PROJECT)
    for (int i = 0; i < p->ncols && !rc; i++) rc = scal_expr(&sc, &p->u.project.exprs[i], 0);
  else
    rc = scal_expr(&sc, &p->u.filter.cond, 0);
  if (rc || sc.left == p->child[0]) return rc;
  struct plan *orig = p->child[0];
  p->child[0] = sc.left;
  if (p->kind == PLAN_PROJECT) return 0;
  p->cols = sc.left->cols;
  p->ncols = sc.left->ncols;
  struct plan *r = optutil_passthrough(s->ctx, p, orig->cols, orig->ncols);
  if (!r) return err_set(s->e, ERR_NOMEM, "out of memory");
  *out = r;
  return 0;
}

static int rewrite_rec(struct sq *s, struct plan *p, struct plan **out, int depth) {
  if (depth > SUBQUERY_MAX_DEPTH)
    return err_set(s->e, ERR_TOOBIG, "query is nested too deeply to optimize");
  for (int i = 0; i < p->nchild; i++) {
    struct plan *c;
    int rc = rewrite_rec(s, p->child[i], &c, depth + 1);
    if (rc) return rc;
    p->child[i] = c;
  }
  if (p->kind == PLAN_PROJECT || p->kind == PLAN_FILTER) {
    struct plan *r;
    int rc = rewrite_scalars(s, p, &r, depth);
    if (rc) return rc;
    if (r != p) {
      /* r is the projection restoring filter p's columns */
      struct plan *f;
      if ((rc = rewrite_filter(s, p, &f, depth))) return rc;
      r->child[0] = f;
      *out = r;
      return 0;
    }
  }
  if (p->kind == PLAN_FILTER) return rewrite_filter(s, p, out, depth);
  int rc = optutil_node_exprs(p, check_slot, s);
  if (rc) return rc;
  *out = p;
  return 0;
}

int subquery_rewrite(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e) {
  struct sq s = {ctx, e};
  return rewrite_rec(&s, p, out, 0);
}
