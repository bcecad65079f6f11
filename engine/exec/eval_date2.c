/* eval_date2.c: see eval_date2.h. DATE = int32 days, TIMESTAMP = int64
 * micros since the epoch, both in UTC (the session time zone). Results that
 * Spark computes with java.time but that do not fit the engine's ranges are
 * NULL (or the error Spark raises when it raises one). */
#include "engine/exec/eval_date2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/vec/datetime.h"

#define US_PER_DAY DATETIME_US_PER_DAY
#define US_PER_SEC INT64_C(1000000)

static inline int64_t floor_div64(int64_t x, int64_t m) {
  int64_t q = x / m;
  return (x % m != 0 && x < 0) ? q - 1 : q;
}

/* 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
static inline int weekday_of(int64_t days) {
  int64_t w = (days + 3) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

static int ieq_word(const char *p, size_t n, const char *w) {
  size_t k = strlen(w);
  if (n != k) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    if (c != w[i]) return 0;
  }
  return 1;
}

int eval_date2_unit(const char *p, size_t n) {
  static const char *const names[] = {"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE",
                                      "HOUR",        "DAY",         "DAYOFYEAR", "WEEK",
                                      "MONTH",       "QUARTER",     "YEAR"};
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    if (ieq_word(p, n, names[i])) return i;
  return EVAL_DATE2_U_BAD;
}

/* Spark's getDayOfWeekFromString: SU/SUN/SUNDAY ... (any case); 0 = Monday,
 * -1 when unknown. */
static int dow_of_name(const char *p, size_t n) {
  static const char *const names[7][3] = {
      {"MO", "MON", "MONDAY"},   {"TU", "TUE", "TUESDAY"}, {"WE", "WED", "WEDNESDAY"},
      {"TH", "THU", "THURSDAY"}, {"FR", "FRI", "FRIDAY"},  {"SA", "SAT", "SATURDAY"},
      {"SU", "SUN", "SUNDAY"}};
  for (int d = 0; d < 7; d++)
    for (int k = 0; k < 3; k++)
      if (ieq_word(p, n, names[d][k])) return d;
  return -1;
}

/* Truncation levels of trunc(date, fmt): Spark's parseTruncLevel; levels
 * finer than a week are NULL for a DATE. */
enum { TR_BAD = -1, TR_WEEK, TR_MONTH, TR_QUARTER, TR_YEAR };

static int trunc_level(const char *p, size_t n) {
  if (ieq_word(p, n, "WEEK")) return TR_WEEK;
  if (ieq_word(p, n, "MON") || ieq_word(p, n, "MONTH") || ieq_word(p, n, "MM")) return TR_MONTH;
  if (ieq_word(p, n, "QUARTER")) return TR_QUARTER;
  if (ieq_word(p, n, "YEAR") || ieq_word(p, n, "YYYY") || ieq_word(p, n, "YY")) return TR_YEAR;
  return TR_BAD;
}

/* days from a civil date when it fits a DATE, else -1 */
static int civil_days(int64_t y, int64_t m, int64_t d, int32_t *out) {
  if (y < DATETIME_MIN_YEAR || y > DATETIME_MAX_YEAR || m < 1 || m > 12 || d < 1 ||
      d > datetime_days_in_month(y, (int)m))
    return -1;
  int64_t days = datetime_days_from_civil(y, (int)m, (int)d);
  if (days < INT32_MIN || days > INT32_MAX) return -1;
  *out = (int32_t)days;
  return 0;
}

static int k_unix_seconds(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                          uint32_t n) {
  const int64_t *a = nd->args[0]->res->data;
  int64_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_SEL(i, sel, n, { o[i] = floor_div64(a[i], US_PER_SEC); });
  return 0;
}

static int k_seconds_to_ts(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                           uint32_t n) {
  const int64_t *a = nd->args[0]->res->data;
  int64_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (__builtin_mul_overflow(a[i], US_PER_SEC, &o[i])) vector_set_null(&nd->vec, i);
  });
  return 0;
}

/* op: FN_LAST_DAY, FN_WEEKOFYEAR, FN_DAYOFYEAR, FN_WEEKDAY over a DATE. */
static int k_day_field(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  const int32_t *a = nd->args[0]->res->data;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  int f = nd->op;
  EVAL_FOR_SEL(i, sel, n, {
    int64_t days = a[i], y;
    int m, d;
    switch (f) {
      case FN_LAST_DAY:
        datetime_civil_from_days(days, &y, &m, &d);
        days += datetime_days_in_month(y, m) - d;
        if (days > INT32_MAX) vector_set_null(&nd->vec, i); /* past the last DATE */
        else o[i] = (int32_t)days;
        break;
      case FN_DAYOFYEAR:
        datetime_civil_from_days(days, &y, &m, &d);
        o[i] = (int32_t)(days - datetime_days_from_civil(y, 1, 1) + 1);
        break;
      case FN_WEEKDAY: o[i] = weekday_of(days); break;
      default: {
        /* ISO 8601: the week belongs to the year of its Thursday */
        int64_t thu = days - weekday_of(days) + 3;
        datetime_civil_from_days(thu, &y, &m, &d);
        o[i] = (int32_t)((thu - datetime_days_from_civil(y, 1, 1)) / 7 + 1);
        break;
      }
    }
  });
  return 0;
}

static int bad_arg_error(struct eval_rt *rt, struct eval_node *nd, const char *what,
                         const char *p, size_t n) {
  return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                    "[ILLEGAL_DAY_OF_WEEK] %s: %.*s. " EVAL_ANSI_HINT, what,
                    (int)(n > 100 ? 100 : n), p);
}

static int k_next_day(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  const int32_t *a = nd->args[0]->res->data;
  const struct vector *dv = nd->args[1]->res;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = vector_sv(dv)[i];
    int t = nd->args[1]->is_const ? (int)nd->ival : dow_of_name(s.ptr, s.len);
    if (t < 0) {
      if (nd->e->ansi) return bad_arg_error(rt, nd, "Illegal input for day of week", s.ptr, s.len);
      vector_set_null(&nd->vec, i);
      continue;
    }
    int delta = (t - weekday_of(a[i]) + 7) % 7;
    int64_t r = (int64_t)a[i] + (delta ? delta : 7);
    if (r > INT32_MAX) vector_set_null(&nd->vec, i);
    else o[i] = (int32_t)r;
  });
  return 0;
}

/* Java's Math.round: nearest, ties towards positive infinity. */
static double java_round(double x) {
  double f = floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/* Spark's DateTimeUtils.monthsBetween. */
static double months_between(int64_t us1, int64_t us2, int round_off) {
  int64_t d1, d2, t1, t2, y1, y2;
  int m1, m2, dd1, dd2;
  datetime_split_ts(us1, &d1, &t1);
  datetime_split_ts(us2, &d2, &t2);
  datetime_civil_from_days(d1, &y1, &m1, &dd1);
  datetime_civil_from_days(d2, &y2, &m2, &dd2);
  double month_diff = (double)((y1 * 12 + m1) - (y2 * 12 + m2));
  if (dd1 == dd2 ||
      (dd1 == datetime_days_in_month(y1, m1) && dd2 == datetime_days_in_month(y2, m2)))
    return month_diff;
  int64_t sec_diff = (int64_t)(dd1 - dd2) * 86400 + t1 / US_PER_SEC - t2 / US_PER_SEC;
  double diff = month_diff + (double)sec_diff / (31.0 * 86400);
  return round_off ? java_round(diff * 1e8) / 1e8 : diff;
}

static int k_months_between(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                            uint32_t n) {
  const int64_t *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;
  const uint8_t *r = nd->args[2]->res->data;
  double *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_SEL(i, sel, n, { o[i] = months_between(a[i], b[i], r[i] != 0); });
  return 0;
}

static int field_error(struct eval_rt *rt, struct eval_node *nd, const char *what) {
  return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                    "[DATETIME_FIELD_OUT_OF_BOUNDS] Invalid %s for %s. " EVAL_ANSI_HINT, what,
                    expr_fn_name(nd->e->u.func.fn));
}

static int k_make_date(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  const int32_t *y = nd->args[0]->res->data, *m = nd->args[1]->res->data,
                *d = nd->args[2]->res->data;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (civil_days(y[i], m[i], d[i], &o[i]) != 0) {
      if (nd->e->ansi) return field_error(rt, nd, "date fields");
      vector_set_null(&nd->vec, i);
    }
  });
  return 0;
}

/* make_timestamp: sec is DECIMAL(16,6) (unscaled micros). Spark allows a
 * 60 with no fraction (PostgreSQL compatibility): the next minute. */
static int make_ts(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t sec_us,
                   int64_t *out) {
  int32_t days;
  if (civil_days(y, mo, d, &days) != 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec_us < 0)
    return -1;
  int64_t s = sec_us / US_PER_SEC, frac = sec_us % US_PER_SEC;
  if (s > 60 || (s == 60 && frac != 0)) return -1;
  int64_t tod = ((h * 60 + mi) * 60 + s) * US_PER_SEC + frac, r;
  if (__builtin_mul_overflow((int64_t)days, US_PER_DAY, &r) || __builtin_add_overflow(r, tod, &r))
    return -1;
  *out = r;
  return 0;
}

static int k_make_ts(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const int32_t *f[5];
  for (int k = 0; k < 5; k++) f[k] = nd->args[k]->res->data;
  const int64_t *sec = nd->args[5]->res->data;
  int64_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (make_ts(f[0][i], f[1][i], f[2][i], f[3][i], f[4][i], sec[i], &o[i]) != 0) {
      if (nd->e->ansi) return field_error(rt, nd, "timestamp fields");
      vector_set_null(&nd->vec, i);
    }
  });
  return 0;
}

static const char *const unit_names[] = {"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE",
                                         "HOUR",        "DAY",         "DAYOFYEAR", "WEEK",
                                         "MONTH",       "QUARTER",     "YEAR"};

/* ts + months, the day clamped to the end of the target month. */
static int add_months_ts(int64_t us, int64_t months, int64_t *out) {
  int64_t days, tod, y;
  int m, d;
  datetime_split_ts(us, &days, &tod);
  datetime_civil_from_days(days, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months; /* |months| < 2^33: no overflow */
  int64_t ny = floor_div64(total, 12);
  int nm = (int)(total - ny * 12) + 1;
  if (ny < DATETIME_MIN_YEAR || ny > DATETIME_MAX_YEAR) return -1;
  int dim = datetime_days_in_month(ny, nm);
  int64_t nd = datetime_days_from_civil(ny, nm, d > dim ? dim : d), r;
  if (__builtin_mul_overflow(nd, US_PER_DAY, &r) || __builtin_add_overflow(r, tod, &r)) return -1;
  *out = r;
  return 0;
}

/* Spark's DateTimeUtils.timestampAdd; -1 on overflow. */
static int ts_add_unit(int unit, int64_t q, int64_t us, int64_t *out) {
  static const int64_t mult[] = {1, 1000, US_PER_SEC, 60 * US_PER_SEC, 3600 * US_PER_SEC};
  int64_t t;
  switch (unit) {
    case EVAL_DATE2_U_MICROSECOND:
    case EVAL_DATE2_U_MILLISECOND:
    case EVAL_DATE2_U_SECOND:
    case EVAL_DATE2_U_MINUTE:
    case EVAL_DATE2_U_HOUR:
      if (__builtin_mul_overflow(q, mult[unit], &t) || __builtin_add_overflow(us, t, out)) return -1;
      return 0;
    case EVAL_DATE2_U_DAY:
    case EVAL_DATE2_U_DAYOFYEAR:
    case EVAL_DATE2_U_WEEK:
      if (unit == EVAL_DATE2_U_WEEK && __builtin_mul_overflow(q, 7, &q)) return -1;
      if (q < INT32_MIN || q > INT32_MAX) return -1; /* Math.toIntExact */
      if (__builtin_mul_overflow(q, US_PER_DAY, &t) || __builtin_add_overflow(us, t, out)) return -1;
      return 0;
    case EVAL_DATE2_U_MONTH:
    case EVAL_DATE2_U_QUARTER:
    case EVAL_DATE2_U_YEAR:
      if (unit != EVAL_DATE2_U_MONTH &&
          __builtin_mul_overflow(q, unit == EVAL_DATE2_U_YEAR ? 12 : 3, &q))
        return -1;
      if (q < INT32_MIN || q > INT32_MAX) return -1;
      return add_months_ts(us, q, out);
    default: return -1;
  }
}

static int k_ts_add_unit(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  const int64_t *q = nd->args[1]->res->data, *ts = nd->args[2]->res->data;
  int64_t *o = nd->vec.data;
  int unit = (int)nd->ival;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (ts_add_unit(unit, q[i], ts[i], &o[i]) != 0) {
      char when[48];
      datetime_format_timestamp(ts[i], when);
      return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                        "[DATETIME_OVERFLOW] Datetime operation overflow: add %lldL %s to "
                        "TIMESTAMP '%s'.",
                        (long long)q[i], unit_names[unit], when);
    }
  });
  return 0;
}

/* java.time LocalDateTime.until(end, unit) as Spark's timestampDiff uses
 * it; -1 on overflow. */
static int ts_diff_unit(int unit, int64_t a, int64_t b, int64_t *out) {
  static const int64_t div[] = {1, 1000, US_PER_SEC, 60 * US_PER_SEC, 3600 * US_PER_SEC};
  if (unit <= EVAL_DATE2_U_HOUR) {
    int64_t d;
    if (__builtin_sub_overflow(b, a, &d)) return -1;
    *out = d / div[unit]; /* truncation towards zero, as Java */
    return 0;
  }
  int64_t da, ta, db, tb;
  datetime_split_ts(a, &da, &ta);
  datetime_split_ts(b, &db, &tb);
  /* a partial day does not count */
  if (db > da && tb < ta) db--;
  else if (db < da && tb > ta) db++;
  if (unit == EVAL_DATE2_U_DAY || unit == EVAL_DATE2_U_WEEK) {
    *out = unit == EVAL_DATE2_U_DAY ? db - da : (db - da) / 7;
    return 0;
  }
  int64_t ya, yb;
  int ma, mb, dda, ddb;
  datetime_civil_from_days(da, &ya, &ma, &dda);
  datetime_civil_from_days(db, &yb, &mb, &ddb);
  int64_t pa = (ya * 12 + ma - 1) * 32 + dda, pb = (yb * 12 + mb - 1) * 32 + ddb;
  int64_t months = (pb - pa) / 32;
  *out = unit == EVAL_DATE2_U_MONTH ? months : unit == EVAL_DATE2_U_QUARTER ? months / 3
                                                                            : months / 12;
  return 0;
}

static int k_ts_diff_unit(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                          uint32_t n) {
  const int64_t *a = nd->args[1]->res->data, *b = nd->args[2]->res->data;
  int64_t *o = nd->vec.data;
  int unit = (int)nd->ival;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (ts_diff_unit(unit, a[i], b[i], &o[i]) != 0)
      return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                        "[ARITHMETIC_OVERFLOW] long overflow in timestampdiff(%s, ...).",
                        unit_names[unit]);
  });
  return 0;
}

static int k_trunc_date(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                        uint32_t n) {
  const int32_t *a = nd->args[0]->res->data;
  const struct vector *fv = nd->args[1]->res;
  int32_t *o = nd->vec.data;
  eval_valid_args(rt, nd);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int lv = (int)nd->ival;
    if (!nd->args[1]->is_const) lv = trunc_level(vector_sv(fv)[i].ptr, vector_sv(fv)[i].len);
    int64_t days = a[i], y;
    int m, d;
    switch (lv) {
      case TR_WEEK: days -= weekday_of(days); break;
      case TR_MONTH:
      case TR_QUARTER:
      case TR_YEAR:
        datetime_civil_from_days(days, &y, &m, &d);
        m = lv == TR_YEAR ? 1 : lv == TR_QUARTER ? (m - 1) / 3 * 3 + 1 : m;
        days = datetime_days_from_civil(y, m, 1);
        break;
      default: vector_set_null(&nd->vec, i); continue;
    }
    if (days < INT32_MIN) vector_set_null(&nd->vec, i);
    else o[i] = (int32_t)days;
  });
  return 0;
}

static int bad_types(struct eval_node *nd, struct err *err) {
  return err_set_at(err, ERR_UNSUPPORTED, nd->e->pos.line, nd->e->pos.column,
                    "%s() called with arguments of unexpected types (the analyzer should have "
                    "inserted casts)",
                    expr_fn_name(nd->e->u.func.fn));
}

static int args_are(struct eval_node *nd, int na, const enum type_id *t) {
  if (nd->nargs != na) return 0;
  for (int k = 0; k < na; k++)
    if (nd->args[k]->type.id != t[k]) return 0;
  return 1;
}

/* The unit of timestampadd/timestampdiff: a constant the analyzer checked. */
static int const_unit(struct eval_node *nd, struct err *err) {
  const struct eval_node *u = nd->args[0];
  int unit = EVAL_DATE2_U_BAD;
  if (u->is_const && !u->cval.is_null) unit = eval_date2_unit(u->cval.s, u->cval.len);
  if (unit == EVAL_DATE2_U_BAD || (nd->e->u.func.fn == FN_TS_DIFF_UNIT &&
                                   unit == EVAL_DATE2_U_DAYOFYEAR))
    return err_set_at(err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                      "[INVALID_PARAMETER_VALUE.DATETIME_UNIT] The value of parameter(s) `unit` "
                      "in `%s` is invalid: expects one of the units without quotes YEAR, "
                      "QUARTER, MONTH, WEEK, DAY, DAYOFYEAR, HOUR, MINUTE, SECOND, MILLISECOND, "
                      "MICROSECOND.",
                      expr_fn_name(nd->e->u.func.fn));
  nd->ival = unit;
  return 0;
}

int eval_date2_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  enum expr_fn fn = nd->e->u.func.fn;
  enum type_id D = TYPE_DATE, TS = TYPE_TIMESTAMP, I = TYPE_INT, L = TYPE_BIGINT,
               S = TYPE_STRING;
  const enum type_id t_d[] = {D}, t_ts[] = {TS}, t_l[] = {L}, t_ds[] = {D, S},
                     t_mb[] = {TS, TS, TYPE_BOOLEAN}, t_iii[] = {I, I, I},
                     t_mts[] = {I, I, I, I, I, TYPE_DECIMAL}, t_add[] = {S, L, TS},
                     t_diff[] = {S, TS, TS};
  switch (fn) {
    case FN_UNIX_SECONDS:
      if (!args_are(nd, 1, t_ts)) return bad_types(nd, err);
      nd->kern = k_unix_seconds;
      return 0;
    case FN_SECONDS_TO_TS:
      if (!args_are(nd, 1, t_l)) return bad_types(nd, err);
      nd->kern = k_seconds_to_ts;
      return 0;
    case FN_LAST_DAY:
    case FN_WEEKOFYEAR:
    case FN_DAYOFYEAR:
    case FN_WEEKDAY:
      if (!args_are(nd, 1, t_d)) return bad_types(nd, err);
      nd->op = (int)fn;
      nd->kern = k_day_field;
      return 0;
    case FN_NEXT_DAY:
      if (!args_are(nd, 2, t_ds)) return bad_types(nd, err);
      nd->ival = -1;
      if (nd->args[1]->is_const && !nd->args[1]->cval.is_null)
        nd->ival = dow_of_name(nd->args[1]->cval.s, nd->args[1]->cval.len);
      nd->kern = k_next_day;
      return 0;
    case FN_MONTHS_BETWEEN:
      if (!args_are(nd, 3, t_mb)) return bad_types(nd, err);
      nd->kern = k_months_between;
      return 0;
    case FN_MAKE_DATE:
      if (!args_are(nd, 3, t_iii)) return bad_types(nd, err);
      nd->kern = k_make_date;
      return 0;
    case FN_MAKE_TS:
      if (!args_are(nd, 6, t_mts) || nd->args[5]->type.scale != 6) return bad_types(nd, err);
      nd->kern = k_make_ts;
      return 0;
    case FN_TS_ADD_UNIT:
    case FN_TS_DIFF_UNIT: {
      if (!args_are(nd, 3, fn == FN_TS_ADD_UNIT ? t_add : t_diff)) return bad_types(nd, err);
      int rc = const_unit(nd, err);
      if (rc) return rc;
      nd->kern = fn == FN_TS_ADD_UNIT ? k_ts_add_unit : k_ts_diff_unit;
      return 0;
    }
    case FN_TRUNC_DATE:
      if (!args_are(nd, 2, t_ds)) return bad_types(nd, err);
      nd->ival = TR_BAD;
      if (nd->args[1]->is_const && !nd->args[1]->cval.is_null)
        nd->ival = trunc_level(nd->args[1]->cval.s, nd->args[1]->cval.len);
      nd->kern = k_trunc_date;
      return 0;
    default:
      return err_set(err, ERR_UNSUPPORTED, "date function #%d is not supported", (int)fn);
  }
}
