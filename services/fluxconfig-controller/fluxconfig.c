/*
 * The FluxConfig reconciler: applies the GitRepository and Kustomizations the spec stands for,
 * prunes those that left it, and rolls their state up into Azure's compliance status.
 */
#include "fc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/duration.h"
#include "cf/error.h"

const cf_object_reporter fc_reporter = {FC_CONTROLLER, FC_GROUP "/revision"};

/* How soon to look again while children are still moving, should every watch and hint be lost. */
#define PENDING_RECHECK_MS 30000
#define DEFAULT_INTERVAL_MS (600 * 1000)
#define DELETE_RECHECK_MS 2000

/* Everything one reconcile of one FluxConfig works with. */
typedef struct {
	fc_env *env;
	json_t *obj;      /* the FluxConfig, status changed in place */
	json_t *old;      /* as read, for the status diff */
	json_t *desired;  /* the objects the spec stands for */
	cf_log_ctx log;
	time_t now;
} reconcile;

static void set_status(reconcile *r, const char *key, json_t *value)
{
	json_t *status = json_object_get(r->obj, "status");

	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(r->obj, "status", status);
	}
	if (value)
		json_object_set_new(status, key, value);
	else
		json_object_del(status, key);
}

/* A failure of the configuration itself (bad spec, apply refused): no rollup is meaningful. */
static int fail(reconcile *r, int err, const char *reason, int stalled, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(reconcile *r, int err, const char *reason, int stalled, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (stalled)
		cf_cond_mark_stalled(r->obj, reason, msg, r->now);
	else
		cf_cond_set(r->obj, CF_COND_READY, "False", reason, msg, r->now);
	set_status(r, "complianceState", json_string(FC_NON_COMPLIANT));
	set_status(r, "errorMessage", json_string(msg));
	cf_object_event(r->env->kube, &fc_reporter, r->obj, "Warning", reason, NULL, "%s", msg);
	cf_log_error(&r->log, "%s", msg);
	return err < 0 ? err : CF_ERROR;
}

static int step_apply(reconcile *r)
{
	char secret[300];
	json_t *pruned = NULL, *name;
	size_t i;
	int err;

	if ((err = fc_auth_secret(secret, sizeof(secret), r->env->kube, r->obj)) < 0)
		return fail(r, err, FC_REASON_INVALID, err == CF_EINVALID, "%s", cf_error_last());
	if ((err = fc_spec_desired(&r->desired, r->obj, secret)) < 0)
		return fail(r, err, FC_REASON_INVALID, 1, "%s", cf_error_last());
	if ((err = fc_children_apply(r->env->kube, r->env->rt, r->desired)) < 0)
		return fail(r, err, FC_REASON_APPLY_FAILED, 0, "%s", cf_error_last());
	if ((err = fc_children_prune(&pruned, r->env->kube, r->obj, r->desired)) < 0)
		return fail(r, err, FC_REASON_APPLY_FAILED, 0, "%s", cf_error_last());
	json_array_foreach(pruned, i, name)
		cf_object_event(r->env->kube, &fc_reporter, r->obj, "Normal", CF_REASON_PROGRESSING, NULL,
				"Kustomization/%s/%s deleted", fc_spec_namespace(r->obj), json_string_value(name));
	json_decref(pruned);
	return 0;
}

/* Ready and Reconciling follow the compliance state, so kstatus tools read it too. */
static void set_conditions(reconcile *r, const char *state, const char *error)
{
	char msg[4096];

	if (strcmp(state, FC_COMPLIANT) == 0) {
		snprintf(msg, sizeof(msg), "Compliant: %zu objects ready",
			 json_array_size(json_object_get(json_object_get(r->obj, "status"), "statuses")));
		cf_cond_set(r->obj, CF_COND_READY, "True", CF_REASON_SUCCEEDED, msg, r->now);
	} else if (strcmp(state, FC_NON_COMPLIANT) == 0) {
		cf_cond_set(r->obj, CF_COND_READY, "False", FC_REASON_NON_COMPLIANT, error ? error : state, r->now);
	} else if (strcmp(state, FC_SUSPENDED) == 0) {
		cf_cond_delete(r->obj, CF_COND_RECONCILING);
		cf_cond_set(r->obj, CF_COND_READY, "Unknown", FC_REASON_SUSPENDED, "Reconciliation is suspended", r->now);
	} else {
		cf_cond_mark_reconciling(r->obj, CF_REASON_PROGRESSING, "Waiting for the configuration's objects", r->now);
		cf_cond_set(r->obj, CF_COND_READY, "Unknown", CF_REASON_PROGRESSING, "Waiting for the configuration's objects",
			    r->now);
	}
}

static int step_rollup(reconcile *r)
{
	json_t *statuses = NULL, *source = NULL;
	char error[4096];
	const char *state;
	int err;

	if ((err = fc_children_statuses(&statuses, &source, r->env->kube, r->desired)) < 0)
		return fail(r, err, CF_REASON_FAILED, 0, "reading the configuration's objects: %s", cf_error_last());
	state = fc_compliance_rollup(statuses, json_is_true(json_object_get(json_object_get(r->obj, "spec"), "suspend")),
				     error, sizeof(error));
	set_status(r, "complianceState", json_string(state));
	set_status(r, "errorMessage", *error ? json_string(error) : NULL);
	set_status(r, "sourceSyncedCommitId", json_incref(json_object_get(json_object_get(json_object_get(source, "status"),
								"artifact"), "revision")));
	set_status(r, "sourceUpdatedAt", json_incref(json_object_get(json_object_get(json_object_get(source, "status"),
							   "artifact"), "lastUpdateTime")));
	set_status(r, "statuses", statuses);
	set_conditions(r, state, *error ? error : NULL);
	json_decref(source);
	return 0;
}

/* statusUpdatedAt moves only when something else in the status did, or every write would wake a watcher. */
static void stamp(reconcile *r)
{
	json_t *a = json_deep_copy(json_object_get(r->old, "status")), *b = json_deep_copy(json_object_get(r->obj, "status"));
	char ts[32];

	if (json_is_object(a))
		json_object_del(a, "statusUpdatedAt");
	if (json_is_object(b))
		json_object_del(b, "statusUpdatedAt");
	if (!json_equal(a, b) || !json_is_object(a)) {
		cf_cond_format_time(ts, sizeof(ts), r->now);
		set_status(r, "statusUpdatedAt", json_string(ts));
	}
	json_decref(a);
	json_decref(b);
}

/* An Event when the compliance state changes, which is what a person watching the config cares about. */
static void announce(reconcile *r)
{
	const char *was = cf_object_str(r->old, "status.complianceState");
	const char *is = cf_object_str(r->obj, "status.complianceState");

	if (!is || (was && strcmp(was, is) == 0))
		return;
	cf_object_event(r->env->kube, &fc_reporter, r->obj, strcmp(is, FC_NON_COMPLIANT) == 0 ? "Warning" : "Normal",
			"ComplianceChanged", cf_object_str(r->obj, "status.sourceSyncedCommitId"),
			"complianceState %s (was %s)", is, was ? was : "unset");
	cf_log_info(&r->log, "complianceState %s (was %s)", is, was ? was : "unset");
}

static void publish(reconcile *r, uint64_t ms)
{
	if (cf_object_publish_result(r->env->bus, FC_CONTROLLER, FC_KIND, r->obj, cf_object_str(r->obj, "status.sourceSyncedCommitId"), ms) < 0)
		cf_log_debug(&r->log, "publishing the result failed: %s", cf_error_last());
}

/* Deletes what the config created; the finalizer goes once all of it is gone. */
static cf_result finalize(reconcile *r)
{
	int err = fc_children_delete_all(r->env->kube, r->obj);

	if (err == CF_EAGAIN)
		return cf_result_requeue(DELETE_RECHECK_MS);
	if (err < 0) {
		cf_log_error(&r->log, "deleting the configuration's objects failed: %s", cf_error_last());
		return cf_result_error();
	}
	return cf_object_finalizer(r->env->kube, r->obj, 0) < 0 ? cf_result_error() : cf_result_done();
}

static int is_pending(const json_t *obj)
{
	const char *state = cf_object_str(obj, "status.complianceState");

	return !state || strcmp(state, FC_PENDING) == 0;
}

static int64_t interval_ms(const json_t *obj)
{
	json_t *s = json_object_get(json_object_get(json_object_get(obj, "spec"), "gitRepository"), "syncIntervalInSeconds");

	return json_is_integer(s) && json_integer_value(s) > 0 && json_integer_value(s) < 366LL * 24 * 3600
		       ? (int64_t)json_integer_value(s) * 1000
		       : DEFAULT_INTERVAL_MS;
}

cf_result fc_reconcile(const cf_request *req)
{
	fc_env *env = req->service_ctx;
	reconcile r = {.env = env, .log = *req->log, .now = time(NULL)};
	struct timespec a, b;
	cf_result res = cf_result_done();
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((err = cf_object_get(&r.obj, env->kube, FC_API_VERSION, FC_KIND, req->namespace_, req->name)) < 0)
		return err == CF_ENOTFOUND ? cf_result_done() : cf_result_error();
	if (cf_object_str(r.obj, "metadata.deletionTimestamp")) {
		res = finalize(&r);
		goto done;
	}
	if (cf_object_finalizer(env->kube, r.obj, 1) < 0) {
		res = cf_result_error();
		goto done;
	}
	/* Suspension is not a skip here: it is handed down to every object the config owns. */
	r.old = json_deep_copy(r.obj);
	cf_cond_handle_requested_at(r.obj);
	/* A stall is about a spec; this generation gets a fresh verdict. */
	cf_cond_delete(r.obj, CF_COND_STALLED);
	if ((err = step_apply(&r)) == 0)
		err = step_rollup(&r);
	r.now = time(NULL);
	cf_cond_summarize(r.obj, r.now);
	/* This generation has been acted on whatever the verdict, so waiters can trust complianceState. */
	set_status(&r, "observedGeneration", json_incref(json_object_get(json_object_get(r.obj, "metadata"), "generation")));
	stamp(&r);
	announce(&r);
	if (cf_object_patch_status(env->kube, r.old, r.obj) < 0)
		cf_log_error(&r.log, "patching status failed: %s", cf_error_last());
	clock_gettime(CLOCK_MONOTONIC, &b);
	publish(&r, (uint64_t)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	if (cf_cond_has_status(r.obj, CF_COND_STALLED, "True"))
		res = cf_result_done();
	else if (err < 0)
		res = cf_result_error();
	else if (is_pending(r.obj))
		res = cf_result_requeue(PENDING_RECHECK_MS);
	else
		res = cf_result_requeue(cf_runtime_jitter_ms(req->rt, interval_ms(r.obj)));
done:
	json_decref(r.desired);
	json_decref(r.old);
	json_decref(r.obj);
	return res;
}
