/* main.c: the `kindling` command line: kernel, install, --version, --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/cli/driver.h"
#include "engine/cli/sqlcli.h"
#include "engine/engine.h"
#include "kernel/install.h"
#include "kernel/kernel.h"

static void usage(FILE *f) {
  fprintf(f,
          "Usage: kindling COMMAND [OPTIONS]\n"
          "\n"
          "Kindling is a native Jupyter kernel for Apache Spark: cells run on a remote\n"
          "Apache Livy server, or on the bundled local engine when no endpoint is set.\n"
          "\n"
          "Commands:\n"
          "  kernel -f CONNECTION_FILE [--language pyspark|scala|sql]\n"
          "                      run the kernel (started by Jupyter from kernel.json)\n"
          "  install [--user | --sys-prefix | --prefix DIR]\n"
          "                      install the kernelspecs kindling-pyspark, kindling-spark\n"
          "                      and kindling-sql (default: /usr/local/share/jupyter)\n"
          "%s"
          "  --version           print the version\n"
          "  --help              print this help\n"
          "\n"
          "Configuration: a sparkmagic config.json ($SPARKMAGIC_CONF_FILE,\n"
          "$SPARKMAGIC_CONF_DIR/config.json or ~/.sparkmagic/config.json), and\n"
          "KINDLING_LIVY_URL to point every kernel at one Livy endpoint.\n"
          "In a notebook, %%%%help lists the magics.\n",
          sqlcli_usage());
}

static int cmd_kernel(int argc, char **argv) {
  const char *conn = NULL;
  enum kernel_lang lang = KERNEL_LANG_PYSPARK;
  for (int i = 0; i < argc; i++) {
    if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--connection-file") == 0) &&
        i + 1 < argc) {
      conn = argv[++i];
    } else if (strcmp(argv[i], "--language") == 0 && i + 1 < argc) {
      const char *l = argv[++i];
      if (strcmp(l, "pyspark") == 0 || strcmp(l, "python") == 0)
        lang = KERNEL_LANG_PYSPARK;
      else if (strcmp(l, "scala") == 0 || strcmp(l, "spark") == 0)
        lang = KERNEL_LANG_SCALA;
      else if (strcmp(l, "sql") == 0)
        lang = KERNEL_LANG_SQL;
      else {
        fprintf(stderr, "kindling kernel: unknown language '%s' (pyspark, scala or sql)\n", l);
        return 2;
      }
    } else {
      fprintf(stderr, "kindling kernel: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!conn) {
    fprintf(stderr, "kindling kernel: -f CONNECTION_FILE is required\n");
    return 2;
  }
  return kernel_run(conn, lang);
}

static int cmd_install(int argc, char **argv) {
  enum install_where where = INSTALL_SYSTEM;
  const char *prefix = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--user") == 0)
      where = INSTALL_USER;
    else if (strcmp(argv[i], "--sys-prefix") == 0)
      where = INSTALL_SYS_PREFIX;
    else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) {
      where = INSTALL_PREFIX;
      prefix = argv[++i];
    } else {
      fprintf(stderr, "kindling install: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  struct err e;
  err_clear(&e);
  if (install_kernelspecs(where, prefix, &e) != 0) {
    fprintf(stderr, "kindling install: %s\n", e.msg);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("kindling %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "kernel") == 0) return cmd_kernel(argc - 2, argv + 2);
  if (strcmp(cmd, "install") == 0) return cmd_install(argc - 2, argv + 2);
  if (strcmp(cmd, "sql") == 0) return sqlcli_main(argc - 1, argv + 1, 0);
  if (strcmp(cmd, "submit") == 0) return sqlcli_main(argc - 1, argv + 1, 1);
  /* Started by a driver; not for users. */
  if (strcmp(cmd, "executor") == 0) return engine_executor_main(argc - 1, argv + 1);
  if (strcmp(cmd, "driver") == 0) return driver_main(argc - 1, argv + 1);
  /* Jupyter-style "kindling -f FILE" also starts the kernel. */
  if (strcmp(cmd, "-f") == 0) return cmd_kernel(argc - 1, argv + 1);
  fprintf(stderr, "kindling: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
