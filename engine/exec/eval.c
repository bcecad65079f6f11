/* eval.c: the expression compiler and driver, plus the kernels of the hot
 * operators (comparison, arithmetic, logic, conditionals, IN lists) and of
 * math and hashing. Strings/LIKE, dates and CAST live in eval_str.c,
 * eval_like.c, eval_date.c and eval_cast.c; see eval_kern.h for the protocol.
 *
 * CURRENT_DATE / CURRENT_TIMESTAMP: the IR carries no query context, so
 * eval_compile reads the process clock once and the program folds both to
 * that constant (eval_constant uses the plan_ctx's now_us instead, so the
 * analyzer's folding agrees with the query's timestamp). */
#include "engine/exec/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec/eval_aggkey.h"
#include "engine/exec/eval_array.h"
#include "engine/exec/eval_date2.h"
#include "engine/exec/eval_kern.h"
#include "engine/exec/eval_str2.h"
#include "engine/exec/eval_regex.h"
#include "engine/plan/plan.h"
#include "engine/vec/datetime.h"
#include "engine/vec/numparse.h"

#define EVAL_MAX_DEPTH 4000

/* ---------------------------------------------------------------- nodes */

enum { C_NONE, C_U8, C_I32, C_I64, C_F64, C_SV };

static int type_class(enum type_id id) {
  switch (id) {
    case TYPE_BOOLEAN: return C_U8;
    case TYPE_INT:
    case TYPE_DATE: return C_I32;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: return C_I64;
    case TYPE_DOUBLE: return C_F64;
    case TYPE_STRING:
    case TYPE_ARRAY: return C_SV; /* arrays move as their encoded bytes */
    default: return C_NONE;
  }
}

static size_t node_elem_size(enum type_id id) {
  size_t es = vector_elem_size(id);
  return es ? es : 16; /* TYPE_NULL: never read, but as wide as any slot */
}

static int node_reserve(struct eval_prog *p, struct eval_node *nd, uint32_t nrows) {
  if (nd->vec.data && nd->vec.capacity >= nrows) return 0;
  uint32_t cap = nrows < BATCH_DEFAULT_ROWS ? BATCH_DEFAULT_ROWS : nrows;
  void *d = calloc(cap, node_elem_size(nd->type.id));
  uint64_t *v = calloc(bitmap_words(cap), sizeof(uint64_t));
  if (!d || !v) {
    free(d);
    free(v);
    return ERR_NOMEM;
  }
  free(nd->vec.data);
  free(nd->vec.validity);
  for (int k = 0; k < 3; k++) {
    free(nd->selbuf[k]);
    nd->selbuf[k] = NULL;
  }
  nd->vec.type = nd->type;
  nd->vec.data = d;
  nd->vec.validity = v;
  nd->vec.capacity = cap;
  nd->vec.heap = &p->heap;
  nd->const_filled = 0;
  return 0;
}

uint32_t *eval_node_selbuf(struct eval_node *nd, int k) {
  if (!nd->selbuf[k]) nd->selbuf[k] = malloc(sizeof(uint32_t) * nd->vec.capacity);
  return nd->selbuf[k];
}

char *eval_heap_alloc(struct eval_rt *rt, size_t n) {
  char *d = arena_alloc(&rt->p->heap, n);
  if (!d) err_set(rt->err, ERR_NOMEM, "out of memory while evaluating an expression");
  return d;
}

static void node_free(struct eval_node *nd) {
  free(nd->vec.data);
  free(nd->vec.validity);
  for (int k = 0; k < 3; k++) free(nd->selbuf[k]);
  if (nd->aux_free) nd->aux_free(nd->aux);
  free(nd->args);
  free(nd);
}

static struct eval_node *node_new(struct eval_prog *p, const struct expr *e, int nargs) {
  if (p->nnodes == p->cap_nodes) {
    int nc = p->cap_nodes ? p->cap_nodes * 2 : 16;
    struct eval_node **nn = realloc(p->nodes, sizeof *nn * (size_t)nc);
    if (!nn) return NULL;
    p->nodes = nn;
    p->cap_nodes = nc;
  }
  struct eval_node *nd = calloc(1, sizeof *nd);
  if (!nd) return NULL;
  if (nargs > 0) {
    nd->args = calloc((size_t)nargs, sizeof *nd->args);
    if (!nd->args) {
      free(nd);
      return NULL;
    }
  }
  nd->nargs = nargs;
  nd->e = e;
  nd->type = e->type;
  nd->col = -1;
  p->nodes[p->nnodes++] = nd;
  return nd;
}

/* Broadcast a constant into nd->vec (once per capacity). */
static int const_fill(struct eval_rt *rt, struct eval_node *nd) {
  int rc = node_reserve(rt->p, nd, rt->nrows);
  if (rc) return err_set(rt->err, rc, "out of memory while evaluating an expression");
  nd->res = &nd->vec;
  if (nd->const_filled >= rt->nrows && nd->const_filled) return 0;
  uint32_t cap = nd->vec.capacity;
  const struct value *v = &nd->cval;
  size_t nw = bitmap_words(cap);
  if (v->is_null || nd->type.id == TYPE_NULL) {
    eval_valid_clear(nd->vec.validity, nw);
    memset(nd->vec.data, 0, (size_t)cap * node_elem_size(nd->type.id));
  } else {
    eval_valid_set(nd->vec.validity, nw);
    switch (type_class(nd->type.id)) {
      case C_U8: memset(nd->vec.data, v->i ? 1 : 0, cap); break;
      case C_I32:
        for (uint32_t i = 0; i < cap; i++) vector_i32(&nd->vec)[i] = (int32_t)v->i;
        break;
      case C_I64:
        for (uint32_t i = 0; i < cap; i++) vector_i64(&nd->vec)[i] = v->i;
        break;
      case C_F64:
        for (uint32_t i = 0; i < cap; i++) vector_f64(&nd->vec)[i] = v->d;
        break;
      case C_SV: {
        struct sv s = sv_make(v->s ? v->s : "", v->len);
        for (uint32_t i = 0; i < cap; i++) vector_sv(&nd->vec)[i] = s;
        break;
      }
      default: break;
    }
  }
  nd->const_filled = cap;
  return 0;
}

int eval_node_eval(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  if (nd->col >= 0) {
    nd->res = &rt->in->cols[nd->col];
    return 0;
  }
  if (nd->is_const) return const_fill(rt, nd);
  int rc = node_reserve(rt->p, nd, rt->nrows);
  if (rc) return err_set(rt->err, rc, "out of memory while evaluating an expression");
  nd->res = &nd->vec;
  if (!nd->lazy)
    for (int a = 0; a < nd->nargs; a++)
      if ((rc = eval_node_eval(rt, nd->args[a], sel, n))) return rc;
  return nd->kern(rt, nd, sel, n);
}

/* Copy the selected rows (value and validity) of src into dst. */
static void copy_rows(struct vector *dst, const struct vector *src, const uint32_t *sel,
                      uint32_t n) {
  const uint64_t *sv = src->validity;
  uint64_t *dv = dst->validity;
  switch (node_elem_size(dst->type.id)) {
    case 1: {
      const uint8_t *s = src->data;
      uint8_t *d = dst->data;
      EVAL_FOR_SEL(i, sel, n, { d[i] = s[i]; bitmap_put(dv, i, bitmap_get(sv, i)); });
      break;
    }
    case 4: {
      const int32_t *s = src->data;
      int32_t *d = dst->data;
      EVAL_FOR_SEL(i, sel, n, { d[i] = s[i]; bitmap_put(dv, i, bitmap_get(sv, i)); });
      break;
    }
    case 8: {
      const int64_t *s = src->data;
      int64_t *d = dst->data;
      EVAL_FOR_SEL(i, sel, n, { d[i] = s[i]; bitmap_put(dv, i, bitmap_get(sv, i)); });
      break;
    }
    default: {
      const struct sv *s = src->data;
      struct sv *d = dst->data;
      EVAL_FOR_SEL(i, sel, n, { d[i] = s[i]; bitmap_put(dv, i, bitmap_get(sv, i)); });
      break;
    }
  }
}

static void null_rows(struct vector *dst, const uint32_t *sel, uint32_t n) {
  EVAL_FOR_SEL(i, sel, n, { bitmap_clear(dst->validity, i); });
}

/* ------------------------------------------------------------ comparison */

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

static inline int f64_eq(double a, double b) { return (a == b) | ((a != a) & (b != b)); }
/* Spark orders NaN above every other double and equal to itself. */
static inline int f64_lt(double a, double b) { return (a < b) | ((a == a) & (b != b)); }

static inline uint32_t sv_pfx(const struct sv *s) {
  uint32_t x;
  memcpy(&x, s->prefix, 4);
  return __builtin_bswap32(x);
}

static inline int sv_eq(struct sv a, struct sv b) {
  if (a.len != b.len || memcmp(a.prefix, b.prefix, 4) != 0) return 0;
  return a.len <= 4 || memcmp(a.ptr + 4, b.ptr + 4, a.len - 4) == 0;
}

static inline int sv_cmp(struct sv a, struct sv b) {
  uint32_t pa = sv_pfx(&a), pb = sv_pfx(&b);
  if (pa != pb) return pa < pb ? -1 : 1;
  uint32_t m = a.len < b.len ? a.len : b.len;
  if (m > 4) {
    int c = memcmp(a.ptr + 4, b.ptr + 4, m - 4);
    if (c) return c;
  }
  return (a.len > b.len) - (a.len < b.len);
}

#define N_EQ(x, y) ((x) == (y))
#define N_NE(x, y) ((x) != (y))
#define N_LT(x, y) ((x) < (y))
#define N_LE(x, y) ((x) <= (y))
#define N_GT(x, y) ((x) > (y))
#define N_GE(x, y) ((x) >= (y))
#define F_EQ(x, y) f64_eq(x, y)
#define F_NE(x, y) (!f64_eq(x, y))
#define F_LT(x, y) f64_lt(x, y)
#define F_LE(x, y) (!f64_lt(y, x))
#define F_GT(x, y) f64_lt(y, x)
#define F_GE(x, y) (!f64_lt(x, y))
#define S_EQ(x, y) sv_eq(x, y)
#define S_NE(x, y) (!sv_eq(x, y))
#define S_LT(x, y) (sv_cmp(x, y) < 0)
#define S_LE(x, y) (sv_cmp(x, y) <= 0)
#define S_GT(x, y) (sv_cmp(x, y) > 0)
#define S_GE(x, y) (sv_cmp(x, y) >= 0)

#define CMP_DEF(CLS, T, OPN, EXPR)                                                          \
  static int cmpvv_##CLS##_##OPN(struct eval_rt *rt, struct eval_node *nd,                 \
                                 const uint32_t *sel, uint32_t n) {                        \
    const T *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;                      \
    uint8_t *o = nd->vec.data;                                                             \
    eval_valid_and(nd->vec.validity, nd->args[0]->res->validity,                           \
                   nd->args[1]->res->validity, rt->nwords);                                \
    EVAL_FOR_SEL(i, sel, n, {                                                              \
      T x = a[i], y = b[i];                                                                \
      o[i] = (uint8_t)(EXPR);                                                              \
    });                                                                                    \
    return 0;                                                                              \
  }                                                                                        \
  static int cmpvc_##CLS##_##OPN(struct eval_rt *rt, struct eval_node *nd,                 \
                                 const uint32_t *sel, uint32_t n) {                        \
    const T *a = nd->args[0]->res->data;                                                   \
    const T y = ((const T *)nd->args[1]->res->data)[0];                                    \
    uint8_t *o = nd->vec.data;                                                             \
    eval_valid_and(nd->vec.validity, nd->args[0]->res->validity,                           \
                   nd->args[1]->res->validity, rt->nwords);                                \
    EVAL_FOR_SEL(i, sel, n, {                                                              \
      T x = a[i];                                                                          \
      o[i] = (uint8_t)(EXPR);                                                              \
    });                                                                                    \
    return 0;                                                                              \
  }                                                                                        \
  static uint32_t selvv_##CLS##_##OPN(struct eval_node *nd, const uint32_t *sel, uint32_t n, \
                                      uint32_t *out) {                                     \
    const T *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;                      \
    const uint64_t *va = nd->args[0]->res->validity, *vb = nd->args[1]->res->validity;     \
    uint32_t m = 0;                                                                        \
    EVAL_FOR_SEL(i, sel, n, {                                                              \
      T x = a[i], y = b[i];                                                                \
      out[m] = i;                                                                          \
      m += (uint32_t)((EXPR) & bitmap_get(va, i) & bitmap_get(vb, i));                     \
    });                                                                                    \
    return m;                                                                              \
  }                                                                                        \
  static uint32_t selvc_##CLS##_##OPN(struct eval_node *nd, const uint32_t *sel, uint32_t n, \
                                      uint32_t *out) {                                     \
    const T *a = nd->args[0]->res->data;                                                   \
    const T y = ((const T *)nd->args[1]->res->data)[0];                                    \
    const uint64_t *va = nd->args[0]->res->validity;                                       \
    if (!bitmap_get(nd->args[1]->res->validity, 0)) return 0;                              \
    uint32_t m = 0;                                                                        \
    EVAL_FOR_SEL(i, sel, n, {                                                              \
      T x = a[i];                                                                          \
      out[m] = i;                                                                          \
      m += (uint32_t)((EXPR) & bitmap_get(va, i));                                         \
    });                                                                                    \
    return m;                                                                              \
  }

#define CMP_CLASS(CLS, T, P)               \
  CMP_DEF(CLS, T, EQ, P##_EQ(x, y))        \
  CMP_DEF(CLS, T, NE, P##_NE(x, y))        \
  CMP_DEF(CLS, T, LT, P##_LT(x, y))        \
  CMP_DEF(CLS, T, LE, P##_LE(x, y))        \
  CMP_DEF(CLS, T, GT, P##_GT(x, y))        \
  CMP_DEF(CLS, T, GE, P##_GE(x, y))

CMP_CLASS(u8, uint8_t, N)
CMP_CLASS(i32, int32_t, N)
CMP_CLASS(i64, int64_t, N)
CMP_CLASS(f64, double, F)
CMP_CLASS(sv, struct sv, S)

#define CMP_ROW(V, CLS) \
  { V##_##CLS##_EQ, V##_##CLS##_NE, V##_##CLS##_LT, V##_##CLS##_LE, V##_##CLS##_GT, V##_##CLS##_GE }
#define CMP_TAB(V) { {0}, CMP_ROW(V, u8), CMP_ROW(V, i32), CMP_ROW(V, i64), CMP_ROW(V, f64), CMP_ROW(V, sv) }

static const eval_kern_fn cmp_vv[6][6] = CMP_TAB(cmpvv);
static const eval_kern_fn cmp_vc[6][6] = CMP_TAB(cmpvc);
typedef uint32_t (*sel_fn)(struct eval_node *, const uint32_t *, uint32_t, uint32_t *);
static const sel_fn sel_vv[6][6] = CMP_TAB(selvv);
static const sel_fn sel_vc[6][6] = CMP_TAB(selvc);

/* Comparison of TYPE_NULL operands: always NULL. */
static int k_all_null(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  (void)sel;
  (void)n;
  eval_valid_clear(nd->vec.validity, rt->nwords);
  return 0;
}

/* Per-row equality of two non-NULL values of the same class (slow paths). */
static int row_eq(int cls, const struct vector *a, uint32_t i, const struct vector *b,
                  uint32_t j) {
  switch (cls) {
    case C_U8: return vector_u8(a)[i] == vector_u8(b)[j];
    case C_I32: return vector_i32(a)[i] == vector_i32(b)[j];
    case C_I64: return vector_i64(a)[i] == vector_i64(b)[j];
    case C_F64: return f64_eq(vector_f64(a)[i], vector_f64(b)[j]);
    case C_SV: return sv_eq(vector_sv(a)[i], vector_sv(b)[j]);
    default: return 1;
  }
}

/* Per-row three-way comparison (GREATEST/LEAST). */
static int row_cmp(int cls, const struct vector *a, uint32_t i, const struct vector *b,
                   uint32_t j) {
  switch (cls) {
    case C_U8: return (vector_u8(a)[i] > vector_u8(b)[j]) - (vector_u8(a)[i] < vector_u8(b)[j]);
    case C_I32:
      return (vector_i32(a)[i] > vector_i32(b)[j]) - (vector_i32(a)[i] < vector_i32(b)[j]);
    case C_I64:
      return (vector_i64(a)[i] > vector_i64(b)[j]) - (vector_i64(a)[i] < vector_i64(b)[j]);
    case C_F64: {
      double x = vector_f64(a)[i], y = vector_f64(b)[j];
      return f64_lt(y, x) - f64_lt(x, y);
    }
    case C_SV: return sv_cmp(vector_sv(a)[i], vector_sv(b)[j]);
    default: return 0;
  }
}

#define NSEQ_DEF(CLS, T, EQ)                                                                 \
  static int nseq_##CLS(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,      \
                        uint32_t n) {                                                       \
    const T *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;                       \
    const uint64_t *va = nd->args[0]->res->validity, *vb = nd->args[1]->res->validity;      \
    uint8_t *o = nd->vec.data;                                                              \
    eval_valid_set(nd->vec.validity, rt->nwords);                                           \
    EVAL_FOR_SEL(i, sel, n, {                                                               \
      int x = bitmap_get(va, i), y = bitmap_get(vb, i);                                     \
      o[i] = (uint8_t)((x & y) ? EQ(a[i], b[i]) : !(x | y));                                \
    });                                                                                     \
    return 0;                                                                               \
  }
NSEQ_DEF(u8, uint8_t, N_EQ)
NSEQ_DEF(i32, int32_t, N_EQ)
NSEQ_DEF(i64, int64_t, N_EQ)
NSEQ_DEF(f64, double, F_EQ)
NSEQ_DEF(sv, struct sv, S_EQ)

static int nseq_null(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const uint64_t *va = nd->args[0]->res->validity, *vb = nd->args[1]->res->validity;
  uint8_t *o = nd->vec.data;
  eval_valid_set(nd->vec.validity, rt->nwords);
  EVAL_FOR_SEL(i, sel, n, { o[i] = (uint8_t)!(bitmap_get(va, i) | bitmap_get(vb, i)); });
  return 0;
}

static const eval_kern_fn nseq_tab[6] = {nseq_null, nseq_u8, nseq_i32, nseq_i64, nseq_f64, nseq_sv};

/* ------------------------------------------------------------ arithmetic */

/* STMT reads x, y (and lim, the decimal bound) and sets r and bad. */
#define ARITH_DEF(NAME, T, STMT)                                                            \
  static int NAME##_vv(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,       \
                       uint32_t n) {                                                        \
    const T *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;                      \
    T *o = nd->vec.data;                                                                    \
    uint64_t *ov = nd->vec.validity;                                                        \
    const int64_t lim = nd->ival;                                                           \
    (void)lim;                                                                              \
    eval_valid_and(ov, nd->args[0]->res->validity, nd->args[1]->res->validity, rt->nwords); \
    EVAL_FOR_SEL(i, sel, n, {                                                               \
      T x = a[i], y = b[i], r;                                                              \
      int bad = 0;                                                                          \
      STMT;                                                                                 \
      o[i] = bad ? 0 : r;                                                                   \
      if (bad) bitmap_clear(ov, i);                                                         \
    });                                                                                     \
    return 0;                                                                               \
  }                                                                                         \
  static int NAME##_vc(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,       \
                       uint32_t n) {                                                        \
    const T *a = nd->args[0]->res->data;                                                    \
    const T y = ((const T *)nd->args[1]->res->data)[0];                                     \
    T *o = nd->vec.data;                                                                    \
    uint64_t *ov = nd->vec.validity;                                                        \
    const int64_t lim = nd->ival;                                                           \
    (void)lim;                                                                              \
    eval_valid_and(ov, nd->args[0]->res->validity, nd->args[1]->res->validity, rt->nwords); \
    EVAL_FOR_SEL(i, sel, n, {                                                               \
      T x = a[i], r;                                                                        \
      int bad = 0;                                                                          \
      STMT;                                                                                 \
      o[i] = bad ? 0 : r;                                                                   \
      if (bad) bitmap_clear(ov, i);                                                         \
    });                                                                                     \
    return 0;                                                                               \
  }                                                                                         \
  static int NAME##_cv(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,       \
                       uint32_t n) {                                                        \
    const T x = ((const T *)nd->args[0]->res->data)[0];                                     \
    const T *b = nd->args[1]->res->data;                                                    \
    T *o = nd->vec.data;                                                                    \
    uint64_t *ov = nd->vec.validity;                                                        \
    const int64_t lim = nd->ival;                                                           \
    (void)lim;                                                                              \
    eval_valid_and(ov, nd->args[0]->res->validity, nd->args[1]->res->validity, rt->nwords); \
    EVAL_FOR_SEL(i, sel, n, {                                                               \
      T y = b[i], r;                                                                        \
      int bad = 0;                                                                          \
      STMT;                                                                                 \
      o[i] = bad ? 0 : r;                                                                   \
      if (bad) bitmap_clear(ov, i);                                                         \
    });                                                                                     \
    return 0;                                                                               \
  }

/* Java semantics: integer ADD/SUB/MUL wrap (computed unsigned: no UB). */
ARITH_DEF(add_i32, int32_t, r = (int32_t)((uint32_t)x + (uint32_t)y))
ARITH_DEF(sub_i32, int32_t, r = (int32_t)((uint32_t)x - (uint32_t)y))
ARITH_DEF(mul_i32, int32_t, r = (int32_t)((uint32_t)x * (uint32_t)y))
ARITH_DEF(mod_i32, int32_t, bad = y == 0; r = (bad || y == -1) ? 0 : x % y)
ARITH_DEF(idiv_i32, int32_t,
          bad = y == 0; r = bad ? 0 : y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y)
ARITH_DEF(add_i64, int64_t, r = (int64_t)((uint64_t)x + (uint64_t)y))
ARITH_DEF(sub_i64, int64_t, r = (int64_t)((uint64_t)x - (uint64_t)y))
ARITH_DEF(mul_i64, int64_t, r = (int64_t)((uint64_t)x * (uint64_t)y))
ARITH_DEF(mod_i64, int64_t, bad = y == 0; r = (bad || y == -1) ? 0 : x % y)
ARITH_DEF(idiv_i64, int64_t,
          bad = y == 0; r = bad ? 0 : y == -1 ? (int64_t)(0u - (uint64_t)x) : x / y)
ARITH_DEF(add_f64, double, r = x + y)
ARITH_DEF(sub_f64, double, r = x - y)
ARITH_DEF(mul_f64, double, r = x * y)
ARITH_DEF(div_f64, double, bad = y == 0; r = bad ? 0 : x / y)
ARITH_DEF(mod_f64, double, bad = y == 0; r = bad ? 0 : fmod(x, y))
/* DECIMAL: overflow past the result precision (lim = 10^p) gives NULL. */
ARITH_DEF(add_dec, int64_t,
          bad = __builtin_add_overflow(x, y, &r) || r >= lim || r <= -lim)
ARITH_DEF(sub_dec, int64_t,
          bad = __builtin_sub_overflow(x, y, &r) || r >= lim || r <= -lim)
ARITH_DEF(mul_dec, int64_t,
          bad = __builtin_mul_overflow(x, y, &r) || r >= lim || r <= -lim)

/* Decimal x / y rounded HALF_UP to the result scale: nd->op is the result
 * scale minus x's scale plus y's (the power of ten that lines them up). */
static inline int div_dec_one(int64_t x, int64_t y, int k, int64_t lim, int64_t *r) {
  if (y == 0) return 1;
  __int128 num = x, den = y, p10 = 1;
  for (int i = 0; i < (k < 0 ? -k : k); i++) p10 *= 10;
  if (k >= 0 && __builtin_mul_overflow(num, p10, &num)) return 1;
  if (k < 0 && __builtin_mul_overflow(den, p10, &den)) return 1;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  __int128 q = num / den, rem = num % den;
  if (rem < 0) rem = -rem;
  if (2 * rem >= den) q += num < 0 ? -1 : 1;
  if (q >= lim || q <= -lim) return 1;
  *r = (int64_t)q;
  return 0;
}
ARITH_DEF(div_dec, int64_t, bad = div_dec_one(x, y, nd->op, lim, &r))

/* Checked variants for ANSI mode and try_add/try_subtract/try_multiply/
 * try_divide: integer overflow gives NULL here; in ANSI mode k_ansi then
 * turns the first such row into the error. Separate kernels so the
 * wrapping ones above stay branch-free. */
ARITH_DEF(addx_i32, int32_t, bad = __builtin_add_overflow(x, y, &r))
ARITH_DEF(subx_i32, int32_t, bad = __builtin_sub_overflow(x, y, &r))
ARITH_DEF(mulx_i32, int32_t, bad = __builtin_mul_overflow(x, y, &r))
ARITH_DEF(addx_i64, int64_t, bad = __builtin_add_overflow(x, y, &r))
ARITH_DEF(subx_i64, int64_t, bad = __builtin_sub_overflow(x, y, &r))
ARITH_DEF(mulx_i64, int64_t, bad = __builtin_mul_overflow(x, y, &r))
ARITH_DEF(idivx_i32, int32_t,
          bad = y == 0 || (x == INT32_MIN && y == -1); r = bad ? 0 : x / y)
ARITH_DEF(idivx_i64, int64_t,
          bad = y == 0 || (x == INT64_MIN && y == -1); r = bad ? 0 : x / y)

enum { A_I32, A_I64, A_F64, A_DEC };

/* chk: the overflow-checked integer kernels (ANSI or try_*). */
static int arith_pick(struct eval_node *nd, enum expr_fn fn, int acls, int var, int chk) {
#define PICK(NAME) nd->kern = var == 0 ? NAME##_vv : var == 1 ? NAME##_vc : NAME##_cv
  switch (fn) {
    case FN_ADD:
      if (acls == A_I32) { if (chk) PICK(addx_i32); else PICK(add_i32); }
      else if (acls == A_I64) { if (chk) PICK(addx_i64); else PICK(add_i64); }
      else if (acls == A_F64) PICK(add_f64);
      else PICK(add_dec);
      return 0;
    case FN_SUB:
      if (acls == A_I32) { if (chk) PICK(subx_i32); else PICK(sub_i32); }
      else if (acls == A_I64) { if (chk) PICK(subx_i64); else PICK(sub_i64); }
      else if (acls == A_F64) PICK(sub_f64);
      else PICK(sub_dec);
      return 0;
    case FN_MUL:
      if (acls == A_I32) { if (chk) PICK(mulx_i32); else PICK(mul_i32); }
      else if (acls == A_I64) { if (chk) PICK(mulx_i64); else PICK(mul_i64); }
      else if (acls == A_F64) PICK(mul_f64);
      else PICK(mul_dec);
      return 0;
    case FN_DIV:
      if (acls == A_DEC) PICK(div_dec);
      else if (acls != A_F64) return -1;
      else PICK(div_f64);
      return 0;
    case FN_IDIV:
      if (acls == A_I32) { if (chk) PICK(idivx_i32); else PICK(idiv_i32); }
      else if (acls == A_I64) { if (chk) PICK(idivx_i64); else PICK(idiv_i64); }
      else return -1;
      return 0;
    case FN_MOD:
      if (acls == A_I32) PICK(mod_i32);
      else if (acls == A_I64 || acls == A_DEC) PICK(mod_i64);
      else PICK(mod_f64);
      return 0;
    default: return -1;
  }
#undef PICK
}

#define UNARY_DEF(NAME, TI, TO, STMT)                                                       \
  static int NAME(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) { \
    const TI *a = nd->args[0]->res->data;                                                   \
    TO *o = nd->vec.data;                                                                   \
    uint64_t *ov = nd->vec.validity;                                                        \
    const int64_t iv = nd->ival;                                                            \
    (void)iv;                                                                               \
    eval_valid_copy(ov, nd->args[0]->res->validity, rt->nwords);                            \
    EVAL_FOR_SEL(i, sel, n, {                                                               \
      TI x = a[i];                                                                          \
      TO r;                                                                                 \
      int bad = 0;                                                                          \
      STMT;                                                                                 \
      o[i] = bad ? 0 : r;                                                                   \
      if (bad) bitmap_clear(ov, i);                                                         \
    });                                                                                     \
    return 0;                                                                               \
  }

UNARY_DEF(neg_i32, int32_t, int32_t, r = (int32_t)(0u - (uint32_t)x))
UNARY_DEF(neg_i64, int64_t, int64_t, r = (int64_t)(0u - (uint64_t)x))
UNARY_DEF(neg_f64, double, double, r = -x)
UNARY_DEF(abs_i32, int32_t, int32_t, r = x < 0 ? (int32_t)(0u - (uint32_t)x) : x)
UNARY_DEF(abs_i64, int64_t, int64_t, r = x < 0 ? (int64_t)(0u - (uint64_t)x) : x)
UNARY_DEF(abs_f64, double, double, r = fabs(x))
/* ANSI: the one value whose negation overflows gives NULL, then k_ansi's
 * error. */
UNARY_DEF(negx_i32, int32_t, int32_t, bad = x == INT32_MIN; r = bad ? 0 : -x)
UNARY_DEF(negx_i64, int64_t, int64_t, bad = x == INT64_MIN; r = bad ? 0 : -x)
UNARY_DEF(absx_i32, int32_t, int32_t, bad = x == INT32_MIN; r = bad ? 0 : x < 0 ? -x : x)
UNARY_DEF(absx_i64, int64_t, int64_t, bad = x == INT64_MIN; r = bad ? 0 : x < 0 ? -x : x)
UNARY_DEF(not_u8, uint8_t, uint8_t, r = (uint8_t)(x ^ 1))
UNARY_DEF(widen_i32, int32_t, int64_t, r = x)
UNARY_DEF(ident_i64, int64_t, int64_t, r = x)

/* Java's (long) of a double: NaN -> 0, saturating. */
static inline int64_t java_d2l(double d) {
  if (d != d) return 0;
  if (d >= 9223372036854775807.0) return INT64_MAX;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)d;
}
static inline int64_t floor_div(int64_t x, int64_t m) {
  int64_t q = x / m;
  return (x % m != 0 && x < 0) ? q - 1 : q;
}
static inline int64_t ceil_div(int64_t x, int64_t m) {
  int64_t q = x / m;
  return (x % m != 0 && x > 0) ? q + 1 : q;
}
UNARY_DEF(floor_f64, double, int64_t, r = java_d2l(floor(x)))
UNARY_DEF(ceil_f64, double, int64_t, r = java_d2l(ceil(x)))
UNARY_DEF(floor_dec, int64_t, int64_t, r = floor_div(x, iv))
UNARY_DEF(ceil_dec, int64_t, int64_t, r = ceil_div(x, iv))
UNARY_DEF(sqrt_f64, double, double, bad = x < 0; r = bad ? 0 : sqrt(x))
UNARY_DEF(exp_f64, double, double, r = exp(x))
UNARY_DEF(ln_f64, double, double, bad = x <= 0; r = bad ? 0 : log(x))
UNARY_DEF(log10_f64, double, double, bad = x <= 0; r = bad ? 0 : log10(x))

/* ANSI mode: the error Spark raises for row i of nd, which the lenient
 * kernel made NULL although its arguments were valid. */
static int ansi_arith_error(struct eval_rt *rt, struct eval_node *nd, uint32_t i) {
  const struct expr *e = nd->e;
  int ln = e->pos.line, col = e->pos.column;
  const char *what = nd->type.id == TYPE_INT ? "integer" : "long";
  enum expr_fn fn = e->u.func.fn;
  if (fn == FN_IDIV) {
    const struct eval_node *d = nd->args[1];
    int64_t y = d->is_const ? d->cval.i
                : d->type.id == TYPE_INT ? vector_i32(d->res)[i] : vector_i64(d->res)[i];
    if (y != 0)
      return err_set_at(rt->err, ERR_SQL, ln, col,
                        "[ARITHMETIC_OVERFLOW] Overflow in integral divide. Use 'try_divide' to "
                        "tolerate overflow and return NULL instead. " EVAL_ANSI_HINT);
  }
  switch (fn) {
    case FN_DIV:
    case FN_IDIV:
    case FN_MOD:
      return err_set_at(rt->err, ERR_SQL, ln, col,
                        "[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor "
                        "being 0 and return NULL instead. " EVAL_ANSI_HINT);
    case FN_NEG:
    case FN_ABS:
      return err_set_at(rt->err, ERR_SQL, ln, col, "[ARITHMETIC_OVERFLOW] %s overflow. " EVAL_ANSI_HINT,
                        what);
    default: break;
  }
  if (nd->type.id == TYPE_DECIMAL)
    return err_set_at(rt->err, ERR_SQL, ln, col,
                      "[NUMERIC_VALUE_OUT_OF_RANGE] The result of %s cannot be represented as "
                      "Decimal(%d, %d) (the local engine keeps at most 18 digits). If necessary "
                      "set \"spark.sql.ansi.enabled\" to \"false\" to bypass this error, and "
                      "return NULL instead.",
                      expr_fn_name(fn), nd->type.precision, nd->type.scale);
  const char *alt = fn == FN_ADD ? "try_add" : fn == FN_SUB ? "try_subtract" : "try_multiply";
  return err_set_at(rt->err, ERR_SQL, ln, col,
                    "[ARITHMETIC_OVERFLOW] %s overflow. Use '%s' to tolerate overflow and return "
                    "NULL instead. " EVAL_ANSI_HINT,
                    what, alt);
}

/* ANSI wrapper: run the lenient (or checked) kernel, then fail on the first
 * row it made NULL from valid arguments. */
static int k_ansi(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  int rc = nd->inner(rt, nd, sel, n);
  if (rc) return rc;
  int64_t i = eval_first_lost(nd->vec.validity, nd->args[0]->res->validity,
                              nd->nargs > 1 ? nd->args[1]->res->validity : NULL, sel, n);
  return i < 0 ? 0 : ansi_arith_error(rt, nd, (uint32_t)i);
}

/* Arm k_ansi on nd when its expression is in ANSI mode (not try_*). */
static void ansi_wrap(struct eval_node *nd) {
  if (!nd->e->ansi || nd->e->try_eval) return;
  nd->inner = nd->kern;
  nd->kern = k_ansi;
}

static int k_power(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const double *a = nd->args[0]->res->data, *b = nd->args[1]->res->data;
  double *o = nd->vec.data;
  eval_valid_and(nd->vec.validity, nd->args[0]->res->validity, nd->args[1]->res->validity,
                 rt->nwords);
  EVAL_FOR_SEL(i, sel, n, { o[i] = pow(a[i], b[i]); });
  return 0;
}

/* See eval_kern.h. round(2.675, 2) is 2.68, not the binary 2.67. */
double eval_round_double(double x, int d, int half_even, struct buf *tmp) {
  if (x != x || isinf(x)) return x;
  if (x == 0) return 0.0; /* BigDecimal has no negative zero */
  if (d > 300) return x;
  buf_reset(tmp);
  /* Plain digits from %.17g would be wrong for the shortest form; derive
   * digits/exponent from Java's toString through the shared formatter. */
  if (vector_format_double(x, tmp) != 0) return x;
  const char *s = tmp->data;
  int neg = 0;
  if (*s == '-') neg = 1, s++;
  char dig[40];
  int nd = 0, point = -1, exp10 = 0;
  for (; *s && *s != 'E'; s++) {
    if (*s == '.') point = nd;
    else if (nd < 39) dig[nd++] = *s;
  }
  if (*s == 'E') exp10 = atoi(s + 1);
  if (point < 0) point = nd;
  point += exp10; /* value = 0.dig * 10^point, digits dig[0..nd) */
  int keep = point + d; /* digits kept before rounding */
  if (keep >= nd) return x;
  if (keep < 0) return 0.0;
  int up = dig[keep] > '5' || (dig[keep] == '5' && !half_even);
  if (dig[keep] == '5' && half_even) { /* a tie only when nothing follows the 5 */
    int rest = 0;
    for (int k = keep + 1; k < nd && !rest; k++) rest = dig[k] != '0';
    up = rest || (keep > 0 && ((dig[keep - 1] - '0') & 1));
  }
  /* integer of the first keep digits, then add up; rebuild as text */
  char out[64];
  int on = 0;
  if (neg) out[on++] = '-';
  char kept[41];
  memcpy(kept, dig, (size_t)keep);
  int carry = up;
  for (int i = keep - 1; i >= 0 && carry; i--) {
    if (kept[i] == '9') kept[i] = '0';
    else kept[i]++, carry = 0;
  }
  if (carry) out[on++] = '1';
  if (keep == 0 && !carry) out[on++] = '0';
  memcpy(out + on, kept, (size_t)keep);
  on += keep;
  on += snprintf(out + on, sizeof out - (size_t)on, "e%d", -d);
  double r;
  if (numparse_double(out, (size_t)on, &r) != 0) return x;
  return r == 0 ? 0.0 : r;
}

/* x / m (m > 0) rounded HALF_UP, or HALF_EVEN when half_even. */
static inline int64_t round_div(int64_t x, int64_t m, int half_even) {
  int64_t q = x / m, r = x % m;
  uint64_t ar = r < 0 ? 0 - (uint64_t)r : (uint64_t)r, half = (uint64_t)m - ar;
  if (ar > half || (ar == half && (!half_even || (q & 1)))) q += x < 0 ? -1 : 1;
  return q;
}

int eval_kern_round(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const struct vector *a = nd->args[0]->res;
  uint64_t *ov = nd->vec.validity;
  int d = (int)nd->ival, he = nd->op;
  eval_valid_copy(ov, a->validity, rt->nwords);
  switch (nd->type.id) {
    case TYPE_DOUBLE: {
      const double *x = a->data;
      double *o = nd->vec.data;
      EVAL_FOR_SEL(i, sel, n, { o[i] = eval_round_double(x[i], d, he, &rt->p->tmp); });
      break;
    }
    case TYPE_INT:
    case TYPE_BIGINT: {
      int64_t m = (d >= 0 || d < -18) ? 1 : numparse_pow10(-d);
      int is32 = a->type.id == TYPE_INT;
      EVAL_FOR_SEL(i, sel, n, {
        int64_t x = is32 ? vector_i32(a)[i] : vector_i64(a)[i];
        int64_t r = x;
        if (d < -18) r = 0;
        else if (m > 1) r = (int64_t)((uint64_t)round_div(x, m, he) * (uint64_t)m);
        if (nd->type.id == TYPE_INT) vector_i32(&nd->vec)[i] = (int32_t)(uint32_t)(uint64_t)r;
        else vector_i64(&nd->vec)[i] = r;
      });
      break;
    }
    case TYPE_DECIMAL: {
      int s = a->type.scale, rs = nd->type.scale;
      int64_t lim = numparse_pow10(nd->type.precision > 18 ? 18 : nd->type.precision);
      const int64_t *x = a->data;
      int64_t *o = nd->vec.data;
      EVAL_FOR_SEL(i, sel, n, {
        int64_t v = x[i];
        int bad = 0;
        if (d < s) {
          int k = s - d;
          v = k > 18 ? 0 : round_div(v, numparse_pow10(k), he);
          /* v is now at scale d; bring it to the result scale */
          int up = rs - d;
          if (up > 18) bad = v != 0;
          else if (up > 0) bad = __builtin_mul_overflow(v, numparse_pow10(up), &v);
        } else if (rs != s) {
          if (rs > s) bad = __builtin_mul_overflow(v, numparse_pow10(rs - s), &v);
          else v = round_div(v, numparse_pow10(s - rs), he);
        }
        if (bad || v >= lim || v <= -lim) {
          o[i] = 0;
          bitmap_clear(ov, i);
        } else {
          o[i] = v;
        }
      });
      break;
    }
    default: return err_set(rt->err, ERR_UNSUPPORTED, "round() of this type is not supported");
  }
  return 0;
}

/* ----------------------------------------------------------------- logic */

/* AND/OR (lazy): argument j is evaluated only on the rows still undecided
 * after arguments 0..j-1. is_or flips the deciding value. */
static int k_andor(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const uint8_t decide = nd->op; /* 0 for AND (false decides), 1 for OR */
  uint8_t *o = nd->vec.data;
  uint64_t *ov = nd->vec.validity;
  int rc = eval_node_eval(rt, nd->args[0], sel, n);
  if (rc) return rc;
  const struct vector *r = nd->args[0]->res;
  uint32_t *act = eval_node_selbuf(nd, 0);
  if (!act) return err_set(rt->err, ERR_NOMEM, "out of memory while evaluating an expression");
  eval_valid_copy(ov, r->validity, rt->nwords);
  const uint8_t *b = r->data;
  uint32_t m = 0;
  EVAL_FOR_SEL(i, sel, n, {
    uint8_t x = b[i];
    int v = bitmap_get(r->validity, i);
    o[i] = x;
    act[m] = i;
    m += !(v && x == decide);
  });
  for (int j = 1; j < nd->nargs && m > 0; j++) {
    if ((rc = eval_node_eval(rt, nd->args[j], act, m))) return rc;
    r = nd->args[j]->res;
    b = r->data;
    uint32_t m2 = 0;
    for (uint32_t k = 0; k < m; k++) {
      uint32_t i = act[k];
      int v = bitmap_get(r->validity, i);
      if (v && b[i] == decide) {
        o[i] = decide;
        bitmap_set(ov, i);
      } else {
        if (!v) bitmap_clear(ov, i);
        act[m2++] = i;
      }
    }
    m = m2;
  }
  return 0;
}

static int k_is_null(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const uint64_t *v = nd->args[0]->res->validity;
  uint8_t *o = nd->vec.data;
  uint8_t flip = (uint8_t)nd->op; /* 1: IS NULL, 0: IS NOT NULL */
  eval_valid_set(nd->vec.validity, rt->nwords);
  EVAL_FOR_SEL(i, sel, n, { o[i] = (uint8_t)(bitmap_get(v, i) ^ flip); });
  return 0;
}

/* ---------------------------------------------------------- conditionals */

static int oom(struct eval_rt *rt) {
  return err_set(rt->err, ERR_NOMEM, "out of memory while evaluating an expression");
}

/* COALESCE (lazy): argument j only sees the rows still NULL. */
static int k_coalesce(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  uint32_t *act = eval_node_selbuf(nd, 0);
  if (!act) return oom(rt);
  const uint32_t *cur = sel;
  uint32_t m = n;
  for (int j = 0; j < nd->nargs && m > 0; j++) {
    int rc = eval_node_eval(rt, nd->args[j], cur, m);
    if (rc) return rc;
    const struct vector *r = nd->args[j]->res;
    copy_rows(&nd->vec, r, cur, m);
    uint32_t m2 = 0;
    EVAL_FOR_SEL(i, cur, m, {
      act[m2] = i;
      m2 += !bitmap_get(r->validity, i);
    });
    cur = act;
    m = m2;
  }
  return 0;
}

/* Split the selection by a boolean result: true rows to t, others to f. */
static void split_sel(const struct vector *c, const uint32_t *sel, uint32_t n, uint32_t *t,
                      uint32_t *nt, uint32_t *f, uint32_t *nf) {
  const uint8_t *b = c->data;
  uint32_t a = 0, z = 0;
  EVAL_FOR_SEL(i, sel, n, {
    int yes = b[i] & bitmap_get(c->validity, i);
    t[a] = i;
    f[z] = i;
    a += (uint32_t)yes;
    z += (uint32_t)!yes;
  });
  *nt = a;
  *nf = z;
}

/* CASE (lazy): args are when0, then0, when1, then1, ..., [else]. nd->op is
 * the number of WHEN arms, ival 1 when an ELSE exists. IF is CASE with one
 * arm and an else. */
static int k_case(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  uint32_t *bufs[3] = {eval_node_selbuf(nd, 0), eval_node_selbuf(nd, 1),
                       eval_node_selbuf(nd, 2)};
  if (!bufs[0] || !bufs[1] || !bufs[2]) return oom(rt);
  const uint32_t *cur = sel;
  uint32_t m = n;
  int fb = 1; /* which of bufs[1], bufs[2] receives the next remaining rows */
  for (int w = 0; w < nd->op && m > 0; w++) {
    int rc = eval_node_eval(rt, nd->args[2 * w], cur, m);
    if (rc) return rc;
    uint32_t nt, nf;
    uint32_t *f = bufs[fb];
    split_sel(nd->args[2 * w]->res, cur, m, bufs[0], &nt, f, &nf);
    if (nt) {
      if ((rc = eval_node_eval(rt, nd->args[2 * w + 1], bufs[0], nt))) return rc;
      copy_rows(&nd->vec, nd->args[2 * w + 1]->res, bufs[0], nt);
    }
    cur = f;
    m = nf;
    fb = 3 - fb;
  }
  if (m == 0) return 0;
  if (nd->ival) {
    struct eval_node *els = nd->args[nd->nargs - 1];
    int rc = eval_node_eval(rt, els, cur, m);
    if (rc) return rc;
    copy_rows(&nd->vec, els->res, cur, m);
  } else {
    null_rows(&nd->vec, cur, m);
  }
  return 0;
}

static int k_nullif(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  const struct vector *a = nd->args[0]->res, *b = nd->args[1]->res;
  int cls = type_class(nd->args[0]->type.id);
  copy_rows(&nd->vec, a, sel, n);
  (void)rt;
  EVAL_FOR_SEL(i, sel, n, {
    if (bitmap_get(a->validity, i) && bitmap_get(b->validity, i) && row_eq(cls, a, i, b, i))
      bitmap_clear(nd->vec.validity, i);
  });
  return 0;
}

/* GREATEST (op 1) / LEAST (op -1), NULLs skipped. */
static int k_greatest(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  int cls = type_class(nd->type.id);
  int want = nd->op;
  (void)rt;
  copy_rows(&nd->vec, nd->args[0]->res, sel, n);
  for (int j = 1; j < nd->nargs; j++) {
    const struct vector *b = nd->args[j]->res;
    EVAL_FOR_SEL(i, sel, n, {
      if (bitmap_get(b->validity, i) &&
          (!bitmap_get(nd->vec.validity, i) || row_cmp(cls, b, i, &nd->vec, i) * want > 0)) {
        size_t es = node_elem_size(nd->type.id);
        memcpy((char *)nd->vec.data + es * i, (const char *)b->data + es * i, es);
        bitmap_set(nd->vec.validity, i);
      }
    });
  }
  return 0;
}

/* --------------------------------------------------------------- IN list */

struct in_set {
  int cls;
  int n;
  int has_null;
  int negated;
  int64_t *ints;     /* sorted, C_U8/C_I32/C_I64 */
  double *dbls;      /* sorted by the Spark order, C_F64 */
  struct sv *strs;   /* sorted bytewise, C_SV */
};

static void in_set_free(void *p) {
  struct in_set *s = p;
  if (!s) return;
  free(s->ints);
  free(s->dbls);
  free(s->strs);
  free(s);
}

static int cmp_i64p(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}
static int cmp_f64p(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return f64_lt(y, x) - f64_lt(x, y);
}
static int cmp_svp(const void *a, const void *b) {
  return sv_cmp(*(const struct sv *)a, *(const struct sv *)b);
}

static inline int in_find_i64(const int64_t *v, int n, int64_t x) {
  if (n <= 8) {
    int f = 0;
    for (int k = 0; k < n; k++) f |= v[k] == x;
    return f;
  }
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (v[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && v[lo] == x;
}
static inline int in_find_f64(const double *v, int n, double x) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (f64_lt(v[mid], x)) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && f64_eq(v[lo], x);
}
static inline int in_find_sv(const struct sv *v, int n, struct sv x) {
  if (n <= 8) {
    for (int k = 0; k < n; k++)
      if (sv_eq(v[k], x)) return 1;
    return 0;
  }
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (sv_cmp(v[mid], x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && sv_eq(v[lo], x);
}

/* Result for found/not found: NULL when absent and the list has a NULL. */
static int k_in_const(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  int rc = eval_node_eval(rt, nd->args[0], sel, n);
  if (rc) return rc;
  const struct in_set *s = nd->aux;
  const struct vector *a = nd->args[0]->res;
  uint8_t *o = nd->vec.data;
  uint64_t *ov = nd->vec.validity;
  const uint8_t neg = (uint8_t)s->negated;
  const int hn = s->has_null;
  eval_valid_copy(ov, a->validity, rt->nwords);
#define IN_LOOP(FOUND)                                \
  EVAL_FOR_SEL(i, sel, n, {                           \
    int f = (FOUND);                                  \
    o[i] = (uint8_t)(f ^ neg);                        \
    if (!f && hn) bitmap_clear(ov, i);                \
  })
  switch (s->cls) {
    case C_U8: IN_LOOP(in_find_i64(s->ints, s->n, vector_u8(a)[i])); break;
    case C_I32: IN_LOOP(in_find_i64(s->ints, s->n, vector_i32(a)[i])); break;
    case C_I64: IN_LOOP(in_find_i64(s->ints, s->n, vector_i64(a)[i])); break;
    case C_F64: IN_LOOP(in_find_f64(s->dbls, s->n, vector_f64(a)[i])); break;
    case C_SV: IN_LOOP(in_find_sv(s->strs, s->n, vector_sv(a)[i])); break;
    default: eval_valid_clear(ov, rt->nwords); break;
  }
#undef IN_LOOP
  return 0;
}

/* Non-constant list: per-row comparison against every item. */
static int k_in_rows(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                     uint32_t n) {
  const struct vector *a = nd->args[0]->res;
  int cls = type_class(nd->args[0]->type.id);
  uint8_t *o = nd->vec.data;
  uint64_t *ov = nd->vec.validity;
  uint8_t neg = (uint8_t)nd->op;
  eval_valid_copy(ov, a->validity, rt->nwords);
  EVAL_FOR_VALID(i, sel, n, a->validity, {
    int found = 0, sawnull = 0;
    for (int j = 1; j < nd->nargs && !found; j++) {
      const struct vector *b = nd->args[j]->res;
      if (!bitmap_get(b->validity, i)) sawnull = 1;
      else if (row_eq(cls, a, i, b, i)) found = 1;
    }
    o[i] = (uint8_t)(found ^ neg);
    if (!found && sawnull) bitmap_clear(ov, i);
  });
  return 0;
}

static int in_compile(struct eval_node *nd, struct err *err) {
  int allconst = 1;
  for (int j = 1; j < nd->nargs; j++) allconst &= nd->args[j]->is_const;
  int cls = type_class(nd->args[0]->type.id);
  nd->op = nd->e->u.in_list.negated ? 1 : 0;
  if (!allconst || cls == C_NONE) {
    nd->kern = k_in_rows;
    return 0;
  }
  struct in_set *s = calloc(1, sizeof *s);
  if (!s) return err_set(err, ERR_NOMEM, "out of memory");
  nd->aux = s;
  nd->aux_free = in_set_free;
  s->cls = cls;
  s->negated = nd->op;
  int cnt = nd->nargs - 1;
  size_t sz = (size_t)(cnt ? cnt : 1);
  if (cls == C_F64) s->dbls = malloc(sz * sizeof *s->dbls);
  else if (cls == C_SV) s->strs = malloc(sz * sizeof *s->strs);
  else s->ints = malloc(sz * sizeof *s->ints);
  if (!s->dbls && !s->strs && !s->ints) return err_set(err, ERR_NOMEM, "out of memory");
  for (int j = 1; j < nd->nargs; j++) {
    const struct value *v = &nd->args[j]->cval;
    if (v->is_null || nd->args[j]->type.id == TYPE_NULL) {
      s->has_null = 1;
      continue;
    }
    if (cls == C_F64) s->dbls[s->n++] = v->d;
    else if (cls == C_SV) s->strs[s->n++] = sv_make(v->s ? v->s : "", v->len);
    else s->ints[s->n++] = v->i;
  }
  if (cls == C_F64) qsort(s->dbls, (size_t)s->n, sizeof *s->dbls, cmp_f64p);
  else if (cls == C_SV) qsort(s->strs, (size_t)s->n, sizeof *s->strs, cmp_svp);
  else qsort(s->ints, (size_t)s->n, sizeof *s->ints, cmp_i64p);
  nd->lazy = 1;
  nd->kern = k_in_const;
  return 0;
}

/* ------------------------------------------------------------------ hash */

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint32_t mm_k1(uint32_t k) {
  k *= 0xcc9e2d51u;
  k = rotl32(k, 15);
  return k * 0x1b873593u;
}
static inline uint32_t mm_h1(uint32_t h, uint32_t k) {
  h ^= k;
  h = rotl32(h, 13);
  return h * 5 + 0xe6546b64u;
}
static inline uint32_t mm_fmix(uint32_t h, uint32_t len) {
  h ^= len;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}
static inline uint32_t mm_int(uint32_t x, uint32_t seed) {
  return mm_fmix(mm_h1(seed, mm_k1(x)), 4);
}
static inline uint32_t mm_long(uint64_t x, uint32_t seed) {
  uint32_t h = mm_h1(seed, mm_k1((uint32_t)x));
  h = mm_h1(h, mm_k1((uint32_t)(x >> 32)));
  return mm_fmix(h, 8);
}
/* Spark's hashUnsafeBytes: 4-byte little-endian words, then each tail byte
 * (sign-extended) as a whole round. */
static inline uint32_t mm_bytes(const char *p, uint32_t n, uint32_t seed) {
  uint32_t h = seed, al = n - n % 4;
  for (uint32_t i = 0; i < al; i += 4) {
    uint32_t w = (uint32_t)(uint8_t)p[i] | (uint32_t)(uint8_t)p[i + 1] << 8 |
                 (uint32_t)(uint8_t)p[i + 2] << 16 | (uint32_t)(uint8_t)p[i + 3] << 24;
    h = mm_h1(h, mm_k1(w));
  }
  for (uint32_t i = al; i < n; i++) h = mm_h1(h, mm_k1((uint32_t)(int32_t)(int8_t)p[i]));
  return mm_fmix(h, n);
}

static int k_hash(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  uint32_t *h = nd->vec.data;
  eval_valid_set(nd->vec.validity, rt->nwords);
  EVAL_FOR_SEL(i, sel, n, { h[i] = 42; });
  for (int j = 0; j < nd->nargs; j++) {
    const struct vector *a = nd->args[j]->res;
    const uint64_t *v = a->validity;
    switch (nd->args[j]->type.id) {
      case TYPE_BOOLEAN: EVAL_FOR_VALID(i, sel, n, v, { h[i] = mm_int(vector_u8(a)[i], h[i]); }); break;
      case TYPE_INT:
      case TYPE_DATE:
        EVAL_FOR_VALID(i, sel, n, v, { h[i] = mm_int((uint32_t)vector_i32(a)[i], h[i]); });
        break;
      case TYPE_BIGINT:
      case TYPE_DECIMAL:
      case TYPE_TIMESTAMP:
        EVAL_FOR_VALID(i, sel, n, v, { h[i] = mm_long((uint64_t)vector_i64(a)[i], h[i]); });
        break;
      case TYPE_DOUBLE:
        EVAL_FOR_VALID(i, sel, n, v, {
          double d = vector_f64(a)[i];
          uint64_t bits;
          if (d == 0) d = 0.0; /* -0.0 hashes as 0 */
          if (d != d) bits = UINT64_C(0x7ff8000000000000); /* doubleToLongBits */
          else memcpy(&bits, &d, 8);
          h[i] = mm_long(bits, h[i]);
        });
        break;
      case TYPE_STRING:
        EVAL_FOR_VALID(i, sel, n, v, {
          struct sv s = vector_sv(a)[i];
          h[i] = mm_bytes(s.ptr, s.len, h[i]);
        });
        break;
      default: break; /* NULL type: skipped like a NULL value */
    }
  }
  return 0;
}

/* --------------------------------------------------------------- compile */

static int unsupported(struct err *err, const struct eval_node *nd, const char *what) {
  const struct expr *e = nd->e;
  return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                    "%s is not supported by the local engine", what);
}

static int pick_func(struct eval_prog *p, struct eval_node *nd, struct err *err);
static int fold(struct eval_prog *p, struct eval_node *nd, struct err *err);

static int build(struct eval_prog *p, const struct expr *e, struct eval_node **out,
                 struct err *err, int depth) {
  if (!e) return err_set(err, ERR_INVAL, "missing expression");
  if (depth > EVAL_MAX_DEPTH)
    return err_set(err, ERR_UNSUPPORTED, "expression is nested too deeply to evaluate");
  int nargs = 0;
  switch (e->kind) {
    case EXPR_FUNC: nargs = e->u.func.nargs; break;
    case EXPR_CASE: nargs = 2 * e->u.cases.n + (e->u.cases.otherwise ? 1 : 0); break;
    case EXPR_CAST:
    case EXPR_LIKE: nargs = 1; break;
    case EXPR_IN_LIST: nargs = 1 + e->u.in_list.n; break;
    case EXPR_SUBQUERY:
    case EXPR_IN_SUBQUERY:
    case EXPR_EXISTS:
      return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                        "this subquery cannot be evaluated here (only uncorrelated scalar "
                        "subqueries and IN/EXISTS rewritable as joins are supported)");
    default: break;
  }
  if (nargs < 0) return err_set(err, ERR_INVAL, "malformed expression");
  struct eval_node *nd = node_new(p, e, nargs);
  if (!nd) return err_set(err, ERR_NOMEM, "out of memory");
  *out = nd;
  int rc;
  for (int a = 0; a < nargs; a++) {
    const struct expr *c = NULL;
    switch (e->kind) {
      case EXPR_FUNC: c = e->u.func.args[a]; break;
      case EXPR_CASE:
        if (a == nargs - 1 && e->u.cases.otherwise) c = e->u.cases.otherwise;
        else c = (a % 2 == 0) ? e->u.cases.when[a / 2] : e->u.cases.then[a / 2];
        break;
      case EXPR_CAST: c = e->u.cast.arg; break;
      case EXPR_LIKE: c = e->u.like.arg; break;
      case EXPR_IN_LIST: c = a == 0 ? e->u.in_list.arg : e->u.in_list.list[a - 1]; break;
      default: break;
    }
    if ((rc = build(p, c, &nd->args[a], err, depth + 1))) return rc;
  }
  switch (e->kind) {
    case EXPR_LIT:
      if (e->type.id == TYPE_INTERVAL)
        return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                          "an INTERVAL value can only be added to a date or timestamp");
      nd->is_const = 1;
      nd->cval = e->u.lit;
      nd->cval.type = e->type;
      if (e->type.id == TYPE_NULL) nd->cval.is_null = 1;
      return 0;
    case EXPR_COL:
      if (e->u.col.index < 0)
        return err_set(err, ERR_INVAL, "internal error: column #%d is not bound to an input",
                       e->u.col.id);
      nd->col = e->u.col.index;
      return 0;
    case EXPR_FUNC: rc = pick_func(p, nd, err); break;
    case EXPR_CASE:
      nd->lazy = 1;
      nd->op = e->u.cases.n;
      nd->ival = e->u.cases.otherwise ? 1 : 0;
      nd->kern = k_case;
      rc = 0;
      break;
    case EXPR_CAST: rc = eval_cast_compile(p, nd, err); break;
    case EXPR_LIKE: rc = eval_like_compile(p, nd, err); break;
    case EXPR_IN_LIST: rc = in_compile(nd, err); break;
    default: return err_set(err, ERR_UNSUPPORTED, "unknown expression kind");
  }
  if (rc) return rc;
  return fold(p, nd, err);
}

static int all_const(const struct eval_node *nd) {
  for (int a = 0; a < nd->nargs; a++)
    if (!nd->args[a]->is_const) return 0;
  return 1;
}

static void value_from_row(const struct vector *v, uint32_t i, struct value *out) {
  memset(out, 0, sizeof *out);
  out->type = v->type;
  if (v->type.id == TYPE_NULL || !bitmap_get(v->validity, i)) {
    out->is_null = 1;
    return;
  }
  switch (type_class(v->type.id)) {
    case C_U8: out->i = vector_u8(v)[i]; break;
    case C_I32: out->i = vector_i32(v)[i]; break;
    case C_I64: out->i = vector_i64(v)[i]; break;
    case C_F64: out->d = vector_f64(v)[i]; break;
    case C_SV:
      out->s = vector_sv(v)[i].ptr;
      out->len = vector_sv(v)[i].len;
      break;
    default: out->is_null = 1; break;
  }
}

/* Evaluate a node whose arguments are all constant once, on a one-row
 * pseudo batch, and turn it into a constant. */
static int fold(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  if (nd->is_const || nd->col >= 0 || !all_const(nd)) return 0;
  struct batch dummy;
  memset(&dummy, 0, sizeof dummy);
  dummy.nrows = 1;
  struct eval_rt rt = {p, &dummy, 1, 1, err};
  int rc = eval_node_eval(&rt, nd, NULL, 1);
  if (rc == ERR_SQL) {
    /* An ANSI error (1/0, a bad cast): not an error of the expression as a
     * whole, which may never evaluate this node (CASE WHEN false THEN 1/0);
     * stay non-constant so it fails at run time only for rows that reach
     * it. */
    err_clear(err);
    return 0;
  }
  if (rc) return rc;
  struct value v;
  value_from_row(nd->res, 0, &v);
  v.type = nd->type;
  if (!v.is_null && type_is_varlen(nd->type.id)) {
    char *c = arena_alloc(&p->perm, v.len ? v.len : 1);
    if (!c) return err_set(err, ERR_NOMEM, "out of memory");
    if (v.len) memcpy(c, v.s, v.len);
    v.s = c;
  }
  nd->cval = v;
  nd->is_const = 1;
  nd->const_filled = 0;
  return 0;
}

static int64_t clock_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int k_now(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_set(nd->vec.validity, rt->nwords);
  int64_t us = rt->p->now_us;
  if (nd->type.id == TYPE_DATE) {
    int64_t days, tod;
    datetime_split_ts(us, &days, &tod);
    EVAL_FOR_SEL(i, sel, n, { vector_i32(&nd->vec)[i] = (int32_t)days; });
  } else {
    EVAL_FOR_SEL(i, sel, n, { vector_i64(&nd->vec)[i] = us; });
  }
  return 0;
}

static int need_args(struct eval_node *nd, int lo, int hi, struct err *err) {
  if (nd->nargs < lo || nd->nargs > hi) {
    const struct expr *e = nd->e;
    return err_set_at(err, ERR_INVAL, e->pos.line, e->pos.column,
                      "internal error: function #%d got %d arguments", (int)e->u.func.fn,
                      nd->nargs);
  }
  return 0;
}

/* Functions that return NULL whenever an argument is NULL. */
static int strict_fn(enum expr_fn fn) {
  switch (fn) {
    case FN_AND:
    case FN_OR:
    case FN_NOT:
    case FN_NSEQ:
    case FN_IS_NULL:
    case FN_IS_NOT_NULL:
    case FN_COALESCE:
    case FN_IF:
    case FN_NULLIF:
    case FN_GREATEST:
    case FN_LEAST:
    case FN_CONCAT_WS:
    case FN_HASH:
    case FN_CURRENT_DATE:
    case FN_CURRENT_TIMESTAMP: return 0;
    default: return 1;
  }
}

static int pick_func(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  enum expr_fn fn = nd->e->u.func.fn;
  int rc;
  if (strict_fn(fn)) {
    /* an untyped NULL argument (the analyzer normally casts it) */
    for (int a = 0; a < nd->nargs; a++)
      if (nd->args[a]->type.id == TYPE_NULL) {
        nd->kern = k_all_null;
        return 0;
      }
  }
  if (eval_str2_owns(fn)) return eval_str2_compile(p, nd, err);
  switch (fn) {
    case FN_ADD:
    case FN_SUB:
    case FN_MUL:
    case FN_DIV:
    case FN_IDIV:
    case FN_MOD: {
      if ((rc = need_args(nd, 2, 2, err))) return rc;
      struct type t = nd->type;
      int acls;
      switch (t.id) {
        case TYPE_INT: acls = A_I32; break;
        case TYPE_BIGINT: acls = A_I64; break;
        case TYPE_DOUBLE: acls = A_F64; break;
        case TYPE_DECIMAL: acls = A_DEC; break;
        default: return unsupported(err, nd, "arithmetic on this type");
      }
      if (nd->args[0]->type.id != t.id || nd->args[1]->type.id != t.id)
        return unsupported(err, nd, "arithmetic on operands of different types");
      nd->ival = numparse_pow10(t.precision > 18 || t.precision == 0 ? 18 : t.precision);
      if (fn == FN_DIV && acls == A_DEC)
        nd->op = t.scale - nd->args[0]->type.scale + nd->args[1]->type.scale;
      int var = nd->args[1]->is_const ? 1 : nd->args[0]->is_const ? 2 : 0;
      int chk = nd->e->ansi || nd->e->try_eval;
      if (arith_pick(nd, fn, acls, var, chk) != 0)
        return unsupported(err, nd, "this arithmetic operator on this type");
      /* DOUBLE ADD/SUB/MUL never fail (infinity), as in Spark */
      if (acls != A_F64 || fn == FN_DIV || fn == FN_MOD) ansi_wrap(nd);
      return 0;
    }
    case FN_NEG:
    case FN_ABS: {
      if ((rc = need_args(nd, 1, 1, err))) return rc;
      int chk = nd->e->ansi && !nd->e->try_eval;
      switch (type_class(nd->type.id)) {
        case C_I32:
          nd->kern = fn == FN_NEG ? (chk ? negx_i32 : neg_i32) : (chk ? absx_i32 : abs_i32);
          break;
        case C_I64:
          nd->kern = fn == FN_NEG ? (chk ? negx_i64 : neg_i64) : (chk ? absx_i64 : abs_i64);
          break;
        case C_F64: nd->kern = fn == FN_NEG ? neg_f64 : abs_f64; return 0;
        default: return unsupported(err, nd, "negation/abs of this type");
      }
      if (chk) ansi_wrap(nd);
      return 0;
    }
    case FN_EQ:
    case FN_NE:
    case FN_LT:
    case FN_LE:
    case FN_GT:
    case FN_GE: {
      if ((rc = need_args(nd, 2, 2, err))) return rc;
      static const int ops[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE};
      static const int mirror[] = {OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE};
      int op = ops[fn - FN_EQ];
      int cls = type_class(nd->args[0]->type.id);
      if (cls == C_NONE || type_class(nd->args[1]->type.id) == C_NONE) {
        nd->kern = k_all_null;
        return 0;
      }
      if (cls != type_class(nd->args[1]->type.id))
        return unsupported(err, nd, "comparison of values of different types");
      if (nd->args[0]->is_const && !nd->args[1]->is_const) {
        struct eval_node *t = nd->args[0];
        nd->args[0] = nd->args[1];
        nd->args[1] = t;
        op = mirror[op];
      }
      if (nd->args[1]->is_const) {
        nd->kern = cmp_vc[cls][op];
        nd->selk = sel_vc[cls][op];
      } else {
        nd->kern = cmp_vv[cls][op];
        nd->selk = sel_vv[cls][op];
      }
      return 0;
    }
    case FN_NSEQ:
      if ((rc = need_args(nd, 2, 2, err))) return rc;
      nd->kern = nseq_tab[type_class(nd->args[0]->type.id)];
      return 0;
    case FN_AND:
    case FN_OR:
      if ((rc = need_args(nd, 1, 1 << 30, err))) return rc;
      nd->lazy = 1;
      nd->op = fn == FN_OR;
      nd->kern = k_andor;
      return 0;
    case FN_NOT:
      if ((rc = need_args(nd, 1, 1, err))) return rc;
      nd->kern = not_u8;
      return 0;
    case FN_IS_NULL:
    case FN_IS_NOT_NULL:
      if ((rc = need_args(nd, 1, 1, err))) return rc;
      nd->op = fn == FN_IS_NULL;
      nd->kern = k_is_null;
      return 0;
    case FN_COALESCE:
      if ((rc = need_args(nd, 1, 1 << 30, err))) return rc;
      nd->lazy = 1;
      nd->kern = k_coalesce;
      return 0;
    case FN_IF:
      if ((rc = need_args(nd, 3, 3, err))) return rc;
      nd->lazy = 1;
      nd->op = 1;
      nd->ival = 1;
      nd->kern = k_case;
      return 0;
    case FN_NULLIF:
      if ((rc = need_args(nd, 2, 2, err))) return rc;
      nd->kern = k_nullif;
      return 0;
    case FN_GREATEST:
    case FN_LEAST:
      if ((rc = need_args(nd, 1, 1 << 30, err))) return rc;
      nd->op = fn == FN_GREATEST ? 1 : -1;
      nd->kern = k_greatest;
      return 0;
    case FN_ROUND: {
      if ((rc = need_args(nd, 1, 2, err))) return rc;
      int64_t d = 0;
      if (nd->nargs == 2) {
        if (!nd->args[1]->is_const)
          return unsupported(err, nd, "round() with a non-constant scale");
        if (nd->args[1]->cval.is_null) {
          nd->kern = k_all_null;
          return 0;
        }
        d = nd->args[1]->cval.i;
      }
      if (d > 1000) d = 1000;
      if (d < -1000) d = -1000;
      nd->ival = d;
      nd->op = 0; /* HALF_UP */
      nd->kern = eval_kern_round;
      if (nd->args[0]->type.id != TYPE_DECIMAL && nd->args[0]->type.id != nd->type.id &&
          !(nd->args[0]->type.id == TYPE_INT && nd->type.id == TYPE_BIGINT))
        return unsupported(err, nd, "round() of this type");
      return 0;
    }
    case FN_FLOOR:
    case FN_CEIL: {
      if ((rc = need_args(nd, 1, 1, err))) return rc;
      enum type_id at = nd->args[0]->type.id;
      if (at == TYPE_DOUBLE) nd->kern = fn == FN_FLOOR ? floor_f64 : ceil_f64;
      else if (at == TYPE_DECIMAL) {
        nd->ival = numparse_pow10(nd->args[0]->type.scale);
        nd->kern = fn == FN_FLOOR ? floor_dec : ceil_dec;
      } else if (at == TYPE_INT) nd->kern = widen_i32;
      else if (at == TYPE_BIGINT) nd->kern = ident_i64;
      else return unsupported(err, nd, "floor/ceil of this type");
      if (type_class(nd->type.id) != C_I64)
        return unsupported(err, nd, "floor/ceil with this result type");
      return 0;
    }
    case FN_SQRT:
    case FN_EXP:
    case FN_LN:
    case FN_LOG10:
      if ((rc = need_args(nd, 1, 1, err))) return rc;
      if (nd->args[0]->type.id != TYPE_DOUBLE)
        return unsupported(err, nd, "this math function on a non-DOUBLE value");
      nd->kern = fn == FN_SQRT ? sqrt_f64 : fn == FN_EXP ? exp_f64 : fn == FN_LN ? ln_f64
                                                                               : log10_f64;
      return 0;
    case FN_POWER:
      if ((rc = need_args(nd, 2, 2, err))) return rc;
      if (nd->args[0]->type.id != TYPE_DOUBLE || nd->args[1]->type.id != TYPE_DOUBLE)
        return unsupported(err, nd, "power() of non-DOUBLE values");
      nd->kern = k_power;
      return 0;
    case FN_HASH:
      nd->kern = k_hash;
      return 0;
    case FN_CURRENT_DATE:
    case FN_CURRENT_TIMESTAMP:
      nd->kern = k_now;
      return 0;
    case FN_CONCAT:
    case FN_SUBSTRING:
    case FN_UPPER:
    case FN_LOWER:
    case FN_LENGTH:
    case FN_TRIM:
    case FN_LTRIM:
    case FN_RTRIM:
    case FN_REPLACE:
    case FN_INSTR:
    case FN_LPAD:
    case FN_RPAD:
    case FN_STARTSWITH:
    case FN_ENDSWITH:
    case FN_CONTAINS:
    case FN_CONCAT_WS: return eval_str_compile(p, nd, err);
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAY:
    case FN_QUARTER:
    case FN_DAYOFWEEK:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
    case FN_DATE_ADD:
    case FN_DATE_SUB:
    case FN_DATEDIFF:
    case FN_ADD_MONTHS:
    case FN_DATE_TRUNC:
    case FN_DATE_FORMAT:
    case FN_TO_DATE_FMT:
    case FN_TO_TS_FMT:
    case FN_TS_ADD_INTERVAL: return eval_date_compile(p, nd, err);
    case FN_UNIX_SECONDS:
    case FN_SECONDS_TO_TS:
    case FN_LAST_DAY:
    case FN_NEXT_DAY:
    case FN_WEEKOFYEAR:
    case FN_DAYOFYEAR:
    case FN_WEEKDAY:
    case FN_MONTHS_BETWEEN:
    case FN_MAKE_DATE:
    case FN_MAKE_TS:
    case FN_TS_ADD_UNIT:
    case FN_TS_DIFF_UNIT:
    case FN_TRUNC_DATE: return eval_date2_compile(p, nd, err);
    case FN_SIZE:
    case FN_ARRAY_CONTAINS:
    case FN_SORT_ARRAY:
    case FN_ARRAY_DISTINCT:
    case FN_ARRAY:
    case FN_ELEMENT_AT:
    case FN_ARRAY_SUBSCRIPT:
    case FN_ARRAY_JOIN:
    case FN_ARRAY_POSITION:
    case FN_ARRAY_REMOVE:
    case FN_ARRAY_MAX:
    case FN_ARRAY_MIN:
    case FN_SLICE:
    case FN_ARRAY_CONCAT:
    case FN_ARRAY_UNION:
    case FN_ARRAY_INTERSECT:
    case FN_ARRAY_EXCEPT: return eval_array_compile(p, nd, err);
    case FN_RLIKE:
    case FN_REGEXP_EXTRACT:
    case FN_REGEXP_EXTRACT_ALL:
    case FN_REGEXP_REPLACE:
    case FN_REGEXP_COUNT:
    case FN_REGEXP_SUBSTR:
    case FN_SPLIT: return eval_regex_compile(p, nd, err);
    case FN_AGG_ORDKEY: return eval_aggkey_compile(p, nd, err);
    default: return unsupported(err, nd, "this function");
  }
}

static int compile_at(const struct expr *e, int64_t now_us, struct eval_prog **out,
                      struct err *err) {
  *out = NULL;
  struct eval_prog *p = calloc(1, sizeof *p);
  if (!p) return err_set(err, ERR_NOMEM, "out of memory");
  arena_init(&p->heap, ARENA_UNLIMITED);
  arena_init(&p->perm, ARENA_UNLIMITED);
  buf_init(&p->tmp, BUF_UNLIMITED);
  p->now_us = now_us;
  int rc = build(p, e, &p->root, err, 0);
  if (rc) {
    eval_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int eval_compile(const struct expr *e, struct eval_prog **out, struct err *err) {
  return compile_at(e, clock_now_us(), out, err);
}

void eval_free(struct eval_prog *p) {
  if (!p) return;
  for (int i = 0; i < p->nnodes; i++) node_free(p->nodes[i]);
  free(p->nodes);
  arena_fini(&p->heap);
  arena_fini(&p->perm);
  buf_fini(&p->tmp);
  free(p);
}

/* ------------------------------------------------------------------- run */

/* Every column the program reads must exist in the batch with the physical
 * type the expression expects (a planner bug otherwise; never crash). */
static int check_input(const struct eval_prog *p, const struct batch *in, struct err *err) {
  for (int k = 0; k < p->nnodes; k++) {
    const struct eval_node *nd = p->nodes[k];
    if (nd->col < 0) continue;
    if (nd->col >= in->ncols)
      return err_set(err, ERR_INVAL, "internal error: expression reads column %d of a %d-column input",
                     nd->col, in->ncols);
    if (vector_elem_size(in->cols[nd->col].type.id) != vector_elem_size(nd->type.id) ||
        in->cols[nd->col].capacity < in->nrows)
      return err_set(err, ERR_INVAL, "internal error: input column %d does not have the expected type",
                     nd->col);
  }
  return 0;
}

static void rt_init(struct eval_rt *rt, struct eval_prog *p, const struct batch *in,
                    struct err *err) {
  rt->p = p;
  rt->in = in;
  rt->nrows = in->nrows;
  rt->nwords = bitmap_words(in->nrows);
  rt->err = err;
  arena_reset(&p->heap);
}

int eval_run(struct eval_prog *p, const struct batch *in, struct vector *out, struct err *err) {
  if (!p || !in || !out) return err_set(err, ERR_INVAL, "eval_run: missing argument");
  uint32_t nrows = in->nrows;
  if (out->type.id != TYPE_NULL && out->capacity < nrows)
    return err_set(err, ERR_INVAL, "eval_run: output vector too small");
  int rc = check_input(p, in, err);
  if (rc) return rc;
  struct eval_rt rt;
  rt_init(&rt, p, in, err);
  out->count = nrows;
  if (nrows == 0) return 0;
  rc = eval_node_eval(&rt, p->root, NULL, nrows);
  if (rc) return rc;
  const struct vector *r = p->root->res;
  size_t nw = rt.nwords;
  if (out->type.id == TYPE_NULL || p->root->type.id == TYPE_NULL) {
    if (out->validity) eval_valid_clear(out->validity, nw);
    if (out->data) memset(out->data, 0, (size_t)nrows * vector_elem_size(out->type.id));
    return 0;
  }
  eval_valid_copy(out->validity, r->validity, nw);
  if (nrows % 64) out->validity[nw - 1] &= (UINT64_C(1) << (nrows % 64)) - 1;
  size_t es = vector_elem_size(out->type.id);
  if (type_is_varlen(out->type.id)) {
    if (!out->heap) return err_set(err, ERR_INVAL, "eval_run: STRING output without a heap");
    const struct sv *s = r->data;
    struct sv *d = out->data;
    size_t total = 0;
    for (uint32_t i = 0; i < nrows; i++)
      if (bitmap_get(out->validity, i)) total += s[i].len;
    char *dst = arena_alloc(out->heap, total ? total : 1);
    if (!dst) return err_set(err, ERR_NOMEM, "out of memory for string results");
    for (uint32_t i = 0; i < nrows; i++) {
      if (bitmap_get(out->validity, i)) {
        if (s[i].len) memcpy(dst, s[i].ptr, s[i].len);
        d[i] = sv_make(dst, s[i].len);
        dst += s[i].len;
      } else {
        memset(&d[i], 0, sizeof d[i]);
      }
    }
    return 0;
  }
  memcpy(out->data, r->data, (size_t)nrows * es);
  /* keep the vector invariant: NULL slots are zero */
  for (size_t w = 0; w < nw; w++) {
    uint64_t inv = ~out->validity[w];
    if (w == nw - 1 && nrows % 64) inv &= (UINT64_C(1) << (nrows % 64)) - 1;
    while (inv) {
      size_t i = w * 64 + (size_t)__builtin_ctzll(inv);
      memset((char *)out->data + i * es, 0, es);
      inv &= inv - 1;
    }
  }
  return 0;
}

/* Rows of the selection where nd is true, into out (may alias sel). */
static int node_select(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n,
                       uint32_t *out, uint32_t *nout) {
  int rc;
  if (nd->is_const) {
    int yes = !nd->cval.is_null && nd->cval.i != 0;
    if (!yes) {
      *nout = 0;
      return 0;
    }
    if (!sel) for (uint32_t i = 0; i < n; i++) out[i] = i;
    else if (out != sel) memmove(out, sel, n * sizeof *out);
    *nout = n;
    return 0;
  }
  if (nd->e->kind == EXPR_FUNC && nd->e->u.func.fn == FN_AND) {
    uint32_t m = n;
    const uint32_t *cur = sel;
    for (int j = 0; j < nd->nargs; j++) {
      if ((rc = node_select(rt, nd->args[j], cur, m, out, &m))) return rc;
      cur = out;
      if (m == 0) break;
    }
    *nout = m;
    return 0;
  }
  if (nd->selk && nd->col < 0) {
    if ((rc = node_reserve(rt->p, nd, rt->nrows))) return oom(rt);
    for (int a = 0; a < nd->nargs; a++)
      if ((rc = eval_node_eval(rt, nd->args[a], sel, n))) return rc;
    *nout = nd->selk(nd, sel, n, out);
    return 0;
  }
  if ((rc = eval_node_eval(rt, nd, sel, n))) return rc;
  const struct vector *r = nd->res;
  const uint8_t *b = r->data;
  const uint64_t *v = r->validity;
  uint32_t m = 0;
  EVAL_FOR_SEL(i, sel, n, {
    out[m] = i;
    m += (uint32_t)((b[i] & 1) & bitmap_get(v, i));
  });
  *nout = m;
  return 0;
}

int eval_select(struct eval_prog *p, const struct batch *in, uint32_t *sel, uint32_t *nsel,
                struct err *err) {
  if (!p || !in || !sel || !nsel) return err_set(err, ERR_INVAL, "eval_select: missing argument");
  *nsel = 0;
  if (p->root->type.id != TYPE_BOOLEAN && p->root->type.id != TYPE_NULL)
    return err_set(err, ERR_INVAL, "filter condition is not a boolean expression");
  int rc = check_input(p, in, err);
  if (rc) return rc;
  struct eval_rt rt;
  rt_init(&rt, p, in, err);
  if (in->nrows == 0) return 0;
  if (p->root->type.id == TYPE_NULL) return 0;
  return node_select(&rt, p->root, NULL, in->nrows, sel, nsel);
}

/* ------------------------------------------------------------- constants */

static int value_to_ctx(const struct value *v, struct plan_ctx *ctx, struct value *out,
                        struct err *err) {
  *out = *v;
  if (!v->is_null && type_is_varlen(v->type.id)) {
    char *c = plan_alloc(ctx, (size_t)v->len + 1);
    if (!c) return err_set(err, ERR_NOMEM, "out of memory");
    if (v->len) memcpy(c, v->s, v->len);
    c[v->len] = 0;
    out->s = c;
  }
  return 0;
}

int eval_constant(const struct expr *e, struct plan_ctx *ctx, struct value *out,
                  struct err *err) {
  struct eval_prog *p;
  int rc = compile_at(e, ctx ? ctx->now_us : clock_now_us(), &p, err);
  if (rc) return rc;
  int cols = 0;
  for (int k = 0; k < p->nnodes; k++) cols |= p->nodes[k]->col >= 0;
  if (!p->root->is_const && !cols) {
    /* Left non-constant by an ANSI error in a subtree (see fold): evaluate
     * once, lazily, so the error is raised only if the value needs it. */
    struct batch dummy;
    memset(&dummy, 0, sizeof dummy);
    dummy.nrows = 1;
    struct eval_rt rt;
    rt_init(&rt, p, &dummy, err);
    rc = eval_node_eval(&rt, p->root, NULL, 1);
    if (rc) {
      eval_free(p);
      return rc;
    }
    struct value v;
    value_from_row(p->root->res, 0, &v);
    v.type = e->type;
    rc = value_to_ctx(&v, ctx, out, err);
    eval_free(p);
    return rc;
  }
  if (!p->root->is_const) {
    /* a column reference or a non-constant: refuse rather than guess */
    eval_free(p);
    return err_set(err, ERR_INVAL, "expression is not constant");
  }
  struct value v = p->root->cval;
  v.type = e->type;
  rc = value_to_ctx(&v, ctx, out, err);
  eval_free(p);
  return rc;
}

int eval_cast_value(const struct value *v, struct type t, struct plan_ctx *ctx,
                    struct value *out) {
  memset(out, 0, sizeof *out);
  out->type = t;
  if (v->is_null || v->type.id == TYPE_NULL || t.id == TYPE_NULL) {
    out->is_null = 1;
    return 0;
  }
  eval_cast_fn fn = eval_cast_pick(v->type, t);
  if (!fn) {
    out->is_null = 1;
    return 0;
  }
  struct arena heap;
  arena_init(&heap, ARENA_UNLIMITED);
  struct vector in, res;
  int rc = vector_init(&in, v->type, 1, &heap);
  if (rc == 0) rc = vector_init(&res, t, 1, &heap);
  else memset(&res, 0, sizeof res);
  if (rc == 0) {
    switch (type_class(v->type.id)) {
      case C_U8: rc = vector_append_bool(&in, v->i != 0); break;
      case C_I32: rc = vector_append_i32(&in, (int32_t)v->i); break;
      case C_I64: rc = vector_append_i64(&in, v->i); break;
      case C_F64: rc = vector_append_f64(&in, v->d); break;
      case C_SV: rc = vector_append_str(&in, v->s ? v->s : "", v->len); break;
      default: rc = ERR_INVAL; break;
    }
  }
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  if (rc == 0) rc = fn(&in, &res, NULL, 1, 1, &tmp);
  buf_fini(&tmp);
  if (rc == 0) {
    res.count = 1;
    struct value r;
    value_from_row(&res, 0, &r);
    r.type = t;
    rc = value_to_ctx(&r, ctx, out, NULL);
  }
  vector_fini(&in);
  vector_fini(&res);
  arena_fini(&heap);
  if (rc) {
    out->is_null = 1;
    out->type = t;
  }
  return rc;
}
