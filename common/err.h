/* err.h: error codes and the error detail every layer fills for the user.
 *
 * Functions return 0 on success or a negative ERR_* code. When the failure is
 * something a user can act on (bad magic flag, SQL error, Livy failure), the
 * callee also fills a struct err with a human message and, where the input was
 * typed by the user, the 1-based line and column it points at. */
#ifndef KINDLING_ERR_H
#define KINDLING_ERR_H

#include <stddef.h>

#define ERR_MAP(XX)                                            \
  XX(OK, 0, "success")                                         \
  XX(NOMEM, -1, "out of memory")                               \
  XX(INVAL, -2, "invalid input")                               \
  XX(IO, -3, "input/output error")                             \
  XX(PARSE, -4, "parse error")                                 \
  XX(TOOBIG, -5, "input too large")                            \
  XX(NOTFOUND, -6, "not found")                                \
  XX(TIMEOUT, -7, "timed out")                                 \
  XX(CANCELLED, -8, "cancelled")                               \
  XX(BADSTATE, -9, "operation not allowed in this state")         \
  XX(REMOTE, -10, "remote error")                              \
  XX(UNSUPPORTED, -11, "not supported")                        \
  XX(SQL, -12, "SQL error")

enum err_code {
#define XX(name, val, str) ERR_##name = (val),
  ERR_MAP(XX)
#undef XX
};

#define ERR_MSG_MAX 1024

struct err {
  int code;              /* ERR_* value, 0 when no error was recorded */
  int line;              /* 1-based line in the user's input, 0 if none */
  int column;            /* 1-based column (code points), 0 if none */
  char ename[64];        /* short error class shown as `ename`, may be "" */
  char msg[ERR_MSG_MAX]; /* human message, always NUL-terminated */
};

/* Reset e to "no error". e may be NULL. */
void err_clear(struct err *e);

/* Record code and a printf-style message in e (may be NULL); returns code so
 * callers can write `return err_set(e, ERR_INVAL, "...")`. */
int err_set(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like err_set, plus the position in the user's input. */
int err_set_at(struct err *e, int code, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Set the error class name shown to users (e.g. "ParseException"). */
void err_set_ename(struct err *e, const char *ename);

/* Static description of an ERR_* code. */
const char *err_str(int code);
/* Static symbolic name of an ERR_* code ("ERR_INVAL"). */
const char *err_name(int code);

#endif
