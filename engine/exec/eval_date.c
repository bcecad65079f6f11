/* eval_date.c: date and timestamp kernels (UTC; DATE = int32 days,
 * TIMESTAMP = int64 micros). Field extraction accepts DATE or TIMESTAMP
 * arguments; formatting patterns are compiled once when constant. */
#include "engine/exec/eval_date.h"

#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/vec/datetime.h"

#define US_PER_DAY DATETIME_US_PER_DAY

static inline int64_t floor_div64(int64_t x, int64_t m) {
  int64_t q = x / m;
  return (x % m != 0 && x < 0) ? q - 1 : q;
}

/* days of the argument row (DATE or TIMESTAMP) */
#define DAYS_OF(a, i) \
  ((a)->type.id == TYPE_DATE ? (int64_t)vector_i32(a)[i] : floor_div64(vector_i64(a)[i], US_PER_DAY))

enum { F_YEAR, F_MONTH, F_DAY, F_QUARTER, F_DOW, F_HOUR, F_MINUTE, F_SECOND };

static int k_field(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const struct vector *a = nd->args[0]->res;
  int32_t *o = nd->vec.data;
  eval_valid_copy(nd->vec.validity, a->validity, rt->nwords);
  int f = nd->op;
  if (f >= F_HOUR) {
    int64_t div = f == F_HOUR ? INT64_C(3600000000) : f == F_MINUTE ? 60000000 : 1000000;
    int64_t mod = f == F_HOUR ? 24 : 60;
    if (a->type.id == TYPE_DATE) {
      EVAL_FOR_SEL(i, sel, n, { o[i] = 0; });
      return 0;
    }
    const int64_t *x = a->data;
    EVAL_FOR_SEL(i, sel, n, {
      int64_t tod = x[i] - floor_div64(x[i], US_PER_DAY) * US_PER_DAY;
      o[i] = (int32_t)(tod / div % mod);
    });
    return 0;
  }
  if (f == F_DOW) {
    EVAL_FOR_SEL(i, sel, n, {
      int64_t d = DAYS_OF(a, i);
      int64_t w = (d + 4) % 7;
      if (w < 0) w += 7;
      o[i] = (int32_t)w + 1;
    });
    return 0;
  }
  EVAL_FOR_SEL(i, sel, n, {
    int64_t y;
    int m, d;
    datetime_civil_from_days(DAYS_OF(a, i), &y, &m, &d);
    o[i] = f == F_YEAR ? (int32_t)y : f == F_MONTH ? m : f == F_DAY ? d : (m + 2) / 3;
  });
  return 0;
}

/* DATE_ADD (op 1) / DATE_SUB (op -1): int arithmetic wraps like Java. */
static int k_date_add(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  const int32_t *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  if (nd->op > 0) EVAL_FOR_SEL(i, sel, n, { o[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]); });
  else EVAL_FOR_SEL(i, sel, n, { o[i] = (int32_t)((uint32_t)a[i] - (uint32_t)b[i]); });
  return 0;
}

static int k_datediff(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  const struct vector *a = nd->args[0]->res, *b = nd->args[1]->res;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_SEL(i, sel, n, { o[i] = (int32_t)(DAYS_OF(a, i) - DAYS_OF(b, i)); });
  return 0;
}

static int k_add_months(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                        uint32_t n) {
  const int32_t *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, { o[i] = datetime_add_months(a[i], b[i]); });
  return 0;
}

static int64_t ts_add_months(int64_t us, int64_t months, int *bad) {
  int64_t days, tod;
  datetime_split_ts(us, &days, &tod);
  if (months > INT32_MAX || months < INT32_MIN || days > INT32_MAX || days < INT32_MIN) {
    *bad = 1;
    return 0;
  }
  int64_t nd = datetime_add_months((int32_t)days, (int32_t)months);
  return nd * US_PER_DAY + tod;
}

static int k_ts_interval(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  const int64_t *ts = nd->args[0]->res->data, *mo = nd->args[1]->res->data,
                *dd = nd->args[2]->res->data, *us = nd->args[3]->res->data;
  int64_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int bad = 0;
    int64_t r = ts[i], t;
    if (mo[i]) r = ts_add_months(r, mo[i], &bad);
    bad |= __builtin_mul_overflow(dd[i], US_PER_DAY, &t);
    bad |= __builtin_add_overflow(r, t, &r);
    bad |= __builtin_add_overflow(r, us[i], &r);
    if (bad) vector_set_null(&nd->vec, i);
    else o[i] = r;
  });
  return 0;
}

/* date_trunc units */
enum { U_BAD = -1, U_YEAR, U_QUARTER, U_MONTH, U_WEEK, U_DAY, U_HOUR, U_MINUTE, U_SECOND,
       U_MILLI, U_MICRO };

static int unit_of(const char *p, uint32_t n) {
  char b[16];
  if (n == 0 || n >= sizeof b) return U_BAD;
  for (uint32_t i = 0; i < n; i++) b[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
  b[n] = 0;
  static const struct {
    const char *name;
    int unit;
  } tab[] = {{"year", U_YEAR},     {"yyyy", U_YEAR},      {"yy", U_YEAR},
             {"quarter", U_QUARTER}, {"month", U_MONTH},  {"mm", U_MONTH},
             {"mon", U_MONTH},     {"week", U_WEEK},      {"day", U_DAY},
             {"dd", U_DAY},        {"hour", U_HOUR},      {"minute", U_MINUTE},
             {"second", U_SECOND}, {"millisecond", U_MILLI}, {"microsecond", U_MICRO}};
  for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
    if (strcmp(b, tab[k].name) == 0) return tab[k].unit;
  return U_BAD;
}

static int64_t trunc_ts(int64_t us, int unit) {
  int64_t days, tod;
  datetime_split_ts(us, &days, &tod);
  int64_t y;
  int m, d;
  switch (unit) {
    case U_YEAR:
    case U_QUARTER:
    case U_MONTH:
      datetime_civil_from_days(days, &y, &m, &d);
      if (unit == U_YEAR) m = 1;
      else if (unit == U_QUARTER) m = (m - 1) / 3 * 3 + 1;
      return datetime_days_from_civil(y, m, 1) * US_PER_DAY;
    case U_WEEK: {
      int64_t w = (days + 3) % 7; /* 0 = Monday */
      if (w < 0) w += 7;
      return (days - w) * US_PER_DAY;
    }
    case U_DAY: return days * US_PER_DAY;
    case U_HOUR: return days * US_PER_DAY + tod / INT64_C(3600000000) * INT64_C(3600000000);
    case U_MINUTE: return days * US_PER_DAY + tod / 60000000 * 60000000;
    case U_SECOND: return days * US_PER_DAY + tod / 1000000 * 1000000;
    case U_MILLI: return days * US_PER_DAY + tod / 1000 * 1000;
    default: return us;
  }
}

static int k_date_trunc(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                        uint32_t n) {
  const struct vector *u = nd->args[0]->res, *a = nd->args[1]->res;
  int64_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  int cu = (int)nd->ival; /* constant unit or U_BAD meaning per row */
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int unit = cu;
    if (!nd->args[0]->is_const) unit = unit_of(vector_sv(u)[i].ptr, vector_sv(u)[i].len);
    int64_t us = a->type.id == TYPE_DATE ? (int64_t)vector_i32(a)[i] * US_PER_DAY
                                         : vector_i64(a)[i];
    if (unit == U_BAD) vector_set_null(&nd->vec, i);
    else o[i] = trunc_ts(us, unit);
  });
  return 0;
}

struct date_fmt_aux {
  struct datetime_fmt fmt;
  int ok;
};

/* The pattern of row i: the constant one compiled once (cf), else row i's
 * of pv compiled into *tmp; NULL for a bad or NULL pattern. */
static const struct datetime_fmt *row_fmt(const struct date_fmt_aux *cf, const struct vector *pv,
                                          uint32_t i, struct datetime_fmt *tmp) {
  if (cf) return cf->ok ? &cf->fmt : NULL;
  struct sv ps = vector_sv(pv)[i];
  char pat[256];
  if (ps.len >= sizeof pat) return NULL;
  memcpy(pat, ps.ptr, ps.len);
  pat[ps.len] = 0;
  return datetime_fmt_compile(tmp, pat, NULL) == 0 ? tmp : NULL;
}

static int k_date_format(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  const struct vector *a = nd->args[0]->res, *pv = nd->args[1]->res;
  struct date_fmt_aux *cf = nd->aux;
  struct sv *o = nd->vec.data;
  struct buf *b = &rt->p->tmp;
  eval_valid_args(rt, nd);
  struct datetime_fmt rowf;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    const struct datetime_fmt *f = row_fmt(cf, pv, i, &rowf);
    int64_t us = a->type.id == TYPE_DATE ? (int64_t)vector_i32(a)[i] * US_PER_DAY
                                         : vector_i64(a)[i];
    buf_reset(b);
    if (!f || datetime_fmt_format(f, us, b) != 0) {
      vector_set_null(&nd->vec, i);
      continue;
    }
    char *d = eval_heap_alloc(rt, b->len);
    if (!d) return ERR_NOMEM;
    memcpy(d, b->data ? b->data : "", b->len);
    o[i] = sv_make(d, (uint32_t)b->len);
  });
  return 0;
}

/* to_date(s, pattern) / to_timestamp(s, pattern): text that does not match
 * the whole pattern gives NULL (Spark without ANSI mode). */
static int k_to_date_fmt(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  const struct vector *a = nd->args[0]->res, *pv = nd->args[1]->res;
  struct date_fmt_aux *cf = nd->aux;
  eval_valid_args(rt, nd);
  struct datetime_fmt rowf;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    const struct datetime_fmt *f = row_fmt(cf, pv, i, &rowf);
    struct sv s = vector_sv(a)[i];
    int64_t us;
    if (!f || datetime_fmt_parse_timestamp(f, s.ptr, s.len, &us) != 0) {
      vector_set_null(&nd->vec, i);
      continue;
    }
    if (nd->type.id == TYPE_DATE)
      vector_i32(&nd->vec)[i] = (int32_t)floor_div64(us, US_PER_DAY);
    else
      vector_i64(&nd->vec)[i] = us;
  });
  return 0;
}

static int bad_types(struct eval_node *nd, struct err *err) {
  return err_set_at(err, ERR_UNSUPPORTED, nd->e->pos.line, nd->e->pos.column,
                    "date function called with arguments of unexpected types "
                    "(the analyzer should have inserted casts)");
}

/* A constant pattern (second argument) is compiled once, into nd->aux;
 * a bad one is an error pointing at the call. parse: it will read text. */
static int compile_const_fmt(struct eval_node *nd, int parse, struct err *err) {
  if (!nd->args[1]->is_const || nd->args[1]->cval.is_null) return 0;
  struct date_fmt_aux *a = calloc(1, sizeof *a);
  if (!a) return err_set(err, ERR_NOMEM, "out of memory");
  nd->aux = a;
  nd->aux_free = free;
  const struct value *v = &nd->args[1]->cval;
  char *pat = malloc((size_t)v->len + 1);
  if (!pat) return err_set(err, ERR_NOMEM, "out of memory");
  memcpy(pat, v->s ? v->s : "", v->len);
  pat[v->len] = 0;
  int rc = parse ? datetime_fmt_compile_parser(&a->fmt, pat, err)
                 : datetime_fmt_compile(&a->fmt, pat, err);
  free(pat);
  if (rc) {
    if (err) err->line = nd->e->pos.line, err->column = nd->e->pos.column;
    return rc;
  }
  a->ok = 1;
  return 0;
}


static int is_dt(enum type_id t) { return t == TYPE_DATE || t == TYPE_TIMESTAMP; }

int eval_date_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  enum expr_fn fn = nd->e->u.func.fn;
  int na = nd->nargs;
  enum type_id t0 = na > 0 ? nd->args[0]->type.id : TYPE_NULL;
  enum type_id t1 = na > 1 ? nd->args[1]->type.id : TYPE_NULL;
  int rc;
  switch (fn) {
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAY:
    case FN_QUARTER:
    case FN_DAYOFWEEK:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
      if (na != 1 || !is_dt(t0) || nd->type.id != TYPE_INT) return bad_types(nd, err);
      nd->op = fn == FN_YEAR ? F_YEAR : fn == FN_MONTH ? F_MONTH : fn == FN_DAY ? F_DAY
             : fn == FN_QUARTER ? F_QUARTER : fn == FN_DAYOFWEEK ? F_DOW : fn == FN_HOUR ? F_HOUR
             : fn == FN_MINUTE ? F_MINUTE : F_SECOND;
      nd->kern = k_field;
      return 0;
    case FN_DATE_ADD:
    case FN_DATE_SUB:
      if (na != 2 || t0 != TYPE_DATE || t1 != TYPE_INT) return bad_types(nd, err);
      nd->op = fn == FN_DATE_ADD ? 1 : -1;
      nd->kern = k_date_add;
      return 0;
    case FN_DATEDIFF:
      if (na != 2 || !is_dt(t0) || !is_dt(t1)) return bad_types(nd, err);
      nd->kern = k_datediff;
      return 0;
    case FN_ADD_MONTHS:
      if (na != 2 || t0 != TYPE_DATE || t1 != TYPE_INT) return bad_types(nd, err);
      nd->kern = k_add_months;
      return 0;
    case FN_TS_ADD_INTERVAL:
      if (na != 4 || t0 != TYPE_TIMESTAMP) return bad_types(nd, err);
      for (int k = 1; k < 4; k++)
        if (nd->args[k]->type.id != TYPE_BIGINT) return bad_types(nd, err);
      nd->kern = k_ts_interval;
      return 0;
    case FN_DATE_TRUNC:
      if (na != 2 || t0 != TYPE_STRING || !is_dt(t1)) return bad_types(nd, err);
      nd->ival = U_BAD;
      if (nd->args[0]->is_const && !nd->args[0]->cval.is_null)
        nd->ival = unit_of(nd->args[0]->cval.s, nd->args[0]->cval.len);
      nd->kern = k_date_trunc;
      return 0;
    case FN_DATE_FORMAT:
      if (na != 2 || !is_dt(t0) || t1 != TYPE_STRING) return bad_types(nd, err);
      if ((rc = compile_const_fmt(nd, 0, err))) return rc;
      nd->kern = k_date_format;
      return 0;
    case FN_TO_DATE_FMT:
    case FN_TO_TS_FMT:
      if (na != 2 || t0 != TYPE_STRING || t1 != TYPE_STRING) return bad_types(nd, err);
      if ((rc = compile_const_fmt(nd, 1, err))) return rc;
      nd->kern = k_to_date_fmt;
      return 0;
    default:
      return err_set(err, ERR_UNSUPPORTED, "date function #%d is not supported", (int)fn);
  }
}
