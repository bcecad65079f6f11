/* array.h: the encoding of one ARRAY value and the helpers that read, build,
 * compare and print it.
 *
 * An ARRAY value is a struct sv (engine/vec/vector.h) over these bytes
 * (little-endian, unaligned; readers use memcpy):
 *   u32 count
 *   u8  validity[(count + 7) / 8]    bit i set = element i is not NULL
 *   elements in order:
 *     BOOLEAN 1 byte, INT/DATE 4 bytes, BIGINT/DECIMAL/TIMESTAMP/DOUBLE 8 bytes
 *     STRING  u32 length + the bytes
 *   A NULL element's slot is zero (a zero length for STRING), so two equal
 *   arrays have equal bytes: hashing, grouping and equality of arrays are
 *   those of their bytes, as for strings.
 * Because the value is a string view, every STRING code path that moves
 * bytes (batch frames, spill, shuffle, row stores) carries arrays unchanged.
 * An "element stream" is the elements part alone, with no NULLs: the form in
 * which collect_list/collect_set accumulate. Readers validate every length
 * against the value, so corrupt bytes are an error, never a crash. */
#ifndef KINDLING_ENGINE_VEC_ARRAY_H
#define KINDLING_ENGINE_VEC_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "engine/types.h"
#include "engine/vec/arena.h"
#include "engine/vec/vector.h"

/* Arrays longer than this are refused (keeps every size in 32 bits). */
#define ARRAY_MAX_COUNT (1u << 28)

/* One element: i for BOOLEAN/INT/DATE/BIGINT/DECIMAL/TIMESTAMP, d for
 * DOUBLE, s for STRING (borrowed from the array's bytes). */
struct array_elem {
  int is_null;
  int64_t i;
  double d;
  struct sv s;
};

struct array_iter {
  const unsigned char *bits, *p, *end;
  uint32_t count, next;
  enum type_id elem;
};

/* Bytes of one element slot of a fixed-width element type (0 for STRING and
 * unsupported types). */
size_t array_elem_width(enum type_id elem);

/* 1 when elem may be an array element type. */
int array_elem_ok(enum type_id elem);

/* Start reading array a of elements elem (a's bytes borrowed). Returns 0 or
 * ERR_PARSE when the header does not fit. */
int array_iter_init(struct array_iter *it, struct sv a, enum type_id elem);

/* Next element into *out: 1, 0 at the end, ERR_PARSE on corrupt bytes. */
int array_iter_next(struct array_iter *it, struct array_elem *out);

/* Number of elements of a (0 when a is too short to hold a count). */
uint32_t array_count(struct sv a);

/* 0 when a is a well-formed array of elem, else ERR_PARSE. */
int array_validate(struct sv a, enum type_id elem);

/* The element slots of a: *p and *len (borrowed) and whether any element is
 * NULL. Returns 0 or ERR_PARSE. */
int array_payload(struct sv a, enum type_id elem, const char **p, size_t *len, int *has_null);

/* Append element e of type elem to an element stream (no NULLs). */
int array_stream_put(struct buf *stream, enum type_id elem, const struct array_elem *e);

/* Encode a NULL-free element stream of count elements as an array in heap
 * (*out borrows heap). Returns 0, ERR_NOMEM or ERR_TOOBIG. */
int array_from_stream(struct arena *heap, const char *stream, size_t len, uint32_t count,
                      struct sv *out);

/* Drop repeated elements of a NULL-free stream in place, keeping each first
 * occurrence in order; *len and *count are updated. Returns 0 or ERR_NOMEM. */
int array_stream_distinct(enum type_id elem, char *stream, size_t *len, uint32_t *count);

/* Encode n elements (NULLs allowed) as an array in heap. 0 or an error. */
int array_build(struct arena *heap, enum type_id elem, const struct array_elem *v, uint32_t n,
                struct sv *out);

/* Decode every element of a into a new array *out (free()) of *n entries
 * (string elements borrow a's bytes). 0, ERR_PARSE or ERR_NOMEM. */
int array_decode(struct sv a, enum type_id elem, struct array_elem **out, uint32_t *n);

/* Spark's ordering of two non-NULL elements (NaN above every number). */
int array_elem_cmp(enum type_id elem, const struct array_elem *x, const struct array_elem *y);

/* Append non-NULL element e of type elem (DECIMAL: of scale scale) as
 * CAST(e AS STRING) prints it. */
int array_elem_text(enum type_id elem, int scale, const struct array_elem *e, struct buf *out);

/* Append array a of type t (an ARRAY type) as Spark's show() prints it:
 * [1, 2, null], strings unquoted, elements as CAST(x AS STRING). */
int array_format(struct sv a, struct type t, struct buf *out);

/* Append a as a JSON array (numbers bare, strings/dates quoted, null). */
int array_format_json(struct sv a, struct type t, struct buf *out);

#endif
