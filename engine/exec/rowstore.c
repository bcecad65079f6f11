/* rowstore.c: see rowstore.h. */
#include "engine/exec/rowstore.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/exec/batchio.h"

int rowstore_init(struct rowstore *s, const struct type *types, int ncols) {
  memset(s, 0, sizeof *s);
  s->types = malloc(sizeof *s->types * (size_t)(ncols ? ncols : 1));
  if (!s->types) return ERR_NOMEM;
  if (ncols) memcpy(s->types, types, sizeof *types * (size_t)ncols);
  s->ncols = ncols;
  return 0;
}

static int64_t chunk_bytes(const struct batch *b) { return batch_bytes(b); }

static struct batch *tail_chunk(struct rowstore *s) {
  if (s->nchunks && s->chunks[s->nchunks - 1]->nrows < ROWSTORE_CHUNK)
    return s->chunks[s->nchunks - 1];
  if (s->nchunks == s->cap_chunks) {
    int nc = s->cap_chunks ? s->cap_chunks * 2 : 16;
    struct batch **c = realloc(s->chunks, sizeof *c * (size_t)nc);
    if (!c) return NULL;
    s->bytes += (int64_t)sizeof *c * (nc - s->cap_chunks);
    s->chunks = c;
    s->cap_chunks = nc;
  }
  /* NULL-typed columns have no storage: keep them as BOOLEAN all-NULL. */
  struct type tt[256], *tp = tt;
  if (s->ncols > 256) tp = malloc(sizeof *tp * (size_t)s->ncols);
  if (!tp) return NULL;
  for (int c = 0; c < s->ncols; c++) {
    tp[c] = s->types[c];
    if (tp[c].id == TYPE_NULL || tp[c].id == TYPE_INTERVAL) tp[c].id = TYPE_BOOLEAN;
  }
  struct batch *b = batch_new(tp, s->ncols, ROWSTORE_CHUNK, ARENA_UNLIMITED);
  if (tp != tt) free(tp);
  if (!b) return NULL;
  s->chunks[s->nchunks++] = b;
  s->bytes += chunk_bytes(b);
  return b;
}

/* Copy rows idx[0..n) of src to rows [at, at + n) of dst (same type);
 * strings are copied into dst's heap. */
static int copy_col(struct vector *dst, uint32_t at, const struct vector *src, const uint32_t *idx,
                    uint32_t n) {
  size_t es = vector_elem_size(dst->type.id);
  for (uint32_t k = 0; k < n; k++)
    bitmap_put(dst->validity, at + k, bitmap_get(src->validity, idx[k]));
  switch (type_is_varlen(dst->type.id) ? 0 : es) {
  case 1: {
    uint8_t *d = (uint8_t *)dst->data + at;
    const uint8_t *sd = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = sd[idx[k]];
    return 0;
  }
  case 4: {
    uint32_t *d = (uint32_t *)dst->data + at;
    const uint32_t *sd = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = sd[idx[k]];
    return 0;
  }
  case 8: {
    uint64_t *d = (uint64_t *)dst->data + at;
    const uint64_t *sd = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = sd[idx[k]];
    return 0;
  }
  case 0: {
    struct sv *d = (struct sv *)dst->data + at;
    const struct sv *sd = src->data;
    size_t total = 0;
    for (uint32_t k = 0; k < n; k++) total += sd[idx[k]].len;
    char *bytes = total ? arena_alloc(dst->heap, total) : NULL;
    if (total && !bytes) return ERR_NOMEM;
    for (uint32_t k = 0; k < n; k++) {
      const struct sv *x = &sd[idx[k]];
      d[k] = *x;
      if (x->len) {
        memcpy(bytes, x->ptr, x->len);
        d[k].ptr = bytes;
        bytes += x->len;
      } else {
        d[k].ptr = "";
      }
    }
    return 0;
  }
  default: return 0;
  }
}

int rowstore_append_ext(struct rowstore *s, const struct batch *b, int nbcols,
                        const struct vector *const *extra, int nextra, const uint32_t *sel,
                        uint32_t n) {
  if (!sel) n = b->nrows;
  if (nbcols + nextra != s->ncols) return ERR_INVAL;
  int rc = 0;
  uint32_t done = 0;
  uint32_t idx[ROWSTORE_CHUNK];
  while (done < n) {
    struct batch *t = tail_chunk(s);
    if (!t) return ERR_NOMEM;
    uint32_t room = ROWSTORE_CHUNK - t->nrows;
    uint32_t take = n - done < room ? n - done : room;
    const uint32_t *ix = sel ? sel + done : idx;
    if (!sel)
      for (uint32_t k = 0; k < take; k++) idx[k] = done + k;
    int64_t before = (int64_t)t->arena.used;
    for (int c = 0; c < s->ncols && !rc; c++) {
      const struct vector *src = c < nbcols ? &b->cols[c] : extra[c - nbcols];
      rc = copy_col(&t->cols[c], t->nrows, src, ix, take);
    }
    if (rc) return rc;
    batch_set_rows(t, t->nrows + take);
    s->bytes += (int64_t)t->arena.used - before;
    s->nrows += take;
    done += take;
  }
  return 0;
}

int rowstore_append(struct rowstore *s, const struct batch *b, const uint32_t *sel, uint32_t n) {
  return rowstore_append_ext(s, b, s->ncols, NULL, 0, sel, n);
}

#define GATHER(T)                                                              \
  do {                                                                         \
    T *d = (T *)dst->data + at;                                                \
    for (uint32_t k = 0; k < n; k++) {                                         \
      if (k + 8 < n) {                                                         \
        const struct vector *pv = &s->chunks[rows[k + 8] >> ROWSTORE_SHIFT]->cols[col]; \
        __builtin_prefetch((const T *)pv->data + (rows[k + 8] & ROWSTORE_MASK)); \
      }                                                                        \
      const struct vector *v = &s->chunks[rows[k] >> ROWSTORE_SHIFT]->cols[col]; \
      d[k] = ((const T *)v->data)[rows[k] & ROWSTORE_MASK];                    \
    }                                                                          \
  } while (0)

void rowstore_gather(const struct rowstore *s, int col, const uint32_t *rows, uint32_t n,
                     struct vector *dst, uint32_t at) {
  switch (type_is_varlen(dst->type.id) ? 16 : vector_elem_size(dst->type.id)) {
  case 1: GATHER(uint8_t); break;
  case 4: GATHER(uint32_t); break;
  case 8: GATHER(uint64_t); break;
  default: GATHER(struct sv); break;
  }
  for (uint32_t k = 0; k < n; k++) {
    const struct vector *v = &s->chunks[rows[k] >> ROWSTORE_SHIFT]->cols[col];
    bitmap_put(dst->validity, at + k, bitmap_get(v->validity, rows[k] & ROWSTORE_MASK));
  }
}

void rowstore_reset(struct rowstore *s) {
  for (int i = 0; i < s->nchunks; i++) batch_free(s->chunks[i]);
  free(s->chunks);
  s->chunks = NULL;
  s->nchunks = s->cap_chunks = 0;
  s->nrows = 0;
  s->bytes = 0;
}

void rowstore_fini(struct rowstore *s) {
  rowstore_reset(s);
  free(s->types);
  s->types = NULL;
}
