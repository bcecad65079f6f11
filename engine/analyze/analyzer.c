/* analyzer.c: the analyzer's entry points (see analyzer.h); the work is
 * done by bind_query / bind_from / bind_expr / bind_call. */
#include "engine/analyze/analyzer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyze/bind.h"
#include "engine/analyze/bind_query.h"

int analyzer_plan_query(struct catalog *cat, struct plan_ctx *ctx, const struct ast_query *q,
                        const char *sql_text, struct plan **out, struct err *e) {
  struct bind b;
  memset(&b, 0, sizeof b);
  b.cat = cat;
  b.ctx = ctx;
  b.e = e;
  b.sql = sql_text;
  *out = NULL;
  return bind_query(&b, q, NULL, out);
}

int analyzer_plan_schema(const struct plan *p, struct schema *out) {
  schema_init(out);
  for (int i = 0; i < p->ncols; i++) {
    int rc = schema_add(out, p->cols[i].name ? p->cols[i].name : "", p->cols[i].type,
                        p->cols[i].nullable);
    if (rc < 0) {
      schema_fini(out);
      schema_init(out);
      return rc;
    }
  }
  return 0;
}

static const char *last_part(const struct ast_name *n) { return n->n > 0 ? n->parts[n->n - 1] : ""; }

static int analysis_error(struct err *e, int code, struct ast_pos pos, const char *msg) {
  if (pos.line > 0) err_set_at(e, code, pos.line, pos.column, "%s", msg);
  else err_set(e, code, "%s", msg);
  err_set_ename(e, "AnalysisException");
  return code;
}

static enum catalog_mode mode_of(int or_replace, int if_not_exists) {
  return or_replace ? CATALOG_OR_REPLACE : if_not_exists ? CATALOG_IF_NOT_EXISTS : CATALOG_CREATE;
}

/* CREATE TABLE / TEMP VIEW ... USING fmt: the file spec from the statement. */
static int create_file(struct catalog *cat, const char *name, const char *format,
                       const struct ast_option *opts, int nopts, const char *location,
                       const struct ast_coldef *cols, int ncols, int temporary,
                       enum catalog_mode mode, struct ast_pos pos, struct err *e) {
  if (!format)
    return analysis_error(e, ERR_UNSUPPORTED, pos,
                          "The local engine needs a data source: add USING csv or USING json.");
  struct readopt_kv *kv = calloc((size_t)nopts + 1, sizeof *kv);
  const char **comments = calloc((size_t)ncols + 1, sizeof *comments);
  struct schema sc;
  schema_init(&sc);
  int rc = 0;
  if (!kv || !comments) rc = err_set(e, ERR_NOMEM, "out of memory");
  for (int i = 0; !rc && i < nopts; i++) {
    kv[i].key = opts[i].key;
    kv[i].value = opts[i].value;
  }
  for (int i = 0; !rc && i < ncols; i++) {
    int k = schema_add(&sc, cols[i].name, cols[i].type, !cols[i].not_null);
    if (k < 0) rc = err_set(e, k, "too many columns");
    comments[i] = cols[i].comment;
  }
  if (!rc) {
    struct catalog_file_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.name = name;
    spec.format = format;
    spec.opts = kv;
    spec.nopts = nopts;
    spec.path = location;
    spec.schema = ncols ? &sc : NULL;
    spec.comments = ncols ? comments : NULL;
    spec.temporary = temporary;
    rc = catalog_create_file(cat, &spec, mode, e);
    if (rc && e && !e->line && pos.line > 0) {
      e->line = pos.line;
      e->column = pos.column;
    }
  }
  schema_fini(&sc);
  free(kv);
  free(comments);
  return rc;
}

static int create_view(struct catalog *cat, const struct ast_stmt *s, const char *sql_text,
                       struct err *e) {
  const struct ast_query *q = s->u.view.query;
  if (!sql_text)
    return analysis_error(e, ERR_INVAL, s->pos, "internal error: the view's SQL text is missing");
  struct plan_ctx *ctx = plan_ctx_new();
  if (!ctx) return err_set(e, ERR_NOMEM, "out of memory");
  struct plan *p = NULL;
  struct schema sc;
  schema_init(&sc);
  int rc = analyzer_plan_query(cat, ctx, q, sql_text, &p, e);
  int ncols = s->u.view.ncols;
  const char **names = NULL;
  if (!rc && ncols && ncols != p->ncols) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "[CREATE_VIEW_COLUMN_ARITY_MISMATCH.%s] Cannot create view `%s`, the reason is "
             "%s data columns: View columns: %d, data columns: %d.",
             ncols > p->ncols ? "NOT_ENOUGH_DATA_COLUMNS" : "TOO_MANY_DATA_COLUMNS",
             last_part(&s->u.view.name), ncols > p->ncols ? "not enough" : "too many", ncols,
             p->ncols);
    rc = analysis_error(e, ERR_SQL, s->pos, msg);
  }
  if (!rc) rc = analyzer_plan_schema(p, &sc);
  if (!rc && ncols) {
    names = calloc((size_t)ncols, sizeof *names);
    if (!names) rc = err_set(e, ERR_NOMEM, "out of memory");
    for (int i = 0; !rc && i < ncols; i++) {
      names[i] = s->u.view.cols[i].name;
      char *dup = strdup(names[i]);
      if (!dup) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        break;
      }
      free(sc.cols[i].name);
      sc.cols[i].name = dup;
    }
  }
  if (!rc)
    rc = catalog_create_view(cat, last_part(&s->u.view.name), sql_text + q->pos.offset,
                             q->pos.length, names, ncols, &sc,
                             mode_of(s->u.view.or_replace, s->u.view.if_not_exists), e);
  free(names);
  schema_fini(&sc);
  plan_ctx_free(ctx);
  return rc;
}

int analyzer_exec_catalog(struct catalog *cat, const struct ast_stmt *s, const char *sql_text,
                          struct err *e) {
  switch (s->kind) {
  case AST_S_CREATE_TABLE:
    if (s->u.table.query)
      return analysis_error(e, ERR_UNSUPPORTED, s->pos,
                            "CREATE TABLE ... AS SELECT is planned by the caller");
    return create_file(cat, last_part(&s->u.table.name), s->u.table.format, s->u.table.options,
                       s->u.table.noptions, s->u.table.location, s->u.table.cols,
                       s->u.table.ncols, 0, mode_of(s->u.table.or_replace, s->u.table.if_not_exists),
                       s->pos, e);
  case AST_S_CREATE_VIEW:
    if (s->u.view.query) return create_view(cat, s, sql_text, e);
    return create_file(cat, last_part(&s->u.view.name), s->u.view.format, s->u.view.options,
                       s->u.view.noptions, NULL, s->u.view.cols, s->u.view.ncols, 1,
                       mode_of(s->u.view.or_replace, s->u.view.if_not_exists), s->pos, e);
  case AST_S_DROP:
    return catalog_drop(cat, last_part(&s->u.drop.name), s->u.drop.view, s->u.drop.if_exists, e);
  case AST_S_CACHE:
    if (s->u.cache.query)
      return analysis_error(e, ERR_UNSUPPORTED, s->pos,
                            "CACHE TABLE ... AS query is planned by the caller");
    return catalog_set_cached(cat, last_part(&s->u.cache.name), 1, e);
  case AST_S_UNCACHE:
    if (s->u.uncache.if_exists && !catalog_lookup(cat, last_part(&s->u.uncache.name))) return 0;
    return catalog_set_cached(cat, last_part(&s->u.uncache.name), 0, e);
  default:
    return analysis_error(e, ERR_INVAL, s->pos, "internal error: not a catalog statement");
  }
}
