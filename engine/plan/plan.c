/* plan.c: logical plan helpers (see plan.h). */
#include "engine/plan/plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "engine/sql/ast.h"

struct plan_ctx *plan_ctx_new(void) {
  struct plan_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->arena = ast_arena_new();
  if (!ctx->arena) {
    free(ctx);
    return NULL;
  }
  ctx->next_id = 1;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  ctx->now_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
  return ctx;
}

void plan_ctx_free(struct plan_ctx *ctx) {
  if (!ctx) return;
  ast_arena_free(ctx->arena);
  free(ctx->id_names);
  free(ctx);
}

int plan_ctx_new_id(struct plan_ctx *ctx) { return ctx->next_id++; }

void *plan_alloc(struct plan_ctx *ctx, size_t n) { return ast_alloc(ctx->arena, n ? n : 1); }

char *plan_strdup(struct plan_ctx *ctx, const char *s) {
  return s ? ast_strndup(ctx->arena, s, strlen(s)) : NULL;
}

void plan_ctx_set_name(struct plan_ctx *ctx, int id, const char *name) {
  if (id < 0 || !name) return;
  if (id >= ctx->id_names_cap) {
    int cap = ctx->id_names_cap ? ctx->id_names_cap : 64;
    while (cap <= id) cap *= 2;
    const char **n = realloc(ctx->id_names, sizeof *n * (size_t)cap);
    if (!n) return;
    memset(n + ctx->id_names_cap, 0, sizeof *n * (size_t)(cap - ctx->id_names_cap));
    ctx->id_names = n;
    ctx->id_names_cap = cap;
  }
  ctx->id_names[id] = name;
}

const char *plan_ctx_name(const struct plan_ctx *ctx, int id) {
  return (id >= 0 && id < ctx->id_names_cap) ? ctx->id_names[id] : NULL;
}

struct plan *plan_new(struct plan_ctx *ctx, enum plan_kind kind, struct plan **child, int nchild,
                      int ncols) {
  struct plan *p = plan_alloc(ctx, sizeof *p);
  if (!p) return NULL;
  p->kind = kind;
  p->est_rows = -1;
  p->est_bytes = -1;
  if (nchild > 0) {
    p->child = plan_alloc(ctx, sizeof *p->child * (size_t)nchild);
    if (!p->child) return NULL;
    memcpy(p->child, child, sizeof *p->child * (size_t)nchild);
    p->nchild = nchild;
  }
  if (ncols > 0) {
    p->cols = plan_alloc(ctx, sizeof *p->cols * (size_t)ncols);
    if (!p->cols) return NULL;
    p->ncols = ncols;
  }
  return p;
}

void plan_ids(const struct plan *p, int *ids) {
  for (int i = 0; i < p->ncols; i++) ids[i] = p->cols[i].id;
}

int plan_find_id(const struct plan *p, int id) {
  for (int i = 0; i < p->ncols; i++)
    if (p->cols[i].id == id) return i;
  return -1;
}

/* ---- outer references ---- */

struct idset {
  int *v;
  int n, cap;
};

static int idset_add(struct idset *s, int id) {
  for (int i = 0; i < s->n; i++)
    if (s->v[i] == id) return 0;
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    int *v = realloc(s->v, sizeof *v * (size_t)cap);
    if (!v) return ERR_NOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = id;
  return 0;
}

static int idset_has(const struct idset *s, int id) {
  for (int i = 0; i < s->n; i++)
    if (s->v[i] == id) return 1;
  return 0;
}

struct refs {
  struct idset produced, used;
  int oom;
};

static void note_used(int id, void *arg) {
  struct refs *r = arg;
  if (idset_add(&r->used, id)) r->oom = 1;
}

static void walk_subplans(const struct expr *e, struct refs *r);
static void collect(const struct plan *p, struct refs *r);

static void use_expr(const struct expr *e, struct refs *r) {
  if (!e) return;
  expr_cols(e, note_used, r);
  walk_subplans(e, r);
}

/* Subqueries nested in expressions may themselves be correlated to columns
 * outside p, so their used/produced ids join the same sets. */
static void walk_subplans(const struct expr *e, struct refs *r) {
  switch (e->kind) {
  case EXPR_SUBQUERY: case EXPR_IN_SUBQUERY: case EXPR_EXISTS:
    collect(e->u.sub.plan, r);
    if (e->u.sub.arg) walk_subplans(e->u.sub.arg, r);
    return;
  case EXPR_FUNC:
    for (int i = 0; i < e->u.func.nargs; i++) walk_subplans(e->u.func.args[i], r);
    return;
  case EXPR_CASE:
    for (int i = 0; i < e->u.cases.n; i++) {
      walk_subplans(e->u.cases.when[i], r);
      walk_subplans(e->u.cases.then[i], r);
    }
    if (e->u.cases.otherwise) walk_subplans(e->u.cases.otherwise, r);
    return;
  case EXPR_CAST: walk_subplans(e->u.cast.arg, r); return;
  case EXPR_IN_LIST:
    walk_subplans(e->u.in_list.arg, r);
    for (int i = 0; i < e->u.in_list.n; i++) walk_subplans(e->u.in_list.list[i], r);
    return;
  case EXPR_LIKE: walk_subplans(e->u.like.arg, r); return;
  default: return;
  }
}

static void use_sort(const struct plan_sort_key *k, int n, struct refs *r) {
  for (int i = 0; i < n; i++) use_expr(k[i].expr, r);
}

static void use_agg(const struct plan_agg_call *c, struct refs *r) {
  use_expr(c->arg, r);
  use_expr(c->filter, r);
}

static void collect(const struct plan *p, struct refs *r) {
  for (int i = 0; i < p->ncols; i++)
    if (idset_add(&r->produced, p->cols[i].id)) r->oom = 1;
  for (int i = 0; i < p->nchild; i++) collect(p->child[i], r);
  switch (p->kind) {
  case PLAN_SCAN:
    for (int i = 0; i < p->u.scan.nfilters; i++) use_expr(p->u.scan.filters[i], r);
    break;
  case PLAN_VALUES:
    for (int i = 0; i < p->u.values.nrows * p->ncols; i++) use_expr(p->u.values.cells[i], r);
    break;
  case PLAN_FILTER: use_expr(p->u.filter.cond, r); break;
  case PLAN_PROJECT:
    for (int i = 0; i < p->ncols; i++) use_expr(p->u.project.exprs[i], r);
    break;
  case PLAN_AGG:
    for (int i = 0; i < p->u.agg.nkeys; i++) use_expr(p->u.agg.keys[i], r);
    for (int i = 0; i < p->u.agg.ncalls; i++) use_agg(&p->u.agg.calls[i], r);
    break;
  case PLAN_JOIN:
    for (int i = 0; i < p->u.join.nkeys; i++) {
      use_expr(p->u.join.left_keys[i], r);
      use_expr(p->u.join.right_keys[i], r);
    }
    use_expr(p->u.join.cond, r);
    /* SEMI/ANTI joins do not output the right side, but it is produced. */
    if (p->nchild == 2)
      for (int i = 0; i < p->child[1]->ncols; i++)
        if (idset_add(&r->produced, p->child[1]->cols[i].id)) r->oom = 1;
    break;
  case PLAN_SORT: use_sort(p->u.sort.keys, p->u.sort.nkeys, r); break;
  case PLAN_WINDOW:
    for (int i = 0; i < p->u.window.npartition; i++) use_expr(p->u.window.partition[i], r);
    use_sort(p->u.window.order, p->u.window.norder, r);
    for (int i = 0; i < p->u.window.ncalls; i++) {
      use_agg(&p->u.window.calls[i].agg, r);
      use_expr(p->u.window.calls[i].arg, r);
      use_expr(p->u.window.calls[i].dflt, r);
    }
    break;
  case PLAN_EXPAND:
    for (int i = 0; i < p->u.expand.nsets * p->ncols; i++) use_expr(p->u.expand.exprs[i], r);
    break;
  case PLAN_GENERATE: use_expr(p->u.generate.arg, r); break;
  default: break;
  }
}

int plan_outer_refs(struct plan_ctx *ctx, const struct plan *p, int **out, int *n) {
  struct refs r;
  memset(&r, 0, sizeof r);
  collect(p, &r);
  int rc = r.oom ? ERR_NOMEM : 0;
  for (int i = 0; i < r.used.n && !rc; i++) {
    int id = r.used.v[i];
    if (idset_has(&r.produced, id)) continue;
    int *a = plan_alloc(ctx, sizeof *a * (size_t)(*n + 1));
    if (!a) {
      rc = ERR_NOMEM;
      break;
    }
    if (*n) memcpy(a, *out, sizeof *a * (size_t)*n);
    a[(*n)++] = id;
    *out = a;
  }
  free(r.produced.v);
  free(r.used.v);
  return rc;
}

/* ---- dump ---- */

static const char *const join_names[] = {"Inner", "LeftOuter", "RightOuter", "FullOuter",
                                         "Cross", "LeftSemi", "LeftAnti"};

const char *plan_join_type_name(enum plan_join_type t) {
  return (t >= 0 && t <= JOIN_ANTI) ? join_names[t] : "?";
}

static const char *const agg_names[AGG__COUNT] = {
    [AGG_COUNT_STAR] = "count", [AGG_COUNT] = "count", [AGG_SUM] = "sum", [AGG_AVG] = "avg",
    [AGG_MIN] = "min", [AGG_MAX] = "max", [AGG_FIRST] = "first",
    [AGG_STDDEV_SAMP] = "stddev_samp", [AGG_VAR_SAMP] = "var_samp",
    [AGG_COLLECT_LIST] = "collect_list", [AGG_COLLECT_SET] = "collect_set",
    [AGG_VAR_POP] = "var_pop", [AGG_STDDEV_POP] = "stddev_pop",
    [AGG_APPROX_COUNT_DISTINCT] = "approx_count_distinct", [AGG_LAST] = "last",
    [AGG_FIRST_NULLS] = "first", [AGG_LAST_NULLS] = "last", [AGG_MAX_BY] = "max_by",
    [AGG_MIN_BY] = "min_by", [AGG_PERCENTILE] = "percentile",
    [AGG_PERCENTILE_APPROX] = "percentile_approx", [AGG_BOOL_AND] = "bool_and",
    [AGG_BOOL_OR] = "bool_or", [AGG_COUNT_IF] = "count_if", [AGG_MEDIAN] = "median"};

const char *agg_fn_name(enum agg_fn fn) {
  return (fn >= 0 && fn < AGG__COUNT) ? agg_names[fn] : "?";
}

static void name_cols(const struct plan *p, struct plan_ctx *ctx) {
  for (int i = 0; i < p->ncols; i++)
    if (!plan_ctx_name(ctx, p->cols[i].id)) plan_ctx_set_name(ctx, p->cols[i].id, p->cols[i].name);
  for (int i = 0; i < p->nchild; i++) name_cols(p->child[i], ctx);
}

static int dump_list(struct expr *const *e, int n, const struct plan_ctx *ctx, struct buf *out) {
  int rc = buf_putc(out, '[');
  for (int i = 0; i < n && !rc; i++) {
    if (i) rc = buf_puts(out, ", ");
    if (!rc) rc = expr_dump(e[i], 1, ctx, out);
  }
  return rc ? rc : buf_putc(out, ']');
}

static int dump_sort(const struct plan_sort_key *k, int n, const struct plan_ctx *ctx,
                     struct buf *out) {
  int rc = buf_putc(out, '[');
  for (int i = 0; i < n && !rc; i++) {
    if (i) rc = buf_puts(out, ", ");
    if (!rc) rc = expr_dump(k[i].expr, 1, ctx, out);
    if (!rc)
      rc = buf_printf(out, " %s NULLS %s", k[i].desc ? "DESC" : "ASC",
                      k[i].nulls_first ? "FIRST" : "LAST");
  }
  return rc ? rc : buf_putc(out, ']');
}

static int dump_agg_call(const struct plan_agg_call *c, const struct plan_ctx *ctx,
                         struct buf *out) {
  int rc = buf_printf(out, "%s(%s", agg_fn_name(c->fn), c->distinct ? "DISTINCT " : "");
  if (!rc) rc = c->arg ? expr_dump(c->arg, 1, ctx, out) : buf_puts(out, "1");
  if (!rc) rc = buf_putc(out, ')');
  if (!rc && c->filter) {
    rc = buf_puts(out, " FILTER (WHERE ");
    if (!rc) rc = expr_dump(c->filter, 1, ctx, out);
    if (!rc) rc = buf_putc(out, ')');
  }
  return rc;
}

static int dump_cols(const struct plan *p, struct buf *out) {
  int rc = buf_putc(out, '[');
  for (int i = 0; i < p->ncols && !rc; i++)
    rc = buf_printf(out, "%s%s#%d", i ? ", " : "", p->cols[i].name ? p->cols[i].name : "",
                    p->cols[i].id);
  return rc ? rc : buf_putc(out, ']');
}

static int dump_node(const struct plan *p, const struct plan_ctx *ctx, int depth,
                     struct buf *out) {
  int rc = 0;
  for (int i = 0; i < depth && !rc; i++) rc = buf_puts(out, i + 1 == depth ? "+- " : "   ");
  if (rc) return rc;
  switch (p->kind) {
  case PLAN_SCAN:
    rc = buf_printf(out, "Scan %s %s ", p->u.scan.src.format, p->u.scan.src.name);
    if (!rc) rc = dump_cols(p, out);
    if (!rc && p->u.scan.nfilters) {
      rc = buf_puts(out, " PushedFilters: ");
      if (!rc) rc = dump_list(p->u.scan.filters, p->u.scan.nfilters, ctx, out);
    }
    if (!rc && p->u.scan.src.cached) rc = buf_puts(out, " (cached)");
    break;
  case PLAN_VALUES:
    rc = buf_printf(out, "LocalRelation %d row%s ", p->u.values.nrows,
                    p->u.values.nrows == 1 ? "" : "s");
    if (!rc) rc = dump_cols(p, out);
    break;
  case PLAN_RANGE:
    rc = buf_printf(out, "Range (%lld, %lld, step=%lld) ", (long long)p->u.range.start,
                    (long long)p->u.range.end, (long long)p->u.range.step);
    if (!rc) rc = dump_cols(p, out);
    break;
  case PLAN_FILTER:
    rc = buf_puts(out, "Filter ");
    if (!rc) rc = expr_dump(p->u.filter.cond, 1, ctx, out);
    break;
  case PLAN_PROJECT:
    rc = buf_puts(out, "Project [");
    for (int i = 0; i < p->ncols && !rc; i++) {
      if (i) rc = buf_puts(out, ", ");
      if (!rc) rc = expr_dump(p->u.project.exprs[i], 1, ctx, out);
      const struct expr *e = p->u.project.exprs[i];
      if (!rc && !(e->kind == EXPR_COL && e->u.col.id == p->cols[i].id))
        rc = buf_printf(out, " AS %s#%d", p->cols[i].name ? p->cols[i].name : "", p->cols[i].id);
    }
    if (!rc) rc = buf_putc(out, ']');
    break;
  case PLAN_AGG:
    rc = buf_puts(out, "Aggregate ");
    if (!rc) rc = dump_list(p->u.agg.keys, p->u.agg.nkeys, ctx, out);
    if (!rc) rc = buf_puts(out, " [");
    for (int i = 0; i < p->u.agg.ncalls && !rc; i++) {
      if (i) rc = buf_puts(out, ", ");
      if (!rc) rc = dump_agg_call(&p->u.agg.calls[i], ctx, out);
      int c = p->u.agg.nkeys + i;
      if (!rc && c < p->ncols)
        rc = buf_printf(out, " AS %s#%d", p->cols[c].name ? p->cols[c].name : "", p->cols[c].id);
    }
    if (!rc) rc = buf_putc(out, ']');
    break;
  case PLAN_JOIN:
    rc = buf_printf(out, "Join %s", plan_join_type_name(p->u.join.type));
    for (int i = 0; i < p->u.join.nkeys && !rc; i++) {
      rc = buf_puts(out, i ? " AND " : ", ");
      if (!rc) rc = expr_dump(p->u.join.left_keys[i], 1, ctx, out);
      if (!rc) rc = buf_puts(out, p->u.join.null_safe && p->u.join.null_safe[i] ? " <=> " : " = ");
      if (!rc) rc = expr_dump(p->u.join.right_keys[i], 1, ctx, out);
    }
    if (!rc && p->u.join.cond) {
      rc = buf_puts(out, p->u.join.nkeys ? " AND " : ", ");
      if (!rc) rc = expr_dump(p->u.join.cond, 1, ctx, out);
    }
    if (!rc && p->u.join.null_aware) rc = buf_puts(out, " (null-aware)");
    break;
  case PLAN_SORT:
    rc = p->u.sort.limit >= 0 ? buf_printf(out, "TopN %lld ", (long long)p->u.sort.limit)
                              : buf_puts(out, "Sort ");
    if (!rc) rc = dump_sort(p->u.sort.keys, p->u.sort.nkeys, ctx, out);
    break;
  case PLAN_LIMIT:
    rc = buf_printf(out, "Limit %lld", (long long)p->u.limit.limit);
    if (!rc && p->u.limit.offset) rc = buf_printf(out, " Offset %lld", (long long)p->u.limit.offset);
    break;
  case PLAN_UNION:
    rc = buf_puts(out, "Union ");
    if (!rc) rc = dump_cols(p, out);
    break;
  case PLAN_WINDOW:
    rc = buf_puts(out, "Window [");
    for (int i = 0; i < p->u.window.ncalls && !rc; i++) {
      const struct plan_win_call *w = &p->u.window.calls[i];
      static const char *const wn[] = {"row_number", "rank", "dense_rank", "lag", "lead"};
      if (i) rc = buf_puts(out, ", ");
      if (rc) break;
      if (w->fn == WIN_AGG) {
        rc = dump_agg_call(&w->agg, ctx, out);
      } else {
        rc = buf_printf(out, "%s(", wn[w->fn]);
        if (!rc && w->arg) rc = expr_dump(w->arg, 1, ctx, out);
        if (!rc) rc = buf_putc(out, ')');
      }
      int c = p->ncols - p->u.window.ncalls + i;
      if (!rc && c >= 0)
        rc = buf_printf(out, " AS %s#%d", p->cols[c].name ? p->cols[c].name : "", p->cols[c].id);
    }
    if (!rc) rc = buf_puts(out, "] PARTITION BY ");
    if (!rc) rc = dump_list(p->u.window.partition, p->u.window.npartition, ctx, out);
    if (!rc) rc = buf_puts(out, " ORDER BY ");
    if (!rc) rc = dump_sort(p->u.window.order, p->u.window.norder, ctx, out);
    break;
  case PLAN_EXPAND:
    rc = buf_puts(out, "Expand [");
    for (int s = 0; s < p->u.expand.nsets && !rc; s++) {
      if (s) rc = buf_puts(out, ", ");
      if (!rc) rc = dump_list(p->u.expand.exprs + (size_t)s * (size_t)p->ncols, p->ncols, ctx, out);
    }
    if (!rc) rc = buf_puts(out, "] ");
    if (!rc) rc = dump_cols(p, out);
    break;
  case PLAN_GENERATE:
    rc = buf_printf(out, "Generate %s(", p->u.generate.with_pos ? "posexplode" : "explode");
    if (!rc) rc = expr_dump(p->u.generate.arg, 1, ctx, out);
    if (!rc) rc = buf_printf(out, ") outer=%s ", p->u.generate.outer ? "true" : "false");
    if (!rc) rc = dump_cols(p, out);
    break;
  }
  if (!rc) rc = buf_putc(out, '\n');
  for (int i = 0; i < p->nchild && !rc; i++) rc = dump_node(p->child[i], ctx, depth + 1, out);
  return rc;
}

int plan_dump(const struct plan *p, const struct plan_ctx *ctx, struct buf *out) {
  /* The name table is a display cache: filling it does not change the
   * plan, hence the cast. */
  name_cols(p, (struct plan_ctx *)ctx);
  return dump_node(p, ctx, 0, out);
}
