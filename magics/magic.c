/* magic.c: splits a cell into (magic, flags, positionals, body) and checks the
 * flags against the registry (magics layer; routing rules in magic.h).
 *
 * The work is linear in the cell size: one scan for NUL bytes, one for the
 * magic line, one UTF-8 check of that line, one lexing pass into a single
 * token store, then a walk over the tokens (option lookup is over a table of
 * at most a dozen entries). Messages echo user text only through
 * magic__echo, which caps it and makes it valid UTF-8. */
#include "magics/magic.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"
#include "magics/magic_int.h"

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *dupn(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* Offset of the first invalid UTF-8 byte in s[0..n), or n. */
static size_t bad_utf8(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t l = utf8_seq_len(p + i, n - i);
    if (!l) return i;
    i += l;
  }
  return n;
}

/* Append s[0..n) capped at MAGIC_ECHO_MAX code points, invalid bytes and
 * control characters replaced, without quotes. */
static int echo_raw(struct buf *b, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, cps = 0;
  int rc = 0;
  while (i < n && !rc) {
    if (cps == MAGIC_ECHO_MAX) return buf_puts(b, "...");
    size_t l = utf8_seq_len(p + i, n - i);
    if (!l) {
      rc = buf_puts(b, "\xEF\xBF\xBD");
      i++;
    } else if (l == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
      rc = buf_putc(b, p[i] == '\t' ? ' ' : '?');
      i++;
    } else {
      rc = buf_append(b, s + i, l);
      i += l;
    }
    cps++;
  }
  return rc;
}

int magic__echo(struct buf *b, const char *s, size_t n) {
  int rc = buf_putc(b, '\'');
  if (!rc) rc = echo_raw(b, s, n);
  if (!rc) rc = buf_putc(b, '\'');
  return rc;
}

void magic__set_err(struct err *e, int code, int line, int column,
                    const char *ename, const char *msg) {
  if (!e) return;
  e->code = code;
  e->line = line;
  e->column = column;
  e->ename[0] = '\0';
  if (ename) err_set_ename(e, ename);
  size_t n = strlen(msg);
  if (n >= sizeof e->msg) {
    /* Cut at a code point boundary so the message stays valid UTF-8. */
    n = sizeof e->msg - 1;
    while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80) n--;
  }
  memcpy(e->msg, msg, n);
  e->msg[n] = '\0';
}

void magic__name_pos(const struct magic_cell *c, int *line, int *column) {
  *line = c->magic_line;
  *column = c->magic_line ? c->name_column : 0;
}

int magic__usage_error(const struct magic_cell *c, struct err *e, int line,
                       int column, const char *fmt, ...) {
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  va_list ap;
  va_start(ap, fmt);
  int rc = buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (!rc && c && c->spec && c->cmd) {
    /* The full usage when it fits the error, else the synopsis. */
    size_t mark = b.len;
    rc = buf_putc(&b, '\n');
    if (!rc) rc = magic__cmd_usage(c->spec, c->cmd, &b, 1);
    if (!rc && b.len >= ERR_MSG_MAX) {
      b.len = mark;
      b.data[mark] = '\0';
      rc = buf_putc(&b, '\n');
      if (!rc) rc = magic__cmd_usage(c->spec, c->cmd, &b, 0);
    }
  }
  if (rc) {
    buf_fini(&b);
    return err_set(e, ERR_NOMEM, "out of memory");
  }
  /* Drop the trailing newline of the usage. */
  while (b.len && b.data[b.len - 1] == '\n') b.data[--b.len] = '\0';
  magic__set_err(e, ERR_INVAL, line, column, "UsageError",
                 b.data ? b.data : "");
  buf_fini(&b);
  return ERR_INVAL;
}

int magic__find_magic_line(const char *cell, size_t len, size_t *line_start,
                           int *line_no) {
  size_t i = 0;
  int ln = 1;
  while (i < len) {
    size_t j = i;
    while (j < len && is_blank(cell[j])) j++;
    if (j == len) break;
    char c = cell[j];
    char d = j + 1 < len ? cell[j + 1] : '\0';
    if (c == '\n' || c == '#' || (c == '-' && d == '-') ||
        (c == '/' && d == '/')) {
      const char *nl = memchr(cell + j, '\n', len - j);
      if (!nl) break;
      i = (size_t)(nl - cell) + 1;
      ln++;
      continue;
    }
    *line_start = i;
    *line_no = ln;
    return c == '%';
  }
  *line_start = len;
  *line_no = ln;
  return 0;
}

int magic__find_long(const struct magic_cmd *cmd, const char *name, size_t n,
                     int prefix_ok) {
  int found = -1;
  for (size_t i = 0; i < cmd->nopts; i++) {
    const char *ln = cmd->opts[i].long_name;
    if (strlen(ln) == n && memcmp(ln, name, n) == 0) return (int)i;
  }
  if (!prefix_ok || n == 0) return -1;
  for (size_t i = 0; i < cmd->nopts; i++) {
    const char *ln = cmd->opts[i].long_name;
    if (strncmp(ln, name, n) == 0 && strlen(ln) > n) {
      if (found >= 0) return -2;
      found = (int)i;
    }
  }
  return found;
}

int magic__find_short(const struct magic_cmd *cmd, char c) {
  for (size_t i = 0; i < cmd->nopts; i++)
    if (c && cmd->opts[i].short_name == c) return (int)i;
  return -1;
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

size_t magic__distance(const char *a, size_t an, const char *b, size_t bn,
                       size_t cap) {
  enum { MAXN = 64 };
  if (an > MAXN || bn > MAXN) return cap + 1;
  if ((an > bn ? an - bn : bn - an) > cap) return cap + 1;
  size_t row[MAXN + 1], prev[MAXN + 1];
  for (size_t j = 0; j <= bn; j++) prev[j] = j;
  for (size_t i = 1; i <= an; i++) {
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= bn; j++) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      size_t v = prev[j - 1] + cost;
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
    memcpy(prev, row, (bn + 1) * sizeof *row);
  }
  return prev[bn] > cap ? cap + 1 : prev[bn];
}

/* ---------------------------------------------------------------------- */
/* Lexer: POSIX-shell-like words of the magic line                        */

struct tok {
  const char *s;  /* unescaped text, NUL-terminated, in the token store */
  size_t len;
  size_t off;     /* byte offset of the raw token in the cell */
  int quoted;     /* the raw token starts with a quote or a backslash */
};

struct lexed {
  struct tok *t;
  size_t n, alloc;
  char *store;
};

static void lexed_fini(struct lexed *lx) {
  free(lx->t);
  free(lx->store);
}

/* Split cell[from..to) into words. On an unterminated quote returns ERR_PARSE
 * with *bad at the quote. */
static int lex(const char *cell, size_t from, size_t to, struct lexed *lx,
               size_t *bad) {
  memset(lx, 0, sizeof *lx);
  /* Unescaped words plus their NULs never exceed the raw length + 1. */
  lx->store = malloc(to - from + 1);
  if (!lx->store) return ERR_NOMEM;
  char *o = lx->store;
  size_t i = from;
  for (;;) {
    while (i < to && is_blank(cell[i])) i++;
    if (i >= to) break;
    if (lx->n == lx->alloc) {
      size_t na = lx->alloc ? lx->alloc * 2 : 16;
      struct tok *nt = realloc(lx->t, na * sizeof *nt);
      if (!nt) return ERR_NOMEM;
      lx->t = nt;
      lx->alloc = na;
    }
    struct tok *t = &lx->t[lx->n++];
    t->s = o;
    t->off = i;
    t->quoted = cell[i] == '\'' || cell[i] == '"' || cell[i] == '\\';
    while (i < to && !is_blank(cell[i])) {
      char c = cell[i];
      if (c == '\'') {
        const char *q = memchr(cell + i + 1, '\'', to - i - 1);
        if (!q) {
          *bad = i;
          return ERR_PARSE;
        }
        size_t n = (size_t)(q - (cell + i + 1));
        memcpy(o, cell + i + 1, n);
        o += n;
        i += n + 2;
      } else if (c == '"') {
        size_t q = i;
        i++;
        while (i < to && cell[i] != '"') {
          if (cell[i] == '\\' && i + 1 < to &&
              (cell[i + 1] == '"' || cell[i + 1] == '\\')) {
            *o++ = cell[i + 1];
            i += 2;
          } else {
            *o++ = cell[i++];
          }
        }
        if (i >= to) {
          *bad = q;
          return ERR_PARSE;
        }
        i++;
      } else if (c == '\\' && i + 1 < to) {
        *o++ = cell[i + 1];
        i += 2;
      } else {
        *o++ = c;
        i++;
      }
    }
    t->len = (size_t)(o - t->s);
    *o++ = '\0';
  }
  return 0;
}

/* A number such as -1, -0.5 or 1e-3 (argparse lets these be values). */
static int is_number(const char *s) {
  const char *p = s;
  int digits = 0;
  if (*p == '-' || *p == '+') p++;
  while (*p >= '0' && *p <= '9') p++, digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
  }
  if (!digits) return 0;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '-' || *p == '+') p++;
    if (!(*p >= '0' && *p <= '9')) return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  return *p == '\0';
}

static int looks_flag(const struct tok *t) {
  return !t->quoted && t->len >= 2 && t->s[0] == '-' && !is_number(t->s);
}

/* ---------------------------------------------------------------------- */
/* Values                                                                 */

static const char *const truthy[] = {"yes", "true", "t", "y", "1", "on"};
static const char *const falsy[] = {"no", "false", "f", "n", "0", "off"};

/* Generic message for an invalid value, or the option's own (with "{}"
 * replaced by the value). */
static int bad_value_msg(const struct magic_option *o, const char *v,
                         struct buf *m) {
  int rc = 0;
  if (o->bad_value) {
    const char *p = o->bad_value, *q;
    while (!rc && (q = strstr(p, "{}")) != NULL) {
      rc = buf_append(m, p, (size_t)(q - p));
      if (!rc) rc = echo_raw(m, v, strlen(v));
      p = q + 2;
    }
    if (!rc) rc = buf_puts(m, p);
    return rc;
  }
  if (o->short_name)
    rc = buf_printf(m, "%s (-%c) must be ", o->long_name, o->short_name);
  else
    rc = buf_printf(m, "%s must be ", o->long_name);
  if (rc) return rc;
  switch (o->type) {
    case MAGIC_T_INT: return buf_puts(m, "an integer");
    case MAGIC_T_FRACTION: return buf_puts(m, "a float between 0.0 and 1.0");
    case MAGIC_T_TRUTH: return buf_puts(m, "true or false");
    case MAGIC_T_CHOICE: {
      rc = buf_puts(m, "one of (");
      for (const char *p = o->choices; !rc && *p; p++)
        rc = *p == '|' ? buf_puts(m, ", ") : buf_putc(m, *p);
      return rc ? rc : buf_putc(m, ')');
    }
    default: return buf_puts(m, "valid");
  }
}

/* Check v against o. On success *norm is a new normalised copy. Returns 0,
 * ERR_INVAL (nothing allocated) or ERR_NOMEM. */
static int check_value(const struct magic_option *o, const char *v,
                       char **norm) {
  *norm = NULL;
  size_t n = strlen(v);
  switch (o->type) {
    case MAGIC_T_BOOL:
    case MAGIC_T_STR:
      break;
    case MAGIC_T_INT: {
      const char *p = v;
      if (*p == '+' || *p == '-') p++;
      if (!(*p >= '0' && *p <= '9')) return ERR_INVAL;
      errno = 0;
      char *end;
      long x = strtol(v, &end, 10);
      if (*end || errno == ERANGE) return ERR_INVAL;
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%ld", x);
      *norm = strdup(tmp);
      return *norm ? 0 : ERR_NOMEM;
    }
    case MAGIC_T_FRACTION: {
      if (!is_number(v)) return ERR_INVAL;
      char *end;
      double x = strtod(v, &end);
      if (*end || !isfinite(x) || x < 0.0 || x > 1.0) return ERR_INVAL;
      break;
    }
    case MAGIC_T_CHOICE: {
      const char *p = o->choices;
      while (*p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == n && strncasecmp(p, v, n) == 0) {
          *norm = dupn(p, l);
          return *norm ? 0 : ERR_NOMEM;
        }
        p += l + (bar ? 1 : 0);
      }
      return ERR_INVAL;
    }
    case MAGIC_T_TRUTH: {
      for (size_t i = 0; i < sizeof truthy / sizeof *truthy; i++)
        if (strcasecmp(v, truthy[i]) == 0) {
          *norm = strdup("true");
          return *norm ? 0 : ERR_NOMEM;
        }
      for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++)
        if (strcasecmp(v, falsy[i]) == 0) {
          *norm = strdup("false");
          return *norm ? 0 : ERR_NOMEM;
        }
      return ERR_INVAL;
    }
  }
  *norm = dupn(v, n);
  return *norm ? 0 : ERR_NOMEM;
}

/* ---------------------------------------------------------------------- */
/* Parser                                                                 */

struct pstate {
  const char *cell;
  size_t len;
  size_t line_start;     /* byte offset of the magic line */
  int line;              /* its number */
  int name_col;          /* column of the first '%' */
  char label[96];        /* "%%sql", "%%spark add" for messages */
  struct magic_cell *c;
  struct err *e;
};

static int col_at(const struct pstate *ps, size_t off) {
  return (int)utf8_count(ps->cell + ps->line_start, off - ps->line_start) + 1;
}

static int store_pos(struct magic_cell *c, const char *s, size_t n) {
  char **np = realloc(c->pos, (c->npos + 1) * sizeof *np);
  if (!np) return ERR_NOMEM;
  c->pos = np;
  np[c->npos] = dupn(s, n);
  if (!np[c->npos]) return ERR_NOMEM;
  c->npos++;
  return 0;
}

static int nomem(struct err *e) {
  return err_set(e, ERR_NOMEM, "out of memory");
}

/* "-o/--output" for messages. */
static void flag_names(const struct magic_option *o, char *out, size_t n) {
  if (o->short_name)
    snprintf(out, n, "-%c/--%s", o->short_name, o->long_name);
  else
    snprintf(out, n, "--%s", o->long_name);
}

/* Validate and store value v for option idx (given at token offset off). */
static int set_value(struct pstate *ps, int idx, const char *v, size_t voff,
                     size_t flag_off) {
  const struct magic_cmd *cmd = ps->c->cmd;
  const struct magic_option *o = &cmd->opts[idx];
  char *norm;
  int rc = check_value(o, v, &norm);
  if (rc == ERR_INVAL && o->alt) {
    int alt = magic__find_long(cmd, o->alt, strlen(o->alt), 0);
    if (alt >= 0) {
      rc = check_value(&cmd->opts[alt], v, &norm);
      if (rc == 0) idx = alt;
    }
  }
  if (rc == ERR_NOMEM) return nomem(ps->e);
  if (rc) {
    struct buf m;
    buf_init(&m, BUF_UNLIMITED);
    if (bad_value_msg(o, v, &m)) {
      buf_fini(&m);
      return nomem(ps->e);
    }
    magic__set_err(ps->e, ERR_INVAL, ps->line, col_at(ps, voff), "UsageError",
                   m.data);
    buf_fini(&m);
    return ERR_INVAL;
  }
  struct magic_val *val = &ps->c->vals[idx];
  free(val->value);
  val->value = norm;
  val->given = 1;
  val->off = flag_off;
  return 0;
}

static int bool_given(struct pstate *ps, int idx, size_t flag_off) {
  struct magic_val *val = &ps->c->vals[idx];
  val->given = 1;
  val->off = flag_off;
  return 0;
}

static int secret_short_any(char c);

static int unknown_flag(struct pstate *ps, const struct tok *t) {
  struct buf m;
  buf_init(&m, BUF_UNLIMITED);
  int rc = buf_printf(&m, "%s: unrecognized flag ", ps->label);
  /* Never echo what follows '=': it may be a password (--passwrd=...);
   * nor what is glued to -p (a password where the command takes none). */
  const char *teq = t->s[1] == '-' ? strchr(t->s, '=') : NULL;
  size_t shown = teq ? (size_t)(teq - t->s) : t->len;
  if (t->s[1] != '-' && shown > 2 && secret_short_any(t->s[1])) shown = 2;
  if (!rc) rc = magic__echo(&m, t->s, shown);
  if (!rc) rc = buf_putc(&m, '.');
  /* Suggest a long flag for a misspelt --name. */
  if (!rc && t->len > 2 && t->s[1] == '-') {
    const struct magic_cmd *cmd = ps->c->cmd;
    const char *name = t->s + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    size_t best = 3;
    const char *sugg = NULL;
    for (size_t i = 0; i < cmd->nopts; i++) {
      const char *ln = cmd->opts[i].long_name;
      size_t d = magic__distance(name, n, ln, strlen(ln), 2);
      if (d < best) best = d, sugg = ln;
    }
    if (sugg) rc = buf_printf(&m, " Did you mean '--%s'?", sugg);
  }
  if (rc) {
    buf_fini(&m);
    return nomem(ps->e);
  }
  rc = magic__usage_error(ps->c, ps->e, ps->line, col_at(ps, t->off), "%s",
                          m.data);
  buf_fini(&m);
  return rc;
}

/* Walk the tokens of the magic line after the name. */
static int parse_args(struct pstate *ps, const struct lexed *lx) {
  struct magic_cell *c = ps->c;
  const struct magic_spec *s = c->spec;
  size_t k = 0;

  /* %%spark subcommands must come first. */
  if (s->ncmds > 1 && lx->n > 0 && !looks_flag(&lx->t[0])) {
    const struct tok *t = &lx->t[0];
    for (size_t i = 1; i < s->ncmds; i++)
      if (strcasecmp(s->cmds[i].name, t->s) == 0) {
        c->cmd = &s->cmds[i];
        k = 1;
        size_t l = strlen(ps->label);
        snprintf(ps->label + l, sizeof ps->label - l, " %s", s->cmds[i].name);
        break;
      }
    if (!k && !s->cmds[0].posname) {
      struct buf m;
      buf_init(&m, BUF_UNLIMITED);
      int rc = buf_printf(&m, "%s: Subcommand ", ps->label);
      if (!rc) rc = magic__echo(&m, t->s, t->len);
      if (!rc)
        rc = buf_puts(&m, " not found. The subcommands are add, info, config, "
                          "delete, cleanup and logs; code goes on the lines "
                          "after the magic line.");
      if (rc) {
        buf_fini(&m);
        return nomem(ps->e);
      }
      rc = magic__usage_error(c, ps->e, ps->line, col_at(ps, t->off), "%s",
                              m.data);
      buf_fini(&m);
      return rc;
    }
  }
  const struct magic_cmd *cmd = c->cmd;
  if (cmd->nopts) {
    c->vals = calloc(cmd->nopts, sizeof *c->vals);
    if (!c->vals) return nomem(ps->e);
  }

  /* The words after a secret value may be the rest of a password typed
   * with blanks: they are not echoed. */
  int after_secret = 0;
  char secret_names[80] = "";
  for (; k < lx->n; k++) {
    const struct tok *t = &lx->t[k];
    if (!looks_flag(t)) {
      if (cmd->posname && c->npos < cmd->maxpos) {
        if (store_pos(c, t->s, t->len)) return nomem(ps->e);
        continue;
      }
      struct buf m;
      buf_init(&m, BUF_UNLIMITED);
      int rc = buf_printf(&m, "%s: unexpected argument ", ps->label);
      if (after_secret) {
        if (!rc)
          rc = buf_printf(&m, "after the value of %s (not shown); quote a value "
                          "that contains blanks.", secret_names);
      } else {
        if (!rc) rc = magic__echo(&m, t->s, t->len);
        if (!rc) rc = buf_putc(&m, '.');
      }
      if (!rc && (s->flags & MAGIC_F_CELL) && !(s->flags & MAGIC_F_BODY_EMPTY))
        rc = buf_puts(&m, " The cell body goes on the lines after the magic "
                          "line.");
      if (rc) {
        buf_fini(&m);
        return nomem(ps->e);
      }
      rc = magic__usage_error(c, ps->e, ps->line, col_at(ps, t->off), "%s",
                              m.data);
      buf_fini(&m);
      return rc;
    }

    int idx;
    const char *explicit = NULL; /* value attached to the flag */
    if (t->s[1] == '-') {
      const char *name = t->s + 2;
      const char *eq = strchr(name, '=');
      size_t n = eq ? (size_t)(eq - name) : strlen(name);
      idx = magic__find_long(cmd, name, n, 1);
      if (idx == -2) {
        struct buf m;
        buf_init(&m, BUF_UNLIMITED);
        int rc = buf_printf(&m, "%s: ambiguous flag ", ps->label);
        if (!rc) rc = magic__echo(&m, t->s, eq ? (size_t)(eq - t->s) : t->len);
        if (!rc) rc = buf_puts(&m, " could match");
        for (size_t i = 0; i < cmd->nopts && !rc; i++)
          if (strncmp(cmd->opts[i].long_name, name, n) == 0)
            rc = buf_printf(&m, " --%s", cmd->opts[i].long_name);
        if (!rc) rc = buf_putc(&m, '.');
        if (rc) {
          buf_fini(&m);
          return nomem(ps->e);
        }
        rc = magic__usage_error(c, ps->e, ps->line, col_at(ps, t->off), "%s",
                                m.data);
        buf_fini(&m);
        return rc;
      }
      if (idx < 0) return unknown_flag(ps, t);
      if (eq) explicit = eq + 1;
    } else {
      idx = magic__find_short(cmd, t->s[1]);
      if (idx < 0) return unknown_flag(ps, t);
      if (t->s[2]) {
        /* "-qf" (combined booleans) is not supported; "-q=1" is a value
         * given to a boolean, reported below. */
        if (cmd->opts[idx].type == MAGIC_T_BOOL && t->s[2] != '=')
          return unknown_flag(ps, t);
        explicit = t->s[2] == '=' ? t->s + 3 : t->s + 2;
      }
    }

    const struct magic_option *o = &cmd->opts[idx];
    after_secret = (o->flags & MAGIC_OPT_SECRET) != 0;
    char names[80];
    flag_names(o, names, sizeof names);
    if (after_secret) memcpy(secret_names, names, sizeof names);
    if (o->type == MAGIC_T_BOOL) {
      if (explicit)
        return magic__usage_error(c, ps->e, ps->line, col_at(ps, t->off),
                                  "%s: flag %s takes no value.", ps->label,
                                  names);
      bool_given(ps, idx, t->off);
      continue;
    }
    size_t voff = t->off;
    if (!explicit) {
      if (k + 1 >= lx->n || looks_flag(&lx->t[k + 1]))
        return magic__usage_error(c, ps->e, ps->line, col_at(ps, t->off),
                                  "%s: flag %s needs a value (%s).", ps->label,
                                  names, o->metavar ? o->metavar : "VALUE");
      explicit = lx->t[++k].s;
      voff = lx->t[k].off;
    }
    int rc = set_value(ps, idx, explicit, voff, t->off);
    if (rc) return rc;
  }

  for (size_t i = 0; i < cmd->nopts; i++) {
    const struct magic_option *o = &cmd->opts[i];
    if ((o->flags & MAGIC_OPT_REQUIRED) && !c->vals[i].given) {
      char names[80];
      flag_names(o, names, sizeof names);
      return magic__usage_error(c, ps->e, ps->line, ps->name_col,
                                "%s: missing required flag %s%s%s.", ps->label,
                                names, o->metavar ? " " : "",
                                o->metavar ? o->metavar : "");
    }
  }
  if (cmd->posname && c->npos < cmd->minpos)
    return magic__usage_error(c, ps->e, ps->line, ps->name_col,
                              "%s: missing argument %s.", ps->label,
                              cmd->posname);
  if (cmd->check) return cmd->check(c, ps->e);
  return 0;
}

static int unknown_magic(struct pstate *ps, const char *name, size_t n,
                         size_t pct) {
  struct buf m;
  buf_init(&m, BUF_UNLIMITED);
  int rc = buf_puts(&m, "Unknown magic ");
  /* Echo the % signs as written, then the name. */
  if (!rc) rc = buf_putc(&m, '\'');
  for (size_t i = 0; i < pct && i < 8 && !rc; i++) rc = buf_putc(&m, '%');
  if (!rc) rc = echo_raw(&m, name, n);
  if (!rc) rc = buf_puts(&m, "'.");
  const struct magic_spec *best = NULL;
  size_t bestd = 3;
  for (size_t i = 0; i < magic__nregistry && !rc && n; i++) {
    const struct magic_spec *s = &magic__registry[i];
    if ((s->flags & MAGIC_F_HIDDEN) && name[0] != '_') continue;
    size_t d = magic__distance(name, n, s->name, strlen(s->name), 2);
    if (d < bestd) bestd = d, best = s;
  }
  if (!rc && best)
    rc = buf_printf(&m, " Did you mean '%s%s'?",
                    (best->flags & MAGIC_F_CELL) ? "%%" : "%", best->name);
  if (!rc) rc = buf_puts(&m, " Run %%help for the list of magics.");
  if (rc) {
    buf_fini(&m);
    return nomem(ps->e);
  }
  magic__set_err(ps->e, ERR_INVAL, ps->line, ps->name_col, "UsageError",
                 m.data);
  buf_fini(&m);
  return ERR_INVAL;
}

/* Count newlines in s[0..n). */
static int count_nl(const char *s, size_t n) {
  int k = 0;
  const char *p = s, *end = s + n;
  while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) k++, p++;
  return k;
}

static int parse_magic(struct pstate *ps) {
  const char *cell = ps->cell;
  size_t len = ps->len;
  struct magic_cell *c = ps->c;
  size_t ls = ps->line_start;
  const char *nl = memchr(cell + ls, '\n', len - ls);
  size_t le = nl ? (size_t)(nl - cell) : len;

  size_t p = ls;
  while (p < le && is_blank(cell[p])) p++;
  ps->name_col = col_at(ps, p);
  c->name_column = ps->name_col;

  size_t bad = bad_utf8(cell + ls, le - ls);
  if (bad < le - ls)
    return magic__usage_error(NULL, ps->e, ps->line, col_at(ps, ls + bad),
                              "The magic line is not valid UTF-8.");

  size_t pct = 0;
  while (p < le && cell[p] == '%') p++, pct++;
  size_t q = p;
  while (q < le && !is_blank(cell[q])) q++;
  const char *name = cell + p;
  size_t n = q - p;

  const struct magic_spec *spec = NULL;
  if (pct <= 2 && n > 0)
    for (size_t i = 0; i < magic__nregistry; i++)
      if (strlen(magic__registry[i].name) == n &&
          memcmp(magic__registry[i].name, name, n) == 0)
        spec = &magic__registry[i];
  if (!spec) return unknown_magic(ps, name, n, pct);

  c->spec = spec;
  c->cmd = &spec->cmds[0];
  c->form = pct == 2 ? MAGIC_FORM_CELL : MAGIC_FORM_LINE;
  c->magic_line = ps->line;
  c->name = dupn(name, n);
  if (!c->name) return nomem(ps->e);
  snprintf(ps->label, sizeof ps->label, "%s%s", pct == 2 ? "%%" : "%",
           spec->name);

  if (c->form == MAGIC_FORM_LINE && !(spec->flags & MAGIC_F_LINE))
    return magic__usage_error(NULL, ps->e, ps->line, ps->name_col,
                              "'%%%s' is a cell magic: write '%%%%%s' on the "
                              "first line of the cell.",
                              spec->name, spec->name);
  if (c->form == MAGIC_FORM_CELL && !(spec->flags & MAGIC_F_CELL)) {
    struct buf syn;
    buf_init(&syn, BUF_UNLIMITED);
    int rc = magic__synopsis(spec, &spec->cmds[0], &syn);
    if (rc) {
      buf_fini(&syn);
      return nomem(ps->e);
    }
    rc = magic__usage_error(NULL, ps->e, ps->line, ps->name_col,
                            "'%%%%%s' is a line magic: write '%s'.", spec->name,
                            syn.data);
    buf_fini(&syn);
    return rc;
  }

  if (spec->flags & MAGIC_F_RAW) {
    /* %%local: everything after the name, leading blanks skipped. */
    size_t b = q;
    while (b < len && (is_blank(cell[b]) || cell[b] == '\n')) b++;
    c->body = dupn(cell + b, len - b);
    if (!c->body) return nomem(ps->e);
    c->body_line = ps->line + count_nl(cell + q, b - q);
    return 0;
  }

  struct lexed lx;
  size_t badq = 0;
  int rc = lex(cell, q, le, &lx, &badq);
  if (rc == ERR_NOMEM) {
    lexed_fini(&lx);
    return nomem(ps->e);
  }
  if (rc == ERR_PARSE) {
    lexed_fini(&lx);
    return magic__usage_error(c, ps->e, ps->line, col_at(ps, badq),
                              "%s: no closing quotation for the %c at column "
                              "%d.",
                              ps->label, cell[badq], col_at(ps, badq));
  }
  rc = parse_args(ps, &lx);
  lexed_fini(&lx);
  if (rc) return rc;

  size_t b = nl ? le + 1 : len;
  c->body = dupn(cell + b, len - b);
  if (!c->body) return nomem(ps->e);
  c->body_line = ps->line + 1;

  if (spec->flags & MAGIC_F_BODY_EMPTY) {
    size_t i = b;
    while (i < len && (is_blank(cell[i]) || cell[i] == '\n')) i++;
    if (i < len) {
      /* sparkmagic: "Cell body for %%help magic must be empty; got '...'". */
      size_t j = len;
      while (j > i && (is_blank(cell[j - 1]) || cell[j - 1] == '\n')) j--;
      struct buf m;
      buf_init(&m, BUF_UNLIMITED);
      rc = buf_printf(&m, "Cell body for %%%%%s magic must be empty; got ",
                      spec->name);
      if (!rc) rc = magic__echo(&m, cell + i, j - i);
      if (!rc) rc = buf_puts(&m, " instead.");
      if (rc) {
        buf_fini(&m);
        return nomem(ps->e);
      }
      const char *lstart = cell + i;
      while (lstart > cell + b && lstart[-1] != '\n') lstart--;
      int line = c->body_line + count_nl(cell + b, i - b);
      int col = (int)utf8_count(lstart, (size_t)(cell + i - lstart)) + 1;
      magic__set_err(ps->e, ERR_INVAL, line, col, "UsageError", m.data);
      buf_fini(&m);
      return ERR_INVAL;
    }
  }
  return 0;
}

int magic_parse_n(const char *cell, size_t len, enum magic_lang lang,
                  struct magic_cell **out, struct err *e) {
  *out = NULL;
  if (!cell) return err_set(e, ERR_INVAL, "no cell");
  const char *nul = memchr(cell, '\0', len);
  if (nul) {
    size_t off = (size_t)(nul - cell);
    int line = 1 + count_nl(cell, off);
    const char *ls = nul;
    while (ls > cell && ls[-1] != '\n') ls--;
    int col = (int)utf8_count(ls, (size_t)(nul - ls)) + 1;
    magic__set_err(e, ERR_INVAL, line, col, "UsageError",
                   "The cell contains a NUL byte.");
    return ERR_INVAL;
  }

  struct magic_cell *c = calloc(1, sizeof *c);
  if (!c) return nomem(e);
  struct pstate ps = {.cell = cell, .len = len, .c = c, .e = e};
  int rc;
  if (magic__find_magic_line(cell, len, &ps.line_start, &ps.line)) {
    rc = parse_magic(&ps);
  } else {
    c->form = MAGIC_FORM_CODE;
    c->spec = magic_implicit(lang);
    c->cmd = &c->spec->cmds[0];
    c->name = strdup(c->spec->name);
    c->body = dupn(cell, len);
    c->body_line = 1;
    rc = 0;
    if (c->cmd->nopts) {
      c->vals = calloc(c->cmd->nopts, sizeof *c->vals);
      if (!c->vals) rc = ERR_NOMEM;
    }
    if (!c->name || !c->body) rc = ERR_NOMEM;
    if (rc) nomem(e);
  }
  if (rc) {
    magic_cell_free(c);
    return rc;
  }
  /* Cells whose command has options always carry a value array. */
  if (c->cmd->nopts && !c->vals) {
    c->vals = calloc(c->cmd->nopts, sizeof *c->vals);
    if (!c->vals) {
      magic_cell_free(c);
      return nomem(e);
    }
  }
  *out = c;
  return 0;
}

int magic_parse(const char *cell, enum magic_lang lang, struct magic_cell **out,
                struct err *e) {
  if (!cell) {
    *out = NULL;
    return err_set(e, ERR_INVAL, "no cell");
  }
  return magic_parse_n(cell, strlen(cell), lang, out, e);
}

void magic_cell_free(struct magic_cell *c) {
  if (!c) return;
  if (c->vals) {
    for (size_t i = 0; i < c->cmd->nopts; i++) {
      free(c->vals[i].value);
      free(c->vals[i].def);
    }
    free(c->vals);
  }
  for (size_t i = 0; i < c->npos; i++) free(c->pos[i]);
  free(c->pos);
  free(c->name);
  free(c->body);
  free(c);
}

/* ---------------------------------------------------------------------- */
/* Accessors                                                              */

static int opt_index(const struct magic_cell *c, const char *long_name) {
  if (!c || !long_name || !c->cmd || !c->vals) return -1;
  return magic__find_long(c->cmd, long_name, strlen(long_name), 0);
}

const char *magic_opt(const struct magic_cell *c, const char *long_name) {
  int i = opt_index(c, long_name);
  if (i < 0) return NULL;
  const struct magic_option *o = &c->cmd->opts[i];
  const struct magic_val *v = &c->vals[i];
  if (v->given) return o->type == MAGIC_T_BOOL ? "1" : v->value;
  if (v->def) return v->def;
  if (o->def_from) {
    int j = opt_index(c, o->def_from);
    if (j >= 0 && c->vals[j].given) return c->vals[j].value;
  }
  return o->type == MAGIC_T_BOOL ? NULL : o->def;
}

int magic_opt_given(const struct magic_cell *c, const char *long_name) {
  int i = opt_index(c, long_name);
  return i >= 0 && c->vals[i].given;
}

int magic_cell_set_default(struct magic_cell *c, const char *long_name,
                           const char *value, struct err *e) {
  int i = opt_index(c, long_name);
  if (i < 0) return ERR_NOTFOUND;
  const struct magic_option *o = &c->cmd->opts[i];
  if (o->type == MAGIC_T_BOOL || !value) return ERR_INVAL;
  char *norm;
  int rc = check_value(o, value, &norm);
  if (rc == ERR_NOMEM) return nomem(e);
  if (rc) {
    struct buf m;
    buf_init(&m, BUF_UNLIMITED);
    if (bad_value_msg(o, value, &m)) {
      buf_fini(&m);
      return nomem(e);
    }
    magic__set_err(e, ERR_INVAL, 0, 0, "BadUserDataException", m.data);
    buf_fini(&m);
    return ERR_INVAL;
  }
  free(c->vals[i].def);
  c->vals[i].def = norm;
  return 0;
}

size_t magic_npos(const struct magic_cell *c) { return c ? c->npos : 0; }

const char *magic_pos(const struct magic_cell *c, size_t i) {
  return c && i < c->npos ? c->pos[i] : NULL;
}

const char *magic_subcommand(const struct magic_cell *c) {
  return c && c->cmd ? c->cmd->name : NULL;
}

enum magic_id magic_cell_id(const struct magic_cell *c) { return c->spec->id; }

/* ---------------------------------------------------------------------- */
/* Redaction of secrets on an echoed magic line                           */

/* 1 when some command of the registry has a secret flag -c. */
static int secret_short_any(char c) {
  for (size_t i = 0; i < magic__nregistry; i++)
    for (size_t k = 0; k < magic__registry[i].ncmds; k++) {
      const struct magic_cmd *cmd = &magic__registry[i].cmds[k];
      for (size_t j = 0; j < cmd->nopts; j++)
        if (cmd->opts[j].short_name == c && (cmd->opts[j].flags & MAGIC_OPT_SECRET))
          return 1;
    }
  return 0;
}

/* 1 when --name (not an option of the command at hand) could be meant as a
 * secret flag of some command: a prefix of its long name, or a misspelling
 * of it (--passwd, --pasword). */
static int secret_long_any(const char *name, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < magic__nregistry; i++)
    for (size_t k = 0; k < magic__registry[i].ncmds; k++) {
      const struct magic_cmd *cmd = &magic__registry[i].cmds[k];
      for (size_t j = 0; j < cmd->nopts; j++) {
        const struct magic_option *o = &cmd->opts[j];
        if (!(o->flags & MAGIC_OPT_SECRET)) continue;
        size_t ln = strlen(o->long_name);
        if ((n <= ln && strncmp(o->long_name, name, n) == 0) ||
            magic__distance(name, n, o->long_name, ln, 2) <= 2)
          return 1;
      }
    }
  return 0;
}

/* End of the raw word that starts at s[i] (quotes as the lexer reads them;
 * an unterminated quote runs to the end). */
static size_t raw_word_end(const char *s, size_t i, size_t n) {
  while (i < n && !is_blank(s[i])) {
    if (s[i] == '\'') {
      const char *q = memchr(s + i + 1, '\'', n - i - 1);
      i = q ? (size_t)(q - s) + 1 : n;
    } else if (s[i] == '"') {
      i++;
      while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
      i = i < n ? i + 1 : n;
    } else {
      i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
    }
  }
  return i;
}

struct span {
  size_t a, b; /* raw bytes [a, b) of the line */
};

/* looks_flag for a raw word t[0..len). */
static int looks_flag_raw(const char *t, size_t len) {
  if (len < 2 || t[0] != '-') return 0;
  char num[64];
  if (len >= sizeof num) return 1; /* too long for a number */
  memcpy(num, t, len);
  num[len] = '\0';
  return !is_number(num);
}

/* Byte ranges of the line that hold secrets, in order; at most max. */
static size_t secret_spans(const char *line, size_t n, struct span *out, size_t max) {
  size_t p = 0, ns = 0;
  while (p < n && is_blank(line[p])) p++;
  size_t pct = 0;
  while (p < n && line[p] == '%') p++, pct++;
  if (!pct) return 0; /* not a magic line */
  size_t q = p;
  while (q < n && !is_blank(line[q])) q++;
  const struct magic_spec *spec = NULL;
  for (size_t i = 0; pct <= 2 && i < magic__nregistry; i++)
    if (strlen(magic__registry[i].name) == q - p &&
        memcmp(magic__registry[i].name, line + p, q - p) == 0)
      spec = &magic__registry[i];
  if (spec && (spec->flags & MAGIC_F_RAW)) return 0; /* the rest is a body */
  const struct magic_cmd *cmd = spec ? &spec->cmds[0] : NULL;

  struct span w[2] = {{0, 0}, {0, 0}}; /* current word and the next one */
  size_t i = q;
  int first = 1;
  while (ns < max) {
    while (i < n && is_blank(line[i])) i++;
    if (i >= n) break;
    w[0].a = i;
    w[0].b = i = raw_word_end(line, i, n);
    const char *t = line + w[0].a;
    size_t len = w[0].b - w[0].a;
    int flag = looks_flag_raw(t, len);
    if (first && !flag && spec && spec->ncmds > 1) {
      for (size_t k = 1; k < spec->ncmds; k++)
        if (strlen(spec->cmds[k].name) == len && strncasecmp(spec->cmds[k].name, t, len) == 0)
          cmd = &spec->cmds[k];
    }
    first = 0;
    if (!flag) continue;
    int secret, idx;
    size_t attached = 0; /* offset of an attached value in the word, 0 none */
    if (t[1] == '-') {
      const char *eq = memchr(t + 2, '=', len - 2);
      size_t nl = eq ? (size_t)(eq - (t + 2)) : len - 2;
      idx = cmd ? magic__find_long(cmd, t + 2, nl, 1) : -1;
      secret = idx >= 0 ? (cmd->opts[idx].flags & MAGIC_OPT_SECRET) != 0
                        : secret_long_any(t + 2, nl);
      /* An unknown flag's value may be a misspelt secret's: never shown. */
      if (eq && (secret || idx < 0)) attached = (size_t)(eq - t) + 1;
    } else {
      idx = cmd ? magic__find_short(cmd, t[1]) : -1;
      secret = idx >= 0 ? (cmd->opts[idx].flags & MAGIC_OPT_SECRET) != 0 : secret_short_any(t[1]);
      if (secret && len > 2) attached = t[2] == '=' ? 3 : 2;
    }
    if (attached) {
      if (attached >= len) continue;
      w[1] = (struct span){w[0].a + attached, w[0].b};
    } else {
      if (!secret) continue;
      /* The value is the next word, whatever it looks like. */
      while (i < n && is_blank(line[i])) i++;
      if (i >= n) break;
      w[1].a = i;
      w[1].b = i = raw_word_end(line, i, n);
    }
    /* Words up to the next flag may be the rest of a password typed with
     * blanks: they go under the same mask. */
    for (;;) {
      size_t j = i;
      while (j < n && is_blank(line[j])) j++;
      if (j >= n || looks_flag_raw(line + j, raw_word_end(line, j, n) - j)) break;
      w[1].b = i = raw_word_end(line, j, n);
    }
    out[ns++] = w[1];
  }
  return ns;
}

char *magic_redact_line(const char *line, size_t n, int *column) {
  enum { MAXSPANS = 64 };
  struct span sp[MAXSPANS];
  size_t ns = line ? secret_spans(line, n, sp, MAXSPANS) : 0;
  if (ns == MAXSPANS) {
    /* More secrets than we track: mask everything after the last one. */
    sp[ns - 1].b = n;
  }
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  size_t at = 0;
  int rc = 0;
  long col0 = column ? *column - 1 : 0, shift = 0;
  int placed = 0;
  for (size_t k = 0; k < ns && !rc; k++) {
    rc = buf_append(&b, line + at, sp[k].a - at);
    if (!rc) rc = buf_puts(&b, MAGIC_REDACTED);
    at = sp[k].b;
    if (column && !placed) {
      long ca = (long)utf8_count(line, sp[k].a), cb = (long)utf8_count(line, sp[k].b);
      if (col0 >= cb) {
        shift += (long)strlen(MAGIC_REDACTED) - (cb - ca);
      } else if (col0 >= ca) {
        col0 = ca; /* inside the secret: point at the mask */
        placed = 1;
      } else {
        placed = 1;
      }
    }
  }
  if (!rc && line) rc = buf_append(&b, line + at, n - at);
  if (!rc && !b.data) rc = buf_puts(&b, "");
  if (rc) {
    buf_fini(&b);
    return NULL;
  }
  if (column && *column > 0) *column = (int)(col0 + shift + 1);
  return buf_steal(&b);
}
