/* Flux's reference precedence: which advertised reference a GitRepository spec.ref selects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cf/semver.h"
#include "internal.h"

const git_remote_head *cf_git__find_head(const cf_git_listing *ls, const char *name)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->heads[i]->name, name) == 0)
			return ls->heads[i];
	return NULL;
}

/* Flux's ref kinds, strongest first; each turns the spec into the remote reference to fetch. */
typedef int (*pick_fn)(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		       cf_git_ctx *ctx);

static int pick_named(cf_git_target *t, const cf_git_listing *ls, const char *full,
		      const char *label, const char *what, const char *shown, cf_git_ctx *ctx)
{
	const git_remote_head *h = cf_git__find_head(ls, full);

	if (!h)
		return cf_error_set(CF_ENOTFOUND, "%s '%s' not found in %s", what, shown,
				    ctx->url_safe);
	snprintf(t->ref, sizeof(t->ref), "%s", full);
	snprintf(t->label, sizeof(t->label), "%s", label);
	git_oid_cpy(&t->oid, &h->oid);
	return 0;
}

static int pick_commit(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		       cf_git_ctx *ctx)
{
	char full[600];
	int err;

	if (strlen(ref->commit) > GIT_OID_HEXSZ || strspn(ref->commit, "0123456789abcdefABCDEF") !=
	    strlen(ref->commit) || strlen(ref->commit) < 4)
		return cf_error_set(CF_EINVALID, "commit '%.64s' is not a SHA-1", ref->commit);
	if (ref->branch && *ref->branch) {
		snprintf(full, sizeof(full), "refs/heads/%s", ref->branch);
		if ((err = pick_named(t, ls, full, ref->branch, "branch", ref->branch, ctx)) < 0)
			return err;
	} else {
		t->ref[0] = t->label[0] = '\0';
	}
	/* The oid is resolved after the fetch; mark it unknown here. */
	memset(&t->oid, 0, sizeof(t->oid));
	return 0;
}

static int pick_name(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		     cf_git_ctx *ctx)
{
	if (strncmp(ref->name, "refs/", 5) != 0)
		return cf_error_set(CF_EINVALID, "ref name '%.200s' must start with refs/", ref->name);
	return pick_named(t, ls, ref->name, ref->name, "reference", ref->name, ctx);
}

static int pick_semver(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		       cf_git_ctx *ctx)
{
	const char **tags = calloc(ls->n + 1, sizeof(*tags));
	char full[600];
	size_t i, n = 0, idx;
	int err;

	if (!tags)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (i = 0; i < ls->n; i++) {
		const char *name = ls->heads[i]->name;
		size_t len = strlen(name);

		if (strncmp(name, "refs/tags/", 10) == 0 && !(len > 3 && !strcmp(name + len - 3, "^{}")))
			tags[n++] = name + 10;
	}
	err = cf_semver_select(&idx, ref->semver, tags, n, NULL, CF_SEMVER_STRICT);
	if (err == CF_ENOTFOUND)
		err = cf_error_set(CF_ENOTFOUND, "no tag matching semver '%.200s' found in %s",
				   ref->semver, ctx->url_safe);
	else if (err == 0) {
		snprintf(full, sizeof(full), "refs/tags/%s", tags[idx]);
		err = pick_named(t, ls, full, tags[idx], "tag", tags[idx], ctx);
	}
	free(tags);
	return err;
}

static int pick_tag(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		    cf_git_ctx *ctx)
{
	char full[600];

	snprintf(full, sizeof(full), "refs/tags/%s", ref->tag);
	return pick_named(t, ls, full, ref->tag, "tag", ref->tag, ctx);
}

static int pick_branch(cf_git_target *t, const cf_git_listing *ls, const cf_git_ref *ref,
		       cf_git_ctx *ctx)
{
	char full[600];

	snprintf(full, sizeof(full), "refs/heads/%s", ref->branch);
	return pick_named(t, ls, full, ref->branch, "branch", ref->branch, ctx);
}

static const char *field_commit(const cf_git_ref *r) { return r->commit; }
static const char *field_name(const cf_git_ref *r) { return r->name; }
static const char *field_semver(const cf_git_ref *r) { return r->semver; }
static const char *field_tag(const cf_git_ref *r) { return r->tag; }
static const char *field_branch(const cf_git_ref *r) { return r->branch; }

/* Flux: commit > name > semver > tag > branch. */
static const struct {
	const char *(*field)(const cf_git_ref *);
	pick_fn pick;
} kinds[] = {
	{field_commit, pick_commit}, {field_name, pick_name},     {field_semver, pick_semver},
	{field_tag, pick_tag},       {field_branch, pick_branch},
};

static int pick_default(cf_git_target *t, git_remote *remote, const cf_git_listing *ls,
			cf_git_ctx *ctx)
{
	git_buf head = GIT_BUF_INIT;
	int err;

	if (git_remote_default_branch(&head, remote) < 0) {
		git_error_clear();
		return cf_error_set(CF_ENOTFOUND, "%s has no default branch (HEAD)", ctx->url_safe);
	}
	err = pick_named(t, ls, head.ptr, strncmp(head.ptr, "refs/heads/", 11) ? head.ptr
						 : head.ptr + 11, "branch", head.ptr, ctx);
	git_buf_dispose(&head);
	return err;
}

int cf_git__pick(cf_git_target *t, git_remote *remote, const cf_git_listing *ls,
		 const cf_git_ref *ref, cf_git_ctx *ctx)
{
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *v = kinds[k].field(ref);

		if (v && *v)
			return kinds[k].pick(t, ls, ref, ctx);
	}
	return pick_default(t, remote, ls, ctx);
}
