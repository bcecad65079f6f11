/* mem.h: an executor's execution-memory budget, shared by its task threads
 * (Spark's UnifiedMemoryManager, execution side).
 *
 * The budget is spark.executor.memory x spark.memory.fraction (less what
 * CACHE TABLE holds in storage memory). Operators reserve before they grow
 * and release when they free; a refused reservation is the signal to spill.
 * To keep one task from starving the others, a task may hold at most
 * cap / active_tasks (Spark gives each of N tasks between 1/2N and 1/N);
 * reservations up to MEM_MIN_GRANT per task always succeed so that every
 * task can make progress.
 *
 * Thread safety: all functions are safe to call concurrently. */
#ifndef KINDLING_ENGINE_EXEC_MEM_H
#define KINDLING_ENGINE_EXEC_MEM_H

#include <stdatomic.h>
#include <stdint.h>

#define MEM_MIN_GRANT ((int64_t)4 << 20)

struct mem_budget {
  int64_t cap;                /* bytes; <= 0 means unlimited */
  _Atomic int64_t used;       /* bytes reserved by all tasks */
  _Atomic int64_t peak;       /* high-water mark of used */
  _Atomic int active_tasks;   /* tasks currently running (>= 1 when used) */
};

void mem_budget_init(struct mem_budget *b, int64_t cap);

/* Register / unregister a running task (adjusts the per-task share). */
void mem_task_begin(struct mem_budget *b);
void mem_task_end(struct mem_budget *b);

/* Try to reserve n more bytes for a task that already holds `held` bytes.
 * Returns 1 when granted (used grows by n), 0 when refused (spill instead). */
int mem_reserve(struct mem_budget *b, int64_t held, int64_t n);

/* Return n bytes reserved earlier. */
void mem_release(struct mem_budget *b, int64_t n);

/* Parse a JVM-style size ("512m", "2g", "1024k", "1073741824", "1.5g");
 * returns bytes or -1 when malformed. */
int64_t mem_parse_size(const char *s);

#endif
