/* Submodules (recurseSubmodules): .gitmodules lookup, relative URLs, a cache per submodule URL. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

/* Finds the url of the submodule whose path is rel in a .gitmodules text. */
static int gitmodules_url(char *out, size_t size, const char *text, size_t len, const char *rel)
{
	char line[2048], path[2048] = "", url[2048] = "";
	size_t i = 0;

	while (i <= len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		char *k, *v, *eq;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += n + 1;
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '[') {
			if (*path && !strcmp(path, rel) && *url)
				break;
			path[0] = url[0] = '\0';
			continue;
		}
		if (!(eq = strchr(k, '=')))
			continue;
		*eq = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
			*--eq = '\0';
		v[strcspn(v, "\r")] = '\0';
		while (*v && (v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t'))
			v[strlen(v) - 1] = '\0';
		if (!strcmp(k, "path"))
			snprintf(path, sizeof(path), "%s", v);
		else if (!strcmp(k, "url"))
			snprintf(url, sizeof(url), "%s", v);
		if (!nl)
			break;
	}
	if (!*path || strcmp(path, rel) || !*url)
		return cf_error_set(CF_ENOTFOUND, "submodule '%s' has no url in .gitmodules", rel);
	snprintf(out, size, "%s", url);
	return 0;
}

/* "../other.git" is relative to the superproject's URL, as git resolves it. */
static int resolve_url(char *out, size_t size, const char *base, const char *url)
{
	char buf[2048];
	size_t n;

	if (strncmp(url, "./", 2) != 0 && strncmp(url, "../", 3) != 0) {
		snprintf(out, size, "%s", url);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", base);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	for (;;) {
		if (!strncmp(url, "./", 2)) {
			url += 2;
		} else if (!strncmp(url, "../", 3)) {
			char *slash = strrchr(buf, '/');

			if (!slash || slash[-1] == '/')
				return cf_error_set(CF_EINVALID, "submodule URL climbs above the host");
			*slash = '\0';
			url += 3;
		} else {
			break;
		}
	}
	snprintf(out, size, "%s/%s", buf, url);
	return 0;
}

int cf_git__submodule(git_repository *repo, git_tree *root, const char *path, const char *rel,
		      const git_oid *commit, cf_git_ctx *ctx)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_repository *sub = NULL;
	cf_git_checkout_opts opts = *ctx->opts;
	cf_git_ctx sctx = *ctx;
	cf_git_ref ref = {0};
	cf_git_target t;
	unsigned char md[32];
	char url[2048], abs[2048], cache[4300], hex[65], want[GIT_OID_HEXSZ + 1];
	int lock = -1, err, i;

	if ((err = git_tree_entry_bypath(&e, root, ".gitmodules")) < 0 ||
	    (err = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0) {
		git_error_clear();
		err = cf_error_set(CF_ENOTFOUND, "submodule '%s' but no .gitmodules", rel);
		goto done;
	}
	if ((err = gitmodules_url(url, sizeof(url), git_blob_rawcontent(blob),
				  (size_t)git_blob_rawsize(blob), rel)) < 0 ||
	    (err = resolve_url(abs, sizeof(abs), ctx->url, url)) < 0)
		goto done;
	/* One cache per submodule URL, named by its hash so no URL text reaches the file system. */
	EVP_Digest(abs, strlen(abs), md, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(cache, sizeof(cache), "%s/modules/%s", ctx->opts->cache_dir, hex);
	sctx.opts = &opts;
	opts.cache_dir = cache;
	sctx.cred_attempts = 0;
	sctx.depth = ctx->depth + 1;
	if ((err = cf_git__parse_url(&sctx, abs)) < 0)
		goto done;
	git_oid_tostr(want, sizeof(want), commit);
	ref.commit = want;
	if ((err = cf_git__open_cache(&sub, &lock, cache, &sctx)) < 0 ||
	    (err = cf_git__fetch(&t, sub, &sctx, &ref)) < 0 ||
	    (err = cf_git__export(sub, &t.oid, path, &sctx)) < 0) {
		err = cf_error_wrap(err, "submodule '%s': ", rel);
		goto done;
	}
	ctx->written = sctx.written;
done:
	if (lock >= 0)
		close(lock);
	git_repository_free(sub);
	git_blob_free(blob);
	git_tree_entry_free(e);
	return err;
}
