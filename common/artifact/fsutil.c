/* File-system helpers for the artifact module: temp files, atomic rename, mkdir -p, rm -rf. */
/* nftw() with FTW_PHYS is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include "fsutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"

int cf_artifact__tmpfile(char **tmp_path, int *fd, const char *dest)
{
	size_t n = strlen(dest) + sizeof(".tmp-XXXXXX");
	char *path = malloc(n);

	if (path == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	snprintf(path, n, "%s.tmp-XXXXXX", dest);
	if ((*fd = mkstemp(path)) < 0) {
		int e = errno;
		free(path);
		return cf_error_set(e == ENOENT ? CF_ENOTFOUND : CF_EIO, "create temp file for %s: %s", dest,
				    strerror(e));
	}
	*tmp_path = path;
	return 0;
}

int cf_artifact__commit(const char *tmp, const char *dest)
{
	if (rename(tmp, dest) == 0)
		return 0;
	int e = errno;
	unlink(tmp);
	return cf_error_set(CF_EIO, "rename %s to %s: %s", tmp, dest, strerror(e));
}

int cf_artifact__mkdirs(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int err = 0;

	if (copy == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			err = cf_error_set(CF_EIO, "mkdir %s: %s", copy, strerror(errno));
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return err;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int cf_artifact__rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cf_error_set(CF_EIO, "stat %s: %s", path, strerror(errno));
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return cf_error_set(CF_EIO, "remove %s: %s", path, strerror(errno));
	return 0;
}

int cf_artifact__write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cf_error_set(CF_EIO, "write %s: %s", what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *cf_artifact__join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 2);

	if (out == NULL)
		return NULL;
	memcpy(out, a, la);
	if (la > 0)
		out[la++] = '/';
	memcpy(out + la, b, lb + 1);
	return out;
}
