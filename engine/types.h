/* types.h: the engine's logical SQL types (Spark SQL's names).
 *
 * Shared by the SQL front end (CAST targets, literals, DESCRIBE) and the
 * columnar executor (vector element types). Physical representation:
 *   BOOLEAN   uint8_t (0/1)         INT       int32_t
 *   BIGINT    int64_t               DOUBLE    double
 *   DECIMAL   int64_t scaled by 10^scale (precision <= 18); wider decimals
 *             are the executor's business
 *   STRING    (ptr, len) into a batch-owned heap, UTF-8
 *   DATE      int32_t days since 1970-01-01
 *   TIMESTAMP int64_t microseconds since 1970-01-01 00:00:00 UTC
 *   NULL      the type of a bare NULL literal before coercion */
#ifndef KINDLING_ENGINE_TYPES_H
#define KINDLING_ENGINE_TYPES_H

#include <stdint.h>

enum type_id {
  TYPE_NULL = 0,
  TYPE_BOOLEAN,
  TYPE_INT,
  TYPE_BIGINT,
  TYPE_DOUBLE,
  TYPE_DECIMAL,
  TYPE_STRING,
  TYPE_DATE,
  TYPE_TIMESTAMP,
  TYPE_INTERVAL, /* literals only: INTERVAL n DAY|MONTH|YEAR */
  TYPE__COUNT
};

struct type {
  enum type_id id;
  uint8_t precision; /* DECIMAL only, 1..38 */
  uint8_t scale;     /* DECIMAL only, 0..precision */
};

#endif
