/* eval_array.h: the evaluator's array functions (size, array_contains,
 * sort_array, array_distinct); the compiler hook lives in eval_kern.h's
 * family of sub-module compilers. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_ARRAY_H
#define KINDLING_ENGINE_EXEC_EVAL_ARRAY_H

#include "common/err.h"

struct eval_prog;
struct eval_node;

/* Set nd->kern for an array function node (arguments already built).
 * Returns 0, or ERR_UNSUPPORTED/ERR_INVAL with err filled. */
int eval_array_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

#endif
