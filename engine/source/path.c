/* path.c: file listing, glob expansion and split planning (see path.h). */
#include "engine/source/path.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"

void path_list_init(struct path_list *l) { memset(l, 0, sizeof *l); }

void path_list_fini(struct path_list *l) {
  for (int i = 0; i < l->n; i++) free(l->files[i].path);
  free(l->files);
  path_list_init(l);
}

static int list_add(struct path_list *l, const char *p, int64_t size, struct err *e) {
  if (l->n >= PATH_MAX_FILES)
    return err_set(e, ERR_TOOBIG, "too many input files (max %d)", PATH_MAX_FILES);
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    struct path_file *f = realloc(l->files, (size_t)cap * sizeof *f);
    if (!f) return err_set(e, ERR_NOMEM, "out of memory");
    l->files = f;
    l->cap = cap;
  }
  char *d = strdup(p);
  if (!d) return err_set(e, ERR_NOMEM, "out of memory");
  l->files[l->n].path = d;
  l->files[l->n].size = size;
  l->n++;
  return 0;
}

static int hidden(const char *name) { return name[0] == '_' || name[0] == '.'; }

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the files under dir, recursively, in name order. depth caps symlink
 * loops. */
static int add_dir(struct path_list *l, const char *dir, int depth, struct err *e) {
  if (depth > 32) return err_set(e, ERR_TOOBIG, "directory nesting too deep under %s", dir);
  DIR *d = opendir(dir);
  if (!d) return err_set(e, ERR_IO, "cannot list %s: %s", dir, strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (hidden(de->d_name)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        break;
      }
      names = nn;
    }
    if (!(names[n] = strdup(de->d_name))) {
      rc = err_set(e, ERR_NOMEM, "out of memory");
      break;
    }
    n++;
  }
  closedir(d);
  if (rc == 0) qsort(names, n, sizeof *names, cmp_name);
  struct buf full;
  buf_init(&full, 1 << 16);
  for (size_t i = 0; i < n && rc == 0; i++) {
    buf_reset(&full);
    if (buf_printf(&full, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]) != 0) {
      rc = err_set(e, ERR_TOOBIG, "path too long under %s", dir);
      break;
    }
    struct stat st;
    if (stat(full.data, &st) != 0) continue; /* vanished or dangling link */
    if (S_ISDIR(st.st_mode)) rc = add_dir(l, full.data, depth + 1, e);
    else rc = list_add(l, full.data, (int64_t)st.st_size, e);
  }
  buf_fini(&full);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

static int add_path(struct path_list *l, const char *p, struct err *e) {
  struct stat st;
  if (stat(p, &st) != 0) return err_set(e, ERR_NOTFOUND, "Path does not exist: %s", p);
  if (S_ISDIR(st.st_mode)) return add_dir(l, p, 0, e);
  return list_add(l, p, (int64_t)st.st_size, e);
}

int path_expand(const char *const *paths, int npaths, struct path_list *l, struct err *e) {
  path_list_init(l);
  int rc = 0;
  for (int i = 0; i < npaths && rc == 0; i++) {
    const char *p = paths[i];
    if (!p || !*p) {
      rc = err_set(e, ERR_INVAL, "empty path");
      break;
    }
    if (strpbrk(p, "*?[{") == NULL) {
      rc = add_path(l, p, e);
      continue;
    }
    glob_t g;
    int gr = glob(p, GLOB_BRACE, NULL, &g);
    if (gr == GLOB_NOMATCH) {
      rc = err_set(e, ERR_NOTFOUND, "Path does not exist: %s", p);
    } else if (gr != 0) {
      rc = err_set(e, gr == GLOB_NOSPACE ? ERR_NOMEM : ERR_IO, "cannot expand %s", p);
    } else {
      int before = l->n;
      for (size_t k = 0; k < g.gl_pathc && rc == 0; k++) {
        const char *m = g.gl_pathv[k];
        const char *base = strrchr(m, '/');
        if (hidden(base ? base + 1 : m)) continue;
        rc = add_path(l, m, e);
      }
      if (rc == 0 && l->n == before) rc = err_set(e, ERR_NOTFOUND, "Path does not exist: %s", p);
    }
    if (gr == 0) globfree(&g);
  }
  if (rc) path_list_fini(l);
  return rc;
}

int64_t path_max_split_bytes(const struct path_list *l, int64_t max_partition_bytes,
                             int64_t open_cost, int min_partitions) {
  int64_t total = 0;
  for (int i = 0; i < l->n; i++) total += l->files[i].size + open_cost;
  if (min_partitions < 1) min_partitions = 1;
  int64_t per_core = total / min_partitions;
  int64_t v = per_core > open_cost ? per_core : open_cost;
  return v < max_partition_bytes ? v : max_partition_bytes;
}

void path_splits_init(struct path_splits *s) { memset(s, 0, sizeof *s); }

void path_splits_fini(struct path_splits *s) {
  free(s->s);
  path_splits_init(s);
}

static int split_add(struct path_splits *s, int file, int64_t start, int64_t end) {
  if (s->n == s->cap) {
    if (s->cap > (1 << 26)) return ERR_TOOBIG;
    int cap = s->cap ? s->cap * 2 : 16;
    struct path_split *n = realloc(s->s, (size_t)cap * sizeof *n);
    if (!n) return ERR_NOMEM;
    s->s = n;
    s->cap = cap;
  }
  s->s[s->n].file = file;
  s->s[s->n].start = start;
  s->s[s->n].end = end;
  s->n++;
  return 0;
}

int path_plan_splits(const struct path_list *l, int64_t max_split, int splittable,
                     struct path_splits *out) {
  path_splits_init(out);
  if (max_split < 1) return ERR_INVAL;
  for (int i = 0; i < l->n; i++) {
    int64_t size = l->files[i].size;
    if (size <= 0) continue;
    if (!splittable) {
      int rc = split_add(out, i, 0, size);
      if (rc) {
        path_splits_fini(out);
        return rc;
      }
      continue;
    }
    for (int64_t off = 0; off < size; off += max_split) {
      int64_t end = size - off > max_split ? off + max_split : size;
      int rc = split_add(out, i, off, end);
      if (rc) {
        path_splits_fini(out);
        return rc;
      }
    }
  }
  return 0;
}
