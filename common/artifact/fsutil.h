/* Shared inside the artifact module only: small file-system helpers. */
#ifndef CF_ARTIFACT_FSUTIL_H
#define CF_ARTIFACT_FSUTIL_H

#include <sys/types.h>

/* Creates a temp file next to dest ("<dest>.tmp-XXXXXX", mode 0600). *tmp_path is malloc'd. */
int cf_artifact__tmpfile(char **tmp_path, int *fd, const char *dest);

/* Renames tmp over dest; on failure removes tmp. */
int cf_artifact__commit(const char *tmp, const char *dest);

/* mkdir -p with mode for every created directory. */
int cf_artifact__mkdirs(const char *path, mode_t mode);

/* Removes path and everything under it without following symlinks. Missing is fine. */
int cf_artifact__rmtree(const char *path);

/* Writes all of buf to fd, retrying short writes. */
int cf_artifact__write_all(int fd, const void *buf, size_t len, const char *what);

/* "a/b", or just "b" when a is empty; malloc'd, NULL when out of memory. */
char *cf_artifact__join(const char *a, const char *b);

#endif
