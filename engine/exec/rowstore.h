/* rowstore.h: rows materialised in memory as a list of batches ("chunks")
 * of ROWSTORE_CHUNK rows each, addressed by a global row number -- the
 * storage of the hash join's build side, the sort buffer and the window
 * partition buffer.
 *
 * Invariants: every chunk but the last holds exactly ROWSTORE_CHUNK rows, so
 * row r lives in chunks[r >> ROWSTORE_SHIFT] at r & ROWSTORE_MASK; strings
 * are copied into the chunk's arena and stay put until rowstore_fini/reset. */
#ifndef KINDLING_ENGINE_EXEC_ROWSTORE_H
#define KINDLING_ENGINE_EXEC_ROWSTORE_H

#include <stdint.h>

#include "engine/vec/batch.h"

#define ROWSTORE_SHIFT 12
#define ROWSTORE_CHUNK (1u << ROWSTORE_SHIFT)
#define ROWSTORE_MASK (ROWSTORE_CHUNK - 1)

struct rowstore {
  int ncols;
  struct type *types;    /* owned copy */
  struct batch **chunks; /* owned */
  int nchunks, cap_chunks;
  uint64_t nrows;
  int64_t bytes;         /* memory held (vectors + arenas + chunk table) */
};

/* Set s up empty for rows of ncols columns (types borrowed, copied).
 * Returns 0 or ERR_NOMEM. */
int rowstore_init(struct rowstore *s, const struct type *types, int ncols);

/* Copy rows sel[0..n) of b (all when sel is NULL) to the end; the first
 * s->ncols columns of b are taken. s->bytes grows accordingly. Returns 0 or
 * ERR_NOMEM. */
int rowstore_append(struct rowstore *s, const struct batch *b, const uint32_t *sel, uint32_t n);

/* Like rowstore_append, with extra columns taken from vectors extra[0..nextra)
 * (each with b->nrows rows) after b's first ncols - nextra columns. */
int rowstore_append_ext(struct rowstore *s, const struct batch *b, int nbcols,
                        const struct vector *const *extra, int nextra, const uint32_t *sel,
                        uint32_t n);

static inline struct batch *rowstore_chunk(const struct rowstore *s, uint64_t r) {
  return s->chunks[r >> ROWSTORE_SHIFT];
}

/* Copy column col of global rows rows[0..n) to rows [at, at + n) of dst
 * (same physical type). Strings are referenced, not copied. */
void rowstore_gather(const struct rowstore *s, int col, const uint32_t *rows, uint32_t n,
                     struct vector *dst, uint32_t at);

/* Free every chunk (the store is then empty and reusable). */
void rowstore_reset(struct rowstore *s);
void rowstore_fini(struct rowstore *s);

#endif
