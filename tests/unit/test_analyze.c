/* test_analyze.c: the analyzer (engine/analyze) over small TPC-H-like CSV
 * tables: plan shapes (plan_dump), output names and types, catalog
 * statements, and AnalysisException messages with their positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/analyze/analyzer.h"
#include "engine/sql/parser.h"
#include "tests/tap.h"

static struct catalog *cat;
static char dir[256];

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

/* Run catalog statements (no queries); 0 or the first error. */
static int exec(const char *sql, struct err *e) {
  struct ast_script *sc = NULL;
  err_clear(e);
  int rc = parser_parse(sql, strlen(sql), &sc, e);
  for (size_t i = 0; !rc && i < sc->n; i++) rc = analyzer_exec_catalog(cat, sc->stmts[i], sql, e);
  ast_script_free(sc);
  return rc;
}

/* Plan one query: *text = plan_dump (malloc'ed) and *schema_out = the
 * output schema as "name:type,..." when asked. Returns 0 or the error. */
static int plan_of(const char *sql, char **text, char **schema_out, struct err *e) {
  struct ast_script *sc = NULL;
  struct plan_ctx *ctx = NULL;
  struct buf out;
  buf_init(&out, 1 << 20);
  err_clear(e);
  *text = NULL;
  if (schema_out) *schema_out = NULL;
  int rc = parser_parse(sql, strlen(sql), &sc, e);
  if (!rc && !(ctx = plan_ctx_new())) rc = ERR_NOMEM;
  struct plan *p = NULL;
  if (!rc) rc = analyzer_plan_query(cat, ctx, sc->stmts[0]->u.query, sql, &p, e);
  if (!rc) rc = plan_dump(p, ctx, &out);
  if (!rc && schema_out) {
    struct schema s;
    struct buf sb;
    buf_init(&sb, 1 << 16);
    rc = analyzer_plan_schema(p, &s);
    for (int i = 0; !rc && i < s.ncols; i++) {
      char tmp[32];
      rc = buf_printf(&sb, "%s%s:%s", i ? "," : "", s.cols[i].name, schema_type_sql(s.cols[i].type, tmp));
    }
    if (!rc) *schema_out = strdup(sb.data ? sb.data : "");
    buf_fini(&sb);
    schema_fini(&s);
  }
  if (!rc) *text = strdup(out.data ? out.data : "");
  buf_fini(&out);
  plan_ctx_free(ctx);
  ast_script_free(sc);
  return rc;
}

static char *dump(const char *sql) {
  struct err e;
  char *t;
  if (plan_of(sql, &t, NULL, &e)) {
    printf("# %s\n#   error: %s\n", sql, e.msg);
    return strdup("");
  }
  return t;
}

static void expect_plan(const char *sql, const char *want) {
  char *got = dump(sql);
  TAP_EQ_STR(got, want, sql);
  free(got);
}

static void expect_contains(const char *sql, const char *const *parts, int n) {
  char *got = dump(sql);
  for (int i = 0; i < n; i++) {
    int ok = strstr(got, parts[i]) != NULL;
    TAP_OK(ok, "%s: contains %s", sql, parts[i]);
    if (!ok) printf("#   plan:\n%s", got);
  }
  free(got);
}

static void expect_schema(const char *sql, const char *want) {
  struct err e;
  char *t = NULL, *s = NULL;
  int rc = plan_of(sql, &t, &s, &e);
  if (rc) printf("#   error: %s\n", e.msg);
  TAP_EQ_STR(rc ? "" : s, want, sql);
  free(t);
  free(s);
}

static void expect_error(const char *sql, int code, const char *msg_part, int line, int col) {
  struct err e;
  char *t = NULL;
  int rc = plan_of(sql, &t, NULL, &e);
  TAP_EQ_INT(rc, code, sql);
  int ok = strstr(e.msg, msg_part) != NULL;
  TAP_OK(ok, "message has \"%s\"", msg_part);
  if (!ok) printf("#   got: %s\n", e.msg);
  if (line) {
    TAP_OK(e.line == line && e.column == col, "position %d:%d (got %d:%d)", line, col, e.line,
           e.column);
    TAP_EQ_STR(e.ename, "AnalysisException", "ename");
  }
  free(t);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/test_analyze.XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(1);
  }
  write_file("lineitem.csv",
             "l_orderkey,l_partkey,l_quantity,l_extendedprice,l_discount,l_tax,l_returnflag,"
             "l_linestatus,l_shipdate,l_shipmode\n"
             "1,10,17.00,21168.23,0.04,0.02,N,O,1996-03-13,TRUCK\n"
             "1,20,36.00,45983.16,0.09,0.06,N,O,1996-04-12,MAIL\n"
             "2,10,38.00,44694.46,0.00,0.05,R,F,1997-01-28,RAIL\n"
             "3,30,45.00,54058.05,0.06,0.00,A,F,1994-02-02,AIR\n");
  write_file("orders.csv",
             "o_orderkey,o_custkey,o_orderstatus,o_totalprice,o_orderdate,o_orderpriority\n"
             "1,100,O,173665.47,1996-01-02,5-LOW\n"
             "2,200,O,46929.18,1996-12-01,1-URGENT\n"
             "3,100,F,193846.25,1993-10-14,5-LOW\n");
  write_file("customer.csv",
             "c_custkey,c_name,c_nationkey,c_mktsegment,c_acctbal\n"
             "100,Customer#100,1,BUILDING,711.56\n"
             "200,Customer#200,2,AUTOMOBILE,121.65\n");
  write_file("nation.csv", "n_nationkey,n_name,n_regionkey\n1,ARGENTINA,1\n2,BRAZIL,1\n");
  char sql[4096];
  snprintf(sql, sizeof sql,
           "CREATE TABLE lineitem (l_orderkey INT, l_partkey INT, l_quantity DECIMAL(15,2), "
           "l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), "
           "l_returnflag STRING, l_linestatus STRING, l_shipdate DATE, l_shipmode STRING) "
           "USING csv OPTIONS (path '%s/lineitem.csv', header 'true');"
           "CREATE TABLE orders (o_orderkey INT, o_custkey INT, o_orderstatus STRING, "
           "o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority STRING) USING csv "
           "OPTIONS (header 'true') LOCATION '%s/orders.csv';"
           "CREATE TABLE customer (c_custkey INT, c_name STRING, c_nationkey INT, "
           "c_mktsegment STRING, c_acctbal DECIMAL(15,2)) USING csv OPTIONS (path "
           "'%s/customer.csv', header 'true');"
           "CREATE TEMPORARY VIEW nation USING csv OPTIONS (path '%s/nation.csv', header 'true', "
           "inferSchema 'true')",
           dir, dir, dir, dir);
  struct err e;
  int rc = exec(sql, &e);
  TAP_EQ_INT(rc, 0, "create the TPC-H-like tables");
  if (rc) printf("#   %s\n", e.msg);
}

static void cleanup(void) {
  const char *f[] = {"lineitem.csv", "orders.csv", "customer.csv", "nation.csv"};
  char path[512];
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, f[i]);
    unlink(path);
  }
  rmdir(dir);
}

/* Plan sql in a fresh context kept by the caller (for structural checks). */
static struct plan *root_of(const char *sql, struct plan_ctx **ctx) {
  struct ast_script *sc = NULL;
  struct err e;
  struct plan *p = NULL;
  *ctx = plan_ctx_new();
  if (parser_parse(sql, strlen(sql), &sc, &e) ||
      analyzer_plan_query(cat, *ctx, sc->stmts[0]->u.query, sql, &p, &e)) {
    printf("#   error: %s\n", e.msg);
    p = NULL;
  }
  ast_script_free(sc);
  return p;
}

static const struct plan *find_kind(const struct plan *p, enum plan_kind k) {
  if (!p) return NULL;
  if (p->kind == k) return p;
  for (int i = 0; i < p->nchild; i++) {
    const struct plan *r = find_kind(p->child[i], k);
    if (r) return r;
  }
  return NULL;
}

static void test_shapes(void) {
  expect_plan(
      "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, "
      "sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, avg(l_quantity), count(*) "
      "FROM lineitem WHERE l_shipdate <= date '1998-12-01' - interval 90 days "
      "GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus",
      "Sort [l_returnflag#11 ASC NULLS FIRST, l_linestatus#12 ASC NULLS FIRST]\n"
      "+- Project [l_returnflag#11, l_linestatus#12, sum(l_quantity)#13 AS sum_qty#17, "
      "sum((l_extendedprice * (1 - l_discount)))#14 AS sum_disc_price#18, avg(l_quantity)#15, "
      "count(1)#16]\n"
      "   +- Aggregate [l_returnflag#7, l_linestatus#8] [sum(l_quantity#3) AS sum(l_quantity)#13, "
      "sum((l_extendedprice#4 * (1.00 - l_discount#5))) AS sum((l_extendedprice * (1 - "
      "l_discount)))#14, avg(l_quantity#3) AS avg(l_quantity)#15, count(1) AS count(1)#16]\n"
      "      +- Filter (l_shipdate#9 <= date_add(DATE '1998-12-01', -90))\n"
      "         +- Scan csv lineitem [l_orderkey#1, l_partkey#2, l_quantity#3, l_extendedprice#4, "
      "l_discount#5, l_tax#6, l_returnflag#7, l_linestatus#8, l_shipdate#9, l_shipmode#10]\n");
  expect_plan(
      "SELECT o_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate "
      "FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey "
      "AND l_orderkey = o_orderkey AND o_orderdate < '1995-03-15' GROUP BY o_orderkey, "
      "o_orderdate ORDER BY revenue DESC, o_orderdate LIMIT 10",
      "TopN 10 [revenue#25 DESC NULLS LAST, o_orderdate#23 ASC NULLS FIRST]\n"
      "+- Project [o_orderkey#22, sum((l_extendedprice * (1 - l_discount)))#24 AS revenue#25, "
      "o_orderdate#23]\n"
      "   +- Aggregate [o_orderkey#6, o_orderdate#10] [sum((l_extendedprice#15 * (1.00 - "
      "l_discount#16))) AS sum((l_extendedprice * (1 - l_discount)))#24]\n"
      "      +- Filter ((c_mktsegment#4 = 'BUILDING') AND (c_custkey#1 = o_custkey#7) AND "
      "(l_orderkey#12 = o_orderkey#6) AND (o_orderdate#10 < DATE '1995-03-15'))\n"
      "         +- Join Cross\n"
      "            +- Join Cross\n"
      "               +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, "
      "c_mktsegment#4, c_acctbal#5]\n"
      "               +- Scan csv orders [o_orderkey#6, o_custkey#7, o_orderstatus#8, "
      "o_totalprice#9, o_orderdate#10, o_orderpriority#11]\n"
      "            +- Scan csv lineitem [l_orderkey#12, l_partkey#13, l_quantity#14, "
      "l_extendedprice#15, l_discount#16, l_tax#17, l_returnflag#18, l_linestatus#19, "
      "l_shipdate#20, l_shipmode#21]\n");
  expect_plan("SELECT * FROM nation n JOIN customer c ON n.n_nationkey = c.c_nationkey AND c_acctbal > 100",
              "Project [n_nationkey#1, n_name#2, n_regionkey#3, c_custkey#4, c_name#5, "
              "c_nationkey#6, c_mktsegment#7, c_acctbal#8]\n"
              "+- Join Inner, n_nationkey#1 = c_nationkey#6 AND (c_acctbal#8 > 100.00)\n"
              "   +- Scan csv nation [n_nationkey#1, n_name#2, n_regionkey#3]\n"
              "   +- Scan csv customer [c_custkey#4, c_name#5, c_nationkey#6, c_mktsegment#7, "
              "c_acctbal#8]\n");
  expect_plan("SELECT n_name FROM nation UNION SELECT c_name FROM customer",
              "Aggregate [n_name#9] []\n"
              "+- Union [n_name#9]\n"
              "   +- Project [n_name#2]\n"
              "      +- Scan csv nation [n_nationkey#1, n_name#2, n_regionkey#3]\n"
              "   +- Project [c_name#5]\n"
              "      +- Scan csv customer [c_custkey#4, c_name#5, c_nationkey#6, c_mktsegment#7, "
              "c_acctbal#8]\n");
  expect_plan("SELECT c_custkey FROM customer INTERSECT SELECT o_custkey FROM orders",
              "Aggregate [c_custkey#1] []\n"
              "+- Join LeftSemi, c_custkey#1 <=> o_custkey#7\n"
              "   +- Project [c_custkey#1]\n"
              "      +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, c_mktsegment#4, "
              "c_acctbal#5]\n"
              "   +- Project [o_custkey#7]\n"
              "      +- Scan csv orders [o_orderkey#6, o_custkey#7, o_orderstatus#8, "
              "o_totalprice#9, o_orderdate#10, o_orderpriority#11]\n");
  expect_plan("SELECT c_name FROM customer ORDER BY c_acctbal",
              "Project [c_name#2]\n"
              "+- Sort [c_acctbal#5 ASC NULLS FIRST]\n"
              "   +- Project [c_name#2, c_acctbal#5]\n"
              "      +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, c_mktsegment#4, "
              "c_acctbal#5]\n");
  expect_plan("SELECT DISTINCT c_nationkey FROM customer ORDER BY c_nationkey LIMIT 1 OFFSET 1",
              "Limit 1 Offset 1\n"
              "+- TopN 2 [c_nationkey#6 ASC NULLS FIRST]\n"
              "   +- Aggregate [c_nationkey#3] []\n"
              "      +- Project [c_nationkey#3]\n"
              "         +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, "
              "c_mktsegment#4, c_acctbal#5]\n");
  expect_plan("SELECT c_nationkey FROM customer GROUP BY c_nationkey ORDER BY count(*) DESC, 1",
              "Project [c_nationkey#6]\n"
              "+- Sort [count(1)#7 DESC NULLS LAST, c_nationkey#6 ASC NULLS FIRST]\n"
              "   +- Project [c_nationkey#6, count(1)#7]\n"
              "      +- Aggregate [c_nationkey#3] [count(1) AS count(1)#7]\n"
              "         +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, "
              "c_mktsegment#4, c_acctbal#5]\n");
  expect_plan("SELECT c_nationkey AS nk, count(DISTINCT c_name) c FROM customer GROUP BY nk "
              "HAVING c > 0 ORDER BY nk + 1",
              "Project [nk#8, c#9]\n"
              "+- Sort [(nk + 1)#10 ASC NULLS FIRST]\n"
              "   +- Project [c_nationkey#6 AS nk#8, count(DISTINCT c_name)#7 AS c#9, "
              "(c_nationkey#6 + 1) AS (nk + 1)#10]\n"
              "      +- Filter (count(DISTINCT c_name)#7 > 0)\n"
              "         +- Aggregate [c_nationkey#3] [count(DISTINCT c_name#2) AS count(DISTINCT "
              "c_name)#7]\n"
              "            +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, "
              "c_mktsegment#4, c_acctbal#5]\n");
  expect_plan("WITH a AS (SELECT c_custkey k FROM customer) SELECT * FROM a x JOIN a y ON x.k = y.k",
              "Project [k#6, k#12]\n"
              "+- Join Inner, k#6 = k#12\n"
              "   +- Project [c_custkey#1 AS k#6]\n"
              "      +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, c_mktsegment#4, "
              "c_acctbal#5]\n"
              "   +- Project [c_custkey#7 AS k#12]\n"
              "      +- Scan csv customer [c_custkey#7, c_name#8, c_nationkey#9, c_mktsegment#10, "
              "c_acctbal#11]\n");
  expect_plan("SELECT * FROM range(2, 10, 3) r WHERE r.id > 3",
              "Project [id#1]\n"
              "+- Filter (id#1 > 3)\n"
              "   +- Range (2, 10, step=3) [id#1]\n");
  static const char *const using_full[] = {
      "Project [o_custkey#13, o_orderkey#1, c_name#8]\n"
      "+- Project [o_custkey#2, o_orderkey#1, o_custkey#12, c_name#8, coalesce(o_custkey#2, "
      "o_custkey#12) AS o_custkey#13]\n"
      "   +- Join FullOuter, o_custkey#2 = o_custkey#12\n"};
  expect_contains("SELECT * FROM (SELECT o_custkey, o_orderkey FROM orders) o FULL JOIN "
                  "(SELECT c_custkey AS o_custkey, c_name FROM customer) c USING (o_custkey)",
                  using_full, 1);
}

static void test_schemas(void) {
  expect_schema("SELECT c_custkey, c_acctbal * 2, count(*), 7 / 2, 7 div 2, c_name || 'x' AS s "
                "FROM customer GROUP BY c_custkey, c_acctbal, c_name",
                "c_custkey:INT,(c_acctbal * 2):DECIMAL(17,2),count(1):BIGINT,(7 / 2):DOUBLE,"
                "(7 div 2):BIGINT,s:STRING");
  expect_schema("SELECT * FROM (VALUES (1, 'a'), (2.5, NULL)) t(x, y)", "x:DECIMAL(11,1),y:STRING");
  expect_schema("SELECT 1 UNION ALL SELECT 2.5 UNION ALL SELECT NULL", "1:DECIMAL(11,1)");
  expect_schema("SELECT * FROM range(3)", "id:BIGINT");
  expect_schema("SELECT sum(c_acctbal), avg(c_acctbal), avg(c_custkey), max(c_name) FROM customer",
                "sum(c_acctbal):DECIMAL(18,2),avg(c_acctbal):DECIMAL(18,6),avg(c_custkey):DOUBLE,"
                "max(c_name):STRING");
  expect_schema("SELECT n_nationkey, n_name FROM nation", "n_nationkey:INT,n_name:STRING");
  expect_schema("SELECT CASE WHEN c_custkey > 1 THEN 1 ELSE 2.5 END, coalesce(c_nationkey, 1L), "
                "round(c_acctbal, 1), o_orderdate + 1 FROM customer, orders",
                "CASE WHEN (c_custkey > 1) THEN 1 ELSE 2.5 END:DECIMAL(11,1),"
                "coalesce(c_nationkey, 1):BIGINT,round(c_acctbal, 1):DECIMAL(15,1),"
                "(o_orderdate + 1):DATE");
  expect_schema("SELECT o_orderdate + INTERVAL 1 DAY, o_orderdate - INTERVAL 2 MONTHS FROM orders",
                "(o_orderdate + INTERVAL '1' DAY):DATE,(o_orderdate - INTERVAL '2' MONTH):DATE");
  expect_schema("SELECT a.x, b FROM (SELECT 1 AS x) a, (SELECT 'q' AS b)", "x:INT,b:STRING");
  expect_schema("SELECT c.*, o_orderkey FROM customer c JOIN orders o ON c.c_custkey = o.o_custkey",
                "c_custkey:INT,c_name:STRING,c_nationkey:INT,c_mktsegment:STRING,"
                "c_acctbal:DECIMAL(15,2),o_orderkey:INT");
}

static void test_structure(void) {
  struct plan_ctx *ctx;
  /* window frames: Spark's defaults and explicit ROWS */
  struct plan *p = root_of("SELECT sum(c_acctbal) OVER (PARTITION BY c_nationkey ORDER BY c_custkey), "
                           "sum(c_acctbal) OVER (PARTITION BY c_nationkey ORDER BY c_custkey ROWS "
                           "BETWEEN 1 PRECEDING AND 2 FOLLOWING), count(*) OVER () FROM customer",
                           &ctx);
  const struct plan *w = find_kind(p, PLAN_WINDOW);
  TAP_OK(w && w->u.window.ncalls == 1, "one window node per spec (outer: no ORDER BY)");
  const struct plan *w2 = w ? find_kind(w->child[0], PLAN_WINDOW) : NULL;
  TAP_OK(w2 && w2->u.window.ncalls == 2, "calls with the same spec share a window node");
  if (w && w2) {
    const struct plan_win_call *a = &w2->u.window.calls[0], *b = &w2->u.window.calls[1];
    TAP_OK(!a->rows_frame && a->start_kind == FRAME_UNBOUNDED_PRECEDING && a->end_kind == FRAME_CURRENT_ROW,
           "default frame with ORDER BY: RANGE UNBOUNDED PRECEDING .. CURRENT ROW");
    TAP_OK(b->rows_frame && b->start_kind == FRAME_PRECEDING && b->start_off == 1 &&
               b->end_kind == FRAME_FOLLOWING && b->end_off == 2,
           "ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING");
    const struct plan_win_call *c = &w->u.window.calls[0];
    TAP_OK(c->fn == WIN_AGG && c->agg.fn == AGG_COUNT_STAR && c->start_kind == FRAME_UNBOUNDED_PRECEDING &&
               c->end_kind == FRAME_UNBOUNDED_FOLLOWING,
           "no ORDER BY: the whole partition");
    TAP_EQ_INT(w2->ncols, 7, "window output = child columns + one per call");
  }
  plan_ctx_free(ctx);

  /* correlated EXISTS: the subquery refers to the outer column by id */
  p = root_of("SELECT o_orderpriority FROM orders WHERE NOT EXISTS (SELECT * FROM lineitem WHERE "
              "l_orderkey = o_orderkey)",
              &ctx);
  const struct plan *f = find_kind(p, PLAN_FILTER);
  TAP_OK(f && f->u.filter.cond->kind == EXPR_EXISTS && f->u.filter.cond->u.sub.negated,
         "NOT EXISTS folds into a negated EXPR_EXISTS");
  if (f) {
    int *refs = NULL, n = 0;
    plan_outer_refs(ctx, f->u.filter.cond->u.sub.plan, &refs, &n);
    TAP_OK(n == 1 && refs[0] == 1, "outer reference to o_orderkey#1");
  }
  plan_ctx_free(ctx);

  /* IN subquery coerced: INT IN (DECIMAL) -> both sides DECIMAL */
  p = root_of("SELECT c_name FROM customer WHERE c_custkey NOT IN (SELECT o_totalprice FROM orders)", &ctx);
  f = find_kind(p, PLAN_FILTER);
  const struct expr *in = f ? f->u.filter.cond : NULL;
  TAP_OK(in && in->kind == EXPR_IN_SUBQUERY && in->u.sub.negated && in->u.sub.arg->type.id == TYPE_DECIMAL &&
             in->u.sub.plan->ncols == 1 && in->u.sub.plan->cols[0].type.id == TYPE_DECIMAL &&
             in->u.sub.arg->type.precision == in->u.sub.plan->cols[0].type.precision,
         "NOT IN subquery: argument and subquery column share one type");
  plan_ctx_free(ctx);

  /* LIKE ... ESCAPE rewritten to backslash escapes; BETWEEN lowered */
  p = root_of("SELECT c_name FROM customer WHERE c_name LIKE 'a!%\\\\b' ESCAPE '!' AND c_custkey "
              "BETWEEN 1 AND 5",
              &ctx);
  f = find_kind(p, PLAN_FILTER);
  const struct expr *c = f ? f->u.filter.cond : NULL;
  TAP_OK(c && c->kind == EXPR_FUNC && c->u.func.fn == FN_AND && c->u.func.nargs == 2, "AND of two");
  if (c && c->kind == EXPR_FUNC && c->u.func.nargs == 2) {
    const struct expr *l = c->u.func.args[0], *b = c->u.func.args[1];
    TAP_OK(l->kind == EXPR_LIKE && l->u.like.len == 6 && !memcmp(l->u.like.pattern, "a\\%\\\\b", 6),
           "LIKE pattern with the ESCAPE char applied");
    TAP_OK(b->kind == EXPR_FUNC && b->u.func.fn == FN_AND && b->u.func.args[0]->u.func.fn == FN_GE &&
               b->u.func.args[1]->u.func.fn == FN_LE,
           "BETWEEN -> (x >= a AND x <= b)");
  }
  plan_ctx_free(ctx);

  /* scans carry the catalog source */
  p = root_of("SELECT * FROM orders", &ctx);
  const struct plan *s = find_kind(p, PLAN_SCAN);
  TAP_OK(s && s->u.scan.src.npaths == 1 && !strcmp(s->u.scan.src.format, "csv") &&
             s->u.scan.src.schema && s->u.scan.src.schema->ncols == 6 && s->ncols == 6 &&
             s->u.scan.proj[5] == 5 && !s->u.scan.src.cached,
         "scan source from the catalog entry");
  plan_ctx_free(ctx);
}

static void test_errors(void) {
  expect_error("SELECT c_nmae FROM customer", ERR_SQL,
               "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name "
               "`c_nmae` cannot be resolved. Did you mean one of the following? [`c_name`",
               1, 8);
  expect_error("SELECT *\n  FROM nope", ERR_SQL, "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope`", 2, 8);
  expect_error("SELECT c_name, count(*) FROM customer", ERR_SQL,
               "[MISSING_AGGREGATION] The non-aggregating expression \"c_name\"", 1, 8);
  expect_error("SELECT c_name FROM customer GROUP BY c_nationkey", ERR_SQL, "[MISSING_AGGREGATION]", 1, 8);
  expect_error("SELECT c_custkey FROM customer, customer", ERR_SQL, "[AMBIGUOUS_REFERENCE]", 1, 8);
  expect_error("SELECT no_such_fn(1)", ERR_SQL, "[UNRESOLVED_ROUTINE] Cannot resolve function `no_such_fn`", 1, 8);
  expect_error("SELECT (SELECT 1, 2)", ERR_SQL, "SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_COLUMN", 1, 8);
  expect_error("SELECT 1 UNION SELECT 1, 2", ERR_SQL, "[NUM_COLUMNS_MISMATCH]", 0, 0);
  expect_error("SELECT 1 INTERSECT ALL SELECT 1", ERR_UNSUPPORTED, "INTERSECT ALL", 0, 0);
  expect_error("SELECT c_name FROM customer GROUP BY 3", ERR_SQL, "[GROUP_BY_POS_OUT_OF_RANGE]", 1, 38);
  expect_error("SELECT c_name FROM customer ORDER BY 2", ERR_SQL, "[ORDER_BY_POS_OUT_OF_RANGE]", 1, 38);
  expect_error("SELECT c_name FROM customer WHERE sum(c_acctbal) > 1", ERR_SQL, "[INVALID_WHERE_CONDITION]", 1, 35);
  expect_error("SELECT sum(max(c_acctbal)) FROM customer", ERR_SQL, "[NESTED_AGGREGATE_FUNCTION]", 1, 12);
  expect_error("SELECT c_name + o_orderdate FROM customer, orders", ERR_SQL, "BINARY_OP_DIFF_TYPES", 1, 8);
  expect_error("SELECT CAST(o_orderdate AS INT) FROM orders", ERR_SQL, "CAST_WITHOUT_SUGGESTION", 1, 8);
  expect_error("SELECT * FROM customer c JOIN orders o USING (nope)", ERR_SQL,
               "[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `nope`", 0, 0);
  expect_error("SELECT row_number() FROM customer", ERR_SQL, "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE", 1, 8);
  expect_error("SELECT * FROM customer WHERE c_custkey", ERR_SQL, "is not a boolean", 1, 30);
  expect_error("SELECT *", ERR_SQL, "INVALID_USAGE_OF_STAR_OR_REGEX", 1, 8);
  expect_error("SELECT 1 LIMIT -1", ERR_SQL, "IS_NEGATIVE", 1, 16);
}

static void test_catalog(void) {
  struct err e;
  TAP_EQ_INT(exec("CREATE TEMP VIEW v(k, total) AS SELECT c_nationkey, sum(c_acctbal) FROM "
                  "customer GROUP BY 1",
                  &e),
             0, "CREATE TEMP VIEW with column names");
  const struct catalog_entry *en = catalog_lookup(cat, "V");
  TAP_OK(en && en->kind == CATALOG_VIEW && en->schema.ncols == 2 && !strcmp(en->schema.cols[1].name, "total") &&
             !strcmp(en->sql, "SELECT c_nationkey, sum(c_acctbal) FROM customer GROUP BY 1"),
         "view text cut from the statement, schema with the view's names");
  expect_schema("SELECT * FROM v WHERE total > 1", "k:INT,total:DECIMAL(18,2)");
  expect_plan("SELECT k FROM v",
              "Project [k#8]\n"
              "+- Project [c_nationkey#6 AS k#8, sum(c_acctbal)#7 AS total#9]\n"
              "   +- Project [c_nationkey#6, sum(c_acctbal)#7]\n"
              "      +- Aggregate [c_nationkey#3] [sum(c_acctbal#5) AS sum(c_acctbal)#7]\n"
              "         +- Scan csv customer [c_custkey#1, c_name#2, c_nationkey#3, "
              "c_mktsegment#4, c_acctbal#5]\n");
  TAP_EQ_INT(exec("CREATE TEMP VIEW v AS SELECT 1", &e), ERR_SQL, "view exists");
  TAP_OK(strstr(e.msg, "TABLE_OR_VIEW_ALREADY_EXISTS") != NULL, "... TABLE_OR_VIEW_ALREADY_EXISTS");
  TAP_EQ_INT(exec("CREATE OR REPLACE TEMP VIEW w AS SELECT k FROM v; "
                  "CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM w",
                  &e),
             0, "views referring to each other");
  expect_error("SELECT * FROM v", ERR_SQL, "[RECURSIVE_VIEW]", 0, 0);
  TAP_EQ_INT(exec("CREATE TEMP VIEW bad AS SELECT nope FROM customer", &e), ERR_SQL, "invalid view");
  TAP_OK(catalog_lookup(cat, "bad") == NULL, "... is not created");
  TAP_EQ_INT(exec("DROP VIEW v; DROP VIEW w; DROP VIEW IF EXISTS v", &e), 0, "DROP VIEW [IF EXISTS]");
  TAP_EQ_INT(exec("DROP VIEW v", &e), ERR_NOTFOUND, "DROP VIEW of a missing view");
  TAP_EQ_INT(exec("CACHE TABLE orders", &e), 0, "CACHE TABLE");
  struct plan_ctx *ctx;
  struct plan *p = root_of("SELECT o_orderkey FROM orders", &ctx);
  const struct plan *s = find_kind(p, PLAN_SCAN);
  TAP_OK(s && s->u.scan.src.cached && s->u.scan.src.cache_key, "scan of a cached table");
  plan_ctx_free(ctx);
  TAP_EQ_INT(exec("UNCACHE TABLE orders; UNCACHE TABLE IF EXISTS nope", &e), 0, "UNCACHE TABLE");
  TAP_EQ_INT(exec("CREATE TABLE IF NOT EXISTS orders (x INT) USING csv OPTIONS (path '/nope')", &e), 0,
             "CREATE TABLE IF NOT EXISTS keeps the table");
  TAP_EQ_INT(catalog_lookup(cat, "orders")->schema.ncols, 6, "... unchanged");
}

int main(void) {
  cat = catalog_new();
  setup();
  test_shapes();
  test_schemas();
  test_structure();
  test_errors();
  test_catalog();
  cleanup();
  catalog_free(cat);
  return tap_done();
}
