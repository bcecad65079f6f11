/* joinorder.c: join graph extraction and greedy ordering (joinorder.h). */
#include "engine/opt/joinorder.h"

#include <string.h>

#include "engine/opt/optutil.h"

#define JOINORDER_MAX_DEPTH 5000

struct conj {
  struct expr *e;
  uint64_t mask;   /* relations read */
  uint64_t ma, mb; /* equality sides' relations (eq only) */
  int eq;          /* usable as a join key */
  int ns;          /* null-safe equality */
  int top;         /* stays in a Filter above the tree */
  int used;
};

struct graph {
  struct plan *rel[JOINORDER_MAX_RELS];
  int nrel;
  struct conj *c;
  int nc, cap;
};

struct jo {
  struct plan_ctx *ctx;
  struct estimate *est;
};

static int visit(struct jo *j, struct plan *p, struct plan **out, int depth);

static int is_inner(const struct plan *p) {
  return p->kind == PLAN_JOIN && (p->u.join.type == JOIN_INNER || p->u.join.type == JOIN_CROSS);
}

static int is_graph_root(const struct plan *p) {
  while (p->kind == PLAN_FILTER) p = p->child[0];
  return is_inner(p);
}

static int count_rels(const struct plan *p, int depth) {
  if (depth > JOINORDER_MAX_DEPTH) return JOINORDER_MAX_RELS + 1;
  if (p->kind == PLAN_FILTER) return count_rels(p->child[0], depth + 1);
  if (is_inner(p)) return count_rels(p->child[0], depth + 1) + count_rels(p->child[1], depth + 1);
  return 1;
}

static int add_conj(struct jo *j, struct graph *g, struct expr *e) {
  if (g->nc == g->cap) {
    int cap = g->cap ? g->cap * 2 : 16;
    struct conj *c = plan_alloc(j->ctx, sizeof(*c) * (size_t)cap);
    if (!c) return ERR_NOMEM;
    if (g->nc) memcpy(c, g->c, sizeof(*c) * (size_t)g->nc);
    g->c = c;
    g->cap = cap;
  }
  memset(&g->c[g->nc], 0, sizeof(g->c[0]));
  g->c[g->nc++].e = e;
  return 0;
}

static int add_conjuncts(struct jo *j, struct graph *g, struct expr *e) {
  struct optutil_exprs a = {0};
  if (optutil_exprs_conjuncts(j->ctx, &a, e)) return ERR_NOMEM;
  for (int i = 0; i < a.n; i++)
    if (add_conj(j, g, a.v[i])) return ERR_NOMEM;
  return 0;
}

static int collect(struct jo *j, struct graph *g, struct plan *p, int depth) {
  int rc;
  if (p->kind == PLAN_FILTER) {
    if ((rc = add_conjuncts(j, g, p->u.filter.cond))) return rc;
    return collect(j, g, p->child[0], depth + 1);
  }
  if (is_inner(p)) {
    for (int k = 0; k < p->u.join.nkeys; k++) {
      struct expr *eq = optutil_eq(j->ctx, p->u.join.left_keys[k], p->u.join.right_keys[k],
                                   p->u.join.null_safe ? p->u.join.null_safe[k] : 0);
      if (!eq || add_conj(j, g, eq)) return ERR_NOMEM;
    }
    if (p->u.join.cond && (rc = add_conjuncts(j, g, p->u.join.cond))) return rc;
    if ((rc = collect(j, g, p->child[0], depth + 1))) return rc;
    return collect(j, g, p->child[1], depth + 1);
  }
  struct plan *r;
  if ((rc = visit(j, p, &r, depth + 1))) return rc;
  g->rel[g->nrel++] = r;
  return 0;
}

/* Relations read by e; *unknown set when it reads an id no relation has. */
static int mask_of(struct jo *j, const int *rel_of, int nid, const struct expr *e, uint64_t *mask,
                   int *unknown) {
  struct optutil_ids ids;
  if (optutil_ids_init(j->ctx, &ids) || optutil_expr_ids(j->ctx, e, &ids)) return ERR_NOMEM;
  *mask = 0;
  *unknown = 0;
  for (int i = 0; i < ids.n; i++) {
    if (!ids.bits[i]) continue;
    if (i >= nid || rel_of[i] < 0) *unknown = 1;
    else *mask |= (uint64_t)1 << rel_of[i];
  }
  return 0;
}

static int one_bit(uint64_t m) { return m && !(m & (m - 1)); }
static int subset(uint64_t a, uint64_t b) { return (a & ~b) == 0; }

static int classify(struct jo *j, struct graph *g, const int *rel_of, int nid) {
  for (int i = 0; i < g->nc; i++) {
    struct conj *c = &g->c[i];
    int unknown;
    if (mask_of(j, rel_of, nid, c->e, &c->mask, &unknown)) return ERR_NOMEM;
    int sub = optutil_has_subquery(c->e);
    if (unknown || c->mask == 0 || (sub && !one_bit(c->mask))) {
      c->top = 1;
      continue;
    }
    struct expr *e = c->e;
    if (!sub && e->kind == EXPR_FUNC && (e->u.func.fn == FN_EQ || e->u.func.fn == FN_NSEQ) &&
        e->u.func.nargs == 2 && e->u.func.args[0]->kind != EXPR_LIT &&
        e->u.func.args[1]->kind != EXPR_LIT) {
      int ua, ub;
      if (mask_of(j, rel_of, nid, e->u.func.args[0], &c->ma, &ua) ||
          mask_of(j, rel_of, nid, e->u.func.args[1], &c->mb, &ub))
        return ERR_NOMEM;
      c->eq = !ua && !ub && c->ma && c->mb && !(c->ma & c->mb);
      c->ns = e->u.func.fn == FN_NSEQ;
    }
  }
  return 0;
}

/* Union-find over column ids for the equivalence classes of key columns. */
static int uf_find(int *parent, int x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static int set_ndv_hints(struct jo *j, struct graph *g, const int *rel_of, int nid) {
  int *parent = plan_alloc(j->ctx, sizeof(int) * (size_t)nid);
  double *base = plan_alloc(j->ctx, sizeof(double) * (size_t)nid);
  double *cls = plan_alloc(j->ctx, sizeof(double) * (size_t)nid);
  unsigned char *member = plan_alloc(j->ctx, (size_t)nid);
  if (!parent || !base || !cls || !member) return ERR_NOMEM;
  for (int i = 0; i < nid; i++) parent[i] = i;
  for (int i = 0; i < g->nc; i++) {
    struct conj *c = &g->c[i];
    if (!c->eq) continue;
    const struct expr *a = c->e->u.func.args[0], *b = c->e->u.func.args[1];
    if (a->kind != EXPR_COL || b->kind != EXPR_COL) continue;
    int x = a->u.col.id, y = b->u.col.id;
    if (x < 0 || y < 0 || x >= nid || y >= nid) continue;
    member[x] = member[y] = 1;
    int rx = uf_find(parent, x), ry = uf_find(parent, y);
    /* the smaller id becomes the root: independent of conjunct order */
    if (rx < ry) parent[ry] = rx;
    else if (ry < rx) parent[rx] = ry;
  }
  for (int i = 0; i < nid; i++) {
    cls[i] = -1;
    if (member[i]) base[i] = estimate_col_ndv(j->est, g->rel[rel_of[i]], i);
  }
  for (int i = 0; i < nid; i++) {
    if (!member[i]) continue;
    int r = uf_find(parent, i);
    if (cls[r] < 0 || base[i] < cls[r]) cls[r] = base[i];
  }
  for (int i = 0; i < nid && i < j->est->nhint; i++) {
    if (!member[i]) continue;
    double v = cls[uf_find(parent, i)];
    if (j->est->ndv_hint[i] <= 0 || v < j->est->ndv_hint[i]) j->est->ndv_hint[i] = v;
  }
  return 0;
}

/* Join trees a and b (masks ma, mb) with every unused conjunct that becomes
 * applicable. commit: orient by size, mark conjuncts used. */
static int make_join(struct jo *j, struct graph *g, struct plan *a, uint64_t ma, struct plan *b,
                     uint64_t mb, int commit, struct plan **out) {
  struct plan_ctx *ctx = j->ctx;
  struct plan *l = a, *r = b;
  uint64_t lm = ma, rm = mb;
  if (commit && (b->est_bytes > a->est_bytes ||
                 (b->est_bytes == a->est_bytes && b->est_rows > a->est_rows))) {
    l = b; r = a; lm = mb; rm = ma;
  }
  int nk = 0, ncond = 0;
  for (int i = 0; i < g->nc; i++) {
    struct conj *c = &g->c[i];
    if (c->used || c->top) continue;
    if (!subset(c->mask, lm | rm) || subset(c->mask, lm) || subset(c->mask, rm)) continue;
    if (c->eq && ((subset(c->ma, lm) && subset(c->mb, rm)) || (subset(c->ma, rm) && subset(c->mb, lm))))
      nk++;
    else
      ncond++;
  }
  struct plan *ch[2] = {l, r};
  struct plan *jn = plan_new(ctx, PLAN_JOIN, ch, 2, 0);
  struct expr **lk = plan_alloc(ctx, sizeof(*lk) * (size_t)(nk + 1));
  struct expr **rk = plan_alloc(ctx, sizeof(*rk) * (size_t)(nk + 1));
  int *ns = plan_alloc(ctx, sizeof(int) * (size_t)(nk + 1));
  struct expr **cond = plan_alloc(ctx, sizeof(*cond) * (size_t)(ncond + 1));
  if (!jn || !lk || !rk || !ns || !cond) return ERR_NOMEM;
  nk = ncond = 0;
  for (int i = 0; i < g->nc; i++) {
    struct conj *c = &g->c[i];
    if (c->used || c->top) continue;
    if (!subset(c->mask, lm | rm) || subset(c->mask, lm) || subset(c->mask, rm)) continue;
    struct expr *x = c->e;
    if (c->eq && subset(c->ma, lm) && subset(c->mb, rm)) {
      lk[nk] = x->u.func.args[0]; rk[nk] = x->u.func.args[1]; ns[nk++] = c->ns;
    } else if (c->eq && subset(c->ma, rm) && subset(c->mb, lm)) {
      lk[nk] = x->u.func.args[1]; rk[nk] = x->u.func.args[0]; ns[nk++] = c->ns;
    } else {
      cond[ncond++] = x;
    }
    if (commit) c->used = 1;
  }
  jn->u.join.type = nk || ncond ? JOIN_INNER : JOIN_CROSS;
  jn->u.join.left_keys = lk;
  jn->u.join.right_keys = rk;
  jn->u.join.null_safe = ns;
  jn->u.join.nkeys = nk;
  jn->u.join.cond = ncond ? expr_and(ctx, cond, ncond) : NULL;
  if (ncond && !jn->u.join.cond) return ERR_NOMEM;
  if (optutil_join_cols(ctx, jn)) return ERR_NOMEM;
  estimate_node(j->est, jn);
  *out = jn;
  return 0;
}

/* 2: a key edge joins the two trees; 1: a residual conjunct does; 0: none. */
static int connection(const struct graph *g, uint64_t a, uint64_t b) {
  int best = 0;
  for (int i = 0; i < g->nc; i++) {
    const struct conj *c = &g->c[i];
    if (c->used || c->top) continue;
    if (!subset(c->mask, a | b) || subset(c->mask, a) || subset(c->mask, b)) continue;
    if (c->eq && ((subset(c->ma, a) && subset(c->mb, b)) || (subset(c->ma, b) && subset(c->mb, a))))
      return 2;
    best = 1;
  }
  return best;
}

static int build_graph(struct jo *j, struct plan *root, struct plan **out, int depth) {
  struct plan_ctx *ctx = j->ctx;
  struct graph g;
  memset(&g, 0, sizeof(g));
  int rc = collect(j, &g, root, depth);
  if (rc) return rc;

  int nid = ctx->next_id;
  int *rel_of = plan_alloc(ctx, sizeof(int) * (size_t)(nid ? nid : 1));
  if (!rel_of) return ERR_NOMEM;
  for (int i = 0; i < nid; i++) rel_of[i] = -1;
  for (int r = 0; r < g.nrel; r++)
    for (int i = 0; i < g.rel[r]->ncols; i++) {
      int id = g.rel[r]->cols[i].id;
      if (id >= 0 && id < nid && rel_of[id] < 0) rel_of[id] = r;
    }
  if ((rc = classify(j, &g, rel_of, nid))) return rc;

  /* single-relation conjuncts go onto their relation */
  for (int r = 0; r < g.nrel; r++) {
    struct optutil_exprs mine = {0};
    for (int i = 0; i < g.nc; i++) {
      struct conj *c = &g.c[i];
      if (!c->top && !c->used && c->mask == ((uint64_t)1 << r)) {
        if (optutil_exprs_push(ctx, &mine, c->e)) return ERR_NOMEM;
        c->used = 1;
      }
    }
    if (mine.n && !(g.rel[r] = optutil_filter(ctx, g.rel[r], mine.v, mine.n))) return ERR_NOMEM;
    estimate_tree(j->est, g.rel[r]);
  }
  if ((rc = set_ndv_hints(j, &g, rel_of, nid))) return rc;

  struct plan *t[JOINORDER_MAX_RELS];
  uint64_t m[JOINORDER_MAX_RELS];
  int nt = g.nrel;
  for (int r = 0; r < nt; r++) {
    t[r] = g.rel[r];
    m[r] = (uint64_t)1 << r;
  }
  while (nt > 1) {
    int bc = -1, bi = -1, bj = -1;
    double best = 0;
    for (int a = 0; a < nt; a++)
      for (int b = a + 1; b < nt; b++) {
        int cls = connection(&g, m[a], m[b]);
        if (cls < bc) continue;
        struct plan *cand;
        if ((rc = make_join(j, &g, t[a], m[a], t[b], m[b], 0, &cand))) return rc;
        double est = cand->est_rows;
        if (cls > bc || est < best) {
          bc = cls;
          best = est;
          bi = a;
          bj = b;
        }
      }
    struct plan *jn;
    if ((rc = make_join(j, &g, t[bi], m[bi], t[bj], m[bj], 1, &jn))) return rc;
    t[bi] = jn;
    m[bi] |= m[bj];
    for (int k = bj; k + 1 < nt; k++) {
      t[k] = t[k + 1];
      m[k] = m[k + 1];
    }
    nt--;
  }

  struct plan *res = t[0];
  struct optutil_exprs top = {0};
  for (int i = 0; i < g.nc; i++)
    if (!g.c[i].used && optutil_exprs_push(ctx, &top, g.c[i].e)) return ERR_NOMEM;
  if (top.n && !(res = optutil_filter(ctx, res, top.v, top.n))) return ERR_NOMEM;
  if (!optutil_same_ids(res, root->cols, root->ncols)) {
    res = optutil_passthrough(ctx, res, root->cols, root->ncols);
    if (!res) return ERR_NOMEM;
  }
  estimate_node(j->est, res);
  *out = res;
  return 0;
}

static int visit(struct jo *j, struct plan *p, struct plan **out, int depth) {
  *out = p;
  if (depth > JOINORDER_MAX_DEPTH) return 0;
  if (is_graph_root(p) && count_rels(p, 0) <= JOINORDER_MAX_RELS)
    return build_graph(j, p, out, depth);
  for (int i = 0; i < p->nchild; i++) {
    int rc = visit(j, p->child[i], &p->child[i], depth + 1);
    if (rc) return rc;
  }
  estimate_node(j->est, p);
  return 0;
}

int joinorder_run(struct plan_ctx *ctx, struct estimate *est, struct plan *p, struct plan **out,
                  struct err *e) {
  struct jo j = {ctx, est};
  int rc = visit(&j, p, out, 0);
  if (rc) return err_set(e, rc, "out of memory while ordering joins");
  return 0;
}
