/* funcs_regex.h: Spark's regular-expression functions -- rlike / regexp /
 * regexp_like, regexp_extract, regexp_extract_all, regexp_replace,
 * regexp_count, regexp_substr, split -- with Spark's argument checks,
 * implicit casts and default arguments (evaluated by eval_regex.c). */
#ifndef KINDLING_ENGINE_ANALYZE_FUNCS_REGEX_H
#define KINDLING_ENGINE_ANALYZE_FUNCS_REGEX_H

#include <stddef.h>

#include "engine/plan/expr.h"

/* As funcs_scalar (engine/analyze/funcs.h) for the regex functions: name
 * is lower case; args (borrowed array) may be rewritten in place; returns
 * ERR_NOTFOUND when name is not one of them, else 0 with a new *out (in
 * ctx), ERR_SQL with msg filled, or ERR_NOMEM. */
int funcs_regex_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                       const char *call_text, const char *const *arg_text, struct expr **out,
                       char *msg, size_t msgsz);

#endif
