/* install.c: kernelspec installation (see install.h). */
#include "kernel/install.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "config.h"
#include "kernelspec/logos.h"

struct spec {
  const char *name;
  const char *display;
  const char *language;
  const char *flavour; /* value of --language on the kernel command line */
};

static const struct spec specs[] = {
    {"kindling-pyspark", "PySpark (Kindling)", "python", "pyspark"},
    {"kindling-spark", "Spark \xc2\xb7 Scala (Kindling)", "scala", "scala"},
    {"kindling-sql", "Spark SQL (Kindling)", "sql", "sql"},
};

static int mkdirs(const char *path, struct err *e) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
    return err_set(e, ERR_INVAL, "path too long: %s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
      return err_set(e, ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    *p = '/';
  }
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
    return err_set(e, ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
  return 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len,
                      struct err *e) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return err_set(e, ERR_IO, "cannot write %s: %s", path, strerror(errno));
  size_t w = fwrite(data, 1, len, f);
  if (fclose(f) != 0 || w != len) return err_set(e, ERR_IO, "cannot write %s", path);
  return 0;
}

/* sys.prefix of the active Python environment: conda, then a virtualenv,
 * then the interpreter Jupyter itself runs on. */
static int sys_prefix(char *out, size_t n) {
  const char *env = getenv("CONDA_PREFIX");
  if (!env || !*env) env = getenv("VIRTUAL_ENV");
  if (env && *env) {
    snprintf(out, n, "%s", env);
    return 0;
  }
  FILE *p = popen("python3 -c 'import sys; print(sys.prefix)' 2>/dev/null", "r");
  if (!p) return -1;
  int ok = fgets(out, (int)n, p) != NULL;
  pclose(p);
  if (!ok) return -1;
  out[strcspn(out, "\n")] = '\0';
  return out[0] ? 0 : -1;
}

static int kernels_dir(enum install_where where, const char *prefix, struct buf *out,
                       struct err *e) {
  char sp[PATH_MAX];
  switch (where) {
    case INSTALL_USER: {
      const char *data = getenv("JUPYTER_DATA_DIR");
      const char *home = getenv("HOME");
      if (data && *data) return buf_printf(out, "%s/kernels", data);
      if (!home || !*home) return err_set(e, ERR_INVAL, "--user needs HOME to be set");
      return buf_printf(out, "%s/.local/share/jupyter/kernels", home);
    }
    case INSTALL_SYS_PREFIX:
      if (sys_prefix(sp, sizeof sp) != 0)
        return err_set(e, ERR_NOTFOUND,
                       "--sys-prefix: no conda or virtualenv is active and python3 was not "
                       "found; use --prefix DIR instead");
      return buf_printf(out, "%s/share/jupyter/kernels", sp);
    case INSTALL_PREFIX:
      return buf_printf(out, "%s/share/jupyter/kernels", prefix);
    default:
      return buf_puts(out, "/usr/local/share/jupyter/kernels");
  }
}

int install_kernelspecs(enum install_where where, const char *prefix, struct err *e) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return err_set(e, ERR_IO, "cannot find the kindling binary: %s", strerror(errno));
  exe[n] = '\0';
  struct buf base;
  buf_init(&base, PATH_MAX);
  int rc = kernels_dir(where, prefix, &base, e);
  for (size_t i = 0; !rc && i < sizeof specs / sizeof *specs; i++) {
    const struct spec *s = &specs[i];
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", base.data, s->name);
    if ((rc = mkdirs(dir, e))) break;
    json_t *k = json_pack(
        "{s:[s, s, s, s, s, s], s:s, s:s, s:s, s:{}, s:{s:s, s:s}}", "argv", exe, "kernel",
        "--language", s->flavour, "-f", "{connection_file}", "display_name", s->display,
        "language", s->language, "interrupt_mode", "message", "env", "metadata",
        "kindling_version", PACKAGE_VERSION, "debugger", "false");
    char *text = json_dumps(k, JSON_INDENT(1));
    json_decref(k);
    if (!text) {
      rc = err_set(e, ERR_NOMEM, "out of memory");
      break;
    }
    rc = write_file(dir, "kernel.json", text, strlen(text), e);
    free(text);
    if (!rc) rc = write_file(dir, "logo-32x32.png", logo_32, logo_32_len, e);
    if (!rc) rc = write_file(dir, "logo-64x64.png", logo_64, logo_64_len, e);
    if (!rc) printf("Installed kernelspec %s in %s\n", s->name, dir);
  }
  buf_fini(&base);
  return rc;
}
