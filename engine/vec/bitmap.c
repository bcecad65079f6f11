/* bitmap.c: bulk operations on validity bitmaps (see bitmap.h). */
#include "engine/vec/bitmap.h"

#include <string.h>

void bitmap_clear_all(uint64_t *bm, size_t nbits) {
  memset(bm, 0, bitmap_words(nbits) * sizeof *bm);
}

void bitmap_set_range(uint64_t *bm, size_t from, size_t to) {
  if (from >= to) return;
  size_t fw = from >> 6, tw = (to - 1) >> 6;
  uint64_t fmask = ~(uint64_t)0 << (from & 63);
  uint64_t tmask = ~(uint64_t)0 >> (63 - ((to - 1) & 63));
  if (fw == tw) {
    bm[fw] |= fmask & tmask;
    return;
  }
  bm[fw] |= fmask;
  for (size_t w = fw + 1; w < tw; w++) bm[w] = ~(uint64_t)0;
  bm[tw] |= tmask;
}

size_t bitmap_count(const uint64_t *bm, size_t nbits) {
  size_t n = 0, full = nbits >> 6;
  for (size_t w = 0; w < full; w++) n += (size_t)__builtin_popcountll(bm[w]);
  if (nbits & 63) n += (size_t)__builtin_popcountll(bm[full] & ((~(uint64_t)0) >> (64 - (nbits & 63))));
  return n;
}

int bitmap_all_set(const uint64_t *bm, size_t nbits) { return bitmap_count(bm, nbits) == nbits; }
