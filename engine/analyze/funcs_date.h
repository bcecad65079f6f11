/* funcs_date.h: Spark's date/time functions beyond the basic ones of
 * funcs.c -- unix_timestamp, to_unix_timestamp, unix_seconds,
 * from_unixtime, last_day, next_day, weekofyear, dayofyear, weekday,
 * months_between, make_date, make_timestamp, date_diff,
 * timestampadd/dateadd/date_add(unit, n, ts), timestampdiff/datediff/
 * date_diff(unit, a, b), trunc(date, fmt) and the extract/date_part fields
 * WEEK, DOY, DAYOFWEEK_ISO -- with Spark's argument checks and messages.
 * Timestamps are in the session time zone, which is UTC. */
#ifndef KINDLING_ENGINE_ANALYZE_FUNCS_DATE_H
#define KINDLING_ENGINE_ANALYZE_FUNCS_DATE_H

#include <stddef.h>

#include "engine/plan/expr.h"

/* As funcs_scalar (engine/analyze/funcs.h) for these functions: name is
 * lower case; args are borrowed (the array may be rewritten); returns
 * ERR_NOTFOUND when name is not one of them. */
int funcs_date_scalar(struct plan_ctx *ctx, const char *name, struct expr **args, int nargs,
                      const char *call_text, const char *const *arg_text, struct expr **out,
                      char *msg, size_t msgsz);

/* 1 when argument 0 of the call name(...) with nargs arguments is a
 * datetime unit keyword (timestampadd(HOUR, ...)) and ident (a bare
 * identifier there) names one; the caller then passes the unit as a STRING
 * literal. name is any case. */
int funcs_date_unit_arg(const char *name, int nargs, const char *ident);

#endif
