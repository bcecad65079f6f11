/* conn.c: connection-file parsing (see conn.h). */
#include "kernel/conn.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_FILE_MAX (64 * 1024)

static const char *const port_keys[CONN__COUNT] = {
    "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"};

const char *conn_channel_name(enum conn_channel ch) {
  static const char *const names[CONN__COUNT] = {"shell", "iopub", "stdin", "control", "hb"};
  return (unsigned)ch < CONN__COUNT ? names[ch] : "?";
}

static int copy_str(json_t *root, const char *key, const char *dflt, char *out,
                    size_t n, struct err *e) {
  json_t *v = json_object_get(root, key);
  const char *s = dflt;
  if (v) {
    if (!json_is_string(v))
      return err_set(e, ERR_INVAL, "connection file: \"%s\" must be a string", key);
    s = json_string_value(v);
  }
  if (!s) return err_set(e, ERR_INVAL, "connection file: \"%s\" is missing", key);
  if (strlen(s) >= n)
    return err_set(e, ERR_INVAL, "connection file: \"%s\" is too long", key);
  snprintf(out, n, "%s", s);
  return 0;
}

int conn_parse(const char *json, size_t len, struct conn *c, struct err *e) {
  memset(c, 0, sizeof *c);
  json_error_t je;
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return err_set_at(e, ERR_PARSE, je.line, je.column,
                      "connection file is not valid JSON: %s (line %d, column %d)",
                      je.text, je.line, je.column);
  int rc = 0;
  if (!json_is_object(root)) {
    rc = err_set(e, ERR_INVAL, "connection file: top level must be a JSON object");
    goto out;
  }
  if ((rc = copy_str(root, "transport", "tcp", c->transport, sizeof c->transport, e)) ||
      (rc = copy_str(root, "ip", "127.0.0.1", c->ip, sizeof c->ip, e)) ||
      (rc = copy_str(root, "signature_scheme", "hmac-sha256", c->scheme, sizeof c->scheme, e)))
    goto out;
  if (strcmp(c->transport, "tcp") != 0 && strcmp(c->transport, "ipc") != 0) {
    rc = err_set(e, ERR_INVAL, "connection file: transport \"%s\" is not supported (use tcp or ipc)",
                 c->transport);
    goto out;
  }
  if (strcmp(c->scheme, "hmac-sha256") != 0) {
    rc = err_set(e, ERR_UNSUPPORTED,
                 "connection file: signature_scheme \"%s\" is not supported (use hmac-sha256)",
                 c->scheme);
    goto out;
  }
  for (int i = 0; i < CONN__COUNT; i++) {
    json_t *p = json_object_get(root, port_keys[i]);
    if (!p) {
      rc = err_set(e, ERR_INVAL, "connection file: \"%s\" is missing", port_keys[i]);
      goto out;
    }
    if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 65535) {
      rc = err_set(e, ERR_INVAL, "connection file: \"%s\" must be an integer from 0 to 65535",
                   port_keys[i]);
      goto out;
    }
    c->port[i] = (int)json_integer_value(p);
    if (c->port[i] == 0) {
      /* Port 0 means "kernel picks", which needs the 5.6 registration
       * handshake; we do not implement it, so refuse clearly. */
      rc = err_set(e, ERR_UNSUPPORTED,
                   "connection file: \"%s\" is 0; Kindling needs explicit ports", port_keys[i]);
      goto out;
    }
  }
  json_t *k = json_object_get(root, "key");
  const char *key = "";
  size_t klen = 0;
  if (k) {
    if (!json_is_string(k)) {
      rc = err_set(e, ERR_INVAL, "connection file: \"key\" must be a string");
      goto out;
    }
    key = json_string_value(k);
    klen = json_string_length(k);
  }
  c->key = malloc(klen + 1);
  if (!c->key) {
    rc = err_set(e, ERR_NOMEM, "out of memory");
    goto out;
  }
  memcpy(c->key, key, klen);
  c->key[klen] = '\0';
  c->key_len = klen;
out:
  json_decref(root);
  return rc;
}

int conn_load(const char *path, struct conn *c, struct err *e) {
  memset(c, 0, sizeof *c);
  FILE *f = fopen(path, "rb");
  if (!f)
    return err_set(e, ERR_IO, "cannot open connection file %s: %s", path, strerror(errno));
  char *data = malloc(CONN_FILE_MAX + 1);
  if (!data) {
    fclose(f);
    return err_set(e, ERR_NOMEM, "out of memory");
  }
  size_t n = fread(data, 1, CONN_FILE_MAX + 1, f);
  fclose(f);
  int rc;
  if (n > CONN_FILE_MAX)
    rc = err_set(e, ERR_TOOBIG, "connection file %s is larger than %d bytes", path, CONN_FILE_MAX);
  else
    rc = conn_parse(data, n, c, e);
  free(data);
  return rc;
}

void conn_fini(struct conn *c) {
  free(c->key);
  c->key = NULL;
}

void conn_endpoint(const struct conn *c, enum conn_channel ch, char *out, size_t n) {
  if (strcmp(c->transport, "ipc") == 0)
    snprintf(out, n, "ipc://%s-%d", c->ip, c->port[ch]);
  else
    snprintf(out, n, "tcp://%s:%d", c->ip, c->port[ch]);
}
