/* eval_aggkey.h: agg_ordkey(ord, x), the argument max_by / min_by aggregate.
 *
 * The value is a STRING whose bytes compare (memcmp, shorter first on a
 * common prefix) as ord compares in Spark, followed by x, so that max_by and
 * min_by are max / min of one string: one partial state column that crosses
 * shuffles and spill files like any string. Layout:
 *   ord, order-preserving and prefix-free (see eval_aggkey.c)
 *   u8  1 when x is not NULL, else 0
 *   x   fixed-width values in their vector bytes; STRING/ARRAY bytes as is
 *   u32 length of the ord part (little-endian), so x is found without ord's type
 * NULL when ord is NULL (max_by/min_by skip such rows). */
#ifndef KINDLING_ENGINE_EXEC_EVAL_AGGKEY_H
#define KINDLING_ENGINE_EXEC_EVAL_AGGKEY_H

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "engine/vec/vector.h"

struct eval_prog;
struct eval_node;

/* Set nd->kern for an FN_AGG_ORDKEY node (arguments already built).
 * Returns 0, or ERR_UNSUPPORTED with err filled for an unorderable ord. */
int eval_aggkey_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

/* The x part of key k: *p / *len borrow k's bytes. Returns 1 when x is not
 * NULL, 0 when it is NULL, -1 when k is malformed. */
static inline int eval_aggkey_payload(struct sv k, const char **p, uint32_t *len) {
  uint32_t ol;
  if (k.len < 5) return -1;
  memcpy(&ol, k.ptr + k.len - 4, 4);
  if (ol > k.len - 5) return -1;
  *p = k.ptr + ol + 1;
  *len = k.len - 5 - ol;
  return k.ptr[ol] ? 1 : 0;
}

#endif
