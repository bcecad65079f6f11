/* livy_curl.h: libcurl, loaded with dlopen the first time Livy is used.
 *
 * Why: linking libcurl loads it and its ~25 dependencies (GnuTLS, p11-kit,
 * Kerberos, LDAP, SSH, RTMP, ...) into every kernel at exec, which costs
 * about 3.7 MB of resident memory and 3 ms of start-up in a kernel that may
 * never talk to Livy (local engine sessions, SQL over the local engine).
 * The headers are still those of the libcurl the build was configured
 * against, and the library is opened by that build's soname, so the ABI is
 * the one compiled for.
 *
 * Invariant: after a successful livy_curl_api() the returned table is
 * complete (no NULL entry), curl_global_init() has run once, and the
 * library stays loaded for the life of the process. */
#ifndef KINDLING_LIVY_CURL_H
#define KINDLING_LIVY_CURL_H

#include <curl/curl.h>

#include "common/err.h"

struct livy_curl {
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *);
  void (*easy_reset)(CURL *);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  const char *(*easy_strerror)(CURLcode);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
};

/* The loaded API (borrowed, static, never freed), loading libcurl on the
 * first call; thread-safe. On failure returns NULL and fills *e with what
 * to install; later calls retry the load. */
const struct livy_curl *livy_curl_api(struct err *e);

#endif
