/* spill.c: see spill.h. */
#include "engine/exec/spill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec/batchio.h"

struct spill *spill_open(const char *dir, struct err *err) {
  struct spill *s = calloc(1, sizeof *s);
  if (!s) {
    err_set(err, ERR_NOMEM, "out of memory creating a spill file");
    return NULL;
  }
  buf_init(&s->frame, (size_t)1 << 31);
  char path[4096];
  snprintf(path, sizeof path, "%s/kindling-spill-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    err_set(err, ERR_IO, "cannot create a spill file in %s: %s", dir ? dir : "/tmp",
            strerror(errno));
    buf_fini(&s->frame);
    free(s);
    return NULL;
  }
  unlink(path);
  s->f = fdopen(fd, "w+b");
  if (!s->f) {
    close(fd);
    buf_fini(&s->frame);
    free(s);
    err_set(err, ERR_IO, "cannot open a spill file: %s", strerror(errno));
    return NULL;
  }
  setvbuf(s->f, NULL, _IOFBF, 1 << 16);
  return s;
}

int spill_write(struct spill *s, const struct batch *b, const uint32_t *sel, uint32_t n,
                struct err *err) {
  if (!sel) n = b->nrows;
  if (n == 0) return 0;
  buf_reset(&s->frame);
  int rc = batchio_encode(b, sel, n, &s->frame);
  if (rc) return err_set(err, rc, "out of memory writing a spill file");
  if (fwrite(s->frame.data, 1, s->frame.len, s->f) != s->frame.len)
    return err_set(err, ERR_IO, "cannot write a spill file (disk full?): %s", strerror(errno));
  s->bytes += (int64_t)s->frame.len;
  s->nrows += n;
  return 0;
}

int spill_rewind(struct spill *s, struct err *err) {
  if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
    return err_set(err, ERR_IO, "cannot read back a spill file: %s", strerror(errno));
  s->reading = 1;
  return 0;
}

int spill_read(struct spill *s, struct batch **out, struct err *err) {
  *out = NULL;
  unsigned char hdr[BATCHIO_HEADER];
  size_t got = fread(hdr, 1, sizeof hdr, s->f);
  if (got == 0) return 0;
  if (got != sizeof hdr) return err_set(err, ERR_IO, "truncated spill file");
  uint32_t body;
  memcpy(&body, hdr + 4, 4);
  buf_reset(&s->frame);
  if (buf_append(&s->frame, hdr, sizeof hdr))
    return err_set(err, ERR_NOMEM, "out of memory reading a spill file");
  /* Grow to the frame size, then read the body in place. */
  size_t need = BATCHIO_HEADER + (size_t)body;
  while (s->frame.len < need) {
    char tmp[1 << 14];
    size_t want = need - s->frame.len < sizeof tmp ? need - s->frame.len : sizeof tmp;
    size_t r = fread(tmp, 1, want, s->f);
    if (r != want) return err_set(err, ERR_IO, "truncated spill file");
    if (buf_append(&s->frame, tmp, r))
      return err_set(err, ERR_NOMEM, "out of memory reading a spill file");
  }
  size_t used;
  int rc = batchio_decode(s->frame.data, s->frame.len, out, &used, err);
  if (rc) return rc;
  return 1;
}

void spill_close(struct spill *s) {
  if (!s) return;
  if (s->f) fclose(s->f);
  buf_fini(&s->frame);
  free(s);
}
