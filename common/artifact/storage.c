/* Artifact storage as Flux lays it out: <root>/<kind>/<namespace>/<name>/<file>, links and GC. */
#include "cf/artifact.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "fsutil.h"

struct cf_artifact_storage {
	char *root;
	char *adv_addr;
};

int cf_artifact_storage_new(cf_artifact_storage **out, const char *root, const char *adv_addr)
{
	cf_artifact_storage *st;
	struct stat sb;

	if (root == NULL || adv_addr == NULL || adv_addr[0] == '\0')
		return cf_error_set(CF_EINVALID, "storage: root and advertised address are required");
	if (stat(root, &sb) < 0)
		return cf_error_set(CF_ENOTFOUND, "invalid dir path: %s: %s", root, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cf_error_set(CF_EINVALID, "invalid dir path: %s is not a directory", root);
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->root = strdup(root)) == NULL ||
	    (st->adv_addr = strdup(adv_addr)) == NULL) {
		cf_artifact_storage_free(st);
		return cf_error_set(CF_ENOMEM, "out of memory");
	}
	*out = st;
	return 0;
}

void cf_artifact_storage_free(cf_artifact_storage *st)
{
	if (st == NULL)
		return;
	free(st->root);
	free(st->adv_addr);
	free(st);
}

const char *cf_artifact_storage_root(const cf_artifact_storage *st)
{
	return st->root;
}

static int check_part(const char *what, const char *s)
{
	if (s == NULL || s[0] == '\0' || strchr(s, '/') != NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return cf_error_set(CF_EINVALID, "storage: invalid artifact %s '%s'", what, s ? s : "");
	return 0;
}

static int artifact_dir(char **out, const char *kind, const char *ns, const char *name)
{
	size_t n;
	char *p;
	int err;

	if ((err = check_part("kind", kind)) < 0 || (err = check_part("namespace", ns)) < 0 ||
	    (err = check_part("name", name)) < 0)
		return err;
	n = strlen(kind) + strlen(ns) + strlen(name) + 3;
	if ((p = malloc(n)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	snprintf(p, n, "%s/%s/%s", kind, ns, name);
	for (char *c = p; *c != '/'; c++)
		*c = (char)tolower((unsigned char)*c);
	*out = p;
	return 0;
}

int cf_artifact_storage_path(char **out, const char *kind, const char *namespace_, const char *name,
			     const char *file)
{
	char *dir = NULL, *p;
	int err;

	if ((err = check_part("file", file)) < 0 || (err = artifact_dir(&dir, kind, namespace_, name)) < 0)
		return err;
	p = cf_artifact__join(dir, file);
	free(dir);
	if (p == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*out = p;
	return 0;
}

/* An artifact path must stay under the root: relative, no ".." segment. */
static int check_relative(const char *path)
{
	const char *p = path;

	if (path == NULL || path[0] == '\0' || path[0] == '/')
		return cf_error_set(CF_EUNSAFE, "storage: artifact path '%s' is not relative", path ? path : "");
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return cf_error_set(CF_EUNSAFE, "storage: artifact path '%s' leaves the root", path);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int cf_artifact_storage_local_path(char **out, const cf_artifact_storage *st, const char *artifact_path)
{
	char *p;
	int err;

	if ((err = check_relative(artifact_path)) < 0)
		return err;
	if ((p = cf_artifact__join(st->root, artifact_path)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	*out = p;
	return 0;
}

int cf_artifact_storage_url(char **out, const cf_artifact_storage *st, const char *artifact_path)
{
	int full = strncmp(st->adv_addr, "http://", 7) == 0 || strncmp(st->adv_addr, "https://", 8) == 0;
	size_t n;
	char *p;

	while (*artifact_path == '/')
		artifact_path++;
	n = strlen(st->adv_addr) + strlen(artifact_path) + sizeof("http:///");
	if ((p = malloc(n)) == NULL)
		return cf_error_set(CF_ENOMEM, "out of memory");
	snprintf(p, n, "%s%s/%s", full ? "" : "http://", st->adv_addr, artifact_path);
	*out = p;
	return 0;
}

/* The local path of an artifact with its directory created (0700, as Flux's MkdirAll). */
static int prepare(const cf_artifact_storage *st, char **local, const char *artifact_path)
{
	char *slash;
	int err;

	if ((err = cf_artifact_storage_local_path(local, st, artifact_path)) < 0)
		return err;
	slash = strrchr(*local, '/');
	*slash = '\0';
	err = cf_artifact__mkdirs(*local, 0700);
	*slash = '/';
	if (err < 0) {
		free(*local);
		*local = NULL;
	}
	return err;
}

int cf_artifact_storage_archive(cf_artifact_file_info *out, cf_artifact_storage *st, const char *artifact_path,
				const char *dir, const char *algo, cf_artifact_filter filter, void *data)
{
	char *local = NULL;
	int err;

	if ((err = prepare(st, &local, artifact_path)) == 0)
		err = cf_artifact_archive(out, local, dir, algo, filter, data);
	free(local);
	return err;
}

int cf_artifact_storage_write(cf_artifact_file_info *out, cf_artifact_storage *st, const char *artifact_path,
			      const void *buf, size_t len, const char *algo)
{
	char *local = NULL, *tmp = NULL;
	int fd = -1, err;

	if ((err = cf_artifact_digest_buf(out->digest, algo, buf, len)) < 0 ||
	    (err = prepare(st, &local, artifact_path)) < 0 || (err = cf_artifact__tmpfile(&tmp, &fd, local)) < 0)
		goto done;
	err = cf_artifact__write_all(fd, buf, len, tmp);
	if (close(fd) < 0 && err == 0)
		err = cf_error_set(CF_EIO, "close %s: %s", tmp, strerror(errno));
	if (err < 0)
		unlink(tmp);
	else if ((err = cf_artifact__commit(tmp, local)) == 0)
		out->size = len;
done:
	free(tmp);
	free(local);
	return err;
}

int cf_artifact_storage_symlink(char **url_out, cf_artifact_storage *st, const char *artifact_path,
				const char *link_name)
{
	char *local = NULL, *link = NULL, *tmp = NULL, *link_path = NULL, *slash;
	int err;

	if ((err = check_part("link name", link_name)) < 0 ||
	    (err = cf_artifact_storage_local_path(&local, st, artifact_path)) < 0)
		return err;
	slash = strrchr(local, '/');
	*slash = '\0';
	link = cf_artifact__join(local, link_name);
	tmp = link ? malloc(strlen(link) + 5) : NULL;
	if (tmp == NULL) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	sprintf(tmp, "%s.tmp", link);
	/* A relative target keeps the link inside the storage whatever path it is mounted at. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		err = cf_error_set(CF_EIO, "remove %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (symlink(slash + 1, tmp) < 0) {
		err = cf_error_set(CF_EIO, "symlink %s: %s", tmp, strerror(errno));
		goto done;
	}
	if ((err = cf_artifact__commit(tmp, link)) < 0)
		goto done;
	if (url_out) {
		const char *file_slash = strrchr(artifact_path, '/');
		size_t dir_len = file_slash ? (size_t)(file_slash - artifact_path) : 0;
		if ((link_path = malloc(dir_len + strlen(link_name) + 2)) == NULL) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		sprintf(link_path, "%.*s%s%s", (int)dir_len, artifact_path, dir_len ? "/" : "", link_name);
		err = cf_artifact_storage_url(url_out, st, link_path);
	}
done:
	free(link_path);
	free(tmp);
	free(link);
	free(local);
	return err;
}

int cf_artifact_storage_exists(const cf_artifact_storage *st, const char *artifact_path)
{
	struct stat sb;
	char *local = NULL;
	int ok;

	if (cf_artifact_storage_local_path(&local, st, artifact_path) < 0)
		return 0;
	ok = lstat(local, &sb) == 0 && S_ISREG(sb.st_mode);
	free(local);
	return ok;
}

int cf_artifact_storage_verify(const cf_artifact_storage *st, const char *artifact_path, const char *digest)
{
	char algo[16], actual[CF_ARTIFACT_DIGEST_MAX];
	char *local = NULL;
	int err;

	if ((err = cf_artifact_digest_algo(algo, sizeof(algo), digest)) < 0 ||
	    (err = cf_artifact_storage_local_path(&local, st, artifact_path)) < 0)
		return err;
	if ((err = cf_artifact_digest_file(actual, algo, local)) == 0)
		err = cf_artifact_digest_compare(digest, actual);
	free(local);
	return err;
}

int cf_artifact_storage_remove_all(cf_artifact_storage *st, const char *kind, const char *namespace_,
				   const char *name)
{
	char *dir = NULL, *local = NULL;
	int err;

	if ((err = artifact_dir(&dir, kind, namespace_, name)) == 0 &&
	    (err = cf_artifact_storage_local_path(&local, st, dir)) == 0)
		err = cf_artifact__rmtree(local);
	free(dir);
	free(local);
	return err;
}
