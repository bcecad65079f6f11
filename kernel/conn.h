/* conn.h: the Jupyter connection file (kernels.rst "Connection files").
 *
 * The kernel binds all five sockets at the addresses named here. Transport
 * "tcp" gives tcp://IP:PORT, "ipc" gives ipc://IP-PORT (jupyter_client's
 * convention). An empty key turns signing off. */
#ifndef KINDLING_CONN_H
#define KINDLING_CONN_H

#include "common/err.h"

enum conn_channel { CONN_SHELL, CONN_IOPUB, CONN_STDIN, CONN_CONTROL, CONN_HB, CONN__COUNT };

struct conn {
  char transport[8];      /* "tcp" or "ipc" */
  char ip[256];           /* host for tcp, path prefix for ipc */
  int port[CONN__COUNT];  /* indexed by enum conn_channel */
  char *key;              /* owned; "" when signing is off */
  size_t key_len;
  char scheme[32];        /* "hmac-sha256" */
};

/* Parse connection-file JSON text (len bytes). Fills c (caller calls
 * conn_fini). Errors name the offending field. */
int conn_parse(const char *json, size_t len, struct conn *c, struct err *e);
/* Read and parse the file at path (capped at 64 KiB). */
int conn_load(const char *path, struct conn *c, struct err *e);
void conn_fini(struct conn *c);
/* Write the ZeroMQ endpoint of channel ch into out (size n). */
void conn_endpoint(const struct conn *c, enum conn_channel ch, char *out, size_t n);
/* Channel name for logs ("shell", ...). */
const char *conn_channel_name(enum conn_channel ch);

#endif
