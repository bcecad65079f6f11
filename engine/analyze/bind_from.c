/* bind_from.c: FROM clause binding (see bind_from.h). */
#include "engine/analyze/bind_from.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/analyze/bind_expr.h"
#include "engine/analyze/bind_query.h"
#include "engine/analyze/coerce.h"
#include "engine/sql/parser.h"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

static int rel(struct bind *b, const struct ast_rel *r, const struct bind_scope *outer,
               struct plan **out, struct bind_scope *sc);

int bind_from_rename(struct bind *b, struct plan *p, char *const *names, int n,
                     struct ast_pos pos, struct plan **out) {
  if (n != p->ncols)
    return bind_error(b, ERR_SQL, pos,
                      "[ASSIGN_COLUMN_ALIASES_MISMATCH] Number of column aliases does not match "
                      "number of columns. Number of column aliases: %d; number of columns: %d.",
                      n, p->ncols);
  struct plan *pr = plan_new(b->ctx, PLAN_PROJECT, &p, 1, n);
  struct expr **ex = plan_alloc(b->ctx, sizeof *ex * (size_t)(n + 1));
  if (!pr || !ex) return bind_oom(b);
  for (int i = 0; i < n; i++) {
    const struct plan_col *c = &p->cols[i];
    if (!(ex[i] = expr_col(b->ctx, c->id, c->type, c->nullable))) return bind_oom(b);
    pr->cols[i] = *c;
    pr->cols[i].qualifier = NULL;
    if (!(pr->cols[i].name = bind_strdup(b, names[i]))) return bind_oom(b);
    pr->cols[i].id = bind_new_id(b, pr->cols[i].name);
  }
  pr->u.project.exprs = ex;
  *out = pr;
  return 0;
}

static int scan_plan(struct bind *b, const struct catalog_entry *en, const char *display,
                     const char *qual, struct plan **out) {
  int n = en->schema.ncols;
  struct plan *p = plan_new(b->ctx, PLAN_SCAN, NULL, 0, n);
  if (!p) return bind_oom(b);
  struct plan_source *s = &p->u.scan.src;
  s->name = bind_strdup(b, display);
  s->format = bind_strdup(b, en->format);
  s->paths = plan_alloc(b->ctx, sizeof *s->paths * (size_t)(en->npaths + 1));
  p->u.scan.proj = plan_alloc(b->ctx, sizeof(int) * (size_t)(n + 1));
  if (!s->name || !s->format || !s->paths || !p->u.scan.proj) return bind_oom(b);
  for (int i = 0; i < en->npaths; i++) s->paths[i] = en->paths[i];
  s->npaths = en->npaths;
  s->sizes = en->sizes;
  s->opts = en->opts;
  s->nopts = en->nopts;
  s->schema = &en->schema;
  s->cached = en->cached;
  s->cache_key = en->cached ? bind_strdup(b, en->cache_key) : NULL;
  for (int i = 0; i < n; i++) {
    const struct schema_col *c = &en->schema.cols[i];
    p->u.scan.proj[i] = i;
    struct plan_col *pc = &p->cols[i];
    if (!(pc->name = bind_strdup(b, c->name))) return bind_oom(b);
    pc->qualifier = qual;
    pc->type = c->type;
    pc->nullable = c->nullable;
    pc->id = bind_new_id(b, pc->name);
  }
  *out = p;
  return 0;
}

static int expand_view(struct bind *b, const struct catalog_entry *en, struct ast_pos pos,
                       struct plan **out) {
  for (int i = 0; i < b->nviews; i++)
    if (ast_ident_eq(b->views[i], en->name))
      return bind_error(b, ERR_SQL, pos,
                        "[RECURSIVE_VIEW] Recursive view `%s` detected (cycle: `%s` -> `%s`).",
                        en->name, en->name, en->name);
  if (b->nviews >= ANALYZER_MAX_VIEW_DEPTH)
    return bind_error(b, ERR_TOOBIG, pos,
                      "[VIEW_EXCEED_MAX_NESTED_DEPTH] The depth of view `%s` exceeds the maximum "
                      "view resolution depth (%d).",
                      en->name, ANALYZER_MAX_VIEW_DEPTH);
  struct ast_script *sc = NULL;
  struct err pe;
  err_clear(&pe);
  const char *sql = en->sql ? en->sql : "";
  int rc = parser_parse(sql, strlen(sql), &sc, &pe);
  if (rc || sc->n != 1 || !sc->stmts[0] || sc->stmts[0]->kind != AST_S_QUERY) {
    ast_script_free(sc);
    if (rc == ERR_NOMEM) return bind_oom(b);
    return bind_error(b, ERR_SQL, pos,
                      "[INVALID_VIEW_TEXT] The view `%s` cannot be displayed due to invalid view "
                      "text: %s.",
                      en->name, rc ? pe.msg : "not a single query");
  }
  const char *save_sql = b->sql;
  const struct bind_cte *save_ctes = b->ctes;
  b->sql = sql;
  b->ctes = NULL;
  b->views[b->nviews++] = en->name;
  struct plan *p = NULL;
  rc = bind_query(b, sc->stmts[0]->u.query, NULL, &p);
  b->nviews--;
  b->sql = save_sql;
  b->ctes = save_ctes;
  ast_script_free(sc);
  if (rc) return rc;
  if (p->ncols != en->schema.ncols)
    return bind_error(b, ERR_SQL, pos,
                      "[INCOMPATIBLE_VIEW_SCHEMA_CHANGE] The SQL query of view `%s` now returns "
                      "%d columns instead of %d: re-create the view.",
                      en->name, p->ncols, en->schema.ncols);
  int same = 1;
  for (int i = 0; i < p->ncols; i++)
    if (!p->cols[i].name || strcmp(p->cols[i].name, en->schema.cols[i].name)) same = 0;
  if (same) {
    *out = p;
    return 0;
  }
  char **names = plan_alloc(b->ctx, sizeof *names * (size_t)(p->ncols + 1));
  if (!names) return bind_oom(b);
  for (int i = 0; i < p->ncols; i++) names[i] = en->schema.cols[i].name;
  return bind_from_rename(b, p, names, p->ncols, pos, out);
}

static int expand_cte(struct bind *b, const struct bind_cte *c, struct plan **out) {
  const char *save_sql = b->sql;
  const struct bind_cte *save_ctes = b->ctes;
  b->sql = c->sql;
  b->ctes = c->env;
  int rc = bind_query(b, c->cte->query, NULL, out);
  b->sql = save_sql;
  b->ctes = save_ctes;
  if (rc || !c->cte->ncols) return rc;
  return bind_from_rename(b, *out, c->cte->cols, c->cte->ncols, c->cte->pos, out);
}

static int rel_table(struct bind *b, const struct ast_rel *r, struct plan **out, const char **qual) {
  const struct ast_name *n = &r->u.table;
  const char *name = n->n > 0 ? n->parts[n->n - 1] : "";
  if (!(*qual = bind_strdup(b, r->alias ? r->alias : name))) return bind_oom(b);
  if (n->n == 1)
    for (const struct bind_cte *c = b->ctes; c; c = c->next)
      if (ast_ident_eq(c->cte->name, name)) return expand_cte(b, c, out);
  const struct catalog_entry *en = NULL;
  int db_ok = n->n == 1 || (n->n == 2 && ast_ident_eq(n->parts[0], "default")) ||
              (n->n == 3 && ast_ident_eq(n->parts[0], "spark_catalog") && ast_ident_eq(n->parts[1], "default"));
  if (db_ok) en = catalog_lookup(b->cat, name);
  if (!en) {
    char q[600];
    bind_quote_name(n, q, sizeof q);
    return bind_error(b, ERR_SQL, n->pos,
                      "[TABLE_OR_VIEW_NOT_FOUND] The table or view %s cannot be found. Verify the "
                      "spelling and correctness of the schema and catalog.\nIf you did not "
                      "qualify the name with a schema, verify the current_schema() output, or "
                      "qualify the name with the correct schema and catalog.\nTo tolerate the "
                      "error on drop use DROP VIEW IF EXISTS or DROP TABLE IF EXISTS.",
                      q);
  }
  if (en->kind == CATALOG_VIEW) return expand_view(b, en, n->pos, out);
  return scan_plan(b, en, en->name, *qual, out);
}

static int rel_file(struct bind *b, const struct ast_rel *r, struct plan **out) {
  const struct catalog_entry *en;
  int rc = catalog_file_relation(b->cat, r->u.file.format, r->u.file.path, &en, b->e);
  if (rc) {
    if (b->e && !b->e->line) {
      b->e->line = r->pos.line;
      b->e->column = r->pos.column;
    }
    if (b->e) err_set_ename(b->e, "AnalysisException");
    return rc;
  }
  struct buf nb;
  buf_init(&nb, 1 << 20);
  rc = buf_printf(&nb, "%s.`%s`", r->u.file.format, r->u.file.path);
  if (!rc) rc = scan_plan(b, en, nb.data, r->alias, out);
  else rc = bind_oom(b);
  buf_fini(&nb);
  return rc;
}

static int rel_tvf(struct bind *b, const struct ast_rel *r, struct plan **out) {
  const struct ast_name *n = &r->u.tvf.name;
  const char *name = n->n ? n->parts[n->n - 1] : "";
  if (n->n != 1 || strcasecmp(name, "range"))
    return bind_error(b, ERR_SQL, n->pos,
                      "[UNRESOLVABLE_TABLE_VALUED_FUNCTION] Could not resolve `%s` to a "
                      "table-valued function. Please make sure that `%s` is defined as a "
                      "table-valued function and that all required parameters are provided "
                      "correctly.",
                      name, name);
  int na = r->u.tvf.nargs;
  if (na < 1 || na > 3)
    return bind_error(b, ERR_SQL, r->pos,
                      "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `range` requires [1, 3] parameters "
                      "but the actual number is %d.",
                      na);
  int64_t v[3] = {0, 0, 1};
  for (int i = 0; i < na; i++) {
    int rc = bind_expr_const_int(b, r->u.tvf.args[i], "range argument", &v[na == 1 ? 1 : i]);
    if (rc) return rc;
  }
  if (v[2] == 0)
    return bind_error(b, ERR_SQL, r->pos, "[FAILED_FUNCTION_CALL] range: step cannot be 0.");
  struct plan *p = plan_new(b->ctx, PLAN_RANGE, NULL, 0, 1);
  if (!p) return bind_oom(b);
  p->u.range.start = v[0];
  p->u.range.end = v[1];
  p->u.range.step = v[2];
  p->cols[0].name = "id";
  p->cols[0].type = T(TYPE_BIGINT);
  p->cols[0].nullable = 0;
  p->cols[0].qualifier = r->alias;
  p->cols[0].id = bind_new_id(b, "id");
  *out = p;
  return 0;
}

static void count_col(int id, void *arg) {
  (void)id;
  (*(int *)arg)++;
}

/* 1 when e reads at least one column and only columns of p. */
static int side_of(const struct expr *e, const struct plan *p, int *ids) {
  int k = 0;
  expr_cols(e, count_col, &k);
  if (!k) return 0;
  plan_ids(p, ids);
  return expr_only_cols(e, ids, p->ncols);
}

static enum plan_join_type join_type(enum ast_join_type t) {
  switch (t) {
  case AST_JOIN_LEFT: return JOIN_LEFT;
  case AST_JOIN_RIGHT: return JOIN_RIGHT;
  case AST_JOIN_FULL: return JOIN_FULL;
  case AST_JOIN_CROSS: return JOIN_CROSS;
  case AST_JOIN_SEMI: return JOIN_SEMI;
  case AST_JOIN_ANTI: return JOIN_ANTI;
  default: return JOIN_INNER;
  }
}

static struct plan *join_node(struct bind *b, enum plan_join_type t, struct plan *l, struct plan *r) {
  struct plan *kids[2] = {l, r};
  int semi = t == JOIN_SEMI || t == JOIN_ANTI;
  struct plan *j = plan_new(b->ctx, PLAN_JOIN, kids, 2, l->ncols + (semi ? 0 : r->ncols));
  if (!j) return NULL;
  for (int i = 0; i < l->ncols; i++) j->cols[i] = l->cols[i];
  if (!semi)
    for (int i = 0; i < r->ncols; i++) {
      j->cols[l->ncols + i] = r->cols[i];
      /* the inner side of an outer join may produce NULLs */
      if (t == JOIN_LEFT || t == JOIN_FULL) j->cols[l->ncols + i].nullable = 1;
    }
  if (t == JOIN_RIGHT || t == JOIN_FULL)
    for (int i = 0; i < l->ncols; i++) j->cols[i].nullable = 1;
  j->u.join.type = t;
  return j;
}

/* Equi-keys and residual from an ON condition. */
static int split_on(struct bind *b, struct plan *j, struct expr *cond) {
  struct expr **cj = NULL;
  int n = 0;
  if (expr_conjuncts(b->ctx, cond, &cj, &n)) return bind_oom(b);
  struct plan *l = j->child[0], *r = j->child[1];
  int nmax = l->ncols > r->ncols ? l->ncols : r->ncols;
  int *ids = plan_alloc(b->ctx, sizeof(int) * (size_t)(nmax + 1));
  struct expr **lk = plan_alloc(b->ctx, sizeof *lk * (size_t)(n + 1));
  struct expr **rk = plan_alloc(b->ctx, sizeof *rk * (size_t)(n + 1));
  struct expr **rest = plan_alloc(b->ctx, sizeof *rest * (size_t)(n + 1));
  int *ns = plan_alloc(b->ctx, sizeof(int) * (size_t)(n + 1));
  if (!ids || !lk || !rk || !rest || !ns) return bind_oom(b);
  int nk = 0, nr = 0;
  for (int i = 0; i < n; i++) {
    struct expr *c = cj[i];
    if (c->kind == EXPR_FUNC && (c->u.func.fn == FN_EQ || c->u.func.fn == FN_NSEQ) && c->u.func.nargs == 2) {
      struct expr *a0 = c->u.func.args[0], *a1 = c->u.func.args[1];
      if (side_of(a0, l, ids) && side_of(a1, r, ids)) {
        lk[nk] = a0, rk[nk] = a1, ns[nk++] = c->u.func.fn == FN_NSEQ;
        continue;
      }
      if (side_of(a1, l, ids) && side_of(a0, r, ids)) {
        lk[nk] = a1, rk[nk] = a0, ns[nk++] = c->u.func.fn == FN_NSEQ;
        continue;
      }
    }
    rest[nr++] = c;
  }
  j->u.join.left_keys = lk;
  j->u.join.right_keys = rk;
  j->u.join.null_safe = ns;
  j->u.join.nkeys = nk;
  if (nr && !(j->u.join.cond = expr_and(b->ctx, rest, nr))) return bind_oom(b);
  return 0;
}

static int scope_cat(struct bind *b, struct bind_scope *dst, const struct bind_scope *src) {
  for (int i = 0; i < src->n; i++) {
    const struct bind_col *c = &src->cols[i];
    int rc = bind_scope_add(b, dst, c->id, c->name, c->qual, c->type, c->nullable, c->hidden);
    if (rc) return rc;
  }
  return 0;
}

/* Mark nullability of the scope columns that j makes nullable. */
static void scope_nullable(struct bind_scope *s, const struct plan *j) {
  for (int i = 0; i < s->n; i++) {
    int k = plan_find_id(j, s->cols[i].id);
    if (k >= 0) s->cols[i].nullable = j->cols[k].nullable;
  }
}

static const struct bind_col *find_visible(const struct bind_scope *s, const char *name, int *count) {
  const struct bind_col *hit = NULL;
  *count = 0;
  for (int i = 0; i < s->n; i++)
    if (!s->cols[i].hidden && s->cols[i].name && ast_ident_eq(s->cols[i].name, name)) {
      if (!hit) hit = &s->cols[i];
      (*count)++;
    }
  return hit;
}

static int using_cols_text(const struct bind_scope *s, char *buf, size_t sz) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < s->n && k < sz; i++) {
    if (s->cols[i].hidden) continue;
    int w = snprintf(buf + k, sz - k, "%s`%s`", k ? ", " : "", s->cols[i].name);
    if (w < 0) break;
    k += (size_t)w;
  }
  return 0;
}

/* JOIN ... USING (names) / NATURAL JOIN: keys by name, Spark's output
 * order (keys, left rest, right rest); the other side's key columns stay
 * reachable by qualified name (hidden). */
static int join_using(struct bind *b, const struct ast_rel *r, enum plan_join_type t,
                      struct plan *lp, const struct bind_scope *ls, struct plan *rp,
                      const struct bind_scope *rs, struct plan **out, struct bind_scope *sc) {
  int nu = r->u.join.nusing, cap = r->u.join.natural ? ls->n : nu;
  const struct bind_col **lc = plan_alloc(b->ctx, sizeof *lc * (size_t)(cap + 1));
  const struct bind_col **rc_ = plan_alloc(b->ctx, sizeof *rc_ * (size_t)(cap + 1));
  if (!lc || !rc_) return bind_oom(b);
  int nk = 0, cnt, rc;
  char cols[600];
  if (r->u.join.natural) {
    for (int i = 0; i < ls->n; i++) {
      if (ls->cols[i].hidden) continue;
      const struct bind_col *m = find_visible(rs, ls->cols[i].name, &cnt);
      if (!m) continue;
      int dup = 0;
      for (int k = 0; k < nk; k++)
        if (ast_ident_eq(lc[k]->name, ls->cols[i].name)) dup = 1;
      if (dup) continue;
      lc[nk] = &ls->cols[i];
      rc_[nk++] = m;
    }
  } else {
    for (int i = 0; i < nu; i++) {
      const char *nm = r->u.join.using_cols[i];
      const struct bind_col *a = find_visible(ls, nm, &cnt);
      const struct bind_col *c = find_visible(rs, nm, &cnt);
      if (!a || !c) {
        using_cols_text(a ? rs : ls, cols, sizeof cols);
        return bind_error(b, ERR_SQL, r->pos,
                          "[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `%s` cannot be "
                          "resolved on the %s side of the join. The %s-side columns: [%s].",
                          nm, a ? "right" : "left", a ? "right" : "left", cols);
      }
      lc[nk] = a;
      rc_[nk++] = c;
    }
  }
  struct plan *j = join_node(b, t == JOIN_CROSS ? JOIN_INNER : t, lp, rp);
  struct expr **lk = plan_alloc(b->ctx, sizeof *lk * (size_t)(nk + 1));
  struct expr **rk = plan_alloc(b->ctx, sizeof *rk * (size_t)(nk + 1));
  int *ns = plan_alloc(b->ctx, sizeof(int) * (size_t)(nk + 1));
  struct type *kt = plan_alloc(b->ctx, sizeof *kt * (size_t)(nk + 1));
  if (!j || !lk || !rk || !ns || !kt) return bind_oom(b);
  t = j->u.join.type;
  for (int k = 0; k < nk; k++) {
    struct expr *l = expr_col(b->ctx, lc[k]->id, lc[k]->type, lc[k]->nullable);
    struct expr *x = expr_col(b->ctx, rc_[k]->id, rc_[k]->type, rc_[k]->nullable);
    if (!l || !x) return bind_oom(b);
    if (coerce_compare(l, x, &kt[k]))
      return bind_error(b, ERR_SQL, r->pos,
                        "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] USING column `%s` has "
                        "incompatible types on the two sides of the join.",
                        lc[k]->name);
    if (!(lk[k] = coerce_to(b->ctx, l, kt[k])) || !(rk[k] = coerce_to(b->ctx, x, kt[k])))
      return bind_oom(b);
  }
  j->u.join.left_keys = lk;
  j->u.join.right_keys = rk;
  j->u.join.null_safe = ns;
  j->u.join.nkeys = nk;
  struct plan *top = j;
  int semi = t == JOIN_SEMI || t == JOIN_ANTI;
  int *merged = plan_alloc(b->ctx, sizeof(int) * (size_t)(nk + 1));
  if (!merged) return bind_oom(b);
  if (t == JOIN_FULL) {
    top = plan_new(b->ctx, PLAN_PROJECT, &j, 1, j->ncols + nk);
    struct expr **ex = plan_alloc(b->ctx, sizeof *ex * (size_t)(j->ncols + nk));
    if (!top || !ex) return bind_oom(b);
    for (int i = 0; i < j->ncols; i++) {
      top->cols[i] = j->cols[i];
      if (!(ex[i] = expr_col(b->ctx, j->cols[i].id, j->cols[i].type, j->cols[i].nullable)))
        return bind_oom(b);
    }
    for (int k = 0; k < nk; k++) {
      struct expr *a[2] = {expr_copy(b->ctx, lk[k]), expr_copy(b->ctx, rk[k])};
      if (!a[0] || !a[1]) return bind_oom(b);
      struct expr *co = expr_func(b->ctx, FN_COALESCE, kt[k], a, 2);
      if (!co) return bind_oom(b);
      co->nullable = a[0]->nullable && a[1]->nullable;
      ex[j->ncols + k] = co;
      struct plan_col *pc = &top->cols[j->ncols + k];
      pc->name = lc[k]->name;
      pc->type = kt[k];
      pc->nullable = co->nullable;
      pc->id = merged[k] = bind_new_id(b, pc->name);
    }
    top->u.project.exprs = ex;
  }
  /* visible keys first */
  for (int k = 0; k < nk; k++) {
    if (t == JOIN_FULL) rc = bind_scope_add(b, sc, merged[k], lc[k]->name, NULL, kt[k], 1, 0);
    else if (t == JOIN_RIGHT)
      rc = bind_scope_add(b, sc, rc_[k]->id, rc_[k]->name, rc_[k]->qual, rc_[k]->type, rc_[k]->nullable, 0);
    else rc = bind_scope_add(b, sc, lc[k]->id, lc[k]->name, lc[k]->qual, lc[k]->type, lc[k]->nullable, 0);
    if (rc) return rc;
  }
  for (int side = 0; side < 2; side++) {
    const struct bind_scope *s = side ? rs : ls;
    const struct bind_col **keys = side ? rc_ : lc;
    if (side && semi) break;
    for (int i = 0; i < s->n; i++) {
      const struct bind_col *c = &s->cols[i];
      int is_key = 0;
      for (int k = 0; k < nk; k++)
        if (keys[k] == c) is_key = 1;
      int shown_key = is_key && ((side == 0 && (t != JOIN_RIGHT && t != JOIN_FULL)) ||
                                 (side == 1 && t == JOIN_RIGHT));
      if (shown_key) continue;
      if ((rc = bind_scope_add(b, sc, c->id, c->name, c->qual, c->type, c->nullable, c->hidden || is_key)))
        return rc;
    }
  }
  scope_nullable(sc, top);
  *out = top;
  return 0;
}

static int rel_join(struct bind *b, const struct ast_rel *r, const struct bind_scope *outer,
                    struct plan **out, struct bind_scope *sc) {
  struct bind_scope ls = {0}, rs = {0};
  ls.outer = rs.outer = outer;
  struct plan *lp, *rp;
  int rc;
  if ((rc = rel(b, r->u.join.left, outer, &lp, &ls)) || (rc = rel(b, r->u.join.right, outer, &rp, &rs)))
    return rc;
  enum plan_join_type t = join_type(r->u.join.type);
  if (r->u.join.natural || r->u.join.nusing) return join_using(b, r, t, lp, &ls, rp, &rs, out, sc);
  if (t == JOIN_INNER && !r->u.join.on) t = JOIN_CROSS;
  if (t == JOIN_CROSS && r->u.join.on) t = JOIN_INNER;
  struct plan *j = join_node(b, t, lp, rp);
  if (!j) return bind_oom(b);
  struct bind_scope both = {0};
  both.outer = outer;
  if ((rc = scope_cat(b, &both, &ls)) || (rc = scope_cat(b, &both, &rs))) return rc;
  if (r->u.join.on) {
    struct bind_ectx x = {0};
    x.b = b;
    x.sc = &both;
    x.clause = "the join condition";
    struct expr *cond;
    if ((rc = bind_expr(&x, r->u.join.on, &cond)) ||
        (rc = bind_expr_bool(b, cond, r->u.join.on, "join condition", &cond)) ||
        (rc = split_on(b, j, cond)))
      return rc;
  }
  rc = scope_cat(b, sc, (t == JOIN_SEMI || t == JOIN_ANTI) ? &ls : &both);
  if (rc) return rc;
  scope_nullable(sc, j);
  *out = j;
  return 0;
}

static int rel(struct bind *b, const struct ast_rel *r, const struct bind_scope *outer,
               struct plan **out, struct bind_scope *sc) {
  struct plan *p = NULL;
  const char *qual = r->alias;
  int rc;
  switch (r->kind) {
  case AST_REL_JOIN: return rel_join(b, r, outer, out, sc);
  case AST_REL_TABLE: rc = rel_table(b, r, &p, &qual); break;
  case AST_REL_FILE: rc = rel_file(b, r, &p); break;
  case AST_REL_QUERY: rc = bind_query(b, r->u.query, outer, &p); break;
  case AST_REL_TVF: rc = rel_tvf(b, r, &p); break;
  default: return bind_error(b, ERR_UNSUPPORTED, r->pos, "unsupported relation");
  }
  if (rc) return rc;
  if (r->ncols && (rc = bind_from_rename(b, p, r->cols, r->ncols, r->pos, &p))) return rc;
  if (!(qual = bind_strdup(b, qual)) && r->alias) return bind_oom(b);
  if ((rc = bind_scope_from_plan(b, sc, p, qual))) return rc;
  *out = p;
  return 0;
}

int bind_from(struct bind *b, struct ast_rel *const *from, int nfrom,
              const struct bind_scope *outer, struct plan **out, struct bind_scope *sc) {
  struct plan *p;
  int rc = rel(b, from[0], outer, &p, sc);
  if (rc) return rc;
  for (int i = 1; i < nfrom; i++) {
    struct plan *q;
    if ((rc = rel(b, from[i], outer, &q, sc))) return rc;
    if (!(p = join_node(b, JOIN_CROSS, p, q))) return bind_oom(b);
  }
  *out = p;
  return 0;
}
