/* blockstore.c: see blockstore.h. */
#include "engine/exec/blockstore.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A key some task is filling (blockstore_get_or_claim). */
struct claim {
  char *key;
  struct claim *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t filled = PTHREAD_COND_INITIALIZER; /* a claim ended */
static struct block *head;
static struct claim *claims;
static int64_t total;

/* Under lock. */
static struct block *find_block(const char *key) {
  struct block *b = head;
  while (b && strcmp(b->key, key)) b = b->next;
  return b;
}

/* Under lock: remove key's claim (if any) and wake the waiters. */
static void end_claim(const char *key) {
  for (struct claim **pp = &claims; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->key, key)) {
      struct claim *c = *pp;
      *pp = c->next;
      free(c->key);
      free(c);
      pthread_cond_broadcast(&filled);
      return;
    }
}

static int claimed_by_other(const char *key) {
  for (struct claim *c = claims; c; c = c->next)
    if (!strcmp(c->key, key)) return 1;
  return 0;
}

static void block_free(struct block *b) {
  for (int i = 0; i < b->n; i++) batch_free(b->batches[i]);
  free(b->batches);
  free(b->key);
  free(b);
}

struct block *blockstore_get(const char *key) {
  pthread_mutex_lock(&lock);
  struct block *b = find_block(key);
  if (b) b->refs++;
  pthread_mutex_unlock(&lock);
  return b;
}

struct block *blockstore_get_or_claim(const char *key, const atomic_int *cancel, int wait_ms,
                                      int *claimed) {
  *claimed = 0;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += wait_ms / 1000;
  until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&lock);
  for (;;) {
    struct block *b = find_block(key);
    if (b) {
      b->refs++;
      pthread_mutex_unlock(&lock);
      return b;
    }
    if (!claimed_by_other(key)) {
      struct claim *c = calloc(1, sizeof *c);
      if (c && (c->key = strdup(key))) {
        c->next = claims;
        claims = c;
        *claimed = 1;
      } else {
        free(c); /* out of memory: fill without a claim */
      }
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    if (cancel && atomic_load(cancel)) break;
    struct timespec now, ts;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
      break;
    /* The condition variable runs on CLOCK_REALTIME: wait 100 ms at most
     * per round, and measure the overall limit on the monotonic clock. */
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    int rc = pthread_cond_timedwait(&filled, &lock, &ts);
    if (rc && rc != ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

void blockstore_unclaim(const char *key) {
  pthread_mutex_lock(&lock);
  end_claim(key);
  pthread_mutex_unlock(&lock);
}

struct block *blockstore_put(const char *key, struct batch **batches, int n) {
  struct block *nb = calloc(1, sizeof *nb);
  if (nb) nb->key = strdup(key);
  if (!nb || !nb->key) {
    for (int i = 0; i < n; i++) batch_free(batches[i]);
    free(batches);
    if (nb) free(nb);
    blockstore_unclaim(key);
    return NULL;
  }
  nb->batches = batches;
  nb->n = n;
  for (int i = 0; i < n; i++) nb->bytes += batch_bytes(batches[i]);
  pthread_mutex_lock(&lock);
  end_claim(key);
  struct block *b = find_block(key);
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
