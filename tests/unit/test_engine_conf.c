/* test_engine_conf.c: the session's configuration -- SET, and RESET, which
 * restores the values the session was started with (`--conf`,
 * `%%configure`) as Spark's RESET does, for every key or for one key; the
 * restored values are the ones queries are planned with; and the same
 * through `kindling sql --conf ... -e "RESET; ..."`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "tests/tap.h"

static char dir[] = "/tmp/kindling-conftest-XXXXXX";
static char exe[4096];

/* Run sql; the last result as tab-separated text (malloc'd), or NULL with
 * the error printed. */
static char *run(struct engine *en, const char *sql) {
  struct engine_result **rs = NULL;
  int nr = 0;
  struct err e;
  err_clear(&e);
  int rc = engine_sql(en, sql, strlen(sql), NULL, &rs, &nr, &e);
  char *out = NULL;
  if (rc) {
    printf("#   %s: %s\n", sql, e.msg);
  } else {
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    if (nr > 0) engine_result_format(rs[nr - 1], "tsv", &b);
    out = b.data ? buf_steal(&b) : strdup("");
  }
  for (int i = 0; i < nr; i++) engine_result_free(rs[i]);
  free(rs);
  return out;
}

/* SET key's answer equals want ("<undefined>" for an unset key). */
static int set_shows(struct engine *en, const char *key, const char *want) {
  char q[256], w[512];
  snprintf(q, sizeof q, "SET %s", key);
  snprintf(w, sizeof w, "%s\t%s\n", key, want);
  char *got = run(en, q);
  int ok = got && strcmp(got, w) == 0;
  if (!ok) printf("#   SET %s gave '%s', want '%s'\n", key, got ? got : "(error)", w);
  free(got);
  return ok;
}

/* engine_conf_get(key) equals want (NULL: unset). */
static int conf_is(struct engine *en, const char *key, const char *want) {
  const char *got = engine_conf_get(en, key);
  int ok = want ? got && strcmp(got, want) == 0 : got == NULL;
  if (!ok) printf("#   %s = '%s', want '%s'\n", key, got ? got : "(unset)", want ? want : "(unset)");
  return ok;
}

/* The number of shuffle partitions EXPLAIN shows for a GROUP BY over t. */
static int planned_partitions(struct engine *en) {
  char *plan = run(en, "EXPLAIN SELECT k, count(*) FROM t GROUP BY k");
  int n = -1;
  const char *h = plan ? strstr(plan, "hashpartitioning(") : NULL;
  if (h) {
    const char *comma = strchr(h, ',');
    if (comma) n = atoi(comma + 1);
  }
  if (n < 0) printf("#   no hashpartitioning in the plan: %s\n", plan ? plan : "(error)");
  free(plan);
  return n;
}

static void test_reset(void) {
  struct readopt_kv conf[] = {{"spark.sql.shuffle.partitions", "3"},
                              {"spark.executor.memory", "512m"},
                              {"spark.myapp.flag", "on"}};
  struct engine *en;
  struct err e;
  err_clear(&e);
  if (engine_new(&en, "local[2]", conf, 3, exe, &e)) {
    TAP_OK(0, "engine_new: %s", e.msg);
    return;
  }
  char sql[4400];
  snprintf(sql, sizeof sql,
           "CREATE TABLE t (k INT, v INT) USING csv OPTIONS (path '%s/t.csv', header 'true')", dir);
  free(run(en, sql));

  /* RESET at once: nothing was changed, the session-start values stay. */
  free(run(en, "RESET"));
  TAP_OK(set_shows(en, "spark.sql.shuffle.partitions", "3") &&
             conf_is(en, "spark.executor.memory", "512m") && conf_is(en, "spark.myapp.flag", "on"),
         "RESET keeps the session-start settings");
  TAP_EQ_INT(planned_partitions(en), 3, "a query after RESET is planned with the session's 3 partitions");

  /* RESET key: restores that key only. */
  free(run(en, "SET spark.sql.shuffle.partitions=9"));
  free(run(en, "SET spark.executor.memory=1g"));
  free(run(en, "SET spark.sql.autoBroadcastJoinThreshold=1m"));
  TAP_EQ_INT(planned_partitions(en), 9, "SET spark.sql.shuffle.partitions=9: planned with 9 partitions");
  free(run(en, "RESET spark.sql.shuffle.partitions"));
  TAP_OK(set_shows(en, "spark.sql.shuffle.partitions", "3") &&
             conf_is(en, "spark.executor.memory", "1g") &&
             conf_is(en, "spark.sql.autoBroadcastJoinThreshold", "1m"),
         "RESET key restores its session-start value and leaves other keys alone");
  TAP_EQ_INT(planned_partitions(en), 3, "RESET key: planned with 3 partitions again");
  free(run(en, "RESET spark.sql.autoBroadcastJoinThreshold"));
  TAP_OK(set_shows(en, "spark.sql.autoBroadcastJoinThreshold", "<undefined>"),
         "RESET of a key set after the start unsets it");
  free(run(en, "RESET SPARK.EXECUTOR.MEMORY"));
  TAP_OK(conf_is(en, "spark.executor.memory", "512m"), "RESET key ignores the key's case");
  char *r = run(en, "RESET spark.never.set");
  TAP_OK(r != NULL && conf_is(en, "spark.never.set", NULL),
         "RESET of a key never set is no error and sets nothing");
  free(r);

  /* RESET of everything after changes, then SET again. */
  free(run(en, "SET spark.sql.shuffle.partitions=11"));
  free(run(en, "SET spark.myapp.flag=off"));
  free(run(en, "SET spark.other=x"));
  free(run(en, "RESET"));
  TAP_OK(set_shows(en, "spark.sql.shuffle.partitions", "3") &&
             conf_is(en, "spark.myapp.flag", "on") && conf_is(en, "spark.other", NULL) &&
             conf_is(en, "spark.executor.memory", "512m"),
         "RESET restores every session-start value and drops keys set later");
  char *all = run(en, "SET");
  TAP_OK(all && strstr(all, "spark.sql.shuffle.partitions\t3\n") &&
             strstr(all, "spark.executor.memory\t512m\n") && strstr(all, "spark.myapp.flag\ton\n") &&
             !strstr(all, "spark.other"),
         "SET after RESET lists the session-start settings");
  free(all);
  free(run(en, "SET spark.sql.shuffle.partitions=6"));
  TAP_OK(set_shows(en, "spark.sql.shuffle.partitions", "6"), "SET after RESET takes effect");
  TAP_EQ_INT(planned_partitions(en), 6, "SET after RESET: planned with 6 partitions");
  /* A second RESET restores the start value again, not the value of the
   * previous RESET's time. */
  free(run(en, "RESET"));
  TAP_OK(set_shows(en, "spark.sql.shuffle.partitions", "3"), "a second RESET restores 3 again");
  engine_free(en);

  /* A session started without settings: RESET leaves nothing. */
  if (engine_new(&en, "local[1]", NULL, 0, exe, &e)) {
    TAP_OK(0, "engine_new: %s", e.msg);
    return;
  }
  free(run(en, "SET spark.sql.shuffle.partitions=5"));
  free(run(en, "RESET"));
  char *none = run(en, "SET");
  TAP_OK(none && !*none && set_shows(en, "spark.sql.shuffle.partitions", "<undefined>"),
         "no session-start settings: RESET unsets everything");
  free(none);
  engine_free(en);
}

/* The command line of the bug report: kindling sql --conf K=V -e "RESET; SET K". */
static void test_cli(void) {
  char cmd[8400];
  snprintf(cmd, sizeof cmd,
           "'%s' sql --master 'local[1]' --format tsv --conf spark.sql.shuffle.partitions=3 "
           "-e 'SET spark.sql.shuffle.partitions=8; RESET; SET spark.sql.shuffle.partitions; "
           "SET spark.sql.shuffle.partitions=4; RESET spark.sql.shuffle.partitions; "
           "SET spark.sql.shuffle.partitions' 2>/dev/null",
           exe);
  FILE *p = popen(cmd, "r");
  struct buf out;
  buf_init(&out, 1 << 20);
  char chunk[4096];
  size_t n;
  while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0) buf_append(&out, chunk, n);
  int st = p ? pclose(p) : -1;
  const char *o = out.data ? out.data : "";
  const char *first = strstr(o, "spark.sql.shuffle.partitions\t3");
  const char *second = first ? strstr(first + 1, "spark.sql.shuffle.partitions\t3") : NULL;
  TAP_OK(st == 0 && first && second && !strstr(o, "<undefined>"),
         "kindling sql --conf spark.sql.shuffle.partitions=3: RESET and RESET key give 3 back");
  if (!(st == 0 && first && second)) printf("#   exit %d, output:\n%s\n", st, o);
  buf_fini(&out);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  const char *builddir = getenv("top_builddir");
  snprintf(exe, sizeof exe, "%s/kindling", builddir ? builddir : ".");
  if (getenv("KINDLING_EXE")) snprintf(exe, sizeof exe, "%s", getenv("KINDLING_EXE"));
  char path[4200];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fprintf(f, "k,v\n");
  for (int i = 0; i < 100; i++) fprintf(f, "%d,%d\n", i % 7, i);
  fclose(f);
  test_reset();
  test_cli();
  fs_rmtree(dir);
  return tap_done();
}
