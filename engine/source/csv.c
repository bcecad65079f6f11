/* csv.c: CSV options, schema inference and the batch reader (see csv.h).
 *
 * The reader works in two passes per batch of up to BATCH_DEFAULT_ROWS
 * records, both over a memory-mapped file:
 *   1. tokenize: find record and field boundaries. Separator and newline
 *      positions come from 64-byte blocks turned into bitmasks (SSE2 or
 *      SWAR), so an unquoted field costs one count-trailing-zeros. Only the
 *      fields of projected columns are recorded, as (pointer, length) pairs
 *      in column-major arrays; other fields are skipped unconverted.
 *   2. convert: one tight type-specialised loop per projected column turns
 *      the recorded fields into vector values.
 * Quoted fields take a byte-at-a-time slow path; their text is unescaped
 * into a scratch arena only when the column is converted. */
#include "engine/source/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/source/mapfile.h"
#include "engine/vec/numparse.h"

/* Field length word: low 30 bits length, two flags. */
#define F_QUOTED (1u << 31)
#define F_MISSING (1u << 30)
#define F_LENMASK ((1u << 30) - 1)

/* ---- options ---- */

static int dup_opt(char **dst, const struct readopt_kv *kv, int n, const char *key,
                   const char *def) {
  const char *v = readopt_get(kv, n, key);
  free(*dst);
  *dst = strdup(v ? v : def);
  return *dst ? 0 : ERR_NOMEM;
}

int csv_options_parse(struct csv_options *o, const struct readopt_kv *kv, int n, struct err *e) {
  memset(o, 0, sizeof *o);
  o->prefers_date = 1;
  o->sep = ',';
  o->quote = '"';
  o->escape = '\\';
  o->mode = READOPT_PERMISSIVE;
  int rc = 0;
  if (dup_opt(&o->null_value, kv, n, "nullValue", "") ||
      dup_opt(&o->empty_value, kv, n, "emptyValue", "") ||
      dup_opt(&o->nan_value, kv, n, "nanValue", "NaN") ||
      dup_opt(&o->positive_inf, kv, n, "positiveInf", "Inf") ||
      dup_opt(&o->negative_inf, kv, n, "negativeInf", "-Inf") ||
      dup_opt(&o->corrupt_column, kv, n, "columnNameOfCorruptRecord", "_corrupt_record"))
    return err_set(e, ERR_NOMEM, "out of memory");
  if ((rc = readopt_bool(kv, n, "header", &o->header, e)) ||
      (rc = readopt_bool(kv, n, "inferSchema", &o->infer_schema, e)) ||
      (rc = readopt_bool(kv, n, "prefersDate", &o->prefers_date, e)) ||
      (rc = readopt_bool(kv, n, "multiLine", &o->multi_line, e)) ||
      (rc = readopt_bool(kv, n, "ignoreLeadingWhiteSpace", &o->ignore_leading_ws, e)) ||
      (rc = readopt_bool(kv, n, "ignoreTrailingWhiteSpace", &o->ignore_trailing_ws, e)) ||
      (rc = readopt_mode(kv, n, &o->mode, e)))
    return rc;
  const char *v;
  /* "sep" wins over "delimiter" when both are given, as in Spark. */
  if ((v = readopt_get(kv, n, "sep")) || (v = readopt_get(kv, n, "delimiter")))
    if ((rc = readopt_char("sep", v, 0, &o->sep, e))) return rc;
  if ((v = readopt_get(kv, n, "quote")) && (rc = readopt_char("quote", v, 1, &o->quote, e)))
    return rc;
  if ((v = readopt_get(kv, n, "escape")) && (rc = readopt_char("escape", v, 1, &o->escape, e)))
    return rc;
  if ((v = readopt_get(kv, n, "comment")) && (rc = readopt_char("comment", v, 1, &o->comment, e)))
    return rc;
  if (o->sep == '\n' || o->sep == '\r' || o->sep == '\0')
    return err_set(e, ERR_INVAL, "option 'sep' cannot be a line break or NUL");
  if (o->quote && o->quote == o->sep)
    return err_set(e, ERR_INVAL, "options 'sep' and 'quote' must differ");
  if ((v = readopt_get(kv, n, "encoding")) || (v = readopt_get(kv, n, "charset"))) {
    if (strcasecmp(v, "UTF-8") && strcasecmp(v, "UTF8") && strcasecmp(v, "US-ASCII"))
      return err_set(e, ERR_UNSUPPORTED, "CSV encoding '%s' is not supported (only UTF-8)", v);
  }
  if ((v = readopt_get(kv, n, "dateFormat"))) {
    if ((rc = datetime_fmt_compile_parser(&o->date_format, v, e))) return rc;
    o->has_date_format = 1;
    o->date_format_iso = strcmp(v, "yyyy-MM-dd") == 0;
  } else {
    datetime_fmt_compile(&o->date_format, "yyyy-MM-dd", NULL);
    o->date_format_iso = 1;
  }
  if ((v = readopt_get(kv, n, "timestampFormat"))) {
    if ((rc = datetime_fmt_compile_parser(&o->timestamp_format, v, e))) return rc;
    o->has_timestamp_format = 1;
  }
  return 0;
}

void csv_options_fini(struct csv_options *o) {
  free(o->null_value);
  free(o->empty_value);
  free(o->nan_value);
  free(o->positive_inf);
  free(o->negative_inf);
  free(o->corrupt_column);
  memset(o, 0, sizeof *o);
}

int csv_splittable(const struct csv_options *o) { return !o->multi_line; }

/* ---- reader ---- */

struct csv_reader {
  struct mapfile mf;
  const struct csv_options *o;
  const struct schema *schema;
  const char *p;         /* next record */
  const char *end;       /* end of file data */
  const char *split_end; /* records must start before this */
  char sep, quote, escape;
  int multi_line;
  /* separator/newline bitmask of the 64-byte block at blk */
  uintptr_t blk;
  uint64_t mask;
  int ndata;          /* data columns (schema minus the corrupt column) */
  int *data_col;      /* data index -> schema index */
  int *tok_slot;      /* data index -> token slot or -1 */
  int nslots;
  int *slot_data;     /* token slot -> data index */
  int nout;
  int *out_slot;      /* output column -> token slot, -1 for the corrupt column */
  uint32_t cap;
  const char **fptr;  /* [slot * cap + row] */
  uint32_t *flen;
  const char **rstart, **rend;
  int32_t *rtok;
  int32_t *rbad;      /* 0, or 1 + output column that failed, or -1 for a count mismatch */
  uint64_t *keep;
  struct batch *batch;
  struct arena scratch; /* unescaped quoted fields */
  int64_t rows;
  struct buf tmp;
};

#if defined(__SSE2__)
static inline uint64_t block_mask(const char *p, char sep) {
  __m128i vs = _mm_set1_epi8(sep), vn = _mm_set1_epi8('\n');
  uint64_t m = 0;
  for (int i = 0; i < 4; i++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
    __m128i t = _mm_or_si128(_mm_cmpeq_epi8(x, vs), _mm_cmpeq_epi8(x, vn));
    m |= (uint64_t)(uint16_t)_mm_movemask_epi8(t) << (16 * i);
  }
  return m;
}
#else
static inline uint64_t swar_eq(uint64_t x, uint64_t pat) {
  uint64_t y = x ^ pat;
  return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}
static inline uint64_t block_mask(const char *p, char sep) {
  uint64_t m = 0, ps = 0x0101010101010101ULL * (unsigned char)sep,
           pn = 0x0101010101010101ULL * (unsigned char)'\n';
  for (int i = 0; i < 8; i++) {
    uint64_t w;
    memcpy(&w, p + 8 * i, 8);
    /* exact per-byte test: the SWAR zero test may flag bytes above a match */
    uint64_t hit = swar_eq(w, ps) | swar_eq(w, pn);
    while (hit) {
      int b = __builtin_ctzll(hit) >> 3;
      char c = p[8 * i + b];
      if (c == sep || c == '\n') m |= (uint64_t)1 << (8 * i + b);
      hit &= hit - 1;
    }
  }
  return m;
}
#endif

/* Position of the next separator or '\n' at or after pos, or r->end. */
static inline const char *scan_next(struct csv_reader *r, const char *pos) {
  for (;;) {
    uintptr_t off = (uintptr_t)pos - r->blk;
    if (off < 64) {
      uint64_t m = r->mask & (~(uint64_t)0 << off);
      if (m) return (const char *)(r->blk + (uintptr_t)__builtin_ctzll(m));
      pos = (const char *)(r->blk + 64);
    }
    if (pos >= r->end) return r->end;
    r->blk = (uintptr_t)pos;
    size_t left = (size_t)(r->end - pos);
    if (left >= 64) {
      r->mask = block_mask(pos, r->sep);
    } else {
      char tail[64];
      memset(tail, 0, sizeof tail);
      memcpy(tail, pos, left);
      r->mask = block_mask(tail, r->sep) & (((uint64_t)1 << left) - 1);
    }
  }
}

/* Scan a quoted field starting at q (*q == quote). Returns the delimiter
 * position (separator, '\n' or end) and sets *fe to the end of the raw
 * field text. */
static const char *scan_quoted(struct csv_reader *r, const char *q) {
  const char *end = r->end;
  char quote = r->quote, esc = r->escape;
  q++;
  for (;;) {
    if (q >= end) return end;
    char c = *q;
    if (c == esc && esc != quote && q + 1 < end && (q[1] == quote || q[1] == esc)) {
      q += 2;
      continue;
    }
    if (c == quote) {
      if (q + 1 < end && q[1] == quote) {
        q += 2;
        continue;
      }
      q++;
      break;
    }
    if (c == '\n' && !r->multi_line) return q; /* unterminated: the line ends the field */
    q++;
  }
  return scan_next(r, q);
}

/* End of the record starting at p (position of its '\n' or end), honouring
 * quotes when multi_line; used to skip headers. */
static const char *skip_record(struct csv_reader *r, const char *p) {
  for (;;) {
    if (p >= r->end) return r->end;
    const char *d;
    if (r->quote && *p == r->quote) d = scan_quoted(r, p);
    else d = scan_next(r, p);
    if (d >= r->end || *d == '\n') return d;
    p = d + 1;
  }
}

static int blank_record(const char *s, const char *e) {
  for (; s < e; s++)
    if ((unsigned char)*s > ' ') return 0;
  return 1;
}

/* Pass 1: record and field boundaries of up to cap records. */
static uint32_t tokenize(struct csv_reader *r) {
  const char *p = r->p, *end = r->end;
  const uint32_t cap = r->cap;
  const int ndata = r->ndata;
  const int *tok_slot = r->tok_slot;
  const char **fptr = r->fptr;
  uint32_t *flen = r->flen;
  const char quote = r->quote, comment = r->o->comment;
  uint32_t n = 0;
  while (n < cap && p < end && p < r->split_end) {
    const char *rs = p;
    if (*p == '\n') {
      p++;
      continue;
    }
    if (comment && *p == comment) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      p = nl ? nl + 1 : end;
      continue;
    }
    int f = 0, bad = 0;
    const char *re;
    for (;;) {
      const char *fs = p, *d;
      uint32_t flag = 0;
      if (quote && *p == quote && p < end) {
        d = scan_quoted(r, p);
        flag = F_QUOTED;
      } else {
        d = scan_next(r, p);
      }
      int last = d >= end || *d == '\n';
      const char *fe = d;
      if (last && fe > fs && fe[-1] == '\r') fe--;
      if (f < ndata) {
        int s = tok_slot[f];
        if (s >= 0) {
          size_t len = (size_t)(fe - fs);
          if (len > F_LENMASK) {
            bad = -1;
            len = 0;
          }
          fptr[(size_t)s * cap + n] = fs;
          flen[(size_t)s * cap + n] = (uint32_t)len | flag;
        }
      }
      f++;
      if (last) {
        re = fe;
        p = d < end ? d + 1 : end;
        break;
      }
      p = d + 1;
      if (p >= end) {
        /* trailing separator at end of file: one more empty field */
        if (f < ndata && tok_slot[f] >= 0) {
          fptr[(size_t)tok_slot[f] * cap + n] = p;
          flen[(size_t)tok_slot[f] * cap + n] = 0;
        }
        f++;
        re = p;
        break;
      }
    }
    if (f == 1 && blank_record(rs, re)) continue;
    if (f != ndata) {
      bad = -1;
      for (int k = f; k < ndata; k++)
        if (tok_slot[k] >= 0) flen[(size_t)tok_slot[k] * cap + n] = F_MISSING;
    }
    r->rstart[n] = rs;
    r->rend[n] = re;
    r->rtok[n] = f;
    r->rbad[n] = bad;
    n++;
  }
  r->p = p;
  return n;
}

/* Unescape a quoted field into scratch. */
static int unquote(struct csv_reader *r, const char *s, uint32_t len, const char **out,
                   uint32_t *olen) {
  char *d = arena_alloc(&r->scratch, len ? len : 1);
  if (!d) return ERR_NOMEM;
  const char *p = s + 1, *e = s + len;
  char quote = r->quote, esc = r->escape;
  uint32_t n = 0;
  while (p < e) {
    char c = *p;
    if (c == esc && esc != quote && p + 1 < e && (p[1] == quote || p[1] == esc)) {
      d[n++] = p[1];
      p += 2;
      continue;
    }
    if (c == quote) {
      if (p + 1 < e && p[1] == quote) {
        d[n++] = quote;
        p += 2;
        continue;
      }
      p++;
      /* text after the closing quote is kept as is */
      while (p < e) d[n++] = *p++;
      break;
    }
    d[n++] = c;
    p++;
  }
  *out = d;
  *olen = n;
  return 0;
}

/* Slow-path resolution of a field to its text: returns 1 with (*q, *l) set,
 * 0 for NULL, or a negative error. */
static int resolve(struct csv_reader *r, const char **q, uint32_t *l) {
  const struct csv_options *o = r->o;
  uint32_t raw = *l;
  if (raw & F_MISSING) return 0;
  uint32_t len = raw & F_LENMASK;
  const char *s = *q;
  if (raw & F_QUOTED) {
    if (o->ignore_leading_ws || o->ignore_trailing_ws) {
      /* whitespace after the closing quote belongs to the field only when
       * not ignored */
      while (o->ignore_trailing_ws && len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    }
    int rc = unquote(r, s, len, &s, &len);
    if (rc) return rc;
    if (len == 0) {
      s = o->empty_value;
      len = (uint32_t)strlen(o->empty_value);
    }
  } else {
    if (o->ignore_leading_ws)
      while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
      }
    if (o->ignore_trailing_ws)
      while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0) return 0;
  }
  size_t nl = strlen(o->null_value);
  if (len == nl && memcmp(s, o->null_value, nl) == 0) return 0;
  *q = s;
  *l = len;
  return 1;
}

static int parse_double_opt(const struct csv_options *o, const char *s, uint32_t n, double *x) {
  if (numparse_double(s, n, x) == 0) return 0;
  if (n == strlen(o->nan_value) && memcmp(s, o->nan_value, n) == 0) {
    *x = __builtin_nan("");
    return 0;
  }
  if (n == strlen(o->positive_inf) && memcmp(s, o->positive_inf, n) == 0) {
    *x = __builtin_inf();
    return 0;
  }
  if (n == strlen(o->negative_inf) && memcmp(s, o->negative_inf, n) == 0) {
    *x = -__builtin_inf();
    return 0;
  }
  return -1;
}

static int parse_date_opt(const struct csv_options *o, const char *s, uint32_t n, int32_t *d) {
  if (o->date_format_iso && datetime_parse_date_iso(s, n, d) == 0) return 0;
  if (o->has_date_format) {
    if (o->date_format_iso) return -1;
    return datetime_fmt_parse_date(&o->date_format, s, n, d);
  }
  /* no user format: Spark falls back to its lenient cast grammar */
  return datetime_parse_date(s, n, d);
}

static int parse_ts_opt(const struct csv_options *o, const char *s, uint32_t n, int64_t *t) {
  if (o->has_timestamp_format) return datetime_fmt_parse_timestamp(&o->timestamp_format, s, n, t);
  return datetime_parse_timestamp(s, n, t);
}

/* Convert one field of a non-string type; 0 ok, -1 bad. */
static int convert_value(const struct csv_options *o, struct vector *v, uint32_t i, const char *s,
                         uint32_t n) {
  switch (v->type.id) {
    case TYPE_BOOLEAN: {
      int b;
      if (numparse_bool(s, n, &b)) return -1;
      vector_u8(v)[i] = (uint8_t)b;
      return 0;
    }
    case TYPE_INT: return numparse_i32(s, n, &vector_i32(v)[i]);
    case TYPE_BIGINT: return numparse_i64(s, n, &vector_i64(v)[i]);
    case TYPE_DOUBLE: return parse_double_opt(o, s, n, &vector_f64(v)[i]);
    case TYPE_DECIMAL:
      return numparse_decimal(s, n, v->type.precision, v->type.scale, &vector_i64(v)[i]);
    case TYPE_DATE: return parse_date_opt(o, s, n, &vector_i32(v)[i]);
    case TYPE_TIMESTAMP: return parse_ts_opt(o, s, n, &vector_i64(v)[i]);
    default: return -1;
  }
}

/* Pass 2 for one output column. Type-specialised fast loops handle the
 * common case (unquoted, non-empty, default nullValue); everything else
 * goes through resolve(). */
static int convert_column(struct csv_reader *r, int k, uint32_t n) {
  struct vector *v = &r->batch->cols[k];
  int slot = r->out_slot[k];
  const char **fp = r->fptr + (size_t)slot * r->cap;
  const uint32_t *fl = r->flen + (size_t)slot * r->cap;
  const struct csv_options *o = r->o;
  const int simple = o->null_value[0] == '\0' && !o->ignore_leading_ws && !o->ignore_trailing_ws;
  uint64_t *valid = v->validity;
  bitmap_clear_all(valid, n);
  int32_t *bad = r->rbad;
  const int32_t badmark = 1 + k;

#define SLOW_PATH(STORE_STR)                                   \
  do {                                                         \
    const char *q_ = fp[i];                                    \
    uint32_t l_ = fl[i];                                       \
    int rr_ = resolve(r, &q_, &l_);                            \
    if (rr_ < 0) return rr_;                                   \
    if (rr_ == 0) break;                                       \
    STORE_STR;                                                 \
  } while (0)

  switch (v->type.id) {
    case TYPE_STRING: {
      struct sv *out = vector_sv(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t l = fl[i];
        if (simple && l && !(l & (F_QUOTED | F_MISSING))) {
          char *d = arena_alloc(&r->batch->arena, l);
          if (!d) return ERR_NOMEM;
          memcpy(d, fp[i], l);
          out[i] = sv_make(d, l);
          bitmap_set(valid, i);
          continue;
        }
        memset(&out[i], 0, sizeof out[i]);
        SLOW_PATH({
          int rc_ = vector_set_str(v, i, q_, l_);
          if (rc_) return rc_;
        });
      }
      return 0;
    }
    case TYPE_BIGINT: {
      int64_t *out = vector_i64(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t l = fl[i];
        out[i] = 0;
        if (simple && l && !(l & (F_QUOTED | F_MISSING))) {
          if (numparse_i64(fp[i], l, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
          continue;
        }
        SLOW_PATH({
          if (numparse_i64(q_, l_, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
        });
      }
      return 0;
    }
    case TYPE_INT: {
      int32_t *out = vector_i32(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t l = fl[i];
        out[i] = 0;
        if (simple && l && !(l & (F_QUOTED | F_MISSING))) {
          if (numparse_i32(fp[i], l, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
          continue;
        }
        SLOW_PATH({
          if (numparse_i32(q_, l_, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
        });
      }
      return 0;
    }
    case TYPE_DOUBLE: {
      double *out = vector_f64(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t l = fl[i];
        out[i] = 0;
        if (simple && l && !(l & (F_QUOTED | F_MISSING))) {
          if (parse_double_opt(o, fp[i], l, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
          continue;
        }
        SLOW_PATH({
          if (parse_double_opt(o, q_, l_, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
        });
      }
      return 0;
    }
    case TYPE_DATE: {
      int32_t *out = vector_i32(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t l = fl[i];
        out[i] = 0;
        if (simple && l == 10 && o->date_format_iso) {
          if (datetime_parse_date_iso(fp[i], 10, &out[i]) == 0) {
            bitmap_set(valid, i);
            continue;
          }
        }
        SLOW_PATH({
          if (parse_date_opt(o, q_, l_, &out[i]) == 0) bitmap_set(valid, i);
          else if (!bad[i]) bad[i] = badmark;
        });
      }
      return 0;
    }
    default: {
      size_t es = vector_elem_size(v->type.id);
      for (uint32_t i = 0; i < n; i++) {
        memset((char *)v->data + (size_t)i * es, 0, es);
        SLOW_PATH({
          if (convert_value(o, v, i, q_, l_) == 0) bitmap_set(valid, i);
          else {
            memset((char *)v->data + (size_t)i * es, 0, es);
            if (!bad[i]) bad[i] = badmark;
          }
        });
      }
      return 0;
    }
  }
#undef SLOW_PATH
}

static int failfast(struct csv_reader *r, uint32_t row, struct err *e) {
  int64_t line = mapfile_line_of(&r->mf, (size_t)(r->rstart[row] - r->mf.data));
  char reason[512];
  if (r->rbad[row] < 0) {
    if (r->rtok[row] != r->ndata)
      snprintf(reason, sizeof reason, "expected %d fields, found %d", r->ndata, r->rtok[row]);
    else
      snprintf(reason, sizeof reason, "a field is longer than %u bytes", F_LENMASK);
  } else {
    int k = r->rbad[row] - 1;
    int slot = r->out_slot[k];
    int sc = r->data_col[r->slot_data[slot]];
    const char *q = r->fptr[(size_t)slot * r->cap + row];
    uint32_t l = r->flen[(size_t)slot * r->cap + row];
    char tn[32];
    if (resolve(r, &q, &l) != 1) {
      q = "";
      l = 0;
    }
    snprintf(reason, sizeof reason, "cannot parse '%.*s' as %s for column %s",
             (int)(l > 100 ? 100 : l), q, schema_type_sql(r->schema->cols[sc].type, tn),
             r->schema->cols[sc].name);
  }
  err_set(e, ERR_PARSE,
          "Malformed records are detected in record parsing. Parse Mode: FAILFAST. To process "
          "malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'. "
          "File %s, line %lld: %s",
          r->mf.path, (long long)line, reason);
  err_set_ename(e, "SparkException");
  return ERR_PARSE;
}

int csv_reader_next(struct csv_reader *r, struct batch **out, struct err *e) {
  for (;;) {
    batch_reset(r->batch);
    arena_reset(&r->scratch);
    uint32_t n = tokenize(r);
    if (n == 0) return 0;
    for (int k = 0; k < r->nout; k++) {
      if (r->out_slot[k] < 0) continue;
      int rc = convert_column(r, k, n);
      if (rc) return err_set(e, rc, "out of memory while reading %s", r->mf.path);
    }
    batch_set_rows(r->batch, n);
    uint32_t nbad = 0;
    for (uint32_t i = 0; i < n; i++) nbad += r->rbad[i] != 0;
    if (nbad) {
      if (r->o->mode == READOPT_FAILFAST) {
        for (uint32_t i = 0; i < n; i++)
          if (r->rbad[i]) return failfast(r, i, e);
      }
      if (r->o->mode == READOPT_DROPMALFORMED) {
        bitmap_clear_all(r->keep, n);
        for (uint32_t i = 0; i < n; i++)
          if (!r->rbad[i]) bitmap_set(r->keep, i);
        batch_compact(r->batch, r->keep);
      }
    }
    for (int k = 0; k < r->nout; k++) {
      if (r->out_slot[k] >= 0) continue;
      /* the corrupt-record column: raw text of bad records only */
      struct vector *v = &r->batch->cols[k];
      bitmap_clear_all(v->validity, n);
      memset(v->data, 0, (size_t)n * sizeof(struct sv));
      if (r->o->mode != READOPT_PERMISSIVE) continue;
      for (uint32_t i = 0; i < n && nbad; i++) {
        if (!r->rbad[i]) continue;
        int rc = vector_set_str(v, i, r->rstart[i], (size_t)(r->rend[i] - r->rstart[i]));
        if (rc) return err_set(e, rc, "out of memory while reading %s", r->mf.path);
      }
    }
    if (r->batch->nrows == 0) continue;
    r->rows += r->batch->nrows;
    *out = r->batch;
    return 1;
  }
}

void csv_reader_close(struct csv_reader *r) {
  if (!r) return;
  mapfile_close(&r->mf);
  free(r->data_col);
  free(r->tok_slot);
  free(r->slot_data);
  free(r->out_slot);
  free(r->fptr);
  free(r->flen);
  free(r->rstart);
  free(r->rend);
  free(r->rtok);
  free(r->rbad);
  free(r->keep);
  batch_free(r->batch);
  arena_fini(&r->scratch);
  buf_fini(&r->tmp);
  free(r);
}

int64_t csv_reader_rows(const struct csv_reader *r) { return r->rows; }

/* Index of the corrupt-record column in schema or -1. */
static int corrupt_index(const struct schema *s, const struct csv_options *o) {
  for (int i = 0; i < s->ncols; i++)
    if (strcmp(s->cols[i].name, o->corrupt_column) == 0 && s->cols[i].type.id == TYPE_STRING)
      return i;
  return -1;
}

int csv_reader_open(struct csv_reader **out, const char *path, int64_t start, int64_t end,
                    const struct schema *schema, const int *proj, int nproj,
                    const struct csv_options *o, struct err *e) {
  *out = NULL;
  if (nproj < 0 || nproj > SCHEMA_MAX_COLS || schema->ncols > SCHEMA_MAX_COLS)
    return err_set(e, ERR_INVAL, "too many columns");
  struct csv_reader *r = calloc(1, sizeof *r);
  if (!r) return err_set(e, ERR_NOMEM, "out of memory");
  arena_init(&r->scratch, ARENA_UNLIMITED);
  buf_init(&r->tmp, 1 << 20);
  r->o = o;
  r->schema = schema;
  r->sep = o->sep;
  r->quote = o->quote;
  r->escape = o->escape;
  r->multi_line = o->multi_line;
  r->cap = BATCH_DEFAULT_ROWS;
  int rc = mapfile_open(&r->mf, path, e);
  if (rc) goto fail;
  int ci = corrupt_index(schema, o);
  int nsc = schema->ncols > 0 ? schema->ncols : 1;
  r->data_col = calloc((size_t)nsc, sizeof(int));
  r->tok_slot = calloc((size_t)nsc, sizeof(int));
  r->slot_data = calloc((size_t)nsc, sizeof(int));
  r->out_slot = calloc((size_t)(nproj ? nproj : 1), sizeof(int));
  struct type *types = calloc((size_t)(nproj ? nproj : 1), sizeof *types);
  if (!r->data_col || !r->tok_slot || !r->slot_data || !r->out_slot || !types) {
    free(types);
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto fail;
  }
  int *schema_to_data = r->slot_data; /* reuse as scratch below, reset after */
  for (int i = 0; i < schema->ncols; i++) {
    if (i == ci) {
      schema_to_data[i] = -1;
      continue;
    }
    schema_to_data[i] = r->ndata;
    r->data_col[r->ndata++] = i;
  }
  int *s2d = malloc((size_t)nsc * sizeof(int));
  if (!s2d) {
    free(types);
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto fail;
  }
  memcpy(s2d, schema_to_data, (size_t)nsc * sizeof(int));
  for (int i = 0; i < r->ndata; i++) r->tok_slot[i] = -1;
  for (int k = 0; k < nproj; k++) {
    int sc = proj[k];
    if (sc < 0 || sc >= schema->ncols) {
      free(types);
      free(s2d);
      rc = err_set(e, ERR_INVAL, "projected column %d out of range", sc);
      goto fail;
    }
    types[k] = schema->cols[sc].type;
    if (vector_elem_size(types[k].id) == 0) {
      free(types);
      free(s2d);
      rc = err_set(e, ERR_UNSUPPORTED, "column %s has a type CSV cannot read",
                   schema->cols[sc].name);
      goto fail;
    }
    int dc = s2d[sc];
    if (dc < 0) {
      r->out_slot[k] = -1;
      continue;
    }
    if (r->tok_slot[dc] < 0) {
      r->tok_slot[dc] = r->nslots;
      r->slot_data[r->nslots++] = dc;
    }
    r->out_slot[k] = r->tok_slot[dc];
  }
  free(s2d);
  r->nout = nproj;
  size_t ns = (size_t)(r->nslots ? r->nslots : 1);
  r->fptr = malloc(ns * r->cap * sizeof *r->fptr);
  r->flen = malloc(ns * r->cap * sizeof *r->flen);
  r->rstart = malloc(r->cap * sizeof *r->rstart);
  r->rend = malloc(r->cap * sizeof *r->rend);
  r->rtok = malloc(r->cap * sizeof *r->rtok);
  r->rbad = malloc(r->cap * sizeof *r->rbad);
  r->keep = malloc(bitmap_words(r->cap) * sizeof *r->keep);
  r->batch = batch_new(types, nproj, r->cap, ARENA_UNLIMITED);
  free(types);
  if (!r->fptr || !r->flen || !r->rstart || !r->rend || !r->rtok || !r->rbad || !r->keep ||
      !r->batch) {
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto fail;
  }
  /* Position on the first record this range owns. */
  const char *data = r->mf.data;
  size_t size = r->mf.size;
  r->end = data + size;
  if (start < 0) start = 0;
  if (end < 0 || (uint64_t)end > size || r->multi_line) end = (int64_t)size;
  if ((uint64_t)start > size || (r->multi_line && start > 0)) start = (int64_t)size;
  r->split_end = data + end;
  r->blk = 0;
  r->mask = 0;
  r->p = data;
  if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) r->p += 3;
  /* The BOM belongs to the record at offset 0, which split 0 owns. */
  if (start == 0 && r->p > data && r->split_end <= r->p) r->split_end = r->p + 1;
  const char *header_end = r->p;
  if (o->header) {
    /* the header is the first non-blank, non-comment line; only the split
     * that owns it skips it, but any split must not read it as data */
    const char *p = r->p;
    while (p < r->end) {
      const char *nl = memchr(p, '\n', (size_t)(r->end - p));
      const char *le = nl ? nl : r->end;
      if (!blank_record(p, le) && !(o->comment && *p == o->comment)) break;
      p = nl ? nl + 1 : r->end;
    }
    if (p < r->end) {
      const char *d = skip_record(r, p);
      p = d < r->end ? d + 1 : r->end;
    }
    header_end = p;
    r->blk = 0;
    r->mask = 0;
  }
  if (start > 0) {
    const char *nl = memchr(data + start - 1, '\n', size - (size_t)start + 1);
    r->p = nl ? nl + 1 : r->end;
    /* a split inside the blank lines before the header */
    if (o->header && r->p < header_end) r->p = header_end < r->split_end ? header_end : r->end;
  } else {
    r->p = header_end;
  }
  if (r->p < r->split_end) mapfile_advise(&r->mf, (size_t)(r->p - data), (size_t)(r->split_end - r->p));
  *out = r;
  return 0;
fail:
  csv_reader_close(r);
  return rc;
}

/* ---- schema inference ---- */

/* Inference states, in Spark's order of attempts. */
enum itype { IT_NULL, IT_INT, IT_BIGINT, IT_DOUBLE, IT_DATE, IT_TIMESTAMP, IT_BOOLEAN, IT_STRING };

static enum itype try_boolean(const char *s, uint32_t n) {
  int b;
  return numparse_bool(s, n, &b) == 0 ? IT_BOOLEAN : IT_STRING;
}

static enum itype try_timestamp(const struct csv_options *o, const char *s, uint32_t n) {
  int64_t t;
  if (parse_ts_opt(o, s, n, &t) == 0) return IT_TIMESTAMP;
  return try_boolean(s, n);
}

static enum itype try_date(const struct csv_options *o, const char *s, uint32_t n) {
  int32_t d;
  int ok = o->date_format_iso ? datetime_parse_date_iso(s, n, &d) == 0
                              : datetime_fmt_parse_date(&o->date_format, s, n, &d) == 0;
  return ok ? IT_DATE : try_timestamp(o, s, n);
}

static enum itype try_double(const struct csv_options *o, const char *s, uint32_t n) {
  double x;
  if (parse_double_opt(o, s, n, &x) == 0) return IT_DOUBLE;
  return o->prefers_date ? try_date(o, s, n) : try_timestamp(o, s, n);
}

static enum itype try_bigint(const struct csv_options *o, const char *s, uint32_t n) {
  int64_t x;
  return numparse_i64(s, n, &x) == 0 ? IT_BIGINT : try_double(o, s, n);
}

static enum itype try_int(const struct csv_options *o, const char *s, uint32_t n) {
  int32_t x;
  return numparse_i32(s, n, &x) == 0 ? IT_INT : try_bigint(o, s, n);
}

static enum itype merge_itype(enum itype a, enum itype b) {
  if (a == b) return a;
  if (a == IT_NULL) return b;
  if (b == IT_NULL) return a;
  int an = a == IT_INT || a == IT_BIGINT || a == IT_DOUBLE;
  int bn = b == IT_INT || b == IT_BIGINT || b == IT_DOUBLE;
  if (an && bn) return a > b ? a : b;
  if ((a == IT_DATE && b == IT_TIMESTAMP) || (a == IT_TIMESTAMP && b == IT_DATE))
    return IT_TIMESTAMP;
  return IT_STRING;
}

static enum itype infer_field(const struct csv_options *o, enum itype so_far, const char *s,
                              uint32_t n) {
  enum itype t;
  switch (so_far) {
    case IT_NULL:
    case IT_INT: t = try_int(o, s, n); break;
    case IT_BIGINT: t = try_bigint(o, s, n); break;
    case IT_DOUBLE: t = try_double(o, s, n); break;
    case IT_DATE: t = try_date(o, s, n); break;
    case IT_TIMESTAMP: t = try_timestamp(o, s, n); break;
    case IT_BOOLEAN: t = try_boolean(s, n); break;
    default: return IT_STRING;
  }
  return merge_itype(so_far, t);
}

/* Fields of the first record of a file (header or first data row), as new
 * strings in *names (count in *n). */
static int first_record(const struct csv_options *o, const char *path, char ***names, int *n,
                        struct err *e) {
  struct schema one;
  schema_init(&one);
  *names = NULL;
  *n = 0;
  /* Read with a wide all-string schema: the record's own field count is
   * what we want, so count tokens with a reader that projects nothing. */
  struct csv_reader *r = NULL;
  struct csv_options ho = *o;
  ho.header = 0;
  ho.mode = READOPT_PERMISSIVE;
  int rc = csv_reader_open(&r, path, 0, -1, &one, NULL, 0, &ho, e);
  if (rc) return rc;
  uint32_t got = 0;
  r->cap = 1;
  got = tokenize(r);
  if (got == 0) {
    csv_reader_close(r);
    return 0;
  }
  int count = r->rtok[0];
  csv_reader_close(r);
  if (count < 0 || count > SCHEMA_MAX_COLS) return err_set(e, ERR_TOOBIG, "%s: too many columns", path);
  /* Now read that record with count string columns. */
  struct type st = {TYPE_STRING, 0, 0};
  char nm[32];
  for (int i = 0; i < count; i++) {
    snprintf(nm, sizeof nm, "_c%d", i);
    if (schema_add(&one, nm, st, 1) < 0) {
      schema_fini(&one);
      return err_set(e, ERR_NOMEM, "out of memory");
    }
  }
  int *proj = malloc((size_t)(count ? count : 1) * sizeof(int));
  if (!proj) {
    schema_fini(&one);
    return err_set(e, ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < count; i++) proj[i] = i;
  rc = csv_reader_open(&r, path, 0, -1, &one, proj, count, &ho, e);
  free(proj);
  if (rc) {
    schema_fini(&one);
    return rc;
  }
  r->cap = 1;
  struct batch *b;
  rc = csv_reader_next(r, &b, e);
  if (rc == 1) {
    *names = calloc((size_t)(count ? count : 1), sizeof(char *));
    if (!*names) rc = err_set(e, ERR_NOMEM, "out of memory");
    for (int i = 0; i < count && *names; i++) {
      struct vector *v = &b->cols[i];
      struct sv s = vector_is_null(v, 0) ? sv_make("", 0) : vector_sv(v)[0];
      (*names)[i] = strndup(s.ptr, s.len);
      if (!(*names)[i]) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        break;
      }
      *n = i + 1;
    }
    if (rc == 1) rc = 0;
  }
  csv_reader_close(r);
  schema_fini(&one);
  return rc;
}

int csv_infer_schema(const struct path_list *files, const struct csv_options *o,
                     struct schema *out, struct err *e) {
  schema_init(out);
  char **hdr = NULL;
  int ncols = 0, rc = 0;
  int fi = 0;
  /* Column count and names come from the first file with a record. */
  for (; fi < files->n; fi++) {
    rc = first_record(o, files->files[fi].path, &hdr, &ncols, e);
    if (rc) return rc;
    if (hdr) break;
  }
  if (!hdr) return 0; /* no data at all: empty schema, as Spark */
  enum itype *it = calloc((size_t)(ncols ? ncols : 1), sizeof *it);
  struct schema strs;
  schema_init(&strs);
  int *proj = malloc((size_t)(ncols ? ncols : 1) * sizeof(int));
  if (!it || !proj) {
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto done;
  }
  struct type st = {TYPE_STRING, 0, 0};
  for (int i = 0; i < ncols; i++) {
    char nm[32];
    snprintf(nm, sizeof nm, "_c%d", i);
    if (schema_add(&strs, nm, st, 1) < 0) {
      rc = err_set(e, ERR_NOMEM, "out of memory");
      goto done;
    }
    proj[i] = i;
  }
  if (o->infer_schema) {
    struct csv_options io = *o;
    io.mode = READOPT_PERMISSIVE;
    for (int f = fi; f < files->n && rc == 0; f++) {
      struct csv_reader *r;
      rc = csv_reader_open(&r, files->files[f].path, 0, -1, &strs, proj, ncols, &io, e);
      if (rc) break;
      struct batch *b;
      int got;
      while ((got = csv_reader_next(r, &b, e)) == 1) {
        for (int c = 0; c < ncols; c++) {
          struct vector *v = &b->cols[c];
          const struct sv *s = vector_sv(v);
          enum itype t = it[c];
          if (t == IT_STRING) continue;
          for (uint32_t i = 0; i < b->nrows; i++)
            if (!vector_is_null(v, i)) t = infer_field(o, t, s[i].ptr, s[i].len);
          it[c] = t;
        }
      }
      if (got < 0) rc = got;
      csv_reader_close(r);
    }
    if (rc) goto done;
  }
  for (int i = 0; i < ncols; i++) {
    char nm[64];
    const char *name = hdr[i];
    if (!o->header || !name[0] || strcmp(name, o->null_value) == 0) {
      snprintf(nm, sizeof nm, "_c%d", i);
      name = nm;
    } else {
      int dup = 0;
      for (int k = 0; k < ncols; k++)
        if (k != i && strcasecmp(hdr[k], hdr[i]) == 0) dup = 1;
      if (dup) {
        struct buf b;
        buf_init(&b, 1 << 16);
        if (buf_printf(&b, "%s%d", hdr[i], i) != 0) {
          buf_fini(&b);
          rc = err_set(e, ERR_NOMEM, "out of memory");
          goto done;
        }
        int idx = schema_add(out, b.data, (struct type){TYPE_STRING, 0, 0}, 1);
        buf_fini(&b);
        if (idx < 0) {
          rc = err_set(e, ERR_NOMEM, "out of memory");
          goto done;
        }
        goto set_type;
      }
    }
    if (schema_add(out, name, (struct type){TYPE_STRING, 0, 0}, 1) < 0) {
      rc = err_set(e, ERR_NOMEM, "out of memory");
      goto done;
    }
  set_type:;
    struct type t = {TYPE_STRING, 0, 0};
    switch (it[i]) {
      case IT_INT: t.id = TYPE_INT; break;
      case IT_BIGINT: t.id = TYPE_BIGINT; break;
      case IT_DOUBLE: t.id = TYPE_DOUBLE; break;
      case IT_DATE: t.id = TYPE_DATE; break;
      case IT_TIMESTAMP: t.id = TYPE_TIMESTAMP; break;
      case IT_BOOLEAN: t.id = TYPE_BOOLEAN; break;
      default: break;
    }
    out->cols[out->ncols - 1].type = t;
  }
done:
  for (int i = 0; i < ncols; i++) free(hdr[i]);
  free(hdr);
  free(it);
  free(proj);
  schema_fini(&strs);
  if (rc) schema_fini(out);
  return rc;
}
