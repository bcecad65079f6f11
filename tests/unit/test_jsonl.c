/* test_jsonl.c: the JSON-lines source -- inference (nesting, widening,
 * mixed types, corrupt records), typed reading, modes, escapes, splits and
 * the benchmark tables (when KINDLING_BENCH_DATA is set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/source/jsonl.h"
#include "common/fs.h"
#include "tests/tap.h"

static char tmpdir[256];
static char pathbuf[512];
static struct buf res, sch;
static struct err e;

static const char *write_file(const char *name, const char *content, size_t n) {
  snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
  FILE *f = fopen(pathbuf, "wb");
  if (!f) return NULL;
  fwrite(content, 1, n, f);
  fclose(f);
  return pathbuf;
}
#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

static int run(const char *path, const struct readopt_kv *kv, int nkv, const char *ddl,
               const char *proj_names, int64_t split) {
  struct jsonl_options o;
  struct schema s;
  struct path_list files;
  struct path_splits splits;
  schema_init(&s);
  path_splits_init(&splits);
  path_list_init(&files);
  buf_reset(&res);
  buf_reset(&sch);
  int rc = jsonl_options_parse(&o, kv, nkv, &e);
  if (rc) goto out;
  if ((rc = path_expand(&path, 1, &files, &e))) goto out;
  rc = ddl ? schema_parse_ddl(ddl, &s, &e) : jsonl_infer_schema(&files, &o, &s, &e);
  if (rc) goto out;
  schema_to_ddl(&s, &sch);
  int proj[64], np = 0;
  if (proj_names) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", proj_names);
    for (char *t = strtok(tmp, ","); t && np < 64; t = strtok(NULL, ",")) proj[np++] = schema_find(&s, t);
  } else {
    for (int i = 0; i < s.ncols && i < 64; i++) proj[np++] = i;
  }
  if ((rc = path_plan_splits(&files, split > 0 ? split : INT64_MAX / 2, 1, &splits))) goto out;
  for (int k = 0; k < splits.n && rc == 0; k++) {
    struct jsonl_reader *r;
    rc = jsonl_reader_open(&r, files.files[splits.s[k].file].path, splits.s[k].start,
                           splits.s[k].end, &s, proj, np, &o, &e);
    if (rc) break;
    struct batch *b;
    while ((rc = jsonl_reader_next(r, &b, &e)) == 1)
      for (uint32_t i = 0; i < b->nrows; i++)
        for (int c = 0; c < b->ncols; c++) {
          vector_to_text(&b->cols[c], i, &res);
          buf_putc(&res, c + 1 == b->ncols ? '\n' : '|');
        }
    jsonl_reader_close(r);
  }
  if (rc == 0 && !res.data) buf_puts(&res, "");
out:
  if (!sch.data) buf_puts(&sch, "");
  path_splits_fini(&splits);
  path_list_fini(&files);
  schema_fini(&s);
  jsonl_options_fini(&o);
  return rc;
}

#define KV(...) ((const struct readopt_kv[]){__VA_ARGS__})
#define NKV(...) ((int)(sizeof((const struct readopt_kv[]){__VA_ARGS__}) / sizeof(struct readopt_kv)))
#define RUN(path, ddl, proj, ...) run(path, KV(__VA_ARGS__), NKV(__VA_ARGS__), ddl, proj, 0)
#define RUN0(path, ddl, proj) run(path, NULL, 0, ddl, proj, 0)

static void test_infer(void) {
  const char *p = WRITE("a.jsonl",
                        "{\"id\":1,\"name\":\"a\",\"x\":1,\"addr\":{\"city\":\"P\",\"zip\":75},\"tags\":[1,2]}\n"
                        "\n"
                        "{\"id\":2,\"x\":2.5,\"addr\":{\"zip\":76.5,\"geo\":{\"lat\":1}},\"flag\":true,\"n\":null}\n"
                        "  {\"name\":\"c\\\"q\\u00e9\",\"mix\":1,\"tags\":[],\"addr\":null}\r\n"
                        "{\"mix\":\"s\",\"obj\":{\"a\":1},\"empty\":{}}\n"
                        "{\"obj\":5}\n");
  TAP_EQ_INT(RUN0(p, NULL, NULL), 0, "infer: read");
  TAP_EQ_STR(sch.data,
             "`addr.city` STRING,`addr.geo.lat` BIGINT,`addr.zip` DOUBLE,flag BOOLEAN,id BIGINT,mix "
             "STRING,n STRING,name STRING,obj STRING,tags STRING,x DOUBLE",
             "infer: sorted names, nested flattened, long->double widening, mixed->string, "
             "struct+scalar->string, null->string, arrays as strings, empty objects dropped");
  TAP_EQ_STR(res.data,
             "P|NULL|75.0|NULL|1|NULL|NULL|a|NULL|[1,2]|1.0\n"
             "NULL|1|76.5|true|2|NULL|NULL|NULL|NULL|NULL|2.5\n"
             "NULL|NULL|NULL|NULL|NULL|1|NULL|c\"q\xc3\xa9|NULL|[]|NULL\n"
             "NULL|NULL|NULL|NULL|NULL|s|NULL|NULL|{\"a\":1}|NULL|NULL\n"
             "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|5|NULL|NULL\n",
             "infer: values; non-string JSON in STRING columns keeps its text; escapes decoded");
  TAP_EQ_INT(RUN(p, NULL, "id,x", {"primitivesAsString", "true"}), 0, "primitivesAsString");
  TAP_OK(strstr(sch.data, "id STRING") && strstr(sch.data, "flag STRING"), "primitivesAsString: all strings");
}

static void test_modes(void) {
  const char *p = WRITE("bad.jsonl", "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\n{\"a\":\"str\",\"b\":\"y\"}\n[1,2]\n{\"a\":4}\n");
  TAP_EQ_INT(RUN0(p, NULL, NULL), 0, "corrupt: inference in PERMISSIVE");
  TAP_EQ_STR(sch.data, "_corrupt_record STRING,a STRING,b STRING",
             "corrupt: inference adds _corrupt_record; a mixes long and string");
  TAP_EQ_STR(res.data,
             "NULL|1|x\n{\"a\":2,|NULL|NULL\nNULL|str|y\n[1,2]|NULL|NULL\nNULL|4|NULL\n",
             "corrupt: raw lines of malformed records");
  const char *ddl = "a BIGINT, b STRING, _corrupt_record STRING";
  TAP_EQ_INT(RUN0(p, ddl, NULL), 0, "typed PERMISSIVE");
  TAP_EQ_STR(res.data,
             "1|x|NULL\nNULL|NULL|{\"a\":2,\nNULL|y|{\"a\":\"str\",\"b\":\"y\"}\nNULL|NULL|[1,2]\n4|NULL|NULL\n",
             "typed PERMISSIVE: type mismatch keeps other fields");
  TAP_EQ_INT(RUN(p, ddl, NULL, {"mode", "DROPMALFORMED"}), 0, "DROPMALFORMED");
  TAP_EQ_STR(res.data, "1|x|NULL\n4|NULL|NULL\n", "DROPMALFORMED: bad lines dropped");
  TAP_EQ_INT(RUN(p, ddl, NULL, {"mode", "FAILFAST"}), ERR_PARSE, "FAILFAST: error");
  TAP_OK(strstr(e.msg, "bad.jsonl, line 2") && strstr(e.msg, "malformed JSON"), "FAILFAST: file and line (%s)", e.msg);
  TAP_EQ_INT(RUN(p, NULL, NULL, {"mode", "FAILFAST"}), ERR_PARSE, "FAILFAST during inference");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"mode", "DROPMALFORMED"}), 0, "DROPMALFORMED inference");
  TAP_EQ_STR(sch.data, "a STRING,b STRING", "DROPMALFORMED inference: no corrupt column");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"multiLine", "true"}), ERR_UNSUPPORTED, "multiLine rejected");
}

static void test_types(void) {
  const char *p = WRITE("t.jsonl",
                        "{\"i\":7,\"d\":\"NaN\",\"m\":12.345,\"dt\":\"2020-01-02\",\"ts\":\"2020-01-02 03:04:05.5\",\"b\":false,\"s\":{\"k\":[1,{\"z\":null}]}}\n"
                        "{\"i\":2147483648,\"d\":1e2,\"m\":\"1.5\",\"dt\":\"2020-1-3\",\"ts\":\"2020-01-02T03:04:05Z\",\"b\":true,\"s\":\"plain\"}\n");
  TAP_EQ_INT(RUN0(p, "i INT, d DOUBLE, m DECIMAL(6,2), dt DATE, ts TIMESTAMP, b BOOLEAN, s STRING", NULL), 0,
             "typed read");
  TAP_EQ_STR(res.data,
             "7|NaN|12.35|2020-01-02|2020-01-02 03:04:05.5|false|{\"k\":[1,{\"z\":null}]}\n"
             "NULL|100.0|1.50|2020-01-03|2020-01-02 03:04:05|true|plain\n",
             "typed read: INT overflow is NULL, NaN string, decimal rounding, lenient dates");
  p = WRITE("f.jsonl", "{\"d\":\"02/01/2020\"}\n");
  TAP_EQ_INT(RUN(p, "d DATE", NULL, {"dateFormat", "dd/MM/yyyy"}), 0, "dateFormat");
  TAP_EQ_STR(res.data, "2020-01-02\n", "dateFormat: pattern used");
  p = WRITE("n.jsonl", "{\"a\":{\"b\":{\"c\":1}},\"a.b\":9}\n{\"a\":{\"b\":null}}\n{\"a\":3}\n");
  TAP_EQ_INT(RUN0(p, NULL, NULL), 0, "nested read");
  TAP_EQ_STR(sch.data, "a STRING,`a.b` BIGINT", "nested: scalar and object mix makes a a STRING");
  TAP_EQ_STR(res.data, "{\"b\":{\"c\":1}}|9\n{\"b\":null}|NULL\n3|NULL\n",
             "nested: a dotted key is its own column");
  p = WRITE("n2.jsonl", "{\"a\":{\"b\":{\"c\":1},\"d\":\"x\"}}\n{\"a\":{\"b\":{\"c\":2}}}\n");
  TAP_EQ_INT(RUN0(p, NULL, "a.b.c"), 0, "nested projection");
  TAP_EQ_STR(res.data, "1\n2\n", "nested projection: a.b.c read by path");
}

static void test_splits(void) {
  static char data[300000];
  size_t n = 0;
  srand(3);
  for (int r = 0; r < 2000; r++) {
    int k = rand() % 10;
    if (k == 0) n += (size_t)sprintf(data + n, "\n");
    else if (k == 1) n += (size_t)sprintf(data + n, "{broken\r\n");
    else n += (size_t)sprintf(data + n, "{\"a\":%d,\"b\":\"%*s\",\"c\":{\"d\":%d.5}}\n", rand(), rand() % 40, "", rand() % 100);
  }
  const char *p = write_file("split.jsonl", data, n);
  char *path = strdup(p);
  const char *ddl = "a BIGINT, b STRING, c DOUBLE, _corrupt_record STRING";
  run(path, NULL, 0, ddl, NULL, 0);
  char *whole = strdup(res.data);
  int bad = 0;
  int64_t sizes[] = {1, 5, 64, 333, 4096, (int64_t)n / 3};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
    if (run(path, NULL, 0, ddl, NULL, sizes[k]) != 0 || strcmp(res.data, whole) != 0) bad++;
  p = WRITE("bom.jsonl", "\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n");
  for (int64_t sz = 1; sz <= 10; sz++)
    if (run(p, NULL, 0, "a INT", NULL, sz) != 0 || strcmp(res.data, "1\n2\n") != 0) bad++;
  TAP_EQ_INT(bad, 0, "splits: every split size yields the rows of the whole file (also with a BOM)");
  free(whole);
  free(path);
}

static void test_bench(void) {
  const char *dir = getenv("KINDLING_BENCH_DATA");
  static const char *const tables[] = {"region", "nation", "supplier", "customer",
                                       "part", "partsupp", "orders", "lineitem"};
  for (int t = 0; t < 8; t++) {
    if (!dir) {
      printf("ok %d # SKIP bench table %s: set KINDLING_BENCH_DATA\n", ++tap_n, tables[t]);
      continue;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, tables[t]);
    FILE *fp = fopen(path, "r");
    long lines = 0;
    int c;
    while (fp && (c = fgetc(fp)) != EOF) lines += c == '\n';
    if (fp) fclose(fp);
    int rc = run(path, KV({"mode", "FAILFAST"}), 1, NULL, NULL, 1 << 20);
    long rows = 0;
    for (const char *q = res.data; q && *q; q++) rows += *q == '\n';
    TAP_OK(rc == 0 && rows == lines && lines > 0 && !strstr(res.data, "NULL"),
           "bench jsonl %s: %ld rows, no NULLs, schema %s", tables[t], rows, rc ? e.msg : sch.data);
  }
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "%s/kindling-jsonl-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmpdir)) return 1;
  buf_init(&res, BUF_UNLIMITED);
  buf_init(&sch, BUF_UNLIMITED);
  test_infer();
  test_modes();
  test_types();
  test_splits();
  test_bench();
  buf_fini(&res);
  buf_fini(&sch);
  if (fs_rmtree(tmpdir) != 0) printf("# could not remove %s\n", tmpdir);
  return tap_done();
}
