/* patches, patchesStrategicMerge and patchesJson6902: loading patches and choosing their targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

typedef struct {
	int allow_name;
	int allow_kind;
} patch_opts;

static int load_text(char **out, size_t *len, kz_ctx *ctx, const kz_kust *k, const char *rel)
{
	char *path = NULL;
	int err;

	if ((err = kz_fs_resolve(&path, &ctx->fs, k->dir, rel,
	                         ctx->fs.root ? ctx->fs.root : k->dir)) < 0)
		return err;
	err = kz_fs_read(out, len, &ctx->fs, path);
	free(path);
	return err;
}

/*
 * JSON 6902 patches reach kustomize through sigs.k8s.io/yaml (YAML 1.1, then JSON): yes/no/on/off
 * are booleans and map keys become JSON strings ("n" becomes "false"). Rebuilds node so.
 */
static int json_keys(cf_doc **out, const cf_doc *node, int depth)
{
	cf_doc *c = NULL;
	int err = 0;

	if (depth > 200)
		return cf_error_set(CF_ELIMIT, "patch nested too deeply");
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		if ((err = cf_doc_new_seq(&c)) < 0)
			return err;
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++) {
			cf_doc *v = NULL;
			if ((err = json_keys(&v, cf_doc_item(node, i), depth + 1)) == 0)
				err = cf_doc_seq_append(c, v);
		}
	} else if (cf_doc_type_of(node) == CF_DOC_MAP) {
		if ((err = cf_doc_new_map(&c)) < 0)
			return err;
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++) {
			const cf_doc *k = cf_doc_key(node, i);
			const char *ks = cf_doc_text(k);
			cf_doc *v = NULL;
			if (cf_doc_type_of(k) == CF_DOC_BOOL)
				ks = cf_doc_bool(k) ? "true" : "false";
			else if (cf_doc_type_of(k) == CF_DOC_NULL)
				ks = "null";
			if ((err = json_keys(&v, cf_doc_value(node, i), depth + 1)) == 0)
				err = cf_doc_map_set(c, ks ? ks : "", v);
		}
	} else {
		return cf_doc_clone(out, node);
	}
	if (err < 0) {
		cf_doc_free(c);
		return err;
	}
	*out = c;
	return 0;
}

/* Parses patch text into a stream of documents (nulls dropped). */
static int parse_patch(cf_doc **out, const char *text, size_t len, const char *name)
{
	cf_doc_load_opts lo = {.schema = CF_DOC_YAML12, .filename = name};
	cf_doc *s = NULL;
	int err;

	if ((err = cf_doc_load_yaml_stream(&s, text, len, &lo)) < 0)
		return err;
	if (cf_doc_len(s) && cf_doc_type_of(cf_doc_item(s, 0)) == CF_DOC_SEQ) {
		cf_doc *s11 = NULL, *conv = NULL;
		lo.schema = CF_DOC_YAML11;
		err = cf_doc_load_yaml_stream(&s11, text, len, &lo);
		if (err == 0)
			err = json_keys(&conv, s11, 0);
		cf_doc_free(s11);
		cf_doc_free(s);
		if (err < 0)
			return err;
		s = conv;
	}
	for (size_t i = 0; i < cf_doc_len(s);) {
		if (cf_doc_type_of(cf_doc_item(s, i)) == CF_DOC_NULL)
			cf_doc_free(cf_doc_seq_take(s, i));
		else
			i++;
	}
	*out = s;
	return 0;
}

/* Keeps name and kind unless the patch options allow changing them; records a rename. */
static int apply_to(kz_res *r, const cf_doc *patch, int json, const patch_opts *po)
{
	cf_doc *work = NULL;
	char *name = strdup(kz_res_name(r)), *kind = strdup(kz_res_kind(r));
	char *ns = strdup(kz_res_ns(r)), *api = strdup(kz_res_api_version(r));
	int err;

	if (!name || !kind || !ns || !api) {
		err = cf_error_set(CF_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = cf_doc_clone(&work, r->obj)) < 0)
		goto done;
	err = json ? kz_json6902(work, patch) : kz_smp(work, patch, api, kind);
	if (err < 0)
		goto done;
	if (cf_doc_type_of(work) != CF_DOC_MAP) {
		err = cf_error_set(CF_EINVALID, "patch turned the object into a %s",
		                   cf_doc_type_name(cf_doc_type_of(work)));
		goto done;
	}
	cf_doc *meta = NULL;
	if ((err = kz_ensure_map(&meta, work, "metadata")) < 0)
		goto done;
	const char *new_name = cf_doc_get_str(meta, "name");
	char *renamed = (po->allow_name && new_name && strcmp(new_name, name) != 0)
	                        ? strdup(new_name) : NULL;
	if ((err = cf_doc_map_set_str(meta, "name", name)) < 0 ||
	    (!po->allow_kind && (err = cf_doc_map_set_str(work, "kind", kind)) < 0)) {
		free(renamed);
		goto done;
	}
	if ((err = cf_doc_assign(r->obj, work)) == 0 && renamed)
		err = kz_res_set_name(r, renamed);
	free(renamed);
done:
	cf_doc_free(work);
	free(name);
	free(kind);
	free(ns);
	free(api);
	return err;
}

static const char *eff_ns(const char *ns)
{
	return (!ns || !*ns) ? "default" : ns;
}

/* Does r have (now or before) the id of the patch document? */
static int matches_patch_id(const kz_res *r, const cf_doc *patch)
{
	const char *api = cf_doc_get_str(patch, "apiVersion");
	const char *kind = cf_doc_get_str(patch, "kind");
	cf_doc *meta = cf_doc_get(patch, "metadata");
	const char *name = cf_doc_get_str(meta, "name");
	const char *ns = eff_ns(cf_doc_get_str(meta, "namespace"));
	int cluster = kz_res_cluster_scoped(r);

	if (!kind || !name || strcmp(kind, kz_res_kind(r)) != 0 ||
	    strcmp(api ? api : "", kz_res_api_version(r)) != 0)
		return 0;
	if (strcmp(name, kz_res_name(r)) == 0 && (cluster || strcmp(ns, eff_ns(kz_res_ns(r))) == 0))
		return 1;
	for (size_t i = 0; i < r->n_ids; i++)
		if (strcmp(name, r->ids[i].name) == 0 &&
		    (cluster || strcmp(ns, eff_ns(r->ids[i].ns)) == 0))
			return 1;
	return 0;
}

static char *patch_id_string(const cf_doc *patch)
{
	const char *api = cf_doc_get_str(patch, "apiVersion");
	const char *kind = cf_doc_get_str(patch, "kind");
	cf_doc *meta = cf_doc_get(patch, "metadata");
	const char *name = cf_doc_get_str(meta, "name");
	const char *ns = cf_doc_get_str(meta, "namespace");
	const char *slash = api ? strchr(api, '/') : NULL;
	char group[256] = "";

	if (slash)
		snprintf(group, sizeof(group), "%.*s", (int)(slash - api), api);
	return kz_asprintf("%s.%s.%s/%s.%s", kind ? kind : "", slash ? slash + 1 : (api ? api : ""),
	                   *group ? group : "[noGrp]", name ? name : "",
	                   ns && *ns ? ns : "[noNs]");
}

/* $patch: delete at the top of a patch removes the object. */
static int is_delete(const cf_doc *patch)
{
	const char *d = kz_scalar(cf_doc_get(patch, "$patch"));
	return d && strcmp(d, "delete") == 0;
}

static int smp_by_id(kz_resmap *m, const cf_doc *patch, const patch_opts *po)
{
	size_t hit = 0, n = 0;

	for (size_t i = 0; i < m->len; i++)
		if (matches_patch_id(m->items[i], patch)) {
			hit = i;
			n++;
		}
	if (n != 1) {
		char *id = patch_id_string(patch);
		int err = cf_error_set(CF_ENOTFOUND, n == 0 ?
		                       "no resource matches strategic merge patch \"%s\": no matches for "
		                       "Id %s; failed to find unique target for patch %s" :
		                       "multiple resources match strategic merge patch \"%s\": %s %s",
		                       id ? id : "", id ? id : "", id ? id : "");
		free(id);
		return err;
	}
	if (is_delete(patch)) {
		kz_resmap_remove(m, hit);
		return 0;
	}
	return apply_to(m->items[hit], patch, 0, po);
}

static int apply_selected(kz_resmap *m, const cf_doc *target, const cf_doc *patch, int json,
                          const patch_opts *po)
{
	int err = 0;

	for (size_t i = 0; i < m->len && err == 0;) {
		int rc = kz_selector_match(target, m->items[i]);
		if (rc < 0)
			return rc;
		if (rc && !json && is_delete(patch)) {
			kz_resmap_remove(m, i);
			continue;
		}
		if (rc)
			err = apply_to(m->items[i], patch, json, po);
		i++;
	}
	return err;
}

/* Applies parsed patch documents: a list of operations (JSON 6902) or objects (SMP). */
static int apply_docs(kz_resmap *m, const cf_doc *docs, const cf_doc *target, const patch_opts *po,
                      const char *what)
{
	int err = 0;
	size_t n = cf_doc_len(docs);

	if (n == 0)
		return 0;
	if (cf_doc_type_of(cf_doc_item(docs, 0)) == CF_DOC_SEQ) {
		if (n > 1)
			return cf_error_set(CF_EINVALID, "%s: a JSON 6902 patch must be one list", what);
		if (!target)
			return cf_error_set(CF_EINVALID, "%s: a JSON 6902 patch needs a target", what);
		return apply_selected(m, target, cf_doc_item(docs, 0), 1, po);
	}
	if (target && n > 1)
		return cf_error_set(CF_EINVALID, "%s: a patch with a target must hold one object", what);
	for (size_t i = 0; i < n && err == 0; i++) {
		const cf_doc *p = cf_doc_item(docs, i);
		if (cf_doc_type_of(p) != CF_DOC_MAP)
			return cf_error_set(CF_EINVALID, "%s: unable to parse as SMP or JSON patch", what);
		err = target ? apply_selected(m, target, p, 0, po) : smp_by_id(m, p, po);
	}
	return err;
}

static int patch_entry(kz_resmap *m, kz_ctx *ctx, const kz_kust *k, const cf_doc *entry,
                       int legacy_json)
{
	const char *path = kz_scalar(cf_doc_get(entry, "path"));
	const char *inl = kz_scalar(cf_doc_get(entry, "patch"));
	const cf_doc *target = cf_doc_get(entry, "target");
	cf_doc *opts = cf_doc_get(entry, "options");
	patch_opts po = {cf_doc_bool(cf_doc_get(opts, "allowNameChange")),
	                 cf_doc_bool(cf_doc_get(opts, "allowKindChange"))};
	char *text = NULL;
	size_t len = 0;
	cf_doc *docs = NULL;
	int err;

	if (path && *path && inl && *inl)
		return cf_error_set(CF_EINVALID, "%s: patch and path can't be set at the same time",
		                    k->file);
	if (!(path && *path) && !(inl && *inl))
		return cf_error_set(CF_EINVALID, "%s: must specify one of patch and path", k->file);
	if (target && cf_doc_type_of(target) != CF_DOC_MAP)
		target = NULL;
	if (path && *path) {
		if ((err = load_text(&text, &len, ctx, k, path)) < 0)
			return err;
	} else if (!(text = strdup(inl))) {
		return cf_error_set(CF_ENOMEM, "out of memory");
	} else {
		len = strlen(text);
	}
	if ((err = parse_patch(&docs, text, len, path ? path : k->file)) < 0)
		goto done;
	if (legacy_json && cf_doc_len(docs) == 1 &&
	    cf_doc_type_of(cf_doc_item(docs, 0)) != CF_DOC_SEQ) {
		err = cf_error_set(CF_EINVALID, "%s: patchesJson6902 needs a list of operations",
		                   path ? path : k->file);
		goto done;
	}
	err = apply_docs(m, docs, target, &po, path ? path : "inline patch");
done:
	free(text);
	cf_doc_free(docs);
	return err;
}

int kz_patches_apply(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "patches");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++)
		err = patch_entry(m, ctx, k, cf_doc_item(list, i), 0);
	return err;
}

int kz_patches_json6902_legacy(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "patchesJson6902");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++)
		err = patch_entry(m, ctx, k, cf_doc_item(list, i), 1);
	return err;
}

int kz_patches_strategic_legacy(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "patchesStrategicMerge");
	patch_opts po = {0, 0};
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		const char *s = kz_scalar(cf_doc_item(list, i));
		char *text = NULL;
		size_t len = 0;
		cf_doc *docs = NULL;

		if (!s)
			return cf_error_set(CF_EINVALID, "%s: patchesStrategicMerge entries must be strings",
			                    k->file);
		if (strchr(s, '\n')) {
			text = strdup(s);
			len = text ? strlen(text) : 0;
			if (!text)
				return cf_error_set(CF_ENOMEM, "out of memory");
		} else if ((err = load_text(&text, &len, ctx, k, s)) < 0) {
			return err;
		}
		if ((err = parse_patch(&docs, text, len, s)) == 0)
			err = apply_docs(m, docs, NULL, &po, s);
		free(text);
		cf_doc_free(docs);
	}
	return err;
}
