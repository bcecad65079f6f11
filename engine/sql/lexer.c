/* lexer.c: Spark SQL tokenizer (see lexer.h).
 *
 * Scanning is a single forward pass; every byte is looked at a bounded
 * number of times, so lexing is linear in the input. */
#include "engine/sql/lexer.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

struct kw_entry {
  const char *name;
  char flags;
};

static const struct kw_entry kw_table[KW__COUNT] = {
    {"", 0},
#define LEXER_KW_ROW(id, name, flags) {name, flags},
    LEXER_KEYWORDS(LEXER_KW_ROW)
#undef LEXER_KW_ROW
};

const char *lexer_kw_name(enum lexer_kw kw) {
  if ((int)kw <= 0 || kw >= KW__COUNT) return "";
  return kw_table[kw].name;
}

int lexer_kw_reserved(enum lexer_kw kw) {
  return kw > 0 && kw < KW__COUNT && kw_table[kw].flags == 'R';
}

int lexer_kw_noalias(enum lexer_kw kw) {
  return kw > 0 && kw < KW__COUNT && kw_table[kw].flags != 0;
}

static int upper(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }

/* Compare word[0..n) case-insensitively with the NUL-terminated upper-case
 * keyword k, like strcmp. */
static int kwcmp(const char *word, size_t n, const char *k) {
  size_t i = 0;
  for (; i < n && k[i]; i++) {
    int a = upper((unsigned char)word[i]), b = (unsigned char)k[i];
    if (a != b) return a - b;
  }
  if (i < n) return 1;
  return k[i] ? -1 : 0;
}

enum lexer_kw lexer_kw_lookup(const char *word, size_t n) {
  /* Longest keyword is 17 bytes; longer words skip the search. */
  if (n == 0 || n > 20) return KW_NONE;
  int lo = 1, hi = KW__COUNT - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    int c = kwcmp(word, n, kw_table[mid].name);
    if (c == 0) return (enum lexer_kw)mid;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return KW_NONE;
}

const char *lexer_tok_name(enum lexer_tok kind) {
  switch (kind) {
    case TOK_EOF: return "end of input";
    case TOK_WORD: return "identifier";
    case TOK_QIDENT: return "identifier";
    case TOK_STRING: return "string literal";
    case TOK_INT: case TOK_BIGINT: case TOK_SMALLINT: case TOK_TINYINT:
      return "integer literal";
    case TOK_DECIMAL: case TOK_BIGDECIMAL: case TOK_DOUBLE: case TOK_FLOAT:
      return "number";
    case TOK_LPAREN: return "'('";
    case TOK_RPAREN: return "')'";
    case TOK_LBRACKET: return "'['";
    case TOK_RBRACKET: return "']'";
    case TOK_COMMA: return "','";
    case TOK_DOT: return "'.'";
    case TOK_SEMI: return "';'";
    case TOK_COLON: return "':'";
    case TOK_DCOLON: return "'::'";
    case TOK_PLUS: return "'+'";
    case TOK_MINUS: return "'-'";
    case TOK_STAR: return "'*'";
    case TOK_SLASH: return "'/'";
    case TOK_PERCENT: return "'%'";
    case TOK_EQ: return "'='";
    case TOK_EQEQ: return "'=='";
    case TOK_NE: return "'<>'";
    case TOK_LT: return "'<'";
    case TOK_LE: return "'<='";
    case TOK_GT: return "'>'";
    case TOK_GE: return "'>='";
    case TOK_NSEQ: return "'<=>'";
    case TOK_CONCAT: return "'||'";
    case TOK_AMP: return "'&'";
    case TOK_PIPE: return "'|'";
    case TOK_CARET: return "'^'";
    case TOK_TILDE: return "'~'";
    case TOK_BANG: return "'!'";
    case TOK__COUNT: break;
  }
  return "token";
}

int lexer_check_text(const char *src, size_t len, struct err *e) {
  const unsigned char *p = (const unsigned char *)src;
  size_t i = 0;
  int line = 1, col = 1;
  while (i < len) {
    if (p[i] < 0x80 && p[i] != 0) {
      if (p[i] == '\n') { line++; col = 1; }
      else col++;
      i++;
      continue;
    }
    size_t l = utf8_seq_len(p + i, len - i);
    if (!l) {
      if (p[i] == 0)
        err_set_at(e, ERR_PARSE, line, col,
                   "Invalid NUL byte in SQL text (line %d, column %d)", line, col);
      else
        err_set_at(e, ERR_PARSE, line, col,
                   "Invalid UTF-8 byte 0x%02X in SQL text (line %d, column %d)",
                   p[i], line, col);
      err_set_ename(e, "ParseException");
      return ERR_PARSE;
    }
    i += l;
    col++;
  }
  return 0;
}

void lexer_init(struct lexer *lx, const char *src, size_t len) {
  lx->src = src;
  lx->len = len;
  lx->pos = 0;
  lx->line = 1;
  lx->column = 1;
  lx->prev_sig = 0;
}

/* Move one byte forward, keeping line/column current. The column advances
 * once per code point: on its lead byte. */
static void adv(struct lexer *lx) {
  unsigned char c = (unsigned char)lx->src[lx->pos++];
  if (c == '\n') {
    lx->line++;
    lx->column = 1;
  } else if ((c & 0xC0) != 0x80) {
    lx->column++;
  }
}

static int at(const struct lexer *lx, size_t k) {
  return lx->pos + k < lx->len ? (unsigned char)lx->src[lx->pos + k] : -1;
}

static int is_ident_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c >= 0x80;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lex_error(struct err *e, int line, int col, const char *what) {
  err_set_at(e, ERR_PARSE, line, col, "%s (line %d, column %d)", what, line, col);
  err_set_ename(e, "ParseException");
  return ERR_PARSE;
}

/* Skip blanks and comments. Bracketed comments nest, as in Spark 3+. */
static int skip_blank(struct lexer *lx, struct err *e) {
  for (;;) {
    int c = at(lx, 0);
    if (c < 0) return 0;
    if (is_space(c)) {
      adv(lx);
    } else if (c == '-' && at(lx, 1) == '-') {
      while (at(lx, 0) >= 0 && at(lx, 0) != '\n') adv(lx);
    } else if (c == '/' && at(lx, 1) == '*') {
      int line = lx->line, col = lx->column;
      size_t depth = 0;
      do {
        if (at(lx, 0) < 0) return lex_error(e, line, col, "Unterminated comment");
        if (at(lx, 0) == '/' && at(lx, 1) == '*') {
          adv(lx); adv(lx);
          depth++;
        } else if (at(lx, 0) == '*' && at(lx, 1) == '/') {
          adv(lx); adv(lx);
          depth--;
        } else {
          adv(lx);
        }
      } while (depth > 0);
    } else {
      return 0;
    }
  }
}

/* Scan a quoted string whose opening quote is at pos (raw: no escapes). */
static int scan_string(struct lexer *lx, int raw, struct err *e, int line, int col) {
  int q = at(lx, 0);
  adv(lx);
  for (;;) {
    int c = at(lx, 0);
    if (c < 0) return lex_error(e, line, col, "Unterminated string literal");
    if (c == '\\' && !raw) {
      adv(lx);
      if (at(lx, 0) < 0) return lex_error(e, line, col, "Unterminated string literal");
      adv(lx);
      continue;
    }
    adv(lx);
    if (c == q) return 0;
  }
}

/* Case-insensitive check that s[0..n) equals the upper-case suffix k. */
static int suffix_is(const char *s, size_t n, const char *k) {
  return kwcmp(s, n, k) == 0;
}

/* Numbers. Spark lets unquoted identifiers start with digits ("1a" is a
 * name), so a digit run followed by letters that are not a number suffix is
 * re-read as a word. */
static void scan_number(struct lexer *lx, struct lexer_token *t) {
  const char *s = lx->src;
  size_t start = lx->pos, p = start;
  int has_dot = 0, has_exp = 0;
  while (p < lx->len && is_digit((unsigned char)s[p])) p++;
  if (p < lx->len && s[p] == '.') {
    has_dot = 1;
    p++;
    while (p < lx->len && is_digit((unsigned char)s[p])) p++;
  }
  if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
    size_t q = p + 1;
    if (q < lx->len && (s[q] == '+' || s[q] == '-')) q++;
    if (q < lx->len && is_digit((unsigned char)s[q])) {
      while (q < lx->len && is_digit((unsigned char)s[q])) q++;
      has_exp = 1;
      p = q;
    }
  }
  size_t sfx = p;
  while (p < lx->len && is_ident_char((unsigned char)s[p])) p++;
  size_t sn = p - sfx;
  enum lexer_tok kind;
  size_t end = p;
  if (sn == 0) {
    kind = (has_exp) ? TOK_DOUBLE : has_dot ? TOK_DECIMAL : TOK_INT;
  } else if (suffix_is(s + sfx, sn, "D")) {
    kind = TOK_DOUBLE;
  } else if (suffix_is(s + sfx, sn, "F")) {
    kind = TOK_FLOAT;
  } else if (suffix_is(s + sfx, sn, "BD")) {
    kind = TOK_BIGDECIMAL;
  } else if (!has_dot && !has_exp && suffix_is(s + sfx, sn, "L")) {
    kind = TOK_BIGINT;
  } else if (!has_dot && !has_exp && suffix_is(s + sfx, sn, "S")) {
    kind = TOK_SMALLINT;
  } else if (!has_dot && !has_exp && suffix_is(s + sfx, sn, "Y")) {
    kind = TOK_TINYINT;
  } else if (!has_dot) {
    kind = TOK_WORD; /* "1a", "1e3x": an identifier */
  } else {
    /* "1.5x": the number ends before the letters (x becomes an alias). */
    kind = has_exp ? TOK_DOUBLE : TOK_DECIMAL;
    end = sfx;
  }
  t->kind = kind;
  t->length = end - start;
  while (lx->pos < end) adv(lx);
}

int lexer_next(struct lexer *lx, struct lexer_token *t, struct err *e) {
  int rc = skip_blank(lx, e);
  if (rc) return rc;
  memset(t, 0, sizeof *t);
  t->offset = lx->pos;
  t->line = lx->line;
  t->column = lx->column;
  int c = at(lx, 0);
  if (c < 0) {
    t->kind = TOK_EOF;
    return 0;
  }
  int c1 = at(lx, 1);
  enum lexer_tok k = TOK_EOF;
  size_t n = 1;
  if ((c == 'r' || c == 'R') && (c1 == '\'' || c1 == '"')) {
    adv(lx);
    rc = scan_string(lx, 1, e, t->line, t->column);
    if (rc) return rc;
    t->kind = TOK_STRING;
    t->length = lx->pos - t->offset;
    lx->prev_sig = 1;
    return 0;
  }
  if (is_digit(c) || (c == '.' && is_digit(c1) && !lx->prev_sig)) {
    scan_number(lx, t);
    if (t->kind == TOK_WORD)
      t->kw = KW_NONE;
    lx->prev_sig = 1;
    return 0;
  }
  if (is_ident_char(c)) {
    while (at(lx, 0) >= 0 && is_ident_char(at(lx, 0))) adv(lx);
    t->kind = TOK_WORD;
    t->length = lx->pos - t->offset;
    t->kw = lexer_kw_lookup(lx->src + t->offset, t->length);
    lx->prev_sig = 1;
    return 0;
  }
  switch (c) {
    case '\'':
    case '"':
      rc = scan_string(lx, 0, e, t->line, t->column);
      if (rc) return rc;
      t->kind = TOK_STRING;
      t->length = lx->pos - t->offset;
      lx->prev_sig = 1;
      return 0;
    case '`':
      adv(lx);
      for (;;) {
        int d = at(lx, 0);
        if (d < 0) return lex_error(e, t->line, t->column, "Unterminated quoted identifier");
        adv(lx);
        if (d == '`') {
          if (at(lx, 0) == '`') { adv(lx); continue; }
          break;
        }
      }
      t->kind = TOK_QIDENT;
      t->length = lx->pos - t->offset;
      lx->prev_sig = 1;
      return 0;
    case '(': k = TOK_LPAREN; break;
    case ')': k = TOK_RPAREN; break;
    case '[': k = TOK_LBRACKET; break;
    case ']': k = TOK_RBRACKET; break;
    case ',': k = TOK_COMMA; break;
    case '.': k = TOK_DOT; break;
    case ';': k = TOK_SEMI; break;
    case ':':
      if (c1 == ':') { k = TOK_DCOLON; n = 2; }
      else k = TOK_COLON;
      break;
    case '+': k = TOK_PLUS; break;
    case '-': k = TOK_MINUS; break;
    case '*': k = TOK_STAR; break;
    case '/': k = TOK_SLASH; break;
    case '%': k = TOK_PERCENT; break;
    case '~': k = TOK_TILDE; break;
    case '^': k = TOK_CARET; break;
    case '&': k = TOK_AMP; break;
    case '=':
      if (c1 == '=') { k = TOK_EQEQ; n = 2; }
      else k = TOK_EQ;
      break;
    case '!':
      if (c1 == '=') { k = TOK_NE; n = 2; }
      else k = TOK_BANG;
      break;
    case '|':
      if (c1 == '|') { k = TOK_CONCAT; n = 2; }
      else k = TOK_PIPE;
      break;
    case '<':
      if (c1 == '=' && at(lx, 2) == '>') { k = TOK_NSEQ; n = 3; }
      else if (c1 == '=') { k = TOK_LE; n = 2; }
      else if (c1 == '>') { k = TOK_NE; n = 2; }
      else k = TOK_LT;
      break;
    case '>':
      if (c1 == '=') { k = TOK_GE; n = 2; }
      else k = TOK_GT;
      break;
    default: {
      char what[64];
      if (c >= 0x21 && c < 0x7f)
        snprintf(what, sizeof what, "Syntax error at or near '%c': unexpected character", c);
      else
        snprintf(what, sizeof what, "Syntax error: unexpected character 0x%02X", c);
      return lex_error(e, t->line, t->column, what);
    }
  }
  for (size_t i = 0; i < n; i++) adv(lx);
  t->kind = k;
  t->length = n;
  lx->prev_sig = (k == TOK_RPAREN || k == TOK_RBRACKET);
  return 0;
}

void lexer_raw_rest(struct lexer *lx, size_t *off, size_t *len) {
  while (at(lx, 0) >= 0 && is_space(at(lx, 0))) adv(lx);
  size_t start = lx->pos, end = start;
  int quote = 0;
  for (;;) {
    int c = at(lx, 0);
    if (c < 0) break;
    if (quote) {
      if (c == '\\' && quote != '`' && at(lx, 1) >= 0) {
        adv(lx);
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == ';') {
      break;
    }
    adv(lx);
    if (!is_space(c)) end = lx->pos;
  }
  /* A multi-byte character ends with a continuation byte, which is never a
   * blank, so end always sits on a code point boundary. */
  *off = start;
  *len = end - start;
  lx->prev_sig = 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t put_cp(char *d, uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (cp >> 18));
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Read n hex digits at s[i..]; -1 if any is missing. */
static long hexrun(const char *s, size_t i, size_t end, int n) {
  long v = 0;
  for (int k = 0; k < n; k++) {
    if (i + (size_t)k >= end) return -1;
    int h = hexval((unsigned char)s[i + (size_t)k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

size_t lexer_decode(const char *src, const struct lexer_token *t, char *dst) {
  const char *s = src + t->offset;
  size_t n = t->length, o = 0;
  if (t->kind == TOK_QIDENT) {
    for (size_t i = 1; i + 1 < n; i++) {
      dst[o++] = s[i];
      if (s[i] == '`') i++; /* doubled backtick */
    }
    return o;
  }
  if (t->kind != TOK_STRING || n < 2) return 0;
  if (s[0] == 'r' || s[0] == 'R') {
    memcpy(dst, s + 2, n - 3);
    return n - 3;
  }
  size_t end = n - 1;
  for (size_t i = 1; i < end; i++) {
    char c = s[i];
    if (c != '\\' || i + 1 >= end) {
      dst[o++] = c;
      continue;
    }
    char d = s[++i];
    switch (d) {
      case '0':
        /* \ooo octal (first digit 0-3) or a bare \0 (NUL). */
        if (i + 2 < end && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' &&
            s[i + 2] <= '7') {
          uint32_t v = (uint32_t)((d - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
          o += put_cp(dst + o, v);
          i += 2;
        } else {
          dst[o++] = '\0';
        }
        break;
      case '1': case '2': case '3':
        if (i + 2 < end && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' &&
            s[i + 2] <= '7') {
          uint32_t v = (uint32_t)((d - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
          o += put_cp(dst + o, v);
          i += 2;
        } else {
          dst[o++] = d;
        }
        break;
      case 'b': dst[o++] = '\b'; break;
      case 'n': dst[o++] = '\n'; break;
      case 'r': dst[o++] = '\r'; break;
      case 't': dst[o++] = '\t'; break;
      case 'Z': dst[o++] = '\x1A'; break;
      case '%': /* kept escaped: they are LIKE pattern escapes */
      case '_':
        dst[o++] = '\\';
        dst[o++] = d;
        break;
      case 'u': {
        long v = hexrun(s, i + 1, end, 4);
        if (v < 0) {
          dst[o++] = 'u';
          break;
        }
        i += 4;
        uint32_t cp = (uint32_t)v;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < end + 0 && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          long lo = hexrun(s, i + 3, end, 4);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            i += 6;
          }
        }
        o += put_cp(dst + o, cp);
        break;
      }
      case 'U': {
        long v = hexrun(s, i + 1, end, 8);
        if (v < 0) {
          dst[o++] = 'U';
          break;
        }
        i += 8;
        o += put_cp(dst + o, (uint32_t)v);
        break;
      }
      default:
        /* Any other escaped character stands for itself; copy a whole
         * multi-byte sequence so the output stays valid UTF-8. */
        dst[o++] = d;
        while (i + 1 < end && ((unsigned char)s[i + 1] & 0xC0) == 0x80) dst[o++] = s[++i];
        break;
    }
  }
  return o;
}
