/* eval_regex.c: see eval_regex.h.
 *
 * Java details kept: $ also matches before a final line terminator and '.'
 * stops at any of Java's line terminators (PCRE2_NEWLINE_ANY); \d \w \s are
 * ASCII as in Java without UNICODE_CHARACTER_CLASS (no PCRE2_UCP);
 * regexp_replace's position works like Matcher.region (the subject starts
 * there: '^' matches there and look-behind cannot see before it); the
 * replacement string uses Java's syntax ($n, ${name}, \x escapes). */
#include "engine/exec/eval_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "common/buf.h"
#include "engine/exec/eval_kern.h"
#include "engine/vec/array.h"

enum { RX_LIKE, RX_EXTRACT, RX_EXTRACT_ALL, RX_REPLACE, RX_COUNT, RX_SUBSTR, RX_SPLIT };

/* One compiled pattern and its source text (the cache key). */
struct rx {
  pcre2_code *code;
  uint32_t ngroups;
  char *src;
  size_t len;
};

struct rx_state {
  int op;
  int negated;     /* NOT RLIKE */
  int const_pat;   /* re holds the constant pattern; else the last row's */
  const char *fname; /* Spark's function name, for messages */
  int line, column;
  struct rx re;
};

static void rx_clear(struct rx *r) {
  if (r->code) pcre2_code_free(r->code);
  free(r->src);
  memset(r, 0, sizeof *r);
}

static void rx_state_free(void *p) {
  struct rx_state *st = p;
  if (!st) return;
  rx_clear(&st->re);
  free(st);
}

static inline int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Java's \uHHHH (which PCRE2 rejects) rewritten as \x{HHHH}, outside
 * \Q...\E quoting. Returns a new string (free()) with *outn bytes, or NULL
 * when the pattern needs no change or memory ran out (*oom set). */
static char *java_escapes(const char *p, size_t n, size_t *outn, int *oom) {
  *oom = 0;
  int found = 0, inq = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    if (p[i] != '\\' || (inq && p[i + 1] != 'E')) continue; /* \Q...\E: only \E ends it */
    if (inq) inq = 0;
    else if (p[i + 1] == 'Q') inq = 1;
    else if (p[i + 1] == 'u' && i + 5 < n && is_hex(p[i + 2]) && is_hex(p[i + 3]) &&
             is_hex(p[i + 4]) && is_hex(p[i + 5]))
      found = 1;
    i++; /* the escaped character */
  }
  if (!found) return NULL;
  char *o = malloc(2 * n + 1);
  if (!o) {
    *oom = 1;
    return NULL;
  }
  size_t k = 0;
  inq = 0;
  for (size_t i = 0; i < n;) {
    if (p[i] != '\\' || i + 1 >= n || (inq && p[i + 1] != 'E')) {
      o[k++] = p[i++];
      continue;
    }
    char c = p[i + 1];
    if (inq) inq = 0;
    else if (c == 'Q') inq = 1;
    else if (c == 'u' && i + 5 < n && is_hex(p[i + 2]) && is_hex(p[i + 3]) && is_hex(p[i + 4]) &&
             is_hex(p[i + 5])) {
      memcpy(o + k, "\\x{", 3);
      memcpy(o + k + 3, p + i + 2, 4);
      o[k + 7] = '}';
      k += 8;
      i += 6;
      continue;
    }
    o[k++] = p[i];
    o[k++] = c;
    i += 2;
  }
  *outn = k;
  return o;
}

/* Compile pat[0..len) into r (cleared first). Errors name the function and
 * the pattern as Spark's INVALID_PARAMETER_VALUE.PATTERN does, plus PCRE2's
 * reason. */
static int rx_build(struct rx *r, const char *pat, size_t len, const struct rx_state *st,
                    struct err *err) {
  rx_clear(r);
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  if (!cc) return err_set(err, ERR_NOMEM, "out of memory");
  pcre2_set_newline(cc, PCRE2_NEWLINE_ANY);
  int ec = 0, oom;
  PCRE2_SIZE eo = 0;
  size_t tn = 0;
  char *tr = java_escapes(pat, len, &tn, &oom);
  if (oom) {
    pcre2_compile_context_free(cc);
    return err_set(err, ERR_NOMEM, "out of memory");
  }
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)(tr ? tr : len ? pat : ""), tr ? tn : len,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, cc);
  free(tr);
  pcre2_compile_context_free(cc);
  if (!code) {
    if (ec == PCRE2_ERROR_NOMEMORY) return err_set(err, ERR_NOMEM, "out of memory");
    PCRE2_UCHAR why[256];
    if (pcre2_get_error_message(ec, why, sizeof why) < 0) strcpy((char *)why, "syntax error");
    int shown = len > 200 ? 200 : (int)len;
    return err_set_at(err, ERR_SQL, st->line, st->column,
                      "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in "
                      "`%s` is invalid: '%.*s%s'. (%s at offset %zu)",
                      st->fname, shown, pat, (size_t)shown < len ? "..." : "", (char *)why,
                      (size_t)eo);
  }
  /* JIT is an optimisation only: without it pcre2_match interprets. */
  /* JIT code reads ahead of the subject in ways valgrind reports as uses
   * of uninitialised memory; the interpreter gives the same answers. */
  if (!RUNNING_ON_VALGRIND) (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  uint32_t ng = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ng);
  r->src = malloc(len ? len : 1);
  if (!r->src) {
    pcre2_code_free(code);
    return err_set(err, ERR_NOMEM, "out of memory");
  }
  if (len) memcpy(r->src, pat, len);
  r->len = len;
  r->code = code;
  r->ngroups = ng;
  return 0;
}

/* Match data able to hold every group of r: *md is replaced when too small.
 * Returns 0 or ERR_NOMEM. */
static int md_fit(struct eval_rt *rt, pcre2_match_data **md, const struct rx *r) {
  if (*md && pcre2_get_ovector_count(*md) >= r->ngroups + 1) return 0;
  if (*md) pcre2_match_data_free(*md);
  *md = pcre2_match_data_create(r->ngroups + 1, NULL);
  return *md ? 0 : err_set(rt->err, ERR_NOMEM, "out of memory");
}

/* One Matcher.find of r in s[0..n) from byte `from`: 1 with the match in
 * md's ovector, 0 when none, or a negative error (rt->err filled). */
static int rx_find(struct eval_rt *rt, const struct rx_state *st, const struct rx *r,
                   pcre2_match_data *md, const char *s, size_t n, size_t from) {
  if (from > n) return 0;
  int rc = pcre2_match(r->code, (PCRE2_SPTR)(n ? s : ""), n, from, 0, md, NULL);
  if (rc >= 0) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[0] > ov[1]) ov[0] = ov[1]; /* \K tricks: keep start <= end */
    return 1;
  }
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  int shown = r->len > 200 ? 200 : (int)r->len;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
    return err_set_at(rt->err, ERR_SQL, st->line, st->column,
                      "%s: the regular expression '%.*s' backtracks too much on a %zu-byte "
                      "value; make it more specific (e.g. avoid nested repetition like (a+)+)",
                      st->fname, shown, r->src, n);
  if (rc == PCRE2_ERROR_NOMEMORY) return err_set(rt->err, ERR_NOMEM, "out of memory in %s", st->fname);
  PCRE2_UCHAR why[256];
  if (pcre2_get_error_message(rc, why, sizeof why) < 0) strcpy((char *)why, "unknown error");
  return err_set_at(rt->err, ERR_SQL, st->line, st->column, "%s: matching '%.*s' failed: %s",
                    st->fname, shown, r->src, (char *)why);
}

/* Where Java's next find starts after the match [b, e). */
static size_t next_from(const char *s, size_t n, size_t b, size_t e) {
  if (e != b) return e;
  e++;
  while (e < n && is_cont((unsigned char)s[e])) e++;
  return e;
}

/* The pattern of row i: the constant one, or the row's (compiled when it
 * differs from the last). 0 or an error. */
static int row_re(struct eval_rt *rt, struct eval_node *nd, struct rx_state *st, uint32_t i,
                  const struct rx **out) {
  if (!st->const_pat) {
    struct sv p = vector_sv(nd->args[1]->res)[i];
    if (!st->re.code || st->re.len != p.len || (p.len && memcmp(st->re.src, p.ptr, p.len))) {
      int rc = rx_build(&st->re, p.ptr, p.len, st, rt->err);
      if (rc) return rc;
    }
  }
  *out = &st->re;
  return 0;
}

static int bad_rep(struct eval_rt *rt, const struct rx_state *st, const char *rep, size_t rn,
                   const char *why) {
  int shown = rn > 200 ? 200 : (int)rn;
  return err_set_at(rt->err, ERR_SQL, st->line, st->column,
                    "%s: invalid replacement string '%.*s': %s (write \\$ for a literal $ and "
                    "\\\\ for a backslash)",
                    st->fname, shown, rep, why);
}

/* Append Java's Matcher.appendReplacement expansion of rep for the match in
 * md over s: $n (the longest group number that exists), ${name}, \x = x. */
static int append_rep(struct eval_rt *rt, const struct rx_state *st, const struct rx *r,
                      pcre2_match_data *md, const char *s, const char *rep, size_t rn,
                      struct buf *out) {
  const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  for (size_t k = 0; k < rn;) {
    char c = rep[k];
    if (c == '\\') {
      if (k + 1 >= rn) return bad_rep(rt, st, rep, rn, "character to be escaped is missing");
      if (buf_putc(out, rep[k + 1])) goto nomem;
      k += 2;
      continue;
    }
    if (c != '$') {
      if (buf_putc(out, c)) goto nomem;
      k++;
      continue;
    }
    k++;
    if (k >= rn) return bad_rep(rt, st, rep, rn, "illegal group reference: group index is missing");
    uint32_t g;
    if (rep[k] == '{') {
      size_t e = k + 1;
      while (e < rn && rep[e] != '}') e++;
      if (e >= rn) return bad_rep(rt, st, rep, rn, "named capturing group is missing trailing '}'");
      char name[64];
      size_t nl = e - k - 1;
      if (nl == 0 || nl >= sizeof name)
        return bad_rep(rt, st, rep, rn, "named capturing group has 0 length name");
      memcpy(name, rep + k + 1, nl);
      name[nl] = 0;
      int num = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
      if (num < 0) return bad_rep(rt, st, rep, rn, "no group with this name");
      g = (uint32_t)num;
      k = e + 1;
    } else if (rep[k] >= '0' && rep[k] <= '9') {
      g = (uint32_t)(rep[k] - '0');
      if (g > r->ngroups) return bad_rep(rt, st, rep, rn, "no such group");
      k++;
      while (k < rn && rep[k] >= '0' && rep[k] <= '9') {
        uint32_t ng = g * 10 + (uint32_t)(rep[k] - '0');
        if (ng > r->ngroups) break;
        g = ng;
        k++;
      }
    } else {
      return bad_rep(rt, st, rep, rn, "illegal group reference");
    }
    if (ov[2 * g] != PCRE2_UNSET && buf_append(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]))
      goto nomem;
  }
  return 0;
nomem:
  return err_set(rt->err, ERR_NOMEM, "out of memory in %s", st->fname);
}

/* Byte offset of code point number cp (0-based) of s[0..n), n when past
 * the end; invalid bytes count as one character each. */
static size_t char_offset(const char *s, size_t n, int64_t cp) {
  size_t b = 0;
  for (int64_t c = 0; c < cp && b < n; c++) {
    b++;
    while (b < n && is_cont((unsigned char)s[b])) b++;
  }
  return b;
}

static int put_elem(struct buf *stream, const char *p, size_t len, uint32_t *count) {
  struct array_elem e;
  memset(&e, 0, sizeof e);
  e.s = sv_make(p, (uint32_t)len);
  (*count)++;
  return array_stream_put(stream, TYPE_STRING, &e);
}

/* Spark's split (UTF8String.split, then Java's Pattern.split with limit;
 * limit <= 0 keeps trailing empty strings since Spark passes -1). */
static int do_split(struct eval_rt *rt, const struct rx_state *st, const struct rx *r,
                    pcre2_match_data *md, const char *s, size_t n, int32_t limit,
                    struct buf *stream, uint32_t *count) {
  if (n && r->len == 0) { /* an empty pattern splits into characters, no trailing '' */
    size_t nch = 0;
    for (size_t b = 0; b < n; b++) nch += !is_cont((unsigned char)s[b]);
    if (limit <= 0 || (size_t)limit > nch) limit = nch > INT32_MAX ? INT32_MAX : (int32_t)nch;
    size_t b = 0;
    for (int32_t k = 0; k < limit - 1; k++) {
      size_t e = b + 1;
      while (e < n && is_cont((unsigned char)s[e])) e++;
      if (put_elem(stream, s + b, e - b, count)) return ERR_NOMEM;
      b = e;
    }
    return put_elem(stream, s + b, n - b, count) ? ERR_NOMEM : 0;
  }
  int limited = limit > 0;
  size_t index = 0, from = 0;
  uint32_t added = 0;
  int rc;
  while ((rc = rx_find(rt, st, r, md, s, n, from)) == 1) {
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t b = ov[0], e = ov[1];
    from = next_from(s, n, b, e);
    if (!limited || added < (uint32_t)limit - 1) {
      if (index == 0 && b == 0 && e == 0) continue; /* no leading '' for an empty match at 0 */
      if (put_elem(stream, s + index, b - index, count)) return ERR_NOMEM;
      added++;
      index = e;
    } else {
      break; /* the rest goes into the last element below */
    }
    if (added >= ARRAY_MAX_COUNT) break;
  }
  if (rc < 0) return rc;
  if (index == 0) { /* no match: the input itself */
    stream->len = 0;
    *count = 0;
    return put_elem(stream, s, n, count) ? ERR_NOMEM : 0;
  }
  return put_elem(stream, s + index, n - index, count) ? ERR_NOMEM : 0;
}

static int group_index_error(struct eval_rt *rt, const struct rx_state *st, uint32_t ngroups,
                             int32_t idx) {
  return err_set_at(rt->err, ERR_SQL, st->line, st->column,
                    "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` "
                    "in `%s` is invalid: Expects group index between 0 and %u, but got %d.",
                    st->fname, ngroups, (int)idx);
}

/* One row of every operation but RLIKE/REPLACE/SPLIT (kept apart for size):
 * s[0..n) valid, pattern r. */
static int row_eval(struct eval_rt *rt, struct eval_node *nd, struct rx_state *st,
                    const struct rx *r, pcre2_match_data *md, uint32_t i, const char *s, size_t n,
                    struct buf *tmp) {
  int rc;
  switch (st->op) {
    case RX_LIKE:
      if ((rc = rx_find(rt, st, r, md, s, n, 0)) < 0) return rc;
      vector_u8(&nd->vec)[i] = (uint8_t)(rc ^ st->negated);
      return 0;
    case RX_COUNT: {
      int32_t cnt = 0;
      size_t from = 0;
      while ((rc = rx_find(rt, st, r, md, s, n, from)) == 1) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        from = next_from(s, n, ov[0], ov[1]);
        cnt++;
      }
      if (rc < 0) return rc;
      vector_i32(&nd->vec)[i] = cnt;
      return 0;
    }
    case RX_SUBSTR: {
      struct sv *o = vector_sv(&nd->vec);
      if ((rc = rx_find(rt, st, r, md, s, n, 0)) < 0) return rc;
      const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
      if (rc == 0 || ov[1] == ov[0]) { /* Spark: nullif(regexp_extract(s, r, 0), '') */
        bitmap_clear(nd->vec.validity, i);
        return 0;
      }
      o[i] = sv_make(s + ov[0], (uint32_t)(ov[1] - ov[0]));
      return 0;
    }
    case RX_EXTRACT:
    case RX_EXTRACT_ALL: {
      int32_t idx = vector_i32(nd->args[2]->res)[i];
      if (idx < 0 || (uint32_t)idx > r->ngroups) return group_index_error(rt, st, r->ngroups, idx);
      struct sv *o = vector_sv(&nd->vec);
      if (st->op == RX_EXTRACT) {
        if ((rc = rx_find(rt, st, r, md, s, n, 0)) < 0) return rc;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (rc == 0 || ov[2 * idx] == PCRE2_UNSET) o[i] = sv_make("", 0);
        else o[i] = sv_make(s + ov[2 * idx], (uint32_t)(ov[2 * idx + 1] - ov[2 * idx]));
        return 0;
      }
      buf_reset(tmp);
      uint32_t cnt = 0;
      size_t from = 0;
      while ((rc = rx_find(rt, st, r, md, s, n, from)) == 1) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        from = next_from(s, n, ov[0], ov[1]);
        int unset = ov[2 * idx] == PCRE2_UNSET;
        if (put_elem(tmp, unset ? "" : s + ov[2 * idx],
                     unset ? 0 : ov[2 * idx + 1] - ov[2 * idx], &cnt))
          return err_set(rt->err, ERR_NOMEM, "out of memory in %s", st->fname);
        if (cnt >= ARRAY_MAX_COUNT)
          return err_set_at(rt->err, ERR_SQL, st->line, st->column,
                            "%s: more than %u matches in one value", st->fname, ARRAY_MAX_COUNT);
      }
      if (rc < 0) return rc;
      if (array_from_stream(&rt->p->heap, tmp->data, tmp->len, cnt, &o[i]))
        return err_set(rt->err, ERR_NOMEM, "out of memory in %s", st->fname);
      return 0;
    }
    case RX_SPLIT: {
      int32_t limit = vector_i32(nd->args[2]->res)[i];
      uint32_t cnt = 0;
      buf_reset(tmp);
      rc = do_split(rt, st, r, md, s, n, limit, tmp, &cnt);
      if (rc == ERR_NOMEM) return err_set(rt->err, ERR_NOMEM, "out of memory in split");
      if (rc) return rc;
      if (array_from_stream(&rt->p->heap, tmp->data ? tmp->data : "", tmp->len, cnt,
                            &vector_sv(&nd->vec)[i]))
        return err_set(rt->err, ERR_NOMEM, "out of memory in split");
      return 0;
    }
    case RX_REPLACE: {
      int32_t pos = vector_i32(nd->args[3]->res)[i];
      struct sv rep = vector_sv(nd->args[2]->res)[i];
      if (pos <= 0)
        return err_set_at(rt->err, ERR_SQL, st->line, st->column,
                          "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] regexp_replace: the `position` "
                          "must be between (0, 2147483647] (current value = %d).",
                          (int)pos);
      size_t off = char_offset(s, n, (int64_t)pos - 1);
      if (pos > 1 && off >= n) { /* Spark: position past the end leaves the string */
        vector_sv(&nd->vec)[i] = sv_make(s, (uint32_t)n);
        return 0;
      }
      /* Java's Matcher.region(off, n): the subject starts at off */
      const char *sub = s + off;
      size_t sn = n - off, last = 0, from = 0;
      buf_reset(tmp);
      if (buf_append(tmp, s, off)) goto nomem;
      while ((rc = rx_find(rt, st, r, md, sub, sn, from)) == 1) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t b = ov[0], e = ov[1];
        if (buf_append(tmp, sub + last, b - last)) goto nomem;
        if ((rc = append_rep(rt, st, r, md, sub, rep.ptr, rep.len, tmp))) return rc;
        last = e;
        from = next_from(sub, sn, b, e);
      }
      if (rc < 0) return rc;
      if (buf_append(tmp, sub + last, sn - last)) goto nomem;
      if (tmp->len > UINT32_MAX) goto nomem;
      char *d = eval_heap_alloc(rt, tmp->len ? tmp->len : 1);
      if (!d) return ERR_NOMEM;
      if (tmp->len) memcpy(d, tmp->data, tmp->len);
      vector_sv(&nd->vec)[i] = sv_make(d, (uint32_t)tmp->len);
      return 0;
    nomem:
      return err_set(rt->err, ERR_NOMEM, "out of memory in regexp_replace");
    }
    default: return err_set(rt->err, ERR_INVAL, "internal error: unknown regex operation");
  }
}

static int k_regex(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  struct rx_state *st = nd->aux;
  eval_valid_args(rt, nd);
  const struct sv *s = vector_sv(nd->args[0]->res);
  pcre2_match_data *md = NULL;
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  int rc = 0;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    const struct rx *r;
    if ((rc = row_re(rt, nd, st, i, &r))) goto out;
    if ((rc = md_fit(rt, &md, r))) goto out;
    if ((rc = row_eval(rt, nd, st, r, md, i, s[i].ptr, s[i].len, &tmp))) goto out;
  });
out:
  if (md) pcre2_match_data_free(md);
  buf_fini(&tmp);
  return rc;
}

static struct rx_state *state_new(struct eval_node *nd, int op, const char *fname) {
  struct rx_state *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->op = op;
  st->fname = fname;
  st->line = nd->e->pos.line;
  st->column = nd->e->pos.column;
  nd->aux = st;
  nd->aux_free = rx_state_free;
  nd->kern = k_regex;
  return st;
}

int eval_regex_rlike_compile(struct eval_node *nd, const char *pat, uint32_t len, int negated,
                             struct err *err) {
  struct rx_state *st = state_new(nd, RX_LIKE, "rlike");
  if (!st) return err_set(err, ERR_NOMEM, "out of memory");
  st->negated = negated != 0;
  st->const_pat = 1;
  return rx_build(&st->re, pat, len, st, err);
}

int eval_regex_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  static const struct {
    enum expr_fn fn;
    int op, nargs;
    const char *name;
    enum type_id res;
  } tab[] = {{FN_RLIKE, RX_LIKE, 2, "rlike", TYPE_BOOLEAN},
             {FN_REGEXP_EXTRACT, RX_EXTRACT, 3, "regexp_extract", TYPE_STRING},
             {FN_REGEXP_EXTRACT_ALL, RX_EXTRACT_ALL, 3, "regexp_extract_all", TYPE_ARRAY},
             {FN_REGEXP_REPLACE, RX_REPLACE, 4, "regexp_replace", TYPE_STRING},
             {FN_REGEXP_COUNT, RX_COUNT, 2, "regexp_count", TYPE_INT},
             {FN_REGEXP_SUBSTR, RX_SUBSTR, 2, "regexp_substr", TYPE_STRING},
             {FN_SPLIT, RX_SPLIT, 3, "split", TYPE_ARRAY}};
  const struct expr *e = nd->e;
  size_t k = 0;
  while (k < sizeof tab / sizeof tab[0] && tab[k].fn != e->u.func.fn) k++;
  if (k == sizeof tab / sizeof tab[0] || nd->nargs != tab[k].nargs || nd->type.id != tab[k].res)
    return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                      "internal error: malformed regular-expression call");
  for (int a = 0; a < nd->nargs; a++) {
    enum type_id want = (a <= 1 || (tab[k].op == RX_REPLACE && a == 2)) ? TYPE_STRING : TYPE_INT;
    if (nd->args[a]->type.id != want && nd->args[a]->type.id != TYPE_NULL)
      return err_set_at(err, ERR_UNSUPPORTED, e->pos.line, e->pos.column,
                        "internal error: argument %d of %s has an unexpected type", a + 1,
                        tab[k].name);
  }
  struct rx_state *st = state_new(nd, tab[k].op, tab[k].name);
  if (!st) return err_set(err, ERR_NOMEM, "out of memory");
  const struct eval_node *pat = nd->args[1];
  if (pat->is_const && !pat->cval.is_null && pat->type.id == TYPE_STRING) {
    st->const_pat = 1;
    return rx_build(&st->re, pat->cval.s, pat->cval.len, st, err);
  }
  return 0;
}
