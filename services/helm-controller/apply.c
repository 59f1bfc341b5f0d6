/*
 * Server-side apply of a rendered release as helm-controller's field manager: objects go in Helm's
 * install order (the renderer sorted them, crds/ first), and CRDs must be Established before the
 * objects that may use them. Then the wait, as Flux's, until kstatus says every object is Current.
 */
#include "hc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cf/error.h"
#include "cf/kstatus.h"
#include "cf/log.h"

#define WAIT_POLL_US 300000

static int is_crd(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion");

	return strcmp(cf_object_str(obj, "kind"), "CustomResourceDefinition") == 0 && av &&
	       strncmp(av, "apiextensions.k8s.io/", 21) == 0;
}

static int established(cf_kube *kube, const char *name)
{
	json_t *crd = NULL;
	int ok;

	if (cf_object_get(&crd, kube, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name) < 0)
		return 0;
	ok = cf_cond_has_status(crd, "Established", "True");
	json_decref(crd);
	return ok;
}

static int wait_crds(cf_kube *kube, const json_t *objects, size_t upto, int64_t timeout_ms)
{
	int64_t waited = 0;

	for (size_t i = 0; i < upto; i++) {
		const json_t *obj = json_array_get(objects, i);
		const char *name = cf_object_str(obj, "metadata.name");
		if (!is_crd(obj))
			continue;
		while (!established(kube, name)) {
			if (waited >= timeout_ms)
				return cf_error_set(CF_ETIMEOUT, "CustomResourceDefinition/%s is not established", name);
			usleep(WAIT_POLL_US);
			waited += WAIT_POLL_US / 1000;
		}
	}
	cf_kube_discovery_reset(kube);
	return 0;
}

static int apply_one(cf_kube *kube, const json_t *obj)
{
	cf_kube_write_opts wo = {.field_manager = HC_FIELD_MANAGER, .force = 1};
	char *body = json_dumps(obj, JSON_COMPACT);
	int err;

	if (!body)
		return CF_ENOMEM;
	err = cf_kube_patch(kube, NULL, NULL, CF_KUBE_PATCH_APPLY, body, &wo);
	free(body);
	if (err < 0) {
		const char *ns = cf_object_str(obj, "metadata.namespace");
		return cf_error_wrap(err, "%s/%s%s%s apply failed: ", cf_object_str(obj, "kind"), ns ? ns : "", ns ? "/" : "",
				     cf_object_str(obj, "metadata.name"));
	}
	return 0;
}

int hc_apply(cf_kube *kube, const json_t *objects, int64_t timeout_ms)
{
	size_t i, crds = 0;
	int err;

	for (i = 0; i < json_array_size(objects); i++) {
		const json_t *obj = json_array_get(objects, i);
		if (crds && crds == i && (err = wait_crds(kube, objects, i, timeout_ms)) < 0)
			return err;
		if ((err = apply_one(kube, obj)) < 0)
			return err;
		if (is_crd(obj) && crds == i)
			crds = i + 1;
	}
	/* CRDs applied on their own (before rendering) are established before the render that uses them. */
	return crds && crds == json_array_size(objects) ? wait_crds(kube, objects, crds, timeout_ms) : 0;
}

/* Flux (as Helm) does not wait for a paused apps/v1 Deployment: it will not roll out. */
static int skipped(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");

	return av && kind && strcmp(av, "apps/v1") == 0 && strcmp(kind, "Deployment") == 0 &&
	       json_is_true(json_object_get(json_object_get(obj, "spec"), "paused"));
}

static void log_not_current(void *ctx, const char *id, cf_kstatus status, const char *msg)
{
	(void)ctx;
	cf_log(CF_LOG_INFO, NULL, "%s is %s: %s", id, cf_kstatus_name(status), msg);
}

int hc_wait(cf_kube *kube, const json_t *objects, int64_t timeout_ms, int wait_jobs)
{
	cf_kstatus_wait_opts o = {
		.timeout_ms = timeout_ms,
		.poll_ms = WAIT_POLL_US / 1000,
		.jobs = wait_jobs ? CF_KSTATUS_JOBS_COMPLETE : CF_KSTATUS_JOBS_KSTATUS,
		.keep_current = 1,
		.log = log_not_current,
	};
	json_t *list = json_array(), *obj;
	size_t i;
	int err;

	if (!list)
		return cf_error_set(CF_ENOMEM, "out of memory");
	/* Objects Helm could not have applied (no apiVersion, kind or name) are not waited for either. */
	json_array_foreach (objects, i, obj) {
		if (cf_object_str(obj, "apiVersion") && cf_object_str(obj, "kind") && cf_object_str(obj, "metadata.name") &&
		    !skipped(obj) && json_array_append(list, obj) < 0) {
			json_decref(list);
			return cf_error_set(CF_ENOMEM, "out of memory");
		}
	}
	err = cf_kstatus_wait(kube, list, &o);
	json_decref(list);
	return err;
}

int hc_crds_policy(cf_kube *kube, json_t *objects, size_t *n_crds, const char *policy)
{
	int skip = strcmp(policy, "Skip") == 0, create = strcmp(policy, "Create") == 0;

	if (!skip && !create && strcmp(policy, "CreateReplace") != 0)
		return cf_error_set(CF_EINVALID, "invalid CRD policy '%s'", policy);
	for (size_t i = *n_crds; i-- > 0;) {
		json_t *obj = json_array_get(objects, i), *live = NULL;
		int drop = skip;
		if (!obj)
			continue;
		if (create && cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), NULL,
					    cf_object_str(obj, "metadata.name")) == 0)
			drop = 1;
		json_decref(live);
		if (drop) {
			json_array_remove(objects, i);
			(*n_crds)--;
		} else
			hc_caps_invalidate(); /* the CRD is about to be applied: the next render sees it */
	}
	return 0;
}
