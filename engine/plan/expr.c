/* expr.c: bound expression helpers (see expr.h). */
#include "engine/plan/expr.h"

#include <string.h>

#include "common/err.h"
#include "engine/plan/plan.h"
#include "engine/vec/array.h"
#include "engine/vec/datetime.h"
#include "engine/vec/schema.h"
#include "engine/vec/vector.h"

static struct expr *node(struct plan_ctx *ctx, enum expr_kind kind, struct type t) {
  struct expr *e = plan_alloc(ctx, sizeof *e);
  if (!e) return NULL;
  e->kind = kind;
  e->type = t;
  e->nullable = 1;
  e->ansi = ctx->ansi != 0;
  e->try_eval = 0;
  return e;
}

static struct expr **copy_args(struct plan_ctx *ctx, struct expr *const *args, int n) {
  if (n <= 0) return NULL;
  struct expr **a = plan_alloc(ctx, sizeof *a * (size_t)n);
  if (a) memcpy(a, args, sizeof *a * (size_t)n);
  return a;
}

struct expr *expr_lit(struct plan_ctx *ctx, const struct value *v) {
  struct expr *e = node(ctx, EXPR_LIT, v->type);
  if (!e) return NULL;
  e->u.lit = *v;
  e->nullable = v->is_null;
  return e;
}

struct expr *expr_col(struct plan_ctx *ctx, int id, struct type t, int nullable) {
  struct expr *e = node(ctx, EXPR_COL, t);
  if (!e) return NULL;
  e->u.col.id = id;
  e->u.col.index = -1;
  e->nullable = nullable;
  return e;
}

struct expr *expr_func(struct plan_ctx *ctx, enum expr_fn fn, struct type t, struct expr **args,
                       int nargs) {
  struct expr *e = node(ctx, EXPR_FUNC, t);
  if (!e) return NULL;
  e->u.func.fn = fn;
  e->u.func.nargs = nargs;
  e->u.func.args = copy_args(ctx, args, nargs);
  if (nargs > 0 && !e->u.func.args) return NULL;
  int nullable = 0;
  for (int i = 0; i < nargs; i++) nullable |= args[i]->nullable;
  switch (fn) {
  case FN_NSEQ: case FN_IS_NULL: case FN_IS_NOT_NULL: nullable = 0; break;
  case FN_DIV: case FN_IDIV: case FN_MOD: case FN_NULLIF: case FN_SQRT: case FN_LN:
  case FN_LOG10: nullable = 1; break;
  default: break;
  }
  e->nullable = nullable;
  return e;
}

struct expr *expr_cast(struct plan_ctx *ctx, struct expr *arg, struct type t) {
  struct expr *e = node(ctx, EXPR_CAST, t);
  if (!e) return NULL;
  e->u.cast.arg = arg;
  /* A cast can fail (NULL) unless it only widens. */
  e->nullable = 1;
  return e;
}

static struct expr **copy_list(struct plan_ctx *ctx, struct expr *const *l, int n) {
  if (n <= 0) return NULL;
  struct expr **a = plan_alloc(ctx, sizeof *a * (size_t)n);
  if (!a) return NULL;
  for (int i = 0; i < n; i++)
    if (!(a[i] = expr_copy(ctx, l[i]))) return NULL;
  return a;
}

struct expr *expr_copy(struct plan_ctx *ctx, const struct expr *e) {
  if (!e) return NULL;
  struct expr *c = plan_alloc(ctx, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  switch (e->kind) {
  case EXPR_LIT: case EXPR_COL: break;
  case EXPR_FUNC:
    c->u.func.args = copy_list(ctx, e->u.func.args, e->u.func.nargs);
    if (e->u.func.nargs && !c->u.func.args) return NULL;
    break;
  case EXPR_CASE:
    c->u.cases.when = copy_list(ctx, e->u.cases.when, e->u.cases.n);
    c->u.cases.then = copy_list(ctx, e->u.cases.then, e->u.cases.n);
    if (e->u.cases.otherwise && !(c->u.cases.otherwise = expr_copy(ctx, e->u.cases.otherwise)))
      return NULL;
    break;
  case EXPR_CAST:
    if (!(c->u.cast.arg = expr_copy(ctx, e->u.cast.arg))) return NULL;
    break;
  case EXPR_IN_LIST:
    if (!(c->u.in_list.arg = expr_copy(ctx, e->u.in_list.arg))) return NULL;
    c->u.in_list.list = copy_list(ctx, e->u.in_list.list, e->u.in_list.n);
    break;
  case EXPR_LIKE:
    if (!(c->u.like.arg = expr_copy(ctx, e->u.like.arg))) return NULL;
    break;
  case EXPR_SUBQUERY: case EXPR_IN_SUBQUERY: case EXPR_EXISTS:
    if (e->u.sub.arg && !(c->u.sub.arg = expr_copy(ctx, e->u.sub.arg))) return NULL;
    break;
  }
  return c;
}

/* Visit direct children; stops at the first non-zero return. */
static int each_child(struct expr *e, int (*fn)(struct expr *c, void *arg), void *arg) {
  int rc;
  switch (e->kind) {
  case EXPR_LIT: case EXPR_COL: return 0;
  case EXPR_FUNC:
    for (int i = 0; i < e->u.func.nargs; i++)
      if ((rc = fn(e->u.func.args[i], arg))) return rc;
    return 0;
  case EXPR_CASE:
    for (int i = 0; i < e->u.cases.n; i++) {
      if ((rc = fn(e->u.cases.when[i], arg))) return rc;
      if ((rc = fn(e->u.cases.then[i], arg))) return rc;
    }
    return e->u.cases.otherwise ? fn(e->u.cases.otherwise, arg) : 0;
  case EXPR_CAST: return fn(e->u.cast.arg, arg);
  case EXPR_IN_LIST:
    if ((rc = fn(e->u.in_list.arg, arg))) return rc;
    for (int i = 0; i < e->u.in_list.n; i++)
      if ((rc = fn(e->u.in_list.list[i], arg))) return rc;
    return 0;
  case EXPR_LIKE: return fn(e->u.like.arg, arg);
  case EXPR_SUBQUERY: case EXPR_IN_SUBQUERY: case EXPR_EXISTS:
    return e->u.sub.arg ? fn(e->u.sub.arg, arg) : 0;
  }
  return 0;
}

struct bind_arg {
  const int *ids;
  int n;
  struct err *err;
};

static int bind_one(struct expr *e, void *arg) {
  struct bind_arg *b = arg;
  if (e->kind == EXPR_COL) {
    for (int i = 0; i < b->n; i++)
      if (b->ids[i] == e->u.col.id) {
        e->u.col.index = i;
        return 0;
      }
    return err_set(b->err, ERR_INVAL, "internal error: column #%d is not in the operator's input",
                   e->u.col.id);
  }
  return each_child(e, bind_one, arg);
}

int expr_bind(struct expr *e, const int *ids, int n, struct err *err) {
  struct bind_arg b = {ids, n, err};
  return bind_one(e, &b);
}

struct cols_arg {
  void (*fn)(int id, void *arg);
  void *arg;
};

static int cols_one(struct expr *e, void *arg) {
  struct cols_arg *c = arg;
  if (e->kind == EXPR_COL) c->fn(e->u.col.id, c->arg);
  return each_child(e, cols_one, arg);
}

void expr_cols(const struct expr *e, void (*fn)(int id, void *arg), void *arg) {
  struct cols_arg c = {fn, arg};
  cols_one((struct expr *)e, &c);
}

struct only_arg {
  const int *ids;
  int n;
};

static int only_one(struct expr *e, void *arg) {
  struct only_arg *o = arg;
  if (e->kind == EXPR_SUBQUERY || e->kind == EXPR_IN_SUBQUERY || e->kind == EXPR_EXISTS) return 1;
  if (e->kind == EXPR_COL) {
    for (int i = 0; i < o->n; i++)
      if (o->ids[i] == e->u.col.id) return 0;
    return 1;
  }
  return each_child(e, only_one, arg);
}

int expr_only_cols(const struct expr *e, const int *ids, int n) {
  struct only_arg o = {ids, n};
  return only_one((struct expr *)e, &o) == 0;
}

static int const_one(struct expr *e, void *arg) {
  (void)arg;
  switch (e->kind) {
  case EXPR_COL: case EXPR_SUBQUERY: case EXPR_IN_SUBQUERY: case EXPR_EXISTS: return 1;
  case EXPR_FUNC:
    /* current_date/current_timestamp are constant within a query, but the
     * evaluator reads the clock: folding them in the driver keeps every
     * executor on the same value, so they count as constant. */
    break;
  default: break;
  }
  return each_child(e, const_one, arg);
}

int expr_is_constant(const struct expr *e) { return const_one((struct expr *)e, NULL) == 0; }

int expr_conjuncts(struct plan_ctx *ctx, struct expr *e, struct expr ***out, int *n) {
  if (e->kind == EXPR_FUNC && e->u.func.fn == FN_AND) {
    for (int i = 0; i < e->u.func.nargs; i++) {
      int rc = expr_conjuncts(ctx, e->u.func.args[i], out, n);
      if (rc) return rc;
    }
    return 0;
  }
  struct expr **a = plan_alloc(ctx, sizeof *a * (size_t)(*n + 1));
  if (!a) return ERR_NOMEM;
  if (*n) memcpy(a, *out, sizeof *a * (size_t)*n);
  a[(*n)++] = e;
  *out = a;
  return 0;
}

struct expr *expr_and(struct plan_ctx *ctx, struct expr **c, int n) {
  if (n == 1) return c[0];
  struct type b = {TYPE_BOOLEAN, 0, 0};
  return expr_func(ctx, FN_AND, b, c, n);
}

static const char *const fn_names[FN__COUNT] = {
    [FN_ADD] = "+", [FN_SUB] = "-", [FN_MUL] = "*", [FN_DIV] = "/", [FN_IDIV] = "div",
    [FN_MOD] = "%", [FN_NEG] = "-", [FN_EQ] = "=", [FN_NE] = "!=", [FN_LT] = "<",
    [FN_LE] = "<=", [FN_GT] = ">", [FN_GE] = ">=", [FN_NSEQ] = "<=>", [FN_AND] = "AND",
    [FN_OR] = "OR", [FN_NOT] = "NOT", [FN_IS_NULL] = "isnull", [FN_IS_NOT_NULL] = "isnotnull",
    [FN_COALESCE] = "coalesce", [FN_IF] = "if", [FN_NULLIF] = "nullif",
    [FN_GREATEST] = "greatest", [FN_LEAST] = "least", [FN_CONCAT] = "concat",
    [FN_SUBSTRING] = "substring", [FN_UPPER] = "upper", [FN_LOWER] = "lower",
    [FN_LENGTH] = "length", [FN_TRIM] = "trim", [FN_LTRIM] = "ltrim", [FN_RTRIM] = "rtrim",
    [FN_REPLACE] = "replace", [FN_INSTR] = "instr", [FN_LPAD] = "lpad", [FN_RPAD] = "rpad",
    [FN_STARTSWITH] = "startswith", [FN_ENDSWITH] = "endswith", [FN_CONTAINS] = "contains",
    [FN_CONCAT_WS] = "concat_ws", [FN_ABS] = "abs", [FN_ROUND] = "round", [FN_FLOOR] = "FLOOR",
    [FN_CEIL] = "CEIL", [FN_SQRT] = "SQRT", [FN_EXP] = "EXP", [FN_LN] = "ln",
    [FN_LOG10] = "LOG10", [FN_POWER] = "POWER", [FN_YEAR] = "year", [FN_MONTH] = "month",
    [FN_DAY] = "day", [FN_QUARTER] = "quarter", [FN_DAYOFWEEK] = "dayofweek",
    [FN_HOUR] = "hour", [FN_MINUTE] = "minute", [FN_SECOND] = "second",
    [FN_DATE_ADD] = "date_add", [FN_DATE_SUB] = "date_sub", [FN_DATEDIFF] = "datediff",
    [FN_ADD_MONTHS] = "add_months", [FN_DATE_TRUNC] = "date_trunc",
    [FN_DATE_FORMAT] = "date_format", [FN_TO_DATE_FMT] = "to_date",
    [FN_TO_TS_FMT] = "to_timestamp", [FN_TS_ADD_INTERVAL] = "timestampadd",
    [FN_CURRENT_DATE] = "current_date", [FN_CURRENT_TIMESTAMP] = "current_timestamp",
    [FN_HASH] = "hash", [FN_SIZE] = "size", [FN_ARRAY_CONTAINS] = "array_contains",
    [FN_SORT_ARRAY] = "sort_array", [FN_ARRAY_DISTINCT] = "array_distinct",
    [FN_ARRAY] = "array", [FN_ELEMENT_AT] = "element_at", [FN_ARRAY_SUBSCRIPT] = "subscript",
    [FN_ARRAY_JOIN] = "array_join", [FN_ARRAY_POSITION] = "array_position",
    [FN_ARRAY_REMOVE] = "array_remove", [FN_ARRAY_MAX] = "array_max",
    [FN_ARRAY_MIN] = "array_min", [FN_SLICE] = "slice", [FN_ARRAY_CONCAT] = "concat",
    [FN_ARRAY_UNION] = "array_union", [FN_ARRAY_INTERSECT] = "array_intersect",
    [FN_ARRAY_EXCEPT] = "array_except",
    [FN_INITCAP] = "initcap", [FN_REVERSE] = "reverse", [FN_ASCII] = "ascii",
    [FN_CHR] = "chr", [FN_RIGHT] = "right", [FN_TRANSLATE] = "translate",
    [FN_REPEAT] = "repeat", [FN_OCTET_LENGTH] = "octet_length",
    [FN_BIT_LENGTH] = "bit_length", [FN_FORMAT_NUMBER] = "format_number", [FN_MD5] = "md5",
    [FN_SHA1] = "sha1", [FN_SHA2] = "sha2", [FN_CRC32] = "crc32", [FN_BASE64] = "base64",
    [FN_UNBASE64] = "unbase64", [FN_HEX] = "hex", [FN_UNHEX] = "unhex",
    [FN_SPLIT_PART] = "split_part", [FN_SUBSTRING_INDEX] = "substring_index",
    [FN_LEVENSHTEIN] = "levenshtein", [FN_ELT] = "elt", [FN_FIND_IN_SET] = "find_in_set",
    [FN_SIGNUM] = "SIGNUM", [FN_ISNAN] = "isnan", [FN_CBRT] = "CBRT",
    [FN_FACTORIAL] = "factorial", [FN_BROUND] = "bround", [FN_SHIFTLEFT] = "shiftleft",
    [FN_SHIFTRIGHT] = "shiftright", [FN_SHIFTRIGHTUNSIGNED] = "shiftrightunsigned",
    [FN_BITAND] = "&", [FN_BITOR] = "|", [FN_BITXOR] = "^", [FN_BITNOT] = "~",
    [FN_UNIX_SECONDS] = "unix_seconds", [FN_SECONDS_TO_TS] = "timestamp_seconds",
    [FN_LAST_DAY] = "last_day", [FN_NEXT_DAY] = "next_day", [FN_WEEKOFYEAR] = "weekofyear",
    [FN_DAYOFYEAR] = "dayofyear", [FN_WEEKDAY] = "weekday",
    [FN_MONTHS_BETWEEN] = "months_between", [FN_MAKE_DATE] = "make_date",
    [FN_MAKE_TS] = "make_timestamp", [FN_TS_ADD_UNIT] = "timestampadd",
    [FN_TS_DIFF_UNIT] = "timestampdiff", [FN_TRUNC_DATE] = "trunc",
    [FN_AGG_ORDKEY] = "agg_ordkey",
    [FN_RLIKE] = "RLIKE", [FN_REGEXP_EXTRACT] = "regexp_extract",
    [FN_REGEXP_EXTRACT_ALL] = "regexp_extract_all", [FN_REGEXP_REPLACE] = "regexp_replace",
    [FN_REGEXP_COUNT] = "regexp_count", [FN_REGEXP_SUBSTR] = "regexp_substr",
    [FN_SPLIT] = "split",
};

const char *expr_fn_name(enum expr_fn fn) {
  return (fn >= 0 && fn < FN__COUNT && fn_names[fn]) ? fn_names[fn] : "?";
}

static int is_infix(enum expr_fn fn) {
  switch (fn) {
  case FN_ADD: case FN_SUB: case FN_MUL: case FN_DIV: case FN_IDIV: case FN_MOD: case FN_EQ:
  case FN_NE: case FN_LT: case FN_LE: case FN_GT: case FN_GE: case FN_NSEQ: case FN_AND:
  case FN_OR:
    return 1;
  default: return 0;
  }
}

static int dump_value(const struct value *v, struct buf *out) {
  if (v->is_null) return buf_puts(out, "NULL");
  char tmp[48];
  switch (v->type.id) {
  case TYPE_NULL: return buf_puts(out, "NULL");
  case TYPE_BOOLEAN: return buf_puts(out, v->i ? "true" : "false");
  case TYPE_INT: return buf_printf(out, "%lld", (long long)v->i);
  case TYPE_BIGINT: return buf_printf(out, "%lld", (long long)v->i);
  case TYPE_DOUBLE: return vector_format_double(v->d, out);
  case TYPE_DECIMAL: return vector_format_decimal(v->i, v->type.scale, out);
  case TYPE_STRING: return buf_append(out, v->s, v->len);
  case TYPE_DATE:
    tmp[datetime_format_date((int32_t)v->i, tmp)] = 0;
    return buf_printf(out, "DATE '%s'", tmp);
  case TYPE_TIMESTAMP: return buf_printf(out, "TIMESTAMP_MICROS %lld", (long long)v->i);
  case TYPE_ARRAY: /* a folded array(...) constant, shown as Spark prints arrays */
    return array_format(sv_make(v->s, v->len), v->type, out);
  default: return buf_puts(out, "?");
  }
}

int expr_dump(const struct expr *e, int with_ids, const struct plan_ctx *ctx, struct buf *out) {
  int rc = 0;
  char tmp[32];
  switch (e->kind) {
  case EXPR_LIT:
    if (e->u.lit.type.id == TYPE_STRING && !e->u.lit.is_null && with_ids) {
      if ((rc = buf_putc(out, '\''))) return rc;
      if ((rc = dump_value(&e->u.lit, out))) return rc;
      return buf_putc(out, '\'');
    }
    return dump_value(&e->u.lit, out);
  case EXPR_COL: {
    const char *name = ctx ? plan_ctx_name(ctx, e->u.col.id) : NULL;
    if (!with_ids) return name ? buf_puts(out, name) : buf_printf(out, "col%d", e->u.col.id);
    return buf_printf(out, "%s#%d", name ? name : "", e->u.col.id);
  }
  case EXPR_FUNC: {
    enum expr_fn fn = e->u.func.fn;
    if (is_infix(fn) && e->u.func.nargs >= 2) {
      rc = buf_putc(out, '(');
      for (int i = 0; i < e->u.func.nargs && !rc; i++) {
        if (i) rc = buf_printf(out, " %s ", expr_fn_name(fn));
        if (!rc) rc = expr_dump(e->u.func.args[i], with_ids, ctx, out);
      }
      return rc ? rc : buf_putc(out, ')');
    }
    if (fn == FN_NEG || fn == FN_NOT) {
      rc = buf_puts(out, fn == FN_NEG ? "-" : "(NOT ");
      if (!rc) rc = expr_dump(e->u.func.args[0], with_ids, ctx, out);
      return rc || fn == FN_NEG ? rc : buf_putc(out, ')');
    }
    if ((rc = buf_printf(out, "%s(", expr_fn_name(fn)))) return rc;
    for (int i = 0; i < e->u.func.nargs && !rc; i++) {
      if (i) rc = buf_puts(out, ", ");
      if (!rc) rc = expr_dump(e->u.func.args[i], with_ids, ctx, out);
    }
    return rc ? rc : buf_putc(out, ')');
  }
  case EXPR_CASE:
    rc = buf_puts(out, "CASE");
    for (int i = 0; i < e->u.cases.n && !rc; i++) {
      rc = buf_puts(out, " WHEN ");
      if (!rc) rc = expr_dump(e->u.cases.when[i], with_ids, ctx, out);
      if (!rc) rc = buf_puts(out, " THEN ");
      if (!rc) rc = expr_dump(e->u.cases.then[i], with_ids, ctx, out);
    }
    if (!rc && e->u.cases.otherwise) {
      rc = buf_puts(out, " ELSE ");
      if (!rc) rc = expr_dump(e->u.cases.otherwise, with_ids, ctx, out);
    }
    return rc ? rc : buf_puts(out, " END");
  case EXPR_CAST:
    if ((rc = buf_puts(out, "CAST("))) return rc;
    if ((rc = expr_dump(e->u.cast.arg, with_ids, ctx, out))) return rc;
    return buf_printf(out, " AS %s)", schema_type_sql(e->type, tmp));
  case EXPR_IN_LIST:
    if ((rc = buf_puts(out, "("))) return rc;
    if ((rc = expr_dump(e->u.in_list.arg, with_ids, ctx, out))) return rc;
    rc = buf_puts(out, e->u.in_list.negated ? " NOT IN (" : " IN (");
    for (int i = 0; i < e->u.in_list.n && !rc; i++) {
      if (i) rc = buf_puts(out, ",");
      if (!rc) rc = expr_dump(e->u.in_list.list[i], with_ids, ctx, out);
    }
    return rc ? rc : buf_puts(out, "))");
  case EXPR_LIKE: {
    static const char *const kw[] = {"LIKE", "ILIKE", "RLIKE"};
    if ((rc = buf_puts(out, "("))) return rc;
    if ((rc = expr_dump(e->u.like.arg, with_ids, ctx, out))) return rc;
    if ((rc = buf_printf(out, "%s %s '", e->u.like.negated ? " NOT" : "", kw[e->u.like.kind])))
      return rc;
    if ((rc = buf_append(out, e->u.like.pattern, e->u.like.len))) return rc;
    return buf_puts(out, "')");
  }
  case EXPR_SUBQUERY: return buf_puts(out, "scalar-subquery");
  case EXPR_IN_SUBQUERY:
    if ((rc = expr_dump(e->u.sub.arg, with_ids, ctx, out))) return rc;
    return buf_puts(out, e->u.sub.negated ? " NOT IN (subquery)" : " IN (subquery)");
  case EXPR_EXISTS: return buf_puts(out, e->u.sub.negated ? "NOT EXISTS (subquery)" : "EXISTS (subquery)");
  }
  return 0;
}
