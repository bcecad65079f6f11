/* wire.c: Jupyter wire framing and HMAC signing (see wire.h). */
#include "kernel/wire.h"

/* The deprecated low-level SHA-256 functions are used on purpose: every EVP
 * entry point (EVP_MAC, HMAC(), EVP_Digest) first initialises OpenSSL's
 * provider machinery, which faults in about 2 MB of libcrypto (a quarter of
 * an idle kernel's memory) and takes a lock-protected method-store lookup per
 * message. SHA256_Init and friends run the same assembly directly. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/buf.h"

#define HMAC_BLOCK 64 /* SHA-256 block size */

void wire_sign(const char *key, size_t key_len, const struct wire_frame parts[4], char *hex) {
  hex[0] = '\0';
  if (key_len == 0) return;
  /* HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || message)), with K the
   * key zero-padded to a block, or its digest when longer than a block. */
  unsigned char k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK], inner[SHA256_DIGEST_LENGTH],
                mac[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  if (key_len > HMAC_BLOCK) {
    /* Not SHA256(): on OpenSSL 3 the one-shot goes through EVP. */
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, key, key_len);
    SHA256_Final(k, &ctx);
  } else {
    memcpy(k, key, key_len);
  }
  for (int i = 0; i < HMAC_BLOCK; i++) pad[i] = k[i] ^ 0x36;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, HMAC_BLOCK);
  for (int i = 0; i < 4; i++) SHA256_Update(&ctx, parts[i].data, parts[i].len);
  SHA256_Final(inner, &ctx);
  for (int i = 0; i < HMAC_BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad, HMAC_BLOCK);
  SHA256_Update(&ctx, inner, sizeof inner);
  SHA256_Final(mac, &ctx);
  /* The key schedule is secret: do not leave it on the stack. */
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < sizeof mac; i++) {
    hex[2 * i] = digits[mac[i] >> 4];
    hex[2 * i + 1] = digits[mac[i] & 15];
  }
  hex[2 * sizeof mac] = '\0';
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

/* ---- compact JSON writer ------------------------------------------------
 * jansson's json_dumps goes through a callback per token and a printf per
 * number; on a trivial execute it was the largest single cost in the shell
 * thread (16 objects per execute). This writer emits the same compact,
 * UTF-8 text (strings are valid UTF-8 by construction in jansson) with a
 * handful of buffer appends. */

#define DUMP_MAX_DEPTH 2048 /* jansson's own parse limit; also stops cycles */

static int dump_string(struct buf *b, const char *s, size_t n) {
  static const char hexd[] = "0123456789ABCDEF"; /* as jansson */
  int rc = buf_putc(b, '"');
  size_t run = 0; /* start of the pending run of bytes that need no escape */
  for (size_t i = 0; i < n && !rc; i++) {
    /* Tables are megabytes of text with rare escapes: skip 8 bytes at a
     * time while none of them is a control byte, '"' or '\\'. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
      uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
      uint64_t hit = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
      if (hit) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    rc = buf_append(b, s + run, i - run);
    run = i + 1;
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t el = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        memcpy(esc + 1, "u00", 3);
        esc[4] = hexd[c >> 4];
        esc[5] = hexd[c & 15];
        el = 6;
    }
    if (!rc) rc = buf_append(b, esc, el);
  }
  if (!rc) rc = buf_append(b, s + run, n - run);
  return rc ? rc : buf_putc(b, '"');
}

/* A double exactly as jansson writes it (tables carry thousands, so not
 * through json_dumps and a malloc each): "%.17g", a ".0" when that reads
 * back as an integer, and an exponent without '+' or leading zeros. The
 * kernel never calls setlocale, so the decimal point is '.'. */
static int dump_real(struct buf *b, double x) {
  char t[48];
  if (!isfinite(x)) return ERR_INVAL; /* not JSON */
  int n = snprintf(t, sizeof t - 2, "%.17g", x);
  if (n <= 0 || (size_t)n >= sizeof t - 2) return ERR_INVAL;
  if (!strchr(t, '.') && !strchr(t, 'e')) {
    memcpy(t + n, ".0", 3);
    n += 2;
  }
  char *e = strchr(t, 'e');
  if (e) {
    char *start = e + 1, *end = e + 2; /* drop '+', keep '-', drop zeros */
    if (*start == '-') start++;
    while (*end == '0') end++;
    if (end != start) {
      memmove(start, end, (size_t)(t + n - end) + 1);
      n -= (int)(end - start);
    }
  }
  return buf_append(b, t, (size_t)n);
}

static int dump_value(struct buf *b, json_t *v, int depth) {
  if (depth > DUMP_MAX_DEPTH) return ERR_INVAL;
  int rc = 0;
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      const char *key;
      json_t *val;
      char sep = '{';
      json_object_foreach(v, key, val) {
        if ((rc = buf_putc(b, sep)) || (rc = dump_string(b, key, strlen(key))) ||
            (rc = buf_putc(b, ':')) || (rc = dump_value(b, val, depth + 1)))
          return rc;
        sep = ',';
      }
      return sep == '{' ? buf_append(b, "{}", 2) : buf_putc(b, '}');
    }
    case JSON_ARRAY: {
      size_t i;
      json_t *val;
      char sep = '[';
      json_array_foreach(v, i, val) {
        if ((rc = buf_putc(b, sep)) || (rc = dump_value(b, val, depth + 1))) return rc;
        sep = ',';
      }
      return sep == '[' ? buf_append(b, "[]", 2) : buf_putc(b, ']');
    }
    case JSON_STRING:
      return dump_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return buf_put_int(b, json_integer_value(v));
    case JSON_REAL: return dump_real(b, json_real_value(v));
    case JSON_TRUE: return buf_append(b, "true", 4);
    case JSON_FALSE: return buf_append(b, "false", 5);
    case JSON_NULL: return buf_append(b, "null", 4);
  }
  return ERR_INVAL;
}

char *wire_dumps(json_t *v, size_t *len) {
  struct buf b;
  buf_init(&b, BUF_UNLIMITED);
  if (!v || dump_value(&b, v, 0) != 0 || (!b.data && buf_append(&b, "", 0) != 0)) {
    buf_fini(&b);
    return NULL;
  }
  if (len) *len = b.len;
  return buf_steal(&b);
}

int wire_encode(json_t *header, json_t *parent, json_t *metadata, json_t *content,
                const char *key, size_t key_len, char *parts[4], size_t lens[4], char *hex) {
  json_t *objs[4] = {header, parent, metadata, content};
  struct wire_frame fr[4];
  for (int i = 0; i < 4; i++) {
    /* Non-ASCII stays UTF-8 (not escaped): every client accepts it and
     * it keeps non-ASCII output compact. */
    parts[i] = wire_dumps(objs[i], &lens[i]);
    if (!parts[i]) {
      for (int j = 0; j < i; j++) free(parts[j]);
      for (int j = 0; j < 4; j++) parts[j] = NULL;
      return ERR_NOMEM;
    }
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

int wire_send_encoded(void *sock, char *const *ids, const size_t *ids_len, size_t nids,
                      char *const parts[4], const size_t lens[4], const char *hex) {
  int rc = 0;
  for (size_t i = 0; i < nids && !rc; i++)
    if (zmq_send(sock, ids[i], ids_len[i], ZMQ_SNDMORE) < 0) rc = ERR_IO;
  if (!rc && zmq_send(sock, WIRE_DELIM, sizeof WIRE_DELIM - 1, ZMQ_SNDMORE) < 0) rc = ERR_IO;
  if (!rc && zmq_send(sock, hex, strlen(hex), ZMQ_SNDMORE) < 0) rc = ERR_IO;
  for (int i = 0; i < 4 && !rc; i++)
    if (zmq_send(sock, parts[i], lens[i], i < 3 ? ZMQ_SNDMORE : 0) < 0) rc = ERR_IO;
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
  rc = wire_send_encoded(sock, ids, ids_len, nids, parts, lens, hex);
  wire_parts_free(parts);
  return rc;
}
