/* complete.c: is_complete, completion and inspection (see complete.h). */
#include "kernel/complete.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "kernel/exec.h"
#include "magics/magic.h"

enum syntax { SYN_PYTHON, SYN_SCALA, SYN_SQL, SYN_JSON };

struct scan {
  int depth;      /* open (, [, { */
  int in_string;  /* inside an unterminated string or block comment */
};

/* Track brackets and strings with the comment rules of each language. */
static struct scan scan_code(const char *s, enum syntax syn) {
  struct scan r = {0, 0};
  size_t i = 0, n = strlen(s);
  while (i < n) {
    char c = s[i];
    if (syn == SYN_PYTHON && c == '#') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    if (syn == SYN_SQL && c == '-' && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    if ((syn == SYN_SCALA) && c == '/' && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    if ((syn == SYN_SCALA || syn == SYN_SQL) && c == '/' && s[i + 1] == '*') {
      const char *end = strstr(s + i + 2, "*/");
      if (!end) {
        r.in_string = 1;
        return r;
      }
      i = (size_t)(end - s) + 2;
      continue;
    }
    if (c == '"' || c == '\'' || (c == '`' && syn == SYN_SQL)) {
      int triple = (syn == SYN_PYTHON || syn == SYN_SCALA) && s[i + 1] == c && s[i + 2] == c;
      size_t j = i + (triple ? 3 : 1);
      int closed = 0;
      while (j < n) {
        if (s[j] == '\\') {
          j += 2;
          continue;
        }
        if (triple) {
          if (s[j] == c && s[j + 1] == c && s[j + 2] == c) {
            j += 3;
            closed = 1;
            break;
          }
        } else if (s[j] == c) {
          j++;
          closed = 1;
          break;
        } else if (s[j] == '\n' && syn == SYN_PYTHON) {
          break; /* a plain Python string cannot span lines */
        }
        j++;
      }
      if (!closed) {
        /* An unterminated single-quoted Python string is a syntax error the
         * backend will report; only triple quotes and SQL strings continue. */
        if (triple || syn == SYN_SQL || syn == SYN_JSON) r.in_string = 1;
        if (j >= n) return r;
      }
      i = j;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') r.depth++;
    if ((c == ')' || c == ']' || c == '}') && r.depth > 0) r.depth--;
    i++;
  }
  return r;
}

static json_t *reply(const char *status, const char *indent) {
  if (indent) return json_pack("{s:s, s:s}", "status", status, "indent", indent);
  return json_pack("{s:s}", "status", status);
}

static const char *last_line(const char *s, size_t *len) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  size_t b = n;
  while (b > 0 && s[b - 1] != '\n') b--;
  *len = n - b;
  return s + b;
}

static int ends_blank_line(const char *s) {
  /* A trailing empty line after a multi-line cell means "run it" (IPython). */
  size_t n = strlen(s);
  if (!strchr(s, '\n')) return 0;
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  return n > 0 && s[n - 1] == '\n';
}

static const char *const sql_continuations[] = {
    "select", "from", "where", "and", "or", "not", "join", "on", "by", "group", "order",
    "having", "as", "union", "all", "in", "between", "when", "then", "else", "case", "with",
    "inner", "left", "right", "full", "outer", "cross", "semi", "anti", "using", "set",
    "like", "is", "distinct", "limit", "into", "table", "view", "values", "over",
    "partition", "except", "intersect", NULL};

static int sql_trailing_continuation(const char *s) {
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
  if (n == 0) return 0;
  char c = s[n - 1];
  if (strchr(",(=<>+-*/|", c)) return 1;
  size_t b = n;
  while (b > 0 && (isalnum((unsigned char)s[b - 1]) || s[b - 1] == '_')) b--;
  if (b == n) return 0;
  for (int i = 0; sql_continuations[i]; i++)
    if (strlen(sql_continuations[i]) == n - b && strncasecmp(s + b, sql_continuations[i], n - b) == 0)
      return 1;
  return 0;
}

static json_t *check_body(const char *body, enum syntax syn) {
  if (ends_blank_line(body)) return reply("complete", NULL);
  struct scan sc = scan_code(body, syn);
  if (sc.in_string || sc.depth > 0) return reply("incomplete", "");
  size_t ll;
  const char *line = last_line(body, &ll);
  switch (syn) {
    case SYN_PYTHON: {
      size_t ind = 0;
      while (ind < ll && (line[ind] == ' ' || line[ind] == '\t')) ind++;
      char indent[64];
      size_t keep = ind < 40 ? ind : 40;
      memcpy(indent, line, keep);
      indent[keep] = '\0';
      if (ll > 0 && (line[ll - 1] == ':' || line[ll - 1] == '\\')) {
        strcat(indent, "    ");
        return reply("incomplete", indent);
      }
      /* Inside an indented block of a multi-line cell: keep going until a
       * blank line, as IPython does. */
      if (ind > 0 && strchr(body, '\n')) return reply("incomplete", indent);
      return reply("complete", NULL);
    }
    case SYN_SQL: {
      size_t n = strlen(body);
      while (n > 0 && isspace((unsigned char)body[n - 1])) n--;
      if (n > 0 && body[n - 1] == ';') return reply("complete", NULL);
      if (sql_trailing_continuation(body)) return reply("incomplete", "");
      return reply("complete", NULL);
    }
    default:
      return reply("complete", NULL);
  }
}

static enum syntax lang_syntax(enum kernel_lang lang) {
  switch (lang) {
    case KERNEL_LANG_SCALA: return SYN_SCALA;
    case KERNEL_LANG_SQL: return SYN_SQL;
    default: return SYN_PYTHON;
  }
}

json_t *complete_is_complete(const char *code, enum kernel_lang lang) {
  const char *p = code;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p == '\0') return reply("complete", NULL);
  if (p[0] != '%') return check_body(code, lang_syntax(lang));
  int cell = p[1] == '%';
  const char *nl = strchr(p, '\n');
  const char *body = nl ? nl + 1 : "";
  if (!cell) return reply("complete", NULL); /* line magics run on Enter */
  char name[64];
  size_t i = 0;
  const char *q = p + 2;
  while (*q && !isspace((unsigned char)*q) && i < sizeof name - 1) name[i++] = *q++;
  name[i] = '\0';
  const struct magic_spec *spec = magic_lookup(name);
  if (!spec) return reply("complete", NULL); /* let execution report it */
  int blank_body = 1;
  for (const char *b = body; *b; b++)
    if (!isspace((unsigned char)*b)) blank_body = 0;
  switch (spec->id) {
    case MAGIC_SQL:
    case MAGIC_LOCAL:
      if (blank_body) return nl && ends_blank_line(code) ? reply("complete", NULL) : reply("incomplete", "");
      return check_body(body, SYN_SQL);
    case MAGIC_SPARK:
    case MAGIC_PRETTY:
      if (blank_body) return nl && ends_blank_line(code) ? reply("complete", NULL) : reply("incomplete", "");
      return check_body(body, lang == KERNEL_LANG_SCALA ? SYN_SCALA : SYN_PYTHON);
    case MAGIC_CONFIGURE:
      if (blank_body) return reply("incomplete", "");
      return check_body(body, SYN_JSON);
    default:
      return reply("complete", NULL);
  }
}

/* ---- completion --------------------------------------------------------- */

static const char *const sql_keywords[] = {
    "ALL", "AND", "ANTI", "AS", "ASC", "BETWEEN", "BY", "CACHE", "CASE", "CAST", "CREATE",
    "CROSS", "DESC", "DESCRIBE", "DISTINCT", "DIRECTORY", "ELSE", "END", "EXCEPT", "EXISTS",
    "EXPLAIN", "FALSE", "FIRST", "FOLLOWING", "FROM", "FULL", "GROUP", "HAVING", "IN",
    "INNER", "INSERT", "INTERSECT", "INTERVAL", "IS", "JOIN", "LAST", "LEFT", "LIKE", "LIMIT",
    "NOT", "NULL", "NULLS", "ON", "OPTIONS", "OR", "ORDER", "OUTER", "OVER", "OVERWRITE",
    "PARTITION", "PRECEDING", "RANGE", "REPLACE", "RIGHT", "ROWS", "SELECT", "SEMI", "SET",
    "SHOW", "TABLE", "TABLES", "TEMPORARY", "THEN", "TRUE", "UNBOUNDED", "UNCACHE", "UNION",
    "USING", "VIEW", "WHEN", "WHERE", "WITH",
    /* functions users type most */
    "avg", "coalesce", "collect_list", "concat", "count", "current_date", "date_add",
    "date_format", "datediff", "dense_rank", "approx_count_distinct", "lag", "lead",
    "lower", "max", "min", "rank", "round", "row_number", "stddev", "substring", "sum",
    "to_date", "trim", "upper", "variance", "year", NULL};

static json_t *complete_reply(json_t *matches, size_t start, size_t end) {
  return json_pack("{s:s, s:o, s:I, s:I, s:{}}", "status", "ok", "matches", matches,
                   "cursor_start", (json_int_t)start, "cursor_end", (json_int_t)end, "metadata");
}

static int is_sql_context(const char *code, size_t cur, enum kernel_lang lang) {
  const char *p = code;
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  if (strncmp(p, "%%sql", 5) == 0 || strncmp(p, "%%local", 7) == 0) {
    const char *nl = strchr(p, '\n');
    return nl && (size_t)(nl - code) < cur;
  }
  return lang == KERNEL_LANG_SQL && p[0] != '%';
}

json_t *complete_matches(const char *code, size_t cursor, enum kernel_lang lang,
                         struct exec_state *st) {
  size_t cur = utf8_offset(code, cursor);
  json_t *list = json_array();
  /* On the magic line: magic names, subcommands, flags, choices. */
  size_t ls = cur;
  while (ls > 0 && code[ls - 1] != '\n') ls--;
  const char *line = code + ls;
  while (*line == ' ' || *line == '\t') line++;
  if (*line == '%') {
    char **m = NULL;
    size_t n = 0, s = 0, e = 0;
    if (magic_complete(code, cur, &m, &n, &s, &e) == 0 && n > 0) {
      for (size_t i = 0; i < n; i++) json_array_append_new(list, json_string(m[i]));
      magic_matches_free(m, n);
      return complete_reply(list, utf8_count(code, s), utf8_count(code, e));
    }
    magic_matches_free(m, n);
  }
  size_t b = cur;
  while (b > 0 && (isalnum((unsigned char)code[b - 1]) || code[b - 1] == '_')) b--;
  size_t plen = cur - b;
  int sql = is_sql_context(code, cur, lang);
  if (!sql && *line != '%') {
    /* Code for the session: its interpreter completes it (Livy's Scala). */
    const char *p = code;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    json_t *c = p[0] != '%' ? exec_complete(st, code, cursor) : NULL;
    if (c) {
      json_decref(list);
      return complete_reply(c, utf8_count(code, b), cursor);
    }
  }
  if (plen > 0 && sql) {
    int lower = islower((unsigned char)code[b]);
    for (int i = 0; sql_keywords[i]; i++) {
      const char *kw = sql_keywords[i];
      if (strlen(kw) < plen || strncasecmp(kw, code + b, plen) != 0) continue;
      char tmp[64];
      size_t k = 0;
      int is_fn = islower((unsigned char)kw[0]);
      for (; kw[k] && k < sizeof tmp - 1; k++)
        tmp[k] = is_fn ? kw[k] : (lower ? (char)tolower((unsigned char)kw[k]) : kw[k]);
      tmp[k] = '\0';
      json_array_append_new(list, json_string(tmp));
    }
  }
  return complete_reply(list, utf8_count(code, b), cursor);
}

json_t *complete_inspect(const char *code, size_t cursor, enum kernel_lang lang) {
  (void)lang;
  size_t cur = utf8_offset(code, cursor);
  size_t b = cur, e = cur;
  while (b > 0 && (isalnum((unsigned char)code[b - 1]) || code[b - 1] == '_' || code[b - 1] == '%')) b--;
  while (code[e] && (isalnum((unsigned char)code[e]) || code[e] == '_')) e++;
  char word[128];
  size_t n = e - b < sizeof word - 1 ? e - b : sizeof word - 1;
  memcpy(word, code + b, n);
  word[n] = '\0';
  /* Without % signs the word is a magic only on a magic line. */
  size_t ls = b;
  while (ls > 0 && code[ls - 1] != '\n') ls--;
  int on_magic_line = code[ls] == '%' || word[0] == '%';
  struct buf doc;
  buf_init(&doc, 1 << 20);
  json_t *r;
  if (on_magic_line && magic_doc(word, &doc) == 0) {
    struct buf html;
    buf_init(&html, 1 << 20);
    buf_puts(&html, "<pre>");
    buf_put_html(&html, doc.data);
    buf_puts(&html, "</pre>");
    r = json_pack("{s:s, s:b, s:{s:s, s:s}, s:{}}", "status", "ok", "found", 1, "data",
                  "text/plain", doc.data, "text/html", html.data, "metadata");
    buf_fini(&html);
  } else {
    r = json_pack("{s:s, s:b, s:{}, s:{}}", "status", "ok", "found", 0, "data", "metadata");
  }
  buf_fini(&doc);
  return r;
}
