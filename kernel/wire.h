/* wire.h: Jupyter wire framing and HMAC signing (messaging.rst "The Wire
 * Protocol").
 *
 * A message on a ROUTER socket is
 *
 *   [ident_1 ... ident_n] "<IDS|MSG>" hmac_hex header parent metadata content [buffers]
 *
 * The delimiter is found by scanning, never by position. The signature is the
 * lowercase hex HMAC-SHA256 over the exact bytes of the four JSON frames as
 * received or sent; we never sign a re-serialisation. Verification uses a
 * constant-time compare. With an empty key signatures are empty and not
 * checked. Buffers are carried but not signed. */
#ifndef KINDLING_WIRE_H
#define KINDLING_WIRE_H

#include <jansson.h>
#include <stddef.h>

#include "common/err.h"

#define WIRE_DELIM "<IDS|MSG>"
#define WIRE_SIG_HEX 64          /* hex digits of an HMAC-SHA256 */
#define WIRE_MAX_FRAMES 64       /* identities + parts + buffers */
#define WIRE_MAX_BYTES (64u << 20) /* whole message cap: larger ones are dropped */

/* One raw frame, as received or about to be sent. */
struct wire_frame {
  const void *data; /* borrowed */
  size_t len;
};

/* A decoded message. All fields are owned by the message. */
struct wire_msg {
  size_t nids;        /* routing identities before the delimiter */
  char **ids;         /* nids byte strings, NUL-terminated; ids_len gives lengths */
  size_t *ids_len;
  json_t *header;
  json_t *parent;
  json_t *metadata;
  json_t *content;
  const char *msg_type; /* borrowed from header */
  const char *msg_id;   /* borrowed from header */
};

/* Compute the lowercase hex HMAC-SHA256 of parts[0..3] with key into
 * hex (WIRE_SIG_HEX + 1 bytes). With key_len == 0 writes "". */
void wire_sign(const char *key, size_t key_len, const struct wire_frame parts[4], char *hex);

/* Decode frames[0..n) into a new message (*out, caller frees with
 * wire_msg_free). Fails with ERR_PARSE (no delimiter, too few frames, bad
 * JSON, header without msg_type/msg_id), ERR_INVAL (bad signature) or
 * ERR_TOOBIG; e gets a log-worthy message. */
int wire_decode(const struct wire_frame *frames, size_t n, const char *key, size_t key_len,
                struct wire_msg **out, struct err *e);

void wire_msg_free(struct wire_msg *m);

/* Serialise header/parent/metadata/content (borrowed) into four compact JSON
 * strings and sign them. Fills parts (new strings, caller frees with
 * wire_parts_free) and hex. Returns 0 or ERR_NOMEM/ERR_INVAL. */
int wire_encode(json_t *header, json_t *parent, json_t *metadata, json_t *content,
                const char *key, size_t key_len, char *parts[4], size_t lens[4], char *hex);
void wire_parts_free(char *parts[4]);

/* Compact JSON text of v (borrowed): the same text as jansson's
 * json_dumps(v, JSON_COMPACT) up to number formatting, built faster.
 * Returns a new string (caller frees; *len gets its length if len is not
 * NULL) or NULL when v is NULL, holds NaN/infinity, nests deeper than 2048
 * levels (or contains itself) or memory runs out. */
char *wire_dumps(json_t *v, size_t *len);

/* Receive one multipart message from a ZeroMQ socket and decode it. Frames
 * beyond WIRE_MAX_FRAMES or WIRE_MAX_BYTES are read and discarded so the
 * socket stays in sync. Returns 0, ERR_TIMEOUT/EAGAIN-like ERR_NOTFOUND when
 * nothing is ready (flags has ZMQ_DONTWAIT), or a decode error. */
int wire_recv(void *sock, int flags, const char *key, size_t key_len, struct wire_msg **out,
              struct err *e);

/* Sign and send a message on sock. ids/ids_len (nids entries, may be 0) are
 * the routing prefix (identities on ROUTER, a topic on PUB). */
int wire_send(void *sock, char *const *ids, const size_t *ids_len, size_t nids, json_t *header,
              json_t *parent, json_t *metadata, json_t *content, const char *key,
              size_t key_len);

/* Send an already encoded message (parts, lens and hex from wire_encode,
 * all borrowed) on sock behind the routing prefix ids. Lets a caller encode
 * and sign outside a lock and hold the lock only while sending. */
int wire_send_encoded(void *sock, char *const *ids, const size_t *ids_len, size_t nids,
                      char *const parts[4], const size_t lens[4], const char *hex);

#endif
