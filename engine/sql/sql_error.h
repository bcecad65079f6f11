/* sql_error.h: showing SQL errors the way Spark does.
 *
 * Spark prints a ParseException (and analysis errors) with the statement and
 * a caret line under the offending token:
 *
 *   == SQL ==
 *   SELECT * FORM t
 *   ---------^^^^
 *
 * These helpers render that display from the SQL text and the 1-based
 * line/column (code points) that struct err carries. */
#ifndef KINDLING_ENGINE_SQL_SQL_ERROR_H
#define KINDLING_ENGINE_SQL_SQL_ERROR_H

#include "common/buf.h"
#include "common/err.h"

/* Append two lines to out: line `line` of sql (NUL-terminated, borrowed),
 * then a caret line: one '-' per code point before `column` (a tab stays a
 * tab so the caret lines up), then `len` carets. len <= 0 means "the length
 * of the token that starts there" (at least 1). Carets never run past the end
 * of the line (+1 for a caret at the end of input). Invalid UTF-8 and control
 * characters in the echoed line are replaced so the result is always valid
 * UTF-8. Returns 0, ERR_INVAL (line/column outside the text), ERR_NOMEM or
 * ERR_TOOBIG (out's cap). */
int sql_error_caret(const char *sql, int line, int column, int len, struct buf *out);

/* Append Spark's full error display for e about sql: "<ename>: <msg>", and
 * when e has a position, a blank line, "== SQL ==", the whole text with the
 * caret line inserted after the error's line. Returns 0, ERR_NOMEM or
 * ERR_TOOBIG. */
int sql_error_render(const char *sql, const struct err *e, struct buf *out);

#endif
