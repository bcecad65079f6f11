/* shuffle.c: see shuffle.h.
 *
 * Writer layout in memory: per partition an open batch (rows appended with
 * batch_append_rows) and a buffer of already encoded frames (a full batch is
 * encoded and the batch reused). When the budget refuses a reservation,
 * everything buffered is written as one "run" to the writer's single spill
 * file: partition segments in partition order, recorded as (part, off, len)
 * triples. Commit writes, per partition, its segments of every run (oldest
 * first), then its in-memory frames, then its open batch -- so the rows of
 * a partition keep their input order -- into <name>.data.tmp, the index
 * into <name>.index.tmp, and renames data then index. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/cluster/shuffle.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/exec/batchio.h"

/* ---- hashing ---- */

#define H_P1 0x9E3779B185EBCA87ULL
#define H_P2 0xC2B2AE3D27D4EB4FULL
#define H_P3 0x165667B19E3779F9ULL
#define H_NULL 0x5bd1e9955bd1e995ULL
#define H_SEED 0x27d4eb2f165667c5ULL

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

static inline uint64_t hash_i64(int64_t v) { return fmix64((uint64_t)v * H_P1 + H_P3); }

static inline uint64_t hash_f64(double d) {
  if (d == 0) d = 0; /* -0.0 == 0.0 */
  if (isnan(d)) d = NAN;
  uint64_t u;
  memcpy(&u, &d, 8);
  if (isnan(d)) u = 0x7ff8000000000000ULL; /* one canonical NaN */
  return fmix64(u * H_P2 + H_P1);
}

static inline uint64_t hash_bytes(const char *p, uint32_t n) {
  uint64_t h = H_SEED + (uint64_t)n * H_P3;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t k;
    memcpy(&k, p + i, 8);
    h ^= rotl64(k * H_P2, 31) * H_P1;
    h = rotl64(h, 27) * H_P1 + H_P3;
  }
  uint64_t t = 0;
  if (i < n) memcpy(&t, p + i, n - i);
  h ^= rotl64(t * H_P2, 31) * H_P1;
  return fmix64(h);
}

static inline uint64_t hash_combine(uint64_t acc, uint64_t hv) {
  return rotl64(acc ^ hv, 29) * H_P1 + H_P2;
}

static inline uint64_t hash_value(const struct vector *v, uint32_t i) {
  if (!bitmap_get(v->validity, i)) return H_NULL;
  switch (v->type.id) {
  case TYPE_BOOLEAN: return hash_i64(vector_u8(v)[i] != 0);
  case TYPE_INT:
  case TYPE_DATE: return hash_i64(vector_i32(v)[i]);
  case TYPE_BIGINT:
  case TYPE_DECIMAL:
  case TYPE_TIMESTAMP: return hash_i64(vector_i64(v)[i]);
  case TYPE_DOUBLE: return hash_f64(vector_f64(v)[i]);
  case TYPE_STRING:
  case TYPE_ARRAY: {
    const struct sv *s = &vector_sv(v)[i];
    return hash_bytes(s->ptr, s->len);
  }
  default: return H_NULL;
  }
}

uint64_t shuffle_hash(const struct batch *b, const int *key_cols, int nkeys, uint32_t i) {
  uint64_t h = H_SEED;
  for (int k = 0; k < nkeys; k++) h = hash_combine(h, hash_value(&b->cols[key_cols[k]], i));
  return fmix64(h);
}

/* Hashes of rows [0, n) of b into h: one type-specialised loop per key
 * column; the same values as shuffle_hash row by row. */
static void hash_batch(const struct batch *b, const int *keys, int nkeys, uint32_t n,
                       uint64_t *h) {
  for (uint32_t i = 0; i < n; i++) h[i] = H_SEED;
  for (int k = 0; k < nkeys; k++) {
    const struct vector *v = &b->cols[keys[k]];
    const uint64_t *valid = v->validity;
#define HLOOP(expr)                                                           \
  for (uint32_t i = 0; i < n; i++) {                                          \
    uint64_t hv = bitmap_get(valid, i) ? (expr) : H_NULL;                     \
    h[i] = hash_combine(h[i], hv);                                            \
  }
    switch (v->type.id) {
    case TYPE_BOOLEAN: {
      const uint8_t *d = vector_u8(v);
      HLOOP(hash_i64(d[i] != 0));
      break;
    }
    case TYPE_INT:
    case TYPE_DATE: {
      const int32_t *d = vector_i32(v);
      HLOOP(hash_i64(d[i]));
      break;
    }
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: {
      const int64_t *d = vector_i64(v);
      HLOOP(hash_i64(d[i]));
      break;
    }
    case TYPE_DOUBLE: {
      const double *d = vector_f64(v);
      HLOOP(hash_f64(d[i]));
      break;
    }
    case TYPE_STRING:
    case TYPE_ARRAY: {
      const struct sv *d = vector_sv(v);
      HLOOP(hash_bytes(d[i].ptr, d[i].len));
      break;
    }
    default:
      for (uint32_t i = 0; i < n; i++) h[i] = hash_combine(h[i], H_NULL);
    }
#undef HLOOP
  }
  for (uint32_t i = 0; i < n; i++) h[i] = fmix64(h[i]);
}

/* ---- writer ---- */

struct seg {
  int part;
  int64_t off, len;
};

struct run {
  struct seg *segs; /* sorted by part */
  int nsegs;
};

struct part {
  struct batch *b;  /* open batch, NULL until the first row */
  struct buf enc;   /* encoded full batches */
  int64_t held;     /* bytes of b + enc charged to the budget */
  int64_t rows;
};

struct shuffle_writer {
  struct task_ctx *t;
  char *dir, *name;
  int nparts;
  int *keys;
  int nkeys;
  int ncols;
  struct type *types; /* set by the first batch */
  uint32_t cap_rows;  /* open batch capacity per partition */
  struct part *parts;
  int64_t held;       /* total charged */
  /* spill */
  int spill_fd;
  char *spill_path;
  int64_t spill_len;
  struct run *runs;
  int nruns;
  /* scratch for add() */
  uint64_t *hash;
  uint32_t *sel, *cnt, *start;
  int *touched;
  uint32_t scratch_rows;
};

static int werr(struct err *err, int code, const char *what, const char *path) {
  return err_set(err, code, "shuffle write failed: %s %s: %s", what, path, strerror(errno));
}

int shuffle_writer_open(struct shuffle_writer **out, struct task_ctx *t, const char *dir,
                        const char *name, int nparts, const int *key_cols, int nkeys,
                        struct err *err) {
  *out = NULL;
  if (nparts < 1 || nparts > 100000 || nkeys < 0 || !dir || !name)
    return err_set(err, ERR_INVAL, "shuffle: invalid writer arguments (%d partitions)", nparts);
  struct shuffle_writer *w = calloc(1, sizeof *w);
  if (!w) return err_set(err, ERR_NOMEM, "out of memory opening a shuffle writer");
  w->t = t;
  w->nparts = nparts;
  w->nkeys = nkeys;
  w->spill_fd = -1;
  w->dir = strdup(dir);
  w->name = strdup(name);
  w->keys = malloc(sizeof(int) * (size_t)(nkeys ? nkeys : 1));
  w->parts = calloc((size_t)nparts, sizeof *w->parts);
  w->cnt = calloc((size_t)nparts, sizeof *w->cnt);
  w->start = calloc((size_t)nparts, sizeof *w->start);
  w->touched = malloc(sizeof(int) * (size_t)nparts);
  if (!w->dir || !w->name || !w->keys || !w->parts || !w->cnt || !w->start || !w->touched) {
    shuffle_writer_abort(w);
    return err_set(err, ERR_NOMEM, "out of memory opening a shuffle writer");
  }
  if (nkeys) memcpy(w->keys, key_cols, sizeof(int) * (size_t)nkeys);
  for (int p = 0; p < nparts; p++) buf_init(&w->parts[p].enc, BUF_UNLIMITED);
  /* Smaller open batches with many partitions keep the fixed footprint
   * (capacity x columns x nparts) bounded. */
  w->cap_rows = nparts <= 16 ? BATCH_DEFAULT_ROWS : nparts <= 128 ? 1024 : nparts <= 1024 ? 256 : 64;
  *out = w;
  return 0;
}

/* 1 when the first n validity bits are all set (no NULL in the column). */
static int all_valid(const uint64_t *bm, uint32_t n) {
  uint64_t acc = ~(uint64_t)0;
  for (uint32_t w = 0; w < n / 64; w++) acc &= bm[w];
  if (n & 63) acc &= bm[n / 64] | ~(((uint64_t)1 << (n & 63)) - 1);
  return acc == ~(uint64_t)0;
}

/* Set bits [from, from + n). */
static void set_bits(uint64_t *bm, uint32_t from, uint32_t n) {
  uint32_t end = from + n;
  while (from < end && (from & 63)) {
    bm[from >> 6] |= (uint64_t)1 << (from & 63);
    from++;
  }
  for (; from + 64 <= end; from += 64) bm[from >> 6] = ~(uint64_t)0;
  for (; from < end; from++) bm[from >> 6] |= (uint64_t)1 << (from & 63);
}

/* batch_append_rows specialised by element size: the writer's hot loop
 * (rows of one input batch scattered to a partition's buffer). nonull[c]:
 * column c of src has no NULL (its validity needs no per-row copy). */
static int scatter(struct batch *dst, const struct batch *src, const uint32_t *sel, uint32_t n,
                   const uint8_t *nonull) {
  uint32_t base = dst->nrows;
  for (int c = 0; c < src->ncols; c++) {
    const struct vector *sv = &src->cols[c];
    struct vector *dv = &dst->cols[c];
    const uint64_t *sb = sv->validity;
    uint64_t *db = dv->validity;
    if (nonull[c]) set_bits(db, base, n);
    else for (uint32_t k = 0; k < n; k++) {
      uint32_t i = sel[k], o = base + k;
      uint64_t bit = (sb[i >> 6] >> (i & 63)) & 1;
      db[o >> 6] = (db[o >> 6] & ~((uint64_t)1 << (o & 63))) | (bit << (o & 63));
    }
    if (type_is_varlen(sv->type.id)) {
      const struct sv *ss = vector_sv(sv);
      struct sv *ds = vector_sv(dv) + base;
      size_t total = 0;
      for (uint32_t k = 0; k < n; k++) total += ss[sel[k]].len;
      char *bytes = total ? arena_alloc(&dst->arena, total) : NULL;
      if (total && !bytes) return ERR_NOMEM;
      for (uint32_t k = 0; k < n; k++) {
        const struct sv *x = &ss[sel[k]];
        if (x->len) {
          memcpy(bytes, x->ptr, x->len);
          ds[k] = sv_make(bytes, x->len);
          bytes += x->len;
        } else {
          ds[k] = sv_make("", 0);
        }
      }
      continue;
    }
    switch (vector_elem_size(sv->type.id)) {
    case 1: {
      const uint8_t *a = sv->data;
      uint8_t *b = (uint8_t *)dv->data + base;
      for (uint32_t k = 0; k < n; k++) b[k] = a[sel[k]];
      break;
    }
    case 4: {
      const uint32_t *a = sv->data;
      uint32_t *b = (uint32_t *)dv->data + base;
      for (uint32_t k = 0; k < n; k++) b[k] = a[sel[k]];
      break;
    }
    case 8: {
      const uint64_t *a = sv->data;
      uint64_t *b = (uint64_t *)dv->data + base;
      for (uint32_t k = 0; k < n; k++) b[k] = a[sel[k]];
      break;
    }
    case 0: break;
    default: {
      size_t es = vector_elem_size(sv->type.id);
      for (uint32_t k = 0; k < n; k++)
        memcpy((char *)dv->data + (size_t)(base + k) * es, (const char *)sv->data + (size_t)sel[k] * es, es);
    }
    }
  }
  batch_set_rows(dst, base + n);
  return 0;
}

static int64_t part_bytes_now(const struct part *p) {
  return (p->b ? batch_bytes(p->b) : 0) + (int64_t)p->enc.alloc;
}

static void part_release(struct shuffle_writer *w, struct part *p) {
  if (w->t && w->t->mem) mem_release(w->t->mem, p->held);
  w->held -= p->held;
  p->held = 0;
}

/* Write every buffered byte as one run to the spill file and free it. */
static int spill_all(struct shuffle_writer *w, struct err *err) {
  if (w->spill_fd < 0) {
    struct buf path;
    buf_init(&path, 4096);
    const char *sd = w->t && w->t->spill_dir ? w->t->spill_dir : w->dir;
    if (buf_printf(&path, "%s/%s.spill.XXXXXX", sd, w->name)) {
      buf_fini(&path);
      return err_set(err, ERR_NOMEM, "out of memory");
    }
    w->spill_path = buf_steal(&path);
    if (!w->spill_path) return err_set(err, ERR_NOMEM, "out of memory");
    w->spill_fd = mkstemp(w->spill_path);
    if (w->spill_fd < 0) return werr(err, ERR_IO, "creating spill file", w->spill_path);
  }
  struct run *nr = realloc(w->runs, sizeof *nr * (size_t)(w->nruns + 1));
  if (!nr) return err_set(err, ERR_NOMEM, "out of memory spilling shuffle data");
  w->runs = nr;
  struct run *r = &w->runs[w->nruns];
  r->segs = NULL;
  r->nsegs = 0;
  int cap = 0;
  for (int pi = 0; pi < w->nparts; pi++) {
    struct part *p = &w->parts[pi];
    if (p->b && p->b->nrows) {
      if (batchio_encode(p->b, NULL, 0, &p->enc)) return err_set(err, ERR_NOMEM, "out of memory");
    }
    if (!p->enc.len) {
      batch_free(p->b);
      p->b = NULL;
      part_release(w, p);
      continue;
    }
    if (r->nsegs == cap) {
      cap = cap ? cap * 2 : 16;
      struct seg *ns = realloc(r->segs, sizeof *ns * (size_t)cap);
      if (!ns) return err_set(err, ERR_NOMEM, "out of memory spilling shuffle data");
      r->segs = ns;
    }
    size_t done = 0;
    while (done < p->enc.len) {
      ssize_t k = pwrite(w->spill_fd, p->enc.data + done, p->enc.len - done, w->spill_len + (off_t)done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return werr(err, ERR_IO, "writing spill file", w->spill_path);
      done += (size_t)k;
    }
    r->segs[r->nsegs++] = (struct seg){pi, w->spill_len, (int64_t)p->enc.len};
    w->spill_len += (int64_t)p->enc.len;
    if (w->t) w->t->spill_bytes += (int64_t)p->enc.len;
    buf_fini(&p->enc);
    buf_init(&p->enc, BUF_UNLIMITED);
    batch_free(p->b);
    p->b = NULL;
    part_release(w, p);
  }
  w->nruns++;
  return 0;
}

/* Charge the change of p's footprint; a refusal spills everything. */
static int charge(struct shuffle_writer *w, struct part *p, struct err *err) {
  int64_t now = part_bytes_now(p);
  int64_t delta = now - p->held;
  if (delta == 0) return 0;
  struct mem_budget *mem = w->t ? w->t->mem : NULL;
  if (delta > 0 && mem && !mem_reserve(mem, w->held, delta)) return spill_all(w, err);
  if (delta < 0 && mem) mem_release(mem, -delta);
  p->held = now;
  w->held += delta;
  if (w->t && w->held > w->t->peak_mem) w->t->peak_mem = w->held;
  return 0;
}

int shuffle_writer_add(struct shuffle_writer *w, const struct batch *b, struct err *err) {
  uint32_t n = b->nrows;
  if (!n) return 0;
  if (!w->types) {
    w->ncols = b->ncols;
    w->types = malloc(sizeof *w->types * (size_t)(b->ncols ? b->ncols : 1));
    if (!w->types) return err_set(err, ERR_NOMEM, "out of memory");
    batch_types(b, w->types);
    for (int k = 0; k < w->nkeys; k++)
      if (w->keys[k] < 0 || w->keys[k] >= b->ncols)
        return err_set(err, ERR_INVAL, "shuffle: key column %d out of range", w->keys[k]);
  } else if (b->ncols != w->ncols) {
    return err_set(err, ERR_INVAL, "shuffle: batch has %d columns, expected %d", b->ncols, w->ncols);
  }
  if (w->t && w->t->cancel && atomic_load(w->t->cancel))
    return err_set(err, ERR_CANCELLED, "task cancelled");
  if (n > w->scratch_rows) {
    free(w->hash);
    free(w->sel);
    w->hash = malloc(sizeof *w->hash * n);
    w->sel = malloc(sizeof *w->sel * n);
    if (!w->hash || !w->sel) {
      w->scratch_rows = 0;
      return err_set(err, ERR_NOMEM, "out of memory");
    }
    w->scratch_rows = n;
  }
  int ntouched = 0;
  if (w->nkeys == 0 || w->nparts == 1) {
    for (uint32_t i = 0; i < n; i++) w->sel[i] = i;
    w->touched[ntouched++] = 0;
    w->start[0] = 0;
    w->cnt[0] = n;
  } else {
    hash_batch(b, w->keys, w->nkeys, n, w->hash);
    uint32_t np = (uint32_t)w->nparts;
    /* h % np by multiplication (Lemire, Kaser, Kurz: "Faster remainder by
     * direct computation", 2019): exact for every 64-bit h. */
    const __uint128_t M = ~(__uint128_t)0 / np + 1;
    for (uint32_t i = 0; i < n; i++) {
      __uint128_t low = M * w->hash[i];
      __uint128_t hi = (((low & ~(uint64_t)0) * np) >> 64) + (low >> 64) * np;
      uint32_t p = (uint32_t)(hi >> 64);
      w->hash[i] = p; /* reuse: partition of row i */
      if (w->cnt[p]++ == 0) w->touched[ntouched++] = (int)p;
    }
    uint32_t pos = 0;
    for (int k = 0; k < ntouched; k++) {
      int p = w->touched[k];
      w->start[p] = pos;
      pos += w->cnt[p];
    }
    for (uint32_t i = 0; i < n; i++) w->sel[w->start[w->hash[i]]++] = i;
    for (int k = 0; k < ntouched; k++) w->start[w->touched[k]] -= w->cnt[w->touched[k]];
  }
  uint8_t nonull_small[64], *nonull = b->ncols <= 64 ? nonull_small : malloc((size_t)b->ncols);
  if (!nonull) return err_set(err, ERR_NOMEM, "out of memory");
  for (int c = 0; c < b->ncols; c++) nonull[c] = (uint8_t)all_valid(b->cols[c].validity, n);
  int rc = 0;
  for (int k = 0; k < ntouched && !rc; k++) {
    int pi = w->touched[k];
    struct part *p = &w->parts[pi];
    const uint32_t *sel = w->sel + w->start[pi];
    uint32_t left = w->cnt[pi];
    p->rows += left;
    while (left && !rc) {
      if (!p->b) {
        p->b = batch_new(w->types, w->ncols, w->cap_rows, ARENA_UNLIMITED);
        if (!p->b) {
          rc = err_set(err, ERR_NOMEM, "out of memory buffering shuffle data");
          break;
        }
      }
      uint32_t room = p->b->capacity - p->b->nrows;
      uint32_t m = left < room ? left : room;
      if (scatter(p->b, b, sel, m, nonull)) {
        rc = err_set(err, ERR_NOMEM, "out of memory buffering shuffle data");
        break;
      }
      sel += m;
      left -= m;
      if (p->b->nrows == p->b->capacity) {
        if (batchio_encode(p->b, NULL, 0, &p->enc)) {
          rc = err_set(err, ERR_NOMEM, "out of memory buffering shuffle data");
          break;
        }
        batch_reset(p->b);
      }
      rc = charge(w, p, err);
    }
  }
  for (int k = 0; k < ntouched; k++) w->cnt[w->touched[k]] = 0;
  if (nonull != nonull_small) free(nonull);
  return rc;
}

static int write_all(int fd, const void *p, size_t n, const char *path, struct err *err) {
  const char *c = p;
  while (n) {
    ssize_t k = write(fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return werr(err, ERR_IO, "writing", path);
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

static int copy_range(int dst, const char *dpath, int src, int64_t off, int64_t len, char *tmp,
                      size_t tmpsz, struct err *err) {
  while (len > 0) {
    size_t want = len < (int64_t)tmpsz ? (size_t)len : tmpsz;
    ssize_t k = pread(src, tmp, want, off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return err_set(err, ERR_IO, "shuffle write failed: reading spill file: %s",
                               k < 0 ? strerror(errno) : "unexpected end of file");
    int rc = write_all(dst, tmp, (size_t)k, dpath, err);
    if (rc) return rc;
    off += k;
    len -= k;
  }
  return 0;
}

static void writer_free(struct shuffle_writer *w) {
  if (!w) return;
  if (w->parts) {
    for (int p = 0; p < w->nparts; p++) {
      batch_free(w->parts[p].b);
      buf_fini(&w->parts[p].enc);
    }
  }
  if (w->t && w->t->mem && w->held > 0) mem_release(w->t->mem, w->held);
  if (w->spill_fd >= 0) close(w->spill_fd);
  if (w->spill_path) unlink(w->spill_path);
  for (int r = 0; r < w->nruns; r++) free(w->runs[r].segs);
  free(w->runs);
  free(w->spill_path);
  free(w->parts);
  free(w->keys);
  free(w->types);
  free(w->hash);
  free(w->sel);
  free(w->cnt);
  free(w->start);
  free(w->touched);
  free(w->dir);
  free(w->name);
  free(w);
}

int shuffle_writer_commit(struct shuffle_writer *w, int64_t *part_bytes, int64_t *part_rows,
                          char **data_path, struct err *err) {
  if (data_path) *data_path = NULL;
  int np = w->nparts, rc = 0, dfd = -1, ifd = -1;
  size_t dl = strlen(w->dir) + strlen(w->name) + 32;
  char *dtmp = malloc(dl), *itmp = malloc(dl), *dfin = malloc(dl), *ifin = malloc(dl);
  uint64_t *index = malloc(sizeof(uint64_t) * (size_t)(2 * np + 1));
  int *cur = calloc((size_t)(w->nruns ? w->nruns : 1), sizeof(int));
  size_t tmpsz = 1 << 20;
  char *tmp = w->nruns ? malloc(tmpsz) : NULL;
  struct buf frame;
  buf_init(&frame, BUF_UNLIMITED);
  if (!dtmp || !itmp || !dfin || !ifin || !index || !cur || (w->nruns && !tmp)) {
    rc = err_set(err, ERR_NOMEM, "out of memory committing shuffle output");
    goto out;
  }
  snprintf(dtmp, dl, "%s/%s.data.tmp", w->dir, w->name);
  snprintf(itmp, dl, "%s/%s.index.tmp", w->dir, w->name);
  snprintf(dfin, dl, "%s/%s.data", w->dir, w->name);
  snprintf(ifin, dl, "%s/%s.index", w->dir, w->name);
  dfd = open(dtmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (dfd < 0) {
    rc = werr(err, ERR_IO, "creating", dtmp);
    goto out;
  }
  uint64_t off = 0;
  for (int p = 0; p < np && !rc; p++) {
    index[p] = off;
    struct part *pp = &w->parts[p];
    for (int r = 0; r < w->nruns && !rc; r++) {
      struct run *ru = &w->runs[r];
      if (cur[r] < ru->nsegs && ru->segs[cur[r]].part == p) {
        struct seg *s = &ru->segs[cur[r]++];
        rc = copy_range(dfd, dtmp, w->spill_fd, s->off, s->len, tmp, tmpsz, err);
        off += (uint64_t)s->len;
      }
    }
    if (rc) break;
    if (pp->enc.len) {
      if ((rc = write_all(dfd, pp->enc.data, pp->enc.len, dtmp, err))) break;
      off += pp->enc.len;
    }
    if (pp->b && pp->b->nrows) {
      buf_reset(&frame);
      if (batchio_encode(pp->b, NULL, 0, &frame)) {
        rc = err_set(err, ERR_NOMEM, "out of memory committing shuffle output");
        break;
      }
      if ((rc = write_all(dfd, frame.data, frame.len, dtmp, err))) break;
      off += frame.len;
    }
    if (part_rows) part_rows[p] = pp->rows;
    index[np + 1 + p] = (uint64_t)pp->rows;
  }
  if (rc) goto out;
  index[np] = off;
  if (part_bytes)
    for (int p = 0; p < np; p++) part_bytes[p] = (int64_t)(index[p + 1] - index[p]);
  if (close(dfd) != 0) {
    dfd = -1;
    rc = werr(err, ERR_IO, "closing", dtmp);
    goto out;
  }
  dfd = -1;
  ifd = open(itmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (ifd < 0) {
    rc = werr(err, ERR_IO, "creating", itmp);
    goto out;
  }
  if ((rc = write_all(ifd, index, sizeof(uint64_t) * (size_t)(2 * np + 1), itmp, err))) goto out;
  if (close(ifd) != 0) {
    ifd = -1;
    rc = werr(err, ERR_IO, "closing", itmp);
    goto out;
  }
  ifd = -1;
  if (rename(dtmp, dfin) != 0) {
    rc = werr(err, ERR_IO, "renaming", dtmp);
    goto out;
  }
  if (rename(itmp, ifin) != 0) {
    rc = werr(err, ERR_IO, "renaming", itmp);
    unlink(dfin);
    goto out;
  }
  if (data_path) {
    *data_path = dfin;
    dfin = NULL;
  }
out:
  if (dfd >= 0) close(dfd);
  if (ifd >= 0) close(ifd);
  if (rc) {
    if (dtmp) unlink(dtmp);
    if (itmp) unlink(itmp);
  }
  buf_fini(&frame);
  free(tmp);
  free(cur);
  free(index);
  free(dtmp);
  free(itmp);
  free(dfin);
  free(ifin);
  writer_free(w);
  return rc;
}

void shuffle_writer_abort(struct shuffle_writer *w) { writer_free(w); }

/* ---- reader ---- */

struct shuffle_read_op {
  struct op base;
  char **paths;
  int n, lo, hi;
  int cur;          /* file being read */
  int fd;           /* data fd of cur, -1 before opening */
  int64_t pos, end; /* remaining byte range of cur */
  struct buf in;    /* bytes read but not yet decoded */
  size_t in_off;
  struct batch *out;
};

#define READ_CHUNK ((size_t)1 << 20)

/* The scheduler recognises a lost map output by this prefix and the data
 * file's path, so <path> is always the data file. */
static int fetch_failed(struct err *err, const char *path, const char *why) {
  return err_set(err, ERR_IO, "FetchFailed: %s: %s", path, why);
}

/* Open file r->cur: read and validate its index, set the byte range. */
static int sr_open(struct shuffle_read_op *r, struct err *err) {
  const char *dpath = r->paths[r->cur];
  size_t l = strlen(dpath);
  char *ipath = malloc(l + 16);
  if (!ipath) return err_set(err, ERR_NOMEM, "out of memory");
  if (l > 5 && strcmp(dpath + l - 5, ".data") == 0)
    snprintf(ipath, l + 16, "%.*s.index", (int)(l - 5), dpath);
  else
    snprintf(ipath, l + 16, "%s.index", dpath);
  int rc = 0, ifd = -1;
  uint64_t offs[2] = {0, 0};
  uint64_t last = 0;
  struct stat ist, dst;
  ifd = open(ipath, O_RDONLY | O_CLOEXEC);
  if (ifd < 0) {
    rc = fetch_failed(err, dpath, errno == ENOENT ? "missing (index file not found)" : strerror(errno));
    goto out;
  }
  r->fd = open(dpath, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) {
    rc = fetch_failed(err, dpath, strerror(errno));
    goto out;
  }
  if (fstat(ifd, &ist) || fstat(r->fd, &dst)) {
    rc = fetch_failed(err, dpath, strerror(errno));
    goto out;
  }
  if (ist.st_size < 24 || (ist.st_size - 8) % 16 != 0) {
    rc = fetch_failed(err, dpath, "corrupt index (bad size)");
    goto out;
  }
  int64_t np = (ist.st_size - 8) / 16;
  if (r->hi > np || r->lo > r->hi) {
    char d[96];
    snprintf(d, sizeof d, "index has only %lld partitions", (long long)np);
    rc = fetch_failed(err, dpath, d);
    goto out;
  }
  /* Check the whole offset table (monotonic, ends at the file size). */
  size_t tlen = sizeof(uint64_t) * (size_t)(np + 1);
  uint64_t *tab = malloc(tlen);
  if (!tab) {
    rc = err_set(err, ERR_NOMEM, "out of memory");
    goto out;
  }
  if (pread(ifd, tab, tlen, 0) != (ssize_t)tlen) {
    free(tab);
    rc = fetch_failed(err, dpath, "short read");
    goto out;
  }
  int bad = tab[0] != 0;
  for (int64_t p = 1; p <= np && !bad; p++) bad = tab[p] < tab[p - 1];
  offs[0] = tab[r->lo];
  offs[1] = tab[r->hi];
  last = tab[np];
  free(tab);
  if (bad) {
    rc = fetch_failed(err, dpath, "corrupt index (offsets)");
    goto out;
  }
  if (last != (uint64_t)dst.st_size) {
    rc = fetch_failed(err, dpath, "data file size does not match its index");
    goto out;
  }
  r->pos = (int64_t)offs[0];
  r->end = (int64_t)offs[1];
  buf_reset(&r->in);
  r->in_off = 0;
out:
  if (ifd >= 0) close(ifd);
  free(ipath);
  return rc;
}

static int sr_next(struct op *op, struct batch **out, struct err *err) {
  struct shuffle_read_op *r = (struct shuffle_read_op *)op;
  batch_free(r->out);
  r->out = NULL;
  for (;;) {
    if (op->task && op->task->cancel && atomic_load(op->task->cancel))
      return err_set(err, ERR_CANCELLED, "task cancelled");
    if (r->fd < 0) {
      if (r->cur >= r->n) return 0;
      int rc = sr_open(r, err);
      if (rc) return rc;
    }
    const char *path = r->paths[r->cur];
    size_t avail = r->in.len - r->in_off;
    if (avail >= BATCHIO_HEADER) {
      uint32_t hdr[2];
      memcpy(hdr, r->in.data + r->in_off, 8);
      if (hdr[0] != BATCHIO_MAGIC) return fetch_failed(err, path, "corrupt frame header");
      size_t need = BATCHIO_HEADER + (size_t)hdr[1];
      if (avail >= need) {
        size_t used = 0;
        struct err de;
        err_clear(&de);
        int rc = batchio_decode(r->in.data + r->in_off, need, &r->out, &used, &de);
        if (rc) {
          if (rc == ERR_NOMEM) return err_set(err, ERR_NOMEM, "%s", de.msg);
          return fetch_failed(err, path, de.msg);
        }
        r->in_off += used;
        int ok = r->out->ncols == op->ncols;
        for (int c = 0; ok && c < op->ncols; c++)
          ok = r->out->cols[c].type.id == op->types[c].id;
        if (!ok) return fetch_failed(err, path, "frame column types do not match");
        if (r->out->nrows == 0) {
          batch_free(r->out);
          r->out = NULL;
          continue;
        }
        if (op->task) op->task->rows_in += r->out->nrows;
        *out = r->out;
        return 1;
      }
      if ((int64_t)(need - avail) > r->end - r->pos)
        return fetch_failed(err, path, "truncated frame");
    }
    if (r->pos >= r->end) {
      if (avail) return fetch_failed(err, path, "truncated frame");
      close(r->fd);
      r->fd = -1;
      r->cur++;
      continue;
    }
    /* Compact, then read the next chunk. */
    if (r->in_off) {
      memmove(r->in.data, r->in.data + r->in_off, avail);
      r->in.len = avail;
      r->in_off = 0;
    }
    size_t want = READ_CHUNK;
    if ((int64_t)want > r->end - r->pos) want = (size_t)(r->end - r->pos);
    size_t old = r->in.len;
    /* grow by appending uninitialised room */
    if (r->in.alloc < old + want + 1) {
      size_t na = r->in.alloc ? r->in.alloc : READ_CHUNK;
      while (na < old + want + 1) na *= 2;
      char *nd = realloc(r->in.data, na);
      if (!nd) return err_set(err, ERR_NOMEM, "out of memory reading shuffle data");
      r->in.data = nd;
      r->in.alloc = na;
    }
    ssize_t k = pread(r->fd, r->in.data + old, want, (off_t)r->pos);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return fetch_failed(err, path, k < 0 ? strerror(errno) : "unexpected end of file");
    r->in.len = old + (size_t)k;
    r->in.data[r->in.len] = 0;
    r->pos += k;
  }
}

static void sr_close(struct op *op) {
  struct shuffle_read_op *r = (struct shuffle_read_op *)op;
  if (r->fd >= 0) close(r->fd);
  batch_free(r->out);
  buf_fini(&r->in);
  for (int i = 0; i < r->n; i++) free(r->paths[i]);
  free(r->paths);
  free(op->types);
  free(r);
}

static const struct op_vt sr_vt = {sr_next, sr_close};

struct op *op_shuffle_read(struct task_ctx *t, const struct type *types, int ncols,
                           const char *const *paths, int n, int lo, int hi, struct err *err) {
  if (n < 0 || lo < 0 || hi < lo || ncols < 0) {
    err_set(err, ERR_INVAL, "shuffle read: invalid arguments");
    return NULL;
  }
  struct shuffle_read_op *r = calloc(1, sizeof *r);
  if (!r) goto nomem;
  r->base.vt = &sr_vt;
  r->base.ncols = ncols;
  r->base.task = t;
  r->fd = -1;
  r->n = n;
  r->lo = lo;
  r->hi = hi;
  buf_init(&r->in, BUF_UNLIMITED);
  r->base.types = malloc(sizeof *types * (size_t)(ncols ? ncols : 1));
  r->paths = calloc((size_t)(n ? n : 1), sizeof(char *));
  if (!r->base.types || !r->paths) goto nomem_r;
  if (ncols) memcpy(r->base.types, types, sizeof *types * (size_t)ncols);
  for (int i = 0; i < n; i++)
    if (!(r->paths[i] = strdup(paths[i]))) goto nomem_r;
  return &r->base;
nomem_r:
  sr_close(&r->base);
nomem:
  err_set(err, ERR_NOMEM, "out of memory creating a shuffle reader");
  return NULL;
}
