/* complete.h: is_complete, complete and inspect for the three flavours.
 *
 * Cursor positions on the wire count Unicode code points; these functions
 * take and return code points and convert to bytes internally. */
#ifndef KINDLING_COMPLETE_H
#define KINDLING_COMPLETE_H

#include <jansson.h>
#include <stddef.h>

#include "kernel/kernel.h"

struct exec_state;

/* is_complete_reply content (new) for code: "complete" or "incomplete" with
 * an indent hint. Never "invalid" (jupyter console raises on it) and always
 * fast: a console asks on every Enter and gives up after one second. */
json_t *complete_is_complete(const char *code, enum kernel_lang lang);
/* complete_reply content (new): magic names and flags on the magic line,
 * SQL keywords in SQL text. cursor in code points. */
json_t *complete_matches(const char *code, size_t cursor, enum kernel_lang lang,
                         struct exec_state *st);
/* inspect_reply content (new): the documentation of the magic under the
 * cursor. */
json_t *complete_inspect(const char *code, size_t cursor, enum kernel_lang lang);

#endif
