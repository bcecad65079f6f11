/* exec.h: the cell interpreter: routes a cell through the magics parser to
 * the built-in magics or to the Spark session behind struct session. */
#ifndef KINDLING_EXEC_H
#define KINDLING_EXEC_H

#include <jansson.h>

#include "kernel/kernel.h"

struct exec_request {
  const struct wire_msg *req; /* the execute_request (borrowed) */
  struct chan *ch;            /* shell channel */
  const char *code;
  int silent;
  int store_history;
  int allow_stdin;
  int execution_count;        /* value for execute_result */
};

/* New interpreter state for k (caller frees with exec_state_free, which
 * stops any running Spark session within a bounded time). */
struct exec_state *exec_state_new(struct kernel *k);
void exec_state_free(struct exec_state *st);

/* Run one cell on the shell thread. Publishes the cell's output and returns
 * a new execute_reply content without execution_count: {status: ok, ...} or
 * {status: error, ename, evalue, traceback}; an error has already been
 * published on IOPub as well. */
json_t *exec_run(struct kernel *k, struct exec_request *er);

/* Interrupt the running cell (control thread or signal): sets the interrupt
 * flag and asks the session to cancel. Safe to call when idle. */
void exec_interrupt(struct kernel *k);

/* Completion candidates from the running Spark session for code at cursor
 * (code points): a new array of strings replacing the identifier that ends
 * at the cursor, or NULL when the session cannot complete (none started, a
 * local or SQL session, an error). Shell thread only. */
json_t *exec_complete(struct exec_state *st, const char *code, size_t cursor);

#endif
