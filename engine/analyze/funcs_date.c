/* funcs_date.c: see funcs_date.h. */
#include "engine/analyze/funcs_date.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/fcall.h"
#include "engine/analyze/funcs.h"
#include "engine/vec/schema.h"

/* Spark's default pattern of unix_timestamp and from_unixtime. */
#define DEFAULT_TS_FMT "yyyy-MM-dd HH:mm:ss"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

static struct expr *mk(struct fcall *f, enum expr_fn fn, struct type t, struct expr **args, int n) {
  if (f->rc) return NULL;
  struct expr *e = expr_func(f->ctx, fn, t, args, n);
  if (!e) f->rc = ERR_NOMEM;
  return e;
}

static struct expr *str_lit(struct fcall *f, const char *s) {
  if (f->rc) return NULL;
  struct expr *e = coerce_string(f->ctx, s, strlen(s));
  if (!e) f->rc = ERR_NOMEM;
  return e;
}

/* Spark's datetimeUnit keywords. */
static const char *const units[] = {"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE",
                                    "HOUR",        "DAY",         "DAYOFYEAR", "WEEK",
                                    "MONTH",       "QUARTER",     "YEAR"};

static int unit_index(const char *s, size_t n) {
  for (int i = 0; i < (int)(sizeof units / sizeof units[0]); i++)
    if (strlen(units[i]) == n && !strncasecmp(units[i], s, n)) return i;
  return -1;
}

int funcs_date_unit_arg(const char *name, int nargs, const char *ident) {
  if (nargs != 3 || !ident) return 0;
  if (strcasecmp(name, "timestampadd") && strcasecmp(name, "timestampdiff") &&
      strcasecmp(name, "dateadd") && strcasecmp(name, "date_add") &&
      strcasecmp(name, "datediff") && strcasecmp(name, "date_diff"))
    return 0;
  return unit_index(ident, strlen(ident)) >= 0;
}

/* A timestamp-like argument for unix_timestamp/to_unix_timestamp: STRING
 * (parsed with fmt), DATE or TIMESTAMP. Returns the TIMESTAMP expression. */
static struct expr *unix_ts_arg(struct fcall *f) {
  struct expr *a = f->args[0];
  enum type_id t = a->type.id;
  if (t == TYPE_DATE || t == TYPE_TIMESTAMP) {
    if (f->nargs == 2 && !fcall_want(f, 1, T(TYPE_STRING))) return NULL; /* format unused */
    if (!(a = coerce_to(f->ctx, a, T(TYPE_TIMESTAMP)))) f->rc = ERR_NOMEM;
    return a;
  }
  if (!fcall_want_req(f, 0, T(TYPE_STRING),
                      "(\"STRING\" or \"DATE\" or \"TIMESTAMP\" or \"TIMESTAMP_NTZ\")"))
    return NULL;
  struct expr *fmt = f->nargs == 2 ? (fcall_want(f, 1, T(TYPE_STRING)) ? f->args[1] : NULL)
                                   : str_lit(f, DEFAULT_TS_FMT);
  if (!fmt) return NULL;
  struct expr *pa[2] = {f->args[0], fmt};
  struct expr *e = mk(f, FN_TO_TS_FMT, T(TYPE_TIMESTAMP), pa, 2);
  if (e) e->nullable = 1; /* unparsable text */
  return e;
}

static struct expr *unix_timestamp(struct fcall *f, int allow_none) {
  if (!fcall_nargs(f, allow_none ? 0 : 1, 2)) return NULL;
  struct expr *ts;
  if (f->nargs == 0) {
    ts = mk(f, FN_CURRENT_TIMESTAMP, T(TYPE_TIMESTAMP), NULL, 0);
    if (ts) ts->nullable = 0;
  } else {
    ts = unix_ts_arg(f);
  }
  if (!ts) return NULL;
  return mk(f, FN_UNIX_SECONDS, T(TYPE_BIGINT), &ts, 1);
}

static struct expr *from_unixtime(struct fcall *f) {
  if (!fcall_nargs(f, 1, 2) || !fcall_want(f, 0, T(TYPE_BIGINT))) return NULL;
  struct expr *fmt = f->nargs == 2 ? (fcall_want(f, 1, T(TYPE_STRING)) ? f->args[1] : NULL)
                                   : str_lit(f, DEFAULT_TS_FMT);
  struct expr *ts = mk(f, FN_SECONDS_TO_TS, T(TYPE_TIMESTAMP), f->args, 1);
  if (!fmt || !ts) return NULL;
  ts->nullable = 1;
  struct expr *pa[2] = {ts, fmt};
  return mk(f, FN_DATE_FORMAT, T(TYPE_STRING), pa, 2);
}

/* The literal unit of timestampadd/timestampdiff (bind_call turns the
 * keyword into a STRING literal); -1 with the message set otherwise. */
static int unit_arg(struct fcall *f, int is_diff) {
  struct expr *u = f->args[0];
  int k = -1;
  if (u->kind == EXPR_LIT && u->type.id == TYPE_STRING && !u->u.lit.is_null)
    k = unit_index(u->u.lit.s ? u->u.lit.s : "", u->u.lit.len);
  if (k < 0 || (is_diff && !strcmp(units[k], "DAYOFYEAR"))) {
    snprintf(f->msg, f->msgsz,
             "[INVALID_PARAMETER_VALUE.DATETIME_UNIT] The value of parameter(s) `unit` in `%s` "
             "is invalid: expects one of the units without quotes YEAR, QUARTER, MONTH, WEEK, "
             "DAY, %sHOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND, but got the string literal "
             "%s.",
             f->name, is_diff ? "" : "DAYOFYEAR, ", f->argt ? f->argt[0] : "?");
    f->rc = ERR_SQL;
    return -1;
  }
  return k;
}

static struct expr *ts_unit_call(struct fcall *f, int is_diff) {
  if (!fcall_nargs(f, 3, 3) || unit_arg(f, is_diff) < 0) return NULL;
  if (is_diff) {
    if (!fcall_want(f, 1, T(TYPE_TIMESTAMP)) || !fcall_want(f, 2, T(TYPE_TIMESTAMP))) return NULL;
    return fcall_expr(f, FN_TS_DIFF_UNIT, T(TYPE_BIGINT));
  }
  if (!fcall_want(f, 1, T(TYPE_BIGINT)) || !fcall_want(f, 2, T(TYPE_TIMESTAMP))) return NULL;
  return fcall_expr(f, FN_TS_ADD_UNIT, T(TYPE_TIMESTAMP));
}

/* extract/date_part fields this file adds (funcs.c has the others). */
static const struct {
  const char *name;
  enum expr_fn fn;
  int plus_one; /* DAYOFWEEK_ISO = weekday + 1 */
} fields[] = {{"week", FN_WEEKOFYEAR, 0},     {"weeks", FN_WEEKOFYEAR, 0},
              {"w", FN_WEEKOFYEAR, 0},        {"doy", FN_DAYOFYEAR, 0},
              {"dayofweek_iso", FN_WEEKDAY, 1}, {"dow_iso", FN_WEEKDAY, 1}};

static struct expr *extract_field(struct fcall *f, int k) {
  f->args[0] = f->args[1];
  f->nargs = 1;
  if (!fcall_want(f, 0, T(TYPE_DATE))) return NULL;
  struct expr *e = fcall_expr(f, fields[k].fn, T(TYPE_INT));
  if (!e || !fields[k].plus_one) return e;
  struct expr *one = coerce_int(f->ctx, TYPE_INT, 1);
  if (!one) return f->rc = ERR_NOMEM, NULL;
  struct expr *pa[2] = {e, one};
  return mk(f, FN_ADD, T(TYPE_INT), pa, 2);
}

static struct expr *build(struct fcall *f, const char *n) {
  struct type S = T(TYPE_STRING), I = T(TYPE_INT), DT = T(TYPE_DATE), TS = T(TYPE_TIMESTAMP);
  struct expr *e;
#define IS(x) (!strcmp(n, x))
  if (IS("unix_timestamp") || IS("to_unix_timestamp"))
    return unix_timestamp(f, IS("unix_timestamp"));
  if (IS("unix_seconds")) {
    if (!fcall_nargs(f, 1, 1) || !fcall_want(f, 0, TS)) return NULL;
    return fcall_expr(f, FN_UNIX_SECONDS, T(TYPE_BIGINT));
  }
  if (IS("from_unixtime")) return from_unixtime(f);
  if (IS("last_day") || IS("weekofyear") || IS("dayofyear") || IS("weekday")) {
    if (!fcall_nargs(f, 1, 1) || !fcall_want(f, 0, DT)) return NULL;
    if (IS("last_day")) {
      if ((e = fcall_expr(f, FN_LAST_DAY, DT))) e->nullable = 1; /* past the last DATE */
      return e;
    }
    return fcall_expr(f, IS("weekofyear") ? FN_WEEKOFYEAR
                                    : IS("dayofyear") ? FN_DAYOFYEAR : FN_WEEKDAY, I);
  }
  if (IS("next_day")) {
    if (!fcall_nargs(f, 2, 2) || !fcall_want(f, 0, DT) || !fcall_want(f, 1, S)) return NULL;
    if ((e = fcall_expr(f, FN_NEXT_DAY, DT))) e->nullable = 1;
    return e;
  }
  if (IS("months_between")) {
    if (!fcall_nargs(f, 2, 3) || !fcall_want(f, 0, TS) || !fcall_want(f, 1, TS)) return NULL;
    if (f->nargs == 3) {
      if (!fcall_want(f, 2, T(TYPE_BOOLEAN))) return NULL;
      return fcall_expr(f, FN_MONTHS_BETWEEN, T(TYPE_DOUBLE));
    }
    struct value t;
    memset(&t, 0, sizeof t);
    t.type = T(TYPE_BOOLEAN);
    t.i = 1;
    struct expr *pa[3] = {f->args[0], f->args[1], expr_lit(f->ctx, &t)};
    if (!pa[2]) return f->rc = ERR_NOMEM, NULL;
    return mk(f, FN_MONTHS_BETWEEN, T(TYPE_DOUBLE), pa, 3);
  }
  if (IS("make_date")) {
    if (!fcall_nargs(f, 3, 3)) return NULL;
    for (int i = 0; i < 3; i++) fcall_want(f, i, I);
    if ((e = fcall_expr(f, FN_MAKE_DATE, DT))) e->nullable = 1;
    return e;
  }
  if (IS("make_timestamp")) {
    if (!fcall_nargs(f, 6, 7)) return NULL;
    if (f->nargs == 7) {
      snprintf(f->msg, f->msgsz,
               "make_timestamp with a time zone argument is not supported by the local engine "
               "(its session time zone is UTC); call it with six arguments.");
      f->rc = ERR_UNSUPPORTED;
      return NULL;
    }
    for (int i = 0; i < 5; i++) fcall_want(f, i, I);
    struct type sec = {TYPE_DECIMAL, 16, 6};
    fcall_want(f, 5, sec);
    if ((e = fcall_expr(f, FN_MAKE_TS, TS))) e->nullable = 1;
    return e;
  }
  if (IS("timestampadd") || ((IS("dateadd") || IS("date_add")) && f->nargs == 3))
    return ts_unit_call(f, 0);
  if (IS("timestampdiff") || ((IS("datediff") || IS("date_diff")) && f->nargs == 3))
    return ts_unit_call(f, 1);
  if (IS("date_diff")) {
    if (!fcall_nargs(f, 2, 3) || !fcall_want(f, 0, DT) || !fcall_want(f, 1, DT)) return NULL;
    return fcall_expr(f, FN_DATEDIFF, I);
  }
  if (IS("trunc")) {
    if (!fcall_nargs(f, 2, 2) || !fcall_want(f, 0, DT) || !fcall_want(f, 1, S)) return NULL;
    if ((e = fcall_expr(f, FN_TRUNC_DATE, DT))) e->nullable = 1;
    return e;
  }
  if ((IS("extract") || IS("date_part") || IS("datepart")) && f->nargs == 2) {
    struct expr *a = f->args[0];
    if (a->kind != EXPR_LIT || a->type.id != TYPE_STRING || a->u.lit.is_null) return NULL;
    for (int k = 0; k < (int)(sizeof fields / sizeof fields[0]); k++)
      if (strlen(fields[k].name) == a->u.lit.len &&
          !strncasecmp(fields[k].name, a->u.lit.s, a->u.lit.len))
        return extract_field(f, k);
    return NULL;
  }
#undef IS
  return NULL;
}

int funcs_date_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                      const char *call_text, const char *const *arg_text, struct expr **out,
                      char *msg, size_t msgsz) {
  struct fcall f = {ctx, name, args, nargs, call_text, arg_text, msg, msgsz, 0};
  struct expr *e = build(&f, name);
  if (f.rc) return f.rc;
  if (!e) return ERR_NOTFOUND;
  *out = e;
  return 0;
}
