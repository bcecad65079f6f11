/* funcs.h: Spark function names -> the engine's scalar functions
 * (enum expr_fn), aggregates (enum agg_fn) and window functions, with the
 * argument coercion each row of expr.h's table requires.
 *
 * Aliases: nvl/ifnull -> coalesce, substr -> substring, lcase/ucase,
 * char_length/character_length/len -> length, ceiling -> ceil, pow ->
 * power, day/dayofmonth -> day, extract('year', x) -> year(x), to_date(x)
 * and int(x)/string(x)/... -> CAST, mean -> avg, any_value/first_value ->
 * first, std/stddev -> stddev_samp, variance -> var_samp. */
#ifndef KINDLING_ENGINE_ANALYZE_FUNCS_H
#define KINDLING_ENGINE_ANALYZE_FUNCS_H

#include <stddef.h>

#include "engine/plan/expr.h"
#include "engine/plan/plan.h"

/* 1 and *out when name (any case) is an aggregate function. */
int funcs_agg(const char *name, enum agg_fn *out);

/* 1 and *out when name is a ranking/offset window function (row_number,
 * rank, dense_rank, lag, lead). */
int funcs_window(const char *name, enum win_fn *out);

/* Result type of aggregate fn over an argument of type t, and the type the
 * argument must be cast to (*arg_type). 0, or -1 when t is not accepted. */
int funcs_agg_type(enum agg_fn fn, struct type t, struct type *arg_type, struct type *result);

/* Build the scalar call name(args) (args analyzed, borrowed; they may be
 * wrapped in casts). call_text / arg_text are the Spark texts of the call
 * and its arguments for messages. Returns 0 with *out; ERR_NOTFOUND when
 * name is not a scalar function; ERR_SQL / ERR_UNSUPPORTED with msg filled
 * (wrong argument count or types); ERR_NOMEM. */
int funcs_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                 const char *call_text, const char *const *arg_text, struct expr **out,
                 char *msg, size_t msgsz);

/* Spark's DATATYPE_MISMATCH check for implicit argument casts: 1 when a
 * value of type from may be implicitly cast to to. */
int funcs_implicit_ok(struct type from, struct type to);

/* Spark's WRONG_NUM_ARGS message for a call of name (lo..hi arguments, hi
 * over 1000: no upper bound) given nargs, into msg (borrowed, msgsz bytes). */
void funcs_wrong_nargs(const char *name, int lo, int hi, int nargs, char *msg, size_t msgsz);

#endif
