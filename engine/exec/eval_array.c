/* eval_array.c: kernels of the array functions (size, array_contains,
 * sort_array, array_distinct) over encoded ARRAY values (engine/vec/array.h).
 * New arrays are built in the program's per-call heap; reading never trusts
 * the bytes (a malformed value is an error, not a crash). */
#include "engine/exec/eval_array.h"

#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/vec/array.h"

#define ARG(k) (nd->args[k]->res)

static int corrupt(struct eval_rt *rt) {
  return err_set(rt->err, ERR_PARSE, "internal error: malformed array value");
}

/* size(a): -1 for NULL (Spark's default spark.sql.legacy.sizeOfNull). */
static int k_size(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_set(nd->vec.validity, rt->nwords);
  int32_t *o = nd->vec.data;
  const struct vector *a = ARG(0);
  const struct sv *s = a->data;
  EVAL_FOR_SEL(i, sel, n, {
    o[i] = bitmap_get(a->validity, i) ? (int32_t)array_count(s[i]) : -1;
  });
  (void)rt;
  return 0;
}

/* Element of a scalar vector at row i (not NULL). */
static void elem_of(const struct vector *v, uint32_t i, struct array_elem *e) {
  memset(e, 0, sizeof *e);
  switch (v->type.id) {
  case TYPE_BOOLEAN: e->i = vector_u8(v)[i]; break;
  case TYPE_INT:
  case TYPE_DATE: e->i = vector_i32(v)[i]; break;
  case TYPE_DOUBLE: e->d = vector_f64(v)[i]; break;
  case TYPE_STRING: e->s = vector_sv(v)[i]; break;
  default: e->i = vector_i64(v)[i]; break;
  }
}

static int k_contains(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  eval_valid_args(rt, nd);
  uint8_t *o = nd->vec.data;
  enum type_id el = type_elem_id(ARG(0)->type);
  const struct sv *s = ARG(0)->data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem want, e;
    elem_of(ARG(1), i, &want);
    struct array_iter it;
    if (array_iter_init(&it, s[i], el)) return corrupt(rt);
    int found = 0, saw_null = 0, r;
    while (!found && (r = array_iter_next(&it, &e)) == 1) {
      if (e.is_null) saw_null = 1;
      else if (array_elem_cmp(el, &e, &want) == 0) found = 1;
    }
    if (!found && r < 0) return corrupt(rt);
    o[i] = (uint8_t)found;
    /* Spark: not found but the array holds a NULL -> NULL. */
    if (!found && saw_null) bitmap_clear(nd->vec.validity, i);
  });
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  const struct array_elem *x = a, *y = b;
  return (x->i > y->i) - (x->i < y->i);
}

static int cmp_dbl(const void *a, const void *b) {
  return array_elem_cmp(TYPE_DOUBLE, a, b);
}

static int cmp_str(const void *a, const void *b) {
  return array_elem_cmp(TYPE_STRING, a, b);
}

static int (*cmp_for(enum type_id el))(const void *, const void *) {
  return el == TYPE_DOUBLE ? cmp_dbl : el == TYPE_STRING ? cmp_str : cmp_int;
}

/* Non-NULL elements of v[0..n) first (in order), NULLs after; returns how
 * many are not NULL. */
static uint32_t nulls_last(struct array_elem *v, uint32_t n) {
  uint32_t m = 0;
  for (uint32_t k = 0; k < n; k++)
    if (!v[k].is_null) {
      struct array_elem t = v[m];
      v[m++] = v[k];
      v[k] = t;
    }
  return m;
}

/* sort_array(a, asc): NULLs first ascending, last descending (Spark). */
static int k_sort(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_copy(nd->vec.validity, ARG(0)->validity, rt->nwords);
  enum type_id el = type_elem_id(nd->type);
  const struct sv *s = ARG(0)->data;
  struct sv *o = nd->vec.data;
  int asc = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem *v;
    uint32_t cnt;
    int rc = array_decode(s[i], el, &v, &cnt);
    if (rc) return rc == ERR_NOMEM ? err_set(rt->err, rc, "out of memory") : corrupt(rt);
    uint32_t m = nulls_last(v, cnt);
    qsort(v, m, sizeof *v, cmp_for(el));
    if (!asc)
      for (uint32_t a = 0, b = m ? m - 1 : 0; a < b; a++, b--) {
        struct array_elem t = v[a];
        v[a] = v[b];
        v[b] = t;
      }
    if (asc && m < cnt) { /* move the NULLs to the front */
      struct array_elem *w = malloc(sizeof *w * cnt);
      if (!w) {
        free(v);
        return err_set(rt->err, ERR_NOMEM, "out of memory");
      }
      memcpy(w, v + m, sizeof *w * (cnt - m));
      memcpy(w + (cnt - m), v, sizeof *w * m);
      free(v);
      v = w;
    }
    rc = array_build(&rt->p->heap, el, v, cnt, &o[i]);
    free(v);
    if (rc) return err_set(rt->err, rc, "out of memory building an array");
  });
  return 0;
}

/* An element with its position, for array_distinct. */
struct ie {
  struct array_elem e;
  uint32_t idx;
};

#define IE_CMP(name, el)                                       \
  static int name(const void *a, const void *b) {              \
    const struct ie *x = a, *y = b;                            \
    int c = array_elem_cmp(el, &x->e, &y->e);                  \
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);      \
  }
IE_CMP(ie_int, TYPE_BIGINT)
IE_CMP(ie_dbl, TYPE_DOUBLE)
IE_CMP(ie_str, TYPE_STRING)

static int ie_pos(const void *a, const void *b) {
  const struct ie *x = a, *y = b;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* array_distinct(a): first occurrence of each value (and of NULL), in order. */
static int k_distinct(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  eval_valid_copy(nd->vec.validity, ARG(0)->validity, rt->nwords);
  enum type_id el = type_elem_id(nd->type);
  const struct sv *s = ARG(0)->data;
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem *v;
    uint32_t cnt;
    int rc = array_decode(s[i], el, &v, &cnt);
    if (rc) return rc == ERR_NOMEM ? err_set(rt->err, rc, "out of memory") : corrupt(rt);
    struct ie *w = malloc(sizeof *w * (cnt ? cnt : 1));
    if (!w) {
      free(v);
      return err_set(rt->err, ERR_NOMEM, "out of memory");
    }
    uint32_t m = 0;
    int null_seen = 0;
    for (uint32_t k = 0; k < cnt; k++) {
      if (v[k].is_null && null_seen) continue;
      null_seen |= v[k].is_null;
      w[m].e = v[k];
      w[m++].idx = k;
    }
    /* Sort by (NULL first, value, position), keep each run's first entry,
     * then restore the positions' order. */
    uint32_t lo = 0;
    for (uint32_t k = 0; k < m; k++)
      if (w[k].e.is_null) {
        struct ie t = w[0];
        w[0] = w[k];
        w[k] = t;
        lo = 1;
        break;
      }
    qsort(w + lo, m - lo, sizeof *w, el == TYPE_DOUBLE ? ie_dbl : el == TYPE_STRING ? ie_str : ie_int);
    uint32_t kept = lo;
    for (uint32_t k = lo; k < m; k++)
      if (k == lo || array_elem_cmp(el, &w[k].e, &w[kept - 1].e) != 0) w[kept++] = w[k];
    qsort(w, kept, sizeof *w, ie_pos);
    for (uint32_t k = 0; k < kept; k++) v[k] = w[k].e;
    rc = array_build(&rt->p->heap, el, v, kept, &o[i]);
    free(w);
    free(v);
    if (rc) return err_set(rt->err, rc, "out of memory building an array");
  });
  return 0;
}

int eval_array_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  const struct expr *e = nd->e;
  enum expr_fn fn = e->u.func.fn;
  int want = fn == FN_SIZE || fn == FN_ARRAY_DISTINCT ? 1 : 2;
  if (nd->nargs != want || nd->args[0]->type.id != TYPE_ARRAY ||
      !array_elem_ok(type_elem_id(nd->args[0]->type)))
    return err_set_at(err, ERR_INVAL, e->pos.line, e->pos.column,
                      "internal error: %s() expects an array argument", expr_fn_name(fn));
  switch (fn) {
  case FN_SIZE: nd->kern = k_size; return 0;
  case FN_ARRAY_CONTAINS:
    if (nd->args[1]->type.id != type_elem_id(nd->args[0]->type))
      return err_set_at(err, ERR_INVAL, e->pos.line, e->pos.column,
                        "internal error: array_contains() value of another type");
    nd->kern = k_contains;
    return 0;
  case FN_SORT_ARRAY:
    if (!nd->args[1]->is_const || nd->args[1]->type.id != TYPE_BOOLEAN)
      return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                        "sort_array() needs a constant BOOLEAN order (true or false)");
    nd->op = nd->args[1]->cval.is_null ? 1 : nd->args[1]->cval.i != 0;
    nd->kern = k_sort;
    return 0;
  case FN_ARRAY_DISTINCT: nd->kern = k_distinct; return 0;
  default:
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "this array function is not supported by the local engine");
  }
}
