/* test_ops.c: unit tests of the physical operators (engine/exec/op.h):
 * basic operators, hash aggregation (all modes, DISTINCT, spilling), joins
 * of every type (NULL keys, duplicates, residual conditions, null-aware
 * anti, fan-out, spilling), sort (every type, ASC/DESC, NULLS FIRST/LAST,
 * top-N, external sort) and window functions. Results are compared as
 * sorted (or ordered) lists of rows rendered as text. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec/batchio.h"
#include "engine/exec/mem.h"
#include "engine/exec/op.h"
#include "engine/vec/batch.h"
#include "tests/tap.h"
#include "tests/unit/exprs.h"

static const struct type T_INT = {TYPE_INT, 0, 0}, T_BIG = {TYPE_BIGINT, 0, 0},
                         T_DBL = {TYPE_DOUBLE, 0, 0}, T_STR = {TYPE_STRING, 0, 0},
                         T_BOOL = {TYPE_BOOLEAN, 0, 0}, T_DATE = {TYPE_DATE, 0, 0};

static struct mem_budget budget;
static atomic_int cancel_flag;
static char spill_dir[256];
static struct task_ctx task;

static void task_reset(int64_t cap) {
  mem_budget_init(&budget, cap);
  mem_task_begin(&budget);
  memset(&task, 0, sizeof task);
  task.mem = &budget;
  task.spill_dir = spill_dir;
  task.cancel = &cancel_flag;
}

static int spill_dir_empty(void) {
  DIR *d = opendir(spill_dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n == 0;
}

/* ---- batches ---- */

static struct batch **bpool;
static int nbpool, capbpool;

static struct batch *newbatch(const struct type *types, int ncols, uint32_t cap) {
  struct batch *b = batch_new(types, ncols, cap, ARENA_UNLIMITED);
  if (nbpool == capbpool) {
    capbpool = capbpool ? 2 * capbpool : 1024;
    bpool = realloc(bpool, sizeof *bpool * (size_t)capbpool);
  }
  bpool[nbpool++] = b;
  return b;
}

static void free_batches(void) {
  for (int i = 0; i < nbpool; i++) batch_free(bpool[i]);
  nbpool = 0;
  free(bpool);
  bpool = NULL;
  capbpool = 0;
}

/* Put a value given as text ("NULL" for NULL) into row i of column c. */
static void put(struct batch *b, int c, uint32_t i, const char *s) {
  struct vector *v = &b->cols[c];
  if (!s || !strcmp(s, "NULL")) {
    vector_set_null(v, i);
    return;
  }
  bitmap_set(v->validity, i);
  switch (v->type.id) {
  case TYPE_BOOLEAN: vector_u8(v)[i] = !strcmp(s, "true"); break;
  case TYPE_INT:
  case TYPE_DATE: vector_i32(v)[i] = atoi(s); break;
  case TYPE_DOUBLE: vector_f64(v)[i] = atof(s); break;
  case TYPE_STRING: vector_set_str(v, i, s, strlen(s)); break;
  default: vector_i64(v)[i] = atoll(s); break;
  }
}

/* Batch from rows of '|'-separated text values. */
static struct batch *rows_batch(const struct type *types, int ncols, const char *const *rows,
                                int n) {
  struct batch *b = newbatch(types, ncols, n ? (uint32_t)n : 1);
  for (int r = 0; r < n; r++) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", rows[r]);
    char *save = NULL, *tok = strtok_r(tmp, "|", &save);
    for (int c = 0; c < ncols; c++) {
      put(b, c, (uint32_t)r, tok ? tok : "NULL");
      tok = strtok_r(NULL, "|", &save);
    }
  }
  batch_set_rows(b, (uint32_t)n);
  return b;
}

static struct op *src(const struct type *types, int ncols, struct batch **bs, int n) {
  struct err e;
  return op_batches(&task, types, ncols, bs, n, &e);
}

/* Source of rows split into batches of `per` rows. */
static struct op *src_rows(const struct type *types, int ncols, const char *const *rows, int n,
                           int per) {
  int nb = (n + per - 1) / per;
  struct batch **bs = calloc((size_t)nb + 1, sizeof *bs);
  for (int i = 0; i < nb; i++) {
    int m = n - i * per < per ? n - i * per : per;
    bs[i] = rows_batch(types, ncols, rows + i * per, m);
  }
  /* The array must outlive the op: park it in the batch pool as a fake. */
  static struct batch **keep[4096];
  static int nkeep;
  if (nkeep < 4096) keep[nkeep++] = bs;
  if (types == NULL) { /* never: silences set-but-unused */
    for (int i = 0; i < nkeep; i++) free(keep[i]);
  }
  return src(types, ncols, bs, nb);
}

/* ---- results ---- */

struct rows {
  char **r;
  int n, cap;
  int batches, max_batch, empty_batches;
};

static void rows_free(struct rows *x) {
  for (int i = 0; i < x->n; i++) free(x->r[i]);
  free(x->r);
  memset(x, 0, sizeof *x);
}

static int drain(struct op *op, struct rows *x, struct err *e) {
  memset(x, 0, sizeof *x);
  struct batch *b;
  int rc;
  struct buf line;
  buf_init(&line, 1 << 20);
  while ((rc = op_next(op, &b, e)) > 0) {
    x->batches++;
    if (b->nrows == 0) x->empty_batches++;
    if ((int)b->nrows > x->max_batch) x->max_batch = (int)b->nrows;
    for (uint32_t i = 0; i < b->nrows; i++) {
      buf_reset(&line);
      for (int c = 0; c < b->ncols; c++) {
        if (c) buf_putc(&line, '|');
        vector_to_text(&b->cols[c], i, &line);
      }
      if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        x->r = realloc(x->r, sizeof *x->r * (size_t)x->cap);
      }
      x->r[x->n++] = strdup(line.data ? line.data : "");
    }
  }
  buf_fini(&line);
  return rc;
}

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rows_sort(struct rows *x) {
  if (x->n) qsort(x->r, (size_t)x->n, sizeof *x->r, cmpstr);
}

/* Compare x (sorted when `sorted`) to expected rows. */
static int rows_eq(struct rows *x, const char *const *want, int n, int sorted) {
  if (sorted) rows_sort(x);
  char **w = calloc((size_t)n + 1, sizeof *w);
  for (int i = 0; i < n; i++) w[i] = (char *)want[i];
  if (sorted) qsort(w, (size_t)n, sizeof *w, cmpstr);
  int ok = x->n == n;
  for (int i = 0; ok && i < n; i++)
    if (strcmp(x->r[i], w[i])) {
      printf("#   row %d: got '%s' want '%s'\n", i, x->r[i], w[i]);
      ok = 0;
    }
  if (x->n != n) {
    printf("#   got %d rows, want %d\n", x->n, n);
    for (int i = 0; i < x->n && i < 20; i++) printf("#     %s\n", x->r[i]);
  }
  free(w);
  return ok;
}

static int rows_same(struct rows *a, struct rows *b) {
  if (a->n != b->n) {
    printf("#   %d rows vs %d rows\n", a->n, b->n);
    return 0;
  }
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->r[i], b->r[i])) {
      printf("#   row %d: '%s' vs '%s'\n", i, a->r[i], b->r[i]);
      return 0;
    }
  return 1;
}

/* ================= basic operators ================= */

static void test_basic(void) {
  task_reset(0);
  struct err e;
  const char *r1[] = {"1|a|true", "2|b|false", "3|NULL|true"};
  const char *r2[] = {"4|d|NULL", "5|e|true"};
  struct type t3[] = {T_INT, T_STR, T_BOOL};
  struct batch *bs[] = {rows_batch(t3, 3, r1, 3), newbatch(t3, 3, 1), rows_batch(t3, 3, r2, 2)};
  struct rows x;
  struct op *op = src(t3, 3, bs, 3);
  TAP_EQ_INT(drain(op, &x, &e), 0, "batches: drains");
  TAP_OK(x.n == 5 && x.empty_batches == 0, "batches: 5 rows, empty batch skipped");
  op_close(op);
  rows_free(&x);

  op = op_filter(&task, src(t3, 3, bs, 3), col(2, T_BOOL), &e);
  drain(op, &x, &e);
  const char *wf[] = {"1|a|true", "3|NULL|true", "5|e|true"};
  TAP_OK(rows_eq(&x, wf, 3, 0), "filter on a BOOLEAN column (NULL is not true)");
  op_close(op);
  rows_free(&x);

  struct expr *pe[] = {col(1, T_STR), col(0, T_INT)};
  op = op_project(&task, src(t3, 3, bs, 3), pe, 2, &e);
  drain(op, &x, &e);
  const char *wp[] = {"a|1", "b|2", "NULL|3", "d|4", "e|5"};
  TAP_OK(rows_eq(&x, wp, 5, 0) && op->ncols == 2 && op->types[0].id == TYPE_STRING,
         "project: reorder column references");
  op_close(op);
  rows_free(&x);

  op = op_limit(&task, src(t3, 3, bs, 3), 2, 2, &e);
  drain(op, &x, &e);
  const char *wl[] = {"3|NULL|true", "4|d|NULL"};
  TAP_OK(rows_eq(&x, wl, 2, 0), "limit 2 offset 2 across batches");
  op_close(op);
  rows_free(&x);

  op = op_limit(&task, src(t3, 3, bs, 3), -1, 4, &e);
  drain(op, &x, &e);
  TAP_OK(x.n == 1 && !strcmp(x.r[0], "5|e|true"), "offset only");
  op_close(op);
  rows_free(&x);

  struct op *kids[] = {src(t3, 3, bs, 1), src(t3, 3, bs + 2, 1)};
  op = op_union(&task, kids, 2, &e);
  drain(op, &x, &e);
  TAP_EQ_INT(x.n, 5, "union all concatenates");
  op_close(op);
  rows_free(&x);

  op = op_range(&task, 0, 10000, 3, &e);
  drain(op, &x, &e);
  TAP_OK(x.n == 3334 && !strcmp(x.r[3333], "9999") && x.max_batch <= 4096, "range with step");
  op_close(op);
  rows_free(&x);
  op = op_range(&task, 5, -5, -4, &e);
  drain(op, &x, &e);
  TAP_OK(x.n == 3 && !strcmp(x.r[2], "-3"), "range with a negative step");
  op_close(op);
  rows_free(&x);
  op = op_range(&task, 5, 5, 1, &e);
  drain(op, &x, &e);
  TAP_EQ_INT(x.n, 0, "empty range");
  op_close(op);
  rows_free(&x);

  /* Filter with a real predicate through the evaluator: id > 2. */
  op = op_filter(&task, src(t3, 3, bs, 3), fn2(FN_GT, T_BOOL, col(0, T_INT), lit_int(2, T_INT)),
                 &e);
  TAP_OK(op != NULL, "filter with an evaluated predicate compiles");
  if (op) {
    drain(op, &x, &e);
    const char *wg[] = {"3|NULL|true", "4|d|NULL", "5|e|true"};
    TAP_OK(rows_eq(&x, wg, 3, 0), "filter id > 2");
    op_close(op);
    rows_free(&x);
  }
  /* Project a computed column: id * 10, next to a column reference. */
  struct expr *pc[] = {fn2(FN_MUL, T_INT, col(0, T_INT), lit_int(10, T_INT)), col(1, T_STR)};
  op = op_project(&task, src(t3, 3, bs, 3), pc, 2, &e);
  TAP_OK(op != NULL, "project with an evaluated expression");
  if (op) {
    drain(op, &x, &e);
    const char *wc[] = {"10|a", "20|b", "30|NULL", "40|d", "50|e"};
    TAP_OK(rows_eq(&x, wc, 5, 0), "project id * 10");
    op_close(op);
    rows_free(&x);
  }
  /* Group by a computed key: id % 2. */
  struct expr *gk[] = {fn2(FN_MOD, T_INT, col(0, T_INT), lit_int(2, T_INT))};
  struct plan_agg_call gc[1];
  memset(gc, 0, sizeof gc);
  gc[0].fn = AGG_SUM;
  gc[0].arg = col(0, T_INT);
  gc[0].type = T_BIG;
  op = op_hash_agg(&task, src(t3, 3, bs, 3), AGG_COMPLETE, gk, 1, gc, 1, &e);
  drain(op, &x, &e);
  const char *wk[] = {"0|6", "1|9"};
  TAP_OK(rows_eq(&x, wk, 2, 1), "group by a computed key");
  op_close(op);
  rows_free(&x);
  atomic_store(&cancel_flag, 1);
  op = src(t3, 3, bs, 3);
  struct batch *b;
  TAP_EQ_INT(op_next(op, &b, &e), ERR_CANCELLED, "cancel is honoured");
  op_close(op);
  atomic_store(&cancel_flag, 0);
}

/* ================= aggregation ================= */

static struct plan_agg_call call(enum agg_fn fn, struct expr *arg, struct type t) {
  struct plan_agg_call c;
  memset(&c, 0, sizeof c);
  c.fn = fn;
  c.arg = arg;
  c.type = t;
  return c;
}

static void test_agg_small(void) {
  task_reset(0);
  struct err e;
  struct type t[] = {T_STR, T_INT, T_DBL, T_STR};
  const char *rows[] = {
      "a|1|1.5|x", "b|2|NULL|y", "a|NULL|2.5|z", "a|4|NULL|NULL", "NULL|5|10|w",
      "b|6|3|q",   "NULL|NULL|NULL|NULL", "c|NULL|NULL|NULL",
  };
  struct type T_DEC = {TYPE_DECIMAL, 10, 2};
  (void)T_DEC;
  struct plan_agg_call calls[] = {
      call(AGG_COUNT_STAR, NULL, T_BIG),      call(AGG_COUNT, col(1, T_INT), T_BIG),
      call(AGG_SUM, col(1, T_INT), T_BIG),    call(AGG_SUM, col(2, T_DBL), T_DBL),
      call(AGG_AVG, col(1, T_INT), T_DBL),    call(AGG_MIN, col(3, T_STR), T_STR),
      call(AGG_MAX, col(3, T_STR), T_STR),    call(AGG_MAX, col(1, T_INT), T_INT),
      call(AGG_VAR_SAMP, col(1, T_INT), T_DBL),
  };
  int nc = 9;
  struct expr *keys[] = {col(0, T_STR)};
  const char *want[] = {
      "a|3|2|5|4.0|2.5|x|z|4|4.5",
      "b|2|2|8|3.0|4.0|q|y|6|8.0",
      "NULL|2|1|5|10.0|5.0|w|w|5|NULL",
      "c|1|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
  };
  struct rows x, y;
  for (int per = 1; per <= 8; per *= 8) {
    struct op *op = op_hash_agg(&task, src_rows(t, 4, rows, 8, per), AGG_COMPLETE, keys, 1, calls,
                                nc, &e);
    TAP_OK(op && op->ncols == 10 && op->types[9].id == TYPE_DOUBLE, "agg: output layout");
    TAP_EQ_INT(drain(op, &x, &e), 0, "agg: runs");
    TAP_OK(rows_eq(&x, want, 4, 1), "agg COMPLETE with NULL keys and values (batches of %d)", per);
    op_close(op);
    rows_free(&x);
  }

  /* PARTIAL (two inputs) -> FINAL equals COMPLETE. */
  struct type st[32];
  int nst = op_agg_state_types(calls, nc, st);
  TAP_EQ_INT(nst, 12, "agg: state column count");
  struct op *p1 = op_hash_agg(&task, src_rows(t, 4, rows, 4, 2), AGG_PARTIAL, keys, 1, calls, nc, &e);
  struct op *p2 = op_hash_agg(&task, src_rows(t, 4, rows + 4, 4, 3), AGG_PARTIAL, keys, 1, calls, nc, &e);
  TAP_OK(p1 && p1->ncols == 13 && p1->types[5].id == TYPE_DOUBLE && p1->types[6].id == TYPE_BIGINT,
         "agg PARTIAL layout: keys then states (avg = sum, count)");
  struct op *u[] = {p1, p2};
  struct op *un = op_union(&task, u, 2, &e);
  struct expr *fk[] = {col(0, T_STR)};
  struct op *fin = op_hash_agg(&task, un, AGG_FINAL, fk, 1, calls, nc, &e);
  drain(fin, &x, &e);
  TAP_OK(rows_eq(&x, want, 4, 1), "agg PARTIAL -> FINAL equals COMPLETE");
  op_close(fin);
  rows_free(&x);

  /* Global aggregate over empty input: one row in COMPLETE and FINAL. */
  struct op *op = op_hash_agg(&task, src(t, 4, NULL, 0), AGG_COMPLETE, NULL, 0, calls, nc, &e);
  drain(op, &x, &e);
  const char *we[] = {"0|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL"};
  TAP_OK(rows_eq(&x, we, 1, 0), "global agg of no rows: count 0, rest NULL");
  op_close(op);
  rows_free(&x);
  op = op_hash_agg(&task, src(t, 4, NULL, 0), AGG_PARTIAL, NULL, 0, calls, nc, &e);
  drain(op, &x, &e);
  TAP_EQ_INT(x.n, 0, "global PARTIAL agg of no rows: no row");
  op_close(op);
  rows_free(&x);
  op = op_hash_agg(&task, op_hash_agg(&task, src(t, 4, NULL, 0), AGG_PARTIAL, NULL, 0, calls, nc, &e),
                   AGG_FINAL, NULL, 0, calls, nc, &e);
  drain(op, &x, &e);
  TAP_OK(rows_eq(&x, we, 1, 0), "global FINAL agg of no partial rows: one row");
  op_close(op);
  rows_free(&x);

  /* Global aggregate with rows. */
  op = op_hash_agg(&task, src_rows(t, 4, rows, 8, 3), AGG_COMPLETE, NULL, 0, calls, nc, &e);
  drain(op, &x, &e);
  const char *wg[] = {"8|5|18|17.0|3.6|q|z|6|4.3"};
  TAP_OK(rows_eq(&x, wg, 1, 0), "global agg");
  op_close(op);
  rows_free(&x);

  /* DISTINCT and FILTER. */
  const char *dr[] = {"1|5", "1|5", "1|6", "1|NULL", "2|7", "2|7", "3|NULL"};
  struct type dt[] = {T_INT, T_INT};
  struct plan_agg_call dc[] = {call(AGG_COUNT, col(1, T_INT), T_BIG),
                               call(AGG_SUM, col(1, T_INT), T_BIG),
                               call(AGG_COUNT_STAR, NULL, T_BIG)};
  dc[0].distinct = 1;
  dc[1].distinct = 1;
  dc[2].filter = fn2(FN_GT, T_BOOL, col(1, T_INT), lit_int(5, T_INT));
  struct expr *dk[] = {col(0, T_INT)};
  op = op_hash_agg(&task, src_rows(dt, 2, dr, 7, 2), AGG_COMPLETE, dk, 1, dc, 3, &e);
  TAP_OK(op != NULL, "agg with DISTINCT and FILTER builds");
  drain(op, &x, &e);
  const char *wd[] = {"1|2|11|1", "2|1|7|2", "3|0|NULL|0"};
  TAP_OK(rows_eq(&x, wd, 3, 1), "count(DISTINCT), sum(DISTINCT), count(*) FILTER");
  op_close(op);
  rows_free(&x);
  op = op_hash_agg(&task, src_rows(dt, 2, dr, 7, 2), AGG_PARTIAL, dk, 1, dc, 3, &e);
  TAP_OK(op == NULL && e.code == ERR_UNSUPPORTED, "DISTINCT rejected in PARTIAL mode");

  /* Decimal avg / sum and stddev. */
  struct type dect[] = {{TYPE_DECIMAL, 10, 2}};
  const char *decr[] = {"100", "250", "NULL", "1"};
  struct plan_agg_call decc[] = {call(AGG_SUM, col(0, dect[0]), (struct type){TYPE_DECIMAL, 18, 2}),
                                 call(AGG_AVG, col(0, dect[0]), (struct type){TYPE_DECIMAL, 14, 6}),
                                 call(AGG_STDDEV_SAMP, col(0, dect[0]), T_DBL)};
  (void)y;
  /* stddev over decimals reads the unscaled values: the analyzer casts to DOUBLE first; here
   * only sum/avg are checked. */
  op = op_hash_agg(&task, src_rows(dect, 1, decr, 4, 4), AGG_COMPLETE, NULL, 0, decc, 2, &e);
  drain(op, &x, &e);
  const char *wdec[] = {"3.51|1.170000"};
  TAP_OK(rows_eq(&x, wdec, 1, 0), "decimal sum and avg (HALF_UP at scale + 4)");
  op_close(op);
  rows_free(&x);
}

/* Pseudo-random generator (deterministic). */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* n rows (k1 BIGINT, k2 BIGINT, v BIGINT, d DOUBLE, s STRING) in batches. */
static struct op *gen_src(int n, int nkeys_distinct, int per, int with_str) {
  struct type t[] = {T_BIG, T_BIG, T_BIG, T_DBL, T_STR};
  int nb = (n + per - 1) / per;
  struct batch **bs = calloc((size_t)nb + 1, sizeof *bs);
  for (int i = 0; i < nb; i++) {
    int m = n - i * per < per ? n - i * per : per;
    struct batch *b = newbatch(t, 5, (uint32_t)m);
    for (int r = 0; r < m; r++) {
      uint64_t k = rnd() % (uint64_t)nkeys_distinct;
      vector_i64(&b->cols[0])[r] = (int64_t)(k / 7);
      vector_i64(&b->cols[1])[r] = (int64_t)(k % 7);
      vector_i64(&b->cols[2])[r] = (int64_t)(rnd() % 1000);
      vector_f64(&b->cols[3])[r] = (double)(rnd() % 64) / 4.0;
      char s[40];
      int len = snprintf(s, sizeof s, "str-%llu-padding-long", (unsigned long long)(k % 1000));
      vector_set_str(&b->cols[4], (uint32_t)r, s, with_str ? (size_t)len : 0);
      for (int c = 0; c < 4; c++) bitmap_set(b->cols[c].validity, (uint32_t)r);
      if (r % 97 == 5) vector_set_null(&b->cols[2], (uint32_t)r);
    }
    batch_set_rows(b, (uint32_t)m);
    bs[i] = b;
  }
  static struct batch **keep[64];
  static int nkeep;
  free(keep[nkeep % 64]);
  keep[nkeep++ % 64] = bs;
  struct err e;
  return op_batches(&task, t, 5, bs, nb, &e);
}

struct naive {
  int64_t k;
  int64_t sum, cnt, rows;
  double dsum;
};

static int naive_cmp(const void *a, const void *b) {
  int64_t x = ((const struct naive *)a)->k, y = ((const struct naive *)b)->k;
  return (x > y) - (x < y);
}

static void test_agg_many(void) {
  task_reset(0);
  struct err e;
  /* 200K random keys: compare against sorting. */
  uint64_t saved = rng_state;
  int n = 300000, nk = 200000;
  struct naive *nv = calloc((size_t)n, sizeof *nv);
  for (int i = 0; i < n; i++) {
    uint64_t k = rnd() % (uint64_t)nk;
    uint64_t v = rnd() % 1000;
    uint64_t d = rnd() % 64;
    nv[i].k = (int64_t)k;
    nv[i].rows = 1;
    nv[i].cnt = (i % 2048) % 97 == 5 ? 0 : 1;
    nv[i].sum = nv[i].cnt ? (int64_t)v : 0;
    nv[i].dsum = (double)d / 4.0;
  }
  /* gen_src makes rows of `per`-sized batches; the NULL pattern is by row in batch. */
  qsort(nv, (size_t)n, sizeof *nv, naive_cmp);
  int ng = 0;
  for (int i = 0; i < n; i++) {
    if (ng && nv[ng - 1].k == nv[i].k) {
      nv[ng - 1].sum += nv[i].sum;
      nv[ng - 1].cnt += nv[i].cnt;
      nv[ng - 1].rows += nv[i].rows;
      nv[ng - 1].dsum += nv[i].dsum;
    } else {
      nv[ng++] = nv[i];
    }
  }
  char **want = calloc((size_t)ng, sizeof *want);
  for (int i = 0; i < ng; i++) {
    char s[200];
    char sum[32] = "NULL";
    if (nv[i].cnt) snprintf(sum, sizeof sum, "%lld", (long long)nv[i].sum);
    snprintf(s, sizeof s, "%lld|%lld|%lld|%lld|%s", (long long)(nv[i].k / 7),
             (long long)(nv[i].k % 7), (long long)nv[i].rows, (long long)nv[i].cnt, sum);
    want[i] = strdup(s);
  }
  rng_state = saved;
  struct expr *keys[] = {col(0, T_BIG), col(1, T_BIG)};
  struct plan_agg_call calls[] = {call(AGG_COUNT_STAR, NULL, T_BIG),
                                  call(AGG_COUNT, col(2, T_BIG), T_BIG),
                                  call(AGG_SUM, col(2, T_BIG), T_BIG)};
  struct op *op = op_hash_agg(&task, gen_src(n, nk, 2048, 0), AGG_COMPLETE, keys, 2, calls, 3, &e);
  struct rows x;
  TAP_EQ_INT(drain(op, &x, &e), 0, "agg 200K keys runs");
  TAP_OK(rows_eq(&x, (const char *const *)want, ng, 1), "agg over 200K random keys = naive (%d groups)", ng);
  op_close(op);
  rows_free(&x);
  for (int i = 0; i < ng; i++) free(want[i]);
  free(want);
  free(nv);

  /* Spill: the same aggregate with a 1 MiB budget. */
  struct plan_agg_call c2[] = {call(AGG_COUNT_STAR, NULL, T_BIG),
                               call(AGG_SUM, col(2, T_BIG), T_BIG),
                               call(AGG_SUM, col(3, T_DBL), T_DBL),
                               call(AGG_MAX, col(4, T_STR), T_STR),
                               call(AGG_AVG, col(2, T_BIG), T_DBL),
                               call(AGG_MIN, col(3, T_DBL), T_DBL),
                               /* sketches merge exactly: any split, same registers */
                               call(AGG_APPROX_COUNT_DISTINCT, col(2, T_BIG), T_BIG)};
  c2[6].param = 4; /* 16 registers: small spill files */
  struct rows full, small;
  for (int mode = 0; mode < 2; mode++) {
    saved = rng_state;
    task_reset(0);
    op = op_hash_agg(&task, gen_src(600000, 400000, 2048, 1), AGG_COMPLETE, keys, 2, c2, 7, &e);
    drain(op, &full, &e);
    op_close(op);
    int64_t peak_full = task.peak_mem;
    rng_state = saved;
    task_reset(1 << 20);
    struct op *in = gen_src(600000, 400000, 2048, 1);
    if (mode == 1) {
      /* PARTIAL under the small budget then FINAL under the small budget. */
      in = op_hash_agg(&task, in, AGG_PARTIAL, keys, 2, c2, 7, &e);
      struct expr *fk[] = {col(0, T_BIG), col(1, T_BIG)};
      op = op_hash_agg(&task, in, AGG_FINAL, fk, 2, c2, 7, &e);
    } else {
      op = op_hash_agg(&task, in, AGG_COMPLETE, keys, 2, c2, 7, &e);
    }
    int rc = drain(op, &small, &e);
    TAP_OK(rc == 0, "agg spill run ok (%s)", mode ? "partial+final" : "complete");
    if (rc) printf("#   %s\n", e.msg);
    op_close(op);
    rows_sort(&full);
    rows_sort(&small);
    TAP_OK(full.n > 300000 && rows_same(&full, &small), "agg under a 1 MiB budget = unlimited (%d groups)",
           full.n);
    TAP_OK(task.spill_bytes > 0, "agg spilled (%lld bytes; unlimited peak %lld)",
           (long long)task.spill_bytes, (long long)peak_full);
    TAP_OK(spill_dir_empty(), "no spill files left behind");
    TAP_EQ_INT(atomic_load(&budget.used), 0, "agg released its memory");
    rows_free(&full);
    rows_free(&small);
    free_batches();
  }

  /* count(DISTINCT) over the budget fails cleanly. */
  task_reset(1 << 20);
  struct plan_agg_call dc[] = {call(AGG_COUNT, col(2, T_BIG), T_BIG)};
  dc[0].distinct = 1;
  op = op_hash_agg(&task, gen_src(400000, 400000, 2048, 0), AGG_COMPLETE, keys, 2, dc, 1, &e);
  struct batch *b;
  int rc;
  while ((rc = op_next(op, &b, &e)) > 0) {
  }
  TAP_OK(rc == ERR_UNSUPPORTED && strstr(e.msg, "DISTINCT"), "count(DISTINCT) over budget: ERR_UNSUPPORTED");
  op_close(op);
  TAP_EQ_INT(atomic_load(&budget.used), 0, "memory released after the error");
}

/* ================= joins ================= */

static struct op *join_of(enum plan_join_type jt, const char *const *pr, int np, const char *const *br,
                          int nb, const int *null_safe, struct expr *cond, int null_aware, int per) {
  struct type t[] = {T_INT, T_STR};
  struct expr *pk[] = {col(0, T_INT)}, *bk[] = {col(0, T_INT)};
  struct err e;
  struct op *op = op_hash_join(&task, src_rows(t, 2, pr, np, per), src_rows(t, 2, br, nb, per), jt,
                               pk, bk, null_safe, 1, cond, null_aware, &e);
  if (!op) printf("#   %s\n", e.msg);
  return op;
}

static int check_join(struct op *op, const char *const *want, int n) {
  struct rows x;
  struct err e;
  int rc = drain(op, &x, &e);
  if (rc) printf("#   error %s\n", e.msg);
  int ok = rc == 0 && rows_eq(&x, want, n, 1);
  rows_free(&x);
  op_close(op);
  return ok;
}

static void test_join(void) {
  task_reset(0);
  const char *pr[] = {"1|p1", "2|p2", "2|p2b", "3|p3", "NULL|pn", "5|p5"};
  const char *br[] = {"2|b2", "2|b2b", "3|b3", "4|b4", "NULL|bn", "1|b1"};
  for (int per = 1; per <= 6; per += 5) {
    const char *wi[] = {"1|p1|1|b1", "2|p2|2|b2", "2|p2|2|b2b", "2|p2b|2|b2",
                        "2|p2b|2|b2b", "3|p3|3|b3"};
    TAP_OK(check_join(join_of(JOIN_INNER, pr, 6, br, 6, NULL, NULL, 0, per), wi, 6),
           "inner join with duplicates and NULL keys (per %d)", per);
    const char *wl[] = {"1|p1|1|b1", "2|p2|2|b2", "2|p2|2|b2b", "2|p2b|2|b2", "2|p2b|2|b2b",
                        "3|p3|3|b3", "NULL|pn|NULL|NULL", "5|p5|NULL|NULL"};
    TAP_OK(check_join(join_of(JOIN_LEFT, pr, 6, br, 6, NULL, NULL, 0, per), wl, 8), "left join");
    const char *wr[] = {"1|p1|1|b1", "2|p2|2|b2", "2|p2|2|b2b", "2|p2b|2|b2", "2|p2b|2|b2b",
                        "3|p3|3|b3", "NULL|NULL|4|b4", "NULL|NULL|NULL|bn"};
    TAP_OK(check_join(join_of(JOIN_RIGHT, pr, 6, br, 6, NULL, NULL, 0, per), wr, 8), "right join");
    const char *wf[] = {"1|p1|1|b1", "2|p2|2|b2", "2|p2|2|b2b", "2|p2b|2|b2", "2|p2b|2|b2b",
                        "3|p3|3|b3", "NULL|NULL|4|b4", "NULL|NULL|NULL|bn", "NULL|pn|NULL|NULL",
                        "5|p5|NULL|NULL"};
    TAP_OK(check_join(join_of(JOIN_FULL, pr, 6, br, 6, NULL, NULL, 0, per), wf, 10), "full join");
    const char *ws[] = {"1|p1", "2|p2", "2|p2b", "3|p3"};
    TAP_OK(check_join(join_of(JOIN_SEMI, pr, 6, br, 6, NULL, NULL, 0, per), ws, 4), "semi join");
    const char *wa[] = {"NULL|pn", "5|p5"};
    TAP_OK(check_join(join_of(JOIN_ANTI, pr, 6, br, 6, NULL, NULL, 0, per), wa, 2), "anti join");
    int ns[] = {1};
    const char *wns[] = {"1|p1|1|b1", "2|p2|2|b2", "2|p2|2|b2b", "2|p2b|2|b2",
                         "2|p2b|2|b2b", "3|p3|3|b3", "NULL|pn|NULL|bn"};
    TAP_OK(check_join(join_of(JOIN_INNER, pr, 6, br, 6, ns, NULL, 0, per), wns, 7),
           "null-safe key: NULL <=> NULL matches");
  }
  /* Residual condition: probe string < build string ("p" < "b" is false, so use names). */
  const char *pr2[] = {"1|m", "2|a", "2|z", "3|c"};
  const char *br2[] = {"1|k", "2|b", "2|y", "3|a"};
  struct expr *cond = fn2(FN_LT, T_BOOL, col(1, T_STR), col(3, T_STR));
  const char *wic[] = {"2|a|2|b", "2|a|2|y"};
  TAP_OK(check_join(join_of(JOIN_INNER, pr2, 4, br2, 4, NULL, cond, 0, 2), wic, 2),
         "inner join with a residual condition");
  const char *wlc[] = {"1|m|NULL|NULL", "2|a|2|b", "2|a|2|y", "2|z|NULL|NULL", "3|c|NULL|NULL"};
  TAP_OK(check_join(join_of(JOIN_LEFT, pr2, 4, br2, 4, NULL, cond, 0, 2), wlc, 5),
         "left join: a pair failing the condition is no match");
  const char *wrc[] = {"2|a|2|b", "2|a|2|y", "NULL|NULL|1|k", "NULL|NULL|3|a"};
  TAP_OK(check_join(join_of(JOIN_RIGHT, pr2, 4, br2, 4, NULL, cond, 0, 2), wrc, 4),
         "right join with a condition");
  const char *wfc[] = {"1|m|NULL|NULL", "2|a|2|b", "2|a|2|y", "2|z|NULL|NULL", "3|c|NULL|NULL",
                       "NULL|NULL|1|k", "NULL|NULL|3|a"};
  TAP_OK(check_join(join_of(JOIN_FULL, pr2, 4, br2, 4, NULL, cond, 0, 2), wfc, 7),
         "full join with a condition");
  const char *wsc[] = {"2|a"};
  TAP_OK(check_join(join_of(JOIN_SEMI, pr2, 4, br2, 4, NULL, cond, 0, 2), wsc, 1),
         "semi join with a condition");
  const char *wac[] = {"1|m", "2|z", "3|c"};
  TAP_OK(check_join(join_of(JOIN_ANTI, pr2, 4, br2, 4, NULL, cond, 0, 2), wac, 3),
         "anti join with a condition");

  /* Null-aware anti join (NOT IN). */
  const char *np_[] = {"1|a", "2|b", "NULL|c"};
  const char *nb1[] = {"2|x"};
  const char *wna1[] = {"1|a"};
  TAP_OK(check_join(join_of(JOIN_ANTI, np_, 3, nb1, 1, NULL, NULL, 1, 2), wna1, 1),
         "NOT IN: NULL probe key dropped");
  const char *nb2[] = {"2|x", "NULL|y"};
  TAP_OK(check_join(join_of(JOIN_ANTI, np_, 3, nb2, 2, NULL, NULL, 1, 2), NULL, 0),
         "NOT IN: a NULL in the subquery drops every row");
  const char *wna3[] = {"1|a", "2|b", "NULL|c"};
  TAP_OK(check_join(join_of(JOIN_ANTI, np_, 3, NULL, 0, NULL, NULL, 1, 2), wna3, 3),
         "NOT IN over an empty subquery keeps every row");
  const char *wna4[] = {"1|a", "NULL|c"};
  TAP_OK(check_join(join_of(JOIN_ANTI, np_, 3, nb1, 1, NULL, NULL, 0, 2), wna4, 2),
         "plain anti join keeps NULL keys");

  /* Nested-loop joins. */
  struct type t[] = {T_INT, T_STR};
  struct err e;
  struct expr *ncond = fn2(FN_LT, T_BOOL, col(0, T_INT), col(2, T_INT));
  const char *l3[] = {"1|a", "2|b", "3|c"};
  const char *r3[] = {"2|x", "3|y"};
  struct op *op = op_nl_join(&task, src_rows(t, 2, l3, 3, 2), src_rows(t, 2, r3, 2, 1), JOIN_LEFT,
                             ncond, &e);
  const char *wnl[] = {"1|a|2|x", "1|a|3|y", "2|b|3|y", "3|c|NULL|NULL"};
  TAP_OK(check_join(op, wnl, 4), "nested-loop left join on a < b");
  op = op_nl_join(&task, src_rows(t, 2, l3, 3, 2), src_rows(t, 2, r3, 2, 1), JOIN_CROSS, NULL, &e);
  struct rows x;
  drain(op, &x, &e);
  TAP_EQ_INT(x.n, 6, "cross join");
  rows_free(&x);
  op_close(op);
  op = op_nl_join(&task, src_rows(t, 2, l3, 3, 2), src_rows(t, 2, r3, 2, 1), JOIN_ANTI, ncond, &e);
  const char *wna[] = {"3|c"};
  TAP_OK(check_join(op, wna, 1), "nested-loop anti join");

  /* Large fan-out: 20 probe rows x 5000 build rows of one key. */
  struct type t2[] = {T_INT, T_INT};
  struct batch *pb = newbatch(t2, 2, 20), *bb = newbatch(t2, 2, 5000);
  for (int i = 0; i < 20; i++) {
    vector_i32(&pb->cols[0])[i] = 7;
    vector_i32(&pb->cols[1])[i] = i;
  }
  for (int i = 0; i < 5000; i++) {
    vector_i32(&bb->cols[0])[i] = 7;
    vector_i32(&bb->cols[1])[i] = i;
  }
  bitmap_set_range(pb->cols[0].validity, 0, 20);
  bitmap_set_range(pb->cols[1].validity, 0, 20);
  bitmap_set_range(bb->cols[0].validity, 0, 5000);
  bitmap_set_range(bb->cols[1].validity, 0, 5000);
  batch_set_rows(pb, 20);
  batch_set_rows(bb, 5000);
  struct batch *pbs[] = {pb}, *bbs[] = {bb};
  struct expr *pk[] = {col(0, T_INT)}, *bk[] = {col(0, T_INT)};
  op = op_hash_join(&task, src(t2, 2, pbs, 1), src(t2, 2, bbs, 1), JOIN_INNER, pk, bk, NULL, 1,
                    NULL, 0, &e);
  drain(op, &x, &e);
  TAP_OK(x.n == 100000 && x.max_batch <= 4096 && x.batches >= 25,
         "fan-out of 100K pairs in batches of <= 4096 (%d batches)", x.batches);
  rows_free(&x);
  op_close(op);

  /* Spill: 300K build rows under a 1 MiB budget, every join type. */
  enum plan_join_type types[] = {JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, JOIN_SEMI, JOIN_ANTI};
  const char *names[] = {"inner", "left", "right", "full", "semi", "anti"};
  for (int k = 0; k < 6; k++) {
    struct rows full, small;
    uint64_t saved = rng_state;
    struct expr *jk[] = {col(0, T_BIG), col(4, T_STR)};
    struct expr *cnd = fn2(FN_NE, T_BOOL, col(2, T_BIG), col(7, T_BIG));
    task_reset(0);
    op = op_hash_join(&task, gen_src(60000, 400000, 2048, 1), gen_src(300000, 400000, 2048, 1),
                      types[k], jk, jk, NULL, 2, cnd, 0, &e);
    drain(op, &full, &e);
    op_close(op);
    rng_state = saved;
    task_reset(1 << 20);
    op = op_hash_join(&task, gen_src(60000, 400000, 2048, 1), gen_src(300000, 400000, 2048, 1),
                      types[k], jk, jk, NULL, 2, cnd, 0, &e);
    int rc = drain(op, &small, &e);
    if (rc) printf("#   %s\n", e.msg);
    op_close(op);
    rows_sort(&full);
    rows_sort(&small);
    TAP_OK(rc == 0 && full.n > 0 && rows_same(&full, &small),
           "%s join under a 1 MiB budget = unlimited (%d rows)", names[k], full.n);
    TAP_OK(task.spill_bytes > 0 && spill_dir_empty() && atomic_load(&budget.used) == 0,
           "%s join spilled, cleaned up, released", names[k]);
    rows_free(&full);
    rows_free(&small);
    free_batches();
  }
}

/* ================= sort ================= */

static void test_sort(void) {
  task_reset(0);
  struct err e;
  struct type t[] = {T_INT, T_DBL, T_STR, T_DATE, T_BOOL, T_BIG};
  const char *rows[] = {"3|1.5|b|10|true|5",     "NULL|NULL|NULL|NULL|NULL|NULL",
                        "-2|-0.5|abcde|-3|false|-7", "3|0|abcdf|7|true|9",
                        "10|-10|a|0|false|0",     "0|1e300|zz|100|true|1"};
  struct rows x;
  for (int c = 0; c < 6; c++) {
    for (int desc = 0; desc < 2; desc++) {
      for (int nf = 0; nf < 2; nf++) {
        struct plan_sort_key k[] = {{col(c, t[c]), desc, nf}, {col(5, T_BIG), 0, 1}};
        struct op *op = op_sort(&task, src_rows(t, 6, rows, 6, 4), k, 2, -1, &e);
        drain(op, &x, &e);
        op_close(op);
        /* Check ordering pairwise with an independent comparison. */
        int ok = x.n == 6;
        int nulls_at = -1;
        for (int i = 0; i < x.n; i++)
          if (!strncmp(x.r[i], "NULL|NULL|NULL", 14)) nulls_at = i;
        ok = ok && (nf ? nulls_at == 0 : nulls_at == 5);
        TAP_OK(ok, "sort col %d %s NULLS %s: NULL row placed", c, desc ? "DESC" : "ASC",
               nf ? "FIRST" : "LAST");
        rows_free(&x);
      }
    }
  }
  /* Exact orders. */
  struct plan_sort_key k1[] = {{col(2, T_STR), 0, 1}};
  struct op *op = op_sort(&task, src_rows(t, 6, rows, 6, 4), k1, 1, -1, &e);
  drain(op, &x, &e);
  op_close(op);
  const char *w1[] = {"NULL|NULL|NULL|NULL|NULL|NULL", "10|-10.0|a|1970-01-01|false|0",
                      "-2|-0.5|abcde|1969-12-29|false|-7", "3|0.0|abcdf|1970-01-08|true|9",
                      "3|1.5|b|1970-01-11|true|5", "0|1.0E300|zz|1970-04-11|true|1"};
  TAP_OK(rows_eq(&x, w1, 6, 0), "sort strings ASC NULLS FIRST (shared prefixes)");
  rows_free(&x);
  struct plan_sort_key k2[] = {{col(1, T_DBL), 1, 0}};
  op = op_sort(&task, src_rows(t, 6, rows, 6, 1), k2, 1, -1, &e);
  drain(op, &x, &e);
  op_close(op);
  const char *w2[] = {"0|1.0E300|zz|1970-04-11|true|1", "3|1.5|b|1970-01-11|true|5",
                      "3|0.0|abcdf|1970-01-08|true|9", "-2|-0.5|abcde|1969-12-29|false|-7",
                      "10|-10.0|a|1970-01-01|false|0", "NULL|NULL|NULL|NULL|NULL|NULL"};
  TAP_OK(rows_eq(&x, w2, 6, 0), "sort doubles DESC NULLS LAST");
  rows_free(&x);
  struct plan_sort_key k3[] = {{col(0, T_INT), 1, 1}, {col(2, T_STR), 1, 0}};
  op = op_sort(&task, src_rows(t, 6, rows, 6, 2), k3, 2, -1, &e);
  drain(op, &x, &e);
  op_close(op);
  TAP_OK(x.n == 6 && !strncmp(x.r[0], "NULL", 4) && !strncmp(x.r[1], "10|", 3) &&
             !strncmp(x.r[2], "3|1.5|b", 7) && !strncmp(x.r[3], "3|0.0|abcdf", 11),
         "two keys: INT DESC NULLS FIRST then STRING DESC");
  rows_free(&x);
  /* Computed key: -id via the evaluator. */
  struct plan_sort_key k4[] = {{fn2(FN_SUB, T_INT, lit_int(0, T_INT), col(0, T_INT)), 0, 0}};
  op = op_sort(&task, src_rows(t, 6, rows, 6, 2), k4, 1, -1, &e);
  drain(op, &x, &e);
  op_close(op);
  TAP_OK(x.n == 6 && op != NULL && !strncmp(x.r[0], "10|", 3) && !strncmp(x.r[5], "NULL", 4) &&
             !strcmp(x.r[1], "3|1.5|b|1970-01-11|true|5") == !strcmp(x.r[2], "3|0.0|abcdf|1970-01-08|true|9"),
         "sort by a computed key (hidden column not output)");
  rows_free(&x);

  /* Top-N equals full sort + limit, on 100K rows with duplicates. */
  struct rows full, top;
  uint64_t saved = rng_state;
  struct plan_sort_key kk[] = {{col(4, T_STR), 1, 0}, {col(3, T_DBL), 0, 1}, {col(2, T_BIG), 0, 1}};
  op = op_sort(&task, gen_src(100000, 5000, 2048, 1), kk, 3, -1, &e);
  drain(op, &full, &e);
  op_close(op);
  for (int lim = 0; lim <= 3000; lim = lim ? lim * 10 : 3) {
    rng_state = saved;
    op = op_sort(&task, gen_src(100000, 5000, 2048, 1), kk, 3, lim, &e);
    drain(op, &top, &e);
    op_close(op);
    int ok = top.n == lim;
    /* Equal-key rows may come in any order: compare the key columns only. */
    for (int i = 0; ok && i < lim; i++) {
      const char *a = strchr(strchr(top.r[i], '|') + 1, '|');
      const char *b = strchr(strchr(full.r[i], '|') + 1, '|');
      ok = !strcmp(a, b);
    }
    TAP_OK(ok, "top-%d equals full sort + limit", lim);
    rows_free(&top);
  }
  rows_free(&full);

  /* External sort: 500K rows under a 1 MiB budget. */
  saved = rng_state;
  task_reset(0);
  struct plan_sort_key ks[] = {{col(0, T_BIG), 0, 1}, {col(1, T_BIG), 1, 0}, {col(2, T_BIG), 0, 0},
                               {col(3, T_DBL), 0, 0}, {col(4, T_STR), 0, 0}};
  op = op_sort(&task, gen_src(500000, 1000000, 2048, 1), ks, 5, -1, &e);
  drain(op, &full, &e);
  op_close(op);
  rng_state = saved;
  task_reset(1 << 20);
  op = op_sort(&task, gen_src(500000, 1000000, 2048, 1), ks, 5, -1, &e);
  int rc = drain(op, &top, &e);
  op_close(op);
  TAP_OK(rc == 0 && full.n == 500000 && rows_same(&full, &top), "external sort = in-memory sort");
  TAP_OK(task.spill_bytes > 0 && spill_dir_empty() && atomic_load(&budget.used) == 0,
         "sort spilled (%lld bytes), cleaned up", (long long)task.spill_bytes);
  rows_free(&full);
  rows_free(&top);
  free_batches();
}

/* ================= window ================= */

static struct plan_win_call wcall(enum win_fn fn, struct type t) {
  struct plan_win_call c;
  memset(&c, 0, sizeof c);
  c.fn = fn;
  c.type = t;
  c.offset = 1;
  c.start_kind = FRAME_UNBOUNDED_PRECEDING;
  c.end_kind = FRAME_CURRENT_ROW;
  return c;
}

static void test_window(void) {
  task_reset(0);
  struct err e;
  struct type t[] = {T_STR, T_INT, T_INT};
  const char *rows[] = {"a|1|10", "a|2|20", "a|2|30", "a|3|NULL", "b|1|5", "b|NULL|7", "c|5|1"};
  struct expr *part[] = {col(0, T_STR)};
  struct plan_sort_key ord[] = {{col(1, T_INT), 0, 0}};
  struct plan_win_call calls[9];
  calls[0] = wcall(WIN_ROW_NUMBER, T_INT);
  calls[1] = wcall(WIN_RANK, T_INT);
  calls[2] = wcall(WIN_DENSE_RANK, T_INT);
  calls[3] = wcall(WIN_LAG, T_INT);
  calls[3].arg = col(2, T_INT);
  calls[4] = wcall(WIN_LEAD, T_INT);
  calls[4].arg = col(2, T_INT);
  calls[4].offset = 2;
  calls[4].dflt = lit_int(-1, T_INT);
  calls[5] = wcall(WIN_AGG, T_BIG); /* running sum, RANGE: peers share */
  calls[5].agg = call(AGG_SUM, col(2, T_INT), T_BIG);
  calls[6] = wcall(WIN_AGG, T_BIG); /* ROWS 1 PRECEDING .. 1 FOLLOWING count */
  calls[6].agg = call(AGG_COUNT, col(2, T_INT), T_BIG);
  calls[6].rows_frame = 1;
  calls[6].start_kind = FRAME_PRECEDING;
  calls[6].start_off = 1;
  calls[6].end_kind = FRAME_FOLLOWING;
  calls[6].end_off = 1;
  calls[7] = wcall(WIN_AGG, T_INT); /* whole partition max */
  calls[7].agg = call(AGG_MAX, col(2, T_INT), T_INT);
  calls[7].end_kind = FRAME_UNBOUNDED_FOLLOWING;
  calls[8] = wcall(WIN_AGG, T_DBL); /* CURRENT ROW .. UNBOUNDED FOLLOWING avg (rows) */
  calls[8].agg = call(AGG_AVG, col(2, T_INT), T_DBL);
  calls[8].rows_frame = 1;
  calls[8].start_kind = FRAME_CURRENT_ROW;
  calls[8].end_kind = FRAME_UNBOUNDED_FOLLOWING;
  const char *want[] = {
      "a|1|10|1|1|1|NULL|30|10|2|30|20.0",
      "a|2|20|2|2|2|10|NULL|60|3|30|25.0",
      "a|2|30|3|2|2|20|-1|60|2|30|30.0",
      "a|3|NULL|4|4|3|30|-1|60|1|30|NULL",
      "b|1|5|1|1|1|NULL|-1|5|2|7|6.0",
      "b|NULL|7|2|2|2|5|-1|12|2|7|7.0",
      "c|5|1|1|1|1|NULL|-1|1|1|1|1.0",
  };
  struct rows x;
  for (int per = 1; per <= 7; per += 2) {
    struct op *op = op_window(&task, src_rows(t, 3, rows, 7, per), part, 1, ord, 1, calls, 9, &e);
    TAP_OK(op && op->ncols == 12, "window: output = input + one column per call");
    int rc = drain(op, &x, &e);
    if (rc) printf("#   %s\n", e.msg);
    TAP_OK(rc == 0 && rows_eq(&x, want, 7, 0), "window functions (batches of %d rows)", per);
    rows_free(&x);
    op_close(op);
  }
  /* No ORDER BY: whole partition sum; no PARTITION BY: one partition. */
  struct plan_win_call c2[] = {wcall(WIN_AGG, T_BIG), wcall(WIN_ROW_NUMBER, T_INT)};
  c2[0].agg = call(AGG_SUM, col(2, T_INT), T_BIG);
  struct op *op = op_window(&task, src_rows(t, 3, rows, 7, 3), part, 1, NULL, 0, c2, 1, &e);
  drain(op, &x, &e);
  op_close(op);
  TAP_OK(x.n == 7 && !strcmp(x.r[0], "a|1|10|60") && !strcmp(x.r[5], "b|NULL|7|12"),
         "window sum over the whole partition (no ORDER BY)");
  rows_free(&x);

  /* Partitions spanning many batches: 10 partitions of 2500 rows in batches of 1000. */
  struct type t2[] = {T_INT, T_INT};
  struct batch *bs[25];
  for (int b = 0; b < 25; b++) {
    bs[b] = newbatch(t2, 2, 1000);
    for (int i = 0; i < 1000; i++) {
      int r = b * 1000 + i;
      vector_i32(&bs[b]->cols[0])[i] = r / 2500;
      vector_i32(&bs[b]->cols[1])[i] = r % 2500;
    }
    bitmap_set_range(bs[b]->cols[0].validity, 0, 1000);
    bitmap_set_range(bs[b]->cols[1].validity, 0, 1000);
    batch_set_rows(bs[b], 1000);
  }
  struct expr *p2[] = {col(0, T_INT)};
  struct plan_sort_key o2[] = {{col(1, T_INT), 0, 1}};
  struct plan_win_call c3[] = {wcall(WIN_ROW_NUMBER, T_INT), wcall(WIN_AGG, T_BIG),
                               wcall(WIN_LAG, T_INT)};
  c3[1].agg = call(AGG_SUM, col(1, T_INT), T_BIG);
  c3[2].arg = col(1, T_INT);
  c3[2].offset = 3;
  op = op_window(&task, src(t2, 2, bs, 25), p2, 1, o2, 1, c3, 3, &e);
  drain(op, &x, &e);
  op_close(op);
  int ok = x.n == 25000;
  for (int r = 0; ok && r < 25000; r++) {
    char w[128];
    int v = r % 2500;
    long long run = (long long)v * (v + 1) / 2;
    if (v >= 3)
      snprintf(w, sizeof w, "%d|%d|%d|%lld|%d", r / 2500, v, v + 1, run, v - 3);
    else
      snprintf(w, sizeof w, "%d|%d|%d|%lld|NULL", r / 2500, v, v + 1, run);
    if (strcmp(x.r[r], w)) {
      printf("#   row %d: '%s' want '%s'\n", r, x.r[r], w);
      ok = 0;
    }
  }
  TAP_OK(ok, "window over partitions spanning batches");
  rows_free(&x);
  free_batches();
}

int main(void) {
  snprintf(spill_dir, sizeof spill_dir, "/tmp/kindling-optest-XXXXXX");
  if (!mkdtemp(spill_dir)) return 1;
  test_basic();
  test_agg_small();
  test_agg_many();
  test_join();
  test_sort();
  test_window();
  free_batches();
  exprs_free();
  rmdir(spill_dir);
  return tap_done();
}
