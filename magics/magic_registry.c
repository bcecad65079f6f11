/* magic_registry.c: the table of magics, and the usage, %%help and inspect
 * text generated from it (magics layer).
 *
 * Flags, defaults and wording follow sparkmagic 0.23 (kernelmagics.py for the
 * wrapper-kernel magics, remotesparkmagics.py for the %%spark subcommands);
 * see docs sparkmagic-compat.md sections 1.3 and 1.4. */
#include <string.h>

#include "magics/magic_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------- */
/* Option tables                                                          */

/* Flags shared by %%sql and %%spark for fetching a DataFrame. */
#define OPT_OUTPUT(help)                                                      \
  { 'o', "output", MAGIC_T_STR, "VAR", NULL, NULL, NULL, NULL, 0, help, NULL, \
    NULL }
#define OPT_QUIET                                                            \
  { 'q', "quiet", MAGIC_T_BOOL, NULL, NULL, NULL, NULL, NULL, 0,             \
    "do not display the result", NULL, NULL }
#define OPT_SAMPLEMETHOD                                                     \
  { 'm', "samplemethod", MAGIC_T_CHOICE, "METHOD", "take|sample", "take",    \
    "default_samplemethod", NULL, 0, "sample method: take or sample",        \
    "samplemethod (-m) must be one of (take, sample)", NULL }
#define OPT_MAXROWS                                                          \
  { 'n', "maxrows", MAGIC_T_INT, "MAXROWS", NULL, "2500", "default_maxrows", \
    NULL, 0, "rows to fetch; negative = unlimited",                          \
    "maxrows (-n) must be an integer", NULL }
#define OPT_SAMPLEFRACTION                                                   \
  { 'r', "samplefraction", MAGIC_T_FRACTION, "FRACTION", NULL, "0.1",        \
    "default_samplefraction", NULL, 0, "fraction for -m sample, 0.0 to 1.0", \
    "samplefraction (-r) must be a float between 0.0 and 1.0", NULL }
#define OPT_FORCE(help)                                                       \
  { 'f', "force", MAGIC_T_BOOL, NULL, NULL, NULL, NULL, NULL, 0, help, NULL, \
    NULL }
/* Endpoint credentials of the %%spark subcommands. */
#define OPT_URL(fl)                                                          \
  { 'u', "url", MAGIC_T_STR, "URL", NULL, NULL, NULL, NULL, fl,              \
    "Livy endpoint URL", NULL, NULL }
#define OPT_USER                                                             \
  { 'a', "user", MAGIC_T_STR, "USER", NULL, NULL, NULL, NULL, 0,             \
    "user name for the endpoint", NULL, NULL }
#define OPT_PASSWORD                                                         \
  { 'p', "password", MAGIC_T_STR, "PASSWORD", NULL, NULL, NULL, NULL,        \
    MAGIC_OPT_SECRET, "password for the endpoint", NULL, NULL }
#define OPT_AUTH                                                             \
  { 't', "auth", MAGIC_T_STR, "AUTH", NULL, NULL, NULL, NULL, 0,             \
    "None, Basic_Access, Kerberos (default from -a/-p)", NULL, NULL }

static const struct magic_option configure_opts[] = {
  OPT_FORCE("drop and recreate a running session"),
};

static const struct magic_option sql_opts[] = {
  OPT_OUTPUT("keep the result as the local DataFrame VAR"),
  OPT_QUIET,
  OPT_SAMPLEMETHOD,
  OPT_MAXROWS,
  OPT_SAMPLEFRACTION,
  { 'c', "coerce", MAGIC_T_TRUTH, "true|false", NULL, "true",
    "coerce_dataframe", NULL, 0, "infer column types of the result",
    "coerce (-c) must be true or false", NULL },
};

static const struct magic_option spark_opts[] = {
  OPT_OUTPUT("copy the Spark DataFrame VAR to a local one"),
  OPT_QUIET,
  OPT_SAMPLEMETHOD,
  OPT_MAXROWS,
  OPT_SAMPLEFRACTION,
  { 'c', "context", MAGIC_T_CHOICE, "spark|sql", "spark|sql", "spark", NULL,
    NULL, 0, "run as spark code or sql; other values: --coerce",
    "-c must be spark or sql (--context) or true or false (--coerce)",
    "coerce" },
  { 'e', "coerce", MAGIC_T_TRUTH, "true|false", NULL, "true",
    "coerce_dataframe", NULL, 0, "infer column types of the -o DataFrame",
    "coerce (-e) must be true or false", NULL },
  { 's', "session", MAGIC_T_STR, "NAME", NULL, NULL, NULL, NULL, 0,
    "session to run in (IPython-magics form)", NULL, NULL },
};

static const struct magic_option spark_add_opts[] = {
  { 's', "session", MAGIC_T_STR, "NAME", NULL, NULL, NULL, NULL,
    MAGIC_OPT_REQUIRED, "name of the new session", NULL, NULL },
  { 'l', "language", MAGIC_T_CHOICE, "LANG", "python|scala|r", NULL, NULL,
    NULL, MAGIC_OPT_REQUIRED, "python, scala or r",
    "language (-l) must be one of (python, scala, r)", NULL },
  OPT_URL(MAGIC_OPT_REQUIRED),
  OPT_AUTH,
  OPT_USER,
  OPT_PASSWORD,
  { 'k', "skip", MAGIC_T_BOOL, NULL, NULL, NULL, NULL, NULL, 0,
    "do nothing if the session already exists", NULL, NULL },
};

static const struct magic_option spark_info_opts[] = {
  OPT_URL(0),
  { 'i', "id", MAGIC_T_INT, "ID", NULL, NULL, NULL, NULL, 0,
    "session id at the endpoint", "id (-i) must be an integer", NULL },
  OPT_AUTH,
  OPT_USER,
  OPT_PASSWORD,
};

static const struct magic_option spark_delete_opts[] = {
  { 's', "session", MAGIC_T_STR, "NAME", NULL, NULL, NULL, NULL, 0,
    "name of the session to delete", NULL, NULL },
  OPT_URL(0),
  { 'i', "id", MAGIC_T_INT, "ID", NULL, NULL, NULL, NULL, 0,
    "session id at the endpoint (with -u)", "id (-i) must be an integer",
    NULL },
  OPT_AUTH,
  OPT_USER,
  OPT_PASSWORD,
};

static const struct magic_option spark_cleanup_opts[] = {
  OPT_URL(0),
  OPT_AUTH,
  OPT_USER,
  OPT_PASSWORD,
};

static const struct magic_option spark_logs_opts[] = {
  { 's', "session", MAGIC_T_STR, "NAME", NULL, NULL, NULL, NULL,
    MAGIC_OPT_REQUIRED, "session whose logs to show", NULL, NULL },
};

static const struct magic_option delete_opts[] = {
  { 'f', "force", MAGIC_T_BOOL, NULL, NULL, NULL, NULL, NULL,
    MAGIC_OPT_CHECKED, "you understand its statements are lost", NULL, NULL },
  { 's', "session", MAGIC_T_INT, "ID", NULL, NULL, NULL, NULL,
    MAGIC_OPT_CHECKED, "Livy id of the session to delete",
    "session (-s) must be an integer", NULL },
};

static const struct magic_option cleanup_opts[] = {
  { 'f', "force", MAGIC_T_BOOL, NULL, NULL, NULL, NULL, NULL,
    MAGIC_OPT_CHECKED, "you understand every session is deleted", NULL,
    NULL },
};

static const struct magic_option send_opts[] = {
  { 'i', "input", MAGIC_T_STR, "VAR", NULL, NULL, NULL, NULL,
    MAGIC_OPT_REQUIRED, "local variable to send", NULL, NULL },
  { 't', "vartype", MAGIC_T_CHOICE, "TYPE", "str|df", "str", NULL, NULL, 0,
    "str (a string) or df (a DataFrame)",
    "vartype (-t) must be one of (str, df)", NULL },
  { 'n', "varname", MAGIC_T_STR, "NAME", NULL, NULL, NULL, "input", 0,
    "name in Spark (default: the -i name)", NULL, NULL },
  { 'm', "maxrows", MAGIC_T_INT, "MAXROWS", NULL, "2500", "default_maxrows",
    NULL, 0, "rows of a df to send", "maxrows (-m) must be an integer", NULL },
};

static const struct magic_option endpoint_opts[] = {
  { 's', "server", MAGIC_T_STR, "URL", NULL, NULL, NULL, NULL,
    MAGIC_OPT_REQUIRED, "Livy endpoint URL", NULL, NULL },
  { 'u', "username", MAGIC_T_STR, "USER", NULL, NULL, NULL, NULL, 0,
    "user name", NULL, NULL },
  { 'p', "password", MAGIC_T_STR, "PASSWORD", NULL, NULL, NULL, NULL,
    MAGIC_OPT_SECRET, "password", NULL, NULL },
  { 't', "auth", MAGIC_T_STR, "AUTH", NULL, NULL, NULL, NULL, 0,
    "None, Basic_Access or Kerberos", NULL, NULL },
};

static const struct magic_option language_opts[] = {
  { 'l', "language", MAGIC_T_CHOICE, "LANG", "python|scala|r|sql", NULL,
    NULL, NULL, MAGIC_OPT_REQUIRED, "python, scala, r or sql",
    "'{}' language not supported in kernel magics.", NULL },
};

/* ---------------------------------------------------------------------- */
/* Extra checks                                                           */

/* %%delete: sparkmagic's order: the session id first, then -f. */
static int check_delete(const struct magic_cell *c, struct err *e) {
  int line, col;
  magic__name_pos(c, &line, &col);
  if (!magic_opt_given(c, "session"))
    return magic__usage_error(c, e, line, col,
                              "%%%%delete: You must provide a session ID (-s "
                              "argument).");
  if (!magic_opt_given(c, "force"))
    return magic__usage_error(
        NULL, e, line, col,
        "Include the -f parameter if you understand that all statements "
        "executed in this session will be lost: run %%%%delete -f -s %s",
        magic_opt(c, "session"));
  return 0;
}

static int check_cleanup(const struct magic_cell *c, struct err *e) {
  int line, col;
  magic__name_pos(c, &line, &col);
  if (!magic_opt_given(c, "force"))
    return magic__usage_error(
        NULL, e, line, col,
        "When you clean up the endpoint, all sessions will be lost, including "
        "the one used for this notebook. Include the -f parameter if that's "
        "your intention: run %%%%cleanup -f");
  return 0;
}

/* %%spark delete: a session name, or a URL and a session id. */
static int check_spark_delete(const struct magic_cell *c, struct err *e) {
  int line, col;
  magic__name_pos(c, &line, &col);
  if (magic_opt_given(c, "session")) return 0;
  if (!magic_opt_given(c, "url"))
    return magic__usage_error(c, e, line, col,
                              "%%%%spark delete: Subcommand 'delete' requires "
                              "a session name or a URL and session ID");
  if (!magic_opt_given(c, "id"))
    return magic__usage_error(c, e, line, col,
                              "%%%%spark delete: Must provide --id or -i "
                              "option to delete session at endpoint from URL");
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Commands and magics                                                    */

#define CMD(opts, summary) \
  { NULL, opts, NELEM(opts), NULL, 0, 0, summary, NULL }
#define CMD0(summary) { NULL, NULL, 0, NULL, 0, 0, summary, NULL }

static const struct magic_cmd configure_cmds[] = {
  CMD(configure_opts, "set the Livy session body (JSON) for new sessions"),
};
static const struct magic_cmd info_cmds[] = {
  CMD0("show the session config and the endpoint's sessions"),
};
static const struct magic_cmd sql_cmds[] = {
  CMD(sql_opts, "run Spark SQL and show the result as a table"),
};
static const struct magic_cmd spark_cmds[] = {
  CMD(spark_opts, "run code in the Spark session (the default)"),
  { "add", spark_add_opts, NELEM(spark_add_opts), NULL, 0, 0,
    "add a named session at a Livy endpoint", NULL },
  { "info", spark_info_opts, NELEM(spark_info_opts), NULL, 0, 0,
    "list sessions (of an endpoint with -u)", NULL },
  { "config", NULL, 0, NULL, 0, 0,
    "replace session_configs by the JSON body", NULL },
  { "delete", spark_delete_opts, NELEM(spark_delete_opts), NULL, 0, 0,
    "delete a session by name, or by -u URL -i ID", check_spark_delete },
  { "cleanup", spark_cleanup_opts, NELEM(spark_cleanup_opts), NULL, 0, 0,
    "delete the sessions (of an endpoint with -u)", NULL },
  { "logs", spark_logs_opts, NELEM(spark_logs_opts), NULL, 0, 0,
    "show a session's Livy log", NULL },
};
static const struct magic_cmd logs_cmds[] = {
  CMD0("show the Livy log of this kernel's session"),
};
static const struct magic_cmd delete_cmds[] = {
  { NULL, delete_opts, NELEM(delete_opts), NULL, 0, 0,
    "delete another session of the endpoint by id", check_delete },
};
static const struct magic_cmd cleanup_cmds[] = {
  { NULL, cleanup_opts, NELEM(cleanup_opts), NULL, 0, 0,
    "delete every session of the endpoint, this one too", check_cleanup },
};
static const struct magic_cmd help_cmds[] = {
  CMD0("show this table"),
};
static const struct magic_cmd send_cmds[] = {
  CMD(send_opts, "send a local string or DataFrame to Spark"),
};
static const struct magic_cmd pretty_cmds[] = {
  CMD0("run code and show df.show() tables as HTML"),
};
static const struct magic_cmd matplot_cmds[] = {
  { NULL, NULL, 0, "VAR", 1, 1, "show a matplotlib figure from Spark (PySpark)",
    NULL },
};
static const struct magic_cmd local_cmds[] = {
  CMD0("run the rest of the cell locally, not in Spark"),
};
static const struct magic_cmd endpoint_cmds[] = {
  CMD(endpoint_opts, "switch the Livy endpoint (before a session starts)"),
};
static const struct magic_cmd start_cmds[] = {
  CMD0("start the session now"),
};
static const struct magic_cmd delsess_cmds[] = {
  CMD0("delete this kernel's session"),
};
static const struct magic_cmd language_cmds[] = {
  CMD(language_opts, "change the session language (before it starts)"),
};
static const struct magic_cmd retry_cmds[] = {
  CMD0("allow a new session start after a fatal error"),
};

#define CL (MAGIC_F_CELL | MAGIC_F_LINE)
#define HIDDEN (MAGIC_F_HIDDEN)

const struct magic_spec magic__registry[] = {
  { MAGIC_HELP, "help", CL | MAGIC_F_BODY_EMPTY, help_cmds, NELEM(help_cmds),
    "Show the magics, their flags and an example of each.",
    "Shows a table of the magics this kernel understands, with their flags. "
    "The cell body must be empty. Kindling extension: '%%sql?' style "
    "inspection (Shift+Tab) shows the full documentation of one magic.",
    "%%help" },
  { MAGIC_INFO, "info", CL | MAGIC_F_BODY_EMPTY, info_cmds, NELEM(info_cmds),
    "Outputs session information for the current Livy endpoint.",
    "Outputs session information for the current Livy endpoint: the session "
    "configs that the next session will be created with (\"Current session "
    "configs\"), and a table of every session on the endpoint with its id, "
    "YARN application id, kind, state, Spark UI and driver log links, the "
    "current session marked. The cell body must be empty.",
    "%%info" },
  { MAGIC_CONFIGURE, "configure", MAGIC_F_CELL, configure_cmds,
    NELEM(configure_cmds),
    "Configure the session creation parameters (a JSON object).",
    "Configure the session creation parameters. The body is a JSON object, "
    "the body of Livy's POST /sessions (driverMemory, executorMemory, "
    "executorCores, numExecutors, conf, jars, pyFiles, name, queue, "
    "proxyUser, ...). It replaces the previous %%configure (there is no merge "
    "with it) and is deep-merged over session_configs_defaults from "
    "config.json. The force flag is mandatory if a session has already been "
    "created: the session is then dropped and recreated at once. Invalid JSON "
    "is an error. Afterwards the output of %%info is shown.",
    "%%configure -f\n{\"executorMemory\": \"4g\", \"executorCores\": 4,\n "
    "\"conf\": {\"spark.sql.shuffle.partitions\": \"64\"}}" },
  { MAGIC_SQL, "sql", MAGIC_F_CELL, sql_cmds, NELEM(sql_cmds),
    "Executes a SQL query against the Spark session and shows the result.",
    "Executes a SQL query against the variable spark (Spark 2+) or "
    "sqlContext and shows the result as a table (text and HTML). Only a "
    "sample of the result is fetched: -m take (the first -n rows, default "
    "from default_maxrows, 2500) or -m sample (a random fraction -r, then at "
    "most -n rows); a negative -n fetches every row. -o VAR keeps the result "
    "in the local namespace as VAR, -q returns nothing (no display), -c "
    "false keeps the columns as text instead of inferring their types.",
    "%%sql -o top10 -n 10\nSELECT name, count(*) AS n FROM events GROUP BY "
    "name ORDER BY n DESC" },
  { MAGIC_SPARK, "spark", CL, spark_cmds, NELEM(spark_cmds),
    "Executes spark commands (the default for cells without a magic).",
    "Executes spark commands in the remote session; a cell without a magic "
    "is run this way. -o VAR then copies the Spark DataFrame named VAR into "
    "the local namespace as a DataFrame of the same name, fetched with -m, "
    "-n, -r and -c as for %%sql. The IPython-magics form is accepted too: "
    "-s NAME picks a session and -c sql runs the body as SQL (-c spark|sql "
    "sets the context, any other -c value is the coerce flag, which is also "
    "-e/--coerce), and the subcommands add, info, config, delete, cleanup "
    "and logs manage named sessions.",
    "%%spark -o df\ndf = spark.read.parquet('s3://bucket/events/')" },
  { MAGIC_SEND_TO_SPARK, "send_to_spark", CL | MAGIC_F_BODY_EMPTY, send_cmds,
    NELEM(send_cmds),
    "Sends a variable from the local namespace to the Spark session.",
    "Sends a variable from the local namespace to the Spark session. With -t "
    "str the value is sent as a string literal; with -t df the first -m rows "
    "of a local DataFrame are sent as JSON and turned into a Spark DataFrame. "
    "-n names the variable on the Spark side (default: the -i name). The "
    "cell body must be empty. Prints \"Successfully passed 'x' as 'y' to "
    "Spark kernel\".",
    "%%send_to_spark -i top10 -t df -n top10_remote" },
  { MAGIC_LOGS, "logs", CL | MAGIC_F_BODY_EMPTY, logs_cmds, NELEM(logs_cmds),
    "Outputs the current session's Livy logs.",
    "Outputs the current session's Livy logs (GET /sessions/ID/log). Prints "
    "\"No logs yet.\" when no session has been started. The cell body must "
    "be empty.",
    "%%logs" },
  { MAGIC_DELETE, "delete", CL | MAGIC_F_BODY_EMPTY, delete_cmds,
    NELEM(delete_cmds),
    "Deletes a session by number for the current Livy endpoint.",
    "Deletes a session by number for the current Livy endpoint. Cannot "
    "delete this kernel's session: restart the kernel or use %%cleanup for "
    "that. The force flag is mandatory. The cell body must be empty.",
    "%%delete -f -s 12" },
  { MAGIC_CLEANUP, "cleanup", CL | MAGIC_F_BODY_EMPTY, cleanup_cmds,
    NELEM(cleanup_cmds),
    "Deletes all sessions for the current Livy endpoint, this one included.",
    "Deletes all sessions for the current Livy endpoint, including this "
    "notebook's session. The force flag is mandatory. The cell body must be "
    "empty.",
    "%%cleanup -f" },
  { MAGIC_PRETTY, "pretty", MAGIC_F_CELL, pretty_cmds, NELEM(pretty_cmds),
    "Runs the cell and shows df.show() output as HTML tables.",
    "Evaluates the cell in the Spark session and converts the ASCII tables "
    "that df.show() prints into HTML tables. Other output is shown as is.",
    "%%pretty\nspark.range(5).show()" },
  { MAGIC_MATPLOT, "matplot", MAGIC_F_LINE, matplot_cmds, NELEM(matplot_cmds),
    "Shows a matplotlib figure drawn in the PySpark session.",
    "Line magic that shows the matplotlib figure held by VAR in the remote "
    "PySpark session as an image (Livy's %matplot). PySpark sessions only.",
    "%matplot plt" },
  { MAGIC_LOCAL, "local", CL | MAGIC_F_RAW, local_cmds, NELEM(local_cmds),
    "Runs the rest of the cell locally, not in the Spark session.",
    "All the code in the rest of the cell is executed locally instead of in "
    "the Spark session.",
    "%%local\nprint(top10)" },
  { MAGIC_CHANGE_ENDPOINT, "_do_not_call_change_endpoint",
    MAGIC_F_LINE | HIDDEN,
    endpoint_cmds, NELEM(endpoint_cmds),
    "Switch the Livy endpoint (for tools).",
    "Hook for tools (sparkmagic server extension, SageMaker): switches the "
    "Livy endpoint and credentials. Fails once a session has started.",
    "%_do_not_call_change_endpoint -s http://livy:8998 -t None" },
  { MAGIC_START_SESSION, "_do_not_call_start_session", CL | HIDDEN,
    start_cmds, NELEM(start_cmds), "Start the session now (for tools).",
    "Hook for tools: starts the session unless it is started or a fatal "
    "error happened; the result tells whether a session is running.",
    "%%_do_not_call_start_session" },
  { MAGIC_DELETE_SESSION, "_do_not_call_delete_session", CL | HIDDEN,
    delsess_cmds, NELEM(delsess_cmds),
    "Delete this kernel's session (for tools).",
    "Hook for tools: deletes this kernel's session if it has one.",
    "%%_do_not_call_delete_session" },
  { MAGIC_CHANGE_LANGUAGE, "_do_not_call_change_language", CL | HIDDEN,
    language_cmds, NELEM(language_cmds),
    "Change the session language (for tools).",
    "Hook for tools: sets the language of the session to create. Fails once "
    "a session has started.",
    "%%_do_not_call_change_language -l python" },
  { MAGIC_ALLOW_RETRY_FATAL, "_do_not_call_allow_retry_fatal", CL | HIDDEN,
    retry_cmds, NELEM(retry_cmds),
    "Allow retrying after a fatal error (for tools).",
    "Hook for tools: after a failed session start every cell repeats the "
    "error; this allows the next cell to try starting a session again.",
    "%%_do_not_call_allow_retry_fatal" },
};
const size_t magic__nregistry = NELEM(magic__registry);

/* ---------------------------------------------------------------------- */
/* Lookups                                                                */

const struct magic_spec *magic_lookup(const char *name) {
  if (!name) return NULL;
  while (*name == '%') name++;
  for (size_t i = 0; i < magic__nregistry; i++)
    if (strcmp(magic__registry[i].name, name) == 0) return &magic__registry[i];
  return NULL;
}

const struct magic_spec *magic_spec_by_id(enum magic_id id) {
  for (size_t i = 0; i < magic__nregistry; i++)
    if (magic__registry[i].id == id) return &magic__registry[i];
  return NULL;
}

const char *magic_spec_name(const struct magic_spec *s) {
  return s ? s->name : NULL;
}

const struct magic_spec *magic_implicit(enum magic_lang lang) {
  return magic_spec_by_id(lang == MAGIC_LANG_SQL ? MAGIC_SQL : MAGIC_SPARK);
}

/* ---------------------------------------------------------------------- */
/* Usage                                                                  */

static const char *prefix_of(const struct magic_spec *s) {
  return (s->flags & MAGIC_F_CELL) ? "%%" : "%";
}

static int put_flag(struct buf *b, const struct magic_option *o) {
  if (o->short_name) return buf_printf(b, "-%c", o->short_name);
  return buf_printf(b, "--%s", o->long_name);
}

int magic__synopsis(const struct magic_spec *s, const struct magic_cmd *cmd,
                    struct buf *out) {
  int rc = buf_printf(out, "%s%s", prefix_of(s), s->name);
  if (!rc && cmd->name) rc = buf_printf(out, " %s", cmd->name);
  /* Required flags first, as in the examples, then the optional ones. */
  for (int pass = 0; pass < 2 && !rc; pass++) {
    for (size_t i = 0; i < cmd->nopts && !rc; i++) {
      const struct magic_option *o = &cmd->opts[i];
      int req = (o->flags & (MAGIC_OPT_REQUIRED | MAGIC_OPT_CHECKED)) != 0;
      if (req != (pass == 0)) continue;
      rc = buf_puts(out, req ? " " : " [");
      if (!rc) rc = put_flag(out, o);
      if (!rc && o->metavar) rc = buf_printf(out, " %s", o->metavar);
      if (!rc && !req) rc = buf_putc(out, ']');
    }
  }
  if (!rc && cmd->posname) {
    for (size_t i = 0; i < cmd->minpos && !rc; i++)
      rc = buf_printf(out, " %s", cmd->posname);
    if (!rc && cmd->maxpos > cmd->minpos)
      rc = buf_printf(out, " [%s...]", cmd->posname);
  }
  return rc;
}

static int option_lines(const struct magic_cmd *cmd, struct buf *out) {
  int rc = 0;
  for (size_t i = 0; i < cmd->nopts && !rc; i++) {
    const struct magic_option *o = &cmd->opts[i];
    size_t mark = out->len;
    if (o->short_name)
      rc = buf_printf(out, "  -%c, --%s", o->short_name, o->long_name);
    else
      rc = buf_printf(out, "      --%s", o->long_name);
    if (!rc && o->metavar) rc = buf_printf(out, " %s", o->metavar);
    size_t w = out->len - mark;
    while (!rc && w++ < 32) rc = buf_putc(out, ' ');
    if (!rc) rc = buf_printf(out, " %s", o->help);
    if (!rc && (o->flags & (MAGIC_OPT_REQUIRED | MAGIC_OPT_CHECKED)))
      rc = buf_puts(out, " (required)");
    if (!rc && o->def && o->conf_key)
      rc = buf_printf(out, " (default %s, config %s)", o->def, o->conf_key);
    else if (!rc && o->def)
      rc = buf_printf(out, " (default %s)", o->def);
    if (!rc) rc = buf_putc(out, '\n');
  }
  return rc;
}

int magic__cmd_usage(const struct magic_spec *s, const struct magic_cmd *cmd,
                     struct buf *out, int full) {
  int rc = buf_puts(out, "usage: ");
  if (!rc) rc = magic__synopsis(s, cmd, out);
  if (!rc) rc = buf_putc(out, '\n');
  if (!rc && full) rc = option_lines(cmd, out);
  return rc;
}

int magic_usage(const struct magic_spec *s, struct buf *out) {
  if (!s) return ERR_INVAL;
  int rc = buf_puts(out, "usage: ");
  for (size_t i = 0; i < s->ncmds && !rc; i++) {
    if (i) rc = buf_puts(out, "       ");
    if (!rc) rc = magic__synopsis(s, &s->cmds[i], out);
    if (!rc) rc = buf_putc(out, '\n');
  }
  for (size_t i = 0; i < s->ncmds && !rc; i++) {
    const struct magic_cmd *cmd = &s->cmds[i];
    if (!cmd->nopts) continue;
    if (s->ncmds > 1)
      rc = buf_printf(out, "%s%s%s%s:\n", prefix_of(s), s->name,
                      cmd->name ? " " : "", cmd->name ? cmd->name : "");
    if (!rc) rc = option_lines(cmd, out);
  }
  return rc;
}

/* ---------------------------------------------------------------------- */
/* %%help and inspect                                                     */

static int is_visible(const struct magic_spec *s) {
  return !(s->flags & MAGIC_F_HIDDEN);
}

int magic_help(enum magic_lang lang, struct buf *text, struct buf *html) {
  const struct magic_spec *imp = magic_implicit(lang);
  int rc = 0;
  struct buf syn;
  buf_init(&syn, BUF_UNLIMITED);
  if (text)
    rc = buf_printf(text,
                    "Magics (a cell without a magic runs as %%%%%s):\n\n",
                    imp->name);
  if (!rc && html)
    rc = buf_puts(html,
                  "<table>\n  <tr><th>Magic</th><th>Example</th>"
                  "<th>Explanation</th></tr>\n");
  for (size_t i = 0; i < magic__nregistry && !rc; i++) {
    const struct magic_spec *s = &magic__registry[i];
    if (!is_visible(s)) continue;
    buf_reset(&syn);
    for (size_t k = 0; k < s->ncmds && !rc; k++) {
      if (k) rc = buf_putc(&syn, '\n');
      if (!rc) rc = magic__synopsis(s, &s->cmds[k], &syn);
    }
    if (rc) break;
    const char *extra = "";
    if (s == imp) extra = " Cells without a magic run this way.";
    if (s->id == MAGIC_MATPLOT && lang != MAGIC_LANG_PYTHON)
      extra = " PySpark sessions only.";
    if (text) {
      /* One block per magic: synopses, then the summary indented. */
      rc = buf_puts(text, syn.data ? syn.data : "");
      if (!rc) rc = buf_printf(text, "\n    %s%s\n", s->summary, extra);
      for (size_t k = 1; k < s->ncmds && !rc; k++)
        rc = buf_printf(text, "    %s: %s\n", s->cmds[k].name,
                        s->cmds[k].summary);
    }
    if (!rc && html) {
      rc = buf_puts(html, "  <tr><td>");
      if (!rc) rc = buf_put_html(html, s->name);
      if (!rc) rc = buf_puts(html, "</td><td><pre>");
      if (!rc) rc = buf_put_html(html, syn.data ? syn.data : "");
      if (!rc) rc = buf_puts(html, "</pre></td><td>");
      if (!rc) rc = buf_put_html(html, s->summary);
      if (!rc) rc = buf_put_html(html, extra);
      for (size_t k = 0; k < s->cmds[0].nopts && !rc; k++) {
        const struct magic_option *o = &s->cmds[0].opts[k];
        rc = buf_puts(html, "<br/><tt>");
        if (!rc && o->short_name) rc = buf_printf(html, "-%c", o->short_name);
        if (!rc && !o->short_name) rc = buf_puts(html, "--");
        if (!rc && !o->short_name) rc = buf_put_html(html, o->long_name);
        if (!rc && o->metavar) {
          rc = buf_putc(html, ' ');
          if (!rc) rc = buf_put_html(html, o->metavar);
        }
        if (!rc) rc = buf_puts(html, "</tt>: ");
        if (!rc) rc = buf_put_html(html, o->help);
      }
      for (size_t k = 1; k < s->ncmds && !rc; k++) {
        rc = buf_puts(html, "<br/><tt>");
        if (!rc) rc = buf_put_html(html, s->cmds[k].name);
        if (!rc) rc = buf_puts(html, "</tt>: ");
        if (!rc) rc = buf_put_html(html, s->cmds[k].summary);
      }
      if (!rc) rc = buf_puts(html, "</td></tr>\n");
    }
  }
  if (!rc && html) rc = buf_puts(html, "</table>\n");
  buf_fini(&syn);
  return rc;
}

int magic_doc(const char *name, struct buf *out) {
  const struct magic_spec *s = magic_lookup(name);
  if (!s) return ERR_NOTFOUND;
  int rc = buf_printf(out, "%s%s: %s\n\n%s\n\n", prefix_of(s), s->name,
                      s->summary, s->doc);
  if (!rc) rc = magic_usage(s, out);
  if (!rc) rc = buf_printf(out, "\nExample:\n%s\n", s->example);
  return rc;
}
