/* Writes a commit's tree to a plain directory: no .git, no links out of the tree, bounded size. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

#define MAX_DEPTH 64
#define MAX_SUBMODULE_DEPTH 8

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int check_size(cf_git_ctx *ctx, const char *rel, uint64_t size)
{
	uint64_t max_file = ctx->opts->max_file_size ? ctx->opts->max_file_size
						     : CF_GIT_DEFAULT_MAX_FILE;
	uint64_t max_total = ctx->opts->max_total_size ? ctx->opts->max_total_size
						       : CF_GIT_DEFAULT_MAX_TOTAL;

	if (size > max_file)
		return cf_error_set(CF_ELIMIT, "file '%s' is %llu bytes, over the %llu byte limit", rel,
				    (unsigned long long)size, (unsigned long long)max_file);
	if (ctx->written + size > max_total)
		return cf_error_set(CF_ELIMIT, "checkout exceeds the %llu byte limit at '%s'",
				    (unsigned long long)max_total, rel);
	ctx->written += size;
	return 0;
}

static int write_blob(git_repository *repo, const git_tree_entry *e, const char *path,
		      const char *rel, cf_git_ctx *ctx)
{
	git_blob *blob = NULL;
	int fd = -1, err;
	mode_t mode = git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;

	if ((err = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0)
		return cf_git__error(ctx, err, "reading blob");
	if ((err = check_size(ctx, rel, (uint64_t)git_blob_rawsize(blob))) < 0)
		goto done;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || write_all(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0) {
		err = cf_error_set(CF_EIO, "writing '%s': %s", rel, strerror(errno));
		goto done;
	}
	err = 0;
done:
	if (fd >= 0 && close(fd) < 0 && err == 0)
		err = cf_error_set(CF_EIO, "writing '%s': %s", rel, strerror(errno));
	git_blob_free(blob);
	return err;
}

/*
 * true when a link at rel (relative to the root) pointing to target stays inside the root:
 * resolved lexically, as no other link can be on its way (git trees never nest through links
 * that we would have created before the entry).
 */
static int link_inside(const char *rel, const char *target, size_t tlen)
{
	int depth = 0;
	const char *p;
	size_t i = 0;

	if (tlen == 0 || target[0] == '/' || memchr(target, '\0', tlen))
		return 0;
	for (p = rel; (p = strchr(p, '/')); p++)
		depth++;
	while (i < tlen) {
		const char *s = memchr(target + i, '/', tlen - i);
		size_t n = s ? (size_t)(s - (target + i)) : tlen - i;

		if (n == 2 && target[i] == '.' && target[i + 1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (!(n == 0 || (n == 1 && target[i] == '.'))) {
			depth++;
		}
		i += n + 1;
	}
	return 1;
}

static int write_link(git_repository *repo, const git_tree_entry *e, const char *path,
		      const char *rel, cf_git_ctx *ctx)
{
	git_blob *blob = NULL;
	char *target = NULL;
	size_t n;
	int err;

	if ((err = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0)
		return cf_git__error(ctx, err, "reading link");
	n = (size_t)git_blob_rawsize(blob);
	if (n > 4096 || !link_inside(rel, git_blob_rawcontent(blob), n)) {
		err = cf_error_set(CF_EUNSAFE, "symbolic link '%s' points outside the repository", rel);
		goto done;
	}
	if (!(target = malloc(n + 1))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(target, git_blob_rawcontent(blob), n);
	target[n] = '\0';
	if (symlink(target, path) < 0) {
		err = cf_error_set(CF_EIO, "creating link '%s': %s", rel, strerror(errno));
		goto done;
	}
	err = 0;
done:
	free(target);
	git_blob_free(blob);
	return err;
}

static int export_tree(git_repository *repo, git_tree *root, git_tree *tree, const char *dir,
		       const char *rel, int depth, cf_git_ctx *ctx);

static int export_entry(git_repository *repo, git_tree *root, const git_tree_entry *e,
			const char *dir, const char *rel, int depth, cf_git_ctx *ctx)
{
	const char *name = git_tree_entry_name(e);
	char path[4096], sub[4096];
	git_tree *tree = NULL;
	int err;

	/* Names with '/' or '..' cannot come from git itself but can from a crafted pack. */
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !strcmp(name, ".git"))
		return cf_error_set(CF_EUNSAFE, "tree entry '%s' in '%s' is not a safe name", name, rel);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", name) >= sizeof(sub))
		return cf_error_set(CF_ELIMIT, "path '%s/%s' too long", rel, name);
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_TREE:
		if (mkdir(path, 0755) < 0)
			return cf_error_set(CF_EIO, "creating '%s': %s", sub, strerror(errno));
		if ((err = git_tree_lookup(&tree, repo, git_tree_entry_id(e))) < 0)
			return cf_git__error(ctx, err, "reading tree");
		err = export_tree(repo, root, tree, path, sub, depth + 1, ctx);
		git_tree_free(tree);
		return err;
	case GIT_FILEMODE_LINK:
		return write_link(repo, e, path, sub, ctx);
	case GIT_FILEMODE_COMMIT:
		if (mkdir(path, 0755) < 0)
			return cf_error_set(CF_EIO, "creating '%s': %s", sub, strerror(errno));
		if (!ctx->opts->recurse_submodules)
			return 0;   /* like git without --recurse-submodules: an empty directory */
		return cf_git__submodule(repo, root, path, sub, git_tree_entry_id(e), ctx);
	default:
		return write_blob(repo, e, path, sub, ctx);
	}
}

static int export_tree(git_repository *repo, git_tree *root, git_tree *tree, const char *dir,
		       const char *rel, int depth, cf_git_ctx *ctx)
{
	size_t i, n = git_tree_entrycount(tree);
	int err;

	if (depth > MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "tree deeper than %d directories at '%s'", MAX_DEPTH, rel);
	for (i = 0; i < n; i++) {
		if (cf_git__interrupted(ctx))
			return ctx->err;
		if ((err = export_entry(repo, root, git_tree_entry_byindex(tree, i), dir, rel, depth,
					ctx)) < 0)
			return err;
	}
	return 0;
}

int cf_git__export(git_repository *repo, const git_oid *commit, const char *dir, cf_git_ctx *ctx)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int err;

	if (ctx->depth > MAX_SUBMODULE_DEPTH)
		return cf_error_set(CF_ELIMIT, "submodules nested deeper than %d", MAX_SUBMODULE_DEPTH);
	if ((err = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (err = git_commit_tree(&tree, c)) < 0) {
		err = cf_git__error(ctx, err, "reading commit");
		goto done;
	}
	err = export_tree(repo, tree, tree, dir, "", 0, ctx);
done:
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}
