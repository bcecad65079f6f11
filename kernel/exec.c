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
#include <zmq.h>

#include "common/buf.h"
#include "common/session.h"
#include "common/utf8.h"
#include "kernel/msg.h"
#include "magics/magic.h"
#include "magics/smconf.h"

struct exec_state {
  struct kernel *k;
  struct smconf *conf;        /* NULL when config.json failed to load */
  struct err conf_err;        /* why it failed */
  pthread_mutex_t lock;       /* guards session for exec_interrupt */
  struct session *session;    /* current Spark session, NULL before start */
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
 * caret under the column, then the rest (usage). */
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
      if (len > 200) len = 200;
      char *line = utf8_sanitize(p, len);
      json_array_append_new(tb, json_string(line ? line : ""));
      free(line);
      struct buf caret;
      buf_init(&caret, 4096);
      for (int c = 1; c < e->column && c < 200; c++) buf_putc(&caret, ' ');
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
  return "local engine";
}

static void kv_row(struct buf *text, struct buf *html, const char *k, const char *v) {
  buf_printf(text, "%-22s %s\n", k, v);
  buf_puts(html, "<tr><th style=\"text-align:left\">");
  buf_put_html(html, k);
  buf_puts(html, "</th><td style=\"text-align:left\"><code>");
  buf_put_html(html, v);
  buf_puts(html, "</code></td></tr>");
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
  if (sess && sess->started) {
    json_t *inf = sess->ops->info(sess);
    char *is = inf ? json_dumps(inf, JSON_COMPACT) : NULL;
    kv_row(&text, &html, "Session", is ? is : "?");
    free(is);
    json_decref(inf);
  } else {
    kv_row(&text, &html, "Session", "not started (starts with the first Spark cell)");
  }
  buf_puts(&html, "</table>");
  display_text_html(s, text.data, html.data);
  buf_fini(&text);
  buf_fini(&html);
  (void)er;
  return ok_reply();
}

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
  return do_info(st, er, s);
}

/* ---- Spark cells -------------------------------------------------------- */

static json_t *no_backend(struct exec_state *st, struct exec_request *er) {
  (void)st;
  return error_reply(
      er, "NoSparkBackend",
      "No Spark backend is available for this cell. Configure a Livy endpoint (set "
      "KINDLING_LIVY_URL, or kernel_python_credentials.url in ~/.sparkmagic/config.json, or "
      "run %spark add -s NAME -l python -u URL); the bundled local engine is not part of "
      "this build yet.",
      NULL);
}

static json_t *run_spark(struct exec_state *st, struct exec_request *er, struct sink *s,
                         struct magic_cell *cell) {
  (void)s;
  /* IDE probes (VS Code) send silent or store_history=false code: never let
   * them start a session or reach Spark. */
  if (er->silent || !er->store_history) {
    pthread_mutex_lock(&st->lock);
    int live = st->session && st->session->started;
    pthread_mutex_unlock(&st->lock);
    if (!live) return ok_reply();
  }
  const char *b = cell->body;
  while (*b && isspace((unsigned char)*b)) b++;
  if (!*b) return ok_reply();
  return no_backend(st, er);
}

/* ---- entry points ------------------------------------------------------- */

struct exec_state *exec_state_new(struct kernel *k) {
  struct exec_state *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->k = k;
  pthread_mutex_init(&st->lock, NULL);
  if (smconf_load(&st->conf, &st->conf_err) != 0) {
    klog("config: %s", st->conf_err.msg);
    st->conf = NULL;
  }
  return st;
}

void exec_state_free(struct exec_state *st) {
  if (!st) return;
  if (st->session) {
    struct err e;
    err_clear(&e);
    if (st->session->started) st->session->ops->stop(st->session, &e);
    st->session->ops->free(st->session);
  }
  smconf_free(st->conf);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

void exec_interrupt(struct kernel *k) {
  atomic_store(&k->interrupt, 1);
  struct exec_state *st = k->exec;
  if (!st) return;
  pthread_mutex_lock(&st->lock);
  if (st->session && st->session->started) st->session->ops->cancel(st->session);
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
    case MAGIC_LOCAL:
      r = error_reply(er, "NotImplementedError",
                      "%%local runs SQL on the bundled local engine, which is not part of this "
                      "build yet. Remove %%local to run the cell on the Spark session.",
                      NULL);
      break;
    default: r = run_spark(st, er, &s, cell); break;
  }
  magic_cell_free(cell);
  return r;
}
