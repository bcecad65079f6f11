/* smconf.c: sparkmagic config.json loader (see smconf.h; magics layer).
 *
 * Defaults are sparkmagic 0.23's (sparkmagic/utils/configuration.py), kept
 * below as one JSON document so the table reads like the compat doc. */
#include "magics/smconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/utf8.h"

static const char defaults_json[] =
    "{"
    "\"kernel_python_credentials\": {\"username\": \"\", \"base64_password\": "
    "\"\", \"url\": \"http://localhost:8998\", \"auth\": \"None\"},"
    "\"kernel_scala_credentials\": {\"username\": \"\", \"base64_password\": "
    "\"\", \"url\": \"http://localhost:8998\", \"auth\": \"None\"},"
    "\"kernel_r_credentials\": {\"username\": \"\", \"base64_password\": "
    "\"\", \"url\": \"http://localhost:8998\", \"auth\": \"None\"},"
    "\"authenticators\": {\"Kerberos\": \"sparkmagic.auth.kerberos.Kerberos\","
    " \"None\": \"sparkmagic.auth.customauth.Authenticator\","
    " \"Basic_Access\": \"sparkmagic.auth.basic.Basic\"},"
    /* requests_kerberos: REQUIRED=1, OPTIONAL=2, DISABLED=3 */
    "\"kerberos_auth_configuration\": {\"mutual_authentication\": 1},"
    "\"session_configs\": {},"
    "\"session_configs_defaults\": {},"
    "\"logging_config\": {\"version\": 1,"
    " \"formatters\": {\"magicsFormatter\": {\"format\": "
    "\"%(asctime)s\\t%(levelname)s\\t%(message)s\", \"datefmt\": \"\"}},"
    " \"handlers\": {\"magicsHandler\": {\"class\": "
    "\"hdijupyterutils.filehandler.MagicsFileHandler\", \"formatter\": "
    "\"magicsFormatter\", \"home_path\": \"~/.sparkmagic\"}},"
    " \"loggers\": {\"magicsLogger\": {\"handlers\": [\"magicsHandler\"], "
    "\"level\": \"DEBUG\", \"propagate\": 0}}},"
    "\"events_handler_class\": \"hdijupyterutils.eventshandler.EventsHandler\","
    "\"wait_for_idle_timeout_seconds\": 15,"
    "\"livy_session_startup_timeout_seconds\": 60,"
    "\"fatal_error_suggestion\": \"The code failed because of a fatal error:\\n"
    "\\t{}.\\n\\nSome things to try:\\na) Make sure Spark has enough available "
    "resources for Jupyter to create a Spark context.\\nb) Contact your "
    "Jupyter administrator to make sure the Spark magics library is configured "
    "correctly.\\nc) Restart the kernel.\","
    "\"resource_limit_mitigation_suggestion\": \"\","
    "\"ignore_ssl_errors\": false,"
    "\"coerce_dataframe\": true,"
    "\"use_auto_viz\": true,"
    "\"default_maxrows\": 2500,"
    "\"default_samplemethod\": \"take\","
    "\"default_samplefraction\": 0.1,"
    /* Dead keys in sparkmagic, kept so smconf_get answers for them. */
    "\"max_results_sql\": 2500,"
    "\"pyspark_dataframe_encoding\": \"utf-8\","
    "\"heartbeat_refresh_seconds\": 30,"
    "\"heartbeat_retry_seconds\": 10,"
    "\"livy_server_heartbeat_timeout_seconds\": 60,"
    "\"server_extension_default_kernel_name\": \"pysparkkernel\","
    "\"custom_headers\": {},"
    "\"http_session_config\": {\"adapters\": []},"
    "\"retry_policy\": \"configurable\","
    "\"retry_seconds_to_sleep_list\": [0.2, 0.5, 1, 3, 5],"
    "\"configurable_retry_policy_max_retries\": 8,"
    "\"shutdown_session_on_spark_statement_errors\": false,"
    "\"all_errors_are_fatal\": false,"
    "\"cleanup_all_sessions_on_exit\": false"
    "}";

struct smconf {
  char *path;        /* file loaded, or NULL */
  json_t *defaults;  /* built-in defaults (object) */
  json_t *file;      /* file contents (object) or NULL */
  json_t *overrides; /* runtime overrides (object) */
  char **warnings;   /* load-time warnings */
  size_t nwarnings;
};

static const char ENAME[] = "BadUserConfigurationException";

static int nomem(struct err *e) {
  return err_set(e, ERR_NOMEM, "out of memory");
}

/* err_set_at plus ename. */
static int fail(struct err *e, int code, int line, int col, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
static int fail(struct err *e, int code, int line, int col, const char *fmt,
                ...) {
  char msg[ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  err_set_at(e, code, line, col, "%s", msg);
  err_set_ename(e, ENAME);
  return code;
}

static struct smconf *new_conf(void) {
  struct smconf *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  json_error_t je;
  c->defaults = json_loads(defaults_json, 0, &je);
  c->overrides = json_object();
  if (!c->defaults || !c->overrides) {
    smconf_free(c);
    return NULL;
  }
  return c;
}

void smconf_free(struct smconf *c) {
  if (!c) return;
  free(c->path);
  json_decref(c->defaults);
  json_decref(c->file);
  json_decref(c->overrides);
  for (size_t i = 0; i < c->nwarnings; i++) free(c->warnings[i]);
  free(c->warnings);
  free(c);
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
  }
  return "a value";
}

static int same_kind(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b)) return 1;
  if (json_is_boolean(a) && json_is_boolean(b)) return 1;
  return json_typeof(a) == json_typeof(b);
}

static int add_warning(struct smconf *c, const char *key, const json_t *def,
                       const json_t *got) {
  char msg[512];
  snprintf(msg, sizeof msg,
           "%s: '%.100s' should be %s, not %s; using the default",
           c->path ? c->path : "config", key, type_name(def), type_name(got));
  char **nw = realloc(c->warnings, (c->nwarnings + 1) * sizeof *nw);
  if (!nw) return ERR_NOMEM;
  c->warnings = nw;
  nw[c->nwarnings] = strdup(msg);
  if (!nw[c->nwarnings]) return ERR_NOMEM;
  c->nwarnings++;
  return 0;
}

/* jansson texts end in " near '<token>'", which may be part of a password:
 * cut it. */
static void strip_near(char *text) {
  char *p = strstr(text, " near '");
  if (p) *p = '\0';
}

/* Read a whole file (at most SMCONF_MAX_FILE bytes) into *data (new). */
static int read_file(const char *path, char **data, size_t *len,
                     struct err *e) {
  *data = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int code = (errno == ENOENT || errno == ENOTDIR) ? ERR_NOTFOUND : ERR_IO;
    return fail(e, code, 0, 0, "cannot open %s: %s", path,
                strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(e, ERR_IO, 0, 0, "cannot read %s: %snot a regular file",
                path, "");
  }
  struct buf b;
  buf_init(&b, SMCONF_MAX_FILE);
  char chunk[8192];
  int rc = 0;
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = fail(e, ERR_IO, 0, 0, "cannot read %s: %s", path,
                strerror(errno));
      break;
    }
    if (n == 0) break;
    rc = buf_append(&b, chunk, (size_t)n);
    if (rc == ERR_TOOBIG) {
      char lim[32];
      snprintf(lim, sizeof lim, "%u", SMCONF_MAX_FILE);
      rc = fail(e, ERR_TOOBIG, 0, 0, "%s is larger than %s bytes", path,
                lim);
      break;
    }
    if (rc) {
      nomem(e);
      break;
    }
  }
  close(fd);
  if (rc) {
    buf_fini(&b);
    return rc;
  }
  *len = b.len;
  *data = buf_steal(&b);
  return *data ? 0 : nomem(e);
}

/* Parse text of a config file into c. */
static int parse_into(struct smconf *c, const char *text, size_t len,
                      struct err *e) {
  size_t i = 0;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                     text[i] == '\r'))
    i++;
  if (i == len) {
    /* sparkmagic: an empty file means no overrides. */
    c->file = json_object();
    return c->file ? 0 : nomem(e);
  }
  json_error_t je;
  json_t *j = json_loadb(text, len, 0, &je);
  if (!j) {
    strip_near(je.text);
    char msg[ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s:%d:%d: invalid JSON: %s", c->path, je.line,
             je.column, je.text);
    err_set_at(e, ERR_PARSE, je.line, je.column, "%s", msg);
    err_set_ename(e, ENAME);
    return ERR_PARSE;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    return fail(e, ERR_PARSE, 1, 1,
                "%s: the configuration must be a JSON object%s", c->path,
                "");
  }
  c->file = j;
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    json_t *def = json_object_get(c->defaults, key);
    if (def && !same_kind(def, v) && add_warning(c, key, def, v))
      return nomem(e);
  }
  return 0;
}

int smconf_load_file(const char *path, struct smconf **out, struct err *e) {
  *out = NULL;
  struct smconf *c = new_conf();
  if (!c) return nomem(e);
  if (path) {
    c->path = strdup(path);
    if (!c->path) {
      smconf_free(c);
      return nomem(e);
    }
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len, e);
    if (!rc) {
      rc = parse_into(c, text, len, e);
      free(text);
    }
    if (rc) {
      smconf_free(c);
      return rc;
    }
  }
  *out = c;
  return 0;
}

/* join(dir, name) with os.path.join's rule that an absolute name wins, and
 * "~/" expanded in dir. New string or NULL (out of memory). */
static char *join_path(const char *dir, const char *name) {
  if (name[0] == '/') return strdup(name);
  const char *home = getenv("HOME");
  const char *pre = "";
  if (dir[0] == '~' && (dir[1] == '/' || dir[1] == '\0') && home) {
    pre = home;
    dir++;
  }
  size_t dl = strlen(dir);
  int slash = (dl > 0 && dir[dl - 1] == '/') ||
              (dl == 0 && pre[0] && pre[strlen(pre) - 1] == '/');
  size_t n = strlen(pre) + dl + 1 + strlen(name) + 1;
  char *p = malloc(n);
  if (!p) return NULL;
  snprintf(p, n, "%s%s%s%s", pre, dir, slash ? "" : "/", name);
  return p;
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* 1 if path exists (as anything: a directory or unreadable file is then an
 * error at load time, not a silent fallback). */
static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

char *smconf_find(int *out_rc) {
  *out_rc = 0;
  const char *file = env("SPARKMAGIC_CONF_FILE");
  const char *dir = env("SPARKMAGIC_CONF_DIR");
  const char *home = env("HOME");
  char *cand[3] = {NULL, NULL, NULL};
  int n = 0, oom = 0;
  if (file) {
    cand[n] = join_path(dir ? dir : "~/.sparkmagic", file);
    oom |= !cand[n++];
  }
  if (dir) {
    cand[n] = join_path(dir, "config.json");
    oom |= !cand[n++];
  }
  if (home) {
    cand[n] = join_path(home, ".sparkmagic/config.json");
    oom |= !cand[n++];
  }
  char *found = NULL;
  for (int i = 0; i < n && !oom; i++)
    if (!found && cand[i] && exists(cand[i])) {
      found = cand[i];
      cand[i] = NULL;
    }
  for (int i = 0; i < n; i++) free(cand[i]);
  if (oom) {
    free(found);
    *out_rc = ERR_NOMEM;
    return NULL;
  }
  return found;
}

int smconf_load(struct smconf **out, struct err *e) {
  int rc;
  char *path = smconf_find(&rc);
  if (rc) {
    *out = NULL;
    return nomem(e);
  }
  rc = smconf_load_file(path, out, e);
  free(path);
  return rc;
}

const char *smconf_path(const struct smconf *c) { return c->path; }

json_t *smconf_get(const struct smconf *c, const char *key) {
  json_t *v = json_object_get(c->overrides, key);
  if (v) return v;
  if (c->file && (v = json_object_get(c->file, key)) != NULL) return v;
  if (strcmp(key, "kernel_python3_credentials") == 0)
    return smconf_get(c, "kernel_python_credentials");
  return json_object_get(c->defaults, key);
}

int smconf_is_set(const struct smconf *c, const char *key) {
  return json_object_get(c->overrides, key) != NULL ||
         (c->file && json_object_get(c->file, key) != NULL);
}

/* The value of key if it has the kind of its default, else the default. */
static json_t *typed(const struct smconf *c, const char *key) {
  json_t *v = smconf_get(c, key);
  json_t *def = json_object_get(c->defaults, key);
  if (v && (!def || same_kind(v, def))) return v;
  return def;
}

long smconf_int(const struct smconf *c, const char *key) {
  json_t *v = typed(c, key);
  if (json_is_integer(v)) return (long)json_integer_value(v);
  if (json_is_real(v)) return (long)json_real_value(v);
  return 0;
}

double smconf_double(const struct smconf *c, const char *key) {
  json_t *v = typed(c, key);
  return json_is_number(v) ? json_number_value(v) : 0.0;
}

int smconf_bool(const struct smconf *c, const char *key) {
  json_t *v = typed(c, key);
  return json_is_true(v);
}

const char *smconf_str(const struct smconf *c, const char *key) {
  json_t *v = typed(c, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

size_t smconf_nwarnings(const struct smconf *c) { return c->nwarnings; }

const char *smconf_warning(const struct smconf *c, size_t i) {
  return i < c->nwarnings ? c->warnings[i] : NULL;
}

int smconf_override(struct smconf *c, const char *key, json_t *value) {
  if (!key || !value) {
    json_decref(value);
    return ERR_INVAL;
  }
  return json_object_set_new(c->overrides, key, value) ? ERR_NOMEM : 0;
}

int smconf_set_session_configs(struct smconf *c, json_t *configs) {
  if (!json_is_object(configs)) {
    json_decref(configs);
    return ERR_INVAL;
  }
  return smconf_override(c, "session_configs", configs);
}

/* ---------------------------------------------------------------------- */
/* Credentials                                                            */

static int b64val(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}

/* Decode standard base64 (whitespace ignored, padding optional). Returns a
 * new NUL-terminated string, or NULL with *bad set when the input is not
 * base64 or the result is not UTF-8 text (Python's .decode()). */
static char *b64decode(const char *s, int *bad) {
  *bad = 0;
  size_t n = strlen(s);
  char *out = malloc(n / 4 * 3 + 4);
  if (!out) return NULL;
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0, pad = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    if (ch == '=') {
      pad++;
      continue;
    }
    int v = b64val(ch);
    if (v < 0 || pad) goto invalid;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (char)((acc >> bits) & 0xFF);
    }
  }
  /* A lone 6-bit group or too much padding cannot be valid. */
  if (bits == 6 || pad > 2) goto invalid;
  if (!utf8_valid(out, o)) goto invalid;
  out[o] = '\0';
  return out;
invalid:
  explicit_bzero(out, n / 4 * 3 + 4);
  free(out);
  *bad = 1;
  return NULL;
}

void smconf_cred_fini(struct smconf_cred *cr) {
  if (!cr) return;
  if (cr->password) explicit_bzero(cr->password, strlen(cr->password));
  free(cr->url);
  free(cr->username);
  free(cr->password);
  free(cr->auth);
  memset(cr, 0, sizeof *cr);
}

/* String field of a credentials object: NULL when missing or null; ERR_INVAL
 * when it has another type. */
static int cred_field(const json_t *obj, const char *key, const char *field,
                      const char **out, struct err *e) {
  json_t *v = json_object_get(obj, field);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v))
    return fail(e, ERR_INVAL, 0, 0, "%s: '%s' must be a string", key,
                field);
  *out = json_string_value(v);
  return 0;
}

int smconf_credentials(const struct smconf *c, enum magic_lang lang,
                       struct smconf_cred *out, struct err *e) {
  memset(out, 0, sizeof *out);
  const char *key = lang == MAGIC_LANG_SCALA ? "kernel_scala_credentials"
                                             : "kernel_python_credentials";
  json_t *over = json_object_get(c->overrides, key);
  json_t *cr = over ? over : (c->file ? json_object_get(c->file, key) : NULL);
  const char *env_url = over ? NULL : env("KINDLING_LIVY_URL");
  if (!cr && !env_url) {
    char msg[ERR_MSG_MAX];
    snprintf(msg, sizeof msg,
             "no Livy endpoint configured: no %s in %s and no "
             "KINDLING_LIVY_URL",
             key, c->path ? c->path : "a config file");
    err_set(e, ERR_NOTFOUND, "%s", msg);
    return ERR_NOTFOUND;
  }
  if (cr && !json_is_object(cr))
    return fail(e, ERR_INVAL, 0, 0, "%s must be a JSON object%s", key,
                "");

  const char *user = NULL, *pw = NULL, *b64 = NULL, *url = NULL, *auth = NULL;
  int rc = 0;
  if (cr) {
    rc = cred_field(cr, key, "username", &user, e);
    if (!rc) rc = cred_field(cr, key, "password", &pw, e);
    if (!rc) rc = cred_field(cr, key, "base64_password", &b64, e);
    if (!rc) rc = cred_field(cr, key, "url", &url, e);
    if (!rc) rc = cred_field(cr, key, "auth", &auth, e);
    if (rc) return rc;
  }
  if (env_url) url = env_url;
  if (!url || !*url) {
    err_set(e, ERR_NOTFOUND, "no Livy endpoint configured: %s has no url", key);
    return ERR_NOTFOUND;
  }

  char *password = NULL;
  if (b64) {
    int bad;
    password = b64decode(b64, &bad);
    if (!password) {
      if (!bad) return nomem(e);
      return fail(e, ERR_INVAL, 0, 0,
                  "base64_password for %s contains invalid base64 "
                       "string%s",
                  key, "");
    }
  } else {
    password = strdup(pw ? pw : "");
    if (!password) return nomem(e);
  }
  out->password = password;
  out->url = strdup(url);
  out->username = strdup(user ? user : "");
  if (!auth) auth = (out->username && !*out->username && !*password)
                        ? "None"
                        : "Basic_Access";
  out->auth = strdup(auth);
  if (!out->url || !out->username || !out->auth) {
    smconf_cred_fini(out);
    return nomem(e);
  }
  json_t *auths = smconf_get(c, "authenticators");
  if (json_is_object(auths) && !json_object_get(auths, auth)) {
    struct buf names;
    buf_init(&names, 400);
    const char *k;
    json_t *v;
    json_object_foreach(auths, k, v) {
      if (names.len && buf_puts(&names, ", ")) break;
      if (buf_puts(&names, k)) break;
    }
    char a[64];
    snprintf(a, sizeof a, "%s", auth);
    char msg[ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s: auth '%s' is not one of authenticators (%s)",
             key, a, names.data ? names.data : "");
    buf_fini(&names);
    smconf_cred_fini(out);
    return fail(e, ERR_INVAL, 0, 0, "%s%s", msg, "");
  }
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Session body                                                           */

/* Merge src into dst (both objects): objects merge recursively, anything
 * else is replaced by a deep copy. */
static int deep_merge(json_t *dst, json_t *src) {
  const char *key;
  json_t *v;
  json_object_foreach(src, key, v) {
    json_t *d = json_object_get(dst, key);
    if (json_is_object(d) && json_is_object(v)) {
      if (deep_merge(d, v)) return ERR_NOMEM;
      continue;
    }
    json_t *copy = json_deep_copy(v);
    if (!copy || json_object_set_new(dst, key, copy)) return ERR_NOMEM;
  }
  return 0;
}

json_t *smconf_session_body(const struct smconf *c, const char *kind) {
  json_t *defs = smconf_get(c, "session_configs_defaults");
  json_t *conf = smconf_get(c, "session_configs");
  json_t *body = json_is_object(defs) ? json_deep_copy(defs) : json_object();
  if (!body) return NULL;
  if (json_is_object(conf) && deep_merge(body, conf)) {
    json_decref(body);
    return NULL;
  }
  if (kind && json_object_set_new(body, "kind", json_string(kind))) {
    json_decref(body);
    return NULL;
  }
  return body;
}

int smconf_parse_session_configs(const char *body, int body_line, json_t **out,
                                 struct err *e) {
  *out = NULL;
  json_error_t je;
  json_t *j = json_loads(body ? body : "", 0, &je);
  if (!j) {
    strip_near(je.text);
    int line = body_line > 0 ? body_line + je.line - 1 : je.line;
    err_set_at(e, ERR_PARSE, line, je.column,
               "Could not parse JSON object from input: %s", je.text);
    err_set_ename(e, "UsageError");
    return ERR_PARSE;
  }
  if (!json_is_object(j)) {
    const char *t = type_name(j);
    json_decref(j);
    err_set_at(e, ERR_PARSE, body_line > 0 ? body_line : 1, 1,
               "Could not parse JSON object from input: expected a JSON "
               "object, got %s",
               t);
    err_set_ename(e, "UsageError");
    return ERR_PARSE;
  }
  *out = j;
  return 0;
}

int smconf_apply_defaults(const struct smconf *c, struct magic_cell *cell,
                          struct err *e) {
  const struct magic_cmd *cmd = cell->cmd;
  for (size_t i = 0; cmd && i < cmd->nopts; i++) {
    const struct magic_option *o = &cmd->opts[i];
    if (!o->conf_key || !smconf_is_set(c, o->conf_key)) continue;
    json_t *v = smconf_get(c, o->conf_key);
    char tmp[64];
    const char *s = NULL;
    if (json_is_string(v)) s = json_string_value(v);
    else if (json_is_integer(v))
      snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v)),
          s = tmp;
    else if (json_is_real(v))
      snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v)), s = tmp;
    else if (json_is_boolean(v))
      s = json_is_true(v) ? "true" : "false";
    if (!s) {
      return fail(e, ERR_INVAL, 0, 0, "%s in %s has the wrong type",
                  o->conf_key, c->path ? c->path : "the configuration");
    }
    int rc = magic_cell_set_default(cell, o->long_name, s, e);
    if (rc == ERR_INVAL && e) {
      char msg[ERR_MSG_MAX];
      snprintf(msg, sizeof msg, "%.700s (the default comes from %s in %s)",
               e->msg, o->conf_key, c->path ? c->path : "the configuration");
      return fail(e, ERR_INVAL, 0, 0, "%s%s", msg, "");
    }
    if (rc) return rc;
  }
  return 0;
}
