/* test_csv.c: the CSV source -- options, quoting, line endings, modes,
 * inference, projection, byte-range splits, path expansion and the
 * benchmark tables (when KINDLING_BENCH_DATA names a directory of
 * gen_data.py CSV output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/source/csv.h"
#include "engine/source/path.h"
#include "common/fs.h"
#include "tests/tap.h"

static char tmpdir[256];
static char pathbuf[512];

static const char *write_file(const char *name, const char *content, size_t n) {
  snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
  FILE *f = fopen(pathbuf, "wb");
  if (!f) return NULL;
  fwrite(content, 1, n, f);
  fclose(f);
  return pathbuf;
}

#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

/* Read path with options, an explicit schema (ddl) or inference, an
 * optional comma-separated projection and byte-range size (0 = whole
 * file). Rows are rendered "v|v\n" into res, the schema DDL into sch. */
static int run(const char *path, const struct readopt_kv *kv, int nkv, const char *ddl,
               const char *proj_names, int64_t split, struct buf *res, struct buf *sch,
               struct err *e) {
  struct csv_options o;
  struct schema s;
  struct path_list files;
  struct path_splits splits;
  schema_init(&s);
  path_splits_init(&splits);
  buf_reset(res);
  if (sch) buf_reset(sch);
  int rc = csv_options_parse(&o, kv, nkv, e);
  if (rc) {
    csv_options_fini(&o);
    return rc;
  }
  if ((rc = path_expand(&path, 1, &files, e))) goto out;
  rc = ddl ? schema_parse_ddl(ddl, &s, e) : csv_infer_schema(&files, &o, &s, e);
  if (rc) goto out;
  if (sch) schema_to_ddl(&s, sch);
  int proj[64], np = 0;
  if (proj_names) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", proj_names);
    for (char *t = strtok(tmp, ","); t && np < 64; t = strtok(NULL, ",")) proj[np++] = schema_find(&s, t);
  } else {
    for (int i = 0; i < s.ncols && i < 64; i++) proj[np++] = i;
  }
  if ((rc = path_plan_splits(&files, split > 0 ? split : INT64_MAX / 2, csv_splittable(&o), &splits)))
    goto out;
  for (int k = 0; k < splits.n && rc == 0; k++) {
    struct csv_reader *r;
    rc = csv_reader_open(&r, files.files[splits.s[k].file].path, splits.s[k].start, splits.s[k].end,
                         &s, proj, np, &o, e);
    if (rc) break;
    struct batch *b;
    while ((rc = csv_reader_next(r, &b, e)) == 1) {
      for (uint32_t i = 0; i < b->nrows; i++)
        for (int c = 0; c < b->ncols; c++) {
          vector_to_text(&b->cols[c], i, res);
          buf_putc(res, c + 1 == b->ncols ? '\n' : '|');
        }
    }
    csv_reader_close(r);
  }
  if (rc == 0 && !res->data) buf_puts(res, "");
out:
  path_splits_fini(&splits);
  path_list_fini(&files);
  schema_fini(&s);
  csv_options_fini(&o);
  return rc;
}

static struct buf res, sch;
static struct err e;

#define KV(...) ((const struct readopt_kv[]){__VA_ARGS__})
#define NKV(...) ((int)(sizeof((const struct readopt_kv[]){__VA_ARGS__}) / sizeof(struct readopt_kv)))
#define RUN(path, ddl, proj, ...) run(path, KV(__VA_ARGS__), NKV(__VA_ARGS__), ddl, proj, 0, &res, &sch, &e)

static void test_basic(void) {
  const char *p = WRITE("basic.csv", "id,name,price,day,ok\n1,apple,1.5,2020-01-02,true\n2,,2,2021-12-31,false\n");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}), 0, "basic: read");
  TAP_EQ_STR(sch.data, "id INT,name STRING,price DOUBLE,day DATE,ok BOOLEAN", "basic: inferred schema");
  TAP_EQ_STR(res.data, "1|apple|1.5|2020-01-02|true\n2|NULL|2.0|2021-12-31|false\n", "basic: values");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"HEADER", "true"}), 0, "no inference: read");
  TAP_EQ_STR(sch.data, "id STRING,name STRING,price STRING,day STRING,ok STRING",
             "no inference: all strings, names from header (keys case-insensitive)");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"inferSchema", "true"}), 0, "no header: read");
  TAP_EQ_STR(sch.data, "_c0 STRING,_c1 STRING,_c2 STRING,_c3 STRING,_c4 STRING",
             "no header: _c names, header row makes columns strings");
  TAP_OK(strncmp(res.data, "id|name|price|day|ok\n", 21) == 0, "no header: first line is data");
  TAP_EQ_INT(RUN(p, "id BIGINT, name STRING, price DECIMAL(5,2), day DATE, ok BOOLEAN", NULL,
                 {"header", "true"}),
             0, "explicit schema: read");
  TAP_EQ_STR(res.data, "1|apple|1.50|2020-01-02|true\n2|NULL|2.00|2021-12-31|false\n",
             "explicit schema: decimal scale kept");
}

static void test_quotes(void) {
  const char *p = WRITE("q.csv",
                        "a,b,c\n"
                        "\"x,y\",\"say \\\"hi\\\"\",\"dbl \"\"q\"\"\"\n"
                        "\"\",plain \"mid\" quote,\"tail\"junk\n"
                        "\"unterminated,1,2\n");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING, c STRING", NULL, {"header", "true"}), 0, "quotes: read");
  TAP_EQ_STR(res.data,
             "x,y|say \"hi\"|dbl \"q\"\n"
             "NULL|plain \"mid\" quote|tailjunk\n"
             "unterminated,1,2|NULL|NULL\n",
             "quotes: separators, backslash and doubled escapes, empty quoted = null, runaway quote");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING, c STRING, _corrupt_record STRING", "_corrupt_record",
                 {"header", "true"}),
             0, "quotes: corrupt column");
  TAP_EQ_STR(res.data, "NULL\nNULL\n\"unterminated,1,2\n", "quotes: only the runaway row is malformed");
  p = WRITE("ml.csv", "id,txt\r\n1,\"line one\r\nline two\"\r\n2,\"a\"\"b\nc\"\r\n3,end\r\n");
  TAP_EQ_INT(RUN(p, "id INT, txt STRING", NULL, {"header", "true"}, {"multiLine", "true"}), 0,
             "multiLine: read");
  TAP_EQ_STR(res.data, "1|line one\r\nline two\n2|a\"b\nc\n3|end\n", "multiLine: embedded newlines kept");
  TAP_EQ_INT(RUN(p, "id INT, txt STRING", NULL, {"header", "true"}, {"mode", "DROPMALFORMED"}), 0,
             "multiLine off: read");
  /* an open quote ends with its line; the continuation lines have too few
   * fields and are dropped */
  TAP_EQ_STR(res.data, "1|line one\n2|a\"b\n3|end\n",
             "multiLine off: records are lines, broken halves are malformed");
  p = WRITE("nq.csv", "\"a\",\"b\"\n");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING", NULL, {"quote", ""}), 0, "quote off: read");
  TAP_EQ_STR(res.data, "\"a\"|\"b\"\n", "quote off: quotes are data");
  p = WRITE("sq.csv", "'a;b';c\n");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING", NULL, {"quote", "'"}, {"sep", ";"}), 0, "custom quote/sep");
  TAP_EQ_STR(res.data, "a;b|c\n", "custom quote/sep: values");
  p = WRITE("esc.csv", "\"a|\"b\",\"c||d\"\n");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING", NULL, {"escape", "|"}), 0, "custom escape");
  TAP_EQ_STR(res.data, "a\"b|c|d\n", "custom escape: escape+quote is a quote, escape+escape an escape");
}

static void test_lines(void) {
  const char *p = WRITE("crlf.csv", "\xEF\xBB\xBFh1,h2\r\n\r\n1,2\r\n   \r\n3,\r\n# comment,x\r\n4,5");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}, {"comment", "#"}), 0,
             "crlf/bom: read");
  TAP_EQ_STR(sch.data, "h1 INT,h2 INT", "BOM stripped from the first header name");
  TAP_EQ_STR(res.data, "1|2\n3|NULL\n4|5\n",
             "CRLF, blank and whitespace lines, comments, last line without newline");
  p = WRITE("tab.tsv", "a\tb\n1\t2\n");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"delimiter", "\\t"}), 0, "tab delimiter as \\t");
  TAP_EQ_STR(res.data, "1|2\n", "tab delimiter: values");
  p = WRITE("trail.csv", "1,");
  TAP_EQ_INT(RUN(p, "a INT, b INT", NULL, {"mode", "FAILFAST"}), 0, "trailing separator at EOF");
  TAP_EQ_STR(res.data, "1|NULL\n", "trailing separator: empty last field");
  p = WRITE("empty.csv", "");
  TAP_EQ_INT(RUN(p, "a INT", NULL, {"header", "true"}), 0, "empty file");
  TAP_EQ_STR(res.data, "", "empty file: no rows");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}), 0, "empty file: inference");
  TAP_EQ_STR(sch.data, "", "empty file: empty schema");
  p = WRITE("ws.csv", " 1 , x \n");
  TAP_EQ_INT(RUN(p, "a DOUBLE, b STRING", NULL, {"ignoreLeadingWhiteSpace", "true"},
                 {"ignoreTrailingWhiteSpace", "true"}),
             0, "ignore whitespace");
  TAP_EQ_STR(res.data, "1.0|x\n", "ignore whitespace: trimmed");
  TAP_EQ_INT(RUN(p, "a DOUBLE, b STRING", NULL), 0, "whitespace kept");
  TAP_EQ_STR(res.data, "1.0| x \n", "whitespace kept in strings; doubles parse like the JVM");
}

static void test_nulls(void) {
  const char *p = WRITE("n.csv", "a,b,c\nNA,\"\",\nx,NA,\"NA\"\n");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING, c STRING", NULL, {"header", "true"}, {"nullValue", "NA"}), 0,
             "nullValue: read");
  TAP_EQ_STR(res.data, "NULL||NULL\nx|NULL|NULL\n",
             "nullValue: matches quoted and unquoted, quoted empty is empty, unquoted empty is null");
  TAP_EQ_INT(RUN(p, "a STRING, b STRING, c STRING", NULL, {"header", "true"}, {"nullValue", "NA"},
                 {"emptyValue", "<e>"}),
             0, "emptyValue: read");
  TAP_EQ_STR(res.data, "NULL|<e>|NULL\nx|NULL|NULL\n", "emptyValue replaces quoted empty strings");
  p = WRITE("inf.csv", "Inf\n-Inf\nNaN\nnope\n");
  TAP_EQ_INT(RUN(p, "d DOUBLE", NULL, {"mode", "DROPMALFORMED"}), 0, "double specials");
  TAP_EQ_STR(res.data, "Infinity\n-Infinity\nNaN\n", "positiveInf/negativeInf/nanValue defaults");
  TAP_EQ_INT(RUN(p, "d DOUBLE", NULL, {"mode", "DROPMALFORMED"}, {"positiveInf", "nope"}), 0,
             "custom positiveInf");
  TAP_EQ_STR(res.data, "-Infinity\nNaN\nInfinity\n", "custom positiveInf: replaces Inf");
}

static void test_modes(void) {
  const char *p = WRITE("bad.csv", "a,b\n1,2\n3\n4,x\n5,6,7\n8,9\n");
  const char *ddl = "a INT, b INT, _corrupt_record STRING";
  TAP_EQ_INT(RUN(p, ddl, NULL, {"header", "true"}), 0, "PERMISSIVE: read");
  TAP_EQ_STR(res.data, "1|2|NULL\n3|NULL|3\n4|NULL|4,x\n5|6|5,6,7\n8|9|NULL\n",
             "PERMISSIVE: partial rows and raw lines in the corrupt column");
  TAP_EQ_INT(RUN(p, ddl, "b,a", {"header", "true"}, {"mode", "permissive"}), 0, "PERMISSIVE without corrupt column");
  TAP_EQ_STR(res.data, "2|1\nNULL|3\nNULL|4\n6|5\n9|8\n", "PERMISSIVE: projection reorders");
  TAP_EQ_INT(RUN(p, ddl, NULL, {"header", "true"}, {"columnNameOfCorruptRecord", "bad"}), 0,
             "renamed corrupt column");
  TAP_OK(strstr(res.data, "3|NULL|NULL\n") != NULL, "renamed corrupt column: _corrupt_record is then data");
  TAP_EQ_INT(RUN(p, "a INT, b INT, bad STRING", "bad", {"header", "true"}, {"columnNameOfCorruptRecord", "bad"}), 0,
             "columnNameOfCorruptRecord");
  /* "4,x" is well-formed as far as the projection goes: b is not converted */
  TAP_EQ_STR(res.data, "NULL\n3\nNULL\n5,6,7\nNULL\n", "columnNameOfCorruptRecord: raw lines");
  TAP_EQ_INT(RUN(p, ddl, NULL, {"header", "true"}, {"mode", "DROPMALFORMED"}), 0, "DROPMALFORMED: read");
  TAP_EQ_STR(res.data, "1|2|NULL\n8|9|NULL\n", "DROPMALFORMED: bad rows dropped");
  int rc = RUN(p, ddl, NULL, {"header", "true"}, {"mode", "FAILFAST"});
  TAP_EQ_INT(rc, ERR_PARSE, "FAILFAST: error");
  TAP_OK(strstr(e.msg, "bad.csv, line 3") && strstr(e.msg, "expected 2 fields, found 1") &&
             strstr(e.msg, "FAILFAST"),
         "FAILFAST: names file, line and reason (%s)", e.msg);
  p = WRITE("bad2.csv", "a,b\n1,2\n4,x\n");
  rc = RUN(p, "a INT, b INT", NULL, {"header", "true"}, {"mode", "FAILFAST"});
  TAP_OK(rc == ERR_PARSE && strstr(e.msg, "line 3") && strstr(e.msg, "cannot parse 'x' as INT for column b"),
         "FAILFAST: conversion failure reason");
  rc = RUN(p, "a INT, b INT", "a", {"header", "true"}, {"mode", "FAILFAST"});
  TAP_EQ_INT(rc, 0, "FAILFAST: unprojected bad field is not parsed");
  TAP_EQ_INT(RUN(p, "a INT", NULL, {"mode", "bogus"}), ERR_INVAL, "bad mode rejected");
  TAP_OK(strstr(e.msg, "mode") != NULL, "bad mode: message names the option");
  TAP_EQ_INT(RUN(p, "a INT", NULL, {"sep", "ab"}), ERR_UNSUPPORTED, "multi-char sep rejected");
  TAP_EQ_INT(RUN(p, "a INT", NULL, {"header", "maybe"}), ERR_INVAL, "bad boolean rejected");
}

static void test_infer(void) {
  const char *p = WRITE("inf1.csv",
                        "i,l,d,dt,ts,b,s,n,mix,dts,big\n"
                        "1,1,1,2020-01-01,2020-01-01 10:00:00,true,x,,1,2020-01-01,99999999999999999999\n"
                        "2,3000000000,2.5,2020-02-29,2020-01-01T10:00:00.5,FALSE,1,,true,2020-01-01 01:02:03,1\n"
                        ",,1e3,,2021-01-01,,,,,,\n");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}), 0, "inference: read");
  TAP_EQ_STR(sch.data,
             "i INT,l BIGINT,d DOUBLE,dt DATE,ts TIMESTAMP,b BOOLEAN,s STRING,n STRING,mix "
             "STRING,dts TIMESTAMP,big DOUBLE",
             "inference: INT, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN, STRING, null->STRING, "
             "mixed->STRING, DATE+TIMESTAMP->TIMESTAMP, huge int->DOUBLE");
  TAP_OK(strstr(res.data, "2|3000000000|2.5|2020-02-29|2020-01-01 10:00:00.5|false|1|NULL|true|2020-01-01 01:02:03|1.0\n") != NULL,
         "inference: values read with the inferred types");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}, {"prefersDate", "false"}), 0,
             "prefersDate=false: read");
  TAP_OK(strstr(sch.data, "dt TIMESTAMP") != NULL, "prefersDate=false: dates infer as TIMESTAMP");
  p = WRITE("inf2.csv", "a,a,,B,b\n1,2,3,4,5\n");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}), 0, "header names: read");
  TAP_EQ_STR(sch.data, "a0 INT,a1 INT,_c2 INT,B3 INT,b4 INT",
             "header names: duplicates get their index, empty names _c<i>");
  p = WRITE("inf3.csv", "d\n01/02/2020\n31/12/2020\n");
  TAP_EQ_INT(RUN(p, NULL, NULL, {"header", "true"}, {"inferSchema", "true"}, {"dateFormat", "dd/MM/yyyy"}), 0,
             "dateFormat inference");
  TAP_EQ_STR(sch.data, "d DATE", "dateFormat: custom dates infer as DATE");
  TAP_EQ_STR(res.data, "2020-02-01\n2020-12-31\n", "dateFormat: parsed with the pattern");
  p = WRITE("inf4.csv", "t\n2020/01/02 03:04\n");
  TAP_EQ_INT(RUN(p, "t TIMESTAMP", NULL, {"header", "true"}, {"timestampFormat", "yyyy/MM/dd HH:mm"}), 0,
             "timestampFormat");
  TAP_EQ_STR(res.data, "2020-01-02 03:04:00\n", "timestampFormat: parsed with the pattern");
  p = WRITE("inf5.csv", "d\n2020-1-2\n");
  TAP_EQ_INT(RUN(p, "d DATE", NULL, {"header", "true"}, {"mode", "FAILFAST"}), 0, "default date fallback");
  TAP_EQ_STR(res.data, "2020-01-02\n", "no dateFormat: lenient Spark date grammar as fallback");
  TAP_EQ_INT(RUN(p, "d DATE", NULL, {"header", "true"}, {"mode", "FAILFAST"}, {"dateFormat", "yyyy-MM-dd"}),
             ERR_PARSE, "explicit dateFormat is strict");
}

static void test_projection(void) {
  const char *p = WRITE("proj.csv", "a,b,c\n1,\"x,1\",3\n4,y,6\n");
  TAP_EQ_INT(RUN(p, "a INT, b STRING, c INT", "c,a,c", {"header", "true"}), 0, "projection: read");
  TAP_EQ_STR(res.data, "3|1|3\n6|4|6\n", "projection: subset, reordered, repeated");
  TAP_EQ_INT(RUN(p, "a INT, b INT, c INT", "a,c", {"header", "true"}, {"mode", "FAILFAST"}), 0,
             "projection: skipped columns are not converted");
  TAP_EQ_STR(res.data, "1|3\n4|6\n", "projection: values");
}

/* Deterministic generator of awkward CSV: quotes, escapes, CRLF, blank
 * lines, ragged rows, long fields. */
static size_t gen_csv(char *out, size_t cap, unsigned seed, int rows) {
  size_t n = 0;
  srand(seed);
  for (int r = 0; r < rows && n + 400 < cap; r++) {
    int kind = rand() % 20;
    if (kind == 0) {
      out[n++] = '\n';
      continue;
    }
    int nf = kind == 1 ? 2 : 4;
    for (int f = 0; f < nf; f++) {
      if (f) out[n++] = ',';
      int t = rand() % 6;
      if (t == 0) n += (size_t)sprintf(out + n, "%d", rand() % 100000);
      else if (t == 1) n += (size_t)sprintf(out + n, "\"q,%d\"\"x\\\"\"", rand() % 100);
      else if (t == 2) {
        int len = rand() % 150;
        for (int k = 0; k < len; k++) out[n++] = (char)('a' + rand() % 26);
      } else if (t == 3) n += (size_t)sprintf(out + n, "%d.%02d", rand() % 1000, rand() % 100);
    }
    if (rand() % 3 == 0) out[n++] = '\r';
    out[n++] = '\n';
  }
  return n;
}

static void test_splits(void) {
  static char data[200000];
  int mismatches = 0, checked = 0;
  for (unsigned seed = 1; seed <= 6; seed++) {
    size_t n = gen_csv(data, sizeof data, seed, 800);
    const char *p = write_file("split.csv", data, n);
    char *path = strdup(p);
    struct buf whole;
    buf_init(&whole, BUF_UNLIMITED);
    const char *ddl = "a STRING, b STRING, c STRING, d STRING, _corrupt_record STRING";
    int rc = run(path, KV({"header", seed % 2 ? "true" : "false"}), 1, ddl, NULL, 0, &whole, NULL, &e);
    if (rc) mismatches++;
    int64_t sizes[] = {1, 2, 3, 7, 64, 65, 100, 997, 4096, 10000, (int64_t)n / 2, (int64_t)n - 1};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
      if (sizes[k] < 1 || (sizes[k] == 1 && seed > 2)) continue;
      rc = run(path, KV({"header", seed % 2 ? "true" : "false"}), 1, ddl, NULL, sizes[k], &res, NULL, &e);
      checked++;
      if (rc || strcmp(res.data, whole.data) != 0) {
        if (mismatches++ < 3) printf("# split mismatch seed %u size %lld\n", seed, (long long)sizes[k]);
      }
    }
    buf_fini(&whole);
    free(path);
  }
  /* BOM and blank lines before the header, split inside them */
  const char *p = WRITE("bomsplit.csv", "\xEF\xBB\xBF\n\n h\n1\n2\n");
  char *path = strdup(p);
  for (int64_t sz = 1; sz <= 12; sz++) {
    int rc = run(path, KV({"header", "true"}), 1, "h INT", NULL, sz, &res, NULL, &e);
    checked++;
    if (rc || strcmp(res.data, "1\n2\n") != 0) mismatches++;
  }
  free(path);
  TAP_EQ_INT(mismatches, 0, "splits: every split size yields exactly the rows of the whole file");
  TAP_OK(checked >= 60, "splits: %d split plans checked", checked);
}

static void test_paths(void) {
  char d[600], f[700];
  snprintf(d, sizeof d, "%s/dir", tmpdir);
  mkdir(d, 0700);
  snprintf(f, sizeof f, "%s/sub", d);
  mkdir(f, 0700);
  write_file("dir/part-0.csv", "1\n", 2);
  write_file("dir/part-1.csv", "2\n3\n", 4);
  write_file("dir/_SUCCESS", "", 0);
  write_file("dir/.part-0.csv.crc", "junk", 4);
  write_file("dir/sub/part-2.csv", "4\n", 2);
  TAP_EQ_INT(RUN(d, "v INT", NULL), 0, "directory: read");
  TAP_EQ_STR(res.data, "1\n2\n3\n4\n", "directory: recursive, hidden files skipped, sorted");
  snprintf(f, sizeof f, "%s/dir/part-*.csv", tmpdir);
  TAP_EQ_INT(RUN(f, "v INT", NULL), 0, "glob: read");
  TAP_EQ_STR(res.data, "1\n2\n3\n", "glob: matches files");
  snprintf(f, sizeof f, "%s/nope*.csv", tmpdir);
  TAP_EQ_INT(RUN(f, "v INT", NULL), ERR_NOTFOUND, "glob without match: not found");
  TAP_OK(strstr(e.msg, "Path does not exist") != NULL, "not found message");
  struct path_list l;
  const char *one = d;
  path_expand(&one, 1, &l, &e);
  struct path_splits sp;
  path_plan_splits(&l, 3, 1, &sp);
  TAP_EQ_INT(sp.n, 4, "split planning: files cut at max_split (2+4+2 bytes by 3)");
  TAP_OK(sp.s[1].file == 1 && sp.s[1].start == 0 && sp.s[1].end == 3 && sp.s[2].start == 3 &&
             sp.s[2].end == 4,
         "split planning: ranges");
  TAP_EQ_INT(path_max_split_bytes(&l, 128 << 20, 4 << 20, 2), (8 + 3 * (4 << 20)) / 2,
             "maxSplitBytes: (total + files * openCost) / minPartitions");
  TAP_EQ_INT(path_max_split_bytes(&l, 1 << 20, 4 << 20, 2), 1 << 20,
             "maxSplitBytes: capped by maxPartitionBytes");
  path_splits_fini(&sp);
  path_list_fini(&l);
  int64_t sz;
  TAP_OK(readopt_parse_size("128m", &sz) == 0 && sz == 128 << 20 && readopt_parse_size("1x", &sz) != 0,
         "byte sizes");
}

static void test_bench(void) {
  const char *dir = getenv("KINDLING_BENCH_DATA");
  static const char *const tables[][2] = {
      {"region", "r_regionkey INT, r_name STRING, r_comment STRING"},
      {"nation", "n_nationkey INT, n_name STRING, n_regionkey INT, n_comment STRING"},
      {"supplier", "s_suppkey BIGINT, s_name STRING, s_address STRING, s_nationkey INT, s_phone STRING, s_acctbal DOUBLE, s_comment STRING"},
      {"customer", "c_custkey BIGINT, c_name STRING, c_address STRING, c_nationkey INT, c_phone STRING, c_acctbal DOUBLE, c_mktsegment STRING, c_comment STRING"},
      {"part", "p_partkey BIGINT, p_name STRING, p_mfgr STRING, p_brand STRING, p_type STRING, p_size INT, p_container STRING, p_retailprice DOUBLE, p_comment STRING"},
      {"partsupp", "ps_partkey BIGINT, ps_suppkey BIGINT, ps_availqty INT, ps_supplycost DOUBLE, ps_comment STRING"},
      {"orders", "o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus STRING, o_totalprice DOUBLE, o_orderdate DATE, o_orderpriority STRING, o_clerk STRING, o_shippriority INT, o_comment STRING"},
      {"lineitem", "l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT, l_linenumber INT, l_quantity DOUBLE, l_extendedprice DOUBLE, l_discount DOUBLE, l_tax DOUBLE, l_returnflag STRING, l_linestatus STRING, l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct STRING, l_shipmode STRING, l_comment STRING"}};
  for (size_t t = 0; t < 8; t++) {
    if (!dir) {
      printf("ok %d # SKIP bench table %s: set KINDLING_BENCH_DATA\n", ++tap_n, tables[t][0]);
      continue;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.csv", dir, tables[t][0]);
    FILE *fp = fopen(path, "r");
    long lines = 0;
    int c, nonnull = 1;
    while (fp && (c = fgetc(fp)) != EOF) lines += c == '\n';
    if (fp) fclose(fp);
    /* FAILFAST: any malformed record fails the read */
    int rc = run(path, KV({"header", "true"}, {"mode", "FAILFAST"}), 2, tables[t][1], NULL, 1 << 20, &res, NULL, &e);
    long rows = 0;
    for (const char *q = res.data; q && *q; q++) rows += *q == '\n';
    if (res.data && strstr(res.data, "NULL")) nonnull = 0;
    TAP_OK(rc == 0 && rows == lines - 1 && lines > 1 && nonnull, "bench table %s: %ld rows, typed, no NULLs (%s)",
           tables[t][0], rows, rc ? e.msg : "ok");
  }
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "%s/kindling-csv-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  buf_init(&res, BUF_UNLIMITED);
  buf_init(&sch, BUF_UNLIMITED);
  test_basic();
  test_quotes();
  test_lines();
  test_nulls();
  test_modes();
  test_infer();
  test_projection();
  test_splits();
  test_paths();
  test_bench();
  buf_fini(&res);
  buf_fini(&sch);
  if (fs_rmtree(tmpdir) != 0) printf("# could not remove %s\n", tmpdir);
  return tap_done();
}
