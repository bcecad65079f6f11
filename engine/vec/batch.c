/* batch.c: column batches (see batch.h). */
#include "engine/vec/batch.h"

#include <stdlib.h>
#include <string.h>

struct batch *batch_new(const struct type *types, int ncols, uint32_t capacity, size_t arena_max) {
  if (ncols < 0 || ncols > 100000 || capacity == 0 || capacity > VECTOR_MAX_CAPACITY) return NULL;
  struct batch *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  arena_init(&b->arena, arena_max);
  b->capacity = capacity;
  b->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *b->cols);
  if (!b->cols) {
    free(b);
    return NULL;
  }
  for (int i = 0; i < ncols; i++) {
    if (vector_init(&b->cols[i], types[i], capacity, &b->arena) != 0) {
      b->ncols = i + 1;
      batch_free(b);
      return NULL;
    }
  }
  b->ncols = ncols;
  return b;
}

void batch_free(struct batch *b) {
  if (!b) return;
  for (int i = 0; i < b->ncols; i++) vector_fini(&b->cols[i]);
  free(b->cols);
  arena_fini(&b->arena);
  free(b);
}

void batch_reset(struct batch *b) {
  for (int i = 0; i < b->ncols; i++) vector_reset(&b->cols[i]);
  b->nrows = 0;
  arena_reset(&b->arena);
}

void batch_set_rows(struct batch *b, uint32_t n) {
  b->nrows = n;
  for (int i = 0; i < b->ncols; i++) b->cols[i].count = n;
}

void batch_compact(struct batch *b, const uint64_t *keep) {
  uint32_t n = b->nrows;
  for (int c = 0; c < b->ncols; c++) {
    struct vector *v = &b->cols[c];
    size_t es = vector_elem_size(v->type.id);
    char *d = v->data;
    uint32_t w = 0;
    for (uint32_t r = 0; r < n; r++) {
      if (!bitmap_get(keep, r)) continue;
      if (w != r) {
        memcpy(d + (size_t)w * es, d + (size_t)r * es, es);
        bitmap_put(v->validity, w, bitmap_get(v->validity, r));
      }
      w++;
    }
    v->count = w;
  }
  uint32_t kept = (uint32_t)bitmap_count(keep, n);
  b->nrows = kept;
}
