/* progress.h: the live progress line shown while a job or statement runs,
 * as a text + HTML MIME bundle that the kernel updates in place. */
#ifndef KINDLING_PROGRESS_H
#define KINDLING_PROGRESS_H

#include <jansson.h>

#include "common/session.h"

struct progress {
  const char *label;   /* "Statement 3", "Stage 2" */
  double fraction;     /* 0..1, < 0 when unknown */
  int tasks_done;      /* < 0 when unknown */
  int tasks_running;
  int tasks_total;
  double elapsed;      /* seconds */
  const char *state;   /* "running", "done", "cancelled", "failed" */
};

/* A new MIME bundle {"text/plain": ..., "text/html": ...} for p. */
json_t *progress_bundle(const struct progress *p);

/* Show p through o in place: the first call (did == "") opens a display and
 * fills did with its id; later calls with that did update it. */
void progress_show(struct out *o, char did[48], const struct progress *p);

#endif
