/* optimizer.c: the rule pipeline (optimizer.h) plus the small local rules:
 * ORDER BY + LIMIT to a top-N sort, LIMIT merging, redundant sorts, trivial
 * projects and filters. */
#include "engine/opt/optimizer.h"

#include <string.h>

#include "engine/opt/estimate.h"
#include "engine/opt/fold.h"
#include "engine/opt/joinorder.h"
#include "engine/opt/optutil.h"
#include "engine/opt/prune.h"
#include "engine/opt/pushdown.h"
#include "engine/opt/subquery.h"

#define OPT_MAX_DEPTH 5000
#define OPT_MAX_NESTING 64

void optimizer_conf_init(struct optimizer_conf *conf) {
  conf->broadcast_threshold = OPTIMIZER_DEFAULT_BROADCAST_THRESHOLD;
}

/* Scalar subquery plans already optimized: old plan -> new plan, so a plan
 * shared by copied expressions is optimized once. */
struct seen {
  struct plan **from, **to;
  int n, cap;
};

struct opt {
  struct plan_ctx *ctx;
  const struct optimizer_conf *conf;
  struct estimate est;
  struct seen seen;
  struct err *e;
  int nesting;
};

static int run(struct opt *o, struct plan *in, struct plan **out);

/* ---- local rules ---- */

static int is_identity_project(const struct plan *p) {
  const struct plan *c = p->child[0];
  if (p->ncols != c->ncols) return 0;
  for (int i = 0; i < p->ncols; i++) {
    const struct expr *x = p->u.project.exprs[i];
    if (x->kind != EXPR_COL || x->u.col.id != p->cols[i].id || c->cols[i].id != p->cols[i].id)
      return 0;
  }
  return 1;
}

static int64_t limit_merge(int64_t outer_limit, int64_t outer_off, int64_t inner_limit) {
  /* rows the inner limit leaves after the outer offset */
  if (inner_limit < 0) return outer_limit;
  int64_t left = inner_limit - outer_off;
  if (left < 0) left = 0;
  if (outer_limit < 0 || left < outer_limit) return left;
  return outer_limit;
}

static int simplify(struct opt *o, struct plan *p, struct plan **out, int depth) {
  *out = p;
  if (depth > OPT_MAX_DEPTH) return 0;
  for (int i = 0; i < p->nchild; i++) {
    int rc = simplify(o, p->child[i], &p->child[i], depth + 1);
    if (rc) return rc;
  }
  switch (p->kind) {
  case PLAN_PROJECT:
    if (is_identity_project(p)) *out = p->child[0];
    break;
  case PLAN_FILTER:
    if (!p->u.filter.cond || optutil_is_true(p->u.filter.cond)) *out = p->child[0];
    break;
  case PLAN_SORT: {
    struct plan *c = p->child[0];
    /* a full sort below another sort is wasted work: the outer one decides */
    if (c->kind == PLAN_SORT && c->u.sort.limit < 0) p->child[0] = c->child[0];
    break;
  }
  case PLAN_LIMIT: {
    struct plan *c = p->child[0];
    if (c->kind == PLAN_LIMIT) {
      p->u.limit.limit = limit_merge(p->u.limit.limit, p->u.limit.offset, c->u.limit.limit);
      p->u.limit.offset += c->u.limit.offset;
      p->child[0] = c->child[0];
      c = p->child[0];
    }
    if (p->u.limit.limit < 0) break;
    if (p->u.limit.offset != 0) {
      /* ORDER BY .. LIMIT n OFFSET k: a top-(n+k) sort under the limit */
      if (c->kind == PLAN_SORT && p->u.limit.limit <= INT64_MAX - p->u.limit.offset) {
        int64_t want = p->u.limit.limit + p->u.limit.offset;
        if (c->u.sort.limit < 0 || want < c->u.sort.limit) c->u.sort.limit = want;
      }
      break;
    }
    if (c->kind == PLAN_SORT) {
      if (c->u.sort.limit < 0 || p->u.limit.limit < c->u.sort.limit) c->u.sort.limit = p->u.limit.limit;
      *out = c;
    } else if (c->kind == PLAN_PROJECT && c->child[0]->kind == PLAN_SORT) {
      /* a project is row-wise: the limit can move below it */
      struct plan *s = c->child[0];
      if (s->u.sort.limit < 0 || p->u.limit.limit < s->u.sort.limit) s->u.sort.limit = p->u.limit.limit;
      *out = c;
    }
    break;
  }
  default:
    break;
  }
  return 0;
}

/* ---- scalar subqueries: each is optimized as its own query ---- */

static int sub_slot(struct expr **slot, void *arg);

struct sub_walk {
  struct opt *o;
  int rc;
};

static int sub_cb(const struct expr *x, void *arg) {
  struct sub_walk *w = arg;
  if (x->kind != EXPR_SUBQUERY) return 0;
  struct opt *o = w->o;
  struct expr *m = (struct expr *)x; /* rewritten in place: the walk is read-only by type only */
  for (int i = 0; i < o->seen.n; i++)
    if (o->seen.from[i] == m->u.sub.plan || o->seen.to[i] == m->u.sub.plan) {
      m->u.sub.plan = o->seen.to[i];
      return 0;
    }
  if (o->nesting >= OPT_MAX_NESTING) {
    w->rc = err_set(o->e, ERR_TOOBIG, "subqueries are nested too deeply to optimize");
    return 1;
  }
  struct plan *old = m->u.sub.plan, *nw;
  o->nesting++;
  int rc = run(o, old, &nw);
  o->nesting--;
  if (rc) {
    w->rc = rc;
    return 1;
  }
  if (o->seen.n == o->seen.cap) {
    int cap = o->seen.cap ? o->seen.cap * 2 : 8;
    struct plan **f = plan_alloc(o->ctx, sizeof(*f) * (size_t)cap);
    struct plan **t = plan_alloc(o->ctx, sizeof(*t) * (size_t)cap);
    if (!f || !t) {
      w->rc = err_set(o->e, ERR_NOMEM, "out of memory");
      return 1;
    }
    if (o->seen.n) {
      memcpy(f, o->seen.from, sizeof(*f) * (size_t)o->seen.n);
      memcpy(t, o->seen.to, sizeof(*t) * (size_t)o->seen.n);
    }
    o->seen.from = f;
    o->seen.to = t;
    o->seen.cap = cap;
  }
  o->seen.from[o->seen.n] = old;
  o->seen.to[o->seen.n++] = nw;
  m->u.sub.plan = nw;
  return 0;
}

static int sub_slot(struct expr **slot, void *arg) {
  struct sub_walk *w = arg;
  optutil_expr_walk(*slot, sub_cb, w);
  return w->rc;
}

static int optimize_subqueries(struct opt *o, struct plan *p, int depth) {
  if (depth > OPT_MAX_DEPTH) return 0;
  struct sub_walk w = {o, 0};
  optutil_node_exprs(p, sub_slot, &w);
  if (w.rc) return w.rc;
  for (int i = 0; i < p->nchild; i++) {
    int rc = optimize_subqueries(o, p->child[i], depth + 1);
    if (rc) return rc;
  }
  return 0;
}

/* ---- the pipeline ---- */

static int run(struct opt *o, struct plan *in, struct plan **out) {
  struct plan_ctx *ctx = o->ctx;
  struct plan *p = in;
  const struct plan_col *cols = in->cols;
  int ncols = in->ncols;
  int rc;
  if ((rc = subquery_rewrite(ctx, p, &p, o->e))) return rc;
  if ((rc = fold_plan(ctx, p, &p, o->e))) return rc;
  if ((rc = pushdown_run(ctx, p, &p, o->e))) return rc;
  /* pruning first gives the join ordering the real row widths, so its
   * build-side choice by bytes still holds for the final plan */
  if ((rc = prune_run(ctx, p, &p, o->e))) return rc;
  if ((rc = joinorder_run(ctx, &o->est, p, &p, o->e))) return rc;
  if ((rc = pushdown_run(ctx, p, &p, o->e))) return rc;
  if ((rc = fold_plan(ctx, p, &p, o->e))) return rc;
  if ((rc = prune_run_narrow(ctx, p, &p, o->e))) return rc;
  if ((rc = simplify(o, p, &p, 0))) return rc;
  if ((rc = optimize_subqueries(o, p, 0))) return rc;
  if (!optutil_same_ids(p, cols, ncols)) {
    /* every rule keeps the root's columns; restore them if one did not */
    p = optutil_passthrough(ctx, p, cols, ncols);
    if (!p) return err_set(o->e, ERR_NOMEM, "out of memory");
  }
  if (p->cols != cols) {
    /* same ids; keep the caller's names, qualifiers and nullability */
    p->cols = (struct plan_col *)cols;
  }
  estimate_tree(&o->est, p);
  *out = p;
  return 0;
}

int optimizer_run(struct plan_ctx *ctx, struct plan *in, const struct optimizer_conf *conf,
                  struct plan **out, struct err *e) {
  struct optimizer_conf def;
  if (!conf) {
    optimizer_conf_init(&def);
    conf = &def;
  }
  *out = NULL;
  if (!ctx || !in) return err_set(e, ERR_INVAL, "optimizer: no plan");
  struct opt o;
  memset(&o, 0, sizeof(o));
  o.ctx = ctx;
  o.conf = conf;
  o.e = e;
  if (estimate_init(&o.est, ctx)) return err_set(e, ERR_NOMEM, "out of memory");
  return run(&o, in, out);
}
