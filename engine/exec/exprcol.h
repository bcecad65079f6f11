/* exprcol.h: one expression's values for a batch, the way operators read
 * their key / argument / condition inputs.
 *
 * A bare column reference (the common case) is answered with a pointer to
 * the input vector itself -- no copy, no evaluator; a literal is broadcast
 * without the evaluator too; anything else is compiled once (eval.h) and run
 * per batch into a vector owned by the exprcol.
 *
 * Invariant: the vector returned by exprcol_eval is valid until the next
 * exprcol_eval / exprcol_fini on the same exprcol and while `in` is alive. */
#ifndef KINDLING_ENGINE_EXEC_EXPRCOL_H
#define KINDLING_ENGINE_EXEC_EXPRCOL_H

#include "common/err.h"
#include "engine/exec/eval.h"
#include "engine/plan/expr.h"
#include "engine/vec/batch.h"

struct exprcol {
  const struct expr *e; /* borrowed */
  int index;            /* >= 0: bare column reference */
  struct eval_prog *prog;
  struct vector vec;    /* owned result vector (computed / literal) */
  struct arena heap;    /* strings of vec */
  int have_vec;
};

/* Prepare c for e (borrowed; bound). Returns 0, ERR_UNSUPPORTED or ERR_NOMEM
 * (err set). On failure c is safe to exprcol_fini. */
int exprcol_init(struct exprcol *c, const struct expr *e, struct err *err);

/* Values of c's expression over rows [0, in->nrows): *out is borrowed (see
 * the invariant above). */
int exprcol_eval(struct exprcol *c, const struct batch *in, const struct vector **out,
                 struct err *err);

void exprcol_fini(struct exprcol *c);

/* 1 when e is a bare column reference (then *index receives it). */
int exprcol_is_col(const struct expr *e, int *index);

#endif
