/*
 * What an upgrade or rollback changes besides applying the new objects, as Helm's kube client
 * does: objects of the old manifest that the new one dropped are deleted (unless the live object
 * says helm.sh/resource-policy: keep), and with cleanupOnFail a failed upgrade deletes the
 * objects it created.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

#define RESOURCE_POLICY "helm.sh/resource-policy"

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Helm matches objects by group, kind, namespace and name; the version may change between charts. */
static void object_key(char *buf, size_t size, const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *slash = av ? strchr(av, '/') : NULL;
	const char *ns = cf_object_str(obj, "metadata.namespace");

	snprintf(buf, size, "%.*s/%s/%s/%s", slash ? (int)(slash - av) : 0, slash ? av : "", nz(cf_object_str(obj, "kind")),
		 ns ? ns : "", nz(cf_object_str(obj, "metadata.name")));
}

json_t *hc_objects_missing(const json_t *from, const json_t *in)
{
	json_t *keys = json_object(), *out = json_array(), *obj;
	char key[1200];
	size_t i;

	json_array_foreach(in, i, obj) {
		object_key(key, sizeof(key), obj);
		json_object_set_new(keys, key, json_true());
	}
	json_array_foreach(from, i, obj) {
		object_key(key, sizeof(key), obj);
		if (!json_object_get(keys, key))
			json_array_append(out, obj);
	}
	json_decref(keys);
	return out;
}

static void ref_of(cf_kube_ref *ref, const json_t *obj)
{
	*ref = (cf_kube_ref){cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"),
			     cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name")};
}

/* Deletes each object; gone already is fine. The first other error is returned, after trying all. */
static int delete_all(cf_kube *kube, const json_t *objects, int honour_keep, json_t *kept)
{
	cf_kube_write_opts wo = {.propagation_policy = "Background"};
	json_t *obj, *live = NULL;
	size_t i;
	int err, first = 0;

	json_array_foreach(objects, i, obj) {
		cf_kube_ref ref;
		ref_of(&ref, obj);
		if (!ref.api_version || !ref.kind || !ref.name)
			continue;
		if (honour_keep) {
			/* The live object decides, as Helm reads it back before deleting. */
			err = cf_object_get(&live, kube, ref.api_version, ref.kind, ref.namespace_, ref.name);
			const char *policy = err == 0 ? cf_object_meta(live, "annotations", RESOURCE_POLICY) : NULL;
			int keep = policy && strcmp(policy, "keep") == 0;
			json_decref(live);
			live = NULL;
			if (err == CF_ENOTFOUND)
				continue;
			if (keep) {
				if (kept)
					json_array_append(kept, obj);
				continue;
			}
		}
		err = cf_kube_delete(kube, NULL, &ref, &wo);
		if (err < 0 && err != CF_ENOTFOUND && !first)
			first = cf_error_wrap(err, "deleting %s/%s failed: ", ref.kind, ref.name);
	}
	return first;
}

int hc_prune_dropped(cf_kube *kube, const json_t *old_objects, const json_t *new_objects, json_t *kept)
{
	json_t *gone = hc_objects_missing(old_objects, new_objects);
	int err = delete_all(kube, gone, 1, kept);

	json_decref(gone);
	return err;
}

/* Helm's requireValue: "" when meta[key] is want, else why not. */
static void require_value(char *buf, size_t size, const json_t *obj, const char *where, const char *key, const char *want)
{
	const char *have = cf_object_meta(obj, where, key);

	if (!have)
		snprintf(buf, size, "missing key \"%s\": must be set to \"%s\"", key, want);
	else if (strcmp(have, want) != 0)
		snprintf(buf, size, "key \"%s\" must equal \"%s\": current value is \"%s\"", key, want, have);
	else
		buf[0] = '\0';
}

/* Helm's checkOwnership: an existing object may join the release only when it already says it belongs to it. */
static int check_owner(const json_t *live, const json_t *want, const char *release, const char *ns)
{
	static const struct { const char *where, *what, *key; } rules[] = {
		{"labels", "label", "app.kubernetes.io/managed-by"},
		{"annotations", "annotation", "meta.helm.sh/release-name"},
		{"annotations", "annotation", "meta.helm.sh/release-namespace"},
	};
	const char *values[] = {"Helm", release, ns};
	char msg[2048] = "invalid ownership metadata", one[600];
	size_t off = strlen(msg), i;
	int bad = 0;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		require_value(one, sizeof(one), live, rules[i].where, rules[i].key, values[i]);
		if (!one[0])
			continue;
		bad = 1;
		off += (size_t)snprintf(msg + off, off < sizeof(msg) ? sizeof(msg) - off : 0, "; %s validation error: %s",
					rules[i].what, one);
	}
	if (!bad)
		return 0;
	const char *obj_ns = cf_object_str(want, "metadata.namespace");
	return cf_error_set(CF_EEXISTS, "%s \"%s\" in namespace \"%s\" exists and cannot be imported into the current release: %s",
			    nz(cf_object_str(want, "kind")), nz(cf_object_str(want, "metadata.name")), obj_ns ? obj_ns : "", msg);
}

int hc_objects_lookup(json_t **absent, cf_kube *kube, const json_t *objects, const char *release, const char *ns,
		      int check_ownership)
{
	json_t *out = json_array(), *obj, *live = NULL;
	size_t i;
	int err = 0;

	json_array_foreach(objects, i, obj) {
		err = cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"),
				    cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name"));
		if (err == CF_ENOTFOUND) {
			json_array_append(out, obj);
			err = 0;
		} else if (err < 0) {
			err = cf_error_wrap(err, "could not get information about the resource %s \"%s\": ",
					    nz(cf_object_str(obj, "kind")), nz(cf_object_str(obj, "metadata.name")));
		} else if (check_ownership) {
			err = check_owner(live, obj, release, ns);
		}
		json_decref(live);
		live = NULL;
		if (err < 0)
			break;
	}
	if (err < 0) {
		json_decref(out);
		return err;
	}
	*absent = out;
	return 0;
}

int hc_cleanup_created(cf_kube *kube, const json_t *created)
{
	return delete_all(kube, created, 0, NULL);
}

/* One object through Helm's replace: created when absent, else PUT over the live version. */
static int replace_one(cf_kube *kube, const json_t *obj)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER};
	json_t *live = NULL, *body = json_deep_copy(obj);
	char *text = NULL;
	cf_kube_ref ref;
	int err;

	ref_of(&ref, obj);
	if (!body)
		return CF_ENOMEM;
	err = cf_object_get(&live, kube, ref.api_version, ref.kind, ref.namespace_, ref.name);
	if (err == 0)
		json_object_set(json_object_get(body, "metadata"), "resourceVersion",
				json_object_get(json_object_get(live, "metadata"), "resourceVersion"));
	if ((err == 0 || err == CF_ENOTFOUND) && !(text = json_dumps(body, JSON_COMPACT)))
		err = CF_ENOMEM;
	else if (err == 0)
		err = cf_kube_update(kube, NULL, NULL, text, &wo);
	else if (err == CF_ENOTFOUND)
		err = cf_kube_create(kube, NULL, NULL, text, &wo);
	if (err < 0)
		err = cf_error_wrap(err, "failed to replace object: %s/%s%s%s: ", nz(ref.kind), nz(ref.namespace_),
				    ref.namespace_ ? "/" : "", nz(ref.name));
	free(text);
	json_decref(live);
	json_decref(body);
	return err;
}

int hc_replace(cf_kube *kube, const json_t *objects)
{
	const json_t *obj;
	size_t i;
	int err;

	json_array_foreach(objects, i, obj)
		if ((err = replace_one(kube, obj)) < 0)
			return err;
	return 0;
}
