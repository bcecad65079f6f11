/* msg.c: Jupyter message headers (see msg.h). */
#include "kernel/msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <uuid/uuid.h>

/* Every message needs a msg_id. libuuid's uuid_generate costs five system
 * calls per id (getrandom plus the getpid/getuid/getppid/gettid of its
 * fallback seeding), about a fifth of a trivial execute's system calls.
 * Instead each thread draws random bytes from the kernel a page at a time
 * and formats version-4 ids from them: the same randomness source, one
 * system call per 256 ids. A forked child discards the pool it inherited so
 * parent and child never hand out the same ids. */
#define POOL_BYTES 4096

struct uuid_pool {
  unsigned char b[POOL_BYTES];
  size_t avail; /* unused bytes at the end of b; zero-initialised = empty, so
                 * the pool lives in .tbss and costs threads that never make
                 * ids nothing */
};

static _Thread_local struct uuid_pool pool;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void) { pool.avail = 0; }
static void register_atfork(void) { pthread_atfork(NULL, NULL, pool_forget); }

static int pool_refill(void) {
  size_t got = 0;
  while (got < POOL_BYTES) {
    ssize_t r = getrandom(pool.b + got, POOL_BYTES - got, 0);
    if (r > 0)
      got += (size_t)r;
    else if (errno != EINTR)
      return -1;
  }
  pool.avail = POOL_BYTES;
  return 0;
}

void msg_uuid(char out[37]) {
  pthread_once(&atfork_once, register_atfork);
  unsigned char u[16];
  if (pool.avail < sizeof u && pool_refill() != 0) {
    uuid_generate(u); /* no getrandom (old kernel, seccomp): libuuid copes */
  } else {
    memcpy(u, pool.b + POOL_BYTES - pool.avail, sizeof u);
    pool.avail -= sizeof u;
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  }
  uuid_unparse_lower(u, out);
}

void msg_date_now(char *out, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

json_t *msg_header(const char *session, const char *username, const char *msg_type) {
  char id[37], date[40];
  msg_uuid(id);
  msg_date_now(date, sizeof date);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", id, "session", session,
                   "username", username, "date", date, "msg_type", msg_type, "version",
                   MSG_PROTOCOL_VERSION);
}
