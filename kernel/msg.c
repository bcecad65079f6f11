/* msg.c: Jupyter message headers (see msg.h). */
#include "kernel/msg.h"

#include <stdio.h>
#include <time.h>
#include <uuid/uuid.h>

void msg_uuid(char out[37]) {
  uuid_t u;
  uuid_generate(u);
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
