/* eval_cast.h: CAST kernels of the evaluator (see eval_kern.h for the kernel
 * protocol) and the text-to-value parsers CAST uses, with Spark's accepted
 * forms. The parsers trim ASCII whitespace and return 0 or -1 (invalid or out
 * of range); *out is untouched on failure. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_CAST_H
#define KINDLING_ENGINE_EXEC_EVAL_CAST_H

#include <stddef.h>
#include <stdint.h>

/* t true y yes 1 / f false n no 0, case-insensitive. */
int eval_cast_parse_bool(const char *p, size_t n, int *out);

/* [+-]digits[.digits] with the fraction truncated (Spark's
 * UTF8String.toLong), within [lo, hi]. */
int eval_cast_parse_i64(const char *p, size_t n, int64_t lo, int64_t hi, int64_t *out);

/* Java's Double.parseDouble plus Spark's special literals (inf, infinity,
 * nan in any case, signed infinities). */
int eval_cast_parse_double(const char *p, size_t n, double *out);

#endif
