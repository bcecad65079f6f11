/* parser.h: Spark SQL text -> syntax tree (recursive descent).
 *
 * Covers the local engine's dialect (statements, clauses, expressions and
 * literals of Spark SQL tiers 1-2, see engine/sql/ast.h for the tree).
 * Parsing is linear in the input and never recurses deeper than
 * AST_MAX_DEPTH nesting levels, so hostile input gives an error, not a stack
 * overflow (the deepest legal input needs well under 1 MiB of stack in an
 * optimized build; sanitizer builds need several times more).
 *
 * Syntax errors are reported like Spark's ParseException:
 *   Syntax error at or near 'FORM': expected ',', FROM, WHERE, ...
 *   (line 1, column 10)
 * with err->line / err->column (1-based, code points) at the offending token
 * and err->ename "ParseException"; sql_error_caret renders the caret line. */
#ifndef KINDLING_ENGINE_SQL_PARSER_H
#define KINDLING_ENGINE_SQL_PARSER_H

#include <stddef.h>

#include "common/err.h"
#include "engine/sql/ast.h"
#include "engine/types.h"

/* Largest SQL text accepted (bytes). */
#define PARSER_MAX_INPUT ((size_t)16 << 20)

/* Parse a script of statements separated by ';' (empty statements are
 * skipped). sql[0..len) is borrowed; it must be UTF-8 and may not contain
 * NUL bytes. On success *out is a new script (free with ast_script_free);
 * each statement records its source range (ast_stmt.pos) so callers can
 * report per-statement errors. An empty script has n == 0.
 * Returns 0, ERR_PARSE (syntax error: e filled with message, line, column,
 * ename "ParseException"), ERR_TOOBIG (input over PARSER_MAX_INPUT) or
 * ERR_NOMEM. On error *out is NULL and nothing leaks. */
int parser_parse(const char *sql, size_t len, struct ast_script **out, struct err *e);

/* Parse one expression (the whole input). On success *out is a new
 * statement of kind AST_S_EXPR (free with ast_stmt_free). Same errors as
 * parser_parse. */
int parser_parse_expr(const char *sql, size_t len, struct ast_stmt **out, struct err *e);

/* Parse one data type name ("decimal(10,2)", "varchar(20)", "bigint") into
 * *out. Returns 0 or ERR_PARSE (unknown or unsupported type, bad precision)
 * / ERR_TOOBIG with e filled. */
int parser_parse_type(const char *sql, size_t len, struct type *out, struct err *e);

#endif
