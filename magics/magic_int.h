/* magic_int.h: internals shared by the magic_*.c files (magics layer only).
 * Nothing outside magics/ includes this header. */
#ifndef KINDLING_MAGIC_INT_H
#define KINDLING_MAGIC_INT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "magics/magic.h"

/* The value of one option in a parsed cell. */
struct magic_val {
  char *value;  /* normalised value as given (owned), NULL if not given */
  char *def;    /* default set by magic_cell_set_default (owned) or NULL */
  int given;    /* 1 when the flag was written */
  size_t off;   /* byte offset of the flag token in the cell when given
                   (columns are computed only for errors: computing one per
                   flag would make thousands of flags quadratic) */
};

/* The registry, in %%help order. */
extern const struct magic_spec magic__registry[];
extern const size_t magic__nregistry;

/* Longest token echoed in a message, in code points. */
#define MAGIC_ECHO_MAX 48

/* Append s[0..n) to b as a quoted, capped, valid-UTF-8 excerpt ('abc' or
 * 'abc...'). */
int magic__echo(struct buf *b, const char *s, size_t n);

/* The synopsis of one command: "%%spark add -s NAME [-k]" (no "usage: "). */
int magic__synopsis(const struct magic_spec *s, const struct magic_cmd *cmd,
                    struct buf *out);
/* Usage of one command: "usage: <synopsis>" and, when full, option lines. */
int magic__cmd_usage(const struct magic_spec *s, const struct magic_cmd *cmd,
                     struct buf *out, int full);

/* Record a UsageError in e at (line, column): the message made from fmt,
 * then, when c is not NULL, the usage of c's command (with the option lines
 * when they fit in the error). Returns ERR_INVAL. */
int magic__usage_error(const struct magic_cell *c, struct err *e, int line,
                       int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Copy a composed message into e, cutting at a UTF-8 boundary. */
void magic__set_err(struct err *e, int code, int line, int column,
                    const char *ename, const char *msg);

/* Position of the magic name of c (for errors about the whole magic). */
void magic__name_pos(const struct magic_cell *c, int *line, int *column);

/* Locate the first line that is neither blank nor comment-only. Sets
 * *line_start to its byte offset and *line_no to its 1-based number. Returns
 * 1 when that line starts (after blanks) with '%', else 0. */
int magic__find_magic_line(const char *cell, size_t len, size_t *line_start,
                           int *line_no);

/* Option lookup in a command: exact long name, or (when prefix_ok) a unique
 * prefix. Returns the index, -1 if none, -2 if the prefix is ambiguous. */
int magic__find_long(const struct magic_cmd *cmd, const char *name, size_t n,
                     int prefix_ok);
int magic__find_short(const struct magic_cmd *cmd, char c);

/* Case-insensitive edit distance of two short ASCII-ish strings, capped: any
 * value > cap comes back as cap + 1. */
size_t magic__distance(const char *a, size_t an, const char *b, size_t bn,
                       size_t cap);

#endif
