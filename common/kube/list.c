/* Paged list (limit/continue) with each item handed out with its apiVersion and kind. */
#include "kube_int.h"

#include "cf/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 500

static int list_path(cf_kube *k, kube_buf *b, const cf_kube_ref *ref, const cf_kube_list_opts *o,
                     const char *cont)
{
	static const cf_kube_list_opts none = { 0 };
	char *p = NULL, limit[32];
	int err;

	if (!o)
		o = &none;
	if ((err = kube_ref_path(k, &p, ref, 0, NULL, NULL)) < 0)
		return err;
	err = kube_buf_append(b, p, strlen(p));
	free(p);
	snprintf(limit, sizeof(limit), "%ld", o->limit ? o->limit : DEFAULT_LIMIT);
	if (err < 0 || (err = kube_buf_query(b, "labelSelector", o->label_selector)) < 0 ||
	    (err = kube_buf_query(b, "fieldSelector", o->field_selector)) < 0 ||
	    (o->limit >= 0 && (err = kube_buf_query(b, "limit", limit)) < 0))
		return err;
	/* The server rejects resourceVersion together with continue: the token pins the snapshot. */
	if (cont && *cont)
		return kube_buf_query(b, "continue", cont);
	if ((err = kube_buf_query(b, "resourceVersion", o->resource_version)) < 0)
		return err;
	return kube_buf_query(b, "resourceVersionMatch", o->resource_version_match);
}

int cf_kube_list_page(cf_kube *k, char **out, const cf_kube_ref *ref,
                      const cf_kube_list_opts *opts, const char *continue_token)
{
	kube_buf path = { 0 };
	kube_req req = { .method = "GET" };
	int err;

	if ((err = list_path(k, &path, ref, opts, continue_token)) < 0)
		goto done;
	req.path = path.data;
	err = kube_do(k, &req, out, NULL);
done:
	kube_buf_free(&path);
	return err;
}

/* A JSON string literal for s (caller frees). */
static char *json_quote(const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return q;
}

/*
 * The item's own bytes, with "apiVersion" and "kind" put first when the server left them out (it
 * does for built-in kinds), so numbers and strings stay exactly as the server wrote them.
 */
static int item_text(kube_buf *b, const char *raw, size_t len, json_t *item, const cf_kube_ref *ref)
{
	char *av = NULL, *kind = NULL;
	size_t body;
	int err;

	b->len = 0;
	if (json_object_get(item, "apiVersion") && json_object_get(item, "kind"))
		return kube_buf_append(b, raw, len);
	if (!(av = json_quote(ref->api_version)) || !(kind = json_quote(ref->kind))) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	/* raw starts with '{'; an empty object takes no comma */
	body = len - 1;
	err = kube_buf_printf(b, "{\"apiVersion\":%s,\"kind\":%s%s", av, kind,
	                      json_object_size(item) ? "," : "");
	if (!err)
		err = kube_buf_append(b, raw + 1, body);
done:
	free(av);
	free(kind);
	return err;
}

static int emit_items(const char *page, size_t page_len, json_t *items, const cf_kube_ref *ref,
                      cf_kube_item_fn fn, void *ctx)
{
	kube_buf b = { 0 };
	const char *arr;
	size_t arr_off, arr_len, off, len, pos = 0, i = 0;
	int rc;

	if ((rc = kube_json_member(page, page_len, "items", &arr_off, &arr_len)) < 0)
		return rc;
	arr = page + arr_off;
	while (kube_json_array_next(arr, arr_len, &pos, &off, &len) == 1) {
		json_t *item = json_array_get(items, i++);

		if (!json_is_object(item) || arr[off] != '{')
			continue;
		if ((rc = item_text(&b, arr + off, len, item, ref)) < 0)
			break;
		if ((rc = fn(ctx, b.data, b.len)) != 0)
			break;
	}
	kube_buf_free(&b);
	return rc;
}

int cf_kube_list(cf_kube *k, char **out_rv, const cf_kube_ref *ref, const cf_kube_list_opts *opts,
                 cf_kube_item_fn fn, void *ctx)
{
	char *page = NULL, *cont = NULL, *rv = NULL;
	json_t *root = NULL;
	int err;

	if (!fn)
		return cf_error_set(CF_EINVALID, "list: no item callback");
	do {
		const char *next, *prv;
		json_error_t jerr;

		if ((err = cf_kube_list_page(k, &page, ref, opts, cont)) < 0)
			goto done;
		if (!(root = json_loads(page, 0, &jerr)) || !json_is_array(json_object_get(root, "items"))) {
			err = cf_error_set(CF_EPARSE, "list %s: unexpected answer", ref->kind);
			goto done;
		}
		if ((err = emit_items(page, strlen(page), json_object_get(root, "items"), ref, fn,
		                      ctx)) != 0)
			goto done;
		next = json_string_value(json_object_get(json_object_get(root, "metadata"), "continue"));
		prv = json_string_value(
			json_object_get(json_object_get(root, "metadata"), "resourceVersion"));
		free(cont);
		free(rv);
		cont = next && *next ? strdup(next) : NULL;
		rv = strdup(prv ? prv : "");
		if ((next && *next && !cont) || !rv) {
			err = cf_error_set(CF_ENOMEM, "out of memory");
			goto done;
		}
		json_decref(root);
		root = NULL;
		free(page);
		page = NULL;
	} while (cont);
	if (out_rv) {
		*out_rv = rv;
		rv = NULL;
	}
done:
	json_decref(root);
	free(page);
	free(cont);
	free(rv);
	return err;
}
