/*
 * Flux's post-renderers over a release's manifest: each spec.postRenderers[].kustomize (patches,
 * images) is a kustomize build with the rendered objects as its one resource, then
 * spec.commonMetadata's labels and annotations, then the origin labels Flux puts on every object
 * (helm.toolkit.fluxcd.io/name and /namespace, which win over commonMetadata). The result is
 * written as kustomize prints it, which is what Flux stores as the release manifest. Hooks are
 * left out, as Helm 3 does (postRenderStrategy nohooks).
 */
#include "hc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/doc.h"
#include "cf/error.h"
#include "cf/kustomize.h"

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[4400];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "w")))
		return cf_error_set(CF_EIO, "writing %s failed", path);
	ok = fputs(text, f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : cf_error_set(CF_EIO, "writing %s failed", path);
}

/* The kustomization Flux writes for one kustomize post-renderer: the output as its one resource. */
static char *kustomization_for(const json_t *spec)
{
	json_t *k = json_pack("{s:s,s:s,s:[s]}", "apiVersion", "kustomize.config.k8s.io/v1beta1", "kind", "Kustomization",
			      "resources", "helm-output.yaml");
	char *text;

	if (json_array_size(json_object_get(spec, "patches")))
		json_object_set(k, "patches", json_object_get(spec, "patches"));
	if (json_array_size(json_object_get(spec, "images")))
		json_object_set(k, "images", json_object_get(spec, "images"));
	text = json_dumps(k, JSON_COMPACT); /* JSON is YAML */
	json_decref(k);
	return text;
}

/* One kustomize post-renderer: *list (replaced) built again with patches and images. */
static int run_kustomize(cf_doc **list, const json_t *spec, const char *dir)
{
	cf_kustomize_opts opts = {.root = dir};
	char *text = NULL, *kust = NULL;
	cf_doc *out = NULL;
	int err;

	if (mkdir(dir, 0700) < 0)
		return cf_error_set(CF_EIO, "creating %s failed", dir);
	if (!(kust = kustomization_for(spec))) {
		err = CF_ENOMEM;
		goto done;
	}
	if ((err = cf_kustomize_emit(&text, *list)) < 0 || (err = write_text(dir, "helm-output.yaml", text)) < 0 ||
	    (err = write_text(dir, "kustomization.yaml", kust)) < 0)
		goto done;
	if ((err = cf_kustomize_build(&out, dir, &opts)) < 0) {
		err = cf_error_wrap(err, "post-renderer: ");
		goto done;
	}
	cf_doc_free(*list);
	*list = out;
done:
	free(text);
	free(kust);
	return err;
}

/* Sets every key of pairs (a JSON object of strings) in each object's metadata.<field>. */
static int set_metadata(cf_doc *list, const char *field, const json_t *pairs)
{
	const char *key;
	json_t *v;
	int err;

	if (!json_object_size(pairs))
		return 0;
	for (size_t i = 0; i < cf_doc_len(list); i++) {
		cf_doc *obj = cf_doc_item(list, i), *meta, *m;
		if (cf_doc_type_of(obj) != CF_DOC_MAP)
			continue;
		if ((err = cf_doc_map_ensure(&meta, obj, "metadata")) < 0 || (err = cf_doc_map_ensure(&m, meta, field)) < 0)
			return err;
		json_object_foreach((json_t *)pairs, key, v)
			if (json_is_string(v) && (err = cf_doc_map_set_str(m, key, json_string_value(v))) < 0)
				return err;
	}
	return 0;
}

static int load(cf_doc **list, const char *manifest)
{
	cf_doc *all = NULL, *maps = NULL;
	int err;

	if ((err = cf_doc_load_yaml_stream(&all, manifest, strlen(manifest), NULL)) < 0)
		return cf_error_wrap(err, "rendered manifests are not valid YAML: ");
	if ((err = cf_doc_new_seq(&maps)) < 0)
		goto done;
	/* Empty documents carry no object, as kustomize reads a stream. */
	while (cf_doc_len(all)) {
		cf_doc *item = cf_doc_seq_take(all, 0);
		if (cf_doc_type_of(item) == CF_DOC_MAP)
			err = cf_doc_seq_append(maps, item);
		else
			cf_doc_free(item);
		if (err < 0)
			goto done;
	}
	*list = maps;
	maps = NULL;
done:
	cf_doc_free(all);
	cf_doc_free(maps);
	return err;
}

int hc_post_render(char **out, const char *manifest, const json_t *hr, const char *work)
{
	json_t *spec = json_object_get(hr, "spec"), *pr, *origin;
	json_t *common = json_object_get(spec, "commonMetadata");
	cf_doc *list = NULL;
	char dir[4400];
	size_t i;
	int err;

	if ((err = load(&list, manifest)) < 0)
		return err;
	json_array_foreach(json_object_get(spec, "postRenderers"), i, pr) {
		if (!json_object_get(pr, "kustomize"))
			continue;
		snprintf(dir, sizeof(dir), "%s/postrender-%zu", work, i);
		if ((err = run_kustomize(&list, json_object_get(pr, "kustomize"), dir)) < 0)
			goto done;
	}
	if ((err = set_metadata(list, "labels", json_object_get(common, "labels"))) < 0 ||
	    (err = set_metadata(list, "annotations", json_object_get(common, "annotations"))) < 0)
		goto done;
	origin = json_pack("{s:s?,s:s?}", HC_GROUP "/name", cf_object_str(hr, "metadata.name"), HC_GROUP "/namespace",
			   cf_object_str(hr, "metadata.namespace"));
	err = set_metadata(list, "labels", origin);
	json_decref(origin);
	if (err == 0)
		err = cf_kustomize_emit(out, list);
done:
	cf_doc_free(list);
	return err;
}
