/* pretty.h: finds the ASCII tables that Spark's Dataset.show() prints in a
 * cell's text output, for %%pretty (kernel layer).
 *
 * show() prints, for truncate=true (cells right-aligned) or false (left):
 *     +---+-----+
 *     |  a|    b|
 *     +---+-----+
 *     |  1|hello|
 *     +---+-----+
 * A table is recognised only when it is complete: a border, a header whose
 * '|' separators sit where the border's '+' are, the same border, rows of
 * the same shape, and the closing border. Anything else (vertical show(),
 * a cut-off table, text that merely looks similar) stays text, so %%pretty
 * never loses output: the parts, concatenated, hold every input line. */
#ifndef KINDLING_PRETTY_H
#define KINDLING_PRETTY_H

#include <jansson.h>
#include <stddef.h>

/* Largest number of columns in a recognised table. */
#define PRETTY_MAX_COLS 1024

struct pretty_part {
  char *text;      /* text part (is_table 0): the lines as printed, owned */
  int is_table;
  json_t *columns; /* table part: array of column names (strings), owned */
  json_t *rows;    /* table part: array of arrays of strings, owned */
};

/* Split text (borrowed, NUL-terminated) into text and table parts, in
 * order. *parts is new (free with pretty_free); *n may be 0 for empty text.
 * Returns 0, or ERR_NOMEM. Never fails on malformed input. */
int pretty_split(const char *text, struct pretty_part **parts, size_t *n);

void pretty_free(struct pretty_part *parts, size_t n);

#endif
