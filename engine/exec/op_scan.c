/* op_scan.c: see op_scan.h. */
#include "engine/exec/op_scan.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "engine/exec/batchio.h"
#include "engine/exec/blockstore.h"
#include "engine/source/csv.h"
#include "engine/source/jsonl.h"

struct scan_op {
  struct op base;
  /* cached tables: the block being served, or being filled */
  struct block *block;
  int next_batch, end_batch; /* this task's morsel: batches [next, end) */
  int morsel, nmorsels;      /* morsel index of the split, morsels per split */
  int claimed;               /* filling a block this task claimed */
  int *proj;             /* projection onto the block's columns */
  struct batch view;     /* the projected view handed out */
  struct vector *vcols;  /* its columns (shallow copies of the block's) */
  int filling;           /* reading the file to store a block */
  struct batch **fill;
  int nfill, capfill;
  char *key;
  int is_csv;
  struct csv_options copt;
  struct jsonl_options jopt;
  struct csv_reader *csv;
  struct jsonl_reader *json;
};

static int reader_next(struct scan_op *s, struct batch **out, struct err *err) {
  return s->is_csv ? csv_reader_next(s->csv, out, err) : jsonl_reader_next(s->json, out, err);
}

/* How long a morsel task waits for another task of its executor to decode
 * the split it shares, before decoding the split itself. */
#define CLAIM_WAIT_MS 60000

/* The projected columns of a stored batch, without copying: operators
 * never write to a batch they did not produce (op.h: batches are borrowed
 * by the consumer), so the block's vectors are handed out as a view. */
static int project_block(struct scan_op *s, const struct batch *src, struct batch **out) {
  if (!s->vcols) {
    s->vcols = calloc((size_t)(s->base.ncols ? s->base.ncols : 1), sizeof *s->vcols);
    if (!s->vcols) return ERR_NOMEM;
  }
  for (int c = 0; c < s->base.ncols; c++) {
    s->vcols[c] = src->cols[s->proj[c]];
    s->vcols[c].count = src->nrows;
  }
  s->view = *src;
  s->view.ncols = s->base.ncols;
  s->view.cols = s->vcols;
  *out = &s->view;
  return 1;
}

static int scan_next(struct op *op, struct batch **out, struct err *err) {
  struct scan_op *s = (struct scan_op *)op;
  if (s->block) {
    struct batch *const *bs;
    int n = blockstore_batches(s->block, &bs);
    if (s->end_batch < 0) {
      /* Morsel k of m serves the k-th m-th of the block's batches. */
      s->next_batch = (int)((int64_t)n * s->morsel / s->nmorsels);
      s->end_batch = (int)((int64_t)n * (s->morsel + 1) / s->nmorsels);
    }
    while (s->next_batch < s->end_batch && bs[s->next_batch]->nrows == 0) s->next_batch++;
    if (s->next_batch >= s->end_batch) return 0;
    int rc = project_block(s, bs[s->next_batch++], out);
    if (rc < 0) return err_set(err, rc, "out of memory reading a cached table");
    op->task->rows_in += (*out)->nrows;
    return 1;
  }
  if (s->filling) {
    /* Read the whole split with every column, store it, then serve it. */
    for (;;) {
      int rc = reader_next(s, out, err);
      if (rc < 0) return rc;
      if (rc == 0) break;
      if (op->task->cancel && atomic_load(op->task->cancel))
        return err_set(err, ERR_CANCELLED, "cancelled");
      struct type *types = malloc(sizeof *types * (size_t)((*out)->ncols + 1));
      if (!types) return err_set(err, ERR_NOMEM, "out of memory caching a table");
      batch_types(*out, types);
      struct batch *copy =
          batch_new(types, (*out)->ncols, (*out)->nrows ? (*out)->nrows : 1, ARENA_UNLIMITED);
      free(types);
      if (!copy || batch_append_rows(copy, *out, NULL, (*out)->nrows)) {
        batch_free(copy);
        return err_set(err, ERR_NOMEM, "out of memory caching a table");
      }
      if (s->nfill == s->capfill) {
        int cap = s->capfill ? s->capfill * 2 : 16;
        struct batch **nb = realloc(s->fill, sizeof *nb * (size_t)cap);
        if (!nb) {
          batch_free(copy);
          return err_set(err, ERR_NOMEM, "out of memory caching a table");
        }
        s->fill = nb;
        s->capfill = cap;
      }
      s->fill[s->nfill++] = copy;
    }
    s->filling = 0;
    s->block = blockstore_put(s->key, s->fill, s->nfill);
    s->claimed = 0; /* put ended the claim, even when out of memory */
    s->fill = NULL;
    s->nfill = 0;
    if (!s->block) return err_set(err, ERR_NOMEM, "out of memory caching a table");
    return scan_next(op, out, err);
  }
  for (;;) {
    if (op->task->cancel && atomic_load(op->task->cancel))
      return err_set(err, ERR_CANCELLED, "cancelled");
    int rc = reader_next(s, out, err);
    if (rc <= 0) return rc;
    if ((*out)->nrows == 0) continue;
    op->task->rows_in += (*out)->nrows;
    return 1;
  }
}

static void scan_close(struct op *op) {
  struct scan_op *s = (struct scan_op *)op;
  if (s->claimed) blockstore_unclaim(s->key); /* a failed or cancelled fill */
  blockstore_release(s->block);
  for (int i = 0; i < s->nfill; i++) batch_free(s->fill[i]);
  free(s->fill);
  free(s->proj);
  free(s->key);
  free(s->vcols);
  csv_reader_close(s->csv);
  jsonl_reader_close(s->json);
  if (s->is_csv)
    csv_options_fini(&s->copt);
  else
    jsonl_options_fini(&s->jopt);
  free(op->types);
  free(s);
}

static const struct op_vt scan_vt = {scan_next, scan_close};

/* Parse the source's options and open the format's reader over the split,
 * producing file-schema columns cols[0..n). */
static int open_reader(struct scan_op *s, const struct plan_source *src, int file, int64_t start,
                       int64_t end, const int *cols, int n, struct err *err) {
  int rc;
  if (s->is_csv) {
    rc = csv_options_parse(&s->copt, src->opts, src->nopts, err);
    if (!rc)
      rc = csv_reader_open(&s->csv, src->paths[file], start, end, src->schema, cols, n, &s->copt,
                           err);
  } else {
    rc = jsonl_options_parse(&s->jopt, src->opts, src->nopts, err);
    if (!rc)
      rc = jsonl_reader_open(&s->json, src->paths[file], start, end, src->schema, cols, n,
                             &s->jopt, err);
  }
  return rc;
}

struct op *op_scan(struct task_ctx *t, const struct plan_source *src, int file, int64_t start,
                   int64_t end, const int *proj, int nproj, int morsel, int nmorsels,
                   struct err *err) {
  struct scan_op *s = calloc(1, sizeof *s);
  struct type *types = calloc((size_t)(nproj ? nproj : 1), sizeof *types);
  if (!s || !types) {
    free(s);
    free(types);
    err_set(err, ERR_NOMEM, "out of memory opening a scan");
    return NULL;
  }
  s->base.vt = &scan_vt;
  s->base.ncols = nproj;
  s->base.types = types;
  s->base.task = t;
  s->end_batch = -1;
  s->nmorsels = nmorsels > 0 ? nmorsels : 1;
  s->morsel = morsel >= 0 && morsel < s->nmorsels ? morsel : 0;
  for (int i = 0; i < nproj; i++) types[i] = src->schema->cols[proj[i]].type;
  s->is_csv = strcmp(src->format, "csv") == 0;
  int rc;
  if (src->cached && src->cache_key) {
    char key[4096];
    /* The whole byte range names the block: another split layout (other
     * spark.sql.files.maxPartitionBytes or parallelism) must not be served
     * a block of the same start but another end. */
    snprintf(key, sizeof key, "%s/%d:%lld-%lld", src->cache_key, file, (long long)start,
             (long long)end);
    s->key = strdup(key);
    s->proj = malloc(sizeof *s->proj * (size_t)(nproj ? nproj : 1));
    if (!s->key || !s->proj) {
      scan_close(&s->base);
      err_set(err, ERR_NOMEM, "out of memory opening a scan");
      return NULL;
    }
    memcpy(s->proj, proj, sizeof *proj * (size_t)nproj);
    s->block = blockstore_get_or_claim(s->key, t->cancel, CLAIM_WAIT_MS, &s->claimed);
    if (s->block) return &s->base;
    if (t->cancel && atomic_load(t->cancel)) {
      scan_close(&s->base);
      err_set(err, ERR_CANCELLED, "cancelled");
      return NULL;
    }
    /* Not cached here yet: read every column of the split and keep it. */
    int ncols = src->schema->ncols;
    int *all = malloc(sizeof *all * (size_t)(ncols ? ncols : 1));
    if (!all) {
      scan_close(&s->base);
      err_set(err, ERR_NOMEM, "out of memory opening a scan");
      return NULL;
    }
    for (int i = 0; i < ncols; i++) all[i] = i;
    rc = open_reader(s, src, file, start, end, all, ncols, err);
    free(all);
    if (rc) {
      scan_close(&s->base);
      return NULL;
    }
    s->filling = 1;
    return &s->base;
  }
  if (s->nmorsels > 1) {
    /* Only a stored block can be cut in morsels: a byte range read
     * nmorsels times would repeat its rows. */
    scan_close(&s->base);
    err_set(err, ERR_INVAL, "internal error: morsels of a scan of an uncached table");
    return NULL;
  }
  rc = open_reader(s, src, file, start, end, proj, nproj, err);
  if (rc) {
    scan_close(&s->base);
    return NULL;
  }
  return &s->base;
}

struct empty_op {
  struct op base;
};

static int empty_next(struct op *op, struct batch **out, struct err *err) {
  (void)op;
  (void)out;
  (void)err;
  return 0;
}

static void empty_close(struct op *op) {
  free(op->types);
  free(op);
}

static const struct op_vt empty_vt = {empty_next, empty_close};

struct op *op_empty(struct task_ctx *t, const struct type *types, int ncols, struct err *err) {
  struct empty_op *e = calloc(1, sizeof *e);
  struct type *ty = calloc((size_t)(ncols ? ncols : 1), sizeof *ty);
  if (!e || !ty) {
    free(e);
    free(ty);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  if (ncols) memcpy(ty, types, sizeof *ty * (size_t)ncols);
  e->base.vt = &empty_vt;
  e->base.ncols = ncols;
  e->base.types = ty;
  e->base.task = t;
  return &e->base;
}

struct one_op {
  struct op base;
  struct batch *b;
  int done;
};

static int one_next(struct op *op, struct batch **out, struct err *err) {
  (void)err;
  struct one_op *o = (struct one_op *)op;
  if (o->done || o->b->nrows == 0) return 0;
  o->done = 1;
  *out = o->b;
  return 1;
}

static void one_close(struct op *op) {
  struct one_op *o = (struct one_op *)op;
  batch_free(o->b);
  free(op->types);
  free(o);
}

static const struct op_vt one_vt = {one_next, one_close};

struct op *op_one_batch(struct task_ctx *t, struct batch *b, struct err *err) {
  struct one_op *o = calloc(1, sizeof *o);
  struct type *ty = calloc((size_t)(b->ncols ? b->ncols : 1), sizeof *ty);
  if (!o || !ty) {
    free(o);
    free(ty);
    batch_free(b);
    err_set(err, ERR_NOMEM, "out of memory");
    return NULL;
  }
  for (int i = 0; i < b->ncols; i++) ty[i] = b->cols[i].type;
  o->base.vt = &one_vt;
  o->base.ncols = b->ncols;
  o->base.types = ty;
  o->base.task = t;
  o->b = b;
  return &o->base;
}
