/* Builds a Kustomization's manifests: kustomize build of spec.path, post-build substitution, common and owner metadata. */
#include "kc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/kustomize.h"

/* spec.path joined below root; ".." may not climb out of it. */
static int join_path(char *out, size_t size, const char *root, const char *path)
{
	int depth = 0;
	struct stat st;

	for (const char *s = path; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			depth--;
		else if (n > 0 && !(n == 1 && s[0] == '.'))
			depth++;
		if (depth < 0)
			return cf_error_set(CF_EUNSAFE, "kustomization path '%s' leaves the artifact", path);
		s += n;
		while (*s == '/')
			s++;
	}
	snprintf(out, size, "%s/%s", root, path);
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return cf_error_set(CF_ENOTFOUND, "kustomization path not found: %s", path);
	return 0;
}

static const char *doc_meta(const cf_doc *obj, const char *which, const char *key)
{
	return cf_doc_get_str(cf_doc_get_path(obj, "metadata", which, NULL), key);
}

static int substitution_disabled(const cf_doc *obj)
{
	const char *l = doc_meta(obj, "labels", KC_ANN_SUBSTITUTE);
	const char *a = doc_meta(obj, "annotations", KC_ANN_SUBSTITUTE);

	return (l && strcmp(l, "disabled") == 0) || (a && strcmp(a, "disabled") == 0);
}

/* One built object to jansson, through its YAML text when variables are substituted. */
static int convert(json_t **out, const cf_doc *obj, const json_t *vars)
{
	cf_doc_yaml_opts yo = {.dialect = CF_DOC_EMIT_YAMLV3};
	char *yaml = NULL, *subst = NULL, *text = NULL;
	cf_doc *re = NULL;
	size_t len = 0;
	int err;

	if (vars && !substitution_disabled(obj)) {
		if ((err = cf_doc_emit_yaml(&yaml, &len, obj, &yo)) < 0 ||
		    (err = kc_substitute(&subst, yaml, vars, 1)) < 0)
			goto fail;
		if ((err = cf_doc_load_yaml(&re, subst, strlen(subst), NULL)) < 0)
			goto fail;
		obj = re;
	}
	if ((err = cf_doc_emit_json(&text, &len, obj, NULL)) < 0)
		goto fail;
	if (!(*out = json_loadb(text, len, 0, NULL)))
		err = cf_error_set(CF_EPARSE, "invalid JSON from the build");
	goto done;
fail:
	err = cf_error_wrap(err, "post build failed for '%s/%s': ", cf_doc_get_str(obj, "kind"),
			    cf_doc_get_str(cf_doc_get(obj, "metadata"), "name"));
done:
	cf_doc_free(re);
	free(text);
	free(subst);
	free(yaml);
	return err;
}

static void merge_map(json_t *obj, const char *which, const json_t *pairs)
{
	json_t *meta = json_object_get(obj, "metadata"), *m;
	const char *k;
	json_t *v;

	if (!json_object_size(pairs))
		return;
	if (!json_is_object(m = json_object_get(meta, which))) {
		m = json_object();
		json_object_set_new(meta, which, m);
	}
	json_object_foreach((json_t *)pairs, k, v)
		if (json_is_string(v))
			json_object_set(m, k, v);
}

/* commonMetadata, then the owner labels that prune and drift detection rely on. */
static void stamp(json_t *obj, const json_t *ks)
{
	json_t *common = json_object_get(json_object_get(ks, "spec"), "commonMetadata");
	json_t *owner = json_pack("{s:s,s:s}", KC_LABEL_NAME, cf_object_str(ks, "metadata.name"),
				  KC_LABEL_NAMESPACE, cf_object_str(ks, "metadata.namespace"));

	merge_map(obj, "labels", json_object_get(common, "labels"));
	merge_map(obj, "annotations", json_object_get(common, "annotations"));
	merge_map(obj, "labels", owner);
	json_decref(owner);
}

int kc_build_path(char *out, size_t size, const json_t *ks, const char *root)
{
	const char *path = cf_object_str(ks, "spec.path");

	return join_path(out, size, root, path && *path ? path : ".");
}

/* Encrypted content that would otherwise be applied as ciphertext. */
static int check_encrypted(const json_t *obj, const json_t *ks)
{
	const json_t *data = json_object_get(obj, "data");
	const char *k;
	json_t *v;
	int sops = json_is_object(json_object_get(obj, "sops"));

	json_object_foreach((json_t *)data, k, v)
		sops |= strcmp(k, "sops_mac") == 0 || strcmp(k, "sops_version") == 0;
	if (!sops || !json_object_get(json_object_get(ks, "spec"), "decryption"))
		return 0;
	return cf_error_set(CF_EUNSUPPORTED, "decryption failed for '%s': SOPS decryption (spec.decryption) is not "
			    "supported by this kustomize-controller", cf_object_str(obj, "metadata.name"));
}

int kc_build(json_t **out, kc_env *env, const json_t *ks, const char *root)
{
	json_t *spec = json_object_get(ks, "spec"), *vars = NULL, *objs = json_array();
	cf_kustomize_opts opts = {.root = root};
	cf_doc *list = NULL;
	char dir[8192];
	int err;

	if ((err = kc_build_path(dir, sizeof(dir), ks, root)) < 0)
		goto done;
	if ((err = kc_generate(dir, spec)) < 0)
		goto done;
	if ((err = cf_kustomize_build(&list, dir, &opts)) < 0)
		goto done;
	if (json_object_get(spec, "postBuild")) {
		if ((err = kc_substitute_vars(&vars, env->kube, ks)) < 0)
			goto done;
		/* Flux substitutes only when there is some variable (or strategy Always). */
		const char *strategy = cf_object_str(ks, "spec.postBuild.substituteStrategy");
		if (!json_object_size(vars) && !(strategy && strcmp(strategy, "Always") == 0)) {
			json_decref(vars);
			vars = NULL;
		}
	}
	for (size_t i = 0; i < cf_doc_len(list); i++) {
		json_t *obj = NULL;
		if ((err = convert(&obj, cf_doc_item(list, i), vars)) < 0)
			goto done;
		if (!cf_object_str(obj, "apiVersion") || !cf_object_str(obj, "kind") || !cf_object_str(obj, "metadata.name")) {
			json_decref(obj);
			err = cf_error_set(CF_EINVALID, "failed to decode Kubernetes apiVersion, kind and name");
			goto done;
		}
		if ((err = check_encrypted(obj, ks)) < 0) {
			json_decref(obj);
			goto done;
		}
		stamp(obj, ks);
		json_array_append_new(objs, obj);
	}
	*out = objs;
	objs = NULL;
done:
	cf_doc_free(list);
	json_decref(vars);
	json_decref(objs);
	return err;
}
