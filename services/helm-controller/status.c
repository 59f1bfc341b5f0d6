/*
 * The parts of a HelmRelease's status Flux keeps about releases: snapshots of the release
 * revisions (history, newest first, down to the previous successful one) and the inventory of
 * the release's objects.
 */
#include "hc.h"

#include <stdio.h>
#include <string.h>

static const char *str_or(const json_t *obj, const char *path, const char *dflt)
{
	const char *v = cf_object_str(obj, path);
	return v ? v : dflt;
}

json_t *hc_history_latest(hc_rec *r)
{
	return json_array_get(json_object_get(hc_status(r), "history"), 0);
}

/* The status snapshot Flux keeps per release revision. */
json_t *hc_history_snapshot(hc_rec *r, const hc_release *rel, const char *config_digest, const char *first_k8s)
{
	json_t *j = json_pack("{s:s,s:O,s:O,s:s,s:i}", "name", rel->name, "chart", rel->chart_meta, "config",
			      rel->config, "manifest", rel->manifest ? rel->manifest : "", "version", rel->version);
	char digest[96], now_k8s[64];

	hc_values_digest(digest, sizeof(digest), j, "sha256");
	json_decref(j);
	cf_cond_format_time(now_k8s, sizeof(now_k8s), r->now);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "apiVersion", "helm.sh/release.v1",
			 "name", rel->name, "namespace", rel->ns, "digest", digest, "version", rel->version,
			 "status", rel->status, "chartName", str_or(rel->chart_meta, "name", ""), "chartVersion",
			 str_or(rel->chart_meta, "version", ""), "appVersion", str_or(rel->chart_meta, "appVersion", ""),
			 "configDigest", config_digest, "firstDeployed", first_k8s ? first_k8s : now_k8s, "lastDeployed",
			 now_k8s);
}

static int successful(const json_t *snap)
{
	const char *st = cf_object_str(snap, "status");
	return st && (strcmp(st, "deployed") == 0 || strcmp(st, "superseded") == 0);
}

/*
 * Puts snap (reference stolen) first; as in Flux the history then runs down to the previous
 * successful release of the same name, and a deployed snapshot supersedes the older ones.
 */
void hc_history_push(hc_rec *r, json_t *snap)
{
	json_t *old = json_object_get(hc_status(r), "history"), *h, *s;
	int deployed = strcmp(str_or(snap, "status", ""), "deployed") == 0;
	int64_t version = json_integer_value(json_object_get(snap, "version"));
	size_t i;

	if (!snap)
		return;
	h = json_array();
	json_array_append_new(h, snap);
	json_array_foreach(old, i, s) {
		json_t *c;
		if (strcmp(str_or(s, "name", ""), str_or(snap, "name", "")) != 0)
			break;
		if (json_integer_value(json_object_get(s, "version")) == version)
			continue;
		c = json_deep_copy(s);
		if (deployed && strcmp(str_or(c, "status", ""), "deployed") == 0)
			json_object_set_new(c, "status", json_string("superseded"));
		json_array_append_new(h, c);
		if (successful(c))
			break;
	}
	json_object_set_new(hc_status(r), "history", h);
}

/* Sets the status of the snapshot of `version`, when the history has one. */
void hc_history_mark(hc_rec *r, int64_t version, const char *status)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(hc_status(r), "history"), i, s)
		if (json_integer_value(json_object_get(s, "version")) == version)
			json_object_set_new(s, "status", json_string(status));
}

int hc_history_test_failed(const json_t *snap)
{
	const char *key;
	json_t *hook;

	json_object_foreach(json_object_get((json_t *)snap, "testHooks"), key, hook)
		if (strcmp(str_or(hook, "phase", ""), "Failed") == 0)
			return 1;
	return 0;
}

/* The snapshot a rollback returns to: the newest successful one after the latest (Flux's Previous). */
json_t *hc_history_previous(hc_rec *r, int ignore_tests)
{
	json_t *h = json_object_get(hc_status(r), "history"), *snap;

	for (size_t i = 1; i < json_array_size(h); i++) {
		snap = json_array_get(h, i);
		if (successful(snap) && (ignore_tests || !hc_history_test_failed(snap)))
			return snap;
	}
	return NULL;
}

/* status.inventory: the release's objects (crds/ included, hooks not) as "<ns>_<name>_<group>_<kind>" and version. */
void hc_inventory_set(hc_rec *r, const json_t *objects)
{
	json_t *entries = json_array(), *obj;
	size_t i;

	json_array_foreach(objects, i, obj) {
		const char *av = str_or(obj, "apiVersion", ""), *slash = strrchr(av, '/');
		char id[1200];
		snprintf(id, sizeof(id), "%s_%s_%.*s_%s", str_or(obj, "metadata.namespace", ""), str_or(obj, "metadata.name", ""),
			 slash ? (int)(slash - av) : 0, av, str_or(obj, "kind", ""));
		json_array_append_new(entries, json_pack("{s:s,s:s}", "id", id, "v", slash ? slash + 1 : av));
	}
	json_object_set_new(hc_status(r), "inventory", json_pack("{s:o}", "entries", entries));
}

