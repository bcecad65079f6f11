/* test_hll.c: HyperLogLog++ sketches (engine/exec/hll.c): the hash, the
 * precision rule, exact small counts, the error bound at scale and merging
 * split sketches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/hll.h"
#include "tests/tap.h"

static void test_xxh64(void) {
  /* Reference values of the XXH64 specification. */
  TAP_OK(hll_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL, "xxh64 of the empty string");
  TAP_OK(hll_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL, "xxh64 of abc");
  char buf[100];
  for (int i = 0; i < 100; i++) buf[i] = (char)i;
  TAP_OK(hll_xxh64(buf, 100, 42) != hll_xxh64(buf, 99, 42), "length changes the hash");
  TAP_OK(hll_xxh64(buf, 100, 42) != hll_xxh64(buf, 100, 43), "seed changes the hash");
  TAP_OK(hll_hash_f64(-0.0) == hll_hash_f64(0.0), "-0.0 hashes as 0.0");
  TAP_OK(hll_hash_f64(NAN) == hll_hash_f64(-NAN), "every NaN hashes alike");
}

static void test_precision(void) {
  int p = 0;
  TAP_OK(!hll_precision(0.05, &p) && p == 9, "relativeSD 0.05 -> p 9 (got %d)", p);
  TAP_OK(!hll_precision(0.01, &p) && p == 14, "relativeSD 0.01 -> p 14 (got %d)", p);
  TAP_OK(!hll_precision(0.39, &p) && p == 4, "relativeSD 0.39 -> p 4 (got %d)", p);
  TAP_OK(hll_precision(0.4, &p) < 0, "relativeSD 0.4 needs p < 4: refused");
  TAP_OK(hll_precision(0.0001, &p) < 0, "relativeSD 0.0001 needs p > 18: refused");
  TAP_OK(hll_precision(0.0, &p) < 0 && hll_precision(-1, &p) < 0 && hll_precision(NAN, &p) < 0,
         "non-positive relativeSD refused");
}

static void add_range(uint8_t *regs, int p, int64_t lo, int64_t hi) {
  for (int64_t v = lo; v < hi; v++) hll_add(regs, p, hll_hash_i64(v));
}

static void test_small_exact(void) {
  uint8_t regs[1 << 9], seen[1 << 9];
  memset(regs, 0, sizeof regs);
  memset(seen, 0, sizeof seen);
  TAP_EQ_INT(hll_estimate(regs, 9), 0, "empty sketch estimates 0");
  /* Linear counting is exact while no two values share a register, and
   * stays within a few percent through its range. */
  int exact = 1, close = 1;
  int64_t collide_at = 0;
  for (int64_t n = 1; n <= 300; n++) {
    uint64_t h = hll_hash_i64(n - 1);
    if (!collide_at && seen[h >> (64 - 9)]) collide_at = n;
    seen[h >> (64 - 9)] = 1;
    hll_add(regs, 9, h);
    hll_add(regs, 9, h); /* duplicates change nothing */
    int64_t e = hll_estimate(regs, 9);
    if (!collide_at && e != n) exact = 0;
    if (llabs(e - n) > 1 + n / 20) {
      close = 0;
      printf("# n %lld estimate %lld\n", (long long)n, (long long)e);
    }
  }
  TAP_OK(collide_at > 5, "no register shared by the first 5 values (first at %lld)",
         (long long)collide_at);
  TAP_OK(exact, "exact count until two values share a register");
  TAP_OK(close, "within 1 + 5%% for 1..300 values");
}

static void test_error_bound(void) {
  static const int64_t ns[] = {500, 2000, 5000, 20000, 100000, 1000000};
  for (int p = 9; p <= 14; p += 5) {
    size_t m = (size_t)1 << p;
    double rse = 1.04 / sqrt((double)m);
    uint8_t *regs = calloc(m, 1);
    int64_t done = 0;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
      add_range(regs, p, done, ns[i]);
      done = ns[i];
      int64_t e = hll_estimate(regs, p);
      double rel = fabs((double)(e - ns[i])) / (double)ns[i];
      /* 4 standard errors: a deterministic hash, so this never flakes. */
      TAP_OK(rel <= 4 * rse, "p %d n %lld estimate %lld (error %.4f, bound %.4f)", p,
             (long long)ns[i], (long long)e, rel, 4 * rse);
    }
    free(regs);
  }
}

static void test_merge(void) {
  const int p = 9;
  const size_t m = (size_t)1 << p;
  uint8_t whole[1 << 9], a[1 << 9], b[1 << 9], c[1 << 9];
  memset(whole, 0, m);
  memset(a, 0, m);
  memset(b, 0, m);
  memset(c, 0, m);
  add_range(whole, p, 0, 30000);
  /* Overlapping parts, split unevenly: the merge must equal the whole. */
  add_range(a, p, 0, 12000);
  add_range(b, p, 10000, 25000);
  add_range(c, p, 20000, 30000);
  uint8_t ab[1 << 9];
  memcpy(ab, a, m);
  hll_merge(ab, b, m);
  hll_merge(ab, c, m);
  TAP_OK(!memcmp(ab, whole, m), "merge of overlapping parts equals the whole sketch");
  uint8_t ca[1 << 9];
  memcpy(ca, c, m);
  hll_merge(ca, a, m);
  hll_merge(ca, b, m);
  TAP_OK(!memcmp(ca, whole, m), "merge order does not matter");
  uint8_t zero[1 << 9];
  memset(zero, 0, m);
  hll_merge(ca, zero, m);
  TAP_OK(!memcmp(ca, whole, m), "merging an empty sketch changes nothing");
  int64_t e = hll_estimate(ab, p);
  TAP_OK(llabs(e - 30000) <= 30000 * 4 * 1.04 / sqrt((double)m), "merged estimate %lld near 30000",
         (long long)e);
}

int main(void) {
  test_xxh64();
  test_precision();
  test_small_exact();
  test_error_bound();
  test_merge();
  return tap_done();
}
