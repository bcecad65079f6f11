/* session.c: helpers shared by all session backends (see session.h). */
#include "common/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <uuid/uuid.h>

void table_free(struct table *t) {
  if (!t) return;
  json_decref(t->schema);
  json_decref(t->rows);
  free(t);
}

void session_display_id(char out[48]) {
  uuid_t u;
  char s[37];
  uuid_generate(u);
  uuid_unparse_lower(u, s);
  snprintf(out, 48, "kd-%s", s);
}
