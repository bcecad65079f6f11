/* funcs_str2.h: Spark's second family of scalar functions -- strings
 * (initcap, reverse, ascii, chr/char, right, translate, repeat,
 * octet_length, bit_length, format_number, split_part, substring_index,
 * levenshtein, elt, find_in_set), hashes and encodings (md5, sha1/sha,
 * sha2, crc32, base64, unbase64, hex, unhex), null/NaN helpers (nvl2,
 * nanvl, isnan) and math (sign/signum, negative, positive, e, pi, cbrt,
 * log2, factorial, bround, shiftleft, shiftright, shiftrightunsigned) --
 * plus the bitwise operators & | ^ ~ (funcs_str2_bitwise). */
#ifndef KINDLING_ENGINE_ANALYZE_FUNCS_STR2_H
#define KINDLING_ENGINE_ANALYZE_FUNCS_STR2_H

#include <stddef.h>

#include "engine/plan/expr.h"

/* As funcs_scalar (engine/analyze/funcs.h) for this family: name is lower
 * case; returns ERR_NOTFOUND when it is not one of them. */
int funcs_str2_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                      const char *call_text, const char *const *arg_text, struct expr **out,
                      char *msg, size_t msgsz);

/* The bitwise operator fn (FN_BITAND, FN_BITOR, FN_BITXOR; FN_BITNOT with
 * r NULL) over l and r (borrowed, analyzed): both must be INT or BIGINT
 * (or NULL); the result has their wider type. 0 with *out; ERR_SQL with
 * Spark's DATATYPE_MISMATCH message in msg (call_text names the
 * expression); ERR_NOMEM. */
int funcs_str2_bitwise(struct plan_ctx *ctx, enum expr_fn fn, struct expr *l, struct expr *r,
                       const char *call_text, struct expr **out, char *msg, size_t msgsz);

#endif
