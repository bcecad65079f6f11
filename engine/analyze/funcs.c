/* funcs.c: see funcs.h. */
#include "engine/analyze/funcs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/fcall.h"
#include "engine/analyze/funcs_array.h"
#include "engine/analyze/funcs_regex.h"
#include "engine/analyze/funcs_date.h"
#include "engine/analyze/funcs_str2.h"
#include "engine/vec/array.h"
#include "engine/vec/schema.h"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

int funcs_agg(const char *name, enum agg_fn *out) {
  static const struct {
    const char *name;
    enum agg_fn fn;
  } tab[] = {{"count", AGG_COUNT},          {"sum", AGG_SUM},
             {"avg", AGG_AVG},              {"mean", AGG_AVG},
             {"min", AGG_MIN},              {"max", AGG_MAX},
             {"first", AGG_FIRST},          {"first_value", AGG_FIRST},
             {"any_value", AGG_FIRST},      {"stddev", AGG_STDDEV_SAMP},
             {"stddev_samp", AGG_STDDEV_SAMP}, {"std", AGG_STDDEV_SAMP},
             {"variance", AGG_VAR_SAMP},    {"var_samp", AGG_VAR_SAMP},
             {"var_pop", AGG_VAR_POP},      {"stddev_pop", AGG_STDDEV_POP},
             {"approx_count_distinct", AGG_APPROX_COUNT_DISTINCT},
             {"collect_list", AGG_COLLECT_LIST}, {"array_agg", AGG_COLLECT_LIST},
             {"collect_set", AGG_COLLECT_SET},
             {"last", AGG_LAST},            {"last_value", AGG_LAST},
             {"bool_and", AGG_BOOL_AND},    {"every", AGG_BOOL_AND},
             {"bool_or", AGG_BOOL_OR},      {"some", AGG_BOOL_OR},
             {"any", AGG_BOOL_OR},          {"count_if", AGG_COUNT_IF},
             {"max_by", AGG_MAX_BY},        {"min_by", AGG_MIN_BY},
             {"percentile", AGG_PERCENTILE}, {"median", AGG_MEDIAN},
             {"percentile_approx", AGG_PERCENTILE_APPROX},
             {"approx_percentile", AGG_PERCENTILE_APPROX}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (!strcasecmp(name, tab[i].name)) {
      *out = tab[i].fn;
      return 1;
    }
  return 0;
}

int funcs_window(const char *name, enum win_fn *out) {
  static const struct {
    const char *name;
    enum win_fn fn;
  } tab[] = {{"row_number", WIN_ROW_NUMBER}, {"rank", WIN_RANK}, {"dense_rank", WIN_DENSE_RANK},
             {"lag", WIN_LAG}, {"lead", WIN_LEAD}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (!strcasecmp(name, tab[i].name)) {
      *out = tab[i].fn;
      return 1;
    }
  return 0;
}

int funcs_agg_type(enum agg_fn fn, struct type t, struct type *arg, struct type *res) {
  *arg = t;
  switch (fn) {
    case AGG_COUNT_STAR:
    case AGG_COUNT: *res = T(TYPE_BIGINT); return 0;
    case AGG_SUM:
      if (t.id == TYPE_STRING || t.id == TYPE_NULL) *arg = t = T(TYPE_DOUBLE);
      switch (t.id) {
        case TYPE_INT:
        case TYPE_BIGINT: *res = T(TYPE_BIGINT); return 0;
        case TYPE_DOUBLE: *res = t; return 0;
        case TYPE_DECIMAL:
          /* Spark: DECIMAL(p + 10, s), within the engine's 18 digits */
          *res = t;
          res->precision = (uint8_t)(t.precision + 10 > COERCE_MAX_PRECISION ? COERCE_MAX_PRECISION
                                                                             : t.precision + 10);
          return 0;
        default: return -1;
      }
    case AGG_AVG:
      if (t.id == TYPE_STRING || t.id == TYPE_NULL) *arg = t = T(TYPE_DOUBLE);
      if (t.id == TYPE_DECIMAL) {
        if (t.scale + 4 > COERCE_MAX_PRECISION) {
          *arg = *res = T(TYPE_DOUBLE);
          return 0;
        }
        int p = t.precision + 4;
        *res = t;
        res->precision = (uint8_t)(p > COERCE_MAX_PRECISION ? COERCE_MAX_PRECISION : p);
        res->scale = (uint8_t)(t.scale + 4);
        return 0;
      }
      if (!coerce_is_numeric(t)) return -1;
      *res = T(TYPE_DOUBLE);
      return 0;
    case AGG_COLLECT_LIST:
    case AGG_COLLECT_SET:
      if (!array_elem_ok(t.id)) return -1; /* no arrays of arrays */
      *res = type_array_of(t);
      return 0;
    case AGG_MIN:
    case AGG_MAX:
    case AGG_FIRST:
      if (t.id == TYPE_INTERVAL || (t.id == TYPE_ARRAY && fn != AGG_FIRST)) return -1;
      *res = t;
      return 0;
    case AGG_LAST:
    case AGG_FIRST_NULLS:
    case AGG_LAST_NULLS:
    case AGG_MAX_BY: /* t: the value x (the analyzer checks the ordering) */
    case AGG_MIN_BY:
      if (t.id == TYPE_INTERVAL) return -1;
      *res = t;
      return 0;
    case AGG_BOOL_AND:
    case AGG_BOOL_OR:
    case AGG_COUNT_IF:
      /* Spark casts no STRING to BOOLEAN implicitly. */
      if (t.id != TYPE_BOOLEAN && t.id != TYPE_NULL) return -1;
      *arg = T(TYPE_BOOLEAN);
      *res = T(fn == AGG_COUNT_IF ? TYPE_BIGINT : TYPE_BOOLEAN);
      return 0;
    case AGG_PERCENTILE:
    case AGG_MEDIAN:
      if (!coerce_is_numeric(t) && t.id != TYPE_STRING && t.id != TYPE_NULL) return -1;
      *arg = *res = T(TYPE_DOUBLE);
      return 0;
    case AGG_PERCENTILE_APPROX:
      if (t.id == TYPE_STRING || t.id == TYPE_NULL) *arg = t = T(TYPE_DOUBLE);
      if (!coerce_is_numeric(t) && t.id != TYPE_DATE && t.id != TYPE_TIMESTAMP) return -1;
      *res = t;
      return 0;
    case AGG_APPROX_COUNT_DISTINCT:
      if (t.id == TYPE_INTERVAL || t.id == TYPE_ARRAY) return -1;
      *res = T(TYPE_BIGINT);
      return 0;
    case AGG_STDDEV_SAMP:
    case AGG_VAR_SAMP:
    case AGG_VAR_POP:
    case AGG_STDDEV_POP:
      if (!coerce_is_numeric(t) && t.id != TYPE_STRING && t.id != TYPE_NULL) return -1;
      *arg = *res = T(TYPE_DOUBLE);
      return 0;
    default: return -1;
  }
}

int funcs_implicit_ok(struct type from, struct type to) {
  if (coerce_type_eq(from, to) || from.id == TYPE_NULL) return 1;
  if (from.id == TYPE_ARRAY || to.id == TYPE_ARRAY)
    return 0; /* arrays cast to nothing implicitly */
  if (from.id == TYPE_INTERVAL || to.id == TYPE_INTERVAL) return 0;
  if (to.id == TYPE_STRING) return 1;
  if (coerce_is_numeric(to)) return coerce_is_numeric(from) || from.id == TYPE_STRING;
  if (to.id == TYPE_DATE || to.id == TYPE_TIMESTAMP)
    return from.id == TYPE_STRING || from.id == TYPE_DATE || from.id == TYPE_TIMESTAMP;
  if (to.id == TYPE_BOOLEAN) return from.id == TYPE_STRING;
  return 0;
}

/* ---- builder state ---- */

void funcs_wrong_nargs(const char *name, int lo, int hi, int nargs, char *msg, size_t msgsz) {
  if (lo == hi)
    snprintf(msg, msgsz,
             "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %d parameters but the actual "
             "number is %d.",
             name, lo, nargs);
  else if (hi > 1000)
    snprintf(msg, msgsz,
             "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires > %d parameters but the actual "
             "number is %d.",
             name, lo - 1, nargs);
  else
    snprintf(msg, msgsz,
             "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires [%d, %d] parameters but the "
             "actual number is %d.",
             name, lo, hi, nargs);
}

static const struct {
  const char *name;
  enum expr_fn fn;
} date_parts[] = {{"year", FN_YEAR},       {"yyyy", FN_YEAR},       {"years", FN_YEAR},
                  {"month", FN_MONTH},     {"mon", FN_MONTH},       {"months", FN_MONTH},
                  {"day", FN_DAY},         {"days", FN_DAY},        {"d", FN_DAY},
                  {"dayofmonth", FN_DAY},  {"quarter", FN_QUARTER}, {"qtr", FN_QUARTER},
                  {"dayofweek", FN_DAYOFWEEK}, {"dow", FN_DAYOFWEEK}, {"hour", FN_HOUR},
                  {"hours", FN_HOUR},      {"h", FN_HOUR},          {"minute", FN_MINUTE},
                  {"minutes", FN_MINUTE},  {"min", FN_MINUTE},      {"second", FN_SECOND},
                  {"seconds", FN_SECOND},  {"sec", FN_SECOND},      {"s", FN_SECOND}};

static struct expr *date_part(struct fcall *b, enum expr_fn fn) {
  if (fn == FN_HOUR || fn == FN_MINUTE || fn == FN_SECOND) fcall_want(b, 0, T(TYPE_TIMESTAMP));
  else fcall_want(b, 0, T(TYPE_DATE));
  return fcall_expr(b, fn, T(TYPE_INT));
}

/* extract(SECOND FROM ts): Spark's DECIMAL(8,6), the seconds with their
 * fraction: the timestamp as DECIMAL(18,6) seconds, modulo 60 (made
 * non-negative for times before 1970). */
static struct expr *extract_second(struct fcall *b) {
  if (!fcall_want(b, 0, T(TYPE_TIMESTAMP))) return NULL;
  struct type d18 = {.id = TYPE_DECIMAL, .precision = 18, .scale = 6};
  struct type d8 = {.id = TYPE_DECIMAL, .precision = 8, .scale = 6};
  struct value v;
  memset(&v, 0, sizeof v);
  v.type = d18;
  v.i = 60000000; /* 60.000000 */
  struct expr *sec = coerce_to(b->ctx, b->args[0], d18);
  struct expr *k1 = expr_lit(b->ctx, &v), *k2 = expr_lit(b->ctx, &v), *k3 = expr_lit(b->ctx, &v);
  if (!sec || !k1 || !k2 || !k3) return b->rc = ERR_NOMEM, NULL;
  struct expr *a1[2] = {sec, k1};
  struct expr *m1 = expr_func(b->ctx, FN_MOD, d18, a1, 2);
  struct expr *a2[2] = {m1, k2};
  struct expr *p = m1 ? expr_func(b->ctx, FN_ADD, d18, a2, 2) : NULL;
  struct expr *a3[2] = {p, k3};
  struct expr *m2 = p ? expr_func(b->ctx, FN_MOD, d18, a3, 2) : NULL;
  struct expr *r = m2 ? expr_cast(b->ctx, m2, d8) : NULL;
  if (!r) return b->rc = ERR_NOMEM, NULL;
  r->nullable = b->args[0]->nullable;
  return r;
}

static struct expr *cast_to(struct fcall *b, struct type t) {
  if (!fcall_nargs(b, 1, 1)) return NULL;
  if (!coerce_can_cast(b->args[0]->type, t)) {
    char t1[32], t2[32];
    snprintf(b->msg, b->msgsz,
             "[DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION] Cannot resolve \"%s\" due to data type "
             "mismatch: cannot cast \"%s\" to \"%s\".",
             b->call, schema_type_sql(b->args[0]->type, t1), schema_type_sql(t, t2));
    b->rc = ERR_SQL;
    return NULL;
  }
  struct expr *e = coerce_to(b->ctx, b->args[0], t);
  if (!e) b->rc = ERR_NOMEM;
  return e;
}


static struct expr *build(struct fcall *b, const char *n) {
  struct type S = T(TYPE_STRING), I = T(TYPE_INT), D = T(TYPE_DOUBLE), B = T(TYPE_BOOLEAN);
  struct type DT = T(TYPE_DATE), TS = T(TYPE_TIMESTAMP), t;
#define IS(x) (!strcmp(n, x))
  if (IS("coalesce") || IS("nvl") || IS("ifnull")) {
    b->name = IS("coalesce") ? "coalesce" : n;
    if (!fcall_nargs(b, IS("coalesce") ? 1 : 2, IS("coalesce") ? 100000 : 2) ||
        !fcall_unify(b, 0, &t))
      return NULL;
    struct expr *e = fcall_expr(b, FN_COALESCE, t);
    if (e) {
      e->nullable = 1;
      for (int i = 0; i < b->nargs; i++) e->nullable &= b->args[i]->nullable;
    }
    return e;
  }
  if (IS("if") || IS("iff")) {
    if (!fcall_nargs(b, 3, 3) || !fcall_want(b, 0, B) || !fcall_unify(b, 1, &t)) return NULL;
    return fcall_expr(b, FN_IF, t);
  }
  if (IS("nullif")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_unify(b, 0, &t)) return NULL;
    return fcall_expr(b, FN_NULLIF, t);
  }
  if (IS("greatest") || IS("least")) {
    if (!fcall_nargs(b, 2, 100000) || !fcall_unify(b, 0, &t)) return NULL;
    return fcall_expr(b, IS("greatest") ? FN_GREATEST : FN_LEAST, t);
  }
  if (IS("concat")) {
    for (int i = 0; i < b->nargs; i++) fcall_want(b, i, S);
    return fcall_expr(b, FN_CONCAT, S);
  }
  if (IS("concat_ws")) {
    if (!fcall_nargs(b, 1, 100000)) return NULL;
    for (int i = 0; i < b->nargs; i++) fcall_want(b, i, S);
    return fcall_expr(b, FN_CONCAT_WS, S);
  }
  if (IS("substring") || IS("substr")) {
    if (!fcall_nargs(b, 2, 3)) return NULL;
    fcall_want(b, 0, S);
    fcall_want(b, 1, I);
    if (b->nargs == 3) fcall_want(b, 2, I);
    return fcall_expr(b, FN_SUBSTRING, S);
  }
  if (IS("left")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, I)) return NULL;
    struct expr *a[3] = {b->args[0], coerce_int(b->ctx, TYPE_INT, 1), b->args[1]};
    if (!a[1]) return b->rc = ERR_NOMEM, NULL;
    struct expr *e = expr_func(b->ctx, FN_SUBSTRING, S, a, 3);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("upper") || IS("ucase") || IS("lower") || IS("lcase")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, S)) return NULL;
    return fcall_expr(b, (IS("upper") || IS("ucase")) ? FN_UPPER : FN_LOWER, S);
  }
  if (IS("length") || IS("char_length") || IS("character_length") || IS("len")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, S)) return NULL;
    return fcall_expr(b, FN_LENGTH, I);
  }
  if (IS("trim") || IS("ltrim") || IS("rtrim") || IS("btrim")) {
    if (!fcall_nargs(b, 1, 2)) return NULL;
    for (int i = 0; i < b->nargs; i++) fcall_want(b, i, S);
    return fcall_expr(b, IS("ltrim") ? FN_LTRIM : IS("rtrim") ? FN_RTRIM : FN_TRIM, S);
  }
  if (IS("replace")) {
    if (!fcall_nargs(b, 2, 3)) return NULL;
    for (int i = 0; i < b->nargs; i++) fcall_want(b, i, S);
    return fcall_expr(b, FN_REPLACE, S);
  }
  if (IS("instr")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
    return fcall_expr(b, FN_INSTR, I);
  }
  if (IS("locate") || IS("position")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
    struct expr *a[2] = {b->args[1], b->args[0]}; /* locate(sub, str) = instr(str, sub) */
    struct expr *e = expr_func(b->ctx, FN_INSTR, I, a, 2);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("lpad") || IS("rpad")) {
    if (!fcall_nargs(b, 2, 3) || !fcall_want(b, 0, S) || !fcall_want(b, 1, I)) return NULL;
    if (b->nargs == 3) {
      if (!fcall_want(b, 2, S)) return NULL;
      return fcall_expr(b, IS("lpad") ? FN_LPAD : FN_RPAD, S);
    }
    struct expr *a[3] = {b->args[0], b->args[1], coerce_string(b->ctx, " ", 1)};
    if (!a[2]) return b->rc = ERR_NOMEM, NULL;
    struct expr *e = expr_func(b->ctx, IS("lpad") ? FN_LPAD : FN_RPAD, S, a, 3);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("startswith") || IS("endswith") || IS("contains")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
    return fcall_expr(b,
                      IS("startswith") ? FN_STARTSWITH
                      : IS("endswith") ? FN_ENDSWITH
                                       : FN_CONTAINS,
                      B);
  }
  if (IS("abs")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want_num(b, 0)) return NULL;
    return fcall_expr(b, FN_ABS, b->args[0]->type);
  }
  if (IS("round")) {
    if (!fcall_nargs(b, 1, 2) || !fcall_want_num(b, 0)) return NULL;
    if (b->nargs == 1) {
      struct expr *a[2] = {b->args[0], coerce_int(b->ctx, TYPE_INT, 0)};
      if (!a[1]) return b->rc = ERR_NOMEM, NULL;
      struct expr *e = expr_func(b->ctx, FN_ROUND, coerce_round_type(a[0]->type, 0), a, 2);
      if (!e) b->rc = ERR_NOMEM;
      return e;
    }
    if (!fcall_want(b, 1, I)) return NULL;
    if (b->args[1]->kind != EXPR_LIT) {
      snprintf(b->msg, b->msgsz,
               "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] Cannot resolve \"%s\" due to data type "
               "mismatch: the input `scale` should be a foldable \"INT\" expression.",
               b->call);
      b->rc = ERR_SQL;
      return NULL;
    }
    struct type rt = b->args[0]->type;
    if (!b->args[1]->u.lit.is_null) rt = coerce_round_type(rt, b->args[1]->u.lit.i);
    return fcall_expr(b, FN_ROUND, rt);
  }
  if (IS("floor") || IS("ceil") || IS("ceiling")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want_num(b, 0)) return NULL;
    struct type a = b->args[0]->type, r = T(TYPE_BIGINT);
    if (a.id == TYPE_DECIMAL) {
      r = a;
      r.precision = (uint8_t)(a.precision - a.scale + 1);
      if (r.precision > COERCE_MAX_PRECISION) r.precision = COERCE_MAX_PRECISION;
      r.scale = 0;
    }
    return fcall_expr(b, IS("floor") ? FN_FLOOR : FN_CEIL, r);
  }
  if (IS("sqrt") || IS("exp") || IS("ln") || IS("log10") || (IS("log") && b->nargs == 1)) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, D)) return NULL;
    return fcall_expr(b,
                      IS("sqrt")    ? FN_SQRT
                      : IS("exp")   ? FN_EXP
                      : IS("log10") ? FN_LOG10
                                    : FN_LN,
                      D);
  }
  if (IS("log")) { /* log(base, x) = ln(x) / ln(base) */
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, D) || !fcall_want(b, 1, D)) return NULL;
    struct expr *l0 = expr_func(b->ctx, FN_LN, D, &b->args[1], 1);
    struct expr *l1 = expr_func(b->ctx, FN_LN, D, &b->args[0], 1);
    if (!l0 || !l1) return b->rc = ERR_NOMEM, NULL;
    struct expr *a[2] = {l0, l1};
    struct expr *e = expr_func(b->ctx, FN_DIV, D, a, 2);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("pow") || IS("power")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, D) || !fcall_want(b, 1, D)) return NULL;
    return fcall_expr(b, FN_POWER, D);
  }
  if (IS("mod")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want_num(b, 0) || !fcall_want_num(b, 1)) return NULL;
    int bad;
    struct expr *e = coerce_arith(b->ctx, FN_MOD, b->args[0], b->args[1], &bad);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("pmod")) { /* Spark: r = a % n; r < 0 ? (r + n) % n : r (Java wrapping add) */
    if (!fcall_nargs(b, 2, 2) || !fcall_want_num(b, 0) || !fcall_want_num(b, 1)) return NULL;
    int bad;
    struct expr *m = coerce_arith(b->ctx, FN_MOD, b->args[0], b->args[1], &bad);
    if (!m) return b->rc = ERR_NOMEM, NULL;
    struct type rt = m->type;
    struct value zero = {rt, 0, 0, 0, NULL, 0};
    struct expr *n1 = expr_copy(b->ctx, m->u.func.args[1]);
    struct expr *sum_args[2] = {expr_copy(b->ctx, m), n1};
    struct expr *sum = sum_args[0] && n1 ? expr_func(b->ctx, FN_ADD, rt, sum_args, 2) : NULL;
    if (sum) sum->ansi = 0;
    struct expr *m2_args[2] = {sum, expr_copy(b->ctx, m->u.func.args[1])};
    struct expr *m2 = sum && m2_args[1] ? expr_func(b->ctx, FN_MOD, rt, m2_args, 2) : NULL;
    struct expr *lt_args[2] = {expr_copy(b->ctx, m), expr_lit(b->ctx, &zero)};
    struct expr *lt = lt_args[0] && lt_args[1] ? expr_func(b->ctx, FN_LT, B, lt_args, 2) : NULL;
    struct expr *if_args[3] = {lt, m2, m};
    struct expr *e = lt && m2 ? expr_func(b->ctx, FN_IF, rt, if_args, 3) : NULL;
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("try_add") || IS("try_subtract") || IS("try_multiply") || IS("try_divide")) {
    /* the operator with NULL instead of an overflow or division by zero */
    if (!fcall_nargs(b, 2, 2) || !fcall_want_num(b, 0) || !fcall_want_num(b, 1)) return NULL;
    int bad;
    enum expr_fn fn = IS("try_add") ? FN_ADD : IS("try_subtract") ? FN_SUB
                      : IS("try_multiply") ? FN_MUL : FN_DIV;
    struct expr *e = coerce_arith(b->ctx, fn, b->args[0], b->args[1], &bad);
    if (!e) return b->rc = ERR_NOMEM, NULL;
    e->try_eval = 1;
    return e;
  }
  for (size_t i = 0; i < sizeof date_parts / sizeof date_parts[0]; i++)
    if (IS(date_parts[i].name) && (IS("year") || IS("month") || IS("day") || IS("dayofmonth") ||
                                   IS("quarter") || IS("dayofweek") || IS("hour") ||
                                   IS("minute") || IS("second"))) {
      if (!fcall_nargs(b, 1, 1)) return NULL;
      return date_part(b, date_parts[i].fn);
    }
  if (IS("extract") || IS("date_part") || IS("datepart")) {
    if (!fcall_nargs(b, 2, 2)) return NULL;
    struct expr *f = b->args[0];
    if (f->kind != EXPR_LIT || f->type.id != TYPE_STRING || f->u.lit.is_null) {
      snprintf(b->msg, b->msgsz,
               "[NON_FOLDABLE_ARGUMENT] The function `%s` requires the parameter `field` to be a "
               "foldable expression of the type \"STRING\".",
               b->name);
      b->rc = ERR_SQL;
      return NULL;
    }
    for (size_t i = 0; i < sizeof date_parts / sizeof date_parts[0]; i++)
      if (strlen(date_parts[i].name) == f->u.lit.len &&
          !strncasecmp(date_parts[i].name, f->u.lit.s, f->u.lit.len)) {
        b->args[0] = b->args[1];
        b->nargs = 1;
        if (date_parts[i].fn == FN_SECOND) return extract_second(b);
        return date_part(b, date_parts[i].fn);
      }
    snprintf(b->msg, b->msgsz, "[INVALID_EXTRACT_FIELD] Cannot extract %.*s from %s.",
             (int)f->u.lit.len, f->u.lit.s, b->argt ? b->argt[1] : "?");
    b->rc = ERR_SQL;
    return NULL;
  }
  if (IS("date_add") || IS("date_sub") || IS("dateadd")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, DT) || !fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, IS("date_sub") ? FN_DATE_SUB : FN_DATE_ADD, DT);
  }
  if (IS("datediff")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, DT) || !fcall_want(b, 1, DT)) return NULL;
    return fcall_expr(b, FN_DATEDIFF, I);
  }
  if (IS("add_months")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, DT) || !fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, FN_ADD_MONTHS, DT);
  }
  if (IS("date_trunc")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, TS)) return NULL;
    return fcall_expr(b, FN_DATE_TRUNC, TS);
  }
  if (IS("date_format")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, TS) || !fcall_want(b, 1, S)) return NULL;
    return fcall_expr(b, FN_DATE_FORMAT, S);
  }
  if (IS("current_date") || IS("curdate")) {
    if (!fcall_nargs(b, 0, 0)) return NULL;
    struct expr *e = fcall_expr(b, FN_CURRENT_DATE, DT);
    if (e) e->nullable = 0;
    return e;
  }
  if (IS("current_timestamp") || IS("now")) {
    if (!fcall_nargs(b, 0, 0)) return NULL;
    struct expr *e = fcall_expr(b, FN_CURRENT_TIMESTAMP, TS);
    if (e) e->nullable = 0;
    return e;
  }
  if (IS("hash")) {
    if (!fcall_nargs(b, 1, 100000)) return NULL;
    struct expr *e = fcall_expr(b, FN_HASH, I);
    if (e) e->nullable = 0;
    return e;
  }
  if (IS("isnull") || IS("isnotnull")) {
    if (!fcall_nargs(b, 1, 1)) return NULL;
    return fcall_expr(b, IS("isnull") ? FN_IS_NULL : FN_IS_NOT_NULL, B);
  }
  if (IS("to_date") || IS("to_timestamp")) {
    if (b->nargs == 2) {
      if (!fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
      return fcall_expr(b, IS("to_date") ? FN_TO_DATE_FMT : FN_TO_TS_FMT, IS("to_date") ? DT : TS);
    }
    return cast_to(b, IS("to_date") ? DT : TS);
  }
  if (IS("int") || IS("integer")) return cast_to(b, I);
  if (IS("bigint") || IS("long")) return cast_to(b, T(TYPE_BIGINT));
  if (IS("double") || IS("float")) return cast_to(b, D);
  if (IS("string")) return cast_to(b, S);
  if (IS("boolean")) return cast_to(b, B);
  if (IS("date")) return cast_to(b, DT);
  if (IS("timestamp")) return cast_to(b, TS);
  if (IS("decimal")) {
    struct type dt = {TYPE_DECIMAL, 10, 0};
    return cast_to(b, dt);
  }
#undef IS
  b->rc = ERR_NOTFOUND;
  return NULL;
}

int funcs_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                 const char *call_text, const char *const *arg_text, struct expr **out,
                 char *msg, size_t msgsz) {
  char n[64];
  size_t k = 0;
  for (; name[k] && k < sizeof n - 1; k++)
    n[k] = (name[k] >= 'A' && name[k] <= 'Z') ? (char)(name[k] + 32) : name[k];
  n[k] = 0;
  if (name[k]) return ERR_NOTFOUND;
  struct expr *local[16];
  struct expr **a = nargs <= 16 ? local : plan_alloc(ctx, sizeof *a * (size_t)nargs);
  if (!a) return ERR_NOMEM;
  if (nargs > 0) memcpy(a, args, sizeof *a * (size_t)nargs);
  struct fcall b = {ctx, n, a, nargs, call_text, arg_text, msg, msgsz, 0};
  msg[0] = 0;
  int arc = funcs_array_scalar(ctx, n, a, nargs, call_text, arg_text, out, msg, msgsz);
  if (arc != ERR_NOTFOUND) return arc;
  arc = funcs_regex_scalar(ctx, n, a, nargs, call_text, arg_text, out, msg, msgsz);
  if (arc != ERR_NOTFOUND) return arc;
  arc = funcs_date_scalar(ctx, n, a, nargs, call_text, arg_text, out, msg, msgsz);
  if (arc != ERR_NOTFOUND) return arc;
  arc = funcs_str2_scalar(ctx, n, a, nargs, call_text, arg_text, out, msg, msgsz);
  if (arc != ERR_NOTFOUND) return arc;
  struct expr *e = build(&b, n);
  if (b.rc) return b.rc;
  if (!e) return ERR_NOMEM;
  *out = e;
  return 0;
}
