/* prune.c: column pruning (prune.h). */
#include "engine/opt/prune.h"

#include <string.h>

#include "engine/opt/optutil.h"

#define PRUNE_MAX_DEPTH 5000

struct pr {
  struct plan_ctx *ctx;
  int narrow; /* prune_run_narrow */
};

/* Narrowing: p's output minus the columns req lacks, as a pass-through
 * Project over p (at least one column stays, so rows keep their count). */
static int narrow(struct pr *d, struct plan *p, const struct optutil_ids *req, struct plan **out) {
  if (!d->narrow) return 0;
  int k = 0;
  for (int i = 0; i < p->ncols; i++)
    if (optutil_ids_has(req, p->cols[i].id)) k++;
  if (k == p->ncols || p->ncols == 0) return 0;
  int n = k ? k : 1;
  struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)n);
  if (!cols) return ERR_NOMEM;
  int j = 0;
  for (int i = 0; i < p->ncols && j < n; i++)
    if (!k || optutil_ids_has(req, p->cols[i].id)) cols[j++] = p->cols[i];
  struct plan *x = optutil_passthrough(d->ctx, p, cols, n);
  if (!x) return ERR_NOMEM;
  *out = x;
  return 0;
}

static int prune(struct pr *d, struct plan *p, const struct optutil_ids *req, struct plan **out,
                 int depth);

static int ids_copy(struct plan_ctx *ctx, const struct optutil_ids *src, struct optutil_ids *dst) {
  if (optutil_ids_init(ctx, dst)) return ERR_NOMEM;
  int n = src->n < dst->n ? src->n : dst->n;
  memcpy(dst->bits, src->bits, (size_t)n);
  return 0;
}

struct slot_ids {
  struct plan_ctx *ctx;
  struct optutil_ids *s;
};

static int slot_ids_cb(struct expr **slot, void *arg) {
  struct slot_ids *a = arg;
  return optutil_expr_ids(a->ctx, *slot, a->s);
}

static int node_ids(struct plan_ctx *ctx, struct plan *p, struct optutil_ids *s) {
  struct slot_ids a = {ctx, s};
  return optutil_node_exprs(p, slot_ids_cb, &a);
}

static int type_rank(struct type t) {
  switch (t.id) {
  case TYPE_BOOLEAN: return 1;
  case TYPE_INT: case TYPE_DATE: return 4;
  case TYPE_STRING: return 20;
  default: return 8;
  }
}

static int prune_scan(struct pr *d, struct plan *p, const struct optutil_ids *req) {
  struct optutil_ids need;
  if (ids_copy(d->ctx, req, &need) || node_ids(d->ctx, p, &need)) return ERR_NOMEM;
  int k = 0;
  for (int i = 0; i < p->ncols; i++)
    if (optutil_ids_has(&need, p->cols[i].id)) k++;
  if (k == p->ncols) return 0;
  int keep_one = -1;
  if (k == 0) {
    if (p->ncols == 0) return 0;
    keep_one = 0;
    for (int i = 1; i < p->ncols; i++)
      if (type_rank(p->cols[i].type) < type_rank(p->cols[keep_one].type)) keep_one = i;
    k = 1;
  }
  struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)k);
  int *proj = plan_alloc(d->ctx, sizeof(int) * (size_t)k);
  if (!cols || !proj) return ERR_NOMEM;
  int n = 0;
  for (int i = 0; i < p->ncols; i++)
    if (i == keep_one || optutil_ids_has(&need, p->cols[i].id)) {
      cols[n] = p->cols[i];
      proj[n++] = p->u.scan.proj ? p->u.scan.proj[i] : i;
    }
  p->cols = cols;
  p->u.scan.proj = proj;
  p->ncols = n;
  return 0;
}

static int prune_project(struct pr *d, struct plan *p, const struct optutil_ids *req, int depth) {
  int k = 0;
  for (int i = 0; i < p->ncols; i++)
    if (optutil_ids_has(req, p->cols[i].id)) k++;
  int keep_first = k == 0 && p->ncols > 0;
  if (k < p->ncols) {
    int n = keep_first ? 1 : k;
    struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)(n ? n : 1));
    struct expr **ex = plan_alloc(d->ctx, sizeof(*ex) * (size_t)(n ? n : 1));
    if (!cols || !ex) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < p->ncols; i++)
      if ((keep_first && i == 0) || optutil_ids_has(req, p->cols[i].id)) {
        cols[j] = p->cols[i];
        ex[j++] = p->u.project.exprs[i];
      }
    p->cols = cols;
    p->u.project.exprs = ex;
    p->ncols = j;
  }
  struct optutil_ids creq;
  if (optutil_ids_init(d->ctx, &creq) || node_ids(d->ctx, p, &creq)) return ERR_NOMEM;
  return prune(d, p->child[0], &creq, &p->child[0], depth + 1);
}

/* An Expand keeps the outputs asked for (the aggregate above asks for its
 * key copies and grouping id) and passes only the child columns they read. */
static int prune_expand(struct pr *d, struct plan *p, const struct optutil_ids *req, int depth) {
  int n = p->ncols, ns = p->u.expand.nsets, k = 0;
  for (int i = 0; i < n; i++)
    if (optutil_ids_has(req, p->cols[i].id)) k++;
  int keep_first = k == 0 && n > 0;
  if (k < n) {
    int m = keep_first ? 1 : k;
    struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)(m ? m : 1));
    struct expr **ex = plan_alloc(d->ctx, sizeof(*ex) * (size_t)(m * ns + 1));
    if (!cols || !ex) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < n; i++)
      if ((keep_first && i == 0) || optutil_ids_has(req, p->cols[i].id)) {
        cols[j] = p->cols[i];
        for (int s = 0; s < ns; s++) ex[s * m + j] = p->u.expand.exprs[s * n + i];
        j++;
      }
    p->cols = cols;
    p->u.expand.exprs = ex;
    p->ncols = j;
  }
  struct optutil_ids creq;
  if (optutil_ids_init(d->ctx, &creq) || node_ids(d->ctx, p, &creq)) return ERR_NOMEM;
  return prune(d, p->child[0], &creq, &p->child[0], depth + 1);
}

/* A Generate passes on the child columns asked for and always makes its
 * generated columns (the rows they stand for exist whether read or not). */
static int prune_generate(struct pr *d, struct plan *p, const struct optutil_ids *req, int depth) {
  int ng = plan_generate_ngen(p), nk = p->ncols - ng, k = 0;
  for (int i = 0; i < nk; i++)
    if (optutil_ids_has(req, p->cols[i].id)) k++;
  if (k < nk) {
    struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)(k + ng));
    if (!cols) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < p->ncols; i++)
      if (i >= nk || optutil_ids_has(req, p->cols[i].id)) cols[j++] = p->cols[i];
    p->cols = cols;
    p->ncols = j;
  }
  struct optutil_ids creq;
  if (optutil_ids_init(d->ctx, &creq) || node_ids(d->ctx, p, &creq)) return ERR_NOMEM;
  for (int i = 0; i < p->ncols - ng; i++) optutil_ids_add(&creq, p->cols[i].id);
  return prune(d, p->child[0], &creq, &p->child[0], depth + 1);
}

static int prune_agg(struct pr *d, struct plan *p, const struct optutil_ids *req, int depth) {
  int nk = p->u.agg.nkeys, nc = p->u.agg.ncalls;
  int k = 0;
  for (int i = 0; i < nc; i++)
    if (optutil_ids_has(req, p->cols[nk + i].id)) k++;
  if (k == 0 && nk == 0 && nc > 0) k = -1; /* keep one call: a global aggregate has a row */
  if (k != nc) {
    int n = k < 0 ? 1 : k;
    struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)(nk + n + 1));
    struct plan_agg_call *calls = plan_alloc(d->ctx, sizeof(*calls) * (size_t)(n + 1));
    if (!cols || !calls) return ERR_NOMEM;
    if (nk) memcpy(cols, p->cols, sizeof(*cols) * (size_t)nk);
    int j = 0;
    for (int i = 0; i < nc; i++)
      if ((k < 0 && i == 0) || optutil_ids_has(req, p->cols[nk + i].id)) {
        cols[nk + j] = p->cols[nk + i];
        calls[j++] = p->u.agg.calls[i];
      }
    p->cols = cols;
    p->ncols = nk + j;
    p->u.agg.calls = calls;
    p->u.agg.ncalls = j;
  }
  struct optutil_ids creq;
  if (optutil_ids_init(d->ctx, &creq) || node_ids(d->ctx, p, &creq)) return ERR_NOMEM;
  return prune(d, p->child[0], &creq, &p->child[0], depth + 1);
}

static int prune_window(struct pr *d, struct plan *p, const struct optutil_ids *req,
                        struct plan **out, int depth) {
  int base = p->ncols - p->u.window.ncalls, nc = p->u.window.ncalls;
  int k = 0;
  for (int i = 0; i < nc; i++)
    if (optutil_ids_has(req, p->cols[base + i].id)) k++;
  if (k == 0) return prune(d, p->child[0], req, out, depth + 1);
  if (k != nc) {
    struct plan_win_call *calls = plan_alloc(d->ctx, sizeof(*calls) * (size_t)k);
    struct plan_col *callcols = plan_alloc(d->ctx, sizeof(*callcols) * (size_t)k);
    if (!calls || !callcols) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < nc; i++)
      if (optutil_ids_has(req, p->cols[base + i].id)) {
        callcols[j] = p->cols[base + i];
        calls[j++] = p->u.window.calls[i];
      }
    p->u.window.calls = calls;
    p->u.window.ncalls = k;
    /* child columns are filled in below */
    p->cols = callcols;
    p->ncols = k;
  } else {
    struct plan_col *callcols = plan_alloc(d->ctx, sizeof(*callcols) * (size_t)nc);
    if (!callcols) return ERR_NOMEM;
    memcpy(callcols, p->cols + base, sizeof(*callcols) * (size_t)nc);
    p->cols = callcols;
    p->ncols = nc;
  }
  struct optutil_ids creq;
  if (ids_copy(d->ctx, req, &creq) || node_ids(d->ctx, p, &creq)) return ERR_NOMEM;
  int rc = prune(d, p->child[0], &creq, &p->child[0], depth + 1);
  if (rc) return rc;
  struct plan *c = p->child[0];
  struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)(c->ncols + p->ncols));
  if (!cols) return ERR_NOMEM;
  if (c->ncols) memcpy(cols, c->cols, sizeof(*cols) * (size_t)c->ncols);
  memcpy(cols + c->ncols, p->cols, sizeof(*cols) * (size_t)p->ncols);
  p->cols = cols;
  p->ncols += c->ncols;
  *out = p;
  return 0;
}

static int prune_union(struct pr *d, struct plan *p, const struct optutil_ids *req, int depth) {
  int n = p->ncols, k = 0;
  for (int i = 0; i < n; i++)
    if (optutil_ids_has(req, p->cols[i].id)) k++;
  int keep_first = k == 0 && n > 0;
  if (keep_first) k = 1;
  unsigned char *keep = plan_alloc(d->ctx, (size_t)(n ? n : 1));
  if (!keep) return ERR_NOMEM;
  for (int i = 0; i < n; i++) keep[i] = (keep_first && i == 0) || optutil_ids_has(req, p->cols[i].id);
  for (int c = 0; c < p->nchild; c++) {
    struct plan *ch = p->child[c];
    if (ch->ncols != n) return ERR_INVAL;
    struct plan_col *want = plan_alloc(d->ctx, sizeof(*want) * (size_t)(k ? k : 1));
    struct optutil_ids creq;
    if (!want || optutil_ids_init(d->ctx, &creq)) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < n; i++)
      if (keep[i]) {
        want[j++] = ch->cols[i];
        optutil_ids_add(&creq, ch->cols[i].id);
      }
    int rc = prune(d, ch, &creq, &p->child[c], depth + 1);
    if (rc) return rc;
    if (!optutil_same_ids(p->child[c], want, k)) {
      p->child[c] = optutil_passthrough(d->ctx, p->child[c], want, k);
      if (!p->child[c]) return ERR_NOMEM;
    }
  }
  if (k != n) {
    struct plan_col *cols = plan_alloc(d->ctx, sizeof(*cols) * (size_t)k);
    if (!cols) return ERR_NOMEM;
    int j = 0;
    for (int i = 0; i < n; i++)
      if (keep[i]) cols[j++] = p->cols[i];
    p->cols = cols;
    p->ncols = k;
  }
  return 0;
}

static int prune(struct pr *d, struct plan *p, const struct optutil_ids *req, struct plan **out,
                 int depth) {
  struct plan_ctx *ctx = d->ctx;
  *out = p;
  if (depth > PRUNE_MAX_DEPTH) return 0;
  int rc;
  switch (p->kind) {
  case PLAN_SCAN:
    if ((rc = prune_scan(d, p, req))) return rc;
    /* Columns only the scan's pushed filters read end there. */
    return p->u.scan.nfilters ? narrow(d, p, req, out) : 0;
  case PLAN_VALUES:
  case PLAN_RANGE:
    return 0;
  case PLAN_PROJECT:
    return prune_project(d, p, req, depth);
  case PLAN_AGG:
    return prune_agg(d, p, req, depth);
  case PLAN_WINDOW:
    return prune_window(d, p, req, out, depth);
  case PLAN_UNION:
    return prune_union(d, p, req, depth);
  case PLAN_EXPAND:
    return prune_expand(d, p, req, depth);
  case PLAN_GENERATE:
    return prune_generate(d, p, req, depth);
  case PLAN_FILTER:
  case PLAN_SORT:
  case PLAN_LIMIT: {
    struct optutil_ids creq;
    if (ids_copy(ctx, req, &creq) || node_ids(ctx, p, &creq)) return ERR_NOMEM;
    if ((rc = prune(d, p->child[0], &creq, &p->child[0], depth + 1))) return rc;
    p->cols = p->child[0]->cols;
    p->ncols = p->child[0]->ncols;
    return narrow(d, p, req, out);
  }
  case PLAN_JOIN: {
    struct optutil_ids creq;
    if (ids_copy(ctx, req, &creq) || node_ids(ctx, p, &creq)) return ERR_NOMEM;
    for (int i = 0; i < 2; i++)
      if ((rc = prune(d, p->child[i], &creq, &p->child[i], depth + 1))) return rc;
    if ((rc = optutil_join_cols(ctx, p))) return rc;
    return narrow(d, p, req, out);
  }
  }
  return 0;
}

static int run(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e,
               int narrowing) {
  struct pr d = {ctx, narrowing};
  struct optutil_ids req;
  if (optutil_ids_init(ctx, &req)) return err_set(e, ERR_NOMEM, "out of memory");
  for (int i = 0; i < p->ncols; i++) optutil_ids_add(&req, p->cols[i].id);
  const struct plan_col *orig = p->cols;
  int n = p->ncols;
  /* prune never writes into an existing cols array, so orig stays valid */
  int rc = prune(&d, p, &req, out, 0);
  if (rc == ERR_INVAL) return err_set(e, rc, "optimizer: union inputs disagree in width");
  if (rc) return err_set(e, rc, "out of memory while pruning columns");
  if (!optutil_same_ids(*out, orig, n)) {
    *out = optutil_passthrough(ctx, *out, orig, n);
    if (!*out) return err_set(e, ERR_NOMEM, "out of memory while pruning columns");
  }
  return 0;
}

int prune_run(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e) {
  return run(ctx, p, out, e, 0);
}

int prune_run_narrow(struct plan_ctx *ctx, struct plan *p, struct plan **out, struct err *e) {
  return run(ctx, p, out, e, 1);
}
