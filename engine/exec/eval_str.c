/* eval_str.c: string function kernels. Positions and lengths are in UTF-8
 * code points (Spark's UTF8String semantics); results that are a piece of
 * the input (SUBSTRING, TRIM, LPAD truncation) are views into the argument's
 * bytes, new strings come from the program's per-call heap. */
#include "engine/exec/eval_str.h"

#include <string.h>

#include "engine/exec/eval_kern.h"

static inline int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

uint32_t eval_str_nchars(const char *p, uint32_t n) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < n; i++) c += !is_cont((unsigned char)p[i]);
  return c;
}

/* Byte offset after skipping k code points from byte `from` (clamped to n). */
static inline uint32_t skip_chars(const char *p, uint32_t n, uint32_t from, int64_t k) {
  uint32_t i = from;
  while (k > 0 && i < n) {
    i++;
    while (i < n && is_cont((unsigned char)p[i])) i++;
    k--;
  }
  return i;
}

/* Decode one code point at p[i] (i < n); sets *len (>= 1). Invalid bytes
 * decode as themselves. */
static inline uint32_t decode(const char *p, uint32_t n, uint32_t i, uint32_t *len) {
  unsigned char b = (unsigned char)p[i];
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  uint32_t need = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  if (need == 0 || i + need >= n) {
    *len = 1;
    return b;
  }
  uint32_t c = b & (0x3F >> need);
  for (uint32_t k = 1; k <= need; k++) {
    unsigned char x = (unsigned char)p[i + k];
    if (!is_cont(x)) {
      *len = 1;
      return b;
    }
    c = (c << 6) | (x & 0x3F);
  }
  *len = need + 1;
  return c;
}

uint32_t eval_str_upper_cp(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
    return c & ~1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 0) ? c - 1 : c;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

uint32_t eval_str_lower_cp(uint32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
    return c | 1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

/* Case-map p[0..n) into d (same length: every mapping used keeps the UTF-8
 * length; other characters are copied). */
void eval_str_map_case(const char *p, uint32_t n, char *d, int upper) {
  uint32_t i = 0;
  while (i < n) {
    unsigned char b = (unsigned char)p[i];
    if (b < 0x80) {
      d[i] = (char)(upper ? ((b >= 'a' && b <= 'z') ? b - 32 : b)
                          : ((b >= 'A' && b <= 'Z') ? b + 32 : b));
      i++;
      continue;
    }
    uint32_t len;
    uint32_t c = decode(p, n, i, &len);
    if (len == 2 && upper && c == 0xDF) {
      /* ß upper-cases to "SS" (Java's special casing), also two bytes. */
      d[i] = d[i + 1] = 'S';
      i += 2;
      continue;
    }
    if (len == 2) {
      uint32_t m = upper ? eval_str_upper_cp(c) : eval_str_lower_cp(c);
      if (m >= 0x80 && m < 0x800) {
        d[i] = (char)(0xC0 | (m >> 6));
        d[i + 1] = (char)(0x80 | (m & 0x3F));
        i += 2;
        continue;
      }
    }
    memcpy(d + i, p + i, len);
    i += len;
  }
}

#define ARG(k) (nd->args[k]->res)
#define SV(k, i) (vector_sv(ARG(k))[i])

static int k_case(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  int upper = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i);
    char *d = eval_heap_alloc(rt, s.len);
    if (!d) return ERR_NOMEM;
    eval_str_map_case(s.ptr, s.len, d, upper);
    o[i] = sv_make(d, s.len);
  });
  return 0;
}

static int k_length(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  const struct sv *a = ARG(0)->data;
  EVAL_FOR_SEL(i, sel, n, { o[i] = (int32_t)eval_str_nchars(a[i].ptr, a[i].len); });
  return 0;
}

static int k_concat(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    size_t total = 0;
    for (int j = 0; j < nd->nargs; j++) total += SV(j, i).len;
    if (total > UINT32_MAX) return err_set(rt->err, ERR_TOOBIG, "concat result too large");
    char *d = eval_heap_alloc(rt, total);
    if (!d) return ERR_NOMEM;
    size_t at = 0;
    for (int j = 0; j < nd->nargs; j++) {
      struct sv s = SV(j, i);
      if (s.len) memcpy(d + at, s.ptr, s.len);
      at += s.len;
    }
    o[i] = sv_make(d, (uint32_t)total);
  });
  return 0;
}

static int k_concat_ws(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel,
                       uint32_t n) {
  eval_valid_copy(nd->vec.validity, ARG(0)->validity, rt->nwords);
  struct sv *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv sep = SV(0, i);
    size_t total = 0;
    int cnt = 0;
    for (int j = 1; j < nd->nargs; j++)
      if (bitmap_get(ARG(j)->validity, i)) total += SV(j, i).len, cnt++;
    if (cnt > 1) total += (size_t)sep.len * (size_t)(cnt - 1);
    if (total > UINT32_MAX) return err_set(rt->err, ERR_TOOBIG, "concat_ws result too large");
    char *d = eval_heap_alloc(rt, total);
    if (!d) return ERR_NOMEM;
    size_t at = 0;
    int k = 0;
    for (int j = 1; j < nd->nargs; j++) {
      if (!bitmap_get(ARG(j)->validity, i)) continue;
      if (k++ && sep.len) {
        memcpy(d + at, sep.ptr, sep.len);
        at += sep.len;
      }
      struct sv s = SV(j, i);
      if (s.len) memcpy(d + at, s.ptr, s.len);
      at += s.len;
    }
    o[i] = sv_make(d, (uint32_t)total);
  });
  return 0;
}

/* Spark's UTF8String.substringSQL(pos, length). */
struct sv eval_str_substr(struct sv s, int64_t pos, int64_t length) {
  int64_t start, end;
  if (pos > 0) {
    start = pos - 1;
  } else if (pos < 0) {
    start = (int64_t)eval_str_nchars(s.ptr, s.len) + pos;
  } else {
    start = 0;
  }
  end = start + length; /* int64: no overflow for int32 inputs */
  if (start < 0) start = 0;
  if (start >= end) return sv_make("", 0);
  uint32_t b0 = skip_chars(s.ptr, s.len, 0, start);
  uint32_t b1 = skip_chars(s.ptr, s.len, b0, end - start);
  return sv_make(s.ptr + b0, b1 - b0);
}

static int k_substr(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  const int32_t *pos = ARG(1)->data;
  const int32_t *len = nd->nargs > 2 ? ARG(2)->data : NULL;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    o[i] = eval_str_substr(SV(0, i), pos[i], len ? len[i] : INT32_MAX);
  });
  return 0;
}

/* Code point set for TRIM(str, chars). */
static int in_chars(uint32_t c, const char *set, uint32_t sn) {
  uint32_t i = 0;
  while (i < sn) {
    uint32_t l;
    if (decode(set, sn, i, &l) == c) return 1;
    i += l;
  }
  return 0;
}

/* op: 1 left, 2 right, 3 both. Without chars only ' ' is trimmed (Spark's
 * UTF8String.trim). */
static struct sv trim_one(struct sv s, int op, const char *set, uint32_t sn, int has_set) {
  uint32_t b = 0, e = s.len;
  if (op & 1) {
    while (b < e) {
      uint32_t l;
      uint32_t c = has_set ? decode(s.ptr, e, b, &l) : (l = 1, (unsigned char)s.ptr[b]);
      if (has_set ? !in_chars(c, set, sn) : c != ' ') break;
      b += l;
    }
  }
  if (op & 2) {
    while (e > b) {
      uint32_t st = e - 1;
      while (st > b && is_cont((unsigned char)s.ptr[st])) st--;
      uint32_t l;
      uint32_t c = has_set ? decode(s.ptr, e, st, &l) : (unsigned char)s.ptr[e - 1];
      if (!has_set) st = e - 1;
      if (has_set ? !in_chars(c, set, sn) : c != ' ') break;
      e = st;
    }
  }
  return sv_make(s.ptr + b, e - b);
}

static int k_trim(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  int op = nd->op, has = nd->nargs > 1;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv set = has ? SV(1, i) : sv_make("", 0);
    o[i] = trim_one(SV(0, i), op, set.ptr, set.len, has);
  });
  return 0;
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn) {
  if (nn == 0) return h;
  if (nn > hn) return NULL;
  return memmem(h, hn, nd, nn);
}

static int k_replace(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  int has_repl = nd->nargs > 2;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), f = SV(1, i);
    struct sv r = has_repl ? SV(2, i) : sv_make("", 0);
    if (f.len == 0) {
      o[i] = s;
      continue;
    }
    size_t cnt = 0;
    const char *p = s.ptr, *end = s.ptr + s.len, *q;
    while ((q = find(p, (size_t)(end - p), f.ptr, f.len))) cnt++, p = q + f.len;
    if (cnt == 0) {
      o[i] = s;
      continue;
    }
    size_t total = s.len - cnt * f.len + cnt * r.len;
    if (total > UINT32_MAX) return err_set(rt->err, ERR_TOOBIG, "replace result too large");
    char *d = eval_heap_alloc(rt, total), *w = d;
    if (!d) return ERR_NOMEM;
    p = s.ptr;
    while ((q = find(p, (size_t)(end - p), f.ptr, f.len))) {
      memcpy(w, p, (size_t)(q - p));
      w += q - p;
      if (r.len) memcpy(w, r.ptr, r.len);
      w += r.len;
      p = q + f.len;
    }
    memcpy(w, p, (size_t)(end - p));
    o[i] = sv_make(d, (uint32_t)total);
  });
  return 0;
}

static int k_instr(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  int32_t *o = nd->vec.data;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), f = SV(1, i);
    const char *q = find(s.ptr, s.len, f.ptr, f.len);
    o[i] = q ? (int32_t)eval_str_nchars(s.ptr, (uint32_t)(q - s.ptr)) + 1 : 0;
  });
  return 0;
}

/* LPAD (op 0) / RPAD (op 1) as UTF8String.lpad/rpad. */
static int k_pad(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  struct sv *o = nd->vec.data;
  const int32_t *lens = ARG(1)->data;
  int right = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), pad = SV(2, i);
    int64_t len = lens[i];
    int64_t nc = eval_str_nchars(s.ptr, s.len);
    int64_t spaces = len - nc;
    int64_t pc = eval_str_nchars(pad.ptr, pad.len);
    if (len <= 0) {
      o[i] = sv_make("", 0);
    } else if (spaces <= 0 || pc == 0) {
      o[i] = sv_make(s.ptr, skip_chars(s.ptr, s.len, 0, len));
    } else {
      int64_t full = spaces / pc, rest = spaces % pc;
      uint32_t restb = skip_chars(pad.ptr, pad.len, 0, rest);
      size_t total = (size_t)s.len + (size_t)full * pad.len + restb;
      if (total > UINT32_MAX) return err_set(rt->err, ERR_TOOBIG, "padded string too large");
      char *d = eval_heap_alloc(rt, total), *w = d;
      if (!d) return ERR_NOMEM;
      if (right) {
        memcpy(w, s.ptr, s.len);
        w += s.len;
      }
      for (int64_t k = 0; k < full; k++) {
        memcpy(w, pad.ptr, pad.len);
        w += pad.len;
      }
      memcpy(w, pad.ptr, restb);
      w += restb;
      if (!right) memcpy(w, s.ptr, s.len);
      o[i] = sv_make(d, (uint32_t)total);
    }
  });
  return 0;
}

/* STARTSWITH (0) ENDSWITH (1) CONTAINS (2). */
static int k_affix(struct eval_rt *rt, struct eval_node *nd, const uint32_t *sel, uint32_t n) {
  eval_valid_args(rt, nd);
  uint8_t *o = nd->vec.data;
  int op = nd->op;
  EVAL_FOR_VALID(i, sel, n, nd->vec.validity, {
    struct sv s = SV(0, i), f = SV(1, i);
    int r;
    if (f.len > s.len) r = 0;
    else if (op == 0) r = memcmp(s.ptr, f.ptr, f.len) == 0;
    else if (op == 1) r = memcmp(s.ptr + s.len - f.len, f.ptr, f.len) == 0;
    else r = find(s.ptr, s.len, f.ptr, f.len) != NULL;
    o[i] = (uint8_t)r;
  });
  return 0;
}

static int want(struct eval_node *nd, int lo, int hi, struct err *err) {
  if (nd->nargs >= lo && nd->nargs <= hi) return 0;
  return err_set_at(err, ERR_INVAL, nd->e->pos.line, nd->e->pos.column,
                    "internal error: string function with %d arguments", nd->nargs);
}

static int types_ok(struct eval_node *nd, const char *sig) {
  /* sig: one letter per argument, S string, I int; '*' repeats the last */
  char last = 'S';
  for (int a = 0; a < nd->nargs; a++) {
    char c = *sig ? *sig++ : last;
    if (c == '*') c = last, sig--;
    last = c;
    enum type_id t = nd->args[a]->type.id;
    if (t == TYPE_NULL) continue;
    if (c == 'S' && t != TYPE_STRING) return 0;
    if (c == 'I' && t != TYPE_INT) return 0;
  }
  return 1;
}

int eval_str_compile(struct eval_prog *p, struct eval_node *nd, struct err *err) {
  (void)p;
  enum expr_fn fn = nd->e->u.func.fn;
  int rc = 0;
  const char *sig = "S*";
  switch (fn) {
    case FN_CONCAT:
      nd->kern = k_concat;
      break;
    case FN_CONCAT_WS:
      rc = want(nd, 1, 1 << 30, err);
      nd->kern = k_concat_ws;
      break;
    case FN_SUBSTRING:
      rc = want(nd, 2, 3, err);
      sig = "SII";
      nd->kern = k_substr;
      break;
    case FN_UPPER:
    case FN_LOWER:
      rc = want(nd, 1, 1, err);
      nd->op = fn == FN_UPPER;
      nd->kern = k_case;
      break;
    case FN_LENGTH:
      rc = want(nd, 1, 1, err);
      nd->kern = k_length;
      break;
    case FN_TRIM:
    case FN_LTRIM:
    case FN_RTRIM:
      rc = want(nd, 1, 2, err);
      nd->op = fn == FN_TRIM ? 3 : fn == FN_LTRIM ? 1 : 2;
      nd->kern = k_trim;
      break;
    case FN_REPLACE:
      rc = want(nd, 2, 3, err);
      nd->kern = k_replace;
      break;
    case FN_INSTR:
      rc = want(nd, 2, 2, err);
      nd->kern = k_instr;
      break;
    case FN_LPAD:
    case FN_RPAD:
      rc = want(nd, 3, 3, err);
      sig = "SIS";
      nd->op = fn == FN_RPAD;
      nd->kern = k_pad;
      break;
    case FN_STARTSWITH:
    case FN_ENDSWITH:
    case FN_CONTAINS:
      rc = want(nd, 2, 2, err);
      nd->op = fn == FN_STARTSWITH ? 0 : fn == FN_ENDSWITH ? 1 : 2;
      nd->kern = k_affix;
      break;
    default:
      return err_set(err, ERR_UNSUPPORTED, "string function #%d is not supported", (int)fn);
  }
  if (rc) return rc;
  if (!types_ok(nd, sig))
    return err_set_at(err, ERR_UNSUPPORTED, nd->e->pos.line, nd->e->pos.column,
                      "string function called with arguments of unexpected types "
                      "(the analyzer should have inserted casts)");
  return 0;
}
