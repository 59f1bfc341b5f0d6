/* Values files merged as Flux merges spec.valuesFiles: nested maps combined, later files win. */
#include "helmsource.h"
#include "helmfile.h"

#include <stdlib.h>
#include <string.h>

#include "cf/error.h"

/* Merges src into dst (both maps): maps merge recursively, anything else replaces. Takes src. */
static int merge_maps(cf_doc *dst, cf_doc *src)
{
	int err = 0;

	while (cf_doc_len(src) > 0) {
		char *key = strdup(cf_doc_text(cf_doc_key(src, 0)));
		if (!key)
			return CF_ENOMEM;
		cf_doc *val = cf_doc_map_take(src, key);
		cf_doc *cur = cf_doc_get(dst, key);
		if (cur && cf_doc_type_of(cur) == CF_DOC_MAP && cf_doc_type_of(val) == CF_DOC_MAP) {
			err = merge_maps(cur, val);
			cf_doc_free(val);
		} else {
			err = cf_doc_map_set(dst, key, val);
		}
		free(key);
		if (err < 0)
			return err;
	}
	return 0;
}

static int merge_one(cf_doc *merged, const char *path, int *missing)
{
	char *text = NULL;
	cf_doc *doc = NULL;
	size_t len;
	int err;

	*missing = 0;
	if ((err = sc_helm_read_file(&text, &len, path, SC_HELM_DEFAULT_MAX_FILE)) < 0) {
		*missing = err == CF_ENOTFOUND;
		return err;
	}
	if ((err = sc_helm_load_yaml(&doc, text, len, path)) < 0)
		goto done;
	if (cf_doc_type_of(doc) == CF_DOC_NULL)
		goto done;
	if (cf_doc_type_of(doc) != CF_DOC_MAP) {
		err = cf_error_set(CF_EPARSE, "failed to unmarshal values file '%s': not a map", path);
		goto done;
	}
	err = merge_maps(merged, doc);
done:
	cf_doc_free(doc);
	free(text);
	return err;
}

int sc_helm_values_merge(char **out, char ***used, size_t *n_used, const char *const *paths, size_t n,
			 int ignore_missing)
{
	cf_doc *merged = NULL;
	char **list = calloc(n + 1, sizeof(*list));
	size_t nlist = 0, len;
	int err, missing;

	if (!list || (err = cf_doc_new_map(&merged)) < 0) {
		free(list);
		return CF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if ((err = merge_one(merged, paths[i], &missing)) < 0) {
			if (missing && ignore_missing)
				continue;
			if (missing)
				cf_error_set(CF_ENOTFOUND, "no values file found at path '%s'", paths[i]);
			goto done;
		}
		if (!(list[nlist++] = strdup(paths[i]))) {
			err = CF_ENOMEM;
			goto done;
		}
	}
	cf_doc_yaml_opts yo = {.dialect = CF_DOC_EMIT_YAMLV2, .sort_keys = 1};
	if (cf_doc_len(merged) == 0) {
		/* Go marshals an empty map as "{}". */
		err = (*out = strdup("{}\n")) ? 0 : CF_ENOMEM;
	} else {
		err = cf_doc_emit_yaml(out, &len, merged, &yo);
	}
	if (err < 0)
		goto done;
	if (used) {
		*used = list;
		*n_used = nlist;
		list = NULL;
	}
done:
	if (list) {
		for (size_t i = 0; i < nlist; i++)
			free(list[i]);
		free(list);
	}
	cf_doc_free(merged);
	return err;
}
