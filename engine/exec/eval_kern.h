/* eval_kern.h: the evaluator's internal program representation, shared by
 * eval.c (compiler, driver, logic, comparison, arithmetic, conditionals, IN,
 * math, hash), eval_cast.c, eval_str.c (strings, LIKE) and eval_date.c.
 * Not a public header: operators use engine/exec/eval.h only.
 *
 * A program is a tree of eval_node mirroring the expression. Each node has a
 * kernel chosen at compile time from (fn, argument types, which arguments are
 * constant), so the per-batch work is one indirect call per node and tight
 * loops inside it.
 *
 * Evaluation protocol (invariants every kernel keeps):
 *   - a node is evaluated for a selection: sel == NULL means the dense rows
 *     [0, n), otherwise the n increasing row indexes sel[0..n);
 *   - values are stored at their row index (never compacted), so a parent can
 *     read any argument row it asked for;
 *   - validity is computed word-wise over all bitmap_words(nrows) words (cheap
 *     and branch-free); bits and values of rows outside the selection are
 *     unspecified and never read;
 *   - after evaluation the result is in *nd->res: the node's own scratch
 *     vector, an input column (EXPR_COL) or an argument's vector (identity
 *     casts);
 *   - strings made by kernels live in the program's heap arena, reset at the
 *     start of each eval_run/eval_select; views into argument strings (SUBSTRING,
 *     TRIM) are allowed since those outlive the evaluation. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_KERN_H
#define KINDLING_ENGINE_EXEC_EVAL_KERN_H

#include <stdint.h>

#include "common/err.h"
#include "engine/exec/eval.h"
#include "engine/plan/expr.h"
#include "engine/vec/arena.h"
#include "engine/vec/batch.h"
#include "engine/vec/bitmap.h"
#include "engine/vec/vector.h"

struct eval_node;

/* Per-call state. */
struct eval_rt {
  struct eval_prog *p;
  const struct batch *in;
  uint32_t nrows;
  size_t nwords; /* bitmap_words(nrows) */
  struct err *err;
};

typedef int (*eval_kern_fn)(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                            uint32_t n);

struct eval_node {
  const struct expr *e; /* borrowed */
  struct type type;
  int col;      /* input column index for EXPR_COL, else -1 */
  int is_const; /* literal or folded constant: cval holds it */
  struct value cval;
  int lazy;     /* the kernel evaluates its arguments itself (AND, CASE...) */
  struct eval_node **args;
  int nargs;
  eval_kern_fn kern;
  int op;       /* kernel-specific sub-operation */
  struct vector vec;   /* scratch result; capacity grows, never shrinks */
  uint32_t const_filled; /* rows of vec already holding the constant */
  struct vector *res;  /* result after evaluation */
  uint32_t *selbuf[3]; /* scratch selections (vec.capacity entries) */
  void *aux;           /* kernel state (LIKE matcher, IN set, regex...) */
  void (*aux_free)(void *aux);
  int64_t ival;        /* kernel-specific constant (scale factor...) */
  /* Filter kernel for eval_select (arguments already evaluated): writes the
   * selected rows where the node is true to out (may alias sel), returns
   * their number. NULL: evaluate with kern and filter the booleans. */
  uint32_t (*selk)(struct eval_node *nd, const uint32_t *sel, uint32_t n, uint32_t *out);
  /* ANSI mode (expr.ansi): kern runs inner, the lenient kernel, then
   * raises the error for the first row inner turned into NULL although its
   * arguments were valid, so the lenient kernels stay untouched. */
  eval_kern_fn inner;
  /* CAST kernel (eval_cast.c) */
  int (*castf)(const struct vector *in, struct vector *out, const uint32_t *sel, uint32_t n,
               size_t nwords, struct buf *tmp);
};

struct eval_prog {
  struct eval_node *root;
  struct eval_node **nodes; /* every node, for eval_free */
  int nnodes, cap_nodes;
  struct arena heap;  /* strings made during one call */
  struct arena perm;  /* folded constants' strings and other compile-time data */
  int64_t now_us;     /* CURRENT_TIMESTAMP of this program */
  struct buf tmp;     /* per-row scratch text (formatting) */
};

/* Evaluate nd (and, unless lazy, its arguments first) for the selection. */
int eval_node_eval(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n);

/* Scratch selection k (0..2) of nd, sized for the current batch; NULL on OOM. */
uint32_t *eval_node_selbuf(struct eval_node *nd, int k);

/* Bytes from the per-call heap; sets ERR_NOMEM in rt->err on failure. */
char *eval_heap_alloc(struct eval_rt *rt, size_t n);

/* Word-wise validity helpers over nw words. */
static inline void eval_valid_and(uint64_t *o, const uint64_t *a, const uint64_t *b, size_t nw) {
  for (size_t w = 0; w < nw; w++) o[w] = a[w] & b[w];
}
static inline void eval_valid_copy(uint64_t *o, const uint64_t *a, size_t nw) {
  if (o != a) memcpy(o, a, nw * sizeof(uint64_t));
}
static inline void eval_valid_set(uint64_t *o, size_t nw) {
  memset(o, 0xff, nw * sizeof(uint64_t));
}
static inline void eval_valid_clear(uint64_t *o, size_t nw) { memset(o, 0, nw * sizeof(uint64_t)); }

/* Validity of nd's result = AND of all its arguments' validity. */
static inline void eval_valid_args(struct eval_rt *rt, struct eval_node *nd) {
  uint64_t *o = nd->vec.validity;
  if (nd->nargs == 0) {
    eval_valid_set(o, rt->nwords);
    return;
  }
  eval_valid_copy(o, nd->args[0]->res->validity, rt->nwords);
  for (int a = 1; a < nd->nargs; a++) {
    const uint64_t *v = nd->args[a]->res->validity;
    for (size_t w = 0; w < rt->nwords; w++) o[w] &= v[w];
  }
}

/* Loop over the selection: body sees uint32_t I. */
#define EVAL_FOR_SEL(I, sel, n, ...)                                   \
  do {                                                                 \
    if (!(sel)) {                                                      \
      for (uint32_t I = 0; I < (n); I++) { __VA_ARGS__ }               \
    } else {                                                           \
      for (uint32_t k_##I = 0; k_##I < (n); k_##I++) {                 \
        uint32_t I = (sel)[k_##I];                                     \
        __VA_ARGS__                                                    \
      }                                                                \
    }                                                                  \
  } while (0)

/* As EVAL_FOR_SEL but only rows whose bit is set in valid. */
#define EVAL_FOR_VALID(I, sel, n, valid, ...)                          \
  EVAL_FOR_SEL(I, sel, n, if (bitmap_get((valid), I)) { __VA_ARGS__ })

/* First row of the selection valid in a and b (b may be NULL) but not in
 * out: the first row a lenient kernel made NULL; -1 when there is none.
 * Word-wise for dense selections, so the ANSI check costs little. */
static inline int64_t eval_first_lost(const uint64_t *out, const uint64_t *a, const uint64_t *b,
                                      const uint32_t *sel, uint32_t n) {
  if (!sel) {
    size_t nw = bitmap_words(n);
    for (size_t w = 0; w < nw; w++) {
      uint64_t lost = a[w] & (b ? b[w] : ~UINT64_C(0)) & ~out[w];
      if (w == nw - 1 && n % 64) lost &= (UINT64_C(1) << (n % 64)) - 1;
      if (lost) return (int64_t)(w * 64 + (size_t)__builtin_ctzll(lost));
    }
    return -1;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = sel[k];
    if (bitmap_get(a, i) && (!b || bitmap_get(b, i)) && !bitmap_get(out, i)) return i;
  }
  return -1;
}

/* The sentence Spark ends its ANSI errors with. */
#define EVAL_ANSI_HINT "If necessary set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error."

/* Sub-module compilers: set nd->kern (and aux) for the functions they own.
 * Return 0, or ERR_UNSUPPORTED/ERR_NOMEM with err filled. */
int eval_cast_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);
int eval_str_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);
int eval_like_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);
int eval_date_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

/* Cast kernel lookup (eval_cast.c): NULL when the pair is not castable. A
 * kernel writes the selected rows of out (strings into out->heap) and uses
 * tmp (borrowed) as formatting scratch. */
typedef int (*eval_cast_fn)(const struct vector *in, struct vector *out, const uint32_t *sel,
                            uint32_t n, size_t nwords, struct buf *tmp);
eval_cast_fn eval_cast_pick(struct type from, struct type to);

/* Trim ASCII whitespace (<= ' ') from both ends of (*p, *n). */
static inline void eval_trim_ws(const char **p, size_t *n) {
  const char *s = *p;
  size_t len = *n;
  while (len && (unsigned char)s[0] <= ' ') s++, len--;
  while (len && (unsigned char)s[len - 1] <= ' ') len--;
  *p = s;
  *n = len;
}

/* x rounded to d decimal places as Spark rounds a double: through its
 * shortest decimal form (BigDecimal(Double.toString(x))), HALF_UP (round)
 * or HALF_EVEN (bround, half_even = 1), so ties are decimal ties. tmp
 * (borrowed) is scratch. */
double eval_round_double(double x, int d, int half_even, struct buf *tmp);

/* The round (nd->op 0, HALF_UP) and bround (nd->op 1, HALF_EVEN) kernel of
 * DOUBLE, INT, BIGINT and DECIMAL; nd->ival is the scale (-1000..1000). */
int eval_kern_round(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n);

#endif
