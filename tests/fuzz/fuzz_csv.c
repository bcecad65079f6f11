/* fuzz_csv.c: libFuzzer target for the CSV reader.
 *
 * The first input byte picks options (header, multiLine, mode, quote,
 * inference); the rest is the file. The file is inferred, then read whole
 * and in byte ranges; with multiLine=false both reads must yield the same
 * number of rows, and nothing may crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/source/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int64_t read_all(const struct schema *s, const struct csv_options *o, int64_t split,
                        int64_t fsize) {
  int proj[SCHEMA_MAX_COLS > 256 ? 256 : SCHEMA_MAX_COLS];
  int np = s->ncols < 256 ? s->ncols : 256;
  for (int i = 0; i < np; i++) proj[i] = i;
  int64_t rows = 0;
  for (int64_t off = 0; off < fsize || off == 0; off += split) {
    struct csv_reader *r;
    struct err e;
    if (csv_reader_open(&r, path, off, off + split, s, proj, np, o, &e)) return -1;
    struct batch *b;
    int rc;
    struct buf t;
    buf_init(&t, 1 << 20);
    while ((rc = csv_reader_next(r, &b, &e)) == 1) {
      rows += b->nrows;
      for (int c = 0; c < b->ncols; c++) {
        buf_reset(&t);
        vector_to_text(&b->cols[c], b->nrows - 1, &t);
      }
    }
    buf_fini(&t);
    csv_reader_close(r);
    if (rc < 0) return -1;
    if (split >= fsize) break;
  }
  return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/fuzz_csv_%d.csv", (int)getpid());
  }
  uint8_t f = data[0];
  FILE *fp = fopen(path, "wb");
  if (!fp) return 0;
  fwrite(data + 1, 1, size - 1, fp);
  fclose(fp);
  struct readopt_kv kv[6] = {{"header", f & 1 ? "true" : "false"},
                             {"multiLine", f & 2 ? "true" : "false"},
                             {"mode", (f & 12) == 0 ? "PERMISSIVE" : (f & 12) == 4 ? "DROPMALFORMED" : "PERMISSIVE"},
                             {"quote", f & 16 ? "'" : "\""},
                             {"inferSchema", f & 32 ? "true" : "false"},
                             {"escape", f & 64 ? "\"" : "\\"}};
  struct csv_options o;
  struct err e;
  struct path_list files;
  struct schema s;
  if (csv_options_parse(&o, kv, 6, &e) == 0) {
    const char *p = path;
    if (path_expand(&p, 1, &files, &e) == 0) {
      if (csv_infer_schema(&files, &o, &s, &e) == 0) {
        struct type ts = {TYPE_STRING, 0, 0};
        if (f & 128) schema_add(&s, "_corrupt_record", ts, 1);
        int64_t whole = read_all(&s, &o, INT64_MAX / 4, (int64_t)(size - 1));
        if (!o.multi_line && whole >= 0) {
          int64_t parts = read_all(&s, &o, 1 + (int64_t)(f % 7), (int64_t)(size - 1));
          if (parts != whole) abort();
        }
        schema_fini(&s);
      }
      path_list_fini(&files);
    }
  }
  csv_options_fini(&o);
  unlink(path);
  return 0;
}
