/* numparse.h: exact, locale-independent parsing of numbers from text.
 *
 * These are the hot-path converters of the CSV/JSON readers and of CAST from
 * STRING, so they take (pointer, length) rather than NUL-terminated strings and
 * never allocate in the common case. Grammar follows the JVM parsers Spark
 * relies on:
 *   integers  Integer/Long.parseLong: [+-]digits, no spaces
 *   doubles   Double.parseDouble: optional surrounding ASCII whitespace,
 *             [+-] then digits[.digits][(e|E)[+-]digits][fFdD], ".5", "5.",
 *             "NaN", "Infinity" (exact case); hexadecimal floats are rejected
 *   decimals  java.math.BigDecimal: [+-]digits[.digits][(e|E)[+-]digits]
 *   booleans  "true"/"false", case-insensitive
 * Every function returns 0 on success and -1 when the text is not a valid
 * number of the kind (or overflows it); *out is untouched on failure. */
#ifndef KINDLING_ENGINE_VEC_NUMPARSE_H
#define KINDLING_ENGINE_VEC_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

int numparse_i64(const char *p, size_t n, int64_t *out);
int numparse_i32(const char *p, size_t n, int32_t *out);

/* Correctly rounded (round-half-even, like strtod): a Clinger fast path for
 * up to 15 significant digits and small exponents, strtod in the C locale
 * otherwise. */
int numparse_double(const char *p, size_t n, double *out);

/* Parse into an int64 scaled by 10^scale, rounding half-up at the scale (as
 * Spark's Decimal.set does); fails when the rounded value needs more than
 * precision digits. 1 <= precision <= 18, 0 <= scale <= precision. */
int numparse_decimal(const char *p, size_t n, int precision, int scale, int64_t *out);

int numparse_bool(const char *p, size_t n, int *out);

/* 10^k for 0 <= k <= 18. */
int64_t numparse_pow10(int k);

#endif
