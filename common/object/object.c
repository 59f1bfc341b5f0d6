/* Object plumbing shared by the reconcilers: field access, finalizers, status patches, Events, data sources. */
#define _XOPEN_SOURCE 700
#include "cf/object.h"

#include <ftw.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "cf/log.h"

const char *cf_object_str(const json_t *obj, const char *path)
{
	char key[128];
	const char *p = path, *dot;

	while (obj && (dot = strchr(p, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		obj = json_object_get(obj, key);
		p = dot + 1;
	}
	return obj ? json_string_value(json_object_get(obj, p)) : NULL;
}

int64_t cf_object_duration_ms(const json_t *obj, const char *path, int64_t dflt_ms)
{
	const char *s = cf_object_str(obj, path);
	int64_t ns;

	if (!s || cf_duration_parse(&ns, s) < 0 || ns <= 0)
		return dflt_ms;
	return CF_DURATION_MS(ns);
}

const char *cf_object_meta(const json_t *obj, const char *which, const char *key)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), which), key));
}

int cf_object_meta_is(const json_t *obj, const char *key, const char *value)
{
	const char *l = cf_object_meta(obj, "labels", key), *a = cf_object_meta(obj, "annotations", key);

	return (l && strcasecmp(l, value) == 0) || (a && strcasecmp(a, value) == 0);
}

int cf_object_get(json_t **out, cf_kube *kube, const char *api_version, const char *kind,
		  const char *ns, const char *name)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char *body = NULL;
	json_t *obj;
	int err;

	if ((err = cf_kube_get(kube, &body, &ref)) < 0)
		return err;
	obj = json_loads(body, 0, NULL);
	free(body);
	if (!obj)
		return cf_error_set(CF_EPARSE, "%s %s/%s: the API server sent invalid JSON", kind, ns, name);
	*out = obj;
	return 0;
}

static int has_finalizer(const json_t *obj)
{
	json_t *fins = json_object_get(json_object_get(obj, "metadata"), "finalizers");
	size_t i;
	json_t *f;

	json_array_foreach(fins, i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), CF_OBJECT_FINALIZER) == 0)
			return 1;
	return 0;
}

static cf_kube_ref ref_of(const json_t *obj)
{
	cf_kube_ref ref = {
		cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), cf_object_str(obj, "metadata.namespace"),
		cf_object_str(obj, "metadata.name"),
	};
	return ref;
}

int cf_object_finalizer(cf_kube *kube, json_t *obj, int add)
{
	json_t *meta = json_object_get(obj, "metadata"), *fins, *next, *patch;
	cf_kube_ref ref = ref_of(obj);
	char *body;
	size_t i;
	json_t *f;
	int err;

	if (has_finalizer(obj) == add)
		return 0;
	fins = json_object_get(meta, "finalizers");
	next = json_array();
	json_array_foreach(fins, i, f)
		if (add || !json_is_string(f) || strcmp(json_string_value(f), CF_OBJECT_FINALIZER) != 0)
			json_array_append(next, f);
	if (add)
		json_array_append_new(next, json_string(CF_OBJECT_FINALIZER));
	/* The resourceVersion makes this a compare-and-swap: finalizers are a shared list. */
	patch = json_pack("{s:{s:O,s:s?}}", "metadata", "finalizers", next, "resourceVersion",
			  cf_object_str(obj, "metadata.resourceVersion"));
	body = json_dumps(patch, JSON_COMPACT);
	err = body ? cf_kube_patch(kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL) : CF_ENOMEM;
	if (err == 0)
		json_object_set(meta, "finalizers", next);
	free(body);
	json_decref(patch);
	json_decref(next);
	return err;
}

int cf_object_patch_status(cf_kube *kube, const json_t *old, json_t *obj)
{
	json_t *status = json_object_get(obj, "status");
	json_t *old_status = json_object_get(old, "status");
	json_t *patch_status = json_deep_copy(status ? status : json_object());
	cf_kube_ref ref = ref_of(obj);
	const char *key;
	json_t *v, *patch;
	char *body;
	int err;

	/* Keys that disappeared must be nulled, or a merge patch would keep them. */
	json_object_foreach((json_t *)old_status, key, v)
		if (!json_object_get(patch_status, key))
			json_object_set_new(patch_status, key, json_null());
	if (old_status && json_equal(old_status, patch_status)) {
		json_decref(patch_status);
		return 0;
	}
	patch = json_pack("{s:o}", "status", patch_status);
	body = json_dumps(patch, JSON_COMPACT);
	err = body ? cf_kube_patch_status(kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL) : CF_ENOMEM;
	free(body);
	json_decref(patch);
	return err;
}

void cf_object_event(cf_kube *kube, const cf_object_reporter *who, const json_t *obj, const char *type,
		     const char *reason,
		     const char *revision, const char *fmt, ...)
{
	char msg[4096];
	const char *annotations[] = {who->revision_annotation, revision, NULL};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_kube_event ev = {
		.api_version = cf_object_str(obj, "apiVersion"),
		.kind = cf_object_str(obj, "kind"),
		.namespace_ = cf_object_str(obj, "metadata.namespace"),
		.name = cf_object_str(obj, "metadata.name"),
		.uid = cf_object_str(obj, "metadata.uid"),
		.resource_version = cf_object_str(obj, "metadata.resourceVersion"),
		.type = type,
		.reason = reason,
		.message = msg,
		.reporting_controller = who->controller,
		.annotations = revision ? annotations : NULL,
	};
	/* An Event that cannot be written must not fail the reconcile. */
	if (cf_kube_event_record(kube, &ev) < 0)
		cf_log_debug(NULL, "recording event failed: %s", cf_error_last());
}

/* Decodes standard base64 into a NUL-terminated string; NULL on bad input. */
static char *b64_decode(const char *in)
{
	size_t len = strlen(in), pad = 0;
	unsigned char *out;
	int n;

	if (len % 4 != 0)
		return NULL;
	if (!(out = malloc(len / 4 * 3 + 1)))
		return NULL;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding as zero bytes. */
	if (len >= 1 && in[len - 1] == '=')
		pad++;
	if (len >= 2 && in[len - 2] == '=')
		pad++;
	out[n - (int)pad] = '\0';
	return (char *)out;
}

int cf_object_data(json_t **out, cf_kube *kube, const char *kind, const char *ns, const char *name)
{
	int secret = strcmp(kind, "Secret") == 0;
	json_t *obj = NULL, *res = NULL, *v;
	const char *key;
	int err;

	if ((err = cf_object_get(&obj, kube, "v1", kind, ns, name)) < 0)
		return err;
	res = json_object();
	json_object_foreach(json_object_get(obj, "data"), key, v) {
		char *plain = NULL;
		if (!json_is_string(v))
			continue;
		if (secret && !(plain = b64_decode(json_string_value(v)))) {
			err = cf_error_set(CF_EINVALID, "Secret '%s/%s': key '%s' is not valid base64", ns, name, key);
			goto done;
		}
		json_object_set_new(res, key, json_string(secret ? plain : json_string_value(v)));
		free(plain);
	}
	*out = res;
	res = NULL;
done:
	json_decref(res);
	json_decref(obj);
	return err;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

void cf_object_rmtree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		cf_log_debug(NULL, "removing %s failed", path);
}

/* The Ready condition of obj's status, or NULL. */
static const json_t *ready_condition(const json_t *obj)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		if (type && strcmp(type, "Ready") == 0)
			return c;
	}
	return NULL;
}

int cf_object_publish_result(cf_bus_pub *bus, const char *controller, const char *kind, const json_t *obj,
			     const char *revision, uint64_t duration_ms)
{
	const json_t *ready = ready_condition(obj);
	const char *status = cf_object_str(ready, "status");
	cf_bus_msg m = {.type = CF_BUS_RECONCILE_RESULT};

	if (!bus)
		return 0;
	m.body.reconcile_result = (cf_bus_reconcile_result){
		.controller = controller,
		.kind = kind,
		.namespace_ = cf_object_str(obj, "metadata.namespace"),
		.name = cf_object_str(obj, "metadata.name"),
		.generation = json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation")),
		.ready = status && strcmp(status, "True") == 0,
		.reason = cf_object_str(ready, "reason"),
		.message = cf_object_str(ready, "message"),
		.revision = revision,
		.duration_ms = duration_ms,
	};
	return cf_bus_pub_send(bus, &m);
}
