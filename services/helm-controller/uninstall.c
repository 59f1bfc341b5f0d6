/*
 * Uninstalling a release as `helm uninstall` does: pre-delete hooks, the objects of the newest
 * revision's manifest deleted in reverse install order (those annotated helm.sh/resource-policy:
 * keep stay), post-delete hooks, then every revision record goes, or with keepHistory the newest
 * is marked uninstalled.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/doc.h"
#include "cf/error.h"

/* Collects the names of a release's record Secrets. */
static int collect_record(void *ctx, const char *item, size_t len)
{
	json_t *names = ctx, *obj = json_loadb(item, len, 0, NULL);
	const char *name = cf_object_str(obj, "metadata.name");

	if (name)
		json_array_append_new(names, json_string(name));
	json_decref(obj);
	return 0;
}

static int delete_records(cf_kube *kube, const char *ns, const char *release)
{
	char selector[300];
	cf_kube_list_opts lo = {.label_selector = selector};
	cf_kube_ref ref = {"v1", "Secret", ns, NULL};
	json_t *names = json_array(), *n;
	size_t i;
	int err;

	snprintf(selector, sizeof(selector), "owner=helm,name=%s", release);
	if ((err = cf_kube_list(kube, NULL, &ref, &lo, collect_record, names)) < 0)
		goto done;
	json_array_foreach(names, i, n) {
		ref.name = json_string_value(n);
		if ((err = cf_kube_delete(kube, NULL, &ref, NULL)) < 0 && err != CF_ENOTFOUND)
			goto done;
		err = 0;
	}
done:
	json_decref(names);
	return err;
}

/* Helm keeps what the manifest marks helm.sh/resource-policy: keep. */
static int kept(const cf_doc *obj)
{
	const char *policy = cf_doc_get_str(cf_doc_get(cf_doc_get(obj, "metadata"), "annotations"), "helm.sh/resource-policy");

	return policy && strcmp(policy, "keep") == 0;
}

/* deletionPropagation as the API spells it. */
static const char *propagation(const char *policy)
{
	static const struct { const char *flux, *api; } table[] = {
		{"background", "Background"}, {"foreground", "Foreground"}, {"orphan", "Orphan"}, {NULL, NULL},
	};

	for (size_t i = 0; policy && table[i].flux; i++)
		if (strcmp(table[i].flux, policy) == 0)
			return table[i].api;
	return "Background";
}

/* Deletes the objects of a stored manifest, last first; objects already gone are fine. */
static int delete_manifest(cf_kube *kube, const char *manifest, const char *ns, const char *policy)
{
	cf_kube_write_opts wo = {.propagation_policy = propagation(policy)};
	cf_doc *list = NULL;
	int err, first = 0;

	if ((err = cf_doc_load_yaml_stream(&list, manifest, strlen(manifest), NULL)) < 0)
		return cf_error_wrap(err, "stored manifest is not valid YAML: ");
	for (size_t i = cf_doc_len(list); i-- > 0;) {
		const cf_doc *obj = cf_doc_item(list, i);
		const char *obj_ns = cf_doc_get_str(cf_doc_get(obj, "metadata"), "namespace");
		cf_kube_ref ref = {cf_doc_get_str(obj, "apiVersion"), cf_doc_get_str(obj, "kind"), obj_ns ? obj_ns : ns,
				   cf_doc_get_str(cf_doc_get(obj, "metadata"), "name")};
		if (!ref.api_version || !ref.kind || !ref.name || kept(obj))
			continue;
		err = cf_kube_delete(kube, NULL, &ref, &wo);
		if (err < 0 && err != CF_ENOTFOUND && !first)
			first = err;
	}
	cf_doc_free(list);
	return first;
}

/* keepHistory: the newest record stays, marked uninstalled, as `helm uninstall --keep-history` leaves it. */
static int mark_uninstalled(cf_kube *kube, const char *storage_ns, json_t *rel)
{
	json_t *info = json_object_get(rel, "info");
	char now[64];

	hc_time_now(now, sizeof(now));
	json_object_set_new(info, "status", json_string("uninstalled"));
	json_object_set_new(info, "description", json_string("Uninstallation complete"));
	json_object_set_new(info, "deleted", json_string(now));
	/* Older records still deployed become superseded, as Helm leaves them. */
	int err = hc_storage_supersede(kube, storage_ns, cf_object_str(rel, "name"), (int)json_integer_value(json_object_get(rel, "version")));
	return err < 0 ? err : hc_storage_write_json(kube, storage_ns, rel);
}

void hc_uninstall_opts_read(hc_uninstall_opts *o, const json_t *hr)
{
	json_t *un = json_object_get(json_object_get(hr, "spec"), "uninstall");
	int64_t t = cf_object_duration_ms(hr, "spec.timeout", 5 * 60 * 1000);

	o->hooks = !json_is_true(json_object_get(un, "disableHooks"));
	o->keep_history = json_is_true(json_object_get(un, "keepHistory"));
	o->propagation = cf_object_str(un, "deletionPropagation");
	o->timeout_ms = un ? cf_object_duration_ms(un, "timeout", t) : t;
}

int hc_uninstall(cf_kube *kube, const char *storage_ns, const char *release, int version, const hc_uninstall_opts *o)
{
	json_t *rel = NULL, *hook_list;
	const char *ns;
	int err;

	if (version > 0 && (err = hc_storage_read(&rel, kube, storage_ns, release, version)) < 0 && err != CF_ENOTFOUND)
		return err;
	ns = rel ? cf_object_str(rel, "namespace") : NULL;
	hook_list = rel ? json_object_get(rel, "hooks") : NULL;
	if (o->hooks && ns && (err = hc_hooks_run(kube, hook_list, "pre-delete", release, ns, o->timeout_ms)) < 0) {
		err = cf_error_wrap(err, "pre-delete hooks failed: ");
		goto done;
	}
	if (rel && cf_object_str(rel, "manifest") &&
	    (err = delete_manifest(kube, cf_object_str(rel, "manifest"), ns, o->propagation)) < 0)
		goto done;
	if (o->hooks && ns && (err = hc_hooks_run(kube, hook_list, "post-delete", release, ns, o->timeout_ms)) < 0) {
		err = cf_error_wrap(err, "post-delete hooks failed: ");
		goto done;
	}
	err = o->keep_history && rel ? mark_uninstalled(kube, storage_ns, rel) : delete_records(kube, storage_ns, release);
done:
	json_decref(rel);
	return err;
}
