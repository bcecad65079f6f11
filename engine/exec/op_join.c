/* op_join.c: hash join (with grace-hash spilling) and nested-loop join.
 *
 * The build side is copied into a row store (rowstore.h); its keys are
 * encoded once (rowkey.h) and each distinct key takes one slot of an
 * open-addressing table (tagged with hash bits), its rows chained by row
 * number, so a probe finds the whole chain of matches with one key
 * comparison. Probe batches look their slots up in one prefetching pass. Probe batches stream
 * through: candidate pairs are collected up to OUT_ROWS at a time (a probe
 * row with a huge fan-out resumes where it stopped on the next call), the
 * residual condition is evaluated on the gathered pairs, and matched flags
 * per probe row / build row drive the outer, semi and anti variants.
 *
 * Expressions that are not bare columns (computed keys) are evaluated once
 * per batch and carried as hidden trailing columns ("views"), so rows read
 * back from spill files need no re-evaluation.
 *
 * Role swap: an inner join first reads a little of its probe side. When
 * the probe side ends within SWAP_ROWS rows (a filtered or semi-joined
 * input the planner could not size), the roles are exchanged: the small
 * side becomes the hash table and the other side streams through it, which
 * spares building a table over a large input for a handful of probes. The
 * output keeps its column order (probe columns, then build columns).
 *
 * Shared build: a broadcast build side is the same for every task of a
 * stage; op_hash_join_shared builds its table once per process and lets the
 * other tasks probe it (op.h: join_cache).
 *
 * Spilling: when the budget refuses the build side, it is split into 16
 * files by hash, then the probe side likewise, and each pair of files is
 * joined on its own (split again with further hash bits if its build part
 * still does not fit). The nested-loop join keeps its build side in memory
 * and fails cleanly when that does not fit. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"
#include "engine/exec/rowkey.h"
#include "engine/exec/rowstore.h"
#include "engine/exec/spill.h"

#define OUT_ROWS (2 * BATCH_DEFAULT_ROWS)
#define NPART 16
#define PART_BITS 4
#define MAX_LEVEL 14
#define NONE UINT32_MAX
#define START (UINT32_MAX - 1)
#define SWAP_ROWS (8 * BATCH_DEFAULT_ROWS)

struct side {
  int ncols;            /* the input's columns */
  int nhidden;          /* computed key columns appended */
  int *kcol;            /* key k's column in the view */
  struct exprcol *keys; /* nkeys */
  struct type *vtypes;  /* view types (ncols + nhidden) */
  struct vector *vcols; /* view column array */
  struct batch view;
};

/* A shared build side (op.h: join_cache). Immutable once ready. */
enum { SH_BUILDING, SH_READY, SH_FAILED };

/* A built hash table: what a join owns, or borrows from the join cache
 * when a stage's tasks share one broadcast build side. */
struct join_table {
  uint64_t *bwords, *bhash;
  uint32_t *bnext;
  /* Open-addressing table, one slot per distinct key: head row of the key's
   * chain in the low 32 bits (NONE: empty), the hash's high half above it as
   * a tag, so a probe usually settles in one cache line without touching
   * the build rows. */
  uint64_t *slots;
  uint64_t bmask;
  uint32_t nbuild;
  int64_t build_total;   /* rows of the whole build side (top level) */
  int build_has_null;    /* some build row has a NULL key */
};

struct join_shared {
  const void *key;
  int state;
  struct rowstore store;
  struct join_table t;
  struct join_shared *next;
};

struct join_cache {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct join_shared *head;
};

struct pwork {
  struct spill *b, *p;
  int level;
};

struct join_op {
  struct op op;
  struct op *probe_op, *build_op;
  enum plan_join_type type;
  int nkeys, nl, null_aware;
  uint64_t strict;      /* mask of keys that are not null-safe */
  struct eval_prog *cond;
  struct side ps, bs;
  struct rowkey_layout L;
  struct opx_mem mem;
  /* build side */
  struct rowstore store;
  struct join_table t;
  uint8_t *bmatched;
  int64_t table_bytes;
  /* probe state */
  struct batch *pb;      /* current probe view (borrowed or owned) */
  struct batch *pb_owned;
  uint64_t *pwords, *phash;
  uint32_t *phead;       /* chain head per probe row (NONE: no match) */
  uint8_t *pmatched;
  uint32_t pcap;
  uint32_t pi, pchain;
  int pstage;            /* 0 pairs, 1 probe-only rows, 2 batch done */
  /* output */
  struct batch *out, *cand;
  uint32_t *cp, *cb, *sel;
  uint64_t bemit;
  /* shared build side */
  struct join_cache *jc;
  const void *jkey;
  int jc_checked;
  struct join_shared *sh;       /* the table in use is shared (not ours) */
  struct join_shared *sh_build; /* we build the shared table */
  const struct rowstore *gstore; /* where build rows are gathered from */
  /* role swap: probe views read ahead (copies), before the build */
  struct batch **ahead;
  int nahead, capahead, nexthead;
  int64_t ahead_rows;
  int swapped;           /* the sides were exchanged: output columns swap back */
  /* phases and spilling */
  int phase;             /* PH_*: peek (role swap), build, probe, unmatched build rows,
                          * next spilled part, done */
  int level;
  int bspilled;          /* build of the current level went to files */
  struct spill *bparts[NPART], *pparts[NPART];
  struct spill *bsrc, *psrc; /* sources when joining a partition */
  struct pwork *stack;
  int nstack, capstack;
  uint64_t *swords, *shash; /* scratch for partitioning */
  uint32_t scap;
};

enum { PH_BUILD, PH_PROBE, PH_UNMATCHED, PH_NEXT, PH_DONE, PH_PEEK };

static int keeps_probe_unmatched(enum plan_join_type t) { return t == JOIN_LEFT || t == JOIN_FULL; }
static int keeps_build_unmatched(enum plan_join_type t) { return t == JOIN_RIGHT || t == JOIN_FULL; }
static int semi_anti(enum plan_join_type t) { return t == JOIN_SEMI || t == JOIN_ANTI; }

static int part_of(uint64_t h, int level) {
  return (int)((h >> (64 - PART_BITS * (level + 1))) & (NPART - 1));
}

/* ---------- views ---------- */

static int side_init(struct side *s, const struct op *in, struct expr *const *keys, int nkeys,
                     struct err *err) {
  s->ncols = in->ncols;
  s->kcol = calloc((size_t)nkeys + 1, sizeof *s->kcol);
  s->keys = calloc((size_t)nkeys + 1, sizeof *s->keys);
  s->vtypes = calloc((size_t)(in->ncols + nkeys) + 1, sizeof *s->vtypes);
  s->vcols = calloc((size_t)(in->ncols + nkeys) + 1, sizeof *s->vcols);
  if (!s->kcol || !s->keys || !s->vtypes || !s->vcols)
    return err_set(err, ERR_NOMEM, "out of memory");
  for (int k = 0; k < nkeys; k++) arena_init(&s->keys[k].heap, ARENA_UNLIMITED);
  for (int c = 0; c < in->ncols; c++) s->vtypes[c] = opx_storage_type(in->types[c]);
  for (int k = 0; k < nkeys; k++) {
    int idx;
    if (exprcol_is_col(keys[k], &idx) && idx < in->ncols) {
      s->kcol[k] = idx;
      continue;
    }
    int rc = exprcol_init(&s->keys[k], keys[k], err);
    if (rc) return rc;
    s->kcol[k] = in->ncols + s->nhidden;
    s->vtypes[in->ncols + s->nhidden] = opx_storage_type(keys[k]->type);
    s->nhidden++;
  }
  return 0;
}

static void side_fini(struct side *s, int nkeys) {
  if (s->keys)
    for (int k = 0; k < nkeys; k++) exprcol_fini(&s->keys[k]);
  free(s->keys);
  free(s->kcol);
  free(s->vtypes);
  free(s->vcols);
}

/* The view of input batch b: its columns plus computed keys (shallow). */
static int side_view(struct side *s, int nkeys, struct batch *b, struct batch **out,
                     struct err *err) {
  if (!s->nhidden) {
    *out = b;
    return 0;
  }
  for (int c = 0; c < s->ncols; c++) s->vcols[c] = b->cols[c];
  int h = 0;
  for (int k = 0; k < nkeys; k++) {
    if (s->kcol[k] < s->ncols) continue;
    const struct vector *v;
    int rc = exprcol_eval(&s->keys[k], b, &v, err);
    if (rc) return rc;
    s->vcols[s->ncols + h] = *v;
    s->vcols[s->ncols + h].count = b->nrows;
    h++;
  }
  s->view = *b;
  s->view.ncols = s->ncols + s->nhidden;
  s->view.cols = s->vcols;
  *out = &s->view;
  return 0;
}

static void encode_keys(struct join_op *j, const struct side *s, const struct batch *v,
                        uint64_t *words, uint64_t *hashes) {
  const struct vector *cols[ROWKEY_MAX_KEYS];
  for (int k = 0; k < j->nkeys; k++) cols[k] = &v->cols[s->kcol[k]];
  rowkey_encode(&j->L, cols, v->nrows, words, hashes);
}

static int scratch(struct join_op *j, uint32_t n, struct err *err) {
  if (n <= j->scap) return 0;
  free(j->swords);
  free(j->shash);
  j->swords = malloc((size_t)j->L.nwords * 8 * n + 8);
  j->shash = malloc(8 * (size_t)n + 8);
  j->scap = j->swords && j->shash ? n : 0;
  if (!j->scap) return err_set(err, ERR_NOMEM, "out of memory in a join");
  return 0;
}

/* Write the rows of view v to parts[] by hash. */
static int partition_write(struct join_op *j, const struct side *s, struct spill **parts,
                           const struct batch *v, struct err *err) {
  uint32_t n = v->nrows;
  int rc = scratch(j, n, err);
  if (rc) return rc;
  if (j->nkeys) encode_keys(j, s, v, j->swords, j->shash);
  for (int p = 0; p < NPART; p++)
    if (!parts[p] && !(parts[p] = spill_open(j->op.task->spill_dir, err))) return err->code;
  uint32_t *sel = malloc(sizeof *sel * NPART * (size_t)(n ? n : 1));
  if (!sel) return err_set(err, ERR_NOMEM, "out of memory in a join");
  uint32_t cnt[NPART] = {0};
  for (uint32_t i = 0; i < n; i++) {
    int p = j->nkeys ? part_of(j->shash[i], j->level) : 0;
    sel[(size_t)p * n + cnt[p]++] = i;
  }
  for (int p = 0; p < NPART && !rc; p++) {
    int64_t before = parts[p]->bytes;
    rc = spill_write(parts[p], v, sel + (size_t)p * n, cnt[p], err);
    j->op.task->spill_bytes += parts[p]->bytes - before;
  }
  free(sel);
  return rc;
}

/* ---------- build ---------- */

static void free_table(struct join_op *j) {
  if (!j->sh) {
    free(j->t.bwords);
    free(j->t.bhash);
    free(j->t.bnext);
    free(j->t.slots);
  }
  j->sh = NULL;
  j->gstore = &j->store;
  free(j->bmatched);
  j->t.bwords = j->t.bhash = NULL;
  j->t.bnext = NULL;
  j->t.slots = NULL;
  j->bmatched = NULL;
  j->t.nbuild = 0;
}

static void release_build(struct join_op *j) {
  free_table(j);
  rowstore_reset(&j->store);
  opx_release(&j->mem, j->mem.held);
}

static int64_t table_bytes_per_row(const struct join_op *j) {
  return (int64_t)j->L.nwords * 8 + 8 + 4 + 16 + 1;
}

/* Spill the rows stored so far to the build partition files. */
static int spill_store(struct join_op *j, struct err *err) {
  if (j->nl || j->level >= MAX_LEVEL)
    return err_set(err, ERR_UNSUPPORTED,
                   j->nl ? "the build side of a nested-loop join exceeds the memory budget: "
                           "add an equality condition or raise spark.executor.memory"
                         : "join partition cannot fit its memory budget even after repeated "
                           "spilling (too many rows with one key?)");
  for (int c = 0; c < j->store.nchunks; c++) {
    int rc = partition_write(j, &j->bs, j->bparts, j->store.chunks[c], err);
    if (rc) return rc;
  }
  release_build(j);
  j->bspilled = 1;
  return 0;
}

/* Take one build view (stored layout). */
static int build_consume(struct join_op *j, const struct batch *v, int top, struct err *err) {
  if (top) {
    j->t.build_total += v->nrows;
    if (j->null_aware && j->nkeys && !j->t.build_has_null) {
      for (int k = 0; k < j->nkeys; k++) {
        const struct vector *kv = &v->cols[j->bs.kcol[k]];
        for (uint32_t i = 0; i < v->nrows; i++)
          if (!bitmap_get(kv->validity, i)) j->t.build_has_null = 1;
      }
    }
  }
  if (j->bspilled) return partition_write(j, &j->bs, j->bparts, v, err);
  int64_t before = j->store.bytes;
  if (rowstore_append(&j->store, v, NULL, 0)) return err_set(err, ERR_NOMEM, "out of memory in a join");
  int64_t delta = j->store.bytes - before + (int64_t)v->nrows * table_bytes_per_row(j);
  if (!opx_reserve(&j->mem, delta)) {
    opx_force(&j->mem, delta);
    return spill_store(j, err);
  }
  return 0;
}

#define SLOT_HEAD(e) ((uint32_t)(e))
#define SLOT_TAG(e) ((uint32_t)((e) >> 32))

/* Encode the stored keys and put every key in one slot, chaining the rows
 * that share it. */
static int build_table(struct join_op *j, struct err *err) {
  uint64_t n = j->store.nrows;
  if (n >= NONE - 1) return err_set(err, ERR_TOOBIG, "join build side has too many rows");
  j->t.nbuild = (uint32_t)n;
  size_t W = (size_t)j->L.nwords;
  /* At most half full, so that a miss ends after a slot or two. */
  uint64_t nb = 16;
  while (nb < 2 * n) nb *= 2;
  j->t.bmask = nb - 1;
  j->bmatched = calloc(n + 1, 1);
  if (j->nkeys) {
    j->t.slots = malloc(sizeof *j->t.slots * nb);
    j->t.bwords = malloc(W * 8 * (n + 1));
    j->t.bhash = malloc(8 * (n + 1));
    j->t.bnext = malloc(4 * (n + 1));
  }
  if (!j->bmatched || (j->nkeys && (!j->t.slots || !j->t.bwords || !j->t.bhash || !j->t.bnext)))
    return err_set(err, ERR_NOMEM, "out of memory in a join");
  if (!j->nkeys) return 0;
  memset(j->t.slots, 0xff, sizeof *j->t.slots * nb);
  for (int c = 0; c < j->store.nchunks; c++) {
    const struct batch *ch = j->store.chunks[c];
    uint64_t base = (uint64_t)c << ROWSTORE_SHIFT;
    encode_keys(j, &j->bs, ch, j->t.bwords + base * W, j->t.bhash + base);
  }
  /* Insert in reverse so chains list rows in input order. */
  for (uint64_t r = n; r-- > 0;) {
    const uint64_t *rw = j->t.bwords + r * W;
    if (rowkey_has_null(rw, j->strict)) {
      j->t.bnext[r] = NONE;
      continue;
    }
    uint64_t h = j->t.bhash[r];
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint64_t s = h & j->t.bmask;; s = (s + 1) & j->t.bmask) {
      uint64_t e = j->t.slots[s];
      uint32_t head = SLOT_HEAD(e);
      if (head == NONE) {
        j->t.bnext[r] = NONE;
        j->t.slots[s] = (uint64_t)tag << 32 | (uint32_t)r;
        break;
      }
      if (SLOT_TAG(e) == tag && j->t.bhash[head] == h &&
          rowkey_eq(&j->L, rw, j->t.bwords + (size_t)head * W)) {
        j->t.bnext[r] = head;
        j->t.slots[s] = (uint64_t)tag << 32 | (uint32_t)r;
        break;
      }
    }
  }
  return 0;
}

/* Chain heads of probe rows [0, n): one pass over the table with the slots
 * of later rows prefetched, so the cache misses overlap. */
static void lookup_heads(struct join_op *j, uint32_t n) {
  size_t W = (size_t)j->L.nwords;
  const uint64_t *slots = j->t.slots;
  uint64_t mask = j->t.bmask;
  enum { AHEAD = 16 };
  for (uint32_t i = 0; i < n && i < AHEAD; i++) __builtin_prefetch(&slots[j->phash[i] & mask]);
  for (uint32_t i = 0; i < n; i++) {
    if (i + AHEAD < n) __builtin_prefetch(&slots[j->phash[i + AHEAD] & mask]);
    const uint64_t *pw = j->pwords + i * W;
    uint32_t found = NONE;
    if (j->t.nbuild && !rowkey_has_null(pw, j->strict)) {
      uint64_t h = j->phash[i];
      uint32_t tag = (uint32_t)(h >> 32);
      for (uint64_t s = h & mask;; s = (s + 1) & mask) {
        uint64_t e = slots[s];
        uint32_t head = SLOT_HEAD(e);
        if (head == NONE) break;
        if (SLOT_TAG(e) == tag && rowkey_eq(&j->L, pw, j->t.bwords + (size_t)head * W)) {
          found = head;
          break;
        }
      }
    }
    j->phead[i] = found;
  }
}

/* ---------- gathering ---------- */

static void gather_col(struct vector *dst, uint32_t at, const struct vector *src,
                       const uint32_t *idx, uint32_t n) {
  size_t es = vector_elem_size(dst->type.id);
  switch (es) {
  case 1: {
    uint8_t *d = (uint8_t *)dst->data + at;
    const uint8_t *s = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = s[idx[k]];
    break;
  }
  case 4: {
    uint32_t *d = (uint32_t *)dst->data + at;
    const uint32_t *s = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = s[idx[k]];
    break;
  }
  case 8: {
    uint64_t *d = (uint64_t *)dst->data + at;
    const uint64_t *s = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = s[idx[k]];
    break;
  }
  default: {
    struct sv *d = (struct sv *)dst->data + at;
    const struct sv *s = src->data;
    for (uint32_t k = 0; k < n; k++) d[k] = s[idx[k]];
    break;
  }
  }
  for (uint32_t k = 0; k < n; k++) bitmap_put(dst->validity, at + k, bitmap_get(src->validity, idx[k]));
}

/* Columns [0, ncols) of probe rows idx into out columns col0.. at row at. */
static void gather_probe(struct batch *out, int col0, const struct batch *pb, int ncols,
                         const uint32_t *idx, uint32_t n, uint32_t at) {
  for (int c = 0; c < ncols; c++) gather_col(&out->cols[col0 + c], at, &pb->cols[c], idx, n);
}

static void gather_build(struct join_op *j, struct batch *out, int col0, const uint32_t *rows,
                         uint32_t n, uint32_t at) {
  for (int c = 0; c < j->bs.ncols; c++)
    rowstore_gather(j->gstore, c, rows, n, &out->cols[col0 + c], at);
}

static void null_cols(struct batch *out, int col0, int ncols, uint32_t at, uint32_t n) {
  for (int c = 0; c < ncols; c++) {
    struct vector *v = &out->cols[col0 + c];
    size_t es = vector_elem_size(v->type.id);
    memset((char *)v->data + (size_t)at * es, 0, es * n);
    for (uint32_t k = 0; k < n; k++) bitmap_clear(v->validity, at + k);
  }
}

/* ---------- probing ---------- */

static int probe_setup(struct join_op *j, struct batch *v, struct err *err) {
  uint32_t n = v->nrows;
  if (n > j->pcap) {
    free(j->pwords);
    free(j->phash);
    free(j->phead);
    free(j->pmatched);
    j->pwords = malloc((size_t)j->L.nwords * 8 * n + 8);
    j->phash = malloc(8 * (size_t)n + 8);
    j->phead = malloc(4 * (size_t)n + 4);
    j->pmatched = malloc(n + 1);
    j->pcap = j->pwords && j->phash && j->phead && j->pmatched ? n : 0;
    if (!j->pcap) return err_set(err, ERR_NOMEM, "out of memory in a join");
  }
  if (j->nkeys) {
    encode_keys(j, &j->ps, v, j->pwords, j->phash);
    lookup_heads(j, n);
  }
  memset(j->pmatched, 0, n);
  j->pb = v;
  j->pi = 0;
  j->pchain = START;
  j->pstage = 0;
  return 0;
}

/* Collect up to OUT_ROWS candidate pairs of the current probe batch. */
static uint32_t collect_pairs(struct join_op *j) {
  uint32_t n = j->pb->nrows, np = 0;
  size_t W = (size_t)j->L.nwords;
  int early = semi_anti(j->type) && !j->cond; /* first match decides */
  (void)W;
  while (j->pi < n && np < OUT_ROWS) {
    uint32_t i = j->pi;
    if (j->pchain == START) {
      if (j->t.nbuild == 0) {
        j->pi++;
        continue;
      }
      if (j->nkeys) {
        /* Every row of the chain has the probe row's key. */
        uint32_t head = j->phead[i];
        if (head == NONE) {
          j->pi++;
          continue;
        }
        if (early) {
          j->pmatched[i] = 1;
          j->pi++;
          continue;
        }
        j->pchain = head;
      } else {
        j->pchain = 0;
      }
    }
    if (j->nkeys) {
      while (j->pchain != NONE && np < OUT_ROWS) {
        uint32_t r = j->pchain;
        j->pchain = j->t.bnext[r];
        j->cp[np] = i;
        j->cb[np] = r;
        np++;
      }
    } else {
      if (early) {
        j->pmatched[i] = 1;
        j->pchain = NONE;
      }
      while (j->pchain != NONE && np < OUT_ROWS) {
        j->cp[np] = i;
        j->cb[np] = j->pchain;
        np++;
        j->pchain = j->pchain + 1 < j->t.nbuild ? j->pchain + 1 : NONE;
      }
    }
    if (j->pchain == NONE) {
      j->pi++;
      j->pchain = START;
    }
  }
  return np;
}

/* Produce the next output batch from the current probe batch: 1 with *out,
 * 0 when the batch is finished. */
static int probe_step(struct join_op *j, struct batch **out, struct err *err) {
  int outer_cols = !semi_anti(j->type);
  while (j->pstage == 0) {
    uint32_t np = collect_pairs(j);
    if (np == 0) {
      j->pstage = 1;
      break;
    }
    struct batch *dst = j->cond || !outer_cols ? j->cand : j->out;
    if (!j->cond && !outer_cols) {
      for (uint32_t k = 0; k < np; k++) j->pmatched[j->cp[k]] = 1;
      continue;
    }
    batch_reset(dst);
    /* Swapped sides: the output still lists the original probe side first. */
    gather_probe(dst, j->swapped ? j->bs.ncols : 0, j->pb, j->ps.ncols, j->cp, np, 0);
    gather_build(j, dst, j->swapped ? 0 : j->ps.ncols, j->cb, np, 0);
    batch_set_rows(dst, np);
    uint32_t nsel = np;
    if (j->cond) {
      int rc = eval_select(j->cond, dst, j->sel, &nsel, err);
      if (rc) return rc;
      for (uint32_t k = 0; k < nsel; k++) {
        j->pmatched[j->cp[j->sel[k]]] = 1;
        j->bmatched[j->cb[j->sel[k]]] = 1;
      }
      if (!outer_cols || nsel == 0) continue;
      if (nsel < np) {
        uint64_t keep[OUT_ROWS / 64];
        bitmap_clear_all(keep, np);
        for (uint32_t k = 0; k < nsel; k++) bitmap_set(keep, j->sel[k]);
        batch_compact(dst, keep);
      }
    } else {
      for (uint32_t k = 0; k < np; k++) {
        j->pmatched[j->cp[k]] = 1;
        j->bmatched[j->cb[k]] = 1;
      }
    }
    *out = dst;
    return 1;
  }
  if (j->pstage == 1) {
    j->pstage = 2;
    uint32_t n = j->pb->nrows, m = 0;
    int want;
    if (j->type == JOIN_SEMI) want = 1;
    else if (j->type == JOIN_ANTI || keeps_probe_unmatched(j->type)) want = 0;
    else return 0;
    int na_drop_all = j->type == JOIN_ANTI && j->null_aware && j->t.build_total > 0 && j->t.build_has_null;
    if (na_drop_all) return 0;
    size_t W = (size_t)j->L.nwords;
    for (uint32_t i = 0; i < n; i++) {
      if (j->pmatched[i] != want) continue;
      if (j->type == JOIN_ANTI && j->null_aware && j->t.build_total > 0 && j->nkeys &&
          (j->pwords[i * W] != 0))
        continue;
      j->cp[m++] = i;
    }
    if (!m) return 0;
    batch_reset(j->out);
    gather_probe(j->out, 0, j->pb, j->ps.ncols, j->cp, m, 0);
    if (outer_cols) null_cols(j->out, j->ps.ncols, j->bs.ncols, 0, m);
    batch_set_rows(j->out, m);
    *out = j->out;
    return 1;
  }
  return 0;
}

/* Unmatched build rows (RIGHT / FULL) in OUT_ROWS chunks. */
static int unmatched_step(struct join_op *j, struct batch **out) {
  uint32_t m = 0;
  while (j->bemit < j->t.nbuild && m < OUT_ROWS) {
    uint32_t r = (uint32_t)j->bemit++;
    if (!j->bmatched[r]) j->cb[m++] = r;
  }
  if (!m) return 0;
  batch_reset(j->out);
  null_cols(j->out, 0, j->ps.ncols, 0, m);
  gather_build(j, j->out, j->ps.ncols, j->cb, m, 0);
  batch_set_rows(j->out, m);
  *out = j->out;
  return 1;
}

/* ---------- role swap ---------- */

static void free_ahead(struct join_op *j) {
  for (int i = j->nexthead; i < j->nahead; i++) batch_free(j->ahead[i]);
  free(j->ahead);
  j->ahead = NULL;
  j->nahead = j->capahead = j->nexthead = 0;
}

/* Keep a copy of probe view v (the child's batch is only valid until its
 * next call). */
static int keep_ahead(struct join_op *j, const struct batch *v, struct err *err) {
  if (j->nahead == j->capahead) {
    int nc = j->capahead ? j->capahead * 2 : 8;
    struct batch **a = realloc(j->ahead, sizeof *a * (size_t)nc);
    if (!a) return err_set(err, ERR_NOMEM, "out of memory in a join");
    j->ahead = a;
    j->capahead = nc;
  }
  struct batch *c = batch_new(j->ps.vtypes, v->ncols, v->nrows ? v->nrows : 1, ARENA_UNLIMITED);
  if (!c || batch_append_rows(c, v, NULL, v->nrows)) {
    batch_free(c);
    return err_set(err, ERR_NOMEM, "out of memory in a join");
  }
  opx_force(&j->mem, batch_bytes(c));
  j->ahead[j->nahead++] = c;
  j->ahead_rows += v->nrows;
  return 0;
}

/* The probe side ended early: exchange the sides' roles. */
static int swap_sides(struct join_op *j, struct err *err) {
  struct side t = j->ps;
  j->ps = j->bs;
  j->bs = t;
  j->probe_op = j->build_op;
  j->build_op = NULL;
  j->swapped = 1;
  rowstore_fini(&j->store);
  if (rowstore_init(&j->store, j->bs.vtypes, j->bs.ncols + j->bs.nhidden))
    return err_set(err, ERR_NOMEM, "out of memory in a join");
  return 0;
}

/* Read the probe side until it ends or passes SWAP_ROWS rows; then either
 * swap roles and build from what was read, or build as planned (the rows
 * read are probed first). */
static int peek_step(struct join_op *j, struct err *err) {
  struct batch *b, *v;
  int rc = op_next(j->probe_op, &b, err);
  if (rc < 0) return rc;
  if (rc > 0) {
    j->op.task->rows_in += b->nrows;
    if ((rc = side_view(&j->ps, j->nkeys, b, &v, err)) || (rc = keep_ahead(j, v, err))) return rc;
    if (j->ahead_rows > SWAP_ROWS) j->phase = PH_BUILD;
    return 0;
  }
  op_close(j->probe_op);
  j->probe_op = NULL;
  if (j->ahead_rows == 0) {
    /* No probe rows: an inner join is empty, the build side is not read. */
    op_close(j->build_op);
    j->build_op = NULL;
    j->phase = PH_DONE;
    return 0;
  }
  if ((rc = swap_sides(j, err))) return rc;
  int64_t held = 0;
  for (int i = 0; i < j->nahead; i++) held += batch_bytes(j->ahead[i]);
  for (; j->nexthead < j->nahead; j->nexthead++) {
    struct batch *a = j->ahead[j->nexthead];
    rc = build_consume(j, a, 1, err);
    batch_free(a);
    if (rc) {
      j->nexthead++;
      return rc;
    }
  }
  opx_release(&j->mem, held);
  free_ahead(j);
  j->phase = PH_BUILD;
  return 0;
}

/* ---------- shared build sides ---------- */

struct join_cache *join_cache_new(void) {
  struct join_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  return c;
}

void join_cache_free(struct join_cache *c) {
  if (!c) return;
  for (struct join_shared *e = c->head, *n; e; e = n) {
    n = e->next;
    rowstore_fini(&e->store);
    free(e->t.bwords);
    free(e->t.bhash);
    free(e->t.slots);
    free(e->t.bnext);
    free(e);
  }
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static void shared_finish(struct join_cache *c, struct join_shared *e, int state) {
  pthread_mutex_lock(&c->mu);
  e->state = state;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* First visit of the build phase: claim the shared table (we build it),
 * wait for the task building it, or use it. Returns 1 when a ready table
 * was adopted, 0 to build as usual, < 0 on error (cancelled). */
static int shared_enter(struct join_op *j, struct err *err) {
  struct join_cache *c = j->jc;
  struct join_shared *e;
  pthread_mutex_lock(&c->mu);
  for (e = c->head; e && e->key != j->jkey; e = e->next) {
  }
  if (!e) {
    e = calloc(1, sizeof *e);
    if (e) {
      e->key = j->jkey;
      e->state = SH_BUILDING;
      e->next = c->head;
      c->head = e;
      j->sh_build = e;
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
  }
  while (e->state == SH_BUILDING) {
    if (opx_cancelled(j->op.task)) {
      pthread_mutex_unlock(&c->mu);
      return opx_cancel_err(err);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
  }
  int ready = e->state == SH_READY;
  pthread_mutex_unlock(&c->mu);
  if (!ready) return 0;
  j->bmatched = calloc((size_t)e->t.nbuild + 1, 1);
  if (!j->bmatched) return err_set(err, ERR_NOMEM, "out of memory in a join");
  j->sh = e;
  j->gstore = &e->store;
  j->t = e->t;
  op_close(j->build_op);
  j->build_op = NULL;
  return 1;
}

/* Our build finished in memory: hand the table to the cache and keep
 * using it from there. */
static void shared_publish(struct join_op *j) {
  struct join_shared *e = j->sh_build;
  j->sh_build = NULL;
  e->store = j->store;
  memset(&j->store, 0, sizeof j->store);
  e->t = j->t;
  j->sh = e;
  j->gstore = &e->store;
  shared_finish(j->jc, e, SH_READY);
}

/* ---------- driver ---------- */

static void free_probe(struct join_op *j) {
  batch_free(j->pb_owned);
  j->pb_owned = NULL;
  j->pb = NULL;
}

static int push_parts(struct join_op *j, struct err *err) {
  for (int p = NPART - 1; p >= 0; p--) {
    struct spill *b = j->bparts[p], *pr = j->pparts[p];
    j->bparts[p] = j->pparts[p] = NULL;
    int hasb = b && b->nrows, hasp = pr && pr->nrows;
    if (!hasb) {
      spill_close(b);
      b = NULL;
    }
    if (!hasp) {
      spill_close(pr);
      pr = NULL;
    }
    /* A part matters when it can produce rows: matches, or unmatched rows
     * of a side the join keeps. */
    int keep = hasp ? (hasb || keeps_probe_unmatched(j->type) || j->type == JOIN_ANTI)
                    : (hasb && keeps_build_unmatched(j->type));
    if (!keep) {
      spill_close(b);
      spill_close(pr);
      continue;
    }
    int rc = 0;
    if (b) rc = spill_rewind(b, err);
    if (!rc && pr) rc = spill_rewind(pr, err);
    if (!rc && j->nstack == j->capstack) {
      int nc = j->capstack ? j->capstack * 2 : 32;
      struct pwork *w = realloc(j->stack, sizeof *w * (size_t)nc);
      if (!w) rc = err_set(err, ERR_NOMEM, "out of memory in a join");
      else {
        j->stack = w;
        j->capstack = nc;
      }
    }
    if (rc) {
      spill_close(b);
      spill_close(pr);
      return rc;
    }
    j->stack[j->nstack].b = b;
    j->stack[j->nstack].p = pr;
    j->stack[j->nstack].level = j->level + 1;
    j->nstack++;
  }
  return 0;
}

static int join_next(struct op *op, struct batch **out, struct err *err) {
  struct join_op *j = (struct join_op *)op;
  int rc;
  for (;;) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    switch (j->phase) {
    case PH_PEEK:
      if ((rc = peek_step(j, err))) return rc;
      continue;
    case PH_BUILD: {
      struct batch *b, *v;
      if (j->jc && !j->jc_checked) {
        j->jc_checked = 1;
        rc = shared_enter(j, err);
        if (rc < 0) return rc;
        if (rc > 0) {
          j->phase = PH_PROBE;
          continue;
        }
      }
      if (j->bsrc) {
        rc = spill_read(j->bsrc, &b, err);
        if (rc < 0) return rc;
        if (rc > 0) {
          rc = build_consume(j, b, 0, err);
          batch_free(b);
          if (rc) return rc;
          continue;
        }
        spill_close(j->bsrc);
        j->bsrc = NULL;
      } else if (j->build_op) {
        rc = op_next(j->build_op, &b, err);
        if (rc < 0) return rc;
        if (rc > 0) {
          op->task->rows_in += b->nrows;
          if ((rc = side_view(&j->bs, j->nkeys, b, &v, err))) return rc;
          if ((rc = build_consume(j, v, 1, err))) return rc;
          continue;
        }
        op_close(j->build_op);
        j->build_op = NULL;
      }
      if (!j->bspilled && (rc = build_table(j, err))) return rc;
      if (j->sh_build) {
        if (j->bspilled) {
          shared_finish(j->jc, j->sh_build, SH_FAILED);
          j->sh_build = NULL;
        } else {
          shared_publish(j);
        }
      }
      j->phase = PH_PROBE;
      continue;
    }
    case PH_PROBE: {
      if (j->pb && !j->bspilled) {
        rc = probe_step(j, out, err);
        if (rc < 0) return rc;
        if (rc > 0) {
          op->task->rows_out += (*out)->nrows;
          return 1;
        }
        free_probe(j);
      }
      struct batch *b = NULL, *v = NULL;
      int owned = 0, got = 0;
      if (j->nexthead < j->nahead) {
        /* Probe rows read ahead before the build. */
        b = v = j->ahead[j->nexthead];
        j->ahead[j->nexthead++] = NULL;
        opx_release(&j->mem, batch_bytes(b));
        owned = got = 1;
      } else if (j->psrc) {
        rc = spill_read(j->psrc, &b, err);
        if (rc < 0) return rc;
        if (rc == 0) {
          spill_close(j->psrc);
          j->psrc = NULL;
        }
        got = rc;
        owned = 1;
        v = b;
      } else if (j->probe_op && j->level == 0) {
        rc = op_next(j->probe_op, &b, err);
        if (rc < 0) return rc;
        got = rc;
        if (rc > 0) {
          op->task->rows_in += b->nrows;
          if ((rc = side_view(&j->ps, j->nkeys, b, &v, err))) return rc;
        } else {
          op_close(j->probe_op);
          j->probe_op = NULL;
        }
      }
      if (!got) {
        if (j->bspilled) {
          if ((rc = push_parts(j, err))) return rc;
          j->bspilled = 0;
          j->phase = PH_NEXT;
        } else {
          j->phase = PH_UNMATCHED;
          j->bemit = 0;
        }
        continue;
      }
      if (j->bspilled) {
        rc = partition_write(j, &j->ps, j->pparts, v, err);
        if (owned) batch_free(b);
        if (rc) return rc;
        continue;
      }
      if (owned) j->pb_owned = b;
      if ((rc = probe_setup(j, v, err))) return rc;
      continue;
    }
    case PH_UNMATCHED:
      if (keeps_build_unmatched(j->type) && unmatched_step(j, out)) {
        op->task->rows_out += (*out)->nrows;
        return 1;
      }
      release_build(j);
      j->phase = PH_NEXT;
      continue;
    case PH_NEXT: {
      if (j->nstack == 0) {
        j->phase = PH_DONE;
        continue;
      }
      struct pwork w = j->stack[--j->nstack];
      j->bsrc = w.b;
      j->psrc = w.p;
      j->level = w.level;
      release_build(j);
      j->phase = PH_BUILD;
      if (!j->psrc) {
        /* No probe rows: only unmatched build rows can come out. */
        if (!keeps_build_unmatched(j->type)) {
          spill_close(j->bsrc);
          j->bsrc = NULL;
          j->phase = PH_NEXT;
        }
      }
      continue;
    }
    default: return 0;
    }
  }
}

static void join_close(struct op *op) {
  struct join_op *j = (struct join_op *)op;
  /* An error or a cancel before our shared build was ready: let the
   * waiting tasks build their own. */
  if (j->sh_build) shared_finish(j->jc, j->sh_build, SH_FAILED);
  op_close(j->probe_op);
  op_close(j->build_op);
  free_probe(j);
  free_ahead(j);
  if (j->cond) eval_free(j->cond);
  side_fini(&j->ps, j->nkeys);
  side_fini(&j->bs, j->nkeys);
  free_table(j);
  rowstore_fini(&j->store);
  free(j->pwords);
  free(j->phash);
  free(j->phead);
  free(j->pmatched);
  batch_free(j->out);
  batch_free(j->cand);
  free(j->cp);
  free(j->cb);
  free(j->sel);
  for (int p = 0; p < NPART; p++) {
    spill_close(j->bparts[p]);
    spill_close(j->pparts[p]);
  }
  spill_close(j->bsrc);
  spill_close(j->psrc);
  for (int i = 0; i < j->nstack; i++) {
    spill_close(j->stack[i].b);
    spill_close(j->stack[i].p);
  }
  free(j->stack);
  free(j->swords);
  free(j->shash);
  opx_mem_done(&j->mem);
  free(op->types);
  free(j);
}

static const struct op_vt join_vt = {join_next, join_close};

static struct op *join_new(struct task_ctx *t, struct op *probe, struct op *build,
                           enum plan_join_type type, struct expr *const *probe_keys,
                           struct expr *const *build_keys, const int *null_safe, int nkeys,
                           const struct expr *cond, int null_aware, int nl, struct err *err) {
  struct join_op *j = calloc(1, sizeof *j);
  if (!j) {
    op_close(probe);
    op_close(build);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  j->op.vt = &join_vt;
  j->op.task = t;
  j->probe_op = probe;
  j->build_op = build;
  j->type = type == JOIN_CROSS ? JOIN_INNER : type;
  j->nkeys = nkeys;
  j->nl = nl;
  j->null_aware = null_aware && type == JOIN_ANTI;
  j->mem.task = t;
  j->gstore = &j->store;
  /* Only an inner equi-join may swap: its output treats both sides alike. */
  j->phase = j->type == JOIN_INNER && nkeys > 0 && !nl ? PH_PEEK : PH_BUILD;
  int rc = 0;
  if (nkeys > ROWKEY_MAX_KEYS) {
    rc = err_set(err, ERR_UNSUPPORTED, "join on more than %d keys", ROWKEY_MAX_KEYS);
    goto fail;
  }
  for (int k = 0; k < nkeys; k++)
    if (!null_safe || !null_safe[k]) j->strict |= (uint64_t)1 << k;
  if ((rc = side_init(&j->ps, probe, probe_keys, nkeys, err)) ||
      (rc = side_init(&j->bs, build, build_keys, nkeys, err)))
    goto fail;
  {
    struct type kt[ROWKEY_MAX_KEYS];
    for (int k = 0; k < nkeys; k++) kt[k] = j->bs.vtypes[j->bs.kcol[k]];
    if (rowkey_layout_init(&j->L, kt, nkeys)) {
      rc = err_set(err, ERR_UNSUPPORTED, "join key of an unsupported type");
      goto fail;
    }
  }
  if (cond && (rc = eval_compile(cond, &j->cond, err))) goto fail;
  if (rowstore_init(&j->store, j->bs.vtypes, j->bs.ncols + j->bs.nhidden)) {
    rc = err_set(err, ERR_NOMEM, "out of memory");
    goto fail;
  }
  int np = probe->ncols, nb = build->ncols;
  int nout = semi_anti(j->type) ? np : np + nb;
  struct type *all = malloc(sizeof *all * (size_t)(np + nb + 1));
  if (!all) {
    rc = err_set(err, ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int c = 0; c < np; c++) all[c] = probe->types[c];
  for (int c = 0; c < nb; c++) all[np + c] = build->types[c];
  rc = opx_set_types(&j->op, all, nout);
  if (!rc) {
    j->out = opx_batch_new(all, nout, OUT_ROWS);
    j->cand = opx_batch_new(all, np + nb, OUT_ROWS);
  }
  free(all);
  j->cp = malloc(sizeof *j->cp * OUT_ROWS);
  j->cb = malloc(sizeof *j->cb * OUT_ROWS);
  j->sel = malloc(sizeof *j->sel * OUT_ROWS);
  if (rc || !j->out || !j->cand || !j->cp || !j->cb || !j->sel) {
    rc = err_set(err, ERR_NOMEM, "out of memory");
    goto fail;
  }
  return &j->op;
fail:
  join_close(&j->op);
  return NULL;
}

struct op *op_hash_join(struct task_ctx *t, struct op *probe, struct op *build,
                        enum plan_join_type type, struct expr *const *probe_keys,
                        struct expr *const *build_keys, const int *null_safe, int nkeys,
                        const struct expr *cond, int null_aware, struct err *err) {
  return join_new(t, probe, build, type, probe_keys, build_keys, null_safe, nkeys, cond,
                  null_aware, nkeys == 0, err);
}

struct op *op_hash_join_shared(struct task_ctx *t, struct op *probe, struct op *build,
                               enum plan_join_type type, struct expr *const *probe_keys,
                               struct expr *const *build_keys, const int *null_safe, int nkeys,
                               const struct expr *cond, int null_aware, const void *key,
                               struct err *err) {
  struct op *op = join_new(t, probe, build, type, probe_keys, build_keys, null_safe, nkeys, cond,
                           null_aware, nkeys == 0, err);
  struct join_op *j = (struct join_op *)op;
  if (j && t && t->joins && key && nkeys > 0 &&
      (type == JOIN_INNER || type == JOIN_LEFT || type == JOIN_SEMI || type == JOIN_ANTI)) {
    j->jc = t->joins;
    j->jkey = key;
    j->phase = PH_BUILD; /* the shared table serves every task: no role swap */
  }
  return op;
}

struct op *op_nl_join(struct task_ctx *t, struct op *probe, struct op *build,
                      enum plan_join_type type, const struct expr *cond, struct err *err) {
  return join_new(t, probe, build, type, NULL, NULL, NULL, 0, cond, 0, 1, err);
}
