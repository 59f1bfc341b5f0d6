/*
 * The kustomization file Flux builds from: generated from the YAML files below spec.path when the
 * directory has none, then overlaid with the Kustomization's targetNamespace, namePrefix,
 * nameSuffix, patches, images and components.
 */
#include "kc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cf/doc.h"
#include "cf/error.h"

static const char *const kustomization_names[] = {"kustomization.yaml", "kustomization.yml",
						  "Kustomization", NULL};

/* 1 with its path in path when dir has a kustomization file, else 0. */
static int find_kustomization(char *path, size_t size, const char *dir)
{
	struct stat st;

	for (const char *const *n = kustomization_names; *n; n++) {
		snprintf(path, size, "%s/%s", dir, *n);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 1;
	}
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A file must parse as YAML for the generated kustomization to list it, or the build fails. */
static int check_yaml(const char *path, const char *rel)
{
	cf_doc_load_opts opts = {.filename = rel};
	cf_doc *docs = NULL;
	int err = cf_doc_load_yaml_file(&docs, path, &opts);

	if (err < 0)
		return cf_error_wrap(err, "failed to decode Kubernetes YAML from %s: ", rel);
	for (size_t i = 0; i < cf_doc_len(docs); i++) {
		cf_doc *d = cf_doc_item(docs, i);
		if (cf_doc_type_of(d) == CF_DOC_NULL)
			continue;
		if (cf_doc_type_of(d) != CF_DOC_MAP || !cf_doc_get_str(d, "kind") || !cf_doc_get_str(d, "apiVersion")) {
			err = cf_error_set(CF_EINVALID, "failed to decode Kubernetes YAML from %s: "
					   "missing apiVersion or kind", rel);
			break;
		}
	}
	cf_doc_free(docs);
	return err;
}

/* Appends every YAML file below dir/rel (and every sub-kustomization) to resources, in lexical order. */
static int scan(cf_doc *resources, const char *root, const char *rel, int depth)
{
	char dir[4096], path[8192], sub[4096], kpath[8300];
	struct dirent **ents = NULL;
	struct stat st;
	int n, err = 0;

	if (depth > 64)
		return cf_error_set(CF_ELIMIT, "%s: directories nested too deeply", rel);
	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	if ((n = scandir(dir, &ents, NULL, by_name)) < 0)
		return cf_error_set(CF_EIO, "reading %s failed: %s", *rel ? rel : ".", strerror(errno));
	for (int i = 0; i < n && err == 0; i++) {
		const char *name = ents[i]->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (find_kustomization(kpath, sizeof(kpath), path)) {
				snprintf(kpath, sizeof(kpath), "./%s", sub);
				cf_doc *s = NULL;
				if ((err = cf_doc_new_str(&s, kpath)) == 0)
					err = cf_doc_seq_append(resources, s);
			} else {
				err = scan(resources, root, sub, depth + 1);
			}
		} else if (S_ISREG(st.st_mode) && (has_suffix(name, ".yaml") || has_suffix(name, ".yml"))) {
			cf_doc *s = NULL;
			if ((err = check_yaml(path, sub)) < 0)
				break;
			snprintf(kpath, sizeof(kpath), "./%s", sub);
			if ((err = cf_doc_new_str(&s, kpath)) == 0)
				err = cf_doc_seq_append(resources, s);
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return err;
}

static int write_doc(const char *path, const cf_doc *doc)
{
	cf_doc_yaml_opts yo = {.dialect = CF_DOC_EMIT_YAMLV3};
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if ((err = cf_doc_emit_yaml(&text, &len, doc, &yo)) < 0)
		return err;
	if (!(f = fopen(path, "w"))) {
		free(text);
		return cf_error_set(CF_EIO, "writing %s failed", path);
	}
	if (fwrite(text, 1, len, f) != len)
		err = cf_error_set(CF_EIO, "writing %s failed", path);
	if (fclose(f) != 0 && err == 0)
		err = cf_error_set(CF_EIO, "writing %s failed", path);
	free(text);
	return err;
}

/* Writes dir/kustomization.yaml listing the manifests below dir. */
static int generate(const char *dir, char *kpath, size_t size)
{
	cf_doc *k = NULL, *resources = NULL;
	int err;

	if ((err = cf_doc_new_map(&k)) < 0 || (err = cf_doc_new_seq(&resources)) < 0)
		goto done;
	if ((err = scan(resources, dir, "", 0)) < 0)
		goto done;
	if ((err = cf_doc_map_set_str(k, "apiVersion", "kustomize.config.k8s.io/v1beta1")) < 0 ||
	    (err = cf_doc_map_set_str(k, "kind", "Kustomization")) < 0)
		goto done;
	/* An empty kustomization is an error in kustomize; Flux sidesteps it with a placeholder. */
	if (cf_doc_len(resources) == 0)
		err = cf_doc_map_set_str(k, "namespace", "_placeholder");
	else {
		err = cf_doc_map_set(k, "resources", resources);
		resources = NULL;
	}
	if (err < 0)
		goto done;
	snprintf(kpath, size, "%s/kustomization.yaml", dir);
	err = write_doc(kpath, k);
done:
	cf_doc_free(resources);
	cf_doc_free(k);
	return err;
}

/* A jansson value as a document node. */
static int to_doc(cf_doc **out, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int err;

	if (!text)
		return CF_ENOMEM;
	err = cf_doc_load_json(out, text, strlen(text), NULL);
	free(text);
	return err;
}

/* Appends each item of a jansson array to the sequence under key (created when missing). */
static int append_all(cf_doc *k, const char *key, const json_t *items)
{
	cf_doc *seq = cf_doc_get(k, key);
	size_t i;
	json_t *v;
	int err;

	if (!json_array_size(items))
		return 0;
	if (!seq || cf_doc_type_of(seq) != CF_DOC_SEQ) {
		if ((err = cf_doc_new_seq(&seq)) < 0 || (err = cf_doc_map_set(k, key, seq)) < 0)
			return err;
	}
	json_array_foreach(items, i, v) {
		cf_doc *item = NULL;
		if ((err = to_doc(&item, v)) < 0 || (err = cf_doc_seq_append(seq, item)) < 0)
			return err;
	}
	return 0;
}

/* Flux merges images by name: newName overrides, newTag and digest are replaced together. */
static int merge_images(cf_doc *k, const json_t *images)
{
	cf_doc *seq = cf_doc_get(k, "images");
	size_t i;
	json_t *img;
	int err = 0;

	json_array_foreach(images, i, img) {
		const char *name = json_string_value(json_object_get(img, "name"));
		cf_doc *hit = NULL;
		for (size_t j = 0; name && seq && j < cf_doc_len(seq); j++) {
			const char *n = cf_doc_get_str(cf_doc_item(seq, j), "name");
			if (n && strcmp(n, name) == 0)
				hit = cf_doc_item(seq, j);
		}
		if (!hit) {
			json_t *one = json_pack("[O]", img);
			err = append_all(k, "images", one);
			json_decref(one);
			seq = cf_doc_get(k, "images");
		} else {
			const char *nn = json_string_value(json_object_get(img, "newName"));
			const char *tag = json_string_value(json_object_get(img, "newTag"));
			const char *dig = json_string_value(json_object_get(img, "digest"));
			if (nn)
				err = cf_doc_map_set_str(hit, "newName", nn);
			if (err == 0 && (tag || dig)) {
				cf_doc_map_remove(hit, "newTag");
				cf_doc_map_remove(hit, "digest");
				if (tag)
					err = cf_doc_map_set_str(hit, "newTag", tag);
				if (err == 0 && dig)
					err = cf_doc_map_set_str(hit, "digest", dig);
			}
		}
		if (err < 0)
			return err;
	}
	return 0;
}

/* Components must be local; missing ones are skipped only with ignoreMissingComponents. */
static int add_components(cf_doc *k, const char *dir, const json_t *spec)
{
	json_t *comps = json_object_get(spec, "components"), *keep = json_array();
	int ignore_missing = json_is_true(json_object_get(spec, "ignoreMissingComponents"));
	char path[8192];
	struct stat st;
	size_t i;
	json_t *c;
	int err = 0;

	json_array_foreach(comps, i, c) {
		const char *p = json_string_value(c);
		if (!p || p[0] == '/' || strstr(p, "://")) {
			err = cf_error_set(CF_EINVALID, "component path '%s' must be local and relative", p ? p : "");
			goto done;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, p);
		if (stat(path, &st) < 0 && ignore_missing)
			continue;
		json_array_append(keep, c);
	}
	err = append_all(k, "components", keep);
done:
	json_decref(keep);
	return err;
}

static int set_str_field(cf_doc *k, const json_t *spec, const char *from, const char *to)
{
	const char *v = json_string_value(json_object_get(spec, from));
	return v && *v ? cf_doc_map_set_str(k, to, v) : 0;
}

int kc_generate(const char *dir, const json_t *spec)
{
	char kpath[8300];
	cf_doc *docs = NULL, *k = NULL;
	cf_doc_load_opts lo = {0};
	int err;

	if (!find_kustomization(kpath, sizeof(kpath), dir) && (err = generate(dir, kpath, sizeof(kpath))) < 0)
		return err;
	lo.filename = strrchr(kpath, '/') + 1;
	if ((err = cf_doc_load_yaml_file(&docs, kpath, &lo)) < 0)
		return err;
	k = cf_doc_seq_take(docs, 0);
	if (!k || cf_doc_type_of(k) != CF_DOC_MAP) {
		err = cf_error_set(CF_EINVALID, "%s: not a kustomization", lo.filename);
		goto done;
	}
	if ((err = set_str_field(k, spec, "targetNamespace", "namespace")) < 0 ||
	    (err = set_str_field(k, spec, "namePrefix", "namePrefix")) < 0 ||
	    (err = set_str_field(k, spec, "nameSuffix", "nameSuffix")) < 0 ||
	    (err = append_all(k, "patches", json_object_get(spec, "patches"))) < 0 ||
	    (err = merge_images(k, json_object_get(spec, "images"))) < 0 ||
	    (err = add_components(k, dir, spec)) < 0)
		goto done;
	err = write_doc(kpath, k);
done:
	cf_doc_free(k);
	cf_doc_free(docs);
	return err;
}
