/* op_agg.c: hash aggregation (COMPLETE / PARTIAL / FINAL) with spilling.
 *
 * Groups live in an open-addressing table (linear probing) whose slots hold
 * the group id and 32 hash bits (salt) so that most mismatches are decided
 * without touching the keys. Keys are encoded row-major (rowkey.h), string
 * bytes copied into an arena owned by the table; aggregate states are flat
 * arrays indexed by group id and updated by type-specialised loops, a batch
 * at a time: first every row gets its group id, then each aggregate runs one
 * tight loop over the batch.
 *
 * Spilling: when the budget refuses growth, the table's groups are written
 * as partial states (the PARTIAL output layout) to 16 files chosen by 4 hash
 * bits, the table is emptied and aggregation continues. At the end every
 * file is merged on its own (FINAL-style); a file whose groups still do not
 * fit is split again by the next 4 hash bits. States are exact (integer
 * sums, Welford moments combined with Chan's formula), so the answer does
 * not depend on the budget beyond floating-point summation order.
 *
 * Streaming partial aggregation: a PARTIAL aggregate whose input rarely
 * hits a group made by an earlier batch (keys clustered, as lineitem by
 * l_orderkey, or nearly unique) gains nothing from a big table: it would
 * only grow (rehash, page in) and miss the cache on every new group. So
 * the first STREAM_PROBE_ROWS rows count such hits; under 1 in
 * STREAM_HIT_DIV, the operator emits its groups and empties the table each
 * time it holds STREAM_GROUPS groups. The output may then hold a key more
 * than once, which a partial aggregate may: the final one merges them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/batchio.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/agg_collect.h"
#include "engine/exec/agg_more.h"
#include "engine/exec/eval_aggkey.h"
#include "engine/exec/hll.h"
#include "engine/exec/op.h"
#include "engine/exec/opx.h"
#include "engine/exec/rowkey.h"
#include "engine/exec/spill.h"

#define NPART 16
#define PART_BITS 4
#define MAX_LEVEL 14
#define EMIT_ROWS BATCH_DEFAULT_ROWS
#define STREAM_PROBE_ROWS 65536
#define STREAM_HIT_DIV 5
#define STREAM_GROUPS 16384
#define GROW4_FROM 65536

enum phys { PH_U8, PH_I32, PH_I64, PH_F64, PH_SV };

static enum phys phys_of(enum type_id id) {
  switch (id) {
  case TYPE_BOOLEAN:
  case TYPE_NULL: return PH_U8;
  case TYPE_INT:
  case TYPE_DATE: return PH_I32;
  case TYPE_DOUBLE: return PH_F64;
  case TYPE_STRING:
  case TYPE_ARRAY: return PH_SV;
  default: return PH_I64;
  }
}

static size_t phys_size(enum phys p) {
  static const size_t sz[] = {1, 4, 8, 8, sizeof(struct sv)};
  return sz[p];
}

struct slot {
  uint32_t salt;
  uint32_t gid1; /* group id + 1; 0 = empty */
};

/* Keys and hashes of the groups plus the slot array. */
struct gtable {
  struct rowkey_layout L;
  struct slot *slots;
  uint64_t mask;     /* slot count - 1 */
  uint64_t *gkeys;   /* ngroups * L.nwords */
  uint64_t *ghash;
  uint32_t ngroups, gcap;
  struct arena arena; /* string key bytes (and string states) */
  int64_t bytes;      /* accounted bytes of the arrays above */
};

/* One aggregate call's runtime. Arrays are indexed by group id. */
struct call {
  const struct plan_agg_call *pc;
  enum agg_fn fn;
  struct exprcol arg, filt;
  int has_arg, has_filt;
  int distinct;
  enum phys ph;       /* value physical type (MIN/MAX/FIRST), input for SUM/AVG */
  int arg_decimal;
  int nstate;
  struct type st[3];
  int st_col;         /* first state column in the partial layout */
  /* states */
  int64_t *cnt;       /* COUNT, AVG count, STDDEV n */
  int64_t *isum;      /* SUM int/decimal, AVG decimal */
  double *dsum;       /* SUM double, AVG double, STDDEV mean */
  double *m2;         /* STDDEV m2 */
  void *val;          /* MIN/MAX/FIRST value */
  uint8_t *has;       /* SUM/MIN/MAX/FIRST: a value was seen */
  uint8_t **regs;     /* APPROX_COUNT_DISTINCT: hll_m registers per group, in
                       * the table's arena, made at the group's first value */
  int hll_p;
  size_t hll_m;
  size_t per_group;   /* bytes of state per group */
  struct gtable *dset; /* DISTINCT: seen (group, value) pairs */
  struct agg_collect *lists; /* COLLECT_LIST/SET: lists_cap entries */
  uint32_t lists_cap;
};

struct work {
  struct spill *f;
  int level;
};

struct agg_op {
  struct op op;
  struct op *child;
  int64_t collect_bytes; /* malloc'd bytes of collect_list/set states */
  enum agg_mode mode;
  int nkeys, ncalls;
  struct exprcol *keys;
  struct type *key_types;
  struct call *calls;
  struct type *st_types; /* partial layout: keys then states */
  int nst_cols;
  int has_distinct;
  struct gtable gt;
  size_t state_per_group;
  struct opx_mem mem;
  int64_t arena_acc;
  /* per-batch scratch */
  uint32_t scap;
  uint64_t *words, *hashes;
  uint32_t *gids;
  uint64_t *mask;
  const struct vector **kv;
  /* spilling */
  int spilled;
  struct spill *parts[NPART];
  int parts_level;
  struct work *stack;
  int nstack, capstack;
  struct spill *cur;
  int cur_level;
  int need_spill;
  /* streaming partial aggregation (see the top of the file) */
  int stream;           /* 1: emit and empty the table at STREAM_GROUPS */
  int probing;          /* still counting cross-batch hits */
  int64_t probe_rows, cross_hits;
  uint32_t batch_g0;    /* groups made before the current batch (probing) */
  /* output */
  int phase; /* 0 input, 1 emit, 2 next partition, 3 done */
  uint32_t emit_pos;
  struct batch *outb, *stb;
  int emitted_global;
};

/* ---------- table ---------- */

static int gt_init(struct gtable *gt, const struct type *types, int n) {
  memset(gt, 0, sizeof *gt);
  arena_init(&gt->arena, ARENA_UNLIMITED);
  return rowkey_layout_init(&gt->L, types, n);
}

static void gt_free_arrays(struct gtable *gt) {
  free(gt->slots);
  free(gt->gkeys);
  free(gt->ghash);
  gt->slots = NULL;
  gt->gkeys = gt->ghash = NULL;
  gt->ngroups = gt->gcap = 0;
  gt->mask = 0;
  gt->bytes = 0;
}

static void gt_fini(struct gtable *gt) {
  gt_free_arrays(gt);
  arena_fini(&gt->arena);
}

static void call_free_states(struct call *c) {
  free(c->cnt);
  free(c->isum);
  free(c->dsum);
  free(c->m2);
  free(c->val);
  free(c->has);
  free(c->regs);
  c->regs = NULL;
  agg_collect_clear(c->lists, c->lists_cap);
  free(c->lists);
  c->lists = NULL;
  c->lists_cap = 0;
  c->cnt = c->isum = NULL;
  c->dsum = c->m2 = NULL;
  c->val = NULL;
  c->has = NULL;
}

static int grow_array(void **p, size_t es, uint32_t oldcap, uint32_t newcap) {
  void *q = realloc(*p, es * newcap);
  if (!q) return ERR_NOMEM;
  memset((char *)q + es * oldcap, 0, es * (newcap - oldcap));
  *p = q;
  return 0;
}

/* grow_array without zeroing the new part: for the key rows and hashes,
 * which are written when a group is added and never read past ngroups. */
static int grow_raw(void **p, size_t es, uint32_t newcap) {
  void *q = realloc(*p, es * newcap);
  if (!q) return ERR_NOMEM;
  *p = q;
  return 0;
}

static int call_grow(struct call *c, uint32_t oldcap, uint32_t newcap) {
  int rc = 0;
  switch (c->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: rc = grow_array((void **)&c->cnt, 8, oldcap, newcap); break;
  case AGG_SUM:
    if (c->ph == PH_F64) rc = grow_array((void **)&c->dsum, 8, oldcap, newcap);
    else rc = grow_array((void **)&c->isum, 8, oldcap, newcap);
    if (!rc) rc = grow_array((void **)&c->has, 1, oldcap, newcap);
    break;
  case AGG_AVG:
    if (c->arg_decimal) rc = grow_array((void **)&c->isum, 8, oldcap, newcap);
    else rc = grow_array((void **)&c->dsum, 8, oldcap, newcap);
    if (!rc) rc = grow_array((void **)&c->cnt, 8, oldcap, newcap);
    break;
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST:
  case AGG_LAST:
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS:
  case AGG_MAX_BY:
  case AGG_MIN_BY:
    rc = grow_array(&c->val, phys_size(c->ph), oldcap, newcap);
    if (!rc) rc = grow_array((void **)&c->has, 1, oldcap, newcap);
    break;
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP:
    rc = grow_array((void **)&c->cnt, 8, oldcap, newcap);
    if (!rc) rc = grow_array((void **)&c->dsum, 8, oldcap, newcap);
    if (!rc) rc = grow_array((void **)&c->m2, 8, oldcap, newcap);
    break;
  case AGG_APPROX_COUNT_DISTINCT:
    rc = grow_array((void **)&c->regs, sizeof *c->regs, oldcap, newcap);
    break;
  case AGG_COLLECT_LIST:
  case AGG_COLLECT_SET:
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX:
    rc = grow_array((void **)&c->lists, sizeof *c->lists, oldcap, newcap);
    if (!rc) c->lists_cap = newcap;
    break;
  default: break;
  }
  return rc;
}

static size_t call_state_bytes(const struct call *c) {
  switch (c->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: return 8;
  case AGG_SUM: return 9;
  case AGG_AVG: return 16;
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST:
  case AGG_LAST:
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS:
  case AGG_MAX_BY:
  case AGG_MIN_BY: return phys_size(c->ph) + 1;
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP: return 24;
  case AGG_APPROX_COUNT_DISTINCT: return sizeof(uint8_t *); /* registers: the arena */
  case AGG_COLLECT_LIST:
  case AGG_COLLECT_SET:
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX: return sizeof(struct agg_collect); /* elements: collect_bytes */
  default: return 0;
  }
}

static void gt_rehash_into(struct gtable *gt, struct slot *ns, uint64_t nmask) {
  enum { AHEAD = 16 };
  for (uint32_t g = 0; g < gt->ngroups; g++) {
    /* Slots are written at random: overlap their cache misses. */
    if (g + AHEAD < gt->ngroups) __builtin_prefetch(&ns[gt->ghash[g + AHEAD] & nmask], 1);
    uint64_t h = gt->ghash[g];
    uint64_t pos = h & nmask;
    while (ns[pos].gid1) pos = (pos + 1) & nmask;
    ns[pos].salt = (uint32_t)(h >> 32);
    ns[pos].gid1 = g + 1;
  }
}

/* Make room for one more group. main: also grow the aggregate states.
 * Returns 0, 1 when the budget refused, or ERR_NOMEM. */
static int gt_room(struct agg_op *a, struct gtable *gt, int main) {
  size_t W = (size_t)gt->L.nwords;
  if (gt->ngroups == gt->gcap) {
    /* Past GROW4_FROM groups, grow 4x: a big table is rebuilt half as
     * often (each rebuild misses the cache once per group). */
    uint64_t nc64 = !gt->gcap ? 1024 : (uint64_t)gt->gcap * (gt->gcap >= GROW4_FROM ? 4 : 2);
    if (nc64 > (1u << 30)) {
      if (gt->gcap >= (1u << 30)) return ERR_NOMEM;
      nc64 = 1u << 30;
    }
    uint32_t nc = (uint32_t)nc64;
    size_t per = W * 8 + 8 + (main ? a->state_per_group : 0);
    int64_t delta = (int64_t)per * (nc - gt->gcap);
    if (!opx_reserve(&a->mem, delta)) return 1;
    gt->bytes += delta;
    if (grow_raw((void **)&gt->gkeys, W * 8, nc) || grow_raw((void **)&gt->ghash, 8, nc))
      return ERR_NOMEM;
    if (main)
      for (int i = 0; i < a->ncalls; i++)
        if (call_grow(&a->calls[i], gt->gcap, nc)) return ERR_NOMEM;
    gt->gcap = nc;
  }
  uint64_t nslots = gt->slots ? gt->mask + 1 : 0;
  if ((uint64_t)(gt->ngroups + 1) * 2 > nslots) {
    uint64_t ns = !nslots ? 2048 : nslots >= 2 * GROW4_FROM ? nslots * 4 : nslots * 2;
    int64_t delta = (int64_t)((ns - nslots) * sizeof(struct slot));
    if (!opx_reserve(&a->mem, delta)) return 1;
    gt->bytes += delta;
    struct slot *s = calloc(ns, sizeof *s);
    if (!s) return ERR_NOMEM;
    gt_rehash_into(gt, s, ns - 1);
    free(gt->slots);
    gt->slots = s;
    gt->mask = ns - 1;
  }
  return 0;
}

/* Copy the string bytes of an encoded row into the table's arena. */
static int gt_own_strings(struct gtable *gt, uint64_t *row) {
  const struct rowkey_layout *L = &gt->L;
  for (int s = 0; s < L->nstr; s++) {
    int w = L->strword[s];
    uint32_t len = (uint32_t)row[w];
    if (!len) continue;
    char *d = arena_alloc(&gt->arena, len);
    if (!d) return ERR_NOMEM;
    memcpy(d, (const void *)(uintptr_t)row[w + 1], len);
    row[w + 1] = (uint64_t)(uintptr_t)d;
  }
  return 0;
}

/* Group id of each row in [from, n): stops early (returns the row reached)
 * when the budget refuses growth; < 0 on error. */
static int64_t gt_assign(struct agg_op *a, struct gtable *gt, int main, const uint64_t *words,
                         const uint64_t *hashes, uint32_t from, uint32_t n, uint32_t *gids,
                         uint8_t *isnew) {
  const struct rowkey_layout *L = &gt->L;
  const size_t W = (size_t)L->nwords;
  for (uint32_t i = from; i < n; i++) {
    if (i + 16 < n && gt->slots) __builtin_prefetch(&gt->slots[hashes[i + 16] & gt->mask]);
    uint64_t h = hashes[i];
    const uint64_t *row = words + i * W;
    /* Clustered input (a table stored in key order, e.g. lineitem by
     * l_orderkey) repeats the previous row's key: reuse its group without
     * probing the table. A different hash rejects the check at once. */
    if (i > from && h == hashes[i - 1] && rowkey_eq(L, row, row - W)) {
      gids[i] = gids[i - 1];
      if (isnew) isnew[i] = 0;
      continue;
    }
    uint32_t salt = (uint32_t)(h >> 32);
    if (gt->slots) {
      uint64_t pos = h & gt->mask;
      for (;;) {
        struct slot s = gt->slots[pos];
        if (!s.gid1) break;
        if (s.salt == salt && rowkey_eq(L, row, gt->gkeys + (size_t)(s.gid1 - 1) * W)) {
          gids[i] = s.gid1 - 1;
          if (s.gid1 <= a->batch_g0 && main) a->cross_hits++;
          if (isnew) isnew[i] = 0;
          goto next;
        }
        pos = (pos + 1) & gt->mask;
      }
    }
    /* Room without growth is the common case: skip the call. */
    if (gt->ngroups == gt->gcap || (uint64_t)(gt->ngroups + 1) * 2 > gt->mask + 1 || !gt->slots) {
      int rc = gt_room(a, gt, main);
      if (rc < 0) return rc;
      if (rc == 1) return i;
    }
    {
      uint32_t g = gt->ngroups++;
      uint64_t *dst = gt->gkeys + g * W;
      memcpy(dst, row, W * 8);
      if (L->nstr && gt_own_strings(gt, dst)) return ERR_NOMEM;
      gt->ghash[g] = h;
      uint64_t pos = h & gt->mask;
      while (gt->slots[pos].gid1) pos = (pos + 1) & gt->mask;
      gt->slots[pos].salt = salt;
      gt->slots[pos].gid1 = g + 1;
      gids[i] = g;
      if (isnew) isnew[i] = 1;
    }
  next:;
  }
  return n;
}

/* ---------- update kernels ---------- */

#define LOOP(...)                                                   \
  do {                                                              \
    if (!mask) {                                                    \
      for (uint32_t i = lo; i < hi; i++) {                          \
        uint32_t g = gids[i];                                       \
        __VA_ARGS__;                                                \
      }                                                             \
    } else {                                                        \
      for (uint32_t i = lo; i < hi; i++) {                          \
        if (!bitmap_get(mask, i)) continue;                         \
        uint32_t g = gids[i];                                       \
        __VA_ARGS__;                                                \
      }                                                             \
    }                                                               \
  } while (0)

static int dbl_less(double x, double y) {
  /* Spark orders NaN above every number. */
  if (isnan(y)) return !isnan(x);
  return x < y;
}

static int sv_cmp(const struct sv *x, const struct sv *y) {
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* Store string s as the state of group g (bytes owned by the arena). */
static int set_sv(struct agg_op *a, struct sv *slot, int had, const struct sv *s) {
  if (had && s->len <= slot->len && slot->len) {
    /* The old bytes belong to this group alone: reuse them. */
    char *d = (char *)slot->ptr;
    memmove(d, s->ptr, s->len);
    *slot = sv_make(d, s->len);
    return 0;
  }
  char *d = s->len ? arena_alloc(&a->gt.arena, s->len) : NULL;
  if (s->len && !d) return ERR_NOMEM;
  if (s->len) memcpy(d, s->ptr, s->len);
  *slot = sv_make(d ? d : "", s->len);
  return 0;
}

/* MIN / MAX / FIRST over values v (raw argument or a state column). */
static int upd_minmax(struct agg_op *a, struct call *c, const struct vector *v,
                      const uint32_t *gids, const uint64_t *mask, uint32_t lo, uint32_t hi) {
  uint8_t *has = c->has;
  int mx = c->fn == AGG_MAX || c->fn == AGG_MAX_BY, first = c->fn == AGG_FIRST;
  switch (c->ph) {
  case PH_U8: {
    uint8_t *s = c->val;
    const uint8_t *d = vector_u8(v);
    if (first) LOOP(if (!has[g]) { s[g] = d[i]; has[g] = 1; });
    else if (mx) LOOP(if (!has[g] || d[i] > s[g]) { s[g] = d[i]; has[g] = 1; });
    else LOOP(if (!has[g] || d[i] < s[g]) { s[g] = d[i]; has[g] = 1; });
    break;
  }
  case PH_I32: {
    int32_t *s = c->val;
    const int32_t *d = vector_i32(v);
    if (first) LOOP(if (!has[g]) { s[g] = d[i]; has[g] = 1; });
    else if (mx) LOOP(if (!has[g] || d[i] > s[g]) { s[g] = d[i]; has[g] = 1; });
    else LOOP(if (!has[g] || d[i] < s[g]) { s[g] = d[i]; has[g] = 1; });
    break;
  }
  case PH_I64: {
    int64_t *s = c->val;
    const int64_t *d = vector_i64(v);
    if (first) LOOP(if (!has[g]) { s[g] = d[i]; has[g] = 1; });
    else if (mx) LOOP(if (!has[g] || d[i] > s[g]) { s[g] = d[i]; has[g] = 1; });
    else LOOP(if (!has[g] || d[i] < s[g]) { s[g] = d[i]; has[g] = 1; });
    break;
  }
  case PH_F64: {
    double *s = c->val;
    const double *d = vector_f64(v);
    if (first) LOOP(if (!has[g]) { s[g] = d[i]; has[g] = 1; });
    else if (mx) LOOP(if (!has[g] || dbl_less(s[g], d[i])) { s[g] = d[i]; has[g] = 1; });
    else LOOP(if (!has[g] || dbl_less(d[i], s[g])) { s[g] = d[i]; has[g] = 1; });
    break;
  }
  case PH_SV: {
    struct sv *s = c->val;
    const struct sv *d = vector_sv(v);
    int rc = 0;
    LOOP({
      int take = !has[g] || (!first && (mx ? sv_cmp(&d[i], &s[g]) > 0 : sv_cmp(&d[i], &s[g]) < 0));
      if (take) {
        if ((rc = set_sv(a, &s[g], has[g], &d[i]))) return rc;
        has[g] = 1;
      }
    });
    break;
  }
  }
  return 0;
}

/* Store row i of v as the value of group g (MIN/MAX layout in c->val). */
static int store_val(struct agg_op *a, struct call *c, uint32_t g, const struct vector *v,
                     uint32_t i) {
  switch (c->ph) {
  case PH_U8: ((uint8_t *)c->val)[g] = vector_u8(v)[i]; break;
  case PH_I32: ((int32_t *)c->val)[g] = vector_i32(v)[i]; break;
  case PH_I64: ((int64_t *)c->val)[g] = vector_i64(v)[i]; break;
  case PH_F64: ((double *)c->val)[g] = vector_f64(v)[i]; break;
  case PH_SV: return set_sv(a, &((struct sv *)c->val)[g], c->has[g] == 1, &vector_sv(v)[i]);
  }
  return 0;
}

/* LAST (NULLs ignored: mask holds valid rows only): every row replaces. */
static int upd_last(struct agg_op *a, struct call *c, const struct vector *v,
                    const uint32_t *gids, const uint64_t *mask, uint32_t lo, uint32_t hi) {
  int rc;
  LOOP({
    if ((rc = store_val(a, c, g, v, i))) return rc;
    c->has[g] = 1;
  });
  return 0;
}

/* FIRST_NULLS / LAST_NULLS over values v, NULLs included. has[g]: 0 no row
 * yet, 1 a value, 2 a NULL. seen (merge): the partial's "a row was seen"
 * column, rows without one are skipped. */
static int upd_fl_nulls(struct agg_op *a, struct call *c, const struct vector *v,
                        const struct vector *seen, const uint32_t *gids, const uint64_t *mask,
                        uint32_t lo, uint32_t hi) {
  int last = c->fn == AGG_LAST_NULLS, rc;
  LOOP({
    if (seen && (!bitmap_get(seen->validity, i) || !vector_u8(seen)[i])) continue;
    if (!last && c->has[g]) continue;
    int valid = bitmap_get(v->validity, i);
    if (valid && (rc = store_val(a, c, g, v, i))) return rc;
    c->has[g] = valid ? 1 : 2;
  });
  return 0;
}

/* Welford's update written as Spark's CentralMomentAgg writes it, so that
 * the same rows in the same order give the same bits. */
static void welford(struct call *c, uint32_t g, double x) {
  int64_t n = ++c->cnt[g];
  double d = x - c->dsum[g];
  double dn = d / (double)n;
  c->dsum[g] += dn;
  c->m2[g] += d * (d - dn);
}

/* The registers of group g, made (zero) on first use. NULL: out of memory. */
static uint8_t *hll_regs(struct agg_op *a, struct call *c, uint32_t g) {
  uint8_t *r = c->regs[g];
  if (r) return r;
  if (!(r = arena_alloc(&a->gt.arena, c->hll_m))) return NULL;
  memset(r, 0, c->hll_m);
  return c->regs[g] = r;
}

#define HLL_ADD(hash)                                           \
  do {                                                          \
    uint8_t *r_ = c->regs[g];                                   \
    if (!r_ && !(r_ = hll_regs(a, c, g))) return ERR_NOMEM;     \
    hll_add(r_, p, (hash));                                     \
  } while (0)

/* Offer the argument values of rows [lo, hi) to their groups' sketches. */
static int upd_hll(struct agg_op *a, struct call *c, const struct vector *v,
                   const uint32_t *gids, const uint64_t *mask, uint32_t lo, uint32_t hi) {
  const int p = c->hll_p;
  switch (c->ph) {
  case PH_U8: {
    const uint8_t *d = vector_u8(v);
    LOOP(HLL_ADD(hll_hash_i32(d[i])));
    break;
  }
  case PH_I32: {
    const int32_t *d = vector_i32(v);
    LOOP(HLL_ADD(hll_hash_i32(d[i])));
    break;
  }
  case PH_I64: {
    const int64_t *d = vector_i64(v);
    LOOP(HLL_ADD(hll_hash_i64(d[i])));
    break;
  }
  case PH_F64: {
    const double *d = vector_f64(v);
    LOOP(HLL_ADD(hll_hash_f64(d[i])));
    break;
  }
  case PH_SV: {
    const struct sv *d = vector_sv(v);
    LOOP(HLL_ADD(hll_xxh64(d[i].ptr, d[i].len, HLL_SEED)));
    break;
  }
  }
  return 0;
}

/* sum() of INT/BIGINT under spark.sql.ansi.enabled (its argument's flag):
 * overflow is an error instead of wrapping. */
static int sum_ansi(const struct call *c) {
  return c->pc->type.id == TYPE_BIGINT && c->pc->arg && c->pc->arg->ansi;
}

/* Raw update of call c with argument values v over rows [lo, hi). */
static int upd_raw(struct agg_op *a, struct call *c, const struct vector *v, const uint32_t *gids,
                   const uint64_t *mask, uint32_t lo, uint32_t hi) {
  switch (c->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: {
    int64_t *cnt = c->cnt;
    LOOP(cnt[g]++);
    return 0;
  }
  case AGG_SUM: {
    uint8_t *has = c->has;
    if (c->ph == PH_F64) {
      double *s = c->dsum;
      const double *d = vector_f64(v);
      LOOP({ s[g] += d[i]; has[g] = 1; });
    } else if (sum_ansi(c)) {
      int64_t *s = c->isum;
      int ovf = 0;
      if (c->ph == PH_I32) {
        const int32_t *d = vector_i32(v);
        LOOP({ ovf |= __builtin_add_overflow(s[g], (int64_t)d[i], &s[g]); has[g] = 1; });
      } else {
        const int64_t *d = vector_i64(v);
        LOOP({ ovf |= __builtin_add_overflow(s[g], d[i], &s[g]); has[g] = 1; });
      }
      if (ovf) return ERR_SQL;
    } else if (c->ph == PH_I32) {
      int64_t *s = c->isum;
      const int32_t *d = vector_i32(v);
      LOOP({ s[g] += d[i]; has[g] = 1; });
    } else {
      int64_t *s = c->isum;
      const int64_t *d = vector_i64(v);
      LOOP({ s[g] = (int64_t)((uint64_t)s[g] + (uint64_t)d[i]); has[g] = 1; });
    }
    return 0;
  }
  case AGG_AVG: {
    int64_t *cnt = c->cnt;
    if (c->arg_decimal) {
      int64_t *s = c->isum;
      const int64_t *d = vector_i64(v);
      LOOP({ s[g] = (int64_t)((uint64_t)s[g] + (uint64_t)d[i]); cnt[g]++; });
    } else if (c->ph == PH_F64) {
      double *s = c->dsum;
      const double *d = vector_f64(v);
      LOOP({ s[g] += d[i]; cnt[g]++; });
    } else if (c->ph == PH_I32) {
      double *s = c->dsum;
      const int32_t *d = vector_i32(v);
      LOOP({ s[g] += (double)d[i]; cnt[g]++; });
    } else {
      double *s = c->dsum;
      const int64_t *d = vector_i64(v);
      LOOP({ s[g] += (double)d[i]; cnt[g]++; });
    }
    return 0;
  }
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST: return upd_minmax(a, c, v, gids, mask, lo, hi);
  case AGG_MAX_BY:
  case AGG_MIN_BY: return upd_minmax(a, c, v, gids, mask, lo, hi);
  case AGG_LAST: return upd_last(a, c, v, gids, mask, lo, hi);
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS: return upd_fl_nulls(a, c, v, NULL, gids, mask, lo, hi);
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX: {
    enum type_id el = type_elem_id(c->st[0]);
    int rc;
    LOOP(if ((rc = agg_collect_add(&c->lists[g], el, 0, v, i, &a->collect_bytes))) return rc);
    return 0;
  }
  case AGG_APPROX_COUNT_DISTINCT: return upd_hll(a, c, v, gids, mask, lo, hi);
  case AGG_COLLECT_LIST:
  case AGG_COLLECT_SET: {
    enum type_id el = type_elem_id(c->pc->type);
    int set = c->fn == AGG_COLLECT_SET, rc;
    LOOP(if ((rc = agg_collect_add(&c->lists[g], el, set, v, i, &a->collect_bytes))) return rc);
    return 0;
  }
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP: {
    if (c->ph == PH_F64) {
      const double *d = vector_f64(v);
      LOOP(welford(c, g, d[i]));
    } else if (c->ph == PH_I32) {
      const int32_t *d = vector_i32(v);
      LOOP(welford(c, g, (double)d[i]));
    } else {
      const int64_t *d = vector_i64(v);
      LOOP(welford(c, g, (double)d[i]));
    }
    return 0;
  }
  default: return 0;
  }
}

/* Merge partial states st[0..nstate) (state columns of a batch). */
static int upd_merge(struct agg_op *a, struct call *c, const struct vector *const *st,
                     const uint32_t *gids, uint32_t lo, uint32_t hi, uint64_t *mbuf) {
  const uint64_t *mask = NULL;
  switch (c->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: {
    int64_t *cnt = c->cnt;
    const int64_t *d = vector_i64(st[0]);
    mask = st[0]->validity;
    LOOP(cnt[g] += d[i]);
    return 0;
  }
  case AGG_SUM: {
    uint8_t *has = c->has;
    mask = st[0]->validity;
    if (c->ph == PH_F64) {
      double *s = c->dsum;
      const double *d = vector_f64(st[0]);
      LOOP({ s[g] += d[i]; has[g] = 1; });
    } else if (sum_ansi(c)) {
      int64_t *s = c->isum;
      const int64_t *d = vector_i64(st[0]);
      int ovf = 0;
      LOOP({ ovf |= __builtin_add_overflow(s[g], d[i], &s[g]); has[g] = 1; });
      if (ovf) return ERR_SQL;
    } else {
      int64_t *s = c->isum;
      const int64_t *d = vector_i64(st[0]);
      LOOP({ s[g] = (int64_t)((uint64_t)s[g] + (uint64_t)d[i]); has[g] = 1; });
    }
    return 0;
  }
  case AGG_AVG: {
    int64_t *cnt = c->cnt;
    const int64_t *n = vector_i64(st[1]);
    mask = st[0]->validity;
    if (c->arg_decimal) {
      int64_t *s = c->isum;
      const int64_t *d = vector_i64(st[0]);
      LOOP({ s[g] = (int64_t)((uint64_t)s[g] + (uint64_t)d[i]); cnt[g] += n[i]; });
    } else {
      double *s = c->dsum;
      const double *d = vector_f64(st[0]);
      LOOP({ s[g] += d[i]; cnt[g] += n[i]; });
    }
    return 0;
  }
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST: return upd_minmax(a, c, st[0], gids, st[0]->validity, lo, hi);
  case AGG_MAX_BY:
  case AGG_MIN_BY: return upd_minmax(a, c, st[0], gids, st[0]->validity, lo, hi);
  case AGG_LAST: return upd_last(a, c, st[0], gids, st[0]->validity, lo, hi);
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS: return upd_fl_nulls(a, c, st[0], st[1], gids, NULL, lo, hi);
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX: {
    enum type_id el = type_elem_id(c->st[0]);
    int rc;
    const struct sv *d = vector_sv(st[0]);
    mask = st[0]->validity;
    LOOP(if ((rc = agg_collect_merge(&c->lists[g], el, 0, d[i], &a->collect_bytes))) return rc);
    return 0;
  }
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP: {
    const int64_t *nb = vector_i64(st[0]);
    const double *mb = vector_f64(st[1]), *qb = vector_f64(st[2]);
    mask = st[0]->validity;
    /* Chan's formula as Spark's CentralMomentAgg merges (an empty partial
     * changes nothing there either). */
    LOOP({
      if (nb[i] > 0) {
        int64_t na = c->cnt[g], n = na + nb[i];
        double delta = mb[i] - c->dsum[g];
        double dn = delta / (double)n;
        c->dsum[g] += dn * (double)nb[i];
        c->m2[g] += qb[i] + delta * dn * (double)na * (double)nb[i];
        c->cnt[g] = n;
      }
    });
    return 0;
  }
  case AGG_APPROX_COUNT_DISTINCT: {
    const struct sv *d = vector_sv(st[0]);
    const size_t m = c->hll_m;
    mask = st[0]->validity;
    LOOP({
      if (d[i].len != m) return ERR_INVAL; /* another precision: cannot happen */
      uint8_t *r = hll_regs(a, c, g);
      if (!r) return ERR_NOMEM;
      hll_merge(r, (const uint8_t *)d[i].ptr, m);
    });
    return 0;
  }
  case AGG_COLLECT_LIST:
  case AGG_COLLECT_SET: {
    enum type_id el = type_elem_id(c->pc->type);
    int set = c->fn == AGG_COLLECT_SET, rc;
    const struct sv *d = vector_sv(st[0]);
    mask = st[0]->validity;
    LOOP(if ((rc = agg_collect_merge(&c->lists[g], el, set, d[i], &a->collect_bytes))) return rc);
    return 0;
  }
  default: (void)mbuf; return 0;
  }
}

/* ---------- batch processing ---------- */

static int ensure_scratch(struct agg_op *a, uint32_t n, struct err *err) {
  if (n <= a->scap) return 0;
  size_t W = (size_t)a->gt.L.nwords;
  free(a->words);
  free(a->hashes);
  free(a->gids);
  free(a->mask);
  a->words = malloc(W * 8 * n + 8);
  a->hashes = malloc(8 * (size_t)n + 8);
  a->gids = calloc(n, sizeof *a->gids);
  a->mask = malloc(8 * bitmap_words(n) + 8);
  a->scap = a->words && a->hashes && a->gids && a->mask ? n : 0;
  if (!a->scap) return err_set(err, ERR_NOMEM, "out of memory in an aggregate");
  return 0;
}

/* Combined "row counts" mask for a call: argument not NULL and filter true.
 * Returns NULL when every row counts. */
static const uint64_t *call_mask(struct agg_op *a, const struct vector *arg,
                                 const struct vector *filt, uint32_t n) {
  size_t words = bitmap_words(n);
  int any = 0;
  if (arg) {
    for (size_t w = 0; w < words; w++) {
      uint64_t m = arg->validity[w];
      if (w == words - 1 && (n & 63)) m |= ~(((uint64_t)1 << (n & 63)) - 1);
      if (m != ~(uint64_t)0) {
        any = 1;
        break;
      }
    }
  }
  if (!any && !filt) return NULL;
  for (size_t w = 0; w < words; w++) a->mask[w] = arg ? arg->validity[w] : ~(uint64_t)0;
  if (filt) {
    const uint8_t *fd = vector_u8(filt);
    for (uint32_t i = 0; i < n; i++)
      if (!fd[i] || !bitmap_get(filt->validity, i)) bitmap_clear(a->mask, i);
  }
  return a->mask;
}

/* DISTINCT: keep only rows whose (group, value) pair is new. */
static int distinct_filter(struct agg_op *a, struct call *c, const struct vector *v,
                           uint32_t lo, uint32_t hi, uint64_t *mask, struct err *err) {
  uint32_t n = hi;
  struct type bt = {TYPE_BIGINT, 0, 0};
  (void)bt;
  size_t W = (size_t)c->dset->L.nwords;
  uint64_t *words = malloc(W * 8 * (n ? n : 1));
  uint64_t *hashes = malloc(8 * (size_t)(n ? n : 1));
  uint32_t *gd = malloc(4 * (size_t)(n ? n : 1));
  uint8_t *isnew = malloc(n ? n : 1);
  struct vector gv;
  int rc = vector_init(&gv, bt, n ? n : 1, NULL);
  if (!words || !hashes || !gd || !isnew || rc) {
    rc = err_set(err, ERR_NOMEM, "out of memory in count(DISTINCT)");
    goto out;
  }
  for (uint32_t i = 0; i < n; i++) vector_i64(&gv)[i] = a->gids[i];
  bitmap_set_range(gv.validity, 0, n);
  const struct vector *cols[2] = {&gv, v};
  rowkey_encode(&c->dset->L, cols, n, words, hashes);
  /* Only rows that count (value not NULL, filter true) enter the set. */
  for (uint32_t i = lo; i < hi; i++) {
    if (!bitmap_get(mask, i)) continue;
    int64_t r = gt_assign(a, c->dset, 0, words, hashes, i, i + 1, gd, isnew);
    if (r < 0) {
      rc = err_set(err, ERR_NOMEM, "out of memory in count(DISTINCT)");
      goto out;
    }
    if (r == i) {
      rc = err_set(err, ERR_UNSUPPORTED,
                   "count(DISTINCT) over the memory budget: raise spark.executor.memory or "
                   "rewrite the query with GROUP BY");
      goto out;
    }
    if (!isnew[i]) bitmap_clear(mask, i);
  }
  rc = 0;
out:
  vector_fini(&gv);
  free(words);
  free(hashes);
  free(gd);
  free(isnew);
  return rc;
}

/* Account arena growth; a refusal asks for a spill after this batch. */
static void account_arena(struct agg_op *a) {
  int64_t used = (int64_t)a->gt.arena.used + a->collect_bytes;
  for (int i = 0; i < a->ncalls; i++)
    if (a->calls[i].dset) used += (int64_t)a->calls[i].dset->arena.used;
  if (used > a->arena_acc) {
    if (!opx_force(&a->mem, used - a->arena_acc)) a->need_spill = 1;
    a->arena_acc = used;
  }
}

static int flush_table(struct agg_op *a, struct err *err);

/* Aggregate one batch: raw rows (merge = 0) or partial states (merge = 1,
 * keys in columns 0..nkeys-1). */
static int process_batch(struct agg_op *a, const struct batch *b, int merge, struct err *err) {
  uint32_t n = b->nrows;
  int rc;
  if (a->probing) a->batch_g0 = a->gt.ngroups;
  if ((rc = ensure_scratch(a, n, err))) return rc;
  for (int k = 0; k < a->nkeys; k++) {
    if (merge) a->kv[k] = &b->cols[k];
    else if ((rc = exprcol_eval(&a->keys[k], b, &a->kv[k], err))) return rc;
  }
  /* Argument vectors (raw) are evaluated once for the whole batch. */
  const struct vector *argv[256], *filtv[256];
  const struct vector **av = argv, **fv = filtv;
  if (a->ncalls > 256) {
    av = malloc(sizeof *av * (size_t)a->ncalls);
    fv = malloc(sizeof *fv * (size_t)a->ncalls);
    if (!av || !fv) {
      free(av);
      free(fv);
      return err_set(err, ERR_NOMEM, "out of memory in an aggregate");
    }
  }
  rc = 0;
  for (int i = 0; i < a->ncalls && !rc && !merge; i++) {
    struct call *c = &a->calls[i];
    av[i] = fv[i] = NULL;
    if (c->has_arg) rc = exprcol_eval(&c->arg, b, &av[i], err);
    if (!rc && c->has_filt) rc = exprcol_eval(&c->filt, b, &fv[i], err);
  }
  if (rc) goto out;
  if (a->nkeys) rowkey_encode(&a->gt.L, a->kv, n, a->words, a->hashes);
  uint32_t lo = 0;
  while (lo < n) {
    uint32_t hi = n;
    if (a->nkeys) {
      int64_t r = gt_assign(a, &a->gt, 1, a->words, a->hashes, lo, n, a->gids, NULL);
      if (r < 0) {
        rc = err_set(err, ERR_NOMEM, "out of memory in an aggregate");
        goto out;
      }
      hi = (uint32_t)r;
    } else {
      if (a->gt.ngroups == 0) {
        int g = gt_room(a, &a->gt, 1);
        if (g != 0) {
          rc = err_set(err, ERR_NOMEM, "out of memory in an aggregate");
          goto out;
        }
        a->gt.ngroups = 1;
      }
      memset(a->gids, 0, sizeof *a->gids * n);
    }
    for (int i = 0; i < a->ncalls; i++) {
      struct call *c = &a->calls[i];
      if (merge) {
        const struct vector *st[3];
        for (int s = 0; s < c->nstate; s++) st[s] = &b->cols[c->st_col + s];
        rc = upd_merge(a, c, st, a->gids, lo, hi, a->mask);
      } else {
        const uint64_t *mask =
            call_mask(a,
                      c->fn == AGG_COUNT_STAR || c->fn == AGG_FIRST_NULLS ||
                              c->fn == AGG_LAST_NULLS
                          ? NULL
                          : av[i],
                      c->has_filt ? fv[i] : NULL, n);
        if (c->distinct) {
          if (!mask) {
            size_t words = bitmap_words(n);
            for (size_t w = 0; w < words; w++) a->mask[w] = ~(uint64_t)0;
            mask = a->mask;
          }
          if ((rc = distinct_filter(a, c, av[i], lo, hi, a->mask, err))) goto out;
        }
        rc = upd_raw(a, c, av[i], a->gids, mask, lo, hi);
      }
      if (rc) {
        rc = rc == ERR_SQL
                 ? err_set(err, ERR_SQL,
                           "[ARITHMETIC_OVERFLOW] long overflow. Use 'try_add' to tolerate "
                           "overflow and return NULL instead. If necessary set "
                           "\"spark.sql.ansi.enabled\" to \"false\" to bypass this error.")
             : rc == ERR_INVAL
                 ? err_set(err, ERR_INVAL, "approx_count_distinct partial states disagree")
                 : err_set(err, ERR_NOMEM, "out of memory in an aggregate");
        goto out;
      }
    }
    account_arena(a);
    if (hi < n || a->need_spill) {
      if (a->has_distinct) {
        rc = err_set(err, ERR_UNSUPPORTED,
                     "count(DISTINCT) over the memory budget: raise spark.executor.memory or "
                     "rewrite the query with GROUP BY");
        goto out;
      }
      if (!a->nkeys) {
        /* One group cannot be split; its memory (strings) is already counted. */
        a->need_spill = 0;
      } else if ((rc = flush_table(a, err))) {
        goto out;
      }
    }
    lo = hi;
  }
out:
  if (av != argv) free(av);
  if (fv != filtv) free(fv);
  return rc;
}

/* ---------- output ---------- */

static int64_t dec_avg(int64_t sum, int64_t cnt, int shift) {
  __int128 num = (__int128)sum;
  for (int i = 0; i < shift; i++) num *= 10;
  __int128 q = num / cnt, r = num % cnt;
  if (r < 0) r = -r;
  if (2 * r >= (__int128)(cnt < 0 ? -cnt : cnt)) q += (num < 0) ? -1 : 1;
  return (int64_t)q;
}

static void put_val(struct vector *v, uint32_t j, enum phys ph, const void *arr, uint32_t g) {
  switch (ph) {
  case PH_U8: vector_u8(v)[j] = ((const uint8_t *)arr)[g]; break;
  case PH_I32: vector_i32(v)[j] = ((const int32_t *)arr)[g]; break;
  case PH_I64: vector_i64(v)[j] = ((const int64_t *)arr)[g]; break;
  case PH_F64: vector_f64(v)[j] = ((const double *)arr)[g]; break;
  case PH_SV: vector_sv(v)[j] = ((const struct sv *)arr)[g]; break;
  }
  bitmap_set(v->validity, j);
}

/* max_by / min_by's result: x from the winning agg_ordkey string (a
 * malformed one, which cannot happen, gives NULL). */
static void put_by(const struct call *c, struct vector *v, uint32_t j, uint32_t g) {
  const char *p;
  uint32_t len;
  if (!c->has[g] || eval_aggkey_payload(((const struct sv *)c->val)[g], &p, &len) != 1) {
    vector_set_null(v, j);
    return;
  }
  enum phys ph = phys_of(c->pc->type.id);
  if (ph == PH_SV) {
    vector_sv(v)[j] = sv_make(p, len);
  } else {
    if (len != phys_size(ph)) {
      vector_set_null(v, j);
      return;
    }
    memcpy((char *)v->data + (size_t)j * len, p, len);
  }
  bitmap_set(v->validity, j);
}

/* Fill out with groups [g0, g0 + n): keys then states (states = 1) or final
 * values. */
static void emit_rows(struct agg_op *a, struct batch *out, uint32_t g0, uint32_t n, int states) {
  batch_reset(out);
  const struct gtable *gt = &a->gt;
  size_t W = (size_t)gt->L.nwords;
  for (int k = 0; k < a->nkeys; k++)
    for (uint32_t j = 0; j < n; j++)
      rowkey_decode(&gt->L, k, gt->gkeys + (size_t)(g0 + j) * W, &out->cols[k], j);
  int col = a->nkeys;
  for (int i = 0; i < a->ncalls; i++) {
    struct call *c = &a->calls[i];
    if (states) {
      struct vector *v0 = &out->cols[col], *v1 = c->nstate > 1 ? &out->cols[col + 1] : NULL,
                    *v2 = c->nstate > 2 ? &out->cols[col + 2] : NULL;
      for (uint32_t j = 0; j < n; j++) {
        uint32_t g = g0 + j;
        switch (c->fn) {
        case AGG_COUNT_STAR:
        case AGG_COUNT: put_val(v0, j, PH_I64, c->cnt, g); break;
        case AGG_SUM:
          if (!c->has[g]) vector_set_null(v0, j);
          else if (c->ph == PH_F64) put_val(v0, j, PH_F64, c->dsum, g);
          else put_val(v0, j, PH_I64, c->isum, g);
          break;
        case AGG_AVG:
          if (!c->cnt[g]) vector_set_null(v0, j);
          else if (c->arg_decimal) put_val(v0, j, PH_I64, c->isum, g);
          else put_val(v0, j, PH_F64, c->dsum, g);
          put_val(v1, j, PH_I64, c->cnt, g);
          break;
        case AGG_MIN:
        case AGG_MAX:
        case AGG_FIRST:
        case AGG_LAST:
        case AGG_MAX_BY:
        case AGG_MIN_BY:
          if (!c->has[g]) vector_set_null(v0, j);
          else put_val(v0, j, c->ph, c->val, g);
          break;
        case AGG_FIRST_NULLS:
        case AGG_LAST_NULLS:
          if (c->has[g] != 1) vector_set_null(v0, j);
          else put_val(v0, j, c->ph, c->val, g);
          vector_u8(v1)[j] = c->has[g] != 0;
          bitmap_set(v1->validity, j);
          break;
        case AGG_STDDEV_SAMP:
        case AGG_VAR_SAMP:
        case AGG_STDDEV_POP:
        case AGG_VAR_POP:
          put_val(v0, j, PH_I64, c->cnt, g);
          put_val(v1, j, PH_F64, c->dsum, g);
          put_val(v2, j, PH_F64, c->m2, g);
          break;
        case AGG_APPROX_COUNT_DISTINCT:
          /* Borrowed until the table is cleared, as string states are. */
          if (!c->regs[g]) {
            vector_set_null(v0, j); /* no value yet: nothing to merge */
          } else {
            vector_sv(v0)[j] = sv_make((const char *)c->regs[g], (uint32_t)c->hll_m);
            bitmap_set(v0->validity, j);
          }
          break;
        default: break;
        }
      }
      col += c->nstate;
    } else {
      struct vector *v = &out->cols[col];
      for (uint32_t j = 0; j < n; j++) {
        uint32_t g = g0 + j;
        switch (c->fn) {
        case AGG_COUNT_STAR:
        case AGG_COUNT: put_val(v, j, PH_I64, c->cnt, g); break;
        case AGG_SUM:
          if (!c->has[g]) vector_set_null(v, j);
          else if (c->ph == PH_F64) put_val(v, j, PH_F64, c->dsum, g);
          else put_val(v, j, PH_I64, c->isum, g);
          break;
        case AGG_AVG:
          if (!c->cnt[g]) {
            vector_set_null(v, j);
          } else if (c->arg_decimal) {
            int shift = (int)c->pc->type.scale - (int)c->st[0].scale;
            vector_i64(v)[j] = dec_avg(c->isum[g], c->cnt[g], shift < 0 ? 0 : shift);
            bitmap_set(v->validity, j);
          } else {
            vector_f64(v)[j] = c->dsum[g] / (double)c->cnt[g];
            bitmap_set(v->validity, j);
          }
          break;
        case AGG_MIN:
        case AGG_MAX:
        case AGG_FIRST:
        case AGG_LAST:
          if (!c->has[g]) vector_set_null(v, j);
          else put_val(v, j, c->ph, c->val, g);
          break;
        case AGG_FIRST_NULLS:
        case AGG_LAST_NULLS:
          if (c->has[g] != 1) vector_set_null(v, j);
          else put_val(v, j, c->ph, c->val, g);
          break;
        case AGG_MAX_BY:
        case AGG_MIN_BY:
          put_by(c, v, j, g);
          break;
        case AGG_STDDEV_SAMP:
        case AGG_VAR_SAMP:
          if (c->cnt[g] < 2) {
            vector_set_null(v, j);
          } else {
            double var = c->m2[g] / (double)(c->cnt[g] - 1);
            vector_f64(v)[j] = c->fn == AGG_VAR_SAMP ? var : sqrt(var);
            bitmap_set(v->validity, j);
          }
          break;
        case AGG_STDDEV_POP:
        case AGG_VAR_POP:
          if (c->cnt[g] < 1) {
            vector_set_null(v, j);
          } else {
            double var = c->m2[g] / (double)c->cnt[g];
            vector_f64(v)[j] = c->fn == AGG_VAR_POP ? var : sqrt(var);
            bitmap_set(v->validity, j);
          }
          break;
        case AGG_APPROX_COUNT_DISTINCT:
          vector_i64(v)[j] = c->regs[g] ? hll_estimate(c->regs[g], c->hll_p) : 0;
          bitmap_set(v->validity, j);
          break;
        default: break;
        }
      }
      col++;
    }
  }
  batch_set_rows(out, n);
}

/* percentile / percentile_approx for groups [g0, g0 + n): the list of values
 * as an ARRAY (states = 1) or the percentile. Returns 0 or an error code. */
static int emit_percentile(struct agg_op *a, struct call *c, struct batch *out, uint32_t g0,
                           uint32_t n, int states) {
  struct vector *v = &out->cols[states ? c->st_col : a->nkeys + (int)(c - a->calls)];
  enum type_id el = type_elem_id(c->st[0]);
  for (uint32_t j = 0; j < n; j++) {
    struct agg_collect none = {0};
    struct agg_collect *s = g0 + j < c->lists_cap ? &c->lists[g0 + j] : &none;
    if (states) {
      int rc = agg_collect_emit(s, el, 0, &out->arena, &vector_sv(v)[j], &a->collect_bytes);
      if (rc) return rc;
      bitmap_set(v->validity, j);
      continue;
    }
    int64_t iv = 0;
    double dv = 0;
    int rc = agg_percentile(s, el, c->pc->dparam, c->fn == AGG_PERCENTILE_APPROX, &iv, &dv);
    if (rc < 0) return rc;
    if (!rc) {
      vector_set_null(v, j);
      continue;
    }
    switch (phys_of(c->pc->type.id)) {
    case PH_I32: vector_i32(v)[j] = (int32_t)iv; break;
    case PH_F64: vector_f64(v)[j] = dv; break;
    default: vector_i64(v)[j] = iv; break;
    }
    bitmap_set(v->validity, j);
  }
  return 0;
}

/* The collect_list/collect_set columns of groups [g0, g0 + n), which
 * emit_rows leaves unset: the state array (states = 1) and the final value
 * are the same ARRAY, built in out's arena. Returns 0 or an error code. */
static int emit_collect(struct agg_op *a, struct batch *out, uint32_t g0, uint32_t n, int states) {
  for (int i = 0; i < a->ncalls; i++) {
    struct call *c = &a->calls[i];
    if (c->fn == AGG_PERCENTILE || c->fn == AGG_PERCENTILE_APPROX) {
      int rc = emit_percentile(a, c, out, g0, n, states);
      if (rc) return rc;
      continue;
    }
    if (c->fn != AGG_COLLECT_LIST && c->fn != AGG_COLLECT_SET) continue;
    struct vector *v = &out->cols[states ? c->st_col : a->nkeys + i];
    enum type_id el = type_elem_id(c->pc->type);
    for (uint32_t j = 0; j < n; j++) {
      struct agg_collect none = {0};
      struct agg_collect *s = g0 + j < c->lists_cap ? &c->lists[g0 + j] : &none;
      int rc = agg_collect_emit(s, el, c->fn == AGG_COLLECT_SET, &out->arena, &vector_sv(v)[j],
                                &a->collect_bytes);
      if (rc) return rc;
      bitmap_set(v->validity, j);
    }
  }
  return 0;
}

/* Forget every group (memory back to the budget). */
static void table_reset(struct agg_op *a) {
  gt_free_arrays(&a->gt);
  arena_reset(&a->gt.arena);
  arena_fini(&a->gt.arena);
  arena_init(&a->gt.arena, ARENA_UNLIMITED);
  for (int i = 0; i < a->ncalls; i++) call_free_states(&a->calls[i]);
  a->collect_bytes = 0;
  opx_release(&a->mem, a->mem.held);
  a->arena_acc = 0;
  a->need_spill = 0;
}

/* Forget every group but keep the arrays, the arena's last chunk and their
 * memory reservation: a streaming partial aggregate refills the table to
 * the same size at once, so regrowing it from empty would rehash it
 * log2(STREAM_GROUPS / 1024) times per refill. */
static void table_clear(struct agg_op *a) {
  struct gtable *gt = &a->gt;
  size_t n = gt->ngroups;
  if (gt->slots) memset(gt->slots, 0, (size_t)(gt->mask + 1) * sizeof *gt->slots);
  for (int i = 0; i < a->ncalls; i++) {
    struct call *c = &a->calls[i];
    if (c->cnt) memset(c->cnt, 0, n * sizeof *c->cnt);
    if (c->isum) memset(c->isum, 0, n * sizeof *c->isum);
    if (c->dsum) memset(c->dsum, 0, n * sizeof *c->dsum);
    if (c->m2) memset(c->m2, 0, n * sizeof *c->m2);
    if (c->val) memset(c->val, 0, n * phys_size(c->ph));
    if (c->has) memset(c->has, 0, n * sizeof *c->has);
    if (c->regs) memset(c->regs, 0, n * sizeof *c->regs);
    agg_collect_clear(c->lists, (uint32_t)n);
  }
  a->collect_bytes = 0;
  gt->ngroups = 0;
  arena_reset(&gt->arena);
}

static int part_of(uint64_t h, int level) {
  return (int)((h >> (64 - PART_BITS * (level + 1))) & (NPART - 1));
}

/* Write every group of the table as partial states into a->parts (split
 * by the hash bits of a->parts_level), then empty the table. */
static int flush_table(struct agg_op *a, struct err *err) {
  if (a->parts_level >= MAX_LEVEL)
    return err_set(err, ERR_UNSUPPORTED,
                   "aggregate cannot fit its memory budget even after repeated spilling");
  for (int p = 0; p < NPART; p++)
    if (!a->parts[p] && !(a->parts[p] = spill_open(a->op.task->spill_dir, err))) return err->code;
  if (!a->stb && !(a->stb = opx_batch_new(a->st_types, a->nst_cols, EMIT_ROWS)))
    return err_set(err, ERR_NOMEM, "out of memory in an aggregate");
  uint32_t sel[NPART][EMIT_ROWS];
  uint32_t cnt[NPART];
  for (uint32_t g0 = 0; g0 < a->gt.ngroups; g0 += EMIT_ROWS) {
    uint32_t n = a->gt.ngroups - g0 < EMIT_ROWS ? a->gt.ngroups - g0 : EMIT_ROWS;
    emit_rows(a, a->stb, g0, n, 1);
    if (emit_collect(a, a->stb, g0, n, 1))
      return err_set(err, ERR_NOMEM, "out of memory in collect_list/collect_set");
    memset(cnt, 0, sizeof cnt);
    for (uint32_t j = 0; j < n; j++) {
      int p = part_of(a->gt.ghash[g0 + j], a->parts_level);
      sel[p][cnt[p]++] = j;
    }
    for (int p = 0; p < NPART; p++) {
      int64_t before = a->parts[p]->bytes;
      int rc = spill_write(a->parts[p], a->stb, sel[p], cnt[p], err);
      if (rc) return rc;
      a->op.task->spill_bytes += a->parts[p]->bytes - before;
    }
  }
  a->spilled = 1;
  table_reset(a);
  return 0;
}

static int push_work(struct agg_op *a, struct spill *f, int level, struct err *err) {
  if (a->nstack == a->capstack) {
    int nc = a->capstack ? a->capstack * 2 : 32;
    struct work *w = realloc(a->stack, sizeof *w * (size_t)nc);
    if (!w) {
      spill_close(f);
      return err_set(err, ERR_NOMEM, "out of memory in an aggregate");
    }
    a->stack = w;
    a->capstack = nc;
  }
  a->stack[a->nstack].f = f;
  a->stack[a->nstack].level = level;
  a->nstack++;
  return 0;
}

/* Move the partition files just written to the work stack. */
static int push_parts(struct agg_op *a, struct err *err) {
  for (int p = NPART - 1; p >= 0; p--) {
    struct spill *f = a->parts[p];
    a->parts[p] = NULL;
    if (!f) continue;
    if (f->nrows == 0) {
      spill_close(f);
      continue;
    }
    int rc = spill_rewind(f, err);
    if (!rc) rc = push_work(a, f, a->parts_level + 1, err);
    else spill_close(f);
    if (rc) return rc;
  }
  return 0;
}

static int agg_next(struct op *op, struct batch **out, struct err *err) {
  struct agg_op *a = (struct agg_op *)op;
  int rc;
  for (;;) {
    if (opx_cancelled(op->task)) return opx_cancel_err(err);
    if (a->phase == 0) {
      struct batch *b;
      rc = op_next(a->child, &b, err);
      if (rc < 0) return rc;
      if (rc > 0) {
        op->task->rows_in += b->nrows;
        if ((rc = process_batch(a, b, a->mode == AGG_FINAL, err))) return rc;
        if (a->probing && (a->probe_rows += b->nrows) >= STREAM_PROBE_ROWS) {
          a->probing = 0;
          a->batch_g0 = 0;
          a->stream = a->cross_hits * STREAM_HIT_DIV < a->probe_rows;
        }
        if (a->stream && a->gt.ngroups >= STREAM_GROUPS) {
          a->phase = 1; /* emit, empty the table, then read on */
          a->emit_pos = 0;
        }
        continue;
      }
      op_close(a->child);
      a->child = NULL;
      if (a->spilled) {
        if (a->gt.ngroups && (rc = flush_table(a, err))) return rc;
        if ((rc = push_parts(a, err))) return rc;
        a->phase = 2;
        continue;
      }
      if (a->nkeys == 0 && a->gt.ngroups == 0 && a->mode != AGG_PARTIAL) {
        /* Global aggregate of no rows: one row (count 0, the rest NULL). */
        if (gt_room(a, &a->gt, 1) != 0) return err_set(err, ERR_NOMEM, "out of memory");
        a->gt.ngroups = 1;
      }
      a->phase = 1;
      a->emit_pos = 0;
      continue;
    }
    if (a->phase == 1) {
      if (a->emit_pos < a->gt.ngroups) {
        uint32_t n = a->gt.ngroups - a->emit_pos;
        if (n > EMIT_ROWS) n = EMIT_ROWS;
        emit_rows(a, a->outb, a->emit_pos, n, a->mode == AGG_PARTIAL);
        if (emit_collect(a, a->outb, a->emit_pos, n, a->mode == AGG_PARTIAL))
          return err_set(err, ERR_NOMEM, "out of memory in collect_list/collect_set");
        a->emit_pos += n;
        op->task->rows_out += n;
        *out = a->outb;
        return 1;
      }
      if (a->child) {
        table_clear(a); /* streaming: the input goes on */
        a->phase = 0;
        continue;
      }
      table_reset(a);
      if (a->cur) {
        spill_close(a->cur);
        a->cur = NULL;
      }
      a->phase = a->spilled ? 2 : 3;
      continue;
    }
    if (a->phase == 2) {
      if (a->nstack == 0) {
        a->phase = 3;
        continue;
      }
      struct work w = a->stack[--a->nstack];
      a->cur = w.f;
      a->parts_level = w.level;
      struct batch *b;
      for (;;) {
        if (opx_cancelled(op->task)) return opx_cancel_err(err);
        rc = spill_read(a->cur, &b, err);
        if (rc < 0) return rc;
        if (rc == 0) break;
        int64_t bb = batch_bytes(b);
        opx_force(&a->mem, bb);
        rc = process_batch(a, b, 1, err);
        batch_free(b);
        opx_release(&a->mem, bb);
        if (rc) return rc;
      }
      int split = 0;
      for (int p = 0; p < NPART; p++) split |= a->parts[p] != NULL;
      if (split) {
        if (a->gt.ngroups && (rc = flush_table(a, err))) return rc;
        spill_close(a->cur);
        a->cur = NULL;
        if ((rc = push_parts(a, err))) return rc;
        continue;
      }
      a->phase = 1;
      a->emit_pos = 0;
      continue;
    }
    return 0;
  }
}

static void agg_close(struct op *op) {
  struct agg_op *a = (struct agg_op *)op;
  op_close(a->child);
  if (a->keys)
    for (int k = 0; k < a->nkeys; k++) exprcol_fini(&a->keys[k]);
  free(a->keys);
  if (a->calls) {
    for (int i = 0; i < a->ncalls; i++) {
      struct call *c = &a->calls[i];
      exprcol_fini(&c->arg);
      exprcol_fini(&c->filt);
      call_free_states(c);
      if (c->dset) {
        gt_fini(c->dset);
        free(c->dset);
      }
    }
  }
  free(a->calls);
  gt_fini(&a->gt);
  for (int p = 0; p < NPART; p++) spill_close(a->parts[p]);
  for (int i = 0; i < a->nstack; i++) spill_close(a->stack[i].f);
  free(a->stack);
  spill_close(a->cur);
  free(a->words);
  free(a->hashes);
  free(a->gids);
  free(a->mask);
  free(a->kv);
  free(a->key_types);
  free(a->st_types);
  batch_free(a->outb);
  batch_free(a->stb);
  opx_mem_done(&a->mem);
  free(op->types);
  free(a);
}

static const struct op_vt agg_vt = {agg_next, agg_close};

/* State types of one call (see op.h); returns how many. */
static int state_types(const struct plan_agg_call *pc, struct type *t) {
  struct type bigint = {TYPE_BIGINT, 0, 0}, dbl = {TYPE_DOUBLE, 0, 0};
  struct type at = pc->arg ? pc->arg->type : pc->type;
  switch (pc->fn) {
  case AGG_COUNT_STAR:
  case AGG_COUNT: t[0] = bigint; return 1;
  case AGG_SUM: t[0] = pc->type; return 1;
  case AGG_AVG:
    if (at.id == TYPE_DECIMAL) {
      t[0] = (struct type){TYPE_DECIMAL, 18, at.scale};
    } else {
      t[0] = dbl;
    }
    t[1] = bigint;
    return 2;
  case AGG_MIN:
  case AGG_MAX:
  case AGG_FIRST:
  case AGG_LAST:
  case AGG_MAX_BY:
  case AGG_MIN_BY: t[0] = at; return 1;
  case AGG_FIRST_NULLS:
  case AGG_LAST_NULLS:
    t[0] = at;
    t[1] = (struct type){TYPE_BOOLEAN, 0, 0}; /* a row was seen (its value may be NULL) */
    return 2;
  case AGG_PERCENTILE:
  case AGG_PERCENTILE_APPROX: t[0] = type_array_of(at); return 1; /* the values */
  case AGG_STDDEV_SAMP:
  case AGG_VAR_SAMP:
  case AGG_STDDEV_POP:
  case AGG_VAR_POP:
    t[0] = bigint;
    t[1] = dbl;
    t[2] = dbl;
    return 3;
  case AGG_APPROX_COUNT_DISTINCT:
    t[0] = bigint;
    t[0].id = TYPE_STRING; /* the registers, 2^p bytes */
    return 1;
  case AGG_COLLECT_LIST:
  case AGG_COLLECT_SET: t[0] = pc->type; return 1; /* the ARRAY collected so far */
  default: return 0;
  }
}

int op_agg_state_types(const struct plan_agg_call *calls, int ncalls, struct type *types) {
  int n = 0;
  for (int i = 0; i < ncalls; i++) n += state_types(&calls[i], types + n);
  return n;
}

static struct op *agg_fail(struct agg_op *a, struct op *child, struct err *err, int code,
                           const char *msg) {
  if (msg) err_set(err, code, "%s", msg);
  if (a) {
    if (!a->child) a->child = child;
    agg_close(&a->op);
  } else {
    op_close(child);
  }
  return NULL;
}

struct op *op_hash_agg(struct task_ctx *t, struct op *child, enum agg_mode mode,
                       struct expr *const *keys, int nkeys, const struct plan_agg_call *calls,
                       int ncalls, struct err *err) {
  struct agg_op *a = calloc(1, sizeof *a);
  if (!a) return agg_fail(NULL, child, err, ERR_NOMEM, "out of memory");
  a->op.vt = &agg_vt;
  a->op.task = t;
  a->child = child;
  a->mode = mode;
  a->nkeys = nkeys;
  a->ncalls = ncalls;
  a->mem.task = t;
  a->probing = mode == AGG_PARTIAL && nkeys > 0;
  arena_init(&a->gt.arena, ARENA_UNLIMITED);
  a->keys = calloc((size_t)nkeys + 1, sizeof *a->keys);
  a->key_types = calloc((size_t)nkeys + 1, sizeof *a->key_types);
  a->kv = calloc((size_t)nkeys + 1, sizeof *a->kv);
  a->calls = calloc((size_t)ncalls + 1, sizeof *a->calls);
  a->st_types = calloc((size_t)nkeys + 3 * (size_t)ncalls + 1, sizeof *a->st_types);
  a->op.types = calloc((size_t)nkeys + (size_t)ncalls + 1, sizeof *a->op.types);
  if (!a->keys || !a->key_types || !a->kv || !a->calls || !a->st_types || !a->op.types)
    return agg_fail(a, NULL, err, ERR_NOMEM, "out of memory");
  for (int i = 0; i < ncalls; i++) {
    arena_init(&a->calls[i].arg.heap, ARENA_UNLIMITED);
    arena_init(&a->calls[i].filt.heap, ARENA_UNLIMITED);
  }
  for (int k = 0; k < nkeys; k++) arena_init(&a->keys[k].heap, ARENA_UNLIMITED);
  for (int k = 0; k < nkeys; k++) {
    int idx;
    if (mode == AGG_FINAL) {
      a->key_types[k] = child->types[k];
    } else {
      a->key_types[k] = exprcol_is_col(keys[k], &idx) && idx < child->ncols ? child->types[idx]
                                                                              : keys[k]->type;
      if (exprcol_init(&a->keys[k], keys[k], err)) return agg_fail(a, NULL, err, 0, NULL);
    }
    a->st_types[k] = a->key_types[k];
    a->op.types[k] = a->key_types[k];
  }
  if (nkeys > ROWKEY_MAX_KEYS || gt_init(&a->gt, a->key_types, nkeys))
    return agg_fail(a, NULL, err, ERR_UNSUPPORTED, "GROUP BY over too many or unsupported keys");
  int col = nkeys;
  for (int i = 0; i < ncalls; i++) {
    struct call *c = &a->calls[i];
    const struct plan_agg_call *pc = &calls[i];
    c->pc = pc;
    c->fn = pc->fn;
    c->distinct = pc->distinct && pc->fn != AGG_MIN && pc->fn != AGG_MAX && pc->fn != AGG_FIRST &&
                  pc->fn != AGG_APPROX_COUNT_DISTINCT;
    c->hll_p = pc->param >= HLL_P_MIN && pc->param <= HLL_P_MAX ? pc->param : HLL_P_DEFAULT;
    c->hll_m = (size_t)1 << c->hll_p;
    if (pc->fn >= AGG_BOOL_AND || (pc->fn != AGG_COUNT_STAR && !pc->arg))
      return agg_fail(a, NULL, err, ERR_UNSUPPORTED, "unsupported aggregate function");
    struct type at = pc->arg ? pc->arg->type : pc->type;
    int idx;
    if (pc->arg && mode != AGG_FINAL && exprcol_is_col(pc->arg, &idx) && idx < child->ncols)
      at = child->types[idx];
    c->ph = phys_of(at.id);
    c->arg_decimal = at.id == TYPE_DECIMAL;
    if ((c->fn == AGG_SUM || c->fn == AGG_AVG || c->fn == AGG_STDDEV_SAMP ||
         c->fn == AGG_VAR_SAMP || c->fn == AGG_STDDEV_POP || c->fn == AGG_VAR_POP) &&
        !(at.id == TYPE_INT || at.id == TYPE_BIGINT || at.id == TYPE_DOUBLE ||
          at.id == TYPE_DECIMAL || at.id == TYPE_DATE))
      return agg_fail(a, NULL, err, ERR_UNSUPPORTED, "sum/avg/stddev of a non-numeric value");
    if (c->fn == AGG_SUM && pc->type.id == TYPE_DOUBLE && at.id != TYPE_DOUBLE)
      return agg_fail(a, NULL, err, ERR_UNSUPPORTED, "sum to DOUBLE of a non-DOUBLE value");
    c->nstate = state_types(pc, c->st);
    c->st_col = col;
    for (int s = 0; s < c->nstate; s++) a->st_types[col + s] = c->st[s];
    col += c->nstate;
    a->op.types[nkeys + i] = mode == AGG_PARTIAL ? c->st[0] : pc->type;
    c->per_group = call_state_bytes(c);
    a->state_per_group += c->per_group;
    if (mode != AGG_FINAL) {
      if (pc->arg) {
        if (exprcol_init(&c->arg, pc->arg, err)) return agg_fail(a, NULL, err, 0, NULL);
        c->has_arg = 1;
      }
      if (pc->filter) {
        if (exprcol_init(&c->filt, pc->filter, err)) return agg_fail(a, NULL, err, 0, NULL);
        c->has_filt = 1;
      }
    }
    if (c->distinct) {
      if (mode != AGG_COMPLETE)
        return agg_fail(a, NULL, err, ERR_UNSUPPORTED,
                        "DISTINCT aggregates are only supported in a single-stage aggregate");
      a->has_distinct = 1;
      struct type dt[2] = {{TYPE_BIGINT, 0, 0}, at};
      c->dset = calloc(1, sizeof *c->dset);
      if (!c->dset || gt_init(c->dset, dt, 2))
        return agg_fail(a, NULL, err, ERR_UNSUPPORTED, "unsupported DISTINCT argument type");
    }
  }
  a->nst_cols = col;
  if (mode == AGG_PARTIAL) {
    free(a->op.types);
    a->op.types = malloc(sizeof *a->op.types * (size_t)(col ? col : 1));
    if (!a->op.types) return agg_fail(a, NULL, err, ERR_NOMEM, "out of memory");
    memcpy(a->op.types, a->st_types, sizeof *a->st_types * (size_t)col);
    a->op.ncols = col;
  } else {
    a->op.ncols = nkeys + ncalls;
  }
  if (mode == AGG_FINAL && child->ncols < col)
    return agg_fail(a, NULL, err, ERR_INVAL, "final aggregate input lacks state columns");
  a->outb = opx_batch_new(a->op.types, a->op.ncols, EMIT_ROWS);
  if (!a->outb) return agg_fail(a, NULL, err, ERR_NOMEM, "out of memory");
  return &a->op;
}
