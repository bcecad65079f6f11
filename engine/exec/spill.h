/* spill.h: temporary files of batch frames (batchio.h) for operators that
 * spill past the memory budget.
 *
 * A spill file is created in the task's spill directory and unlinked at
 * once, so it disappears when closed -- also when the task fails, is
 * cancelled or the process dies. Writes are buffered; after spill_rewind the
 * frames are read back in order. */
#ifndef KINDLING_ENGINE_EXEC_SPILL_H
#define KINDLING_ENGINE_EXEC_SPILL_H

#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/vec/batch.h"

struct spill {
  FILE *f;
  int64_t bytes;   /* frame bytes written */
  int64_t nrows;   /* rows written */
  int reading;
  struct buf frame; /* encode / read buffer */
};

/* New empty spill file in dir (borrowed). NULL with err set on failure. */
struct spill *spill_open(const char *dir, struct err *err);

/* Append rows sel[0..n) of b (all rows when sel is NULL) as one frame.
 * n == 0 writes nothing. */
int spill_write(struct spill *s, const struct batch *b, const uint32_t *sel, uint32_t n,
                struct err *err);

/* Switch to reading from the first frame. */
int spill_rewind(struct spill *s, struct err *err);

/* Read the next frame: 1 with a new batch in *out (caller frees), 0 at the
 * end, < 0 on error. */
int spill_read(struct spill *s, struct batch **out, struct err *err);

/* Close and free (the file vanishes). NULL allowed. */
void spill_close(struct spill *s);

#endif
