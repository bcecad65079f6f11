/* rowcmp.c: see rowcmp.h. */
#include "engine/exec/rowcmp.h"

#include <math.h>
#include <string.h>

static int cmp_dbl(double x, double y) {
  int nx = isnan(x), ny = isnan(y);
  if (nx || ny) return nx - ny;
  return (x > y) - (x < y);
}

static int cmp_sv(const struct sv *x, const struct sv *y) {
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

int rowcmp_cmp(const struct rowcmp_key *keys, int from, int nkeys, const struct batch *a,
               uint32_t ia, const struct batch *b, uint32_t ib) {
  for (int k = from; k < nkeys; k++) {
    const struct rowcmp_key *K = &keys[k];
    const struct vector *va = &a->cols[K->col], *vb = &b->cols[K->col];
    int na = !bitmap_get(va->validity, ia), nb = !bitmap_get(vb->validity, ib);
    if (na || nb) {
      if (na && nb) continue;
      /* NULL placement does not flip with DESC. */
      return na ? (K->nulls_first ? -1 : 1) : (K->nulls_first ? 1 : -1);
    }
    int c;
    switch (K->type) {
    case TYPE_BOOLEAN: c = (int)vector_u8(va)[ia] - (int)vector_u8(vb)[ib]; break;
    case TYPE_INT:
    case TYPE_DATE: {
      int32_t x = vector_i32(va)[ia], y = vector_i32(vb)[ib];
      c = (x > y) - (x < y);
      break;
    }
    case TYPE_DOUBLE: c = cmp_dbl(vector_f64(va)[ia], vector_f64(vb)[ib]); break;
    case TYPE_STRING: c = cmp_sv(&vector_sv(va)[ia], &vector_sv(vb)[ib]); break;
    default: {
      int64_t x = vector_i64(va)[ia], y = vector_i64(vb)[ib];
      c = (x > y) - (x < y);
      break;
    }
    }
    if (c) return K->desc ? -c : c;
  }
  return 0;
}

uint64_t rowcmp_norm(const struct vector *v, uint32_t i) {
  const uint64_t SIGN = (uint64_t)1 << 63;
  switch (v->type.id) {
  case TYPE_BOOLEAN: return vector_u8(v)[i];
  case TYPE_INT:
  case TYPE_DATE: return (uint64_t)(int64_t)vector_i32(v)[i] ^ SIGN;
  case TYPE_DOUBLE: {
    double x = vector_f64(v)[i];
    if (x == 0) x = 0.0;
    if (isnan(x)) return ~(uint64_t)0;
    uint64_t u;
    memcpy(&u, &x, 8);
    return (u & SIGN) ? ~u : (u | SIGN);
  }
  case TYPE_STRING: {
    const struct sv *s = &vector_sv(v)[i];
    unsigned char b[8] = {0};
    memcpy(b, s->ptr ? s->ptr : "", s->len < 8 ? s->len : 8);
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) u = (u << 8) | b[k];
    return u;
  }
  default: return (uint64_t)vector_i64(v)[i] ^ SIGN;
  }
}
