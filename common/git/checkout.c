/* cf_git_checkout: validates options, fetches through the cache, exports, reports the revision. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

#define DEFAULT_TIMEOUT_MS 60000

/* libgit2 messages that mean the server refused the credentials (or wanted some). */
static const char *const auth_phrases[] = {
	"authentication", "401", "Failed to authenticate", "Unable to extract public key",
	"Unable to open private key", "Callback returned error", "publickey",
};

static int looks_like(const char *msg, const char *const *phrases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(msg, phrases[i]))
			return 1;
	return 0;
}

int cf_git__error(cf_git_ctx *ctx, int gitrc, const char *what)
{
	const git_error *e = git_error_last();
	char msg[1024];
	int code;

	/* A callback already said precisely what went wrong. */
	if (ctx->err) {
		git_error_clear();
		return ctx->err;
	}
	cf_git__scrub(msg, sizeof(msg), e && e->message ? e->message : "unknown error", ctx->auth);
	if (gitrc == GIT_EAUTH || looks_like(msg, auth_phrases, sizeof(auth_phrases) /
						      sizeof(auth_phrases[0])))
		code = CF_EAUTH;
	else if (strstr(msg, "403"))
		code = CF_EFORBIDDEN;
	else if (strstr(msg, "404"))
		code = CF_ENOTFOUND;
	else if (gitrc == GIT_ECERTIFICATE || (e && (e->klass == GIT_ERROR_NET ||
						     e->klass == GIT_ERROR_SSL ||
						     e->klass == GIT_ERROR_SSH ||
						     e->klass == GIT_ERROR_HTTP)))
		code = CF_ENET;
	else if (gitrc == GIT_ENOTFOUND)
		code = CF_ENOTFOUND;
	else if (e && e->klass == GIT_ERROR_OS)
		code = strstr(msg, "connect") || strstr(msg, "resolve") ? CF_ENET : CF_EIO;
	else
		code = CF_ERROR;
	git_error_clear();
	return cf_error_set(code, "%s %s: %s", what, ctx->url_safe, msg);
}

/* out_dir must be absent or empty so nothing stale survives in the artifact. */
static int prepare_out(const char *dir)
{
	DIR *d;
	struct dirent *de;
	int empty = 1;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST || !(d = opendir(dir)))
		return cf_error_set(CF_EIO, "creating %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty ? 0 : cf_error_set(CF_EINVALID, "output directory %s is not empty", dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (f->level > 0)
		remove(path);
	return 0;
}

/* Leaves out_dir empty again after a failed export. */
static void clear_out(const char *dir)
{
	nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static int check_opts(const cf_git_checkout_opts *o, const cf_git_auth *a, int need_dirs)
{
	if (!o || !o->url)
		return cf_error_set(CF_EINVALID, "git checkout needs a url");
	if (need_dirs && (!o->cache_dir || !o->out_dir || !*o->cache_dir || !*o->out_dir))
		return cf_error_set(CF_EINVALID, "git checkout needs cache_dir and out_dir");
	if (!a->cert_pem != !a->key_pem)
		return cf_error_set(CF_EAUTH, "both 'tls.crt' and 'tls.key' are required for a TLS "
				    "client certificate");
	if (a->bearer_token && strpbrk(a->bearer_token, "\r\n"))
		return cf_error_set(CF_EINVALID, "bearer token contains a line break");
	if (a->bearer_token && strncmp(o->url, "ssh://", 6) == 0)
		return cf_error_set(CF_EINVALID, "bearer token given for an SSH URL");
	return 0;
}

static void fill_result(cf_git_result *out, const cf_git_target *t)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), &t->oid);
	memset(out, 0, sizeof(*out));
	memcpy(out->commit, hex, sizeof(out->commit));
	snprintf(out->ref, sizeof(out->ref), "%s", t->ref);
	if (t->label[0])
		snprintf(out->revision, sizeof(out->revision), "%s@sha1:%s", t->label, hex);
	else
		snprintf(out->revision, sizeof(out->revision), "sha1:%s", hex);
}

/* Common start of both entry points: options, URL, deadline and the bearer header. */
static int begin(cf_git_ctx *ctx, const cf_git_checkout_opts *opts, int need_dirs)
{
	static const cf_git_auth none;
	int err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->opts = opts;
	ctx->auth = opts && opts->auth ? opts->auth : &none;
	if ((err = check_opts(opts, ctx->auth, need_dirs)) < 0 || (err = cf_git_init()) < 0 ||
	    (err = cf_git__parse_url(ctx, opts->url)) < 0)
		return err;
	ctx->deadline_ms = cf_git__now_ms() + (opts->timeout_ms > 0 ? opts->timeout_ms
								    : DEFAULT_TIMEOUT_MS);
	if (ctx->auth->bearer_token) {
		size_t n = strlen(ctx->auth->bearer_token) + 32;

		if (!(ctx->header_buf[0] = malloc(n)))
			return cf_error_set(CF_ENOMEM, "out of memory");
		snprintf(ctx->header_buf[0], n, "Authorization: Bearer %s", ctx->auth->bearer_token);
		ctx->headers.strings = ctx->header_buf;
		ctx->headers.count = 1;
	}
	return 0;
}

static void end(cf_git_ctx *ctx)
{
	free(ctx->header_buf[0]);
}

int cf_git_resolve(cf_git_result *out, const cf_git_checkout_opts *opts)
{
	cf_git_ctx ctx;
	cf_git_target t;
	int err;

	if ((err = begin(&ctx, opts, 0)) == 0 && (err = cf_git__resolve(&t, &ctx, &opts->ref)) == 0)
		fill_result(out, &t);
	end(&ctx);
	return err;
}

int cf_git_checkout(cf_git_result *out, const cf_git_checkout_opts *opts)
{
	git_repository *repo = NULL;
	cf_git_ctx ctx;
	cf_git_target t;
	int lock = -1, err, exported = 0;

	if ((err = begin(&ctx, opts, 1)) < 0)
		goto done;
	if ((err = prepare_out(opts->out_dir)) < 0 ||
	    (err = cf_git__open_cache(&repo, &lock, opts->cache_dir, &ctx)) < 0 ||
	    (err = cf_git__fetch(&t, repo, &ctx, &opts->ref)) < 0)
		goto done;
	exported = 1;
	if ((err = cf_git__export(repo, &t.oid, opts->out_dir, &ctx)) < 0)
		goto done;
	fill_result(out, &t);
done:
	if (err < 0 && exported)
		clear_out(opts->out_dir);
	if (lock >= 0)
		close(lock);
	git_repository_free(repo);
	end(&ctx);
	return err;
}
