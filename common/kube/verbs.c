/* get, list, create, update, patch and delete on JSON objects, incl. the status subresource. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdlib.h>
#include <string.h>

/* The ref of a write: the caller's, completed from the body's apiVersion/kind/metadata. */
typedef struct {
	cf_kube_ref ref;
	json_t *root;
} body_ref;

static int body_ref_init(body_ref *br, const cf_kube_ref *ref, const char *body)
{
	json_t *meta;

	memset(br, 0, sizeof(*br));
	if (ref)
		br->ref = *ref;
	if (ref && ref->api_version && ref->kind && ref->namespace_ && ref->name)
		return 0;
	if (!body || !(br->root = json_loads(body, 0, NULL)) ||
	    !json_is_object(br->root)) {
		if (ref)
			return 0; /* a YAML apply body or a partial patch: the ref stands alone */
		return cf_error_set(CF_EINVALID, "body is not a JSON object and no ref was given");
	}
	meta = json_object_get(br->root, "metadata");
	if (!br->ref.api_version)
		br->ref.api_version = json_string_value(json_object_get(br->root, "apiVersion"));
	if (!br->ref.kind)
		br->ref.kind = json_string_value(json_object_get(br->root, "kind"));
	if (!br->ref.namespace_)
		br->ref.namespace_ = json_string_value(json_object_get(meta, "namespace"));
	if (!br->ref.name)
		br->ref.name = json_string_value(json_object_get(meta, "name"));
	return 0;
}

static void body_ref_free(body_ref *br)
{
	json_decref(br->root);
}

static int write_query(kube_buf *b, const cf_kube_write_opts *o, int apply)
{
	int err = 0;

	if (!o)
		return 0;
	if ((err = kube_buf_query(b, "fieldManager", o->field_manager)) < 0 ||
	    (apply && o->force && (err = kube_buf_query(b, "force", "true")) < 0) ||
	    (o->dry_run && (err = kube_buf_query(b, "dryRun", "All")) < 0))
		return err;
	return 0;
}

/* Path of ref (+ subresource) into b; name required unless for_create. */
static int ref_path(cf_kube *k, kube_buf *b, const cf_kube_ref *ref, int for_create,
                    const char *sub)
{
	cf_kube_resource res;
	char *p = NULL;
	int err;

	if ((err = kube_ref_path(k, &p, ref, !for_create, sub, &res)) < 0)
		return err;
	if (for_create && res.namespaced && (!ref->namespace_ || !*ref->namespace_))
		err = cf_error_set(CF_EINVALID, "%s: a namespace is required", ref->kind);
	else
		err = kube_buf_append(b, p, strlen(p));
	free(p);
	return err;
}

static int send_body(cf_kube *k, char **out, const char *method, const char *path,
                     const char *ctype, const char *body)
{
	kube_req req = { .method = method, .path = path, .content_type = ctype, .body = body,
	                 .body_len = body ? strlen(body) : 0 };

	return kube_do(k, &req, out, NULL);
}

static int get_sub(cf_kube *k, char **out, const cf_kube_ref *ref, const char *sub)
{
	kube_buf path = { 0 };
	kube_req req = { .method = "GET" };
	int err;

	if ((err = ref_path(k, &path, ref, 0, sub)) < 0)
		goto done;
	req.path = path.data;
	err = kube_do(k, &req, out, NULL);
done:
	kube_buf_free(&path);
	return err;
}

int cf_kube_get(cf_kube *k, char **out, const cf_kube_ref *ref)
{
	return get_sub(k, out, ref, NULL);
}

int cf_kube_get_status(cf_kube *k, char **out, const cf_kube_ref *ref)
{
	return get_sub(k, out, ref, "status");
}

int cf_kube_create(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                   const cf_kube_write_opts *opts)
{
	kube_buf path = { 0 };
	body_ref br;
	int err;

	if (!body)
		return cf_error_set(CF_EINVALID, "create: no body");
	if ((err = body_ref_init(&br, ref, body)) < 0 ||
	    (err = ref_path(k, &path, &br.ref, 1, NULL)) < 0 || (err = write_query(&path, opts, 0)) < 0)
		goto done;
	err = send_body(k, out, "POST", path.data, "application/json", body);
done:
	body_ref_free(&br);
	kube_buf_free(&path);
	return err;
}

static int update_sub(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                      const cf_kube_write_opts *opts, const char *sub)
{
	kube_buf path = { 0 };
	body_ref br;
	int err;

	if (!body)
		return cf_error_set(CF_EINVALID, "update: no body");
	if ((err = body_ref_init(&br, ref, body)) < 0 ||
	    (err = ref_path(k, &path, &br.ref, 0, sub)) < 0 || (err = write_query(&path, opts, 0)) < 0)
		goto done;
	err = send_body(k, out, "PUT", path.data, "application/json", body);
done:
	body_ref_free(&br);
	kube_buf_free(&path);
	return err;
}

int cf_kube_update(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                   const cf_kube_write_opts *opts)
{
	return update_sub(k, out, ref, body, opts, NULL);
}

int cf_kube_update_status(cf_kube *k, char **out, const cf_kube_ref *ref, const char *body,
                          const cf_kube_write_opts *opts)
{
	return update_sub(k, out, ref, body, opts, "status");
}

static const char *const patch_types[] = {
	[CF_KUBE_PATCH_MERGE] = "application/merge-patch+json",
	[CF_KUBE_PATCH_JSON] = "application/json-patch+json",
	[CF_KUBE_PATCH_STRATEGIC] = "application/strategic-merge-patch+json",
	[CF_KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
};

static int patch_sub(cf_kube *k, char **out, const cf_kube_ref *ref, cf_kube_patch_type type,
                     const char *body, const cf_kube_write_opts *opts, const char *sub)
{
	kube_buf path = { 0 };
	body_ref br;
	int err;

	if ((unsigned)type >= sizeof(patch_types) / sizeof(patch_types[0]) || !body)
		return cf_error_set(CF_EINVALID, "patch: unknown patch type or no body");
	if (type == CF_KUBE_PATCH_APPLY && (!opts || !opts->field_manager || !*opts->field_manager))
		return cf_error_set(CF_EINVALID, "server-side apply needs a field manager");
	if ((err = body_ref_init(&br, ref, type == CF_KUBE_PATCH_APPLY ? body : NULL)) < 0 ||
	    (err = ref_path(k, &path, &br.ref, 0, sub)) < 0 ||
	    (err = write_query(&path, opts, type == CF_KUBE_PATCH_APPLY)) < 0)
		goto done;
	err = send_body(k, out, "PATCH", path.data, patch_types[type], body);
done:
	body_ref_free(&br);
	kube_buf_free(&path);
	return err;
}

int cf_kube_patch(cf_kube *k, char **out, const cf_kube_ref *ref, cf_kube_patch_type type,
                  const char *body, const cf_kube_write_opts *opts)
{
	return patch_sub(k, out, ref, type, body, opts, NULL);
}

int cf_kube_patch_status(cf_kube *k, char **out, const cf_kube_ref *ref, cf_kube_patch_type type,
                         const char *body, const cf_kube_write_opts *opts)
{
	return patch_sub(k, out, ref, type, body, opts, "status");
}

/* DeleteOptions body, only needed for preconditions. */
static int delete_body(char **out, const cf_kube_write_opts *o)
{
	json_t *root, *pre;

	*out = NULL;
	if (!o || (!o->precondition_uid && !o->precondition_rv))
		return 0;
	root = json_pack("{s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
	pre = json_object();
	if (!root || !pre)
		goto oom;
	if (o->precondition_uid)
		json_object_set_new(pre, "uid", json_string(o->precondition_uid));
	if (o->precondition_rv)
		json_object_set_new(pre, "resourceVersion", json_string(o->precondition_rv));
	json_object_set_new(root, "preconditions", pre);
	pre = NULL;
	*out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *out ? 0 : cf_error_set(CF_ENOMEM, "out of memory");
oom:
	json_decref(root);
	json_decref(pre);
	return cf_error_set(CF_ENOMEM, "out of memory");
}

int cf_kube_delete(cf_kube *k, char **out, const cf_kube_ref *ref, const cf_kube_write_opts *opts)
{
	kube_buf path = { 0 };
	char *body = NULL;
	int err;

	if ((err = ref_path(k, &path, ref, 0, NULL)) < 0 ||
	    (opts && (err = kube_buf_query(&path, "propagationPolicy", opts->propagation_policy)) < 0) ||
	    (opts && opts->dry_run && (err = kube_buf_query(&path, "dryRun", "All")) < 0) ||
	    (err = delete_body(&body, opts)) < 0)
		goto done;
	err = send_body(k, out, "DELETE", path.data, body ? "application/json" : NULL, body);
done:
	free(body);
	kube_buf_free(&path);
	return err;
}
