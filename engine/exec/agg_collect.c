/* agg_collect.c: see agg_collect.h. */
#include "engine/exec/agg_collect.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "engine/vec/array.h"

#define DEDUP_FIRST 64

static int reserve(struct agg_collect *s, size_t more, int64_t *bytes) {
  size_t need = (size_t)s->len + more;
  if (need > UINT32_MAX) return ERR_TOOBIG;
  if (need <= s->cap) return 0;
  size_t nc = s->cap ? (size_t)s->cap * 2 : 32;
  while (nc < need) nc *= 2;
  if (nc > UINT32_MAX) nc = UINT32_MAX;
  char *p = realloc(s->p, nc);
  if (!p) return ERR_NOMEM;
  *bytes += (int64_t)(nc - s->cap);
  s->p = p;
  s->cap = (uint32_t)nc;
  return 0;
}

/* collect_set: drop duplicates once the stream doubled since last time. */
static int maybe_dedup(struct agg_collect *s, enum type_id elem, int set) {
  if (!set || s->count < (s->dedup_at ? s->dedup_at : DEDUP_FIRST)) return 0;
  size_t len = s->len;
  int rc = array_stream_distinct(elem, s->p, &len, &s->count);
  if (rc) return rc;
  s->len = (uint32_t)len;
  s->dedup_at = s->count * 2 > DEDUP_FIRST ? s->count * 2 : DEDUP_FIRST;
  return 0;
}

int agg_collect_add(struct agg_collect *s, enum type_id elem, int set, const struct vector *v,
                    uint32_t i, int64_t *bytes) {
  if (s->count >= ARRAY_MAX_COUNT) return ERR_TOOBIG;
  int rc;
  if (elem == TYPE_STRING) {
    struct sv x = vector_sv(v)[i];
    if ((rc = reserve(s, 4 + (size_t)x.len, bytes))) return rc;
    memcpy(s->p + s->len, &x.len, 4);
    if (x.len) memcpy(s->p + s->len + 4, x.ptr, x.len);
    s->len += 4 + x.len;
  } else {
    /* The stream's slot is the vector's element (same width, host order). */
    size_t w = array_elem_width(elem);
    if (!w || w != vector_elem_size(v->type.id)) return ERR_INVAL;
    if ((rc = reserve(s, w, bytes))) return rc;
    memcpy(s->p + s->len, (const char *)v->data + (size_t)i * w, w);
    s->len += (uint32_t)w;
  }
  s->count++;
  return maybe_dedup(s, elem, set);
}

int agg_collect_merge(struct agg_collect *s, enum type_id elem, int set, struct sv a,
                      int64_t *bytes) {
  const char *p;
  size_t len;
  int has_null, rc;
  if (array_payload(a, elem, &p, &len, &has_null)) return ERR_PARSE;
  uint32_t n = array_count(a);
  if ((uint64_t)s->count + n > ARRAY_MAX_COUNT) return ERR_TOOBIG;
  if (!has_null) { /* the usual case: states hold no NULLs */
    if ((rc = reserve(s, len, bytes))) return rc;
    if (len) memcpy(s->p + s->len, p, len);
    s->len += (uint32_t)len;
    s->count += n;
    return maybe_dedup(s, elem, set);
  }
  struct array_iter it;
  struct array_elem e;
  struct buf tmp;
  buf_init(&tmp, BUF_UNLIMITED);
  if (array_iter_init(&it, a, elem)) return ERR_PARSE;
  uint32_t kept = 0;
  rc = 0;
  int r;
  while (rc == 0 && (r = array_iter_next(&it, &e)) == 1)
    if (!e.is_null) {
      rc = array_stream_put(&tmp, elem, &e);
      kept++;
    }
  if (rc == 0 && r < 0) rc = ERR_PARSE;
  if (rc == 0) rc = reserve(s, tmp.len, bytes);
  if (rc == 0 && tmp.len) {
    memcpy(s->p + s->len, tmp.data, tmp.len);
    s->len += (uint32_t)tmp.len;
    s->count += kept;
  }
  buf_fini(&tmp);
  return rc ? rc : maybe_dedup(s, elem, set);
}

int agg_collect_emit(struct agg_collect *s, enum type_id elem, int set, struct arena *heap,
                     struct sv *out, int64_t *bytes) {
  (void)bytes;
  if (set && s->count > 1) {
    size_t len = s->len;
    int rc = array_stream_distinct(elem, s->p, &len, &s->count);
    if (rc) return rc;
    s->len = (uint32_t)len;
  }
  return array_from_stream(heap, s->p ? s->p : "", s->len, s->count, out);
}

void agg_collect_clear(struct agg_collect *s, uint32_t n) {
  if (!s) return;
  for (uint32_t g = 0; g < n; g++) free(s[g].p);
  memset(s, 0, sizeof *s * n);
}
