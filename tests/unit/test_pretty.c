/* test_pretty.c: %%pretty's show() table recognition (kernel/pretty.c), and
 * a replay of tricky inputs through its fuzz target. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/pretty.h"
#include "tests/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *cellv(const struct pretty_part *p, size_t r, size_t c) {
  return json_string_value(json_array_get(json_array_get(p->rows, r), c));
}

static void test_basic(void) {
  const char *out =
      "before\n"
      "+---+-----+\n"
      "|  a|    b|\n"
      "+---+-----+\n"
      "|  1|hello|\n"
      "|  2| null|\n"
      "+---+-----+\n"
      "only showing top 2 rows\n";
  struct pretty_part *p;
  size_t n;
  TAP_EQ_INT(pretty_split(out, &p, &n), 0, "basic: splits");
  TAP_EQ_INT(n, 3, "basic: text, table, text");
  TAP_EQ_STR(p[0].text, "before\n", "basic: leading text kept");
  TAP_OK(p[1].is_table, "basic: second part is a table");
  TAP_EQ_INT(json_array_size(p[1].columns), 2, "basic: two columns");
  TAP_EQ_STR(json_string_value(json_array_get(p[1].columns, 1)), "b", "basic: header trimmed");
  TAP_EQ_INT(json_array_size(p[1].rows), 2, "basic: two rows");
  TAP_EQ_STR(cellv(&p[1], 0, 1), "hello", "basic: cell");
  TAP_EQ_STR(cellv(&p[1], 1, 1), "null", "basic: null kept as shown");
  TAP_EQ_STR(p[2].text, "only showing top 2 rows\n", "basic: trailing text kept");
  pretty_free(p, n);
}

static void test_left_aligned_and_pipes(void) {
  /* show(truncate=False) left-aligns; a value may hold '|'. */
  const char *out =
      "+----+-----------+\n"
      "|id  |path       |\n"
      "+----+-----------+\n"
      "|7   |a|b|c      |\n"
      "+----+-----------+\n";
  struct pretty_part *p;
  size_t n;
  TAP_EQ_INT(pretty_split(out, &p, &n), 0, "pipes: splits");
  TAP_OK(n == 1 && p[0].is_table, "pipes: one table");
  TAP_EQ_STR(cellv(&p[0], 0, 1), "a|b|c", "pipes: value with | split by the border");
  TAP_EQ_STR(cellv(&p[0], 0, 0), "7", "pipes: left-aligned cell trimmed");
  pretty_free(p, n);
}

static void test_wide_and_utf8(void) {
  /* Wide characters are padded by display width: fewer code points than the
   * border, split by '|' instead. Accents are one code point, two bytes. */
  const char *out =
      "+----+-----+\n"
      "|name|  n  |\n"
      "+----+-----+\n"
      "|中文|    1|\n"
      "|café|    2|\n"
      "+----+-----+\n";
  struct pretty_part *p;
  size_t n;
  TAP_EQ_INT(pretty_split(out, &p, &n), 0, "utf8: splits");
  TAP_OK(n == 1 && p[0].is_table, "utf8: one table");
  TAP_EQ_STR(cellv(&p[0], 0, 0), "中文", "utf8: wide value");
  TAP_EQ_STR(cellv(&p[0], 1, 0), "café", "utf8: accented value");
  pretty_free(p, n);
}

static void test_not_tables(void) {
  static const char *const cases[] = {
      /* cut off before the closing border */
      "+---+\n|  a|\n+---+\n|  1|\n",
      /* header separators not under the border's '+' and wrong count */
      "+---+---+\n|a|b|c|d |\n+---+---+\n+---+---+\n",
      /* vertical show() */
      "-RECORD 0---\n a   | 1   \n",
      /* second border differs */
      "+---+\n|  a|\n+----+\n|  1|\n+---+\n",
      "++\n||\n++\n++\n",
      "+\n",
      "",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct pretty_part *p;
    size_t n;
    int rc = pretty_split(cases[i], &p, &n);
    int texts = 1;
    size_t total = 0;
    for (size_t j = 0; j < n; j++) {
      texts &= !p[j].is_table;
      if (p[j].text) total += strlen(p[j].text);
    }
    TAP_OK(rc == 0 && texts && total == strlen(cases[i]), "not a table %zu: kept as text", i);
    pretty_free(p, n);
  }
}

static void test_two_tables_crlf(void) {
  const char *out =
      "+---+\r\n|  x|\r\n+---+\r\n+---+\r\n"
      "mid\n"
      "+--+--+\n|a |b |\n+--+--+\n|1 |2 |\n|3 |4 |\n+--+--+";
  struct pretty_part *p;
  size_t n;
  TAP_EQ_INT(pretty_split(out, &p, &n), 0, "two: splits");
  TAP_EQ_INT(n, 3, "two: table, text, table");
  TAP_OK(n == 3 && p[0].is_table && json_array_size(p[0].rows) == 0, "two: empty result table");
  TAP_OK(n == 3 && !p[1].is_table && strcmp(p[1].text, "mid\n") == 0, "two: text between");
  TAP_OK(n == 3 && p[2].is_table && json_array_size(p[2].rows) == 2,
         "two: table without a final newline");
  pretty_free(p, n);
}

static void replay(void) {
  static const char *const inputs[] = {
      "+", "+-", "+-+", "+-+\n", "+-+\n|", "+-+\n||\n+-+\n+-+", "+-+\n|\xff|\n+-+\n+-+\n",
      "+-+\n|\xe4\xb8|\n+-+\n|\xe4|\n+-+\n", "\n\n\n+---+\n\n", "|||\n+|+\n",
  };
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
    LLVMFuzzerTestOneInput((const uint8_t *)inputs[i], strlen(inputs[i]));
  /* the column cap: a border of PRETTY_MAX_COLS + 1 columns is text */
  size_t len = 2 * (PRETTY_MAX_COLS + 1) + 2;
  char *wide = malloc(len);
  for (size_t i = 0; i + 1 < len; i++) wide[i] = i % 2 ? '-' : '+';
  wide[len - 1] = 0;
  struct pretty_part *p;
  size_t n;
  TAP_OK(pretty_split(wide, &p, &n) == 0 && n == 1 && !p[0].is_table, "too many columns: text");
  pretty_free(p, n);
  free(wide);
  TAP_OK(1, "replayed %zu tricky inputs through the fuzz target", sizeof inputs / sizeof *inputs);
}

int main(int argc, char **argv) {
  test_basic();
  test_left_aligned_and_pipes();
  test_wide_and_utf8();
  test_not_tables();
  test_two_tables_crlf();
  replay();
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
  }
  return tap_done();
}
