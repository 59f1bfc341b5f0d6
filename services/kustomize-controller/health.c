/*
 * Health checks as Flux's kustomize-controller runs them (fluxcd/pkg/ssa WaitForSet, fail-fast):
 * the common kstatus wait, with Flux's Job reader for batch Jobs, over the objects checked.
 */
#include "kc.h"

#include "cf/error.h"
#include "cf/kstatus.h"
#include "cf/log.h"

#define POLL_MS 1000

int kc_health_status(const json_t *obj, char *why, size_t why_size)
{
	return cf_kstatus_read(obj, CF_KSTATUS_JOBS_COMPLETE, why, why_size);
}

static void log_not_current(void *ctx, const char *id, cf_kstatus status, const char *msg)
{
	(void)ctx;
	cf_log(CF_LOG_DEBUG, NULL, "health check: %s is %s: %s", id, cf_kstatus_name(status), msg);
}

/* Sets key to the string at ref's key, when ref has one. */
static int copy_str(json_t *to, const char *key, const json_t *ref, const char *from)
{
	const json_t *v = json_object_get(ref, from);

	return json_is_string(v) ? json_object_set_new(to, key, json_copy((json_t *)v)) : 0;
}

/* A health check ref {apiVersion, kind, name, namespace} as the object form cf_kstatus_wait reads (new). */
static json_t *as_object(const json_t *ref)
{
	json_t *obj = json_object(), *meta = json_object();

	if (!obj || !meta || copy_str(obj, "apiVersion", ref, "apiVersion") < 0 || copy_str(obj, "kind", ref, "kind") < 0 ||
	    copy_str(meta, "name", ref, "name") < 0 || copy_str(meta, "namespace", ref, "namespace") < 0 ||
	    json_object_set(obj, "metadata", meta) < 0) {
		json_decref(meta);
		json_decref(obj);
		return NULL;
	}
	json_decref(meta);
	return obj;
}

int kc_health_wait(cf_kube *kube, const json_t *refs, int64_t timeout_ms)
{
	cf_kstatus_wait_opts o = {
		.timeout_ms = timeout_ms,
		.poll_ms = POLL_MS,
		.jobs = CF_KSTATUS_JOBS_COMPLETE,
		.keep_current = 0,
		.log = log_not_current,
	};
	json_t *objects = json_array();
	const json_t *ref;
	size_t i;
	int err = CF_ENOMEM;

	if (!objects)
		return cf_error_set(CF_ENOMEM, "out of memory");
	json_array_foreach (refs, i, ref) {
		if (json_array_append_new(objects, as_object(ref)) < 0) {
			cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
	}
	err = cf_kstatus_wait(kube, objects, &o);
done:
	json_decref(objects);
	return err;
}
