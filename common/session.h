/* session.h: the one interface every Spark backend implements.
 *
 * The kernel talks to "a Spark session" through struct session_ops; a Livy
 * session (livy/) and a local-engine session (engine/) plug in behind it.
 * Backends never see the Jupyter wire: they report through struct out, a
 * sink the kernel implements (stream text, rich displays updated in place,
 * results, input prompts, and the interrupt flag).
 *
 * Threading: every op except cancel runs on the kernel's shell thread.
 * cancel() is called from the control thread while execute()/sql()/start()
 * may be running, so it must only set flags or issue an independent request.
 *
 * Lifecycle: new (not started) -> start() -> execute()/sql()... -> stop() ->
 * free(). A backend starts lazily: the kernel calls start() before the first
 * statement, never for silent executions. */
#ifndef KINDLING_SESSION_H
#define KINDLING_SESSION_H

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"

/* ---- output sink ------------------------------------------------------ */

struct out_ops {
  /* Append text to stdout ("stdout") or stderr ("stderr"). */
  void (*stream)(void *ctx, const char *name, const char *text);
  /* Show a MIME bundle (borrowed). With display_id non-NULL the output can
   * later be replaced by display() with update = 1 and the same id. */
  void (*display)(void *ctx, json_t *data, const char *display_id, int update);
  /* The cell's result value (execute_result); data is borrowed. */
  void (*result)(void *ctx, json_t *data);
  /* Clear the cell's output (wait: until new output arrives). */
  void (*clear)(void *ctx, int wait);
  /* 1 once the user asked to interrupt the running cell. */
  int (*interrupted)(void *ctx);
  /* Ask the user for a line of input. Returns ERR_UNSUPPORTED when the
   * frontend does not allow stdin, ERR_CANCELLED on interrupt; *value is
   * new (caller frees). */
  int (*input)(void *ctx, const char *prompt, int password, char **value, struct err *e);
};

struct out {
  const struct out_ops *ops;
  void *ctx;
};

/* ---- result tables ---------------------------------------------------- */

/* A query result: Spark's StructType JSON plus rows as JSON arrays, with the
 * number of rows the query produced before -n/-m cut it (total < 0 when
 * unknown). Values keep their types: numbers as JSON numbers, decimals,
 * dates and timestamps as strings in Spark's text form. */
struct table {
  json_t *schema; /* {"type":"struct","fields":[{"name","type","nullable"}...]} */
  json_t *rows;   /* [[v, v, ...], ...] */
  long long total;
  double elapsed; /* seconds, wall clock */
  struct table *earlier; /* results of the cell's earlier statements (a cell of
                            several statements), shown first; owned, may be NULL */
};

void table_free(struct table *t);

/* Append schema's columns as Spark DDL ("`a` INT, `b` DECIMAL(12,2)") to out.
 * Nested types become STRING. ERR_INVAL when there are no columns, else 0 or
 * ERR_NOMEM. schema is borrowed. */
int table_ddl(const json_t *schema, struct buf *out);
/* Append name as a Spark SQL identifier in backticks (a backtick doubled).
 * 0 or ERR_NOMEM/ERR_TOOBIG. */
int table_put_ident(struct buf *out, const char *name);
/* The first maxrows rows (all when < 0) as JSON objects keyed by column name,
 * NULLs left out as Spark's toJSON does and nested values as JSON text: a new
 * array, NULL on OOM. Arguments are borrowed. */
json_t *table_records(const json_t *schema, const json_t *rows, long long maxrows);

/* A fresh display id ("kd-<uuid>") for an output that is later updated in
 * place with update_display_data. */
void session_display_id(char out[48]);

/* ---- sessions --------------------------------------------------------- */

enum session_kind { SESSION_PYSPARK, SESSION_SPARK, SESSION_SQL, SESSION_SPARKR };

enum session_sample { SESSION_SAMPLE_TAKE, SESSION_SAMPLE_SAMPLE };

struct session_sql_opts {
  long long maxrows;           /* < 0: all rows */
  enum session_sample method;
  double fraction;             /* for SESSION_SAMPLE_SAMPLE */
  int df_var;                  /* the query is the name of a DataFrame variable
                                  of the session's language (%%spark -o), not
                                  SQL; only Livy sessions support it */
};

struct session;

struct session_ops {
  const char *backend; /* "livy" or "local" */
  /* Start with conf (borrowed Livy-style session body). Shows progress
   * through o. */
  int (*start)(struct session *s, json_t *conf, struct out *o, struct err *e);
  /* Run code of the given kind; output goes to o. A failure of the user's
   * code is ERR_REMOTE with e->ename and e->msg set (traceback lines in
   * *traceback, a new JSON array or NULL). */
  int (*execute)(struct session *s, enum session_kind kind, const char *code, struct out *o,
                 json_t **traceback, struct err *e);
  /* Run a SQL query and return its typed result (*t new, caller frees). */
  int (*sql)(struct session *s, const char *query, const struct session_sql_opts *opts,
             struct out *o, struct table **t, json_t **traceback, struct err *e);
  /* Ask the running statement to stop; see the threading note above. */
  int (*cancel)(struct session *s);
  /* Describe the session: new JSON object with at least id, appId, kind,
   * state, sparkUiUrl, driverLogUrl (null where unknown). */
  json_t *(*info)(struct session *s);
  /* Append the session's logs to out. */
  int (*logs)(struct session *s, struct buf *out, struct err *e);
  /* Stop the session and release remote resources; bounded in time. */
  int (*stop)(struct session *s, struct err *e);
  void (*free)(struct session *s);
  /* Code completion at cursor (code points) of code: *candidates is a new
   * array of strings that replace the identifier ending at the cursor. NULL
   * when the backend cannot complete. Bounded to about a second: a frontend
   * asks on every Tab. */
  int (*complete)(struct session *s, const char *code, size_t cursor, json_t **candidates,
                  struct err *e);
};

struct session {
  const struct session_ops *ops;
  enum session_kind kind;
  int started;   /* start() succeeded and stop() not yet called */
};

#endif
