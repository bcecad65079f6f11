/* funcs_str2.c: see funcs_str2.h. Argument checks follow Spark's implicit
 * casts (funcs_implicit_ok) and report its DATATYPE_MISMATCH messages. */
#include "engine/analyze/funcs_str2.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/fcall.h"
#include "engine/analyze/funcs.h"
#include "engine/plan/plan.h"
#include "engine/vec/schema.h"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

/* Argument i of a BINARY parameter: the engine keeps bytes in STRINGs, and
 * Spark casts only STRING (not numbers) to BINARY implicitly. */
static int want_bin(struct fcall *b, int i) {
  if (b->rc) return 0;
  enum type_id t = b->args[i]->type.id;
  if (t != TYPE_STRING && t != TYPE_NULL) return fcall_mismatch(b, i, "\"BINARY\"");
  return fcall_want(b, i, T(TYPE_STRING));
}

static struct expr *fn2(struct fcall *b, enum expr_fn fn, struct type t, struct expr *x,
                        struct expr *y) {
  if (b->rc || !x ||
      (fn != FN_NEG && fn != FN_ISNAN && fn != FN_LN && fn != FN_IS_NOT_NULL && !y)) {
    if (!b->rc) b->rc = ERR_NOMEM;
    return NULL;
  }
  struct expr *a[2] = {x, y};
  struct expr *e = expr_func(b->ctx, fn, t, a, y ? 2 : 1);
  if (!e) b->rc = ERR_NOMEM;
  return e;
}

static struct expr *dbl_lit(struct fcall *b, double d) {
  struct value v;
  memset(&v, 0, sizeof v);
  v.type = T(TYPE_DOUBLE);
  v.d = d;
  struct expr *e = expr_lit(b->ctx, &v);
  if (!e) b->rc = ERR_NOMEM;
  return e;
}


static struct expr *build(struct fcall *b, const char *n) {
  struct type S = T(TYPE_STRING), I = T(TYPE_INT), L = T(TYPE_BIGINT), D = T(TYPE_DOUBLE),
              B = T(TYPE_BOOLEAN);
#define IS(x) (!strcmp(n, x))
  /* strings */
  if (IS("initcap") || IS("reverse") || IS("ascii") || IS("octet_length") ||
      IS("bit_length") || IS("unbase64") || IS("unhex")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, S)) return NULL;
    return fcall_expr(b, IS("initcap") ? FN_INITCAP : IS("reverse") ? FN_REVERSE
                   : IS("ascii") ? FN_ASCII : IS("octet_length") ? FN_OCTET_LENGTH
                   : IS("bit_length") ? FN_BIT_LENGTH : IS("unbase64") ? FN_UNBASE64 : FN_UNHEX,
                (IS("ascii") || IS("octet_length") || IS("bit_length")) ? I : S);
  }
  if (IS("chr") || IS("char")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, L)) return NULL;
    return fcall_expr(b, FN_CHR, S);
  }
  if (IS("right") || IS("repeat")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, IS("right") ? FN_RIGHT : FN_REPEAT, S);
  }
  if (IS("translate")) {
    if (!fcall_nargs(b, 3, 3)) return NULL;
    for (int i = 0; i < 3; i++) fcall_want(b, i, S);
    return fcall_expr(b, FN_TRANSLATE, S);
  }
  if (IS("format_number")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want_num(b, 0)) return NULL;
    if (b->args[1]->type.id == TYPE_STRING) {
      snprintf(b->msg, b->msgsz,
               "format_number() with a format pattern (\"%s\") is not supported by the local "
               "engine; give the number of decimal places instead.",
               b->argt ? b->argt[1] : "?");
      b->rc = ERR_UNSUPPORTED;
      return NULL;
    }
    if (!fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, FN_FORMAT_NUMBER, S);
  }
  if (IS("split_part") || IS("substring_index")) {
    if (!fcall_nargs(b, 3, 3) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S) ||
        !fcall_want(b, 2, I))
      return NULL;
    return fcall_expr(b, IS("split_part") ? FN_SPLIT_PART : FN_SUBSTRING_INDEX, S);
  }
  if (IS("levenshtein")) {
    if (!fcall_nargs(b, 2, 3) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
    if (b->nargs == 3 && !fcall_want(b, 2, I)) return NULL;
    return fcall_expr(b, FN_LEVENSHTEIN, I);
  }
  if (IS("elt")) {
    if (!fcall_nargs(b, 2, 100000) || !fcall_want(b, 0, I)) return NULL;
    for (int i = 1; i < b->nargs; i++) fcall_want(b, i, S);
    struct expr *e = fcall_expr(b, FN_ELT, S);
    if (e) e->nullable = 1;
    return e;
  }
  if (IS("find_in_set")) {
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, S) || !fcall_want(b, 1, S)) return NULL;
    return fcall_expr(b, FN_FIND_IN_SET, I);
  }
  /* hashes and encodings */
  if (IS("md5") || IS("sha1") || IS("sha") || IS("crc32") || IS("base64")) {
    if (!fcall_nargs(b, 1, 1) || !want_bin(b, 0)) return NULL;
    return fcall_expr(b,
                      IS("md5")      ? FN_MD5
                      : IS("crc32")  ? FN_CRC32
                      : IS("base64") ? FN_BASE64
                                     : FN_SHA1,
                      IS("crc32") ? L : S);
  }
  if (IS("sha2")) {
    if (!fcall_nargs(b, 2, 2) || !want_bin(b, 0) || !fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, FN_SHA2, S);
  }
  if (IS("hex")) {
    if (!fcall_nargs(b, 1, 1)) return NULL;
    struct type t = b->args[0]->type;
    if (coerce_is_numeric(t) || t.id == TYPE_NULL) fcall_want(b, 0, L);
    else fcall_want(b, 0, S);
    return fcall_expr(b, FN_HEX, S);
  }
  /* NULL and NaN helpers */
  if (IS("nvl2")) { /* nvl2(a, b, c) = if(a IS NOT NULL, b, c) */
    struct type t;
    if (!fcall_nargs(b, 3, 3) || !fcall_unify(b, 1, &t)) return NULL;
    struct expr *nn = fn2(b, FN_IS_NOT_NULL, B, b->args[0], NULL);
    if (!nn) return NULL;
    nn->nullable = 0;
    struct expr *a[3] = {nn, b->args[1], b->args[2]};
    struct expr *e = expr_func(b->ctx, FN_IF, t, a, 3);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
  if (IS("isnan")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, D)) return NULL;
    struct expr *e = fcall_expr(b, FN_ISNAN, B);
    if (e) e->nullable = 0;
    return e;
  }
  if (IS("nanvl")) { /* nanvl(a, b) = if(isnan(a), b, a) */
    if (!fcall_nargs(b, 2, 2) || !fcall_want(b, 0, D) || !fcall_want(b, 1, D)) return NULL;
    struct expr *a0 = expr_copy(b->ctx, b->args[0]);
    struct expr *isn = fn2(b, FN_ISNAN, B, a0, NULL);
    if (!isn) return NULL;
    isn->nullable = 0;
    struct expr *a[3] = {isn, b->args[1], b->args[0]};
    struct expr *e = expr_func(b->ctx, FN_IF, D, a, 3);
    if (!e) b->rc = ERR_NOMEM;
    return e;
  }
#undef IS
  return NULL;
}

static struct expr *build_math(struct fcall *b, const char *n) {
  struct type I = T(TYPE_INT), D = T(TYPE_DOUBLE);
#define IS(x) (!strcmp(n, x))
  if (IS("e") || IS("pi")) {
    if (!fcall_nargs(b, 0, 0)) return NULL;
    struct expr *e = dbl_lit(b, IS("e") ? M_E : M_PI);
    if (e) e->nullable = 0;
    return e;
  }
  if (IS("sign") || IS("signum") || IS("cbrt")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, D)) return NULL;
    return fcall_expr(b, IS("cbrt") ? FN_CBRT : FN_SIGNUM, D);
  }
  if (IS("log2")) { /* Spark: ln(x) / ln(2), NULL for x <= 0 (ln's domain) */
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, D)) return NULL;
    struct expr *ln = fn2(b, FN_LN, D, b->args[0], NULL);
    return fn2(b, FN_DIV, D, ln, dbl_lit(b, log(2.0)));
  }
  if (IS("negative") || IS("positive")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want_num(b, 0)) return NULL;
    if (IS("positive")) return b->args[0];
    return fn2(b, FN_NEG, b->args[0]->type, b->args[0], NULL);
  }
  if (IS("factorial")) {
    if (!fcall_nargs(b, 1, 1) || !fcall_want(b, 0, I)) return NULL;
    return fcall_expr(b, FN_FACTORIAL, T(TYPE_BIGINT));
  }
  if (IS("bround")) {
    if (!fcall_nargs(b, 1, 2) || !fcall_want_num(b, 0)) return NULL;
    if (b->nargs == 1) {
      struct expr *z = coerce_int(b->ctx, TYPE_INT, 0);
      if (!z) return b->rc = ERR_NOMEM, NULL;
      return fn2(b, FN_BROUND, coerce_round_type(b->args[0]->type, 0), b->args[0], z);
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
    if (b->args[1]->u.lit.is_null) { /* bround(x, NULL) is NULL */
      struct expr *e = coerce_null(b->ctx, b->args[0]->type);
      if (!e) b->rc = ERR_NOMEM;
      return e;
    }
    return fcall_expr(b, FN_BROUND, coerce_round_type(b->args[0]->type, b->args[1]->u.lit.i));
  }
  if (IS("shiftleft") || IS("shiftright") || IS("shiftrightunsigned")) {
    if (!fcall_nargs(b, 2, 2)) return NULL;
    struct type t = b->args[0]->type.id == TYPE_BIGINT ? T(TYPE_BIGINT) : I;
    if (!fcall_want(b, 0, t) || !fcall_want(b, 1, I)) return NULL;
    return fcall_expr(b, IS("shiftleft") ? FN_SHIFTLEFT : IS("shiftright") ? FN_SHIFTRIGHT
                                                                     : FN_SHIFTRIGHTUNSIGNED, t);
  }
#undef IS
  return NULL;
}

int funcs_str2_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                      const char *call_text, const char *const *arg_text, struct expr **out,
                      char *msg, size_t msgsz) {
  struct fcall b = {ctx, name, args, nargs, call_text, arg_text, msg, msgsz, 0};
  struct expr *e = build(&b, name);
  if (!e && !b.rc) e = build_math(&b, name);
  if (b.rc) return b.rc;
  if (!e) return ERR_NOTFOUND;
  *out = e;
  return 0;
}

int funcs_str2_bitwise(struct plan_ctx *ctx, enum expr_fn fn, struct expr *l, struct expr *r,
                       const char *call_text, struct expr **out, char *msg, size_t msgsz) {
  struct expr *v[2] = {l, r};
  int n = r ? 2 : 1;
  struct type t = T(TYPE_NULL);
  for (int i = 0; i < n; i++) {
    struct type a = v[i]->type, w;
    if (a.id != TYPE_INT && a.id != TYPE_BIGINT && a.id != TYPE_NULL) {
      char t1[32];
      if (n == 2)
        snprintf(msg, msgsz,
                 "[DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE] Cannot resolve \"%s\" due to data "
                 "type mismatch: the binary operator requires the input type \"INTEGRAL\", not "
                 "\"%s\".",
                 call_text, schema_type_sql(a, t1));
      else
        snprintf(msg, msgsz,
                 "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data "
                 "type mismatch: The first parameter requires the \"INTEGRAL\" type, however "
                 "the operand has the type \"%s\".",
                 call_text, schema_type_sql(a, t1));
      return ERR_SQL;
    }
    if (coerce_wider(t, a, &w)) w = T(TYPE_BIGINT);
    t = w;
  }
  if (t.id == TYPE_NULL) t = T(TYPE_INT);
  for (int i = 0; i < n; i++)
    if (!(v[i] = coerce_to(ctx, v[i], t))) return ERR_NOMEM;
  *out = expr_func(ctx, fn, t, v, n);
  return *out ? 0 : ERR_NOMEM;
}
