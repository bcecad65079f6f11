/* test_opt.c: the logical optimizer on hand-built TPC-H plans -- join
 * extraction and ordering, subquery rewrites, folding, push-down, pruning,
 * sort/limit rules, determinism. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/opt/estimate.h"
#include "engine/opt/joinorder.h"
#include "engine/opt/optimizer.h"
#include "engine/vec/datetime.h"
#include "tests/tap.h"

/* ---- plan building helpers ---- */

static struct plan_ctx *C;

#define MAX_SCHEMAS 512
static struct schema *schemas[MAX_SCHEMAS];
static int nschemas;

static const struct type T_BOOL = {TYPE_BOOLEAN, 0, 0};

struct tpch {
  const char *name;
  int64_t size; /* SF1 file size, bytes */
  const char *ddl;
};

static const struct tpch TABLES[] = {
    {"region", 389, "r_regionkey INT, r_name STRING, r_comment STRING"},
    {"nation", 2224, "n_nationkey INT, n_name STRING, n_regionkey INT, n_comment STRING"},
    {"supplier", 1409184,
     "s_suppkey BIGINT, s_name STRING, s_address STRING, s_nationkey INT, s_phone STRING, "
     "s_acctbal DOUBLE, s_comment STRING"},
    {"customer", 24346144,
     "c_custkey BIGINT, c_name STRING, c_address STRING, c_nationkey INT, c_phone STRING, "
     "c_acctbal DOUBLE, c_mktsegment STRING, c_comment STRING"},
    {"orders", 171952161,
     "o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus STRING, o_totalprice DOUBLE, "
     "o_orderdate DATE, o_orderpriority STRING, o_clerk STRING, o_shippriority INT, "
     "o_comment STRING"},
    {"lineitem", 759863287,
     "l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT, l_linenumber INT, l_quantity DOUBLE, "
     "l_extendedprice DOUBLE, l_discount DOUBLE, l_tax DOUBLE, l_returnflag STRING, "
     "l_linestatus STRING, l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, "
     "l_shipinstruct STRING, l_shipmode STRING, l_comment STRING"},
};

static struct plan *scan(const char *table) {
  const struct tpch *t = NULL;
  for (size_t i = 0; i < sizeof(TABLES) / sizeof(TABLES[0]); i++)
    if (strcmp(TABLES[i].name, table) == 0) t = &TABLES[i];
  if (!t || nschemas == MAX_SCHEMAS) abort();
  struct schema *s = malloc(sizeof(*s));
  struct err e;
  if (!s || schema_parse_ddl(t->ddl, s, &e)) abort();
  schemas[nschemas++] = s;
  struct plan *p = plan_new(C, PLAN_SCAN, NULL, 0, s->ncols);
  p->u.scan.src.name = t->name;
  p->u.scan.src.format = "csv";
  const char **paths = plan_alloc(C, sizeof(char *));
  int64_t *sizes = plan_alloc(C, sizeof(int64_t));
  paths[0] = t->name;
  sizes[0] = t->size;
  p->u.scan.src.paths = paths;
  p->u.scan.src.sizes = sizes;
  p->u.scan.src.npaths = 1;
  p->u.scan.src.schema = s;
  p->u.scan.proj = plan_alloc(C, sizeof(int) * (size_t)s->ncols);
  for (int i = 0; i < s->ncols; i++) {
    p->cols[i].id = plan_ctx_new_id(C);
    p->cols[i].name = s->cols[i].name;
    p->cols[i].qualifier = t->name;
    p->cols[i].type = s->cols[i].type;
    p->cols[i].nullable = 1;
    p->u.scan.proj[i] = i;
  }
  return p;
}

/* Column `name` of p's output (aborts when missing: a test bug). */
static struct expr *col(const struct plan *p, const char *name) {
  for (int i = 0; i < p->ncols; i++)
    if (strcmp(p->cols[i].name, name) == 0)
      return expr_col(C, p->cols[i].id, p->cols[i].type, p->cols[i].nullable);
  fprintf(stderr, "no column %s\n", name);
  abort();
}

static struct expr *lit_i(int64_t v) {
  struct value x = {.type = {TYPE_INT, 0, 0}, .i = v};
  return expr_lit(C, &x);
}

static struct expr *lit_d(double v) {
  struct value x = {.type = {TYPE_DOUBLE, 0, 0}, .d = v};
  return expr_lit(C, &x);
}

static struct expr *lit_b(int v) {
  struct value x = {.type = {TYPE_BOOLEAN, 0, 0}, .i = v};
  return expr_lit(C, &x);
}

static struct expr *lit_s(const char *s) {
  struct value x = {.type = {TYPE_STRING, 0, 0}, .s = s, .len = (uint32_t)strlen(s)};
  return expr_lit(C, &x);
}

static struct expr *lit_date(const char *s) {
  int32_t d = 0;
  if (datetime_parse_date_iso(s, strlen(s), &d)) abort();
  struct value x = {.type = {TYPE_DATE, 0, 0}, .i = d};
  return expr_lit(C, &x);
}

static struct expr *fn(enum expr_fn f, struct expr *a, struct expr *b) {
  struct expr *args[2] = {a, b};
  int cmp = f == FN_EQ || f == FN_NE || f == FN_LT || f == FN_LE || f == FN_GT || f == FN_GE ||
            f == FN_NSEQ || f == FN_AND || f == FN_OR;
  return expr_func(C, f, cmp ? T_BOOL : a->type, args, b ? 2 : 1);
}

static struct expr *and_(int n, ...) {
  struct expr *a[32];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) a[i] = va_arg(ap, struct expr *);
  va_end(ap);
  return expr_func(C, FN_AND, T_BOOL, a, n);
}

static struct expr *not_(struct expr *a) { return expr_func(C, FN_NOT, T_BOOL, &a, 1); }

static struct plan *filter(struct plan *child, struct expr *cond) {
  struct plan *p = plan_new(C, PLAN_FILTER, &child, 1, child->ncols);
  memcpy(p->cols, child->cols, sizeof(*p->cols) * (size_t)child->ncols);
  p->u.filter.cond = cond;
  return p;
}

static struct plan *join(struct plan *l, struct plan *r, enum plan_join_type t, struct expr *cond) {
  struct plan *ch[2] = {l, r};
  int semi = t == JOIN_SEMI || t == JOIN_ANTI;
  int n = l->ncols + (semi ? 0 : r->ncols);
  struct plan *p = plan_new(C, PLAN_JOIN, ch, 2, n);
  memcpy(p->cols, l->cols, sizeof(*p->cols) * (size_t)l->ncols);
  if (!semi) memcpy(p->cols + l->ncols, r->cols, sizeof(*p->cols) * (size_t)r->ncols);
  p->u.join.type = t;
  p->u.join.cond = cond;
  return p;
}

static struct plan *cross(struct plan *l, struct plan *r) { return join(l, r, JOIN_CROSS, NULL); }

/* Project: n (expr, name) pairs; plain column refs keep their id. */
static struct plan *project(struct plan *child, int n, ...) {
  struct plan *p = plan_new(C, PLAN_PROJECT, &child, 1, n);
  p->u.project.exprs = plan_alloc(C, sizeof(struct expr *) * (size_t)n);
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) {
    struct expr *x = va_arg(ap, struct expr *);
    const char *name = va_arg(ap, const char *);
    p->u.project.exprs[i] = x;
    p->cols[i].id = x->kind == EXPR_COL ? x->u.col.id : plan_ctx_new_id(C);
    p->cols[i].name = name;
    p->cols[i].type = x->type;
    p->cols[i].nullable = 1;
  }
  va_end(ap);
  return p;
}

/* Aggregate with nkeys plain-column keys (names) and one call fn(arg). */
static struct plan *agg1(struct plan *child, int nkeys, const char **keys, enum agg_fn f,
                         struct expr *arg, const char *name) {
  struct plan *p = plan_new(C, PLAN_AGG, &child, 1, nkeys + 1);
  p->u.agg.keys = plan_alloc(C, sizeof(struct expr *) * (size_t)(nkeys ? nkeys : 1));
  for (int i = 0; i < nkeys; i++) {
    p->u.agg.keys[i] = col(child, keys[i]);
    p->cols[i].id = plan_ctx_new_id(C);
    p->cols[i].name = keys[i];
    p->cols[i].type = p->u.agg.keys[i]->type;
    p->cols[i].nullable = 1;
  }
  p->u.agg.nkeys = nkeys;
  p->u.agg.calls = plan_alloc(C, sizeof(struct plan_agg_call));
  p->u.agg.calls[0].fn = f;
  p->u.agg.calls[0].arg = arg;
  p->u.agg.calls[0].type = arg ? arg->type : (struct type){TYPE_BIGINT, 0, 0};
  p->u.agg.ncalls = 1;
  p->cols[nkeys].id = plan_ctx_new_id(C);
  p->cols[nkeys].name = name;
  p->cols[nkeys].type = p->u.agg.calls[0].type;
  p->cols[nkeys].nullable = 1;
  return p;
}

static struct plan *sort1(struct plan *child, struct expr *key, int desc) {
  struct plan *p = plan_new(C, PLAN_SORT, &child, 1, child->ncols);
  memcpy(p->cols, child->cols, sizeof(*p->cols) * (size_t)child->ncols);
  p->u.sort.keys = plan_alloc(C, sizeof(struct plan_sort_key));
  p->u.sort.keys[0].expr = key;
  p->u.sort.keys[0].desc = desc;
  p->u.sort.nkeys = 1;
  p->u.sort.limit = -1;
  return p;
}

static struct plan *limit(struct plan *child, int64_t n, int64_t off) {
  struct plan *p = plan_new(C, PLAN_LIMIT, &child, 1, child->ncols);
  memcpy(p->cols, child->cols, sizeof(*p->cols) * (size_t)child->ncols);
  p->u.limit.limit = n;
  p->u.limit.offset = off;
  return p;
}

static struct expr *subq(enum expr_kind k, struct plan *plan, struct expr *arg, int negated) {
  struct expr *e = plan_alloc(C, sizeof(*e));
  e->kind = k;
  e->type = k == EXPR_SUBQUERY ? plan->cols[0].type : T_BOOL;
  e->nullable = 1;
  e->pos.line = 3;
  e->pos.column = 7;
  e->u.sub.plan = plan;
  e->u.sub.arg = arg;
  e->u.sub.negated = negated;
  return e;
}

static void reset(void) {
  if (C) plan_ctx_free(C);
  C = plan_ctx_new();
  if (!C) abort();
}

/* ---- inspection helpers ---- */

static char dumpbuf[65536];

static const char *dump(const struct plan *p) {
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  plan_dump(p, C, &b);
  snprintf(dumpbuf, sizeof(dumpbuf), "%s", b.data ? b.data : "");
  buf_fini(&b);
  return dumpbuf;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static int count_kind(const struct plan *p, enum plan_kind k) {
  int n = p->kind == k;
  for (int i = 0; i < p->nchild; i++) n += count_kind(p->child[i], k);
  return n;
}

static const struct plan *find_scan(const struct plan *p, const char *table) {
  if (p->kind == PLAN_SCAN && strcmp(p->u.scan.src.name, table) == 0) return p;
  for (int i = 0; i < p->nchild; i++) {
    const struct plan *s = find_scan(p->child[i], table);
    if (s) return s;
  }
  return NULL;
}

/* Every node estimated; every inner join keyed with the smaller side right. */
static int check_estimates(const struct plan *p, int *bad_build) {
  int ok = p->est_rows >= 0 && p->est_bytes >= 0;
  if (p->kind == PLAN_JOIN && p->u.join.type == JOIN_INNER &&
      p->child[1]->est_bytes > p->child[0]->est_bytes)
    (*bad_build)++;
  for (int i = 0; i < p->nchild; i++) ok &= check_estimates(p->child[i], bad_build);
  return ok;
}

static int keyless_joins(const struct plan *p) {
  int n = p->kind == PLAN_JOIN && p->u.join.type != JOIN_SEMI && p->u.join.type != JOIN_ANTI &&
          p->u.join.nkeys == 0;
  for (int i = 0; i < p->nchild; i++) n += keyless_joins(p->child[i]);
  return n;
}

static struct plan *optimize(struct plan *in, struct err *e) {
  struct plan *out = NULL;
  err_clear(e);
  int rc = optimizer_run(C, in, NULL, &out, e);
  if (rc) {
    printf("# optimizer_run: %d %s\n", rc, e->msg);
    return NULL;
  }
  return out;
}

static int same_root(const struct plan *out, const struct plan_col *cols, int n) {
  if (!out || out->ncols != n) return 0;
  for (int i = 0; i < n; i++)
    if (out->cols[i].id != cols[i].id) return 0;
  return 1;
}

/* ---- TPC-H shapes ---- */

static struct plan *build_q03(void) {
  struct plan *c = scan("customer"), *o = scan("orders"), *l = scan("lineitem");
  struct plan *j = cross(cross(c, o), l);
  struct plan *f = filter(j, and_(5, fn(FN_EQ, col(c, "c_mktsegment"), lit_s("BUILDING")),
                                  fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")),
                                  fn(FN_EQ, col(l, "l_orderkey"), col(o, "o_orderkey")),
                                  fn(FN_LT, col(o, "o_orderdate"), lit_date("1995-03-15")),
                                  fn(FN_GT, col(l, "l_shipdate"), lit_date("1995-03-15"))));
  struct expr *rev = fn(FN_MUL, col(l, "l_extendedprice"), fn(FN_SUB, lit_d(1), col(l, "l_discount")));
  const char *keys[] = {"l_orderkey", "o_orderdate", "o_shippriority"};
  struct plan *a = agg1(f, 3, keys, AGG_SUM, rev, "revenue");
  struct plan *s = sort1(a, col(a, "revenue"), 1);
  return limit(s, 10, 0);
}

static void test_q03(void) {
  reset();
  struct err e;
  struct plan *in = build_q03();
  struct plan_col cols[8];
  int n = in->ncols;
  memcpy(cols, in->cols, sizeof(*cols) * (size_t)n);
  struct plan *out = optimize(in, &e);
  TAP_OK(out != NULL, "q03 optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# q03:\n%s", d);
  TAP_EQ_INT(count(d, "Join Inner"), 2, "q03: two inner joins");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "q03: no cross product");
  TAP_EQ_INT(keyless_joins(out), 0, "q03: every join has keys");
  TAP_EQ_INT(count_kind(out, PLAN_FILTER), 0, "q03: all filters pushed into scans");
  TAP_EQ_INT(count(d, "PushedFilters"), 3, "q03: filters in the three scans");
  TAP_OK(strstr(d, "TopN 10") != NULL, "q03: ORDER BY + LIMIT is a top-N sort");
  TAP_OK(count_kind(out, PLAN_LIMIT) == 0, "q03: no separate limit");
  const struct plan *ls = find_scan(out, "lineitem");
  TAP_EQ_INT(ls ? ls->ncols : -1, 4, "q03: lineitem reads 4 columns");
  const struct plan *cs = find_scan(out, "customer");
  TAP_EQ_INT(cs ? cs->ncols : -1, 2, "q03: customer reads 2 columns");
  int bad = 0;
  TAP_OK(check_estimates(out, &bad), "q03: every node has estimates");
  TAP_EQ_INT(bad, 0, "q03: smaller input on the build (right) side");
  TAP_OK(same_root(out, cols, n), "q03: root output unchanged");
  /* customer joins orders first (smallest result), lineitem on top */
  const struct plan *top = out;
  while (top->kind != PLAN_JOIN) top = top->child[0];
  /* Pruning drops l_shipdate, read only by the pushed filter, right above
   * the scan, so the probe side carries 3 columns, not 4. */
  const struct plan *probe = top->child[0];
  int probe_cols = probe->ncols;
  while (probe->kind == PLAN_PROJECT) probe = probe->child[0];
  TAP_OK(probe->kind == PLAN_SCAN && strcmp(probe->u.scan.src.name, "lineitem") == 0,
         "q03: lineitem probes the customer-orders join");
  TAP_EQ_INT(probe_cols, 3, "q03: the filter-only column is pruned before the join");
}

static struct plan *build_q05(void) {
  struct plan *c = scan("customer"), *o = scan("orders"), *l = scan("lineitem");
  struct plan *s = scan("supplier"), *n = scan("nation"), *r = scan("region");
  struct plan *j = cross(cross(cross(cross(cross(c, o), l), s), n), r);
  struct plan *f =
      filter(j, and_(9, fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")),
                     fn(FN_EQ, col(l, "l_orderkey"), col(o, "o_orderkey")),
                     fn(FN_EQ, col(l, "l_suppkey"), col(s, "s_suppkey")),
                     fn(FN_EQ, col(c, "c_nationkey"), col(s, "s_nationkey")),
                     fn(FN_EQ, col(s, "s_nationkey"), col(n, "n_nationkey")),
                     fn(FN_EQ, col(n, "n_regionkey"), col(r, "r_regionkey")),
                     fn(FN_EQ, col(r, "r_name"), lit_s("ASIA")),
                     fn(FN_GE, col(o, "o_orderdate"), lit_date("1994-01-01")),
                     fn(FN_LT, col(o, "o_orderdate"), lit_date("1995-01-01"))));
  struct expr *rev = fn(FN_MUL, col(l, "l_extendedprice"), fn(FN_SUB, lit_d(1), col(l, "l_discount")));
  const char *keys[] = {"n_name"};
  struct plan *a = agg1(f, 1, keys, AGG_SUM, rev, "revenue");
  return sort1(a, col(a, "revenue"), 1);
}

static void test_q05(void) {
  reset();
  struct err e;
  struct plan *out = optimize(build_q05(), &e);
  TAP_OK(out != NULL, "q05 optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# q05:\n%s", d);
  TAP_EQ_INT(count(d, "Join Inner"), 5, "q05: five inner joins");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "q05: no cross product");
  TAP_EQ_INT(keyless_joins(out), 0, "q05: every join has keys");
  TAP_OK(strstr(d, "c_nationkey") && count(d, " AND ") >= 1,
         "q05: a join with the two-column condition");
  TAP_EQ_INT(count_kind(out, PLAN_FILTER), 0, "q05: all filters in scans");
  int bad = 0;
  TAP_OK(check_estimates(out, &bad), "q05: every node has estimates");
  TAP_EQ_INT(bad, 0, "q05: smaller inputs on the build side");
  /* the many-to-many c_nationkey = s_nationkey must not be joined alone */
  TAP_OK(!strstr(d, "Join Inner, c_nationkey") || strstr(d, "s_suppkey"),
         "q05: customer-supplier never joined on nationkey alone");
}

static void test_determinism(void) {
  char first[65536];
  reset();
  struct err e;
  struct plan *a = optimize(build_q05(), &e);
  snprintf(first, sizeof(first), "%s", a ? dump(a) : "");
  reset();
  struct plan *b = optimize(build_q05(), &e);
  TAP_OK(a && b && strcmp(first, dump(b)) == 0, "determinism: two fresh q05 copies agree");
  reset();
  a = optimize(build_q03(), &e);
  snprintf(first, sizeof(first), "%s", a ? dump(a) : "");
  reset();
  b = optimize(build_q03(), &e);
  TAP_OK(a && b && strcmp(first, dump(b)) == 0, "determinism: two fresh q03 copies agree");
}

static struct plan *q18_subquery(void) {
  struct plan *l2 = scan("lineitem");
  const char *keys[] = {"l_orderkey"};
  struct plan *a = agg1(l2, 1, keys, AGG_SUM, col(l2, "l_quantity"), "sum_qty");
  struct plan *f = filter(a, fn(FN_GT, col(a, "sum_qty"), lit_d(300)));
  return project(f, 1, col(f, "l_orderkey"), "l_orderkey");
}

static struct plan *build_q18(void) {
  struct plan *c = scan("customer"), *o = scan("orders"), *l = scan("lineitem");
  struct plan *j = cross(cross(c, o), l);
  struct plan *f = filter(j, and_(3, subq(EXPR_IN_SUBQUERY, q18_subquery(), col(o, "o_orderkey"), 0),
                                  fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")),
                                  fn(FN_EQ, col(o, "o_orderkey"), col(l, "l_orderkey"))));
  const char *keys[] = {"c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice"};
  struct plan *a = agg1(f, 5, keys, AGG_SUM, col(l, "l_quantity"), "sum_qty");
  return limit(sort1(a, col(a, "o_totalprice"), 1), 100, 0);
}

static void test_q18(void) {
  reset();
  struct err e;
  struct plan *out = optimize(build_q18(), &e);
  TAP_OK(out != NULL, "q18 optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# q18:\n%s", d);
  TAP_EQ_INT(count(d, "Join LeftSemi"), 1, "q18: one semi join");
  TAP_EQ_INT(count(d, "Join Inner"), 2, "q18: two inner joins");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "q18: no cross product");
  TAP_EQ_INT(keyless_joins(out), 0, "q18: every join has keys");
  TAP_OK(strstr(d, "IN (subquery)") == NULL, "q18: no subquery expression left");
  TAP_OK(strstr(d, "TopN 100") != NULL, "q18: top-N");

  /* join extraction without the subquery rewrite: the IN conjunct goes to
   * orders, the comma joins still get keys */
  reset();
  struct plan *in = build_q18(), *jo = NULL;
  struct estimate est;
  estimate_init(&est, C);
  int rc = joinorder_run(C, &est, in, &jo, &e);
  TAP_EQ_INT(rc, 0, "q18 without subquery rewrite: join ordering runs");
  d = dump(jo);
  printf("# q18 join order only:\n%s", d);
  TAP_EQ_INT(count(d, "Join Cross"), 0, "q18 without rewrite: no cross product");
  TAP_EQ_INT(count(d, "Join Inner"), 2, "q18 without rewrite: two keyed inner joins");
  const char *fl = strstr(d, "Filter o_orderkey#9 IN (subquery)\n");
  const char *nl = fl ? strchr(fl, '\n') + 1 : NULL;
  TAP_OK(nl && strstr(nl, "Scan csv orders") && strstr(nl, "Scan csv orders") < strchr(nl, '\n'),
         "q18 without rewrite: IN conjunct filters the orders scan");
}

static void test_exists(void) {
  reset();
  struct err e;
  /* q04: orders where exists (lineitem where l_orderkey = o_orderkey and
   * l_commitdate < l_receiptdate) */
  struct plan *o = scan("orders"), *l = scan("lineitem");
  struct plan *sub = filter(l, and_(2, fn(FN_EQ, col(l, "l_orderkey"), col(o, "o_orderkey")),
                                    fn(FN_LT, col(l, "l_commitdate"), col(l, "l_receiptdate"))));
  struct plan *f = filter(o, and_(2, fn(FN_GE, col(o, "o_orderdate"), lit_date("1993-07-01")),
                                  subq(EXPR_EXISTS, sub, NULL, 0)));
  const char *keys[] = {"o_orderpriority"};
  struct plan *a = agg1(f, 1, keys, AGG_COUNT_STAR, NULL, "order_count");
  struct plan *out = optimize(a, &e);
  TAP_OK(out != NULL, "correlated EXISTS optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# q04:\n%s", d);
  TAP_OK(strstr(d, "Join LeftSemi, o_orderkey#") && strstr(d, "= l_orderkey#"),
         "EXISTS: semi join keyed on the correlated columns");
  TAP_OK(strstr(d, "PushedFilters: [(l_commitdate#") != NULL,
         "EXISTS: the subquery's own predicate stays in it");
  TAP_OK(strstr(d, "EXISTS") == NULL, "EXISTS: no subquery expression left");
  const struct plan *ls = find_scan(out, "lineitem");
  TAP_EQ_INT(ls ? ls->ncols : -1, 3, "EXISTS: lineitem reads key + 2 date columns");

  /* q21-like: NOT EXISTS with a non-equality correlated predicate */
  reset();
  struct plan *l1 = scan("lineitem"), *l3 = scan("lineitem");
  struct plan *sub3 =
      filter(l3, and_(3, fn(FN_EQ, col(l3, "l_orderkey"), col(l1, "l_orderkey")),
                      fn(FN_NE, col(l3, "l_suppkey"), col(l1, "l_suppkey")),
                      fn(FN_GT, col(l3, "l_receiptdate"), col(l3, "l_commitdate"))));
  struct plan *f3 = filter(l1, subq(EXPR_EXISTS, sub3, NULL, 1));
  struct plan *p3 = project(f3, 1, col(l1, "l_suppkey"), "l_suppkey");
  out = optimize(p3, &e);
  TAP_OK(out != NULL, "NOT EXISTS optimizes");
  if (!out) return;
  d = dump(out);
  printf("# not exists:\n%s", d);
  TAP_OK(strstr(d, "Join LeftAnti, l_orderkey#") != NULL && strstr(d, " AND (l_suppkey#") != NULL &&
             strstr(d, "!=") != NULL,
         "NOT EXISTS: anti join with key and residual condition");
  TAP_OK(strstr(d, "null-aware") == NULL, "NOT EXISTS: not null-aware");
}

static void test_not_in(void) {
  reset();
  struct err e;
  struct plan *o = scan("orders"), *c = scan("customer");
  struct plan *sub = project(filter(c, fn(FN_EQ, col(c, "c_mktsegment"), lit_s("BUILDING"))), 1,
                             col(c, "c_custkey"), "c_custkey");
  struct plan *f = filter(o, subq(EXPR_IN_SUBQUERY, sub, col(o, "o_custkey"), 1));
  struct plan *p = project(f, 1, col(o, "o_orderkey"), "o_orderkey");
  struct plan *out = optimize(p, &e);
  TAP_OK(out != NULL, "NOT IN optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# not in:\n%s", d);
  TAP_OK(strstr(d, "Join LeftAnti, o_custkey#") && strstr(d, "(null-aware)"),
         "NOT IN: null-aware anti join");
  /* NOT (x IN q) written with an explicit NOT is the same */
  reset();
  o = scan("orders");
  c = scan("customer");
  sub = project(c, 1, col(c, "c_custkey"), "c_custkey");
  f = filter(o, not_(subq(EXPR_IN_SUBQUERY, sub, col(o, "o_custkey"), 0)));
  out = optimize(f, &e);
  d = out ? dump(out) : "";
  TAP_OK(strstr(d, "Join LeftAnti") && strstr(d, "(null-aware)"), "NOT (IN): null-aware anti join");
}

static void test_unsupported(void) {
  reset();
  struct err e;
  struct plan *o = scan("orders"), *c = scan("customer");
  struct plan *sub = project(c, 1, col(c, "c_custkey"), "c_custkey");
  struct plan *f = filter(o, fn(FN_OR, subq(EXPR_IN_SUBQUERY, sub, col(o, "o_custkey"), 0),
                                fn(FN_GT, col(o, "o_totalprice"), lit_d(10))));
  struct plan *out = NULL;
  int rc = optimizer_run(C, f, NULL, &out, &e);
  TAP_EQ_INT(rc, ERR_UNSUPPORTED, "IN under OR: unsupported");
  TAP_OK(strstr(e.msg, "IN (subquery)") && e.line == 3 && e.column == 7,
         "IN under OR: clear message with position");

  reset();
  o = scan("orders");
  c = scan("customer");
  const char *nokeys[] = {NULL};
  struct plan *cf = filter(c, fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")));
  struct plan *sa = agg1(cf, 0, nokeys, AGG_MAX, col(cf, "c_acctbal"), "m");
  f = filter(o, fn(FN_GT, col(o, "o_totalprice"), subq(EXPR_SUBQUERY, sa, NULL, 0)));
  rc = optimizer_run(C, f, NULL, &out, &e);
  TAP_EQ_INT(rc, 0, "correlated scalar subquery: decorrelated");
  if (rc == 0) {
    const char *d = dump(out);
    printf("# correlated scalar:\n%s", d);
    TAP_OK(count_kind(out, PLAN_JOIN) == 1 && strstr(d, "LeftOuter") && !strstr(d, "scalar-subquery") &&
               strstr(d, "(o_totalprice#4 > m#") && strstr(d, "Aggregate [c_custkey#10] [max("),
           "correlated scalar subquery: a left outer join with the grouped aggregate");
  } else {
    TAP_OK(0, "correlated scalar subquery: %s", e.msg);
  }

  /* without an aggregate it could return several rows: refused, as Spark does */
  reset();
  o = scan("orders");
  c = scan("customer");
  cf = filter(c, fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")));
  struct plan *cp = project(cf, 1, col(cf, "c_acctbal"), "c_acctbal");
  f = filter(o, fn(FN_GT, col(o, "o_totalprice"), subq(EXPR_SUBQUERY, cp, NULL, 0)));
  rc = optimizer_run(C, f, NULL, &out, &e);
  TAP_EQ_INT(rc, ERR_UNSUPPORTED, "correlated scalar subquery without aggregate: unsupported");
  TAP_OK(strstr(e.msg, "Correlated scalar subqueries must be aggregated") != NULL,
         "correlated scalar subquery without aggregate: message");

  /* an uncorrelated scalar subquery stays (the driver evaluates it) */
  reset();
  o = scan("orders");
  c = scan("customer");
  sa = agg1(c, 0, nokeys, AGG_AVG, col(c, "c_acctbal"), "a");
  f = filter(o, fn(FN_GT, col(o, "o_totalprice"), subq(EXPR_SUBQUERY, sa, NULL, 0)));
  struct plan *p = project(f, 1, col(o, "o_orderkey"), "o_orderkey");
  out = optimize(p, &e);
  TAP_OK(out && strstr(dump(out), "scalar-subquery") != NULL, "uncorrelated scalar subquery stays");
  TAP_OK(out && strstr(dumpbuf, "Filter (o_totalprice") != NULL,
         "scalar subquery condition stays a Filter (not pushed into the scan)");
}

static void test_fold(void) {
  reset();
  struct err e;
  struct plan *l = scan("lineitem");
  struct expr *one_plus_one = fn(FN_ADD, lit_i(1), lit_i(1));
  struct plan *f = filter(l, and_(3, fn(FN_EQ, one_plus_one, lit_i(2)),
                                  not_(not_(fn(FN_GT, col(l, "l_quantity"), lit_d(5)))), lit_b(1)));
  struct plan *p = project(f, 2, col(l, "l_orderkey"), "l_orderkey",
                           fn(FN_MUL, lit_i(6), lit_i(7)), "answer");
  struct plan *out = optimize(p, &e);
  TAP_OK(out != NULL, "fold: optimizes");
  if (!out) return;
  const char *d = dump(out);
  printf("# fold:\n%s", d);
  TAP_OK(strstr(d, "PushedFilters: [(l_quantity#") && !strstr(d, "NOT") && !strstr(d, "(1 + 1)"),
         "fold: true conjuncts and NOT NOT removed");
  TAP_OK(strstr(d, "42 AS answer") != NULL, "fold: 6 * 7 -> 42");
  TAP_EQ_INT(count_kind(out, PLAN_FILTER), 0, "fold: no filter left");

  reset();
  l = scan("lineitem");
  f = filter(l, and_(2, lit_b(0), fn(FN_GT, col(l, "l_quantity"), lit_d(5))));
  p = project(f, 1, col(l, "l_orderkey"), "l_orderkey");
  out = optimize(p, &e);
  d = out ? dump(out) : "";
  TAP_OK(strstr(d, "LocalRelation 0 rows") && !strstr(d, "Scan"), "fold: false filter -> empty relation");
  TAP_OK(out && out->ncols == 1 && out->cols[0].id == p->cols[0].id, "fold: columns kept");
}

static void test_prune_q06(void) {
  reset();
  struct err e;
  struct plan *l = scan("lineitem");
  struct plan *f = filter(l, and_(5, fn(FN_GE, col(l, "l_shipdate"), lit_date("1994-01-01")),
                                  fn(FN_LT, col(l, "l_shipdate"), lit_date("1995-01-01")),
                                  fn(FN_GE, col(l, "l_discount"), lit_d(0.05)),
                                  fn(FN_LE, col(l, "l_discount"), lit_d(0.07)),
                                  fn(FN_LT, col(l, "l_quantity"), lit_d(24))));
  const char *nokeys[] = {NULL};
  struct plan *a = agg1(f, 0, nokeys, AGG_SUM,
                        fn(FN_MUL, col(l, "l_extendedprice"), col(l, "l_discount")), "revenue");
  struct plan *out = optimize(a, &e);
  TAP_OK(out != NULL, "q06 optimizes");
  if (!out) return;
  printf("# q06:\n%s", dump(out));
  const struct plan *s = find_scan(out, "lineitem");
  TAP_EQ_INT(s ? s->ncols : -1, 4, "q06: the 16-column scan reads 4 columns");
  TAP_EQ_INT(s ? s->u.scan.nfilters : -1, 5, "q06: five pushed filters");
  int proj_ok = s && s->u.scan.proj[0] == 4 && s->u.scan.proj[1] == 5 && s->u.scan.proj[2] == 6 &&
                s->u.scan.proj[3] == 10;
  TAP_OK(proj_ok, "q06: scan.proj names file columns 4, 5, 6, 10");

  /* count(*) keeps one (narrow) column */
  reset();
  l = scan("lineitem");
  a = agg1(l, 0, nokeys, AGG_COUNT_STAR, NULL, "n");
  out = optimize(a, &e);
  s = out ? find_scan(out, "lineitem") : NULL;
  TAP_EQ_INT(s ? s->ncols : -1, 1, "count(*): scan reads a single column");
}

static void test_pushdown(void) {
  reset();
  struct err e;
  /* through a project (substituted) and an aggregate (group key only) */
  struct plan *o = scan("orders");
  struct plan *p = project(o, 2, col(o, "o_custkey"), "o_custkey",
                           fn(FN_MUL, col(o, "o_totalprice"), lit_d(2)), "dbl");
  const char *keys[] = {"o_custkey"};
  struct plan *a = agg1(p, 1, keys, AGG_SUM, col(p, "dbl"), "s");
  struct plan *f = filter(a, and_(2, fn(FN_GT, col(a, "o_custkey"), lit_i(100)),
                                  fn(FN_GT, col(a, "s"), lit_d(1000))));
  struct plan *out = optimize(f, &e);
  const char *d = out ? dump(out) : "";
  printf("# pushdown agg:\n%s", d);
  TAP_OK(strstr(d, "PushedFilters: [(o_custkey#") != NULL, "push-down: group-key predicate reaches the scan");
  TAP_OK(strstr(d, "Filter (s#") != NULL, "push-down: aggregate predicate stays above");

  /* left join: right-side predicate stays above, left-side one goes down */
  reset();
  struct plan *c = scan("customer");
  o = scan("orders");
  struct plan *j = join(c, o, JOIN_LEFT, fn(FN_EQ, col(c, "c_custkey"), col(o, "o_custkey")));
  f = filter(j, and_(2, fn(FN_EQ, col(c, "c_mktsegment"), lit_s("BUILDING")),
                     fn(FN_GT, col(o, "o_totalprice"), lit_d(10))));
  out = optimize(f, &e);
  d = out ? dump(out) : "";
  printf("# pushdown left join:\n%s", d);
  TAP_OK(strstr(d, "Filter (o_totalprice#") != NULL, "left join: right predicate stays above");
  TAP_OK(strstr(d, "PushedFilters: [(c_mktsegment#") != NULL, "left join: left predicate pushed");
  TAP_OK(strstr(d, "Join LeftOuter, c_custkey#") != NULL, "left join: ON equality becomes a key");
}

static void test_sort_limit(void) {
  reset();
  struct err e;
  struct plan *o = scan("orders");
  struct plan *s = sort1(sort1(o, col(o, "o_orderdate"), 0), col(o, "o_totalprice"), 1);
  struct plan *out = optimize(limit(s, 10, 0), &e);
  const char *d = out ? dump(out) : "";
  printf("# sort/limit:\n%s", d);
  TAP_EQ_INT(count_kind(out, PLAN_SORT), 1, "sort under sort removed");
  TAP_OK(out && out->kind == PLAN_SORT && out->u.sort.limit == 10, "limit over sort: top-N");
  TAP_OK(strstr(d, "TopN 10 [o_totalprice#") != NULL, "top-N keeps the outer sort's keys");

  reset();
  o = scan("orders");
  out = optimize(limit(limit(o, 50, 0), 10, 5), &e);
  d = out ? dump(out) : "";
  TAP_EQ_INT(count_kind(out, PLAN_LIMIT), 1, "limit over limit merged");
  TAP_OK(strstr(d, "Limit 10 Offset 5") != NULL, "merged limit keeps limit and offset");
  reset();
  o = scan("orders");
  out = optimize(limit(limit(o, 12, 0), 10, 5), &e);
  d = out ? dump(out) : "";
  TAP_OK(strstr(d, "Limit 7 Offset 5") != NULL, "merged limit: inner limit caps after offset");
  reset();
  o = scan("orders");
  out = optimize(limit(sort1(o, col(o, "o_orderdate"), 0), 10, 5), &e);
  d = out ? dump(out) : "";
  TAP_OK(strstr(d, "Limit 10 Offset 5\n+- TopN 15") != NULL, "LIMIT with OFFSET over a sort: top-(n+k)");
}

static void test_more(void) {
  struct err e;
  /* EXISTS (SELECT 1 FROM lineitem WHERE l_orderkey = o_orderkey): the key
   * column is exposed through the subquery's project */
  reset();
  struct plan *o = scan("orders"), *l = scan("lineitem");
  struct plan *sub = project(filter(l, fn(FN_EQ, col(l, "l_orderkey"), col(o, "o_orderkey"))), 1,
                             lit_i(1), "one");
  struct plan *f = filter(o, subq(EXPR_EXISTS, sub, NULL, 0));
  struct plan *out = optimize(project(f, 1, col(o, "o_custkey"), "o_custkey"), &e);
  const char *d = out ? dump(out) : "";
  printf("# exists through project:\n%s", d);
  TAP_OK(strstr(d, "Join LeftSemi, o_orderkey#1 = l_orderkey#10") != NULL,
         "EXISTS through a project: key pulled up");

  /* correlation below an aggregate cannot be pulled up */
  reset();
  o = scan("orders");
  l = scan("lineitem");
  const char *nokeys[] = {NULL};
  struct plan *lf = filter(l, fn(FN_EQ, col(l, "l_orderkey"), col(o, "o_orderkey")));
  struct plan *ag = agg1(lf, 0, nokeys, AGG_COUNT_STAR, NULL, "n");
  f = filter(o, subq(EXPR_EXISTS, ag, NULL, 0));
  struct plan *res = NULL;
  int rc = optimizer_run(C, f, NULL, &res, &e);
  TAP_EQ_INT(rc, ERR_UNSUPPORTED, "EXISTS correlated below an aggregate: unsupported");

  /* union: a predicate reaches every input, renamed */
  reset();
  struct plan *a = scan("orders"), *b = scan("orders");
  struct plan *pa = project(a, 1, col(a, "o_totalprice"), "o_totalprice");
  struct plan *pb = project(b, 1, col(b, "o_totalprice"), "o_totalprice");
  struct plan *ch[2] = {pa, pb};
  struct plan *u = plan_new(C, PLAN_UNION, ch, 2, 1);
  u->cols[0] = pa->cols[0];
  u->cols[0].id = plan_ctx_new_id(C);
  out = optimize(filter(u, fn(FN_GT, col(u, "o_totalprice"), lit_d(5))), &e);
  d = out ? dump(out) : "";
  printf("# union:\n%s", d);
  TAP_EQ_INT(count(d, "PushedFilters: [(o_totalprice#"), 2, "union: predicate pushed into both inputs");
  TAP_EQ_INT(count_kind(out, PLAN_FILTER), 0, "union: no filter left above");

  /* scan estimates follow the file size and the schema's widths */
  reset();
  struct plan *li = scan("lineitem");
  double rows = estimate_scan_rows(li);
  TAP_OK(rows > 2e6 && rows < 8e6, "estimate: lineitem SF1 has millions of rows (%.0f)", rows);
  struct plan *na = scan("nation");
  rows = estimate_scan_rows(na);
  TAP_OK(rows > 10 && rows < 100, "estimate: nation has tens of rows (%.0f)", rows);
  TAP_OK(estimate_selectivity(fn(FN_EQ, col(li, "l_tax"), lit_d(1))) == 0.1 &&
             estimate_selectivity(fn(FN_LT, col(li, "l_tax"), lit_d(1))) == 0.33,
         "estimate: default selectivities");
}

static void test_window_and_outer(void) {
  struct err e;
  reset();
  struct plan *o = scan("orders");
  struct plan *w = plan_new(C, PLAN_WINDOW, &o, 1, o->ncols + 2);
  memcpy(w->cols, o->cols, sizeof(*w->cols) * (size_t)o->ncols);
  w->u.window.partition = plan_alloc(C, sizeof(struct expr *));
  w->u.window.partition[0] = col(o, "o_custkey");
  w->u.window.npartition = 1;
  w->u.window.order = plan_alloc(C, sizeof(struct plan_sort_key));
  w->u.window.order[0].expr = col(o, "o_orderdate");
  w->u.window.norder = 1;
  w->u.window.calls = plan_alloc(C, 2 * sizeof(struct plan_win_call));
  w->u.window.calls[0].fn = WIN_ROW_NUMBER;
  w->u.window.calls[0].type = (struct type){TYPE_INT, 0, 0};
  w->u.window.calls[1].fn = WIN_RANK;
  w->u.window.calls[1].type = (struct type){TYPE_INT, 0, 0};
  w->u.window.ncalls = 2;
  for (int i = 0; i < 2; i++) {
    struct plan_col *c = &w->cols[o->ncols + i];
    c->id = plan_ctx_new_id(C);
    c->name = i ? "rk" : "rn";
    c->type = (struct type){TYPE_INT, 0, 0};
  }
  struct plan *f = filter(w, and_(2, fn(FN_EQ, col(w, "o_custkey"), lit_i(7)),
                                  fn(FN_LE, col(w, "rn"), lit_i(3))));
  struct plan *p = project(f, 2, col(f, "o_orderkey"), "o_orderkey", col(f, "rn"), "rn");
  struct plan *out = optimize(p, &e);
  const char *d = out ? dump(out) : "";
  printf("# window:\n%s", d);
  TAP_OK(strstr(d, "PushedFilters: [(o_custkey#2 = 7)]") != NULL,
         "window: partition-key predicate pushed below");
  TAP_OK(strstr(d, "Filter (rn#") != NULL, "window: predicate on the window result stays");
  TAP_OK(strstr(d, "rank()") == NULL && strstr(d, "row_number()") != NULL,
         "window: unused window call pruned");
  const struct plan *os = out ? find_scan(out, "orders") : NULL;
  TAP_EQ_INT(os ? os->ncols : -1, 3, "window: scan reads key, partition and order columns");

  /* an inner join graph below a LEFT join is still reordered and keyed */
  reset();
  struct plan *c = scan("customer"), *o2 = scan("orders"), *n = scan("nation");
  struct plan *inner = filter(cross(n, c), fn(FN_EQ, col(n, "n_nationkey"), col(c, "c_nationkey")));
  struct plan *lj = join(inner, o2, JOIN_LEFT, fn(FN_EQ, col(c, "c_custkey"), col(o2, "o_custkey")));
  const char *keys[] = {"n_name"};
  struct plan *a = agg1(lj, 1, keys, AGG_COUNT, col(lj, "o_orderkey"), "cnt");
  out = optimize(a, &e);
  d = out ? dump(out) : "";
  printf("# outer over inner:\n%s", d);
  TAP_OK(strstr(d, "Join LeftOuter, c_custkey#") != NULL, "left join keyed");
  TAP_OK(strstr(d, "Join Inner, c_nationkey#") != NULL, "inner join below keyed, nation on the build side");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "outer over inner: no cross product");
}

/* A chain of n nation scans joined n_i.n_regionkey = n_{i+1}.n_nationkey. */
static struct plan *chain(int n) {
  struct plan *rels[32], *j = NULL;
  struct expr *conj[32];
  for (int i = 0; i < n; i++) {
    rels[i] = scan("nation");
    j = j ? cross(j, rels[i]) : rels[i];
    if (i) conj[i - 1] = fn(FN_EQ, col(rels[i - 1], "n_regionkey"), col(rels[i], "n_nationkey"));
  }
  struct plan *f = filter(j, expr_func(C, FN_AND, T_BOOL, conj, n - 1));
  const char *nokeys[] = {NULL};
  return agg1(f, 0, nokeys, AGG_COUNT_STAR, NULL, "n");
}

static void test_big_graphs(void) {
  struct err e;
  reset();
  struct plan *out = optimize(chain(12), &e);
  const char *d = out ? dump(out) : "";
  TAP_EQ_INT(count(d, "Join Inner"), 11, "12-relation chain: 11 keyed joins");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "12-relation chain: no cross product");
  TAP_EQ_INT(out ? keyless_joins(out) : -1, 0, "12-relation chain: every join keyed");
  reset();
  out = optimize(chain(24), &e);
  d = out ? dump(out) : "";
  TAP_EQ_INT(count(d, "Join Inner"), 23, "24-relation chain (kept order): 23 keyed joins");
  TAP_EQ_INT(count(d, "Join Cross"), 0, "24-relation chain: no cross product");
  int bad = 0;
  TAP_OK(out && check_estimates(out, &bad), "24-relation chain: estimated");
}

int main(void) {
  test_q03();
  test_q05();
  test_q18();
  test_exists();
  test_not_in();
  test_unsupported();
  test_fold();
  test_prune_q06();
  test_pushdown();
  test_sort_limit();
  test_determinism();
  test_more();
  test_window_and_outer();
  test_big_graphs();
  if (C) plan_ctx_free(C);
  for (int i = 0; i < nschemas; i++) {
    schema_fini(schemas[i]);
    free(schemas[i]);
  }
  return tap_done();
}
