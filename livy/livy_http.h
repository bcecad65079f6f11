/* livy_http.h: HTTP to an Apache Livy server over libcurl.
 *
 * One struct livy_http per thread (a curl easy handle is not thread-safe):
 * the shell thread, the heartbeat thread and the cancel path each clone
 * their own from the same settings. Connections are kept alive.
 *
 * Every request has a total timeout and a response-size cap. Requests are
 * retried with the configured backoff on connection errors and 5xx answers,
 * never on 4xx. Error bodies come in three shapes (livy-protocol.md 1.1):
 * {"msg": ...}, a bare JSON string, or an HTML page; livy_http_error_text
 * turns any of them into one readable line. Passwords never reach a log or
 * an error message. */
#ifndef KINDLING_LIVY_HTTP_H
#define KINDLING_LIVY_HTTP_H

#include <jansson.h>

#include "common/err.h"

#define LIVY_HTTP_MAX_BODY (256u << 20) /* response cap */

enum livy_auth { LIVY_AUTH_NONE, LIVY_AUTH_BASIC, LIVY_AUTH_KERBEROS };

struct livy_http_conf {
  char *url;               /* base URL without trailing slash */
  enum livy_auth auth;
  char *user;              /* Basic user, may be NULL */
  char *password;          /* Basic password, may be NULL; never printed */
  int verify_tls;          /* 0 when ignore_ssl_errors */
  json_t *headers;         /* extra headers {name: value} (custom_headers), may be NULL */
  double timeout;          /* seconds for one request */
  double retry_sleeps[16]; /* backoff; the last value repeats */
  int nsleeps;
  int max_retries;         /* 0 = no retries */
};

struct livy_http;

/* New client for conf (copied; caller keeps conf). NULL when out of memory. */
struct livy_http *livy_http_new(const struct livy_http_conf *conf);
/* New client with the same settings (for another thread). */
struct livy_http *livy_http_clone(const struct livy_http *h);
void livy_http_free(struct livy_http *h);
/* The base URL (borrowed). */
const char *livy_http_url(const struct livy_http *h);
/* Override the per-request timeout (seconds) for later requests. */
void livy_http_set_timeout(struct livy_http *h, double seconds);
/* Make retries give up early when *flag becomes non-zero (interrupt). */
void livy_http_set_cancel_flag(struct livy_http *h, const volatile int *flag);

/* Send method path (e.g. "GET", "/sessions/3") with an optional JSON body
 * (borrowed). On a 2xx answer returns 0 with *status and *resp (new JSON
 * value, or NULL for an empty body). On any other answer returns ERR_REMOTE
 * with *status set, *resp the parsed error body if it was JSON, and e->msg
 * a readable line ("Livy answered 404 for GET /sessions/7: Session '7' not
 * found."). Connection failures are ERR_IO with curl's reason; 401 with
 * Kerberos says to run kinit. retry: 0 = never retry (non-idempotent
 * calls), 1 = per the retry policy. */
int livy_http_request(struct livy_http *h, const char *method, const char *path, json_t *body,
                      int retry, long *status, json_t **resp, struct err *e);

/* One readable line from an error body (any of Livy's three shapes).
 * Returns a new string (caller frees). */
char *livy_http_error_text(const char *body, size_t len);

#endif
