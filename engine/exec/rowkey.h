/* rowkey.h: grouping / join keys encoded as fixed-width rows of 64-bit
 * words, with a value hash -- the common currency of the hash aggregate and
 * the hash join.
 *
 * Layout of one encoded row: word 0 is a NULL mask (bit k set = key k is
 * NULL); then per key one word (BOOLEAN, INT, DATE, BIGINT, DECIMAL,
 * TIMESTAMP, DOUBLE bits) or two words for STRING (length | prefix << 32,
 * then the byte pointer). NULL keys encode as zero words, so two rows are
 * equal exactly when all their non-pointer words are equal and the bytes of
 * strings longer than 4 are equal. DOUBLE keys are normalised (-0.0 -> 0.0,
 * every NaN -> one NaN) so grouping follows Spark.
 *
 * The hash depends on values only (never on pointers), so rows encoded from
 * different batches, spill files or join sides hash alike. */
#ifndef KINDLING_ENGINE_EXEC_ROWKEY_H
#define KINDLING_ENGINE_EXEC_ROWKEY_H

#include <stdint.h>
#include <string.h>

#include "engine/types.h"
#include "engine/vec/vector.h"

#define ROWKEY_MAX_KEYS 64

enum rowkey_cls { RK_U8, RK_I32, RK_I64, RK_F64, RK_STR };

struct rowkey_layout {
  int nkeys;
  int nwords;   /* words per encoded row */
  int nstr;     /* string keys */
  struct type types[ROWKEY_MAX_KEYS];
  uint8_t cls[ROWKEY_MAX_KEYS];
  uint8_t word[ROWKEY_MAX_KEYS]; /* first word of key k */
  uint8_t strword[ROWKEY_MAX_KEYS]; /* first word of the i-th string key */
};

/* Set L up for n key types (borrowed). Returns 0 or ERR_UNSUPPORTED for
 * more than ROWKEY_MAX_KEYS keys or a type without a key encoding. */
int rowkey_layout_init(struct rowkey_layout *L, const struct type *types, int n);

/* Encode rows [0, n) of cols[0..nkeys) into words (n * nwords, row-major)
 * and hashes (n). String words point into the vectors' heaps. */
void rowkey_encode(const struct rowkey_layout *L, const struct vector *const *cols, uint32_t n,
                   uint64_t *words, uint64_t *hashes);

/* Write key k of encoded row w to row i of v (type L->types[k]); strings
 * are referenced, not copied. */
void rowkey_decode(const struct rowkey_layout *L, int k, const uint64_t *w, struct vector *v,
                   uint32_t i);

/* Hash of a byte string (used for string keys). */
uint64_t rowkey_hash_bytes(const void *p, size_t n);

static inline int rowkey_eq(const struct rowkey_layout *L, const uint64_t *a, const uint64_t *b) {
  if (!L->nstr) {
    for (int j = 0; j < L->nwords; j++)
      if (a[j] != b[j]) return 0;
    return 1;
  }
  if (a[0] != b[0]) return 0;
  for (int s = 0; s < L->nstr; s++) {
    int w = L->strword[s];
    if (a[w] != b[w]) return 0;
  }
  for (int k = 0; k < L->nkeys; k++) {
    int w = L->word[k];
    if (L->cls[k] != RK_STR) {
      if (a[w] != b[w]) return 0;
    } else {
      uint32_t len = (uint32_t)a[w];
      if (len > 4 && memcmp((const void *)(uintptr_t)a[w + 1], (const void *)(uintptr_t)b[w + 1],
                            len) != 0)
        return 0;
    }
  }
  return 1;
}

/* 1 when encoded row w has a NULL in a key k with !null_safe[k] (null_safe
 * may be NULL: no key is null-safe). */
static inline int rowkey_has_null(const uint64_t *w, uint64_t strict_mask) {
  return (w[0] & strict_mask) != 0;
}

#endif
