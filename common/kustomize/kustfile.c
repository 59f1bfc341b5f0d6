/* Finding, parsing and validating one kustomization file (kustomization.yaml and its aliases). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cf/error.h"
#include "internal.h"

static const char *const file_names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

/*
 * Every field of kustomize's Kustomization type. kustomize decodes with Go's encoding/json, which
 * matches keys case-insensitively and rejects unknown ones; keys are rewritten to these spellings.
 */
static const char *const fields[] = {
	"apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace",
	"commonLabels", "labels", "commonAnnotations", "patchesStrategicMerge", "patchesJson6902",
	"patches", "images", "imageTags", "replacements", "replicas", "vars", "sortOptions",
	"resources", "components", "crds", "bases", "configMapGenerator", "secretGenerator",
	"helmGlobals", "helmCharts", "helmChartInflationGenerator", "generatorOptions",
	"configurations", "generators", "transformers", "validators", "buildMetadata",
};

#define KUST_API "kustomize.config.k8s.io/v1beta1"
#define COMP_API "kustomize.config.k8s.io/v1alpha1"

static const char *canonical_field(const char *key)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i], key) == 0)
			return fields[i];
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcasecmp(fields[i], key) == 0)
			return fields[i];
	return NULL;
}

static int find_file(char **out, const char *dir)
{
	char *found = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(file_names) / sizeof(file_names[0]); i++) {
		char *p = kz_path_join(dir, file_names[i]);
		if (!p)
			return cf_error_set(CF_ENOMEM, "out of memory");
		/* The directory listing decides, so "Kustomization" does not match on a
		 * case-insensitive file system by accident. */
		if (access(p, F_OK) == 0 && !kz_fs_is_dir(p)) {
			if (found) {
				free(p);
				err = cf_error_set(CF_EINVALID, "Found multiple kustomization files under: %s",
				                   dir);
				goto done;
			}
			found = p;
		} else {
			free(p);
		}
	}
	if (!found)
		return cf_error_set(CF_ENOTFOUND,
		                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
		                    "'Kustomization' in directory '%s'", dir);
	*out = found;
	found = NULL;
done:
	free(found);
	return err;
}

/* Rewrites keys to their canonical spelling; a later duplicate wins, as in encoding/json. */
static int normalise(cf_doc **out, const cf_doc *in)
{
	cf_doc *k = NULL;
	int err;

	if ((err = cf_doc_new_map(&k)) < 0)
		return err;
	for (size_t i = 0; i < cf_doc_len(in); i++) {
		const char *key = cf_doc_text(cf_doc_key(in, i));
		const char *canon = key ? canonical_field(key) : NULL;
		cf_doc *v = NULL;

		if (!canon) {
			err = cf_error_set(CF_EINVALID, "invalid Kustomization: json: unknown field \"%s\" "
			                   "(line %d)", key ? key : "", cf_doc_line(cf_doc_key(in, i)));
			goto fail;
		}
		if ((err = cf_doc_clone(&v, cf_doc_value(in, i))) < 0)
			goto fail;
		if ((err = cf_doc_map_set(k, canon, v)) < 0)
			goto fail;
	}
	*out = k;
	return 0;
fail:
	cf_doc_free(k);
	return err;
}

static int check_kind(cf_doc *k, int *component, const char *dir)
{
	const char *kind = cf_doc_get_str(k, "kind");
	const char *api = cf_doc_get_str(k, "apiVersion");
	int err;

	if (cf_doc_get(k, "kind") && !kind && cf_doc_type_of(cf_doc_get(k, "kind")) != CF_DOC_NULL)
		return cf_error_set(CF_EINVALID, "Failed to read kustomization file under %s:\nkind "
		                    "should be Kustomization or Component", dir);
	if (!kind || !*kind)
		kind = "Kustomization";
	if (strcmp(kind, "Kustomization") != 0 && strcmp(kind, "Component") != 0)
		return cf_error_set(CF_EINVALID, "Failed to read kustomization file under %s:\nkind "
		                    "should be Kustomization or Component", dir);
	*component = strcmp(kind, "Component") == 0;
	const char *want = *component ? COMP_API : KUST_API;
	if (api && *api && strcmp(api, want) != 0)
		return cf_error_set(CF_EINVALID, "Failed to read kustomization file under %s:\n"
		                    "apiVersion for %s should be %s", dir, kind, want);
	if ((err = cf_doc_map_set_str(k, "kind", kind)) < 0)
		return err;
	return cf_doc_map_set_str(k, "apiVersion", want);
}

/* Empty as kustomize's CheckEmpty: nothing besides apiVersion and kind. */
static int is_empty(const cf_doc *k)
{
	for (size_t i = 0; i < cf_doc_len(k); i++) {
		const char *key = cf_doc_text(cf_doc_key(k, i));
		if (strcmp(key, "apiVersion") && strcmp(key, "kind") &&
		    cf_doc_type_of(cf_doc_value(k, i)) != CF_DOC_NULL)
			return 0;
	}
	return 1;
}

/* Lists that kustomize treats as one: bases are resources, imageTags are images. */
static int fold_legacy(cf_doc *k, const char *from, const char *to)
{
	cf_doc *src = cf_doc_map_take(k, from), *dst;
	int err = 0;

	if (!src)
		return 0;
	if (cf_doc_type_of(src) != CF_DOC_SEQ) {
		cf_doc_free(src);
		return 0;
	}
	dst = cf_doc_get(k, to);
	if (!dst || cf_doc_type_of(dst) != CF_DOC_SEQ)
		return cf_doc_map_set(k, to, src);
	while (cf_doc_len(src) && err == 0)
		err = cf_doc_seq_append(dst, cf_doc_seq_take(src, 0));
	cf_doc_free(src);
	return err;
}

int kz_kust_load(kz_kust *out, kz_ctx *ctx, const char *dir)
{
	kz_kust k = {0};
	char *buf = NULL;
	size_t len = 0;
	cf_doc *stream = NULL;
	cf_doc_load_opts lo = {.schema = CF_DOC_YAML11};
	int err;

	if (!(k.dir = strdup(dir)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = find_file(&k.file, dir)) < 0)
		goto done;
	/* the file itself may be a symlink: it must not lead out of the root either */
	char *real = NULL;
	if ((err = kz_fs_resolve(&real, &ctx->fs, dir, strrchr(k.file, '/') + 1, NULL)) < 0)
		goto done;
	free(real);
	if ((err = kz_fs_read(&buf, &len, &ctx->fs, k.file)) < 0)
		goto done;
	lo.filename = k.file;
	if ((err = cf_doc_load_yaml_stream(&stream, buf, len, &lo)) < 0)
		goto done;
	const char *base = strrchr(k.file, '/') + 1;
	if (cf_doc_len(stream) == 0 || cf_doc_type_of(cf_doc_item(stream, 0)) == CF_DOC_NULL) {
		err = cf_error_set(CF_EINVALID, "%s is empty", base);
		goto done;
	}
	if (cf_doc_len(stream) > 1 || cf_doc_type_of(cf_doc_item(stream, 0)) != CF_DOC_MAP) {
		err = cf_error_set(CF_EINVALID, "invalid Kustomization: %s: not a single YAML map",
		                   k.file);
		goto done;
	}
	if ((err = normalise(&k.k, cf_doc_item(stream, 0))) < 0)
		goto done;
	if ((err = kz_kust_check_types(k.k)) < 0 ||
	    (err = check_kind(k.k, &k.component, dir)) < 0)
		goto done;
	if (is_empty(k.k)) {
		err = cf_error_set(CF_EINVALID, "%s is empty", base);
		goto done;
	}
	if ((err = fold_legacy(k.k, "bases", "resources")) < 0 ||
	    (err = fold_legacy(k.k, "imageTags", "images")) < 0)
		goto done;
	*out = k;
	memset(&k, 0, sizeof(k));
done:
	if (err < 0 && k.file && cf_error_last()[0] && !strstr(cf_error_last(), k.file) &&
	    err != CF_ENOMEM)
		cf_error_wrap(err, "%s: ", k.file);
	free(buf);
	cf_doc_free(stream);
	kz_kust_dispose(&k);
	return err;
}

void kz_kust_dispose(kz_kust *k)
{
	free(k->dir);
	free(k->file);
	cf_doc_free(k->k);
	memset(k, 0, sizeof(*k));
}
