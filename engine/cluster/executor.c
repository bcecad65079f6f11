/* executor.c: executor processes (executor_main) and the task runner shared
 * with the driver's in-process mode.
 *
 * Threads of an executor process: the main thread owns the DEALER socket to
 * the driver (ZeroMQ sockets are single-threaded) and forwards what task
 * threads send it over an inproc PUSH/PULL pipe; `cores` task threads take
 * tasks from a queue. The main thread also heartbeats and exits when the
 * driver goes away (no reply for the timeout, or the parent changed). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/cluster/executor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "engine/cluster/proto.h"
#include "engine/exec/batchio.h"

/* ---- the shared task runner ---- */

int executor_task_map_output(struct cluster_task_io *io, const char *data_path,
                             const int64_t *part_bytes, const int64_t *part_rows, int nparts) {
  struct executor_task *x = io->impl;
  free(x->out_path);
  free(x->out_bytes);
  free(x->out_rows);
  x->out_bytes = x->out_rows = NULL;
  x->nout = 0;
  x->out_path = strdup(data_path ? data_path : "");
  if (nparts > 0) {
    x->out_bytes = calloc((size_t)nparts, sizeof(int64_t));
    x->out_rows = calloc((size_t)nparts, sizeof(int64_t));
  }
  if (!x->out_path || (nparts > 0 && (!x->out_bytes || !x->out_rows))) return ERR_NOMEM;
  x->nout = nparts;
  for (int p = 0; p < nparts; p++) {
    x->out_bytes[p] = part_bytes ? part_bytes[p] : 0;
    x->out_rows[p] = part_rows ? part_rows[p] : 0;
    x->bytes += x->out_bytes[p];
    x->rows += x->out_rows[p];
  }
  return 0;
}

void executor_task_clear(struct executor_task *x) {
  free(x->out_path);
  free(x->out_bytes);
  free(x->out_rows);
  x->out_path = NULL;
  x->out_bytes = x->out_rows = NULL;
  x->nout = 0;
  for (int i = 0; i < x->nres; i++) batch_free(x->res[i]);
  free(x->res);
  x->res = NULL;
  x->nres = x->capres = 0;
}

void executor_run_task(struct executor_task *x, cluster_task_fn fn, void *arg,
                       struct mem_budget *mem, const char *spill_root, struct cluster_task_io *io) {
  char spill[4096];
  snprintf(spill, sizeof spill, "%s/task-%llu", spill_root, (unsigned long long)x->tid);
  memset(&x->ctx, 0, sizeof x->ctx);
  x->ctx.mem = mem;
  x->ctx.spill_dir = spill;
  x->ctx.cancel = &x->cancel;
  x->t.ctx = &x->ctx;
  err_clear(&x->err);
  if (mkdir(spill, 0700) != 0 && errno != EEXIST) {
    x->rc = err_set(&x->err, ERR_IO, "cannot create spill directory %s: %s", spill, strerror(errno));
    return;
  }
  mem_task_begin(mem);
  if (atomic_load(&x->cancel))
    x->rc = err_set(&x->err, ERR_CANCELLED, "task cancelled");
  else
    x->rc = fn(arg, &x->t, io, &x->err);
  if (x->rc && !x->err.code) err_set(&x->err, x->rc, "task failed: %s", err_str(x->rc));
  if (!x->rc && atomic_load(&x->cancel)) x->rc = err_set(&x->err, ERR_CANCELLED, "task cancelled");
  mem_task_end(mem);
  fs_rmtree(spill);
}

/* ---- executor processes ---- */

struct executor_job {
  uint64_t id;
  char *desc;
  size_t len;
  int refs; /* under xs.mu */
};

struct xproc {
  int id, cores, hb_ms, timeout_ms;
  int64_t memory;
  double fraction;
  const char *endpoint, *dir;
  char spill_root[4096];
  void *zctx, *dealer, *pull;
  struct mem_budget mem;
  cluster_task_fn fn;
  void *fn_arg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct executor_task *qhead, *qtail; /* queued */
  struct executor_task **running;      /* cores slots */
  int stop;
  struct executor_job *job;            /* latest job description */
};

struct xworker {
  struct xproc *xp;
  int index;
  void *push;
  struct buf enc;
};

static void xlog(struct xproc *xp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xlog(struct xproc *xp, const char *fmt, ...) {
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%H:%M:%S", &tm);
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s executor %d: ", ts, xp->id);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void job_unref(struct executor_job *j) {
  if (j && --j->refs == 0) {
    free(j->desc);
    free(j);
  }
}

static void xtask_free(struct xproc *xp, struct executor_task *x) {
  executor_task_clear(x);
  if (x->in) {
    for (int k = 0; k < x->t.ninputs; k++) {
      if (x->in[k])
        for (int f = 0; f < x->nin[k]; f++) free(x->in[k][f]);
      free(x->in[k]);
    }
  }
  free(x->in);
  free(x->in_stage);
  free(x->nin);
  free(x->dir);
  pthread_mutex_lock(&xp->mu);
  job_unref(x->job);
  pthread_mutex_unlock(&xp->mu);
  free(x);
}

static int w_emit(struct cluster_task_io *io, const struct batch *b, struct err *err) {
  struct executor_task *x = io->impl;
  struct xworker *w = x->owner;
  if (!b->nrows) return 0;
  buf_reset(&w->enc);
  if (batchio_encode(b, NULL, 0, &w->enc))
    return err_set(err, ERR_NOMEM, "out of memory encoding a result batch");
  json_t *h = json_pack("{s:s, s:I}", "t", "result", "tid", (json_int_t)x->tid);
  int rc = proto_send(w->push, NULL, h, w->enc.data, w->enc.len, 0);
  json_decref(h);
  if (rc) return err_set(err, ERR_IO, "cannot send a result batch: %s", zmq_strerror(errno));
  x->rows += b->nrows;
  x->bytes += (int64_t)w->enc.len;
  return 0;
}

static void w_block(struct cluster_task_io *io, const char *name) {
  struct executor_task *x = io->impl;
  struct xworker *w = x->owner;
  json_t *h = json_pack("{s:s, s:s}", "t", "block", "name", name);
  proto_send(w->push, NULL, h, NULL, 0, 0);
  json_decref(h);
}

static void w_warn(struct cluster_task_io *io, const char *msg) {
  struct executor_task *x = io->impl;
  struct xworker *w = x->owner;
  json_t *h = json_pack("{s:s, s:s}", "t", "warn", "msg", msg);
  proto_send(w->push, NULL, h, NULL, 0, 0);
  json_decref(h);
}

static void send_status(struct xworker *w, struct executor_task *x) {
  json_t *h = json_pack("{s:s, s:I, s:i, s:s, s:s, s:I, s:I, s:I, s:i}", "t", "status", "tid",
                        (json_int_t)x->tid, "rc", x->rc, "msg", x->rc ? x->err.msg : "", "ename",
                        x->rc ? x->err.ename : "", "rows", (json_int_t)x->rows, "bytes",
                        (json_int_t)x->bytes, "spill", (json_int_t)x->ctx.spill_bytes, "n",
                        x->rc ? 0 : x->nout);
  if (!h) return;
  void *payload = NULL;
  size_t len = 0;
  if (!x->rc && x->out_path) {
    json_object_set_new(h, "path", json_string(x->out_path));
    len = sizeof(int64_t) * 2 * (size_t)x->nout;
    payload = malloc(len ? len : 1);
    if (payload && x->nout) {
      memcpy(payload, x->out_bytes, len / 2);
      memcpy((char *)payload + len / 2, x->out_rows, len / 2);
    }
  }
  proto_send(w->push, NULL, h, payload ? payload : "", len, 0);
  free(payload);
  json_decref(h);
}

static void *worker_main(void *arg) {
  struct xworker *w = arg;
  struct xproc *xp = w->xp;
  w->push = zmq_socket(xp->zctx, ZMQ_PUSH);
  proto_socket_defaults(w->push);
  zmq_connect(w->push, "inproc://executor-out");
  buf_init(&w->enc, BUF_UNLIMITED);
  for (;;) {
    pthread_mutex_lock(&xp->mu);
    while (!xp->stop && !xp->qhead) pthread_cond_wait(&xp->cv, &xp->mu);
    if (xp->stop) {
      pthread_mutex_unlock(&xp->mu);
      break;
    }
    struct executor_task *x = xp->qhead;
    xp->qhead = x->next;
    if (!xp->qhead) xp->qtail = NULL;
    xp->running[w->index] = x;
    pthread_mutex_unlock(&xp->mu);

    x->owner = w;
    struct cluster_task_io io = {w_emit, executor_task_map_output, w_block, w_warn, x};
    xlog(xp, "task %llu (stage %d, task %d, attempt %d) started", (unsigned long long)x->tid,
         x->t.stage, x->t.task, x->t.attempt);
    if (x->job) executor_run_task(x, xp->fn, xp->fn_arg, &xp->mem, xp->spill_root, &io);
    if (x->rc)
      xlog(xp, "task %llu failed: %s", (unsigned long long)x->tid, x->err.msg);
    else
      xlog(xp, "task %llu finished (%lld rows)", (unsigned long long)x->tid, (long long)x->rows);
    pthread_mutex_lock(&xp->mu);
    xp->running[w->index] = NULL;
    pthread_mutex_unlock(&xp->mu);
    send_status(w, x);
    xtask_free(xp, x);
  }
  buf_fini(&w->enc);
  zmq_close(w->push);
  return NULL;
}

/* Parse a task message into a new executor_task (NULL: malformed). */
static struct executor_task *parse_task(struct xproc *xp, struct proto_msg *m) {
  struct executor_task *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  atomic_init(&x->cancel, 0);
  x->tid = (uint64_t)proto_int(m, "tid", 0);
  x->t.job_id = (uint64_t)proto_int(m, "job", 0);
  x->t.stage = (int)proto_int(m, "stage", 0);
  x->t.task = (int)proto_int(m, "task", 0);
  x->t.attempt = (int)proto_int(m, "attempt", 0);
  x->t.part_lo = (int)proto_int(m, "lo", 0);
  x->t.part_hi = (int)proto_int(m, "hi", 0);
  x->t.nparts_out = (int)proto_int(m, "nout", 0);
  x->dir = strdup(proto_str(m, "dir", ""));
  snprintf(x->t.shuffle_name, sizeof x->t.shuffle_name, "%s", proto_str(m, "name", "out"));
  x->t.shuffle_dir = x->dir;
  json_t *in = json_object_get(m->hdr, "in");
  int n = json_is_array(in) ? (int)json_array_size(in) : 0;
  x->t.ninputs = n;
  x->in_stage = calloc((size_t)(n ? n : 1), sizeof(int));
  x->nin = calloc((size_t)(n ? n : 1), sizeof(int));
  x->in = calloc((size_t)(n ? n : 1), sizeof(char **));
  if (!x->dir || !x->in_stage || !x->nin || !x->in) goto bad;
  for (int k = 0; k < n; k++) {
    json_t *e = json_array_get(in, (size_t)k);
    json_t *files = json_object_get(e, "f");
    x->in_stage[k] = (int)json_integer_value(json_object_get(e, "s"));
    int nf = json_is_array(files) ? (int)json_array_size(files) : 0;
    x->in[k] = calloc((size_t)(nf ? nf : 1), sizeof(char *));
    if (!x->in[k]) goto bad;
    x->nin[k] = nf;
    for (int f = 0; f < nf; f++) {
      const char *s = json_string_value(json_array_get(files, (size_t)f));
      if (!(x->in[k][f] = strdup(s ? s : ""))) goto bad;
    }
  }
  x->t.input_stage = x->in_stage;
  x->t.ninput_files = x->nin;
  x->t.inputs = (const char *const *const *)x->in;
  pthread_mutex_lock(&xp->mu);
  if (xp->job && xp->job->id == x->t.job_id) {
    x->job = xp->job;
    x->job->refs++;
    x->t.job = x->job->desc;
    x->t.job_len = x->job->len;
  }
  pthread_mutex_unlock(&xp->mu);
  if (!x->job) {
    x->t.job = "";
    x->rc = err_set(&x->err, ERR_BADSTATE, "executor %d has no description of job %llu", xp->id,
                    (unsigned long long)x->t.job_id);
  }
  return x;
bad:
  xtask_free(xp, x);
  return NULL;
}

/* Set the cancel flag of every queued and running task of job (0 = all). */
static void cancel_job(struct xproc *xp, uint64_t job) {
  pthread_mutex_lock(&xp->mu);
  for (struct executor_task *x = xp->qhead; x; x = x->next)
    if (!job || x->t.job_id == job) atomic_store(&x->cancel, 1);
  for (int i = 0; i < xp->cores; i++)
    if (xp->running[i] && (!job || xp->running[i]->t.job_id == job))
      atomic_store(&xp->running[i]->cancel, 1);
  pthread_mutex_unlock(&xp->mu);
}

static int send_driver(struct xproc *xp, json_t *h) {
  int rc = proto_send(xp->dealer, NULL, h, NULL, 0, 0);
  json_decref(h);
  return rc;
}

/* Handle one driver message; returns 1 on shutdown. */
static int on_driver(struct xproc *xp, struct proto_msg *m) {
  const char *t = m->type;
  if (strcmp(t, "job") == 0) {
    size_t len;
    const void *p = proto_payload(m, &len);
    struct executor_job *j = calloc(1, sizeof *j);
    if (!j || !(j->desc = malloc(len + 1))) {
      free(j);
      xlog(xp, "out of memory storing a job description");
      return 0;
    }
    if (len) memcpy(j->desc, p, len);
    j->desc[len] = 0;
    j->len = len;
    j->id = (uint64_t)proto_int(m, "job", 0);
    j->refs = 1;
    pthread_mutex_lock(&xp->mu);
    job_unref(xp->job);
    xp->job = j;
    pthread_mutex_unlock(&xp->mu);
  } else if (strcmp(t, "task") == 0) {
    struct executor_task *x = parse_task(xp, m);
    if (!x) {
      xlog(xp, "dropped a malformed task message");
      return 0;
    }
    pthread_mutex_lock(&xp->mu);
    if (xp->qtail)
      xp->qtail->next = x;
    else
      xp->qhead = x;
    xp->qtail = x;
    pthread_cond_signal(&xp->cv);
    pthread_mutex_unlock(&xp->mu);
  } else if (strcmp(t, "cancel") == 0) {
    uint64_t job = (uint64_t)proto_int(m, "job", 0);
    xlog(xp, "cancelling tasks of job %llu", (unsigned long long)job);
    cancel_job(xp, job);
  } else if (strcmp(t, "shutdown") == 0) {
    xlog(xp, "shutdown requested by the driver");
    return 1;
  }
  return 0;
}

/* Move one whole message from the task threads' pipe to the driver.
 * Returns 0, 1 when nothing was waiting, -1 when the driver is gone. */
static int forward_one(struct xproc *xp) {
  int first = 1;
  for (;;) {
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, xp->pull, first ? ZMQ_DONTWAIT : 0) < 0) {
      zmq_msg_close(&f);
      return first ? 1 : -1;
    }
    first = 0;
    int more = zmq_msg_more(&f);
    if (zmq_msg_send(&f, xp->dealer, more ? ZMQ_SNDMORE : 0) < 0) {
      zmq_msg_close(&f);
      return -1;
    }
    if (!more) return 0;
  }
}

static const char *arg_val(int argc, char **argv, const char *name) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  return NULL;
}

int executor_main(int argc, char **argv, cluster_task_fn fn, void *fn_arg) {
  /* Die with the driver even if it is killed outright. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  cluster_tune_malloc();
  pid_t ppid0 = getppid();
  struct xproc xps, *xp = &xps;
  memset(xp, 0, sizeof *xp);
  const char *s;
  xp->endpoint = arg_val(argc, argv, "--connect");
  xp->dir = arg_val(argc, argv, "--dir");
  xp->id = (s = arg_val(argc, argv, "--id")) ? atoi(s) : 0;
  xp->cores = (s = arg_val(argc, argv, "--cores")) ? atoi(s) : 1;
  xp->memory = (s = arg_val(argc, argv, "--memory")) ? mem_parse_size(s) : 0;
  xp->fraction = (s = arg_val(argc, argv, "--fraction")) ? atof(s) : 0.6;
  xp->hb_ms = (s = arg_val(argc, argv, "--heartbeat")) ? atoi(s) : 1000;
  xp->timeout_ms = (s = arg_val(argc, argv, "--timeout")) ? atoi(s) : 10000;
  if (!xp->endpoint || !xp->dir || xp->cores < 1 || xp->cores > 1024 || xp->hb_ms < 1 ||
      xp->timeout_ms < 1) {
    fprintf(stderr, "usage: executor --connect ENDPOINT --id N --cores C --memory BYTES --dir DIR\n");
    return 2;
  }
  if (ppid0 == 1) return 3; /* the driver is already gone */
  xp->fn = fn;
  xp->fn_arg = fn_arg;
  mem_budget_init(&xp->mem, xp->memory > 0 ? (int64_t)((double)xp->memory * xp->fraction) : 0);
  snprintf(xp->spill_root, sizeof xp->spill_root, "%s/exec-%d", xp->dir, xp->id);
  mkdir(xp->spill_root, 0700);
  pthread_mutex_init(&xp->mu, NULL);
  pthread_cond_init(&xp->cv, NULL);
  xp->running = calloc((size_t)xp->cores, sizeof *xp->running);
  xp->zctx = zmq_ctx_new();
  xp->dealer = zmq_socket(xp->zctx, ZMQ_DEALER);
  xp->pull = zmq_socket(xp->zctx, ZMQ_PULL);
  if (!xp->running || !xp->dealer || !xp->pull) return 4;
  proto_socket_defaults(xp->dealer);
  proto_socket_defaults(xp->pull);
  char ident[32];
  snprintf(ident, sizeof ident, "x%d", xp->id);
  zmq_setsockopt(xp->dealer, ZMQ_ROUTING_ID, ident, strlen(ident));
  /* A driver that stops reading for the whole timeout is as good as gone. */
  zmq_setsockopt(xp->dealer, ZMQ_SNDTIMEO, &xp->timeout_ms, sizeof xp->timeout_ms);
  if (zmq_bind(xp->pull, "inproc://executor-out") != 0 ||
      zmq_connect(xp->dealer, xp->endpoint) != 0) {
    xlog(xp, "cannot connect to %s: %s", xp->endpoint, zmq_strerror(errno));
    return 4;
  }
  xlog(xp, "started (pid %d, %d cores, budget %lld bytes), driver %s", (int)getpid(), xp->cores,
       (long long)xp->mem.cap, xp->endpoint);
  struct xworker *ws = calloc((size_t)xp->cores, sizeof *ws);
  pthread_t *th = calloc((size_t)xp->cores, sizeof *th);
  if (!ws || !th) return 4;
  for (int i = 0; i < xp->cores; i++) {
    ws[i].xp = xp;
    ws[i].index = i;
    pthread_create(&th[i], NULL, worker_main, &ws[i]);
  }
  send_driver(xp, json_pack("{s:s, s:i, s:i, s:i}", "t", "register", "id", xp->id, "pid",
                            (int)getpid(), "cores", xp->cores));
  int64_t last_rx = proto_now_ms(), last_hb = proto_now_ms();
  int status = 0, done = 0;
  while (!done) {
    zmq_pollitem_t it[2] = {{xp->dealer, 0, ZMQ_POLLIN, 0}, {xp->pull, 0, ZMQ_POLLIN, 0}};
    int wait = xp->hb_ms < 100 ? xp->hb_ms : 100;
    if (zmq_poll(it, 2, wait) < 0 && errno != EINTR) break;
    for (int k = 0; k < 256 && !done; k++) {
      struct proto_msg m;
      int rc = proto_recv(xp->dealer, 0, ZMQ_DONTWAIT, &m);
      if (rc == -1) break;
      last_rx = proto_now_ms();
      if (rc == -2) {
        xlog(xp, "dropped a malformed or oversized message from the driver");
        continue;
      }
      done = on_driver(xp, &m);
      proto_msg_close(&m);
    }
    for (int k = 0; k < 1024 && !done; k++) {
      int rc = forward_one(xp);
      if (rc == 1) break;
      if (rc < 0) {
        xlog(xp, "cannot reach the driver (%s); exiting", zmq_strerror(errno));
        status = 3;
        done = 1;
      }
    }
    int64_t now = proto_now_ms();
    if (!done && now - last_hb >= xp->hb_ms) {
      int n = 0;
      pthread_mutex_lock(&xp->mu);
      for (int i = 0; i < xp->cores; i++) n += xp->running[i] != NULL;
      pthread_mutex_unlock(&xp->mu);
      if (send_driver(xp, json_pack("{s:s, s:i, s:i}", "t", "hb", "id", xp->id, "running", n)) < 0) {
        xlog(xp, "cannot reach the driver; exiting");
        status = 3;
        done = 1;
      }
      last_hb = now;
    }
    if (!done && now - last_rx > xp->timeout_ms) {
      xlog(xp, "no reply from the driver for %d ms; exiting", xp->timeout_ms);
      status = 3;
      done = 1;
    }
    if (!done && getppid() != ppid0) {
      xlog(xp, "the driver process is gone; exiting");
      status = 3;
      done = 1;
    }
  }
  if (status) {
    /* The driver is gone: nobody will read our results. Leave now rather
     * than wait for tasks that may be blocked on the pipe. */
    fflush(stderr);
    _exit(status);
  }
  cancel_job(xp, 0);
  pthread_mutex_lock(&xp->mu);
  xp->stop = 1;
  pthread_cond_broadcast(&xp->cv);
  pthread_mutex_unlock(&xp->mu);
  /* Keep draining the pipe so task threads blocked on a send can finish. */
  for (int i = 0; i < xp->cores; i++) {
    for (;;) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 20 * 1000000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      if (pthread_timedjoin_np(th[i], NULL, &ts) == 0) break;
      zmq_msg_t f;
      zmq_msg_init(&f);
      while (zmq_msg_recv(&f, xp->pull, ZMQ_DONTWAIT) >= 0) {
      }
      zmq_msg_close(&f);
    }
  }
  while (xp->qhead) {
    struct executor_task *x = xp->qhead;
    xp->qhead = x->next;
    xtask_free(xp, x);
  }
  job_unref(xp->job);
  zmq_close(xp->dealer);
  zmq_close(xp->pull);
  zmq_ctx_term(xp->zctx);
  fs_rmtree(xp->spill_root);
  free(ws);
  free(th);
  free(xp->running);
  pthread_mutex_destroy(&xp->mu);
  pthread_cond_destroy(&xp->cv);
  xlog(xp, "stopped");
  return 0;
}
