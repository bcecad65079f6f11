/* livy_http.c: HTTP to Livy over libcurl (see livy_http.h). */
#include "livy/livy_http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "config.h"
#include "livy/livy_curl.h"

struct livy_http {
  struct livy_http_conf conf; /* owned copies */
  const struct livy_curl *cu; /* NULL until the first request loads libcurl */
  CURL *curl;                 /* made at the first request, then kept alive */
  const volatile int *cancel;
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

struct livy_http *livy_http_new(const struct livy_http_conf *conf) {
  struct livy_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->conf = *conf;
  h->conf.url = dup_or_null(conf->url);
  h->conf.user = dup_or_null(conf->user);
  h->conf.password = dup_or_null(conf->password);
  h->conf.headers = conf->headers ? json_deep_copy(conf->headers) : NULL;
  if (h->conf.url) {
    size_t n = strlen(h->conf.url);
    while (n > 0 && h->conf.url[n - 1] == '/') h->conf.url[--n] = '\0';
  }
  if (h->conf.timeout <= 0) h->conf.timeout = 30;
  if (!h->conf.url) {
    livy_http_free(h);
    return NULL;
  }
  return h;
}

struct livy_http *livy_http_clone(const struct livy_http *h) {
  return livy_http_new(&h->conf);
}

void livy_http_free(struct livy_http *h) {
  if (!h) return;
  if (h->curl) h->cu->easy_cleanup(h->curl);
  free(h->conf.url);
  free(h->conf.user);
  if (h->conf.password) {
    /* Do not leave the password in freed memory. */
    memset(h->conf.password, 0, strlen(h->conf.password));
    free(h->conf.password);
  }
  json_decref(h->conf.headers);
  free(h);
}

const char *livy_http_url(const struct livy_http *h) { return h->conf.url; }
void livy_http_set_timeout(struct livy_http *h, double s) { h->conf.timeout = s; }
void livy_http_set_cancel_flag(struct livy_http *h, const volatile int *flag) { h->cancel = flag; }

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  struct buf *b = ud;
  if (buf_append(b, p, size * n) != 0) return 0; /* over the cap: abort */
  return size * n;
}

char *livy_http_error_text(const char *body, size_t len) {
  if (!body || len == 0) return strdup("(empty body)");
  json_t *j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
  struct buf b;
  buf_init(&b, 1 << 16);
  if (json_is_object(j) && json_is_string(json_object_get(j, "msg"))) {
    buf_puts(&b, json_string_value(json_object_get(j, "msg")));
  } else if (json_is_string(j)) {
    /* Livy's bare strings may carry a remote stack trace: keep line one. */
    const char *s = json_string_value(j);
    const char *nl = strchr(s, '\n');
    buf_append(&b, s, nl ? (size_t)(nl - s) : strlen(s));
  } else {
    /* An HTML page from a filter (CSRF, auth) or a proxy: strip tags and
     * squeeze white space; prefer the <title> when there is one. */
    const char *t = strstr(body, "<title>");
    const char *te = t ? strstr(t, "</title>") : NULL;
    const char *s = body, *end = body + len;
    if (t && te) {
      s = t + 7;
      end = te;
    }
    int in_tag = 0, space = 0;
    for (const char *p = s; p < end && b.len < 400; p++) {
      if (*p == '<') in_tag = 1;
      else if (*p == '>') in_tag = 0;
      else if (!in_tag) {
        if (isspace((unsigned char)*p)) space = 1;
        else {
          if (space && b.len) buf_putc(&b, ' ');
          space = 0;
          buf_putc(&b, *p);
        }
      }
    }
  }
  json_decref(j);
  if (b.len == 0) buf_puts(&b, "(no message)");
  return buf_steal(&b);
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* One attempt. Returns 0 on a completed exchange (any status), else the
 * curl error code. */
static CURLcode attempt(struct livy_http *h, const char *method, const char *url,
                        const char *payload, struct buf *resp, long *status) {
  const struct livy_curl *cu = h->cu;
  CURL *c = h->curl;
  cu->easy_reset(c);
  struct curl_slist *hdrs = NULL;
  hdrs = cu->slist_append(hdrs, "Content-Type: application/json");
  hdrs = cu->slist_append(hdrs, "Accept: application/json");
  int have_xrb = 0;
  if (json_is_object(h->conf.headers)) {
    const char *k;
    json_t *v;
    json_object_foreach(h->conf.headers, k, v) {
      if (!json_is_string(v)) continue;
      if (strcasecmp(k, "X-Requested-By") == 0) have_xrb = 1;
      struct buf line;
      buf_init(&line, 8192);
      buf_printf(&line, "%s: %s", k, json_string_value(v));
      hdrs = cu->slist_append(hdrs, line.data);
      buf_fini(&line);
    }
  }
  /* Livy's CSRF filter wants this on every POST/DELETE; any value works. */
  if (!have_xrb) hdrs = cu->slist_append(hdrs, "X-Requested-By: kindling");
  cu->easy_setopt(c, CURLOPT_URL, url);
  cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  cu->easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (payload) {
    cu->easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
  } else if (strcmp(method, "POST") == 0) {
    cu->easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
  }
  cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  cu->easy_setopt(c, CURLOPT_WRITEDATA, resp);
  cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->conf.timeout * 1000));
  cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->conf.timeout < 10 ? h->conf.timeout * 1000 : 10000));
  cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  cu->easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  cu->easy_setopt(c, CURLOPT_USERAGENT, "kindling/" PACKAGE_VERSION);
  cu->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)LIVY_HTTP_MAX_BODY);
  if (!h->conf.verify_tls) {
    cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (h->conf.auth == LIVY_AUTH_BASIC) {
    cu->easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    cu->easy_setopt(c, CURLOPT_USERNAME, h->conf.user ? h->conf.user : "");
    cu->easy_setopt(c, CURLOPT_PASSWORD, h->conf.password ? h->conf.password : "");
  } else if (h->conf.auth == LIVY_AUTH_KERBEROS) {
    /* SPNEGO through GSS-API: the credentials come from the ticket cache
     * (KRB5CCNAME); curl needs a non-NULL empty user to try it. */
    cu->easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_NEGOTIATE);
    cu->easy_setopt(c, CURLOPT_USERPWD, ":");
  }
  CURLcode rc = cu->easy_perform(c);
  if (rc == CURLE_OK) cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  cu->slist_free_all(hdrs);
  return rc;
}

int livy_http_request(struct livy_http *h, const char *method, const char *path, json_t *body,
                      int retry, long *status, json_t **resp, struct err *e) {
  *status = 0;
  if (resp) *resp = NULL;
  if (!h->curl) {
    struct err le = {0};
    if (!h->cu && !(h->cu = livy_curl_api(&le)))
      return err_set(e, le.code, "%s", le.msg);
    if (!(h->curl = h->cu->easy_init()))
      return err_set(e, ERR_NOMEM, "cannot create an HTTP handle for Livy (out of memory)");
  }
  struct buf url;
  buf_init(&url, 1 << 16);
  buf_printf(&url, "%s%s", h->conf.url, path);
  char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
  struct buf rb;
  buf_init(&rb, LIVY_HTTP_MAX_BODY);
  int rc = 0;
  for (int tries = 0;; tries++) {
    buf_reset(&rb);
    *status = 0;
    CURLcode cc = attempt(h, method, url.data, payload, &rb, status);
    int transient = cc != CURLE_OK || *status >= 500;
    int may_retry = retry && transient && tries < h->conf.max_retries &&
                    !(h->cancel && *h->cancel) && cc != CURLE_WRITE_ERROR &&
                    cc != CURLE_FILESIZE_EXCEEDED;
    if (may_retry) {
      int i = tries < h->conf.nsleeps ? tries : h->conf.nsleeps - 1;
      sleep_s(i >= 0 ? h->conf.retry_sleeps[i] : 0.2);
      continue;
    }
    if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
      rc = err_set(e, ERR_TOOBIG, "Livy's answer to %s %s is larger than %u MB", method, path,
                   LIVY_HTTP_MAX_BODY >> 20);
    } else if (cc != CURLE_OK) {
      rc = err_set(e, ERR_IO, "cannot reach Livy at %s (%s %s): %s%s", h->conf.url, method, path,
                   h->cu->easy_strerror(cc),
                   tries ? " (after retries)" : "");
    } else if (*status < 200 || *status >= 300) {
      char *txt = livy_http_error_text(rb.data, rb.len);
      if (*status == 401 && h->conf.auth == LIVY_AUTH_KERBEROS)
        rc = err_set(e, ERR_REMOTE,
                     "Livy answered 401 Unauthorized for %s %s: no valid Kerberos ticket was "
                     "accepted. Run kinit (and check KRB5CCNAME), then re-run the cell.",
                     method, path);
      else if (*status == 401)
        rc = err_set(e, ERR_REMOTE,
                     "Livy answered 401 Unauthorized for %s %s: check the username and "
                     "password of the endpoint (%s).",
                     method, path, txt);
      else
        rc = err_set(e, ERR_REMOTE, "Livy answered %ld for %s %s: %s", *status, method, path,
                     txt);
      free(txt);
      if (*status == 401) err_set_ename(e, "AuthenticationError");
      if (resp && rb.len) *resp = json_loadb(rb.data, rb.len, JSON_DECODE_ANY, NULL);
    } else if (resp && rb.len) {
      json_error_t je;
      *resp = json_loadb(rb.data, rb.len, JSON_DECODE_ANY, &je);
      if (!*resp)
        rc = err_set(e, ERR_REMOTE, "Livy sent invalid JSON for %s %s: %s", method, path, je.text);
    }
    break;
  }
  free(payload);
  buf_fini(&rb);
  buf_fini(&url);
  return rc;
}
