/* sql_error.c: Spark-style caret display of SQL errors (see sql_error.h). */
#include "engine/sql/sql_error.h"

#include <string.h>

#include "common/utf8.h"
#include "engine/sql/lexer.h"

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Byte range [*b, *e) of 1-based line `line` in sql; 0 if there is none. */
static int find_line(const char *sql, int line, size_t *b, size_t *e) {
  size_t i = 0;
  for (int l = 1; l < line; l++) {
    const char *nl = strchr(sql + i, '\n');
    if (!nl) return 0;
    i = (size_t)(nl - sql) + 1;
  }
  size_t j = i;
  while (sql[j] && sql[j] != '\n') j++;
  if (j > i && sql[j - 1] == '\r') j--;
  *b = i;
  *e = j;
  return 1;
}

/* Echo sql[b..e) with invalid bytes and control characters (except tab)
 * replaced by U+FFFD / a space. */
static int put_line(struct buf *out, const char *sql, size_t b, size_t e) {
  int rc = 0;
  size_t i = b;
  while (i < e && !rc) {
    unsigned char c = (unsigned char)sql[i];
    if (c < 0x80) {
      rc = buf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c);
      i++;
      continue;
    }
    size_t l = utf8_seq_len((const unsigned char *)sql + i, e - i);
    if (l) {
      rc = buf_append(out, sql + i, l);
      i += l;
    } else {
      rc = buf_puts(out, "\xEF\xBF\xBD");
      i++;
    }
  }
  return rc ? rc : buf_putc(out, '\n');
}

int sql_error_caret(const char *sql, int line, int column, int len, struct buf *out) {
  if (!sql || line < 1 || column < 1) return ERR_INVAL;
  size_t b, e;
  if (!find_line(sql, line, &b, &e)) return ERR_INVAL;
  /* Walk to the column, one code point at a time (a stray continuation
   * byte counts as one, like the replacement shown for it). */
  size_t i = b;
  int col = 1;
  while (col < column && i < e) {
    i++;
    while (i < e && ((unsigned char)sql[i] & 0xC0) == 0x80) i++;
    col++;
  }
  if (col < column) return ERR_INVAL;
  if (len <= 0) {
    struct lexer lx;
    struct lexer_token t;
    lexer_init(&lx, sql + i, e - i);
    int lrc = lexer_next(&lx, &t, NULL);
    if (lrc != 0 && !is_blank(sql[i]))
      len = (int)utf8_count(sql + i, e - i); /* unterminated: to the end of the line */
    else if (lrc == 0 && t.kind != TOK_EOF && t.offset == 0)
      len = (int)utf8_count(sql + i, t.length);
    else
      len = 1;
    if (len < 1) len = 1;
  }
  int room = (int)utf8_count(sql + i, e - i);
  if (room < 1) room = 1;
  if (len > room) len = room;
  int rc = put_line(out, sql, b, e);
  for (size_t k = b; k < i && !rc; k++) {
    unsigned char c = (unsigned char)sql[k];
    if ((c & 0xC0) == 0x80) continue;
    rc = buf_putc(out, c == '\t' ? '\t' : '-');
  }
  for (int k = 0; k < len && !rc; k++) rc = buf_putc(out, '^');
  return rc ? rc : buf_putc(out, '\n');
}

int sql_error_render(const char *sql, const struct err *e, struct buf *out) {
  int rc = buf_printf(out, "%s: %s\n", e->ename[0] ? e->ename : "Error", e->msg);
  if (rc || !sql || e->line < 1 || e->column < 1) return rc;
  struct buf caret;
  buf_init(&caret, out->max);
  if (sql_error_caret(sql, e->line, e->column, 0, &caret) != 0) {
    buf_fini(&caret);
    return 0; /* position outside the text: the message alone */
  }
  rc = buf_puts(out, "\n== SQL ==\n");
  int line = 1;
  size_t i = 0;
  while (!rc && sql[i]) {
    size_t j = i;
    while (sql[j] && sql[j] != '\n') j++;
    if (line == e->line) {
      rc = buf_append(out, caret.data, caret.len);
    } else {
      size_t k = j;
      if (k > i && sql[k - 1] == '\r') k--;
      rc = put_line(out, sql, i, k);
    }
    if (!sql[j]) break;
    i = j + 1;
    line++;
  }
  buf_fini(&caret);
  return rc;
}
