/* eval_regex.h: the evaluator's regular-expression functions on PCRE2, whose
 * syntax is close to Java's java.util.regex that Spark uses: RLIKE /
 * regexp_like, regexp_extract, regexp_extract_all, regexp_replace,
 * regexp_count, regexp_substr and split.
 *
 * Patterns are compiled in UTF-8 mode with PCRE2_MATCH_INVALID_UTF, so
 * invalid UTF-8 in the data never matches a pattern item and never crashes.
 * A constant pattern is compiled (and JIT-compiled when available) once when
 * the program is compiled; a pattern read from a column is compiled per
 * distinct value, keeping the last one. Matching follows Java's
 * Matcher.find: leftmost match, the next search starting at the end of the
 * previous match, one character further after an empty match.
 *
 * The compiled pattern and the cache belong to the node, i.e. to one
 * program, which one thread evaluates at a time (eval.h); match data are
 * made per evaluation, so nothing mutable is shared across threads. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_REGEX_H
#define KINDLING_ENGINE_EXEC_EVAL_REGEX_H

#include <stdint.h>

#include "common/err.h"

struct eval_prog;
struct eval_node;

/* Set nd->kern and nd->aux for a regex function node (FN_RLIKE,
 * FN_REGEXP_EXTRACT, FN_REGEXP_EXTRACT_ALL, FN_REGEXP_REPLACE,
 * FN_REGEXP_COUNT, FN_REGEXP_SUBSTR, FN_SPLIT; arguments already built).
 * A constant invalid pattern is an [INVALID_PARAMETER_VALUE.PATTERN] error
 * at the call's position. Returns 0, ERR_SQL, ERR_UNSUPPORTED or ERR_NOMEM. */
int eval_regex_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

/* Set up the RLIKE operator node nd (EXPR_LIKE, one argument: the subject)
 * for the constant pattern pat[0..len) (borrowed; copied), negated for NOT
 * RLIKE. Returns 0, ERR_SQL (invalid pattern) or ERR_NOMEM. */
int eval_regex_rlike_compile(struct eval_node *nd, const char *pat, uint32_t len, int negated,
                             struct err *err);

#endif
