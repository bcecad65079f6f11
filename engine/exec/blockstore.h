/* blockstore.h: the executor's storage memory -- columnar blocks of cached
 * tables (CACHE TABLE), one block per scan split, kept for the life of the
 * process (Spark's BlockManager, memory level only).
 *
 * A block is the list of batches a split decodes to, with *every* column of
 * the table, so any later projection can be served from it. Blocks are
 * immutable once stored: readers hand operators views of the stored
 * vectors (an operator never writes to a batch it did not produce).
 *
 * Thread safety: all functions are safe to call concurrently. */
#ifndef KINDLING_ENGINE_EXEC_BLOCKSTORE_H
#define KINDLING_ENGINE_EXEC_BLOCKSTORE_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/vec/batch.h"

struct block;

/* The block named key, with a reference held (release with
 * blockstore_release), or NULL when absent. */
struct block *blockstore_get(const char *key);

/* Store batches[0..n) (taken) as block key, unless another task stored it
 * first (then they are freed); ends a claim on key. Returns the stored
 * block with a reference held, or NULL when out of memory (batches
 * freed). */
struct block *blockstore_put(const char *key, struct batch **batches, int n);

/* Like blockstore_get, for a task that will fill the block when absent.
 * Returns the block (reference held), or NULL with *claimed = 1: the caller
 * now fills key and must end with blockstore_put or blockstore_unclaim.
 * While another task of this process fills key, waits for it (so morsels of
 * one split never decode it twice), re-checking *cancel (may be NULL) every
 * 100 ms; after wait_ms, or when cancelled, returns NULL with *claimed = 0
 * (the caller then reads the split itself, or gives up). */
struct block *blockstore_get_or_claim(const char *key, const atomic_int *cancel, int wait_ms,
                                      int *claimed);

/* Give up a claim without storing a block (the fill failed): a waiting
 * task takes it over. */
void blockstore_unclaim(const char *key);

void blockstore_release(struct block *b);

/* The block's batches (borrowed while a reference is held). */
int blockstore_batches(const struct block *b, struct batch *const **out);

/* Drop every block whose key starts with prefix (UNCACHE TABLE). Blocks in
 * use are freed when their last reader releases them. */
void blockstore_drop(const char *prefix);

/* Bytes held by all blocks. */
int64_t blockstore_bytes(void);

#endif
