/* eval_like.h: LIKE / ILIKE / RLIKE kernels of the evaluator. The compiler
 * entry point, eval_like_compile, is declared in eval_kern.h with the other
 * kernel families; the matcher state is private to eval_like.c. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_LIKE_H
#define KINDLING_ENGINE_EXEC_EVAL_LIKE_H

struct eval_like;

#endif
