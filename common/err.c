/* err.c: error codes and error detail (see err.h). */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e) {
  if (!e) return;
  memset(e, 0, sizeof *e);
}

static int vset(struct err *e, int code, int line, int column, const char *fmt,
                va_list ap) {
  if (!e) return code;
  e->code = code;
  e->line = line;
  e->column = column;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  return code;
}

int err_set(struct err *e, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vset(e, code, 0, 0, fmt, ap);
  va_end(ap);
  return rc;
}

int err_set_at(struct err *e, int code, int line, int column, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vset(e, code, line, column, fmt, ap);
  va_end(ap);
  return rc;
}

void err_set_ename(struct err *e, const char *ename) {
  if (!e || !ename) return;
  snprintf(e->ename, sizeof e->ename, "%s", ename);
}

const char *err_str(int code) {
  switch (code) {
#define XX(name, val, str) case val: return str;
    ERR_MAP(XX)
#undef XX
  }
  return "unknown error";
}

const char *err_name(int code) {
  switch (code) {
#define XX(name, val, str) case val: return "ERR_" #name;
    ERR_MAP(XX)
#undef XX
  }
  return "ERR_UNKNOWN";
}
