/* render.c: result tables as text, HTML and dataresource (see render.h). */
#include "kernel/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "engine/vec/vector.h"

#define MAX_CELL_WIDTH 60 /* longer text cells are cut in the text grid */

const char *render_type_name(json_t *type, char *buf, size_t n) {
  if (json_is_string(type)) return json_string_value(type);
  const char *t = json_string_value(json_object_get(type, "type"));
  const char *et = json_string_value(json_object_get(type, "elementType"));
  if (t && et && !strcmp(t, "array")) snprintf(buf, n, "array<%s>", et);
  else snprintf(buf, n, "%s", t ? t : "?");
  return buf;
}

/* Append the text of one value to b: strings as is, null as NULL, the rest
 * as JSON. */
static int cell_put(struct buf *b, json_t *v) {
  if (json_is_null(v) || !v) return buf_append(b, "NULL", 4);
  if (json_is_string(v)) return buf_append(b, json_string_value(v), json_string_length(v));
  if (json_is_true(v)) return buf_append(b, "true", 4);
  if (json_is_false(v)) return buf_append(b, "false", 5);
  if (json_is_integer(v)) return buf_put_int(b, json_integer_value(v));
  /* Spark prints doubles as Java's Double.toString: the shortest digits
   * that read back to the same value (0.1, not 0.10000000000000001). */
  if (json_is_real(v)) return vector_format_double(json_real_value(v), b);
  if (json_is_array(v)) {
    /* As Spark's show(): [1, 2, null], strings unquoted. */
    int rc = buf_putc(b, '[');
    for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
      json_t *x = json_array_get(v, i);
      if (i) rc = buf_puts(b, ", ");
      if (!rc) rc = json_is_null(x) ? buf_puts(b, "null") : cell_put(b, x);
    }
    return rc ? rc : buf_putc(b, ']');
  }
  char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  int rc = j ? buf_puts(b, j) : 0;
  free(j);
  return rc;
}

static int is_numeric_type(const char *t) {
  static const char *const nums[] = {"integer", "long", "short", "byte", "double", "float", "decimal", "bigint", "int", NULL};
  for (int i = 0; nums[i]; i++)
    if (strncmp(t, nums[i], strlen(nums[i])) == 0) return 1;
  return 0;
}

static void pad(struct buf *b, size_t n) {
  for (size_t i = 0; i < n; i++) buf_putc(b, ' ');
}

json_t *render_table(const struct table *t) {
  json_t *fields = json_object_get(t->schema, "fields");
  size_t ncol = json_array_size(fields), nrow = json_array_size(t->rows);
  char tbuf[64];
  /* Column widths in code points. */
  size_t *w = calloc(ncol ? ncol : 1, sizeof *w);
  int *num = calloc(ncol ? ncol : 1, sizeof *num);
  for (size_t c = 0; c < ncol; c++) {
    json_t *f = json_array_get(fields, c);
    const char *name = json_string_value(json_object_get(f, "name"));
    w[c] = utf8_count(name ? name : "", name ? strlen(name) : 0);
    num[c] = is_numeric_type(render_type_name(json_object_get(f, "type"), tbuf, sizeof tbuf));
  }
  /* Every cell's text, NUL-terminated, in one buffer (tables have tens of
   * thousands of cells: one allocation, not one each); off[i] is where
   * cell i starts, off[i + 1] - 1 where it ends. */
  struct buf cb;
  buf_init(&cb, BUF_UNLIMITED);
  size_t *off = calloc(nrow * ncol + 1, sizeof *off);
  if (!w || !num || !off) {
    free(w);
    free(num);
    free(off);
    return NULL; /* out of memory: no table rather than a crash */
  }
  for (size_t r = 0; r < nrow; r++) {
    json_t *row = json_array_get(t->rows, r);
    for (size_t c = 0; c < ncol; c++) {
      size_t at = cb.len;
      off[r * ncol + c] = at;
      /* No sanitizing: jansson's strings are valid UTF-8 (a copy stops at
       * an embedded NUL, still on a character boundary), the rest ASCII. */
      cell_put(&cb, json_array_get(row, c));
      size_t n = strnlen(cb.data ? cb.data + at : "", cb.len - at);
      cb.len = at + n; /* an embedded NUL ends the cell, as it always did */
      buf_putc(&cb, '\0');
      /* Keep the grid on one line per row. */
      for (char *p = cb.data + at; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
      size_t cw = utf8_count(cb.data + at, n);
      if (cw > MAX_CELL_WIDTH) cw = MAX_CELL_WIDTH;
      if (cw > w[c]) w[c] = cw;
    }
  }
  off[nrow * ncol] = cb.len;
#define CELL(i) (cb.data + off[i])
#define CELL_LEN(i) (off[(i) + 1] - off[i] - 1)
  struct buf text, html;
  buf_init(&text, BUF_UNLIMITED);
  buf_init(&html, BUF_UNLIMITED);
  /* text/plain grid */
  struct buf sep;
  buf_init(&sep, 1 << 20);
  buf_putc(&sep, '+');
  for (size_t c = 0; c < ncol; c++) {
    for (size_t i = 0; i < w[c] + 2; i++) buf_putc(&sep, '-');
    buf_putc(&sep, '+');
  }
  buf_putc(&sep, '\n');
  buf_puts(&text, sep.data);
  buf_putc(&text, '|');
  for (size_t c = 0; c < ncol; c++) {
    const char *name = json_string_value(json_object_get(json_array_get(fields, c), "name"));
    if (!name) name = "";
    buf_putc(&text, ' ');
    buf_puts(&text, name);
    pad(&text, w[c] - utf8_count(name, strlen(name)) + 1);
    buf_putc(&text, '|');
  }
  buf_putc(&text, '\n');
  buf_puts(&text, sep.data);
  for (size_t r = 0; r < nrow; r++) {
    buf_putc(&text, '|');
    for (size_t c = 0; c < ncol; c++) {
      const char *s = CELL(r * ncol + c);
      size_t len = CELL_LEN(r * ncol + c);
      size_t cw = utf8_count(s, len);
      size_t bytes = len;
      if (cw > MAX_CELL_WIDTH) {
        bytes = utf8_offset(s, MAX_CELL_WIDTH - 3);
        cw = MAX_CELL_WIDTH;
      }
      buf_putc(&text, ' ');
      if (num[c]) pad(&text, w[c] - cw);
      buf_append(&text, s, bytes);
      if (bytes < len) buf_puts(&text, "...");
      if (!num[c]) pad(&text, w[c] - cw);
      buf_puts(&text, " |");
    }
    buf_putc(&text, '\n');
  }
  buf_puts(&text, sep.data);
  buf_fini(&sep);
  /* footer */
  char footer[256];
  long long total = t->total;
  char took[48] = ""; /* elapsed < 0: not timed (tables read back from text) */
  if (t->elapsed >= 0) snprintf(took, sizeof took, " (%.3f s)", t->elapsed);
  if (total >= 0 && total > (long long)nrow)
    snprintf(footer, sizeof footer, "showing %zu of %lld rows%s; raise -n to see more", nrow,
             total, took);
  else
    snprintf(footer, sizeof footer, "%zu row%s%s", nrow, nrow == 1 ? "" : "s", took);
  buf_puts(&text, footer);
  /* text/html */
  buf_puts(&html, "<table class=\"dataframe kindling-table\"><thead><tr>");
  for (size_t c = 0; c < ncol; c++) {
    json_t *f = json_array_get(fields, c);
    const char *name = json_string_value(json_object_get(f, "name"));
    buf_puts(&html, "<th>");
    buf_put_html(&html, name ? name : "");
    buf_puts(&html, "<br><small style=\"font-weight:normal;color:#868e96\">");
    buf_put_html(&html, render_type_name(json_object_get(f, "type"), tbuf, sizeof tbuf));
    buf_puts(&html, "</small></th>");
  }
  buf_puts(&html, "</tr></thead><tbody>");
  for (size_t r = 0; r < nrow; r++) {
    buf_puts(&html, "<tr>");
    for (size_t c = 0; c < ncol; c++) {
      json_t *v = json_array_get(json_array_get(t->rows, r), c);
      /* Single-quoted attributes: in the JSON of the message they need no
       * escaping, and this markup repeats for every cell. */
      buf_puts(&html, num[c] ? "<td style='text-align:right'>" : "<td style='text-align:left'>");
      if (json_is_null(v) || !v)
        buf_puts(&html, "<i style='color:#868e96'>NULL</i>");
      else
        buf_put_html(&html, CELL(r * ncol + c));
      buf_puts(&html, "</td>");
    }
    buf_puts(&html, "</tr>");
  }
  buf_puts(&html, "</tbody></table><p style=\"color:#868e96\">");
  buf_put_html(&html, footer);
  buf_puts(&html, "</p>");
  /* dataresource: Table Schema types */
  json_t *dfields = json_array();
  for (size_t c = 0; c < ncol; c++) {
    json_t *f = json_array_get(fields, c);
    const char *tn = render_type_name(json_object_get(f, "type"), tbuf, sizeof tbuf);
    const char *ts = "string";
    if (strncmp(tn, "decimal", 7) == 0 || strcmp(tn, "double") == 0 || strcmp(tn, "float") == 0) ts = "number";
    else if (is_numeric_type(tn)) ts = "integer";
    else if (strcmp(tn, "boolean") == 0) ts = "boolean";
    else if (strcmp(tn, "date") == 0) ts = "date";
    else if (strcmp(tn, "timestamp") == 0) ts = "datetime";
    else if (strncmp(tn, "array", 5) == 0) ts = "array";
    const char *fname = json_string_value(json_object_get(f, "name"));
    json_array_append_new(dfields, json_pack("{s:s, s:s}", "name", fname ? fname : "", "type", ts));
  }
  json_t *ddata = json_array();
  for (size_t r = 0; r < nrow; r++) {
    json_t *o = json_object();
    json_t *row = json_array_get(t->rows, r);
    for (size_t c = 0; c < ncol; c++) {
      const char *name = json_string_value(json_object_get(json_array_get(fields, c), "name"));
      json_t *v = json_array_get(row, c);
      json_object_set_nocheck(o, name ? name : "", v ? v : json_null());
    }
    json_array_append_new(ddata, o);
  }
  /* Both texts are valid UTF-8 by construction (cells are jansson strings,
   * cut on character boundaries): skip jansson's check of megabytes. */
  json_t *bundle = json_pack("{s:o, s:o, s:{s:{s:o}, s:o}}", "text/plain",
                             json_stringn_nocheck(text.data ? text.data : "", text.len),
                             "text/html", json_stringn_nocheck(html.data ? html.data : "", html.len),
                             "application/vnd.dataresource+json", "schema", "fields", dfields,
                             "data", ddata);
#undef CELL
#undef CELL_LEN
  buf_fini(&cb);
  free(off);
  free(w);
  free(num);
  buf_fini(&text);
  buf_fini(&html);
  return bundle;
}
