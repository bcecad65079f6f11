/* ast.h: the syntax tree of Spark SQL statements, as the parser builds it.
 *
 * The tree is "unresolved": names are kept as written (original spelling,
 * compared case-insensitively later), functions are just names, GROUP BY
 * positions and aliases are plain expressions. Resolving them is the
 * analyzer's job, which is why every expression, table reference and alias
 * carries its source position: errors found later can still point a caret at
 * the user's text.
 *
 * Memory: every node of one statement lives in that statement's arena, so a
 * statement is freed with one call (ast_stmt_free) and can outlive the script
 * it came from (ast_script_take), e.g. a view definition kept by a catalog.
 *
 * Shape guarantees the parser gives consumers:
 *   - every node's height (longest path to a leaf, subqueries included) is
 *     at most AST_MAX_DEPTH, so recursive walkers cannot overflow the stack;
 *   - chains of AND, OR and same-kind set operations are n-ary (one node),
 *     so a 1 MB UNION ALL is wide, not deep;
 *   - identifier strings are NUL-terminated UTF-8; string literal values are
 *     (pointer, length) because they may contain NUL. */
#ifndef KINDLING_ENGINE_SQL_AST_H
#define KINDLING_ENGINE_SQL_AST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "engine/types.h"

#define AST_MAX_DEPTH 1000

/* Where a node came from, in the text given to the parser. */
struct ast_pos {
  size_t offset; /* byte offset of the first byte */
  size_t length; /* bytes, up to the end of the node's last token */
  int line;      /* 1-based */
  int column;    /* 1-based, in code points */
};

/* A possibly qualified name: db.table, t.column, t.column.field. */
struct ast_name {
  char **parts;
  int n;
  struct ast_pos pos;
};

struct ast_arena;
struct ast_query;

enum ast_expr_kind {
  AST_LIT,         /* u.lit */
  AST_COL,         /* u.col: column or field reference */
  AST_STAR,        /* u.col: * or t.* (qualifier in u.col, n may be 0) */
  AST_UNARY,       /* u.unary */
  AST_BINARY,      /* u.binary */
  AST_AND,         /* u.logic, n >= 2 */
  AST_OR,          /* u.logic, n >= 2 */
  AST_IS_NULL,     /* u.is_null */
  AST_IS_DISTINCT, /* u.binary (op unused): a IS [NOT] DISTINCT FROM b */
  AST_BETWEEN,     /* u.between */
  AST_LIKE,        /* u.like */
  AST_IN_LIST,     /* u.in_list */
  AST_IN_QUERY,    /* u.in_query */
  AST_EXISTS,      /* u.subquery (NOT EXISTS is NOT over EXISTS) */
  AST_SUBQUERY,    /* u.subquery: scalar subquery */
  AST_CASE,        /* u.cases */
  AST_CAST,        /* u.cast: CAST, TRY_CAST, x::type */
  AST_FUNC         /* u.func: any call, including aggregates and windows */
};

enum ast_op {
  AST_OP_NEG, AST_OP_POS, AST_OP_NOT, AST_OP_BITNOT, /* unary */
  AST_OP_ADD, AST_OP_SUB, AST_OP_MUL, AST_OP_DIV,     /* DIV is '/' */
  AST_OP_IDIV,                                        /* 'div': integral */
  AST_OP_MOD, AST_OP_CONCAT,
  AST_OP_EQ, AST_OP_NE, AST_OP_LT, AST_OP_LE, AST_OP_GT, AST_OP_GE,
  AST_OP_NSEQ,                                        /* <=> */
  AST_OP_BITAND, AST_OP_BITOR, AST_OP_BITXOR
};

enum ast_like_kind { AST_LIKE_LIKE, AST_LIKE_ILIKE, AST_LIKE_RLIKE };

enum ast_nulls { AST_NULLS_DEFAULT, AST_NULLS_FIRST, AST_NULLS_LAST };

/* A literal. type.id selects the meaningful fields:
 *   NULL       -
 *   BOOLEAN    i (0/1)
 *   INT        i (also 123S / 123Y literals)
 *   BIGINT     i (123L, or an integer too large for INT)
 *   DOUBLE     d (1e3, 1.5D, 1.5F)
 *   DECIMAL    s/len: the digits as written, sign included ("-0.05");
 *              i: the unscaled value when precision <= 18
 *   STRING     s/len: the decoded value (may contain NUL)
 *   DATE       i: days since 1970-01-01; s: the literal text
 *   TIMESTAMP  i: microseconds of the wall-clock time read as UTC, unless
 *              tz is 1 (the text had a zone: then i is true UTC); s: text
 *   INTERVAL   months, days, micros */
struct ast_lit {
  struct type type;
  int64_t i;
  double d;
  const char *s;
  size_t len;
  int tz;
  int32_t months, days;
  int64_t micros;
};

struct ast_sort {
  struct ast_expr *expr;
  int desc;
  enum ast_nulls nulls; /* AST_NULLS_DEFAULT: Spark's (ASC first, DESC last) */
};

enum ast_frame { AST_FRAME_NONE, AST_FRAME_ROWS, AST_FRAME_RANGE };

enum ast_bound_kind {
  AST_BOUND_UNBOUNDED_PRECEDING,
  AST_BOUND_PRECEDING, /* offset PRECEDING */
  AST_BOUND_CURRENT_ROW,
  AST_BOUND_FOLLOWING, /* offset FOLLOWING */
  AST_BOUND_UNBOUNDED_FOLLOWING
};

struct ast_bound {
  enum ast_bound_kind kind;
  struct ast_expr *offset; /* PRECEDING / FOLLOWING only */
};

/* OVER (PARTITION BY ... ORDER BY ... frame). A frame written without
 * BETWEEN ("ROWS 2 PRECEDING") has end = CURRENT ROW, as in SQL. */
struct ast_window {
  struct ast_expr **partition;
  int npartition;
  struct ast_sort *order;
  int norder;
  enum ast_frame frame;
  struct ast_bound start, end; /* when frame != AST_FRAME_NONE */
  struct ast_pos pos;
};

struct ast_expr {
  enum ast_expr_kind kind;
  struct ast_pos pos;
  int height;
  union {
    struct ast_lit lit;
    struct ast_name col;
    struct {
      enum ast_op op;
      struct ast_expr *arg;
    } unary;
    struct {
      enum ast_op op;
      int negated; /* AST_IS_DISTINCT: IS NOT DISTINCT FROM */
      struct ast_expr *left, *right;
    } binary;
    struct {
      struct ast_expr **args;
      int n;
    } logic;
    struct {
      int negated;
      struct ast_expr *arg;
    } is_null;
    struct {
      int negated;
      struct ast_expr *arg, *low, *high;
    } between;
    struct {
      int negated;
      enum ast_like_kind kind;
      struct ast_expr *arg, *pattern;
      struct ast_expr *escape; /* ESCAPE 'c', or NULL */
    } like;
    struct {
      int negated;
      struct ast_expr *arg;
      struct ast_expr **list;
      int n;
    } in_list;
    struct {
      int negated;
      struct ast_expr *arg;
      struct ast_query *query;
    } in_query;
    struct {
      struct ast_query *query;
    } subquery;
    struct {
      struct ast_expr *operand; /* simple CASE x WHEN ...; NULL if searched */
      struct ast_expr **when, **then;
      int n;
      struct ast_expr *otherwise; /* ELSE, or NULL */
    } cases;
    struct {
      struct ast_expr *arg;
      struct type type;
      int try_cast;
    } cast;
    /* Calls. count(*) has one AST_STAR argument. Syntax sugar becomes plain
     * calls: EXTRACT(f FROM x) is extract('f', x); SUBSTRING(s FROM a FOR b)
     * is substring(s, a, b); TRIM([BOTH|LEADING|TRAILING] [c] FROM s) is
     * trim/ltrim/rtrim(s[, c]); POSITION(a IN b) is position(a, b); a bare
     * CURRENT_DATE / CURRENT_TIMESTAMP is a call with no arguments. */
    struct {
      struct ast_name name;
      struct ast_expr **args;
      int nargs;
      int distinct;
      struct ast_expr *filter; /* FILTER (WHERE ...), or NULL */
      struct ast_window *over; /* OVER (...), or NULL */
    } func;
  } u;
};

enum ast_rel_kind {
  AST_REL_TABLE, /* u.table */
  AST_REL_FILE,  /* u.file: csv.`path`, json.`path`, parquet.`path` */
  AST_REL_QUERY, /* u.query: (subquery) or VALUES */
  AST_REL_TVF,   /* u.tvf: range(10) */
  AST_REL_JOIN   /* u.join */
};

enum ast_join_type {
  AST_JOIN_INNER, AST_JOIN_LEFT, AST_JOIN_RIGHT, AST_JOIN_FULL,
  AST_JOIN_CROSS, AST_JOIN_SEMI, AST_JOIN_ANTI
};

struct ast_rel {
  enum ast_rel_kind kind;
  struct ast_pos pos;
  int height;
  char *alias; /* AS alias, or NULL */
  struct ast_pos alias_pos;
  char **cols; /* AS alias(c1, c2): column aliases */
  int ncols;
  union {
    struct ast_name table;
    struct {
      char *format; /* lower-case: "csv", "json", "parquet" */
      char *path;
    } file;
    struct ast_query *query;
    struct {
      struct ast_name name;
      struct ast_expr **args;
      int nargs;
    } tvf;
    struct {
      enum ast_join_type type;
      int natural;
      struct ast_rel *left, *right;
      struct ast_expr *on; /* ON condition, or NULL */
      char **using_cols;   /* USING (a, b) */
      int nusing;
    } join;
  } u;
};

enum ast_query_kind { AST_Q_SELECT, AST_Q_SETOP, AST_Q_VALUES };

enum ast_setop { AST_SET_UNION, AST_SET_INTERSECT, AST_SET_EXCEPT };

struct ast_cte {
  char *name;
  struct ast_pos pos;
  char **cols;
  int ncols;
  struct ast_query *query;
};

struct ast_item {
  struct ast_expr *expr;
  char *alias; /* NULL when none was written */
  struct ast_pos alias_pos;
  char **aliases; /* AS (a, b): a generator's column names (alias NULL) */
  int naliases;
};

/* LATERAL VIEW [OUTER] gen(args) table [AS] c1, c2 */
struct ast_lateral {
  struct ast_expr *gen; /* the generator call */
  int outer;
  char *table;
  char **cols;          /* column names, or none (Spark's defaults) */
  int ncols;
  struct ast_pos pos;
};

/* A query: one SELECT, a set operation or VALUES, with the clauses that apply
 * to its result (WITH before; ORDER BY / LIMIT / OFFSET after). */
struct ast_query {
  enum ast_query_kind kind;
  struct ast_pos pos;
  int height;
  struct ast_cte *ctes;
  int nctes;
  struct ast_sort *order;
  int norder;
  struct ast_expr *limit;  /* NULL: none (LIMIT ALL too) */
  struct ast_expr *offset; /* NULL: none */
  union {
    struct {
      int distinct;
      struct ast_item *items;
      int nitems;
      struct ast_rel **from; /* comma-separated list; joins are nested */
      int nfrom;
      struct ast_lateral *laterals; /* after the FROM list, applied in order */
      int nlaterals;
      struct ast_expr *where;
      struct ast_expr **group; /* as written: expressions, positions, aliases */
      int ngroup;
      /* ngsets > 0: GROUPING SETS (also ROLLUP, CUBE, WITH ROLLUP/CUBE,
       * expanded): set s groups by the group[i] with bit i of gsets[s] set
       * (ngroup <= 63 then). ngsets == 0: a plain GROUP BY. */
      uint64_t *gsets;
      int ngsets;
      struct ast_expr *having;
    } select;
    /* n >= 2 inputs folded left: EXCEPT of [a, b, c] is (a - b) - c. */
    struct {
      enum ast_setop op;
      int all;
      struct ast_query **inputs;
      int n;
    } setop;
    /* Row-major cells: row r, column c is cells[r * ncols + c]. */
    struct {
      struct ast_expr **cells;
      int nrows, ncols;
    } values;
  } u;
};

enum ast_stmt_kind {
  AST_S_QUERY,        /* u.query */
  AST_S_CREATE_VIEW,  /* u.view */
  AST_S_CREATE_TABLE, /* u.table */
  AST_S_INSERT_DIR,   /* u.insert_dir */
  AST_S_SHOW_TABLES,  /* u.show_tables */
  AST_S_DESCRIBE,     /* u.describe */
  AST_S_EXPLAIN,      /* u.explain */
  AST_S_CACHE,        /* u.cache */
  AST_S_UNCACHE,      /* u.uncache */
  AST_S_SET,          /* u.set */
  AST_S_RESET,        /* u.reset */
  AST_S_DROP,         /* u.drop */
  AST_S_EXPR          /* u.expr: only from parser_parse_expr */
};

/* OPTIONS (key 'value', ...): keys as written (dotted keys joined with
 * '.'), values decoded; numbers and booleans keep their text. */
struct ast_option {
  char *key;
  char *value;
  struct ast_pos pos;
};

struct ast_coldef {
  char *name;
  struct type type;
  int not_null;
  char *comment; /* or NULL */
  struct ast_pos pos;
};

enum ast_explain_mode {
  AST_EXPLAIN_SIMPLE, AST_EXPLAIN_EXTENDED, AST_EXPLAIN_FORMATTED,
  AST_EXPLAIN_CODEGEN, AST_EXPLAIN_COST
};

struct ast_stmt {
  enum ast_stmt_kind kind;
  struct ast_pos pos; /* the statement's text, without the ';' */
  struct ast_arena *arena;
  union {
    struct ast_query *query;
    /* CREATE [OR REPLACE] [GLOBAL] TEMP[ORARY] VIEW [IF NOT EXISTS] v
     * [(cols)] AS query | USING fmt [OPTIONS (...)]. cols are names for the
     * AS form (type.id TYPE_NULL) and a schema for the USING form. */
    struct {
      struct ast_name name;
      int or_replace, temporary, global, if_not_exists;
      struct ast_coldef *cols;
      int ncols;
      struct ast_query *query; /* NULL for the USING form */
      char *format;            /* lower-case, USING form only */
      struct ast_option *options;
      int noptions;
    } view;
    /* CREATE [OR REPLACE] [EXTERNAL] TABLE [IF NOT EXISTS] t [(cols)]
     * [USING fmt] [OPTIONS (...)] [LOCATION 'p'] [COMMENT 'c'] [AS query] */
    struct {
      struct ast_name name;
      int or_replace, if_not_exists, external;
      struct ast_coldef *cols;
      int ncols;
      char *format; /* lower-case, or NULL when no USING */
      struct ast_option *options;
      int noptions;
      char *location;
      char *comment;
      struct ast_query *query;
    } table;
    /* INSERT OVERWRITE [LOCAL] DIRECTORY ['path'] USING fmt [OPTIONS] q */
    struct {
      int local;
      char *path; /* NULL when given as OPTIONS (path ...) */
      char *format;
      struct ast_option *options;
      int noptions;
      struct ast_query *query;
    } insert_dir;
    struct {
      struct ast_name db; /* n == 0 when not given */
      char *pattern;      /* LIKE pattern, or NULL */
    } show_tables;
    struct {
      struct ast_name name;
      int extended;          /* EXTENDED or FORMATTED */
      struct ast_stmt *query; /* DESCRIBE [QUERY] query: an AST_S_QUERY, same arena; else NULL */
    } describe;
    struct {
      enum ast_explain_mode mode;
      struct ast_stmt *stmt; /* same arena */
    } explain;
    struct {
      struct ast_name name;
      int lazy;
      struct ast_option *options;
      int noptions;
      struct ast_query *query; /* CACHE TABLE t AS query, or NULL */
    } cache;
    struct {
      struct ast_name name;
      int if_exists;
    } uncache;
    /* SET: key == NULL lists settings (verbose for SET -v); value == NULL
     * shows one key; otherwise the raw text after '=' to the end of the
     * statement, trimmed. */
    struct {
      char *key;
      char *value;
      int verbose;
    } set;
    struct {
      char *key; /* NULL: reset all */
    } reset;
    struct {
      int view; /* DROP VIEW (1) or DROP TABLE (0) */
      int if_exists;
      struct ast_name name;
    } drop;
    struct ast_expr *expr;
  } u;
};

/* A parsed script: its statements in order. */
struct ast_script {
  struct ast_stmt **stmts; /* entries may be NULL after ast_script_take */
  size_t n;
};

/* Arena limit: a statement's tree may not take more than this. */
#define AST_ARENA_MAX ((size_t)512 << 20)

/* New empty arena; NULL when out of memory. */
struct ast_arena *ast_arena_new(void);
/* Free the arena and everything allocated from it. a may be NULL. */
void ast_arena_free(struct ast_arena *a);
/* n zeroed bytes from the arena (aligned for any node); NULL when out of
 * memory or past AST_ARENA_MAX. Borrowed: lives as long as the arena. */
void *ast_alloc(struct ast_arena *a, size_t n);
/* NUL-terminated copy of s[0..n) in the arena; NULL when out of memory. */
char *ast_strndup(struct ast_arena *a, const char *s, size_t n);

/* New statement of the given kind, allocated in a fresh arena it owns.
 * NULL when out of memory. Free with ast_stmt_free. */
struct ast_stmt *ast_stmt_new(enum ast_stmt_kind kind);
/* Free a statement and its arena. s may be NULL. */
void ast_stmt_free(struct ast_stmt *s);
/* Free a script and every statement still in it. sc may be NULL. */
void ast_script_free(struct ast_script *sc);
/* Detach statement i from the script: the caller now owns it (free with
 * ast_stmt_free) and the script's slot becomes NULL. NULL if out of range. */
struct ast_stmt *ast_script_take(struct ast_script *sc, size_t i);

/* New zeroed nodes in the arena; NULL when out of memory. */
struct ast_expr *ast_expr_new(struct ast_arena *a, enum ast_expr_kind kind);
struct ast_query *ast_query_new(struct ast_arena *a, enum ast_query_kind kind);
struct ast_rel *ast_rel_new(struct ast_arena *a, enum ast_rel_kind kind);

/* Recompute the node's height from its direct children (whose heights must
 * already be set) and store it; returns it. */
int ast_expr_seal(struct ast_expr *e);
int ast_query_seal(struct ast_query *q);
int ast_rel_seal(struct ast_rel *r);

/* Identifier equality the Spark way: ASCII case-insensitive. */
int ast_ident_eq(const char *a, const char *b);

/* Text form used by EXPLAIN-style displays and by the tests: a stable
 * S-expression, e.g. "(+ (col a) (int 1))". Appends to out; returns 0,
 * ERR_NOMEM or ERR_TOOBIG (out's cap). */
int ast_dump_expr(const struct ast_expr *e, struct buf *out);
int ast_dump_query(const struct ast_query *q, struct buf *out);
int ast_dump_rel(const struct ast_rel *r, struct buf *out);
int ast_dump_stmt(const struct ast_stmt *s, struct buf *out);
/* Spark type name as used in dumps and DESCRIBE: "int", "decimal(10,2)". */
int ast_dump_type(struct type t, struct buf *out);

/* ast_dump(node, out): the dump function matching the node's type. */
#define ast_dump(node, out)                                                        \
  _Generic((node), struct ast_expr *: ast_dump_expr,                               \
           const struct ast_expr *: ast_dump_expr,                                 \
           struct ast_query *: ast_dump_query,                                     \
           const struct ast_query *: ast_dump_query,                               \
           struct ast_rel *: ast_dump_rel,                                         \
           const struct ast_rel *: ast_dump_rel,                                   \
           struct ast_stmt *: ast_dump_stmt,                                       \
           const struct ast_stmt *: ast_dump_stmt)(node, out)

#endif
