/* kyaml field paths ("spec.containers.[name=app].image", "ports[0].port") over document trees. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "fieldpath.h"
#include "internal.h"

/* Adds path[start..end) as a segment. */
static int push(char ***segs, int *n, const char *start, const char *end)
{
	char **ns;
	if (end <= start)
		return 0;
	if (*n >= 256 || !(ns = realloc(*segs, (size_t)(*n + 1) * sizeof(*ns))))
		return -1;
	*segs = ns;
	if (!(ns[*n] = strndup(start, (size_t)(end - start))))
		return -1;
	(*n)++;
	return 0;
}

/* Splits at dots outside brackets; "a[0]" becomes "a", "[0]". Returns the count or -1. */
static int split_path(char ***out, const char *path)
{
	char **segs = NULL;
	int n = 0;
	const char *p = path, *start = path;

	while (*p) {
		if (*p == '.') {
			if (push(&segs, &n, start, p) < 0)
				goto fail;
			start = ++p;
		} else if (*p == '[') {
			const char *close = strchr(p, ']');
			if (!close || push(&segs, &n, start, p) < 0 || push(&segs, &n, p, close + 1) < 0)
				goto fail;
			p = close + 1;
			start = p;
		} else {
			p++;
		}
	}
	if (push(&segs, &n, start, p) < 0)
		goto fail;
	*out = segs;
	return n;
fail:
	for (int i = 0; i < n; i++)
		free(segs[i]);
	free(segs);
	return -1;
}

static void free_segs(char **segs, int n)
{
	for (int i = 0; i < n; i++)
		free(segs[i]);
	free(segs);
}

static int is_index(const char *s, long *out)
{
	char *end;
	if (!*s)
		return 0;
	*out = strtol(s, &end, 10);
	return *end == '\0';
}

/* Walks one segment; fn gets called at the end. Creates maps when create is set. */
static int step(cf_doc *node, char **segs, int i, int n, int create, kz_path_fn fn, void *ctx)
{
	const char *seg = segs[i];
	int last = i == n - 1, err = 0;
	long idx;

	if (seg[0] == '[') {
		/* [key=value] in a sequence of maps, or [index] */
		size_t len = strlen(seg);
		char *inner = strndup(seg + 1, len >= 2 ? len - 2 : 0);
		if (!inner)
			return cf_error_set(CF_ENOMEM, "out of memory");
		char *eq = strchr(inner, '=');
		if (cf_doc_type_of(node) != CF_DOC_SEQ) {
			free(inner);
			return 0;
		}
		if (!eq && is_index(inner, &idx)) {
			cf_doc *item = idx >= 0 ? cf_doc_item(node, (size_t)idx) : NULL;
			free(inner);
			if (!item)
				return 0;
			return last ? fn(node, NULL, item, ctx) : step(item, segs, i + 1, n, create, fn, ctx);
		}
		if (!eq) {
			free(inner);
			return cf_error_set(CF_EINVALID, "bad field path segment '%s'", seg);
		}
		*eq = '\0';
		for (size_t j = 0; j < cf_doc_len(node) && err == 0; j++) {
			cf_doc *item = cf_doc_item(node, j);
			const char *v = kz_scalar(cf_doc_get(item, inner));
			if (!v || strcmp(v, eq + 1) != 0)
				continue;
			err = last ? fn(node, NULL, item, ctx) : step(item, segs, i + 1, n, create, fn, ctx);
		}
		free(inner);
		return err;
	}
	if (strcmp(seg, "*") == 0) {
		if (cf_doc_type_of(node) == CF_DOC_SEQ)
			for (size_t j = 0; j < cf_doc_len(node) && err == 0; j++)
				err = last ? fn(node, NULL, cf_doc_item(node, j), ctx)
				           : step(cf_doc_item(node, j), segs, i + 1, n, create, fn, ctx);
		else if (cf_doc_type_of(node) == CF_DOC_MAP)
			for (size_t j = 0; j < cf_doc_len(node) && err == 0; j++)
				err = last ? fn(node, cf_doc_text(cf_doc_key(node, j)), cf_doc_value(node, j), ctx)
				           : step(cf_doc_value(node, j), segs, i + 1, n, create, fn, ctx);
		return err;
	}
	if (cf_doc_type_of(node) == CF_DOC_SEQ && is_index(seg, &idx)) {
		cf_doc *item = idx >= 0 ? cf_doc_item(node, (size_t)idx) : NULL;
		if (!item)
			return 0;
		return last ? fn(node, NULL, item, ctx) : step(item, segs, i + 1, n, create, fn, ctx);
	}
	if (cf_doc_type_of(node) != CF_DOC_MAP)
		return 0;
	cf_doc *child = cf_doc_get(node, seg);
	if (last)
		return (child || create) ? fn(node, seg, child, ctx) : 0;
	if (!child || cf_doc_type_of(child) == CF_DOC_NULL) {
		if (!create)
			return 0;
		if ((err = kz_ensure_map(&child, node, seg)) < 0)
			return err;
	}
	return step(child, segs, i + 1, n, create, fn, ctx);
}

int kz_path_walk(cf_doc *root, const char *path, int create, kz_path_fn fn, void *ctx)
{
	char **segs = NULL;
	int n = split_path(&segs, path), err;

	if (n < 0)
		return cf_error_set(CF_EINVALID, "bad field path '%s'", path);
	if (n == 0) {
		free(segs);
		return cf_error_set(CF_EINVALID, "empty field path");
	}
	err = step(root, segs, 0, n, create, fn, ctx);
	free_segs(segs, n);
	return err;
}

static int first_fn(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	cf_doc **out = ctx;
	(void)parent;
	(void)key;
	if (!*out && node)
		*out = node;
	return 0;
}

cf_doc *kz_path_get(cf_doc *root, const char *path)
{
	cf_doc *found = NULL;
	if (kz_path_walk(root, path, 0, first_fn, &found) < 0)
		return NULL;
	return found;
}
