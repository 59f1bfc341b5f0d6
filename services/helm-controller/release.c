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

#include "cf/error.h"

#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_MAX_HISTORY 5
#define REMEDIATION_REQUEUE_MS 1000
#define MAX_STEPS 6

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
} machine;

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

/* An action's timeout: spec.<action>.timeout, else spec.timeout, else 5m. */
static int64_t timeout_ms(hc_rec *r, const char *section)
{
	int64_t dflt = cf_object_duration_ms(r->obj, "spec.timeout", DEFAULT_TIMEOUT_MS);
	json_t *sec = spec_of(r, section);

	return sec ? cf_object_duration_ms(sec, "timeout", dflt) : dflt;
}

static int disabled(hc_rec *r, const char *section, const char *flag)
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

/* Go's RFC3339Nano in UTC, trailing zeros of the fraction dropped. */
static void go_time_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	for (n = (int)strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	if (n == 1)
		frac[0] = '\0';
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
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
	return 1;
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
		m->state = strcmp(m->last_status, "deployed") == 0 && snap &&
					   strcmp(str_or(snap, "name", ""), r->release) == 0 &&
					   json_integer_value(json_object_get(snap, "version")) == m->last_version &&
					   strcmp(str_or(snap, "chartVersion", ""), r->revision) == 0 &&
					   strcmp(str_or(snap, "configDigest", ""), m->cfg_digest) == 0 ?
				   ST_IN_SYNC : ST_OUT_OF_SYNC;
	}
	return 0;
}

/* Flux's actionForState; ACT_NONE with 0 when in sync, CF_ELIMIT when out of retries. */
static int next_action(action *out, machine *m)
{
	hc_rec *r = m->r;
	remediation rem;
	json_t *prev, *stored = NULL;

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
	/* A failed release: remediate, unless the failure was not ours or a retry is due anyway. */
	*out = ACT_UPGRADE;
	if (!active_remediation(r, &rem) || counter(r, rem.counter) <= 0 || m->force)
		return 0;
	if (exhausted(r, &rem) && !rem.remediate_last)
		return CF_ELIMIT;
	if (rem.uninstall) {
		*out = ACT_UNINSTALL;
		return 0;
	}
	/* Roll back only to a record that is still in storage; otherwise upgrade again. */
	if ((prev = hc_history_previous(r)) &&
	    hc_storage_read(&stored, r->kube, r->storage_ns, r->release,
			    (int)json_integer_value(json_object_get(prev, "version"))) == 0)
		*out = ACT_ROLLBACK;
	json_decref(stored);
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

/* Applies objects and waits for them unless the section disables waiting. */
static int deploy(hc_rec *r, const json_t *objects, const char *section)
{
	int64_t t = timeout_ms(r, section);
	int err;

	if ((err = hc_apply(r->kube, objects, t)) < 0)
		return err;
	return disabled(r, section, "disableWait") ? 0 : hc_wait(r->kube, objects, t);
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

/* Pre hooks, apply and wait, post hooks (unless <section>.disableHooks); *why says what failed. */
static int perform(hc_rec *r, const json_t *objects, json_t *hooks, const char *section, char *why, size_t size)
{
	int hooks_on = !disabled(r, section, "disableHooks"), err;
	int64_t t = timeout_ms(r, section);
	size_t i;

	for (i = 0; phases[i].section && strcmp(phases[i].section, section) != 0; i++)
		;
	if (hooks_on && phases[i].pre &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].pre, r->release, r->target_ns, t)) < 0) {
		snprintf(why, size, phases[i].pre_fmt, cf_error_last());
		return err;
	}
	if ((err = deploy(r, objects, section)) < 0) {
		snprintf(why, size, "%s", cf_error_last());
		return err;
	}
	if (hooks_on && phases[i].post &&
	    (err = hc_hooks_run(r->kube, hooks, phases[i].post, r->release, r->target_ns, t)) < 0) {
		snprintf(why, size, phases[i].post_fmt, cf_error_last());
		return err;
	}
	return 0;
}

/* ---- tests ---- */

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
				json_object_set_new(snap_hooks, str_or(h, "name", ""),
						    json_pack("{s:s,s:s,s:s}", "lastStarted", str_or(h, "last_run.started_at", ""),
							      "lastCompleted", str_or(h, "last_run.completed_at", ""), "phase",
							      str_or(h, "last_run.phase", "")));
		}
	}
	return n;
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
	err = hc_hooks_run(r->kube, hooks, "test", r->release, r->target_ns, timeout_ms(r, "test"));
	snap_hooks = json_object();
	n = count_tests(hooks, snap_hooks);
	json_object_set_new(hc_history_latest(r), "testHooks", snap_hooks);
	hc_storage_write(r->kube, r->storage_ns, rel); /* last_run of the test hooks, as `helm test` records */
	if (err < 0) {
		snprintf(msg, sizeof(msg), "Helm test failed for release %s: %s", id, cf_error_last());
		cf_cond_set(r->obj, "TestSuccess", "False", "TestFailed", msg, r->now);
		event(r, "Warning", "TestFailed", "%s", msg);
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
	json_t *rel = NULL;

	if (m->last_version > 0 &&
	    hc_storage_read(&rel, m->r->kube, m->r->storage_ns, m->r->release, m->last_version) == 0 &&
	    cf_object_str(rel, "info.first_deployed"))
		snprintf(buf, size, "%s", cf_object_str(rel, "info.first_deployed"));
	json_decref(rel);
}

static void release_failed(machine *m, int upgrade, const char *why)
{
	hc_rec *r = m->r;
	const char *reason = upgrade ? HC_REASON_UPGRADE_FAILED : HC_REASON_INSTALL_FAILED;
	char msg[4400];

	snprintf(msg, sizeof(msg), "Helm %s failed for release %s/%s with chart %s@%s: %s", upgrade ? "upgrade" : "install",
		 r->target_ns, r->release, str_or(m->chart->meta, "name", ""), r->revision, why);
	count_failure(r, upgrade ? "upgradeFailures" : "installFailures");
	cf_cond_set(r->obj, HC_COND_RELEASED, "False", reason, msg, r->now);
	event(r, "Warning", reason, "%s", msg);
}

static int act_release(machine *m, int upgrade)
{
	hc_rec *r = m->r;
	json_t *objects = NULL, *hooks = NULL;
	char values_path[4200], started[64], first[64], text[4096], desc[4400], msg[4400];
	char *manifest = NULL;
	size_t n_crds = 0;
	const char *first_k8s = NULL;
	int err;

	json_object_set_new(hc_status(r), "lastAttemptedReleaseAction", json_string(upgrade ? "upgrade" : "install"));
	go_time_now(started, sizeof(started));
	snprintf(first, sizeof(first), "%s", started);
	if (upgrade)
		first_deployed(first, sizeof(first), m);
	if (hc_history_latest(r) && strcmp(str_or(hc_history_latest(r), "name", ""), r->release) == 0 && upgrade)
		first_k8s = cf_object_str(hc_history_latest(r), "firstDeployed");
	if ((err = write_values_file(values_path, sizeof(values_path), r, m->values)) < 0 ||
	    (err = hc_chart_render(&objects, &manifest, &hooks, &n_crds, m->chart, r->release, r->target_ns, values_path,
				   upgrade, m->last_version + 1, r->kube)) < 0 ||
	    (err = hc_crds_policy(r->kube, objects, n_crds,
				  str_or(spec_of(r, upgrade ? "upgrade" : "install"), "crds", upgrade ? "Skip" : "Create"))) < 0) {
		/* Nothing was stored: Helm fails before recording a revision. */
		release_failed(m, upgrade, cf_error_last());
		goto done;
	}
	if (!upgrade && json_is_true(json_object_get(spec_of(r, "install"), "createNamespace")) &&
	    (err = create_namespace(r)) < 0) {
		snprintf(text, sizeof(text), "failed to create namespace %s: %s", r->target_ns, cf_error_last());
		release_failed(m, upgrade, text);
		goto done;
	}
	hc_release rel = {
		.name = r->release, .ns = r->target_ns, .version = m->last_version + 1, .chart_meta = m->chart->meta,
		.chart_values = m->chart->values, .config = m->values, .manifest = manifest, .hooks = hooks,
		.first_deployed = first, .last_deployed = started, .status = upgrade ? "pending-upgrade" : "pending-install",
		.description = upgrade ? "Preparing upgrade" : "Initial install underway",
	};
	if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0) {
		snprintf(text, sizeof(text), "failed to record release: %s", cf_error_last());
		release_failed(m, upgrade, text);
		goto done;
	}
	if ((err = perform(r, objects, hooks, upgrade ? "upgrade" : "install", text, sizeof(text))) < 0) {
		snprintf(desc, sizeof(desc), "%s \"%s\" failed: %s", upgrade ? "Upgrade" : "Release", r->release, text);
		rel.status = "failed";
		rel.description = desc;
		if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0)
			goto done;
		hc_history_push(r, hc_history_snapshot(r, &rel, m->cfg_digest, first_k8s));
		release_failed(m, upgrade, text);
		err = 0; /* a failed revision is stored: the state machine goes on to remediation */
		goto done;
	}
	rel.status = "deployed";
	rel.description = upgrade ? "Upgrade complete" : "Install complete";
	if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0 ||
	    (err = hc_storage_supersede(r->kube, r->storage_ns, r->release, rel.version)) < 0) {
		snprintf(text, sizeof(text), "failed to record release: %s", cf_error_last());
		release_failed(m, upgrade, text);
		goto done;
	}
	prune(r, rel.version);
	hc_history_push(r, hc_history_snapshot(r, &rel, m->cfg_digest, first_k8s));
	json_object_set_new(hc_status(r), "lastReleaseRevision", json_integer(rel.version));
	hc_inventory_set(r, objects);
	snprintf(msg, sizeof(msg), "Helm %s succeeded for release %s/%s.v%d with chart %s@%s", upgrade ? "upgrade" : "install",
		 r->target_ns, r->release, rel.version, str_or(m->chart->meta, "name", ""), r->revision);
	const char *reason = upgrade ? HC_REASON_UPGRADE_SUCCEEDED : HC_REASON_INSTALL_SUCCEEDED;
	cf_cond_set(r->obj, HC_COND_RELEASED, "True", reason, msg, r->now);
	event(r, "Normal", reason, "%s", msg);
	run_tests(m, &rel, hooks);
done:
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
	json_t *rel = json_deep_copy(target), *cur = NULL, *info;
	char desc[64];

	if (!rel)
		return NULL;
	if (hc_storage_read(&cur, m->r->kube, m->r->storage_ns, m->r->release, m->last_version) < 0)
		cur = NULL;
	snprintf(desc, sizeof(desc), "Rollback to %d", target_version);
	info = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "first_deployed",
			 str_or(cur, "info.first_deployed", str_or(target, "info.first_deployed", now)), "last_deployed", now,
			 "deleted", "", "description", desc, "status", "pending-rollback", "notes",
			 str_or(target, "info.notes", ""));
	json_decref(cur);
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
	json_t *prev = hc_history_previous(r), *target = NULL, *rel = NULL, *objects = NULL;
	int target_version = (int)json_integer_value(json_object_get(prev, "version")), err;
	char now[64], prev_id[400], chart_id[300], text[4096];

	snprintf(prev_id, sizeof(prev_id), "%s/%s.v%d", str_or(prev, "namespace", ""), str_or(prev, "name", ""), target_version);
	snprintf(chart_id, sizeof(chart_id), "%s@%s", str_or(prev, "chartName", ""), str_or(prev, "chartVersion", ""));
	go_time_now(now, sizeof(now));
	if ((err = hc_storage_read(&target, r->kube, r->storage_ns, r->release, target_version)) < 0 ||
	    !(rel = rollback_record(m, target, target_version, now))) {
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
	int failed = (err = perform(r, objects, json_object_get(rel, "hooks"), "rollback", why, sizeof(why))) < 0;
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
	json_decref(target);
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
	if ((err = hc_uninstall(r->kube, r->storage_ns, r->release, m->last_version, !disabled(r, "uninstall", "disableHooks"),
				timeout_ms(r, "uninstall"))) < 0) {
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
 * Event; "enabled" also puts the drifted objects back by applying them again.
 */
static int check_drift(machine *m)
{
	hc_rec *r = m->r;
	json_t *dd = spec_of(r, "driftDetection"), *rel = NULL, *objects = NULL, *drifted = NULL, *d;
	const char *mode = str_or(dd, "mode", "disabled");
	int correct = strcmp(mode, "enabled") == 0, err;
	char id[400], list[3000] = "", msg[3600];
	size_t i, off = 0;

	if (!correct && strcmp(mode, "warn") != 0) {
		cf_cond_delete(r->obj, "Drifted");
		return 0;
	}
	snprintf(id, sizeof(id), "%s/%s.v%d", r->target_ns, r->release, m->last_version);
	if ((err = hc_storage_read(&rel, r->kube, r->storage_ns, r->release, m->last_version)) < 0 ||
	    (err = hc_manifest_objects(&objects, r->kube, str_or(rel, "manifest", ""), r->release,
				       str_or(rel, "namespace", r->target_ns))) < 0 ||
	    (err = hc_drift_detect(&drifted, r->kube, objects, json_object_get(dd, "ignore"))) < 0)
		goto done;
	hc_inventory_set(r, objects);
	if (!json_array_size(drifted)) {
		snprintf(msg, sizeof(msg), "No drift detected for release %s", id);
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
	json_t *fix = json_array();
	json_array_foreach(drifted, i, d)
		json_array_append(fix, json_object_get(d, "object"));
	err = hc_apply(r->kube, fix, timeout_ms(r, NULL));
	json_decref(fix);
	if (err < 0) {
		snprintf(msg, sizeof(msg), "Failed to correct cluster state of release %s: %s", id, cf_error_last());
		event(r, "Warning", "DriftDetected", "%s", msg);
		goto done;
	}
	snprintf(msg, sizeof(msg), "Cluster state of release %s has been corrected:\n%s", id, list);
	event(r, "Normal", "DriftCorrected", "%s", msg);
	cf_cond_set(r->obj, "Drifted", "False", "DriftCorrected", msg, r->now);
done:
	json_decref(rel);
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

static void reset_failures(hc_rec *r)
{
	json_object_del(hc_status(r), "failures");
	json_object_del(hc_status(r), "installFailures");
	json_object_del(hc_status(r), "upgradeFailures");
}

/* ---- the loop ---- */

static int drive(machine *m)
{
	hc_rec *r = m->r;
	int done_types = 0, err;
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
			r->retry_ms = REMEDIATION_REQUEUE_MS;
			return CF_EAGAIN;
		}
		m->force = 0;
		if ((err = run_action(m, a)) < 0)
			return err;
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

int hc_release_reconcile(hc_rec *r, hc_chart *chart)
{
	machine m = {.r = r, .chart = chart};
	json_t *st = hc_status(r);
	int64_t generation = json_integer_value(json_object_get(json_object_get(r->obj, "metadata"), "generation"));
	char checksum[64];
	int err;

	if ((err = hc_values_compose(&m.values, r->env->kube, r->obj)) < 0) {
		cf_cond_set(r->obj, CF_COND_READY, "False", HC_REASON_VALUES_FAILED, cf_error_last(), r->now);
		event(r, "Warning", HC_REASON_VALUES_FAILED, "%s", cf_error_last());
		return err;
	}
	hc_values_digest(m.cfg_digest, sizeof(m.cfg_digest), m.values, "sha256");
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
	if (err == CF_EAGAIN && !cf_cond_has_status(r->obj, CF_COND_READY, "True"))
		cf_cond_set(r->obj, CF_COND_RECONCILING, "True", "ProgressingWithRetry",
			    str_or(cf_cond_get(r->obj, CF_COND_READY), "message", ""), r->now);
	json_decref(m.values);
	return err;
}
