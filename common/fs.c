/* fs.c: see fs.h. */
#define _XOPEN_SOURCE 700
#include "common/fs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  /* Keep going past failures: the final existence check reports them. */
  if (type == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

int fs_rmtree(const char *path) {
  if (!path || !*path) return 0;
  if (access(path, F_OK) != 0) return 0;
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return access(path, F_OK) == 0 ? -1 : 0;
}
