/* engine.h: the local SQL engine's driver -- a Spark session in C.
 *
 * An engine owns a catalog (tables, views, cache flags), the session's
 * configuration (spark.* keys) and, once the first distributed job runs, a
 * cluster of executors (engine/cluster/cluster.h). engine_sql runs a script
 * of Spark SQL statements: DDL and SET in the driver; queries are parsed,
 * analyzed, optimized, cut into stages and run as a job on the executors.
 *
 * Execution modes (the `master`, as spark-submit spells it):
 *   local[N] / local[*]      -- N task threads inside the driver process
 *   local-cluster[E,C,M]     -- E executor processes with C cores and M MiB
 *   (none)                   -- spark.executor.instances executor processes
 *                               (default 2) with spark.executor.cores each
 * Queries that read no table (SELECT 1) are answered by the driver alone.
 *
 * Executors re-plan each job from its description (the statement's SQL text,
 * the catalog as JSON, the planning configuration and the values of scalar
 * subqueries), which the planning layers guarantee to be deterministic.
 *
 * Thread safety: one thread calls engine_sql at a time; engine_cancel may be
 * called from any thread. */
#ifndef KINDLING_ENGINE_ENGINE_H
#define KINDLING_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/source/readopt.h"
#include "engine/vec/batch.h"
#include "engine/vec/schema.h"

struct engine;

/* The outcome of one statement. Statements that return rows (queries, SHOW
 * TABLES, DESCRIBE, EXPLAIN, SET) have a schema and batches; DDL has none
 * (schema.ncols == 0). */
struct engine_result {
  struct schema schema;
  struct batch **batches; /* owned */
  int nbatches;
  int64_t nrows;
  double elapsed_ms;
  char *statement;        /* the statement's text (owned) */
};

void engine_result_free(struct engine_result *r);

struct engine_progress {
  const char *stage;      /* "Stage 1: HashAggregate" */
  int stage_id, nstages;
  int done, running, total;
  int64_t rows, spill_bytes;
  double elapsed_ms;      /* since the job started */
};

struct engine_callbacks {
  void (*progress)(void *arg, const struct engine_progress *p);
  void (*event)(void *arg, const char *message); /* warnings: retries, lost executors */
  void *arg;
};

/* New engine. master may be NULL (see above); conf[0..n) are spark.* keys
 * (borrowed, copied) applied as if by SET before anything runs: the
 * session-start settings, which RESET restores (all, or one key). exe is the
 * path of the kindling binary (for executor processes). Returns 0 or an
 * error (bad master string or conf value, naming it). */
int engine_new(struct engine **out, const char *master, const struct readopt_kv *conf, int n,
               const char *exe, struct err *e);

/* Stop executors (reaping them) and free everything. NULL allowed. */
void engine_free(struct engine *en);

/* Run every statement of sql[0..len). *results receives a new array (free
 * each with engine_result_free, then the array with free) of one result per
 * statement run. On an error the statements before it keep their results,
 * the error is returned with e filled (SQL errors keep line/column relative
 * to sql), and later statements do not run. cb may be NULL. */
int engine_sql(struct engine *en, const char *sql, size_t len, const struct engine_callbacks *cb,
               struct engine_result ***results, int *nresults, struct err *e);

/* Cancel the running statement (any thread). */
void engine_cancel(struct engine *en);

/* The value of a configuration key as the session sees it, or NULL. */
const char *engine_conf_get(const struct engine *en, const char *key);

/* Executor state for %%info (JSON), appended to out. */
int engine_describe(struct engine *en, struct buf *out);

/* Fault injection for tests: SIGKILL executor `index` after `delay_ms`
 * of the next job. */
void engine_test_kill_executor(struct engine *en, int index, int delay_ms);

/* Entry point of `kindling executor ...` (an executor process). */
int engine_executor_main(int argc, char **argv);

/* Render a result as an aligned text table (spark-sql style, `+---+` grid
 * when grid is 1, tab-separated otherwise), CSV (with header) or JSON lines
 * (`format` "table" | "tsv" | "csv" | "json"). */
int engine_result_format(const struct engine_result *r, const char *format, struct buf *out);

#endif
