/* catalog.c: see catalog.h. Entries live in a sorted array; retired ones
 * (dropped or replaced) move to a graveyard freed by catalog_free, because
 * plans built earlier still borrow their schema and strings. */
#include "engine/catalog/catalog.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/source/csv.h"
#include "engine/source/jsonl.h"
#include "engine/source/path.h"

struct catalog {
  struct catalog_entry **v; /* listed entries, sorted */
  int n, cap;
  struct catalog_entry **adhoc; /* memoised csv.`path` relations, sorted */
  int nadhoc, capadhoc;
  struct catalog_entry **dead; /* retired, freed at catalog_free */
  int ndead, capdead;
  int64_t generation;
  int offline; /* built from JSON: never touch the file system */
};

static char *xstrdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

static void entry_free(struct catalog_entry *en) {
  if (!en) return;
  free(en->name);
  free(en->format);
  for (int i = 0; i < en->nopts; i++) {
    free((char *)en->opts[i].key);
    free((char *)en->opts[i].value);
  }
  free(en->opts);
  for (int i = 0; i < en->npaths; i++) free(en->paths[i]);
  free(en->paths);
  free(en->sizes);
  if (en->comments)
    for (int i = 0; i < en->schema.ncols; i++) free(en->comments[i]);
  free(en->comments);
  schema_fini(&en->schema);
  free(en->sql);
  for (int i = 0; i < en->nview_cols; i++) free(en->view_cols[i]);
  free(en->view_cols);
  free(en->cache_key);
  free(en);
}

struct catalog *catalog_new(void) { return calloc(1, sizeof(struct catalog)); }

void catalog_free(struct catalog *c) {
  if (!c) return;
  for (int i = 0; i < c->n; i++) entry_free(c->v[i]);
  for (int i = 0; i < c->nadhoc; i++) entry_free(c->adhoc[i]);
  for (int i = 0; i < c->ndead; i++) entry_free(c->dead[i]);
  free(c->v);
  free(c->adhoc);
  free(c->dead);
  free(c);
}

static int grow(void *arrp, int *cap, int need, size_t elem) {
  if (need <= *cap) return 0;
  int nc = *cap ? *cap * 2 : 8;
  while (nc < need) nc *= 2;
  void *p = realloc(*(void **)arrp, (size_t)nc * elem);
  if (!p) return ERR_NOMEM;
  *(void **)arrp = p;
  *cap = nc;
  return 0;
}

static int retire(struct catalog *c, struct catalog_entry *en) {
  if (grow(&c->dead, &c->capdead, c->ndead + 1, sizeof *c->dead)) {
    entry_free(en); /* cannot keep it: plans may dangle, but memory is gone */
    return ERR_NOMEM;
  }
  c->dead[c->ndead++] = en;
  return 0;
}

/* Listing order: persistent tables first, then temp views; by lower name. */
static int entry_cmp(const struct catalog_entry *a, const struct catalog_entry *b) {
  if (a->temporary != b->temporary) return a->temporary - b->temporary;
  int r = strcasecmp(a->name, b->name);
  return r ? r : strcmp(a->name, b->name);
}

static int find_index(const struct catalog *c, const char *name) {
  for (int i = 0; i < c->n; i++)
    if (strcasecmp(c->v[i]->name, name) == 0) return i;
  return -1;
}

static int insert_sorted(struct catalog *c, struct catalog_entry *en) {
  if (grow(&c->v, &c->cap, c->n + 1, sizeof *c->v)) return ERR_NOMEM;
  int i = c->n;
  while (i > 0 && entry_cmp(c->v[i - 1], en) > 0) {
    c->v[i] = c->v[i - 1];
    i--;
  }
  c->v[i] = en;
  c->n++;
  return 0;
}

static void remove_at(struct catalog *c, int i) {
  memmove(&c->v[i], &c->v[i + 1], (size_t)(c->n - i - 1) * sizeof *c->v);
  c->n--;
}

static int analysis_err(struct err *e, int code, const char *fmt, const char *a)
    __attribute__((format(printf, 3, 0)));

/* fmt takes exactly one %s (a); always a literal at the call sites. */
static int analysis_err(struct err *e, int code, const char *fmt, const char *a) {
  char msg[ERR_MSG_MAX];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  snprintf(msg, sizeof msg, fmt, a);
#pragma GCC diagnostic pop
  err_set(e, code, "%s", msg);
  err_set_ename(e, "AnalysisException");
  return code;
}

/* Name clash handling shared by both creators. Returns 1 when the caller
 * should stop successfully (IF NOT EXISTS), 0 to go on, or an error. */
static int check_exists(struct catalog *c, const char *name, int temporary,
                        enum catalog_mode mode, struct err *e) {
  int i = find_index(c, name);
  if (i < 0) return 0;
  if (mode == CATALOG_IF_NOT_EXISTS) return 1;
  if (mode == CATALOG_OR_REPLACE) return 0;
  if (temporary)
    return analysis_err(e, ERR_SQL,
                        "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view "
                        "`%s` because it already exists.",
                        name);
  return analysis_err(e, ERR_SQL,
                      "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `%s` because "
                      "it already exists.",
                      name);
}

/* Install en under its name, retiring an entry of the same name. */
static int install(struct catalog *c, struct catalog_entry *en) {
  int i = find_index(c, en->name);
  if (i >= 0) {
    struct catalog_entry *old = c->v[i];
    remove_at(c, i);
    retire(c, old);
  }
  int rc = insert_sorted(c, en);
  if (rc) entry_free(en);
  return rc;
}

/* "file:/x", "file:///x" -> "/x"; relative -> absolute (cwd), so executors
 * with another working directory read the same files. */
static char *normalize_path(const char *p) {
  if (strncmp(p, "file://", 7) == 0) p += 7;
  else if (strncmp(p, "file:", 5) == 0) p += 5;
  if (p[0] == '/' || p[0] == '\0') return xstrdup(p);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return xstrdup(p);
  size_t a = strlen(cwd), b = strlen(p);
  char *out = malloc(a + b + 2);
  if (!out) return NULL;
  memcpy(out, cwd, a);
  out[a] = '/';
  memcpy(out + a + 1, p, b + 1);
  return out;
}

static int copy_opts(struct catalog_entry *en, const struct readopt_kv *kv, int n) {
  if (n <= 0) return 0;
  en->opts = calloc((size_t)n, sizeof *en->opts);
  if (!en->opts) return ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    en->opts[i].key = xstrdup(kv[i].key ? kv[i].key : "");
    en->opts[i].value = xstrdup(kv[i].value ? kv[i].value : "");
    en->nopts = i + 1;
    if (!en->opts[i].key || !en->opts[i].value) return ERR_NOMEM;
  }
  return 0;
}

/* Resolve files and schema of a file entry whose format/opts are set. */
static int resolve_files(struct catalog_entry *en, const char *path, const struct schema *given,
                         int adhoc, struct err *e) {
  int rc;
  if (!path)
    return analysis_err(e, ERR_INVAL, "Unable to create table `%s`: no 'path' option or LOCATION given.",
                        en->name);
  char *abs = normalize_path(path);
  if (!abs) return ERR_NOMEM;
  struct path_list files;
  struct err pe;
  err_clear(&pe);
  const char *pp = abs;
  rc = path_expand(&pp, 1, &files, &pe);
  if (rc == ERR_NOTFOUND) {
    err_set(e, ERR_NOTFOUND, "[PATH_NOT_FOUND] Path does not exist: file:%s.", abs);
    err_set_ename(e, "AnalysisException");
    free(abs);
    return rc;
  }
  free(abs);
  if (rc) {
    err_set(e, rc, "%s", pe.msg);
    err_set_ename(e, "AnalysisException");
    return rc;
  }
  if (files.n > 0) {
    en->paths = calloc((size_t)files.n, sizeof *en->paths);
    en->sizes = calloc((size_t)files.n, sizeof *en->sizes);
    if (!en->paths || !en->sizes) {
      path_list_fini(&files);
      return ERR_NOMEM;
    }
  }
  for (int i = 0; i < files.n; i++) {
    en->paths[i] = xstrdup(files.files[i].path);
    en->sizes[i] = files.files[i].size;
    en->npaths = i + 1;
    if (!en->paths[i]) {
      path_list_fini(&files);
      return ERR_NOMEM;
    }
  }
  if (given) {
    rc = schema_copy(&en->schema, given);
    path_list_fini(&files);
    return rc;
  }
  if (strcmp(en->format, "csv") == 0) {
    struct csv_options o;
    struct readopt_kv fixed[2] = {{"header", "false"}, {"inferSchema", "false"}};
    rc = adhoc ? csv_options_parse(&o, fixed, 2, e) : csv_options_parse(&o, en->opts, en->nopts, e);
    if (rc == 0) {
      if (files.n == 0)
        rc = err_set(e, ERR_SQL, "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be specified manually.");
      else
        rc = csv_infer_schema(&files, &o, &en->schema, e);
    }
    csv_options_fini(&o);
  } else {
    struct jsonl_options o;
    rc = jsonl_options_parse(&o, en->opts, en->nopts, e);
    if (rc == 0) {
      if (files.n == 0)
        rc = err_set(e, ERR_SQL, "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for JSON. It must be specified manually.");
      else
        rc = jsonl_infer_schema(&files, &o, &en->schema, e);
    }
    jsonl_options_fini(&o);
  }
  if (rc) err_set_ename(e, "AnalysisException");
  path_list_fini(&files);
  return rc;
}

static int check_format(const char *fmt, struct err *e) {
  if (strcasecmp(fmt, "csv") == 0 || strcasecmp(fmt, "json") == 0) return 0;
  return analysis_err(e, ERR_UNSUPPORTED,
                      "Data source `%s` is not supported by the local engine (csv and json are).",
                      fmt);
}

int catalog_create_file(struct catalog *c, const struct catalog_file_spec *s,
                        enum catalog_mode mode, struct err *e) {
  int rc = check_exists(c, s->name, s->temporary, mode, e);
  if (rc) return rc > 0 ? 0 : rc;
  if ((rc = check_format(s->format ? s->format : "", e))) return rc;
  struct catalog_entry *en = calloc(1, sizeof *en);
  if (!en) return ERR_NOMEM;
  schema_init(&en->schema);
  en->kind = CATALOG_FILE;
  en->temporary = s->temporary;
  en->name = xstrdup(s->name);
  en->format = xstrdup(s->format);
  if (!en->name || !en->format) rc = ERR_NOMEM;
  for (char *p = en->format; p && *p; p++) *p = (char)tolower((unsigned char)*p);
  if (!rc) rc = copy_opts(en, s->opts, s->nopts);
  const char *path = s->path ? s->path : readopt_get(s->opts, s->nopts, "path");
  if (!rc) rc = resolve_files(en, path, s->schema, 0, e);
  if (!rc && s->comments && en->schema.ncols > 0) {
    en->comments = calloc((size_t)en->schema.ncols, sizeof *en->comments);
    if (!en->comments) rc = ERR_NOMEM;
    for (int i = 0; !rc && i < en->schema.ncols; i++)
      if (s->comments[i] && !(en->comments[i] = xstrdup(s->comments[i]))) rc = ERR_NOMEM;
  }
  if (rc) {
    entry_free(en);
    return rc;
  }
  en->generation = ++c->generation;
  return install(c, en);
}

int catalog_create_view(struct catalog *c, const char *name, const char *sql, size_t len,
                        const char *const *cols, int ncols, const struct schema *schema,
                        enum catalog_mode mode, struct err *e) {
  int rc = check_exists(c, name, 1, mode, e);
  if (rc) return rc > 0 ? 0 : rc;
  struct catalog_entry *en = calloc(1, sizeof *en);
  if (!en) return ERR_NOMEM;
  schema_init(&en->schema);
  en->kind = CATALOG_VIEW;
  en->temporary = 1;
  en->name = xstrdup(name);
  en->sql = malloc(len + 1);
  if (!en->name || !en->sql) rc = ERR_NOMEM;
  if (!rc) {
    memcpy(en->sql, sql, len);
    en->sql[len] = '\0';
  }
  if (!rc && ncols > 0) {
    en->view_cols = calloc((size_t)ncols, sizeof *en->view_cols);
    if (!en->view_cols) rc = ERR_NOMEM;
    for (int i = 0; !rc && i < ncols; i++) {
      en->view_cols[i] = xstrdup(cols[i]);
      en->nview_cols = i + 1;
      if (!en->view_cols[i]) rc = ERR_NOMEM;
    }
  }
  if (!rc && schema) {
    schema_fini(&en->schema);
    rc = schema_copy(&en->schema, schema);
    if (rc) schema_init(&en->schema);
  }
  if (rc) {
    entry_free(en);
    return rc;
  }
  en->generation = ++c->generation;
  return install(c, en);
}

const struct catalog_entry *catalog_lookup(const struct catalog *c, const char *name) {
  int i = find_index(c, name);
  return i < 0 ? NULL : c->v[i];
}

int catalog_drop(struct catalog *c, const char *name, int is_view, int if_exists,
                 struct err *e) {
  int i = find_index(c, name);
  if (i < 0) {
    if (if_exists) return 0;
    return analysis_err(e, ERR_NOTFOUND,
                        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. Verify "
                        "the spelling and correctness of the schema and catalog.",
                        name);
  }
  if (is_view && !c->v[i]->temporary)
    return analysis_err(e, ERR_SQL,
                        "[WRONG_COMMAND_FOR_OBJECT_TYPE] `%s` is a table: use DROP TABLE "
                        "instead of DROP VIEW.",
                        c->v[i]->name);
  struct catalog_entry *old = c->v[i];
  remove_at(c, i);
  return retire(c, old);
}

int catalog_set_cached(struct catalog *c, const char *name, int cached, struct err *e) {
  int i = find_index(c, name);
  if (i < 0)
    return analysis_err(e, ERR_NOTFOUND,
                        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. Verify "
                        "the spelling and correctness of the schema and catalog.",
                        name);
  struct catalog_entry *en = c->v[i];
  free(en->cache_key);
  en->cache_key = NULL;
  en->cached = 0;
  if (!cached) return 0;
  char num[32];
  int64_t g = ++c->generation;
  snprintf(num, sizeof num, "#%lld", (long long)g);
  size_t a = strlen(en->name), b = strlen(num);
  en->cache_key = malloc(a + b + 1);
  if (!en->cache_key) return ERR_NOMEM;
  for (size_t k = 0; k < a; k++) en->cache_key[k] = (char)tolower((unsigned char)en->name[k]);
  memcpy(en->cache_key + a, num, b + 1);
  en->cached = 1;
  return 0;
}

int catalog_count(const struct catalog *c) { return c->n; }

const struct catalog_entry *catalog_at(const struct catalog *c, int i) {
  return i >= 0 && i < c->n ? c->v[i] : NULL;
}

const char *catalog_entry_namespace(const struct catalog_entry *en) {
  return en->temporary ? "" : "default";
}

/* '*' matches any run; case-insensitive; iterative backtracking. */
static int glob_match(const char *p, size_t pn, const char *s) {
  size_t pi = 0, si = 0, star = (size_t)-1, mark = 0, sn = strlen(s);
  while (si < sn) {
    if (pi < pn && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < pn && tolower((unsigned char)p[pi]) == tolower((unsigned char)s[si])) {
      pi++;
      si++;
    } else if (star != (size_t)-1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return 0;
    }
  }
  while (pi < pn && p[pi] == '*') pi++;
  return pi == pn;
}

int catalog_pattern_match(const char *pattern, const char *name) {
  const char *p = pattern;
  for (;;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    /* Spark trims each alternative */
    const char *q = p;
    while (n > 0 && isspace((unsigned char)*q)) q++, n--;
    while (n > 0 && isspace((unsigned char)q[n - 1])) n--;
    if (glob_match(q, n, name)) return 1;
    if (!bar) return 0;
    p = bar + 1;
  }
}

int catalog_describe(const struct catalog *c, const char *name, struct catalog_desc_row **rows,
                     int *n, struct err *e) {
  const struct catalog_entry *en = catalog_lookup(c, name);
  *rows = NULL;
  *n = 0;
  if (!en)
    return analysis_err(e, ERR_NOTFOUND,
                        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. Verify "
                        "the spelling and correctness of the schema and catalog.",
                        name);
  int k = en->schema.ncols;
  struct catalog_desc_row *r = calloc((size_t)(k ? k : 1), sizeof *r);
  if (!r) return ERR_NOMEM;
  for (int i = 0; i < k; i++) {
    char tmp[32];
    r[i].col_name = en->schema.cols[i].name;
    snprintf(r[i].data_type, sizeof r[i].data_type, "%s", schema_type_name(en->schema.cols[i].type, tmp));
    r[i].comment = en->comments ? en->comments[i] : NULL;
  }
  *rows = r;
  *n = k;
  return 0;
}

static int adhoc_cmp(const struct catalog_entry *a, const char *format, const char *path) {
  int r = strcmp(a->format, format);
  return r ? r : strcmp(a->opts[0].value, path);
}

int catalog_file_relation(struct catalog *c, const char *format, const char *path,
                          const struct catalog_entry **out, struct err *e) {
  int rc;
  char fmt[16];
  size_t fl = strlen(format);
  if (fl >= sizeof fmt) fl = sizeof fmt - 1;
  for (size_t i = 0; i < fl; i++) fmt[i] = (char)tolower((unsigned char)format[i]);
  fmt[fl] = '\0';
  if ((rc = check_format(fmt, e))) return rc;
  int at = 0, found = -1;
  while (at < c->nadhoc) {
    int r = adhoc_cmp(c->adhoc[at], fmt, path);
    if (r == 0) {
      found = at;
      break;
    }
    if (r > 0) break;
    at++;
  }
  if (c->offline) {
    if (found < 0) {
      err_set(e, ERR_NOTFOUND, "[PATH_NOT_FOUND] Path does not exist: %s (not resolved by the driver).", path);
      err_set_ename(e, "AnalysisException");
      return ERR_NOTFOUND;
    }
    *out = c->adhoc[found];
    return 0;
  }
  struct catalog_entry *en = calloc(1, sizeof *en);
  if (!en) return ERR_NOMEM;
  schema_init(&en->schema);
  en->kind = CATALOG_FILE;
  en->adhoc = 1;
  size_t nl = strlen(fmt) + strlen(path) + 4;
  en->name = malloc(nl);
  en->format = xstrdup(fmt);
  struct readopt_kv kv = {"path", path};
  rc = (!en->name || !en->format) ? ERR_NOMEM : copy_opts(en, &kv, 1);
  if (!rc) {
    snprintf(en->name, nl, "%s.`%s`", fmt, path);
    rc = resolve_files(en, path, NULL, 1, e);
  }
  if (rc) {
    entry_free(en);
    return rc;
  }
  if (found >= 0) {
    /* re-listing may find new files: replace the memo, keep the old alive */
    struct catalog_entry *old = c->adhoc[found];
    en->generation = old->generation;
    c->adhoc[found] = en;
    retire(c, old);
  } else {
    if (grow(&c->adhoc, &c->capadhoc, c->nadhoc + 1, sizeof *c->adhoc)) {
      entry_free(en);
      return ERR_NOMEM;
    }
    memmove(&c->adhoc[at + 1], &c->adhoc[at], (size_t)(c->nadhoc - at) * sizeof *c->adhoc);
    c->adhoc[at] = en;
    c->nadhoc++;
    en->generation = ++c->generation;
  }
  *out = en;
  return 0;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *entry_to_json(const struct catalog_entry *en) {
  json_t *o = json_object();
  if (!o) return NULL;
  int bad = 0;
  bad |= json_object_set_new(o, "name", json_string(en->name));
  bad |= json_object_set_new(o, "kind", json_string(en->kind == CATALOG_VIEW ? "view" : "file"));
  bad |= json_object_set_new(o, "temporary", json_boolean(en->temporary));
  bad |= json_object_set_new(o, "generation", json_integer(en->generation));
  if (en->kind == CATALOG_FILE) {
    bad |= json_object_set_new(o, "format", json_string(en->format));
    json_t *opts = json_array();
    for (int i = 0; i < en->nopts; i++)
      bad |= json_array_append_new(opts, json_pack("[ss]", en->opts[i].key, en->opts[i].value));
    bad |= json_object_set_new(o, "options", opts);
    json_t *files = json_array();
    for (int i = 0; i < en->npaths; i++)
      bad |= json_array_append_new(files, json_pack("{sssI}", "path", en->paths[i], "size",
                                                    (json_int_t)en->sizes[i]));
    bad |= json_object_set_new(o, "files", files);
  } else {
    bad |= json_object_set_new(o, "sql", json_string(en->sql));
    json_t *cols = json_array();
    for (int i = 0; i < en->nview_cols; i++)
      bad |= json_array_append_new(cols, json_string(en->view_cols[i]));
    bad |= json_object_set_new(o, "columns", cols);
  }
  struct buf ddl;
  buf_init(&ddl, BUF_UNLIMITED);
  if (schema_to_ddl(&en->schema, &ddl)) bad = 1;
  bad |= json_object_set_new(o, "schema", json_string(ddl.data ? ddl.data : ""));
  buf_fini(&ddl);
  /* DDL loses nested paths ("a.b" from JSON objects) and comments: keep
   * them beside it */
  int nested = 0;
  for (int i = 0; i < en->schema.ncols; i++) nested |= en->schema.cols[i].npath > 0;
  if (nested) {
    json_t *paths = json_array();
    for (int i = 0; i < en->schema.ncols; i++) {
      const struct schema_col *sc = &en->schema.cols[i];
      if (sc->npath == 0) {
        bad |= json_array_append_new(paths, json_null());
        continue;
      }
      json_t *p = json_array();
      for (int k = 0; k < sc->npath; k++) bad |= json_array_append_new(p, json_string(sc->path[k]));
      bad |= json_array_append_new(paths, p);
    }
    bad |= json_object_set_new(o, "paths", paths);
  }
  if (en->comments) {
    json_t *cm = json_array();
    for (int i = 0; i < en->schema.ncols; i++) bad |= json_array_append_new(cm, str_or_null(en->comments[i]));
    bad |= json_object_set_new(o, "comments", cm);
  }
  bad |= json_object_set_new(o, "cached", json_boolean(en->cached));
  bad |= json_object_set_new(o, "cache_key", str_or_null(en->cache_key));
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int catalog_to_json(const struct catalog *c, struct buf *out) {
  json_t *root = json_object(), *ents = json_array(), *adhoc = json_array();
  int bad = !root || !ents || !adhoc;
  for (int i = 0; !bad && i < c->n; i++) {
    json_t *j = entry_to_json(c->v[i]);
    bad = !j || json_array_append_new(ents, j);
  }
  for (int i = 0; !bad && i < c->nadhoc; i++) {
    json_t *j = entry_to_json(c->adhoc[i]);
    bad = !j || json_array_append_new(adhoc, j);
  }
  if (!bad) {
    bad |= json_object_set_new(root, "version", json_integer(1));
    bad |= json_object_set_new(root, "generation", json_integer(c->generation));
    bad |= json_object_set_new(root, "entries", ents);
    bad |= json_object_set_new(root, "adhoc", adhoc);
    ents = adhoc = NULL;
  }
  int rc = bad ? ERR_NOMEM : 0;
  if (!rc) {
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    rc = s ? buf_puts(out, s) : ERR_NOMEM;
    free(s);
  }
  json_decref(ents);
  json_decref(adhoc);
  json_decref(root);
  return rc;
}

static int jerr(struct err *e, const char *what) {
  return err_set(e, ERR_PARSE, "invalid catalog JSON: %s", what);
}

static int entry_from_json(json_t *o, struct catalog_entry **out, struct err *e) {
  struct catalog_entry *en = calloc(1, sizeof *en);
  if (!en) return ERR_NOMEM;
  schema_init(&en->schema);
  int rc = 0;
  const char *name = json_string_value(json_object_get(o, "name"));
  const char *kind = json_string_value(json_object_get(o, "kind"));
  const char *ddl = json_string_value(json_object_get(o, "schema"));
  if (!name || !kind || !ddl) {
    entry_free(en);
    return jerr(e, "entry without name, kind or schema");
  }
  en->name = xstrdup(name);
  en->kind = strcmp(kind, "view") == 0 ? CATALOG_VIEW : CATALOG_FILE;
  en->temporary = json_is_true(json_object_get(o, "temporary"));
  en->generation = json_integer_value(json_object_get(o, "generation"));
  en->cached = json_is_true(json_object_get(o, "cached"));
  const char *ck = json_string_value(json_object_get(o, "cache_key"));
  if (ck) en->cache_key = xstrdup(ck);
  if (!en->name) rc = ERR_NOMEM;
  if (!rc && en->kind == CATALOG_FILE) {
    const char *fmt = json_string_value(json_object_get(o, "format"));
    json_t *opts = json_object_get(o, "options"), *files = json_object_get(o, "files");
    if (!fmt || !json_is_array(opts) || !json_is_array(files)) {
      rc = jerr(e, "file entry without format, options or files");
    } else {
      en->format = xstrdup(fmt);
      size_t no = json_array_size(opts), nf = json_array_size(files);
      en->opts = calloc(no ? no : 1, sizeof *en->opts);
      en->paths = calloc(nf ? nf : 1, sizeof *en->paths);
      en->sizes = calloc(nf ? nf : 1, sizeof *en->sizes);
      if (!en->format || !en->opts || !en->paths || !en->sizes) rc = ERR_NOMEM;
      for (size_t i = 0; !rc && i < no; i++) {
        json_t *kv = json_array_get(opts, i);
        const char *k = json_string_value(json_array_get(kv, 0));
        const char *v = json_string_value(json_array_get(kv, 1));
        if (!k || !v) {
          rc = jerr(e, "bad option");
          break;
        }
        en->opts[i].key = xstrdup(k);
        en->opts[i].value = xstrdup(v);
        en->nopts = (int)i + 1;
        if (!en->opts[i].key || !en->opts[i].value) rc = ERR_NOMEM;
      }
      for (size_t i = 0; !rc && i < nf; i++) {
        json_t *f = json_array_get(files, i);
        const char *p = json_string_value(json_object_get(f, "path"));
        if (!p) {
          rc = jerr(e, "bad file");
          break;
        }
        en->paths[i] = xstrdup(p);
        en->sizes[i] = json_integer_value(json_object_get(f, "size"));
        en->npaths = (int)i + 1;
        if (!en->paths[i]) rc = ERR_NOMEM;
      }
    }
  } else if (!rc) {
    const char *sql = json_string_value(json_object_get(o, "sql"));
    json_t *cols = json_object_get(o, "columns");
    if (!sql) {
      rc = jerr(e, "view without sql");
    } else {
      en->sql = xstrdup(sql);
      size_t nc = json_array_size(cols);
      if (nc > 0) {
        en->view_cols = calloc(nc, sizeof *en->view_cols);
        if (!en->view_cols) rc = ERR_NOMEM;
      }
      for (size_t i = 0; !rc && i < nc; i++) {
        const char *s = json_string_value(json_array_get(cols, i));
        en->view_cols[i] = xstrdup(s ? s : "");
        en->nview_cols = (int)i + 1;
        if (!en->view_cols[i]) rc = ERR_NOMEM;
      }
      if (!en->sql) rc = ERR_NOMEM;
    }
  }
  if (!rc) {
    struct schema tmp;
    rc = ddl[0] ? schema_parse_ddl(ddl, &tmp, e) : (schema_init(&tmp), 0);
    json_t *paths = json_object_get(o, "paths");
    for (int i = 0; !rc && i < tmp.ncols; i++) {
      json_t *p = json_array_get(paths, (size_t)i);
      const struct schema_col *sc = &tmp.cols[i];
      if (json_is_array(p) && json_array_size(p) > 0) {
        size_t np = json_array_size(p);
        const char **segs = calloc(np, sizeof *segs);
        if (!segs) {
          rc = ERR_NOMEM;
          break;
        }
        for (size_t k = 0; k < np; k++) {
          segs[k] = json_string_value(json_array_get(p, k));
          if (!segs[k]) segs[k] = "";
        }
        rc = schema_add_path(&en->schema, segs, (int)np, sc->type, sc->nullable);
        free(segs);
      } else {
        rc = schema_add(&en->schema, sc->name, sc->type, sc->nullable);
      }
      rc = rc < 0 ? rc : 0;
    }
    schema_fini(&tmp);
    json_t *cm = json_object_get(o, "comments");
    if (!rc && json_is_array(cm) && en->schema.ncols > 0) {
      en->comments = calloc((size_t)en->schema.ncols, sizeof *en->comments);
      if (!en->comments) rc = ERR_NOMEM;
      for (int i = 0; !rc && i < en->schema.ncols; i++) {
        const char *s = json_string_value(json_array_get(cm, (size_t)i));
        if (s && !(en->comments[i] = xstrdup(s))) rc = ERR_NOMEM;
      }
    }
  }
  if (rc) {
    entry_free(en);
    return rc;
  }
  *out = en;
  return 0;
}

int catalog_from_json(const char *text, size_t len, struct catalog **out, struct err *e) {
  *out = NULL;
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root) return err_set(e, ERR_PARSE, "invalid catalog JSON: %s (line %d)", je.text, je.line);
  struct catalog *c = catalog_new();
  int rc = c ? 0 : ERR_NOMEM;
  json_t *ents = json_object_get(root, "entries"), *adhoc = json_object_get(root, "adhoc");
  if (!rc && (!json_is_array(ents) || !json_is_array(adhoc))) rc = jerr(e, "missing entries");
  if (!rc) {
    c->offline = 1;
    c->generation = json_integer_value(json_object_get(root, "generation"));
  }
  for (size_t i = 0; !rc && i < json_array_size(ents); i++) {
    struct catalog_entry *en;
    rc = entry_from_json(json_array_get(ents, i), &en, e);
    if (!rc) {
      rc = insert_sorted(c, en);
      if (rc) entry_free(en);
    }
  }
  for (size_t i = 0; !rc && i < json_array_size(adhoc); i++) {
    struct catalog_entry *en;
    rc = entry_from_json(json_array_get(adhoc, i), &en, e);
    if (!rc && (en->kind != CATALOG_FILE || en->nopts < 1)) {
      entry_free(en);
      rc = jerr(e, "bad ad-hoc relation");
    }
    if (!rc) {
      en->adhoc = 1;
      if (grow(&c->adhoc, &c->capadhoc, c->nadhoc + 1, sizeof *c->adhoc)) {
        entry_free(en);
        rc = ERR_NOMEM;
      } else {
        c->adhoc[c->nadhoc++] = en; /* written sorted by catalog_to_json */
      }
    }
  }
  json_decref(root);
  if (rc) {
    catalog_free(c);
    return rc;
  }
  *out = c;
  return 0;
}
