/* pretty.c: show() table recognition for %%pretty (see pretty.h). */
#include "kernel/pretty.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

struct line {
  const char *p;
  size_t len;  /* without the line end */
  size_t full; /* with "\n" (and a "\r" before it) */
};

/* A border "+--+---+": the number of columns (0 if not a border) and the
 * '+' offsets in plus[] (ncols + 1 of them). */
static int parse_border(const struct line *l, size_t *plus) {
  if (l->len < 3 || l->p[0] != '+' || l->p[l->len - 1] != '+') return 0;
  int n = 0;
  plus[0] = 0;
  for (size_t i = 1; i < l->len; i++) {
    char c = l->p[i];
    if (c == '+') {
      if (l->p[i - 1] == '+' || n >= PRETTY_MAX_COLS) return 0;
      plus[++n] = i;
    } else if (c != '-') {
      return 0;
    }
  }
  return n;
}

static int same_line(const struct line *a, const struct line *b) {
  return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* A new string of p[0..n) without the padding show() added. */
static json_t *cell(const char *p, size_t n) {
  while (n && p[0] == ' ') p++, n--;
  while (n && p[n - 1] == ' ') n--;
  json_t *v = json_stringn(p, n);
  if (!v) { /* not UTF-8: keep what can be shown, as the stream would */
    char *clean = utf8_sanitize(p, n);
    v = json_string(clean ? clean : "");
    free(clean);
  }
  return v ? v : json_string("");
}

/* Split a row "|  1|abc|" at the border's columns: by code point position
 * first (values may hold '|'); if the widths differ (wide characters are
 * padded by display width) and the row has exactly the right number of '|',
 * by those. A new array of ncols strings, or NULL when the row does not fit. */
static json_t *split_row(const struct line *l, const size_t *plus, int ncols) {
  if (l->len < 2 || l->p[0] != '|' || l->p[l->len - 1] != '|') return NULL;
  json_t *row = json_array();
  size_t cp = 0, start = 1;
  int col = 0, ok = 1;
  for (size_t i = 0; i < l->len && ok; i++) {
    if (((unsigned char)l->p[i] & 0xC0) == 0x80) continue; /* continuation byte */
    if (col <= ncols && cp == plus[col]) {
      if (l->p[i] != '|') ok = 0;
      else if (col > 0) json_array_append_new(row, cell(l->p + start, i - start));
      start = i + 1;
      col++;
    }
    cp++;
  }
  if (ok && col == ncols + 1 && cp == plus[ncols] + 1) return row;
  json_decref(row);
  int pipes = 0;
  for (size_t i = 0; i < l->len; i++) pipes += l->p[i] == '|';
  if (pipes != ncols + 1) return NULL;
  row = json_array();
  start = 1;
  for (size_t i = 1; i < l->len; i++) {
    if (l->p[i] != '|') continue;
    json_array_append_new(row, cell(l->p + start, i - start));
    start = i + 1;
  }
  return row;
}

static int push(struct pretty_part **parts, size_t *n, size_t *cap, struct pretty_part p) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 4;
    struct pretty_part *np = realloc(*parts, nc * sizeof *np);
    if (!np) return ERR_NOMEM;
    *parts = np;
    *cap = nc;
  }
  (*parts)[(*n)++] = p;
  return 0;
}

/* Try a table at lines[i]: its line count, 0 if none; *out filled. */
static size_t try_table(const struct line *lines, size_t nlines, size_t i, size_t *plus,
                        struct pretty_part *out) {
  int ncols = parse_border(&lines[i], plus);
  if (!ncols || i + 3 > nlines) return 0;
  json_t *hdr = split_row(&lines[i + 1], plus, ncols);
  if (!hdr) return 0;
  if (!same_line(&lines[i], &lines[i + 2])) {
    json_decref(hdr);
    return 0;
  }
  json_t *rows = json_array();
  for (size_t j = i + 3; j < nlines; j++) {
    if (same_line(&lines[i], &lines[j])) {
      out->is_table = 1;
      out->text = NULL;
      out->columns = hdr;
      out->rows = rows;
      return j - i + 1;
    }
    json_t *r = split_row(&lines[j], plus, ncols);
    if (!r) break;
    json_array_append_new(rows, r);
  }
  json_decref(hdr);
  json_decref(rows);
  return 0;
}

static int flush_text(const char *from, const char *to, struct pretty_part **parts, size_t *n,
                      size_t *cap) {
  if (to <= from) return 0;
  struct pretty_part p = {strndup(from, (size_t)(to - from)), 0, NULL, NULL};
  if (!p.text || push(parts, n, cap, p)) {
    free(p.text);
    return ERR_NOMEM;
  }
  return 0;
}

int pretty_split(const char *text, struct pretty_part **parts, size_t *n) {
  *parts = NULL;
  *n = 0;
  size_t nlines = 0, lcap = 0, cap = 0;
  struct line *lines = NULL;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t full = nl ? (size_t)(nl - p) + 1 : strlen(p);
    size_t len = nl ? (size_t)(nl - p) : full;
    if (len && p[len - 1] == '\r') len--;
    if (nlines == lcap) {
      lcap = lcap ? lcap * 2 : 64;
      struct line *nl2 = realloc(lines, lcap * sizeof *lines);
      if (!nl2) {
        free(lines);
        return ERR_NOMEM;
      }
      lines = nl2;
    }
    lines[nlines++] = (struct line){p, len, full};
    p += full;
  }
  size_t *plus = malloc((PRETTY_MAX_COLS + 1) * sizeof *plus);
  int rc = plus ? 0 : ERR_NOMEM;
  const char *pending = text; /* start of text not yet in a part */
  for (size_t i = 0; i < nlines && !rc;) {
    struct pretty_part t;
    size_t used = lines[i].p[0] == '+' ? try_table(lines, nlines, i, plus, &t) : 0;
    if (!used) {
      i++;
      continue;
    }
    rc = flush_text(pending, lines[i].p, parts, n, &cap);
    if (!rc && push(parts, n, &cap, t)) rc = ERR_NOMEM;
    if (rc) {
      json_decref(t.columns);
      json_decref(t.rows);
      break;
    }
    i += used;
    pending = lines[i - 1].p + lines[i - 1].full;
  }
  if (!rc) rc = flush_text(pending, text + strlen(text), parts, n, &cap);
  free(plus);
  free(lines);
  if (rc) {
    pretty_free(*parts, *n);
    *parts = NULL;
    *n = 0;
  }
  return rc;
}

void pretty_free(struct pretty_part *parts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(parts[i].text);
    json_decref(parts[i].columns);
    json_decref(parts[i].rows);
  }
  free(parts);
}
