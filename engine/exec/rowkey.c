/* rowkey.c: see rowkey.h. */
#include "engine/exec/rowkey.h"

#include <math.h>

#include "common/err.h"

int rowkey_layout_init(struct rowkey_layout *L, const struct type *types, int n) {
  memset(L, 0, sizeof *L);
  if (n > ROWKEY_MAX_KEYS) return ERR_UNSUPPORTED;
  L->nkeys = n;
  int w = 1;
  for (int k = 0; k < n; k++) {
    L->types[k] = types[k];
    L->word[k] = (uint8_t)w;
    switch (types[k].id) {
    case TYPE_NULL:
    case TYPE_BOOLEAN: L->cls[k] = RK_U8; w++; break;
    case TYPE_INT:
    case TYPE_DATE: L->cls[k] = RK_I32; w++; break;
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
    case TYPE_TIMESTAMP: L->cls[k] = RK_I64; w++; break;
    case TYPE_DOUBLE: L->cls[k] = RK_F64; w++; break;
    case TYPE_STRING:
    case TYPE_ARRAY: /* grouped by its canonical bytes (engine/vec/array.h) */
      L->cls[k] = RK_STR;
      L->strword[L->nstr++] = (uint8_t)w;
      w += 2;
      break;
    default: return ERR_UNSUPPORTED;
    }
  }
  L->nwords = w;
  return 0;
}

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full

static inline uint64_t fmix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

static inline uint64_t combine(uint64_t h, uint64_t v) {
  return (((h << 5) | (h >> 59)) ^ v) * K1;
}

uint64_t rowkey_hash_bytes(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = n * K2;
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, s, 8);
    h = combine(h, v * K2);
    s += 8;
    n -= 8;
  }
  if (n) {
    uint64_t v = 0;
    memcpy(&v, s, n);
    h = combine(h, v * K2 + 1);
  }
  return fmix(h);
}

static inline int has_nulls(const struct vector *v, uint32_t n) {
  size_t full = n / 64;
  for (size_t i = 0; i < full; i++)
    if (v->validity[i] != ~(uint64_t)0) return 1;
  if (n & 63) {
    uint64_t m = ((uint64_t)1 << (n & 63)) - 1;
    if ((v->validity[full] & m) != m) return 1;
  }
  return 0;
}

/* One integer key without NULLs (the common join and group key): one pass
 * giving the same words and hashes as the general path below. */
static int encode_one_int(const struct rowkey_layout *L, const struct vector *v, uint32_t n,
                          uint64_t *words, uint64_t *hashes) {
  if (L->nkeys != 1 || L->nwords != 2 || v->type.id == TYPE_NULL || has_nulls(v, n)) return 0;
  switch (L->cls[0]) {
  case RK_I32: {
    const int32_t *d = vector_i32(v);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t x = (uint64_t)(int64_t)d[i];
      words[2 * (size_t)i] = 0;
      words[2 * (size_t)i + 1] = x;
      hashes[i] = fmix(combine(0x12345, x));
    }
    break;
  }
  case RK_I64: {
    const int64_t *d = vector_i64(v);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t x = (uint64_t)d[i];
      words[2 * (size_t)i] = 0;
      words[2 * (size_t)i + 1] = x;
      hashes[i] = fmix(combine(0x12345, x));
    }
    break;
  }
  default: return 0;
  }
  return 1;
}

void rowkey_encode(const struct rowkey_layout *L, const struct vector *const *cols, uint32_t n,
                   uint64_t *words, uint64_t *hashes) {
  const int W = L->nwords;
  if (L->nkeys == 1 && encode_one_int(L, cols[0], n, words, hashes)) return;
  for (uint32_t i = 0; i < n; i++) {
    words[(size_t)i * W] = 0;
    hashes[i] = 0x12345;
  }
  for (int k = 0; k < L->nkeys; k++) {
    const struct vector *v = cols[k];
    const int w = L->word[k];
    uint64_t *out = words + w;
    int nulls = v->type.id == TYPE_NULL ? 2 : has_nulls(v, n);
    uint64_t bit = (uint64_t)1 << (k & 63);
    switch (L->cls[k]) {
    case RK_U8: {
      const uint8_t *d = v->type.id == TYPE_NULL ? NULL : vector_u8(v);
      for (uint32_t i = 0; i < n; i++) {
        uint64_t x = d ? d[i] : 0;
        out[(size_t)i * W] = x;
      }
      break;
    }
    case RK_I32: {
      const int32_t *d = vector_i32(v);
      for (uint32_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)(int64_t)d[i];
        out[(size_t)i * W] = x;
      }
      break;
    }
    case RK_I64: {
      const int64_t *d = vector_i64(v);
      for (uint32_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)d[i];
        out[(size_t)i * W] = x;
      }
      break;
    }
    case RK_F64: {
      const double *d = vector_f64(v);
      for (uint32_t i = 0; i < n; i++) {
        double x = d[i];
        if (x == 0) x = 0.0;
        if (isnan(x)) x = NAN;
        uint64_t u;
        memcpy(&u, &x, 8);
        out[(size_t)i * W] = u;
      }
      break;
    }
    case RK_STR: {
      const struct sv *d = vector_sv(v);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t len = d[i].len;
        uint32_t pre;
        memcpy(&pre, d[i].prefix, 4);
        out[(size_t)i * W] = (uint64_t)len | ((uint64_t)pre << 32);
        out[(size_t)i * W + 1] = (uint64_t)(uintptr_t)d[i].ptr;
      }
      break;
    }
    }
    if (nulls) {
      /* Zero NULL slots (producers need not have) and set the mask bit. */
      for (uint32_t i = 0; i < n; i++) {
        if (nulls == 2 || !bitmap_get(v->validity, i)) {
          uint64_t *row = words + (size_t)i * W;
          row[0] |= bit;
          row[w] = 0;
          if (L->cls[k] == RK_STR) row[w + 1] = 0;
        }
      }
    }
  }
  /* Hash from the encoded words (NULLs already zeroed), column by column. */
  for (int k = 0; k < L->nkeys; k++) {
    const uint64_t *in = words + L->word[k];
    if (L->cls[k] != RK_STR) {
      for (uint32_t i = 0; i < n; i++) hashes[i] = combine(hashes[i], in[(size_t)i * W]);
    } else {
      for (uint32_t i = 0; i < n; i++) {
        uint64_t w0 = in[(size_t)i * W];
        uint32_t len = (uint32_t)w0;
        uint64_t hx = len <= 4 ? fmix(w0 * K2 + 7)
                               : rowkey_hash_bytes((const void *)(uintptr_t)in[(size_t)i * W + 1], len);
        hashes[i] = combine(hashes[i], hx);
      }
    }
  }
  for (uint32_t i = 0; i < n; i++) hashes[i] = fmix(hashes[i] ^ words[(size_t)i * W] * K2);
}

void rowkey_decode(const struct rowkey_layout *L, int k, const uint64_t *w, struct vector *v,
                   uint32_t i) {
  int j = L->word[k];
  if (w[0] & ((uint64_t)1 << (k & 63))) {
    vector_set_null(v, i);
    return;
  }
  bitmap_set(v->validity, i);
  switch (L->cls[k]) {
  case RK_U8: vector_u8(v)[i] = (uint8_t)w[j]; break;
  case RK_I32: vector_i32(v)[i] = (int32_t)(int64_t)w[j]; break;
  case RK_I64: vector_i64(v)[i] = (int64_t)w[j]; break;
  case RK_F64: memcpy(&vector_f64(v)[i], &w[j], 8); break;
  case RK_STR: {
    uint32_t len = (uint32_t)w[j];
    vector_sv(v)[i] = sv_make((const char *)(uintptr_t)w[j + 1], len);
    break;
  }
  }
}
