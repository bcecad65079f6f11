/* funcs_array.h: the array scalar functions of Spark the engine has --
 * size/cardinality, array_contains, sort_array, array_distinct -- with
 * Spark's argument checks and messages. */
#ifndef KINDLING_ENGINE_ANALYZE_FUNCS_ARRAY_H
#define KINDLING_ENGINE_ANALYZE_FUNCS_ARRAY_H

#include <stddef.h>

#include "engine/plan/expr.h"

/* As funcs_scalar (engine/analyze/funcs.h) for the array functions: name
 * is lower case; returns ERR_NOTFOUND when it is not one of them. */
int funcs_array_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                       const char *call_text, const char *const *arg_text, struct expr **out,
                       char *msg, size_t msgsz);

#endif
