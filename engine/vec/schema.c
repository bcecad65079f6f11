/* schema.c: schemas, their Spark DDL/JSON forms, and the DDL parser. */
#include "engine/vec/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void schema_init(struct schema *s) { memset(s, 0, sizeof *s); }

void schema_fini(struct schema *s) {
  for (int i = 0; i < s->ncols; i++) {
    free(s->cols[i].name);
    for (int k = 0; k < s->cols[i].npath; k++) free(s->cols[i].path[k]);
    free(s->cols[i].path);
  }
  free(s->cols);
  schema_init(s);
}

static int grow(struct schema *s) {
  if (s->ncols >= SCHEMA_MAX_COLS) return ERR_TOOBIG;
  if (s->ncols < s->cap) return 0;
  int cap = s->cap ? s->cap * 2 : 8;
  struct schema_col *c = realloc(s->cols, (size_t)cap * sizeof *c);
  if (!c) return ERR_NOMEM;
  s->cols = c;
  s->cap = cap;
  return 0;
}

int schema_add(struct schema *s, const char *name, struct type t, int nullable) {
  int rc = grow(s);
  if (rc) return rc;
  char *n = strdup(name);
  if (!n) return ERR_NOMEM;
  struct schema_col *c = &s->cols[s->ncols];
  memset(c, 0, sizeof *c);
  c->name = n;
  c->type = t;
  c->nullable = nullable ? 1 : 0;
  return s->ncols++;
}

int schema_add_path(struct schema *s, const char *const *path, int npath, struct type t,
                    int nullable) {
  if (npath < 1) return ERR_INVAL;
  struct buf name;
  buf_init(&name, BUF_UNLIMITED);
  int rc = 0;
  for (int k = 0; k < npath && rc == 0; k++) {
    if (k) rc = buf_putc(&name, '.');
    if (rc == 0) rc = buf_puts(&name, path[k]);
  }
  if (rc == 0 && !name.data) rc = buf_puts(&name, "");
  if (rc) {
    buf_fini(&name);
    return rc;
  }
  int idx = schema_add(s, name.data, t, nullable);
  buf_fini(&name);
  if (idx < 0 || npath == 1) return idx;
  struct schema_col *c = &s->cols[idx];
  c->path = calloc((size_t)npath, sizeof *c->path);
  if (!c->path) goto nomem;
  for (int k = 0; k < npath; k++) {
    c->path[k] = strdup(path[k]);
    if (!c->path[k]) goto nomem;
    c->npath = k + 1;
  }
  return idx;
nomem:
  /* Drop the half-built column. */
  for (int k = 0; k < c->npath; k++) free(c->path[k]);
  free(c->path);
  free(c->name);
  s->ncols--;
  return ERR_NOMEM;
}

int schema_copy(struct schema *dst, const struct schema *src) {
  schema_init(dst);
  for (int i = 0; i < src->ncols; i++) {
    const struct schema_col *c = &src->cols[i];
    int rc = c->npath > 1
                 ? schema_add_path(dst, (const char *const *)c->path, c->npath, c->type, c->nullable)
                 : schema_add(dst, c->name, c->type, c->nullable);
    if (rc < 0) {
      schema_fini(dst);
      return rc;
    }
  }
  return 0;
}

int schema_find(const struct schema *s, const char *name) {
  for (int i = 0; i < s->ncols; i++)
    if (strcasecmp(s->cols[i].name, name) == 0) return i;
  return -1;
}

const char *schema_type_sql(struct type t, char *tmp) {
  switch (t.id) {
    case TYPE_NULL: return "VOID";
    case TYPE_BOOLEAN: return "BOOLEAN";
    case TYPE_INT: return "INT";
    case TYPE_BIGINT: return "BIGINT";
    case TYPE_DOUBLE: return "DOUBLE";
    case TYPE_DECIMAL: snprintf(tmp, 32, "DECIMAL(%d,%d)", t.precision, t.scale); return tmp;
    case TYPE_STRING: return "STRING";
    case TYPE_DATE: return "DATE";
    case TYPE_TIMESTAMP: return "TIMESTAMP";
    case TYPE_INTERVAL: return "INTERVAL";
    case TYPE_ARRAY: {
      char et[32];
      snprintf(tmp, 32, "ARRAY<%s>", schema_type_sql(type_elem(t), et));
      return tmp;
    }
    default: return "UNKNOWN";
  }
}

const char *schema_type_name(struct type t, char *tmp) {
  switch (t.id) {
    case TYPE_NULL: return "void";
    case TYPE_BOOLEAN: return "boolean";
    case TYPE_INT: return "int";
    case TYPE_BIGINT: return "bigint";
    case TYPE_DOUBLE: return "double";
    case TYPE_DECIMAL: snprintf(tmp, 32, "decimal(%d,%d)", t.precision, t.scale); return tmp;
    case TYPE_STRING: return "string";
    case TYPE_DATE: return "date";
    case TYPE_TIMESTAMP: return "timestamp";
    case TYPE_INTERVAL: return "interval";
    case TYPE_ARRAY: {
      char et[32];
      snprintf(tmp, 32, "array<%s>", schema_type_name(type_elem(t), et));
      return tmp;
    }
    default: return "unknown";
  }
}

const char *schema_type_json(struct type t, char *tmp) {
  switch (t.id) {
    case TYPE_NULL: return "void";
    case TYPE_BOOLEAN: return "boolean";
    case TYPE_INT: return "integer";
    case TYPE_BIGINT: return "long";
    case TYPE_DOUBLE: return "double";
    case TYPE_DECIMAL: snprintf(tmp, 32, "decimal(%d,%d)", t.precision, t.scale); return tmp;
    case TYPE_STRING: return "string";
    case TYPE_DATE: return "date";
    case TYPE_TIMESTAMP: return "timestamp";
    case TYPE_INTERVAL: return "interval";
    case TYPE_ARRAY: {
      char et[32];
      snprintf(tmp, 32, "array<%s>", schema_type_json(type_elem(t), et));
      return tmp;
    }
    default: return "unknown";
  }
}

static int plain_ident(const char *n) {
  if (!*n || !(isalpha((unsigned char)*n) || *n == '_')) return 0;
  for (; *n; n++)
    if (!(isalnum((unsigned char)*n) || *n == '_')) return 0;
  return 1;
}

int schema_to_ddl(const struct schema *s, struct buf *out) {
  int rc = 0;
  char tmp[32];
  for (int i = 0; i < s->ncols && rc == 0; i++) {
    const struct schema_col *c = &s->cols[i];
    if (i) rc = buf_putc(out, ',');
    if (plain_ident(c->name)) {
      rc = rc ? rc : buf_puts(out, c->name);
    } else {
      rc = rc ? rc : buf_putc(out, '`');
      for (const char *p = c->name; *p && rc == 0; p++)
        rc = *p == '`' ? buf_puts(out, "``") : buf_putc(out, *p);
      rc = rc ? rc : buf_putc(out, '`');
    }
    rc = rc ? rc : buf_printf(out, " %s%s", schema_type_sql(c->type, tmp), c->nullable ? "" : " NOT NULL");
  }
  if (rc == 0 && !out->data) rc = buf_puts(out, "");
  return rc;
}

int schema_to_json(const struct schema *s, struct buf *out) {
  char tmp[32];
  int rc = buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
  for (int i = 0; i < s->ncols && rc == 0; i++) {
    const struct schema_col *c = &s->cols[i];
    rc = buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
    rc = rc ? rc : buf_put_json_str(out, c->name, strlen(c->name));
    if (c->type.id == TYPE_ARRAY) /* Spark writes an ArrayType as an object */
      rc = rc ? rc
              : buf_printf(out,
                           ",\"type\":{\"type\":\"array\",\"elementType\":\"%s\","
                           "\"containsNull\":true},\"nullable\":%s,\"metadata\":{}}",
                           schema_type_json(type_elem(c->type), tmp),
                           c->nullable ? "true" : "false");
    else
      rc = rc ? rc
              : buf_printf(out, ",\"type\":\"%s\",\"nullable\":%s,\"metadata\":{}}",
                           schema_type_json(c->type, tmp), c->nullable ? "true" : "false");
  }
  return rc ? rc : buf_puts(out, "]}");
}

/* ---- DDL parser ---- */

struct lex {
  const char *start, *p;
  struct err *e;
};

static void skip_ws(struct lex *l) {
  while (isspace((unsigned char)*l->p)) l->p++;
}

static int lex_fail(struct lex *l, const char *what) {
  int col = (int)(l->p - l->start) + 1;
  return err_set_at(l->e, ERR_PARSE, 1, col, "schema: %s at position %d", what, col);
}

/* An identifier or `quoted identifier` into a new string. */
static int read_ident(struct lex *l, char **out) {
  skip_ws(l);
  struct buf b;
  buf_init(&b, 4096);
  int rc = 0;
  if (*l->p == '`') {
    l->p++;
    for (;;) {
      if (!*l->p) {
        buf_fini(&b);
        return lex_fail(l, "unterminated `quoted` name");
      }
      if (*l->p == '`') {
        if (l->p[1] == '`') {
          rc = rc ? rc : buf_putc(&b, '`');
          l->p += 2;
          continue;
        }
        l->p++;
        break;
      }
      rc = rc ? rc : buf_putc(&b, *l->p++);
    }
  } else {
    const char *s = l->p;
    while (isalnum((unsigned char)*l->p) || *l->p == '_' || ((unsigned char)*l->p) >= 0x80) l->p++;
    if (l->p == s) {
      buf_fini(&b);
      return lex_fail(l, "expected a column name");
    }
    rc = buf_append(&b, s, (size_t)(l->p - s));
  }
  if (rc == 0 && !b.data) rc = buf_puts(&b, "");
  if (rc) {
    buf_fini(&b);
    return rc;
  }
  *out = buf_steal(&b);
  return *out ? 0 : ERR_NOMEM;
}

static int read_word(struct lex *l, char *w, size_t cap) {
  skip_ws(l);
  size_t n = 0;
  while (isalnum((unsigned char)*l->p) || *l->p == '_') {
    if (n + 1 < cap) w[n++] = *l->p;
    l->p++;
  }
  w[n] = '\0';
  return (int)n;
}

static int read_int(struct lex *l, int *v) {
  skip_ws(l);
  if (!isdigit((unsigned char)*l->p)) return -1;
  long x = 0;
  while (isdigit((unsigned char)*l->p)) {
    if (x < 100000) x = x * 10 + (*l->p - '0');
    l->p++;
  }
  *v = (int)x;
  return 0;
}

static int lex_type(struct lex *l, struct type *t) {
  char w[32];
  const char *at = l->p;
  if (!read_word(l, w, sizeof w)) return lex_fail(l, "expected a type name");
  memset(t, 0, sizeof *t);
  if (!strcasecmp(w, "boolean") || !strcasecmp(w, "bool")) t->id = TYPE_BOOLEAN;
  else if (!strcasecmp(w, "int") || !strcasecmp(w, "integer") || !strcasecmp(w, "smallint") ||
           !strcasecmp(w, "tinyint") || !strcasecmp(w, "short") || !strcasecmp(w, "byte"))
    t->id = TYPE_INT;
  else if (!strcasecmp(w, "bigint") || !strcasecmp(w, "long")) t->id = TYPE_BIGINT;
  else if (!strcasecmp(w, "double") || !strcasecmp(w, "float") || !strcasecmp(w, "real"))
    t->id = TYPE_DOUBLE;
  else if (!strcasecmp(w, "string") || !strcasecmp(w, "varchar") || !strcasecmp(w, "char") ||
           !strcasecmp(w, "text"))
    t->id = TYPE_STRING;
  else if (!strcasecmp(w, "date")) t->id = TYPE_DATE;
  else if (!strcasecmp(w, "timestamp") || !strcasecmp(w, "timestamp_ltz") ||
           !strcasecmp(w, "timestamp_ntz"))
    t->id = TYPE_TIMESTAMP;
  else if (!strcasecmp(w, "decimal") || !strcasecmp(w, "dec") || !strcasecmp(w, "numeric")) {
    t->id = TYPE_DECIMAL;
    t->precision = 10;
    t->scale = 0;
  } else if (!strcasecmp(w, "array")) {
    /* ARRAY<elem> of a scalar element, as schema_to_ddl writes the columns
     * of a view over arrays (catalogs sent to executors carry them) */
    skip_ws(l);
    if (*l->p != '<') return lex_fail(l, "expected '<'");
    l->p++;
    struct type e;
    int rc = lex_type(l, &e);
    if (rc) return rc;
    skip_ws(l);
    if (*l->p != '>') return lex_fail(l, "expected '>'");
    l->p++;
    if (e.id == TYPE_ARRAY || e.id == TYPE_NULL || e.id == TYPE_INTERVAL)
      return lex_fail(l, "unsupported array element type");
    *t = type_array_of(e);
    return 0;
  } else {
    l->p = at;
    skip_ws(l);
    return lex_fail(l, "unknown or unsupported type");
  }
  skip_ws(l);
  if (*l->p == '(') {
    l->p++;
    int p = 0, s = 0;
    if (read_int(l, &p) != 0) return lex_fail(l, "expected a number");
    skip_ws(l);
    if (*l->p == ',') {
      l->p++;
      if (read_int(l, &s) != 0) return lex_fail(l, "expected a number");
      skip_ws(l);
    }
    if (*l->p != ')') return lex_fail(l, "expected ')'");
    l->p++;
    if (t->id == TYPE_DECIMAL) {
      if (p < 1 || p > 18 || s > p)
        return lex_fail(l, "decimal precision must be 1..18 and scale <= precision");
      t->precision = (uint8_t)p;
      t->scale = (uint8_t)s;
    } else if (t->id != TYPE_STRING) {
      return lex_fail(l, "unexpected type parameters");
    }
  }
  return 0;
}

int schema_parse_type(const char *text, struct type *t, struct err *e) {
  struct lex l = {text, text, e};
  int rc = lex_type(&l, t);
  if (rc) return rc;
  skip_ws(&l);
  if (*l.p) return lex_fail(&l, "unexpected text after the type");
  return 0;
}

int schema_parse_ddl(const char *text, struct schema *s, struct err *e) {
  struct lex l = {text, text, e};
  schema_init(s);
  skip_ws(&l);
  if (strncasecmp(l.p, "struct<", 7) == 0) l.p += 7; /* struct<a:int,...> */
  for (;;) {
    char *name = NULL;
    int rc = read_ident(&l, &name);
    if (rc) goto fail;
    skip_ws(&l);
    if (*l.p == ':') l.p++;
    struct type t;
    rc = lex_type(&l, &t);
    if (rc) {
      free(name);
      goto fail;
    }
    char w[16];
    const char *save = l.p;
    int nullable = 1;
    if (read_word(&l, w, sizeof w) && !strcasecmp(w, "not")) {
      if (!read_word(&l, w, sizeof w) || strcasecmp(w, "null")) {
        free(name);
        rc = lex_fail(&l, "expected NULL after NOT");
        goto fail;
      }
      nullable = 0;
    } else {
      l.p = save;
    }
    rc = schema_add(s, name, t, nullable);
    free(name);
    if (rc < 0) goto fail;
    skip_ws(&l);
    if (*l.p == ',') {
      l.p++;
      continue;
    }
    if (*l.p == '>') l.p++;
    skip_ws(&l);
    if (*l.p) {
      rc = lex_fail(&l, "expected ',' between columns");
      goto fail;
    }
    return 0;
  fail:
    schema_fini(s);
    return rc;
  }
}
