/* names.c: see names.h. */
#include "engine/analyze/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/vec/datetime.h"
#include "engine/vec/schema.h"
#include "engine/vec/vector.h"

#define NAMES_MAX 4096

struct nm {
  struct buf *out;
  size_t start;
  int rc;
  int full;
};

static void put(struct nm *n, const char *s) {
  if (n->rc || n->full) return;
  if (n->out->len - n->start > NAMES_MAX) {
    n->full = 1;
    n->rc = buf_puts(n->out, "...");
    return;
  }
  n->rc = buf_puts(n->out, s);
}

static void putn(struct nm *n, const char *s, size_t len) {
  if (n->rc || n->full) return;
  n->rc = buf_append(n->out, s, len);
}

int names_type(struct type t, struct buf *out) {
  char tmp[32];
  return buf_puts(out, schema_type_sql(t, tmp));
}

static void name(struct nm *n, const struct ast_expr *e);

/* Spark 3's ANSI interval literal text: INTERVAL '1' DAY, INTERVAL '2' MONTH,
 * INTERVAL '03' HOUR, INTERVAL '1 02:00:00' DAY TO SECOND (after the opening
 * "INTERVAL '" already written). */
static void interval_text(struct nm *n, const struct ast_lit *l) {
  char tmp[96];
  long long us = (long long)l->micros, h = 3600000000LL, m = 60000000LL, sec = 1000000LL;
  if ((l->months || (!l->days && !us)) && !l->days && !us) {
    if (l->months % 12 == 0) snprintf(tmp, sizeof tmp, "%d' YEAR", l->months / 12);
    else if (l->months > 12 || l->months < -12)
      snprintf(tmp, sizeof tmp, "%d-%d' YEAR TO MONTH", l->months / 12, abs(l->months % 12));
    else snprintf(tmp, sizeof tmp, "%d' MONTH", l->months);
  } else if (!l->months && !us) {
    snprintf(tmp, sizeof tmp, "%d' DAY", l->days);
  } else if (!l->months && !l->days && us % h == 0) {
    snprintf(tmp, sizeof tmp, "%02lld' HOUR", us / h);
  } else if (!l->months && !l->days && us % m == 0) {
    snprintf(tmp, sizeof tmp, "%02lld' MINUTE", us / m);
  } else if (!l->months && !l->days && us % sec == 0) {
    snprintf(tmp, sizeof tmp, "%02lld' SECOND", us / sec);
  } else if (!l->months) {
    long long a = us < 0 ? -us : us;
    snprintf(tmp, sizeof tmp, "%s%d %02lld:%02lld:%02lld%s' DAY TO SECOND", us < 0 ? "-" : "",
             l->days, a / h, a % h / m, a % m / sec, a % sec ? ".?" : "");
  } else {
    snprintf(tmp, sizeof tmp, "%d months %d days %lld us'", l->months, l->days, us);
  }
  put(n, tmp);
}

static void lit(struct nm *n, const struct ast_lit *l) {
  char tmp[64];
  switch (l->type.id) {
    case TYPE_NULL: put(n, "NULL"); return;
    case TYPE_BOOLEAN: put(n, l->i ? "true" : "false"); return;
    case TYPE_INT:
    case TYPE_BIGINT:
      snprintf(tmp, sizeof tmp, "%lld", (long long)l->i);
      put(n, tmp);
      return;
    case TYPE_DOUBLE:
      if (!n->rc && !n->full) n->rc = vector_format_double(l->d, n->out);
      return;
    case TYPE_DECIMAL:
      if (l->s) putn(n, l->s, l->len ? l->len : strlen(l->s));
      else if (!n->rc) n->rc = vector_format_decimal(l->i, l->type.scale, n->out);
      return;
    case TYPE_STRING: putn(n, l->s, l->len); return;
    case TYPE_DATE:
      tmp[datetime_format_date((int32_t)l->i, tmp)] = 0;
      put(n, "DATE '");
      put(n, tmp);
      put(n, "'");
      return;
    case TYPE_TIMESTAMP:
      tmp[datetime_format_timestamp(l->i, tmp)] = 0;
      put(n, "TIMESTAMP '");
      put(n, tmp);
      put(n, "'");
      return;
    case TYPE_INTERVAL: {
      put(n, "INTERVAL '");
      if (l->s) putn(n, l->s, l->len ? l->len : strlen(l->s));
      else {
        interval_text(n, l);
        return;
      }
      put(n, "'");
      return;
    }
    default: put(n, "?"); return;
  }
}

static const char *op_text(enum ast_op op) {
  switch (op) {
    case AST_OP_ADD: return "+";
    case AST_OP_SUB: return "-";
    case AST_OP_MUL: return "*";
    case AST_OP_DIV: return "/";
    case AST_OP_IDIV: return "div";
    case AST_OP_MOD: return "%";
    case AST_OP_EQ: return "=";
    case AST_OP_NE: return "!=";
    case AST_OP_LT: return "<";
    case AST_OP_LE: return "<=";
    case AST_OP_GT: return ">";
    case AST_OP_GE: return ">=";
    case AST_OP_NSEQ: return "<=>";
    case AST_OP_BITAND: return "&";
    case AST_OP_BITOR: return "|";
    case AST_OP_BITXOR: return "^";
    default: return "?";
  }
}

static void list(struct nm *n, struct ast_expr *const *v, int k) {
  for (int i = 0; i < k; i++) {
    if (i) put(n, ", ");
    name(n, v[i]);
  }
}

static void lower(struct nm *n, const char *s) {
  char tmp[64];
  size_t k = 0;
  for (; s[k] && k < sizeof tmp - 1; k++) tmp[k] = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32) : s[k];
  tmp[k] = 0;
  put(n, tmp);
}

static void sort_list(struct nm *n, const struct ast_sort *s, int k) {
  for (int i = 0; i < k; i++) {
    if (i) put(n, ", ");
    name(n, s[i].expr);
    put(n, s[i].desc ? " DESC" : " ASC");
    int nf = s[i].nulls == AST_NULLS_DEFAULT ? !s[i].desc : s[i].nulls == AST_NULLS_FIRST;
    put(n, nf ? " NULLS FIRST" : " NULLS LAST");
  }
}

static void bound(struct nm *n, const struct ast_bound *b) {
  switch (b->kind) {
    case AST_BOUND_UNBOUNDED_PRECEDING: put(n, "UNBOUNDED PRECEDING"); return;
    case AST_BOUND_UNBOUNDED_FOLLOWING: put(n, "UNBOUNDED FOLLOWING"); return;
    case AST_BOUND_CURRENT_ROW: put(n, "CURRENT ROW"); return;
    case AST_BOUND_PRECEDING:
      if (b->offset) name(n, b->offset);
      put(n, " PRECEDING");
      return;
    case AST_BOUND_FOLLOWING:
      if (b->offset) name(n, b->offset);
      put(n, " FOLLOWING");
      return;
  }
}

static void window(struct nm *n, const struct ast_window *w, const char *fname) {
  put(n, " OVER (");
  int sp = 0;
  if (w->npartition) {
    put(n, "PARTITION BY ");
    list(n, w->partition, w->npartition);
    sp = 1;
  }
  if (w->norder) {
    put(n, sp ? " ORDER BY " : "ORDER BY ");
    sort_list(n, w->order, w->norder);
    sp = 1;
  }
  if (sp) put(n, " ");
  if (w->frame != AST_FRAME_NONE) {
    put(n, w->frame == AST_FRAME_ROWS ? "ROWS BETWEEN " : "RANGE BETWEEN ");
    bound(n, &w->start);
    put(n, " AND ");
    bound(n, &w->end);
  } else if (!strcasecmp(fname, "row_number") || !strcasecmp(fname, "rank") ||
             !strcasecmp(fname, "dense_rank") || !strcasecmp(fname, "lag") ||
             !strcasecmp(fname, "lead")) {
    put(n, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
  } else if (w->norder) {
    put(n, "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
  } else {
    put(n, "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING");
  }
  put(n, ")");
}

static void name(struct nm *n, const struct ast_expr *e) {
  if (n->rc || n->full) return;
  switch (e->kind) {
    case AST_LIT: lit(n, &e->u.lit); return;
    case AST_COL:
      /* Spark names a column by its own name; a dotted reference to a
       * flattened nested field keeps the field path */
      if (e->u.col.n > 0) put(n, e->u.col.parts[e->u.col.n - 1]);
      return;
    case AST_STAR:
      for (int i = 0; i < e->u.col.n; i++) {
        put(n, e->u.col.parts[i]);
        put(n, ".");
      }
      put(n, "*");
      return;
    case AST_UNARY:
      switch (e->u.unary.op) {
        case AST_OP_NEG:
          if (e->u.unary.arg->kind == AST_LIT) {
            put(n, "-");
            name(n, e->u.unary.arg);
            return;
          }
          put(n, "(- ");
          break;
        case AST_OP_POS: put(n, "(+ "); break;
        case AST_OP_NOT: put(n, "(NOT "); break;
        default: put(n, "(~ "); break;
      }
      name(n, e->u.unary.arg);
      put(n, ")");
      return;
    case AST_BINARY:
      if (e->u.binary.op == AST_OP_CONCAT) {
        put(n, "concat(");
        name(n, e->u.binary.left);
        put(n, ", ");
        name(n, e->u.binary.right);
        put(n, ")");
        return;
      }
      put(n, "(");
      name(n, e->u.binary.left);
      put(n, " ");
      put(n, op_text(e->u.binary.op));
      put(n, " ");
      name(n, e->u.binary.right);
      put(n, ")");
      return;
    case AST_AND:
    case AST_OR:
      /* Spark's tree is binary, left-deep: ((a AND b) AND c) */
      for (int i = 1; i < e->u.logic.n; i++) put(n, "(");
      name(n, e->u.logic.args[0]);
      for (int i = 1; i < e->u.logic.n; i++) {
        put(n, e->kind == AST_AND ? " AND " : " OR ");
        name(n, e->u.logic.args[i]);
        put(n, ")");
      }
      return;
    case AST_IS_NULL:
      put(n, "(");
      name(n, e->u.is_null.arg);
      put(n, e->u.is_null.negated ? " IS NOT NULL)" : " IS NULL)");
      return;
    case AST_IS_DISTINCT:
      put(n, e->u.binary.negated ? "(" : "(NOT (");
      name(n, e->u.binary.left);
      put(n, " <=> ");
      name(n, e->u.binary.right);
      put(n, e->u.binary.negated ? ")" : "))");
      return;
    case AST_BETWEEN:
      put(n, e->u.between.negated ? "(NOT (" : "(");
      name(n, e->u.between.arg);
      put(n, " BETWEEN ");
      name(n, e->u.between.low);
      put(n, " AND ");
      name(n, e->u.between.high);
      put(n, e->u.between.negated ? "))" : ")");
      return;
    case AST_LIKE: {
      static const char *const kw[] = {" LIKE ", " ILIKE ", " RLIKE "};
      if (e->u.like.negated) put(n, "(NOT ");
      name(n, e->u.like.arg);
      put(n, kw[e->u.like.kind]);
      name(n, e->u.like.pattern);
      if (e->u.like.escape) {
        put(n, " ESCAPE '");
        name(n, e->u.like.escape);
        put(n, "'");
      }
      if (e->u.like.negated) put(n, ")");
      return;
    }
    case AST_IN_LIST:
      put(n, e->u.in_list.negated ? "(NOT (" : "(");
      name(n, e->u.in_list.arg);
      put(n, " IN (");
      list(n, e->u.in_list.list, e->u.in_list.n);
      put(n, e->u.in_list.negated ? ")))" : "))");
      return;
    case AST_IN_QUERY:
      put(n, e->u.in_query.negated ? "(NOT (" : "(");
      name(n, e->u.in_query.arg);
      put(n, " IN (listquery()))");
      if (e->u.in_query.negated) put(n, ")");
      return;
    case AST_EXISTS: put(n, "exists()"); return;
    case AST_SUBQUERY: put(n, "scalarsubquery()"); return;
    case AST_CASE:
      put(n, "CASE");
      if (e->u.cases.operand) {
        put(n, " ");
        name(n, e->u.cases.operand);
      }
      for (int i = 0; i < e->u.cases.n; i++) {
        put(n, " WHEN ");
        name(n, e->u.cases.when[i]);
        put(n, " THEN ");
        name(n, e->u.cases.then[i]);
      }
      if (e->u.cases.otherwise) {
        put(n, " ELSE ");
        name(n, e->u.cases.otherwise);
      }
      put(n, " END");
      return;
    case AST_CAST:
      put(n, e->u.cast.try_cast ? "TRY_CAST(" : "CAST(");
      name(n, e->u.cast.arg);
      put(n, " AS ");
      if (!n->rc && !n->full) n->rc = names_type(e->u.cast.type, n->out);
      put(n, ")");
      return;
    case AST_FUNC: {
      const char *fname = e->u.func.name.n ? e->u.func.name.parts[e->u.func.name.n - 1] : "?";
      int star = e->u.func.nargs == 1 && e->u.func.args[0]->kind == AST_STAR;
      if (!strcasecmp(fname, "mean")) fname = "avg";
      if (!strcmp(fname, "[]") && e->u.func.nargs == 2) { /* subscript: Spark prints a[i] */
        name(n, e->u.func.args[0]);
        put(n, "[");
        name(n, e->u.func.args[1]);
        put(n, "]");
        return;
      }
      if (!strcasecmp(fname, "extract") && e->u.func.nargs == 2 &&
          e->u.func.args[0]->kind == AST_LIT && e->u.func.args[0]->u.lit.type.id == TYPE_STRING) {
        put(n, "extract(");
        name(n, e->u.func.args[0]);
        put(n, " FROM ");
        name(n, e->u.func.args[1]);
        put(n, ")");
        return;
      }
      lower(n, fname);
      put(n, "(");
      if (e->u.func.distinct) put(n, "DISTINCT ");
      if (star) put(n, "1");
      else list(n, e->u.func.args, e->u.func.nargs);
      put(n, ")");
      if (e->u.func.filter) {
        put(n, " FILTER (WHERE ");
        name(n, e->u.func.filter);
        put(n, ")");
      }
      if (e->u.func.over) window(n, e->u.func.over, fname);
      return;
    }
  }
}

int names_expr(const struct ast_expr *e, struct buf *out) {
  struct nm n = {out, out->len, 0, 0};
  if (!out->data) n.rc = buf_puts(out, "");
  name(&n, e);
  return n.rc;
}
