/* datetime.c: proleptic Gregorian calendar math, Spark's lenient date and
 * timestamp grammars, and compiled datetime patterns (see datetime.h). */
#include "engine/vec/datetime.h"

#include <string.h>

int datetime_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int datetime_days_in_month(int64_t y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && datetime_is_leap(y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil: eras of 400 years, March-based years so
 * that the leap day is the last day of the year. */
int64_t datetime_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (m + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void datetime_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yy + (*m <= 2);
}

int32_t datetime_add_months(int32_t days, int32_t months) {
  int64_t y;
  int m, d;
  datetime_civil_from_days(days, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months;
  int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  int nm = (int)(total - ny * 12) + 1;
  int dim = datetime_days_in_month(ny, nm);
  if (d > dim) d = dim;
  return (int32_t)datetime_days_from_civil(ny, nm, d);
}

void datetime_split_ts(int64_t us, int64_t *days, int64_t *us_of_day) {
  int64_t dd = us / DATETIME_US_PER_DAY, r = us % DATETIME_US_PER_DAY;
  if (r < 0) {
    r += DATETIME_US_PER_DAY;
    dd--;
  }
  *days = dd;
  *us_of_day = r;
}

static int dig(char c) { return (unsigned)(c - '0') <= 9; }

static int make_days(int64_t y, int m, int d, int32_t *days) {
  if (y < DATETIME_MIN_YEAR || y > DATETIME_MAX_YEAR || m < 1 || m > 12 || d < 1 ||
      d > datetime_days_in_month(y, m))
    return -1;
  *days = (int32_t)datetime_days_from_civil(y, m, d);
  return 0;
}

int datetime_parse_date_iso(const char *p, size_t n, int32_t *days) {
  if (n != 10 || p[4] != '-' || p[7] != '-' || !dig(p[0]) || !dig(p[1]) || !dig(p[2]) ||
      !dig(p[3]) || !dig(p[5]) || !dig(p[6]) || !dig(p[8]) || !dig(p[9]))
    return -1;
  int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  int m = (p[5] - '0') * 10 + (p[6] - '0');
  int d = (p[8] - '0') * 10 + (p[9] - '0');
  if (m < 1 || m > 12 || d < 1 || (d > 28 && d > datetime_days_in_month(y, m))) return -1;
  *days = (int32_t)datetime_days_from_civil(y, m, d);
  return 0;
}

static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void trim(const char **p, const char **e) {
  while (*p < *e && is_space(**p)) (*p)++;
  while (*e > *p && is_space((*e)[-1])) (*e)--;
}

/* Read between lo and hi digits into *v; returns the count or -1. */
static int read_digits(const char **pp, const char *e, int lo, int hi, int64_t *v) {
  const char *p = *pp;
  int64_t x = 0;
  int k = 0;
  while (p < e && k < hi && dig(*p)) {
    x = x * 10 + (*p - '0');
    p++;
    k++;
  }
  if (k < lo) return -1;
  *v = x;
  *pp = p;
  return k;
}

/* [+-]yyyy[-[m]m[-[d]d]] with 4..7 year digits; leaves *pp after the day. */
static int parse_ymd(const char **pp, const char *e, int64_t *y, int *m, int *d) {
  const char *p = *pp;
  int neg = 0;
  if (p < e && (*p == '+' || *p == '-')) {
    neg = *p == '-';
    p++;
  }
  int64_t v;
  if (read_digits(&p, e, 4, 7, &v) < 0) return -1;
  if (p < e && dig(*p)) return -1;
  *y = neg ? -v : v;
  *m = 1;
  *d = 1;
  if (p < e && *p == '-') {
    p++;
    if (read_digits(&p, e, 1, 2, &v) < 0) return -1;
    *m = (int)v;
    if (p < e && *p == '-') {
      p++;
      if (read_digits(&p, e, 1, 2, &v) < 0) return -1;
      *d = (int)v;
    } else if (p < e) {
      return -1;
    }
  } else if (p < e) {
    return -1;
  }
  *pp = p;
  return 0;
}

int datetime_parse_date(const char *p, size_t n, int32_t *days) {
  const char *e = p + n;
  trim(&p, &e);
  if (p == e) return -1;
  if (e - p == 10 && datetime_parse_date_iso(p, 10, days) == 0) return 0;
  /* stringToDate allows anything after the day once a ' ' or 'T' follows. */
  const char *cut = p;
  while (cut < e && *cut != ' ' && *cut != 'T') cut++;
  int64_t y;
  int m, d;
  const char *q = p;
  if (parse_ymd(&q, cut, &y, &m, &d) != 0 || q != cut) return -1;
  if (cut < e) {
    /* A time part may only follow a full y-m-d. */
    int dashes = 0;
    for (const char *r = p + 1; r < cut; r++) dashes += *r == '-';
    if (dashes < 2) return -1;
  }
  return make_days(y, m, d, days);
}

/* Zone suffix: Z, UTC, GMT, UT, [GMT|UTC|UT]+h[h][[:]mm], +hh:mm:ss not
 * supported. Returns the offset in seconds east of UTC, or -1 on error via
 * *ok = 0. */
static int64_t parse_zone(const char *p, const char *e, int *ok) {
  *ok = 0;
  while (p < e && *p == ' ') p++;
  if (p == e) {
    *ok = 1;
    return 0;
  }
  if (e - p == 1 && (*p == 'Z' || *p == 'z')) {
    *ok = 1;
    return 0;
  }
  if (e - p >= 3 && (memcmp(p, "UTC", 3) == 0 || memcmp(p, "GMT", 3) == 0)) p += 3;
  else if (e - p >= 2 && memcmp(p, "UT", 2) == 0) p += 2;
  if (p == e) {
    *ok = 1;
    return 0;
  }
  if (*p != '+' && *p != '-') return 0;
  int neg = *p == '-';
  p++;
  int64_t hh, mm = 0;
  if (read_digits(&p, e, 1, 2, &hh) < 0) return 0;
  if (p < e && *p == ':') p++;
  if (p < e) {
    if (read_digits(&p, e, 2, 2, &mm) < 0) return 0;
  }
  if (p != e || hh > 18 || mm > 59) return 0;
  *ok = 1;
  int64_t s = hh * 3600 + mm * 60;
  return neg ? -s : s;
}

int datetime_parse_timestamp(const char *p, size_t n, int64_t *us) {
  const char *e = p + n;
  trim(&p, &e);
  if (p == e) return -1;
  int64_t y;
  int m, d;
  const char *cut = p;
  while (cut < e && *cut != ' ' && *cut != 'T') cut++;
  const char *q = p;
  if (parse_ymd(&q, cut, &y, &m, &d) != 0 || q != cut) return -1;
  int32_t days;
  if (make_days(y, m, d, &days) != 0) return -1;
  int64_t hh = 0, mi = 0, ss = 0, frac = 0;
  const char *zone = e;
  if (cut < e) {
    int dashes = 0;
    for (const char *r = p + 1; r < cut; r++) dashes += *r == '-';
    if (dashes < 2) return -1;
    q = cut + 1;
    if (q == e) goto done; /* "yyyy-mm-dd " is a valid date-only form */
    if (read_digits(&q, e, 1, 2, &hh) < 0) return -1;
    if (q < e && *q == ':') {
      q++;
      if (read_digits(&q, e, 1, 2, &mi) < 0) return -1;
      if (q < e && *q == ':') {
        q++;
        if (read_digits(&q, e, 1, 2, &ss) < 0) return -1;
        if (q < e && *q == '.') {
          q++;
          int k = 0;
          while (q < e && dig(*q)) {
            if (k < 6) frac = frac * 10 + (*q - '0');
            k++;
            q++;
          }
          if (k == 0 || k > 9) return -1;
          while (k < 6) {
            frac *= 10;
            k++;
          }
        }
      }
    }
    zone = q;
  }
done:;
  if (hh > 23 || mi > 59 || ss > 59) return -1;
  int ok;
  int64_t off = parse_zone(zone, e, &ok);
  if (!ok) return -1;
  *us = (int64_t)days * DATETIME_US_PER_DAY + ((hh * 60 + mi) * 60 + ss - off) * 1000000 + frac;
  return 0;
}

static size_t put_int(char *out, int64_t v, int width) {
  char tmp[24];
  int k = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[k++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (k < width) tmp[k++] = '0';
  size_t n = 0;
  if (v < 0) out[n++] = '-';
  while (k) out[n++] = tmp[--k];
  return n;
}

size_t datetime_format_date(int32_t days, char *out) {
  int64_t y;
  int m, d;
  datetime_civil_from_days(days, &y, &m, &d);
  size_t n = 0;
  if (y > 9999) out[n++] = '+';
  n += put_int(out + n, y, 4);
  out[n++] = '-';
  out[n++] = (char)('0' + m / 10);
  out[n++] = (char)('0' + m % 10);
  out[n++] = '-';
  out[n++] = (char)('0' + d / 10);
  out[n++] = (char)('0' + d % 10);
  out[n] = '\0';
  return n;
}

size_t datetime_format_timestamp(int64_t us, char *out) {
  int64_t days, rem;
  datetime_split_ts(us, &days, &rem);
  size_t n = datetime_format_date((int32_t)days, out);
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  int hh = (int)(secs / 3600), mi = (int)(secs / 60 % 60), ss = (int)(secs % 60);
  out[n++] = ' ';
  out[n++] = (char)('0' + hh / 10);
  out[n++] = (char)('0' + hh % 10);
  out[n++] = ':';
  out[n++] = (char)('0' + mi / 10);
  out[n++] = (char)('0' + mi % 10);
  out[n++] = ':';
  out[n++] = (char)('0' + ss / 10);
  out[n++] = (char)('0' + ss % 10);
  if (frac) {
    char f[7];
    for (int i = 5; i >= 0; i--) {
      f[i] = (char)('0' + frac % 10);
      frac /= 10;
    }
    int k = 6;
    while (f[k - 1] == '0') k--;
    out[n++] = '.';
    memcpy(out + n, f, (size_t)k);
    n += (size_t)k;
  }
  out[n] = '\0';
  return n;
}

/* ---- compiled patterns ---- */

enum {
  TK_LIT,
  TK_YEAR,
  TK_MONTH,
  TK_DAY,
  TK_HOUR24,
  TK_HOUR12,
  TK_MIN,
  TK_SEC,
  TK_FRAC,
  TK_AMPM,
  TK_DOW,
  TK_ZONE_X, /* X / XXX: Z or +hh[:mm] */
  TK_ZONE_Z, /* Z: +hhmm */
  TK_OPT_BEGIN,
  TK_OPT_END,
  /* formatting only (keep them last: kind >= TK_DOY): text with them never parses */
  TK_DOY,       /* D: day of year */
  TK_QUARTER,   /* Q / q: 2, 02, Q2, 2nd quarter */
  TK_HOUR_K24,  /* k: clock hour of day, 1-24 */
  TK_HOUR_K12,  /* K: hour of am/pm, 0-11 */
  TK_ERA,       /* G: AD / BC */
  TK_ZONE_NAME, /* z / V / O: the session zone (UTC) by name */
};

static int add_tok(struct datetime_fmt *f, int kind, int width, char lit, struct err *e) {
  if (f->ntok >= DATETIME_FMT_MAX)
    return err_set(e, ERR_TOOBIG, "datetime pattern is too long (max %d elements)",
                   DATETIME_FMT_MAX);
  struct datetime_fmt_tok *t = &f->tok[f->ntok++];
  t->kind = (uint8_t)kind;
  t->width = (uint8_t)(width > 255 ? 255 : width);
  t->lit = lit;
  t->match = 0;
  return 0;
}

int datetime_fmt_compile(struct datetime_fmt *f, const char *pat, struct err *e) {
  memset(f, 0, sizeof *f);
  int stack[8], depth = 0, rc;
  for (const char *p = pat; *p;) {
    char c = *p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      int w = 0;
      while (p[w] == c) w++;
      int kind;
      switch (c) {
        case 'y': case 'u': kind = TK_YEAR; break;
        case 'M': case 'L': kind = TK_MONTH; break;
        case 'd': kind = TK_DAY; break;
        case 'H': kind = TK_HOUR24; break;
        case 'h': kind = TK_HOUR12; break;
        case 'm': kind = TK_MIN; break;
        case 's': kind = TK_SEC; break;
        case 'S': kind = TK_FRAC; break;
        case 'a': kind = TK_AMPM; break;
        case 'E': kind = TK_DOW; break;
        case 'X': case 'x': kind = TK_ZONE_X; break;
        case 'Z': kind = TK_ZONE_Z; break;
        case 'D': kind = TK_DOY; break;
        case 'Q': case 'q': kind = TK_QUARTER; break;
        case 'k': kind = TK_HOUR_K24; break;
        case 'K': kind = TK_HOUR_K12; break;
        case 'G': kind = TK_ERA; break;
        case 'z': case 'V': case 'O': kind = TK_ZONE_NAME; break;
        default:
          return err_set(e, ERR_UNSUPPORTED, "unsupported datetime pattern letter '%c' in \"%s\"",
                         c, pat);
      }
      if ((kind == TK_FRAC && w > 9) || (kind != TK_FRAC && kind != TK_YEAR && kind != TK_MONTH &&
                                         kind != TK_DOW && kind != TK_QUARTER &&
                                         kind != TK_ERA && kind != TK_ZONE_NAME && w > 3) ||
          ((kind == TK_MONTH || kind == TK_QUARTER || kind == TK_ZONE_NAME) && w > 4) ||
          (kind == TK_ERA && w > 5) || ((kind == TK_HOUR_K24 || kind == TK_HOUR_K12) && w > 2))
        return err_set(e, ERR_INVAL, "too many pattern letters '%c' in \"%s\"", c, pat);
      /* formatting-only letters keep their letter (z/V/O differ; messages) */
      if ((rc = add_tok(f, kind, w, kind >= TK_DOY ? c : 0, e)) != 0) return rc;
      p += w;
    } else if (c == '\'') {
      p++;
      if (*p == '\'') {
        if ((rc = add_tok(f, TK_LIT, 1, '\'', e)) != 0) return rc;
        p++;
        continue;
      }
      while (*p && !(*p == '\'' && p[1] != '\'')) {
        if (*p == '\'') p++; /* '' inside quotes is one quote */
        if ((rc = add_tok(f, TK_LIT, 1, *p, e)) != 0) return rc;
        p++;
      }
      if (*p != '\'') return err_set(e, ERR_INVAL, "unterminated quote in datetime pattern \"%s\"", pat);
      p++;
    } else if (c == '[') {
      if (depth == 8) return err_set(e, ERR_INVAL, "optional sections nested too deep in \"%s\"", pat);
      stack[depth++] = f->ntok;
      if ((rc = add_tok(f, TK_OPT_BEGIN, 0, 0, e)) != 0) return rc;
      p++;
    } else if (c == ']') {
      if (!depth) return err_set(e, ERR_INVAL, "unbalanced ']' in datetime pattern \"%s\"", pat);
      f->tok[stack[--depth]].match = (uint8_t)f->ntok;
      if ((rc = add_tok(f, TK_OPT_END, 0, 0, e)) != 0) return rc;
      p++;
    } else {
      if ((rc = add_tok(f, TK_LIT, 1, c, e)) != 0) return rc;
      p++;
    }
  }
  if (depth) return err_set(e, ERR_INVAL, "unbalanced '[' in datetime pattern \"%s\"", pat);
  return 0;
}

struct dt_fields {
  int64_t year;
  int month, day, hour, minute, second, pm, has_ampm;
  int64_t frac_us, offset_s;
};

static const char *const month_names[12] = {"January", "February", "March",     "April",
                                            "May",     "June",     "July",      "August",
                                            "September", "October", "November", "December"};
static const char *const dow_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

static int ieq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((a[i] | 32) != (b[i] | 32)) return 0;
  return 1;
}

/* Match a month/day name (full, or its first three letters). Returns the
 * 0-based index or -1. */
static int match_name(const char **pp, const char *e, const char *const *names, int count,
                      int full) {
  for (int i = 0; i < count; i++) {
    size_t len = full ? strlen(names[i]) : 3;
    if ((size_t)(e - *pp) >= len && ieq(*pp, names[i], len)) {
      *pp += len;
      return i;
    }
  }
  return -1;
}

static int is_numeric_tok(int kind) {
  return kind >= TK_YEAR && kind <= TK_FRAC;
}

static const char *parse_seq(const struct datetime_fmt *f, int i, int end, const char *p,
                             const char *e, struct dt_fields *st) {
  while (i < end) {
    const struct datetime_fmt_tok *t = &f->tok[i];
    /* Adjacent numeric fields (yyyyMMdd) parse fixed widths. */
    int adjacent = i + 1 < end && is_numeric_tok(f->tok[i + 1].kind);
    int64_t v;
    switch (t->kind) {
      case TK_OPT_BEGIN: {
        struct dt_fields saved = *st;
        const char *q = parse_seq(f, i + 1, t->match, p, e, st);
        if (q) {
          const char *r = parse_seq(f, t->match + 1, end, q, e, st);
          if (r) return r;
        }
        *st = saved;
        i = t->match + 1;
        continue;
      }
      case TK_OPT_END:
        break;
      case TK_LIT:
        if (p >= e || *p != t->lit) return NULL;
        p++;
        break;
      case TK_YEAR:
        if (t->width == 2) {
          if (read_digits(&p, e, 2, 2, &v) < 0) return NULL;
          st->year = 2000 + v;
        } else {
          int neg = 0;
          if (p < e && (*p == '-' || *p == '+') && t->width != 2) {
            neg = *p == '-';
            p++;
          }
          int lo = t->width >= 4 ? 4 : t->width, hi = adjacent ? (t->width < 4 ? 4 : t->width) : 6;
          if (read_digits(&p, e, lo, hi, &v) < 0) return NULL;
          st->year = neg ? -v : v;
        }
        break;
      case TK_MONTH:
        if (t->width >= 3) {
          int k = match_name(&p, e, month_names, 12, t->width == 4);
          if (k < 0) return NULL;
          st->month = k + 1;
        } else {
          if (read_digits(&p, e, t->width, (t->width == 2 || adjacent) ? 2 : 2, &v) < 0) return NULL;
          st->month = (int)v;
        }
        break;
      case TK_DOW:
        if (match_name(&p, e, dow_names, 7, t->width >= 4) < 0) return NULL;
        break;
      case TK_DAY:
      case TK_HOUR24:
      case TK_HOUR12:
      case TK_MIN:
      case TK_SEC:
        if (read_digits(&p, e, t->width, 2, &v) < 0) return NULL;
        if (t->kind == TK_DAY) st->day = (int)v;
        else if (t->kind == TK_HOUR24 || t->kind == TK_HOUR12) st->hour = (int)v;
        else if (t->kind == TK_MIN) st->minute = (int)v;
        else st->second = (int)v;
        break;
      case TK_FRAC: {
        int k = read_digits(&p, e, adjacent ? t->width : 1, t->width, &v);
        if (k < 0) return NULL;
        for (; k < 6; k++) v *= 10;
        for (; k > 6; k--) v /= 10;
        st->frac_us = v;
        break;
      }
      case TK_AMPM:
        if (e - p < 2 || (p[1] | 32) != 'm') return NULL;
        if ((p[0] | 32) == 'a') st->pm = 0;
        else if ((p[0] | 32) == 'p') st->pm = 1;
        else return NULL;
        st->has_ampm = 1;
        p += 2;
        break;
      case TK_ZONE_X:
      case TK_ZONE_Z: {
        if (p < e && *p == 'Z') {
          st->offset_s = 0;
          p++;
          break;
        }
        if (p >= e || (*p != '+' && *p != '-')) return NULL;
        int neg = *p == '-';
        p++;
        int64_t hh, mm = 0;
        if (read_digits(&p, e, 2, 2, &hh) < 0) return NULL;
        if (p < e && *p == ':') p++;
        if (p < e && dig(*p) && read_digits(&p, e, 2, 2, &mm) < 0) return NULL;
        if (hh > 18 || mm > 59) return NULL;
        st->offset_s = (neg ? -1 : 1) * (hh * 3600 + mm * 60);
        break;
      }
      default: return NULL; /* a formatting-only letter */
    }
    i++;
  }
  return p;
}

static int fmt_parse(const struct datetime_fmt *f, const char *p, size_t n, int32_t *days,
                     int64_t *us_of_day) {
  struct dt_fields st = {1970, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  const char *e = p + n;
  const char *q = parse_seq(f, 0, f->ntok, p, e, &st);
  if (!q || q != e) return -1;
  if (st.has_ampm) {
    if (st.hour < 1 || st.hour > 12) return -1;
    st.hour = st.hour % 12 + (st.pm ? 12 : 0);
  }
  if (st.hour > 23 || st.minute > 59 || st.second > 59) return -1;
  if (make_days(st.year, st.month, st.day, days) != 0) return -1;
  *us_of_day = ((int64_t)(st.hour * 60 + st.minute) * 60 + st.second - st.offset_s) * 1000000 +
               st.frac_us;
  return 0;
}

int datetime_fmt_compile_parser(struct datetime_fmt *f, const char *pat, struct err *e) {
  int rc = datetime_fmt_compile(f, pat, e);
  if (rc) return rc;
  for (int i = 0; i < f->ntok; i++)
    if (f->tok[i].kind >= TK_DOY)
      return err_set(e, ERR_UNSUPPORTED,
                     "datetime pattern letter '%c' in \"%s\" can format but not parse text; "
                     "remove it from the pattern",
                     f->tok[i].lit, pat);
  return 0;
}

int datetime_fmt_parse_timestamp(const struct datetime_fmt *f, const char *p, size_t n,
                                 int64_t *us) {
  int32_t days;
  int64_t tod;
  if (fmt_parse(f, p, n, &days, &tod) != 0) return -1;
  *us = (int64_t)days * DATETIME_US_PER_DAY + tod;
  return 0;
}

int datetime_fmt_parse_date(const struct datetime_fmt *f, const char *p, size_t n,
                            int32_t *days) {
  int64_t tod;
  return fmt_parse(f, p, n, days, &tod);
}

static int put_num(struct buf *b, int64_t v, int width) {
  char tmp[32];
  size_t k = put_int(tmp, v, width);
  return buf_append(b, tmp, k);
}

static int fmt_seq(const struct datetime_fmt *f, int i, int end, const struct dt_fields *st,
                   int dow, struct buf *b) {
  int rc = 0;
  for (; i < end && rc == 0; i++) {
    const struct datetime_fmt_tok *t = &f->tok[i];
    switch (t->kind) {
      case TK_OPT_BEGIN:
      case TK_OPT_END: break; /* optional sections are printed */
      case TK_LIT: rc = buf_putc(b, t->lit); break;
      case TK_YEAR:
        rc = t->width == 2 ? put_num(b, ((st->year % 100) + 100) % 100, 2)
                           : put_num(b, st->year, t->width);
        break;
      case TK_MONTH:
        if (t->width >= 3)
          rc = buf_append(b, month_names[st->month - 1],
                          t->width == 4 ? strlen(month_names[st->month - 1]) : 3);
        else rc = put_num(b, st->month, t->width);
        break;
      case TK_DOW:
        rc = buf_append(b, dow_names[dow], t->width >= 4 ? strlen(dow_names[dow]) : 3);
        break;
      case TK_DAY: rc = put_num(b, st->day, t->width); break;
      case TK_HOUR24: rc = put_num(b, st->hour, t->width); break;
      case TK_HOUR12: rc = put_num(b, st->hour % 12 == 0 ? 12 : st->hour % 12, t->width); break;
      case TK_MIN: rc = put_num(b, st->minute, t->width); break;
      case TK_SEC: rc = put_num(b, st->second, t->width); break;
      case TK_FRAC: {
        char fr[10];
        int64_t v = st->frac_us * 1000; /* nanoseconds, 9 digits */
        for (int k = 8; k >= 0; k--) {
          fr[k] = (char)('0' + v % 10);
          v /= 10;
        }
        rc = buf_append(b, fr, t->width);
        break;
      }
      case TK_AMPM: rc = buf_puts(b, st->hour >= 12 ? "PM" : "AM"); break;
      case TK_ZONE_X: rc = buf_putc(b, 'Z'); break;
      case TK_ZONE_Z: rc = buf_puts(b, "+0000"); break;
      case TK_DOY:
        rc = put_num(b,
                     datetime_days_from_civil(st->year, st->month, st->day) -
                         datetime_days_from_civil(st->year, 1, 1) + 1,
                     t->width);
        break;
      case TK_QUARTER: {
        static const char *const qn[4] = {"1st quarter", "2nd quarter", "3rd quarter",
                                          "4th quarter"};
        int q = (st->month - 1) / 3 + 1;
        if (t->width <= 2) rc = put_num(b, q, t->width);
        else if (t->width == 3) rc = buf_putc(b, 'Q') || put_num(b, q, 1);
        else rc = buf_puts(b, qn[q - 1]);
        break;
      }
      case TK_HOUR_K24: rc = put_num(b, st->hour == 0 ? 24 : st->hour, t->width); break;
      case TK_HOUR_K12: rc = put_num(b, st->hour % 12, t->width); break;
      case TK_ERA:
        rc = buf_puts(b, t->width == 4 ? (st->year > 0 ? "Anno Domini" : "Before Christ")
                         : t->width == 5 ? (st->year > 0 ? "A" : "B")
                         : (st->year > 0 ? "AD" : "BC"));
        break;
      case TK_ZONE_NAME: /* O: localized offset; z / V: zone name / id */
        rc = buf_puts(b, t->lit == 'O' ? "GMT"
                         : t->lit == 'z' && t->width == 4 ? "Coordinated Universal Time" : "UTC");
        break;
      default: break;
    }
  }
  return rc;
}

int datetime_fmt_format(const struct datetime_fmt *f, int64_t us, struct buf *b) {
  int64_t days, tod;
  datetime_split_ts(us, &days, &tod);
  struct dt_fields st;
  memset(&st, 0, sizeof st);
  datetime_civil_from_days(days, &st.year, &st.month, &st.day);
  st.hour = (int)(tod / 3600000000LL);
  st.minute = (int)(tod / 60000000LL % 60);
  st.second = (int)(tod / 1000000 % 60);
  st.frac_us = tod % 1000000;
  int dow = (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
  return fmt_seq(f, 0, f->ntok, &st, dow, b);
}
