/*
 * Server-side apply in Flux's stages: definitions (CRDs, Namespaces, ClusterRoles) first and
 * waited for, then *Class kinds, then everything else, each stage in Flux's reconcile order;
 * an object is applied only when a dry run shows it differs from the live one (the dry run is
 * skipped when the live object visibly holds manifests that the last run already applied).
 */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"

#define WAIT_POLL_US 500000

/* Flux's ReconcileOrder: kinds listed here go first, in this order; the rest follow. */
static const char *const kind_order[] = {
	"CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterClass", "RuntimeClass",
	"PriorityClass", "StorageClass", "VolumeSnapshotClass", "IngressClass", "GatewayClass",
	"ClusterRoleBinding", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
	"Secret", "Service", "LimitRange", "Deployment", "StatefulSet", "CronJob",
	"PodDisruptionBudget", NULL,
};
/* And these go last. */
static const char *const kind_last[] = {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", NULL};

static int rank_of(const char *kind)
{
	int i;

	for (i = 0; kind_order[i]; i++)
		if (strcmp(kind, kind_order[i]) == 0)
			return i;
	for (int j = 0; kind_last[j]; j++)
		if (strcmp(kind, kind_last[j]) == 0)
			return 1000 + j;
	return i;
}

static int has_prefix(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* 0: definitions, 1: classes, 2: everything else. */
static int stage_of(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");
	size_t n = strlen(kind);

	if ((strcmp(kind, "CustomResourceDefinition") == 0 && has_prefix(av, "apiextensions.k8s.io/")) ||
	    (strcmp(kind, "Namespace") == 0 && strcmp(av, "v1") == 0) ||
	    (strcmp(kind, "ClusterRole") == 0 && has_prefix(av, "rbac.authorization.k8s.io/")))
		return 0;
	if (n > 5 && strcmp(kind + n - 5, "Class") == 0)
		return 1;
	return 2;
}

static void group_of(char *buf, size_t size, const char *api_version)
{
	const char *slash = strchr(api_version, '/');
	snprintf(buf, size, "%.*s", slash ? (int)(slash - api_version) : 0, api_version);
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int by_order(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	char ga[256], gb[256];
	int d;

	if ((d = rank_of(cf_object_str(a, "kind")) - rank_of(cf_object_str(b, "kind"))) != 0)
		return d;
	group_of(ga, sizeof(ga), cf_object_str(a, "apiVersion"));
	group_of(gb, sizeof(gb), cf_object_str(b, "apiVersion"));
	if ((d = strcmp(ga, gb)) != 0 || (d = cmp_str(cf_object_str(a, "kind"), cf_object_str(b, "kind"))) != 0 ||
	    (d = cmp_str(cf_object_str(a, "metadata.namespace"), cf_object_str(b, "metadata.namespace"))) != 0)
		return d;
	return cmp_str(cf_object_str(a, "metadata.name"), cf_object_str(b, "metadata.name"));
}

void kc_inventory_id(char *buf, size_t size, const json_t *obj)
{
	const char *ns = cf_object_str(obj, "metadata.namespace"), *name = cf_object_str(obj, "metadata.name");
	char group[256], safe[512];
	size_t j = 0;

	/* cli-utils' ObjMetadata encodes ':' (RBAC names) as a double underscore. */
	for (const char *c = name ? name : ""; *c && j + 3 < sizeof(safe); c++) {
		if (*c == ':') {
			safe[j++] = '_';
			safe[j++] = '_';
		} else {
			safe[j++] = *c;
		}
	}
	safe[j] = '\0';
	group_of(group, sizeof(group), cf_object_str(obj, "apiVersion"));
	snprintf(buf, size, "%s_%s_%s_%s", ns ? ns : "", safe, group, cf_object_str(obj, "kind"));
}

/* What a diff compares: the object without status and server-owned metadata. */
static json_t *normalized(const json_t *obj)
{
	json_t *c = json_deep_copy(obj), *meta = json_object_get(c, "metadata"), *keep;

	json_object_del(c, "status");
	keep = json_pack("{s:O?,s:O?}", "labels", json_object_get(meta, "labels"), "annotations",
			 json_object_get(meta, "annotations"));
	json_object_set_new(c, "metadata", keep);
	return c;
}

/*
 * 1 when live already holds every field of want with the same value (arrays: same length, each
 * element held). Conservative: a null, a number written differently or a defaulted list item is
 * "not held" and sends the object through the dry run.
 */
static int holds(const json_t *live, const json_t *want)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(want)) {
		if (!json_is_object(live))
			return 0;
		json_object_foreach((json_t *)want, key, v)
			if (!holds(json_object_get(live, key), v))
				return 0;
		return 1;
	}
	if (json_is_array(want)) {
		if (!json_is_array(live) || json_array_size(live) != json_array_size(want))
			return 0;
		json_array_foreach(want, i, v)
			if (!holds(json_array_get(live, i), v))
				return 0;
		return 1;
	}
	return !json_is_null(want) && live && json_equal((json_t *)live, (json_t *)want);
}

static int apply_one(char **out, cf_kube *kube, const json_t *obj, int dry_run)
{
	cf_kube_write_opts wo = {.field_manager = KC_FIELD_MANAGER, .force = 1, .dry_run = dry_run};
	char *body = json_dumps(obj, JSON_COMPACT);
	int err;

	if (!body)
		return CF_ENOMEM;
	err = cf_kube_patch(kube, out, NULL, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	return err;
}

static int load_answer(json_t **out, char *text)
{
	*out = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return *out ? 0 : cf_error_set(CF_EPARSE, "the API server sent invalid JSON");
}

static cf_kube_ref ref_of(const json_t *obj)
{
	cf_kube_ref ref = {cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), cf_object_str(obj, "metadata.namespace"),
			   cf_object_str(obj, "metadata.name")};
	return ref;
}

/* Delete and wait until gone, for an object whose immutable fields changed under force. */
static int recreate(cf_kube *kube, const json_t *obj, int64_t timeout_ms)
{
	cf_kube_ref ref = ref_of(obj);
	cf_kube_write_opts wo = {.propagation_policy = "Background"};
	int err = cf_kube_delete(kube, NULL, &ref, &wo);

	if (err < 0 && err != CF_ENOTFOUND)
		return err;
	for (int64_t waited = 0; waited <= timeout_ms; waited += WAIT_POLL_US / 1000) {
		char *body = NULL;
		if ((err = cf_kube_get(kube, &body, &ref)) == CF_ENOTFOUND)
			return 0;
		free(body);
		usleep(WAIT_POLL_US);
	}
	return cf_error_set(CF_ETIMEOUT, "%s/%s was not deleted in time", ref.kind, ref.name);
}

static const char *action_name(kc_action a)
{
	static const char *const names[] = {"created", "configured", "unchanged", "skipped", "deleted"};
	return names[a];
}

/*
 * Flux's message for a namespaced object without a namespace: its dry-run request has no
 * namespace in the path and the API server answers 404, which fluxcd/pkg/ssa reports this way.
 */
static int no_namespace_error(const json_t *obj)
{
	return cf_error_set(CF_EINVALID, "%s/%s namespace not specified: the server could not find the requested resource",
			    cf_object_str(obj, "kind"), cf_object_str(obj, "metadata.name"));
}

/* 1 when obj has no namespace but its kind is namespaced on the server (0 for unknown kinds). */
static int needs_namespace(cf_kube *kube, const json_t *obj)
{
	const char *ns = cf_object_str(obj, "metadata.namespace");
	cf_kube_resource res;

	if (ns && *ns)
		return 0;
	if (!cf_object_str(obj, "apiVersion") || !cf_object_str(obj, "kind") ||
	    cf_kube_resolve(kube, &res, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind")) < 0)
		return 0;
	return res.namespaced;
}

/*
 * Like Flux, which dry-runs a whole stage before applying any of it, a stage with an object that
 * cannot be placed is refused before anything in it is applied.
 */
static int check_stage(cf_kube *kube, json_t **objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (needs_namespace(kube, objs[i]))
			return no_namespace_error(objs[i]);
	return 0;
}

/* Applies one object and reports what happened. */
static int reconcile_object(kc_action *action, cf_kube *kube, json_t *obj, const kc_apply_opts *o)
{
	int force = o->force;
	int64_t timeout_ms = o->timeout_ms;
	cf_kube_ref ref = ref_of(obj);
	cf_kube_resource res;
	json_t *live = NULL, *dry = NULL, *a = NULL, *b = NULL;
	char *text = NULL;
	int err;

	if ((err = cf_kube_resolve(kube, &res, ref.api_version, ref.kind)) < 0)
		return cf_error_wrap(err, "%s/%s: ", ref.kind, ref.name);
	if (!res.namespaced)
		json_object_del(json_object_get(obj, "metadata"), "namespace");
	else if (!ref.namespace_ || !*ref.namespace_)
		return no_namespace_error(obj);
	ref = ref_of(obj);
	err = cf_kube_get(kube, &text, &ref);
	if (err < 0 && err != CF_ENOTFOUND)
		return err;
	if (err == 0 && (err = load_answer(&live, text)) < 0)
		return err;
	text = NULL;
	if (cf_object_meta_is(obj, KC_ANN_RECONCILE, "disabled") || cf_object_meta_is(obj, KC_ANN_SSA, "Ignore") ||
	    (live && (cf_object_meta_is(live, KC_ANN_RECONCILE, "disabled") || cf_object_meta_is(live, KC_ANN_SSA, "Ignore"))) ||
	    (live && cf_object_meta_is(obj, KC_ANN_SSA, "IfNotPresent"))) {
		*action = KC_SKIPPED;
		goto done;
	}
	/*
	 * The last run applied these very manifests, so our field set has not shrunk since (an apply
	 * would remove nothing) and a live object holding every desired value has not drifted: the
	 * dry run could only answer "unchanged". Any drift makes holds() fail and takes the dry run.
	 */
	if (live && o->applied_before && holds(live, obj)) {
		*action = KC_UNCHANGED;
		goto done;
	}
	if (live) {
		err = apply_one(&text, kube, obj, 1);
		if (err == CF_EINVALID_OBJ && (force || cf_object_meta_is(obj, KC_ANN_FORCE, "enabled")) &&
		    strstr(cf_error_last(), "immutable")) {
			if ((err = recreate(kube, obj, timeout_ms)) < 0 || (err = apply_one(NULL, kube, obj, 0)) < 0)
				goto done;
			*action = KC_CREATED;
			goto done;
		}
		if (err < 0 || (err = load_answer(&dry, text)) < 0)
			goto done;
		text = NULL;
		a = normalized(live);
		b = normalized(dry);
		if (json_equal(a, b)) {
			*action = KC_UNCHANGED;
			goto done;
		}
	}
	if ((err = apply_one(NULL, kube, obj, 0)) < 0)
		goto done;
	*action = live ? KC_CONFIGURED : KC_CREATED;
done:
	if (err < 0)
		err = cf_error_wrap(err, "%s/%s%s%s apply failed: ", ref.kind, ref.namespace_ ? ref.namespace_ : "",
				    ref.namespace_ ? "/" : "", ref.name);
	free(text);
	json_decref(a);
	json_decref(b);
	json_decref(live);
	json_decref(dry);
	return err;
}

/* Definitions must be usable before the next stage: CRDs Established, Namespaces Active. */
static int wait_definitions(cf_kube *kube, json_t **objs, size_t n, int64_t timeout_ms)
{
	for (int64_t waited = 0;; waited += WAIT_POLL_US / 1000) {
		const char *pending = NULL;
		for (size_t i = 0; i < n && !pending; i++) {
			json_t *live = NULL;
			char why[256];
			const char *kind = cf_object_str(objs[i], "kind");
			if (strcmp(kind, "ClusterRole") == 0)
				continue;
			if (cf_object_get(&live, kube, cf_object_str(objs[i], "apiVersion"), kind, NULL,
					  cf_object_str(objs[i], "metadata.name")) < 0 ||
			    kc_health_status(live, why, sizeof(why)) != 0)
				pending = cf_object_str(objs[i], "metadata.name");
			json_decref(live);
		}
		if (!pending)
			return 0;
		if (waited >= timeout_ms)
			return cf_error_set(CF_ETIMEOUT, "%s is not ready after %lldms", pending, (long long)timeout_ms);
		usleep(WAIT_POLL_US);
	}
}

int kc_apply_ids(json_t **out, cf_kube *kube, const json_t *objects)
{
	json_t *ids = json_array(), *o;
	size_t i;

	if (!ids)
		return CF_ENOMEM;
	json_array_foreach(objects, i, o) {
		cf_kube_ref ref = ref_of(o);
		cf_kube_resource res;
		char id[1024];
		/*
		 * A kind the server does not serve yet (its CRD comes in this apply) has no id to promise,
		 * nor has a namespaced object without a namespace: its apply fails, and an entry without
		 * a namespace could never be pruned.
		 */
		if (!ref.api_version || !ref.kind || cf_kube_resolve(kube, &res, ref.api_version, ref.kind) < 0)
			continue;
		if (res.namespaced && (!ref.namespace_ || !*ref.namespace_))
			continue;
		json_t *c = json_pack("{s:{s:O?,s:O?}}", "metadata", "name", json_object_get(json_object_get(o, "metadata"), "name"),
				      "namespace", res.namespaced ? json_object_get(json_object_get(o, "metadata"), "namespace") : NULL);
		json_object_set_new(c, "apiVersion", json_string(ref.api_version));
		json_object_set_new(c, "kind", json_string(ref.kind));
		kc_inventory_id(id, sizeof(id), c);
		json_decref(c);
		json_array_append_new(ids, json_pack("{s:s,s:s}", "id", id, "v", ref.api_version));
	}
	*out = ids;
	return 0;
}

int kc_apply(json_t **out, cf_kube *kube, json_t *objects, const kc_apply_opts *o)
{
	int64_t timeout_ms = o->timeout_ms;
	size_t n = json_array_size(objects);
	json_t **sorted = calloc(n ? n : 1, sizeof(*sorted)), *entries = json_array();
	int err = 0;

	if (!sorted || !entries) {
		free(sorted);
		json_decref(entries);
		return CF_ENOMEM;
	}
	for (int stage = 0; stage < 3 && err == 0; stage++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (stage_of(json_array_get(objects, i)) == stage)
				sorted[m++] = json_array_get(objects, i);
		qsort(sorted, m, sizeof(*sorted), by_order);
		if ((err = check_stage(kube, sorted, m)) < 0)
			break;
		for (size_t i = 0; i < m && err == 0; i++) {
			kc_action action = KC_UNCHANGED;
			char id[1024];
			if ((err = reconcile_object(&action, kube, sorted[i], o)) < 0)
				break;
			kc_inventory_id(id, sizeof(id), sorted[i]);
			json_array_append_new(entries, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s}", "id", id, "v",
				cf_object_str(sorted[i], "apiVersion"), "action", action_name(action), "kind",
				cf_object_str(sorted[i], "kind"), "namespace", cf_object_str(sorted[i], "metadata.namespace"),
				"name", cf_object_str(sorted[i], "metadata.name")));
		}
		if (err == 0 && stage == 0 && m > 0)
			err = wait_definitions(kube, sorted, m, timeout_ms);
	}
	free(sorted);
	/* The change set so far is returned on failure too, as Flux does. */
	*out = entries;
	return err;
}
