/* cluster.c: the driver side of the runtime -- executor processes (spawn,
 * registration, liveness, replacement), the in-process local[N] mode, and
 * the DAG scheduler (see cluster.h for the behaviours).
 *
 * Threads: the thread in cluster_run_job owns the scheduler state and, in
 * process mode, the ROUTER socket for the job's duration; between jobs an
 * idle thread owns the socket so executors' heartbeats keep being answered
 * and dead executors keep being replaced. `mu` (recursive, so callbacks may
 * call cluster_describe) guards the executor table for other threads
 * (cluster_describe, cluster_kill_executor). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/cluster/cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/cluster/executor.h"
#include "common/fs.h"
#include "engine/cluster/proto.h"
#include "engine/exec/batchio.h"

#define START_TIMEOUT_MS 10000
#define FETCH_FAILURE_LIMIT 16
#define LOCALITY_WAIT_MS 1000

enum { XS_STARTING, XS_RUNNING, XS_LOST, XS_STOPPED };
static const char *const xs_names[] = {"starting", "running", "lost", "stopped"};

struct xslot {
  int id;                 /* executor id (a replacement gets a new one) */
  pid_t pid;              /* 0 once reaped */
  int state;
  int cores;
  char log[PATH_MAX];
  int64_t started_ms, last_seen_ms;
  uint64_t job_sent;      /* job whose description this executor holds */
  uint64_t *inflight;     /* attempt ids running there */
  int ninflight, capinflight;
  int64_t tasks_run, tasks_failed;
};

struct block {
  char *name;
  int exec_id;
};

enum { T_PENDING, T_RUNNING, T_DONE };

struct stask {
  int state, failures, fetch_failures, attempts;
  int losses;             /* attempts lost with their executor */
  int lo, hi;
  uint64_t tid;           /* running attempt */
  char *out_path;         /* map output (owned) */
  int64_t *out_bytes;     /* nparts_out entries (owned) */
  int out_exec;           /* executor id that wrote it */
  int64_t pending_ms;
  struct batch **res;     /* result stage: batches of the successful attempt */
  int nres;
};

struct sstage {
  const struct cluster_stage *def;
  int submitted, ntasks, ndone, nrunning, nfailed;
  struct stask *tasks;
  int64_t rows, bytes, spill, start_us;
};

struct attempt {
  int stage, task, slot, live;
  struct batch **res;
  int nres, cap;
};

/* A job description shared by the job and its in-process tasks. */
struct ldesc {
  atomic_int refs;
  size_t len;
  char text[];
};

static void ldesc_unref(struct ldesc *d) {
  if (d && atomic_fetch_sub(&d->refs, 1) == 1) free(d);
}

struct job {
  uint64_t id;
  struct ldesc *jd;
  const char *desc;       /* jd->text */
  size_t len;
  int nstages;
  struct sstage *st;
  char dir[PATH_MAX + 64];
  struct attempt *att;    /* indexed by tid - tid_base */
  size_t natt, capatt;
  uint64_t tid_base;
  int next_deliver;
  int rc, stopped;
  struct err err;
  const struct cluster_callbacks *cb;
};

struct spawn_req {
  const char *exe;
  char **argv;
  int logfd, nullfd;
  pid_t pid;
  int err, done;
};

struct cluster {
  struct cluster_conf conf;
  char *local_dir, *exe, *log_dir;
  cluster_task_fn fn;
  void *fn_arg;
  char scratch[PATH_MAX];
  char endpoint[PATH_MAX + 32];
  int nslots;
  struct xslot *slots;
  int next_id;
  void *zctx, *router;
  pthread_mutex_t mu;       /* recursive: slots, blocks */
  pthread_mutex_t sock_mu;  /* socket ownership */
  pthread_mutex_t run_mu;   /* one job at a time */
  pthread_mutex_t idle_mu;
  pthread_cond_t idle_cv;
  pthread_t idle;
  int idle_started;
  atomic_int stopping, job_active, cancel;
  uint64_t next_job_id, next_tid;
  struct job *job;
  struct block *blocks;
  int nblocks;
  int starting;             /* cluster_start: a loss is fatal */
  char start_err[ERR_MSG_MAX];
  int respawns;             /* losses since the last successful task */
  /* the forking thread */
  pthread_t spawner;
  int spawner_started, sp_stop;
  pthread_mutex_t sp_mu;
  pthread_cond_t sp_cv;
  struct spawn_req *sp_req;
  /* in-process mode */
  struct mem_budget mem;
  pthread_t *lworkers;
  int nlworkers;
  pthread_mutex_t lmu;
  pthread_cond_t lcv, ldone_cv;
  struct executor_task *lq_head, *lq_tail, *ld_head, *ld_tail;
  struct executor_task **lrun;
  int lstop, lrunning;
  char **lwarn;
  int nlwarn;
};

void cluster_conf_defaults(struct cluster_conf *c) {
  memset(c, 0, sizeof *c);
  c->executors = 1;
  c->cores = 1;
  c->executor_memory = (int64_t)1 << 30;
  c->memory_fraction = 0.6;
  c->local_dir = "/tmp";
  c->max_failures = 4;
  c->advisory_partition_bytes = (int64_t)64 << 20;
  c->heartbeat_ms = 1000;
  c->executor_timeout_ms = 10000;
  c->exe = NULL;
  c->log_dir = NULL;
}

/* ---- helpers ---- */

static void event(struct cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(struct cluster *c, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->job && c->job->cb && c->job->cb->event) c->job->cb->event(c->job->cb->arg, msg);
}

static int is_local(const struct cluster *c) { return c->conf.executors == 0; }

void cluster_tune_malloc(void) {
#ifdef __GLIBC__
  static atomic_int done;
  if (atomic_exchange(&done, 1)) return;
  /* Blocks up to 32 MiB come from the heap (not a fresh mapping), and the
   * heap is trimmed only past 1 GiB of free space at its top. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  /* Task threads allocate from per-thread arenas, made of 64 MiB heaps. The
   * trim threshold does not keep such a heap: once it is empty it is
   * unmapped, and the next query faults its pages in again (measured on a
   * warm TPC-H q18: 4K to 42K page faults per run, up to 110 ms of system
   * time; the spread was most of its run-to-run variance). A top pad of one
   * heap's size keeps emptied heaps mapped; it reserves address space, not
   * memory. */
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static int inflight_add(struct xslot *x, uint64_t tid) {
  if (x->ninflight == x->capinflight) {
    int nc = x->capinflight ? x->capinflight * 2 : 8;
    uint64_t *n = realloc(x->inflight, sizeof *n * (size_t)nc);
    if (!n) return ERR_NOMEM;
    x->inflight = n;
    x->capinflight = nc;
  }
  x->inflight[x->ninflight++] = tid;
  return 0;
}

static void inflight_del(struct xslot *x, uint64_t tid) {
  for (int i = 0; i < x->ninflight; i++)
    if (x->inflight[i] == tid) {
      x->inflight[i] = x->inflight[--x->ninflight];
      return;
    }
}

static struct attempt *find_att(struct job *j, uint64_t tid) {
  if (!j || tid < j->tid_base || tid - j->tid_base >= j->natt) return NULL;
  return &j->att[tid - j->tid_base];
}

static void free_batches(struct batch **b, int n) {
  for (int i = 0; i < n; i++) batch_free(b[i]);
  free(b);
}

static int stage_complete(const struct job *j, int s) {
  return j->st[s].submitted && j->st[s].ndone == j->st[s].ntasks;
}

static int parents_complete(const struct job *j, int s) {
  const struct cluster_stage *d = j->st[s].def;
  for (int k = 0; k < d->nparents; k++)
    if (!stage_complete(j, d->parents[k])) return 0;
  return 1;
}

static void progress(struct cluster *c, int s) {
  struct job *j = c->job;
  if (!j || !j->cb || !j->cb->progress) return;
  struct sstage *st = &j->st[s];
  struct cluster_stage_progress p = {s, st->ntasks, st->ndone, st->nrunning, st->nfailed,
                                     st->rows, st->bytes, st->spill,
                                     st->start_us ? proto_now_us() - st->start_us : 0};
  j->cb->progress(j->cb->arg, &p);
}

static void block_forget_exec(struct cluster *c, int exec_id) {
  int w = 0;
  for (int i = 0; i < c->nblocks; i++) {
    if (c->blocks[i].exec_id == exec_id)
      free(c->blocks[i].name);
    else
      c->blocks[w++] = c->blocks[i];
  }
  c->nblocks = w;
}

static void block_add(struct cluster *c, const char *name, int exec_id) {
  for (int i = 0; i < c->nblocks; i++)
    if (strcmp(c->blocks[i].name, name) == 0) {
      c->blocks[i].exec_id = exec_id;
      return;
    }
  struct block *nb = realloc(c->blocks, sizeof *nb * (size_t)(c->nblocks + 1));
  if (!nb) return;
  c->blocks = nb;
  if ((nb[c->nblocks].name = strdup(name))) nb[c->nblocks++].exec_id = exec_id;
}

static int block_holder(struct cluster *c, const char *name) {
  for (int i = 0; i < c->nblocks; i++)
    if (strcmp(c->blocks[i].name, name) == 0) return c->blocks[i].exec_id;
  return -1;
}

/* ---- executor processes ---- */

/* PR_SET_PDEATHSIG fires when the *thread* that forked ends, so every
 * executor is forked by one thread that lives as long as the cluster
 * (whoever calls cluster_start or cluster_run_job may be short-lived). */
static void *spawner_main(void *arg) {
  struct cluster *c = arg;
  pthread_mutex_lock(&c->sp_mu);
  for (;;) {
    while (!c->sp_req && !c->sp_stop) pthread_cond_wait(&c->sp_cv, &c->sp_mu);
    if (!c->sp_req) break;
    struct spawn_req *rq = c->sp_req;
    c->sp_req = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      /* Only async-signal-safe calls from here to exec. */
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      if (rq->nullfd >= 0) dup2(rq->nullfd, 0);
      dup2(rq->logfd, 1);
      dup2(rq->logfd, 2);
#ifdef SYS_close_range
      syscall(SYS_close_range, 3u, ~0u, 0u);
#endif
      execv(rq->exe, rq->argv);
      static const char msg[] = "executor: exec failed\n";
      ssize_t wr = write(2, msg, sizeof msg - 1);
      (void)wr;
      _exit(127);
    }
    rq->pid = pid;
    rq->err = pid < 0 ? errno : 0;
    rq->done = 1;
    pthread_cond_broadcast(&c->sp_cv);
  }
  pthread_mutex_unlock(&c->sp_mu);
  return NULL;
}

static int spawn(struct cluster *c, int si, struct err *err) {
  struct xslot *x = &c->slots[si];
  x->id = c->next_id++;
  x->pid = 0;
  x->state = XS_STARTING;
  x->ninflight = 0;
  x->job_sent = 0;
  x->cores = c->conf.cores;
  if (snprintf(x->log, sizeof x->log, "%s/executor-%d.log", c->log_dir ? c->log_dir : c->scratch,
               x->id) >= (int)sizeof x->log)
    return err_set(err, ERR_INVAL, "executor log directory path is too long");
  char a_id[32], a_cores[32], a_mem[32], a_frac[32], a_hb[32], a_to[32];
  snprintf(a_id, sizeof a_id, "%d", x->id);
  snprintf(a_cores, sizeof a_cores, "%d", c->conf.cores);
  snprintf(a_mem, sizeof a_mem, "%lld", (long long)c->conf.executor_memory);
  snprintf(a_frac, sizeof a_frac, "%g", c->conf.memory_fraction);
  snprintf(a_hb, sizeof a_hb, "%d", c->conf.heartbeat_ms);
  snprintf(a_to, sizeof a_to, "%d", c->conf.executor_timeout_ms);
  char *argv[] = {c->exe, (char *)"executor", (char *)"--connect", c->endpoint, (char *)"--id",
                  a_id, (char *)"--cores", a_cores, (char *)"--memory", a_mem,
                  (char *)"--dir", c->scratch, (char *)"--fraction", a_frac,
                  (char *)"--heartbeat", a_hb, (char *)"--timeout", a_to, NULL};
  int logfd = open(x->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0)
    return err_set(err, ERR_IO, "cannot create executor log %s: %s", x->log, strerror(errno));
  int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct spawn_req rq = {c->exe, argv, logfd, nullfd, 0, 0, 0};
  pthread_mutex_lock(&c->sp_mu);
  c->sp_req = &rq;
  pthread_cond_broadcast(&c->sp_cv);
  while (!rq.done) pthread_cond_wait(&c->sp_cv, &c->sp_mu);
  pthread_mutex_unlock(&c->sp_mu);
  pid_t pid = rq.pid;
  int fork_errno = rq.err;
  close(logfd);
  if (nullfd >= 0) close(nullfd);
  if (pid < 0) {
    x->state = XS_LOST;
    return err_set(err, ERR_IO, "cannot start executor %d: fork: %s", x->id, strerror(fork_errno));
  }
  x->pid = pid;
  x->started_ms = x->last_seen_ms = proto_now_ms();
  return 0;
}

static void send_to(struct cluster *c, struct xslot *x, json_t *h, const void *p, size_t len) {
  char ident[32];
  snprintf(ident, sizeof ident, "x%d", x->id);
  if (h) proto_send(c->router, ident, h, p, len, ZMQ_DONTWAIT);
  json_decref(h);
}

static void abort_job(struct cluster *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void abort_job(struct cluster *c, int code, const char *fmt, ...) {
  struct job *j = c->job;
  if (!j || j->rc) return;
  char msg[ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  j->rc = err_set(&j->err, code, "%s", msg);
}

static void invalidate_output(struct job *j, int s, int t) {
  struct sstage *st = &j->st[s];
  struct stask *tk = &st->tasks[t];
  if (tk->state != T_DONE) return;
  free(tk->out_path);
  free(tk->out_bytes);
  tk->out_path = NULL;
  tk->out_bytes = NULL;
  tk->state = T_PENDING;
  tk->pending_ms = proto_now_ms();
  st->ndone--;
}

/* Is stage s's output still needed by an unfinished child stage? */
static int output_needed(const struct job *j, int s) {
  for (int k = s + 1; k < j->nstages; k++) {
    const struct cluster_stage *d = j->st[k].def;
    for (int p = 0; p < d->nparents; p++)
      if (d->parents[p] == s && !stage_complete(j, k)) return 1;
  }
  return 0;
}

static void on_lost(struct cluster *c, int si, const char *reason) {
  struct xslot *x = &c->slots[si];
  struct job *j = c->job;
  int old_id = x->id;
  x->state = XS_LOST;
  if (c->starting) {
    struct buf b;
    buf_init(&b, sizeof c->start_err - 1);
    if (buf_printf(&b, "executor %d failed to start (%s); see %s", old_id, reason, x->log) == 0)
      memcpy(c->start_err, b.data, b.len + 1);
    else
      snprintf(c->start_err, sizeof c->start_err, "executor %d failed to start (%s)", old_id, reason);
    buf_fini(&b);
    return;
  }
  for (int i = 0; i < x->ninflight; i++) {
    struct attempt *a = find_att(j, x->inflight[i]);
    if (!a || !a->live) continue;
    a->live = 0;
    free_batches(a->res, a->nres);
    a->res = NULL;
    a->nres = 0;
    struct sstage *st = &j->st[a->stage];
    st->nrunning--;
    st->tasks[a->task].state = T_PENDING;
    st->tasks[a->task].pending_ms = proto_now_ms();
    /* Not a task failure -- unless the same task keeps taking its
     * executor down with it. */
    if (++st->tasks[a->task].losses >= c->conf.max_failures)
      abort_job(c, ERR_REMOTE,
                "Job aborted due to stage failure: Task %d in stage %d failed %d times, most "
                "recent failure: ExecutorLostFailure (executor %d exited while running the task: "
                "%s); see %s",
                a->task, a->stage, st->tasks[a->task].losses, old_id, reason, x->log);
    progress(c, a->stage);
  }
  x->ninflight = 0;
  block_forget_exec(c, old_id);
  char what[1024] = "";
  size_t wl = 0;
  if (j) {
    for (int s = j->nstages - 1; s >= 0; s--) {
      if (!j->st[s].submitted || j->st[s].def->nparts_out <= 0 || !output_needed(j, s)) continue;
      int k = 0;
      for (int t = 0; t < j->st[s].ntasks; t++)
        if (j->st[s].tasks[t].state == T_DONE && j->st[s].tasks[t].out_exec == old_id) {
          invalidate_output(j, s, t);
          k++;
        }
      if (k) {
        wl += (size_t)snprintf(what + wl, sizeof what - wl, "%s%d map output%s of stage %d",
                               wl ? " and " : "; recomputing ", k, k == 1 ? "" : "s", s);
        if (wl >= sizeof what) wl = sizeof what - 1;
        progress(c, s);
      }
    }
  }
  event(c, "Executor %d lost (%s)%s", old_id, reason, what);
  /* Bounded: an executor that dies at once (bad binary, no memory) must
   * not turn into a fork loop. Lost slots are retried at the next job. */
  if (++c->respawns > 2 * c->nslots + 2) {
    abort_job(c, ERR_REMOTE, "Job aborted: executors keep failing (executor %d lost: %s); see %s",
              old_id, reason, x->log);
    return;
  }
  struct err e;
  err_clear(&e);
  if (spawn(c, si, &e) != 0) abort_job(c, e.code, "%s", e.msg);
}

/* Reap dead executors, kill silent ones. */
static void check_executors(struct cluster *c) {
  int64_t now = proto_now_ms();
  for (int si = 0; si < c->nslots; si++) {
    struct xslot *x = &c->slots[si];
    if ((x->state != XS_STARTING && x->state != XS_RUNNING) || x->pid <= 0) continue;
    int st;
    char reason[128];
    pid_t r = waitpid(x->pid, &st, WNOHANG);
    if (r < 0 && errno == ECHILD) {
      /* SIGCHLD ignored by the host process: children reap themselves. */
      x->pid = 0;
      on_lost(c, si, "exited");
      continue;
    }
    if (r == x->pid) {
      if (WIFSIGNALED(st))
        snprintf(reason, sizeof reason, "killed by signal %d", WTERMSIG(st));
      else
        snprintf(reason, sizeof reason, "exited with code %d", WEXITSTATUS(st));
      x->pid = 0;
      on_lost(c, si, reason);
      continue;
    }
    int silent = x->state == XS_RUNNING && now - x->last_seen_ms > c->conf.executor_timeout_ms;
    int stuck = x->state == XS_STARTING && now - x->started_ms > START_TIMEOUT_MS;
    if (silent || stuck) {
      kill(x->pid, SIGKILL);
      waitpid(x->pid, &st, 0);
      x->pid = 0;
      if (silent)
        snprintf(reason, sizeof reason, "no heartbeat for %d ms", c->conf.executor_timeout_ms);
      else
        snprintf(reason, sizeof reason, "did not register within %d s", START_TIMEOUT_MS / 1000);
      on_lost(c, si, reason);
    }
  }
}

/* ---- scheduler: status and results ---- */

struct status {
  uint64_t tid;
  int rc;
  const char *msg, *ename;
  int64_t rows, bytes, spill;
  const char *path;
  const int64_t *part_bytes;
  int n;
};

static void on_status(struct cluster *c, int si, const struct status *s) {
  struct job *j = c->job;
  struct attempt *a = find_att(j, s->tid);
  if (!a || !a->live) return;
  a->live = 0;
  struct sstage *st = &j->st[a->stage];
  struct stask *tk = &st->tasks[a->task];
  struct xslot *x = &c->slots[si];
  st->nrunning--;
  x->tasks_run++;
  int rc = s->rc;
  char msgbuf[ERR_MSG_MAX];
  snprintf(msgbuf, sizeof msgbuf, "%s", s->msg ? s->msg : "");
  int nout = st->def->nparts_out;
  if (rc == 0 && nout > 0 && (!s->path || !*s->path || s->n != nout)) {
    rc = ERR_BADSTATE;
    snprintf(msgbuf, sizeof msgbuf,
             "map task wrote %d partitions, expected %d (did it call map_output?)", s->n, nout);
  }
  if (rc == 0) {
    tk->state = T_DONE;
    st->ndone++;
    st->rows += s->rows;
    st->bytes += s->bytes;
    st->spill += s->spill;
    c->respawns = 0;
    if (nout > 0) {
      free(tk->out_path);
      free(tk->out_bytes);
      tk->out_path = strdup(s->path);
      tk->out_bytes = malloc(sizeof(int64_t) * (size_t)nout);
      if (!tk->out_path || !tk->out_bytes) {
        abort_job(c, ERR_NOMEM, "out of memory recording a map output");
      } else {
        memcpy(tk->out_bytes, s->part_bytes, sizeof(int64_t) * (size_t)nout);
      }
      tk->out_exec = x->id;
    } else {
      tk->res = a->res;
      tk->nres = a->nres;
      a->res = NULL;
      a->nres = 0;
    }
    progress(c, a->stage);
    return;
  }
  free_batches(a->res, a->nres);
  a->res = NULL;
  a->nres = 0;
  if (rc == ERR_CANCELLED && atomic_load(&c->cancel)) {
    tk->state = T_PENDING;
    progress(c, a->stage);
    return;
  }
  if (rc == ERR_IO && strncmp(msgbuf, "FetchFailed: ", 13) == 0 &&
      tk->fetch_failures < FETCH_FAILURE_LIMIT) {
    /* A lost shuffle input: recompute the map output it names (if it is
     * still the current one) and rerun this task; not a task failure. */
    tk->fetch_failures++;
    const struct cluster_stage *d = st->def;
    int found = 0;
    for (int k = 0; k < d->nparents && !found; k++) {
      struct sstage *ps = &j->st[d->parents[k]];
      for (int t = 0; t < ps->ntasks; t++) {
        const char *op = ps->tasks[t].out_path;
        size_t ol = op ? strlen(op) : 0;
        if (op && strncmp(msgbuf + 13, op, ol) == 0 && msgbuf[13 + ol] == ':') {
          invalidate_output(j, d->parents[k], t);
          event(c, "Lost shuffle output of stage %d task %d (%s); recomputing it",
                d->parents[k], t, msgbuf);
          progress(c, d->parents[k]);
          found = 1;
          break;
        }
      }
    }
    tk->state = T_PENDING;
    tk->pending_ms = proto_now_ms();
    progress(c, a->stage);
    return;
  }
  tk->failures++;
  st->nfailed++;
  x->tasks_failed++;
  if (tk->failures >= c->conf.max_failures) {
    int code = rc < 0 ? rc : ERR_REMOTE;
    abort_job(c, code,
              "Job aborted due to stage failure: Task %d in stage %d failed %d times, most recent "
              "failure: %s",
              a->task, a->stage, tk->failures, msgbuf);
    if (s->ename && *s->ename) err_set_ename(&j->err, s->ename);
  } else {
    tk->state = T_PENDING;
    tk->pending_ms = proto_now_ms();
  }
  progress(c, a->stage);
}

static void att_push(struct attempt *a, struct batch *b) {
  if (a->nres == a->cap) {
    int nc = a->cap ? a->cap * 2 : 8;
    struct batch **n = realloc(a->res, sizeof *n * (size_t)nc);
    if (!n) {
      batch_free(b);
      return;
    }
    a->res = n;
    a->cap = nc;
  }
  a->res[a->nres++] = b;
}

/* ---- process mode: the socket pump ---- */

static int slot_of_ident(struct cluster *c, const char *ident) {
  if (ident[0] != 'x') return -1;
  int id = atoi(ident + 1);
  for (int i = 0; i < c->nslots; i++)
    if (c->slots[i].id == id && (c->slots[i].state == XS_RUNNING || c->slots[i].state == XS_STARTING))
      return i;
  return -1;
}

static void handle_msg(struct cluster *c, struct proto_msg *m) {
  int si = slot_of_ident(c, m->ident);
  if (si < 0) return; /* a lost executor's last words */
  struct xslot *x = &c->slots[si];
  x->last_seen_ms = proto_now_ms();
  const char *t = m->type;
  if (strcmp(t, "register") == 0) {
    x->state = XS_RUNNING;
    int cores = (int)proto_int(m, "cores", c->conf.cores);
    if (cores >= 1 && cores <= 1024) x->cores = cores;
  } else if (strcmp(t, "hb") == 0) {
    send_to(c, x, json_pack("{s:s}", "t", "hb_ack"), NULL, 0);
  } else if (strcmp(t, "status") == 0) {
    uint64_t tid = (uint64_t)proto_int(m, "tid", 0);
    inflight_del(x, tid);
    size_t len;
    const void *p = proto_payload(m, &len);
    int n = (int)proto_int(m, "n", 0);
    if (n < 0 || (size_t)n * 16 != len) n = -1;
    int64_t *pb = NULL;
    if (n > 0) {
      pb = malloc(sizeof(int64_t) * (size_t)n);
      if (pb) memcpy(pb, p, sizeof(int64_t) * (size_t)n);
    }
    struct status s = {tid,
                       (int)proto_int(m, "rc", ERR_REMOTE),
                       proto_str(m, "msg", ""),
                       proto_str(m, "ename", ""),
                       proto_int(m, "rows", 0),
                       proto_int(m, "bytes", 0),
                       proto_int(m, "spill", 0),
                       proto_str(m, "path", NULL),
                       pb,
                       n > 0 && !pb ? -1 : n};
    on_status(c, si, &s);
    free(pb);
  } else if (strcmp(t, "result") == 0) {
    struct attempt *a = find_att(c->job, (uint64_t)proto_int(m, "tid", 0));
    if (!a || !a->live) return;
    size_t len;
    const void *p = proto_payload(m, &len);
    struct batch *b = NULL;
    struct err e;
    if (p && batchio_decode(p, len, &b, NULL, &e) == 0) {
      att_push(a, b);
    } else {
      abort_job(c, ERR_REMOTE, "corrupt result batch from executor %d", x->id);
    }
  } else if (strcmp(t, "block") == 0) {
    const char *name = proto_str(m, "name", NULL);
    if (name) block_add(c, name, x->id);
  } else if (strcmp(t, "warn") == 0) {
    const char *msg = proto_str(m, "msg", NULL);
    if (msg) event(c, "%s", msg);
  }
}

static void pump(struct cluster *c, int timeout_ms) {
  zmq_pollitem_t it = {c->router, 0, ZMQ_POLLIN, 0};
  zmq_poll(&it, 1, timeout_ms);
  pthread_mutex_lock(&c->mu);
  for (int k = 0; k < 4096; k++) {
    struct proto_msg m;
    int rc = proto_recv(c->router, 1, ZMQ_DONTWAIT, &m);
    if (rc == -1) break;
    if (rc == -2) continue;
    handle_msg(c, &m);
    proto_msg_close(&m);
  }
  check_executors(c);
  pthread_mutex_unlock(&c->mu);
}

static void *idle_main(void *arg) {
  struct cluster *c = arg;
  while (!atomic_load(&c->stopping)) {
    if (atomic_load(&c->job_active)) {
      pthread_mutex_lock(&c->idle_mu);
      while (atomic_load(&c->job_active) && !atomic_load(&c->stopping)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&c->idle_cv, &c->idle_mu, &ts);
      }
      pthread_mutex_unlock(&c->idle_mu);
      continue;
    }
    pthread_mutex_lock(&c->sock_mu);
    if (!atomic_load(&c->job_active)) pump(c, 20);
    pthread_mutex_unlock(&c->sock_mu);
  }
  return NULL;
}

/* ---- in-process mode ---- */

static int l_emit(struct cluster_task_io *io, const struct batch *b, struct err *err) {
  struct executor_task *x = io->impl;
  if (!b->nrows) return 0;
  if (x->nres == x->capres) {
    int nc = x->capres ? x->capres * 2 : 8;
    struct batch **n = realloc(x->res, sizeof *n * (size_t)nc);
    if (!n) return err_set(err, ERR_NOMEM, "out of memory buffering results");
    x->res = n;
    x->capres = nc;
  }
  struct type tys[64], *types = b->ncols <= 64 ? tys : malloc(sizeof *types * (size_t)b->ncols);
  if (!types) return err_set(err, ERR_NOMEM, "out of memory buffering results");
  batch_types(b, types);
  struct batch *copy = batch_new(types, b->ncols, b->nrows, ARENA_UNLIMITED);
  if (types != tys) free(types);
  if (!copy || batch_append_rows(copy, b, NULL, 0) != 0) {
    batch_free(copy);
    return err_set(err, ERR_NOMEM, "out of memory buffering results");
  }
  x->res[x->nres++] = copy;
  x->rows += b->nrows;
  x->bytes += batch_bytes(b);
  return 0;
}

static void l_block(struct cluster_task_io *io, const char *name) {
  (void)io;
  (void)name; /* one executor: every block is local */
}

static void l_warn(struct cluster_task_io *io, const char *msg) {
  struct executor_task *x = io->impl;
  struct cluster *c = x->owner;
  pthread_mutex_lock(&c->lmu);
  char **n = realloc(c->lwarn, sizeof *n * (size_t)(c->nlwarn + 1));
  if (n) {
    c->lwarn = n;
    if ((n[c->nlwarn] = strdup(msg))) c->nlwarn++;
  }
  pthread_mutex_unlock(&c->lmu);
}

static void *lworker_main(void *arg) {
  struct cluster *c = arg;
  char spill_root[PATH_MAX + 32];
  snprintf(spill_root, sizeof spill_root, "%s/exec-local", c->scratch);
  for (;;) {
    pthread_mutex_lock(&c->lmu);
    while (!c->lstop && !c->lq_head) pthread_cond_wait(&c->lcv, &c->lmu);
    if (c->lstop) {
      pthread_mutex_unlock(&c->lmu);
      return NULL;
    }
    struct executor_task *x = c->lq_head;
    c->lq_head = x->next;
    if (!c->lq_head) c->lq_tail = NULL;
    x->next = NULL;
    int slot = 0;
    while (c->lrun[slot]) slot++;
    c->lrun[slot] = x;
    c->lrunning++;
    pthread_mutex_unlock(&c->lmu);
    x->owner = c;
    struct cluster_task_io io = {l_emit, executor_task_map_output, l_block, l_warn, x};
    executor_run_task(x, c->fn, c->fn_arg, &c->mem, spill_root, &io);
    pthread_mutex_lock(&c->lmu);
    c->lrun[slot] = NULL;
    c->lrunning--;
    if (c->ld_tail)
      c->ld_tail->next = x;
    else
      c->ld_head = x;
    c->ld_tail = x;
    pthread_cond_broadcast(&c->ldone_cv);
    pthread_mutex_unlock(&c->lmu);
  }
}

static void ltask_free(struct executor_task *x) {
  executor_task_clear(x);
  if (x->in)
    for (int k = 0; k < x->t.ninputs; k++) {
      for (int m = 0; x->in[k] && m < x->nin[k]; m++) free(x->in[k][m]);
      free(x->in[k]);
    }
  free(x->in);
  free(x->in_stage);
  free(x->nin);
  free(x->dir);
  ldesc_unref(x->desc_ref);
  free(x);
}

/* Wait up to timeout_ms for finished in-process tasks and process them. */
static void local_wait(struct cluster *c, int timeout_ms) {
  pthread_mutex_lock(&c->lmu);
  if (!c->ld_head && !c->nlwarn && timeout_ms > 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)timeout_ms * 1000000;
    while (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&c->ldone_cv, &c->lmu, &ts);
  }
  struct executor_task *done = c->ld_head;
  c->ld_head = c->ld_tail = NULL;
  char **warn = c->lwarn;
  int nwarn = c->nlwarn;
  c->lwarn = NULL;
  c->nlwarn = 0;
  pthread_mutex_unlock(&c->lmu);
  for (int i = 0; i < nwarn; i++) {
    event(c, "%s", warn[i]);
    free(warn[i]);
  }
  free(warn);
  while (done) {
    struct executor_task *x = done;
    done = x->next;
    inflight_del(&c->slots[0], x->tid);
    struct attempt *a = find_att(c->job, x->tid);
    if (a && a->live && !x->rc) {
      a->res = x->res;
      a->nres = a->cap = x->nres;
      x->res = NULL;
      x->nres = x->capres = 0;
    }
    struct status s = {x->tid,   x->rc,        x->err.msg, x->err.ename,   x->rows,
                       x->bytes, x->ctx.spill_bytes, x->out_path, x->out_bytes, x->nout};
    on_status(c, 0, &s);
    ltask_free(x);
  }
}

/* Drop queued in-process tasks and cancel running ones. With wait, also
 * wait until none runs and free the finished ones (cluster_stop); without,
 * running tasks finish in the background holding their own references,
 * and their completions are ignored by the next job (cancel returns at
 * once, whatever the task function does). */
static void local_drain(struct cluster *c, int wait) {
  pthread_mutex_lock(&c->lmu);
  struct executor_task *q = c->lq_head;
  c->lq_head = c->lq_tail = NULL;
  for (int i = 0; c->lrun && i < c->nlworkers; i++)
    if (c->lrun[i]) atomic_store(&c->lrun[i]->cancel, 1);
  struct executor_task *d = NULL;
  if (wait) {
    while (c->lrunning > 0) pthread_cond_wait(&c->ldone_cv, &c->lmu);
    d = c->ld_head;
    c->ld_head = c->ld_tail = NULL;
  }
  pthread_mutex_unlock(&c->lmu);
  while (q) {
    struct executor_task *x = q;
    q = x->next;
    if (c->slots) inflight_del(&c->slots[0], x->tid);
    ltask_free(x);
  }
  while (d) {
    struct executor_task *x = d;
    d = x->next;
    if (c->slots) inflight_del(&c->slots[0], x->tid);
    ltask_free(x);
  }
}

/* ---- scheduler: stages and launching ---- */

static int submit_stage(struct cluster *c, struct job *j, int s) {
  struct sstage *st = &j->st[s];
  const struct cluster_stage *d = st->def;
  int n = d->ntasks;
  int *lo = NULL, *hi = NULL;
  if (d->coalesce && d->nparents > 0) {
    /* AQE: merge consecutive partitions until their bytes over all
     * parents' map outputs reach the target size. As Spark's
     * coalescePartitions.parallelismFirst, the target is at most the total
     * over the task slots, so a small shuffle still keeps every core busy,
     * but not under 1 MiB (nor the advisory size, when that is smaller). */
    lo = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    hi = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!lo || !hi) {
      free(lo);
      free(hi);
      return ERR_NOMEM;
    }
    int64_t total = 0;
    for (int k = 0; k < d->nparents; k++) {
      struct sstage *ps = &j->st[d->parents[k]];
      int np = ps->def->nparts_out < n ? ps->def->nparts_out : n;
      for (int t = 0; t < ps->ntasks; t++)
        for (int p = 0; p < np && ps->tasks[t].out_bytes; p++) total += ps->tasks[t].out_bytes[p];
    }
    int64_t slots = (int64_t)c->conf.cores * (is_local(c) ? 1 : c->conf.executors);
    int64_t adv = c->conf.advisory_partition_bytes;
    int64_t floor_bytes = adv < ((int64_t)1 << 20) ? adv : ((int64_t)1 << 20);
    int64_t target = (total + slots - 1) / (slots > 0 ? slots : 1);
    if (target > adv) target = adv;
    if (target < floor_bytes) target = floor_bytes;
    int m = 0, start = 0;
    int64_t acc = 0;
    for (int p = 0; p < n; p++) {
      for (int k = 0; k < d->nparents; k++) {
        struct sstage *ps = &j->st[d->parents[k]];
        if (p >= ps->def->nparts_out) continue;
        for (int t = 0; t < ps->ntasks; t++)
          if (ps->tasks[t].out_bytes) acc += ps->tasks[t].out_bytes[p];
      }
      if (acc >= target) {
        lo[m] = start;
        hi[m++] = p + 1;
        start = p + 1;
        acc = 0;
      }
    }
    if (start < n || m == 0) {
      lo[m] = start;
      hi[m++] = n > start ? n : start;
    }
    n = m;
  }
  st->tasks = calloc((size_t)(n > 0 ? n : 1), sizeof *st->tasks);
  if (!st->tasks) {
    free(lo);
    free(hi);
    return ERR_NOMEM;
  }
  int64_t now = proto_now_ms();
  for (int t = 0; t < n; t++) {
    struct stask *tk = &st->tasks[t];
    tk->state = T_PENDING;
    tk->pending_ms = now;
    tk->out_exec = -1;
    if (lo) {
      tk->lo = lo[t];
      tk->hi = hi[t];
    } else if (d->nparents > 0) {
      tk->lo = t;
      tk->hi = t + 1;
    }
  }
  free(lo);
  free(hi);
  st->ntasks = n;
  st->submitted = 1;
  st->start_us = proto_now_us();
  progress(c, s);
  return 0;
}

static int new_attempt(struct job *j, int s, int t, int si, uint64_t *tid) {
  if (j->natt == j->capatt) {
    size_t nc = j->capatt ? j->capatt * 2 : 64;
    struct attempt *n = realloc(j->att, sizeof *n * nc);
    if (!n) return ERR_NOMEM;
    j->att = n;
    j->capatt = nc;
  }
  *tid = j->tid_base + j->natt;
  struct attempt *a = &j->att[j->natt++];
  memset(a, 0, sizeof *a);
  a->stage = s;
  a->task = t;
  a->slot = si;
  a->live = 1;
  return 0;
}

static int launch(struct cluster *c, struct job *j, int s, int t, int si) {
  struct sstage *st = &j->st[s];
  struct stask *tk = &st->tasks[t];
  const struct cluster_stage *d = st->def;
  struct xslot *x = &c->slots[si];
  uint64_t tid;
  if (new_attempt(j, s, t, si, &tid)) return ERR_NOMEM;
  c->next_tid = tid + 1;
  int attempt = tk->attempts++;
  char name[64];
  snprintf(name, sizeof name, "j%llu-s%d-t%d-a%d", (unsigned long long)j->id, s, t, attempt);
  if (is_local(c)) {
    struct executor_task *e = calloc(1, sizeof *e);
    if (!e) return ERR_NOMEM;
    atomic_init(&e->cancel, 0);
    e->tid = tid;
    int np = d->nparents;
    e->in_stage = calloc((size_t)(np ? np : 1), sizeof(int));
    e->nin = calloc((size_t)(np ? np : 1), sizeof(int));
    e->in = calloc((size_t)(np ? np : 1), sizeof(char **));
    if (!e->in_stage || !e->nin || !e->in) {
      ltask_free(e);
      return ERR_NOMEM;
    }
    e->t.ninputs = np;
    for (int k = 0; k < np; k++) {
      struct sstage *ps = &j->st[d->parents[k]];
      e->in_stage[k] = d->parents[k];
      e->in[k] = calloc((size_t)(ps->ntasks ? ps->ntasks : 1), sizeof(char *));
      if (!e->in[k]) {
        ltask_free(e);
        return ERR_NOMEM;
      }
      e->nin[k] = ps->ntasks;
      /* Copied: a FetchFailed elsewhere may invalidate (free) an output
       * while this task still runs. */
      for (int m = 0; m < ps->ntasks; m++) {
        e->in[k][m] = strdup(ps->tasks[m].out_path ? ps->tasks[m].out_path : "");
        if (!e->in[k][m]) {
          ltask_free(e);
          return ERR_NOMEM;
        }
      }
    }
    e->desc_ref = j->jd;
    atomic_fetch_add(&j->jd->refs, 1);
    e->t.job = j->desc;
    e->t.job_len = j->len;
    e->t.job_id = j->id;
    e->t.stage = s;
    e->t.task = t;
    e->t.attempt = attempt;
    e->t.part_lo = tk->lo;
    e->t.part_hi = tk->hi;
    e->t.input_stage = e->in_stage;
    e->t.inputs = (const char *const *const *)e->in;
    e->t.ninput_files = e->nin;
    e->t.nparts_out = d->nparts_out;
    if (!(e->dir = strdup(j->dir))) {
      ltask_free(e);
      return ERR_NOMEM;
    }
    e->t.shuffle_dir = e->dir;
    memcpy(e->t.shuffle_name, name, sizeof name);
    pthread_mutex_lock(&c->lmu);
    if (c->lq_tail)
      c->lq_tail->next = e;
    else
      c->lq_head = e;
    c->lq_tail = e;
    pthread_cond_signal(&c->lcv);
    pthread_mutex_unlock(&c->lmu);
  } else {
    if (x->job_sent != j->id) {
      send_to(c, x, json_pack("{s:s, s:I}", "t", "job", "job", (json_int_t)j->id), j->desc, j->len);
      x->job_sent = j->id;
    }
    json_t *in = json_array();
    for (int k = 0; k < d->nparents; k++) {
      struct sstage *ps = &j->st[d->parents[k]];
      json_t *files = json_array();
      for (int m = 0; m < ps->ntasks; m++)
        json_array_append_new(files, json_string(ps->tasks[m].out_path ? ps->tasks[m].out_path : ""));
      json_array_append_new(in, json_pack("{s:i, s:o}", "s", d->parents[k], "f", files));
    }
    json_t *h = json_pack("{s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:o}", "t",
                          "task", "tid", (json_int_t)tid, "job", (json_int_t)j->id, "stage", s,
                          "task", t, "attempt", attempt, "lo", tk->lo, "hi", tk->hi, "nout",
                          d->nparts_out, "dir", j->dir, "name", name, "in", in);
    if (!h) return ERR_NOMEM;
    send_to(c, x, h, NULL, 0);
  }
  inflight_add(x, tid);
  tk->state = T_RUNNING;
  tk->tid = tid;
  st->nrunning++;
  progress(c, s);
  return 0;
}

static int slot_free(const struct xslot *x) {
  return x->state == XS_RUNNING && x->ninflight < x->cores;
}

static void schedule(struct cluster *c, struct job *j) {
  int64_t now = proto_now_ms();
  for (int s = 0; s < j->nstages && !j->rc; s++) {
    struct sstage *st = &j->st[s];
    if (!parents_complete(j, s)) continue;
    if (!st->submitted && submit_stage(c, j, s)) {
      abort_job(c, ERR_NOMEM, "out of memory submitting stage %d", s);
      return;
    }
    for (int t = 0; t < st->ntasks; t++) {
      struct stask *tk = &st->tasks[t];
      if (tk->state != T_PENDING) continue;
      int any = -1;
      for (int k = 0; k < c->nslots; k++) {
        /* rotate the starting slot so tasks spread across executors */
        int si = (int)((j->natt + (size_t)k) % (size_t)c->nslots);
        if (slot_free(&c->slots[si])) {
          any = si;
          break;
        }
      }
      if (any < 0) return; /* every core is busy */
      int pick = any;
      if (st->def->block_prefix && c->nslots > 1) {
        char bn[512];
        snprintf(bn, sizeof bn, "%s/%d", st->def->block_prefix, t);
        int holder = block_holder(c, bn);
        if (holder >= 0) {
          int hs = -1;
          for (int k = 0; k < c->nslots; k++)
            if (c->slots[k].id == holder && c->slots[k].state == XS_RUNNING) hs = k;
          if (hs >= 0 && slot_free(&c->slots[hs]))
            pick = hs;
          else if (hs >= 0 && now - tk->pending_ms < LOCALITY_WAIT_MS)
            continue; /* wait a little for the holder */
        }
      }
      if (launch(c, j, s, t, pick)) {
        abort_job(c, ERR_NOMEM, "out of memory launching a task");
        return;
      }
    }
  }
}

/* Hand finished result tasks' batches to the callback in task order.
 * Returns 1 when the job is complete. */
static int deliver(struct cluster *c, struct job *j) {
  int rs = j->nstages - 1;
  struct sstage *st = &j->st[rs];
  if (!st->submitted) return 0;
  while (!j->stopped && j->next_deliver < st->ntasks &&
         st->tasks[j->next_deliver].state == T_DONE) {
    struct stask *tk = &st->tasks[j->next_deliver];
    for (int i = 0; i < tk->nres; i++) {
      struct batch *b = tk->res[i];
      tk->res[i] = NULL;
      if (j->stopped) {
        batch_free(b);
        continue;
      }
      if (j->cb && j->cb->result) {
        if (j->cb->result(j->cb->arg, j->next_deliver, b) != 0) j->stopped = 1;
      } else {
        batch_free(b);
      }
    }
    free(tk->res);
    tk->res = NULL;
    tk->nres = 0;
    j->next_deliver++;
  }
  (void)c;
  return j->stopped || j->next_deliver == st->ntasks;
}

static void job_free(struct job *j) {
  if (!j) return;
  for (size_t i = 0; i < j->natt; i++) free_batches(j->att[i].res, j->att[i].nres);
  free(j->att);
  for (int s = 0; s < j->nstages; s++) {
    struct sstage *st = &j->st[s];
    if (!st->tasks) continue;
    for (int t = 0; t < st->ntasks; t++) {
      free(st->tasks[t].out_path);
      free(st->tasks[t].out_bytes);
      free_batches(st->tasks[t].res, st->tasks[t].nres);
    }
    free(st->tasks);
  }
  free(j->st);
  ldesc_unref(j->jd);
  free(j);
}

static int validate_job(const struct cluster_job *job, struct err *err) {
  if (!job || job->nstages < 1 || !job->stages)
    return err_set(err, ERR_INVAL, "a job needs at least one stage");
  for (int s = 0; s < job->nstages; s++) {
    const struct cluster_stage *d = &job->stages[s];
    if (d->ntasks < 0 || d->nparts_out < 0 || d->nparts_out > 100000 || d->nparents < 0 ||
        (d->nparents && !d->parents))
      return err_set(err, ERR_INVAL, "stage %d: invalid shape", s);
    for (int k = 0; k < d->nparents; k++)
      if (d->parents[k] < 0 || d->parents[k] >= s || job->stages[d->parents[k]].nparts_out <= 0)
        return err_set(err, ERR_INVAL, "stage %d: parent %d is not an earlier map stage", s,
                       d->parents[k]);
  }
  if (job->stages[job->nstages - 1].nparts_out != 0)
    return err_set(err, ERR_INVAL, "the last stage of a job must be a result stage");
  return 0;
}

int cluster_run_job(struct cluster *c, const struct cluster_job *job,
                    const struct cluster_callbacks *cb, struct err *err) {
  int rc = validate_job(job, err);
  if (rc) return rc;
  pthread_mutex_lock(&c->run_mu);
  struct job *j = calloc(1, sizeof *j);
  if (!j || !(j->st = calloc((size_t)job->nstages, sizeof *j->st)) ||
      !(j->jd = malloc(sizeof *j->jd + job->desc_len + 1))) {
    job_free(j);
    pthread_mutex_unlock(&c->run_mu);
    return err_set(err, ERR_NOMEM, "out of memory starting a job");
  }
  atomic_init(&j->jd->refs, 1);
  j->jd->len = job->desc_len;
  if (job->desc_len) memcpy(j->jd->text, job->desc, job->desc_len);
  j->jd->text[job->desc_len] = 0;
  j->desc = j->jd->text;
  j->len = job->desc_len;
  j->nstages = job->nstages;
  for (int s = 0; s < job->nstages; s++) j->st[s].def = &job->stages[s];
  j->cb = cb;
  j->id = ++c->next_job_id;
  j->tid_base = c->next_tid;
  snprintf(j->dir, sizeof j->dir, "%s/shuffle-%llu", c->scratch, (unsigned long long)j->id);
  if (mkdir(j->dir, 0700) != 0) {
    rc = err_set(err, ERR_IO, "cannot create shuffle directory %s: %s", j->dir, strerror(errno));
    job_free(j);
    pthread_mutex_unlock(&c->run_mu);
    return rc;
  }
  atomic_store(&c->cancel, 0);
  if (!is_local(c)) {
    atomic_store(&c->job_active, 1);
    pthread_mutex_lock(&c->sock_mu);
  }
  pthread_mutex_lock(&c->mu);
  c->job = j;
  c->respawns = 0;
  for (int si = 0; si < c->nslots && !is_local(c); si++) {
    struct err se;
    if (c->slots[si].state == XS_LOST && spawn(c, si, &se) != 0) abort_job(c, se.code, "%s", se.msg);
  }
  pthread_mutex_unlock(&c->mu);
  for (;;) {
    if (atomic_load(&c->cancel)) {
      rc = err_set(err, ERR_CANCELLED, "Job %llu cancelled", (unsigned long long)j->id);
      break;
    }
    pthread_mutex_lock(&c->mu);
    if (!j->rc) schedule(c, j);
    int usable = 0;
    for (int si = 0; si < c->nslots; si++)
      usable += c->slots[si].state == XS_RUNNING || c->slots[si].state == XS_STARTING;
    if (!usable)
      abort_job(c, ERR_REMOTE, "Job aborted: no executor is available; see %s", c->slots[0].log);
    pthread_mutex_unlock(&c->mu);
    if (j->rc) break;
    if (deliver(c, j)) break;
    if (is_local(c))
      local_wait(c, 50);
    else
      pump(c, 20);
    if (j->rc) break;
    if (deliver(c, j)) break;
  }
  if (j->rc && !rc) {
    rc = j->rc;
    if (err) *err = j->err;
  }
  /* Stop whatever still runs for this job. */
  pthread_mutex_lock(&c->mu);
  if (is_local(c)) {
    local_drain(c, 0);
  } else {
    for (int si = 0; si < c->nslots; si++) {
      struct xslot *x = &c->slots[si];
      if (x->state != XS_RUNNING) continue;
      int busy = 0;
      for (int i = 0; i < x->ninflight; i++) busy |= find_att(j, x->inflight[i]) != NULL;
      if (busy) send_to(c, x, json_pack("{s:s, s:I}", "t", "cancel", "job", (json_int_t)j->id), NULL, 0);
    }
  }
  c->job = NULL;
  pthread_mutex_unlock(&c->mu);
  c->next_tid = j->tid_base + j->natt;
  fs_rmtree(j->dir);
  job_free(j);
  if (!is_local(c)) {
    pthread_mutex_unlock(&c->sock_mu);
    pthread_mutex_lock(&c->idle_mu);
    atomic_store(&c->job_active, 0);
    pthread_cond_broadcast(&c->idle_cv);
    pthread_mutex_unlock(&c->idle_mu);
  }
  pthread_mutex_unlock(&c->run_mu);
  return rc;
}

void cluster_cancel(struct cluster *c) {
  if (c) atomic_store(&c->cancel, 1);
}

/* ---- lifecycle ---- */

int cluster_start(struct cluster **out, const struct cluster_conf *conf, cluster_task_fn fn,
                  void *fn_arg, struct err *err) {
  *out = NULL;
  cluster_tune_malloc();
  if (!conf || conf->executors < 0 || conf->executors > 256 || conf->cores < 1 ||
      conf->cores > 1024)
    return err_set(err, ERR_INVAL, "invalid cluster configuration (executors %d, cores %d)",
                   conf ? conf->executors : -1, conf ? conf->cores : -1);
  struct cluster *c = calloc(1, sizeof *c);
  if (!c) return err_set(err, ERR_NOMEM, "out of memory starting the cluster");
  c->conf = *conf;
  if (c->conf.max_failures < 1) c->conf.max_failures = 1;
  if (c->conf.heartbeat_ms < 10) c->conf.heartbeat_ms = 10;
  if (c->conf.executor_timeout_ms < 3 * c->conf.heartbeat_ms)
    c->conf.executor_timeout_ms = 3 * c->conf.heartbeat_ms;
  if (c->conf.memory_fraction <= 0 || c->conf.memory_fraction > 1) c->conf.memory_fraction = 0.6;
  c->fn = fn;
  c->fn_arg = fn_arg;
  c->local_dir = strdup(conf->local_dir && *conf->local_dir ? conf->local_dir : "/tmp");
  c->exe = strdup(conf->exe && *conf->exe ? conf->exe : "/proc/self/exe");
  c->log_dir = conf->log_dir && *conf->log_dir ? strdup(conf->log_dir) : NULL;
  c->conf.local_dir = c->local_dir;
  c->conf.exe = c->exe;
  c->conf.log_dir = c->log_dir;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&c->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  pthread_mutex_init(&c->sock_mu, NULL);
  pthread_mutex_init(&c->run_mu, NULL);
  pthread_mutex_init(&c->idle_mu, NULL);
  pthread_cond_init(&c->idle_cv, NULL);
  pthread_mutex_init(&c->lmu, NULL);
  pthread_cond_init(&c->lcv, NULL);
  pthread_cond_init(&c->ldone_cv, NULL);
  c->next_tid = 1;
  int rc = 0;
  if (!c->local_dir || !c->exe || (conf->log_dir && !c->log_dir)) {
    rc = err_set(err, ERR_NOMEM, "out of memory starting the cluster");
    goto fail;
  }
  snprintf(c->scratch, sizeof c->scratch, "%s/kindling-%d-XXXXXX", c->local_dir, (int)getpid());
  if (!mkdtemp(c->scratch)) {
    rc = err_set(err, ERR_IO, "cannot create a scratch directory under %s: %s", c->local_dir,
                 strerror(errno));
    c->scratch[0] = 0;
    goto fail;
  }
  c->nslots = conf->executors ? conf->executors : 1;
  c->slots = calloc((size_t)c->nslots, sizeof *c->slots);
  if (!c->slots) {
    rc = err_set(err, ERR_NOMEM, "out of memory starting the cluster");
    goto fail;
  }
  if (is_local(c)) {
    char d[PATH_MAX + 16];
    snprintf(d, sizeof d, "%s/exec-local", c->scratch);
    mkdir(d, 0700);
    mem_budget_init(&c->mem, conf->executor_memory > 0
                                 ? (int64_t)((double)conf->executor_memory * c->conf.memory_fraction)
                                 : 0);
    struct xslot *x = &c->slots[0];
    x->id = 0;
    x->pid = getpid();
    x->state = XS_RUNNING;
    x->cores = conf->cores;
    snprintf(x->log, sizeof x->log, "(driver process)");
    c->lworkers = calloc((size_t)conf->cores, sizeof *c->lworkers);
    c->lrun = calloc((size_t)conf->cores, sizeof *c->lrun);
    if (!c->lworkers || !c->lrun) {
      rc = err_set(err, ERR_NOMEM, "out of memory starting the cluster");
      goto fail;
    }
    for (int i = 0; i < conf->cores; i++) {
      if (pthread_create(&c->lworkers[i], NULL, lworker_main, c) != 0) {
        rc = err_set(err, ERR_NOMEM, "cannot start task threads");
        goto fail;
      }
      c->nlworkers++;
    }
    *out = c;
    return 0;
  }
  snprintf(c->endpoint, sizeof c->endpoint, "ipc://%s/driver.sock", c->scratch);
  if (strlen(c->endpoint) - 6 >= 107) {
    rc = err_set(err, ERR_INVAL, "scratch path %s is too long for a local socket; set a shorter "
                 "spark.local.dir", c->scratch);
    goto fail;
  }
  c->zctx = zmq_ctx_new();
  c->router = c->zctx ? zmq_socket(c->zctx, ZMQ_ROUTER) : NULL;
  if (!c->router) {
    rc = err_set(err, ERR_IO, "cannot create the driver socket: %s", zmq_strerror(errno));
    goto fail;
  }
  proto_socket_defaults(c->router);
  if (zmq_bind(c->router, c->endpoint) != 0) {
    rc = err_set(err, ERR_IO, "cannot bind %s: %s", c->endpoint, zmq_strerror(errno));
    goto fail;
  }
  pthread_mutex_init(&c->sp_mu, NULL);
  pthread_cond_init(&c->sp_cv, NULL);
  if (pthread_create(&c->spawner, NULL, spawner_main, c) != 0) {
    rc = err_set(err, ERR_NOMEM, "cannot start the driver's spawner thread");
    goto fail;
  }
  c->spawner_started = 1;
  c->starting = 1;
  for (int i = 0; i < c->nslots; i++) {
    if ((rc = spawn(c, i, err))) goto fail;
  }
  int64_t t0 = proto_now_ms();
  for (;;) {
    pump(c, 20);
    if (c->start_err[0]) {
      rc = err_set(err, ERR_REMOTE, "%s", c->start_err);
      goto fail;
    }
    int ready = 0;
    for (int i = 0; i < c->nslots; i++) ready += c->slots[i].state == XS_RUNNING;
    if (ready == c->nslots) break;
    if (proto_now_ms() - t0 > START_TIMEOUT_MS) {
      rc = err_set(err, ERR_TIMEOUT, "executors did not register within %d s; see %s",
                   START_TIMEOUT_MS / 1000, c->slots[0].log);
      goto fail;
    }
  }
  c->starting = 0;
  if (pthread_create(&c->idle, NULL, idle_main, c) != 0) {
    rc = err_set(err, ERR_NOMEM, "cannot start the driver's service thread");
    goto fail;
  }
  c->idle_started = 1;
  *out = c;
  return 0;
fail:
  cluster_stop(c);
  return rc;
}

static int reap_all(struct cluster *c, int64_t wait_ms) {
  int64_t t0 = proto_now_ms();
  for (;;) {
    int alive = 0;
    for (int i = 0; i < c->nslots; i++) {
      struct xslot *x = &c->slots[i];
      if (x->pid <= 0) continue;
      int st;
      pid_t r = waitpid(x->pid, &st, WNOHANG);
      if (r == x->pid || (r < 0 && errno == ECHILD)) {
        x->pid = 0;
        x->state = XS_STOPPED;
      } else {
        alive++;
      }
    }
    if (!alive || proto_now_ms() - t0 >= wait_ms) return alive;
    usleep(10000);
  }
}

void cluster_stop(struct cluster *c) {
  if (!c) return;
  atomic_store(&c->stopping, 1);
  if (c->idle_started) {
    pthread_mutex_lock(&c->idle_mu);
    pthread_cond_broadcast(&c->idle_cv);
    pthread_mutex_unlock(&c->idle_mu);
    pthread_join(c->idle, NULL);
  }
  if (is_local(c)) {
    pthread_mutex_lock(&c->lmu);
    c->lstop = 1;
    for (int i = 0; c->lrun && i < c->nlworkers; i++)
      if (c->lrun[i]) atomic_store(&c->lrun[i]->cancel, 1);
    pthread_cond_broadcast(&c->lcv);
    pthread_mutex_unlock(&c->lmu);
    for (int i = 0; i < c->nlworkers; i++) pthread_join(c->lworkers[i], NULL);
    local_drain(c, 1);
  } else if (c->slots) {
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->nslots; i++)
      if (c->slots[i].pid > 0 && c->router)
        send_to(c, &c->slots[i], json_pack("{s:s}", "t", "shutdown"), NULL, 0);
    if (reap_all(c, 1000)) {
      for (int i = 0; i < c->nslots; i++)
        if (c->slots[i].pid > 0) kill(c->slots[i].pid, SIGTERM);
      if (reap_all(c, 2000)) {
        for (int i = 0; i < c->nslots; i++)
          if (c->slots[i].pid > 0) kill(c->slots[i].pid, SIGKILL);
        for (int i = 0; i < c->nslots; i++)
          if (c->slots[i].pid > 0) {
            waitpid(c->slots[i].pid, NULL, 0);
            c->slots[i].pid = 0;
            c->slots[i].state = XS_STOPPED;
          }
      }
    }
    pthread_mutex_unlock(&c->mu);
  }
  if (c->spawner_started) {
    /* Only now: the executors were reaped above (they die with this
     * thread). */
    pthread_mutex_lock(&c->sp_mu);
    c->sp_stop = 1;
    pthread_cond_broadcast(&c->sp_cv);
    pthread_mutex_unlock(&c->sp_mu);
    pthread_join(c->spawner, NULL);
    pthread_mutex_destroy(&c->sp_mu);
    pthread_cond_destroy(&c->sp_cv);
  }
  if (c->router) zmq_close(c->router);
  if (c->zctx) zmq_ctx_term(c->zctx);
  if (c->scratch[0]) fs_rmtree(c->scratch);
  for (int i = 0; c->slots && i < c->nslots; i++) free(c->slots[i].inflight);
  free(c->slots);
  for (int i = 0; i < c->nblocks; i++) free(c->blocks[i].name);
  free(c->blocks);
  for (int i = 0; i < c->nlwarn; i++) free(c->lwarn[i]);
  free(c->lwarn);
  free(c->lworkers);
  free(c->lrun);
  free(c->local_dir);
  free(c->exe);
  free(c->log_dir);
  pthread_mutex_destroy(&c->mu);
  pthread_mutex_destroy(&c->sock_mu);
  pthread_mutex_destroy(&c->run_mu);
  pthread_mutex_destroy(&c->idle_mu);
  pthread_cond_destroy(&c->idle_cv);
  pthread_mutex_destroy(&c->lmu);
  pthread_cond_destroy(&c->lcv);
  pthread_cond_destroy(&c->ldone_cv);
  free(c);
}

int cluster_describe(struct cluster *c, struct buf *out) {
  json_t *root = json_object();
  json_t *arr = json_array();
  if (!root || !arr) {
    json_decref(root);
    json_decref(arr);
    return ERR_NOMEM;
  }
  pthread_mutex_lock(&c->mu);
  char mode[64];
  if (is_local(c))
    snprintf(mode, sizeof mode, "local[%d]", c->conf.cores);
  else
    snprintf(mode, sizeof mode, "executors[%d x %d cores]", c->conf.executors, c->conf.cores);
  json_object_set_new(root, "mode", json_string(mode));
  json_object_set_new(root, "scratch", json_string(c->scratch));
  json_object_set_new(root, "endpoint", json_string(c->endpoint));
  for (int i = 0; i < c->nslots; i++) {
    struct xslot *x = &c->slots[i];
    json_array_append_new(
        arr, json_pack("{s:i, s:i, s:s, s:i, s:I, s:s, s:I, s:I, s:i}", "id", x->id, "pid",
                       (int)x->pid, "state", xs_names[x->state], "cores", x->cores, "memory",
                       (json_int_t)c->conf.executor_memory, "log", x->log, "tasks_run",
                       (json_int_t)x->tasks_run, "tasks_failed", (json_int_t)x->tasks_failed,
                       "running", x->ninflight));
  }
  pthread_mutex_unlock(&c->mu);
  json_object_set_new(root, "executors", arr);
  char *s = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  if (!s) return ERR_NOMEM;
  int rc = buf_puts(out, s);
  free(s);
  return rc;
}

int cluster_kill_executor(struct cluster *c, int index, int sig) {
  if (!c || is_local(c)) return ERR_NOTFOUND;
  pthread_mutex_lock(&c->mu);
  int rc = ERR_NOTFOUND;
  if (index >= 0 && index < c->nslots && c->slots[index].pid > 0 &&
      (c->slots[index].state == XS_RUNNING || c->slots[index].state == XS_STARTING))
    rc = kill(c->slots[index].pid, sig) == 0 ? 0 : ERR_NOTFOUND;
  pthread_mutex_unlock(&c->mu);
  return rc;
}
