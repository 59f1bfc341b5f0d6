/* Garbage collection of old artifact files, with Flux's retention rules (records + TTL). */
#include "cf/artifact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"

/* Flux's GarbageCountLimit: a directory with more files than this is not walked further. */
#define GC_MAX_FILES 1000

typedef struct {
	char *name;
	int64_t mtime_ns;
	int garbage;
} candidate;

static int by_age(const void *a, const void *b)
{
	const candidate *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Artifact files of a directory: regular files that are not lock files. */
static int collect(candidate *files, size_t *count, int dirfd, const char *dir)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return cf_error_set(CF_EIO, "open %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat sb;

		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode) ||
		    ends_with(de->d_name, ".lock"))
			continue;
		if (n == GC_MAX_FILES) {
			closedir(d);
			*count = n;
			return cf_error_set(CF_ELIMIT, "reached file walking limit in %s, already walked over: %d",
					    dir, GC_MAX_FILES);
		}
		if ((files[n].name = strdup(de->d_name)) == NULL) {
			closedir(d);
			*count = n;
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
		files[n].mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
		files[n++].garbage = 0;
	}
	closedir(d);
	*count = n;
	return 0;
}

/* Expired files first, then the oldest until keep remain; the current file is never chosen. */
static void choose(candidate *files, size_t n, const char *current, int keep, int64_t ttl_seconds)
{
	struct timespec now;
	int64_t now_ns;
	size_t left = n;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (n > 1)
		qsort(files, n, sizeof(*files), by_age);
	for (size_t i = 0; i < n && ttl_seconds >= 0; i++) {
		if (strcmp(files[i].name, current) != 0 && now_ns - files[i].mtime_ns > ttl_seconds * 1000000000) {
			files[i].garbage = 1;
			left--;
		}
	}
	for (size_t i = 0; i < n && left > (size_t)(keep > 0 ? keep : 0); i++) {
		if (!files[i].garbage && strcmp(files[i].name, current) != 0) {
			files[i].garbage = 1;
			left--;
		}
	}
}

static int delete_garbage(candidate *files, size_t n, int dirfd, const char *dir, size_t *removed)
{
	char lock[NAME_MAX + 8];
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		if (!files[i].garbage)
			continue;
		if (unlinkat(dirfd, files[i].name, 0) < 0)
			err = cf_error_set(CF_EIO, "failed to remove %s/%s: %s", dir, files[i].name, strerror(errno));
		else
			(*removed)++;
		if (strlen(files[i].name) + 6 <= sizeof(lock)) {
			strcpy(lock, files[i].name);
			strcat(lock, ".lock");
			unlinkat(dirfd, lock, 0);
		}
	}
	return err;
}

int cf_artifact_storage_gc(size_t *removed, cf_artifact_storage *st, const char *artifact_path, int keep,
			   int64_t ttl_seconds)
{
	candidate *files = NULL;
	char *local = NULL, *slash;
	size_t n = 0, count = 0;
	int dirfd = -1, err;

	if ((err = cf_artifact_storage_local_path(&local, st, artifact_path)) < 0)
		return err;
	slash = strrchr(local, '/');
	*slash = '\0';
	if ((dirfd = open(local, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err = errno == ENOENT ? 0 : cf_error_set(CF_EIO, "open %s: %s", local, strerror(errno));
		goto done;
	}
	if ((files = calloc(GC_MAX_FILES, sizeof(*files))) == NULL) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = collect(files, &n, dirfd, local)) < 0)
		goto done;
	choose(files, n, slash + 1, keep, ttl_seconds);
	err = delete_garbage(files, n, dirfd, local, &count);
done:
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
	if (dirfd >= 0)
		close(dirfd);
	free(local);
	if (removed)
		*removed = count;
	return err;
}
