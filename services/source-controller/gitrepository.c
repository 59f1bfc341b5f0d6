/*
 * The GitRepository reconciler: fetch the repository, check out the ref Flux's precedence names,
 * add included repositories, archive the tree with the ignore rules, store it as an artifact,
 * and report it in status, Events and on the bus.
 */
#include "sc.h"
#include "ignore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/git.h"
#include "cf/log.h"
#include "cf/runtime.h"

#define KIND "GitRepository"
#define API_VERSION SC_GROUP "/v1"
#define DEFAULT_TIMEOUT_MS 60000

/* Flux's condition types and reasons for sources (source-controller api/v1/condition_types.go). */
#define COND_ARTIFACT_IN_STORAGE "ArtifactInStorage"
#define COND_FETCH_FAILED "FetchFailed"
#define COND_STORAGE_FAILED "StorageOperationFailed"
#define COND_INCLUDE_UNAVAILABLE "IncludeUnavailable"
#define COND_ARTIFACT_OUTDATED "ArtifactOutdated"
#define REASON_SUCCEEDED "Succeeded"
#define REASON_AUTH_FAILED "AuthenticationFailed"
#define REASON_GIT_FAILED "GitOperationFailed"
#define REASON_URL_INVALID "URLInvalid"
#define REASON_ARCHIVE_FAILED "ArchiveOperationFailed"
#define REASON_NEW_REVISION "NewRevision"

int sc_git_file_max_size;
int sc_git_tree_max_size;

/* Everything one reconcile of one object works with. */
typedef struct {
	sc_env *env;
	json_t *obj;                 /* the object, changed in place, patched at the end */
	json_t *old;                 /* as read, for the status diff */
	cf_log_ctx log;
	char work[4096];             /* scratch directory of this reconcile */
	char checkout[4200];         /* the exported tree */
	cf_git_result git;
	time_t now;
} reconcile;

/* Maps a git error to Flux's FetchFailed reason. */
static const char *git_reason(int err)
{
	switch (err) {
	case CF_EAUTH:
	case CF_EUNSAFE:
		return REASON_AUTH_FAILED;
	case CF_EINVALID:
		return REASON_URL_INVALID;
	default:
		return REASON_GIT_FAILED;
	}
}

/* A failed step: its negative condition and Ready=False carry the same reason and message. */
static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(reconcile *r, int err, const char *cond, const char *reason, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_cond_set(r->obj, cond, "True", reason, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	cf_object_event(r->env->kube, &sc_reporter, r->obj, "Warning", reason, NULL, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	return err;
}

/* Fills auth from spec.secretRef; *secret keeps the strings alive. */
static int load_auth(reconcile *r, cf_git_auth *auth, json_t **secret)
{
	const char *name = cf_object_str(r->obj, "spec.secretRef.name");
	const char *ns = cf_object_str(r->obj, "metadata.namespace");
	int err;

	memset(auth, 0, sizeof(*auth));
	if (!name)
		return 0;
	if ((err = sc_secret_get(secret, r->env, ns, name)) < 0)
		return fail(r, err, COND_FETCH_FAILED, REASON_AUTH_FAILED, "%s", cf_error_last());
	/* Secret keys contain dots ("ca.crt"), so they are read directly, not as paths. */
#define KEY(k) json_string_value(json_object_get(*secret, k))
	auth->username = KEY("username");
	auth->password = KEY("password");
	auth->bearer_token = KEY("bearerToken");
	auth->ca_pem = KEY("ca.crt") ? KEY("ca.crt") : KEY("caFile");
	/* certFile/keyFile/caFile are the names Flux accepted before tls.crt/tls.key/ca.crt. */
	auth->cert_pem = KEY("tls.crt") ? KEY("tls.crt") : KEY("certFile");
	auth->key_pem = KEY("tls.key") ? KEY("tls.key") : KEY("keyFile");
	auth->ssh_identity = KEY("identity");
	auth->ssh_passphrase = auth->ssh_identity ? KEY("password") : NULL;
	auth->known_hosts = KEY("known_hosts");
#undef KEY
	return 0;
}

/* Fetches and checks out spec.ref into r->checkout. */
static int step_checkout(reconcile *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *name = cf_object_str(r->obj, "metadata.name");
	const char *url = cf_object_str(r->obj, "spec.url");
	char cache[4096];
	json_t *secret = NULL;
	cf_git_auth auth;
	int err;

	if (!url)
		return fail(r, CF_EINVALID, COND_FETCH_FAILED, REASON_URL_INVALID, "spec.url is required");
	if ((err = load_auth(r, &auth, &secret)) < 0)
		goto done;
	snprintf(cache, sizeof(cache), "%s/%s/%s", r->env->git_cache_dir, ns, name);
	cf_git_checkout_opts opts = {
		.url = url,
		.cache_dir = cache,
		.out_dir = r->checkout,
		.ref = {
			.branch = cf_object_str(r->obj, "spec.ref.branch"),
			.tag = cf_object_str(r->obj, "spec.ref.tag"),
			.semver = cf_object_str(r->obj, "spec.ref.semver"),
			.name = cf_object_str(r->obj, "spec.ref.name"),
			.commit = cf_object_str(r->obj, "spec.ref.commit"),
		},
		.auth = &auth,
		.recurse_submodules = json_is_true(json_object_get(json_object_get(r->obj, "spec"),
								   "recurseSubmodules")),
		.timeout_ms = (int)cf_object_duration_ms(r->obj, "spec.timeout", DEFAULT_TIMEOUT_MS),
		.max_file_size = sc_git_file_max_size > 0 ? (uint64_t)sc_git_file_max_size : 0,
		.max_total_size = sc_git_tree_max_size > 0 ? (uint64_t)sc_git_tree_max_size : 0,
		.cancel = r->env->stopping,
	};
	/* Flux's default when no ref is given at all is the master branch. */
	if (!opts.ref.branch && !opts.ref.tag && !opts.ref.semver && !opts.ref.name && !opts.ref.commit)
		opts.ref.branch = "master";
	err = cf_git_checkout(&r->git, &opts);
	if (err < 0) {
		fail(r, err, COND_FETCH_FAILED, git_reason(err),
		     "failed to checkout and determine revision: %s", cf_error_last());
		goto done;
	}
	cf_cond_delete(r->obj, COND_FETCH_FAILED);
	r->log.revision = r->git.revision;
done:
	json_decref(secret);
	return err;
}

/* Rejects toPath/fromPath values that would leave the tree. */
static int safe_rel(const char *p)
{
	if (!p || p[0] == '/')
		return 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n;
		while (*s == '/')
			s++;
	}
	return 1;
}

/* mkdir -p for the parents of path. */
static int mkdir_parents(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(path, 0700);
		*s = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* Copies one included GitRepository's artifact (fromPath) into the checkout (toPath). */
static int include_one(reconcile *r, const json_t *inc, json_t *observed, int idx)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace");
	const char *repo = cf_object_str(inc, "repository.name");
	const char *from = cf_object_str(inc, "fromPath"), *to = cf_object_str(inc, "toPath");
	char extract[4200], src[8400], dst[8400];
	json_t *other = NULL;
	char *local = NULL;
	int err;

	if (!repo)
		return fail(r, CF_EINVALID, COND_INCLUDE_UNAVAILABLE, "InvalidInclude",
			    "include[%d]: repository.name is required", idx);
	if (!to)
		to = repo;
	if ((from && !safe_rel(from)) || !safe_rel(to))
		return fail(r, CF_EUNSAFE, COND_INCLUDE_UNAVAILABLE, "InvalidInclude",
			    "include '%s': fromPath and toPath must stay inside the repository", repo);
	err = cf_object_get(&other, r->env->kube, API_VERSION, KIND, ns, repo);
	if (err < 0 || !cf_object_str(other, "status.artifact.path")) {
		fail(r, CF_EAGAIN, COND_INCLUDE_UNAVAILABLE, err < 0 ? "NotFound" : "ArtifactUnavailable",
		     "could not get resource for include '%s': %s", repo,
		     err < 0 ? cf_error_last() : "no artifact available");
		err = CF_EAGAIN;
		goto done;
	}
	if ((err = cf_artifact_storage_local_path(&local, r->env->storage,
						  cf_object_str(other, "status.artifact.path"))) < 0)
		goto done;
	snprintf(extract, sizeof(extract), "%s/include-%d", r->work, idx);
	if ((err = cf_artifact_extract_file(local, extract, NULL)) < 0) {
		fail(r, err, COND_INCLUDE_UNAVAILABLE, "ArtifactUnavailable",
		     "failed to extract artifact of include '%s': %s", repo, cf_error_last());
		goto done;
	}
	snprintf(src, sizeof(src), "%s/%s", extract, from ? from : "");
	snprintf(dst, sizeof(dst), "%s/%s", r->checkout, to);
	/* Flux copies over whatever the repository had at toPath. */
	cf_object_rmtree(dst);
	if (mkdir_parents(dst) < 0 || rename(src, dst) < 0) {
		err = fail(r, CF_EIO, COND_INCLUDE_UNAVAILABLE, "CopyFailed",
			   "failed to copy include '%s' to '%s': %s", repo, to, strerror(errno));
		goto done;
	}
	json_array_append_new(observed, json_pack("{s:{s:s},s:s,s:s}", "repository", "name", repo,
						  "fromPath", from ? from : "", "toPath", to));
	json_array_append(json_object_get(json_object_get(r->obj, "status"), "includedArtifacts"),
			  json_object_get(json_object_get(other, "status"), "artifact"));
done:
	free(local);
	json_decref(other);
	return err;
}

static int step_include(reconcile *r, json_t **observed)
{
	json_t *incs = json_object_get(json_object_get(r->obj, "spec"), "include");
	json_t *status = json_object_get(r->obj, "status");
	size_t i;
	json_t *inc;
	int err = 0;

	*observed = json_array();
	json_object_set_new(status, "includedArtifacts", json_array());
	json_array_foreach(incs, i, inc)
		if ((err = include_one(r, inc, *observed, (int)i)) < 0)
			return err;
	if (json_array_size(incs) == 0)
		json_object_del(status, "includedArtifacts");
	cf_cond_delete(r->obj, COND_INCLUDE_UNAVAILABLE);
	return 0;
}

/* True when the stored artifact already holds this revision built with the same inputs. */
static int artifact_up_to_date(reconcile *r, const json_t *observed_include)
{
	const json_t *st = json_object_get(r->old, "status");
	const char *rev = cf_object_str(st, "artifact.revision"), *path = cf_object_str(st, "artifact.path");
	const char *ign = cf_object_str(r->obj, "spec.ignore"), *oign = cf_object_str(st, "observedIgnore");
	json_t *oinc = json_object_get(st, "observedInclude");
	int subs = json_is_true(json_object_get(json_object_get(r->obj, "spec"), "recurseSubmodules"));

	if (!rev || !path || strcmp(rev, r->git.revision) != 0)
		return 0;
	if (!cf_artifact_storage_exists(r->env->storage, path))
		return 0;
	if ((ign == NULL) != (oign == NULL) || (ign && strcmp(ign, oign) != 0))
		return 0;
	if (json_is_true(json_object_get(st, "observedRecurseSubmodules")) != subs)
		return 0;
	if (json_array_size(observed_include) || json_array_size(oinc))
		return json_equal(oinc ? oinc : json_array(), (json_t *)observed_include);
	return 1;
}

static void publish(reconcile *r, const json_t *artifact)
{
	if (!r->env->bus)
		return;
	cf_bus_msg m = {.type = CF_BUS_ARTIFACT_READY};
	m.body.artifact_ready = (cf_bus_artifact_ready){
		.kind = KIND,
		.namespace_ = cf_object_str(r->obj, "metadata.namespace"),
		.name = cf_object_str(r->obj, "metadata.name"),
		.revision = cf_object_str(artifact, "revision"),
		.digest = cf_object_str(artifact, "digest"),
		.url = cf_object_str(artifact, "url"),
		.size = (uint64_t)json_integer_value(json_object_get(artifact, "size")),
		.generation = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation")),
		.observed_at_unix_nano = (int64_t)r->now * 1000000000,
	};
	if (cf_bus_pub_send(r->env->bus, &m) < 0)
		cf_log_error(&r->log, "publishing ArtifactReady failed: %s", cf_error_last());
}

/* Archives the checkout into storage and records the artifact in status. */
static int step_artifact(reconcile *r, json_t *observed_include)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *name = cf_object_str(r->obj, "metadata.name");
	json_t *status = json_object_get(r->obj, "status");
	char file[64], tbuf[32], msg[1200];
	char *path = NULL, *url = NULL;
	cf_glob_list *ignore = NULL;
	cf_artifact_file_info info;
	int err, fresh = 0;

	snprintf(msg, sizeof(msg), "stored artifact for revision '%s'", r->git.revision);
	if (!artifact_up_to_date(r, observed_include)) {
		fresh = 1;
		snprintf(file, sizeof(file), "%s.tar.gz", r->git.commit);
		if ((err = cf_artifact_storage_path(&path, "gitrepository", ns, name, file)) < 0 ||
		    (err = sc_ignore_build(&ignore, r->checkout, cf_object_str(r->obj, "spec.ignore"))) < 0 ||
		    (err = cf_artifact_storage_archive(&info, r->env->storage, path, r->checkout, NULL,
						       sc_ignore_filter, ignore)) < 0 ||
		    (err = cf_artifact_storage_symlink(NULL, r->env->storage, path, "latest.tar.gz")) < 0 ||
		    (err = cf_artifact_storage_url(&url, r->env->storage, path)) < 0) {
			fail(r, err, COND_STORAGE_FAILED, REASON_ARCHIVE_FAILED,
			     "unable to archive artifact to storage: %s", cf_error_last());
			goto done;
		}
		cf_cond_format_time(tbuf, sizeof(tbuf), r->now);
		json_object_set_new(status, "artifact", json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}",
			"digest", info.digest, "lastUpdateTime", tbuf, "path", path,
			"revision", r->git.revision, "url", url, "size", (json_int_t)info.size));
		size_t removed = 0;
		if (cf_artifact_storage_gc(&removed, r->env->storage, path, r->env->artifact_retention, -1) < 0)
			cf_log_error(&r->log, "garbage collection of old artifacts failed: %s", cf_error_last());
	}
	if (cf_object_str(r->obj, "spec.ignore"))
		json_object_set_new(status, "observedIgnore", json_string(cf_object_str(r->obj, "spec.ignore")));
	else
		json_object_del(status, "observedIgnore");
	json_object_set_new(status, "observedRecurseSubmodules",
			    json_boolean(json_is_true(json_object_get(json_object_get(r->obj, "spec"),
								      "recurseSubmodules"))));
	if (json_array_size(observed_include))
		json_object_set(status, "observedInclude", observed_include);
	else
		json_object_del(status, "observedInclude");
	cf_cond_delete(r->obj, COND_STORAGE_FAILED);
	cf_cond_delete(r->obj, COND_ARTIFACT_OUTDATED);
	cf_cond_set(r->obj, COND_ARTIFACT_IN_STORAGE, "True", REASON_SUCCEEDED, msg, r->now);
	cf_cond_set(r->obj, CF_COND_READY, "True", REASON_SUCCEEDED, msg, r->now);
	if (fresh) {
		cf_log_info(&r->log, "%s", msg);
		cf_object_event(r->env->kube, &sc_reporter, r->obj, "Normal", "NewArtifact", r->git.revision,
				"stored artifact for commit '%s'", r->git.revision);
		publish(r, json_object_get(status, "artifact"));
	}
	err = 0;
done:
	cf_glob_list_free(ignore);
	free(path);
	free(url);
	return err;
}

/* Deletion: drop the stored artifacts and the clone, then let the object go. */
static int finalize(reconcile *r)
{
	const char *ns = cf_object_str(r->obj, "metadata.namespace"), *name = cf_object_str(r->obj, "metadata.name");
	char clone[4200];
	int err;

	if ((err = cf_artifact_storage_remove_all(r->env->storage, "gitrepository", ns, name)) < 0)
		return err;
	snprintf(clone, sizeof(clone), "%s/%s/%s", r->env->git_cache_dir, ns, name);
	cf_object_rmtree(clone);
	return cf_object_finalizer(r->env->kube, r->obj, 0);
}

static int run_steps(reconcile *r)
{
	json_t *observed_include = NULL;
	int err;

	if ((err = step_checkout(r)) < 0)
		goto done;
	if ((err = step_include(r, &observed_include)) < 0)
		goto done;
	err = step_artifact(r, observed_include);
done:
	json_decref(observed_include);
	return err;
}

int sc_gitrepository_reconcile(sc_env *env, const char *ns, const char *name, sc_result *res)
{
	reconcile r = {.env = env, .now = time(NULL)};
	int err;

	r.log = (cf_log_ctx){.controller = "gitrepository", .group = SC_GROUP, .kind = KIND,
			     .name = name, .namespace_ = ns};
	memset(res, 0, sizeof(*res));
	if ((err = cf_object_get(&r.obj, env->kube, API_VERSION, KIND, ns, name)) < 0)
		return err == CF_ENOTFOUND ? 0 : err;
	r.old = json_deep_copy(r.obj);
	if (json_object_get(json_object_get(r.obj, "metadata"), "deletionTimestamp")) {
		err = finalize(&r);
		goto out;
	}
	if ((err = cf_object_finalizer(env->kube, r.obj, 1)) < 0)
		goto out;
	if (json_is_true(json_object_get(json_object_get(r.obj, "spec"), "suspend"))) {
		cf_log_info(&r.log, "reconciliation is suspended for this object");
		goto out;
	}
	if (!json_object_get(r.obj, "status"))
		json_object_set_new(r.obj, "status", json_object());
	cf_cond_handle_requested_at(r.obj);
	cf_cond_mark_reconciling(r.obj, CF_REASON_PROGRESSING, "reconciliation in progress", r.now);

	snprintf(r.work, sizeof(r.work), "%s/gitrepository-XXXXXX", env->tmp_dir);
	if (!mkdtemp(r.work)) {
		err = cf_error_set(CF_EIO, "creating a work directory in %s: %s", env->tmp_dir, strerror(errno));
		goto out;
	}
	snprintf(r.checkout, sizeof(r.checkout), "%s/checkout", r.work);
	err = run_steps(&r);
	cf_object_rmtree(r.work);

	if (err == 0)
		cf_cond_delete(r.obj, CF_COND_RECONCILING);
	cf_cond_summarize(r.obj, r.now);
	int perr = cf_object_patch_status(env->kube, r.old, r.obj);
	if (perr < 0 && err == 0)
		err = perr;
	res->requeue_after_ms = cf_object_duration_ms(r.obj, "spec.interval", 60000);
	res->failed = err < 0;
out:
	json_decref(r.obj);
	json_decref(r.old);
	return err;
}
