/* fuzz_wire.c: libFuzzer target for the Jupyter wire decoder
 * (kernel/wire.c: frames -> signed message).
 *
 * The input is cut into frames at each 0x1e byte (at most WIRE_MAX_FRAMES),
 * then decoded unsigned and signed with a fixed key. Besides crashes and
 * leaks it checks the contract: a decoded message has an object header with
 * msg_type and msg_id; re-encoding and signing it decodes again (with the
 * same identities); a failure leaves *out NULL and a NUL-terminated message.
 * Also linked into tests/unit/test_wire_corpus, which replays tricky inputs
 * in every `make check`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "kernel/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct wire_msg *m, const char *key, size_t klen) {
  char *parts[4];
  size_t lens[4];
  char hex[WIRE_SIG_HEX + 1];
  if (wire_encode(m->header, m->parent, m->metadata, m->content, key, klen, parts, lens, hex) != 0)
    return; /* out of memory, or a value jansson cannot dump */
  struct wire_frame f[WIRE_MAX_FRAMES + 6];
  size_t n = 0;
  for (size_t i = 0; i < m->nids && n < WIRE_MAX_FRAMES; i++)
    f[n++] = (struct wire_frame){m->ids[i], m->ids_len[i]};
  f[n++] = (struct wire_frame){WIRE_DELIM, strlen(WIRE_DELIM)};
  f[n++] = (struct wire_frame){hex, strlen(hex)};
  for (int i = 0; i < 4; i++) f[n++] = (struct wire_frame){parts[i], lens[i]};
  struct wire_msg *again = NULL;
  struct err e;
  err_clear(&e);
  if (wire_decode(f, n, key, klen, &again, &e) != 0) abort();
  if (again->nids != m->nids || strcmp(again->msg_id, m->msg_id) != 0) abort();
  wire_msg_free(again);
  wire_parts_free(parts);
}

static void decode(const struct wire_frame *f, size_t n, const char *key, size_t klen) {
  struct wire_msg *m = (struct wire_msg *)1;
  struct err e;
  err_clear(&e);
  if (wire_decode(f, n, key, klen, &m, &e) != 0) {
    if (m != NULL || memchr(e.msg, 0, sizeof e.msg) == NULL) abort();
    return;
  }
  if (!json_is_object(m->header) || !m->msg_type || !m->msg_id) abort();
  if (m->nids > WIRE_MAX_FRAMES) abort();
  roundtrip(m, key, klen);
  wire_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > ((size_t)1 << 20)) return 0;
  struct wire_frame f[WIRE_MAX_FRAMES + 1];
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= size && n < WIRE_MAX_FRAMES + 1; i++) {
    if (i == size || data[i] == 0x1e) {
      f[n++] = (struct wire_frame){data + start, i - start};
      start = i + 1;
    }
  }
  decode(f, n, "", 0);
  decode(f, n, "fuzz-key", 8);
  return 0;
}
