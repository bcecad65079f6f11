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
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
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
    fail_at(p, t, "Decimal literal %.*s is out of range (more than 38 digits)", (int)n, s);
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
      int64_t lo = t.kind == TOK_BIGINT ? INT64_MIN : t.kind == TOK_SMALLINT ? -32768 : -128;
      uint64_t hi = t.kind == TOK_BIGINT ? (uint64_t)INT64_MAX
                    : t.kind == TOK_SMALLINT ? 32767u : 127u;
      if (!digits_u64(s, n - 1, &u) || u > hi + (uint64_t)neg) {
        fail_at(p, &t, "Numeric literal %s%.*s is out of range for %s", neg ? "-" : "", (int)n,
                s, t.kind == TOK_BIGINT ? "BIGINT" : t.kind == TOK_SMALLINT ? "SMALLINT" : "TINYINT");
        return NULL;
      }
      (void)lo;
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
          fail_at(p, &t, "Exponents are not supported in BD literals: %.*s", (int)n, s);
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
        fail_at(p, &t, "Numeric literal %.*s is out of range for DOUBLE", (int)n, s);
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
