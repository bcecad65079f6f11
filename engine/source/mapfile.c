/* mapfile.c: mmap-or-read of input files (see mapfile.h). */
#include "engine/source/mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int mapfile_open(struct mapfile *m, const char *path, struct err *e) {
  memset(m, 0, sizeof *m);
  m->path = strdup(path);
  if (!m->path) return err_set(e, ERR_NOMEM, "out of memory");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int code = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
    return err_set(e, code, "cannot open %s: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int en = errno;
    close(fd);
    return err_set(e, ERR_IO, "cannot stat %s: %s", path, strerror(en));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return err_set(e, ERR_IO, "%s is a directory", path);
  }
  if (S_ISREG(st.st_mode)) {
    if (st.st_size == 0) {
      close(fd);
      return 0;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return err_set(e, ERR_IO, "cannot map %s: %s", path, strerror(errno));
    m->data = p;
    m->size = (size_t)st.st_size;
    m->mapped = 1;
    return 0;
  }
  /* Not seekable: slurp with a cap. */
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return err_set(e, ERR_NOMEM, "out of memory");
  }
  for (;;) {
    if (len == cap) {
      if (cap >= MAPFILE_MAX_READ) {
        free(buf);
        close(fd);
        return err_set(e, ERR_TOOBIG, "%s is larger than %zu bytes", path, MAPFILE_MAX_READ);
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        close(fd);
        return err_set(e, ERR_NOMEM, "out of memory");
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int en = errno;
      free(buf);
      close(fd);
      return err_set(e, ERR_IO, "cannot read %s: %s", path, strerror(en));
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  m->data = buf;
  m->size = len;
  return 0;
}

void mapfile_close(struct mapfile *m) {
  if (m->data) {
    if (m->mapped) munmap((void *)m->data, m->size);
    else free((void *)m->data);
  }
  free(m->path);
  memset(m, 0, sizeof *m);
}

void mapfile_advise(const struct mapfile *m, size_t off, size_t len) {
  if (!m->mapped || off >= m->size) return;
  long pg = sysconf(_SC_PAGESIZE);
  size_t a = off & ~((size_t)pg - 1);
  if (len > m->size - off) len = m->size - off;
  /* Two calls: advice values are not flags. */
  madvise((char *)m->data + a, len + (off - a), MADV_SEQUENTIAL);
  madvise((char *)m->data + a, len + (off - a), MADV_WILLNEED);
}

int64_t mapfile_line_of(const struct mapfile *m, size_t off) {
  if (off > m->size) off = m->size;
  int64_t n = 1;
  const char *p = m->data, *e = m->data + off;
  while (p && p < e) {
    const char *q = memchr(p, '\n', (size_t)(e - p));
    if (!q) break;
    n++;
    p = q + 1;
  }
  return n;
}
