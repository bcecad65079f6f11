/* buf.h: a growable byte buffer with a hard cap (curl's dynbuf idea).
 *
 * Invariants: data is always NUL-terminated when non-NULL (len excludes the
 * NUL); len < cap_alloc; len never exceeds max. An append that would pass max
 * fails with ERR_TOOBIG and leaves the buffer unchanged, so every network read
 * has a size limit by construction. */
#ifndef KINDLING_BUF_H
#define KINDLING_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
  char *data;       /* owned; NULL until the first append */
  size_t len;       /* bytes used, excluding the trailing NUL */
  size_t alloc;     /* bytes allocated */
  size_t max;       /* hard cap on len */
};

#define BUF_UNLIMITED ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);                        /* len = 0, keeps memory */
int buf_append(struct buf *b, const void *p, size_t n); /* 0 / ERR_NOMEM / ERR_TOOBIG */
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append the decimal digits of x (with '-' when negative): tables and
 * messages write thousands of integers, so not through printf. */
int buf_put_int(struct buf *b, long long x);
/* Append s with HTML special characters (&<>"') escaped. */
int buf_put_html(struct buf *b, const char *s);
/* Append p[0..n) as a JSON string literal: quotes, backslash escapes for
 * '"', '\\' and control characters; other bytes (UTF-8) verbatim. */
int buf_put_json_str(struct buf *b, const char *p, size_t n);
/* Detach the data: returns a new NUL-terminated string (caller frees) and
 * leaves b empty. Never NULL unless out of memory. */
char *buf_steal(struct buf *b);

#endif
