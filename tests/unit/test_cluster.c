/* test_cluster.c: the runtime end to end -- executor processes and the
 * in-process mode running a two-stage job (map: generate rows and shuffle
 * by key; reduce: sum per key), retries, an always-failing task, a crashing
 * executor, an executor killed mid-job, a lost shuffle file, cancellation,
 * and a clean stop.
 *
 * This binary is also the executor: `test_cluster executor ...` runs
 * executor_main with the same task function. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/cluster/cluster.h"
#include "engine/cluster/shuffle.h"
#include "common/fs.h"
#include "tests/tap.h"

/* Job description: "rows map_sleep_ms reduce_sleep_ms fail_mode". */
enum { FAIL_NONE, FAIL_ONCE, FAIL_ALWAYS, FAIL_CRASH, FAIL_FETCH, FAIL_CRASH_ALWAYS };

struct desc {
  int rows, map_sleep, red_sleep, fail;
};

#define NKEYS 100

static const struct type TY[3] = {{TYPE_BIGINT, 0, 0}, {TYPE_BIGINT, 0, 0}, {TYPE_STRING, 0, 0}};

static int nap(struct cluster_task *t, int ms, struct err *err) {
  for (int i = 0; i < ms; i += 5) {
    if (atomic_load(t->ctx->cancel)) return err_set(err, ERR_CANCELLED, "task cancelled");
    usleep(5000);
  }
  return 0;
}

static int map_task(struct desc *d, struct cluster_task *t, struct cluster_task_io *io,
                    struct err *err) {
  int rc = nap(t, d->map_sleep, err);
  if (rc) return rc;
  struct shuffle_writer *w;
  int key[1] = {0};
  if ((rc = shuffle_writer_open(&w, t->ctx, t->shuffle_dir, t->shuffle_name, t->nparts_out, key, 1,
                                err)))
    return rc;
  int64_t from = (int64_t)t->task * d->rows, to = from + d->rows;
  struct batch *b = batch_new(TY, 3, 2048, ARENA_UNLIMITED);
  char s[16];
  for (int64_t i = from; i < to && !rc;) {
    batch_reset(b);
    uint32_t n = 0;
    for (; i < to && n < 2048; i++, n++) {
      vector_append_i64(&b->cols[0], i % NKEYS);
      vector_append_i64(&b->cols[1], i);
      snprintf(s, sizeof s, "v%d", (int)(i % 7));
      vector_append_str(&b->cols[2], s, strlen(s));
    }
    batch_set_rows(b, n);
    rc = shuffle_writer_add(w, b, err);
  }
  batch_free(b);
  if (rc) {
    shuffle_writer_abort(w);
    return rc;
  }
  int64_t *pb = calloc((size_t)t->nparts_out, sizeof *pb), *pr = calloc((size_t)t->nparts_out, sizeof *pr);
  char *path = NULL;
  rc = shuffle_writer_commit(w, pb, pr, &path, err);
  if (!rc) rc = io->map_output(io, path, pb, pr, t->nparts_out);
  free(pb);
  free(pr);
  free(path);
  return rc;
}

static int reduce_task(struct desc *d, struct cluster_task *t, struct cluster_task_io *io,
                       struct err *err) {
  if (d->fail == FAIL_ONCE && t->task == 0 && t->attempt == 0)
    return err_set(err, ERR_SQL, "transient failure of task 0");
  if (d->fail == FAIL_ALWAYS && t->task == 1)
    return err_set(err, ERR_SQL, "boom in task 1 (attempt %d)", t->attempt);
  if (d->fail == FAIL_CRASH && t->task == 0 && t->attempt == 0) abort();
  if (d->fail == FAIL_CRASH_ALWAYS && t->task == 0) abort();
  if (d->fail == FAIL_FETCH && t->task == 0 && t->attempt == 0) unlink(t->inputs[0][0]);
  int rc = nap(t, d->red_sleep, err);
  if (rc) return rc;
  if (t->ninputs != 1) return err_set(err, ERR_INVAL, "expected one input");
  struct op *r = op_shuffle_read(t->ctx, TY, 3, t->inputs[0], t->ninput_files[0], t->part_lo,
                                 t->part_hi, err);
  if (!r) return err->code;
  int64_t sum[NKEYS] = {0}, cnt[NKEYS] = {0};
  struct batch *b;
  while ((rc = op_next(r, &b, err)) == 1)
    for (uint32_t i = 0; i < b->nrows; i++) {
      int64_t k = vector_i64(&b->cols[0])[i];
      if (k < 0 || k >= NKEYS) continue;
      sum[k] += vector_i64(&b->cols[1])[i];
      cnt[k]++;
    }
  op_close(r);
  if (rc < 0) return rc;
  struct type ot[3] = {{TYPE_BIGINT, 0, 0}, {TYPE_BIGINT, 0, 0}, {TYPE_BIGINT, 0, 0}};
  struct batch *o = batch_new(ot, 3, NKEYS, ARENA_UNLIMITED);
  uint32_t n = 0;
  for (int k = 0; k < NKEYS; k++)
    if (cnt[k]) {
      vector_append_i64(&o->cols[0], k);
      vector_append_i64(&o->cols[1], sum[k]);
      vector_append_i64(&o->cols[2], cnt[k]);
      n++;
    }
  batch_set_rows(o, n);
  rc = n ? io->emit(io, o, err) : 0;
  batch_free(o);
  if (!rc && t->task == 0) io->warn(io, "reduce task 0 says hello");
  return rc;
}

/* Job "B": one result stage of 4 tasks; task i reports its pid and that it
 * holds block "blk/<3-i>". */
static int block_task(struct cluster_task *t, struct cluster_task_io *io, struct err *err) {
  struct type ot[2] = {{TYPE_INT, 0, 0}, {TYPE_INT, 0, 0}};
  struct batch *o = batch_new(ot, 2, 1, ARENA_UNLIMITED);
  vector_append_i32(&o->cols[0], t->task);
  vector_append_i32(&o->cols[1], (int32_t)getpid());
  batch_set_rows(o, 1);
  int rc = io->emit(io, o, err);
  batch_free(o);
  char name[32];
  snprintf(name, sizeof name, "blk/%d", 3 - t->task); /* reversed: placement must follow */
  io->block_stored(io, name);
  return rc;
}

static int task_fn(void *arg, struct cluster_task *t, struct cluster_task_io *io, struct err *err) {
  (void)arg;
  if (t->job_len == 1 && t->job[0] == 'B') return block_task(t, io, err);
  struct desc d;
  char text[128];
  snprintf(text, sizeof text, "%.*s", (int)t->job_len, t->job);
  if (sscanf(text, "%d %d %d %d", &d.rows, &d.map_sleep, &d.red_sleep, &d.fail) != 4)
    return err_set(err, ERR_INVAL, "bad job description");
  return t->stage == 0 ? map_task(&d, t, io, err) : reduce_task(&d, t, io, err);
}

/* ---- driver side ---- */

#define NMAPS 6
#define NPARTS 8

struct sink {
  int64_t sum[NKEYS], cnt[NKEYS];
  int dup, batches, last_task, order_ok;
  char events[4096];
  int progress_calls, max_running[2], started[2];
  struct cluster *kill_cluster; /* kill executor 0 when the reduce stage runs */
  int killed;
  int stop_after; /* result callback returns 1 after this many batches */
};

static int on_result(void *arg, int task, struct batch *b) {
  struct sink *s = arg;
  if (task < s->last_task) s->order_ok = 0;
  s->last_task = task;
  for (uint32_t i = 0; i < b->nrows; i++) {
    int64_t k = vector_i64(&b->cols[0])[i];
    if (s->cnt[k]) s->dup++;
    s->sum[k] += vector_i64(&b->cols[1])[i];
    s->cnt[k] += vector_i64(&b->cols[2])[i];
  }
  s->batches++;
  batch_free(b);
  return s->stop_after && s->batches >= s->stop_after;
}

static void on_progress(void *arg, const struct cluster_stage_progress *p) {
  struct sink *s = arg;
  s->progress_calls++;
  if (p->stage < 2 && p->running > s->max_running[p->stage]) s->max_running[p->stage] = p->running;
  if (p->stage == 1 && p->running > 0 && p->done >= 1 && s->kill_cluster && !s->killed) {
    s->killed = 1;
    cluster_kill_executor(s->kill_cluster, 0, SIGKILL);
  }
}

static void on_event(void *arg, const char *msg) {
  struct sink *s = arg;
  size_t l = strlen(s->events);
  snprintf(s->events + l, sizeof s->events - l, "%s\n", msg);
}

static void sink_init(struct sink *s) {
  memset(s, 0, sizeof *s);
  s->order_ok = 1;
}

static int answer_ok(const struct sink *s, int rows) {
  int64_t total = (int64_t)NMAPS * rows;
  for (int k = 0; k < NKEYS; k++) {
    int64_t sum = 0, cnt = 0;
    for (int64_t i = k; i < total; i += NKEYS) {
      sum += i;
      cnt++;
    }
    if (s->sum[k] != sum || s->cnt[k] != cnt) return 0;
  }
  return s->dup == 0;
}

static int run(struct cluster *c, struct sink *s, int rows, int map_sleep, int red_sleep, int fail,
               struct err *e) {
  char desc[128];
  snprintf(desc, sizeof desc, "%d %d %d %d", rows, map_sleep, red_sleep, fail);
  int parents[1] = {0};
  struct cluster_stage st[2] = {
      {NMAPS, NPARTS, NULL, 0, 0, NULL, "Stage 0: generate"},
      {NPARTS, 0, parents, 1, 1, NULL, "Stage 1: sum"},
  };
  struct cluster_job job = {desc, strlen(desc), st, 2};
  struct cluster_callbacks cb = {on_progress, on_result, on_event, s};
  err_clear(e);
  return cluster_run_job(c, &job, &cb, e);
}

static char exe[PATH_MAX];

static int on_pid(void *arg, int task, struct batch *b) {
  int *pids = arg;
  if (task >= 0 && task < 8 && b->nrows == 1) pids[task] = vector_i32(&b->cols[1])[0];
  batch_free(b);
  return 0;
}

/* Tasks of a stage with a block prefix run where the blocks are. */
static void test_blocks(struct cluster *c) {
  int before[8] = {0}, after[8] = {0};
  struct cluster_stage st = {4, 0, NULL, 0, 0, NULL, "blocks"};
  struct cluster_job job = {"B", 1, &st, 1};
  struct cluster_callbacks cb = {NULL, on_pid, NULL, before};
  struct err e;
  int rc = cluster_run_job(c, &job, &cb, &e);
  st.block_prefix = "blk";
  cb.arg = after;
  rc = rc || cluster_run_job(c, &job, &cb, &e);
  int same = 0, distinct = before[0] != before[1] || before[0] != before[2] || before[0] != before[3];
  for (int i = 0; i < 4; i++) same += before[3 - i] && before[3 - i] == after[i];
  TAP_OK(rc == 0 && same == 4 && distinct, "processes: tasks scheduled on their block's executor");
}

static struct cluster_conf conf_for(int executors, int cores, int64_t advisory) {
  struct cluster_conf cf;
  cluster_conf_defaults(&cf);
  cf.executors = executors;
  cf.cores = cores;
  cf.executor_memory = 256 << 20;
  cf.exe = exe;
  cf.heartbeat_ms = 100;
  cf.executor_timeout_ms = 5000;
  cf.advisory_partition_bytes = advisory;
  cf.log_dir = getenv("TEST_CLUSTER_LOG_DIR"); /* keep executor logs for debugging */
  return cf;
}

/* pids and scratch dir from cluster_describe. */
static int describe(struct cluster *c, pid_t *pids, int max, char *scratch, size_t sl) {
  struct buf b;
  buf_init(&b, 1 << 20);
  cluster_describe(c, &b);
  json_t *j = json_loads(b.data ? b.data : "", 0, NULL);
  buf_fini(&b);
  int n = 0;
  if (!j) return -1;
  snprintf(scratch, sl, "%s", json_string_value(json_object_get(j, "scratch")));
  json_t *ex = json_object_get(j, "executors");
  for (size_t i = 0; i < json_array_size(ex) && n < max; i++)
    pids[n++] = (pid_t)json_integer_value(json_object_get(json_array_get(ex, i), "pid"));
  json_decref(j);
  return n;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct canceller {
  struct cluster *c;
  int after_ms;
  int64_t at;
};

static void *cancel_thread(void *arg) {
  struct canceller *k = arg;
  usleep((useconds_t)k->after_ms * 1000);
  k->at = now_ms();
  cluster_cancel(k->c);
  return NULL;
}

static void test_processes(void) {
  struct cluster *c = NULL;
  struct err e;
  err_clear(&e);
  struct cluster_conf cf = conf_for(2, 2, 1);
  int rc = cluster_start(&c, &cf, task_fn, NULL, &e);
  TAP_OK(rc == 0, "processes: 2 executors x 2 cores started (%s)", e.msg);
  if (rc) return;
  pid_t pids[8], all[64];
  int nall = 0;
  char scratch[PATH_MAX];
  int n = describe(c, pids, 8, scratch, sizeof scratch);
  TAP_OK(n == 2 && pids[0] > 0 && pids[1] > 0 && pids[0] != pids[1], "processes: two executor pids");
  for (int i = 0; i < n; i++) all[nall++] = pids[i];

  struct sink s;
  sink_init(&s);
  rc = run(c, &s, 20000, 0, 0, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 20000), "processes: correct sums (%s)", e.msg);
  TAP_OK(s.order_ok && s.batches == NPARTS, "processes: one batch per reduce task, in task order (%d)",
         s.batches);
  TAP_OK(s.max_running[0] >= 2, "processes: map tasks ran in parallel (%d)", s.max_running[0]);
  TAP_OK(strstr(s.events, "reduce task 0 says hello") != NULL, "processes: task warning delivered");
  struct stat st;
  char sh[PATH_MAX + 32];
  snprintf(sh, sizeof sh, "%s/shuffle-1", scratch);
  TAP_OK(stat(sh, &st) != 0, "processes: shuffle files of the job deleted");

  test_blocks(c);

  sink_init(&s);
  rc = run(c, &s, 5000, 0, 0, FAIL_ONCE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 5000), "processes: a task failing once is retried (%s)", e.msg);

  sink_init(&s);
  rc = run(c, &s, 5000, 0, 0, FAIL_ALWAYS, &e);
  TAP_OK(rc == ERR_SQL && strstr(e.msg, "Job aborted due to stage failure: Task 1 in stage 1 failed 4 "
                                        "times, most recent failure: boom in task 1 (attempt 3)"),
         "processes: always-failing task fails the job: %s", e.msg);

  sink_init(&s);
  rc = run(c, &s, 5000, 0, 0, FAIL_CRASH, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 5000), "processes: executor crashing in a task, job completes (%s)",
         e.msg);
  TAP_OK(strstr(s.events, "lost (killed by signal 6)") != NULL, "processes: crash reported: %.*s",
         (int)strcspn(s.events, "\n"), s.events);
  describe(c, pids, 8, scratch, sizeof scratch);
  for (int i = 0; i < 2; i++) all[nall++] = pids[i];

  sink_init(&s);
  rc = run(c, &s, 2000, 0, 0, FAIL_CRASH_ALWAYS, &e);
  TAP_OK(rc == ERR_REMOTE && strstr(e.msg, "Task 0 in stage 1 failed 4 times, most recent failure: "
                                           "ExecutorLostFailure"),
         "processes: a task that always crashes its executor fails the job: %s", e.msg);
  describe(c, pids, 8, scratch, sizeof scratch);
  for (int i = 0; i < 2; i++) all[nall++] = pids[i];

  sink_init(&s);
  s.kill_cluster = c;
  rc = run(c, &s, 20000, 50, 150, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 20000) && s.killed,
         "processes: executor killed mid reduce, right answer (%s)", e.msg);
  TAP_OK(strstr(s.events, "lost (killed by signal 9); recomputing ") != NULL &&
             strstr(s.events, "map outputs of stage 0") != NULL,
         "processes: loss event: %.*s", (int)strcspn(s.events, "\n"), s.events);
  describe(c, pids, 8, scratch, sizeof scratch);
  for (int i = 0; i < 2; i++) all[nall++] = pids[i];

  sink_init(&s);
  rc = run(c, &s, 5000, 0, 0, FAIL_FETCH, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 5000), "processes: deleted shuffle file recomputed (%s)", e.msg);

  sink_init(&s);
  struct canceller k = {c, 300, 0};
  pthread_t th;
  pthread_create(&th, NULL, cancel_thread, &k);
  rc = run(c, &s, 1000, 2000, 2000, FAIL_NONE, &e);
  int64_t took = now_ms() - k.at;
  pthread_join(th, NULL);
  TAP_OK(rc == ERR_CANCELLED && took < 1000, "processes: cancel returns within 1 s (%lld ms)",
         (long long)took);
  sink_init(&s);
  rc = run(c, &s, 3000, 0, 0, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 3000), "processes: next job after a cancel succeeds (%s)", e.msg);

  struct buf d;
  buf_init(&d, 1 << 20);
  cluster_describe(c, &d);
  TAP_OK(d.data && strstr(d.data, "executor-") && strstr(d.data, "\"tasks_failed\""),
         "processes: describe lists logs and counters");
  buf_fini(&d);
  describe(c, pids, 8, scratch, sizeof scratch);
  for (int i = 0; i < 2; i++) all[nall++] = pids[i];
  cluster_stop(c);
  int left = 0;
  for (int i = 0; i < nall; i++) {
    if (all[i] <= 0) continue;
    if (kill(all[i], 0) == 0 || errno != ESRCH) left++;
  }
  TAP_EQ_INT(left, 0, "processes: no executor process remains after stop");
  TAP_OK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "processes: every child reaped");
  TAP_OK(stat(scratch, &st) != 0, "processes: scratch dir removed");
}

static void test_local(void) {
  struct cluster *c = NULL;
  struct err e;
  err_clear(&e);
  /* ~2.6 MB of map output in 8 partitions: 800 KB advisory -> 3-4 tasks */
  struct cluster_conf cf = conf_for(0, 2, 800000);
  int rc = cluster_start(&c, &cf, task_fn, NULL, &e);
  TAP_OK(rc == 0, "local: started (%s)", e.msg);
  if (rc) return;
  struct sink s;
  sink_init(&s);
  rc = run(c, &s, 20000, 0, 0, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 20000) && s.order_ok, "local: correct sums (%s)", e.msg);
  TAP_OK(s.batches > 1 && s.batches < NPARTS, "local: AQE coalesced %d partitions into %d tasks",
         NPARTS, s.batches);
  cluster_stop(c);
  cf = conf_for(0, 2, 1);
  rc = cluster_start(&c, &cf, task_fn, NULL, &e);
  TAP_OK(rc == 0, "local: restarted (%s)", e.msg);
  if (rc) return;
  sink_init(&s);
  rc = run(c, &s, 3000, 0, 0, FAIL_ONCE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 3000), "local: retry (%s)", e.msg);
  sink_init(&s);
  rc = run(c, &s, 3000, 0, 0, FAIL_ALWAYS, &e);
  TAP_OK(rc == ERR_SQL && strstr(e.msg, "failed 4 times, most recent failure: boom in task 1"),
         "local: job error after max failures: %s", e.msg);
  sink_init(&s);
  rc = run(c, &s, 3000, 0, 0, FAIL_FETCH, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 3000) && strstr(s.events, "Lost shuffle output of stage 0"),
         "local: FetchFailed recomputes the map output (%s)", e.msg);
  sink_init(&s);
  struct canceller k = {c, 200, 0};
  pthread_t th;
  pthread_create(&th, NULL, cancel_thread, &k);
  rc = run(c, &s, 1000, 3000, 3000, FAIL_NONE, &e);
  int64_t took = now_ms() - k.at;
  pthread_join(th, NULL);
  TAP_OK(rc == ERR_CANCELLED && took < 1000, "local: cancel within 1 s (%lld ms)", (long long)took);
  sink_init(&s);
  rc = run(c, &s, 1000, 0, 0, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 1000), "local: usable after cancel");
  sink_init(&s);
  s.stop_after = 2;
  rc = run(c, &s, 1000, 0, 20, FAIL_NONE, &e);
  TAP_OK(rc == 0 && s.batches == 2, "local: result callback stops the job early (%d batches)",
         s.batches);
  pid_t pids[2];
  char scratch[PATH_MAX];
  describe(c, pids, 2, scratch, sizeof scratch);
  cluster_stop(c);
  struct stat st;
  TAP_OK(stat(scratch, &st) != 0, "local: scratch dir removed");
}

/* An executor that stops answering is declared lost after the timeout and
 * replaced; the job still completes. */
static void test_hang(void) {
  struct cluster *c = NULL;
  struct err e;
  err_clear(&e);
  struct cluster_conf cf = conf_for(1, 2, 1);
  cf.heartbeat_ms = 50;
  cf.executor_timeout_ms = 600;
  int rc = cluster_start(&c, &cf, task_fn, NULL, &e);
  TAP_OK(rc == 0, "hang: started (%s)", e.msg);
  if (rc) return;
  cluster_kill_executor(c, 0, SIGSTOP);
  struct sink s;
  sink_init(&s);
  rc = run(c, &s, 2000, 0, 0, FAIL_NONE, &e);
  TAP_OK(rc == 0 && answer_ok(&s, 2000), "hang: job completes on a replacement (%s)", e.msg);
  TAP_OK(strstr(s.events, "Executor 0 lost (no heartbeat for 600 ms)") != NULL, "hang: event: %.*s",
         (int)strcspn(s.events, "\n"), s.events);
  cluster_stop(c);
}

static int process_gone(pid_t pid) {
  char path[64], st[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 1;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = 0;
  const char *p = strrchr(st, ')');
  return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'); /* zombie: dead, awaiting init */
}

/* Executors die with a driver that is killed outright. */
static void test_driver_death(void) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t drv = fork();
  if (drv == 0) {
    close(fds[0]);
    struct cluster *c = NULL;
    struct err e;
    struct cluster_conf cf = conf_for(2, 1, 1);
    struct {
      pid_t pids[2];
      char scratch[PATH_MAX];
    } msg;
    memset(&msg, 0, sizeof msg);
    if (cluster_start(&c, &cf, task_fn, NULL, &e) == 0)
      describe(c, msg.pids, 2, msg.scratch, sizeof msg.scratch);
    ssize_t w = write(fds[1], &msg, sizeof msg);
    (void)w;
    for (;;) pause();
  }
  close(fds[1]);
  struct {
    pid_t pids[2];
    char scratch[PATH_MAX];
  } msg;
  memset(&msg, 0, sizeof msg);
  ssize_t r = read(fds[0], &msg, sizeof msg);
  close(fds[0]);
  pid_t *pids = msg.pids;
  kill(drv, SIGKILL);
  waitpid(drv, NULL, 0);
  int gone = 0;
  for (int i = 0; i < 200 && gone < 2; i++) {
    gone = process_gone(pids[0]) + process_gone(pids[1]);
    usleep(10000);
  }
  TAP_OK(r == sizeof msg && pids[0] > 0 && pids[1] > 0 && gone == 2,
         "driver killed: its executors exit too");
  if (strncmp(msg.scratch, "/tmp/kindling-", 14) == 0) {
    if (fs_rmtree(msg.scratch) != 0) printf("# could not remove %s\n", msg.scratch);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "executor") == 0) {
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* FAIL_CRASH aborts on purpose */
    return executor_main(argc, argv, task_fn, NULL);
  }
  ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (l <= 0) return 1;
  exe[l] = 0;
  test_local();
  test_processes();
  test_hang();
  test_driver_death();
  return tap_done();
}
