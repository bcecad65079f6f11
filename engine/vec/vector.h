/* vector.h: a typed column of values with a validity bitmap.
 *
 * Physical layout per logical type (engine/types.h):
 *   BOOLEAN uint8_t, INT/DATE int32_t, BIGINT/DECIMAL/TIMESTAMP int64_t,
 *   DOUBLE double, STRING struct sv (16-byte string view), ARRAY struct sv
 *   over the encoded array (engine/vec/array.h).
 * Invariants:
 *   - data holds capacity elements; rows [0, count) are meaningful;
 *   - validity has bitmap_words(capacity) words, bit i set = row i not NULL;
 *     the value slot of a NULL row is zeroed by the helpers (kernels may read
 *     it without branching);
 *   - STRING and ARRAY bytes live in *heap (normally the owning batch's arena), so a
 *     vector never frees string bytes itself; views stay valid until that
 *     arena is reset. */
#ifndef KINDLING_ENGINE_VEC_VECTOR_H
#define KINDLING_ENGINE_VEC_VECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "engine/types.h"
#include "engine/vec/arena.h"
#include "engine/vec/bitmap.h"

/* A string view: length, the first 4 bytes inline (zero padded) so most
 * comparisons are decided without dereferencing, and a pointer to all bytes
 * (not NUL-terminated in general). */
struct sv {
  uint32_t len;
  char prefix[4];
  const char *ptr;
};

static inline struct sv sv_make(const char *p, uint32_t len) {
  struct sv s;
  s.len = len;
  uint32_t z = 0;
  memcpy(s.prefix, &z, 4);
  if (len) memcpy(s.prefix, p, len < 4 ? len : 4);
  s.ptr = p;
  return s;
}

#define VECTOR_MAX_CAPACITY (1u << 24)

struct vector {
  struct type type;
  uint32_t count;
  uint32_t capacity;
  void *data;          /* owned */
  uint64_t *validity;  /* owned */
  struct arena *heap;  /* borrowed; STRING bytes */
};

/* Bytes per element of the physical type of id (0 for NULL/INTERVAL). */
size_t vector_elem_size(enum type_id id);

/* Set v up empty with room for capacity rows (1..VECTOR_MAX_CAPACITY).
 * heap (borrowed) receives string bytes; may be NULL for non-STRING types.
 * Returns 0, ERR_NOMEM or ERR_INVAL. On failure v is safe to vector_fini. */
int vector_init(struct vector *v, struct type t, uint32_t capacity, struct arena *heap);

void vector_fini(struct vector *v);

/* Forget the rows (count = 0); memory is kept. */
void vector_reset(struct vector *v);

static inline int vector_is_null(const struct vector *v, uint32_t i) {
  return !bitmap_get(v->validity, i);
}

static inline int32_t *vector_i32(const struct vector *v) { return (int32_t *)v->data; }
static inline int64_t *vector_i64(const struct vector *v) { return (int64_t *)v->data; }
static inline double *vector_f64(const struct vector *v) { return (double *)v->data; }
static inline uint8_t *vector_u8(const struct vector *v) { return (uint8_t *)v->data; }
static inline struct sv *vector_sv(const struct vector *v) { return (struct sv *)v->data; }

/* Mark row i NULL and zero its slot (i < capacity). */
void vector_set_null(struct vector *v, uint32_t i);

/* Append helpers: fail with ERR_TOOBIG when count == capacity, ERR_INVAL on
 * a type mismatch, ERR_NOMEM when the heap is exhausted. */
int vector_append_null(struct vector *v);
int vector_append_bool(struct vector *v, int b);
int vector_append_i32(struct vector *v, int32_t x); /* INT, DATE */
int vector_append_i64(struct vector *v, int64_t x); /* BIGINT, DECIMAL, TIMESTAMP */
int vector_append_f64(struct vector *v, double x);
/* Copies n bytes of p into the heap (STRING, or ARRAY's encoded bytes). */
int vector_append_str(struct vector *v, const char *p, size_t n);

/* Store a copy of (p, n) as row i's string (i < capacity) and mark it
 * valid. Returns 0 or ERR_NOMEM. */
int vector_set_str(struct vector *v, uint32_t i, const char *p, size_t n);

/* Append row i of v formatted as Spark prints it (df.show / CAST AS STRING):
 * NULL, true/false, integers, doubles as Java's Double.toString (1.0,
 * 1.0E10, 1.234E-5, NaN, Infinity), decimals with exactly scale digits, DATE
 * yyyy-MM-dd, TIMESTAMP yyyy-MM-dd HH:mm:ss[.ffffff] (trailing zeros of the
 * fraction dropped), strings verbatim, arrays as [e1, e2, null] (elements
 * formatted the same way). Returns 0 or a buf error. */
int vector_to_text(const struct vector *v, uint32_t i, struct buf *out);

/* Java Double.toString of x (shortest digits that round-trip). */
int vector_format_double(double x, struct buf *out);

/* unscaled * 10^-scale in plain notation with exactly scale fraction digits. */
int vector_format_decimal(int64_t unscaled, int scale, struct buf *out);

#endif
