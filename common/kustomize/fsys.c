/* File access for a build under kustomize's load rules: confinement, symlinks and size limits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

#define DEFAULT_MAX_FILE (32u << 20)
#define DEFAULT_MAX_TOTAL ((size_t)512 << 20)

int kz_fs_init(kz_fs *fs, const cf_kustomize_opts *opts)
{
	memset(fs, 0, sizeof(*fs));
	fs->max_file_bytes = (opts && opts->max_file_bytes) ? opts->max_file_bytes : DEFAULT_MAX_FILE;
	fs->max_total_bytes = (opts && opts->max_total_bytes) ? opts->max_total_bytes : DEFAULT_MAX_TOTAL;
	if (opts && opts->root) {
		fs->root = realpath(opts->root, NULL);
		if (!fs->root)
			return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO,
			                    "root directory '%s': %s", opts->root, strerror(errno));
	}
	return 0;
}

void kz_fs_dispose(kz_fs *fs)
{
	free(fs->root);
	fs->root = NULL;
}

/* Is path equal to dir or below it? Both are real absolute paths. */
static int within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int kz_fs_resolve(char **out, kz_fs *fs, const char *dir, const char *rel, const char *confine)
{
	char *joined = kz_path_join(dir, rel);
	char *real = NULL;
	int err = 0;

	if (!joined)
		return cf_error_set(CF_ENOMEM, "out of memory");
	real = realpath(joined, NULL);
	if (!real) {
		err = cf_error_set(errno == ENOENT || errno == ENOTDIR ? CF_ENOTFOUND : CF_EIO,
		                   "evalsymlink failure on '%s' : lstat %s: %s", joined, joined,
		                   errno == ENOENT ? "no such file or directory" : strerror(errno));
		goto done;
	}
	if (fs->root && !within(real, fs->root)) {
		err = cf_error_set(CF_EUNSAFE, "security; file '%s' is not in or below '%s'", real,
		                   fs->root);
		goto done;
	}
	if (confine && !within(real, confine)) {
		err = cf_error_set(CF_EUNSAFE, "security; file '%s' is not in or below '%s'", real,
		                   confine);
		goto done;
	}
	*out = real;
	real = NULL;
done:
	free(joined);
	free(real);
	return err;
}

int kz_fs_is_dir(const char *real_path)
{
	struct stat st;
	return stat(real_path, &st) == 0 && S_ISDIR(st.st_mode);
}

int kz_fs_read(char **out, size_t *out_len, kz_fs *fs, const char *real_path)
{
	int fd = -1, err = 0;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	if ((fd = open(real_path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "open %s: %s", real_path,
		                   strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = cf_error_set(CF_EIO, "'%s' is not a regular file", real_path);
		goto done;
	}
	if ((size_t)st.st_size > fs->max_file_bytes ||
	    fs->total_bytes + (size_t)st.st_size > fs->max_total_bytes) {
		err = cf_error_set(CF_ELIMIT, "%s: file too large (%lld bytes; limit %zu, build total %zu)",
		                   real_path, (long long)st.st_size, fs->max_file_bytes,
		                   fs->max_total_bytes);
		goto done;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = cf_error_set(CF_EIO, "read %s: %s", real_path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	fs->total_bytes += len;
	*out = buf;
	*out_len = len;
	buf = NULL;
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
