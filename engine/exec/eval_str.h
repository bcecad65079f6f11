/* eval_str.h: string kernels of the evaluator (UTF-8, code point
 * positions) and the helpers LIKE shares with them. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_STR_H
#define KINDLING_ENGINE_EXEC_EVAL_STR_H

#include <stdint.h>

#include "engine/vec/vector.h"

/* Number of code points of p[0..n) (continuation bytes not counted). */
uint32_t eval_str_nchars(const char *p, uint32_t n);

/* Spark's substring(s, pos, length) (1-based pos, 0 acts as 1, negative
 * counts from the end); the result is a view into s's bytes. */
struct sv eval_str_substr(struct sv s, int64_t pos, int64_t length);

/* Simple case mapping of one code point (ASCII, Latin-1, Latin Extended-A,
 * Greek, Cyrillic); identity elsewhere. Mappings keep the UTF-8 length. */
uint32_t eval_str_upper_cp(uint32_t c);
uint32_t eval_str_lower_cp(uint32_t c);

/* Case-map n bytes of p into d (n bytes, may not overlap p). */
void eval_str_map_case(const char *p, uint32_t n, char *d, int upper);

#endif
