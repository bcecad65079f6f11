/* agg_more.c: see agg_more.h. */
#include "engine/exec/agg_more.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Spark's order of doubles: NaN above every number, -0.0 equal to 0.0. */
static int cmp_dbl(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
  return (a > b) - (a < b);
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

/* Index of percentile_approx's answer among n sorted values. */
static size_t approx_index(double p, size_t n) {
  double r = ceil(p * (double)n); /* Spark's rank: ceil(quantile * count) */
  size_t k = r >= 1 ? (size_t)r - 1 : 0;
  return k < n ? k : n - 1;
}

int agg_percentile(const struct agg_collect *s, enum type_id elem, double p, int approx,
                   int64_t *i, double *d) {
  size_t n = s->count;
  if (!n) return 0;
  if (elem == TYPE_DOUBLE) {
    if ((size_t)s->len < n * 8) return ERR_INVAL;
    double *v = malloc(n * sizeof *v);
    if (!v) return ERR_NOMEM;
    memcpy(v, s->p, n * 8);
    qsort(v, n, sizeof *v, cmp_dbl);
    if (approx) {
      *d = v[approx_index(p, n)];
    } else {
      double pos = (double)(n - 1) * p;
      size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
      if (hi >= n) hi = n - 1;
      if (lo > hi) lo = hi;
      double a = v[lo], b = v[hi];
      *d = lo == hi || a == b ? a : ((double)hi - pos) * a + (pos - (double)lo) * b;
    }
    free(v);
    return 1;
  }
  if (!approx) return ERR_INVAL;
  int w4 = elem == TYPE_INT || elem == TYPE_DATE;
  if (!w4 && elem != TYPE_BIGINT && elem != TYPE_DECIMAL && elem != TYPE_TIMESTAMP)
    return ERR_INVAL;
  if ((size_t)s->len < n * (w4 ? 4 : 8)) return ERR_INVAL;
  int64_t *v = malloc(n * sizeof *v);
  if (!v) return ERR_NOMEM;
  for (size_t k = 0; k < n; k++) {
    if (w4) {
      int32_t x;
      memcpy(&x, s->p + 4 * k, 4);
      v[k] = x;
    } else {
      memcpy(&v[k], s->p + 8 * k, 8);
    }
  }
  qsort(v, n, sizeof *v, cmp_i64);
  *i = v[approx_index(p, n)];
  free(v);
  return 1;
}
