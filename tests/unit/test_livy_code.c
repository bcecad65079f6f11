/* test_livy_code.c: the code Kindling generates for Livy sessions
 * (livy_sql_code, livy_send_code) in PySpark, Scala and SparkR:
 * identifiers and literals survive any text, Scala string constants stay
 * under the JVM's 64 KiB limit, and the R code carries -n/-m/-r and the
 * schema. (The test Livy server runs this code in tests/integration.) */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/session.h"
#include "livy/livy_session.h"
#include "tests/tap.h"

/* Every "..." literal of code, decoded with a JSON parser (the generator
 * writes JSON string literals), concatenated in order. */
static char *literals(const char *code, const char *after, size_t *nlit, size_t *longest) {
  const char *p = strstr(code, after);
  size_t cap = strlen(code) + 1, len = 0;
  char *out = calloc(1, cap);
  *nlit = *longest = 0;
  while (p && (p = strchr(p, '"')) != NULL) {
    const char *q = p + 1;
    while (*q && *q != '"') q += *q == '\\' ? 2 : 1;
    if (!*q) break;
    json_t *s = json_loadb(p, (size_t)(q - p + 1), JSON_DECODE_ANY, NULL);
    if (!json_is_string(s)) break;
    size_t n = json_string_length(s);
    memcpy(out + len, json_string_value(s), n);
    len += n;
    if ((size_t)(q - p + 1) > *longest) *longest = (size_t)(q - p + 1);
    (*nlit)++;
    json_decref(s);
    p = q + 1;
    if (strncmp(p, ",\n", 2) != 0) break; /* the Seq(...) ends */
  }
  return out;
}

static void test_scala_chunks(void) {
  json_t *schema = json_loads(
      "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"integer\"},"
      "{\"name\":\"text\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"decimal(12,2)\"}]}",
      0, NULL);
  json_t *rows = json_array();
  /* 3,000 rows with quotes, backslashes, newlines and multi-byte text:
   * about 200 KB of JSON, so several literals. */
  for (int i = 0; i < 3000; i++)
    json_array_append_new(rows, json_pack("[i, s, f]", i, "a \"q\" \\ é中\n tail", i * 1.5));
  char *code = livy_send_code(SESSION_SPARK, "df", schema, rows, -1, NULL);
  TAP_OK(code != NULL, "scala: code generated");
  size_t n, longest;
  char *joined = literals(code, "Seq(", &n, &longest);
  TAP_OK(n > 5, "scala: the JSON is split into %zu literals", n);
  TAP_OK(longest < 40000, "scala: the longest literal (%zu bytes) stays under 64 KiB in modified UTF-8", longest);
  json_t *recs = json_loads(joined, 0, NULL);
  TAP_EQ_INT(json_array_size(recs), 3000, "scala: the pieces join into the whole JSON array");
  TAP_EQ_STR(json_string_value(json_object_get(json_array_get(recs, 7), "text")),
             "a \"q\" \\ é中\n tail", "scala: text survives escaping and splitting");
  TAP_OK(strstr(code, "spark.read.schema(\"`id` INT, `text` STRING, `amount` DECIMAL(12,2)\")") != NULL,
         "scala: the DDL schema keeps the types");
  json_decref(recs);
  free(joined);
  free(code);
  /* -m: only maxrows rows */
  code = livy_send_code(SESSION_PYSPARK, "df", schema, rows, 2, NULL);
  joined = literals(code, "__kd_json.loads(", &n, &longest);
  recs = json_loads(joined, 0, NULL);
  TAP_EQ_INT(json_array_size(recs), 2, "python: -m 2 sends two rows");
  TAP_OK(strstr(code, "schema=\"`id` INT, `text` STRING, `amount` DECIMAL(12,2)\"") != NULL,
         "python: the DDL schema keeps the types");
  json_decref(recs);
  free(joined);
  free(code);
  json_decref(rows);
  json_decref(schema);
}

static void test_str_and_df_var(void) {
  char *code = livy_send_code(SESSION_PYSPARK, "v", NULL, NULL, 0, "it's \"x\"\n\\");
  TAP_EQ_STR(code, "v = \"it's \\\"x\\\"\\n\\\\\"\n", "python: a str is a string literal");
  free(code);
  code = livy_send_code(SESSION_SPARK, "v", NULL, NULL, 0, "x");
  TAP_EQ_STR(code, "var v = \"x\"\n", "scala: a str is a var, as sparkmagic does");
  free(code);
  struct session_sql_opts o = {10, SESSION_SAMPLE_TAKE, 0.1, 1};
  code = livy_sql_code(SESSION_PYSPARK, "my_df", &o);
  TAP_OK(code && strstr(code, "__kd_df = my_df\n") && !strstr(code, "spark.sql"),
         "python: -o fetches the DataFrame variable itself");
  free(code);
  code = livy_sql_code(SESSION_SPARK, "my_df", &o);
  TAP_OK(code && strstr(code, "val kdDf = my_df\n") && !strstr(code, "spark.sql"),
         "scala: -o fetches the DataFrame variable itself");
  free(code);
  json_t *empty = json_loads("{\"type\":\"struct\",\"fields\":[]}", 0, NULL);
  TAP_OK(livy_send_code(SESSION_PYSPARK, "e", empty, empty, 5, NULL) == NULL,
         "a table without columns cannot be sent");
  json_decref(empty);
}

/* The first "..." literal after marker, decoded (the generator writes JSON
 * string literals, which R reads the same way). New string or NULL. */
static char *literal_after(const char *code, const char *marker) {
  const char *p = strstr(code, marker);
  if (!p || !(p = strchr(p + strlen(marker) - 1, '"'))) return NULL;
  const char *q = p + 1;
  while (*q && *q != '"') q += *q == '\\' ? 2 : 1;
  if (!*q) return NULL;
  json_t *s = json_loadb(p, (size_t)(q - p + 1), JSON_DECODE_ANY, NULL);
  char *out = json_is_string(s) ? strdup(json_string_value(s)) : NULL;
  json_decref(s);
  return out;
}

static void test_r_sql(void) {
  const char *q = "SELECT 'it''s' AS a, \"b\\n\" AS `c`\nFROM t";
  struct session_sql_opts o = {10, SESSION_SAMPLE_TAKE, 0.1, 0};
  char *code = livy_sql_code(SESSION_SPARKR, q, &o);
  TAP_OK(code && strncmp(code, "local({\n", 8) == 0 && strstr(code, "\n})\n"),
         "r: the helpers live in local(), not the user's workspace");
  char *lit = code ? literal_after(code, "kdDf <- sql(") : NULL;
  TAP_EQ_STR(lit, q, "r: the query survives quotes, backslashes and new lines");
  free(lit);
  TAP_OK(code && strstr(code, "kdSrc <- kdDf\n") && strstr(code, "kdRows <- take(kdSrc, 11)\n") &&
             strstr(code, "kdTotal <- if (nrow(kdRows) > 10) count(kdSrc) else nrow(kdRows)\n") &&
             strstr(code, "kdRows <- head(kdRows, 10)\n"),
         "r: -n 10 takes one row more to know whether there are more, counts only then");
  TAP_OK(code && strstr(code, "SparkR:::callJMethod(schema(kdDf)$jobj, \"json\")") &&
             strstr(code, "jsonlite::toJSON(kdRows, dataframe = \"values\", na = \"null\", digits = NA)"),
         "r: the Spark schema JSON goes with the rows as arrays of values");
  free(code);
  o.method = SESSION_SAMPLE_SAMPLE;
  o.fraction = 0.25;
  o.maxrows = -1;
  code = livy_sql_code(SESSION_SPARKR, "SELECT 1", &o);
  TAP_OK(code && strstr(code, "kdSrc <- sample(kdDf, FALSE, 0.25)\n") &&
             strstr(code, "kdRows <- collect(kdSrc)\nkdTotal <- nrow(kdRows)\n") &&
             !strstr(code, "take(") && !strstr(code, "head("),
         "r: -m sample -r 0.25 -n -1 samples and collects everything");
  free(code);
  o.df_var = 1;
  o.maxrows = 5;
  o.method = SESSION_SAMPLE_TAKE;
  code = livy_sql_code(SESSION_SPARKR, "my_df", &o);
  TAP_OK(code && strstr(code, "kdDf <- my_df\n") && !strstr(code, "sql("),
         "r: -o fetches the SparkDataFrame variable itself");
  free(code);
}

static void test_r_send(void) {
  char *code = livy_send_code(SESSION_SPARKR, "v", NULL, NULL, 0, "it's \"x\"\n\\");
  TAP_EQ_STR(code, "assign(\"v\", \"it's \\\"x\\\"\\n\\\\\")\n", "r: a str is assign(), as sparkmagic does");
  free(code);
  json_t *schema = json_loads(
      "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
      "{\"name\":\"text\",\"type\":\"string\"},{\"name\":\"d\",\"type\":\"date\"}]}",
      0, NULL);
  json_t *rows = json_loads("[[1, \"a \\\"q\\\" \\\\ é\\n\", \"2024-01-05\"], [2, null, null], "
                            "[3, \"z\", \"2024-03-01\"]]", 0, NULL);
  code = livy_send_code(SESSION_SPARKR, "df", schema, rows, 2, NULL);
  TAP_OK(code && strncmp(code, "df <- local({\nkdLines <- c(\n", 28) == 0,
         "r: the SparkDataFrame is built in local() and bound to the name");
  size_t n = 0, longest;
  char *joined = code ? literals(code, "c(\n", &n, &longest) : NULL;
  TAP_EQ_INT(n, 2, "r: -m 2 sends two records, one literal each");
  free(joined);
  char *first = code ? literal_after(code, "c(\n") : NULL;
  json_t *rec = first ? json_loads(first, 0, NULL) : NULL;
  TAP_EQ_STR(json_string_value(json_object_get(rec, "text")), "a \"q\" \\ é\n",
             "r: text survives escaping");
  json_decref(rec);
  free(first);
  char *second = code ? strstr(code, "\",\n\"") : NULL;
  TAP_OK(second && strncmp(second + 3, "\"{\\\"id\\\":2}\"", 12) == 0,
         "r: NULL fields are left out of a record, as Spark's toJSON does");
  char *ddl = code ? literal_after(code, "from_json(kdText$value, ") : NULL;
  TAP_EQ_STR(ddl, "`id` BIGINT, `text` STRING, `d` DATE", "r: from_json gets the DDL schema");
  free(ddl);
  TAP_OK(code && strstr(code, "createDataFrame(data.frame(value = kdLines, stringsAsFactors = FALSE), "
                              "structType(\"value STRING\"))") &&
             strstr(code, "select(kdParsed, \"kdRow.*\")\n})\n"),
         "r: JSON texts become typed columns");
  free(code);
  code = livy_send_code(SESSION_SPARKR, "none", schema, rows, 0, NULL);
  TAP_OK(code && strstr(code, "kdLines <- character(0)\n"), "r: no rows is an empty vector, not c()");
  free(code);
  json_decref(rows);
  json_decref(schema);
}

int main(void) {
  test_scala_chunks();
  test_str_and_df_var();
  test_r_sql();
  test_r_send();
  return tap_done();
}
