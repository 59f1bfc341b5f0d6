/* Request paths for resources: /api/v1/... for the core group, /apis/<group>/<version>/... else. */
#include "kube_int.h"

#include "cf/error.h"

#include <string.h>

/* A path segment must not be empty, "." or ".." (the server would resolve it elsewhere). */
static int segment_ok(const char *s)
{
	return s && *s && strcmp(s, ".") && strcmp(s, "..");
}

int cf_kube_path(char **out, const cf_kube_resource *res, const char *ns, const char *name,
                 const char *subresource)
{
	kube_buf b = { 0 };
	int err;

	if (!segment_ok(res->version) || !segment_ok(res->resource) ||
	    (*res->group && !segment_ok(res->group)) || (name && *name && !segment_ok(name)) ||
	    (ns && *ns && !segment_ok(ns)) || (subresource && !segment_ok(subresource)) ||
	    (subresource && (!name || !*name)))
		return cf_error_set(CF_EINVALID, "invalid path segment for %s", res->resource);
	if (*res->group)
		err = kube_buf_append(&b, "/apis/", 6) < 0 || kube_buf_escape(&b, res->group) < 0 ||
		      kube_buf_append(&b, "/", 1) < 0;
	else
		err = kube_buf_append(&b, "/api/", 5) < 0;
	if (err || kube_buf_escape(&b, res->version) < 0)
		goto fail;
	if (res->namespaced && ns && *ns &&
	    (kube_buf_append(&b, "/namespaces/", 12) < 0 || kube_buf_escape(&b, ns) < 0))
		goto fail;
	if (kube_buf_append(&b, "/", 1) < 0 || kube_buf_escape(&b, res->resource) < 0)
		goto fail;
	if (name && *name && (kube_buf_append(&b, "/", 1) < 0 || kube_buf_escape(&b, name) < 0))
		goto fail;
	if (subresource &&
	    (kube_buf_append(&b, "/", 1) < 0 || kube_buf_escape(&b, subresource) < 0))
		goto fail;
	*out = kube_buf_take(&b);
	return 0;
fail:
	kube_buf_free(&b);
	return cf_error_last_code();
}

int kube_ref_path(cf_kube *k, char **out, const cf_kube_ref *ref, int with_name,
                  const char *subresource, cf_kube_resource *out_res)
{
	cf_kube_resource res;
	int err;

	if (!ref || !ref->api_version || !ref->kind)
		return cf_error_set(CF_EINVALID, "apiVersion and kind are required");
	if (with_name && (!ref->name || !*ref->name))
		return cf_error_set(CF_EINVALID, "%s: a name is required", ref->kind);
	if ((err = cf_kube_resolve(k, &res, ref->api_version, ref->kind)) < 0)
		return err;
	if (with_name && res.namespaced && (!ref->namespace_ || !*ref->namespace_))
		return cf_error_set(CF_EINVALID, "%s %s: a namespace is required", ref->kind, ref->name);
	if (out_res)
		*out_res = res;
	return cf_kube_path(out, &res, ref->namespace_, with_name ? ref->name : NULL, subresource);
}
