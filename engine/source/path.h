/* path.h: turning user paths into input files and byte-range splits.
 *
 * A path may name a file, a directory (its files are read recursively,
 * skipping names starting with '_' or '.', like Spark's/Hadoop's hidden-file
 * filter, e.g. _SUCCESS and .crc files), or a glob pattern (* ? [...] {a,b}).
 * Files are sorted by path so results are deterministic.
 *
 * Splits follow Spark's file-source planning: each splittable file is cut
 * into consecutive byte ranges of at most max_split bytes; a reader of
 * [start, end) owns exactly the records that begin in [start, end) (it skips
 * the partial record at start and reads past end to finish its last one), so
 * the splits of a file partition its records. */
#ifndef KINDLING_ENGINE_SOURCE_PATH_H
#define KINDLING_ENGINE_SOURCE_PATH_H

#include <stdint.h>

#include "common/err.h"

#define PATH_MAX_FILES 1000000
#define PATH_DEFAULT_MAX_PARTITION_BYTES ((int64_t)128 << 20) /* spark.sql.files.maxPartitionBytes */
#define PATH_DEFAULT_OPEN_COST_BYTES ((int64_t)4 << 20)       /* spark.sql.files.openCostInBytes */

struct path_file {
  char *path;   /* owned */
  int64_t size;
};

struct path_list {
  int n, cap;
  struct path_file *files; /* owned */
};

struct path_split {
  int file;       /* index into the path_list */
  int64_t start;  /* byte offset, inclusive */
  int64_t end;    /* byte offset, exclusive */
};

struct path_splits {
  int n, cap;
  struct path_split *s; /* owned */
};

void path_list_init(struct path_list *l);
void path_list_fini(struct path_list *l);

/* Expand npaths user paths (borrowed) into l (initialised by this call).
 * Returns 0; ERR_NOTFOUND ("Path does not exist: ...") when a path or glob
 * matches nothing; ERR_IO / ERR_NOMEM / ERR_TOOBIG otherwise. l is empty
 * after a failure. */
int path_expand(const char *const *paths, int npaths, struct path_list *l, struct err *e);

/* Spark's maxSplitBytes: min(max_partition_bytes, max(open_cost,
 * (total + n_files * open_cost) / min_partitions)). */
int64_t path_max_split_bytes(const struct path_list *l, int64_t max_partition_bytes,
                             int64_t open_cost, int min_partitions);

void path_splits_init(struct path_splits *s);
void path_splits_fini(struct path_splits *s);

/* Cut every non-empty file of l into ranges of at most max_split bytes
 * (whole files when !splittable). Returns 0 or ERR_NOMEM/ERR_INVAL. */
int path_plan_splits(const struct path_list *l, int64_t max_split, int splittable,
                     struct path_splits *out);

#endif
