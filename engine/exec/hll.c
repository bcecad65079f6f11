/* hll.c: see hll.h. */
#include "engine/exec/hll.h"

#include <math.h>
#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

int hll_precision(double rsd, int *p) {
  if (!(rsd > 0) || !isfinite(rsd)) return -1;
  double q = ceil(2.0 * log(1.106 / rsd) / log(2.0));
  if (q < HLL_P_MIN || q > HLL_P_MAX) return -1;
  *p = (int)q;
  return 0;
}

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v; /* little-endian hosts only (x86-64, aarch64) */
}

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static uint64_t xround(uint64_t acc, uint64_t in) {
  acc += in * P2;
  acc = rotl(acc, 31);
  return acc * P1;
}

static uint64_t xmerge(uint64_t acc, uint64_t v) {
  acc ^= xround(0, v);
  return acc * P1 + P4;
}

uint64_t hll_xxh64(const void *data, size_t n, uint64_t seed) {
  const uint8_t *p = data, *end = p + n;
  uint64_t h;
  if (n >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    const uint8_t *lim = end - 32;
    do {
      v1 = xround(v1, rd64(p));
      v2 = xround(v2, rd64(p + 8));
      v3 = xround(v3, rd64(p + 16));
      v4 = xround(v4, rd64(p + 24));
      p += 32;
    } while (p <= lim);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = xmerge(h, v1);
    h = xmerge(h, v2);
    h = xmerge(h, v3);
    h = xmerge(h, v4);
  } else {
    h = seed + P5;
  }
  h += (uint64_t)n;
  while (p + 8 <= end) {
    h ^= xround(0, rd64(p));
    h = rotl(h, 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= (uint64_t)rd32(p) * P1;
    h = rotl(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= (uint64_t)*p * P5;
    h = rotl(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

uint64_t hll_hash_i32(int32_t v) { return hll_xxh64(&v, 4, HLL_SEED); }

uint64_t hll_hash_i64(int64_t v) { return hll_xxh64(&v, 8, HLL_SEED); }

uint64_t hll_hash_f64(double v) {
  if (v == 0.0) v = 0.0;   /* -0.0 */
  if (isnan(v)) v = NAN;   /* one NaN bit pattern */
  int64_t bits;
  memcpy(&bits, &v, 8);
  return hll_hash_i64(bits);
}

void hll_merge(uint8_t *dst, const uint8_t *src, size_t m) {
  for (size_t i = 0; i < m; i++)
    if (src[i] > dst[i]) dst[i] = src[i];
}

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017): the series converge in a few dozen steps. */
static double sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0, z = x, zp;
  do {
    x *= x;
    zp = z;
    z += x * y;
    y += y;
  } while (z != zp);
  return z;
}

static double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, zp;
  do {
    x = sqrt(x);
    zp = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != zp);
  return z / 3.0;
}

int64_t hll_estimate(const uint8_t *regs, int p) {
  /* Linear counting thresholds of the HLL++ paper, per precision 4..18. */
  static const double thresh[] = {10,   20,    40,    80,    220,    400,    900,   1800,
                                  3100, 6500,  15500, 20000, 50000, 120000, 350000};
  const int q = 64 - p;
  const size_t m = (size_t)1 << p;
  uint32_t C[66] = {0};
  double zinv = 0.0;
  for (size_t i = 0; i < m; i++) {
    uint8_t r = regs[i] > q + 1 ? (uint8_t)(q + 1) : regs[i];
    C[r]++;
  }
  for (int k = 0; k <= q + 1; k++) zinv += ldexp((double)C[k], -k);
  double dm = (double)m;
  double alpha = p == 4 ? 0.673 : p == 5 ? 0.697 : p == 6 ? 0.709 : 0.7213 / (1.0 + 1.079 / dm);
  double raw = alpha * dm * dm / zinv;
  double est;
  if (C[0] > 0) {
    /* Few values: most registers still empty, and counting them is exact
     * for a handful of values (Spark's rule, HLL++ thresholds). */
    double lc = dm * log(dm / (double)C[0]);
    int pi = p < HLL_P_MIN ? 0 : p > HLL_P_MAX ? HLL_P_MAX - HLL_P_MIN : p - HLL_P_MIN;
    if (lc <= thresh[pi] || raw <= 2.5 * dm) return (int64_t)floor(lc + 0.5);
  }
  double z = dm * tau(1.0 - (double)C[q + 1] / dm);
  for (int k = q; k >= 1; k--) z = 0.5 * (z + (double)C[k]);
  z += dm * sigma((double)C[0] / dm);
  est = dm * dm / (2.0 * log(2.0) * z);
  return (int64_t)floor(est + 0.5);
}
