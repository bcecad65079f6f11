/* types.h: the engine's logical SQL types (Spark SQL's names).
 *
 * Shared by the SQL front end (CAST targets, literals, DESCRIBE) and the
 * columnar executor (vector element types). Physical representation:
 *   BOOLEAN   uint8_t (0/1)         INT       int32_t
 *   BIGINT    int64_t               DOUBLE    double
 *   DECIMAL   int64_t scaled by 10^scale (precision <= 18); wider decimals
 *             are the executor's business
 *   STRING    (ptr, len) into a batch-owned heap, UTF-8
 *   DATE      int32_t days since 1970-01-01
 *   TIMESTAMP int64_t microseconds since 1970-01-01 00:00:00 UTC
 *   ARRAY     (ptr, len) like STRING, over one encoded value (engine/vec/array.h):
 *             u32 count, validity bits, then the elements; so batch
 *             serialization, hashing, grouping and equality reuse the STRING
 *             paths (type_is_varlen). Elements are one scalar type (no
 *             arrays of arrays); element NULL slots are zeroed, so equal
 *             arrays have equal bytes.
 *   NULL      the type of a bare NULL literal before coercion */
#ifndef KINDLING_ENGINE_TYPES_H
#define KINDLING_ENGINE_TYPES_H

#include <stdint.h>

enum type_id {
  TYPE_NULL = 0,
  TYPE_BOOLEAN,
  TYPE_INT,
  TYPE_BIGINT,
  TYPE_DOUBLE,
  TYPE_DECIMAL,
  TYPE_STRING,
  TYPE_DATE,
  TYPE_TIMESTAMP,
  TYPE_INTERVAL, /* literals only: INTERVAL n DAY|MONTH|YEAR */
  TYPE_ARRAY,    /* ARRAY<elem>: see the header comment */
  TYPE__COUNT
};

/* For ARRAY, precision and scale describe the element: their low 6 bits
 * are the element's DECIMAL precision and scale, their top 2 bits the low
 * and high half of the element's type id (arrays hold scalars, whose ids
 * fit in 4 bits). So a struct type stays three fields, equal array types
 * have equal bytes, and every path that carries (id, precision, scale) --
 * batch frames, job descriptions -- carries the element type too. Use the
 * accessors below, never the raw fields, for an ARRAY. */
struct type {
  enum type_id id;
  uint8_t precision; /* DECIMAL only, 1..38 (ARRAY: see above) */
  uint8_t scale;     /* DECIMAL only, 0..precision (ARRAY: see above) */
};

/* Physical representation is a struct sv over batch-owned bytes. */
static inline int type_is_varlen(enum type_id id) { return id == TYPE_STRING || id == TYPE_ARRAY; }

/* The element type id of an ARRAY type. */
static inline enum type_id type_elem_id(struct type t) {
  return (enum type_id)((t.precision >> 6) | ((t.scale >> 6) << 2));
}

/* The element type of an ARRAY type. */
static inline struct type type_elem(struct type t) {
  struct type e = {type_elem_id(t), (uint8_t)(t.precision & 63), (uint8_t)(t.scale & 63)};
  return e;
}

/* ARRAY<e> (e must be a scalar type: id < 16, precision and scale < 64). */
static inline struct type type_array_of(struct type e) {
  struct type t = {TYPE_ARRAY, (uint8_t)((e.precision & 63) | ((e.id & 3) << 6)),
                   (uint8_t)((e.scale & 63) | (((e.id >> 2) & 3) << 6))};
  return t;
}

#endif
