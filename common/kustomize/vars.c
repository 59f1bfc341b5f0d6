/* vars: $(NAME) references in container commands, args and env values, resolved at the end. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "fieldpath.h"
#include "internal.h"

typedef struct {
	char **names;
	char **values;
	size_t n;
} var_table;

static void table_free(var_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->names[i]);
		free(t->values[i]);
	}
	free(t->names);
	free(t->values);
}

static int find_target(kz_res **out, kz_resmap *m, const cf_doc *objref, const char *var)
{
	const char *kind = kz_scalar(cf_doc_get(objref, "kind"));
	const char *name = kz_scalar(cf_doc_get(objref, "name"));
	const char *api = kz_scalar(cf_doc_get(objref, "apiVersion"));
	const char *ns = kz_scalar(cf_doc_get(objref, "namespace"));
	kz_res *found = NULL;

	for (size_t i = 0; i < m->len; i++) {
		kz_res *r = m->items[i];
		int named = name && strcmp(name, kz_res_name(r)) == 0;
		for (size_t j = 0; !named && name && j < r->n_ids; j++)
			named = strcmp(r->ids[j].name, name) == 0;
		if (!named || (kind && strcmp(kind, kz_res_kind(r)) != 0))
			continue;
		if (api && *api && strcmp(api, kz_res_api_version(r)) != 0)
			continue;
		if (ns && *ns && strcmp(ns, kz_res_ns(r)) != 0)
			continue;
		if (found)
			return cf_error_set(CF_EINVALID, "var '%s' matches more than one resource", var);
		found = r;
	}
	if (!found)
		return cf_error_set(CF_ENOTFOUND, "var '%s' cannot be mapped to a field in the set of "
		                    "known resources", var);
	*out = found;
	return 0;
}

static int build_table(var_table *t, kz_resmap *m, const cf_doc *vars)
{
	size_t n = cf_doc_len(vars);
	int err = 0;

	t->names = calloc(n ? n : 1, sizeof(char *));
	t->values = calloc(n ? n : 1, sizeof(char *));
	if (!t->names || !t->values)
		return cf_error_set(CF_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && err == 0; i++) {
		const cf_doc *v = cf_doc_item(vars, i);
		const char *name = kz_scalar(cf_doc_get(v, "name"));
		const char *fp = kz_scalar(cf_doc_get_path(v, "fieldref", "fieldpath", NULL));
		kz_res *r = NULL;
		if (!name)
			return cf_error_set(CF_EINVALID, "a var needs a name");
		for (size_t j = 0; j < t->n; j++)
			if (strcmp(t->names[j], name) == 0)
				return cf_error_set(CF_EINVALID, "var '%s' already encountered", name);
		if ((err = find_target(&r, m, cf_doc_get(v, "objref"), name)) < 0)
			break;
		cf_doc *node = kz_path_get(r->obj, fp && *fp ? fp : "metadata.name");
		const char *s = kz_scalar(node);
		if (!s)
			return cf_error_set(CF_EINVALID, "field specified in var '%s' not found in "
			                    "corresponding resource", name);
		t->names[t->n] = strdup(name);
		t->values[t->n] = strdup(s);
		t->n++;
	}
	return err;
}

/* Replaces every $(NAME) of a known var in s; NULL when nothing changed. */
static char *expand(const var_table *t, const char *s)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = NULL;
	int changed = 0;

	if (!strchr(s, '$'))
		return NULL;
	if (!(out = malloc(cap)))
		return NULL;
	for (const char *p = s; *p;) {
		const char *val = NULL;
		size_t skip = 1;
		if (p[0] == '$' && p[1] == '$') {
			/* Kubernetes expansion: $$ escapes a literal $ */
			val = "$";
			skip = 2;
		} else if (p[0] == '$' && p[1] == '(') {
			const char *close = strchr(p + 2, ')');
			for (size_t i = 0; close && i < t->n; i++)
				if (strlen(t->names[i]) == (size_t)(close - p - 2) &&
				    strncmp(t->names[i], p + 2, (size_t)(close - p - 2)) == 0) {
					val = t->values[i];
					skip = (size_t)(close - p) + 1;
				}
		}
		size_t add = val ? strlen(val) : 1;
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		if (val) {
			memcpy(out + len, val, add);
			changed = 1;
		} else {
			out[len] = *p;
		}
		len += add;
		p += skip;
	}
	out[len] = '\0';
	if (!changed) {
		free(out);
		return NULL;
	}
	return out;
}

static int subst(cf_doc *parent, const char *key, cf_doc *node, void *ctx)
{
	const var_table *t = ctx;
	int err = 0;
	(void)parent;
	(void)key;

	if (!node)
		return 0;
	if (cf_doc_type_of(node) == CF_DOC_SEQ) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = subst(node, NULL, cf_doc_item(node, i), ctx);
		return err;
	}
	if (cf_doc_type_of(node) == CF_DOC_MAP) {
		for (size_t i = 0; i < cf_doc_len(node) && err == 0; i++)
			err = subst(node, NULL, cf_doc_value(node, i), ctx);
		return err;
	}
	if (cf_doc_type_of(node) != CF_DOC_STR)
		return 0;
	char *n = expand(t, cf_doc_text(node));
	if (!n)
		return 0;
	err = cf_doc_set_str(node, n);
	free(n);
	return err;
}

/* Where kustomize's varReference field specs look, below each pod spec. */
static const char *const pod_prefixes[] = {"spec/", "spec/template/spec/",
                                           "spec/jobTemplate/spec/template/spec/"};
static const char *const container_fields[] = {
	"containers/command", "containers/args", "containers/env/value",
	"initContainers/command", "initContainers/args", "initContainers/env/value",
};

int kz_vars_resolve(kz_resmap *m, const cf_doc *vars, const cf_doc *var_refs)
{
	var_table t = {0};
	int err;

	if ((err = build_table(&t, m, vars)) < 0)
		goto done;
	for (size_t i = 0; i < m->len && err == 0; i++) {
		kz_res *r = m->items[i];
		for (size_t p = 0; p < 3 && err == 0; p++)
			for (size_t f = 0; f < 6 && err == 0; f++) {
				char *path = kz_asprintf("%s%s", pod_prefixes[p], container_fields[f]);
				if (!path) {
					err = cf_error_set(CF_ENOMEM, "out of memory");
					break;
				}
				err = kz_fieldspec_walk(r->obj, path, 0, 0, subst, &t);
				free(path);
			}
		if (err == 0 && strcmp(kz_res_kind(r), "Ingress") == 0)
			err = kz_fieldspec_walk(r->obj, "spec/rules/host", 0, 0, subst, &t);
		for (size_t v = 0; v < cf_doc_len(var_refs) && err == 0; v++) {
			const cf_doc *fs = cf_doc_item(var_refs, v);
			const char *path = kz_scalar(cf_doc_get(fs, "path"));
			const char *kind = kz_scalar(cf_doc_get(fs, "kind"));
			if (path && (!kind || strcmp(kind, kz_res_kind(r)) == 0))
				err = kz_fieldspec_walk(r->obj, path, 0, 0, subst, &t);
		}
	}
done:
	table_free(&t);
	return err;
}
