/* test_magic.c: the cell-magic parser and registry (magics/magic*.c).
 *
 * Table-driven: routing, every magic and flag with its default, every
 * validation message with its position, hostile inputs, usage/help/doc and
 * completion. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"
#include "magics/magic.h"
#include "tests/tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PY MAGIC_LANG_PYTHON
#define SC MAGIC_LANG_SCALA
#define SQ MAGIC_LANG_SQL

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TAP descriptions must stay on one line: newlines and tabs are shown
 * escaped, long text is cut. Returns one of a few rotating static buffers. */
static const char *oneline(const char *s) {
  static char bufs[4][160];
  static int k;
  char *o = bufs[k++ % 4];
  size_t n = 0;
  for (; s && *s && n < sizeof bufs[0] - 8; s++) {
    if (*s == '\n' || *s == '\t' || *s == '\r') {
      o[n++] = '\\';
      o[n++] = *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r';
    } else {
      o[n++] = *s;
    }
  }
  if (s && *s) memcpy(o + n, "...", 3), n += 3;
  o[n] = '\0';
  return o;
}

/* ---------------------------------------------------------------------- */
/* Routing                                                                */

struct route_case {
  const char *cell;
  enum magic_lang lang;
  enum magic_form form;
  enum magic_id id;
  const char *name;
  const char *body;
  int body_line;
  int magic_line;
};

static const struct route_case routes[] = {
  {"", PY, MAGIC_FORM_CODE, MAGIC_SPARK, "spark", "", 1, 0},
  {"  \n\t\n", PY, MAGIC_FORM_CODE, MAGIC_SPARK, "spark", "  \n\t\n", 1, 0},
  {"print(1)", PY, MAGIC_FORM_CODE, MAGIC_SPARK, "spark", "print(1)", 1, 0},
  {"val x = 1", SC, MAGIC_FORM_CODE, MAGIC_SPARK, "spark", "val x = 1", 1, 0},
  {"SELECT 1", SQ, MAGIC_FORM_CODE, MAGIC_SQL, "sql", "SELECT 1", 1, 0},
  {"# note\nprint(1)", PY, MAGIC_FORM_CODE, MAGIC_SPARK, "spark",
   "# note\nprint(1)", 1, 0},
  {"-- only a comment", SQ, MAGIC_FORM_CODE, MAGIC_SQL, "sql",
   "-- only a comment", 1, 0},
  {"x = 5 % 2", PY, MAGIC_FORM_CODE, MAGIC_SPARK, "spark", "x = 5 % 2", 1, 0},
  {"%%sql\nSELECT 1", PY, MAGIC_FORM_CELL, MAGIC_SQL, "sql", "SELECT 1", 2, 1},
  {"%%sql -o tables -q\nSHOW TABLES", PY, MAGIC_FORM_CELL, MAGIC_SQL, "sql",
   "SHOW TABLES", 2, 1},
  {"%%sql", SC, MAGIC_FORM_CELL, MAGIC_SQL, "sql", "", 2, 1},
  {"%%sql\r\nSELECT 1\r\n", PY, MAGIC_FORM_CELL, MAGIC_SQL, "sql",
   "SELECT 1\r\n", 2, 1},
  /* Kindling improvement: blank and comment-only lines before a magic. */
  {"\n\n%%sql\nSELECT 1", PY, MAGIC_FORM_CELL, MAGIC_SQL, "sql", "SELECT 1", 4,
   3},
  {"# c\n-- c\n// c\n   \n%%sql -q\nSELECT 1", PY, MAGIC_FORM_CELL, MAGIC_SQL,
   "sql", "SELECT 1", 6, 5},
  {"  %%info", PY, MAGIC_FORM_CELL, MAGIC_INFO, "info", "", 2, 1},
  /* %X line forms behave as cells; the rest of the cell is the body. */
  {"%info", PY, MAGIC_FORM_LINE, MAGIC_INFO, "info", "", 2, 1},
  {"%logs\n", PY, MAGIC_FORM_LINE, MAGIC_LOGS, "logs", "", 2, 1},
  {"%help", PY, MAGIC_FORM_LINE, MAGIC_HELP, "help", "", 2, 1},
  {"%cleanup -f", PY, MAGIC_FORM_LINE, MAGIC_CLEANUP, "cleanup", "", 2, 1},
  {"%delete -f -s 3", PY, MAGIC_FORM_LINE, MAGIC_DELETE, "delete", "", 2, 1},
  {"%spark -o df\nx = 1", PY, MAGIC_FORM_LINE, MAGIC_SPARK, "spark", "x = 1",
   2, 1},
  {"%send_to_spark -i v", PY, MAGIC_FORM_LINE, MAGIC_SEND_TO_SPARK,
   "send_to_spark", "", 2, 1},
  {"%%spark\nx = 1\ny = 2", PY, MAGIC_FORM_CELL, MAGIC_SPARK, "spark",
   "x = 1\ny = 2", 2, 1},
  {"%%spark", SQ, MAGIC_FORM_CELL, MAGIC_SPARK, "spark", "", 2, 1},
  {"%%configure -f\n{\"executorMemory\": \"1000M\"}", PY, MAGIC_FORM_CELL,
   MAGIC_CONFIGURE, "configure", "{\"executorMemory\": \"1000M\"}", 2, 1},
  {"%%pretty\ndf.show()", PY, MAGIC_FORM_CELL, MAGIC_PRETTY, "pretty",
   "df.show()", 2, 1},
  {"%matplot plt", PY, MAGIC_FORM_LINE, MAGIC_MATPLOT, "matplot", "", 2, 1},
  {"%%local\nprint(1)", PY, MAGIC_FORM_CELL, MAGIC_LOCAL, "local", "print(1)",
   2, 1},
  {"%local print(1)\nx", PY, MAGIC_FORM_LINE, MAGIC_LOCAL, "local",
   "print(1)\nx", 1, 1},
  {"%%local\n\n\na = 1", PY, MAGIC_FORM_CELL, MAGIC_LOCAL, "local", "a = 1", 4,
   1},
  {"%%local", PY, MAGIC_FORM_CELL, MAGIC_LOCAL, "local", "", 1, 1},
  {"%_do_not_call_change_endpoint -s http://h:8998", PY, MAGIC_FORM_LINE,
   MAGIC_CHANGE_ENDPOINT, "_do_not_call_change_endpoint", "", 2, 1},
  {"%%_do_not_call_start_session", PY, MAGIC_FORM_CELL, MAGIC_START_SESSION,
   "_do_not_call_start_session", "", 2, 1},
  {"%%_do_not_call_delete_session\n", PY, MAGIC_FORM_CELL,
   MAGIC_DELETE_SESSION, "_do_not_call_delete_session", "", 2, 1},
  {"%%_do_not_call_change_language -l python", PY, MAGIC_FORM_CELL,
   MAGIC_CHANGE_LANGUAGE, "_do_not_call_change_language", "", 2, 1},
  {"%%_do_not_call_allow_retry_fatal", PY, MAGIC_FORM_CELL,
   MAGIC_ALLOW_RETRY_FATAL, "_do_not_call_allow_retry_fatal", "", 2, 1},
};

static void test_routing(void) {
  for (size_t i = 0; i < NELEM(routes); i++) {
    const struct route_case *r = &routes[i];
    struct magic_cell *c = NULL;
    struct err e;
    err_clear(&e);
    int rc = magic_parse(r->cell, r->lang, &c, &e);
    TAP_OK(rc == 0 && c, "route %zu parses: %s", i,
           oneline(rc ? e.msg : r->cell));
    if (rc || !c) continue;
    TAP_EQ_INT(c->form, r->form, "route form");
    TAP_EQ_INT(magic_cell_id(c), r->id, "route magic");
    TAP_EQ_STR(c->name, r->name, "route name");
    TAP_EQ_STR(c->body, r->body, "route body");
    TAP_EQ_INT(c->body_line, r->body_line, "route body_line");
    TAP_EQ_INT(c->magic_line, r->magic_line, "route magic_line");
    TAP_OK(c->spec == magic_lookup(r->name), "route spec matches lookup");
    magic_cell_free(c);
  }
}

/* ---------------------------------------------------------------------- */
/* Options, defaults and values                                           */

struct opt_case {
  const char *cell;
  const char *opt;
  const char *want; /* NULL: expect NULL */
  int given;
};

static const struct opt_case opts[] = {
  /* %%sql defaults (sparkmagic's config defaults). */
  {"%%sql", "output", NULL, 0},
  {"%%sql", "quiet", NULL, 0},
  {"%%sql", "samplemethod", "take", 0},
  {"%%sql", "maxrows", "2500", 0},
  {"%%sql", "samplefraction", "0.1", 0},
  {"%%sql", "coerce", "true", 0},
  {"%%sql", "nosuch", NULL, 0},
  /* Plain code carries the implicit magic's defaults. */
  {"x = 1", "maxrows", "2500", 0},
  {"x = 1", "context", "spark", 0},
  /* Every spelling of a value. */
  {"%%sql -o x", "output", "x", 1},
  {"%%sql -ox", "output", "x", 1},
  {"%%sql -o=x", "output", "x", 1},
  {"%%sql --output x", "output", "x", 1},
  {"%%sql --output=x", "output", "x", 1},
  {"%%sql --out x", "output", "x", 1},
  {"%%sql --output=", "output", "", 1},
  {"%%sql -o 'a b'", "output", "a b", 1},
  {"%%sql -o \"a \\\"b\\\" \\\\c\"", "output", "a \"b\" \\c", 1},
  {"%%sql -o a\\ b", "output", "a b", 1},
  {"%%sql -o '-q'", "output", "-q", 1},
  {"%%sql -o x -o y", "output", "y", 1},
  {"%%sql -q", "quiet", "1", 1},
  {"%%sql --quiet", "quiet", "1", 1},
  {"%%sql -m sample", "samplemethod", "sample", 1},
  {"%%sql -m SAMPLE", "samplemethod", "sample", 1},
  {"%%sql --samplemethod=take", "samplemethod", "take", 1},
  {"%%sql -n 10", "maxrows", "10", 1},
  {"%%sql -n -1", "maxrows", "-1", 1},
  {"%%sql -n +7", "maxrows", "7", 1},
  {"%%sql --maxrows=-100", "maxrows", "-100", 1},
  {"%%sql -r 0", "samplefraction", "0", 1},
  {"%%sql -r 1", "samplefraction", "1", 1},
  {"%%sql -r 0.25", "samplefraction", "0.25", 1},
  {"%%sql -r 1e-3", "samplefraction", "1e-3", 1},
  {"%%sql -c False", "coerce", "false", 1},
  {"%%sql -c true", "coerce", "true", 1},
  {"%%sql -c YES", "coerce", "true", 1},
  {"%%sql -c 0", "coerce", "false", 1},
  {"%%sql\t-q\t-n\t3", "maxrows", "3", 1},
  /* %%spark: kernel flags and the IPython-magics flags; the -c clash. */
  {"%%spark -o df", "output", "df", 1},
  {"%%spark", "coerce", "true", 0},
  {"%%spark -c sql", "context", "sql", 1},
  {"%%spark -c sql", "coerce", "true", 0},
  {"%%spark -c SQL", "context", "sql", 1},
  {"%%spark -c spark", "context", "spark", 1},
  {"%%spark -c False", "coerce", "false", 1},
  {"%%spark -c False", "context", "spark", 0},
  {"%%spark -c true", "coerce", "true", 1},
  {"%%spark -e no", "coerce", "false", 1},
  {"%%spark --coerce=yes", "coerce", "true", 1},
  {"%%spark --context sql", "context", "sql", 1},
  {"%%spark -s mysession -c sql -q", "session", "mysession", 1},
  {"%%spark -s mysession -c sql -q", "quiet", "1", 1},
  {"%%spark -m sample -r 0.5 -n 100", "samplefraction", "0.5", 1},
  /* %%configure, %%delete, %%cleanup. */
  {"%%configure", "force", NULL, 0},
  {"%%configure -f\n{}", "force", "1", 1},
  {"%%configure --force\n{}", "force", "1", 1},
  {"%%delete -f -s 3", "session", "3", 1},
  {"%%delete -s 3 -f", "force", "1", 1},
  {"%%delete --force --session=12", "session", "12", 1},
  {"%%cleanup -f", "force", "1", 1},
  /* %%send_to_spark. */
  {"%%send_to_spark -i v", "input", "v", 1},
  {"%%send_to_spark -i v", "vartype", "str", 0},
  {"%%send_to_spark -i v", "varname", "v", 0},
  {"%%send_to_spark -i v", "maxrows", "2500", 0},
  {"%%send_to_spark -i v -t df -n w -m 10", "vartype", "df", 1},
  {"%%send_to_spark -i v -t df -n w -m 10", "varname", "w", 1},
  {"%%send_to_spark -i v -t df -n w -m 10", "maxrows", "10", 1},
  {"%%send_to_spark -i v -t DF", "vartype", "df", 1},
  /* Hidden hooks. */
  {"%_do_not_call_change_endpoint -s http://h:8998 -u user -p 'p w' "
   "-t Basic_Access", "server", "http://h:8998", 1},
  {"%_do_not_call_change_endpoint -s http://h:8998 -u user -p 'p w' "
   "-t Basic_Access", "username", "user", 1},
  {"%_do_not_call_change_endpoint -s http://h:8998 -u user -p 'p w' "
   "-t Basic_Access", "password", "p w", 1},
  {"%_do_not_call_change_endpoint -s http://h:8998 -u user -p 'p w' "
   "-t Basic_Access", "auth", "Basic_Access", 1},
  {"%%_do_not_call_change_language -l Scala", "language", "scala", 1},
  {"%%_do_not_call_change_language --language=python", "language", "python",
   1},
  /* %%spark subcommands. */
  {"%spark add -s s1 -l Python -u http://h:8998 -a u -p pw -t Basic_Access "
   "-k", "language", "python", 1},
  {"%spark add -s s1 -l Python -u http://h:8998 -a u -p pw -k", "skip", "1", 1},
  {"%spark add -s s1 -l scala -u http://h:8998", "url", "http://h:8998", 1},
  {"%spark add -s s1 -l scala -u http://h:8998", "user", NULL, 0},
  {"%%spark info -u http://h -i 4", "id", "4", 1},
  {"%%spark delete -s s1", "session", "s1", 1},
  {"%%spark delete -u http://h -i 2", "id", "2", 1},
  {"%%spark cleanup -u http://h", "url", "http://h", 1},
  {"%%spark logs -s s1", "session", "s1", 1},
  {"%%spark logs -s s1", "output", NULL, 0},
};

static void test_options(void) {
  for (size_t i = 0; i < NELEM(opts); i++) {
    const struct opt_case *o = &opts[i];
    struct magic_cell *c = NULL;
    struct err e;
    err_clear(&e);
    int rc = magic_parse(o->cell, PY, &c, &e);
    TAP_OK(rc == 0, "opt %zu parses (%s)", i, oneline(rc ? e.msg : o->cell));
    if (rc) continue;
    const char *v = magic_opt(c, o->opt);
    if (o->want)
      TAP_EQ_STR(v, o->want, o->opt);
    else
      TAP_OK(v == NULL, "%s is NULL (got %s)", o->opt, v ? v : "NULL");
    TAP_EQ_INT(magic_opt_given(c, o->opt), o->given, "given");
    magic_cell_free(c);
  }
}

static void test_subcommands_and_positionals(void) {
  struct magic_cell *c;
  struct err e;
  static const struct {
    const char *cell;
    const char *sub;
  } subs[] = {
    {"%%spark\nx", NULL},
    {"%%spark add -s a -l r -u u", "add"},
    {"%%spark info", "info"},
    {"%%spark INFO", "info"},
    {"%%spark config\n{\"a\": 1}", "config"},
    {"%%spark delete -s a", "delete"},
    {"%%spark cleanup", "cleanup"},
    {"%spark logs -s a", "logs"},
  };
  for (size_t i = 0; i < NELEM(subs); i++) {
    int rc = magic_parse(subs[i].cell, PY, &c, &e);
    TAP_OK(rc == 0, "subcommand case %zu parses", i);
    if (rc) continue;
    if (subs[i].sub)
      TAP_EQ_STR(magic_subcommand(c), subs[i].sub, "subcommand");
    else
      TAP_OK(magic_subcommand(c) == NULL, "no subcommand");
    TAP_EQ_INT(magic_npos(c), 0, "subcommand is not a positional");
    magic_cell_free(c);
  }
  TAP_EQ_INT(magic_parse("%%spark config\n{\"a\": 1}", PY, &c, &e), 0,
             "spark config parses");
  TAP_EQ_STR(c->body, "{\"a\": 1}", "spark config body");
  magic_cell_free(c);

  TAP_EQ_INT(magic_parse("%matplot plt", PY, &c, &e), 0, "matplot parses");
  TAP_EQ_INT(magic_npos(c), 1, "matplot has one positional");
  TAP_EQ_STR(magic_pos(c, 0), "plt", "matplot positional");
  TAP_OK(magic_pos(c, 1) == NULL, "positional past the end is NULL");
  magic_cell_free(c);
  TAP_EQ_INT(magic_parse("%matplot 'my fig'", PY, &c, &e), 0,
             "matplot quoted positional");
  TAP_EQ_STR(magic_pos(c, 0), "my fig", "quoted positional");
  magic_cell_free(c);
  TAP_EQ_INT(magic_parse("%matplot -1", PY, &c, &e), 0,
             "a negative number is a positional");
  TAP_EQ_STR(magic_pos(c, 0), "-1", "negative positional");
  magic_cell_free(c);

  TAP_EQ_INT(magic_parse("%%sql", PY, &c, &e), 0, "sql parses");
  TAP_OK(magic_subcommand(c) == NULL, "sql has no subcommand");
  TAP_OK(magic_npos(c) == 0 && magic_pos(c, 0) == NULL, "sql no positionals");
  magic_cell_free(c);
}

static void test_set_default(void) {
  struct magic_cell *c;
  struct err e;
  err_clear(&e);
  TAP_EQ_INT(magic_parse("%%sql", PY, &c, &e), 0, "set_default: parse");
  TAP_EQ_INT(magic_cell_set_default(c, "maxrows", "10", &e), 0,
             "set maxrows default");
  TAP_EQ_STR(magic_opt(c, "maxrows"), "10", "default replaced");
  TAP_EQ_INT(magic_opt_given(c, "maxrows"), 0, "still not given");
  TAP_EQ_INT(magic_cell_set_default(c, "samplemethod", "Sample", &e), 0,
             "set samplemethod default");
  TAP_EQ_STR(magic_opt(c, "samplemethod"), "sample", "default normalised");
  TAP_EQ_INT(magic_cell_set_default(c, "maxrows", "ten", &e), ERR_INVAL,
             "invalid default rejected");
  TAP_EQ_STR(e.msg, "maxrows (-n) must be an integer", "default message");
  TAP_EQ_STR(magic_opt(c, "maxrows"), "10", "old default kept");
  TAP_EQ_INT(magic_cell_set_default(c, "samplefraction", "1.5", &e), ERR_INVAL,
             "fraction default checked");
  TAP_EQ_STR(e.msg, "samplefraction (-r) must be a float between 0.0 and 1.0",
             "fraction default message");
  TAP_EQ_INT(magic_cell_set_default(c, "nosuch", "1", &e), ERR_NOTFOUND,
             "unknown option");
  TAP_EQ_INT(magic_cell_set_default(c, "quiet", "1", &e), ERR_INVAL,
             "booleans have no default value");
  magic_cell_free(c);
  TAP_EQ_INT(magic_parse("%%sql -n 5", PY, &c, &e), 0, "parse -n 5");
  magic_cell_set_default(c, "maxrows", "10", &e);
  TAP_EQ_STR(magic_opt(c, "maxrows"), "5", "given value beats default");
  magic_cell_free(c);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

struct err_case {
  const char *cell;
  const char *want;  /* exact message, or a substring when exact is 0 */
  int exact;
  int line, col;
  const char *also;  /* a second required substring, or NULL */
};

static const struct err_case errs[] = {
  /* sparkmagic's value messages, exactly. */
  {"%%sql -m foo", "samplemethod (-m) must be one of (take, sample)", 1, 1, 10,
   NULL},
  {"%%sql --samplemethod=foo", "samplemethod (-m) must be one of (take, "
   "sample)", 1, 1, 7, NULL},
  {"%%sql -n abc", "maxrows (-n) must be an integer", 1, 1, 10, NULL},
  {"%%sql -n 1.5", "maxrows (-n) must be an integer", 1, 1, 10, NULL},
  {"%%sql -n 99999999999999999999999", "maxrows (-n) must be an integer", 1, 1,
   10, NULL},
  {"%%sql -n ''", "maxrows (-n) must be an integer", 1, 1, 10, NULL},
  {"%%sql -r 2", "samplefraction (-r) must be a float between 0.0 and 1.0", 1,
   1, 10, NULL},
  {"%%sql -r -0.1", "samplefraction (-r) must be a float between 0.0 and 1.0",
   1, 1, 10, NULL},
  {"%%sql -r nan", "samplefraction (-r) must be a float between 0.0 and 1.0",
   1, 1, 10, NULL},
  {"%%sql -r abc", "samplefraction (-r) must be a float between 0.0 and 1.0",
   1, 1, 10, NULL},
  {"%%sql -c maybe", "coerce (-c) must be true or false", 1, 1, 10, NULL},
  {"%%spark -m foo", "samplemethod (-m) must be one of (take, sample)", 1, 1,
   12, NULL},
  {"%%spark -n x", "maxrows (-n) must be an integer", 1, 1, 12, NULL},
  {"%%spark -c maybe", "-c must be spark or sql (--context) or true or false "
   "(--coerce)", 1, 1, 12, NULL},
  {"%%spark -e sql", "coerce (-e) must be true or false", 1, 1, 12, NULL},
  {"%%send_to_spark -i v -t list", "vartype (-t) must be one of (str, df)", 1,
   1, 25, NULL},
  {"%%send_to_spark -i v -m many", "maxrows (-m) must be an integer", 1, 1, 25,
   NULL},
  {"%%delete -f -s x", "session (-s) must be an integer", 1, 1, 16, NULL},
  {"%%spark info -i x", "id (-i) must be an integer", 1, 1, 17, NULL},
  {"%%_do_not_call_change_language -l klingon",
   "'klingon' language not supported in kernel magics.", 1, 1, 35, NULL},
  /* Unknown magics. */
  {"%%foo", "Unknown magic '%%foo'. Run %%help for the list of magics.", 1, 1,
   1, NULL},
  {"%%sqll\nSELECT 1", "Unknown magic '%%sqll'. Did you mean '%%sql'? Run "
   "%%help for the list of magics.", 1, 1, 1, NULL},
  {"%%SQL", "Did you mean '%%sql'?", 0, 1, 1, NULL},
  {"%%confgure", "Did you mean '%%configure'?", 0, 1, 1, NULL},
  {"%matplotlib inline", "Unknown magic '%matplotlib'.", 0, 1, 1, "%%help"},
  {"%%", "Unknown magic '%%'.", 0, 1, 1, NULL},
  {"%", "Unknown magic '%'.", 0, 1, 1, NULL},
  {"%%%sql", "Unknown magic '%%%sql'.", 0, 1, 1, NULL},
  {"\n# c\n  %%nope", "Unknown magic '%%nope'.", 0, 3, 3, NULL},
  {"%%_do_not_call_start_sesion", "Did you mean "
   "'%%_do_not_call_start_session'?", 0, 1, 1, NULL},
  /* Wrong form. */
  {"%sql SELECT 1", "'%sql' is a cell magic: write '%%sql' on the first line "
   "of the cell.", 1, 1, 1, NULL},
  {"%configure -f", "'%configure' is a cell magic", 0, 1, 1, NULL},
  {"%pretty", "'%pretty' is a cell magic", 0, 1, 1, NULL},
  {"%%matplot plt", "'%%matplot' is a line magic: write '%matplot VAR'.", 1, 1,
   1, NULL},
  /* Unknown flags, missing values, missing required flags: usage appended. */
  {"%%sql -x", "%%sql: unrecognized flag '-x'.", 0, 1, 7,
   "usage: %%sql [-o VAR]"},
  {"%%sql --outptu v", "%%sql: unrecognized flag '--outptu'. Did you mean "
   "'--output'?", 0, 1, 7, "usage: %%sql"},
  {"%%sql -qf", "%%sql: unrecognized flag '-qf'.", 0, 1, 7, NULL},
  {"%%sql --", "%%sql: unrecognized flag '--'.", 0, 1, 7, NULL},
  {"%%sql -o", "%%sql: flag -o/--output needs a value (VAR).", 0, 1, 7,
   "usage: %%sql"},
  {"%%sql -o -q", "%%sql: flag -o/--output needs a value (VAR).", 0, 1, 7,
   NULL},
  {"%%sql -q --maxrows", "%%sql: flag -n/--maxrows needs a value (MAXROWS).",
   0, 1, 10, NULL},
  {"%%sql --sample x", "%%sql: ambiguous flag '--sample' could match "
   "--samplemethod --samplefraction.", 0, 1, 7, NULL},
  {"%%sql --quiet=yes", "%%sql: flag -q/--quiet takes no value.", 0, 1, 7,
   NULL},
  {"%%sql -q=1", "%%sql: flag -q/--quiet takes no value.", 0, 1, 7, NULL},
  {"%%configure -f=", "%%configure: flag -f/--force takes no value.", 0, 1,
   13, NULL},
  {"%%sql SELECT 1", "%%sql: unexpected argument 'SELECT'. The cell body goes "
   "on the lines after the magic line.", 0, 1, 7, "usage: %%sql"},
  {"%%configure {\"a\": 1}", "%%configure: unexpected argument", 0, 1, 13,
   NULL},
  {"%%info now", "%%info: unexpected argument 'now'.", 0, 1, 8, NULL},
  {"%%help -x", "%%help: unrecognized flag '-x'.", 0, 1, 8, "usage: %%help"},
  {"%%send_to_spark", "%%send_to_spark: missing required flag -i/--input "
   "VAR.", 0, 1, 1, "usage: %%send_to_spark -i VAR"},
  {"%%send_to_spark -t df", "missing required flag -i/--input VAR", 0, 1, 1,
   NULL},
  {"%_do_not_call_change_endpoint -u a", "missing required flag -s/--server "
   "URL", 0, 1, 1, NULL},
  {"%%_do_not_call_change_language", "missing required flag -l/--language", 0,
   1, 1, NULL},
  {"%matplot", "%matplot: missing argument VAR.", 0, 1, 1, "usage: %matplot "
   "VAR"},
  {"%matplot a b", "%matplot: unexpected argument 'b'.", 0, 1, 12, NULL},
  {"%%spark foo", "%%spark: Subcommand 'foo' not found.", 0, 1, 9,
   "usage: %%spark"},
  {"%%spark add -s a -l python", "%%spark add: missing required flag -u/--url "
   "URL.", 0, 1, 1, "usage: %%spark add -s NAME -l LANG -u URL"},
  {"%%spark add -s a -u u -l perl", "language (-l) must be one of (python, "
   "scala, r)", 1, 1, 26, NULL},
  {"%%spark logs", "%%spark logs: missing required flag -s/--session NAME.", 0,
   1, 1, NULL},
  {"%%spark delete", "Subcommand 'delete' requires a session name or a URL and "
   "session ID", 0, 1, 1, NULL},
  {"%%spark delete -u http://h", "Must provide --id or -i option to delete "
   "session at endpoint from URL", 0, 1, 1, NULL},
  {"%%spark info -q", "%%spark info: unrecognized flag '-q'.", 0, 1, 14, NULL},
  /* %%delete and %%cleanup: sparkmagic's wording plus the fix. */
  {"%%delete -f", "%%delete: You must provide a session ID (-s argument).", 0,
   1, 1, "usage: %%delete -f -s ID"},
  {"%%delete -s 3", "Include the -f parameter if you understand that all "
   "statements executed in this session will be lost: run %%delete -f -s 3",
   1, 1, 1, NULL},
  {"%cleanup", "When you clean up the endpoint, all sessions will be lost, "
   "including the one used for this notebook. Include the -f parameter if "
   "that's your intention: run %%cleanup -f", 1, 1, 1, NULL},
  /* Bodies given to magics that take none (sparkmagic's wording). */
  {"%%help\nfoo", "Cell body for %%help magic must be empty; got 'foo' "
   "instead.", 1, 2, 1, NULL},
  {"%%help\n\n  foo bar  \n\n", "Cell body for %%help magic must be empty; "
   "got 'foo bar' instead.", 1, 3, 3, NULL},
  {"%%send_to_spark -i v\nx = 1", "Cell body for %%send_to_spark magic must "
   "be empty; got 'x = 1' instead.", 1, 2, 1, NULL},
  {"%help\nx", "Cell body for %%help magic must be empty", 0, 2, 1, NULL},
  {"%%info\nx", "Cell body for %%info magic must be empty", 0, 2, 1, NULL},
  {"%%logs\nx", "Cell body for %%logs magic must be empty", 0, 2, 1, NULL},
  {"%%cleanup -f\nx", "Cell body for %%cleanup magic must be empty", 0, 2, 1,
   NULL},
  {"%%delete -f -s 1\nx", "Cell body for %%delete magic must be empty", 0, 2,
   1, NULL},
  /* Quotes. */
  {"%%sql -o 'abc", "%%sql: no closing quotation for the ' at column 10.", 0,
   1, 10, "usage: %%sql"},
  {"%%sql -o \"a\\\"", "%%sql: no closing quotation for the \" at column 10.",
   0, 1, 10, NULL},
  /* Positions count code points and lines. */
  {"%%sql -o \xc3\xa9 -m f\xc3\xb6o", "samplemethod (-m) must be one of (take, "
   "sample)", 1, 1, 15, NULL},
  {"# c\n\n%%sql -n x", "maxrows (-n) must be an integer", 1, 3, 10, NULL},
  {"  %%sql -x", "unrecognized flag '-x'", 0, 1, 9, NULL},
  {"%%sql -o \xc3\xa9\xff", "The magic line is not valid UTF-8.", 1, 1, 11,
   NULL},
  {"%%\xff", "The magic line is not valid UTF-8.", 1, 1, 3, NULL},
};

static void test_errors(void) {
  for (size_t i = 0; i < NELEM(errs); i++) {
    const struct err_case *x = &errs[i];
    struct magic_cell *c = (struct magic_cell *)&c;
    struct err e;
    err_clear(&e);
    int rc = magic_parse(x->cell, PY, &c, &e);
    TAP_OK(rc == ERR_INVAL && c == NULL, "err %zu rejected: %s", i,
           oneline(x->cell));
    if (rc == 0) {
      magic_cell_free(c);
      continue;
    }
    TAP_EQ_STR(e.ename, "UsageError", "ename");
    TAP_EQ_INT(e.code, ERR_INVAL, "err code");
    if (x->exact)
      TAP_EQ_STR(e.msg, x->want, "exact message");
    else
      TAP_OK(strstr(e.msg, x->want) != NULL, "message has \"%s\" (got \"%s\")",
             oneline(x->want), oneline(e.msg));
    if (x->also)
      TAP_OK(strstr(e.msg, x->also) != NULL, "message has \"%s\"",
             oneline(x->also));
    TAP_EQ_INT(e.line, x->line, "err line");
    TAP_EQ_INT(e.column, x->col, "err column");
    TAP_OK(utf8_valid(e.msg, strlen(e.msg)), "message is valid UTF-8");
  }
}

static void test_secrets_not_echoed(void) {
  static const char *const cells[] = {
    "%%spark add --passwrd=hunter2",
    "%%spark add -s a -l python -u u -p hunter2 --bogus",
    "%_do_not_call_change_endpoint --pasword=hunter2 -s u",
    "%_do_not_call_change_endpoint -p hunter2",
    "%%spark add -s a -l cobol -u u -p hunter2",
    "%%spark add -s a -l python -u u -p hunter 2x",
    "%spark logs -s a -phunter2",
    "%spark info --password=hunter 2x",
  };
  for (size_t i = 0; i < NELEM(cells); i++) {
    struct magic_cell *c;
    struct err e;
    err_clear(&e);
    int rc = magic_parse(cells[i], PY, &c, &e);
    TAP_OK(rc == ERR_INVAL, "secret case %zu rejected", i);
    TAP_OK(strstr(e.msg, "hunter2") == NULL, "password not in message: %s",
           oneline(e.msg));
  }
}

static char *filled(const char *head, const char *unit, size_t times,
                    const char *tail, size_t *len);

struct redact_case {
  const char *in, *want;
  const char *at; /* the word the column points at, or NULL */
};

static const struct redact_case redacts[] = {
  {"%spark add -s a -l python -u http://h -a bob -p hunter2 --bogus",
   "%spark add -s a -l python -u http://h -a bob -p ******** --bogus", "--bogus"},
  {"%spark delete -u http://h -i x -a bob --password=hunter2",
   "%spark delete -u http://h -i x -a bob --password=********", "x"},
  {"%spark add --pass hunter2 -k", "%spark add --pass ******** -k", "-k"},
  {"%spark add --passwd=hunter2 -k", "%spark add --passwd=******** -k", "-k"},
  {"%spark add --pasword hunter2 -k", "%spark add --pasword ******** -k", "-k"},
  {"%%spark add -p'hunter 2' -s x", "%%spark add -p******** -s x", "-s"},
  {"%%spark add -p=hunter2 -s x", "%%spark add -p=******** -s x", "x"},
  {"%spark add -s x -p \"a b\\\" c\" -k", "%spark add -s x -p ******** -k", "-k"},
  {"%spark logs -s x -p hunter2", "%spark logs -s x -p ********", "-p"},
  {"%nosuch -p hunter2 --x=hunter2", "%nosuch -p ******** --x=********", "%nosuch"},
  {"  %_do_not_call_change_endpoint -u bob -p hunter2 -t Basic_Access",
   "  %_do_not_call_change_endpoint -u bob -p ******** -t Basic_Access", "-t"},
  {"%spark add -p -hunter2 -k", "%spark add -p ******** -k", "-k"},
  {"%spark add -s x --unknown=val -k", "%spark add -s x --unknown=******** -k", "-k"},
  {"%spark add -s \u00e9 -p \u00fcn\u00efcode -k", "%spark add -s \u00e9 -p ******** -k", "-k"},
  {"%spark add -p 'unterminated", "%spark add -p ********", NULL},
  {"%spark add -s x -p hunter 2 more -k", "%spark add -s x -p ******** -k", "-k"},
  {"%spark add -p=hunter 2 -k", "%spark add -p=******** -k", "-k"},
  /* nothing to hide */
  {"%%sql -o p -q -n -1", "%%sql -o p -q -n -1", "-q"},
  {"%spark add -s a -p", "%spark add -s a -p", "-p"},
  {"x = '-p secret'", "x = '-p secret'", "secret"},
  {"%%local SELECT '-p x'", "%%local SELECT '-p x'", "x"},
  {"", "", NULL},
};

/* 1-based code-point column of the first occurrence of word in s. */
static int column_of(const char *s, const char *word) {
  const char *p = strstr(s, word);
  return p ? (int)utf8_count(s, (size_t)(p - s)) + 1 : 0;
}

static void test_redact_line(void) {
  for (size_t i = 0; i < NELEM(redacts); i++) {
    const struct redact_case *x = &redacts[i];
    int col = x->at ? column_of(x->in, x->at) : 0;
    char *out = magic_redact_line(x->in, strlen(x->in), &col);
    TAP_EQ_STR(out, x->want, oneline(x->in));
    if (x->at) TAP_EQ_INT(col, column_of(x->want, x->at), "column follows the mask");
    free(out);
  }
  /* the column of a word inside the secret moves to the mask */
  const char *in = "%spark add -p hunter2 -k";
  int col = column_of(in, "ter2");
  char *out = magic_redact_line(in, strlen(in), &col);
  TAP_EQ_INT(col, column_of(out, "****"), "column inside a secret");
  free(out);
  /* only line[0..n) is read; NULL column */
  out = magic_redact_line("%spark add -p hunter2 -k", 21, NULL);
  TAP_EQ_STR(out, "%spark add -p ********", "length bounds the line");
  free(out);
  /* many secrets on one line */
  size_t len;
  char *many = filled("%spark add", " -p hunter2", 1000, "", &len);
  out = magic_redact_line(many, len, NULL);
  TAP_OK(out && !strstr(out, "hunter2"), "1000 secrets masked");
  free(out);
  free(many);
}

/* ---------------------------------------------------------------------- */
/* Hostile input                                                          */

static char *filled(const char *head, const char *unit, size_t times,
                    const char *tail, size_t *len) {
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  size_t n = hl + ul * times + tl;
  char *s = malloc(n + 1);
  memcpy(s, head, hl);
  for (size_t i = 0; i < times; i++) memcpy(s + hl + i * ul, unit, ul);
  memcpy(s + hl + ul * times, tail, tl);
  s[n] = '\0';
  if (len) *len = n;
  return s;
}

struct big_case {
  const char *name;
  const char *head, *unit;
  size_t times;
  const char *tail;
  int want_rc;
  const char *want_msg; /* substring, for errors */
};

static const struct big_case bigs[] = {
  {"1 MB unknown magic name", "%%", "a", 1u << 20, "", ERR_INVAL,
   "Unknown magic '%%aaaa"},
  {"1 MB flag value", "%%sql -o ", "v", 1u << 20, "\nSELECT 1", 0, NULL},
  {"1 MB quoted value", "%%sql -o '", "v", 1u << 20, "'", 0, NULL},
  {"1 MB unterminated quote", "%%sql -o \"", "v", 1u << 20, "", ERR_INVAL,
   "no closing quotation"},
  {"100k flags", "%%sql", " -q -n 5 --output=x", 100000, "", 0, NULL},
  {"100k unknown flags", "%%sql", " -z", 100000, "", ERR_INVAL,
   "unrecognized flag '-z'"},
  {"100k positionals", "%matplot", " p", 100000, "", ERR_INVAL,
   "unexpected argument 'p'"},
  {"1 MB of comment lines then magic", "", "# c\n", 1u << 18, "%%sql -q", 0,
   NULL},
  {"1 MB of blank lines then code", "", "\n", 1u << 20, "x = 1", 0, NULL},
  {"1 MB body", "%%sql\n", "SELECT 1 ", 1u << 17, "", 0, NULL},
  {"1 MB body for %%help", "%%help\n", "x", 1u << 20, "", ERR_INVAL,
   "must be empty; got 'xxxx"},
  {"1 MB of percent signs", "", "%", 1u << 20, "", ERR_INVAL,
   "Unknown magic '%%%%%%%%"},
  {"many backslashes", "%%sql -o ", "\\\\", 1u << 18, "", 0, NULL},
};

static void test_hostile(void) {
  struct magic_cell *c;
  struct err e;

  /* NUL bytes are rejected with their position. */
  static const struct {
    const char *s;
    size_t n;
    int line, col;
  } nuls[] = {
    {"%%sql\0 -o x\nSELECT 1", 20, 1, 6},
    {"%%sql\nSELECT '\0'", 16, 2, 9},
    {"ab\ncd\0", 6, 2, 3},
    {"\0", 1, 1, 1},
    {"\xc3\xa9\0", 3, 1, 2},
  };
  for (size_t i = 0; i < NELEM(nuls); i++) {
    err_clear(&e);
    int rc = magic_parse_n(nuls[i].s, nuls[i].n, PY, &c, &e);
    TAP_OK(rc == ERR_INVAL && !c, "NUL case %zu rejected", i);
    TAP_EQ_STR(e.msg, "The cell contains a NUL byte.", "NUL message");
    TAP_EQ_INT(e.line, nuls[i].line, "NUL line");
    TAP_EQ_INT(e.column, nuls[i].col, "NUL column");
  }
  TAP_EQ_INT(magic_parse_n("%%sql -q", 8, PY, &c, &e), 0,
             "parse_n without NUL");
  magic_cell_free(c);
  TAP_EQ_INT(magic_parse_n("%%sql -qXXXX", 8, PY, &c, &e), 0,
             "parse_n honours the length");
  magic_cell_free(c);

  /* Invalid UTF-8 in the body of plain code is passed through untouched. */
  TAP_EQ_INT(magic_parse("x = '\xff'", PY, &c, &e), 0,
             "invalid UTF-8 in plain code parses");
  TAP_EQ_STR(c->body, "x = '\xff'", "body kept byte for byte");
  magic_cell_free(c);

  for (size_t i = 0; i < NELEM(bigs); i++) {
    const struct big_case *b = &bigs[i];
    size_t len;
    char *s = filled(b->head, b->unit, b->times, b->tail, &len);
    err_clear(&e);
    double t0 = now();
    int rc = magic_parse_n(s, len, SQ, &c, &e);
    double dt = now() - t0;
    TAP_EQ_INT(rc, b->want_rc, b->name);
    /* Linear work: even under valgrind a megabyte takes well under 10 s; a
     * quadratic parser would need hours. */
    TAP_OK(dt < 10.0, "%s parsed in %.3f s", b->name, dt);
    if (rc == 0) {
      magic_cell_free(c);
    } else {
      if (b->want_msg)
        TAP_OK(strstr(e.msg, b->want_msg) != NULL, "%s message: %s",
               b->name, oneline(e.msg));
      TAP_OK(strlen(e.msg) < 2000, "%s message is capped (%zu bytes)",
             b->name, strlen(e.msg));
      TAP_OK(utf8_valid(e.msg, strlen(e.msg)), "%s message is UTF-8", b->name);
    }
    /* Completion over the same text stays linear and safe. */
    char **m;
    size_t n, st, en;
    t0 = now();
    int crc = magic_complete(s, len / 2, &m, &n, &st, &en);
    TAP_OK(crc == 0 && now() - t0 < 10.0, "%s completion", b->name);
    magic_matches_free(m, n);
    free(s);
  }

  /* Echoed tokens are capped and sanitised. */
  err_clear(&e);
  TAP_EQ_INT(magic_parse("%%sql -\xc3\xa9\x01\x7f", PY, &c, &e), ERR_INVAL,
             "control characters in a flag");
  TAP_OK(strstr(e.msg, "'-\xc3\xa9?\?'") != NULL,
         "control characters replaced: %s", oneline(e.msg));

  /* Values of 1 MB survive intact. */
  size_t len;
  char *s = filled("%%sql -o ", "\xc3\xa9", 1u << 19, "", &len);
  TAP_EQ_INT(magic_parse(s, PY, &c, &e), 0, "1 MB UTF-8 value parses");
  if (c) TAP_EQ_INT(strlen(magic_opt(c, "output")), 1u << 20, "value length");
  magic_cell_free(c);
  free(s);
}

/* ---------------------------------------------------------------------- */
/* Registry, usage, help, doc                                             */

static int has(const struct buf *b, const char *s) {
  return b->data && strstr(b->data, s) != NULL;
}

/* Every '<' in html opens or closes a tag the help table uses. */
static int html_tags_ok(const char *h) {
  static const char *const tags[] = {"table>", "/table>", "tr>", "/tr>",
                                     "th>",    "/th>",    "td>", "/td>",
                                     "pre>",   "/pre>",   "tt>", "/tt>",
                                     "br/>"};
  for (const char *p = strchr(h, '<'); p; p = strchr(p + 1, '<')) {
    int ok = 0;
    for (size_t i = 0; i < NELEM(tags); i++)
      if (strncmp(p + 1, tags[i], strlen(tags[i])) == 0) ok = 1;
    if (!ok) return 0;
  }
  return 1;
}

static void test_registry(void) {
  TAP_OK(magic_lookup("sql") && magic_lookup("sql")->id == MAGIC_SQL,
         "lookup sql");
  TAP_OK(magic_lookup("%%sql") == magic_lookup("sql"), "lookup with %%");
  TAP_OK(magic_lookup("%matplot") == magic_spec_by_id(MAGIC_MATPLOT),
         "lookup with %%");
  TAP_OK(magic_lookup("nope") == NULL, "unknown lookup");
  TAP_OK(magic_lookup(NULL) == NULL, "NULL lookup");
  TAP_EQ_STR(magic_spec_name(magic_lookup("%%configure")), "configure",
             "spec name");
  TAP_OK(magic_spec_name(NULL) == NULL, "NULL spec name");
  TAP_EQ_INT(magic_implicit(PY)->id, MAGIC_SPARK, "implicit python");
  TAP_EQ_INT(magic_implicit(SC)->id, MAGIC_SPARK, "implicit scala");
  TAP_EQ_INT(magic_implicit(SQ)->id, MAGIC_SQL, "implicit sql");
  for (int id = 0; id < MAGIC__COUNT; id++)
    TAP_OK(magic_spec_by_id((enum magic_id)id) != NULL, "id %d registered", id);
  TAP_OK(magic_lookup("_do_not_call_allow_retry_fatal")->flags &
             MAGIC_F_HIDDEN,
         "allow_retry_fatal is hidden");

  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  static const struct {
    const char *name, *first;
  } usages[] = {
    {"sql", "usage: %%sql [-o VAR] [-q] [-m METHOD] [-n MAXROWS] "
            "[-r FRACTION] [-c true|false]\n"},
    {"configure", "usage: %%configure [-f]\n"},
    {"delete", "usage: %%delete -f -s ID\n"},
    {"cleanup", "usage: %%cleanup -f\n"},
    {"send_to_spark", "usage: %%send_to_spark -i VAR [-t TYPE] [-n NAME] "
                      "[-m MAXROWS]\n"},
    {"matplot", "usage: %matplot VAR\n"},
    {"help", "usage: %%help\n"},
    {"spark", "usage: %%spark [-o VAR] [-q] [-m METHOD] [-n MAXROWS] "
              "[-r FRACTION] [-c spark|sql] [-e true|false] [-s NAME]\n"
              "       %%spark add -s NAME -l LANG -u URL"},
    {"_do_not_call_change_endpoint", "usage: %_do_not_call_change_endpoint "
                                     "-s URL [-u USER] [-p PASSWORD] "
                                     "[-t AUTH]\n"},
  };
  for (size_t i = 0; i < NELEM(usages); i++) {
    buf_reset(&b);
    TAP_EQ_INT(magic_usage(magic_lookup(usages[i].name), &b), 0, "usage rc");
    TAP_OK(b.data && strncmp(b.data, usages[i].first,
                             strlen(usages[i].first)) == 0,
           "usage of %s starts right: %s", usages[i].name, oneline(b.data));
  }
  buf_reset(&b);
  magic_usage(magic_lookup("sql"), &b);
  TAP_OK(has(&b, "-n, --maxrows MAXROWS") && has(&b, "default 2500") &&
             has(&b, "default_maxrows"),
         "usage lists options with defaults");
  TAP_EQ_INT(magic_usage(NULL, &b), ERR_INVAL, "usage of NULL");

  /* %%help: every visible magic, no hidden one; HTML escaped. */
  struct buf t, h;
  buf_init(&t, BUF_UNLIMITED);
  buf_init(&h, BUF_UNLIMITED);
  TAP_EQ_INT(magic_help(PY, &t, &h), 0, "help rc");
  for (size_t id = 0; id < MAGIC__COUNT; id++) {
    const struct magic_spec *s = magic_spec_by_id((enum magic_id)id);
    char cellname[64], htmlname[80];
    snprintf(cellname, sizeof cellname, "%s%s",
             (s->flags & MAGIC_F_CELL) ? "%%" : "%", s->name);
    snprintf(htmlname, sizeof htmlname, "<td>%s</td>", s->name);
    if (s->flags & MAGIC_F_HIDDEN) {
      TAP_OK(!has(&t, s->name) && !has(&h, s->name), "help hides %s", s->name);
    } else {
      TAP_OK(has(&t, cellname), "help text has %s", cellname);
      TAP_OK(has(&h, htmlname), "help html has %s", s->name);
    }
  }
  TAP_OK(has(&t, "runs as %%spark"), "help names the implicit magic");
  TAP_OK(has(&h, "<table>") && has(&h, "</table>"), "help html is a table");
  TAP_OK(html_tags_ok(h.data), "help html escapes everything");
  TAP_OK(has(&h, "session&#39;s") && !has(&h, "session's"),
         "apostrophes are escaped");
  TAP_OK(has(&h, "[-c true|false]"), "flags in the html");
  buf_reset(&t);
  TAP_EQ_INT(magic_help(SQ, &t, NULL), 0, "help text only");
  TAP_OK(has(&t, "runs as %%sql"), "SQL flavour implicit magic");
  TAP_OK(has(&t, "PySpark sessions only"), "matplot note outside PySpark");
  buf_reset(&h);
  TAP_EQ_INT(magic_help(PY, NULL, &h), 0, "help html only");

  /* magic_doc: paragraph, usage and an example, for every magic; every
   * example parses as the magic it documents. */
  for (size_t id = 0; id < MAGIC__COUNT; id++) {
    const struct magic_spec *s = magic_spec_by_id((enum magic_id)id);
    buf_reset(&b);
    TAP_EQ_INT(magic_doc(s->name, &b), 0, "doc rc");
    TAP_OK(has(&b, s->doc) && has(&b, "usage: ") && has(&b, "Example:\n"),
           "doc of %s has paragraph, usage, example", s->name);
    struct magic_cell *c;
    struct err e;
    int rc = magic_parse(s->example, PY, &c, &e);
    TAP_OK(rc == 0 && c->spec == s, "example of %s parses (%s)", s->name,
           oneline(rc ? e.msg : "ok"));
    if (!rc) magic_cell_free(c);
  }
  buf_reset(&b);
  TAP_EQ_INT(magic_doc("%%sql", &b), 0, "doc with %% signs");
  TAP_OK(has(&b, "%%sql: ") && has(&b, "samplemethod"), "doc of sql");
  TAP_EQ_INT(magic_doc("%%nope", &b), ERR_NOTFOUND, "doc of unknown magic");
  buf_fini(&b);
  buf_fini(&t);
  buf_fini(&h);
}

/* ---------------------------------------------------------------------- */
/* Completion                                                             */

struct comp_case {
  const char *cell;
  long cursor; /* -1: end of cell */
  const char *want; /* matches joined by ',' ("" = none) */
  long start, end;  /* -1: don't check */
};

static const struct comp_case comps[] = {
  {"%%s", -1, "%%sql,%%spark,%%send_to_spark", 0, 3},
  {"%%sq -q", 4, "%%sql", 0, 4},
  {"%ma", -1, "%matplot", 0, 3},
  {"%%ma", -1, "", -1, -1},
  {"%%con", -1, "%%configure", 0, 5},
  {"%%_do_not_call_s", -1, "%%_do_not_call_start_session", 0, 16},
  {"%%", -1, "%%help,%%info,%%configure,%%sql,%%spark,%%send_to_spark,"
             "%%logs,%%delete,%%cleanup,%%pretty,%%local", 0, 2},
  {"# c\n%%he", -1, "%%help", 4, 8},
  {"%%sql --out", -1, "--output", 6, 11},
  {"%%sql --sample", -1, "--samplemethod,--samplefraction", 6, 14},
  {"%%sql -", -1, "--output,--quiet,--samplemethod,--maxrows,"
                  "--samplefraction,--coerce", 6, 7},
  {"%%sql -q", -1, "-q", 6, 8},
  {"%%sql -z", -1, "", -1, -1},
  {"%%sql -m ", -1, "take,sample", 9, 9},
  {"%%sql -m t", -1, "take", 9, 10},
  {"%%sql --samplemethod s", -1, "sample", 21, 22},
  {"%%sql --samplemethod=s", -1, "--samplemethod=sample", 6, 22},
  {"%%sql -c ", -1, "true,false", 9, 9},
  {"%%sql -o ", -1, "", -1, -1},
  {"%%spark ", -1, "add,info,config,delete,cleanup,logs", 8, 8},
  {"%%spark c", -1, "config,cleanup", 8, 9},
  {"%%spark add -l ", -1, "python,scala,r", 15, 15},
  {"%%spark add --", -1, "--session,--language,--url,--auth,--user,"
                         "--password,--skip", 12, 14},
  {"%%spark -c ", -1, "spark,sql,true,false", 11, 11},
  {"%%send_to_spark -i x -t ", -1, "str,df", 24, 24},
  {"%%_do_not_call_change_language -l s", -1, "scala,sql", 34, 35},
  {"%%sql\nSEL", -1, "", -1, -1},
  {"print(1)", 3, "", -1, -1},
  {"%%foo -", -1, "", -1, -1},
  {"%%local pri", -1, "", -1, -1},
  {"", 0, "", -1, -1},
  {"%%sql", 999, "%%sql", 0, 5},
};

static void test_completion(void) {
  for (size_t i = 0; i < NELEM(comps); i++) {
    const struct comp_case *k = &comps[i];
    size_t cur = k->cursor < 0 ? strlen(k->cell) : (size_t)k->cursor;
    char **m;
    size_t n, st, en;
    int rc = magic_complete(k->cell, cur, &m, &n, &st, &en);
    struct buf got;
    buf_init(&got, BUF_UNLIMITED);
    for (size_t j = 0; j < n; j++) {
      if (j) buf_putc(&got, ',');
      buf_puts(&got, m[j]);
    }
    TAP_OK(rc == 0, "complete %zu rc", i);
    TAP_EQ_STR(got.data ? got.data : "", k->want, oneline(k->cell));
    if (n == 0) TAP_OK(m == NULL, "no matches -> NULL array");
    if (k->start >= 0) {
      TAP_EQ_INT(st, k->start, "cursor_start");
      TAP_EQ_INT(en, k->end, "cursor_end");
    }
    buf_fini(&got);
    magic_matches_free(m, n);
  }
}

int main(void) {
  test_routing();
  test_options();
  test_subcommands_and_positionals();
  test_set_default();
  test_errors();
  test_secrets_not_echoed();
  test_redact_line();
  test_hostile();
  test_registry();
  test_completion();
  return tap_done();
}
