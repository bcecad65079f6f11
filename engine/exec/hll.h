/* hll.h: HyperLogLog++ sketches for approx_count_distinct.
 *
 * A sketch is m = 2^p one-byte registers (p = precision). A value's 64-bit
 * hash picks register h >> (64 - p) and offers it the position of the
 * leftmost 1 bit of the remaining bits (Spark's layout: the low p bits are
 * padded so that a register holds at most 64 - p + 1). Registers only grow,
 * so two sketches merge by taking the larger register of each pair: the
 * merge is exact, commutative and independent of how the rows were split
 * into partials.
 *
 * Hashes are XXH64 with seed 42 over the value's bytes, as Spark hashes
 * them for approx_count_distinct, so a value hashes the same in every task
 * and process. The estimate is linear counting in its range (exact for a
 * handful of values, as Spark) and Ertl's improved raw estimator elsewhere,
 * which needs no empirical bias tables. */
#ifndef KINDLING_ENGINE_EXEC_HLL_H
#define KINDLING_ENGINE_EXEC_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P_MIN 4
#define HLL_P_MAX 18
#define HLL_P_DEFAULT 9 /* relativeSD 0.05 */
#define HLL_SEED 42

/* Precision for a requested relative standard deviation, as Spark computes
 * it: ceil(2 * log2(1.106 / rsd)). Returns 0 and *p, or -1 when rsd is not
 * a positive number or gives p outside [HLL_P_MIN, HLL_P_MAX]. */
int hll_precision(double rsd, int *p);

/* XXH64 of n bytes at data. */
uint64_t hll_xxh64(const void *data, size_t n, uint64_t seed);

/* Hash of a 4-byte or 8-byte integer (little-endian bytes), and of a
 * double with -0.0 and every NaN folded to one value (Spark normalizes
 * them before hashing, so they count as one). */
uint64_t hll_hash_i32(int32_t v);
uint64_t hll_hash_i64(int64_t v);
uint64_t hll_hash_f64(double v);

/* Offer hash h to the sketch regs (borrowed, 2^p bytes). */
static inline void hll_add(uint8_t *regs, int p, uint64_t h) {
  uint32_t idx = (uint32_t)(h >> (64 - p));
  uint64_t w = (h << p) | ((uint64_t)1 << (p - 1));
  uint8_t pw = (uint8_t)(__builtin_clzll(w) + 1);
  if (pw > regs[idx]) regs[idx] = pw;
}

/* dst = register-wise max of dst and src (m bytes each, borrowed). */
void hll_merge(uint8_t *dst, const uint8_t *src, size_t m);

/* Estimated number of distinct values offered to regs (2^p bytes). */
int64_t hll_estimate(const uint8_t *regs, int p);

#endif
