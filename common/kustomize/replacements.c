/* replacements: copying a field of one object into fields of others. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "fieldpath.h"
#include "internal.h"

/* Exact id match of a replacement source (group, version, kind, name, namespace). */
static int source_matches(const cf_doc *src, const kz_res *r)
{
	char g[256], v[256];
	const char *want;

	kz_res_gv(r, g, v, sizeof(g));
	if ((want = kz_scalar(cf_doc_get(src, "group"))) && *want && strcmp(want, g))
		return 0;
	if ((want = kz_scalar(cf_doc_get(src, "version"))) && *want && strcmp(want, v))
		return 0;
	if ((want = kz_scalar(cf_doc_get(src, "kind"))) && *want && strcmp(want, kz_res_kind(r)))
		return 0;
	if ((want = kz_scalar(cf_doc_get(src, "namespace"))) && *want && strcmp(want, kz_res_ns(r)))
		return 0;
	if ((want = kz_scalar(cf_doc_get(src, "name"))) && *want && strcmp(want, kz_res_name(r))) {
		for (size_t i = 0; i < r->n_ids; i++)
			if (strcmp(r->ids[i].name, want) == 0)
				return 1;
		return 0;
	}
	return 1;
}

/* Picks element `index` of s split by delim into a new string (NULL when out of range). */
static char *split_pick(const char *s, const char *delim, long index)
{
	size_t dl = strlen(delim);
	const char *p = s;

	for (long i = 0; i < index; i++) {
		const char *q = strstr(p, delim);
		if (!q)
			return NULL;
		p = q + dl;
	}
	const char *e = strstr(p, delim);
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* Replaces element `index` of s split by delim with value. */
static char *split_replace(const char *s, const char *delim, long index, const char *value)
{
	size_t dl = strlen(delim);
	const char *p = s;

	for (long i = 0; i < index; i++) {
		const char *q = strstr(p, delim);
		if (!q)
			return NULL;
		p = q + dl;
	}
	const char *e = strstr(p, delim);
	return kz_asprintf("%.*s%s%s", (int)(p - s), s, value, e ? e : "");
}

/*
 * kustomize copies a scalar's text into an existing scalar and keeps the target's tag, so
 * "8443" written into a port stays a number. The text is re-read as YAML; if that gives the
 * target's type the typed node is used, otherwise the value becomes a string.
 */
static int set_scalar_keeping_type(cf_doc *node, const char *text)
{
	cf_doc *typed = NULL;
	cf_doc_load_opts lo = {.schema = CF_DOC_YAML12};
	cf_doc_type want = cf_doc_type_of(node);
	int err;

	if (want == CF_DOC_STR || want == CF_DOC_NULL)
		return cf_doc_set_str(node, text);
	if (cf_doc_load_yaml(&typed, text, strlen(text), &lo) < 0 ||
	    cf_doc_type_of(typed) != want) {
		cf_doc_free(typed);
		cf_error_clear();
		return cf_doc_set_str(node, text);
	}
	err = cf_doc_assign(node, typed);
	cf_doc_free(typed);
	return err;
}

typedef struct {
	const cf_doc *value;
	const char *delim;
	long index;
} put_ctx;

static int put(cf_doc *parent, const char *key, cf_doc *node, void *vctx)
{
	put_ctx *c = vctx;
	cf_doc *copy = NULL;
	int err;

	if (c->delim && *c->delim) {
		const char *cur = node ? kz_scalar(node) : "";
		const char *val = kz_scalar(c->value);
		char *s;
		if (!cur || !val)
			return cf_error_set(CF_EINVALID, "delimiter option can only be used with scalar nodes");
		if (!(s = split_replace(cur, c->delim, c->index, val)))
			return cf_error_set(CF_EINVALID, "options.index %ld is out of bounds for value %s",
			                    c->index, cur);
		err = node ? cf_doc_set_str(node, s) : cf_doc_map_set_str(parent, key, s);
		free(s);
		return err;
	}
	if (node && kz_scalar(node) && kz_scalar(c->value))
		return set_scalar_keeping_type(node, kz_scalar(c->value));
	if ((err = cf_doc_clone(&copy, c->value)) < 0)
		return err;
	if (node) {
		err = cf_doc_assign(node, copy);
		cf_doc_free(copy);
		return err;
	}
	if (!key) {
		cf_doc_free(copy);
		return 0;
	}
	return cf_doc_map_set(parent, key, copy);
}

static int apply_target(kz_resmap *m, const cf_doc *t, const cf_doc *value)
{
	const cf_doc *select = cf_doc_get(t, "select"), *reject = cf_doc_get(t, "reject");
	const cf_doc *paths = cf_doc_get(t, "fieldPaths"), *opts = cf_doc_get(t, "options");
	put_ctx c = {value, kz_scalar(cf_doc_get(opts, "delimiter")),
	             cf_doc_int(cf_doc_get(opts, "index"))};
	int create = cf_doc_bool(cf_doc_get(opts, "create")), err = 0;

	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		int rc = select ? kz_selector_match(select, r) : 0, rejected = 0;
		if (rc <= 0) {
			err = rc;
			continue;
		}
		for (size_t j = 0; j < cf_doc_len(reject) && !rejected; j++) {
			cf_doc *rj = cf_doc_item(reject, j);
			if (cf_doc_len(rj) == 0)
				continue;
			if ((rc = kz_selector_match(rj, r)) < 0)
				return rc;
			rejected = rc;
		}
		if (rejected)
			continue;
		for (size_t j = 0; j < cf_doc_len(paths) && err == 0; j++) {
			const char *fp = kz_scalar(cf_doc_item(paths, j));
			if (fp)
				err = kz_path_walk(r->obj, fp, create, put, &c);
		}
	}
	return err;
}

static int source_value(cf_doc **out, kz_resmap *m, const cf_doc *rep)
{
	const cf_doc *src = cf_doc_get(rep, "source"), *sv = cf_doc_get(rep, "sourceValue");
	kz_res *found = NULL;
	size_t n = 0;

	if (sv) {
		if (src)
			return cf_error_set(CF_EINVALID, "value and resource selectors are mutually "
			                    "exclusive");
		return cf_doc_clone(out, sv);
	}
	if (!src)
		return cf_error_set(CF_EINVALID, "replacements must specify a source and at least one "
		                    "target");
	for (size_t i = 0; i < m->len; i++)
		if (source_matches(src, m->items[i])) {
			found = m->items[i];
			n++;
		}
	if (n != 1) {
		const char *g = kz_scalar(cf_doc_get(src, "group"));
		const char *v = kz_scalar(cf_doc_get(src, "version"));
		const char *kd = kz_scalar(cf_doc_get(src, "kind"));
		const char *nm = kz_scalar(cf_doc_get(src, "name"));
		const char *ns = kz_scalar(cf_doc_get(src, "namespace"));
		return cf_error_set(CF_EINVALID, "%s %s.%s.%s/%s.%s",
		                    n ? "multiple matches for selector" : "nothing selected by",
		                    kd ? kd : "", v && *v ? v : "[noVer]", g && *g ? g : "[noGrp]",
		                    nm ? nm : "", ns && *ns ? ns : "[noNs]");
	}
	const char *fp = kz_scalar(cf_doc_get(src, "fieldPath"));
	cf_doc *node = kz_path_get(found->obj, fp && *fp ? fp : "metadata.name");
	if (!node)
		return cf_error_set(CF_EINVALID, "fieldPath `%s` is missing for replacement source %s",
		                    fp ? fp : "metadata.name", kz_res_name(found));
	const cf_doc *opts = cf_doc_get(src, "options");
	const char *delim = kz_scalar(cf_doc_get(opts, "delimiter"));
	if (delim && *delim && kz_scalar(node)) {
		char *part = split_pick(kz_scalar(node), delim, cf_doc_int(cf_doc_get(opts, "index")));
		int err;
		if (!part)
			return cf_error_set(CF_EINVALID, "options.index is out of bounds for value %s",
			                    kz_scalar(node));
		err = cf_doc_new_str(out, part);
		free(part);
		return err;
	}
	return cf_doc_clone(out, node);
}

static int apply_one(kz_resmap *m, const cf_doc *rep)
{
	cf_doc *value = NULL;
	const cf_doc *targets = cf_doc_get(rep, "targets");
	int err;

	if ((err = source_value(&value, m, rep)) < 0)
		return err;
	for (size_t i = 0; i < cf_doc_len(targets) && err == 0; i++)
		err = apply_target(m, cf_doc_item(targets, i), value);
	cf_doc_free(value);
	return err;
}

int kz_replacements_apply(kz_resmap *m, kz_ctx *ctx, const kz_kust *k)
{
	cf_doc *list = cf_doc_get(k->k, "replacements");
	int err = 0;

	for (size_t i = 0; i < cf_doc_len(list) && err == 0; i++) {
		cf_doc *e = cf_doc_item(list, i);
		const char *path = kz_scalar(cf_doc_get(e, "path"));
		if (!path) {
			err = apply_one(m, e);
			continue;
		}
		char *real = NULL, *buf = NULL;
		size_t len = 0;
		cf_doc *docs = NULL;
		cf_doc_load_opts lo = {.schema = CF_DOC_YAML12, .filename = path};
		if ((err = kz_fs_resolve(&real, &ctx->fs, k->dir, path,
		                         ctx->fs.root ? ctx->fs.root : k->dir)) == 0 &&
		    (err = kz_fs_read(&buf, &len, &ctx->fs, real)) == 0 &&
		    (err = cf_doc_load_yaml_stream(&docs, buf, len, &lo)) == 0) {
			for (size_t d = 0; d < cf_doc_len(docs) && err == 0; d++) {
				cf_doc *doc = cf_doc_item(docs, d);
				if (cf_doc_type_of(doc) == CF_DOC_SEQ)
					for (size_t j = 0; j < cf_doc_len(doc) && err == 0; j++)
						err = apply_one(m, cf_doc_item(doc, j));
				else if (cf_doc_type_of(doc) == CF_DOC_MAP)
					err = apply_one(m, doc);
			}
		}
		free(real);
		free(buf);
		cf_doc_free(docs);
	}
	return err;
}
