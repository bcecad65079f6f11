/* coerce.h: Spark 3.x (non-ANSI) implicit type coercion over bound
 * expressions, as the typing contract of engine/plan/expr.h requires:
 * common types for comparisons, CASE/COALESCE/IN/UNION branches and
 * arithmetic, and cast insertion (casts of literals are folded).
 *
 * DECIMAL is limited to 18 digits in this engine: INT widens to
 * DECIMAL(10,0), BIGINT to DECIMAL(18,0), integer literals to their own
 * digit count (as Spark's literal precision rule), and results past 18
 * digits are capped at 18. */
#ifndef KINDLING_ENGINE_ANALYZE_COERCE_H
#define KINDLING_ENGINE_ANALYZE_COERCE_H

#include "engine/plan/expr.h"
#include "engine/plan/plan.h"
#include "engine/types.h"

#define COERCE_MAX_PRECISION 18

int coerce_is_numeric(struct type t);
int coerce_is_integral(struct type t);
int coerce_type_eq(struct type a, struct type b);

/* DECIMAL type a value of e's (numeric) type fits in. */
struct type coerce_decimal_for(const struct expr *e);

/* The wider type of two types for CASE/COALESCE/IN/UNION/GREATEST
 * (findWiderTypeForTwo with string promotion). 0 and *out, or -1 when
 * incompatible. */
int coerce_wider(struct type a, struct type b, struct type *out);

/* Common type of a binary comparison (findCommonTypeForBinaryComparison):
 * string vs DATE -> DATE, string vs TIMESTAMP -> TIMESTAMP, string vs
 * integral -> that type, string vs DECIMAL/DOUBLE -> DOUBLE, DATE vs
 * TIMESTAMP -> TIMESTAMP, otherwise coerce_wider. 0 or -1. */
int coerce_compare(const struct expr *a, const struct expr *b, struct type *out);

/* 1 when an explicit CAST from a to b is allowed (Spark's Cast.canCast). */
int coerce_can_cast(struct type from, struct type to);

/* e cast to t: e itself when already t, a folded literal when e is a
 * literal that converts exactly, else a new EXPR_CAST. NULL on OOM. */
struct expr *coerce_to(struct plan_ctx *ctx, struct expr *e, struct type t);

/* Build a typed arithmetic node fn (ADD SUB MUL MOD DIV IDIV) over a and
 * b, inserting casts. Returns NULL with *bad = 1 when the types do not
 * allow it (the caller reports both types), NULL with *bad = 0 on OOM. */
struct expr *coerce_arith(struct plan_ctx *ctx, enum expr_fn fn, struct expr *a, struct expr *b,
                          int *bad);

/* Typed NULL literal / int / bigint / string constants. NULL on OOM. */
struct expr *coerce_null(struct plan_ctx *ctx, struct type t);
struct expr *coerce_int(struct plan_ctx *ctx, enum type_id id, int64_t v);
struct expr *coerce_string(struct plan_ctx *ctx, const char *s, size_t len);

/* Constant value of e when e is an INT/BIGINT literal (after folding).
 * 0 and *v, or -1. */
int coerce_const_int(const struct expr *e, int64_t *v);

/* Spark's type of round/bround(DECIMAL(p,s), d): DECIMAL(p - s + 1 +
 * min(s, d), min(s, d)), scale 0 for d < 0, capped at the engine's
 * precision. Other types keep their type. */
struct type coerce_round_type(struct type t, int64_t d);

#endif
