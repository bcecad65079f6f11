/* jsonl.h: the JSON-lines data source (one JSON object per line) --
 * options, schema inference, and a byte-range reader producing batches.
 *
 * Semantics follow Spark 3.5's JSON source with multiLine=false:
 *   - options (case-insensitive keys): mode, columnNameOfCorruptRecord,
 *     dateFormat, timestampFormat, primitivesAsString, encoding (UTF-8
 *     only); multiLine=true is rejected; other keys are ignored.
 *   - inference reads every line: integers are BIGINT (DOUBLE when they do
 *     not fit; Spark would use DECIMAL), other numbers DOUBLE, true/false
 *     BOOLEAN, strings STRING (no date/timestamp inference, as Spark's
 *     default). Types widen BIGINT -> DOUBLE; any other mix is STRING; fields
 *     that are only ever null are STRING. Fields are sorted by name at every
 *     level, like Spark's inferred StructType.
 *   - nested objects are flattened: field b of object a becomes the column
 *     "a.b" with path ["a","b"]; empty objects yield no column. Arrays are
 *     kept as their JSON text in a STRING column (the engine has no ARRAY
 *     type); a STRING column receives the JSON text of non-string values.
 *   - malformed lines (bad JSON, or a top-level value that is not an object)
 *     and values that do not convert to the column type are handled per
 *     mode, as in csv.h: PERMISSIVE keeps the row (bad fields NULL; for bad
 *     JSON all fields NULL) with the raw line in the corrupt-record column;
 *     inference adds that STRING column (named columnNameOfCorruptRecord)
 *     when it meets a malformed line in PERMISSIVE mode; DROPMALFORMED skips;
 *     FAILFAST fails naming file and line.
 *   - blank lines are skipped; byte ranges behave as for CSV. */
#ifndef KINDLING_ENGINE_SOURCE_JSONL_H
#define KINDLING_ENGINE_SOURCE_JSONL_H

#include <stdint.h>

#include "common/err.h"
#include "engine/source/path.h"
#include "engine/source/readopt.h"
#include "engine/vec/batch.h"
#include "engine/vec/datetime.h"
#include "engine/vec/schema.h"

#define JSONL_MAX_DEPTH 128

struct jsonl_options {
  enum readopt_mode mode;  /* PERMISSIVE */
  char *corrupt_column;    /* owned, "_corrupt_record" */
  int primitives_as_string;
  int has_date_format, has_timestamp_format;
  struct datetime_fmt date_format, timestamp_format;
};

/* Spark defaults, then the n options of kv (borrowed). 0 or an error;
 * o is always safe to fini. */
int jsonl_options_parse(struct jsonl_options *o, const struct readopt_kv *kv, int n,
                        struct err *e);
void jsonl_options_fini(struct jsonl_options *o);

/* Infer the schema of all files into out (initialised by this call).
 * 0 or an error (FAILFAST: ERR_PARSE naming file and line). */
int jsonl_infer_schema(const struct path_list *files, const struct jsonl_options *o,
                       struct schema *out, struct err *e);

struct jsonl_reader;

/* As csv_reader_open: bytes [start, end) of path, schema borrowed (must
 * outlive the reader), proj copied, o borrowed. */
int jsonl_reader_open(struct jsonl_reader **out, const char *path, int64_t start, int64_t end,
                      const struct schema *schema, const int *proj, int nproj,
                      const struct jsonl_options *o, struct err *e);

/* 1 with a batch owned by the reader, 0 at the end, or an ERR_* code. */
int jsonl_reader_next(struct jsonl_reader *r, struct batch **out, struct err *e);

void jsonl_reader_close(struct jsonl_reader *r);

#endif
