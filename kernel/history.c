/* history.c: persistent input history (see history.h). */
#include "kernel/history.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/buf.h"

struct entry {
  int session;
  int line;
  char *input;
};

struct history {
  char *path;           /* NULL: memory only */
  int fd;               /* path opened O_APPEND, or -1 */
  int dirty;            /* appended since the last history_flush */
  struct entry *e;      /* oldest first */
  size_t n, cap;
  int session;          /* this process's session number */
};

static void klog_warn(const char *what, const char *path) {
  fprintf(stderr, "[kindling] history: %s %s: %s\n", what, path, strerror(errno));
}

static int push(struct history *h, int session, int line, const char *input) {
  if (h->n == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 64;
    struct entry *ne = realloc(h->e, nc * sizeof *ne);
    if (!ne) return -1;
    h->e = ne;
    h->cap = nc;
  }
  char *dup = strdup(input);
  if (!dup) return -1;
  h->e[h->n++] = (struct entry){session, line, dup};
  return 0;
}

static void drop_oldest(struct history *h, size_t k) {
  for (size_t i = 0; i < k; i++) free(h->e[i].input);
  memmove(h->e, h->e + k, (h->n - k) * sizeof *h->e);
  h->n -= k;
}

static char *default_path(void) {
  const char *env = getenv("KINDLING_HISTORY_FILE");
  if (env && *env) return strdup(env);
  struct buf b;
  buf_init(&b, 4096);
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  if (xdg && *xdg)
    buf_printf(&b, "%s/kindling", xdg);
  else if (home && *home)
    buf_printf(&b, "%s/.local/share/kindling", home);
  else
    return NULL;
  /* Create the directory chain; failure just means memory-only history. */
  for (char *p = b.data + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(b.data, 0700);
      *p = '/';
    }
  }
  mkdir(b.data, 0700);
  buf_puts(&b, "/history.jsonl");
  return buf_steal(&b);
}

static void rewrite(struct history *h) {
  struct buf tmp;
  buf_init(&tmp, 8192);
  buf_printf(&tmp, "%s.tmp", h->path);
  FILE *f = fopen(tmp.data, "w");
  if (!f) {
    buf_fini(&tmp);
    return;
  }
  for (size_t i = 0; i < h->n; i++) {
    json_t *o = json_pack("{s:i, s:i, s:s}", "session", h->e[i].session, "line", h->e[i].line,
                          "input", h->e[i].input);
    if (o) json_dumpf(o, f, JSON_COMPACT);
    fputc('\n', f);
    json_decref(o);
  }
  if (fclose(f) == 0) rename(tmp.data, h->path);
  buf_fini(&tmp);
}

/* (Re)open the file for appending. It stays open: an fopen/fclose per cell
 * cost four system calls and a stdio buffer on every execute. */
static void open_append(struct history *h) {
  if (h->fd >= 0) close(h->fd);
  h->fd = h->path ? open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
  if (h->path && h->fd < 0) klog_warn("cannot append to", h->path);
}

struct history *history_open(const char *path) {
  struct history *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->fd = -1;
  h->path = path ? strdup(path) : default_path();
  int max_session = 0;
  FILE *f = h->path ? fopen(h->path, "r") : NULL;
  if (f) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
      json_t *o = json_loadb(line, (size_t)len, 0, NULL);
      json_t *s = json_object_get(o, "session"), *l = json_object_get(o, "line"),
             *in = json_object_get(o, "input");
      if (json_is_integer(s) && json_is_integer(l) && json_is_string(in)) {
        int sn = (int)json_integer_value(s);
        if (sn > max_session) max_session = sn;
        push(h, sn, (int)json_integer_value(l), json_string_value(in));
      }
      json_decref(o);
    }
    free(line);
    fclose(f);
  } else if (h->path && errno != ENOENT) {
    klog_warn("cannot read", h->path);
  }
  h->session = max_session + 1;
  if (h->n > HISTORY_MAX_ENTRIES) {
    drop_oldest(h, h->n - HISTORY_MAX_ENTRIES);
    if (h->path) rewrite(h);
  }
  open_append(h);
  return h;
}

void history_flush(struct history *h) {
  if (!h || h->fd < 0 || !h->dirty) return;
  /* Each line is already in the page cache (it survives the process);
   * this makes it survive a machine crash too. */
  if (fdatasync(h->fd) != 0 && errno != EINVAL) klog_warn("cannot sync", h->path);
  h->dirty = 0;
}

void history_close(struct history *h) {
  if (!h) return;
  history_flush(h);
  if (h->fd >= 0) close(h->fd);
  for (size_t i = 0; i < h->n; i++) free(h->e[i].input);
  free(h->e);
  free(h->path);
  free(h);
}

int history_session(const struct history *h) { return h->session; }

void history_add(struct history *h, int line, const char *code) {
  if (!h || push(h, h->session, line, code) != 0) return;
  if (!h->path) return;
  if (h->n > HISTORY_MAX_ENTRIES + HISTORY_MAX_ENTRIES / 10) {
    drop_oldest(h, h->n - HISTORY_MAX_ENTRIES);
    rewrite(h);
    open_append(h); /* the old descriptor names the replaced file */
    return;
  }
  if (h->fd < 0) return;
  json_t *o = json_pack("{s:i, s:i, s:s}", "session", h->session, "line", line, "input", code);
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!text) return;
  /* One writev per line: O_APPEND keeps lines from concurrent kernels whole.
   * No fsync per cell (that would cost milliseconds on a real disk);
   * history_flush syncs at shutdown. */
  struct iovec iov[2] = {{text, strlen(text)}, {(char *)"\n", 1}};
  int n_iov = 2;
  while (n_iov > 0) {
    ssize_t w = writev(h->fd, iov + 2 - n_iov, n_iov);
    if (w < 0) {
      if (errno == EINTR) continue;
      klog_warn("cannot append to", h->path);
      break;
    }
    h->dirty = 1;
    /* Short write (disk full, signal): resume where it stopped. */
    struct iovec *v = iov + 2 - n_iov;
    while (n_iov > 0 && (size_t)w >= v->iov_len) {
      w -= (ssize_t)v->iov_len;
      v++;
      n_iov--;
    }
    if (n_iov > 0) {
      v->iov_base = (char *)v->iov_base + w;
      v->iov_len -= (size_t)w;
    }
  }
  free(text);
}

static json_t *item(const struct entry *en, int output) {
  if (output) return json_pack("[i, i, [s, n]]", en->session, en->line, en->input);
  return json_pack("[i, i, s]", en->session, en->line, en->input);
}

static long long int_field(json_t *o, const char *key, long long dflt) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? json_integer_value(v) : dflt;
}

json_t *history_query(struct history *h, json_t *rq) {
  json_t *list = json_array();
  const char *type = json_string_value(json_object_get(rq, "hist_access_type"));
  int output = json_is_true(json_object_get(rq, "output"));
  if (!h || !type) goto done;
  if (strcmp(type, "tail") == 0) {
    long long n = int_field(rq, "n", 10);
    size_t start = n >= 0 && (size_t)n < h->n ? h->n - (size_t)n : 0;
    for (size_t i = start; i < h->n; i++) json_array_append_new(list, item(&h->e[i], output));
  } else if (strcmp(type, "range") == 0) {
    long long session = int_field(rq, "session", 0);
    /* 0 = the current session; negative counts back from it (IPython). */
    if (session <= 0) session += h->session;
    long long start = int_field(rq, "start", 0), stop = int_field(rq, "stop", 0);
    for (size_t i = 0; i < h->n; i++) {
      const struct entry *en = &h->e[i];
      if (en->session == session && en->line >= start && (stop <= 0 || en->line < stop))
        json_array_append_new(list, item(en, output));
    }
  } else if (strcmp(type, "search") == 0) {
    const char *pattern = json_string_value(json_object_get(rq, "pattern"));
    long long n = int_field(rq, "n", 0);
    int unique = json_is_true(json_object_get(rq, "unique"));
    if (!pattern) pattern = "*";
    /* Newest first while collecting, so n keeps the most recent matches. */
    json_t *rev = json_array();
    for (size_t i = h->n; i-- > 0;) {
      const struct entry *en = &h->e[i];
      if (fnmatch(pattern, en->input, 0) != 0) continue;
      if (unique) {
        int seen = 0;
        size_t j;
        json_t *v;
        json_array_foreach(rev, j, v) {
          json_t *in = json_array_get(v, 2);
          if (json_is_array(in)) in = json_array_get(in, 0);
          if (strcmp(json_string_value(in), en->input) == 0) seen = 1;
        }
        if (seen) continue;
      }
      json_array_append_new(rev, item(en, output));
      if (n > 0 && (long long)json_array_size(rev) >= n) break;
    }
    for (size_t i = json_array_size(rev); i-- > 0;)
      json_array_append(list, json_array_get(rev, i));
    json_decref(rev);
  }
done:
  return json_pack("{s:s, s:o}", "status", "ok", "history", list);
}
