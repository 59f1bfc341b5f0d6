/* The images transformer: new names, tags and digests for matching container images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

typedef struct {
	const char *name, *new_name, *new_tag, *digest, *tag_suffix;
} image_rule;

/* Splits "registry:5000/repo:tag@digest"; the search for ':' and '@' starts at the first '/'. */
static void split_image(const char *s, size_t *name_len, const char **tag, size_t *tag_len,
                        const char **digest)
{
	const char *slash = strchr(s, '/');
	const char *search = (slash && slash != s) ? slash : s;
	const char *at = strchr(search, '@'), *colon = strchr(search, ':');

	*tag = NULL;
	*tag_len = 0;
	*digest = NULL;
	*name_len = strlen(s);
	if (at && (!colon || at < colon)) {
		*name_len = (size_t)(at - s);
		*digest = at + 1;
	} else if (colon) {
		*name_len = (size_t)(colon - s);
		*tag = colon + 1;
		*tag_len = at ? (size_t)(at - colon - 1) : strlen(colon + 1);
		if (at)
			*digest = at + 1;
	}
}

static int image_matches(const image_rule *rule, const char *image)
{
	char *pat = kz_asprintf("%s(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:"
	                        "[a-zA-Z0-9_.{}-]*)?", rule->name);
	int rc;

	if (!pat)
		return cf_error_set(CF_ENOMEM, "out of memory");
	rc = kz_regex_match(pat, image);
	free(pat);
	return rc < 0 ? 0 : rc;  /* an invalid name matches nothing */
}

static char *updated_image(const image_rule *rule, const char *image)
{
	size_t nl, tl;
	const char *tag, *digest;
	char name[1024];

	split_image(image, &nl, &tag, &tl, &digest);
	if (rule->new_name && *rule->new_name)
		snprintf(name, sizeof(name), "%s", rule->new_name);
	else
		snprintf(name, sizeof(name), "%.*s", (int)nl, image);
	if (rule->new_tag && *rule->new_tag && rule->digest && *rule->digest)
		return kz_asprintf("%s:%s@%s", name, rule->new_tag, rule->digest);
	if (rule->new_tag && *rule->new_tag)
		return kz_asprintf("%s:%s", name, rule->new_tag);
	if (rule->digest && *rule->digest)
		return kz_asprintf("%s@%s", name, rule->digest);
	if (rule->tag_suffix && *rule->tag_suffix)
		return kz_asprintf("%s:%.*s%s", name, (int)tl, tag ? tag : "", rule->tag_suffix);
	return kz_asprintf("%s%s%.*s%s%s", name, tag ? ":" : "", (int)tl, tag ? tag : "",
	                   digest ? "@" : "", digest ? digest : "");
}

static int update_container(cf_doc *c, const image_rule *rule)
{
	cf_doc *img = cf_doc_get(c, "image");
	const char *s = img && cf_doc_type_of(img) == CF_DOC_STR ? cf_doc_text(img) : NULL;
	char *n;
	int err;

	if (!s || !image_matches(rule, s))
		return 0;
	if (!(n = updated_image(rule, s)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = cf_doc_map_set_str(c, "image", n);
	free(n);
	return err;
}

static int update_list(cf_doc *list, const image_rule *rule)
{
	int err = 0;
	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++)
		if (cf_doc_type_of(cf_doc_item(list, i)) == CF_DOC_MAP)
			err = update_container(cf_doc_item(list, i), rule);
	return err;
}

/* kustomize's legacy filter: every containers/initContainers list anywhere in the object. */
static int walk_containers(cf_doc *node, const image_rule *rule, int depth)
{
	int err = 0;

	if (depth > 100)
		return 0;
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = walk_containers(cf_doc_item(node, i), rule, depth + 1);
		return err;
	}
	if (cf_doc_type_of(node) != CF_DOC_MAP)
		return 0;
	for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++) {
		const char *k = cf_doc_text(cf_doc_key(node, i));
		cf_doc *v = cf_doc_value(node, i);
		if ((strcmp(k, "containers") == 0 || strcmp(k, "initContainers") == 0) &&
		    cf_doc_type_of(v) == CF_DOC_SEQ)
			err = update_list(v, rule);
		else
			err = walk_containers(v, rule, depth + 1);
	}
	return err;
}

static int image_field(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	(void)key;
	(void)node;
	return update_container(parent, ctx);
}

/* A custom image field: the value itself is the image reference. */
static int image_value(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	const image_rule *rule = ctx;
	const char *s = node && cf_doc_type_of(node) == CF_DOC_STR ? cf_doc_text(node) : NULL;
	char *n;
	int err;

	(void)parent;
	(void)key;
	if (!s || !image_matches(rule, s))
		return 0;
	if (!(n = updated_image(rule, s)))
		return cf_error_set(CF_ENOMEM, "out of memory");
	err = cf_doc_set_str(node, n);
	free(n);
	return err;
}

/* The field specs run after the legacy walk, so non-idempotent edits (tagSuffix) apply twice
 * on these paths, as with kustomize. */
static const char *const image_paths[] = {
	"spec/containers/image",
	"spec/initContainers/image",
	"spec/template/spec/containers/image",
	"spec/template/spec/initContainers/image",
};

int kz_images_apply(kz_resmap *m, const cf_doc *images, const cf_doc *tconfig)
{
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(images) && err == 0; i++) {
		const cf_doc *e = cf_doc_item(images, i);
		image_rule rule = {
			.name = kz_scalar(cf_doc_get(e, "name")),
			.new_name = kz_scalar(cf_doc_get(e, "newName")),
			.new_tag = kz_scalar(cf_doc_get(e, "newTag")),
			.digest = kz_scalar(cf_doc_get(e, "digest")),
			.tag_suffix = kz_scalar(cf_doc_get(e, "tagSuffix")),
		};
		if (!rule.name || !*rule.name)
			continue;
		for (size_t j = 0; j < m->len && err == 0; j++) {
			kz_res *r = m->items[j];
			if (strcmp(kz_res_kind(r), "CustomResourceDefinition") != 0)
				err = walk_containers(r->obj, &rule, 0);
			for (size_t p = 0; p < 4 && err == 0; p++)
				err = kz_fieldspec_walk(r->obj, image_paths[p], 0, 0, image_field, &rule);
			const cf_doc *extra = cf_doc_get(tconfig, "images");
			for (size_t p = 0; p < cf_doc_len(extra) && err == 0; p++) {
				const cf_doc *fs = cf_doc_item(extra, p);
				const char *path = kz_scalar(cf_doc_get(fs, "path"));
				const char *kind = kz_scalar(cf_doc_get(fs, "kind"));
				if (path && (!kind || strcmp(kind, kz_res_kind(r)) == 0))
					err = kz_fieldspec_walk(r->obj, path, 0, 0, image_value, &rule);
			}
		}
	}
	return err;
}
