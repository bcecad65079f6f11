/* driver.c: `kindling driver` (see driver.h). */
#include "engine/cli/driver.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <zmq.h>

#include "common/fs.h"
#include "engine/engine.h"
#include "engine/vec/array.h"
#include "engine/vec/datetime.h"

#define DRIVER_MAX_MSG ((int64_t)64 << 20)

static volatile sig_atomic_t cancel_flag, term_flag;
static struct engine *g_engine;

static void on_usr1(int sig) {
  (void)sig;
  cancel_flag = 1;
}

/* SIGTERM (also what the kernel's death sends): leave the loop and clean up. */
static void on_term(int sig) {
  (void)sig;
  term_flag = 1;
}

/* SIGUSR1 only sets a flag; this thread turns it into engine_cancel, which
 * is not async-signal-safe. */
static volatile int watcher_stop;

static void *cancel_watcher(void *arg) {
  (void)arg;
  while (!watcher_stop) {
    if (cancel_flag && g_engine) {
      cancel_flag = 0;
      engine_cancel(g_engine);
    }
    usleep(20000);
  }
  return NULL;
}

static int send_json(void *sock, json_t *o) {
  char *t = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!t) return -1;
  int rc = zmq_send(sock, t, strlen(t), 0) < 0 ? -1 : 0;
  free(t);
  return rc;
}

struct cb_ctx {
  void *sock;
  double last_ms;
  int last_stage, last_done;
};

static void on_progress(void *arg, const struct engine_progress *p) {
  struct cb_ctx *c = arg;
  if (cancel_flag) engine_cancel(g_engine);
  /* At most ~10 updates a second, plus every stage change. */
  if (p->stage_id == c->last_stage && p->done == c->last_done && p->elapsed_ms - c->last_ms < 100)
    return;
  c->last_ms = p->elapsed_ms;
  c->last_stage = p->stage_id;
  c->last_done = p->done;
  send_json(c->sock, json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:f}", "type", "progress",
                               "stage", p->stage ? p->stage : "", "stage_id", p->stage_id,
                               "nstages", p->nstages, "done", p->done, "running", p->running,
                               "total", p->total, "rows", (json_int_t)p->rows, "elapsed_ms",
                               p->elapsed_ms));
}

static void on_event(void *arg, const char *msg) {
  struct cb_ctx *c = arg;
  send_json(c->sock, json_pack("{s:s, s:s}", "type", "event", "message", msg));
}

/* An array as a JSON array whose elements follow cell_json's rules: numbers
 * and booleans bare, everything else as its show() text. */
static json_t *array_json(const struct vector *v, uint32_t r, struct buf *tmp) {
  struct type et = type_elem(v->type);
  struct array_iter it;
  struct array_elem e;
  json_t *a = json_array();
  if (!a || array_iter_init(&it, vector_sv(v)[r], et.id)) return a ? a : json_null();
  while (array_iter_next(&it, &e) == 1) {
    json_t *x = NULL;
    if (e.is_null) x = json_null();
    else if (et.id == TYPE_BOOLEAN) x = json_boolean(e.i);
    else if (et.id == TYPE_INT || et.id == TYPE_BIGINT) x = json_integer(e.i);
    else if (et.id == TYPE_DOUBLE && isfinite(e.d)) x = json_real(e.d);
    else {
      buf_reset(tmp);
      if (array_elem_text(et.id, et.scale, &e, tmp) == 0)
        x = json_stringn(tmp->data ? tmp->data : "", tmp->len);
    }
    json_array_append_new(a, x ? x : json_null());
  }
  return a;
}

static json_t *cell_json(const struct vector *v, uint32_t r, struct buf *tmp) {
  if (vector_is_null(v, r)) return json_null();
  if (v->type.id == TYPE_ARRAY) return array_json(v, r, tmp);
  switch (v->type.id) {
  case TYPE_BOOLEAN: return json_boolean(vector_u8(v)[r]);
  case TYPE_INT: return json_integer(vector_i32(v)[r]);
  case TYPE_BIGINT: return json_integer(vector_i64(v)[r]);
  case TYPE_DOUBLE: {
    double d = vector_f64(v)[r];
    if (isfinite(d)) return json_real(d);
    break;
  }
  default: break;
  }
  buf_reset(tmp);
  if (vector_to_text(v, r, tmp)) return json_null();
  return json_stringn(tmp->data ? tmp->data : "", tmp->len);
}

/* A result as the kernel's struct table JSON, keeping at most maxrows rows
 * (sampling with probability `sample` first when 0 < sample < 1). */
static json_t *result_json(const struct engine_result *r, long long maxrows, double sample,
                           unsigned *seed) {
  struct buf sb;
  buf_init(&sb, BUF_UNLIMITED);
  schema_to_json(&r->schema, &sb);
  json_t *schema = json_loadb(sb.data ? sb.data : "{}", sb.len, 0, NULL);
  buf_fini(&sb);
  json_t *rows = json_array();
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  long long kept = 0;
  for (int i = 0; i < r->nbatches; i++) {
    const struct batch *b = r->batches[i];
    for (uint32_t row = 0; row < b->nrows; row++) {
      if (maxrows >= 0 && kept >= maxrows) goto done;
      if (sample > 0 && sample < 1 && (double)rand_r(seed) / RAND_MAX >= sample) continue;
      json_t *a = json_array();
      for (int c = 0; c < b->ncols; c++) json_array_append_new(a, cell_json(&b->cols[c], row, &tmp));
      json_array_append_new(rows, a);
      kept++;
    }
  }
done:
  buf_fini(&tmp);
  return json_pack("{s:o, s:o, s:I, s:f, s:s}", "schema", schema ? schema : json_object(), "rows",
                   rows, "total", (json_int_t)r->nrows, "elapsed", r->elapsed_ms / 1000.0,
                   "statement", r->statement ? r->statement : "");
}

static void serve_sql(void *sock, json_t *req) {
  const char *sql = json_string_value(json_object_get(req, "sql"));
  json_t *mr = json_object_get(req, "maxrows");
  long long maxrows = json_is_integer(mr) ? json_integer_value(mr) : -1;
  double sample = json_number_value(json_object_get(req, "sample"));
  struct cb_ctx c = {sock, -1000, -1, -1};
  struct engine_callbacks cb = {on_progress, on_event, &c};
  struct engine_result **rs;
  int n;
  struct err e;
  err_clear(&e);
  int rc = engine_sql(g_engine, sql ? sql : "", sql ? strlen(sql) : 0, &cb, &rs, &n, &e);
  unsigned seed = 42;
  json_t *results = json_array();
  for (int i = 0; i < n; i++) {
    json_array_append_new(results, result_json(rs[i], maxrows, sample, &seed));
    engine_result_free(rs[i]);
  }
  free(rs);
  if (rc) {
    const char *ename = e.ename[0] ? e.ename : (rc == ERR_CANCELLED ? "Interrupted" : "SparkException");
    send_json(sock, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "type", "error", "ename", ename,
                              "evalue", e.msg, "line", e.line, "column", e.column, "results",
                              results));
  } else {
    send_json(sock, json_pack("{s:s, s:o}", "type", "done", "results", results));
  }
}

int driver_main(int argc, char **argv) {
  const char *connect = NULL, *master = NULL, *scratch = NULL;
  struct readopt_kv conf[128];
  int nconf = 0;
  char *owned[128];
  int nowned = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--connect")) connect = argv[i + 1];
    else if (!strcmp(argv[i], "--scratch")) scratch = argv[i + 1];
    else if (!strcmp(argv[i], "--master")) master = argv[i + 1];
    else if (!strcmp(argv[i], "--conf") && nconf < 128) {
      const char *eq = strchr(argv[i + 1], '=');
      if (!eq) continue;
      char *k = strndup(argv[i + 1], (size_t)(eq - argv[i + 1]));
      owned[nowned++] = k;
      conf[nconf].key = k;
      conf[nconf].value = eq + 1;
      nconf++;
    }
  }
  if (!connect) {
    fprintf(stderr, "kindling driver: --connect ENDPOINT is required (started by the kernel)\n");
    return 2;
  }
  /* Die with the kernel, whatever killed it. */
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;
  signal(SIGUSR1, on_usr1);
  signal(SIGTERM, on_term);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct err e;
  err_clear(&e);
  void *zctx = zmq_ctx_new();
  void *sock = zmq_socket(zctx, ZMQ_PAIR);
  int64_t max = DRIVER_MAX_MSG;
  zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
  int linger = 1000;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  int status = 0;
  if (zmq_connect(sock, connect)) {
    fprintf(stderr, "kindling driver: cannot connect to %s\n", connect);
    status = 1;
  } else if (engine_new(&g_engine, master, conf, nconf, "/proc/self/exe", &e)) {
    send_json(sock, json_pack("{s:s, s:s, s:s}", "type", "error", "ename", "IllegalArgumentException",
                              "evalue", e.msg));
    status = 1;
  } else {
    pthread_t watcher;
    int have_watcher = pthread_create(&watcher, NULL, cancel_watcher, NULL) == 0;
    send_json(sock, json_pack("{s:s, s:i}", "type", "ready", "pid", (int)getpid()));
    for (;;) {
      zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
      int pr = zmq_poll(&it, 1, 1000);
      if (getppid() != parent || term_flag) break; /* the kernel is gone */
      if (pr <= 0) continue;
      zmq_msg_t m;
      zmq_msg_init(&m);
      if (zmq_msg_recv(&m, sock, 0) < 0) {
        zmq_msg_close(&m);
        continue;
      }
      json_t *req = json_loadb(zmq_msg_data(&m), zmq_msg_size(&m), 0, NULL);
      zmq_msg_close(&m);
      const char *op = json_string_value(json_object_get(req, "op"));
      if (!op) {
        json_decref(req);
        continue;
      }
      if (!strcmp(op, "stop")) {
        json_decref(req);
        break;
      }
      if (!strcmp(op, "sql")) {
        serve_sql(sock, req);
      } else if (!strcmp(op, "info")) {
        struct buf b;
        buf_init(&b, BUF_UNLIMITED);
        engine_describe(g_engine, &b);
        json_t *ex = json_loadb(b.data ? b.data : "[]", b.len, 0, NULL);
        buf_fini(&b);
        send_json(sock, json_pack("{s:s, s:o}", "type", "info", "executors", ex ? ex : json_array()));
      }
      json_decref(req);
    }
    watcher_stop = 1;
    if (have_watcher) pthread_join(watcher, NULL);
  }
  engine_free(g_engine);
  zmq_close(sock);
  zmq_ctx_term(zctx);
  /* A kernel that was killed could not remove its session's directory: the
   * driver, the last process using it, does. */
  if (scratch && getppid() != parent) fs_rmtree(scratch);
  for (int i = 0; i < nowned; i++) free(owned[i]);
  return status;
}
