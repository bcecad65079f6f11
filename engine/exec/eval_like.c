/* eval_like.c: LIKE / ILIKE / RLIKE.
 *
 * A LIKE pattern ('%' any run, '_' one code point, '\' escapes the next
 * character) is compiled once into one of: exact, prefix, suffix, contains,
 * match-all (the fast paths, plain memcmp/memmem) or a list of '%'-separated
 * segments. Segments are matched without backtracking: the first is anchored
 * at the start, the last at the end, each middle one at its leftmost
 * occurrence -- leftmost is always safe because a segment matches a fixed
 * number of code points, so an earlier match leaves more room for the rest.
 * ILIKE lower-cases the pattern once and each subject into a scratch buffer.
 * RLIKE hands over to eval_regex.c (PCRE2, Java-like syntax). */
#include "engine/exec/eval_like.h"

#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/exec/eval_regex.h"
#include "engine/exec/eval_str.h"

enum { LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_ALL, LK_GENERAL };

/* A segment: bytes where any[k] marks a '_' placeholder. */
struct like_seg {
  char *b;
  uint8_t *any;
  uint32_t n;
  int has_any;
};

struct eval_like {
  int kind;
  int ci;
  int negated;
  char *lit; /* fast paths: the unescaped literal */
  uint32_t litlen;
  struct like_seg *segs;
  int nseg;
  int lead, trail; /* pattern starts / ends with '%' */
  char *scratch; /* ILIKE lower-cased subject */
  size_t scap;
};

static void like_free(void *p) {
  struct eval_like *m = p;
  if (!m) return;
  free(m->lit);
  for (int i = 0; i < m->nseg; i++) {
    free(m->segs[i].b);
    free(m->segs[i].any);
  }
  free(m->segs);
  free(m->scratch);
  free(m);
}

static inline int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

/* Match seg at byte i of s; returns the end offset or -1. */
static int64_t seg_at(const struct like_seg *g, const char *s, uint32_t n, uint32_t i) {
  for (uint32_t k = 0; k < g->n; k++) {
    if (i >= n) return -1;
    if (g->any[k]) {
      i++;
      while (i < n && is_cont((unsigned char)s[i])) i++;
    } else {
      if (s[i] != g->b[k]) return -1;
      i++;
    }
  }
  return i;
}

/* Match seg ending exactly at byte e; returns its start or -1. */
static int64_t seg_back(const struct like_seg *g, const char *s, uint32_t e) {
  uint32_t i = e;
  for (uint32_t k = g->n; k-- > 0;) {
    if (i == 0) return -1;
    if (g->any[k]) {
      i--;
      while (i > 0 && is_cont((unsigned char)s[i])) i--;
    } else {
      if (s[i - 1] != g->b[k]) return -1;
      i--;
    }
  }
  return i;
}

static int general(const struct eval_like *m, const char *s, uint32_t n) {
  if (m->nseg == 0) return m->lead || m->trail || n == 0;
  if (!m->lead && !m->trail && m->nseg == 1) return seg_at(&m->segs[0], s, n, 0) == n;
  uint32_t pos = 0;
  int first = 0, last = m->nseg;
  if (!m->lead) {
    int64_t e = seg_at(&m->segs[0], s, n, 0);
    if (e < 0) return 0;
    pos = (uint32_t)e;
    first = 1;
  }
  int64_t tail_start = n;
  if (!m->trail) {
    tail_start = seg_back(&m->segs[m->nseg - 1], s, n);
    if (tail_start < (int64_t)pos) return 0;
    last = m->nseg - 1;
  }
  uint32_t limit = (uint32_t)tail_start;
  for (int k = first; k < last; k++) {
    const struct like_seg *g = &m->segs[k];
    int64_t e = -1;
    if (!g->has_any) {
      const char *q = g->n <= limit - pos ? memmem(s + pos, limit - pos, g->b, g->n) : NULL;
      if (q) e = (q - s) + g->n;
    } else {
      for (uint32_t st = pos; st < limit; st++) {
        if (is_cont((unsigned char)s[st])) continue;
        e = seg_at(g, s, limit, st);
        if (e >= 0) break;
      }
    }
    if (e < 0) return 0;
    pos = (uint32_t)e;
  }
  return 1;
}

static int like_match(struct eval_like *m, const char *s, uint32_t n) {
  switch (m->kind) {
    case LK_EXACT: return n == m->litlen && memcmp(s, m->lit, n) == 0;
    case LK_PREFIX: return n >= m->litlen && memcmp(s, m->lit, m->litlen) == 0;
    case LK_SUFFIX: return n >= m->litlen && memcmp(s + n - m->litlen, m->lit, m->litlen) == 0;
    case LK_CONTAINS:
      return m->litlen == 0 || (n >= m->litlen && memmem(s, n, m->lit, m->litlen) != NULL);
    case LK_ALL: return 1;
    default: return general(m, s, n);
  }
}

static int ensure_scratch(struct eval_like *m, size_t n) {
  if (m->scap >= n) return 0;
  size_t c = m->scap ? m->scap : 64;
  while (c < n) c *= 2;
  char *p = realloc(m->scratch, c);
  if (!p) return -1;
  m->scratch = p;
  m->scap = c;
  return 0;
}

static int k_like(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  struct eval_like *m = nd->aux;
  const struct vector *a = nd->args[0]->res;
  const struct sv *s = a->data;
  uint8_t *o = nd->vec.data;
  uint8_t neg = (uint8_t)m->negated;
  eval_valid_copy(nd->vec.validity, a->validity, rt->nwords);
  if (m->ci) {
    EVAL_FOR_VALID(i, sel, n, a->validity, {
      if (ensure_scratch(m, (size_t)s[i].len + 1))
        return err_set(rt->err, ERR_NOMEM, "out of memory in ilike");
      eval_str_map_case(s[i].ptr, s[i].len, m->scratch, 0);
      o[i] = (uint8_t)(like_match(m, m->scratch, s[i].len) ^ neg);
    });
  } else if (m->kind == LK_PREFIX && m->litlen <= 4) {
    /* decided by the inline prefix alone */
    char pfx[4] = {0};
    memcpy(pfx, m->lit, m->litlen);
    uint32_t ll = m->litlen;
    EVAL_FOR_SEL(i, sel, n, {
      o[i] = (uint8_t)((s[i].len >= ll && memcmp(s[i].prefix, pfx, ll) == 0) ^ neg);
    });
  } else if (m->kind == LK_EXACT) {
    struct sv lit = sv_make(m->lit, m->litlen);
    EVAL_FOR_SEL(i, sel, n, {
      int eq = s[i].len == lit.len && memcmp(s[i].prefix, lit.prefix, 4) == 0 &&
               (lit.len <= 4 || memcmp(s[i].ptr + 4, lit.ptr + 4, lit.len - 4) == 0);
      o[i] = (uint8_t)(eq ^ neg);
    });
  } else {
    EVAL_FOR_VALID(i, sel, n, a->validity, {
      o[i] = (uint8_t)(like_match(m, s[i].ptr, s[i].len) ^ neg);
    });
  }
  return 0;
}

/* Parse the pattern into segments, unescaping; decide the fast path. */
static int like_parse(struct eval_like *m, const char *p, uint32_t n) {
  /* worst case every byte is its own segment byte */
  char *b = malloc((size_t)n + 1);
  uint8_t *any = malloc((size_t)n + 1);
  if (!b || !any) {
    free(b);
    free(any);
    return -1;
  }
  m->segs = calloc((size_t)n + 1, sizeof *m->segs);
  if (!m->segs) {
    free(b);
    free(any);
    return -1;
  }
  uint32_t len = 0;
  int npct = 0, nany = 0, started = 0;
  m->lead = n > 0 && p[0] == '%';
  for (uint32_t i = 0; i <= n; i++) {
    int pct = i < n && p[i] == '%';
    if (i == n || pct) {
      if (len > 0) {
        struct like_seg *g = &m->segs[m->nseg++];
        g->b = malloc(len);
        g->any = malloc(len);
        if (!g->b || !g->any) {
          free(b);
          free(any);
          return -1;
        }
        memcpy(g->b, b, len);
        memcpy(g->any, any, len);
        g->n = len;
        for (uint32_t k = 0; k < len; k++) g->has_any |= any[k];
      }
      if (pct) npct++, m->trail = 1;
      len = 0;
      continue;
    }
    started = 1;
    m->trail = 0;
    if (p[i] == '\\' && i + 1 < n) {
      i++;
      b[len] = p[i];
      any[len++] = 0;
    } else if (p[i] == '_') {
      b[len] = 0;
      any[len++] = 1;
      nany++;
    } else {
      b[len] = p[i];
      any[len++] = 0;
    }
  }
  (void)started;
  free(b);
  free(any);
  if (nany == 0 && m->nseg <= 1) {
    const struct like_seg *g = m->nseg ? &m->segs[0] : NULL;
    m->litlen = g ? g->n : 0;
    m->lit = malloc(m->litlen ? m->litlen : 1);
    if (!m->lit) return -1;
    if (g) memcpy(m->lit, g->b, g->n);
    if (npct == 0) m->kind = LK_EXACT;
    else if (!g) m->kind = LK_ALL;
    else if (m->lead && m->trail) m->kind = LK_CONTAINS;
    else if (m->trail && !m->lead) m->kind = LK_PREFIX;
    else if (m->lead && !m->trail) m->kind = LK_SUFFIX;
    else m->kind = LK_GENERAL;
    /* a '%' in the middle ('a%b' has two segments) never gets here */
    return 0;
  }
  m->kind = LK_GENERAL;
  return 0;
}

int eval_like_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  const struct expr *e = nd->e;
  if (nd->args[0]->type.id != TYPE_STRING && nd->args[0]->type.id != TYPE_NULL)
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "LIKE needs a string operand");
  /* RLIKE is PCRE2 with Java-like syntax (eval_regex.c). */
  if (e->u.like.kind == AST_LIKE_RLIKE)
    return eval_regex_rlike_compile(nd, e->u.like.pattern ? e->u.like.pattern : "",
                                    e->u.like.pattern ? e->u.like.len : 0, e->u.like.negated,
                                    err);
  struct eval_like *m = calloc(1, sizeof *m);
  if (!m) return err_set(err, ERR_NOMEM, "out of memory");
  nd->aux = m;
  nd->aux_free = like_free;
  nd->kern = k_like;
  m->negated = e->u.like.negated != 0;
  const char *pat = e->u.like.pattern ? e->u.like.pattern : "";
  uint32_t plen = e->u.like.pattern ? e->u.like.len : 0;
  char *low = NULL;
  if (e->u.like.kind == AST_LIKE_ILIKE) {
    m->ci = 1;
    low = malloc((size_t)plen + 1);
    if (!low) return err_set(err, ERR_NOMEM, "out of memory");
    eval_str_map_case(pat, plen, low, 0);
    pat = low;
  }
  int rc = like_parse(m, pat, plen);
  free(low);
  if (rc) return err_set(err, ERR_NOMEM, "out of memory");
  return 0;
}
