/* physical.c: logical plan -> stages of physical operators (see physical.h). */
#include "engine/physical/physical.h"

#include <stdlib.h>
#include <string.h>

#include "engine/cluster/shuffle.h"
#include "engine/exec/batchio.h"
#include "engine/exec/eval.h"
#include "engine/exec/exprcol.h"
#include "engine/exec/op_scan.h"
#include "engine/source/path.h"

void physical_conf_defaults(struct physical_conf *c) {
  c->shuffle_partitions = 200;
  c->broadcast_threshold = (int64_t)10 << 20;
  c->max_partition_bytes = PATH_DEFAULT_MAX_PARTITION_BYTES;
  c->open_cost_bytes = PATH_DEFAULT_OPEN_COST_BYTES;
  c->parallelism = 2;
  c->ansi = 0;
}

/* A planned subtree: its root node and how its output is distributed. */
struct pres {
  struct pnode *node;
  enum pdist dist;
  int *hash_ids; /* DIST_HASH: the partitioning columns */
  int nhash;
};

struct builder {
  struct plan_ctx *ctx;
  const struct physical_conf *conf;
  struct pstage *stages;
  int nstages, cap;
  struct err *err;
};

static void *alloc(struct builder *b, size_t n) {
  void *p = plan_alloc(b->ctx, n);
  if (!p) err_set(b->err, ERR_NOMEM, "out of memory planning the query");
  return p;
}

static struct pnode *pnode_new(struct builder *b, enum pnode_kind kind, struct pnode **child,
                               int nchild, int ncols) {
  struct pnode *n = alloc(b, sizeof *n);
  if (!n) return NULL;
  n->kind = kind;
  n->ncols = ncols;
  n->ids = alloc(b, sizeof *n->ids * (size_t)(ncols ? ncols : 1));
  n->types = alloc(b, sizeof *n->types * (size_t)(ncols ? ncols : 1));
  if (!n->ids || !n->types) return NULL;
  if (nchild) {
    n->child = alloc(b, sizeof *n->child * (size_t)nchild);
    if (!n->child) return NULL;
    memcpy(n->child, child, sizeof *n->child * (size_t)nchild);
    n->nchild = nchild;
  }
  return n;
}

/* Output columns copied from a logical node. */
static void cols_from_plan(struct pnode *n, const struct plan *p) {
  for (int i = 0; i < p->ncols; i++) {
    n->ids[i] = p->cols[i].id;
    n->types[i] = p->cols[i].type;
  }
}

static void cols_from_node(struct pnode *n, const struct pnode *c, int offset) {
  for (int i = 0; i < c->ncols; i++) {
    n->ids[offset + i] = c->ids[i];
    n->types[offset + i] = c->types[i];
  }
}

static int bind(struct builder *b, struct expr *e, const struct pnode *in) {
  if (!e) return 0;
  return expr_bind(e, in->ids, in->ncols, b->err);
}

static int bind_pair(struct builder *b, struct expr *e, const struct pnode *l,
                     const struct pnode *r) {
  if (!e) return 0;
  int n = l->ncols + r->ncols;
  int *ids = malloc(sizeof *ids * (size_t)(n ? n : 1));
  if (!ids) return err_set(b->err, ERR_NOMEM, "out of memory planning the query");
  memcpy(ids, l->ids, sizeof *ids * (size_t)l->ncols);
  memcpy(ids + l->ncols, r->ids, sizeof *ids * (size_t)r->ncols);
  int rc = expr_bind(e, ids, n, b->err);
  free(ids);
  return rc;
}

static int find_col(const struct pnode *n, int id) {
  for (int i = 0; i < n->ncols; i++)
    if (n->ids[i] == id) return i;
  return -1;
}

/* ---- stages ---- */

struct stage_walk {
  int nsplits;
  int *parents;
  int nparents;
  struct builder *b;
};

static int walk_stage(struct pnode *n, struct stage_walk *w) {
  if (n->kind == P_EXCHANGE) {
    int *p = alloc(w->b, sizeof *p * (size_t)(w->nparents + 1));
    if (!p) return ERR_NOMEM;
    if (w->nparents) memcpy(p, w->parents, sizeof *p * (size_t)w->nparents);
    p[w->nparents++] = n->u.exchange.stage;
    w->parents = p;
    return 0;
  }
  if (n->kind == P_SCAN) {
    n->u.scan.split_base = w->nsplits;
    w->nsplits += n->u.scan.nsplits * n->u.scan.nmorsels;
  }
  for (int i = 0; i < n->nchild; i++) {
    int rc = walk_stage(n->child[i], w);
    if (rc) return rc;
  }
  return 0;
}

static const char *node_title(const struct pnode *n) {
  switch (n->kind) {
  case P_SCAN: return "Scan";
  case P_VALUES: return "LocalTableScan";
  case P_RANGE: return "Range";
  case P_FILTER: return "Filter";
  case P_PROJECT: return "Project";
  case P_AGG:
    return n->u.agg.mode == AGG_PARTIAL ? "HashAggregate (partial)"
           : n->u.agg.mode == AGG_FINAL ? "HashAggregate (final)"
                                        : "HashAggregate";
  case P_HASH_JOIN: return "HashJoin";
  case P_NL_JOIN: return "NestedLoopJoin";
  case P_SORT: return n->u.sort.limit >= 0 ? "TopN" : "Sort";
  case P_LIMIT: return "Limit";
  case P_UNION: return "Union";
  case P_WINDOW: return "Window";
  case P_EXPAND: return "Expand";
  case P_GENERATE: return "Generate";
  case P_EXCHANGE: return "Exchange";
  }
  return "?";
}

/* The most telling operator of a stage, for its progress name. */
static const struct pnode *stage_headline(const struct pnode *n) {
  const struct pnode *c = n;
  while ((c->kind == P_PROJECT || c->kind == P_FILTER || c->kind == P_LIMIT) && c->nchild)
    c = c->child[0];
  return c;
}

/* Close the subtree c as a new stage whose output is partitioned as asked
 * (nkeys == 0: one partition), and return the exchange read node. */
static struct pnode *make_stage(struct builder *b, struct pres c, const int *key_ids, int nkeys,
                                int nparts, int broadcast) {
  struct stage_walk w = {0, NULL, 0, b};
  if (walk_stage(c.node, &w)) return NULL;
  if (b->nstages == b->cap) {
    int cap = b->cap ? b->cap * 2 : 8;
    struct pstage *s = alloc(b, sizeof *s * (size_t)cap);
    if (!s) return NULL;
    if (b->nstages) memcpy(s, b->stages, sizeof *s * (size_t)b->nstages);
    b->stages = s;
    b->cap = cap;
  }
  struct pstage *st = &b->stages[b->nstages];
  memset(st, 0, sizeof *st);
  st->id = b->nstages;
  st->root = c.node;
  st->dist = c.dist;
  st->ntasks = c.dist == DIST_SPLITS ? (w.nsplits ? w.nsplits : 1)
               : c.dist == DIST_HASH ? b->conf->shuffle_partitions
                                     : 1;
  st->coalesce = c.dist == DIST_HASH;
  st->parents = w.parents;
  st->nparents = w.nparents;
  st->nparts_out = nparts;
  if (nkeys) {
    st->key_cols = alloc(b, sizeof *st->key_cols * (size_t)nkeys);
    if (!st->key_cols) return NULL;
    for (int i = 0; i < nkeys; i++) {
      st->key_cols[i] = find_col(c.node, key_ids[i]);
      if (st->key_cols[i] < 0) {
        err_set(b->err, ERR_INVAL, "internal error: exchange key #%d not produced", key_ids[i]);
        return NULL;
      }
    }
    st->nkeys = nkeys;
  }
  struct buf nb;
  buf_init(&nb, 256);
  buf_printf(&nb, "Stage %d: %s", st->id, node_title(stage_headline(c.node)));
  st->name = plan_strdup(b->ctx, nb.data ? nb.data : "");
  buf_fini(&nb);
  b->nstages++;
  struct pnode *x = pnode_new(b, P_EXCHANGE, NULL, 0, c.node->ncols);
  if (!x) return NULL;
  cols_from_node(x, c.node, 0);
  x->u.exchange.stage = st->id;
  x->u.exchange.broadcast = broadcast;
  return x;
}

static struct pres exchange_single(struct builder *b, struct pres c) {
  struct pres r = {make_stage(b, c, NULL, 0, 1, 0), DIST_SINGLE, NULL, 0};
  return r;
}

static struct pres exchange_hash(struct builder *b, struct pres c, int *ids, int n) {
  struct pres r = {make_stage(b, c, ids, n, b->conf->shuffle_partitions, 0), DIST_HASH, ids, n};
  return r;
}

static struct pres exchange_broadcast(struct builder *b, struct pres c) {
  struct pres r = {make_stage(b, c, NULL, 0, 1, 1), DIST_SINGLE, NULL, 0};
  return r;
}

/* Make every key a plain column of c's output: keys that are expressions
 * are computed by a project appended above c (keeping c's columns, so
 * parents binding by id are unaffected). ids receives each key's column. */
static int key_columns(struct builder *b, struct pres *c, struct expr **keys, int n, int *ids) {
  int extra = 0;
  for (int i = 0; i < n; i++)
    if (keys[i]->kind != EXPR_COL) extra++;
  if (!extra) {
    for (int i = 0; i < n; i++) ids[i] = keys[i]->u.col.id;
    return 0;
  }
  struct pnode *p = pnode_new(b, P_PROJECT, &c->node, 1, c->node->ncols + extra);
  if (!p) return ERR_NOMEM;
  struct expr **ex = alloc(b, sizeof *ex * (size_t)p->ncols);
  if (!ex) return ERR_NOMEM;
  cols_from_node(p, c->node, 0);
  for (int i = 0; i < c->node->ncols; i++) {
    ex[i] = expr_col(b->ctx, c->node->ids[i], c->node->types[i], 1);
    if (!ex[i] || bind(b, ex[i], c->node)) return ERR_NOMEM;
  }
  int k = c->node->ncols;
  for (int i = 0; i < n; i++) {
    if (keys[i]->kind == EXPR_COL) {
      ids[i] = keys[i]->u.col.id;
      continue;
    }
    int id = plan_ctx_new_id(b->ctx);
    ex[k] = keys[i];
    if (bind(b, ex[k], c->node)) return ERR_INVAL;
    p->ids[k] = id;
    p->types[k] = keys[i]->type;
    ids[i] = id;
    keys[i] = expr_col(b->ctx, id, keys[i]->type, keys[i]->nullable);
    if (!keys[i]) return ERR_NOMEM;
    k++;
  }
  p->u.project.exprs = ex;
  c->node = p;
  return 0;
}

static int same_ids(const int *a, int na, const int *b2, int nb) {
  if (na != nb) return 0;
  for (int i = 0; i < na; i++)
    if (a[i] != b2[i]) return 0;
  return 1;
}

/* 1 when every partitioning column of c is among ids (so rows agreeing on
 * ids are already co-located). */
static int hash_within(const struct pres *c, const int *ids, int n) {
  if (c->dist != DIST_HASH || c->nhash == 0) return 0;
  for (int i = 0; i < c->nhash; i++) {
    int found = 0;
    for (int j = 0; j < n && !found; j++) found = c->hash_ids[i] == ids[j];
    if (!found) return 0;
  }
  return 1;
}

static int plan_node(struct builder *b, const struct plan *p, struct pres *out);

/* Put a filter on cond above c's node (same columns, same distribution). */
static int filter_node(struct builder *b, struct pres *c, struct expr *cond,
                       const struct plan *logical) {
  struct pnode *f = pnode_new(b, P_FILTER, &c->node, 1, c->node->ncols);
  if (!f) return ERR_NOMEM;
  cols_from_node(f, c->node, 0);
  f->logical = logical;
  f->u.filter.cond = cond;
  if (bind(b, cond, c->node)) return ERR_INVAL;
  c->node = f;
  return 0;
}

#define MORSELS_PER_SLOT 2
#define MORSELS_MAX 8

/* Morsels per split of a scan (physical.h): enough for MORSELS_PER_SLOT
 * tasks per task slot, none smaller than 1/64 of the maximum split size
 * (2 MiB by default: a few milliseconds of work, against well under a
 * millisecond of task overhead). Depends only on the conf and the catalog's
 * file sizes, like the rest of the plan. */
static int scan_morsels(const struct physical_conf *conf, const struct plan_source *src,
                        int nsplits, int64_t largest) {
  if (!src->cached || !src->cache_key || nsplits <= 0) return 1;
  int64_t target = (int64_t)MORSELS_PER_SLOT * (conf->parallelism > 0 ? conf->parallelism : 1);
  if (nsplits >= target) return 1;
  int64_t m = (target + nsplits - 1) / nsplits;
  int64_t min_bytes = conf->max_partition_bytes / 64 > 0 ? conf->max_partition_bytes / 64 : 1;
  int64_t by_size = largest / min_bytes;
  if (m > by_size) m = by_size;
  if (m > MORSELS_MAX) m = MORSELS_MAX;
  return m < 1 ? 1 : (int)m;
}

static int plan_scan(struct builder *b, const struct plan *p, struct pres *out) {
  const struct plan_source *src = &p->u.scan.src;
  struct pnode *n = pnode_new(b, P_SCAN, NULL, 0, p->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_plan(n, p);
  n->logical = p;
  struct path_list l = {src->npaths, src->npaths, NULL};
  l.files = calloc((size_t)(src->npaths ? src->npaths : 1), sizeof *l.files);
  if (!l.files) return err_set(b->err, ERR_NOMEM, "out of memory");
  for (int i = 0; i < src->npaths; i++) {
    l.files[i].path = (char *)src->paths[i];
    l.files[i].size = src->sizes ? src->sizes[i] : 0;
  }
  int splittable = 1;
  if (strcmp(src->format, "csv") == 0) {
    const char *ml = readopt_get(src->opts, src->nopts, "multiLine");
    if (ml && strcasecmp(ml, "true") == 0) splittable = 0;
  }
  int64_t max_split = path_max_split_bytes(&l, b->conf->max_partition_bytes,
                                           b->conf->open_cost_bytes, b->conf->parallelism);
  struct path_splits sp;
  path_splits_init(&sp);
  int rc = path_plan_splits(&l, max_split, splittable, &sp);
  free(l.files);
  if (rc) {
    path_splits_fini(&sp);
    return err_set(b->err, rc, "cannot plan the splits of %s", src->name);
  }
  n->u.scan.nsplits = sp.n;
  n->u.scan.splits = alloc(b, sizeof *n->u.scan.splits * (size_t)(sp.n ? sp.n : 1));
  if (!n->u.scan.splits) {
    path_splits_fini(&sp);
    return ERR_NOMEM;
  }
  int64_t largest = 0;
  for (int i = 0; i < sp.n; i++) {
    n->u.scan.splits[i].file = sp.s[i].file;
    n->u.scan.splits[i].start = sp.s[i].start;
    n->u.scan.splits[i].end = sp.s[i].end;
    int64_t fsize = src->sizes ? src->sizes[sp.s[i].file] : 0;
    int64_t len = (sp.s[i].end >= 0 ? sp.s[i].end : fsize) - sp.s[i].start;
    if (len > largest) largest = len;
  }
  n->u.scan.nmorsels = scan_morsels(b->conf, src, sp.n, largest);
  path_splits_fini(&sp);
  out->node = n;
  out->dist = DIST_SPLITS;
  if (p->u.scan.nfilters) {
    struct expr *cond = expr_and(b->ctx, p->u.scan.filters, p->u.scan.nfilters);
    if (!cond) return ERR_NOMEM;
    return filter_node(b, out, cond, NULL);
  }
  return 0;
}

static int plan_filter(struct builder *b, const struct plan *p, struct pres *out) {
  int rc = plan_node(b, p->child[0], out);
  return rc ? rc : filter_node(b, out, p->u.filter.cond, p);
}

static int plan_project(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  struct pnode *n = pnode_new(b, P_PROJECT, &c.node, 1, p->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_plan(n, p);
  n->logical = p;
  n->u.project.exprs = p->u.project.exprs;
  for (int i = 0; i < p->ncols; i++)
    if (bind(b, p->u.project.exprs[i], c.node)) return ERR_INVAL;
  *out = c;
  out->node = n;
  /* Partitioning survives when its columns pass through (possibly renamed). */
  if (c.dist == DIST_HASH) {
    int *ids = alloc(b, sizeof *ids * (size_t)c.nhash);
    if (!ids) return ERR_NOMEM;
    for (int i = 0; i < c.nhash; i++) {
      ids[i] = -1;
      for (int j = 0; j < p->ncols && ids[i] < 0; j++) {
        const struct expr *e = p->u.project.exprs[j];
        if (e->kind == EXPR_COL && e->u.col.id == c.hash_ids[i]) ids[i] = p->cols[j].id;
      }
      if (ids[i] < 0) {
        out->nhash = 0; /* still hash partitioned, but on columns we lost */
        out->hash_ids = NULL;
        return 0;
      }
    }
    out->hash_ids = ids;
  }
  return 0;
}

/* Expand: rows change in the key copies, so a hash partitioning of the child
 * no longer describes the output (the aggregate above re-shuffles). */
static int plan_expand(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  struct pnode *n = pnode_new(b, P_EXPAND, &c.node, 1, p->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_plan(n, p);
  n->logical = p;
  n->u.expand.exprs = p->u.expand.exprs;
  n->u.expand.nsets = p->u.expand.nsets;
  for (int i = 0; i < p->ncols * p->u.expand.nsets; i++)
    if (bind(b, p->u.expand.exprs[i], c.node)) return ERR_INVAL;
  *out = c;
  out->node = n;
  out->nhash = 0;
  out->hash_ids = NULL;
  return 0;
}

/* Generate: passed-through columns keep their values, but which of them the
 * child was hashed on is not tracked through here (as for Expand). */
static int plan_generate(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  struct pnode *n = pnode_new(b, P_GENERATE, &c.node, 1, p->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_plan(n, p);
  n->logical = p;
  int nkeep = p->ncols - plan_generate_ngen(p);
  int *keep = alloc(b, sizeof *keep * (size_t)(nkeep > 0 ? nkeep : 1));
  if (!keep || nkeep < 0) return ERR_NOMEM;
  for (int i = 0; i < nkeep; i++) {
    keep[i] = -1;
    for (int j = 0; j < c.node->ncols && keep[i] < 0; j++)
      if (c.node->ids[j] == p->cols[i].id) keep[i] = j;
    if (keep[i] < 0)
      return err_set(b->err, ERR_INVAL, "internal error: Generate passes a column its input lacks");
  }
  n->u.generate.arg = p->u.generate.arg;
  n->u.generate.keep = keep;
  n->u.generate.nkeep = nkeep;
  n->u.generate.with_pos = p->u.generate.with_pos;
  n->u.generate.outer = p->u.generate.outer;
  if (bind(b, p->u.generate.arg, c.node)) return ERR_INVAL;
  *out = c;
  out->node = n;
  out->nhash = 0;
  out->hash_ids = NULL;
  return 0;
}

static int has_distinct(const struct plan *p) {
  for (int i = 0; i < p->u.agg.ncalls; i++)
    if (p->u.agg.calls[i].distinct) return 1;
  return 0;
}

/* Bind an aggregate's keys and the arguments and filters of its calls to
 * the node that feeds it. */
static int bind_agg(struct builder *b, const struct plan *p, struct expr **keys,
                    const struct pnode *in) {
  for (int i = 0; i < p->u.agg.nkeys; i++)
    if (bind(b, keys[i], in)) return ERR_INVAL;
  for (int i = 0; i < p->u.agg.ncalls; i++)
    if (bind(b, p->u.agg.calls[i].arg, in) || bind(b, p->u.agg.calls[i].filter, in))
      return ERR_INVAL;
  return 0;
}

static int plan_agg(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  int nkeys = p->u.agg.nkeys, ncalls = p->u.agg.ncalls;
  struct expr **keys = p->u.agg.keys;
  if (bind_agg(b, p, keys, c.node)) return ERR_INVAL;
  /* Key columns of the input, for co-location checks. */
  int *key_in = alloc(b, sizeof *key_in * (size_t)(nkeys ? nkeys : 1));
  if (!key_in) return ERR_NOMEM;
  int plain = 1;
  for (int i = 0; i < nkeys; i++) {
    if (p->u.agg.keys[i]->kind != EXPR_COL) plain = 0;
    key_in[i] = plain ? p->u.agg.keys[i]->u.col.id : -1;
  }
  int colocated = c.dist == DIST_SINGLE || (plain && nkeys && hash_within(&c, key_in, nkeys));
  if (!colocated && has_distinct(p)) {
    /* Distinct aggregates need every row of a group in one task: shuffle
     * the raw rows on the keys (computing key expressions first). */
    keys = alloc(b, sizeof *keys * (size_t)(nkeys ? nkeys : 1));
    if (!keys) return ERR_NOMEM;
    if (nkeys) {
      memcpy(keys, p->u.agg.keys, sizeof *keys * (size_t)nkeys);
      if ((rc = key_columns(b, &c, keys, nkeys, key_in))) return rc;
      c = exchange_hash(b, c, key_in, nkeys);
    } else {
      c = exchange_single(b, c);
    }
    if (!c.node) return ERR_NOMEM;
    if (bind_agg(b, p, keys, c.node)) return ERR_INVAL;
    colocated = 1;
  }
  if (colocated) {
    struct pnode *n = pnode_new(b, P_AGG, &c.node, 1, p->ncols);
    if (!n) return ERR_NOMEM;
    cols_from_plan(n, p);
    n->logical = p;
    n->u.agg.mode = AGG_COMPLETE;
    n->u.agg.keys = keys;
    n->u.agg.nkeys = nkeys;
    n->u.agg.calls = p->u.agg.calls;
    n->u.agg.ncalls = ncalls;
    *out = c;
    out->node = n;
    goto keys_out;
  }
  {
    /* Two-phase: partial per task, shuffle on the keys, final. */
    struct type *st = alloc(b, sizeof *st * (size_t)(3 * ncalls + 1));
    if (!st) return ERR_NOMEM;
    int nstate = op_agg_state_types(p->u.agg.calls, ncalls, st);
    struct pnode *part = pnode_new(b, P_AGG, &c.node, 1, nkeys + nstate);
    if (!part) return ERR_NOMEM;
    part->logical = p;
    for (int i = 0; i < nkeys; i++) {
      part->ids[i] = p->cols[i].id;
      part->types[i] = p->cols[i].type;
    }
    for (int i = 0; i < nstate; i++) {
      part->ids[nkeys + i] = plan_ctx_new_id(b->ctx);
      part->types[nkeys + i] = st[i];
    }
    part->u.agg.mode = AGG_PARTIAL;
    part->u.agg.keys = p->u.agg.keys;
    part->u.agg.nkeys = nkeys;
    part->u.agg.calls = p->u.agg.calls;
    part->u.agg.ncalls = ncalls;
    struct pres pc = c;
    pc.node = part;
    int *kid = alloc(b, sizeof *kid * (size_t)(nkeys ? nkeys : 1));
    if (!kid) return ERR_NOMEM;
    for (int i = 0; i < nkeys; i++) kid[i] = part->ids[i];
    struct pres x = nkeys ? exchange_hash(b, pc, kid, nkeys) : exchange_single(b, pc);
    if (!x.node) return ERR_NOMEM;
    struct pnode *fin = pnode_new(b, P_AGG, &x.node, 1, p->ncols);
    if (!fin) return ERR_NOMEM;
    cols_from_plan(fin, p);
    fin->logical = p;
    fin->u.agg.mode = AGG_FINAL;
    fin->u.agg.nkeys = nkeys;
    fin->u.agg.ncalls = ncalls;
    fin->u.agg.calls = p->u.agg.calls;
    fin->u.agg.keys = alloc(b, sizeof *fin->u.agg.keys * (size_t)(nkeys ? nkeys : 1));
    if (!fin->u.agg.keys) return ERR_NOMEM;
    for (int i = 0; i < nkeys; i++) {
      fin->u.agg.keys[i] = expr_col(b->ctx, kid[i], part->types[i], 1);
      if (!fin->u.agg.keys[i] || bind(b, fin->u.agg.keys[i], x.node)) return ERR_INVAL;
    }
    *out = x;
    out->node = fin;
  }
keys_out:
  /* The output is partitioned on the group keys' output columns. */
  if (out->dist == DIST_HASH) {
    int *ids = alloc(b, sizeof *ids * (size_t)(nkeys ? nkeys : 1));
    if (!ids) return ERR_NOMEM;
    for (int i = 0; i < nkeys; i++) ids[i] = p->cols[i].id;
    /* Only when the partitioning was on exactly these keys. */
    out->hash_ids = ids;
    out->nhash = nkeys;
  }
  return 0;
}

static int join_keys_are(const struct pres *c, const int *ids, int n) {
  return c->dist == DIST_HASH && same_ids(c->hash_ids, c->nhash, ids, n);
}

/* Runtime join filter (as Spark's runtime bloom filters, with an exact hash
 * set): before a large side T of a shuffled inner or semi join is
 * exchanged, drop its rows whose keys the small side F (already closed as
 * stage fx reads) does not have, by a semi join against all of F's output,
 * read in full like a broadcast (its hash table is shared by the tasks of a
 * process). The T stage then waits for F's, and shuffles only rows that can
 * match; when F turns out selective at run time (a filtered or semi-joined
 * input the estimates could not size) most of T never crosses the
 * exchange. Applied when F fits in memory in every executor (at most
 * RF_MAX_BROADCASTS broadcast thresholds) and is either estimated several
 * times smaller than T or likely selective (then its estimate, made
 * without statistics, cannot be trusted) with T over the threshold. */
#define RF_MIN_RATIO 4.0
#define RF_MAX_BROADCASTS 16.0

/* Spark's isLikelySelective: a predicate that usually keeps few rows. */
static int cond_selective(const struct expr *e, int depth) {
  if (!e || depth > 64) return 0;
  switch (e->kind) {
  case EXPR_IN_LIST: return !e->u.in_list.negated;
  case EXPR_LIKE: return !e->u.like.negated;
  case EXPR_IN_SUBQUERY: case EXPR_EXISTS: return 1;
  case EXPR_FUNC:
    switch (e->u.func.fn) {
    case FN_EQ: case FN_NSEQ: case FN_LT: case FN_LE: case FN_GT: case FN_GE:
    case FN_STARTSWITH: case FN_ENDSWITH: case FN_CONTAINS:
      return 1;
    case FN_AND:
      for (int i = 0; i < e->u.func.nargs; i++)
        if (cond_selective(e->u.func.args[i], depth + 1)) return 1;
      return 0;
    case FN_OR:
      for (int i = 0; i < e->u.func.nargs; i++)
        if (!cond_selective(e->u.func.args[i], depth + 1)) return 0;
      return e->u.func.nargs > 0;
    default: return 0;
    }
  default: return 0;
  }
}

/* The rows of p pass a likely selective filter or semi join (through
 * projections and the row-preserving side of joins), so its size estimate,
 * made without statistics, may be far too high. */
static int likely_selective(const struct plan *p, int depth) {
  if (!p || depth > 64) return 0;
  switch (p->kind) {
  case PLAN_SCAN:
    for (int i = 0; i < p->u.scan.nfilters; i++)
      if (cond_selective(p->u.scan.filters[i], 0)) return 1;
    return 0;
  case PLAN_FILTER:
    return cond_selective(p->u.filter.cond, 0) || likely_selective(p->child[0], depth + 1);
  case PLAN_PROJECT: return likely_selective(p->child[0], depth + 1);
  case PLAN_JOIN:
    if (p->u.join.type == JOIN_SEMI) return 1;
    if (p->u.join.type == JOIN_INNER)
      return likely_selective(p->child[0], depth + 1) || likely_selective(p->child[1], depth + 1);
    return 0;
  default: return 0;
  }
}

/* Filter the side t (estimate t_bytes) by the side f (logical plan fp):
 * when f is estimated several times smaller, or it is likely selective and
 * its estimate cannot be trusted; and f fits in memory. */
static int want_runtime_filter(const struct builder *b, enum plan_join_type jt,
                               const struct plan *fp, double t_bytes) {
  double f_bytes = fp->est_bytes;
  if (jt != JOIN_INNER && jt != JOIN_SEMI) return 0;
  if (b->conf->broadcast_threshold <= 0 || f_bytes < 0 || t_bytes < 0) return 0;
  if (f_bytes > RF_MAX_BROADCASTS * (double)b->conf->broadcast_threshold) return 0;
  if (f_bytes * RF_MIN_RATIO <= t_bytes) return 1;
  return t_bytes >= (double)b->conf->broadcast_threshold && likely_selective(fp, 0);
}

static int runtime_filter(struct builder *b, struct pres *t, const int *tid,
                          const struct pnode *fx, const int *fid, int nkeys,
                          const int *null_safe) {
  struct pnode *rx = pnode_new(b, P_EXCHANGE, NULL, 0, fx->ncols);
  if (!rx) return ERR_NOMEM;
  cols_from_node(rx, fx, 0);
  rx->u.exchange.stage = fx->u.exchange.stage;
  rx->u.exchange.broadcast = 1;
  struct pnode *kids[2] = {t->node, rx};
  struct pnode *j = pnode_new(b, P_HASH_JOIN, kids, 2, t->node->ncols);
  struct expr **pk = alloc(b, sizeof *pk * (size_t)nkeys);
  struct expr **bk = alloc(b, sizeof *bk * (size_t)nkeys);
  if (!j || !pk || !bk) return ERR_NOMEM;
  cols_from_node(j, t->node, 0);
  for (int i = 0; i < nkeys; i++) {
    int pc = find_col(t->node, tid[i]), bc = find_col(rx, fid[i]);
    if (pc < 0 || bc < 0) return err_set(b->err, ERR_INVAL, "internal error: join key not produced");
    pk[i] = expr_col(b->ctx, tid[i], t->node->types[pc], 1);
    bk[i] = expr_col(b->ctx, fid[i], rx->types[bc], 1);
    if (!pk[i] || !bk[i]) return ERR_NOMEM;
    if (bind(b, pk[i], t->node) || bind(b, bk[i], rx)) return ERR_INVAL;
  }
  j->u.join.type = JOIN_SEMI;
  j->u.join.probe_keys = pk;
  j->u.join.build_keys = bk;
  j->u.join.null_safe = (int *)null_safe;
  j->u.join.nkeys = nkeys;
  t->node = j;
  return 0;
}

static int plan_join(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres l, r;
  int rc = plan_node(b, p->child[0], &l);
  if (!rc) rc = plan_node(b, p->child[1], &r);
  if (rc) return rc;
  enum plan_join_type jt = p->u.join.type;
  int nkeys = p->u.join.nkeys;
  double build_bytes = p->child[1]->est_bytes;
  int can_broadcast = jt == JOIN_INNER || jt == JOIN_LEFT || jt == JOIN_SEMI || jt == JOIN_ANTI ||
                      jt == JOIN_CROSS;
  int small = b->conf->broadcast_threshold >= 0 && build_bytes >= 0 &&
              build_bytes <= (double)b->conf->broadcast_threshold;
  struct expr **lk = NULL, **rk = NULL;
  if (nkeys) {
    lk = alloc(b, sizeof *lk * (size_t)nkeys);
    rk = alloc(b, sizeof *rk * (size_t)nkeys);
    if (!lk || !rk) return ERR_NOMEM;
    memcpy(lk, p->u.join.left_keys, sizeof *lk * (size_t)nkeys);
    memcpy(rk, p->u.join.right_keys, sizeof *rk * (size_t)nkeys);
  }
  struct pres probe = l, build = r;
  if (nkeys == 0) {
    /* Nested loop: the build side goes to every task; outer joins that must
     * see all probe rows at once run on one task. */
    if (jt == JOIN_RIGHT || jt == JOIN_FULL) {
      if (probe.dist != DIST_SINGLE) probe = exchange_single(b, probe);
      build = exchange_single(b, build);
    } else {
      build = exchange_broadcast(b, build);
    }
    if (!probe.node || !build.node) return ERR_NOMEM;
  } else if (can_broadcast && (small || build.dist == DIST_SINGLE) && probe.dist != DIST_SINGLE) {
    build = exchange_broadcast(b, build);
    if (!build.node) return ERR_NOMEM;
  } else if (probe.dist == DIST_SINGLE && build.dist == DIST_SINGLE) {
    /* both already in one partition */
  } else {
    int *lid = alloc(b, sizeof *lid * (size_t)nkeys), *rid = alloc(b, sizeof *rid * (size_t)nkeys);
    if (!lid || !rid) return ERR_NOMEM;
    if ((rc = key_columns(b, &probe, lk, nkeys, lid))) return rc;
    if ((rc = key_columns(b, &build, rk, nkeys, rid))) return rc;
    double pb = p->child[0]->est_bytes, bb = p->child[1]->est_bytes;
    int ex_p = !join_keys_are(&probe, lid, nkeys), ex_b = !join_keys_are(&build, rid, nkeys);
    /* Exchange the smaller side first: it may then filter the other. */
    if (ex_b && ex_p && want_runtime_filter(b, jt, p->child[0], bb) && build.dist != DIST_SINGLE) {
      probe = exchange_hash(b, probe, lid, nkeys);
      if (!probe.node) return ERR_NOMEM;
      if ((rc = runtime_filter(b, &build, rid, probe.node, lid, nkeys, p->u.join.null_safe)))
        return rc;
      ex_p = 0;
    } else if (ex_b && ex_p && want_runtime_filter(b, jt, p->child[1], pb) &&
               probe.dist != DIST_SINGLE) {
      build = exchange_hash(b, build, rid, nkeys);
      if (!build.node) return ERR_NOMEM;
      if ((rc = runtime_filter(b, &probe, lid, build.node, rid, nkeys, p->u.join.null_safe)))
        return rc;
      ex_b = 0;
    }
    if (ex_p) probe = exchange_hash(b, probe, lid, nkeys);
    if (!probe.node) return ERR_NOMEM;
    if (ex_b) build = exchange_hash(b, build, rid, nkeys);
    if (!build.node) return ERR_NOMEM;
  }
  struct pnode *kids[2] = {probe.node, build.node};
  int out_cols = (jt == JOIN_SEMI || jt == JOIN_ANTI) ? probe.node->ncols
                                                      : probe.node->ncols + build.node->ncols;
  struct pnode *j = pnode_new(b, nkeys ? P_HASH_JOIN : P_NL_JOIN, kids, 2, out_cols);
  if (!j) return ERR_NOMEM;
  j->logical = p;
  cols_from_node(j, probe.node, 0);
  if (out_cols > probe.node->ncols) cols_from_node(j, build.node, probe.node->ncols);
  j->u.join.type = jt == JOIN_CROSS ? JOIN_INNER : jt;
  j->u.join.probe_keys = lk;
  j->u.join.build_keys = rk;
  j->u.join.null_safe = p->u.join.null_safe;
  j->u.join.nkeys = nkeys;
  j->u.join.cond = p->u.join.cond;
  j->u.join.null_aware = p->u.join.null_aware;
  for (int i = 0; i < nkeys; i++) {
    if (bind(b, lk[i], probe.node)) return ERR_INVAL;
    if (bind(b, rk[i], build.node)) return ERR_INVAL;
  }
  if (bind_pair(b, p->u.join.cond, probe.node, build.node)) return ERR_INVAL;
  *out = probe;
  out->node = j;
  return 0;
}

static struct plan_sort_key *bind_sort(struct builder *b, const struct plan_sort_key *k, int n,
                                       const struct pnode *in) {
  for (int i = 0; i < n; i++)
    if (bind(b, k[i].expr, in)) return NULL;
  return (struct plan_sort_key *)k;
}

static int plan_sort(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  int64_t limit = p->u.sort.limit;
  if (c.dist != DIST_SINGLE && limit >= 0) {
    struct pnode *local = pnode_new(b, P_SORT, &c.node, 1, c.node->ncols);
    if (!local) return ERR_NOMEM;
    cols_from_node(local, c.node, 0);
    local->logical = p;
    if (!(local->u.sort.keys = bind_sort(b, p->u.sort.keys, p->u.sort.nkeys, c.node)))
      return ERR_INVAL;
    local->u.sort.nkeys = p->u.sort.nkeys;
    local->u.sort.limit = limit;
    c.node = local;
  }
  if (c.dist != DIST_SINGLE) c = exchange_single(b, c);
  if (!c.node) return ERR_NOMEM;
  struct pnode *n = pnode_new(b, P_SORT, &c.node, 1, c.node->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_node(n, c.node, 0);
  n->logical = p;
  /* The same key expressions bind to the exchange read: it has the same ids. */
  if (!(n->u.sort.keys = bind_sort(b, p->u.sort.keys, p->u.sort.nkeys, c.node))) return ERR_INVAL;
  n->u.sort.nkeys = p->u.sort.nkeys;
  n->u.sort.limit = limit;
  *out = c;
  out->node = n;
  return 0;
}

static int plan_limit(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  int64_t limit = p->u.limit.limit, offset = p->u.limit.offset;
  if (c.dist != DIST_SINGLE) {
    if (limit >= 0) {
      struct pnode *local = pnode_new(b, P_LIMIT, &c.node, 1, c.node->ncols);
      if (!local) return ERR_NOMEM;
      cols_from_node(local, c.node, 0);
      local->u.limit.limit = limit + offset;
      local->u.limit.offset = 0;
      c.node = local;
    }
    c = exchange_single(b, c);
    if (!c.node) return ERR_NOMEM;
  }
  struct pnode *n = pnode_new(b, P_LIMIT, &c.node, 1, c.node->ncols);
  if (!n) return ERR_NOMEM;
  cols_from_node(n, c.node, 0);
  n->logical = p;
  n->u.limit.limit = limit;
  n->u.limit.offset = offset;
  *out = c;
  out->node = n;
  return 0;
}

static int plan_union(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres *cs = calloc((size_t)p->nchild, sizeof *cs);
  struct pnode **kids = calloc((size_t)p->nchild, sizeof *kids);
  int rc = (!cs || !kids) ? err_set(b->err, ERR_NOMEM, "out of memory") : 0;
  int all_splits = 1;
  for (int i = 0; i < p->nchild && !rc; i++) {
    rc = plan_node(b, p->child[i], &cs[i]);
    if (!rc && cs[i].dist != DIST_SPLITS) all_splits = 0;
  }
  struct pnode *n = NULL;
  for (int i = 0; i < p->nchild && !rc; i++) {
    if (!all_splits && cs[i].dist != DIST_SINGLE) {
      cs[i] = exchange_single(b, cs[i]);
      if (!cs[i].node) rc = ERR_NOMEM;
    }
    /* Children keep their own ids; the union renames positionally. */
    if (!rc) kids[i] = cs[i].node;
  }
  if (!rc) {
    n = pnode_new(b, P_UNION, kids, p->nchild, p->ncols);
    if (!n) rc = ERR_NOMEM;
  }
  if (!rc) {
    cols_from_plan(n, p);
    n->logical = p;
    out->node = n;
    out->dist = all_splits ? DIST_SPLITS : DIST_SINGLE;
    out->hash_ids = NULL;
    out->nhash = 0;
  }
  free(cs);
  free(kids);
  return rc;
}

static int plan_window(struct builder *b, const struct plan *p, struct pres *out) {
  struct pres c;
  int rc = plan_node(b, p->child[0], &c);
  if (rc) return rc;
  int np = p->u.window.npartition, no = p->u.window.norder;
  struct expr **part = alloc(b, sizeof *part * (size_t)(np ? np : 1));
  if (!part) return ERR_NOMEM;
  if (np) memcpy(part, p->u.window.partition, sizeof *part * (size_t)np);
  if (np) {
    int *ids = alloc(b, sizeof *ids * (size_t)np);
    if (!ids) return ERR_NOMEM;
    if ((rc = key_columns(b, &c, part, np, ids))) return rc;
    if (!hash_within(&c, ids, np) && c.dist != DIST_SINGLE) c = exchange_hash(b, c, ids, np);
  } else if (c.dist != DIST_SINGLE) {
    c = exchange_single(b, c);
  }
  if (!c.node) return ERR_NOMEM;
  /* Sort by partition keys then order keys. */
  struct plan_sort_key *keys = alloc(b, sizeof *keys * (size_t)(np + no + 1));
  if (!keys) return ERR_NOMEM;
  for (int i = 0; i < np; i++) {
    keys[i].expr = part[i];
    keys[i].desc = 0;
    keys[i].nulls_first = 1;
  }
  for (int i = 0; i < no; i++) keys[np + i] = p->u.window.order[i];
  for (int i = 0; i < np + no; i++)
    if (bind(b, keys[i].expr, c.node)) return ERR_INVAL;
  struct pnode *s = pnode_new(b, P_SORT, &c.node, 1, c.node->ncols);
  if (!s) return ERR_NOMEM;
  cols_from_node(s, c.node, 0);
  s->u.sort.keys = keys;
  s->u.sort.nkeys = np + no;
  s->u.sort.limit = -1;
  struct pnode *w = pnode_new(b, P_WINDOW, &s, 1, p->ncols);
  if (!w) return ERR_NOMEM;
  /* The window's output is the child's columns (as they arrive, including
   * any computed key columns) then one per call. */
  w->ncols = s->ncols + p->u.window.ncalls;
  w->ids = alloc(b, sizeof *w->ids * (size_t)w->ncols);
  w->types = alloc(b, sizeof *w->types * (size_t)w->ncols);
  if (!w->ids || !w->types) return ERR_NOMEM;
  cols_from_node(w, s, 0);
  for (int i = 0; i < p->u.window.ncalls; i++) {
    const struct plan_col *pc = &p->cols[p->ncols - p->u.window.ncalls + i];
    w->ids[s->ncols + i] = pc->id;
    w->types[s->ncols + i] = pc->type;
    const struct plan_win_call *call = &p->u.window.calls[i];
    if (bind(b, call->agg.arg, s) || bind(b, call->agg.filter, s) || bind(b, call->arg, s) ||
        bind(b, call->dflt, s))
      return ERR_INVAL;
  }
  w->logical = p;
  w->u.window.partition = part;
  w->u.window.npartition = np;
  w->u.window.order = keys + np;
  w->u.window.norder = no;
  w->u.window.calls = p->u.window.calls;
  w->u.window.ncalls = p->u.window.ncalls;
  *out = c;
  out->node = w;
  return 0;
}

static int plan_node(struct builder *b, const struct plan *p, struct pres *out) {
  memset(out, 0, sizeof *out);
  switch (p->kind) {
  case PLAN_SCAN: return plan_scan(b, p, out);
  case PLAN_VALUES:
  case PLAN_RANGE: {
    struct pnode *n = pnode_new(b, p->kind == PLAN_VALUES ? P_VALUES : P_RANGE, NULL, 0, p->ncols);
    if (!n) return ERR_NOMEM;
    cols_from_plan(n, p);
    n->logical = p;
    out->node = n;
    out->dist = DIST_SINGLE;
    return 0;
  }
  case PLAN_FILTER: return plan_filter(b, p, out);
  case PLAN_PROJECT: return plan_project(b, p, out);
  case PLAN_AGG: return plan_agg(b, p, out);
  case PLAN_JOIN: return plan_join(b, p, out);
  case PLAN_SORT: return plan_sort(b, p, out);
  case PLAN_LIMIT: return plan_limit(b, p, out);
  case PLAN_UNION: return plan_union(b, p, out);
  case PLAN_WINDOW: return plan_window(b, p, out);
  case PLAN_EXPAND: return plan_expand(b, p, out);
  case PLAN_GENERATE: return plan_generate(b, p, out);
  }
  return err_set(b->err, ERR_UNSUPPORTED, "unsupported plan node");
}

int physical_plan(struct plan_ctx *ctx, const struct plan *p, const struct physical_conf *conf,
                  struct pplan **out, struct err *err) {
  struct builder b = {ctx, conf, NULL, 0, 0, err};
  struct pres r;
  int rc = plan_node(&b, p, &r);
  if (rc) return rc ? rc : ERR_INVAL;
  /* The result stage: whatever remains above the last exchange. */
  if (!make_stage(&b, r, NULL, 0, 0, 0)) return err->code ? err->code : ERR_NOMEM;
  struct pplan *pp = alloc(&b, sizeof *pp);
  if (!pp) return ERR_NOMEM;
  pp->stages = b.stages;
  pp->nstages = b.nstages;
  pp->nresult = p->ncols;
  pp->result_cols = alloc(&b, sizeof *pp->result_cols * (size_t)(p->ncols ? p->ncols : 1));
  if (!pp->result_cols) return ERR_NOMEM;
  const struct pnode *root = pp->stages[pp->nstages - 1].root;
  for (int i = 0; i < p->ncols; i++) {
    pp->result_cols[i] = find_col(root, p->cols[i].id);
    if (pp->result_cols[i] < 0)
      return err_set(err, ERR_INVAL, "internal error: result column #%d lost", p->cols[i].id);
  }
  *out = pp;
  return 0;
}

/* ---- EXPLAIN ---- */

static int dump_exprs(struct expr *const *e, int n, const struct plan_ctx *ctx, struct buf *out) {
  int rc = buf_putc(out, '[');
  for (int i = 0; i < n && !rc; i++) {
    if (i) rc = buf_puts(out, ", ");
    if (!rc) rc = expr_dump(e[i], 1, ctx, out);
  }
  return rc ? rc : buf_putc(out, ']');
}

static int dump_pnode(const struct pplan *pp, const struct pnode *n, const struct plan_ctx *ctx,
                      int depth, struct buf *out) {
  int rc = 0;
  for (int i = 0; i < depth && !rc; i++) rc = buf_puts(out, i + 1 == depth ? "+- " : "   ");
  if (!rc) rc = buf_puts(out, node_title(n));
  if (rc) return rc;
  switch (n->kind) {
  case P_SCAN: {
    const struct plan_source *s = &n->logical->u.scan.src;
    rc = buf_printf(out, " %s %s [", s->format, s->name);
    for (int i = 0; i < n->ncols && !rc; i++) {
      const char *nm = plan_ctx_name(ctx, n->ids[i]);
      rc = buf_printf(out, "%s%s#%d", i ? ", " : "", nm ? nm : "", n->ids[i]);
    }
    if (!rc) rc = buf_printf(out, "] %d split%s", n->u.scan.nsplits, n->u.scan.nsplits == 1 ? "" : "s");
    if (!rc && n->u.scan.nmorsels > 1) rc = buf_printf(out, " x %d morsels", n->u.scan.nmorsels);
    if (!rc && s->cached) rc = buf_puts(out, " (cached)");
    break;
  }
  case P_FILTER:
    rc = buf_putc(out, ' ');
    if (!rc) rc = expr_dump(n->u.filter.cond, 1, ctx, out);
    break;
  case P_PROJECT:
    rc = buf_putc(out, ' ');
    if (!rc) rc = dump_exprs(n->u.project.exprs, n->ncols, ctx, out);
    break;
  case P_GENERATE:
    rc = buf_printf(out, " %s%s(", n->u.generate.with_pos ? "posexplode" : "explode",
                    n->u.generate.outer ? "_outer" : "");
    if (!rc) rc = expr_dump(n->u.generate.arg, 1, ctx, out);
    if (!rc) rc = buf_putc(out, ')');
    break;
  case P_EXPAND:
    for (int i = 0; i < n->u.expand.nsets && !rc; i++) {
      rc = buf_puts(out, i ? ", " : " [");
      if (!rc) rc = dump_exprs(n->u.expand.exprs + (size_t)i * (size_t)n->ncols, n->ncols, ctx, out);
    }
    if (!rc) rc = buf_putc(out, ']');
    break;
  case P_AGG:
    rc = buf_puts(out, " keys=");
    if (!rc) rc = dump_exprs(n->u.agg.keys, n->u.agg.nkeys, ctx, out);
    if (!rc) rc = buf_printf(out, " functions=[");
    for (int i = 0; i < n->u.agg.ncalls && !rc; i++) {
      const struct plan_agg_call *c = &n->u.agg.calls[i];
      rc = buf_printf(out, "%s%s(%s", i ? ", " : "", agg_fn_name(c->fn), c->distinct ? "DISTINCT " : "");
      if (!rc && c->arg && n->u.agg.mode != AGG_FINAL) rc = expr_dump(c->arg, 1, ctx, out);
      if (!rc) rc = buf_putc(out, ')');
    }
    if (!rc) rc = buf_putc(out, ']');
    break;
  case P_HASH_JOIN:
  case P_NL_JOIN:
    rc = buf_printf(out, " %s", plan_join_type_name(n->u.join.type));
    for (int i = 0; i < n->u.join.nkeys && !rc; i++) {
      rc = buf_puts(out, i ? " AND " : ", ");
      if (!rc) rc = expr_dump(n->u.join.probe_keys[i], 1, ctx, out);
      if (!rc) rc = buf_puts(out, " = ");
      if (!rc) rc = expr_dump(n->u.join.build_keys[i], 1, ctx, out);
    }
    if (!rc && n->u.join.cond) {
      rc = buf_puts(out, ", ");
      if (!rc) rc = expr_dump(n->u.join.cond, 1, ctx, out);
    }
    if (!rc && n->child[1]->kind == P_EXCHANGE && n->child[1]->u.exchange.broadcast)
      rc = buf_puts(out, " (broadcast build)");
    break;
  case P_SORT:
    if (n->u.sort.limit >= 0) rc = buf_printf(out, " %lld", (long long)n->u.sort.limit);
    if (!rc) rc = buf_puts(out, " [");
    for (int i = 0; i < n->u.sort.nkeys && !rc; i++) {
      if (i) rc = buf_puts(out, ", ");
      if (!rc) rc = expr_dump(n->u.sort.keys[i].expr, 1, ctx, out);
      if (!rc)
        rc = buf_printf(out, " %s NULLS %s", n->u.sort.keys[i].desc ? "DESC" : "ASC",
                        n->u.sort.keys[i].nulls_first ? "FIRST" : "LAST");
    }
    if (!rc) rc = buf_putc(out, ']');
    break;
  case P_LIMIT:
    rc = buf_printf(out, " %lld", (long long)n->u.limit.limit);
    if (!rc && n->u.limit.offset) rc = buf_printf(out, " offset %lld", (long long)n->u.limit.offset);
    break;
  case P_EXCHANGE: {
    const struct pstage *s = &pp->stages[n->u.exchange.stage];
    if (n->u.exchange.broadcast)
      rc = buf_printf(out, " broadcast <- Stage %d", s->id);
    else if (s->nkeys) {
      rc = buf_puts(out, " hashpartitioning(");
      for (int i = 0; i < s->nkeys && !rc; i++) {
        int id = s->root->ids[s->key_cols[i]];
        const char *nm = plan_ctx_name(ctx, id);
        rc = buf_printf(out, "%s%s#%d", i ? ", " : "", nm ? nm : "", id);
      }
      if (!rc) rc = buf_printf(out, ", %d) <- Stage %d", s->nparts_out, s->id);
    } else {
      rc = buf_printf(out, " SinglePartition <- Stage %d", s->id);
    }
    break;
  }
  default: break;
  }
  if (!rc) rc = buf_putc(out, '\n');
  for (int i = 0; i < n->nchild && !rc; i++) rc = dump_pnode(pp, n->child[i], ctx, depth + 1, out);
  return rc;
}

int physical_dump(const struct pplan *pp, const struct plan_ctx *ctx, struct buf *out) {
  int rc = 0;
  for (int s = pp->nstages - 1; s >= 0 && !rc; s--) {
    const struct pstage *st = &pp->stages[s];
    rc = buf_printf(out, "%s%s (%d task%s%s)\n", st->name,
                    s == pp->nstages - 1 ? " [result]" : "", st->ntasks, st->ntasks == 1 ? "" : "s",
                    st->coalesce ? ", partitions coalesced at run time" : "");
    if (!rc) rc = dump_pnode(pp, st->root, ctx, 1, out);
  }
  return rc;
}

/* ---- task construction ---- */

struct tbuild {
  const struct pplan *pp;
  int task;
  const struct ptask_inputs *in;
  struct task_ctx *t;
  struct err *err;
};

static int append_value(struct vector *v, const struct value *x) {
  if (x->is_null || x->type.id == TYPE_NULL) return vector_append_null(v);
  switch (v->type.id) {
  case TYPE_BOOLEAN: return vector_append_bool(v, (int)x->i);
  case TYPE_INT: case TYPE_DATE: return vector_append_i32(v, (int32_t)x->i);
  case TYPE_BIGINT: case TYPE_DECIMAL: case TYPE_TIMESTAMP: return vector_append_i64(v, x->i);
  case TYPE_DOUBLE: return vector_append_f64(v, x->d);
  case TYPE_STRING:
  case TYPE_ARRAY: return vector_append_str(v, x->s ? x->s : "", x->len);
  default: return vector_append_null(v);
  }
}

/* A VALUES node's rows as one batch (the node's literal cells are folded
 * here; they are constant by construction). */
static struct op *build_values(struct tbuild *tb, const struct pnode *n) {
  const struct plan *p = n->logical;
  int nrows = p->u.values.nrows;
  struct batch *b = batch_new(n->types, n->ncols, (uint32_t)(nrows ? nrows : 1), ARENA_UNLIMITED);
  struct plan_ctx *tmp = plan_ctx_new();
  if (!b || !tmp) {
    batch_free(b);
    plan_ctx_free(tmp);
    err_set(tb->err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  for (int r = 0; r < nrows; r++)
    for (int c = 0; c < n->ncols; c++) {
      struct value v;
      const struct expr *e = p->u.values.cells[r * n->ncols + c];
      int rc = eval_constant(e, tmp, &v, tb->err);
      if (!rc && v.type.id != n->types[c].id && !v.is_null)
        rc = eval_cast_value(&v, n->types[c], tmp, &v);
      if (!rc) rc = append_value(&b->cols[c], &v);
      if (rc) {
        batch_free(b);
        plan_ctx_free(tmp);
        if (!tb->err->code) err_set(tb->err, rc, "cannot evaluate a VALUES row");
        return NULL;
      }
    }
  batch_set_rows(b, (uint32_t)nrows);
  plan_ctx_free(tmp);
  return op_one_batch(tb->t, b, tb->err);
}

static struct op *build(struct tbuild *tb, const struct pnode *n);

static struct op *build_scan(struct tbuild *tb, const struct pnode *n) {
  int local = tb->task - n->u.scan.split_base;
  int ns = n->u.scan.nsplits, nm = n->u.scan.nmorsels > 0 ? n->u.scan.nmorsels : 1;
  if (local < 0 || local >= ns * nm) return op_empty(tb->t, n->types, n->ncols, tb->err);
  /* Morsel-major (physical.h): task = morsel * nsplits + split. */
  const struct psplit *s = &n->u.scan.splits[local % ns];
  const struct plan *p = n->logical;
  return op_scan(tb->t, &p->u.scan.src, s->file, s->start, s->end, p->u.scan.proj, n->ncols,
                 local / ns, nm, tb->err);
}

static struct op *build_exchange(struct tbuild *tb, const struct pnode *n) {
  const struct pstage *src = &tb->pp->stages[n->u.exchange.stage];
  const struct ptask_inputs *in = tb->in;
  for (int k = 0; in && k < in->ninputs; k++) {
    if (in->input_stage[k] != src->id) continue;
    int lo = in->part_lo, hi = in->part_hi;
    if (n->u.exchange.broadcast || src->nparts_out == 1) {
      /* Every partition: one for a broadcast stage, all of a hashed stage
       * read in full (a runtime join filter). */
      lo = 0;
      hi = src->nparts_out > 1 ? src->nparts_out : 1;
    }
    return op_shuffle_read(tb->t, n->types, n->ncols, (const char *const *)in->inputs[k],
                           in->ninput_files[k], lo, hi, tb->err);
  }
  err_set(tb->err, ERR_INVAL, "internal error: no input for stage %d", src->id);
  return NULL;
}

static struct op *build(struct tbuild *tb, const struct pnode *n) {
  struct op *kids[2] = {NULL, NULL};
  if (n->kind != P_UNION)
    for (int i = 0; i < n->nchild && i < 2; i++)
      if (!(kids[i] = build(tb, n->child[i]))) {
        op_close(kids[0]);
        return NULL;
      }
  struct task_ctx *t = tb->t;
  struct err *e = tb->err;
  switch (n->kind) {
  case P_SCAN: return build_scan(tb, n);
  case P_VALUES: return build_values(tb, n);
  case P_RANGE: {
    const struct plan *p = n->logical;
    return op_range(t, p->u.range.start, p->u.range.end, p->u.range.step, e);
  }
  case P_FILTER: return op_filter(t, kids[0], n->u.filter.cond, e);
  case P_PROJECT:
    if (n->child[0]->kind == P_FILTER) {
      /* A projection of bare columns over a filter (dropping what only the
       * filter read): the filter need not compact the other columns. */
      int nin = n->child[0]->ncols, bare = 1;
      uint8_t *need = calloc((size_t)(nin ? nin : 1), 1);
      for (int i = 0; need && bare && i < n->ncols; i++) {
        int idx;
        if (exprcol_is_col(n->u.project.exprs[i], &idx) && idx < nin) need[idx] = 1;
        else bare = 0;
      }
      if (need && bare) op_filter_needed(kids[0], need);
      free(need);
    }
    return op_project(t, kids[0], n->u.project.exprs, n->ncols, e);
  case P_EXPAND:
    return op_expand(t, kids[0], n->u.expand.exprs, n->u.expand.nsets, n->ncols, e);
  case P_GENERATE:
    return op_generate(t, kids[0], n->u.generate.arg, n->u.generate.keep, n->u.generate.nkeep,
                       n->u.generate.with_pos, n->u.generate.outer, e);
  case P_AGG:
    return op_hash_agg(t, kids[0], n->u.agg.mode, n->u.agg.keys, n->u.agg.nkeys, n->u.agg.calls,
                       n->u.agg.ncalls, e);
  case P_HASH_JOIN:
    /* A broadcast build side is the same for every task of the stage: the
     * tasks of this process share one hash table of it (keyed by the node,
     * which the job's tasks share with their plan). */
    if (n->child[1]->kind == P_EXCHANGE && n->child[1]->u.exchange.broadcast)
      return op_hash_join_shared(t, kids[0], kids[1], n->u.join.type, n->u.join.probe_keys,
                                 n->u.join.build_keys, n->u.join.null_safe, n->u.join.nkeys,
                                 n->u.join.cond, n->u.join.null_aware, n, e);
    return op_hash_join(t, kids[0], kids[1], n->u.join.type, n->u.join.probe_keys,
                        n->u.join.build_keys, n->u.join.null_safe, n->u.join.nkeys,
                        n->u.join.cond, n->u.join.null_aware, e);
  case P_NL_JOIN: return op_nl_join(t, kids[0], kids[1], n->u.join.type, n->u.join.cond, e);
  case P_SORT: return op_sort(t, kids[0], n->u.sort.keys, n->u.sort.nkeys, n->u.sort.limit, e);
  case P_LIMIT: return op_limit(t, kids[0], n->u.limit.limit, n->u.limit.offset, e);
  case P_WINDOW:
    return op_window(t, kids[0], n->u.window.partition, n->u.window.npartition,
                     n->u.window.order, n->u.window.norder, n->u.window.calls,
                     n->u.window.ncalls, e);
  case P_EXCHANGE: return build_exchange(tb, n);
  case P_UNION: {
    struct op **ops = calloc((size_t)n->nchild, sizeof *ops);
    if (!ops) {
      err_set(e, ERR_NOMEM, "out of memory");
      return NULL;
    }
    for (int i = 0; i < n->nchild; i++)
      if (!(ops[i] = build(tb, n->child[i]))) {
        for (int j = 0; j < i; j++) op_close(ops[j]);
        free(ops);
        return NULL;
      }
    struct op *u = op_union(t, ops, n->nchild, e);
    free(ops);
    return u;
  }
  }
  err_set(e, ERR_UNSUPPORTED, "unsupported physical node");
  return NULL;
}

struct op *physical_build(const struct pplan *pp, int st, int task, const struct ptask_inputs *in,
                          struct task_ctx *t, struct err *err) {
  struct tbuild tb = {pp, task, in, t, err};
  return build(&tb, pp->stages[st].root);
}
