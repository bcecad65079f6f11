/* eval_str2.h: kernels of the second family of scalar functions -- more
 * strings (initcap, reverse, ascii, chr, right, translate, repeat,
 * octet_length, bit_length, format_number, split_part, substring_index,
 * levenshtein, elt, find_in_set), hashes and encodings (md5, sha1, sha2,
 * crc32, base64, unbase64, hex, unhex) and math/bit functions (signum,
 * isnan, cbrt, factorial, bround, shifts, & | ^ ~). Spark 3.5 semantics,
 * non-ANSI: see the rows FN_INITCAP..FN_BITNOT of engine/plan/expr.h. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_STR2_H
#define KINDLING_ENGINE_EXEC_EVAL_STR2_H

#include "common/err.h"

struct eval_prog;
struct eval_node;

/* 1 when fn is one of this file's functions. */
int eval_str2_owns(int fn);

/* Set nd->kern (and nd->op / nd->ival) for nd's function, one this file
 * owns. Returns 0, or ERR_INVAL/ERR_UNSUPPORTED with err filled (argument
 * shapes the analyzer never produces). p and nd are borrowed. */
int eval_str2_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

#endif
