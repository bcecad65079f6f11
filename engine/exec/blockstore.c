/* blockstore.c: see blockstore.h. */
#include "engine/exec/blockstore.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"

struct block {
  char *key;
  struct batch **batches;
  int n;
  int refs;      /* readers + 1 while listed */
  int listed;
  int64_t bytes;
  struct block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *head;
static int64_t total;

static void block_free(struct block *b) {
  for (int i = 0; i < b->n; i++) batch_free(b->batches[i]);
  free(b->batches);
  free(b->key);
  free(b);
}

struct block *blockstore_get(const char *key) {
  pthread_mutex_lock(&lock);
  struct block *b = head;
  while (b && strcmp(b->key, key)) b = b->next;
  if (b) b->refs++;
  pthread_mutex_unlock(&lock);
  return b;
}

struct block *blockstore_put(const char *key, struct batch **batches, int n) {
  struct block *nb = calloc(1, sizeof *nb);
  if (nb) nb->key = strdup(key);
  if (!nb || !nb->key) {
    for (int i = 0; i < n; i++) batch_free(batches[i]);
    free(batches);
    if (nb) free(nb);
    return NULL;
  }
  nb->batches = batches;
  nb->n = n;
  for (int i = 0; i < n; i++) nb->bytes += batch_bytes(batches[i]);
  pthread_mutex_lock(&lock);
  struct block *b = head;
  while (b && strcmp(b->key, key)) b = b->next;
  if (b) {
    b->refs++;
    pthread_mutex_unlock(&lock);
    block_free(nb);
    return b;
  }
  nb->refs = 2;
  nb->listed = 1;
  nb->next = head;
  head = nb;
  total += nb->bytes;
  pthread_mutex_unlock(&lock);
  return nb;
}

void blockstore_release(struct block *b) {
  if (!b) return;
  pthread_mutex_lock(&lock);
  int last = --b->refs == 0;
  pthread_mutex_unlock(&lock);
  if (last) block_free(b);
}

int blockstore_batches(const struct block *b, struct batch *const **out) {
  *out = b->batches;
  return b->n;
}

void blockstore_drop(const char *prefix) {
  size_t pl = strlen(prefix);
  struct block *drop = NULL;
  pthread_mutex_lock(&lock);
  struct block **pp = &head;
  while (*pp) {
    struct block *b = *pp;
    if (!strncmp(b->key, prefix, pl)) {
      *pp = b->next;
      b->listed = 0;
      total -= b->bytes;
      if (--b->refs == 0) {
        b->next = drop;
        drop = b;
      }
    } else {
      pp = &b->next;
    }
  }
  pthread_mutex_unlock(&lock);
  while (drop) {
    struct block *n = drop->next;
    block_free(drop);
    drop = n;
  }
}

int64_t blockstore_bytes(void) {
  pthread_mutex_lock(&lock);
  int64_t t = total;
  pthread_mutex_unlock(&lock);
  return t;
}
