/* bind.c: analyzer state helpers, scopes and column-name resolution (see
 * bind.h). */
#include "engine/analyze/bind.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/analyze/bind_expr.h"
#include "engine/analyze/names.h"

int bind_error(struct bind *b, int code, struct ast_pos pos, const char *fmt, ...) {
  char msg[ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (pos.line > 0) err_set_at(b->e, code, pos.line, pos.column, "%s", msg);
  else err_set(b->e, code, "%s", msg);
  err_set_ename(b->e, "AnalysisException");
  return code;
}

int bind_oom(struct bind *b) { return err_set(b->e, ERR_NOMEM, "out of memory while analyzing the query"); }

int bind_new_id(struct bind *b, const char *name) {
  int id = plan_ctx_new_id(b->ctx);
  plan_ctx_set_name(b->ctx, id, name);
  return id;
}

const char *bind_strdup(struct bind *b, const char *s) { return s ? plan_strdup(b->ctx, s) : NULL; }

const char *bind_auto_name(struct bind *b, const struct ast_expr *a) {
  struct buf nb;
  buf_init(&nb, 1 << 16);
  const char *r = NULL;
  if (!names_expr(a, &nb)) r = plan_strdup(b->ctx, nb.data ? nb.data : "");
  buf_fini(&nb);
  return r;
}

int bind_scope_add(struct bind *b, struct bind_scope *s, int id, const char *name,
                   const char *qual, struct type t, int nullable, int hidden) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    struct bind_col *v = plan_alloc(b->ctx, sizeof *v * (size_t)cap);
    if (!v) return bind_oom(b);
    if (s->n) memcpy(v, s->cols, sizeof *v * (size_t)s->n);
    s->cols = v;
    s->cap = cap;
  }
  struct bind_col *c = &s->cols[s->n++];
  c->id = id;
  c->name = name;
  c->qual = qual;
  c->type = t;
  c->nullable = nullable;
  c->hidden = hidden;
  return 0;
}

int bind_scope_from_plan(struct bind *b, struct bind_scope *s, const struct plan *p,
                         const char *qual) {
  for (int i = 0; i < p->ncols; i++) {
    const struct plan_col *c = &p->cols[i];
    int rc = bind_scope_add(b, s, c->id, c->name, qual, c->type, c->nullable, 0);
    if (rc) return rc;
  }
  return 0;
}

int bind_scope_has_id(const struct bind_scope *s, int id) {
  for (int i = 0; i < s->n; i++)
    if (s->cols[i].id == id) return 1;
  return 0;
}

void bind_quote_name(const struct ast_name *n, char *buf, size_t sz) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n->n && k + 1 < sz; i++) {
    int w = snprintf(buf + k, sz - k, "%s`%s`", i ? "." : "", n->parts[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
  if (k >= sz) buf[sz - 1] = 0;
}

/* Join parts[from..n) with '.' into buf. */
static void join_parts(const struct ast_name *n, int from, char *buf, size_t sz) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = from; i < n->n; i++) {
    int w = snprintf(buf + k, sz - k, "%s%s", i > from ? "." : "", n->parts[i]);
    if (w < 0 || (size_t)w >= sz - k) {
      buf[sz - 1] = 0;
      return;
    }
    k += (size_t)w;
  }
}

/* Matches of (qual, name) in s: count, first match in *hit. qual NULL:
 * unqualified (visible columns only). Columns with the same id count once. */
static int match(const struct bind_scope *s, const char *qual, const char *name,
                 const struct bind_col **hit, const struct bind_col **second) {
  int k = 0;
  *hit = *second = NULL;
  for (int i = 0; i < s->n; i++) {
    const struct bind_col *c = &s->cols[i];
    if (!c->name || !ast_ident_eq(c->name, name)) continue;
    if (qual) {
      if (!c->qual || !ast_ident_eq(c->qual, qual)) continue;
    } else if (c->hidden) {
      continue;
    }
    if (*hit && (*hit)->id == c->id) continue;
    if (!*hit) *hit = c;
    else if (!*second) *second = c;
    k++;
  }
  return k;
}

/* 0 found (*hit), 1 not found, 2 ambiguous (*hit, *second). */
static int lookup(const struct bind_scope *s, const struct ast_name *n, const struct bind_col **hit,
                  const struct bind_col **second) {
  char name[512];
  if (n->n >= 2) {
    join_parts(n, 1, name, sizeof name);
    int k = match(s, n->parts[0], name, hit, second);
    if (k == 1) return 0;
    if (k > 1) return 2;
  }
  join_parts(n, 0, name, sizeof name);
  int k = match(s, NULL, name, hit, second);
  return k == 0 ? 1 : k == 1 ? 0 : 2;
}

static int col_expr(struct bind_ectx *x, const struct bind_col *c, struct ast_pos pos,
                    struct expr **out) {
  struct expr *e = expr_col(x->b->ctx, c->id, c->type, c->nullable);
  if (!e) return bind_oom(x->b);
  e->pos = pos;
  *out = e;
  return 0;
}

static int ambiguous(struct bind_ectx *x, const struct ast_name *n, const struct bind_col *a,
                     const struct bind_col *c) {
  char q[600];
  bind_quote_name(n, q, sizeof q);
  return bind_error(x->b, ERR_SQL, n->pos,
                    "[AMBIGUOUS_REFERENCE] Reference %s is ambiguous, could be: [`%s`.`%s`, "
                    "`%s`.`%s`].",
                    q, a->qual ? a->qual : "", a->name, c->qual ? c->qual : "", c->name);
}

static int alias_lookup(struct bind_ectx *x, const struct ast_name *n, struct expr **out,
                        int *found) {
  *found = 0;
  if (n->n != 1) return 0;
  for (int i = 0; i < x->naliases; i++) {
    const struct bind_alias *a = &x->aliases[i];
    if (!a->name || !ast_ident_eq(a->name, n->parts[0])) continue;
    *found = 1;
    if (a->bound) {
      *out = expr_copy(x->b->ctx, a->bound);
      return *out ? 0 : bind_oom(x->b);
    }
    /* bind the item as written; aliases off so `x AS y, y AS x` cannot loop */
    struct bind_ectx sub = *x;
    sub.aliases = NULL;
    sub.naliases = 0;
    sub.alias_mode = BIND_ALIAS_NONE;
    return bind_expr(&sub, a->ast, out);
  }
  return 0;
}

/* Most expression nodes a lateral alias reference may inline: copies nest
 * (x AS a, a + a AS b, b + b AS c ...), so without a cap a short query could
 * grow an exponential tree. */
#define LATERAL_MAX_NODES 10000

/* Node count of e (stops past LATERAL_MAX_NODES) and whether it holds a
 * subquery. */
static void lateral_shape(const struct expr *e, int *nodes, int *sub) {
  if (!e || *nodes > LATERAL_MAX_NODES) return;
  ++*nodes;
  switch (e->kind) {
  case EXPR_FUNC:
    for (int i = 0; i < e->u.func.nargs; i++) lateral_shape(e->u.func.args[i], nodes, sub);
    break;
  case EXPR_CASE:
    for (int i = 0; i < e->u.cases.n; i++) {
      lateral_shape(e->u.cases.when[i], nodes, sub);
      lateral_shape(e->u.cases.then[i], nodes, sub);
    }
    lateral_shape(e->u.cases.otherwise, nodes, sub);
    break;
  case EXPR_CAST: lateral_shape(e->u.cast.arg, nodes, sub); break;
  case EXPR_IN_LIST:
    lateral_shape(e->u.in_list.arg, nodes, sub);
    for (int i = 0; i < e->u.in_list.n; i++) lateral_shape(e->u.in_list.list[i], nodes, sub);
    break;
  case EXPR_LIKE: lateral_shape(e->u.like.arg, nodes, sub); break;
  case EXPR_SUBQUERY:
  case EXPR_IN_SUBQUERY:
  case EXPR_EXISTS:
    *sub = 1;
    lateral_shape(e->u.sub.arg, nodes, sub);
    break;
  default: break;
  }
}

/* Spark 3.4+ lateral column alias (spark.sql.lateralColumnAlias.
 * enableImplicitResolution): a name no FROM column has may be the alias of
 * an earlier item of the same select list. The reference is replaced by a
 * copy of that item's bound expression, which in an aggregate query already
 * refers to the aggregate's output (group keys, calls), as Spark resolves
 * such references after the aggregation. */
static int lateral_lookup(struct bind_ectx *x, const struct ast_name *n, struct expr **out,
                          int *found) {
  *found = 0;
  if (n->n != 1) return 0;
  const struct bind_alias *hit = NULL;
  int k = 0;
  for (int i = 0; i < x->nlateral; i++)
    if (x->lateral[i].name && ast_ident_eq(x->lateral[i].name, n->parts[0])) {
      if (!hit) hit = &x->lateral[i];
      k++;
    }
  if (!hit) return 0;
  *found = 1;
  if (k > 1)
    return bind_error(x->b, ERR_SQL, n->pos,
                      "[AMBIGUOUS_LATERAL_COLUMN_ALIAS] Lateral column alias `%s` is ambiguous "
                      "and has %d matches. Give the select items different aliases.",
                      n->parts[0], k);
  if (x->in_agg)
    return bind_error(x->b, ERR_SQL, n->pos,
                      "[UNSUPPORTED_FEATURE.LATERAL_COLUMN_ALIAS_IN_AGGREGATE_FUNC] The feature "
                      "is not supported: Referencing a lateral column alias `%s` in an aggregate "
                      "function. Write the aliased expression itself inside the aggregate "
                      "function.",
                      n->parts[0]);
  if (!x->win)
    return bind_error(x->b, ERR_SQL, n->pos,
                      "[UNSUPPORTED_FEATURE.LATERAL_COLUMN_ALIAS_IN_WINDOW] The feature is not "
                      "supported: Referencing a lateral column alias `%s` in a window "
                      "expression. Write the aliased expression itself in the window "
                      "expression, or compute it in a subquery.",
                      n->parts[0]);
  if (!hit->bound) { /* not reached: select items are bound in order */
    *found = 0;
    return 0;
  }
  int nodes = 0, sub = 0;
  lateral_shape(hit->bound, &nodes, &sub);
  if (nodes > LATERAL_MAX_NODES)
    return bind_error(x->b, ERR_UNSUPPORTED, n->pos,
                      "The lateral column alias `%s` stands for an expression too large for the "
                      "local engine to inline (over %d nodes); compute it in a subquery in FROM "
                      "and select from that.",
                      n->parts[0], LATERAL_MAX_NODES);
  if (sub) {
    /* a subquery's plan must not be shared by two expressions (the
     * optimizer rewrites each in place): bind the item again, seeing the
     * aliases before it */
    struct bind_ectx again = *x;
    again.nlateral = (int)(hit - x->lateral);
    return bind_expr(&again, hit->ast, out);
  }
  *out = expr_copy(x->b->ctx, hit->bound);
  if (!*out) return bind_oom(x->b);
  return 0;
}

static int lower_eq_dist(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64) la = 64;
  if (lb > 64) lb = 64;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int ca = a[i - 1] >= 'A' && a[i - 1] <= 'Z' ? a[i - 1] + 32 : a[i - 1];
      int cb = b[j - 1] >= 'A' && b[j - 1] <= 'Z' ? b[j - 1] + 32 : b[j - 1];
      int cur = prev + (ca != cb);
      if (row[j] + 1 < cur) cur = row[j] + 1;
      if (row[j - 1] + 1 < cur) cur = row[j - 1] + 1;
      prev = row[j];
      row[j] = cur;
    }
  }
  return row[lb];
}

static int unresolved(struct bind_ectx *x, const struct ast_name *n) {
  char q[600], want[512];
  bind_quote_name(n, q, sizeof q);
  join_parts(n, 0, want, sizeof want);
  const struct bind_scope *s = x->sc;
  /* up to 5 visible columns, closest first (stable for ties) */
  int best[5], bestd[5], nb = 0;
  for (int i = 0; s && i < s->n; i++) {
    if (s->cols[i].hidden || !s->cols[i].name) continue;
    int dup = 0;
    for (int k = 0; k < nb; k++)
      if (!strcmp(s->cols[best[k]].name, s->cols[i].name)) dup = 1;
    if (dup) continue;
    int d = lower_eq_dist(want, s->cols[i].name);
    int pos = nb;
    while (pos > 0 && bestd[pos - 1] > d) pos--;
    if (pos >= 5) continue;
    int last = nb < 5 ? nb : 4;
    for (int k = last; k > pos; k--) {
      best[k] = best[k - 1];
      bestd[k] = bestd[k - 1];
    }
    best[pos] = i;
    bestd[pos] = d;
    if (nb < 5) nb++;
  }
  if (!nb)
    return bind_error(x->b, ERR_SQL, n->pos,
                      "[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column or function parameter "
                      "with name %s cannot be resolved.",
                      q);
  char sug[600];
  size_t k = 0;
  sug[0] = 0;
  for (int i = 0; i < nb && k < sizeof sug; i++) {
    int w = snprintf(sug + k, sizeof sug - k, "%s`%s`", i ? ", " : "", s->cols[best[i]].name);
    if (w < 0) break;
    k += (size_t)w;
  }
  return bind_error(x->b, ERR_SQL, n->pos,
                    "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with "
                    "name %s cannot be resolved. Did you mean one of the following? [%s].",
                    q, sug);
}

int bind_resolve(struct bind_ectx *x, const struct ast_name *n, struct expr **out) {
  const struct bind_col *hit, *second;
  int found, rc;
  if (x->alias_mode == BIND_ALIAS_FIRST) {
    rc = alias_lookup(x, n, out, &found);
    if (rc || found) return rc;
  }
  if (x->sc) {
    int r = lookup(x->sc, n, &hit, &second);
    if (r == 0) return col_expr(x, hit, n->pos, out);
    if (r == 2) return ambiguous(x, n, hit, second);
  }
  if (x->alias_mode == BIND_ALIAS_FALLBACK) {
    rc = alias_lookup(x, n, out, &found);
    if (rc || found) return rc;
  }
  if (x->nlateral) {
    rc = lateral_lookup(x, n, out, &found);
    if (rc || found) return rc;
  }
  for (const struct bind_scope *o = x->sc ? x->sc->outer : NULL; o; o = o->outer) {
    int r = lookup(o, n, &hit, &second);
    if (r == 0) return col_expr(x, hit, n->pos, out);
    if (r == 2) return ambiguous(x, n, hit, second);
  }
  return unresolved(x, n);
}
