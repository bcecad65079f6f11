/* mem.c: see mem.h. */
#include "engine/exec/mem.h"

#include <ctype.h>
#include <stdlib.h>

void mem_budget_init(struct mem_budget *b, int64_t cap) {
  b->cap = cap;
  atomic_init(&b->used, 0);
  atomic_init(&b->peak, 0);
  atomic_init(&b->active_tasks, 0);
}

void mem_task_begin(struct mem_budget *b) { atomic_fetch_add(&b->active_tasks, 1); }

void mem_task_end(struct mem_budget *b) { atomic_fetch_sub(&b->active_tasks, 1); }

static void note_peak(struct mem_budget *b, int64_t now) {
  int64_t p = atomic_load(&b->peak);
  while (now > p && !atomic_compare_exchange_weak(&b->peak, &p, now)) {
  }
}

int mem_reserve(struct mem_budget *b, int64_t held, int64_t n) {
  if (n <= 0) return 1;
  if (b->cap <= 0 || held + n <= MEM_MIN_GRANT) {
    note_peak(b, atomic_fetch_add(&b->used, n) + n);
    return 1;
  }
  int tasks = atomic_load(&b->active_tasks);
  if (tasks < 1) tasks = 1;
  /* A task's fair ceiling; the MEM_MIN_GRANT floor above keeps tiny caps
   * from deadlocking a task that has nothing to spill yet. */
  if (held + n > b->cap / tasks) return 0;
  int64_t cur = atomic_load(&b->used);
  for (;;) {
    if (cur + n > b->cap) return 0;
    if (atomic_compare_exchange_weak(&b->used, &cur, cur + n)) break;
  }
  note_peak(b, cur + n);
  return 1;
}

void mem_release(struct mem_budget *b, int64_t n) {
  if (n > 0) atomic_fetch_sub(&b->used, n);
}

int64_t mem_parse_size(const char *s) {
  if (!s) return -1;
  while (isspace((unsigned char)*s)) s++;
  char *end;
  double v = strtod(s, &end);
  if (end == s || v < 0) return -1;
  while (isspace((unsigned char)*end)) end++;
  double mul = 1;
  switch (tolower((unsigned char)*end)) {
  case 'k': mul = 1024.0; end++; break;
  case 'm': mul = 1024.0 * 1024; end++; break;
  case 'g': mul = 1024.0 * 1024 * 1024; end++; break;
  case 't': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
  case 'b': case '\0': break;
  default: return -1;
  }
  if (mul > 1 && tolower((unsigned char)*end) == 'b') end++; /* "512mb" */
  if (*end == 'b' || *end == 'B') end++;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return -1;
  double r = v * mul;
  if (r > 9.0e18) return -1;
  return (int64_t)r;
}
