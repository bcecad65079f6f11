/* eval_str2.c: see eval_str2.h. Every kernel but ELT and ISNAN is strict
 * (the result is NULL where an argument is): it sets the validity from its
 * arguments and computes the valid rows of the selection. Strings are
 * UTF-8; invalid bytes count as one character each, as in eval_str.c. New
 * strings come from the program's per-call heap. */
#include "engine/exec/eval_str2.h"

/* The low-level digests, not EVP: EVP_Digest() links OpenSSL 3's provider
 * framework (about 1.3 MB more resident memory in every kernel, with the
 * static libcrypto), the *_Init/_Update/_Final functions only the hashes. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <math.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/eval_kern.h"
#include "engine/exec/eval_str.h"
#include "engine/vec/numparse.h"

#define ARG(k) (nd->args[k]->res)
#define SV(k, i) (vector_sv(ARG(k))[i])
#define I32(k, i) (vector_i32(ARG(k))[i])
#define I64(k, i) (vector_i64(ARG(k))[i])
#define F64(k, i) (vector_f64(ARG(k))[i])

/* Results longer than this are refused (repeat, format_number...): a
 * query asking for them is a mistake, and it must not take the host down. */
#define STR2_MAX_RESULT ((size_t)1 << 28)

static int too_big(struct eval_rt *rt, const char *fn) {
  return err_set(rt->err, ERR_TOOBIG,
                 "the result of %s() would be larger than %zu MiB; use smaller arguments", fn,
                 STR2_MAX_RESULT >> 20);
}

static inline int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

/* Byte length of the character at p[i] (i < n): a well-formed UTF-8
 * sequence, else 1 (an invalid byte is a character of its own). */
static uint32_t char_len(const char *p, uint32_t n, uint32_t i) {
  unsigned char b = (unsigned char)p[i];
  uint32_t need = b < 0xC0 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : b < 0xF8 ? 3 : 0;
  if (need == 0 || i + need >= n) return 1;
  for (uint32_t k = 1; k <= need; k++)
    if (!is_cont((unsigned char)p[i + k])) return 1;
  return need + 1;
}

/* Code point of the character at p[i] of byte length len (invalid bytes
 * decode as themselves). */
static uint32_t char_cp(const char *p, uint32_t i, uint32_t len) {
  unsigned char b = (unsigned char)p[i];
  if (len == 1) return b;
  uint32_t c = b & (0x3Fu >> (len - 1));
  for (uint32_t k = 1; k < len; k++) c = (c << 6) | ((unsigned char)p[i + k] & 0x3F);
  return c;
}

/* UTF-8 encoding of c into d (4 bytes room); returns the length. */
static uint32_t put_cp(char *d, uint32_t c) {
  if (c < 0x80) {
    d[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    d[0] = (char)(0xC0 | (c >> 6));
    d[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    d[0] = (char)(0xE0 | (c >> 12));
    d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    d[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (c >> 18));
  d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  d[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* ------------------------------------------------------------- strings */

/* initcap: Spark lower-cases the string, then title-cases the first
 * character and every character that follows a space (only ' ' separates
 * words). The case mappings keep each character's byte length. */
static int k_initcap(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    char *d = eval_heap_alloc(rt, s.len + 1);
    if (!d) return ERR_NOMEM;
    eval_str_map_case(s.ptr, s.len, d, 0);
    for (uint32_t j = 0; j < s.len;) {
      uint32_t l = char_len(d, s.len, j);
      if (j == 0 || d[j - 1] == ' ') {
        char tmp[4];
        uint32_t u = eval_str_upper_cp(char_cp(d, j, l));
        if (l > 1 || u < 0x80) {
          if (put_cp(tmp, u) == l) memcpy(d + j, tmp, l);
        }
      }
      j += l;
    }
    o[i] = sv_make(d, s.len);
  });
  return 0;
}

static int k_reverse(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    char *d = eval_heap_alloc(rt, s.len + 1);
    if (!d) return ERR_NOMEM;
    for (uint32_t j = 0; j < s.len;) {
      uint32_t l = char_len(s.ptr, s.len, j);
      memcpy(d + s.len - j - l, s.ptr + j, l);
      j += l;
    }
    o[i] = sv_make(d, s.len);
  });
  return 0;
}

/* ascii: the first character's code point, 0 for ''. */
static int k_ascii(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    o[i] = s.len ? (int32_t)char_cp(s.ptr, 0, char_len(s.ptr, s.len, 0)) : 0;
  });
  return 0;
}

/* chr(n): '' for n < 0, else the character of code point n & 255 (Spark
 * gives U+0000 when that is 0). */
static int k_chr(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int64_t v = I64(0, i);
    if (v < 0) {
      o[i] = sv_make("", 0);
      continue;
    }
    char *d = eval_heap_alloc(rt, 2);
    if (!d) return ERR_NOMEM;
    o[i] = sv_make(d, put_cp(d, (uint32_t)(v & 0xFF)));
  });
  return 0;
}

/* right(s, n): the last n characters; '' for n <= 0. */
static int k_right(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int64_t k = I32(1, i);
    o[i] = k <= 0 ? sv_make("", 0) : eval_str_substr(SV(0, i), -k, k);
  });
  return 0;
}

/* translate(s, from, to): each character of s found in `from` becomes the
 * character at the same position of `to`, or is dropped when `to` is
 * shorter; the first occurrence in `from` wins (Spark's buildDict). */
static int k_translate(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), f = SV(1, i), t = SV(2, i);
    if (f.len == 0 || s.len == 0) {
      o[i] = s;
      continue;
    }
    /* result: each char becomes at most one char of `to` (<= 4 bytes) */
    size_t cap = (size_t)s.len * 4;
    char *d = eval_heap_alloc(rt, cap ? cap : 1), *w = d;
    if (!d) return ERR_NOMEM;
    for (uint32_t j = 0; j < s.len;) {
      uint32_t l = char_len(s.ptr, s.len, j);
      /* find the first char of `from` equal to it, and its index */
      uint32_t fi = 0, idx = 0;
      int found = 0;
      while (fi < f.len) {
        uint32_t fl = char_len(f.ptr, f.len, fi);
        if (fl == l && !memcmp(f.ptr + fi, s.ptr + j, l)) {
          found = 1;
          break;
        }
        fi += fl;
        idx++;
      }
      if (!found) {
        memcpy(w, s.ptr + j, l);
        w += l;
      } else {
        uint32_t ti = 0;
        for (uint32_t k = 0; k < idx && ti < t.len; k++) ti += char_len(t.ptr, t.len, ti);
        if (ti < t.len) {
          uint32_t tl = char_len(t.ptr, t.len, ti);
          memcpy(w, t.ptr + ti, tl);
          w += tl;
        }
      }
      j += l;
    }
    o[i] = sv_make(d, (uint32_t)(w - d));
  });
  return 0;
}

static int k_repeat(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    int64_t k = I32(1, i);
    if (k <= 0 || s.len == 0) {
      o[i] = sv_make("", 0);
      continue;
    }
    if ((uint64_t)s.len * (uint64_t)k > STR2_MAX_RESULT) return too_big(rt, "repeat");
    size_t total = (size_t)s.len * (size_t)k;
    char *d = eval_heap_alloc(rt, total);
    if (!d) return ERR_NOMEM;
    for (int64_t r = 0; r < k; r++) memcpy(d + (size_t)r * s.len, s.ptr, s.len);
    o[i] = sv_make(d, (uint32_t)total);
  });
  return 0;
}

/* octet_length (op 1) and bit_length (op 8): bytes times op. */
static int k_bytelen(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity,
                 { o[i] = (int32_t)((uint32_t)SV(0, i).len * (uint32_t)nd->op); });
  return 0;
}

/* Next occurrence of the delimiter d in s at or after byte `from`; -1. */
static int64_t find_from(struct sv s, struct sv d, uint32_t from) {
  if (d.len == 0) return from;
  if (d.len > s.len) return -1;
  for (uint32_t j = from; j + d.len <= s.len; j++)
    if (s.ptr[j] == d.ptr[0] && !memcmp(s.ptr + j, d.ptr, d.len)) return j;
  return -1;
}

/* split_part(s, delim, k): the k-th piece of s split on delim (an empty
 * delim gives s as the only piece); negative k counts from the end, out
 * of range gives ''; k = 0 is an error in Spark. */
static int k_split_part(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                        uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), d = SV(1, i);
    int64_t k = I32(2, i);
    if (k == 0)
      return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                        "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be "
                        "either < 0 or > 0 (the first element has index 1).");
    if (d.len == 0) {
      o[i] = (k == 1 || k == -1) ? s : sv_make("", 0);
      continue;
    }
    /* count the pieces when counting from the end */
    if (k < 0) {
      int64_t pieces = 1;
      for (int64_t q = find_from(s, d, 0); q >= 0; q = find_from(s, d, (uint32_t)q + d.len))
        pieces++;
      k = pieces + k + 1;
      if (k <= 0) {
        o[i] = sv_make("", 0);
        continue;
      }
    }
    uint32_t start = 0;
    int64_t piece = 1;
    int64_t q = find_from(s, d, 0);
    while (piece < k && q >= 0) {
      start = (uint32_t)q + d.len;
      q = find_from(s, d, start);
      piece++;
    }
    if (piece < k) o[i] = sv_make("", 0);
    else o[i] = sv_make(s.ptr + start, (uint32_t)((q >= 0 ? (uint32_t)q : s.len) - start));
  });
  return 0;
}

/* Last occurrence of d in s starting at or before byte `start`; -1. */
static int64_t rfind_at(struct sv s, struct sv d, int64_t start) {
  if (start > (int64_t)s.len - (int64_t)d.len) start = (int64_t)s.len - (int64_t)d.len;
  for (int64_t j = start; j >= 0; j--)
    if (!memcmp(s.ptr + j, d.ptr, d.len)) return j;
  return -1;
}

/* substring_index(s, delim, count): Spark's UTF8String.subStringIndex --
 * the text before the count-th delim from the left (count > 0) or after
 * the count-th from the right (count < 0); s itself when there are fewer;
 * '' for count 0 or an empty delim. Occurrences may overlap (each search
 * starts one byte after the previous match), as in Spark. */
static int k_substring_index(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                             uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), d = SV(1, i);
    int64_t c = I32(2, i);
    if (c == 0 || d.len == 0 || s.len == 0) {
      o[i] = sv_make("", 0);
      continue;
    }
    if (c > 0) {
      int64_t idx = -1;
      while (c > 0) {
        idx = find_from(s, d, (uint32_t)(idx + 1));
        if (idx < 0) break;
        c--;
      }
      o[i] = idx < 0 ? s : sv_make(s.ptr, (uint32_t)idx);
    } else {
      int64_t idx = (int64_t)s.len - (int64_t)d.len + 1;
      while (c < 0) {
        idx = rfind_at(s, d, idx - 1);
        if (idx < 0) break;
        c++;
      }
      if (idx < 0) o[i] = s;
      else {
        uint32_t from = (uint32_t)idx + d.len;
        o[i] = sv_make(s.ptr + from, s.len - from);
      }
    }
  });
  return 0;
}

/* levenshtein(a, b[, threshold]): edit distance in characters; with a
 * threshold, -1 when the distance exceeds it (Spark 3.5). */
static int k_levenshtein(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  int has_t = nd->nargs > 2;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv a = SV(0, i), b = SV(1, i);
    /* character starts of b, and one DP row over them */
    size_t need = (size_t)(b.len + 1) * 2 * sizeof(uint32_t) + (size_t)(b.len + 1) * sizeof(uint32_t);
    uint32_t *mem = malloc(need ? need : 4);
    if (!mem) return err_set(rt->err, ERR_NOMEM, "out of memory in levenshtein()");
    uint32_t *bs = mem, *prev = mem + b.len + 1, *cur = prev + b.len + 1;
    uint32_t m = 0;
    for (uint32_t j = 0; j < b.len; j += char_len(b.ptr, b.len, j)) bs[m++] = j;
    bs[m] = b.len;
    for (uint32_t j = 0; j <= m; j++) prev[j] = j;
    uint32_t row = 0;
    for (uint32_t p = 0; p < a.len;) {
      uint32_t l = char_len(a.ptr, a.len, p);
      row++;
      cur[0] = row;
      for (uint32_t j = 1; j <= m; j++) {
        uint32_t bl = bs[j] - bs[j - 1];
        uint32_t cost = !(bl == l && !memcmp(a.ptr + p, b.ptr + bs[j - 1], l));
        uint32_t v = prev[j - 1] + cost;
        if (prev[j] + 1 < v) v = prev[j] + 1;
        if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
        cur[j] = v;
      }
      uint32_t *t = prev;
      prev = cur;
      cur = t;
      p += l;
    }
    int64_t dist = prev[m];
    free(mem);
    if (has_t && dist > (int64_t)I32(2, i)) dist = -1;
    o[i] = (int32_t)dist;
  });
  return 0;
}

/* elt(k, s1, s2, ...): s_k; NULL when k is NULL or out of 1..n (ANSI mode
 * raises instead), or when s_k is NULL. Not strict: other inputs may be
 * NULL. */
static int k_elt(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  uint64_t *ov = nd->vec.validity;
  struct sv *o = nd->vec.data;
  const struct vector *kv = ARG(0);
  int cnt = nd->nargs - 1;
  EVAL_FOR_SEL(i, sel, n, {
    int ok = bitmap_get(kv->validity, i);
    int64_t k = ok ? vector_i32(kv)[i] : 0;
    if (ok && (k < 1 || k > cnt)) {
      if (nd->e->ansi && !nd->e->try_eval)
        return err_set_at(rt->err, ERR_SQL, nd->e->pos.line, nd->e->pos.column,
                          "[INVALID_ARRAY_INDEX] The index %lld is out of bounds. The array has "
                          "%d elements. " EVAL_ANSI_HINT,
                          (long long)k, cnt);
      ok = 0;
    }
    if (ok) ok = bitmap_get(ARG(k)->validity, i);
    bitmap_put(ov, i, ok);
    o[i] = ok ? SV(k, i) : sv_make("", 0);
  });
  return 0;
}

/* find_in_set(s, list): 1-based position of s among the comma-separated
 * items of list, 0 when absent or when s contains a comma. */
static int k_find_in_set(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                         uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), l = SV(1, i);
    int32_t r = 0;
    if (s.len == 0 || !memchr(s.ptr, ',', s.len)) {
      uint32_t start = 0;
      int32_t idx = 1;
      for (uint32_t j = 0; j <= l.len; j++) {
        if (j == l.len || l.ptr[j] == ',') {
          if (j - start == s.len && (s.len == 0 || !memcmp(l.ptr + start, s.ptr, s.len))) {
            r = idx;
            break;
          }
          start = j + 1;
          idx++;
        }
      }
    }
    o[i] = r;
  });
  return 0;
}

/* ------------------------------------------------------- format_number */

/* Java's DecimalFormat caps the fraction digits of double and long values
 * at 340 (BigDecimal: no cap, but a bound keeps the result sane). */
#define FMT_MAX_FRAC_DOUBLE 340
#define FMT_MAX_FRAC_DEC 100000

/* Write the value 0.dig * 10^point (dig: nd decimal digits, may be 0 of
 * them) rounded HALF_EVEN to d fraction digits as '#,###,##0.000' into a
 * heap string; a tie in dig is taken as exact (callers of doubles resolve
 * inexact ties before). neg adds a '-' (Java keeps it on a value rounded
 * to zero: -0.001 gives "-0.00"). */
static int fmt_digits(struct eval_rt *rt, int neg, const char *dig, int nd, int point, int d,
                      struct sv *out) {
  int keep = point + d; /* digits of round(value * 10^d) before the carry */
  int tlen = keep > 0 ? keep : 0;
  char *t = malloc((size_t)tlen + 2);
  if (!t) return err_set(rt->err, ERR_NOMEM, "out of memory in format_number()");
  /* t[1..tlen] = kept digits (zero padded), t[0] for the carry */
  t[0] = '0';
  for (int k = 0; k < tlen; k++) t[k + 1] = k < nd ? dig[k] : '0';
  int up = 0;
  if (keep >= 0 && keep < nd) {
    char c = dig[keep];
    int rest = 0;
    for (int k = keep + 1; k < nd && !rest; k++) rest = dig[k] != '0';
    if (c > '5' || (c == '5' && rest)) up = 1;
    else if (c == '5') up = tlen > 0 && ((t[tlen] - '0') & 1); /* HALF_EVEN */
  }
  for (int k = tlen; up && k >= 0; k--) {
    if (t[k] == '9') t[k] = '0';
    else t[k]++, up = 0;
  }
  /* digits of the rounded integer value*10^d, without leading zeros */
  const char *v = t;
  int vl = tlen + 1;
  while (vl > 1 && *v == '0') v++, vl--;
  int il = vl > d ? vl - d : 0; /* integer digits; 0 means "0" */
  size_t cap = (size_t)(neg + (il ? il + il / 3 : 1) + (d ? d + 1 : 0)) + 1;
  char *o = eval_heap_alloc(rt, cap), *w = o;
  if (!o) {
    free(t);
    return ERR_NOMEM;
  }
  if (neg) *w++ = '-';
  if (!il) *w++ = '0';
  for (int k = 0; k < il; k++) {
    if (k && (il - k) % 3 == 0) *w++ = ',';
    *w++ = v[k];
  }
  if (d) {
    *w++ = '.';
    for (int k = 0; k < d; k++) {
      int idx = vl - d + k; /* fraction digit k is v's digit idx, or a leading 0 */
      *w++ = idx >= 0 ? v[idx] : '0';
    }
  }
  free(t);
  *out = sv_make(o, (uint32_t)(w - o));
  return 0;
}

/* Decimal digits of u into dig (at least one digit); returns their count. */
static int u64_digits(uint64_t u, char dig[24]) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + u % 10), u /= 10;
  while (u);
  for (int k = 0; k < n; k++) dig[k] = tmp[n - 1 - k];
  return n;
}

/* A double the way Java's DecimalFormat sees it: the shortest digits that
 * round-trip (Double.toString), except that a tie in those digits is
 * decided by the exact binary value -- which is what printf's correctly
 * rounded %f gives. */
static int fmt_double(struct eval_rt *rt, double x, int d, struct sv *out) {
  if (x != x) {
    *out = sv_make("NaN", 3);
    return 0;
  }
  int neg = signbit(x) != 0;
  if (isinf(x)) {
    *out = neg ? sv_make("-\xE2\x88\x9E", 4) : sv_make("\xE2\x88\x9E", 3);
    return 0;
  }
  if (d > FMT_MAX_FRAC_DOUBLE) d = FMT_MAX_FRAC_DOUBLE;
  struct buf *tmp = &rt->p->tmp;
  buf_reset(tmp);
  if (vector_format_double(fabs(x), tmp) != 0)
    return err_set(rt->err, ERR_NOMEM, "out of memory in format_number()");
  char dig[40];
  int nd = 0, point = -1;
  const char *s = tmp->data, *end = tmp->data + tmp->len;
  for (; s < end && *s != 'E'; s++) {
    if (*s == '.') point = nd;
    else if (nd < 39) dig[nd++] = *s;
  }
  if (point < 0) point = nd;
  if (s < end && *s == 'E') point += atoi(s + 1);
  int keep = point + d;
  int tie = keep >= 0 && keep < nd && dig[keep] == '5';
  for (int k = keep + 1; tie && k < nd; k++) tie = dig[k] == '0';
  if (!tie) return fmt_digits(rt, neg, dig, nd, point, d, out);
  /* at most 309 integer digits, '.', 340 fraction digits */
  char exact[720];
  int len = snprintf(exact, sizeof exact, "%.*f", d, fabs(x));
  if (len <= 0 || len >= (int)sizeof exact)
    return err_set(rt->err, ERR_INVAL, "format_number(): cannot format %g", x);
  char *dot = strchr(exact, '.');
  int ip = dot ? (int)(dot - exact) : len;
  if (dot) memmove(dot, dot + 1, strlen(dot + 1) + 1);
  return fmt_digits(rt, neg, exact, (int)strlen(exact), ip, d, out);
}

static int k_format_number(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                           uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  const struct vector *x = ARG(0);
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int64_t d = I32(1, i);
    if (d < 0) { /* Spark: NULL for a negative number of decimal places */
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    int rc;
    char dig[24];
    switch (x->type.id) {
      case TYPE_DOUBLE: rc = fmt_double(rt, vector_f64(x)[i], (int)d, &o[i]); break;
      case TYPE_INT:
      case TYPE_BIGINT: {
        int64_t v = x->type.id == TYPE_INT ? vector_i32(x)[i] : vector_i64(x)[i];
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        int nd2 = u64_digits(u, dig);
        if (d > FMT_MAX_FRAC_DOUBLE) d = FMT_MAX_FRAC_DOUBLE;
        rc = fmt_digits(rt, v < 0, dig, nd2, nd2, (int)d, &o[i]);
        break;
      }
      default: { /* DECIMAL: unscaled int64 at the type's scale */
        int64_t v = vector_i64(x)[i];
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        int nd2 = u64_digits(u, dig);
        if (d > FMT_MAX_FRAC_DEC) return too_big(rt, "format_number");
        rc = fmt_digits(rt, v < 0, dig, nd2, nd2 - x->type.scale, (int)d, &o[i]);
        break;
      }
    }
    if (rc) return rc;
  });
  return 0;
}

/* ------------------------------------------------ hashes and encodings */

static const char HEXL[] = "0123456789abcdef", HEXU[] = "0123456789ABCDEF";

/* Digest of p[0..n) into h (64 bytes); returns its length, 0 for an
 * unknown kind. kind: 0 md5, 1 sha1, else sha2's bit length (0 = 256). */
static unsigned digest(int kind, const void *p, size_t n, unsigned char *h) {
  switch (kind) {
    case 0: {
      MD5_CTX c;
      MD5_Init(&c);
      MD5_Update(&c, p, n);
      MD5_Final(h, &c);
      return MD5_DIGEST_LENGTH;
    }
    case 1: {
      SHA_CTX c;
      SHA1_Init(&c);
      SHA1_Update(&c, p, n);
      SHA1_Final(h, &c);
      return SHA_DIGEST_LENGTH;
    }
    case 224:
    case 256:
    case 2: { /* 2: sha2 with bits 0 */
      SHA256_CTX c;
      if (kind == 224) SHA224_Init(&c);
      else SHA256_Init(&c);
      SHA256_Update(&c, p, n);
      if (kind == 224) SHA224_Final(h, &c);
      else SHA256_Final(h, &c);
      return kind == 224 ? SHA224_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
    }
    case 384:
    case 512: {
      SHA512_CTX c;
      if (kind == 384) SHA384_Init(&c);
      else SHA512_Init(&c);
      SHA512_Update(&c, p, n);
      if (kind == 384) SHA384_Final(h, &c);
      else SHA512_Final(h, &c);
      return kind == 384 ? SHA384_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;
    }
    default: return 0;
  }
}

/* md5 (op 0), sha1 (op 1), sha2 (op 2, bits in argument 1): the digest of
 * the string's bytes in lower-case hex. sha2 with bits other than 0 (256),
 * 224, 256, 384, 512 is NULL, as in Spark. */
static int k_digest(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int kind = nd->op;
    if (kind == 2) {
      int bits = I32(1, i);
      kind = bits == 0 ? 2 : (bits == 224 || bits == 256 || bits == 384 || bits == 512) ? bits : -1;
    }
    struct sv s = SV(0, i);
    unsigned char h[64];
    unsigned hl = kind < 0 ? 0 : digest(kind, s.len ? s.ptr : "", s.len, h);
    if (!hl) {
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    char *d = eval_heap_alloc(rt, 2 * (size_t)hl);
    if (!d) return ERR_NOMEM;
    for (unsigned k = 0; k < hl; k++) d[2 * k] = HEXL[h[k] >> 4], d[2 * k + 1] = HEXL[h[k] & 15];
    o[i] = sv_make(d, 2 * hl);
  });
  return 0;
}

/* CRC-32 (ISO-HDLC, zlib's and java.util.zip.CRC32's), table-driven. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void crc_init(void) {
  for (uint32_t k = 0; k < 256; k++) {
    uint32_t c = k;
    for (int j = 0; j < 8; j++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[k] = c;
  }
}

static int k_crc32(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int64_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t k = 0; k < s.len; k++) c = crc_table[(c ^ (unsigned char)s.ptr[k]) & 0xFF] ^ (c >> 8);
    o[i] = (int64_t)(c ^ 0xFFFFFFFFu);
  });
  return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64: Spark 3.5 encodes with Java's MIME encoder (its default
 * spark.sql.chunkBase64String.enabled=true): padded, lines of 76
 * characters separated by CRLF, no trailing separator. */
static int k_base64(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    size_t enc = ((size_t)s.len + 2) / 3 * 4;
    size_t total = enc + (enc ? (enc - 1) / 76 * 2 : 0);
    if (total > STR2_MAX_RESULT) return too_big(rt, "base64");
    char *d = eval_heap_alloc(rt, total ? total : 1), *w = d;
    if (!d) return ERR_NOMEM;
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t line = 0;
    for (uint32_t k = 0; k < s.len; k += 3) {
      if (line == 76) *w++ = '\r', *w++ = '\n', line = 0;
      uint32_t v = (uint32_t)p[k] << 16;
      if (k + 1 < s.len) v |= (uint32_t)p[k + 1] << 8;
      if (k + 2 < s.len) v |= p[k + 2];
      *w++ = B64[v >> 18];
      *w++ = B64[(v >> 12) & 63];
      *w++ = k + 1 < s.len ? B64[(v >> 6) & 63] : '=';
      *w++ = k + 2 < s.len ? B64[v & 63] : '=';
      line += 4;
    }
    o[i] = sv_make(d, (uint32_t)(w - d));
  });
  return 0;
}

static int b64_val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* unbase64: Java's MIME decoder -- characters outside the alphabet are
 * skipped, '=' ends the data. A dangling single character (Java throws)
 * gives NULL here. The result is the decoded bytes as a STRING (the engine
 * has no BINARY type). */
static int k_unbase64(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                      uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    char *d = eval_heap_alloc(rt, (size_t)s.len / 4 * 3 + 3), *w = d;
    if (!d) return ERR_NOMEM;
    uint32_t acc = 0;
    int bits = 0, cnt = 0;
    for (uint32_t k = 0; k < s.len && s.ptr[k] != '='; k++) {
      int v = b64_val((unsigned char)s.ptr[k]);
      if (v < 0) continue;
      acc = (acc << 6) | (uint32_t)v;
      bits += 6;
      cnt++;
      if (bits >= 8) {
        bits -= 8;
        *w++ = (char)((acc >> bits) & 0xFF);
      }
    }
    if (cnt % 4 == 1) {
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    o[i] = sv_make(d, (uint32_t)(w - d));
  });
  return 0;
}

/* hex: of a string's bytes (op 0) or of a BIGINT as Java's
 * Long.toHexString (op 1), upper case. */
static int k_hex(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (nd->op == 1) {
      uint64_t u = (uint64_t)I64(0, i);
      char tmp[16];
      int k = 0;
      do tmp[k++] = HEXU[u & 15], u >>= 4;
      while (u);
      char *d = eval_heap_alloc(rt, (size_t)k);
      if (!d) return ERR_NOMEM;
      for (int j = 0; j < k; j++) d[j] = tmp[k - 1 - j];
      o[i] = sv_make(d, (uint32_t)k);
      continue;
    }
    struct sv s = SV(0, i);
    if ((size_t)s.len * 2 > STR2_MAX_RESULT) return too_big(rt, "hex");
    char *d = eval_heap_alloc(rt, (size_t)s.len * 2 + 1);
    if (!d) return ERR_NOMEM;
    for (uint32_t k = 0; k < s.len; k++) {
      unsigned char b = (unsigned char)s.ptr[k];
      d[2 * k] = HEXU[b >> 4];
      d[2 * k + 1] = HEXU[b & 15];
    }
    o[i] = sv_make(d, s.len * 2);
  });
  return 0;
}

static int hex_val(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* unhex: pairs of hex digits to bytes, an odd length as if a '0' led;
 * NULL on any other character (Spark). */
static int k_unhex(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    char *d = eval_heap_alloc(rt, (size_t)s.len / 2 + 1), *w = d;
    if (!d) return ERR_NOMEM;
    uint32_t k = 0;
    int bad = 0;
    if (s.len & 1) {
      int v = hex_val((unsigned char)s.ptr[0]);
      if (v < 0) bad = 1;
      else *w++ = (char)v;
      k = 1;
    }
    for (; !bad && k < s.len; k += 2) { /* an even number remains */
      int hi = hex_val((unsigned char)s.ptr[k]), lo = hex_val((unsigned char)s.ptr[k + 1]);
      if (hi < 0 || lo < 0) bad = 1;
      else *w++ = (char)(hi << 4 | lo);
    }
    if (bad) {
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    o[i] = sv_make(d, (uint32_t)(w - d));
  });
  return 0;
}

/* ------------------------------------------------------------- math */

static int k_signum(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  double *o = nd->vec.data;
  EVAL_FOR_SEL(i, sel, n, {
    double x = F64(0, i);
    o[i] = x > 0 ? 1.0 : x < 0 ? -1.0 : x; /* keeps -0.0 and NaN (Math.signum) */
  });
  return 0;
}

static uint32_t hi_word(double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  return (uint32_t)(u >> 32);
}
static uint32_t lo_word(double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  return (uint32_t)u;
}
static double with_words(uint32_t hi, uint32_t lo) {
  uint64_t u = (uint64_t)hi << 32 | lo;
  double x;
  memcpy(&x, &u, 8);
  return x;
}

/* Java's Math.cbrt is fdlibm's s_cbrt.c (StrictMath); this is that
 * algorithm, so results agree to the bit. glibc's cbrt differs in the last
 * place on some inputs (cbrt(27.0) gives 3.0000000000000004 there). */
static double fdlibm_cbrt(double x) {
  const uint32_t B1 = 715094163, B2 = 696219795;
  const double C = 5.42857142857142815906e-01, D = -7.05306122448979611050e-01,
               E = 1.41428571428571436819e+00, F = 1.60714285714285720630e+00,
               G = 3.57142857142857150787e-01;
  uint32_t hx = hi_word(x), sign = hx & 0x80000000u;
  hx ^= sign;
  if (hx >= 0x7ff00000u) return x + x; /* NaN, infinities */
  if ((hx | lo_word(x)) == 0) return x; /* +-0 */
  x = with_words(hx, lo_word(x));       /* |x| */
  double t, r, s, w;
  if (hx < 0x00100000u) { /* subnormal */
    t = with_words(0x43500000u, 0) * x;
    t = with_words(hi_word(t) / 3 + B2, lo_word(t));
  } else {
    t = with_words(hx / 3 + B1, 0);
  }
  r = t * t / x;
  s = C + r * t;
  t *= G + F / (s + E + D / s);
  t = with_words(hi_word(t) + 1, 0); /* chopped to 20 bits, above cbrt(x) */
  s = t * t;
  r = x / s;
  w = t + t;
  r = (r - t) / (w + r);
  t = t + t * r;
  return with_words(hi_word(t) | sign, lo_word(t));
}

static int k_cbrt(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  double *o = nd->vec.data;
  EVAL_FOR_SEL(i, sel, n, { o[i] = fdlibm_cbrt(F64(0, i)); });
  return 0;
}

/* isnan(x): never NULL; false for NULL. */
static int k_isnan(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_set(nd->vec.validity, rt->nwords);
  uint8_t *o = nd->vec.data;
  const struct vector *x = ARG(0);
  EVAL_FOR_SEL(i, sel, n, {
    double v = vector_f64(x)[i];
    o[i] = (uint8_t)(bitmap_get(x->validity, i) && v != v);
  });
  return 0;
}

static int k_factorial(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  eval_valid_args(rt, nd);
  int64_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    int32_t k = I32(0, i);
    if (k < 0 || k > 20) {
      bitmap_clear(nd->vec.validity, i);
      continue;
    }
    int64_t f = 1;
    for (int32_t j = 2; j <= k; j++) f *= j;
    o[i] = f;
  });
  return 0;
}

/* Shifts and bitwise operators on INT (32-bit) or BIGINT, Java semantics:
 * shift counts masked to the width, results wrap. op: 0 <<, 1 >>, 2 >>>,
 * 3 &, 4 |, 5 ^, 6 ~. */
static int k_bits(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int is32 = nd->type.id == TYPE_INT, op = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    if (is32) {
      uint32_t a = (uint32_t)I32(0, i), r;
      uint32_t b = nd->nargs > 1 ? (uint32_t)I32(1, i) : 0;
      switch (op) {
        case 0: r = a << (b & 31); break;
        case 1: r = (uint32_t)((int32_t)a >> (b & 31)); break;
        case 2: r = a >> (b & 31); break;
        case 3: r = a & b; break;
        case 4: r = a | b; break;
        case 5: r = a ^ b; break;
        default: r = ~a; break;
      }
      vector_i32(&nd->vec)[i] = (int32_t)r;
    } else {
      uint64_t a = (uint64_t)I64(0, i), r;
      /* shift counts are INT; the bit operators take two BIGINTs */
      uint64_t b = nd->nargs < 2 ? 0 : op <= 2 ? (uint64_t)(uint32_t)I32(1, i) : (uint64_t)I64(1, i);
      switch (op) {
        case 0: r = a << (b & 63); break;
        case 1: r = (uint64_t)((int64_t)a >> (b & 63)); break;
        case 2: r = a >> (b & 63); break;
        case 3: r = a & b; break;
        case 4: r = a | b; break;
        case 5: r = a ^ b; break;
        default: r = ~a; break;
      }
      vector_i64(&nd->vec)[i] = (int64_t)r;
    }
  });
  return 0;
}

/* ------------------------------------------------------------ compile */

int eval_str2_owns(int fn) { return fn >= FN_INITCAP && fn <= FN_BITNOT; }

/* Argument a must have type id t (the analyzer's contract). */
static int arg_is(const struct eval_node *nd, int a, enum type_id t) {
  return a < nd->nargs && nd->args[a]->type.id == t;
}

int eval_str2_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  enum expr_fn fn = nd->e->u.func.fn;
  int ok = 1, all_s = 1;
  for (int a = 0; a < nd->nargs; a++) all_s &= nd->args[a]->type.id == TYPE_STRING;
  switch (fn) {
    case FN_INITCAP: ok = nd->nargs == 1 && all_s; nd->kern = k_initcap; break;
    case FN_REVERSE: ok = nd->nargs == 1 && all_s; nd->kern = k_reverse; break;
    case FN_ASCII: ok = nd->nargs == 1 && all_s; nd->kern = k_ascii; break;
    case FN_CHR: ok = nd->nargs == 1 && arg_is(nd, 0, TYPE_BIGINT); nd->kern = k_chr; break;
    case FN_RIGHT:
      ok = nd->nargs == 2 && arg_is(nd, 0, TYPE_STRING) && arg_is(nd, 1, TYPE_INT);
      nd->kern = k_right;
      break;
    case FN_TRANSLATE: ok = nd->nargs == 3 && all_s; nd->kern = k_translate; break;
    case FN_REPEAT:
      ok = nd->nargs == 2 && arg_is(nd, 0, TYPE_STRING) && arg_is(nd, 1, TYPE_INT);
      nd->kern = k_repeat;
      break;
    case FN_OCTET_LENGTH:
    case FN_BIT_LENGTH:
      ok = nd->nargs == 1 && all_s;
      nd->op = fn == FN_BIT_LENGTH ? 8 : 1;
      nd->kern = k_bytelen;
      break;
    case FN_FORMAT_NUMBER: {
      enum type_id t = nd->nargs == 2 ? nd->args[0]->type.id : TYPE_NULL;
      ok = nd->nargs == 2 && arg_is(nd, 1, TYPE_INT) &&
           (t == TYPE_DOUBLE || t == TYPE_INT || t == TYPE_BIGINT || t == TYPE_DECIMAL);
      nd->kern = k_format_number;
      break;
    }
    case FN_MD5:
    case FN_SHA1:
      ok = nd->nargs == 1 && all_s;
      nd->op = fn == FN_SHA1;
      nd->kern = k_digest;
      break;
    case FN_SHA2:
      ok = nd->nargs == 2 && arg_is(nd, 0, TYPE_STRING) && arg_is(nd, 1, TYPE_INT);
      nd->op = 2;
      nd->kern = k_digest;
      break;
    case FN_CRC32:
      ok = nd->nargs == 1 && all_s;
      pthread_once(&crc_once, crc_init);
      nd->kern = k_crc32;
      break;
    case FN_BASE64: ok = nd->nargs == 1 && all_s; nd->kern = k_base64; break;
    case FN_UNBASE64: ok = nd->nargs == 1 && all_s; nd->kern = k_unbase64; break;
    case FN_HEX:
      ok = nd->nargs == 1 && (all_s || arg_is(nd, 0, TYPE_BIGINT));
      nd->op = !all_s;
      nd->kern = k_hex;
      break;
    case FN_UNHEX: ok = nd->nargs == 1 && all_s; nd->kern = k_unhex; break;
    case FN_SPLIT_PART:
    case FN_SUBSTRING_INDEX:
      ok = nd->nargs == 3 && arg_is(nd, 0, TYPE_STRING) && arg_is(nd, 1, TYPE_STRING) &&
           arg_is(nd, 2, TYPE_INT);
      nd->kern = fn == FN_SPLIT_PART ? k_split_part : k_substring_index;
      break;
    case FN_LEVENSHTEIN:
      ok = (nd->nargs == 2 || (nd->nargs == 3 && arg_is(nd, 2, TYPE_INT))) &&
           arg_is(nd, 0, TYPE_STRING) && arg_is(nd, 1, TYPE_STRING);
      nd->kern = k_levenshtein;
      break;
    case FN_ELT:
      ok = nd->nargs >= 2 && arg_is(nd, 0, TYPE_INT);
      for (int a = 1; ok && a < nd->nargs; a++) ok = arg_is(nd, a, TYPE_STRING);
      nd->kern = k_elt;
      break;
    case FN_FIND_IN_SET: ok = nd->nargs == 2 && all_s; nd->kern = k_find_in_set; break;
    case FN_SIGNUM: ok = nd->nargs == 1 && arg_is(nd, 0, TYPE_DOUBLE); nd->kern = k_signum; break;
    case FN_CBRT: ok = nd->nargs == 1 && arg_is(nd, 0, TYPE_DOUBLE); nd->kern = k_cbrt; break;
    case FN_ISNAN: ok = nd->nargs == 1 && arg_is(nd, 0, TYPE_DOUBLE); nd->kern = k_isnan; break;
    case FN_FACTORIAL:
      ok = nd->nargs == 1 && arg_is(nd, 0, TYPE_INT);
      nd->kern = k_factorial;
      break;
    case FN_BROUND: {
      ok = nd->nargs == 2 && nd->args[1]->is_const && arg_is(nd, 1, TYPE_INT);
      if (!ok) break;
      if (nd->args[1]->cval.is_null) {
        nd->kern = k_bits; /* never reached: the analyzer folds a NULL scale */
        return err_set(err, ERR_UNSUPPORTED, "bround() with a NULL scale");
      }
      int64_t d = nd->args[1]->cval.i;
      nd->ival = d > 1000 ? 1000 : d < -1000 ? -1000 : d;
      enum type_id t = nd->args[0]->type.id;
      ok = t == TYPE_DECIMAL ? nd->type.id == TYPE_DECIMAL
                             : (t == TYPE_DOUBLE || t == TYPE_INT || t == TYPE_BIGINT) &&
                                   t == nd->type.id;
      nd->op = 1; /* HALF_EVEN */
      nd->kern = eval_kern_round;
      break;
    }
    case FN_SHIFTLEFT:
    case FN_SHIFTRIGHT:
    case FN_SHIFTRIGHTUNSIGNED:
      ok = nd->nargs == 2 && arg_is(nd, 1, TYPE_INT) &&
           (arg_is(nd, 0, TYPE_INT) || arg_is(nd, 0, TYPE_BIGINT)) &&
           nd->type.id == nd->args[0]->type.id;
      nd->op = fn == FN_SHIFTLEFT ? 0 : fn == FN_SHIFTRIGHT ? 1 : 2;
      nd->kern = k_bits;
      break;
    case FN_BITAND:
    case FN_BITOR:
    case FN_BITXOR:
    case FN_BITNOT: {
      int na = fn == FN_BITNOT ? 1 : 2;
      ok = nd->nargs == na && (nd->type.id == TYPE_INT || nd->type.id == TYPE_BIGINT);
      for (int a = 0; ok && a < na; a++) ok = nd->args[a]->type.id == nd->type.id;
      nd->op = fn == FN_BITAND ? 3 : fn == FN_BITOR ? 4 : fn == FN_BITXOR ? 5 : 6;
      nd->kern = k_bits;
      break;
    }
    default: ok = 0;
  }
  if (!ok)
    return err_set_at(err, ERR_INVAL, nd->e->pos.line, nd->e->pos.column,
                      "internal error: %s() with arguments the evaluator does not expect",
                      expr_fn_name(fn));
  return 0;
}
