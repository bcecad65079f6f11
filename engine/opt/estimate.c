/* estimate.c: size estimates without statistics (estimate.h). */
#include "engine/opt/estimate.h"

#include <string.h>

#define EST_MAX_DEPTH 5000
#define EST_DEFAULT_SCAN_ROWS 1000.0
#define EST_ID_SLACK 64
#define EST_NDV_STEPS 4096

static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }

int estimate_init(struct estimate *est, struct plan_ctx *ctx) {
  est->ctx = ctx;
  est->nhint = ctx->next_id + EST_ID_SLACK;
  est->ndv_hint = plan_alloc(ctx, sizeof(double) * (size_t)est->nhint);
  return est->ndv_hint ? 0 : ERR_NOMEM;
}

/* Spark's defaultSize per type. */
static double mem_width(struct type t) {
  switch (t.id) {
  case TYPE_BOOLEAN: return 1;
  case TYPE_INT: case TYPE_DATE: return 4;
  case TYPE_STRING: return 20;
  case TYPE_NULL: return 1;
  default: return 8;
  }
}

/* Width of a value written as text in a file, plus its separator. */
static double text_width(struct type t) {
  switch (t.id) {
  case TYPE_BOOLEAN: return 6;
  case TYPE_DATE: return 11;
  case TYPE_TIMESTAMP: case TYPE_STRING: return 21;
  default: return 9;
  }
}

double estimate_row_width(const struct plan *p) {
  double w = 0;
  for (int i = 0; i < p->ncols; i++) w += mem_width(p->cols[i].type);
  return dmax(w, 1);
}

double estimate_scan_rows(const struct plan *scan) {
  const struct plan_source *s = &scan->u.scan.src;
  if (!s->sizes || s->npaths <= 0 || !s->schema) return EST_DEFAULT_SCAN_ROWS;
  double bytes = 0;
  for (int i = 0; i < s->npaths; i++)
    if (s->sizes[i] > 0) bytes += (double)s->sizes[i];
  int json = s->format && strcmp(s->format, "json") == 0;
  double w = 0;
  for (int i = 0; i < s->schema->ncols; i++) {
    w += text_width(s->schema->cols[i].type);
    if (json && s->schema->cols[i].name) w += (double)strlen(s->schema->cols[i].name) + 4;
  }
  w = dmax(w, 1);
  return dmax(1, bytes / w);
}

static double sel_rec(const struct expr *e, int depth) {
  if (!e || depth > 200) return 0.5;
  switch (e->kind) {
  case EXPR_LIT:
    if (e->u.lit.is_null) return 0;
    if (e->type.id == TYPE_BOOLEAN) return e->u.lit.i ? 1 : 0;
    return 0.5;
  case EXPR_IN_LIST: {
    double s = dmin(0.5, 0.1 * e->u.in_list.n);
    return e->u.in_list.negated ? 1 - s : s;
  }
  case EXPR_LIKE:
    return e->u.like.negated ? 0.75 : 0.25;
  case EXPR_IN_SUBQUERY:
  case EXPR_EXISTS:
    return 0.5;
  case EXPR_FUNC:
    switch (e->u.func.fn) {
    case FN_EQ: case FN_NSEQ: return 0.1;
    case FN_NE: return 0.9;
    case FN_LT: case FN_LE: case FN_GT: case FN_GE: return 0.33;
    case FN_IS_NULL: return 0.1;
    case FN_IS_NOT_NULL: return 0.9;
    case FN_STARTSWITH: case FN_ENDSWITH: case FN_CONTAINS: return 0.25;
    case FN_NOT:
      return e->u.func.nargs == 1 ? 1 - sel_rec(e->u.func.args[0], depth + 1) : 0.5;
    case FN_AND: {
      double s = 1;
      for (int i = 0; i < e->u.func.nargs; i++) s *= sel_rec(e->u.func.args[i], depth + 1);
      return s;
    }
    case FN_OR: {
      double s = 0;
      for (int i = 0; i < e->u.func.nargs; i++) {
        double t = sel_rec(e->u.func.args[i], depth + 1);
        s = s + t - s * t;
      }
      return dmin(1, s);
    }
    default:
      return 0.5;
    }
  default:
    return 0.5;
  }
}

double estimate_selectivity(const struct expr *cond) {
  if (!cond) return 1;
  double s = sel_rec(cond, 0);
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

static double hint(struct estimate *est, int id, double v) {
  if (id >= 0 && id < est->nhint && est->ndv_hint[id] > 0) v = dmin(v, est->ndv_hint[id]);
  return dmax(1, v);
}

static double rows_of(const struct plan *p) { return p->est_rows >= 0 ? p->est_rows : 1; }

static double ndv_rec(struct estimate *est, const struct plan *p, int id, int depth);

static double key_ndv(struct estimate *est, const struct plan *side, const struct expr *k, int depth) {
  if (depth == 0) est->steps = 0;
  while (k->kind == EXPR_CAST) k = k->u.cast.arg;
  if (k->kind == EXPR_COL) return ndv_rec(est, side, k->u.col.id, depth + 1);
  return dmax(1, rows_of(side));
}

static double ndv_rec(struct estimate *est, const struct plan *p, int id, int depth) {
  double v = rows_of(p);
  if (depth > EST_MAX_DEPTH || ++est->steps > EST_NDV_STEPS) return hint(est, id, v);
  switch (p->kind) {
  case PLAN_SCAN:
    v = estimate_scan_rows(p);
    break;
  case PLAN_FILTER: case PLAN_SORT: case PLAN_LIMIT:
    v = ndv_rec(est, p->child[0], id, depth + 1);
    break;
  case PLAN_WINDOW:
  case PLAN_GENERATE:
    if (plan_find_id(p->child[0], id) >= 0) v = ndv_rec(est, p->child[0], id, depth + 1);
    break;
  case PLAN_PROJECT: {
    int i = plan_find_id(p, id);
    if (i >= 0) {
      const struct expr *x = p->u.project.exprs[i];
      if (x->kind == EXPR_COL) v = ndv_rec(est, p->child[0], x->u.col.id, depth + 1);
    }
    break;
  }
  case PLAN_AGG: {
    int i = plan_find_id(p, id);
    if (i >= 0 && i < p->u.agg.nkeys && p->u.agg.keys[i]->kind == EXPR_COL)
      v = dmin(v, ndv_rec(est, p->child[0], p->u.agg.keys[i]->u.col.id, depth + 1));
    break;
  }
  case PLAN_JOIN: {
    int side = plan_find_id(p->child[0], id) >= 0 ? 0 : plan_find_id(p->child[1], id) >= 0 ? 1 : -1;
    if (side < 0) break;
    v = ndv_rec(est, p->child[side], id, depth + 1);
    /* equated with a column of the other side: bounded by its ndv too */
    for (int k = 0; k < p->u.join.nkeys; k++) {
      const struct expr *mine = side ? p->u.join.right_keys[k] : p->u.join.left_keys[k];
      const struct expr *other = side ? p->u.join.left_keys[k] : p->u.join.right_keys[k];
      if (mine->kind == EXPR_COL && mine->u.col.id == id)
        v = dmin(v, key_ndv(est, p->child[!side], other, depth + 1));
    }
    break;
  }
  default:
    break;
  }
  return hint(est, id, v);
}

double estimate_col_ndv(struct estimate *est, const struct plan *p, int id) {
  est->steps = 0;
  return ndv_rec(est, p, id, 0);
}

static double join_rows(struct estimate *est, const struct plan *p) {
  const struct plan *l = p->child[0], *r = p->child[1];
  double L = rows_of(l), R = rows_of(r);
  double sel = estimate_selectivity(p->u.join.cond);
  enum plan_join_type t = p->u.join.type;
  if (t == JOIN_SEMI || t == JOIN_ANTI) {
    double frac = 1;
    if (p->u.join.nkeys > 0) {
      /* share of left keys found on the right */
      double ndv_l = 1, ndv_r = 1;
      for (int k = 0; k < p->u.join.nkeys; k++) {
        ndv_l *= key_ndv(est, l, p->u.join.left_keys[k], 0);
        ndv_r = dmax(ndv_r, dmin(R, key_ndv(est, r, p->u.join.right_keys[k], 0)));
      }
      frac = dmin(1, ndv_r / dmax(1, dmin(ndv_l, L)));
    }
    if (p->u.join.cond) frac *= dmax(sel, 0.5);
    if (R <= 0) frac = 0;
    return t == JOIN_SEMI ? L * frac : L * dmax(0.1, 1 - frac);
  }
  double inner;
  if (p->u.join.nkeys > 0) {
    inner = L * R;
    for (int k = 0; k < p->u.join.nkeys; k++) {
      double a = key_ndv(est, l, p->u.join.left_keys[k], 0);
      double b = key_ndv(est, r, p->u.join.right_keys[k], 0);
      inner /= dmax(1, dmin(a, b));
    }
    inner *= sel;
  } else {
    inner = L * R * sel;
  }
  switch (t) {
  case JOIN_LEFT: return dmax(inner, L);
  case JOIN_RIGHT: return dmax(inner, R);
  case JOIN_FULL: return dmax(inner, L + R);
  default: return inner;
  }
}

static double agg_rows(struct estimate *est, const struct plan *p) {
  double in = rows_of(p->child[0]);
  if (p->u.agg.nkeys == 0) return 1;
  double prod = 1;
  for (int k = 0; k < p->u.agg.nkeys; k++) {
    const struct expr *x = p->u.agg.keys[k];
    double n;
    if (x->type.id == TYPE_BOOLEAN) n = 3;
    else if (x->kind == EXPR_LIT) n = 1;
    else if (x->kind == EXPR_COL) n = estimate_col_ndv(est, p->child[0], x->u.col.id);
    else n = dmax(1, in / 2);
    prod *= n;
    if (prod > in) break;
  }
  return dmin(in, prod);
}

void estimate_node(struct estimate *est, struct plan *p) {
  double rows = 1;
  switch (p->kind) {
  case PLAN_SCAN: {
    rows = estimate_scan_rows(p);
    for (int i = 0; i < p->u.scan.nfilters; i++) rows *= estimate_selectivity(p->u.scan.filters[i]);
    break;
  }
  case PLAN_VALUES: rows = p->u.values.nrows; break;
  case PLAN_RANGE: {
    int64_t st = p->u.range.step;
    double span = (double)p->u.range.end - (double)p->u.range.start;
    rows = st == 0 ? 0 : span / (double)st;
    if (rows < 0) rows = 0;
    break;
  }
  case PLAN_FILTER: rows = rows_of(p->child[0]) * estimate_selectivity(p->u.filter.cond); break;
  case PLAN_PROJECT: case PLAN_WINDOW: rows = rows_of(p->child[0]); break;
  case PLAN_AGG: rows = agg_rows(est, p); break;
  case PLAN_JOIN: rows = join_rows(est, p); break;
  case PLAN_SORT:
    rows = rows_of(p->child[0]);
    if (p->u.sort.limit >= 0) rows = dmin(rows, (double)p->u.sort.limit);
    break;
  case PLAN_LIMIT:
    rows = dmax(0, rows_of(p->child[0]) - (double)p->u.limit.offset);
    if (p->u.limit.limit >= 0) rows = dmin(rows, (double)p->u.limit.limit);
    break;
  case PLAN_EXPAND: rows = rows_of(p->child[0]) * p->u.expand.nsets; break;
  /* unknown array sizes: assume a few elements per row */
  case PLAN_GENERATE: rows = rows_of(p->child[0]) * 4; break;
  case PLAN_UNION:
    rows = 0;
    for (int i = 0; i < p->nchild; i++) rows += rows_of(p->child[i]);
    break;
  }
  if (!(rows >= 0)) rows = 0; /* also catches NaN */
  /* a non-empty estimate never goes below one row: selectivities multiply
   * towards zero, and a later division by it must stay meaningful */
  if (rows > 0 && rows < 1) rows = 1;
  p->est_rows = rows;
  p->est_bytes = rows * estimate_row_width(p);
}

static void tree_rec(struct estimate *est, struct plan *p, int depth) {
  if (depth > EST_MAX_DEPTH) return;
  for (int i = 0; i < p->nchild; i++) tree_rec(est, p->child[i], depth + 1);
  estimate_node(est, p);
}

void estimate_tree(struct estimate *est, struct plan *p) { tree_rec(est, p, 0); }
