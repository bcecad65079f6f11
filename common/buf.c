/* buf.c: capped growable buffer (see buf.h). */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void buf_init(struct buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
  b->max = max;
}

void buf_fini(struct buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->alloc = 0;
}

void buf_reset(struct buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

static int reserve(struct buf *b, size_t n) {
  if (n > b->max || b->len > b->max - n) return ERR_TOOBIG;
  size_t need = b->len + n + 1;
  if (need <= b->alloc) return 0;
  size_t na = b->alloc ? b->alloc : 64;
  while (na < need) na *= 2;
  char *p = realloc(b->data, na);
  if (!p) return ERR_NOMEM;
  b->data = p;
  b->alloc = na;
  return 0;
}

int buf_append(struct buf *b, const void *p, size_t n) {
  int rc = reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int buf_puts(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_putc(struct buf *b, char c) { return buf_append(b, &c, 1); }

int buf_put_int(struct buf *b, long long x) {
  char num[24], *p = num + sizeof num;
  /* Through unsigned so that the most negative value negates safely. */
  unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
  do *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (x < 0) *--p = '-';
  return buf_append(b, p, (size_t)(num + sizeof num - p));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return ERR_INVAL;
  int rc = reserve(b, (size_t)n);
  if (rc) return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

int buf_put_html(struct buf *b, const char *s) {
  int rc = 0;
  for (const char *p = s; *p && !rc; p++) {
    switch (*p) {
      case '&': rc = buf_puts(b, "&amp;"); break;
      case '<': rc = buf_puts(b, "&lt;"); break;
      case '>': rc = buf_puts(b, "&gt;"); break;
      case '"': rc = buf_puts(b, "&quot;"); break;
      case '\'': rc = buf_puts(b, "&#39;"); break;
      default: rc = buf_putc(b, *p);
    }
  }
  return rc;
}

char *buf_steal(struct buf *b) {
  char *s = b->data;
  if (!s) s = calloc(1, 1);
  b->data = NULL;
  b->len = b->alloc = 0;
  return s;
}

int buf_put_json_str(struct buf *b, const char *p, size_t n) {
  int rc = buf_putc(b, '"');
  for (size_t k = 0; k < n && rc == 0; k++) {
    unsigned char c = (unsigned char)p[k];
    if (c == '"' || c == '\\') rc = buf_printf(b, "\\%c", c);
    else if (c == '\n') rc = buf_puts(b, "\\n");
    else if (c == '\t') rc = buf_puts(b, "\\t");
    else if (c == '\r') rc = buf_puts(b, "\\r");
    else if (c < 0x20) rc = buf_printf(b, "\\u%04x", c);
    else rc = buf_putc(b, (char)c);
  }
  return rc ? rc : buf_putc(b, '"');
}
