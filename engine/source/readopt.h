/* readopt.h: data source options as Spark takes them -- a list of
 * key/value strings with case-insensitive keys -- and the helpers shared by
 * the CSV and JSON-lines readers (parse mode, booleans, sizes).
 *
 * Unknown keys are ignored (as Spark does); bad values of known keys are
 * errors naming the key. */
#ifndef KINDLING_ENGINE_SOURCE_READOPT_H
#define KINDLING_ENGINE_SOURCE_READOPT_H

#include <stdint.h>

#include "common/err.h"

struct readopt_kv {
  const char *key;   /* borrowed */
  const char *value; /* borrowed */
};

/* What to do with a record that does not fit the schema. */
enum readopt_mode {
  READOPT_PERMISSIVE = 0, /* nulls for bad fields, raw text in the corrupt column */
  READOPT_DROPMALFORMED,  /* skip the record */
  READOPT_FAILFAST        /* stop with an error naming file and line */
};

/* Value of the last option named key (ASCII case-insensitive) or NULL. */
const char *readopt_get(const struct readopt_kv *kv, int n, const char *key);

/* Boolean option key: "true"/"false" (case-insensitive). Leaves *out alone
 * when absent. Returns 0 or ERR_INVAL (message in e). */
int readopt_bool(const struct readopt_kv *kv, int n, const char *key, int *out, struct err *e);

/* The `mode` option. Returns 0 or ERR_INVAL. */
int readopt_mode(const struct readopt_kv *kv, int n, enum readopt_mode *out, struct err *e);

/* A byte size: plain digits or with a b/k/kb/m/mb/g/gb suffix (binary
 * units, as Spark's byte-size configs). Returns 0 or -1. */
int readopt_parse_size(const char *s, int64_t *out);

/* A single-character option (sep, quote, escape, comment) in Spark's
 * spelling: one character, or "\t", "\n", "\r", "\\", "\0", "\uXXXX" for a
 * code point < 0x80. An empty string yields '\0' when allow_empty, else an
 * error. Returns 0 or ERR_INVAL / ERR_UNSUPPORTED (multi-character). */
int readopt_char(const char *key, const char *v, int allow_empty, char *out, struct err *e);

#endif
