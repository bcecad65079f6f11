/* test_eval.c: unit tests of the vectorized evaluator (engine/exec/eval.h):
 * every function over hand-built batches with NULLs, three-valued logic,
 * the CAST matrix, Spark's SUBSTRING/ROUND/LIKE corner cases, date
 * arithmetic, IN lists, hashing, constant folding and the eval_select fast
 * path checked against a naive per-row computation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval.h"
#include "engine/plan/expr.h"
#include "engine/plan/plan.h"
#include "engine/vec/batch.h"
#include "engine/vec/datetime.h"
#include "tests/tap.h"

static struct plan_ctx *ctx;

static struct type ty(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}
static struct type dec(int p, int s) {
  struct type t = {TYPE_DECIMAL, (uint8_t)p, (uint8_t)s};
  return t;
}
#define T_B ty(TYPE_BOOLEAN)
#define T_I ty(TYPE_INT)
#define T_L ty(TYPE_BIGINT)
#define T_D ty(TYPE_DOUBLE)
#define T_S ty(TYPE_STRING)
#define T_DT ty(TYPE_DATE)
#define T_TS ty(TYPE_TIMESTAMP)
#define T_N ty(TYPE_NULL)

/* ------------------------------------------------------------ builders */

static struct expr *lit_i(struct type t, int64_t v) {
  struct value x;
  memset(&x, 0, sizeof x);
  x.type = t;
  x.i = v;
  return expr_lit(ctx, &x);
}
static struct expr *lit_d(double d) {
  struct value x;
  memset(&x, 0, sizeof x);
  x.type = T_D;
  x.d = d;
  return expr_lit(ctx, &x);
}
static struct expr *lit_s(const char *s) {
  struct value x;
  memset(&x, 0, sizeof x);
  x.type = T_S;
  x.s = plan_strdup(ctx, s);
  x.len = (uint32_t)strlen(s);
  return expr_lit(ctx, &x);
}
static struct expr *lit_null(struct type t) {
  struct value x;
  memset(&x, 0, sizeof x);
  x.type = t;
  x.is_null = 1;
  return expr_lit(ctx, &x);
}
static struct expr *lit_date(const char *s) {
  int32_t d;
  datetime_parse_date(s, strlen(s), &d);
  return lit_i(T_DT, d);
}
static struct expr *col(int idx, struct type t) {
  struct expr *e = expr_col(ctx, 100 + idx, t, 1);
  e->u.col.index = idx;
  return e;
}
static struct expr *fn(enum expr_fn f, struct type t, int n, ...) {
  struct expr *a[16];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) a[i] = va_arg(ap, struct expr *);
  va_end(ap);
  return expr_func(ctx, f, t, a, n);
}
static struct expr *cast(struct expr *e, struct type t) { return expr_cast(ctx, e, t); }
static struct expr *like(struct expr *arg, const char *pat, enum ast_like_kind k, int neg) {
  struct expr *e = plan_alloc(ctx, sizeof *e);
  e->kind = EXPR_LIKE;
  e->type = T_B;
  e->nullable = 1;
  e->u.like.arg = arg;
  e->u.like.pattern = plan_strdup(ctx, pat);
  e->u.like.len = (uint32_t)strlen(pat);
  e->u.like.kind = k;
  e->u.like.negated = neg;
  return e;
}
static struct expr *in_list(struct expr *arg, int neg, int n, ...) {
  struct expr *e = plan_alloc(ctx, sizeof *e);
  e->kind = EXPR_IN_LIST;
  e->type = T_B;
  e->u.in_list.arg = arg;
  e->u.in_list.negated = neg;
  e->u.in_list.n = n;
  e->u.in_list.list = plan_alloc(ctx, sizeof(struct expr *) * (size_t)(n ? n : 1));
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) e->u.in_list.list[i] = va_arg(ap, struct expr *);
  va_end(ap);
  return e;
}
/* CASE WHEN w0 THEN t0 ... [ELSE o]: n pairs then the else (or NULL). */
static struct expr *case_when(struct type t, int n, ...) {
  struct expr *e = plan_alloc(ctx, sizeof *e);
  e->kind = EXPR_CASE;
  e->type = t;
  e->u.cases.n = n;
  e->u.cases.when = plan_alloc(ctx, sizeof(struct expr *) * (size_t)n);
  e->u.cases.then = plan_alloc(ctx, sizeof(struct expr *) * (size_t)n);
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) {
    e->u.cases.when[i] = va_arg(ap, struct expr *);
    e->u.cases.then[i] = va_arg(ap, struct expr *);
  }
  e->u.cases.otherwise = va_arg(ap, struct expr *);
  va_end(ap);
  return e;
}

/* A batch from per-column '|'-separated texts ("\N" is NULL), parsed with
 * eval_cast_value from STRING (strings are taken verbatim). */
static struct batch *mkb(int ncols, const struct type *types, ...) {
  const char *specs[16];
  va_list ap;
  va_start(ap, types);
  for (int c = 0; c < ncols; c++) specs[c] = va_arg(ap, const char *);
  va_end(ap);
  uint32_t nrows = 1;
  for (const char *p = specs[0]; *p; p++) nrows += *p == '|';
  struct batch *b = batch_new(types, ncols, nrows, ARENA_UNLIMITED);
  for (int c = 0; c < ncols; c++) {
    const char *p = specs[c];
    for (uint32_t r = 0; r < nrows; r++) {
      const char *q = strchr(p, '|');
      size_t len = q ? (size_t)(q - p) : strlen(p);
      struct vector *v = &b->cols[c];
      if (len == 2 && memcmp(p, "\\N", 2) == 0) {
        vector_append_null(v);
      } else if (types[c].id == TYPE_STRING) {
        vector_append_str(v, p, len);
      } else {
        struct value s, o;
        memset(&s, 0, sizeof s);
        s.type = T_S;
        s.s = p;
        s.len = (uint32_t)len;
        eval_cast_value(&s, types[c], ctx, &o);
        if (o.is_null) vector_append_null(v);
        else if (types[c].id == TYPE_DOUBLE) vector_append_f64(v, o.d);
        else if (types[c].id == TYPE_BOOLEAN) vector_append_bool(v, (int)o.i);
        else if (types[c].id == TYPE_INT || types[c].id == TYPE_DATE)
          vector_append_i32(v, (int32_t)o.i);
        else vector_append_i64(v, o.i);
      }
      p = q ? q + 1 : p + len;
    }
  }
  batch_set_rows(b, nrows);
  return b;
}

static struct batch *one_row(void) {
  struct batch *b = batch_new(NULL, 0, 1, ARENA_UNLIMITED);
  b->nrows = 1;
  return b;
}

static char outbuf[8192];
static struct err err;

/* Evaluate e over b and render the rows "v1,v2,..." (NULL as NULL). */
static const char *ev(struct expr *e, struct batch *b) {
  struct eval_prog *p;
  err_clear(&err);
  int rc = eval_compile(e, &p, &err);
  if (rc) {
    snprintf(outbuf, sizeof outbuf, "ERR %d: %s", rc, err.msg);
    return outbuf;
  }
  struct arena heap;
  arena_init(&heap, ARENA_UNLIMITED);
  struct vector out;
  memset(&out, 0, sizeof out);
  out.type = e->type;
  if (e->type.id != TYPE_NULL) vector_init(&out, e->type, b->nrows ? b->nrows : 1, &heap);
  rc = eval_run(p, b, &out, &err);
  struct buf t;
  buf_init(&t, BUF_UNLIMITED);
  if (rc) {
    buf_printf(&t, "ERR %d: %s", rc, err.msg);
  } else {
    for (uint32_t i = 0; i < out.count; i++) {
      if (i) buf_putc(&t, ',');
      if (e->type.id == TYPE_NULL) buf_puts(&t, "NULL");
      else vector_to_text(&out, i, &t);
    }
  }
  snprintf(outbuf, sizeof outbuf, "%s", t.data ? t.data : "");
  buf_fini(&t);
  vector_fini(&out);
  arena_fini(&heap);
  eval_free(p);
  return outbuf;
}

/* Evaluate a constant expression through eval_run on a one-row batch. */
static const char *ev1(struct expr *e) {
  static char keep[8192];
  struct batch *b = one_row();
  snprintf(keep, sizeof keep, "%s", ev(e, b));
  batch_free(b);
  return keep;
}

/* eval_select row numbers "0,2,..." */
static char selbuf[8192];
static const char *sel_rows(struct expr *e, struct batch *b) {
  struct eval_prog *p;
  err_clear(&err);
  if (eval_compile(e, &p, &err)) return "ERR";
  uint32_t *sel = malloc(sizeof *sel * (b->nrows + 1));
  uint32_t n = 0;
  int rc = eval_select(p, b, sel, &n, &err);
  size_t at = 0;
  selbuf[0] = 0;
  for (uint32_t i = 0; i < n && at < sizeof selbuf - 16; i++)
    at += (size_t)snprintf(selbuf + at, sizeof selbuf - at, i ? ",%u" : "%u", sel[i]);
  if (rc) snprintf(selbuf, sizeof selbuf, "ERR");
  free(sel);
  eval_free(p);
  return selbuf;
}

/* ----------------------------------------------------------------- tests */

static void test_arith(void) {
  struct type tt[] = {T_I, T_I};
  struct batch *b = mkb(2, tt, "7|-7|2147483647|\\N|5", "2|2|1|3|0");
  TAP_EQ_STR(ev(fn(FN_ADD, T_I, 2, col(0, T_I), col(1, T_I)), b), "9,-5,-2147483648,NULL,5",
             "int add wraps, NULL propagates");
  TAP_EQ_STR(ev(fn(FN_SUB, T_I, 2, col(0, T_I), col(1, T_I)), b), "5,-9,2147483646,NULL,5",
             "int sub");
  TAP_EQ_STR(ev(fn(FN_MUL, T_I, 2, col(0, T_I), lit_i(T_I, 3)), b), "21,-21,2147483645,NULL,15",
             "int mul by constant wraps");
  TAP_EQ_STR(ev(fn(FN_SUB, T_I, 2, lit_i(T_I, 10), col(0, T_I)), b), "3,17,-2147483637,NULL,5",
             "constant minus column");
  TAP_EQ_STR(ev(fn(FN_MOD, T_I, 2, col(0, T_I), col(1, T_I)), b), "1,-1,0,NULL,NULL",
             "mod takes the dividend's sign; x % 0 is NULL");
  TAP_EQ_STR(ev(fn(FN_IDIV, T_I, 2, col(0, T_I), col(1, T_I)), b), "3,-3,2147483647,NULL,NULL",
             "div truncates; div by 0 is NULL");
  TAP_EQ_STR(ev(fn(FN_NEG, T_I, 1, col(0, T_I)), b), "-7,7,-2147483647,NULL,-5", "negation");
  TAP_EQ_STR(ev(fn(FN_ADD, T_I, 2, col(0, T_I), lit_null(T_I)), b), "NULL,NULL,NULL,NULL,NULL",
             "adding a NULL constant");
  batch_free(b);

  struct type td[] = {T_D, T_D};
  b = mkb(2, td, "1|-1|0|\\N|1.5", "4|0|0|1|-0.5");
  TAP_EQ_STR(ev(fn(FN_DIV, T_D, 2, col(0, T_D), col(1, T_D)), b), "0.25,NULL,NULL,NULL,-3.0",
             "double division; x/0 is NULL");
  TAP_EQ_STR(ev(fn(FN_MOD, T_D, 2, col(0, T_D), lit_d(0.75)), b), "0.25,-0.25,0.0,NULL,0.0",
             "double mod");
  TAP_EQ_STR(ev(fn(FN_MUL, T_D, 2, lit_d(2), col(1, T_D)), b), "8.0,0.0,0.0,2.0,-1.0",
             "constant times double column");
  batch_free(b);

  struct type tl[] = {T_L, T_L};
  b = mkb(2, tl, "-9223372036854775808|10|-10", "-1|3|3");
  TAP_EQ_STR(ev(fn(FN_IDIV, T_L, 2, col(0, T_L), col(1, T_L)), b), "-9223372036854775808,3,-3",
             "bigint div: MIN div -1 wraps like Java");
  TAP_EQ_STR(ev(fn(FN_MOD, T_L, 2, col(0, T_L), col(1, T_L)), b), "0,1,-1", "bigint mod");
  batch_free(b);

  struct type tdec[] = {dec(15, 2), dec(15, 2)};
  b = mkb(2, tdec, "100.25|0.05|9999999999999.99|\\N", "1.10|-0.10|0.01|1");
  TAP_EQ_STR(ev(fn(FN_ADD, dec(16, 2), 2, col(0, dec(15, 2)), col(1, dec(15, 2))), b),
             "101.35,-0.05,10000000000000.00,NULL", "decimal add");
  TAP_EQ_STR(ev(fn(FN_ADD, dec(15, 2), 2, col(0, dec(15, 2)), col(1, dec(15, 2))), b),
             "101.35,-0.05,NULL,NULL", "decimal add past the result precision is NULL");
  TAP_EQ_STR(ev(fn(FN_MUL, dec(18, 4), 2, col(0, dec(15, 2)), col(1, dec(15, 2))), b),
             "110.2750,-0.0050,99999999999.9999,NULL", "decimal mul adds the scales");
  TAP_EQ_STR(ev(fn(FN_SUB, dec(16, 2), 2, lit_i(dec(3, 2), 100), col(1, dec(15, 2))), b),
             "-0.10,1.10,0.99,0.00", "1 - decimal column");
  TAP_EQ_STR(ev(fn(FN_MOD, dec(15, 2), 2, col(0, dec(15, 2)), col(1, dec(15, 2))), b),
             "0.15,0.05,0.00,NULL", "decimal mod");
  batch_free(b);
}

static void test_compare(void) {
  struct type tt[] = {T_I, T_I};
  struct batch *b = mkb(2, tt, "1|2|3|\\N|5", "2|2|2|2|\\N");
  static const enum expr_fn fs[] = {FN_EQ, FN_NE, FN_LT, FN_LE, FN_GT, FN_GE};
  static const char *want[] = {"false,true,false,NULL,NULL", "true,false,true,NULL,NULL",
                               "true,false,false,NULL,NULL", "true,true,false,NULL,NULL",
                               "false,false,true,NULL,NULL", "false,true,true,NULL,NULL"};
  static const char *wsel[] = {"1", "0,2", "0", "0,1", "2", "1,2"};
  for (int k = 0; k < 6; k++) {
    char name[64];
    snprintf(name, sizeof name, "int comparison %d column/column", k);
    TAP_EQ_STR(ev(fn(fs[k], T_B, 2, col(0, T_I), col(1, T_I)), b), want[k], name);
    snprintf(name, sizeof name, "int comparison %d select", k);
    TAP_EQ_STR(sel_rows(fn(fs[k], T_B, 2, col(0, T_I), col(1, T_I)), b), wsel[k], name);
  }
  TAP_EQ_STR(ev(fn(FN_LT, T_B, 2, lit_i(T_I, 2), col(0, T_I)), b),
             "false,false,true,NULL,true", "constant on the left is mirrored");
  TAP_EQ_STR(sel_rows(fn(FN_GE, T_B, 2, col(0, T_I), lit_i(T_I, 3)), b), "2,4",
             "select column >= constant");
  TAP_EQ_STR(ev(fn(FN_NSEQ, T_B, 2, col(0, T_I), col(1, T_I)), b),
             "false,true,false,false,false", "<=> never NULL");
  TAP_EQ_STR(ev(fn(FN_NSEQ, T_B, 2, lit_null(T_I), lit_null(T_I))  , b),
             "true,true,true,true,true", "NULL <=> NULL is true");
  TAP_EQ_STR(ev(fn(FN_EQ, T_B, 2, col(0, T_I), lit_null(T_I)), b), "NULL,NULL,NULL,NULL,NULL",
             "= NULL is NULL");
  TAP_EQ_STR(sel_rows(fn(FN_EQ, T_B, 2, col(0, T_I), lit_null(T_I)), b), "",
             "select = NULL keeps nothing");
  batch_free(b);

  struct type ts[] = {T_S, T_S};
  b = mkb(2, ts, "abcd|abcde|abcdf|ab|\\N|", "abcd|abcdf|abcde|ab\xc3\xa9|x|");
  TAP_EQ_STR(ev(fn(FN_EQ, T_B, 2, col(0, T_S), col(1, T_S)), b),
             "true,false,false,false,NULL,true", "string equality (prefix then bytes)");
  TAP_EQ_STR(ev(fn(FN_LT, T_B, 2, col(0, T_S), col(1, T_S)), b),
             "false,true,false,true,NULL,false", "string order bytewise");
  TAP_EQ_STR(sel_rows(fn(FN_EQ, T_B, 2, col(0, T_S), lit_s("abcde")), b), "1",
             "select string = constant");
  TAP_EQ_STR(sel_rows(fn(FN_GT, T_B, 2, col(0, T_S), lit_s("abcd")), b), "1,2",
             "select string > constant");
  batch_free(b);

  struct type tdd[] = {T_D, T_D};
  b = mkb(2, tdd, "NaN|NaN|1|-0.0", "NaN|1|NaN|0");
  TAP_EQ_STR(ev(fn(FN_EQ, T_B, 2, col(0, T_D), col(1, T_D)), b), "true,false,false,true",
             "double equality: NaN = NaN, -0.0 = 0.0");
  TAP_EQ_STR(ev(fn(FN_GT, T_B, 2, col(0, T_D), col(1, T_D)), b), "false,true,false,false",
             "NaN is greater than any number");
  batch_free(b);

  struct type tdt[] = {T_DT};
  b = mkb(1, tdt, "1998-09-01|1998-09-02|1998-09-03|\\N");
  TAP_EQ_STR(sel_rows(fn(FN_LE, T_B, 2, col(0, T_DT), lit_date("1998-09-02")), b), "0,1",
             "select date <= date constant");
  batch_free(b);
}

static void test_logic(void) {
  struct type tb[] = {T_B, T_B};
  struct batch *b = mkb(2, tb, "true|true|true|false|false|false|\\N|\\N|\\N",
                        "true|false|\\N|true|false|\\N|true|false|\\N");
  TAP_EQ_STR(ev(fn(FN_AND, T_B, 2, col(0, T_B), col(1, T_B)), b),
             "true,false,NULL,false,false,false,NULL,false,NULL", "AND truth table");
  TAP_EQ_STR(ev(fn(FN_OR, T_B, 2, col(0, T_B), col(1, T_B)), b),
             "true,true,true,true,false,NULL,true,NULL,NULL", "OR truth table");
  TAP_EQ_STR(sel_rows(fn(FN_AND, T_B, 2, col(0, T_B), col(1, T_B)), b), "0", "select AND");
  TAP_EQ_STR(sel_rows(fn(FN_OR, T_B, 2, col(0, T_B), col(1, T_B)), b), "0,1,2,3,6",
             "select OR");
  TAP_EQ_STR(ev(fn(FN_NOT, T_B, 1, col(1, T_B)), b),
             "false,true,NULL,false,true,NULL,false,true,NULL", "NOT");
  TAP_EQ_STR(ev(fn(FN_IS_NULL, T_B, 1, col(1, T_B)), b),
             "false,false,true,false,false,true,false,false,true", "IS NULL");
  TAP_EQ_STR(ev(fn(FN_IS_NOT_NULL, T_B, 1, col(0, T_B)), b),
             "true,true,true,true,true,true,false,false,false", "IS NOT NULL");
  TAP_EQ_STR(ev(fn(FN_AND, T_B, 3, col(0, T_B), col(1, T_B), lit_i(T_B, 0)), b),
             "false,false,false,false,false,false,false,false,false", "AND with false constant");
  TAP_EQ_STR(sel_rows(fn(FN_AND, T_B, 2, lit_i(T_B, 1), col(0, T_B)), b), "0,1,2",
             "select AND with a true constant");
  batch_free(b);

  /* AND must not evaluate the right side where the left is false: a
   * division by zero would only give NULL anyway, so check values. */
  struct type ti[] = {T_I};
  b = mkb(1, ti, "0|1|2|\\N");
  struct expr *e = fn(FN_OR, T_B, 2, fn(FN_EQ, T_B, 2, col(0, T_I), lit_i(T_I, 0)),
                      fn(FN_GT, T_B, 2, fn(FN_IDIV, T_I, 2, lit_i(T_I, 10), col(0, T_I)),
                         lit_i(T_I, 6)));
  TAP_EQ_STR(ev(e, b), "true,true,false,NULL", "OR short-circuits per row");
  batch_free(b);
}

static void test_cond(void) {
  struct type tt[] = {T_I, T_I, T_B};
  struct batch *b = mkb(3, tt, "1|\\N|3|\\N", "10|20|\\N|\\N", "true|false|\\N|true");
  TAP_EQ_STR(ev(fn(FN_COALESCE, T_I, 3, col(0, T_I), col(1, T_I), lit_i(T_I, -1)), b),
             "1,20,3,-1", "coalesce");
  TAP_EQ_STR(ev(fn(FN_COALESCE, T_I, 2, col(0, T_I), col(1, T_I)), b), "1,20,3,NULL",
             "coalesce all NULL");
  TAP_EQ_STR(ev(fn(FN_IF, T_I, 3, col(2, T_B), col(0, T_I), col(1, T_I)), b),
             "1,20,NULL,NULL", "if: NULL condition takes the else arm");
  TAP_EQ_STR(ev(fn(FN_NULLIF, T_I, 2, col(0, T_I), lit_i(T_I, 3)), b), "1,NULL,NULL,NULL",
             "nullif");
  TAP_EQ_STR(ev(fn(FN_GREATEST, T_I, 3, col(0, T_I), col(1, T_I), lit_i(T_I, 5)), b),
             "10,20,5,5", "greatest skips NULLs");
  TAP_EQ_STR(ev(fn(FN_LEAST, T_I, 2, col(0, T_I), col(1, T_I)), b), "1,20,3,NULL",
             "least; all NULL gives NULL");
  struct expr *c = case_when(
      T_S, 2, fn(FN_GT, T_B, 2, col(0, T_I), lit_i(T_I, 2)), lit_s("big"),
      fn(FN_IS_NULL, T_B, 1, col(0, T_I)), lit_s("none"), lit_s("small"));
  TAP_EQ_STR(ev(c, b), "small,none,big,none", "searched CASE with ELSE");
  c = case_when(T_I, 1, col(2, T_B), col(1, T_I), NULL);
  TAP_EQ_STR(ev(c, b), "10,NULL,NULL,NULL", "CASE without ELSE gives NULL");
  TAP_EQ_STR(ev1(case_when(T_I, 1, lit_i(T_B, 1), lit_i(T_I, 7), lit_i(T_I, 8))), "7",
             "constant CASE folds");
  batch_free(b);
}

static void test_in(void) {
  struct type tt[] = {T_I, T_S};
  struct batch *b = mkb(2, tt, "1|2|3|\\N", "MAIL|SHIP|AIR|\\N");
  TAP_EQ_STR(ev(in_list(col(0, T_I), 0, 2, lit_i(T_I, 1), lit_i(T_I, 3)), b),
             "true,false,true,NULL", "int IN");
  TAP_EQ_STR(ev(in_list(col(0, T_I), 0, 2, lit_i(T_I, 1), lit_null(T_I)), b),
             "true,NULL,NULL,NULL", "IN with NULL: no match gives NULL");
  TAP_EQ_STR(ev(in_list(col(0, T_I), 1, 2, lit_i(T_I, 1), lit_null(T_I)), b),
             "false,NULL,NULL,NULL", "NOT IN with NULL");
  TAP_EQ_STR(ev(in_list(col(0, T_I), 1, 1, lit_i(T_I, 1)), b), "false,true,true,NULL",
             "NOT IN");
  TAP_EQ_STR(sel_rows(in_list(col(1, T_S), 0, 2, lit_s("MAIL"), lit_s("SHIP")), b), "0,1",
             "select string IN");
  struct expr *big = in_list(col(0, T_I), 0, 10, lit_i(T_I, 100), lit_i(T_I, 90), lit_i(T_I, 80),
                             lit_i(T_I, 70), lit_i(T_I, 60), lit_i(T_I, 50), lit_i(T_I, 40),
                             lit_i(T_I, 3), lit_i(T_I, 20), lit_i(T_I, 1));
  TAP_EQ_STR(ev(big, b), "true,false,true,NULL", "large IN list (sorted search)");
  struct expr *bigs = in_list(col(1, T_S), 0, 9, lit_s("a"), lit_s("b"), lit_s("c"),
                              lit_s("d"), lit_s("e"), lit_s("AIR"), lit_s("f"), lit_s("g"),
                              lit_s("SHIP"));
  TAP_EQ_STR(ev(bigs, b), "false,true,true,NULL", "large string IN list");
  TAP_EQ_STR(ev(in_list(col(0, T_I), 0, 2, fn(FN_ADD, T_I, 2, col(0, T_I), lit_i(T_I, 0)),
                        lit_i(T_I, 9)), b),
             "true,true,true,NULL", "IN with a non-constant item");
  batch_free(b);
}

static void test_cast(void) {
  struct type ts[] = {T_S};
  struct batch *b = mkb(1, ts, "12| 12 |1.9|-1.9|abc||2147483648|+7|1e3|\\N");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_I), b), "12,12,1,-1,NULL,NULL,NULL,7,NULL,NULL",
             "string -> int (trim, truncated fraction, invalid/overflow NULL)");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_L), b), "12,12,1,-1,NULL,NULL,2147483648,7,NULL,NULL",
             "string -> bigint");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_D), b), "12.0,12.0,1.9,-1.9,NULL,NULL,2.147483648E9,7.0,1000.0,NULL",
             "string -> double");
  TAP_EQ_STR(ev(cast(col(0, T_S), dec(5, 2)), b),
             "12.00,12.00,1.90,-1.90,NULL,NULL,NULL,7.00,NULL,NULL",
             "string -> decimal (too many digits NULL)");
  batch_free(b);
  b = mkb(1, ts, "inf|-Infinity|NaN|nan|1.5d");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_D), b), "Infinity,-Infinity,NaN,NaN,1.5",
             "string -> double special values");
  batch_free(b);
  b = mkb(1, ts, "true|YES|0|f| n |maybe");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_B), b), "true,true,false,false,false,NULL",
             "string -> boolean");
  batch_free(b);
  b = mkb(1, ts, "2024-02-29|2023-02-29| 2024-1-5 |2024-03|x|2024-02-29 12:34:56");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_DT), b),
             "2024-02-29,NULL,2024-01-05,2024-03-01,NULL,2024-02-29", "string -> date");
  TAP_EQ_STR(ev(cast(col(0, T_S), T_TS), b),
             "2024-02-29 00:00:00,NULL,2024-01-05 00:00:00,2024-03-01 00:00:00,NULL,"
             "2024-02-29 12:34:56",
             "string -> timestamp");
  batch_free(b);

  struct type td[] = {T_D};
  b = mkb(1, td, "1.9|-1.9|1e10|NaN|2.675|-0.0|\\N");
  TAP_EQ_STR(ev(cast(col(0, T_D), T_I), b), "1,-1,2147483647,0,2,0,NULL",
             "double -> int truncates, saturates, NaN 0 (Java, Spark's non-ANSI CAST)");
  TAP_EQ_STR(ev(cast(col(0, T_D), T_L), b), "1,-1,10000000000,0,2,0,NULL", "double -> bigint");
  {
    struct expr *tc = cast(col(0, T_D), T_I);
    tc->try_eval = 1;
    TAP_EQ_STR(ev(tc, b), "1,-1,NULL,NULL,2,0,NULL", "try_cast double -> int: out of range NULL");
  }
  TAP_EQ_STR(ev(cast(col(0, T_D), dec(10, 2)), b), "1.90,-1.90,NULL,NULL,2.68,0.00,NULL",
             "double -> decimal HALF_UP via the shortest text");
  TAP_EQ_STR(ev(cast(col(0, T_D), T_S), b),
             "1.9,-1.9,1.0E10,NaN,2.675,-0.0,NULL", "double -> string as Java prints it");
  TAP_EQ_STR(ev(cast(col(0, T_D), T_B), b), "true,true,true,true,true,false,NULL",
             "double -> boolean");
  batch_free(b);

  struct type tl[] = {T_L};
  b = mkb(1, tl, "2147483647|2147483648|-2147483649|-5");
  TAP_EQ_STR(ev(cast(col(0, T_L), T_I), b), "2147483647,-2147483648,2147483647,-5",
             "bigint -> int wraps (Java, Spark's non-ANSI CAST)");
  {
    struct expr *tc = cast(col(0, T_L), T_I);
    tc->try_eval = 1;
    TAP_EQ_STR(ev(tc, b), "2147483647,NULL,NULL,-5", "try_cast bigint -> int: out of range NULL");
  }
  TAP_EQ_STR(ev(cast(col(0, T_L), T_S), b), "2147483647,2147483648,-2147483649,-5",
             "bigint -> string");
  TAP_EQ_STR(ev(cast(col(0, T_L), dec(10, 0)), b), "2147483647,2147483648,-2147483649,-5",
             "bigint -> decimal");
  TAP_EQ_STR(ev(cast(col(0, T_L), dec(3, 1)), b), "NULL,NULL,NULL,-5.0",
             "bigint -> narrow decimal overflows to NULL");
  batch_free(b);

  struct type tdec[] = {dec(6, 3)};
  b = mkb(1, tdec, "1.235|-1.235|1.234|999.999|\\N");
  TAP_EQ_STR(ev(cast(col(0, dec(6, 3)), dec(5, 2)), b), "1.24,-1.24,1.23,NULL,NULL",
             "decimal rescale rounds HALF_UP; overflow NULL");
  TAP_EQ_STR(ev(cast(col(0, dec(6, 3)), dec(10, 5)), b), "1.23500,-1.23500,1.23400,999.99900,NULL",
             "decimal widening");
  TAP_EQ_STR(ev(cast(col(0, dec(6, 3)), T_I), b), "1,-1,1,999,NULL", "decimal -> int truncates");
  TAP_EQ_STR(ev(cast(col(0, dec(6, 3)), T_D), b), "1.235,-1.235,1.234,999.999,NULL",
             "decimal -> double");
  TAP_EQ_STR(ev(cast(col(0, dec(6, 3)), T_S), b), "1.235,-1.235,1.234,999.999,NULL",
             "decimal -> string");
  batch_free(b);

  struct type tdt[] = {T_DT, T_TS, T_B, T_I};
  b = mkb(4, tdt, "2024-02-29|1969-12-31|\\N", "2024-02-29 23:59:59.5|1969-12-31 23:00:00|\\N",
          "true|false|\\N", "1|0|\\N");
  TAP_EQ_STR(ev(cast(col(0, T_DT), T_TS), b), "2024-02-29 00:00:00,1969-12-31 00:00:00,NULL",
             "date -> timestamp");
  TAP_EQ_STR(ev(cast(col(1, T_TS), T_DT), b), "2024-02-29,1969-12-31,NULL",
             "timestamp -> date floors (also before 1970)");
  TAP_EQ_STR(ev(cast(col(1, T_TS), T_S), b), "2024-02-29 23:59:59.5,1969-12-31 23:00:00,NULL",
             "timestamp -> string");
  TAP_EQ_STR(ev(cast(col(0, T_DT), T_S), b), "2024-02-29,1969-12-31,NULL", "date -> string");
  TAP_EQ_STR(ev(cast(col(1, T_TS), T_L), b), "1709251199,-3600,NULL", "timestamp -> bigint seconds");
  TAP_EQ_STR(ev(cast(col(2, T_B), T_S), b), "true,false,NULL", "boolean -> string");
  TAP_EQ_STR(ev(cast(col(2, T_B), T_I), b), "1,0,NULL", "boolean -> int");
  TAP_EQ_STR(ev(cast(col(3, T_I), T_B), b), "true,false,NULL", "int -> boolean");
  TAP_EQ_STR(ev(cast(col(3, T_I), T_D), b), "1.0,0.0,NULL", "int -> double");
  TAP_EQ_STR(ev(cast(lit_null(T_N), T_I), b), "NULL,NULL,NULL", "NULL -> int");
  batch_free(b);

  /* eval_cast_value */
  struct value v, o;
  memset(&v, 0, sizeof v);
  v.type = T_S;
  v.s = " 42 ";
  v.len = 4;
  eval_cast_value(&v, T_I, ctx, &o);
  TAP_OK(!o.is_null && o.i == 42 && o.type.id == TYPE_INT, "eval_cast_value string -> int");
  v.type = T_I;
  v.i = -17;
  eval_cast_value(&v, T_S, ctx, &o);
  TAP_OK(!o.is_null && o.len == 3 && memcmp(o.s, "-17", 3) == 0, "eval_cast_value int -> string");
  v.type = T_S;
  v.s = "nope";
  v.len = 4;
  eval_cast_value(&v, T_DT, ctx, &o);
  TAP_OK(o.is_null, "eval_cast_value invalid date is NULL");
}

static void test_strings(void) {
  struct type ts[] = {T_S};
  struct batch *b = mkb(1, ts, "Spark SQL|h\xc3\xa9llo||\\N");
  struct expr *s = col(0, T_S);
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 2, s, lit_i(T_I, 5)), b), "k SQL,o,,NULL", "substring(s, 5)");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 2, s, lit_i(T_I, -3)), b), "SQL,llo,,NULL",
             "substring negative position");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, lit_i(T_I, 5), lit_i(T_I, 1)), b), "k,o,,NULL",
             "substring(s, 5, 1)");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, lit_i(T_I, 0), lit_i(T_I, 3)), b),
             "Spa,h\xc3\xa9l,,NULL", "substring position 0 acts as 1");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, lit_i(T_I, -10), lit_i(T_I, 5)), b),
             "Spar,,,NULL", "substring before the start");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, lit_i(T_I, 2), lit_i(T_I, 2)), b),
             "pa,\xc3\xa9l,,NULL", "substring in code points");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, lit_i(T_I, 2), lit_i(T_I, -1)), b), ",,,NULL",
             "substring negative length");
  TAP_EQ_STR(ev(fn(FN_LENGTH, T_I, 1, s), b), "9,5,0,NULL", "length in code points");
  TAP_EQ_STR(ev(fn(FN_UPPER, T_S, 1, s), b), "SPARK SQL,H\xc3\x89LLO,,NULL", "upper (Latin-1)");
  TAP_EQ_STR(ev(fn(FN_LOWER, T_S, 1, s), b), "spark sql,h\xc3\xa9llo,,NULL", "lower");
  TAP_EQ_STR(ev(fn(FN_CONCAT, T_S, 3, s, lit_s("-"), s), b),
             "Spark SQL-Spark SQL,h\xc3\xa9llo-h\xc3\xa9llo,-,NULL", "concat (NULL if any NULL)");
  TAP_EQ_STR(ev(fn(FN_CONCAT_WS, T_S, 4, lit_s(","), s, lit_null(T_S), lit_s("z")), b),
             "Spark SQL,z,h\xc3\xa9llo,z,,z,z", "concat_ws skips NULLs");
  TAP_EQ_STR(ev(fn(FN_INSTR, T_I, 2, s, lit_s("L")), b), "9,0,0,NULL", "instr in code points");
  TAP_EQ_STR(ev(fn(FN_INSTR, T_I, 2, s, lit_s("")), b), "1,1,1,NULL", "instr of empty");
  TAP_EQ_STR(ev(fn(FN_REPLACE, T_S, 3, s, lit_s("l"), lit_s("LL")), b),
             "Spark SQL,h\xc3\xa9LLLLo,,NULL", "replace");
  TAP_EQ_STR(ev(fn(FN_REPLACE, T_S, 2, s, lit_s("S")), b), "park QL,h\xc3\xa9llo,,NULL",
             "replace with default empty");
  TAP_EQ_STR(ev(fn(FN_REPLACE, T_S, 3, s, lit_s(""), lit_s("x")), b),
             "Spark SQL,h\xc3\xa9llo,,NULL", "replace of empty search is a no-op");
  TAP_EQ_STR(ev(fn(FN_LPAD, T_S, 3, s, lit_i(T_I, 7), lit_s("?!")), b),
             "Spark S,?!h\xc3\xa9llo,?!?!?!?,NULL", "lpad truncates and pads");
  TAP_EQ_STR(ev(fn(FN_RPAD, T_S, 3, s, lit_i(T_I, 6), lit_s("ab")), b),
             "Spark ,h\xc3\xa9lloa,ababab,NULL", "rpad");
  TAP_EQ_STR(ev(fn(FN_LPAD, T_S, 3, s, lit_i(T_I, 12), lit_s("")), b),
             "Spark SQL,h\xc3\xa9llo,,NULL", "lpad with empty pad");
  TAP_EQ_STR(ev(fn(FN_STARTSWITH, T_B, 2, s, lit_s("Sp")), b), "true,false,false,NULL",
             "startswith");
  TAP_EQ_STR(ev(fn(FN_ENDSWITH, T_B, 2, s, lit_s("")), b), "true,true,true,NULL",
             "endswith empty");
  TAP_EQ_STR(ev(fn(FN_CONTAINS, T_B, 2, s, lit_s("\xc3\xa9l")), b), "false,true,false,NULL",
             "contains");
  batch_free(b);

  b = mkb(1, ts, "  a b  |xxaxx||   |\\N");
  s = col(0, T_S);
  TAP_EQ_STR(ev(fn(FN_TRIM, T_S, 1, s), b), "a b,xxaxx,,,NULL", "trim spaces");
  TAP_EQ_STR(ev(fn(FN_LTRIM, T_S, 1, s), b), "a b  ,xxaxx,,,NULL", "ltrim");
  TAP_EQ_STR(ev(fn(FN_RTRIM, T_S, 1, s), b), "  a b,xxaxx,,,NULL", "rtrim");
  TAP_EQ_STR(ev(fn(FN_TRIM, T_S, 2, s, lit_s("x ")), b), "a b,a,,,NULL", "trim chars");
  TAP_EQ_STR(ev(fn(FN_LTRIM, T_S, 2, s, lit_s("x")), b), "  a b  ,axx,,   ,NULL", "ltrim chars");
  TAP_EQ_STR(ev(fn(FN_RTRIM, T_S, 2, s, lit_s("x")), b), "  a b  ,xxa,,   ,NULL", "rtrim chars");
  batch_free(b);
  b = mkb(1, ts, "\xc3\xa9\xc3\xa9" "a" "\xc3\xa9");
  TAP_EQ_STR(ev(fn(FN_TRIM, T_S, 2, col(0, T_S), lit_s("\xc3\xa9")), b), "a",
             "trim multi-byte chars");
  batch_free(b);
}

static void test_math(void) {
  struct type td[] = {T_D};
  struct batch *b = mkb(1, td, "2.5|-2.5|2.675|1.005|-0.4|\\N|1234.5");
  struct expr *x = col(0, T_D);
  TAP_EQ_STR(ev(fn(FN_ROUND, T_D, 2, x, lit_i(T_I, 0)), b), "3.0,-3.0,3.0,1.0,0.0,NULL,1235.0",
             "round half up on doubles");
  TAP_EQ_STR(ev(fn(FN_ROUND, T_D, 2, x, lit_i(T_I, 2)), b),
             "2.5,-2.5,2.68,1.01,-0.4,NULL,1234.5", "round(x, 2) uses the decimal text");
  TAP_EQ_STR(ev(fn(FN_ROUND, T_D, 2, x, lit_i(T_I, -2)), b), "0.0,0.0,0.0,0.0,0.0,NULL,1200.0",
             "round to hundreds");
  TAP_EQ_STR(ev(fn(FN_FLOOR, T_L, 1, x), b), "2,-3,2,1,-1,NULL,1234", "floor double");
  TAP_EQ_STR(ev(fn(FN_CEIL, T_L, 1, x), b), "3,-2,3,2,0,NULL,1235", "ceil double");
  TAP_EQ_STR(ev(fn(FN_ABS, T_D, 1, x), b), "2.5,2.5,2.675,1.005,0.4,NULL,1234.5", "abs double");
  TAP_EQ_STR(ev(fn(FN_SQRT, T_D, 1, x), b),
             "1.5811388300841898,NULL,1.6355427233796125,1.002496882788171,NULL,NULL,"
             "35.13545218152173",
             "sqrt; negative is NULL");
  TAP_EQ_STR(ev(fn(FN_LN, T_D, 1, fn(FN_ADD, T_D, 2, x, lit_d(2.5))), b),
             "1.6094379124341003,NULL,1.6438393391514328,1.2541905204865533,"
             "0.7419373447293773,NULL,7.1204443723924875",
             "ln; ln(0) is NULL");
  batch_free(b);
  TAP_EQ_STR(ev1(fn(FN_POWER, T_D, 2, lit_d(2), lit_d(10))), "1024.0", "power");
  TAP_EQ_STR(ev1(fn(FN_EXP, T_D, 1, lit_d(0))), "1.0", "exp");
  TAP_EQ_STR(ev1(fn(FN_LOG10, T_D, 1, lit_d(1000))), "3.0", "log10");
  TAP_EQ_STR(ev1(fn(FN_LOG10, T_D, 1, lit_d(-1))), "NULL", "log10 of a negative is NULL");

  struct type tdec[] = {dec(6, 3), T_I};
  b = mkb(2, tdec, "1.235|-1.235|-0.5|\\N|999.995", "125|-125|-2147483648|\\N|15");
  TAP_EQ_STR(ev(fn(FN_ROUND, dec(6, 2), 2, col(0, dec(6, 3)), lit_i(T_I, 2)), b),
             "1.24,-1.24,-0.50,NULL,1000.00", "round decimal HALF_UP");
  TAP_EQ_STR(ev(fn(FN_ROUND, dec(4, 0), 2, col(0, dec(6, 3)), lit_i(T_I, 0)), b),
             "1,-1,-1,NULL,1000", "round decimal to units");
  TAP_EQ_STR(ev(fn(FN_FLOOR, dec(4, 0), 1, col(0, dec(6, 3))), b), "1,-2,-1,NULL,999",
             "floor decimal");
  TAP_EQ_STR(ev(fn(FN_CEIL, dec(4, 0), 1, col(0, dec(6, 3))), b), "2,-1,0,NULL,1000",
             "ceil decimal");
  TAP_EQ_STR(ev(fn(FN_ROUND, T_I, 2, col(1, T_I), lit_i(T_I, -1)), b), "130,-130,2147483646,NULL,20",
             "round int to tens (wraps like Java)");
  TAP_EQ_STR(ev(fn(FN_ABS, T_I, 1, col(1, T_I)), b), "125,125,-2147483648,NULL,15",
             "abs int (MIN stays MIN as in Java)");
  TAP_EQ_STR(ev(fn(FN_ABS, dec(6, 3), 1, col(0, dec(6, 3))), b), "1.235,1.235,0.500,NULL,999.995",
             "abs decimal");
  batch_free(b);
}

static void test_dates(void) {
  struct type tt[] = {T_DT, T_I};
  struct batch *b = mkb(2, tt, "2024-01-31|2024-02-28|2023-02-28|2000-12-31|1969-12-31|\\N",
                        "1|1|1|-366|-1|1");
  struct expr *d = col(0, T_DT);
  TAP_EQ_STR(ev(fn(FN_DATE_ADD, T_DT, 2, d, lit_i(T_I, 1)), b),
             "2024-02-01,2024-02-29,2023-03-01,2001-01-01,1970-01-01,NULL",
             "date_add across month ends and leap years");
  TAP_EQ_STR(ev(fn(FN_DATE_SUB, T_DT, 2, d, col(1, T_I)), b),
             "2024-01-30,2024-02-27,2023-02-27,2002-01-01,1970-01-01,NULL", "date_sub");
  TAP_EQ_STR(ev(fn(FN_ADD_MONTHS, T_DT, 2, d, lit_i(T_I, 1)), b),
             "2024-02-29,2024-03-28,2023-03-28,2001-01-31,1970-01-31,NULL",
             "add_months clamps to the month end");
  TAP_EQ_STR(ev(fn(FN_ADD_MONTHS, T_DT, 2, lit_date("2023-01-31"), lit_i(T_I, 1)), b),
             "2023-02-28,2023-02-28,2023-02-28,2023-02-28,2023-02-28,2023-02-28",
             "add_months in a non-leap year");
  TAP_EQ_STR(ev(fn(FN_DATEDIFF, T_I, 2, d, lit_date("2024-01-01")), b), "30,58,-307,-8401,-19724,NULL",
             "datediff");
  TAP_EQ_STR(ev(fn(FN_YEAR, T_I, 1, d), b), "2024,2024,2023,2000,1969,NULL", "year");
  TAP_EQ_STR(ev(fn(FN_MONTH, T_I, 1, d), b), "1,2,2,12,12,NULL", "month");
  TAP_EQ_STR(ev(fn(FN_DAY, T_I, 1, d), b), "31,28,28,31,31,NULL", "day");
  TAP_EQ_STR(ev(fn(FN_QUARTER, T_I, 1, d), b), "1,1,1,4,4,NULL", "quarter");
  TAP_EQ_STR(ev(fn(FN_DAYOFWEEK, T_I, 1, d), b), "4,4,3,1,4,NULL", "dayofweek (1 = Sunday)");
  batch_free(b);

  struct type tts[] = {T_TS};
  b = mkb(1, tts, "2024-05-17 13:45:30.123456|1969-12-31 23:59:59|\\N");
  struct expr *t = col(0, T_TS);
  TAP_EQ_STR(ev(fn(FN_HOUR, T_I, 1, t), b), "13,23,NULL", "hour");
  TAP_EQ_STR(ev(fn(FN_MINUTE, T_I, 1, t), b), "45,59,NULL", "minute");
  TAP_EQ_STR(ev(fn(FN_SECOND, T_I, 1, t), b), "30,59,NULL", "second");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("month"), t), b),
             "2024-05-01 00:00:00,1969-12-01 00:00:00,NULL", "date_trunc month");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("QUARTER"), t), b),
             "2024-04-01 00:00:00,1969-10-01 00:00:00,NULL", "date_trunc quarter");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("week"), t), b),
             "2024-05-13 00:00:00,1969-12-29 00:00:00,NULL", "date_trunc week (Monday)");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("hour"), t), b),
             "2024-05-17 13:00:00,1969-12-31 23:00:00,NULL", "date_trunc hour");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("yy"), t), b),
             "2024-01-01 00:00:00,1969-01-01 00:00:00,NULL", "date_trunc year");
  TAP_EQ_STR(ev(fn(FN_DATE_TRUNC, T_TS, 2, lit_s("fortnight"), t), b), "NULL,NULL,NULL",
             "date_trunc unknown unit is NULL");
  TAP_EQ_STR(ev(fn(FN_DATE_FORMAT, T_S, 2, t, lit_s("yyyy-MM-dd HH:mm:ss.SSS")), b),
             "2024-05-17 13:45:30.123,1969-12-31 23:59:59.000,NULL", "date_format");
  TAP_EQ_STR(ev(fn(FN_DATE_FORMAT, T_S, 2, t, lit_s("E dd/MM/yy")), b),
             "Fri 17/05/24,Wed 31/12/69,NULL", "date_format day names");
  TAP_EQ_STR(ev(fn(FN_TS_ADD_INTERVAL, T_TS, 4, t, lit_i(T_L, 1), lit_i(T_L, 1),
                   lit_i(T_L, 1000000)), b),
             "2024-06-18 13:45:31.123456,1970-02-02 00:00:00,NULL", "timestamp + interval");
  batch_free(b);

  TAP_OK(strncmp(ev1(fn(FN_YEAR, T_I, 1, fn(FN_CURRENT_DATE, T_DT, 0))), "20", 2) == 0,
         "current_date is evaluated from the clock");
}

static void test_like(void) {
  struct type ts[] = {T_S};
  struct batch *b = mkb(1, ts, "abcdef|xabc|abc|a%c|a_c|h\xc3\xa9llo|ABCDEF||\\N");
  struct expr *s = col(0, T_S);
  TAP_EQ_STR(ev(like(s, "abc%", AST_LIKE_LIKE, 0), b),
             "true,false,true,false,false,false,false,false,NULL", "prefix");
  TAP_EQ_STR(ev(like(s, "%abc", AST_LIKE_LIKE, 0), b),
             "false,true,true,false,false,false,false,false,NULL", "suffix");
  TAP_EQ_STR(ev(like(s, "%bc%", AST_LIKE_LIKE, 0), b),
             "true,true,true,false,false,false,false,false,NULL", "contains");
  TAP_EQ_STR(ev(like(s, "abc", AST_LIKE_LIKE, 0), b),
             "false,false,true,false,false,false,false,false,NULL", "exact");
  TAP_EQ_STR(ev(like(s, "a_c", AST_LIKE_LIKE, 0), b),
             "false,false,true,true,true,false,false,false,NULL", "underscore");
  TAP_EQ_STR(ev(like(s, "a\\%c", AST_LIKE_LIKE, 0), b),
             "false,false,false,true,false,false,false,false,NULL", "escaped percent");
  TAP_EQ_STR(ev(like(s, "a\\_%", AST_LIKE_LIKE, 0), b),
             "false,false,false,false,true,false,false,false,NULL", "escaped underscore");
  TAP_EQ_STR(ev(like(s, "h_llo", AST_LIKE_LIKE, 0), b),
             "false,false,false,false,false,true,false,false,NULL", "underscore matches a UTF-8 char");
  TAP_EQ_STR(ev(like(s, "%b%d_f", AST_LIKE_LIKE, 0), b),
             "true,false,false,false,false,false,false,false,NULL", "general pattern");
  TAP_EQ_STR(ev(like(s, "a%c%", AST_LIKE_LIKE, 0), b),
             "true,false,true,true,true,false,false,false,NULL", "general pattern 2");
  TAP_EQ_STR(ev(like(s, "%", AST_LIKE_LIKE, 0), b),
             "true,true,true,true,true,true,true,true,NULL", "match all");
  TAP_EQ_STR(ev(like(s, "", AST_LIKE_LIKE, 0), b),
             "false,false,false,false,false,false,false,true,NULL", "empty pattern");
  TAP_EQ_STR(ev(like(s, "abc%", AST_LIKE_LIKE, 1), b),
             "false,true,false,true,true,true,true,true,NULL", "NOT LIKE");
  TAP_EQ_STR(ev(like(s, "abc%", AST_LIKE_ILIKE, 0), b),
             "true,false,true,false,false,false,true,false,NULL", "ILIKE");
  TAP_EQ_STR(ev(like(s, "H\xc3\x89%", AST_LIKE_ILIKE, 0), b),
             "false,false,false,false,false,true,false,false,NULL", "ILIKE folds Latin-1");
  TAP_EQ_STR(ev(like(s, "^a.c$", AST_LIKE_RLIKE, 0), b),
             "false,false,true,true,true,false,false,false,NULL", "RLIKE anchored");
  TAP_EQ_STR(ev(like(s, "b", AST_LIKE_RLIKE, 0), b),
             "true,true,true,false,false,false,false,false,NULL", "RLIKE searches");
  TAP_EQ_STR(sel_rows(like(s, "%c%", AST_LIKE_LIKE, 0), b), "0,1,2,3,4", "select LIKE");
  TAP_OK(strncmp(ev(like(s, "(", AST_LIKE_RLIKE, 0), b), "ERR", 3) == 0,
         "invalid regex is an error at compile time");
  batch_free(b);
}

static void test_hash(void) {
  TAP_EQ_STR(ev1(fn(FN_HASH, T_I, 1, lit_i(T_I, 1))), "-559580957", "hash(1) as Spark");
  TAP_EQ_STR(ev1(fn(FN_HASH, T_I, 1, lit_null(T_I))), "42", "hash(NULL) is the seed");
  static char h1[64];
  snprintf(h1, sizeof h1, "%s", ev1(fn(FN_HASH, T_I, 1, lit_i(T_I, 1))));
  TAP_EQ_STR(ev1(fn(FN_HASH, T_I, 2, lit_null(T_I), lit_i(T_I, 1))), h1,
             "NULL arguments are skipped");
  TAP_EQ_STR(ev1(fn(FN_HASH, T_I, 1, lit_d(0.0))), ev1(fn(FN_HASH, T_I, 1, lit_d(-0.0))),
             "hash(-0.0) = hash(0.0)");
  static char ha[64], hb[64], hc[64];
  snprintf(ha, sizeof ha, "%s", ev1(fn(FN_HASH, T_I, 1, lit_s("a"))));
  snprintf(hb, sizeof hb, "%s", ev1(fn(FN_HASH, T_I, 1, lit_s("abcde"))));
  snprintf(hc, sizeof hc, "%s", ev1(fn(FN_HASH, T_I, 1, lit_s("abcdf"))));
  TAP_OK(strcmp(hb, hc) != 0 && strcmp(ha, hb) != 0, "string hashes differ in the tail");
  /* Spark's documented example: hash('Spark', array(123), 2) = -1321691492;
   * an array hashes its elements in turn with the running seed, so it equals
   * hash('Spark', 123, 2). */
  TAP_EQ_STR(ev1(fn(FN_HASH, T_I, 3, lit_s("Spark"), lit_i(T_I, 123), lit_i(T_I, 2))),
             "-1321691492", "hash('Spark', 123, 2) as Spark");
  struct type ts[] = {T_S};
  struct batch *b = mkb(1, ts, "a|abcde|\\N");
  static char two[256];
  snprintf(two, sizeof two, "%s,%s,42", ha, hb);
  TAP_EQ_STR(ev(fn(FN_HASH, T_I, 1, col(0, T_S)), b), two, "hash of a column = of constants");
  batch_free(b);
}

static void test_constant(void) {
  struct value v;
  struct err e;
  err_clear(&e);
  int rc = eval_constant(fn(FN_CONCAT, T_S, 2, lit_s("ab"), fn(FN_UPPER, T_S, 1, lit_s("cd"))),
                         ctx, &v, &e);
  TAP_OK(rc == 0 && !v.is_null && v.len == 4 && memcmp(v.s, "abCD", 4) == 0,
         "eval_constant folds a string expression");
  rc = eval_constant(fn(FN_ADD, T_I, 2, lit_i(T_I, 2), lit_i(T_I, 3)), ctx, &v, &e);
  TAP_OK(rc == 0 && v.i == 5 && v.type.id == TYPE_INT, "eval_constant arithmetic");
  rc = eval_constant(fn(FN_DIV, T_D, 2, lit_d(1), lit_d(0)), ctx, &v, &e);
  TAP_OK(rc == 0 && v.is_null, "eval_constant 1/0 is NULL");
  rc = eval_constant(fn(FN_CURRENT_TIMESTAMP, T_TS, 0), ctx, &v, &e);
  TAP_OK(rc == 0 && v.i == ctx->now_us, "current_timestamp is the query's now_us");
  rc = eval_constant(col(0, T_I), ctx, &v, &e);
  TAP_OK(rc != 0, "eval_constant refuses a column");

  struct expr *sq = plan_alloc(ctx, sizeof *sq);
  sq->kind = EXPR_EXISTS;
  sq->type = T_B;
  struct eval_prog *p = NULL;
  rc = eval_compile(sq, &p, &e);
  TAP_OK(rc == ERR_UNSUPPORTED && p == NULL, "subquery is ERR_UNSUPPORTED");
  TAP_EQ_STR(ev1(lit_null(T_N)), "NULL", "bare NULL literal");
}

static void test_more(void) {
  struct type tt[] = {T_S, T_I, T_D, T_S};
  struct batch *b = mkb(4, tt, "abcd|aXbYc|acb|\\N|", "1|2|-2|3|1", "1.5|NaN|-1|\\N|0",
                        "x|yyyy|\\N|z|");
  struct expr *s = col(0, T_S);
  TAP_EQ_STR(ev(like(s, "a%b%c", AST_LIKE_LIKE, 0), b), "false,true,false,NULL,false",
             "LIKE a%b%c");
  TAP_EQ_STR(ev(like(s, "%b_d%", AST_LIKE_LIKE, 0), b), "true,false,false,NULL,false",
             "LIKE with _ inside a middle segment");
  TAP_EQ_STR(ev(like(s, "%X_C%", AST_LIKE_ILIKE, 0), b), "false,false,false,NULL,false",
             "ILIKE with _ (no match)");
  TAP_EQ_STR(ev(like(s, "%x_y%", AST_LIKE_ILIKE, 0), b), "false,true,false,NULL,false",
             "ILIKE with _");
  TAP_EQ_STR(ev(fn(FN_SUBSTRING, T_S, 3, s, col(1, T_I), lit_i(T_I, 2)), b), "ab,Xb,cb,NULL,",
             "substring with a per-row position");
  TAP_EQ_STR(ev(fn(FN_COALESCE, T_S, 2, col(3, T_S), s), b), "x,yyyy,acb,z,",
             "coalesce of strings");
  TAP_EQ_STR(ev(fn(FN_GREATEST, T_S, 2, col(3, T_S), s), b), "x,yyyy,acb,z,", "greatest strings");
  TAP_EQ_STR(ev(fn(FN_GREATEST, T_D, 2, col(2, T_D), lit_d(1)), b), "1.5,NaN,1.0,1.0,1.0",
             "greatest doubles: NaN is largest");
  TAP_EQ_STR(ev(in_list(col(2, T_D), 0, 2, lit_d(NAN), lit_d(-1)), b),
             "false,true,true,NULL,false", "double IN matches NaN");
  TAP_EQ_STR(ev(fn(FN_ADD, T_I, 2, col(1, T_I), lit_null(T_N)), b), "NULL,NULL,NULL,NULL,NULL",
             "strict function with an untyped NULL argument");
  TAP_EQ_STR(ev(fn(FN_CONCAT, T_S, 2, s, col(3, T_S)), b), "abcdx,aXbYcyyyy,NULL,NULL,",
             "concat with a NULL row and empty strings");
  TAP_EQ_STR(ev(fn(FN_LENGTH, T_I, 1, col(3, T_S)), b), "1,4,NULL,1,0", "length of empty is 0");
  TAP_EQ_STR(ev(fn(FN_UPPER, T_S, 1, col(3, T_S)), b), "X,YYYY,NULL,Z,", "upper of empty");
  TAP_EQ_STR(ev(fn(FN_LPAD, T_S, 3, col(3, T_S), lit_i(T_I, 0), lit_s("ab")), b), ",,NULL,,",
             "lpad to zero length");
  TAP_EQ_STR(ev(case_when(T_S, 1, fn(FN_GT, T_B, 2, col(1, T_I), lit_i(T_I, 1)),
                          fn(FN_UPPER, T_S, 1, s), col(3, T_S)), b),
             "x,AXBYC,NULL,NULL,", "CASE mixing computed and column strings");
  batch_free(b);
  struct type tp[] = {T_S};
  b = mkb(1, tp, "yyyy|MM-dd|\\N|HH:mm:ss");
  TAP_EQ_STR(ev(fn(FN_DATE_FORMAT, T_S, 2, cast(lit_s("2020-02-29 01:02:03"), T_TS), col(0, T_S)), b),
             "2020,02-29,NULL,01:02:03", "date_format with a per-row pattern");
  batch_free(b);

  /* a program on a batch that lacks its column is an error, not a crash */
  struct type t1[] = {T_I};
  b = mkb(1, t1, "1|2");
  TAP_OK(strncmp(ev(fn(FN_ADD, T_I, 2, col(3, T_I), lit_i(T_I, 1)), b), "ERR", 3) == 0,
         "missing input column is reported");
  TAP_OK(strncmp(ev(fn(FN_ADD, T_S, 2, col(0, T_S), lit_s("1")), b), "ERR", 3) == 0,
         "arithmetic on strings is refused at compile time");
  batch_free(b);
}

/* Naive recursive LIKE over code points: the reference for random tests. */
static int cp_len(const char *s) {
  unsigned char c = (unsigned char)*s;
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}
static int naive_like(const char *s, const char *p) {
  if (!*p) return !*s;
  if (*p == '%') {
    for (const char *t = s;; t += cp_len(t)) {
      if (naive_like(t, p + 1)) return 1;
      if (!*t) return 0;
    }
  }
  if (*p == '_') return *s && naive_like(s + cp_len(s), p + 1);
  if (*p == '\\' && p[1]) p++;
  int l = cp_len(p);
  return strncmp(s, p, (size_t)l) == 0 && naive_like(s + l, p + l);
}

static void test_like_random(void) {
  static const char *const sa[] = {"a", "b", "\xc3\xa9", "%", "_"};
  static const char *const pa[] = {"a", "b", "\xc3\xa9", "%", "_", "%", "\\%", "\\_"};
  uint32_t seed = 7;
  int bad = 0, total = 0;
  enum { NS = 64 };
  char strs[NS][32];
  struct type ts[] = {T_S};
  struct batch *b = batch_new(ts, 1, NS, ARENA_UNLIMITED);
  for (int i = 0; i < NS; i++) {
    strs[i][0] = 0;
    seed = seed * 1103515245u + 12345u;
    int n = (int)((seed >> 16) % 7);
    for (int k = 0; k < n; k++) {
      seed = seed * 1103515245u + 12345u;
      strcat(strs[i], sa[(seed >> 16) % 5]);
    }
    vector_append_str(&b->cols[0], strs[i], strlen(strs[i]));
  }
  batch_set_rows(b, NS);
  for (int t = 0; t < 300; t++) {
    char pat[64] = "";
    seed = seed * 1103515245u + 12345u;
    int n = (int)((seed >> 16) % 6);
    for (int k = 0; k < n; k++) {
      seed = seed * 1103515245u + 12345u;
      strcat(pat, pa[(seed >> 16) % 8]);
    }
    const char *got = ev(like(col(0, T_S), pat, AST_LIKE_LIKE, 0), b);
    char want[1024] = "";
    for (int i = 0; i < NS; i++) {
      strcat(want, i ? "," : "");
      strcat(want, naive_like(strs[i], pat) ? "true" : "false");
    }
    total++;
    if (strcmp(got, want) != 0) {
      if (bad++ < 3) printf("# pattern '%s' differs\n", pat);
    }
  }
  batch_free(b);
  TAP_OK(bad == 0, "LIKE matches a naive matcher on %d random patterns x %d strings", total, NS);
}

/* A 10,000-row batch through eval_select, against a naive computation;
 * also the same program on a small batch first (scratch resizing). */
static void test_select_big(void) {
  const uint32_t N = 10000;
  struct type tt[] = {T_DT, dec(15, 2), T_S, T_I};
  struct batch *b = batch_new(tt, 4, N, ARENA_UNLIMITED);
  static const char *modes[] = {"MAIL", "SHIP", "AIR", "TRUCK", "RAIL"};
  uint32_t seed = 12345;
  int32_t *dv = malloc(N * sizeof *dv), *qv = malloc(N * sizeof *qv);
  int64_t *disc = malloc(N * sizeof *disc);
  int *mode = malloc(N * sizeof *mode), *qnull = malloc(N * sizeof *qnull);
  for (uint32_t i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    dv[i] = 10000 + (int32_t)(seed >> 8) % 400;
    seed = seed * 1103515245u + 12345u;
    disc[i] = (int64_t)((seed >> 8) % 11);
    seed = seed * 1103515245u + 12345u;
    mode[i] = (int)((seed >> 8) % 5);
    seed = seed * 1103515245u + 12345u;
    qv[i] = (int32_t)((seed >> 8) % 50);
    qnull[i] = (seed >> 20) % 13 == 0;
    vector_append_i32(&b->cols[0], dv[i]);
    vector_append_i64(&b->cols[1], disc[i]);
    vector_append_str(&b->cols[2], modes[mode[i]], strlen(modes[mode[i]]));
    if (qnull[i]) vector_append_null(&b->cols[3]);
    else vector_append_i32(&b->cols[3], qv[i]);
  }
  batch_set_rows(b, N);
  /* d <= 10200 AND disc BETWEEN 0.05 AND 0.07 AND mode IN ('MAIL','SHIP') AND q < 24 */
  struct expr *e = fn(
      FN_AND, T_B, 5, fn(FN_LE, T_B, 2, col(0, T_DT), lit_i(T_DT, 10200)),
      fn(FN_GE, T_B, 2, col(1, dec(15, 2)), lit_i(dec(15, 2), 5)),
      fn(FN_LE, T_B, 2, col(1, dec(15, 2)), lit_i(dec(15, 2), 7)),
      in_list(col(2, T_S), 0, 2, lit_s("MAIL"), lit_s("SHIP")),
      fn(FN_LT, T_B, 2, col(3, T_I), lit_i(T_I, 24)));
  struct eval_prog *p;
  err_clear(&err);
  int rc = eval_compile(e, &p, &err);
  TAP_OK(rc == 0, "compile the conjunction");
  struct type tsmall[] = {T_DT, dec(15, 2), T_S, T_I};
  struct batch *small = mkb(4, tsmall, "1970-01-02|2000-01-01", "0.05|0.05", "MAIL|MAIL", "1|1");
  uint32_t sel[N];
  uint32_t n = 0;
  rc = eval_select(p, small, sel, &n, &err);
  TAP_OK(rc == 0 && n == 1 && sel[0] == 0, "small batch first");
  rc = eval_select(p, b, sel, &n, &err);
  uint32_t want = 0;
  int same = rc == 0;
  for (uint32_t i = 0; i < N; i++) {
    int t = dv[i] <= 10200 && disc[i] >= 5 && disc[i] <= 7 && mode[i] <= 1 && !qnull[i] &&
            qv[i] < 24;
    if (t) {
      if (want >= n || sel[want] != i) same = 0;
      want++;
    }
  }
  TAP_OK(same && want == n && n > 0, "eval_select of 10,000 rows matches the naive filter (%u rows)", n);
  /* and eval_run of the same predicate agrees */
  struct arena heap;
  arena_init(&heap, ARENA_UNLIMITED);
  struct vector out;
  vector_init(&out, T_B, N, &heap);
  rc = eval_run(p, b, &out, &err);
  uint32_t cnt = 0;
  for (uint32_t i = 0; i < N; i++) cnt += !vector_is_null(&out, i) && vector_u8(&out)[i];
  TAP_OK(rc == 0 && cnt == n, "eval_run agrees with eval_select");
  /* projection: price * (1 - disc) over the whole batch */
  struct expr *pe = fn(FN_MUL, dec(18, 4), 2, col(1, dec(15, 2)),
                       fn(FN_SUB, dec(16, 2), 2, lit_i(dec(15, 2), 100), col(1, dec(15, 2))));
  struct eval_prog *pp;
  rc = eval_compile(pe, &pp, &err);
  struct vector o2;
  vector_init(&o2, dec(18, 4), N, &heap);
  rc |= eval_run(pp, b, &o2, &err);
  int okp = rc == 0;
  for (uint32_t i = 0; i < N; i++) okp &= vector_i64(&o2)[i] == disc[i] * (100 - disc[i]);
  TAP_OK(okp, "decimal projection over 10,000 rows");
  vector_fini(&o2);
  eval_free(pp);
  vector_fini(&out);
  arena_fini(&heap);
  eval_free(p);
  batch_free(small);
  batch_free(b);
  free(dv);
  free(qv);
  free(disc);
  free(mode);
  free(qnull);
}

/* ANSI mode (expr.ansi): the first row a lenient kernel would make NULL or
 * wrap fails the evaluation, wherever it is in the batch (word-wise check)
 * and only if the selection reaches it; try_eval nodes give NULL. */
static void test_ansi(void) {
  ctx->ansi = 1;
  /* 130 rows: the overflow at row 70 (second validity word) */
  char spec[2048];
  size_t at = 0;
  for (int r = 0; r < 130; r++)
    at += (size_t)snprintf(spec + at, sizeof spec - at, r ? "|%d" : "%d",
                           r == 70 ? 2147483647 : r);
  struct type ti[] = {T_I};
  struct batch *b = mkb(1, ti, spec);
  const char *got = ev(fn(FN_ADD, T_I, 2, col(0, T_I), lit_i(T_I, 1)), b);
  TAP_OK(strstr(got, "[ARITHMETIC_OVERFLOW] integer overflow. Use 'try_add'") != NULL,
         "ANSI int + overflows at row 70: %s", got);
  got = ev(fn(FN_MUL, T_I, 2, col(0, T_I), col(0, T_I)), b);
  TAP_OK(strstr(got, "Use 'try_multiply'") != NULL, "ANSI int * overflows: %.60s", got);
  /* a filter that drops row 70 first: the selection never reaches it */
  struct expr *lt = fn(FN_LT, T_B, 2, col(0, T_I), lit_i(T_I, 50));
  struct expr *gt = fn(FN_GT, T_B, 2, fn(FN_ADD, T_I, 2, col(0, T_I), lit_i(T_I, 1)),
                       lit_i(T_I, 47));
  TAP_EQ_STR(sel_rows(fn(FN_AND, T_B, 2, lt, gt), b), "47,48,49",
             "ANSI + over a selection that skips the overflowing row");
  gt = fn(FN_GT, T_B, 2, fn(FN_ADD, T_I, 2, col(0, T_I), lit_i(T_I, 1)), lit_i(T_I, 47));
  lt = fn(FN_GT, T_B, 2, col(0, T_I), lit_i(T_I, 60)); /* row 70 holds INT_MAX */
  TAP_EQ_STR(sel_rows(fn(FN_AND, T_B, 2, lt, gt), b), "ERR",
             "ANSI + over a selection that reaches it fails");
  struct expr *t = fn(FN_ADD, T_I, 2, col(0, T_I), lit_i(T_I, 1));
  t->try_eval = 1;
  got = ev(t, b);
  TAP_OK(strncmp(got, "1,2,3", 5) == 0 && strstr(got, ",70,NULL,72,") != NULL,
         "try_add: NULL at the overflow only");
  batch_free(b);

  struct type tl[] = {T_L, T_L};
  b = mkb(2, tl, "7|-9223372036854775808|5|\\N", "2|-1|0|0");
  TAP_OK(strstr(ev(fn(FN_IDIV, T_L, 2, col(0, T_L), col(1, T_L)), b),
                "[ARITHMETIC_OVERFLOW] Overflow in integral divide") != NULL,
         "ANSI div: MIN div -1 overflows before the zero divisor");
  TAP_OK(strstr(ev(fn(FN_MOD, T_L, 2, col(0, T_L), col(1, T_L)), b), "[DIVIDE_BY_ZERO]") != NULL,
         "ANSI %%: zero divisor (a NULL dividend over 0 stays NULL)");
  TAP_OK(strstr(ev(fn(FN_NEG, T_L, 1, col(0, T_L)), b), "[ARITHMETIC_OVERFLOW] long overflow.") !=
             NULL,
         "ANSI unary minus of the smallest BIGINT");
  batch_free(b);

  struct type ts[] = {T_S};
  b = mkb(1, ts, "12| 7 |\\N|1x");
  TAP_OK(strstr(ev(cast(col(0, T_S), T_I), b),
                "[CAST_INVALID_INPUT] The value '1x' of the type \"STRING\" cannot be cast to "
                "\"INT\"") != NULL,
         "ANSI cast of malformed text names the value");
  struct expr *tc = cast(col(0, T_S), T_I);
  tc->try_eval = 1;
  TAP_EQ_STR(ev(tc, b), "12,7,NULL,NULL", "try_cast in ANSI mode: NULL");
  batch_free(b);

  /* constants: 1/0 is left to run time, so a CASE that never takes it folds */
  struct value v;
  struct expr *div0 = fn(FN_DIV, T_D, 2, lit_d(1), lit_d(0));
  struct expr *cs = expr_func(ctx, FN_IF, T_D,
                              (struct expr *[]){lit_i(T_B, 0), div0, lit_d(2)}, 3);
  err_clear(&err);
  int rc = eval_constant(cs, ctx, &v, &err);
  TAP_OK(rc == 0 && !v.is_null && v.d == 2.0, "ANSI constant: IF(false, 1/0, 2) is 2");
  err_clear(&err);
  rc = eval_constant(div0, ctx, &v, &err);
  TAP_OK(rc == ERR_SQL && strstr(err.msg, "[DIVIDE_BY_ZERO]"), "ANSI constant 1/0 raises: %s",
         err.msg);
  ctx->ansi = 0;
  err_clear(&err);
  rc = eval_constant(fn(FN_DIV, T_D, 2, lit_d(1), lit_d(0)), ctx, &v, &err);
  TAP_OK(rc == 0 && v.is_null, "non-ANSI constant 1/0 is NULL");
}

int main(void) {
  ctx = plan_ctx_new();
  test_arith();
  test_compare();
  test_logic();
  test_cond();
  test_in();
  test_cast();
  test_strings();
  test_math();
  test_dates();
  test_like();
  test_hash();
  test_constant();
  test_more();
  test_like_random();
  test_select_big();
  test_ansi();
  plan_ctx_free(ctx);
  return tap_done();
}
