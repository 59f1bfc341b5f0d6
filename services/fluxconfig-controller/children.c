/* The objects a FluxConfig owns in the cluster: server-side apply, prune, delete, and reading their state. */
#include "fc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* Bounds what one configuration may make this controller read per reconcile. */
#define MAX_INVENTORY_REFS 256

/* Every key of want has the same value in have. */
static int subset(const json_t *want, const json_t *have)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)want, k, v)
		if (!json_equal(v, json_object_get(have, k)))
			return 0;
	return 1;
}

/*
 * The cached object already is what we would apply: same spec (equal, so a field we stopped
 * sending still counts as a change), our labels and owner references. Saves a write per object
 * on every run that only reads the children's state.
 */
static int unchanged(cf_runtime *rt, const json_t *obj)
{
	cf_cache *cache = rt ? cf_runtime_cache(rt, cf_object_str(obj, "kind")) : NULL;
	json_t *live = NULL, *m = json_object_get(obj, "metadata");
	char key[600];
	int same;

	snprintf(key, sizeof(key), "%s/%s", cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name"));
	if (!cache || cf_cache_get_json(cache, &live, key) < 0)
		return 0;
	json_t *lm = json_object_get(live, "metadata");
	same = !json_object_get(lm, "deletionTimestamp") && json_equal(json_object_get(obj, "spec"), json_object_get(live, "spec")) &&
	       subset(json_object_get(m, "labels"), json_object_get(lm, "labels")) &&
	       json_equal(json_object_get(m, "ownerReferences") ? json_object_get(m, "ownerReferences") : json_null(),
			  json_object_get(lm, "ownerReferences") ? json_object_get(lm, "ownerReferences") : json_null());
	json_decref(live);
	return same;
}

int fc_children_apply(cf_kube *kube, cf_runtime *rt, const json_t *objects)
{
	cf_kube_write_opts wo = {.field_manager = FC_FIELD_MANAGER, .force = 1};
	json_t *obj;
	size_t i;
	int err;

	json_array_foreach(objects, i, obj) {
		if (unchanged(rt, obj))
			continue;
		char *body = json_dumps(obj, JSON_COMPACT);
		if (!body)
			return cf_error_set(CF_ENOMEM, "out of memory");
		err = cf_kube_patch(kube, NULL, NULL, CF_KUBE_PATCH_APPLY, body, &wo);
		free(body);
		if (err < 0)
			return cf_error_wrap(err, "applying %s/%s: ", cf_object_str(obj, "kind"),
					     cf_object_str(obj, "metadata.name"));
	}
	return 0;
}

/* "config.cflux.io/name=<name>,config.cflux.io/namespace=<namespace>". */
static void owner_selector(char *buf, size_t size, const json_t *config)
{
	snprintf(buf, size, "%s=%s,%s=%s", FC_LABEL_NAME, cf_object_str(config, "metadata.name"), FC_LABEL_NAMESPACE,
		 cf_object_str(config, "metadata.namespace"));
}

static int collect_item(void *ctx, const char *item, size_t len)
{
	json_t *obj = json_loadb(item, len, 0, NULL);

	if (obj)
		json_array_append_new(ctx, obj);
	return 0;
}

/* The config's objects of one kind, found by label (caller json_decrefs *out). */
static int list_owned(json_t **out, cf_kube *kube, const json_t *config, const char *api, const char *kind)
{
	char sel[1024];
	cf_kube_ref ref = {api, kind, fc_spec_namespace(config), NULL};
	cf_kube_list_opts lo = {.label_selector = sel};
	json_t *items = json_array();
	int err;

	owner_selector(sel, sizeof(sel), config);
	if ((err = cf_kube_list(kube, NULL, &ref, &lo, collect_item, items)) < 0) {
		json_decref(items);
		return err;
	}
	*out = items;
	return 0;
}

static int wanted(const json_t *desired, const char *kind, const char *name)
{
	json_t *obj;
	size_t i;

	json_array_foreach(desired, i, obj)
		if (strcmp(cf_object_str(obj, "kind"), kind) == 0 && strcmp(cf_object_str(obj, "metadata.name"), name) == 0)
			return 1;
	return 0;
}

static int delete_obj(cf_kube *kube, const json_t *obj)
{
	cf_kube_ref ref = {cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"),
			   cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name")};
	cf_kube_write_opts wo = {.propagation_policy = "Background"};
	int err = cf_kube_delete(kube, NULL, &ref, &wo);

	return err == CF_ENOTFOUND ? 0 : err;
}

int fc_children_prune(json_t **out_pruned, cf_kube *kube, const json_t *config, const json_t *desired)
{
	json_t *items = NULL, *obj, *pruned = json_array();
	size_t i;
	int err;

	if ((err = list_owned(&items, kube, config, FC_KS_API, "Kustomization")) < 0)
		goto done;
	json_array_foreach(items, i, obj) {
		const char *name = cf_object_str(obj, "metadata.name");
		if (!name || wanted(desired, "Kustomization", name))
			continue;
		if ((err = delete_obj(kube, obj)) < 0) {
			err = cf_error_wrap(err, "pruning Kustomization %s: ", name);
			goto done;
		}
		json_array_append_new(pruned, json_string(name));
	}
done:
	json_decref(items);
	if (err < 0) {
		json_decref(pruned);
		return err;
	}
	*out_pruned = pruned;
	return 0;
}

/* Kustomizations go first so they finalize (and prune) while their source still exists. */
static const struct {
	const char *api, *kind;
} owned_kinds[] = {
	{FC_KS_API, "Kustomization"},
	{FC_SOURCE_API, "GitRepository"},
	{"v1", "Secret"},
};

int fc_children_delete_all(cf_kube *kube, const json_t *config)
{
	int err = 0, left = 0;

	for (size_t k = 0; k < sizeof(owned_kinds) / sizeof(owned_kinds[0]) && !left; k++) {
		json_t *items = NULL, *obj;
		size_t i;
		if ((err = list_owned(&items, kube, config, owned_kinds[k].api, owned_kinds[k].kind)) < 0)
			return err;
		json_array_foreach(items, i, obj) {
			left = 1;
			if (!cf_object_str(obj, "metadata.deletionTimestamp") && (err = delete_obj(kube, obj)) < 0)
				break;
		}
		json_decref(items);
		if (err < 0)
			return err;
	}
	return left ? CF_EAGAIN : 0;
}

static int get_live(json_t **out, cf_kube *kube, const char *api, const char *kind, const char *ns, const char *name)
{
	int err = cf_object_get(out, kube, api, kind, ns, name);

	if (err == 0 && !json_object_get(*out, "kind"))
		json_object_set_new(*out, "kind", json_string(kind));
	return err;
}

/* Appends entries for the Flux objects in ks's inventory, applied by ks. */
static void add_inventory(json_t *statuses, cf_kube *kube, const json_t *ks, size_t *budget)
{
	json_t *refs = fc_compliance_inventory_refs(ks, *budget), *ref;
	size_t i;

	json_array_foreach(refs, i, ref) {
		json_t *obj = NULL;
		(*budget)--;
		if (get_live(&obj, kube, cf_object_str(ref, "apiVersion"), cf_object_str(ref, "kind"),
			     cf_object_str(ref, "namespace"), cf_object_str(ref, "name")) < 0)
			continue;
		json_array_append_new(statuses, fc_compliance_entry(obj, cf_object_str(ks, "metadata.name"),
								  cf_object_str(ks, "metadata.namespace")));
		json_decref(obj);
	}
	json_decref(refs);
}

int fc_children_statuses(json_t **out, json_t **out_source, cf_kube *kube, const json_t *desired)
{
	json_t *statuses = json_array(), *want, *source = NULL;
	size_t i, budget = MAX_INVENTORY_REFS;

	json_array_foreach(desired, i, want) {
		const char *kind = cf_object_str(want, "kind");
		json_t *obj = NULL;
		int err = get_live(&obj, kube, cf_object_str(want, "apiVersion"), kind,
				   cf_object_str(want, "metadata.namespace"), cf_object_str(want, "metadata.name"));
		if (err == CF_ENOTFOUND) {
			/* Not there yet: the desired object, without status, reads as Pending. */
			json_array_append_new(statuses, fc_compliance_entry(want, NULL, NULL));
			continue;
		}
		if (err < 0) {
			json_decref(statuses);
			json_decref(source);
			return err;
		}
		json_array_append_new(statuses, fc_compliance_entry(obj, NULL, NULL));
		if (strcmp(kind, "Kustomization") == 0)
			add_inventory(statuses, kube, obj, &budget);
		if (strcmp(kind, "GitRepository") == 0 && !source)
			source = json_incref(obj);
		json_decref(obj);
	}
	fc_compliance_source_gate(statuses);
	*out = statuses;
	*out_source = source;
	return 0;
}
