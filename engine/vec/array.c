/* array.c: see array.h. */
#include "engine/vec/array.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/vec/datetime.h"

size_t array_elem_width(enum type_id elem) {
  /* the fixed-width scalars are packed as vectors hold them */
  return type_is_varlen(elem) ? 0 : vector_elem_size(elem);
}

int array_elem_ok(enum type_id elem) { return array_elem_width(elem) || elem == TYPE_STRING; }

uint32_t array_count(struct sv a) {
  uint32_t n = 0;
  if (a.len >= 4) memcpy(&n, a.ptr, 4);
  return n;
}

int array_iter_init(struct array_iter *it, struct sv a, enum type_id elem) {
  memset(it, 0, sizeof *it);
  it->elem = elem;
  if (a.len < 4 || !array_elem_ok(elem)) return ERR_PARSE;
  const unsigned char *p = (const unsigned char *)a.ptr;
  memcpy(&it->count, p, 4);
  size_t nb = ((size_t)it->count + 7) / 8;
  if (it->count > ARRAY_MAX_COUNT || nb > a.len - 4) return ERR_PARSE;
  it->bits = p + 4;
  it->p = p + 4 + nb;
  it->end = p + a.len;
  return 0;
}

int array_iter_next(struct array_iter *it, struct array_elem *out) {
  if (it->next >= it->count) return 0;
  uint32_t i = it->next++;
  memset(out, 0, sizeof *out);
  out->is_null = !((it->bits[i >> 3] >> (i & 7)) & 1);
  size_t w = array_elem_width(it->elem);
  if (it->elem == TYPE_STRING) {
    uint32_t len;
    if ((size_t)(it->end - it->p) < 4) return ERR_PARSE;
    memcpy(&len, it->p, 4);
    it->p += 4;
    if ((size_t)(it->end - it->p) < len) return ERR_PARSE;
    out->s = sv_make((const char *)it->p, len);
    it->p += len;
    return 1;
  }
  if ((size_t)(it->end - it->p) < w) return ERR_PARSE;
  switch (w) {
  case 1: out->i = it->p[0]; break;
  case 4: {
    int32_t x;
    memcpy(&x, it->p, 4);
    out->i = x;
    break;
  }
  default:
    if (it->elem == TYPE_DOUBLE) memcpy(&out->d, it->p, 8);
    else memcpy(&out->i, it->p, 8);
  }
  it->p += w;
  return 1;
}

int array_validate(struct sv a, enum type_id elem) {
  struct array_iter it;
  if (array_iter_init(&it, a, elem)) return ERR_PARSE;
  struct array_elem e;
  int rc;
  while ((rc = array_iter_next(&it, &e)) == 1) {
  }
  if (rc < 0 || it.p != it.end) return ERR_PARSE;
  return 0;
}

int array_payload(struct sv a, enum type_id elem, const char **p, size_t *len, int *has_null) {
  struct array_iter it;
  if (array_iter_init(&it, a, elem)) return ERR_PARSE;
  *has_null = 0;
  for (uint32_t i = 0; i < it.count; i++)
    if (!((it.bits[i >> 3] >> (i & 7)) & 1)) *has_null = 1;
  *p = (const char *)it.p;
  *len = (size_t)(it.end - it.p);
  return 0;
}

/* Append the slot of e (zero when NULL). */
static int put_elem(struct buf *o, enum type_id elem, const struct array_elem *e) {
  if (elem == TYPE_STRING) {
    uint32_t len = e->is_null ? 0 : e->s.len;
    int rc = buf_append(o, &len, 4);
    return rc || !len ? rc : buf_append(o, e->s.ptr, len);
  }
  unsigned char b[8] = {0};
  size_t w = array_elem_width(elem);
  if (!e->is_null) {
    if (w == 1) b[0] = e->i ? 1 : 0;
    else if (w == 4) {
      int32_t x = (int32_t)e->i;
      memcpy(b, &x, 4);
    } else if (elem == TYPE_DOUBLE) memcpy(b, &e->d, 8);
    else memcpy(b, &e->i, 8);
  }
  return w ? buf_append(o, b, w) : ERR_INVAL;
}

int array_stream_put(struct buf *stream, enum type_id elem, const struct array_elem *e) {
  return put_elem(stream, elem, e);
}

int array_from_stream(struct arena *heap, const char *stream, size_t len, uint32_t count,
                      struct sv *out) {
  size_t nb = ((size_t)count + 7) / 8;
  size_t total = 4 + nb + len;
  if (count > ARRAY_MAX_COUNT || total > UINT32_MAX) return ERR_TOOBIG;
  unsigned char *d = arena_alloc(heap, total);
  if (!d) return ERR_NOMEM;
  memcpy(d, &count, 4);
  memset(d + 4, 0xff, nb);
  if (count & 7) d[4 + nb - 1] = (unsigned char)((1u << (count & 7)) - 1);
  if (len) memcpy(d + 4 + nb, stream, len);
  *out = sv_make((const char *)d, (uint32_t)total);
  return 0;
}

int array_build(struct arena *heap, enum type_id elem, const struct array_elem *v, uint32_t n,
                struct sv *out) {
  if (n > ARRAY_MAX_COUNT) return ERR_TOOBIG;
  struct buf b;
  buf_init(&b, (size_t)UINT32_MAX);
  size_t nb = ((size_t)n + 7) / 8;
  int rc = buf_append(&b, &n, 4);
  for (size_t k = 0; k < nb && !rc; k++) {
    unsigned char byte = 0;
    for (uint32_t j = 0; j < 8 && k * 8 + j < n; j++)
      if (!v[k * 8 + j].is_null) byte |= (unsigned char)(1u << j);
    rc = buf_putc(&b, (char)byte);
  }
  for (uint32_t k = 0; k < n && !rc; k++) rc = put_elem(&b, elem, &v[k]);
  if (!rc) {
    char *d = arena_alloc(heap, b.len);
    if (!d) rc = ERR_NOMEM;
    else {
      memcpy(d, b.data, b.len);
      *out = sv_make(d, (uint32_t)b.len);
    }
  }
  buf_fini(&b);
  return rc;
}

int array_decode(struct sv a, enum type_id elem, struct array_elem **out, uint32_t *n) {
  *out = NULL;
  *n = 0;
  struct array_iter it;
  if (array_iter_init(&it, a, elem)) return ERR_PARSE;
  struct array_elem *v = malloc(sizeof *v * (it.count ? it.count : 1));
  if (!v) return ERR_NOMEM;
  for (uint32_t k = 0; k < it.count; k++)
    if (array_iter_next(&it, &v[k]) != 1) {
      free(v);
      return ERR_PARSE;
    }
  *out = v;
  *n = it.count;
  return 0;
}

static int cmp_dbl(double x, double y) {
  int nx = isnan(x), ny = isnan(y);
  if (nx || ny) return nx - ny;
  return (x > y) - (x < y);
}

int array_elem_cmp(enum type_id elem, const struct array_elem *x, const struct array_elem *y) {
  if (elem == TYPE_DOUBLE) return cmp_dbl(x->d, y->d);
  if (elem == TYPE_STRING) {
    uint32_t n = x->s.len < y->s.len ? x->s.len : y->s.len;
    int c = n ? memcmp(x->s.ptr, y->s.ptr, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (x->s.len > y->s.len) - (x->s.len < y->s.len);
  }
  return (x->i > y->i) - (x->i < y->i);
}

/* ---- distinct over a stream ---- */

struct span {
  const char *p;
  uint32_t len, idx;
};

static int span_cmp(const void *a, const void *b) {
  const struct span *x = a, *y = b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  int c = x->len ? memcmp(x->p, y->p, x->len) : 0;
  if (c) return c;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

static int idx_cmp(const void *a, const void *b) {
  const struct span *x = a, *y = b;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

int array_stream_distinct(enum type_id elem, char *stream, size_t *len, uint32_t *count) {
  uint32_t n = *count;
  if (n < 2) return 0;
  struct span *s = malloc(sizeof *s * n);
  if (!s) return ERR_NOMEM;
  size_t w = array_elem_width(elem), off = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t l = (uint32_t)w;
    if (!w) {
      memcpy(&l, stream + off, 4);
      l += 4;
    }
    s[k].p = stream + off;
    s[k].len = l;
    s[k].idx = k;
    off += l;
  }
  /* Equal bytes = equal elements (NULL-free, canonical slots); any total
   * order consistent with that finds the duplicates. */
  qsort(s, n, sizeof *s, span_cmp);
  uint32_t m = 0;
  for (uint32_t k = 0; k < n; k++)
    if (k == 0 || s[k].len != s[m - 1].len || memcmp(s[k].p, s[m - 1].p, s[k].len)) s[m++] = s[k];
  qsort(s, m, sizeof *s, idx_cmp);
  /* Compact: the kept spans are in increasing position, so moving each to
   * the write point never overwrites a span still to be read. */
  size_t at = 0;
  for (uint32_t k = 0; k < m; k++) {
    memmove(stream + at, s[k].p, s[k].len);
    at += s[k].len;
  }
  free(s);
  *len = at;
  *count = m;
  return 0;
}

/* ---- text ---- */

int array_elem_text(enum type_id elem, int scale, const struct array_elem *e, struct buf *out) {
  char tmp[48];
  switch (elem) {
  case TYPE_BOOLEAN: return buf_puts(out, e->i ? "true" : "false");
  case TYPE_INT:
  case TYPE_BIGINT: return buf_printf(out, "%" PRId64, e->i);
  case TYPE_DOUBLE: return vector_format_double(e->d, out);
  case TYPE_DECIMAL: return vector_format_decimal(e->i, scale, out);
  case TYPE_STRING: return buf_append(out, e->s.ptr, e->s.len);
  case TYPE_DATE: return buf_append(out, tmp, datetime_format_date((int32_t)e->i, tmp));
  case TYPE_TIMESTAMP: return buf_append(out, tmp, datetime_format_timestamp(e->i, tmp));
  default: return ERR_INVAL;
  }
}

int array_format(struct sv a, struct type t, struct buf *out) {
  struct array_iter it;
  enum type_id elem = type_elem_id(t);
  if (array_iter_init(&it, a, elem)) return buf_puts(out, "[<corrupt array>]");
  int rc = buf_putc(out, '[');
  struct array_elem e;
  int r;
  for (uint32_t k = 0; rc == 0 && (r = array_iter_next(&it, &e)) == 1; k++) {
    if (k) rc = buf_puts(out, ", ");
    if (rc == 0) rc = e.is_null ? buf_puts(out, "null") : array_elem_text(elem, type_elem(t).scale, &e, out);
  }
  return rc ? rc : buf_putc(out, ']');
}

int array_format_json(struct sv a, struct type t, struct buf *out) {
  struct array_iter it;
  enum type_id elem = type_elem_id(t);
  if (array_iter_init(&it, a, elem)) return buf_puts(out, "null");
  int rc = buf_putc(out, '[');
  struct array_elem e;
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  for (uint32_t k = 0; rc == 0 && array_iter_next(&it, &e) == 1; k++) {
    if (k) rc = buf_putc(out, ',');
    if (rc) break;
    if (e.is_null) {
      rc = buf_puts(out, "null");
      continue;
    }
    tmp.len = 0;
    rc = array_elem_text(elem, type_elem(t).scale, &e, &tmp);
    if (rc) break;
    int quote = elem == TYPE_STRING || elem == TYPE_DATE || elem == TYPE_TIMESTAMP ||
                (elem == TYPE_DOUBLE && !isfinite(e.d));
    rc = quote ? buf_put_json_str(out, tmp.data ? tmp.data : "", tmp.len)
               : buf_append(out, tmp.data, tmp.len);
  }
  buf_fini(&tmp);
  return rc ? rc : buf_putc(out, ']');
}
