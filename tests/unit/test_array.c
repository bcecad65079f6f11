/* test_array.c: the ARRAY encoding (engine/vec/array.h) -- building,
 * reading, Spark's text and JSON forms, distinct, rejection of corrupt
 * bytes -- its round trip through batch frames (batchio.c) and spill files,
 * and collect_list/collect_set giving the same answer when a tiny memory
 * budget makes the aggregation spill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "engine/engine.h"
#include "engine/exec/batchio.h"
#include "engine/exec/spill.h"
#include "engine/vec/array.h"
#include "engine/vec/batch.h"
#include "tests/tap.h"

static struct array_elem I(int64_t x) {
  struct array_elem e = {0};
  e.i = x;
  return e;
}

static struct array_elem S(const char *s) {
  struct array_elem e = {0};
  e.s = sv_make(s, (uint32_t)strlen(s));
  return e;
}

static struct array_elem N(void) {
  struct array_elem e = {0};
  e.is_null = 1;
  return e;
}

static char *text(struct sv a, struct type t, int json) {
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  if (json) array_format_json(a, t, &b);
  else array_format(a, t, &b);
  buf_puts(&b, "");
  return buf_steal(&b);
}

static void test_encoding(void) {
  struct arena ar;
  arena_init(&ar, ARENA_UNLIMITED);
  struct type it = {TYPE_INT, 0, 0}, st = {TYPE_STRING, 0, 0}, dt = {TYPE_DECIMAL, 5, 2};
  struct type ait = type_array_of(it), ast = type_array_of(st), adt = type_array_of(dt);
  TAP_OK(type_elem_id(adt) == TYPE_DECIMAL && type_elem(adt).precision == 5 &&
             type_elem(adt).scale == 2 && type_elem_id(ast) == TYPE_STRING,
         "the element type (and its precision/scale) survives in the ARRAY type");

  struct array_elem iv[] = {I(1), I(-2), N(), I(2147483647)};
  struct sv a;
  TAP_OK(array_build(&ar, TYPE_INT, iv, 4, &a) == 0 && array_count(a) == 4,
         "array<int> with a NULL element builds");
  char *t = text(a, ait, 0), *j = text(a, ait, 1);
  TAP_EQ_STR(t, "[1, -2, null, 2147483647]", "show() text of array<int>");
  TAP_EQ_STR(j, "[1,-2,null,2147483647]", "JSON of array<int>");
  free(t);
  free(j);

  struct array_elem sv[] = {S("b, c"), S("\"q\""), N(), S("")};
  TAP_OK(array_build(&ar, TYPE_STRING, sv, 4, &a) == 0, "array<string> builds");
  t = text(a, ast, 0);
  j = text(a, ast, 1);
  TAP_EQ_STR(t, "[b, c, \"q\", null, ]", "strings unquoted in show() text");
  TAP_EQ_STR(j, "[\"b, c\",\"\\\"q\\\"\",null,\"\"]", "strings quoted and escaped in JSON");
  free(t);
  free(j);

  struct array_elem dv[] = {I(150), I(-5)};
  TAP_OK(array_build(&ar, TYPE_DECIMAL, dv, 2, &a) == 0, "array<decimal(5,2)> builds");
  t = text(a, adt, 0);
  TAP_EQ_STR(t, "[1.50, -0.05]", "decimal elements keep their scale");
  free(t);

  /* Every truncation of a valid value is rejected, never read past. */
  TAP_OK(array_build(&ar, TYPE_STRING, sv, 4, &a) == 0 && array_validate(a, TYPE_STRING) == 0,
         "a well-formed array validates");
  int bad = 0;
  for (uint32_t n = 0; n < a.len; n++)
    if (array_validate(sv_make(a.ptr, n), TYPE_STRING) == 0) bad++;
  TAP_OK(bad == 0, "every truncated array<string> is rejected (%d accepted)", bad);
  char forged[8] = {0};
  uint32_t huge = 0x7fffffff;
  memcpy(forged, &huge, 4);
  TAP_OK(array_validate(sv_make(forged, 8), TYPE_INT) != 0, "a forged element count is rejected");

  /* Distinct over an element stream keeps first occurrences in order. */
  struct buf s;
  buf_init(&s, BUF_UNLIMITED);
  const char *words[] = {"b", "a", "b", "c", "a", "b"};
  for (int k = 0; k < 6; k++) {
    struct array_elem e = S(words[k]);
    array_stream_put(&s, TYPE_STRING, &e);
  }
  size_t len = s.len;
  uint32_t cnt = 6;
  TAP_OK(array_stream_distinct(TYPE_STRING, s.data, &len, &cnt) == 0 && cnt == 3,
         "stream distinct leaves 3 of 6 strings");
  TAP_OK(array_from_stream(&ar, s.data, len, cnt, &a) == 0, "stream encodes as an array");
  t = text(a, ast, 0);
  TAP_EQ_STR(t, "[b, a, c]", "first occurrences, in order");
  free(t);
  buf_fini(&s);
  arena_fini(&ar);
}

/* A batch of (array<int>, array<string>, array<decimal(5,2)>) rows, every
 * fourth one NULL. */
static struct batch *make_batch(uint32_t n) {
  struct type it = {TYPE_INT, 0, 0}, st = {TYPE_STRING, 0, 0}, dt = {TYPE_DECIMAL, 5, 2};
  struct type types[3] = {type_array_of(it), type_array_of(st), type_array_of(dt)};
  struct batch *b = batch_new(types, 3, n, ARENA_UNLIMITED);
  struct arena tmp;
  arena_init(&tmp, ARENA_UNLIMITED);
  for (uint32_t r = 0; r < n; r++) {
    if (r % 4 == 3) {
      for (int c = 0; c < 3; c++) vector_append_null(&b->cols[c]);
      continue;
    }
    struct array_elem v[8];
    char words[8][16];
    uint32_t k = r % 8;
    for (uint32_t x = 0; x < k; x++) v[x] = x == 2 ? N() : I((int64_t)(r * 10 + x));
    struct sv a;
    array_build(&tmp, TYPE_INT, v, k, &a);
    vector_append_str(&b->cols[0], a.ptr, a.len);
    array_build(&tmp, TYPE_DECIMAL, v, k, &a);
    vector_append_str(&b->cols[2], a.ptr, a.len);
    for (uint32_t x = 0; x < k; x++) {
      snprintf(words[x], sizeof words[x], "w%u.%u", r, x);
      v[x] = x == 1 ? N() : S(words[x]);
    }
    array_build(&tmp, TYPE_STRING, v, k, &a);
    vector_append_str(&b->cols[1], a.ptr, a.len);
  }
  batch_set_rows(b, n);
  arena_fini(&tmp);
  return b;
}

static char *batch_text(const struct batch *b) {
  struct buf t;
  buf_init(&t, BUF_UNLIMITED);
  for (uint32_t r = 0; r < b->nrows; r++) {
    for (int c = 0; c < b->ncols; c++) {
      if (c) buf_putc(&t, '\t');
      if (vector_is_null(&b->cols[c], r)) buf_puts(&t, "NULL");
      else vector_to_text(&b->cols[c], r, &t);
    }
    buf_putc(&t, '\n');
  }
  buf_puts(&t, "");
  return buf_steal(&t);
}

static void test_frames(void) {
  struct batch *b = make_batch(100);
  char *want = batch_text(b);
  TAP_OK(strstr(want, "\n[60, 61, null, 63, 64, 65]\t[w6.0, null, w6.2, w6.3, w6.4, w6.5]\t"
                       "[0.60, 0.61, null, 0.63, 0.64, 0.65]\n") != NULL &&
             strstr(want, "\nNULL\tNULL\tNULL\n[]\t[]\t[]\n") != NULL,
         "the batch's arrays print as Spark does");
  struct buf f;
  buf_init(&f, BUF_UNLIMITED);
  struct err e;
  err_clear(&e);
  struct batch *d = NULL;
  size_t used = 0;
  int rc = batchio_encode(b, NULL, 0, &f);
  rc = rc ? rc : batchio_decode(f.data, f.len, &d, &used, &e);
  char *got = d ? batch_text(d) : NULL;
  TAP_OK(rc == 0 && used == f.len && got && !strcmp(got, want),
         "arrays round-trip through a batch frame");
  TAP_OK(d && d->cols[2].type.id == TYPE_ARRAY && type_elem(d->cols[2].type).scale == 2,
         "the frame keeps the element type");
  free(got);
  batch_free(d);

  /* Selected rows, then a corrupted array inside a valid frame. */
  uint32_t sel[3] = {1, 5, 9};
  buf_reset(&f);
  batchio_encode(b, sel, 3, &f);
  d = NULL;
  rc = batchio_decode(f.data, f.len, &d, NULL, &e);
  TAP_OK(rc == 0 && d && d->nrows == 3 && array_count(vector_sv(&d->cols[0])[1]) == 5,
         "a selection of array rows round-trips");
  batch_free(d);
  /* Column 0's first value starts after the frame header, the column header
   * and the string section's total and lengths: count = 1 there; make it huge. */
  size_t at = 16 + 4 + 4 + 3 * 4;
  uint32_t cnt;
  memcpy(&cnt, f.data + at, 4);
  uint32_t huge = 1000000;
  memcpy(f.data + at, &huge, 4);
  d = NULL;
  err_clear(&e);
  rc = batchio_decode(f.data, f.len, &d, NULL, &e);
  TAP_OK(cnt == 1 && rc == ERR_PARSE && !d, "a frame holding a malformed array is rejected (%s)",
         e.msg);
  buf_fini(&f);

  /* Through a spill file, in two frames. */
  err_clear(&e);
  struct spill *s = spill_open("/tmp", &e);
  uint32_t first[50], second[50];
  for (uint32_t i = 0; i < 50; i++) first[i] = i, second[i] = 50 + i;
  rc = s ? spill_write(s, b, first, 50, &e) : -1;
  rc = rc ? rc : spill_write(s, b, second, 50, &e);
  rc = rc ? rc : spill_rewind(s, &e);
  struct buf all;
  buf_init(&all, BUF_UNLIMITED);
  int frames = 0;
  struct batch *x;
  while (rc == 0 && spill_read(s, &x, &e) == 1) {
    char *t = batch_text(x);
    buf_puts(&all, t);
    free(t);
    batch_free(x);
    frames++;
  }
  buf_puts(&all, "");
  TAP_OK(rc == 0 && frames == 2 && !strcmp(all.data, want), "arrays round-trip through a spill file");
  buf_fini(&all);
  spill_close(s);
  free(want);
  batch_free(b);
}

struct spilled {
  int64_t spill;
};

static void on_progress(void *arg, const struct engine_progress *p) {
  struct spilled *s = arg;
  if (p->spill_bytes > s->spill) s->spill = p->spill_bytes;
}

static void on_event(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* The last result of sql on master (with conf key=val) as CSV. */
static char *run(const char *master, const char *key, const char *val, const char *sql,
                 int64_t *spill) {
  struct engine *en;
  struct readopt_kv kv[2] = {{"spark.sql.shuffle.partitions", "4"}, {key, val}};
  struct err e;
  err_clear(&e);
  const char *bd = getenv("top_builddir");
  char exe[4096];
  snprintf(exe, sizeof exe, "%s/kindling", bd ? bd : ".");
  if (engine_new(&en, master, kv, key ? 2 : 1, exe, &e)) {
    TAP_OK(0, "engine_new: %s", e.msg);
    return NULL;
  }
  struct spilled sp = {0};
  struct engine_callbacks cb = {on_progress, on_event, &sp};
  struct engine_result **rs = NULL;
  int n = 0;
  char *out = NULL;
  if (engine_sql(en, sql, strlen(sql), &cb, &rs, &n, &e) == 0 && n > 0) {
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    engine_result_format(rs[n - 1], "csv", &b);
    buf_puts(&b, "");
    out = buf_steal(&b);
  } else {
    TAP_OK(0, "query failed: %s", e.msg);
  }
  for (int i = 0; rs && i < n; i++) engine_result_free(rs[i]);
  free(rs);
  engine_free(en);
  if (spill) *spill = sp.spill;
  return out;
}

static void test_spill(void) {
  /* A CSV file split into several tasks (so the aggregate runs in two
   * phases), 40,000 groups of 5 strings of 100 bytes: 20 MB of lists, far
   * more than an 8 MB executor's tasks may hold, so the aggregates spill. */
  char dir[] = "/tmp/kindling-array-XXXXXX";
  if (!mkdtemp(dir)) {
    TAP_OK(0, "mkdtemp");
    return;
  }
  char sql[2048];
  snprintf(sql, sizeof sql,
           "INSERT OVERWRITE DIRECTORY '%s/src' USING csv "
           "SELECT id, lpad(CAST(id AS STRING), 100, 'x') AS s FROM range(200000);\n"
           "CREATE TABLE src (id BIGINT, s STRING) USING csv OPTIONS (path '%s/src');\n"
           "SET spark.sql.files.maxPartitionBytes=2m;\n"
           "SELECT count(*), sum(size(l)), sum(size(st)), "
           "sum(CAST(array_contains(l, lpad(CAST(g + 80000 AS STRING), 100, 'x')) AS INT)), "
           "min(CAST(sort_array(st) AS STRING)), max(CAST(sort_array(l) AS STRING)) "
           "FROM (SELECT id %% 40000 AS g, collect_list(s) AS l, collect_set(id %% 3) AS st "
           "FROM src GROUP BY id %% 40000)",
           dir, dir);
  int64_t sp0 = 0, sp1 = 0;
  char *base = run("local[2]", NULL, NULL, sql, &sp0);
  TAP_OK(base && strstr(base, "\n40000,200000,120000,40000,\"[0, 1, 2]\",\"[") &&
             strstr(base, "x139999, ") && strstr(base, "x99999]\"\n"),
         "collect_list/collect_set over 40,000 groups in two phases");
  char *small = run("local-cluster[1,2,512]", "spark.executor.memory", "8m", sql, &sp1);
  TAP_OK(small && base && !strcmp(small, base), "same answer from an 8 MB executor");
  TAP_OK(sp1 > 0, "the collect aggregation spilled (%lld bytes)", (long long)sp1);
  free(base);
  free(small);
  fs_rmtree(dir);
}

int main(void) {
  test_encoding();
  test_frames();
  test_spill();
  return tap_done();
}
