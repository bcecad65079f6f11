/* test_sqllogic.c: runs the SQL logic test files (tests/sql/NAME.test) on the
 * local engine and reports one TAP line per record.
 *
 * File format (blank lines separate records; '#' lines are comments):
 *   statement ok                 SQL that must succeed
 *   statement error SUBSTRING    SQL that must fail with SUBSTRING in the message
 *   statement error at L:C SUBSTRING   ... and point at line L, column C
 *   query [rowsort]              SQL, then "----", then the expected rows:
 *                                tab-separated, NULL for nulls, as Spark prints
 *                                values; rowsort compares sorted rows
 * ${DATA} in SQL is the tests/sql/data directory, ${TMP} a scratch directory.
 *
 * Usage: test_sqllogic [--master M] FILE...   (default master local[2]);
 * KINDLING_EXE names the kindling binary used for executor processes. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "tests/tap.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
  fclose(f);
  return b.data ? buf_steal(&b) : strdup("");
}

static char *subst(const char *s, const char *data, const char *tmp) {
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  while (*s) {
    if (!strncmp(s, "${DATA}", 7)) {
      buf_puts(&b, data);
      s += 7;
    } else if (!strncmp(s, "${TMP}", 6)) {
      buf_puts(&b, tmp);
      s += 6;
    } else {
      buf_putc(&b, *s++);
    }
  }
  return b.data ? buf_steal(&b) : strdup("");
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of text in place (rowsort). */
static char *sort_lines(const char *text) {
  char *copy = strdup(text);
  int n = 0, cap = 16;
  char **lines = malloc(sizeof *lines * (size_t)cap);
  for (char *save, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (n == cap) lines = realloc(lines, sizeof *lines * (size_t)(cap *= 2));
    lines[n++] = l;
  }
  qsort(lines, (size_t)n, sizeof *lines, cmp_str);
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  for (int i = 0; i < n; i++) {
    buf_puts(&b, lines[i]);
    buf_putc(&b, '\n');
  }
  free(lines);
  free(copy);
  return b.data ? buf_steal(&b) : strdup("");
}

static const char *cur_master = "";

static int run_file(struct engine *en, const char *path, const char *data, const char *tmp) {
  char *text = slurp(path);
  if (!text) {
    TAP_OK(0, "%s: cannot read", path);
    return 1;
  }
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char *p = text;
  int line = 1;
  while (*p) {
    /* Skip blank and comment lines. */
    if (*p == '\n' || *p == '#') {
      char *nl = strchr(p, '\n');
      line++;
      if (!nl) break;
      p = nl + 1;
      continue;
    }
    int start_line = line;
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = 0;
    char *header = p;
    p = nl + 1;
    line++;
    /* Body: up to a blank line; split at "----". */
    struct buf sql, expect;
    buf_init(&sql, BUF_UNLIMITED);
    buf_init(&expect, BUF_UNLIMITED);
    int in_expect = 0;
    while (*p && *p != '\n') {
      char *e = strchr(p, '\n');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      if (n == 4 && !strncmp(p, "----", 4))
        in_expect = 1;
      else if (in_expect) {
        buf_append(&expect, p, n);
        buf_putc(&expect, '\n');
      } else {
        buf_append(&sql, p, n);
        buf_putc(&sql, '\n');
      }
      p = e ? e + 1 : p + n;
      line++;
    }
    char *q = subst(sql.data ? sql.data : "", data, tmp);
    struct engine_result **rs = NULL;
    int nr = 0;
    struct err e;
    err_clear(&e);
    int rc = engine_sql(en, q, strlen(q), NULL, &rs, &nr, &e);
    char *title = q;
    while (*title == ' ') title++;
    char shown[61];
    snprintf(shown, sizeof shown, "%s", title);
    for (char *c = shown; *c; c++)
      if (*c == '\n' || *c == '\t') *c = ' ';
    if (!strncmp(header, "statement ok", 12)) {
      TAP_OK(rc == 0, "[%s] %s:%d: %s", cur_master, base, start_line, shown);
      if (rc) printf("#   error: %s\n", e.msg);
    } else if (!strncmp(header, "statement error", 15) || !strncmp(header, "query error", 11)) {
      const char *want = strstr(header, "error") + 5;
      while (*want == ' ') want++;
      if (!*want && expect.data) want = expect.data;
      /* "at LINE:COL SUBSTRING" also checks the position the error points at. */
      int wl_line = 0, wl_col = 0, used = 0;
      if (sscanf(want, "at %d:%d %n", &wl_line, &wl_col, &used) == 2 && used > 0) want += used;
      char *w = strdup(want);
      size_t wl = strlen(w);
      while (wl && w[wl - 1] == '\n') w[--wl] = 0;
      int pos_ok = !wl_line || (e.line == wl_line && e.column == wl_col);
      TAP_OK(rc != 0 && strstr(e.msg, w) && pos_ok, "[%s] %s:%d: error %s", cur_master, base,
             start_line, shown);
      if (rc == 0) printf("#   succeeded, expected an error containing \"%s\"\n", w);
      else if (!strstr(e.msg, w)) printf("#   error was: %s\n#   expected: %s\n", e.msg, w);
      if (rc && !pos_ok)
        printf("#   error at %d:%d, expected at %d:%d\n", e.line, e.column, wl_line, wl_col);
      free(w);
    } else if (!strncmp(header, "query", 5)) {
      int rowsort = strstr(header, "rowsort") != NULL;
      struct buf got;
      buf_init(&got, BUF_UNLIMITED);
      if (!rc && nr > 0) engine_result_format(rs[nr - 1], "tsv", &got);
      char *g = rowsort ? sort_lines(got.data ? got.data : "") : strdup(got.data ? got.data : "");
      char *x = rowsort ? sort_lines(expect.data ? expect.data : "")
                        : strdup(expect.data ? expect.data : "");
      int ok = rc == 0 && strcmp(g, x) == 0;
      TAP_OK(ok, "[%s] %s:%d: %s", cur_master, base, start_line, shown);
      if (rc) printf("#   error: %s\n", e.msg);
      else if (!ok) printf("#   got:\n%s#   want:\n%s", g, x);
      free(g);
      free(x);
      buf_fini(&got);
    } else {
      TAP_OK(0, "%s:%d: unknown record '%s'", base, start_line, header);
    }
    for (int i = 0; i < nr; i++) engine_result_free(rs[i]);
    free(rs);
    free(q);
    buf_fini(&sql);
    buf_fini(&expect);
  }
  free(text);
  return 0;
}

int main(int argc, char **argv) {
  const char *master = "local[2]";
  int first = 1;
  if (argc > 2 && !strcmp(argv[1], "--master")) {
    master = argv[2];
    first = 3;
  }
  const char *srcdir = getenv("top_srcdir");
  const char *builddir = getenv("top_builddir");
  char data[4096], tmp[] = "/tmp/kindling-sqllogic-XXXXXX", exe[4096];
  snprintf(data, sizeof data, "%s/tests/sql/data", srcdir ? srcdir : ".");
  snprintf(exe, sizeof exe, "%s/kindling", builddir ? builddir : ".");
  if (getenv("KINDLING_EXE")) snprintf(exe, sizeof exe, "%s", getenv("KINDLING_EXE"));
  if (!mkdtemp(tmp)) return 1;
  /* Relative data paths would depend on the test's working directory. */
  char *abs = realpath(data, NULL);
  if (abs) {
    snprintf(data, sizeof data, "%s", abs);
    free(abs);
  }
  /* Without file arguments: every tests/sql/NAME.test, once with task threads
   * in this process and once with executor processes. */
  glob_t g;
  memset(&g, 0, sizeof g);
  const char *masters[2] = {master, NULL};
  char **files = argv + first;
  int nfiles = argc - first;
  if (nfiles == 0) {
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/tests/sql/*.test", srcdir ? srcdir : ".");
    glob(pat, 0, NULL, &g);
    files = g.gl_pathv;
    nfiles = (int)g.gl_pathc;
    masters[1] = "local-cluster[2,1,512]";
  }
  for (int m = 0; m < 2 && masters[m]; m++) {
    cur_master = masters[m];
    for (int i = 0; i < nfiles; i++) {
      struct engine *en;
      struct err e;
      err_clear(&e);
      if (engine_new(&en, masters[m], NULL, 0, exe, &e)) {
        TAP_OK(0, "engine_new: %s", e.msg);
        continue;
      }
      run_file(en, files[i], data, tmp);
      engine_free(en);
    }
  }
  globfree(&g);
  fs_rmtree(tmp);
  return tap_done();
}
