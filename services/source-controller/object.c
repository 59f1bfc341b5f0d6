/* Object plumbing shared by source-controller's kinds: get, finalizers, status patches, Events, Secrets. */
#define _XOPEN_SOURCE 700
#include "sc.h"

#include <ftw.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/duration.h"
#include "cf/error.h"
#include "cf/log.h"

const char *sc_str(const json_t *obj, const char *path)
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

int64_t sc_interval_ms(const json_t *obj, const char *field, int64_t dflt_ms)
{
	const char *s = sc_str(obj, field);
	int64_t ns;

	if (!s || cf_duration_parse(&ns, s) < 0 || ns <= 0)
		return dflt_ms;
	return CF_DURATION_MS(ns);
}

int sc_object_get(json_t **out, sc_env *env, const char *api_version, const char *kind,
		  const char *ns, const char *name)
{
	cf_kube_ref ref = {api_version, kind, ns, name};
	char *body = NULL;
	json_t *obj;
	int err;

	if ((err = cf_kube_get(env->kube, &body, &ref)) < 0)
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
		if (json_is_string(f) && strcmp(json_string_value(f), SC_FINALIZER) == 0)
			return 1;
	return 0;
}

static cf_kube_ref ref_of(const json_t *obj)
{
	cf_kube_ref ref = {
		sc_str(obj, "apiVersion"), sc_str(obj, "kind"), sc_str(obj, "metadata.namespace"),
		sc_str(obj, "metadata.name"),
	};
	return ref;
}

int sc_object_finalizer(sc_env *env, json_t *obj, int add)
{
	json_t *meta = json_object_get(obj, "metadata"), *fins, *next = NULL, *patch = NULL;
	cf_kube_ref ref = ref_of(obj);
	char *body = NULL;
	size_t i;
	json_t *f;
	int err = 0;

	if (has_finalizer(obj) == add)
		return 0;
	fins = json_object_get(meta, "finalizers");
	next = json_array();
	json_array_foreach(fins, i, f)
		if (add || strcmp(json_string_value(f), SC_FINALIZER) != 0)
			json_array_append(next, f);
	if (add)
		json_array_append_new(next, json_string(SC_FINALIZER));
	/* The resourceVersion makes this a compare-and-swap: finalizers are a shared list. */
	patch = json_pack("{s:{s:O,s:s}}", "metadata", "finalizers", next, "resourceVersion",
			  sc_str(obj, "metadata.resourceVersion"));
	body = json_dumps(patch, JSON_COMPACT);
	err = cf_kube_patch(env->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
	if (err == 0)
		json_object_set(meta, "finalizers", next);
	free(body);
	json_decref(patch);
	json_decref(next);
	return err;
}

int sc_object_patch_status(sc_env *env, const json_t *old, json_t *obj)
{
	json_t *status = json_object_get(obj, "status");
	json_t *old_status = json_object_get(old, "status");
	json_t *patch_status = json_deep_copy(status ? status : json_object());
	const char *key;
	json_t *v;
	char *body = NULL;
	cf_kube_ref ref = ref_of(obj);
	int err;

	/* Keys that disappeared must be nulled, or a merge patch would keep them. */
	json_object_foreach((json_t *)old_status, key, v)
		if (!json_object_get(patch_status, key))
			json_object_set_new(patch_status, key, json_null());
	if (old_status && json_equal(old_status, patch_status)) {
		json_decref(patch_status);
		return 0;
	}
	json_t *patch = json_pack("{s:o}", "status", patch_status);
	body = json_dumps(patch, JSON_COMPACT);
	err = cf_kube_patch_status(env->kube, NULL, &ref, CF_KUBE_PATCH_MERGE, body, NULL);
	free(body);
	json_decref(patch);
	return err;
}

void sc_object_event(sc_env *env, const json_t *obj, const char *type, const char *reason,
		     const char *revision, const char *fmt, ...)
{
	char msg[1024];
	const char *annotations[] = {"source.toolkit.fluxcd.io/revision", revision, NULL};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_kube_event ev = {
		.api_version = sc_str(obj, "apiVersion"),
		.kind = sc_str(obj, "kind"),
		.namespace_ = sc_str(obj, "metadata.namespace"),
		.name = sc_str(obj, "metadata.name"),
		.uid = sc_str(obj, "metadata.uid"),
		.resource_version = sc_str(obj, "metadata.resourceVersion"),
		.type = type,
		.reason = reason,
		.message = msg,
		.reporting_controller = SC_CONTROLLER,
		.annotations = revision ? annotations : NULL,
	};
	/* An Event that cannot be written must not fail the reconcile. */
	if (cf_kube_event_record(env->kube, &ev) < 0)
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
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0) {
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

int sc_secret_get(json_t **out, sc_env *env, const char *ns, const char *name)
{
	json_t *secret = NULL, *res = NULL, *v;
	const char *key;
	int err;

	if ((err = sc_object_get(&secret, env, "v1", "Secret", ns, name)) < 0) {
		if (err == CF_ENOTFOUND)
			cf_error_set(err, "failed to get secret '%s/%s': secrets \"%s\" not found", ns, name, name);
		return err;
	}
	res = json_object();
	json_object_foreach(json_object_get(secret, "data"), key, v) {
		char *plain = json_is_string(v) ? b64_decode(json_string_value(v)) : NULL;
		if (!plain) {
			err = cf_error_set(CF_EINVALID, "secret '%s/%s': key '%s' is not valid base64", ns, name, key);
			goto done;
		}
		json_object_set_new(res, key, json_string_nocheck(plain));
		free(plain);
	}
	/* stringData is write-only on the server, but tolerate objects that still carry it. */
	json_object_foreach(json_object_get(secret, "stringData"), key, v)
		json_object_set(res, key, v);
	*out = res;
	res = NULL;
done:
	json_decref(res);
	json_decref(secret);
	return err;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

void sc_rmtree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		cf_log_debug(NULL, "removing %s failed", path);
}
