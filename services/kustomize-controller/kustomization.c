/*
 * The Kustomization reconciler: source and dependencies first, then fetch, build, staged apply,
 * prune and health checks, each failure mapped to Flux's Ready reason; status, Events and a
 * ReconcileResult on the bus at the end of every run.
 */
#include "kc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/artifact.h"
#include "cf/duration.h"
#include "cf/error.h"

const cf_object_reporter kc_reporter = {KC_CONTROLLER, KC_ANN_REVISION};

#define DEFAULT_INTERVAL_MS (10 * 60 * 1000)
#define MIN_TIMEOUT_MS 30000

/* Everything one reconcile of one Kustomization works with. */
typedef struct {
	kc_env *env;
	cf_kube *kube;          /* the client objects are applied with (impersonating or not) */
	cf_kube *impersonated;  /* owned when spec.serviceAccountName is set */
	json_t *obj;            /* the Kustomization, changed in place, status patched at the end */
	json_t *old;            /* as read, for the status diff */
	json_t *source;         /* the source object */
	const char *revision;   /* borrowed from source */
	cf_log_ctx log;
	char work[4096];        /* unpacked artifact */
	int64_t retry_ms;       /* requeue delay after this run */
	int terminal;           /* Stalled: nothing changes until the spec does, so no requeue */
	time_t now;
	struct timespec started; /* of the fetch-build-apply part, for status.history */
	char digest[80];        /* of the built manifests, once built */
} reconcile;

static void fmt_ms(char *buf, size_t size, int64_t ms)
{
	cf_duration_format(buf, size, ms * 1000000);
}

/* Flux's GetTimeout: spec.timeout, else interval - 30s, never below 30s. */
static int64_t timeout_ms(const json_t *obj)
{
	int64_t t = cf_object_duration_ms(obj, "spec.timeout", 0);

	if (t <= 0)
		t = cf_object_duration_ms(obj, "spec.interval", DEFAULT_INTERVAL_MS) - 30000;
	return t < MIN_TIMEOUT_MS ? MIN_TIMEOUT_MS : t;
}

/* A failed step: Ready=False with the reason, a Warning Event, a log line. */
static int fail(reconcile *r, int err, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(reconcile *r, int err, const char *reason, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	cf_object_event(r->env->kube, &kc_reporter, r->obj, "Warning", reason, r->revision, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	return err < 0 ? err : CF_ERROR;
}

/* A configuration error no retry can fix: Stalled and Ready=False as Flux marks terminal errors. */
static int stall(reconcile *r, const char *reason, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int stall(reconcile *r, const char *reason, const char *fmt, ...)
{
	char why[3000], msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: %s", KC_TERMINAL_MESSAGE, why);
	cf_cond_mark_stalled(r->obj, reason, msg, r->now);
	cf_object_event(r->env->kube, &kc_reporter, r->obj, "Warning", reason, r->revision, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	r->terminal = 1;
	return CF_EINVALID;
}

static int64_t ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (int64_t)(b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* A snapshot in status.history for this run's manifests (none before they were built). */
static void record_history(reconcile *r, const char *status)
{
	if (r->digest[0] && kc_history_upsert(r->obj, r->digest, time(NULL), ms_since(&r->started), status,
					      r->revision) < 0)
		cf_log_error(&r->log, "recording history failed: %s", cf_error_last());
}

/* Spec fields this controller cannot honour stall the Kustomization instead of being ignored. */
static int step_spec(reconcile *r)
{
	json_t *spec = json_object_get(r->obj, "spec"), *dep;
	size_t i;

	if (json_array_size(json_object_get(spec, "healthCheckExprs")))
		return stall(r, KC_REASON_UNSUPPORTED, "spec.healthCheckExprs: CEL health checks are not supported "
			     "by this kustomize-controller; remove them to reconcile");
	json_array_foreach(json_object_get(spec, "dependsOn"), i, dep) {
		const char *expr = cf_object_str(dep, "readyExpr");
		if (expr && *expr)
			return stall(r, KC_REASON_UNSUPPORTED, "spec.dependsOn[%zu].readyExpr: CEL expressions are not "
				     "supported by this kustomize-controller; remove it to reconcile", i);
	}
	return 0;
}

static void set_status(reconcile *r, const char *key, json_t *value)
{
	json_t *status = json_object_get(r->obj, "status");

	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(r->obj, "status", status);
	}
	json_object_set_new(status, key, value);
}

/* ---- source and dependencies ---- */

static int step_source(reconcile *r)
{
	const char *kind = cf_object_str(r->obj, "spec.sourceRef.kind"), *name = cf_object_str(r->obj, "spec.sourceRef.name");
	const char *ns = cf_object_str(r->obj, "spec.sourceRef.namespace");
	char api[128];
	int err;

	if (!ns)
		ns = cf_object_str(r->obj, "metadata.namespace");
	if (r->env->no_cross_namespace_refs && strcmp(ns, cf_object_str(r->obj, "metadata.namespace")) != 0)
		return stall(r, KC_REASON_ACCESS_DENIED, "can't access '%s/%s/%s', cross-namespace references have been blocked",
			     kind ? kind : "", ns, name ? name : "");
	if (!kind || !name || (strcmp(kind, "GitRepository") != 0 && strcmp(kind, "OCIRepository") != 0 &&
			       strcmp(kind, "Bucket") != 0))
		return fail(r, CF_EINVALID, KC_REASON_ARTIFACT_FAILED, "source kind '%s' is not supported",
			    kind ? kind : "");
	snprintf(api, sizeof(api), "%s/v1", KC_SOURCE_GROUP);
	if ((err = cf_object_get(&r->source, r->env->kube, api, kind, ns, name)) < 0) {
		if (err == CF_ENOTFOUND)
			return fail(r, err, KC_REASON_ARTIFACT_FAILED, "Source '%s/%s/%s' not found", kind, ns, name);
		return fail(r, err, KC_REASON_ARTIFACT_FAILED, "%s", cf_error_last());
	}
	r->revision = cf_object_str(r->source, "status.artifact.revision");
	if (!r->revision || !cf_object_str(r->source, "status.artifact.url")) {
		char d[64];
		fmt_ms(d, sizeof(d), r->env->requeue_dependency_ms);
		r->revision = NULL;
		r->retry_ms = r->env->requeue_dependency_ms;
		return fail(r, CF_EAGAIN, KC_REASON_ARTIFACT_FAILED, "Source artifact not found, retrying in %s", d);
	}
	r->log.revision = r->revision;
	return 0;
}

/* Flux's checkDependencies: each dependency Ready at its generation and at our source's revision. */
static int check_dependency(reconcile *r, const json_t *dep, char *blocker, size_t size)
{
	const char *name = cf_object_str(dep, "name"), *ns = cf_object_str(dep, "namespace");
	json_t *d = NULL;
	int err;

	if (!ns)
		ns = cf_object_str(r->obj, "metadata.namespace");
	snprintf(blocker, size, "dependency '%s/%s' is not ready", ns, name ? name : "");
	if (!name)
		return CF_EINVALID;
	if ((err = cf_object_get(&d, r->env->kube, KC_API_VERSION, KC_KIND, ns, name)) < 0) {
		if (err == CF_ENOTFOUND)
			snprintf(blocker, size, "unable to get '%s/%s' dependency: Kustomization \"%s\" not found", ns,
				 name, name);
		return err;
	}
	json_t *og = json_object_get(json_object_get(d, "status"), "observedGeneration");
	if (!json_is_integer(og) ||
	    json_integer_value(og) != json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation")) ||
	    !cf_cond_has_status(d, CF_COND_READY, "True")) {
		err = CF_EAGAIN;
		goto done;
	}
	const char *sns = cf_object_str(d, "spec.sourceRef.namespace");
	const char *our_ns = cf_object_str(r->obj, "spec.sourceRef.namespace");
	const char *applied = cf_object_str(d, "status.lastAppliedRevision");
	if (!sns)
		sns = ns;
	if (!our_ns)
		our_ns = cf_object_str(r->obj, "metadata.namespace");
	if (cf_object_str(d, "spec.sourceRef.name") && strcmp(cf_object_str(d, "spec.sourceRef.name"), cf_object_str(r->obj, "spec.sourceRef.name")) == 0 &&
	    strcmp(sns, our_ns) == 0 && (!applied || strcmp(applied, r->revision) != 0)) {
		snprintf(blocker, size, "dependency '%s/%s' revision is not up to date", ns, name);
		err = CF_EAGAIN;
	}
done:
	json_decref(d);
	return err;
}

static int step_dependencies(reconcile *r)
{
	json_t *deps = json_object_get(json_object_get(r->obj, "spec"), "dependsOn"), *dep;
	char blocker[1024], d[64];
	size_t i;

	json_array_foreach(deps, i, dep) {
		int err = check_dependency(r, dep, blocker, sizeof(blocker));
		if (err == 0)
			continue;
		fmt_ms(d, sizeof(d), r->env->requeue_dependency_ms);
		cf_cond_set(r->obj, CF_COND_READY, "False", KC_REASON_DEPENDENCY, blocker, r->now);
		cf_object_event(r->env->kube, &kc_reporter, r->obj, "Normal", KC_REASON_DEPENDENCY, r->revision,
				"Dependencies do not meet ready condition, retrying in %s", d);
		cf_log_info(&r->log, "%s", blocker);
		r->retry_ms = r->env->requeue_dependency_ms;
		return CF_EAGAIN;
	}
	return 0;
}

/* ---- fetch, build, apply, prune, health ---- */

static int step_fetch(reconcile *r)
{
	const char *url = cf_object_str(r->source, "status.artifact.url");
	const char *digest = cf_object_str(r->source, "status.artifact.digest");
	cf_artifact_fetch_opts fo = {.retries = r->env->http_retry, .timeout_ms = 60000, .backoff_ms = 500};
	void *buf = NULL;
	size_t len = 0;
	int err;

	snprintf(r->work, sizeof(r->work), "%s/kustomization-XXXXXX", r->env->tmp_dir);
	if (!mkdtemp(r->work)) {
		r->work[0] = '\0';
		return fail(r, CF_EIO, KC_REASON_ARTIFACT_FAILED, "failed to create temporary working directory");
	}
	if (!digest)
		return fail(r, CF_EINVALID, KC_REASON_ARTIFACT_FAILED, "artifact of revision %s has no digest", r->revision);
	if ((err = cf_artifact_fetch_mem(&buf, &len, url, digest, &fo)) < 0)
		return fail(r, err, KC_REASON_ARTIFACT_FAILED, "failed to download artifact from %s: %s", url,
			    cf_error_last());
	err = cf_artifact_extract_mem(buf, len, r->work, NULL);
	free(buf);
	if (err < 0)
		return fail(r, err, KC_REASON_ARTIFACT_FAILED, "failed to extract artifact: %s", cf_error_last());
	return 0;
}

/* "Kind/ns/name action" lines of a change set, for Events; only lines whose action is in want. */
static void changeset_lines(char *buf, size_t size, const json_t *entries, const char *const *want)
{
	size_t i, len = 0;
	json_t *e;

	buf[0] = '\0';
	json_array_foreach(entries, i, e) {
		const char *action = cf_object_str(e, "action"), *ns = cf_object_str(e, "namespace");
		int hit = 0;
		for (const char *const *w = want; *w; w++)
			hit |= action && strcmp(action, *w) == 0;
		if (!hit || len + 1 >= size)
			continue;
		snprintf(buf + len, size - len, "%s%s/%s%s%s %s", len ? "\n" : "", cf_object_str(e, "kind"), ns ? ns : "",
			 ns ? "/" : "", cf_object_str(e, "name"), action);
		len = strlen(buf);
	}
}

/* Inventory entries {id, v} from a change set. */
static json_t *inventory_of(const json_t *changes)
{
	json_t *inv = json_array(), *e;
	size_t i;

	json_array_foreach(changes, i, e)
		json_array_append_new(inv, json_pack("{s:O,s:O}", "id", json_object_get(e, "id"), "v",
						     json_object_get(e, "v")));
	return inv;
}

/* Appends the entries of from whose id is not in into yet. */
static void merge_missing(json_t *into, const json_t *from)
{
	json_t *e, *n;
	size_t i, j;

	json_array_foreach(from, i, e) {
		int seen = 0;
		json_array_foreach(into, j, n)
			seen |= json_equal(json_object_get(n, "id"), json_object_get(e, "id"));
		if (!seen)
			json_array_append(into, e);
	}
}

static json_t *old_inventory(const json_t *obj)
{
	return json_object_get(json_object_get(json_object_get(obj, "status"), "inventory"), "entries");
}

static int use_client(reconcile *r)
{
	const char *sa = cf_object_str(r->obj, "spec.serviceAccountName");
	int err;

	r->kube = r->env->kube;
	if (!sa || !*sa)
		return 0;
	if ((err = cf_kube_new_as_service_account(&r->impersonated, r->env->kube, cf_object_str(r->obj, "metadata.namespace"),
						  sa)) < 0)
		return fail(r, err, CF_REASON_FAILED, "failed to impersonate %s: %s", sa, cf_error_last());
	r->kube = r->impersonated;
	return 0;
}

/*
 * Before anything is applied, the inventory in the cluster grows to cover what this run may create:
 * a controller killed mid-apply then still knows those objects, and the next run prunes them if
 * they left the desired set by then instead of orphaning them.
 */
static int promise_inventory(reconcile *r, const json_t *objects)
{
	json_t *ids = NULL, *merged;
	int err;

	if ((err = kc_apply_ids(&ids, r->kube, objects)) < 0)
		return fail(r, err, CF_REASON_FAILED, "%s", cf_error_last());
	merged = json_copy(old_inventory(r->obj) ? old_inventory(r->obj) : ids);
	merge_missing(merged, ids);
	json_decref(ids);
	if (json_array_size(merged) == json_array_size(old_inventory(r->obj))) {
		json_decref(merged);
		return 0;
	}
	set_status(r, "inventory", json_pack("{s:o}", "entries", merged));
	if ((err = cf_object_patch_status(r->env->kube, r->old, r->obj)) < 0)
		return fail(r, err, CF_REASON_FAILED, "recording the inventory failed: %s", cf_error_last());
	json_decref(r->old);
	r->old = json_deep_copy(r->obj);
	return 0;
}

static int step_prune(reconcile *r, json_t *inventory)
{
	json_t *deleted = NULL, *kept = NULL, *line;
	char msg[8192];
	size_t i, len = 0;
	int err;

	err = kc_prune(&deleted, &kept, r->kube, r->obj, old_inventory(r->obj), inventory, &r->log);
	/* Objects whose delete failed stay in the inventory so the next run retries them. */
	json_array_extend(inventory, kept);
	msg[0] = '\0';
	json_array_foreach(deleted, i, line) {
		snprintf(msg + len, sizeof(msg) - len, "%s%s", len ? "\n" : "", json_string_value(line));
		len = strlen(msg);
	}
	if (*msg)
		cf_object_event(r->env->kube, &kc_reporter, r->obj, "Normal", CF_REASON_PROGRESSING, r->revision, "%s", msg);
	json_decref(deleted);
	json_decref(kept);
	if (err < 0)
		return fail(r, err, KC_REASON_PRUNE_FAILED, "%s", cf_error_last());
	return 0;
}

/* The objects to wait for: all applied ones with spec.wait, else spec.healthChecks. */
static json_t *health_refs(reconcile *r, const json_t *changes)
{
	json_t *spec = json_object_get(r->obj, "spec"), *refs = json_array(), *e;
	size_t i;

	if (json_is_true(json_object_get(spec, "wait"))) {
		json_array_foreach(changes, i, e)
			json_array_append_new(refs, json_pack("{s:O,s:O,s:O,s:O}", "apiVersion", json_object_get(e, "v"),
				"kind", json_object_get(e, "kind"), "name", json_object_get(e, "name"), "namespace",
				json_object_get(e, "namespace") ? json_object_get(e, "namespace") : json_null()));
		return refs;
	}
	json_array_foreach(json_object_get(spec, "healthChecks"), i, e) {
		json_t *c = json_deep_copy(e);
		if (!json_object_get(c, "namespace"))
			json_object_set_new(c, "namespace", json_string(cf_object_str(r->obj, "metadata.namespace")));
		json_array_append_new(refs, c);
	}
	return refs;
}

static int step_health(reconcile *r, const json_t *changes)
{
	json_t *refs = health_refs(r, changes);
	int64_t t = timeout_ms(r->obj);
	struct timespec a, b;
	char d[64], msg[4200];
	int err = 0;

	if (!json_array_size(refs)) {
		cf_cond_delete(r->obj, KC_COND_HEALTHY);
		goto done;
	}
	fmt_ms(d, sizeof(d), t);
	snprintf(msg, sizeof(msg), "Running health checks for revision %s with a timeout of %s", r->revision, d);
	cf_cond_mark_reconciling(r->obj, CF_REASON_PROGRESSING, msg, r->now);
	if (!cf_cond_get(r->obj, KC_COND_HEALTHY))
		cf_cond_set(r->obj, KC_COND_HEALTHY, "Unknown", CF_REASON_PROGRESSING, msg, r->now);
	clock_gettime(CLOCK_MONOTONIC, &a);
	err = kc_health_wait(r->kube, refs, t);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fmt_ms(d, sizeof(d), (int64_t)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	r->now = time(NULL);
	if (err < 0) {
		snprintf(msg, sizeof(msg), "health check failed after %s: %s", d, cf_error_last());
		cf_cond_set(r->obj, KC_COND_HEALTHY, "False", KC_REASON_HEALTH_FAILED, msg, r->now);
		err = fail(r, err, KC_REASON_HEALTH_FAILED, "%s", msg);
		goto done;
	}
	snprintf(msg, sizeof(msg), "Health check passed in %s", d);
	cf_cond_set(r->obj, KC_COND_HEALTHY, "True", KC_REASON_SUCCEEDED, msg, r->now);
done:
	json_decref(refs);
	return err;
}

/* 1 when the latest history snapshot is these manifests, applied in full (health aside). */
static int applied_before(const reconcile *r)
{
	json_t *last = json_array_get(json_object_get(json_object_get(r->obj, "status"), "history"), 0);
	const char *digest = cf_object_str(last, "digest"), *outcome = cf_object_str(last, "lastReconciledStatus");

	if (!r->digest[0] || !digest || !outcome || strcmp(digest, r->digest) != 0)
		return 0;
	return strcmp(outcome, CF_REASON_SUCCEEDED) == 0 || strcmp(outcome, KC_REASON_HEALTH_FAILED) == 0;
}

static int step_apply(reconcile *r)
{
	static const char *const changed[] = {"created", "configured", NULL};
	json_t *objects = NULL, *changes = NULL, *inventory = NULL;
	int64_t t = timeout_ms(r->obj);
	char d[64], msg[8192];
	int err;

	fmt_ms(d, sizeof(d), t);
	snprintf(msg, sizeof(msg), "Fetching manifests for revision %s with a timeout of %s", r->revision, d);
	cf_cond_mark_reconciling(r->obj, CF_REASON_PROGRESSING, msg, r->now);
	set_status(r, "lastAttemptedRevision", json_string(r->revision));
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	if ((err = step_fetch(r)) < 0)
		goto done;
	/* As in Flux, a missing path is the artifact's fault, not the build's. */
	if ((err = kc_build_path(msg, sizeof(msg), r->obj, r->work)) < 0) {
		err = fail(r, err, KC_REASON_ARTIFACT_FAILED, "%s", cf_error_last());
		goto done;
	}
	if ((err = kc_build(&objects, r->env, r->obj, r->work)) < 0) {
		err = fail(r, err, KC_REASON_BUILD_FAILED, "%s", cf_error_last());
		goto done;
	}
	if (kc_history_digest(r->digest, sizeof(r->digest), objects) < 0)
		r->digest[0] = '\0';
	if ((err = use_client(r)) < 0 || (err = promise_inventory(r, objects)) < 0)
		goto done;
	kc_apply_opts ao = {.force = json_is_true(json_object_get(json_object_get(r->obj, "spec"), "force")),
			    .applied_before = applied_before(r), .timeout_ms = t};
	err = kc_apply(&changes, r->kube, objects, &ao);
	inventory = inventory_of(changes);
	changeset_lines(msg, sizeof(msg), changes, changed);
	if (*msg)
		cf_object_event(r->env->kube, &kc_reporter, r->obj, "Normal", CF_REASON_PROGRESSING, r->revision, "%s", msg);
	if (err < 0) {
		char text[4096];
		snprintf(text, sizeof(text), "%s", cf_error_last());
		/* Keep what was in the inventory along with what got applied, so nothing is orphaned. */
		merge_missing(inventory, old_inventory(r->obj));
		set_status(r, "inventory", json_pack("{s:O}", "entries", inventory));
		err = fail(r, err, CF_REASON_FAILED, "%s", text);
		record_history(r, CF_REASON_FAILED);
		goto done;
	}
	if (json_is_true(json_object_get(json_object_get(r->obj, "spec"), "prune")))
		err = step_prune(r, inventory);
	set_status(r, "inventory", json_pack("{s:O}", "entries", inventory));
	if (err < 0) {
		record_history(r, KC_REASON_PRUNE_FAILED);
		goto done;
	}
	set_status(r, "lastAppliedRevision", json_string(r->revision));
	err = step_health(r, changes);
	record_history(r, err < 0 ? KC_REASON_HEALTH_FAILED : CF_REASON_SUCCEEDED);
done:
	json_decref(objects);
	json_decref(changes);
	json_decref(inventory);
	return err;
}

/* ---- finalize ---- */

static int finalize(reconcile *r)
{
	const char *policy = cf_object_str(r->obj, "spec.deletionPolicy");
	int prune = json_is_true(json_object_get(json_object_get(r->obj, "spec"), "prune"));
	json_t *deleted = NULL, *kept = NULL, *none = json_array();
	int err = 0;

	if (policy && (strcmp(policy, "Delete") == 0 || strcmp(policy, "WaitForTermination") == 0))
		prune = 1;
	else if (policy && strcmp(policy, "Orphan") == 0)
		prune = 0;
	if (prune && !json_is_true(json_object_get(json_object_get(r->obj, "spec"), "suspend")) &&
	    json_array_size(old_inventory(r->obj))) {
		r->kube = r->env->kube;
		if (cf_object_str(r->obj, "spec.serviceAccountName") && use_client(r) < 0)
			goto done;
		err = kc_prune(&deleted, &kept, r->kube, r->obj, old_inventory(r->obj), none, &r->log);
		if (err == 0 && policy && strcmp(policy, "WaitForTermination") == 0)
			err = kc_inventory_wait_gone(r->kube, old_inventory(r->obj), timeout_ms(r->obj));
		if (err < 0) {
			cf_log_error(&r->log, "finalizing failed: %s", cf_error_last());
			goto done;
		}
	}
	err = cf_object_finalizer(r->env->kube, r->obj, 0);
done:
	json_decref(deleted);
	json_decref(kept);
	json_decref(none);
	return err;
}

/* ---- the whole run ---- */

static void publish(reconcile *r, uint64_t ms)
{
	if (cf_object_publish_result(r->env->bus, KC_CONTROLLER, KC_KIND, r->obj, r->revision, ms) < 0)
		cf_log_debug(&r->log, "publishing the result failed: %s", cf_error_last());
}

static int run(reconcile *r)
{
	int err;
	char msg[1024];

	if ((err = step_spec(r)) < 0 || (err = step_source(r)) < 0 || (err = step_dependencies(r)) < 0 ||
	    (err = step_apply(r)) < 0)
		return err;
	snprintf(msg, sizeof(msg), "Applied revision: %s", r->revision);
	cf_cond_set(r->obj, CF_COND_READY, "True", CF_REASON_SUCCEEDED, msg, r->now);
	return 0;
}

cf_result kc_reconcile(const cf_request *req)
{
	kc_env *env = req->service_ctx;
	reconcile r = {.env = env, .log = *req->log, .now = time(NULL)};
	struct timespec a, b;
	cf_result res = cf_result_done();
	int err, was_ready;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((err = cf_object_get(&r.obj, env->kube, KC_API_VERSION, KC_KIND, req->namespace_, req->name)) < 0)
		return err == CF_ENOTFOUND ? cf_result_done() : cf_result_error();
	if (cf_object_str(r.obj, "metadata.deletionTimestamp")) {
		res = finalize(&r) < 0 ? cf_result_error() : cf_result_done();
		goto done;
	}
	if (cf_object_finalizer(env->kube, r.obj, 1) < 0) {
		res = cf_result_error();
		goto done;
	}
	if (json_is_true(json_object_get(json_object_get(r.obj, "spec"), "suspend"))) {
		cf_log_info(&r.log, "Reconciliation is suspended for this object");
		goto done;
	}
	r.old = json_deep_copy(r.obj);
	was_ready = cf_cond_has_status(r.obj, CF_COND_READY, "True");
	cf_cond_handle_requested_at(r.obj);
	int64_t interval = cf_object_duration_ms(r.obj, "spec.interval", DEFAULT_INTERVAL_MS);
	r.retry_ms = cf_object_duration_ms(r.obj, "spec.retryInterval", interval);
	err = run(&r);
	r.now = time(NULL);
	cf_cond_summarize(r.obj, r.now);
	if (cf_object_patch_status(env->kube, r.old, r.obj) < 0)
		cf_log_error(&r.log, "patching status failed: %s", cf_error_last());
	clock_gettime(CLOCK_MONOTONIC, &b);
	uint64_t ms = (uint64_t)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	publish(&r, ms);
	if (err < 0 && r.terminal) {
		res = cf_result_done();
	} else if (err < 0) {
		res = cf_result_requeue(r.retry_ms);
	} else {
		char took[64], next[64];
		fmt_ms(took, sizeof(took), (int64_t)ms);
		fmt_ms(next, sizeof(next), interval);
		const char *last = cf_object_str(r.old, "status.lastAppliedRevision");
		if (!was_ready || !last || strcmp(last, r.revision) != 0)
			cf_object_event(env->kube, &kc_reporter, r.obj, "Normal", CF_REASON_SUCCEEDED, r.revision,
					"Reconciliation finished in %s, next run in %s", took, next);
		cf_log_info(&r.log, "Reconciliation finished in %s, next run in %s", took, next);
		res = cf_result_requeue(interval);
	}
done:
	if (r.work[0])
		cf_object_rmtree(r.work);
	cf_kube_free(r.impersonated);
	json_decref(r.source);
	json_decref(r.old);
	json_decref(r.obj);
	return res;
}
