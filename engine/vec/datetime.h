/* datetime.h: calendar arithmetic, parsing and formatting of DATE/TIMESTAMP.
 *
 * Representation (engine/types.h): DATE = int32 days since 1970-01-01,
 * TIMESTAMP = int64 microseconds since 1970-01-01 00:00:00 UTC. The calendar
 * is the proleptic Gregorian one (Spark 3+). The session time zone is UTC:
 * timestamps without an offset are taken as UTC, explicit offsets are
 * honoured.
 *
 * Three kinds of parsers:
 *   datetime_parse_date_iso   strict yyyy-MM-dd (the CSV/JSON fast path)
 *   datetime_parse_date / _timestamp
 *                             Spark's lenient CAST grammar (stringToDate /
 *                             stringToTimestamp), used when the user gave no
 *                             explicit format
 *   datetime_fmt_*            a compiled Spark datetime pattern (dateFormat,
 *                             timestampFormat, date_format())
 * Parsers return 0 on success, -1 on bad or out-of-range input. */
#ifndef KINDLING_ENGINE_VEC_DATETIME_H
#define KINDLING_ENGINE_VEC_DATETIME_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define DATETIME_US_PER_DAY INT64_C(86400000000)

/* Supported year range for parsing (Spark's is wider; values outside make
 * int32 days or int64 micros meaningless anyway). */
#define DATETIME_MIN_YEAR (-290000)
#define DATETIME_MAX_YEAR 290000

int datetime_is_leap(int64_t y);
int datetime_days_in_month(int64_t y, int m);

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31, not range checked). */
int64_t datetime_days_from_civil(int64_t y, int m, int d);

/* Inverse of datetime_days_from_civil. */
void datetime_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Spark's add_months: the day is clamped to the end of the target month. */
int32_t datetime_add_months(int32_t days, int32_t months);

/* Floor division of a timestamp into (days, micros of day). */
void datetime_split_ts(int64_t us, int64_t *days, int64_t *us_of_day);

int datetime_parse_date_iso(const char *p, size_t n, int32_t *days);
int datetime_parse_date(const char *p, size_t n, int32_t *days);
int datetime_parse_timestamp(const char *p, size_t n, int64_t *us);

/* Format as yyyy-MM-dd into out (>= 16 bytes); returns the length. Years
 * outside 0..9999 get a sign and as many digits as needed. */
size_t datetime_format_date(int32_t days, char *out);

/* Format as yyyy-MM-dd HH:mm:ss[.f], fraction without trailing zeros (as
 * Spark casts a timestamp to string). out must hold >= 40 bytes. */
size_t datetime_format_timestamp(int64_t us, char *out);

/* A compiled datetime pattern (Spark/Java letters y M d H h m s S a E X Z,
 * 'quoted text', [optional sections], other punctuation literal). */
#define DATETIME_FMT_MAX 64

struct datetime_fmt_tok {
  uint8_t kind;   /* internal token kind */
  uint8_t width;  /* letter count */
  char lit;       /* literal character */
  uint8_t match;  /* OPT_BEGIN: index of its OPT_END */
};

struct datetime_fmt {
  int ntok;
  struct datetime_fmt_tok tok[DATETIME_FMT_MAX];
};

/* Compile pattern. Returns 0, or ERR_INVAL/ERR_UNSUPPORTED with a message in
 * e naming the offending letter. */
int datetime_fmt_compile(struct datetime_fmt *f, const char *pattern, struct err *e);

/* As datetime_fmt_compile, for a pattern that will parse text (a reader's
 * dateFormat, to_date's pattern): letters that only format (D Q q k K G z V
 * O) are refused with ERR_UNSUPPORTED naming the letter, rather than making
 * every value NULL. */
int datetime_fmt_compile_parser(struct datetime_fmt *f, const char *pattern, struct err *e);

/* Parse text that must match the whole pattern. Missing fields default to
 * 1970-01-01 00:00:00. Returns 0 or -1. */
int datetime_fmt_parse_timestamp(const struct datetime_fmt *f, const char *p, size_t n,
                                 int64_t *us);
/* As above; a time of day in the text is allowed and dropped. */
int datetime_fmt_parse_date(const struct datetime_fmt *f, const char *p, size_t n,
                            int32_t *days);

/* Append us formatted with f to b. Returns 0 or a buf error. */
int datetime_fmt_format(const struct datetime_fmt *f, int64_t us, struct buf *b);

#endif
