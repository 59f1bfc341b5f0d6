/* coordination.k8s.io/v1 Leases for leader election: get, create and update with preconditions. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cf_kube_ref lease_ref(const char *ns, const char *name)
{
	return (cf_kube_ref){ "coordination.k8s.io/v1", "Lease", ns, name };
}

static int set_time(json_t *spec, const char *key, int64_t us)
{
	char buf[64];

	if (!us)
		return 0;
	kube_format_micro(buf, us);
	return json_object_set_new(spec, key, json_string(buf));
}

static char *lease_json(const char *ns, const char *name, const cf_kube_lease *l)
{
	json_t *root = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "coordination.k8s.io/v1",
	                         "kind", "Lease", "metadata", "name", name, "namespace", ns);
	json_t *spec = json_object();
	char *s = NULL;

	if (!root || !spec)
		goto done;
	if (*l->resource_version)
		json_object_set_new(json_object_get(root, "metadata"), "resourceVersion",
		                    json_string(l->resource_version));
	if (*l->holder_identity)
		json_object_set_new(spec, "holderIdentity", json_string(l->holder_identity));
	if (l->lease_duration_seconds)
		json_object_set_new(spec, "leaseDurationSeconds",
		                    json_integer(l->lease_duration_seconds));
	if (set_time(spec, "acquireTime", l->acquire_time_us) < 0 ||
	    set_time(spec, "renewTime", l->renew_time_us) < 0)
		goto done;
	json_object_set_new(spec, "leaseTransitions", json_integer(l->lease_transitions));
	json_object_set(root, "spec", spec);
	s = json_dumps(root, JSON_COMPACT);
done:
	json_decref(spec);
	json_decref(root);
	return s;
}

static int copy_str(char *dst, size_t size, const char *src, const char *what)
{
	if (!src)
		src = "";
	if (strlen(src) >= size)
		return cf_error_set(CF_ELIMIT, "lease %s longer than %zu bytes", what, size - 1);
	strcpy(dst, src);
	return 0;
}

static int get_time(int64_t *out, json_t *spec, const char *key)
{
	const char *s = json_string_value(json_object_get(spec, key));

	*out = 0;
	return s ? kube_parse_time(out, s) : 0;
}

static int lease_parse(cf_kube_lease *out, const char *body)
{
	json_t *root = json_loads(body, 0, NULL), *spec, *meta;
	cf_kube_lease l = { 0 };
	int err;

	if (!json_is_object(root)) {
		json_decref(root);
		return cf_error_set(CF_EPARSE, "lease: answer is not a JSON object");
	}
	spec = json_object_get(root, "spec");
	meta = json_object_get(root, "metadata");
	if ((err = copy_str(l.holder_identity, sizeof(l.holder_identity),
	                    json_string_value(json_object_get(spec, "holderIdentity")),
	                    "holderIdentity")) < 0 ||
	    (err = copy_str(l.resource_version, sizeof(l.resource_version),
	                    json_string_value(json_object_get(meta, "resourceVersion")),
	                    "resourceVersion")) < 0 ||
	    (err = get_time(&l.acquire_time_us, spec, "acquireTime")) < 0 ||
	    (err = get_time(&l.renew_time_us, spec, "renewTime")) < 0)
		goto done;
	l.lease_duration_seconds = (long)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
	l.lease_transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
	*out = l;
done:
	json_decref(root);
	return err;
}

int cf_kube_lease_get(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name)
{
	cf_kube_ref ref = lease_ref(namespace_, name);
	char *body = NULL;
	int err;

	if ((err = cf_kube_get(k, &body, &ref)) == 0)
		err = lease_parse(out, body);
	free(body);
	return err;
}

static int lease_write(cf_kube *k, cf_kube_lease *out, const char *ns, const char *name,
                       const cf_kube_lease *lease, int create)
{
	cf_kube_ref ref = lease_ref(ns, name);
	cf_kube_lease copy;
	char *json, *body = NULL;
	int err;

	if (!ns || !*ns || !name || !*name)
		return cf_error_set(CF_EINVALID, "lease: namespace and name are required");
	copy = *lease;
	if (create)
		copy.resource_version[0] = '\0';
	if (!(json = lease_json(ns, name, &copy)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = create ? cf_kube_create(k, &body, &ref, json, NULL) :
	               cf_kube_update(k, &body, &ref, json, NULL);
	if (err == 0)
		err = lease_parse(out, body);
	free(json);
	free(body);
	return err;
}

int cf_kube_lease_create(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name,
                         const cf_kube_lease *lease)
{
	return lease_write(k, out, namespace_, name, lease, 1);
}

int cf_kube_lease_update(cf_kube *k, cf_kube_lease *out, const char *namespace_, const char *name,
                         const cf_kube_lease *lease)
{
	if (!*lease->resource_version)
		return cf_error_set(CF_EINVALID, "lease update needs the resourceVersion last read");
	return lease_write(k, out, namespace_, name, lease, 0);
}
