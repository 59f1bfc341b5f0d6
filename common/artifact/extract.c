/* Safe .tar.gz extraction: only plain files and directories, only inside the target, within limits. */
#include "cf/artifact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cf/error.h"
#include "fsutil.h"

#define NAME_MAX_LEN 4096

typedef struct {
	struct archive *ar;
	const char *dest;
	int root;
	/* The last parent directory opened: archives list siblings together, so it is usually reused. */
	int parent_fd;
	char parent[NAME_MAX_LEN];
	cf_artifact_limits lim;
	uint64_t total;
	uint64_t entries;
	char buf[65536];
} extractor;

/*
 * Checks an entry name and rewrites it in place to its clean relative form ("a/b"): "." and empty
 * segments are dropped, so "./a//b" is "a/b" and "./" is "" (the root). Absolute names, ".."
 * segments and backslashes are refused, as fluxcd/pkg tar does.
 */
static int clean_name(char *clean, const char *raw)
{
	size_t len = strlen(raw), out = 0;
	const char *p = raw;

	if (len == 0)
		return cf_error_set(CF_EUNSAFE, "tar contained an entry without a name");
	if (len >= NAME_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "tar entry name of %zu bytes is too long", len);
	if (raw[0] == '/' || strchr(raw, '\\') != NULL)
		return cf_error_set(CF_EUNSAFE, "tar contained invalid name \"%s\"", raw);
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return cf_error_set(CF_EUNSAFE, "tar contained invalid name \"%s\"", raw);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (out > 0)
				clean[out++] = '/';
			memcpy(clean + out, p, n);
			out += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	clean[out] = '\0';
	return 0;
}

/* Opens (creating as needed) the directories of a relative path, one segment at a time, never
 * following a symlink. Returns an fd for the last one, or <0. */
static int open_dirs(int root, char *path)
{
	int fd = dup(root);
	char *seg = path, *slash;

	for (int last = 0; fd >= 0 && !last; seg = slash + 1) {
		int next;

		slash = strchr(seg, '/');
		last = slash == NULL;
		if (last)
			slash = seg + strlen(seg);
		*slash = '\0';
		if (mkdirat(fd, seg, 0700) < 0 && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (!last)
			*slash = '/';
		close(fd);
		fd = next;
	}
	return fd;
}

/*
 * The directory holding the last segment of path, as a borrowed fd (the extractor keeps it), with
 * *base pointing at that segment.
 */
static int open_parent(extractor *x, char *path, const char **base)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*base = path;
		return x->root;
	}
	*slash = '\0';
	if (x->parent_fd < 0 || strcmp(x->parent, path) != 0) {
		if (x->parent_fd >= 0)
			close(x->parent_fd);
		x->parent_fd = -1;
		if ((fd = open_dirs(x->root, path)) < 0) {
			int err = cf_error_set(CF_EIO, "create directory %s: %s", path, strerror(errno));
			*slash = '/';
			return err;
		}
		x->parent_fd = fd;
		strcpy(x->parent, path);
	}
	*slash = '/';
	*base = slash + 1;
	return x->parent_fd;
}

static int check_size(extractor *x, const char *name, uint64_t file_size)
{
	if (file_size > x->lim.max_file)
		return cf_error_set(CF_ELIMIT, "tar \"%s\" is bigger than the max file size of %llu bytes", name,
				    (unsigned long long)x->lim.max_file);
	if (x->total + file_size > x->lim.max_total)
		return cf_error_set(CF_ELIMIT, "tar \"%s\" is bigger than max archive size of %llu bytes", name,
				    (unsigned long long)x->lim.max_total);
	return 0;
}

static int copy_data(extractor *x, int fd, const char *name)
{
	uint64_t written = 0;
	la_ssize_t n;
	int err;

	while ((n = archive_read_data(x->ar, x->buf, sizeof(x->buf))) > 0) {
		written += (uint64_t)n;
		/* Headers can understate sizes in sparse or damaged archives; count real bytes too. */
		if ((err = check_size(x, name, written)) < 0)
			return err;
		if ((err = cf_artifact__write_all(fd, x->buf, (size_t)n, name)) < 0)
			return err;
	}
	if (n < 0)
		return cf_error_set(CF_EPARSE, "tar \"%s\": %s", name, archive_error_string(x->ar));
	x->total += written;
	return 0;
}

static int write_file(extractor *x, char *path, struct archive_entry *e)
{
	int mode = (archive_entry_perm(e) & 0111) ? 0700 : 0600;
	const char *base;
	int dirfd, fd, err;

	if ((err = check_size(x, path, (uint64_t)archive_entry_size(e))) < 0)
		return err;
	if ((dirfd = open_parent(x, path, &base)) < 0)
		return dirfd;
	fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cf_error_set(CF_EIO, "create %s: %s", path, strerror(errno));
	err = copy_data(x, fd, path);
	if (close(fd) < 0 && err == 0)
		err = cf_error_set(CF_EIO, "close %s: %s", path, strerror(errno));
	return err;
}

static int make_dir(extractor *x, char *path)
{
	const char *base;
	int dirfd, rc;

	if (path[0] == '\0')
		return 0; /* the root, "." or "./" */
	if ((dirfd = open_parent(x, path, &base)) < 0)
		return dirfd;
	rc = mkdirat(dirfd, base, 0700);
	if (rc < 0 && errno != EEXIST)
		return cf_error_set(CF_EIO, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK: return "symlink";
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "FIFO";
	case AE_IFSOCK: return "socket";
	default: return "unknown type";
	}
}

static int extract_entry(extractor *x, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	char clean[NAME_MAX_LEN];
	int err;

	if (++x->entries > x->lim.max_entries)
		return cf_error_set(CF_ELIMIT, "tar has more than %llu entries",
				    (unsigned long long)x->lim.max_entries);
	if ((err = clean_name(clean, raw ? raw : "")) < 0)
		return err;
	if (archive_entry_hardlink(e) != NULL)
		return cf_error_set(CF_EUNSAFE, "tar entry \"%s\" is a hardlink to \"%s\"", raw,
				    archive_entry_hardlink(e));
	if (type == AE_IFDIR)
		return make_dir(x, clean);
	if (type != AE_IFREG)
		return cf_error_set(CF_EUNSAFE, "tar file entry \"%s\" contained unsupported file type %s", raw,
				    type_name(type));
	if (clean[0] == '\0')
		return cf_error_set(CF_EUNSAFE, "tar contained a file named \"%s\"", raw);
	return write_file(x, clean, e);
}

static int run(extractor *x)
{
	struct archive_entry *e;
	int rc;

	while ((rc = archive_read_next_header(x->ar, &e)) != ARCHIVE_EOF) {
		int err;

		if (rc < ARCHIVE_WARN)
			return cf_error_set(CF_EPARSE, "tar error: %s", archive_error_string(x->ar));
		if ((err = extract_entry(x, e)) < 0)
			return err;
	}
	return 0;
}

/* dest_dir must be new or empty, so a failure can be undone by emptying it. */
static int prepare_dest(const char *dest, int *created)
{
	struct dirent *de;
	DIR *d;

	*created = 0;
	if (mkdir(dest, 0700) == 0) {
		*created = 1;
		return 0;
	}
	if (errno != EEXIST)
		return cf_error_set(CF_EIO, "mkdir %s: %s", dest, strerror(errno));
	if ((d = opendir(dest)) == NULL)
		return cf_error_set(CF_EEXISTS, "%s exists and is not a directory", dest);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			return cf_error_set(CF_EEXISTS, "extract target %s is not empty", dest);
		}
	}
	closedir(d);
	return 0;
}

static void undo(const char *dest, int created)
{
	struct dirent *de;
	DIR *d;

	if (created) {
		cf_artifact__rmtree(dest);
		return;
	}
	if ((d = opendir(dest)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((p = cf_artifact__join(dest, de->d_name)) != NULL)
			cf_artifact__rmtree(p);
		free(p);
	}
	closedir(d);
}

static void set_limits(cf_artifact_limits *lim, const cf_artifact_limits *in)
{
	*lim = in ? *in : (cf_artifact_limits){0};
	if (lim->max_total == 0)
		lim->max_total = CF_ARTIFACT_MAX_TOTAL;
	if (lim->max_file == 0 || lim->max_file > lim->max_total)
		lim->max_file = lim->max_total;
	if (lim->max_entries == 0)
		lim->max_entries = CF_ARTIFACT_MAX_ENTRIES;
}

/* Shared by both entry points; open_source attaches the archive to its input. */
static int extract(const char *dest, const cf_artifact_limits *limits, const char *what,
		   int (*open_source)(struct archive *, const void *, size_t), const void *src, size_t len)
{
	extractor *x = NULL;
	int created = 0, err;

	if ((err = prepare_dest(dest, &created)) < 0)
		return err;
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->ar = archive_read_new()) == NULL) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	x->dest = dest;
	x->root = -1;
	x->parent_fd = -1;
	set_limits(&x->lim, limits);
	archive_read_support_filter_gzip(x->ar);
	archive_read_support_format_tar(x->ar);
	if (open_source(x->ar, src, len) != ARCHIVE_OK) {
		err = cf_error_set(CF_EPARSE, "requires gzip-compressed tar %s: %s", what, archive_error_string(x->ar));
		goto done;
	}
	if ((x->root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err = cf_error_set(CF_EIO, "open %s: %s", dest, strerror(errno));
		goto done;
	}
	err = run(x);
done:
	if (x) {
		if (x->ar)
			archive_read_free(x->ar);
		if (x->root >= 0)
			close(x->root);
		if (x->parent_fd >= 0)
			close(x->parent_fd);
	}
	free(x);
	if (err < 0)
		undo(dest, created);
	return err;
}

static int open_file(struct archive *ar, const void *path, size_t unused)
{
	return archive_read_open_filename(ar, path, 65536);
}

static int open_mem(struct archive *ar, const void *buf, size_t len)
{
	return archive_read_open_memory(ar, buf, len);
}

int cf_artifact_extract_file(const char *archive_path, const char *dest_dir, const cf_artifact_limits *limits)
{
	return extract(dest_dir, limits, archive_path, open_file, archive_path, 0);
}

int cf_artifact_extract_mem(const void *buf, size_t len, const char *dest_dir, const cf_artifact_limits *limits)
{
	return extract(dest_dir, limits, "(memory)", open_mem, buf, len);
}
