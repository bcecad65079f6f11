/* session.c: helpers shared by all session backends (see session.h). */
#include "common/session.h"

#include <stdlib.h>

void table_free(struct table *t) {
  if (!t) return;
  json_decref(t->schema);
  json_decref(t->rows);
  free(t);
}
