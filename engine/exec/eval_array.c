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


static int same_type(struct type a, struct type b) {
  return a.id == b.id && a.precision == b.precision && a.scale == b.scale;
}

/* ---- array(), element access, array_join and the element-list functions -- */

/* Store non-NULL element e in row i of v (v's type is the element type). */
static void put_elem(struct vector *v, uint32_t i, const struct array_elem *e) {
  switch (v->type.id) {
  case TYPE_BOOLEAN: vector_u8(v)[i] = (uint8_t)e->i; break;
  case TYPE_INT:
  case TYPE_DATE: vector_i32(v)[i] = (int32_t)e->i; break;
  case TYPE_DOUBLE: vector_f64(v)[i] = e->d; break;
  case TYPE_STRING: vector_sv(v)[i] = e->s; break;
  default: vector_i64(v)[i] = e->i; break;
  }
}

static int built(struct eval_rt *rt, int rc) {
  if (rc == ERR_TOOBIG)
    return err_set(rt->err, rc, "an array would have more than %u elements", ARRAY_MAX_COUNT);
  return rc ? err_set(rt->err, rc, "out of memory building an array") : 0;
}

static int decoded(struct eval_rt *rt, int rc) {
  return rc == ERR_NOMEM ? err_set(rt->err, rc, "out of memory") : corrupt(rt);
}

/* array(e1, ..., en): never NULL; NULL arguments are NULL elements. */
static int k_array(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_set(nd->vec.validity, rt->nwords);
  enum type_id el = type_elem_id(nd->type);
  int na = nd->nargs;
  struct sv *o = nd->vec.data;
  struct array_elem one, *v = na > 1 ? malloc(sizeof *v * (size_t)na) : &one;
  if (!v) return err_set(rt->err, ERR_NOMEM, "out of memory");
  int rc = 0;
  EVAL_FOR_SEL(i, sel, n, {
    for (int k = 0; k < na; k++) {
      const struct vector *a = ARG(k);
      if (bitmap_get(a->validity, i)) elem_of(a, i, &v[k]);
      else {
        memset(&v[k], 0, sizeof v[k]);
        v[k].is_null = 1;
      }
    }
    if ((rc = array_build(&rt->p->heap, el, v, (uint32_t)na, &o[i]))) break;
  });
  if (v != &one) free(v);
  return built(rt, rc);
}

/* Element k (0-based, in range) of a into *e: 0 or a corrupt-value error. */
static int elem_at(struct eval_rt *rt, struct sv a, enum type_id el, uint32_t k,
                   struct array_elem *e) {
  struct array_iter it;
  if (array_iter_init(&it, a, el)) return corrupt(rt);
  for (uint32_t j = 0; j <= k; j++)
    if (array_iter_next(&it, e) != 1) return corrupt(rt);
  return 0;
}

/* element_at(a, i) (op 0: 1-based, negative from the end, 0 an error) and
 * a[i] / get(a, i) (op 1: 0-based). Out of range: NULL, or Spark's error
 * in ANSI mode unless try_eval (get, try_element_at). */
static int k_elem_at(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(ARG(0)->type);
  const struct sv *s = ARG(0)->data;
  const int32_t *ix = vector_i32(ARG(1));
  int strict = nd->e->ansi && !nd->e->try_eval, one_based = nd->op == 0;
  const struct expr *e = nd->e;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int64_t idx = ix[i], cnt = array_count(s[i]), k;
    if (one_based && idx == 0) {
      if (nd->e->try_eval) {
        bitmap_clear(nd->vec.validity, i);
        continue;
      }
      return err_set_at(rt->err, ERR_SQL, e->pos.line, e->pos.column,
                        "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be "
                        "either < 0 or > 0 (the first element has index 1).");
    }
    k = !one_based ? idx : idx > 0 ? idx - 1 : cnt + idx;
    if (k < 0 || k >= cnt) {
      if (strict && one_based)
        return err_set_at(rt->err, ERR_SQL, e->pos.line, e->pos.column,
                          "[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index %lld is out of bounds. "
                          "The array has %lld elements. Use `try_element_at` to tolerate "
                          "accessing element at invalid index and return NULL instead. "
                          EVAL_ANSI_HINT, (long long)idx, (long long)cnt);
      if (strict)
        return err_set_at(rt->err, ERR_SQL, e->pos.line, e->pos.column,
                          "[INVALID_ARRAY_INDEX] The index %lld is out of bounds. The array has "
                          "%lld elements. Use the SQL function `get()` to tolerate accessing "
                          "element at invalid index and return NULL instead. " EVAL_ANSI_HINT,
                          (long long)idx, (long long)cnt);
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    struct array_elem x;
    int erc = elem_at(rt, s[i], el, (uint32_t)k, &x);
    if (erc) return erc;
    if (x.is_null) bitmap_clear(nd->vec.validity, i);
    else put_elem(&nd->vec, i, &x);
  });
  return 0;
}

/* array_join(a, delim[, null_replacement]): elements as CAST(x AS STRING);
 * NULL elements skipped, or replaced when a replacement is given. */
static int k_join(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(ARG(0)->type);
  int scale = type_elem(ARG(0)->type).scale;
  const struct sv *s = ARG(0)->data, *d = vector_sv(ARG(1));
  const struct sv *r = nd->nargs > 2 ? vector_sv(ARG(2)) : NULL;
  struct sv *o = nd->vec.data;
  struct buf *t = &rt->p->tmp;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_iter it;
    struct array_elem x;
    if (array_iter_init(&it, s[i], el)) return corrupt(rt);
    t->len = 0;
    int first = 1, got, rc = 0;
    while (!rc && (got = array_iter_next(&it, &x)) == 1) {
      if (x.is_null && !r) continue;
      if (!first) rc = buf_append(t, d[i].ptr, d[i].len);
      first = 0;
      if (!rc) rc = x.is_null ? buf_append(t, r[i].ptr, r[i].len)
                              : array_elem_text(el, scale, &x, t);
    }
    if (rc) return err_set(rt->err, rc, "out of memory joining an array");
    if (got < 0) return corrupt(rt);
    if (t->len > UINT32_MAX) return err_set(rt->err, ERR_TOOBIG, "array_join() result too long");
    char *m = t->len ? eval_heap_alloc(rt, t->len) : NULL;
    if (t->len && !m) return ERR_NOMEM;
    if (t->len) memcpy(m, t->data, t->len);
    o[i] = sv_make(m ? m : "", (uint32_t)t->len);
  });
  return 0;
}

/* array_position(a, v): 1-based first match (BIGINT), 0 when absent. */
static int k_position(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  eval_valid_args(rt, nd);
  int64_t *o = nd->vec.data;
  enum type_id el = type_elem_id(ARG(0)->type);
  const struct sv *s = ARG(0)->data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem want, x;
    elem_of(ARG(1), i, &want);
    struct array_iter it;
    if (array_iter_init(&it, s[i], el)) return corrupt(rt);
    int64_t pos = 0, k = 0;
    int r;
    while (!pos && (r = array_iter_next(&it, &x)) == 1) {
      k++;
      if (!x.is_null && array_elem_cmp(el, &x, &want) == 0) pos = k;
    }
    if (!pos && r < 0) return corrupt(rt);
    o[i] = pos;
  });
  return 0;
}

/* array_remove(a, v): a without the elements equal to v (NULLs stay). */
static int k_remove(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(nd->type);
  const struct sv *s = ARG(0)->data;
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem want, *v;
    uint32_t cnt, m = 0;
    elem_of(ARG(1), i, &want);
    int rc = array_decode(s[i], el, &v, &cnt);
    if (rc) return decoded(rt, rc);
    for (uint32_t k = 0; k < cnt; k++)
      if (v[k].is_null || array_elem_cmp(el, &v[k], &want) != 0) v[m++] = v[k];
    rc = array_build(&rt->p->heap, el, v, m, &o[i]);
    free(v);
    if (rc) return built(rt, rc);
  });
  return 0;
}

/* array_max / array_min (op 1 / 0): NULLs skipped, NULL when none; NaN is
 * above every number (Spark's ordering). */
static int k_maxmin(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_copy(nd->vec.validity, ARG(0)->validity, rt->nwords);
  enum type_id el = type_elem_id(ARG(0)->type);
  const struct sv *s = ARG(0)->data;
  int want_max = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_iter it;
    struct array_elem x, best;
    int have = 0, r;
    if (array_iter_init(&it, s[i], el)) return corrupt(rt);
    while ((r = array_iter_next(&it, &x)) == 1) {
      if (x.is_null) continue;
      int c = have ? array_elem_cmp(el, &x, &best) : 0;
      if (!have || (want_max ? c > 0 : c < 0)) best = x;
      have = 1;
    }
    if (r < 0) return corrupt(rt);
    if (have) put_elem(&nd->vec, i, &best);
    else bitmap_clear(nd->vec.validity, i);
  });
  return 0;
}

/* slice(a, start, length): start 1-based or negative from the end; a start
 * outside the array gives []. */
static int k_slice(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(nd->type);
  const struct sv *s = ARG(0)->data;
  const int32_t *st = vector_i32(ARG(1)), *ln = vector_i32(ARG(2));
  struct sv *o = nd->vec.data;
  const struct expr *e = nd->e;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (st[i] == 0)
      return err_set_at(rt->err, ERR_SQL, e->pos.line, e->pos.column,
                        "[INVALID_PARAMETER_VALUE.START] The value of parameter(s) `start` in "
                        "`slice` is invalid: Expects a positive or a negative value for `start`, "
                        "but got 0.");
    if (ln[i] < 0)
      return err_set_at(rt->err, ERR_SQL, e->pos.line, e->pos.column,
                        "[INVALID_PARAMETER_VALUE.LENGTH] The value of parameter(s) `length` in "
                        "`slice` is invalid: Expects `length` greater than or equal to 0, but "
                        "got %d.",
                        (int)ln[i]);
    struct array_elem *v;
    uint32_t cnt;
    int rc = array_decode(s[i], el, &v, &cnt);
    if (rc) return decoded(rt, rc);
    int64_t from = st[i] < 0 ? (int64_t)st[i] + cnt : (int64_t)st[i] - 1, m = 0;
    if (from >= 0 && from < (int64_t)cnt) {
      m = (int64_t)cnt - from;
      if (m > ln[i]) m = ln[i];
    } else from = 0;
    rc = array_build(&rt->p->heap, el, v + from, (uint32_t)m, &o[i]);
    free(v);
    if (rc) return built(rt, rc);
  });
  return 0;
}

/* concat(a1, ..., an) of arrays: NULL when any is NULL. */
static int k_concat(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(nd->type);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    uint64_t total = 0;
    for (int k = 0; k < nd->nargs; k++) total += array_count(vector_sv(ARG(k))[i]);
    if (total > ARRAY_MAX_COUNT) return built(rt, ERR_TOOBIG);
    struct array_elem *all = malloc(sizeof *all * (size_t)(total ? total : 1));
    if (!all) return err_set(rt->err, ERR_NOMEM, "out of memory");
    uint32_t m = 0;
    int rc = 0;
    for (int k = 0; !rc && k < nd->nargs; k++) {
      struct array_iter it;
      struct array_elem x;
      int r;
      if (array_iter_init(&it, vector_sv(ARG(k))[i], el)) rc = ERR_PARSE;
      while (!rc && (r = array_iter_next(&it, &x)) == 1) {
        if (m == total) rc = ERR_PARSE; /* counts lied */
        else all[m++] = x;
      }
      if (!rc && r < 0) rc = ERR_PARSE;
    }
    if (!rc) rc = array_build(&rt->p->heap, el, all, m, &o[i]);
    free(all);
    if (rc == ERR_PARSE) return corrupt(rt);
    if (rc) return built(rt, rc);
  });
  return 0;
}

static int same_elem(enum type_id el, const struct array_elem *x, const struct array_elem *y) {
  if (x->is_null || y->is_null) return x->is_null && y->is_null;
  return array_elem_cmp(el, x, y) == 0;
}

static int has_elem(enum type_id el, const struct array_elem *v, uint32_t n,
                    const struct array_elem *x) {
  for (uint32_t k = 0; k < n; k++)
    if (same_elem(el, &v[k], x)) return 1;
  return 0;
}

/* array_union / array_intersect / array_except (op 0 / 1 / 2): distinct
 * elements (NULL is one value) in first-seen order. Quadratic in the
 * lengths, which keeps the order without a hash table. */
static int k_setop(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  enum type_id el = type_elem_id(nd->type);
  const struct sv *sa = ARG(0)->data, *sb = ARG(1)->data;
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct array_elem *a, *b, *w;
    uint32_t na, nb, m = 0;
    int rc = array_decode(sa[i], el, &a, &na);
    if (rc) return decoded(rt, rc);
    if ((rc = array_decode(sb[i], el, &b, &nb))) {
      free(a);
      return decoded(rt, rc);
    }
    w = malloc(sizeof *w * ((size_t)na + nb + 1));
    if (!w) rc = ERR_NOMEM;
    for (uint32_t k = 0; !rc && k < na; k++) {
      int in_b = nd->op ? has_elem(el, b, nb, &a[k]) : 0;
      int keep = nd->op == 0 || (nd->op == 1 ? in_b : !in_b);
      if (keep && !has_elem(el, w, m, &a[k])) w[m++] = a[k];
    }
    for (uint32_t k = 0; !rc && nd->op == 0 && k < nb; k++)
      if (!has_elem(el, w, m, &b[k])) w[m++] = b[k];
    if (!rc) rc = array_build(&rt->p->heap, el, w, m, &o[i]);
    free(w);
    free(a);
    free(b);
    if (rc) return built(rt, rc);
  });
  return 0;
}

/* The functions above: arguments already coerced by the analyzer
 * (engine/analyze/funcs_array.c); checked again so a bad plan is an
 * internal error, never a misread. */
static int compile_more(struct eval_node *nd, struct err *err) {
  const struct expr *e = nd->e;
  enum expr_fn fn = e->u.func.fn;
  int ok = nd->nargs >= 1;
  if (fn == FN_ARRAY) {
    ok = nd->type.id == TYPE_ARRAY && array_elem_ok(type_elem_id(nd->type));
    for (int k = 0; ok && k < nd->nargs; k++)
      ok = nd->args[k]->type.id == type_elem_id(nd->type);
  } else {
    ok = ok && nd->args[0]->type.id == TYPE_ARRAY && array_elem_ok(type_elem_id(nd->args[0]->type));
    for (int k = 1; ok && k < nd->nargs; k++) {
      enum type_id t = nd->args[k]->type.id;
      switch (fn) {
      case FN_ELEMENT_AT:
      case FN_ARRAY_SUBSCRIPT:
      case FN_SLICE: ok = t == TYPE_INT; break;
      case FN_ARRAY_JOIN: ok = t == TYPE_STRING; break;
      case FN_ARRAY_POSITION:
      case FN_ARRAY_REMOVE: ok = t == type_elem_id(nd->args[0]->type); break;
      default: ok = same_type(nd->args[k]->type, nd->args[0]->type); break;
      }
    }
  }
  static const int want[][2] = {{FN_ELEMENT_AT, 2}, {FN_ARRAY_SUBSCRIPT, 2}, {FN_ARRAY_POSITION, 2},
                                {FN_ARRAY_REMOVE, 2}, {FN_ARRAY_MAX, 1}, {FN_ARRAY_MIN, 1},
                                {FN_SLICE, 3}, {FN_ARRAY_UNION, 2}, {FN_ARRAY_INTERSECT, 2},
                                {FN_ARRAY_EXCEPT, 2}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (want[k][0] == (int)fn && nd->nargs != want[k][1]) ok = 0;
  if (fn == FN_ARRAY_JOIN && nd->nargs != 2 && nd->nargs != 3) ok = 0;
  if (!ok)
    return err_set_at(err, ERR_INVAL, e->pos.line, e->pos.column,
                      "internal error: %s() arguments of unexpected types", expr_fn_name(fn));
  switch (fn) {
  case FN_ARRAY: nd->kern = k_array; return 0;
  case FN_ELEMENT_AT: nd->op = 0; nd->kern = k_elem_at; return 0;
  case FN_ARRAY_SUBSCRIPT: nd->op = 1; nd->kern = k_elem_at; return 0;
  case FN_ARRAY_JOIN: nd->kern = k_join; return 0;
  case FN_ARRAY_POSITION: nd->kern = k_position; return 0;
  case FN_ARRAY_REMOVE: nd->kern = k_remove; return 0;
  case FN_ARRAY_MAX: nd->op = 1; nd->kern = k_maxmin; return 0;
  case FN_ARRAY_MIN: nd->op = 0; nd->kern = k_maxmin; return 0;
  case FN_SLICE: nd->kern = k_slice; return 0;
  case FN_ARRAY_CONCAT: nd->kern = k_concat; return 0;
  case FN_ARRAY_UNION: nd->op = 0; nd->kern = k_setop; return 0;
  case FN_ARRAY_INTERSECT: nd->op = 1; nd->kern = k_setop; return 0;
  case FN_ARRAY_EXCEPT: nd->op = 2; nd->kern = k_setop; return 0;
  default:
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "this array function is not supported by the local engine");
  }
}

int eval_array_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  const struct expr *e = nd->e;
  enum expr_fn fn = e->u.func.fn;
  switch (fn) {
  case FN_ARRAY: case FN_ELEMENT_AT: case FN_ARRAY_SUBSCRIPT: case FN_ARRAY_JOIN:
  case FN_ARRAY_POSITION: case FN_ARRAY_REMOVE: case FN_ARRAY_MAX: case FN_ARRAY_MIN:
  case FN_SLICE: case FN_ARRAY_CONCAT: case FN_ARRAY_UNION: case FN_ARRAY_INTERSECT:
  case FN_ARRAY_EXCEPT: return compile_more(nd, err);
  default: break;
  }
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
