/* exec.c: the cell interpreter (see exec.h).
 *
 * Every cell goes through magic_parse. Built-in magics (%%help, %%info,
 * %%configure, ...) run here; Spark work goes to the current struct session,
 * started lazily on the first Spark cell that stores history. Output reaches
 * the frontend through a struct out whose callbacks publish IOPub messages
 * with the execute_request as parent. */
#include "kernel/exec.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/session.h"
#include "common/utf8.h"
#include "kernel/msg.h"
#include "kernel/pretty.h"
#include "kernel/render.h"
#include "livy/livy_session.h"
#include "local/local_session.h"
#include "magics/magic.h"
#include "magics/smconf.h"

struct exec_state {
  struct kernel *k;
  struct smconf *conf;        /* NULL when config.json failed to load */
  struct err conf_err;        /* why it failed */
  pthread_mutex_t lock;       /* guards session for exec_interrupt */
  struct session *session;    /* current Spark session, NULL before start */
  json_t *vars;               /* -o VAR results: name -> {schema, rows} */
  struct session *local;      /* %%local's engine while the session is on
                                 Livy (NULL until the first %%local) */
  char *typed_password;       /* Basic password typed at the prompt, kept
                                 in memory only for later restarts */
  struct named *named;        /* %spark add sessions, in order of adding */
  size_t nnamed;
  int kind_override;          /* %%_do_not_call_change_language, -1 none */
};

/* A session added with %spark add -s NAME (sparkmagic's IPython magics). */
struct named {
  char *name;
  char *url;
  struct session *s;
};

/* ---- output sink -------------------------------------------------------- */

struct sink {
  struct kernel *k;
  struct exec_request *er;
};

static void sink_stream(void *ctx, const char *name, const char *text) {
  struct sink *s = ctx;
  char *clean = utf8_sanitize(text, strlen(text));
  json_t *c = json_pack("{s:s, s:s}", "name", name, "text", clean ? clean : "");
  kernel_publish(s->er->ch, s->er->req->header, "stream", c);
  json_decref(c);
  free(clean);
}

static void sink_display(void *ctx, json_t *data, const char *display_id, int update) {
  struct sink *s = ctx;
  json_t *c = json_pack("{s:O, s:{}}", "data", data, "metadata");
  if (display_id) json_object_set_new(c, "transient", json_pack("{s:s}", "display_id", display_id));
  kernel_publish(s->er->ch, s->er->req->header, update ? "update_display_data" : "display_data", c);
  json_decref(c);
}

static void sink_result(void *ctx, json_t *data) {
  struct sink *s = ctx;
  if (s->er->silent) return;
  json_t *c = json_pack("{s:i, s:O, s:{}}", "execution_count", s->er->execution_count, "data",
                        data, "metadata");
  kernel_publish(s->er->ch, s->er->req->header, "execute_result", c);
  json_decref(c);
}

static void sink_clear(void *ctx, int wait) {
  struct sink *s = ctx;
  json_t *c = json_pack("{s:b}", "wait", wait);
  kernel_publish(s->er->ch, s->er->req->header, "clear_output", c);
  json_decref(c);
}

static int sink_interrupted(void *ctx) {
  struct sink *s = ctx;
  return atomic_load(&s->k->interrupt);
}

static int sink_input(void *ctx, const char *prompt, int password, char **value, struct err *e) {
  struct sink *s = ctx;
  struct kernel *k = s->k;
  *value = NULL;
  /* nbconvert and papermill send allow_stdin=false: fail fast, never block. */
  if (!s->er->allow_stdin)
    return err_set(e, ERR_UNSUPPORTED,
                   "this frontend does not accept input (allow_stdin is false)");
  json_t *c = json_pack("{s:s, s:b}", "prompt", prompt, "password", password);
  int rc = kernel_send_stdin(k, s->er->req, "input_request", c);
  json_decref(c);
  if (rc) return err_set(e, ERR_IO, "cannot send input_request");
  for (;;) {
    if (atomic_load(&k->interrupt) || atomic_load(&k->quit))
      return err_set(e, ERR_CANCELLED, "input interrupted");
    zmq_pollitem_t it = {k->stdin_sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 50) <= 0) continue;
    struct wire_msg *m = NULL;
    struct err we;
    err_clear(&we);
    if (wire_recv(k->stdin_sock, ZMQ_DONTWAIT, k->conn.key, k->conn.key_len, &m, &we) != 0)
      continue;
    if (strcmp(m->msg_type, "input_reply") == 0) {
      const char *v = json_string_value(json_object_get(m->content, "value"));
      *value = strdup(v ? v : "");
      wire_msg_free(m);
      return *value ? 0 : err_set(e, ERR_NOMEM, "out of memory");
    }
    wire_msg_free(m);
  }
}

static const struct out_ops sink_ops = {sink_stream,      sink_display, sink_result,
                                        sink_clear,       sink_interrupted, sink_input};

/* ---- replies ------------------------------------------------------------ */

static json_t *ok_reply(void) {
  return json_pack("{s:s, s:[], s:{}}", "status", "ok", "payload", "user_expressions");
}

/* Publish an error and return the matching reply. traceback (borrowed, may
 * be NULL) defaults to "ename: evalue". */
static json_t *error_reply(struct exec_request *er, const char *ename, const char *evalue,
                           json_t *traceback) {
  char *v = utf8_sanitize(evalue, strlen(evalue));
  json_t *tb = traceback ? json_incref(traceback) : json_array();
  if (!traceback) {
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_printf(&b, "%s: %s", ename, v ? v : "");
    json_array_append_new(tb, json_string(b.data));
    buf_fini(&b);
  }
  json_t *c = json_pack("{s:s, s:s, s:O}", "ename", ename, "evalue", v ? v : "", "traceback", tb);
  kernel_publish(er->ch, er->req->header, "error", c);
  json_t *r = json_pack("{s:s, s:s, s:s, s:O, s:{}, s:[]}", "status", "error", "ename", ename,
                        "evalue", v ? v : "", "traceback", tb, "user_expressions", "payload");
  json_decref(c);
  json_decref(tb);
  free(v);
  return r;
}

/* An error from the magics layer: message, then the offending line with a
 * caret under the column, then the rest (usage). The line is echoed with
 * its secrets (-p values) masked: error output lands in saved notebooks. */
static json_t *usage_error(struct exec_request *er, const struct err *e) {
  const char *ename = e->ename[0] ? e->ename : "UsageError";
  json_t *tb = json_array();
  const char *msg = e->msg;
  const char *nl = strchr(msg, '\n');
  struct buf first;
  buf_init(&first, 1 << 20);
  buf_printf(&first, "%s: ", ename);
  buf_append(&first, msg, nl ? (size_t)(nl - msg) : strlen(msg));
  json_array_append_new(tb, json_string(first.data));
  if (e->line > 0) {
    const char *p = er->code;
    for (int l = 1; l < e->line && p; l++) {
      p = strchr(p, '\n');
      if (p) p++;
    }
    if (p) {
      const char *end = strchr(p, '\n');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      int column = e->column;
      /* Masked before it is cut, so a cut never leaves half a secret. */
      char *safe = magic_redact_line(p, len, &column);
      len = safe ? strlen(safe) : 0;
      if (len > 200) len = 200;
      char *line = utf8_sanitize(safe ? safe : "", len);
      free(safe);
      json_array_append_new(tb, json_string(line ? line : ""));
      free(line);
      struct buf caret;
      buf_init(&caret, 4096);
      for (int c = 1; c < column && c < 200; c++) buf_putc(&caret, ' ');
      buf_putc(&caret, '^');
      json_array_append_new(tb, json_string(caret.data));
      buf_fini(&caret);
    }
  }
  if (nl) {
    char *rest = utf8_sanitize(nl + 1, strlen(nl + 1));
    json_array_append_new(tb, json_string(rest ? rest : ""));
    free(rest);
  }
  char *evalue = nl ? strndup(msg, (size_t)(nl - msg)) : strdup(msg);
  json_t *r = error_reply(er, ename, evalue ? evalue : "", tb);
  free(evalue);
  buf_fini(&first);
  json_decref(tb);
  return r;
}

/* ---- built-in magics ---------------------------------------------------- */

static void display_text_html(struct sink *s, const char *text, const char *html) {
  json_t *d = json_pack("{s:s, s:s}", "text/plain", text, "text/html", html);
  sink_display(s, d, NULL, 0);
  json_decref(d);
}

static json_t *do_help(struct exec_request *er, struct sink *s, enum magic_lang lang) {
  struct buf text, html;
  buf_init(&text, 1 << 20);
  buf_init(&html, 1 << 20);
  magic_help(lang, &text, &html);
  display_text_html(s, text.data ? text.data : "", html.data ? html.data : "");
  buf_fini(&text);
  buf_fini(&html);
  (void)er;
  return ok_reply();
}

static const char *backend_name(struct exec_state *st, char *url, size_t n) {
  url[0] = '\0';
  if (!st->conf) return "unavailable (config.json did not load)";
  struct smconf_cred cr;
  struct err e;
  err_clear(&e);
  memset(&cr, 0, sizeof cr);
  enum magic_lang ml = (enum magic_lang)st->k->lang;
  if (smconf_credentials(st->conf, ml, &cr, &e) == 0) {
    snprintf(url, n, "%s", cr.url ? cr.url : "");
    smconf_cred_fini(&cr);
    return "Livy";
  }
  return "local engine (Spark SQL on this machine: a driver and executor processes)";
}

static void kv_row(struct buf *text, struct buf *html, const char *k, const char *v) {
  buf_printf(text, "%-22s %s\n", k, v);
  buf_puts(html, "<tr><th style=\"text-align:left\">");
  buf_put_html(html, k);
  buf_puts(html, "</th><td style=\"text-align:left\"><code>");
  buf_put_html(html, v);
  buf_puts(html, "</code></td></tr>");
}

/* The session as sparkmagic's %%info shows it: ID, application id, kind,
 * state, Spark UI and driver log links, and the current-session mark. */
static void session_table(json_t *inf, struct buf *text, struct buf *html) {
  static const char *const cols[] = {"ID", "Application ID", "Kind", "State", "Spark UI",
                                     "Driver log", "Current session?"};
  char id[32];
  snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(inf, "id")));
  const char *v[7] = {id,
                      json_string_value(json_object_get(inf, "appId")),
                      json_string_value(json_object_get(inf, "kind")),
                      json_string_value(json_object_get(inf, "state")),
                      json_string_value(json_object_get(inf, "sparkUiUrl")),
                      json_string_value(json_object_get(inf, "driverLogUrl")),
                      "\u2714"};
  buf_puts(html, "<table><tr>");
  for (int i = 0; i < 7; i++) {
    buf_puts(html, "<th>");
    buf_put_html(html, cols[i]);
    buf_puts(html, "</th>");
  }
  buf_puts(html, "</tr><tr>");
  buf_puts(text, "\n");
  for (int i = 0; i < 7; i++) {
    const char *x = v[i] ? v[i] : "";
    buf_printf(text, "%-17s %s\n", cols[i], x);
    buf_puts(html, "<td>");
    if ((i == 4 || i == 5) && (!strncmp(x, "http://", 7) || !strncmp(x, "https://", 8))) {
      buf_puts(html, "<a target=\"_blank\" href=\"");
      buf_put_html(html, x);
      buf_puts(html, "\">Link</a>");
    } else {
      buf_put_html(html, x);
    }
    buf_puts(html, "</td>");
  }
  buf_puts(html, "</tr></table>");
  json_t *conf = json_object_get(inf, "conf"); /* the local engine's settings */
  char *cs = json_object_size(conf) ? json_dumps(conf, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (cs) {
    buf_printf(text, "%-17s %s\n", "Spark settings", cs);
    buf_puts(html, "<p>Spark settings: <code>");
    buf_put_html(html, cs);
    buf_puts(html, "</code></p>");
  }
  free(cs);
}

static json_t *do_info(struct exec_state *st, struct exec_request *er, struct sink *s) {
  struct buf text, html;
  buf_init(&text, 1 << 20);
  buf_init(&html, 1 << 20);
  char url[1024];
  const char *backend = backend_name(st, url, sizeof url);
  buf_puts(&html, "<table>");
  kv_row(&text, &html, "Kernel", kernel_lang_spec(st->k->lang));
  kv_row(&text, &html, "Backend", backend);
  if (url[0]) kv_row(&text, &html, "Livy endpoint", url);
  kv_row(&text, &html, "Config file",
         st->conf && smconf_path(st->conf) ? smconf_path(st->conf) : "(none: built-in defaults)");
  if (!st->conf) kv_row(&text, &html, "Config error", st->conf_err.msg);
  json_t *body = st->conf ? smconf_session_body(st->conf, NULL) : NULL;
  char *js = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  kv_row(&text, &html, "Current session configs", js ? js : "{}");
  free(js);
  json_decref(body);
  pthread_mutex_lock(&st->lock);
  struct session *sess = st->session;
  pthread_mutex_unlock(&st->lock);
  json_t *inf = sess && sess->started ? sess->ops->info(sess) : NULL;
  if (!inf) kv_row(&text, &html, "Session", "not started (starts with the first Spark cell)");
  buf_puts(&html, "</table>");
  if (inf) session_table(inf, &text, &html);
  json_decref(inf);
  display_text_html(s, text.data, html.data);
  buf_fini(&text);
  buf_fini(&html);
  (void)er;
  return ok_reply();
}

static void stop_session(struct exec_state *st);
static int ensure_session(struct exec_state *st, struct out *o, struct session **out,
                          struct err *e);
static void register_vars(struct exec_state *st, struct session *s, const char *name,
                          struct out *o);
static int pick_session(struct exec_state *st, struct magic_cell *cell, struct out *o,
                        struct session **out, struct err *e);
static struct session *local_of(struct exec_state *st);
static void store_var(struct exec_state *st, const char *name, const struct table *t,
                      struct out *o);
static int is_identifier(const char *s);
static json_t *backend_error(struct exec_request *er, struct err *e, json_t *traceback);

static json_t *do_configure(struct exec_state *st, struct exec_request *er, struct sink *s,
                            struct magic_cell *cell) {
  json_error_t je;
  json_t *body = json_loads(cell->body, 0, &je);
  if (!body || !json_is_object(body)) {
    char msg[512];
    snprintf(msg, sizeof msg, "Could not parse JSON object from input '%.200s': %s (line %d, column %d)",
             cell->body, body ? "not a JSON object" : je.text, body ? 1 : je.line + cell->body_line - 1,
             body ? 1 : je.column);
    json_decref(body);
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  if (!st->conf) {
    json_decref(body);
    return error_reply(er, "ConfigError", st->conf_err.msg, NULL);
  }
  pthread_mutex_lock(&st->lock);
  struct session *sess = st->session;
  pthread_mutex_unlock(&st->lock);
  int force = magic_opt(cell, "force") != NULL;
  if (sess && sess->started && !force) {
    json_decref(body);
    return error_reply(er, "UsageError",
                       "A session has already been started. If you intend to recreate the "
                       "session with new configurations, please include the -f argument.",
                       NULL);
  }
  smconf_set_session_configs(st->conf, body); /* takes the reference */
  if (force && sess && sess->started) {
    /* -f: restart now with the new settings, as sparkmagic does. */
    stop_session(st);
    struct out o = {&sink_ops, s};
    struct session *ns = NULL;
    struct err e;
    err_clear(&e);
    if (ensure_session(st, &o, &ns, &e)) return backend_error(er, &e, NULL);
    /* The startup status was a live display; the session table below says
     * the same, finished. wait: cleared when the table arrives, no flicker. */
    sink_clear(s, 1);
  }
  return do_info(st, er, s);
}

/* ---- Spark cells -------------------------------------------------------- */

static enum session_kind lang_kind(enum kernel_lang lang) {
  switch (lang) {
    case KERNEL_LANG_SCALA: return SESSION_SPARK;
    case KERNEL_LANG_SQL: return SESSION_SQL;
    default: return SESSION_PYSPARK;
  }
}

/* The kind of the kernel's own session: its flavour, unless a tool changed
 * it with %%_do_not_call_change_language. */
static enum session_kind session_kind_of(const struct exec_state *st) {
  return st->kind_override >= 0 ? (enum session_kind)st->kind_override : lang_kind(st->k->lang);
}

static enum livy_auth auth_of(const char *a) {
  if (a && strcmp(a, "Basic_Access") == 0) return LIVY_AUTH_BASIC;
  if (a && strcmp(a, "Kerberos") == 0) return LIVY_AUTH_KERBEROS;
  return LIVY_AUTH_NONE;
}

/* The auth flag (-t) as given, else sparkmagic's default: Basic_Access when
 * a user or password is given, else None. */
static const char *auth_or_default(const char *auth, const char *user, const char *pw) {
  if (auth) return auth;
  return (user && *user) || (pw && *pw) ? "Basic_Access" : "None";
}

static void livy_policy(struct exec_state *st, struct livy_session_opts *o);

/* Livy connection settings from config.json; ERR_NOTFOUND when no endpoint
 * is configured (then the local engine is the backend). */
static int livy_opts(struct exec_state *st, struct livy_session_opts *o, struct smconf_cred *cr,
                     struct err *e) {
  memset(o, 0, sizeof *o);
  memset(cr, 0, sizeof *cr);
  if (!st->conf) return err_set(e, ERR_INVAL, "%s", st->conf_err.msg);
  int rc = smconf_credentials(st->conf, (enum magic_lang)st->k->lang, cr, e);
  if (rc) return rc;
  livy_policy(st, o);
  o->http.url = cr->url;
  o->http.auth = auth_of(cr->auth);
  o->http.user = cr->username;
  o->http.password = cr->password;
  return 0;
}

/* The HTTP policy and session timing of config.json, for any endpoint. */
static void livy_policy(struct exec_state *st, struct livy_session_opts *o) {
  o->http.verify_tls = !smconf_bool(st->conf, "ignore_ssl_errors");
  o->http.headers = smconf_get(st->conf, "custom_headers");
  o->http.timeout = 30;
  json_t *sl = smconf_get(st->conf, "retry_seconds_to_sleep_list");
  const char *policy = smconf_str(st->conf, "retry_policy");
  if (policy && strcmp(policy, "linear") == 0) {
    o->http.retry_sleeps[0] = 5;
    o->http.nsleeps = 1;
    o->http.max_retries = 5;
  } else {
    size_t i;
    json_t *v;
    json_array_foreach(sl, i, v) {
      if (o->http.nsleeps < 16 && json_is_number(v))
        o->http.retry_sleeps[o->http.nsleeps++] = json_number_value(v);
    }
    if (!o->http.nsleeps) o->http.retry_sleeps[o->http.nsleeps++] = 0.2;
    o->http.max_retries = (int)smconf_int(st->conf, "configurable_retry_policy_max_retries");
  }
  o->startup_timeout = smconf_double(st->conf, "livy_session_startup_timeout_seconds");
  o->wait_for_idle = smconf_double(st->conf, "wait_for_idle_timeout_seconds");
  o->heartbeat_refresh = smconf_double(st->conf, "heartbeat_refresh_seconds");
  o->heartbeat_retry = smconf_double(st->conf, "heartbeat_retry_seconds");
  o->heartbeat_timeout = (int)smconf_int(st->conf, "livy_server_heartbeat_timeout_seconds");
  if (o->heartbeat_timeout <= 0) o->heartbeat_refresh = 0;
}

/* This executable's path, for starting the local driver process. */
static const char *self_exe(void) {
  static char path[4096];
  if (!path[0]) {
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) snprintf(path, sizeof path, "kindling");
    else path[n] = 0;
  }
  return path;
}

/* A failed Livy session start, worded with config.json's
 * fatal_error_suggestion ("{}" stands for the error) when the file sets one;
 * the built-in default of sparkmagic is vaguer than Kindling's own message. */
static void suggest_on_fatal(struct exec_state *st, struct session *s, struct err *e) {
  if (!st->conf || !smconf_is_set(st->conf, "fatal_error_suggestion") ||
      strcmp(s->ops->backend, "livy") != 0 || e->code == ERR_CANCELLED)
    return;
  const char *tpl = smconf_str(st->conf, "fatal_error_suggestion");
  const char *at = tpl ? strstr(tpl, "{}") : NULL;
  if (!tpl) return;
  /* The error is cut, not the template's advice, when the two are too long. */
  size_t head = at ? (size_t)(at - tpl) : strlen(tpl), tail = at ? strlen(at + 2) : 0;
  size_t room = sizeof e->msg - 1, elen = at ? strlen(e->msg) : 0;
  if (head + tail > room) return;
  if (elen > room - head - tail) elen = room - head - tail;
  char msg[ERR_MSG_MAX];
  memcpy(msg, tpl, head);
  memcpy(msg + head, e->msg, elen);
  if (at) memcpy(msg + head + elen, at + 2, tail);
  msg[head + elen + tail] = 0;
  memcpy(e->msg, msg, head + elen + tail + 1);
}

/* shutdown_session_on_spark_statement_errors: a failed statement deletes the
 * kernel's Livy session (the next cell starts a new one). */
static void after_statement_error(struct exec_state *st, struct session *s, struct sink *sk,
                                  const struct err *e) {
  if (!st->conf || e->code == ERR_CANCELLED ||
      !smconf_bool(st->conf, "shutdown_session_on_spark_statement_errors"))
    return;
  pthread_mutex_lock(&st->lock);
  int own = s == st->session && strcmp(s->ops->backend, "livy") == 0;
  pthread_mutex_unlock(&st->lock);
  if (!own) return;
  stop_session(st);
  sink_stream(sk, "stderr",
              "The session was deleted after the error, as "
              "shutdown_session_on_spark_statement_errors is set; the next cell starts a new "
              "one.\n");
}

/* The current session, started if needed (lazily, on the first Spark cell). */
static int ensure_session(struct exec_state *st, struct out *o, struct session **out,
                          struct err *e) {
  *out = NULL;
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session;
  if (s && !s->started && strcmp(s->ops->backend, "livy") == 0 && livy_session_lost(s)) {
    s->ops->free(s);
    s = st->session = NULL;
  }
  pthread_mutex_unlock(&st->lock);
  if (!s) {
    struct livy_session_opts lo;
    struct smconf_cred cr;
    int rc = livy_opts(st, &lo, &cr, e);
    if (rc == ERR_NOTFOUND) {
      /* No Livy endpoint anywhere: the bundled local engine is the session. */
      smconf_cred_fini(&cr);
      err_clear(e);
      s = local_session_new(self_exe(), session_kind_of(st), e);
      if (!s) return e->code ? e->code : ERR_NOMEM;
      pthread_mutex_lock(&st->lock);
      st->session = s;
      pthread_mutex_unlock(&st->lock);
      goto start;
    }
    if (rc) {
      smconf_cred_fini(&cr);
      return rc;
    }
    if (lo.http.auth == LIVY_AUTH_BASIC && (!lo.http.password || !*lo.http.password)) {
      /* No password in config.json: ask for it rather than store it in a
       * file (the frontend masks it); batch runs fail fast instead. */
      if (!st->typed_password) {
        char prompt[512];
        snprintf(prompt, sizeof prompt, "Livy password for %s at %s: ", lo.http.user, lo.http.url);
        struct err ie;
        err_clear(&ie);
        rc = o->ops->input(o->ctx, prompt, 1, &st->typed_password, &ie);
        if (rc) {
          /* lo points into cr: build the message before releasing it. */
          err_set_ename(e, "AuthenticationError");
          err_set(e, rc,
                  "The endpoint %s uses Basic_Access for user '%s' but no password is "
                  "configured, and it could not be asked for (%s). Set password or "
                  "base64_password in config.json.",
                  lo.http.url, lo.http.user, ie.msg);
          smconf_cred_fini(&cr);
          return rc;
        }
      }
      lo.http.password = st->typed_password;
    }
    s = livy_session_new(&lo, session_kind_of(st), e);
    smconf_cred_fini(&cr);
    if (!s) return e->code ? e->code : ERR_NOMEM;
    pthread_mutex_lock(&st->lock);
    st->session = s;
    pthread_mutex_unlock(&st->lock);
  }
start:
  if (!s->started) {
    json_t *body = smconf_session_body(st->conf, NULL);
    int rc = s->ops->start(s, body, o, e);
    json_decref(body);
    if (rc) {
      suggest_on_fatal(st, s, e);
      return rc;
    }
    if (strcmp(s->ops->backend, "local") == 0) register_vars(st, s, NULL, o);
  }
  *out = s;
  return 0;
}

static json_t *backend_error(struct exec_request *er, struct err *e, json_t *traceback) {
  const char *ename = e->ename[0] ? e->ename : (e->code == ERR_CANCELLED ? "KeyboardInterrupt" : "SparkError");
  return error_reply(er, ename, e->msg, traceback);
}

/* A one-row, one-column "plan" result: what EXPLAIN returns. */
static int is_plan_text(const struct table *t) {
  json_t *f = json_object_get(t->schema, "fields");
  if (json_array_size(f) != 1 || json_array_size(t->rows) != 1) return 0;
  const char *n = json_string_value(json_object_get(json_array_get(f, 0), "name"));
  return n && strcmp(n, "plan") == 0;
}

/* Display a result: EXPLAIN's plan as plain text (it reads best unsqueezed),
 * other results as a table; statements without columns show nothing. */
static void show_table(struct sink *sk, const struct table *t, int quiet) {
  if (quiet) return;
  if (t->earlier) show_table(sk, t->earlier, 0);
  json_t *b = NULL;
  if (is_plan_text(t)) {
    const char *plan = json_string_value(json_array_get(json_array_get(t->rows, 0), 0));
    b = json_pack("{s:s}", "text/plain", plan ? plan : "");
  } else if (json_array_size(json_object_get(t->schema, "fields"))) {
    b = render_table(t);
  }
  if (b) {
    sink_display(sk, b, NULL, 0);
    json_decref(b);
  }
}

static void sql_opts_from(struct magic_cell *cell, struct session_sql_opts *so) {
  const char *n = magic_opt(cell, "maxrows");
  const char *m = magic_opt(cell, "samplemethod");
  const char *r = magic_opt(cell, "samplefraction");
  so->maxrows = n ? strtoll(n, NULL, 10) : 2500;
  so->method = m && strcmp(m, "sample") == 0 ? SESSION_SAMPLE_SAMPLE : SESSION_SAMPLE_TAKE;
  so->fraction = r ? strtod(r, NULL) : 0.1;
  so->df_var = 0;
}

static json_t *run_sql(struct exec_state *st, struct exec_request *er, struct sink *sk,
                       struct magic_cell *cell, const char *query) {
  struct out o = {&sink_ops, sk};
  struct err e;
  err_clear(&e);
  struct session_sql_opts so;
  sql_opts_from(cell, &so);
  struct session *s = NULL;
  if (pick_session(st, cell, &o, &s, &e)) return backend_error(er, &e, NULL);
  struct table *t = NULL;
  json_t *tb = NULL;
  if (s->ops->sql(s, query, &so, &o, &t, &tb, &e)) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    after_statement_error(st, s, sk, &e);
    return r;
  }
  const char *var = magic_opt(cell, "output");
  if (var && *var) store_var(st, var, t, &o);
  show_table(sk, t, magic_opt(cell, "quiet") != NULL);
  table_free(t);
  return ok_reply();
}

static json_t *run_spark(struct exec_state *st, struct exec_request *er, struct sink *sk,
                         struct magic_cell *cell) {
  /* IDE probes (VS Code) send silent or store_history=false code: never let
   * them start a session or reach Spark. */
  if (er->silent || !er->store_history) {
    pthread_mutex_lock(&st->lock);
    int live = st->session && st->session->started;
    /* The local engine cannot run Python or Scala: a probe would only fail. */
    int local = live && strcmp(st->session->ops->backend, "local") == 0 &&
                st->k->lang != KERNEL_LANG_SQL && magic_cell_id(cell) != MAGIC_SQL;
    pthread_mutex_unlock(&st->lock);
    if (!live || local) return ok_reply();
  }
  const char *b = cell->body;
  while (*b && isspace((unsigned char)*b)) b++;
  if (!*b) return ok_reply();
  struct err e;
  err_clear(&e);
  /* config.json's default_maxrows etc. are validated like the flags. */
  if (st->conf && smconf_apply_defaults(st->conf, cell, &e))
    return error_reply(er, "BadUserConfigurationException", e.msg, NULL);
  enum magic_id id = magic_cell_id(cell);
  const char *ctx = magic_opt(cell, "context");
  if (id == MAGIC_SQL || (ctx && strcmp(ctx, "sql") == 0)) return run_sql(st, er, sk, cell, cell->body);
  const char *var = id == MAGIC_SPARK ? magic_opt(cell, "output") : NULL;
  if (var && !is_identifier(var)) {
    char msg[300];
    snprintf(msg, sizeof msg, "-o needs the name of a DataFrame variable, not '%.200s'.", var);
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  struct out o = {&sink_ops, sk};
  struct session *s = NULL;
  if (pick_session(st, cell, &o, &s, &e)) return backend_error(er, &e, NULL);
  /* The SQL kernel on the local engine: every cell is Spark SQL. */
  if (s->kind == SESSION_SQL && strcmp(s->ops->backend, "local") == 0)
    return run_sql(st, er, sk, cell, cell->body);
  json_t *tb = NULL;
  if (s->ops->execute(s, s->kind, cell->body, &o, &tb, &e)) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    after_statement_error(st, s, sk, &e);
    return r;
  }
  if (!var) return ok_reply();
  /* %%spark -o VAR: fetch the DataFrame VAR as %%sql -o would. */
  if (s->kind == SESSION_SQL)
    return error_reply(er, "BadUserDataException",
                       "-o needs a PySpark or Scala session: a Spark SQL session has no "
                       "DataFrame variables.",
                       NULL);
  struct session_sql_opts so;
  sql_opts_from(cell, &so);
  so.df_var = 1;
  struct table *t = NULL;
  if (s->ops->sql(s, var, &so, &o, &t, &tb, &e)) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    return r;
  }
  store_var(st, var, t, &o);
  table_free(t);
  return ok_reply();
}

static json_t *do_logs(struct exec_state *st, struct exec_request *er, struct sink *sk) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session;
  pthread_mutex_unlock(&st->lock);
  if (!s || !s->started) {
    sink_stream(sk, "stdout", "No logs yet.\n");
    return ok_reply();
  }
  struct buf b;
  buf_init(&b, 64u << 20);
  struct err e;
  err_clear(&e);
  if (s->ops->logs(s, &b, &e)) {
    buf_fini(&b);
    return backend_error(er, &e, NULL);
  }
  sink_stream(sk, "stdout", b.data ? b.data : "No logs yet.\n");
  buf_fini(&b);
  return ok_reply();
}

static int current_livy_id(struct exec_state *st) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session;
  int id = s && s->started && strcmp(s->ops->backend, "livy") == 0 ? livy_session_id(s) : -1;
  pthread_mutex_unlock(&st->lock);
  return id;
}

/* Stop s if it runs (bounded in time) and free it; s may be NULL. */
static void end_session(struct session *s) {
  if (!s) return;
  struct err e;
  err_clear(&e);
  if (s->started) s->ops->stop(s, &e);
  s->ops->free(s);
}

static void stop_session(struct exec_state *st) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session, *l = st->local;
  st->session = NULL;
  st->local = NULL;
  pthread_mutex_unlock(&st->lock);
  end_session(s);
  end_session(l);
}

/* %%local: the cell is Spark SQL for the bundled engine -- the notebook's
 * own session when that is local, else a local session of its own. */
static json_t *do_local(struct exec_state *st, struct exec_request *er, struct sink *sk,
                        struct magic_cell *cell) {
  struct out o = {&sink_ops, sk};
  struct err e;
  err_clear(&e);
  struct session *s = local_of(st);
  if (!s) {
    s = local_session_new(self_exe(), SESSION_SQL, &e);
    if (!s) return backend_error(er, &e, NULL);
    pthread_mutex_lock(&st->lock);
    st->local = s;
    pthread_mutex_unlock(&st->lock);
  }
  if (!s->started) {
    json_t *body = json_object();
    int rc = s->ops->start(s, body, &o, &e);
    json_decref(body);
    if (rc) return backend_error(er, &e, NULL);
    register_vars(st, s, NULL, &o);
  }
  struct session_sql_opts so;
  sql_opts_from(cell, &so);
  struct table *t = NULL;
  json_t *tb = NULL;
  if (s->ops->sql(s, cell->body, &so, &o, &t, &tb, &e)) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    return r;
  }
  show_table(sk, t, 0);
  table_free(t);
  return ok_reply();
}

/* Delete every session of the endpoint h; *n counts the deleted ones. Only
 * a failure to list them is an error: a session may go away meanwhile. */
static int delete_all_sessions(struct livy_http *h, int *n, struct err *e) {
  json_t *list = NULL;
  *n = 0;
  int rc = livy_list_sessions(h, &list, e);
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    struct err de;
    err_clear(&de);
    if (livy_delete_session(h, (int)json_integer_value(json_object_get(v, "id")), &de) == 0)
      (*n)++;
  }
  json_decref(list);
  return rc;
}

/* %%delete -s ID and %spark delete -u URL -i ID refuse the kernel's own
 * session with these words, as sparkmagic's %%delete does. */
static const char own_session_refusal[] =
    "Cannot delete this kernel's session. Use %%cleanup -f, or restart the kernel, to delete it.";

/* %%delete -f -s ID and %%cleanup -f work on the endpoint's sessions. */
static json_t *do_delete(struct exec_state *st, struct exec_request *er, struct sink *sk,
                         struct magic_cell *cell, int all) {
  struct livy_session_opts lo;
  struct smconf_cred cr;
  struct err e;
  err_clear(&e);
  int rc = livy_opts(st, &lo, &cr, &e);
  if (rc) {
    smconf_cred_fini(&cr);
    if (rc == ERR_NOTFOUND) {
      if (all) stop_session(st);
      sink_stream(sk, "stdout", all ? "Cleaned up the local session.\n" : "No Livy endpoint is configured.\n");
      return all ? ok_reply() : error_reply(er, "UsageError", "No Livy endpoint is configured: there is no session to delete.", NULL);
    }
    return backend_error(er, &e, NULL);
  }
  struct livy_http *h = livy_http_new(&lo.http);
  smconf_cred_fini(&cr);
  json_t *r = NULL;
  if (!all) {
    const char *sid = magic_opt(cell, "session");
    int id = sid ? atoi(sid) : -1;
    if (id == current_livy_id(st)) {
      r = error_reply(er, "UsageError", own_session_refusal, NULL);
    } else if (livy_delete_session(h, id, &e)) {
      r = backend_error(er, &e, NULL);
    } else {
      char msg[96];
      snprintf(msg, sizeof msg, "Deleted session %d.\n", id);
      sink_stream(sk, "stdout", msg);
    }
  } else {
    stop_session(st);
    int n = 0;
    if (delete_all_sessions(h, &n, &e)) {
      r = backend_error(er, &e, NULL);
    } else {
      char msg[96];
      snprintf(msg, sizeof msg, "Cleaned up %d session%s on the endpoint.\n", n, n == 1 ? "" : "s");
      sink_stream(sk, "stdout", msg);
    }
  }
  livy_http_free(h);
  return r ? r : ok_reply();
}

/* %matplot VAR: Livy's Python REPL renders the figure as image/png. */
static json_t *do_matplot(struct exec_state *st, struct exec_request *er, struct sink *sk,
                          struct magic_cell *cell) {
  if (st->k->lang != KERNEL_LANG_PYSPARK)
    return error_reply(er, "UsageError", "%matplot works in the PySpark kernel only.", NULL);
  struct out o = {&sink_ops, sk};
  struct err e;
  err_clear(&e);
  struct session *s = NULL;
  if (pick_session(st, cell, &o, &s, &e)) return backend_error(er, &e, NULL);
  char code[256];
  snprintf(code, sizeof code, "%%matplot %s", magic_pos(cell, 0) ? magic_pos(cell, 0) : "plt");
  json_t *tb = NULL;
  if (s->ops->execute(s, SESSION_PYSPARK, code, &o, &tb, &e)) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    return r;
  }
  return ok_reply();
}

/* %%_do_not_call_start_session: tools call it and read True/False. */
static json_t *do_hook_start(struct exec_state *st, struct exec_request *er, struct sink *sk) {
  struct out o = {&sink_ops, sk};
  struct err e;
  err_clear(&e);
  struct session *s = NULL;
  int ok = ensure_session(st, &o, &s, &e) == 0;
  json_t *d = json_pack("{s:s}", "text/plain", ok ? "True" : "False");
  sink_result(sk, d);
  json_decref(d);
  if (!ok) sink_stream(sk, "stderr", e.msg);
  (void)er;
  return ok_reply();
}

/* ---- named sessions, kernel variables ----------------------------------- */

static struct named *find_named(struct exec_state *st, const char *name) {
  for (size_t i = 0; i < st->nnamed; i++)
    if (strcmp(st->named[i].name, name) == 0) return &st->named[i];
  return NULL;
}

/* The session a Spark cell runs on: %%spark -s NAME; else the one session
 * added with %spark add; else the kernel's own (started lazily). */
static int pick_session(struct exec_state *st, struct magic_cell *cell, struct out *o,
                        struct session **out, struct err *e) {
  *out = NULL;
  const char *name = magic_cell_id(cell) == MAGIC_SPARK && !magic_subcommand(cell)
                         ? magic_opt(cell, "session")
                         : NULL;
  if (name) {
    struct named *n = find_named(st, name);
    if (!n) {
      err_set_ename(e, "UsageError");
      return err_set(e, ERR_NOTFOUND,
                     "No session named '%s'. Add it first: %%spark add -s %s -l python -u URL",
                     name, name);
    }
    *out = n->s;
    return 0;
  }
  if (st->nnamed == 1) {
    *out = st->named[0].s;
    return 0;
  }
  if (st->nnamed > 1) {
    struct buf names;
    buf_init(&names, 4096);
    for (size_t i = 0; i < st->nnamed; i++)
      buf_printf(&names, "%s%s", i ? ", " : "", st->named[i].name);
    err_set_ename(e, "UsageError");
    err_set(e, ERR_INVAL, "Several sessions were added (%s): pick one with %%%%spark -s NAME.",
            names.data);
    buf_fini(&names);
    return ERR_INVAL;
  }
  return ensure_session(st, o, out, e);
}

/* The local engine session (maybe not started): the kernel's own when it
 * is local, else %%local's; NULL when there is none yet. */
static struct session *local_of(struct exec_state *st) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session && !strcmp(st->session->ops->backend, "local") ? st->session
                                                                                   : st->local;
  pthread_mutex_unlock(&st->lock);
  return s;
}

/* The local engine session, if it is running. */
static struct session *running_local(struct exec_state *st) {
  struct session *s = local_of(st);
  return s && s->started ? s : NULL;
}

/* Register kernel variables as temporary views of the local session s (all
 * of them when name is NULL). A failure is a warning: the variable is kept. */
static void register_vars(struct exec_state *st, struct session *s, const char *name,
                          struct out *o) {
  const char *k;
  json_t *v;
  json_object_foreach(st->vars, k, v) {
    if (name && strcmp(k, name) != 0) continue;
    struct err e;
    err_clear(&e);
    if (local_session_register(s, k, json_object_get(v, "schema"), json_object_get(v, "rows"), o,
                               &e)) {
      char msg[ERR_MSG_MAX + 128];
      snprintf(msg, sizeof msg, "Warning: '%s' could not be registered as a local view: %s\n", k,
               e.msg);
      o->ops->stream(o->ctx, "stderr", msg);
    }
  }
}

/* Keep a result table under name (-o), and as a view in the local engine. */
static void store_var(struct exec_state *st, const char *name, const struct table *t,
                      struct out *o) {
  json_object_set_new(st->vars, name, json_pack("{s:O, s:O, s:I}", "schema", t->schema, "rows",
                                                t->rows, "total", (json_int_t)t->total));
  struct session *l = running_local(st);
  if (l) register_vars(st, l, name, o);
}

static int is_identifier(const char *s) {
  if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
  for (s++; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return 0;
  return 1;
}

/* ---- %%send_to_spark ---------------------------------------------------- */

/* A one-value table's value as text (sparkmagic sends str(value)). */
static char *single_value(json_t *var) {
  json_t *v = json_array_get(json_array_get(json_object_get(var, "rows"), 0), 0);
  if (json_is_string(v)) return strdup(json_string_value(v));
  return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static json_t *do_send(struct exec_state *st, struct exec_request *er, struct sink *sk,
                       struct magic_cell *cell) {
  const char *in = magic_opt(cell, "input");
  const char *name = magic_opt(cell, "varname");
  const char *type = magic_opt(cell, "vartype");
  const char *mr = magic_opt(cell, "maxrows");
  if (!name || !*name) name = in;
  long long maxrows = mr ? strtoll(mr, NULL, 10) : 2500;
  int as_df = type && strcmp(type, "df") == 0;
  json_t *var = json_object_get(st->vars, in);
  char msg[1024];
  if (!var) {
    snprintf(msg, sizeof msg,
             "Variable named '%.200s' not found. Kernel variables are the results kept with "
             "%%%%sql -o VAR or %%%%spark -o VAR.",
             in);
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  if (!is_identifier(name)) {
    snprintf(msg, sizeof msg,
             "'%.200s' is not a valid variable name for Spark: use letters, digits and _ "
             "(-n NAME).",
             name);
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  json_t *rows = json_object_get(var, "rows");
  size_t ncols = json_array_size(json_object_get(json_object_get(var, "schema"), "fields"));
  if (!as_df && (json_array_size(rows) != 1 || ncols != 1)) {
    snprintf(msg, sizeof msg,
             "'%.200s' is a table of %zu row%s and %zu column%s, not one value: send it with "
             "-t df, or keep a single value (SELECT one column ... LIMIT 1).",
             in, json_array_size(rows), json_array_size(rows) == 1 ? "" : "s", ncols,
             ncols == 1 ? "" : "s");
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  struct out o = {&sink_ops, sk};
  struct err e;
  err_clear(&e);
  struct session *s = NULL;
  if (pick_session(st, cell, &o, &s, &e)) return backend_error(er, &e, NULL);
  int rc;
  json_t *tb = NULL;
  if (!strcmp(s->ops->backend, "local")) {
    if (!as_df)
      return error_reply(er, "BadUserDataException",
                         "The local engine holds no variables, only tables: send the value "
                         "with -t df to get a one-row view.",
                         NULL);
    /* The local engine's "variables" are its temporary views. */
    json_t *cut = json_array();
    for (size_t i = 0; i < json_array_size(rows) && (maxrows < 0 || (long long)i < maxrows); i++)
      json_array_append(cut, json_array_get(rows, i));
    rc = local_session_register(s, name, json_object_get(var, "schema"), cut, &o, &e);
    json_decref(cut);
  } else if (s->kind == SESSION_SQL) {
    return error_reply(er, "BadUserDataException",
                       "A Spark SQL session holds no variables: use a PySpark or Scala session "
                       "to receive them.",
                       NULL);
  } else {
    char *val = as_df ? NULL : single_value(var);
    char *code = livy_send_code(s->kind, name, json_object_get(var, "schema"), rows, maxrows,
                                as_df ? NULL : val ? val : "");
    free(val);
    if (!code) return error_reply(er, "BadUserDataException", "the table has no columns", NULL);
    rc = s->ops->execute(s, s->kind, code, &o, &tb, &e);
    free(code);
  }
  if (rc) {
    json_t *r = backend_error(er, &e, tb);
    json_decref(tb);
    return r;
  }
  snprintf(msg, sizeof msg, "Successfully passed '%.200s' as '%.200s' to Spark kernel\n", in, name);
  sink_stream(sk, "stdout", msg);
  return ok_reply();
}

/* ---- %%pretty ------------------------------------------------------------ */

/* Collects the cell's stdout; everything else goes to the frontend. */
struct capture {
  struct sink *sk;
  struct buf text;
};

static void cap_stream(void *ctx, const char *name, const char *text) {
  struct capture *c = ctx;
  if (strcmp(name, "stdout") == 0) buf_puts(&c->text, text);
  else sink_stream(c->sk, name, text);
}
static void cap_display(void *ctx, json_t *data, const char *id, int update) {
  sink_display(((struct capture *)ctx)->sk, data, id, update);
}
static void cap_result(void *ctx, json_t *data) { sink_result(((struct capture *)ctx)->sk, data); }
static void cap_clear(void *ctx, int wait) { sink_clear(((struct capture *)ctx)->sk, wait); }
static int cap_interrupted(void *ctx) { return sink_interrupted(((struct capture *)ctx)->sk); }
static int cap_input(void *ctx, const char *prompt, int password, char **value, struct err *e) {
  return sink_input(((struct capture *)ctx)->sk, prompt, password, value, e);
}
static const struct out_ops capture_ops = {cap_stream, cap_display, cap_result,
                                           cap_clear,  cap_interrupted, cap_input};

/* Show text with the show() tables in it as tables (text, HTML, JSON). */
static void show_pretty(struct sink *sk, const char *text) {
  struct pretty_part *parts;
  size_t n;
  if (pretty_split(text, &parts, &n)) {
    sink_stream(sk, "stdout", text);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (!parts[i].is_table) {
      sink_stream(sk, "stdout", parts[i].text);
      continue;
    }
    struct table t = {.schema = json_pack("{s:s, s:[]}", "type", "struct", "fields"),
                      .rows = parts[i].rows,
                      .total = (long long)json_array_size(parts[i].rows),
                      .elapsed = -1};
    size_t j;
    json_t *c;
    json_array_foreach(parts[i].columns, j, c) {
      json_array_append_new(json_object_get(t.schema, "fields"),
                            json_pack("{s:O, s:s, s:b}", "name", c, "type", "string", "nullable", 1));
    }
    json_t *b = render_table(&t);
    if (b) sink_display(sk, b, NULL, 0);
    json_decref(b);
    json_decref(t.schema);
  }
  pretty_free(parts, n);
}

static json_t *do_pretty(struct exec_state *st, struct exec_request *er, struct sink *sk,
                         struct magic_cell *cell) {
  struct capture cap = {sk, {0}};
  buf_init(&cap.text, 64u << 20);
  struct out o = {&capture_ops, &cap};
  struct err e;
  err_clear(&e);
  struct session *s = NULL;
  json_t *tb = NULL, *r;
  if (pick_session(st, cell, &o, &s, &e)) {
    r = backend_error(er, &e, NULL);
  } else if (s->ops->execute(s, s->kind, cell->body, &o, &tb, &e)) {
    if (cap.text.data) sink_stream(sk, "stdout", cap.text.data);
    r = backend_error(er, &e, tb);
  } else {
    if (cap.text.data) show_pretty(sk, cap.text.data);
    r = ok_reply();
  }
  json_decref(tb);
  buf_fini(&cap.text);
  return r;
}

/* ---- %spark subcommands (sparkmagic's IPython magics) ------------------- */

/* Connection settings for an endpoint named on the magic line (-u, -t, -a,
 * -p); the auth defaults as sparkmagic's does: Basic_Access when a user or
 * password is given, else None. Strings in lo are borrowed from cell. */
static int cell_endpoint(struct exec_state *st, struct magic_cell *cell,
                         struct livy_session_opts *lo, struct err *e) {
  memset(lo, 0, sizeof *lo);
  if (!st->conf) return err_set(e, ERR_INVAL, "%s", st->conf_err.msg);
  livy_policy(st, lo);
  const char *user = magic_opt(cell, "user"), *pw = magic_opt(cell, "password");
  const char *auth = magic_opt(cell, "auth");
  /* The conf is read-only for livy_session_new, which copies it. */
  lo->http.url = (char *)magic_opt(cell, "url");
  lo->http.user = (char *)(user ? user : "");
  lo->http.password = (char *)(pw ? pw : "");
  lo->http.auth = auth_of(auth_or_default(auth, user, pw));
  return 0;
}

static void named_stop(struct named *n) {
  end_session(n->s);
  free(n->name);
  free(n->url);
}

static json_t *do_spark_add(struct exec_state *st, struct exec_request *er, struct sink *sk,
                            struct magic_cell *cell) {
  const char *name = magic_opt(cell, "session"), *lang = magic_opt(cell, "language");
  char msg[512];
  if (find_named(st, name)) {
    if (magic_opt_given(cell, "skip")) return ok_reply();
    snprintf(msg, sizeof msg,
             "A session named '%.200s' already exists: add -k to skip it, or run "
             "%%spark delete -s %.200s first.",
             name, name);
    return error_reply(er, "BadUserDataException", msg, NULL);
  }
  struct livy_session_opts lo;
  struct err e;
  err_clear(&e);
  if (cell_endpoint(st, cell, &lo, &e)) return backend_error(er, &e, NULL);
  struct named *grown = realloc(st->named, (st->nnamed + 1) * sizeof *grown);
  if (!grown) return error_reply(er, "MemoryError", "out of memory", NULL);
  st->named = grown;
  enum session_kind kind = strcmp(lang, "scala") == 0 ? SESSION_SPARK
                           : strcmp(lang, "r") == 0   ? SESSION_SPARKR
                                                      : SESSION_PYSPARK;
  struct session *s = livy_session_new(&lo, kind, &e);
  if (!s) return backend_error(er, &e, NULL);
  struct out o = {&sink_ops, sk};
  json_t *body = smconf_session_body(st->conf, NULL);
  int rc = s->ops->start(s, body, &o, &e);
  json_decref(body);
  if (rc) {
    s->ops->free(s);
    /* Name the session that failed: the cell may add several. */
    struct err we = e;
    err_set(&we, e.code, "Could not start the %s session '%.200s': %s",
            kind == SESSION_SPARK ? "Spark (Scala)" : kind == SESSION_SPARKR ? "SparkR" : "PySpark",
            name, e.msg);
    return backend_error(er, &we, NULL);
  }
  pthread_mutex_lock(&st->lock);
  st->named[st->nnamed++] = (struct named){strdup(name), strdup(lo.http.url), s};
  pthread_mutex_unlock(&st->lock);
  return ok_reply();
}

/* Remove named session i (under the lock, so interrupts never see it). */
static void named_remove(struct exec_state *st, size_t i) {
  pthread_mutex_lock(&st->lock);
  struct named n = st->named[i];
  memmove(&st->named[i], &st->named[i + 1], (st->nnamed - i - 1) * sizeof *st->named);
  st->nnamed--;
  pthread_mutex_unlock(&st->lock);
  named_stop(&n);
}

/* 1 when two Livy base URLs name the same endpoint: trailing slashes
 * aside, and the scheme and host in any case. */
static int same_endpoint(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  while (na && a[na - 1] == '/') na--;
  while (nb && b[nb - 1] == '/') nb--;
  if (na != nb) return 0;
  const char *sep = strstr(a, "://");
  size_t host_end = sep ? (size_t)(sep - a) + 3 : 0;
  while (host_end < na && a[host_end] != '/') host_end++;
  return strncasecmp(a, b, host_end) == 0 && memcmp(a + host_end, b + host_end, na - host_end) == 0;
}

/* The %spark add session with Livy id at endpoint url, or NULL. */
static struct named *named_at(struct exec_state *st, const char *url, int id) {
  for (size_t i = 0; i < st->nnamed; i++) {
    struct session *s = st->named[i].s;
    if (livy_session_id(s) == id && same_endpoint(livy_session_url(s), url))
      return &st->named[i];
  }
  return NULL;
}

/* 1 when url and id name the kernel's own running Livy session. */
static int is_own_session(struct exec_state *st, const char *url, int id) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session;
  int own = s && s->started && strcmp(s->ops->backend, "livy") == 0 &&
            livy_session_id(s) == id && same_endpoint(livy_session_url(s), url);
  pthread_mutex_unlock(&st->lock);
  return own;
}

/* -u URL: delete session -i ID there, or every session there. */
static json_t *endpoint_delete(struct exec_state *st, struct exec_request *er, struct sink *sk,
                               struct magic_cell *cell, int all) {
  struct livy_session_opts lo;
  struct err e;
  err_clear(&e);
  if (cell_endpoint(st, cell, &lo, &e)) return backend_error(er, &e, NULL);
  struct livy_http *h = livy_http_new(&lo.http);
  if (!h) return error_reply(er, "MemoryError", "out of memory", NULL);
  json_t *r = NULL;
  int n = 0;
  if (!all) {
    int id = atoi(magic_opt(cell, "id"));
    struct named *nm = named_at(st, livy_http_url(h), id);
    if (is_own_session(st, livy_http_url(h), id)) {
      livy_http_free(h);
      return error_reply(er, "UsageError", own_session_refusal, NULL);
    }
    if (nm) {
      /* An added session: delete it by name, as sparkmagic does, so that
       * it leaves the session list as well as the server. */
      named_remove(st, (size_t)(nm - st->named));
      n = 1;
    } else if (livy_delete_session(h, id, &e) == 0) {
      n = 1;
    }
  } else {
    /* The added sessions there go with the rest: forget them too. */
    if (delete_all_sessions(h, &n, &e) == 0)
      for (size_t i = st->nnamed; i-- > 0;)
        if (same_endpoint(livy_session_url(st->named[i].s), livy_http_url(h)))
          named_remove(st, i);
  }
  if (e.code) {
    r = backend_error(er, &e, NULL);
  } else {
    char msg[128];
    snprintf(msg, sizeof msg, "Deleted %d session%s at the endpoint.\n", n, n == 1 ? "" : "s");
    sink_stream(sk, "stdout", msg);
  }
  livy_http_free(h);
  return r ? r : ok_reply();
}

static json_t *do_spark_sub(struct exec_state *st, struct exec_request *er, struct sink *sk,
                            struct magic_cell *cell) {
  const char *sub = magic_subcommand(cell);
  const char *name = magic_opt(cell, "session");
  char msg[512];
  if (strcmp(sub, "add") == 0) return do_spark_add(st, er, sk, cell);
  if (strcmp(sub, "config") == 0) return do_configure(st, er, sk, cell);
  if (strcmp(sub, "info") == 0) {
    if (magic_opt(cell, "url")) {
      struct livy_session_opts lo;
      struct err e;
      err_clear(&e);
      if (cell_endpoint(st, cell, &lo, &e)) return backend_error(er, &e, NULL);
      struct livy_http *h = livy_http_new(&lo.http);
      json_t *list = NULL;
      int rc = h ? livy_list_sessions(h, &list, &e) : err_set(&e, ERR_NOMEM, "out of memory");
      livy_http_free(h);
      if (rc) return backend_error(er, &e, NULL);
      struct buf text, html;
      buf_init(&text, 1 << 20);
      buf_init(&html, 1 << 20);
      buf_puts(&html, "<table>");
      size_t i;
      json_t *v;
      json_array_foreach(list, i, v) {
        const char *want = magic_opt(cell, "id");
        if (want && json_integer_value(json_object_get(v, "id")) != atoll(want)) continue;
        char k[32];
        snprintf(k, sizeof k, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(v, "id")));
        char *js = json_dumps(v, JSON_COMPACT);
        kv_row(&text, &html, k, js ? js : "");
        free(js);
      }
      buf_puts(&html, "</table>");
      if (!text.data) buf_puts(&text, "No sessions at the endpoint.\n");
      display_text_html(sk, text.data, html.data);
      buf_fini(&text);
      buf_fini(&html);
      json_decref(list);
      return ok_reply();
    }
    if (st->nnamed) {
      struct buf text, html;
      buf_init(&text, 1 << 20);
      buf_init(&html, 1 << 20);
      buf_puts(&html, "<table>");
      for (size_t i = 0; i < st->nnamed; i++) {
        json_t *inf = st->named[i].s->ops->info(st->named[i].s);
        char *js = inf ? json_dumps(inf, JSON_COMPACT) : NULL;
        snprintf(msg, sizeof msg, "%s (%s)", st->named[i].name, st->named[i].url);
        kv_row(&text, &html, msg, js ? js : "?");
        free(js);
        json_decref(inf);
      }
      buf_puts(&html, "</table>");
      display_text_html(sk, text.data, html.data);
      buf_fini(&text);
      buf_fini(&html);
    }
    return do_info(st, er, sk);
  }
  if (strcmp(sub, "delete") == 0 || strcmp(sub, "logs") == 0) {
    if (!name) return endpoint_delete(st, er, sk, cell, 0);
    struct named *n = find_named(st, name);
    if (!n) {
      snprintf(msg, sizeof msg, "No session named '%.200s'.", name);
      return error_reply(er, "BadUserDataException", msg, NULL);
    }
    if (strcmp(sub, "delete") == 0) {
      named_remove(st, (size_t)(n - st->named));
      return ok_reply();
    }
    struct buf b;
    buf_init(&b, 64u << 20);
    struct err e;
    err_clear(&e);
    json_t *r = n->s->ops->logs(n->s, &b, &e) ? backend_error(er, &e, NULL) : ok_reply();
    if (!e.code) sink_stream(sk, "stdout", b.data ? b.data : "No logs yet.\n");
    buf_fini(&b);
    return r;
  }
  if (strcmp(sub, "cleanup") == 0) {
    if (magic_opt(cell, "url")) return endpoint_delete(st, er, sk, cell, 1);
    while (st->nnamed) named_remove(st, st->nnamed - 1);
    return ok_reply();
  }
  return error_reply(er, "UsageError", "unknown %spark subcommand", NULL);
}

/* ---- hooks for tools ---------------------------------------------------- */

/* 1 when the kernel's own session has started (then endpoint and language
 * are fixed); an unstarted one is dropped so the next cell builds anew. */
static int own_session_started(struct exec_state *st) {
  pthread_mutex_lock(&st->lock);
  struct session *s = st->session;
  int started = s && s->started;
  if (s && !started) st->session = NULL;
  pthread_mutex_unlock(&st->lock);
  if (s && !started) s->ops->free(s);
  return started;
}

static json_t *do_change_endpoint(struct exec_state *st, struct exec_request *er,
                                  struct magic_cell *cell) {
  if (own_session_started(st))
    return error_reply(er, "BadUserDataException",
                       "Cannot change endpoint if session has been started.", NULL);
  if (!st->conf) return error_reply(er, "ConfigError", st->conf_err.msg, NULL);
  const char *user = magic_opt(cell, "username"), *pw = magic_opt(cell, "password");
  const char *auth = magic_opt(cell, "auth");
  auth = auth_or_default(auth, user, pw);
  json_t *cred = json_pack("{s:s, s:s, s:s, s:s}", "url", magic_opt(cell, "server"), "username",
                           user ? user : "", "password", pw ? pw : "", "auth", auth);
  smconf_override(st->conf,
                  st->k->lang == KERNEL_LANG_SCALA ? "kernel_scala_credentials"
                                                   : "kernel_python_credentials",
                  cred);
  return ok_reply();
}

static json_t *do_change_language(struct exec_state *st, struct exec_request *er,
                                  struct magic_cell *cell) {
  if (own_session_started(st))
    return error_reply(er, "BadUserDataException",
                       "Cannot change the language once a session has started.", NULL);
  const char *l = magic_opt(cell, "language");
  st->kind_override = strcmp(l, "scala") == 0 ? SESSION_SPARK
                      : strcmp(l, "sql") == 0 ? SESSION_SQL
                      : strcmp(l, "r") == 0   ? SESSION_SPARKR
                                              : SESSION_PYSPARK;
  return ok_reply();
}

json_t *exec_complete(struct exec_state *st, const char *code, size_t cursor) {
  if (!st) return NULL;
  struct session *s = NULL;
  pthread_mutex_lock(&st->lock);
  if (st->nnamed == 1) s = st->named[0].s;
  else if (!st->nnamed) s = st->session;
  pthread_mutex_unlock(&st->lock);
  if (!s || !s->started || !s->ops->complete) return NULL;
  json_t *c = NULL;
  struct err e;
  err_clear(&e);
  if (s->ops->complete(s, code, cursor, &c, &e)) klog("completion: %s", e.msg);
  return c;
}

/* ---- entry points ------------------------------------------------------- */

struct exec_state *exec_state_new(struct kernel *k) {
  struct exec_state *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->k = k;
  st->vars = json_object();
  st->kind_override = -1;
  pthread_mutex_init(&st->lock, NULL);
  if (smconf_load(&st->conf, &st->conf_err) != 0) {
    klog("config: %s", st->conf_err.msg);
    st->conf = NULL;
  }
  return st;
}

/* cleanup_all_sessions_on_exit: delete every session of the endpoint, with
 * a short timeout so that an unreachable server cannot hold the exit. */
static void cleanup_endpoint_on_exit(struct exec_state *st) {
  if (!st->conf || !smconf_bool(st->conf, "cleanup_all_sessions_on_exit")) return;
  struct livy_session_opts lo;
  struct smconf_cred cr;
  struct err e;
  err_clear(&e);
  if (livy_opts(st, &lo, &cr, &e) == 0) {
    lo.http.timeout = 3;
    lo.http.max_retries = 0;
    if (lo.http.auth == LIVY_AUTH_BASIC && st->typed_password) lo.http.password = st->typed_password;
    struct livy_http *h = livy_http_new(&lo.http);
    int n;
    if (h) delete_all_sessions(h, &n, &e);
    livy_http_free(h);
  }
  smconf_cred_fini(&cr);
}

void exec_state_free(struct exec_state *st) {
  if (!st) return;
  stop_session(st);
  for (size_t i = 0; i < st->nnamed; i++) named_stop(&st->named[i]);
  free(st->named);
  cleanup_endpoint_on_exit(st);
  smconf_free(st->conf);
  json_decref(st->vars);
  if (st->typed_password) {
    memset(st->typed_password, 0, strlen(st->typed_password));
    free(st->typed_password);
  }
  pthread_mutex_destroy(&st->lock);
  free(st);
}

void exec_interrupt(struct kernel *k) {
  atomic_store(&k->interrupt, 1);
  struct exec_state *st = k->exec;
  if (!st) return;
  pthread_mutex_lock(&st->lock);
  if (st->session && st->session->started) st->session->ops->cancel(st->session);
  if (st->local && st->local->started) st->local->ops->cancel(st->local);
  for (size_t i = 0; i < st->nnamed; i++) st->named[i].s->ops->cancel(st->named[i].s);
  pthread_mutex_unlock(&st->lock);
}

json_t *exec_run(struct kernel *k, struct exec_request *er) {
  struct exec_state *st = k->exec;
  struct sink s = {k, er};
  const char *p = er->code;
  while (*p && isspace((unsigned char)*p)) p++;
  if (!*p) return ok_reply();
  struct magic_cell *cell = NULL;
  struct err e;
  err_clear(&e);
  if (magic_parse(er->code, (enum magic_lang)k->lang, &cell, &e) != 0)
    return usage_error(er, &e);
  json_t *r;
  switch (magic_cell_id(cell)) {
    case MAGIC_HELP: r = do_help(er, &s, (enum magic_lang)k->lang); break;
    case MAGIC_INFO: r = do_info(st, er, &s); break;
    case MAGIC_CONFIGURE: r = do_configure(st, er, &s, cell); break;
    case MAGIC_SPARK:
      if (magic_subcommand(cell)) {
        r = do_spark_sub(st, er, &s, cell);
      } else {
        r = run_spark(st, er, &s, cell);
      }
      break;
    case MAGIC_LOGS: r = do_logs(st, er, &s); break;
    case MAGIC_MATPLOT: r = do_matplot(st, er, &s, cell); break;
    case MAGIC_START_SESSION: r = do_hook_start(st, er, &s); break;
    case MAGIC_DELETE_SESSION:
      stop_session(st);
      r = ok_reply();
      break;
    case MAGIC_ALLOW_RETRY_FATAL:
      /* Kindling never enters sparkmagic's sticky fatal state: a failed
       * start is retried by the next cell, so there is nothing to reset. */
      r = ok_reply();
      break;
    case MAGIC_SEND_TO_SPARK: r = do_send(st, er, &s, cell); break;
    case MAGIC_PRETTY: r = do_pretty(st, er, &s, cell); break;
    case MAGIC_CHANGE_ENDPOINT: r = do_change_endpoint(st, er, cell); break;
    case MAGIC_CHANGE_LANGUAGE: r = do_change_language(st, er, cell); break;
    case MAGIC_DELETE: r = do_delete(st, er, &s, cell, 0); break;
    case MAGIC_CLEANUP: r = do_delete(st, er, &s, cell, 1); break;
    case MAGIC_LOCAL: r = do_local(st, er, &s, cell); break;
    default: r = run_spark(st, er, &s, cell); break;
  }
  magic_cell_free(cell);
  return r;
}
