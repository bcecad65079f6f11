/* install.h: `kindling install`: writes the three kernelspecs. */
#ifndef KINDLING_INSTALL_H
#define KINDLING_INSTALL_H

#include "common/err.h"

enum install_where { INSTALL_SYSTEM, INSTALL_USER, INSTALL_SYS_PREFIX, INSTALL_PREFIX };

/* Install kindling-pyspark, kindling-spark and kindling-sql under the
 * kernels directory chosen by where (prefix used for INSTALL_PREFIX), with
 * argv naming the absolute path of the running binary. Prints each
 * directory written. */
int install_kernelspecs(enum install_where where, const char *prefix, struct err *e);

#endif
