/* livy_session.c: the Livy backend of struct session (see livy_session.h). */
#include "livy/livy_session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/progress.h"

struct livy_session {
  struct session base;          /* must be first */
  struct livy_session_opts opts;
  struct livy_http *http;       /* shell thread */
  struct livy_http *cancel_http;/* control thread, under cancel_lock */
  pthread_mutex_t cancel_lock;
  int id;                       /* Livy session id, -1 before POST */
  json_t *last;                 /* last Session object seen (info) */
  atomic_int stmt;              /* running statement id, -1 none */
  atomic_int lost;              /* server says the session is gone */
  volatile int http_cancel;     /* makes retries stop on interrupt */
  int cancelled;                /* the last statement was cancelled: its code may
                                   still run (LIVY-786), so wait for idle first */
  /* heartbeat thread */
  pthread_t hb;
  int hb_running;
  pthread_mutex_t hb_lock;
  pthread_cond_t hb_cond;
  int hb_stop;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

const char *livy_kind_name(enum session_kind kind) {
  switch (kind) {
    case SESSION_SPARK: return "spark";
    case SESSION_SQL: return "sql";
    case SESSION_SPARKR: return "sparkr";
    default: return "pyspark";
  }
}

static int is_final_state(const char *st) {
  return st && (strcmp(st, "error") == 0 || strcmp(st, "dead") == 0 ||
                strcmp(st, "killed") == 0 || strcmp(st, "success") == 0);
}

/* ---- endpoint-wide ------------------------------------------------------ */

int livy_list_sessions(struct livy_http *h, json_t **sessions, struct err *e) {
  long status;
  json_t *r = NULL;
  *sessions = NULL;
  int rc = livy_http_request(h, "GET", "/sessions?from=0&size=1000", NULL, 1, &status, &r, e);
  if (rc) {
    json_decref(r);
    return rc;
  }
  json_t *list = json_object_get(r, "sessions");
  *sessions = json_is_array(list) ? json_incref(list) : json_array();
  json_decref(r);
  return 0;
}

int livy_delete_session(struct livy_http *h, int id, struct err *e) {
  char path[64];
  snprintf(path, sizeof path, "/sessions/%d", id);
  long status;
  json_t *r = NULL;
  int rc = livy_http_request(h, "DELETE", path, NULL, 1, &status, &r, e);
  json_decref(r);
  if (rc == ERR_REMOTE && status == 404) {
    /* A wrong id must not read as deleted (sparkmagic errors too); the
     * callers that only clean up treat this as done. */
    err_clear(e);
    err_set_ename(e, "SessionNotFound");
    return err_set(e, ERR_NOTFOUND,
                   "There is no session %d at %s (Livy answered 404): it was deleted "
                   "already, or the id is wrong.",
                   id, livy_http_url(h));
  }
  return rc;
}

/* ---- display helpers ---------------------------------------------------- */

static const char *str_or(json_t *o, const char *k, const char *dflt) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : dflt;
}

/* The session table a sparkmagic user knows: ID, YARN application id,
 * kind, state, Spark UI and driver log links. */
static json_t *session_bundle(json_t *s, const char *headline) {
  json_t *app = json_object_get(s, "appInfo");
  const char *ui = str_or(app, "sparkUiUrl", NULL), *log = str_or(app, "driverLogUrl", NULL);
  json_int_t id = json_integer_value(json_object_get(s, "id"));
  struct buf t, h;
  buf_init(&t, 1 << 16);
  buf_init(&h, 1 << 16);
  buf_printf(&t, "%s\nID  YARN Application ID  Kind  State  Spark UI  Driver log\n", headline);
  buf_printf(&t, "%lld  %s  %s  %s  %s  %s", (long long)id, str_or(s, "appId", "-"),
             str_or(s, "kind", "-"), str_or(s, "state", "-"), ui ? ui : "-", log ? log : "-");
  buf_puts(&h, "<p>");
  buf_put_html(&h, headline);
  buf_puts(&h, "</p><table><tr><th>ID</th><th>YARN Application ID</th><th>Kind</th>"
               "<th>State</th><th>Spark UI</th><th>Driver log</th></tr><tr>");
  buf_printf(&h, "<td>%lld</td><td>", (long long)id);
  buf_put_html(&h, str_or(s, "appId", ""));
  buf_puts(&h, "</td><td>");
  buf_put_html(&h, str_or(s, "kind", ""));
  buf_puts(&h, "</td><td>");
  buf_put_html(&h, str_or(s, "state", ""));
  buf_puts(&h, "</td><td>");
  if (ui) {
    buf_puts(&h, "<a target=\"_blank\" href=\"");
    buf_put_html(&h, ui);
    buf_puts(&h, "\">Link</a>");
  }
  buf_puts(&h, "</td><td>");
  if (log) {
    buf_puts(&h, "<a target=\"_blank\" href=\"");
    buf_put_html(&h, log);
    buf_puts(&h, "\">Link</a>");
  }
  buf_puts(&h, "</td></tr></table>");
  json_t *b = json_pack("{s:s, s:s}", "text/plain", t.data, "text/html", h.data);
  buf_fini(&t);
  buf_fini(&h);
  return b;
}


/* ---- heartbeat ---------------------------------------------------------- */

static void *hb_main(void *arg) {
  struct livy_session *ls = arg;
  struct livy_http *h = livy_http_clone(ls->http);
  if (!h) return NULL;
  livy_http_set_timeout(h, 10);
  char path[64];
  snprintf(path, sizeof path, "/sessions/%d", ls->id);
  double wait = ls->opts.heartbeat_refresh;
  pthread_mutex_lock(&ls->hb_lock);
  while (!ls->hb_stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)wait;
    ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&ls->hb_cond, &ls->hb_lock, &ts);
    if (ls->hb_stop) break;
    pthread_mutex_unlock(&ls->hb_lock);
    long status;
    json_t *r = NULL;
    struct err e;
    err_clear(&e);
    int rc = livy_http_request(h, "GET", path, NULL, 0, &status, &r, &e);
    if (rc == ERR_REMOTE && status == 404) atomic_store(&ls->lost, 1);
    if (rc == 0 && is_final_state(str_or(r, "state", NULL))) atomic_store(&ls->lost, 1);
    wait = rc ? ls->opts.heartbeat_retry : ls->opts.heartbeat_refresh;
    json_decref(r);
    pthread_mutex_lock(&ls->hb_lock);
  }
  pthread_mutex_unlock(&ls->hb_lock);
  livy_http_free(h);
  return NULL;
}

static void hb_stop(struct livy_session *ls) {
  if (!ls->hb_running) return;
  pthread_mutex_lock(&ls->hb_lock);
  ls->hb_stop = 1;
  pthread_cond_signal(&ls->hb_cond);
  pthread_mutex_unlock(&ls->hb_lock);
  pthread_join(ls->hb, NULL);
  ls->hb_running = 0;
}

/* ---- statements --------------------------------------------------------- */

/* POST a statement; on a transient failure look at the statement list before
 * posting again, so a 5xx after the server accepted it does not run the
 * code twice (sparkmagic's retry can). */
static int post_statement(struct livy_session *ls, const char *kind, const char *code, int *sid,
                          long *post_status, struct err *e) {
  char path[96];
  snprintf(path, sizeof path, "/sessions/%d/statements", ls->id);
  json_t *body = json_pack("{s:s, s:s}", "code", code, "kind", kind);
  long before = -1;
  int rc = 0;
  for (int attempt = 0; attempt <= ls->opts.http.max_retries; attempt++) {
    long status;
    json_t *r = NULL;
    err_clear(e);
    rc = livy_http_request(ls->http, "POST", path, body, 0, &status, &r, e);
    *post_status = status;
    if (rc == 0) {
      *sid = (int)json_integer_value(json_object_get(r, "id"));
      json_decref(r);
      break;
    }
    json_decref(r);
    int transient = rc == ERR_IO || (rc == ERR_REMOTE && status >= 500 &&
                                     !strstr(e->msg, "IllegalStateException"));
    if (!transient || ls->http_cancel) break;
    /* Did it land anyway? */
    json_t *lst = NULL;
    struct err le;
    err_clear(&le);
    if (livy_http_request(ls->http, "GET", path, NULL, 1, &status, &lst, &le) == 0) {
      long total = (long)json_integer_value(json_object_get(lst, "total_statements"));
      if (before >= 0 && total > before) {
        json_t *arr = json_object_get(lst, "statements");
        json_t *last = json_array_get(arr, json_array_size(arr) - 1);
        const char *c = str_or(last, "code", "");
        if (strcmp(c, code) == 0) {
          *sid = (int)json_integer_value(json_object_get(last, "id"));
          json_decref(lst);
          rc = 0;
          break;
        }
      }
      before = total;
    }
    json_decref(lst);
    int i = attempt < ls->opts.http.nsleeps ? attempt : ls->opts.http.nsleeps - 1;
    sleep_s(i >= 0 ? ls->opts.http.retry_sleeps[i] : 0.2);
  }
  json_decref(body);
  return rc;
}

static int session_gone(struct livy_session *ls, long status, const struct err *he,
                        struct err *e) {
  if ((status == 404) || (status == 400 && strstr(he->msg, "isn't active")) ||
      (status == 500 && strstr(he->msg, "in state dead"))) {
    atomic_store(&ls->lost, 1);
    ls->base.started = 0;
    err_set(e, ERR_BADSTATE,
            "The Livy session %d no longer exists on the server (it was deleted, timed out "
            "or died: %s). A new session will start with the next Spark cell.",
            ls->id, he->msg);
    err_set_ename(e, "SessionLost");
    return 1;
  }
  return 0;
}

/* After a cancel, as sparkmagic does before every statement: the session
 * must be idle within wait_for_idle_timeout_seconds. Livy only cancels Spark
 * jobs, so driver-side code (a sleep, a loop) keeps the session busy and a
 * new statement would silently queue behind it. */
static int wait_for_idle(struct livy_session *ls, struct out *o, struct err *e) {
  char path[64];
  snprintf(path, sizeof path, "/sessions/%d", ls->id);
  double t0 = now_s(), limit = ls->opts.wait_for_idle > 0 ? ls->opts.wait_for_idle : 15;
  const char *state = "";
  for (double pause = 0.05;; pause = pause < 0.5 ? pause * 2 : 0.5) {
    long status;
    json_t *r = NULL;
    struct err he;
    err_clear(&he);
    int rc = livy_http_request(ls->http, "GET", path, NULL, 1, &status, &r, &he);
    if (rc) {
      json_decref(r);
      if (rc == ERR_REMOTE && session_gone(ls, status, &he, e)) return ERR_BADSTATE;
      *e = he;
      return rc;
    }
    state = str_or(r, "state", "");
    int idle = strcmp(state, "idle") == 0, busy = strcmp(state, "busy") == 0;
    char st[32];
    snprintf(st, sizeof st, "%s", state);
    json_decref(r);
    if (idle) {
      ls->cancelled = 0;
      return 0;
    }
    if (!busy) return 0; /* dead, error...: the POST reports it */
    if (now_s() - t0 >= limit || o->ops->interrupted(o->ctx)) {
      err_set_ename(e, "SessionBusy");
      return err_set(e, ERR_TIMEOUT,
                     "Session %d did not reach idle status in time (%g s, "
                     "wait_for_idle_timeout_seconds): the cancelled statement's code is still "
                     "running on the driver, since Livy only cancels Spark jobs. Wait and run "
                     "the cell again, or restart the session with %%%%configure -f.",
                     ls->id, limit);
    }
    sleep_s(pause);
  }
}

/* Run code and wait for its output. *output is the statement's output
 * object (new). Shows a progress line when the statement runs long. */
static int run_statement(struct livy_session *ls, const char *kind, const char *code,
                         struct out *o, json_t **output, struct err *e) {
  *output = NULL;
  int sid = -1;
  ls->http_cancel = 0;
  long status = 0;
  int rc = ls->cancelled ? wait_for_idle(ls, o, e) : 0;
  if (rc) return rc;
  rc = post_statement(ls, kind, code, &sid, &status, e);
  if (rc) {
    struct err he = *e;
    if (rc == ERR_REMOTE && session_gone(ls, status, &he, e)) return ERR_BADSTATE;
    return rc;
  }
  atomic_store(&ls->stmt, sid);
  char path[96];
  snprintf(path, sizeof path, "/sessions/%d/statements/%d", ls->id, sid);
  double t0 = now_s(), interval = 0.01, cancel_at = 0, last_shown = -1;
  char did[48] = "";
  char label[64];
  snprintf(label, sizeof label, "Statement %d", sid);
  const char *final_state = NULL;
  json_t *st = NULL;
  for (;;) {
    json_decref(st);
    st = NULL;
    struct err he;
    err_clear(&he);
    rc = livy_http_request(ls->http, "GET", path, NULL, 1, &status, &st, &he);
    if (rc) {
      if (rc == ERR_REMOTE && session_gone(ls, status, &he, e)) break;
      *e = he;
      break;
    }
    const char *state = str_or(st, "state", "");
    double prog = json_number_value(json_object_get(st, "progress"));
    double el = now_s() - t0;
    if (strcmp(state, "available") == 0 || strcmp(state, "cancelled") == 0 ||
        strcmp(state, "error") == 0) {
      final_state = state;
      break;
    }
    if (o->ops->interrupted(o->ctx) && cancel_at == 0) cancel_at = now_s();
    /* Livy may keep a statement "cancelling" for up to 30 s (pure Python
     * that runs no Spark job cannot be stopped): give it two seconds, then
     * hand the cell back with a clear message. */
    if (cancel_at > 0 && now_s() - cancel_at > 2.0) {
      final_state = "cancelling";
      break;
    }
    if (el > 0.3 && (last_shown < 0 || el - last_shown >= 0.5)) {
      struct progress p = {label, prog, -1, 0, 0, el, state};
      progress_show(o, did, &p);
      last_shown = el;
    }
    sleep_s(interval);
    /* Most statements take well under two seconds: poll them at up to
     * 20 Hz (a late poll is pure latency), then back off to 2 Hz. */
    interval *= 1.6;
    if (interval > (el < 2 ? 0.05 : 0.5)) interval = el < 2 ? 0.05 : 0.5;
  }
  atomic_store(&ls->stmt, -1);
  if (did[0]) {
    const char *shown = final_state && strcmp(final_state, "available") == 0
                            ? (json_is_object(json_object_get(st, "output")) &&
                                       strcmp(str_or(json_object_get(st, "output"), "status", ""),
                                              "error") == 0
                                   ? "failed"
                                   : "done")
                            : (final_state ? "cancelled" : "failed");
    struct progress p = {label, 1.0, -1, 0, 0, now_s() - t0, shown};
    progress_show(o, did, &p);
  }
  if (!final_state) {
    json_decref(st);
    return rc ? rc : ERR_REMOTE;
  }
  if (strcmp(final_state, "cancelling") == 0 || strcmp(final_state, "cancelled") == 0 ||
      o->ops->interrupted(o->ctx))
    ls->cancelled = 1;
  if (strcmp(final_state, "cancelling") == 0) {
    json_decref(st);
    err_set(e, ERR_CANCELLED,
            "Interrupted: cancel of statement %d was requested, but it is still cancelling on "
            "the server (code that runs no Spark job cannot be stopped by Livy). The session "
            "stays busy until it ends.",
            sid);
    err_set_ename(e, "KeyboardInterrupt");
    return ERR_CANCELLED;
  }
  if (strcmp(final_state, "cancelled") == 0 || o->ops->interrupted(o->ctx)) {
    json_decref(st);
    err_set(e, ERR_CANCELLED, "Interrupted: statement %d was cancelled on the Livy session.", sid);
    err_set_ename(e, "KeyboardInterrupt");
    return ERR_CANCELLED;
  }
  json_t *out = json_object_get(st, "output");
  *output = json_is_object(out) ? json_incref(out) : json_object();
  json_decref(st);
  return 0;
}

/* Turn a failed statement's output into e + traceback. A dead interpreter
 * leaves the session in state error for good (sparkmagic treats it as
 * final), so the session is dropped and the next cell starts a new one. */
static int output_error(struct livy_session *ls, json_t *out, json_t **traceback,
                        struct err *e) {
  const char *ename = str_or(out, "ename", "Error");
  const char *evalue = str_or(out, "evalue", "");
  if (strncmp(evalue, "Interpreter died", 16) == 0) {
    atomic_store(&ls->lost, 1);
    hb_stop(ls);
    livy_delete_session(ls->http, ls->id, &(struct err){0});
    ls->base.started = 0;
    err_set(e, ERR_REMOTE,
            "%s\nThe session's interpreter died, so session %d was deleted; a new session "
            "will start with the next Spark cell.",
            evalue, ls->id);
    ls->id = -1;
  } else {
    err_set(e, ERR_REMOTE, "%s", evalue);
  }
  err_set_ename(e, ename);
  if (traceback) {
    json_t *tb = json_array();
    json_t *src = json_object_get(out, "traceback");
    size_t i;
    json_t *v;
    json_array_foreach(src, i, v) {
      if (!json_is_string(v)) continue;
      /* Python frames end in \n, Java frames do not: normalise. */
      const char *s = json_string_value(v);
      size_t n = strlen(s);
      while (n > 0 && s[n - 1] == '\n') n--;
      json_array_append_new(tb, json_stringn(s, n));
    }
    struct buf last;
    buf_init(&last, 1 << 20);
    buf_printf(&last, "%s: %s", ename, str_or(out, "evalue", ""));
    json_array_append_new(tb, json_string(last.data));
    buf_fini(&last);
    *traceback = tb;
  }
  return ERR_REMOTE;
}

static void show_output(json_t *data, struct out *o) {
  /* Rich types as displays (each with a text/plain fallback), plain text
   * as stdout. */
  json_t *text = json_object_get(data, "text/plain");
  int rich = 0;
  static const char *const rich_types[] = {"image/png", "text/html", "application/json",
                                           "application/vnd.livy.table.v1+json"};
  json_t *bundle = json_object();
  for (size_t i = 0; i < sizeof rich_types / sizeof *rich_types; i++) {
    json_t *v = json_object_get(data, rich_types[i]);
    if (v) {
      json_object_set(bundle, rich_types[i], v);
      rich = 1;
    }
  }
  if (rich) {
    json_object_set_new(bundle, "text/plain",
                        json_string(json_is_string(text) && json_string_length(text) ? json_string_value(text) : "<rich output>"));
    o->ops->display(o->ctx, bundle, NULL, 0);
  } else if (json_is_string(text) && json_string_length(text) > 0) {
    const char *s = json_string_value(text);
    size_t n = strlen(s);
    if (s[n - 1] == '\n') {
      o->ops->stream(o->ctx, "stdout", s);
    } else {
      struct buf b;
      buf_init(&b, n + 2);
      buf_puts(&b, s);
      buf_putc(&b, '\n');
      o->ops->stream(o->ctx, "stdout", b.data);
      buf_fini(&b);
    }
  }
  json_decref(bundle);
}

/* ---- session ops -------------------------------------------------------- */

static int ls_start(struct session *s, json_t *conf, struct out *o, struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  json_t *body = conf ? json_deep_copy(conf) : json_object();
  json_object_set_new(body, "kind", json_string(livy_kind_name(s->kind)));
  if (ls->opts.heartbeat_timeout > 0 && !json_object_get(body, "heartbeatTimeoutInSecond"))
    json_object_set_new(body, "heartbeatTimeoutInSecond", json_integer(ls->opts.heartbeat_timeout));
  long status;
  json_t *r = NULL;
  atomic_store(&ls->lost, 0);
  int rc = livy_http_request(ls->http, "POST", "/sessions", body, 1, &status, &r, e);
  json_decref(body);
  if (rc) {
    json_decref(r);
    return rc;
  }
  ls->id = (int)json_integer_value(json_object_get(r, "id"));
  json_decref(ls->last);
  ls->last = r;
  o->ops->stream(o->ctx, "stdout", "Starting Spark application\n");
  char did[48];
  session_display_id(did);
  json_t *b = session_bundle(r, "Waiting for the Spark application to start...");
  o->ops->display(o->ctx, b, did, 0);
  json_decref(b);
  char path[64];
  snprintf(path, sizeof path, "/sessions/%d", ls->id);
  static const double backoff[] = {0.05, 0.1, 0.2, 0.5, 0.5, 1, 1, 2};
  double t0 = now_s();
  const char *prev = str_or(r, "state", "");
  char prev_state[32];
  snprintf(prev_state, sizeof prev_state, "%s", prev);
  for (int i = 0;; i++) {
    const char *state = str_or(ls->last, "state", "");
    if (strcmp(state, "idle") == 0) break;
    if (is_final_state(state) || strcmp(state, "shutting_down") == 0) {
      struct buf logs;
      buf_init(&logs, 1 << 20);
      s->ops->logs(s, &logs, e);
      rc = err_set(e, ERR_REMOTE,
                   "Session %d unexpectedly reached final status '%s'. See the session log:\n%s",
                   ls->id, state, logs.data ? logs.data : "");
      err_set_ename(e, "LivyUnexpectedStatus");
      buf_fini(&logs);
      livy_delete_session(ls->http, ls->id, &(struct err){0});
      return rc;
    }
    if (o->ops->interrupted(o->ctx)) {
      livy_delete_session(ls->http, ls->id, &(struct err){0});
      err_set_ename(e, "KeyboardInterrupt");
      return err_set(e, ERR_CANCELLED, "Interrupted while session %d was starting; it was deleted.",
                     ls->id);
    }
    if (ls->opts.startup_timeout > 0 && now_s() - t0 > ls->opts.startup_timeout) {
      livy_delete_session(ls->http, ls->id, &(struct err){0});
      err_set_ename(e, "LivySessionTimeout");
      return err_set(e, ERR_TIMEOUT,
                     "Session %d did not start up in %.0f seconds (state '%s'). Raise "
                     "livy_session_startup_timeout_seconds in config.json if the cluster is "
                     "busy; the session was deleted.",
                     ls->id, ls->opts.startup_timeout, state);
    }
    sleep_s(backoff[i < 8 ? i : 7]);
    json_t *nr = NULL;
    struct err he;
    err_clear(&he);
    rc = livy_http_request(ls->http, "GET", path, NULL, 1, &status, &nr, &he);
    if (rc) {
      *e = he;
      json_decref(nr);
      return rc;
    }
    json_decref(ls->last);
    ls->last = nr;
    const char *ns = str_or(nr, "state", "");
    if (strcmp(ns, prev_state) != 0) {
      snprintf(prev_state, sizeof prev_state, "%s", ns);
      char head[128];
      snprintf(head, sizeof head, "Session %d is %s (%.1fs)", ls->id, ns, now_s() - t0);
      b = session_bundle(nr, head);
      o->ops->display(o->ctx, b, did, 1);
      json_decref(b);
    }
  }
  char head[128];
  snprintf(head, sizeof head, "Session %d is ready (%.1fs)", ls->id, now_s() - t0);
  b = session_bundle(ls->last, head);
  o->ops->display(o->ctx, b, did, 1);
  json_decref(b);
  s->started = 1;
  /* The probe users know from sparkmagic. */
  json_t *out = NULL;
  struct err pe;
  err_clear(&pe);
  if (s->kind != SESSION_SQL &&
      run_statement(ls, livy_kind_name(s->kind), "spark", o, &out, &pe) == 0 &&
      strcmp(str_or(out, "status", ""), "ok") == 0)
    o->ops->stream(o->ctx, "stdout", "SparkSession available as 'spark'.\n");
  json_decref(out);
  if (ls->opts.heartbeat_refresh > 0 && !ls->hb_running) {
    ls->hb_stop = 0;
    if (pthread_create(&ls->hb, NULL, hb_main, ls) == 0) ls->hb_running = 1;
  }
  return 0;
}

static int ls_execute(struct session *s, enum session_kind kind, const char *code, struct out *o,
                      json_t **traceback, struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  if (traceback) *traceback = NULL;
  json_t *out = NULL;
  int rc = run_statement(ls, livy_kind_name(kind), code, o, &out, e);
  if (rc) return rc;
  if (strcmp(str_or(out, "status", ""), "error") == 0) {
    rc = output_error(ls, out, traceback, e);
  } else {
    show_output(json_object_get(out, "data"), o);
  }
  json_decref(out);
  return rc;
}

/* Escape text for a Python or Scala triple-quoted string. */
static void put_triple_quoted(struct buf *b, const char *s) {
  for (const char *p = s; *p; p++) {
    if (*p == '\\') buf_puts(b, "\\\\");
    else if (*p == '"') buf_puts(b, "\\\"");
    else buf_putc(b, *p);
  }
}

/* A JSON string literal is also a valid Python, Scala and R string literal:
 * jansson escapes quotes, backslashes and control characters, and never
 * emits "\/". */
static int put_string_literal(struct buf *b, const char *s) {
  json_t *j = json_string(s);
  char *lit = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  json_decref(j);
  int rc = lit ? buf_puts(b, lit) : ERR_NOMEM;
  free(lit);
  return rc;
}

/* SparkR: the schema is the JVM StructType's own JSON (SparkR has no
 * exported accessor for it, so callJMethod, as SparkR's own code does), the
 * rows a collected data.frame written by jsonlite as arrays of values: NA as
 * null, dates as "YYYY-MM-DD", numbers at full precision (digits = NA).
 * local() keeps the helper variables out of the user's workspace. */
static char *r_sql_code(const char *query, const struct session_sql_opts *o) {
  struct buf b;
  buf_init(&b, 64u << 20);
  long long n = o->maxrows;
  int rc = buf_puts(&b, "local({\n");
  if (o->df_var) {
    rc |= buf_printf(&b, "kdDf <- %s\n", query);
  } else {
    rc |= buf_puts(&b, "kdDf <- sql(");
    rc |= put_string_literal(&b, query);
    rc |= buf_puts(&b, ")\n");
  }
  if (o->method == SESSION_SAMPLE_SAMPLE)
    rc |= buf_printf(&b, "kdSrc <- sample(kdDf, FALSE, %g)\n", o->fraction);
  else
    rc |= buf_puts(&b, "kdSrc <- kdDf\n");
  if (n < 0)
    rc |= buf_puts(&b, "kdRows <- collect(kdSrc)\nkdTotal <- nrow(kdRows)\n");
  else
    rc |= buf_printf(&b,
                     "kdRows <- take(kdSrc, %lld)\n"
                     "kdTotal <- if (nrow(kdRows) > %lld) count(kdSrc) else nrow(kdRows)\n"
                     "kdRows <- head(kdRows, %lld)\n",
                     n + 1, n, n);
  rc |= buf_puts(&b,
                 "cat(paste0(\"{\\\"schema\\\":\", "
                 "SparkR:::callJMethod(schema(kdDf)$jobj, \"json\"), \",\\\"rows\\\":\", "
                 "jsonlite::toJSON(kdRows, dataframe = \"values\", na = \"null\", digits = NA), "
                 "\",\\\"total\\\":\", sprintf(\"%.0f\", as.numeric(kdTotal)), \"}\\n\"))\n"
                 "})\n");
  if (rc) {
    buf_fini(&b);
    return NULL;
  }
  return buf_steal(&b);
}

char *livy_sql_code(enum session_kind kind, const char *query, const struct session_sql_opts *o) {
  if (kind == SESSION_SPARKR) return r_sql_code(query, o);
  struct buf b;
  buf_init(&b, 64u << 20);
  long long n = o->maxrows;
  if (kind == SESSION_SPARK) {
    /* Scala: a triple-quoted string cannot hold """; Spark SQL never needs it. */
    if (o->df_var) {
      buf_printf(&b, "{\nval kdDf = %s\n", query);
    } else {
      buf_puts(&b, "{\nval kdDf = spark.sql(\"\"\"");
      for (const char *p = query; *p; p++) buf_putc(&b, *p == '"' && p[1] == '"' && p[2] == '"' ? '\'' : *p);
      buf_puts(&b, "\"\"\")\n");
    }
    if (o->method == SESSION_SAMPLE_SAMPLE)
      buf_printf(&b, "val kdSrc = kdDf.sample(false, %g)\n", o->fraction);
    else
      buf_puts(&b, "val kdSrc = kdDf\n");
    if (n < 0)
      buf_puts(&b, "val kdRows = kdSrc.toJSON.collect()\nval kdTotal = kdRows.length.toLong\n");
    else
      buf_printf(&b,
                 "val kdRows = kdSrc.toJSON.take(%lld)\n"
                 "val kdTotal = if (kdRows.length > %lld) kdSrc.count() else kdRows.length.toLong\n",
                 n + 1, n);
    buf_printf(&b,
               "println(\"{\\\"schema\\\":\" + kdDf.schema.json + \",\\\"records\\\":[\" + "
               "kdRows.take(%lld).mkString(\",\") + \"],\\\"total\\\":\" + kdTotal + \"}\")\n}\n",
               n < 0 ? (long long)1 << 62 : n);
    return buf_steal(&b);
  }
  /* PySpark: typed values, dates/decimals/timestamps as Spark's text. */
  if (o->df_var) {
    buf_printf(&b, "import json as __kd_json\n__kd_df = %s\n", query);
  } else {
    buf_puts(&b, "import json as __kd_json\n__kd_df = spark.sql(\"\"\"");
    put_triple_quoted(&b, query);
    buf_puts(&b, "\"\"\")\n");
  }
  if (o->method == SESSION_SAMPLE_SAMPLE)
    buf_printf(&b, "__kd_src = __kd_df.sample(False, %g)\n", o->fraction);
  else
    buf_puts(&b, "__kd_src = __kd_df\n");
  if (n < 0)
    buf_puts(&b, "__kd_rows = __kd_src.collect()\n__kd_total = len(__kd_rows)\n");
  else
    buf_printf(&b,
               "__kd_rows = __kd_src.take(%lld)\n"
               "__kd_total = __kd_src.count() if len(__kd_rows) > %lld else len(__kd_rows)\n"
               "__kd_rows = __kd_rows[:%lld]\n",
               n + 1, n, n);
  buf_puts(&b,
           "print(__kd_json.dumps({\"schema\": __kd_json.loads(__kd_df.schema.json()), "
           "\"rows\": [[v if v is None or isinstance(v, (bool, int, float, str)) else str(v) "
           "for v in r] for r in __kd_rows], \"total\": __kd_total}))\n");
  return buf_steal(&b);
}

/* SparkR has no Dataset of strings to read JSON from, so the records go
 * in as a one-column data.frame of JSON texts (one literal per record: R
 * has no limit on the number of elements of c()), and from_json with the
 * DDL schema turns them into typed columns. A str becomes assign(), as in
 * sparkmagic. */
static int r_send_code(struct buf *b, const char *name, const json_t *recs, const char *ddl,
                       const char *str_value) {
  int rc = 0;
  if (str_value) {
    rc |= buf_puts(b, "assign(");
    rc |= put_string_literal(b, name);
    rc |= buf_puts(b, ", ");
    rc |= put_string_literal(b, str_value);
    return rc | buf_puts(b, ")\n");
  }
  rc |= buf_printf(b, "%s <- local({\nkdLines <- ", name);
  if (!json_array_size(recs)) rc |= buf_puts(b, "character(0)");
  for (size_t i = 0; i < json_array_size(recs); i++) {
    char *rec = json_dumps(json_array_get(recs, i), JSON_COMPACT);
    if (!rec) return ERR_NOMEM;
    rc |= buf_puts(b, i ? ",\n" : "c(\n");
    rc |= put_string_literal(b, rec);
    free(rec);
  }
  if (json_array_size(recs)) rc |= buf_puts(b, ")");
  rc |= buf_puts(b, "\nkdText <- createDataFrame(data.frame(value = kdLines, stringsAsFactors = "
                    "FALSE), structType(\"value STRING\"))\n"
                    "kdParsed <- select(kdText, alias(from_json(kdText$value, ");
  rc |= put_string_literal(b, ddl);
  rc |= buf_puts(b, "), \"kdRow\"))\nselect(kdParsed, \"kdRow.*\")\n})\n");
  return rc;
}

char *livy_send_code(enum session_kind kind, const char *name, const json_t *schema,
                     const json_t *rows, long long maxrows, const char *str_value) {
  struct buf b, ddl;
  buf_init(&b, 512u << 20);
  buf_init(&ddl, 1u << 20);
  char *text = NULL;
  json_t *recs = NULL;
  if (!str_value) {
    recs = table_records(schema, rows, maxrows);
    text = recs ? json_dumps(recs, JSON_COMPACT) : NULL;
    if (!text || table_ddl(schema, &ddl)) goto fail;
  }
  int rc = 0;
  if (kind == SESSION_SPARKR) {
    rc = r_send_code(&b, name, recs, ddl.data, str_value);
  } else if (kind == SESSION_SPARK) {
    if (str_value) {
      rc |= buf_printf(&b, "var %s = ", name);
      rc |= put_string_literal(&b, str_value);
      rc |= buf_puts(&b, "\n");
    } else {
      /* Each record becomes one JSON line; the schema keeps the types. */
      /* A JVM string constant holds at most 64 KiB: send the JSON in pieces. */
      rc |= buf_printf(&b, "val %s = {\nval kdJson = Seq(", name);
      size_t len = strlen(text), at = 0;
      while (at < len || at == 0) {
        size_t n = len - at < 16000 ? len - at : 16000;
        while (at + n < len && ((unsigned char)text[at + n] & 0xC0) == 0x80) n--;
        char save = text[at + n];
        text[at + n] = 0;
        if (at) rc |= buf_puts(&b, ",\n");
        rc |= put_string_literal(&b, text + at);
        text[at + n] = save;
        at += n;
        if (!len) break;
      }
      rc |= buf_puts(&b, ").mkString\nval kdLines = new com.fasterxml.jackson.databind.ObjectMapper()"
                         ".readTree(kdJson).elements()\n"
                         "val kdSeq = scala.collection.mutable.ArrayBuffer[String]()\n"
                         "while (kdLines.hasNext) kdSeq += kdLines.next().toString\n"
                         "spark.read.schema(");
      rc |= put_string_literal(&b, ddl.data);
      rc |= buf_puts(&b, ").json(spark.createDataset(kdSeq.toSeq)(org.apache.spark.sql."
                         "Encoders.STRING))\n}\n");
    }
  } else if (str_value) {
    rc |= buf_printf(&b, "%s = ", name);
    rc |= put_string_literal(&b, str_value);
    rc |= buf_puts(&b, "\n");
  } else {
    rc |= buf_printf(&b, "import json as __kd_json\n%s = spark.read.json("
                         "spark.sparkContext.parallelize([__kd_json.dumps(r) for r in "
                         "__kd_json.loads(", name);
    rc |= put_string_literal(&b, text);
    rc |= buf_puts(&b, ")]), schema=");
    rc |= put_string_literal(&b, ddl.data);
    rc |= buf_puts(&b, ")\n");
  }
  if (rc) goto fail;
  free(text);
  json_decref(recs);
  buf_fini(&ddl);
  return buf_steal(&b);
fail:
  free(text);
  json_decref(recs);
  buf_fini(&ddl);
  buf_fini(&b);
  return NULL;
}

/* Rows from Spark's toJSON records (which omit null fields) in schema order. */
static json_t *records_to_rows(json_t *schema, json_t *records) {
  json_t *rows = json_array();
  json_t *fields = json_object_get(schema, "fields");
  size_t i, j;
  json_t *rec, *f;
  json_array_foreach(records, i, rec) {
    json_t *row = json_array();
    json_array_foreach(fields, j, f) {
      json_t *v = json_object_get(rec, str_or(f, "name", ""));
      json_array_append(row, v ? v : json_null());
    }
    json_array_append_new(rows, row);
  }
  return rows;
}

static int ls_sql(struct session *s, const char *query, const struct session_sql_opts *opts,
                  struct out *o, struct table **t, json_t **traceback, struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  *t = NULL;
  if (traceback) *traceback = NULL;
  double t0 = now_s();
  json_t *out = NULL;
  int rc;
  if (s->kind == SESSION_SQL) {
    rc = run_statement(ls, "sql", query, o, &out, e);
  } else {
    char *code = livy_sql_code(s->kind, query, opts);
    rc = code ? run_statement(ls, livy_kind_name(s->kind), code, o, &out, e)
              : err_set(e, ERR_NOMEM, "out of memory");
    free(code);
  }
  if (rc) return rc;
  if (strcmp(str_or(out, "status", ""), "error") == 0) {
    rc = output_error(ls, out, traceback, e);
    json_decref(out);
    return rc;
  }
  json_t *data = json_object_get(out, "data");
  json_t *res = NULL;
  if (s->kind == SESSION_SQL) {
    res = json_incref(json_object_get(data, "application/json"));
  } else {
    const char *text = str_or(data, "text/plain", "");
    /* The JSON line is the last line: the user's query may print nothing,
     * but Livy prepends stdout left over from an earlier failure. Scala
     * and R keep the line's own newline. */
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
    const char *last = text + len;
    while (last > text && last[-1] != '\n') last--;
    res = json_loadb(last, (size_t)(text + len - last), 0, NULL);
    if (!res && last > text) res = json_loadb(text, len, 0, NULL);
  }
  json_decref(out);
  if (!json_is_object(res)) {
    json_decref(res);
    err_set_ename(e, "ResultError");
    return err_set(e, ERR_REMOTE, "could not read the query result sent by the session");
  }
  struct table *tb = calloc(1, sizeof *tb);
  tb->schema = json_incref(json_object_get(res, "schema"));
  if (json_object_get(res, "rows"))
    tb->rows = json_incref(json_object_get(res, "rows"));
  else if (json_object_get(res, "records"))
    tb->rows = records_to_rows(tb->schema, json_object_get(res, "records"));
  else
    tb->rows = json_incref(json_object_get(res, "data"));
  if (!json_is_array(tb->rows)) {
    json_decref(tb->rows);
    tb->rows = json_array();
  }
  json_t *tot = json_object_get(res, "total");
  tb->total = json_is_integer(tot) ? json_integer_value(tot) : -1;
  if (!json_is_object(tb->schema)) {
    json_decref(tb->schema);
    tb->schema = json_pack("{s:s, s:[]}", "type", "struct", "fields");
  }
  /* Livy's SQL interpreter cuts at 1000 rows silently; apply -n here too. */
  if (opts->maxrows >= 0 && (long long)json_array_size(tb->rows) > opts->maxrows) {
    if (tb->total < 0) tb->total = (long long)json_array_size(tb->rows);
    while ((long long)json_array_size(tb->rows) > opts->maxrows)
      json_array_remove(tb->rows, json_array_size(tb->rows) - 1);
  }
  tb->elapsed = now_s() - t0;
  json_decref(res);
  *t = tb;
  return 0;
}

static int ls_cancel(struct session *s) {
  struct livy_session *ls = (struct livy_session *)s;
  ls->http_cancel = 1;
  int sid = atomic_load(&ls->stmt);
  if (sid < 0 || ls->id < 0) return 0;
  pthread_mutex_lock(&ls->cancel_lock);
  if (!ls->cancel_http) {
    ls->cancel_http = livy_http_clone(ls->http);
    if (ls->cancel_http) livy_http_set_timeout(ls->cancel_http, 2);
  }
  int rc = ERR_NOMEM;
  if (ls->cancel_http) {
    char path[128];
    snprintf(path, sizeof path, "/sessions/%d/statements/%d/cancel", ls->id, sid);
    long status;
    json_t *r = NULL;
    struct err e;
    err_clear(&e);
    json_t *body = json_object();
    rc = livy_http_request(ls->cancel_http, "POST", path, body, 0, &status, &r, &e);
    json_decref(body);
    json_decref(r);
  }
  pthread_mutex_unlock(&ls->cancel_lock);
  return rc;
}

static json_t *ls_info(struct session *s) {
  struct livy_session *ls = (struct livy_session *)s;
  json_t *app = json_object_get(ls->last, "appInfo");
  /* "O?" packs null for fields the server has not reported. */
  return json_pack("{s:i, s:O?, s:s, s:O?, s:O?, s:O?, s:s}", "id", ls->id, "appId",
                   json_object_get(ls->last, "appId"), "kind", livy_kind_name(s->kind), "state",
                   json_object_get(ls->last, "state"), "sparkUiUrl",
                   json_object_get(app, "sparkUiUrl"), "driverLogUrl",
                   json_object_get(app, "driverLogUrl"), "url", livy_http_url(ls->http));
}

static int ls_logs(struct session *s, struct buf *out, struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  if (ls->id < 0) return buf_puts(out, "No logs yet.\n");
  char path[96];
  snprintf(path, sizeof path, "/sessions/%d/log?from=0&size=-1", ls->id);
  long status;
  json_t *r = NULL;
  int rc = livy_http_request(ls->http, "GET", path, NULL, 1, &status, &r, e);
  if (rc == 0) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "log"), i, v) {
      if (!json_is_string(v)) continue;
      buf_puts(out, json_string_value(v));
      buf_putc(out, '\n');
    }
  }
  json_decref(r);
  return rc;
}

static int ls_stop(struct session *s, struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  hb_stop(ls);
  s->started = 0;
  if (ls->id < 0) return 0;
  /* Bounded: jupyter_client sends SIGKILL 5 s after shutdown_request. */
  livy_http_set_timeout(ls->http, 2);
  int rc = livy_delete_session(ls->http, ls->id, e);
  if (rc == ERR_NOTFOUND) {
    /* Gone already (expired, deleted elsewhere): stopped all the same. */
    err_clear(e);
    rc = 0;
  }
  ls->id = -1;
  livy_http_set_timeout(ls->http, ls->opts.http.timeout);
  return rc;
}

static void ls_free(struct session *s) {
  struct livy_session *ls = (struct livy_session *)s;
  if (!ls) return;
  hb_stop(ls);
  livy_http_free(ls->http);
  livy_http_free(ls->cancel_http);
  json_decref(ls->last);
  pthread_mutex_destroy(&ls->cancel_lock);
  pthread_mutex_destroy(&ls->hb_lock);
  pthread_cond_destroy(&ls->hb_cond);
  free(ls);
}

/* POST /sessions/{id}/completion. Only Livy's Scala interpreter answers
 * with candidates; the others return [] (livy-protocol.md section 2). */
static int ls_complete(struct session *s, const char *code, size_t cursor, json_t **candidates,
                       struct err *e) {
  struct livy_session *ls = (struct livy_session *)s;
  *candidates = NULL;
  if (!s->started || ls->id < 0 || atomic_load(&ls->lost))
    return err_set(e, ERR_BADSTATE, "no running session");
  char path[96];
  snprintf(path, sizeof path, "/sessions/%d/completion", ls->id);
  json_t *body = json_pack("{s:s, s:s, s:I}", "code", code, "kind", livy_kind_name(s->kind),
                           "cursor", (json_int_t)cursor);
  long status;
  json_t *resp = NULL;
  double saved = ls->opts.http.timeout;
  livy_http_set_timeout(ls->http, 1.5);
  int rc = livy_http_request(ls->http, "POST", path, body, 0, &status, &resp, e);
  livy_http_set_timeout(ls->http, saved);
  json_decref(body);
  json_t *c = json_object_get(resp, "candidates");
  if (!rc && json_is_array(c)) *candidates = json_incref(c);
  json_decref(resp);
  if (!rc && !*candidates) rc = err_set(e, ERR_REMOTE, "the completion answer had no candidates");
  return rc;
}

static const struct session_ops livy_ops = {"livy",    ls_start, ls_execute, ls_sql, ls_cancel,
                                            ls_info,   ls_logs,  ls_stop,    ls_free, ls_complete};

struct session *livy_session_new(const struct livy_session_opts *opts, enum session_kind kind,
                                 struct err *e) {
  struct livy_session *ls = calloc(1, sizeof *ls);
  if (!ls) {
    err_set(e, ERR_NOMEM, "out of memory");
    return NULL;
  }
  ls->base.ops = &livy_ops;
  ls->base.kind = kind;
  ls->opts = *opts;
  ls->id = -1;
  atomic_init(&ls->stmt, -1);
  pthread_mutex_init(&ls->cancel_lock, NULL);
  pthread_mutex_init(&ls->hb_lock, NULL);
  pthread_cond_init(&ls->hb_cond, NULL);
  ls->http = livy_http_new(&opts->http);
  if (!ls->http) {
    err_set(e, ERR_INVAL, "cannot set up an HTTP client for %s", opts->http.url ? opts->http.url : "(no URL)");
    ls_free(&ls->base);
    return NULL;
  }
  livy_http_set_cancel_flag(ls->http, &ls->http_cancel);
  return &ls->base;
}

int livy_session_id(const struct session *s) { return ((const struct livy_session *)s)->id; }
const char *livy_session_url(const struct session *s) {
  return livy_http_url(((const struct livy_session *)s)->http);
}
int livy_session_lost(const struct session *s) {
  return atomic_load(&((struct livy_session *)s)->lost);
}
