/* livy_curl.c: libcurl loaded on first use (see livy_curl.h). */
#include "livy/livy_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static struct livy_curl api;
static int loaded;

/* dlsym returns void *; POSIX guarantees it converts to a function pointer,
 * and the memcpy keeps ISO C's pedantic warning about that conversion away. */
static int sym(void *lib, const char *name, void *slot, size_t size, const char **missing) {
  void *p = dlsym(lib, name);
  if (!p) {
    if (!*missing) *missing = name;
    return -1;
  }
  memcpy(slot, &p, size);
  return 0;
}

#define SYM(lib, field, name, missing) sym(lib, name, &api.field, sizeof api.field, missing)

const struct livy_curl *livy_curl_api(struct err *e) {
  pthread_mutex_lock(&load_lock);
  if (loaded) {
    pthread_mutex_unlock(&load_lock);
    return &api;
  }
  int rc = 0;
  /* KINDLING_LIBCURL names another build of libcurl 7.60+ (a path or a
   * soname, e.g. libcurl-gnutls.so.4) for machines without the one the
   * kernel was built against. */
  const char *name = getenv("KINDLING_LIBCURL");
  if (!name || !*name) name = KINDLING_CURL_SONAME;
  void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    err_set(e, ERR_IO,
            "cannot load %s, which Kindling needs to talk to Livy (%s). Install it "
            "(Debian: apt-get install libcurl4) and restart the kernel, or name another "
            "libcurl in KINDLING_LIBCURL.",
            name, why ? why : "not found");
    pthread_mutex_unlock(&load_lock);
    return NULL;
  }
  const char *missing = NULL;
  CURLcode (*global_init)(long) = NULL;
  rc |= sym(lib, "curl_global_init", &global_init, sizeof global_init, &missing);
  rc |= SYM(lib, easy_init, "curl_easy_init", &missing);
  rc |= SYM(lib, easy_cleanup, "curl_easy_cleanup", &missing);
  rc |= SYM(lib, easy_reset, "curl_easy_reset", &missing);
  rc |= SYM(lib, easy_setopt, "curl_easy_setopt", &missing);
  rc |= SYM(lib, easy_perform, "curl_easy_perform", &missing);
  rc |= SYM(lib, easy_getinfo, "curl_easy_getinfo", &missing);
  rc |= SYM(lib, easy_strerror, "curl_easy_strerror", &missing);
  rc |= SYM(lib, slist_append, "curl_slist_append", &missing);
  rc |= SYM(lib, slist_free_all, "curl_slist_free_all", &missing);
  if (rc || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    err_set(e, ERR_IO, "%s cannot be used (%s%s): install a libcurl of version 7.60 or later",
            name, missing ? "missing " : "curl_global_init failed",
            missing ? missing : "");
    dlclose(lib);
    memset(&api, 0, sizeof api);
    pthread_mutex_unlock(&load_lock);
    return NULL;
  }
  loaded = 1; /* never dlclose'd: libcurl keeps global state */
  pthread_mutex_unlock(&load_lock);
  return &api;
}
