/* jsonl.c: JSON-lines options, inference and reader (see jsonl.h).
 *
 * A hand-written scanner instead of a DOM library: each line is walked once;
 * keys are matched against a tree built from the schema's column paths
 * (trying the key that followed the previous one first, since lines of one
 * file usually repeat the same key order), values of projected columns are
 * converted straight into the batch's vectors, and everything else is
 * skipped without building anything. */
#include "engine/source/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/source/mapfile.h"
#include "engine/vec/numparse.h"

/* ---- options ---- */

int jsonl_options_parse(struct jsonl_options *o, const struct readopt_kv *kv, int n,
                        struct err *e) {
  memset(o, 0, sizeof *o);
  const char *v = readopt_get(kv, n, "columnNameOfCorruptRecord");
  o->corrupt_column = strdup(v ? v : "_corrupt_record");
  if (!o->corrupt_column) return err_set(e, ERR_NOMEM, "out of memory");
  int rc, ml = 0;
  if ((rc = readopt_mode(kv, n, &o->mode, e)) ||
      (rc = readopt_bool(kv, n, "primitivesAsString", &o->primitives_as_string, e)) ||
      (rc = readopt_bool(kv, n, "multiLine", &ml, e)))
    return rc;
  if (ml) return err_set(e, ERR_UNSUPPORTED, "JSON option multiLine=true is not supported");
  if ((v = readopt_get(kv, n, "encoding")) || (v = readopt_get(kv, n, "charset")))
    if (strcasecmp(v, "UTF-8") && strcasecmp(v, "UTF8"))
      return err_set(e, ERR_UNSUPPORTED, "JSON encoding '%s' is not supported (only UTF-8)", v);
  if ((v = readopt_get(kv, n, "dateFormat"))) {
    if ((rc = datetime_fmt_compile_parser(&o->date_format, v, e))) return rc;
    o->has_date_format = 1;
  }
  if ((v = readopt_get(kv, n, "timestampFormat"))) {
    if ((rc = datetime_fmt_compile_parser(&o->timestamp_format, v, e))) return rc;
    o->has_timestamp_format = 1;
  }
  return 0;
}

void jsonl_options_fini(struct jsonl_options *o) {
  free(o->corrupt_column);
  memset(o, 0, sizeof *o);
}

/* ---- scanning primitives ---- */

static inline const char *ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

/* p at '"'. Returns the position after the closing quote, or NULL. *esc is
 * set when the string has escapes. */
static const char *skip_string(const char *p, const char *e, int *esc) {
  p++;
  *esc = 0;
  for (;;) {
    const char *q = p;
    while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
    if (q >= e || (unsigned char)*q < 0x20) return NULL;
    if (*q == '"') return q + 1;
    *esc = 1;
    if (q + 1 >= e) return NULL;
    p = q + 2;
  }
}

/* p at a number's first character; returns its end or NULL. */
static const char *skip_number(const char *p, const char *e, int *is_float) {
  const char *s = p;
  *is_float = 0;
  if (p < e && *p == '-') p++;
  if (p >= e) return NULL;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9')
    while (p < e && (unsigned)(*p - '0') <= 9) p++;
  else return NULL;
  if (p < e && *p == '.') {
    *is_float = 1;
    p++;
    if (p >= e || (unsigned)(*p - '0') > 9) return NULL;
    while (p < e && (unsigned)(*p - '0') <= 9) p++;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    *is_float = 1;
    p++;
    if (p < e && (*p == '+' || *p == '-')) p++;
    if (p >= e || (unsigned)(*p - '0') > 9) return NULL;
    while (p < e && (unsigned)(*p - '0') <= 9) p++;
  }
  return p > s ? p : NULL;
}

static const char *skip_value(const char *p, const char *e, int depth) {
  p = ws(p, e);
  if (p >= e || depth > JSONL_MAX_DEPTH) return NULL;
  int esc, fl;
  switch (*p) {
    case '"': return skip_string(p, e, &esc);
    case '{':
    case '[': {
      char close = *p == '{' ? '}' : ']';
      int obj = *p == '{';
      p = ws(p + 1, e);
      if (p < e && *p == close) return p + 1;
      for (;;) {
        if (obj) {
          p = ws(p, e);
          if (p >= e || *p != '"' || !(p = skip_string(p, e, &esc))) return NULL;
          p = ws(p, e);
          if (p >= e || *p != ':') return NULL;
          p++;
        }
        if (!(p = skip_value(p, e, depth + 1))) return NULL;
        p = ws(p, e);
        if (p >= e) return NULL;
        if (*p == ',') {
          p++;
          continue;
        }
        if (*p == close) return p + 1;
        return NULL;
      }
    }
    case 't': return (e - p >= 4 && !memcmp(p, "true", 4)) ? p + 4 : NULL;
    case 'f': return (e - p >= 5 && !memcmp(p, "false", 5)) ? p + 5 : NULL;
    case 'n': return (e - p >= 4 && !memcmp(p, "null", 4)) ? p + 4 : NULL;
    default: return skip_number(p, e, &fl);
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 32) >= 'a' && (c | 32) <= 'f') return (c | 32) - 'a' + 10;
  return -1;
}

static int read_u4(const char *p, const char *e, unsigned *out) {
  if (e - p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0) return -1;
    v = v * 16 + (unsigned)h;
  }
  *out = v;
  return 0;
}

/* Decode the string body [s, e) (between the quotes) into arena memory. */
static int unescape(const char *s, const char *e, struct arena *a, const char **out, uint32_t *len) {
  char *d = arena_alloc(a, (size_t)(e - s) + 4);
  if (!d) return ERR_NOMEM;
  uint32_t n = 0;
  while (s < e) {
    if (*s != '\\') {
      d[n++] = *s++;
      continue;
    }
    s++;
    if (s >= e) return ERR_PARSE;
    char c = *s++;
    switch (c) {
      case '"': d[n++] = '"'; break;
      case '\\': d[n++] = '\\'; break;
      case '/': d[n++] = '/'; break;
      case 'b': d[n++] = '\b'; break;
      case 'f': d[n++] = '\f'; break;
      case 'n': d[n++] = '\n'; break;
      case 'r': d[n++] = '\r'; break;
      case 't': d[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (read_u4(s, e, &cp)) return ERR_PARSE;
        s += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
          unsigned lo;
          if (read_u4(s + 2, e, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            s += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; /* lone surrogate */
        if (cp < 0x80) d[n++] = (char)cp;
        else if (cp < 0x800) {
          d[n++] = (char)(0xC0 | (cp >> 6));
          d[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          d[n++] = (char)(0xE0 | (cp >> 12));
          d[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          d[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
          d[n++] = (char)(0xF0 | (cp >> 18));
          d[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
          d[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          d[n++] = (char)(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: return ERR_PARSE;
    }
  }
  *out = d;
  *len = n;
  return 0;
}

static int blank(const char *s, const char *e) {
  for (; s < e; s++)
    if (*s != ' ' && *s != '\t' && *s != '\r') return 0;
  return 1;
}

/* ---- reader ---- */

struct jnode {
  const char *name; /* borrowed from the schema */
  uint32_t len;
  int out;          /* output column, -1 if not projected */
  int leaf;         /* a column ends here */
  int nkids, capkids;
  struct jnode *kids;
  int cursor;       /* kid expected next */
};

struct jsonl_reader {
  struct mapfile mf;
  const struct jsonl_options *o;
  const struct schema *schema;
  const char *p, *end, *split_end;
  struct jnode root;
  int nout;
  int corrupt_out; /* output column of the corrupt-record column or -1 */
  struct batch *batch;
  struct arena scratch;
  uint64_t *keep;
  int32_t *rbad; /* per row: 0 ok, 1 bad */
  const char **rstart, **rend;
  const char *bad_reason;
};

static void jnode_free(struct jnode *n) {
  for (int i = 0; i < n->nkids; i++) jnode_free(&n->kids[i]);
  free(n->kids);
}

static struct jnode *jnode_kid(struct jnode *n, const char *name, uint32_t len, int add) {
  for (int i = 0; i < n->nkids; i++)
    if (n->kids[i].len == len && memcmp(n->kids[i].name, name, len) == 0) return &n->kids[i];
  if (!add) return NULL;
  if (n->nkids == n->capkids) {
    int cap = n->capkids ? n->capkids * 2 : 8;
    struct jnode *k = realloc(n->kids, (size_t)cap * sizeof *k);
    if (!k) return NULL;
    n->kids = k;
    n->capkids = cap;
  }
  struct jnode *k = &n->kids[n->nkids++];
  memset(k, 0, sizeof *k);
  k->name = name;
  k->len = len;
  k->out = -1;
  return k;
}

/* Child named (s, len), trying the one after the previous match first. */
static inline struct jnode *lookup(struct jnode *n, const char *s, uint32_t len) {
  int c = n->cursor;
  if (c < n->nkids && n->kids[c].len == len && memcmp(n->kids[c].name, s, len) == 0) {
    n->cursor = c + 1;
    return &n->kids[c];
  }
  for (int i = 0; i < n->nkids; i++)
    if (n->kids[i].len == len && memcmp(n->kids[i].name, s, len) == 0) {
      n->cursor = i + 1;
      return &n->kids[i];
    }
  return NULL;
}

/* Store value [v, ve) (a complete JSON value) into output column k, row i.
 * Returns 0, 1 for a type mismatch, or ERR_NOMEM. */
static int store(struct jsonl_reader *r, int k, uint32_t i, const char *v, const char *ve) {
  struct vector *vec = &r->batch->cols[k];
  const struct jsonl_options *o = r->o;
  char c = *v;
  if (c == 'n') return 0; /* null */
  const char *s = v;
  uint32_t n = (uint32_t)(ve - v);
  int is_str = c == '"';
  if (is_str) {
    int esc = memchr(v + 1, '\\', (size_t)(n - 2)) != NULL;
    s = v + 1;
    n -= 2;
    if (esc) {
      int rc = unescape(v + 1, ve - 1, &r->scratch, &s, &n);
      if (rc == ERR_NOMEM) return rc;
      if (rc) return 1;
    }
  }
  switch (vec->type.id) {
    case TYPE_STRING: {
      int rc = vector_set_str(vec, i, s, n);
      return rc ? ERR_NOMEM : 0;
    }
    case TYPE_BOOLEAN:
      if (c != 't' && c != 'f') return 1;
      vector_u8(vec)[i] = c == 't';
      break;
    case TYPE_BIGINT:
      if (is_str || numparse_i64(s, n, &vector_i64(vec)[i])) return 1;
      break;
    case TYPE_INT:
      if (is_str || numparse_i32(s, n, &vector_i32(vec)[i])) return 1;
      break;
    case TYPE_DOUBLE:
      if (is_str) {
        /* Spark accepts these spellings of special values in strings */
        double x;
        if ((n == 3 && !memcmp(s, "NaN", 3))) x = __builtin_nan("");
        else if ((n == 8 && !memcmp(s, "Infinity", 8)) || (n == 4 && !memcmp(s, "+INF", 4)) ||
                 (n == 3 && !memcmp(s, "INF", 3)) || (n == 9 && !memcmp(s, "+Infinity", 9)))
          x = __builtin_inf();
        else if ((n == 9 && !memcmp(s, "-Infinity", 9)) || (n == 4 && !memcmp(s, "-INF", 4)))
          x = -__builtin_inf();
        else return 1;
        vector_f64(vec)[i] = x;
        break;
      }
      if (c == 't' || c == 'f' || c == '{' || c == '[' || numparse_double(s, n, &vector_f64(vec)[i]))
        return 1;
      break;
    case TYPE_DECIMAL:
      if (c == 't' || c == 'f' || c == '{' || c == '[' ||
          numparse_decimal(s, n, vec->type.precision, vec->type.scale, &vector_i64(vec)[i]))
        return 1;
      break;
    case TYPE_DATE:
      if (!is_str) return 1;
      if (o->has_date_format ? datetime_fmt_parse_date(&o->date_format, s, n, &vector_i32(vec)[i])
                             : datetime_parse_date(s, n, &vector_i32(vec)[i]))
        return 1;
      break;
    case TYPE_TIMESTAMP:
      if (!is_str) return 1;
      if (o->has_timestamp_format
              ? datetime_fmt_parse_timestamp(&o->timestamp_format, s, n, &vector_i64(vec)[i])
              : datetime_parse_timestamp(s, n, &vector_i64(vec)[i]))
        return 1;
      break;
    default: return 1;
  }
  bitmap_set(vec->validity, i);
  return 0;
}

/* Parse the object at p for node, storing projected values of row i.
 * Returns the end of the object, or NULL on a syntax error (*mismatch is
 * set for type mismatches, which do not stop parsing). */
static const char *parse_object(struct jsonl_reader *r, struct jnode *node, const char *p,
                                const char *e, uint32_t i, int depth, int *mismatch, int *nomem) {
  if (depth > JSONL_MAX_DEPTH) return NULL;
  p = ws(p + 1, e);
  node->cursor = 0;
  if (p < e && *p == '}') return p + 1;
  for (;;) {
    p = ws(p, e);
    if (p >= e || *p != '"') return NULL;
    int esc;
    const char *ke = skip_string(p, e, &esc);
    if (!ke) return NULL;
    const char *ks = p + 1;
    uint32_t klen = (uint32_t)(ke - 1 - ks);
    if (esc && unescape(ks, ke - 1, &r->scratch, &ks, &klen)) return NULL;
    p = ws(ke, e);
    if (p >= e || *p != ':') return NULL;
    p = ws(p + 1, e);
    if (p >= e) return NULL;
    struct jnode *kid = lookup(node, ks, klen);
    if (kid && kid->nkids && *p == '{') {
      p = parse_object(r, kid, p, e, i, depth + 1, mismatch, nomem);
      if (!p) return NULL;
    } else {
      const char *ve = skip_value(p, e, depth + 1);
      if (!ve) return NULL;
      if (kid) {
        if (kid->leaf && kid->out >= 0) {
          int rc = store(r, kid->out, i, p, ve);
          if (rc == ERR_NOMEM) *nomem = 1;
          else if (rc) *mismatch = 1;
        }
        /* a struct column met a scalar: its fields are NULL, the record is
         * malformed unless the value is null */
        if (kid->nkids && *p != 'n') *mismatch = 1;
      }
      p = ve;
    }
    p = ws(p, e);
    if (p >= e) return NULL;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}') return p + 1;
    return NULL;
  }
}

static int failfast_at(const struct mapfile *mf, const char *at, const char *what, struct err *e) {
  int64_t line = mapfile_line_of(mf, (size_t)(at - mf->data));
  err_set(e, ERR_PARSE,
          "Malformed records are detected in record parsing. Parse Mode: FAILFAST. To process "
          "malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'. "
          "File %s, line %lld: %s",
          mf->path, (long long)line, what);
  err_set_ename(e, "SparkException");
  return ERR_PARSE;
}

int jsonl_reader_next(struct jsonl_reader *r, struct batch **out, struct err *e) {
  const uint32_t cap = r->batch->capacity;
  for (;;) {
    batch_reset(r->batch);
    arena_reset(&r->scratch);
    for (int k = 0; k < r->nout; k++) {
      struct vector *v = &r->batch->cols[k];
      bitmap_clear_all(v->validity, cap);
      memset(v->data, 0, (size_t)cap * vector_elem_size(v->type.id));
    }
    uint32_t n = 0;
    int any_bad = 0;
    const char *p = r->p, *end = r->end;
    while (n < cap && p < end && p < r->split_end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *le = nl ? nl : end;
      const char *ls = p;
      p = nl ? nl + 1 : end;
      if (blank(ls, le)) continue;
      const char *q = ws(ls, le);
      int mismatch = 0, nomem = 0;
      const char *after = NULL;
      if (*q == '{') after = parse_object(r, &r->root, q, le, n, 0, &mismatch, &nomem);
      if (nomem) return err_set(e, ERR_NOMEM, "out of memory while reading %s", r->mf.path);
      int syntax = !after || ws(after, le) != le;
      if (syntax) {
        /* bad JSON: every field NULL, whatever was stored so far */
        for (int k = 0; k < r->nout; k++) vector_set_null(&r->batch->cols[k], n);
      }
      int bad = syntax || mismatch;
      if (bad) {
        if (r->o->mode == READOPT_FAILFAST) {
          r->p = p;
          return failfast_at(&r->mf, ls,
                             syntax ? "malformed JSON record" : "a value does not match its column type",
                             e);
        }
        any_bad = 1;
      }
      const char *te = le;
      if (te > ls && te[-1] == '\r') te--;
      r->rbad[n] = bad;
      r->rstart[n] = ls;
      r->rend[n] = te;
      n++;
    }
    r->p = p;
    if (n == 0) return 0;
    batch_set_rows(r->batch, n);
    if (any_bad && r->corrupt_out >= 0 && r->o->mode == READOPT_PERMISSIVE) {
      struct vector *v = &r->batch->cols[r->corrupt_out];
      for (uint32_t i = 0; i < n; i++)
        if (r->rbad[i] && vector_set_str(v, i, r->rstart[i], (size_t)(r->rend[i] - r->rstart[i])))
          return err_set(e, ERR_NOMEM, "out of memory while reading %s", r->mf.path);
    }
    if (any_bad && r->o->mode == READOPT_DROPMALFORMED) {
      bitmap_clear_all(r->keep, n);
      for (uint32_t i = 0; i < n; i++)
        if (!r->rbad[i]) bitmap_set(r->keep, i);
      batch_compact(r->batch, r->keep);
      if (r->batch->nrows == 0) continue;
    }
    *out = r->batch;
    return 1;
  }
}

void jsonl_reader_close(struct jsonl_reader *r) {
  if (!r) return;
  mapfile_close(&r->mf);
  jnode_free(&r->root);
  batch_free(r->batch);
  arena_fini(&r->scratch);
  free(r->keep);
  free(r->rbad);
  free(r->rstart);
  free(r->rend);
  free(r);
}

int jsonl_reader_open(struct jsonl_reader **out, const char *path, int64_t start, int64_t end,
                      const struct schema *schema, const int *proj, int nproj,
                      const struct jsonl_options *o, struct err *e) {
  *out = NULL;
  if (nproj < 0 || nproj > SCHEMA_MAX_COLS) return err_set(e, ERR_INVAL, "too many columns");
  struct jsonl_reader *r = calloc(1, sizeof *r);
  if (!r) return err_set(e, ERR_NOMEM, "out of memory");
  arena_init(&r->scratch, ARENA_UNLIMITED);
  r->o = o;
  r->schema = schema;
  r->corrupt_out = -1;
  r->root.out = -1;
  int rc = mapfile_open(&r->mf, path, e);
  if (rc) goto fail;
  struct type *types = calloc((size_t)(nproj ? nproj : 1), sizeof *types);
  if (!types) {
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int k = 0; k < nproj; k++) {
    int sc = proj[k];
    if (sc < 0 || sc >= schema->ncols) {
      free(types);
      rc = err_set(e, ERR_INVAL, "projected column %d out of range", sc);
      goto fail;
    }
    const struct schema_col *c = &schema->cols[sc];
    types[k] = c->type;
    if (vector_elem_size(c->type.id) == 0) {
      free(types);
      rc = err_set(e, ERR_UNSUPPORTED, "column %s has a type JSON cannot read", c->name);
      goto fail;
    }
    if (c->type.id == TYPE_STRING && strcmp(c->name, o->corrupt_column) == 0 && c->npath <= 1) {
      r->corrupt_out = k;
      continue;
    }
    /* walk/extend the key tree along the column's path */
    struct jnode *node = &r->root;
    int np = c->npath > 1 ? c->npath : 1;
    for (int d = 0; d < np && node; d++) {
      const char *seg = c->npath > 1 ? c->path[d] : c->name;
      node = jnode_kid(node, seg, (uint32_t)strlen(seg), 1);
    }
    if (!node) {
      free(types);
      rc = err_set(e, ERR_NOMEM, "out of memory");
      goto fail;
    }
    node->leaf = 1;
    node->out = k; /* duplicates in proj: the last one wins, others stay NULL */
  }
  r->nout = nproj;
  r->batch = batch_new(types, nproj, BATCH_DEFAULT_ROWS, ARENA_UNLIMITED);
  free(types);
  r->keep = malloc(bitmap_words(BATCH_DEFAULT_ROWS) * sizeof *r->keep);
  r->rbad = malloc(BATCH_DEFAULT_ROWS * sizeof *r->rbad);
  r->rstart = malloc(BATCH_DEFAULT_ROWS * sizeof *r->rstart);
  r->rend = malloc(BATCH_DEFAULT_ROWS * sizeof *r->rend);
  if (!r->batch || !r->keep || !r->rbad || !r->rstart || !r->rend) {
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto fail;
  }
  const char *data = r->mf.data;
  size_t size = r->mf.size;
  r->end = data + size;
  if (start < 0) start = 0;
  if (end < 0 || (uint64_t)end > size) end = (int64_t)size;
  if ((uint64_t)start > size) start = (int64_t)size;
  r->split_end = data + end;
  if (start == 0) {
    r->p = data;
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) r->p += 3;
    /* the BOM belongs to the record at offset 0, which this split owns */
    if (r->p > data && r->split_end <= r->p) r->split_end = r->p + 1;
  } else {
    const char *nl = memchr(data + start - 1, '\n', size - (size_t)start + 1);
    r->p = nl ? nl + 1 : r->end;
  }
  if (r->p < r->split_end)
    mapfile_advise(&r->mf, (size_t)(r->p - data), (size_t)(r->split_end - r->p));
  *out = r;
  return 0;
fail:
  jsonl_reader_close(r);
  return rc;
}

/* ---- inference ---- */

enum jkind { JK_NULL, JK_BIGINT, JK_DOUBLE, JK_BOOLEAN, JK_STRING, JK_STRUCT, JK_ARRAY };

struct inode {
  char *name; /* owned */
  enum jkind kind;
  int nkids, capkids;
  struct inode *kids;
};

static void inode_free(struct inode *n) {
  for (int i = 0; i < n->nkids; i++) inode_free(&n->kids[i]);
  free(n->kids);
  free(n->name);
  n->kids = NULL;
  n->nkids = n->capkids = 0;
}

static enum jkind merge_kind(enum jkind a, enum jkind b) {
  if (a == b) return a;
  if (a == JK_NULL) return b;
  if (b == JK_NULL) return a;
  if ((a == JK_BIGINT && b == JK_DOUBLE) || (a == JK_DOUBLE && b == JK_BIGINT)) return JK_DOUBLE;
  return JK_STRING;
}

static struct inode *inode_kid(struct inode *n, const char *name, uint32_t len, int *nomem) {
  for (int i = 0; i < n->nkids; i++)
    if (strlen(n->kids[i].name) == len && memcmp(n->kids[i].name, name, len) == 0)
      return &n->kids[i];
  if (n->nkids >= SCHEMA_MAX_COLS) {
    *nomem = 1;
    return NULL;
  }
  if (n->nkids == n->capkids) {
    int cap = n->capkids ? n->capkids * 2 : 8;
    struct inode *k = realloc(n->kids, (size_t)cap * sizeof *k);
    if (!k) {
      *nomem = 1;
      return NULL;
    }
    n->kids = k;
    n->capkids = cap;
  }
  struct inode *k = &n->kids[n->nkids];
  memset(k, 0, sizeof *k);
  k->name = strndup(name, len);
  if (!k->name) {
    *nomem = 1;
    return NULL;
  }
  n->nkids++;
  return k;
}

/* Merge the types of the object at p into node (kind STRUCT). Returns the
 * end of the object or NULL on a syntax error / *nomem. */
static const char *infer_object(struct inode *node, const char *p, const char *e, int depth,
                                struct arena *a, int *nomem, int prim_str) {
  if (depth > JSONL_MAX_DEPTH) return NULL;
  p = ws(p + 1, e);
  if (p < e && *p == '}') return p + 1;
  for (;;) {
    p = ws(p, e);
    if (p >= e || *p != '"') return NULL;
    int esc;
    const char *ke = skip_string(p, e, &esc);
    if (!ke) return NULL;
    const char *ks = p + 1;
    uint32_t klen = (uint32_t)(ke - 1 - ks);
    if (esc && unescape(ks, ke - 1, a, &ks, &klen)) return NULL;
    p = ws(ke, e);
    if (p >= e || *p != ':') return NULL;
    p = ws(p + 1, e);
    if (p >= e) return NULL;
    struct inode *kid = inode_kid(node, ks, klen, nomem);
    if (!kid) return NULL;
    if (*p == '{' && (kid->kind == JK_NULL || kid->kind == JK_STRUCT)) {
      kid->kind = JK_STRUCT;
      p = infer_object(kid, p, e, depth + 1, a, nomem, prim_str);
      if (!p) return NULL;
    } else {
      const char *ve = skip_value(p, e, depth + 1);
      if (!ve) return NULL;
      enum jkind k;
      int fl;
      switch (*p) {
        case '"': k = JK_STRING; break;
        case 'n': k = JK_NULL; break;
        case 't':
        case 'f': k = prim_str ? JK_STRING : JK_BOOLEAN; break;
        case '{': k = JK_STRUCT; break;
        case '[': k = JK_ARRAY; break;
        default: {
          int64_t x;
          skip_number(p, ve, &fl);
          k = prim_str ? JK_STRING
                       : (!fl && numparse_i64(p, (size_t)(ve - p), &x) == 0) ? JK_BIGINT : JK_DOUBLE;
        }
      }
      enum jkind m = merge_kind(kid->kind, k);
      if (m != JK_STRUCT && kid->nkids) {
        for (int i = 0; i < kid->nkids; i++) inode_free(&kid->kids[i]);
        free(kid->kids);
        kid->kids = NULL;
        kid->nkids = kid->capkids = 0;
      }
      kid->kind = m;
      p = ve;
    }
    p = ws(p, e);
    if (p >= e) return NULL;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}') return p + 1;
    return NULL;
  }
}

static int cmp_inode(const void *a, const void *b) {
  return strcmp(((const struct inode *)a)->name, ((const struct inode *)b)->name);
}

static int flatten(struct inode *n, const char **path, int depth, struct schema *out) {
  if (n->nkids > 1) qsort(n->kids, (size_t)n->nkids, sizeof *n->kids, cmp_inode);
  for (int i = 0; i < n->nkids; i++) {
    struct inode *k = &n->kids[i];
    path[depth] = k->name;
    if (k->kind == JK_STRUCT) {
      if (depth + 1 >= JSONL_MAX_DEPTH) continue;
      int rc = flatten(k, path, depth + 1, out);
      if (rc) return rc;
      continue;
    }
    struct type t = {TYPE_STRING, 0, 0};
    if (k->kind == JK_BIGINT) t.id = TYPE_BIGINT;
    else if (k->kind == JK_DOUBLE) t.id = TYPE_DOUBLE;
    else if (k->kind == JK_BOOLEAN) t.id = TYPE_BOOLEAN;
    int rc = schema_add_path(out, path, depth + 1, t, 1);
    if (rc < 0) return rc;
  }
  return 0;
}

int jsonl_infer_schema(const struct path_list *files, const struct jsonl_options *o,
                       struct schema *out, struct err *e) {
  schema_init(out);
  struct inode root;
  memset(&root, 0, sizeof root);
  root.kind = JK_STRUCT;
  struct arena a;
  arena_init(&a, ARENA_UNLIMITED);
  int rc = 0, corrupt = 0;
  for (int f = 0; f < files->n && rc == 0; f++) {
    struct mapfile mf;
    rc = mapfile_open(&mf, files->files[f].path, e);
    if (rc) {
      mapfile_close(&mf);
      break;
    }
    const char *p = mf.data, *end = mf.data + mf.size;
    if (mf.size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p && p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *le = nl ? nl : end;
      const char *ls = p;
      p = nl ? nl + 1 : end;
      if (blank(ls, le)) continue;
      arena_reset(&a);
      const char *q = ws(ls, le);
      int nomem = 0;
      const char *after = *q == '{' ? infer_object(&root, q, le, 0, &a, &nomem, o->primitives_as_string) : NULL;
      if (nomem) {
        rc = err_set(e, ERR_NOMEM, "out of memory (or more than %d fields) inferring %s",
                     SCHEMA_MAX_COLS, mf.path);
        break;
      }
      if (!after || ws(after, le) != le) {
        if (o->mode == READOPT_FAILFAST) {
          rc = failfast_at(&mf, ls, "malformed JSON record", e);
          break;
        }
        if (o->mode == READOPT_PERMISSIVE) corrupt = 1;
      }
    }
    mapfile_close(&mf);
  }
  if (rc == 0) {
    const char *path[JSONL_MAX_DEPTH + 1];
    if (corrupt) {
      /* inserted into the name-sorted list like any other field */
      int nomem = 0;
      struct inode *k = inode_kid(&root, o->corrupt_column, (uint32_t)strlen(o->corrupt_column), &nomem);
      if (!k) rc = err_set(e, ERR_NOMEM, "out of memory");
      else k->kind = JK_STRING;
    }
    if (rc == 0 && flatten(&root, path, 0, out) != 0) rc = err_set(e, ERR_NOMEM, "out of memory");
  }
  inode_free(&root);
  arena_fini(&a);
  if (rc) schema_fini(out);
  return rc;
}
