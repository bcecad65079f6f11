/* ast.c: arenas, node constructors, heights and the S-expression dump of the
 * Spark SQL syntax tree (see ast.h). */
#include "engine/sql/ast.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* ---- arena ------------------------------------------------------------ */

struct chunk {
  struct chunk *next;
  size_t cap, used;
  alignas(max_align_t) unsigned char data[];
};

struct ast_arena {
  struct chunk *head;
  size_t total;     /* bytes of chunk payload allocated so far */
  size_t next_size; /* payload size of the next ordinary chunk */
};

#define ARENA_ALIGN (alignof(max_align_t))
#define ARENA_FIRST 4096
#define ARENA_BIG ((size_t)1 << 20)

struct ast_arena *ast_arena_new(void) {
  struct ast_arena *a = calloc(1, sizeof *a);
  if (a) a->next_size = ARENA_FIRST;
  return a;
}

void ast_arena_free(struct ast_arena *a) {
  if (!a) return;
  struct chunk *c = a->head;
  while (c) {
    struct chunk *n = c->next;
    free(c);
    c = n;
  }
  free(a);
}

void *ast_alloc(struct ast_arena *a, size_t n) {
  if (!a) return NULL;
  if (n == 0) n = 1;
  if (n > AST_ARENA_MAX) return NULL;
  n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  struct chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = a->next_size;
    if (cap < n) cap = n;
    if (a->total + cap > AST_ARENA_MAX) return NULL;
    struct chunk *nc = malloc(sizeof *nc + cap);
    if (!nc) return NULL;
    nc->cap = cap;
    nc->used = 0;
    /* A request bigger than an ordinary chunk gets its own chunk behind the
     * current one, so the current one keeps serving small nodes. */
    if (c && n > a->next_size) {
      nc->next = c->next;
      c->next = nc;
    } else {
      nc->next = c;
      a->head = nc;
      if (a->next_size < ARENA_BIG) a->next_size *= 2;
    }
    a->total += cap;
    c = nc;
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *ast_strndup(struct ast_arena *a, const char *s, size_t n) {
  char *d = ast_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* ---- statements and scripts ------------------------------------------- */

struct ast_stmt *ast_stmt_new(enum ast_stmt_kind kind) {
  struct ast_arena *a = ast_arena_new();
  if (!a) return NULL;
  struct ast_stmt *s = ast_alloc(a, sizeof *s);
  if (!s) {
    ast_arena_free(a);
    return NULL;
  }
  s->kind = kind;
  s->arena = a;
  return s;
}

void ast_stmt_free(struct ast_stmt *s) {
  if (s) ast_arena_free(s->arena); /* s itself lives in its arena */
}

void ast_script_free(struct ast_script *sc) {
  if (!sc) return;
  for (size_t i = 0; i < sc->n; i++) ast_stmt_free(sc->stmts[i]);
  free(sc->stmts);
  free(sc);
}

struct ast_stmt *ast_script_take(struct ast_script *sc, size_t i) {
  if (!sc || i >= sc->n) return NULL;
  struct ast_stmt *s = sc->stmts[i];
  sc->stmts[i] = NULL;
  return s;
}

/* ---- nodes -------------------------------------------------------------- */

struct ast_expr *ast_expr_new(struct ast_arena *a, enum ast_expr_kind kind) {
  struct ast_expr *e = ast_alloc(a, sizeof *e);
  if (e) {
    e->kind = kind;
    e->height = 1;
  }
  return e;
}

struct ast_query *ast_query_new(struct ast_arena *a, enum ast_query_kind kind) {
  struct ast_query *q = ast_alloc(a, sizeof *q);
  if (q) {
    q->kind = kind;
    q->height = 1;
  }
  return q;
}

struct ast_rel *ast_rel_new(struct ast_arena *a, enum ast_rel_kind kind) {
  struct ast_rel *r = ast_alloc(a, sizeof *r);
  if (r) {
    r->kind = kind;
    r->height = 1;
  }
  return r;
}

static int hx(const struct ast_expr *e) { return e ? e->height : 0; }
static int hq(const struct ast_query *q) { return q ? q->height : 0; }
static int hr(const struct ast_rel *r) { return r ? r->height : 0; }
static int max2(int a, int b) { return a > b ? a : b; }

static int hlist(struct ast_expr *const *v, int n) {
  int h = 0;
  for (int i = 0; i < n; i++) h = max2(h, hx(v[i]));
  return h;
}

static int hsort(const struct ast_sort *v, int n) {
  int h = 0;
  for (int i = 0; i < n; i++) h = max2(h, hx(v[i].expr));
  return h;
}

int ast_expr_seal(struct ast_expr *e) {
  int h = 0;
  switch (e->kind) {
    case AST_LIT: case AST_COL: case AST_STAR: break;
    case AST_UNARY: h = hx(e->u.unary.arg); break;
    case AST_BINARY: case AST_IS_DISTINCT:
      h = max2(hx(e->u.binary.left), hx(e->u.binary.right));
      break;
    case AST_AND: case AST_OR: h = hlist(e->u.logic.args, e->u.logic.n); break;
    case AST_IS_NULL: h = hx(e->u.is_null.arg); break;
    case AST_BETWEEN:
      h = max2(hx(e->u.between.arg), max2(hx(e->u.between.low), hx(e->u.between.high)));
      break;
    case AST_LIKE:
      h = max2(hx(e->u.like.arg), max2(hx(e->u.like.pattern), hx(e->u.like.escape)));
      break;
    case AST_IN_LIST:
      h = max2(hx(e->u.in_list.arg), hlist(e->u.in_list.list, e->u.in_list.n));
      break;
    case AST_IN_QUERY: h = max2(hx(e->u.in_query.arg), hq(e->u.in_query.query)); break;
    case AST_EXISTS: case AST_SUBQUERY: h = hq(e->u.subquery.query); break;
    case AST_CASE:
      h = max2(hx(e->u.cases.operand), hx(e->u.cases.otherwise));
      h = max2(h, hlist(e->u.cases.when, e->u.cases.n));
      h = max2(h, hlist(e->u.cases.then, e->u.cases.n));
      break;
    case AST_CAST: h = hx(e->u.cast.arg); break;
    case AST_FUNC: {
      h = max2(hlist(e->u.func.args, e->u.func.nargs), hx(e->u.func.filter));
      const struct ast_window *w = e->u.func.over;
      if (w) {
        h = max2(h, hlist(w->partition, w->npartition));
        h = max2(h, hsort(w->order, w->norder));
        h = max2(h, max2(hx(w->start.offset), hx(w->end.offset)));
      }
      break;
    }
  }
  e->height = h + 1;
  return e->height;
}

int ast_rel_seal(struct ast_rel *r) {
  int h = 0;
  switch (r->kind) {
    case AST_REL_TABLE: case AST_REL_FILE: break;
    case AST_REL_QUERY: h = hq(r->u.query); break;
    case AST_REL_TVF: h = hlist(r->u.tvf.args, r->u.tvf.nargs); break;
    case AST_REL_JOIN:
      h = max2(max2(hr(r->u.join.left), hr(r->u.join.right)), hx(r->u.join.on));
      break;
  }
  r->height = h + 1;
  return r->height;
}

int ast_query_seal(struct ast_query *q) {
  int h = 0;
  for (int i = 0; i < q->nctes; i++) h = max2(h, hq(q->ctes[i].query));
  h = max2(h, hsort(q->order, q->norder));
  h = max2(h, max2(hx(q->limit), hx(q->offset)));
  switch (q->kind) {
    case AST_Q_SELECT:
      for (int i = 0; i < q->u.select.nitems; i++) h = max2(h, hx(q->u.select.items[i].expr));
      for (int i = 0; i < q->u.select.nfrom; i++) h = max2(h, hr(q->u.select.from[i]));
      for (int i = 0; i < q->u.select.nlaterals; i++) h = max2(h, hx(q->u.select.laterals[i].gen));
      h = max2(h, hx(q->u.select.where));
      h = max2(h, hlist(q->u.select.group, q->u.select.ngroup));
      h = max2(h, hx(q->u.select.having));
      break;
    case AST_Q_SETOP:
      for (int i = 0; i < q->u.setop.n; i++) h = max2(h, hq(q->u.setop.inputs[i]));
      break;
    case AST_Q_VALUES:
      h = max2(h, hlist(q->u.values.cells, q->u.values.nrows * q->u.values.ncols));
      break;
  }
  q->height = h + 1;
  return q->height;
}

int ast_ident_eq(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return 0;
    if (!x) return 1;
  }
}

/* ---- dump ---------------------------------------------------------------- */

/* The dump functions stop at the first buffer error; rc carries it. */
struct dump {
  struct buf *out;
  int rc;
};

static void put(struct dump *d, const char *s) {
  if (!d->rc) d->rc = buf_puts(d->out, s);
}

static void putf(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct dump *d, const char *fmt, ...) {
  if (d->rc) return;
  va_list ap;
  va_start(ap, fmt);
  d->rc = buf_vprintf(d->out, fmt, ap);
  va_end(ap);
}

static int simple_ident(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_'))
      return 0;
  }
  return 1;
}

static void put_ident(struct dump *d, const char *s) {
  if (simple_ident(s)) {
    put(d, s);
    return;
  }
  put(d, "`");
  for (const char *p = s; *p && !d->rc; p++) {
    if (*p == '`') put(d, "``");
    else d->rc = buf_putc(d->out, *p);
  }
  put(d, "`");
}

static void put_name(struct dump *d, const struct ast_name *n) {
  for (int i = 0; i < n->n; i++) {
    if (i) put(d, ".");
    put_ident(d, n->parts[i]);
  }
}

static void put_str(struct dump *d, const char *s, size_t len) {
  put(d, "'");
  for (size_t i = 0; i < len && !d->rc; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
      case '\'': put(d, "\\'"); break;
      case '\\': put(d, "\\\\"); break;
      case '\n': put(d, "\\n"); break;
      case '\t': put(d, "\\t"); break;
      case '\r': put(d, "\\r"); break;
      default:
        if (c < 0x20 || c == 0x7f) putf(d, "\\x%02X", c);
        else d->rc = buf_putc(d->out, (char)c);
    }
  }
  put(d, "'");
}

static void put_cstr(struct dump *d, const char *s) { put_str(d, s, strlen(s)); }

/* Shortest %g form that reads back to the same double. */
static void put_double(struct dump *d, double v) {
  char tmp[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v) break;
  }
  put(d, tmp);
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian), using the
 * 400-year era decomposition. */
static void civil(int64_t days, int64_t *y, int *m, int *dd) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *dd = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static void put_date(struct dump *d, int64_t days) {
  int64_t y;
  int m, dd;
  civil(days, &y, &m, &dd);
  putf(d, "%04" PRId64 "-%02d-%02d", y, m, dd);
}

static void put_timestamp(struct dump *d, int64_t us) {
  int64_t days = us / 86400000000LL, rem = us % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    days--;
  }
  put_date(d, days);
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  putf(d, " %02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
  if (frac) {
    char f[8];
    snprintf(f, sizeof f, "%06d", (int)frac);
    for (int i = 5; i > 0 && f[i] == '0'; i--) f[i] = '\0';
    putf(d, ".%s", f);
  }
}

int ast_dump_type(struct type t, struct buf *out) {
  switch (t.id) {
    case TYPE_NULL: return buf_puts(out, "void");
    case TYPE_BOOLEAN: return buf_puts(out, "boolean");
    case TYPE_INT: return buf_puts(out, "int");
    case TYPE_BIGINT: return buf_puts(out, "bigint");
    case TYPE_DOUBLE: return buf_puts(out, "double");
    case TYPE_DECIMAL: return buf_printf(out, "decimal(%d,%d)", t.precision, t.scale);
    case TYPE_STRING: return buf_puts(out, "string");
    case TYPE_DATE: return buf_puts(out, "date");
    case TYPE_TIMESTAMP: return buf_puts(out, "timestamp");
    case TYPE_INTERVAL: return buf_puts(out, "interval");
    case TYPE_ARRAY: {
      struct type e = type_elem(t);
      int rc = buf_puts(out, "array<");
      if (!rc) rc = ast_dump_type(e, out);
      return rc ? rc : buf_putc(out, '>');
    }
    case TYPE__COUNT: break;
  }
  return buf_puts(out, "unknown");
}

static void put_type(struct dump *d, struct type t) {
  if (!d->rc) d->rc = ast_dump_type(t, d->out);
}

static void dexpr(struct dump *d, const struct ast_expr *e);
static void dquery(struct dump *d, const struct ast_query *q);
static void drel(struct dump *d, const struct ast_rel *r);
static void dstmt(struct dump *d, const struct ast_stmt *s);

static void dlist(struct dump *d, struct ast_expr *const *v, int n) {
  for (int i = 0; i < n; i++) {
    put(d, " ");
    dexpr(d, v[i]);
  }
}

static void dlit(struct dump *d, const struct ast_lit *l) {
  switch (l->type.id) {
    case TYPE_NULL: put(d, "(null)"); return;
    case TYPE_BOOLEAN: put(d, l->i ? "(boolean true)" : "(boolean false)"); return;
    case TYPE_INT: putf(d, "(int %" PRId64 ")", l->i); return;
    case TYPE_BIGINT: putf(d, "(bigint %" PRId64 ")", l->i); return;
    case TYPE_DOUBLE:
      put(d, "(double ");
      put_double(d, l->d);
      put(d, ")");
      return;
    case TYPE_DECIMAL:
      putf(d, "(decimal(%d,%d) %.*s)", l->type.precision, l->type.scale, (int)l->len, l->s);
      return;
    case TYPE_STRING:
      put(d, "(string ");
      put_str(d, l->s, l->len);
      put(d, ")");
      return;
    case TYPE_DATE:
      put(d, "(date ");
      put_date(d, l->i);
      put(d, ")");
      return;
    case TYPE_TIMESTAMP:
      put(d, "(timestamp ");
      put_timestamp(d, l->i);
      put(d, l->tz ? " utc)" : ")");
      return;
    case TYPE_INTERVAL:
      putf(d, "(interval %" PRId32 "m %" PRId32 "d %" PRId64 "us)", l->months, l->days,
           l->micros);
      return;
    case TYPE_ARRAY: /* never a literal */
    case TYPE__COUNT: break;
  }
  put(d, "(?)");
}

static const char *op_name(enum ast_op op) {
  switch (op) {
    case AST_OP_NEG: return "neg";
    case AST_OP_POS: return "pos";
    case AST_OP_NOT: return "not";
    case AST_OP_BITNOT: return "~";
    case AST_OP_ADD: return "+";
    case AST_OP_SUB: return "-";
    case AST_OP_MUL: return "*";
    case AST_OP_DIV: return "/";
    case AST_OP_IDIV: return "div";
    case AST_OP_MOD: return "%";
    case AST_OP_CONCAT: return "||";
    case AST_OP_EQ: return "=";
    case AST_OP_NE: return "<>";
    case AST_OP_LT: return "<";
    case AST_OP_LE: return "<=";
    case AST_OP_GT: return ">";
    case AST_OP_GE: return ">=";
    case AST_OP_NSEQ: return "<=>";
    case AST_OP_BITAND: return "&";
    case AST_OP_BITOR: return "|";
    case AST_OP_BITXOR: return "^";
  }
  return "?";
}

static void dsort(struct dump *d, const struct ast_sort *s) {
  put(d, s->desc ? "(desc " : "(asc ");
  dexpr(d, s->expr);
  if (s->nulls == AST_NULLS_FIRST) put(d, " nulls-first");
  else if (s->nulls == AST_NULLS_LAST) put(d, " nulls-last");
  put(d, ")");
}

static void dbound(struct dump *d, const struct ast_bound *b) {
  switch (b->kind) {
    case AST_BOUND_UNBOUNDED_PRECEDING: put(d, "(unbounded-preceding)"); return;
    case AST_BOUND_CURRENT_ROW: put(d, "(current-row)"); return;
    case AST_BOUND_UNBOUNDED_FOLLOWING: put(d, "(unbounded-following)"); return;
    case AST_BOUND_PRECEDING: put(d, "(preceding "); break;
    case AST_BOUND_FOLLOWING: put(d, "(following "); break;
  }
  dexpr(d, b->offset);
  put(d, ")");
}

static void dwindow(struct dump *d, const struct ast_window *w) {
  put(d, "(over");
  if (w->npartition) {
    put(d, " (partition");
    dlist(d, w->partition, w->npartition);
    put(d, ")");
  }
  if (w->norder) {
    put(d, " (order");
    for (int i = 0; i < w->norder; i++) {
      put(d, " ");
      dsort(d, &w->order[i]);
    }
    put(d, ")");
  }
  if (w->frame != AST_FRAME_NONE) {
    put(d, w->frame == AST_FRAME_ROWS ? " (rows " : " (range ");
    dbound(d, &w->start);
    put(d, " ");
    dbound(d, &w->end);
    put(d, ")");
  }
  put(d, ")");
}

static void dexpr(struct dump *d, const struct ast_expr *e) {
  if (d->rc) return;
  if (!e) {
    put(d, "(nil)");
    return;
  }
  switch (e->kind) {
    case AST_LIT: dlit(d, &e->u.lit); return;
    case AST_COL:
      put(d, "(col ");
      put_name(d, &e->u.col);
      put(d, ")");
      return;
    case AST_STAR:
      put(d, "(*");
      if (e->u.col.n) {
        put(d, " ");
        put_name(d, &e->u.col);
      }
      put(d, ")");
      return;
    case AST_UNARY:
      putf(d, "(%s ", op_name(e->u.unary.op));
      dexpr(d, e->u.unary.arg);
      put(d, ")");
      return;
    case AST_BINARY:
      putf(d, "(%s ", op_name(e->u.binary.op));
      dexpr(d, e->u.binary.left);
      put(d, " ");
      dexpr(d, e->u.binary.right);
      put(d, ")");
      return;
    case AST_IS_DISTINCT:
      put(d, e->u.binary.negated ? "(is-not-distinct-from " : "(is-distinct-from ");
      dexpr(d, e->u.binary.left);
      put(d, " ");
      dexpr(d, e->u.binary.right);
      put(d, ")");
      return;
    case AST_AND:
    case AST_OR:
      put(d, e->kind == AST_AND ? "(and" : "(or");
      dlist(d, e->u.logic.args, e->u.logic.n);
      put(d, ")");
      return;
    case AST_IS_NULL:
      put(d, e->u.is_null.negated ? "(is-not-null " : "(is-null ");
      dexpr(d, e->u.is_null.arg);
      put(d, ")");
      return;
    case AST_BETWEEN:
      put(d, e->u.between.negated ? "(not-between " : "(between ");
      dexpr(d, e->u.between.arg);
      put(d, " ");
      dexpr(d, e->u.between.low);
      put(d, " ");
      dexpr(d, e->u.between.high);
      put(d, ")");
      return;
    case AST_LIKE: {
      const char *k = e->u.like.kind == AST_LIKE_RLIKE   ? "rlike"
                      : e->u.like.kind == AST_LIKE_ILIKE ? "ilike"
                                                         : "like";
      putf(d, "(%s%s ", e->u.like.negated ? "not-" : "", k);
      dexpr(d, e->u.like.arg);
      put(d, " ");
      dexpr(d, e->u.like.pattern);
      if (e->u.like.escape) {
        put(d, " (escape ");
        dexpr(d, e->u.like.escape);
        put(d, ")");
      }
      put(d, ")");
      return;
    }
    case AST_IN_LIST:
      put(d, e->u.in_list.negated ? "(not-in " : "(in ");
      dexpr(d, e->u.in_list.arg);
      dlist(d, e->u.in_list.list, e->u.in_list.n);
      put(d, ")");
      return;
    case AST_IN_QUERY:
      put(d, e->u.in_query.negated ? "(not-in-query " : "(in-query ");
      dexpr(d, e->u.in_query.arg);
      put(d, " ");
      dquery(d, e->u.in_query.query);
      put(d, ")");
      return;
    case AST_EXISTS:
    case AST_SUBQUERY:
      put(d, e->kind == AST_EXISTS ? "(exists " : "(subquery ");
      dquery(d, e->u.subquery.query);
      put(d, ")");
      return;
    case AST_CASE:
      put(d, "(case");
      if (e->u.cases.operand) {
        put(d, " ");
        dexpr(d, e->u.cases.operand);
      }
      for (int i = 0; i < e->u.cases.n; i++) {
        put(d, " (when ");
        dexpr(d, e->u.cases.when[i]);
        put(d, " ");
        dexpr(d, e->u.cases.then[i]);
        put(d, ")");
      }
      if (e->u.cases.otherwise) {
        put(d, " (else ");
        dexpr(d, e->u.cases.otherwise);
        put(d, ")");
      }
      put(d, ")");
      return;
    case AST_CAST:
      put(d, e->u.cast.try_cast ? "(try-cast " : "(cast ");
      dexpr(d, e->u.cast.arg);
      put(d, " ");
      put_type(d, e->u.cast.type);
      put(d, ")");
      return;
    case AST_FUNC:
      put(d, "(call ");
      put_name(d, &e->u.func.name);
      if (e->u.func.distinct) put(d, " distinct");
      dlist(d, e->u.func.args, e->u.func.nargs);
      if (e->u.func.filter) {
        put(d, " (filter ");
        dexpr(d, e->u.func.filter);
        put(d, ")");
      }
      if (e->u.func.over) {
        put(d, " ");
        dwindow(d, e->u.func.over);
      }
      put(d, ")");
      return;
  }
  put(d, "(?)");
}

static void dalias(struct dump *d, const char *alias, char *const *cols, int ncols) {
  if (!alias && !ncols) return;
  put(d, " (as");
  if (alias) {
    put(d, " ");
    put_ident(d, alias);
  }
  if (ncols) {
    put(d, " (cols");
    for (int i = 0; i < ncols; i++) {
      put(d, " ");
      put_ident(d, cols[i]);
    }
    put(d, ")");
  }
  put(d, ")");
}

static const char *join_name(enum ast_join_type t) {
  switch (t) {
    case AST_JOIN_INNER: return "inner";
    case AST_JOIN_LEFT: return "left";
    case AST_JOIN_RIGHT: return "right";
    case AST_JOIN_FULL: return "full";
    case AST_JOIN_CROSS: return "cross";
    case AST_JOIN_SEMI: return "left-semi";
    case AST_JOIN_ANTI: return "left-anti";
  }
  return "?";
}

static void drel(struct dump *d, const struct ast_rel *r) {
  if (d->rc) return;
  switch (r->kind) {
    case AST_REL_TABLE:
      put(d, "(table ");
      put_name(d, &r->u.table);
      break;
    case AST_REL_FILE:
      putf(d, "(file %s ", r->u.file.format);
      put_cstr(d, r->u.file.path);
      break;
    case AST_REL_QUERY:
      put(d, "(derived ");
      dquery(d, r->u.query);
      break;
    case AST_REL_TVF:
      put(d, "(tvf ");
      put_name(d, &r->u.tvf.name);
      dlist(d, r->u.tvf.args, r->u.tvf.nargs);
      break;
    case AST_REL_JOIN:
      putf(d, "(join %s%s ", r->u.join.natural ? "natural-" : "", join_name(r->u.join.type));
      drel(d, r->u.join.left);
      put(d, " ");
      drel(d, r->u.join.right);
      if (r->u.join.on) {
        put(d, " (on ");
        dexpr(d, r->u.join.on);
        put(d, ")");
      }
      if (r->u.join.nusing) {
        put(d, " (using");
        for (int i = 0; i < r->u.join.nusing; i++) {
          put(d, " ");
          put_ident(d, r->u.join.using_cols[i]);
        }
        put(d, ")");
      }
      break;
  }
  dalias(d, r->alias, r->cols, r->ncols);
  put(d, ")");
}

static void dcore(struct dump *d, const struct ast_query *q) {
  switch (q->kind) {
    case AST_Q_SELECT:
      put(d, "(select");
      if (q->u.select.distinct) put(d, " distinct");
      for (int i = 0; i < q->u.select.nitems; i++) {
        const struct ast_item *it = &q->u.select.items[i];
        put(d, " (item ");
        dexpr(d, it->expr);
        if (it->alias) {
          put(d, " (as ");
          put_ident(d, it->alias);
          put(d, ")");
        }
        put(d, ")");
      }
      if (q->u.select.nfrom) {
        put(d, " (from");
        for (int i = 0; i < q->u.select.nfrom; i++) {
          put(d, " ");
          drel(d, q->u.select.from[i]);
        }
        put(d, ")");
      }
      if (q->u.select.where) {
        put(d, " (where ");
        dexpr(d, q->u.select.where);
        put(d, ")");
      }
      if (q->u.select.ngroup) {
        put(d, " (group-by");
        dlist(d, q->u.select.group, q->u.select.ngroup);
        put(d, ")");
      }
      if (q->u.select.having) {
        put(d, " (having ");
        dexpr(d, q->u.select.having);
        put(d, ")");
      }
      put(d, ")");
      return;
    case AST_Q_SETOP: {
      const char *op = q->u.setop.op == AST_SET_UNION       ? "union"
                       : q->u.setop.op == AST_SET_INTERSECT ? "intersect"
                                                            : "except";
      putf(d, "(%s%s", op, q->u.setop.all ? "-all" : "");
      for (int i = 0; i < q->u.setop.n; i++) {
        put(d, " ");
        dquery(d, q->u.setop.inputs[i]);
      }
      put(d, ")");
      return;
    }
    case AST_Q_VALUES:
      put(d, "(values");
      for (int r = 0; r < q->u.values.nrows; r++) {
        put(d, " (row");
        dlist(d, q->u.values.cells + (size_t)r * (size_t)q->u.values.ncols, q->u.values.ncols);
        put(d, ")");
      }
      put(d, ")");
      return;
  }
}

static void dquery(struct dump *d, const struct ast_query *q) {
  if (d->rc) return;
  int wrap = q->nctes || q->norder || q->limit || q->offset;
  if (!wrap) {
    dcore(d, q);
    return;
  }
  put(d, "(query");
  if (q->nctes) {
    put(d, " (with");
    for (int i = 0; i < q->nctes; i++) {
      put(d, " (cte ");
      put_ident(d, q->ctes[i].name);
      if (q->ctes[i].ncols) {
        put(d, " (cols");
        for (int c = 0; c < q->ctes[i].ncols; c++) {
          put(d, " ");
          put_ident(d, q->ctes[i].cols[c]);
        }
        put(d, ")");
      }
      put(d, " ");
      dquery(d, q->ctes[i].query);
      put(d, ")");
    }
    put(d, ")");
  }
  put(d, " ");
  dcore(d, q);
  if (q->norder) {
    put(d, " (order-by");
    for (int i = 0; i < q->norder; i++) {
      put(d, " ");
      dsort(d, &q->order[i]);
    }
    put(d, ")");
  }
  if (q->limit) {
    put(d, " (limit ");
    dexpr(d, q->limit);
    put(d, ")");
  }
  if (q->offset) {
    put(d, " (offset ");
    dexpr(d, q->offset);
    put(d, ")");
  }
  put(d, ")");
}

static void doptions(struct dump *d, const struct ast_option *o, int n) {
  if (!n) return;
  put(d, " (options");
  for (int i = 0; i < n; i++) {
    put(d, " (");
    put_ident(d, o[i].key);
    put(d, " ");
    put_cstr(d, o[i].value);
    put(d, ")");
  }
  put(d, ")");
}

static void dflag(struct dump *d, int on, const char *name) {
  if (on) {
    put(d, " ");
    put(d, name);
  }
}

/* Column lists: "(columns (a int) (b))"; a column without a type (view
 * column names) prints as just its name. */
static void dcoldefs(struct dump *d, const struct ast_coldef *cols, int n) {
  if (!n) return;
  put(d, " (columns");
  for (int i = 0; i < n; i++) {
    const struct ast_coldef *c = &cols[i];
    put(d, " (");
    put_ident(d, c->name);
    if (c->type.id != TYPE_NULL) {
      put(d, " ");
      put_type(d, c->type);
    }
    dflag(d, c->not_null, "not-null");
    if (c->comment) {
      put(d, " (comment ");
      put_cstr(d, c->comment);
      put(d, ")");
    }
    put(d, ")");
  }
  put(d, ")");
}

static void dusing(struct dump *d, const char *format) {
  if (format) putf(d, " (using %s)", format);
}

static void dstmt(struct dump *d, const struct ast_stmt *s) {
  if (d->rc) return;
  switch (s->kind) {
    case AST_S_QUERY: dquery(d, s->u.query); return;
    case AST_S_EXPR: dexpr(d, s->u.expr); return;
    case AST_S_CREATE_VIEW:
      put(d, "(create-view ");
      put_name(d, &s->u.view.name);
      dflag(d, s->u.view.or_replace, "or-replace");
      dflag(d, s->u.view.global, "global");
      dflag(d, s->u.view.temporary, "temporary");
      dflag(d, s->u.view.if_not_exists, "if-not-exists");
      dcoldefs(d, s->u.view.cols, s->u.view.ncols);
      dusing(d, s->u.view.format);
      doptions(d, s->u.view.options, s->u.view.noptions);
      if (s->u.view.query) {
        put(d, " ");
        dquery(d, s->u.view.query);
      }
      put(d, ")");
      return;
    case AST_S_CREATE_TABLE:
      put(d, "(create-table ");
      put_name(d, &s->u.table.name);
      dflag(d, s->u.table.or_replace, "or-replace");
      dflag(d, s->u.table.external, "external");
      dflag(d, s->u.table.if_not_exists, "if-not-exists");
      dcoldefs(d, s->u.table.cols, s->u.table.ncols);
      dusing(d, s->u.table.format);
      doptions(d, s->u.table.options, s->u.table.noptions);
      if (s->u.table.location) {
        put(d, " (location ");
        put_cstr(d, s->u.table.location);
        put(d, ")");
      }
      if (s->u.table.comment) {
        put(d, " (comment ");
        put_cstr(d, s->u.table.comment);
        put(d, ")");
      }
      if (s->u.table.query) {
        put(d, " (as ");
        dquery(d, s->u.table.query);
        put(d, ")");
      }
      put(d, ")");
      return;
    case AST_S_INSERT_DIR:
      put(d, "(insert-directory");
      if (s->u.insert_dir.path) {
        put(d, " ");
        put_cstr(d, s->u.insert_dir.path);
      }
      dflag(d, s->u.insert_dir.local, "local");
      dusing(d, s->u.insert_dir.format);
      doptions(d, s->u.insert_dir.options, s->u.insert_dir.noptions);
      put(d, " ");
      dquery(d, s->u.insert_dir.query);
      put(d, ")");
      return;
    case AST_S_SHOW_TABLES:
      put(d, "(show-tables");
      if (s->u.show_tables.db.n) {
        put(d, " (in ");
        put_name(d, &s->u.show_tables.db);
        put(d, ")");
      }
      if (s->u.show_tables.pattern) {
        put(d, " (like ");
        put_cstr(d, s->u.show_tables.pattern);
        put(d, ")");
      }
      put(d, ")");
      return;
    case AST_S_DESCRIBE:
      put(d, "(describe ");
      if (s->u.describe.query) {
        put(d, "query ");
        dstmt(d, s->u.describe.query);
        put(d, ")");
        return;
      }
      put_name(d, &s->u.describe.name);
      dflag(d, s->u.describe.extended, "extended");
      put(d, ")");
      return;
    case AST_S_EXPLAIN: {
      static const char *const modes[] = {"", " extended", " formatted", " codegen", " cost"};
      putf(d, "(explain%s ", modes[s->u.explain.mode]);
      dstmt(d, s->u.explain.stmt);
      put(d, ")");
      return;
    }
    case AST_S_CACHE:
      put(d, "(cache-table ");
      put_name(d, &s->u.cache.name);
      dflag(d, s->u.cache.lazy, "lazy");
      doptions(d, s->u.cache.options, s->u.cache.noptions);
      if (s->u.cache.query) {
        put(d, " ");
        dquery(d, s->u.cache.query);
      }
      put(d, ")");
      return;
    case AST_S_UNCACHE:
      put(d, "(uncache-table ");
      put_name(d, &s->u.uncache.name);
      dflag(d, s->u.uncache.if_exists, "if-exists");
      put(d, ")");
      return;
    case AST_S_SET:
      put(d, "(set");
      if (s->u.set.verbose) put(d, " -v");
      if (s->u.set.key) {
        put(d, " ");
        put_cstr(d, s->u.set.key);
      }
      if (s->u.set.value) {
        put(d, " ");
        put_cstr(d, s->u.set.value);
      }
      put(d, ")");
      return;
    case AST_S_RESET:
      put(d, "(reset");
      if (s->u.reset.key) {
        put(d, " ");
        put_cstr(d, s->u.reset.key);
      }
      put(d, ")");
      return;
    case AST_S_DROP:
      put(d, s->u.drop.view ? "(drop-view " : "(drop-table ");
      put_name(d, &s->u.drop.name);
      dflag(d, s->u.drop.if_exists, "if-exists");
      put(d, ")");
      return;
  }
}

int ast_dump_expr(const struct ast_expr *e, struct buf *out) {
  struct dump d = {out, 0};
  dexpr(&d, e);
  return d.rc;
}

int ast_dump_query(const struct ast_query *q, struct buf *out) {
  struct dump d = {out, 0};
  dquery(&d, q);
  return d.rc;
}

int ast_dump_rel(const struct ast_rel *r, struct buf *out) {
  struct dump d = {out, 0};
  drel(&d, r);
  return d.rc;
}

int ast_dump_stmt(const struct ast_stmt *s, struct buf *out) {
  struct dump d = {out, 0};
  dstmt(&d, s);
  return d.rc;
}
