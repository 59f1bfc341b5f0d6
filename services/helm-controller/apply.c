/*
 * Server-side apply of a rendered release as helm-controller's field manager: objects go in Helm's
 * install order (the renderer sorted them, crds/ first), and CRDs must be Established before the
 * objects that may use them.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cf/error.h"

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
	return 0;
}

static int is_deployment(const json_t *obj)
{
	const char *av = cf_object_str(obj, "apiVersion"), *kind = cf_object_str(obj, "kind");

	return av && kind && strcmp(av, "apps/v1") == 0 && strcmp(kind, "Deployment") == 0;
}

/* kstatus's Current for a Deployment: the controller saw this generation and rolled all replicas out. */
static int rolled_out(cf_kube *kube, const json_t *want)
{
	json_t *live = NULL, *st;
	int64_t replicas;
	int ok;

	if (cf_object_get(&live, kube, "apps/v1", "Deployment", cf_object_str(want, "metadata.namespace"),
			  cf_object_str(want, "metadata.name")) < 0)
		return 0;
	st = json_object_get(live, "status");
	replicas = json_is_integer(json_object_get(json_object_get(live, "spec"), "replicas")) ?
			   json_integer_value(json_object_get(json_object_get(live, "spec"), "replicas")) : 1;
	ok = json_integer_value(json_object_get(st, "observedGeneration")) >=
		     json_integer_value(json_object_get(json_object_get(live, "metadata"), "generation")) &&
	     json_integer_value(json_object_get(st, "updatedReplicas")) >= replicas &&
	     json_integer_value(json_object_get(st, "availableReplicas")) >= replicas &&
	     json_integer_value(json_object_get(st, "replicas")) <= replicas;
	json_decref(live);
	return ok;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hc_wait(cf_kube *kube, const json_t *objects, int64_t timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t i;

	for (i = 0; i < json_array_size(objects); i++) {
		const json_t *obj = json_array_get(objects, i);
		if (!is_deployment(obj))
			continue;
		while (!rolled_out(kube, obj)) {
			if (mono_ms() >= deadline)
				return cf_error_set(CF_ETIMEOUT, "timed out waiting for Deployment/%s/%s to become ready",
						    cf_object_str(obj, "metadata.namespace"), cf_object_str(obj, "metadata.name"));
			usleep(WAIT_POLL_US);
		}
	}
	return 0;
}

int hc_crds_policy(cf_kube *kube, json_t *objects, size_t n_crds, const char *policy)
{
	int skip = strcmp(policy, "Skip") == 0, create = strcmp(policy, "Create") == 0;

	if (!skip && !create && strcmp(policy, "CreateReplace") != 0)
		return cf_error_set(CF_EINVALID, "invalid CRD policy '%s'", policy);
	for (size_t i = n_crds; i-- > 0;) {
		json_t *obj = json_array_get(objects, i), *live = NULL;
		int drop = skip;
		if (!obj)
			continue;
		if (create && cf_object_get(&live, kube, cf_object_str(obj, "apiVersion"), cf_object_str(obj, "kind"), NULL,
					    cf_object_str(obj, "metadata.name")) == 0)
			drop = 1;
		json_decref(live);
		if (drop)
			json_array_remove(objects, i);
		else
			hc_caps_invalidate(); /* the CRD is about to be applied: the next render sees it */
	}
	return 0;
}
