/*
 * The release state machine of a HelmRelease, after Flux's atomic release: the state read from
 * Helm's storage picks the next action (install, upgrade, unlock, rollback or uninstall
 * remediation) until the release is in sync, a remediation ran or the retries are exhausted.
 * The actions live in release_install.c and release_remediate.c, the test run in release_test.c.
 */
#include "release.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/duration.h"
#include "cf/error.h"

#define DEFAULT_MAX_HISTORY 5
#define REMEDIATION_REQUEUE_MS 1000
#define MAX_STEPS 6
#define DEFAULT_RETRY_INTERVAL_MS (5 * 60 * 1000)

typedef enum { ACT_NONE, ACT_INSTALL, ACT_UPGRADE, ACT_UNLOCK, ACT_ROLLBACK, ACT_UNINSTALL } action;

/* What kind of step each action is: a remediation ends the reconcile, any kind runs once per reconcile. */
enum { TYPE_RELEASE = 1, TYPE_UNLOCK = 2, TYPE_REMEDIATE = 4 };
static const int action_type[] = {
	[ACT_NONE] = 0, [ACT_INSTALL] = TYPE_RELEASE, [ACT_UPGRADE] = TYPE_RELEASE,
	[ACT_UNLOCK] = TYPE_UNLOCK, [ACT_ROLLBACK] = TYPE_REMEDIATE, [ACT_UNINSTALL] = TYPE_REMEDIATE,
};

/*
 * Release record `version` as stored (borrowed; NULL with the error in *err): read once per
 * observation of the state, as several steps of one action need the same records.
 */
const json_t *hc_rel_record(machine *m, int version, int *err)
{
	char key[16];
	json_t *rel = NULL;

	snprintf(key, sizeof(key), "%d", version);
	if ((rel = json_object_get(m->records, key))) {
		*err = 0;
		return rel;
	}
	if ((*err = hc_storage_read(&rel, m->r->kube, m->r->storage_ns, m->r->release, version)) < 0)
		return NULL;
	json_object_set_new(m->records, key, rel);
	return rel;
}

void hc_rel_count_failure(hc_rec *r, const char *key)
{
	json_object_set_new(hc_status(r), key, json_integer(counter(r, key) + 1));
	if (strcmp(key, "failures") != 0)
		json_object_set_new(hc_status(r), "failures", json_integer(counter(r, "failures") + 1));
}

void hc_rel_reset_failures(hc_rec *r)
{
	json_object_del(hc_status(r), "failures");
	json_object_del(hc_status(r), "installFailures");
	json_object_del(hc_status(r), "upgradeFailures");
}

void hc_rel_event(hc_rec *r, const char *type, const char *reason, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_object_event(r->env->kube, &hc_reporter, r->obj, type, reason, r->revision, "%s", msg);
	if (strcmp(type, "Normal") == 0)
		cf_log_info(&r->log, "%s", msg);
	else
		cf_log_error(&r->log, "%s", msg);
}

/* Helm's maxHistory: records older than the newest `maxHistory` go. */
void hc_rel_prune(hc_rec *r, int newest)
{
	json_t *max = json_object_get(spec_of(r, NULL), "maxHistory");
	int64_t keep = json_is_integer(max) ? json_integer_value(max) : DEFAULT_MAX_HISTORY;

	/* A few below the limit too, in case an earlier prune was interrupted. */
	for (int64_t v = newest - keep; keep > 0 && v >= 1 && v > newest - keep - 3; v--)
		hc_storage_delete(r->kube, r->storage_ns, r->release, (int)v);
}

/* ---- remediation settings ---- */

int hc_rel_active_remediation(hc_rec *r, remediation *out)
{
	const char *last = cf_object_str(hc_status(r), "lastAttemptedReleaseAction");
	json_t *rem;

	if (!last || (strcmp(last, "install") != 0 && strcmp(last, "upgrade") != 0))
		return 0;
	int install = strcmp(last, "install") == 0;
	rem = json_object_get(spec_of(r, install ? "install" : "upgrade"), "remediation");
	out->action = last;
	out->counter = install ? "installFailures" : "upgradeFailures";
	out->retries = json_integer_value(json_object_get(rem, "retries"));
	if (json_is_boolean(json_object_get(rem, "remediateLastFailure")))
		out->remediate_last = json_is_true(json_object_get(rem, "remediateLastFailure"));
	else
		out->remediate_last = !install && out->retries > 0;
	out->uninstall = install || strcmp(str_or(rem, "strategy", "rollback"), "uninstall") == 0;
	out->ignore_tests = json_is_boolean(json_object_get(rem, "ignoreTestFailures")) ?
				    json_is_true(json_object_get(rem, "ignoreTestFailures")) :
				    json_is_true(json_object_get(spec_of(r, "test"), "ignoreFailures"));
	return 1;
}

/*
 * The RetryOnFailure strategy of the last attempted action: its retryInterval (default 5m) in ms,
 * or 0 when that action remediates instead (RemediateOnFailure, the default).
 */
int64_t hc_rel_active_retry_ms(hc_rec *r)
{
	const char *last = cf_object_str(hc_status(r), "lastAttemptedReleaseAction");
	json_t *strategy;

	if (!last || (strcmp(last, "install") != 0 && strcmp(last, "upgrade") != 0))
		return 0;
	strategy = json_object_get(spec_of(r, last), "strategy");
	if (strcmp(str_or(strategy, "name", ""), "RetryOnFailure") != 0)
		return 0;
	return cf_object_duration_ms(strategy, "retryInterval", DEFAULT_RETRY_INTERVAL_MS);
}

/* RetryOnFailure: no remediation, the action is tried again after the interval ("retrying after 5m0s"). */
static int retry_later(machine *m, int64_t interval_ms)
{
	hc_rec *r = m->r;
	char d[64], msg[128];

	cf_duration_format(d, sizeof(d), interval_ms * 1000000);
	snprintf(msg, sizeof(msg), "retrying after %s", d);
	cf_cond_set(r->obj, CF_COND_RECONCILING, "True", "ProgressingWithRetry", msg, r->now);
	r->retry_ms = interval_ms;
	m->retrying = 1;
	return CF_EAGAIN;
}

static int exhausted_for(hc_rec *r, const char *section, const char *key)
{
	int64_t retries = json_integer_value(json_object_get(json_object_get(spec_of(r, section), "remediation"), "retries"));
	return retries >= 0 && counter(r, key) > retries;
}

static int exhausted(hc_rec *r, const remediation *rem)
{
	return rem->retries >= 0 && counter(r, rem->counter) > rem->retries;
}

/* Stalled=True: nothing more happens until the spec, chart or values change or a reset. */
static int stall(hc_rec *r)
{
	remediation rem;
	char msg[256];

	snprintf(msg, sizeof(msg), "Failed to %s after %lld attempt(s)", str_or(hc_status(r), "lastAttemptedReleaseAction", "install"),
		 (long long)(hc_rel_active_remediation(r, &rem) ? counter(r, rem.counter) : counter(r, "failures")));
	cf_cond_set(r->obj, CF_COND_STALLED, "True", HC_REASON_RETRIES_EXCEEDED, msg, r->now);
	cf_cond_delete(r->obj, CF_COND_RECONCILING);
	cf_log_info(&r->log, "%s", msg);
	return 0;
}

/* ---- state ---- */

static int observe(machine *m)
{
	hc_rec *r = m->r;
	json_t *snap;
	int err;

	json_object_clear(m->records); /* actions have written records since */
	if (m->recorded) {
		/* The action just wrote the newest record: no need to list the storage again. */
		m->recorded = 0;
		err = 0;
	} else {
		m->last_version = 0;
		m->last_status[0] = '\0';
		err = hc_storage_last(&m->last_version, m->last_status, sizeof(m->last_status), &m->last_modified,
				      r->kube, r->storage_ns, r->release);
	}
	if (err == CF_ENOTFOUND || (err == 0 && strcmp(m->last_status, "uninstalled") == 0)) {
		m->state = ST_ABSENT;
		return 0;
	}
	if (err < 0)
		return err;
	if (strncmp(m->last_status, "pending-", 8) == 0) {
		m->state = ST_LOCKED;
	} else if (strcmp(m->last_status, "failed") == 0) {
		m->state = ST_FAILED;
	} else {
		snap = hc_history_latest(r);
		if (!snap)
			cf_log_info(&r->log, "release not managed by controller: found existing release in storage");
		m->state = strcmp(m->last_status, "deployed") == 0 && snap &&
					   strcmp(str_or(snap, "name", ""), r->release) == 0 &&
					   json_integer_value(json_object_get(snap, "version")) == m->last_version &&
					   strcmp(str_or(snap, "chartVersion", ""), r->revision) == 0 &&
					   strcmp(str_or(snap, "configDigest", ""), m->cfg_digest) == 0 ?
				   ST_IN_SYNC : ST_OUT_OF_SYNC;
		/* A failed test counts as a failed release when the active remediation does not ignore it. */
		remediation rem;
		if (m->state == ST_IN_SYNC && json_is_true(json_object_get(spec_of(r, "test"), "enable")) &&
		    hc_rel_active_remediation(r, &rem) && !rem.ignore_tests && hc_history_test_failed(snap)) {
			cf_log_info(&r->log, "release is in a failed state: release has test in failed phase");
			m->state = ST_FAILED;
		}
	}
	return 0;
}

/* Flux's actionForState; ACT_NONE with 0 when in sync, CF_ELIMIT when out of retries. */
static int next_action(action *out, machine *m)
{
	hc_rec *r = m->r;
	remediation rem;
	json_t *prev;
	int err;

	*out = ACT_NONE;
	switch (m->state) {
	case ST_IN_SYNC:
		if (m->force)
			*out = ACT_UPGRADE;
		return 0;
	case ST_LOCKED:
		*out = ACT_UNLOCK;
		return 0;
	case ST_ABSENT:
		if (exhausted_for(r, "install", "installFailures") && !m->force)
			return CF_ELIMIT;
		*out = ACT_INSTALL;
		return 0;
	case ST_OUT_OF_SYNC:
		if (exhausted_for(r, "upgrade", "upgradeFailures") && !m->force)
			return CF_ELIMIT;
		*out = ACT_UPGRADE;
		return 0;
	case ST_FAILED:
		break;
	}
	/* A failed release: remediate, unless the failure was not ours, a retry is due anyway or the strategy retries. */
	*out = ACT_UPGRADE;
	if (hc_rel_active_retry_ms(r) || !hc_rel_active_remediation(r, &rem) || counter(r, rem.counter) <= 0 || m->force)
		return 0;
	if (exhausted(r, &rem) && !rem.remediate_last)
		return CF_ELIMIT;
	if (rem.uninstall) {
		*out = ACT_UNINSTALL;
		return 0;
	}
	/* Roll back only to a record that is still in storage; otherwise upgrade again. */
	if ((prev = hc_history_previous(r, rem.ignore_tests)) &&
	    hc_rel_record(m, (int)json_integer_value(json_object_get(prev, "version")), &err))
		*out = ACT_ROLLBACK;
	return 0;
}

static int run_action(machine *m, action a)
{
	switch (a) {
	case ACT_INSTALL:
		return hc_rel_release(m, 0);
	case ACT_UPGRADE:
		return hc_rel_release(m, 1);
	case ACT_UNLOCK:
		return hc_rel_unlock(m);
	case ACT_ROLLBACK:
		return hc_rel_rollback(m);
	case ACT_UNINSTALL:
		return hc_rel_uninstall(m);
	case ACT_NONE:
		break;
	}
	return 0;
}

/* ---- drift ---- */

/*
 * driftDetection (release in sync only): "warn" reports drift in the Drifted condition and an
 * Event; "enabled" also puts the drifted objects back: removed ones created again, changed ones
 * patched with only the fields that differ (ignored paths stay as they are), as Flux does.
 */
static int check_drift(machine *m)
{
	hc_rec *r = m->r;
	json_t *dd = spec_of(r, "driftDetection"), *objects = NULL, *drifted = NULL, *d;
	const json_t *rel;
	const char *mode = str_or(dd, "mode", "disabled");
	int correct = strcmp(mode, "enabled") == 0, err;
	char id[400], list[3000] = "", msg[3600];
	size_t i, off = 0;

	if (!correct && strcmp(mode, "warn") != 0) {
		cf_cond_delete(r->obj, "Drifted");
		return 0;
	}
	snprintf(id, sizeof(id), "%s/%s.v%d", r->target_ns, r->release, m->last_version);
	if (!(rel = hc_rel_record(m, m->last_version, &err)) ||
	    (err = hc_manifest_objects(&objects, r->kube, str_or(rel, "manifest", ""), r->release,
				       str_or(rel, "namespace", r->target_ns))) < 0 ||
	    (err = hc_drift_detect(&drifted, r->kube, objects, json_object_get(dd, "ignore"))) < 0)
		goto done;
	hc_inventory_set(r, objects);
	if (!json_array_size(drifted)) {
		snprintf(msg, sizeof(msg), "No drift detected against the cluster state");
		cf_cond_set(r->obj, "Drifted", "False", "NoDriftDetected", msg, r->now);
		goto done;
	}
	json_array_foreach(drifted, i, d)
		off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0, "%s%s", i ? "\n" : "",
					str_or(d, "text", ""));
	snprintf(msg, sizeof(msg), "Cluster state of release %s has drifted from the desired state:\n%s", id, list);
	hc_rel_event(r, "Warning", "DriftDetected", "%s", msg);
	cf_cond_set(r->obj, "Drifted", "True", "DriftDetected", msg, r->now);
	if (!correct)
		goto done;
	json_array_foreach(drifted, i, d)
		if ((err = hc_drift_correct(r->kube, d, timeout_ms(r, NULL))) < 0)
			break;
	if (err < 0) {
		snprintf(msg, sizeof(msg), "Failed to correct cluster state of release %s:\n%s", id, cf_error_last());
		hc_rel_event(r, "Warning", "DriftCorrectionFailed", "%s", msg);
		goto done;
	}
	snprintf(msg, sizeof(msg), "Cluster state of release %s has been corrected:\n%s", id, list);
	hc_rel_event(r, "Normal", "DriftCorrected", "%s", msg);
	cf_cond_set(r->obj, "Drifted", "False", "DriftCorrected", msg, r->now);
done:
	json_decref(objects);
	json_decref(drifted);
	return err;
}

/* ---- summary ---- */

/*
 * Flux's summarize: Remediated outranks TestSuccess (when tests count) which outranks Released;
 * a Remediated condition always means not Ready.
 */
static void summarize(hc_rec *r)
{
	const json_t *c;
	char status[16], reason[128], message[4096];
	int remediated;

	json_t *test = spec_of(r, "test");
	int tests = json_is_true(json_object_get(test, "enable")) && !json_is_true(json_object_get(test, "ignoreFailures"));

	if (cf_cond_has_status(r->obj, HC_COND_RELEASED, "True") && (!tests || !cf_cond_has_status(r->obj, "TestSuccess", "False")))
		cf_cond_delete(r->obj, HC_COND_REMEDIATED);
	remediated = cf_cond_get(r->obj, HC_COND_REMEDIATED) != NULL;
	c = remediated ? cf_cond_get(r->obj, HC_COND_REMEDIATED) : NULL;
	if (!c && tests)
		c = cf_cond_get(r->obj, "TestSuccess");
	if (!c)
		c = cf_cond_get(r->obj, HC_COND_RELEASED);
	if (!c)
		return;
	snprintf(status, sizeof(status), "%s", remediated ? "False" : str_or(c, "status", "Unknown"));
	snprintf(reason, sizeof(reason), "%s", str_or(c, "reason", ""));
	snprintf(message, sizeof(message), "%s", str_or(c, "message", ""));
	cf_cond_set(r->obj, CF_COND_READY, status, reason, message, r->now);
	if (strcmp(status, "True") == 0)
		cf_cond_delete(r->obj, CF_COND_STALLED);
}

/* ---- annotations ---- */

/* forceAt/resetAt count only together with an equal requestedAt, once per value (Flux's handleRequest). */
static int handle_request(hc_rec *r, const char *annotation, const char *status_key)
{
	const char *want = cf_object_meta(r->obj, "annotations", annotation);
	const char *requested = cf_object_meta(r->obj, "annotations", CF_ANNOTATION_REQUESTED_AT);
	const char *handled = cf_object_str(hc_status(r), status_key);

	if (!want || !requested || strcmp(want, requested) != 0 || (handled && strcmp(handled, want) == 0))
		return 0;
	json_object_set_new(hc_status(r), status_key, json_string(want));
	return 1;
}

/* ---- the loop ---- */

static int drive(machine *m)
{
	hc_rec *r = m->r;
	int done_types = 0, err;
	int64_t retry;
	action a;

	for (int step = 0; step < MAX_STEPS; step++) {
		if ((err = observe(m)) < 0) {
			char msg[2200];
			snprintf(msg, sizeof(msg), "Could not determine release state: %s", cf_error_last());
			cf_cond_set(r->obj, CF_COND_READY, "False", "StateError", msg, r->now);
			m->state_error = 1;
			return err;
		}
		if ((err = next_action(&a, m)) == CF_ELIMIT)
			return stall(r);
		if (a == ACT_NONE && m->state == ST_IN_SYNC && (err = check_drift(m)) < 0)
			cf_log_error(&r->log, "drift detection failed: %s", cf_error_last());
		if (a == ACT_NONE) {
			if (cf_cond_has_status(r->obj, HC_COND_REMEDIATED, "True") && hc_history_latest(r)) {
				/* A rollback's result that matches the desired state counts as an upgrade. */
				char msg[1024];
				snprintf(msg, sizeof(msg), "Helm upgrade succeeded for release %s/%s.v%lld with chart %s@%s",
					 r->target_ns, r->release, (long long)json_integer_value(json_object_get(hc_history_latest(r), "version")),
					 str_or(hc_history_latest(r), "chartName", ""), str_or(hc_history_latest(r), "chartVersion", ""));
				cf_cond_set(r->obj, HC_COND_RELEASED, "True", HC_REASON_UPGRADE_SUCCEEDED, msg, r->now);
			}
			cf_cond_delete(r->obj, CF_COND_RECONCILING);
			return 0;
		}
		if (done_types & action_type[a]) {
			if ((retry = hc_rel_active_retry_ms(r)))
				return retry_later(m, retry);
			r->retry_ms = REMEDIATION_REQUEUE_MS;
			return CF_EAGAIN;
		}
		m->force = 0;
		if ((err = run_action(m, a)) < 0) {
			if ((retry = hc_rel_active_retry_ms(r)) && action_type[a] == TYPE_RELEASE) {
				cf_log_error(&r->log, "failed to run '%s' action: %s", a == ACT_INSTALL ? "install" : "upgrade",
					     cf_error_last());
				return retry_later(m, retry);
			}
			return err;
		}
		if (action_type[a] == TYPE_REMEDIATE) {
			remediation rem;
			if (hc_rel_active_remediation(r, &rem) && exhausted(r, &rem))
				return stall(r);
			r->retry_ms = REMEDIATION_REQUEUE_MS;
			return CF_EAGAIN;
		}
		done_types |= action_type[a];
	}
	r->retry_ms = REMEDIATION_REQUEUE_MS;
	return CF_EAGAIN;
}

/* ---- release target changes ---- */

/* Flux's ReleaseTargetChanged: what of the release's identity the spec changed since the last release, or NULL. */
static const char *target_change(hc_rec *r, const hc_chart *chart)
{
	json_t *snap = hc_history_latest(r);
	const char *sns = cf_object_str(hc_status(r), "storageNamespace");

	if (!sns || !*sns || !snap)
		return NULL;
	if (strcmp(sns, r->storage_ns) != 0)
		return "storage namespace";
	if (strcmp(str_or(snap, "namespace", ""), r->target_ns) != 0)
		return "release namespace";
	if (strcmp(str_or(snap, "name", ""), r->release) != 0)
		return "release name";
	if (strcmp(str_or(snap, "chartName", ""), str_or(chart->meta, "name", "")) != 0 &&
	    strcmp(str_or(spec_of(r, "upgrade"), "chartNameChangeStrategy", "Reinstall"), "InPlaceUpdate") != 0)
		return "chart name";
	return NULL;
}

/*
 * A release whose name, namespace, storage or chart changed is a new release: the old one is
 * uninstalled (with spec.uninstall's options) and the history starts again, as in Flux.
 */
static int uninstall_old_target(hc_rec *r, const char *what)
{
	json_t *snap = hc_history_latest(r);
	const char *sns = cf_object_str(hc_status(r), "storageNamespace"), *name = str_or(snap, "name", "");
	char id[600], chart_id[400], msg[4400], st[32];
	int version = 0, err;
	int64_t modified;
	hc_uninstall_opts uo;

	cf_log_info(&r->log, "release target configuration changed (%s): running uninstall for current release", what);
	snprintf(chart_id, sizeof(chart_id), "%s@%s", str_or(snap, "chartName", ""), str_or(snap, "chartVersion", ""));
	err = hc_storage_last(&version, st, sizeof(st), &modified, r->kube, sns, name);
	snprintf(id, sizeof(id), "%s/%s.v%d", str_or(snap, "namespace", ""), name,
		 version ? version : (int)json_integer_value(json_object_get(snap, "version")));
	if (err == CF_ENOTFOUND || (err == 0 && strcmp(st, "uninstalled") == 0)) {
		cf_log_info(&r->log, "Release %s was not found, assuming it is uninstalled", id);
	} else if (err < 0) {
		return err;
	} else {
		hc_uninstall_opts_read(&uo, r->obj);
		if ((err = hc_uninstall(r->kube, sns, name, version, &uo)) < 0) {
			snprintf(msg, sizeof(msg), "Helm uninstall failed for release %s with chart %s: %s", id, chart_id, cf_error_last());
			cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_UNINSTALL_FAILED, msg, r->now);
			hc_rel_event(r, "Warning", HC_REASON_UNINSTALL_FAILED, "%s", msg);
			return err;
		}
		snprintf(msg, sizeof(msg), "Helm uninstall succeeded for release %s with chart %s", id, chart_id);
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_UNINSTALL_SUCCEEDED, msg, r->now);
		hc_rel_event(r, "Normal", HC_REASON_UNINSTALL_SUCCEEDED, "%s", msg);
	}
	json_object_del(hc_status(r), "history");
	json_object_del(hc_status(r), "storageNamespace");
	hc_rel_reset_failures(r);
	return 0;
}

int hc_release_reconcile(hc_rec *r, hc_chart *chart)
{
	machine m = {.r = r, .chart = chart, .records = json_object()};
	json_t *st = hc_status(r);
	int64_t generation = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation"));
	char checksum[64];
	int err;

	if ((err = hc_values_compose(&m.values, r->env->kube, r->obj)) < 0) {
		cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_VALUES_FAILED, cf_error_last(), r->now);
		hc_rel_event(r, "Warning", HC_REASON_VALUES_FAILED, "%s", cf_error_last());
		json_decref(m.records);
		return err;
	}
	hc_values_digest(m.cfg_digest, sizeof(m.cfg_digest), m.values, "sha256");
	const char *changed = target_change(r, chart);
	if (changed && (err = uninstall_old_target(r, changed)) < 0) {
		if (!cf_cond_has_status(r->obj, HC_COND_RELEASED, "False"))
			cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_UNINSTALL_FAILED, cf_error_last(), r->now);
		summarize(r);
		json_decref(m.values);
		json_decref(m.records);
		return err;
	}
	hc_values_digest(checksum, sizeof(checksum), m.values, "sha1");
	/*
	 * A new generation, chart or values start the failure counts afresh, as does a resetAt
	 * request (recorded as handled even when another reason applies, as Flux does).
	 */
	int reset = handle_request(r, HC_ANNOTATION_RESET_AT, "lastHandledResetAt");
	if (reset || counter(r, "lastAttemptedGeneration") != generation ||
	    strcmp(str_or(st, "lastAttemptedRevision", ""), r->revision) != 0 ||
	    strcmp(str_or(st, "lastAttemptedConfigDigest", ""), m.cfg_digest) != 0) {
		hc_rel_reset_failures(r);
		cf_cond_delete(r->obj, CF_COND_STALLED);
	}
	m.force = handle_request(r, HC_ANNOTATION_FORCE_AT, "lastHandledForceAt");
	json_object_set_new(st, "lastAttemptedRevision", json_string(r->revision));
	json_object_set_new(st, "lastAttemptedValuesChecksum", json_string(checksum));
	json_object_set_new(st, "lastAttemptedConfigDigest", json_string(m.cfg_digest));
	json_object_set_new(st, "lastAttemptedGeneration", json_integer(generation));
	json_object_set_new(st, "storageNamespace", json_string(r->storage_ns));
	err = drive(&m);
	if (!m.state_error)
		summarize(r);
	if (err == CF_EAGAIN && !cf_cond_has_status(r->obj, CF_COND_READY, "True") && !m.retrying)
		cf_cond_set(r->obj, CF_COND_RECONCILING, "True", "ProgressingWithRetry",
			    str_or(cf_cond_get(r->obj, CF_COND_READY), "message", ""), r->now);
	json_decref(m.values);
	json_decref(m.records);
	return err;
}
