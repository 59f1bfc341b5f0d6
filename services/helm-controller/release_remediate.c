/*
 * What repairs a release: unlocking a record a crash left pending, rollback to the previous
 * successful revision and uninstall remediation, each recorded as Helm records them.
 */
#include "release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/error.h"

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
int hc_rel_unlock(machine *m)
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
		hc_rel_count_failure(r, "failures");
		cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_PENDING_RELEASE, msg, r->now);
		hc_rel_event(r, "Warning", HC_REASON_PENDING_RELEASE, "%s", msg);
		return err;
	}
	hc_history_mark(r, m->last_version, "failed");
	snprintf(msg, sizeof(msg), "Unlocked Helm release %s/%s.v%d in %s state", r->target_ns, r->release,
		 m->last_version, m->last_status);
	cf_cond_set(r->obj, HC_COND_RELEASED, "False", HC_REASON_PENDING_RELEASE, msg, r->now);
	hc_rel_event(r, "Normal", HC_REASON_PENDING_RELEASE, "%s", msg);
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
	cur = hc_rel_record(m, m->last_version, &err);
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
	hc_rel_count_failure(r, "failures");
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "False", HC_REASON_ROLLBACK_FAILED, msg, r->now);
	hc_rel_event(r, "Warning", HC_REASON_ROLLBACK_FAILED, "%s", msg);
}

int hc_rel_rollback(machine *m)
{
	hc_rec *r = m->r;
	remediation rem = {0};
	int ignore_tests = hc_rel_active_remediation(r, &rem) && rem.ignore_tests;
	json_t *prev = hc_history_previous(r, ignore_tests), *rel = NULL, *objects = NULL;
	const json_t *target, *from;
	int target_version = (int)json_integer_value(json_object_get(prev, "version")), err;
	char now[64], prev_id[400], chart_id[300], text[4096];

	snprintf(prev_id, sizeof(prev_id), "%s/%s.v%d", str_or(prev, "namespace", ""), str_or(prev, "name", ""), target_version);
	snprintf(chart_id, sizeof(chart_id), "%s@%s", str_or(prev, "chartName", ""), str_or(prev, "chartVersion", ""));
	hc_time_now(now, sizeof(now));
	if (!(target = hc_rel_record(m, target_version, &err)) || !(rel = rollback_record(m, target, target_version, now))) {
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
	if ((from = hc_rel_record(m, m->last_version, &err)))
		hc_manifest_objects(&ch.old_objects, r->kube, str_or(from, "manifest", ""), r->release,
				    str_or(from, "namespace", r->target_ns));
	if (spec_flag(r, "rollback", "cleanupOnFail") && ch.old_objects) {
		json_t *added = hc_objects_missing(objects, ch.old_objects);
		if (hc_objects_lookup(&ch.created, r->kube, added, r->release, r->target_ns, 0) < 0)
			cf_log_error(&r->log, "looking up objects the rollback creates: %s", cf_error_last());
		json_decref(added);
	}
	int failed = (err = hc_rel_perform(r, objects, json_object_get(rel, "hooks"), "rollback", &ch, why, sizeof(why))) < 0;
	hc_rel_change_free(&ch);
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
	hc_rel_prune(r, snap_rel.version);
	if (failed) {
		rollback_failed(r, prev_id, chart_id, text);
		err = 0;
		goto done;
	}
	hc_inventory_set(r, objects);
	snprintf(text, sizeof(text), "Helm rollback to previous release %s with chart %s succeeded", prev_id, chart_id);
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "True", HC_REASON_ROLLBACK_SUCCEEDED, text, r->now);
	hc_rel_event(r, "Normal", HC_REASON_ROLLBACK_SUCCEEDED, "%s", text);
done:
	json_decref(objects);
	json_decref(rel);
	return err;
}

int hc_rel_uninstall(machine *m)
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
		hc_rel_count_failure(r, "failures");
		cf_cond_set(r->obj, HC_COND_REMEDIATED, "False", HC_REASON_UNINSTALL_FAILED, msg, r->now);
		hc_rel_event(r, "Warning", HC_REASON_UNINSTALL_FAILED, "%s", msg);
		return err;
	}
	hc_history_mark(r, m->last_version, "uninstalled");
	snprintf(msg, sizeof(msg), "Helm uninstall remediation for release %s with chart %s succeeded", id, chart_id);
	cf_cond_set(r->obj, HC_COND_REMEDIATED, "True", HC_REASON_UNINSTALL_SUCCEEDED, msg, r->now);
	hc_rel_event(r, "Normal", HC_REASON_UNINSTALL_SUCCEEDED, "%s", msg);
	return 0;
}
