/* bind_expr.c: expression binding (see bind_expr.h). Calls, aggregates,
 * windows and subqueries are in bind_call.c. */
#include "engine/analyze/bind_expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyze/bind_call.h"
#include "engine/analyze/coerce.h"
#include "engine/analyze/funcs.h"
#include "engine/analyze/funcs_str2.h"
#include "engine/vec/schema.h"

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

static const char *tname(struct type t, char *tmp) {
  if (t.id == TYPE_NULL) return "VOID";
  if (t.id == TYPE_INTERVAL) return "INTERVAL";
  return schema_type_sql(t, tmp);
}

/* ---- equality and regrouping ---- */

static int list_equal(struct expr *const *a, struct expr *const *b, int n) {
  for (int i = 0; i < n; i++)
    if (!bind_expr_equal(a[i], b[i])) return 0;
  return 1;
}

int bind_expr_equal(const struct expr *a, const struct expr *b) {
  if (a == b) return 1;
  if (!a || !b || a->kind != b->kind || !coerce_type_eq(a->type, b->type)) return 0;
  switch (a->kind) {
  case EXPR_LIT: {
    const struct value *x = &a->u.lit, *y = &b->u.lit;
    if (x->is_null || y->is_null) return x->is_null == y->is_null;
    if (a->type.id == TYPE_DOUBLE) return x->d == y->d;
    if (a->type.id == TYPE_STRING) return x->len == y->len && !memcmp(x->s, y->s, x->len);
    return x->i == y->i;
  }
  case EXPR_COL: return a->u.col.id == b->u.col.id;
  case EXPR_FUNC:
    return a->u.func.fn == b->u.func.fn && a->u.func.nargs == b->u.func.nargs &&
           list_equal(a->u.func.args, b->u.func.args, a->u.func.nargs);
  case EXPR_CASE:
    return a->u.cases.n == b->u.cases.n && list_equal(a->u.cases.when, b->u.cases.when, a->u.cases.n) &&
           list_equal(a->u.cases.then, b->u.cases.then, a->u.cases.n) &&
           bind_expr_equal(a->u.cases.otherwise, b->u.cases.otherwise);
  case EXPR_CAST: return bind_expr_equal(a->u.cast.arg, b->u.cast.arg);
  case EXPR_IN_LIST:
    return a->u.in_list.negated == b->u.in_list.negated && a->u.in_list.n == b->u.in_list.n &&
           bind_expr_equal(a->u.in_list.arg, b->u.in_list.arg) &&
           list_equal(a->u.in_list.list, b->u.in_list.list, a->u.in_list.n);
  case EXPR_LIKE:
    return a->u.like.kind == b->u.like.kind && a->u.like.negated == b->u.like.negated &&
           a->u.like.len == b->u.like.len && !memcmp(a->u.like.pattern, b->u.like.pattern, a->u.like.len) &&
           bind_expr_equal(a->u.like.arg, b->u.like.arg);
  case EXPR_SUBQUERY:
  case EXPR_IN_SUBQUERY:
  case EXPR_EXISTS:
    return a->u.sub.plan == b->u.sub.plan && a->u.sub.negated == b->u.sub.negated &&
           bind_expr_equal(a->u.sub.arg, b->u.sub.arg);
  }
  return 0;
}

struct regroup {
  struct bind *b;
  const struct bind_agg *agg;
  const struct bind_scope *from;
  int rc;
};

static struct expr *regroup(struct regroup *r, struct expr *e);

static struct expr **regroup_list(struct regroup *r, struct expr **v, int n) {
  if (n <= 0) return v;
  struct expr **o = plan_alloc(r->b->ctx, sizeof *o * (size_t)n);
  if (!o) {
    r->rc = bind_oom(r->b);
    return NULL;
  }
  for (int i = 0; i < n && !r->rc; i++) o[i] = regroup(r, v[i]);
  return o;
}

static struct expr *regroup(struct regroup *r, struct expr *e) {
  if (r->rc || !e) return e;
  if (e->kind == EXPR_LIT) return e;
  for (int k = 0; k < r->agg->nkeys; k++)
    if (bind_expr_equal(e, r->agg->keys[k])) {
      struct expr *c = expr_col(r->b->ctx, r->agg->key_ids[k], e->type,
                                r->agg->keys[k]->nullable || r->agg->nsets > 0);
      if (!c) r->rc = bind_oom(r->b);
      else c->pos = e->pos;
      return c;
    }
  struct expr *n = plan_alloc(r->b->ctx, sizeof *n);
  if (!n) {
    r->rc = bind_oom(r->b);
    return e;
  }
  *n = *e;
  switch (e->kind) {
  case EXPR_COL:
    if (bind_scope_has_id(r->from, e->u.col.id)) {
      const char *nm = plan_ctx_name(r->b->ctx, e->u.col.id);
      r->rc = bind_error(r->b, ERR_SQL, e->pos,
                         "[MISSING_AGGREGATION] The non-aggregating expression \"%s\" is based on "
                         "columns which are not participating in the GROUP BY clause.\nAdd the "
                         "columns or the expression to the GROUP BY, aggregate the expression, or "
                         "use \"any_value(%s)\" if you do not care which of the values within a "
                         "group is returned.",
                         nm ? nm : "?", nm ? nm : "?");
    }
    return e;
  case EXPR_FUNC: n->u.func.args = regroup_list(r, e->u.func.args, e->u.func.nargs); break;
  case EXPR_CASE:
    n->u.cases.when = regroup_list(r, e->u.cases.when, e->u.cases.n);
    n->u.cases.then = regroup_list(r, e->u.cases.then, e->u.cases.n);
    n->u.cases.otherwise = regroup(r, e->u.cases.otherwise);
    break;
  case EXPR_CAST: n->u.cast.arg = regroup(r, e->u.cast.arg); break;
  case EXPR_IN_LIST:
    n->u.in_list.arg = regroup(r, e->u.in_list.arg);
    n->u.in_list.list = regroup_list(r, e->u.in_list.list, e->u.in_list.n);
    break;
  case EXPR_LIKE: n->u.like.arg = regroup(r, e->u.like.arg); break;
  case EXPR_IN_SUBQUERY: n->u.sub.arg = regroup(r, e->u.sub.arg); break;
  default: break;
  }
  return n;
}

int bind_expr_regroup(struct bind *b, const struct bind_agg *agg, const struct bind_scope *from,
                      struct expr *e, struct expr **out) {
  struct regroup r = {b, agg, from, 0};
  *out = regroup(&r, e);
  return r.rc;
}

int bind_expr_has_agg(const struct ast_expr *a) {
  if (!a) return 0;
  enum agg_fn fn;
  switch (a->kind) {
  case AST_UNARY: return bind_expr_has_agg(a->u.unary.arg);
  case AST_BINARY:
  case AST_IS_DISTINCT: return bind_expr_has_agg(a->u.binary.left) || bind_expr_has_agg(a->u.binary.right);
  case AST_AND:
  case AST_OR:
    for (int i = 0; i < a->u.logic.n; i++)
      if (bind_expr_has_agg(a->u.logic.args[i])) return 1;
    return 0;
  case AST_IS_NULL: return bind_expr_has_agg(a->u.is_null.arg);
  case AST_BETWEEN:
    return bind_expr_has_agg(a->u.between.arg) || bind_expr_has_agg(a->u.between.low) ||
           bind_expr_has_agg(a->u.between.high);
  case AST_LIKE: return bind_expr_has_agg(a->u.like.arg) || bind_expr_has_agg(a->u.like.pattern);
  case AST_IN_LIST:
    if (bind_expr_has_agg(a->u.in_list.arg)) return 1;
    for (int i = 0; i < a->u.in_list.n; i++)
      if (bind_expr_has_agg(a->u.in_list.list[i])) return 1;
    return 0;
  case AST_IN_QUERY: return bind_expr_has_agg(a->u.in_query.arg);
  case AST_CASE:
    if (bind_expr_has_agg(a->u.cases.operand) || bind_expr_has_agg(a->u.cases.otherwise)) return 1;
    for (int i = 0; i < a->u.cases.n; i++)
      if (bind_expr_has_agg(a->u.cases.when[i]) || bind_expr_has_agg(a->u.cases.then[i])) return 1;
    return 0;
  case AST_CAST: return bind_expr_has_agg(a->u.cast.arg);
  case AST_FUNC: {
    const struct ast_name *n = &a->u.func.name;
    if (!a->u.func.over && n->n > 0 && funcs_agg(n->parts[n->n - 1], &fn)) return 1;
    for (int i = 0; i < a->u.func.nargs; i++)
      if (bind_expr_has_agg(a->u.func.args[i])) return 1;
    return 0;
  }
  default: return 0;
  }
}

/* ---- literals ---- */

static int bind_lit(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  const struct ast_lit *l = &a->u.lit;
  struct value v = {0};
  v.type = l->type;
  switch (l->type.id) {
  case TYPE_NULL: v.is_null = 1; break;
  case TYPE_DOUBLE: v.d = l->d; break;
  case TYPE_DECIMAL:
    if (l->type.precision > COERCE_MAX_PRECISION) {
      char tmp[128];
      size_t n = l->len < sizeof tmp - 1 ? l->len : sizeof tmp - 1;
      memcpy(tmp, l->s ? l->s : "0", l->s ? n : 1);
      tmp[l->s ? n : 1] = 0;
      v.type = T(TYPE_DOUBLE);
      v.d = strtod(tmp, NULL);
    } else {
      v.i = l->i;
    }
    break;
  case TYPE_STRING: {
    char *p = plan_alloc(x->b->ctx, l->len + 1);
    if (!p) return bind_oom(x->b);
    if (l->len) memcpy(p, l->s, l->len);
    v.s = p;
    v.len = (uint32_t)l->len;
    break;
  }
  case TYPE_INTERVAL:
    return bind_error(x->b, ERR_UNSUPPORTED, a->pos,
                      "An INTERVAL value is only supported added to or subtracted from a DATE "
                      "or TIMESTAMP in the local engine.");
  default: v.i = l->i; break;
  }
  *out = expr_lit(x->b->ctx, &v);
  if (!*out) return bind_oom(x->b);
  (*out)->pos = a->pos;
  return 0;
}

/* ---- helpers ---- */

static struct expr *mk(struct bind *b, enum expr_fn fn, struct type t, struct expr *a0,
                       struct expr *a1) {
  struct expr *args[2] = {a0, a1};
  return expr_func(b->ctx, fn, t, args, a1 ? 2 : 1);
}

static int text_of(struct bind *b, const struct ast_expr *a, const char **out) {
  *out = bind_auto_name(b, a);
  return *out ? 0 : bind_oom(b);
}

int bind_expr_bool(struct bind *b, struct expr *e, const struct ast_expr *a, const char *what,
                   struct expr **out) {
  if (e->type.id == TYPE_BOOLEAN) {
    *out = e;
    return 0;
  }
  if (e->type.id == TYPE_NULL || e->type.id == TYPE_STRING) {
    *out = coerce_to(b->ctx, e, T(TYPE_BOOLEAN));
    return *out ? 0 : bind_oom(b);
  }
  const char *txt;
  int rc = text_of(b, a, &txt);
  if (rc) return rc;
  char tmp[32];
  return bind_error(b, ERR_SQL, a->pos,
                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data "
                    "type mismatch: %s expression \"%s\" of type \"%s\" is not a boolean.",
                    txt, what, txt, tname(e->type, tmp));
}

int bind_check_orderable(struct bind *b, const struct expr *e, const char *clause) {
  if (e->type.id != TYPE_ARRAY) return 0;
  char t1[32];
  return bind_error(b, ERR_SQL, e->pos,
                    "[DATATYPE_MISMATCH.INVALID_ORDERING_TYPE] %s over a value of type \"%s\" is "
                    "not supported by the local engine: order by size(...) or an element, or sort "
                    "the elements with sort_array().",
                    clause, tname(e->type, t1));
}

int bind_expr_compare(struct bind *b, enum expr_fn fn, struct expr *l, struct expr *r,
                      struct ast_pos pos, const char *text, struct expr **out) {
  struct type t;
  if (coerce_compare(l, r, &t)) {
    char t1[32], t2[32];
    return bind_error(b, ERR_SQL, pos,
                      "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                      "type mismatch: the left and right operands of the binary operator have "
                      "incompatible types (\"%s\" and \"%s\").",
                      text, tname(l->type, t1), tname(r->type, t2));
  }
  if (t.id == TYPE_NULL) t = T(TYPE_INT);
  l = coerce_to(b->ctx, l, t);
  r = coerce_to(b->ctx, r, t);
  if (!l || !r || !(*out = mk(b, fn, T(TYPE_BOOLEAN), l, r))) return bind_oom(b);
  (*out)->pos = pos;
  return 0;
}

static int not_of(struct bind *b, struct expr *e, struct expr **out) {
  *out = mk(b, FN_NOT, T(TYPE_BOOLEAN), e, NULL);
  if (!*out) return bind_oom(b);
  (*out)->pos = e->pos;
  return 0;
}

static int bind2(struct bind_ectx *x, const struct ast_expr *a, const struct ast_expr *c,
                 struct expr **l, struct expr **r) {
  int rc = bind_expr(x, a, l);
  return rc ? rc : bind_expr(x, c, r);
}

static enum expr_fn cmp_fn(enum ast_op op) {
  switch (op) {
  case AST_OP_EQ: return FN_EQ;
  case AST_OP_NE: return FN_NE;
  case AST_OP_LT: return FN_LT;
  case AST_OP_LE: return FN_LE;
  case AST_OP_GT: return FN_GT;
  case AST_OP_GE: return FN_GE;
  default: return FN_NSEQ;
  }
}

static int lit_i(struct bind *b, enum type_id id, int64_t v, struct expr **out) {
  *out = coerce_int(b->ctx, id, v);
  return *out ? 0 : bind_oom(b);
}

/* d (DATE or TIMESTAMP) + sign * interval literal. */
static int date_interval(struct bind *b, struct expr *d, const struct ast_lit *iv, int sign,
                         const struct ast_expr *a, struct expr **out) {
  int rc;
  struct expr *n;
  if (d->type.id == TYPE_STRING) d = coerce_to(b->ctx, d, T(iv->micros ? TYPE_TIMESTAMP : TYPE_DATE));
  if (!d) return bind_oom(b);
  if (d->type.id == TYPE_DATE && iv->micros == 0) {
    struct expr *cur = d;
    if (iv->months) {
      if ((rc = lit_i(b, TYPE_INT, (int64_t)sign * iv->months, &n))) return rc;
      if (!(cur = mk(b, FN_ADD_MONTHS, T(TYPE_DATE), cur, n))) return bind_oom(b);
    }
    if (iv->days || !iv->months) {
      if ((rc = lit_i(b, TYPE_INT, (int64_t)sign * iv->days, &n))) return rc;
      if (!(cur = mk(b, FN_DATE_ADD, T(TYPE_DATE), cur, n))) return bind_oom(b);
    }
    *out = cur;
    return 0;
  }
  if (d->type.id == TYPE_DATE) d = coerce_to(b->ctx, d, T(TYPE_TIMESTAMP));
  if (!d) return bind_oom(b);
  if (d->type.id != TYPE_TIMESTAMP) {
    const char *txt;
    char t1[32];
    if ((rc = text_of(b, a, &txt))) return rc;
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                      "type mismatch: the left and right operands of the binary operator have "
                      "incompatible types (\"%s\" and \"INTERVAL\").",
                      txt, tname(d->type, t1));
  }
  struct expr *args[4] = {d, NULL, NULL, NULL};
  if ((rc = lit_i(b, TYPE_BIGINT, (int64_t)sign * iv->months, &args[1])) ||
      (rc = lit_i(b, TYPE_BIGINT, (int64_t)sign * iv->days, &args[2])) ||
      (rc = lit_i(b, TYPE_BIGINT, sign * iv->micros, &args[3])))
    return rc;
  *out = expr_func(b->ctx, FN_TS_ADD_INTERVAL, T(TYPE_TIMESTAMP), args, 4);
  return *out ? 0 : bind_oom(b);
}

static int is_interval(const struct ast_expr *a) {
  return a->kind == AST_LIT && a->u.lit.type.id == TYPE_INTERVAL;
}

/* & | ^ (r given) and ~ (r NULL) on INT/BIGINT operands. */
static int bind_bitwise(struct bind *b, const struct ast_expr *a, enum expr_fn fn, struct expr *l,
                        struct expr *r, struct expr **out) {
  const char *txt;
  char msg[ERR_MSG_MAX];
  int rc;
  if ((rc = text_of(b, a, &txt))) return rc;
  rc = funcs_str2_bitwise(b->ctx, fn, l, r, txt, out, msg, sizeof msg);
  if (rc == ERR_NOMEM) return bind_oom(b);
  if (rc) return bind_error(b, rc, a->pos, "%s", msg);
  (*out)->pos = a->pos;
  return 0;
}

static int bind_arith(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  enum ast_op op = a->u.binary.op;
  const struct ast_expr *L = a->u.binary.left, *R = a->u.binary.right;
  struct expr *l, *r;
  int rc;
  if ((op == AST_OP_ADD || op == AST_OP_SUB) && is_interval(R)) {
    if ((rc = bind_expr(x, L, &l))) return rc;
    return date_interval(b, l, &R->u.lit, op == AST_OP_SUB ? -1 : 1, a, out);
  }
  if (op == AST_OP_ADD && is_interval(L)) {
    if ((rc = bind_expr(x, R, &r))) return rc;
    return date_interval(b, r, &L->u.lit, 1, a, out);
  }
  if ((rc = bind2(x, L, R, &l, &r))) return rc;
  if (op == AST_OP_CONCAT) {
    l = coerce_to(b->ctx, l, T(TYPE_STRING));
    r = coerce_to(b->ctx, r, T(TYPE_STRING));
    if (!l || !r || !(*out = mk(b, FN_CONCAT, T(TYPE_STRING), l, r))) return bind_oom(b);
    return 0;
  }
  if ((op == AST_OP_ADD || op == AST_OP_SUB) && l->type.id == TYPE_DATE && coerce_is_integral(r->type)) {
    r = coerce_to(b->ctx, r, T(TYPE_INT));
    if (!r || !(*out = mk(b, op == AST_OP_ADD ? FN_DATE_ADD : FN_DATE_SUB, T(TYPE_DATE), l, r)))
      return bind_oom(b);
    return 0;
  }
  if (op == AST_OP_ADD && r->type.id == TYPE_DATE && coerce_is_integral(l->type)) {
    l = coerce_to(b->ctx, l, T(TYPE_INT));
    if (!l || !(*out = mk(b, FN_DATE_ADD, T(TYPE_DATE), r, l))) return bind_oom(b);
    return 0;
  }
  if (op == AST_OP_SUB && l->type.id == TYPE_DATE && r->type.id == TYPE_DATE) {
    if (!(*out = mk(b, FN_DATEDIFF, T(TYPE_INT), l, r))) return bind_oom(b);
    return 0;
  }
  enum expr_fn fn;
  switch (op) {
  case AST_OP_ADD: fn = FN_ADD; break;
  case AST_OP_SUB: fn = FN_SUB; break;
  case AST_OP_MUL: fn = FN_MUL; break;
  case AST_OP_DIV: fn = FN_DIV; break;
  case AST_OP_IDIV: fn = FN_IDIV; break;
  case AST_OP_MOD: fn = FN_MOD; break;
  default:
    return bind_bitwise(b, a, op == AST_OP_BITAND ? FN_BITAND : op == AST_OP_BITOR ? FN_BITOR
                                                                                 : FN_BITXOR,
                        l, r, out);
  }
  int bad;
  *out = coerce_arith(b->ctx, fn, l, r, &bad);
  if (*out) {
    (*out)->pos = a->pos;
    return 0;
  }
  if (!bad) return bind_oom(b);
  const char *txt;
  char t1[32], t2[32];
  if ((rc = text_of(b, a, &txt))) return rc;
  return bind_error(b, ERR_SQL, a->pos,
                    "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                    "type mismatch: the left and right operands of the binary operator have "
                    "incompatible types (\"%s\" and \"%s\").",
                    txt, tname(l->type, t1), tname(r->type, t2));
}

static int bind_unary(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  const struct ast_expr *arg = a->u.unary.arg;
  struct expr *e;
  int rc;
  if (a->u.unary.op == AST_OP_NOT && arg->kind == AST_EXISTS)
    return bind_call_exists(x, arg, 1, out);
  if (a->u.unary.op == AST_OP_NOT && arg->kind == AST_IN_QUERY)
    return bind_call_in_query(x, arg, !arg->u.in_query.negated, out);
  if ((rc = bind_expr(x, arg, &e))) return rc;
  switch (a->u.unary.op) {
  case AST_OP_POS: *out = e; return 0;
  case AST_OP_NOT:
    if ((rc = bind_expr_bool(b, e, arg, "NOT", &e))) return rc;
    return not_of(b, e, out);
  case AST_OP_NEG:
    if (e->kind == EXPR_LIT && !e->u.lit.is_null && coerce_is_numeric(e->type)) {
      struct value v = e->u.lit;
      if (e->type.id == TYPE_DOUBLE) v.d = -v.d;
      else if (e->type.id == TYPE_INT && v.i == INT32_MIN) v.type = T(TYPE_BIGINT), v.i = -v.i;
      else v.i = (int64_t)(0 - (uint64_t)v.i);
      if (!(*out = expr_lit(b->ctx, &v))) return bind_oom(b);
      (*out)->pos = a->pos;
      return 0;
    }
    if (e->type.id == TYPE_STRING || e->type.id == TYPE_NULL) e = coerce_to(b->ctx, e, T(TYPE_DOUBLE));
    if (!e) return bind_oom(b);
    if (!coerce_is_numeric(e->type)) {
      const char *txt;
      char t1[32];
      if ((rc = text_of(b, a, &txt))) return rc;
      return bind_error(b, ERR_SQL, a->pos,
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to "
                        "data type mismatch: The first parameter requires the \"NUMERIC\" type, "
                        "however it has the type \"%s\".",
                        txt, tname(e->type, t1));
    }
    if (!(*out = mk(b, FN_NEG, e->type, e, NULL))) return bind_oom(b);
    return 0;
  default:
    return bind_bitwise(b, a, FN_BITNOT, e, NULL, out);
  }
}

/* Cast v[0..n) to their common type (*t). what names the construct. */
static int unify(struct bind *b, struct expr **v, int n, struct type *t, const struct ast_expr *a,
                 const char *what) {
  struct type w = T(TYPE_NULL);
  for (int i = 0; i < n; i++) {
    struct type nw;
    if (coerce_wider(w, v[i]->type, &nw)) {
      const char *txt;
      char t1[32], t2[32];
      int rc = text_of(b, a, &txt);
      if (rc) return rc;
      return bind_error(b, ERR_SQL, a->pos,
                        "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                        "type mismatch: Input to `%s` should all be the same type, but it's "
                        "(\"%s\", \"%s\").",
                        txt, what, tname(w, t1), tname(v[i]->type, t2));
    }
    w = nw;
  }
  for (int i = 0; i < n; i++)
    if (!(v[i] = coerce_to(b->ctx, v[i], w))) return bind_oom(b);
  *t = w;
  return 0;
}

static int bind_between(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  struct expr *v, *lo, *hi, *c[2];
  const char *txt;
  int rc;
  if ((rc = bind_expr(x, a->u.between.arg, &v)) || (rc = bind2(x, a->u.between.low, a->u.between.high, &lo, &hi)) ||
      (rc = text_of(b, a, &txt)))
    return rc;
  struct expr *v2 = expr_copy(b->ctx, v);
  if (!v2) return bind_oom(b);
  if ((rc = bind_expr_compare(b, FN_GE, v, lo, a->pos, txt, &c[0])) ||
      (rc = bind_expr_compare(b, FN_LE, v2, hi, a->pos, txt, &c[1])))
    return rc;
  struct expr *e = expr_func(b->ctx, FN_AND, T(TYPE_BOOLEAN), c, 2);
  if (!e) return bind_oom(b);
  if (a->u.between.negated) return not_of(b, e, out);
  *out = e;
  return 0;
}

static int bind_like(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  struct expr *v, *p;
  int rc;
  if ((rc = bind2(x, a->u.like.arg, a->u.like.pattern, &v, &p))) return rc;
  if (!funcs_implicit_ok(v->type, T(TYPE_STRING))) {
    const char *txt;
    char t1[32];
    if ((rc = text_of(b, a, &txt))) return rc;
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due to data "
                      "type mismatch: The first parameter requires the \"STRING\" type, however "
                      "it has the type \"%s\".",
                      txt, tname(v->type, t1));
  }
  v = coerce_to(b->ctx, v, T(TYPE_STRING));
  p = coerce_to(b->ctx, p, T(TYPE_STRING));
  if (!v || !p) return bind_oom(b);
  if (p->kind != EXPR_LIT && a->u.like.kind == AST_LIKE_RLIKE) {
    /* a pattern per row: the regex function compiles each distinct one */
    struct expr *e = mk(b, FN_RLIKE, T(TYPE_BOOLEAN), v, p);
    if (!e) return bind_oom(b);
    e->pos = a->pos;
    if (a->u.like.negated) return not_of(b, e, out);
    *out = e;
    return 0;
  }
  if (p->kind != EXPR_LIT)
    return bind_error(b, ERR_UNSUPPORTED, a->u.like.pattern->pos,
                      "The local engine supports only constant patterns in LIKE.");
  if (p->u.lit.is_null) {
    if (!(*out = coerce_null(b->ctx, T(TYPE_BOOLEAN)))) return bind_oom(b);
    return 0;
  }
  char esc = '\\';
  if (a->u.like.escape) {
    const struct ast_expr *ea = a->u.like.escape;
    if (ea->kind != AST_LIT || ea->u.lit.type.id != TYPE_STRING || ea->u.lit.len != 1)
      return bind_error(b, ERR_SQL, ea->pos,
                        "[INVALID_ESCAPE_CHAR] The escape character must be a string literal of "
                        "length one.");
    esc = ea->u.lit.s[0];
  }
  const char *src = p->u.lit.s;
  uint32_t n = p->u.lit.len;
  char *pat = plan_alloc(b->ctx, (size_t)n * 2 + 1);
  if (!pat) return bind_oom(b);
  uint32_t k = 0;
  if (esc == '\\' || a->u.like.kind == AST_LIKE_RLIKE) {
    memcpy(pat, src, n);
    k = n;
  } else {
    for (uint32_t i = 0; i < n; i++) {
      if (src[i] == esc && i + 1 < n) {
        pat[k++] = '\\';
        pat[k++] = src[++i];
      } else if (src[i] == '\\') {
        pat[k++] = '\\';
        pat[k++] = '\\';
      } else {
        pat[k++] = src[i];
      }
    }
  }
  struct expr *e = plan_alloc(b->ctx, sizeof *e);
  if (!e) return bind_oom(b);
  e->kind = EXPR_LIKE;
  e->type = T(TYPE_BOOLEAN);
  e->nullable = v->nullable;
  e->pos = a->pos;
  e->u.like.arg = v;
  e->u.like.pattern = pat;
  e->u.like.len = k;
  e->u.like.kind = a->u.like.kind;
  e->u.like.negated = a->u.like.negated;
  *out = e;
  return 0;
}

static int bind_in_list(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  int n = a->u.in_list.n, rc;
  struct expr **v = plan_alloc(b->ctx, sizeof *v * (size_t)(n + 1));
  if (!v) return bind_oom(b);
  if ((rc = bind_expr(x, a->u.in_list.arg, &v[0]))) return rc;
  for (int i = 0; i < n; i++)
    if ((rc = bind_expr(x, a->u.in_list.list[i], &v[i + 1]))) return rc;
  struct type t;
  if ((rc = unify(b, v, n + 1, &t, a, "in"))) return rc;
  if (t.id == TYPE_NULL) {
    *out = coerce_null(b->ctx, T(TYPE_BOOLEAN));
    return *out ? 0 : bind_oom(b);
  }
  struct expr *e = plan_alloc(b->ctx, sizeof *e);
  if (!e) return bind_oom(b);
  e->kind = EXPR_IN_LIST;
  e->type = T(TYPE_BOOLEAN);
  e->nullable = 1;
  e->pos = a->pos;
  e->u.in_list.arg = v[0];
  e->u.in_list.list = v + 1;
  e->u.in_list.n = n;
  e->u.in_list.negated = a->u.in_list.negated;
  *out = e;
  return 0;
}

static int bind_case(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  int n = a->u.cases.n, rc;
  struct expr **when = plan_alloc(b->ctx, sizeof *when * (size_t)n);
  struct expr **vals = plan_alloc(b->ctx, sizeof *vals * (size_t)(n + 1));
  if (!when || !vals) return bind_oom(b);
  struct expr *operand = NULL;
  const char *txt = NULL;
  if (a->u.cases.operand) {
    if ((rc = bind_expr(x, a->u.cases.operand, &operand)) || (rc = text_of(b, a, &txt))) return rc;
  }
  for (int i = 0; i < n; i++) {
    struct expr *w;
    if ((rc = bind_expr(x, a->u.cases.when[i], &w))) return rc;
    if (operand) {
      struct expr *o = i ? expr_copy(b->ctx, operand) : operand;
      if (!o) return bind_oom(b);
      if ((rc = bind_expr_compare(b, FN_EQ, o, w, a->pos, txt, &w))) return rc;
    } else if ((rc = bind_expr_bool(b, w, a->u.cases.when[i], "CASE WHEN", &w))) {
      return rc;
    }
    when[i] = w;
    if ((rc = bind_expr(x, a->u.cases.then[i], &vals[i]))) return rc;
  }
  int nv = n;
  if (a->u.cases.otherwise) {
    if ((rc = bind_expr(x, a->u.cases.otherwise, &vals[n]))) return rc;
    nv++;
  }
  struct type t;
  if ((rc = unify(b, vals, nv, &t, a, "CASE"))) return rc;
  struct expr *e = plan_alloc(b->ctx, sizeof *e);
  if (!e) return bind_oom(b);
  e->kind = EXPR_CASE;
  e->type = t;
  e->nullable = 1;
  e->pos = a->pos;
  e->u.cases.when = when;
  e->u.cases.then = vals;
  e->u.cases.n = n;
  e->u.cases.otherwise = nv > n ? vals[n] : NULL;
  *out = e;
  return 0;
}

static int bind_cast(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  struct expr *v;
  int rc = bind_expr(x, a->u.cast.arg, &v);
  if (rc) return rc;
  struct type t = a->u.cast.type;
  if (t.id == TYPE_DECIMAL && t.precision > COERCE_MAX_PRECISION) {
    int drop = t.precision - COERCE_MAX_PRECISION;
    t.precision = COERCE_MAX_PRECISION;
    t.scale = (uint8_t)(t.scale > drop ? t.scale - drop : 0);
  }
  if (!coerce_can_cast(v->type, t)) {
    const char *txt;
    char t1[32], t2[32];
    if ((rc = text_of(b, a, &txt))) return rc;
    return bind_error(b, ERR_SQL, a->pos,
                      "[DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION] Cannot resolve \"%s\" due to "
                      "data type mismatch: cannot cast \"%s\" to \"%s\".",
                      txt, tname(v->type, t1), tname(t, t2));
  }
  if (!(*out = coerce_to(b->ctx, v, t))) return bind_oom(b);
  /* TRY_CAST gives NULL where CAST fails, whatever spark.sql.ansi.enabled */
  if (a->u.cast.try_cast && *out != v && (*out)->kind == EXPR_CAST) (*out)->try_eval = 1;
  return 0;
}

int bind_expr(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  struct bind *b = x->b;
  int rc;
  switch (a->kind) {
  case AST_LIT: return bind_lit(x, a, out);
  case AST_COL: return bind_resolve(x, &a->u.col, out);
  case AST_STAR:
    return bind_error(b, ERR_SQL, a->pos,
                      "[INVALID_USAGE_OF_STAR_OR_REGEX] Invalid usage of '*' in expression.");
  case AST_UNARY: return bind_unary(x, a, out);
  case AST_BINARY: {
    enum ast_op op = a->u.binary.op;
    if (op < AST_OP_EQ || op > AST_OP_NSEQ) return bind_arith(x, a, out);
    struct expr *l, *r;
    const char *txt;
    if ((rc = bind2(x, a->u.binary.left, a->u.binary.right, &l, &r)) || (rc = text_of(b, a, &txt)))
      return rc;
    return bind_expr_compare(b, cmp_fn(op), l, r, a->pos, txt, out);
  }
  case AST_AND:
  case AST_OR: {
    int n = a->u.logic.n;
    struct expr **v = plan_alloc(b->ctx, sizeof *v * (size_t)n);
    if (!v) return bind_oom(b);
    for (int i = 0; i < n; i++) {
      if ((rc = bind_expr(x, a->u.logic.args[i], &v[i])) ||
          (rc = bind_expr_bool(b, v[i], a->u.logic.args[i], a->kind == AST_AND ? "AND" : "OR", &v[i])))
        return rc;
    }
    *out = expr_func(b->ctx, a->kind == AST_AND ? FN_AND : FN_OR, T(TYPE_BOOLEAN), v, n);
    if (!*out) return bind_oom(b);
    (*out)->pos = a->pos;
    return 0;
  }
  case AST_IS_NULL: {
    struct expr *v;
    if ((rc = bind_expr(x, a->u.is_null.arg, &v))) return rc;
    if (!(*out = mk(b, a->u.is_null.negated ? FN_IS_NOT_NULL : FN_IS_NULL, T(TYPE_BOOLEAN), v, NULL)))
      return bind_oom(b);
    return 0;
  }
  case AST_IS_DISTINCT: {
    struct expr *l, *r, *e;
    const char *txt;
    if ((rc = bind2(x, a->u.binary.left, a->u.binary.right, &l, &r)) || (rc = text_of(b, a, &txt)) ||
        (rc = bind_expr_compare(b, FN_NSEQ, l, r, a->pos, txt, &e)))
      return rc;
    if (a->u.binary.negated) {
      *out = e;
      return 0;
    }
    return not_of(b, e, out);
  }
  case AST_BETWEEN: return bind_between(x, a, out);
  case AST_LIKE: return bind_like(x, a, out);
  case AST_IN_LIST: return bind_in_list(x, a, out);
  case AST_IN_QUERY: return bind_call_in_query(x, a, a->u.in_query.negated, out);
  case AST_EXISTS: return bind_call_exists(x, a, 0, out);
  case AST_SUBQUERY: return bind_call_scalar(x, a, out);
  case AST_CASE: return bind_case(x, a, out);
  case AST_CAST: return bind_cast(x, a, out);
  case AST_FUNC: return bind_call_func(x, a, out);
  }
  return bind_error(b, ERR_UNSUPPORTED, a->pos, "unsupported expression");
}

int bind_expr_top(struct bind_ectx *x, const struct ast_expr *a, struct expr **out) {
  int rc = bind_expr(x, a, out);
  if (rc || !x->agg) return rc;
  return bind_expr_regroup(x->b, x->agg, x->sc, *out, out);
}

int bind_expr_const_int(struct bind *b, const struct ast_expr *a, const char *what, int64_t *v) {
  struct bind_ectx x = {0};
  x.b = b;
  x.clause = what;
  struct expr *e;
  int rc = bind_expr(&x, a, &e);
  if (rc) return rc;
  if (e->type.id == TYPE_DECIMAL && e->type.scale == 0 && e->kind == EXPR_LIT && !e->u.lit.is_null) {
    *v = e->u.lit.i;
    return 0;
  }
  if (coerce_const_int(e, v))
    return bind_error(b, ERR_SQL, a->pos,
                      "[INVALID_LIMIT_LIKE_EXPRESSION.IS_UNFOLDABLE] The %s expression must be an "
                      "integer constant.",
                      what);
  return 0;
}
