/* session.c: helpers shared by all session backends (see session.h). */
#include "common/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

void table_free(struct table *t) {
  if (!t) return;
  table_free(t->earlier);
  json_decref(t->schema);
  json_decref(t->rows);
  free(t);
}

void session_display_id(char out[48]) {
  uuid_t u;
  char s[37];
  uuid_generate(u);
  uuid_unparse_lower(u, s);
  snprintf(out, 48, "kd-%s", s);
}

/* Spark's JSON type names (DataType.json) as DDL. Nested types become
 * STRING: their values travel as JSON text (table_records). */
static const char *ddl_type(const json_t *t, char *tmp, size_t n) {
  static const struct {
    const char *json, *ddl;
  } map[] = {{"integer", "INT"},     {"long", "BIGINT"},   {"short", "SMALLINT"},
             {"byte", "TINYINT"},    {"double", "DOUBLE"}, {"float", "FLOAT"},
             {"string", "STRING"},   {"boolean", "BOOLEAN"}, {"date", "DATE"},
             {"timestamp", "TIMESTAMP"}, {"timestamp_ntz", "TIMESTAMP"}};
  const char *s = json_string_value(t);
  if (!s) return "STRING";
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(s, map[i].json) == 0) return map[i].ddl;
  int p, sc;
  if (sscanf(s, "decimal(%d,%d)", &p, &sc) == 2 && p > 0 && p <= 38 && sc >= 0 && sc <= p) {
    snprintf(tmp, n, "DECIMAL(%d,%d)", p, sc);
    return tmp;
  }
  return "STRING";
}

int table_put_ident(struct buf *out, const char *name) {
  int rc = buf_putc(out, '`');
  for (const char *p = name; *p && !rc; p++) {
    if (*p == '`') rc = buf_putc(out, '`');
    if (!rc) rc = buf_putc(out, *p);
  }
  return rc ? rc : buf_putc(out, '`');
}

int table_ddl(const json_t *schema, struct buf *out) {
  json_t *fields = json_object_get(schema, "fields");
  size_t i;
  json_t *f;
  if (!json_array_size(fields)) return ERR_INVAL;
  json_array_foreach(fields, i, f) {
    const char *name = json_string_value(json_object_get(f, "name"));
    char tmp[32];
    if (i) buf_puts(out, ", ");
    table_put_ident(out, name ? name : "");
    if (buf_printf(out, " %s", ddl_type(json_object_get(f, "type"), tmp, sizeof tmp)))
      return ERR_NOMEM;
  }
  return 0;
}

json_t *table_records(const json_t *schema, const json_t *rows, long long maxrows) {
  json_t *fields = json_object_get(schema, "fields");
  json_t *recs = json_array();
  size_t i, j;
  json_t *row, *f;
  if (!recs) return NULL;
  json_array_foreach(rows, i, row) {
    if (maxrows >= 0 && (long long)i >= maxrows) break;
    json_t *rec = json_object();
    json_array_foreach(fields, j, f) {
      const char *name = json_string_value(json_object_get(f, "name"));
      json_t *v = json_array_get(row, j);
      if (!name || !v || json_is_null(v)) continue; /* absent = NULL, as toJSON */
      if (json_is_object(v) || json_is_array(v)) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_object_set_new(rec, name, json_string(text ? text : ""));
        free(text);
      } else {
        json_object_set(rec, name, v);
      }
    }
    json_array_append_new(recs, rec);
  }
  return recs;
}
