/* shuffle.h: hash shuffle through local files (Spark's sort-shuffle layout:
 * one data file plus one index per map task).
 *
 * A map task feeds its output batches to a writer, which hash-partitions the
 * rows on the key columns into nparts partitions, buffering per partition
 * (charged to the task's memory budget; full buffers are flushed to
 * per-partition run files) and, on commit, writes
 *   <dir>/<name>.data   the partitions' batch frames (batchio.h), partition
 *                       0 first, each partition contiguous
 *   <dir>/<name>.index  (nparts + 1) u64 offsets into .data, then nparts u64
 *                       row counts
 * atomically: both are written under temporary names and renamed, index
 * last, so a reader never sees a partial output (a map task killed midway
 * leaves only temporaries, which the executor's cleanup removes).
 *
 * Partitioning: row -> shuffle_hash(keys) % nparts, where shuffle_hash
 * depends only on the key values and their types, so two inputs hashed on
 * keys of equal types are co-partitioned (a shuffled join relies on it).
 * NULL keys hash to a fixed value. nkeys == 0 sends every row to partition 0
 * (a single-partition exchange, or a broadcast input).
 *
 * Readers read the byte range of partitions [lo, hi) from each map output,
 * checking the index against the data file's size (a corrupt or missing
 * file is ERR_IO naming the path: the scheduler treats it as a lost map
 * output and recomputes it). */
#ifndef KINDLING_ENGINE_CLUSTER_SHUFFLE_H
#define KINDLING_ENGINE_CLUSTER_SHUFFLE_H

#include <stdint.h>

#include "common/err.h"
#include "engine/exec/op.h"
#include "engine/vec/batch.h"

struct shuffle_writer;

/* Open a writer for nparts (1..100000) partitions, hashing the key columns
 * key_cols[0..nkeys) (copied) of the batches it will receive. dir must
 * exist; name is the output's base name (unique per map task attempt).
 * Returns 0 and *out, or an error. */
int shuffle_writer_open(struct shuffle_writer **out, struct task_ctx *t, const char *dir,
                        const char *name, int nparts, const int *key_cols, int nkeys,
                        struct err *err);

/* Partition and buffer the rows of b (borrowed). */
int shuffle_writer_add(struct shuffle_writer *w, const struct batch *b, struct err *err);

/* Write the data and index files and free the writer. part_bytes and
 * part_rows (each room for nparts, may be NULL) receive every partition's
 * size. *data_path receives the data file's path (malloc'd; the index is
 * the same path with ".index" for ".data"). */
int shuffle_writer_commit(struct shuffle_writer *w, int64_t *part_bytes, int64_t *part_rows,
                          char **data_path, struct err *err);

/* Drop everything written so far and free the writer. NULL allowed. */
void shuffle_writer_abort(struct shuffle_writer *w);

/* An operator producing the rows of partitions [lo, hi) of every map output
 * data file paths[0..n) (borrowed, copied), in path order then partition
 * order. types: the column types (copied). */
struct op *op_shuffle_read(struct task_ctx *t, const struct type *types, int ncols,
                           const char *const *paths, int n, int lo, int hi, struct err *err);

/* The partitioning hash of row i of the key columns of b (exposed for
 * tests and for partition-wise operators). */
uint64_t shuffle_hash(const struct batch *b, const int *key_cols, int nkeys, uint32_t i);

#endif
