/* parser.c: recursive-descent parser for the engine's Spark SQL dialect
 * (see parser.h and ast.h).
 *
 * Structure: statements -> queries (WITH, set operations with INTERSECT
 * binding tighter than UNION/EXCEPT, ORDER BY/LIMIT/OFFSET) -> SELECT cores
 * -> relations (joins are left-deep) -> expressions. Expressions use Spark's
 * precedence, from loosest to tightest:
 *   OR < AND < NOT < predicates (IS, BETWEEN, IN, LIKE, RLIKE)
 *   < comparisons < | < ^ < & < (+ - ||) < (* / % div) < unary < ::
 * Binary operators are parsed by precedence climbing, so a long chain such as
 * a + b + ... costs no recursion; AND/OR and set-operation chains are
 * collected into one n-ary node.
 *
 * Errors: the first error wins (p->failed); every function returns NULL
 * after a failure and callers unwind. The "expected ..." list of a syntax
 * error is the set of alternatives the parser tried at the offending token,
 * gathered by the accept_* helpers as they probe. */
#include "engine/sql/parser.h"

#include <errno.h>
#include <strings.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sql/lexer.h"

#define LOOKAHEAD 4
#define MAX_EXPECTED 24

struct parser {
  const char *src;
  size_t len;
  struct lexer lx;
  struct lexer_token la[LOOKAHEAD]; /* la[0] is the current token */
  int nla;
  size_t prev_end; /* end offset of the last consumed token */
  struct ast_arena *arena;
  struct err *e;
  int failed;
  int depth;
  /* Alternatives tried at the token starting at exp_off. */
  size_t exp_off;
  const char *exp[MAX_EXPECTED];
  int nexp;
};

/* ---- errors ------------------------------------------------------------ */

static void fail_code(struct parser *p, int code, int line, int col, const char *msg) {
  if (p->failed) return;
  p->failed = code;
  if (line > 0)
    err_set_at(p->e, code, line, col, "%s (line %d, column %d)", msg, line, col);
  else
    err_set(p->e, code, "%s", msg);
  err_set_ename(p->e, "ParseException");
}

static void fail_at(struct parser *p, const struct lexer_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_at(struct parser *p, const struct lexer_token *t, const char *fmt, ...) {
  if (p->failed) return;
  char msg[ERR_MSG_MAX - 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fail_code(p, ERR_PARSE, t->line, t->column, msg);
}

/* Length of s[0..n) cut to at most max bytes on a code point boundary, for
 * quoting user text in messages (which must stay valid UTF-8). */
static int clip(const char *s, size_t n, size_t max) {
  if (n <= max) return (int)n;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
  return (int)max;
}

static void fail_nomem(struct parser *p) {
  if (p->failed) return;
  p->failed = ERR_NOMEM;
  err_set(p->e, ERR_NOMEM, "Out of memory while parsing SQL");
  err_set_ename(p->e, "ParseException");
}

/* ---- tokens --------------------------------------------------------------- */

static const struct lexer_token *peek(struct parser *p, int k) {
  while (p->nla <= k) {
    struct lexer_token *t = &p->la[p->nla];
    if (p->failed) {
      memset(t, 0, sizeof *t);
      t->offset = p->len;
      t->kind = TOK_EOF;
    } else {
      int rc = lexer_next(&p->lx, t, p->e);
      if (rc) {
        p->failed = rc;
        memset(t, 0, sizeof *t);
        t->offset = p->len;
        t->kind = TOK_EOF;
      }
    }
    p->nla++;
  }
  return &p->la[k];
}

static void advance(struct parser *p) {
  const struct lexer_token *t = peek(p, 0);
  p->prev_end = t->offset + t->length;
  memmove(&p->la[0], &p->la[1], sizeof p->la[0] * (size_t)(p->nla - 1));
  p->nla--;
}

static void note(struct parser *p, const char *what) {
  const struct lexer_token *t = peek(p, 0);
  if (t->offset != p->exp_off) {
    p->exp_off = t->offset;
    p->nexp = 0;
  }
  for (int i = 0; i < p->nexp; i++)
    if (strcmp(p->exp[i], what) == 0) return;
  if (p->nexp < MAX_EXPECTED) p->exp[p->nexp++] = what;
}

/* Quote the token's text for a message: at most 40 bytes (on a code point
 * boundary), line breaks flattened. */
static void token_text(struct parser *p, const struct lexer_token *t, char *out, size_t cap) {
  if (t->kind == TOK_EOF) {
    snprintf(out, cap, "end of input");
    return;
  }
  size_t n = t->length, lim = 40;
  if (n > lim) {
    n = lim;
    while (n > 0 && ((unsigned char)p->src[t->offset + n] & 0xC0) == 0x80) n--;
  }
  size_t o = 0;
  out[o++] = '\'';
  for (size_t i = 0; i < n && o + 6 < cap; i++) {
    char c = p->src[t->offset + i];
    out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  if (n < t->length && o + 6 < cap) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o++] = '\'';
  out[o] = '\0';
}

static void syntax_error(struct parser *p) {
  if (p->failed) return;
  const struct lexer_token *t = peek(p, 0);
  if (p->failed) return; /* the lexer failed on this very token */
  char near[64], msg[ERR_MSG_MAX - 64];
  token_text(p, t, near, sizeof near);
  int o = snprintf(msg, sizeof msg, "Syntax error at or near %s", near);
  if (p->nexp && p->exp_off == t->offset) {
    o += snprintf(msg + o, sizeof msg - (size_t)o, ": expected ");
    for (int i = 0; i < p->nexp && o < (int)sizeof msg; i++) {
      const char *sep = i == 0 ? "" : (i == p->nexp - 1 ? " or " : ", ");
      o += snprintf(msg + o, sizeof msg - (size_t)o, "%s%s", sep, p->exp[i]);
    }
  }
  fail_code(p, ERR_PARSE, t->line, t->column, msg);
}

static int is_tok(struct parser *p, enum lexer_tok k) { return peek(p, 0)->kind == k; }

static int is_kw(struct parser *p, enum lexer_kw kw) {
  const struct lexer_token *t = peek(p, 0);
  return t->kind == TOK_WORD && t->kw == kw;
}

static int is_kw_at(struct parser *p, int k, enum lexer_kw kw) {
  const struct lexer_token *t = peek(p, k);
  return t->kind == TOK_WORD && t->kw == kw;
}

static int accept_tok(struct parser *p, enum lexer_tok k) {
  if (is_tok(p, k)) {
    advance(p);
    return 1;
  }
  note(p, lexer_tok_name(k));
  return 0;
}

static int accept_kw(struct parser *p, enum lexer_kw kw) {
  if (is_kw(p, kw)) {
    advance(p);
    return 1;
  }
  note(p, lexer_kw_name(kw));
  return 0;
}

static int expect_tok(struct parser *p, enum lexer_tok k) {
  if (accept_tok(p, k)) return 1;
  syntax_error(p);
  return 0;
}

static int expect_kw(struct parser *p, enum lexer_kw kw) {
  if (accept_kw(p, kw)) return 1;
  syntax_error(p);
  return 0;
}

/* Two-keyword clause opener such as GROUP BY: noted as one alternative. */
static int accept_kw2(struct parser *p, enum lexer_kw a, enum lexer_kw b, const char *name) {
  if (is_kw(p, a)) {
    advance(p);
    return expect_kw(p, b) ? 1 : 0;
  }
  note(p, name);
  return 0;
}

static int enter(struct parser *p) {
  if (++p->depth > AST_MAX_DEPTH) {
    fail_at(p, peek(p, 0), "SQL is nested too deeply (more than %d levels)", AST_MAX_DEPTH);
    return 0;
  }
  return 1;
}

static void leave(struct parser *p) { p->depth--; }

/* ---- allocation helpers --------------------------------------------------- */

static void *alloc(struct parser *p, size_t n) {
  void *v = ast_alloc(p->arena, n);
  if (!v) fail_nomem(p);
  return v;
}

static char *dup(struct parser *p, const char *s, size_t n) {
  char *d = ast_strndup(p->arena, s, n);
  if (!d) fail_nomem(p);
  return d;
}

/* Append room for one element to a growing arena array: returns the
 * (possibly moved) array with capacity for index n, or NULL (failed). */
static void *grow(struct parser *p, void *arr, int n, int *cap, size_t elem) {
  if (n < *cap) return arr;
  if (n >= INT_MAX / 2) {
    fail_at(p, peek(p, 0), "Too many items in one list");
    return NULL;
  }
  int nc = *cap ? *cap * 2 : 4;
  void *na = alloc(p, elem * (size_t)nc);
  if (!na) return NULL;
  if (n) memcpy(na, arr, elem * (size_t)n);
  *cap = nc;
  return na;
}

#define PUSH(p, arr, n, cap, val)                                          \
  do {                                                                     \
    void *g_ = grow((p), (arr), (n), &(cap), sizeof *(arr));               \
    if (!g_) return NULL;                                                  \
    (arr) = g_;                                                            \
    (arr)[(n)++] = (val);                                                  \
  } while (0)

static struct ast_pos pos_from(struct parser *p, const struct lexer_token *start) {
  struct ast_pos ps;
  ps.offset = start->offset;
  ps.length = p->prev_end > start->offset ? p->prev_end - start->offset : 0;
  ps.line = start->line;
  ps.column = start->column;
  return ps;
}

static struct ast_pos pos_span(struct parser *p, struct ast_pos start) {
  start.length = p->prev_end > start.offset ? p->prev_end - start.offset : 0;
  return start;
}

static struct ast_expr *new_expr(struct parser *p, enum ast_expr_kind k) {
  struct ast_expr *e = ast_expr_new(p->arena, k);
  if (!e) fail_nomem(p);
  return e;
}

/* Seal a finished node: compute its height and refuse trees too tall for
 * recursive consumers. */
static struct ast_expr *seal_expr(struct parser *p, struct ast_expr *e) {
  if (ast_expr_seal(e) > AST_MAX_DEPTH) {
    fail_code(p, ERR_PARSE, e->pos.line, e->pos.column,
              "Expression is nested too deeply");
    return NULL;
  }
  return e;
}

static struct ast_query *seal_query(struct parser *p, struct ast_query *q) {
  if (ast_query_seal(q) > AST_MAX_DEPTH) {
    fail_code(p, ERR_PARSE, q->pos.line, q->pos.column, "Query is nested too deeply");
    return NULL;
  }
  return q;
}

static struct ast_rel *seal_rel(struct parser *p, struct ast_rel *r) {
  if (ast_rel_seal(r) > AST_MAX_DEPTH) {
    fail_code(p, ERR_PARSE, r->pos.line, r->pos.column, "Join is nested too deeply");
    return NULL;
  }
  return r;
}

/* ---- identifiers and names ------------------------------------------------ */

static int is_ident_tok(const struct lexer_token *t) {
  return t->kind == TOK_QIDENT || (t->kind == TOK_WORD && !lexer_kw_reserved(t->kw));
}

/* Can this token start an implicit alias (no AS)? */
static int is_alias_tok(const struct lexer_token *t) {
  return t->kind == TOK_QIDENT || (t->kind == TOK_WORD && !lexer_kw_noalias(t->kw));
}

static char *tok_ident(struct parser *p, const struct lexer_token *t) {
  if (t->kind == TOK_QIDENT) {
    char *d = alloc(p, t->length + 1);
    if (!d) return NULL;
    size_t n = lexer_decode(p->src, t, d);
    d[n] = '\0';
    return d;
  }
  return dup(p, p->src + t->offset, t->length);
}

/* identifier: a non-reserved word or a `quoted` name. */
static char *parse_ident(struct parser *p) {
  const struct lexer_token *t = peek(p, 0);
  if (!is_ident_tok(t)) {
    note(p, "identifier");
    syntax_error(p);
    return NULL;
  }
  char *s = tok_ident(p, t);
  if (s) advance(p);
  return s;
}

/* a.b.c; stops before ".*" and before a '.' not followed by a name. */
static int parse_name(struct parser *p, struct ast_name *out) {
  struct lexer_token st = *peek(p, 0);
  char **parts = NULL;
  int n = 0, cap = 0;
  for (;;) {
    char *s = parse_ident(p);
    if (!s) return 0;
    void *g = grow(p, parts, n, &cap, sizeof *parts);
    if (!g) return 0;
    parts = g;
    parts[n++] = s;
    if (!(is_tok(p, TOK_DOT) && is_ident_tok(peek(p, 1)))) break;
    advance(p);
  }
  out->parts = parts;
  out->n = n;
  out->pos = pos_from(p, &st);
  return 1;
}

/* (a, b, c) */
static char **parse_ident_list(struct parser *p, int *n_out) {
  char **v = NULL;
  int n = 0, cap = 0;
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  do {
    char *s = parse_ident(p);
    if (!s) return NULL;
    PUSH(p, v, n, cap, s);
  } while (accept_tok(p, TOK_COMMA));
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  *n_out = n;
  return v;
}

static char *lower_dup(struct parser *p, const char *s) {
  char *d = dup(p, s, strlen(s));
  if (d)
    for (char *c = d; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
  return d;
}

/* ---- literals --------------------------------------------------------------- */

/* Decode one or more adjacent string tokens ('a' 'b' is 'ab', as in Spark)
 * into the arena. */
static int parse_string(struct parser *p, const char **s_out, size_t *len_out) {
  size_t total = 0;
  int k = 0;
  while (peek(p, k)->kind == TOK_STRING && k < LOOKAHEAD - 1) {
    total += peek(p, k)->length;
    k++;
  }
  /* More than LOOKAHEAD-1 pieces: grow as we go. */
  char *buf = alloc(p, total + 1);
  if (!buf) return 0;
  size_t o = 0, cap = total;
  while (is_tok(p, TOK_STRING)) {
    const struct lexer_token *t = peek(p, 0);
    if (o + t->length > cap) {
      size_t nc = (cap + t->length) * 2;
      char *nb = alloc(p, nc + 1);
      if (!nb) return 0;
      memcpy(nb, buf, o);
      buf = nb;
      cap = nc;
    }
    o += lexer_decode(p->src, t, buf + o);
    advance(p);
  }
  buf[o] = '\0';
  *s_out = buf;
  *len_out = o;
  return 1;
}

static int is_number_tok(enum lexer_tok k) {
  return k == TOK_INT || k == TOK_BIGINT || k == TOK_SMALLINT || k == TOK_TINYINT ||
         k == TOK_DECIMAL || k == TOK_BIGDECIMAL || k == TOK_DOUBLE || k == TOK_FLOAT;
}

/* Unsigned decimal digits -> value; 0 on overflow past UINT64_MAX. */
static int digits_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

/* DECIMAL literal text ("12.50", ".5", "7.") -> precision/scale/unscaled,
 * following Spark: precision = significant digits, at least the scale. */
static int decimal_lit(struct parser *p, const struct lexer_token *t, const char *s, size_t n,
                       int neg, struct ast_lit *l) {
  const char *dot = memchr(s, '.', n);
  size_t ilen = dot ? (size_t)(dot - s) : n;
  size_t flen = dot ? n - ilen - 1 : 0;
  size_t lead = 0;
  while (lead < ilen && s[lead] == '0') lead++;
  size_t sig = (ilen - lead) + flen;
  /* Leading zeros of the fraction are not significant when there is no
   * integer part ("0.05" has one significant digit). */
  if (ilen == lead) {
    size_t z = 0;
    while (z < flen && dot[1 + z] == '0') z++;
    sig = flen - z;
  }
  size_t prec = sig ? sig : 1;
  if (prec < flen) prec = flen;
  if (prec > 38) {
    fail_at(p, t, "Decimal literal %.*s is out of range (more than 38 digits)", clip(s, n, 48), s);
    return 0;
  }
  l->type.id = TYPE_DECIMAL;
  l->type.precision = (uint8_t)prec;
  l->type.scale = (uint8_t)flen;
  if (prec <= 18) {
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
      if (s[i] != '.') v = v * 10 + (s[i] - '0');
    l->i = neg ? -v : v;
  }
  char *txt = alloc(p, n + 2);
  if (!txt) return 0;
  size_t o = 0;
  if (neg) txt[o++] = '-';
  memcpy(txt + o, s, n);
  l->s = txt;
  l->len = o + n;
  return 1;
}

/* Numeric literal token -> literal node; neg folds a leading unary minus so
 * that -2147483648 is an INT and -9223372036854775808L a BIGINT. */
static struct ast_expr *parse_number(struct parser *p, int neg, const struct lexer_token *start) {
  struct lexer_token t = *peek(p, 0);
  struct ast_expr *e = new_expr(p, AST_LIT);
  if (!e) return NULL;
  struct ast_lit *l = &e->u.lit;
  const char *s = p->src + t.offset;
  size_t n = t.length;
  uint64_t u;
  switch (t.kind) {
    case TOK_INT:
      if (digits_u64(s, n, &u) && u <= (uint64_t)INT64_MAX + (uint64_t)neg) {
        int64_t v = neg ? (int64_t)(0 - u) : (int64_t)u;
        l->type.id = (v >= INT32_MIN && v <= INT32_MAX) ? TYPE_INT : TYPE_BIGINT;
        l->i = v;
      } else if (!decimal_lit(p, &t, s, n, neg, l)) {
        return NULL;
      }
      break;
    case TOK_BIGINT:
    case TOK_SMALLINT:
    case TOK_TINYINT: {
      uint64_t hi = t.kind == TOK_BIGINT ? (uint64_t)INT64_MAX
                    : t.kind == TOK_SMALLINT ? 32767u : 127u;
      if (!digits_u64(s, n - 1, &u) || u > hi + (uint64_t)neg) {
        const char *tn = t.kind == TOK_BIGINT     ? "BIGINT"
                         : t.kind == TOK_SMALLINT ? "SMALLINT"
                                                  : "TINYINT";
        fail_at(p, &t, "Numeric literal %s%.*s is out of range for %s", neg ? "-" : "",
                clip(s, n, 48), s, tn);
        return NULL;
      }
      l->i = neg ? (int64_t)(0 - u) : (int64_t)u;
      l->type.id = t.kind == TOK_BIGINT ? TYPE_BIGINT : TYPE_INT;
      break;
    }
    case TOK_DECIMAL:
      if (!decimal_lit(p, &t, s, n, neg, l)) return NULL;
      break;
    case TOK_BIGDECIMAL: {
      size_t m = n - 2;
      for (size_t i = 0; i < m; i++)
        if (s[i] == 'e' || s[i] == 'E') {
          fail_at(p, &t, "Exponents are not supported in BD literals: %.*s", clip(s, n, 48), s);
          return NULL;
        }
      if (!decimal_lit(p, &t, s, m, neg, l)) return NULL;
      break;
    }
    case TOK_DOUBLE:
    case TOK_FLOAT: {
      size_t m = n;
      char last = s[m - 1];
      if (last == 'd' || last == 'D' || last == 'f' || last == 'F') m--;
      char tmp[128];
      char *num = m < sizeof tmp ? tmp : alloc(p, m + 1);
      if (!num) return NULL;
      memcpy(num, s, m);
      num[m] = '\0';
      errno = 0;
      double v = strtod(num, NULL);
      if (errno == ERANGE && (v > 1 || v < -1)) {
        fail_at(p, &t, "Numeric literal %.*s is out of range for DOUBLE", clip(s, n, 48), s);
        return NULL;
      }
      l->type.id = TYPE_DOUBLE;
      l->d = neg ? -v : v;
      break;
    }
    default:
      syntax_error(p);
      return NULL;
  }
  advance(p);
  e->pos = pos_from(p, start);
  return e;
}

/* s[0..n) equals the upper-case word w, ignoring ASCII case. */
static int ieq(const char *s, size_t n, const char *w) {
  size_t i = 0;
  for (; i < n && w[i]; i++) {
    int c = (unsigned char)s[i];
    if (c >= 'a' && c <= 'z') c -= 32;
    if (c != (unsigned char)w[i]) return 0;
  }
  return i == n && !w[i];
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int64_t y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Read 1..maxd digits at s[*i]; returns -1 if none. */
static long read_num(const char *s, size_t n, size_t *i, int mind, int maxd) {
  long v = 0;
  int k = 0;
  while (*i < n && k < maxd && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    (*i)++;
    k++;
  }
  return k >= mind ? v : -1;
}

/* Spark's date text: yyyy[-m[m][-d[d]]], then optionally ' ' or 'T' and
 * anything (a time part is ignored). Blanks around are allowed. */
static int parse_date_text(const char *s, size_t n, int64_t *days, size_t *used) {
  size_t i = 0;
  while (i < n && s[i] == ' ') i++;
  long y = read_num(s, n, &i, 4, 4), m = 1, d = 1;
  if (y < 0) return 0;
  if (i < n && s[i] == '-') {
    i++;
    if ((m = read_num(s, n, &i, 1, 2)) < 0) return 0;
    if (i < n && s[i] == '-') {
      i++;
      if ((d = read_num(s, n, &i, 1, 2)) < 0) return 0;
    }
  }
  if (m < 1 || m > 12 || d < 1 || d > month_days(y, (int)m)) return 0;
  *days = days_from_civil(y, (int)m, (int)d);
  *used = i;
  return 1;
}

/* Timestamp text: date [( |T)hh:mm[:ss[.fraction]]] [Z | UTC | (+|-)hh[:mm]]. */
static int parse_timestamp_text(const char *s, size_t n, int64_t *us, int *tz) {
  int64_t days;
  size_t i;
  while (n > 0 && s[n - 1] == ' ') n--;
  if (!parse_date_text(s, n, &days, &i)) return 0;
  int64_t secs = 0, frac = 0;
  *tz = 0;
  if (i < n && (s[i] == ' ' || s[i] == 'T')) {
    i++;
    long hh = read_num(s, n, &i, 1, 2), mm = 0, ss = 0;
    if (hh < 0 || hh > 23 || i >= n || s[i] != ':') return 0;
    i++;
    if ((mm = read_num(s, n, &i, 1, 2)) < 0 || mm > 59) return 0;
    if (i < n && s[i] == ':') {
      i++;
      if ((ss = read_num(s, n, &i, 1, 2)) < 0 || ss > 59) return 0;
      if (i < n && s[i] == '.') {
        i++;
        int k = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
          if (k < 6) frac = frac * 10 + (s[i] - '0');
          k++;
          i++;
        }
        if (k == 0 || k > 9) return 0;
        for (; k < 6; k++) frac *= 10;
      }
    }
    secs = hh * 3600 + mm * 60 + ss;
  }
  int64_t off = 0;
  while (i < n && s[i] == ' ') i++;
  if (i < n) {
    if (s[i] == 'Z' && i + 1 == n) {
      i++;
    } else if (n - i == 3 && ieq(s + i, 3, "UTC")) {
      i = n;
    } else if (s[i] == '+' || s[i] == '-') {
      int sign = s[i] == '-' ? -1 : 1;
      i++;
      long oh = read_num(s, n, &i, 2, 2), om = 0;
      if (oh < 0 || oh > 18) return 0;
      if (i < n && s[i] == ':') i++;
      if (i < n && (om = read_num(s, n, &i, 2, 2)) < 0) return 0;
      if (om > 59) return 0;
      off = sign * (oh * 3600 + om * 60);
    } else {
      return 0;
    }
    if (i != n) return 0;
    *tz = 1;
  }
  *us = (days * 86400 + secs - off) * 1000000 + frac;
  return 1;
}

/* DATE '...' / TIMESTAMP '...' (the type word is the current token). */
static struct ast_expr *parse_typed_literal(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  int is_date = st.kw == KW_DATE;
  advance(p);
  struct lexer_token lt = *peek(p, 0);
  const char *s;
  size_t n;
  if (!parse_string(p, &s, &n)) return NULL;
  struct ast_expr *e = new_expr(p, AST_LIT);
  if (!e) return NULL;
  struct ast_lit *l = &e->u.lit;
  l->s = s;
  l->len = n;
  int ok;
  if (is_date) {
    size_t used;
    int64_t days;
    size_t m = n;
    while (m > 0 && s[m - 1] == ' ') m--;
    ok = memchr(s, '\0', n) == NULL && parse_date_text(s, m, &days, &used) &&
         (used == m || s[used] == ' ' || s[used] == 'T');
    l->type.id = TYPE_DATE;
    l->i = ok ? days : 0;
  } else {
    ok = memchr(s, '\0', n) == NULL && parse_timestamp_text(s, n, &l->i, &l->tz);
    l->type.id = TYPE_TIMESTAMP;
  }
  if (!ok) {
    fail_at(p, &lt, "Invalid %s literal '%.*s'", is_date ? "DATE" : "TIMESTAMP",
            clip(s, n, 64), s);
    return NULL;
  }
  e->pos = pos_from(p, &st);
  return e;
}

enum iunit { IU_NONE, IU_YEAR, IU_MONTH, IU_WEEK, IU_DAY, IU_HOUR, IU_MINUTE, IU_SECOND };

static enum iunit unit_of_kw(enum lexer_kw kw) {
  switch (kw) {
    case KW_YEAR: case KW_YEARS: return IU_YEAR;
    case KW_MONTH: case KW_MONTHS: return IU_MONTH;
    case KW_WEEK: case KW_WEEKS: return IU_WEEK;
    case KW_DAY: case KW_DAYS: return IU_DAY;
    case KW_HOUR: case KW_HOURS: return IU_HOUR;
    case KW_MINUTE: case KW_MINUTES: return IU_MINUTE;
    case KW_SECOND: case KW_SECONDS: return IU_SECOND;
    default: return IU_NONE;
  }
}

/* Add v units to the interval; 0 on overflow. */
static int interval_add(struct ast_lit *l, enum iunit u, int64_t v) {
  int64_t m = l->months, d = l->days;
  switch (u) {
    case IU_YEAR: m += v * 12; break;
    case IU_MONTH: m += v; break;
    case IU_WEEK: d += v * 7; break;
    case IU_DAY: d += v; break;
    case IU_HOUR: case IU_MINUTE: case IU_SECOND: {
      int64_t per = u == IU_HOUR ? 3600000000LL : u == IU_MINUTE ? 60000000LL : 1000000LL;
      if (v > INT64_MAX / per || v < INT64_MIN / per) return 0;
      int64_t add = v * per;
      if ((add > 0 && l->micros > INT64_MAX - add) || (add < 0 && l->micros < INT64_MIN - add))
        return 0;
      l->micros += add;
      return 1;
    }
    case IU_NONE: return 0;
  }
  if (m > INT32_MAX || m < INT32_MIN || d > INT32_MAX || d < INT32_MIN) return 0;
  l->months = (int32_t)m;
  l->days = (int32_t)d;
  return 1;
}

/* A signed integer no larger than 10^12 in magnitude (interval values). */
static int small_int(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  while (i < n && s[i] == ' ') i++;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  size_t st = i;
  int64_t v = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (v > 1000000000000LL) return 0;
    v = v * 10 + (s[i++] - '0');
  }
  if (i == st) return 0;
  while (i < n && s[i] == ' ') i++;
  if (i != n) return 0;
  *out = neg ? -v : v;
  return 1;
}

/* Interval text with units inside: '1 day 2 hours'. */
static int interval_text(struct ast_lit *l, const char *s, size_t n) {
  size_t i = 0;
  int pairs = 0;
  for (;;) {
    while (i < n && s[i] == ' ') i++;
    if (i == n) return pairs > 0;
    size_t a = i;
    if (s[i] == '-' || s[i] == '+') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    int64_t v;
    if (!small_int(s + a, i - a, &v)) return 0;
    while (i < n && s[i] == ' ') i++;
    size_t w = i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) i++;
    enum iunit u = unit_of_kw(lexer_kw_lookup(s + w, i - w));
    if (u == IU_NONE || !interval_add(l, u, v)) return 0;
    pairs++;
  }
}

static int is_unit_tok(const struct lexer_token *t) {
  return t->kind == TOK_WORD && unit_of_kw(t->kw) != IU_NONE;
}

/* INTERVAL (value unit)+ | INTERVAL 'n unit ...'. value: [-]int or '[-]int'. */
static struct ast_expr *parse_interval(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  advance(p);
  struct ast_expr *e = new_expr(p, AST_LIT);
  if (!e) return NULL;
  struct ast_lit *l = &e->u.lit;
  l->type.id = TYPE_INTERVAL;
  int count = 0;
  for (;;) {
    struct lexer_token vt = *peek(p, 0);
    int neg = 0;
    int64_t v = 0;
    if (vt.kind == TOK_MINUS && peek(p, 1)->kind == TOK_INT) {
      if (count > 0 && !is_unit_tok(peek(p, 2))) break;
      neg = 1;
      advance(p);
      vt = *peek(p, 0);
    }
    if (vt.kind == TOK_INT) {
      if (!small_int(p->src + vt.offset, vt.length, &v)) {
        fail_at(p, &vt, "Interval value is out of range");
        return NULL;
      }
      if (neg) v = -v;
      advance(p);
    } else if (vt.kind == TOK_STRING) {
      const char *s;
      size_t n;
      if (!parse_string(p, &s, &n)) return NULL;
      if (!small_int(s, n, &v)) {
        if (!interval_text(l, s, n)) {
          fail_at(p, &vt, "Invalid interval value '%.*s'", clip(s, n, 64), s);
          return NULL;
        }
        count++;
        if (!(is_tok(p, TOK_INT) || is_tok(p, TOK_STRING) ||
              (is_tok(p, TOK_MINUS) && peek(p, 1)->kind == TOK_INT && is_unit_tok(peek(p, 2)))))
          break;
        continue;
      }
    } else {
      if (count > 0) break;
      note(p, "interval value");
      syntax_error(p);
      return NULL;
    }
    const struct lexer_token *ut = peek(p, 0);
    if (!is_unit_tok(ut)) {
      note(p, "interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND)");
      syntax_error(p);
      return NULL;
    }
    if (!interval_add(l, unit_of_kw(ut->kw), v)) {
      fail_at(p, &vt, "Interval value is out of range");
      return NULL;
    }
    advance(p);
    count++;
    if (!(is_tok(p, TOK_INT) || is_tok(p, TOK_STRING) ||
          (is_tok(p, TOK_MINUS) && peek(p, 1)->kind == TOK_INT && is_unit_tok(peek(p, 2)))))
      break;
  }
  e->pos = pos_from(p, &st);
  return e;
}

/* ---- types ------------------------------------------------------------------ */

static int parse_type(struct parser *p, struct type *out) {
  struct lexer_token t = *peek(p, 0);
  memset(out, 0, sizeof *out);
  if (t.kind != TOK_WORD) {
    note(p, "data type");
    syntax_error(p);
    return 0;
  }
  const char *s = p->src + t.offset;
  size_t n = t.length;
  int has_len = 0, is_dec = 0;
  if (ieq(s, n, "BOOLEAN") || ieq(s, n, "BOOL")) out->id = TYPE_BOOLEAN;
  else if (ieq(s, n, "INT") || ieq(s, n, "INTEGER") || ieq(s, n, "SMALLINT") ||
           ieq(s, n, "SHORT") || ieq(s, n, "TINYINT") || ieq(s, n, "BYTE"))
    out->id = TYPE_INT;
  else if (ieq(s, n, "BIGINT") || ieq(s, n, "LONG")) out->id = TYPE_BIGINT;
  else if (ieq(s, n, "DOUBLE") || ieq(s, n, "FLOAT") || ieq(s, n, "REAL")) out->id = TYPE_DOUBLE;
  else if (ieq(s, n, "DECIMAL") || ieq(s, n, "DEC") || ieq(s, n, "NUMERIC")) {
    out->id = TYPE_DECIMAL;
    is_dec = 1;
  } else if (ieq(s, n, "STRING")) out->id = TYPE_STRING;
  else if (ieq(s, n, "VARCHAR") || ieq(s, n, "CHAR") || ieq(s, n, "CHARACTER")) {
    out->id = TYPE_STRING;
    has_len = 1;
  } else if (ieq(s, n, "DATE")) out->id = TYPE_DATE;
  else if (ieq(s, n, "TIMESTAMP") || ieq(s, n, "TIMESTAMP_NTZ") || ieq(s, n, "TIMESTAMP_LTZ"))
    out->id = TYPE_TIMESTAMP;
  else {
    fail_at(p, &t, "Unsupported data type '%.*s': the local engine supports BOOLEAN, INT, "
                   "BIGINT, DOUBLE, DECIMAL(p,s), STRING, DATE and TIMESTAMP",
            clip(s, n, 40), s);
    return 0;
  }
  advance(p);
  if (out->id == TYPE_DOUBLE && ieq(s, n, "DOUBLE") && peek(p, 0)->kind == TOK_WORD &&
      ieq(p->src + peek(p, 0)->offset, peek(p, 0)->length, "PRECISION"))
    advance(p);
  if (is_dec) {
    long prec = 10, scale = 0;
    if (is_tok(p, TOK_LPAREN)) {
      advance(p);
      struct lexer_token pt = *peek(p, 0);
      if (pt.kind != TOK_INT) {
        note(p, "integer literal");
        syntax_error(p);
        return 0;
      }
      uint64_t u = 0;
      prec = digits_u64(p->src + pt.offset, pt.length, &u) && u <= 1000 ? (long)u : 1000;
      advance(p);
      scale = 0;
      if (accept_tok(p, TOK_COMMA)) {
        struct lexer_token sc = *peek(p, 0);
        if (sc.kind != TOK_INT) {
          note(p, "integer literal");
          syntax_error(p);
          return 0;
        }
        scale = digits_u64(p->src + sc.offset, sc.length, &u) && u <= 1000 ? (long)u : 1000;
        advance(p);
      }
      if (!expect_tok(p, TOK_RPAREN)) return 0;
      if (prec < 1 || prec > 38 || scale > prec) {
        fail_at(p, &pt, "Invalid DECIMAL(%ld,%ld): precision must be 1..38 and scale 0..precision",
                prec, scale);
        return 0;
      }
    }
    out->precision = (uint8_t)prec;
    out->scale = (uint8_t)scale;
  } else if (has_len) {
    if (accept_tok(p, TOK_LPAREN)) {
      if (!is_tok(p, TOK_INT)) {
        note(p, "integer literal");
        syntax_error(p);
        return 0;
      }
      advance(p);
      if (!expect_tok(p, TOK_RPAREN)) return 0;
    }
  }
  return 1;
}

/* ---- expressions -------------------------------------------------------------- */

static struct ast_expr *parse_expr(struct parser *p);
static struct ast_expr *parse_value(struct parser *p, int minprec);
static struct ast_query *parse_query(struct parser *p);

/* Does the token after '(' start a query? */
static int query_starts(struct parser *p, int k) {
  return is_kw_at(p, k, KW_SELECT) || is_kw_at(p, k, KW_WITH) || is_kw_at(p, k, KW_VALUES);
}

static struct ast_expr *parse_sort(struct parser *p, struct ast_sort *s) {
  s->expr = parse_expr(p);
  if (!s->expr) return NULL;
  if (accept_kw(p, KW_DESC)) s->desc = 1;
  else accept_kw(p, KW_ASC);
  if (accept_kw(p, KW_NULLS)) {
    if (accept_kw(p, KW_FIRST)) s->nulls = AST_NULLS_FIRST;
    else if (accept_kw(p, KW_LAST)) s->nulls = AST_NULLS_LAST;
    else {
      syntax_error(p);
      return NULL;
    }
  }
  return s->expr;
}

/* sort (, sort)* after ORDER BY. */
static struct ast_sort *parse_sort_list(struct parser *p, int *n_out) {
  struct ast_sort *v = NULL;
  int n = 0, cap = 0;
  do {
    struct ast_sort s = {0};
    if (!parse_sort(p, &s)) return NULL;
    PUSH(p, v, n, cap, s);
  } while (accept_tok(p, TOK_COMMA));
  *n_out = n;
  return v;
}

static struct ast_expr **parse_expr_list(struct parser *p, int *n_out) {
  struct ast_expr **v = NULL;
  int n = 0, cap = 0;
  do {
    struct ast_expr *x = parse_expr(p);
    if (!x) return NULL;
    PUSH(p, v, n, cap, x);
  } while (accept_tok(p, TOK_COMMA));
  *n_out = n;
  return v;
}

/* ---- GROUP BY with ROLLUP / CUBE / GROUPING SETS ----------------------------
 * Every element of the list contributes a list of alternative sets (a plain
 * expression: one set of itself); the query's grouping sets are their cross
 * product, as in Spark. Sets are bit masks over the flat expression list. */

#define GSET_MAX_EXPRS 63
#define GSET_MAX_SETS 4096
#define GSET_MAX_CUBE 12

static int word_at(struct parser *p, int k, const char *w) {
  const struct lexer_token *t = peek(p, k);
  size_t n = strlen(w);
  return t->kind == TOK_WORD && t->length == n && !strncasecmp(p->src + t->offset, w, n);
}

struct gsets {
  struct ast_expr **v; /* flat expressions */
  int n, cap;
  uint64_t *sets;      /* current cross product */
  int nsets, setcap;
  uint64_t *alt;       /* alternatives of the element being parsed */
  int nalt, altcap;
};

static int gs_expr(struct parser *p, struct gsets *g, uint64_t *mask) {
  struct ast_expr *x = parse_expr(p);
  if (!x) return 0;
  void *a = grow(p, g->v, g->n, &g->cap, sizeof *g->v);
  if (!a) return 0;
  g->v = a;
  if (g->n < 64) *mask |= (uint64_t)1 << g->n;
  g->v[g->n++] = x;
  return 1;
}

static int gs_alt(struct parser *p, struct gsets *g, uint64_t m) {
  void *a = grow(p, g->alt, g->nalt, &g->altcap, sizeof *g->alt);
  if (!a) return 0;
  g->alt = a;
  g->alt[g->nalt++] = m;
  return 1;
}

/* ROLLUP / CUBE alternatives over the flat expressions first..first+k-1. */
static int gs_rollup_cube(struct parser *p, struct gsets *g, int first, int k, int cube) {
  if (cube) {
    if (k > GSET_MAX_CUBE) {
      fail_at(p, peek(p, 0), "CUBE takes at most %d expressions", GSET_MAX_CUBE);
      return 0;
    }
    /* Spark's order: subsets with the first expression come first */
    for (int m = (1 << k) - 1; m >= 0; m--) {
      uint64_t s = 0;
      for (int j = 0; j < k; j++)
        if (m & (1 << (k - 1 - j)) && first + j < 64) s |= (uint64_t)1 << (first + j);
      if (!gs_alt(p, g, s)) return 0;
    }
    return 1;
  }
  for (int j = k; j >= 0; j--) {
    uint64_t s = 0;
    for (int i = 0; i < j; i++)
      if (first + i < 64) s |= (uint64_t)1 << (first + i);
    if (!gs_alt(p, g, s)) return 0;
  }
  return 1;
}

/* sets := sets x alt */
static int gs_cross(struct parser *p, struct gsets *g) {
  if ((int64_t)g->nsets * g->nalt > GSET_MAX_SETS) {
    fail_at(p, peek(p, 0), "GROUP BY makes more than %d grouping sets", GSET_MAX_SETS);
    return 0;
  }
  int n = g->nsets * g->nalt, cap = 0;
  uint64_t *out = NULL;
  for (int i = 0; i < g->nsets; i++)
    for (int j = 0; j < g->nalt; j++) {
      void *a = grow(p, out, i * g->nalt + j, &cap, sizeof *out);
      if (!a) return 0;
      out = a;
      out[i * g->nalt + j] = g->sets[i] | g->alt[j];
    }
  g->sets = out;
  g->nsets = n;
  g->setcap = cap;
  g->nalt = 0;
  return 1;
}

static int parse_group_by(struct parser *p, struct ast_query *q) {
  struct gsets g;
  memset(&g, 0, sizeof g);
  int analytic = 0;
  if (!gs_alt(p, &g, 0)) return 0;
  g.sets = g.alt; /* one empty set to start the cross product */
  g.nsets = 1;
  g.alt = NULL;
  g.nalt = g.altcap = 0;
  do {
    int kind = 0; /* 1 ROLLUP, 2 CUBE, 3 GROUPING SETS */
    if (word_at(p, 0, "ROLLUP") && peek(p, 1)->kind == TOK_LPAREN) kind = 1;
    else if (word_at(p, 0, "CUBE") && peek(p, 1)->kind == TOK_LPAREN) kind = 2;
    else if (word_at(p, 0, "GROUPING") && word_at(p, 1, "SETS")) kind = 3;
    if (!kind) {
      uint64_t m = 0;
      if (!gs_expr(p, &g, &m) || !gs_alt(p, &g, m)) return 0;
    } else if (kind < 3) {
      analytic = 1;
      advance(p);
      if (!expect_tok(p, TOK_LPAREN)) return 0;
      int first = g.n;
      do {
        uint64_t m = 0;
        if (!gs_expr(p, &g, &m)) return 0;
      } while (accept_tok(p, TOK_COMMA));
      if (!expect_tok(p, TOK_RPAREN)) return 0;
      if (!gs_rollup_cube(p, &g, first, g.n - first, kind == 2)) return 0;
    } else {
      analytic = 1;
      advance(p);
      advance(p);
      if (!expect_tok(p, TOK_LPAREN)) return 0;
      do {
        uint64_t m = 0;
        if (accept_tok(p, TOK_LPAREN)) {
          if (!is_tok(p, TOK_RPAREN)) do {
              if (!gs_expr(p, &g, &m)) return 0;
            } while (accept_tok(p, TOK_COMMA));
          if (!expect_tok(p, TOK_RPAREN)) return 0;
        } else if (!gs_expr(p, &g, &m)) {
          return 0;
        }
        if (!gs_alt(p, &g, m)) return 0;
      } while (accept_tok(p, TOK_COMMA));
      if (!expect_tok(p, TOK_RPAREN)) return 0;
    }
    if (!gs_cross(p, &g)) return 0;
  } while (accept_tok(p, TOK_COMMA));
  if (is_kw(p, KW_WITH) && (word_at(p, 1, "ROLLUP") || word_at(p, 1, "CUBE"))) {
    if (analytic) {
      fail_at(p, peek(p, 0), "WITH ROLLUP / WITH CUBE cannot be combined with ROLLUP, CUBE or "
                             "GROUPING SETS");
      return 0;
    }
    advance(p);
    int cube = word_at(p, 0, "CUBE");
    advance(p);
    analytic = 1;
    g.nsets = 1;
    g.sets[0] = 0;
    if (!gs_rollup_cube(p, &g, 0, g.n, cube) || !gs_cross(p, &g)) return 0;
  }
  if (analytic && g.n > GSET_MAX_EXPRS) {
    fail_at(p, peek(p, 0), "GROUP BY with grouping sets takes at most %d expressions",
            GSET_MAX_EXPRS);
    return 0;
  }
  q->u.select.group = g.v;
  q->u.select.ngroup = g.n;
  if (analytic) {
    q->u.select.gsets = g.sets;
    q->u.select.ngsets = g.nsets;
  }
  return 1;
}

static int parse_bound(struct parser *p, struct ast_bound *b) {
  if (accept_kw(p, KW_UNBOUNDED)) {
    if (accept_kw(p, KW_PRECEDING)) b->kind = AST_BOUND_UNBOUNDED_PRECEDING;
    else if (expect_kw(p, KW_FOLLOWING)) b->kind = AST_BOUND_UNBOUNDED_FOLLOWING;
    else return 0;
    return 1;
  }
  if (accept_kw(p, KW_CURRENT)) {
    b->kind = AST_BOUND_CURRENT_ROW;
    return expect_kw(p, KW_ROW);
  }
  b->offset = parse_value(p, 0);
  if (!b->offset) return 0;
  if (accept_kw(p, KW_PRECEDING)) b->kind = AST_BOUND_PRECEDING;
  else if (expect_kw(p, KW_FOLLOWING)) b->kind = AST_BOUND_FOLLOWING;
  else return 0;
  return 1;
}

/* OVER ( [PARTITION BY ...] [ORDER BY ...] [ROWS|RANGE frame] ) */
static struct ast_window *parse_window(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  if (!is_tok(p, TOK_LPAREN)) {
    if (is_ident_tok(peek(p, 0))) {
      fail_at(p, &st, "Named windows (OVER name) are not supported; write OVER (...)");
      return NULL;
    }
  }
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  struct ast_window *w = alloc(p, sizeof *w);
  if (!w) return NULL;
  if (accept_kw2(p, KW_PARTITION, KW_BY, "PARTITION BY") ||
      accept_kw2(p, KW_DISTRIBUTE, KW_BY, "DISTRIBUTE BY")) {
    w->partition = parse_expr_list(p, &w->npartition);
    if (!w->partition) return NULL;
  }
  if (accept_kw2(p, KW_ORDER, KW_BY, "ORDER BY") || accept_kw2(p, KW_SORT, KW_BY, "SORT BY")) {
    w->order = parse_sort_list(p, &w->norder);
    if (!w->order) return NULL;
  }
  if (accept_kw(p, KW_ROWS)) w->frame = AST_FRAME_ROWS;
  else if (accept_kw(p, KW_RANGE)) w->frame = AST_FRAME_RANGE;
  if (w->frame != AST_FRAME_NONE) {
    if (accept_kw(p, KW_BETWEEN)) {
      if (!parse_bound(p, &w->start) || !expect_kw(p, KW_AND) || !parse_bound(p, &w->end))
        return NULL;
    } else {
      if (!parse_bound(p, &w->start)) return NULL;
      w->end.kind = AST_BOUND_CURRENT_ROW;
    }
  }
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  w->pos = pos_from(p, &st);
  return w;
}

static struct ast_expr *make_call(struct parser *p, const struct lexer_token *name_tok,
                                  const char *name, struct ast_expr **args, int nargs) {
  struct ast_expr *e = new_expr(p, AST_FUNC);
  if (!e) return NULL;
  char **parts = alloc(p, sizeof *parts);
  if (!parts) return NULL;
  parts[0] = dup(p, name, strlen(name));
  if (!parts[0]) return NULL;
  e->u.func.name.parts = parts;
  e->u.func.name.n = 1;
  e->u.func.name.pos.offset = name_tok->offset;
  e->u.func.name.pos.length = name_tok->length;
  e->u.func.name.pos.line = name_tok->line;
  e->u.func.name.pos.column = name_tok->column;
  e->u.func.args = args;
  e->u.func.nargs = nargs;
  return e;
}

/* Calls with SQL-standard keyword syntax: EXTRACT, SUBSTRING, TRIM,
 * POSITION. Their plain comma forms fall through to ordinary calls. */
static struct ast_expr *parse_special_call(struct parser *p, struct lexer_token st) {
  enum lexer_kw kw = st.kw;
  advance(p); /* name */
  advance(p); /* ( */
  struct ast_expr **args = NULL;
  int n = 0, cap = 0;
  const char *fname = NULL;
  if (kw == KW_EXTRACT) {
    struct lexer_token ft = *peek(p, 0);
    if (ft.kind != TOK_WORD && ft.kind != TOK_QIDENT && ft.kind != TOK_STRING) {
      note(p, "field name");
      syntax_error(p);
      return NULL;
    }
    struct ast_expr *field = new_expr(p, AST_LIT);
    if (!field) return NULL;
    field->u.lit.type.id = TYPE_STRING;
    if (ft.kind == TOK_STRING) {
      if (!parse_string(p, &field->u.lit.s, &field->u.lit.len)) return NULL;
    } else {
      char *s = tok_ident(p, &ft);
      if (!s) return NULL;
      field->u.lit.s = s;
      field->u.lit.len = strlen(s);
      advance(p);
    }
    field->pos = pos_from(p, &ft);
    PUSH(p, args, n, cap, field);
    if (!expect_kw(p, KW_FROM)) return NULL;
    struct ast_expr *src = parse_expr(p);
    if (!src) return NULL;
    PUSH(p, args, n, cap, src);
    fname = "extract";
  } else if (kw == KW_TRIM) {
    fname = "trim";
    int mode = 0;
    if ((is_kw(p, KW_BOTH) || is_kw(p, KW_LEADING) || is_kw(p, KW_TRAILING)) &&
        peek(p, 1)->kind != TOK_COMMA && peek(p, 1)->kind != TOK_RPAREN) {
      mode = peek(p, 0)->kw;
      advance(p);
      fname = mode == KW_LEADING ? "ltrim" : mode == KW_TRAILING ? "rtrim" : "trim";
    }
    struct ast_expr *first = NULL;
    if (!(mode && is_kw(p, KW_FROM))) {
      first = parse_expr(p);
      if (!first) return NULL;
    }
    if (accept_kw(p, KW_FROM)) {
      struct ast_expr *src = parse_expr(p);
      if (!src) return NULL;
      PUSH(p, args, n, cap, src);
      if (first) PUSH(p, args, n, cap, first);
    } else if (mode) {
      syntax_error(p);
      return NULL;
    } else {
      PUSH(p, args, n, cap, first);
      while (accept_tok(p, TOK_COMMA)) {
        struct ast_expr *x = parse_expr(p);
        if (!x) return NULL;
        PUSH(p, args, n, cap, x);
      }
    }
  } else if (kw == KW_SUBSTR || kw == KW_SUBSTRING) {
    fname = kw == KW_SUBSTR ? "substr" : "substring";
    struct ast_expr *x = parse_expr(p);
    if (!x) return NULL;
    PUSH(p, args, n, cap, x);
    if (accept_kw(p, KW_FROM)) {
      if (!(x = parse_expr(p))) return NULL;
      PUSH(p, args, n, cap, x);
      if (accept_kw(p, KW_FOR)) {
        if (!(x = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, x);
      }
    } else {
      while (accept_tok(p, TOK_COMMA)) {
        if (!(x = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, x);
      }
    }
  } else { /* POSITION */
    fname = "position";
    struct ast_expr *x = parse_value(p, 0);
    if (!x) return NULL;
    PUSH(p, args, n, cap, x);
    if (accept_kw(p, KW_IN)) {
      if (!(x = parse_value(p, 0))) return NULL;
      PUSH(p, args, n, cap, x);
    } else {
      while (accept_tok(p, TOK_COMMA)) {
        if (!(x = parse_expr(p))) return NULL;
        PUSH(p, args, n, cap, x);
      }
    }
  }
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  struct ast_expr *e = make_call(p, &st, fname, args, n);
  if (!e) return NULL;
  e->pos = pos_from(p, &st);
  return seal_expr(p, e);
}

/* name ( [DISTINCT|ALL] args ) [FILTER (WHERE e)] [OVER (...)] */
static struct ast_expr *parse_call(struct parser *p, struct ast_name *name,
                                   const struct lexer_token *st) {
  struct ast_expr *e = new_expr(p, AST_FUNC);
  if (!e) return NULL;
  e->u.func.name = *name;
  advance(p); /* ( */
  if (is_kw(p, KW_DISTINCT)) {
    advance(p);
    e->u.func.distinct = 1;
  } else if (is_kw(p, KW_ALL)) {
    advance(p);
  }
  if (!is_tok(p, TOK_RPAREN)) {
    e->u.func.args = parse_expr_list(p, &e->u.func.nargs);
    if (!e->u.func.args) return NULL;
  }
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  if (is_kw(p, KW_FILTER) && peek(p, 1)->kind == TOK_LPAREN) {
    advance(p);
    advance(p);
    if (!expect_kw(p, KW_WHERE)) return NULL;
    if (!(e->u.func.filter = parse_expr(p))) return NULL;
    if (!expect_tok(p, TOK_RPAREN)) return NULL;
  }
  if (accept_kw(p, KW_OVER)) {
    if (!(e->u.func.over = parse_window(p))) return NULL;
  }
  e->pos = pos_from(p, st);
  return seal_expr(p, e);
}

static struct ast_expr *parse_case(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  advance(p);
  struct ast_expr *e = new_expr(p, AST_CASE);
  if (!e) return NULL;
  if (!is_kw(p, KW_WHEN)) {
    if (!(e->u.cases.operand = parse_expr(p))) return NULL;
  }
  int cap_w = 0, cap_t = 0, nw = 0, nt = 0;
  do {
    if (!expect_kw(p, KW_WHEN)) return NULL;
    struct ast_expr *c = parse_expr(p);
    if (!c) return NULL;
    if (!expect_kw(p, KW_THEN)) return NULL;
    struct ast_expr *r = parse_expr(p);
    if (!r) return NULL;
    PUSH(p, e->u.cases.when, nw, cap_w, c);
    PUSH(p, e->u.cases.then, nt, cap_t, r);
  } while (is_kw(p, KW_WHEN));
  e->u.cases.n = nw;
  note(p, "WHEN");
  if (accept_kw(p, KW_ELSE)) {
    if (!(e->u.cases.otherwise = parse_expr(p))) return NULL;
  }
  if (!expect_kw(p, KW_END)) return NULL;
  e->pos = pos_from(p, &st);
  return seal_expr(p, e);
}

static struct ast_expr *parse_cast(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  advance(p);
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  struct ast_expr *e = new_expr(p, AST_CAST);
  if (!e) return NULL;
  e->u.cast.try_cast = st.kw == KW_TRY_CAST;
  if (!(e->u.cast.arg = parse_expr(p))) return NULL;
  if (!expect_kw(p, KW_AS)) return NULL;
  if (!parse_type(p, &e->u.cast.type)) return NULL;
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  e->pos = pos_from(p, &st);
  return seal_expr(p, e);
}

static struct ast_expr *parse_subquery_expr(struct parser *p, enum ast_expr_kind kind,
                                            const struct lexer_token *st) {
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  struct ast_expr *e = new_expr(p, kind);
  if (!e) return NULL;
  if (!(e->u.subquery.query = parse_query(p))) return NULL;
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  e->pos = pos_from(p, st);
  return seal_expr(p, e);
}

static struct ast_expr *parse_primary(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  if (is_number_tok(st.kind)) return parse_number(p, 0, &st);
  if (st.kind == TOK_STRING) {
    struct ast_expr *e = new_expr(p, AST_LIT);
    if (!e) return NULL;
    e->u.lit.type.id = TYPE_STRING;
    if (!parse_string(p, &e->u.lit.s, &e->u.lit.len)) return NULL;
    e->pos = pos_from(p, &st);
    return e;
  }
  if (st.kind == TOK_STAR) {
    advance(p);
    struct ast_expr *e = new_expr(p, AST_STAR);
    if (e) e->pos = pos_from(p, &st);
    return e;
  }
  if (st.kind == TOK_LPAREN) {
    if (query_starts(p, 1)) return parse_subquery_expr(p, AST_SUBQUERY, &st);
    advance(p);
    struct ast_expr *e = parse_expr(p);
    if (!e) return NULL;
    if (!expect_tok(p, TOK_RPAREN)) return NULL;
    return e;
  }
  if (st.kind == TOK_WORD) {
    const struct lexer_token *nx = peek(p, 1);
    switch (st.kw) {
      case KW_NULL:
      case KW_TRUE:
      case KW_FALSE: {
        advance(p);
        struct ast_expr *e = new_expr(p, AST_LIT);
        if (!e) return NULL;
        e->u.lit.type.id = st.kw == KW_NULL ? TYPE_NULL : TYPE_BOOLEAN;
        e->u.lit.i = st.kw == KW_TRUE;
        e->pos = pos_from(p, &st);
        return e;
      }
      case KW_CASE: return parse_case(p);
      case KW_CAST: return parse_cast(p);
      case KW_TRY_CAST:
        if (nx->kind == TOK_LPAREN) return parse_cast(p);
        break;
      case KW_EXISTS:
        advance(p);
        return parse_subquery_expr(p, AST_EXISTS, &st);
      case KW_DATE:
      case KW_TIMESTAMP:
        if (nx->kind == TOK_STRING) return parse_typed_literal(p);
        break;
      case KW_INTERVAL:
        if (nx->kind == TOK_INT || nx->kind == TOK_STRING ||
            (nx->kind == TOK_MINUS && peek(p, 2)->kind == TOK_INT))
          return parse_interval(p);
        break;
      case KW_EXTRACT:
      case KW_TRIM:
      case KW_SUBSTR:
      case KW_SUBSTRING:
      case KW_POSITION:
        if (nx->kind == TOK_LPAREN) return parse_special_call(p, st);
        break;
      case KW_CURRENT_DATE:
      case KW_CURRENT_TIMESTAMP:
        if (nx->kind != TOK_LPAREN) {
          advance(p);
          char *nm = lower_dup(p, lexer_kw_name(st.kw));
          if (!nm) return NULL;
          struct ast_expr *e = make_call(p, &st, nm, NULL, 0);
          if (e) e->pos = pos_from(p, &st);
          return e;
        }
        break;
      case KW_LEFT:
      case KW_RIGHT:
      case KW_RLIKE:
      case KW_REGEXP:
        /* Reserved as join words or operators, but left(s, n), right(s, n),
         * rlike(s, re) and regexp(s, re) are also functions. */
        if (nx->kind == TOK_LPAREN) {
          struct ast_name nm = {0};
          char **parts = alloc(p, sizeof *parts);
          if (!parts) return NULL;
          parts[0] = dup(p, p->src + st.offset, st.length);
          if (!parts[0]) return NULL;
          advance(p);
          nm.parts = parts;
          nm.n = 1;
          nm.pos = pos_from(p, &st);
          return parse_call(p, &nm, &st);
        }
        break;
      default: break;
    }
  }
  if (!is_ident_tok(&st)) {
    note(p, "expression");
    syntax_error(p);
    return NULL;
  }
  /* name, name.name..., name.*, or a call name(...) */
  char **parts = NULL;
  int n = 0, cap = 0;
  for (;;) {
    char *s = tok_ident(p, peek(p, 0));
    if (!s) return NULL;
    PUSH(p, parts, n, cap, s);
    advance(p);
    if (!is_tok(p, TOK_DOT)) break;
    const struct lexer_token *after = peek(p, 1);
    if (after->kind == TOK_STAR) {
      advance(p);
      advance(p);
      struct ast_expr *e = new_expr(p, AST_STAR);
      if (!e) return NULL;
      e->u.col.parts = parts;
      e->u.col.n = n;
      e->pos = pos_from(p, &st);
      e->u.col.pos = e->pos;
      return e;
    }
    if (!is_ident_tok(after)) {
      advance(p);
      note(p, "identifier");
      note(p, "'*'");
      syntax_error(p);
      return NULL;
    }
    advance(p);
  }
  struct ast_name name = {parts, n, pos_from(p, &st)};
  if (is_tok(p, TOK_LPAREN)) return parse_call(p, &name, &st);
  struct ast_expr *e = new_expr(p, AST_COL);
  if (!e) return NULL;
  e->u.col = name;
  e->pos = name.pos;
  return e;
}

/* primary ( :: type )* */
static struct ast_expr *parse_postfix(struct parser *p, struct ast_expr *e) {
  while (e && (is_tok(p, TOK_DCOLON) || is_tok(p, TOK_LBRACKET))) {
    if (is_tok(p, TOK_LBRACKET)) { /* a[i]: a call named "[]" (0-based subscript) */
      struct lexer_token bt = *peek(p, 0);
      advance(p);
      struct ast_expr **args = alloc(p, sizeof *args * 2);
      if (!args) return NULL;
      args[0] = e;
      if (!(args[1] = parse_expr(p)) || !expect_tok(p, TOK_RBRACKET)) return NULL;
      struct ast_expr *c = make_call(p, &bt, "[]", args, 2);
      if (!c) return NULL;
      c->pos = pos_span(p, e->pos);
      e = seal_expr(p, c);
      continue;
    }
    advance(p);
    struct ast_expr *c = new_expr(p, AST_CAST);
    if (!c) return NULL;
    c->u.cast.arg = e;
    if (!parse_type(p, &c->u.cast.type)) return NULL;
    c->pos = pos_span(p, e->pos);
    e = seal_expr(p, c);
  }
  return e;
}

static struct ast_expr *parse_unary(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  enum ast_op op;
  switch (st.kind) {
    case TOK_MINUS:
      if (is_number_tok(peek(p, 1)->kind)) {
        advance(p);
        return parse_postfix(p, parse_number(p, 1, &st));
      }
      op = AST_OP_NEG;
      break;
    case TOK_PLUS: op = AST_OP_POS; break;
    case TOK_TILDE: op = AST_OP_BITNOT; break;
    default: return parse_postfix(p, parse_primary(p));
  }
  advance(p);
  if (!enter(p)) return NULL;
  struct ast_expr *arg = parse_unary(p);
  leave(p);
  if (!arg) return NULL;
  struct ast_expr *e = new_expr(p, AST_UNARY);
  if (!e) return NULL;
  e->u.unary.op = op;
  e->u.unary.arg = arg;
  e->pos = pos_from(p, &st);
  return seal_expr(p, e);
}

/* Binary operator at the current token and its precedence (0: none). */
static int binop(struct parser *p, enum ast_op *op) {
  const struct lexer_token *t = peek(p, 0);
  switch (t->kind) {
    case TOK_EQ: case TOK_EQEQ: *op = AST_OP_EQ; return 1;
    case TOK_NE: *op = AST_OP_NE; return 1;
    case TOK_LT: *op = AST_OP_LT; return 1;
    case TOK_LE: *op = AST_OP_LE; return 1;
    case TOK_GT: *op = AST_OP_GT; return 1;
    case TOK_GE: *op = AST_OP_GE; return 1;
    case TOK_NSEQ: *op = AST_OP_NSEQ; return 1;
    case TOK_PIPE: *op = AST_OP_BITOR; return 2;
    case TOK_CARET: *op = AST_OP_BITXOR; return 3;
    case TOK_AMP: *op = AST_OP_BITAND; return 4;
    case TOK_PLUS: *op = AST_OP_ADD; return 5;
    case TOK_MINUS: *op = AST_OP_SUB; return 5;
    case TOK_CONCAT: *op = AST_OP_CONCAT; return 5;
    case TOK_STAR: *op = AST_OP_MUL; return 6;
    case TOK_SLASH: *op = AST_OP_DIV; return 6;
    case TOK_PERCENT: *op = AST_OP_MOD; return 6;
    case TOK_WORD:
      if (t->kw == KW_DIV) {
        *op = AST_OP_IDIV;
        return 6;
      }
      return 0;
    default: return 0;
  }
}

/* Value expressions by precedence climbing: left-associative chains loop
 * here instead of recursing. */
static struct ast_expr *parse_value(struct parser *p, int minprec) {
  struct ast_expr *left = parse_unary(p);
  while (left) {
    enum ast_op op;
    int prec = binop(p, &op);
    if (prec == 0 || prec < minprec) break;
    advance(p);
    struct ast_expr *right = parse_value(p, prec + 1);
    if (!right) return NULL;
    struct ast_expr *e = new_expr(p, AST_BINARY);
    if (!e) return NULL;
    e->u.binary.op = op;
    e->u.binary.left = left;
    e->u.binary.right = right;
    e->pos = pos_span(p, left->pos);
    left = seal_expr(p, e);
  }
  return left;
}

/* value [NOT] (BETWEEN | IN | LIKE | ILIKE | RLIKE) ... | value IS ... */
static struct ast_expr *parse_predicate(struct parser *p) {
  struct ast_expr *left = parse_value(p, 0);
  if (!left) return NULL;
  int negated = 0;
  if (is_kw(p, KW_NOT)) {
    enum lexer_kw k = peek(p, 1)->kind == TOK_WORD ? peek(p, 1)->kw : KW_NONE;
    if (k != KW_BETWEEN && k != KW_IN && k != KW_LIKE && k != KW_ILIKE && k != KW_RLIKE &&
        k != KW_REGEXP)
      return left;
    advance(p);
    negated = 1;
  }
  const struct lexer_token *t = peek(p, 0);
  if (t->kind != TOK_WORD) return left;
  struct ast_expr *e = NULL;
  switch (t->kw) {
    case KW_BETWEEN:
      advance(p);
      if (!(e = new_expr(p, AST_BETWEEN))) return NULL;
      e->u.between.negated = negated;
      e->u.between.arg = left;
      if (!(e->u.between.low = parse_value(p, 0))) return NULL;
      if (!expect_kw(p, KW_AND)) return NULL;
      if (!(e->u.between.high = parse_value(p, 0))) return NULL;
      break;
    case KW_IN:
      advance(p);
      if (!expect_tok(p, TOK_LPAREN)) return NULL;
      if (query_starts(p, 0)) {
        if (!(e = new_expr(p, AST_IN_QUERY))) return NULL;
        e->u.in_query.negated = negated;
        e->u.in_query.arg = left;
        if (!(e->u.in_query.query = parse_query(p))) return NULL;
      } else {
        if (!(e = new_expr(p, AST_IN_LIST))) return NULL;
        e->u.in_list.negated = negated;
        e->u.in_list.arg = left;
        if (!(e->u.in_list.list = parse_expr_list(p, &e->u.in_list.n))) return NULL;
      }
      if (!expect_tok(p, TOK_RPAREN)) return NULL;
      break;
    case KW_LIKE:
    case KW_ILIKE:
    case KW_RLIKE:
    case KW_REGEXP: {
      enum lexer_kw k = t->kw;
      advance(p);
      if (!(e = new_expr(p, AST_LIKE))) return NULL;
      e->u.like.negated = negated;
      e->u.like.kind = k == KW_LIKE    ? AST_LIKE_LIKE
                       : k == KW_ILIKE ? AST_LIKE_ILIKE
                                       : AST_LIKE_RLIKE;
      e->u.like.arg = left;
      if (!(e->u.like.pattern = parse_value(p, 0))) return NULL;
      if (k != KW_RLIKE && k != KW_REGEXP && is_kw(p, KW_ESCAPE)) {
        advance(p);
        struct lexer_token et = *peek(p, 0);
        if (et.kind != TOK_STRING) {
          note(p, "string literal");
          syntax_error(p);
          return NULL;
        }
        if (!(e->u.like.escape = parse_primary(p))) return NULL;
        if (e->u.like.escape->u.lit.len != 1) {
          fail_at(p, &et, "The ESCAPE string must be a single character");
          return NULL;
        }
      }
      break;
    }
    case KW_IS: {
      advance(p);
      int neg = accept_kw(p, KW_NOT);
      if (accept_kw(p, KW_NULL)) {
        if (!(e = new_expr(p, AST_IS_NULL))) return NULL;
        e->u.is_null.negated = neg;
        e->u.is_null.arg = left;
      } else if (accept_kw(p, KW_DISTINCT)) {
        if (!expect_kw(p, KW_FROM)) return NULL;
        if (!(e = new_expr(p, AST_IS_DISTINCT))) return NULL;
        e->u.binary.negated = neg;
        e->u.binary.left = left;
        if (!(e->u.binary.right = parse_value(p, 0))) return NULL;
      } else if (is_kw(p, KW_TRUE) || is_kw(p, KW_FALSE)) {
        /* x IS [NOT] TRUE is null-safe: (x <=> TRUE), negated by NOT. */
        struct ast_expr *b = parse_primary(p);
        if (!b) return NULL;
        if (!(e = new_expr(p, AST_BINARY))) return NULL;
        e->u.binary.op = AST_OP_NSEQ;
        e->u.binary.left = left;
        e->u.binary.right = b;
        e->pos = pos_span(p, left->pos);
        if (!seal_expr(p, e)) return NULL;
        if (neg) {
          struct ast_expr *n = new_expr(p, AST_UNARY);
          if (!n) return NULL;
          n->u.unary.op = AST_OP_NOT;
          n->u.unary.arg = e;
          n->pos = e->pos;
          e = n;
        }
      } else {
        note(p, "TRUE");
        note(p, "FALSE");
        syntax_error(p);
        return NULL;
      }
      break;
    }
    default:
      return left;
  }
  e->pos = pos_span(p, left->pos);
  return seal_expr(p, e);
}

static struct ast_expr *parse_not(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  if (!is_kw(p, KW_NOT) && !is_tok(p, TOK_BANG)) return parse_predicate(p);
  advance(p);
  if (!enter(p)) return NULL;
  struct ast_expr *arg = parse_not(p);
  leave(p);
  if (!arg) return NULL;
  struct ast_expr *e = new_expr(p, AST_UNARY);
  if (!e) return NULL;
  e->u.unary.op = AST_OP_NOT;
  e->u.unary.arg = arg;
  e->pos = pos_from(p, &st);
  return seal_expr(p, e);
}

/* AND / OR chains become one n-ary node. */
static struct ast_expr *parse_logic(struct parser *p, int is_or) {
  struct ast_expr *first = is_or ? parse_logic(p, 0) : parse_not(p);
  if (!first) return NULL;
  enum lexer_kw kw = is_or ? KW_OR : KW_AND;
  if (!is_kw(p, kw)) return first;
  struct ast_expr **v = NULL;
  int n = 0, cap = 0;
  PUSH(p, v, n, cap, first);
  while (is_kw(p, kw)) {
    advance(p);
    struct ast_expr *x = is_or ? parse_logic(p, 0) : parse_not(p);
    if (!x) return NULL;
    PUSH(p, v, n, cap, x);
  }
  struct ast_expr *e = new_expr(p, is_or ? AST_OR : AST_AND);
  if (!e) return NULL;
  e->u.logic.args = v;
  e->u.logic.n = n;
  e->pos = pos_span(p, first->pos);
  return seal_expr(p, e);
}

static struct ast_expr *parse_expr(struct parser *p) {
  if (!enter(p)) return NULL;
  struct ast_expr *e = parse_logic(p, 1);
  leave(p);
  return e;
}

/* ---- relations ------------------------------------------------------------- */

static struct ast_rel *parse_relation(struct parser *p);

/* [AS] alias [(c1, c2)] */
static int parse_alias(struct parser *p, struct ast_rel *r) {
  const struct lexer_token *t = peek(p, 0);
  int has = 0;
  if (accept_kw(p, KW_AS)) {
    has = 1;
  } else if (is_alias_tok(t)) {
    has = 1;
  }
  if (!has) return 1;
  struct lexer_token at = *peek(p, 0);
  if (!(r->alias = parse_ident(p))) return 0;
  r->alias_pos = pos_from(p, &at);
  if (is_tok(p, TOK_LPAREN)) {
    if (!(r->cols = parse_ident_list(p, &r->ncols))) return 0;
  }
  return 1;
}

static int is_file_format(const char *s) {
  return ast_ident_eq(s, "csv") || ast_ident_eq(s, "json") || ast_ident_eq(s, "parquet");
}

static struct ast_query *parse_values(struct parser *p);

static struct ast_rel *parse_rel_primary(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  struct ast_rel *r = NULL;
  if (st.kind == TOK_LPAREN) {
    if (query_starts(p, 1) || peek(p, 1)->kind == TOK_LPAREN) {
      advance(p);
      if (!(r = ast_rel_new(p->arena, AST_REL_QUERY))) {
        fail_nomem(p);
        return NULL;
      }
      if (!(r->u.query = parse_query(p))) return NULL;
      if (!expect_tok(p, TOK_RPAREN)) return NULL;
    } else {
      advance(p);
      if (!(r = parse_relation(p))) return NULL;
      if (!expect_tok(p, TOK_RPAREN)) return NULL;
      if (r->alias) return r; /* (t AS x) keeps its alias */
    }
  } else if (is_kw(p, KW_VALUES)) {
    if (!(r = ast_rel_new(p->arena, AST_REL_QUERY))) {
      fail_nomem(p);
      return NULL;
    }
    if (!(r->u.query = parse_values(p))) return NULL;
  } else if (is_ident_tok(&st)) {
    struct ast_name name;
    /* fmt.`path`: a file read directly, as Spark's SELECT * FROM csv.`f`. */
    if (st.kind == TOK_WORD && peek(p, 1)->kind == TOK_DOT && peek(p, 2)->kind == TOK_QIDENT &&
        peek(p, 3)->kind != TOK_DOT) {
      char *fmt = tok_ident(p, &st);
      if (!fmt) return NULL;
      if (is_file_format(fmt)) {
        advance(p);
        advance(p);
        if (!(r = ast_rel_new(p->arena, AST_REL_FILE))) {
          fail_nomem(p);
          return NULL;
        }
        r->u.file.format = lower_dup(p, fmt);
        r->u.file.path = tok_ident(p, peek(p, 0));
        if (!r->u.file.format || !r->u.file.path) return NULL;
        advance(p);
      }
    }
    if (!r) {
      if (!parse_name(p, &name)) return NULL;
      if (is_tok(p, TOK_LPAREN)) {
        if (!(r = ast_rel_new(p->arena, AST_REL_TVF))) {
          fail_nomem(p);
          return NULL;
        }
        r->u.tvf.name = name;
        advance(p);
        if (!is_tok(p, TOK_RPAREN)) {
          if (!(r->u.tvf.args = parse_expr_list(p, &r->u.tvf.nargs))) return NULL;
        }
        if (!expect_tok(p, TOK_RPAREN)) return NULL;
      } else {
        if (!(r = ast_rel_new(p->arena, AST_REL_TABLE))) {
          fail_nomem(p);
          return NULL;
        }
        r->u.table = name;
      }
    }
  } else {
    note(p, "table name");
    note(p, "'('");
    syntax_error(p);
    return NULL;
  }
  if (!parse_alias(p, r)) return NULL;
  r->pos = pos_from(p, &st);
  return seal_rel(p, r);
}

/* primary ( [NATURAL] join_type JOIN primary [ON e | USING (cols)] )* */
static struct ast_rel *parse_relation(struct parser *p) {
  if (!enter(p)) return NULL;
  struct ast_rel *left = parse_rel_primary(p);
  while (left) {
    int natural = 0;
    enum ast_join_type type = AST_JOIN_INNER;
    if (is_kw(p, KW_NATURAL)) {
      advance(p);
      natural = 1;
    }
    if (is_kw(p, KW_JOIN)) {
      type = AST_JOIN_INNER;
    } else if (is_kw(p, KW_INNER)) {
      advance(p);
    } else if (is_kw(p, KW_CROSS)) {
      advance(p);
      type = AST_JOIN_CROSS;
    } else if (is_kw(p, KW_LEFT)) {
      advance(p);
      if (is_kw(p, KW_SEMI)) {
        advance(p);
        type = AST_JOIN_SEMI;
      } else if (is_kw(p, KW_ANTI)) {
        advance(p);
        type = AST_JOIN_ANTI;
      } else {
        accept_kw(p, KW_OUTER);
        type = AST_JOIN_LEFT;
      }
    } else if (is_kw(p, KW_RIGHT) || is_kw(p, KW_FULL)) {
      type = is_kw(p, KW_RIGHT) ? AST_JOIN_RIGHT : AST_JOIN_FULL;
      advance(p);
      accept_kw(p, KW_OUTER);
    } else if (is_kw(p, KW_SEMI) || is_kw(p, KW_ANTI)) {
      type = is_kw(p, KW_SEMI) ? AST_JOIN_SEMI : AST_JOIN_ANTI;
      advance(p);
    } else {
      if (natural) {
        note(p, "JOIN");
        syntax_error(p);
        left = NULL;
        break;
      }
      note(p, "JOIN");
      break;
    }
    if (!expect_kw(p, KW_JOIN)) {
      left = NULL;
      break;
    }
    struct ast_rel *right = parse_rel_primary(p);
    if (!right) {
      left = NULL;
      break;
    }
    struct ast_rel *j = ast_rel_new(p->arena, AST_REL_JOIN);
    if (!j) {
      fail_nomem(p);
      left = NULL;
      break;
    }
    j->u.join.type = type;
    j->u.join.natural = natural;
    j->u.join.left = left;
    j->u.join.right = right;
    if (!natural && accept_kw(p, KW_ON)) {
      if (!(j->u.join.on = parse_expr(p))) {
        left = NULL;
        break;
      }
    } else if (!natural && accept_kw(p, KW_USING)) {
      if (!(j->u.join.using_cols = parse_ident_list(p, &j->u.join.nusing))) {
        left = NULL;
        break;
      }
    }
    j->pos = pos_span(p, left->pos);
    left = seal_rel(p, j);
  }
  leave(p);
  return left;
}

/* ---- queries --------------------------------------------------------------- */

static struct ast_query *new_query(struct parser *p, enum ast_query_kind k) {
  struct ast_query *q = ast_query_new(p->arena, k);
  if (!q) fail_nomem(p);
  return q;
}

/* VALUES row, row, ...; a row is (e, ...) or a single expression. */
static struct ast_query *parse_values(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  advance(p);
  struct ast_query *q = new_query(p, AST_Q_VALUES);
  if (!q) return NULL;
  struct ast_expr **cells = NULL;
  int n = 0, cap = 0, ncols = -1, nrows = 0;
  do {
    struct lexer_token rt = *peek(p, 0);
    int width = 0;
    if (is_tok(p, TOK_LPAREN) && !query_starts(p, 1)) {
      advance(p);
      do {
        struct ast_expr *x = parse_expr(p);
        if (!x) return NULL;
        PUSH(p, cells, n, cap, x);
        width++;
      } while (accept_tok(p, TOK_COMMA));
      if (!expect_tok(p, TOK_RPAREN)) return NULL;
    } else {
      struct ast_expr *x = parse_expr(p);
      if (!x) return NULL;
      PUSH(p, cells, n, cap, x);
      width = 1;
    }
    if (ncols >= 0 && width != ncols) {
      fail_at(p, &rt, "VALUES rows must all have %d column%s, this one has %d", ncols,
              ncols == 1 ? "" : "s", width);
      return NULL;
    }
    ncols = width;
    nrows++;
  } while (accept_tok(p, TOK_COMMA));
  q->u.values.cells = cells;
  q->u.values.nrows = nrows;
  q->u.values.ncols = ncols;
  q->pos = pos_from(p, &st);
  return seal_query(p, q);
}

static struct ast_query *parse_select(struct parser *p) {
  struct lexer_token st = *peek(p, 0);
  advance(p);
  struct ast_query *q = new_query(p, AST_Q_SELECT);
  if (!q) return NULL;
  if (is_kw(p, KW_DISTINCT)) {
    advance(p);
    q->u.select.distinct = 1;
  } else if (is_kw(p, KW_ALL)) {
    advance(p);
  }
  int cap = 0, n = 0;
  do {
    struct ast_item it = {0};
    if (!(it.expr = parse_expr(p))) return NULL;
    if (it.expr->kind != AST_STAR) {
      struct lexer_token at = *peek(p, 0);
      if (accept_kw(p, KW_AS)) {
        at = *peek(p, 0);
        if (is_tok(p, TOK_LPAREN)) { /* AS (a, b): a generator's columns */
          if (!(it.aliases = parse_ident_list(p, &it.naliases))) return NULL;
        } else if (!(it.alias = parse_ident(p))) return NULL;
      } else if (is_alias_tok(&at)) {
        if (!(it.alias = parse_ident(p))) return NULL;
      }
      if (it.alias) it.alias_pos = pos_from(p, &at);
    }
    PUSH(p, q->u.select.items, n, cap, it);
  } while (accept_tok(p, TOK_COMMA));
  q->u.select.nitems = n;
  if (accept_kw(p, KW_FROM)) {
    int fc = 0, fn = 0;
    do {
      struct ast_rel *r = parse_relation(p);
      if (!r) return NULL;
      PUSH(p, q->u.select.from, fn, fc, r);
    } while (accept_tok(p, TOK_COMMA));
    q->u.select.nfrom = fn;
    int lc = 0, ln = 0;
    while (is_kw(p, KW_LATERAL) && is_kw_at(p, 1, KW_VIEW)) {
      struct ast_lateral lv = {0};
      struct lexer_token lt = *peek(p, 0);
      advance(p);
      advance(p);
      lv.outer = accept_kw(p, KW_OUTER);
      if (!(lv.gen = parse_primary(p))) return NULL;
      if (!(lv.table = parse_ident(p))) return NULL;
      int has_cols = accept_kw(p, KW_AS) || is_alias_tok(peek(p, 0));
      if (has_cols) {
        int cc = 0;
        do {
          char *c = parse_ident(p);
          if (!c) return NULL;
          PUSH(p, lv.cols, lv.ncols, cc, c);
        } while (accept_tok(p, TOK_COMMA));
      }
      lv.pos = pos_from(p, &lt);
      PUSH(p, q->u.select.laterals, ln, lc, lv);
    }
    q->u.select.nlaterals = ln;
  }
  if (accept_kw(p, KW_WHERE)) {
    if (!(q->u.select.where = parse_expr(p))) return NULL;
  }
  if (accept_kw2(p, KW_GROUP, KW_BY, "GROUP BY")) {
    if (!parse_group_by(p, q)) return NULL;
  }
  if (accept_kw(p, KW_HAVING)) {
    if (!(q->u.select.having = parse_expr(p))) return NULL;
  }
  q->pos = pos_from(p, &st);
  return seal_query(p, q);
}

static struct ast_query *parse_query_primary(struct parser *p) {
  if (is_kw(p, KW_SELECT)) return parse_select(p);
  if (is_kw(p, KW_VALUES)) return parse_values(p);
  if (is_tok(p, TOK_LPAREN)) {
    struct lexer_token st = *peek(p, 0);
    advance(p);
    struct ast_query *q = parse_query(p);
    if (!q || !expect_tok(p, TOK_RPAREN)) return NULL;
    q->pos = pos_from(p, &st);
    return q;
  }
  note(p, "SELECT");
  note(p, "VALUES");
  note(p, "'('");
  syntax_error(p);
  return NULL;
}

static int setop_at(struct parser *p, enum ast_setop *op) {
  note(p, "UNION");
  note(p, "INTERSECT");
  note(p, "EXCEPT");
  if (is_kw(p, KW_UNION)) { *op = AST_SET_UNION; return 1; }
  if (is_kw(p, KW_EXCEPT) || is_kw(p, KW_MINUS)) { *op = AST_SET_EXCEPT; return 1; }
  if (is_kw(p, KW_INTERSECT)) { *op = AST_SET_INTERSECT; return 2; }
  return 0;
}

static int plain_query(const struct ast_query *q) {
  return !q->nctes && !q->norder && !q->limit && !q->offset;
}

/* Set operations: INTERSECT binds tighter than UNION and EXCEPT (Spark's
 * default); equal operators fold into one n-ary node. */
static struct ast_query *parse_setops(struct parser *p, int minprec) {
  struct ast_query *left = parse_query_primary(p);
  while (left) {
    enum ast_setop op;
    int prec = setop_at(p, &op);
    if (!prec || prec < minprec) break;
    advance(p);
    int all = 0;
    if (is_kw(p, KW_ALL)) {
      advance(p);
      all = 1;
    } else if (is_kw(p, KW_DISTINCT)) {
      advance(p);
    }
    struct ast_query *right = parse_setops(p, prec + 1);
    if (!right) return NULL;
    if (left->kind == AST_Q_SETOP && left->u.setop.op == op && left->u.setop.all == all &&
        plain_query(left)) {
      /* inputs arrays only ever grow through PUSH (4, 8, 16, ...), so the
       * capacity follows from n. */
      int n = left->u.setop.n, cap = 4;
      while (cap < n) cap *= 2;
      PUSH(p, left->u.setop.inputs, n, cap, right);
      left->u.setop.n = n;
    } else {
      struct ast_query *s = new_query(p, AST_Q_SETOP);
      if (!s) return NULL;
      s->u.setop.op = op;
      s->u.setop.all = all;
      int n = 0, cap = 0;
      PUSH(p, s->u.setop.inputs, n, cap, left);
      PUSH(p, s->u.setop.inputs, n, cap, right);
      s->u.setop.n = n;
      s->pos = left->pos;
      left = s;
    }
    left->pos = pos_span(p, left->pos);
    if (right->height + 1 > left->height) left->height = right->height + 1;
    if (left->height > AST_MAX_DEPTH) return seal_query(p, left);
  }
  return left;
}

/* [WITH ctes] setops [ORDER BY ...] [LIMIT n|ALL] [OFFSET n] */
static struct ast_query *parse_query(struct parser *p) {
  if (!enter(p)) return NULL;
  struct ast_query *q = NULL;
  struct lexer_token st = *peek(p, 0);
  struct ast_cte *ctes = NULL;
  int nctes = 0, cap = 0;
  if (accept_kw(p, KW_WITH)) {
    do {
      struct ast_cte c = {0};
      struct lexer_token nt = *peek(p, 0);
      if (!(c.name = parse_ident(p))) goto out;
      c.pos = pos_from(p, &nt);
      if (is_tok(p, TOK_LPAREN) && !query_starts(p, 1)) {
        if (!(c.cols = parse_ident_list(p, &c.ncols))) goto out;
      }
      accept_kw(p, KW_AS);
      if (!expect_tok(p, TOK_LPAREN)) goto out;
      if (!(c.query = parse_query(p))) goto out;
      if (!expect_tok(p, TOK_RPAREN)) goto out;
      void *g = grow(p, ctes, nctes, &cap, sizeof *ctes);
      if (!g) goto out;
      ctes = g;
      ctes[nctes++] = c;
    } while (accept_tok(p, TOK_COMMA));
  }
  struct ast_query *body = parse_setops(p, 0);
  if (!body) goto out;
  struct ast_sort *order = NULL;
  int norder = 0;
  struct ast_expr *limit = NULL, *offset = NULL;
  if (accept_kw2(p, KW_ORDER, KW_BY, "ORDER BY")) {
    if (!(order = parse_sort_list(p, &norder))) goto out;
  }
  if (accept_kw(p, KW_LIMIT)) {
    if (is_kw(p, KW_ALL)) advance(p);
    else if (!(limit = parse_expr(p))) goto out;
  }
  if (accept_kw(p, KW_OFFSET)) {
    if (!(offset = parse_expr(p))) goto out;
  }
  q = body;
  int has_org = norder || limit || offset;
  if ((nctes && q->nctes) || (has_org && (q->norder || q->limit || q->offset))) {
    /* (q ORDER BY a LIMIT 3) ORDER BY b: the inner clauses stay on a derived
     * table, as SELECT * FROM (inner). */
    struct ast_rel *r = ast_rel_new(p->arena, AST_REL_QUERY);
    struct ast_query *w = new_query(p, AST_Q_SELECT);
    struct ast_item *it = alloc(p, sizeof *it);
    struct ast_rel **from = alloc(p, sizeof *from);
    struct ast_expr *star = new_expr(p, AST_STAR);
    if (!r || !w || !it || !from || !star) {
      fail_nomem(p);
      q = NULL;
      goto out;
    }
    r->u.query = body;
    r->pos = star->pos = body->pos;
    ast_rel_seal(r);
    it->expr = star;
    from[0] = r;
    w->u.select.items = it;
    w->u.select.nitems = 1;
    w->u.select.from = from;
    w->u.select.nfrom = 1;
    q = w;
  }
  if (nctes) {
    q->ctes = ctes;
    q->nctes = nctes;
  }
  if (norder) {
    q->order = order;
    q->norder = norder;
  }
  if (limit) q->limit = limit;
  if (offset) q->offset = offset;
  q->pos = pos_from(p, &st);
  q = seal_query(p, q);
out:
  leave(p);
  return p->failed ? NULL : q;
}

/* ---- statements ------------------------------------------------------------ */

static int parse_stmt(struct parser *p, struct ast_stmt *s);

/* OPTIONS ( key [=] value, ... ) */
static struct ast_option *parse_options(struct parser *p, int *n_out) {
  struct ast_option *v = NULL;
  int n = 0, cap = 0;
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  do {
    struct ast_option o = {0};
    struct lexer_token st = *peek(p, 0);
    if (st.kind == TOK_STRING) {
      const char *k;
      size_t kl;
      if (!parse_string(p, &k, &kl)) return NULL;
      o.key = (char *)k;
    } else {
      struct ast_name nm;
      if (!parse_name(p, &nm)) return NULL;
      size_t total = 0;
      for (int i = 0; i < nm.n; i++) total += strlen(nm.parts[i]) + 1;
      char *k = alloc(p, total);
      if (!k) return NULL;
      size_t o2 = 0;
      for (int i = 0; i < nm.n; i++) {
        if (i) k[o2++] = '.';
        size_t l = strlen(nm.parts[i]);
        memcpy(k + o2, nm.parts[i], l);
        o2 += l;
      }
      k[o2] = '\0';
      o.key = k;
    }
    accept_tok(p, TOK_EQ);
    struct lexer_token vt = *peek(p, 0);
    if (vt.kind == TOK_STRING) {
      const char *val;
      size_t vl;
      if (!parse_string(p, &val, &vl)) return NULL;
      o.value = (char *)val;
    } else if (is_number_tok(vt.kind) ||
               (vt.kind == TOK_WORD && (vt.kw == KW_TRUE || vt.kw == KW_FALSE))) {
      if (!(o.value = dup(p, p->src + vt.offset, vt.length))) return NULL;
      if (vt.kind == TOK_WORD) o.value = lower_dup(p, o.value);
      if (!o.value) return NULL;
      advance(p);
    } else {
      note(p, "option value (string, number or boolean)");
      syntax_error(p);
      return NULL;
    }
    o.pos = pos_from(p, &st);
    PUSH(p, v, n, cap, o);
  } while (accept_tok(p, TOK_COMMA));
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  *n_out = n;
  return v;
}

static char *parse_string_value(struct parser *p) {
  if (!is_tok(p, TOK_STRING)) {
    note(p, "string literal");
    syntax_error(p);
    return NULL;
  }
  const char *s;
  size_t n;
  if (!parse_string(p, &s, &n)) return NULL;
  return (char *)s;
}

/* USING fmt: a name, kept lower-case. */
static char *parse_format(struct parser *p) {
  struct ast_name nm;
  if (!parse_name(p, &nm)) return NULL;
  size_t total = 0;
  for (int i = 0; i < nm.n; i++) total += strlen(nm.parts[i]) + 1;
  char *f = alloc(p, total);
  if (!f) return NULL;
  size_t o = 0;
  for (int i = 0; i < nm.n; i++) {
    if (i) f[o++] = '.';
    for (const char *c = nm.parts[i]; *c; c++)
      f[o++] = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
  }
  f[o] = '\0';
  return f;
}

/* ( name [type] [NOT NULL] [COMMENT 'c'], ... ); types optional when
 * types_optional (view column lists). */
static struct ast_coldef *parse_coldefs(struct parser *p, int *n_out, int types_optional) {
  struct ast_coldef *v = NULL;
  int n = 0, cap = 0;
  if (!expect_tok(p, TOK_LPAREN)) return NULL;
  do {
    struct ast_coldef c = {0};
    struct lexer_token st = *peek(p, 0);
    if (!(c.name = parse_ident(p))) return NULL;
    int no_type = is_tok(p, TOK_COMMA) || is_tok(p, TOK_RPAREN) || is_kw(p, KW_COMMENT);
    if (!(types_optional && no_type)) {
      if (!parse_type(p, &c.type)) return NULL;
    }
    if (is_kw(p, KW_NOT) && is_kw_at(p, 1, KW_NULL)) {
      advance(p);
      advance(p);
      c.not_null = 1;
    }
    if (accept_kw(p, KW_COMMENT)) {
      if (!(c.comment = parse_string_value(p))) return NULL;
    }
    c.pos = pos_from(p, &st);
    PUSH(p, v, n, cap, c);
  } while (accept_tok(p, TOK_COMMA));
  if (!expect_tok(p, TOK_RPAREN)) return NULL;
  *n_out = n;
  return v;
}

static int parse_if_not_exists(struct parser *p) {
  if (is_kw(p, KW_IF)) {
    advance(p);
    if (!expect_kw(p, KW_NOT) || !expect_kw(p, KW_EXISTS)) return -1;
    return 1;
  }
  return 0;
}

static int parse_if_exists(struct parser *p) {
  if (is_kw(p, KW_IF)) {
    advance(p);
    if (!expect_kw(p, KW_EXISTS)) return -1;
    return 1;
  }
  return 0;
}

static int parse_create(struct parser *p, struct ast_stmt *s) {
  advance(p); /* CREATE */
  int or_replace = 0, global = 0, temporary = 0, external = 0;
  if (accept_kw(p, KW_OR)) {
    if (!expect_kw(p, KW_REPLACE)) return 0;
    or_replace = 1;
  }
  if (accept_kw(p, KW_GLOBAL)) global = 1;
  if (accept_kw(p, KW_TEMPORARY) || accept_kw(p, KW_TEMP)) temporary = 1;
  else if (!global && accept_kw(p, KW_EXTERNAL)) external = 1;
  if (accept_kw(p, KW_VIEW) && !external) {
    s->kind = AST_S_CREATE_VIEW;
    s->u.view.or_replace = or_replace;
    s->u.view.global = global;
    s->u.view.temporary = temporary;
    int ine = parse_if_not_exists(p);
    if (ine < 0) return 0;
    s->u.view.if_not_exists = ine;
    if (!parse_name(p, &s->u.view.name)) return 0;
    if (is_tok(p, TOK_LPAREN)) {
      if (!(s->u.view.cols = parse_coldefs(p, &s->u.view.ncols, 1))) return 0;
    }
    if (accept_kw(p, KW_USING)) {
      if (!(s->u.view.format = parse_format(p))) return 0;
      if (accept_kw(p, KW_OPTIONS)) {
        if (!(s->u.view.options = parse_options(p, &s->u.view.noptions))) return 0;
      }
      return 1;
    }
    if (!expect_kw(p, KW_AS)) return 0;
    return (s->u.view.query = parse_query(p)) != NULL;
  }
  if (global || temporary) {
    if (!p->failed) syntax_error(p);
    return 0;
  }
  if (!expect_kw(p, KW_TABLE)) return 0;
  s->kind = AST_S_CREATE_TABLE;
  s->u.table.or_replace = or_replace;
  s->u.table.external = external;
  int ine = parse_if_not_exists(p);
  if (ine < 0) return 0;
  s->u.table.if_not_exists = ine;
  if (!parse_name(p, &s->u.table.name)) return 0;
  if (is_tok(p, TOK_LPAREN)) {
    if (!(s->u.table.cols = parse_coldefs(p, &s->u.table.ncols, 0))) return 0;
  }
  if (accept_kw(p, KW_USING)) {
    if (!(s->u.table.format = parse_format(p))) return 0;
  }
  /* Table clauses may come in any order, each at most once. */
  for (;;) {
    struct lexer_token ct = *peek(p, 0);
    if (accept_kw(p, KW_OPTIONS)) {
      if (s->u.table.options) goto dup_clause;
      if (!(s->u.table.options = parse_options(p, &s->u.table.noptions))) return 0;
    } else if (accept_kw(p, KW_LOCATION)) {
      if (s->u.table.location) goto dup_clause;
      if (!(s->u.table.location = parse_string_value(p))) return 0;
    } else if (accept_kw(p, KW_COMMENT)) {
      if (s->u.table.comment) goto dup_clause;
      if (!(s->u.table.comment = parse_string_value(p))) return 0;
    } else {
      break;
    }
    continue;
  dup_clause:
    fail_at(p, &ct, "Found duplicate clause: %.*s", (int)ct.length, p->src + ct.offset);
    return 0;
  }
  int as = accept_kw(p, KW_AS);
  if (as || query_starts(p, 0) || is_tok(p, TOK_LPAREN)) {
    if (!(s->u.table.query = parse_query(p))) return 0;
  }
  return 1;
}

static int parse_insert(struct parser *p, struct ast_stmt *s) {
  advance(p); /* INSERT */
  s->kind = AST_S_INSERT_DIR;
  if (!expect_kw(p, KW_OVERWRITE)) return 0;
  if (accept_kw(p, KW_LOCAL)) s->u.insert_dir.local = 1;
  if (!expect_kw(p, KW_DIRECTORY)) return 0;
  if (is_tok(p, TOK_STRING)) {
    if (!(s->u.insert_dir.path = parse_string_value(p))) return 0;
  }
  if (!expect_kw(p, KW_USING)) return 0;
  if (!(s->u.insert_dir.format = parse_format(p))) return 0;
  if (accept_kw(p, KW_OPTIONS)) {
    if (!(s->u.insert_dir.options = parse_options(p, &s->u.insert_dir.noptions))) return 0;
  }
  return (s->u.insert_dir.query = parse_query(p)) != NULL;
}

/* SET / RESET take the rest of the statement as raw text. */
static int parse_set(struct parser *p, struct ast_stmt *s, int reset) {
  advance(p);
  /* The value is raw text, not tokens: if the parser already looked ahead,
   * rewind the lexer to the first token it has not consumed. */
  if (p->nla) {
    p->lx.pos = p->la[0].offset;
    p->lx.line = p->la[0].line;
    p->lx.column = p->la[0].column;
    p->nla = 0;
  }
  size_t off, n;
  lexer_raw_rest(&p->lx, &off, &n);
  if (n) p->prev_end = off + n;
  const char *t = p->src + off;
  s->kind = reset ? AST_S_RESET : AST_S_SET;
  if (n == 0) return 1;
  if (reset) {
    return (s->u.reset.key = dup(p, t, n)) != NULL;
  }
  if (n == 2 && t[0] == '-' && (t[1] == 'v' || t[1] == 'V')) {
    s->u.set.verbose = 1;
    return 1;
  }
  size_t eq = n;
  int quote = 0;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '`' || c == '\'' || c == '"') {
      quote = c;
    } else if (c == '=') {
      eq = i;
      break;
    }
  }
  size_t kend = eq;
  while (kend > 0 && (t[kend - 1] == ' ' || t[kend - 1] == '\t' || t[kend - 1] == '\n' ||
                      t[kend - 1] == '\r'))
    kend--;
  const char *k = t;
  size_t kl = kend;
  int quoted = kl >= 2 && k[0] == '`' && k[kl - 1] == '`';
  if (quoted) {
    k++;
    kl -= 2;
  }
  int bad = kl == 0;
  for (size_t i = 0; i < kl && !quoted; i++)
    if (k[i] == ' ' || k[i] == '\t' || k[i] == '\n' || k[i] == '\r' || k[i] == '`') bad = 1;
  if (bad) {
    struct lexer_token at = {0};
    at.offset = off;
    /* Find line/column of the raw text by rescanning from the start. */
    at.line = 1;
    at.column = 1;
    for (size_t i = 0; i < off; i++) {
      unsigned char c = (unsigned char)p->src[i];
      if (c == '\n') {
        at.line++;
        at.column = 1;
      } else if ((c & 0xC0) != 0x80) {
        at.column++;
      }
    }
    fail_at(p, &at,
            "Expected format is 'SET', 'SET key', or 'SET key=value'. To put special "
            "characters in the key, quote it: SET `key`=value");
    return 0;
  }
  if (!(s->u.set.key = dup(p, k, kl))) return 0;
  if (eq < n) {
    size_t vs = eq + 1;
    while (vs < n && (t[vs] == ' ' || t[vs] == '\t' || t[vs] == '\n' || t[vs] == '\r')) vs++;
    if (!(s->u.set.value = dup(p, t + vs, n - vs))) return 0;
  }
  return 1;
}

static int parse_stmt(struct parser *p, struct ast_stmt *s) {
  const struct lexer_token *t = peek(p, 0);
  if (t->kind == TOK_LPAREN || query_starts(p, 0)) {
    s->kind = AST_S_QUERY;
    return (s->u.query = parse_query(p)) != NULL;
  }
  enum lexer_kw kw = t->kind == TOK_WORD ? t->kw : KW_NONE;
  switch (kw) {
    case KW_CREATE: return parse_create(p, s);
    case KW_INSERT: return parse_insert(p, s);
    case KW_SET: return parse_set(p, s, 0);
    case KW_RESET: return parse_set(p, s, 1);
    case KW_SHOW:
      advance(p);
      s->kind = AST_S_SHOW_TABLES;
      if (!expect_kw(p, KW_TABLES)) return 0;
      if (accept_kw(p, KW_FROM) || accept_kw(p, KW_IN)) {
        if (!parse_name(p, &s->u.show_tables.db)) return 0;
      }
      if (accept_kw(p, KW_LIKE) || is_tok(p, TOK_STRING)) {
        if (!(s->u.show_tables.pattern = parse_string_value(p))) return 0;
      }
      return 1;
    case KW_DESCRIBE:
    case KW_DESC:
      advance(p);
      s->kind = AST_S_DESCRIBE;
      /* DESCRIBE [QUERY] query: the query's columns (QUERY is not a keyword:
       * DESCRIBE query names a table). */
      {
        const struct lexer_token *w = peek(p, 0);
        int has_query_word = w->kind == TOK_WORD && w->length == 5 &&
                             !strncasecmp(p->src + w->offset, "QUERY", 5) && query_starts(p, 1);
        if (has_query_word || query_starts(p, 0)) {
          if (has_query_word) advance(p);
          struct lexer_token it = *peek(p, 0);
          struct ast_stmt *inner = alloc(p, sizeof *inner);
          if (!inner) return 0;
          inner->arena = p->arena;
          inner->kind = AST_S_QUERY;
          if (!(inner->u.query = parse_query(p))) return 0;
          inner->pos = pos_from(p, &it);
          s->u.describe.query = inner;
          return 1;
        }
      }
      /* TABLE is optional: DESCRIBE t and DESCRIBE TABLE t. */
      accept_kw(p, KW_TABLE);
      if ((is_kw(p, KW_EXTENDED) || is_kw(p, KW_FORMATTED)) && is_ident_tok(peek(p, 1))) {
        advance(p);
        s->u.describe.extended = 1;
      }
      return parse_name(p, &s->u.describe.name);
    case KW_EXPLAIN: {
      advance(p);
      s->kind = AST_S_EXPLAIN;
      if (accept_kw(p, KW_EXTENDED)) s->u.explain.mode = AST_EXPLAIN_EXTENDED;
      else if (accept_kw(p, KW_FORMATTED)) s->u.explain.mode = AST_EXPLAIN_FORMATTED;
      else if (accept_kw(p, KW_CODEGEN)) s->u.explain.mode = AST_EXPLAIN_CODEGEN;
      else if (accept_kw(p, KW_COST)) s->u.explain.mode = AST_EXPLAIN_COST;
      struct lexer_token it = *peek(p, 0);
      if (it.kind == TOK_WORD && (it.kw == KW_EXPLAIN || it.kw == KW_SET || it.kw == KW_RESET)) {
        fail_at(p, &it, "EXPLAIN cannot explain %.*s", (int)it.length, p->src + it.offset);
        return 0;
      }
      struct ast_stmt *inner = alloc(p, sizeof *inner);
      if (!inner) return 0;
      inner->arena = p->arena;
      if (!enter(p)) return 0;
      int ok = parse_stmt(p, inner);
      leave(p);
      if (!ok) return 0;
      inner->pos = pos_from(p, &it);
      s->u.explain.stmt = inner;
      return 1;
    }
    case KW_CACHE:
      advance(p);
      s->kind = AST_S_CACHE;
      if (accept_kw(p, KW_LAZY)) s->u.cache.lazy = 1;
      if (!expect_kw(p, KW_TABLE)) return 0;
      if (!parse_name(p, &s->u.cache.name)) return 0;
      if (accept_kw(p, KW_OPTIONS)) {
        if (!(s->u.cache.options = parse_options(p, &s->u.cache.noptions))) return 0;
      }
      if (accept_kw(p, KW_AS) || query_starts(p, 0) || is_tok(p, TOK_LPAREN)) {
        if (!(s->u.cache.query = parse_query(p))) return 0;
      }
      return 1;
    case KW_UNCACHE: {
      advance(p);
      s->kind = AST_S_UNCACHE;
      if (!expect_kw(p, KW_TABLE)) return 0;
      int ie = parse_if_exists(p);
      if (ie < 0) return 0;
      s->u.uncache.if_exists = ie;
      return parse_name(p, &s->u.uncache.name);
    }
    case KW_DROP: {
      advance(p);
      s->kind = AST_S_DROP;
      if (accept_kw(p, KW_VIEW)) s->u.drop.view = 1;
      else if (!expect_kw(p, KW_TABLE)) return 0;
      int ie = parse_if_exists(p);
      if (ie < 0) return 0;
      s->u.drop.if_exists = ie;
      return parse_name(p, &s->u.drop.name);
    }
    default:
      break;
  }
  static const char *const starts[] = {"SELECT", "WITH", "VALUES", "CREATE", "INSERT",
                                       "SHOW", "DESCRIBE", "EXPLAIN", "CACHE", "UNCACHE",
                                       "SET", "RESET", "DROP"};
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) note(p, starts[i]);
  syntax_error(p);
  return 0;
}

/* ---- entry points ------------------------------------------------------------ */

static int start(struct parser *p, const char *sql, size_t len, struct err *e) {
  memset(p, 0, sizeof *p);
  p->src = sql ? sql : "";
  p->len = sql ? len : 0;
  p->e = e;
  p->exp_off = (size_t)-1;
  err_clear(e);
  if (p->len > PARSER_MAX_INPUT) {
    err_set(e, ERR_TOOBIG, "SQL text is too large: %zu bytes (the limit is %zu MiB)", p->len,
            PARSER_MAX_INPUT >> 20);
    err_set_ename(e, "ParseException");
    return ERR_TOOBIG;
  }
  int rc = lexer_check_text(p->src, p->len, e);
  if (rc) return rc;
  lexer_init(&p->lx, p->src, p->len);
  return 0;
}

int parser_parse(const char *sql, size_t len, struct ast_script **out, struct err *e) {
  *out = NULL;
  struct parser p;
  int rc = start(&p, sql, len, e);
  if (rc) return rc;
  struct ast_script *sc = calloc(1, sizeof *sc);
  if (!sc) {
    err_set(e, ERR_NOMEM, "Out of memory while parsing SQL");
    return ERR_NOMEM;
  }
  size_t cap = 0;
  for (;;) {
    while (is_tok(&p, TOK_SEMI)) advance(&p);
    if (p.failed || is_tok(&p, TOK_EOF)) break;
    struct ast_stmt *s = ast_stmt_new(AST_S_QUERY);
    if (!s) {
      fail_nomem(&p);
      break;
    }
    if (sc->n == cap) {
      size_t nc = cap ? cap * 2 : 4;
      struct ast_stmt **ns = realloc(sc->stmts, nc * sizeof *ns);
      if (!ns) {
        ast_stmt_free(s);
        fail_nomem(&p);
        break;
      }
      sc->stmts = ns;
      cap = nc;
    }
    sc->stmts[sc->n++] = s;
    p.arena = s->arena;
    struct lexer_token st = *peek(&p, 0);
    if (!parse_stmt(&p, s)) break;
    s->pos = pos_from(&p, &st);
    if (!accept_tok(&p, TOK_SEMI)) {
      if (!is_tok(&p, TOK_EOF)) {
        note(&p, "end of input");
        syntax_error(&p);
        break;
      }
    }
  }
  if (p.failed) {
    ast_script_free(sc);
    return p.failed;
  }
  *out = sc;
  return 0;
}

int parser_parse_expr(const char *sql, size_t len, struct ast_stmt **out, struct err *e) {
  *out = NULL;
  struct parser p;
  int rc = start(&p, sql, len, e);
  if (rc) return rc;
  struct ast_stmt *s = ast_stmt_new(AST_S_EXPR);
  if (!s) {
    err_set(e, ERR_NOMEM, "Out of memory while parsing SQL");
    return ERR_NOMEM;
  }
  p.arena = s->arena;
  struct lexer_token st = *peek(&p, 0);
  s->u.expr = parse_expr(&p);
  if (s->u.expr && !is_tok(&p, TOK_EOF)) {
    note(&p, "end of input");
    syntax_error(&p);
  }
  if (p.failed) {
    ast_stmt_free(s);
    return p.failed;
  }
  s->pos = pos_from(&p, &st);
  *out = s;
  return 0;
}

int parser_parse_type(const char *sql, size_t len, struct type *out, struct err *e) {
  struct parser p;
  int rc = start(&p, sql, len, e);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if (parse_type(&p, out) && !is_tok(&p, TOK_EOF)) {
    note(&p, "end of input");
    syntax_error(&p);
  }
  return p.failed;
}
