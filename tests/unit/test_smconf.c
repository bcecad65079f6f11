/* test_smconf.c: sparkmagic config.json loading (magics/smconf.c).
 *
 * Every case runs against files written under a mkdtemp directory, with HOME,
 * SPARKMAGIC_CONF_DIR, SPARKMAGIC_CONF_FILE and KINDLING_LIVY_URL set per
 * case with setenv, so the user's real ~/.sparkmagic is never read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "magics/magic.h"
#include "magics/smconf.h"
#include "common/fs.h"
#include "tests/tap.h"

static char root[256];

static void path_of(char *out, size_t n, const char *rel) {
  snprintf(out, n, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *text) {
  char p[512];
  path_of(p, sizeof p, rel);
  FILE *f = fopen(p, "w");
  if (!f) {
    perror(p);
    exit(99);
  }
  fputs(text, f);
  fclose(f);
}

static void mkdir_rel(const char *rel) {
  char p[512];
  path_of(p, sizeof p, rel);
  mkdir(p, 0700);
}

static void rm_rf(const char *dir) {
  if (fs_rmtree(dir) != 0) fprintf(stderr, "# could not remove %s\n", dir);
}

/* Environment for one case: NULL unsets. Paths are relative to root. */
static void env(const char *home, const char *dir, const char *file,
                const char *livy_url) {
  char p[512];
  unsetenv("HOME");
  unsetenv("SPARKMAGIC_CONF_DIR");
  unsetenv("SPARKMAGIC_CONF_FILE");
  unsetenv("KINDLING_LIVY_URL");
  if (home) {
    path_of(p, sizeof p, home);
    setenv("HOME", p, 1);
  }
  if (dir) {
    if (dir[0] == '~' || dir[0] == '/')
      setenv("SPARKMAGIC_CONF_DIR", dir, 1);
    else {
      path_of(p, sizeof p, dir);
      setenv("SPARKMAGIC_CONF_DIR", p, 1);
    }
  }
  if (file) {
    if (file[0] == '@') { /* absolute under root */
      path_of(p, sizeof p, file + 1);
      setenv("SPARKMAGIC_CONF_FILE", p, 1);
    } else {
      setenv("SPARKMAGIC_CONF_FILE", file, 1);
    }
  }
  if (livy_url) setenv("KINDLING_LIVY_URL", livy_url, 1);
}

static struct smconf *load(struct err *e) {
  struct smconf *c = NULL;
  err_clear(e);
  int rc = smconf_load(&c, e);
  if (rc) {
    printf("# load failed: %s\n", e->msg);
    return NULL;
  }
  return c;
}

static int ends_with(const char *s, const char *suffix) {
  if (!s) return 0;
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---------------------------------------------------------------------- */

static void test_defaults(void) {
  struct err e;
  env("nohome", NULL, NULL, NULL);
  struct smconf *c = load(&e);
  TAP_OK(c != NULL, "defaults load without any file");
  if (!c) return;
  TAP_OK(smconf_path(c) == NULL, "no file path");
  TAP_EQ_INT(smconf_int(c, "default_maxrows"), 2500, "default_maxrows");
  TAP_EQ_STR(smconf_str(c, "default_samplemethod"), "take",
             "default_samplemethod");
  TAP_OK(smconf_double(c, "default_samplefraction") == 0.1,
         "default_samplefraction");
  TAP_EQ_INT(smconf_bool(c, "coerce_dataframe"), 1, "coerce_dataframe");
  TAP_EQ_INT(smconf_bool(c, "use_auto_viz"), 1, "use_auto_viz");
  TAP_EQ_INT(smconf_bool(c, "ignore_ssl_errors"), 0, "ignore_ssl_errors");
  TAP_EQ_INT(smconf_int(c, "wait_for_idle_timeout_seconds"), 15,
             "wait_for_idle_timeout_seconds");
  TAP_EQ_INT(smconf_int(c, "livy_session_startup_timeout_seconds"), 60,
             "livy_session_startup_timeout_seconds");
  TAP_EQ_INT(smconf_int(c, "heartbeat_refresh_seconds"), 30,
             "heartbeat_refresh_seconds");
  TAP_EQ_INT(smconf_int(c, "heartbeat_retry_seconds"), 10,
             "heartbeat_retry_seconds");
  TAP_EQ_INT(smconf_int(c, "livy_server_heartbeat_timeout_seconds"), 60,
             "livy_server_heartbeat_timeout_seconds");
  TAP_EQ_STR(smconf_str(c, "retry_policy"), "configurable", "retry_policy");
  TAP_EQ_INT(smconf_int(c, "configurable_retry_policy_max_retries"), 8,
             "configurable_retry_policy_max_retries");
  json_t *l = smconf_get(c, "retry_seconds_to_sleep_list");
  TAP_OK(json_is_array(l) && json_array_size(l) == 5 &&
             json_number_value(json_array_get(l, 0)) == 0.2 &&
             json_number_value(json_array_get(l, 4)) == 5,
         "retry_seconds_to_sleep_list");
  TAP_EQ_INT(smconf_bool(c, "shutdown_session_on_spark_statement_errors"), 0,
             "shutdown_session_on_spark_statement_errors");
  TAP_EQ_INT(smconf_bool(c, "all_errors_are_fatal"), 0, "all_errors_are_fatal");
  TAP_EQ_INT(smconf_bool(c, "cleanup_all_sessions_on_exit"), 0,
             "cleanup_all_sessions_on_exit");
  TAP_EQ_STR(smconf_str(c, "server_extension_default_kernel_name"),
             "pysparkkernel", "server_extension_default_kernel_name");
  TAP_EQ_STR(smconf_str(c, "resource_limit_mitigation_suggestion"), "",
             "resource_limit_mitigation_suggestion");
  TAP_OK(strstr(smconf_str(c, "fatal_error_suggestion"),
                "The code failed because of a fatal error:\n\t{}.") &&
             ends_with(smconf_str(c, "fatal_error_suggestion"),
                       "c) Restart the kernel."),
         "fatal_error_suggestion");
  TAP_EQ_STR(smconf_str(c, "pyspark_dataframe_encoding"), "utf-8",
             "pyspark_dataframe_encoding");
  TAP_EQ_INT(smconf_int(c, "max_results_sql"), 2500, "max_results_sql");
  TAP_EQ_STR(smconf_str(c, "events_handler_class"),
             "hdijupyterutils.eventshandler.EventsHandler",
             "events_handler_class");
  TAP_OK(json_is_object(smconf_get(c, "custom_headers")) &&
             json_object_size(smconf_get(c, "custom_headers")) == 0,
         "custom_headers {}");
  TAP_OK(json_is_array(json_object_get(smconf_get(c, "http_session_config"),
                                       "adapters")),
         "http_session_config adapters");
  TAP_OK(json_object_size(smconf_get(c, "session_configs")) == 0,
         "session_configs {}");
  TAP_OK(json_object_size(smconf_get(c, "session_configs_defaults")) == 0,
         "session_configs_defaults {}");
  json_t *auths = smconf_get(c, "authenticators");
  TAP_OK(json_object_get(auths, "Kerberos") && json_object_get(auths, "None") &&
             json_object_get(auths, "Basic_Access"),
         "authenticators");
  TAP_EQ_INT(json_integer_value(json_object_get(
                 smconf_get(c, "kerberos_auth_configuration"),
                 "mutual_authentication")),
             1, "kerberos mutual_authentication REQUIRED");
  TAP_OK(json_is_object(json_object_get(smconf_get(c, "logging_config"),
                                        "handlers")),
         "logging_config");
  json_t *py = smconf_get(c, "kernel_python_credentials");
  TAP_EQ_STR(json_string_value(json_object_get(py, "url")),
             "http://localhost:8998", "default python url");
  TAP_EQ_STR(json_string_value(json_object_get(py, "auth")), "None",
             "default python auth");
  TAP_OK(smconf_get(c, "kernel_python3_credentials") == py,
         "python3 credentials alias python");
  TAP_OK(smconf_get(c, "kernel_scala_credentials") != NULL, "scala default");
  TAP_OK(smconf_get(c, "kernel_r_credentials") != NULL, "r default");
  TAP_OK(smconf_get(c, "no_such_key") == NULL, "unknown key");
  TAP_EQ_INT(smconf_int(c, "no_such_key"), 0, "unknown int key");
  TAP_OK(smconf_str(c, "no_such_key") == NULL, "unknown str key");
  TAP_EQ_INT(smconf_is_set(c, "default_maxrows"), 0, "defaults are not set");
  TAP_EQ_INT(smconf_nwarnings(c), 0, "no warnings");

  /* Defaults alone: no endpoint. */
  struct smconf_cred cr;
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), ERR_NOTFOUND,
             "no endpoint without file or env");
  TAP_OK(strstr(e.msg, "KINDLING_LIVY_URL") != NULL, "message names the env");
  smconf_cred_fini(&cr);
  smconf_free(c);

  /* KINDLING_LIVY_URL alone is an endpoint. */
  env("nohome", NULL, NULL, "http://envlivy:8998");
  c = load(&e);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
             "env url is an endpoint");
  TAP_EQ_STR(cr.url, "http://envlivy:8998", "env url");
  TAP_EQ_STR(cr.username, "", "env user");
  TAP_EQ_STR(cr.password, "", "env password");
  TAP_EQ_STR(cr.auth, "None", "env auth");
  smconf_cred_fini(&cr);
  smconf_free(c);

  TAP_EQ_INT(smconf_load_file(NULL, &c, &e), 0, "load_file(NULL)");
  TAP_OK(c && smconf_path(c) == NULL, "defaults object");
  smconf_free(c);
  smconf_free(NULL);
  smconf_cred_fini(NULL);
}

static void test_precedence(void) {
  struct err e;
  mkdir_rel("home");
  mkdir_rel("home/.sparkmagic");
  mkdir_rel("confdir");
  mkdir_rel("emptydir");
  mkdir_rel("other");
  write_file("home/.sparkmagic/config.json", "{\"default_maxrows\": 1}");
  write_file("confdir/config.json", "{\"default_maxrows\": 2}");
  write_file("abs.json", "{\"default_maxrows\": 3}");
  write_file("confdir/named.json", "{\"default_maxrows\": 4}");
  write_file("home/.sparkmagic/named.json", "{\"default_maxrows\": 5}");

  static const struct {
    const char *name;
    const char *home, *dir, *file;
    long want;
    const char *suffix;
  } cases[] = {
    {"HOME only", "home", NULL, NULL, 1, "home/.sparkmagic/config.json"},
    {"CONF_DIR beats HOME", "home", "confdir", NULL, 2, "confdir/config.json"},
    {"absolute CONF_FILE beats CONF_DIR", "home", "confdir", "@abs.json", 3,
     "/abs.json"},
    {"relative CONF_FILE joins CONF_DIR", "home", "confdir", "named.json", 4,
     "confdir/named.json"},
    {"relative CONF_FILE joins ~/.sparkmagic", "home", NULL, "named.json", 5,
     "home/.sparkmagic/named.json"},
    {"missing CONF_FILE falls back to CONF_DIR", "home", "confdir",
     "missing.json", 2, "confdir/config.json"},
    {"missing CONF_DIR falls back to HOME", "home", "emptydir", NULL, 1,
     "home/.sparkmagic/config.json"},
    {"tilde in CONF_DIR", "home", "~/.sparkmagic", "named.json", 5,
     "home/.sparkmagic/named.json"},
    {"nothing exists", "other", "emptydir", "missing.json", 2500, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    env(cases[i].home, cases[i].dir, cases[i].file, NULL);
    struct smconf *c = load(&e);
    TAP_OK(c != NULL, "%s: loads", cases[i].name);
    if (!c) continue;
    TAP_EQ_INT(smconf_int(c, "default_maxrows"), cases[i].want, cases[i].name);
    if (cases[i].suffix)
      TAP_OK(ends_with(smconf_path(c), cases[i].suffix), "%s: path %s",
             cases[i].name, smconf_path(c) ? smconf_path(c) : "(null)");
    else
      TAP_OK(smconf_path(c) == NULL, "%s: no path", cases[i].name);
    TAP_EQ_INT(smconf_is_set(c, "default_maxrows"), cases[i].suffix != NULL,
               "is_set");
    smconf_free(c);
  }

  /* Empty variables count as unset. */
  env("home", NULL, NULL, NULL);
  setenv("SPARKMAGIC_CONF_DIR", "", 1);
  setenv("SPARKMAGIC_CONF_FILE", "", 1);
  struct smconf *c = load(&e);
  TAP_EQ_INT(c ? smconf_int(c, "default_maxrows") : -1, 1,
             "empty env vars are ignored");
  smconf_free(c);

  /* smconf_find agrees. */
  env("home", "confdir", NULL, NULL);
  int rc;
  char *p = smconf_find(&rc);
  TAP_OK(rc == 0 && ends_with(p, "confdir/config.json"), "smconf_find");
  free(p);

  /* A directory where the file should be is an error, not a fallback. */
  mkdir_rel("dirconf");
  mkdir_rel("dirconf/config.json");
  env("home", "dirconf", NULL, NULL);
  c = NULL;
  TAP_EQ_INT(smconf_load(&c, &e), ERR_IO, "directory as config is an error");
  TAP_OK(c == NULL && strstr(e.msg, "dirconf/config.json") != NULL,
         "error names the path: %s", e.msg);
}

static void test_files(void) {
  struct err e;
  struct smconf *c;
  char p[512];

  /* Wholesale replacement: no merge with the default object. */
  write_file("whole.json",
             "{\"kernel_python_credentials\": {\"url\": \"http://h:1\"},\n"
             " \"custom_headers\": {\"X-Requested-By\": \"kindling\"},\n"
             " \"my_key\": [1, 2]}");
  env("nohome", NULL, "@whole.json", NULL);
  c = load(&e);
  TAP_OK(c != NULL, "whole.json loads");
  json_t *py = smconf_get(c, "kernel_python_credentials");
  TAP_OK(json_object_get(py, "username") == NULL &&
             json_object_get(py, "auth") == NULL,
         "credentials replaced wholesale");
  TAP_OK(smconf_get(c, "kernel_python3_credentials") == py,
         "python3 alias follows the file");
  TAP_EQ_STR(json_string_value(json_object_get(
                 smconf_get(c, "custom_headers"), "X-Requested-By")),
             "kindling", "custom_headers from file");
  TAP_OK(json_is_array(smconf_get(c, "my_key")), "unknown keys kept");
  struct smconf_cred cr;
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
             "credentials from file");
  TAP_EQ_STR(cr.url, "http://h:1", "url");
  TAP_EQ_STR(cr.username, "", "missing username is empty");
  TAP_EQ_STR(cr.password, "", "missing password is empty");
  TAP_EQ_STR(cr.auth, "None", "auth derived: None");
  smconf_cred_fini(&cr);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_SQL, &cr, &e), 0,
             "SQL flavour uses the python credentials");
  TAP_EQ_STR(cr.url, "http://h:1", "sql url");
  smconf_cred_fini(&cr);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_SCALA, &cr, &e), ERR_NOTFOUND,
             "no scala credentials in the file");
  smconf_free(c);

  /* KINDLING_LIVY_URL replaces the file's url, keeps the rest. */
  write_file("creds.json",
             "{\"kernel_python_credentials\": {\"username\": \"u\", "
             "\"password\": \"plain\", \"base64_password\": "
             "\"cGFzc3dvcmQ=\", \"url\": \"http://file:8998\"},\n"
             " \"kernel_scala_credentials\": {\"username\": \"\", "
             "\"password\": \"pw\", \"url\": \"http://scala:8998\"}}");
  env("nohome", NULL, "@creds.json", "http://env:8998");
  c = load(&e);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
             "credentials with env url");
  TAP_EQ_STR(cr.url, "http://env:8998", "env url wins");
  TAP_EQ_STR(cr.username, "u", "username kept");
  TAP_EQ_STR(cr.password, "password", "base64_password wins over password");
  TAP_EQ_STR(cr.auth, "Basic_Access", "auth derived: Basic_Access");
  smconf_cred_fini(&cr);
  TAP_OK(cr.url == NULL && cr.password == NULL, "cred_fini clears");
  smconf_free(c);
  env("nohome", NULL, "@creds.json", NULL);
  c = load(&e);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_SCALA, &cr, &e), 0,
             "scala credentials");
  TAP_EQ_STR(cr.url, "http://scala:8998", "scala url");
  TAP_EQ_STR(cr.password, "pw", "password without base64_password");
  TAP_EQ_STR(cr.auth, "Basic_Access", "password alone -> Basic_Access");
  smconf_cred_fini(&cr);

  /* An override (change_endpoint) is used as is; env does not touch it. */
  setenv("KINDLING_LIVY_URL", "http://env:8998", 1);
  json_t *ov = json_pack("{s:s, s:s, s:s, s:s}", "url", "http://new:8998",
                         "username", "x", "password", "y", "auth", "Kerberos");
  TAP_EQ_INT(smconf_override(c, "kernel_python_credentials", ov), 0,
             "override credentials");
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
             "credentials from override");
  TAP_EQ_STR(cr.url, "http://new:8998", "override url beats env");
  TAP_EQ_STR(cr.auth, "Kerberos", "explicit auth kept");
  smconf_cred_fini(&cr);
  TAP_EQ_INT(smconf_override(c, NULL, json_integer(1)), ERR_INVAL,
             "override needs a key");
  TAP_EQ_INT(smconf_override(c, "default_maxrows", json_integer(7)), 0,
             "override a scalar");
  TAP_EQ_INT(smconf_int(c, "default_maxrows"), 7, "override wins");
  TAP_EQ_INT(smconf_is_set(c, "default_maxrows"), 1, "override is set");
  smconf_free(c);

  /* Credential errors never show the password. */
  static const struct {
    const char *json;
    int rc;
    const char *want;
  } bad[] = {
    {"{\"kernel_python_credentials\": {\"url\": \"http://h\", "
     "\"base64_password\": \"!!s3cr3t!!\"}}",
     ERR_INVAL, "base64_password for kernel_python_credentials contains "
                "invalid base64 string"},
    {"{\"kernel_python_credentials\": {\"url\": \"http://h\", "
     "\"base64_password\": \"czNjcjN0\\u00ff\"}}",
     ERR_INVAL, "invalid base64"},
    {"{\"kernel_python_credentials\": {\"url\": \"http://h\", "
     "\"base64_password\": \"/w==\"}}",
     ERR_INVAL, "invalid base64"},
    {"{\"kernel_python_credentials\": {\"url\": \"http://h\", "
     "\"password\": \"s3cr3t\", \"auth\": \"Bogus\"}}",
     ERR_INVAL, "auth 'Bogus' is not one of authenticators (Kerberos, None, "
                "Basic_Access)"},
    {"{\"kernel_python_credentials\": {\"url\": \"http://h\", "
     "\"password\": 5}}",
     ERR_INVAL, "kernel_python_credentials: 'password' must be a string"},
    {"{\"kernel_python_credentials\": \"http://h\"}", ERR_INVAL,
     "kernel_python_credentials must be a JSON object"},
    {"{\"kernel_python_credentials\": {\"url\": \"\", \"password\": "
     "\"s3cr3t\"}}",
     ERR_NOTFOUND, "has no url"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    write_file("bad.json", bad[i].json);
    env("nohome", NULL, "@bad.json", NULL);
    c = load(&e);
    TAP_OK(c != NULL, "bad credentials %zu load", i);
    if (!c) continue;
    err_clear(&e);
    TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), bad[i].rc,
               "bad credentials rc");
    TAP_OK(strstr(e.msg, bad[i].want) != NULL, "message: %s", e.msg);
    TAP_OK(strstr(e.msg, "s3cr3t") == NULL, "no password in the message");
    TAP_OK(cr.url == NULL && cr.password == NULL, "nothing returned");
    smconf_free(c);
  }

  /* Base64 details: whitespace and missing padding are accepted, an empty
   * base64_password is an empty password (sparkmagic: present wins). */
  static const struct {
    const char *b64, *want;
  } b64s[] = {
    {"cGFzc3dvcmQ=", "password"},
    {"cGFzc3dvcmQ", "password"},
    {"cGFz\nc3dv cmQ=", "password"},
    {"", ""},
    {"w6k=", "\xc3\xa9"},
  };
  for (size_t i = 0; i < sizeof b64s / sizeof *b64s; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "{\"kernel_python_credentials\": {\"url\": \"http://h\", "
             "\"username\": \"u\", \"password\": \"other\", "
             "\"base64_password\": \"%s\"}}",
             b64s[i].b64[0] == 'c' && strchr(b64s[i].b64, '\n')
                 ? "cGFz\\nc3dv cmQ="
                 : b64s[i].b64);
    write_file("b64.json", text);
    env("nohome", NULL, "@b64.json", NULL);
    c = load(&e);
    TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
               "base64 case");
    TAP_EQ_STR(cr.password, b64s[i].want, "decoded password");
    smconf_cred_fini(&cr);
    smconf_free(c);
  }

  /* Custom authenticators. */
  write_file("custom.json",
             "{\"authenticators\": {\"Sagemaker_EMR_Serverless_Auth\": "
             "\"x.Y\"}, \"kernel_python_credentials\": {\"url\": \"http://h\", "
             "\"auth\": \"Sagemaker_EMR_Serverless_Auth\"}}");
  env("nohome", NULL, "@custom.json", NULL);
  c = load(&e);
  TAP_EQ_INT(smconf_credentials(c, MAGIC_LANG_PYTHON, &cr, &e), 0,
             "custom authenticator accepted");
  TAP_EQ_STR(cr.auth, "Sagemaker_EMR_Serverless_Auth", "custom auth");
  smconf_cred_fini(&cr);
  smconf_free(c);

  /* Parse errors carry the path, line and column; no value excerpts. */
  write_file("syntax.json", "{\n  \"a\": 1,\n  \"b\": \n}\n");
  path_of(p, sizeof p, "syntax.json");
  c = NULL;
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_PARSE, "syntax error");
  TAP_OK(c == NULL, "no object on error");
  TAP_EQ_INT(e.line, 4, "syntax error line");
  TAP_EQ_INT(e.column, 1, "syntax error column");
  TAP_OK(strstr(e.msg, p) != NULL && strstr(e.msg, ":4:1: ") != NULL,
         "message has path:line:col: %s", e.msg);
  TAP_EQ_STR(e.ename, "BadUserConfigurationException", "config ename");

  write_file("leak.json",
             "{\"kernel_python_credentials\": {\"password\": \"s3cr3t");
  path_of(p, sizeof p, "leak.json");
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_PARSE, "unterminated string");
  TAP_OK(strstr(e.msg, "s3cr3t") == NULL, "no password excerpt: %s", e.msg);
  write_file("leak2.json", "{\"password\": s3cr3t}");
  path_of(p, sizeof p, "leak2.json");
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_PARSE, "bare word");
  TAP_OK(strstr(e.msg, "s3cr3t") == NULL, "no bare-word excerpt: %s", e.msg);
  TAP_EQ_INT(e.line, 1, "bare word line");
  TAP_EQ_INT(e.column, 14, "bare word column");

  write_file("multibyte.json", "{\"\xc3\xa9\xc3\xa9\": x}");
  path_of(p, sizeof p, "multibyte.json");
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_PARSE, "error after UTF-8");
  TAP_EQ_INT(e.column, 8, "column counts code points, not bytes");

  write_file("array.json", "[1, 2]");
  path_of(p, sizeof p, "array.json");
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_PARSE, "root array");
  TAP_OK(strstr(e.msg, "must be a JSON object") != NULL, "root message");

  path_of(p, sizeof p, "nonexistent.json");
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_NOTFOUND,
             "load_file of a missing file");

  /* An empty file means no overrides (sparkmagic). */
  write_file("empty.json", "  \n\t\n");
  env("nohome", NULL, "@empty.json", NULL);
  c = load(&e);
  TAP_OK(c && ends_with(smconf_path(c), "empty.json"), "empty file loads");
  TAP_EQ_INT(c ? smconf_int(c, "default_maxrows") : 0, 2500,
             "empty file -> defaults");
  smconf_free(c);

  /* Wrong types: kept for smconf_get, typed getters use the default. */
  write_file("types.json",
             "{\"default_maxrows\": \"many\", \"ignore_ssl_errors\": true,\n"
             " \"default_samplefraction\": 1,"
             " \"wait_for_idle_timeout_seconds\": 2.9,"
             " \"use_auto_viz\": \"no\"}");
  env("nohome", NULL, "@types.json", NULL);
  c = load(&e);
  TAP_EQ_INT(smconf_int(c, "default_maxrows"), 2500, "wrong type -> default");
  TAP_OK(json_is_string(smconf_get(c, "default_maxrows")),
         "smconf_get returns the file value");
  TAP_EQ_INT(smconf_bool(c, "ignore_ssl_errors"), 1, "bool from file");
  TAP_OK(smconf_double(c, "default_samplefraction") == 1.0,
         "integer read as double");
  TAP_EQ_INT(smconf_int(c, "wait_for_idle_timeout_seconds"), 2,
             "real read as int");
  TAP_EQ_INT(smconf_bool(c, "use_auto_viz"), 1, "string bool -> default");
  TAP_EQ_INT(smconf_nwarnings(c), 2, "two warnings");
  TAP_OK(smconf_warning(c, 0) &&
             strstr(smconf_warning(c, 0), "'default_maxrows' should be a "
                                          "number, not a string"),
         "warning text: %s", smconf_warning(c, 0));
  TAP_OK(smconf_warning(c, 2) == NULL, "warning past the end");
  smconf_free(c);

  /* Files larger than the cap are refused. */
  path_of(p, sizeof p, "huge.json");
  FILE *f = fopen(p, "w");
  if (f) {
    fputc('{', f);
    fseek(f, (long)SMCONF_MAX_FILE + 10, SEEK_SET);
    fputc('}', f);
    fclose(f);
  }
  TAP_EQ_INT(smconf_load_file(p, &c, &e), ERR_TOOBIG, "file over the cap");
  unlink(p);
}

static void test_session_body(void) {
  struct err e;
  write_file("merge.json",
             "{\"session_configs_defaults\": {\"conf\": {\"a\": \"1\", \"b\": "
             "\"2\", \"deep\": {\"x\": 1}}, \"driverMemory\": \"1g\", "
             "\"jars\": [\"x.jar\"]},\n"
             " \"session_configs\": {\"conf\": {\"b\": \"3\", \"c\": \"4\", "
             "\"deep\": {\"y\": 2}}, \"jars\": [\"y.jar\"], \"name\": \"n\"}}");
  env("nohome", NULL, "@merge.json", NULL);
  struct smconf *c = load(&e);
  json_t *b = smconf_session_body(c, "pyspark");
  json_t *want = json_loads(
      "{\"conf\": {\"a\": \"1\", \"b\": \"3\", \"c\": \"4\", \"deep\": "
      "{\"x\": 1, \"y\": 2}}, \"driverMemory\": \"1g\", \"jars\": "
      "[\"y.jar\"], \"name\": \"n\", \"kind\": \"pyspark\"}",
      0, NULL);
  TAP_OK(json_equal(b, want), "deep merge of configs over defaults");
  json_decref(b);
  json_decref(want);
  /* The merge does not change the stored objects. */
  json_t *defs = smconf_get(c, "session_configs_defaults");
  TAP_OK(json_object_get(json_object_get(defs, "conf"), "c") == NULL,
         "defaults untouched");

  /* %%configure replaces session_configs; defaults survive. */
  json_t *cfg = json_loads("{\"executorCores\": 4, \"conf\": {\"b\": \"9\"}}",
                           0, NULL);
  TAP_EQ_INT(smconf_set_session_configs(c, cfg), 0, "set session configs");
  b = smconf_session_body(c, NULL);
  want = json_loads(
      "{\"conf\": {\"a\": \"1\", \"b\": \"9\", \"deep\": {\"x\": 1}}, "
      "\"driverMemory\": \"1g\", \"jars\": [\"x.jar\"], \"executorCores\": 4}",
      0, NULL);
  TAP_OK(json_equal(b, want), "configure replaces, no merge with the file's");
  TAP_OK(json_object_get(b, "kind") == NULL, "no kind when NULL");
  json_decref(b);
  json_decref(want);
  TAP_EQ_INT(smconf_set_session_configs(c, json_array()), ERR_INVAL,
             "non-object configs rejected");
  TAP_EQ_INT(smconf_set_session_configs(c, NULL), ERR_INVAL, "NULL configs");
  smconf_free(c);

  env("nohome", NULL, NULL, NULL);
  c = load(&e);
  b = smconf_session_body(c, "spark");
  want = json_pack("{s:s}", "kind", "spark");
  TAP_OK(json_equal(b, want), "defaults: only the kind");
  json_decref(b);
  json_decref(want);
  smconf_free(c);
}

static void test_parse_session_configs(void) {
  struct err e;
  json_t *j;
  TAP_EQ_INT(smconf_parse_session_configs("{\"executorMemory\": \"4g\"}", 2,
                                          &j, &e),
             0, "configure body parses");
  TAP_EQ_STR(json_string_value(json_object_get(j, "executorMemory")), "4g",
             "configure value");
  json_decref(j);
  err_clear(&e);
  TAP_EQ_INT(smconf_parse_session_configs("{\n  \"a\": ,\n}", 2, &j, &e),
             ERR_PARSE, "configure syntax error");
  TAP_OK(j == NULL, "no object");
  TAP_OK(strncmp(e.msg, "Could not parse JSON object from input", 38) == 0,
         "sparkmagic wording: %s", e.msg);
  TAP_EQ_INT(e.line, 3, "line in the cell");
  TAP_EQ_INT(e.column, 8, "column in the cell");
  TAP_EQ_INT(smconf_parse_session_configs("[1]", 2, &j, &e), ERR_PARSE,
             "configure array");
  TAP_OK(strstr(e.msg, "expected a JSON object, got an array") != NULL,
         "array message");
  TAP_EQ_INT(smconf_parse_session_configs("", 2, &j, &e), ERR_PARSE,
             "configure empty");
  TAP_EQ_INT(smconf_parse_session_configs("{\"k\": \"s3cr3t", 2, &j, &e),
             ERR_PARSE, "configure unterminated");
  TAP_OK(strstr(e.msg, "s3cr3t") == NULL, "configure error has no excerpt");
}

static void test_apply_defaults(void) {
  struct err e;
  write_file("magicdefs.json",
             "{\"default_maxrows\": 10, \"default_samplemethod\": \"sample\", "
             "\"default_samplefraction\": 0.5, \"coerce_dataframe\": false}");
  env("nohome", NULL, "@magicdefs.json", NULL);
  struct smconf *c = load(&e);
  struct magic_cell *cell;
  TAP_EQ_INT(magic_parse("%%sql\nSELECT 1", MAGIC_LANG_PYTHON, &cell, &e), 0,
             "parse sql");
  TAP_EQ_INT(smconf_apply_defaults(c, cell, &e), 0, "apply defaults");
  TAP_EQ_STR(magic_opt(cell, "maxrows"), "10", "maxrows from config");
  TAP_EQ_STR(magic_opt(cell, "samplemethod"), "sample", "method from config");
  TAP_EQ_STR(magic_opt(cell, "samplefraction"), "0.5", "fraction from config");
  TAP_EQ_STR(magic_opt(cell, "coerce"), "false", "coerce from config");
  magic_cell_free(cell);
  TAP_EQ_INT(magic_parse("%%sql -n 3 -c true", MAGIC_LANG_PYTHON, &cell, &e), 0,
             "parse sql with flags");
  smconf_apply_defaults(c, cell, &e);
  TAP_EQ_STR(magic_opt(cell, "maxrows"), "3", "flag beats config");
  TAP_EQ_STR(magic_opt(cell, "coerce"), "true", "coerce flag beats config");
  magic_cell_free(cell);
  TAP_EQ_INT(magic_parse("%%send_to_spark -i v", MAGIC_LANG_PYTHON, &cell, &e),
             0, "parse send_to_spark");
  smconf_apply_defaults(c, cell, &e);
  TAP_EQ_STR(magic_opt(cell, "maxrows"), "10", "send_to_spark maxrows");
  magic_cell_free(cell);
  TAP_EQ_INT(magic_parse("x = 1", MAGIC_LANG_PYTHON, &cell, &e), 0,
             "plain code");
  smconf_apply_defaults(c, cell, &e);
  TAP_EQ_STR(magic_opt(cell, "maxrows"), "10", "implicit spark maxrows");
  magic_cell_free(cell);
  TAP_EQ_INT(magic_parse("%%info", MAGIC_LANG_PYTHON, &cell, &e), 0, "info");
  TAP_EQ_INT(smconf_apply_defaults(c, cell, &e), 0, "no options: no-op");
  magic_cell_free(cell);
  smconf_free(c);

  write_file("baddefs.json", "{\"default_samplemethod\": \"bogus\"}");
  env("nohome", NULL, "@baddefs.json", NULL);
  c = load(&e);
  magic_parse("%%sql", MAGIC_LANG_PYTHON, &cell, &e);
  TAP_EQ_INT(smconf_apply_defaults(c, cell, &e), ERR_INVAL,
             "bad config default");
  TAP_OK(strstr(e.msg, "samplemethod (-m) must be one of (take, sample)") &&
             strstr(e.msg, "default_samplemethod"),
         "message names the rule and the key: %s", e.msg);
  magic_cell_free(cell);
  smconf_free(c);

  write_file("baddefs2.json", "{\"default_maxrows\": [1]}");
  env("nohome", NULL, "@baddefs2.json", NULL);
  c = load(&e);
  magic_parse("%%sql", MAGIC_LANG_PYTHON, &cell, &e);
  TAP_EQ_INT(smconf_apply_defaults(c, cell, &e), ERR_INVAL,
             "wrongly typed config default");
  TAP_OK(strstr(e.msg, "default_maxrows") != NULL, "names the key");
  magic_cell_free(cell);
  smconf_free(c);
}

int main(void) {
  char tmpl[] = "/tmp/kindling-smconf-XXXXXX";
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    return 99;
  }
  snprintf(root, sizeof root, "%s", tmpl);
  test_defaults();
  test_precedence();
  test_files();
  test_session_body();
  test_parse_session_configs();
  test_apply_defaults();
  rm_rf(root);
  return tap_done();
}
