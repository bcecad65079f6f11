/* proto.c: see proto.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "engine/cluster/proto.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int proto_send(void *sock, const char *ident, json_t *hdr, const void *payload, size_t len,
               int flags) {
  char *text = json_dumps(hdr, JSON_COMPACT);
  if (!text) {
    errno = ENOMEM;
    return -1;
  }
  int rc = 0;
  if (ident && zmq_send(sock, ident, strlen(ident), ZMQ_SNDMORE | flags) < 0) rc = -1;
  if (!rc && zmq_send(sock, text, strlen(text), (payload ? ZMQ_SNDMORE : 0) | flags) < 0) rc = -1;
  if (!rc && payload && zmq_send(sock, payload, len, flags) < 0) rc = -1;
  free(text);
  return rc;
}

static void drain(void *sock) {
  int more = 1;
  size_t sz = sizeof more;
  while (more) {
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, sock, 0) < 0) {
      zmq_msg_close(&f);
      return;
    }
    more = zmq_msg_more(&f);
    zmq_msg_close(&f);
  }
  (void)sz;
}

int proto_recv(void *sock, int router, int flags, struct proto_msg *m) {
  memset(m, 0, sizeof *m);
  zmq_msg_t f[3];
  int n = 0, bad = 0;
  for (;;) {
    zmq_msg_t fr;
    zmq_msg_init(&fr);
    if (zmq_msg_recv(&fr, sock, n == 0 ? flags : 0) < 0) {
      int e = errno;
      zmq_msg_close(&fr);
      for (int i = 0; i < n; i++) zmq_msg_close(&f[i]);
      errno = e;
      return -1;
    }
    int more = zmq_msg_more(&fr);
    if (n == 3) {
      zmq_msg_close(&fr);
      bad = 1;
      if (more) drain(sock);
      break;
    }
    f[n++] = fr;
    if (!more) break;
  }
  int h = router ? 1 : 0;
  if (!bad && (n < h + 1 || n > h + 2)) bad = 1;
  if (!bad && router && zmq_msg_size(&f[0]) > PROTO_MAX_IDENT) bad = 1;
  if (!bad && zmq_msg_size(&f[h]) > PROTO_MAX_HEADER) bad = 1;
  if (!bad && n == h + 2 && zmq_msg_size(&f[h + 1]) > PROTO_MAX_PAYLOAD) bad = 1;
  if (!bad) {
    json_error_t je;
    m->hdr = json_loadb(zmq_msg_data(&f[h]), zmq_msg_size(&f[h]), 0, &je);
    if (!m->hdr || !json_is_object(m->hdr) ||
        !json_is_string(json_object_get(m->hdr, "t")))
      bad = 1;
  }
  if (bad) {
    if (m->hdr) json_decref(m->hdr);
    m->hdr = NULL;
    for (int i = 0; i < n; i++) zmq_msg_close(&f[i]);
    return -2;
  }
  m->type = json_string_value(json_object_get(m->hdr, "t"));
  if (router) {
    m->ident_len = zmq_msg_size(&f[0]);
    memcpy(m->ident, zmq_msg_data(&f[0]), m->ident_len);
    m->ident[m->ident_len] = 0;
    zmq_msg_close(&f[0]);
  }
  zmq_msg_close(&f[h]);
  if (n == h + 2) {
    m->payload = f[h + 1];
    m->has_payload = 1;
  }
  return 0;
}

void proto_msg_close(struct proto_msg *m) {
  if (m->hdr) json_decref(m->hdr);
  m->hdr = NULL;
  if (m->has_payload) zmq_msg_close(&m->payload);
  m->has_payload = 0;
}

int64_t proto_int(const struct proto_msg *m, const char *key, int64_t dflt) {
  json_t *v = json_object_get(m->hdr, key);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

const char *proto_str(const struct proto_msg *m, const char *key, const char *dflt) {
  json_t *v = json_object_get(m->hdr, key);
  return json_is_string(v) ? json_string_value(v) : dflt;
}

int64_t proto_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t proto_now_ms(void) { return proto_now_us() / 1000; }

void proto_socket_defaults(void *sock) {
  int linger = 0;
  int64_t maxmsg = (int64_t)PROTO_MAX_PAYLOAD;
  int hwm = 100000;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
  zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
}
