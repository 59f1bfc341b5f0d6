/* buildMetadata: the managed-by label and origin annotations kubectl kustomize can add. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

/* kubectl's embedded kustomize reports its version as "(devel)". */
#define MANAGED_BY "kustomize-(devel)"

/* Path of target relative to base (both absolute, normalised), into a new string. */
static char *relative_path(const char *base, const char *target)
{
	size_t common = 0, i = 0, ups = 0;
	size_t bl = strlen(base);

	/* longest common prefix ending at a path boundary */
	for (i = 0; base[i] && base[i] == target[i]; i++)
		if (base[i] == '/')
			common = i + 1;
	if (!base[i] && (target[i] == '/' || !target[i]))
		common = i + (target[i] == '/');
	/* count remaining components of base after the common prefix */
	for (size_t j = common; j < bl;) {
		while (j < bl && base[j] == '/')
			j++;
		if (j < bl)
			ups++;
		while (j < bl && base[j] != '/')
			j++;
	}
	size_t need = ups * 3 + strlen(target + common) + 1;
	char *out = malloc(need), *p = out;
	if (!out)
		return NULL;
	for (size_t u = 0; u < ups; u++) {
		memcpy(p, "../", 3);
		p += 3;
	}
	strcpy(p, target + common);
	return out;
}

static int set_origin(kz_res *r, const char *top_dir)
{
	char *rel = NULL, *value = NULL;
	cf_doc *meta = NULL, *ann = NULL;
	int err;

	if (!r->src)
		return 0;
	if (!(rel = relative_path(top_dir, r->src)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	if (r->gen_kind)
		value = kz_asprintf("configuredIn: %s\nconfiguredBy:\n  apiVersion: builtin\n"
		                    "  kind: %s\n", rel, r->gen_kind);
	else
		value = kz_asprintf("path: %s\n", rel);
	free(rel);
	if (!value)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = kz_ensure_map(&meta, r->obj, "metadata")) == 0 &&
	    (err = kz_ensure_map(&ann, meta, "annotations")) == 0)
		err = cf_doc_map_set_str(ann, "config.kubernetes.io/origin", value);
	free(value);
	return err;
}

static int set_managed_by(kz_res *r)
{
	cf_doc *meta = NULL, *labels = NULL;
	int err;

	if ((err = kz_ensure_map(&meta, r->obj, "metadata")) < 0 ||
	    (err = kz_ensure_map(&labels, meta, "labels")) < 0)
		return err;
	return cf_doc_map_set_str(labels, "app.kubernetes.io/managed-by", MANAGED_BY);
}

int kz_build_metadata(kz_resmap *m, const cf_doc *options, const char *top_dir)
{
	int origin = 0, managed = 0, err = 0;

	for (size_t i = 0; i < cf_doc_len(options); i++) {
		const char *o = kz_scalar(cf_doc_item(options, i));
		if (!o)
			continue;
		if (strcmp(o, "originAnnotations") == 0)
			origin = 1;
		else if (strcmp(o, "managedByLabel") == 0)
			managed = 1;
		else if (strcmp(o, "transformerAnnotations") == 0)
			return cf_error_set(CF_EUNSUPPORTED, "buildMetadata: transformerAnnotations are "
			                    "not supported");
		else
			return cf_error_set(CF_EINVALID, "invalid option %s in buildMetadata", o);
	}
	for (size_t i = 0; i < m->len && err == 0; i++) {
		if (origin && (err = set_origin(m->items[i], top_dir)) < 0)
			break;
		if (managed)
			err = set_managed_by(m->items[i]);
	}
	return err;
}
