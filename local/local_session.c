/* local_session.c: see local_session.h. */
#include "local/local_session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/progress.h"

#define LOCAL_MAX_MSG ((int64_t)256 << 20)
#define LOCAL_START_TIMEOUT_MS 15000

struct local_session {
  struct session base;
  char *exe;
  char dir[256];
  char endpoint[300];
  void *zctx, *sock;
  pid_t pid;
  int conf_n;
  char **conf; /* "k=v" strings passed to the driver */
  char log_path[320];
  int app_seq;
  int var_seq; /* registered tables: var-N.jsonl in dir */
};

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}


static int send_json(struct local_session *ls, json_t *o) {
  char *t = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!t) return ERR_NOMEM;
  int rc = zmq_send(ls->sock, t, strlen(t), 0) < 0 ? ERR_IO : 0;
  free(t);
  return rc;
}

/* Reap the driver if it exited; returns 1 (and describes how) if it did. */
static int driver_gone(struct local_session *ls, char *why, size_t n) {
  if (ls->pid <= 0) {
    snprintf(why, n, "it is not running");
    return 1;
  }
  int st;
  pid_t r = waitpid(ls->pid, &st, WNOHANG);
  if (r == 0) return 0;
  if (r == ls->pid && WIFSIGNALED(st))
    snprintf(why, n, "it was killed by signal %d", WTERMSIG(st));
  else if (r == ls->pid)
    snprintf(why, n, "it exited with status %d", WEXITSTATUS(st));
  else
    snprintf(why, n, "it disappeared");
  ls->pid = -1;
  return 1;
}

/* Receive one message within timeout_ms; 1 with *out, 0 on timeout,
 * negative when the driver died (e filled). */
static int recv_json(struct local_session *ls, int timeout_ms, json_t **out, struct err *e) {
  *out = NULL;
  zmq_pollitem_t it = {ls->sock, 0, ZMQ_POLLIN, 0};
  int pr = zmq_poll(&it, 1, timeout_ms);
  if (pr <= 0) {
    char why[128];
    if (driver_gone(ls, why, sizeof why)) {
      err_set_ename(e, "SessionLost");
      return err_set(e, ERR_REMOTE,
                     "The local Spark driver stopped (%s). The session will be restarted on the "
                     "next cell; see %%%%logs for its log.",
                     why);
    }
    return 0;
  }
  zmq_msg_t m;
  zmq_msg_init(&m);
  if (zmq_msg_recv(&m, ls->sock, 0) < 0) {
    zmq_msg_close(&m);
    return 0;
  }
  *out = json_loadb(zmq_msg_data(&m), zmq_msg_size(&m), 0, NULL);
  zmq_msg_close(&m);
  return *out ? 1 : 0;
}

/* Reap the driver if it exits within `seconds`; 1 when it did. */
static int reaped_within(struct local_session *ls, double seconds) {
  double t0 = now_s();
  int st;
  do {
    if (waitpid(ls->pid, &st, WNOHANG) == ls->pid) {
      ls->pid = -1;
      return 1;
    }
    usleep(10000);
  } while (now_s() - t0 < seconds);
  return 0;
}

/* Ask the driver to stop, then insist: SIGTERM after 2 s, SIGKILL after 3 s. */
static void kill_driver(struct local_session *ls) {
  if (ls->pid <= 0) return;
  if (ls->sock) send_json(ls, json_pack("{s:s}", "op", "stop"));
  if (reaped_within(ls, 2.0)) return;
  kill(ls->pid, SIGTERM);
  if (reaped_within(ls, 1.0)) return;
  kill(ls->pid, SIGKILL);
  int st;
  waitpid(ls->pid, &st, 0);
  ls->pid = -1;
}

static void conf_add(struct local_session *ls, const char *k, const char *v) {
  char **n = realloc(ls->conf, sizeof *n * (size_t)(ls->conf_n + 1));
  if (!n) return;
  ls->conf = n;
  size_t len = strlen(k) + strlen(v) + 2;
  char *s = malloc(len);
  if (!s) return;
  snprintf(s, len, "%s=%s", k, v);
  ls->conf[ls->conf_n++] = s;
}

static void conf_clear(struct local_session *ls) {
  for (int i = 0; i < ls->conf_n; i++) free(ls->conf[i]);
  free(ls->conf);
  ls->conf = NULL;
  ls->conf_n = 0;
}

/* Livy session body -> Spark settings for the driver. */
static void conf_from_body(struct local_session *ls, json_t *body) {
  conf_clear(ls);
  static const char *const map[][2] = {{"numExecutors", "spark.executor.instances"},
                                       {"executorCores", "spark.executor.cores"},
                                       {"executorMemory", "spark.executor.memory"},
                                       {"driverMemory", "spark.driver.memory"}};
  char tmp[64];
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
    json_t *v = json_object_get(body, map[i][0]);
    if (json_is_integer(v)) {
      snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
      conf_add(ls, map[i][1], tmp);
    } else if (json_is_string(v)) {
      conf_add(ls, map[i][1], json_string_value(v));
    }
  }
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(body, "conf"), k, v) {
    if (json_is_string(v)) conf_add(ls, k, json_string_value(v));
    else if (json_is_integer(v)) {
      snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
      conf_add(ls, k, tmp);
    } else if (json_is_number(v)) {
      snprintf(tmp, sizeof tmp, "%g", json_number_value(v));
      conf_add(ls, k, tmp);
    } else if (json_is_boolean(v)) {
      conf_add(ls, k, json_is_true(v) ? "true" : "false");
    }
  }
}

static int l_start(struct session *s, json_t *conf, struct out *o, struct err *e) {
  struct local_session *ls = (struct local_session *)s;
  conf_from_body(ls, conf);
  const char *tmp = getenv("TMPDIR");
  snprintf(ls->dir, sizeof ls->dir, "%s/kindling-local-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(ls->dir)) return err_set(e, ERR_IO, "cannot create a scratch directory: %s", strerror(errno));
  snprintf(ls->endpoint, sizeof ls->endpoint, "ipc://%s/driver.sock", ls->dir);
  snprintf(ls->log_path, sizeof ls->log_path, "%s/driver.log", ls->dir);
  ls->zctx = zmq_ctx_new();
  ls->sock = zmq_socket(ls->zctx, ZMQ_PAIR);
  int64_t max = LOCAL_MAX_MSG;
  zmq_setsockopt(ls->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
  int linger = 0;
  zmq_setsockopt(ls->sock, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_bind(ls->sock, ls->endpoint))
    return err_set(e, ERR_IO, "cannot listen on %s: %s", ls->endpoint, zmq_strerror(zmq_errno()));
  int nargs = 8 + 2 * ls->conf_n + 1; /* fixed arguments, --conf pairs, NULL */
  char **argv = calloc((size_t)nargs, sizeof *argv);
  if (!argv) return err_set(e, ERR_NOMEM, "out of memory");
  int a = 0;
  argv[a++] = ls->exe;
  argv[a++] = (char *)"driver";
  argv[a++] = (char *)"--connect";
  argv[a++] = ls->endpoint;
  argv[a++] = (char *)"--scratch";
  argv[a++] = ls->dir;
  char localdir[300];
  snprintf(localdir, sizeof localdir, "spark.local.dir=%s", ls->dir);
  argv[a++] = (char *)"--conf";
  argv[a++] = localdir;
  for (int i = 0; i < ls->conf_n; i++) {
    argv[a++] = (char *)"--conf";
    argv[a++] = ls->conf[i];
  }
  argv[a] = NULL;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    free(argv);
    return err_set(e, ERR_IO, "cannot start the local Spark driver: %s", strerror(errno));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int fd = open(ls->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    setpgid(0, 0); /* the terminal's ^C belongs to the kernel, not the engine */
    execv(ls->exe, argv);
    _exit(127);
  }
  free(argv);
  ls->pid = pid;
  ls->app_seq++;
  double t0 = now_s();
  for (;;) {
    json_t *m;
    int rc = recv_json(ls, 200, &m, e);
    if (rc < 0) return rc;
    if (rc == 1) {
      const char *type = json_string_value(json_object_get(m, "type"));
      if (type && !strcmp(type, "ready")) {
        json_decref(m);
        break;
      }
      if (type && !strcmp(type, "error")) {
        err_set_ename(e, "IllegalArgumentException");
        err_set(e, ERR_INVAL, "%s", json_string_value(json_object_get(m, "evalue")));
        json_decref(m);
        kill_driver(ls);
        return ERR_INVAL;
      }
      json_decref(m);
    }
    if ((now_s() - t0) * 1000 > LOCAL_START_TIMEOUT_MS || o->ops->interrupted(o->ctx)) {
      kill_driver(ls);
      return err_set(e, ERR_TIMEOUT, "The local Spark driver did not start within %d s; see %s",
                     LOCAL_START_TIMEOUT_MS / 1000, ls->log_path);
    }
  }
  s->started = 1;
  return 0;
}

static json_t *table_json_to_struct(json_t *r, struct table **t) {
  struct table *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  x->schema = json_incref(json_object_get(r, "schema"));
  x->rows = json_incref(json_object_get(r, "rows"));
  x->total = json_integer_value(json_object_get(r, "total"));
  x->elapsed = json_number_value(json_object_get(r, "elapsed"));
  *t = x;
  return r;
}

/* Run sql; *results receives the "results" array (new reference). */
static int run(struct local_session *ls, const char *sql, long long maxrows, double sample,
               struct out *o, json_t **results, struct err *e) {
  *results = NULL;
  int rc = send_json(ls, json_pack("{s:s, s:s, s:I, s:f}", "op", "sql", "sql", sql, "maxrows",
                                   (json_int_t)maxrows, "sample", sample));
  if (rc) return err_set(e, rc, "cannot reach the local Spark driver");
  char did[48] = "";
  double t0 = now_s();
  int cancel_sent = 0;
  json_t *last = NULL;
  for (;;) {
    if (!cancel_sent && o->ops->interrupted(o->ctx)) {
      kill(ls->pid, SIGUSR1);
      cancel_sent = 1;
    }
    json_t *m;
    rc = recv_json(ls, 50, &m, e);
    if (rc < 0) break;
    if (rc == 0) {
      if (cancel_sent && now_s() - t0 > 3600) break;
      continue;
    }
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!type) {
      json_decref(m);
      continue;
    }
    if (!strcmp(type, "progress")) {
      if (now_s() - t0 >= 0.3) {
        char label[160];
        snprintf(label, sizeof label, "%s (%d/%d)", json_string_value(json_object_get(m, "stage")),
                 (int)json_integer_value(json_object_get(m, "stage_id")) + 1,
                 (int)json_integer_value(json_object_get(m, "nstages")));
        int total = (int)json_integer_value(json_object_get(m, "total"));
        int done = (int)json_integer_value(json_object_get(m, "done"));
        struct progress p = {label, total ? (double)done / total : -1, done,
                             (int)json_integer_value(json_object_get(m, "running")), total,
                             now_s() - t0, "running"};
        progress_show(o, did, &p);
      }
      json_decref(m);
      continue;
    }
    if (!strcmp(type, "event")) {
      char line[1200];
      snprintf(line, sizeof line, "WARN: %s\n", json_string_value(json_object_get(m, "message")));
      o->ops->stream(o->ctx, "stderr", line);
      json_decref(m);
      continue;
    }
    last = m;
    break;
  }
  const char *type = last ? json_string_value(json_object_get(last, "type")) : NULL;
  if (did[0]) {
    struct progress p = {"Job", 1.0, -1, 0, 0, now_s() - t0,
                         type && !strcmp(type, "done") ? "done" : (cancel_sent ? "cancelled" : "failed")};
    progress_show(o, did, &p);
  }
  if (!last) return rc ? rc : err_set(e, ERR_REMOTE, "no answer from the local Spark driver");
  *results = json_incref(json_object_get(last, "results"));
  if (type && !strcmp(type, "error")) {
    const char *ename = json_string_value(json_object_get(last, "ename"));
    err_set_ename(e, cancel_sent && ename && !strcmp(ename, "Interrupted") ? "Interrupted"
                                                                           : (ename ? ename : "SparkException"));
    err_set(e, ERR_REMOTE, "%s", json_string_value(json_object_get(last, "evalue")));
    e->line = (int)json_integer_value(json_object_get(last, "line"));
    e->column = (int)json_integer_value(json_object_get(last, "column"));
    json_decref(last);
    return ERR_REMOTE;
  }
  json_decref(last);
  return 0;
}

/* The traceback of a SQL error: the offending line with a caret under the
 * column the engine pointed at, then the message. */
static json_t *caret_traceback(const char *sql, const struct err *e) {
  char head[1200];
  snprintf(head, sizeof head, "%s: %s", e->ename[0] ? e->ename : "SparkException", e->msg);
  json_t *tb = json_array();
  if (e->line > 0 && e->column > 0) {
    const char *l = sql;
    for (int i = 1; i < e->line && l; i++) {
      l = strchr(l, '\n');
      if (l) l++;
    }
    if (l) {
      size_t n = strcspn(l, "\n");
      char *line = strndup(l, n);
      /* Columns count code points: pad with one space per code point. */
      struct buf caret;
      buf_init(&caret, 4096);
      int col = 1;
      for (size_t i = 0; i < n && col < e->column; i++)
        if (((unsigned char)l[i] & 0xC0) != 0x80) {
          buf_putc(&caret, l[i] == '\t' ? '\t' : ' ');
          col++;
        }
      buf_putc(&caret, '^');
      json_array_append_new(tb, json_string(line ? line : ""));
      json_array_append_new(tb, json_string(caret.data ? caret.data : "^"));
      buf_fini(&caret);
      free(line);
    }
  }
  json_array_append_new(tb, json_string(head));
  return tb;
}

static int l_sql(struct session *s, const char *query, const struct session_sql_opts *opts,
                 struct out *o, struct table **t, json_t **traceback, struct err *e) {
  struct local_session *ls = (struct local_session *)s;
  *t = NULL;
  *traceback = NULL;
  json_t *results;
  double sample = opts && opts->method == SESSION_SAMPLE_SAMPLE ? opts->fraction : 0;
  int rc = run(ls, query, opts ? opts->maxrows : -1, sample, o, &results, e);
  if (rc) {
    json_decref(results);
    if (rc == ERR_REMOTE) *traceback = caret_traceback(query, e);
    return rc;
  }
  size_t n = json_array_size(results);
  json_t *r = n ? json_array_get(results, n - 1) : NULL;
  if (!r) {
    json_decref(results);
    *t = calloc(1, sizeof **t);
    if (!*t) return err_set(e, ERR_NOMEM, "out of memory");
    (*t)->schema = json_pack("{s:s, s:[]}", "type", "struct", "fields");
    (*t)->rows = json_array();
    return 0;
  }
  table_json_to_struct(r, t);
  /* Earlier statements' results that have columns (SHOW, SELECT, DESCRIBE;
   * not CREATE or SET) are shown too, as spark-sql prints each. */
  struct table **tail = *t ? &(*t)->earlier : NULL; /* newest first: each shows its earlier */
  for (size_t i = n - 1; tail && i-- > 0;) {
    json_t *ri = json_array_get(results, i);
    if (!json_array_size(json_object_get(json_object_get(ri, "schema"), "fields"))) continue;
    table_json_to_struct(ri, tail);
    tail = *tail ? &(*tail)->earlier : NULL;
  }
  json_decref(results);
  return *t ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

int local_session_register(struct session *s, const char *name, const json_t *schema,
                           const json_t *rows, struct out *o, struct err *e) {
  struct local_session *ls = (struct local_session *)s;
  if (!s->started || !ls->dir[0])
    return err_set(e, ERR_BADSTATE, "the local session is not running");
  struct buf sql;
  buf_init(&sql, 1u << 20);
  buf_puts(&sql, "CREATE OR REPLACE TEMPORARY VIEW ");
  table_put_ident(&sql, name);
  buf_puts(&sql, " (");
  if (table_ddl(schema, &sql)) {
    buf_fini(&sql);
    return err_set(e, ERR_INVAL, "'%s' has no columns to register as a view", name);
  }
  /* One file per registration: a view being replaced may still be read. */
  char path[400];
  snprintf(path, sizeof path, "%s/var-%d.jsonl", ls->dir, ++ls->var_seq);
  json_t *recs = table_records(schema, rows, -1);
  FILE *f = recs ? fopen(path, "w") : NULL;
  int rc = 0;
  size_t i;
  json_t *r;
  if (!f) {
    rc = err_set(e, recs ? ERR_IO : ERR_NOMEM, "cannot write %s: %s", path,
                 recs ? strerror(errno) : "out of memory");
  } else {
    json_array_foreach(recs, i, r) {
      if (json_dumpf(r, f, JSON_COMPACT) || fputc('\n', f) == EOF) break;
    }
    if (fclose(f) || i < json_array_size(recs))
      rc = err_set(e, ERR_IO, "cannot write %s: %s", path, strerror(errno));
  }
  json_decref(recs);
  buf_puts(&sql, ") USING json OPTIONS (path '");
  for (const char *p = path; *p; p++) {
    if (*p == '\'' || *p == '\\') buf_putc(&sql, '\\');
    buf_putc(&sql, *p);
  }
  buf_puts(&sql, "')");
  json_t *results = NULL;
  if (!rc) rc = run(ls, sql.data, 0, 0, o, &results, e);
  json_decref(results);
  buf_fini(&sql);
  return rc;
}

static int l_execute(struct session *s, enum session_kind kind, const char *code, struct out *o,
                     json_t **traceback, struct err *e) {
  (void)s;
  (void)o;
  (void)code;
  *traceback = NULL;
  err_set_ename(e, "LocalEngineError");
  return err_set(e, ERR_UNSUPPORTED,
                 "The bundled local engine runs Spark SQL only: put %%%%sql at the top of the cell "
                 "to run it there. To run %s code, point the kernel at a Livy endpoint "
                 "(KINDLING_LIVY_URL, or %%_do_not_call_change_endpoint / ~/.sparkmagic/config.json).",
                 kind == SESSION_SPARK ? "Scala" : kind == SESSION_SPARKR ? "R" : "Python");
}

static int l_cancel(struct session *s) {
  struct local_session *ls = (struct local_session *)s;
  if (ls->pid > 0) kill(ls->pid, SIGUSR1);
  return 0;
}

static json_t *l_info(struct session *s) {
  struct local_session *ls = (struct local_session *)s;
  char app[64];
  snprintf(app, sizeof app, "local-%d", (int)ls->pid);
  json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:n, s:s, s:s}", "id", ls->app_seq - 1 < 0 ? 0 : ls->app_seq - 1,
                        "appId", app, "kind",
                        s->kind == SESSION_SQL ? "sql" : s->kind == SESSION_SPARK ? "spark" : "pyspark",
                        "state", s->started ? "idle" : "not_started", "sparkUiUrl", "driverLogUrl",
                        ls->log_path, "backend", "local");
  json_t *conf = json_object();
  for (int i = 0; i < ls->conf_n; i++) {
    const char *eq = strchr(ls->conf[i], '=');
    if (!eq) continue;
    char *k = strndup(ls->conf[i], (size_t)(eq - ls->conf[i]));
    json_object_set_new(conf, k, json_string(eq + 1));
    free(k);
  }
  json_object_set_new(o, "conf", conf);
  return o;
}

static int append_file(struct buf *out, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char chunk[8192];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = buf_append(out, chunk, n);
  fclose(f);
  return rc;
}

static int l_logs(struct session *s, struct buf *out, struct err *e) {
  struct local_session *ls = (struct local_session *)s;
  (void)e;
  int rc = buf_printf(out, "== driver (%s) ==\n", ls->log_path);
  if (!rc) rc = append_file(out, ls->log_path);
  /* Executor logs live in the cluster's scratch directory under ours. */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "find '%s' -name 'executor-*.log' 2>/dev/null | sort", ls->dir);
  FILE *p = popen(cmd, "r");
  if (p) {
    char line[1024];
    while (!rc && fgets(line, sizeof line, p)) {
      line[strcspn(line, "\n")] = 0;
      rc = buf_printf(out, "\n== %s ==\n", strrchr(line, '/') ? strrchr(line, '/') + 1 : line);
      if (!rc) rc = append_file(out, line);
    }
    pclose(p);
  }
  return rc;
}

static int l_stop(struct session *s, struct err *e) {
  struct local_session *ls = (struct local_session *)s;
  (void)e;
  kill_driver(ls);
  if (ls->sock) zmq_close(ls->sock);
  if (ls->zctx) zmq_ctx_term(ls->zctx);
  ls->sock = ls->zctx = NULL;
  fs_rmtree(ls->dir);
  ls->dir[0] = 0;
  s->started = 0;
  return 0;
}

static void l_free(struct session *s) {
  struct local_session *ls = (struct local_session *)s;
  struct err e;
  if (s->started || ls->pid > 0) l_stop(s, &e);
  conf_clear(ls);
  free(ls->exe);
  free(ls);
}

static const struct session_ops local_ops = {"local", l_start, l_execute, l_sql, l_cancel,
                                             l_info, l_logs, l_stop, l_free, NULL};

struct session *local_session_new(const char *exe, enum session_kind kind, struct err *e) {
  struct local_session *ls = calloc(1, sizeof *ls);
  if (ls) ls->exe = strdup(exe);
  if (!ls || !ls->exe) {
    free(ls);
    err_set(e, ERR_NOMEM, "out of memory");
    return NULL;
  }
  ls->base.ops = &local_ops;
  ls->base.kind = kind;
  ls->pid = -1;
  return &ls->base;
}
