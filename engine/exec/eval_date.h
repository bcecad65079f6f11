/* eval_date.h: date/timestamp kernels of the evaluator (year..second,
 * date_add/sub, datediff, add_months, date_trunc, date_format, timestamp +
 * interval). The compiler entry point, eval_date_compile, is declared in
 * eval_kern.h with the other kernel families. */
#ifndef KINDLING_ENGINE_EXEC_EVAL_DATE_H
#define KINDLING_ENGINE_EXEC_EVAL_DATE_H

#endif
