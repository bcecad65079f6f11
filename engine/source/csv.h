/* csv.h: the CSV data source -- Spark's options, schema inference, and a
 * byte-range reader producing columnar batches.
 *
 * Semantics follow Spark 3.5's CSV source (DataFrameReader.csv):
 *   - options (keys case-insensitive): header, inferSchema, prefersDate,
 *     sep/delimiter, quote, escape, comment, nullValue, emptyValue, nanValue,
 *     positiveInf, negativeInf, dateFormat, timestampFormat, mode,
 *     columnNameOfCorruptRecord, multiLine, ignoreLeadingWhiteSpace,
 *     ignoreTrailingWhiteSpace, encoding/charset (UTF-8 only); other keys are
 *     ignored.
 *   - null handling: an unquoted empty field is NULL; a quoted empty field
 *     reads as emptyValue; any field equal to nullValue is NULL (so with the
 *     defaults both empty forms are NULL).
 *   - quoting: a field is quoted only if it starts with the quote character;
 *     inside, escape+quote and a doubled quote both stand for one quote
 *     (Spark needs escape='"' for the doubled form; accepting both is a
 *     superset); text between a closing quote and the separator is kept.
 *   - records are lines (\n or \r\n); blank and whitespace-only lines and
 *     lines starting with the comment character are skipped; a UTF-8 BOM at
 *     the start of a file is skipped. With multiLine=true quoted fields may
 *     contain line breaks and files are not split.
 *   - malformed records: a record whose field count differs from the number
 *     of data columns, or a projected field that does not convert to its
 *     type. PERMISSIVE keeps the record (bad or missing fields NULL, extra
 *     fields dropped) and stores the raw line in the corrupt-record column if
 *     the schema has one (a STRING column named columnNameOfCorruptRecord,
 *     default _corrupt_record, which is not read from the file);
 *     DROPMALFORMED drops it; FAILFAST fails with the file, line and reason.
 *     Unlike Spark with column pruning, the field-count check does not depend
 *     on which columns are projected.
 *   - inference (inferSchema=true) runs over every record, per column:
 *     INT -> BIGINT -> DOUBLE -> (DATE if prefersDate, default true) ->
 *     TIMESTAMP -> BOOLEAN -> STRING, merging INT<BIGINT<DOUBLE and
 *     DATE<TIMESTAMP, anything else to STRING, all-NULL columns to STRING.
 *     Dates are inferred with dateFormat (default strict yyyy-MM-dd),
 *     timestamps with timestampFormat or Spark's lenient timestamp grammar.
 *     Integers too large for BIGINT infer as DOUBLE (Spark: DECIMAL(p>18),
 *     which the engine does not have).
 *   - column names: the header fields (inferSchema or not) with empty names
 *     replaced by _c<i> and duplicates suffixed with their index, or
 *     _c0, _c1, ... without a header. With an explicit schema the header
 *     line is skipped, not checked (Spark's enforceSchema=true).
 *   - session time zone is UTC. */
#ifndef KINDLING_ENGINE_SOURCE_CSV_H
#define KINDLING_ENGINE_SOURCE_CSV_H

#include <stdint.h>

#include "common/err.h"
#include "engine/source/path.h"
#include "engine/source/readopt.h"
#include "engine/vec/batch.h"
#include "engine/vec/datetime.h"
#include "engine/vec/schema.h"

struct csv_options {
  int header;             /* false */
  int infer_schema;       /* false */
  int prefers_date;       /* true */
  int multi_line;         /* false */
  int ignore_leading_ws;  /* false */
  int ignore_trailing_ws; /* false */
  char sep;               /* ',' */
  char quote;             /* '"'; '\0' = quoting off */
  char escape;            /* '\\' */
  char comment;           /* '\0' = off */
  enum readopt_mode mode; /* PERMISSIVE */
  char *null_value;       /* owned, "" */
  char *empty_value;      /* owned, "" */
  char *nan_value;        /* owned, "NaN" */
  char *positive_inf;     /* owned, "Inf" */
  char *negative_inf;     /* owned, "-Inf" */
  char *corrupt_column;   /* owned, "_corrupt_record" */
  int has_date_format;    /* user gave dateFormat */
  int has_timestamp_format;
  int date_format_iso;    /* dateFormat is exactly yyyy-MM-dd */
  struct datetime_fmt date_format;
  struct datetime_fmt timestamp_format;
};

/* Fill o with Spark's defaults, then apply the n options in kv (borrowed).
 * Returns 0, or ERR_INVAL / ERR_UNSUPPORTED with e naming the option; o is
 * always safe to csv_options_fini. */
int csv_options_parse(struct csv_options *o, const struct readopt_kv *kv, int n, struct err *e);

void csv_options_fini(struct csv_options *o);

/* 1 when files may be split into byte ranges (multiLine=false). */
int csv_splittable(const struct csv_options *o);

/* Infer the schema of files (all of them are read) into out (initialised by
 * this call). Returns 0 or an error (ERR_IO for unreadable files, ERR_INVAL
 * when there is no record to take column names from and no header). */
int csv_infer_schema(const struct path_list *files, const struct csv_options *o,
                     struct schema *out, struct err *e);

struct csv_reader;

/* Open a reader over bytes [start, end) of path (end < 0: to the end of the
 * file). schema (borrowed, must outlive the reader) lists the file's columns
 * in order, plus optionally the corrupt-record column; proj[0..nproj) are the
 * schema columns to produce, in output order (copied). o is borrowed and must
 * outlive the reader. Returns 0 and a new reader in *out, or an error. */
int csv_reader_open(struct csv_reader **out, const char *path, int64_t start, int64_t end,
                    const struct schema *schema, const int *proj, int nproj,
                    const struct csv_options *o, struct err *e);

/* Produce the next batch: returns 1 with *out pointing at a batch owned by
 * the reader (valid until the next call or close), 0 at the end of the
 * range, or a negative ERR_* (FAILFAST: ERR_PARSE naming file and line). */
int csv_reader_next(struct csv_reader *r, struct batch **out, struct err *e);

/* Free the reader. NULL is allowed. */
void csv_reader_close(struct csv_reader *r);

/* Rows the reader has produced so far (after dropping malformed ones). */
int64_t csv_reader_rows(const struct csv_reader *r);

#endif
