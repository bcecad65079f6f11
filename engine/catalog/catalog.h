/* catalog.h: the local engine's session catalog -- file tables, temporary
 * views and their cache flags -- in one case-insensitive namespace.
 *
 * Entries:
 *   - file tables (CREATE TABLE .. USING csv|json, CREATE TEMP VIEW .. USING):
 *     the path is resolved once, at creation (file, directory of part files
 *     or glob, see engine/source/path.h); the entry records the files, their
 *     sizes, the options as given and the schema (given, else inferred the
 *     way Spark does: CSV without inferSchema makes every column STRING);
 *   - views (CREATE TEMP VIEW v AS query): the query's SQL text, the column
 *     aliases and the output schema the caller computed when it validated
 *     the view; the analyzer re-parses the text at every use;
 *   - ad-hoc file relations (csv.`path`): resolved on the fly and memoised
 *     (not listed by SHOW TABLES), so that a catalog rebuilt from JSON on an
 *     executor plans the same query without touching the file system.
 *
 * Determinism: entries are kept sorted (persistent tables before temporary
 * views, then by lower-cased name; ad-hoc relations by format and path), so
 * catalog_to_json and SHOW TABLES never depend on creation order, and
 * catalog_from_json never touches the file system.
 *
 * Lifetime: an entry's schema, paths and strings stay valid until
 * catalog_free even after the entry is dropped or replaced (retired entries
 * are kept), because plans borrow them (plan_source.schema). */
#ifndef KINDLING_ENGINE_CATALOG_CATALOG_H
#define KINDLING_ENGINE_CATALOG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/source/readopt.h"
#include "engine/vec/schema.h"

enum catalog_kind { CATALOG_FILE, CATALOG_VIEW };

enum catalog_mode {
  CATALOG_CREATE,        /* fail when the name exists */
  CATALOG_OR_REPLACE,    /* replace an existing entry */
  CATALOG_IF_NOT_EXISTS  /* keep an existing entry, succeed silently */
};

struct catalog_entry {
  char *name;            /* as created (original spelling) */
  enum catalog_kind kind;
  int temporary;         /* 1: temporary view (SHOW TABLES isTemporary) */
  int adhoc;             /* 1: memoised csv.`path` relation */
  int64_t generation;    /* unique per creation within the catalog */
  /* CATALOG_FILE */
  char *format;          /* "csv" | "json" */
  struct readopt_kv *opts; /* owned keys/values, as given */
  int nopts;
  char **paths;          /* resolved files, sorted */
  int64_t *sizes;
  int npaths;
  /* both kinds: the columns (the file schema; a view's output) */
  struct schema schema;
  char **comments;       /* NULL, or schema.ncols entries (NULL = none) */
  /* CATALOG_VIEW */
  char *sql;             /* the view's query text */
  char **view_cols;      /* column aliases v(a, b), or NULL */
  int nview_cols;
  /* CACHE TABLE */
  int cached;
  char *cache_key;       /* "name#generation" while cached, else NULL */
};

struct catalog;

/* New empty catalog, NULL when out of memory. Free with catalog_free. */
struct catalog *catalog_new(void);
void catalog_free(struct catalog *c);

/* A file table to create. Every pointer is borrowed (copied by the call). */
struct catalog_file_spec {
  const char *name;
  const char *format;            /* "csv" | "json" (case-insensitive) */
  const struct readopt_kv *opts; /* must include "path" (or pass path) */
  int nopts;
  const char *path;              /* LOCATION, or NULL: the "path" option */
  const struct schema *schema;   /* given columns, or NULL: infer */
  const char *const *comments;   /* per schema column, or NULL */
  int temporary;                 /* CREATE TEMPORARY VIEW .. USING */
};

/* Resolve the files and the schema and add the entry. Returns 0, or
 * ERR_SQL (name exists: "[TABLE_OR_VIEW_ALREADY_EXISTS] ..."), ERR_NOTFOUND
 * ("[PATH_NOT_FOUND] Path does not exist: file:/x.csv"), ERR_UNSUPPORTED
 * (format), ERR_INVAL / ERR_IO (bad options, unreadable files), ERR_NOMEM;
 * e is filled with ename "AnalysisException". */
int catalog_create_file(struct catalog *c, const struct catalog_file_spec *s,
                        enum catalog_mode mode, struct err *e);

/* Add a temporary view: sql[0..len) is the query text (copied), cols the
 * optional column aliases (copied), schema the view's output columns as the
 * caller analyzed them (copied). Same errors as catalog_create_file. */
int catalog_create_view(struct catalog *c, const char *name, const char *sql, size_t len,
                        const char *const *cols, int ncols, const struct schema *schema,
                        enum catalog_mode mode, struct err *e);

/* The entry named name (case-insensitive), or NULL. Borrowed. */
const struct catalog_entry *catalog_lookup(const struct catalog *c, const char *name);

/* DROP TABLE / DROP VIEW. is_view 1 for DROP VIEW (refuses a persistent
 * table); DROP TABLE also drops temporary views, as Spark does. Returns 0,
 * or ERR_NOTFOUND ("[TABLE_OR_VIEW_NOT_FOUND] ...", unless if_exists) /
 * ERR_SQL with e filled. */
int catalog_drop(struct catalog *c, const char *name, int is_view, int if_exists,
                 struct err *e);

/* CACHE TABLE (cached 1) / UNCACHE TABLE (0). Caching assigns a fresh cache
 * key (name + generation counter) so a re-created or re-cached table never
 * reads a stale executor cache. Returns 0 or ERR_NOTFOUND. */
int catalog_set_cached(struct catalog *c, const char *name, int cached, struct err *e);

/* Listing order for SHOW TABLES (see the determinism note); ad-hoc
 * relations are not included. */
int catalog_count(const struct catalog *c);
const struct catalog_entry *catalog_at(const struct catalog *c, int i);
/* SHOW TABLES columns: namespace ("default" for tables, "" for temporary
 * views). */
const char *catalog_entry_namespace(const struct catalog_entry *en);
/* SHOW TABLES LIKE pattern: '*' any sequence, '|' alternatives,
 * case-insensitive. 1 on match. */
int catalog_pattern_match(const char *pattern, const char *name);

/* One DESCRIBE row: strings borrowed from the entry, data_type in Spark's
 * lower-case spelling ("int", "decimal(10,2)"). */
struct catalog_desc_row {
  const char *col_name;
  char data_type[40];
  const char *comment; /* or NULL */
};

/* DESCRIBE name: *rows is a new array (free()) of *n rows. Returns 0 or
 * ERR_NOTFOUND / ERR_NOMEM. */
int catalog_describe(const struct catalog *c, const char *name, struct catalog_desc_row **rows,
                     int *n, struct err *e);

/* An ad-hoc file relation (csv.`path`, json.`path`): Spark reads csv
 * without header, every column STRING named _c0, _c1... On a catalog built
 * by catalog_new the path is (re)resolved on every call and the memo
 * updated; on a catalog from catalog_from_json only the memo is used (no
 * file system access; ERR_NOTFOUND when absent). *out is borrowed. */
int catalog_file_relation(struct catalog *c, const char *format, const char *path,
                          const struct catalog_entry **out, struct err *e);

/* Lossless serialisation (entries, ad-hoc relations, resolved files and
 * sizes, options, schemas, view text, cache keys, the generation counter).
 * Appends compact JSON to out. Returns 0, ERR_NOMEM or ERR_TOOBIG. */
int catalog_to_json(const struct catalog *c, struct buf *out);

/* Rebuild a catalog from catalog_to_json text without touching the file
 * system. *out is new (catalog_free). Returns 0 or ERR_PARSE / ERR_NOMEM
 * with e filled. */
int catalog_from_json(const char *text, size_t len, struct catalog **out, struct err *e);

#endif
