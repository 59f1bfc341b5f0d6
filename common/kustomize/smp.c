/*
 * Strategic merge patch as kustomize applies it (kyaml merge2): maps merge recursively, null
 * deletes, $patch directives, associative lists of built-in types merge by key with the patch's
 * elements first, every other list is replaced.
 */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"
#include "smp.h"

#define MAX_DEPTH 200

enum { DIR_NONE, DIR_MERGE, DIR_REPLACE, DIR_DELETE };

static int directive(int *out, const cf_doc *map)
{
	const char *d = kz_scalar(cf_doc_get(map, "$patch"));

	*out = DIR_NONE;
	if (!cf_doc_get(map, "$patch"))
		return 0;
	if (d && strcmp(d, "merge") == 0)
		*out = DIR_MERGE;
	else if (d && strcmp(d, "replace") == 0)
		*out = DIR_REPLACE;
	else if (d && strcmp(d, "delete") == 0)
		*out = DIR_DELETE;
	else
		return cf_error_set(CF_EINVALID, "unknown patch strategy '%s'", d ? d : "");
	return 0;
}

/* A copy of a patch value for a place the target lacks: no directives, no null fields. */
static int clean_copy(cf_doc **out, const cf_doc *src, int depth)
{
	cf_doc *c = NULL;
	int err = 0;

	if (depth > MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "patch nested too deeply");
	switch (cf_doc_type_of(src)) {
	case CF_DOC_MAP:
		if ((err = cf_doc_new_map(&c)) < 0)
			return err;
		for (size_t i = 0; i < cf_doc_len(src) && err == 0; i++) {
			const char *k = cf_doc_text(cf_doc_key(src, i));
			cf_doc *v = cf_doc_value(src, i), *vc = NULL;
			if (strcmp(k, "$patch") == 0 || cf_doc_type_of(v) == CF_DOC_NULL)
				continue;
			if ((err = clean_copy(&vc, v, depth + 1)) == 0)
				err = cf_doc_map_set(c, k, vc);
		}
		break;
	case CF_DOC_SEQ:
		if ((err = cf_doc_new_seq(&c)) < 0)
			return err;
		for (size_t i = 0; i < cf_doc_len(src) && err == 0; i++) {
			cf_doc *v = cf_doc_item(src, i), *vc = NULL;
			int d = DIR_NONE;
			if (cf_doc_type_of(v) == CF_DOC_MAP && (err = directive(&d, v)) < 0)
				break;
			if (d == DIR_DELETE || (d == DIR_REPLACE && cf_doc_len(v) == 1))
				continue;
			if ((err = clean_copy(&vc, v, depth + 1)) == 0)
				err = cf_doc_seq_append(c, vc);
		}
		break;
	default:
		return cf_doc_clone(out, src);
	}
	if (err < 0) {
		cf_doc_free(c);
		return err;
	}
	*out = c;
	return 0;
}

static int merge_map(cf_doc *dst, const cf_doc *patch, const void *type, int depth);

static int same_key(const cf_doc *a, const cf_doc *b, const char *key)
{
	const char *x = kz_scalar(cf_doc_get(a, key)), *y = kz_scalar(cf_doc_get(b, key));
	return x && y && strcmp(x, y) == 0;
}

static int element_matches(const cf_doc *a, const cf_doc *b, const char *key)
{
	if (!key) {
		const char *x = kz_scalar(a), *y = kz_scalar(b);
		return x && y && strcmp(x, y) == 0;
	}
	if (cf_doc_type_of(a) != CF_DOC_MAP || cf_doc_type_of(b) != CF_DOC_MAP)
		return 0;
	return same_key(a, b, key);
}

/*
 * Matching in lists with two map keys (container ports: containerPort and protocol): the keys
 * the patch element sets must all agree; with neither set, both must be absent in the target.
 */
static int element_matches2(const cf_doc *dst, const cf_doc *pe, const char *key, const char *key2)
{
	const char *keys[2] = {key, key2};
	int used = 0;

	if (cf_doc_type_of(dst) != CF_DOC_MAP || cf_doc_type_of(pe) != CF_DOC_MAP)
		return 0;
	for (int i = 0; i < 2; i++) {
		const char *p = kz_scalar(cf_doc_get(pe, keys[i]));
		const char *d = kz_scalar(cf_doc_get(dst, keys[i]));
		if (!p)
			continue;
		used = 1;
		if (!d || strcmp(p, d) != 0)
			return 0;
	}
	if (!used)
		return !cf_doc_get(dst, key) && !cf_doc_get(dst, key2);
	return 1;
}

/*
 * Two-key lists keep the target's order: new patch elements first (patch order), then the
 * target's elements, each merged with the patch element that matches it or deleted by it.
 */
static int merge_list2(cf_doc *dst, const cf_doc *patch, const char *key, const char *key2,
                       const void *item_type, int depth)
{
	cf_doc *out = NULL;
	int err;

	if ((err = cf_doc_new_seq(&out)) < 0)
		return err;
	for (size_t i = 0; i < cf_doc_len(patch) && err == 0; i++) {
		cf_doc *pe = cf_doc_item(patch, i), *copy = NULL;
		int d = DIR_NONE, matched = 0;
		if (cf_doc_type_of(pe) == CF_DOC_MAP && (err = directive(&d, pe)) < 0)
			break;
		for (size_t j = 0; j < cf_doc_len(dst) && !matched; j++)
			matched = element_matches2(cf_doc_item(dst, j), pe, key, key2);
		if (matched || d == DIR_DELETE)
			continue;
		if ((err = clean_copy(&copy, pe, depth + 1)) == 0)
			err = cf_doc_seq_append(out, copy);
	}
	for (size_t j = 0; j < cf_doc_len(dst) && err == 0; j++) {
		cf_doc *de = cf_doc_item(dst, j), *merged = NULL, *pe = NULL;
		int d = DIR_NONE;
		for (size_t i = 0; i < cf_doc_len(patch) && !pe; i++)
			if (element_matches2(de, cf_doc_item(patch, i), key, key2))
				pe = cf_doc_item(patch, i);
		if (pe && (err = directive(&d, pe)) < 0)
			break;
		if (d == DIR_DELETE)
			continue;
		if ((err = cf_doc_clone(&merged, de)) < 0)
			break;
		if (pe)
			err = merge_map(merged, pe, item_type, depth + 1);
		if (err == 0)
			err = cf_doc_seq_append(out, merged);
		else
			cf_doc_free(merged);
	}
	if (err == 0)
		err = cf_doc_assign(dst, out);
	cf_doc_free(out);
	return err;
}

/* Does the patch list hold a {$patch: replace} element (replace the whole list)? */
static int list_directive(int *out, const cf_doc *patch)
{
	int err;

	*out = DIR_NONE;
	for (size_t i = 0; i < cf_doc_len(patch); i++) {
		cf_doc *e = cf_doc_item(patch, i);
		int d;
		if (cf_doc_type_of(e) != CF_DOC_MAP || cf_doc_len(e) != 1)
			continue;
		if ((err = directive(&d, e)) < 0)
			return err;
		if (d == DIR_REPLACE || d == DIR_DELETE)
			*out = d;
	}
	return 0;
}

/*
 * Merges an associative (key != NULL) or set-like (key == NULL) list: patch elements first, in
 * patch order, merged with their matches; then the target's remaining elements.
 */
static int merge_list(cf_doc *dst, const cf_doc *patch, const char *key, const void *item_type,
                      int depth)
{
	size_t n = cf_doc_len(dst);
	char *used = calloc(n ? n : 1, 1);
	cf_doc *out = NULL;
	int err;

	if (!used)
		return cf_error_set(CF_ENOMEM, "out of memory");
	if ((err = cf_doc_new_seq(&out)) < 0) {
		free(used);
		return err;
	}
	for (size_t i = 0; i < cf_doc_len(patch) && err == 0; i++) {
		cf_doc *pe = cf_doc_item(patch, i), *merged = NULL;
		int d = DIR_NONE;
		size_t j;

		if (cf_doc_type_of(pe) == CF_DOC_MAP && (err = directive(&d, pe)) < 0)
			break;
		for (j = 0; j < n; j++)
			if (!used[j] && element_matches(cf_doc_item(dst, j), pe, key))
				break;
		if (d == DIR_DELETE) {
			if (j < n)
				used[j] = 1;
			continue;
		}
		if (j < n) {
			used[j] = 1;
			if ((err = cf_doc_clone(&merged, cf_doc_item(dst, j))) < 0)
				break;
			if (cf_doc_type_of(pe) == CF_DOC_MAP && cf_doc_type_of(merged) == CF_DOC_MAP)
				err = merge_map(merged, pe, item_type, depth + 1);
		} else {
			err = clean_copy(&merged, pe, depth + 1);
		}
		if (err == 0)
			err = cf_doc_seq_append(out, merged);
		else
			cf_doc_free(merged);
	}
	for (size_t j = 0; j < n && err == 0; j++) {
		cf_doc *c = NULL;
		if (used[j])
			continue;
		if ((err = cf_doc_clone(&c, cf_doc_item(dst, j))) == 0)
			err = cf_doc_seq_append(out, c);
	}
	if (err == 0)
		err = cf_doc_assign(dst, out);
	cf_doc_free(out);
	free(used);
	return err;
}

static int merge_field(cf_doc *dst, const char *k, const cf_doc *pv, const void *type, int depth)
{
	cf_doc *dv = cf_doc_get(dst, k), *copy = NULL;
	smp_field_info info;
	int err, d;

	smp_field(type, k, &info);
	if (cf_doc_type_of(pv) == CF_DOC_NULL) {
		if (dv)
			cf_doc_map_remove(dst, k);
		return 0;
	}
	if (cf_doc_type_of(pv) == CF_DOC_MAP) {
		if ((err = directive(&d, pv)) < 0)
			return err;
		if (d == DIR_DELETE) {
			if (dv)
				cf_doc_map_remove(dst, k);
			return 0;
		}
		if (dv && cf_doc_type_of(dv) == CF_DOC_MAP && d != DIR_REPLACE)
			return merge_map(dv, pv, info.type, depth + 1);
	} else if (cf_doc_type_of(pv) == CF_DOC_SEQ) {
		if ((err = list_directive(&d, pv)) < 0)
			return err;
		if (d == DIR_NONE && dv && cf_doc_type_of(dv) == CF_DOC_SEQ && info.key2)
			return merge_list2(dv, pv, info.key, info.key2, info.type, depth + 1);
		if (d == DIR_NONE && dv && cf_doc_type_of(dv) == CF_DOC_SEQ &&
		    (info.key || info.primitive_merge))
			return merge_list(dv, pv, info.key, info.type, depth + 1);
	}
	if ((err = clean_copy(&copy, pv, depth + 1)) < 0)
		return err;
	return cf_doc_map_set(dst, k, copy);
}

static int merge_map(cf_doc *dst, const cf_doc *patch, const void *type, int depth)
{
	int err = 0;

	if (depth > MAX_DEPTH)
		return cf_error_set(CF_ELIMIT, "patch nested too deeply");
	for (size_t i = 0; i < cf_doc_len(patch) && err == 0; i++) {
		const char *k = cf_doc_text(cf_doc_key(patch, i));
		if (!k || strcmp(k, "$patch") == 0)
			continue;
		err = merge_field(dst, k, cf_doc_value(patch, i), type, depth);
	}
	return err;
}

int kz_smp(cf_doc *target, const cf_doc *patch, const char *api_version, const char *kind)
{
	int d, err;

	if ((err = directive(&d, patch)) < 0)
		return err;
	if (d == DIR_REPLACE) {
		cf_doc *copy = NULL;
		if ((err = clean_copy(&copy, patch, 0)) < 0)
			return err;
		err = cf_doc_assign(target, copy);
		cf_doc_free(copy);
		return err;
	}
	return merge_map(target, patch, smp_root_type(api_version, kind), 0);
}
