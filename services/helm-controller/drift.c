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

/* "changed", "removed" or NULL (no drift) for one object. */
static const char *drift_of(cf_kube *kube, const json_t *obj, const json_t *rules)
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
	if (!json_equal(live, want))
		res = "changed";
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
		const char *what = drift_of(kube, obj, ignore), *ns = cf_object_str(obj, "metadata.namespace");
		char line[1200];
		if (!what)
			continue;
		snprintf(line, sizeof(line), "%s/%s%s%s %s", cf_object_str(obj, "kind"), ns ? ns : "", ns ? "/" : "",
			 cf_object_str(obj, "metadata.name"), what);
		json_array_append_new(list, json_pack("{s:s,s:O}", "text", line, "object", obj));
	}
	*drifted = list;
	return 0;
}
