/* op_sort.c: ORDER BY -- in-memory sort, external merge sort past the
 * budget, and top-N for ORDER BY ... LIMIT n.
 *
 * Rows are copied into a row store (computed sort keys ride along as hidden
 * trailing columns). Sorting permutes 16-byte entries holding the first
 * key's normalised 64-bit image (rowcmp_norm, complemented for DESC) and its
 * NULL rank, so most comparisons are two integer compares; ties fall back to
 * the full comparator (rowcmp_cmp). A bottom-up merge sort keeps the worst
 * case at n log n whatever the duplicates.
 *
 * External sort: when the budget refuses more rows, the buffer is sorted and
 * written as a run; at the end the runs are merged with a binary heap.
 *
 * Top-N: rows are buffered, and whenever the buffer holds max(2n, 4096)
 * rows it is sorted and cut back to n; from then on an incoming row is kept
 * only if it sorts before the current n-th row. Memory stays O(n). */
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"
#include "engine/exec/rowcmp.h"
#include "engine/exec/rowstore.h"
#include "engine/exec/spill.h"

#define EMIT_ROWS BATCH_DEFAULT_ROWS
#define TOPN_MAX 100000
#define ENT_BYTES 48 /* entry + merge buffer per row */

struct ent {
  uint64_t key, key1; /* normalised first / second key */
  uint32_t row;
  uint16_t nul, nul1; /* NULL ranks of the first / second key: 0 sorts first */
};

struct sort_op {
  struct op op;
  struct op *child;
  int nkeys;
  struct exprcol *keys;
  struct rowcmp_key *rk;
  int nhidden, nv;
  struct type *vtypes;
  struct vector *vcols;
  struct batch view;
  int from; /* first key the full comparison must look at after a prefix tie */
  int two;  /* the entries carry a second normalised key */
  int from2; /* same, after a tie on both normalised keys */
  int64_t limit;
  int topn;
  struct rowstore store;
  struct opx_mem mem;
  struct ent *ents, *tmp;
  uint64_t nents;
  /* runs */
  struct spill **runs;
  int nruns, capruns;
  struct batch **rb;
  uint32_t *rpos;
  int *heap;
  int nheap;
  /* output */
  int phase; /* 0 input, 1 emit memory, 2 merge, 3 done */
  uint64_t epos, emitted;
  struct batch *out, *wbuf;
  int have_threshold;
};

static int ent_cmp(const struct sort_op *s, const struct ent *a, const struct ent *b) {
  if (a->nul != b->nul) return a->nul < b->nul ? -1 : 1;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  int from = s->from;
  if (s->two) {
    if (a->nul1 != b->nul1) return a->nul1 < b->nul1 ? -1 : 1;
    if (a->key1 != b->key1) return a->key1 < b->key1 ? -1 : 1;
    from = s->from2;
  }
  if (from >= s->nkeys) return 0;
  return rowcmp_cmp(s->rk, from, s->nkeys, rowstore_chunk(&s->store, a->row),
                    a->row & ROWSTORE_MASK, rowstore_chunk(&s->store, b->row),
                    b->row & ROWSTORE_MASK);
}

static void sort_ents(const struct sort_op *s, struct ent *a, struct ent *tmp, uint64_t n) {
  const uint64_t RUN = 24;
  for (uint64_t lo = 0; lo < n; lo += RUN) {
    uint64_t hi = lo + RUN < n ? lo + RUN : n;
    for (uint64_t i = lo + 1; i < hi; i++) {
      struct ent x = a[i];
      uint64_t j = i;
      while (j > lo && ent_cmp(s, &x, &a[j - 1]) < 0) {
        a[j] = a[j - 1];
        j--;
      }
      a[j] = x;
    }
  }
  struct ent *src = a, *dst = tmp;
  for (uint64_t w = RUN; w < n; w *= 2) {
    for (uint64_t lo = 0; lo < n; lo += 2 * w) {
      uint64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      uint64_t i = lo, j = mid, k = lo;
      if (mid < hi && ent_cmp(s, &src[mid - 1], &src[mid]) <= 0) {
        memcpy(dst + lo, src + lo, sizeof *src * (hi - lo));
        continue;
      }
      while (i < mid && j < hi) dst[k++] = ent_cmp(s, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    struct ent *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, sizeof *a * n);
}

/* Sort the store's rows into s->ents. */
static int sort_store(struct sort_op *s, struct err *err) {
  uint64_t n = s->store.nrows;
  free(s->ents);
  free(s->tmp);
  s->ents = malloc(sizeof *s->ents * (n + 1));
  s->tmp = malloc(sizeof *s->tmp * (n + 1));
  if (!s->ents || !s->tmp) return err_set(err, ERR_NOMEM, "out of memory sorting");
  for (uint64_t r = 0; r < n; r++) {
    struct ent *e = &s->ents[r];
    memset(e, 0, sizeof *e);
    e->row = (uint32_t)r;
  }
  for (int k = 0; k < (s->two ? 2 : 1) && k < s->nkeys; k++) {
    const struct rowcmp_key *K = &s->rk[k];
    for (uint64_t r = 0; r < n; r++) {
      const struct batch *ch = rowstore_chunk(&s->store, r);
      uint32_t o = r & ROWSTORE_MASK;
      const struct vector *v = &ch->cols[K->col];
      struct ent *e = &s->ents[r];
      uint16_t nul;
      uint64_t key = 0;
      if (!bitmap_get(v->validity, o)) {
        nul = K->nulls_first ? 0 : 2;
      } else {
        nul = 1;
        uint64_t u = rowcmp_norm(v, o);
        key = K->desc ? ~u : u;
      }
      if (k == 0) {
        e->nul = nul;
        e->key = key;
      } else {
        e->nul1 = nul;
        e->key1 = key;
      }
    }
  }
  sort_ents(s, s->ents, s->tmp, n);
  free(s->tmp);
  s->tmp = NULL;
  s->nents = n;
  return 0;
}

/* Rows ents[from, from + n) of the store into out (first ncols columns). */
static void gather_sorted(struct sort_op *s, struct batch *out, int ncols, uint64_t from,
                          uint32_t n) {
  batch_reset(out);
  uint32_t rows[EMIT_ROWS];
  for (uint32_t k = 0; k < n; k++) rows[k] = s->ents[from + k].row;
  for (int c = 0; c < ncols; c++) rowstore_gather(&s->store, c, rows, n, &out->cols[c], 0);
  batch_set_rows(out, n);
}

static void release_store(struct sort_op *s) {
  rowstore_reset(&s->store);
  free(s->ents);
  s->ents = NULL;
  s->nents = 0;
  opx_release(&s->mem, s->mem.held);
}

/* Sort the buffer and write it as one run. */
static int write_run(struct sort_op *s, struct err *err) {
  int rc = sort_store(s, err);
  if (rc) return rc;
  if (s->nruns == s->capruns) {
    int nc = s->capruns ? s->capruns * 2 : 16;
    struct spill **r = realloc(s->runs, sizeof *r * (size_t)nc);
    if (!r) return err_set(err, ERR_NOMEM, "out of memory sorting");
    s->runs = r;
    s->capruns = nc;
  }
  struct spill *f = spill_open(s->op.task->spill_dir, err);
  if (!f) return err->code;
  s->runs[s->nruns++] = f;
  if (!s->wbuf && !(s->wbuf = batch_new(s->vtypes, s->nv, EMIT_ROWS, ARENA_UNLIMITED)))
    return err_set(err, ERR_NOMEM, "out of memory sorting");
  for (uint64_t p = 0; p < s->nents; p += EMIT_ROWS) {
    uint32_t n = s->nents - p < EMIT_ROWS ? (uint32_t)(s->nents - p) : EMIT_ROWS;
    gather_sorted(s, s->wbuf, s->nv, p, n);
    if ((rc = spill_write(f, s->wbuf, NULL, 0, err))) return rc;
  }
  s->op.task->spill_bytes += f->bytes;
  release_store(s);
  return 0;
}

/* Top-N: keep only the first limit rows of the buffer. */
static int topn_compact(struct sort_op *s, struct err *err) {
  int rc = sort_store(s, err);
  if (rc) return rc;
  struct rowstore ns;
  if (rowstore_init(&ns, s->vtypes, s->nv)) return err_set(err, ERR_NOMEM, "out of memory");
  uint64_t keep = s->nents < (uint64_t)s->limit ? s->nents : (uint64_t)s->limit;
  for (uint64_t k = 0; k < keep; k++) {
    uint32_t r = s->ents[k].row;
    uint32_t o = r & ROWSTORE_MASK;
    if (rowstore_append(&ns, rowstore_chunk(&s->store, r), &o, 1)) {
      rowstore_fini(&ns);
      return err_set(err, ERR_NOMEM, "out of memory sorting");
    }
  }
  release_store(s);
  rowstore_fini(&s->store);
  s->store = ns;
  opx_force(&s->mem, s->store.bytes + (int64_t)s->store.nrows * ENT_BYTES);
  s->have_threshold = keep == (uint64_t)s->limit && keep > 0;
  return 0;
}

static int consume(struct sort_op *s, struct batch *b, struct err *err) {
  struct batch *v = b;
  if (s->nhidden) {
    for (int c = 0; c < s->op.ncols; c++) s->vcols[c] = b->cols[c];
    int h = 0;
    for (int k = 0; k < s->nkeys; k++) {
      if (s->rk[k].col < s->op.ncols) continue;
      const struct vector *kv;
      int rc = exprcol_eval(&s->keys[k], b, &kv, err);
      if (rc) return rc;
      s->vcols[s->op.ncols + h] = *kv;
      s->vcols[s->op.ncols + h].count = b->nrows;
      h++;
    }
    s->view = *b;
    s->view.ncols = s->nv;
    s->view.cols = s->vcols;
    v = &s->view;
  }
  int64_t before = s->store.bytes;
  uint64_t rows_before = s->store.nrows;
  if (s->topn) {
    if (s->have_threshold) {
      /* Only rows before the current n-th row can still make it. */
      uint64_t last = s->limit - 1;
      const struct batch *tb = rowstore_chunk(&s->store, last);
      uint32_t to = last & ROWSTORE_MASK;
      uint32_t sel[2 * BATCH_DEFAULT_ROWS], m = 0;
      uint32_t *sp = v->nrows <= 2 * BATCH_DEFAULT_ROWS ? sel : malloc(sizeof *sp * v->nrows);
      if (!sp) return err_set(err, ERR_NOMEM, "out of memory sorting");
      for (uint32_t i = 0; i < v->nrows; i++)
        if (rowcmp_cmp(s->rk, 0, s->nkeys, v, i, tb, to) < 0) sp[m++] = i;
      int rc = m ? rowstore_append(&s->store, v, sp, m) : 0;
      if (sp != sel) free(sp);
      if (rc) return err_set(err, ERR_NOMEM, "out of memory sorting");
    } else if (rowstore_append(&s->store, v, NULL, 0)) {
      return err_set(err, ERR_NOMEM, "out of memory sorting");
    }
    opx_force(&s->mem, s->store.bytes - before + (int64_t)(s->store.nrows - rows_before) * ENT_BYTES);
    uint64_t cap = 2 * (uint64_t)s->limit;
    if (cap < 4096) cap = 4096;
    if (s->store.nrows >= cap) return topn_compact(s, err);
    return 0;
  }
  if (rowstore_append(&s->store, v, NULL, 0)) return err_set(err, ERR_NOMEM, "out of memory sorting");
  int64_t delta = s->store.bytes - before + (int64_t)v->nrows * ENT_BYTES;
  if (!opx_reserve(&s->mem, delta)) {
    opx_force(&s->mem, delta);
    return write_run(s, err);
  }
  return 0;
}

/* ---- merge ---- */

static int run_less(struct sort_op *s, int a, int b) {
  int c = rowcmp_cmp(s->rk, 0, s->nkeys, s->rb[a], s->rpos[a], s->rb[b], s->rpos[b]);
  return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct sort_op *s, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->nheap && run_less(s, s->heap[l], s->heap[m])) m = l;
    if (r < s->nheap && run_less(s, s->heap[r], s->heap[m])) m = r;
    if (m == i) return;
    int t = s->heap[i];
    s->heap[i] = s->heap[m];
    s->heap[m] = t;
    i = m;
  }
}

static int merge_start(struct sort_op *s, struct err *err) {
  s->rb = calloc((size_t)s->nruns, sizeof *s->rb);
  s->rpos = calloc((size_t)s->nruns, sizeof *s->rpos);
  s->heap = calloc((size_t)s->nruns, sizeof *s->heap);
  if (!s->rb || !s->rpos || !s->heap) return err_set(err, ERR_NOMEM, "out of memory sorting");
  for (int r = 0; r < s->nruns; r++) {
    int rc = spill_rewind(s->runs[r], err);
    if (rc) return rc;
    rc = spill_read(s->runs[r], &s->rb[r], err);
    if (rc < 0) return rc;
    if (rc > 0) s->heap[s->nheap++] = r;
  }
  for (int i = s->nheap / 2 - 1; i >= 0; i--) sift_down(s, i);
  return 0;
}

static int merge_fill(struct sort_op *s, struct err *err) {
  batch_reset(s->out);
  struct batch src;
  while (s->nheap && s->out->nrows < EMIT_ROWS) {
    if (s->limit >= 0 && s->emitted + s->out->nrows >= (uint64_t)s->limit) break;
    int r = s->heap[0];
    src = *s->rb[r];
    src.ncols = s->op.ncols;
    if (batch_append_rows(s->out, &src, &s->rpos[r], 1))
      return err_set(err, ERR_NOMEM, "out of memory sorting");
    if (++s->rpos[r] >= s->rb[r]->nrows) {
      batch_free(s->rb[r]);
      s->rb[r] = NULL;
      s->rpos[r] = 0;
      int rc = spill_read(s->runs[r], &s->rb[r], err);
      if (rc < 0) return rc;
      if (rc == 0) {
        s->heap[0] = s->heap[--s->nheap];
      }
    }
    if (s->nheap) sift_down(s, 0);
  }
  return 0;
}

static int sort_next(struct op *op, struct batch **out, struct err *err) {
  struct sort_op *s = (struct sort_op *)op;
  int rc;
  for (;;) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    if (s->phase == 0) {
      if (s->limit == 0) {
        s->phase = 3;
        continue;
      }
      struct batch *b;
      rc = op_next(s->child, &b, err);
      if (rc < 0) return rc;
      if (rc > 0) {
        op->task->rows_in += b->nrows;
        if ((rc = consume(s, b, err))) return rc;
        continue;
      }
      op_close(s->child);
      s->child = NULL;
      if (s->nruns) {
        if (s->store.nrows && (rc = write_run(s, err))) return rc;
        if ((rc = merge_start(s, err))) return rc;
        s->phase = 2;
      } else {
        if ((rc = sort_store(s, err))) return rc;
        s->phase = 1;
        s->epos = 0;
      }
      continue;
    }
    if (s->phase == 1) {
      uint64_t end = s->nents;
      if (s->limit >= 0 && (uint64_t)s->limit < end) end = (uint64_t)s->limit;
      if (s->epos >= end) {
        s->phase = 3;
        continue;
      }
      uint32_t n = end - s->epos < EMIT_ROWS ? (uint32_t)(end - s->epos) : EMIT_ROWS;
      gather_sorted(s, s->out, op->ncols, s->epos, n);
      s->epos += n;
      op->task->rows_out += n;
      *out = s->out;
      return 1;
    }
    if (s->phase == 2) {
      if ((rc = merge_fill(s, err))) return rc;
      if (s->out->nrows == 0) {
        s->phase = 3;
        continue;
      }
      s->emitted += s->out->nrows;
      op->task->rows_out += s->out->nrows;
      *out = s->out;
      return 1;
    }
    return 0;
  }
}

static void sort_close(struct op *op) {
  struct sort_op *s = (struct sort_op *)op;
  op_close(s->child);
  if (s->keys)
    for (int k = 0; k < s->nkeys; k++) exprcol_fini(&s->keys[k]);
  free(s->keys);
  free(s->rk);
  free(s->vtypes);
  free(s->vcols);
  rowstore_fini(&s->store);
  free(s->ents);
  free(s->tmp);
  for (int r = 0; r < s->nruns; r++) {
    spill_close(s->runs[r]);
    if (s->rb) batch_free(s->rb[r]);
  }
  free(s->runs);
  free(s->rb);
  free(s->rpos);
  free(s->heap);
  batch_free(s->out);
  batch_free(s->wbuf);
  opx_mem_done(&s->mem);
  free(op->types);
  free(s);
}

static const struct op_vt sort_vt = {sort_next, sort_close};

struct op *op_sort(struct task_ctx *t, struct op *child, const struct plan_sort_key *keys,
                   int nkeys, int64_t limit, struct err *err) {
  struct sort_op *s = calloc(1, sizeof *s);
  if (!s) {
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  s->op.vt = &sort_vt;
  s->op.task = t;
  s->child = child;
  s->nkeys = nkeys;
  s->limit = limit < 0 ? -1 : limit;
  s->topn = limit >= 0 && limit <= TOPN_MAX;
  s->mem.task = t;
  int nc = child->ncols;
  s->keys = calloc((size_t)nkeys + 1, sizeof *s->keys);
  s->rk = calloc((size_t)nkeys + 1, sizeof *s->rk);
  s->vtypes = calloc((size_t)(nc + nkeys) + 1, sizeof *s->vtypes);
  s->vcols = calloc((size_t)(nc + nkeys) + 1, sizeof *s->vcols);
  if (!s->keys || !s->rk || !s->vtypes || !s->vcols || opx_set_types(&s->op, child->types, nc))
    goto nomem;
  for (int k = 0; k < nkeys; k++) arena_init(&s->keys[k].heap, ARENA_UNLIMITED);
  for (int c = 0; c < nc; c++) s->vtypes[c] = opx_storage_type(child->types[c]);
  for (int k = 0; k < nkeys; k++) {
    int idx;
    s->rk[k].desc = keys[k].desc;
    s->rk[k].nulls_first = keys[k].nulls_first;
    if (exprcol_is_col(keys[k].expr, &idx) && idx < nc) {
      s->rk[k].col = idx;
      s->rk[k].type = s->vtypes[idx].id;
      continue;
    }
    if (exprcol_init(&s->keys[k], keys[k].expr, err)) goto fail;
    s->rk[k].col = nc + s->nhidden;
    s->vtypes[nc + s->nhidden] = opx_storage_type(keys[k].expr->type);
    s->rk[k].type = s->vtypes[nc + s->nhidden].id;
    s->nhidden++;
  }
  s->nv = nc + s->nhidden;
  /* A prefix tie is final for fixed-width first keys. */
  s->from = nkeys && s->rk[0].type == TYPE_STRING ? 0 : 1;
  s->two = nkeys >= 2 && s->from == 1;
  s->from2 = s->two && s->rk[1].type == TYPE_STRING ? 1 : 2;
  if (rowstore_init(&s->store, s->vtypes, s->nv)) goto nomem;
  if (!(s->out = opx_batch_new(child->types, nc, EMIT_ROWS))) goto nomem;
  if (nkeys == 0) s->from = 0; /* no keys: every row ties */
  return &s->op;
nomem:
  err_set(err, ERR_NOMEM, "out of memory");
fail:
  sort_close(&s->op);
  return NULL;
}
