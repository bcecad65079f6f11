/* numparse.c: hand-written number parsers (see numparse.h).
 *
 * Why by hand: strtod/strtoll need NUL-terminated input (the CSV reader points
 * into a memory-mapped file), honour the process locale, and accept forms the
 * JVM rejects ("inf", "0x1p3", leading spaces for integers). Doubles fall back
 * to strtod_l for the cases the fast path cannot round exactly. */
#include "engine/vec/numparse.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const int64_t pow10_i64[19] = {1LL,
                                      10LL,
                                      100LL,
                                      1000LL,
                                      10000LL,
                                      100000LL,
                                      1000000LL,
                                      10000000LL,
                                      100000000LL,
                                      1000000000LL,
                                      10000000000LL,
                                      100000000000LL,
                                      1000000000000LL,
                                      10000000000000LL,
                                      100000000000000LL,
                                      1000000000000000LL,
                                      10000000000000000LL,
                                      100000000000000000LL,
                                      1000000000000000000LL};

static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int64_t numparse_pow10(int k) { return (k >= 0 && k <= 18) ? pow10_i64[k] : 0; }

int numparse_i64(const char *p, size_t n, int64_t *out) {
  const char *e = p + n;
  int neg = 0;
  if (p < e && (*p == '-' || *p == '+')) {
    neg = *p == '-';
    p++;
  }
  if (p == e) return -1;
  uint64_t v = 0;
  /* Up to 18 digits cannot overflow uint64; check only past that. */
  size_t nd = (size_t)(e - p);
  if (nd <= 18) {
    for (; p < e; p++) {
      unsigned d = (unsigned)(unsigned char)*p - '0';
      if (d > 9) return -1;
      v = v * 10 + d;
    }
  } else {
    for (; p < e; p++) {
      unsigned d = (unsigned)(unsigned char)*p - '0';
      if (d > 9) return -1;
      if (v > (UINT64_MAX - d) / 10) return -1;
      v = v * 10 + d;
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg) return -1;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int numparse_i32(const char *p, size_t n, int32_t *out) {
  int64_t v;
  if (n > 12 || numparse_i64(p, n, &v) != 0) return -1;
  if (v < INT32_MIN || v > INT32_MAX) return -1;
  *out = (int32_t)v;
  return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* strtod on a bounded copy; the text was already validated by the caller. */
static int slow_double(const char *p, size_t n, double *out) {
  char stack[128];
  char *tmp = n < sizeof stack ? stack : malloc(n + 1);
  if (!tmp) return -1;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  pthread_once(&c_locale_once, c_locale_init);
  char *end;
  double v = c_locale ? strtod_l(tmp, &end, c_locale) : strtod(tmp, &end);
  int ok = end != tmp;
  if (tmp != stack) free(tmp);
  if (!ok) return -1;
  *out = v;
  return 0;
}

static int is_jvm_space(char c) { return (unsigned char)c <= ' '; }

int numparse_double(const char *p, size_t n, double *out) {
  const char *e = p + n;
  while (p < e && is_jvm_space(*p)) p++;
  while (e > p && is_jvm_space(e[-1])) e--;
  if (p == e) return -1;
  const char *start = p;
  int neg = 0;
  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    p++;
  }
  if (p == e) return -1;
  if (*p == 'N' || *p == 'I') {
    if ((size_t)(e - p) == 3 && memcmp(p, "NaN", 3) == 0) {
      *out = NAN;
      return 0;
    }
    if ((size_t)(e - p) == 8 && memcmp(p, "Infinity", 8) == 0) {
      *out = neg ? -INFINITY : INFINITY;
      return 0;
    }
    return -1;
  }
  /* A type suffix is allowed and ignored. */
  if (e[-1] == 'd' || e[-1] == 'D' || e[-1] == 'f' || e[-1] == 'F') e--;
  uint64_t mant = 0;
  int sig = 0;       /* significant digits accumulated into mant */
  int dropped = 0;   /* integer digits that did not fit in mant */
  int frac_sig = 0;  /* fraction digits accumulated */
  int nint = 0, nfrac = 0;
  int inexact = 0;   /* nonzero digits dropped: needs the slow path */
  for (; p < e && (unsigned)(*p - '0') <= 9; p++, nint++) {
    unsigned d = (unsigned)(*p - '0');
    if (sig < 19) {
      if (mant || d) {
        mant = mant * 10 + d;
        sig++;
      }
    } else {
      dropped++;
      if (d) inexact = 1;
    }
  }
  if (p < e && *p == '.') {
    p++;
    for (; p < e && (unsigned)(*p - '0') <= 9; p++, nfrac++) {
      unsigned d = (unsigned)(*p - '0');
      if (sig < 19) {
        if (mant || d) {
          mant = mant * 10 + d;
          sig++;
        }
        frac_sig++;
      } else if (d) {
        inexact = 1;
      }
    }
  }
  if (nint + nfrac == 0) return -1;
  int64_t exp10 = 0;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = 0;
    if (p < e && (*p == '-' || *p == '+')) {
      eneg = *p == '-';
      p++;
    }
    if (p == e) return -1;
    for (; p < e && (unsigned)(*p - '0') <= 9; p++) {
      if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
    }
    if (eneg) exp10 = -exp10;
  }
  if (p != e) return -1;
  /* value = mant * 10^(exp10 + dropped - frac_sig) */
  int64_t scale = exp10 + dropped - frac_sig;
  if (!inexact && mant <= ((uint64_t)1 << 53)) {
    double v = (double)mant;
    if (mant == 0) {
      *out = neg ? -0.0 : 0.0;
      return 0;
    }
    if (scale >= 0 && scale <= 22) {
      v *= pow10_dbl[scale];
      *out = neg ? -v : v;
      return 0;
    }
    if (scale < 0 && scale >= -22) {
      v /= pow10_dbl[-scale];
      *out = neg ? -v : v;
      return 0;
    }
  }
  return slow_double(start, (size_t)(e - start), out);
}

int numparse_decimal(const char *p, size_t n, int precision, int scale, int64_t *out) {
  const char *e = p + n;
  if (precision < 1 || precision > 18 || scale < 0 || scale > precision) return -1;
  if (p == e) return -1;
  int neg = 0;
  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    p++;
  }
  const char *ds = p;
  while (p < e && (unsigned)(*p - '0') <= 9) p++;
  const char *de = p;
  const char *fs = NULL, *fe = NULL;
  if (p < e && *p == '.') {
    p++;
    fs = p;
    while (p < e && (unsigned)(*p - '0') <= 9) p++;
    fe = p;
  }
  if (de == ds && (!fs || fe == fs)) return -1;
  int64_t exp10 = 0;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = 0;
    if (p < e && (*p == '-' || *p == '+')) {
      eneg = *p == '-';
      p++;
    }
    if (p == e) return -1;
    for (; p < e && (unsigned)(*p - '0') <= 9; p++)
      if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
    if (eneg) exp10 = -exp10;
  }
  if (p != e) return -1;
  /* Digit string D (integer digits then fraction digits); the value is
   * D * 10^(exp10 - nfrac). We want round_half_up(D * 10^shift) with
   * shift = exp10 - nfrac + scale. */
  int64_t nfrac = fs ? (int64_t)(fe - fs) : 0;
  int64_t shift = exp10 - nfrac + scale;
  uint64_t v = 0;
  const uint64_t limit = (uint64_t)pow10_i64[precision];
  int ndig = (int)((de - ds) + nfrac);
  int seen_nonzero = 0;
  /* Number of digits of D that contribute to the integer part after shift. */
  int64_t keep = (int64_t)ndig + shift;
  int round_digit = -1;
  for (int i = 0; i < ndig; i++) {
    char c = i < (de - ds) ? ds[i] : fs[i - (de - ds)];
    unsigned d = (unsigned)(c - '0');
    if (i < keep) {
      if (d) seen_nonzero = 1;
      if (seen_nonzero) {
        v = v * 10 + d;
        if (v >= limit) return -1;
      }
    } else {
      /* Only the first dropped digit decides; when keep < 0 that digit is an
       * implied leading zero and the value rounds to 0. */
      if (i == keep) round_digit = (int)d;
      break;
    }
  }
  /* Trailing zeros implied by a positive shift beyond the digit string. */
  if (keep > ndig) {
    for (int64_t i = ndig; i < keep; i++) {
      if (v) {
        v *= 10;
        if (v >= limit) return -1;
      }
    }
  }
  if (round_digit >= 5) {
    v++;
    if (v >= limit) return -1;
  }
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

int numparse_bool(const char *p, size_t n, int *out) {
  if (n == 4 && (p[0] | 32) == 't' && (p[1] | 32) == 'r' && (p[2] | 32) == 'u' &&
      (p[3] | 32) == 'e') {
    *out = 1;
    return 0;
  }
  if (n == 5 && (p[0] | 32) == 'f' && (p[1] | 32) == 'a' && (p[2] | 32) == 'l' &&
      (p[3] | 32) == 's' && (p[4] | 32) == 'e') {
    *out = 0;
    return 0;
  }
  return -1;
}
