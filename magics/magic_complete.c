/* magic_complete.c: completion inside the magic line (magics layer).
 *
 * complete_request on a magic line is answered here from the registry: magic
 * names, %%spark subcommands, flags and the values of choice flags. Anything
 * else (plain code, the body of %%spark) is left to the backend: *n = 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "magics/magic_int.h"

struct matches {
  char **v;
  size_t n, alloc;
  int failed;
};

static void add(struct matches *m, const char *a, const char *b) {
  if (m->failed) return;
  if (m->n == m->alloc) {
    size_t na = m->alloc ? m->alloc * 2 : 8;
    char **nv = realloc(m->v, na * sizeof *nv);
    if (!nv) {
      m->failed = 1;
      return;
    }
    m->v = nv;
    m->alloc = na;
  }
  size_t la = strlen(a), lb = b ? strlen(b) : 0;
  char *s = malloc(la + lb + 1);
  if (!s) {
    m->failed = 1;
    return;
  }
  memcpy(s, a, la);
  if (lb) memcpy(s + la, b, lb);
  s[la + lb] = '\0';
  m->v[m->n++] = s;
}

static int starts(const char *s, const char *p, size_t n) {
  return strncmp(s, p, n) == 0;
}

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The values a flag can take, as "a|b|c", or NULL. */
static void add_values(struct matches *m, const struct magic_cmd *cmd,
                       const struct magic_option *o, const char *pre,
                       const char *prefix, size_t n) {
  const char *lists[2] = {NULL, NULL};
  if (o->type == MAGIC_T_CHOICE) lists[0] = o->choices;
  if (o->type == MAGIC_T_TRUTH) lists[0] = "true|false";
  if (o->alt) {
    int a = magic__find_long(cmd, o->alt, strlen(o->alt), 0);
    if (a >= 0 && cmd->opts[a].type == MAGIC_T_TRUTH) lists[1] = "true|false";
  }
  for (int k = 0; k < 2; k++) {
    const char *p = lists[k];
    while (p && *p) {
      const char *bar = strchr(p, '|');
      size_t l = bar ? (size_t)(bar - p) : strlen(p);
      if (l >= n && strncmp(p, prefix, n) == 0) {
        char tmp[64];
        if (l < sizeof tmp) {
          memcpy(tmp, p, l);
          tmp[l] = '\0';
          add(m, pre, tmp);
        }
      }
      p += l + (bar ? 1 : 0);
    }
  }
}

/* Resolve the flag token s[0..n) in cmd, or -1. */
static int flag_index(const struct magic_cmd *cmd, const char *s, size_t n) {
  if (n >= 3 && s[0] == '-' && s[1] == '-') {
    const char *eq = memchr(s, '=', n);
    size_t l = eq ? (size_t)(eq - s) - 2 : n - 2;
    int i = magic__find_long(cmd, s + 2, l, 1);
    return i >= 0 && !eq ? i : -1;
  }
  if (n == 2 && s[0] == '-') return magic__find_short(cmd, s[1]);
  return -1;
}

int magic_complete(const char *cell, size_t cursor, char ***matches, size_t *n,
                   size_t *start, size_t *end) {
  struct matches m = {0};
  *matches = NULL;
  *n = 0;
  size_t len = strlen(cell);
  if (cursor > len) cursor = len;
  *start = *end = cursor;

  size_t ls;
  int ln;
  if (!magic__find_magic_line(cell, len, &ls, &ln)) return 0;
  const char *nl = memchr(cell + ls, '\n', len - ls);
  size_t le = nl ? (size_t)(nl - cell) : len;
  if (cursor < ls || cursor > le) return 0;

  size_t ws = cursor, we = cursor;
  while (ws > ls && !is_blank(cell[ws - 1])) ws--;
  while (we < le && !is_blank(cell[we])) we++;
  size_t p = ls;
  while (p < le && is_blank(cell[p])) p++;
  if (ws < p) return 0;
  const char *prefix = cell + ws;
  size_t plen = cursor - ws;

  if (ws == p) {
    /* The magic name. */
    size_t k = 0;
    while (k < plen && prefix[k] == '%') k++;
    const char *np = prefix + k;
    size_t nn = plen - k;
    if (k > 2) return 0;
    for (size_t i = 0; i < magic__nregistry; i++) {
      const struct magic_spec *s = &magic__registry[i];
      if ((s->flags & MAGIC_F_HIDDEN) && !(nn > 0 && np[0] == '_')) continue;
      if (k == 2 && !(s->flags & MAGIC_F_CELL)) continue;
      if (k == 1 && !(s->flags & MAGIC_F_LINE)) continue;
      if (!starts(s->name, np, nn)) continue;
      const char *pre = k == 1 ? "%" : k == 2 ? "%%"
                        : (s->flags & MAGIC_F_CELL) ? "%%" : "%";
      add(&m, pre, s->name);
    }
  } else {
    size_t k = p;
    while (k < le && cell[k] == '%') k++;
    size_t q = k;
    while (q < le && !is_blank(cell[q])) q++;
    const struct magic_spec *s = NULL;
    for (size_t i = 0; i < magic__nregistry; i++)
      if (strlen(magic__registry[i].name) == q - k &&
          memcmp(magic__registry[i].name, cell + k, q - k) == 0)
        s = &magic__registry[i];
    if (!s || (s->flags & MAGIC_F_RAW)) return 0;

    /* Complete words between the name and the current word. */
    size_t first_s = 0, first_n = 0, prev_s = 0, prev_n = 0, nwords = 0;
    size_t i = q;
    while (i < ws) {
      while (i < ws && is_blank(cell[i])) i++;
      if (i >= ws) break;
      size_t j = i;
      while (j < ws && !is_blank(cell[j])) j++;
      if (nwords++ == 0) first_s = i, first_n = j - i;
      prev_s = i, prev_n = j - i;
      i = j;
    }
    const struct magic_cmd *cmd = &s->cmds[0];
    if (s->ncmds > 1 && nwords > 0)
      for (size_t c = 1; c < s->ncmds; c++)
        if (strlen(s->cmds[c].name) == first_n &&
            memcmp(s->cmds[c].name, cell + first_s, first_n) == 0)
          cmd = &s->cmds[c];

    const char *eq = plen > 2 ? memchr(prefix, '=', plen) : NULL;
    if (s->ncmds > 1 && nwords == 0 && !(plen && prefix[0] == '-')) {
      for (size_t c = 1; c < s->ncmds; c++)
        if (starts(s->cmds[c].name, prefix, plen))
          add(&m, s->cmds[c].name, NULL);
    } else if (plen >= 2 && prefix[0] == '-' && prefix[1] == '-' && eq) {
      int o = magic__find_long(cmd, prefix + 2, (size_t)(eq - prefix) - 2, 1);
      if (o >= 0) {
        char pre[80];
        size_t l = (size_t)snprintf(pre, sizeof pre, "--%s=",
                                    cmd->opts[o].long_name);
        if (l < sizeof pre)
          add_values(&m, cmd, &cmd->opts[o], pre, eq + 1,
                     plen - (size_t)(eq + 1 - prefix));
      }
    } else if (plen >= 1 && prefix[0] == '-') {
      if (plen == 2 && prefix[1] != '-') {
        int o = magic__find_short(cmd, prefix[1]);
        if (o >= 0) {
          char tmp[3] = {'-', prefix[1], '\0'};
          add(&m, tmp, NULL);
        }
      } else {
        const char *lp = plen >= 2 ? prefix + 2 : "";
        size_t ll = plen >= 2 ? plen - 2 : 0;
        for (size_t o = 0; o < cmd->nopts; o++)
          if (starts(cmd->opts[o].long_name, lp, ll))
            add(&m, "--", cmd->opts[o].long_name);
      }
    } else if (nwords > 0) {
      int o = flag_index(cmd, cell + prev_s, prev_n);
      if (o >= 0 && cmd->opts[o].type != MAGIC_T_BOOL)
        add_values(&m, cmd, &cmd->opts[o], "", prefix, plen);
    }
  }

  if (m.failed) {
    magic_matches_free(m.v, m.n);
    return ERR_NOMEM;
  }
  if (m.n == 0) {
    free(m.v);
    return 0;
  }
  *matches = m.v;
  *n = m.n;
  *start = ws;
  *end = we;
  return 0;
}

void magic_matches_free(char **matches, size_t n) {
  if (!matches) return;
  for (size_t i = 0; i < n; i++) free(matches[i]);
  free(matches);
}
