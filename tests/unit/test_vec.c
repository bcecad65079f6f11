/* test_vec.c: unit tests of the columnar core -- arena, bitmaps, number and
 * datetime parsing, value formatting, batches and schemas. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vec/arena.h"
#include "engine/vec/batch.h"
#include "engine/vec/bitmap.h"
#include "engine/vec/datetime.h"
#include "engine/vec/numparse.h"
#include "engine/vec/schema.h"
#include "engine/vec/vector.h"
#include "tests/tap.h"

static struct buf out;

static const char *fmt_double(double x) {
  buf_reset(&out);
  vector_format_double(x, &out);
  return out.data;
}

static const char *fmt_dec(int64_t v, int s) {
  buf_reset(&out);
  vector_format_decimal(v, s, &out);
  return out.data;
}

/* Significant digits of a formatted double ("1.2345E-4" -> "12345"). */
static void sig_digits(const char *s, char *d) {
  int n = 0;
  for (; *s && *s != 'E'; s++)
    if (*s >= '0' && *s <= '9' && (n || *s != '0')) d[n++] = *s;
  while (n > 1 && d[n - 1] == '0') n--;
  d[n] = '\0';
}

/* The reference: the fewest digits printf can give that read back as x. */
static void shortest_ref(double x, char *d) {
  char tmp[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
    if (strtod(tmp, NULL) == x) break;
  }
  *strchr(tmp, 'e') = '\0';
  sig_digits(tmp, d);
}

/* Every formatted double reads back as itself with the fewest digits, on
 * the decimal-looking values tables are full of and on random bit patterns. */
static void test_format_double_shortest(void) {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  int bad_back = 0, bad_digits = 0, n = 0;
  for (int i = 0; i < 300000; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    double x;
    switch (i % 5) {
      case 0: x = (double)(seed % 100000000) / 4; break;
      case 1: x = (double)(seed % 10000000000ull) / pow(10, (double)(seed % 16)); break;
      case 2: { uint64_t b = seed; memcpy(&x, &b, sizeof x); break; }
      case 3: x = 9007199254740992.0 - (double)(seed % 4096) / (double)(1 + seed % 7); break;
      default: x = (double)(seed % 1000000) * 1e-3 + 1e-9 * (double)(seed % 3); break;
    }
    if (!isfinite(x) || x == 0) continue;
    x = fabs(x);
    n++;
    const char *s = fmt_double(x);
    char *end;
    double back = strtod(s, &end);
    if (back != x || *end) bad_back++;
    char got[32], want[32];
    sig_digits(s, got);
    shortest_ref(x, want);
    if (strcmp(got, want) != 0 && bad_digits++ < 3)
      printf("# x=%.17g formatted %s, shortest digits %s\n", x, s, want);
  }
  TAP_OK(n > 200000, "double formatting: %d values tried", n);
  TAP_EQ_INT(bad_back, 0, "double formatting reads back exactly");
  TAP_EQ_INT(bad_digits, 0, "double formatting gives the shortest digits");
}

static void test_arena(void) {
  struct arena a;
  arena_init(&a, 1 << 20);
  char *p = arena_alloc(&a, 3);
  char *q = arena_alloc(&a, 10);
  TAP_OK(p && q && ((uintptr_t)q % 8) == 0 && q >= p + 3, "arena: aligned, distinct allocations");
  char *big = arena_alloc(&a, 200000);
  TAP_OK(big != NULL, "arena: allocation larger than a chunk");
  memset(big, 1, 200000);
  TAP_OK(arena_alloc(&a, 2 << 20) == NULL, "arena: cap enforced");
  char *s = arena_strndup(&a, "hello world", 5);
  TAP_EQ_STR(s, "hello", "arena: strndup");
  arena_reset(&a);
  TAP_EQ_INT(a.used, 0, "arena: reset forgets allocations");
  TAP_OK(arena_alloc(&a, 100) != NULL, "arena: usable after reset");
  arena_fini(&a);
}

static void test_bitmap(void) {
  uint64_t bm[4];
  bitmap_clear_all(bm, 256);
  bitmap_set_range(bm, 3, 130);
  TAP_EQ_INT(bitmap_count(bm, 256), 127, "bitmap: set_range count");
  TAP_OK(!bitmap_get(bm, 2) && bitmap_get(bm, 3) && bitmap_get(bm, 129) && !bitmap_get(bm, 130),
         "bitmap: range edges");
  bitmap_clear(bm, 64);
  TAP_EQ_INT(bitmap_count(bm, 100), 96, "bitmap: count over a prefix");
  bitmap_put(bm, 64, 1);
  TAP_OK(bitmap_all_set(bm + 0, 3) == 0 && bitmap_get(bm, 64), "bitmap: put / all_set");
  bitmap_clear_all(bm, 256);
  bitmap_set_range(bm, 0, 64);
  TAP_OK(bm[0] == ~(uint64_t)0 && bm[1] == 0, "bitmap: whole word range");
}

static void test_numparse(void) {
  int64_t v;
  int32_t i;
  TAP_OK(numparse_i64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX, "i64: max");
  TAP_OK(numparse_i64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN, "i64: min");
  TAP_OK(numparse_i64("9223372036854775808", 19, &v) != 0, "i64: overflow rejected");
  TAP_OK(numparse_i64("+42", 3, &v) == 0 && v == 42, "i64: plus sign");
  TAP_OK(numparse_i64(" 1", 2, &v) != 0 && numparse_i64("1.0", 3, &v) != 0 &&
             numparse_i64("", 0, &v) != 0 && numparse_i64("-", 1, &v) != 0,
         "i64: junk rejected");
  TAP_OK(numparse_i32("2147483648", 10, &i) != 0 && numparse_i32("-2147483648", 11, &i) == 0 &&
             i == INT32_MIN,
         "i32: range");
  double d;
  TAP_OK(numparse_double("26685.50", 8, &d) == 0 && d == 26685.50, "double: simple");
  TAP_OK(numparse_double(" 1e10 ", 6, &d) == 0 && d == 1e10, "double: exponent, JVM whitespace");
  TAP_OK(numparse_double("1.5d", 4, &d) == 0 && d == 1.5, "double: type suffix");
  TAP_OK(numparse_double("NaN", 3, &d) == 0 && isnan(d), "double: NaN");
  TAP_OK(numparse_double("-Infinity", 9, &d) == 0 && isinf(d) && d < 0, "double: -Infinity");
  TAP_OK(numparse_double("inf", 3, &d) != 0 && numparse_double("0x1p3", 5, &d) != 0 &&
             numparse_double("1e", 2, &d) != 0 && numparse_double(".", 1, &d) != 0,
         "double: forms the JVM rejects");
  TAP_OK(numparse_double(".5", 2, &d) == 0 && d == 0.5 && numparse_double("5.", 2, &d) == 0 &&
             d == 5.0,
         "double: .5 and 5.");
  /* round-trip against strtod over many random values and digit counts */
  srand(7);
  int bad = 0;
  char txt[64];
  for (int k = 0; k < 200000; k++) {
    double x;
    switch (k % 4) {
      case 0: x = (double)rand() / RAND_MAX * pow(10, rand() % 40 - 20); break;
      case 1: x = (double)(rand() % 100000000) / 100.0; break;
      case 2: {
        uint64_t bits = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
        memcpy(&x, &bits, 8);
        if (!isfinite(x)) x = 1.0;
        break;
      }
      default: x = (double)(rand() % 1000) * pow(10, rand() % 10 - 5); break;
    }
    int n = snprintf(txt, sizeof txt, "%.*g", 1 + k % 17, x);
    double want = strtod(txt, NULL), got;
    if (numparse_double(txt, (size_t)n, &got) != 0 || memcmp(&got, &want, 8) != 0) {
      if (bad++ < 3) printf("# mismatch on %s\n", txt);
    }
  }
  TAP_EQ_INT(bad, 0, "double: bit-identical to strtod on 200000 random inputs");
  TAP_OK(numparse_decimal("123.456", 7, 10, 2, &v) == 0 && v == 12346, "decimal: half-up rounding");
  TAP_OK(numparse_decimal("-0.005", 6, 5, 2, &v) == 0 && v == -1, "decimal: negative half-up");
  TAP_OK(numparse_decimal("1.2e2", 5, 10, 2, &v) == 0 && v == 12000, "decimal: exponent");
  TAP_OK(numparse_decimal("5e-3", 4, 5, 0, &v) == 0 && v == 0, "decimal: tiny rounds to zero");
  TAP_OK(numparse_decimal("99999.995", 9, 7, 2, &v) != 0, "decimal: rounding overflow");
  TAP_OK(numparse_decimal("1000", 4, 3, 0, &v) != 0, "decimal: precision overflow");
  TAP_OK(numparse_decimal("abc", 3, 5, 2, &v) != 0 && numparse_decimal(".", 1, 5, 2, &v) != 0,
         "decimal: junk rejected");
  int b;
  TAP_OK(numparse_bool("TRUE", 4, &b) == 0 && b == 1 && numparse_bool("False", 5, &b) == 0 &&
             b == 0 && numparse_bool("yes", 3, &b) != 0,
         "bool: case-insensitive true/false only");
}

static void test_datetime(void) {
  int bad = 0;
  for (int64_t dd = -800000; dd <= 800000; dd += 7) {
    int64_t y;
    int m, d;
    datetime_civil_from_days(dd, &y, &m, &d);
    if (datetime_days_from_civil(y, m, d) != dd || m < 1 || m > 12 || d < 1 ||
        d > datetime_days_in_month(y, m))
      bad++;
  }
  TAP_EQ_INT(bad, 0, "civil <-> days round trip over +-2000 years");
  int32_t days;
  TAP_OK(datetime_parse_date_iso("1970-01-01", 10, &days) == 0 && days == 0, "iso date epoch");
  TAP_OK(datetime_parse_date_iso("2000-02-29", 10, &days) == 0 && days == 11016, "iso leap day");
  TAP_OK(datetime_parse_date_iso("1900-02-29", 10, &days) != 0 &&
             datetime_parse_date_iso("2020-13-01", 10, &days) != 0 &&
             datetime_parse_date_iso("2020-1-01", 9, &days) != 0,
         "iso date rejects invalid dates");
  TAP_OK(datetime_parse_date("2020-1-5", 8, &days) == 0 &&
             days == datetime_days_from_civil(2020, 1, 5),
         "lenient date: one-digit month/day");
  TAP_OK(datetime_parse_date("2020-01-05 10:11:12", 19, &days) == 0 &&
             days == datetime_days_from_civil(2020, 1, 5),
         "lenient date: time part ignored");
  TAP_OK(datetime_parse_date("2020", 4, &days) == 0 && days == datetime_days_from_civil(2020, 1, 1),
         "lenient date: year only");
  TAP_OK(datetime_parse_date("20-01-01", 8, &days) != 0, "lenient date: short year rejected");
  int64_t us;
  TAP_OK(datetime_parse_timestamp("1970-01-01 00:00:01.5", 21, &us) == 0 && us == 1500000,
         "timestamp: fraction");
  TAP_OK(datetime_parse_timestamp("1970-01-01T01:00:00+01:00", 25, &us) == 0 && us == 0,
         "timestamp: T and offset");
  TAP_OK(datetime_parse_timestamp("1970-01-02Z", 11, &us) != 0 ||
             us == DATETIME_US_PER_DAY,
         "timestamp: date with zone");
  TAP_OK(datetime_parse_timestamp("2021-03-04 25:00:00", 19, &us) != 0, "timestamp: bad hour");
  char txt[48];
  datetime_format_date((int32_t)datetime_days_from_civil(1998, 12, 1), txt);
  TAP_EQ_STR(txt, "1998-12-01", "format date");
  datetime_format_timestamp(1500000, txt);
  TAP_EQ_STR(txt, "1970-01-01 00:00:01.5", "format timestamp, trailing zeros dropped");
  datetime_format_timestamp(-1, txt);
  TAP_EQ_STR(txt, "1969-12-31 23:59:59.999999", "format negative timestamp");
  TAP_EQ_INT(datetime_add_months((int32_t)datetime_days_from_civil(2020, 1, 31), 1),
             datetime_days_from_civil(2020, 2, 29), "add_months clamps to month end");
  TAP_EQ_INT(datetime_add_months((int32_t)datetime_days_from_civil(2020, 3, 15), -15),
             datetime_days_from_civil(2018, 12, 15), "add_months backwards across years");
  struct datetime_fmt f;
  struct err e;
  TAP_OK(datetime_fmt_compile(&f, "dd/MM/yyyy", &e) == 0 &&
             datetime_fmt_parse_date(&f, "05/01/2020", 10, &days) == 0 &&
             days == datetime_days_from_civil(2020, 1, 5),
         "pattern dd/MM/yyyy");
  TAP_OK(datetime_fmt_compile(&f, "yyyy-MM-dd'T'HH:mm:ss[.SSS]", &e) == 0 &&
             datetime_fmt_parse_timestamp(&f, "1970-01-01T00:00:02", 19, &us) == 0 && us == 2000000 &&
             datetime_fmt_parse_timestamp(&f, "1970-01-01T00:00:02.25", 22, &us) == 0 &&
             us == 2250000,
         "pattern with quoted T and optional fraction");
  TAP_OK(datetime_fmt_compile(&f, "yyyyMMdd", &e) == 0 &&
             datetime_fmt_parse_date(&f, "20200105", 8, &days) == 0 &&
             days == datetime_days_from_civil(2020, 1, 5),
         "pattern with adjacent numeric fields");
  TAP_OK(datetime_fmt_compile(&f, "dd MMM yyyy hh:mm a", &e) == 0 &&
             datetime_fmt_parse_timestamp(&f, "05 Jan 2020 01:30 PM", 20, &us) == 0 &&
             us == (datetime_days_from_civil(2020, 1, 5) * 86400 + 13 * 3600 + 1800) * 1000000LL,
         "pattern with month name and AM/PM");
  TAP_OK(datetime_fmt_compile(&f, "yyyy-MM-dd", &e) == 0 &&
             datetime_fmt_parse_date(&f, "2020-01-05x", 11, &days) != 0,
         "pattern rejects trailing text");
  TAP_OK(datetime_fmt_compile(&f, "yyyy-qq-bb", &e) == ERR_UNSUPPORTED && strstr(e.msg, "'b'"),
         "unsupported pattern letter named");
  TAP_OK(datetime_fmt_compile(&f, "yyyy-DDD", &e) == 0 &&
             datetime_fmt_compile_parser(&f, "yyyy-DDD", &e) == ERR_UNSUPPORTED &&
             strstr(e.msg, "'D'") && datetime_fmt_compile_parser(&f, "yyyy-MM-dd 'Day'", &e) == 0,
         "a formatting-only letter is refused for parsing, but not inside quotes");
  buf_reset(&out);
  datetime_fmt_compile(&f, "EEE, dd MMMM yyyy HH:mm:ss.SSS", &e);
  datetime_fmt_format(&f, (datetime_days_from_civil(2024, 2, 29) * 86400 + 3723) * 1000000LL + 45000,
                      &out);
  TAP_EQ_STR(out.data, "Thu, 29 February 2024 01:02:03.045", "pattern formatting");
}

static void test_format(void) {
  TAP_EQ_STR(fmt_double(1.0), "1.0", "double 1.0");
  TAP_EQ_STR(fmt_double(1e10), "1.0E10", "double 1.0E10");
  TAP_EQ_STR(fmt_double(1234567.0), "1234567.0", "double below 1e7 plain");
  TAP_EQ_STR(fmt_double(12345678.9), "1.23456789E7", "double at 1e7 scientific");
  TAP_EQ_STR(fmt_double(0.001), "0.001", "double 0.001 plain");
  TAP_EQ_STR(fmt_double(0.0001234), "1.234E-4", "double below 1e-3 scientific");
  TAP_EQ_STR(fmt_double(0.1 + 0.2), "0.30000000000000004", "double shortest round-trip digits");
  TAP_EQ_STR(fmt_double(-0.0), "-0.0", "double negative zero");
  TAP_EQ_STR(fmt_double(NAN), "NaN", "double NaN");
  TAP_EQ_STR(fmt_double(-INFINITY), "-Infinity", "double -Infinity");
  TAP_EQ_STR(fmt_double(26685.5), "26685.5", "double money");
  TAP_EQ_STR(fmt_dec(12345, 2), "123.45", "decimal scale 2");
  TAP_EQ_STR(fmt_dec(-5, 3), "-0.005", "decimal small negative");
  TAP_EQ_STR(fmt_dec(7, 0), "7", "decimal scale 0");
  TAP_EQ_STR(fmt_dec(100, 2), "1.00", "decimal keeps trailing zeros");

  struct arena heap;
  arena_init(&heap, ARENA_UNLIMITED);
  struct vector v;
  struct type ts = {TYPE_STRING, 0, 0};
  TAP_EQ_INT(vector_init(&v, ts, 4, &heap), 0, "vector init");
  vector_append_str(&v, "hello", 5);
  vector_append_null(&v);
  vector_append_str(&v, "", 0);
  TAP_EQ_INT(vector_append_i64(&v, 1), ERR_INVAL, "append of the wrong type refused");
  vector_append_str(&v, "x", 1);
  TAP_EQ_INT(vector_append_str(&v, "y", 1), ERR_TOOBIG, "append past capacity refused");
  buf_reset(&out);
  for (uint32_t i = 0; i < v.count; i++) {
    vector_to_text(&v, i, &out);
    buf_putc(&out, '|');
  }
  TAP_EQ_STR(out.data, "hello|NULL||x|", "string vector text");
  TAP_OK(memcmp(vector_sv(&v)[0].prefix, "hell", 4) == 0 && vector_sv(&v)[3].prefix[1] == 0,
         "string view prefixes");
  vector_fini(&v);

  struct type types[5] = {{TYPE_BOOLEAN, 0, 0}, {TYPE_DATE, 0, 0}, {TYPE_TIMESTAMP, 0, 0},
                          {TYPE_DECIMAL, 10, 2}, {TYPE_INT, 0, 0}};
  struct batch *b = batch_new(types, 5, 8, ARENA_UNLIMITED);
  TAP_OK(b != NULL, "batch_new");
  for (int r = 0; r < 3; r++) {
    vector_append_bool(&b->cols[0], r & 1);
    vector_append_i32(&b->cols[1], 10957 + r);
    vector_append_i64(&b->cols[2], (int64_t)r * 3600000000LL + 123000);
    vector_append_i64(&b->cols[3], -150 + r);
    if (r == 1) vector_append_null(&b->cols[4]);
    else vector_append_i32(&b->cols[4], -r);
  }
  batch_set_rows(b, 3);
  buf_reset(&out);
  for (uint32_t r = 0; r < b->nrows; r++)
    for (int c = 0; c < 5; c++) {
      vector_to_text(&b->cols[c], r, &out);
      buf_putc(&out, c == 4 ? '\n' : '|');
    }
  TAP_EQ_STR(out.data,
             "false|2000-01-01|1970-01-01 00:00:00.123|-1.50|0\n"
             "true|2000-01-02|1970-01-01 01:00:00.123|-1.49|NULL\n"
             "false|2000-01-03|1970-01-01 02:00:00.123|-1.48|-2\n",
             "batch rows formatted Spark-style");
  uint64_t keep = 5; /* rows 0 and 2 */
  batch_compact(b, &keep);
  buf_reset(&out);
  for (uint32_t r = 0; r < b->nrows; r++) vector_to_text(&b->cols[1], r, &out);
  TAP_OK(b->nrows == 2 && strcmp(out.data, "2000-01-012000-01-03") == 0 && b->cols[4].count == 2 &&
             !vector_is_null(&b->cols[4], 1),
         "batch_compact keeps selected rows and validity");
  batch_free(b);
  arena_fini(&heap);
}

static void test_schema(void) {
  struct schema s;
  struct err e;
  TAP_EQ_INT(schema_parse_ddl("a INT, `b c` DECIMAL(10, 2) NOT NULL, d string, e Timestamp, "
                              "f bigint, g double, h boolean, i date",
                              &s, &e),
             0, "parse DDL");
  buf_reset(&out);
  schema_to_ddl(&s, &out);
  TAP_EQ_STR(out.data,
             "a INT,`b c` DECIMAL(10,2) NOT NULL,d STRING,e TIMESTAMP,f BIGINT,g DOUBLE,h "
             "BOOLEAN,i DATE",
             "schema_to_ddl");
  buf_reset(&out);
  schema_to_json(&s, &out);
  TAP_EQ_STR(out.data,
             "{\"type\":\"struct\",\"fields\":["
             "{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"b c\",\"type\":\"decimal(10,2)\",\"nullable\":false,\"metadata\":{}},"
             "{\"name\":\"d\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"e\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"f\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"g\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"h\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"i\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}}]}",
             "schema_to_json");
  TAP_EQ_INT(schema_find(&s, "B C"), 1, "schema_find is case-insensitive");
  struct schema c;
  TAP_EQ_INT(schema_copy(&c, &s), 0, "schema_copy");
  TAP_EQ_INT(c.ncols, 8, "copy has all columns");
  schema_fini(&c);
  schema_fini(&s);
  TAP_EQ_INT(schema_parse_ddl("a INT, b BLOB", &s, &e), ERR_PARSE, "unknown type rejected");
  TAP_OK(e.column == 10 && strstr(e.msg, "unknown"), "error points at the type");
  TAP_EQ_INT(schema_parse_ddl("a DECIMAL(20,2)", &s, &e), ERR_PARSE, "decimal precision > 18 rejected");
  TAP_EQ_INT(schema_parse_ddl("a INT b INT", &s, &e), ERR_PARSE, "missing comma rejected");
  const char *path[2] = {"a", "b.c"};
  schema_init(&s);
  schema_add_path(&s, path, 2, (struct type){TYPE_BIGINT, 0, 0}, 1);
  TAP_OK(strcmp(s.cols[0].name, "a.b.c") == 0 && s.cols[0].npath == 2 &&
             strcmp(s.cols[0].path[1], "b.c") == 0,
         "nested column keeps its path");
  buf_reset(&out);
  schema_to_ddl(&s, &out);
  TAP_EQ_STR(out.data, "`a.b.c` BIGINT", "dotted name quoted in DDL");
  schema_fini(&s);
  struct type t;
  TAP_OK(schema_parse_type("decimal(12, 3)", &t, &e) == 0 && t.id == TYPE_DECIMAL &&
             t.precision == 12 && t.scale == 3,
         "schema_parse_type");
}

int main(void) {
  buf_init(&out, BUF_UNLIMITED);
  test_arena();
  test_bitmap();
  test_numparse();
  test_datetime();
  test_format();
  test_format_double_shortest();
  test_schema();
  buf_fini(&out);
  return tap_done();
}
