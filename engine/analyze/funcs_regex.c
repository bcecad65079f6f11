/* funcs_regex.c: see funcs_regex.h. */
#include "engine/analyze/funcs_regex.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/vec/schema.h"

static const char *ordinal(int i) {
  static const char *const o[] = {"first", "second", "third", "fourth"};
  return i < 4 ? o[i] : "next";
}

/* Cast args[i] to t by the implicit cast rules, or fill Spark's message. */
static int want(struct plan_ctx *ctx, struct expr **args, int i, enum type_id id,
                const char *call, const char *const *argt, char *msg, size_t msgsz) {
  struct type t = {id, 0, 0};
  if (!funcs_implicit_ok(args[i]->type, t)) {
    char t1[32], t2[32];
    snprintf(msg, msgsz,
             "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type "
             "mismatch: The %s parameter requires the \"%s\" type, however \"%s\" has the type "
             "\"%s\".",
             call, ordinal(i), schema_type_sql(t, t1), argt ? argt[i] : "?",
             schema_type_sql(args[i]->type, t2));
    return ERR_SQL;
  }
  args[i] = coerce_to(ctx, args[i], t);
  return args[i] ? 0 : ERR_NOMEM;
}

int funcs_regex_scalar(struct plan_ctx *ctx, const char *n, struct expr **args, int nargs,
                       const char *call_text, const char *const *arg_text, struct expr **out,
                       char *msg, size_t msgsz) {
  static const struct {
    const char *name;
    enum expr_fn fn;
    int lo, hi;
    int64_t dflt; /* value of the optional last INT argument */
  } tab[] = {{"rlike", FN_RLIKE, 2, 2, 0},
             {"regexp", FN_RLIKE, 2, 2, 0},
             {"regexp_like", FN_RLIKE, 2, 2, 0},
             {"regexp_extract", FN_REGEXP_EXTRACT, 2, 3, 1},
             {"regexp_extract_all", FN_REGEXP_EXTRACT_ALL, 2, 3, 1},
             {"regexp_replace", FN_REGEXP_REPLACE, 3, 4, 1},
             {"regexp_count", FN_REGEXP_COUNT, 2, 2, 0},
             {"regexp_substr", FN_REGEXP_SUBSTR, 2, 2, 0},
             {"split", FN_SPLIT, 2, 3, -1}};
  size_t k = 0;
  while (k < sizeof tab / sizeof tab[0] && strcmp(n, tab[k].name)) k++;
  if (k == sizeof tab / sizeof tab[0]) return ERR_NOTFOUND;
  enum expr_fn fn = tab[k].fn;
  if (nargs < tab[k].lo || nargs > tab[k].hi) {
    funcs_wrong_nargs(n, tab[k].lo, tab[k].hi, nargs, msg, msgsz);
    return ERR_SQL;
  }
  int nstr = fn == FN_REGEXP_REPLACE ? 3 : 2, rc;
  for (int i = 0; i < nargs; i++)
    if ((rc = want(ctx, args, i, i < nstr ? TYPE_STRING : TYPE_INT, call_text, arg_text, msg,
                   msgsz)))
      return rc;
  struct expr *a[4];
  memcpy(a, args, sizeof *a * (size_t)nargs);
  int total = nargs;
  if (tab[k].hi > tab[k].lo && nargs == tab[k].lo) {
    if (!(a[total++] = coerce_int(ctx, TYPE_INT, tab[k].dflt))) return ERR_NOMEM;
  }
  if (fn == FN_REGEXP_REPLACE && a[3]->kind == EXPR_LIT && !a[3]->u.lit.is_null &&
      a[3]->u.lit.i <= 0) {
    snprintf(msg, msgsz,
             "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve \"%s\" due to data type "
             "mismatch: The `position` must be between (0, 2147483647] (current value = %lld).",
             call_text, (long long)a[3]->u.lit.i);
    return ERR_SQL;
  }
  struct type S = {TYPE_STRING, 0, 0}, t = S;
  if (fn == FN_RLIKE) t.id = TYPE_BOOLEAN;
  else if (fn == FN_REGEXP_COUNT) t.id = TYPE_INT;
  else if (fn == FN_REGEXP_EXTRACT_ALL || fn == FN_SPLIT) t = type_array_of(S);
  struct expr *e = expr_func(ctx, fn, t, a, total);
  if (!e) return ERR_NOMEM;
  if (fn == FN_REGEXP_SUBSTR) e->nullable = 1;
  *out = e;
  return 0;
}
