/* funcs_array.c: see funcs_array.h. */
#include "engine/analyze/funcs_array.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/vec/array.h"
#include "engine/vec/schema.h"

struct fa {
  struct plan_ctx *ctx;
  const char *name;
  struct expr **args;
  int nargs;
  const char *call;
  const char *const *argt;
  char *msg;
  size_t msgsz;
};

static int fail(struct fa *f, const char *fmt_tail_type, int i) {
  char t[32];
  snprintf(f->msg, f->msgsz,
           "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type "
           "mismatch: The %s parameter requires the %s type, however \"%s\" has the type "
           "\"%s\".",
           f->call, i == 0 ? "first" : i == 1 ? "second" : "third", fmt_tail_type, f->argt ? f->argt[i] : "?",
           schema_type_sql(f->args[i]->type, t));
  return ERR_SQL;
}

static int nargs(struct fa *f, int lo, int hi) {
  if (f->nargs >= lo && f->nargs <= hi) return 0;
  funcs_wrong_nargs(f->name, lo, hi, f->nargs, f->msg, f->msgsz);
  return ERR_SQL;
}

static int mk(struct fa *f, enum expr_fn fn, struct type t, struct expr **out) {
  *out = expr_func(f->ctx, fn, t, f->args, f->nargs);
  return *out ? 0 : ERR_NOMEM;
}

/* Argument 0 must be an array (callers treat a bare NULL first). */
static int want_array(struct fa *f, const char *spark_req) {
  if (f->args[0]->type.id == TYPE_ARRAY) return 0;
  return fail(f, spark_req, 0);
}

/* "T1", "T2", ... of every argument, for the DATA_DIFF_TYPES messages. */
static void types_list(struct fa *f, char *out, size_t sz) {
  size_t k = 0;
  out[0] = 0;
  for (int i = 0; i < f->nargs && k + 40 < sz; i++) {
    char t[32];
    k += (size_t)snprintf(out + k, sz - k, "%s\"%s\"", i ? ", " : "",
                          schema_type_sql(f->args[i]->type, t));
  }
}

/* Element type of array(...): Spark's wider common type of the arguments
 * (string promotion included). No argument or only NULLs gives STRING: the
 * engine has no ARRAY<VOID> (Spark says array<void>; the values print the
 * same). */
static int array_ctor(struct fa *f, struct expr **out) {
  struct type el = {TYPE_NULL, 0, 0};
  for (int i = 0; i < f->nargs; i++) {
    struct type w;
    if (coerce_wider(el, f->args[i]->type, &w)) {
      char tl[256];
      types_list(f, tl, sizeof tl);
      snprintf(f->msg, f->msgsz,
               "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type "
               "mismatch: Input to `array` should all be the same type, but it's [%s].",
               f->call, tl);
      return ERR_SQL;
    }
    el = w;
  }
  if (el.id == TYPE_NULL) el.id = TYPE_STRING;
  if (!array_elem_ok(el.id) || el.precision >= 64 || el.scale >= 64) {
    char t[32];
    snprintf(f->msg, f->msgsz,
             "array() of values of type \"%s\" is not supported by the local engine (arrays "
             "hold numbers, strings, booleans, dates and timestamps).",
             schema_type_sql(el, t));
    return ERR_UNSUPPORTED;
  }
  for (int i = 0; i < f->nargs; i++)
    if (!(f->args[i] = coerce_to(f->ctx, f->args[i], el))) return ERR_NOMEM;
  int rc = mk(f, FN_ARRAY, type_array_of(el), out);
  if (!rc) (*out)->nullable = 0;
  return rc;
}

/* Argument i to INT (Spark's implicit cast of an integral or string index);
 * a NULL stays a typed NULL. */
static int want_int(struct fa *f, int i, const char *req) {
  struct type I = {TYPE_INT, 0, 0};
  enum type_id t = f->args[i]->type.id;
  if (t != TYPE_INT && t != TYPE_BIGINT && t != TYPE_NULL && t != TYPE_STRING)
    return fail(f, req, i);
  return (f->args[i] = coerce_to(f->ctx, f->args[i], I)) ? 0 : ERR_NOMEM;
}

/* The (ARRAY<T>, T) functions: the value is widened to the element type as
 * array_contains does. */
static int array_and_value(struct fa *f, enum expr_fn fn, struct type rt, struct expr **out) {
  if (f->args[0]->type.id == TYPE_NULL || f->args[1]->type.id == TYPE_NULL) {
    if (f->args[0]->type.id != TYPE_NULL && f->args[0]->type.id != TYPE_ARRAY)
      return fail(f, "\"ARRAY\"", 0);
    if (f->args[0]->type.id == TYPE_ARRAY && fn == FN_ARRAY_REMOVE) rt = f->args[0]->type;
    if (rt.id == TYPE_NULL) rt.id = TYPE_STRING;
    return (*out = coerce_null(f->ctx, rt)) ? 0 : ERR_NOMEM;
  }
  int rc = want_array(f, "\"ARRAY\"");
  if (rc) return rc;
  struct type el = type_elem(f->args[0]->type), vt = f->args[1]->type, w;
  int ok = coerce_type_eq(el, vt) ||
           (coerce_is_numeric(el) && coerce_is_numeric(vt) && !coerce_wider(el, vt, &w) &&
            coerce_type_eq(w, el));
  if (!ok) {
    char t1[32], t2[32];
    snprintf(f->msg, f->msgsz,
             "[DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES] Cannot resolve \"%s\" due to data "
             "type mismatch: Input to `%s` should have been \"ARRAY\" followed by a value with "
             "same element type, but it's [\"%s\", \"%s\"].",
             f->call, f->name, schema_type_sql(f->args[0]->type, t1), schema_type_sql(vt, t2));
    return ERR_SQL;
  }
  if (!(f->args[1] = coerce_to(f->ctx, f->args[1], el))) return ERR_NOMEM;
  if (fn == FN_ARRAY_REMOVE) rt = f->args[0]->type;
  return mk(f, fn, rt, out);
}

/* Two or more arrays of one element type (array_union..., concat). */
static int same_arrays(struct fa *f, enum expr_fn fn, struct expr **out) {
  struct type t = {TYPE_NULL, 0, 0};
  for (int i = 0; i < f->nargs; i++) {
    struct type a = f->args[i]->type;
    if (a.id == TYPE_NULL) continue;
    if (a.id != TYPE_ARRAY) return fail(f, "\"ARRAY\"", i < 2 ? i : 1);
    if (t.id == TYPE_NULL) t = a;
    else if (!coerce_type_eq(t, a)) {
      char tl[256];
      types_list(f, tl, sizeof tl);
      if (fn == FN_ARRAY_CONCAT)
        snprintf(f->msg, f->msgsz,
                 "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type "
                 "mismatch: Input to `concat` should all be the same type, but it's [%s].",
                 f->call, tl);
      else
        snprintf(f->msg, f->msgsz,
                 "[DATATYPE_MISMATCH.BINARY_ARRAY_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                 "type mismatch: Input to function `%s` should have been two \"ARRAY\" with same "
                 "element type, but it's [%s].",
                 f->call, f->name, tl);
      return ERR_SQL;
    }
  }
  if (t.id == TYPE_NULL) t = type_array_of((struct type){TYPE_STRING, 0, 0});
  for (int i = 0; i < f->nargs; i++)
    if (f->args[i]->type.id == TYPE_NULL)
      return (*out = coerce_null(f->ctx, t)) ? 0 : ERR_NOMEM; /* NULL in -> NULL out */
  return mk(f, fn, t, out);
}

/* The functions added with array(): ERR_NOTFOUND when n is none of them. */
static int more_array_fns(struct fa *f, struct expr **out) {
  const char *n = f->name;
  int rc;
  struct type I = {TYPE_INT, 0, 0}, S = {TYPE_STRING, 0, 0}, L = {TYPE_BIGINT, 0, 0};
  if (!strcmp(n, "explode") || !strcmp(n, "posexplode") || !strcmp(n, "explode_outer") ||
      !strcmp(n, "posexplode_outer") || !strcmp(n, "inline") || !strcmp(n, "inline_outer")) {
    /* The SELECT list and LATERAL VIEW take generators before expressions
     * are bound (engine/analyze/bind_query.c); reaching here means nested. */
    snprintf(f->msg, f->msgsz,
             "[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS] The generator is not supported: "
             "nested in expressions \"%s\".",
             f->call);
    return ERR_SQL;
  }
  if (!strcmp(n, "array")) return array_ctor(f, out);
  /* "[]" is the parser's name for the subscript a[i] (not a Spark function name). */
  if (!strcmp(n, "element_at") || !strcmp(n, "get") || !strcmp(n, "try_element_at") ||
      !strcmp(n, "[]")) {
    if ((rc = nargs(f, 2, 2))) return rc;
    if (f->args[0]->type.id == TYPE_NULL)
      return (*out = coerce_null(f->ctx, S)) ? 0 : ERR_NOMEM;
    if (n[0] == '[' && f->args[0]->type.id != TYPE_ARRAY) {
      char t[32];
      snprintf(f->msg, f->msgsz,
               "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from \"%s\". Need a "
               "complex type [STRUCT, ARRAY, MAP] but got \"%s\".",
               f->argt ? f->argt[0] : "?", schema_type_sql(f->args[0]->type, t));
      return ERR_SQL;
    }
    if ((rc = want_array(f, "(\"ARRAY\" or \"MAP\")"))) return rc;
    if ((rc = want_int(f, 1, "\"INT\""))) return rc;
    enum expr_fn fn = n[0] == 'g' || n[0] == '[' ? FN_ARRAY_SUBSCRIPT : FN_ELEMENT_AT;
    if ((rc = mk(f, fn, type_elem(f->args[0]->type), out))) return rc;
    /* get / try_element_at: NULL out of range, never an error */
    if (n[0] == 'g' || n[0] == 't') (*out)->try_eval = 1;
    return 0;
  }
  if (!strcmp(n, "array_join")) {
    if ((rc = nargs(f, 2, 3))) return rc;
    if (f->args[0]->type.id != TYPE_NULL && (rc = want_array(f, "\"ARRAY<STRING>\""))) return rc;
    for (int i = 1; i < f->nargs; i++) {
      enum type_id t = f->args[i]->type.id;
      if (t == TYPE_ARRAY || t == TYPE_INTERVAL) return fail(f, "\"STRING\"", i);
      if (!(f->args[i] = coerce_to(f->ctx, f->args[i], S))) return ERR_NOMEM;
    }
    for (int i = 0; i < f->nargs; i++)
      if (f->args[i]->type.id == TYPE_NULL || (f->args[i]->kind == EXPR_LIT && f->args[i]->u.lit.is_null))
        return (*out = coerce_null(f->ctx, S)) ? 0 : ERR_NOMEM;
    return mk(f, FN_ARRAY_JOIN, S, out);
  }
  if (!strcmp(n, "array_position")) {
    if ((rc = nargs(f, 2, 2))) return rc;
    return array_and_value(f, FN_ARRAY_POSITION, L, out);
  }
  if (!strcmp(n, "array_remove")) {
    if ((rc = nargs(f, 2, 2))) return rc;
    return array_and_value(f, FN_ARRAY_REMOVE, S, out);
  }
  if (!strcmp(n, "array_max") || !strcmp(n, "array_min")) {
    if ((rc = nargs(f, 1, 1))) return rc;
    if (f->args[0]->type.id == TYPE_NULL)
      return (*out = coerce_null(f->ctx, S)) ? 0 : ERR_NOMEM;
    if ((rc = want_array(f, "\"ARRAY\""))) return rc;
    return mk(f, n[7] == 'a' ? FN_ARRAY_MAX : FN_ARRAY_MIN, type_elem(f->args[0]->type), out);
  }
  if (!strcmp(n, "slice")) {
    if ((rc = nargs(f, 3, 3))) return rc;
    if (f->args[0]->type.id == TYPE_NULL)
      return (*out = coerce_null(f->ctx, type_array_of(S))) ? 0 : ERR_NOMEM;
    if ((rc = want_array(f, "\"ARRAY\""))) return rc;
    if ((rc = want_int(f, 1, "\"INT\"")) || (rc = want_int(f, 2, "\"INT\""))) return rc;
    return mk(f, FN_SLICE, f->args[0]->type, out);
  }
  if (!strcmp(n, "array_union") || !strcmp(n, "array_intersect") || !strcmp(n, "array_except")) {
    if ((rc = nargs(f, 2, 2))) return rc;
    enum expr_fn fn = n[6] == 'u' ? FN_ARRAY_UNION : n[6] == 'i' ? FN_ARRAY_INTERSECT
                                                                 : FN_ARRAY_EXCEPT;
    return same_arrays(f, fn, out);
  }
  if (!strcmp(n, "concat")) {
    int any = 0;
    for (int i = 0; i < f->nargs; i++) any |= f->args[i]->type.id == TYPE_ARRAY;
    if (!any) return ERR_NOTFOUND; /* string concat */
    return same_arrays(f, FN_ARRAY_CONCAT, out);
  }
  (void)I;
  return ERR_NOTFOUND;
}

int funcs_array_scalar(struct plan_ctx *ctx, const char *n, struct expr **args, int na,
                       const char *call_text, const char *const *arg_text, struct expr **out,
                       char *msg, size_t msgsz) {
  struct fa f = {ctx, n, args, na, call_text, arg_text, msg, msgsz};
  int rc;
  if (!strcmp(n, "hash") || !strcmp(n, "greatest") || !strcmp(n, "least")) {
    for (int i = 0; i < na; i++)
      if (args[i]->type.id == TYPE_ARRAY) {
        char t[32];
        snprintf(msg, msgsz, "%s() of a value of type \"%s\" is not supported by the local engine.",
                 n, schema_type_sql(args[i]->type, t));
        return ERR_UNSUPPORTED;
      }
    return ERR_NOTFOUND;
  }
  if (!strcmp(n, "size") || !strcmp(n, "cardinality")) {
    if ((rc = nargs(&f, 1, 1))) return rc;
    if (args[0]->type.id == TYPE_NULL) { /* size(NULL) = -1 (legacy sizeOfNull) */
      *out = coerce_int(ctx, TYPE_INT, -1);
      return *out ? 0 : ERR_NOMEM;
    }
    if ((rc = want_array(&f, "(\"ARRAY\" or \"MAP\")"))) return rc;
    struct type I = {TYPE_INT, 0, 0};
    if ((rc = mk(&f, FN_SIZE, I, out))) return rc;
    (*out)->nullable = 0;
    return 0;
  }
  if (!strcmp(n, "array_contains")) {
    if ((rc = nargs(&f, 2, 2))) return rc;
    struct type B = {TYPE_BOOLEAN, 0, 0};
    if (args[0]->type.id == TYPE_NULL || args[1]->type.id == TYPE_NULL) {
      if (args[0]->type.id == TYPE_NULL && args[1]->type.id == TYPE_NULL) {
        snprintf(msg, msgsz,
                 "[DATATYPE_MISMATCH.NULL_TYPE] Cannot resolve \"%s\" due to data type mismatch: "
                 "Null typed values cannot be used as arguments of `array_contains`.",
                 call_text);
        return ERR_SQL;
      }
      if (args[0]->type.id != TYPE_NULL && args[0]->type.id != TYPE_ARRAY)
        return fail(&f, "\"ARRAY\"", 0);
      *out = coerce_null(ctx, B);
      return *out ? 0 : ERR_NOMEM;
    }
    if ((rc = want_array(&f, "\"ARRAY\""))) return rc;
    struct type el = type_elem(args[0]->type), vt = args[1]->type, w;
    /* Spark widens the value to the element type (no string promotion). */
    int ok = coerce_type_eq(el, vt) ||
             (coerce_is_numeric(el) && coerce_is_numeric(vt) && !coerce_wider(el, vt, &w) &&
              coerce_type_eq(w, el));
    if (!ok) {
      char t1[32], t2[32];
      snprintf(msg, msgsz,
               "[DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES] Cannot resolve \"%s\" due to data "
               "type mismatch: Input to `array_contains` should have been \"ARRAY\" followed by a "
               "value with same element type, but it's [\"%s\", \"%s\"].",
               call_text, schema_type_sql(args[0]->type, t1), schema_type_sql(vt, t2));
      return ERR_SQL;
    }
    if (!(f.args[1] = coerce_to(ctx, args[1], el))) return ERR_NOMEM;
    return mk(&f, FN_ARRAY_CONTAINS, B, out);
  }
  if (!strcmp(n, "sort_array")) {
    if ((rc = nargs(&f, 1, 2))) return rc;
    if (args[0]->type.id == TYPE_NULL) {
      snprintf(msg, msgsz,
               "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type "
               "mismatch: The first parameter requires the \"ARRAY\" type, however \"NULL\" has "
               "the type \"VOID\".",
               call_text);
      return ERR_SQL;
    }
    if ((rc = want_array(&f, "\"ARRAY\""))) return rc;
    struct expr *a2[2] = {args[0], NULL};
    if (na == 2) {
      if (args[1]->kind != EXPR_LIT || args[1]->type.id != TYPE_BOOLEAN) {
        snprintf(msg, msgsz,
                 "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data "
                 "type mismatch: Sort order in second argument requires a boolean literal.",
                 call_text);
        return ERR_SQL;
      }
      a2[1] = args[1];
    } else {
      struct value v = {0};
      v.type.id = TYPE_BOOLEAN;
      v.i = 1;
      if (!(a2[1] = expr_lit(ctx, &v))) return ERR_NOMEM;
    }
    *out = expr_func(ctx, FN_SORT_ARRAY, args[0]->type, a2, 2);
    return *out ? 0 : ERR_NOMEM;
  }
  if (!strcmp(n, "array_distinct")) {
    if ((rc = nargs(&f, 1, 1))) return rc;
    if ((rc = want_array(&f, "\"ARRAY\""))) return rc;
    return mk(&f, FN_ARRAY_DISTINCT, args[0]->type, out);
  }
  return more_array_fns(&f, out);
}
