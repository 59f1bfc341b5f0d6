/*
 * Install and upgrade as Helm's actions do them: the record lifecycle (pending-*, then deployed or
 * failed), CRDs before the render, ownership of existing objects, preserveValues, install.replace.
 */
#include "release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cf/error.h"

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

/* The first deployment time of the release, kept across upgrades as Helm does. */
static void first_deployed(char *buf, size_t size, machine *m)
{
	const json_t *rel;
	int err;

	if (m->last_version > 0 && (rel = hc_rel_record(m, m->last_version, &err)) && cf_object_str(rel, "info.first_deployed"))
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
	if (!(rel = hc_rel_record(m, version, &err)))
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
	if (!(cur = hc_rel_record(m, current_version(m), &err)))
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
	hc_rel_count_failure(r, stored ? (upgrade ? "upgradeFailures" : "installFailures") : "failures");
	cf_cond_set(r->obj, HC_COND_RELEASED, "False", reason, msg, r->now);
	hc_rel_event(r, "Warning", reason, "%s", msg);
}

int hc_rel_release(machine *m, int upgrade)
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
	if ((err = hc_rel_perform(r, objects, hooks, upgrade ? "upgrade" : "install", &ch, text, sizeof(text))) < 0) {
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
	/* A first install has no deployed record to supersede. */
	if ((err = hc_storage_write(r->kube, r->storage_ns, &rel)) < 0 ||
	    (m->last_version > 0 && (err = hc_storage_supersede(r->kube, r->storage_ns, r->release, rel.version)) < 0)) {
		snprintf(text, sizeof(text), "failed to record release: %s", cf_error_last());
		release_failed(m, upgrade, 0, text);
		goto done;
	}
	hc_rel_prune(r, rel.version);
	m->last_version = rel.version;
	snprintf(m->last_status, sizeof(m->last_status), "deployed");
	m->last_modified = time(NULL);
	m->recorded = 1;
	if (hc_rel_active_retry_ms(r))
		hc_rel_reset_failures(r); /* RetryOnFailure starts counting afresh after a success */
	hc_history_push(r, hc_history_snapshot(r, &rel, digest, first_k8s));
	json_object_set_new(hc_status(r), "lastReleaseRevision", json_integer(rel.version));
	hc_inventory_set(r, objects);
	snprintf(msg, sizeof(msg), "Helm %s succeeded for release %s/%s.v%d with chart %s@%s", upgrade ? "upgrade" : "install",
		 r->target_ns, r->release, rel.version, str_or(m->chart->meta, "name", ""), r->revision);
	const char *reason = upgrade ? HC_REASON_UPGRADE_SUCCEEDED : HC_REASON_INSTALL_SUCCEEDED;
	cf_cond_set(r->obj, HC_COND_RELEASED, "True", reason, msg, r->now);
	hc_rel_event(r, "Normal", reason, "%s", msg);
	hc_rel_run_tests(m, &rel, hooks);
done:
	hc_rel_change_free(&ch);
	json_decref(config);
	free(manifest);
	json_decref(objects);
	json_decref(hooks);
	return err;
}
