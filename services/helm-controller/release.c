/*
 * The release state machine of a HelmRelease, after Flux's atomic release: the state read from
 * Helm's storage picks the next action (install, upgrade, unlock, rollback or uninstall
 * remediation) until the release is in sync, a remediation ran or the retries are exhausted.
 * Records go through Helm's own lifecycle (pending-*, then deployed or failed, older ones
 * superseded) so `helm history` shows what Helm would.
 */
#include "hc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/duration.h"
#include "cf/error.h"

#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_MAX_HISTORY 5
#define REMEDIATION_REQUEUE_MS 1000
#define MAX_STEPS 6
#define DEFAULT_RETRY_INTERVAL_MS (5 * 60 * 1000)

typedef enum { ST_ABSENT, ST_LOCKED, ST_FAILED, ST_IN_SYNC, ST_OUT_OF_SYNC } release_state;

typedef enum { ACT_NONE, ACT_INSTALL, ACT_UPGRADE, ACT_UNLOCK, ACT_ROLLBACK, ACT_UNINSTALL } action;

/* What kind of step each action is: a remediation ends the reconcile, any kind runs once per reconcile. */
enum { TYPE_RELEASE = 1, TYPE_UNLOCK = 2, TYPE_REMEDIATE = 4 };
static const int action_type[] = {
	[ACT_NONE] = 0, [ACT_INSTALL] = TYPE_RELEASE, [ACT_UPGRADE] = TYPE_RELEASE,
	[ACT_UNLOCK] = TYPE_UNLOCK, [ACT_ROLLBACK] = TYPE_REMEDIATE, [ACT_UNINSTALL] = TYPE_REMEDIATE,
};

/* The remediation settings in force for the last attempted action (Flux's GetActiveRemediation). */
typedef struct {
	const char *action;      /* "install" or "upgrade" */
	const char *counter;     /* status field counting its failures */
	int64_t retries;         /* < 0: unlimited */
	int remediate_last;
	int uninstall;           /* strategy uninstall (always for install) */
	int ignore_tests;        /* remediation.ignoreTestFailures, else test.ignoreFailures */
} remediation;

typedef struct {
	hc_rec *r;
	hc_chart *chart;
	json_t *values;
	char cfg_digest[96];
	int force;               /* a forceAt request is being handled */
	int state_error;         /* Ready already says why the state is unknown */
	release_state state;
	int last_version;        /* newest stored revision, 0 when none */
	char last_status[32];
	int64_t last_modified;
	int retrying;            /* RetryOnFailure set Reconciling and the requeue */
	json_t *records;         /* release records read since the last observation, by version */
} machine;

/*
 * Release record `version` as stored (borrowed; NULL with the error in *err): read once per
 * observation of the state, as several steps of one action need the same records.
 */
static const json_t *record(machine *m, int version, int *err)
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

/* ---- small helpers ---- */

static json_t *spec_of(hc_rec *r, const char *section)
{
	json_t *spec = json_object_get(r->obj, "spec");
	return section ? json_object_get(spec, section) : spec;
}

static int64_t counter(hc_rec *r, const char *key)
{
	return json_integer_value(json_object_get(hc_status(r), key));
}

static void count_failure(hc_rec *r, const char *key)
{
	json_object_set_new(hc_status(r), key, json_integer(counter(r, key) + 1));
	if (strcmp(key, "failures") != 0)
		json_object_set_new(hc_status(r), "failures", json_integer(counter(r, "failures") + 1));
}

static void reset_failures(hc_rec *r)
{
	json_object_del(hc_status(r), "failures");
	json_object_del(hc_status(r), "installFailures");
	json_object_del(hc_status(r), "upgradeFailures");
}

/* An action's timeout: spec.<action>.timeout, else spec.timeout, else 5m. */
static int64_t timeout_ms(hc_rec *r, const char *section)
{
	int64_t dflt = cf_object_duration_ms(r->obj, "spec.timeout", DEFAULT_TIMEOUT_MS);
	json_t *sec = spec_of(r, section);

	return sec ? cf_object_duration_ms(sec, "timeout", dflt) : dflt;
}

/* spec.<section>.<flag> is true. */
static int spec_flag(hc_rec *r, const char *section, const char *flag)
{
	return json_is_true(json_object_get(spec_of(r, section), flag));
}

static const char *str_or(const json_t *obj, const char *path, const char *dflt)
{
	const char *v = cf_object_str(obj, path);
	return v ? v : dflt;
}

static void event(hc_rec *r, const char *type, const char *reason, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void event(hc_rec *r, const char *type, const char *reason, const char *fmt, ...)
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
static void prune(hc_rec *r, int newest)
{
	json_t *max = json_object_get(spec_of(r, NULL), "maxHistory");
	int64_t keep = json_is_integer(max) ? json_integer_value(max) : DEFAULT_MAX_HISTORY;

	/* A few below the limit too, in case an earlier prune was interrupted. */
	for (int64_t v = newest - keep; keep > 0 && v >= 1 && v > newest - keep - 3; v--)
		hc_storage_delete(r->kube, r->storage_ns, r->release, (int)v);
}

/* ---- remediation settings ---- */

static int active_remediation(hc_rec *r, remediation *out)
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
static int64_t active_retry_ms(hc_rec *r)
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
		 (long long)(active_remediation(r, &rem) ? counter(r, rem.counter) : counter(r, "failures")));
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

	m->last_version = 0;
	m->last_status[0] = '\0';
	json_object_clear(m->records); /* actions have written records since */
	err = hc_storage_last(&m->last_version, m->last_status, sizeof(m->last_status), &m->last_modified,
			      r->kube, r->storage_ns, r->release);
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
		    active_remediation(r, &rem) && !rem.ignore_tests && hc_history_test_failed(snap)) {
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
	if (active_retry_ms(r) || !active_remediation(r, &rem) || counter(r, rem.counter) <= 0 || m->force)
		return 0;
	if (exhausted(r, &rem) && !rem.remediate_last)
		return CF_ELIMIT;
	if (rem.uninstall) {
		*out = ACT_UNINSTALL;
		return 0;
	}
	/* Roll back only to a record that is still in storage; otherwise upgrade again. */
	if ((prev = hc_history_previous(r, rem.ignore_tests)) &&
	    record(m, (int)json_integer_value(json_object_get(prev, "version")), &err))
		*out = ACT_ROLLBACK;
	return 0;
}

/* ---- install and upgrade ---- */

static int write_values_file(char *path, size_t size, hc_rec *r, const json_t *values)
{
	snprintf(path, size, "%s/values.json", r->work);
	if (json_dump_file(values, path, JSON_COMPACT) != 0)
		return cf_error_set(CF_EIO, "writing %s failed", path);
	return 0;
}

static int create_namespace(hc_rec *r)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER};
	char body[512];
	cf_kube_ref ref = {"v1", "Namespace", NULL, r->target_ns};

	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		 r->target_ns);
	return cf_kube_patch(r->kube, NULL, &ref, CF_KUBE_PATCH_APPLY, body, &wo);
}

/* What an action changes besides applying its objects. */
typedef struct {
	json_t *old_objects; /* the release being replaced (NULL on install): what it drops is deleted */
	json_t *created;     /* objects absent before the action, deleted again on failure (cleanupOnFail) */
	int force;           /* upgrade.force: replace instead of apply */
} change;

static void change_free(change *c)
{
	json_decref(c->old_objects);
	json_decref(c->created);
}

/*
 * Applies (or replaces) objects, deletes what the release no longer has, then waits unless the
 * section disables waiting: Helm's kube client Update followed by its wait.
 */
static int deploy(hc_rec *r, const json_t *objects, const char *section, const change *c)
{
	int64_t t = timeout_ms(r, section);
	json_t *kept;
	int err;

	if ((err = c->force ? hc_replace(r->kube, objects) : hc_apply(r->kube, objects, t)) < 0)
		return err;
	if (c->old_objects) {
		kept = json_array();
		if (hc_prune_dropped(r->kube, c->old_objects, objects, kept) < 0)
			cf_log_error(&r->log, "deleting objects the release no longer has: %s", cf_error_last());
		for (size_t i = 0; i < json_array_size(kept); i++)
			cf_log_info(&r->log, "kept %s/%s due to the helm.sh/resource-policy annotation",
				    str_or(json_array_get(kept, i), "kind", ""), str_or(json_array_get(kept, i), "metadata.name", ""));
		json_decref(kept);
	}
	return spec_flag(r, section, "disableWait") ? 0 :
	       hc_wait(r->kube, objects, t, !spec_flag(r, section, "disableWaitForJobs"));
}

/* Helm's wording when hooks fail, per action. */
static const struct {
	const char *section, *pre, *post, *pre_fmt, *post_fmt;
} phases[] = {
	{"install", "pre-install", "post-install", "failed pre-install: %s", "failed post-install: %s"},
	{"upgrade", "pre-upgrade", "post-upgrade", "pre-upgrade hooks failed: %s", "post-upgrade hooks failed: %s"},
	{"rollback", "pre-rollback", "post-rollback", "pre-rollback hooks failed: %s", "post-rollback hooks failed: %s"},
	{NULL, NULL, NULL, NULL, NULL},
};

/* cleanupOnFail: a failed action takes back the objects it created, as Helm's failRelease does. */
static void cleanup_on_fail(hc_rec *r, const char *section, const change *c, char *why, size_t size)
{
	size_t len;

	if (!spec_flag(r, section, "cleanupOnFail") || !json_array_size(c->created))
		return;
	cf_log_info(&r->log, "cleanup on fail set, cleaning up %zu resources", json_array_size(c->created));
	if (hc_cleanup_created(r->kube, c->created) < 0 && (len = strlen(why)) < size)
		snprintf(why + len, size - len, "; an error occurred while cleaning up resources: %s", cf_error_last());
}

/*
 * Pre hooks, apply and wait, post hooks (unless <section>.disableHooks); *why says what failed.
 * On failure, <section>.cleanupOnFail deletes the objects the action created.
 */
static int perform(hc_rec *r, const json_t *objects, json_t *hooks, const char *section, const change *c, char *why,
		   size_t size)
{
	int hooks_on = !spec_flag(r, section, "disableHooks"), err = 0;
	int64_t t = timeout_ms(r, section);
	size_t i;

	for (i = 0; phases[i].section && strcmp(phases[i].section, section) != 0; i++)
		;
	if (hooks_on && phases[i].pre &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].pre, r->release, r->target_ns, t)) < 0) {
		snprintf(why, size, phases[i].pre_fmt, cf_error_last());
		goto done;
	}
	if ((err = deploy(r, objects, section, c)) < 0) {
		snprintf(why, size, "%s", cf_error_last());
		goto done;
	}
	if (hooks_on && phases[i].post &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].post, r->release, r->target_ns, t)) < 0)
		snprintf(why, size, phases[i].post_fmt, cf_error_last());
done:
	if (err < 0)
		cleanup_on_fail(r, section, c, why, size);
	return err;
}

/* ---- tests ---- */

/* A test hook's last run in the snapshot's form; a hook that has not run (filtered out) has none. */
static json_t *test_hook_status(const json_t *h)
{
	static const char *const fields[][2] = {
		{"lastStarted", "last_run.started_at"}, {"lastCompleted", "last_run.completed_at"}, {"phase", "last_run.phase"},
	};
	json_t *out = json_object();

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = str_or(h, fields[i][1], "");
		if (*v)
			json_object_set_new(out, fields[i][0], json_string(v));
	}
	return out;
}

static size_t count_tests(const json_t *hooks, json_t *snap_hooks)
{
	const json_t *h, *ev;
	size_t i, j, n = 0;

	json_array_foreach(hooks, i, h) {
		json_array_foreach(json_object_get(h, "events"), j, ev) {
			if (strcmp(json_string_value(ev), "test") != 0)
				continue;
			n++;
			if (snap_hooks)
				json_object_set_new(snap_hooks, str_or(h, "name", ""), test_hook_status(h));
		}
	}
	return n;
}

/*
 * test.filters as Helm's test filters: hooks named by an exclude filter are skipped, and when any
 * filter includes, only the named run. A new array sharing the hooks (their last_run lands in
 * the record).
 */
static json_t *test_filter(const json_t *hooks, const json_t *filters)
{
	json_t *run = json_array(), *h, *f;
	size_t i, j;
	int includes = 0;

	json_array_foreach(filters, j, f)
		includes |= !json_is_true(json_object_get(f, "exclude"));
	json_array_foreach(hooks, i, h) {
		const char *name = str_or(h, "name", "");
		int named_in = 0, named_out = 0;
		json_array_foreach(filters, j, f) {
			if (strcmp(str_or(f, "name", ""), name) != 0)
				continue;
			if (json_is_true(json_object_get(f, "exclude")))
				named_out = 1;
			else
				named_in = 1;
		}
		if (!named_out && (!includes || named_in))
			json_array_append(run, h);
	}
	return run;
}

/* test.enable: the release's test hooks run after it is deployed (Helm's `helm test`); TestSuccess says how it went. */
static void run_tests(machine *m, hc_release *rel, json_t *hooks)
{
	hc_rec *r = m->r;
	json_t *snap_hooks;
	char id[600], msg[4400];
	size_t n;
	int err;

	if (!json_is_true(json_object_get(spec_of(r, "test"), "enable"))) {
		cf_cond_delete(r->obj, "TestSuccess");
		return;
	}
	snprintf(id, sizeof(id), "%s/%s.v%d with chart %s@%s", r->target_ns, r->release, rel->version,
		 str_or(m->chart->meta, "name", ""), r->revision);
	json_t *run = test_filter(hooks, json_object_get(spec_of(r, "test"), "filters"));
	err = hc_hooks_run(r->kube, run, "test", r->release, r->target_ns, timeout_ms(r, "test"));
	snap_hooks = json_object();
	count_tests(hooks, snap_hooks);
	n = count_tests(run, NULL);
	json_decref(run);
	json_object_set_new(hc_history_latest(r), "testHooks", snap_hooks);
	hc_storage_write(r->kube, r->storage_ns, rel); /* last_run of the test hooks, as `helm test` records */
	if (err < 0) {
		remediation rem;
		snprintf(msg, sizeof(msg), "Helm test failed for release %s: %s", id, cf_error_last());
		cf_cond_set(r->obj, "TestSuccess", "False", "TestFailed", msg, r->now);
		event(r, "Warning", "TestFailed", "%s", msg);
		/* The failure counts against the action's remediation unless test failures are ignored. */
		if (active_remediation(r, &rem) && !rem.ignore_tests && hc_history_test_failed(hc_history_latest(r)))
			count_failure(r, rem.counter);
		else
			count_failure(r, "failures");
		return;
	}
	if (n)
		snprintf(msg, sizeof(msg), "Helm test succeeded for release %s: %zu test hooks completed successfully", id, n);
	else
		snprintf(msg, sizeof(msg), "Helm test succeeded for release %s: no test hooks", id);
	cf_cond_set(r->obj, "TestSuccess", "True", "TestSucceeded", msg, r->now);
	event(r, "Normal", "TestSucceeded", "%s", msg);
}

/* The first deployment time of the release, kept across upgrades as Helm does. */
static void first_deployed(char *buf, size_t size, machine *m)
{
	const json_t *rel;
	int err;

	if (m->last_version > 0 && (rel = record(m, m->last_version, &err)) && cf_object_str(rel, "info.first_deployed"))
		snprintf(buf, size, "%s", cf_object_str(rel, "info.first_deployed"));
}

/*
 * Renders the chart, applies the CRD policy and, as Helm does, creates the CRDs it keeps before
 * rendering again, so that .Capabilities and the objects' scopes already know their kinds.
 */
static int render(json_t **objects, char **manifest, json_t **hooks, machine *m, const char *values_path, int upgrade)
{
	hc_rec *r = m->r;
	const char *section = upgrade ? "upgrade" : "install";
	json_t *crds = NULL;
	size_t n_crds = 0, n2 = 0;
	int err;

	hc_render_opts ro = {.release = r->release, .ns = r->target_ns, .values_path = values_path, .upgrade = upgrade,
			     .revision = m->last_version + 1, .skip_schema = spec_flag(r, section, "disableSchemaValidation"),
			     .hr = r->obj, .work = r->work};

	if ((err = hc_chart_render(objects, manifest, hooks, &n_crds, m->chart, r->kube, &ro)) < 0 ||
	    (err = hc_crds_policy(r->kube, *objects, &n_crds, str_or(spec_of(r, section), "crds", upgrade ? "Skip" : "Create"))) < 0 ||
	    n_crds == 0)
		return err;
	crds = json_array();
	for (size_t i = 0; i < n_crds; i++)
		json_array_append(crds, json_array_get(*objects, i));
	if ((err = hc_apply(r->kube, crds, timeout_ms(r, section))) < 0)
		goto done;
	hc_caps_invalidate();
	json_decref(*objects);
	json_decref(*hooks);
	free(*manifest);
	if ((err = hc_chart_render(objects, manifest, hooks, &n2, m->chart, r->kube, &ro)) < 0)
		goto done;
	/* The CRDs the policy kept stay first: applied again they change nothing, and the inventory lists them. */
	for (size_t i = 0; i < n2; i++)
		json_array_remove(*objects, 0);
	for (size_t i = n_crds; i-- > 0;)
		json_array_insert(*objects, 0, json_array_get(crds, i));
done:
	json_decref(crds);
	return err;
}

/* The release an upgrade replaces: the newest deployed one, else the newest (as Helm picks). */
static int current_version(machine *m)
{
	int version = m->last_version;

	if (strcmp(m->last_status, "deployed") != 0 &&
	    hc_storage_deployed(&version, m->r->kube, m->r->storage_ns, m->r->release) < 0)
		version = m->last_version;
	return version;
}

/* The objects of the release an upgrade replaces. */
static int current_objects(json_t **out, machine *m)
{
	hc_rec *r = m->r;
	const json_t *rel;
	int version = current_version(m), err;

	*out = NULL;
	if (version <= 0)
		return 0;
	if (!(rel = record(m, version, &err)))
		return err == CF_ENOTFOUND ? 0 : err;
	return hc_manifest_objects(out, r->kube, str_or(rel, "manifest", ""), r->release, str_or(rel, "namespace", r->target_ns));
}

/* Flux lets Helm take over existing objects unless <section>.disableTakeOwnership says not to. */
static int take_ownership(hc_rec *r, const char *section)
{
	return !spec_flag(r, section, "disableTakeOwnership");
}

/*
 * What the action will change: on upgrade the release it replaces; the objects it is about to
 * create are looked up when ownership must be checked (Helm refuses to take over objects of
 * others unless told to) or cleanupOnFail needs them.
 */
static int prepare_change(change *c, machine *m, const json_t *objects, int upgrade)
{
	hc_rec *r = m->r;
	const char *section = upgrade ? "upgrade" : "install";
	int check = !take_ownership(r, section), err;
	json_t *added;

	c->force = upgrade && spec_flag(r, "upgrade", "force");
	if (upgrade && (err = current_objects(&c->old_objects, m)) < 0)
		return err;
	if (!check && !(upgrade && spec_flag(r, "upgrade", "cleanupOnFail")))
		return 0;
	added = c->old_objects ? hc_objects_missing(objects, c->old_objects) : json_incref((json_t *)objects);
	err = hc_objects_lookup(&c->created, r->kube, added, r->release, r->target_ns, check);
	json_decref(added);
	return err;
}

/*
 * The values a release records (*config, new reference): the composed values, or with
 * upgrade.preserveValues those over the current release's (Helm's --reuse-values). *digest,
 * the snapshot's configDigest, stays that of the composed values: Flux takes the recorded
 * values', which then never match what it composes, so it upgrades again at every reconcile.
 */
static int release_values(json_t **config, char *digest, size_t size, machine *m, int upgrade)
{
	const json_t *cur;
	int err;

	*config = json_incref(m->values);
	snprintf(digest, size, "%s", m->cfg_digest);
	if (!upgrade || !spec_flag(m->r, "upgrade", "preserveValues") || m->last_version <= 0)
		return 0;
	if (!(cur = record(m, current_version(m), &err)))
		return cf_error_wrap(err, "reading the current release's values: ");
	json_decref(*config);
	*config = json_is_object(json_object_get(cur, "config")) ? json_deep_copy(json_object_get(cur, "config")) : json_object();
	hc_values_merge(*config, m->values);
	return 0;
}

/*
 * An install over records left behind (uninstalled with keepHistory, or failed) needs
 * install.replace, as Helm's: the newest record is then superseded unless it failed.
 */
static int reuse_name(machine *m)
{
	hc_rec *r = m->r;

	if (m->last_version <= 0)
		return 0;
	if (!spec_flag(r, "install", "replace"))
		return cf_error_set(CF_EEXISTS, "cannot re-use a name that is still in use");
	if (strcmp(m->last_status, "failed") == 0)
		return 0;
	return hc_storage_set_status(r->kube, r->storage_ns, r->release, m->last_version, "superseded",
				     "superseded by new release");
}

/*
 * A failed install or upgrade. Only one that left a release record counts against its remediation
 * (installFailures, upgradeFailures); one that failed before (render, ownership) counts in failures.
 */
static void release_failed(machine *m, int upgrade, int stored, const char *why)
{
	hc_rec *r = m->r;
	const char *reason = upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED;
	char msg[4400];

	snprintf(msg, sizeof(msg), "Helm %s failed for release %s/%s with chart %s@%s: %s", upgrade ? "upgrade" : "install",
		 r->target_ns, r->release, str_or(m->chart->meta, "name", ""), r->revision, why);
	count_failure(r, stored ? (upgrade ? "upgradeFailures" : "installFailures") : "failures");
	cf_cond_set(r->obj, HC_COND_RELEASED, "False", reason, msg, r->now);
	event(r, "Warning", reason, "%s", msg);
}

static int act_release(machine *m, int upgrade)
{
	hc_rec *r = m->r;
	json_t *objects = NULL, *hooks = NULL;
	char values_path[4200], started[64], first[64], text[4096], desc[4400], msg[4400];
	char *manifest = NULL;
	const char *first_k8s = NULL;
	change ch = {0};
	json_t *config = NULL;
	char digest[96];
	int err;

	json_object_set_new(hc_status(r), "lastAttemptedReleaseAction", json_string(upgrade ? "upgrade" : "install"));
	hc_time_now(started, sizeof(started));
	snprintf(first, sizeof(first), "%s", started);
	if (upgrade)
		first_deployed(first, sizeof(first), m);
	if (hc_history_latest(r) && strcmp(str_or(hc_history_latest(r), "name", ""), r->release) == 0 && upgrade)
		first_k8s = cf_object_str(hc_history_latest(r), "firstDeployed");
	if (!upgrade && (err = reuse_name(m)) < 0) {
		release_failed(m, upgrade, 0, cf_error_last());
		goto done;
	}
	if ((err = release_values(&config, digest, sizeof(digest), m, upgrade)) < 0 ||
	    (err = write_values_file(values_path, sizeof(values_path), r, config)) < 0 ||
	    (err = render(&objects, &manifest, &hooks, m, values_path, upgrade)) < 0) {
		/* Nothing was stored: Helm fails before recording a revision. */
		release_failed(m, upgrade, 0, cf_error_last());
		goto done;
	}
	if (!upgrade && json_is_true(json_object_get(spec_of(r, "install"), "createNamespace")) &&
	    (err = create_namespace(r)) < 0) {
		snprintf(text, sizeof(text), "failed to create namespace %s: %s", r->target_ns, cf_error_last());
		release_failed(m, upgrade, 0, text);
		goto done;
	}
	if ((err = prepare_change(&ch, m, objects, upgrade)) < 0) {
		snprintf(text, sizeof(text), "Unable to continue with %s: %s", upgrade ? "update" : "install", cf_error_last());
		release_failed(m, upgrade, 0, text);
		goto done;
	}
	hc_release rel = {
		.name = r->release, .ns = r->target_ns, .version = m->last_version + 1, .chart_meta = m->chart->meta,
		.chart_values = m->chart->values, .config = config, .manifest = manifest, .hooks = hooks,
		.first_deployed = first, .last_deployed = started, .status = upgrade ? "pending-upgrade" : "pending-install",
		.description = upgrade ? "Preparing upgrade" : "Initial install underway",
	};
	if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0) {
		snprintf(text, sizeof(text), "failed to record release: %s", cf_error_last());
		release_failed(m, upgrade, 0, text);
		goto done;
	}
	if ((err = perform(r, objects, hooks, upgrade ? "upgrade" : "install", &ch, text, sizeof(text))) < 0) {
		snprintf(desc, sizeof(desc), "%s \"%s\" failed: %s", upgrade ? "Upgrade" : "Release", r->release, text);
		rel.status = "failed";
		rel.description = desc;
		if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0)
			goto done;
		hc_history_push(r, hc_history_snapshot(r, &rel, digest, first_k8s));
		release_failed(m, upgrade, 1, text);
		err = 0; /* a failed revision is stored: the state machine goes on to remediation */
		goto done;
	}
	rel.status = "deployed";
	rel.description = upgrade ? "Upgrade complete" : "Install complete";
	if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0 ||
	    (err = hc_storage_supersede(r->kube, r->storage_ns, r->release, rel.version)) < 0) {
		snprintf(text, sizeof(text), "failed to record release: %s", cf_error_last());
		release_failed(m, upgrade, 0, text);
		goto done;
	}
	prune(r, rel.version);
	if (active_retry_ms(r))
		reset_failures(r); /* RetryOnFailure starts counting afresh after a success */
	hc_history_push(r, hc_history_snapshot(r, &rel, digest, first_k8s));
	json_object_set_new(hc_status(r), "lastReleaseRevision", json_integer(rel.version));
	hc_inventory_set(r, objects);
	snprintf(msg, sizeof(msg), "Helm %s succeeded for release %s/%s.v%d with chart %s@%s", upgrade ? "upgrade" : "install",
		 r->target_ns, r->release, rel.version, str_or(m->chart->meta, "name", ""), r->revision);
	const char *reason = upgrade ? HC_REASON_UPGRADE_SUCCEEDED : HC_REASON_INSTALL_SUCCEEDED;
	cf_cond_set(r->obj, HC_COND_RELEASED, "True", reason, msg, r->now);
	event(r, "Normal", reason, "%s", msg);
	run_tests(m, &rel, hooks);
done:
	change_free(&ch);
	json_decref(config);
	free(manifest);
	json_decref(objects);
	json_decref(hooks);
	return err;
}

/* ---- unlock ---- */

/* The timeout of the action that left a record pending. */
static int64_t pending_timeout_ms(hc_rec *r, const char *status)
{
	static const struct { const char *status, *section; } sections[] = {
		{"pending-install", "install"}, {"pending-upgrade", "upgrade"}, {"pending-rollback", "rollback"}, {NULL, NULL},
	};

	for (size_t i = 0; sections[i].status; i++)
		if (strcmp(sections[i].status, status) == 0)
			return timeout_ms(r, sections[i].section);
	return timeout_ms(r, NULL);
}

/*
 * A pending record is a crash's leftover once it is older than its action's timeout (an action
 * that still runs would have ended by then): it is marked failed and remediation takes over.
 */
static int act_unlock(machine *m)
{
	hc_rec *r = m->r;
	int64_t limit = pending_timeout_ms(r, m->last_status), age_ms = ((int64_t)time(NULL) - m->last_modified) * 1000;
	char desc[128], msg[1024];
	int err;

	snprintf(msg, sizeof(msg), "Helm release %s/%s.v%d is %s", r->target_ns, r->release, m->last_version,
		 m->last_status);
	if (age_ms < limit) {
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_PENDING_RELEASE, msg, r->now);
		r->retry_ms = limit - age_ms + 1000;
		cf_log_info(&r->log, "%s; unlocking it once older than %llds", msg, (long long)(limit / 1000));
		return CF_EAGAIN;
	}
	snprintf(desc, sizeof(desc), "Release unlocked from stale '%s' state", m->last_status);
	if ((err = hc_storage_set_status(r->kube, r->storage_ns, r->release, m->last_version, "failed", desc)) < 0) {
		snprintf(msg, sizeof(msg), "Unlock of Helm release %s/%s.v%d in %s state failed: %s", r->target_ns,
			 r->release, m->last_version, m->last_status, cf_error_last());
		count_failure(r, "failures");
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_PENDING_RELEASE, msg, r->now);
		event(r, "Warning", HC_REASON_PENDING_RELEASE, "%s", msg);
		return err;
	}
	hc_history_mark(r, m->last_version, "failed");
	snprintf(msg, sizeof(msg), "Unlocked Helm release %s/%s.v%d in %s state", r->target_ns, r->release,
		 m->last_version, m->last_status);
	cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_PENDING_RELEASE, msg, r->now);
	event(r, "Normal", HC_REASON_PENDING_RELEASE, "%s", msg);
	return 0;
}

/* ---- remediation ---- */

/* The release JSON of a rollback: the target's chart, values and manifest as a new revision. */
static json_t *rollback_record(machine *m, const json_t *target, int target_version, const char *now)
{
	json_t *rel = json_deep_copy(target), *info;
	const json_t *cur;
	char desc[64];
	int err;

	if (!rel)
		return NULL;
	cur = record(m, m->last_version, &err);
	snprintf(desc, sizeof(desc), "Rollback to %d", target_version);
	info = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "first_deployed",
			 str_or(cur, "info.first_deployed", str_or(target, "info.first_deployed", now)), "last_deployed", now,
			 "deleted", "", "description", desc, "status", "pending-rollback", "notes",
			 str_or(target, "info.notes", ""));
	json_object_set_new(rel, "info", info);
	json_object_set_new(rel, "version", json_integer(m->last_version + 1));
	return rel;
}

static void rollback_failed(hc_rec *r, const char *prev_id, const char *chart_id, const char *why)
{
	char msg[4400];

	snprintf(msg, sizeof(msg), "Helm rollback to previous release %s with chart %s failed: %s", prev_id, chart_id, why);
	count_failure(r, "failures");
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "False", HC_REASON_ROLLBACK_FAILED, msg, r->now);
	event(r, "Warning", HC_REASON_ROLLBACK_FAILED, "%s", msg);
}

static int act_rollback(machine *m)
{
	hc_rec *r = m->r;
	remediation rem = {0};
	int ignore_tests = active_remediation(r, &rem) && rem.ignore_tests;
	json_t *prev = hc_history_previous(r, ignore_tests), *rel = NULL, *objects = NULL;
	const json_t *target, *from;
	int target_version = (int)json_integer_value(json_object_get(prev, "version")), err;
	char now[64], prev_id[400], chart_id[300], text[4096];

	snprintf(prev_id, sizeof(prev_id), "%s/%s.v%d", str_or(prev, "namespace", ""), str_or(prev, "name", ""), target_version);
	snprintf(chart_id, sizeof(chart_id), "%s@%s", str_or(prev, "chartName", ""), str_or(prev, "chartVersion", ""));
	hc_time_now(now, sizeof(now));
	if (!(target = record(m, target_version, &err)) || !(rel = rollback_record(m, target, target_version, now))) {
		rollback_failed(r, prev_id, chart_id, err < 0 ? cf_error_last() : "out of memory");
		err = err < 0 ? err : CF_ENOMEM;
		goto done;
	}
	if ((err = hc_storage_write_json(r->kube, r->storage_ns, rel)) < 0 ||
	    (err = hc_manifest_objects(&objects, r->kube, str_or(rel, "manifest", ""), r->release,
				       str_or(rel, "namespace", r->target_ns))) < 0) {
		rollback_failed(r, prev_id, chart_id, cf_error_last());
		goto done;
	}
	char why[4000];
	change ch = {.force = spec_flag(r, "rollback", "force")};
	/* The release rolled back from is the newest record: what it has and the target does not goes. */
	if ((from = record(m, m->last_version, &err)))
		hc_manifest_objects(&ch.old_objects, r->kube, str_or(from, "manifest", ""), r->release,
				    str_or(from, "namespace", r->target_ns));
	if (spec_flag(r, "rollback", "cleanupOnFail") && ch.old_objects) {
		json_t *added = hc_objects_missing(objects, ch.old_objects);
		if (hc_objects_lookup(&ch.created, r->kube, added, r->release, r->target_ns, 0) < 0)
			cf_log_error(&r->log, "looking up objects the rollback creates: %s", cf_error_last());
		json_decref(added);
	}
	int failed = (err = perform(r, objects, json_object_get(rel, "hooks"), "rollback", &ch, why, sizeof(why))) < 0;
	change_free(&ch);
	if (failed) {
		snprintf(text, sizeof(text), "Rollback \"%s\" failed: %s", r->release, why);
		json_object_set_new(json_object_get(rel, "info"), "description", json_string(text));
	}
	json_object_set_new(json_object_get(rel, "info"), "status", json_string(failed ? "failed" : "deployed"));
	if ((err = hc_storage_write_json(r->kube, r->storage_ns, rel)) < 0 ||
	    (!failed && (err = hc_storage_supersede(r->kube, r->storage_ns, r->release,
						     (int)json_integer_value(json_object_get(rel, "version")))) < 0)) {
		rollback_failed(r, prev_id, chart_id, cf_error_last());
		goto done;
	}
	hc_release snap_rel = {
		.name = r->release, .ns = str_or(rel, "namespace", r->target_ns),
		.version = (int)json_integer_value(json_object_get(rel, "version")),
		.status = failed ? "failed" : "deployed", .chart_meta = json_object_get(json_object_get(rel, "chart"), "metadata"),
		.config = json_object_get(rel, "config"), .manifest = cf_object_str(rel, "manifest"),
	};
	char digest[96];
	hc_values_digest(digest, sizeof(digest), snap_rel.config, "sha256");
	hc_history_push(r, hc_history_snapshot(r, &snap_rel, str_or(prev, "configDigest", digest), cf_object_str(prev, "firstDeployed")));
	prune(r, snap_rel.version);
	if (failed) {
		rollback_failed(r, prev_id, chart_id, text);
		err = 0;
		goto done;
	}
	hc_inventory_set(r, objects);
	snprintf(text, sizeof(text), "Helm rollback to previous release %s with chart %s succeeded", prev_id, chart_id);
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "True", HC_REASON_ROLLBACK_SUCCEEDED, text, r->now);
	event(r, "Normal", HC_REASON_ROLLBACK_SUCCEEDED, "%s", text);
done:
	json_decref(objects);
	json_decref(rel);
	return err;
}

static int act_uninstall(machine *m)
{
	hc_rec *r = m->r;
	json_t *cur = hc_history_latest(r);
	char id[400], chart_id[300], msg[4400];
	int err;

	snprintf(id, sizeof(id), "%s/%s.v%d", r->target_ns, r->release, m->last_version);
	snprintf(chart_id, sizeof(chart_id), "%s@%s", str_or(cur, "chartName", str_or(m->chart->meta, "name", "")),
		 str_or(cur, "chartVersion", r->revision));
	hc_uninstall_opts uo;
	hc_uninstall_opts_read(&uo, r->obj);
	if ((err = hc_uninstall(r->kube, r->storage_ns, r->release, m->last_version, &uo)) < 0) {
		snprintf(msg, sizeof(msg), "Helm uninstall remediation for release %s with chart %s failed: %s", id, chart_id,
			 cf_error_last());
		count_failure(r, "failures");
		cf_cond_set(r->obj, HC_COND_REMEDIATED, "False", HC_REASON_UNINSTALL_FAILED, msg, r->now);
		event(r, "Warning", HC_REASON_UNINSTALL_FAILED, "%s", msg);
		return err;
	}
	hc_history_mark(r, m->last_version, "uninstalled");
	snprintf(msg, sizeof(msg), "Helm uninstall remediation for release %s with chart %s succeeded", id, chart_id);
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "True", HC_REASON_UNINSTALL_SUCCEEDED, msg, r->now);
	event(r, "Normal", HC_REASON_UNINSTALL_SUCCEEDED, "%s", msg);
	return 0;
}

static int run_action(machine *m, action a)
{
	switch (a) {
	case ACT_INSTALL:
		return act_release(m, 0);
	case ACT_UPGRADE:
		return act_release(m, 1);
	case ACT_UNLOCK:
		return act_unlock(m);
	case ACT_ROLLBACK:
		return act_rollback(m);
	case ACT_UNINSTALL:
		return act_uninstall(m);
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
	if (!(rel = record(m, m->last_version, &err)) ||
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
	event(r, "Warning", "DriftDetected", "%s", msg);
	cf_cond_set(r->obj, "Drifted", "True", "DriftDetected", msg, r->now);
	if (!correct)
		goto done;
	json_array_foreach(drifted, i, d)
		if ((err = hc_drift_correct(r->kube, d, timeout_ms(r, NULL))) < 0)
			break;
	if (err < 0) {
		snprintf(msg, sizeof(msg), "Failed to correct cluster state of release %s:\n%s", id, cf_error_last());
		event(r, "Warning", "DriftCorrectionFailed", "%s", msg);
		goto done;
	}
	snprintf(msg, sizeof(msg), "Cluster state of release %s has been corrected:\n%s", id, list);
	event(r, "Normal", "DriftCorrected", "%s", msg);
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
			if ((retry = active_retry_ms(r)))
				return retry_later(m, retry);
			r->retry_ms = REMEDIATION_REQUEUE_MS;
			return CF_EAGAIN;
		}
		m->force = 0;
		if ((err = run_action(m, a)) < 0) {
			if ((retry = active_retry_ms(r)) && action_type[a] == TYPE_RELEASE) {
				cf_log_error(&r->log, "failed to run '%s' action: %s", a == ACT_INSTALL ? "install" : "upgrade",
					     cf_error_last());
				return retry_later(m, retry);
			}
			return err;
		}
		if (action_type[a] == TYPE_REMEDIATE) {
			remediation rem;
			if (active_remediation(r, &rem) && exhausted(r, &rem))
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
			event(r, "Warning", HC_REASON_UNINSTALL_FAILED, "%s", msg);
			return err;
		}
		snprintf(msg, sizeof(msg), "Helm uninstall succeeded for release %s with chart %s", id, chart_id);
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_UNINSTALL_SUCCEEDED, msg, r->now);
		event(r, "Normal", HC_REASON_UNINSTALL_SUCCEEDED, "%s", msg);
	}
	json_object_del(hc_status(r), "history");
	json_object_del(hc_status(r), "storageNamespace");
	reset_failures(r);
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
		event(r, "Warning", HC_REASON_VALUES_FAILED, "%s", cf_error_last());
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
		reset_failures(r);
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
