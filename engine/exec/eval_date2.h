/* eval_date2.h: more date/timestamp kernels of the evaluator -- Unix
 * seconds, last_day, next_day, weekofyear, dayofyear, weekday,
 * months_between, make_date, make_timestamp, timestampadd/timestampdiff
 * with a unit, trunc(date, fmt). The session time zone is UTC, as in
 * engine/vec/datetime.h. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_DATE2_H
#define KINDLING_ENGINE_EXEC_EVAL_DATE2_H

#include <stddef.h>

#include "common/err.h"

struct eval_prog;
struct eval_node;

/* Set nd->kern (and nd->aux) for the FN_* of this family (expr.h, "more
 * dates and timestamps"). nd is borrowed. Returns 0, or ERR_UNSUPPORTED /
 * ERR_SQL / ERR_NOMEM with err filled. */
int eval_date2_compile(struct eval_prog *p, struct eval_node *nd, struct err *err);

/* Time units of timestampadd/timestampdiff (Spark's datetimeUnit). */
enum eval_date2_unit {
  EVAL_DATE2_U_BAD = -1,
  EVAL_DATE2_U_MICROSECOND,
  EVAL_DATE2_U_MILLISECOND,
  EVAL_DATE2_U_SECOND,
  EVAL_DATE2_U_MINUTE,
  EVAL_DATE2_U_HOUR,
  EVAL_DATE2_U_DAY,
  EVAL_DATE2_U_DAYOFYEAR,
  EVAL_DATE2_U_WEEK,
  EVAL_DATE2_U_MONTH,
  EVAL_DATE2_U_QUARTER,
  EVAL_DATE2_U_YEAR
};

/* The unit named by (p, n), case-insensitive, or EVAL_DATE2_U_BAD. */
int eval_date2_unit(const char *p, size_t n);

#endif
