/* batchio.c: see batchio.h. */
#include "engine/exec/batchio.h"

#include <stdlib.h>
#include <string.h>

#include "engine/vec/array.h"

static int put32(struct buf *o, uint32_t v) { return buf_append(o, &v, 4); }

static int encode_col(const struct vector *v, const uint32_t *sel, uint32_t n, struct buf *out) {
  int has_nulls = 0;
  for (uint32_t k = 0; k < n && !has_nulls; k++)
    if (!bitmap_get(v->validity, sel ? sel[k] : k)) has_nulls = 1;
  uint8_t hdr[4] = {(uint8_t)v->type.id, v->type.precision, v->type.scale, (uint8_t)has_nulls};
  int rc = buf_append(out, hdr, 4);
  if (rc) return rc;
  if (has_nulls) {
    size_t words = bitmap_words(n);
    uint64_t w = 0;
    for (uint32_t k = 0; k < n; k++) {
      if (bitmap_get(v->validity, sel ? sel[k] : k)) w |= (uint64_t)1 << (k & 63);
      if ((k & 63) == 63 || k + 1 == n) {
        if ((rc = buf_append(out, &w, 8))) return rc;
        w = 0;
        words--;
      }
    }
    (void)words;
  }
  if (type_is_varlen(v->type.id)) {
    const struct sv *s = vector_sv(v);
    uint32_t total = 0;
    for (uint32_t k = 0; k < n; k++) total += s[sel ? sel[k] : k].len;
    if ((rc = put32(out, total))) return rc;
    for (uint32_t k = 0; k < n; k++)
      if ((rc = put32(out, s[sel ? sel[k] : k].len))) return rc;
    for (uint32_t k = 0; k < n; k++) {
      const struct sv *x = &s[sel ? sel[k] : k];
      if (x->len && (rc = buf_append(out, x->ptr, x->len))) return rc;
    }
    return 0;
  }
  size_t es = vector_elem_size(v->type.id);
  if (!es) return 0;
  if (!sel) return buf_append(out, v->data, es * n);
  const char *d = v->data;
  for (uint32_t k = 0; k < n; k++)
    if ((rc = buf_append(out, d + (size_t)sel[k] * es, es))) return rc;
  return 0;
}

int batchio_encode(const struct batch *b, const uint32_t *sel, uint32_t n, struct buf *out) {
  if (!sel) n = b->nrows;
  size_t start = out->len;
  int rc;
  if ((rc = put32(out, BATCHIO_MAGIC)) || (rc = put32(out, 0)) || (rc = put32(out, n)) ||
      (rc = put32(out, (uint32_t)b->ncols)))
    return rc;
  for (int c = 0; c < b->ncols; c++)
    if ((rc = encode_col(&b->cols[c], sel, n, out))) return rc;
  uint32_t body = (uint32_t)(out->len - start - BATCHIO_HEADER);
  memcpy(out->data + start + 4, &body, 4);
  return 0;
}

struct reader {
  const unsigned char *p, *end;
};

static int take(struct reader *r, void *dst, size_t n) {
  if ((size_t)(r->end - r->p) < n) return -1;
  if (dst) memcpy(dst, r->p, n);
  r->p += n;
  return 0;
}

int batchio_decode(const void *p, size_t len, struct batch **out, size_t *used, struct err *e) {
  *out = NULL;
  struct reader r = {p, (const unsigned char *)p + len};
  uint32_t magic, body, nrows, ncols;
  if (take(&r, &magic, 4) || take(&r, &body, 4) || magic != BATCHIO_MAGIC)
    return err_set(e, ERR_PARSE, "corrupt batch frame (bad header)");
  if (body > len - BATCHIO_HEADER) return err_set(e, ERR_PARSE, "truncated batch frame");
  r.end = r.p + body;
  if (take(&r, &nrows, 4) || take(&r, &ncols, 4) || ncols > 100000 ||
      nrows > VECTOR_MAX_CAPACITY)
    return err_set(e, ERR_PARSE, "corrupt batch frame (bad shape)");
  /* Types first: peek each column header without consuming the body. */
  struct type *types = calloc(ncols ? ncols : 1, sizeof *types);
  if (!types) return err_set(e, ERR_NOMEM, "out of memory decoding a batch");
  struct batch *b = NULL;
  const unsigned char *body_start = r.p;
  int rc = 0;
  for (int pass = 0; pass < 2 && rc == 0; pass++) {
    r.p = body_start;
    for (uint32_t c = 0; c < ncols; c++) {
      uint8_t h[4];
      if (take(&r, h, 4) || h[0] >= TYPE__COUNT) {
        rc = ERR_PARSE;
        break;
      }
      struct type t = {(enum type_id)h[0], h[1], h[2]};
      if (t.id == TYPE_ARRAY && !array_elem_ok(type_elem_id(t))) {
        rc = ERR_PARSE;
        break;
      }
      if (pass == 0) types[c] = t;
      struct vector *v = pass ? &b->cols[c] : NULL;
      size_t words = bitmap_words(nrows);
      if (h[3]) {
        if (pass) {
          if (take(&r, v->validity, words * 8)) rc = ERR_PARSE;
        } else if (take(&r, NULL, words * 8))
          rc = ERR_PARSE;
      } else if (pass && nrows) {
        bitmap_set_range(v->validity, 0, nrows);
      }
      if (rc) break;
      if (type_is_varlen(t.id)) {
        uint32_t total;
        if (take(&r, &total, 4) || (size_t)(r.end - r.p) < (size_t)nrows * 4) {
          rc = ERR_PARSE;
          break;
        }
        const unsigned char *lens = r.p;
        r.p += (size_t)nrows * 4;
        if ((size_t)(r.end - r.p) < total) {
          rc = ERR_PARSE;
          break;
        }
        if (pass) {
          char *bytes = total ? arena_alloc(&b->arena, total) : NULL;
          if (total && !bytes) {
            rc = ERR_NOMEM;
            break;
          }
          if (total) memcpy(bytes, r.p, total);
          uint64_t off = 0;
          struct sv *s = vector_sv(v);
          for (uint32_t i = 0; i < nrows; i++) {
            uint32_t l;
            memcpy(&l, lens + (size_t)i * 4, 4);
            if (off + l > total) {
              rc = ERR_PARSE;
              break;
            }
            s[i] = sv_make(bytes + off, l);
            off += l;
            /* Array bytes are read element by element later: check them
             * here, once, so a corrupt frame fails as a whole. */
            if (t.id == TYPE_ARRAY && bitmap_get(v->validity, i) &&
                array_validate(s[i], type_elem_id(t))) {
              rc = ERR_PARSE;
              break;
            }
          }
        }
        r.p += total;
      } else {
        size_t es = vector_elem_size(t.id);
        if (pass) {
          if (take(&r, v->data, es * nrows)) rc = ERR_PARSE;
        } else if (take(&r, NULL, es * nrows))
          rc = ERR_PARSE;
      }
      if (rc) break;
    }
    if (rc == 0 && pass == 0) {
      b = batch_new(types, (int)ncols, nrows ? nrows : 1, ARENA_UNLIMITED);
      if (!b) rc = ERR_NOMEM;
    }
  }
  free(types);
  if (rc) {
    batch_free(b);
    if (rc == ERR_NOMEM) return err_set(e, ERR_NOMEM, "out of memory decoding a batch");
    return err_set(e, ERR_PARSE, "corrupt batch frame (column data)");
  }
  batch_set_rows(b, nrows);
  *out = b;
  if (used) *used = BATCHIO_HEADER + body;
  return 0;
}

/* 1 when the first n bits of bm are all set. */
static int all_set(const uint64_t *bm, uint32_t n) {
  uint64_t acc = ~(uint64_t)0;
  for (uint32_t w = 0; w < n / 64; w++) acc &= bm[w];
  if (n & 63) acc &= bm[n / 64] | ~(((uint64_t)1 << (n & 63)) - 1);
  return acc == ~(uint64_t)0;
}

/* Set bits [from, from + n) of bm. */
static void set_range(uint64_t *bm, uint32_t from, uint32_t n) {
  uint32_t end = from + n;
  for (; from < end && (from & 63); from++) bm[from >> 6] |= (uint64_t)1 << (from & 63);
  for (; from + 64 <= end; from += 64) bm[from >> 6] = ~(uint64_t)0;
  for (; from < end; from++) bm[from >> 6] |= (uint64_t)1 << (from & 63);
}

/* Validity bits sel[0..n) (or [0, n)) of src to dst bits [base, base + n);
 * src_rows: the rows src has (a column without NULLs sets a range). */
static void copy_validity(uint64_t *d, const uint64_t *s, const uint32_t *sel, uint32_t n,
                          uint32_t base, uint32_t src_rows) {
  if (sel && all_set(s, src_rows)) {
    set_range(d, base, n);
    return;
  }
  if (!sel && (base & 63) == 0) {
    /* Word-aligned destination: whole words, then the tail bits. */
    size_t full = n / 64, dw = base / 64;
    memcpy(d + dw, s, full * 8);
    if (n & 63) {
      uint64_t m = ((uint64_t)1 << (n & 63)) - 1;
      d[dw + full] = (d[dw + full] & ~m) | (s[full] & m);
    }
    return;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = sel ? sel[k] : k, o = base + k;
    uint64_t bit = (s[i >> 6] >> (i & 63)) & 1;
    d[o >> 6] = (d[o >> 6] & ~((uint64_t)1 << (o & 63))) | (bit << (o & 63));
  }
}

int batch_append_rows(struct batch *dst, const struct batch *src, const uint32_t *sel,
                      uint32_t n) {
  return batch_append_cols(dst, src, sel, n, NULL);
}

int batch_append_cols(struct batch *dst, const struct batch *src, const uint32_t *sel, uint32_t n,
                      const uint8_t *skip) {
  if (!sel) n = src->nrows;
  uint32_t base = dst->nrows;
  if ((uint64_t)base + n > dst->capacity) return ERR_TOOBIG;
  for (int c = 0; c < src->ncols; c++) {
    if (skip && skip[c]) continue;
    const struct vector *s = &src->cols[c];
    struct vector *d = &dst->cols[c];
    size_t es = vector_elem_size(s->type.id);
    copy_validity(d->validity, s->validity, sel, n, base, src->nrows);
    if (type_is_varlen(s->type.id)) {
      const struct sv *ss = vector_sv(s);
      struct sv *ds = vector_sv(d);
      size_t total = 0;
      for (uint32_t k = 0; k < n; k++) {
        const struct sv *x = &ss[sel ? sel[k] : k];
        total += x->len;
      }
      char *bytes = total ? arena_alloc(&dst->arena, total) : NULL;
      if (total && !bytes) return ERR_NOMEM;
      for (uint32_t k = 0; k < n; k++) {
        const struct sv *x = &ss[sel ? sel[k] : k];
        /* Always copy: a view into its own slot's prefix would dangle as
         * soon as a compaction moved the slot. The slot itself (length
         * and prefix) is copied as is; short strings (flags, codes) are
         * copied byte by byte rather than through a library call. */
        struct sv v = *x;
        uint32_t len = x->len;
        if (len) {
          if (len <= 8)
            for (uint32_t b = 0; b < len; b++) bytes[b] = x->ptr[b];
          else
            memcpy(bytes, x->ptr, len);
          v.ptr = bytes;
          bytes += len;
        } else {
          v = sv_make("", 0);
        }
        ds[base + k] = v;
      }
    } else if (es) {
      char *dd = (char *)d->data + (size_t)base * es;
      const char *sd = s->data;
      if (!sel) {
        memcpy(dd, sd, es * n);
        continue;
      }
      /* Gathers specialised by element size (the filter's hot loop). */
      switch (es) {
      case 1:
        for (uint32_t k = 0; k < n; k++) ((uint8_t *)dd)[k] = ((const uint8_t *)sd)[sel[k]];
        break;
      case 4:
        for (uint32_t k = 0; k < n; k++) ((uint32_t *)dd)[k] = ((const uint32_t *)sd)[sel[k]];
        break;
      case 8:
        for (uint32_t k = 0; k < n; k++) ((uint64_t *)dd)[k] = ((const uint64_t *)sd)[sel[k]];
        break;
      default:
        for (uint32_t k = 0; k < n; k++) memcpy(dd + (size_t)k * es, sd + (size_t)sel[k] * es, es);
      }
    }
  }
  batch_set_rows(dst, base + n);
  return 0;
}

void batch_types(const struct batch *b, struct type *types) {
  for (int c = 0; c < b->ncols; c++) types[c] = b->cols[c].type;
}

int64_t batch_bytes(const struct batch *b) {
  int64_t n = (int64_t)sizeof *b + b->arena.used;
  for (int c = 0; c < b->ncols; c++)
    n += (int64_t)b->capacity * (int64_t)vector_elem_size(b->cols[c].type.id) +
         (int64_t)bitmap_words(b->capacity) * 8;
  return n;
}
