/* coerce.c: see coerce.h. */
#include "engine/analyze/coerce.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vec/datetime.h"

static const int64_t pow10_tab[19] = {1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL,
                                      10000000LL, 100000000LL, 1000000000LL, 10000000000LL,
                                      100000000000LL, 1000000000000LL, 10000000000000LL,
                                      100000000000000LL, 1000000000000000LL,
                                      10000000000000000LL, 100000000000000000LL,
                                      1000000000000000000LL};

static struct type T(enum type_id id) {
  struct type t = {id, 0, 0};
  return t;
}

static struct type DEC(int p, int s) {
  struct type t = {TYPE_DECIMAL, 0, 0};
  if (p > COERCE_MAX_PRECISION) p = COERCE_MAX_PRECISION;
  if (s > p) s = p;
  if (p < 1) p = 1;
  t.precision = (uint8_t)p;
  t.scale = (uint8_t)s;
  return t;
}

int coerce_is_numeric(struct type t) {
  return t.id == TYPE_INT || t.id == TYPE_BIGINT || t.id == TYPE_DOUBLE || t.id == TYPE_DECIMAL;
}

int coerce_is_integral(struct type t) { return t.id == TYPE_INT || t.id == TYPE_BIGINT; }

int coerce_type_eq(struct type a, struct type b) {
  if (a.id != b.id) return 0;
  if (a.id == TYPE_ARRAY)
    return a.precision == b.precision && a.scale == b.scale; /* element type inside */
  return a.id != TYPE_DECIMAL || (a.precision == b.precision && a.scale == b.scale);
}

static int digits(int64_t v) {
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  int d = 1;
  while (u >= 10) {
    u /= 10;
    d++;
  }
  return d;
}

static struct type decimal_of_type(struct type t) {
  switch (t.id) {
    case TYPE_INT: return DEC(10, 0);
    case TYPE_BIGINT: return DEC(18, 0);
    default: return t;
  }
}

struct type coerce_decimal_for(const struct expr *e) {
  if (e->kind == EXPR_LIT && !e->u.lit.is_null && coerce_is_integral(e->type))
    return DEC(digits(e->u.lit.i), 0);
  return decimal_of_type(e->type);
}

/* Wider of two decimals: enough integer digits and scale for both. */
static struct type wider_decimal(struct type a, struct type b) {
  int s = a.scale > b.scale ? a.scale : b.scale;
  int ia = a.precision - a.scale, ib = b.precision - b.scale;
  int i = ia > ib ? ia : ib;
  return DEC(i + s, s);
}

static int numeric_rank(enum type_id id) {
  switch (id) {
    case TYPE_INT: return 1;
    case TYPE_BIGINT: return 2;
    case TYPE_DECIMAL: return 3;
    case TYPE_DOUBLE: return 4;
    default: return 0;
  }
}

static int wider_numeric(struct type a, struct type b, struct type *out) {
  if (a.id == TYPE_DECIMAL || b.id == TYPE_DECIMAL) {
    if (a.id == TYPE_DOUBLE || b.id == TYPE_DOUBLE) {
      *out = T(TYPE_DOUBLE);
      return 0;
    }
    *out = wider_decimal(decimal_of_type(a), decimal_of_type(b));
    return 0;
  }
  *out = numeric_rank(a.id) >= numeric_rank(b.id) ? a : b;
  return 0;
}

int coerce_wider(struct type a, struct type b, struct type *out) {
  if (coerce_type_eq(a, b)) {
    *out = a;
    return 0;
  }
  if (a.id == TYPE_NULL) {
    *out = b;
    return 0;
  }
  if (b.id == TYPE_NULL) {
    *out = a;
    return 0;
  }
  if (a.id == TYPE_ARRAY || b.id == TYPE_ARRAY) return -1; /* only equal array types unify */
  if (coerce_is_numeric(a) && coerce_is_numeric(b)) return wider_numeric(a, b, out);
  if ((a.id == TYPE_DATE && b.id == TYPE_TIMESTAMP) || (a.id == TYPE_TIMESTAMP && b.id == TYPE_DATE)) {
    *out = T(TYPE_TIMESTAMP);
    return 0;
  }
  if ((a.id == TYPE_STRING && b.id != TYPE_INTERVAL && b.id != TYPE_BOOLEAN) ||
      (b.id == TYPE_STRING && a.id != TYPE_INTERVAL && a.id != TYPE_BOOLEAN)) {
    *out = T(TYPE_STRING);
    return 0;
  }
  return -1;
}

int coerce_compare(const struct expr *ea, const struct expr *eb, struct type *out) {
  struct type a = ea->type, b = eb->type;
  /* The engine neither orders nor compares arrays: the caller reports the
   * types as a mismatch. */
  if (a.id == TYPE_ARRAY || b.id == TYPE_ARRAY) return -1;
  if (a.id == TYPE_STRING || b.id == TYPE_STRING) {
    struct type o = a.id == TYPE_STRING ? b : a;
    switch (o.id) {
      case TYPE_STRING:
      case TYPE_NULL: *out = T(TYPE_STRING); return 0;
      case TYPE_DATE: *out = T(TYPE_DATE); return 0;
      case TYPE_TIMESTAMP: *out = T(TYPE_TIMESTAMP); return 0;
      case TYPE_INT:
      case TYPE_BIGINT: *out = o; return 0;
      case TYPE_DOUBLE:
      case TYPE_DECIMAL: *out = T(TYPE_DOUBLE); return 0;
      case TYPE_BOOLEAN: *out = T(TYPE_BOOLEAN); return 0;
      default: return -1;
    }
  }
  if (coerce_is_numeric(a) && coerce_is_numeric(b) && (a.id == TYPE_DECIMAL || b.id == TYPE_DECIMAL) &&
      a.id != TYPE_DOUBLE && b.id != TYPE_DOUBLE) {
    *out = wider_decimal(coerce_decimal_for(ea), coerce_decimal_for(eb));
    return 0;
  }
  return coerce_wider(a, b, out);
}

int coerce_can_cast(struct type from, struct type to) {
  if (from.id == TYPE_ARRAY || to.id == TYPE_ARRAY) /* to text, or to itself */
    return (from.id == TYPE_ARRAY && to.id == TYPE_STRING) || coerce_type_eq(from, to) ||
           (from.id == TYPE_NULL && to.id == TYPE_ARRAY);
  if (coerce_type_eq(from, to) || from.id == TYPE_NULL || from.id == TYPE_STRING || to.id == TYPE_STRING)
    return to.id != TYPE_INTERVAL && to.id != TYPE_NULL;
  if (from.id == TYPE_INTERVAL || to.id == TYPE_INTERVAL || to.id == TYPE_NULL) return 0;
  int fn = coerce_is_numeric(from) || from.id == TYPE_BOOLEAN;
  int tn = coerce_is_numeric(to) || to.id == TYPE_BOOLEAN;
  if (fn && tn) return 1;
  if ((from.id == TYPE_DATE || from.id == TYPE_TIMESTAMP) && (to.id == TYPE_DATE || to.id == TYPE_TIMESTAMP))
    return 1;
  /* numeric <-> TIMESTAMP (seconds) is allowed; DATE <-> numeric is not */
  if ((fn && to.id == TYPE_TIMESTAMP) || (from.id == TYPE_TIMESTAMP && tn)) return 1;
  return 0;
}

static struct expr *lit(struct plan_ctx *ctx, struct value v) { return expr_lit(ctx, &v); }

struct expr *coerce_null(struct plan_ctx *ctx, struct type t) {
  struct value v = {0};
  v.type = t;
  v.is_null = 1;
  return lit(ctx, v);
}

struct expr *coerce_int(struct plan_ctx *ctx, enum type_id id, int64_t x) {
  struct value v = {0};
  v.type = T(id);
  v.i = x;
  return lit(ctx, v);
}

struct expr *coerce_string(struct plan_ctx *ctx, const char *s, size_t len) {
  struct value v = {0};
  v.type = T(TYPE_STRING);
  char *p = plan_alloc(ctx, len + 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  v.s = p;
  v.len = (uint32_t)len;
  return lit(ctx, v);
}

int coerce_const_int(const struct expr *e, int64_t *v) {
  if (e->kind == EXPR_LIT && !e->u.lit.is_null && coerce_is_integral(e->type)) {
    *v = e->u.lit.i;
    return 0;
  }
  return -1;
}

/* Fold a literal cast when exact; 1 when folded into *out. */
static int fold(const struct value *in, struct type t, struct value *out) {
  *out = *in;
  out->type = t;
  if (in->is_null || in->type.id == TYPE_NULL) {
    memset(out, 0, sizeof *out);
    out->type = t;
    out->is_null = 1;
    return 1;
  }
  switch (in->type.id) {
    case TYPE_INT:
    case TYPE_BIGINT:
      switch (t.id) {
        case TYPE_INT:
          return in->i >= INT32_MIN && in->i <= INT32_MAX;
        case TYPE_BIGINT: return 1;
        case TYPE_DOUBLE: out->d = (double)in->i; return 1;
        case TYPE_DECIMAL:
          if (t.scale > 18) return 0;
          if (digits(in->i) + t.scale > t.precision) return 0;
          out->i = in->i * pow10_tab[t.scale];
          return 1;
        default: return 0;
      }
    case TYPE_DECIMAL:
      switch (t.id) {
        case TYPE_DOUBLE: out->d = (double)in->i / (double)pow10_tab[in->type.scale]; return 1;
        case TYPE_DECIMAL: {
          if (t.scale < in->type.scale) return 0;
          int up = t.scale - in->type.scale;
          if (digits(in->i) + up > t.precision) return 0;
          out->i = in->i * pow10_tab[up];
          return 1;
        }
        default: return 0;
      }
    case TYPE_STRING:
      switch (t.id) {
        case TYPE_DATE: {
          int32_t d;
          if (datetime_parse_date(in->s, in->len, &d)) return 0;
          out->i = d;
          return 1;
        }
        case TYPE_TIMESTAMP: {
          int64_t us;
          if (datetime_parse_timestamp(in->s, in->len, &us)) return 0;
          out->i = us;
          return 1;
        }
        default: return 0;
      }
    case TYPE_DATE:
      if (t.id == TYPE_TIMESTAMP) {
        out->i = in->i * DATETIME_US_PER_DAY;
        return 1;
      }
      return 0;
    default: return 0;
  }
}

struct expr *coerce_to(struct plan_ctx *ctx, struct expr *e, struct type t) {
  if (!e) return NULL;
  if (coerce_type_eq(e->type, t)) return e;
  if (e->kind == EXPR_LIT) {
    struct value v;
    if (fold(&e->u.lit, t, &v)) {
      struct expr *r = expr_lit(ctx, &v);
      if (r) r->pos = e->pos;
      return r;
    }
  }
  struct expr *c = expr_cast(ctx, e, t);
  if (c) {
    c->pos = e->pos;
    /* widening numeric casts cannot fail */
    if (coerce_is_numeric(e->type) && coerce_is_numeric(t) && numeric_rank(t.id) > numeric_rank(e->type.id) &&
        t.id != TYPE_DECIMAL)
      c->nullable = e->nullable;
  }
  return c;
}

struct expr *coerce_arith(struct plan_ctx *ctx, enum expr_fn fn, struct expr *a, struct expr *b,
                          int *bad) {
  *bad = 0;
  struct type ta = a->type, tb = b->type;
  /* Spark casts strings to DOUBLE in arithmetic; NULL takes the other side */
  if (ta.id == TYPE_STRING) ta = T(TYPE_DOUBLE);
  if (tb.id == TYPE_STRING) tb = T(TYPE_DOUBLE);
  if (ta.id == TYPE_NULL) ta = tb.id == TYPE_NULL ? T(TYPE_INT) : tb;
  if (tb.id == TYPE_NULL) tb = ta;
  if (ta.id == TYPE_NULL) ta = tb = T(fn == FN_DIV ? TYPE_DOUBLE : TYPE_INT);
  if (!coerce_is_numeric(ta) || !coerce_is_numeric(tb)) {
    *bad = 1;
    return NULL;
  }
  struct expr *args[2];
  struct type rt;
  if (fn == FN_DIV && (ta.id == TYPE_DECIMAL || tb.id == TYPE_DECIMAL) && ta.id != TYPE_DOUBLE &&
      tb.id != TYPE_DOUBLE) {
    /* Spark's decimal division: scale max(6, s1 + p2 + 1), integer digits
     * p1 - s1 + s2, then adjusted to the widest decimal keeping at least 6
     * decimals (Spark's limit is 38 digits, the engine's 18). */
    struct type da = ta.id == TYPE_DECIMAL ? ta : (a->type.id == TYPE_NULL ? tb : coerce_decimal_for(a));
    struct type db = tb.id == TYPE_DECIMAL ? tb : (b->type.id == TYPE_NULL ? ta : coerce_decimal_for(b));
    if (da.id != TYPE_DECIMAL) da = decimal_of_type(da);
    if (db.id != TYPE_DECIMAL) db = decimal_of_type(db);
    int scale = da.scale + db.precision + 1;
    if (scale < 6) scale = 6;
    int intd = da.precision - da.scale + db.scale;
    if (intd + scale > COERCE_MAX_PRECISION) {
      int mins = scale < 6 ? scale : 6;
      scale = COERCE_MAX_PRECISION - intd > mins ? COERCE_MAX_PRECISION - intd : mins;
    }
    rt = DEC(intd + scale, scale);
    args[0] = coerce_to(ctx, a, da);
    args[1] = coerce_to(ctx, b, db);
  } else if (fn == FN_DIV) {
    rt = T(TYPE_DOUBLE);
    args[0] = coerce_to(ctx, a, rt);
    args[1] = coerce_to(ctx, b, rt);
  } else if (fn == FN_IDIV) {
    rt = T(TYPE_BIGINT);
    args[0] = coerce_to(ctx, a, rt);
    args[1] = coerce_to(ctx, b, rt);
  } else if (ta.id == TYPE_DOUBLE || tb.id == TYPE_DOUBLE) {
    rt = T(TYPE_DOUBLE);
    args[0] = coerce_to(ctx, a, rt);
    args[1] = coerce_to(ctx, b, rt);
  } else if (ta.id == TYPE_DECIMAL || tb.id == TYPE_DECIMAL) {
    struct type da = ta.id == TYPE_DECIMAL ? ta : (a->type.id == TYPE_NULL ? tb : coerce_decimal_for(a));
    struct type db = tb.id == TYPE_DECIMAL ? tb : (b->type.id == TYPE_NULL ? ta : coerce_decimal_for(b));
    if (da.id != TYPE_DECIMAL) da = decimal_of_type(da);
    if (db.id != TYPE_DECIMAL) db = decimal_of_type(db);
    if (fn == FN_MUL) {
      if (da.scale + db.scale > COERCE_MAX_PRECISION) {
        rt = T(TYPE_DOUBLE);
        args[0] = coerce_to(ctx, a, rt);
        args[1] = coerce_to(ctx, b, rt);
      } else {
        rt = DEC(da.precision + db.precision + 1, da.scale + db.scale);
        if (rt.scale > rt.precision) rt.scale = rt.precision;
        args[0] = coerce_to(ctx, a, da);
        args[1] = coerce_to(ctx, b, db);
      }
    } else {
      struct type w = wider_decimal(da, db);
      args[0] = coerce_to(ctx, a, w);
      args[1] = coerce_to(ctx, b, w);
      rt = fn == FN_MOD ? w : DEC(w.precision + 1, w.scale);
    }
  } else {
    rt = numeric_rank(ta.id) >= numeric_rank(tb.id) ? ta : tb;
    args[0] = coerce_to(ctx, a, rt);
    args[1] = coerce_to(ctx, b, rt);
  }
  if (!args[0] || !args[1]) return NULL;
  return expr_func(ctx, fn, rt, args, 2);
}

struct type coerce_round_type(struct type t, int64_t d) {
  if (t.id != TYPE_DECIMAL) return t;
  int integral = t.precision - t.scale + 1, p, s = 0;
  if (d < 0) {
    p = -d + 1 > integral ? (int)(-d + 1) : integral;
  } else {
    s = (int)(d < t.scale ? d : t.scale);
    p = integral + s;
  }
  t.precision = (uint8_t)(p > COERCE_MAX_PRECISION ? COERCE_MAX_PRECISION : p);
  t.scale = (uint8_t)s;
  return t;
}
