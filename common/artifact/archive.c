/* Deterministic .tar.gz of a directory, byte-for-byte reproducible like Flux's storage Archive. */
#include "cf/artifact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cf/error.h"
#include "fsutil.h"

/* Flux's storage modes (fluxcd/pkg artifact/storage DefaultDirMode, DefaultExeFileMode, ...). */
#define DIR_MODE 0750
#define EXE_MODE 0700
#define FILE_MODE 0600

/* Where compressed bytes go: the temp file, the running digest and the byte count. */
typedef struct {
	int fd;
	const char *path;
	cf_artifact_hash *hash;
	uint64_t size;
	int err;
} sink;

typedef struct {
	struct archive *ar;
	struct archive_entry *entry;
	cf_artifact_filter filter;
	void *data;
	char buf[65536];
} walker;

static la_ssize_t sink_write(struct archive *a, void *p, const void *buf, size_t len)
{
	sink *s = p;

	if ((s->err = cf_artifact__write_all(s->fd, buf, len, s->path)) < 0) {
		archive_set_error(a, EIO, "%s", cf_error_last());
		return -1;
	}
	cf_artifact_hash_update(s->hash, buf, len);
	s->size += len;
	return (la_ssize_t)len;
}

static int ar_fail(struct archive *a, const char *what)
{
	return cf_error_set(CF_EIO, "archive %s: %s", what, archive_error_string(a));
}

/* A gzip'd pax-restricted stream (plain ustar unless a name needs more) without timestamps. */
static int open_archive(struct archive **out, sink *s)
{
	struct archive *a = archive_write_new();

	if (a == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		int err = ar_fail(a, "setup");
		archive_write_free(a);
		return err;
	}
	*out = a;
	return 0;
}

static int normalised_mode(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return AE_IFDIR | DIR_MODE;
	return AE_IFREG | ((st->st_mode & 0111) ? EXE_MODE : FILE_MODE);
}

static int write_header(walker *w, const char *name, const struct stat *st)
{
	struct archive_entry *e = archive_entry_clear(w->entry);

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, normalised_mode(st));
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_size(e, S_ISREG(st->st_mode) ? st->st_size : 0);
	if (archive_write_header(w->ar, e) < ARCHIVE_WARN)
		return ar_fail(w->ar, name);
	return 0;
}

/* Copies exactly the size announced in the header; a file changing under us is an error. */
static int write_body(walker *w, int dirfd, const char *base, const char *name, const struct stat *st)
{
	int64_t left = st->st_size;
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return cf_error_set(CF_EIO, "open %s: %s", name, strerror(errno));
	while (left > 0) {
		ssize_t n = read(fd, w->buf, left < (int64_t)sizeof(w->buf) ? (size_t)left : sizeof(w->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = cf_error_set(CF_EIO, "read %s: %s", name, n < 0 ? strerror(errno) : "file shrank");
			break;
		}
		if (archive_write_data(w->ar, w->buf, (size_t)n) != n) {
			err = ar_fail(w->ar, name);
			break;
		}
		left -= n;
	}
	close(fd);
	return err;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dirfd sorted bytewise (not by locale), without "." and "..". */
static int list_dir(char ***out, size_t *count, int dirfd, const char *name)
{
	DIR *d = fdopendir(dup(dirfd));
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int err = 0;

	if (d == NULL)
		return cf_error_set(CF_EIO, "open directory %s: %s", name, strerror(errno));
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL) {
				err = cf_error_set(CF_ENOMEM, "out of memory");
				break;
			}
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (err < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return err;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	*out = names;
	*count = n;
	return 0;
}

static int walk_dir(walker *w, int dirfd, const char *rel);

/* One child of a directory: filter it, then add it (and recurse into directories). */
static int walk_entry(walker *w, int dirfd, const char *rel, const char *base)
{
	cf_artifact_filter_result verdict = CF_ARTIFACT_INCLUDE;
	struct stat st;
	char *path;
	int err = 0, is_dir;

	if ((path = cf_artifact__join(rel, base)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err = cf_error_set(CF_EIO, "stat %s: %s", path, strerror(errno));
		goto done;
	}
	/* Like Flux: anything but files and directories (symlinks included) is left out. */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		goto done;
	is_dir = S_ISDIR(st.st_mode);
	if (w->filter)
		verdict = w->filter(w->data, path, is_dir);
	if (verdict == CF_ARTIFACT_PRUNE && is_dir)
		goto done;
	if (verdict == CF_ARTIFACT_INCLUDE && (err = write_header(w, path, &st)) == 0 && !is_dir)
		err = write_body(w, dirfd, base, path, &st);
	if (err == 0 && is_dir) {
		int sub = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			err = cf_error_set(CF_EIO, "open directory %s: %s", path, strerror(errno));
			goto done;
		}
		err = walk_dir(w, sub, path);
		close(sub);
	}
done:
	free(path);
	return err;
}

static int walk_dir(walker *w, int dirfd, const char *rel)
{
	char **names = NULL;
	size_t n = 0, i;
	int err;

	if ((err = list_dir(&names, &n, dirfd, rel[0] ? rel : ".")) < 0)
		return err;
	for (i = 0; i < n && err == 0; i++)
		err = walk_entry(w, dirfd, rel, names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static int open_root(int *fd, struct stat *st, const char *dir)
{
	if ((*fd = open(dir, O_RDONLY | O_CLOEXEC)) < 0)
		return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "invalid dir path: %s: %s", dir,
				    strerror(errno));
	if (fstat(*fd, st) < 0 || !S_ISDIR(st->st_mode)) {
		close(*fd);
		return cf_error_set(CF_EINVALID, "invalid dir path: %s is not a directory", dir);
	}
	return 0;
}

static int archive_dir(cf_artifact_file_info *out, const char *dest_path, const char *dir,
		       const char *algo, cf_artifact_filter filter, void *data)
{
	walker w = {.filter = filter, .data = data};
	sink s = {.fd = -1, .path = dest_path};
	char *tmp = NULL;
	struct stat st;
	int root = -1, err;

	if ((err = open_root(&root, &st, dir)) < 0)
		return err;
	if ((err = cf_artifact_hash_new(&s.hash, algo)) < 0 ||
	    (err = cf_artifact__tmpfile(&tmp, &s.fd, dest_path)) < 0 ||
	    (err = open_archive(&w.ar, &s)) < 0)
		goto done;
	if ((w.entry = archive_entry_new()) == NULL) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	/* Flux's walk starts with the root itself, named ".". */
	if ((err = write_header(&w, ".", &st)) < 0 || (err = walk_dir(&w, root, "")) < 0)
		goto done;
	if (archive_write_close(w.ar) != ARCHIVE_OK) {
		err = s.err < 0 ? s.err : ar_fail(w.ar, "close");
		goto done;
	}
	if (close(s.fd) < 0) {
		s.fd = -1;
		err = cf_error_set(CF_EIO, "close %s: %s", tmp, strerror(errno));
		goto done;
	}
	s.fd = -1;
	if ((err = cf_artifact__commit(tmp, dest_path)) < 0)
		goto done;
	cf_artifact_hash_final(out->digest, s.hash);
	out->size = s.size;
done:
	if (w.ar)
		archive_write_free(w.ar);
	archive_entry_free(w.entry);
	if (s.fd >= 0)
		close(s.fd);
	if (err < 0 && tmp)
		unlink(tmp);
	free(tmp);
	cf_artifact_hash_free(s.hash);
	close(root);
	return err;
}

/*
 * libarchive converts non-ASCII names through the thread's locale, which would make the bytes
 * depend on whether the process called setlocale(); pin this thread to "C" while writing.
 */
int cf_artifact_archive(cf_artifact_file_info *out, const char *dest_path, const char *dir,
			const char *algo, cf_artifact_filter filter, void *data)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0), old = (locale_t)0;
	int err;

	if (c != (locale_t)0)
		old = uselocale(c);
	err = archive_dir(out, dest_path, dir, algo, filter, data);
	if (c != (locale_t)0) {
		uselocale(old);
		freelocale(c);
	}
	return err;
}
