/* test_conn.c: connection-file parsing, including hostile files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/conn.h"
#include "tests/tap.h"

#define PORTS "\"shell_port\":5001,\"iopub_port\":5002,\"stdin_port\":5003,\"control_port\":5004,\"hb_port\":5005"

static int parse(const char *json, struct conn *c, struct err *e) {
  err_clear(e);
  int rc = conn_parse(json, strlen(json), c, e);
  return rc;
}

int main(void) {
  struct conn c;
  struct err e;
  char ep[512];

  TAP_EQ_INT(parse("{" PORTS ",\"ip\":\"127.0.0.1\",\"transport\":\"tcp\",\"key\":\"k1\","
                   "\"signature_scheme\":\"hmac-sha256\",\"kernel_name\":\"x\"}", &c, &e),
             0, "full tcp file parses (unknown keys ignored)");
  conn_endpoint(&c, CONN_CONTROL, ep, sizeof ep);
  TAP_EQ_STR(ep, "tcp://127.0.0.1:5004", "tcp endpoint");
  TAP_EQ_STR(c.key, "k1", "key read");
  conn_fini(&c);

  TAP_EQ_INT(parse("{" PORTS ",\"ip\":\"/tmp/kernel-x\",\"transport\":\"ipc\",\"key\":\"\"}", &c, &e), 0,
             "ipc file parses");
  conn_endpoint(&c, CONN_HB, ep, sizeof ep);
  TAP_EQ_STR(ep, "ipc:///tmp/kernel-x-5005", "ipc endpoint is ip-port");
  TAP_EQ_INT(c.key_len, 0, "empty key = unsigned");
  conn_fini(&c);

  TAP_EQ_INT(parse("{" PORTS "}", &c, &e), 0, "defaults: tcp, 127.0.0.1, no key");
  TAP_EQ_STR(c.ip, "127.0.0.1", "default ip");
  conn_fini(&c);

  TAP_EQ_INT(parse("{\"shell_port\":1}", &c, &e), ERR_INVAL, "missing ports rejected");
  TAP_OK(strstr(e.msg, "iopub_port") != NULL, "error names the missing field: %s", e.msg);
  conn_fini(&c);
  TAP_EQ_INT(parse("{" PORTS ",\"transport\":\"udp\"}", &c, &e), ERR_INVAL, "unknown transport");
  conn_fini(&c);
  TAP_EQ_INT(parse("{" PORTS ",\"signature_scheme\":\"hmac-md5\"}", &c, &e), ERR_UNSUPPORTED,
             "unsupported scheme");
  conn_fini(&c);
  TAP_EQ_INT(parse("{\"shell_port\":\"5001\"}", &c, &e), ERR_INVAL, "port as string rejected");
  conn_fini(&c);
  TAP_EQ_INT(parse("{\"shell_port\":70000,\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", &c, &e),
             ERR_INVAL, "port out of range");
  conn_fini(&c);
  TAP_EQ_INT(parse("{\"shell_port\":0,\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", &c, &e),
             ERR_UNSUPPORTED, "port 0 (registration handshake) refused clearly");
  conn_fini(&c);
  TAP_EQ_INT(parse("{" PORTS ",\"key\":5}", &c, &e), ERR_INVAL, "non-string key");
  conn_fini(&c);
  TAP_EQ_INT(parse("{\"shell_port\":5001,\n\"iopub_port\":}", &c, &e), ERR_PARSE, "bad JSON");
  TAP_EQ_INT(e.line, 2, "bad JSON error has its line");
  conn_fini(&c);
  TAP_EQ_INT(parse("[1,2,3]", &c, &e), ERR_INVAL, "array at top level");
  conn_fini(&c);
  TAP_EQ_INT(parse("", &c, &e), ERR_PARSE, "empty file");
  conn_fini(&c);
  TAP_EQ_INT(parse("{" PORTS ",\"shell_port\":5}", &c, &e), ERR_PARSE, "duplicate keys rejected");
  conn_fini(&c);

  /* Files: missing, oversized, good. */
  err_clear(&e);
  TAP_EQ_INT(conn_load("/nonexistent/kindling-conn.json", &c, &e), ERR_IO, "missing file");
  TAP_OK(strstr(e.msg, "kindling-conn.json") != NULL, "error names the path");
  char path[] = "/tmp/kindling-conn-XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  for (int i = 0; i < 70000; i++) fputc(' ', f);
  fputs("{" PORTS "}", f);
  fclose(f);
  TAP_EQ_INT(conn_load(path, &c, &e), ERR_TOOBIG, "oversized file rejected");
  f = fopen(path, "w");
  fputs("{" PORTS ",\"key\":\"abc\"}", f);
  fclose(f);
  TAP_EQ_INT(conn_load(path, &c, &e), 0, "file loads");
  TAP_EQ_INT(c.port[CONN_STDIN], 5003, "stdin port");
  conn_fini(&c);
  unlink(path);
  return tap_done();
}
