/* test_engine_faults.c: the engine under faults -- an executor process
 * SIGKILLed in the middle of a shuffle, and a memory budget small enough to
 * force spilling -- must give the same answers as an undisturbed run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "tests/tap.h"

static char dir[] = "/tmp/kindling-faults-XXXXXX";
static char exe[4096];

/* 400,000 rows with about 250,000 distinct (k1, k2) keys in scrambled order. */
static void write_data(void) {
  char path[4200];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "k1,k2,v\n");
  unsigned x = 12345;
  for (int i = 0; i < 400000; i++) {
    x = x * 1103515245u + 12345u;
    int k = (int)((x >> 8) % 400000);
    fprintf(f, "%d,%d,%d\n", k / 100, k % 100, i % 997);
  }
  fclose(f);
}

struct events {
  int n;
  char last[512];
  int64_t spill;
};

static void on_progress(void *arg, const struct engine_progress *p) {
  struct events *ev = arg;
  if (p->spill_bytes > ev->spill) ev->spill = p->spill_bytes;
}

static void on_event(void *arg, const char *msg) {
  struct events *ev = arg;
  ev->n++;
  snprintf(ev->last, sizeof ev->last, "%s", msg);
}

/* Run the script and return the last result as CSV text (malloc'd). */
static char *run(const char *master, const char *conf_key, const char *conf_val, int kill_ms,
                 struct events *ev, struct err *e) {
  struct engine *en;
  struct readopt_kv kv[2] = {{"spark.sql.shuffle.partitions", "6"}, {conf_key, conf_val}};
  if (engine_new(&en, master, kv, conf_key ? 2 : 1, exe, e)) return NULL;
  char sql[8192];
  snprintf(sql, sizeof sql,
           "CREATE TABLE t (k1 INT, k2 INT, v INT) USING csv OPTIONS (path '%s/t.csv', header "
           "'true');\n"
           "SELECT k1, k2, count(*) AS n, sum(v) AS s FROM t GROUP BY k1, k2 "
           "ORDER BY s DESC, k1, k2 LIMIT 20",
           dir);
  if (kill_ms >= 0) engine_test_kill_executor(en, 0, kill_ms);
  struct engine_callbacks cb = {on_progress, on_event, ev};
  struct engine_result **rs;
  int n;
  char *out = NULL;
  if (engine_sql(en, sql, strlen(sql), &cb, &rs, &n, e) == 0) {
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    engine_result_format(rs[n - 1], "csv", &b);
    out = b.data ? buf_steal(&b) : strdup("");
  }
  for (int i = 0; rs && i < n; i++) engine_result_free(rs[i]);
  if (rs) free(rs);
  engine_free(en);
  return out;
}

int main(void) {
  const char *bd = getenv("top_builddir");
  snprintf(exe, sizeof exe, "%s/kindling", bd ? bd : ".");
  if (!mkdtemp(dir)) return 1;
  write_data();
  struct err e;
  struct events ev = {0, "", 0};
  err_clear(&e);
  char *base = run("local[2]", NULL, NULL, -1, &ev, &e);
  TAP_OK(base && strlen(base) > 100, "baseline answer on task threads%s%s", base ? "" : ": ",
         base ? "" : e.msg);

  /* Executor processes, one of them SIGKILLed while the job runs. */
  struct events kev = {0, "", 0};
  err_clear(&e);
  char *killed = run("local-cluster[2,1,512]", NULL, NULL, 30, &kev, &e);
  TAP_OK(killed && base && strcmp(killed, base) == 0, "same answer after an executor is killed%s%s",
         killed ? "" : ": ", killed ? "" : e.msg);
  TAP_OK(kev.n > 0 && strstr(kev.last, "lost"), "a warning says an executor was lost (\"%s\")",
         kev.last);

  /* A 16 MB executor (about 10 MB of execution memory) must spill. */
  struct events sev = {0, "", 0};
  err_clear(&e);
  char *spilled = run("local-cluster[1,2,512]", "spark.executor.memory", "16m", -1, &sev, &e);
  TAP_OK(spilled && base && strcmp(spilled, base) == 0, "same answer under a 16 MB executor%s%s",
         spilled ? "" : ": ", spilled ? "" : e.msg);
  TAP_OK(sev.spill > 0, "the aggregation spilled (%lld bytes)", (long long)sev.spill);

  free(base);
  free(killed);
  free(spilled);
  fs_rmtree(dir);
  return tap_done();
}
