/* bind_query.c: query shapes (see bind_query.h and analyzer.h). */
#include "engine/analyze/bind_query.h"

#include <stdio.h>
#include <string.h>

#include "engine/analyze/bind_expr.h"
#include "engine/analyze/bind_from.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/vec/schema.h"

static struct plan *pass_node(struct bind *b, enum plan_kind k, struct plan *child) {
  struct plan *p = plan_new(b->ctx, k, &child, 1, child->ncols);
  if (p && child->ncols) memcpy(p->cols, child->cols, sizeof *p->cols * (size_t)child->ncols);
  return p;
}

static int col_ref(struct bind *b, const struct plan_col *c, struct expr **out) {
  *out = expr_col(b->ctx, c->id, c->type, c->nullable);
  return *out ? 0 : bind_oom(b);
}

/* DISTINCT: an aggregate keyed on every column, no calls. */
static int distinct(struct bind *b, struct plan *p, struct plan **out) {
  struct plan *a = plan_new(b->ctx, PLAN_AGG, &p, 1, p->ncols);
  struct expr **k = plan_alloc(b->ctx, sizeof *k * (size_t)(p->ncols + 1));
  if (!a || !k) return bind_oom(b);
  for (int i = 0; i < p->ncols; i++) {
    int rc = col_ref(b, &p->cols[i], &k[i]);
    if (rc) return rc;
    a->cols[i] = p->cols[i];
    a->cols[i].id = bind_new_id(b, p->cols[i].name);
  }
  a->u.agg.keys = k;
  a->u.agg.nkeys = p->ncols;
  *out = a;
  return 0;
}

static int limit_value(struct bind *b, const struct ast_expr *a, const char *what, int64_t *v) {
  int rc = bind_expr_const_int(b, a, what, v);
  if (rc) return rc;
  if (*v < 0)
    return bind_error(b, ERR_SQL, a->pos,
                      "[INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE] The %s like expression is "
                      "invalid. The %s expression must be equal to or greater than 0, but got "
                      "%lld.",
                      what, what, (long long)*v);
  return 0;
}

/* Sort (keys over p's output; nkeys may be 0) and LIMIT / OFFSET of q. */
static int sort_limit(struct bind *b, const struct ast_query *q, struct plan *p,
                      struct plan_sort_key *keys, int nkeys, struct plan **out) {
  int64_t lim = -1, off = 0;
  int rc;
  if (q->limit && (rc = limit_value(b, q->limit, "limit", &lim))) return rc;
  if (q->offset && (rc = limit_value(b, q->offset, "offset", &off))) return rc;
  for (int i = 0; i < nkeys; i++)
    if ((rc = bind_check_orderable(b, keys[i].expr, "ORDER BY"))) return rc;
  if (nkeys) {
    struct plan *s = pass_node(b, PLAN_SORT, p);
    if (!s) return bind_oom(b);
    s->u.sort.keys = keys;
    s->u.sort.nkeys = nkeys;
    s->u.sort.limit = lim >= 0 && !off ? lim : lim >= 0 ? lim + off : -1;
    p = s;
  }
  if ((lim >= 0 && !nkeys) || off) {
    struct plan *l = pass_node(b, PLAN_LIMIT, p);
    if (!l) return bind_oom(b);
    l->u.limit.limit = lim;
    l->u.limit.offset = off;
    p = l;
  }
  *out = p;
  return 0;
}

static void sort_flags(const struct ast_sort *s, struct plan_sort_key *k) {
  k->desc = s->desc;
  k->nulls_first = s->nulls == AST_NULLS_DEFAULT ? !s->desc : s->nulls == AST_NULLS_FIRST;
}

/* 1 and *pos (0-based) when a is an integer literal (ORDER BY / GROUP BY
 * position). */
static int position_of(const struct ast_expr *a, int64_t *pos) {
  if (a->kind != AST_LIT || (a->u.lit.type.id != TYPE_INT && a->u.lit.type.id != TYPE_BIGINT)) return 0;
  *pos = a->u.lit.i - 1;
  return 1;
}

/* ORDER BY for set operations and VALUES: over the output columns. */
static int order_output(struct bind *b, const struct ast_query *q, struct plan *p,
                        const struct bind_scope *outer, struct plan **out) {
  struct plan_sort_key *keys = plan_alloc(b->ctx, sizeof *keys * (size_t)(q->norder + 1));
  if (!keys) return bind_oom(b);
  struct bind_scope sc = {0};
  sc.outer = outer;
  int rc = bind_scope_from_plan(b, &sc, p, NULL);
  if (rc) return rc;
  for (int i = 0; i < q->norder; i++) {
    const struct ast_sort *s = &q->order[i];
    int64_t pos;
    sort_flags(s, &keys[i]);
    if (position_of(s->expr, &pos)) {
      if (pos < 0 || pos >= p->ncols)
        return bind_error(b, ERR_SQL, s->expr->pos,
                          "[ORDER_BY_POS_OUT_OF_RANGE] ORDER BY position %lld is not in select "
                          "list (valid range is [1, %d]).",
                          (long long)pos + 1, p->ncols);
      if ((rc = col_ref(b, &p->cols[pos], &keys[i].expr))) return rc;
      continue;
    }
    struct bind_ectx x = {0};
    x.b = b;
    x.sc = &sc;
    x.clause = "ORDER BY";
    if ((rc = bind_expr(&x, s->expr, &keys[i].expr))) return rc;
  }
  return sort_limit(b, q, p, keys, q->norder, out);
}

/* p with its columns cast to types (a project when any differs). */
static int cast_cols(struct bind *b, struct plan *p, const struct type *types, struct plan **out) {
  int same = 1;
  for (int i = 0; i < p->ncols; i++)
    if (!coerce_type_eq(p->cols[i].type, types[i])) same = 0;
  if (same) {
    *out = p;
    return 0;
  }
  struct plan *pr = plan_new(b->ctx, PLAN_PROJECT, &p, 1, p->ncols);
  struct expr **ex = plan_alloc(b->ctx, sizeof *ex * (size_t)(p->ncols + 1));
  if (!pr || !ex) return bind_oom(b);
  for (int i = 0; i < p->ncols; i++) {
    struct expr *c;
    int rc = col_ref(b, &p->cols[i], &c);
    if (rc) return rc;
    pr->cols[i] = p->cols[i];
    if (!coerce_type_eq(p->cols[i].type, types[i])) {
      if (!(c = coerce_to(b->ctx, c, types[i]))) return bind_oom(b);
      pr->cols[i].type = types[i];
      pr->cols[i].nullable = c->nullable;
      pr->cols[i].id = bind_new_id(b, p->cols[i].name);
    }
    ex[i] = c;
  }
  pr->u.project.exprs = ex;
  *out = pr;
  return 0;
}

static const char *ordinal(int i, char *tmp) {
  static const char *const o[] = {"first", "second", "third", "fourth", "fifth"};
  if (i < 5) return o[i];
  snprintf(tmp, 16, "%dth", i + 1);
  return tmp;
}

static int bind_setop(struct bind *b, const struct ast_query *q, const struct bind_scope *outer,
                      struct plan **out) {
  int n = q->u.setop.n, rc;
  enum ast_setop op = q->u.setop.op;
  const char *opname = op == AST_SET_UNION ? "UNION" : op == AST_SET_INTERSECT ? "INTERSECT" : "EXCEPT";
  if (op != AST_SET_UNION && q->u.setop.all)
    return bind_error(b, ERR_UNSUPPORTED, q->pos,
                      "%s ALL is not supported by the local engine; use %s (distinct) or run the "
                      "query on the cluster.",
                      opname, opname);
  struct plan **in = plan_alloc(b->ctx, sizeof *in * (size_t)n);
  if (!in) return bind_oom(b);
  for (int i = 0; i < n; i++)
    if ((rc = bind_query(b, q->u.setop.inputs[i], outer, &in[i]))) return rc;
  int nc = in[0]->ncols;
  struct type *types = plan_alloc(b->ctx, sizeof *types * (size_t)(nc + 1));
  if (!types) return bind_oom(b);
  for (int c = 0; c < nc; c++) types[c] = in[0]->cols[c].type;
  for (int i = 1; i < n; i++) {
    char t1[32], t2[32], o1[16], o2[16];
    if (in[i]->ncols != nc)
      return bind_error(b, ERR_SQL, q->u.setop.inputs[i]->pos,
                        "[NUM_COLUMNS_MISMATCH] %s can only be performed on inputs with the same "
                        "number of columns, but the first input has %d columns and the %s input "
                        "has %d columns.",
                        opname, nc, ordinal(i, o1), in[i]->ncols);
    for (int c = 0; c < nc; c++) {
      struct type w;
      if (coerce_wider(types[c], in[i]->cols[c].type, &w))
        return bind_error(b, ERR_SQL, q->u.setop.inputs[i]->pos,
                          "[INCOMPATIBLE_COLUMN_TYPE] %s can only be performed on tables with "
                          "compatible column types. The %s column of the %s table is \"%s\" type "
                          "which is not compatible with \"%s\" at the same column of the first "
                          "table.",
                          opname, ordinal(c, o1), ordinal(i, o2),
                          schema_type_sql(in[i]->cols[c].type, t1), schema_type_sql(types[c], t2));
      types[c] = w;
    }
  }
  for (int i = 0; i < n; i++)
    if ((rc = cast_cols(b, in[i], types, &in[i]))) return rc;
  struct plan *p;
  if (op == AST_SET_UNION) {
    p = plan_new(b->ctx, PLAN_UNION, in, n, nc);
    if (!p) return bind_oom(b);
    for (int c = 0; c < nc; c++) {
      p->cols[c].name = in[0]->cols[c].name;
      p->cols[c].type = types[c];
      for (int i = 0; i < n; i++) p->cols[c].nullable |= in[i]->cols[c].nullable;
      p->cols[c].id = bind_new_id(b, p->cols[c].name);
    }
    if (!q->u.setop.all && (rc = distinct(b, p, &p))) return rc;
  } else {
    p = in[0];
    for (int i = 1; i < n; i++) {
      struct plan *kids[2] = {p, in[i]};
      struct plan *j = plan_new(b->ctx, PLAN_JOIN, kids, 2, nc);
      struct expr **lk = plan_alloc(b->ctx, sizeof *lk * (size_t)(nc + 1));
      struct expr **rk = plan_alloc(b->ctx, sizeof *rk * (size_t)(nc + 1));
      int *ns = plan_alloc(b->ctx, sizeof(int) * (size_t)(nc + 1));
      if (!j || !lk || !rk || !ns) return bind_oom(b);
      memcpy(j->cols, p->cols, sizeof *j->cols * (size_t)nc);
      for (int c = 0; c < nc; c++) {
        if ((rc = col_ref(b, &p->cols[c], &lk[c])) || (rc = col_ref(b, &in[i]->cols[c], &rk[c])))
          return rc;
        ns[c] = 1;
      }
      j->u.join.type = op == AST_SET_INTERSECT ? JOIN_SEMI : JOIN_ANTI;
      j->u.join.left_keys = lk;
      j->u.join.right_keys = rk;
      j->u.join.null_safe = ns;
      j->u.join.nkeys = nc;
      if ((rc = distinct(b, j, &p))) return rc;
    }
  }
  *out = p;
  return 0;
}

static int bind_values(struct bind *b, const struct ast_query *q, struct plan **out) {
  int nr = q->u.values.nrows, nc = q->u.values.ncols, rc;
  size_t ncell = (size_t)nr * (size_t)nc;
  struct expr **cells = plan_alloc(b->ctx, sizeof *cells * (ncell + 1));
  struct plan *p = plan_new(b->ctx, PLAN_VALUES, NULL, 0, nc);
  if (!cells || !p) return bind_oom(b);
  struct bind_ectx x = {0};
  x.b = b;
  x.clause = "VALUES";
  for (size_t i = 0; i < ncell; i++)
    if ((rc = bind_expr(&x, q->u.values.cells[i], &cells[i]))) return rc;
  for (int c = 0; c < nc; c++) {
    struct type t = {TYPE_NULL, 0, 0};
    for (int r = 0; r < nr; r++) {
      struct type w;
      const struct expr *e = cells[(size_t)r * nc + c];
      if (coerce_wider(t, e->type, &w)) {
        char t1[32], t2[32];
        return bind_error(b, ERR_SQL, q->u.values.cells[(size_t)r * nc + c]->pos,
                          "[INCOMPATIBLE_COLUMN_TYPE] VALUES column %d has incompatible types "
                          "\"%s\" and \"%s\".",
                          c + 1, schema_type_sql(t, t1), schema_type_sql(e->type, t2));
      }
      t = w;
    }
    char name[24];
    snprintf(name, sizeof name, "col%d", c + 1);
    p->cols[c].name = bind_strdup(b, name);
    if (!p->cols[c].name) return bind_oom(b);
    p->cols[c].type = t;
    for (int r = 0; r < nr; r++) {
      struct expr **e = &cells[(size_t)r * nc + c];
      if (!(*e = coerce_to(b->ctx, *e, t))) return bind_oom(b);
      p->cols[c].nullable |= (*e)->nullable;
    }
    p->cols[c].id = bind_new_id(b, p->cols[c].name);
  }
  p->u.values.cells = cells;
  p->u.values.nrows = nr;
  *out = p;
  return 0;
}

/* A generator in a SELECT list or LATERAL VIEW (Spark's Generate). */
struct sel_gen {
  const struct ast_expr *ast;
  struct expr *arg;
  int with_pos, outer;
  int ids[2];
  const char *names[2];
  struct type types[2];
};

/* 1 when a is a call of a generator the engine has: explode / posexplode
 * [_outer] (*with_pos, *outer filled). */
static int gen_call(const struct ast_expr *a, int *with_pos, int *outer) {
  if (a->kind != AST_FUNC || a->u.func.name.n != 1 || a->u.func.over || a->u.func.filter ||
      a->u.func.distinct)
    return 0;
  static const char *const names[] = {"explode", "explode_outer", "posexplode",
                                      "posexplode_outer"};
  for (int i = 0; i < 4; i++)
    if (ast_ident_eq(a->u.func.name.parts[0], names[i])) {
      *with_pos = i >= 2;
      *outer = i & 1;
      return 1;
    }
  return 0;
}

/* Bind generator call a in x: its ARRAY argument, then its output columns
 * named cols (ncols of them) or Spark's defaults (col; pos, col). */
static int bind_gen(struct bind_ectx *x, const struct ast_expr *a, char *const *cols, int ncols,
                    int top, struct sel_gen *g) {
  struct bind *b = x->b;
  memset(g, 0, sizeof *g);
  g->ast = a;
  gen_call(a, &g->with_pos, &g->outer);
  const char *call = bind_auto_name(b, a);
  if (!call) return bind_oom(b);
  if (a->u.func.nargs != 1) {
    char msg[512];
    char lname[32];
    snprintf(lname, sizeof lname, "%s%s%s", g->with_pos ? "pos" : "", "explode",
             g->outer ? "_outer" : "");
    funcs_wrong_nargs(lname, 1, 1, a->u.func.nargs, msg, sizeof msg);
    return bind_error(b, ERR_SQL, a->pos, "%s", msg);
  }
  int rc = top ? bind_expr_top(x, a->u.func.args[0], &g->arg)
               : bind_expr(x, a->u.func.args[0], &g->arg);
  if (rc) return rc;
  if (g->arg->type.id != TYPE_ARRAY) {
    char t[32];
    const char *at = bind_auto_name(b, a->u.func.args[0]);
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to "
                      "data type mismatch: The first parameter requires the (\"ARRAY\" or "
                      "\"MAP\") type, however \"%s\" has the type \"%s\".",
                      call, at ? at : "", schema_type_sql(g->arg->type, t));
  }
  int ng = 1 + g->with_pos;
  if (ncols && ncols != ng) {
    char list[256];
    size_t k = 0;
    list[0] = 0;
    for (int i = 0; i < ncols && k + 2 < sizeof list; i++)
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", cols[i]);
    return bind_error(b, ERR_SQL, a->pos,
                      "[UDTF_ALIAS_NUMBER_MISMATCH] The number of aliases supplied in the AS "
                      "clause does not match the number of columns output by the UDTF. Expected "
                      "%d aliases, but got %s.",
                      ng, list);
  }
  g->types[ng - 1] = type_elem(g->arg->type);
  if (g->with_pos) g->types[0] = (struct type){TYPE_INT, 0, 0};
  for (int i = 0; i < ng; i++) {
    const char *dflt = g->with_pos && i == 0 ? "pos" : "col";
    g->names[i] = ncols ? bind_strdup(b, cols[i]) : dflt;
    if (!g->names[i]) return bind_oom(b);
    g->ids[i] = bind_new_id(b, g->names[i]);
  }
  return 0;
}

/* The Generate node of g over child: child's columns then g's. */
static struct plan *gen_node(struct bind *b, struct plan *child, const struct sel_gen *g,
                             const char *qual) {
  int ng = 1 + g->with_pos;
  struct plan *p = plan_new(b->ctx, PLAN_GENERATE, &child, 1, child->ncols + ng);
  if (!p) return NULL;
  if (child->ncols) memcpy(p->cols, child->cols, sizeof *p->cols * (size_t)child->ncols);
  for (int i = 0; i < ng; i++) {
    struct plan_col *c = &p->cols[child->ncols + i];
    c->id = g->ids[i];
    c->name = g->names[i];
    c->qualifier = qual;
    c->type = g->types[i];
    c->nullable = g->with_pos && i == 0 ? g->outer : 1;
  }
  p->u.generate.arg = g->arg;
  p->u.generate.with_pos = g->with_pos;
  p->u.generate.outer = g->outer;
  return p;
}

/* A SELECT being planned. */
struct sel {
  struct bind *b;
  const struct ast_query *q;
  struct bind_scope from;
  struct plan *p;
  int is_agg;
  struct bind_agg agg;
  struct bind_win win;
  struct expr **items; /* select list after '*' expansion, then hidden keys */
  const char **names;
  int nitems, nvisible, cap;
  struct bind_alias *aliases;
  int naliases;
  struct sel_gen gen; /* the SELECT list's generator, when gen.ast */
};

static int add_item(struct sel *s, struct expr *e, const char *name) {
  if (s->nitems == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    struct expr **v = plan_alloc(s->b->ctx, sizeof *v * (size_t)cap);
    const char **n = plan_alloc(s->b->ctx, sizeof *n * (size_t)cap);
    if (!v || !n) return bind_oom(s->b);
    if (s->nitems) {
      memcpy(v, s->items, sizeof *v * (size_t)s->nitems);
      memcpy(n, s->names, sizeof *n * (size_t)s->nitems);
    }
    s->items = v;
    s->names = n;
    s->cap = cap;
  }
  s->items[s->nitems] = e;
  s->names[s->nitems++] = name;
  return 0;
}

static void ectx(struct sel *s, struct bind_ectx *x, const char *clause) {
  memset(x, 0, sizeof *x);
  x->b = s->b;
  x->sc = &s->from;
  x->clause = clause;
  if (s->is_agg) x->agg = &s->agg;
}

static int expand_star(struct sel *s, const struct ast_expr *a) {
  const struct ast_name *n = &a->u.col;
  int k = 0, rc;
  for (int i = 0; i < s->from.n; i++) {
    const struct bind_col *c = &s->from.cols[i];
    if (c->hidden) continue;
    if (n->n > 0 && (!c->qual || !ast_ident_eq(c->qual, n->parts[n->n - 1]))) continue;
    struct expr *e = expr_col(s->b->ctx, c->id, c->type, c->nullable);
    if (!e) return bind_oom(s->b);
    e->pos = a->pos;
    if (s->is_agg && (rc = bind_expr_regroup(s->b, &s->agg, &s->from, e, &e))) return rc;
    if ((rc = add_item(s, e, c->name))) return rc;
    k++;
  }
  if (!k && !s->q->u.select.nfrom)
    return bind_error(s->b, ERR_SQL, a->pos,
                      "[INVALID_USAGE_OF_STAR_OR_REGEX] Invalid usage of '*' in a SELECT without "
                      "FROM.");
  if (!k && n->n > 0) {
    char q[600];
    bind_quote_name(n, q, sizeof q);
    return bind_error(s->b, ERR_SQL, a->pos,
                      "[CANNOT_RESOLVE_STAR_EXPAND] Cannot resolve %s.* given input columns.", q);
  }
  return 0;
}

/* GROUPING SETS: the sets over the written GROUP BY list, as masks over the
 * distinct keys (kmap: written position -> key, -1 for a constant). */
static int grouping_sets(struct sel *s, const int *kmap) {
  const struct ast_query *q = s->q;
  struct bind_agg *g = &s->agg;
  int ns = q->u.select.ngsets;
  if (ns == 0) return 0;
  g->sets = plan_alloc(s->b->ctx, sizeof *g->sets * (size_t)ns);
  if (!g->sets) return bind_oom(s->b);
  for (int i = 0; i < ns; i++) {
    uint64_t m = 0;
    for (int j = 0; j < q->u.select.ngroup && j < 64; j++)
      if ((q->u.select.gsets[i] >> j & 1) && kmap[j] >= 0) m |= (uint64_t)1 << kmap[j];
    g->sets[i] = m;
  }
  g->nsets = ns;
  g->gid_id = bind_new_id(s->b, "spark_grouping_id");
  return 0;
}

/* Spark's Expand under the aggregate of a GROUPING SETS query: the child's
 * columns pass through (aggregate arguments see the original values), then
 * one copy per key (NULL outside the row's set), then the grouping id. The
 * aggregate groups by the copies and the id instead of the keys: *keys (new)
 * gets nkeys + 1 column references. */
static int grouping_expand(struct sel *s, struct expr ***keys) {
  struct bind *b = s->b;
  struct bind_agg *g = &s->agg;
  struct plan *child = s->p;
  int nc = child->ncols, nk = g->nkeys, n = nc + nk + 1, ns = g->nsets;
  struct plan *p = plan_new(b->ctx, PLAN_EXPAND, &child, 1, n);
  struct expr **ex = plan_alloc(b->ctx, sizeof *ex * (size_t)n * (size_t)ns);
  struct expr **k2 = plan_alloc(b->ctx, sizeof *k2 * (size_t)(nk + 1));
  if (!p || !ex || !k2) return bind_oom(b);
  for (int c = 0; c < nc; c++) p->cols[c] = child->cols[c];
  for (int k = 0; k < nk; k++) {
    struct plan_col *c = &p->cols[nc + k];
    c->name = g->key_names[k];
    c->type = g->keys[k]->type;
    c->nullable = 1;
    c->id = bind_new_id(b, c->name);
  }
  struct plan_col *gc = &p->cols[nc + nk];
  gc->name = "spark_grouping_id";
  gc->type.id = TYPE_BIGINT;
  gc->id = bind_new_id(b, gc->name);
  for (int si = 0; si < ns; si++) {
    struct expr **row = ex + (size_t)si * (size_t)n;
    int64_t gid = 0;
    for (int c = 0; c < nc; c++)
      if (!(row[c] = expr_col(b->ctx, child->cols[c].id, child->cols[c].type, child->cols[c].nullable)))
        return bind_oom(b);
    for (int k = 0; k < nk; k++) {
      if (g->sets[si] >> k & 1) {
        row[nc + k] = g->keys[k];
        continue;
      }
      gid |= (int64_t)1 << (nk - 1 - k);
      struct value v;
      memset(&v, 0, sizeof v);
      v.type = g->keys[k]->type;
      v.is_null = 1;
      if (!(row[nc + k] = expr_lit(b->ctx, &v))) return bind_oom(b);
    }
    struct value v;
    memset(&v, 0, sizeof v);
    v.type = gc->type;
    v.i = gid;
    if (!(row[nc + nk] = expr_lit(b->ctx, &v))) return bind_oom(b);
  }
  p->u.expand.exprs = ex;
  p->u.expand.nsets = ns;
  for (int k = 0; k <= nk; k++)
    if (!(k2[k] = expr_col(b->ctx, p->cols[nc + k].id, p->cols[nc + k].type, k < nk)))
      return bind_oom(b);
  s->p = p;
  *keys = k2;
  return 0;
}

static int group_keys(struct sel *s) {
  const struct ast_query *q = s->q;
  struct bind *b = s->b;
  int ng = q->u.select.ngroup, rc;
  struct bind_agg *g = &s->agg;
  g->keys = plan_alloc(b->ctx, sizeof *g->keys * (size_t)(ng + 1));
  g->key_ids = plan_alloc(b->ctx, sizeof(int) * (size_t)(ng + 1));
  g->key_names = plan_alloc(b->ctx, sizeof *g->key_names * (size_t)(ng + 1));
  if (!g->keys || !g->key_ids || !g->key_names) return bind_oom(b);
  struct bind_alias *al = plan_alloc(b->ctx, sizeof *al * (size_t)(q->u.select.nitems + 1));
  int *kmap = plan_alloc(b->ctx, sizeof(int) * (size_t)(ng + 1)); /* group[i] -> key */
  if (!al || !kmap) return bind_oom(b);
  int nal = 0;
  for (int i = 0; i < q->u.select.nitems; i++)
    if (q->u.select.items[i].alias) {
      al[nal].name = q->u.select.items[i].alias;
      al[nal++].ast = q->u.select.items[i].expr;
    }
  for (int i = 0; i < ng; i++) {
    const struct ast_expr *ga = q->u.select.group[i];
    int64_t pos;
    struct bind_ectx x = {0};
    x.b = b;
    x.sc = &s->from;
    x.clause = "GROUP BY";
    if (position_of(ga, &pos)) {
      if (pos < 0 || pos >= q->u.select.nitems || q->u.select.items[pos].expr->kind == AST_STAR)
        return bind_error(b, ERR_SQL, ga->pos,
                          "[GROUP_BY_POS_OUT_OF_RANGE] GROUP BY position %lld is not in select "
                          "list (valid range is [1, %d]).",
                          (long long)pos + 1, q->u.select.nitems);
      ga = q->u.select.items[pos].expr;
      if (bind_expr_has_agg(ga)) {
        const char *txt = bind_auto_name(b, ga);
        return bind_error(b, ERR_SQL, q->u.select.group[i]->pos,
                          "[GROUP_BY_POS_AGGREGATE] GROUP BY %lld refers to an expression %s that "
                          "contains an aggregate function. Aggregate functions are not allowed in "
                          "GROUP BY.",
                          (long long)pos + 1, txt ? txt : "");
      }
    } else {
      x.aliases = al;
      x.naliases = nal;
      x.alias_mode = BIND_ALIAS_FALLBACK;
    }
    struct expr *e;
    if ((rc = bind_expr(&x, ga, &e))) return rc;
    kmap[i] = -1;
    if (e->kind == EXPR_LIT) continue; /* grouping by a constant groups nothing */
    int dup = 0;
    for (int k = 0; k < g->nkeys; k++)
      if (bind_expr_equal(g->keys[k], e)) dup = 1, kmap[i] = k;
    if (dup) continue;
    kmap[i] = g->nkeys;
    const char *name = e->kind == EXPR_COL ? plan_ctx_name(b->ctx, e->u.col.id) : bind_auto_name(b, ga);
    if (!name) name = "key";
    g->keys[g->nkeys] = e;
    g->key_names[g->nkeys] = name;
    g->key_ids[g->nkeys++] = bind_new_id(b, name);
  }
  return grouping_sets(s, kmap);
}

/* A generator item of the SELECT list: its columns become items, computed
 * by a Generate under the final projection (one generator per SELECT). */
static int select_gen(struct sel *s, struct bind_ectx *x, const struct ast_item *it) {
  struct bind *b = s->b;
  if (s->gen.ast) {
    const char *t1 = bind_auto_name(b, s->gen.ast), *t2 = bind_auto_name(b, it->expr);
    return bind_error(b, ERR_SQL, it->expr->pos,
                      "[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] The generator is not supported: "
                      "only one generator allowed per SELECT clause but found 2: \"%s\", "
                      "\"%s\".",
                      t1 ? t1 : "", t2 ? t2 : "");
  }
  char *one[1] = {it->alias};
  int rc = bind_gen(x, it->expr, it->naliases ? it->aliases : one,
                    it->naliases ? it->naliases : it->alias ? 1 : 0, 1, &s->gen);
  if (rc) return rc;
  for (int i = 0; i < 1 + s->gen.with_pos; i++) {
    struct expr *e = expr_col(b->ctx, s->gen.ids[i], s->gen.types[i], 1);
    if (!e) return bind_oom(b);
    if ((rc = add_item(s, e, s->gen.names[i]))) return rc;
    /* ORDER BY / HAVING may name the generated columns */
    s->aliases[s->naliases].name = s->gen.names[i];
    s->aliases[s->naliases].ast = it->expr;
    s->aliases[s->naliases++].bound = e;
  }
  return 0;
}

static int select_list(struct sel *s) {
  const struct ast_query *q = s->q;
  struct bind *b = s->b;
  int rc;
  /* room for two names per item: a posexplode item has two columns */
  s->aliases = plan_alloc(b->ctx, sizeof *s->aliases * (size_t)(2 * q->u.select.nitems + 1));
  if (!s->aliases) return bind_oom(b);
  for (int i = 0; i < q->u.select.nitems; i++) {
    const struct ast_item *it = &q->u.select.items[i];
    if (it->expr->kind == AST_STAR) {
      if ((rc = expand_star(s, it->expr))) return rc;
      continue;
    }
    struct bind_ectx x;
    ectx(s, &x, "SELECT");
    x.win = &s->win;
    x.lateral = s->aliases; /* the aliases of the items before this one */
    x.nlateral = s->naliases;
    int wp, ou;
    if (gen_call(it->expr, &wp, &ou)) {
      if ((rc = select_gen(s, &x, it))) return rc;
      continue;
    }
    if (it->naliases)
      return bind_error(b, ERR_SQL, it->expr->pos,
                        "[MULTI_ALIAS_WITHOUT_GENERATOR] Multi part aliasing (%s, ...) is not "
                        "supported with \"%s\" as it is not a generator function.",
                        it->aliases[0], bind_auto_name(b, it->expr));
    struct expr *e;
    if ((rc = bind_expr_top(&x, it->expr, &e))) return rc;
    const char *name;
    if (it->alias) name = bind_strdup(b, it->alias);
    else if (it->expr->kind == AST_COL && e->kind == EXPR_COL && !s->is_agg) {
      /* the column's own spelling, except for t.a.b reaching a flattened
       * nested field "a.b", which Spark names by its last segment */
      name = plan_ctx_name(b->ctx, e->u.col.id);
      const struct ast_name *an = &it->expr->u.col;
      if (name && an->n > 1 && !ast_ident_eq(name, an->parts[an->n - 1])) name = NULL;
      if (!name) name = bind_auto_name(b, it->expr);
    }
    else name = bind_auto_name(b, it->expr);
    if (!name && it->expr->kind == AST_COL) name = bind_auto_name(b, it->expr);
    if (!name) return bind_oom(b);
    if (it->alias) {
      s->aliases[s->naliases].name = name;
      s->aliases[s->naliases].ast = it->expr;
      s->aliases[s->naliases++].bound = e;
    }
    if ((rc = add_item(s, e, name))) return rc;
  }
  s->nvisible = s->nitems;
  return 0;
}

static int order_keys(struct sel *s, struct plan_sort_key **out, int **idx_out) {
  const struct ast_query *q = s->q;
  struct bind *b = s->b;
  int rc;
  struct plan_sort_key *keys = plan_alloc(b->ctx, sizeof *keys * (size_t)(q->norder + 1));
  int *idx = plan_alloc(b->ctx, sizeof(int) * (size_t)(q->norder + 1));
  if (!keys || !idx) return bind_oom(b);
  for (int i = 0; i < q->norder; i++) {
    const struct ast_sort *o = &q->order[i];
    int64_t pos;
    sort_flags(o, &keys[i]);
    /* idx[i]: the item sorted by; the key expression is set once the
     * project exists */
    if (position_of(o->expr, &pos)) {
      if (pos < 0 || pos >= s->nvisible)
        return bind_error(b, ERR_SQL, o->expr->pos,
                          "[ORDER_BY_POS_OUT_OF_RANGE] ORDER BY position %lld is not in select "
                          "list (valid range is [1, %d]).",
                          (long long)pos + 1, s->nvisible);
      idx[i] = (int)pos;
      continue;
    }
    struct bind_ectx x;
    ectx(s, &x, "ORDER BY");
    x.win = &s->win;
    x.aliases = s->aliases;
    x.naliases = s->naliases;
    x.alias_mode = BIND_ALIAS_FIRST;
    struct expr *e;
    if ((rc = bind_expr_top(&x, o->expr, &e))) return rc;
    int k = 0;
    for (; k < s->nitems; k++)
      if (bind_expr_equal(s->items[k], e)) break;
    if (k == s->nitems) {
      if (q->u.select.distinct)
        return bind_error(b, ERR_SQL, o->expr->pos,
                          "[MISSING_ATTRIBUTES.RESOLVED_ATTRIBUTE_APPEAR_IN_OPERATION] ORDER BY "
                          "expressions of a SELECT DISTINCT must appear in the select list.");
      const char *name = bind_auto_name(b, o->expr);
      if (!name) return bind_oom(b);
      if ((rc = add_item(s, e, name))) return rc;
    }
    idx[i] = k;
  }
  *out = keys;
  *idx_out = idx;
  return 0;
}

static int same_spec(const struct bind_win_call *a, const struct bind_win_call *c) {
  if (a->npartition != c->npartition || a->norder != c->norder) return 0;
  for (int i = 0; i < a->npartition; i++)
    if (!bind_expr_equal(a->partition[i], c->partition[i])) return 0;
  for (int i = 0; i < a->norder; i++)
    if (a->order[i].desc != c->order[i].desc || a->order[i].nulls_first != c->order[i].nulls_first ||
        !bind_expr_equal(a->order[i].expr, c->order[i].expr))
      return 0;
  return 1;
}

/* One PLAN_WINDOW per distinct spec, in order of first appearance. */
static int windows(struct sel *s) {
  struct bind *b = s->b;
  int n = s->win.n;
  char *done = plan_alloc(b->ctx, (size_t)n + 1);
  if (!done) return bind_oom(b);
  for (int i = 0; i < n; i++) {
    if (done[i]) continue;
    const struct bind_win_call *w = &s->win.v[i];
    int k = 0;
    for (int j = i; j < n; j++)
      if (!done[j] && same_spec(w, &s->win.v[j])) k++;
    struct plan *child = s->p;
    struct plan *p = plan_new(b->ctx, PLAN_WINDOW, &child, 1, child->ncols + k);
    struct plan_win_call *calls = plan_alloc(b->ctx, sizeof *calls * (size_t)k);
    if (!p || !calls) return bind_oom(b);
    memcpy(p->cols, child->cols, sizeof *p->cols * (size_t)child->ncols);
    int c = 0;
    for (int j = i; j < n; j++) {
      const struct bind_win_call *v = &s->win.v[j];
      if (done[j] || !same_spec(w, v)) continue;
      done[j] = 1;
      calls[c] = v->call;
      struct plan_col *pc = &p->cols[child->ncols + c];
      pc->id = v->id;
      pc->name = v->name;
      pc->type = v->call.type;
      pc->nullable = !(v->call.fn == WIN_ROW_NUMBER || v->call.fn == WIN_RANK ||
                       v->call.fn == WIN_DENSE_RANK ||
                       (v->call.fn == WIN_AGG && (v->call.agg.fn == AGG_COUNT || v->call.agg.fn == AGG_COUNT_STAR)));
      c++;
    }
    p->u.window.partition = w->partition;
    p->u.window.npartition = w->npartition;
    p->u.window.order = w->order;
    p->u.window.norder = w->norder;
    p->u.window.calls = calls;
    p->u.window.ncalls = k;
    s->p = p;
  }
  return 0;
}

static int aggregate(struct sel *s) {
  struct bind *b = s->b;
  struct bind_agg *g = &s->agg;
  struct expr **keys = g->keys;
  int nk = g->nkeys, rc;
  if (g->nsets && (rc = grouping_expand(s, &keys))) return rc;
  if (g->nsets) nk++; /* the grouping id */
  struct plan *child = s->p;
  struct plan *p = plan_new(b->ctx, PLAN_AGG, &child, 1, nk + g->ncalls);
  if (!p) return bind_oom(b);
  for (int k = 0; k < nk; k++) {
    struct plan_col *c = &p->cols[k];
    c->id = k < g->nkeys ? g->key_ids[k] : g->gid_id;
    c->name = k < g->nkeys ? g->key_names[k] : "spark_grouping_id";
    c->type = keys[k]->type;
    c->nullable = keys[k]->nullable;
  }
  for (int k = 0; k < g->ncalls; k++) {
    struct plan_col *c = &p->cols[nk + k];
    c->id = g->call_ids[k];
    c->name = g->call_names[k];
    c->type = g->calls[k].type;
    c->nullable = !(g->calls[k].fn == AGG_COUNT || g->calls[k].fn == AGG_COUNT_STAR);
  }
  p->u.agg.keys = keys;
  p->u.agg.nkeys = nk;
  p->u.agg.calls = g->calls;
  p->u.agg.ncalls = g->ncalls;
  s->p = p;
  return 0;
}

static int project(struct sel *s, int n) {
  struct bind *b = s->b;
  struct plan *child = s->p;
  struct plan *p = plan_new(b->ctx, PLAN_PROJECT, &child, 1, n);
  if (!p) return bind_oom(b);
  for (int i = 0; i < n; i++) {
    struct expr *e = s->items[i];
    struct plan_col *c = &p->cols[i];
    c->name = s->names[i];
    c->type = e->type;
    c->nullable = e->nullable;
    int keep = e->kind == EXPR_COL && plan_find_id(child, e->u.col.id) >= 0;
    const char *old = keep ? plan_ctx_name(b->ctx, e->u.col.id) : NULL;
    if (keep && (!old || strcmp(old, c->name))) keep = 0;
    for (int k = 0; keep && k < i; k++)
      if (p->cols[k].id == e->u.col.id) keep = 0;
    c->id = keep ? e->u.col.id : bind_new_id(b, c->name);
  }
  p->u.project.exprs = s->items;
  s->p = p;
  return 0;
}

static int bind_select(struct bind *b, const struct ast_query *q, const struct bind_scope *outer,
                       struct plan **out) {
  struct sel s;
  memset(&s, 0, sizeof s);
  s.b = b;
  s.q = q;
  s.from.outer = outer;
  int rc;
  if (q->u.select.nfrom) {
    if ((rc = bind_from(b, q->u.select.from, q->u.select.nfrom, outer, &s.p, &s.from))) return rc;
  } else {
    if (!(s.p = plan_new(b->ctx, PLAN_VALUES, NULL, 0, 0))) return bind_oom(b);
    s.p->u.values.nrows = 1;
  }
  for (int i = 0; i < q->u.select.nlaterals; i++) {
    const struct ast_lateral *lv = &q->u.select.laterals[i];
    struct bind_ectx x;
    ectx(&s, &x, "LATERAL VIEW");
    x.agg = NULL;
    int wp, ou;
    if (!gen_call(lv->gen, &wp, &ou)) {
      const char *t = bind_auto_name(b, lv->gen);
      return bind_error(b, ERR_UNSUPPORTED, lv->gen->pos,
                        "LATERAL VIEW %s is not supported by the local engine: use explode, "
                        "posexplode, explode_outer or posexplode_outer.",
                        t ? t : "");
    }
    struct sel_gen g;
    if ((rc = bind_gen(&x, lv->gen, lv->cols, lv->ncols, 0, &g))) return rc;
    g.outer |= lv->outer;
    const char *qual = bind_strdup(b, lv->table);
    if (!qual || !(s.p = gen_node(b, s.p, &g, qual))) return bind_oom(b);
    for (int k = 0; k < 1 + g.with_pos; k++)
      if ((rc = bind_scope_add(b, &s.from, g.ids[k], g.names[k], qual, g.types[k], 1, 0)))
        return rc;
  }
  if (q->u.select.where) {
    struct bind_ectx x;
    ectx(&s, &x, "WHERE");
    x.agg = NULL;
    struct expr *c;
    if ((rc = bind_expr(&x, q->u.select.where, &c)) ||
        (rc = bind_expr_bool(b, c, q->u.select.where, "WHERE", &c)))
      return rc;
    struct plan *f = pass_node(b, PLAN_FILTER, s.p);
    if (!f) return bind_oom(b);
    f->u.filter.cond = c;
    s.p = f;
  }
  s.is_agg = q->u.select.ngroup > 0 || q->u.select.ngsets > 0 || q->u.select.having != NULL;
  for (int i = 0; !s.is_agg && i < q->u.select.nitems; i++)
    s.is_agg = bind_expr_has_agg(q->u.select.items[i].expr);
  for (int i = 0; !s.is_agg && i < q->norder; i++) s.is_agg = bind_expr_has_agg(q->order[i].expr);
  if (s.is_agg && (rc = group_keys(&s))) return rc;
  if ((rc = select_list(&s))) return rc;
  struct expr *having = NULL;
  if (q->u.select.having) {
    struct bind_ectx x;
    ectx(&s, &x, "HAVING");
    x.aliases = s.aliases;
    x.naliases = s.naliases;
    x.alias_mode = BIND_ALIAS_FALLBACK;
    if ((rc = bind_expr_top(&x, q->u.select.having, &having)) ||
        (rc = bind_expr_bool(b, having, q->u.select.having, "HAVING", &having)))
      return rc;
  }
  struct plan_sort_key *keys = NULL;
  int *idx = NULL;
  if (q->norder && (rc = order_keys(&s, &keys, &idx))) return rc;
  if (s.is_agg && (rc = aggregate(&s))) return rc;
  if (having) {
    struct plan *f = pass_node(b, PLAN_FILTER, s.p);
    if (!f) return bind_oom(b);
    f->u.filter.cond = having;
    s.p = f;
  }
  if (s.win.n && (rc = windows(&s))) return rc;
  if (s.gen.ast && !(s.p = gen_node(b, s.p, &s.gen, NULL))) return bind_oom(b);
  if ((rc = project(&s, s.nitems))) return rc;
  if (q->u.select.distinct && (rc = distinct(b, s.p, &s.p))) return rc;
  for (int i = 0; i < q->norder; i++)
    if ((rc = col_ref(b, &s.p->cols[idx[i]], &keys[i].expr))) return rc;
  if ((rc = sort_limit(b, q, s.p, keys, q->norder, &s.p))) return rc;
  if (s.nitems > s.nvisible) {
    struct plan *child = s.p;
    struct plan *p = plan_new(b->ctx, PLAN_PROJECT, &child, 1, s.nvisible);
    struct expr **ex = plan_alloc(b->ctx, sizeof *ex * (size_t)(s.nvisible + 1));
    if (!p || !ex) return bind_oom(b);
    for (int i = 0; i < s.nvisible; i++) {
      p->cols[i] = child->cols[i];
      if ((rc = col_ref(b, &child->cols[i], &ex[i]))) return rc;
    }
    p->u.project.exprs = ex;
    s.p = p;
  }
  *out = s.p;
  return 0;
}

int bind_query(struct bind *b, const struct ast_query *q, const struct bind_scope *outer,
               struct plan **out) {
  const struct bind_cte *save = b->ctes;
  int rc = 0;
  for (int i = 0; i < q->nctes; i++) {
    struct bind_cte *c = plan_alloc(b->ctx, sizeof *c);
    if (!c) {
      b->ctes = save;
      return bind_oom(b);
    }
    c->cte = &q->ctes[i];
    c->sql = b->sql;
    c->env = b->ctes;
    c->next = b->ctes;
    b->ctes = c;
  }
  struct plan *p = NULL;
  switch (q->kind) {
  case AST_Q_SELECT: rc = bind_select(b, q, outer, &p); break;
  case AST_Q_SETOP:
    rc = bind_setop(b, q, outer, &p);
    if (!rc) rc = order_output(b, q, p, outer, &p);
    break;
  case AST_Q_VALUES:
    rc = bind_values(b, q, &p);
    if (!rc) rc = order_output(b, q, p, outer, &p);
    break;
  }
  b->ctes = save;
  if (!rc) *out = p;
  return rc;
}
