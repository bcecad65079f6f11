/* test_sql_parse.c: unit tests of the Spark SQL front end (engine/sql).
 *
 * Table-driven: each construct of the dialect is parsed and its syntax tree
 * compared with the expected ast_dump text; error cases check the exact
 * message, line and column; hostile inputs (deep nesting, huge input, NUL
 * bytes, invalid UTF-8, unterminated tokens, token soup) must give errors,
 * never crashes, and are also replayed through the fuzz entry point. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/utf8.h"
#include "engine/sql/ast.h"
#include "engine/sql/lexer.h"
#include "engine/sql/parser.h"
#include "engine/sql/sql_error.h"
#include "tests/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct dump_case {
  const char *sql;
  const char *want;
};

struct named_sql {
  const char *name;
  const char *sql;
};

struct err_case {
  const char *sql;
  int line, column;
  const char *msg;
};

/* Expressions (parser_parse_expr) and their dumps. */
static const struct dump_case expr_cases[] = {
    {"a + b * 2",
     "(+ (col a) (* (col b) (int 2)))"},
    {"a - b - c",
     "(- (- (col a) (col b)) (col c))"},
    {"-5",
     "(int -5)"},
    {"- a",
     "(neg (col a))"},
    {"-2147483648",
     "(int -2147483648)"},
    {"2147483648",
     "(bigint 2147483648)"},
    {"-9223372036854775808",
     "(bigint -9223372036854775808)"},
    {"9223372036854775808",
     "(decimal(19,0) 9223372036854775808)"},
    {"12345678901234567890123456789012345678",
     "(decimal(38,0) 12345678901234567890123456789012345678)"},
    {"100L",
     "(bigint 100)"},
    {"0.05",
     "(decimal(2,2) 0.05)"},
    {"100.00",
     "(decimal(5,2) 100.00)"},
    {"1e3",
     "(double 1000)"},
    {"1.5D",
     "(double 1.5)"},
    {"1.5F",
     "(double 1.5)"},
    {".5",
     "(decimal(1,1) .5)"},
    {"7.",
     "(decimal(1,0) 7.)"},
    {"10S",
     "(int 10)"},
    {"10Y",
     "(int 10)"},
    {"1BD",
     "(decimal(1,0) 1)"},
    {"'it''s'",
     "(string 'its')"},
    {"'a\\nb' \"c\"",
     "(string 'a\\nbc')"},
    {"r'a\\nb'",
     "(string 'a\\\\nb')"},
    {"'\\u00e9\\101\\%'",
     "(string 'éA\\\\%')"},
    {"`weird``name`.x",
     "(col `weird``name`.x)"},
    {"t.*",
     "(* t)"},
    {"count(*)",
     "(call count (*))"},
    {"count(DISTINCT x)",
     "(call count distinct (col x))"},
    {"sum(x) FILTER (WHERE y > 0)",
     "(call sum (col x) (filter (> (col y) (int 0))))"},
    {"rank() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST)",
     "(call rank (over (partition (col a)) (order (desc (col b) nulls-last))))"},
    {"sum(x) OVER (ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
     "(call sum (col x) (over (order (asc (col d))) (rows (unbounded-preceding) (current-row))))"},
    {"avg(x) OVER (PARTITION BY a ROWS BETWEEN 2 PRECEDING AND 3 FOLLOWING)",
     "(call avg (col x) (over (partition (col a)) (rows (preceding (int 2)) (following (int 3)))))"},
    {"sum(x) OVER (RANGE UNBOUNDED PRECEDING)",
     "(call sum (col x) (over (range (unbounded-preceding) (current-row))))"},
    {"a AND b OR c AND NOT d",
     "(or (and (col a) (col b)) (and (col c) (not (col d))))"},
    {"NOT a = b",
     "(not (= (col a) (col b)))"},
    {"a = 1 IS NULL",
     "(is-null (= (col a) (int 1)))"},
    {"x BETWEEN 1 AND 2 AND y",
     "(and (between (col x) (int 1) (int 2)) (col y))"},
    {"x NOT BETWEEN a + 1 AND b * 2",
     "(not-between (col x) (+ (col a) (int 1)) (* (col b) (int 2)))"},
    {"a LIKE 'x%' ESCAPE '!'",
     "(like (col a) (string 'x%') (escape (string '!')))"},
    {"a NOT RLIKE '^x'",
     "(not-rlike (col a) (string '^x'))"},
    {"a IS NOT DISTINCT FROM b",
     "(is-not-distinct-from (col a) (col b))"},
    {"a <=> b",
     "(<=> (col a) (col b))"},
    {"a div b % c",
     "(% (div (col a) (col b)) (col c))"},
    {"a || b || c",
     "(|| (|| (col a) (col b)) (col c))"},
    {"x IN (1, 2, 3)",
     "(in (col x) (int 1) (int 2) (int 3))"},
    {"x NOT IN (SELECT y FROM t)",
     "(not-in-query (col x) (select (item (col y)) (from (table t))))"},
    {"EXISTS (SELECT 1)",
     "(exists (select (item (int 1))))"},
    {"NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.a)",
     "(not (exists (select (item (int 1)) (from (table t)) (where (= (col t.a) (col u.a))))))"},
    {"(SELECT max(x) FROM t)",
     "(subquery (select (item (call max (col x))) (from (table t))))"},
    {"CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END",
     "(case (col x) (when (int 1) (string 'a')) (when (int 2) (string 'b')) (else (string 'c')))"},
    {"CASE WHEN a > 1 THEN 1 END",
     "(case (when (> (col a) (int 1)) (int 1)))"},
    {"CAST(x AS DECIMAL(12,2))",
     "(cast (col x) decimal(12,2))"},
    {"CAST(x AS varchar(10))",
     "(cast (col x) string)"},
    {"try_cast(x AS bigint)",
     "(try-cast (col x) bigint)"},
    {"x::int",
     "(cast (col x) int)"},
    {"date '1998-09-02'",
     "(date 1998-09-02)"},
    {"timestamp '2020-01-02 03:04:05.5'",
     "(timestamp 2020-01-02 03:04:05.5)"},
    {"timestamp '2020-01-02T03:04:05Z'",
     "(timestamp 2020-01-02 03:04:05 utc)"},
    {"date '1998-12-01' - interval '90' day",
     "(- (date 1998-12-01) (interval 0m 90d 0us))"},
    {"INTERVAL 3 DAYS",
     "(interval 0m 3d 0us)"},
    {"INTERVAL 1 YEAR 2 MONTHS",
     "(interval 14m 0d 0us)"},
    {"INTERVAL '1 day 2 hours'",
     "(interval 0m 1d 7200000000us)"},
    {"INTERVAL -3 MONTH",
     "(interval -3m 0d 0us)"},
    {"extract(YEAR FROM d)",
     "(call extract (string 'YEAR') (col d))"},
    {"substring(s FROM 2 FOR 3)",
     "(call substring (col s) (int 2) (int 3))"},
    {"trim(BOTH 'x' FROM s)",
     "(call trim (col s) (string 'x'))"},
    {"trim(LEADING FROM s)",
     "(call ltrim (col s))"},
    {"position('a' IN s)",
     "(call position (string 'a') (col s))"},
    {"current_date",
     "(call current_date)"},
    {"current_date()",
     "(call current_date)"},
    {"left(s, 3)",
     "(call left (col s) (int 3))"},
    {"a.b.c",
     "(col a.b.c)"},
    {"~a & b | c ^ d",
     "(| (& (~ (col a)) (col b)) (^ (col c) (col d)))"},
    {"a IS TRUE",
     "(<=> (col a) (boolean true))"},
    {"a IS NOT FALSE",
     "(not (<=> (col a) (boolean false)))"},
    {"x = -1",
     "(= (col x) (int -1))"},
    {"a - -1",
     "(- (col a) (int -1))"},
    {"1 - 1",
     "(- (int 1) (int 1))"},
    {"date",
     "(col date)"},
    {"year(date)",
     "(call year (col date))"},
    {"NULL",
     "(null)"},
    {"TRUE",
     "(boolean true)"},
    {"NOT NOT a",
     "(not (not (col a)))"},
    {"!a",
     "(not (col a))"},
    {"a != b",
     "(<> (col a) (col b))"},
    {"a == b",
     "(= (col a) (col b))"},
    {"a OR b AND c",
     "(or (col a) (and (col b) (col c)))"},
    {"NOT a AND b",
     "(and (not (col a)) (col b))"},
    {"a = b AND c <> d",
     "(and (= (col a) (col b)) (<> (col c) (col d)))"},
    {"a + b = c * d",
     "(= (+ (col a) (col b)) (* (col c) (col d)))"},
    {"a < b = c",
     "(= (< (col a) (col b)) (col c))"},
    {"-a * b",
     "(* (neg (col a)) (col b))"},
    {"- (a + b)",
     "(neg (+ (col a) (col b)))"},
    {"a || b = c",
     "(= (|| (col a) (col b)) (col c))"},
    {"a + b || c",
     "(|| (+ (col a) (col b)) (col c))"},
    {"a * b + c / d - e % f",
     "(- (+ (* (col a) (col b)) (/ (col c) (col d))) (% (col e) (col f)))"},
    {"x IS NULL AND y IS NOT NULL",
     "(and (is-null (col x)) (is-not-null (col y)))"},
    {"a BETWEEN b AND c OR d",
     "(or (between (col a) (col b) (col c)) (col d))"},
    {"NOT x BETWEEN 1 AND 2",
     "(not (between (col x) (int 1) (int 2)))"},
    {"a LIKE b OR c",
     "(or (like (col a) (col b)) (col c))"},
    {"1 + 2 * 3 - 4 / 2",
     "(- (+ (int 1) (* (int 2) (int 3))) (/ (int 4) (int 2)))"},
    {"a & b = c",
     "(= (& (col a) (col b)) (col c))"},
    {"(a OR b) AND c",
     "(and (or (col a) (col b)) (col c))"},
    {"NOT (a AND b)",
     "(not (and (col a) (col b)))"},
    {"a IN (1) AND b",
     "(and (in (col a) (int 1)) (col b))"},
    {"a OR b OR c OR d",
     "(or (col a) (col b) (col c) (col d))"},
    {"a AND (b AND c)",
     "(and (col a) (and (col b) (col c)))"},
    {"coalesce(a, b, 0)",
     "(call coalesce (col a) (col b) (int 0))"},
    {"db.fn(x)",
     "(call db.fn (col x))"},
    {"if(a > 1, 'x', 'y')",
     "(call if (> (col a) (int 1)) (string 'x') (string 'y'))"},
    {"f()",
     "(call f)"},
    {"count(ALL x)",
     "(call count (col x))"},
    {"row_number() OVER (ORDER BY x)",
     "(call row_number (over (order (asc (col x)))))"},
    {"lag(x, 1) OVER (PARTITION BY a, b ORDER BY c, d DESC)",
     "(call lag (col x) (int 1) (over (partition (col a) (col b)) (order (asc (col c)) (desc (col d)))))"},
    {"sum(x) OVER ()",
     "(call sum (col x) (over))"},
    {"'a' 'b' 'c'",
     "(string 'abc')"},
    {"\"dq\"",
     "(string 'dq')"},
    {"'\\t\\\\'",
     "(string '\\t\\\\')"},
    {"'\\Z'",
     "(string '\\x1A')"},
    {"'\\0'",
     "(string '\\x00')"},
    {"'\\u00'",
     "(string 'u00')"},
    {"'\\_'",
     "(string '\\\\_')"},
    {"0",
     "(int 0)"},
    {"007",
     "(int 7)"},
    {"1E+3",
     "(double 1000)"},
    {"1.5e-3",
     "(double 0.0015)"},
    {"123.456BD",
     "(decimal(6,3) 123.456)"},
    {"-0.5",
     "(decimal(1,1) -0.5)"},
    {"2147483647",
     "(int 2147483647)"},
    {"-2147483649",
     "(bigint -2147483649)"},
    {"-128Y",
     "(int -128)"},
    {"DATE '2020-1-5'",
     "(date 2020-01-05)"},
    {"date '2024-02-29'",
     "(date 2024-02-29)"},
    {"DATE '2020'",
     "(date 2020-01-01)"},
    {"timestamp '2020-01-01'",
     "(timestamp 2020-01-01 00:00:00)"},
    {"timestamp '2020-06-01 12:30:00+02:00'",
     "(timestamp 2020-06-01 10:30:00 utc)"},
    {"timestamp '1969-12-31 23:59:59.999999'",
     "(timestamp 1969-12-31 23:59:59.999999)"},
    {"INTERVAL 2 WEEKS",
     "(interval 0m 14d 0us)"},
    {"INTERVAL 1 HOUR 30 MINUTES",
     "(interval 0m 0d 5400000000us)"},
    {"INTERVAL '5' SECOND",
     "(interval 0m 0d 5000000us)"},
    {"interval 1 day - interval 2 hours",
     "(- (interval 0m 1d 0us) (interval 0m 0d 7200000000us))"},
    {"interval 3 day - 1",
     "(- (interval 0m 3d 0us) (int 1))"},
    {"CAST(a AS INT)",
     "(cast (col a) int)"},
    {"CAST(a AS integer)",
     "(cast (col a) int)"},
    {"CAST(a AS long)",
     "(cast (col a) bigint)"},
    {"CAST(a AS double)",
     "(cast (col a) double)"},
    {"CAST(a AS float)",
     "(cast (col a) double)"},
    {"CAST(a AS decimal)",
     "(cast (col a) decimal(10,0))"},
    {"CAST(a AS decimal(5))",
     "(cast (col a) decimal(5,0))"},
    {"CAST(a AS string)",
     "(cast (col a) string)"},
    {"CAST(a AS boolean)",
     "(cast (col a) boolean)"},
    {"CAST(a AS date)",
     "(cast (col a) date)"},
    {"CAST(a AS timestamp)",
     "(cast (col a) timestamp)"},
    {"a::decimal(3,1)::string",
     "(cast (cast (col a) decimal(3,1)) string)"},
    {"CASE WHEN a IS NULL THEN 'n' WHEN a > 0 THEN 'p' ELSE 'z' END",
     "(case (when (is-null (col a)) (string 'n')) (when (> (col a) (int 0)) (string 'p')) (else (string 'z')))"},
    {"year",
     "(col year)"},
    {"month + 1",
     "(+ (col month) (int 1))"},
    {"t.date",
     "(col t.date)"},
    {"`order`",
     "(col order)"},
    {"a.b.*",
     "(* a.b)"},
    {"*",
     "(*)"},
    {"x NOT LIKE 'a%'",
     "(not-like (col x) (string 'a%'))"},
    {"x ILIKE 'A%'",
     "(ilike (col x) (string 'A%'))"},
    {"x REGEXP 'a+'",
     "(rlike (col x) (string 'a+'))"},
    {"a IS DISTINCT FROM b",
     "(is-distinct-from (col a) (col b))"},
    {"+a",
     "(pos (col a))"},
};

/* Statements (parser_parse); several statements are joined by " ;; ". */
static const struct dump_case stmt_cases[] = {
    {"SELECT 1",
     "(select (item (int 1)))"},
    {"select a, b as c, d e from t",
     "(select (item (col a)) (item (col b) (as c)) (item (col d) (as e)) (from (table t)))"},
    {"SELECT DISTINCT a FROM t",
     "(select distinct (item (col a)) (from (table t)))"},
    {"SELECT * FROM t1, t2 WHERE t1.a = t2.b",
     "(select (item (*)) (from (table t1) (table t2)) (where (= (col t1.a) (col t2.b))))"},
    {"SELECT * FROM a JOIN b ON a.x = b.x",
     "(select (item (*)) (from (join inner (table a) (table b) (on (= (col a.x) (col b.x))))))"},
    {"SELECT * FROM a LEFT OUTER JOIN b USING (x, y)",
     "(select (item (*)) (from (join left (table a) (table b) (using x y))))"},
    {"SELECT * FROM a LEFT JOIN b ON a.x = b.x RIGHT JOIN c ON c.y = b.y",
     "(select (item (*)) (from (join right (join left (table a) (table b) (on (= (col a.x) (col b.x)))) (table c) (on (= (col c.y) (col b.y))))))"},
    {"SELECT * FROM a FULL JOIN b ON true CROSS JOIN c",
     "(select (item (*)) (from (join cross (join full (table a) (table b) (on (boolean true))) (table c))))"},
    {"SELECT * FROM a LEFT SEMI JOIN b ON a.x = b.x",
     "(select (item (*)) (from (join left-semi (table a) (table b) (on (= (col a.x) (col b.x))))))"},
    {"SELECT * FROM a LEFT ANTI JOIN b ON a.x = b.x",
     "(select (item (*)) (from (join left-anti (table a) (table b) (on (= (col a.x) (col b.x))))))"},
    {"SELECT * FROM a INNER JOIN b ON a.x = b.x",
     "(select (item (*)) (from (join inner (table a) (table b) (on (= (col a.x) (col b.x))))))"},
    {"SELECT * FROM a NATURAL JOIN b",
     "(select (item (*)) (from (join natural-inner (table a) (table b))))"},
    {"SELECT x FROM (SELECT 1 AS x) AS s",
     "(select (item (col x)) (from (derived (select (item (int 1) (as x))) (as s))))"},
    {"SELECT x FROM (SELECT 1, 2) s(x, y)",
     "(select (item (col x)) (from (derived (select (item (int 1)) (item (int 2))) (as s (cols x y)))))"},
    {"SELECT * FROM csv.`/data/x.csv`",
     "(select (item (*)) (from (file csv '/data/x.csv')))"},
    {"SELECT * FROM json.`data/y.json` j",
     "(select (item (*)) (from (file json 'data/y.json' (as j))))"},
    {"SELECT * FROM range(10)",
     "(select (item (*)) (from (tvf range (int 10))))"},
    {"SELECT * FROM db.t AS x",
     "(select (item (*)) (from (table db.t (as x))))"},
    {"SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1",
     "(select (item (col a)) (item (call count (*))) (from (table t)) (group-by (col a)) (having (> (call count (*)) (int 1))))"},
    {"SELECT a, sum(b) FROM t GROUP BY 1",
     "(select (item (col a)) (item (call sum (col b))) (from (table t)) (group-by (int 1)))"},
    {"SELECT a AS k, sum(b) FROM t GROUP BY k",
     "(select (item (col a) (as k)) (item (call sum (col b))) (from (table t)) (group-by (col k)))"},
    {"SELECT a FROM t ORDER BY a DESC NULLS FIRST, b ASC LIMIT 10",
     "(query (select (item (col a)) (from (table t))) (order-by (desc (col a) nulls-first) (asc (col b))) (limit (int 10)))"},
    {"SELECT a FROM t LIMIT ALL",
     "(select (item (col a)) (from (table t)))"},
    {"SELECT a FROM t LIMIT 10 OFFSET 5",
     "(query (select (item (col a)) (from (table t))) (limit (int 10)) (offset (int 5)))"},
    {"SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3",
     "(union-all (select (item (int 1))) (select (item (int 2))) (select (item (int 3))))"},
    {"SELECT 1 UNION SELECT 2",
     "(union (select (item (int 1))) (select (item (int 2))))"},
    {"SELECT 1 UNION DISTINCT SELECT 2",
     "(union (select (item (int 1))) (select (item (int 2))))"},
    {"SELECT 1 EXCEPT SELECT 2",
     "(except (select (item (int 1))) (select (item (int 2))))"},
    {"SELECT 1 MINUS SELECT 2",
     "(except (select (item (int 1))) (select (item (int 2))))"},
    {"SELECT 1 UNION SELECT 2 INTERSECT SELECT 3",
     "(union (select (item (int 1))) (intersect (select (item (int 2))) (select (item (int 3)))))"},
    {"SELECT 1 INTERSECT ALL SELECT 2 EXCEPT ALL SELECT 3",
     "(except-all (intersect-all (select (item (int 1))) (select (item (int 2)))) (select (item (int 3))))"},
    {"(SELECT 1) UNION ALL (SELECT 2) ORDER BY 1 LIMIT 1",
     "(query (union-all (select (item (int 1))) (select (item (int 2)))) (order-by (asc (int 1))) (limit (int 1)))"},
    {"WITH x AS (SELECT 1 AS a), y (b) AS (SELECT 2) SELECT * FROM x, y",
     "(query (with (cte x (select (item (int 1) (as a)))) (cte y (cols b) (select (item (int 2))))) (select (item (*)) (from (table x) (table y))))"},
    {"VALUES (1, 'a'), (2, 'b')",
     "(values (row (int 1) (string 'a')) (row (int 2) (string 'b')))"},
    {"SELECT * FROM VALUES (1), (2) AS v(x)",
     "(select (item (*)) (from (derived (values (row (int 1)) (row (int 2))) (as v (cols x)))))"},
    {"CREATE TEMPORARY VIEW v AS SELECT 1",
     "(create-view v temporary (select (item (int 1))))"},
    {"CREATE OR REPLACE TEMP VIEW v (a, b COMMENT 'bee') AS SELECT 1, 2",
     "(create-view v or-replace temporary (columns (a) (b (comment 'bee'))) (select (item (int 1)) (item (int 2))))"},
    {"CREATE OR REPLACE GLOBAL TEMPORARY VIEW IF NOT EXISTS v AS SELECT 1",
     "(create-view v or-replace global temporary if-not-exists (select (item (int 1))))"},
    {"CREATE TEMPORARY VIEW t USING csv OPTIONS (path \"x.csv\", header \"true\")",
     "(create-view t temporary (using csv) (options (path 'x.csv') (header 'true')))"},
    {"CREATE TABLE region (r_regionkey INT, r_name STRING, r_comment STRING) USING csv OPTIONS (path '${DATA}/region.csv', header 'true');",
     "(create-table region (columns (r_regionkey int) (r_name string) (r_comment string)) (using csv) (options (path '${DATA}/region.csv') (header 'true')))"},
    {"CREATE TABLE t USING parquet AS SELECT 1 AS x",
     "(create-table t (using parquet) (as (select (item (int 1) (as x)))))"},
    {"CREATE TABLE IF NOT EXISTS t (a DECIMAL(10,2) NOT NULL COMMENT 'money', b DATE) USING json LOCATION '/data/t' COMMENT 'tbl'",
     "(create-table t if-not-exists (columns (a decimal(10,2) not-null (comment 'money')) (b date)) (using json) (location '/data/t') (comment 'tbl'))"},
    {"CREATE TABLE t (a int) USING csv OPTIONS ('sep' = '|', inferSchema true, maxColumns 10, spark.x.y 'z')",
     "(create-table t (columns (a int)) (using csv) (options (sep '|') (inferSchema 'true') (maxColumns '10') (`spark.x.y` 'z')))"},
    {"INSERT OVERWRITE DIRECTORY '/out' USING csv SELECT 1",
     "(insert-directory '/out' (using csv) (select (item (int 1))))"},
    {"INSERT OVERWRITE LOCAL DIRECTORY USING json OPTIONS (path '/o') SELECT * FROM t",
     "(insert-directory local (using json) (options (path '/o')) (select (item (*)) (from (table t))))"},
    {"SHOW TABLES",
     "(show-tables)"},
    {"SHOW TABLES IN db LIKE 'x*'",
     "(show-tables (in db) (like 'x*'))"},
    {"DESCRIBE t",
     "(describe t)"},
    {"DESCRIBE TABLE db.t",
     "(describe db.t)"},
    {"DESC EXTENDED t",
     "(describe t extended)"},
    {"DESCRIBE QUERY SELECT a FROM t",
     "(describe query (select (item (col a)) (from (table t))))"},
    {"DESC SELECT 1",
     "(describe query (select (item (int 1))))"},
    {"DESCRIBE query",
     "(describe query)"},
    {"EXPLAIN SELECT 1",
     "(explain (select (item (int 1))))"},
    {"EXPLAIN EXTENDED SELECT a FROM t",
     "(explain extended (select (item (col a)) (from (table t))))"},
    {"EXPLAIN CREATE TABLE t AS SELECT 1",
     "(explain (create-table t (as (select (item (int 1))))))"},
    {"CACHE TABLE t",
     "(cache-table t)"},
    {"CACHE LAZY TABLE t AS SELECT 1",
     "(cache-table t lazy (select (item (int 1))))"},
    {"CACHE TABLE t SELECT 1",
     "(cache-table t (select (item (int 1))))"},
    {"UNCACHE TABLE t",
     "(uncache-table t)"},
    {"UNCACHE TABLE IF EXISTS t",
     "(uncache-table t if-exists)"},
    {"SET",
     "(set)"},
    {"SET -v",
     "(set -v)"},
    {"SET spark.sql.shuffle.partitions",
     "(set 'spark.sql.shuffle.partitions')"},
    {"SET spark.sql.shuffle.partitions = 4",
     "(set 'spark.sql.shuffle.partitions' '4')"},
    {"SET a.b=x = y ; SELECT 1",
     "(set 'a.b' 'x = y') ;; (select (item (int 1)))"},
    {"SET `weird key`=1",
     "(set 'weird key' '1')"},
    {"RESET",
     "(reset)"},
    {"RESET spark.sql.ansi.enabled",
     "(reset 'spark.sql.ansi.enabled')"},
    {"DROP TABLE IF EXISTS t",
     "(drop-table t if-exists)"},
    {"DROP VIEW v",
     "(drop-view v)"},
    {"SELECT 1; SELECT 2;;",
     "(select (item (int 1))) ;; (select (item (int 2)))"},
    {";",
     ""},
    {"-- just a comment",
     ""},
    {"SELECT /* c /* nested */ */ 1 -- tail",
     "(select (item (int 1)))"},
    {"SELECT a FROM t WHERE x IN (SELECT y FROM u) AND EXISTS (SELECT 1 FROM w WHERE w.k = t.k)",
     "(select (item (col a)) (from (table t)) (where (and (in-query (col x) (select (item (col y)) (from (table u)))) (exists (select (item (int 1)) (from (table w)) (where (= (col w.k) (col t.k))))))))"},
    {"SELECT a FROM t t1 LEFT JOIN u ON t1.a = u.a WHERE u.a IS NULL",
     "(select (item (col a)) (from (join left (table t (as t1)) (table u) (on (= (col t1.a) (col u.a))))) (where (is-null (col u.a))))"},
    {"select `select` from `from`",
     "(select (item (col select)) (from (table from)))"},
    {"SELECT 1a, 1e3x",
     "(select (item (col `1a`)) (item (col `1e3x`)))"},
    {"SELECT count(*) filter (where a) AS n FROM t",
     "(select (item (call count (*) (filter (col a))) (as n)) (from (table t)))"},
    {"SELECT (SELECT 1) + 1",
     "(select (item (+ (subquery (select (item (int 1)))) (int 1))))"},
    {"SELECT * FROM (t1 JOIN t2 ON t1.a = t2.a)",
     "(select (item (*)) (from (join inner (table t1) (table t2) (on (= (col t1.a) (col t2.a))))))"},
    {"SELECT * FROM ((SELECT 1))",
     "(select (item (*)) (from (derived (select (item (int 1))))))"},
    {"SELECT a, -b FROM t",
     "(select (item (col a)) (item (neg (col b))) (from (table t)))"},
    {"SELECT DATE '2020-01-01' AS date",
     "(select (item (date 2020-01-01) (as date)))"},
    {"SELECT x FROM t WHERE d < date '1995-03-15' + INTERVAL 3 MONTHS",
     "(select (item (col x)) (from (table t)) (where (< (col d) (+ (date 1995-03-15) (interval 3m 0d 0us)))))"},
    {"WITH q AS (SELECT 1) (SELECT * FROM q ORDER BY 1 LIMIT 3) ORDER BY 1",
     "(query (with (cte q (select (item (int 1))))) (select (item (*)) (from (derived (query (select (item (*)) (from (table q))) (order-by (asc (int 1))) (limit (int 3)))))) (order-by (asc (int 1))))"},
    {"SeLeCt A, `B` FrOm T wHeRe b = 1",
     "(select (item (col A)) (item (col B)) (from (table T)) (where (= (col b) (int 1))))"},
    {"select * from (select 1) where exists (select * from t2 where t2.x = 1) order by 1 desc limit 2",
     "(query (select (item (*)) (from (derived (select (item (int 1))))) (where (exists (select (item (*)) (from (table t2)) (where (= (col t2.x) (int 1))))))) (order-by (desc (int 1))) (limit (int 2)))"},
    {"SELECT a FROM t WHERE a > (SELECT avg(a) FROM t) AND b NOT IN (1, 2)",
     "(select (item (col a)) (from (table t)) (where (and (> (col a) (subquery (select (item (call avg (col a))) (from (table t))))) (not-in (col b) (int 1) (int 2)))))"},
    {"SELECT t.a, u.* FROM db.t AS t CROSS JOIN u",
     "(select (item (col t.a)) (item (* u)) (from (join cross (table db.t (as t)) (table u))))"},
    {"SELECT s.k, count(DISTINCT s.v) FILTER (WHERE s.v > 0) FROM s GROUP BY s.k",
     "(select (item (col s.k)) (item (call count distinct (col s.v) (filter (> (col s.v) (int 0))))) (from (table s)) (group-by (col s.k)))"},
    {"SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1",
     "(query (union-all (select (item (col a)) (from (table t))) (select (item (col b)) (from (table u)))) (order-by (asc (int 1))))"},
    {"CREATE TABLE t2 AS SELECT * FROM t",
     "(create-table t2 (as (select (item (*)) (from (table t)))))"},
    {"EXPLAIN FORMATTED SELECT 1",
     "(explain formatted (select (item (int 1))))"},
    {"EXPLAIN CODEGEN SELECT 1",
     "(explain codegen (select (item (int 1))))"},
    {"EXPLAIN COST SELECT 1",
     "(explain cost (select (item (int 1))))"},
    {"SELECT * FROM t LEFT OUTER JOIN u ON t.a = u.a FULL OUTER JOIN v ON v.b = u.b",
     "(select (item (*)) (from (join full (join left (table t) (table u) (on (= (col t.a) (col u.a)))) (table v) (on (= (col v.b) (col u.b))))))"},
    {"SELECT * FROM t RIGHT OUTER JOIN u USING (a)",
     "(select (item (*)) (from (join right (table t) (table u) (using a))))"},
    {"SELECT * FROM parquet.`/data/p` AS p(a, b)",
     "(select (item (*)) (from (file parquet '/data/p' (as p (cols a b)))))"},
};

/* Syntax and literal errors: exact message and position. */
static const struct err_case err_cases[] = {
    {"SELECT * FORM t", 1, 10,
     "Syntax error at or near 'FORM': expected ',', FROM, WHERE, GROUP BY, HAVING, UNION, INTERSECT, EXCEPT, ORDER BY, LIMIT, OFFSET, ';' or end of input (line 1, column 10)"},
    {"SELECT a FROM t WHERE", 1, 22,
     "Syntax error at or near end of input: expected expression (line 1, column 22)"},
    {"SELECT FROM t", 1, 8,
     "Syntax error at or near 'FROM': expected expression (line 1, column 8)"},
    {"SELECT a, FROM t", 1, 11,
     "Syntax error at or near 'FROM': expected expression (line 1, column 11)"},
    {"SELECT a FROM t GROUP a", 1, 23,
     "Syntax error at or near 'a': expected BY (line 1, column 23)"},
    {"SELECT (1 + 2", 1, 14,
     "Syntax error at or near end of input: expected ')' (line 1, column 14)"},
    {"SELECT 'abc", 1, 8,
     "Unterminated string literal (line 1, column 8)"},
    {"SELECT `abc", 1, 8,
     "Unterminated quoted identifier (line 1, column 8)"},
    {"SELECT /* abc", 1, 8,
     "Unterminated comment (line 1, column 8)"},
    {"SELECT a FROM t ORDER BY a ASC NULLS", 1, 37,
     "Syntax error at or near end of input: expected FIRST or LAST (line 1, column 37)"},
    {"SELECT CAST(a AS array<int>) FROM t", 1, 18,
     "Unsupported data type 'array': the local engine supports BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p,s), STRING, DATE and TIMESTAMP (line 1, column 18)"},
    {"SELECT CAST(a AS DECIMAL(40,2))", 1, 26,
     "Invalid DECIMAL(40,2): precision must be 1..38 and scale 0..precision (line 1, column 26)"},
    {"SELECT date '2020-13-01'", 1, 13,
     "Invalid DATE literal '2020-13-01' (line 1, column 13)"},
    {"SELECT date '2020-02-30'", 1, 13,
     "Invalid DATE literal '2020-02-30' (line 1, column 13)"},
    {"SELECT timestamp '2020-01-01 25:00:00'", 1, 18,
     "Invalid TIMESTAMP literal '2020-01-01 25:00:00' (line 1, column 18)"},
    {"SELECT 99999999999999999999999999999999999999999", 1, 8,
     "Decimal literal 99999999999999999999999999999999999999999 is out of range (more than 38 digits) (line 1, column 8)"},
    {"SELECT 9223372036854775808L", 1, 8,
     "Numeric literal 9223372036854775808L is out of range for BIGINT (line 1, column 8)"},
    {"SELECT 1e400", 1, 8,
     "Numeric literal 1e400 is out of range for DOUBLE (line 1, column 8)"},
    {"SELECT * FROM t JOIN", 1, 21,
     "Syntax error at or near end of input: expected table name or '(' (line 1, column 21)"},
    {"SELECT * FROM t NATURAL u", 1, 25,
     "Syntax error at or near 'u': expected JOIN (line 1, column 25)"},
    {"SELECT a FROM t; FOO", 1, 18,
     "Syntax error at or near 'FOO': expected SELECT, WITH, VALUES, CREATE, INSERT, SHOW, DESCRIBE, EXPLAIN, CACHE, UNCACHE, SET, RESET or DROP (line 1, column 18)"},
    {"SELECT $x", 1, 8,
     "Syntax error at or near '$': unexpected character (line 1, column 8)"},
    {"CREATE VIEW", 1, 12,
     "Syntax error at or near end of input: expected identifier (line 1, column 12)"},
    {"SELECT CASE WHEN a THEN 1", 1, 26,
     "Syntax error at or near end of input: expected WHEN, ELSE or END (line 1, column 26)"},
    {"SELECT x IN 1", 1, 13,
     "Syntax error at or near '1': expected '(' (line 1, column 13)"},
    {"SELECT a b c", 1, 12,
     "Syntax error at or near 'c': expected ',', FROM, WHERE, GROUP BY, HAVING, UNION, INTERSECT, EXCEPT, ORDER BY, LIMIT, OFFSET, ';' or end of input (line 1, column 12)"},
    {"SELECT 1 UNION", 1, 15,
     "Syntax error at or near end of input: expected SELECT, VALUES or '(' (line 1, column 15)"},
    {"INSERT INTO t SELECT 1", 1, 8,
     "Syntax error at or near 'INTO': expected OVERWRITE (line 1, column 8)"},
    {"SELECT interval 3 fortnights", 1, 19,
     "Syntax error at or near 'fortnights': expected interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND) (line 1, column 19)"},
    {"SELECT count(*) OVER w FROM t", 1, 22,
     "Named windows (OVER name) are not supported; write OVER (...) (line 1, column 22)"},
    {"SELECT a FROM t WHERE a IS 5", 1, 28,
     "Syntax error at or near '5': expected NOT, NULL, DISTINCT, TRUE or FALSE (line 1, column 28)"},
    {"SELECT 1 2", 1, 10,
     "Syntax error at or near '2': expected AS, ',', FROM, WHERE, GROUP BY, HAVING, UNION, INTERSECT, EXCEPT, ORDER BY, LIMIT, OFFSET, ';' or end of input (line 1, column 10)"},
    {"SELECT a.", 1, 10,
     "Syntax error at or near end of input: expected identifier or '*' (line 1, column 10)"},
    {"SELECT é FROM t WHERE x = 'ü' AND ?", 1, 35,
     "Syntax error at or near '?': unexpected character (line 1, column 35)"},
    {"VALUES (1, 2), (3)", 1, 16,
     "VALUES rows must all have 2 columns, this one has 1 (line 1, column 16)"},
    {"CREATE TABLE t (a INT, a2) USING csv", 1, 26,
     "Syntax error at or near ')': expected data type (line 1, column 26)"},
    {"SELECT a FROM t LIMIT", 1, 22,
     "Syntax error at or near end of input: expected expression (line 1, column 22)"},
    {"SELECT 32768S", 1, 8,
     "Numeric literal 32768S is out of range for SMALLINT (line 1, column 8)"},
    {"SELECT 1 FROM t WHERE a LIKE 'x' ESCAPE 'ab'", 1, 41,
     "The ESCAPE string must be a single character (line 1, column 41)"},
    {"SELECT INTERVAL '1 fortnight'", 1, 17,
     "Invalid interval value '1 fortnight' (line 1, column 17)"},
    {"SELECT x FROM t ORDER a", 1, 23,
     "Syntax error at or near 'a': expected BY (line 1, column 23)"},
    {"CREATE TABLE t (a INT) USING csv OPTIONS (path 'x') OPTIONS (path 'y')", 1, 53,
     "Found duplicate clause: OPTIONS (line 1, column 53)"},
    {"DESCRIBE", 1, 9,
     "Syntax error at or near end of input: expected TABLE or identifier (line 1, column 9)"},
    {"SHOW DATABASES", 1, 6,
     "Syntax error at or near 'DATABASES': expected TABLES (line 1, column 6)"},
    {"UNCACHE t", 1, 9,
     "Syntax error at or near 't': expected TABLE (line 1, column 9)"},
    {"CACHE TABLE", 1, 12,
     "Syntax error at or near end of input: expected identifier (line 1, column 12)"},
    {"EXPLAIN SET a=b", 1, 9,
     "EXPLAIN cannot explain SET (line 1, column 9)"},
    {"DROP FUNCTION f", 1, 6,
     "Syntax error at or near 'FUNCTION': expected VIEW or TABLE (line 1, column 6)"},
    {"SELECT a FROM t JOIN u ON", 1, 26,
     "Syntax error at or near end of input: expected expression (line 1, column 26)"},
    {"SELECT sum(x) OVER (ROWS BETWEEN 1 PRECEDING) FROM t", 1, 45,
     "Syntax error at or near ')': expected AND (line 1, column 45)"},
    {"SELECT * FROM t LEFT JOIN", 1, 26,
     "Syntax error at or near end of input: expected table name or '(' (line 1, column 26)"},
    {"SELECT CAST(a AS INT", 1, 21,
     "Syntax error at or near end of input: expected ')' (line 1, column 21)"},
    {"SELECT a NOT b", 1, 10,
     "Syntax error at or near 'NOT': expected AS, ',', FROM, WHERE, GROUP BY, HAVING, UNION, INTERSECT, EXCEPT, ORDER BY, LIMIT, OFFSET, ';' or end of input (line 1, column 10)"},
    {"WITH x AS SELECT 1 SELECT 2", 1, 11,
     "Syntax error at or near 'SELECT': expected '(' (line 1, column 11)"},
    {"SELECT trim(LEADING 'x' s)", 1, 25,
     "Syntax error at or near 's': expected FROM (line 1, column 25)"},
    {"CREATE GLOBAL TABLE t", 1, 15,
     "Syntax error at or near 'TABLE': expected TEMPORARY, TEMP or VIEW (line 1, column 15)"},
    {"SELECT timestamp '2020-01-01 10:00:00 +25:00'", 1, 18,
     "Invalid TIMESTAMP literal '2020-01-01 10:00:00 +25:00' (line 1, column 18)"},
    {"SELECT date ''", 1, 13,
     "Invalid DATE literal '' (line 1, column 13)"},
    {"SELECT 'ok' FROM t WHERE a = 'unterminated", 1, 30,
     "Unterminated string literal (line 1, column 30)"},
    {"SELECT 1 UNION ALL", 1, 19,
     "Syntax error at or near end of input: expected SELECT, VALUES or '(' (line 1, column 19)"},
};

/* The benchmark queries (bench/queries of the benchmark kit), verbatim. */
static const struct named_sql bench_queries[] = {
    {"q01.sql",
    "-- TPC-H Q1 (pricing summary report). DELTA = 90 days => 1998-09-02.\n"
    "-- Exercises: full scan of lineitem, date filter, 2-key low-cardinality hash\n"
    "-- aggregate with 8 aggregates (sum/avg/count), arithmetic expressions.\n"
    "select\n"
    "  l_returnflag,\n"
    "  l_linestatus,\n"
    "  sum(l_quantity) as sum_qty,\n"
    "  sum(l_extendedprice) as sum_base_price,\n"
    "  sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,\n"
    "  sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,\n"
    "  avg(l_quantity) as avg_qty,\n"
    "  avg(l_extendedprice) as avg_price,\n"
    "  avg(l_discount) as avg_disc,\n"
    "  count(*) as count_order\n"
    "from lineitem\n"
    "where l_shipdate <= date '1998-09-02'\n"
    "group by l_returnflag, l_linestatus\n"
    "order by l_returnflag, l_linestatus"},
    {"q03.sql",
    "-- TPC-H Q3 (shipping priority). SEGMENT = BUILDING, DATE = 1995-03-15.\n"
    "-- Exercises: 3-way comma join (needs predicate push-down + join extraction),\n"
    "-- selective filters on both sides, group by, top-N. l_orderkey added as a final\n"
    "-- tie-breaker so every engine returns identical rows.\n"
    "select\n"
    "  l_orderkey,\n"
    "  sum(l_extendedprice * (1 - l_discount)) as revenue,\n"
    "  o_orderdate,\n"
    "  o_shippriority\n"
    "from customer, orders, lineitem\n"
    "where c_mktsegment = 'BUILDING'\n"
    "  and c_custkey = o_custkey\n"
    "  and l_orderkey = o_orderkey\n"
    "  and o_orderdate < date '1995-03-15'\n"
    "  and l_shipdate > date '1995-03-15'\n"
    "group by l_orderkey, o_orderdate, o_shippriority\n"
    "order by revenue desc, o_orderdate, l_orderkey\n"
    "limit 10"},
    {"q05.sql",
    "-- TPC-H Q5 (local supplier volume). REGION = ASIA, DATE = 1994-01-01.\n"
    "-- Exercises: 6-way comma join incl. a two-column join condition (c_nationkey =\n"
    "-- s_nationkey), join ordering, small dimension tables (broadcast candidates).\n"
    "select\n"
    "  n_name,\n"
    "  sum(l_extendedprice * (1 - l_discount)) as revenue\n"
    "from customer, orders, lineitem, supplier, nation, region\n"
    "where c_custkey = o_custkey\n"
    "  and l_orderkey = o_orderkey\n"
    "  and l_suppkey = s_suppkey\n"
    "  and c_nationkey = s_nationkey\n"
    "  and s_nationkey = n_nationkey\n"
    "  and n_regionkey = r_regionkey\n"
    "  and r_name = 'ASIA'\n"
    "  and o_orderdate >= date '1994-01-01'\n"
    "  and o_orderdate < date '1995-01-01'\n"
    "group by n_name\n"
    "order by revenue desc"},
    {"q06.sql",
    "-- TPC-H Q6 (forecasting revenue change). DATE = 1994-01-01, DISCOUNT = 0.06,\n"
    "-- QUANTITY = 24.  Exercises: pure scan + conjunctive filter + one global sum.\n"
    "select\n"
    "  sum(l_extendedprice * l_discount) as revenue\n"
    "from lineitem\n"
    "where l_shipdate >= date '1994-01-01'\n"
    "  and l_shipdate < date '1995-01-01'\n"
    "  and l_discount between 0.05 and 0.07\n"
    "  and l_quantity < 24"},
    {"q10.sql",
    "-- TPC-H Q10 (returned item reporting). DATE = 1993-10-01.\n"
    "-- Exercises: 4-way join, group by 7 columns incl. long strings (wide keys),\n"
    "-- top-N. c_custkey added as a final tie-breaker.\n"
    "select\n"
    "  c_custkey,\n"
    "  c_name,\n"
    "  sum(l_extendedprice * (1 - l_discount)) as revenue,\n"
    "  c_acctbal,\n"
    "  n_name,\n"
    "  c_address,\n"
    "  c_phone,\n"
    "  c_comment\n"
    "from customer, orders, lineitem, nation\n"
    "where c_custkey = o_custkey\n"
    "  and l_orderkey = o_orderkey\n"
    "  and o_orderdate >= date '1993-10-01'\n"
    "  and o_orderdate < date '1994-01-01'\n"
    "  and l_returnflag = 'R'\n"
    "  and c_nationkey = n_nationkey\n"
    "group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment\n"
    "order by revenue desc, c_custkey\n"
    "limit 20"},
    {"q12.sql",
    "-- TPC-H Q12 (shipping modes and order priority). SHIPMODE1 = MAIL,\n"
    "-- SHIPMODE2 = SHIP, DATE = 1994-01-01.  Exercises: IN-list, column-vs-column\n"
    "-- comparisons, big join orders x lineitem, CASE inside aggregates.\n"
    "select\n"
    "  l_shipmode,\n"
    "  sum(case when o_orderpriority = '1-URGENT' or o_orderpriority = '2-HIGH'\n"
    "           then 1 else 0 end) as high_line_count,\n"
    "  sum(case when o_orderpriority <> '1-URGENT' and o_orderpriority <> '2-HIGH'\n"
    "           then 1 else 0 end) as low_line_count\n"
    "from orders, lineitem\n"
    "where o_orderkey = l_orderkey\n"
    "  and l_shipmode in ('MAIL', 'SHIP')\n"
    "  and l_commitdate < l_receiptdate\n"
    "  and l_shipdate < l_commitdate\n"
    "  and l_receiptdate >= date '1994-01-01'\n"
    "  and l_receiptdate < date '1995-01-01'\n"
    "group by l_shipmode\n"
    "order by l_shipmode"},
    {"q14.sql",
    "-- TPC-H Q14 (promotion effect). DATE = 1995-09-01.\n"
    "-- Exercises: join lineitem x part, LIKE prefix match, ratio of two aggregates.\n"
    "select\n"
    "  100.00 * sum(case when p_type like 'PROMO%'\n"
    "                    then l_extendedprice * (1 - l_discount) else 0 end)\n"
    "    / sum(l_extendedprice * (1 - l_discount)) as promo_revenue\n"
    "from lineitem, part\n"
    "where l_partkey = p_partkey\n"
    "  and l_shipdate >= date '1995-09-01'\n"
    "  and l_shipdate < date '1995-10-01'"},
    {"q18.sql",
    "-- TPC-H Q18 (large volume customer). QUANTITY = 300.\n"
    "-- Exercises: IN (subquery with GROUP BY ... HAVING) => semi join, a 1.5M-group\n"
    "-- aggregate on l_orderkey, 3-way join, top-N. o_orderkey added as tie-breaker.\n"
    "select\n"
    "  c_name,\n"
    "  c_custkey,\n"
    "  o_orderkey,\n"
    "  o_orderdate,\n"
    "  o_totalprice,\n"
    "  sum(l_quantity) as sum_qty\n"
    "from customer, orders, lineitem\n"
    "where o_orderkey in (\n"
    "    select l_orderkey\n"
    "    from lineitem\n"
    "    group by l_orderkey\n"
    "    having sum(l_quantity) > 300)\n"
    "  and c_custkey = o_custkey\n"
    "  and o_orderkey = l_orderkey\n"
    "group by c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice\n"
    "order by o_totalprice desc, o_orderdate, o_orderkey\n"
    "limit 100"},
    {"s0_startup.sql",
    "-- Engine start-up floor (not TPC-H): no table access. The cold figure is the\n"
    "-- fixed cost of starting the process/engine that every other cold figure includes.\n"
    "select 1 as one"},
    {"s1_scan_count.sql",
    "-- Simple scan + filter + count (not TPC-H). Measures raw CSV/columnar scan and\n"
    "-- predicate evaluation with almost no downstream work.\n"
    "select count(*) as n\n"
    "from lineitem\n"
    "where l_shipmode = 'AIR'\n"
    "  and l_quantity > 30\n"
    "  and l_shipdate >= date '1996-01-01'"},
    {"s2_highcard_groupby.sql",
    "-- High-cardinality group by (not TPC-H): ~800k groups per SF on a two-column\n"
    "-- key that arrives in random order (no locality), then top-N. Measures the\n"
    "-- hash-aggregate (and, in a distributed engine, the shuffle) under pressure.\n"
    "select\n"
    "  l_partkey,\n"
    "  l_suppkey,\n"
    "  count(*) as n,\n"
    "  sum(l_quantity) as qty,\n"
    "  avg(l_extendedprice) as avg_price\n"
    "from lineitem\n"
    "group by l_partkey, l_suppkey\n"
    "order by qty desc, l_partkey, l_suppkey\n"
    "limit 10"},
    {"dialect/polars/q18.sql",
    "-- Polars-only rewrite of q18.sql: same semantics, explicit JOIN ... ON.\n"
    "-- Polars SQL does not turn this comma join into inner joins when the WHERE also\n"
    "-- holds an IN-subquery: it builds the cross product and runs out of memory.\n"
    "select\n"
    "  c_name,\n"
    "  c_custkey,\n"
    "  o_orderkey,\n"
    "  o_orderdate,\n"
    "  o_totalprice,\n"
    "  sum(l_quantity) as sum_qty\n"
    "from customer\n"
    "join orders on c_custkey = o_custkey\n"
    "join lineitem on o_orderkey = l_orderkey\n"
    "where o_orderkey in (\n"
    "    select l_orderkey\n"
    "    from lineitem\n"
    "    group by l_orderkey\n"
    "    having sum(l_quantity) > 300)\n"
    "group by c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice\n"
    "order by o_totalprice desc, o_orderdate, o_orderkey\n"
    "limit 100"},
};

/* The benchmark's table DDL (schema.sql), verbatim. */
static const char bench_schema[] =
    "-- Spark SQL DDL for the benchmark tables (CSV with header). Types: money = DOUBLE (what Spark\n"
    "-- inferSchema yields), dates = DATE. Replace ${DATA} with the data directory.\n"
    "CREATE TABLE region (r_regionkey INT, r_name STRING, r_comment STRING) USING csv OPTIONS (path '${DATA}/region.csv', header 'true');\n"
    "CREATE TABLE nation (n_nationkey INT, n_name STRING, n_regionkey INT, n_comment STRING) USING csv OPTIONS (path '${DATA}/nation.csv', header 'true');\n"
    "CREATE TABLE supplier (s_suppkey BIGINT, s_name STRING, s_address STRING, s_nationkey INT, s_phone STRING, s_acctbal DOUBLE, s_comment STRING) USING csv OPTIONS (path '${DATA}/supplier.csv', header 'true');\n"
    "CREATE TABLE customer (c_custkey BIGINT, c_name STRING, c_address STRING, c_nationkey INT, c_phone STRING, c_acctbal DOUBLE, c_mktsegment STRING, c_comment STRING) USING csv OPTIONS (path '${DATA}/customer.csv', header 'true');\n"
    "CREATE TABLE part (p_partkey BIGINT, p_name STRING, p_mfgr STRING, p_brand STRING, p_type STRING, p_size INT, p_container STRING, p_retailprice DOUBLE, p_comment STRING) USING csv OPTIONS (path '${DATA}/part.csv', header 'true');\n"
    "CREATE TABLE partsupp (ps_partkey BIGINT, ps_suppkey BIGINT, ps_availqty INT, ps_supplycost DOUBLE, ps_comment STRING) USING csv OPTIONS (path '${DATA}/partsupp.csv', header 'true');\n"
    "CREATE TABLE orders (o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus STRING, o_totalprice DOUBLE, o_orderdate DATE, o_orderpriority STRING, o_clerk STRING, o_shippriority INT, o_comment STRING) USING csv OPTIONS (path '${DATA}/orders.csv', header 'true');\n"
    "CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT, l_linenumber INT, l_quantity DOUBLE, l_extendedprice DOUBLE, l_discount DOUBLE, l_tax DOUBLE, l_returnflag STRING, l_linestatus STRING, l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct STRING, l_shipmode STRING, l_comment STRING) USING csv OPTIONS (path '${DATA}/lineitem.csv', header 'true');";

/* ---- helpers ---------------------------------------------------------------- */

/* Dump of every statement of sql, joined by " ;; "; NULL on error (*rc and
 * e say why). New string (caller frees). */
static char *dump_script(const char *sql, size_t len, struct err *e, int *rc) {
  struct ast_script *sc = NULL;
  *rc = parser_parse(sql, len, &sc, e);
  if (*rc) return NULL;
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  for (size_t i = 0; i < sc->n; i++) {
    if (i) buf_puts(&b, " ;; ");
    ast_dump_stmt(sc->stmts[i], &b);
  }
  ast_script_free(sc);
  return buf_steal(&b);
}

static char *dump_expr(const char *sql, struct err *e, int *rc) {
  struct ast_stmt *s = NULL;
  *rc = parser_parse_expr(sql, strlen(sql), &s, e);
  if (*rc) return NULL;
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  ast_dump(s->u.expr, &b);
  ast_stmt_free(s);
  return buf_steal(&b);
}

static struct ast_script *parse_ok(const char *sql) {
  struct ast_script *sc = NULL;
  struct err e;
  if (parser_parse(sql, strlen(sql), &sc, &e) != 0) {
    printf("# unexpected error for %s: %s\n", sql, e.msg);
    return NULL;
  }
  return sc;
}

/* ---- tables ------------------------------------------------------------------- */

static void test_expr_table(void) {
  for (size_t i = 0; i < sizeof expr_cases / sizeof expr_cases[0]; i++) {
    struct err e;
    int rc;
    char *got = dump_expr(expr_cases[i].sql, &e, &rc);
    if (rc) printf("# error: %s\n", e.msg);
    TAP_EQ_STR(got, expr_cases[i].want, expr_cases[i].sql);
    free(got);
  }
}

static void test_stmt_table(void) {
  for (size_t i = 0; i < sizeof stmt_cases / sizeof stmt_cases[0]; i++) {
    struct err e;
    int rc;
    const char *sql = stmt_cases[i].sql;
    char *got = dump_script(sql, strlen(sql), &e, &rc);
    if (rc) printf("# error: %s\n", e.msg);
    TAP_EQ_STR(got, stmt_cases[i].want, sql);
    free(got);
  }
}

static void test_err_table(void) {
  for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
    const struct err_case *c = &err_cases[i];
    struct err e;
    int rc;
    char *got = dump_script(c->sql, strlen(c->sql), &e, &rc);
    if (got) printf("# parsed as %s\n", got);
    free(got);
    int pos_ok = rc == ERR_PARSE && e.code == ERR_PARSE && e.line == c->line &&
                 e.column == c->column && strcmp(e.ename, "ParseException") == 0;
    TAP_OK(pos_ok, "error position: %s", c->sql);
    if (!pos_ok) printf("#   got rc %d at %d:%d (%s)\n", rc, e.line, e.column, e.ename);
    TAP_EQ_STR(rc ? e.msg : "", c->msg, "error message");
  }
}

/* ---- benchmark queries and schema -------------------------------------------- */

static void test_bench(void) {
  for (size_t i = 0; i < sizeof bench_queries / sizeof bench_queries[0]; i++) {
    struct ast_script *sc = parse_ok(bench_queries[i].sql);
    TAP_OK(sc && sc->n == 1 && sc->stmts[0]->kind == AST_S_QUERY, "bench %s parses",
           bench_queries[i].name);
    ast_script_free(sc);
  }
  /* Shapes that the optimizer relies on. */
  struct err e;
  int rc;
  char *d = dump_script(bench_queries[7].sql, strlen(bench_queries[7].sql), &e, &rc);
  TAP_OK(d && strstr(d, "(in-query (col o_orderkey) (select (item (col l_orderkey)) "
                        "(from (table lineitem)) (group-by (col l_orderkey)) (having (> "
                        "(call sum (col l_quantity)) (int 300)))))") &&
             strstr(d, "(from (table customer) (table orders) (table lineitem))"),
         "q18: comma join and IN subquery with HAVING");
  free(d);
  d = dump_script(bench_queries[6].sql, strlen(bench_queries[6].sql), &e, &rc);
  TAP_OK(d && strstr(d, "(item (/ (* (decimal(5,2) 100.00) (call sum (case (when (like (col "
                        "p_type) (string 'PROMO%')) (* (col l_extendedprice) (- (int 1) (col "
                        "l_discount)))) (else (int 0))))) (call sum (* (col l_extendedprice) "
                        "(- (int 1) (col l_discount))))) (as promo_revenue))"),
         "q14: 100.00 is DECIMAL(5,2), * binds tighter than /, left to right");
  free(d);
  d = dump_script(bench_queries[3].sql, strlen(bench_queries[3].sql), &e, &rc);
  TAP_OK(d && strstr(d, "(between (col l_discount) (decimal(2,2) 0.05) (decimal(2,2) 0.07))") &&
             strstr(d, "(where (and (>= (col l_shipdate) (date 1994-01-01)) "),
         "q06: BETWEEN inside the AND chain");
  free(d);

  /* Any .sql files shipped with the source tree must parse too. */
  const char *top = getenv("top_srcdir");
  if (top) {
    char path[4096];
    static const char *const names[] = {"q01", "q03", "q05", "q06", "q10", "q12",
                                        "q14", "q18", "s0_startup", "s1_scan_count",
                                        "s2_highcard_groupby"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      snprintf(path, sizeof path, "%s/bench/queries/%s.sql", top, names[i]);
      FILE *f = fopen(path, "rb");
      if (!f) continue;
      static char text[1 << 16];
      size_t n = fread(text, 1, sizeof text - 1, f);
      fclose(f);
      text[n] = '\0';
      struct ast_script *sc = parse_ok(text);
      TAP_OK(sc && sc->n == 1, "tree copy of %s.sql parses", names[i]);
      ast_script_free(sc);
    }
  }

  struct ast_script *sc = parse_ok(bench_schema);
  TAP_OK(sc && sc->n == 8, "schema.sql: 8 CREATE TABLE statements");
  if (sc && sc->n == 8) {
    const struct ast_stmt *li = sc->stmts[7];
    TAP_OK(li->kind == AST_S_CREATE_TABLE && li->u.table.ncols == 16 &&
               strcmp(li->u.table.name.parts[0], "lineitem") == 0,
           "lineitem has 16 columns");
    TAP_OK(li->u.table.cols[0].type.id == TYPE_BIGINT && li->u.table.cols[4].type.id == TYPE_DOUBLE &&
               li->u.table.cols[10].type.id == TYPE_DATE && li->u.table.cols[15].type.id == TYPE_STRING,
           "lineitem column types");
    TAP_EQ_STR(li->u.table.format, "csv", "USING csv");
    TAP_OK(li->u.table.noptions == 2 && strcmp(li->u.table.options[0].key, "path") == 0 &&
               strcmp(li->u.table.options[0].value, "${DATA}/lineitem.csv") == 0 &&
               strcmp(li->u.table.options[1].key, "header") == 0 &&
               strcmp(li->u.table.options[1].value, "true") == 0,
           "OPTIONS (path ..., header 'true')");
    size_t off = li->pos.offset;
    TAP_OK(strncmp(bench_schema + off, "CREATE TABLE lineitem", 21) == 0 &&
               bench_schema[off + li->pos.length - 1] == ')',
           "statement range covers the statement without ';'");
  }
  ast_script_free(sc);
}

/* ---- positions ------------------------------------------------------------------ */

static void test_positions(void) {
  const char *sql = "SELECT a,\n  bogus_col + 1 AS x\nFROM t\nWHERE \xC3\xA9 = '\xC3\xBC' AND zz > 1";
  struct ast_script *sc = parse_ok(sql);
  TAP_OK(sc != NULL, "positions query parses");
  if (!sc) return;
  const struct ast_query *q = sc->stmts[0]->u.query;
  const struct ast_expr *plus = q->u.select.items[1].expr;
  const struct ast_expr *bogus = plus->u.binary.left;
  TAP_OK(bogus->pos.line == 2 && bogus->pos.column == 3 && bogus->pos.length == 9 &&
             strncmp(sql + bogus->pos.offset, "bogus_col", 9) == 0,
         "column reference: line 2, column 3, 9 bytes");
  TAP_OK(plus->pos.line == 2 && plus->pos.column == 3 &&
             strncmp(sql + plus->pos.offset, "bogus_col + 1", plus->pos.length) == 0 &&
             plus->pos.length == 13,
         "binary expression spans both operands");
  TAP_OK(q->u.select.items[1].alias_pos.line == 2 && q->u.select.items[1].alias_pos.column == 20,
         "alias position");
  const struct ast_rel *t = q->u.select.from[0];
  TAP_OK(t->pos.line == 3 && t->pos.column == 6 && t->u.table.pos.column == 6,
         "table reference position");
  const struct ast_expr *w = q->u.select.where;
  TAP_OK(w->kind == AST_AND && w->u.logic.n == 2, "WHERE is an AND");
  const struct ast_expr *zz = w->u.logic.args[1]->u.binary.left;
  TAP_OK(zz->pos.line == 4 && zz->pos.column == 19 && strncmp(sql + zz->pos.offset, "zz", 2) == 0,
         "columns count code points, not bytes (line 4, column 19)");
  const struct ast_expr *lit = w->u.logic.args[0]->u.binary.right;
  TAP_OK(lit->pos.column == 11 && lit->pos.length == 4, "string literal position");
  ast_script_free(sc);

  const char *multi = "SELECT 1;\n  SELECT 2 ;; SET a = b c ;\nSELECT 3";
  sc = parse_ok(multi);
  TAP_OK(sc && sc->n == 4, "four statements");
  if (sc && sc->n == 4) {
    static const char *const want[] = {"SELECT 1", "SELECT 2", "SET a = b c", "SELECT 3"};
    static const int lines[] = {1, 2, 2, 3}, cols[] = {1, 3, 15, 1};
    for (int i = 0; i < 4; i++) {
      const struct ast_pos *p = &sc->stmts[i]->pos;
      TAP_OK(p->length == strlen(want[i]) && strncmp(multi + p->offset, want[i], p->length) == 0 &&
                 p->line == lines[i] && p->column == cols[i],
             "statement %d range and position", i + 1);
    }
    TAP_EQ_STR(sc->stmts[2]->u.set.key, "a", "SET key");
    TAP_EQ_STR(sc->stmts[2]->u.set.value, "b c", "SET value is raw text");
  }
  ast_script_free(sc);

  /* An error in the second statement points into it. */
  struct err e;
  int rc;
  const char *two = "SELECT 1;\nSELECT a FROM t\n  WHERE x = = 2";
  char *d = dump_script(two, strlen(two), &e, &rc);
  TAP_OK(!d && rc == ERR_PARSE && e.line == 3 && e.column == 13, "error in statement 2 at 3:13");
  free(d);
}

/* ---- literal values ------------------------------------------------------------- */

static struct ast_stmt *expr_ok(const char *sql) {
  struct ast_stmt *s = NULL;
  struct err e;
  if (parser_parse_expr(sql, strlen(sql), &s, &e) != 0) printf("# error: %s\n", e.msg);
  return s;
}

static void test_literals(void) {
  struct ast_stmt *s = expr_ok("date '1998-09-02'");
  TAP_OK(s && s->u.expr->u.lit.type.id == TYPE_DATE && s->u.expr->u.lit.i == 10471,
         "DATE is days since 1970-01-01");
  ast_stmt_free(s);
  s = expr_ok("timestamp '2020-01-02 03:04:05.5'");
  TAP_OK(s && s->u.expr->u.lit.i == 1577934245500000LL && s->u.expr->u.lit.tz == 0,
         "TIMESTAMP is microseconds (wall clock)");
  ast_stmt_free(s);
  s = expr_ok("date '0001-01-01'");
  TAP_OK(s && s->u.expr->u.lit.i == -719162, "year 1");
  ast_stmt_free(s);
  s = expr_ok("date '9999-12-31'");
  TAP_OK(s && s->u.expr->u.lit.i == 2932896, "year 9999");
  ast_stmt_free(s);
  s = expr_ok("0.05");
  TAP_OK(s && s->u.expr->u.lit.type.id == TYPE_DECIMAL && s->u.expr->u.lit.type.precision == 2 &&
             s->u.expr->u.lit.type.scale == 2 && s->u.expr->u.lit.i == 5,
         "0.05 is DECIMAL(2,2) with unscaled value 5");
  ast_stmt_free(s);
  s = expr_ok("-12.500");
  TAP_OK(s && s->u.expr->u.lit.i == -12500 && s->u.expr->u.lit.type.scale == 3 &&
             s->u.expr->u.lit.len == 7 && memcmp(s->u.expr->u.lit.s, "-12.500", 7) == 0,
         "negative decimal keeps its text and unscaled value");
  ast_stmt_free(s);
  s = expr_ok("'a\\0b'");
  TAP_OK(s && s->u.expr->u.lit.len == 3 && memcmp(s->u.expr->u.lit.s, "a\0b", 3) == 0,
         "string literal with NUL keeps its length");
  ast_stmt_free(s);
  s = expr_ok("'\\uD83D\\uDE00'");
  TAP_OK(s && s->u.expr->u.lit.len == 4 && memcmp(s->u.expr->u.lit.s, "\xF0\x9F\x98\x80", 4) == 0,
         "surrogate pair escapes decode to one code point");
  ast_stmt_free(s);
  s = expr_ok("'\\U0001F600\\uD800'");
  TAP_OK(s && s->u.expr->u.lit.len == 7 &&
             memcmp(s->u.expr->u.lit.s, "\xF0\x9F\x98\x80\xEF\xBF\xBD", 7) == 0,
         "\\U escape; a lone surrogate becomes U+FFFD");
  ast_stmt_free(s);
  s = expr_ok("1.5D");
  TAP_OK(s && s->u.expr->u.lit.type.id == TYPE_DOUBLE && s->u.expr->u.lit.d == 1.5, "1.5D is DOUBLE");
  ast_stmt_free(s);
  s = expr_ok("INTERVAL 1 YEAR 2 MONTHS 3 WEEKS 4 DAYS 5 HOURS 6 MINUTES 7 SECONDS");
  TAP_OK(s && s->u.expr->u.lit.months == 14 && s->u.expr->u.lit.days == 25 &&
             s->u.expr->u.lit.micros == (5LL * 3600 + 6 * 60 + 7) * 1000000LL,
         "multi-unit interval");
  ast_stmt_free(s);
}

/* ---- caret display ---------------------------------------------------------------- */

static char *caret(const char *sql, int line, int col, int len, int *rc) {
  struct buf b;
  buf_init(&b, 1 << 20);
  *rc = sql_error_caret(sql, line, col, len, &b);
  return buf_steal(&b);
}

static void test_caret(void) {
  int rc;
  char *c = caret("SELECT * FORM t", 1, 10, 0, &rc);
  TAP_EQ_STR(c, "SELECT * FORM t\n---------^^^^\n", "caret under the token (length from the token)");
  free(c);
  c = caret("SELECT * FORM t", 1, 10, 3, &rc);
  TAP_EQ_STR(c, "SELECT * FORM t\n---------^^^\n", "caret with explicit length");
  free(c);
  c = caret("SELECT a\nFROM t\n  WHER x", 3, 3, 0, &rc);
  TAP_EQ_STR(c, "  WHER x\n--^^^^\n", "caret on line 3");
  free(c);
  c = caret("SELECT\ta FORM t", 1, 10, 0, &rc);
  TAP_EQ_STR(c, "SELECT\ta FORM t\n------\t--^^^^\n", "tabs keep the caret aligned");
  free(c);
  c = caret("SELECT '\xC3\xBC\xC3\xBC', x FORM t", 1, 16, 0, &rc);
  TAP_EQ_STR(c, "SELECT '\xC3\xBC\xC3\xBC', x FORM t\n---------------^^^^\n",
             "columns count code points");
  free(c);
  c = caret("SELECT a FROM t WHERE", 1, 22, 0, &rc);
  TAP_EQ_STR(c, "SELECT a FROM t WHERE\n---------------------^\n", "caret at end of input");
  free(c);
  c = caret("SELECT 'abc", 1, 8, 0, &rc);
  TAP_EQ_STR(c, "SELECT 'abc\n-------^^^^\n", "unterminated token: carets to end of line");
  free(c);
  c = caret("SELECT 1\r\nFROM t x y", 2, 10, 0, &rc);
  TAP_EQ_STR(c, "FROM t x y\n---------^\n", "CRLF line endings");
  free(c);
  c = caret("SELECT '\xFF' FORM", 1, 12, 0, &rc);
  TAP_EQ_STR(c, "SELECT '\xEF\xBF\xBD' FORM\n-----------^^^^\n", "invalid UTF-8 is shown as U+FFFD");
  free(c);
  c = caret("SELECT 1", 2, 1, 0, &rc);
  TAP_EQ_INT(rc, ERR_INVAL, "line past the end");
  free(c);
  c = caret("SELECT 1", 1, 30, 0, &rc);
  TAP_EQ_INT(rc, ERR_INVAL, "column past the end");
  free(c);

  const char *sql = "SELECT a\nFROM t\nWHERE x = = 1\nLIMIT 3";
  struct ast_script *sc = NULL;
  struct err e;
  rc = parser_parse(sql, strlen(sql), &sc, &e);
  struct buf b;
  buf_init(&b, 1 << 20);
  sql_error_render(sql, &e, &b);
  TAP_EQ_STR(b.data,
             "ParseException: Syntax error at or near '=': expected expression (line 3, column 11)\n"
             "\n== SQL ==\nSELECT a\nFROM t\nWHERE x = = 1\n----------^\nLIMIT 3\n",
             "full Spark-style error display");
  buf_fini(&b);
}

/* ---- hostile input ------------------------------------------------------------------ */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail) {
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  char *s = malloc(hl + ul * times + tl + 1);
  if (!s) abort();
  memcpy(s, head, hl);
  for (size_t i = 0; i < times; i++) memcpy(s + hl + i * ul, unit, ul);
  memcpy(s + hl + ul * times, tail, tl + 1);
  return s;
}

static int parse_rc(const char *sql, size_t len, struct err *e) {
  struct ast_script *sc = NULL;
  int rc = parser_parse(sql, len, &sc, e);
  ast_script_free(sc);
  return rc;
}

static void expect_deep(const char *name, const char *head, const char *unit, size_t n,
                        const char *tail) {
  char *s = repeat(head, unit, n, tail);
  struct err e;
  int rc = parse_rc(s, strlen(s), &e);
  TAP_OK(rc == ERR_PARSE && strstr(e.msg, "nested too deeply") != NULL, "%s x%zu: depth error",
         name, n);
  if (rc != ERR_PARSE) printf("#   rc %d %s\n", rc, e.msg);
  free(s);
}

static void expect_ok(const char *name, const char *head, const char *unit, size_t n,
                      const char *tail) {
  char *s = repeat(head, unit, n, tail);
  struct err e;
  int rc = parse_rc(s, strlen(s), &e);
  TAP_OK(rc == 0, "%s x%zu parses", name, n);
  if (rc) printf("#   %s\n", e.msg);
  free(s);
}

static void test_hostile(void) {
  /* Deep nesting: an error, not a stack overflow. */
  expect_deep("parentheses", "SELECT ", "(", 100000, "1");
  expect_deep("parenthesized queries", "", "(", 50000, "SELECT 1");
  expect_deep("NOT", "SELECT ", "NOT ", 5000, "a");
  expect_deep("unary minus", "SELECT ", "- ", 5000, "a");
  expect_deep("derived tables", "SELECT * FROM ", "(SELECT * FROM ", 3000, "t");
  expect_deep("IN subqueries", "SELECT 1 WHERE a IN ", "(SELECT b FROM t WHERE b IN ", 3000, "(1)");
  expect_deep("CASE", "SELECT ", "CASE WHEN a THEN ", 3000, "1");
  expect_deep("function calls", "SELECT ", "f(", 3000, "1");
  expect_deep("left-deep a + a + ...", "SELECT a", " + a", 5000, "");
  expect_deep("joins", "SELECT * FROM t", " JOIN t ON true", 5000, "");
  expect_deep("casts", "SELECT a", "::int", 5000, "");
  char *open200 = repeat("SELECT ", "(", 200, "1 + 1");
  char *both = repeat(open200, ")", 200, "");
  struct err pe;
  TAP_OK(parse_rc(both, strlen(both), &pe) == 0, "200 nested parentheses parse");
  free(open200);
  free(both);
  expect_ok("AND chain", "SELECT 1 WHERE a = 1", " AND a = 1", 100000, "");
  expect_ok("OR chain", "SELECT 1 WHERE a", " OR a", 100000, "");
  expect_ok("IN list", "SELECT 1 WHERE a IN (0", ", 1", 100000, ")");
  expect_ok("select list", "SELECT a", ", a", 50000, " FROM t");
  expect_ok("comma join", "SELECT 1 FROM t", ", t", 50000, "");
  expect_ok("statements", "", "SELECT 1;", 50000, "");
  expect_ok("adjacent strings", "SELECT ", "'x' ", 50000, "");

  /* Big input: linear time. */
  const char *unit = "SELECT a, b + 1 AS c FROM t WHERE d > 5 AND e LIKE 'x%' UNION ALL ";
  size_t times = ((size_t)1 << 20) / strlen(unit) + 1;
  char *big = repeat("", unit, times, "SELECT 1, 2, 3");
  clock_t t0 = clock();
  struct ast_script *sc = NULL;
  struct err e;
  int rc = parser_parse(big, strlen(big), &sc, &e);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  TAP_OK(rc == 0 && sc->n == 1 && sc->stmts[0]->u.query->kind == AST_Q_SETOP &&
             sc->stmts[0]->u.query->u.setop.n == (int)times + 1 &&
             sc->stmts[0]->u.query->height == 2 + sc->stmts[0]->u.query->u.setop.inputs[0]->height - 1,
         "1 MiB UNION ALL: one n-ary node with %zu inputs", times + 1);
  TAP_OK(secs < 2.0, "1 MiB UNION ALL parses fast (%.3f s)", secs);
  if (rc == 0) {
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    TAP_OK(ast_dump(sc->stmts[0], &b) == 0 && b.len > ((size_t)1 << 20), "and dumps");
    buf_fini(&b);
  }
  ast_script_free(sc);
  free(big);

  /* Size limit. */
  char *huge = malloc(PARSER_MAX_INPUT + 1);
  if (!huge) abort();
  memset(huge, ' ', PARSER_MAX_INPUT + 1);
  rc = parse_rc(huge, PARSER_MAX_INPUT + 1, &e);
  TAP_OK(rc == ERR_TOOBIG && e.code == ERR_TOOBIG && strstr(e.msg, "too large"), "over the size cap: ERR_TOOBIG");
  free(huge);

  /* Bytes that are not SQL text. */
  rc = parse_rc("SELECT 1\0 FROM t", 16, &e);
  TAP_OK(rc == ERR_PARSE && e.line == 1 && e.column == 9, "NUL byte: error at 1:9");
  TAP_EQ_STR(e.msg, "Invalid NUL byte in SQL text (line 1, column 9)", "NUL byte message");
  rc = parse_rc("SELECT 'x\xFF'", 12, &e);
  TAP_EQ_STR(e.msg, "Invalid UTF-8 byte 0xFF in SQL text (line 1, column 10)", "invalid byte");
  rc = parse_rc("SELECT\n\xC0\xAF", 9, &e);
  TAP_OK(rc == ERR_PARSE && e.line == 2 && e.column == 1, "overlong encoding rejected");
  rc = parse_rc("SELECT '\xED\xA0\x80'", 12, &e);
  TAP_OK(rc == ERR_PARSE && e.column == 9, "encoded surrogate rejected");
  rc = parse_rc("SELECT '\xE2\x82", 10, &e);
  TAP_OK(rc == ERR_PARSE && e.column == 9, "truncated sequence rejected");
  rc = parse_rc("SELECT \"abc", 11, &e);
  TAP_EQ_STR(e.msg, "Unterminated string literal (line 1, column 8)", "unterminated double-quoted string");
  rc = parse_rc("SELECT 'abc\\'", 13, &e);
  TAP_EQ_STR(e.msg, "Unterminated string literal (line 1, column 8)", "escaped closing quote");
  rc = parse_rc("SELECT 1 /* a /* b */", 21, &e);
  TAP_EQ_STR(e.msg, "Unterminated comment (line 1, column 10)", "unterminated nested comment");
  rc = parse_rc("SELECT `a``", 11, &e);
  TAP_EQ_STR(e.msg, "Unterminated quoted identifier (line 1, column 8)", "unterminated backtick");
  rc = parse_rc("SELECT \x01", 8, &e);
  TAP_EQ_STR(e.msg, "Syntax error: unexpected character 0x01 (line 1, column 8)", "control character");

  /* Empty scripts. (TAP_OK evaluates its condition twice: parse first.) */
  sc = NULL;
  rc = parser_parse(NULL, 0, &sc, &e);
  TAP_OK(rc == 0 && sc && sc->n == 0, "NULL/empty input: no statements");
  ast_script_free(sc);
  sc = NULL;
  rc = parser_parse(" ;\n -- c\n ; /* x */ ", 20, &sc, &e);
  TAP_OK(rc == 0 && sc && sc->n == 0, "only separators and comments: no statements");
  ast_script_free(sc);

  /* Replay tricky inputs through the fuzz entry point (it aborts on any
   * contract violation). */
  static const char *const tricky[] = {
      "", ";", "(", ")", "'", "\"", "`", "/*", "--", "SELECT", "SELECT (", "SELECT 'a' 'b",
      "SET", "SET ;", "SET `a", "SET 'x;y'=1; SELECT 1", "RESET ;", "EXPLAIN", "EXPLAIN EXPLAIN",
      "SELECT * FROM csv.`", "SELECT * FROM csv.`x`.y", "VALUES", "VALUES ()", "WITH", "WITH a AS",
      "SELECT 1 UNION (SELECT 2", "SELECT CAST(", "SELECT INTERVAL", "SELECT INTERVAL '",
      "SELECT INTERVAL -", "SELECT date '", "SELECT timestamp '2020-01-01T", "SELECT 1e",
      "SELECT 1.e5", "SELECT .e5", "SELECT 9999999999999999999999L", "SELECT -", "SELECT ~",
      "SELECT a::", "SELECT a.b.", "SELECT t.*.x", "SELECT sum(x) OVER (", "CREATE TABLE t (",
      "CREATE TABLE t (a decimal(", "CREATE TABLE t (a decimal(99999999999999999999))",
      "CREATE TABLE t USING csv OPTIONS (", "INSERT OVERWRITE DIRECTORY", "SELECT '\\",
      "SELECT '\\u", "SELECT '\\U0011FFFF'", "SELECT '\\777'", "SELECT trim(", "SELECT extract(",
      "SELECT position(a", "SELECT substring(a FROM", "SELECT a FROM t JOIN u USING (",
      "SELECT * FROM (t", "SELECT * FROM ((t))", "SELECT x IS", "SELECT x NOT", "SELECT x IN (",
      "SELECT CASE", "SELECT CASE x END", "SELECT a LIKE b ESCAPE", "DESC", "SHOW TABLES LIKE",
      "CACHE LAZY TABLE t AS", "UNCACHE TABLE IF", "DROP TABLE IF", "SELECT \xC3\xA9\xC3",
      "SELECT 1 LIMIT ALL OFFSET", "SELECT r'", "SELECT R\"abc", "SELECT 1 FROM t WHERE a = 'x\n",
      "\xEF\xBB\xBFSELECT 1", "SELECT\x7f", "SELECT 1 -- comment without newline",
  };
  for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++)
    LLVMFuzzerTestOneInput((const uint8_t *)tricky[i], strlen(tricky[i]));
  TAP_OK(1, "%zu tricky inputs through the fuzz entry point", sizeof tricky / sizeof tricky[0]);

  /* Token soup from a fixed-seed generator: thousands of random statements
   * built from the dialect's own vocabulary, plus raw random bytes. */
  static const char *const vocab[] = {
      "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "UNION", "ALL",
      "JOIN", "LEFT", "ON", "USING", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN",
      "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "INTERVAL", "DAY", "date",
      "OVER", "PARTITION", "ROWS", "PRECEDING", "WITH", "VALUES", "EXISTS", "DISTINCT", "SET",
      "CREATE", "TABLE", "VIEW", "TEMPORARY", "EXPLAIN", "a", "t", "x.y", "`q`", "csv.`p`", "1",
      "2.5", "1e3", "7L", "'s'", "'2020-01-01'", "(", ")", ",", ";", "*", "+", "-", "/", "%",
      "=", "<>", "<=>", "||", "::", ".", "~", "!", "div", "-- c\n", "/* c */", "\n"};
  uint32_t seed = 12345;
  char soup[2048];
  for (int i = 0; i < 3000; i++) {
    size_t o = 0;
    int ntok = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
    for (int k = 0; k < ntok; k++) {
      seed = seed * 1103515245u + 12345u;
      const char *w = vocab[(seed >> 16) % (sizeof vocab / sizeof vocab[0])];
      size_t wl = strlen(w);
      if (o + wl + 2 >= sizeof soup) break;
      memcpy(soup + o, w, wl);
      o += wl;
      soup[o++] = ' ';
    }
    LLVMFuzzerTestOneInput((const uint8_t *)soup, o);
  }
  for (int i = 0; i < 500; i++) {
    size_t n = 1 + (size_t)((seed = seed * 1103515245u + 12345u) >> 16) % 64;
    for (size_t k = 0; k < n; k++) {
      seed = seed * 1103515245u + 12345u;
      soup[k] = (char)(seed >> 16);
    }
    LLVMFuzzerTestOneInput((const uint8_t *)soup, n);
  }
  TAP_OK(1, "3500 generated inputs through the fuzz entry point");
}

/* ---- API details ----------------------------------------------------------------- */

static void test_api(void) {
  /* Keyword table: sorted, and every keyword found case-insensitively. */
  int ok = 1;
  for (int k = 1; k < KW__COUNT; k++) {
    const char *nm = lexer_kw_name((enum lexer_kw)k);
    char low[32];
    size_t n = strlen(nm);
    for (size_t i = 0; i <= n; i++) low[i] = (char)((nm[i] >= 'A' && nm[i] <= 'Z') ? nm[i] + 32 : nm[i]);
    if (lexer_kw_lookup(nm, n) != (enum lexer_kw)k || lexer_kw_lookup(low, n) != (enum lexer_kw)k)
      ok = 0;
    if (k > 1 && strcmp(lexer_kw_name((enum lexer_kw)(k - 1)), nm) >= 0) ok = 0;
  }
  TAP_OK(ok, "keyword table is sorted and every keyword is found");
  TAP_OK(lexer_kw_lookup("selects", 7) == KW_NONE && lexer_kw_lookup("", 0) == KW_NONE,
         "non-keywords are not found");
  TAP_OK(ast_ident_eq("Abc_1", "aBC_1") && !ast_ident_eq("a", "ab") && !ast_ident_eq("ab", "a"),
         "identifiers compare case-insensitively");

  /* Detaching a statement from its script. */
  struct ast_script *sc = parse_ok("SELECT 1; CREATE TEMP VIEW v AS SELECT a FROM t");
  struct ast_stmt *v = sc ? ast_script_take(sc, 1) : NULL;
  TAP_OK(v && sc->stmts[1] == NULL && ast_script_take(sc, 5) == NULL, "ast_script_take detaches");
  ast_script_free(sc);
  struct buf b;
  buf_init(&b, 1 << 20);
  if (v) ast_dump(v, &b);
  TAP_EQ_STR(b.data, "(create-view v temporary (select (item (col a)) (from (table t))))",
             "a taken statement outlives its script");
  buf_fini(&b);
  ast_stmt_free(v);

  /* Dump into a capped buffer fails cleanly. */
  sc = parse_ok("SELECT a, b, c FROM t WHERE a = 1");
  buf_init(&b, 10);
  TAP_EQ_INT(ast_dump(sc->stmts[0], &b), ERR_TOOBIG, "dump respects the buffer cap");
  buf_fini(&b);
  ast_script_free(sc);

  /* Types. */
  struct type t;
  struct err e;
  int rc;
  TAP_OK(parser_parse_type("decimal(10, 2)", 14, &t, &e) == 0 && t.id == TYPE_DECIMAL &&
             t.precision == 10 && t.scale == 2,
         "parser_parse_type decimal(10, 2)");
  TAP_OK(parser_parse_type("VARCHAR(20)", 11, &t, &e) == 0 && t.id == TYPE_STRING, "VARCHAR(20) is STRING");
  TAP_OK(parser_parse_type("Long", 4, &t, &e) == 0 && t.id == TYPE_BIGINT, "LONG is BIGINT");
  TAP_OK(parser_parse_type("timestamp_ntz", 13, &t, &e) == 0 && t.id == TYPE_TIMESTAMP, "TIMESTAMP_NTZ");
  TAP_OK(parser_parse_type("double precision", 16, &t, &e) == 0 && t.id == TYPE_DOUBLE, "DOUBLE PRECISION");
  TAP_OK(parser_parse_type("map<string,int>", 15, &t, &e) == ERR_PARSE &&
             strstr(e.msg, "Unsupported data type 'map'") != NULL && e.column == 1,
         "MAP is unsupported, with position");
  TAP_OK(parser_parse_type("int extra", 9, &t, &e) == ERR_PARSE && e.column == 5,
         "trailing text after a type");
  TAP_OK(parser_parse_type("decimal(0)", 10, &t, &e) == ERR_PARSE, "DECIMAL(0) rejected");
  TAP_OK(parser_parse_type("decimal(5,6)", 12, &t, &e) == ERR_PARSE, "scale > precision rejected");

  /* User text quoted in messages is cut on a code point boundary. */
  char *accents = repeat("", "\xC3\xA9", 40, "");
  rc = parser_parse_type(accents, strlen(accents), &t, &e);
  TAP_OK(rc == ERR_PARSE && utf8_valid(e.msg, strlen(e.msg)) &&
             strstr(e.msg, "Unsupported data type '\xC3\xA9") != NULL,
         "long non-ASCII type name: message stays valid UTF-8");
  free(accents);
  accents = repeat("SELECT INTERVAL 'x", "\xD3\xA4", 40, "'");
  rc = parse_rc(accents, strlen(accents), &e);
  TAP_OK(rc == ERR_PARSE && utf8_valid(e.msg, strlen(e.msg)) &&
             strncmp(e.msg, "Invalid interval value 'x\xD3\xA4", 27) == 0,
         "long non-ASCII interval text: message stays valid UTF-8");
  free(accents);

  /* Expression entry point: trailing text is an error. */
  struct ast_stmt *s = NULL;
  TAP_OK(parser_parse_expr("a b", 3, &s, &e) == ERR_PARSE && s == NULL && e.column == 3 &&
             strcmp(e.msg, "Syntax error at or near 'b': expected end of input (line 1, column 3)") == 0,
         "parser_parse_expr wants one expression");

  /* Statement fields beyond the dump. */
  sc = parse_ok("EXPLAIN EXTENDED SELECT 1; SET spark.sql.ansi.enabled = false ; SET -v");
  TAP_OK(sc && sc->n == 3 && sc->stmts[0]->u.explain.mode == AST_EXPLAIN_EXTENDED &&
             sc->stmts[0]->u.explain.stmt->kind == AST_S_QUERY &&
             strcmp(sc->stmts[1]->u.set.key, "spark.sql.ansi.enabled") == 0 &&
             strcmp(sc->stmts[1]->u.set.value, "false") == 0 && sc->stmts[2]->u.set.verbose,
         "EXPLAIN mode and SET fields");
  ast_script_free(sc);

  /* Long token text is shortened in messages. */
  char *longid = repeat("SELECT a ", "x", 200, " y");
  rc = parse_rc(longid, strlen(longid), &e);
  TAP_OK(rc == ERR_PARSE && strstr(e.msg, "at or near 'y'") != NULL, "alias then error");
  free(longid);
  longid = repeat("SELECT * ", "x", 200, "");
  rc = parse_rc(longid, strlen(longid), &e);
  TAP_OK(rc == ERR_PARSE &&
             strstr(e.msg, "near 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'") != NULL,
         "long tokens are truncated in messages");
  free(longid);
}

int main(void) {
  test_expr_table();
  test_stmt_table();
  test_err_table();
  test_bench();
  test_positions();
  test_literals();
  test_caret();
  test_hostile();
  test_api();
  return tap_done();
}
