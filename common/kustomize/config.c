/*
 * configurations: transformer configuration files that extend the built-in field specs
 * (nameReference, commonLabels, commonAnnotations, images, varReference) for custom kinds.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static const char *const sections[] = {"commonLabels", "commonAnnotations", "images",
                                       "varReference", "nameReference"};

static int append_all(cf_doc *dst_map, const char *key, const cf_doc *src)
{
	cf_doc *dst = cf_doc_get(dst_map, key);
	int err = 0;

	if (cf_doc_type_of(src) != CF_DOC_SEQ)
		return 0;
	if (!dst) {
		if ((err = cf_doc_new_seq(&dst)) < 0)
			return err;
		if ((err = cf_doc_map_set(dst_map, key, dst)) < 0)
			return err;
	}
	for (size_t i = 0; i < cf_doc_len(src) && err == 0; i++) {
		cf_doc *copy = NULL;
		if ((err = cf_doc_clone(&copy, cf_doc_item(src, i))) == 0)
			err = cf_doc_seq_append(dst, copy);
	}
	return err;
}

/* nameReference entries become name references like those from crds: files. */
static int add_name_refs(kz_ctx *ctx, const cf_doc *entries)
{
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(entries) && err == 0; i++) {
		const cf_doc *e = cf_doc_item(entries, i);
		const char *kind = kz_scalar(cf_doc_get(e, "kind"));
		const cf_doc *specs = cf_doc_get(e, "fieldSpecs");
		if (!kind)
			continue;
		for (size_t j = 0; j < cf_doc_len(specs) && err == 0; j++) {
			const cf_doc *fs = cf_doc_item(specs, j);
			const char *path = kz_scalar(cf_doc_get(fs, "path"));
			if (path)
				err = kz_crds_add_ref(ctx, kind, kz_scalar(cf_doc_get(fs, "kind")), path);
		}
	}
	return err;
}

int kz_config_load(cf_doc **out, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "configurations"), *local = NULL;
	int err;

	if ((err = cf_doc_new_map(&local)) < 0)
		return err;
	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		const char *rel = kz_scalar(cf_doc_item(list, i));
		char *path = NULL, *buf = NULL;
		size_t len = 0;
		cf_doc *cfg = NULL;
		cf_doc_load_opts lo = {.schema = CF_DOC_YAML12, .filename = rel};

		if (!rel)
			continue;
		if ((err = kz_fs_resolve(&path, &ctx->fs, k->dir, rel,
		                         ctx->fs.root ? ctx->fs.root : k->dir)) == 0 &&
		    (err = kz_fs_read(&buf, &len, &ctx->fs, path)) == 0 &&
		    (err = cf_doc_load_yaml(&cfg, buf, len, &lo)) == 0) {
			for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]) && err == 0; s++)
				err = append_all(local, sections[s], cf_doc_get(cfg, sections[s]));
			if (err == 0 && !ctx->var_refs && (err = cf_doc_new_seq(&ctx->var_refs)) < 0)
				break;
			if (err == 0) {
				const cf_doc *vr = cf_doc_get(cfg, "varReference");
				for (size_t j = 0; j < cf_doc_len(vr) && err == 0; j++) {
					cf_doc *copy = NULL;
					if ((err = cf_doc_clone(&copy, cf_doc_item(vr, j))) == 0)
						err = cf_doc_seq_append(ctx->var_refs, copy);
				}
			}
			if (err == 0)
				err = add_name_refs(ctx, cf_doc_get(cfg, "nameReference"));
		}
		if (err < 0 && err != CF_ENOMEM)
			cf_error_wrap(err, "loading configurations '%s': ", rel);
		free(path);
		free(buf);
		cf_doc_free(cfg);
	}
	if (err < 0) {
		cf_doc_free(local);
		return err;
	}
	*out = local;
	return 0;
}
