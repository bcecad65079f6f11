/* rtt.c: a lean Jupyter client that measures a kernel's own execute latency.
 *
 * jupyter_client spends a good part of a round trip in Python: it
 * serialises, signs, verifies and parses every message and turns dates into
 * datetimes. This client does the least a correct frontend must do, the same
 * for every kernel: sign and send an execute_request (code "") on shell,
 * then read shell and IOPub until it has both the execute_reply and the
 * status idle whose parent is that request. Every incoming message has its
 * HMAC verified (constant-time compare) and its four JSON frames parsed;
 * a bad signature or bad JSON ends the run with an error.
 *
 * Usage: rtt -f CONNECTION_FILE [-n EXECUTES] [-w WARMUP]
 * Prints one line: "n=N median_us=... p99_us=... min_us=... mean_us=...".
 * Build: cc -O2 rtt.c $(pkg-config --cflags --libs libzmq jansson openssl)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define MAX_FRAMES 32
#define TIMEOUT_MS 10000

struct conn {
  char base[300];
  int shell, iopub;
  const char *key;
  size_t key_len;
};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int load_conn(const char *path, json_t **root, struct conn *c) {
  json_error_t je;
  *root = json_load_file(path, 0, &je);
  if (!*root) {
    fprintf(stderr, "rtt: %s: %s\n", path, je.text);
    return -1;
  }
  const char *tr = json_string_value(json_object_get(*root, "transport"));
  const char *ip = json_string_value(json_object_get(*root, "ip"));
  c->key = json_string_value(json_object_get(*root, "key"));
  c->shell = (int)json_integer_value(json_object_get(*root, "shell_port"));
  c->iopub = (int)json_integer_value(json_object_get(*root, "iopub_port"));
  if (!tr || !ip || !c->key || !c->shell || !c->iopub) {
    fprintf(stderr, "rtt: %s: incomplete connection file\n", path);
    return -1;
  }
  c->key_len = strlen(c->key);
  snprintf(c->base, sizeof c->base, "%s://%s%s", tr, ip, strcmp(tr, "ipc") == 0 ? "-" : ":");
  return 0;
}

static void sign(const struct conn *c, const char *const parts[4], const size_t lens[4],
                 char hex[65]) {
  hex[0] = '\0';
  if (!c->key_len) return;
  /* HMAC over the concatenation equals HMAC over the parts in sequence. */
  size_t total = lens[0] + lens[1] + lens[2] + lens[3];
  unsigned char *all = malloc(total), mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  size_t off = 0;
  for (int i = 0; i < 4; i++) {
    memcpy(all + off, parts[i], lens[i]);
    off += lens[i];
  }
  HMAC(EVP_sha256(), c->key, (int)c->key_len, all, total, mac, &mac_len);
  free(all);
  for (unsigned i = 0; i < mac_len; i++) sprintf(hex + 2 * i, "%02x", mac[i]);
}

/* Send an execute_request for "" with msg_id id on the DEALER sock. */
static int send_execute(void *sock, const struct conn *c, const char *session, const char *id) {
  char hdr[512];
  snprintf(hdr, sizeof hdr,
           "{\"msg_id\":\"%s\",\"session\":\"%s\",\"username\":\"bench\","
           "\"date\":\"2024-01-01T00:00:00.000000Z\",\"msg_type\":\"execute_request\","
           "\"version\":\"5.3\"}",
           id, session);
  static char parent[] = "{}", meta[] = "{}";
  static char content[] =
      "{\"code\":\"\",\"silent\":false,\"store_history\":true,\"user_expressions\":{},"
      "\"allow_stdin\":false,\"stop_on_error\":true}";
  const char *parts[4] = {hdr, parent, meta, content};
  size_t lens[4] = {strlen(hdr), 2, 2, sizeof content - 1};
  char hex[65];
  sign(c, parts, lens, hex);
  if (zmq_send(sock, "<IDS|MSG>", 9, ZMQ_SNDMORE) < 0 ||
      zmq_send(sock, hex, strlen(hex), ZMQ_SNDMORE) < 0)
    return -1;
  for (int i = 0; i < 4; i++)
    if (zmq_send(sock, parts[i], lens[i], i < 3 ? ZMQ_SNDMORE : 0) < 0) return -1;
  return 0;
}

/* Receive one multipart message; returns the frame count (frames in f). */
static int recv_msg(void *sock, zmq_msg_t f[MAX_FRAMES]) {
  int n = 0, more = 1;
  while (more) {
    zmq_msg_t tmp;
    zmq_msg_t *m = n < MAX_FRAMES ? &f[n] : &tmp;
    zmq_msg_init(m);
    if (zmq_msg_recv(m, sock, 0) < 0) {
      zmq_msg_close(m);
      return -1;
    }
    more = zmq_msg_more(m);
    if (m == &tmp)
      zmq_msg_close(m);
    else
      n++;
  }
  return n;
}

/* 1 if frame sig holds the HMAC of the four frames after it (constant time). */
static int verified(const struct conn *c, zmq_msg_t *sig, zmq_msg_t f[4]) {
  const char *parts[4];
  size_t lens[4];
  for (int i = 0; i < 4; i++) {
    parts[i] = zmq_msg_data(&f[i]);
    lens[i] = zmq_msg_size(&f[i]);
  }
  char hex[65];
  sign(c, parts, lens, hex);
  size_t n = strlen(hex);
  if (zmq_msg_size(sig) != n) return 0;
  const char *got = zmq_msg_data(sig);
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(got[i] ^ hex[i]);
  return diff == 0;
}

/* Classify a received message: 1 if its parent is msg_id and it is the one we
 * wait for on this channel (execute_reply on shell, status idle on IOPub);
 * -1 if it is not a valid, correctly signed message. */
static int is_done(const struct conn *c, zmq_msg_t *f, int n, const char *msg_id, int iopub) {
  int d = 0;
  while (d < n && !(zmq_msg_size(&f[d]) == 9 && memcmp(zmq_msg_data(&f[d]), "<IDS|MSG>", 9) == 0))
    d++;
  if (n - d < 6 || !verified(c, &f[d + 1], &f[d + 2])) return -1;
  json_t *hdr = json_loadb(zmq_msg_data(&f[d + 2]), zmq_msg_size(&f[d + 2]), 0, NULL);
  json_t *par = json_loadb(zmq_msg_data(&f[d + 3]), zmq_msg_size(&f[d + 3]), 0, NULL);
  json_t *meta = json_loadb(zmq_msg_data(&f[d + 4]), zmq_msg_size(&f[d + 4]), 0, NULL);
  json_t *ct = json_loadb(zmq_msg_data(&f[d + 5]), zmq_msg_size(&f[d + 5]), 0, NULL);
  if (!hdr || !par || !meta || !ct) {
    json_decref(hdr);
    json_decref(par);
    json_decref(meta);
    json_decref(ct);
    return -1;
  }
  const char *type = json_string_value(json_object_get(hdr, "msg_type"));
  const char *pid = json_string_value(json_object_get(par, "msg_id"));
  int done = 0;
  if (type && pid && strcmp(pid, msg_id) == 0) {
    if (!iopub) {
      done = strcmp(type, "execute_reply") == 0;
    } else if (strcmp(type, "status") == 0) {
      const char *st = json_string_value(json_object_get(ct, "execution_state"));
      done = st && strcmp(st, "idle") == 0;
    }
  }
  json_decref(hdr);
  json_decref(par);
  json_decref(meta);
  json_decref(ct);
  return done;
}

/* One execute; returns microseconds or a negative value on timeout. */
static double one(void *shell, void *iopub, const struct conn *c, const char *session, long i,
                  int timeout_ms) {
  char id[64];
  snprintf(id, sizeof id, "%s-%ld", session, i);
  double t0 = now_us();
  if (send_execute(shell, c, session, id) != 0) return -1;
  int got_reply = 0, got_idle = 0;
  zmq_msg_t f[MAX_FRAMES];
  while (!got_reply || !got_idle) {
    zmq_pollitem_t it[2] = {{shell, 0, ZMQ_POLLIN, 0}, {iopub, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(it, 2, timeout_ms) <= 0) return -1;
    for (int s = 0; s < 2; s++) {
      if (!(it[s].revents & ZMQ_POLLIN)) continue;
      int n = recv_msg(s ? iopub : shell, f);
      if (n < 0) return -1;
      int done = is_done(c, f, n, id, s);
      for (int j = 0; j < n; j++) zmq_msg_close(&f[j]);
      if (done < 0) {
        fprintf(stderr, "rtt: a message with a bad signature or bad JSON arrived\n");
        exit(1);
      }
      if (done) *(s ? &got_idle : &got_reply) = 1;
    }
  }
  return now_us() - t0;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *path = NULL;
  long n = 1000, warm = 50;
  int bad = 0;
  for (int i = 1; i < argc && !bad; i++) {
    if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
      path = argv[++i];
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      n = atol(argv[++i]);
    else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
      warm = atol(argv[++i]);
    else
      bad = 1;
  }
  if (bad || !path || n < 1 || warm < 0) {
    fprintf(stderr, "usage: rtt -f CONNECTION_FILE [-n EXECUTES] [-w WARMUP]\n");
    return 2;
  }
  json_t *root;
  struct conn c;
  if (load_conn(path, &root, &c) != 0) return 1;
  void *ctx = zmq_ctx_new();
  void *shell = zmq_socket(ctx, ZMQ_DEALER), *iopub = zmq_socket(ctx, ZMQ_SUB);
  int zero = 0;
  zmq_setsockopt(shell, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(iopub, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt(iopub, ZMQ_SUBSCRIBE, "", 0);
  char ep[340];
  snprintf(ep, sizeof ep, "%s%d", c.base, c.shell);
  zmq_connect(shell, ep);
  snprintf(ep, sizeof ep, "%s%d", c.base, c.iopub);
  zmq_connect(iopub, ep);
  char session[40];
  snprintf(session, sizeof session, "rtt%ld", (long)now_us());
  /* The SUB needs a moment before it sees messages (slow joiner); retry the
   * first execute until its idle arrives. */
  int joined = 0;
  for (int tries = 0; tries < 50 && !joined; tries++)
    joined = one(shell, iopub, &c, session, -1 - tries, 200) >= 0;
  if (!joined) {
    fprintf(stderr, "rtt: kernel did not answer\n");
    return 1;
  }
  for (long i = 0; i < warm; i++) one(shell, iopub, &c, session, 1000000 + i, TIMEOUT_MS);
  double *t = malloc((size_t)n * sizeof *t), sum = 0;
  if (!t) return 1;
  for (long i = 0; i < n; i++) {
    t[i] = one(shell, iopub, &c, session, i, TIMEOUT_MS);
    if (t[i] < 0) {
      fprintf(stderr, "rtt: execute %ld timed out\n", i);
      return 1;
    }
    sum += t[i];
  }
  qsort(t, (size_t)n, sizeof *t, cmp_d);
  long p99 = (long)(n * 0.99) - 1;
  printf("n=%ld median_us=%.1f p99_us=%.1f min_us=%.1f mean_us=%.1f\n", n, t[n / 2],
         t[p99 < 0 ? 0 : p99], t[0], sum / n);
  free(t);
  zmq_close(shell);
  zmq_close(iopub);
  zmq_ctx_term(ctx);
  json_decref(root);
  return 0;
}
