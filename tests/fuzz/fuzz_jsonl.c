/* fuzz_jsonl.c: libFuzzer target for JSON-lines inference and reading.
 *
 * The first byte picks the mode; the rest is the file. The inferred schema
 * is read back whole and in small byte ranges: the row counts must agree
 * and nothing may crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/source/jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int64_t read_all(const struct schema *s, const struct jsonl_options *o, int64_t split,
                        int64_t fsize) {
  int proj[256];
  int np = s->ncols < 256 ? s->ncols : 256;
  for (int i = 0; i < np; i++) proj[i] = i;
  int64_t rows = 0;
  for (int64_t off = 0; off < fsize || off == 0; off += split) {
    struct jsonl_reader *r;
    struct err e;
    if (jsonl_reader_open(&r, path, off, off + split, s, proj, np, o, &e)) return -1;
    struct batch *b;
    int rc;
    while ((rc = jsonl_reader_next(r, &b, &e)) == 1) rows += b->nrows;
    jsonl_reader_close(r);
    if (rc < 0) return -1;
    if (split >= fsize) break;
  }
  return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_jsonl_%d.json", (int)getpid());
  FILE *fp = fopen(path, "wb");
  if (!fp) return 0;
  fwrite(data + 1, 1, size - 1, fp);
  fclose(fp);
  struct readopt_kv kv[1] = {{"mode", data[0] & 1 ? "DROPMALFORMED" : "PERMISSIVE"}};
  struct jsonl_options o;
  struct err e;
  struct path_list files;
  struct schema s;
  if (jsonl_options_parse(&o, kv, 1, &e) == 0) {
    const char *p = path;
    if (path_expand(&p, 1, &files, &e) == 0) {
      if (jsonl_infer_schema(&files, &o, &s, &e) == 0) {
        int64_t whole = read_all(&s, &o, INT64_MAX / 4, (int64_t)(size - 1));
        int64_t parts = read_all(&s, &o, 1 + (data[0] >> 4), (int64_t)(size - 1));
        if (whole >= 0 && parts != whole) abort();
        schema_fini(&s);
      }
      path_list_fini(&files);
    }
  }
  jsonl_options_fini(&o);
  unlink(path);
  return 0;
}
