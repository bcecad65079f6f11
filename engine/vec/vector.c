/* vector.c: typed column storage and Spark-style value formatting. */
#include "engine/vec/vector.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "engine/vec/array.h"
#include "engine/vec/datetime.h"
#include "engine/vec/numparse.h"

size_t vector_elem_size(enum type_id id) {
  switch (id) {
    case TYPE_BOOLEAN: return 1;
    case TYPE_INT:
    case TYPE_DATE: return 4;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP:
    case TYPE_DOUBLE: return 8;
    case TYPE_STRING:
    case TYPE_ARRAY: return sizeof(struct sv);
    default: return 0;
  }
}

int vector_init(struct vector *v, struct type t, uint32_t capacity, struct arena *heap) {
  memset(v, 0, sizeof *v);
  v->type = t;
  size_t es = vector_elem_size(t.id);
  if (!es || capacity == 0 || capacity > VECTOR_MAX_CAPACITY) return ERR_INVAL;
  if (type_is_varlen(t.id) && !heap) return ERR_INVAL;
  v->data = calloc(capacity, es);
  v->validity = calloc(bitmap_words(capacity), sizeof(uint64_t));
  if (!v->data || !v->validity) {
    vector_fini(v);
    return ERR_NOMEM;
  }
  v->capacity = capacity;
  v->heap = heap;
  return 0;
}

void vector_fini(struct vector *v) {
  free(v->data);
  free(v->validity);
  v->data = NULL;
  v->validity = NULL;
  v->count = v->capacity = 0;
}

void vector_reset(struct vector *v) { v->count = 0; }

void vector_set_null(struct vector *v, uint32_t i) {
  bitmap_clear(v->validity, i);
  size_t es = vector_elem_size(v->type.id);
  memset((char *)v->data + (size_t)i * es, 0, es);
}

static int append_slot(struct vector *v, enum type_id want1, enum type_id want2,
                       enum type_id want3) {
  if (v->type.id != want1 && v->type.id != want2 && v->type.id != want3) return ERR_INVAL;
  if (v->count >= v->capacity) return ERR_TOOBIG;
  return 0;
}

int vector_append_null(struct vector *v) {
  if (v->count >= v->capacity) return ERR_TOOBIG;
  vector_set_null(v, v->count++);
  return 0;
}

int vector_append_bool(struct vector *v, int b) {
  int rc = append_slot(v, TYPE_BOOLEAN, TYPE_BOOLEAN, TYPE_BOOLEAN);
  if (rc) return rc;
  vector_u8(v)[v->count] = b ? 1 : 0;
  bitmap_set(v->validity, v->count++);
  return 0;
}

int vector_append_i32(struct vector *v, int32_t x) {
  int rc = append_slot(v, TYPE_INT, TYPE_DATE, TYPE_DATE);
  if (rc) return rc;
  vector_i32(v)[v->count] = x;
  bitmap_set(v->validity, v->count++);
  return 0;
}

int vector_append_i64(struct vector *v, int64_t x) {
  int rc = append_slot(v, TYPE_BIGINT, TYPE_DECIMAL, TYPE_TIMESTAMP);
  if (rc) return rc;
  vector_i64(v)[v->count] = x;
  bitmap_set(v->validity, v->count++);
  return 0;
}

int vector_append_f64(struct vector *v, double x) {
  int rc = append_slot(v, TYPE_DOUBLE, TYPE_DOUBLE, TYPE_DOUBLE);
  if (rc) return rc;
  vector_f64(v)[v->count] = x;
  bitmap_set(v->validity, v->count++);
  return 0;
}

int vector_set_str(struct vector *v, uint32_t i, const char *p, size_t n) {
  if (n > UINT32_MAX) return ERR_TOOBIG;
  char *d = arena_alloc(v->heap, n);
  if (!d) return ERR_NOMEM;
  if (n) memcpy(d, p, n);
  vector_sv(v)[i] = sv_make(d, (uint32_t)n);
  bitmap_set(v->validity, i);
  return 0;
}

int vector_append_str(struct vector *v, const char *p, size_t n) {
  int rc = append_slot(v, TYPE_STRING, TYPE_ARRAY, TYPE_STRING);
  if (rc) return rc;
  rc = vector_set_str(v, v->count, p, n);
  if (rc == 0) v->count++;
  return rc;
}

/* Fast path of shortest_digits for the common x = m / 10^k with m < 2^53
 * and k <= 15 (prices, ratios, integers): the first k for which m / 10^k
 * rounds back to x gives the fewest fraction digits, hence the fewest
 * significant digits, and is exact because m and 10^k are exact doubles and
 * IEEE division rounds correctly, as strtod does. Returns 0 when x is not of
 * that form (the caller then searches with printf). */
static int decimal_digits(double x, char *digits, int *exp10) {
  static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (!(x > 0) || x >= 9007199254740992.0) return 0;
  for (int k = 0; k < 16; k++) {
    double scaled = x * p10[k];
    if (scaled >= 9007199254740992.0) return 0;
    /* The product is rounded: near the precision limit the nearest integer
     * to it may be one off the m that divides back to x, so try both sides. */
    double m = nearbyint(scaled);
    if (m / p10[k] != x) m = (m + 1) / p10[k] == x ? m + 1 : (m - 1) / p10[k] == x ? m - 1 : 0;
    if (m <= 0) continue;
    char tmp[24];
    uint64_t u = (uint64_t)m;
    int n = 0;
    do tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    *exp10 = n - 1 - k;
    int len = 0;
    while (len < n && tmp[len] == '0') len++; /* trailing zeros of m */
    int nd = n - len;
    for (int i = 0; i < nd; i++) digits[i] = tmp[n - 1 - i];
    digits[nd] = '\0';
    return nd;
  }
  return 0;
}

/* Shortest "%.*e" digits that read back as x. */
static int shortest_digits(double x, char *digits, int *exp10) {
  int fast = decimal_digits(x, digits, exp10);
  if (fast) return fast;
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    int len = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
    double back;
    if (prec == 17 || (numparse_double(tmp, (size_t)len, &back) == 0 && back == x)) break;
  }
  /* tmp is d[.ddd]e[+-]xx */
  int n = 0;
  const char *p = tmp;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[n++] = *p;
  while (n > 1 && digits[n - 1] == '0') n--;
  digits[n] = '\0';
  *exp10 = atoi(p + 1);
  return n;
}

int vector_format_double(double x, struct buf *out) {
  if (isnan(x)) return buf_puts(out, "NaN");
  if (isinf(x)) return buf_puts(out, x > 0 ? "Infinity" : "-Infinity");
  if (x == 0) return buf_puts(out, signbit(x) ? "-0.0" : "0.0");
  int rc = 0;
  if (x < 0) {
    rc = buf_putc(out, '-');
    x = -x;
  }
  char d[24];
  int e;
  int n = shortest_digits(x, d, &e);
  /* Java: plain notation for 1e-3 <= x < 1e7, else d.dddE[-]n. */
  if (x >= 1e-3 && x < 1e7) {
    if (e >= 0) {
      for (int i = 0; i <= e; i++) rc = rc ? rc : buf_putc(out, i < n ? d[i] : '0');
      rc = rc ? rc : buf_putc(out, '.');
      if (n > e + 1) rc = rc ? rc : buf_append(out, d + e + 1, (size_t)(n - e - 1));
      else rc = rc ? rc : buf_putc(out, '0');
    } else {
      rc = rc ? rc : buf_puts(out, "0.");
      for (int i = 0; i < -e - 1; i++) rc = rc ? rc : buf_putc(out, '0');
      rc = rc ? rc : buf_append(out, d, (size_t)n);
    }
    return rc;
  }
  rc = rc ? rc : buf_putc(out, d[0]);
  rc = rc ? rc : buf_putc(out, '.');
  rc = rc ? rc : (n > 1 ? buf_append(out, d + 1, (size_t)(n - 1)) : buf_putc(out, '0'));
  return rc ? rc : buf_printf(out, "E%d", e);
}

int vector_format_decimal(int64_t unscaled, int scale, struct buf *out) {
  char digits[24];
  uint64_t u = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
  int n = snprintf(digits, sizeof digits, "%" PRIu64, u);
  int rc = unscaled < 0 ? buf_putc(out, '-') : 0;
  if (scale <= 0) return rc ? rc : buf_append(out, digits, (size_t)n);
  if (n <= scale) {
    rc = rc ? rc : buf_puts(out, "0.");
    for (int i = n; i < scale; i++) rc = rc ? rc : buf_putc(out, '0');
    return rc ? rc : buf_append(out, digits, (size_t)n);
  }
  rc = rc ? rc : buf_append(out, digits, (size_t)(n - scale));
  rc = rc ? rc : buf_putc(out, '.');
  return rc ? rc : buf_append(out, digits + n - scale, (size_t)scale);
}

int vector_to_text(const struct vector *v, uint32_t i, struct buf *out) {
  if (i >= v->count) return ERR_INVAL;
  if (vector_is_null(v, i)) return buf_puts(out, "NULL");
  char tmp[48];
  switch (v->type.id) {
    case TYPE_BOOLEAN: return buf_puts(out, vector_u8(v)[i] ? "true" : "false");
    case TYPE_INT: return buf_printf(out, "%" PRId32, vector_i32(v)[i]);
    case TYPE_BIGINT: return buf_printf(out, "%" PRId64, vector_i64(v)[i]);
    case TYPE_DOUBLE: return vector_format_double(vector_f64(v)[i], out);
    case TYPE_DECIMAL: return vector_format_decimal(vector_i64(v)[i], v->type.scale, out);
    case TYPE_STRING: {
      struct sv s = vector_sv(v)[i];
      return buf_append(out, s.ptr, s.len);
    }
    case TYPE_DATE: return buf_append(out, tmp, datetime_format_date(vector_i32(v)[i], tmp));
    case TYPE_TIMESTAMP:
      return buf_append(out, tmp, datetime_format_timestamp(vector_i64(v)[i], tmp));
    case TYPE_ARRAY: return array_format(vector_sv(v)[i], v->type, out);
    default: return ERR_INVAL;
  }
}
