/* fcall.c: see fcall.h. */
#include "engine/analyze/fcall.h"

#include <stdio.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/vec/schema.h"

const char *fcall_ordinal(int i) {
  static const char *const o[] = {"first", "second", "third", "fourth", "fifth", "sixth"};
  return i >= 0 && i < 6 ? o[i] : "next";
}

int fcall_nargs(struct fcall *f, int lo, int hi) {
  if (f->nargs >= lo && f->nargs <= hi) return 1;
  funcs_wrong_nargs(f->name, lo, hi, f->nargs, f->msg, f->msgsz);
  f->rc = ERR_SQL;
  return 0;
}

int fcall_mismatch(struct fcall *f, int i, const char *required) {
  char t[32];
  snprintf(f->msg, f->msgsz,
           "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data type "
           "mismatch: The %s parameter requires the %s type, however \"%s\" has the type "
           "\"%s\".",
           f->call, fcall_ordinal(i), required, f->argt ? f->argt[i] : "?",
           schema_type_sql(f->args[i]->type, t));
  f->rc = ERR_SQL;
  return 0;
}

int fcall_want_req(struct fcall *f, int i, struct type t, const char *required) {
  if (f->rc) return 0;
  if (!funcs_implicit_ok(f->args[i]->type, t)) {
    char t1[32], req[48];
    if (!required) {
      snprintf(req, sizeof req, "\"%s\"", schema_type_sql(t, t1));
      required = req;
    }
    return fcall_mismatch(f, i, required);
  }
  if (!(f->args[i] = coerce_to(f->ctx, f->args[i], t))) f->rc = ERR_NOMEM;
  return f->rc == 0;
}

int fcall_want(struct fcall *f, int i, struct type t) { return fcall_want_req(f, i, t, NULL); }

int fcall_want_num(struct fcall *f, int i) {
  if (f->rc) return 0;
  struct type t = f->args[i]->type, d = {TYPE_DOUBLE, 0, 0};
  if (coerce_is_numeric(t)) return 1;
  if (t.id == TYPE_STRING || t.id == TYPE_NULL) return fcall_want(f, i, d);
  return fcall_mismatch(f, i, "\"NUMERIC\"");
}

int fcall_unify(struct fcall *f, int from, struct type *out) {
  if (f->rc) return 0;
  struct type t = {TYPE_NULL, 0, 0};
  for (int i = from; i < f->nargs; i++) {
    struct type w;
    if (coerce_wider(t, f->args[i]->type, &w)) {
      char t1[32], t2[32];
      snprintf(f->msg, f->msgsz,
               "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type "
               "mismatch: Input to `%s` should all be the same type, but it's (\"%s\", \"%s\").",
               f->call, f->name, schema_type_sql(t, t1), schema_type_sql(f->args[i]->type, t2));
      f->rc = ERR_SQL;
      return 0;
    }
    t = w;
  }
  for (int i = from; i < f->nargs; i++)
    if (!(f->args[i] = coerce_to(f->ctx, f->args[i], t))) f->rc = ERR_NOMEM;
  *out = t;
  return f->rc == 0;
}

struct expr *fcall_expr(struct fcall *f, enum expr_fn fn, struct type t) {
  if (f->rc) return NULL;
  struct expr *e = expr_func(f->ctx, fn, t, f->args, f->nargs);
  if (!e) f->rc = ERR_NOMEM;
  return e;
}
