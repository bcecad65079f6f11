/* csv_bench.c: throughput probe for the CSV reader (not a test).
 *
 * Reads one file completely with every column typed and prints the row
 * count and MB/s. The schema is given as DDL (as in CREATE TABLE) or, when
 * omitted, inferred. The file is cut into byte ranges that THREADS threads
 * read in parallel, the way the engine's scan tasks do.
 *
 *   csv_bench FILE [DDL] [-t THREADS] [-n] [-s SPLIT_MB]
 *     -n  the file has no header line */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/source/csv.h"
#include "engine/source/path.h"

struct job {
  const char *path;
  const struct schema *schema;
  const struct csv_options *o;
  const struct path_splits *splits;
  int *proj;
  int next; /* shared split cursor */
  pthread_mutex_t mu;
  int64_t rows;
  int rc;
  struct err err;
};

static void *worker(void *arg) {
  struct job *j = arg;
  int64_t rows = 0;
  for (;;) {
    pthread_mutex_lock(&j->mu);
    int k = j->next++;
    pthread_mutex_unlock(&j->mu);
    if (k >= j->splits->n) break;
    struct csv_reader *r;
    struct err e;
    err_clear(&e);
    int rc = csv_reader_open(&r, j->path, j->splits->s[k].start, j->splits->s[k].end, j->schema,
                             j->proj, j->schema->ncols, j->o, &e);
    struct batch *b;
    if (rc == 0)
      while ((rc = csv_reader_next(r, &b, &e)) == 1) rows += b->nrows;
    csv_reader_close(r);
    if (rc < 0) {
      pthread_mutex_lock(&j->mu);
      j->rc = rc;
      j->err = e;
      pthread_mutex_unlock(&j->mu);
      break;
    }
  }
  pthread_mutex_lock(&j->mu);
  j->rows += rows;
  pthread_mutex_unlock(&j->mu);
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *file = NULL, *ddl = NULL;
  int threads = 1, header = 1;
  int64_t split_mb = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-s") && i + 1 < argc) split_mb = atoll(argv[++i]);
    else if (!strcmp(argv[i], "-n")) header = 0;
    else if (!file) file = argv[i];
    else ddl = argv[i];
  }
  if (!file || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: csv_bench FILE [DDL] [-t THREADS] [-n] [-s SPLIT_MB]\n");
    return 2;
  }
  struct err e;
  err_clear(&e);
  struct readopt_kv kv[2] = {{"header", header ? "true" : "false"}, {"inferSchema", "true"}};
  struct csv_options o;
  struct path_list files;
  struct schema s;
  schema_init(&s);
  if (csv_options_parse(&o, kv, 2, &e) || path_expand((const char *const *)&file, 1, &files, &e)) {
    fprintf(stderr, "csv_bench: %s\n", e.msg);
    return 1;
  }
  double t0 = now();
  if (ddl ? schema_parse_ddl(ddl, &s, &e) : csv_infer_schema(&files, &o, &s, &e)) {
    fprintf(stderr, "csv_bench: %s\n", e.msg);
    return 1;
  }
  double t_infer = now() - t0;
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  schema_to_ddl(&s, &b);
  printf("schema: %s\n", b.data);
  buf_fini(&b);
  int64_t split = split_mb > 0 ? split_mb << 20
                               : path_max_split_bytes(&files, PATH_DEFAULT_MAX_PARTITION_BYTES,
                                                      PATH_DEFAULT_OPEN_COST_BYTES, threads);
  struct path_splits splits;
  if (path_plan_splits(&files, split, 1, &splits)) return 1;
  struct job j;
  memset(&j, 0, sizeof j);
  pthread_mutex_init(&j.mu, NULL);
  j.path = files.files[0].path;
  j.schema = &s;
  j.o = &o;
  j.splits = &splits;
  j.proj = malloc(sizeof(int) * (size_t)(s.ncols ? s.ncols : 1));
  for (int i = 0; i < s.ncols; i++) j.proj[i] = i;
  pthread_t tid[64];
  t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, &j);
  for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  double dt = now() - t0;
  if (j.rc) {
    fprintf(stderr, "csv_bench: %s\n", j.err.msg);
    return 1;
  }
  double mb = (double)files.files[0].size / 1e6;
  printf("rows %lld  bytes %.1f MB  splits %d  threads %d  read %.3f s  %.1f MB/s", (long long)j.rows,
         mb, splits.n, threads, dt, mb / dt);
  if (!ddl) printf("  (inference %.3f s)", t_infer);
  printf("\n");
  free(j.proj);
  path_splits_fini(&splits);
  path_list_fini(&files);
  schema_fini(&s);
  csv_options_fini(&o);
  return 0;
}
