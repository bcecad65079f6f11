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
           f->call, i == 0 ? "first" : "second", fmt_tail_type, f->argt ? f->argt[i] : "?",
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
  return ERR_NOTFOUND;
}
