/* The per-repository cache: a bare repository kept between reconciles, guarded by a lock file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

static int mkdir_p(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];

			buf[i] = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}

/* Waits for the lock in short steps so the deadline and cancellation still apply. */
static int take_lock(int *out, const char *path, cf_git_ctx *ctx)
{
	char lock[4200];
	int fd;

	snprintf(lock, sizeof(lock), "%s/cflux.lock", path);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return cf_error_set(CF_EIO, "opening lock %s: %s", lock, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return cf_error_set(CF_EIO, "locking %s: %s", lock, strerror(errno));
		}
		if (cf_git__interrupted(ctx)) {
			close(fd);
			return ctx->err;
		}
		usleep(20000);
	}
	*out = fd;
	return 0;
}

int cf_git__open_cache(git_repository **out, int *lock_fd, const char *path, cf_git_ctx *ctx)
{
	git_repository *repo = NULL;
	int err, rc;

	if (mkdir_p(path) < 0)
		return cf_error_set(CF_EIO, "creating cache %s: %s", path, strerror(errno));
	if ((err = take_lock(lock_fd, path, ctx)) < 0)
		return err;
	rc = git_repository_open_bare(&repo, path);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = git_repository_init(&repo, path, 1);
	}
	if (rc < 0) {
		close(*lock_fd);
		*lock_fd = -1;
		return cf_git__error(ctx, rc, "opening cache");
	}
	*out = repo;
	return 0;
}
