/* bitmap.h: validity bitmaps (bit i of word i/64; set = value present).
 *
 * Vectors keep one bit per row; readers and kernels test and set bits with
 * these inline helpers so the hot loops stay branch-light. A bitmap of n bits
 * occupies bitmap_words(n) uint64_t words; bits past n are kept zero by
 * bitmap_set_range/bitmap_clear_all so that popcounts over whole words are
 * exact. */
#ifndef KINDLING_ENGINE_VEC_BITMAP_H
#define KINDLING_ENGINE_VEC_BITMAP_H

#include <stddef.h>
#include <stdint.h>

static inline size_t bitmap_words(size_t nbits) { return (nbits + 63) / 64; }

static inline int bitmap_get(const uint64_t *bm, size_t i) {
  return (int)((bm[i >> 6] >> (i & 63)) & 1u);
}

static inline void bitmap_set(uint64_t *bm, size_t i) { bm[i >> 6] |= (uint64_t)1 << (i & 63); }

static inline void bitmap_clear(uint64_t *bm, size_t i) {
  bm[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

static inline void bitmap_put(uint64_t *bm, size_t i, int on) {
  if (on) bitmap_set(bm, i);
  else bitmap_clear(bm, i);
}

/* Zero the first bitmap_words(nbits) words. */
void bitmap_clear_all(uint64_t *bm, size_t nbits);

/* Set bits [from, to). */
void bitmap_set_range(uint64_t *bm, size_t from, size_t to);

/* Number of set bits among the first nbits. */
size_t bitmap_count(const uint64_t *bm, size_t nbits);

/* 1 when all of the first nbits are set. */
int bitmap_all_set(const uint64_t *bm, size_t nbits);

#endif
