/* lexer.h: the Spark SQL tokenizer of the local engine.
 *
 * The lexer is pulled by the parser one token at a time, so a statement whose
 * tail is raw text (SET k=v) can take that text without it ever being
 * tokenized. It never allocates: tokens are (offset, length) views into the
 * source, and string/backtick contents are decoded on demand into a caller
 * buffer that can be as large as the raw token (decoding never grows text).
 *
 * Positions: line and column are 1-based; columns count code points, which is
 * what Jupyter front ends and Spark's error carets count. The source must be
 * valid UTF-8 without NUL bytes (lexer_check_text verifies that once, up
 * front), so the scanner itself never meets a malformed sequence. */
#ifndef KINDLING_ENGINE_SQL_LEXER_H
#define KINDLING_ENGINE_SQL_LEXER_H

#include <stddef.h>

#include "common/err.h"

/* Keywords: name, flags. R = reserved (never a bare identifier; backticks
 * still work), A = may not be an implicit alias (`SELECT a desc` is not
 * "a AS desc"). Everything else is a soft keyword usable as a name, like most
 * of Spark's non-reserved keywords (date, year, month, ...). The list must
 * stay sorted by name: lookup is a binary search. */
#define LEXER_KEYWORDS(X)                         \
  X(ALL, "ALL", 'R')                              \
  X(AND, "AND", 'R')                              \
  X(ANTI, "ANTI", 'R')                            \
  X(AS, "AS", 'R')                                \
  X(ASC, "ASC", 'A')                              \
  X(BETWEEN, "BETWEEN", 'R')                      \
  X(BOTH, "BOTH", 0)                              \
  X(BY, "BY", 'R')                                \
  X(CACHE, "CACHE", 0)                            \
  X(CASE, "CASE", 'R')                            \
  X(CAST, "CAST", 'R')                            \
  X(CLUSTER, "CLUSTER", 'A')                      \
  X(CODEGEN, "CODEGEN", 0)                        \
  X(COMMENT, "COMMENT", 0)                        \
  X(COST, "COST", 0)                              \
  X(CREATE, "CREATE", 0)                          \
  X(CROSS, "CROSS", 'R')                          \
  X(CURRENT, "CURRENT", 0)                        \
  X(CURRENT_DATE, "CURRENT_DATE", 0)              \
  X(CURRENT_TIMESTAMP, "CURRENT_TIMESTAMP", 0)    \
  X(DATE, "DATE", 0)                              \
  X(DAY, "DAY", 0)                                \
  X(DAYS, "DAYS", 0)                              \
  X(DESC, "DESC", 'A')                            \
  X(DESCRIBE, "DESCRIBE", 0)                      \
  X(DIRECTORY, "DIRECTORY", 0)                    \
  X(DISTINCT, "DISTINCT", 'R')                    \
  X(DISTRIBUTE, "DISTRIBUTE", 'A')                \
  X(DIV, "DIV", 'A')                              \
  X(DROP, "DROP", 0)                              \
  X(ELSE, "ELSE", 'R')                            \
  X(END, "END", 'R')                              \
  X(ESCAPE, "ESCAPE", 0)                          \
  X(EXCEPT, "EXCEPT", 'R')                        \
  X(EXISTS, "EXISTS", 'R')                        \
  X(EXPLAIN, "EXPLAIN", 0)                        \
  X(EXTENDED, "EXTENDED", 0)                      \
  X(EXTERNAL, "EXTERNAL", 0)                      \
  X(EXTRACT, "EXTRACT", 0)                        \
  X(FALSE, "FALSE", 'R')                          \
  X(FILTER, "FILTER", 'A')                        \
  X(FIRST, "FIRST", 0)                            \
  X(FOLLOWING, "FOLLOWING", 0)                    \
  X(FOR, "FOR", 0)                                \
  X(FORMATTED, "FORMATTED", 0)                    \
  X(FROM, "FROM", 'R')                            \
  X(FULL, "FULL", 'R')                            \
  X(GLOBAL, "GLOBAL", 0)                          \
  X(GROUP, "GROUP", 'R')                          \
  X(HAVING, "HAVING", 'R')                        \
  X(HOUR, "HOUR", 0)                              \
  X(HOURS, "HOURS", 0)                            \
  X(IF, "IF", 0)                                  \
  X(ILIKE, "ILIKE", 'R')                          \
  X(IN, "IN", 'R')                                \
  X(INNER, "INNER", 'R')                          \
  X(INSERT, "INSERT", 0)                          \
  X(INTERSECT, "INTERSECT", 'R')                  \
  X(INTERVAL, "INTERVAL", 0)                      \
  X(IS, "IS", 'R')                                \
  X(JOIN, "JOIN", 'R')                            \
  X(LAST, "LAST", 0)                              \
  X(LATERAL, "LATERAL", 'A')                      \
  X(LAZY, "LAZY", 0)                              \
  X(LEADING, "LEADING", 0)                        \
  X(LEFT, "LEFT", 'R')                            \
  X(LIKE, "LIKE", 'R')                            \
  X(LIMIT, "LIMIT", 'R')                          \
  X(LOCAL, "LOCAL", 0)                            \
  X(LOCATION, "LOCATION", 0)                      \
  X(MINUS, "MINUS", 'R')                          \
  X(MINUTE, "MINUTE", 0)                          \
  X(MINUTES, "MINUTES", 0)                        \
  X(MONTH, "MONTH", 0)                            \
  X(MONTHS, "MONTHS", 0)                          \
  X(NATURAL, "NATURAL", 'R')                      \
  X(NOT, "NOT", 'R')                              \
  X(NULL, "NULL", 'R')                            \
  X(NULLS, "NULLS", 'A')                          \
  X(OFFSET, "OFFSET", 'A')                        \
  X(ON, "ON", 'R')                                \
  X(OPTIONS, "OPTIONS", 0)                        \
  X(OR, "OR", 'R')                                \
  X(ORDER, "ORDER", 'R')                          \
  X(OUTER, "OUTER", 'R')                          \
  X(OVER, "OVER", 'A')                            \
  X(OVERWRITE, "OVERWRITE", 0)                    \
  X(PARTITION, "PARTITION", 0)                    \
  X(POSITION, "POSITION", 0)                      \
  X(PRECEDING, "PRECEDING", 0)                    \
  X(RANGE, "RANGE", 0)                            \
  X(REGEXP, "REGEXP", 'R')                        \
  X(REPLACE, "REPLACE", 0)                        \
  X(RESET, "RESET", 0)                            \
  X(RIGHT, "RIGHT", 'R')                          \
  X(RLIKE, "RLIKE", 'R')                          \
  X(ROW, "ROW", 0)                                \
  X(ROWS, "ROWS", 0)                              \
  X(SECOND, "SECOND", 0)                          \
  X(SECONDS, "SECONDS", 0)                        \
  X(SELECT, "SELECT", 'R')                        \
  X(SEMI, "SEMI", 'R')                            \
  X(SET, "SET", 0)                                \
  X(SHOW, "SHOW", 0)                              \
  X(SORT, "SORT", 'A')                            \
  X(SUBSTR, "SUBSTR", 0)                          \
  X(SUBSTRING, "SUBSTRING", 0)                    \
  X(TABLE, "TABLE", 'R')                          \
  X(TABLES, "TABLES", 0)                          \
  X(TEMP, "TEMP", 0)                              \
  X(TEMPORARY, "TEMPORARY", 0)                    \
  X(THEN, "THEN", 'R')                            \
  X(TIMESTAMP, "TIMESTAMP", 0)                    \
  X(TRAILING, "TRAILING", 0)                      \
  X(TRIM, "TRIM", 0)                              \
  X(TRUE, "TRUE", 'R')                            \
  X(TRY_CAST, "TRY_CAST", 0)                      \
  X(UNBOUNDED, "UNBOUNDED", 0)                    \
  X(UNCACHE, "UNCACHE", 0)                        \
  X(UNION, "UNION", 'R')                          \
  X(USING, "USING", 'R')                          \
  X(VALUES, "VALUES", 0)                          \
  X(VIEW, "VIEW", 0)                              \
  X(WEEK, "WEEK", 0)                              \
  X(WEEKS, "WEEKS", 0)                            \
  X(WHEN, "WHEN", 'R')                            \
  X(WHERE, "WHERE", 'R')                          \
  X(WINDOW, "WINDOW", 'A')                        \
  X(WITH, "WITH", 'R')                            \
  X(YEAR, "YEAR", 0)                              \
  X(YEARS, "YEARS", 0)

enum lexer_kw {
  KW_NONE = 0,
#define LEXER_KW_ENUM(id, name, flags) KW_##id,
  LEXER_KEYWORDS(LEXER_KW_ENUM)
#undef LEXER_KW_ENUM
  KW__COUNT
};

enum lexer_tok {
  TOK_EOF = 0,
  TOK_WORD,      /* identifier or keyword; kw says which keyword, if any */
  TOK_QIDENT,    /* `backtick identifier` */
  TOK_STRING,    /* 'text' or "text" (backslash escapes), r'raw' */
  TOK_INT,       /* 123 */
  TOK_BIGINT,    /* 123L */
  TOK_SMALLINT,  /* 123S */
  TOK_TINYINT,   /* 123Y */
  TOK_DECIMAL,   /* 1.5, .5, 1.  (DECIMAL in Spark) */
  TOK_BIGDECIMAL,/* 1.5BD */
  TOK_DOUBLE,    /* 1e3, 1.5D, 2D */
  TOK_FLOAT,     /* 1.5F */
  TOK_LPAREN, TOK_RPAREN, TOK_LBRACKET, TOK_RBRACKET,
  TOK_COMMA, TOK_DOT, TOK_SEMI, TOK_COLON, TOK_DCOLON,
  TOK_PLUS, TOK_MINUS, TOK_STAR, TOK_SLASH, TOK_PERCENT,
  TOK_EQ, TOK_EQEQ, TOK_NE, TOK_LT, TOK_LE, TOK_GT, TOK_GE, TOK_NSEQ,
  TOK_CONCAT, TOK_AMP, TOK_PIPE, TOK_CARET, TOK_TILDE, TOK_BANG,
  TOK__COUNT
};

struct lexer_token {
  enum lexer_tok kind;
  enum lexer_kw kw; /* TOK_WORD only; KW_NONE for plain identifiers */
  size_t offset;    /* byte offset of the first byte in the source */
  size_t length;    /* bytes */
  int line;         /* 1-based */
  int column;       /* 1-based, in code points */
};

struct lexer {
  const char *src; /* borrowed */
  size_t len;
  size_t pos;      /* next byte to scan */
  int line, column;
  int prev_sig;    /* last token could end an operand (for ".5" vs "t.5") */
};

/* Check that src[0..len) is UTF-8 without NUL bytes. Returns 0, or
 * ERR_PARSE with e (may be NULL) pointing at the first bad byte. */
int lexer_check_text(const char *src, size_t len, struct err *e);

/* Start scanning src[0..len) (borrowed; must outlive the lexer and have
 * passed lexer_check_text). */
void lexer_init(struct lexer *lx, const char *src, size_t len);

/* Scan the next token into *t (TOK_EOF at the end, repeatedly). Returns 0 or
 * ERR_PARSE (unterminated string, comment or backtick identifier; character
 * that starts no token) with e filled, ename "ParseException". */
int lexer_next(struct lexer *lx, struct lexer_token *t, struct err *e);

/* Take the raw text from the current position up to (not including) the
 * next ';' outside quotes, or the end of input, and move past it. *off and *len
 * get the text with surrounding blanks trimmed. Used for SET's value. */
void lexer_raw_rest(struct lexer *lx, size_t *off, size_t *len);

/* Decode the contents of a TOK_STRING or TOK_QIDENT token the way Spark
 * does (backslash escapes, \uXXXX, \UXXXXXXXX, octal \ooo; doubled
 * backticks). dst must hold t->length bytes: decoding never grows the text.
 * Returns the decoded length (the result may contain NUL bytes for strings).
 * Invalid escapes decode to U+FFFD so the result is always valid UTF-8. */
size_t lexer_decode(const char *src, const struct lexer_token *t, char *dst);

/* Keyword spelling ("FROM") for a keyword id; "" for KW_NONE. */
const char *lexer_kw_name(enum lexer_kw kw);
/* 1 if kw is reserved (never a bare identifier). */
int lexer_kw_reserved(enum lexer_kw kw);
/* 1 if kw may not be used as an implicit (AS-less) alias. */
int lexer_kw_noalias(enum lexer_kw kw);
/* Keyword id of word[0..n), case-insensitively, or KW_NONE. */
enum lexer_kw lexer_kw_lookup(const char *word, size_t n);
/* Human name of a token kind for messages ("','", "string literal"). */
const char *lexer_tok_name(enum lexer_tok kind);

#endif
