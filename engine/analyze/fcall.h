/* fcall.h: the state of one scalar function call being bound by the
 * function tables (funcs.c, funcs_str2.c, funcs_date.c), and the argument
 * checks they share, with Spark's messages.
 *
 * Invariant: once rc is set (ERR_SQL with msg filled, or ERR_NOMEM), every
 * helper is a no-op returning 0 / NULL, so a builder can chain checks and
 * test rc once at the end. args are cast in place (coerce_to). */
#ifndef KINDLING_ENGINE_ANALYZE_FCALL_H
#define KINDLING_ENGINE_ANALYZE_FCALL_H

#include <stddef.h>

#include "engine/plan/expr.h"

struct fcall {
  struct plan_ctx *ctx;    /* borrowed */
  const char *name;        /* canonical lower-case name, for messages */
  struct expr **args;      /* borrowed array; entries replaced by casts */
  int nargs;
  const char *call;        /* the call's text, for messages */
  const char *const *argt; /* each argument's text, or NULL */
  char *msg;               /* borrowed, msgsz bytes: the error message */
  size_t msgsz;
  int rc;
};

/* "first", "second", ... for argument i (0-based). Static. */
const char *fcall_ordinal(int i);

/* 1 when lo <= nargs <= hi (hi over 1000: no upper bound), else Spark's
 * WRONG_NUM_ARGS in msg, rc = ERR_SQL, 0. */
int fcall_nargs(struct fcall *f, int lo, int hi);

/* Spark's UNEXPECTED_INPUT_TYPE for argument i; required names the accepted
 * type(s) as the message shows them, e.g. "\"NUMERIC\"". Sets rc; 0. */
int fcall_mismatch(struct fcall *f, int i, const char *required);

/* Cast argument i to t when Spark's implicit casts allow it, else the
 * mismatch error naming t (or required, when not NULL). 1 on success. */
int fcall_want_req(struct fcall *f, int i, struct type t, const char *required);
int fcall_want(struct fcall *f, int i, struct type t);

/* Argument i numeric: numbers stay, strings and NULL become DOUBLE, other
 * types are a mismatch requiring "NUMERIC". 1 on success. */
int fcall_want_num(struct fcall *f, int i);

/* Cast arguments from..nargs-1 to their common wider type (*out), or
 * Spark's DATA_DIFF_TYPES. 1 on success. */
int fcall_unify(struct fcall *f, int from, struct type *out);

/* A call of fn over all of f's arguments with result type t. New (plan
 * arena); NULL when rc is or becomes set. */
struct expr *fcall_expr(struct fcall *f, enum expr_fn fn, struct type t);

#endif
