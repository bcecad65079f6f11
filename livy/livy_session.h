/* livy_session.h: a Spark session on an Apache Livy server, behind the
 * struct session interface (common/session.h).
 *
 * Protocol facts this relies on (livy-protocol.md): a new session is polled
 * with GET /sessions/{id} until idle (starting, not_started, recovering,
 * busy are transient; error, dead, killed, success are final); statements
 * are polled themselves, never inferred from the session state; cancel is
 * POST .../statements/{sid}/cancel and may take up to 30 s on the server;
 * 404 on a session means it was deleted or expired. */
#ifndef KINDLING_LIVY_SESSION_H
#define KINDLING_LIVY_SESSION_H

#include <jansson.h>

#include "common/session.h"
#include "livy/livy_http.h"

struct livy_session_opts {
  struct livy_http_conf http;     /* endpoint and HTTP policy (copied) */
  double startup_timeout;         /* livy_session_startup_timeout_seconds */
  double heartbeat_refresh;       /* heartbeat_refresh_seconds, 0 = off */
  double heartbeat_retry;         /* heartbeat_retry_seconds */
  int heartbeat_timeout;          /* livy_server_heartbeat_timeout_seconds (session body) */
  double wait_for_idle;           /* wait_for_idle_timeout_seconds after a cancel (<= 0: 15) */
};

/* New, not yet started Livy session of the given kind. NULL on ERR_NOMEM
 * (e filled). */
struct session *livy_session_new(const struct livy_session_opts *opts, enum session_kind kind,
                                 struct err *e);
/* The Livy session id of a started session, -1 otherwise. */
int livy_session_id(const struct session *s);
/* The endpoint's base URL, without trailing '/' (borrowed, lives as long
 * as s). */
const char *livy_session_url(const struct session *s);
/* 1 when the server reported the session gone (404, dead, killed): the
 * kernel starts a new one on the next cell. */
int livy_session_lost(const struct session *s);

/* Endpoint-wide operations (no session needed). */
/* GET /sessions: a new JSON array of Session objects. */
int livy_list_sessions(struct livy_http *h, json_t **sessions, struct err *e);
/* DELETE /sessions/{id}. A 404 is ERR_NOTFOUND (ename "SessionNotFound",
 * the message names the id and the endpoint): user-facing deletes report it,
 * shutdown and cleanup paths ignore it. */
int livy_delete_session(struct livy_http *h, int id, struct err *e);

/* The Livy statement kind for a session kind ("pyspark", "spark", "sql",
 * "sparkr"). */
const char *livy_kind_name(enum session_kind kind);
/* Code that runs query on a session of kind (PySpark, Scala or SparkR) and
 * prints one JSON object {"schema": StructType JSON, "rows": [[...]] (Scala:
 * "records": [{...}]), "total": N} on stdout, honouring opts' -n/-m/-r; with
 * opts->df_var, query is a DataFrame variable of the session's language.
 * Returns a new string (caller frees), NULL on OOM. query is borrowed. */
char *livy_sql_code(enum session_kind kind, const char *query,
                    const struct session_sql_opts *opts);

/* %%send_to_spark: code that binds name in a session of kind to str_value
 * (a string) when it is not NULL, else to a DataFrame (SparkR: a
 * SparkDataFrame) of the first maxrows rows (all when < 0) of the table
 * (schema, rows), with the table's column types. name must be a valid
 * identifier (the caller checks). New string, or NULL on OOM or a table
 * without columns. Arguments are borrowed. */
char *livy_send_code(enum session_kind kind, const char *name, const json_t *schema,
                     const json_t *rows, long long maxrows, const char *str_value);

#endif
