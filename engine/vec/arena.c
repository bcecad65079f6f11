/* arena.c: bump allocator with chunk reuse (see arena.h). */
#include "engine/vec/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
  struct arena_chunk *next;
  size_t size; /* payload bytes */
  /* payload follows, 8-byte aligned because of the two 8-byte fields */
};

#define ARENA_MIN_CHUNK ((size_t)64 * 1024)

void arena_init(struct arena *a, size_t max) {
  memset(a, 0, sizeof *a);
  a->max = max;
  a->chunk_size = ARENA_MIN_CHUNK;
}

void arena_fini(struct arena *a) {
  struct arena_chunk *c = a->head;
  while (c) {
    struct arena_chunk *n = c->next;
    free(c);
    c = n;
  }
  size_t max = a->max;
  arena_init(a, max);
}

void arena_reset(struct arena *a) {
  struct arena_chunk *c = a->head;
  if (!c) return;
  /* Keep only the head chunk: it is the newest, hence the largest. */
  struct arena_chunk *n = c->next;
  while (n) {
    struct arena_chunk *nn = n->next;
    free(n);
    n = nn;
  }
  c->next = NULL;
  a->cur = (char *)(c + 1);
  a->end = a->cur + c->size;
  a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n) {
  size_t need = (n + 7) & ~(size_t)7;
  if (need < n || need > a->max - a->used) return NULL;
  if ((size_t)(a->end - a->cur) < need || !a->cur) {
    /* Grow geometrically so that a big batch needs few chunks. */
    size_t size = a->chunk_size;
    while (size < need) size *= 2;
    if (a->head && size < a->head->size * 2 && a->head->size < ((size_t)64 << 20))
      size = a->head->size * 2;
    struct arena_chunk *c = malloc(sizeof *c + size);
    if (!c) return NULL;
    c->size = size;
    c->next = a->head;
    a->head = c;
    a->cur = (char *)(c + 1);
    a->end = a->cur + size;
  }
  void *p = a->cur;
  a->cur += need;
  a->used += need;
  return p;
}

char *arena_strndup(struct arena *a, const char *p, size_t n) {
  char *d = arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, p, n);
  d[n] = '\0';
  return d;
}
