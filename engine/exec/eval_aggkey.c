/* eval_aggkey.c: the agg_ordkey kernel (see eval_aggkey.h).
 *
 * ord is written so that memcmp order is Spark's order of ord and no
 * encoding is a prefix of another (so x, after it, only breaks ties):
 *   BOOLEAN        1 byte
 *   INT / DATE     4 bytes big-endian, sign bit flipped
 *   BIGINT / TIMESTAMP / DECIMAL   8 bytes the same way
 *   DOUBLE         8 bytes: -0.0 taken as 0.0 and every NaN as one NaN above
 *                  every number (Spark's order), then the usual sign trick
 *   STRING         the bytes with 0x00 written 0x00 0x01, then 0x00 0x00 */
#include "engine/exec/eval_aggkey.h"

#include <math.h>

#include "engine/exec/eval_kern.h"

#define ARG(k) (nd->args[k]->res)

static void put_be(char *d, uint64_t v, int n) {
  for (int k = n - 1; k >= 0; k--) {
    d[k] = (char)(v & 0xff);
    v >>= 8;
  }
}

static uint64_t dbl_key(double x) {
  uint64_t b;
  if (x == 0) x = 0.0;
  if (isnan(x)) x = NAN;
  memcpy(&b, &x, 8);
  if (isnan(x)) b = UINT64_C(0x7ff8000000000000);
  return (b >> 63) ? ~b : b ^ (UINT64_C(1) << 63);
}

/* Bytes of the ord encoding of row i. */
static size_t ord_len(const struct vector *o, uint32_t i) {
  switch (o->type.id) {
  case TYPE_BOOLEAN: return 1;
  case TYPE_INT:
  case TYPE_DATE: return 4;
  case TYPE_STRING: {
    struct sv s = vector_sv(o)[i];
    size_t n = (size_t)s.len + 2;
    for (uint32_t k = 0; k < s.len; k++) n += s.ptr[k] == 0;
    return n;
  }
  default: return 8;
  }
}

static void ord_put(const struct vector *o, uint32_t i, char *d) {
  switch (o->type.id) {
  case TYPE_BOOLEAN: d[0] = (char)(vector_u8(o)[i] != 0); break;
  case TYPE_INT:
  case TYPE_DATE: put_be(d, (uint32_t)vector_i32(o)[i] ^ UINT32_C(0x80000000), 4); break;
  case TYPE_DOUBLE: put_be(d, dbl_key(vector_f64(o)[i]), 8); break;
  case TYPE_STRING: {
    struct sv s = vector_sv(o)[i];
    for (uint32_t k = 0; k < s.len; k++) {
      *d++ = s.ptr[k];
      if (!s.ptr[k]) *d++ = 1;
    }
    d[0] = d[1] = 0;
    break;
  }
  default: put_be(d, (uint64_t)vector_i64(o)[i] ^ (UINT64_C(1) << 63), 8); break;
  }
}

/* Bytes of x's value at row i (not NULL) and where they are. */
static const void *x_bytes(const struct vector *x, uint32_t i, size_t *n) {
  switch (x->type.id) {
  case TYPE_NULL:
  case TYPE_BOOLEAN: *n = 1; return &vector_u8(x)[i];
  case TYPE_INT:
  case TYPE_DATE: *n = 4; return &vector_i32(x)[i];
  case TYPE_DOUBLE: *n = 8; return &vector_f64(x)[i];
  case TYPE_STRING:
  case TYPE_ARRAY: *n = vector_sv(x)[i].len; return vector_sv(x)[i].ptr;
  default: *n = 8; return &vector_i64(x)[i];
  }
}

static int k_ordkey(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const struct vector *o = ARG(0), *x = ARG(1);
  eval_valid_copy(nd->vec.validity, o->validity, rt->nwords);
  struct sv *out = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    size_t ol = ord_len(o, i), xl = 0;
    int xv = bitmap_get(x->validity, i);
    const void *xp = xv ? x_bytes(x, i, &xl) : NULL;
    size_t tot = ol + 1 + xl + 4;
    if (tot > UINT32_MAX / 2)
      return err_set(rt->err, ERR_TOOBIG, "max_by/min_by value too large");
    char *d = eval_heap_alloc(rt, tot);
    if (!d) return ERR_NOMEM;
    ord_put(o, i, d);
    d[ol] = (char)xv;
    if (xl) memcpy(d + ol + 1, xp, xl);
    uint32_t ol32 = (uint32_t)ol;
    memcpy(d + ol + 1 + xl, &ol32, 4);
    out[i] = sv_make(d, (uint32_t)tot);
  });
  return 0;
}

int eval_aggkey_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  const struct expr *e = nd->e;
  if (nd->nargs != 2 || nd->type.id != TYPE_STRING)
    return err_set_at(err, ERR_INVAL, e->pos.line, e->pos.column,
                      "internal error: agg_ordkey() expects two arguments");
  switch (nd->args[0]->type.id) {
  case TYPE_NULL:
  case TYPE_BOOLEAN:
  case TYPE_INT:
  case TYPE_DATE:
  case TYPE_BIGINT:
  case TYPE_TIMESTAMP:
  case TYPE_DECIMAL:
  case TYPE_DOUBLE:
  case TYPE_STRING: break;
  default:
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "max_by/min_by order by a value of this type is not supported by the "
                      "local engine");
  }
  if (nd->args[1]->type.id == TYPE_INTERVAL)
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "max_by/min_by of an INTERVAL is not supported by the local engine");
  nd->kern = k_ordkey;
  return 0;
}
