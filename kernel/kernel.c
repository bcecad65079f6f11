/* kernel.c: sockets, threads, request dispatch and the busy/idle discipline
 * (see kernel.h). Cell execution lives in exec.c, history in history.c,
 * completion and introspection in complete.c. */
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/buf.h"
#include "config.h"
#include "kernel/complete.h"
#include "kernel/exec.h"
#include "kernel/history.h"
#include "kernel/msg.h"
#include "magics/magic.h"

static struct kernel *g_kernel; /* for the signal handler only */

void kernel_log(const char *fmt, ...) {
  char date[40];
  msg_date_now(date, sizeof date);
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[kindling %s] ", date);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

const char *kernel_lang_spec(enum kernel_lang lang) {
  switch (lang) {
    case KERNEL_LANG_SCALA: return "kindling-spark";
    case KERNEL_LANG_SQL: return "kindling-sql";
    default: return "kindling-pyspark";
  }
}

/* ---- sending ---------------------------------------------------------- */

static json_t *empty_obj(void) { return json_object(); }

void kernel_publish(struct chan *ch, json_t *parent, const char *msg_type, json_t *content) {
  struct kernel *k = ch->k;
  json_t *hdr = msg_header(k->session_id, k->username, msg_type);
  json_t *par = parent ? json_incref(parent) : empty_obj();
  json_t *meta = empty_obj();
  /* The topic frame mirrors ipykernel's "kernel.<id>.<type>"; clients
   * subscribe to everything and ignore it. */
  char topic[128];
  snprintf(topic, sizeof topic, "kernel.%s.%s", k->session_id, msg_type);
  char *ids[1] = {topic};
  size_t idlen[1] = {strlen(topic)};
  char *parts[4];
  size_t lens[4];
  char hex[WIRE_SIG_HEX + 1];
  /* Serialise and sign outside the lock; hold it only to hand the frames to
   * ZeroMQ (PUB never blocks: a slow subscriber drops at its HWM). */
  int rc = hdr ? wire_encode(hdr, par, meta, content, k->conn.key, k->conn.key_len, parts, lens,
                             hex)
               : ERR_NOMEM;
  if (rc == 0) {
    pthread_mutex_lock(&k->iopub_lock);
    rc = k->iopub ? wire_send_encoded(k->iopub, ids, idlen, 1, parts, lens, hex) : ERR_IO;
    pthread_mutex_unlock(&k->iopub_lock);
    wire_parts_free(parts);
  }
  if (rc != 0) klog("failed to publish %s", msg_type);
  json_decref(hdr);
  json_decref(par);
  json_decref(meta);
}

void kernel_publish_status(struct chan *ch, json_t *parent, const char *state) {
  json_t *c = json_pack("{s:s}", "execution_state", state);
  kernel_publish(ch, parent, "status", c);
  json_decref(c);
}

static void reply_with_meta(struct chan *ch, const struct wire_msg *req, const char *msg_type,
                            json_t *content, json_t *metadata) {
  struct kernel *k = ch->k;
  json_t *hdr = msg_header(k->session_id, k->username, msg_type);
  json_t *meta = metadata ? json_incref(metadata) : empty_obj();
  if (hdr && wire_send(ch->sock, req->ids, req->ids_len, req->nids, hdr, req->header, meta,
                       content, k->conn.key, k->conn.key_len) != 0)
    klog("failed to send %s on %s", msg_type, ch->name);
  json_decref(hdr);
  json_decref(meta);
}

void kernel_reply(struct chan *ch, const struct wire_msg *req, const char *msg_type,
                  json_t *content) {
  reply_with_meta(ch, req, msg_type, content, NULL);
}

int kernel_send_stdin(struct kernel *k, const struct wire_msg *req, const char *msg_type,
                      json_t *content) {
  json_t *hdr = msg_header(k->session_id, k->username, msg_type);
  json_t *meta = empty_obj();
  int rc = hdr ? wire_send(k->stdin_sock, req->ids, req->ids_len, req->nids, hdr, req->header,
                           meta, content, k->conn.key, k->conn.key_len)
               : ERR_NOMEM;
  json_decref(hdr);
  json_decref(meta);
  return rc;
}

/* ---- handlers --------------------------------------------------------- */

static json_t *language_info(enum kernel_lang lang) {
  switch (lang) {
    case KERNEL_LANG_SCALA:
      return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", "scala", "version", "2.12",
                       "mimetype", "text/x-scala", "file_extension", ".scala",
                       "pygments_lexer", "scala", "codemirror_mode", "text/x-scala");
    case KERNEL_LANG_SQL:
      return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", "sql", "version", "3.5",
                       "mimetype", "text/x-sql", "file_extension", ".sql", "pygments_lexer",
                       "sql", "codemirror_mode", "text/x-sparksql");
    default:
      return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i}, s:s}", "name", "python",
                       "version", "3", "mimetype", "text/x-python", "file_extension", ".py",
                       "pygments_lexer", "ipython3", "codemirror_mode", "name", "ipython",
                       "version", 3, "nbconvert_exporter", "python");
  }
}

static void on_kernel_info(struct chan *ch, const struct wire_msg *req) {
  struct kernel *k = ch->k;
  char banner[512];
  snprintf(banner, sizeof banner,
           "Kindling %s: a native Jupyter kernel for Apache Spark (%s)\n"
           "Cells run on Livy when an endpoint is configured, else on the bundled local "
           "engine. %%%%help lists the magics.",
           PACKAGE_VERSION, kernel_lang_spec(k->lang));
  json_t *c = json_pack(
      "{s:s, s:s, s:s, s:s, s:o, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}], s:b}", "status",
      "ok", "protocol_version", MSG_PROTOCOL_VERSION, "implementation", "kindling",
      "implementation_version", PACKAGE_VERSION, "language_info", language_info(k->lang),
      "banner", banner, "help_links", "text", "Kindling magics (%%help)", "url",
      "https://github.com/jupyter-incubator/sparkmagic", "text", "Spark SQL reference", "url",
      "https://spark.apache.org/docs/latest/sql-ref.html", "text", "Apache Livy REST API",
      "url", "https://livy.apache.org/docs/latest/rest-api.html", "debugger", 0);
  kernel_reply(ch, req, "kernel_info_reply", c);
  json_decref(c);
}

/* code and cursor_pos of a complete/inspect request; a missing cursor
 * means the end of the code. */
static const char *code_and_cursor(const struct wire_msg *req, size_t *cp) {
  const char *code = json_string_value(json_object_get(req->content, "code"));
  json_t *pos = json_object_get(req->content, "cursor_pos");
  if (!code) code = "";
  *cp = json_is_integer(pos) && json_integer_value(pos) >= 0 ? (size_t)json_integer_value(pos)
                                                             : strlen(code);
  return code;
}

static void on_complete(struct chan *ch, const struct wire_msg *req) {
  size_t cp;
  const char *code = code_and_cursor(req, &cp);
  json_t *c = complete_matches(code, cp, ch->k->lang, ch->k->exec);
  kernel_reply(ch, req, "complete_reply", c);
  json_decref(c);
}

static void on_inspect(struct chan *ch, const struct wire_msg *req) {
  size_t cp;
  const char *code = code_and_cursor(req, &cp);
  json_t *c = complete_inspect(code, cp, ch->k->lang);
  kernel_reply(ch, req, "inspect_reply", c);
  json_decref(c);
}

static void on_is_complete(struct chan *ch, const struct wire_msg *req) {
  const char *code = json_string_value(json_object_get(req->content, "code"));
  json_t *c = complete_is_complete(code ? code : "", ch->k->lang);
  kernel_reply(ch, req, "is_complete_reply", c);
  json_decref(c);
}

static void on_history(struct chan *ch, const struct wire_msg *req) {
  json_t *c = history_query(ch->k->hist, req->content);
  kernel_reply(ch, req, "history_reply", c);
  json_decref(c);
}

static void on_comm_info(struct chan *ch, const struct wire_msg *req) {
  json_t *c = json_pack("{s:s, s:{}}", "status", "ok", "comms");
  kernel_reply(ch, req, "comm_info_reply", c);
  json_decref(c);
}

static void on_comm_open(struct chan *ch, const struct wire_msg *req) {
  /* No comm targets exist: close the comm at once so the frontend does not
   * wait for one (messaging.rst "Opening a Comm"). */
  json_t *id = json_object_get(req->content, "comm_id");
  json_t *c = json_pack("{s:O, s:{}}", "comm_id", id ? id : json_null(), "data");
  kernel_publish(ch, req->header, "comm_close", c);
  json_decref(c);
}

static void on_ignore(struct chan *ch, const struct wire_msg *req) {
  (void)ch;
  (void)req;
}

static void on_interrupt(struct chan *ch, const struct wire_msg *req) {
  exec_interrupt(ch->k);
  json_t *c = json_pack("{s:s}", "status", "ok");
  kernel_reply(ch, req, "interrupt_reply", c);
  json_decref(c);
}

static void request_quit(struct kernel *k) {
  atomic_store(&k->quit, 1);
  exec_interrupt(k);
  char b = 'q';
  if (write(k->wake_pipe[1], &b, 1) < 0) { /* the shell loop also polls quit */
  }
}

static void on_shutdown(struct chan *ch, const struct wire_msg *req) {
  json_t *restart = json_object_get(req->content, "restart");
  json_t *c = json_pack("{s:s, s:b}", "status", "ok", "restart", json_is_true(restart));
  kernel_reply(ch, req, "shutdown_reply", c);
  json_decref(c);
  request_quit(ch->k);
}

static void on_execute(struct chan *ch, const struct wire_msg *req);

struct handler {
  const char *type;
  void (*fn)(struct chan *ch, const struct wire_msg *req);
  int shell_only;
};

static const struct handler handlers[] = {
    {"kernel_info_request", on_kernel_info, 0},
    {"execute_request", on_execute, 1},
    {"complete_request", on_complete, 0},
    {"inspect_request", on_inspect, 0},
    {"is_complete_request", on_is_complete, 0},
    {"history_request", on_history, 1},
    {"comm_info_request", on_comm_info, 0},
    {"comm_open", on_comm_open, 0},
    {"comm_msg", on_ignore, 0},
    {"comm_close", on_ignore, 0},
    {"interrupt_request", on_interrupt, 0},
    {"shutdown_request", on_shutdown, 0},
};

static void dispatch(struct chan *ch, const struct wire_msg *req) {
  const struct handler *h = NULL;
  for (size_t i = 0; i < sizeof handlers / sizeof *handlers; i++)
    if (strcmp(handlers[i].type, req->msg_type) == 0) h = &handlers[i];
  kernel_publish_status(ch, req->header, "busy");
  if (!h)
    klog("%s: ignoring unknown message type %s", ch->name, req->msg_type);
  else if (h->shell_only && ch != &ch->k->shell)
    klog("%s: %s is only served on shell", ch->name, req->msg_type);
  else
    h->fn(ch, req);
  kernel_publish_status(ch, req->header, "idle");
}

/* ---- execute and stop_on_error ---------------------------------------- */

static int bool_field(json_t *content, const char *key, int dflt) {
  json_t *v = json_object_get(content, key);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void abort_reply(struct chan *ch, const struct wire_msg *req) {
  /* Protocol 5.1 deprecates status "aborted": an error reply with the
   * current count lets every frontend stop its spinner. */
  json_t *c = json_pack("{s:s, s:i, s:s, s:s, s:[], s:{}, s:[]}", "status", "error",
                        "execution_count", ch->k->execution_count, "ename", "ExecutionAborted",
                        "evalue", "Not run because a previous cell failed (stop_on_error).",
                        "traceback", "user_expressions", "payload");
  json_t *meta = json_pack("{s:s}", "status", "aborted");
  reply_with_meta(ch, req, "execute_reply", c, meta);
  json_decref(meta);
  json_decref(c);
}

/* Answer every execute_request already queued on shell without running it;
 * other requests queued meanwhile are served normally. */
static void abort_queue(struct chan *ch) {
  struct kernel *k = ch->k;
  for (;;) {
    zmq_pollitem_t it = {ch->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 20) <= 0) return;
    struct wire_msg *m = NULL;
    struct err e;
    err_clear(&e);
    int rc = wire_recv(ch->sock, ZMQ_DONTWAIT, k->conn.key, k->conn.key_len, &m, &e);
    if (rc == ERR_NOTFOUND) return;
    if (rc) {
      klog("shell: dropped message: %s", e.msg);
      continue;
    }
    if (strcmp(m->msg_type, "execute_request") == 0) {
      kernel_publish_status(ch, m->header, "busy");
      abort_reply(ch, m);
      kernel_publish_status(ch, m->header, "idle");
    } else {
      dispatch(ch, m);
    }
    wire_msg_free(m);
  }
}


/* Keep a cell in the history. The history outlives the kernel on disk, so
 * a password typed on a magic line (%spark add -p ...) is masked there as in
 * error messages; a cell without a magic line is kept as it is. When memory
 * runs out while masking, nothing is kept: never the unmasked cell. */
static void history_store(struct kernel *k, int count, const char *code) {
  if (code[0] != '%' && !strstr(code, "\n%")) {
    history_add(k->hist, count, code);
    return;
  }
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  for (const char *line = code;;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    char *safe = line[0] == '%' ? magic_redact_line(line, n, NULL) : NULL;
    int rc = safe ? buf_puts(&b, safe) : buf_append(&b, line, n);
    free(safe);
    if (!rc && nl) rc = buf_putc(&b, '\n');
    if (rc || (line[0] == '%' && !safe)) {
      buf_fini(&b);
      return;
    }
    if (!nl) break;
    line = nl + 1;
  }
  history_add(k->hist, count, b.data ? b.data : "");
  buf_fini(&b);
}

static void on_execute(struct chan *ch, const struct wire_msg *req) {
  struct kernel *k = ch->k;
  const char *code = json_string_value(json_object_get(req->content, "code"));
  if (!code) code = "";
  int silent = bool_field(req->content, "silent", 0);
  int store = silent ? 0 : bool_field(req->content, "store_history", 1);
  int allow_stdin = bool_field(req->content, "allow_stdin", 0);
  int stop_on_error = bool_field(req->content, "stop_on_error", 1);
  if (store) k->execution_count++;
  int count = k->execution_count;
  if (!silent) {
    json_t *in = json_pack("{s:s, s:i}", "code", code, "execution_count", count);
    kernel_publish(ch, req->header, "execute_input", in);
    json_decref(in);
  }
  if (store) history_store(k, count, code);
  atomic_store(&k->interrupt, 0);
  atomic_store(&k->busy_exec, 1);
  struct exec_request er = {.req = req,
                            .ch = ch,
                            .code = code,
                            .silent = silent,
                            .store_history = store,
                            .allow_stdin = allow_stdin,
                            .execution_count = count};
  json_t *reply = exec_run(k, &er);
  atomic_store(&k->busy_exec, 0);
  int failed = strcmp(json_string_value(json_object_get(reply, "status")), "ok") != 0;
  json_object_set_new(reply, "execution_count", json_integer(count));
  json_t *meta = json_pack("{s:s}", "status", failed ? "error" : "ok");
  reply_with_meta(ch, req, "execute_reply", reply, meta);
  json_decref(meta);
  json_decref(reply);
  if (failed && stop_on_error && !silent) abort_queue(ch);
}

/* ---- threads ---------------------------------------------------------- */

static void *hb_main(void *arg) {
  struct kernel *k = arg;
  /* Echo every frame back to its sender; returns when the context ends. */
  zmq_proxy(k->hb, k->hb, NULL);
  zmq_close(k->hb);
  return NULL;
}

static void serve_one(struct chan *ch) {
  struct wire_msg *m = NULL;
  struct err e;
  err_clear(&e);
  int rc = wire_recv(ch->sock, ZMQ_DONTWAIT, ch->k->conn.key, ch->k->conn.key_len, &m, &e);
  if (rc == ERR_NOTFOUND) return;
  if (rc) {
    /* Bad signature, no delimiter, bad JSON, oversized: log and drop; the
     * kernel keeps serving (ipykernel answers nothing either). */
    klog("%s: dropped message: %s", ch->name, e.msg);
    return;
  }
  dispatch(ch, m);
  wire_msg_free(m);
}

static void *control_main(void *arg) {
  struct kernel *k = arg;
  struct chan *ch = &k->control;
  while (!atomic_load(&k->quit)) {
    zmq_pollitem_t items[2] = {{ch->sock, 0, ZMQ_POLLIN, 0}, {NULL, k->sig_pipe[0], ZMQ_POLLIN, 0}};
    int n = zmq_poll(items, 2, k->parent > 0 ? 1000 : -1);
    if (n < 0) {
      if (zmq_errno() == EINTR) continue;
      break; /* ETERM */
    }
    /* A frontend that died without a shutdown_request (a killed console)
     * would leave us and our Spark session running forever: as ipykernel's
     * parent poller does, leave when we are reparented. */
    if (k->parent > 0 && getppid() != k->parent) {
      klog("parent process %d is gone: shutting down", (int)k->parent);
      request_quit(k);
      break;
    }
    if (items[1].revents & ZMQ_POLLIN) {
      char sig[16];
      ssize_t r = read(k->sig_pipe[0], sig, sizeof sig);
      for (ssize_t i = 0; i < r; i++) {
        if (sig[i] == 'i') {
          klog("SIGINT: interrupting the running cell");
          exec_interrupt(k);
        } else if (sig[i] == 't') {
          klog("SIGTERM: shutting down");
          request_quit(k);
        }
      }
    }
    if (items[0].revents & ZMQ_POLLIN) serve_one(ch);
  }
  return NULL;
}

static void on_signal(int sig) {
  /* Async-signal-safe: hand the signal to the control thread. */
  char b = sig == SIGINT ? 'i' : 't';
  if (g_kernel && write(g_kernel->sig_pipe[1], &b, 1) < 0) {
  }
}

static void *make_socket(struct kernel *k, int type, enum conn_channel ch, struct err *e) {
  char ep[512];
  conn_endpoint(&k->conn, ch, ep, sizeof ep);
  void *s = zmq_socket(k->zctx, type);
  if (!s) {
    err_set(e, ERR_IO, "cannot create %s socket: %s", conn_channel_name(ch),
            zmq_strerror(zmq_errno()));
    return NULL;
  }
  int linger = ch == CONN_IOPUB ? 500 : 100;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_bind(s, ep) != 0) {
    err_set(e, ERR_IO, "cannot bind %s socket to %s: %s", conn_channel_name(ch), ep,
            zmq_strerror(zmq_errno()));
    zmq_close(s);
    return NULL;
  }
  return s;
}

int kernel_run(const char *conn_path, enum kernel_lang lang) {
  struct kernel *k = calloc(1, sizeof *k);
  struct err e;
  err_clear(&e);
  if (!k) return 1;
  k->lang = lang;
  if (conn_load(conn_path, &k->conn, &e) != 0) {
    fprintf(stderr, "kindling: %s\n", e.msg);
    free(k);
    return 2;
  }
  msg_uuid(k->session_id);
  const char *user = getenv("USER");
  snprintf(k->username, sizeof k->username, "%s", user && *user ? user : "kindling");
  if (pipe2(k->sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
      pipe2(k->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    perror("kindling: pipe");
    return 1;
  }
  k->zctx = zmq_ctx_new();
  k->shell.k = k->control.k = k;
  k->shell.name = "shell";
  k->control.name = "control";
  int rc = 0;
  if (!(k->shell.sock = make_socket(k, ZMQ_ROUTER, CONN_SHELL, &e)) ||
      !(k->control.sock = make_socket(k, ZMQ_ROUTER, CONN_CONTROL, &e)) ||
      !(k->stdin_sock = make_socket(k, ZMQ_ROUTER, CONN_STDIN, &e)) ||
      !(k->iopub = make_socket(k, ZMQ_PUB, CONN_IOPUB, &e)) ||
      !(k->hb = make_socket(k, ZMQ_ROUTER, CONN_HB, &e))) {
    fprintf(stderr, "kindling: %s\n", e.msg);
    return 1;
  }
  k->hist = history_open(NULL);
  k->exec = exec_state_new(k);
  g_kernel = k;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  const char *jpp = getenv("JPY_PARENT_PID");
  if (jpp && atoi(jpp) > 1 && atoi(jpp) == (int)getppid()) k->parent = (pid_t)atoi(jpp);
  pthread_mutex_init(&k->iopub_lock, NULL);
  pthread_create(&k->hb_thread, NULL, hb_main, k);
  pthread_create(&k->control_thread, NULL, control_main, k);
  kernel_publish_status(&k->shell, NULL, "starting");
  klog("%s ready (pid %d)", kernel_lang_spec(lang), (int)getpid());

  while (!atomic_load(&k->quit)) {
    zmq_pollitem_t items[2] = {{k->shell.sock, 0, ZMQ_POLLIN, 0},
                               {NULL, k->wake_pipe[0], ZMQ_POLLIN, 0}};
    int n = zmq_poll(items, 2, -1);
    if (n < 0) {
      if (zmq_errno() == EINTR) continue;
      break;
    }
    if (items[0].revents & ZMQ_POLLIN) serve_one(&k->shell);
  }

  /* Shutdown: release backend sessions (bounded); let the control thread
   * finish the request it may be serving (a shutdown_request's reply and
   * idle) and leave its loop, which checks quit after every wakeup; close
   * IOPub, whose linger still delivers the last messages during
   * zmq_ctx_term; then end the context, which stops the heartbeat. */
  exec_state_free(k->exec);
  k->exec = NULL;
  history_flush(k->hist);
  char w = 'w';
  if (write(k->sig_pipe[1], &w, 1) < 0) { /* a full pipe wakes control too */
  }
  pthread_join(k->control_thread, NULL);
  pthread_mutex_lock(&k->iopub_lock);
  zmq_close(k->iopub);
  k->iopub = NULL;
  pthread_mutex_unlock(&k->iopub_lock);
  zmq_close(k->control.sock);
  zmq_close(k->shell.sock);
  zmq_close(k->stdin_sock);
  zmq_ctx_shutdown(k->zctx);
  pthread_join(k->hb_thread, NULL);
  zmq_ctx_term(k->zctx);
  pthread_mutex_destroy(&k->iopub_lock);
  history_close(k->hist);
  conn_fini(&k->conn);
  g_kernel = NULL;
  for (int i = 0; i < 2; i++) {
    close(k->sig_pipe[i]);
    close(k->wake_pipe[i]);
  }
  free(k);
  return rc;
}
