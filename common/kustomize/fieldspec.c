/* Field specs: kustomize's "group/version/kind + path" addresses of the fields a transformer edits. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

int kz_fieldspec_matches(const kz_fieldspec *fs, const kz_res *r)
{
	char group[256], version[256];

	kz_res_gv(r, group, version, sizeof(group));
	if (fs->kind && strcmp(fs->kind, kz_res_kind(r)) != 0)
		return 0;
	if (fs->group && strcmp(fs->group, group) != 0)
		return 0;
	if (fs->version && strcmp(fs->version, version) != 0)
		return 0;
	return 1;
}

/* Copies the next segment of path (up to an unescaped '/') into seg; returns the rest or NULL. */
static const char *next_segment(const char *path, char *seg, size_t n)
{
	size_t len = 0;

	while (*path && *path != '/') {
		if (path[0] == '\\' && path[1] == '/')
			path++;
		if (len + 1 < n)
			seg[len++] = *path;
		path++;
	}
	seg[len] = '\0';
	if (len >= 2 && seg[len - 2] == '[' && seg[len - 1] == ']')
		seg[len - 2] = '\0';
	return *path == '/' ? path + 1 : NULL;
}

static int walk(cf_doc *node, const char *path, int create, int final_map, kz_field_fn fn, void *ctx,
                int depth)
{
	char seg[512];
	const char *rest;
	cf_doc *child;
	int err = 0;

	if (depth > 64)
		return 0;
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = walk(cf_doc_item(node, i), path, create, final_map, fn, ctx, depth + 1);
		return err;
	}
	if (cf_doc_type_of(node) != CF_DOC_MAP)
		return 0;
	rest = next_segment(path, seg, sizeof(seg));
	child = cf_doc_get(node, seg);
	if (!rest) {
		if (!child && create && final_map) {
			if ((err = kz_ensure_map(&child, node, seg)) < 0)
				return err;
		} else if (child && cf_doc_type_of(child) == CF_DOC_NULL && create && final_map) {
			if ((err = kz_ensure_map(&child, node, seg)) < 0)
				return err;
		}
		if (!child && !create)
			return 0;
		return fn(node, seg, child, ctx);
	}
	if (!child || cf_doc_type_of(child) == CF_DOC_NULL) {
		if (!create)
			return 0;
		if ((err = kz_ensure_map(&child, node, seg)) < 0)
			return err;
	}
	return walk(child, rest, create, final_map, fn, ctx, depth + 1);
}

int kz_fieldspec_walk(cf_doc *obj, const char *path, int create, int final_map, kz_field_fn fn,
                      void *ctx)
{
	return walk(obj, path, create, final_map, fn, ctx, 0);
}
