/* magic.h: the cell-magic registry and parser (magics layer).
 *
 * Every cell the kernel executes goes through magic_parse first. It decides,
 * like sparkmagic's UserCodeParser, whether the cell is plain code (sent to
 * Spark as the implicit %%spark, or %%sql in the SQL flavour) or starts with a
 * magic, and turns the magic line into (magic, flags, positionals, body).
 * Everything sparkmagic validates on the magic line itself is validated here,
 * with sparkmagic's wording where it has one; what needs a session (does
 * session 3 exist?) is the kernel's business.
 *
 * Routing (compat doc 1.2), with one documented Kindling improvement:
 *   - leading blank lines and lines holding only a comment ("#", "--" or
 *     "//" after optional blanks) are skipped when looking for the magic line
 *     (sparkmagic sends such cells to Spark as code). If no magic line follows
 *     them, the whole cell, comments included, is plain code.
 *   - the magic line may be indented.
 *   - "%X" line forms of info, logs, cleanup, delete, help, spark and
 *     send_to_spark behave as their "%%X" cell forms (sparkmagic rewrites
 *     them); the rest of the cell after the first line is their body.
 *   - %%local / %local: everything after the magic name (same line or the
 *     following lines, leading blanks skipped) is the body, run locally.
 *   - an empty cell is plain code with an empty body; callers treat a body that
 *     is only blanks as a no-op.
 *
 * The -c clash of %%spark. sparkmagic has two %%spark magics: the wrapper
 * kernel's (-o -m -n -r -c where -c is --coerce) and the IPython extension's
 * (-s NAME -c spark|sql where -c is --context and coerce is -e). Kindling
 * accepts both on one magic: "-c spark" and "-c sql" (any case) set --context,
 * any other value of -c must be a coerce value and sets --coerce. --context,
 * --coerce and -e are unambiguous. The IPython form's subcommands (add, info,
 * config, delete, cleanup, logs) must be the first word after %%spark.
 *
 * Flags are parsed like argparse through IPython's magic_arguments: "-n 10",
 * "-n10", "-n=10", "--maxrows 10", "--maxrows=10" and unique long prefixes
 * ("--max 10"); a repeated flag keeps its last value; values are split and
 * quoted like a POSIX shell ('...' literal, "..." with \" and \\ escapes, \x
 * outside quotes); a value that starts with '-' must be quoted unless it is a
 * number ("-n -1" works). Boolean flags take no value.
 *
 * Errors carry ename "UsageError" (unknown magic, bad flag, missing value or
 * required flag, wrong form, body given to a magic that takes none), and
 * err.line/err.column point at the offending token in the cell (1-based,
 * column in code points). Option value messages are sparkmagic's own
 * ("maxrows (-n) must be an integer"). Tokens echoed in messages are capped
 * and made valid UTF-8, and the value of a secret flag (-p) is never echoed. */
#ifndef KINDLING_MAGIC_H
#define KINDLING_MAGIC_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/* Kernel flavour: decides the implicit magic of plain code. */
enum magic_lang { MAGIC_LANG_PYTHON, MAGIC_LANG_SCALA, MAGIC_LANG_SQL };

/* How the cell was written: plain code, "%%x" or "%x". */
enum magic_form { MAGIC_FORM_CODE, MAGIC_FORM_CELL, MAGIC_FORM_LINE };

/* Stable identity of each registered magic, so callers switch on it instead
 * of comparing names. */
enum magic_id {
  MAGIC_CONFIGURE,
  MAGIC_INFO,
  MAGIC_SQL,
  MAGIC_SPARK,
  MAGIC_LOGS,
  MAGIC_DELETE,
  MAGIC_CLEANUP,
  MAGIC_HELP,
  MAGIC_SEND_TO_SPARK,
  MAGIC_PRETTY,
  MAGIC_MATPLOT,
  MAGIC_LOCAL,
  MAGIC_CHANGE_ENDPOINT,   /* %_do_not_call_change_endpoint */
  MAGIC_START_SESSION,     /* %%_do_not_call_start_session */
  MAGIC_DELETE_SESSION,    /* %%_do_not_call_delete_session */
  MAGIC_CHANGE_LANGUAGE,   /* %%_do_not_call_change_language */
  MAGIC_ALLOW_RETRY_FATAL, /* %%_do_not_call_allow_retry_fatal */
  MAGIC__COUNT
};

/* Value type of an option. */
enum magic_type {
  MAGIC_T_BOOL,     /* flag without a value: magic_opt gives "1" or NULL */
  MAGIC_T_STR,      /* any string, "" allowed */
  MAGIC_T_INT,      /* decimal integer that fits a long, sign allowed */
  MAGIC_T_FRACTION, /* float in [0.0, 1.0] */
  MAGIC_T_CHOICE,   /* one of ->choices, case-insensitive; stored as listed */
  MAGIC_T_TRUTH     /* yes/true/t/y/1/on -> "true",
                       no/false/f/n/0/off -> "false" */
};

/* Option flags. */
#define MAGIC_OPT_REQUIRED 0x1u /* the flag must be given */
#define MAGIC_OPT_SECRET 0x2u   /* never echo the value (passwords) */
#define MAGIC_OPT_CHECKED 0x4u  /* required, but checked by the command's
                                   check callback with its own message */

/* One flag of a magic (read-only registry data). */
struct magic_option {
  char short_name;          /* 'o' for -o, 0 if there is none */
  const char *long_name;    /* "output" for --output; the key for magic_opt */
  enum magic_type type;     /* how the value is checked and normalised */
  const char *metavar;      /* "VAR" in the usage, NULL for booleans */
  const char *choices;      /* "take|sample" for MAGIC_T_CHOICE, else NULL */
  const char *def;          /* built-in default as text, NULL = none */
  const char *conf_key;     /* config.json key that overrides def, or NULL */
  const char *def_from;     /* default is another option's value ("input") */
  unsigned flags;           /* MAGIC_OPT_* */
  const char *help;         /* one line for the usage */
  const char *bad_value;    /* message when the value is invalid, "{}" is
                               replaced by the value; NULL = generic */
  const char *alt;          /* long name of the option that takes the value
                               when it is invalid for this one (%%spark -c) */
};

struct magic_cell;

/* A command: the magic itself (name NULL) or one of its subcommands. */
struct magic_cmd {
  const char *name;                   /* "add" for "%%spark add", else NULL */
  const struct magic_option *opts;    /* flags, nopts entries */
  size_t nopts;
  const char *posname;                /* positional metavar, NULL = none */
  size_t minpos, maxpos;              /* positional count bounds */
  const char *summary;                /* one line, for usage and %%help */
  /* Extra validation after all flags are read (e.g. %%delete needs -f), or
   * NULL. Returns 0 or an ERR_* code with e filled. */
  int (*check)(const struct magic_cell *c, struct err *e);
};

/* Spec flags. */
#define MAGIC_F_CELL 0x1u        /* "%%name" allowed */
#define MAGIC_F_LINE 0x2u        /* "%name" allowed */
#define MAGIC_F_HIDDEN 0x4u      /* not in %%help, not completed */
#define MAGIC_F_BODY_EMPTY 0x8u  /* the body must be blank */
#define MAGIC_F_RAW 0x10u        /* %%local: the rest of the cell is the body */

/* Registry entry (read-only). cmds[0] is the magic itself; further entries
 * are its subcommands. */
struct magic_spec {
  enum magic_id id;
  const char *name;              /* "sql" */
  unsigned flags;                /* MAGIC_F_* */
  const struct magic_cmd *cmds;  /* ncmds >= 1 */
  size_t ncmds;
  const char *summary;           /* one line for %%help */
  const char *doc;               /* paragraph for inspect (sparkmagic-like) */
  const char *example;           /* a complete example cell */
};

struct magic_val; /* private: one option's value in a parsed cell */

/* Result of magic_parse (caller frees with magic_cell_free). */
struct magic_cell {
  enum magic_form form;          /* as written */
  const struct magic_spec *spec; /* resolved; the implicit one for code */
  char *name;                    /* as written without % ("sql"); "spark" or
                                    "sql" for plain code */
  char *body;                    /* text after the magic line; for plain code
                                    the whole cell */
  int body_line;                 /* 1-based line where body starts */
  int magic_line;                /* 1-based line of the magic, 0 for code */
  /* Private: use the accessors below. */
  int name_column;               /* column of the magic's first '%' */
  const struct magic_cmd *cmd;   /* resolved command (subcommand or cmds[0]) */
  struct magic_val *vals;        /* cmd->nopts entries */
  char **pos;                    /* positionals after the subcommand */
  size_t npos;
};

/* Parse a cell (NUL-terminated). On success *out is a new cell (caller frees)
 * and 0 is returned; on failure *out is NULL and an ERR_* code is returned
 * with e filled (ERR_INVAL + ename "UsageError" for user mistakes, ERR_NOMEM).
 * Never fails for plain code. */
int magic_parse(const char *cell, enum magic_lang lang, struct magic_cell **out,
                struct err *e);
/* Same for a cell of len bytes that may contain NUL bytes (rejected with a
 * UsageError pointing at the first one). */
int magic_parse_n(const char *cell, size_t len, enum magic_lang lang,
                  struct magic_cell **out, struct err *e);
/* Free a parsed cell; NULL is a no-op. */
void magic_cell_free(struct magic_cell *c);

/* The value of option long_name (e.g. "maxrows"): the value given, else the
 * default set by magic_cell_set_default, else the registry default (or the
 * value of its def_from option), else NULL. Boolean flags give "1" or NULL.
 * CHOICE and TRUTH values come back normalised ("take", "true"). Borrowed,
 * valid until the cell is freed. NULL for an option the command lacks. */
const char *magic_opt(const struct magic_cell *c, const char *long_name);
/* 1 if the flag was written in the cell, else 0. */
int magic_opt_given(const struct magic_cell *c, const char *long_name);
/* Replace the default of option long_name for this cell (used by
 * smconf_apply_defaults for config keys such as default_maxrows). The value
 * is validated like a typed value; returns 0, ERR_NOTFOUND if the command has
 * no such option, ERR_INVAL (e filled, sparkmagic's message) or ERR_NOMEM. */
int magic_cell_set_default(struct magic_cell *c, const char *long_name,
                           const char *value, struct err *e);

/* Positional arguments (%matplot plt -> "plt"); the %%spark subcommand is not
 * one of them (see magic_subcommand). magic_pos returns NULL past the end. */
size_t magic_npos(const struct magic_cell *c);
const char *magic_pos(const struct magic_cell *c, size_t i);
/* "add", "info", "config", "delete", "cleanup", "logs" for %%spark
 * subcommands, else NULL. */
const char *magic_subcommand(const struct magic_cell *c);
/* Shorthand for c->spec->id. */
enum magic_id magic_cell_id(const struct magic_cell *c);

/* Registry lookups. name may carry leading % signs. NULL if unknown. */
const struct magic_spec *magic_lookup(const char *name);
const struct magic_spec *magic_spec_by_id(enum magic_id id);
const char *magic_spec_name(const struct magic_spec *s);
/* The implicit magic of plain code for a kernel flavour. */
const struct magic_spec *magic_implicit(enum magic_lang lang);

/* Append the usage of s to out: the synopsis ("usage: %%sql [-o VAR] [-q]
 * ..."), one synopsis per subcommand, then one line per option with its
 * default. Returns 0 or a buf error. */
int magic_usage(const struct magic_spec *s, struct buf *out);
/* %%help: append a text table (text) and an HTML table (html, everything
 * escaped) of every visible magic with its flags and summary. Either buffer
 * may be NULL. */
int magic_help(enum magic_lang lang, struct buf *text, struct buf *html);
/* Long documentation for inspect_request: paragraph, usage and an example.
 * name may carry % signs. ERR_NOTFOUND if unknown. */
int magic_doc(const char *name, struct buf *out);

/* What a secret value is replaced with wherever a magic line is echoed. */
#define MAGIC_REDACTED "********"

/* A copy of line[0..n) (one line of a cell, without its newline) that is
 * safe to echo in an error, a traceback or a log: when it is a magic line,
 * the value of each secret flag (-p/--password, attached or the next word;
 * also a secret flag the command lacks, or a misspelt one such as
 * --passwd) and whatever follows '=' in an unrecognised long flag become
 * MAGIC_REDACTED. Any other line comes back unchanged. When column is not
 * NULL, *column (1-based, in code points, like err.column) is moved to the
 * same place in the copy. New string (caller frees); NULL only when out of
 * memory. */
char *magic_redact_line(const char *line, size_t n, int *column);

/* Completion inside the magic line. cursor is a byte offset into cell
 * (clamped). On success *matches is a new array of *n new strings (caller
 * frees each and the array; NULL when *n is 0) replacing the byte range
 * [*start, *end). Completes magic names (with their % signs), %%spark
 * subcommands, flags ("--output") and choice values ("take"). Returns 0 with
 * *n = 0 when there is nothing to offer (plain code: ask the backend), or
 * ERR_NOMEM. */
int magic_complete(const char *cell, size_t cursor, char ***matches, size_t *n,
                   size_t *start, size_t *end);
/* Free a match array returned by magic_complete. */
void magic_matches_free(char **matches, size_t n);

#endif
