/* mapfile.h: read-only access to a whole input file as one byte range.
 *
 * Regular files are memory-mapped (no copy; the page cache is the buffer);
 * anything else (a pipe, a character device) is read into memory up to
 * MAPFILE_MAX_READ bytes. Readers then work on (data, size) with plain
 * pointer arithmetic, which keeps their tokenizers free of refill logic. */
#ifndef KINDLING_ENGINE_SOURCE_MAPFILE_H
#define KINDLING_ENGINE_SOURCE_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MAPFILE_MAX_READ ((size_t)1 << 31)

struct mapfile {
  char *path;        /* owned copy, for error messages */
  const char *data;  /* size bytes; NULL when size == 0 */
  size_t size;
  int mapped;        /* 1: munmap on close, 0: free */
};

/* Open path. Returns 0, or ERR_NOTFOUND / ERR_IO / ERR_NOMEM / ERR_TOOBIG
 * with a message naming the path. On failure m is safe to close. */
int mapfile_open(struct mapfile *m, const char *path, struct err *e);

void mapfile_close(struct mapfile *m);

/* Advise the kernel that [off, off+len) will be read sequentially soon. */
void mapfile_advise(const struct mapfile *m, size_t off, size_t len);

/* 1-based line number of byte offset off (counts '\n' before it). */
int64_t mapfile_line_of(const struct mapfile *m, size_t off);

#endif
