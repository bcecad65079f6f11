/* test_shuffle.c: the hash shuffle -- writer/reader round trip over many
 * partitions with every column type and NULLs, co-partitioning of two
 * writers, a spilling writer under a small budget, and FetchFailed errors
 * for missing or corrupt files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/cluster/shuffle.h"
#include "engine/exec/batchio.h"
#include "common/fs.h"
#include "tests/tap.h"

static char dir[256];

static const struct type TYPES[] = {
    {TYPE_BIGINT, 0, 0}, {TYPE_BOOLEAN, 0, 0}, {TYPE_INT, 0, 0},    {TYPE_DOUBLE, 0, 0},
    {TYPE_DECIMAL, 10, 2}, {TYPE_STRING, 0, 0}, {TYPE_DATE, 0, 0}, {TYPE_TIMESTAMP, 0, 0},
};
#define NCOLS 8

static void gen_str(int64_t id, char *s, size_t n) {
  snprintf(s, n, "s%lld-%.*s", (long long)(id % 997), (int)(id % 23), "abcdefghijklmnopqrstuvwxyz");
}

/* Rows [from, from + n) of the generated table; column 0 is the row id. */
static struct batch *gen(int64_t from, uint32_t n) {
  struct batch *b = batch_new(TYPES, NCOLS, n, ARENA_UNLIMITED);
  char s[64];
  for (uint32_t k = 0; k < n; k++) {
    int64_t id = from + k;
    vector_append_i64(&b->cols[0], id);
    if (id % 7 == 0) vector_append_null(&b->cols[1]); else vector_append_bool(&b->cols[1], id & 1);
    if (id % 11 == 0) vector_append_null(&b->cols[2]); else vector_append_i32(&b->cols[2], (int32_t)(id % 1000) - 500);
    if (id % 13 == 0) vector_append_null(&b->cols[3]); else vector_append_f64(&b->cols[3], id * 0.5);
    if (id % 5 == 0) vector_append_null(&b->cols[4]); else vector_append_i64(&b->cols[4], id * 101);
    gen_str(id, s, sizeof s);
    if (id % 17 == 0) vector_append_null(&b->cols[5]); else vector_append_str(&b->cols[5], s, strlen(s));
    if (id % 3 == 0) vector_append_null(&b->cols[6]); else vector_append_i32(&b->cols[6], (int32_t)(id % 20000));
    if (id % 19 == 0) vector_append_null(&b->cols[7]); else vector_append_i64(&b->cols[7], id * 1000003);
  }
  batch_set_rows(b, n);
  return b;
}

/* Does row i of b equal generated row id (column 0)? */
static int row_ok(const struct batch *b, uint32_t i) {
  struct batch *g = gen(vector_i64(&b->cols[0])[i], 1);
  int ok = 1;
  for (int c = 0; c < NCOLS && ok; c++) {
    const struct vector *x = &b->cols[c], *y = &g->cols[c];
    if (x->type.id != y->type.id) ok = 0;
    else if (vector_is_null(x, i) != vector_is_null(y, 0)) ok = 0;
    else if (vector_is_null(x, i)) continue;
    else if (x->type.id == TYPE_STRING) {
      struct sv a = vector_sv(x)[i], bb = vector_sv(y)[0];
      ok = a.len == bb.len && memcmp(a.ptr, bb.ptr, a.len) == 0;
    } else {
      size_t es = vector_elem_size(x->type.id);
      ok = memcmp((char *)x->data + es * i, y->data, es) == 0;
    }
  }
  batch_free(g);
  return ok;
}

static const int KEYS[] = {2, 5};

/* Write rows [0, nrows) in batches of 2048 hashed on KEYS. */
static int write_table(struct task_ctx *t, const char *name, int nparts, int64_t nrows,
                       int64_t *pb, int64_t *pr, char **path, struct err *e) {
  struct shuffle_writer *w;
  int rc = shuffle_writer_open(&w, t, dir, name, nparts, KEYS, 2, e);
  if (rc) return rc;
  for (int64_t from = 0; from < nrows; from += 2048) {
    uint32_t n = (uint32_t)(nrows - from < 2048 ? nrows - from : 2048);
    struct batch *b = gen(from, n);
    rc = shuffle_writer_add(w, b, e);
    batch_free(b);
    if (rc) {
      shuffle_writer_abort(w);
      return rc;
    }
  }
  return shuffle_writer_commit(w, pb, pr, path, e);
}

/* Read partition p of path; append ids to ids[*n]; check each row's
 * partition and values. Returns 0, or the reader's error. */
static int read_part(struct task_ctx *t, const char *path, int p, int nparts, int64_t *ids,
                     int64_t *n, int *bad, struct err *e) {
  const char *paths[1] = {path};
  struct op *r = op_shuffle_read(t, TYPES, NCOLS, paths, 1, p, p + 1, e);
  if (!r) return e->code;
  struct batch *b;
  int rc;
  while ((rc = op_next(r, &b, e)) == 1) {
    for (uint32_t i = 0; i < b->nrows; i++) {
      if ((int)(shuffle_hash(b, KEYS, 2, i) % (uint64_t)nparts) != p || !row_ok(b, i)) (*bad)++;
      ids[(*n)++] = vector_i64(&b->cols[0])[i];
    }
  }
  op_close(r);
  return rc < 0 ? rc : 0;
}

static int count_files(const char *suffix) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name), s = strlen(suffix);
    if (l >= s && strcmp(de->d_name + l - s, suffix) == 0) n++;
  }
  closedir(d);
  return n;
}

static struct task_ctx ctx(struct mem_budget *mb, atomic_int *cancel) {
  struct task_ctx t;
  memset(&t, 0, sizeof t);
  t.mem = mb;
  t.spill_dir = dir;
  t.cancel = cancel;
  return t;
}

#define NROWS 30000
#define NPARTS 37

static void test_round_trip(void) {
  struct mem_budget mb;
  mem_budget_init(&mb, 0);
  atomic_int cancel = 0;
  struct task_ctx t = ctx(&mb, &cancel);
  struct err e;
  err_clear(&e);
  int64_t pb[NPARTS], pr[NPARTS];
  char *path = NULL;
  int rc = write_table(&t, "map-0", NPARTS, NROWS, pb, pr, &path, &e);
  TAP_OK(rc == 0 && path, "round trip: commit (%s)", e.msg);
  if (rc) return;
  int64_t rows = 0, bytes = 0, nonempty = 0;
  for (int p = 0; p < NPARTS; p++) {
    rows += pr[p];
    bytes += pb[p];
    nonempty += pr[p] > 0;
  }
  struct stat st;
  stat(path, &st);
  TAP_EQ_INT(rows, NROWS, "round trip: partition row counts sum to the input");
  TAP_EQ_INT(bytes, st.st_size, "round trip: partition sizes sum to the data file size");
  TAP_OK(nonempty > NPARTS / 2, "round trip: rows spread over partitions (%lld)", (long long)nonempty);
  TAP_EQ_INT(count_files(".tmp"), 0, "round trip: no temporaries left");
  TAP_EQ_INT(atomic_load(&mb.used), 0, "round trip: budget released");
  int64_t *ids = malloc(sizeof(int64_t) * NROWS * 2);
  int64_t n = 0;
  int bad = 0, err_rc = 0;
  for (int p = 0; p < NPARTS; p++) {
    int64_t before = n;
    if (read_part(&t, path, p, NPARTS, ids, &n, &bad, &e)) err_rc = 1;
    if (n - before != pr[p]) bad++;
  }
  TAP_OK(!err_rc, "round trip: read every partition (%s)", e.msg);
  TAP_EQ_INT(n, NROWS, "round trip: every row read back");
  TAP_EQ_INT(bad, 0, "round trip: rows in the right partition with equal values");
  char *seen = calloc(NROWS, 1);
  int dup = 0;
  for (int64_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= NROWS || seen[ids[i]]) dup++;
    else seen[ids[i]] = 1;
  }
  TAP_EQ_INT(dup, 0, "round trip: each row exactly once");
  /* A range read of several partitions equals the concatenation. */
  const char *paths[2] = {path, path};
  struct op *r = op_shuffle_read(&t, TYPES, NCOLS, paths, 2, 3, 9, &e);
  int64_t got = 0, want = 0;
  struct batch *b;
  while (r && op_next(r, &b, &e) == 1) got += b->nrows;
  op_close(r);
  for (int p = 3; p < 9; p++) want += 2 * pr[p];
  TAP_EQ_INT(got, want, "round trip: range [3,9) of two files");
  free(seen);
  free(ids);
  free(path);
}

static void test_hash(void) {
  struct type tt[3] = {{TYPE_DOUBLE, 0, 0}, {TYPE_STRING, 0, 0}, {TYPE_INT, 0, 0}};
  struct batch *b = batch_new(tt, 3, 8, ARENA_UNLIMITED);
  vector_append_f64(&b->cols[0], 0.0);
  vector_append_f64(&b->cols[0], -0.0);
  vector_append_f64(&b->cols[0], NAN);
  vector_append_f64(&b->cols[0], -NAN);
  for (int i = 0; i < 4; i++) vector_append_str(&b->cols[1], "same", 4);
  for (int i = 0; i < 4; i++) vector_append_null(&b->cols[2]);
  batch_set_rows(b, 4);
  int k0[1] = {0}, k2[1] = {2}, k12[2] = {1, 0};
  TAP_OK(shuffle_hash(b, k0, 1, 0) == shuffle_hash(b, k0, 1, 1), "hash: -0.0 == 0.0");
  TAP_OK(shuffle_hash(b, k0, 1, 2) == shuffle_hash(b, k0, 1, 3), "hash: NaNs canonical");
  TAP_OK(shuffle_hash(b, k0, 1, 0) != shuffle_hash(b, k0, 1, 2), "hash: 0 != NaN");
  TAP_OK(shuffle_hash(b, k2, 1, 0) == shuffle_hash(b, k2, 1, 3), "hash: NULL fixed");
  TAP_OK(shuffle_hash(b, k12, 2, 0) == shuffle_hash(b, k12, 2, 1), "hash: multi-key");
  batch_free(b);
}

/* Equal keys of two writers with different layouts land in the same
 * partition. */
static void test_copartition(void) {
  struct err e;
  err_clear(&e);
  struct type ta[2] = {{TYPE_BIGINT, 0, 0}, {TYPE_STRING, 0, 0}};
  struct type tb[3] = {{TYPE_STRING, 0, 0}, {TYPE_DOUBLE, 0, 0}, {TYPE_BIGINT, 0, 0}};
  struct batch *a = batch_new(ta, 2, 1000, ARENA_UNLIMITED);
  struct batch *bb = batch_new(tb, 3, 1000, ARENA_UNLIMITED);
  char s[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(s, sizeof s, "k%d", i % 300);
    vector_append_i64(&a->cols[0], i % 300);
    vector_append_str(&a->cols[1], s, strlen(s));
    vector_append_str(&bb->cols[0], s, strlen(s));
    vector_append_f64(&bb->cols[1], i);
    vector_append_i64(&bb->cols[2], (i * 7) % 300);
  }
  batch_set_rows(a, 1000);
  batch_set_rows(bb, 1000);
  int ka[2] = {0, 1}, kb[2] = {2, 0};
  struct shuffle_writer *wa, *wb;
  char *pa = NULL, *pb = NULL;
  int rc = shuffle_writer_open(&wa, NULL, dir, "co-a", 16, ka, 2, &e) ||
           shuffle_writer_add(wa, a, &e) || shuffle_writer_commit(wa, NULL, NULL, &pa, &e);
  rc = rc || shuffle_writer_open(&wb, NULL, dir, "co-b", 16, kb, 2, &e) ||
       shuffle_writer_add(wb, bb, &e) || shuffle_writer_commit(wb, NULL, NULL, &pb, &e);
  TAP_OK(!rc, "copartition: both written (%s)", e.msg);
  /* Per partition, the set of key strings read from a and from b. */
  int mism = 0, tot = 0;
  for (int p = 0; p < 16 && !rc; p++) {
    char inA[300] = {0}, inB[300] = {0};
    const char *one[1] = {pa};
    struct op *r = op_shuffle_read(NULL, ta, 2, one, 1, p, p + 1, &e);
    struct batch *x;
    while (op_next(r, &x, &e) == 1)
      for (uint32_t i = 0; i < x->nrows; i++) inA[vector_i64(&x->cols[0])[i]] = 1;
    op_close(r);
    one[0] = pb;
    r = op_shuffle_read(NULL, tb, 3, one, 1, p, p + 1, &e);
    while (op_next(r, &x, &e) == 1)
      for (uint32_t i = 0; i < x->nrows; i++) {
        int64_t k = vector_i64(&x->cols[2])[i];
        struct sv sv = vector_sv(&x->cols[0])[i];
        snprintf(s, sizeof s, "k%lld", (long long)k);
        /* rows of b whose string differs from k are a different key */
        if (sv.len == strlen(s) && memcmp(sv.ptr, s, sv.len) == 0) inB[k] = 1;
      }
    op_close(r);
    for (int k = 0; k < 300; k++) {
      if (inB[k] && !inA[k]) mism++;
      tot += inA[k];
    }
  }
  TAP_EQ_INT(tot, 300, "copartition: every key of a found");
  TAP_EQ_INT(mism, 0, "copartition: matching keys of b in the same partition");
  batch_free(a);
  batch_free(bb);
  free(pa);
  free(pb);
}

/* Ids per partition of a file, concatenated with partition markers. */
static int64_t *ids_by_part(struct task_ctx *t, const char *path, int nparts, int64_t nrows,
                            int *bad) {
  int64_t *ids = malloc(sizeof(int64_t) * (size_t)(nrows + nparts));
  int64_t n = 0;
  struct err e;
  err_clear(&e);
  for (int p = 0; p < nparts; p++) {
    if (read_part(t, path, p, nparts, ids, &n, bad, &e)) (*bad)++;
    ids[n++] = -1 - p;
  }
  return ids;
}

static void test_spill(void) {
  int64_t nrows = 200000;
  int np = 8;
  struct mem_budget big, small;
  mem_budget_init(&big, 0);
  mem_budget_init(&small, 5 << 20);
  mem_task_begin(&small);
  atomic_int cancel = 0;
  struct task_ctx t1 = ctx(&big, &cancel), t2 = ctx(&small, &cancel);
  struct err e;
  err_clear(&e);
  char *p1 = NULL, *p2 = NULL;
  int64_t pb1[8], pb2[8], pr1[8], pr2[8];
  int rc = write_table(&t1, "nospill", np, nrows, pb1, pr1, &p1, &e);
  rc = rc || write_table(&t2, "spill", np, nrows, pb2, pr2, &p2, &e);
  TAP_OK(!rc, "spill: both written (%s)", e.msg);
  if (rc) return;
  TAP_OK(t2.spill_bytes > 0 && t1.spill_bytes == 0, "spill: small budget spilled %lld bytes",
         (long long)t2.spill_bytes);
  TAP_OK(atomic_load(&small.peak) <= (6 << 20), "spill: budget respected (peak %lld)",
         (long long)atomic_load(&small.peak));
  TAP_OK(memcmp(pr1, pr2, sizeof pr1) == 0, "spill: same rows per partition");
  int bad = 0;
  int64_t *a = ids_by_part(&t1, p1, np, nrows, &bad), *b = ids_by_part(&t1, p2, np, nrows, &bad);
  TAP_OK(memcmp(a, b, sizeof(int64_t) * (size_t)(nrows + np)) == 0 && !bad,
         "spill: identical rows in identical order");
  TAP_EQ_INT(count_files(".spill"), 0, "spill: spill file removed");
  mem_task_end(&small);
  TAP_EQ_INT(atomic_load(&small.used), 0, "spill: budget released");
  free(a);
  free(b);
  free(p1);
  free(p2);
}

static void expect_fetch_failed(struct task_ctx *t, const char *path, const char *what) {
  struct err e;
  err_clear(&e);
  const char *paths[1] = {path};
  struct op *r = op_shuffle_read(t, TYPES, NCOLS, paths, 1, 0, 4, &e);
  struct batch *b;
  int rc;
  while ((rc = op_next(r, &b, &e)) == 1) {
  }
  op_close(r);
  TAP_OK(rc == ERR_IO && strncmp(e.msg, "FetchFailed: ", 13) == 0 && strstr(e.msg, dir),
         "fetch failed: %s (%s)", what, e.msg);
}

static void test_corrupt(void) {
  atomic_int cancel = 0;
  struct mem_budget mb;
  mem_budget_init(&mb, 0);
  struct task_ctx t = ctx(&mb, &cancel);
  struct err e;
  err_clear(&e);
  char *path = NULL;
  int64_t pb[4];
  if (write_table(&t, "bad", 4, 5000, pb, NULL, &path, &e)) return;
  char missing[512];
  snprintf(missing, sizeof missing, "%s/nope.data", dir);
  expect_fetch_failed(&t, missing, "missing file");
  /* Flip bytes inside the first frame. */
  int fd = open(path, O_RDWR);
  char junk[64];
  memset(junk, 0xA5, sizeof junk);
  pwrite(fd, junk, sizeof junk, 0);
  expect_fetch_failed(&t, path, "corrupt frame header");
  /* Truncate: index no longer matches. */
  ftruncate(fd, pb[0] / 2);
  close(fd);
  expect_fetch_failed(&t, path, "truncated data file");
  char ipath[512];
  snprintf(ipath, sizeof ipath, "%s/bad.index", dir);
  fd = open(ipath, O_WRONLY | O_TRUNC);
  write(fd, junk, 13);
  close(fd);
  expect_fetch_failed(&t, path, "corrupt index");
  /* Corrupt column data inside an otherwise valid file. */
  free(path);
  path = NULL;
  if (write_table(&t, "bad2", 4, 5000, pb, NULL, &path, &e)) return;
  fd = open(path, O_RDWR);
  uint32_t huge = 0x7fffffff;
  pwrite(fd, &huge, 4, 8); /* nrows of the first frame */
  close(fd);
  expect_fetch_failed(&t, path, "corrupt frame body");
  /* Cancellation stops a reader. */
  free(path);
  path = NULL;
  write_table(&t, "ok", 4, 5000, pb, NULL, &path, &e);
  cancel = 1;
  const char *paths[1] = {path};
  struct op *r = op_shuffle_read(&t, TYPES, NCOLS, paths, 1, 0, 4, &e);
  struct batch *b;
  TAP_EQ_INT(op_next(r, &b, &e), ERR_CANCELLED, "reader honours cancel");
  op_close(r);
  free(path);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/test_shuffle.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  test_hash();
  test_round_trip();
  test_copartition();
  test_spill();
  test_corrupt();
  if (fs_rmtree(dir) != 0) printf("# cleanup failed\n");
  return tap_done();
}
