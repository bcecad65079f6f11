/* op_window.c: window functions over input sorted by (partition keys,
 * order keys).
 *
 * Rows are buffered in a row store (computed partition / order keys and
 * arguments ride along as hidden columns) until at least one output batch
 * worth of *complete* partitions is buffered; the window values of those
 * partitions are computed into result vectors, emitted together with the
 * buffered rows, and the incomplete tail partition is carried over to the
 * next round. A partition therefore may span any number of input batches,
 * but must fit the memory budget (ERR_UNSUPPORTED otherwise).
 *
 * Frames: for each row the frame [fs, fe) is derived from the call's bounds
 * (ROWS: offsets; RANGE: peers, i.e. rows with equal order keys). The
 * aggregate state is extended incrementally while the frame only grows at
 * one end (running totals, whole partitions) and recomputed otherwise
 * (sliding ROWS frames: O(rows x frame), as Spark's sliding frame). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"
#include "engine/exec/rowcmp.h"
#include "engine/exec/rowstore.h"

#define EMIT_ROWS BATCH_DEFAULT_ROWS

struct wcall {
  const struct plan_win_call *pc;
  int argcol;   /* view column of the argument, -1 none */
  int dfltcol;  /* view column of the LAG/LEAD default, -1 none */
  struct type rtype;
};

struct win_op {
  struct op op;
  struct op *child;
  int nin;                 /* input columns */
  int nexpr;               /* expressions evaluated into hidden columns */
  struct exprcol *ex;      /* nexpr */
  int *excol;              /* view column of each */
  int nv;
  struct type *vtypes;
  struct vector *vcols;
  struct batch view;
  struct rowcmp_key *pk, *ok;
  int np, no;
  struct wcall *calls;
  int ncalls;
  struct rowstore store;
  struct opx_mem mem;
  uint64_t tail_start;     /* first row of the last (maybe incomplete) partition */
  uint64_t complete;       /* rows [0, complete) are complete partitions */
  uint64_t *starts;        /* partition starts within [0, complete] */
  uint64_t nstarts, capstarts;
  struct vector *res;      /* per call, complete rows */
  uint32_t rescap;
  int eof, emitting;
  uint64_t epos;
  struct batch *out;
  struct arena noheap; /* result strings reference buffered rows: never used */
};

/* ---------- helpers ---------- */

static const struct vector *cell(const struct win_op *w, uint64_t r, int col, uint32_t *o) {
  *o = r & ROWSTORE_MASK;
  return &rowstore_chunk(&w->store, r)->cols[col];
}

static int rows_equal(const struct win_op *w, const struct rowcmp_key *k, int n, uint64_t a,
                      uint64_t b) {
  if (!n) return 1;
  return rowcmp_cmp(k, 0, n, rowstore_chunk(&w->store, a), a & ROWSTORE_MASK,
                    rowstore_chunk(&w->store, b), b & ROWSTORE_MASK) == 0;
}

static void copy_cell(struct vector *dst, uint32_t j, const struct vector *src, uint32_t o) {
  size_t es = vector_elem_size(dst->type.id);
  if (!bitmap_get(src->validity, o)) {
    vector_set_null(dst, j);
    return;
  }
  memcpy((char *)dst->data + (size_t)j * es, (const char *)src->data + (size_t)o * es, es);
  bitmap_set(dst->validity, j);
}

static int64_t dec_avg(int64_t sum, int64_t cnt, int shift) {
  __int128 num = (__int128)sum;
  for (int i = 0; i < shift; i++) num *= 10;
  __int128 q = num / cnt, r = num % cnt;
  if (r < 0) r = -r;
  if (2 * r >= (__int128)cnt) q += (num < 0) ? -1 : 1;
  return (int64_t)q;
}

/* ---------- aggregate accumulator ---------- */

struct acc {
  int64_t cnt;
  int64_t isum;
  double dsum, mean, m2;
  int has;
  uint64_t ref; /* row holding the MIN / MAX / FIRST value */
};

static double num_at(const struct vector *v, uint32_t o) {
  switch (v->type.id) {
  case TYPE_INT:
  case TYPE_DATE: return (double)vector_i32(v)[o];
  case TYPE_DOUBLE: return vector_f64(v)[o];
  case TYPE_BOOLEAN: return (double)vector_u8(v)[o];
  default: return (double)vector_i64(v)[o];
  }
}

static int64_t int_at(const struct vector *v, uint32_t o) {
  switch (v->type.id) {
  case TYPE_INT:
  case TYPE_DATE: return vector_i32(v)[o];
  case TYPE_BOOLEAN: return vector_u8(v)[o];
  default: return vector_i64(v)[o];
  }
}

/* Add row r to a; prepend: r comes before every row already added. */
static void acc_add(const struct win_op *w, const struct wcall *c, struct acc *a, uint64_t r,
                    int prepend) {
  const struct plan_agg_call *ag = &c->pc->agg;
  if (ag->fn == AGG_COUNT_STAR) {
    a->cnt++;
    return;
  }
  if (ag->fn == AGG_FIRST_NULLS || ag->fn == AGG_LAST_NULLS) {
    /* The first / last row of the frame, its value NULL or not. */
    if (!a->has || (ag->fn == AGG_FIRST_NULLS) == !!prepend) {
      a->ref = r;
      a->has = 1;
    }
    return;
  }
  uint32_t o;
  const struct vector *v = cell(w, r, c->argcol, &o);
  if (!bitmap_get(v->validity, o)) return;
  switch (ag->fn) {
  case AGG_LAST:
    if (!a->has || !prepend) {
      a->ref = r;
      a->has = 1;
    }
    break;
  case AGG_COUNT: a->cnt++; break;
  case AGG_SUM:
    if (v->type.id == TYPE_DOUBLE) a->dsum += vector_f64(v)[o];
    else a->isum = (int64_t)((uint64_t)a->isum + (uint64_t)int_at(v, o));
    a->has = 1;
    break;
  case AGG_AVG:
    if (v->type.id == TYPE_DECIMAL) a->isum += vector_i64(v)[o];
    else a->dsum += num_at(v, o);
    a->cnt++;
    break;
  case AGG_MIN:
  case AGG_MAX: {
    if (!a->has) {
      a->ref = r;
      a->has = 1;
      break;
    }
    struct rowcmp_key k = {c->argcol, v->type.id, 0, 0};
    uint32_t oo;
    (void)cell(w, a->ref, c->argcol, &oo);
    int cmp = rowcmp_cmp(&k, 0, 1, rowstore_chunk(&w->store, r), o,
                         rowstore_chunk(&w->store, a->ref), oo);
    if (ag->fn == AGG_MIN ? cmp < 0 : cmp > 0) a->ref = r;
    break;
  }
  case AGG_FIRST:
    if (!a->has || prepend) {
      a->ref = r;
      a->has = 1;
    }
    break;
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP: {
    /* Spark's CentralMomentAgg update, term for term, so results match
     * its doubles to the last bit (and the grouped aggregate's). */
    double x = num_at(v, o);
    a->cnt++;
    double d = x - a->mean, dn = d / (double)a->cnt;
    a->mean += dn;
    a->m2 += d * (d - dn);
    break;
  }
  default: break;
  }
}

static void acc_result(const struct win_op *w, const struct wcall *c, const struct acc *a,
                       struct vector *dst, uint32_t j) {
  const struct plan_agg_call *ag = &c->pc->agg;
  switch (ag->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT:
    vector_i64(dst)[j] = a->cnt;
    bitmap_set(dst->validity, j);
    return;
  case AGG_SUM:
    if (!a->has) break;
    if (dst->type.id == TYPE_DOUBLE) vector_f64(dst)[j] = a->dsum;
    else vector_i64(dst)[j] = a->isum;
    bitmap_set(dst->validity, j);
    return;
  case AGG_AVG:
    if (!a->cnt) break;
    if (dst->type.id == TYPE_DECIMAL) {
      int shift = (int)dst->type.scale - (int)w->vtypes[c->argcol].scale;
      vector_i64(dst)[j] = dec_avg(a->isum, a->cnt, shift < 0 ? 0 : shift);
    } else {
      vector_f64(dst)[j] = a->dsum / (double)a->cnt;
    }
    bitmap_set(dst->validity, j);
    return;
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST:
  case AGG_LAST:
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS: {
    if (!a->has) break;
    uint32_t o;
    const struct vector *v = cell(w, a->ref, c->argcol, &o);
    copy_cell(dst, j, v, o);
    return;
  }
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP: {
    if (a->cnt < 2) break;
    double var = a->m2 / (double)(a->cnt - 1);
    vector_f64(dst)[j] = ag->fn == AGG_VAR_SAMP ? var : sqrt(var);
    bitmap_set(dst->validity, j);
    return;
  }
  case AGG_STDDEV_POP:
  case AGG_VAR_POP: {
    if (a->cnt < 1) break;
    double var = a->m2 / (double)a->cnt;
    vector_f64(dst)[j] = ag->fn == AGG_VAR_POP ? var : sqrt(var);
    bitmap_set(dst->validity, j);
    return;
  }
  default: break;
  }
  vector_set_null(dst, j);
}

/* ---------- per-partition computation ---------- */

/* Peer group [*gs, *ge) of row i within [a, b) given the previous answer. */
static void peers(const struct win_op *w, uint64_t a, uint64_t b, uint64_t i, uint64_t *gs,
                  uint64_t *ge) {
  if (i >= *gs && i < *ge) return;
  uint64_t s = i, e = i + 1;
  while (s > a && rows_equal(w, w->ok, w->no, s - 1, i)) s--;
  while (e < b && rows_equal(w, w->ok, w->no, e, i)) e++;
  *gs = s;
  *ge = e;
}

static int64_t clamp_add(int64_t x, int64_t d, int64_t lo, int64_t hi) {
  __int128 v = (__int128)x + d;
  if (v < lo) return lo;
  if (v > hi) return hi;
  return (int64_t)v;
}

static void frame_of(const struct win_op *w, const struct plan_win_call *pc, uint64_t a,
                     uint64_t b, uint64_t i, uint64_t *gs, uint64_t *ge, uint64_t *fs,
                     uint64_t *fe) {
  int64_t A = (int64_t)a, B = (int64_t)b, I = (int64_t)i;
  if (!pc->rows_frame) {
    if (w->no == 0) {
      *fs = a;
      *fe = b;
      return;
    }
    peers(w, a, b, i, gs, ge);
    *fs = pc->start_kind == FRAME_UNBOUNDED_PRECEDING ? a : *gs;
    *fe = pc->end_kind == FRAME_UNBOUNDED_FOLLOWING ? b : *ge;
    return;
  }
  int64_t s, e;
  switch (pc->start_kind) {
  case FRAME_UNBOUNDED_PRECEDING: s = A; break;
  case FRAME_PRECEDING: s = clamp_add(I, -pc->start_off, A, B); break;
  case FRAME_CURRENT_ROW: s = I; break;
  case FRAME_FOLLOWING: s = clamp_add(I, pc->start_off, A, B); break;
  default: s = B; break;
  }
  switch (pc->end_kind) {
  case FRAME_UNBOUNDED_FOLLOWING: e = B; break;
  case FRAME_FOLLOWING: e = clamp_add(I, pc->end_off + 1, A, B); break;
  case FRAME_CURRENT_ROW: e = I + 1; break;
  case FRAME_PRECEDING: e = clamp_add(I, 1 - pc->end_off, A, B); break;
  default: e = A; break;
  }
  if (e < s) e = s;
  *fs = (uint64_t)s;
  *fe = (uint64_t)e;
}

static void compute_agg(struct win_op *w, struct wcall *c, uint64_t a, uint64_t b) {
  const struct plan_win_call *pc = c->pc;
  struct vector *dst = &w->res[c - w->calls];
  struct acc ac;
  memset(&ac, 0, sizeof ac);
  uint64_t cs = a, ce = a; /* rows in ac: [cs, ce) */
  uint64_t gs = 1, ge = 0;
  /* Frames anchored at the partition end grow towards the front: walk the
   * rows backwards so the state only ever gains rows. */
  int backwards = pc->end_kind == FRAME_UNBOUNDED_FOLLOWING &&
                  pc->start_kind != FRAME_UNBOUNDED_PRECEDING && !(!pc->rows_frame && !w->no);
  if (backwards) cs = ce = b;
  for (uint64_t k = 0; k < b - a; k++) {
    uint64_t i = backwards ? b - 1 - k : a + k;
    uint64_t fs, fe;
    frame_of(w, pc, a, b, i, &gs, &ge, &fs, &fe);
    if (!backwards && fs == cs && fe >= ce) {
      for (uint64_t r = ce; r < fe; r++) acc_add(w, c, &ac, r, 0);
      ce = fe;
    } else if (backwards && fe == ce && fs <= cs) {
      for (uint64_t r = cs; r-- > fs;) acc_add(w, c, &ac, r, 1);
      cs = fs;
    } else {
      memset(&ac, 0, sizeof ac);
      for (uint64_t r = fs; r < fe; r++) acc_add(w, c, &ac, r, 0);
      cs = fs;
      ce = fe;
    }
    acc_result(w, c, &ac, dst, (uint32_t)i);
  }
}

static void compute_partition(struct win_op *w, uint64_t a, uint64_t b) {
  for (int ci = 0; ci < w->ncalls; ci++) {
    struct wcall *c = &w->calls[ci];
    const struct plan_win_call *pc = c->pc;
    struct vector *dst = &w->res[ci];
    switch (pc->fn) {
    case WIN_ROW_NUMBER:
      for (uint64_t i = a; i < b; i++) {
        vector_i32(dst)[i] = (int32_t)(i - a + 1);
        bitmap_set(dst->validity, i);
      }
      break;
    case WIN_RANK:
    case WIN_DENSE_RANK: {
      int32_t rank = 0, dense = 0;
      for (uint64_t i = a; i < b; i++) {
        if (i == a || !rows_equal(w, w->ok, w->no, i - 1, i)) {
          rank = (int32_t)(i - a + 1);
          dense++;
        }
        vector_i32(dst)[i] = pc->fn == WIN_RANK ? rank : dense;
        bitmap_set(dst->validity, i);
      }
      break;
    }
    case WIN_LAG:
    case WIN_LEAD: {
      int64_t off = pc->fn == WIN_LAG ? -pc->offset : pc->offset;
      for (uint64_t i = a; i < b; i++) {
        __int128 src = (__int128)i + off;
        uint32_t o;
        if (src >= (__int128)a && src < (__int128)b) {
          const struct vector *sv = cell(w, (uint64_t)src, c->argcol, &o);
          copy_cell(dst, (uint32_t)i, sv, o);
        } else if (c->dfltcol >= 0) {
          const struct vector *dv = cell(w, i, c->dfltcol, &o);
          copy_cell(dst, (uint32_t)i, dv, o);
        } else {
          vector_set_null(dst, (uint32_t)i);
        }
      }
      break;
    }
    case WIN_AGG: compute_agg(w, c, a, b); break;
    }
  }
}

/* ---------- driver ---------- */

static int add_start(struct win_op *w, uint64_t r, struct err *err) {
  if (w->nstarts == w->capstarts) {
    uint64_t nc = w->capstarts ? w->capstarts * 2 : 64;
    uint64_t *s = realloc(w->starts, sizeof *s * nc);
    if (!s) return err_set(err, ERR_NOMEM, "out of memory in a window");
    w->starts = s;
    w->capstarts = nc;
  }
  w->starts[w->nstarts++] = r;
  return 0;
}

static int consume(struct win_op *w, struct batch *b, struct err *err) {
  struct batch *v = b;
  if (w->nexpr) {
    for (int c = 0; c < w->nin; c++) w->vcols[c] = b->cols[c];
    for (int e = 0; e < w->nexpr; e++) {
      const struct vector *x;
      int rc = exprcol_eval(&w->ex[e], b, &x, err);
      if (rc) return rc;
      w->vcols[w->nin + e] = *x;
      w->vcols[w->nin + e].count = b->nrows;
    }
    w->view = *b;
    w->view.ncols = w->nv;
    w->view.cols = w->vcols;
    v = &w->view;
  }
  uint64_t first = w->store.nrows;
  int64_t before = w->store.bytes;
  if (rowstore_append(&w->store, v, NULL, 0)) return err_set(err, ERR_NOMEM, "out of memory in a window");
  if (!opx_reserve(&w->mem, w->store.bytes - before + (int64_t)v->nrows * 16)) {
    opx_force(&w->mem, w->store.bytes - before + (int64_t)v->nrows * 16);
    return err_set(err, ERR_UNSUPPORTED,
                   "a window partition does not fit the memory budget: add PARTITION BY keys "
                   "or raise spark.executor.memory");
  }
  for (uint64_t r = first ? first : 1; r < w->store.nrows; r++) {
    if (!rows_equal(w, w->pk, w->np, r - 1, r)) {
      int rc = add_start(w, w->tail_start, err);
      if (rc) return rc;
      w->tail_start = r;
    }
  }
  return 0;
}

static int compute_region(struct win_op *w, struct err *err) {
  uint64_t n = w->complete;
  if (n > w->rescap) {
    for (int c = 0; c < w->ncalls; c++) {
      vector_fini(&w->res[c]);
      if (vector_init(&w->res[c], w->calls[c].rtype, (uint32_t)n, &w->noheap))
        return err_set(err, ERR_NOMEM, "out of memory in a window");
    }
    w->rescap = (uint32_t)n;
  }
  for (uint64_t p = 0; p < w->nstarts; p++) {
    uint64_t a = w->starts[p], b = p + 1 < w->nstarts ? w->starts[p + 1] : n;
    if (a < b) compute_partition(w, a, b);
  }
  return 0;
}

/* Keep only rows [complete, nrows) for the next round. */
static int drop_complete(struct win_op *w, struct err *err) {
  struct rowstore ns;
  if (rowstore_init(&ns, w->vtypes, w->nv)) return err_set(err, ERR_NOMEM, "out of memory");
  uint64_t from = w->complete, n = w->store.nrows;
  uint32_t idx[ROWSTORE_CHUNK];
  while (from < n) {
    const struct batch *ch = rowstore_chunk(&w->store, from);
    uint32_t o = from & ROWSTORE_MASK, m = 0;
    while (o + m < ch->nrows && from + m < n) {
      idx[m] = o + m;
      m++;
    }
    if (rowstore_append(&ns, ch, idx, m)) {
      rowstore_fini(&ns);
      return err_set(err, ERR_NOMEM, "out of memory in a window");
    }
    from += m;
  }
  rowstore_fini(&w->store);
  w->store = ns;
  opx_release(&w->mem, w->mem.held);
  opx_force(&w->mem, w->store.bytes + (int64_t)w->store.nrows * 16);
  w->tail_start -= w->complete;
  w->complete = 0;
  w->nstarts = 0;
  w->epos = 0;
  return 0;
}

static int win_next(struct op *op, struct batch **out, struct err *err) {
  struct win_op *w = (struct win_op *)op;
  int rc;
  for (;;) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    if (w->emitting) {
      if (w->epos < w->complete) {
        uint32_t n = w->complete - w->epos < EMIT_ROWS ? (uint32_t)(w->complete - w->epos) : EMIT_ROWS;
        batch_reset(w->out);
        for (int c = 0; c < w->nin; c++) {
          struct vector *dst = &w->out->cols[c];
          for (uint32_t k = 0; k < n; k++) {
            uint32_t o;
            const struct vector *src = cell(w, w->epos + k, c, &o);
            copy_cell(dst, k, src, o);
          }
        }
        for (int c = 0; c < w->ncalls; c++) {
          struct vector *dst = &w->out->cols[w->nin + c];
          const struct vector *src = &w->res[c];
          for (uint32_t k = 0; k < n; k++) copy_cell(dst, k, src, (uint32_t)(w->epos + k));
        }
        batch_set_rows(w->out, n);
        w->epos += n;
        op->task->rows_out += n;
        *out = w->out;
        return 1;
      }
      w->emitting = 0;
      if ((rc = drop_complete(w, err))) return rc;
      if (w->eof && w->store.nrows == 0) return 0;
    }
    while (!w->eof && w->tail_start < EMIT_ROWS) {
      struct batch *b;
      rc = op_next(w->child, &b, err);
      if (rc < 0) return rc;
      if (rc == 0) {
        w->eof = 1;
        op_close(w->child);
        w->child = NULL;
        break;
      }
      op->task->rows_in += b->nrows;
      if ((rc = consume(w, b, err))) return rc;
    }
    if (w->eof) {
      if (w->store.nrows == 0) return 0;
      if (w->tail_start < w->store.nrows && (rc = add_start(w, w->tail_start, err))) return rc;
      w->tail_start = w->store.nrows;
    }
    w->complete = w->tail_start;
    if (w->complete == 0) return 0;
    if ((rc = compute_region(w, err))) return rc;
    w->emitting = 1;
    w->epos = 0;
  }
}

static void win_close(struct op *op) {
  struct win_op *w = (struct win_op *)op;
  op_close(w->child);
  if (w->ex)
    for (int e = 0; e < w->nexpr; e++) exprcol_fini(&w->ex[e]);
  free(w->ex);
  free(w->excol);
  free(w->vtypes);
  free(w->vcols);
  free(w->pk);
  free(w->ok);
  if (w->res)
    for (int c = 0; c < w->ncalls; c++) vector_fini(&w->res[c]);
  free(w->res);
  free(w->calls);
  free(w->starts);
  rowstore_fini(&w->store);
  batch_free(w->out);
  arena_fini(&w->noheap);
  opx_mem_done(&w->mem);
  free(op->types);
  free(w);
}

static const struct op_vt win_vt = {win_next, win_close};

/* View column for expression e: an input column, or a new hidden one. */
static int expr_slot(struct win_op *w, const struct expr *e, struct err *err) {
  int idx;
  if (exprcol_is_col(e, &idx) && idx < w->nin) return idx;
  int k = w->nexpr;
  arena_init(&w->ex[k].heap, ARENA_UNLIMITED);
  if (exprcol_init(&w->ex[k], e, err)) {
    w->nexpr++;
    return -1;
  }
  w->nexpr++;
  w->vtypes[w->nin + k] = opx_storage_type(e->type);
  return w->nin + k;
}

struct op *op_window(struct task_ctx *t, struct op *child, struct expr *const *partition,
                     int npartition, const struct plan_sort_key *order, int norder,
                     const struct plan_win_call *calls, int ncalls, struct err *err) {
  struct win_op *w = calloc(1, sizeof *w);
  if (!w) {
    op_close(child);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  w->op.vt = &win_vt;
  w->op.task = t;
  w->child = child;
  w->mem.task = t;
  arena_init(&w->noheap, 0);
  w->nin = child->ncols;
  w->np = npartition;
  w->no = norder;
  w->ncalls = ncalls;
  int maxex = npartition + norder + 2 * ncalls;
  w->ex = calloc((size_t)maxex + 1, sizeof *w->ex);
  w->excol = calloc((size_t)maxex + 1, sizeof *w->excol);
  w->vtypes = calloc((size_t)(w->nin + maxex) + 1, sizeof *w->vtypes);
  w->vcols = calloc((size_t)(w->nin + maxex) + 1, sizeof *w->vcols);
  w->pk = calloc((size_t)npartition + 1, sizeof *w->pk);
  w->ok = calloc((size_t)norder + 1, sizeof *w->ok);
  w->calls = calloc((size_t)ncalls + 1, sizeof *w->calls);
  w->res = calloc((size_t)ncalls + 1, sizeof *w->res);
  w->op.types = calloc((size_t)(w->nin + ncalls) + 1, sizeof *w->op.types);
  if (!w->ex || !w->excol || !w->vtypes || !w->vcols || !w->pk || !w->ok || !w->calls ||
      !w->res || !w->op.types) {
    err_set(err, ERR_NOMEM, "out of memory");
    goto fail;
  }
  w->op.ncols = w->nin + ncalls;
  for (int c = 0; c < w->nin; c++) {
    w->vtypes[c] = opx_storage_type(child->types[c]);
    w->op.types[c] = child->types[c];
  }
  for (int k = 0; k < npartition; k++) {
    int col = expr_slot(w, partition[k], err);
    if (col < 0) goto fail;
    w->pk[k] = (struct rowcmp_key){col, w->vtypes[col].id, 0, 0};
  }
  for (int k = 0; k < norder; k++) {
    int col = expr_slot(w, order[k].expr, err);
    if (col < 0) goto fail;
    w->ok[k] = (struct rowcmp_key){col, w->vtypes[col].id, order[k].desc, order[k].nulls_first};
  }
  for (int i = 0; i < ncalls; i++) {
    struct wcall *c = &w->calls[i];
    const struct plan_win_call *pc = &calls[i];
    c->pc = pc;
    c->argcol = c->dfltcol = -1;
    c->rtype = opx_storage_type(pc->type);
    w->op.types[w->nin + i] = pc->type;
    const struct expr *arg = pc->fn == WIN_AGG ? pc->agg.arg : pc->arg;
    if (pc->fn == WIN_AGG) {
      if (pc->agg.distinct || pc->agg.filter) {
        err_set(err, ERR_UNSUPPORTED, "DISTINCT or FILTER in a window aggregate is not supported");
        goto fail;
      }
      if (!pc->rows_frame && w->no &&
          (pc->start_kind == FRAME_PRECEDING || pc->start_kind == FRAME_FOLLOWING ||
           pc->end_kind == FRAME_PRECEDING || pc->end_kind == FRAME_FOLLOWING)) {
        err_set(err, ERR_UNSUPPORTED,
                "RANGE frames with offsets are not supported; use ROWS BETWEEN instead");
        goto fail;
      }
      if (pc->agg.fn != AGG_COUNT_STAR && !arg) {
        err_set(err, ERR_INVAL, "window aggregate without an argument");
        goto fail;
      }
    }
    if ((pc->fn == WIN_LAG || pc->fn == WIN_LEAD) && !arg) {
      err_set(err, ERR_INVAL, "lag/lead without an argument");
      goto fail;
    }
    if (arg && (c->argcol = expr_slot(w, arg, err)) < 0) goto fail;
    if ((pc->fn == WIN_LAG || pc->fn == WIN_LEAD) && pc->dflt &&
        (c->dfltcol = expr_slot(w, pc->dflt, err)) < 0)
      goto fail;
  }
  w->nv = w->nin + w->nexpr;
  if (rowstore_init(&w->store, w->vtypes, w->nv) ||
      !(w->out = opx_batch_new(w->op.types, w->op.ncols, EMIT_ROWS))) {
    err_set(err, ERR_NOMEM, "out of memory");
    goto fail;
  }
  return &w->op;
fail:
  win_close(&w->op);
  return NULL;
}
