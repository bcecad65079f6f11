/* sqlcli.c: `kindling sql` and `kindling submit` (see sqlcli.h). */
#include "engine/cli/sqlcli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "engine/engine.h"
#include "engine/sql/sql_error.h"

#define MAX_SCRIPT ((size_t)64 << 20)

const char *sqlcli_usage(void) {
  return "  sql [-e SQL | -f FILE] [-i INIT_FILE] [OPTIONS]\n"
         "                      run Spark SQL on the local engine (stdin without -e/-f)\n"
         "                      and print each result as a table\n"
         "  submit [OPTIONS] FILE.sql\n"
         "                      run a SQL script, as spark-submit does\n"
         "      OPTIONS: --master local[N]|local[*]|local-cluster[E,C,MB]\n"
         "               --num-executors N  --executor-cores C  --executor-memory SIZE\n"
         "               --conf KEY=VALUE (repeatable)  --format table|csv|json|tsv\n"
         "               --progress | --no-progress (stage progress bar on stderr)\n"
         "               --silent (no timing lines on stderr)\n";
}

struct progress_state {
  int enabled;
  int shown;
  int last_stage, last_done;
};

static void on_progress(void *arg, const struct engine_progress *p) {
  struct progress_state *s = arg;
  if (!s->enabled || p->elapsed_ms < 500) return;
  if (s->shown && s->last_stage == p->stage_id && s->last_done == p->done && p->running) return;
  s->last_stage = p->stage_id;
  s->last_done = p->done;
  /* Spark's console bar: [Stage 1:=====>     (3 + 2) / 6] */
  int width = 30, filled = p->total ? (int)((long)width * p->done / p->total) : 0;
  char bar[64];
  for (int i = 0; i < width; i++) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
  bar[width] = 0;
  fprintf(stderr, "\r[Stage %d:%s(%d + %d) / %d]", p->stage_id, bar, p->done, p->running, p->total);
  s->shown = 1;
  fflush(stderr);
}

static void clear_progress(struct progress_state *s) {
  if (s->shown) fprintf(stderr, "\r%60s\r", "");
  s->shown = 0;
}

static void on_event(void *arg, const char *msg) {
  clear_progress(arg);
  fprintf(stderr, "WARN: %s\n", msg);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  struct buf b;
  buf_init(&b, MAX_SCRIPT);
  char chunk[65536];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = buf_append(&b, chunk, n);
  if (f != stdin) fclose(f);
  if (rc) {
    buf_fini(&b);
    errno = EFBIG;
    return NULL;
  }
  *len = b.len;
  if (!b.data) return strdup("");
  return buf_steal(&b);
}

/* Run a script; returns 0 or 1. */
static int run_script(struct engine *en, const char *name, const char *sql, size_t len,
                      const char *format, int print, struct progress_state *ps, int silent) {
  struct engine_callbacks cb = {on_progress, on_event, ps};
  struct engine_result **rs;
  int n;
  struct err e;
  err_clear(&e);
  int rc = engine_sql(en, sql, len, &cb, &rs, &n, &e);
  clear_progress(ps);
  struct buf out;
  buf_init(&out, BUF_UNLIMITED);
  for (int i = 0; i < n; i++) {
    if (print && rs[i]->schema.ncols) {
      buf_reset(&out);
      engine_result_format(rs[i], format, &out);
      if (out.len) fwrite(out.data, 1, out.len, stdout);
      fflush(stdout);
    }
    if (!silent && print)
      fprintf(stderr, "Time taken: %.3f seconds, Fetched %lld row(s)\n", rs[i]->elapsed_ms / 1000.0,
              (long long)rs[i]->nrows);
    engine_result_free(rs[i]);
  }
  free(rs);
  if (rc) {
    buf_reset(&out);
    /* The rendering names the error class itself, with the caret. */
    if (e.line > 0 && sql_error_render(sql, &e, &out) == 0 && out.len)
      fprintf(stderr, "Error in %s: %s\n", name, out.data);
    else
      fprintf(stderr, "Error in %s: %s%s%s\n", name, e.ename[0] ? e.ename : "", e.ename[0] ? ": " : "",
              e.msg);
  }
  buf_fini(&out);
  return rc ? 1 : 0;
}

struct kvs {
  struct readopt_kv *kv;
  int n, cap;
};

static int kvs_add(struct kvs *k, const char *key, const char *value) {
  if (k->n == k->cap) {
    int cap = k->cap ? k->cap * 2 : 8;
    struct readopt_kv *n = realloc(k->kv, sizeof *n * (size_t)cap);
    if (!n) return -1;
    k->kv = n;
    k->cap = cap;
  }
  k->kv[k->n].key = key;
  k->kv[k->n].value = value;
  k->n++;
  return 0;
}

int sqlcli_main(int argc, char **argv, int submit) {
  const char *expr = NULL, *file = NULL, *init = NULL, *master = NULL, *format = "table";
  struct kvs conf = {0};
  char *owned[64];
  int nowned = 0;
  int progress = isatty(2), silent = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                        \
  do {                                                                    \
    if (!v) {                                                             \
      fprintf(stderr, "kindling %s: %s needs a value\n", argv[0], a);     \
      free(conf.kv);                                                      \
      return 2;                                                           \
    }                                                                     \
    i++;                                                                  \
  } while (0)
    if (!strcmp(a, "-e") && !submit) {
      NEED_ARG();
      expr = v;
    } else if (!strcmp(a, "-f") && !submit) {
      NEED_ARG();
      file = v;
    } else if (!strcmp(a, "-i")) {
      NEED_ARG();
      init = v;
    } else if (!strcmp(a, "--master")) {
      NEED_ARG();
      master = v;
    } else if (!strcmp(a, "--format")) {
      NEED_ARG();
      format = v;
      if (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json") && strcmp(v, "tsv")) {
        fprintf(stderr, "kindling %s: --format must be table, csv, json or tsv\n", argv[0]);
        free(conf.kv);
        return 2;
      }
    } else if (!strcmp(a, "--num-executors")) {
      NEED_ARG();
      kvs_add(&conf, "spark.executor.instances", v);
    } else if (!strcmp(a, "--executor-cores")) {
      NEED_ARG();
      kvs_add(&conf, "spark.executor.cores", v);
    } else if (!strcmp(a, "--executor-memory")) {
      NEED_ARG();
      kvs_add(&conf, "spark.executor.memory", v);
    } else if (!strcmp(a, "--driver-memory")) {
      NEED_ARG();
      kvs_add(&conf, "spark.driver.memory", v);
    } else if (!strcmp(a, "--conf")) {
      NEED_ARG();
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || nowned == 64) {
        fprintf(stderr, "kindling %s: --conf takes KEY=VALUE, not '%s'\n", argv[0], v);
        free(conf.kv);
        return 2;
      }
      char *key = strndup(v, (size_t)(eq - v));
      owned[nowned++] = key;
      kvs_add(&conf, key, eq + 1);
    } else if (!strcmp(a, "--progress")) {
      progress = 1;
    } else if (!strcmp(a, "--no-progress")) {
      progress = 0;
    } else if (!strcmp(a, "--silent") || !strcmp(a, "-S")) {
      silent = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs("usage:\n", stdout);
      fputs(sqlcli_usage(), stdout);
      free(conf.kv);
      return 0;
    } else if (submit && a[0] != '-' && !file) {
      file = a;
    } else {
      fprintf(stderr, "kindling %s: unknown argument '%s'\nusage:\n%s", argv[0], a, sqlcli_usage());
      free(conf.kv);
      return 2;
    }
  }
  if (submit && !file) {
    fprintf(stderr, "kindling submit: which SQL file? usage:\n%s", sqlcli_usage());
    free(conf.kv);
    return 2;
  }
  if (expr && file) {
    fprintf(stderr, "kindling sql: give -e or -f, not both\n");
    free(conf.kv);
    return 2;
  }
  struct engine *en;
  struct err e;
  err_clear(&e);
  int status = 0;
  if (engine_new(&en, master, conf.kv, conf.n, "/proc/self/exe", &e)) {
    fprintf(stderr, "kindling %s: %s\n", argv[0], e.msg);
    status = 2;
  }
  struct progress_state ps = {progress, 0, -1, -1};
  if (!status && init) {
    size_t len;
    char *text = read_file(init, &len);
    if (!text) {
      fprintf(stderr, "kindling %s: cannot read %s: %s\n", argv[0], init, strerror(errno));
      status = 1;
    } else {
      status = run_script(en, init, text, len, format, 0, &ps, silent);
      free(text);
    }
  }
  if (!status) {
    size_t len = 0;
    char *text = expr ? strdup(expr) : read_file(file ? file : "-", &len);
    if (expr && text) len = strlen(text);
    if (!text) {
      fprintf(stderr, "kindling %s: cannot read %s: %s\n", argv[0], file ? file : "stdin",
              strerror(errno));
      status = 1;
    } else {
      status = run_script(en, file ? file : "-e", text, len, format, 1, &ps, silent);
      free(text);
    }
  }
  engine_free(en);
  for (int i = 0; i < nowned; i++) free(owned[i]);
  free(conf.kv);
  return status;
}
