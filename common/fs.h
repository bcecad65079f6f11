/* fs.h: file-system helpers shared by the layers that own scratch
 * directories (engine runtime, local sessions, written output). */
#ifndef KINDLING_FS_H
#define KINDLING_FS_H

/* Remove path and everything under it, without following symlinks and
 * without a shell (paths may hold any character). A missing path is
 * success. Returns 0, or -1 when something could not be removed. */
int fs_rmtree(const char *path);

#endif
