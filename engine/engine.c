/* engine.c: the local engine's session -- statements, configuration, jobs
 * (see engine.h). */
#include "engine/engine.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "engine/analyze/analyzer.h"
#include "engine/catalog/catalog.h"
#include "engine/cluster/cluster.h"
#include "engine/cluster/shuffle.h"
#include "engine/exec/batchio.h"
#include "engine/exec/blockstore.h"
#include "engine/exec/eval.h"
#include "engine/opt/optimizer.h"
#include "engine/vec/array.h"
#include "engine/physical/physical.h"
#include "engine/plan/plan.h"
#include "engine/sql/parser.h"
#include "engine/sql/sql_error.h"

/* ---- configuration ---- */

struct conf {
  char **keys, **vals;
  int n, cap;
};

static void conf_fini(struct conf *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->keys[i]);
    free(c->vals[i]);
  }
  free(c->keys);
  free(c->vals);
  memset(c, 0, sizeof *c);
}

static const char *conf_get(const struct conf *c, const char *k) {
  for (int i = 0; i < c->n; i++)
    if (strcasecmp(c->keys[i], k) == 0) return c->vals[i];
  return NULL;
}

static int conf_set(struct conf *c, const char *k, const char *v) {
  for (int i = 0; i < c->n; i++)
    if (strcasecmp(c->keys[i], k) == 0) {
      char *nv = strdup(v);
      if (!nv) return ERR_NOMEM;
      free(c->vals[i]);
      c->vals[i] = nv;
      return 0;
    }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    char **k2 = realloc(c->keys, sizeof *k2 * (size_t)cap);
    if (!k2) return ERR_NOMEM;
    c->keys = k2;
    char **v2 = realloc(c->vals, sizeof *v2 * (size_t)cap);
    if (!v2) return ERR_NOMEM;
    c->vals = v2;
    c->cap = cap;
  }
  c->keys[c->n] = strdup(k);
  c->vals[c->n] = strdup(v);
  if (!c->keys[c->n] || !c->vals[c->n]) {
    free(c->keys[c->n]);
    free(c->vals[c->n]);
    return ERR_NOMEM;
  }
  c->n++;
  return 0;
}

static int64_t conf_i64(const struct conf *c, const char *k, int64_t dflt) {
  const char *v = conf_get(c, k);
  if (!v) return dflt;
  char *end;
  long long x = strtoll(v, &end, 10);
  return (*end || end == v) ? dflt : (int64_t)x;
}

static int64_t conf_bytes(const struct conf *c, const char *k, int64_t dflt) {
  const char *v = conf_get(c, k);
  if (!v) return dflt;
  int64_t x = mem_parse_size(v);
  return x < 0 ? dflt : x;
}

/* Keys checked when set: a bad value is an error naming the key. */
static int conf_check(const char *k, const char *v, struct err *e) {
  static const char *const ints[] = {"spark.executor.instances", "spark.executor.cores",
                                     "spark.sql.shuffle.partitions", "spark.task.maxFailures",
                                     "spark.default.parallelism"};
  static const char *const sizes[] = {"spark.executor.memory", "spark.driver.memory",
                                      "spark.sql.autoBroadcastJoinThreshold",
                                      "spark.sql.files.maxPartitionBytes",
                                      "spark.sql.adaptive.advisoryPartitionSizeInBytes"};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
    if (strcasecmp(k, ints[i]) == 0) {
      char *end;
      long x = strtol(v, &end, 10);
      if (end == v || *end || x < 1 || x > 100000)
        return err_set(e, ERR_INVAL, "%s must be a positive integer, not '%s'", k, v);
    }
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    if (strcasecmp(k, sizes[i]) == 0 && strcmp(v, "-1") != 0 && mem_parse_size(v) < 0)
      return err_set(e, ERR_INVAL, "%s must be a size such as 512m or 2g, not '%s'", k, v);
  if (strcasecmp(k, "spark.sql.ansi.enabled") == 0 && strcasecmp(v, "true") != 0 &&
      strcasecmp(v, "false") != 0)
    return err_set(e, ERR_INVAL, "spark.sql.ansi.enabled must be true or false, not '%s'", v);
  if (strcasecmp(k, "spark.memory.fraction") == 0) {
    char *end;
    double f = strtod(v, &end);
    if (end == v || *end || f <= 0 || f > 1)
      return err_set(e, ERR_INVAL, "spark.memory.fraction must be in (0, 1], not '%s'", v);
  }
  return 0;
}

/* ---- the session ---- */

struct engine {
  struct catalog *cat;
  struct conf conf;
  struct conf initial; /* the session-start settings, which RESET restores */
  char *exe;
  /* master */
  int in_process;      /* local[N] */
  int local_threads;
  int master_executors, master_cores;
  int64_t master_memory;
  struct cluster *cluster;
  char *cluster_sig;   /* the settings the cluster was started with */
  atomic_int cancelled;
  pthread_mutex_t lock; /* guards cluster for engine_cancel */
  int kill_index, kill_delay_ms;
};

static long ncpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? n : 1;
}

static int parse_master(struct engine *en, const char *m, struct err *e) {
  en->in_process = 0;
  if (!m || !*m) return 0;
  if (strcmp(m, "local") == 0) {
    en->in_process = 1;
    en->local_threads = 1;
    return 0;
  }
  int a, b, c;
  char tail;
  if (strcmp(m, "local[*]") == 0) {
    en->in_process = 1;
    en->local_threads = (int)ncpus();
    return 0;
  }
  if (sscanf(m, "local[%d]%c", &a, &tail) == 1 && a >= 1 && a <= 1024) {
    en->in_process = 1;
    en->local_threads = a;
    return 0;
  }
  if (sscanf(m, "local-cluster[%d,%d,%d]%c", &a, &b, &c, &tail) == 3 && a >= 1 && a <= 64 &&
      b >= 1 && b <= 256 && c >= 16) {
    en->master_executors = a;
    en->master_cores = b;
    en->master_memory = (int64_t)c << 20;
    return 0;
  }
  return err_set(e, ERR_INVAL,
                 "Unsupported master '%s': use local, local[N], local[*] or "
                 "local-cluster[EXECUTORS,CORES,MEMORY_MB]",
                 m);
}

int engine_new(struct engine **out, const char *master, const struct readopt_kv *conf, int n,
               const char *exe, struct err *e) {
  *out = NULL;
  struct engine *en = calloc(1, sizeof *en);
  if (!en) return err_set(e, ERR_NOMEM, "out of memory");
  pthread_mutex_init(&en->lock, NULL);
  en->cat = catalog_new();
  en->exe = strdup(exe ? exe : "/proc/self/exe");
  en->kill_index = -1;
  int rc = (!en->cat || !en->exe) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
  if (!rc) rc = parse_master(en, master, e);
  for (int i = 0; i < n && !rc; i++) {
    rc = conf_check(conf[i].key, conf[i].value, e);
    if (!rc && (conf_set(&en->conf, conf[i].key, conf[i].value) ||
                conf_set(&en->initial, conf[i].key, conf[i].value)))
      rc = err_set(e, ERR_NOMEM, "out of memory");
  }
  if (rc) {
    engine_free(en);
    return rc;
  }
  *out = en;
  return 0;
}

void engine_free(struct engine *en) {
  if (!en) return;
  cluster_stop(en->cluster);
  catalog_free(en->cat);
  conf_fini(&en->conf);
  conf_fini(&en->initial);
  free(en->exe);
  free(en->cluster_sig);
  pthread_mutex_destroy(&en->lock);
  free(en);
}

const char *engine_conf_get(const struct engine *en, const char *key) {
  return conf_get(&en->conf, key);
}

void engine_cancel(struct engine *en) {
  atomic_store(&en->cancelled, 1);
  pthread_mutex_lock(&en->lock);
  if (en->cluster) cluster_cancel(en->cluster);
  pthread_mutex_unlock(&en->lock);
}

void engine_test_kill_executor(struct engine *en, int index, int delay_ms) {
  en->kill_index = index;
  en->kill_delay_ms = delay_ms;
}

int engine_describe(struct engine *en, struct buf *out) {
  if (!en->cluster) return buf_puts(out, "[]");
  return cluster_describe(en->cluster, out);
}

static void cluster_settings(const struct engine *en, struct cluster_conf *cc) {
  cluster_conf_defaults(cc);
  const struct conf *c = &en->conf;
  if (en->in_process) {
    cc->executors = 0;
    cc->cores = en->local_threads;
  } else if (en->master_executors) {
    cc->executors = en->master_executors;
    cc->cores = en->master_cores;
    cc->executor_memory = en->master_memory;
  } else {
    cc->executors = (int)conf_i64(c, "spark.executor.instances", 2);
    cc->cores = (int)conf_i64(c, "spark.executor.cores", 1);
  }
  if (!en->master_executors || conf_get(c, "spark.executor.memory"))
    cc->executor_memory = conf_bytes(c, "spark.executor.memory", cc->executor_memory);
  const char *f = conf_get(c, "spark.memory.fraction");
  if (f) cc->memory_fraction = strtod(f, NULL);
  const char *ld = conf_get(c, "spark.local.dir");
  if (ld) cc->local_dir = ld;
  cc->max_failures = (int)conf_i64(c, "spark.task.maxFailures", cc->max_failures);
  cc->advisory_partition_bytes =
      conf_bytes(c, "spark.sql.adaptive.advisoryPartitionSizeInBytes", cc->advisory_partition_bytes);
  cc->exe = en->exe;
}

static int task_slots(const struct engine *en) {
  struct cluster_conf cc;
  cluster_settings(en, &cc);
  int n = (cc.executors ? cc.executors : 1) * cc.cores;
  return n > 0 ? n : 1;
}

static int cluster_task(void *arg, struct cluster_task *t, struct cluster_task_io *io,
                        struct err *err);

/* Start (or restart, when the settings changed) the executors. */
static int ensure_cluster(struct engine *en, struct err *e) {
  struct cluster_conf cc;
  cluster_settings(en, &cc);
  char sig[256];
  snprintf(sig, sizeof sig, "%d/%d/%lld/%g/%s/%d", cc.executors, cc.cores,
           (long long)cc.executor_memory, cc.memory_fraction, cc.local_dir ? cc.local_dir : "",
           cc.max_failures);
  if (en->cluster && en->cluster_sig && strcmp(sig, en->cluster_sig) == 0) return 0;
  pthread_mutex_lock(&en->lock);
  cluster_stop(en->cluster);
  en->cluster = NULL;
  pthread_mutex_unlock(&en->lock);
  free(en->cluster_sig);
  en->cluster_sig = NULL;
  struct cluster *c;
  int rc = cluster_start(&c, &cc, cluster_task, NULL, e);
  if (rc) return rc;
  pthread_mutex_lock(&en->lock);
  en->cluster = c;
  pthread_mutex_unlock(&en->lock);
  en->cluster_sig = strdup(sig);
  return 0;
}

/* ---- planning a statement (driver and executors alike) ---- */

static void physical_settings(const struct conf *c, int slots, struct physical_conf *pc) {
  physical_conf_defaults(pc);
  pc->shuffle_partitions = (int)conf_i64(c, "spark.sql.shuffle.partitions", pc->shuffle_partitions);
  const char *bt = conf_get(c, "spark.sql.autoBroadcastJoinThreshold");
  if (bt) pc->broadcast_threshold = strcmp(bt, "-1") == 0 ? -1 : conf_bytes(c, "spark.sql.autoBroadcastJoinThreshold", pc->broadcast_threshold);
  pc->max_partition_bytes = conf_bytes(c, "spark.sql.files.maxPartitionBytes", pc->max_partition_bytes);
  pc->parallelism = (int)conf_i64(c, "spark.default.parallelism", slots);
  const char *ansi = conf_get(c, "spark.sql.ansi.enabled");
  pc->ansi = ansi && strcasecmp(ansi, "true") == 0;
}

/* Where scalar subquery values come from while a plan is prepared. */
struct scalars {
  /* Driver: run the subquery. Executor: NULL, values come from vals. */
  int (*run)(void *arg, struct plan_ctx *ctx, struct plan *sub, struct value *out, struct err *e);
  void *arg;
  struct value *vals; /* collected (driver) or given (executor) */
  int nvals, cap;
  int next;           /* index of the next subquery met */
  int target;         /* executor: stop at this subquery and plan it instead */
  struct plan *target_plan;
  int keep;           /* EXPLAIN: leave every subquery in the plan */
};

static int subst_plan(struct plan_ctx *ctx, struct plan *p, struct scalars *s, struct err *e);

static int subst_expr(struct plan_ctx *ctx, struct expr *x, struct scalars *s, struct err *e) {
  if (!x || s->target_plan || s->keep) return 0;
  int rc = 0;
  switch (x->kind) {
  case EXPR_SUBQUERY: {
    if ((rc = subst_plan(ctx, x->u.sub.plan, s, e))) return rc;
    if (s->target_plan) return 0;
    int idx = s->next++;
    struct value v;
    if (idx == s->target) {
      s->target_plan = x->u.sub.plan;
      return 0;
    }
    if (s->run) {
      if ((rc = s->run(s->arg, ctx, x->u.sub.plan, &v, e))) return rc;
      if (s->nvals == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        struct value *nv = realloc(s->vals, sizeof *nv * (size_t)cap);
        if (!nv) return err_set(e, ERR_NOMEM, "out of memory");
        s->vals = nv;
        s->cap = cap;
      }
      s->vals[s->nvals++] = v;
    } else {
      if (idx >= s->nvals) return err_set(e, ERR_INVAL, "internal error: scalar subquery %d missing", idx);
      v = s->vals[idx];
    }
    struct type t = x->type;
    struct ast_pos pos = x->pos;
    memset(&x->u, 0, sizeof x->u);
    x->kind = EXPR_LIT;
    x->u.lit = v;
    x->u.lit.type = t;
    x->nullable = v.is_null;
    x->pos = pos;
    return 0;
  }
  case EXPR_IN_SUBQUERY: case EXPR_EXISTS:
    if ((rc = subst_expr(ctx, x->u.sub.arg, s, e))) return rc;
    return subst_plan(ctx, x->u.sub.plan, s, e);
  case EXPR_FUNC:
    for (int i = 0; i < x->u.func.nargs && !rc; i++) rc = subst_expr(ctx, x->u.func.args[i], s, e);
    return rc;
  case EXPR_CASE:
    for (int i = 0; i < x->u.cases.n && !rc; i++) {
      rc = subst_expr(ctx, x->u.cases.when[i], s, e);
      if (!rc) rc = subst_expr(ctx, x->u.cases.then[i], s, e);
    }
    return rc ? rc : subst_expr(ctx, x->u.cases.otherwise, s, e);
  case EXPR_CAST: return subst_expr(ctx, x->u.cast.arg, s, e);
  case EXPR_IN_LIST:
    rc = subst_expr(ctx, x->u.in_list.arg, s, e);
    for (int i = 0; i < x->u.in_list.n && !rc; i++) rc = subst_expr(ctx, x->u.in_list.list[i], s, e);
    return rc;
  case EXPR_LIKE: return subst_expr(ctx, x->u.like.arg, s, e);
  default: return 0;
  }
}

/* Replace every uncorrelated scalar subquery by its value, in a fixed
 * order (children first, then the node's expressions) that the driver and
 * the executors share. */
static int subst_plan(struct plan_ctx *ctx, struct plan *p, struct scalars *s, struct err *e) {
  int rc = 0;
  for (int i = 0; i < p->nchild && !rc; i++) rc = subst_plan(ctx, p->child[i], s, e);
  switch (p->kind) {
  case PLAN_SCAN:
    for (int i = 0; i < p->u.scan.nfilters && !rc; i++) rc = subst_expr(ctx, p->u.scan.filters[i], s, e);
    break;
  case PLAN_VALUES:
    for (int i = 0; i < p->u.values.nrows * p->ncols && !rc; i++)
      rc = subst_expr(ctx, p->u.values.cells[i], s, e);
    break;
  case PLAN_FILTER: rc = subst_expr(ctx, p->u.filter.cond, s, e); break;
  case PLAN_PROJECT:
    for (int i = 0; i < p->ncols && !rc; i++) rc = subst_expr(ctx, p->u.project.exprs[i], s, e);
    break;
  case PLAN_AGG:
    for (int i = 0; i < p->u.agg.nkeys && !rc; i++) rc = subst_expr(ctx, p->u.agg.keys[i], s, e);
    for (int i = 0; i < p->u.agg.ncalls && !rc; i++) {
      rc = subst_expr(ctx, p->u.agg.calls[i].arg, s, e);
      if (!rc) rc = subst_expr(ctx, p->u.agg.calls[i].filter, s, e);
    }
    break;
  case PLAN_JOIN:
    for (int i = 0; i < p->u.join.nkeys && !rc; i++) {
      rc = subst_expr(ctx, p->u.join.left_keys[i], s, e);
      if (!rc) rc = subst_expr(ctx, p->u.join.right_keys[i], s, e);
    }
    if (!rc) rc = subst_expr(ctx, p->u.join.cond, s, e);
    break;
  case PLAN_SORT:
    for (int i = 0; i < p->u.sort.nkeys && !rc; i++) rc = subst_expr(ctx, p->u.sort.keys[i].expr, s, e);
    break;
  case PLAN_GENERATE: rc = subst_expr(ctx, p->u.generate.arg, s, e); break;
  case PLAN_WINDOW:
    for (int i = 0; i < p->u.window.npartition && !rc; i++)
      rc = subst_expr(ctx, p->u.window.partition[i], s, e);
    for (int i = 0; i < p->u.window.norder && !rc; i++)
      rc = subst_expr(ctx, p->u.window.order[i].expr, s, e);
    break;
  default: break;
  }
  return rc;
}

/* A statement prepared for execution. */
struct planned {
  struct plan_ctx *ctx;
  struct catalog *cat;  /* owned on executors */
  int own_cat;
  struct ast_script *script;
  struct plan *plan;    /* optimized; the target subquery's plan if any */
  struct pplan *pp;
  struct join_cache *joins; /* broadcast tables shared by this process's tasks */
  struct physical_conf pc;
  struct value *scalars;
  int nscalars;
  struct plan_ctx *vctx; /* owns the scalars' strings (executors) */
  /* write target (CTAS / INSERT OVERWRITE DIRECTORY) */
  char *write_dir, *write_format;
  struct readopt_kv *write_opts;
  int nwrite_opts;
};

static void planned_free(struct planned *p) {
  if (!p) return;
  join_cache_free(p->joins);
  plan_ctx_free(p->ctx);
  plan_ctx_free(p->vctx);
  ast_script_free(p->script);
  if (p->own_cat) catalog_free(p->cat);
  free(p->scalars);
  free(p->write_dir);
  free(p->write_format);
  for (int i = 0; i < p->nwrite_opts; i++) {
    free((char *)p->write_opts[i].key);
    free((char *)p->write_opts[i].value);
  }
  free(p->write_opts);
  free(p);
}

static const struct ast_query *stmt_query(const struct ast_stmt *st) {
  switch (st->kind) {
  case AST_S_QUERY: return st->u.query;
  case AST_S_CREATE_TABLE: return st->u.table.query;
  case AST_S_CREATE_VIEW: return st->u.view.query;
  case AST_S_INSERT_DIR: return st->u.insert_dir.query;
  case AST_S_CACHE: return st->u.cache.query;
  case AST_S_EXPLAIN: return st->u.explain.stmt ? stmt_query(st->u.explain.stmt) : NULL;
  default: return NULL;
  }
}

/* Parse, analyze, optimize, substitute scalars and cut into stages. sql is
 * one statement's text. With s->target >= 0 the plan prepared is that scalar
 * subquery's. */
static int prepare(struct catalog *cat, const char *sql, size_t len, const struct physical_conf *pc,
                   struct scalars *s, int physical, struct planned **out, struct err *e) {
  *out = NULL;
  struct planned *p = calloc(1, sizeof *p);
  if (!p) return err_set(e, ERR_NOMEM, "out of memory");
  p->cat = cat;
  p->pc = *pc;
  int rc = parser_parse(sql, len, &p->script, e);
  if (!rc && p->script->n != 1) rc = err_set(e, ERR_INVAL, "internal error: one statement expected");
  const struct ast_query *q = rc ? NULL : stmt_query(p->script->stmts[0]);
  if (!rc && !q) rc = err_set(e, ERR_INVAL, "internal error: statement has no query");
  if (!rc && !(p->ctx = plan_ctx_new())) rc = err_set(e, ERR_NOMEM, "out of memory");
  if (!rc) p->ctx->ansi = pc->ansi;
  struct plan *lp = NULL;
  if (!rc) rc = analyzer_plan_query(cat, p->ctx, q, sql, &lp, e);
  if (!rc) {
    struct optimizer_conf oc;
    optimizer_conf_init(&oc);
    oc.broadcast_threshold = pc->broadcast_threshold;
    rc = optimizer_run(p->ctx, lp, &oc, &p->plan, e);
  }
  if (!rc) rc = subst_plan(p->ctx, p->plan, s, e);
  if (!rc && s->target >= 0) {
    if (!s->target_plan) rc = err_set(e, ERR_INVAL, "internal error: subquery %d not found", s->target);
    else p->plan = s->target_plan;
  }
  if (!rc && physical) rc = physical_plan(p->ctx, p->plan, pc, &p->pp, e);
  /* Without a cache (out of memory) each task builds its own tables. */
  if (!rc && physical) p->joins = join_cache_new();
  if (rc) {
    planned_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

/* ---- the per-process cache of prepared jobs ----
 * Keyed by the job description text: the driver registers its own prepared
 * job (in-process executors use it as is); executor processes prepare a job
 * the first time one of its tasks arrives and keep the last few. */

#define JOB_CACHE 8

struct job_entry {
  char *desc;
  size_t len;
  struct planned *p;
  int refs;
  int owned;  /* freed by the cache when evicted */
  uint64_t stamp;
};

static struct job_entry job_cache[JOB_CACHE];
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t job_clock;

static struct job_entry *job_find(const char *desc, size_t len) {
  for (int i = 0; i < JOB_CACHE; i++)
    if (job_cache[i].desc && job_cache[i].len == len && memcmp(job_cache[i].desc, desc, len) == 0)
      return &job_cache[i];
  return NULL;
}

/* Insert (taking p when owned). Returns the entry (refs incremented) or NULL
 * when every slot is in use. */
static struct job_entry *job_insert(const char *desc, size_t len, struct planned *p, int owned) {
  struct job_entry *slot = NULL;
  for (int i = 0; i < JOB_CACHE; i++) {
    struct job_entry *c = &job_cache[i];
    if (!c->desc) {
      slot = c;
      break;
    }
    if (c->refs == 0 && (!slot || c->stamp < slot->stamp)) slot = c;
  }
  if (!slot) return NULL;
  if (slot->desc) {
    if (slot->owned) planned_free(slot->p);
    free(slot->desc);
  }
  slot->desc = malloc(len ? len : 1);
  if (!slot->desc) {
    memset(slot, 0, sizeof *slot);
    return NULL;
  }
  memcpy(slot->desc, desc, len);
  slot->len = len;
  slot->p = p;
  slot->owned = owned;
  slot->refs = 1;
  slot->stamp = ++job_clock;
  return slot;
}

static void job_release(struct job_entry *en, int drop) {
  pthread_mutex_lock(&job_lock);
  en->refs--;
  if (drop && en->refs == 0) {
    if (en->owned) planned_free(en->p);
    free(en->desc);
    memset(en, 0, sizeof *en);
  }
  pthread_mutex_unlock(&job_lock);
}

/* ---- job descriptions ---- */

static json_t *value_json(const struct value *v) {
  json_t *o = json_object();
  json_object_set_new(o, "t", json_integer(v->type.id));
  json_object_set_new(o, "p", json_integer(v->type.precision));
  json_object_set_new(o, "s", json_integer(v->type.scale));
  json_object_set_new(o, "null", json_boolean(v->is_null));
  json_object_set_new(o, "i", json_integer(v->i));
  json_object_set_new(o, "d", json_real(v->d));
  if (v->type.id == TYPE_STRING && !v->is_null)
    json_object_set_new(o, "str", json_stringn(v->s ? v->s : "", v->len));
  return o;
}

static int value_from_json(json_t *o, struct plan_ctx *ctx, struct value *v) {
  memset(v, 0, sizeof *v);
  v->type.id = (enum type_id)json_integer_value(json_object_get(o, "t"));
  v->type.precision = (uint8_t)json_integer_value(json_object_get(o, "p"));
  v->type.scale = (uint8_t)json_integer_value(json_object_get(o, "s"));
  v->is_null = json_is_true(json_object_get(o, "null"));
  v->i = json_integer_value(json_object_get(o, "i"));
  v->d = json_real_value(json_object_get(o, "d"));
  json_t *s = json_object_get(o, "str");
  if (s) {
    size_t n = json_string_length(s);
    char *c = plan_alloc(ctx, n + 1);
    if (!c) return ERR_NOMEM;
    memcpy(c, json_string_value(s), n);
    v->s = c;
    v->len = (uint32_t)n;
  }
  return 0;
}

/* Planning-relevant configuration goes into every job description. */
static const char *const plan_keys[] = {"spark.sql.shuffle.partitions",
                                        "spark.sql.autoBroadcastJoinThreshold",
                                        "spark.sql.files.maxPartitionBytes",
                                        "spark.default.parallelism",
                                        "spark.sql.ansi.enabled"};

static char *make_desc(const struct engine *en, const char *sql, size_t len,
                       const struct scalars *s, int target, const struct planned *w,
                       size_t *out_len) {
  json_t *o = json_object();
  json_object_set_new(o, "sql", json_stringn(sql, len));
  struct buf cb;
  buf_init(&cb, BUF_UNLIMITED);
  catalog_to_json(en->cat, &cb);
  json_object_set_new(o, "catalog", json_stringn(cb.data ? cb.data : "", cb.len));
  buf_fini(&cb);
  json_t *conf = json_object();
  for (size_t i = 0; i < sizeof plan_keys / sizeof *plan_keys; i++) {
    const char *v = conf_get(&en->conf, plan_keys[i]);
    if (v) json_object_set_new(conf, plan_keys[i], json_string(v));
  }
  json_object_set_new(o, "conf", conf);
  json_object_set_new(o, "slots", json_integer(task_slots(en)));
  json_t *vals = json_array();
  for (int i = 0; s && i < s->nvals; i++) json_array_append_new(vals, value_json(&s->vals[i]));
  json_object_set_new(o, "scalars", vals);
  json_object_set_new(o, "target", json_integer(target));
  if (w && w->write_dir) {
    json_t *wo = json_object();
    json_object_set_new(wo, "dir", json_string(w->write_dir));
    json_object_set_new(wo, "format", json_string(w->write_format));
    json_t *opts = json_object();
    for (int i = 0; i < w->nwrite_opts; i++)
      json_object_set_new(opts, w->write_opts[i].key, json_string(w->write_opts[i].value));
    json_object_set_new(wo, "options", opts);
    json_object_set_new(o, "write", wo);
  }
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (text) *out_len = strlen(text);
  return text;
}

/* Executor side: prepare the job a description names. */
static int prepare_desc(const char *desc, size_t len, struct planned **out, struct err *e) {
  json_error_t je;
  json_t *o = json_loadb(desc, len, 0, &je);
  if (!o) return err_set(e, ERR_PARSE, "bad job description: %s", je.text);
  json_t *sql = json_object_get(o, "sql"), *cat = json_object_get(o, "catalog");
  int rc = 0;
  struct catalog *c = NULL;
  if (!json_is_string(sql) || !json_is_string(cat))
    rc = err_set(e, ERR_PARSE, "bad job description: sql/catalog missing");
  if (!rc) rc = catalog_from_json(json_string_value(cat), json_string_length(cat), &c, e);
  struct conf conf = {0};
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(o, "conf"), k, v) {
    if (!rc && json_is_string(v) && conf_set(&conf, k, json_string_value(v))) rc = ERR_NOMEM;
  }
  struct physical_conf pc;
  physical_settings(&conf, (int)json_integer_value(json_object_get(o, "slots")), &pc);
  conf_fini(&conf);
  struct scalars s;
  memset(&s, 0, sizeof s);
  s.target = (int)json_integer_value(json_object_get(o, "target"));
  struct plan_ctx *vctx = plan_ctx_new();
  json_t *vals = json_object_get(o, "scalars");
  size_t nv = json_array_size(vals);
  if (!vctx) rc = ERR_NOMEM;
  if (!rc && nv) {
    s.vals = calloc(nv, sizeof *s.vals);
    if (!s.vals) rc = ERR_NOMEM;
    for (size_t i = 0; i < nv && !rc; i++) rc = value_from_json(json_array_get(vals, i), vctx, &s.vals[i]);
    s.nvals = (int)nv;
  }
  struct planned *p = NULL;
  if (!rc) rc = prepare(c, json_string_value(sql), json_string_length(sql), &pc, &s, 1, &p, e);
  if (!rc) {
    p->own_cat = 1;
    c = NULL;
    json_t *w = json_object_get(o, "write");
    if (w) {
      p->write_dir = strdup(json_string_value(json_object_get(w, "dir")));
      p->write_format = strdup(json_string_value(json_object_get(w, "format")));
      json_t *opts = json_object_get(w, "options");
      p->write_opts = calloc(json_object_size(opts) + 1, sizeof *p->write_opts);
      json_object_foreach(opts, k, v) {
        p->write_opts[p->nwrite_opts].key = strdup(k);
        p->write_opts[p->nwrite_opts].value = strdup(json_string_value(v));
        p->nwrite_opts++;
      }
    }
    /* String scalars live in vctx: keep it with the plan. */
    p->scalars = s.vals;
    s.vals = NULL;
    p->nscalars = s.nvals;
  }
  if (rc == ERR_NOMEM && !e->code) err_set(e, ERR_NOMEM, "out of memory");
  free(s.vals);
  if (p) {
    /* String scalars point into vctx: it lives as long as the plan. */
    p->vctx = vctx;
    vctx = NULL;
  }
  plan_ctx_free(vctx);
  catalog_free(c);
  json_decref(o);
  *out = rc ? NULL : p;
  return rc;
}

/* ---- writing files (CREATE TABLE AS SELECT, INSERT OVERWRITE DIRECTORY) ---- */

static int csv_field(struct buf *o, const char *p, size_t n) {
  int quote = n == 0;
  for (size_t i = 0; i < n && !quote; i++)
    quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
  if (!quote) return buf_append(o, p, n);
  int rc = buf_putc(o, '"');
  for (size_t i = 0; i < n && !rc; i++) rc = p[i] == '"' ? buf_puts(o, "\"\"") : buf_putc(o, p[i]);
  return rc ? rc : buf_putc(o, '"');
}

static int json_field(struct buf *o, const struct vector *v, uint32_t r, struct buf *tmp) {
  if (vector_is_null(v, r)) return buf_puts(o, "null");
  switch (v->type.id) {
  case TYPE_ARRAY: return array_format_json(vector_sv(v)[r], v->type, o); /* a JSON array */
  case TYPE_BOOLEAN: case TYPE_INT: case TYPE_BIGINT: case TYPE_DOUBLE: case TYPE_DECIMAL: {
    buf_reset(tmp);
    int rc = vector_to_text(v, r, tmp);
    if (rc) return rc;
    if (v->type.id == TYPE_DOUBLE && tmp->data &&
        (strchr(tmp->data, 'N') || strchr(tmp->data, 'I')))
      return buf_printf(o, "\"%s\"", tmp->data);
    return buf_append(o, tmp->data ? tmp->data : "", tmp->len);
  }
  default: {
    buf_reset(tmp);
    int rc = vector_to_text(v, r, tmp);
    if (rc) return rc;
    json_t *s = json_stringn(tmp->data ? tmp->data : "", tmp->len);
    char *t = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    if (!t) return ERR_NOMEM;
    rc = buf_puts(o, t);
    free(t);
    return rc;
  }
  }
}

/* Rows of b as CSV or JSON lines, appended to out. */
static int format_rows(const struct batch *b, const int *cols, int ncols,
                       const struct plan_col *names, int json, int keep_nulls, struct buf *out) {
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  int rc = 0;
  for (uint32_t r = 0; r < b->nrows && !rc; r++) {
    if (json) rc = buf_putc(out, '{');
    for (int c = 0; c < ncols && !rc; c++) {
      const struct vector *v = &b->cols[cols[c]];
      if (json) {
        if (vector_is_null(v, r) && !keep_nulls) continue; /* Spark's writer omits nulls */
        if (out->len && out->data[out->len - 1] != '{') rc = buf_putc(out, ',');
        json_t *k = json_string(names[c].name ? names[c].name : "");
        char *kt = json_dumps(k, JSON_ENCODE_ANY);
        json_decref(k);
        if (!kt) rc = ERR_NOMEM;
        if (!rc) rc = buf_puts(out, kt);
        free(kt);
        if (!rc) rc = buf_putc(out, ':');
        if (!rc) rc = json_field(out, v, r, &tmp);
      } else {
        if (c) rc = buf_putc(out, ',');
        if (rc || vector_is_null(v, r)) continue;
        buf_reset(&tmp);
        rc = vector_to_text(v, r, &tmp);
        if (!rc) rc = csv_field(out, tmp.data ? tmp.data : "", tmp.len);
      }
    }
    if (!rc) rc = buf_puts(out, json ? "}\n" : "\n");
  }
  buf_fini(&tmp);
  return rc;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One task's part file: written under _temporary and renamed into the job
 * staging directory when complete, so a failed attempt leaves nothing. */
static int write_part(struct planned *p, struct op *root, struct cluster_task *t, struct err *err) {
  int json = strcmp(p->write_format, "json") == 0;
  const struct pplan *pp = p->pp;
  char tmpdir[4096], tmp[4200], final[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/_temporary", p->write_dir);
  mkdir(tmpdir, 0777);
  snprintf(tmp, sizeof tmp, "%s/attempt-%05d-%d.tmp", tmpdir, t->task, t->attempt);
  snprintf(final, sizeof final, "%s/part-%05d.%s", p->write_dir, t->task, json ? "json" : "csv");
  FILE *f = fopen(tmp, "w");
  if (!f) return err_set(err, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  struct buf out;
  buf_init(&out, BUF_UNLIMITED);
  int rc = 0;
  const char *hdr = readopt_get(p->write_opts, p->nwrite_opts, "header");
  if (!json && hdr && strcasecmp(hdr, "true") == 0) {
    for (int c = 0; c < pp->nresult && !rc; c++) {
      if (c) rc = buf_putc(&out, ',');
      const char *n = p->plan->cols[c].name ? p->plan->cols[c].name : "";
      if (!rc) rc = csv_field(&out, n, strlen(n));
    }
    if (!rc) rc = buf_putc(&out, '\n');
  }
  struct batch *b;
  int got;
  while (!rc && (got = op_next(root, &b, err)) == 1) {
    rc = format_rows(b, pp->result_cols, pp->nresult, p->plan->cols, json, 0, &out);
    if (!rc && out.len > (1 << 20)) {
      if (write_all(fileno(f), out.data, out.len)) rc = err_set(err, ERR_IO, "write failed: %s", tmp);
      buf_reset(&out);
    }
  }
  if (!rc && got < 0) rc = got;
  if (!rc && out.len && write_all(fileno(f), out.data, out.len))
    rc = err_set(err, ERR_IO, "write failed: %s", tmp);
  buf_fini(&out);
  if (fclose(f) && !rc) rc = err_set(err, ERR_IO, "write failed: %s", tmp);
  if (!rc && rename(tmp, final)) rc = err_set(err, ERR_IO, "cannot commit %s: %s", final, strerror(errno));
  if (rc) unlink(tmp);
  return rc;
}

/* ---- running a task (on an executor, or a driver thread) ---- */

static int run_task(struct planned *p, struct cluster_task *t, struct cluster_task_io *io,
                    struct err *err) {
  struct ptask_inputs in = {t->ninputs, t->input_stage, t->inputs, t->ninput_files, t->part_lo,
                            t->part_hi};
  const struct pstage *st = &p->pp->stages[t->stage];
  t->ctx->joins = p->joins;
  struct op *root = physical_build(p->pp, t->stage, t->task, &in, t->ctx, err);
  if (!root) return err->code ? err->code : ERR_NOMEM;
  int rc = 0, got;
  struct batch *b;
  if (st->nparts_out > 0) {
    struct shuffle_writer *w;
    rc = shuffle_writer_open(&w, t->ctx, t->shuffle_dir, t->shuffle_name, st->nparts_out,
                             st->key_cols, st->nkeys, err);
    while (!rc && (got = op_next(root, &b, err)) == 1) rc = shuffle_writer_add(w, b, err);
    if (!rc && got < 0) rc = got;
    if (rc) {
      shuffle_writer_abort(w);
    } else {
      int64_t *bytes = calloc((size_t)st->nparts_out, sizeof *bytes);
      int64_t *rows = calloc((size_t)st->nparts_out, sizeof *rows);
      char *path = NULL;
      if (!bytes || !rows) {
        shuffle_writer_abort(w);
        rc = err_set(err, ERR_NOMEM, "out of memory");
      } else {
        rc = shuffle_writer_commit(w, bytes, rows, &path, err);
      }
      if (!rc) rc = io->map_output(io, path, bytes, rows, st->nparts_out);
      free(path);
      free(bytes);
      free(rows);
    }
  } else if (p->write_dir) {
    rc = write_part(p, root, t, err);
  } else {
    while (!rc && (got = op_next(root, &b, err)) == 1) rc = io->emit(io, b, err);
    if (!rc && got < 0) rc = got;
  }
  op_close(root);
  return rc;
}

static int cluster_task(void *arg, struct cluster_task *t, struct cluster_task_io *io,
                        struct err *err) {
  (void)arg;
  pthread_mutex_lock(&job_lock);
  struct job_entry *je = job_find(t->job, t->job_len);
  if (je) je->refs++;
  pthread_mutex_unlock(&job_lock);
  if (!je) {
    struct planned *p;
    int rc = prepare_desc(t->job, t->job_len, &p, err);
    if (rc) return rc;
    pthread_mutex_lock(&job_lock);
    je = job_find(t->job, t->job_len);
    if (je) {
      je->refs++;
      planned_free(p);
    } else {
      je = job_insert(t->job, t->job_len, p, 1);
      if (!je) planned_free(p);
    }
    pthread_mutex_unlock(&job_lock);
    if (!je) return err_set(err, ERR_NOMEM, "too many concurrent jobs on this executor");
  }
  int rc = run_task(je->p, t, io, err);
  job_release(je, 0);
  return rc;
}

/* ---- running a job from the driver ---- */

struct collect {
  struct batch **b;
  int n, cap;
  int64_t rows;
  const struct engine_callbacks *cb;
  const struct pplan *pp;
  int64_t t0_us;
  struct engine *en;
  int killed;
};

/* Elapsed times come from the monotonic clock: the wall clock may jump. */
static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int collect_push(struct collect *c, struct batch *b) {
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    struct batch **nb = realloc(c->b, sizeof *nb * (size_t)cap);
    if (!nb) {
      batch_free(b);
      return ERR_NOMEM;
    }
    c->b = nb;
    c->cap = cap;
  }
  c->b[c->n++] = b;
  c->rows += b->nrows;
  return 0;
}

static void collect_fini(struct collect *c) {
  for (int i = 0; i < c->n; i++) batch_free(c->b[i]);
  free(c->b);
  memset(c, 0, sizeof *c);
}

static int on_result(void *arg, int task, struct batch *b) {
  (void)task;
  return collect_push(arg, b);
}

static void on_progress(void *arg, const struct cluster_stage_progress *p) {
  struct collect *c = arg;
  if (c->en->kill_index >= 0 && !c->killed &&
      (now_us() - c->t0_us) / 1000 >= c->en->kill_delay_ms) {
    c->killed = 1;
    cluster_kill_executor(c->en->cluster, c->en->kill_index, SIGKILL);
    c->en->kill_index = -1;
  }
  if (!c->cb || !c->cb->progress) return;
  struct engine_progress ep = {c->pp->stages[p->stage].name, p->stage, c->pp->nstages,
                               p->done, p->running, p->ntasks, p->rows, p->spill_bytes,
                               (double)(now_us() - c->t0_us) / 1000.0};
  c->cb->progress(c->cb->arg, &ep);
}

static void on_event(void *arg, const char *msg) {
  struct collect *c = arg;
  if (c->cb && c->cb->event) c->cb->event(c->cb->arg, msg);
}

static int has_scan(const struct pnode *n) {
  if (n->kind == P_SCAN || n->kind == P_EXCHANGE) return 1;
  for (int i = 0; i < n->nchild; i++)
    if (has_scan(n->child[i])) return 1;
  return 0;
}

/* Copy an operator's batch (valid only until its next call). */
static struct batch *copy_batch(const struct batch *b) {
  struct type *types = malloc(sizeof *types * (size_t)(b->ncols ? b->ncols : 1));
  if (!types) return NULL;
  batch_types(b, types);
  struct batch *c = batch_new(types, b->ncols, b->nrows ? b->nrows : 1, ARENA_UNLIMITED);
  free(types);
  if (c && batch_append_rows(c, b, NULL, b->nrows)) {
    batch_free(c);
    c = NULL;
  }
  return c;
}

/* Queries that read nothing (SELECT 1, VALUES) run in the driver. */
static int run_in_driver(struct engine *en, struct planned *p, struct collect *out, struct err *e) {
  struct mem_budget mem;
  mem_budget_init(&mem, 0);
  struct task_ctx t;
  memset(&t, 0, sizeof t);
  t.mem = &mem;
  t.spill_dir = "/tmp";
  t.cancel = &en->cancelled;
  mem_task_begin(&mem);
  struct op *root = physical_build(p->pp, 0, 0, NULL, &t, e);
  int rc = root ? 0 : (e->code ? e->code : ERR_NOMEM), got = 0;
  struct batch *b;
  while (!rc && (got = op_next(root, &b, e)) == 1) {
    struct batch *c = copy_batch(b);
    rc = c ? collect_push(out, c) : err_set(e, ERR_NOMEM, "out of memory");
  }
  if (!rc && got < 0) rc = got;
  op_close(root);
  mem_task_end(&mem);
  return rc;
}

static int run_planned(struct engine *en, struct planned *p, const char *desc, size_t dlen,
                       const struct engine_callbacks *cb, struct collect *out, struct err *e) {
  out->cb = cb;
  out->pp = p->pp;
  out->en = en;
  out->t0_us = now_us();
  if (p->pp->nstages == 1 && !has_scan(p->pp->stages[0].root) && !p->write_dir)
    return run_in_driver(en, p, out, e);
  int rc = ensure_cluster(en, e);
  if (rc) return rc;
  struct cluster_stage *cs = calloc((size_t)p->pp->nstages, sizeof *cs);
  if (!cs) return err_set(e, ERR_NOMEM, "out of memory");
  for (int i = 0; i < p->pp->nstages; i++) {
    const struct pstage *s = &p->pp->stages[i];
    cs[i].ntasks = s->ntasks;
    cs[i].nparts_out = s->nparts_out;
    cs[i].parents = s->parents;
    cs[i].nparents = s->nparents;
    cs[i].coalesce = s->coalesce;
    cs[i].name = s->name;
  }
  pthread_mutex_lock(&job_lock);
  struct job_entry *je = job_insert(desc, dlen, p, 0);
  pthread_mutex_unlock(&job_lock);
  if (!je) {
    free(cs);
    return err_set(e, ERR_NOMEM, "job cache full");
  }
  struct cluster_job job = {desc, dlen, cs, p->pp->nstages};
  struct cluster_callbacks ccb = {on_progress, on_result, on_event, out};
  rc = cluster_run_job(en->cluster, &job, &ccb, e);
  job_release(je, 1);
  free(cs);
  return rc;
}

/* The driver's scalar subquery runner. */
struct sub_run {
  struct engine *en;
  const char *sql;
  size_t len;
  const struct physical_conf *pc;
  struct scalars *s;
  const struct engine_callbacks *cb;
};

static int run_scalar(void *arg, struct plan_ctx *ctx, struct plan *sub, struct value *out,
                      struct err *e) {
  struct sub_run *r = arg;
  /* Executors re-plan the statement and stop at this subquery. */
  size_t dlen = 0;
  char *desc = make_desc(r->en, r->sql, r->len, r->s, r->s->next - 1, NULL, &dlen);
  if (!desc) return err_set(e, ERR_NOMEM, "out of memory");
  struct planned p;
  memset(&p, 0, sizeof p);
  p.ctx = ctx;
  p.plan = sub;
  p.pc = *r->pc;
  int rc = physical_plan(ctx, sub, r->pc, &p.pp, e);
  struct collect c;
  memset(&c, 0, sizeof c);
  if (!rc) rc = run_planned(r->en, &p, desc, dlen, r->cb, &c, e);
  free(desc);
  memset(out, 0, sizeof *out);
  out->type = sub->ncols ? sub->cols[0].type : (struct type){TYPE_NULL, 0, 0};
  out->is_null = 1;
  if (!rc && c.rows > 1)
    rc = err_set(e, ERR_SQL, "[SCALAR_SUBQUERY_TOO_MANY_ROWS] More than one row returned by a "
                             "subquery used as an expression.");
  if (!rc && c.rows == 1) {
    for (int i = 0; i < c.n; i++) {
      if (!c.b[i]->nrows) continue;
      const struct vector *v = &c.b[i]->cols[p.pp->result_cols[0]];
      if (vector_is_null(v, 0)) break;
      out->is_null = 0;
      switch (v->type.id) {
      case TYPE_BOOLEAN: out->i = vector_u8(v)[0]; break;
      case TYPE_INT: case TYPE_DATE: out->i = vector_i32(v)[0]; break;
      case TYPE_BIGINT: case TYPE_DECIMAL: case TYPE_TIMESTAMP: out->i = vector_i64(v)[0]; break;
      case TYPE_DOUBLE: out->d = vector_f64(v)[0]; break;
      case TYPE_STRING: {
        struct sv s = vector_sv(v)[0];
        char *d = plan_alloc(ctx, s.len + 1);
        if (!d) {
          rc = err_set(e, ERR_NOMEM, "out of memory");
          break;
        }
        memcpy(d, s.ptr, s.len);
        out->s = d;
        out->len = s.len;
        break;
      }
      default: out->is_null = 1; break;
      }
      break;
    }
  }
  if (rc == ERR_SQL) err_set_ename(e, "SparkException");
  collect_fini(&c);
  return rc;
}

/* ---- results ---- */

static struct engine_result *result_new(const char *stmt, size_t len) {
  struct engine_result *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  schema_init(&r->schema);
  r->statement = strndup(stmt, len);
  return r;
}

void engine_result_free(struct engine_result *r) {
  if (!r) return;
  schema_fini(&r->schema);
  for (int i = 0; i < r->nbatches; i++) batch_free(r->batches[i]);
  free(r->batches);
  free(r->statement);
  free(r);
}

/* Move the collected batches into r, keeping only the result columns. */
static int result_take(struct engine_result *r, struct collect *c, const int *cols, int ncols) {
  r->batches = calloc((size_t)(c->n ? c->n : 1), sizeof *r->batches);
  if (!r->batches) return ERR_NOMEM;
  struct type *types = calloc((size_t)(ncols ? ncols : 1), sizeof *types);
  struct vector *view = calloc((size_t)(ncols ? ncols : 1), sizeof *view);
  if (!types || !view) {
    free(types);
    free(view);
    return ERR_NOMEM;
  }
  int rc = 0;
  for (int i = 0; i < c->n && !rc; i++) {
    struct batch *b = c->b[i];
    int identity = b->ncols == ncols;
    for (int k = 0; k < ncols && identity; k++) identity = cols[k] == k;
    if (identity) {
      r->batches[r->nbatches++] = b;
      c->b[i] = NULL;
    } else {
      for (int k = 0; k < ncols; k++) {
        view[k] = b->cols[cols[k]];
        types[k] = view[k].type;
      }
      struct batch vb = *b;
      vb.ncols = ncols;
      vb.cols = view;
      struct batch *nb = batch_new(types, ncols, b->nrows ? b->nrows : 1, ARENA_UNLIMITED);
      if (!nb || batch_append_rows(nb, &vb, NULL, b->nrows)) {
        batch_free(nb);
        rc = ERR_NOMEM;
        break;
      }
      r->batches[r->nbatches++] = nb;
    }
    r->nrows += r->batches[r->nbatches - 1]->nrows;
  }
  free(types);
  free(view);
  return rc;
}

/* A driver-built result of string columns. */
struct rows {
  struct engine_result *r;
  struct batch *b;
};

static int rows_init(struct rows *w, struct engine_result *r, const char *const *names, int n) {
  w->r = r;
  struct type t[8];
  for (int i = 0; i < n; i++) {
    t[i] = (struct type){TYPE_STRING, 0, 0};
    if (schema_add(&r->schema, names[i], t[i], 1) < 0) return ERR_NOMEM;
  }
  w->b = batch_new(t, n, 4096, ARENA_UNLIMITED);
  return w->b ? 0 : ERR_NOMEM;
}

static int rows_add(struct rows *w, const char *const *vals) {
  if (w->b->nrows == w->b->capacity) return ERR_TOOBIG;
  for (int i = 0; i < w->b->ncols; i++) {
    int rc = vals[i] ? vector_append_str(&w->b->cols[i], vals[i], strlen(vals[i]))
                     : vector_append_null(&w->b->cols[i]);
    if (rc) return rc;
  }
  w->b->nrows++;
  return 0;
}

static int rows_done(struct rows *w) {
  w->r->batches = calloc(1, sizeof *w->r->batches);
  if (!w->r->batches) {
    batch_free(w->b);
    return ERR_NOMEM;
  }
  batch_set_rows(w->b, w->b->nrows);
  w->r->batches[0] = w->b;
  w->r->nbatches = 1;
  w->r->nrows = w->b->nrows;
  return 0;
}

/* ---- statements ---- */

struct stmt_ctx {
  struct engine *en;
  const char *text; /* the statement's text */
  size_t len;
  const struct engine_callbacks *cb;
  struct engine_result *r;
  struct err *e;
};

/* Prepare and run the query of the statement (with an optional write). */
static int run_query(struct stmt_ctx *sc, const char *write_dir, const char *write_format,
                     const struct ast_option *wopts, int nwopts, struct schema *schema_out) {
  struct engine *en = sc->en;
  struct physical_conf pc;
  physical_settings(&en->conf, task_slots(en), &pc);
  struct scalars s;
  memset(&s, 0, sizeof s);
  s.target = -1;
  struct sub_run sr = {en, sc->text, sc->len, &pc, &s, sc->cb};
  s.run = run_scalar;
  s.arg = &sr;
  struct planned *p = NULL;
  int rc = prepare(en->cat, sc->text, sc->len, &pc, &s, 1, &p, sc->e);
  if (!rc && write_dir) {
    p->write_dir = strdup(write_dir);
    p->write_format = strdup(write_format);
    p->write_opts = calloc((size_t)nwopts + 1, sizeof *p->write_opts);
    if (!p->write_dir || !p->write_format || !p->write_opts) rc = err_set(sc->e, ERR_NOMEM, "out of memory");
    for (int i = 0; i < nwopts && !rc; i++) {
      p->write_opts[i].key = strdup(wopts[i].key);
      p->write_opts[i].value = strdup(wopts[i].value);
      p->nwrite_opts++;
    }
  }
  size_t dlen = 0;
  char *desc = NULL;
  if (!rc && !(desc = make_desc(en, sc->text, sc->len, &s, -1, p, &dlen)))
    rc = err_set(sc->e, ERR_NOMEM, "out of memory");
  struct collect c;
  memset(&c, 0, sizeof c);
  if (!rc) rc = run_planned(en, p, desc, dlen, sc->cb, &c, sc->e);
  if (!rc && !write_dir) {
    rc = analyzer_plan_schema(p->plan, &sc->r->schema);
    if (!rc) rc = result_take(sc->r, &c, p->pp->result_cols, p->pp->nresult);
  }
  if (!rc && schema_out) rc = analyzer_plan_schema(p->plan, schema_out);
  collect_fini(&c);
  free(desc);
  free(s.vals);
  planned_free(p);
  return rc;
}

/* Commit a written directory: staging -> final, with _SUCCESS. */
static int commit_dir(const char *staging, const char *final, struct err *e) {
  char tmp[4400];
  snprintf(tmp, sizeof tmp, "%s/_temporary", staging);
  fs_rmtree(tmp);
  snprintf(tmp, sizeof tmp, "%s/_SUCCESS", staging);
  FILE *f = fopen(tmp, "w");
  if (!f) return err_set(e, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  fclose(f);
  char old[4400];
  snprintf(old, sizeof old, "%s.old-%d", final, (int)getpid());
  int had = rename(final, old) == 0;
  if (rename(staging, final)) {
    if (had) rename(old, final);
    return err_set(e, ERR_IO, "cannot move the output into %s: %s", final, strerror(errno));
  }
  if (had) fs_rmtree(old);
  return 0;
}

static int write_query(struct stmt_ctx *sc, const char *path, const char *format,
                       const struct ast_option *opts, int nopts, struct schema *schema_out) {
  if (!format) format = "csv";
  if (strcasecmp(format, "csv") && strcasecmp(format, "json"))
    return err_set(sc->e, ERR_UNSUPPORTED,
                   "Writing format '%s' is not supported by the local engine: use csv or json",
                   format);
  char staging[4200];
  snprintf(staging, sizeof staging, "%s.staging-%d", path, (int)getpid());
  fs_rmtree(staging);
  /* Parent directories as Hadoop's output committer creates them. */
  char parent[4200];
  snprintf(parent, sizeof parent, "%s", staging);
  for (char *q = parent + 1; *q; q++)
    if (*q == '/') {
      *q = 0;
      mkdir(parent, 0777);
      *q = '/';
    }
  if (mkdir(staging, 0777))
    return err_set(sc->e, ERR_IO, "cannot create %s: %s", staging, strerror(errno));
  char lower[8];
  snprintf(lower, sizeof lower, "%s", strcasecmp(format, "json") ? "csv" : "json");
  int rc = run_query(sc, staging, lower, opts, nopts, schema_out);
  if (!rc) rc = commit_dir(staging, path, sc->e);
  if (rc) fs_rmtree(staging);
  return rc;
}

static int stmt_ctas(struct stmt_ctx *sc, const struct ast_stmt *st) {
  const char *name = st->u.table.name.parts[st->u.table.name.n - 1];
  if (catalog_lookup(sc->en->cat, name)) {
    if (st->u.table.if_not_exists) return 0;
    if (!st->u.table.or_replace)
      return err_set(sc->e, ERR_SQL,
                     "[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view `%s` because it "
                     "already exists.",
                     name);
  }
  const char *wh = conf_get(&sc->en->conf, "spark.sql.warehouse.dir");
  char path[4200];
  if (st->u.table.location)
    snprintf(path, sizeof path, "%s", st->u.table.location);
  else
    snprintf(path, sizeof path, "%s/%s", wh ? wh : "spark-warehouse", name);
  const char *fmt = st->u.table.format ? st->u.table.format : "csv";
  /* Written with a header so the table reads its own column names back. */
  struct ast_option *opts = calloc((size_t)st->u.table.noptions + 1, sizeof *opts);
  if (!opts) return err_set(sc->e, ERR_NOMEM, "out of memory");
  int n = 0, has_header = 0;
  for (int i = 0; i < st->u.table.noptions; i++) {
    opts[n++] = st->u.table.options[i];
    if (!strcasecmp(opts[n - 1].key, "header")) has_header = 1;
  }
  if (!has_header) opts[n++] = (struct ast_option){(char *)"header", (char *)"true", {0, 0, 0, 0}};
  struct schema schema;
  schema_init(&schema);
  int rc = write_query(sc, path, fmt, opts, n, &schema);
  if (!rc) {
    struct readopt_kv *kv = calloc((size_t)n + 1, sizeof *kv);
    if (!kv) rc = err_set(sc->e, ERR_NOMEM, "out of memory");
    for (int i = 0; kv && i < n; i++) kv[i] = (struct readopt_kv){opts[i].key, opts[i].value};
    if (kv) {
      struct catalog_file_spec spec = {name, fmt, kv, n, path, &schema, NULL, 0};
      rc = catalog_create_file(sc->en->cat, &spec, CATALOG_OR_REPLACE, sc->e);
    }
    free(kv);
  }
  schema_fini(&schema);
  free(opts);
  return rc;
}

/* Point e at (line, col) of the script, as a position within statement st
 * (the caller of run_stmt makes it the script's again). */
static void err_at_stmt(struct err *e, const struct ast_stmt *st, int line, int col) {
  e->line = line - st->pos.line + 1;
  e->column = line == st->pos.line ? col - st->pos.column + 1 : col;
}

/* Plan the query of EXPLAIN or DESCRIBE QUERY (inner, part of st) without
 * running anything: scalar subqueries stay in the plan. physical: also plan
 * stages. *out: new. An error points into st. */
static int prepare_inner(struct stmt_ctx *sc, const struct ast_stmt *st,
                         const struct ast_stmt *inner, int physical, struct planned **out) {
  struct engine *en = sc->en;
  struct physical_conf pc;
  physical_settings(&en->conf, task_slots(en), &pc);
  struct scalars s;
  memset(&s, 0, sizeof s);
  s.target = -1;
  s.keep = 1;
  /* Re-parse only the inner statement's text. */
  const char *it = sc->text + (inner->pos.offset - st->pos.offset);
  int rc = prepare(en->cat, it, inner->pos.length, &pc, &s, physical, out, sc->e);
  if (rc && sc->e->line > 0) {
    /* The position is the inner query's. */
    int line = inner->pos.line + sc->e->line - 1;
    err_at_stmt(sc->e, st, line,
                sc->e->line == 1 ? inner->pos.column + sc->e->column - 1 : sc->e->column);
  }
  return rc;
}

static int stmt_explain(struct stmt_ctx *sc, const struct ast_stmt *st) {
  const struct ast_stmt *inner = st->u.explain.stmt;
  if (!inner || !stmt_query(inner))
    return err_set(sc->e, ERR_UNSUPPORTED, "EXPLAIN supports queries only");
  struct planned *p = NULL;
  int rc = prepare_inner(sc, st, inner, 1, &p);
  struct buf out;
  buf_init(&out, BUF_UNLIMITED);
  if (!rc && st->u.explain.mode != AST_EXPLAIN_SIMPLE) {
    rc = buf_puts(&out, "== Optimized Logical Plan ==\n");
    if (!rc) rc = plan_dump(p->plan, p->ctx, &out);
    if (!rc) rc = buf_putc(&out, '\n');
  }
  if (!rc) rc = buf_puts(&out, "== Physical Plan ==\n");
  if (!rc) rc = physical_dump(p->pp, p->ctx, &out);
  if (!rc) {
    struct rows w;
    const char *names[] = {"plan"};
    const char *vals[] = {out.data ? out.data : ""};
    rc = rows_init(&w, sc->r, names, 1);
    if (!rc) rc = rows_add(&w, vals);
    if (!rc) rc = rows_done(&w);
  }
  buf_fini(&out);
  planned_free(p);
  return rc;
}

static int stmt_show_tables(struct stmt_ctx *sc, const struct ast_stmt *st) {
  struct rows w;
  const char *names[] = {"namespace", "tableName", "isTemporary"};
  int rc = rows_init(&w, sc->r, names, 3);
  for (int i = 0; !rc && i < catalog_count(sc->en->cat); i++) {
    const struct catalog_entry *en = catalog_at(sc->en->cat, i);
    if (st->u.show_tables.pattern && !catalog_pattern_match(st->u.show_tables.pattern, en->name))
      continue;
    const char *vals[] = {catalog_entry_namespace(en), en->name, en->temporary ? "true" : "false"};
    rc = rows_add(&w, vals);
  }
  if (!rc) rc = rows_done(&w);
  else batch_free(w.b);
  return rc;
}

/* DESCRIBE QUERY q: q's output columns, as DESCRIBE lists a table's. */
static int stmt_describe_query(struct stmt_ctx *sc, const struct ast_stmt *st) {
  struct planned *p = NULL;
  int rc = prepare_inner(sc, st, st->u.describe.query, 0, &p);
  if (rc) return rc;
  struct schema sch;
  memset(&sch, 0, sizeof sch);
  rc = analyzer_plan_schema(p->plan, &sch);
  struct rows w;
  memset(&w, 0, sizeof w);
  const char *names[] = {"col_name", "data_type", "comment"};
  if (!rc) rc = rows_init(&w, sc->r, names, 3);
  for (int i = 0; i < sch.ncols && !rc; i++) {
    char tmp[64];
    const char *vals[] = {sch.cols[i].name, schema_type_name(sch.cols[i].type, tmp), NULL};
    rc = rows_add(&w, vals);
  }
  if (!rc) rc = rows_done(&w);
  else if (w.b) batch_free(w.b);
  schema_fini(&sch);
  planned_free(p);
  return rc;
}

static int stmt_describe(struct stmt_ctx *sc, const struct ast_stmt *st) {
  if (st->u.describe.query) return stmt_describe_query(sc, st);
  const struct ast_name *nm = &st->u.describe.name;
  struct catalog_desc_row *rows = NULL;
  int n = 0;
  int rc = catalog_describe(sc->en->cat, nm->parts[nm->n - 1], &rows, &n, sc->e);
  if (rc) {
    if (!sc->e->line) err_at_stmt(sc->e, st, nm->pos.line, nm->pos.column);
    return rc;
  }
  struct rows w;
  const char *names[] = {"col_name", "data_type", "comment"};
  rc = rows_init(&w, sc->r, names, 3);
  for (int i = 0; i < n && !rc; i++) {
    const char *vals[] = {rows[i].col_name, rows[i].data_type, rows[i].comment};
    rc = rows_add(&w, vals);
  }
  free(rows);
  return rc ? rc : rows_done(&w);
}

static int stmt_set(struct stmt_ctx *sc, const struct ast_stmt *st) {
  struct engine *en = sc->en;
  const char *k = st->u.set.key, *v = st->u.set.value;
  if (k && v) {
    int rc = conf_check(k, v, sc->e);
    if (rc) return rc;
    if (conf_set(&en->conf, k, v)) return err_set(sc->e, ERR_NOMEM, "out of memory");
  }
  struct rows w;
  const char *names[] = {"key", "value"};
  int rc = rows_init(&w, sc->r, names, 2);
  if (!rc && k) {
    const char *cur = conf_get(&en->conf, k);
    const char *vals[] = {k, cur ? cur : "<undefined>"};
    rc = rows_add(&w, vals);
  }
  for (int i = 0; !rc && !k && i < en->conf.n; i++) {
    const char *vals[] = {en->conf.keys[i], en->conf.vals[i]};
    rc = rows_add(&w, vals);
  }
  return rc ? rc : rows_done(&w);
}

/* Drop entry i of c (order is not kept: SET lists keys as they come). */
static void conf_remove(struct conf *c, int i) {
  free(c->keys[i]);
  free(c->vals[i]);
  c->keys[i] = c->keys[c->n - 1];
  c->vals[i] = c->vals[c->n - 1];
  c->n--;
}

/* RESET restores the settings the session was started with (--conf,
 * %%configure), as Spark does: keys set since then are dropped, session-start
 * keys get their first value back. RESET key does the same for one key. */
static int stmt_reset(struct stmt_ctx *sc, const struct ast_stmt *st) {
  struct engine *en = sc->en;
  struct conf *c = &en->conf;
  const char *key = st->u.reset.key;
  for (int i = 0; i < c->n; i++) {
    if (key && strcasecmp(c->keys[i], key)) continue;
    if (!conf_get(&en->initial, c->keys[i])) conf_remove(c, i--);
  }
  for (int i = 0; i < en->initial.n; i++) {
    if (key && strcasecmp(en->initial.keys[i], key)) continue;
    if (conf_set(c, en->initial.keys[i], en->initial.vals[i]))
      return err_set(sc->e, ERR_NOMEM, "out of memory");
  }
  return 0;
}

static int run_stmt(struct stmt_ctx *sc, const struct ast_stmt *st) {
  switch (st->kind) {
  case AST_S_QUERY: return run_query(sc, NULL, NULL, NULL, 0, NULL);
  case AST_S_EXPLAIN: return stmt_explain(sc, st);
  case AST_S_CREATE_TABLE:
    if (st->u.table.query) return stmt_ctas(sc, st);
    return analyzer_exec_catalog(sc->en->cat, st, sc->text - st->pos.offset, sc->e);
  case AST_S_INSERT_DIR: {
    const char *path = st->u.insert_dir.path;
    for (int i = 0; !path && i < st->u.insert_dir.noptions; i++)
      if (!strcasecmp(st->u.insert_dir.options[i].key, "path")) path = st->u.insert_dir.options[i].value;
    if (!path) return err_set(sc->e, ERR_SQL, "INSERT OVERWRITE DIRECTORY needs a path");
    return write_query(sc, path, st->u.insert_dir.format, st->u.insert_dir.options,
                       st->u.insert_dir.noptions, NULL);
  }
  case AST_S_SHOW_TABLES: return stmt_show_tables(sc, st);
  case AST_S_DESCRIBE: return stmt_describe(sc, st);
  case AST_S_SET: return stmt_set(sc, st);
  case AST_S_RESET: return stmt_reset(sc, st);
  case AST_S_CACHE:
    if (st->u.cache.query)
      return err_set(sc->e, ERR_UNSUPPORTED, "CACHE TABLE ... AS query is not supported yet: "
                                             "create a view, then CACHE TABLE it");
    {
      int rc = analyzer_exec_catalog(sc->en->cat, st, sc->text - st->pos.offset, sc->e);
      if (rc || st->u.cache.lazy) return rc;
      /* CACHE TABLE is eager, as in Spark: scan it once now. */
      const struct ast_name *nm = &st->u.cache.name;
      char q[1024];
      snprintf(q, sizeof q, "SELECT count(*) FROM `%s`", nm->parts[nm->n - 1]);
      struct engine_result *tmp = result_new(q, strlen(q));
      if (!tmp) return err_set(sc->e, ERR_NOMEM, "out of memory");
      struct stmt_ctx sub = {sc->en, q, strlen(q), sc->cb, tmp, sc->e};
      rc = run_query(&sub, NULL, NULL, NULL, 0, NULL);
      engine_result_free(tmp);
      return rc;
    }
  case AST_S_CREATE_VIEW:
  case AST_S_UNCACHE:
  case AST_S_DROP: {
    /* Free the storage memory of a table that stops being cached (blocks of
     * executor processes go with the executors: cache keys are never reused). */
    char *old_key = NULL;
    const struct ast_name *nm = st->kind == AST_S_UNCACHE ? &st->u.uncache.name
                                : st->kind == AST_S_DROP  ? &st->u.drop.name
                                                          : NULL;
    if (nm && nm->n) {
      const struct catalog_entry *ce = catalog_lookup(sc->en->cat, nm->parts[nm->n - 1]);
      if (ce && ce->cache_key) old_key = strdup(ce->cache_key);
    }
    int rc = analyzer_exec_catalog(sc->en->cat, st, sc->text - st->pos.offset, sc->e);
    if (!rc && old_key) {
      char prefix[4200];
      snprintf(prefix, sizeof prefix, "%s/", old_key);
      blockstore_drop(prefix);
    }
    free(old_key);
    return rc;
  }
  default: return err_set(sc->e, ERR_UNSUPPORTED, "statement not supported by the local engine");
  }
}

int engine_sql(struct engine *en, const char *sql, size_t len, const struct engine_callbacks *cb,
               struct engine_result ***results, int *nresults, struct err *e) {
  *results = NULL;
  *nresults = 0;
  atomic_store(&en->cancelled, 0);
  struct ast_script *sc;
  int rc = parser_parse(sql, len, &sc, e);
  if (rc) return rc;
  struct engine_result **rs = calloc(sc->n ? sc->n : 1, sizeof *rs);
  if (!rs) {
    ast_script_free(sc);
    return err_set(e, ERR_NOMEM, "out of memory");
  }
  int n = 0;
  for (size_t i = 0; i < sc->n && !rc; i++) {
    const struct ast_stmt *st = sc->stmts[i];
    const char *text = sql + st->pos.offset;
    struct engine_result *r = result_new(text, st->pos.length);
    if (!r) {
      rc = err_set(e, ERR_NOMEM, "out of memory");
      break;
    }
    int64_t t0 = now_us();
    struct stmt_ctx ctx = {en, text, st->pos.length, cb, r, e};
    rc = run_stmt(&ctx, st);
    r->elapsed_ms = (double)(now_us() - t0) / 1000.0;
    if (rc) {
      engine_result_free(r);
      /* Positions were relative to the statement: make them the script's. */
      if (e->line > 0 && st->kind != AST_S_CREATE_VIEW && st->kind != AST_S_CREATE_TABLE &&
          st->kind != AST_S_DROP && st->kind != AST_S_CACHE && st->kind != AST_S_UNCACHE) {
        if (e->line == 1) e->column += st->pos.column - 1;
        e->line += st->pos.line - 1;
      }
      if (atomic_load(&en->cancelled) && rc != ERR_SQL) {
        rc = ERR_CANCELLED;
        err_set(e, ERR_CANCELLED, "Query cancelled");
        err_set_ename(e, "Interrupted");
      }
      break;
    }
    rs[n++] = r;
  }
  ast_script_free(sc);
  *results = rs;
  *nresults = n;
  return rc;
}

/* ---- formatting ---- */

static int cell_text(const struct batch *b, int c, uint32_t r, struct buf *out) {
  const struct vector *v = &b->cols[c];
  if (vector_is_null(v, r)) return buf_puts(out, "NULL");
  return vector_to_text(v, r, out);
}

int engine_result_format(const struct engine_result *r, const char *format, struct buf *out) {
  int nc = r->schema.ncols;
  if (!nc) return 0;
  struct buf cell;
  buf_init(&cell, BUF_UNLIMITED);
  int rc = 0;
  if (!strcmp(format, "csv") || !strcmp(format, "json")) {
    int json = format[0] == 'j';
    if (!json) {
      for (int c = 0; c < nc && !rc; c++) {
        if (c) rc = buf_putc(out, ',');
        if (!rc) rc = csv_field(out, r->schema.cols[c].name, strlen(r->schema.cols[c].name));
      }
      if (!rc) rc = buf_putc(out, '\n');
    }
    int *cols = malloc(sizeof *cols * (size_t)nc);
    struct plan_col *names = calloc((size_t)nc, sizeof *names);
    if (!cols || !names) rc = ERR_NOMEM;
    for (int c = 0; !rc && c < nc; c++) {
      cols[c] = c;
      names[c].name = r->schema.cols[c].name;
    }
    for (int i = 0; i < r->nbatches && !rc; i++) rc = format_rows(r->batches[i], cols, nc, names, json, 1, out);
    free(cols);
    free(names);
    buf_fini(&cell);
    return rc;
  }
  if (!strcmp(format, "tsv")) {
    for (int i = 0; i < r->nbatches && !rc; i++)
      for (uint32_t row = 0; row < r->batches[i]->nrows && !rc; row++) {
        for (int c = 0; c < nc && !rc; c++) {
          if (c) rc = buf_putc(out, '\t');
          if (!rc) rc = cell_text(r->batches[i], c, row, out);
        }
        if (!rc) rc = buf_putc(out, '\n');
      }
    buf_fini(&cell);
    return rc;
  }
  /* Aligned grid: widths first (code points would be nicer; bytes for now). */
  size_t *w = calloc((size_t)nc, sizeof *w);
  if (!w) return ERR_NOMEM;
  for (int c = 0; c < nc; c++) w[c] = strlen(r->schema.cols[c].name);
  for (int i = 0; i < r->nbatches && !rc; i++)
    for (uint32_t row = 0; row < r->batches[i]->nrows && !rc; row++)
      for (int c = 0; c < nc && !rc; c++) {
        buf_reset(&cell);
        rc = cell_text(r->batches[i], c, row, &cell);
        if (cell.len > w[c]) w[c] = cell.len;
      }
  struct buf sep;
  buf_init(&sep, BUF_UNLIMITED);
  for (int c = 0; c < nc && !rc; c++) {
    rc = buf_putc(&sep, '+');
    for (size_t k = 0; k < w[c] + 2 && !rc; k++) rc = buf_putc(&sep, '-');
  }
  if (!rc) rc = buf_puts(&sep, "+\n");
  if (!rc) rc = buf_append(out, sep.data, sep.len);
  for (int c = 0; c < nc && !rc; c++)
    rc = buf_printf(out, "| %-*s ", (int)w[c], r->schema.cols[c].name);
  if (!rc) rc = buf_puts(out, "|\n");
  if (!rc) rc = buf_append(out, sep.data, sep.len);
  for (int i = 0; i < r->nbatches && !rc; i++)
    for (uint32_t row = 0; row < r->batches[i]->nrows && !rc; row++) {
      for (int c = 0; c < nc && !rc; c++) {
        buf_reset(&cell);
        rc = cell_text(r->batches[i], c, row, &cell);
        enum type_id t = r->schema.cols[c].type.id;
        int right = t == TYPE_INT || t == TYPE_BIGINT || t == TYPE_DOUBLE || t == TYPE_DECIMAL;
        if (!rc)
          rc = buf_printf(out, right ? "| %*s " : "| %-*s ", (int)w[c], cell.data ? cell.data : "");
      }
      if (!rc) rc = buf_puts(out, "|\n");
    }
  if (!rc) rc = buf_append(out, sep.data, sep.len);
  buf_fini(&sep);
  buf_fini(&cell);
  free(w);
  return rc;
}

int engine_executor_main(int argc, char **argv) {
  return executor_main(argc, argv, cluster_task, NULL);
}
