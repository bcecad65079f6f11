/* expr.h: bound (resolved, typed) scalar expressions -- the analyzer's output
 * and the evaluator's input.
 *
 * An expression tree is built by the analyzer from the syntax tree once every
 * name is resolved and every type is known. Column references name a column
 * by its *id*, a number unique within one query (Spark's exprId), so the
 * optimizer can move expressions between plan nodes without renumbering;
 * the physical planner then fills each reference's `index` (its position in
 * the input batch) with expr_bind before the evaluator sees it.
 *
 * Typing contract (the analyzer guarantees it, the evaluator relies on it):
 *   - every node's `type` is its result type; no TYPE_NULL survives analysis
 *     except in a bare `SELECT NULL` (typed NULL literal of TYPE_NULL, which
 *     the evaluator produces as an all-NULL vector of TYPE_NULL... callers
 *     print it as NULL);
 *   - a function's arguments already have the types its row in the table
 *     below requires: the analyzer inserts EXPR_CAST nodes for coercion, so
 *     the evaluator never coerces implicitly;
 *   - EXPR_FUNC with a comparison fn has two arguments of the *same* type;
 *     arithmetic fns (ADD SUB MUL MOD IDIV) have two arguments of the same
 *     type as the result, except MUL on DECIMAL (see below), and DIV always
 *     takes and returns DOUBLE (or DECIMAL: not in this engine; the analyzer
 *     casts decimal division to DOUBLE).
 *   - DECIMAL arithmetic: ADD/SUB take two DECIMAL(p,s) of the same scale and
 *     return DECIMAL(min(18,p+1), s); MUL takes DECIMAL(p1,s1), DECIMAL(p2,s2)
 *     and returns DECIMAL(min(18,p1+p2+1), s1+s2) (the analyzer casts to
 *     DOUBLE instead when s1+s2 > 18). Overflow of the 18-digit int64 gives
 *     NULL (Spark 3's non-ANSI behaviour).
 *
 * Runtime semantics are Spark 3.x non-ANSI (spark.sql.ansi.enabled=false)
 * unless a node's ansi flag is set (see struct expr): division by zero and a
 * CAST of malformed text give NULL; integer ADD/SUB/MUL/negation and
 * narrowing integer CASTs wrap (Java), DOUBLE to integer CASTs saturate.
 * Strings compare bytewise (binary collation).
 *
 * Memory: nodes live in the plan arena (plan.h, plan_ctx) and are never freed
 * one by one. */
#ifndef KINDLING_ENGINE_PLAN_EXPR_H
#define KINDLING_ENGINE_PLAN_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/sql/ast.h"
#include "engine/types.h"

struct plan;
struct plan_ctx;

/* A constant. type.id selects the field: BOOLEAN/INT/BIGINT/DATE/TIMESTAMP/
 * DECIMAL (unscaled) in i, DOUBLE in d, STRING in s/len (arena bytes, may
 * contain NUL). is_null marks a typed NULL. */
struct value {
  struct type type;
  int is_null;
  int64_t i;
  double d;
  const char *s;
  uint32_t len;
};

enum expr_kind {
  EXPR_LIT,         /* u.lit */
  EXPR_COL,         /* u.col */
  EXPR_FUNC,        /* u.func: operators and scalar functions */
  EXPR_CASE,        /* u.cases: searched CASE (simple CASE is rewritten) */
  EXPR_CAST,        /* u.cast: args[0] to node type */
  EXPR_IN_LIST,     /* u.in_list: arg IN (v1, v2, ...) */
  EXPR_LIKE,        /* u.like */
  EXPR_SUBQUERY,    /* u.sub: scalar subquery (one column, at most one row) */
  EXPR_IN_SUBQUERY, /* u.sub: args[0] IN (subquery); negated = NOT IN */
  EXPR_EXISTS       /* u.sub: [NOT] EXISTS (subquery) */
};

/* Scalar functions and operators. Argument types are as stated; "num" is
 * INT, BIGINT, DOUBLE or DECIMAL; T is any type. NULL in -> NULL out unless
 * said otherwise. */
enum expr_fn {
  /* arithmetic: (num, num) -> num of the same type (see DECIMAL above) */
  FN_ADD, FN_SUB, FN_MUL,
  FN_DIV,  /* (DOUBLE, DOUBLE) -> DOUBLE, or (DECIMAL, DECIMAL) -> DECIMAL of
            * Spark's result scale, rounded HALF_UP; x/0 -> NULL */
  FN_IDIV, /* (BIGINT, BIGINT) -> BIGINT, truncating; x div 0 -> NULL */
  FN_MOD,  /* (num, num) -> num, sign of the dividend; x % 0 -> NULL */
  FN_NEG,  /* (num) -> num */
  /* comparison: (T, T) -> BOOLEAN */
  FN_EQ, FN_NE, FN_LT, FN_LE, FN_GT, FN_GE,
  FN_NSEQ, /* <=> : never NULL; NULL <=> NULL is true */
  /* logic, three-valued: (BOOLEAN...) -> BOOLEAN. AND/OR take n >= 2 args
   * and short-circuit per row (false AND NULL = false, true OR NULL = true) */
  FN_AND, FN_OR, FN_NOT,
  FN_IS_NULL, FN_IS_NOT_NULL, /* (T) -> BOOLEAN, never NULL */
  /* conditional */
  FN_COALESCE, /* (T, T, ...) -> T: first non-NULL; also nvl, ifnull */
  FN_IF,       /* (BOOLEAN, T, T) -> T: NULL condition picks the else arm */
  FN_NULLIF,   /* (T, T) -> T */
  FN_GREATEST, FN_LEAST, /* (T, T, ...) -> T, NULLs skipped */
  /* strings (UTF-8; positions and lengths in code points) */
  FN_CONCAT,    /* (STRING...) -> STRING; also the || operator */
  FN_SUBSTRING, /* (STRING, INT pos[, INT len]) -> STRING; pos 1-based,
                 * 0 acts as 1, negative counts from the end (Spark) */
  FN_UPPER, FN_LOWER, /* (STRING) -> STRING, ASCII + Latin-1 range at least */
  FN_LENGTH,    /* (STRING) -> INT, code points */
  FN_TRIM, FN_LTRIM, FN_RTRIM, /* (STRING[, STRING chars]) -> STRING */
  FN_REPLACE,   /* (STRING, STRING search[, STRING repl = '']) -> STRING */
  FN_INSTR,     /* (STRING str, STRING sub) -> INT, 1-based, 0 if absent */
  FN_LPAD, FN_RPAD, /* (STRING, INT len, STRING pad) -> STRING */
  FN_STARTSWITH, FN_ENDSWITH, FN_CONTAINS, /* (STRING, STRING) -> BOOLEAN */
  FN_CONCAT_WS, /* (STRING sep, STRING...) -> STRING, NULL args skipped */
  /* math */
  FN_ABS,   /* (num) -> num */
  FN_ROUND, /* (num, INT scale) -> num, HALF_UP; scale constant */
  FN_FLOOR, FN_CEIL, /* (DOUBLE) -> BIGINT; (DECIMAL(p,s)) -> DECIMAL(p-s+1,0);
                      * (INT|BIGINT) -> BIGINT */
  FN_SQRT, FN_EXP, FN_LN, FN_LOG10, /* (DOUBLE) -> DOUBLE; domain error NULL */
  FN_POWER, /* (DOUBLE, DOUBLE) -> DOUBLE */
  /* dates: DATE is days since epoch, TIMESTAMP microseconds, UTC */
  FN_YEAR, FN_MONTH, FN_DAY, FN_QUARTER, FN_DAYOFWEEK, /* (DATE) -> INT;
                      * DAYOFWEEK 1 = Sunday */
  FN_HOUR, FN_MINUTE, FN_SECOND, /* (TIMESTAMP) -> INT */
  FN_DATE_ADD, FN_DATE_SUB, /* (DATE, INT days) -> DATE */
  FN_DATEDIFF,   /* (DATE end, DATE start) -> INT */
  FN_ADD_MONTHS, /* (DATE, INT) -> DATE, clamped to the month's last day */
  FN_DATE_TRUNC, /* (STRING unit, TIMESTAMP) -> TIMESTAMP: year quarter month
                  * week day hour minute second */
  FN_DATE_FORMAT, /* (TIMESTAMP, STRING pattern) -> STRING, Spark patterns */
  FN_TO_DATE_FMT, FN_TO_TS_FMT, /* (STRING, STRING pattern) -> DATE / TIMESTAMP:
                                 * to_date/to_timestamp with a format; NULL
                                 * when the text does not match it */
  FN_TS_ADD_INTERVAL, /* (TIMESTAMP, BIGINT months, BIGINT days, BIGINT
                       * micros) -> TIMESTAMP; the analyzer lowers DATE +/-
                       * INTERVAL to DATE_ADD/ADD_MONTHS when it has no time
                       * part */
  FN_CURRENT_DATE,      /* () -> DATE; constant within a query */
  FN_CURRENT_TIMESTAMP, /* () -> TIMESTAMP; constant within a query */
  /* hashing */
  FN_HASH, /* (T...) -> INT: Spark's murmur3 hash with seed 42 */
  /* arrays (engine/exec/eval_array.c) */
  FN_SIZE,           /* (ARRAY) -> INT, never NULL: -1 for NULL (legacy sizeOfNull) */
  FN_ARRAY_CONTAINS, /* (ARRAY<T>, T) -> BOOLEAN; NULL if not found and a NULL element */
  FN_SORT_ARRAY,     /* (ARRAY<T>, BOOLEAN asc const) -> ARRAY<T>, NULLs first if asc */
  FN_ARRAY_DISTINCT, /* (ARRAY<T>) -> ARRAY<T>, first occurrences in order */
  FN_ARRAY,          /* (T...) -> ARRAY<T>: array(e1, ...), NULL elements kept; never NULL */
  FN_ELEMENT_AT,     /* (ARRAY<T>, INT i) -> T: 1-based, negative from the end, NULL out
                      * of range (ANSI: error), 0 an error */
  FN_ARRAY_SUBSCRIPT, /* (ARRAY<T>, INT i) -> T: a[i], 0-based, NULL out of range */
  FN_ARRAY_JOIN,     /* (ARRAY<STRING>, STRING delim[, STRING null_repl]) -> STRING;
                      * NULL elements skipped without null_repl */
  FN_ARRAY_POSITION, /* (ARRAY<T>, T) -> BIGINT: 1-based first match, 0 if none */
  FN_ARRAY_REMOVE,   /* (ARRAY<T>, T) -> ARRAY<T> without the elements equal to it */
  FN_ARRAY_MAX, FN_ARRAY_MIN, /* (ARRAY<T>) -> T, NULLs skipped; NULL if none */
  FN_SLICE,          /* (ARRAY<T>, INT start, INT len) -> ARRAY<T>; start 1-based or
                      * negative from the end; 0 or len < 0 is an error */
  FN_ARRAY_CONCAT,   /* (ARRAY<T>...) -> ARRAY<T>: concat of arrays, NULL if any is */
  FN_ARRAY_UNION, FN_ARRAY_INTERSECT, FN_ARRAY_EXCEPT, /* (ARRAY<T>, ARRAY<T>) -> ARRAY<T>,
                      * distinct elements in first-seen order */
  /* more strings, hashes and bit/math functions (engine/exec/eval_str2.c) */
  FN_INITCAP,        /* (STRING) -> STRING: lower case, then upper after each space */
  FN_REVERSE,        /* (STRING) -> STRING, by code points */
  FN_ASCII,          /* (STRING) -> INT: first code point, 0 for '' */
  FN_CHR,            /* (BIGINT) -> STRING: '' if < 0, else the char (n & 255) */
  FN_RIGHT,          /* (STRING, INT n) -> STRING: last n chars, '' if n <= 0 */
  FN_TRANSLATE,      /* (STRING, STRING from, STRING to) -> STRING */
  FN_REPEAT,         /* (STRING, INT n) -> STRING, '' if n <= 0 */
  FN_OCTET_LENGTH, FN_BIT_LENGTH, /* (STRING) -> INT: bytes, 8 * bytes */
  FN_FORMAT_NUMBER,  /* (num, INT d) -> STRING '#,##0.00' HALF_EVEN; NULL if d < 0 */
  FN_MD5, FN_SHA1,   /* (STRING) -> STRING: lower-case hex digest of the bytes */
  FN_SHA2,           /* (STRING, INT bits 0|224|256|384|512) -> STRING; other bits NULL */
  FN_CRC32,          /* (STRING) -> BIGINT */
  FN_BASE64, FN_UNBASE64, /* (STRING) -> STRING (bytes; no BINARY type) */
  FN_HEX,            /* (STRING | BIGINT) -> STRING, upper case; BIGINT two's complement */
  FN_UNHEX,          /* (STRING) -> STRING (bytes); NULL on a non-hex digit */
  FN_SPLIT_PART,     /* (STRING, STRING delim, INT part) -> STRING; '' out of range,
                      * part 0 an error */
  FN_SUBSTRING_INDEX, /* (STRING, STRING delim, INT count) -> STRING */
  FN_LEVENSHTEIN,    /* (STRING, STRING[, INT threshold]) -> INT; -1 over threshold */
  FN_ELT,            /* (INT n, STRING...) -> STRING: n-th input, NULL out of range */
  FN_FIND_IN_SET,    /* (STRING, STRING list) -> INT: 1-based index in the comma list */
  FN_SIGNUM,         /* (DOUBLE) -> DOUBLE: -1.0, 0.0, 1.0 (NaN stays NaN) */
  FN_ISNAN,          /* (DOUBLE) -> BOOLEAN, never NULL (NULL -> false) */
  FN_CBRT,           /* (DOUBLE) -> DOUBLE */
  FN_FACTORIAL,      /* (INT) -> BIGINT, NULL outside 0..20 */
  FN_BROUND,         /* (num, INT scale) -> num, HALF_EVEN; scale constant */
  FN_SHIFTLEFT, FN_SHIFTRIGHT, FN_SHIFTRIGHTUNSIGNED, /* (INT|BIGINT, INT) -> arg 0's
                      * type; the count masked to the width as in Java */
  FN_BITAND, FN_BITOR, FN_BITXOR, /* (T, T) -> T for T INT or BIGINT */
  FN_BITNOT,         /* (INT|BIGINT) -> same */
  /* more dates and timestamps (engine/exec/eval_date2.c) */
  FN_UNIX_SECONDS,   /* (TIMESTAMP) -> BIGINT: floor(micros / 10^6) */
  FN_SECONDS_TO_TS,  /* (BIGINT secs) -> TIMESTAMP; NULL on overflow */
  FN_LAST_DAY,       /* (DATE) -> DATE: last day of its month */
  FN_NEXT_DAY,       /* (DATE, STRING dow) -> DATE: first later day of that weekday;
                      * NULL for a bad day name (ANSI: error) */
  FN_WEEKOFYEAR, FN_DAYOFYEAR, FN_WEEKDAY, /* (DATE) -> INT: ISO week, 1..366, 0=Monday */
  FN_MONTHS_BETWEEN, /* (TIMESTAMP, TIMESTAMP, BOOLEAN roundOff) -> DOUBLE */
  FN_MAKE_DATE,      /* (INT y, INT m, INT d) -> DATE; NULL if invalid (ANSI: error) */
  FN_MAKE_TS,        /* (INT y, mo, d, h, mi, DECIMAL(16,6) sec) -> TIMESTAMP; NULL if
                      * invalid (ANSI: error); sec 60 with no fraction is the next minute */
  FN_TS_ADD_UNIT,    /* (STRING unit const, BIGINT n, TIMESTAMP) -> TIMESTAMP */
  FN_TS_DIFF_UNIT,   /* (STRING unit const, TIMESTAMP start, TIMESTAMP end) -> BIGINT */
  FN_TRUNC_DATE,     /* (DATE, STRING fmt) -> DATE: YEAR/QUARTER/MONTH/WEEK, else NULL */
  FN_AGG_ORDKEY,     /* (ord, x) -> STRING: max_by/min_by's argument (eval_aggkey.h) */
  FN_RLIKE,          /* (STRING, STRING regex) -> BOOLEAN: Java find anywhere (eval_regex.h) */
  FN_REGEXP_EXTRACT, /* (STRING, STRING regex, INT idx) -> STRING; '' when no match */
  FN_REGEXP_EXTRACT_ALL, /* (STRING, STRING regex, INT idx) -> ARRAY<STRING> */
  FN_REGEXP_REPLACE, /* (STRING, STRING regex, STRING rep, INT pos) -> STRING */
  FN_REGEXP_COUNT,   /* (STRING, STRING regex) -> INT: number of matches */
  FN_REGEXP_SUBSTR,  /* (STRING, STRING regex) -> STRING; NULL when no (or empty) match */
  FN_SPLIT,          /* (STRING, STRING regex, INT limit) -> ARRAY<STRING> */
  FN__COUNT
};

struct expr_sort;

struct expr {
  enum expr_kind kind;
  struct type type;
  int nullable;          /* 0 only when the value can never be NULL */
  struct ast_pos pos;    /* where the user wrote it (errors), may be zero */
  /* Evaluation mode (Spark's EvalMode), fixed when the node is built so
   * executors that re-plan a job see the same: ansi copies plan_ctx.ansi
   * (spark.sql.ansi.enabled): integer overflow, division by zero and failed
   * casts raise errors instead of wrapping or giving NULL (sum() follows
   * its argument's flag). try_eval marks try_cast/try_add/...: those give
   * NULL on such failures whatever ansi says. */
  uint8_t ansi, try_eval;
  union {
    struct value lit;
    struct {
      int id;            /* the column's query-wide id */
      int index;         /* input position, set by expr_bind; -1 before */
    } col;
    struct {
      enum expr_fn fn;
      struct expr **args;
      int nargs;
    } func;
    /* CASE WHEN when[0] THEN then[0] ... ELSE otherwise; otherwise NULL ->
     * typed NULL. when[i] are BOOLEAN, then[i] and otherwise have node type */
    struct {
      struct expr **when, **then;
      int n;
      struct expr *otherwise;
    } cases;
    struct {
      struct expr *arg;  /* result type is the node's type */
    } cast;
    /* list values have arg's type; the list may hold non-constants */
    struct {
      struct expr *arg;
      struct expr **list;
      int n;
      int negated;
    } in_list;
    /* arg LIKE pattern: the pattern is a constant string (escape applied by
     * the analyzer into `pattern` with '\\' as the escape); ILIKE folds case;
     * RLIKE uses POSIX extended regular expressions */
    struct {
      struct expr *arg;
      const char *pattern;
      uint32_t len;
      enum ast_like_kind kind;
      int negated;
    } like;
    /* Subqueries. plan's output has one column for SUBQUERY / IN_SUBQUERY.
     * A correlated subquery refers to outer columns by their ids (EXPR_COL
     * whose id no node of `plan` produces); only the optimizer's rewrite to
     * a semi/anti join can execute those. */
    struct {
      struct plan *plan;
      struct expr *arg;  /* IN_SUBQUERY only */
      int negated;       /* NOT IN / NOT EXISTS */
    } sub;
  } u;
};

/* Constructors: new node in ctx's arena, or NULL when out of memory. The
 * argument arrays are copied into the arena; argument nodes are borrowed
 * (they live in the same arena). Types are set as given, not checked. */
struct expr *expr_lit(struct plan_ctx *ctx, const struct value *v);
struct expr *expr_col(struct plan_ctx *ctx, int id, struct type t, int nullable);
struct expr *expr_func(struct plan_ctx *ctx, enum expr_fn fn, struct type t, struct expr **args,
                       int nargs);
struct expr *expr_cast(struct plan_ctx *ctx, struct expr *arg, struct type t);

/* Deep copy of e into ctx's arena (subquery plans are shared, not copied). */
struct expr *expr_copy(struct plan_ctx *ctx, const struct expr *e);

/* Set every EXPR_COL's index to the position of its id in ids[0..n) (the
 * input's column ids). Returns 0, or ERR_INVAL naming the unknown id in e
 * (a planner bug: an expression uses a column its input lacks). */
int expr_bind(struct expr *e, const int *ids, int n, struct err *err);

/* Call fn(id, arg) for every column id e refers to (subquery plans are not
 * entered; outer references inside them are reported through
 * plan_outer_refs). */
void expr_cols(const struct expr *e, void (*fn)(int id, void *arg), void *arg);

/* 1 if e refers only to ids in ids[0..n) (and to no subquery). */
int expr_only_cols(const struct expr *e, const int *ids, int n);

/* 1 if e is deterministic and reads no column, so it can be folded. */
int expr_is_constant(const struct expr *e);

/* Split a conjunction into its conjuncts: appends pointers to the non-AND
 * leaves of e to *out (arena-grown array of *n entries). */
int expr_conjuncts(struct plan_ctx *ctx, struct expr *e, struct expr ***out, int *n);

/* AND of n >= 1 conjuncts (n == 1 returns it). NULL when out of memory. */
struct expr *expr_and(struct plan_ctx *ctx, struct expr **c, int n);

/* Lower-case name of fn as Spark prints it ("+", "=", "substring"...). */
const char *expr_fn_name(enum expr_fn fn);

/* Spark-like text of e for EXPLAIN and column names: "(l_quantity#3 > 24)",
 * "sum(x#1)". with_ids 0 omits the #id suffixes. Appends to out. */
int expr_dump(const struct expr *e, int with_ids, const struct plan_ctx *ctx, struct buf *out);

#endif
