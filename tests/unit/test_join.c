/* test_join.c: the hash-join paths of engine/exec/op_join.c against a
 * nested-loop expectation computed here, over random data with a fixed
 * seed:
 *   - the open-addressing table (one slot per distinct key): duplicate keys,
 *     NULL keys that never match (and null-safe keys that do), multi-column,
 *     string and computed keys, build sides of every size around the table's
 *     and the row store's power-of-two boundaries;
 *   - inner / left / right / full / semi / anti results, with and without a
 *     residual condition;
 *   - the run-time role swap when the probe side is tiny (observed through
 *     the memory budget: the large side is never put in a table);
 *   - the shared broadcast build (several tasks on threads using one table,
 *     observed through the rows the tasks read; and its fallback when the
 *     build does not fit);
 *   - the runtime join filter of shuffled joins (engine/physical), run
 *     through the engine with it on and off: same answers as the nested
 *     loop, EXPLAIN shows the filtering semi join, and the stage metrics show
 *     that only matching rows crossed the exchange. It has no switch of its
 *     own: it applies when both sides are over
 *     spark.sql.autoBroadcastJoinThreshold and the smaller is under 16 times
 *     it (and 4 times smaller, or likely selective); a threshold of -1 turns
 *     it off together with broadcast joins. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "engine/exec/mem.h"
#include "engine/exec/op.h"
#include "engine/vec/batch.h"
#include "tests/tap.h"
#include "tests/unit/exprs.h"

static const struct type T_INT = {TYPE_INT, 0, 0}, T_BOOL = {TYPE_BOOLEAN, 0, 0};

static char tmpdir[] = "/tmp/kindling-jointest-XXXXXX";
static char spill_dir[4200];
static atomic_int cancel_flag;

/* ---- deterministic random numbers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* ---- rows held by the test: the source of truth for expectations ---- */

/* Columns: k1 INT, k2 STRING, k3 BIGINT, pay INT (never NULL). */
#define NCOLS 4
static const struct type COLT[NCOLS] = {{TYPE_INT, 0, 0}, {TYPE_STRING, 0, 0},
                                        {TYPE_BIGINT, 0, 0}, {TYPE_INT, 0, 0}};

struct row {
  int null1, null2, null3;
  int32_t k1;
  char k2[48];
  int64_t k3;
  int32_t pay;
};

struct rel {
  struct row *r;
  int n;
  struct batch **bs; /* the same rows as batches (owned) */
  int nb;
};

/* Batches of `per` rows holding x->r (per 0: no batches). */
static void rel_batches(struct rel *x, int per) {
  x->nb = per > 0 ? (x->n + per - 1) / per : 0;
  x->bs = calloc((size_t)x->nb + 1, sizeof *x->bs);
  for (int b = 0; b < x->nb; b++) {
    int lo = b * per, m = x->n - lo < per ? x->n - lo : per;
    struct batch *bt = batch_new(COLT, NCOLS, (uint32_t)m, ARENA_UNLIMITED);
    for (int i = 0; i < m; i++) {
      const struct row *w = &x->r[lo + i];
      uint32_t u = (uint32_t)i;
      if (w->null1) vector_set_null(&bt->cols[0], u);
      else {
        vector_i32(&bt->cols[0])[u] = w->k1;
        bitmap_set(bt->cols[0].validity, u);
      }
      if (w->null2) vector_set_null(&bt->cols[1], u);
      else {
        vector_set_str(&bt->cols[1], u, w->k2, strlen(w->k2));
        bitmap_set(bt->cols[1].validity, u);
      }
      if (w->null3) vector_set_null(&bt->cols[2], u);
      else {
        vector_i64(&bt->cols[2])[u] = w->k3;
        bitmap_set(bt->cols[2].validity, u);
      }
      vector_i32(&bt->cols[3])[u] = w->pay;
      bitmap_set(bt->cols[3].validity, u);
    }
    batch_set_rows(bt, (uint32_t)m);
    x->bs[b] = bt;
  }
}

/* n rows with k1 in [0, dom), k2 the empty string or a short or long
 * (past any inline prefix) string of about 200 values, k3 one of 3 values;
 * each key column NULL with probability nullpct %. Batches of `per` rows. */
static void rel_gen(struct rel *x, int n, int dom, int nullpct, int per) {
  static const char *const pre[] = {"a", "bb", "a-string-longer-than-any-inline-prefix-",
                                    "a-string-longer-than-any-inline-prefix+"};
  x->n = n;
  x->r = calloc((size_t)n + 1, sizeof *x->r);
  for (int i = 0; i < n; i++) {
    struct row *w = &x->r[i];
    w->k1 = (int32_t)(rnd() % (uint64_t)(dom ? dom : 1));
    if (rnd() % 41 == 0) w->k2[0] = 0;
    else snprintf(w->k2, sizeof w->k2, "%s%d", pre[rnd() % 4], (int)(rnd() % 50));
    w->k3 = (int64_t)(rnd() % 3) * 1000000007LL;
    w->pay = (int32_t)(rnd() % 1000);
    w->null1 = (int)(rnd() % 100) < nullpct;
    w->null2 = (int)(rnd() % 100) < nullpct;
    w->null3 = (int)(rnd() % 100) < nullpct;
  }
  rel_batches(x, per);
}

/* Rows [lo, hi) of x as a relation of its own. */
static void rel_slice(struct rel *out, const struct rel *x, int lo, int hi, int per) {
  out->n = hi - lo;
  out->r = calloc((size_t)out->n + 1, sizeof *out->r);
  memcpy(out->r, x->r + lo, sizeof *out->r * (size_t)out->n);
  rel_batches(out, per);
}

static void rel_free(struct rel *x) {
  for (int b = 0; b < x->nb; b++) batch_free(x->bs[b]);
  free(x->bs);
  free(x->r);
  memset(x, 0, sizeof *x);
}

static void row_text(struct buf *out, const struct row *w) {
  if (w->null1) buf_puts(out, "NULL");
  else buf_printf(out, "%d", (int)w->k1);
  buf_putc(out, '|');
  buf_puts(out, w->null2 ? "NULL" : w->k2);
  buf_putc(out, '|');
  if (w->null3) buf_puts(out, "NULL");
  else buf_printf(out, "%lld", (long long)w->k3);
  buf_printf(out, "|%d", (int)w->pay);
}

/* ---- text rows, compared as sorted lists ---- */

struct lines {
  char **s;
  int n, cap;
};

static void lines_add(struct lines *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->s = realloc(l->s, sizeof *l->s * (size_t)l->cap);
  }
  l->s[l->n++] = strdup(s);
}

static void lines_free(struct lines *l) {
  for (int i = 0; i < l->n; i++) free(l->s[i]);
  free(l->s);
  memset(l, 0, sizeof *l);
}

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort both and compare; print the first difference. */
static int lines_same(struct lines *got, struct lines *want) {
  if (got->n) qsort(got->s, (size_t)got->n, sizeof *got->s, cmpstr);
  if (want->n) qsort(want->s, (size_t)want->n, sizeof *want->s, cmpstr);
  if (got->n != want->n) {
    printf("#   got %d rows, want %d\n", got->n, want->n);
    return 0;
  }
  for (int i = 0; i < got->n; i++)
    if (strcmp(got->s[i], want->s[i])) {
      printf("#   row %d: got '%s' want '%s'\n", i, got->s[i], want->s[i]);
      return 0;
    }
  return 1;
}

/* Every row of op as text; closes op. Returns 0 or the error. */
static int drain(struct op *op, struct lines *out, struct err *e) {
  struct batch *b;
  int rc;
  struct buf line;
  buf_init(&line, BUF_UNLIMITED);
  while ((rc = op_next(op, &b, e)) > 0)
    for (uint32_t i = 0; i < b->nrows; i++) {
      buf_reset(&line);
      for (int c = 0; c < b->ncols; c++) {
        if (c) buf_putc(&line, '|');
        vector_to_text(&b->cols[c], i, &line);
      }
      lines_add(out, line.data ? line.data : "");
    }
  buf_fini(&line);
  op_close(op);
  return rc;
}

/* ---- expressions (borrowed by the operators: kept until the end) ---- */

/* Key arrays the operators borrow: freed with the expressions. */
static void **ppool;
static int nppool, capppool;

static void *park(void *p) {
  if (nppool == capppool) {
    capppool = capppool ? 2 * capppool : 64;
    ppool = realloc(ppool, sizeof *ppool * (size_t)capppool);
  }
  ppool[nppool++] = p;
  return p;
}

static void free_exprs(void) {
  for (int i = 0; i < nppool; i++) free(ppool[i]);
  free(ppool);
  ppool = NULL;
  nppool = capppool = 0;
  exprs_free();
}

/* ---- join configurations and the nested-loop expectation ---- */

struct keycfg {
  const char *name;
  int nkeys;
  int cols[3];      /* key columns, the same on both sides */
  int null_safe[3]; /* <=> instead of = */
  int add1;         /* the probe's first key is computed: k1 + 1 */
  int cond;         /* residual condition probe.pay < build.pay */
};

static const struct keycfg KEYCFGS[] = {
    {"int key", 1, {0}, {0}, 0, 0},
    {"string key", 1, {1}, {0}, 0, 0},
    {"3-column key (int, string, bigint)", 3, {0, 1, 2}, {0}, 0, 0},
    {"3-column key, k2 null-safe", 3, {0, 1, 2}, {0, 1, 0}, 0, 0},
    {"computed key k1 + 1 = k1", 1, {0}, {0}, 1, 0},
    {"2-column key and a residual condition", 2, {0, 1}, {0}, 0, 1},
};
#define NKEYCFGS ((int)(sizeof KEYCFGS / sizeof *KEYCFGS))

static int key_null(const struct row *w, int c) {
  return c == 0 ? w->null1 : c == 1 ? w->null2 : w->null3;
}

static int key_eq(const struct row *p, const struct row *b, int c, int add1) {
  switch (c) {
  case 0: return p->k1 + add1 == b->k1;
  case 1: return strcmp(p->k2, b->k2) == 0;
  default: return p->k3 == b->k3;
  }
}

/* Does probe row p match build row b under k? As Spark: a NULL key equals
 * nothing, unless the key is null-safe, where NULL <=> NULL. */
static int rows_match(const struct row *p, const struct row *b, const struct keycfg *k) {
  for (int i = 0; i < k->nkeys; i++) {
    int c = k->cols[i], pn = key_null(p, c), bn = key_null(b, c);
    if (pn || bn) {
      if (!(k->null_safe[i] && pn && bn)) return 0;
      continue;
    }
    if (!key_eq(p, b, c, i == 0 && k->add1)) return 0;
  }
  return !k->cond || p->pay < b->pay;
}

static const char *const JT_NAMES[] = {"inner", "left", "right", "full", "semi", "anti"};
static const enum plan_join_type JTS[] = {JOIN_INNER, JOIN_LEFT, JOIN_RIGHT,
                                          JOIN_FULL,  JOIN_SEMI, JOIN_ANTI};

/* The nested loop's pairs, computed once for every join type. */
struct matches {
  int *pi, *pj;
  int n, cap;
  uint8_t *pm, *bm; /* probe / build row matched */
};

static void matches_compute(struct matches *m, const struct rel *p, const struct rel *b,
                            const struct keycfg *k) {
  memset(m, 0, sizeof *m);
  m->pm = calloc((size_t)p->n + 1, 1);
  m->bm = calloc((size_t)b->n + 1, 1);
  for (int i = 0; i < p->n; i++)
    for (int j = 0; j < b->n; j++) {
      if (!rows_match(&p->r[i], &b->r[j], k)) continue;
      m->pm[i] = m->bm[j] = 1;
      if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->pi = realloc(m->pi, sizeof *m->pi * (size_t)m->cap);
        m->pj = realloc(m->pj, sizeof *m->pj * (size_t)m->cap);
      }
      m->pi[m->n] = i;
      m->pj[m->n++] = j;
    }
}

static void matches_free(struct matches *m) {
  free(m->pi);
  free(m->pj);
  free(m->pm);
  free(m->bm);
  memset(m, 0, sizeof *m);
}

/* The rows join type jt must produce. */
static void expect(struct lines *out, enum plan_join_type jt, const struct rel *p,
                   const struct rel *b, const struct matches *m) {
  struct buf line;
  buf_init(&line, BUF_UNLIMITED);
  const char *nulls = "NULL|NULL|NULL|NULL";
  if (jt != JOIN_SEMI && jt != JOIN_ANTI)
    for (int x = 0; x < m->n; x++) {
      buf_reset(&line);
      row_text(&line, &p->r[m->pi[x]]);
      buf_putc(&line, '|');
      row_text(&line, &b->r[m->pj[x]]);
      lines_add(out, line.data);
    }
  for (int i = 0; i < p->n; i++) {
    int keep = jt == JOIN_SEMI ? m->pm[i]
               : (jt == JOIN_ANTI || jt == JOIN_LEFT || jt == JOIN_FULL) ? !m->pm[i]
                                                                         : 0;
    if (!keep) continue;
    buf_reset(&line);
    row_text(&line, &p->r[i]);
    if (jt == JOIN_LEFT || jt == JOIN_FULL) buf_printf(&line, "|%s", nulls);
    lines_add(out, line.data);
  }
  if (jt == JOIN_RIGHT || jt == JOIN_FULL)
    for (int j = 0; j < b->n; j++) {
      if (m->bm[j]) continue;
      buf_reset(&line);
      buf_printf(&line, "%s|", nulls);
      row_text(&line, &b->r[j]);
      lines_add(out, line.data);
    }
  buf_fini(&line);
}

/* A fresh task on budget m (shared by the tasks of a test). */
static void task_init(struct task_ctx *t, struct mem_budget *m, struct join_cache *jc) {
  memset(t, 0, sizeof *t);
  t->mem = m;
  t->spill_dir = spill_dir;
  t->cancel = &cancel_flag;
  t->joins = jc;
}

/* The hash join of p (probe) and b (build) under k; shared: through the
 * task's join cache under key. */
static struct op *make_join(struct task_ctx *t, enum plan_join_type jt, const struct rel *p,
                            const struct rel *b, const struct keycfg *k, const void *key,
                            struct err *e) {
  struct expr **pk = park(calloc(4, sizeof *pk)), **bk = park(calloc(4, sizeof *bk));
  for (int i = 0; i < k->nkeys; i++) {
    int c = k->cols[i];
    pk[i] = col(c, COLT[c]);
    bk[i] = col(c, COLT[c]);
  }
  if (k->add1) pk[0] = fn2(FN_ADD, T_INT, pk[0], lit_int(1, T_INT));
  int *ns = park(calloc(4, sizeof *ns));
  memcpy(ns, k->null_safe, sizeof k->null_safe);
  struct expr *cond = k->cond ? fn2(FN_LT, T_BOOL, col(3, T_INT), col(NCOLS + 3, T_INT)) : NULL;
  struct op *po = op_batches(t, COLT, NCOLS, p->bs, p->nb, e);
  struct op *bo = op_batches(t, COLT, NCOLS, b->bs, b->nb, e);
  if (!po || !bo) {
    op_close(po);
    op_close(bo);
    return NULL;
  }
  if (key)
    return op_hash_join_shared(t, po, bo, jt, pk, bk, ns, k->nkeys, cond, 0, key, e);
  return op_hash_join(t, po, bo, jt, pk, bk, ns, k->nkeys, cond, 0, e);
}

/* Run jt over p and b on a fresh task with budget cap and compare with the
 * nested loop's m. *t_out receives the task's metrics when not NULL. */
static int run_check(enum plan_join_type jt, const struct rel *p, const struct rel *b,
                     const struct keycfg *k, const struct matches *m, int64_t cap,
                     struct task_ctx *t_out, int64_t *peak_out) {
  struct mem_budget mb;
  struct task_ctx t;
  mem_budget_init(&mb, cap);
  mem_task_begin(&mb);
  task_init(&t, &mb, NULL);
  struct err e;
  err_clear(&e);
  struct lines got = {0}, want = {0};
  struct op *op = make_join(&t, jt, p, b, k, NULL, &e);
  int rc = op ? drain(op, &got, &e) : -1;
  if (rc) printf("#   error: %s\n", e.msg);
  expect(&want, jt, p, b, m);
  int ok = rc == 0 && lines_same(&got, &want);
  if (atomic_load(&mb.used) != 0) {
    printf("#   %lld bytes still reserved after close\n", (long long)atomic_load(&mb.used));
    ok = 0;
  }
  if (t_out) *t_out = t;
  if (peak_out) *peak_out = atomic_load(&mb.peak);
  mem_task_end(&mb);
  lines_free(&got);
  lines_free(&want);
  return ok;
}

/* Every join type and key configuration, in both shapes: a large probe side
 * with a small build side (the table as planned), and a small probe side
 * with a large build side spanning several row-store chunks (inner joins
 * then swap roles). */
static void test_types(void) {
  for (int shape = 0; shape < 2; shape++) {
    for (int c = 0; c < NKEYCFGS; c++) {
      const struct keycfg *k = &KEYCFGS[c];
      struct rel p, b;
      int np = shape ? 1200 : 18000, nb = shape ? 18000 : 1200;
      rel_gen(&p, np, 200, 8, shape ? 500 : 2048);
      rel_gen(&b, nb, 200, 8, shape ? 2048 : 500);
      struct matches m;
      matches_compute(&m, &p, &b, k);
      for (int t = 0; t < 6; t++)
        TAP_OK(run_check(JTS[t], &p, &b, k, &m, 0, NULL, NULL),
               "%s join, %s, %d probe x %d build rows (%d matching pairs)", JT_NAMES[t], k->name,
               np, nb, m.n);
      matches_free(&m);
      rel_free(&p);
      rel_free(&b);
    }
  }
}

/* Build sides of every size around the table's and the row store's
 * power-of-two boundaries, with distinct keys and with chains. */
static void test_sizes(void) {
  static const int sizes[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 4095, 4096, 4097, 8193};
  const struct keycfg *k = &KEYCFGS[0];
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int n = sizes[s];
    for (int chains = 0; chains < 2; chains++) {
      struct rel p, b;
      rel_gen(&b, n, 1, 0, 1000);
      /* Distinct keys 0..n-1 (scrambled), or about n/3 keys with chains. */
      for (int i = 0; i < n; i++)
        b.r[i].k1 = chains ? (int32_t)(rnd() % (uint64_t)(n / 3 + 1))
                           : (int32_t)(((uint64_t)i * 2654435761u) % (uint64_t)n);
      for (int i = 0; i < b.nb; i++) batch_free(b.bs[i]);
      free(b.bs);
      rel_batches(&b, 1000);
      rel_gen(&p, 3000, 2 * (n ? n : 1), 2, 1024);
      struct matches m;
      matches_compute(&m, &p, &b, k);
      int ok = 1;
      for (int t = 0; t < 4; t++) ok &= run_check(JTS[t], &p, &b, k, &m, 0, NULL, NULL);
      TAP_OK(ok, "inner/left/right/full joins with %d build rows, %s (%d pairs)", n,
             chains ? "duplicate keys" : "distinct keys", m.n);
      matches_free(&m);
      rel_free(&p);
      rel_free(&b);
    }
  }
}

/* Keys that are all NULL: = never matches (inner joins are empty, outer
 * joins pad every row), <=> matches NULL with NULL. */
static void test_null_keys(void) {
  struct rel p, b;
  rel_gen(&p, 300, 10, 100, 128);
  rel_gen(&b, 500, 10, 100, 128);
  for (int c = 0; c < 4; c++) {
    const struct keycfg *k = &KEYCFGS[c];
    struct matches m;
    matches_compute(&m, &p, &b, k);
    int ok = 1;
    for (int t = 0; t < 6; t++) ok &= run_check(JTS[t], &p, &b, k, &m, 0, NULL, NULL);
    /* Even with k2 null-safe nothing matches: k1 and k3 still use =. */
    TAP_OK(ok && m.n == 0, "all-NULL keys, %s: no pair matches, every join type = nested loop",
           k->name);
    matches_free(&m);
  }
  static const struct keycfg ns = {"k1 <=> k1", 1, {0}, {1}, 0, 0};
  struct matches m;
  matches_compute(&m, &p, &b, &ns);
  int ok = 1;
  for (int t = 0; t < 6; t++) ok &= run_check(JTS[t], &p, &b, &ns, &m, 0, NULL, NULL);
  TAP_OK(ok && m.n == p.n * b.n, "all-NULL keys under <=>: every pair matches (%d pairs)", m.n);
  matches_free(&m);
  rel_free(&p);
  rel_free(&b);
}

/* The role swap: an inner join whose probe side ends after a few rows
 * builds its table over those rows instead of the large build side. Under a
 * 1 MiB budget a table over the 60000-row side (past the MEM_MIN_GRANT any
 * task may hold) spills; the swapped join does not, and its output keeps the
 * probe side's columns first. */
static void test_swap(void) {
  struct rel tiny, big, wide;
  rel_gen(&tiny, 100, 2000, 5, 64);
  rel_gen(&big, 60000, 2000, 5, 2048);
  for (int c = 0; c < NKEYCFGS; c++) {
    const struct keycfg *k = &KEYCFGS[c];
    struct matches m;
    matches_compute(&m, &tiny, &big, k);
    struct task_ctx t;
    int64_t peak = 0;
    int ok = run_check(JOIN_INNER, &tiny, &big, k, &m, 1 << 20, &t, &peak);
    TAP_OK(ok, "tiny probe side, 1 MiB budget: inner join = nested loop, probe columns first (%s, "
               "%d pairs)", k->name, m.n);
    TAP_OK(t.spill_bytes == 0 && peak < (1 << 20),
           "tiny probe side: roles swapped, nothing spilled (%s; peak %lld bytes)", k->name,
           (long long)peak);
    matches_free(&m);
  }
  /* The same large build side under a probe side too long to swap: the
   * table is built over the 60000 rows and spills (the budget refuses it),
   * with the same answer as without a budget. */
  rel_gen(&wide, 40000, 2000, 5, 2048);
  {
    struct mem_budget mb;
    struct task_ctx t;
    struct lines a = {0}, bl = {0};
    struct err e;
    err_clear(&e);
    mem_budget_init(&mb, 0);
    mem_task_begin(&mb);
    task_init(&t, &mb, NULL);
    int rc = drain(make_join(&t, JOIN_INNER, &wide, &big, &KEYCFGS[2], NULL, &e), &a, &e);
    mem_task_end(&mb);
    mem_budget_init(&mb, 1 << 20);
    mem_task_begin(&mb);
    task_init(&t, &mb, NULL);
    if (!rc) rc = drain(make_join(&t, JOIN_INNER, &wide, &big, &KEYCFGS[2], NULL, &e), &bl, &e);
    mem_task_end(&mb);
    if (rc) printf("#   error: %s\n", e.msg);
    TAP_OK(rc == 0 && a.n > 0 && lines_same(&bl, &a) && t.spill_bytes > 0,
           "long probe side, 1 MiB budget: no swap, the build spills (%lld bytes), same %d rows",
           (long long)t.spill_bytes, a.n);
    lines_free(&a);
    lines_free(&bl);
  }
  /* An empty probe side: the inner join is empty and never reads its
   * build side. */
  {
    struct rel none;
    rel_gen(&none, 0, 1, 0, 64);
    struct mem_budget mb;
    struct task_ctx t;
    struct lines got = {0};
    struct err e;
    err_clear(&e);
    mem_budget_init(&mb, 0);
    mem_task_begin(&mb);
    task_init(&t, &mb, NULL);
    int rc = drain(make_join(&t, JOIN_INNER, &none, &big, &KEYCFGS[0], NULL, &e), &got, &e);
    mem_task_end(&mb);
    TAP_OK(rc == 0 && got.n == 0 && t.rows_in == 0,
           "empty probe side: no rows, build side not read (%lld rows read)", (long long)t.rows_in);
    lines_free(&got);
    rel_free(&none);
  }
  rel_free(&tiny);
  rel_free(&big);
  rel_free(&wide);
}

/* ---- the shared broadcast build ---- */

#define NTASKS 4

struct worker {
  pthread_t th;
  struct op *op;
  struct lines got;
  struct err e;
  int rc;
};

static void *worker_run(void *arg) {
  struct worker *w = arg;
  w->rc = drain(w->op, &w->got, &w->e);
  return NULL;
}

/* NTASKS tasks of one stage, each probing its own slice of the probe side
 * against the same broadcast build side through one join cache, on threads
 * (or one after another). Checks each task's answer and returns the rows
 * the tasks read in all. */
static int run_shared(enum plan_join_type jt, const struct rel *p, const struct rel *b,
                      const struct keycfg *k, int64_t cap, int threads, int64_t *rows_in) {
  struct mem_budget mb;
  mem_budget_init(&mb, cap);
  struct join_cache *jc = join_cache_new();
  static const char stage_key[] = "the broadcast exchange";
  struct rel parts[NTASKS];
  struct task_ctx tasks[NTASKS];
  struct worker w[NTASKS];
  memset(w, 0, sizeof w);
  int per = p->n / NTASKS, ok = jc != NULL;
  for (int i = 0; i < NTASKS; i++) {
    rel_slice(&parts[i], p, i * per, i == NTASKS - 1 ? p->n : (i + 1) * per, 700);
    mem_task_begin(&mb);
    task_init(&tasks[i], &mb, jc);
    err_clear(&w[i].e);
    w[i].op = make_join(&tasks[i], jt, &parts[i], b, k, stage_key, &w[i].e);
    if (!w[i].op) ok = 0;
  }
  for (int i = 0; ok && i < NTASKS; i++) {
    if (threads) pthread_create(&w[i].th, NULL, worker_run, &w[i]);
    else worker_run(&w[i]);
  }
  *rows_in = 0;
  for (int i = 0; ok && i < NTASKS; i++) {
    if (threads) pthread_join(w[i].th, NULL);
    if (w[i].rc) printf("#   task %d: %s\n", i, w[i].e.msg);
    struct matches m;
    struct lines want = {0};
    matches_compute(&m, &parts[i], b, k);
    expect(&want, jt, &parts[i], b, &m);
    if (w[i].rc || !lines_same(&w[i].got, &want)) {
      printf("#   task %d's answer differs from the nested loop\n", i);
      ok = 0;
    }
    *rows_in += tasks[i].rows_in;
    lines_free(&want);
    matches_free(&m);
  }
  for (int i = 0; i < NTASKS; i++) {
    lines_free(&w[i].got);
    rel_free(&parts[i]);
    mem_task_end(&mb);
  }
  join_cache_free(jc);
  if (atomic_load(&mb.used) != 0) {
    printf("#   %lld bytes still reserved\n", (long long)atomic_load(&mb.used));
    ok = 0;
  }
  return ok;
}

static void test_shared(void) {
  struct rel p, b;
  rel_gen(&p, 6000, 1500, 5, 1000);
  rel_gen(&b, 6000, 1500, 5, 1000);
  int64_t want_once = p.n + b.n, want_each = p.n + (int64_t)NTASKS * b.n;
  for (int c = 0; c < NKEYCFGS; c += 2) {
    const struct keycfg *k = &KEYCFGS[c];
    for (int t = 0; t < 6; t++) {
      if (JTS[t] == JOIN_FULL) continue;
      for (int threads = 0; threads < 2; threads++) {
        int64_t rows = 0;
        int ok = run_shared(JTS[t], &p, &b, k, 0, threads, &rows);
        /* A right join keeps unmatched build rows per task: never shared. */
        int64_t want = JTS[t] == JOIN_RIGHT ? want_each : want_once;
        TAP_OK(ok && rows == want,
               "%s join, %s, %d tasks %s: answers = nested loop, build side read %s (%lld rows "
               "read, want %lld)",
               JT_NAMES[t], k->name, NTASKS, threads ? "on threads" : "in turn",
               JTS[t] == JOIN_RIGHT ? "by every task (not shareable)" : "once", (long long)rows,
               (long long)want);
      }
    }
  }
  /* A build side the budget refuses (past the MEM_MIN_GRANT every task may
   * hold) is not shared: the build spills and every task builds (and
   * spills) its own, with the same answers. */
  struct rel p2, b2;
  rel_gen(&p2, 400, 20000, 5, 100);
  rel_gen(&b2, 80000, 20000, 5, 2048);
  for (int threads = 0; threads < 2; threads++) {
    int64_t rows = 0;
    int ok = run_shared(JOIN_INNER, &p2, &b2, &KEYCFGS[2], 1 << 20, threads, &rows);
    TAP_OK(ok && rows == p2.n + (int64_t)NTASKS * b2.n,
           "inner join under a 1 MiB budget, tasks %s: the spilled build is not shared, every "
           "task builds its own (%lld rows read)",
           threads ? "on threads" : "in turn", (long long)rows);
  }
  rel_free(&p2);
  rel_free(&b2);
  rel_free(&p);
  rel_free(&b);
}

/* ---- the runtime join filter, through the engine ---- */

static char exe[4096];

/* CSV of rel x's columns k1, k2, k3, pay (NULL: an empty field). */
static void write_csv(const char *path, const struct rel *x) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "k1,k2,k3,pay\n");
  for (int i = 0; i < x->n; i++) {
    const struct row *w = &x->r[i];
    if (!w->null1) fprintf(f, "%d", (int)w->k1);
    fputc(',', f);
    if (!w->null2) fputs(w->k2, f);
    fputc(',', f);
    if (!w->null3) fprintf(f, "%lld", (long long)w->k3);
    fprintf(f, ",%d\n", (int)w->pay);
  }
  fclose(f);
}

struct stages {
  int64_t rows[64]; /* rows out of each stage (from the progress reports) */
};

static void on_progress(void *arg, const struct engine_progress *p) {
  struct stages *s = arg;
  if (p->stage_id >= 0 && p->stage_id < 64 && p->rows > s->rows[p->stage_id])
    s->rows[p->stage_id] = p->rows;
}

/* Run sql on a new engine with conf; the last result's rows as tab-separated
 * lines into got (NULL: not wanted), and the EXPLAIN of `explain` into plan. */
static int engine_run(const char *master, const struct readopt_kv *conf, int nconf,
                      const char *setup, const char *query, struct lines *got, struct buf *plan,
                      struct stages *st) {
  struct engine *en;
  struct err e;
  err_clear(&e);
  if (engine_new(&en, master, conf, nconf, exe, &e)) {
    printf("#   engine_new: %s\n", e.msg);
    return -1;
  }
  struct engine_callbacks cb = {on_progress, NULL, st};
  struct engine_result **rs = NULL;
  int nr = 0, rc;
  struct buf sql;
  buf_init(&sql, BUF_UNLIMITED);
  buf_printf(&sql, "%s;\nEXPLAIN %s", setup, query);
  rc = engine_sql(en, sql.data, sql.len, NULL, &rs, &nr, &e);
  if (!rc && nr > 0) {
    /* EXPLAIN's one cell: the plan text. */
    engine_result_format(rs[nr - 1], "tsv", plan);
  }
  for (int i = 0; i < nr; i++) engine_result_free(rs[i]);
  free(rs);
  rs = NULL;
  nr = 0;
  if (!rc) rc = engine_sql(en, query, strlen(query), &cb, &rs, &nr, &e);
  if (rc) printf("#   %s\n", e.msg);
  if (!rc && nr > 0) {
    struct buf out;
    buf_init(&out, BUF_UNLIMITED);
    engine_result_format(rs[nr - 1], "tsv", &out);
    char *save = NULL;
    for (char *l = out.data ? strtok_r(out.data, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save))
      lines_add(got, l);
    buf_fini(&out);
  }
  for (int i = 0; i < nr; i++) engine_result_free(rs[i]);
  free(rs);
  buf_fini(&sql);
  engine_free(en);
  return rc;
}

/* From EXPLAIN text: the stage running the runtime filter's semi join (a
 * "LeftSemi ... (broadcast build)" join in a stage that feeds an exchange),
 * or -1; and the result stage. */
static int filter_stage(const char *plan, int *result_stage) {
  int stage = -1, found = -1, in_result = 0;
  *result_stage = -1;
  for (const char *l = plan; l && *l;) {
    const char *nl = strchr(l, '\n');
    size_t n = nl ? (size_t)(nl - l) : strlen(l);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(n < 1000 ? n : 1000), l);
    const char *st = strstr(line, "Stage ");
    int s;
    if (st && st == line + strspn(line, "\"") && sscanf(st, "Stage %d:", &s) == 1) {
      stage = s;
      in_result = strstr(line, "[result]") != NULL;
      if (in_result) *result_stage = s;
    }
    if (!in_result && strstr(line, "LeftSemi") && strstr(line, "(broadcast build)")) found = stage;
    l = nl ? nl + 1 : NULL;
  }
  return found;
}

/* A query over big (T) and small (F) with its expected rows: the nested
 * loop of probe x build under k. */
struct rfq {
  const char *name, *sql;
  const char *threshold; /* spark.sql.autoBroadcastJoinThreshold with the filter on */
  int small_probes;    /* the small table is the join's left (probe) side */
  int semi;            /* SELECT big's columns only */
  struct keycfg k;
};

static void test_runtime_filter(void) {
  struct rel big, small;
  rel_gen(&big, 20000, 3000, 4, 4096);
  rel_gen(&small, 300, 3000, 4, 4096);
  /* Half of the small side's keys are taken from big rows, so that the
   * multi-column joins have matches too. */
  for (int i = 0; i < small.n; i += 2) {
    const struct row *src = &big.r[rnd() % (uint64_t)big.n];
    int32_t pay = small.r[i].pay;
    small.r[i] = *src;
    small.r[i].pay = pay;
  }
  /* An empty CSV field reads as NULL: no empty strings here. */
  for (int i = 0; i < big.n; i++)
    if (!big.r[i].k2[0]) snprintf(big.r[i].k2, sizeof big.r[i].k2, "e");
  for (int i = 0; i < small.n; i++)
    if (!small.r[i].k2[0]) snprintf(small.r[i].k2, sizeof small.r[i].k2, "e");
  char bpath[4300], spath[4300], setup[9000];
  snprintf(bpath, sizeof bpath, "%s/big.csv", tmpdir);
  snprintf(spath, sizeof spath, "%s/small.csv", tmpdir);
  write_csv(bpath, &big);
  write_csv(spath, &small);
  snprintf(setup, sizeof setup,
           "CREATE TABLE big (k1 INT, k2 STRING, k3 BIGINT, pay INT) USING csv OPTIONS (path "
           "'%s', header 'true');\n"
           "CREATE TABLE small (k1 INT, k2 STRING, k3 BIGINT, pay INT) USING csv OPTIONS (path "
           "'%s', header 'true')",
           bpath, spath);
  static const struct rfq qs[] = {
      {"inner join on (int, string)",
       "SELECT b.*, s.* FROM big b JOIN small s ON b.k1 = s.k1 AND b.k2 = s.k2", "1k", 0, 0,
       {"", 2, {0, 1}, {0}, 0, 0}},
      {"inner join, the small side on the left",
       "SELECT s.*, b.* FROM small s JOIN big b ON s.k1 = b.k1", "1k", 1, 0,
       {"", 1, {0}, {0}, 0, 0}},
      /* The subquery's one column makes the small side smaller still. */
      {"IN subquery (semi join)", "SELECT * FROM big WHERE k1 IN (SELECT k1 FROM small)", "256",
       0, 1, {"", 1, {0}, {0}, 0, 0}},
      {"null-safe key",
       "SELECT b.*, s.* FROM big b JOIN small s ON b.k1 <=> s.k1 AND b.k3 = s.k3", "1k", 0, 0,
       {"", 2, {0, 2}, {1, 0}, 0, 0}},
  };
  /* off: no broadcast and no runtime filter; on: both sides over the
   * threshold, the small one under 16 thresholds and 4x smaller; broadcast:
   * the small side is broadcast instead (no filter needed). */
  static const char *const mode_names[] = {"filter off (threshold -1)", "filter on",
                                           "broadcast join (threshold 10m)"};
  for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
    const struct rfq *Q = &qs[q];
    const struct rel *p = Q->small_probes ? &small : &big, *b = Q->small_probes ? &big : &small;
    struct matches m;
    matches_compute(&m, p, b, &Q->k);
    struct lines want = {0};
    expect(&want, Q->semi ? JOIN_SEMI : JOIN_INNER, p, b, &m);
    for (int i = 0; i < want.n; i++)
      for (char *c = want.s[i]; *c; c++)
        if (*c == '|') *c = '\t';
    /* Rows of big with a match in small: all the filter lets through. */
    int64_t big_matching = 0;
    for (int i = 0; i < big.n; i++) big_matching += Q->small_probes ? m.bm[i] : m.pm[i];
    int64_t shuffled[3] = {0, 0, 0};
    for (int md = 0; md < 3; md++) {
      const char *modes[] = {"-1", Q->threshold, "10m"};
      struct readopt_kv conf[] = {{"spark.sql.autoBroadcastJoinThreshold", modes[md]},
                                  {"spark.sql.shuffle.partitions", "4"},
                                  {"spark.sql.files.maxPartitionBytes", "64k"}};
      struct lines got = {0};
      struct buf plan;
      buf_init(&plan, BUF_UNLIMITED);
      struct stages st;
      memset(&st, 0, sizeof st);
      int rc = engine_run("local[2]", conf, 3, setup, Q->sql, &got, &plan, &st);
      TAP_OK(rc == 0 && lines_same(&got, &want), "%s, %s: = nested loop (%d rows)", Q->name,
             mode_names[md], want.n);
      int rs, fs = filter_stage(plan.data ? plan.data : "", &rs);
      for (int s = 0; s < 64; s++)
        if (s != rs) shuffled[md] += st.rows[s];
      if (md == 1) {
        TAP_OK(fs >= 0 && fs < 64 && st.rows[fs] == big_matching,
               "%s, %s (threshold %s): EXPLAIN shows the filtering semi join (stage %d), which passed %lld rows "
               "of %d (want %lld)",
               Q->name, mode_names[md], Q->threshold, fs, (long long)(fs >= 0 && fs < 64 ? st.rows[fs] : -1),
               big.n, (long long)big_matching);
        if (fs < 0) printf("#   plan:\n%s", plan.data ? plan.data : "");
      } else {
        TAP_OK(fs < 0, "%s, %s: no runtime filter in EXPLAIN", Q->name, mode_names[md]);
      }
      lines_free(&got);
      buf_fini(&plan);
    }
    if (q == 0) {
      /* The same with executor processes: the filter's table is built in
       * each executor from the broadcast stage output. */
      struct readopt_kv conf[] = {{"spark.sql.autoBroadcastJoinThreshold", Q->threshold},
                                  {"spark.sql.shuffle.partitions", "4"},
                                  {"spark.sql.files.maxPartitionBytes", "64k"}};
      struct lines got = {0};
      struct buf plan;
      buf_init(&plan, BUF_UNLIMITED);
      struct stages st;
      memset(&st, 0, sizeof st);
      int rc = engine_run("local-cluster[2,1,512]", conf, 3, setup, Q->sql, &got, &plan, &st);
      int rs, fs = filter_stage(plan.data ? plan.data : "", &rs);
      TAP_OK(rc == 0 && lines_same(&got, &want) && fs >= 0 && fs < 64 &&
                 st.rows[fs] == big_matching,
             "%s, filter on, 2 executor processes: = nested loop, the filter passed %lld rows "
             "(want %lld)",
             Q->name, (long long)(fs >= 0 && fs < 64 ? st.rows[fs] : -1), (long long)big_matching);
      lines_free(&got);
      buf_fini(&plan);
    }
    TAP_OK(shuffled[1] < shuffled[0],
           "%s: with the filter %lld rows left their stages, without it %lld", Q->name,
           (long long)shuffled[1], (long long)shuffled[0]);
    lines_free(&want);
    matches_free(&m);
  }
  rel_free(&big);
  rel_free(&small);
}

int main(void) {
  if (!mkdtemp(tmpdir)) return 1;
  snprintf(spill_dir, sizeof spill_dir, "%s", tmpdir);
  const char *builddir = getenv("top_builddir");
  snprintf(exe, sizeof exe, "%s/kindling", builddir ? builddir : ".");
  if (getenv("KINDLING_EXE")) snprintf(exe, sizeof exe, "%s", getenv("KINDLING_EXE"));
  test_types();
  test_sizes();
  test_null_keys();
  test_swap();
  test_shared();
  test_runtime_filter();
  free_exprs();
  fs_rmtree(tmpdir);
  return tap_done();
}
