/* The inventory of applied objects (status.inventory.entries) and the prune of those that left it. */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"

/* The parts of "<ns>_<name>_<group>_<kind>"; names may hold "__" for ':'. */
typedef struct {
	char ns[256], name[512], group[256], kind[256];
} object_id;

static int parse_id(object_id *o, const char *id)
{
	const char *first = strchr(id, '_'), *last = strrchr(id, '_'), *mid;
	size_t j = 0;

	if (!first || last == first)
		return CF_EINVALID;
	for (mid = last - 1; mid > first && *mid != '_'; mid--)
		;
	if (mid == first)
		return CF_EINVALID;
	snprintf(o->ns, sizeof(o->ns), "%.*s", (int)(first - id), id);
	snprintf(o->group, sizeof(o->group), "%.*s", (int)(last - mid - 1), mid + 1);
	snprintf(o->kind, sizeof(o->kind), "%s", last + 1);
	for (const char *c = first + 1; c < mid && j + 1 < sizeof(o->name); c++) {
		if (c[0] == '_' && c[1] == '_') {
			o->name[j++] = ':';
			c++;
		} else {
			o->name[j++] = *c;
		}
	}
	o->name[j] = '\0';
	return 0;
}

static int in_entries(const json_t *entries, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e)
		if (json_is_string(json_object_get(e, "id")) && strcmp(cf_object_str(e, "id"), id) == 0)
			return 1;
	return 0;
}

/* An entry of a namespaced kind without a namespace: no object has that address. */
static int names_nothing(cf_kube *kube, const object_id *o, const char *version)
{
	cf_kube_resource res;

	return !*o->ns && cf_kube_resolve(kube, &res, version, o->kind) == 0 && res.namespaced;
}

/* What prune_one did with an entry (errors are negative). */
enum { PRUNE_KEPT = 0, PRUNE_DELETED = 1, PRUNE_DROPPED = 2 };

/*
 * Deletes one stale object unless it is no longer ours or opts out: PRUNE_DELETED when deleted
 * or gone, PRUNE_KEPT, or PRUNE_DROPPED for an entry that names no object.
 */
static int prune_one(cf_kube *kube, const json_t *ks, const char *id, const char *version,
		     const cf_log_ctx *log)
{
	object_id o;
	json_t *live = NULL;
	int err;

	if (parse_id(&o, id) < 0 || !version)
		return PRUNE_DROPPED;
	/* Older versions recorded these for objects whose apply failed; they must not block deletion. */
	if (names_nothing(kube, &o, version)) {
		cf_log_info(log, "skipping inventory entry %s: %s is namespaced and the entry has no namespace",
			    id, o.kind);
		return PRUNE_DROPPED;
	}
	if ((err = cf_object_get(&live, kube, version, o.kind, o.ns, o.name)) == CF_ENOTFOUND)
		return PRUNE_DELETED;
	if (err < 0)
		return cf_error_wrap(err, "%s/%s: ", o.kind, o.name);
	const char *lname = cf_object_meta(live, "labels", KC_LABEL_NAME);
	const char *lns = cf_object_meta(live, "labels", KC_LABEL_NAMESPACE);
	int ours = lname && lns && strcmp(lname, cf_object_str(ks, "metadata.name")) == 0 &&
		   strcmp(lns, cf_object_str(ks, "metadata.namespace")) == 0;
	if (!ours || cf_object_meta_is(live, KC_ANN_PRUNE, "disabled") || cf_object_meta_is(live, KC_ANN_RECONCILE, "disabled") ||
	    cf_object_meta_is(live, KC_ANN_SSA, "Ignore")) {
		json_decref(live);
		return PRUNE_KEPT;
	}
	json_decref(live);
	cf_kube_ref ref = {version, o.kind, o.ns, o.name};
	cf_kube_write_opts wo = {.propagation_policy = "Background"};
	err = cf_kube_delete(kube, NULL, &ref, &wo);
	if (err < 0 && err != CF_ENOTFOUND)
		return cf_error_wrap(err, "%s/%s%s%s deletion failed: ", o.kind, o.ns, *o.ns ? "/" : "", o.name);
	return PRUNE_DELETED;
}

int kc_prune(json_t **out_deleted, json_t **out_kept, cf_kube *kube, const json_t *ks,
	     const json_t *old_entries, const json_t *new_entries, const cf_log_ctx *log)
{
	json_t *deleted = json_array(), *kept = json_array();
	size_t n = json_array_size(old_entries);
	int err = 0;

	/* Reverse of the apply order: dependents go before what they depend on. */
	for (size_t k = n; k-- > 0;) {
		json_t *e = json_array_get(old_entries, k);
		const char *id = cf_object_str(e, "id");
		int rc;
		if (!id || in_entries(new_entries, id))
			continue;
		rc = err < 0 ? PRUNE_KEPT : prune_one(kube, ks, id, cf_object_str(e, "v"), log);
		if (rc < 0)
			err = rc;
		if (rc == PRUNE_DELETED) {
			object_id o;
			char line[1400];
			if (parse_id(&o, id) == 0) {
				snprintf(line, sizeof(line), "%s/%s%s%s deleted", o.kind, o.ns, *o.ns ? "/" : "", o.name);
				json_array_append_new(deleted, json_string(line));
			}
		}
		else if (rc != PRUNE_DROPPED && err < 0)
			json_array_insert(kept, 0, e);
	}
	*out_deleted = deleted;
	*out_kept = kept;
	return err;
}

int kc_inventory_wait_gone(cf_kube *kube, const json_t *entries, int64_t timeout_ms)
{
	for (int64_t waited = 0;; waited += 500) {
		const char *left = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(entries, i, e) {
			object_id o;
			json_t *live = NULL;
			if (left || !cf_object_str(e, "id") || parse_id(&o, cf_object_str(e, "id")) < 0 || !cf_object_str(e, "v"))
				continue;
			/* Only objects being deleted are waited for; kept ones (not ours, opted out) stay. */
			if (cf_object_get(&live, kube, cf_object_str(e, "v"), o.kind, o.ns, o.name) == 0 &&
			    cf_object_str(live, "metadata.deletionTimestamp"))
				left = cf_object_str(e, "id");
			json_decref(live);
		}
		if (!left)
			return 0;
		if (waited >= timeout_ms)
			return cf_error_set(CF_ETIMEOUT, "%s was not deleted in time", left);
		usleep(500000);
	}
}
