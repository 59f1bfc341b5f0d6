/*
 * Drift of a release's objects from its stored manifest, found as Flux finds it: a server-side
 * apply dry run of each object compared with the live object, less the paths the HelmRelease's
 * driftDetection.ignore rules name; objects annotated
 * helm.toolkit.fluxcd.io/driftDetection: disabled are left alone.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

#define DRIFT_ANNOTATION HC_GROUP "/driftDetection"

/* Fields the API server changes on every write; they are no drift. */
static void strip_volatile(json_t *obj)
{
	static const char *const meta[] = {"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", NULL};
	json_t *m = json_object_get(obj, "metadata");

	for (const char *const *k = meta; *k; k++)
		json_object_del(m, *k);
	json_object_del(obj, "status");
}

/* Removes the value at a JSON pointer ("/spec/replicas"); "~1" and "~0" unescaped as RFC 6901 says. */
static void remove_pointer(json_t *doc, const char *pointer)
{
	char buf[1024], *save = NULL, *tok, *next;
	json_t *cur = doc;

	if (!pointer || pointer[0] != '/' || snprintf(buf, sizeof(buf), "%s", pointer + 1) >= (int)sizeof(buf))
		return;
	for (tok = strtok_r(buf, "/", &save); tok && cur; tok = next) {
		char key[1024];
		size_t k = 0;
		next = strtok_r(NULL, "/", &save);
		for (const char *p = tok; *p && k + 1 < sizeof(key); p++) {
			if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
				key[k++] = p[1] == '0' ? '~' : '/';
				p++;
			} else {
				key[k++] = *p;
			}
		}
		key[k] = '\0';
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(key, &end, 10);
			if (*end || i < 0)
				return;
			if (!next) {
				json_array_remove(cur, (size_t)i);
				return;
			}
			cur = json_array_get(cur, (size_t)i);
		} else {
			if (!next) {
				json_object_del(cur, key);
				return;
			}
			cur = json_object_get(cur, key);
		}
	}
}

/* An ignore rule applies to obj when its target (if any) matches kind, name, namespace, group and version. */
static int targets(const json_t *rule, const json_t *obj)
{
	const json_t *t = json_object_get(rule, "target");
	const char *av = cf_object_str(obj, "apiVersion"), *slash = av ? strrchr(av, '/') : NULL;
	char group[256];
	static const char *const fields[] = {"kind", "name", "namespace", NULL};
	static const char *const paths[] = {"kind", "metadata.name", "metadata.namespace", NULL};

	if (!t)
		return 1;
	for (size_t i = 0; fields[i]; i++) {
		const char *want = cf_object_str(t, fields[i]), *have = cf_object_str(obj, paths[i]);
		if (want && *want && (!have || strcmp(want, have) != 0))
			return 0;
	}
	snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - av) : 0, av ? av : "");
	if (cf_object_str(t, "group") && strcmp(cf_object_str(t, "group"), group) != 0)
		return 0;
	return !cf_object_str(t, "version") || (slash && strcmp(cf_object_str(t, "version"), slash + 1) == 0);
}

static void apply_ignores(json_t *doc, const json_t *obj, const json_t *rules)
{
	const json_t *rule, *path;
	size_t i, j;

	json_array_foreach(rules, i, rule) {
		if (!targets(rule, obj))
			continue;
		json_array_foreach(json_object_get(rule, "paths"), j, path)
			remove_pointer(doc, json_string_value(path));
	}
}

/* Appends a key to a JSON pointer, escaped as RFC 6901 says ("~" as "~0", "/" as "~1"). */
static int pointer_push(char *path, size_t size, size_t len, const char *key)
{
	size_t n = len;

	if (n + 1 >= size)
		return -1;
	path[n++] = '/';
	for (const char *p = key; *p; p++) {
		const char *esc = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
		size_t add = esc ? 2 : 1;
		if (n + add >= size)
			return -1;
		memcpy(path + n, esc ? esc : p, add);
		n += add;
	}
	path[n] = '\0';
	return 0;
}

static void op(json_t *ops, const char *name, const char *path, const json_t *value)
{
	json_t *o = json_pack("{s:s,s:s}", "op", name, "path", path);

	if (value)
		json_object_set(o, "value", (json_t *)value);
	json_array_append_new(ops, o);
}

/*
 * A JSON Patch (RFC 6902) taking live to want: members added, removed or replaced, objects
 * compared member by member and anything else (arrays included) replaced whole. As Flux corrects
 * drift, only what differs is written, so the paths ignore rules took out stay as they are.
 */
static void diff(json_t *ops, const json_t *live, const json_t *want, char *path, size_t size)
{
	size_t len = strlen(path);
	const char *key;
	json_t *v;

	if (!json_is_object(live) || !json_is_object(want)) {
		if (!json_equal(live, want))
			op(ops, "replace", path, want);
		return;
	}
	json_object_foreach((json_t *)live, key, v) {
		if (json_object_get(want, key) || pointer_push(path, size, len, key) < 0)
			continue;
		op(ops, "remove", path, NULL);
		path[len] = '\0';
	}
	json_object_foreach((json_t *)want, key, v) {
		json_t *had = json_object_get(live, key);
		if ((had && json_equal(had, v)) || pointer_push(path, size, len, key) < 0)
			continue;
		if (had)
			diff(ops, had, v, path, size);
		else
			op(ops, "add", path, v);
		path[len] = '\0';
	}
}

json_t *hc_drift_patch(const json_t *live, const json_t *want)
{
	char path[4096] = "";
	json_t *ops = json_array();

	diff(ops, live, want, path, sizeof(path));
	return ops;
}

/* "changed" (with *patch, the JSON Patch that corrects it), "removed" or NULL (no drift) for one object. */
static const char *drift_of(json_t **patch, cf_kube *kube, const json_t *obj, const json_t *rules)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1, .dry_run = 1};
	json_t *live = NULL, *want = NULL;
	char *body = json_dumps(obj, JSON_COMPACT), *out = NULL;
	const char *res = NULL;

	if (!body)
		return NULL;
	if (cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"),
			  cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name")) == CF_ENOTFOUND) {
		res = "removed";
		goto done;
	}
	if (!live || cf_object_meta_is(live, DRIFT_ANNOTATION, "disabled") ||
	    cf_kube_patch(kube, &out, NULL, CF_KUBE_PATCH_APPLY, body, &wo) < 0 || !(want = json_loads(out, 0, NULL)))
		goto done;
	strip_volatile(live);
	strip_volatile(want);
	apply_ignores(live, obj, rules);
	apply_ignores(want, obj, rules);
	if (!json_equal(live, want)) {
		res = "changed";
		*patch = hc_drift_patch(live, want);
	}
done:
	free(body);
	free(out);
	json_decref(live);
	json_decref(want);
	return res;
}

int hc_drift_detect(json_t **drifted, cf_kube *kube, const json_t *objects, const json_t *ignore)
{
	json_t *list = json_array(), *obj;
	size_t i;

	json_array_foreach(objects, i, obj) {
		json_t *patch = NULL;
		const char *what = drift_of(&patch, kube, obj, ignore), *ns = cf_object_str(obj, "metadata.namespace");
		char line[1200];
		if (!what)
			continue;
		snprintf(line, sizeof(line), "%s/%s%s%s %s", cf_object_str(obj, "kind"), ns ? ns : "", ns ? "/" : "",
			 cf_object_str(obj, "metadata.name"), what);
		json_array_append_new(list, json_pack("{s:s,s:O,s:o*}", "text", line, "object", obj, "patch", patch));
	}
	*drifted = list;
	return 0;
}

int hc_drift_correct(cf_kube *kube, const json_t *drifted, int64_t timeout_ms)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER};
	const json_t *obj = json_object_get(drifted, "object"), *patch = json_object_get(drifted, "patch");
	json_t *one;
	char *body;
	int err;

	if (!patch) {
		one = json_pack("[O]", obj);
		err = hc_apply(kube, one, timeout_ms);
		json_decref(one);
		return err;
	}
	if (!(body = json_dumps(patch, JSON_COMPACT)))
		return CF_ENOMEM;
	cf_kube_ref ref = {cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), cf_object_str(obj, "metadata.namespace"),
			   cf_object_str(obj, "metadata.name")};
	err = cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_JSON, body, &wo);
	free(body);
	if (err < 0)
		return cf_error_wrap(err, "%s/%s: ", ref.kind, ref.name);
	return 0;
}
