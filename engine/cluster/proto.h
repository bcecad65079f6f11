/* proto.h: the driver <-> executor wire protocol over ZeroMQ, plus small
 * helpers the runtime's driver and executor sides share.
 *
 * A message is one or two frames: a JSON header object whose "t" member
 * names the message type, then an optional binary payload (a job
 * description, a batch frame, map output sizes). On the driver's ROUTER
 * socket an identity frame comes first. Types:
 *   executor -> driver: register {id,pid,cores}; hb {id,running};
 *     status {tid,rc,msg,ename,rows,bytes,spill,path,n} + sizes payload
 *     (n x i64 bytes then n x i64 rows); result {tid} + batch frame;
 *     block {name}; warn {msg}
 *   driver -> executor: job {job} + description; task {...}; cancel {job};
 *     hb_ack {}; shutdown {}
 * Receives are capped (PROTO_MAX_HEADER per header, PROTO_MAX_PAYLOAD per
 * payload, at most 3 frames); an oversized or malformed message is dropped
 * whole, never partially handled. */
#ifndef KINDLING_ENGINE_CLUSTER_PROTO_H
#define KINDLING_ENGINE_CLUSTER_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define PROTO_MAX_HEADER ((size_t)4 << 20)
#define PROTO_MAX_PAYLOAD ((size_t)1 << 30)
#define PROTO_MAX_IDENT 64

struct proto_msg {
  char ident[PROTO_MAX_IDENT + 1]; /* ROUTER side: sender identity (NUL-terminated) */
  size_t ident_len;
  json_t *hdr;                     /* owned */
  const char *type;                /* hdr's "t" (borrowed from hdr) */
  zmq_msg_t payload;               /* valid when has_payload */
  int has_payload;
};

/* Send hdr (borrowed) and payload (borrowed, may be NULL) on sock; ident
 * (may be NULL) is the ROUTER destination. flags: 0 or ZMQ_DONTWAIT.
 * Returns 0 or -1 with errno. */
int proto_send(void *sock, const char *ident, json_t *hdr, const void *payload, size_t len,
               int flags);

/* Receive one message (router: expect an identity frame first). Returns 0
 * with *m filled (release with proto_msg_close), -1 with errno EAGAIN when
 * nothing is waiting (flags ZMQ_DONTWAIT), or -2 for a dropped malformed or
 * oversized message. */
int proto_recv(void *sock, int router, int flags, struct proto_msg *m);

void proto_msg_close(struct proto_msg *m);

static inline const void *proto_payload(struct proto_msg *m, size_t *len) {
  if (!m->has_payload) {
    *len = 0;
    return NULL;
  }
  *len = zmq_msg_size(&m->payload);
  return zmq_msg_data(&m->payload);
}

/* Integer member of m's header, dflt when absent. */
int64_t proto_int(const struct proto_msg *m, const char *key, int64_t dflt);
/* String member (borrowed), dflt when absent. */
const char *proto_str(const struct proto_msg *m, const char *key, const char *dflt);

/* Monotonic clock in milliseconds / microseconds. */
int64_t proto_now_ms(void);
int64_t proto_now_us(void);

/* Set the options every runtime socket gets: no linger, receive size cap. */
void proto_socket_defaults(void *sock);

#endif
