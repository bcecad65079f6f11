/* eval_cast.c: CAST kernels for every pair of types Spark allows. One
 * kernel per (from, to) pair, chosen at compile time. The base kernels give
 * NULL for a value that does not fit or text that does not parse: that is
 * try_cast, and Spark's non-ANSI CAST except for narrowing integer casts,
 * which wrap (Java) and DOUBLE to integer, which saturates (legacy kernels
 * below). In ANSI mode (expr.ansi) the base kernel runs and the first row
 * it made NULL raises CAST_INVALID_INPUT, CAST_OVERFLOW or
 * NUMERIC_VALUE_OUT_OF_RANGE with Spark's texts. */
#include "engine/exec/eval_cast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/vec/array.h"
#include "engine/vec/datetime.h"
#include "engine/vec/numparse.h"
#include "engine/vec/schema.h"

/* STMT reads x, so, si, po (target scale/precision, source scale) and sets r
 * and bad. */
#define CAST_DEF(NAME, TI, TO, STMT)                                                  \
  static int NAME(const struct vector *in, struct vector *out, const uint32_t *sel,  \
                  uint32_t n, size_t nw, struct buf *tmp) {                                           \
    const TI *a = in->data;                                                          \
    TO *o = out->data;                                                               \
    uint64_t *ov = out->validity;                                                    \
    const int si = in->type.scale, so = out->type.scale;                             \
    const int po = out->type.precision > 18 ? 18 : out->type.precision;              \
    const int64_t lim = numparse_pow10(po);                                          \
    (void)si;                                                                        \
    (void)so;                                                                        \
    (void)lim;                                                                       \
    (void)tmp;                                                                       \
    eval_valid_copy(ov, in->validity, nw);                                           \
    EVAL_FOR_SEL(i, sel, n, {                                                        \
      TI x = a[i];                                                                   \
      TO r = 0;                                                                      \
      int bad = 0;                                                                   \
      STMT;                                                                          \
      o[i] = bad ? 0 : r;                                                            \
      if (bad) bitmap_clear(ov, i);                                                  \
    });                                                                              \
    return 0;                                                                        \
  }

static inline int64_t hup_div(int64_t x, int64_t m) {
  int64_t q = x / m, r = x % m;
  if (r >= 0 ? 2 * r >= m : -2 * r >= m) q += x < 0 ? -1 : 1;
  return q;
}
static inline int64_t floor_div64(int64_t x, int64_t m) {
  int64_t q = x / m;
  return (x % m != 0 && x < 0) ? q - 1 : q;
}

/* unscaled x at scale si to scale so, HALF_UP; 1 on overflow of lim. */
static inline int rescale(int64_t x, int si, int so, int64_t lim, int64_t *r) {
  if (so >= si) {
    if (so - si > 18) {
      *r = 0;
      return x != 0;
    }
    if (__builtin_mul_overflow(x, numparse_pow10(so - si), r)) return 1;
  } else {
    *r = si - so > 18 ? 0 : hup_div(x, numparse_pow10(si - so));
  }
  return *r >= lim || *r <= -lim;
}

/* numbers <-> numbers */
CAST_DEF(b_to_i32, uint8_t, int32_t, r = x ? 1 : 0)
CAST_DEF(b_to_i64, uint8_t, int64_t, r = x ? 1 : 0)
CAST_DEF(b_to_f64, uint8_t, double, r = x ? 1 : 0)
CAST_DEF(b_to_dec, uint8_t, int64_t, bad = rescale(x ? 1 : 0, 0, so, lim, &r))
CAST_DEF(i32_to_b, int32_t, uint8_t, r = x != 0)
CAST_DEF(i32_to_i64, int32_t, int64_t, r = x)
CAST_DEF(i32_to_f64, int32_t, double, r = x)
CAST_DEF(i32_to_dec, int32_t, int64_t, bad = rescale(x, 0, so, lim, &r))
CAST_DEF(i64_to_b, int64_t, uint8_t, r = x != 0)
CAST_DEF(i64_to_i32, int64_t, int32_t, bad = x < INT32_MIN || x > INT32_MAX; r = (int32_t)(bad ? 0 : x))
CAST_DEF(i64_to_f64, int64_t, double, r = (double)x)
CAST_DEF(i64_to_dec, int64_t, int64_t, bad = rescale(x, 0, so, lim, &r))
CAST_DEF(f64_to_b, double, uint8_t, r = x != 0)
CAST_DEF(f64_to_i32, double, int32_t,
         bad = !(x > -2147483649.0 && x < 2147483648.0); r = bad ? 0 : (int32_t)x)
CAST_DEF(f64_to_i64, double, int64_t,
         bad = !(x >= -9223372036854775808.0 && x < 9223372036854775808.0);
         r = bad ? 0 : (int64_t)x)
CAST_DEF(dec_to_b, int64_t, uint8_t, r = x != 0)
CAST_DEF(dec_to_i32, int64_t, int32_t, int64_t t = si > 18 ? 0 : x / numparse_pow10(si);
         bad = t < INT32_MIN || t > INT32_MAX; r = (int32_t)(bad ? 0 : t))
CAST_DEF(dec_to_i64, int64_t, int64_t, r = si > 18 ? 0 : x / numparse_pow10(si))
CAST_DEF(dec_to_f64, int64_t, double, r = (double)x / (double)numparse_pow10(si > 18 ? 18 : si))
CAST_DEF(dec_to_dec, int64_t, int64_t, bad = rescale(x, si, so, lim, &r))

/* Non-ANSI CAST of a number that does not fit (Spark's legacy mode): Java's
 * narrowing, wrapping for integers and saturating for DOUBLE (NaN -> 0). */
CAST_DEF(i64_to_i32_wrap, int64_t, int32_t, r = (int32_t)(uint32_t)(uint64_t)x)
CAST_DEF(f64_to_i32_sat, double, int32_t,
         r = x != x ? 0 : x >= 2147483647.0 ? INT32_MAX : x <= -2147483648.0 ? INT32_MIN
                                                                              : (int32_t)x)
CAST_DEF(f64_to_i64_sat, double, int64_t,
         r = x != x ? 0 : x >= 9223372036854775807.0 ? INT64_MAX
             : x <= -9223372036854775808.0 ? INT64_MIN : (int64_t)x)
CAST_DEF(dec_to_i32_wrap, int64_t, int32_t,
         r = (int32_t)(uint32_t)(uint64_t)(si > 18 ? 0 : x / numparse_pow10(si)))
CAST_DEF(ts_to_i32_wrap, int64_t, int32_t,
         r = (int32_t)(uint32_t)(uint64_t)floor_div64(x, 1000000))

/* dates and timestamps */
CAST_DEF(date_to_ts, int32_t, int64_t,
         bad = __builtin_mul_overflow((int64_t)x, DATETIME_US_PER_DAY, &r))
CAST_DEF(ts_to_date, int64_t, int32_t, r = (int32_t)floor_div64(x, DATETIME_US_PER_DAY))
CAST_DEF(ts_to_b, int64_t, uint8_t, r = x != 0)
CAST_DEF(ts_to_i64, int64_t, int64_t, r = floor_div64(x, 1000000))
CAST_DEF(ts_to_i32, int64_t, int32_t, int64_t t = floor_div64(x, 1000000);
         bad = t < INT32_MIN || t > INT32_MAX; r = (int32_t)(bad ? 0 : t))
CAST_DEF(ts_to_f64, int64_t, double, r = (double)x / 1e6)
CAST_DEF(ts_to_dec, int64_t, int64_t, bad = rescale(x, 6, so, lim, &r))
CAST_DEF(b_to_ts, uint8_t, int64_t, r = x ? 1 : 0)
CAST_DEF(i32_to_ts, int32_t, int64_t, r = (int64_t)x * 1000000)
CAST_DEF(i64_to_ts, int64_t, int64_t, bad = __builtin_mul_overflow(x, (int64_t)1000000, &r))
CAST_DEF(f64_to_ts, double, int64_t, double us = x * 1e6;
         bad = !(us >= -9223372036854775808.0 && us < 9223372036854775808.0);
         r = bad ? 0 : (int64_t)us)
CAST_DEF(dec_to_ts, int64_t, int64_t, bad = rescale(x, si, 6, INT64_MAX, &r))

static int all_null(const struct vector *in, struct vector *out, const uint32_t *sel, uint32_t n,
                    size_t nw, struct buf *tmp) {
  (void)in;
  (void)tmp;
  (void)sel;
  (void)n;
  eval_valid_clear(out->validity, nw);
  return 0;
}

static int copy_same(const struct vector *in, struct vector *out, const uint32_t *sel,
                     uint32_t n, size_t nw, struct buf *tmp) {
  (void)tmp;
  size_t es = vector_elem_size(in->type.id);
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_SEL(i, sel, n, {
    memcpy((char *)out->data + es * i, (const char *)in->data + es * i, es);
  });
  return 0;
}

/* double -> DECIMAL goes through the shortest decimal text, as Spark's
 * Decimal(Double) does (BigDecimal of Double.toString), then HALF_UP. */
static int f64_to_dec(const struct vector *in, struct vector *out, const uint32_t *sel,
                      uint32_t n, size_t nw, struct buf *tmp) {
  const double *a = in->data;
  int64_t *o = out->data;
  int po = out->type.precision > 18 ? 18 : out->type.precision, so = out->type.scale;
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    int64_t r;
    buf_reset(tmp);
    if (vector_format_double(a[i], tmp) != 0) return ERR_NOMEM;
    if (numparse_decimal(tmp->data, tmp->len, po, so, &r) == 0) o[i] = r;
    else {
      o[i] = 0;
      bitmap_clear(out->validity, i);
    }
  });
  return 0;
}

/* ---------------------------------------------------------- to STRING */

static int put_str(struct vector *out, uint32_t i, const char *p, size_t n) {
  return vector_set_str(out, i, p, n);
}

static size_t fmt_i64(int64_t v, char *buf) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  size_t k = 0;
  if (v < 0) buf[k++] = '-';
  while (n) buf[k++] = tmp[--n];
  return k;
}

static int to_string(const struct vector *in, struct vector *out, const uint32_t *sel,
                     uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  struct sv *o = out->data;
  char txt[48];
  int rc = 0;
  switch (in->type.id) {
    case TYPE_BOOLEAN:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        o[i] = vector_u8(in)[i] ? sv_make("true", 4) : sv_make("false", 5);
      });
      return 0;
    case TYPE_INT:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        if ((rc = put_str(out, i, txt, fmt_i64(vector_i32(in)[i], txt)))) return rc;
      });
      return 0;
    case TYPE_BIGINT:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        if ((rc = put_str(out, i, txt, fmt_i64(vector_i64(in)[i], txt)))) return rc;
      });
      return 0;
    case TYPE_DATE:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        if ((rc = put_str(out, i, txt, datetime_format_date(vector_i32(in)[i], txt)))) return rc;
      });
      return 0;
    case TYPE_TIMESTAMP:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        if ((rc = put_str(out, i, txt, datetime_format_timestamp(vector_i64(in)[i], txt))))
          return rc;
      });
      return 0;
    case TYPE_DOUBLE:
    case TYPE_DECIMAL:
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        buf_reset(tmp);
        rc = in->type.id == TYPE_DOUBLE
                 ? vector_format_double(vector_f64(in)[i], tmp)
                 : vector_format_decimal(vector_i64(in)[i], in->type.scale, tmp);
        if (!rc) rc = put_str(out, i, tmp->data, tmp->len);
        if (rc) return rc;
      });
      return 0;
    case TYPE_ARRAY: /* the text of show(): [1, 2, null] */
      EVAL_FOR_VALID(i, sel, n, in->validity, {
        buf_reset(tmp);
        rc = array_format(vector_sv(in)[i], in->type, tmp);
        if (!rc) rc = put_str(out, i, tmp->data ? tmp->data : "", tmp->len);
        if (rc) return rc;
      });
      return 0;
    default: return all_null(in, out, sel, n, nw, tmp);
  }
}

/* -------------------------------------------------------- from STRING */

static int ieq(const char *p, size_t n, const char *lit) {
  size_t k = strlen(lit);
  if (k != n) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (c != lit[i]) return 0;
  }
  return 1;
}

int eval_cast_parse_bool(const char *p, size_t n, int *out) {
  eval_trim_ws(&p, &n);
  static const char *const yes[] = {"t", "true", "y", "yes", "1"};
  static const char *const no[] = {"f", "false", "n", "no", "0"};
  for (int k = 0; k < 5; k++) {
    if (ieq(p, n, yes[k])) {
      *out = 1;
      return 0;
    }
    if (ieq(p, n, no[k])) {
      *out = 0;
      return 0;
    }
  }
  return -1;
}

int eval_cast_parse_i64(const char *p, size_t n, int64_t lo, int64_t hi, int64_t *out) {
  eval_trim_ws(&p, &n);
  size_t i = 0;
  int neg = 0;
  if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
  uint64_t v = 0, lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
  int digits = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
    v = v * 10 + (uint64_t)(p[i] - '0');
    if (v > lim) return -1;
    digits++;
  }
  /* Spark accepts and truncates a fractional part ("1.9" -> 1) */
  if (i < n && p[i] == '.') {
    for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) digits++;
  }
  if (i != n || digits == 0) return -1;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int eval_cast_parse_double(const char *p, size_t n, double *out) {
  eval_trim_ws(&p, &n);
  if (numparse_double(p, n, out) == 0) return 0;
  const char *q = p;
  size_t m = n;
  int neg = 0;
  if (m && (*q == '+' || *q == '-')) neg = *q == '-', q++, m--;
  if (ieq(q, m, "inf") || ieq(q, m, "infinity")) {
    *out = neg ? -INFINITY : INFINITY;
    return 0;
  }
  if (q == p && ieq(q, m, "nan")) {
    *out = NAN;
    return 0;
  }
  return -1;
}

static int s_to_b(const struct vector *in, struct vector *out, const uint32_t *sel, uint32_t n,
                  size_t nw, struct buf *tmp) {
  (void)tmp;
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    int b;
    if (eval_cast_parse_bool(s.ptr, s.len, &b) == 0) vector_u8(out)[i] = (uint8_t)b;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_i32(const struct vector *in, struct vector *out, const uint32_t *sel,
                    uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    int64_t v;
    if (eval_cast_parse_i64(s.ptr, s.len, INT32_MIN, INT32_MAX, &v) == 0)
      vector_i32(out)[i] = (int32_t)v;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_i64(const struct vector *in, struct vector *out, const uint32_t *sel,
                    uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    int64_t v;
    if (eval_cast_parse_i64(s.ptr, s.len, INT64_MIN, INT64_MAX, &v) == 0)
      vector_i64(out)[i] = v;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_f64(const struct vector *in, struct vector *out, const uint32_t *sel,
                    uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    double v;
    if (eval_cast_parse_double(s.ptr, s.len, &v) == 0) vector_f64(out)[i] = v;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_dec(const struct vector *in, struct vector *out, const uint32_t *sel,
                    uint32_t n, size_t nw, struct buf *tmp) {
  int po = out->type.precision > 18 ? 18 : out->type.precision, so = out->type.scale;
  if (po < 1) po = 18;
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    const char *p = s.ptr;
    size_t len = s.len;
    int64_t v;
    eval_trim_ws(&p, &len);
    if (numparse_decimal(p, len, po, so, &v) == 0) vector_i64(out)[i] = v;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_date(const struct vector *in, struct vector *out, const uint32_t *sel,
                     uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    const char *p = s.ptr;
    size_t len = s.len;
    int32_t v;
    eval_trim_ws(&p, &len);
    if (datetime_parse_date(p, len, &v) == 0) vector_i32(out)[i] = v;
    else vector_set_null(out, i);
  });
  return 0;
}

static int s_to_ts(const struct vector *in, struct vector *out, const uint32_t *sel,
                   uint32_t n, size_t nw, struct buf *tmp) {
  eval_valid_copy(out->validity, in->validity, nw);
  EVAL_FOR_VALID(i, sel, n, in->validity, {
    struct sv s = vector_sv(in)[i];
    const char *p = s.ptr;
    size_t len = s.len;
    int64_t v;
    eval_trim_ws(&p, &len);
    if (datetime_parse_timestamp(p, len, &v) == 0) vector_i64(out)[i] = v;
    else vector_set_null(out, i);
  });
  return 0;
}

eval_cast_fn eval_cast_pick(struct type from, struct type to) {
  enum type_id f = from.id, t = to.id;
  if (f == TYPE_NULL) return all_null;
  if (t == TYPE_NULL || t == TYPE_INTERVAL || f == TYPE_INTERVAL) return NULL;
  if (f == TYPE_ARRAY || t == TYPE_ARRAY) { /* only to text, or to the very same type */
    if (f == TYPE_ARRAY && t == TYPE_STRING) return to_string;
    return f == t && from.precision == to.precision && from.scale == to.scale ? copy_same : NULL;
  }
  if (f == t && (f != TYPE_DECIMAL || (from.scale == to.scale && from.precision <= to.precision)))
    return copy_same;
  if (t == TYPE_STRING) return to_string;
  switch (f) {
    case TYPE_BOOLEAN:
      switch (t) {
        case TYPE_INT: return b_to_i32;
        case TYPE_BIGINT: return b_to_i64;
        case TYPE_DOUBLE: return b_to_f64;
        case TYPE_DECIMAL: return b_to_dec;
        case TYPE_TIMESTAMP: return b_to_ts;
        case TYPE_DATE: return all_null;
        default: return NULL;
      }
    case TYPE_INT:
      switch (t) {
        case TYPE_BOOLEAN: return i32_to_b;
        case TYPE_BIGINT: return i32_to_i64;
        case TYPE_DOUBLE: return i32_to_f64;
        case TYPE_DECIMAL: return i32_to_dec;
        case TYPE_TIMESTAMP: return i32_to_ts;
        case TYPE_DATE: return all_null;
        default: return NULL;
      }
    case TYPE_BIGINT:
      switch (t) {
        case TYPE_BOOLEAN: return i64_to_b;
        case TYPE_INT: return i64_to_i32;
        case TYPE_DOUBLE: return i64_to_f64;
        case TYPE_DECIMAL: return i64_to_dec;
        case TYPE_TIMESTAMP: return i64_to_ts;
        case TYPE_DATE: return all_null;
        default: return NULL;
      }
    case TYPE_DOUBLE:
      switch (t) {
        case TYPE_BOOLEAN: return f64_to_b;
        case TYPE_INT: return f64_to_i32;
        case TYPE_BIGINT: return f64_to_i64;
        case TYPE_DECIMAL: return f64_to_dec;
        case TYPE_TIMESTAMP: return f64_to_ts;
        case TYPE_DATE: return all_null;
        default: return NULL;
      }
    case TYPE_DECIMAL:
      switch (t) {
        case TYPE_BOOLEAN: return dec_to_b;
        case TYPE_INT: return dec_to_i32;
        case TYPE_BIGINT: return dec_to_i64;
        case TYPE_DOUBLE: return dec_to_f64;
        case TYPE_DECIMAL: return dec_to_dec;
        case TYPE_TIMESTAMP: return dec_to_ts;
        case TYPE_DATE: return all_null;
        default: return NULL;
      }
    case TYPE_STRING:
      switch (t) {
        case TYPE_BOOLEAN: return s_to_b;
        case TYPE_INT: return s_to_i32;
        case TYPE_BIGINT: return s_to_i64;
        case TYPE_DOUBLE: return s_to_f64;
        case TYPE_DECIMAL: return s_to_dec;
        case TYPE_DATE: return s_to_date;
        case TYPE_TIMESTAMP: return s_to_ts;
        default: return NULL;
      }
    case TYPE_DATE:
      switch (t) {
        case TYPE_TIMESTAMP: return date_to_ts;
        case TYPE_BOOLEAN:
        case TYPE_INT:
        case TYPE_BIGINT:
        case TYPE_DOUBLE:
        case TYPE_DECIMAL: return all_null; /* Spark: NULL */
        default: return NULL;
      }
    case TYPE_TIMESTAMP:
      switch (t) {
        case TYPE_DATE: return ts_to_date;
        case TYPE_BOOLEAN: return ts_to_b;
        case TYPE_INT: return ts_to_i32;
        case TYPE_BIGINT: return ts_to_i64;
        case TYPE_DOUBLE: return ts_to_f64;
        case TYPE_DECIMAL: return ts_to_dec;
        default: return NULL;
      }
    default: return NULL;
  }
}

static int k_cast(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  int rc = nd->castf(nd->args[0]->res, &nd->vec, sel, n, rt->nwords, &rt->p->tmp);
  if (rc) return err_set(rt->err, rc, "out of memory while casting");
  return 0;
}

/* Same physical type: the argument's vector is the result. */
static int k_identity(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  (void)rt;
  (void)sel;
  (void)n;
  nd->res = nd->args[0]->res;
  return 0;
}

static const char *type_name(struct type t) {
  switch (t.id) {
    case TYPE_NULL: return "void";
    case TYPE_BOOLEAN: return "boolean";
    case TYPE_INT: return "int";
    case TYPE_BIGINT: return "bigint";
    case TYPE_DOUBLE: return "double";
    case TYPE_DECIMAL: return "decimal";
    case TYPE_STRING: return "string";
    case TYPE_DATE: return "date";
    case TYPE_TIMESTAMP: return "timestamp";
    case TYPE_INTERVAL: return "interval";
    case TYPE_ARRAY: return "array";
    default: return "unknown";
  }
}

/* ------------------------------------------------------------ ANSI */

/* Spark's SQL literal of row i of v (toSQLValue): 1, 1L, 1.0E20D, 1.5BD,
 * 'text', DATE '...', TIMESTAMP '...'; strings cut at 200 bytes. */
static void sql_value(const struct vector *v, uint32_t i, struct buf *out) {
  buf_reset(out);
  char txt[48];
  if (v->type.id == TYPE_STRING) {
    struct sv s = vector_sv(v)[i];
    buf_putc(out, '\'');
    size_t n = s.len > 200 ? 200 : s.len;
    for (size_t k = 0; k < n; k++) {
      if (s.ptr[k] == '\'' || s.ptr[k] == '\\') buf_putc(out, '\\');
      buf_putc(out, s.ptr[k]);
    }
    if (n < s.len) buf_puts(out, "...");
    buf_putc(out, '\'');
    return;
  }
  switch (v->type.id) {
    case TYPE_BOOLEAN: buf_puts(out, vector_u8(v)[i] ? "true" : "false"); break;
    case TYPE_INT: buf_append(out, txt, fmt_i64(vector_i32(v)[i], txt)); break;
    case TYPE_BIGINT:
      buf_append(out, txt, fmt_i64(vector_i64(v)[i], txt));
      buf_putc(out, 'L');
      break;
    case TYPE_DOUBLE:
      vector_format_double(vector_f64(v)[i], out);
      buf_putc(out, 'D');
      break;
    case TYPE_DECIMAL:
      vector_format_decimal(vector_i64(v)[i], v->type.scale, out);
      buf_puts(out, "BD");
      break;
    case TYPE_DATE:
      buf_puts(out, "DATE '");
      buf_append(out, txt, datetime_format_date(vector_i32(v)[i], txt));
      buf_putc(out, '\'');
      break;
    case TYPE_TIMESTAMP:
      buf_puts(out, "TIMESTAMP '");
      buf_append(out, txt, datetime_format_timestamp(vector_i64(v)[i], txt));
      buf_putc(out, '\'');
      break;
    default: buf_puts(out, "?"); break;
  }
}

#define ANSI_RANGE_MSG                                                                     \
  "[NUMERIC_VALUE_OUT_OF_RANGE] %.*s cannot be represented as Decimal(%d, %d). If "        \
  "necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error, and return " \
  "NULL instead."

/* The ANSI error for row i of in, which the base kernel could not cast to
 * nd's type. */
static int ansi_cast_error(struct eval_rt *rt, struct eval_node *nd, const struct vector *in,
                           uint32_t i) {
  const struct expr *e = nd->e;
  int ln = e->pos.line, col = e->pos.column;
  char fb[32], tb[32];
  const char *ft = schema_type_sql(in->type, fb), *tt = schema_type_sql(nd->type, tb);
  struct buf *val = &rt->p->tmp;
  sql_value(in, i, val);
  const char *vs = val->data ? val->data : "";
  int vn = (int)val->len;
  if (in->type.id == TYPE_STRING) {
    struct sv s = vector_sv(in)[i];
    double d;
    /* text that is a number but too big for the DECIMAL is out of range */
    if (nd->type.id == TYPE_DECIMAL && eval_cast_parse_double(s.ptr, s.len, &d) == 0)
      return err_set_at(rt->err, ERR_SQL, ln, col, ANSI_RANGE_MSG,
                        (int)(s.len > 200 ? 200 : s.len), s.ptr, nd->type.precision,
                        nd->type.scale);
    return err_set_at(rt->err, ERR_SQL, ln, col,
                      "[CAST_INVALID_INPUT] The value %s of the type \"STRING\" cannot be cast "
                      "to \"%s\" because it is malformed. Correct the value as per the syntax, "
                      "or change its target type. Use `try_cast` to tolerate malformed input and "
                      "return NULL instead. " EVAL_ANSI_HINT,
                      vs, tt);
  }
  if (nd->type.id == TYPE_DECIMAL) {
    while (vn && (vs[vn - 1] == 'L' || vs[vn - 1] == 'D' || vs[vn - 1] == 'B')) vn--;
    return err_set_at(rt->err, ERR_SQL, ln, col, ANSI_RANGE_MSG, vn, vs, nd->type.precision,
                      nd->type.scale);
  }
  return err_set_at(rt->err, ERR_SQL, ln, col,
                    "[CAST_OVERFLOW] The value %s of the type \"%s\" cannot be cast to \"%s\" "
                    "due to an overflow. Use `try_cast` to tolerate overflow and return NULL "
                    "instead. " EVAL_ANSI_HINT,
                    vs, ft, tt);
}

static int k_cast_ansi(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  int rc = k_cast(rt, nd, sel, n);
  if (rc) return rc;
  const struct vector *in = nd->args[0]->res;
  int64_t i = eval_first_lost(nd->vec.validity, in->validity, NULL, sel, n);
  return i < 0 ? 0 : ansi_cast_error(rt, nd, in, (uint32_t)i);
}

/* Non-ANSI CAST (not try_cast) where it differs from the base kernel. */
static eval_cast_fn legacy_pick(struct type from, struct type to, eval_cast_fn base) {
  if (to.id == TYPE_INT) {
    if (from.id == TYPE_BIGINT) return i64_to_i32_wrap;
    if (from.id == TYPE_DOUBLE) return f64_to_i32_sat;
    if (from.id == TYPE_DECIMAL) return dec_to_i32_wrap;
    if (from.id == TYPE_TIMESTAMP) return ts_to_i32_wrap;
  }
  if (to.id == TYPE_BIGINT && from.id == TYPE_DOUBLE) return f64_to_i64_sat;
  return base;
}

/* Pick the mode's kernel for nd (base kernel already in nd->castf). */
static int cast_mode(struct eval_node *nd, struct type from, struct type to, struct err *err) {
  const struct expr *e = nd->e;
  if (e->try_eval) return 0;
  if (!e->ansi) {
    nd->castf = legacy_pick(from, to, nd->castf);
    return 0;
  }
  if (nd->castf == all_null && from.id != TYPE_NULL) {
    /* NULL without ANSI; Spark's ANSI mode refuses the pair outright */
    char fb[32], tb[32];
    const char *ft = schema_type_sql(from, fb), *tt = schema_type_sql(to, tb);
    return err_set_at(err, ERR_SQL, e->pos.line, e->pos.column,
                      "[DATATYPE_MISMATCH.CAST_WITH_CONF_SUGGESTION] cannot cast \"%s\" to "
                      "\"%s\" with ANSI mode on. If you have to cast %s to %s, you can set "
                      "\"spark.sql.ansi.enabled\" as \"false\".",
                      ft, tt, ft, tt);
  }
  if (nd->castf != copy_same && nd->castf != to_string) nd->kern = k_cast_ansi;
  return 0;
}

int eval_cast_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  struct type from = nd->args[0]->type, to = nd->type;
  if (from.id == to.id &&
      (to.id != TYPE_ARRAY || (from.precision == to.precision && from.scale == to.scale)) &&
      (to.id != TYPE_DECIMAL || (from.scale == to.scale && from.precision <= to.precision))) {
    nd->kern = k_identity;
    return 0;
  }
  nd->castf = eval_cast_pick(from, to);
  if (!nd->castf) {
    const struct expr *e = nd->e;
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "cannot cast %s to %s", type_name(from), type_name(to));
  }
  nd->kern = k_cast;
  return cast_mode(nd, from, to, err);
}
