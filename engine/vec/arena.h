/* arena.h: a bump allocator for batch-owned variable-length data.
 *
 * String bytes of a batch (and scratch memory of a reader) live in an arena:
 * allocation is a pointer bump, freeing is all-at-once (arena_reset keeps the
 * largest chunk for reuse, so a reader that refills the same batch stops
 * allocating after the first few batches).
 *
 * Invariants: every chunk is malloc'd; `used` is the sum of bytes handed out
 * since the last reset and never exceeds `max`; returned pointers are aligned
 * to 8 bytes and stay valid until arena_reset/arena_fini. */
#ifndef KINDLING_ENGINE_VEC_ARENA_H
#define KINDLING_ENGINE_VEC_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
  struct arena_chunk *head; /* current chunk (newest first list); owned */
  char *cur;                /* next free byte in head */
  char *end;                /* end of head's payload */
  size_t used;              /* bytes handed out since the last reset */
  size_t max;               /* cap on used; allocations past it fail */
  size_t chunk_size;        /* default size of a new chunk */
};

#define ARENA_UNLIMITED ((size_t)-1 / 2)

/* Initialise an empty arena (no memory allocated yet) whose allocations may
 * total at most max bytes between resets. */
void arena_init(struct arena *a, size_t max);

/* Free every chunk; the arena is then empty and reusable. */
void arena_fini(struct arena *a);

/* Forget every allocation but keep the most recent chunk for reuse. Pointers
 * handed out earlier become invalid. */
void arena_reset(struct arena *a);

/* Return n bytes (8-byte aligned, uninitialised, borrowed from the arena), or
 * NULL when out of memory or when the cap would be passed. n == 0 returns a
 * valid non-NULL pointer. */
void *arena_alloc(struct arena *a, size_t n);

/* Copy n bytes of p into the arena and NUL-terminate the copy (not counted in
 * n). Returns the copy (borrowed) or NULL like arena_alloc. */
char *arena_strndup(struct arena *a, const char *p, size_t n);

#endif
