/*
 * crds: OpenAPI definition files for custom resources. Properties marked
 * x-kubernetes-object-ref-kind become name references, so a renamed object's name is updated in
 * the custom resources that refer to it.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

#define MAX_REF_DEPTH 20

int kz_crds_add_ref(kz_ctx *ctx, const char *referral, const char *referrer, const char *path)
{
	kz_crd_ref *refs = realloc(ctx->crd_refs, (ctx->n_crd_refs + 1) * sizeof(*refs));
	if (!refs)
		return cf_error_set(CF_ENOMEM, "out of memory");
	ctx->crd_refs = refs;
	kz_crd_ref *r = &refs[ctx->n_crd_refs];
	r->referral_kind = strdup(referral);
	r->referrer_kind = strdup(referrer ? referrer : "");
	r->path = strdup(path);
	ctx->n_crd_refs++;
	if (!r->referral_kind || !r->referrer_kind || !r->path)
		return cf_error_set(CF_ENOMEM, "out of memory");
	return 0;
}

/* Walks a definition's properties, following $ref into other definitions of the file. */
static int walk_props(kz_ctx *ctx, const cf_doc *defs, const cf_doc *schema, const char *kind,
                      const char *prefix, int depth)
{
	const cf_doc *props = cf_doc_get(schema, "properties");
	int err = 0;

	if (depth > MAX_REF_DEPTH)
		return 0;
	for (size_t i = 0; i < cf_doc_len(props) && err == 0; i++) {
		const char *name = cf_doc_text(cf_doc_key(props, i));
		const cf_doc *p = cf_doc_value(props, i);
		char *path = *prefix ? kz_asprintf("%s/%s", prefix, name) : strdup(name);
		if (!path)
			return cf_error_set(CF_ENOMEM, "out of memory");
		const char *ref_kind = cf_doc_get_str(p, "x-kubernetes-object-ref-kind");
		const char *ref = cf_doc_get_str(p, "$ref");
		if (ref_kind) {
			char *full = kz_asprintf("%s/name", path);
			err = full ? kz_crds_add_ref(ctx, ref_kind, kind, full) : cf_error_set(CF_ENOMEM, "oom");
			free(full);
		} else if (ref && strcmp(name, "metadata") != 0) {
			const cf_doc *sub = cf_doc_get(cf_doc_get(defs, ref), "Schema");
			if (sub)
				err = walk_props(ctx, defs, sub, kind, path, depth + 1);
		}
		free(path);
	}
	return err;
}

static int load_crd_file(kz_ctx *ctx, const kz_kust *k, const char *rel)
{
	char *path = NULL, *buf = NULL;
	size_t len = 0;
	cf_doc *defs = NULL;
	cf_doc_load_opts lo = {.schema = CF_DOC_YAML12, .filename = rel};
	int err;

	if ((err = kz_fs_resolve(&path, &ctx->fs, k->dir, rel,
	                         ctx->fs.root ? ctx->fs.root : k->dir)) < 0 ||
	    (err = kz_fs_read(&buf, &len, &ctx->fs, path)) < 0 ||
	    (err = cf_doc_load_yaml(&defs, buf, len, &lo)) < 0)
		goto done;
	for (size_t i = 0; i < cf_doc_len(defs) && err == 0; i++) {
		const char *key = cf_doc_text(cf_doc_key(defs, i));
		const cf_doc *schema = cf_doc_get(cf_doc_value(defs, i), "Schema");
		const cf_doc *props = cf_doc_get(schema, "properties");
		const char *dot = strrchr(key, '.');
		/* top-level types are the ones with apiVersion and kind properties */
		if (!dot || !cf_doc_get(props, "kind") || !cf_doc_get(props, "apiVersion"))
			continue;
		err = walk_props(ctx, defs, schema, dot + 1, "", 0);
	}
done:
	if (err < 0 && err != CF_ENOMEM)
		cf_error_wrap(err, "loading crds '%s': ", rel);
	free(path);
	free(buf);
	cf_doc_free(defs);
	return err;
}

int kz_crds_load(kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "crds");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++)
		if (kz_scalar(cf_doc_item(list, i)))
			err = load_crd_file(ctx, k, kz_scalar(cf_doc_item(list, i)));
	return err;
}

void kz_crds_dispose(kz_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_crd_refs; i++) {
		free(ctx->crd_refs[i].referral_kind);
		free(ctx->crd_refs[i].referrer_kind);
		free(ctx->crd_refs[i].path);
	}
	free(ctx->crd_refs);
	ctx->crd_refs = NULL;
	ctx->n_crd_refs = 0;
}
