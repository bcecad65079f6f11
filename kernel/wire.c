/* wire.c: Jupyter wire framing and HMAC signing (see wire.h). */
#include "kernel/wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void wire_sign(const char *key, size_t key_len, const struct wire_frame parts[4], char *hex) {
  hex[0] = '\0';
  if (key_len == 0) return;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  /* HMAC_CTX is deprecated on OpenSSL 3; EVP_MAC needs a fetch per call or a
   * shared context with a lock. The one-shot HMAC() cannot take several
   * parts, so feed them through a tiny EVP_MAC context per message: the
   * fetch is cached by OpenSSL and costs well under a microsecond. */
  EVP_MAC *mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac_alg ? EVP_MAC_CTX_new(mac_alg) : NULL;
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
  params[1] = OSSL_PARAM_construct_end();
  size_t out_len = 0;
  if (ctx && EVP_MAC_init(ctx, (const unsigned char *)key, key_len, params)) {
    int ok = 1;
    for (int i = 0; i < 4 && ok; i++)
      ok = EVP_MAC_update(ctx, parts[i].data, parts[i].len);
    if (ok && EVP_MAC_final(ctx, mac, &out_len, sizeof mac)) mac_len = (unsigned)out_len;
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac_alg);
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < mac_len; i++) {
    hex[2 * i] = digits[mac[i] >> 4];
    hex[2 * i + 1] = digits[mac[i] & 15];
  }
  hex[2 * mac_len] = '\0';
}

void wire_msg_free(struct wire_msg *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nids; i++) free(m->ids[i]);
  free(m->ids);
  free(m->ids_len);
  json_decref(m->header);
  json_decref(m->parent);
  json_decref(m->metadata);
  json_decref(m->content);
  free(m);
}

static json_t *load_obj(const struct wire_frame *f, const char *what, struct err *e) {
  json_error_t je;
  json_t *v = json_loadb(f->data, f->len, 0, &je);
  if (!v) {
    err_set(e, ERR_PARSE, "malformed JSON in %s frame: %s", what, je.text);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    err_set(e, ERR_PARSE, "%s frame is not a JSON object", what);
    return NULL;
  }
  return v;
}

int wire_decode(const struct wire_frame *frames, size_t n, const char *key, size_t key_len,
                struct wire_msg **out, struct err *e) {
  *out = NULL;
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += frames[i].len;
  if (n > WIRE_MAX_FRAMES || total > WIRE_MAX_BYTES)
    return err_set(e, ERR_TOOBIG, "message of %zu frames, %zu bytes exceeds the limit", n, total);
  size_t d = 0;
  while (d < n && !(frames[d].len == sizeof WIRE_DELIM - 1 &&
                    memcmp(frames[d].data, WIRE_DELIM, sizeof WIRE_DELIM - 1) == 0))
    d++;
  if (d == n) return err_set(e, ERR_PARSE, "no <IDS|MSG> delimiter in message");
  if (n - d < 6)
    return err_set(e, ERR_PARSE, "message has %zu frames after the delimiter, need 5", n - d - 1);
  const struct wire_frame *sig = &frames[d + 1];
  const struct wire_frame *parts = &frames[d + 2];
  if (key_len) {
    char hex[WIRE_SIG_HEX + 1];
    wire_sign(key, key_len, parts, hex);
    /* Length is public (always 64); only the content is compared in
     * constant time. */
    if (sig->len != WIRE_SIG_HEX || CRYPTO_memcmp(hex, sig->data, WIRE_SIG_HEX) != 0)
      return err_set(e, ERR_INVAL, "invalid message signature");
  }
  struct wire_msg *m = calloc(1, sizeof *m);
  if (!m) return err_set(e, ERR_NOMEM, "out of memory");
  int rc = ERR_PARSE;
  if (!(m->header = load_obj(&parts[0], "header", e)) ||
      !(m->parent = load_obj(&parts[1], "parent_header", e)) ||
      !(m->metadata = load_obj(&parts[2], "metadata", e)) ||
      !(m->content = load_obj(&parts[3], "content", e)))
    goto fail;
  m->msg_type = json_string_value(json_object_get(m->header, "msg_type"));
  m->msg_id = json_string_value(json_object_get(m->header, "msg_id"));
  if (!m->msg_type || !m->msg_id) {
    err_set(e, ERR_PARSE, "header lacks msg_type or msg_id");
    goto fail;
  }
  m->nids = d;
  if (d) {
    m->ids = calloc(d, sizeof *m->ids);
    m->ids_len = calloc(d, sizeof *m->ids_len);
    if (!m->ids || !m->ids_len) goto nomem;
    for (size_t i = 0; i < d; i++) {
      /* NUL-terminated for convenience; ids_len is the real length. */
      m->ids[i] = malloc(frames[i].len + 1);
      if (!m->ids[i]) goto nomem;
      memcpy(m->ids[i], frames[i].data, frames[i].len);
      m->ids[i][frames[i].len] = '\0';
      m->ids_len[i] = frames[i].len;
    }
  }
  *out = m;
  return 0;
nomem:
  rc = err_set(e, ERR_NOMEM, "out of memory");
fail:
  if (m->ids == NULL) m->nids = 0;
  wire_msg_free(m);
  return rc;
}

int wire_encode(json_t *header, json_t *parent, json_t *metadata, json_t *content,
                const char *key, size_t key_len, char *parts[4], size_t lens[4], char *hex) {
  json_t *objs[4] = {header, parent, metadata, content};
  struct wire_frame fr[4];
  for (int i = 0; i < 4; i++) {
    /* JSON_ENSURE_ASCII is off: jansson emits UTF-8, which every client
     * accepts and which keeps non-ASCII output compact. */
    parts[i] = json_dumps(objs[i], JSON_COMPACT);
    if (!parts[i]) {
      for (int j = 0; j < i; j++) free(parts[j]);
      for (int j = 0; j < 4; j++) parts[j] = NULL;
      return ERR_NOMEM;
    }
    lens[i] = strlen(parts[i]);
    fr[i].data = parts[i];
    fr[i].len = lens[i];
  }
  wire_sign(key, key_len, fr, hex);
  return 0;
}

void wire_parts_free(char *parts[4]) {
  for (int i = 0; i < 4; i++) {
    free(parts[i]);
    parts[i] = NULL;
  }
}

int wire_recv(void *sock, int flags, const char *key, size_t key_len, struct wire_msg **out,
              struct err *e) {
  zmq_msg_t frames[WIRE_MAX_FRAMES];
  struct wire_frame views[WIRE_MAX_FRAMES];
  size_t n = 0, total = 0;
  int more = 1, overflow = 0, rc = 0;
  *out = NULL;
  while (more) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, sock, n == 0 ? flags : 0) < 0) {
      zmq_msg_close(&part);
      if (n == 0 && zmq_errno() == EAGAIN) return ERR_NOTFOUND;
      rc = err_set(e, ERR_IO, "receive failed: %s", zmq_strerror(zmq_errno()));
      break;
    }
    more = zmq_msg_more(&part);
    total += zmq_msg_size(&part);
    if (n < WIRE_MAX_FRAMES && total <= WIRE_MAX_BYTES) {
      frames[n] = part;
      views[n].data = zmq_msg_data(&frames[n]);
      views[n].len = zmq_msg_size(&frames[n]);
      n++;
    } else {
      /* Keep reading so the next message starts on a frame boundary. */
      overflow = 1;
      zmq_msg_close(&part);
    }
  }
  if (!rc) {
    if (overflow)
      rc = err_set(e, ERR_TOOBIG, "message larger than %u bytes or %d frames dropped",
                   WIRE_MAX_BYTES, WIRE_MAX_FRAMES);
    else
      rc = wire_decode(views, n, key, key_len, out, e);
  }
  for (size_t i = 0; i < n; i++) zmq_msg_close(&frames[i]);
  return rc;
}

int wire_send(void *sock, char *const *ids, const size_t *ids_len, size_t nids, json_t *header,
              json_t *parent, json_t *metadata, json_t *content, const char *key,
              size_t key_len) {
  char *parts[4];
  size_t lens[4];
  char hex[WIRE_SIG_HEX + 1];
  int rc = wire_encode(header, parent, metadata, content, key, key_len, parts, lens, hex);
  if (rc) return rc;
  for (size_t i = 0; i < nids && !rc; i++)
    if (zmq_send(sock, ids[i], ids_len[i], ZMQ_SNDMORE) < 0) rc = ERR_IO;
  if (!rc && zmq_send(sock, WIRE_DELIM, sizeof WIRE_DELIM - 1, ZMQ_SNDMORE) < 0) rc = ERR_IO;
  if (!rc && zmq_send(sock, hex, strlen(hex), ZMQ_SNDMORE) < 0) rc = ERR_IO;
  for (int i = 0; i < 4 && !rc; i++)
    if (zmq_send(sock, parts[i], lens[i], i < 3 ? ZMQ_SNDMORE : 0) < 0) rc = ERR_IO;
  wire_parts_free(parts);
  return rc;
}
