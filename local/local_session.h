/* local_session.h: the local-engine backend of the session interface
 * (common/session.h): a `kindling driver` child process running the bundled
 * engine, which in turn runs executor processes.
 *
 * The driver is a separate process so that nothing the engine does can take
 * the kernel down; it dies with the kernel (PR_SET_PDEATHSIG), and its
 * executors die with it, so even a SIGKILLed kernel leaves no process behind.
 * Each session has its own scratch directory and ipc endpoint, so two
 * kernels on one machine never share ports or files.
 *
 * Configuration: the Livy-style session body of %%configure maps to Spark
 * settings: numExecutors -> spark.executor.instances, executorCores ->
 * spark.executor.cores, executorMemory -> spark.executor.memory,
 * driverMemory -> spark.driver.memory, and every key of "conf" as given. */
#ifndef KINDLING_LOCAL_SESSION_H
#define KINDLING_LOCAL_SESSION_H

#include "common/err.h"
#include "common/session.h"

/* New local session (not started). exe: the kindling binary. NULL with e
 * filled on OOM. */
struct session *local_session_new(const char *exe, enum session_kind kind, struct err *e);

/* Register the table (schema, rows) as the temporary view name of a started
 * local session s: the rows are written as JSON lines under the session's
 * scratch directory and read with the table's column types. Used for
 * %%sql -o VAR results and %%send_to_spark. Arguments are borrowed; o shows
 * nothing for this quick job. */
int local_session_register(struct session *s, const char *name, const json_t *schema,
                           const json_t *rows, struct out *o, struct err *e);

#endif
