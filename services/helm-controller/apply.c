/*
 * Server-side apply of a rendered release as helm-controller's field manager: objects go in Helm's
 * install order (the renderer sorted them, crds/ first), and CRDs must be Established before the
 * objects that may use them.
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
