/* schema.h: a table schema -- column names, types, nullability -- with
 * Spark's textual forms (DDL and StructType JSON) and a DDL parser for the
 * `schema` option / CREATE TABLE column lists.
 *
 * Nested JSON fields are flattened into top-level columns named "a.b"; such
 * a column also records its path (["a", "b"]) so readers can find it without
 * re-splitting the name (key names may themselves contain dots).
 *
 * Invariants: names are unique case-insensitively only if the producer made
 * them so (schema_add does not check; schema_find returns the first match);
 * every string is owned by the schema. */
#ifndef KINDLING_ENGINE_VEC_SCHEMA_H
#define KINDLING_ENGINE_VEC_SCHEMA_H

#include "common/buf.h"
#include "common/err.h"
#include "engine/types.h"

#define SCHEMA_MAX_COLS 10000

struct schema_col {
  char *name;      /* owned */
  struct type type;
  int nullable;
  int npath;       /* 0 = top-level field named `name` */
  char **path;     /* owned, npath owned segments */
};

struct schema {
  int ncols;
  int cap;
  struct schema_col *cols; /* owned */
};

void schema_init(struct schema *s);
void schema_fini(struct schema *s);

/* Append a column (name copied). Returns its index, or ERR_NOMEM /
 * ERR_TOOBIG (more than SCHEMA_MAX_COLS columns). */
int schema_add(struct schema *s, const char *name, struct type t, int nullable);

/* Append a nested column: path (borrowed, copied) has npath >= 1 segments;
 * the name is the segments joined by '.'. Returns its index or an error. */
int schema_add_path(struct schema *s, const char *const *path, int npath, struct type t,
                    int nullable);

/* Deep copy src into dst (dst is initialised by this call). 0 or ERR_NOMEM. */
int schema_copy(struct schema *dst, const struct schema *src);

/* Index of the first column named name (ASCII case-insensitive) or -1. */
int schema_find(const struct schema *s, const char *name);

/* Spark's SQL type name: BOOLEAN INT BIGINT DOUBLE DECIMAL(p,s) STRING DATE
 * TIMESTAMP ARRAY<INT> (static or written into tmp, which must hold 32
 * bytes). */
const char *schema_type_sql(struct type t, char *tmp);

/* Spark's simpleString of a type, as DESCRIBE and typeof() print it: int
 * bigint decimal(10,2) string array<int> void ... (static or written into
 * tmp, which must hold 32 bytes). */
const char *schema_type_name(struct type t, char *tmp);

/* Spark's JSON type name: boolean integer long double decimal(p,s) string
 * date timestamp; array<integer> for an array (schema_to_json writes the
 * ArrayType object instead). */
const char *schema_type_json(struct type t, char *tmp);

/* StructType.toDDL: "a INT,b STRING NOT NULL,`x y` DOUBLE" (names that are
 * not plain identifiers are back-quoted, backticks doubled). Appends to out. */
int schema_to_ddl(const struct schema *s, struct buf *out);

/* StructType.json: {"type":"struct","fields":[{"name":"a","type":"integer",
 * "nullable":true,"metadata":{}},...]}; an array column's "type" is
 * {"type":"array","elementType":"integer","containsNull":true}. Appends to
 * out. */
int schema_to_json(const struct schema *s, struct buf *out);

/* Parse a DDL column list ("a INT, `b c` DECIMAL(10,2) NOT NULL, d STRING")
 * into s (initialised by this call). Type names are case-insensitive;
 * INTEGER, LONG, DEC/NUMERIC, VARCHAR(n)/CHAR(n) are accepted as aliases,
 * TINYINT/SMALLINT widen to INT and FLOAT/REAL to DOUBLE (the engine has no
 * narrower types). Returns 0, or ERR_PARSE with e naming the 1-based column
 * of the problem (s is then empty). */
int schema_parse_ddl(const char *text, struct schema *s, struct err *e);

/* Parse one type name (e.g. "decimal(10, 2)") into *t. 0 or ERR_PARSE. */
int schema_parse_type(const char *text, struct type *t, struct err *e);

#endif
