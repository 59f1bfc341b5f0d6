/* Lists the remote, picks the reference Flux's precedence asks for, and fetches just that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

/* Local names the fetched references land under, inside the cache repository. */
#define LOCAL_PREFIX "refs/cflux/"

/* Downloads refspec over the open connection and records the fetched tips locally. */
static int download(git_remote *remote, const char *refspec, cf_git_ctx *ctx)
{
	char *specs[1] = {(char *)refspec};
	git_strarray arr = {specs, 1};
	git_fetch_options fo;
	int rc;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	cf_git__callbacks(&fo.callbacks, ctx);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	/* Needed again: libgit2 resets the connection options for the download. */
	fo.custom_headers = ctx->headers;
	if ((rc = git_remote_download(remote, &arr, &fo)) < 0)
		return cf_git__error(ctx, rc, "fetch");
	if ((rc = git_remote_update_tips(remote, &fo.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
					 "cflux fetch")) < 0)
		return cf_git__error(ctx, rc, "update references");
	return 0;
}

/* Turns what was picked into a commit: peels annotated tags, looks up a (short) commit id. */
static int to_commit(git_oid *out, git_repository *repo, const cf_git_target *t,
		     const cf_git_ref *ref, cf_git_ctx *ctx)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid want;
	size_t len;
	int rc;

	if (ref->commit && *ref->commit) {
		len = strlen(ref->commit);
		git_oid_fromstrn(&want, ref->commit, len);
		rc = git_object_lookup_prefix(&obj, repo, &want, len, GIT_OBJECT_COMMIT);
	} else {
		rc = git_object_lookup(&obj, repo, &t->oid, GIT_OBJECT_ANY);
	}
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS) {
		git_error_clear();
		rc = cf_error_set(CF_ENOTFOUND, "commit '%s' not found in %s%s%s",
				  ref->commit && *ref->commit ? ref->commit : git_oid_tostr_s(&t->oid),
				  ctx->url_safe, t->label[0] ? " branch " : "", t->label);
		goto done;
	}
	if (rc < 0 || (rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT)) < 0) {
		rc = cf_git__error(ctx, rc, "resolve commit");
		goto done;
	}
	git_oid_cpy(out, git_object_id(peeled));
	rc = 0;
done:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

static int have_object(git_repository *repo, const git_oid *oid)
{
	git_odb *odb = NULL;
	int yes = 0;

	if (git_oid_is_zero(oid) || git_repository_odb(&odb, repo) < 0)
		return 0;
	yes = git_odb_exists(odb, oid);
	git_odb_free(odb);
	return yes;
}

static int have_commit(git_repository *repo, const cf_git_ref *ref)
{
	git_object *obj = NULL;
	git_oid want;
	size_t len = strlen(ref->commit);
	int yes;

	git_oid_fromstrn(&want, ref->commit, len);
	yes = git_object_lookup_prefix(&obj, repo, &want, len, GIT_OBJECT_COMMIT) == 0;
	git_object_free(obj);
	git_error_clear();
	return yes;
}

/*
 * An anonymous remote on the cache repository, without url.<base>.insteadOf rewriting: Flux
 * fetches exactly spec.url, and libgit2 1.5 matches every config entry (repository, global and
 * system) against a PCRE2 pattern for insteadOf and pushInsteadOf without freeing the match data:
 * about 20 KiB lost per entry and pattern on every fetch, the controller's whole memory growth.
 */
static int create_remote(git_remote **out, git_repository *repo, const char *url)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, url, &o);
}

/* Connects remote and picks the target from its advertised references. */
static int connect_and_pick(cf_git_target *t, git_remote *remote, cf_git_listing *ls,
			    cf_git_ctx *ctx, const cf_git_ref *ref)
{
	git_remote_callbacks cb;
	int rc;

	memset(t, 0, sizeof(*t));
	cf_git__callbacks(&cb, ctx);
	if ((rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, &ctx->headers)) < 0 ||
	    (rc = git_remote_ls(&ls->heads, &ls->n, remote)) < 0)
		return cf_git__error(ctx, rc, "connect");
	return cf_git__pick(t, remote, ls, ref, ctx);
}

int cf_git__fetch(cf_git_target *out, git_repository *repo, cf_git_ctx *ctx, const cf_git_ref *ref)
{
	git_remote *remote = NULL;
	cf_git_listing ls = {NULL, 0};
	cf_git_target t;
	char spec[1200];
	int err, rc;

	if ((rc = create_remote(&remote, repo, ctx->url)) < 0) {
		err = cf_git__error(ctx, rc, "remote");
		goto done;
	}
	if ((err = connect_and_pick(&t, remote, &ls, ctx, ref)) < 0)
		goto done;
	/* A cache that already holds the object needs no transfer at all. */
	if (!have_object(repo, &t.oid) && !(ref->commit && *ref->commit && have_commit(repo, ref))) {
		if (t.ref[0])
			snprintf(spec, sizeof(spec), "+%s:" LOCAL_PREFIX "%s", t.ref, t.ref + 5);
		else
			snprintf(spec, sizeof(spec), "+refs/heads/*:" LOCAL_PREFIX "heads/*");
		if ((err = download(remote, spec, ctx)) < 0)
			goto done;
	}
	if ((err = to_commit(&t.oid, repo, &t, ref, ctx)) < 0)
		goto done;
	*out = t;
	err = 0;
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	return err;
}

int cf_git__resolve(cf_git_target *out, cf_git_ctx *ctx, const cf_git_ref *ref)
{
	git_remote *remote = NULL;
	cf_git_listing ls = {NULL, 0};
	const git_remote_head *peeled;
	cf_git_target t;
	char name[600];
	int err, rc;

	if ((rc = git_remote_create_detached(&remote, ctx->url)) < 0) {
		err = cf_git__error(ctx, rc, "remote");
		goto done;
	}
	if ((err = connect_and_pick(&t, remote, &ls, ctx, ref)) < 0)
		goto done;
	if (ref->commit && *ref->commit) {
		if (strlen(ref->commit) != GIT_OID_HEXSZ) {
			err = cf_error_set(CF_EINVALID, "resolving needs a full commit SHA-1, not '%.40s'",
					   ref->commit);
			goto done;
		}
		git_oid_fromstr(&t.oid, ref->commit);
	}
	/* An annotated tag is advertised twice; the "^{}" entry carries the commit. */
	snprintf(name, sizeof(name), "%s^{}", t.ref);
	if (t.ref[0] && (peeled = cf_git__find_head(&ls, name)))
		git_oid_cpy(&t.oid, &peeled->oid);
	*out = t;
	err = 0;
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	return err;
}
